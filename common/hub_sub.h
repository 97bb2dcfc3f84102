/* hub_sub: a subscriber that sees every event of one publisher exactly
 * once, in order. It connects SUB, then replays from its cursor over the
 * publisher's command endpoint ("hub.replay"), then reads live events,
 * skipping what it already has; a gap, a heartbeat ahead of the cursor or
 * an epoch change makes it replay again (from 1 for a reset store; from
 * min(cursor, parent_seq) + 1 for a store restored from a backup). The caller persists the cursor
 * (hub_sub_cursor) in the same transaction as applying an event. */
#ifndef HUB_SUB_H
#define HUB_SUB_H

#include <stdint.h>

#include "hub_client.h"
#include "hub_store.h"
#include "hub_wire.h"

typedef struct hub_sub hub_sub_t;

/* Subscribes to a publisher; epoch/last_seq are the caller's saved cursor
 * (0/0 for "from the beginning"). zctx borrowed. Caller owns the result. */
hub_sub_t *hub_sub_new(void *zctx, const char *pub_endpoint, const char *api_endpoint,
                       const hub_curve_t *curve, uint64_t epoch, uint64_t last_seq);
void hub_sub_destroy(hub_sub_t **self_p);

/* Waits up to timeout_ms for the next event. Returns 1 with *ev (allocated
 * from arena) and the cursor advanced, 0 on time-out, -1 with err when the
 * publisher refuses the replay (OUT_OF_RANGE, PERMISSION_DENIED...) or the
 * next event cannot be decoded: waiting would not help. A replay round trip
 * (up to 2 s when the publisher is down) may overrun timeout_ms once. */
int hub_sub_next(hub_sub_t *self, int timeout_ms, hub_arena_t *arena, Hub__Event **ev,
                 hub_error_t *err);
uint64_t hub_sub_cursor(const hub_sub_t *self);
uint64_t hub_sub_epoch(const hub_sub_t *self);
/* Replays performed so far (for tests and status). */
uint64_t hub_sub_replays(const hub_sub_t *self);
/* The publisher's lineage as of the last replay: after a restore its epoch
 * continues *epoch up to *seq (0/0: none). See hub_outbox_fork. */
void hub_sub_parent(const hub_sub_t *self, uint64_t *epoch, uint64_t *seq);

/* The durable cursor of a subscriber daemon: (epoch, last_seq) of one
 * publisher kept in the subscriber's own store (meta keys
 * "sub:<publisher>:epoch|seq"; publisher names up to 80 bytes). Save it in the SAME write transaction that
 * applies the event, so an event is applied exactly once across crashes;
 * load it before hub_sub_new. Both return 0 or an MDB error (load gives
 * 0/0 when nothing was saved yet). */
int hub_sub_cursor_load(hub_store_t *store, MDB_txn *txn, const char *publisher,
                        uint64_t *epoch, uint64_t *last_seq);
int hub_sub_cursor_save(hub_store_t *store, MDB_txn *txn, const char *publisher,
                        const hub_sub_t *sub);
/* The same with explicit values. */
int hub_sub_cursor_put(hub_store_t *store, MDB_txn *txn, const char *publisher, uint64_t epoch,
                       uint64_t last_seq);

#endif
