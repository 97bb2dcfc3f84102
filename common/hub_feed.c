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

#define EVENT_ARENA (64u << 20)   /* one decoded event and its FeedEvent copy */
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
    void *arg;
    hub_handler_t handlers[2];
    pthread_t thread;
    bool started;
    atomic_int stop;
};

/* ---- the loop thread: applying one event ---- */

typedef struct {
    hub_feed_t *self;
    const Hub__Event *ev;
} apply_t;

/* The service's part of applying an event (hub_call_fn). */
static int s_apply_one(hub_call_t *call, void *arg)
{
    apply_t *a = arg;
    return a->self->fn(call, a->self->publisher, a->ev, a->self->arg);
}

/* "hub.feed.<publisher>": applies the next event and moves the cursor, in
 * the command's transaction; skips one already applied; refuses a gap. */
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
    if (fe->epoch == epoch && fe->seq <= seq) {
        rep->epoch = epoch;
        rep->seq = seq;
        hub_rpc_count(call->rpc, "feed_events_skipped_total", 1);
        return 0;
    }
    bool next = fe->epoch == epoch ? fe->seq == seq + 1 : fe->seq == 1;
    if (!next)
        return hub_error_set(&call->err, HUB__ERROR_CODE__FAILED_PRECONDITION, "seq",
                             "%s event %llu/%llu does not follow the cursor %llu/%llu",
                             self->publisher, (unsigned long long)fe->epoch,
                             (unsigned long long)fe->seq, (unsigned long long)epoch,
                             (unsigned long long)seq);
    Hub__Event *ev = (Hub__Event *)hub_wire_unpack_max(&hub__event__descriptor, fe->event.data,
                                                       fe->event.len, HUB_WIRE_MAX_REPLY,
                                                       call->arena, &call->err);
    if (!ev) return -1;
    if (ev->seq != fe->seq)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "event.seq",
                             "event carries seq %llu, not %llu", (unsigned long long)ev->seq,
                             (unsigned long long)fe->seq);
    if (epoch && fe->epoch != epoch)
        hub_warn("%s's epoch changed (%llu -> %llu): its store was reset; following the new one",
                 self->publisher, (unsigned long long)epoch, (unsigned long long)fe->epoch);
    /* an event the service cannot apply (not a store error) is logged,
     * counted and passed over: it must not hold up every later one */
    apply_t a = {self, ev};
    int tr = hub_call_try(call, s_apply_one, &a);
    if (tr < 0) return -1;
    if (tr > 0) {
        hub_err("%s event %llu (%s) not applied: %s %s; skipped", self->publisher, (unsigned long long)fe->seq,
                ev->topic, hub_error_code_name(call->err.code), call->err.message);
        hub_rpc_count(call->rpc, "feed_events_failed_total", 1);
        memset(&call->err, 0, sizeof call->err);
    }
    if ((rc = hub_sub_cursor_put(self->store, call->txn, self->publisher, fe->epoch, fe->seq)))
        return hub_call_mdb_error(call, rc);
    rep->epoch = fe->epoch;
    rep->seq = fe->seq;
    rep->applied = true;
    hub_rpc_count(call->rpc, "feed_events_applied_total", 1);
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

/* Hands ev to the daemon as a FeedEvent. 0 or -1 (could not pack). */
static int s_hand_over(hub_feed_t *self, void *dealer, hub_sub_t *sub, const Hub__Event *ev,
                       hub_arena_t *arena)
{
    Hub__FeedEvent fe = HUB__FEED_EVENT__INIT;
    fe.publisher = self->publisher;
    fe.epoch = hub_sub_epoch(sub);
    fe.seq = ev->seq;
    fe.event.len = hub__event__get_packed_size(ev);
    if (!(fe.event.data = hub_arena_alloc(arena, fe.event.len + 1))) return -1;
    hub__event__pack(ev, fe.event.data);
    size_t len = hub__feed_event__get_packed_size(&fe);
    uint8_t *body = hub_arena_alloc(arena, len + 1);
    if (!body) return -1;
    hub__feed_event__pack(&fe, body);
    zmq_send(dealer, "", 0, ZMQ_SNDMORE);
    zmq_send(dealer, self->verb, strlen(self->verb), ZMQ_SNDMORE);
    zmq_send(dealer, body, len, 0);
    return 0;
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
            hub_arena_reset(arena);
            Hub__Event *ev;
            hub_error_t err = {0};
            int r = hub_sub_next(sub, 100, arena, &ev, &err);
            if (r == 0) continue;
            if (r < 0 || s_hand_over(self, dealer, sub, ev, arena)) {
                hub_err("%s feed: %s", self->publisher, r < 0 ? err.message : "event too large");
                restart = true;
                continue;
            }
            inflight++;
            backoff = 0;
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
