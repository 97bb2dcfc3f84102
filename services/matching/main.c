/* hub-matching: the resource library and the closed-loop referral of every
 * accepted help request. This file only wires the shared daemon mechanism
 * to matching's handlers, feed and timer. */
#include "hub_daemon.h"
#include "matching_svc.h"

int main(int argc, char **argv)
{
    static const hub_service_t svc = {
        .name = "matching",
        .schema_version = 1, /* the store layout this build writes; bump with a migrate step */
        .summary = "Matches help requests to social organizations and volunteers (HSDS library, HL7 referrals).",
        .db_names = matching_db_names,
        .handlers = matching_handlers,
        .init = matching_init,
        .fini = matching_fini,
        .start = matching_start,
        .stop = matching_stop,
    };
    return hub_daemon_main(&svc, argc, argv);
}
