#include "hub_rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "hub_backup.h"
#include "hub_bus.h"
#include "hub_hist.h"
#include "hub_log.h"
#include "hub_sub.h"
#include "hub_util.h"
#include "version.h"

#define MAX_ENDPOINTS 4

typedef struct {
    zmq_msg_t id;                 /* routing identity */
    bool delim;                   /* peer sent an empty delimiter (REQ) */
    void *sock;
    char verb[HUB_RPC_MAX_VERB + 1];
    const hub_handler_t *h;
    void *hctx;                   /* the handler's context */
    ProtobufCMessage *req;
    hub_call_t call;
    char principal[64];
    char role[32];
    bool authenticated;
    bool done;                    /* error decided before the transaction */
    hub_arena_mark_t after_unpack; /* handler allocations start here (rewound on retry) */
} job_t;

typedef struct {
    const char *name;
    uint64_t value;
} counter_t;

/* The counters as they were: restored when what counted is rolled back. */
typedef struct {
    counter_t c[HUB_RPC_MAX_COUNTERS];
    int n;
} counters_snap_t;

/* A histogram reported by hub.status as two values, p50 and p99. */
typedef struct {
    const char *p50_name, *p99_name;
    const hub_hist_t *hist;
    uint64_t divisor;
} hist_gauge_t;
#define MAX_HISTS 8
#define MAX_QUEUES 8

/* The one "hub.backup" that may run at a time: it copies the store on a
 * libuv worker thread and is answered from the loop when done. */
typedef struct {
    uv_work_t work;
    bool running;
    hub_call_t *accepted;         /* the batch's accepted hub.backup call, until its reply */
    zmq_msg_t id;                 /* the caller, answered when the copy is done */
    void *sock;
    bool delim;
    char dir[HUB_BACKUP_MAX_PATH + 1];
    char root[HUB_BACKUP_MAX_PATH + 1]; /* [hub] backup_dir: "" = any absolute DIR */
    hub_backup_info_t info;
    hub_error_t err;
} backup_t;

struct hub_rpc {
    uv_loop_t *loop;
    void *zctx;
    const char *source;
    hub_store_t *store;
    hub_outbox_t *outbox;
    const hub_handler_t *handlers[HUB_RPC_MAX_TABLES];
    void *ctx[HUB_RPC_MAX_TABLES];
    int n_tables;
    hub_auth_t *auth;
    hub_zsock_t *self_dealer;     /* hub_rpc_post's socket to our own inproc endpoint */
    char self_endpoint[128];
    hub_zsock_t *routers[MAX_ENDPOINTS];
    bool curve[MAX_ENDPOINTS];
    bool internal[MAX_ENDPOINTS]; /* our own inproc endpoint: bodies up to HUB_WIRE_MAX_REPLY */
    int n_routers;
    void *pub;
    char pub_endpoint[512];
    char pub_key[41];             /* Z85 secret key, "" without CURVE */
    uv_timer_t heartbeat, reader_check;
    int timers_closed;
    int64_t started_ms;
    job_t jobs[HUB_RPC_BATCH];
    hub_arena_t *arenas[HUB_RPC_BATCH];
    counter_t counters[HUB_RPC_MAX_COUNTERS];
    int n_counters;
    hub_hist_t commit_us;         /* duration of each batch's commit */
    hub_hist_t batch_size;        /* commands per batch */
    hist_gauge_t hists[MAX_HISTS];
    int n_hists;
    struct { const char *name; MDB_dbi dbi; } queues[MAX_QUEUES];
    int n_queues;
    backup_t backup;
    bool destroyed;               /* hub_rpc_destroy ran: free when timers and backup are done */
};

static void s_snap(const hub_rpc_t *self, counters_snap_t *snap)
{
    memcpy(snap->c, self->counters, sizeof snap->c);
    snap->n = self->n_counters;
}

static void s_restore(hub_rpc_t *self, const counters_snap_t *snap)
{
    memcpy(self->counters, snap->c, sizeof snap->c);
    self->n_counters = snap->n;
}

static int s_replay(hub_call_t *call, void *ctx);
static int s_status(hub_call_t *call, void *ctx);
static int s_backup(hub_call_t *call, void *ctx);
static void s_backup_start(hub_rpc_t *self, job_t *j);
static void *s_socket(hub_rpc_t *self, int type, const char *endpoint, const char *secret_key,
                      hub_error_t *err);
static const hub_handler_t s_builtin[] = {
    {"hub.replay", &hub__replay_request__descriptor, s_replay, HUB_AUTH_EVENT_ROLES},
    {"hub.status", &hub__status_request__descriptor, s_status, HUB_STATUS_ROLES},
    {"hub.backup", &hub__backup_request__descriptor, s_backup, "operator"},
    {NULL, NULL, NULL, NULL},
};

void hub_rpc_count(hub_rpc_t *self, const char *name, uint64_t n)
{
    for (int i = 0; i < self->n_counters; i++)
        if (!strcmp(self->counters[i].name, name)) { self->counters[i].value += n; return; }
    if (self->n_counters < HUB_RPC_MAX_COUNTERS)
        self->counters[self->n_counters++] = (counter_t){name, n};
}

int hub_rpc_add_hist(hub_rpc_t *self, const char *p50_name, const char *p99_name, const hub_hist_t *hist,
                     uint64_t divisor)
{
    if (self->n_hists == MAX_HISTS) return -1;
    self->hists[self->n_hists++] = (hist_gauge_t){p50_name, p99_name, hist, divisor ? divisor : 1};
    return 0;
}

int hub_rpc_add_queue(hub_rpc_t *self, const char *name, MDB_dbi dbi)
{
    if (self->n_queues == MAX_QUEUES) return -1;
    self->queues[self->n_queues].name = name;
    self->queues[self->n_queues++].dbi = dbi;
    return 0;
}

uint64_t hub_rpc_counter(hub_rpc_t *self, const char *name)
{
    for (int i = 0; i < self->n_counters; i++)
        if (!strcmp(self->counters[i].name, name)) return self->counters[i].value;
    return 0;
}

int hub_call_mdb_error(hub_call_t *call, int rc)
{
    call->mdb_rc = rc;
    return hub_error_set(&call->err, HUB__ERROR_CODE__INTERNAL, "", "store error: %s",
                         mdb_strerror(rc));
}

int hub_call_try(hub_call_t *call, hub_call_fn fn, void *arg)
{
    hub_rpc_t *self = call->rpc;
    MDB_txn *parent = call->txn, *child;
    int rc = mdb_txn_begin(self->store->env, parent, 0, &child);
    if (rc) return hub_call_mdb_error(call, rc);
    size_t mark = hub_outbox_mark(call->outbox);
    counters_snap_t snap;
    s_snap(self, &snap);
    call->txn = child;
    int r = fn(call, arg);
    call->txn = parent;
    if (r == 0) {
        if (!(rc = mdb_txn_commit(child))) return 0;
        hub_outbox_rollback(call->outbox, mark);
        return hub_call_mdb_error(call, rc);
    }
    mdb_txn_abort(child);
    hub_outbox_rollback(call->outbox, mark);
    s_restore(self, &snap);
    if (call->mdb_rc) return -1;
    if (!call->err.code) hub_error_set(&call->err, HUB__ERROR_CODE__INTERNAL, "", "refused");
    return 1;
}

bool hub_call_has_role(const hub_call_t *call, const char *roles)
{
    return !strcmp(call->role, HUB_ROLE_TRUSTED) || !roles || hub_auth_role_in(call->role, roles);
}

/* The handler of verb and its context (*ctx), or NULL. */
static const hub_handler_t *s_find(hub_rpc_t *self, const char *verb, void **ctx)
{
    *ctx = NULL;
    for (const hub_handler_t *h = s_builtin; h->verb; h++)
        if (!strcmp(h->verb, verb)) return h;
    for (int t = 0; t < self->n_tables; t++)
        for (const hub_handler_t *h = self->handlers[t]; h && h->verb; h++)
            if (!strcmp(h->verb, verb)) { *ctx = self->ctx[t]; return h; }
    return NULL;
}

int hub_rpc_add_handlers(hub_rpc_t *self, const hub_handler_t *handlers, void *ctx)
{
    if (self->n_tables == HUB_RPC_MAX_TABLES) return -1;
    self->handlers[self->n_tables] = handlers;
    self->ctx[self->n_tables++] = ctx;
    return 0;
}

/* Counts an error by code: errors_total and errors_<code>_total. */
static void s_count_error(hub_rpc_t *self, Hub__ErrorCode code)
{
    static char names[16][48];
    hub_rpc_count(self, "errors_total", 1);
    if ((unsigned)code < 16) {
        if (!names[code][0]) {
            char tmp[48];
            snprintf(tmp, sizeof tmp, "errors_%s_total", hub_error_code_name(code));
            for (char *p = tmp; *p; p++) if (*p >= 'A' && *p <= 'Z') *p += 32;
            memcpy(names[code], tmp, sizeof tmp);
        }
        hub_rpc_count(self, names[code], 1);
    }
}

/* Reads one multipart message into job j. Returns 1 when a message was read
 * (the job may already carry an error), 0 when the socket is empty. */
static int s_read_job(hub_rpc_t *self, void *sock, bool curve, bool internal, job_t *j,
                      hub_arena_t *arena)
{
    zmq_msg_t frames[HUB_RPC_MAX_FRAMES];
    int extra = 0, n = hub_zmq_recv(sock, frames, HUB_RPC_MAX_FRAMES, ZMQ_DONTWAIT, &extra);
    if (!n) return 0;
    memset(&j->call, 0, sizeof j->call);
    j->call.arena = arena;
    j->sock = sock;
    j->done = false;
    j->req = NULL;
    j->h = NULL;
    j->verb[0] = 0;
    zmq_msg_init(&j->id);
    zmq_msg_move(&j->id, &frames[0]);
    int k = 1;
    j->delim = n > 1 && zmq_msg_size(&frames[1]) == 0;
    if (j->delim) k = 2;
    hub_error_t *err = &j->call.err;
    hub_rpc_count(self, "commands_total", 1);

    const char *uid = n > k ? zmq_msg_gets(&frames[k], "User-Id") : NULL;
    j->authenticated = curve;
    if (curve) {
        /* the ZAP User-Id is the public key: a revoked or rotated key is
         * refused on its next command, even on a session opened before */
        const hub_principal_t *p = uid && *uid ? hub_auth_find_key(self->auth, uid) : NULL;
        if (!p) {
            hub_error_set(err, HUB__ERROR_CODE__UNAUTHENTICATED, "", "unknown or revoked principal");
            goto done;
        }
        snprintf(j->principal, sizeof j->principal, "%s", p->id);
        snprintf(j->role, sizeof j->role, "%s", p->role);
    } else {
        strcpy(j->principal, "local");
        strcpy(j->role, HUB_ROLE_TRUSTED);
    }
    if (extra || n - k != 2) {
        hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                      "expected frames [verb][body] after the envelope, got %d", n - k + extra);
        goto done;
    }
    size_t vlen = zmq_msg_size(&frames[k]);
    if (vlen == 0 || vlen > HUB_RPC_MAX_VERB || !hub_utf8_valid(zmq_msg_data(&frames[k]), vlen)) {
        hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "verb", "bad verb frame");
        goto done;
    }
    memcpy(j->verb, zmq_msg_data(&frames[k]), vlen);
    j->verb[vlen] = 0;
    /* internal verbs exist only for our own inproc peers */
    if ((j->h = s_find(self, j->verb, &j->hctx)) && j->h->roles && !internal &&
        !strcmp(j->h->roles, HUB_ROLE_INTERNAL))
        j->h = NULL;
    if (!j->h) {
        hub_error_set(err, HUB__ERROR_CODE__NOT_FOUND, "verb", "unknown command \"%s\"", j->verb);
        goto done;
    }
    /* our own calls (feeds, timers: inproc, this process only) relay whole
     * events, up to a reply's size, that were validated where they came
     * in: they are decoded without walking them again */
    if (internal && zmq_msg_size(&frames[k + 1]) <= HUB_WIRE_MAX_REPLY) {
        j->req = protobuf_c_message_unpack(j->h->req_desc, hub_arena_allocator(arena), zmq_msg_size(&frames[k + 1]),
                                           zmq_msg_data(&frames[k + 1]));
        if (!j->req) hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "", "malformed internal command body");
    } else {
        j->req = hub_wire_unpack_max(j->h->req_desc, zmq_msg_data(&frames[k + 1]), zmq_msg_size(&frames[k + 1]),
                                     internal ? HUB_WIRE_MAX_REPLY : HUB_WIRE_MAX_BODY, arena, err);
    }
    if (!j->req) goto done;
    j->call.verb = j->verb;
    j->call.req = j->req;
    j->call.principal = j->principal;
    j->call.role = j->role;
    j->call.authenticated = j->authenticated;
    if (!hub_call_has_role(&j->call, j->h->roles))
        hub_error_set(err, HUB__ERROR_CODE__PERMISSION_DENIED, "",
                      "role %s may not call %s", j->role, j->verb);
    j->after_unpack = hub_arena_mark(arena);
done:
    j->done = err->code != 0;
    hub_zmq_close(frames, n);
    return 1;
}

static void s_send_reply(hub_rpc_t *self, job_t *j)
{
    hub_call_t *c = &j->call;
    size_t len = 0;
    uint8_t *body = NULL;
    if (!c->err.code && c->reply) {
        body = hub_wire_pack(c->reply, c->arena, &len);
        if (!body) hub_error_set(&c->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "reply too large");
    }
    if (c->err.code) {
        Hub__Error e = HUB__ERROR__INIT;
        e.code = c->err.code;
        e.field = c->err.field;
        e.message = c->err.message;
        len = hub__error__get_packed_size(&e);
        body = alloca(len + 1);
        hub__error__pack(&e, body);
        s_count_error(self, c->err.code);
        hub_debug("%s: %s %s", j->verb, hub_error_code_name(c->err.code), c->err.message);
    }
    zmq_msg_send(&j->id, j->sock, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (j->delim) zmq_send(j->sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(j->sock, c->err.code ? "ERR" : "OK", c->err.code ? 3 : 2, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(j->sock, body ? body : (uint8_t *)"", len, ZMQ_DONTWAIT);
    zmq_msg_close(&j->id);
}

static void s_publish(hub_rpc_t *self, const char *topic, uint64_t seq, const void *data, size_t len)
{
    if (!self->pub) return;
    uint8_t hdr[16];
    hub_be64_put(hdr, self->outbox->epoch);
    hub_be64_put(hdr + 8, seq);
    zmq_send(self->pub, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(self->pub, hdr, 16, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(self->pub, data, len, ZMQ_DONTWAIT);
}

/* Runs jobs[0..n) in one write transaction; see the header for the rules. */
static void s_run_batch(hub_rpc_t *self, int n)
{
    MDB_env *env = self->store->env;
    int rc;
    /* counters bumped by handlers are restored if the batch has to run again */
    counters_snap_t saved;
    s_snap(self, &saved);
    int grown = 0;
    for (int attempt = 0;; attempt++) {
        MDB_txn *txn = NULL;
        bool map_full = false;
        if (attempt) s_restore(self, &saved);
        if ((rc = mdb_txn_begin(env, NULL, 0, &txn))) goto fail_all;
        for (int i = 0; i < n; i++) {
            job_t *j = &self->jobs[i];
            if (j->done) continue;
            hub_call_t *c = &j->call;
            hub_arena_rewind(c->arena, j->after_unpack);
            c->reply = NULL;
            c->err.code = 0;
            c->mdb_rc = 0;
            c->rpc = self;
            c->outbox = self->outbox;
            size_t mark = hub_outbox_mark(self->outbox);
            /* a refused command leaves no count behind either */
            counters_snap_t before;
            s_snap(self, &before);
            bool ok = false;
            if ((rc = mdb_txn_begin(env, txn, 0, &c->txn))) { hub_call_mdb_error(c, rc); }
            else if (j->h->fn(c, j->hctx) == 0) {
                if ((rc = mdb_txn_commit(c->txn))) hub_call_mdb_error(c, rc);
                else ok = true;
            } else {
                mdb_txn_abort(c->txn);
                if (!c->err.code) hub_error_set(&c->err, HUB__ERROR_CODE__INTERNAL, "", "command failed");
            }
            c->txn = NULL;
            if (!ok) {
                hub_outbox_rollback(self->outbox, mark);
                s_restore(self, &before);
            }
            if (c->mdb_rc == MDB_MAP_FULL) { map_full = true; break; }
        }
        if (!map_full) {
            int64_t t0 = hub_mono_ns();
            rc = mdb_txn_commit(txn);
            hub_hist_add(&self->commit_us, (uint64_t)(hub_mono_ns() - t0) / 1000);
            if (rc == MDB_MAP_FULL) map_full = true;
        } else {
            mdb_txn_abort(txn);
        }
        if (map_full && attempt < 8) {
            hub_outbox_clear(self->outbox);
            if ((rc = hub_store_grow(self->store))) {
                hub_rpc_count(self, "store_map_grown_total", (uint64_t)grown);
                /* LMDB has unmapped the old map: the env is unusable. Nothing
                 * of this batch was acknowledged; a restart recovers. */
                hub_err("cannot grow the store map: %s; exiting", mdb_strerror(rc));
                abort();
            }
            grown++;
            continue;
        }
        if (map_full && !rc) rc = MDB_MAP_FULL;
        if (rc) goto fail_all;
        break;
    }
    hub_hist_add(&self->batch_size, (uint64_t)n);
    if (grown) hub_rpc_count(self, "store_map_grown_total", (uint64_t)grown);
    hub_outbox_committed(self->outbox);
    for (size_t i = 0; i < self->outbox->n_pending; i++) {
        hub_outbox_item_t *it = &self->outbox->pending[i];
        s_publish(self, it->topic, it->seq, it->data, it->len);
    }
    hub_rpc_count(self, "events_published_total", self->outbox->n_pending);
    hub_outbox_clear(self->outbox);
    goto reply;
fail_all:
    hub_err("batch of %d commands not applied: %s", n, mdb_strerror(rc));
    hub_outbox_clear(self->outbox);
    for (int i = 0; i < n; i++)
        if (!self->jobs[i].done)
            hub_error_set(&self->jobs[i].call.err, HUB__ERROR_CODE__INTERNAL, "",
                          "store error, not applied: %s", mdb_strerror(rc));
reply:
    for (int i = 0; i < n; i++) {
        if (&self->jobs[i].call == self->backup.accepted && !self->jobs[i].call.err.code)
            s_backup_start(self, &self->jobs[i]); /* answered when the copy is done */
        else
            s_send_reply(self, &self->jobs[i]);
        hub_arena_reset(self->arenas[i]);
    }
    self->backup.accepted = NULL;
    if (hub_store_preallocate(self->store) > 0) hub_rpc_count(self, "store_preallocated_total", 1);
}

static void s_router_cb(hub_zsock_t *zs, void *sock, void *arg)
{
    hub_rpc_t *self = arg;
    bool curve = false, internal = false;
    for (int i = 0; i < self->n_routers; i++)
        if (self->routers[i] == zs) { curve = self->curve[i]; internal = self->internal[i]; }
    int n = 0, replays = 0;
    while (n < HUB_RPC_BATCH) {
        if (!self->arenas[n] && !(self->arenas[n] = hub_arena_new(HUB_WIRE_ARENA_BUDGET))) abort();
        if (!s_read_job(self, sock, curve, internal, &self->jobs[n], self->arenas[n])) break;
        /* a replay reply may take up to 2 MiB: bound the batch's memory */
        if (self->jobs[n++].h == &s_builtin[0] && ++replays == HUB_RPC_BATCH_REPLAYS) break;
    }
    if (n) s_run_batch(self, n);
}

/* ---- built-in verbs ---- */
typedef struct {
    hub_call_t *call;
    Hub__ReplayReply *rep;
    size_t bytes;
} replay_ctx_t;

static int s_replay_one(uint64_t seq, const void *data, size_t len, void *arg)
{
    (void)seq;
    replay_ctx_t *r = arg;
    /* keep replies bounded: the copy and the packed reply share the arena */
    if (r->rep->n_events && r->bytes + len > HUB_RPC_REPLAY_BYTES) return 1;
    ProtobufCBinaryData *b = &r->rep->events[r->rep->n_events];
    b->data = hub_arena_alloc(r->call->arena, len ? len : 1);
    if (!b->data) return 1;
    memcpy(b->data, data, len);
    b->len = len;
    r->rep->n_events++;
    r->bytes += len;
    return 0;
}

static int s_replay(hub_call_t *call, void *ctx)
{
    (void)ctx;
    const Hub__ReplayRequest *req = (const Hub__ReplayRequest *)call->req;
    hub_outbox_t *ob = call->outbox;
    Hub__ReplayReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    hub__replay_reply__init(rep);
    unsigned max = req->max && req->max < 1000 ? req->max : 1000;
    rep->epoch = ob->epoch;
    rep->last_seq = ob->next_seq - 1; /* includes this batch's earlier commands */
    rep->first_kept_seq = hub_outbox_first_seq(ob, call->txn);
    rep->parent_epoch = ob->parent_epoch; /* a restored store's lineage (hub_outbox_fork) */
    rep->parent_seq = ob->parent_seq;
    uint64_t from = req->from_seq ? req->from_seq : 1;
    if (from < rep->first_kept_seq && rep->first_kept_seq > 1)
        return hub_error_set(&call->err, HUB__ERROR_CODE__OUT_OF_RANGE, "from_seq",
                             "events before %llu are no longer kept: snapshot required",
                             (unsigned long long)rep->first_kept_seq);
    rep->events = hub_arena_alloc(call->arena, max * sizeof *rep->events);
    replay_ctx_t r = {call, rep, 0};
    int rc = hub_outbox_read(ob, call->txn, from, max, s_replay_one, &r);
    if (rc) return hub_call_mdb_error(call, rc);
    hub_rpc_count(call->rpc, "replay_events_total", rep->n_events);
    call->reply = &rep->base;
    return 0;
}

/* Adds the daemon's durable subscriber cursors (meta "sub:<publisher>:seq",
 * see hub_sub) to a status reply; at most 72. Arena-owned. */
static void s_status_cursors(hub_rpc_t *self, hub_call_t *call, Hub__StatusReply *rep)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(call->txn, self->store->meta, &cur)) return;
    enum { MAX_SUBS = 72 };   /* a city reporting follows 4 upstreams x 17 districts */
    rep->subscriptions = hub_arena_alloc(call->arena, MAX_SUBS * sizeof(void *));
    MDB_val k = {4, "sub:"}, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; !rc && rep->subscriptions && rep->n_subscriptions < MAX_SUBS; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < 8 || memcmp(k.mv_data, "sub:", 4)) break;
        if (memcmp((char *)k.mv_data + k.mv_size - 4, ":seq", 4) || k.mv_size > 100) continue;
        Hub__Subscription *s = hub_arena_alloc(call->arena, sizeof *s);
        char *name = hub_arena_alloc(call->arena, k.mv_size - 7);
        if (!s || !name) break;
        hub__subscription__init(s);
        memcpy(name, (char *)k.mv_data + 4, k.mv_size - 8);
        name[k.mv_size - 8] = 0;
        s->publisher = name;
        hub_sub_cursor_load(self->store, call->txn, name, &s->epoch, &s->seq);
        rep->subscriptions[rep->n_subscriptions++] = s;
    }
    mdb_cursor_close(cur);
}

static int s_status(hub_call_t *call, void *ctx)
{
    (void)ctx;
    hub_rpc_t *self = call->rpc;
    Hub__StatusReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    hub__status_reply__init(rep);
    rep->source = (char *)self->source;
    rep->version = (char *)HUB_VERSION;
    rep->uptime_s = (hub_now_ms() - self->started_ms) / 1000;
    rep->epoch = self->outbox->epoch;
    rep->last_seq = self->outbox->last_seq;
    rep->store_bytes = hub_store_file_bytes(self->store);
    rep->counters = hub_arena_alloc(call->arena, (self->n_counters + 1) * sizeof(void *));
    Hub__Counter *cs = hub_arena_alloc(call->arena, (self->n_counters + 1) * sizeof *cs);
    for (int i = 0; i < self->n_counters; i++) {
        hub__counter__init(&cs[i]);
        cs[i].name = (char *)self->counters[i].name;
        cs[i].value = self->counters[i].value;
        rep->counters[rep->n_counters++] = &cs[i];
    }
    hub__counter__init(&cs[self->n_counters]);
    cs[self->n_counters].name = "auth_refused_total";
    cs[self->n_counters].value = hub_auth_refused(self->auth);
    rep->counters[rep->n_counters++] = &cs[self->n_counters];
    /* histograms as p50/p99 values, computed now rather than per sample */
    Hub__Counter *gs = hub_arena_alloc(call->arena, 2 * MAX_HISTS * sizeof *gs);
    void **arr = hub_arena_alloc(call->arena, (rep->n_counters + 2 * MAX_HISTS) * sizeof *arr);
    if (gs && arr) {
        memcpy(arr, rep->counters, rep->n_counters * sizeof *arr);
        rep->counters = (Hub__Counter **)arr;
        for (int i = 0; i < self->n_hists; i++) {
            const hist_gauge_t *g = &self->hists[i];
            Hub__Counter *p = &gs[2 * i];
            hub__counter__init(&p[0]);
            hub__counter__init(&p[1]);
            p[0].name = (char *)g->p50_name;
            p[0].value = hub_hist_quantile(g->hist, 0.50) / g->divisor;
            p[1].name = (char *)g->p99_name;
            p[1].value = hub_hist_quantile(g->hist, 0.99) / g->divisor;
            rep->counters[rep->n_counters++] = &p[0];
            rep->counters[rep->n_counters++] = &p[1];
        }
    }
    s_status_cursors(self, call, rep);
    rep->queues = hub_arena_alloc(call->arena, (self->n_queues + 1) * sizeof(void *));
    Hub__Counter *qs = hub_arena_alloc(call->arena, (self->n_queues + 1) * sizeof *qs);
    for (int i = 0; rep->queues && qs && i < self->n_queues; i++) {
        MDB_stat st;
        hub__counter__init(&qs[i]);
        qs[i].name = (char *)self->queues[i].name;
        qs[i].value = mdb_stat(call->txn, self->queues[i].dbi, &st) ? 0 : st.ms_entries;
        rep->queues[rep->n_queues++] = &qs[i];
    }
    rep->principals = (uint32_t)hub_auth_count(self->auth);
    rep->principals_digest = (char *)hub_auth_digest(self->auth);
    call->reply = &rep->base;
    return 0;
}

/* ---- hub.backup: the copy runs on a worker thread, the reply comes later ---- */

/* Accepts a backup: checks the target now (the copy starts after the
 * batch's commit, s_backup_start). One at a time. */
static int s_backup(hub_call_t *call, void *ctx)
{
    (void)ctx;
    hub_rpc_t *self = call->rpc;
    const Hub__BackupRequest *req = (const Hub__BackupRequest *)call->req;
    if (self->backup.running || (self->backup.accepted && self->backup.accepted != call))
        return hub_error_set(&call->err, HUB__ERROR_CODE__FAILED_PRECONDITION, "",
                             "a backup of %s is already running", self->source);
    if (hub_backup_check(req->dir, self->source, &call->err) ||
        hub_backup_confine(req->dir, self->backup.root, &call->err))
        return -1;
    snprintf(self->backup.dir, sizeof self->backup.dir, "%s", req->dir);
    self->backup.accepted = call;
    return 0;
}

void hub_rpc_set_backup_root(hub_rpc_t *self, const char *root)
{
    snprintf(self->backup.root, sizeof self->backup.root, "%s", root ? root : "");
}

/* Frees self once its timers are closed and no backup runs (libuv
 * releases handle memory only after the close callback). */
static void s_free(hub_rpc_t *self)
{
    if (self->timers_closed < 2 || self->backup.running) return;
    for (int i = 0; i < HUB_RPC_BATCH; i++) hub_arena_destroy(&self->arenas[i]);
    free(self);
}

/* Answers the backup's caller with its result. Loop thread. */
static void s_backup_reply(hub_rpc_t *self)
{
    backup_t *b = &self->backup;
    job_t j;
    memset(&j, 0, sizeof j);
    zmq_msg_init(&j.id);
    zmq_msg_move(&j.id, &b->id);
    zmq_msg_close(&b->id);
    j.sock = b->sock;
    j.delim = b->delim;
    strcpy(j.verb, "hub.backup");
    if (!self->arenas[0] && !(self->arenas[0] = hub_arena_new(HUB_WIRE_ARENA_BUDGET))) abort();
    j.call.arena = self->arenas[0]; /* free between batches */
    Hub__BackupReply rep = HUB__BACKUP_REPLY__INIT;
    if (b->err.code) {
        j.call.err = b->err;
        hub_err("backup into %s failed: %s", b->dir, b->err.message);
        hub_rpc_count(self, "backups_failed_total", 1);
    } else {
        rep.path = b->info.path;
        rep.bytes = b->info.bytes;
        rep.epoch = b->info.epoch;
        rep.last_seq = b->info.last_seq;
        rep.schema_version = b->info.schema_version;
        rep.time_ms = b->info.time_ms;
        rep.duration_ms = b->info.duration_ms;
        j.call.reply = &rep.base;
        hub_rpc_count(self, "backups_total", 1);
    }
    s_send_reply(self, &j);
    hub_arena_reset(self->arenas[0]);
}

static void s_backup_work(uv_work_t *w)
{
    hub_rpc_t *self = w->data;
    hub_backup_write(self->store, self->backup.dir, self->source, &self->backup.info, &self->backup.err);
}

static void s_backup_done(uv_work_t *w, int status)
{
    hub_rpc_t *self = w->data;
    self->backup.running = false;
    if (self->destroyed) { /* its socket is gone: nobody to answer */
        zmq_msg_close(&self->backup.id);
        s_free(self);
        return;
    }
    if (status && !self->backup.err.code)
        hub_error_set(&self->backup.err, HUB__ERROR_CODE__UNAVAILABLE, "", "backup cancelled");
    s_backup_reply(self);
}

/* Takes over j's caller and starts the copy on a worker thread. */
static void s_backup_start(hub_rpc_t *self, job_t *j)
{
    backup_t *b = &self->backup;
    b->accepted = NULL;
    zmq_msg_init(&b->id);
    zmq_msg_move(&b->id, &j->id);
    zmq_msg_close(&j->id);
    b->sock = j->sock;
    b->delim = j->delim;
    memset(&b->err, 0, sizeof b->err);
    memset(&b->info, 0, sizeof b->info);
    b->work.data = self;
    int rc = uv_queue_work(self->loop, &b->work, s_backup_work, s_backup_done);
    if (rc) {
        hub_error_set(&b->err, HUB__ERROR_CODE__INTERNAL, "", "cannot start the backup: %s", uv_strerror(rc));
        s_backup_reply(self);
        return;
    }
    b->running = true;
    hub_info("backup into %s/%s started", b->dir, self->source);
}

/* ---- timers ---- */
static void s_heartbeat_cb(uv_timer_t *t)
{
    hub_rpc_t *self = t->data;
    Hub__Heartbeat hb = HUB__HEARTBEAT__INIT;
    hb.source = (char *)self->source;
    hb.epoch = self->outbox->epoch;
    hb.last_seq = self->outbox->last_seq;
    hb.time_ms = hub_now_ms();
    hb.uptime_s = (hb.time_ms - self->started_ms) / 1000;
    uint8_t buf[128];
    size_t len = hub__heartbeat__pack(&hb, buf);
    s_publish(self, "hub.heartbeat", hb.last_seq, buf, len);
}

static void s_reader_check_cb(uv_timer_t *t)
{
    hub_rpc_t *self = t->data;
    hub_store_reader_check(self->store);
}

hub_rpc_t *hub_rpc_new(uv_loop_t *loop, void *zctx, const char *source, hub_store_t *store,
                       hub_outbox_t *outbox, const hub_handler_t *handlers, void *ctx)
{
    hub_rpc_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->loop = loop;
    self->zctx = zctx;
    self->source = source;
    self->store = store;
    self->outbox = outbox;
    hub_rpc_add_handlers(self, handlers, ctx);
    self->started_ms = hub_now_ms();
    uv_timer_init(loop, &self->heartbeat);
    uv_timer_init(loop, &self->reader_check);
    self->heartbeat.data = self->reader_check.data = self;
    uv_timer_start(&self->reader_check, s_reader_check_cb, 60000, 60000);
    /* how the group commit behaves: commit time and commands per batch */
    hub_rpc_add_hist(self, "commit_p50_us", "commit_p99_us", &self->commit_us, 1);
    hub_rpc_add_hist(self, "batch_p50", "batch_p99", &self->batch_size, 1);
    return self;
}

void hub_rpc_set_auth(hub_rpc_t *self, hub_auth_t *auth) { self->auth = auth; }

int hub_rpc_rebind_pub(hub_rpc_t *self, hub_error_t *err)
{
    if (!self->pub) return 0;
    zmq_close(self->pub); /* linger 0: drops every session, authorized or not */
    self->pub = s_socket(self, ZMQ_PUB, self->pub_endpoint, *self->pub_key ? self->pub_key : NULL, err);
    return self->pub ? 0 : -1;
}

static void *s_socket(hub_rpc_t *self, int type, const char *endpoint, const char *secret_key,
                      hub_error_t *err)
{
    if (!secret_key && !hub_endpoint_is_local(endpoint)) {
        hub_error_set(err, HUB__ERROR_CODE__FAILED_PRECONDITION, "",
                      "refusing to listen on %s without CURVE: set curve = on", endpoint);
        return NULL;
    }
    if (secret_key && !self->auth) {
        hub_error_set(err, HUB__ERROR_CODE__FAILED_PRECONDITION, "",
                      "CURVE endpoint %s needs a principals file", endpoint);
        return NULL;
    }
    void *s = zmq_socket(self->zctx, type);
    /* PUB queues many events for slow subscribers (they replay anyway);
     * ROUTER queues few commands per peer, so a peer cannot fill memory */
    int linger = 0, one = 1, hwm = type == ZMQ_PUB ? 100000 : 1000;
    int64_t maxmsg = HUB_RPC_HARD_MAXMSG;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (type == ZMQ_ROUTER) zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &(int){0}, sizeof(int));
    if (secret_key) {
        zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one);
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, secret_key, 40);
        const char *domain = type == ZMQ_PUB ? HUB_AUTH_DOMAIN_EVENTS : HUB_AUTH_DOMAIN_COMMANDS;
        zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, domain, strlen(domain));
    }
    if (zmq_bind(s, endpoint)) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot bind %s: %s", endpoint,
                      zmq_strerror(zmq_errno()));
        zmq_close(s);
        return NULL;
    }
    return s;
}

int hub_rpc_bind(hub_rpc_t *self, const char *endpoint, const char *secret_key, hub_error_t *err)
{
    if (self->n_routers == MAX_ENDPOINTS)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "", "too many endpoints");
    void *s = s_socket(self, ZMQ_ROUTER, endpoint, secret_key, err);
    if (!s) return -1;
    self->curve[self->n_routers] = secret_key != NULL;
    self->routers[self->n_routers++] = hub_zsock_new(self->loop, s, s_router_cb, self);
    return 0;
}

int hub_rpc_bind_pub(hub_rpc_t *self, const char *endpoint, const char *secret_key,
                     int heartbeat_ms, hub_error_t *err)
{
    if (!(self->pub = s_socket(self, ZMQ_PUB, endpoint, secret_key, err))) return -1;
    snprintf(self->pub_endpoint, sizeof self->pub_endpoint, "%s", endpoint);
    snprintf(self->pub_key, sizeof self->pub_key, "%s", secret_key ? secret_key : "");
    if (heartbeat_ms > 0) uv_timer_start(&self->heartbeat, s_heartbeat_cb, heartbeat_ms, heartbeat_ms);
    return 0;
}

/* ---- calls to ourselves ---- */
const char *hub_rpc_self_endpoint(hub_rpc_t *self, hub_error_t *err)
{
    if (self->self_endpoint[0]) return self->self_endpoint;
    char ep[sizeof self->self_endpoint];
    snprintf(ep, sizeof ep, "inproc://hub-%s-self", self->source);
    if (hub_rpc_bind(self, ep, NULL, err)) return NULL;
    self->internal[self->n_routers - 1] = true;
    memcpy(self->self_endpoint, ep, sizeof ep);
    return self->self_endpoint;
}

/* Replies to hub_rpc_post: only failures are of interest. */
static void s_self_reply_cb(hub_zsock_t *zs, void *sock, void *arg)
{
    (void)zs;
    hub_rpc_t *self = arg;
    for (int n = 0; n < HUB_RPC_BATCH; n++) {
        zmq_msg_t f[4];
        int k = hub_zmq_recv(sock, f, 4, ZMQ_DONTWAIT, NULL);
        if (!k) return;
        /* ["", status, body] */
        if (k == 3 && zmq_msg_size(&f[1]) == 3 && !memcmp(zmq_msg_data(&f[1]), "ERR", 3)) {
            hub_error_t err = {0};
            hub_wire_error_decode(zmq_msg_data(&f[2]), zmq_msg_size(&f[2]), &err);
            hub_rpc_count(self, "self_calls_failed_total", 1);
            hub_warn("internal command failed: %s %s", hub_error_code_name(err.code), err.message);
        }
        hub_zmq_close(f, k);
    }
}

int hub_rpc_post(hub_rpc_t *self, const char *verb, const ProtobufCMessage *msg, hub_error_t *err)
{
    if (!self->self_dealer) {
        const char *ep = hub_rpc_self_endpoint(self, err);
        if (!ep) return -1;
        void *s = zmq_socket(self->zctx, ZMQ_DEALER);
        int linger = 0;
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
        if (zmq_connect(s, ep)) {
            zmq_close(s);
            return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot connect %s", ep);
        }
        self->self_dealer = hub_zsock_new(self->loop, s, s_self_reply_cb, self);
    }
    void *s = hub_zsock_socket(self->self_dealer);
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) abort();
    protobuf_c_message_pack(msg, buf);
    int rc = zmq_send(s, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
             zmq_send(s, verb, strlen(verb), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
             zmq_send(s, buf, len, ZMQ_DONTWAIT) < 0;
    free(buf);
    if (rc) return hub_error_set(err, HUB__ERROR_CODE__UNAVAILABLE, "", "cannot post %s: %s", verb,
                                 zmq_strerror(zmq_errno()));
    return 0;
}

/* Frees self once both timers have closed (libuv releases handle memory
 * only after the close callback). */
static void s_timer_closed(uv_handle_t *h)
{
    hub_rpc_t *self = h->data;
    ++self->timers_closed;
    s_free(self);
}

void hub_rpc_destroy(hub_rpc_t **self_p)
{
    hub_rpc_t *self = *self_p;
    if (!self) return;
    /* give the replies of the last committed batch time to leave */
    int linger = 500;
    for (int i = 0; i < self->n_routers; i++) {
        zmq_setsockopt(hub_zsock_socket(self->routers[i]), ZMQ_LINGER, &linger, sizeof linger);
        hub_zsock_destroy(&self->routers[i]);
    }
    if (self->pub) zmq_close(self->pub);
    uv_close((uv_handle_t *)&self->heartbeat, s_timer_closed);
    uv_close((uv_handle_t *)&self->reader_check, s_timer_closed);
    hub_zsock_destroy(&self->self_dealer);
    self->destroyed = true; /* a running backup finishes (the loop waits for it), unanswered */
    *self_p = NULL;
}
