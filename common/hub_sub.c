#include "hub_sub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "hub_bus.h"
#include "hub_log.h"
#include "hub_util.h"

#define REPLAY_TIMEOUT_MS 2000

struct hub_sub {
    void *sub;
    hub_client_t *api;
    uint64_t epoch, cursor, replays;
    uint64_t parent_epoch, parent_seq;  /* the publisher's lineage (last replay) */
    int need_replay;
    Hub__ReplayReply *queue;  /* last replay (in scratch), events not yet offered */
    size_t qhead;
    hub_arena_t *scratch;
};

hub_sub_t *hub_sub_new(void *zctx, const char *pub_ep, const char *api_ep,
                       const hub_curve_t *curve, uint64_t epoch, uint64_t last_seq)
{
    hub_sub_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->sub = zmq_socket(zctx, ZMQ_SUB);
    int linger = 0, hwm = 100000;
    zmq_setsockopt(self->sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(self->sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    hub_curve_apply(self->sub, curve);
    /* every topic: sequences are global, so a filter would hide gaps */
    zmq_setsockopt(self->sub, ZMQ_SUBSCRIBE, "", 0);
    zmq_connect(self->sub, pub_ep);
    self->api = hub_client_new(zctx, api_ep, curve, REPLAY_TIMEOUT_MS);
    self->epoch = epoch;
    self->cursor = last_seq;
    self->need_replay = 1;
    self->scratch = hub_arena_new(64u << 20);
    return self;
}

static void s_queue_clear(hub_sub_t *self)
{
    self->queue = NULL;
    self->qhead = 0;
}

void hub_sub_destroy(hub_sub_t **self_p)
{
    hub_sub_t *self = *self_p;
    if (!self) return;
    zmq_close(self->sub);
    hub_client_destroy(&self->api);
    hub_arena_destroy(&self->scratch);
    free(self);
    *self_p = NULL;
}

uint64_t hub_sub_cursor(const hub_sub_t *self) { return self->cursor; }
uint64_t hub_sub_epoch(const hub_sub_t *self) { return self->epoch; }
uint64_t hub_sub_replays(const hub_sub_t *self) { return self->replays; }
void hub_sub_parent(const hub_sub_t *self, uint64_t *epoch, uint64_t *seq)
{
    *epoch = self->parent_epoch;
    *seq = self->parent_seq;
}

/* One replay round trip from cursor+1. 1 = events queued, 0 = caught up or
 * publisher unreachable (retry later), -1 = cannot be served. */
static int s_replay(hub_sub_t *self, hub_error_t *err)
{
    Hub__ReplayRequest req = HUB__REPLAY_REQUEST__INIT;
    req.from_seq = self->cursor + 1;
    req.max = 1000;
    Hub__ReplayReply *rep;
    s_queue_clear(self); /* the queue lives in scratch */
    hub_arena_reset(self->scratch);
    self->replays++;
    hub_debug("replay from %llu (replays so far %llu)", (unsigned long long)req.from_seq, (unsigned long long)self->replays);
    int rc = hub_client_call(self->api, "hub.replay", &req.base, &hub__replay_reply__descriptor,
                             self->scratch, (ProtobufCMessage **)&rep, err);
    if (rc == 1)  /* a refusal; a transient store error is retried later */
        return err->code == HUB__ERROR_CODE__INTERNAL || err->code == HUB__ERROR_CODE__UNAVAILABLE ? 0 : -1;
    if (rc < 0) return 0;
    self->parent_epoch = rep->parent_epoch;
    self->parent_seq = rep->parent_seq;
    if (self->epoch && rep->epoch != self->epoch && rep->parent_epoch == self->epoch) {
        /* restored from a backup: the new epoch repeats ours up to parent_seq */
        uint64_t keep = self->cursor < rep->parent_seq ? self->cursor : rep->parent_seq;
        hub_warn("publisher restored from a backup (epoch %llu -> %llu, same events up to %llu): "
                 "going on after %llu",
                 (unsigned long long)self->epoch, (unsigned long long)rep->epoch,
                 (unsigned long long)rep->parent_seq, (unsigned long long)keep);
        self->cursor = keep;
        self->epoch = rep->epoch;
        return 1; /* replay again from keep + 1 */
    }
    if (self->epoch && rep->epoch != self->epoch) {
        hub_warn("publisher epoch changed (%llu -> %llu): its store was reset; starting over",
                 (unsigned long long)self->epoch, (unsigned long long)rep->epoch);
        self->cursor = 0;
        self->epoch = rep->epoch;
        return 1; /* replay again from 1 */
    }
    self->epoch = rep->epoch;
    if (!rep->n_events) { self->need_replay = 0; return 0; }
    self->queue = rep; /* offered from scratch, decoded once, by hub_sub_next */
    return 1;
}

/* Delivers data if it is the next event: 1 delivered, 0 skipped, 2 gap,
 * -1 the next event cannot be decoded (err set: replaying would not help). */
static int s_offer(hub_sub_t *self, uint64_t seq, const void *data, size_t len,
                   hub_arena_t *arena, Hub__Event **ev, hub_error_t *err)
{
    if (seq <= self->cursor) return 0;
    if (seq > self->cursor + 1) return 2;
    Hub__Event *e = (Hub__Event *)hub_wire_unpack_max(&hub__event__descriptor, data, len,
                                                      HUB_WIRE_MAX_REPLY, arena, err);
    if (!e) {
        hub_err("event %llu cannot be decoded: %s", (unsigned long long)seq, err->message);
        return -1;
    }
    self->cursor = seq;
    *ev = e;
    return 1;
}

int hub_sub_next(hub_sub_t *self, int timeout_ms, hub_arena_t *arena, Hub__Event **ev,
                 hub_error_t *err)
{
    int64_t deadline = hub_mono_ms() + timeout_ms;
    int first = 1; /* one replay is always tried, even with timeout 0 */
    for (;;) {
        while (self->queue && self->qhead < self->queue->n_events) {
            const ProtobufCBinaryData *b = &self->queue->events[self->qhead++];
            Hub__Event *e = (Hub__Event *)hub_wire_unpack_max(&hub__event__descriptor, b->data, b->len,
                                                              HUB_WIRE_MAX_REPLY, arena, err);
            /* replay output runs from cursor+1: an undecodable one is the next
             * event, and replaying would bring it back; report it */
            if (!e) {
                hub_err("event %llu cannot be decoded: %s", (unsigned long long)self->cursor + 1, err->message);
                s_queue_clear(self);
                return -1;
            }
            if (e->seq <= self->cursor) continue;
            if (e->seq > self->cursor + 1) { s_queue_clear(self); self->need_replay = 1; break; }
            self->cursor = e->seq;
            *ev = e;
            return 1;
        }
        if (self->need_replay && (first || hub_mono_ms() < deadline)) {
            int r = s_replay(self, err);
            if (r < 0) return -1;
            first = 0;
            if (r > 0) continue;
        }
        first = 0;
        int64_t left = deadline - hub_mono_ms();
        if (left <= 0) return 0;
        /* while a replay is owed (publisher was unreachable), retry soon */
        zmq_pollitem_t it = {self->sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, self->need_replay && left > 200 ? 200 : left) <= 0) continue;
        zmq_msg_t f[3];
        int n = hub_zmq_recv(self->sub, f, 3, 0, NULL);
        int r = 0;
        if (n == 3 && zmq_msg_size(&f[1]) == 16) {
            const uint8_t *h = zmq_msg_data(&f[1]);
            uint64_t epoch = hub_be64_get(h), seq = hub_be64_get(h + 8);
            int hb = zmq_msg_size(&f[0]) == 13 && !memcmp(zmq_msg_data(&f[0]), "hub.heartbeat", 13);
            if (epoch != self->epoch) self->need_replay = 1;
            else if (hb) { if (seq > self->cursor) self->need_replay = 1; }
            else {
                r = s_offer(self, seq, zmq_msg_data(&f[2]), zmq_msg_size(&f[2]), arena, ev, err);
                if (r == 2) self->need_replay = 1;
            }
        }
        hub_zmq_close(f, n);
        if (r == 1) return 1;
        if (r < 0) return -1;
    }
}

static void s_cursor_keys(const char *publisher, char ekey[96], char skey[96])
{
    snprintf(ekey, 96, "sub:%.80s:epoch", publisher);
    snprintf(skey, 96, "sub:%.80s:seq", publisher);
}

int hub_sub_cursor_load(hub_store_t *store, MDB_txn *txn, const char *publisher,
                        uint64_t *epoch, uint64_t *last_seq)
{
    char ekey[96], skey[96];
    s_cursor_keys(publisher, ekey, skey);
    *epoch = *last_seq = 0;
    int rc = hub_store_meta_get_u64(store, txn, ekey, epoch);
    if (!rc) rc = hub_store_meta_get_u64(store, txn, skey, last_seq);
    if (rc == MDB_NOTFOUND) { *epoch = *last_seq = 0; return 0; }
    return rc;
}

int hub_sub_cursor_put(hub_store_t *store, MDB_txn *txn, const char *publisher, uint64_t epoch,
                       uint64_t last_seq)
{
    char ekey[96], skey[96];
    s_cursor_keys(publisher, ekey, skey);
    int rc = hub_store_meta_put_u64(store, txn, ekey, epoch);
    return rc ? rc : hub_store_meta_put_u64(store, txn, skey, last_seq);
}

int hub_sub_cursor_save(hub_store_t *store, MDB_txn *txn, const char *publisher,
                        const hub_sub_t *sub)
{
    return hub_sub_cursor_put(store, txn, publisher, sub->epoch, sub->cursor);
}
