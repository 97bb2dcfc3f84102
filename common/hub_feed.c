#include "hub_feed.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "hub_auth.h"
#include "hub_bus.h"
#include "hub_log.h"
#include "hub_sub.h"
#include "hub_util.h"

#define EVENT_ARENA (64u << 20)   /* one batch of decoded events and its FeedEvent copy */
#define FEED_BATCH 256            /* events in one FeedEvent command */
#define FEED_BATCH_BYTES (128u << 10) /* ...and their bytes (a larger event goes alone) */
#define DRAIN_MS 10000            /* waiting for in-flight answers before a restart */

struct hub_feed {
    hub_rpc_t *rpc;
    hub_store_t *store;
    void *zctx;
    char publisher[48];
    char verb[64];
    char pub_ep[256], api_ep[256], self_ep[128];
    char server_key[41], public_key[41], secret_key[41];
    bool curve;
    hub_feed_apply_fn fn;
    hub_feed_done_fn done;   /* optional */
    hub_feed_digest_fn digest; /* optional, called on the feed thread */
    void *arg;
    hub_handler_t handlers[2];
    pthread_t thread;
    bool started;
    atomic_int stop;
};

/* ---- the loop thread: applying a batch of events ---- */

typedef struct {
    hub_feed_t *self;
    const Hub__FeedEvent *fe;
    size_t from, n;          /* events [from, n) of the batch are to be applied */
    size_t bad;              /* s_apply_all: the event that was refused */
} apply_t;

/* The i-th event's bytes of a batch. */
static const ProtobufCBinaryData *s_event_bytes(const Hub__FeedEvent *fe, size_t i)
{
    return i == 0 ? &fe->event : &fe->more[i - 1];
}

/* Decodes the i-th event and applies it (the service's part). 0, or -1
 * with call->err (an undecodable event, a refusal) or call->mdb_rc. The
 * arena is rewound after it: nothing of one event outlives its apply. */
static int s_apply_one(hub_call_t *call, apply_t *a, size_t i)
{
    hub_feed_t *self = a->self;
    const ProtobufCBinaryData *b = s_event_bytes(a->fe, i);
    hub_arena_mark_t mark = hub_arena_mark(call->arena);
    /* plain unpack: the feed thread validated the event (hub_sub) before
     * packing it again, and only our own inproc endpoint reaches this verb */
    Hub__Event *ev = (Hub__Event *)protobuf_c_message_unpack(&hub__event__descriptor,
                                                             hub_arena_allocator(call->arena), b->len, b->data);
    int rc = -1;
    if (!ev) hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "event", "event %llu does not decode",
                           (unsigned long long)(a->fe->seq + i));
    else if (ev->seq != a->fe->seq + i)
        hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "event.seq", "event carries seq %llu, not %llu",
                      (unsigned long long)ev->seq, (unsigned long long)(a->fe->seq + i));
    else rc = self->fn(call, self->publisher, ev, self->arg);
    hub_arena_rewind(call->arena, mark);
    return rc;
}

/* hub_call_fn: the whole batch in one nested transaction; on the first
 * refusal it stops (a->bad) and the caller goes event by event. */
/* The service's done function, if any, after events were applied (rc 0)
 * or abandoned (rc -1). Returns rc, or -1 when writing what it gathered failed. */
static int s_done(hub_call_t *call, hub_feed_t *self, int rc)
{
    if (!self->done) return rc;
    if (rc) {
        self->done(call, false, self->arg);
        return rc;
    }
    return self->done(call, true, self->arg);
}

static int s_apply_all(hub_call_t *call, void *arg)
{
    apply_t *a = arg;
    for (size_t i = a->from; i < a->n; i++)
        if (s_apply_one(call, a, i)) {
            a->bad = i;
            return s_done(call, a->self, -1);
        }
    return s_done(call, a->self, 0);
}

typedef struct {
    apply_t *a;
    size_t i;
} apply_one_t;

static int s_apply_single(hub_call_t *call, void *arg)
{
    apply_one_t *o = arg;
    return s_done(call, o->a->self, s_apply_one(call, o->a, o->i));
}

/* "hub.feed.<publisher>": applies the next events and moves the cursor, in
 * the command's transaction; skips those already applied; refuses a gap.
 * An event the service refuses (not a store error) is logged, counted and
 * passed over: it must not hold up every later one. */
static int s_apply(hub_call_t *call, void *ctx)
{
    hub_feed_t *self = ctx;
    const Hub__FeedEvent *fe = (const Hub__FeedEvent *)call->req;
    if (strcmp(fe->publisher, self->publisher))
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "publisher",
                             "this feed is %s's", self->publisher);
    uint64_t epoch, seq;
    int rc = hub_sub_cursor_load(self->store, call->txn, self->publisher, &epoch, &seq);
    if (rc) return hub_call_mdb_error(call, rc);
    Hub__FeedReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
    hub__feed_reply__init(rep);
    call->reply = &rep->base;
    size_t n = 1 + fe->n_more, from = 0;
    while (from < n && fe->epoch == epoch && fe->seq + from <= seq) from++;   /* applied earlier */
    if (from) hub_rpc_count(call->rpc, "feed_events_skipped_total", from);
    if (from == n) {
        rep->epoch = epoch;
        rep->seq = seq;
        return 0;
    }
    uint64_t first = fe->seq + from;
    /* a restored publisher's new epoch continues ours up to parent_seq */
    uint64_t kept = fe->parent_epoch == epoch && epoch ? (seq < fe->parent_seq ? seq : fe->parent_seq) : 0;
    bool next = fe->epoch == epoch ? first == seq + 1 : first == kept + 1;
    if (!next)
        return hub_error_set(&call->err, HUB__ERROR_CODE__FAILED_PRECONDITION, "seq",
                             "%s event %llu/%llu does not follow the cursor %llu/%llu",
                             self->publisher, (unsigned long long)fe->epoch,
                             (unsigned long long)first, (unsigned long long)epoch,
                             (unsigned long long)seq);
    if (epoch && fe->epoch != epoch && kept)
        hub_warn("%s was restored from a backup (epoch %llu -> %llu): going on after %llu", self->publisher,
                 (unsigned long long)epoch, (unsigned long long)fe->epoch, (unsigned long long)kept);
    else if (epoch && fe->epoch != epoch)
        hub_warn("%s's epoch changed (%llu -> %llu): its store was reset; following the new one",
                 self->publisher, (unsigned long long)epoch, (unsigned long long)fe->epoch);
    apply_t a = {self, fe, from, n, 0};
    int tr = hub_call_try(call, s_apply_all, &a);
    if (tr < 0) return -1;
    if (tr > 0) {
        /* one event was refused: again one by one, each in its own nested
         * transaction, so only the refused ones are passed over */
        memset(&call->err, 0, sizeof call->err);
        for (size_t i = from; i < n; i++) {
            apply_one_t o = {&a, i};
            tr = hub_call_try(call, s_apply_single, &o);
            if (tr < 0) return -1;
            if (tr > 0) {
                hub_err("%s event %llu not applied: %s %s; skipped", self->publisher,
                        (unsigned long long)(fe->seq + i), hub_error_code_name(call->err.code), call->err.message);
                hub_rpc_count(call->rpc, "feed_events_failed_total", 1);
                memset(&call->err, 0, sizeof call->err);
            }
        }
    }
    uint64_t last = fe->seq + n - 1;
    if ((rc = hub_sub_cursor_put(self->store, call->txn, self->publisher, fe->epoch, last)))
        return hub_call_mdb_error(call, rc);
    rep->epoch = fe->epoch;
    rep->seq = last;
    rep->applied = true;
    hub_rpc_count(call->rpc, "feed_events_applied_total", n - from);
    return 0;
}

/* ---- the subscriber thread ---- */

static void s_nap(hub_feed_t *self, int ms)
{
    for (int t = 0; t < ms && !atomic_load(&self->stop); t += 100)
        nanosleep(&(struct timespec){0, 100 * 1000000L}, NULL);
}

/* The committed cursor. 0 or an MDB error. */
static int s_cursor(hub_feed_t *self, uint64_t *epoch, uint64_t *seq)
{
    MDB_txn *txn;
    int rc = hub_store_thread_read_begin(self->store, &txn); /* not during a map growth */
    if (rc) return rc;
    rc = hub_sub_cursor_load(self->store, txn, self->publisher, epoch, seq);
    hub_store_thread_read_end(self->store, txn);
    return rc;
}

/* Reads one answer from the daemon. 0 when it applied (or skipped) the
 * event, -1 when it refused. */
static int s_read_answer(hub_feed_t *self, void *dealer)
{
    zmq_msg_t f[3];
    int k = hub_zmq_recv(dealer, f, 3, 0, NULL);
    int rc = 0;
    if (k != 3 || zmq_msg_size(&f[1]) != 2) { /* ["", "OK"|"ERR", body] */
        rc = -1;
        if (k == 3) {
            hub_error_t err = {0};
            hub_wire_error_decode(zmq_msg_data(&f[2]), zmq_msg_size(&f[2]), &err);
            hub_warn("%s event refused: %s %s", self->publisher, hub_error_code_name(err.code),
                     err.message);
        }
    }
    hub_zmq_close(f, k);
    return rc;
}

/* Waits up to ms for answers while some are in flight; returns -1 if one
 * was a refusal. */
static int s_answers(hub_feed_t *self, void *dealer, int *inflight, int ms)
{
    int rc = 0;
    while (*inflight > 0) {
        zmq_pollitem_t it = {dealer, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, ms) <= 0) break;
        (*inflight)--;
        if (s_read_answer(self, dealer)) rc = -1;
        ms = 0;
    }
    return rc;
}

/* Packs ev into arena memory. NULL on budget. */
static uint8_t *s_pack_event(const Hub__Event *ev, hub_arena_t *arena, size_t *len)
{
    *len = hub__event__get_packed_size(ev);
    uint8_t *b = hub_arena_alloc(arena, *len + 1);
    if (b) hub__event__pack(ev, b);
    return b;
}

/* A batch being gathered: consecutive events of one epoch. */
typedef struct {
    Hub__FeedEvent fe;
    ProtobufCBinaryData more[FEED_BATCH - 1];
    size_t bytes;
} batch_t;

static size_t s_batch_n(const batch_t *b) { return b->fe.event.data ? 1 + b->fe.n_more : 0; }
static bool s_batch_full(const batch_t *b) { return s_batch_n(b) == FEED_BATCH || b->bytes >= FEED_BATCH_BYTES; }

/* Adds ev to b (with sub's publisher lineage). 1 added; 0 when it does not
 * belong (full, another epoch, not the next sequence): hand b over first;
 * -1 could not pack. */
static int s_batch_add(batch_t *b, const hub_sub_t *sub, uint64_t epoch, const Hub__Event *ev, hub_arena_t *arena)
{
    size_t n = s_batch_n(b);
    if (n && (s_batch_full(b) || epoch != b->fe.epoch || ev->seq != b->fe.seq + n)) return 0;
    size_t len;
    uint8_t *data = s_pack_event(ev, arena, &len);
    if (!data) return -1;
    if (!n) {
        b->fe.epoch = epoch;
        hub_sub_parent(sub, &b->fe.parent_epoch, &b->fe.parent_seq);
        b->fe.seq = ev->seq;
        b->fe.event = (ProtobufCBinaryData){len, data};
        b->fe.more = b->more;
    } else {
        b->more[b->fe.n_more++] = (ProtobufCBinaryData){len, data};
    }
    b->bytes += len;
    return 1;
}

/* Hands the batch to the daemon as one FeedEvent and empties it. 0 or -1. */
static int s_hand_over(hub_feed_t *self, void *dealer, batch_t *b, hub_arena_t *arena)
{
    b->fe.publisher = self->publisher;
    size_t len = hub__feed_event__get_packed_size(&b->fe);
    uint8_t *body = hub_arena_alloc(arena, len + 1);
    if (!body) return -1;
    hub__feed_event__pack(&b->fe, body);
    zmq_send(dealer, "", 0, ZMQ_SNDMORE);
    zmq_send(dealer, self->verb, strlen(self->verb), ZMQ_SNDMORE);
    zmq_send(dealer, body, len, 0);
    hub__feed_event__init(&b->fe);
    b->bytes = 0;
    return 0;
}

/* Gathers what the subscriber has at once (the first event waits up to
 * 100 ms) into batches of consecutive events and hands them over, at most
 * room commands (one more when an epoch change splits a batch). arena is
 * reset between full batches. Returns the number of commands sent, or -1
 * (restart the subscription from the committed cursor), logged. */
static int s_gather(hub_feed_t *self, void *dealer, hub_sub_t *sub, hub_arena_t *arena, int room)
{
    batch_t b;
    memset(&b, 0, sizeof b);
    hub__feed_event__init(&b.fe);
    int sent = 0;
    hub_arena_reset(arena);
    for (bool first = true;; first = false) {
        if (s_batch_full(&b)) {
            if (s_hand_over(self, dealer, &b, arena)) goto too_large;
            hub_arena_reset(arena);
            if (++sent >= room) return sent;
        }
        Hub__Event *ev;
        hub_error_t err = {0};
        int r = hub_sub_next(sub, first ? 100 : 0, arena, &ev, &err);
        if (r == 0) break;
        if (r < 0) {
            hub_err("%s feed: %s", self->publisher, err.message);
            return -1;
        }
        ev->digest = false;   /* a publisher's word is never taken for our own digest */
        if (self->digest) self->digest(ev, arena);
        int added = s_batch_add(&b, sub, hub_sub_epoch(sub), ev, arena);
        if (added == 0) {   /* another epoch or a jump: what came before goes alone */
            if (s_hand_over(self, dealer, &b, arena)) goto too_large;
            sent++;
            added = s_batch_add(&b, sub, hub_sub_epoch(sub), ev, arena);
        }
        if (added < 0) goto too_large;
    }
    if (s_batch_n(&b)) {
        if (s_hand_over(self, dealer, &b, arena)) goto too_large;
        sent++;
    }
    return sent;
too_large:
    hub_err("%s feed: an event too large to hand over", self->publisher);
    return -1;
}

static void *s_run(void *arg)
{
    hub_feed_t *self = arg;
    void *dealer = zmq_socket(self->zctx, ZMQ_DEALER);
    int linger = 0, hwm = HUB_FEED_WINDOW * 2;
    zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(dealer, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(dealer, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_connect(dealer, self->self_ep);
    hub_arena_t *arena = hub_arena_new(EVENT_ARENA);
    hub_curve_t curve = {self->server_key, self->public_key, self->secret_key};
    int backoff = 0;
    while (!atomic_load(&self->stop)) {
        uint64_t epoch, seq;
        int rc = s_cursor(self, &epoch, &seq);
        if (rc) {
            hub_err("%s feed: cannot read the cursor: %s", self->publisher, mdb_strerror(rc));
            s_nap(self, 1000);
            continue;
        }
        hub_sub_t *sub = hub_sub_new(self->zctx, self->pub_ep, self->api_ep,
                                     self->curve ? &curve : NULL, epoch, seq);
        int inflight = 0;
        bool restart = false;
        while (!atomic_load(&self->stop) && !restart) {
            if (s_answers(self, dealer, &inflight, inflight >= HUB_FEED_WINDOW ? 100 : 0))
                restart = true;
            if (restart || inflight >= HUB_FEED_WINDOW) continue;
            int sent = s_gather(self, dealer, sub, arena, HUB_FEED_WINDOW - inflight);
            if (sent < 0) {
                restart = true;
                continue;
            }
            inflight += sent;
            if (sent) backoff = 0;
        }
        /* the cursor to start again from is final once nothing is in flight */
        int64_t until = hub_mono_ms() + DRAIN_MS;
        while (inflight > 0 && !atomic_load(&self->stop) && hub_mono_ms() < until)
            s_answers(self, dealer, &inflight, 100);
        hub_sub_destroy(&sub);
        if (inflight > 0 && !atomic_load(&self->stop)) {
            /* answers lost (cannot happen on inproc): start clean */
            zmq_close(dealer);
            dealer = zmq_socket(self->zctx, ZMQ_DEALER);
            zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof linger);
            zmq_connect(dealer, self->self_ep);
        }
        if (restart) {
            backoff = backoff ? (backoff < 30000 ? backoff * 2 : 30000) : 500;
            s_nap(self, backoff);
        }
    }
    zmq_close(dealer);
    hub_arena_destroy(&arena);
    return NULL;
}

/* ---- life ---- */

hub_feed_t *hub_feed_new(hub_rpc_t *rpc, hub_store_t *store, void *zctx, const char *publisher,
                         const char *pub_ep, const char *api_ep, const hub_curve_t *curve,
                         hub_feed_apply_fn fn, void *arg, hub_error_t *err)
{
    if (!publisher || !*publisher || strlen(publisher) >= 40) {
        hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "", "bad publisher name");
        return NULL;
    }
    const char *self_ep = hub_rpc_self_endpoint(rpc, err);
    if (!self_ep) return NULL;
    hub_feed_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->rpc = rpc;
    self->store = store;
    self->zctx = zctx;
    self->fn = fn;
    self->arg = arg;
    snprintf(self->publisher, sizeof self->publisher, "%s", publisher);
    snprintf(self->verb, sizeof self->verb, "hub.feed.%s", publisher);
    snprintf(self->pub_ep, sizeof self->pub_ep, "%s", pub_ep);
    snprintf(self->api_ep, sizeof self->api_ep, "%s", api_ep);
    snprintf(self->self_ep, sizeof self->self_ep, "%s", self_ep);
    if (curve && curve->server_key) {
        self->curve = true;
        snprintf(self->server_key, sizeof self->server_key, "%s", curve->server_key);
        snprintf(self->public_key, sizeof self->public_key, "%s", curve->public_key);
        snprintf(self->secret_key, sizeof self->secret_key, "%s", curve->secret_key);
    }
    /* only the daemon's own inproc endpoint reaches it */
    self->handlers[0] = (hub_handler_t){self->verb, &hub__feed_event__descriptor, s_apply, HUB_ROLE_INTERNAL};
    if (hub_rpc_add_handlers(rpc, self->handlers, self)) {
        free(self);
        hub_error_set(err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too many handler tables");
        return NULL;
    }
    return self;
}

int hub_feed_start(hub_feed_t *self, hub_error_t *err)
{
    if (pthread_create(&self->thread, NULL, s_run, self))
        return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot start the %s feed thread",
                             self->publisher);
    self->started = true;
    return 0;
}

void hub_feed_set_done(hub_feed_t *self, hub_feed_done_fn fn) { self->done = fn; }

void hub_feed_set_digest(hub_feed_t *self, hub_feed_digest_fn fn) { self->digest = fn; }

void hub_feed_signal(hub_feed_t *self)
{
    if (self) atomic_store(&self->stop, 1);
}

void hub_feed_destroy(hub_feed_t **self_p)
{
    hub_feed_t *self = *self_p;
    if (!self) return;
    atomic_store(&self->stop, 1);
    if (self->started) pthread_join(self->thread, NULL);
    /* the handler table stays registered with rpc: it is destroyed next and
     * reads no more commands */
    free(self);
    *self_p = NULL;
}

int hub_feed_keys(const hub_config_t *cfg, const char *section, const char *publisher, char server_key[41],
                  char public_key[41], char secret_key[41], hub_error_t *err)
{
    char name[96];
    server_key[0] = public_key[0] = secret_key[0] = 0;
    snprintf(name, sizeof name, "%.40s_server_public_key_file", publisher);
    const char *sk = hub_config_get(cfg, section, name, "");
    if (!*sk) return 0;
    if (hub_auth_read_key(sk, server_key, err)) return -1;
    snprintf(name, sizeof name, "%.40s_public_key_file", publisher);
    if (hub_auth_read_key(hub_config_get(cfg, section, name, ""), public_key, err)) return -1;
    snprintf(name, sizeof name, "%.40s_secret_key_file", publisher);
    return hub_auth_read_key(hub_config_get(cfg, section, name, ""), secret_key, err);
}
