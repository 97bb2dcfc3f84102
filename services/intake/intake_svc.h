/* intake_svc: the intake daemon's command handlers (store + events) over
 * the domain rules of intake.h. main.c wires them into hub_daemon. */
#ifndef INTAKE_SVC_H
#define INTAKE_SVC_H

#include "catalogue.h"
#include "hub_daemon.h"

enum { INTAKE_DB_REQUESTS, INTAKE_DB_IDEM, INTAKE_DB_OPINIONS, INTAKE_DB_OPINION_IDEM };

typedef struct {
    intake_catalogue_t *catalogue;  /* owned */
    MDB_dbi requests, idem, opinions, opinion_idem;
    hub_store_t *store;             /* borrowed */
    hub_arena_t *scratch;           /* owned: records being filtered in a list */
} intake_t;

extern const char *const intake_db_names[];
extern const hub_handler_t intake_handlers[];

/* hub_service_t hooks. */
int intake_init(hub_daemon_t *d, int check_only, void **ctx, hub_error_t *err);
void intake_fini(void *ctx);

#endif
