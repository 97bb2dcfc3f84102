/* hub-tendering: public-benefit tenders and venture philanthropy rounds
 * (OCDS 1.1.5) and the hub's funds ledger with the charity donation box.
 * This file only wires the shared daemon mechanism to tendering's
 * handlers, its feed of matching's organizations and its deadline timer. */
#include "hub_daemon.h"
#include "tendering_svc.h"

int main(int argc, char **argv)
{
    static const hub_service_t svc = {
        .name = "tendering",
        .schema_version = 1, /* the store layout this build writes; bump with a migrate step */
        .summary = "Runs public-benefit tenders and venture philanthropy rounds, and the funds ledger.",
        .db_names = tendering_db_names,
        .handlers = tendering_handlers,
        .init = tendering_init,
        .fini = tendering_fini,
        .start = tendering_start,
        .stop = tendering_stop,
    };
    return hub_daemon_main(&svc, argc, argv);
}
