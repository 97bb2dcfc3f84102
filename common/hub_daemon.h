/* hub_daemon: the life of every hub daemon. Parses the command line
 * (-c/--config, -d/--data-dir, -t/--check-config, -V/--version, -h/--help,
 * -l/--log-level), loads the configuration, opens the store and outbox,
 * binds the command and event endpoints (CURVE when configured), tells
 * systemd READY=1, runs the loop, and on SIGTERM/SIGINT stops taking work,
 * lets the current batch commit, and closes everything. A service plugs
 * its domain in through hub_service_t. */
#ifndef HUB_DAEMON_H
#define HUB_DAEMON_H

#include <uv.h>

#include "hub_auth.h"
#include "hub_config.h"
#include "hub_outbox.h"
#include "hub_rpc.h"
#include "hub_store.h"

typedef struct hub_daemon {
    const char *name;          /* section name in the config, e.g. "intake" */
    hub_config_t *cfg;
    uv_loop_t *loop;
    void *zctx;
    hub_store_t *store;        /* dbs[0] is the outbox, then the service's */
    hub_outbox_t outbox;
    hub_auth_t *auth;
    hub_rpc_t *rpc;
    char data_dir[1024];       /* this daemon's store directory */
} hub_daemon_t;

typedef struct {
    const char *name;
    const char *summary;               /* one line for --help */
    const char *const *db_names;       /* the service's databases, NULL-terminated */
    const hub_handler_t *handlers;
    /* Loads domain configuration. With check_only the store is not open
     * (d->store == NULL). Sets *ctx (owned by the service). 0 or -1+err. */
    int (*init)(hub_daemon_t *d, int check_only, void **ctx, hub_error_t *err);
    void (*fini)(void *ctx);
    /* Optional: called once the endpoints are bound, before the loop runs
     * (start feeds and timers: d->rpc and d->loop exist). 0 or -1+err. */
    int (*start)(hub_daemon_t *d, void *ctx, hub_error_t *err);
    /* Optional: called when the daemon stops, before the command server is
     * destroyed (join threads, close timers). */
    void (*stop)(void *ctx);
    /* The store's schema version this build writes (0 counts as 1). A
     * store stamped older is migrated at start, one step at a time, by
     * migrate(store, txn, from, NULL, err) (optional: NULL when no step
     * needs work), all in one transaction; one stamped newer makes the
     * daemon exit with HUB_EXIT_SCHEMA. See hub_store_schema_t. */
    unsigned schema_version;
    hub_store_migrate_fn migrate;
} hub_service_t;

/* Exit code of a daemon whose store is newer than it supports (EX_DATAERR):
 * a restart cannot help, so systemd units list it in RestartPreventExitStatus. */
#define HUB_EXIT_SCHEMA 65

/* Runs the daemon; returns the process exit code (0, 1 failure, 2 usage,
 * 65 store schema too new, 78 bad configuration). */
int hub_daemon_main(const hub_service_t *svc, int argc, char **argv);

/* The dbi of the service's i-th database (in db_names order). */
MDB_dbi hub_daemon_db(const hub_daemon_t *d, int i);

#endif
