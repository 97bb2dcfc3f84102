/* hub-reporting: figures, the monthly and yearly reports, the public
 * disclosure pages and the live dashboard, from every daemon's events.
 * This file only wires the shared daemon mechanism to reporting's
 * handlers, feeds and dashboard. */
#include "hub_daemon.h"
#include "reporting_svc.h"

int main(int argc, char **argv)
{
    static const hub_service_t svc = {
        .name = "reporting",
        .schema_version = REPORTING_SCHEMA_VERSION, /* the store layout this build writes */
        .migrate = reporting_migrate,
        .summary = "Reports the center's figures, publishes disclosure pages and serves the live dashboard.",
        .db_names = reporting_db_names,
        .handlers = reporting_handlers,
        .init = reporting_init,
        .fini = reporting_fini,
        .start = reporting_start,
        .stop = reporting_stop,
    };
    return hub_daemon_main(&svc, argc, argv);
}
