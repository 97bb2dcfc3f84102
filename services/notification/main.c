/* hub-notification: tells every party what concerns them, once: requesters,
 * providers, operators, through webhook, e-mail, SMS and the in-app inbox.
 * This file only wires the shared daemon mechanism to notification's
 * handlers, feeds, sender and schedule timer. */
#include "hub_daemon.h"
#include "notification_svc.h"

int main(int argc, char **argv)
{
    static const hub_service_t svc = {
        .name = "notification",
        .schema_version = 1, /* the store layout this build writes; bump with a migrate step */
        .summary = "Delivers messages about requests and referrals (webhook, e-mail, SMS, inbox).",
        .db_names = notification_db_names,
        .handlers = notification_handlers,
        .init = notification_init,
        .fini = notification_fini,
        .start = notification_start,
        .stop = notification_stop,
    };
    return hub_daemon_main(&svc, argc, argv);
}
