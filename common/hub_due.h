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

/* The key of id due at when_ms in a time-ordered database: 8 bytes
 * big-endian time, then id (cut to HUB_DUE_MAX_ID bytes). out needs
 * 8 + HUB_DUE_MAX_ID bytes. Returns the key's length. */
#define HUB_DUE_MAX_ID 400
size_t hub_due_key(uint8_t *out, int64_t when_ms, const char *id);

/* Starts watching db every interval_ms on loop. rpc, store and verb must
 * outlive the timer (stop it before destroying rpc). */
void hub_due_start(hub_due_t *self, uv_loop_t *loop, hub_rpc_t *rpc, hub_store_t *store, MDB_dbi db,
                   const char *verb, int interval_ms);
/* Closes the timer (the loop finishes closing it); no-op if not started. */
void hub_due_stop(hub_due_t *self);

/* One due entry given to a hub_due_fn (already deleted from its db). Its
 * bytes are copies, valid during the call. */
typedef struct {
    int64_t due_ms;
    const char *id;           /* the key after the time, NUL-terminated */
    size_t id_len;
    const void *val;
    size_t val_len;
    bool skipped;             /* set by fn: nothing to do (a stale entry) */
} hub_due_item_t;
/* Handles one due entry, in a transaction nested in the command's. 0 when
 * done (or skipped); -1 with call->err to refuse (rolled back, logged,
 * counted, the others go on) or a store error (the command fails). */
typedef int (*hub_due_fn)(hub_call_t *call, hub_due_item_t *item, void *arg);
/* The loop of the tick command the timer posts: takes up to max entries of
 * db due at now, in time order; each is deleted, then fn runs on it through
 * hub_call_try, so one that cannot be handled neither holds up the others
 * nor leaves a trace (it is logged with what and counted under
 * failed_counter). The arena is reused per entry. Returns how many fn did
 * (not skipped), or -1 on a store error (call->mdb_rc set). */
int hub_due_take(hub_call_t *call, MDB_dbi db, int64_t now, unsigned max, hub_due_fn fn, void *arg,
                 const char *what, const char *failed_counter);

#endif
