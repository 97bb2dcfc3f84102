/* hub_scrub: removes erased personal data from a store's file for good.
 *
 * LMDB never clears bytes: a record overwritten or deleted stays readable
 * in data.mdb, in the pages it freed and in the unused middle of live
 * pages, until those happen to be reused. After a daemon anonymized
 * records (retention purge, a subject's erasure) it therefore rewrites its
 * store: every live record is copied, in key order, into a fresh file
 * (pages zero-filled by LMDB, none freed), which then replaces data.mdb,
 * and the environment is reopened with the same database handles.
 *
 * The rewrite runs on the loop thread with no transaction open, after the
 * commit of the change it follows: hub_scrub_t debounces requests from
 * handlers into one rewrite a short while after the last one. */
#ifndef HUB_SCRUB_H
#define HUB_SCRUB_H

#include "hub_util.h"

#include <stdbool.h>
#include <uv.h>

#include "hub_rpc.h"
#include "hub_store.h"

#define HUB_SCRUB_DELAY_MS 200        /* after the last request: one rewrite per burst */
#define HUB_SCRUB_TXN_RECORDS 10000   /* records per write transaction of the copy
                                         (LMDB caps the dirty pages of one txn) */
#define HUB_SCRUB_PING_RECORDS 4096   /* systemd watchdog ping during the copy */
#define HUB_SCRUB_RETRY_MS 2000       /* a postponed rewrite (backup running, store
                                         open elsewhere) is tried again after this */

/* Called for each record being copied. db is the index into store->dbs,
 * or -1 for the meta database; old_txn reads the store as it is. May set
 * *val to a replacement (allocated from arena, reset per record). 0 keep
 * (as is or replaced), 1 drop the record, or an MDB error (aborts). */
typedef int (*hub_scrub_filter_fn)(MDB_txn *old_txn, int db, const MDB_val *key, MDB_val *val,
                                   hub_arena_t *arena, void *arg);

/* Rewrites self's file as described above (filter may be NULL). Loop
 * thread, no transaction open; other threads' reads
 * (hub_store_thread_read_begin) wait during the swap; pings systemd's
 * watchdog every HUB_SCRUB_PING_RECORDS records. 0; 1 postponed, store
 * unchanged, err says why (UNAVAILABLE: a thread such as a hub.backup
 * holds the store, or another process has it open, so the reopen would
 * not be exclusive); or -1 with err: a failure before the swap leaves the
 * store as it was; one after it (reopening) is fatal and aborts the
 * process (a restart opens the new file). */
int hub_store_rewrite(hub_store_t *self, hub_scrub_filter_fn filter, void *arg, hub_error_t *err);

/* A debounced rewrite of a daemon's store. Embed it in the service's
 * context; the loop, store, rpc and arg are borrowed. */
typedef struct hub_scrub {
    uv_timer_t timer;
    hub_store_t *store;
    hub_rpc_t *rpc;          /* counters: store_rewrites_total, store_rewrites_failed_total */
    hub_scrub_filter_fn filter;
    void *arg;
    bool started;
    /* Optional: runs when the timer fires, before the rewrite; returns
     * true to put the rewrite off (e.g. more purge batches were posted:
     * the last one requests it again). */
    bool (*before)(void *arg);
} hub_scrub_t;

/* Sets up the timer on loop; when the store holds a pending request (a
 * rewrite that did not run before a stop), starts it. */
void hub_scrub_init(hub_scrub_t *self, uv_loop_t *loop, hub_store_t *store, hub_rpc_t *rpc,
                    hub_scrub_filter_fn filter, void *arg);
/* Asks for a rewrite HUB_SCRUB_DELAY_MS from now, from a handler: it
 * runs after the batch's commit. The request is also written in call->txn
 * (meta HUB_SCRUB_META), so a daemon stopped before the rewrite does it at
 * its next start (hub_scrub_init). 0, or -1 with a store error. */
#define HUB_SCRUB_META "scrub_pending"
int hub_scrub_request(hub_scrub_t *self, hub_call_t *call);
/* Closes the timer; a pending rewrite waits for the next start. */
void hub_scrub_close(hub_scrub_t *self);


#endif
