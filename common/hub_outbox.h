/* hub_outbox: the event outbox. Events are written into the "outbox"
 * database in the same write transaction as the state change, keyed by a
 * big-endian gap-free sequence; after the commit the caller publishes the
 * pending list. The epoch (random, made when the store is created) tells a
 * subscriber that a store was reset. */
#ifndef HUB_OUTBOX_H
#define HUB_OUTBOX_H

#include <lmdb.h>
#include <stdint.h>

#include "hub_store.h"
#include "hub_wire.h"

typedef struct {
    char *topic;     /* owned */
    uint64_t seq;
    uint8_t *data;   /* owned: a packed hub.Event */
    size_t len;
} hub_outbox_item_t;

typedef struct hub_outbox {
    hub_store_t *store;    /* borrowed */
    MDB_dbi db;
    const char *source;    /* borrowed, e.g. "intake" */
    uint64_t epoch;
    uint64_t last_seq;     /* last committed */
    uint64_t next_seq;     /* next to assign (pending, not yet committed) */
    uint64_t parent_epoch; /* after a restore (hub_outbox_fork): the epoch this one */
    uint64_t parent_seq;   /* continues, identical up to parent_seq; else 0/0 */
    hub_outbox_item_t *pending;
    size_t n_pending, cap_pending;
} hub_outbox_t;

/* Binds self to db of store; loads (or creates) the epoch and last sequence.
 * 0 or an MDB error. */
int hub_outbox_init(hub_outbox_t *self, hub_store_t *store, MDB_dbi db, const char *source);
/* After a store was restored from a backup: gives it a new epoch that
 * continues the old one up to its last sequence (meta "outbox_epoch",
 * "outbox_parent_epoch", "outbox_parent_seq", "outbox_last_seq"), so a
 * subscriber whose cursor went past the backup neither skips the new
 * events nor applies the old ones twice (see hub_sub). self is initialized
 * (hub_outbox_init) on the restored store; txn a write transaction on it;
 * self is updated. 0 or an MDB error. */
int hub_outbox_fork(hub_outbox_t *self, MDB_txn *txn);
/* Frees pending items. */
void hub_outbox_fini(hub_outbox_t *self);

/* Appends an event (payload packed from msg, may be NULL) inside txn.
 * 0 or an MDB error (MDB_MAP_FULL included): on error the caller aborts. */
int hub_outbox_append(hub_outbox_t *self, MDB_txn *txn, const char *topic,
                      const ProtobufCMessage *payload);

/* A mark taken before a nested transaction; rollback drops what came after. */
size_t hub_outbox_mark(const hub_outbox_t *self);
void hub_outbox_rollback(hub_outbox_t *self, size_t mark);
/* After the enclosing commit succeeded: the pending items are durable.
 * The caller publishes self->pending[0..n_pending) then calls hub_outbox_clear. */
void hub_outbox_committed(hub_outbox_t *self);
/* Drops pending items (after publishing, or after an aborted commit). */
void hub_outbox_clear(hub_outbox_t *self);

/* Calls fn for each stored event with seq >= from, at most max of them.
 * fn returns non-zero to stop. Returns 0 or an MDB error. */
typedef int (*hub_outbox_fn)(uint64_t seq, const void *data, size_t len, void *arg);
int hub_outbox_read(hub_outbox_t *self, MDB_txn *txn, uint64_t from, unsigned max,
                    hub_outbox_fn fn, void *arg);
/* Oldest sequence kept (last_seq + 1 when empty). */
uint64_t hub_outbox_first_seq(hub_outbox_t *self, MDB_txn *txn);

#endif
