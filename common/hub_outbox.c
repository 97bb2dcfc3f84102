#include "hub_outbox.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hub_util.h"

static uint64_t s_random_epoch(void)
{
    uint64_t v = 0;
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd >= 0) {
        if (read(fd, &v, sizeof v) != sizeof v) v = 0;
        close(fd);
    }
    if (!v) v = (uint64_t)hub_now_ms() ^ ((uint64_t)getpid() << 40);
    return v >> 1 ? v >> 1 : 1; /* fits in a signed JSON integer */
}

int hub_outbox_init(hub_outbox_t *self, hub_store_t *store, MDB_dbi db, const char *source)
{
    memset(self, 0, sizeof *self);
    self->store = store;
    self->db = db;
    self->source = source;
    MDB_txn *txn;
    int rc = mdb_txn_begin(store->env, NULL, 0, &txn);
    if (rc) return rc;
    rc = hub_store_meta_get_u64(store, txn, "outbox_epoch", &self->epoch);
    if (rc == MDB_NOTFOUND) {
        self->epoch = s_random_epoch();
        rc = hub_store_meta_put_u64(store, txn, "outbox_epoch", self->epoch);
    }
    if (rc) goto out;
    if (hub_store_meta_get_u64(store, txn, "outbox_parent_epoch", &self->parent_epoch) ||
        hub_store_meta_get_u64(store, txn, "outbox_parent_seq", &self->parent_seq))
        self->parent_epoch = self->parent_seq = 0;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, db, &cur))) goto out;
    MDB_val k, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    if (rc == 0 && k.mv_size == 8) self->last_seq = hub_be64_get(k.mv_data);
    else if (rc == MDB_NOTFOUND) {
        /* an empty (or trimmed-to-empty) outbox keeps its high-water mark */
        uint64_t hw = 0;
        if (!hub_store_meta_get_u64(store, txn, "outbox_last_seq", &hw)) self->last_seq = hw;
    }
    rc = (rc == MDB_NOTFOUND) ? 0 : rc;
    mdb_cursor_close(cur);
out:
    if (rc) { mdb_txn_abort(txn); return rc; }
    self->next_seq = self->last_seq + 1;
    return mdb_txn_commit(txn);
}

int hub_outbox_fork(hub_outbox_t *self, MDB_txn *txn)
{
    uint64_t epoch;
    do epoch = s_random_epoch(); while (epoch == self->epoch);
    int rc;
    if ((rc = hub_store_meta_put_u64(self->store, txn, "outbox_parent_epoch", self->epoch)) ||
        (rc = hub_store_meta_put_u64(self->store, txn, "outbox_parent_seq", self->last_seq)) ||
        (rc = hub_store_meta_put_u64(self->store, txn, "outbox_last_seq", self->last_seq)) ||
        (rc = hub_store_meta_put_u64(self->store, txn, "outbox_epoch", epoch)))
        return rc;
    self->parent_epoch = self->epoch;
    self->parent_seq = self->last_seq;
    self->epoch = epoch;
    return 0;
}

void hub_outbox_fini(hub_outbox_t *self)
{
    hub_outbox_clear(self);
    free(self->pending);
    self->pending = NULL;
    self->cap_pending = 0;
}

int hub_outbox_append(hub_outbox_t *self, MDB_txn *txn, const char *topic,
                      const ProtobufCMessage *payload)
{
    Hub__Event ev = HUB__EVENT__INIT;
    ev.topic = (char *)topic;
    ev.epoch = self->epoch;
    ev.seq = self->next_seq;
    ev.time_ms = hub_now_ms();
    ev.source = (char *)self->source;
    uint8_t *pbuf = NULL;
    if (payload) {
        ev.payload.len = protobuf_c_message_get_packed_size(payload);
        pbuf = malloc(ev.payload.len ? ev.payload.len : 1);
        if (!pbuf) abort();
        protobuf_c_message_pack(payload, pbuf);
        ev.payload.data = pbuf;
    }
    size_t len = hub__event__get_packed_size(&ev);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) abort();
    hub__event__pack(&ev, buf);
    free(pbuf);

    uint8_t key[8];
    hub_be64_put(key, ev.seq);
    MDB_val k = {8, key}, v = {len, buf};
    int rc = mdb_put(txn, self->db, &k, &v, MDB_APPEND);
    if (rc) { free(buf); return rc; }
    if (self->n_pending == self->cap_pending) {
        self->cap_pending = self->cap_pending ? self->cap_pending * 2 : 64;
        self->pending = realloc(self->pending, self->cap_pending * sizeof *self->pending);
        if (!self->pending) abort();
    }
    self->pending[self->n_pending++] =
        (hub_outbox_item_t){hub_strdup(topic), ev.seq, buf, len};
    self->next_seq++;
    return 0;
}

size_t hub_outbox_mark(const hub_outbox_t *self) { return self->n_pending; }

void hub_outbox_rollback(hub_outbox_t *self, size_t mark)
{
    while (self->n_pending > mark) {
        hub_outbox_item_t *it = &self->pending[--self->n_pending];
        free(it->topic);
        free(it->data);
    }
    self->next_seq = self->n_pending ? self->pending[self->n_pending - 1].seq + 1
                                     : self->last_seq + 1;
}

void hub_outbox_committed(hub_outbox_t *self)
{
    if (self->n_pending) self->last_seq = self->pending[self->n_pending - 1].seq;
    self->next_seq = self->last_seq + 1;
}

void hub_outbox_clear(hub_outbox_t *self)
{
    hub_outbox_rollback(self, 0);
}

int hub_outbox_read(hub_outbox_t *self, MDB_txn *txn, uint64_t from, unsigned max,
                    hub_outbox_fn fn, void *arg)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, self->db, &cur);
    if (rc) return rc;
    uint8_t key[8];
    hub_be64_put(key, from);
    MDB_val k = {8, key}, v;
    unsigned n = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && n < max;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++) {
        if (k.mv_size != 8) continue;
        if (fn(hub_be64_get(k.mv_data), v.mv_data, v.mv_size, arg)) break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

uint64_t hub_outbox_first_seq(hub_outbox_t *self, MDB_txn *txn)
{
    MDB_cursor *cur;
    uint64_t first = self->last_seq + 1;
    if (mdb_cursor_open(txn, self->db, &cur)) return first;
    MDB_val k, v;
    if (!mdb_cursor_get(cur, &k, &v, MDB_FIRST) && k.mv_size == 8) first = hub_be64_get(k.mv_data);
    mdb_cursor_close(cur);
    return first;
}
