/* Integration tests: the real hub-intake daemon in a temp dir, on ipc://
 * sockets, driven over real ZeroMQ sockets. Readiness comes from the
 * daemon's sd_notify READY=1; waits are on conditions with deadlines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "hub_sub.h"
#include "hub_util.h"

static void *s_zctx;

static int s_setup(void **state)
{
    harness_t *h = calloc(1, sizeof *h);
    if (harness_init(h, NULL) || harness_start(h)) { free(h); return -1; }
    *state = h;
    return 0;
}

static int s_teardown(void **state)
{
    harness_t *h = *state;
    harness_fini(h);
    free(h);
    return 0;
}

/* Submits one request; returns the client_call code, id copied out. */
static int s_submit(hub_client_t *c, const char *channel, const char *mid, char id[32], int *dup)
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    Intake__SubmitRequest *req = harness_request(a, channel, mid);
    Intake__SubmitReply *rep;
    hub_error_t err = {0};
    int rc = hub_client_call(c, "intake.submit", &req->base, &intake__submit_reply__descriptor, a,
                             (ProtobufCMessage **)&rep, &err);
    if (rc == 0) {
        snprintf(id, 32, "%s", rep->service_request_id);
        if (dup) *dup = rep->duplicate_submission;
    }
    hub_arena_destroy(&a);
    return rc;
}

static Hub__StatusReply *s_status(hub_client_t *c, hub_arena_t *a)
{
    Hub__StatusRequest req = HUB__STATUS_REQUEST__INIT;
    Hub__StatusReply *rep = NULL;
    hub_error_t err = {0};
    if (hub_client_call(c, "hub.status", &req.base, &hub__status_reply__descriptor, a,
                        (ProtobufCMessage **)&rep, &err))
        return NULL;
    return rep;
}

static uint64_t s_counter(Hub__StatusReply *s, const char *name)
{
    for (size_t i = 0; s && i < s->n_counters; i++)
        if (!strcmp(s->counters[i]->name, name)) return s->counters[i]->value;
    return 0;
}

static Intake__Request *s_get(hub_client_t *c, hub_arena_t *a, const char *id, hub_error_t *err)
{
    Intake__GetRequestRequest req = INTAKE__GET_REQUEST_REQUEST__INIT;
    req.service_request_id = (char *)id;
    Intake__GetRequestReply *rep;
    if (hub_client_call(c, "intake.get", &req.base, &intake__get_request_reply__descriptor, a,
                        (ProtobufCMessage **)&rep, err))
        return NULL;
    return rep->request;
}

/* ---- 1,000 requests survive a restart with the same ids ---- */
static void test_thousand_survive_restart(void **state)
{
    harness_t *h = *state;
    hub_client_t *c = hub_client_new(s_zctx, h->api, NULL, 5000);
    static char ids[1000][32];
    for (int i = 0; i < 1000; i++) {
        char mid[32];
        snprintf(mid, sizeof mid, "m-%d", i);
        assert_int_equal(s_submit(c, "web-form", mid, ids[i], NULL), 0);
        if (i) assert_true(strcmp(ids[i], ids[i - 1]) > 0); /* readable, increasing */
    }
    hub_client_destroy(&c);
    assert_int_equal(harness_stop(h, SIGTERM), 0);
    assert_int_equal(harness_start(h), 0);
    c = hub_client_new(s_zctx, h->api, NULL, 5000);
    hub_arena_t *a = hub_arena_new(8 << 20);
    for (int i = 0; i < 1000; i++) {
        hub_error_t err = {0};
        hub_arena_reset(a);
        Intake__Request *r = s_get(c, a, ids[i], &err);
        assert_non_null(r);
        char mid[32];
        snprintf(mid, sizeof mid, "m-%d", i);
        assert_string_equal(r->message_id, mid);
        assert_string_equal(r->requester->name, "王阿姨");
        assert_int_equal(r->status, INTAKE__STATUS__OPEN);
        /* resubmitting after the restart still yields the same id */
        if (i % 100 == 0) {
            char again[32];
            int dup = 0;
            assert_int_equal(s_submit(c, "web-form", mid, again, &dup), 0);
            assert_string_equal(again, ids[i]);
            assert_true(dup);
        }
    }
    Hub__StatusReply *st = s_status(c, a);
    assert_non_null(st);
    assert_int_equal(st->last_seq, 1000); /* one event per request, none for resubmissions */
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
}

/* ---- idempotent resubmission ---- */
static void test_idempotent_resubmission(void **state)
{
    harness_t *h = *state;
    hub_client_t *c = hub_client_new(s_zctx, h->api, NULL, 5000);
    hub_arena_t *a = hub_arena_new(1 << 20);
    char id1[32], id2[32], id3[32];
    int dup = -1;
    assert_int_equal(s_submit(c, "wechat", "abc", id1, &dup), 0);
    assert_false(dup);
    uint64_t seq = s_status(c, a)->last_seq;
    assert_int_equal(s_submit(c, "wechat", "abc", id2, &dup), 0);
    assert_true(dup);
    assert_string_equal(id1, id2);
    assert_int_equal(s_status(c, a)->last_seq, seq); /* nothing new published */
    /* a note resent with the same message id (lost reply) is stored once */
    Intake__UpdateRequest u = INTAKE__UPDATE_REQUEST__INIT;
    u.service_request_id = id1;
    u.action = "note";
    u.text = "已联系家属";
    u.message_id = "note-1";
    Intake__UpdateReply *ur;
    hub_error_t err = {0};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(hub_client_call(c, "intake.update", &u.base, &intake__update_reply__descriptor, a,
                                         (ProtobufCMessage **)&ur, &err), 0);
        assert_int_equal(ur->duplicate_submission, i == 1);
        assert_int_equal(ur->request->n_history, 2);
    }
    assert_int_equal(s_status(c, a)->last_seq, seq + 1);
    u.message_id = "note-2"; /* a new key is a new note */
    assert_int_equal(hub_client_call(c, "intake.update", &u.base, &intake__update_reply__descriptor, a,
                                     (ProtobufCMessage **)&ur, &err), 0);
    assert_int_equal(ur->request->n_history, 3);
    /* the same message id from another channel is another request */
    assert_int_equal(s_submit(c, "kiosk", "abc", id3, &dup), 0);
    assert_false(dup);
    assert_string_not_equal(id1, id3);
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
}

/* ---- kill -9 during a stream of submissions ---- */
#define KILL_THREADS 4
#define KILL_PER_THREAD 2000
typedef struct {
    harness_t *h;
    int thread;
    char (*acked)[32];  /* acked[i] = id for message i, "" if not acked */
    atomic_int *n_acked;
} kill_arg_t;

static void *s_stream(void *p)
{
    kill_arg_t *k = p;
    hub_client_t *c = hub_client_new(s_zctx, k->h->api, NULL, 2000);
    for (int i = 0; i < KILL_PER_THREAD; i++) {
        char mid[32], id[32];
        snprintf(mid, sizeof mid, "k-%d-%d", k->thread, i);
        if (s_submit(c, "hotline", mid, id, NULL) != 0) break; /* daemon gone */
        memcpy(k->acked[k->thread * KILL_PER_THREAD + i], id, 32);
        atomic_fetch_add(k->n_acked, 1);
    }
    hub_client_destroy(&c);
    return NULL;
}

static bool s_enough_acked(void *p) { return atomic_load((atomic_int *)p) >= 5000; }

static void test_kill9_loses_nothing_acknowledged(void **state)
{
    harness_t *h = *state;
    static char acked[KILL_THREADS * KILL_PER_THREAD][32];
    memset(acked, 0, sizeof acked);
    atomic_int n_acked = 0;
    pthread_t th[KILL_THREADS];
    kill_arg_t args[KILL_THREADS];
    for (int t = 0; t < KILL_THREADS; t++) {
        args[t] = (kill_arg_t){h, t, acked, &n_acked};
        pthread_create(&th[t], NULL, s_stream, &args[t]);
    }
    assert_true(harness_wait(s_enough_acked, &n_acked, 60000));
    assert_int_equal(harness_stop(h, SIGKILL), 128 + SIGKILL);
    for (int t = 0; t < KILL_THREADS; t++) pthread_join(th[t], NULL);
    int total = atomic_load(&n_acked);
    assert_true(total < KILL_THREADS * KILL_PER_THREAD); /* it really died mid-stream */

    assert_int_equal(harness_start(h), 0);
    hub_client_t *c = hub_client_new(s_zctx, h->api, NULL, 5000);
    hub_arena_t *a = hub_arena_new(64 << 20);
    int found = 0;
    for (int i = 0; i < KILL_THREADS * KILL_PER_THREAD; i++) {
        if (!acked[i][0]) continue;
        hub_error_t err = {0};
        hub_arena_reset(a);
        Intake__Request *r = s_get(c, a, acked[i], &err);
        assert_non_null(r);
        char mid[32];
        snprintf(mid, sizeof mid, "k-%d-%d", i / KILL_PER_THREAD, i % KILL_PER_THREAD);
        assert_string_equal(r->message_id, mid);
        found++;
    }
    assert_int_equal(found, total);
    /* no duplicates: every stored request has a distinct message id, and
     * the outbox holds exactly one event per stored request */
    int stored = 0;
    char after[32] = "";
    char *seen = calloc(KILL_THREADS * KILL_PER_THREAD, 1);
    for (;;) {
        Intake__ListRequestsRequest q = INTAKE__LIST_REQUESTS_REQUEST__INIT;
        q.after_id = after;
        q.limit = 500;
        Intake__ListRequestsReply *l;
        hub_error_t err = {0};
        hub_arena_reset(a);
        assert_int_equal(hub_client_call(c, "intake.list", &q.base, &intake__list_requests_reply__descriptor,
                                         a, (ProtobufCMessage **)&l, &err), 0);
        for (size_t i = 0; i < l->n_requests; i++) {
            int t, n;
            assert_int_equal(sscanf(l->requests[i]->message_id, "k-%d-%d", &t, &n), 2);
            assert_false(seen[t * KILL_PER_THREAD + n]);
            seen[t * KILL_PER_THREAD + n] = 1;
            stored++;
        }
        if (!*l->next_after_id) break;
        snprintf(after, sizeof after, "%s", l->next_after_id);
    }
    free(seen);
    assert_true(stored >= total && stored <= total + KILL_THREADS); /* + in-flight, unacked */
    hub_arena_reset(a);
    assert_int_equal(s_status(c, a)->last_seq, (uint64_t)stored);

    /* a filter that matches only the newest of thousands of records still
     * finds it (filtered-out records must not eat the reply's memory) */
    hub_arena_reset(a);
    Intake__SubmitRequest *one = harness_request(a, "hotline", "yuehu-1");
    one->request->street = "月湖街道";
    Intake__SubmitReply *sr;
    hub_error_t err = {0};
    assert_int_equal(hub_client_call(c, "intake.submit", &one->base, &intake__submit_reply__descriptor, a,
                                     (ProtobufCMessage **)&sr, &err), 0);
    Intake__ListRequestsRequest q = INTAKE__LIST_REQUESTS_REQUEST__INIT;
    q.street = "月湖街道";
    Intake__ListRequestsReply *l;
    assert_int_equal(hub_client_call(c, "intake.list", &q.base, &intake__list_requests_reply__descriptor, a,
                                     (ProtobufCMessage **)&l, &err), 0);
    assert_int_equal(l->n_requests, 1);
    assert_string_equal(l->requests[0]->service_request_id, sr->service_request_id);
    assert_string_equal(l->next_after_id, "");
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
}

/* ---- subscribers: late, and stopped/restarted mid-stream ---- */

/* Reads n events from sub, asserting gap-free order from expect_first. */
static void s_expect_events(hub_sub_t *sub, int n, uint64_t expect_first, char (*ids)[32])
{
    hub_arena_t *a = hub_arena_new(8 << 20);
    for (int i = 0; i < n; i++) {
        Hub__Event *ev = NULL;
        hub_error_t err = {0};
        hub_arena_reset(a);
        int r = hub_sub_next(sub, 10000, a, &ev, &err);
        assert_int_equal(r, 1);
        assert_int_equal(ev->seq, expect_first + (uint64_t)i);
        assert_string_equal(ev->topic, "intake.request.accepted");
        Intake__RequestEvent *re = intake__request_event__unpack(NULL, ev->payload.len, ev->payload.data);
        assert_non_null(re);
        if (ids) assert_string_equal(re->request->service_request_id, ids[expect_first - 1 + i]);
        intake__request_event__free_unpacked(re, NULL);
    }
    hub_arena_destroy(&a);
}

static void s_submit_n(harness_t *h, int from, int n, char (*ids)[32])
{
    hub_client_t *c = hub_client_new(s_zctx, h->api, NULL, 5000);
    for (int i = from; i < from + n; i++) {
        char mid[32];
        snprintf(mid, sizeof mid, "s-%d", i);
        assert_int_equal(s_submit(c, "partner-app", mid, ids[i], NULL), 0);
    }
    hub_client_destroy(&c);
}

static void s_expect_quiet(hub_sub_t *sub)
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    Hub__Event *ev = NULL;
    hub_error_t err = {0};
    /* heartbeats (every 100 ms) confirm the cursor is at the head */
    assert_int_equal(hub_sub_next(sub, 500, a, &ev, &err), 0);
    hub_arena_destroy(&a);
}

static void test_late_subscriber_gets_everything_once(void **state)
{
    harness_t *h = *state;
    static char ids[200][32];
    s_submit_n(h, 0, 60, ids);
    hub_sub_t *sub = hub_sub_new(s_zctx, h->pub, h->api, NULL, 0, 0);
    s_expect_events(sub, 60, 1, ids);
    s_submit_n(h, 60, 60, ids);
    s_expect_events(sub, 60, 61, ids);
    s_expect_quiet(sub);
    assert_int_equal(hub_sub_cursor(sub), 120);
    hub_sub_destroy(&sub);
}

static void test_subscriber_restart_mid_stream(void **state)
{
    harness_t *h = *state;
    static char ids[300][32];
    s_submit_n(h, 0, 50, ids);
    hub_sub_t *sub = hub_sub_new(s_zctx, h->pub, h->api, NULL, 0, 0);
    s_expect_events(sub, 30, 1, ids);
    uint64_t epoch = hub_sub_epoch(sub), cursor = hub_sub_cursor(sub);
    assert_int_equal(cursor, 30);
    hub_sub_destroy(&sub); /* stopped mid-stream; cursor saved */
    s_submit_n(h, 50, 50, ids);
    sub = hub_sub_new(s_zctx, h->pub, h->api, NULL, epoch, cursor);
    s_expect_events(sub, 70, 31, ids);
    /* the publisher restarts while the subscriber stays: no gap, no repeat */
    assert_int_equal(harness_stop(h, SIGTERM), 0);
    assert_int_equal(harness_start(h), 0);
    s_submit_n(h, 100, 40, ids);
    s_expect_events(sub, 40, 101, ids);
    s_expect_quiet(sub);
    hub_sub_destroy(&sub);
}

/* A consumer daemon's view: applies each event into its own LMDB store with
 * the cursor in the same transaction. Returns events applied; counts an
 * event applied twice in *dups. With crash_after >= 0, the transaction of
 * that many-th event is aborted instead (a crash between apply and commit). */
static int s_consume(harness_t *h, hub_store_t *st, int n, int crash_after, int *dups)
{
    MDB_txn *txn;
    uint64_t epoch, last;
    assert_int_equal(mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(hub_sub_cursor_load(st, txn, "intake", &epoch, &last), 0);
    mdb_txn_abort(txn);
    hub_sub_t *sub = hub_sub_new(s_zctx, h->pub, h->api, NULL, epoch, last);
    hub_arena_t *a = hub_arena_new(8 << 20);
    int applied = 0;
    for (int i = 0; i < n; i++) {
        Hub__Event *ev;
        hub_error_t err = {0};
        hub_arena_reset(a);
        assert_int_equal(hub_sub_next(sub, 10000, a, &ev, &err), 1);
        assert_int_equal(mdb_txn_begin(st->env, NULL, 0, &txn), 0);
        uint8_t key[8];
        hub_be64_put(key, ev->seq);
        MDB_val k = {8, key}, v = {1, "x"};
        if (mdb_put(txn, st->dbs[0], &k, &v, MDB_NOOVERWRITE) == MDB_KEYEXIST) (*dups)++;
        assert_int_equal(hub_sub_cursor_save(st, txn, "intake", sub), 0);
        if (i == crash_after) { mdb_txn_abort(txn); break; }
        assert_int_equal(mdb_txn_commit(txn), 0);
        applied++;
    }
    hub_arena_destroy(&a);
    hub_sub_destroy(&sub);
    return applied;
}

static void test_durable_subscriber_applies_once(void **state)
{
    harness_t *h = *state;
    static char ids[200][32];
    char dir[300];
    snprintf(dir, sizeof dir, "%s/consumer", h->dir);
    const char *names[] = {"applied", NULL};
    hub_error_t err = {0};
    hub_store_t *st = hub_store_open(dir, 16 << 20, names, &err);
    assert_non_null(st);
    int dups = 0;
    s_submit_n(h, 0, 80, ids);
    assert_int_equal(s_consume(h, st, 30, -1, &dups), 30);
    /* crash while applying the 11th of the next batch: it was not committed */
    assert_int_equal(s_consume(h, st, 20, 10, &dups), 10);
    s_submit_n(h, 80, 40, ids);
    /* the consumer restarts from its stored cursor: 40 + 40 events remain */
    assert_int_equal(s_consume(h, st, 80, -1, &dups), 80);
    assert_int_equal(dups, 0);
    MDB_txn *txn;
    MDB_stat ms;
    assert_int_equal(mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_stat(txn, st->dbs[0], &ms), 0);
    assert_int_equal(ms.ms_entries, 120);
    mdb_txn_abort(txn);
    hub_store_close(&st);
}

/* ---- bad input ---- */
static void s_expect_error(hub_client_t *c, const char *verb, size_t verb_len, const void *body,
                           size_t len, Hub__ErrorCode code, const char *field)
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    char st[4];
    uint8_t *out;
    size_t out_len;
    assert_int_equal(hub_client_call_raw(c, verb, verb_len, body, len, st, a, &out, &out_len), 0);
    assert_string_equal(st, "ERR");
    Hub__Error *e = hub__error__unpack(NULL, out_len, out);
    assert_non_null(e);
    if (e->code != code || (field && strcmp(e->field, field)))
        fail_msg("expected %s/%s, got %s/%s: %s", hub_error_code_name(code), field ? field : "*",
                 hub_error_code_name(e->code), e->field, e->message);
    assert_true(strlen(e->message) > 0);
    hub__error__free_unpacked(e, NULL);
    hub_arena_destroy(&a);
}

static size_t s_pack_request(Intake__SubmitRequest *r, uint8_t **out)
{
    size_t len = intake__submit_request__get_packed_size(r);
    *out = malloc(len);
    intake__submit_request__pack(r, *out);
    return len;
}

static void test_bad_input_gets_clear_errors(void **state)
{
    harness_t *h = *state;
    hub_client_t *c = hub_client_new(s_zctx, h->api, NULL, 5000);
    hub_arena_t *a = hub_arena_new(4 << 20);
    uint64_t errors_before = s_counter(s_status(c, a), "errors_total");

    s_expect_error(c, "intake.submit", 13, "\xff\xff\xff\xff", 4, HUB__ERROR_CODE__INVALID_ARGUMENT, "");
    size_t big = 1 << 20;
    uint8_t *huge = calloc(1, big);
    s_expect_error(c, "intake.submit", 13, huge, big, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "");
    free(huge);
    /* a heartbeat where a submit belongs: decodes to a message without a request */
    Hub__Heartbeat hb = HUB__HEARTBEAT__INIT;
    hb.source = "x";
    uint8_t hbuf[64];
    size_t hlen = hub__heartbeat__pack(&hb, hbuf);
    s_expect_error(c, "intake.submit", 13, hbuf, hlen, HUB__ERROR_CODE__INVALID_ARGUMENT, NULL);
    s_expect_error(c, "intake.get", 10, hbuf, hlen, HUB__ERROR_CODE__NOT_FOUND, "service_request_id");
    s_expect_error(c, "intake.get", 10, "", 0, HUB__ERROR_CODE__NOT_FOUND, "service_request_id");
    /* invalid UTF-8 */
    Intake__SubmitRequest *r = harness_request(a, "web", "utf8");
    r->request->description = "\xe4\xb8";
    uint8_t *buf;
    size_t len = s_pack_request(r, &buf);
    s_expect_error(c, "intake.submit", 13, buf, len, HUB__ERROR_CODE__INVALID_ARGUMENT, "request.description");
    free(buf);
    /* unknown enum value */
    r = harness_request(a, "web", "enum");
    r->request->urgency = 42;
    len = s_pack_request(r, &buf);
    s_expect_error(c, "intake.submit", 13, buf, len, HUB__ERROR_CODE__INVALID_ARGUMENT, "request.urgency");
    free(buf);
    /* missing field, unknown service, street not served */
    r = harness_request(a, "web", "missing");
    r->request->requester = NULL;
    len = s_pack_request(r, &buf);
    s_expect_error(c, "intake.submit", 13, buf, len, HUB__ERROR_CODE__INVALID_ARGUMENT, "requester");
    free(buf);
    r = harness_request(a, "web", "svc");
    r->request->service_code = "no-such-service";
    len = s_pack_request(r, &buf);
    s_expect_error(c, "intake.submit", 13, buf, len, HUB__ERROR_CODE__INVALID_ARGUMENT, "service_code");
    free(buf);
    /* unknown verb, bad verb bytes */
    s_expect_error(c, "intake.nope", 11, "", 0, HUB__ERROR_CODE__NOT_FOUND, "verb");
    s_expect_error(c, "\xff\xfe", 2, "", 0, HUB__ERROR_CODE__INVALID_ARGUMENT, "verb");
    /* unknown id, illegal transition */
    char id[32];
    assert_int_equal(s_submit(c, "web", "ok-1", id, NULL), 0);
    Intake__UpdateRequest u = INTAKE__UPDATE_REQUEST__INIT;
    u.service_request_id = "R20000101-000001";
    u.action = "close";
    u.text = "x";
    uint8_t ubuf[256];
    size_t ulen = intake__update_request__pack(&u, ubuf);
    s_expect_error(c, "intake.update", 13, ubuf, ulen, HUB__ERROR_CODE__NOT_FOUND, "service_request_id");
    u.service_request_id = id;
    u.action = "reopen";
    ulen = intake__update_request__pack(&u, ubuf);
    s_expect_error(c, "intake.update", 13, ubuf, ulen, HUB__ERROR_CODE__FAILED_PRECONDITION, "action");
    u.action = "explode";
    ulen = intake__update_request__pack(&u, ubuf);
    s_expect_error(c, "intake.update", 13, ubuf, ulen, HUB__ERROR_CODE__INVALID_ARGUMENT, "action");

    /* too many frames, sent raw on a DEALER */
    void *d = zmq_socket(s_zctx, ZMQ_DEALER);
    int linger = 0, tmo = 5000;
    zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(d, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    zmq_connect(d, h->api);
    zmq_send(d, "", 0, ZMQ_SNDMORE);
    for (int i = 0; i < 6; i++) zmq_send(d, "x", 1, ZMQ_SNDMORE);
    zmq_send(d, "x", 1, 0);
    char frame[64];
    assert_int_equal(zmq_recv(d, frame, sizeof frame, 0), 0); /* delimiter */
    assert_int_equal(zmq_recv(d, frame, sizeof frame, 0), 3);
    assert_memory_equal(frame, "ERR", 3);
    zmq_msg_t m;
    zmq_msg_init(&m);
    assert_true(zmq_msg_recv(&m, d, 0) >= 0);
    Hub__Error *e = hub__error__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    assert_non_null(e);
    assert_int_equal(e->code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    hub__error__free_unpacked(e, NULL);
    zmq_msg_close(&m);
    zmq_close(d);

    /* the daemon still serves, and counted every refusal */
    hub_arena_reset(a);
    Hub__StatusReply *st = s_status(c, a);
    assert_non_null(st);
    assert_true(s_counter(st, "errors_total") >= errors_before + 15);
    assert_true(s_counter(st, "errors_invalid_argument_total") >= 9);
    assert_true(s_counter(st, "errors_resource_exhausted_total") >= 1);
    char id2[32];
    assert_int_equal(s_submit(c, "web", "ok-2", id2, NULL), 0);
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
}

/* ---- CurveZMQ ---- */
typedef struct {
    hub_client_t *c;
    hub_arena_t *a;
} revoke_t;

/* True when a heartbeat arrives on the SUB socket within 500 ms. */
static bool s_heartbeat(void *sock)
{
    zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, 500) <= 0) return false;
    zmq_msg_t m;
    zmq_msg_init(&m);
    while (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) >= 0) {} /* drain */
    zmq_msg_close(&m);
    return true;
}

/* True once the SUB socket gets nothing for a whole second (10 heartbeats). */
static bool s_silent(void *sock) { return !s_heartbeat(sock) && !s_heartbeat(sock); }

/* True once the daemon refuses the client's principal. */
static bool s_revoked(void *p)
{
    revoke_t *r = p;
    hub_error_t err = {0};
    hub_arena_reset(r->a);
    Hub__StatusReply *st = NULL;
    Hub__StatusRequest req = HUB__STATUS_REQUEST__INIT;
    int rc = hub_client_call(r->c, "hub.status", &req.base, &hub__status_reply__descriptor, r->a,
                             (ProtobufCMessage **)&st, &err);
    return rc == 1 && err.code == HUB__ERROR_CODE__UNAUTHENTICATED;
}
static void s_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_curve_refuses_unregistered_key(void **state)
{
    (void)state;
    char srv_pub[41], srv_sec[41], ch_pub[41], ch_sec[41], bad_pub[41], bad_sec[41];
    char sub_pub[41], sub_sec[41];
    assert_int_equal(zmq_curve_keypair(sub_pub, sub_sec), 0);
    assert_int_equal(zmq_curve_keypair(srv_pub, srv_sec), 0);
    assert_int_equal(zmq_curve_keypair(ch_pub, ch_sec), 0);
    assert_int_equal(zmq_curve_keypair(bad_pub, bad_sec), 0);
    harness_t h;
    char path[512], line[256];
    assert_int_equal(harness_init(&h, NULL), 0);
    snprintf(path, sizeof path, "%s/server.key", h.dir);
    snprintf(line, sizeof line, "%s\n", srv_sec);
    s_write(path, line);
    snprintf(path, sizeof path, "%s/principals", h.dir);
    snprintf(line, sizeof line, "# id role key\nwechat-miniapp channel %s\nsubscriber-1 subscriber %s\n",
             ch_pub, sub_pub);
    s_write(path, line);
    snprintf(h.extra, sizeof h.extra,
             "curve = on\ncurve_secret_key_file = %s/server.key\nprincipals_file = %s/principals\n"
             "admin = ipc://%s/admin.sock\n", h.dir, h.dir, h.dir);
    FILE *f = fopen(h.config, "w");
    fprintf(f, "[hub]\ndata_dir = %s/var\nheartbeat_ms = 100\nlog_level = error\n[intake]\napi = %s\npub = %s\n%s",
            h.dir, h.api, h.pub, h.extra);
    fclose(f);
    assert_int_equal(harness_start(&h), 0);

    /* a registered channel: accepted, and the channel id is its identity */
    hub_curve_t good = {srv_pub, ch_pub, ch_sec};
    hub_client_t *c = hub_client_new(s_zctx, h.api, &good, 5000);
    char id[32];
    assert_int_equal(s_submit(c, "spoofed-channel", "c-1", id, NULL), 0);
    hub_arena_t *a = hub_arena_new(1 << 20);
    hub_error_t err = {0};
    Intake__Request *r = s_get(c, a, id, &err);
    assert_non_null(r);
    assert_string_equal(r->channel, "wechat-miniapp");
    /* a channel may not triage */
    Intake__UpdateRequest u = INTAKE__UPDATE_REQUEST__INIT;
    u.service_request_id = id;
    u.action = "close";
    u.text = "x";
    Intake__UpdateReply *ur;
    assert_int_equal(hub_client_call(c, "intake.update", &u.base, &intake__update_reply__descriptor, a,
                                     (ProtobufCMessage **)&ur, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__PERMISSION_DENIED);

    /* events carry personal data: a channel may not replay them */
    Hub__ReplayRequest rr = HUB__REPLAY_REQUEST__INIT;
    Hub__ReplayReply *rrep;
    assert_int_equal(hub_client_call(c, "hub.replay", &rr.base, &hub__replay_reply__descriptor, a,
                                     (ProtobufCMessage **)&rrep, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__PERMISSION_DENIED);
    hub_sub_t *sub = hub_sub_new(s_zctx, h.pub, h.api, &good, 0, 0);
    Hub__Event *ev;
    assert_int_equal(hub_sub_next(sub, 2000, a, &ev, &err), -1);
    hub_sub_destroy(&sub);
    /* a subscriber principal reads the stream, over CURVE on PUB too */
    hub_curve_t subscriber = {srv_pub, sub_pub, sub_sec};
    sub = hub_sub_new(s_zctx, h.pub, h.api, &subscriber, 0, 0);
    assert_int_equal(hub_sub_next(sub, 10000, a, &ev, &err), 1);
    assert_int_equal(ev->seq, 1);
    hub_sub_destroy(&sub);

    /* revocation applies at once to open sessions (SIGHUP re-reads): the
     * channel's command session, and a subscriber's event session */
    void *raw = zmq_socket(s_zctx, ZMQ_SUB);
    int zero = 0;
    zmq_setsockopt(raw, ZMQ_LINGER, &zero, sizeof zero);
    hub_curve_apply(raw, &subscriber);
    zmq_setsockopt(raw, ZMQ_SUBSCRIBE, "hub.heartbeat", 13);
    zmq_connect(raw, h.pub);
    assert_true(harness_wait(s_heartbeat, raw, 10000)); /* live: heartbeats every 100 ms */
    snprintf(line, sizeof line, "operator-1 operator %s\n", srv_pub); /* anyone but them */
    s_write(path, line);
    kill(h.pid, SIGHUP);
    revoke_t rv = {c, a};
    assert_true(harness_wait(s_revoked, &rv, 10000));
    assert_true(harness_wait(s_silent, raw, 10000)); /* 1 s without a heartbeat */
    zmq_close(raw);
    hub_client_destroy(&c);

    /* an unregistered key gets no session: the call times out */
    hub_curve_t bad = {srv_pub, bad_pub, bad_sec};
    c = hub_client_new(s_zctx, h.api, &bad, 1500);
    assert_int_equal(s_submit(c, "x", "c-2", id, NULL), -1);
    hub_client_destroy(&c);
    /* a client without CURVE is not served either */
    c = hub_client_new(s_zctx, h.api, NULL, 1500);
    assert_int_equal(s_submit(c, "x", "c-3", id, NULL), -1);
    hub_client_destroy(&c);

    /* the local admin endpoint sees the refusal counted */
    char admin[300];
    snprintf(admin, sizeof admin, "ipc://%s/admin.sock", h.dir);
    c = hub_client_new(s_zctx, admin, NULL, 5000);
    hub_arena_reset(a);
    Hub__StatusReply *st = s_status(c, a);
    assert_non_null(st);
    assert_true(s_counter(st, "auth_refused_total") >= 1);
    assert_int_equal(st->last_seq, 1);
    hub_client_destroy(&c);
    hub_arena_destroy(&a);
    assert_int_equal(harness_stop(&h, SIGTERM), 0);
    harness_fini(&h);
}

/* ---- unknown fields are dropped, not stored or relayed ---- */
static size_t s_varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    do { out[n++] = (uint8_t)((v & 0x7F) | (v > 0x7F ? 0x80 : 0)); v >>= 7; } while (v);
    return n;
}

static void test_unknown_fields_dropped(void **state)
{
    harness_t *h = *state;
    hub_client_t *c = hub_client_new(s_zctx, h->api, NULL, 5000);
    hub_arena_t *a = hub_arena_new(8 << 20);
    Intake__SubmitRequest *sr = harness_request(a, "web", "unknown-fields");
    size_t rlen = intake__request__get_packed_size(sr->request), junk = 200000;
    uint8_t *body = malloc(rlen + junk + 64), *p = body;
    uint8_t inner_hdr[16];
    size_t ih = s_varint(inner_hdr, (99 << 3) | 2);
    ih += s_varint(inner_hdr + ih, junk);
    size_t inner = rlen + ih + junk;
    *p++ = (1 << 3) | 2; /* SubmitRequest.request */
    p += s_varint(p, inner);
    p += intake__request__pack(sr->request, p);
    memcpy(p, inner_hdr, ih);
    p += ih;
    memset(p, 'x', junk);
    p += junk;
    char st[4];
    uint8_t *out;
    size_t out_len;
    assert_int_equal(hub_client_call_raw(c, "intake.submit", 13, body, (size_t)(p - body), st, a, &out, &out_len), 0);
    assert_string_equal(st, "OK");
    free(body);
    Intake__SubmitReply *rep = intake__submit_reply__unpack(NULL, out_len, out);
    assert_non_null(rep);
    hub_error_t err = {0};
    Intake__Request *r = s_get(c, a, rep->service_request_id, &err);
    assert_non_null(r);
    assert_int_equal(r->base.n_unknown_fields, 0);
    assert_true(intake__request__get_packed_size(r) < 4096);
    intake__submit_reply__free_unpacked(rep, NULL);
    /* and the event stays small enough for every subscriber */
    hub_sub_t *sub = hub_sub_new(s_zctx, h->pub, h->api, NULL, 0, 0);
    Hub__Event *ev;
    assert_int_equal(hub_sub_next(sub, 10000, a, &ev, &err), 1);
    assert_true(ev->payload.len < 4096);
    hub_sub_destroy(&sub);
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
}

/* ---- a tiny map grows under load without losing or double counting ---- */
static void *s_burst(void *p)
{
    kill_arg_t *k = p;
    hub_client_t *c = hub_client_new(s_zctx, k->h->api, NULL, 10000);
    for (int i = 0; i < 250; i++) {
        char mid[32], id[32];
        snprintf(mid, sizeof mid, "g-%d-%d", k->thread, i);
        if (s_submit(c, "kiosk", mid, id, NULL) != 0) break;
        memcpy(k->acked[k->thread * 250 + i], id, 32);
        atomic_fetch_add(k->n_acked, 1);
    }
    hub_client_destroy(&c);
    return NULL;
}

static void test_map_growth_under_load(void **state)
{
    (void)state;
    harness_t h;
    assert_int_equal(harness_init(&h, "map_size_mb = 1\n"), 0);
    assert_int_equal(harness_start(&h), 0);
    static char acked[8 * 250][32];
    memset(acked, 0, sizeof acked);
    atomic_int n_acked = 0;
    pthread_t th[8];
    kill_arg_t args[8];
    for (int t = 0; t < 8; t++) {
        args[t] = (kill_arg_t){&h, t, acked, &n_acked};
        pthread_create(&th[t], NULL, s_burst, &args[t]);
    }
    for (int t = 0; t < 8; t++) pthread_join(th[t], NULL);
    assert_int_equal(atomic_load(&n_acked), 2000);
    hub_client_t *c = hub_client_new(s_zctx, h.api, NULL, 5000);
    hub_arena_t *a = hub_arena_new(8 << 20);
    Hub__StatusReply *st = s_status(c, a);
    assert_non_null(st);
    assert_true(s_counter(st, "store_map_grown_total") >= 1);
    assert_int_equal(s_counter(st, "requests_accepted_total"), 2000);
    assert_int_equal(st->last_seq, 2000);
    for (int i = 0; i < 2000; i += 37) {
        hub_error_t err = {0};
        hub_arena_reset(a);
        assert_non_null(s_get(c, a, acked[i], &err));
    }
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
    assert_int_equal(harness_stop(&h, SIGTERM), 0);
    harness_fini(&h);
}

/* ---- configuration and start-up refusals ---- */
static int s_run(const char *config, const char *flag)
{
    pid_t p = fork();
    if (p == 0) {
        freopen("/dev/null", "w", stderr);
        freopen("/dev/null", "w", stdout);
        execl(harness_bin("hub-intake"), "hub-intake", "-c", config, flag, (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(p, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_refuses_public_endpoint_without_curve(void **state)
{
    (void)state;
    harness_t h;
    assert_int_equal(harness_init(&h, NULL), 0);
    FILE *f = fopen(h.config, "w");
    fprintf(f, "[hub]\ndata_dir = %s/var\n[intake]\napi = tcp://0.0.0.0:7399\npub = %s\n", h.dir, h.pub);
    fclose(f);
    assert_int_equal(s_run(h.config, "--check-config"), 78);
    assert_int_equal(s_run(h.config, "-l"), 2); /* usage: -l needs an argument */
    f = fopen(h.config, "w");
    fprintf(f, "[hub]\ndata_dir = %s/var\n[intake]\napi = %s\npub = %s\ncatalogue = %s/missing.json\n",
            h.dir, h.api, h.pub, h.dir);
    fclose(f);
    assert_int_equal(s_run(h.config, "--check-config"), 78);
    f = fopen(h.config, "w");
    fprintf(f, "[hub]\ndata_dir = %s/var\n[intake]\napi = %s\npub = %s\n", h.dir, h.api, h.pub);
    fclose(f);
    assert_int_equal(s_run(h.config, "--check-config"), 0);
    harness_fini(&h);
}

int main(void)
{
    s_zctx = zmq_ctx_new();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_thousand_survive_restart, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_idempotent_resubmission, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_kill9_loses_nothing_acknowledged, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_late_subscriber_gets_everything_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_subscriber_restart_mid_stream, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_durable_subscriber_applies_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_gets_clear_errors, s_setup, s_teardown),
        cmocka_unit_test(test_curve_refuses_unregistered_key),
        cmocka_unit_test_setup_teardown(test_unknown_fields_dropped, s_setup, s_teardown),
        cmocka_unit_test(test_map_growth_under_load),
        cmocka_unit_test(test_refuses_public_endpoint_without_curve),
    };
    /* the context is not terminated: a failed test may leave a socket open */
    return cmocka_run_group_tests_name("it_intake", tests, NULL, NULL);
}
