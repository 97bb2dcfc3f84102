/* hub-intake: where external channels post help requests and opinions.
 * This file only wires the shared daemon mechanism to intake's handlers. */
#include "hub_daemon.h"
#include "intake_svc.h"

int main(int argc, char **argv)
{
    static const hub_service_t svc = {
        .name = "intake",
        .schema_version = 1, /* the store layout this build writes; bump with a migrate step */
        .summary = "Accepts help requests and opinions from channels (Open311-style).",
        .db_names = intake_db_names,
        .handlers = intake_handlers,
        .init = intake_init,
        .fini = intake_fini,
        .start = intake_start,
        .stop = intake_stop,
    };
    return hub_daemon_main(&svc, argc, argv);
}
