/* it_feed: common/hub_feed against a real hub-intake, with the consumer's
 * command server, store and feed in this process. Covers the paths no
 * daemon's traffic reaches: an event the service refuses inside a batch
 * (the batch is rolled back and applied again event by event, only the
 * refused ones passed over and counted), and the done hook (what a batch
 * gathered in memory is written once for the events applied, and forgotten
 * for an abandoned attempt). Waits are on conditions with deadlines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>
#include <zmq.h>

#include "harness.h"
#include "hub_feed.h"
#include "hub_rpc.h"
#include "hub_store.h"
#include "hub_sub.h"
#include "hub_util.h"

#define REFUSED(seq) ((seq) % 5 == 3)  /* the events the consumer refuses */

typedef struct {
    harness_t h;
    void *zctx;
    uv_loop_t loop;
    uv_timer_t tick;       /* wakes uv_run regularly, so waits can check their condition */
    hub_store_t *store;
    hub_outbox_t outbox;
    hub_rpc_t *rpc;
    hub_feed_t *feed;
    uint64_t pending;      /* gathered in memory by apply, written by done */
    uint64_t abandoned;    /* done(false) calls */
} fx_t;

/* The consumer's apply: refuses REFUSED(seq), else marks seq in "seen" and
 * gathers one more for the done hook. */
static int s_apply(hub_call_t *call, const char *publisher, const Hub__Event *ev, void *arg)
{
    fx_t *fx = arg;
    (void)publisher;
    if (REFUSED(ev->seq))
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "", "event %llu refused by the test",
                             (unsigned long long)ev->seq);
    uint8_t key[8];
    hub_be64_put(key, ev->seq);
    MDB_val k = {8, key}, v = {0, ""};
    int rc = mdb_put(call->txn, fx->store->dbs[1], &k, &v, MDB_NOOVERWRITE);
    if (rc) return rc == MDB_KEYEXIST ? hub_error_set(&call->err, HUB__ERROR_CODE__INTERNAL, "", "applied twice")
                                      : hub_call_mdb_error(call, rc);
    fx->pending++;
    return 0;
}

/* The done hook: adds what was gathered to meta "gathered", or forgets it. */
static int s_done(hub_call_t *call, bool ok, void *arg)
{
    fx_t *fx = arg;
    if (!ok) {
        fx->pending = 0;
        fx->abandoned++;
        return 0;
    }
    uint64_t n = 0;
    int rc = hub_store_meta_get_u64(fx->store, call->txn, "gathered", &n);
    if (rc && rc != MDB_NOTFOUND) return hub_call_mdb_error(call, rc);
    rc = hub_store_meta_put_u64(fx->store, call->txn, "gathered", n + fx->pending);
    fx->pending = 0;
    return rc ? hub_call_mdb_error(call, rc) : 0;
}

static void s_tick_cb(uv_timer_t *t) { (void)t; }

static int s_setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    if (!fx || harness_init(&fx->h, NULL) || harness_start(&fx->h)) return -1;
    fx->zctx = zmq_ctx_new();
    *state = fx;
    return 0;
}

/* Starts the consumer: store DIR/consumer, command server, feed on intake. */
static void s_consumer_start(fx_t *fx)
{
    static const char *const names[] = {"outbox", "seen", NULL};
    static const hub_handler_t none[] = {{NULL, NULL, NULL, NULL}};
    char dir[400];
    snprintf(dir, sizeof dir, "%s/consumer", fx->h.dir);
    hub_error_t err = {0};
    assert_int_equal(hub_mkdir_p(dir, 0700), 0);
    fx->store = hub_store_open(dir, 64u << 20, names, &err);
    if (!fx->store) fail_msg("store: %s", err.message);
    assert_int_equal(hub_outbox_init(&fx->outbox, fx->store, fx->store->dbs[0], "consumer"), 0);
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    uv_timer_init(&fx->loop, &fx->tick);
    uv_timer_start(&fx->tick, s_tick_cb, 10, 10);
    fx->rpc = hub_rpc_new(&fx->loop, fx->zctx, "consumer", fx->store, &fx->outbox, none, NULL);
    assert_non_null(fx->rpc);
    fx->feed = hub_feed_new(fx->rpc, fx->store, fx->zctx, "intake", fx->h.pub, fx->h.api, NULL, s_apply, fx, &err);
    if (!fx->feed) fail_msg("feed: %s", err.message);
    hub_feed_set_done(fx->feed, s_done);
    assert_int_equal(hub_feed_start(fx->feed, &err), 0);
}

static int s_teardown(void **state)
{
    fx_t *fx = *state;
    hub_feed_destroy(&fx->feed);
    hub_rpc_destroy(&fx->rpc);
    if (fx->store) {
        uv_close((uv_handle_t *)&fx->tick, NULL);
        uv_run(&fx->loop, UV_RUN_DEFAULT);
        uv_loop_close(&fx->loop);
        hub_outbox_fini(&fx->outbox);
        hub_store_close(&fx->store);
    }
    zmq_ctx_term(fx->zctx);
    harness_fini(&fx->h);
    free(fx);
    return 0;
}

/* Submits n requests to intake (message ids from first). */
static void s_submit(fx_t *fx, int first, int n)
{
    hub_client_t *c = hub_client_new(fx->zctx, fx->h.api, NULL, 5000);
    hub_arena_t *a = hub_arena_new(1 << 20);
    for (int i = first; i < first + n; i++) {
        char mid[32];
        snprintf(mid, sizeof mid, "feed-%d", i);
        hub_arena_reset(a);
        Intake__SubmitRequest *req = harness_request(a, "desk", mid);
        ProtobufCMessage *rep;
        hub_error_t err = {0};
        if (hub_client_call(c, "intake.submit", &req->base, &intake__submit_reply__descriptor, a, &rep, &err))
            fail_msg("submit %d: %s", i, err.message);
    }
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
}

/* The committed cursor on intake. */
static uint64_t s_cursor(fx_t *fx)
{
    MDB_txn *txn;
    uint64_t epoch = 0, seq = 0;
    assert_int_equal(mdb_txn_begin(fx->store->env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(hub_sub_cursor_load(fx->store, txn, "intake", &epoch, &seq), 0);
    mdb_txn_abort(txn);
    return seq;
}

/* Runs the consumer's loop until its cursor reaches seq (deadline 15 s). */
static void s_run_until(fx_t *fx, uint64_t seq)
{
    int64_t until = hub_mono_ms() + 15000;
    while (s_cursor(fx) < seq && hub_mono_ms() < until) uv_run(&fx->loop, UV_RUN_ONCE);
    if (s_cursor(fx) != seq) fail_msg("cursor %llu, expected %llu", (unsigned long long)s_cursor(fx),
                                      (unsigned long long)seq);
}

/* Asserts "seen" holds exactly the sequences 1..last that are not refused,
 * and meta "gathered" counts them once. */
static void s_expect_applied(fx_t *fx, uint64_t last)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    assert_int_equal(mdb_txn_begin(fx->store->env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_cursor_open(txn, fx->store->dbs[1], &cur), 0);
    MDB_val k, v;
    uint64_t want = 0, n = 0;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        do want++; while (REFUSED(want));
        assert_int_equal(hub_be64_get(k.mv_data), want);
        n++;
    }
    mdb_cursor_close(cur);
    uint64_t expected = 0, gathered = 0;
    for (uint64_t s = 1; s <= last; s++) expected += !REFUSED(s);
    assert_int_equal(n, expected);
    assert_int_equal(hub_store_meta_get_u64(fx->store, txn, "gathered", &gathered), 0);
    assert_int_equal(gathered, expected);
    mdb_txn_abort(txn);
}

/* A backlog of 40 events comes as one batch with 8 refused events in it:
 * the batch is rolled back and applied event by event; the refused ones
 * are passed over and counted, the others applied and gathered once. Then
 * 10 live events the same way. */
static void test_refused_events_in_a_batch(void **state)
{
    fx_t *fx = *state;
    s_submit(fx, 0, 40);
    s_consumer_start(fx);
    s_run_until(fx, 40);
    s_expect_applied(fx, 40);
    assert_int_equal(hub_rpc_counter(fx->rpc, "feed_events_failed_total"), 8);
    assert_int_equal(hub_rpc_counter(fx->rpc, "feed_events_applied_total"), 40);
    /* the whole-batch attempt was abandoned at least once, and forgotten */
    assert_true(fx->abandoned >= 1);

    s_submit(fx, 40, 10);
    s_run_until(fx, 50);
    s_expect_applied(fx, 50);
    assert_int_equal(hub_rpc_counter(fx->rpc, "feed_events_failed_total"), 10);
    assert_int_equal(hub_rpc_counter(fx->rpc, "feed_events_applied_total"), 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_refused_events_in_a_batch, s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name("it_feed", tests, NULL, NULL);
}
