/* hub_due: a timer over a time-ordered database, whose keys start with a
 * due time (unix ms, 8 bytes big-endian). Every interval it looks,
 * read-only, at the first key and, when that time has come, posts verb (a
 * hub.Tick) to the daemon's own command server, so the due work runs in a
 * batch like any command (matching's offer deadlines, notification's
 * schedules). The struct is embedded by its owner, like a libuv handle. */
#ifndef HUB_DUE_H
#define HUB_DUE_H

#include <lmdb.h>
#include <stdbool.h>
#include <uv.h>

#include "hub_rpc.h"
#include "hub_store.h"

typedef struct {
    uv_timer_t timer;
    hub_rpc_t *rpc;        /* borrowed */
    hub_store_t *store;    /* borrowed */
    MDB_dbi db;
    const char *verb;      /* borrowed: an internal verb taking hub.Tick */
    bool on;
} hub_due_t;

/* Starts watching db every interval_ms on loop. rpc, store and verb must
 * outlive the timer (stop it before destroying rpc). */
void hub_due_start(hub_due_t *self, uv_loop_t *loop, hub_rpc_t *rpc, hub_store_t *store, MDB_dbi db,
                   const char *verb, int interval_ms);
/* Closes the timer (the loop finishes closing it); no-op if not started. */
void hub_due_stop(hub_due_t *self);

#endif
