/* Unit tests for hub_store (LMDB environment, schema version, map growth)
 * and hub_outbox (gap-free sequences, nested transactions, replay reads).
 * Every test works in its own mkdtemp directory under /tmp, removed by the
 * teardown. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <lmdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hub.pb-c.h"
#include "hub_outbox.h"
#include "hub_store.h"
#include "hub_util.h"
#include "hub_wire.h"

#define MIB (1024u * 1024u)

typedef struct {
    char dir[64];
    hub_store_t *st;
    hub_outbox_t ob;
    bool ob_init;
    MDB_txn *txn;  /* open write txn to abort in the teardown, if any */
} fx_t;

static const char *const NAMES[] = {"requests", "outbox", NULL};
#define DB_REQUESTS 0
#define DB_OUTBOX 1

static int s_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

static int s_setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    if (!fx) return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/hub-unit-store-XXXXXX");
    if (!mkdtemp(fx->dir)) { free(fx); return -1; }
    *state = fx;
    return 0;
}

static int s_teardown(void **state)
{
    fx_t *fx = *state;
    if (fx->txn) mdb_txn_abort(fx->txn);
    if (fx->ob_init) hub_outbox_fini(&fx->ob);
    hub_store_close(&fx->st);
    int rc = nftw(fx->dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return rc;
}

/* Opens the store in path (NULL = the fixture dir) and asserts success. */
static hub_store_t *s_open(fx_t *fx, const char *path, size_t map)
{
    hub_error_t err = {0};
    hub_store_t *st = hub_store_open(path ? path : fx->dir, map, NAMES, &err);
    if (!st) fail_msg("hub_store_open: %s: %s", hub_error_code_name(err.code), err.message);
    return st;
}

static void s_reopen(fx_t *fx, size_t map)
{
    if (fx->ob_init) { hub_outbox_fini(&fx->ob); fx->ob_init = false; }
    hub_store_close(&fx->st);
    assert_null(fx->st);
    fx->st = s_open(fx, NULL, map);
}

static void s_outbox_init(fx_t *fx)
{
    assert_int_equal(hub_outbox_init(&fx->ob, fx->st, fx->st->dbs[DB_OUTBOX], "intake"), 0);
    fx->ob_init = true;
}

static MDB_txn *s_begin(fx_t *fx, MDB_txn *parent, unsigned flags)
{
    MDB_txn *t = NULL;
    assert_int_equal(mdb_txn_begin(fx->st->env, parent, flags, &t), 0);
    return t;
}

static void s_put_str(fx_t *fx, MDB_txn *t, int db, const char *key, const char *val)
{
    MDB_val k = {strlen(key), (void *)key}, v = {strlen(val) + 1, (void *)val};
    assert_int_equal(mdb_put(t, fx->st->dbs[db], &k, &v, 0), 0);
}

/* ---------------------------------------------------------------- store */

static void test_store_open_creates_dir_0700(void **state)
{
    fx_t *fx = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/var/intake", fx->dir);
    mode_t old = umask(022);
    fx->st = s_open(fx, path, MIB);
    umask(old);
    assert_int_equal(fx->st->n_dbs, 2);
    assert_true(fx->st->map_size >= MIB);
    assert_string_equal(fx->st->path, path);

    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 07777, 0700);
    char f[192];
    snprintf(f, sizeof f, "%s/data.mdb", path);
    assert_int_equal(stat(f, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0600);
    snprintf(f, sizeof f, "%s/lock.mdb", path);
    assert_int_equal(stat(f, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0600);
    assert_true(hub_store_file_bytes(fx->st) > 0);

    /* a new store records this build's schema version */
    MDB_txn *t = s_begin(fx, NULL, MDB_RDONLY);
    uint64_t ver = 0;
    assert_int_equal(hub_store_meta_get_u64(fx->st, t, "schema_version", &ver), 0);
    assert_int_equal(ver, HUB_STORE_SCHEMA_VERSION);
    assert_int_equal(hub_store_meta_get_u64(fx->st, t, "no_such_key", &ver), MDB_NOTFOUND);
    mdb_txn_abort(t);
}

static void test_store_reopen_keeps_data(void **state)
{
    fx_t *fx = *state;
    fx->st = s_open(fx, NULL, MIB);
    MDB_txn *t = fx->txn = s_begin(fx, NULL, 0);
    s_put_str(fx, t, DB_REQUESTS, "R20261126-000001", "独居老人需要每日助餐服务");
    assert_int_equal(hub_store_meta_put_u64(fx->st, t, "request_counter", 42), 0);
    fx->txn = NULL;
    assert_int_equal(mdb_txn_commit(t), 0);

    /* an aborted write is not kept */
    t = fx->txn = s_begin(fx, NULL, 0);
    s_put_str(fx, t, DB_REQUESTS, "R20261126-000002", "aborted");
    fx->txn = NULL;
    mdb_txn_abort(t);

    s_reopen(fx, MIB);
    assert_int_equal(fx->st->n_dbs, 2);
    t = s_begin(fx, NULL, MDB_RDONLY);
    MDB_val k = {16, "R20261126-000001"}, v;
    assert_int_equal(mdb_get(t, fx->st->dbs[DB_REQUESTS], &k, &v), 0);
    assert_string_equal(v.mv_data, "独居老人需要每日助餐服务");
    k.mv_data = "R20261126-000002";
    assert_int_equal(mdb_get(t, fx->st->dbs[DB_REQUESTS], &k, &v), MDB_NOTFOUND);
    uint64_t c = 0;
    assert_int_equal(hub_store_meta_get_u64(fx->st, t, "request_counter", &c), 0);
    assert_int_equal(c, 42);
    mdb_txn_abort(t);
}

static void test_store_newer_schema_refused(void **state)
{
    fx_t *fx = *state;
    fx->st = s_open(fx, NULL, MIB);
    MDB_txn *t = s_begin(fx, NULL, 0);
    assert_int_equal(hub_store_meta_put_u64(fx->st, t, "schema_version",
                                            HUB_STORE_SCHEMA_VERSION + 1), 0);
    assert_int_equal(mdb_txn_commit(t), 0);
    hub_store_close(&fx->st);

    hub_error_t err = {0};
    hub_store_t *st = hub_store_open(fx->dir, MIB, NAMES, &err);
    if (st) { hub_store_close(&st); fail_msg("a store with a newer schema was opened"); }
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "schema version"));

    /* the refusal changed nothing: still refused, version still there */
    memset(&err, 0, sizeof err);
    st = hub_store_open(fx->dir, MIB, NAMES, &err);
    if (st) { hub_store_close(&st); fail_msg("opened on the second try"); }
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);

    MDB_env *env;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 4), 0);
    assert_int_equal(mdb_env_open(env, fx->dir, MDB_RDONLY, 0600), 0);
    MDB_dbi meta;
    uint64_t ver = 0;
    int rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &t);
    if (!rc) rc = mdb_dbi_open(t, "meta", 0, &meta);
    MDB_val k = {14, "schema_version"}, v = {0, NULL};
    if (!rc) rc = mdb_get(t, meta, &k, &v);
    if (!rc && v.mv_size == 8) ver = hub_be64_get(v.mv_data);
    if (t) mdb_txn_abort(t);
    mdb_env_close(env);
    assert_int_equal(rc, 0);
    assert_int_equal(ver, HUB_STORE_SCHEMA_VERSION + 1);
}

/* Writes 1000-byte values under 8-byte keys 0..n-1 in txn t; returns the
 * first mdb_put error (or 0) and how many puts succeeded. */
static int s_fill(fx_t *fx, MDB_txn *t, uint64_t n, uint64_t *done)
{
    uint8_t key[8], val[1000];
    for (uint64_t i = 0; i < n; i++) {
        hub_be64_put(key, i);
        memset(val, (int)(i & 0xFF), sizeof val);
        memcpy(val, key, 8);
        MDB_val k = {8, key}, v = {sizeof val, val};
        int rc = mdb_put(t, fx->st->dbs[DB_REQUESTS], &k, &v, 0);
        if (rc) { *done = i; return rc; }
    }
    *done = n;
    return 0;
}

static void s_check_filled(fx_t *fx, uint64_t n)
{
    MDB_txn *t = s_begin(fx, NULL, MDB_RDONLY);
    MDB_stat ms;
    assert_int_equal(mdb_stat(t, fx->st->dbs[DB_REQUESTS], &ms), 0);
    assert_int_equal(ms.ms_entries, n);
    for (uint64_t i = 0; i < n; i++) {
        uint8_t key[8];
        hub_be64_put(key, i);
        MDB_val k = {8, key}, v;
        int rc = mdb_get(t, fx->st->dbs[DB_REQUESTS], &k, &v);
        if (rc) { mdb_txn_abort(t); fail_msg("record %llu: %s", (unsigned long long)i, mdb_strerror(rc)); }
        assert_int_equal(v.mv_size, 1000);
        const uint8_t *p = v.mv_data;
        assert_memory_equal(p, key, 8);
        assert_int_equal(p[999], i & 0xFF);
    }
    mdb_txn_abort(t);
}

static void test_store_map_growth(void **state)
{
    fx_t *fx = *state;
    fx->st = s_open(fx, NULL, MIB);
    size_t before = fx->st->map_size;
    assert_int_equal(before, MIB);

    /* write until the map is full */
    MDB_txn *t = fx->txn = s_begin(fx, NULL, 0);
    uint64_t done = 0;
    int rc = s_fill(fx, t, 100000, &done);
    if (rc == 0) {               /* (not expected with 100 MB of values) */
        fx->txn = NULL;
        rc = mdb_txn_commit(t);  /* frees t either way */
    } else {
        fx->txn = NULL;
        mdb_txn_abort(t);
    }
    assert_int_equal(rc, MDB_MAP_FULL);
    assert_true(done > 100);     /* a 1 MiB map holds a few hundred */
    /* nothing of the aborted transaction is there */
    s_check_filled(fx, 0);

    assert_int_equal(hub_store_grow(fx->st), 0);
    assert_int_equal(fx->st->map_size, 2 * before);
    MDB_envinfo info;
    assert_int_equal(mdb_env_info(fx->st->env, &info), 0);
    assert_int_equal(info.me_mapsize, 2 * before);

    /* the retry (including the put that failed) now succeeds */
    uint64_t want = done + 1;
    t = fx->txn = s_begin(fx, NULL, 0);
    assert_int_equal(s_fill(fx, t, want, &done), 0);
    assert_int_equal(done, want);
    fx->txn = NULL;
    assert_int_equal(mdb_txn_commit(t), 0);
    s_check_filled(fx, want);

    /* and it is all there after a reopen, even asked with the small map
     * (LMDB raises the map to at least the data size) */
    s_reopen(fx, MIB);
    assert_int_equal(mdb_env_info(fx->st->env, &info), 0);
    assert_int_equal(fx->st->map_size, info.me_mapsize);
    assert_true(fx->st->map_size > MIB);
    s_check_filled(fx, want);
}

/* --------------------------------------------------------------- outbox */

typedef struct {
    uint64_t seqs[256];
    char topics[256][48];
    uint64_t epochs[256];
    size_t n;
    size_t stop_after;  /* 0 = never stop */
} collect_t;

static int s_collect(uint64_t seq, const void *data, size_t len, void *arg)
{
    collect_t *c = arg;
    Hub__Event *ev = hub__event__unpack(NULL, len, data);
    if (!ev || c->n >= 256) { hub__event__free_unpacked(ev, NULL); return 1; }
    c->seqs[c->n] = seq;
    c->epochs[c->n] = ev->epoch;
    snprintf(c->topics[c->n], sizeof c->topics[0], "%s", ev->topic);
    /* the key and the envelope agree */
    if (ev->seq != seq || strcmp(ev->source, "intake")) c->seqs[c->n] = 0;
    hub__event__free_unpacked(ev, NULL);
    c->n++;
    return c->stop_after && c->n >= c->stop_after;
}

static void s_read(fx_t *fx, uint64_t from, unsigned max, collect_t *c)
{
    memset(c, 0, sizeof *c);
    MDB_txn *t = s_begin(fx, NULL, MDB_RDONLY);
    int rc = hub_outbox_read(&fx->ob, t, from, max, s_collect, c);
    mdb_txn_abort(t);
    assert_int_equal(rc, 0);
}

static void s_append(fx_t *fx, MDB_txn *t, const char *topic)
{
    int rc = hub_outbox_append(&fx->ob, t, topic, NULL);
    if (rc) fail_msg("append %s: %s", topic, mdb_strerror(rc));
}

/* Appends n events "t.<i>" in one transaction and commits. */
static void s_commit_events(fx_t *fx, int n, const char *prefix)
{
    MDB_txn *t = fx->txn = s_begin(fx, NULL, 0);
    for (int i = 0; i < n; i++) {
        char topic[48];
        snprintf(topic, sizeof topic, "%s.%d", prefix, i);
        s_append(fx, t, topic);
    }
    fx->txn = NULL;
    assert_int_equal(mdb_txn_commit(t), 0);
    hub_outbox_committed(&fx->ob);
    hub_outbox_clear(&fx->ob);
}

static void test_outbox_epoch_survives_reopen(void **state)
{
    fx_t *fx = *state;
    fx->st = s_open(fx, NULL, MIB);
    s_outbox_init(fx);
    uint64_t epoch = fx->ob.epoch;
    assert_true(epoch != 0);
    assert_true(epoch <= (uint64_t)INT64_MAX);
    assert_int_equal(fx->ob.last_seq, 0);
    assert_int_equal(fx->ob.next_seq, 1);
    assert_string_equal(fx->ob.source, "intake");

    s_reopen(fx, MIB);
    s_outbox_init(fx);
    assert_true(fx->ob.epoch == epoch);
    MDB_txn *t = s_begin(fx, NULL, MDB_RDONLY);
    uint64_t stored = 0;
    assert_int_equal(hub_store_meta_get_u64(fx->st, t, "outbox_epoch", &stored), 0);
    mdb_txn_abort(t);
    assert_true(stored == epoch);

    /* a different store gets a different epoch */
    char other[128];
    snprintf(other, sizeof other, "%s/other", fx->dir);
    hub_store_t *st2 = s_open(fx, other, MIB);
    hub_outbox_t ob2;
    assert_int_equal(hub_outbox_init(&ob2, st2, st2->dbs[DB_OUTBOX], "intake"), 0);
    uint64_t epoch2 = ob2.epoch;
    hub_outbox_fini(&ob2);
    hub_store_close(&st2);
    assert_true(epoch2 != 0);
    assert_true(epoch2 != epoch);
}

static void test_outbox_gap_free(void **state)
{
    fx_t *fx = *state;
    fx->st = s_open(fx, NULL, 4 * MIB);
    s_outbox_init(fx);
    const int n = 100;  /* more than the first pending capacity */

    Hub__Heartbeat hb = HUB__HEARTBEAT__INIT;
    hb.source = "intake";
    hb.last_seq = 7;
    MDB_txn *t = fx->txn = s_begin(fx, NULL, 0);
    for (int i = 0; i < n; i++) {
        assert_int_equal(hub_outbox_append(&fx->ob, t, "intake.request.accepted", &hb.base), 0);
        assert_int_equal(fx->ob.n_pending, i + 1);
        assert_int_equal(fx->ob.next_seq, i + 2);
    }
    /* nothing is committed yet */
    assert_int_equal(fx->ob.last_seq, 0);
    fx->txn = NULL;
    assert_int_equal(mdb_txn_commit(t), 0);
    hub_outbox_committed(&fx->ob);
    assert_int_equal(fx->ob.last_seq, n);
    assert_int_equal(fx->ob.next_seq, n + 1);
    assert_int_equal(fx->ob.n_pending, n);
    for (int i = 0; i < n; i++) {
        const hub_outbox_item_t *it = &fx->ob.pending[i];
        assert_int_equal(it->seq, i + 1);
        assert_string_equal(it->topic, "intake.request.accepted");
        Hub__Event *ev = hub__event__unpack(NULL, it->len, it->data);
        assert_non_null(ev);
        assert_int_equal(ev->seq, i + 1);
        assert_true(ev->epoch == fx->ob.epoch);
        assert_string_equal(ev->source, "intake");
        assert_true(ev->time_ms > 0);
        Hub__Heartbeat *p = hub__heartbeat__unpack(NULL, ev->payload.len, ev->payload.data);
        assert_non_null(p);
        assert_int_equal(p->last_seq, 7);
        hub__heartbeat__free_unpacked(p, NULL);
        hub__event__free_unpacked(ev, NULL);
    }
    hub_outbox_clear(&fx->ob);
    assert_int_equal(fx->ob.n_pending, 0);
    assert_int_equal(fx->ob.next_seq, n + 1);

    collect_t c;
    s_read(fx, 1, 1000, &c);
    assert_int_equal(c.n, n);
    for (int i = 0; i < n; i++) assert_int_equal(c.seqs[i], i + 1);

    /* after a reopen the sequence continues */
    s_reopen(fx, 4 * MIB);
    s_outbox_init(fx);
    assert_int_equal(fx->ob.last_seq, n);
    assert_int_equal(fx->ob.next_seq, n + 1);
    s_commit_events(fx, 3, "after");
    s_read(fx, 1, 1000, &c);
    assert_int_equal(c.n, n + 3);
    for (int i = 0; i < n + 3; i++) assert_int_equal(c.seqs[i], i + 1);
    assert_string_equal(c.topics[n], "after.0");
    assert_string_equal(c.topics[n + 2], "after.2");
}

static void test_outbox_nested_rollback(void **state)
{
    fx_t *fx = *state;
    fx->st = s_open(fx, NULL, MIB);
    s_outbox_init(fx);
    s_commit_events(fx, 2, "before");   /* seqs 1, 2 */

    MDB_txn *parent = fx->txn = s_begin(fx, NULL, 0);
    s_append(fx, parent, "a");           /* 3 */

    /* a command that fails halfway: its child transaction is aborted */
    size_t mark = hub_outbox_mark(&fx->ob);
    assert_int_equal(mark, 1);
    MDB_txn *child = s_begin(fx, parent, 0);
    s_append(fx, child, "b");            /* 4, dropped */
    s_append(fx, child, "c");            /* 5, dropped */
    assert_int_equal(fx->ob.next_seq, 6);
    mdb_txn_abort(child);
    hub_outbox_rollback(&fx->ob, mark);
    assert_int_equal(fx->ob.n_pending, 1);
    assert_int_equal(fx->ob.next_seq, 4);

    /* a command that succeeds: its child is committed into the parent */
    mark = hub_outbox_mark(&fx->ob);
    child = s_begin(fx, parent, 0);
    s_append(fx, child, "d");            /* 4 again */
    assert_int_equal(mdb_txn_commit(child), 0);
    assert_int_equal(fx->ob.pending[fx->ob.n_pending - 1].seq, 4);

    /* another failing command: rollback to its mark keeps "a" and "d" */
    mark = hub_outbox_mark(&fx->ob);
    assert_int_equal(mark, 2);
    child = s_begin(fx, parent, 0);
    s_append(fx, child, "e");            /* 5, dropped */
    mdb_txn_abort(child);
    hub_outbox_rollback(&fx->ob, mark);
    assert_int_equal(fx->ob.next_seq, 5);
    s_append(fx, parent, "f");           /* 5 again */

    fx->txn = NULL;
    assert_int_equal(mdb_txn_commit(parent), 0);
    hub_outbox_committed(&fx->ob);
    assert_int_equal(fx->ob.last_seq, 5);
    assert_int_equal(fx->ob.n_pending, 3);
    assert_int_equal(fx->ob.pending[0].seq, 3);
    assert_int_equal(fx->ob.pending[1].seq, 4);
    assert_int_equal(fx->ob.pending[2].seq, 5);
    assert_string_equal(fx->ob.pending[2].topic, "f");
    hub_outbox_clear(&fx->ob);

    collect_t c;
    s_read(fx, 1, 100, &c);
    assert_int_equal(c.n, 5);
    const char *want[] = {"before.0", "before.1", "a", "d", "f"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(c.seqs[i], i + 1);
        assert_string_equal(c.topics[i], want[i]);
    }

    /* rolling back everything in a batch returns to last committed + 1 */
    parent = fx->txn = s_begin(fx, NULL, 0);
    mark = hub_outbox_mark(&fx->ob);
    assert_int_equal(mark, 0);
    child = s_begin(fx, parent, 0);
    s_append(fx, child, "g");
    mdb_txn_abort(child);
    hub_outbox_rollback(&fx->ob, mark);
    assert_int_equal(fx->ob.next_seq, 6);
    assert_int_equal(fx->ob.n_pending, 0);
    fx->txn = NULL;
    mdb_txn_abort(parent);
}

static void test_outbox_abort_continues(void **state)
{
    fx_t *fx = *state;
    fx->st = s_open(fx, NULL, MIB);
    s_outbox_init(fx);
    s_commit_events(fx, 3, "ok");        /* 1..3 */
    assert_int_equal(fx->ob.last_seq, 3);

    MDB_txn *t = fx->txn = s_begin(fx, NULL, 0);
    s_append(fx, t, "lost.0");           /* 4 */
    s_append(fx, t, "lost.1");           /* 5 */
    assert_int_equal(fx->ob.next_seq, 6);
    fx->txn = NULL;
    mdb_txn_abort(t);
    hub_outbox_clear(&fx->ob);
    assert_int_equal(fx->ob.n_pending, 0);
    assert_int_equal(fx->ob.last_seq, 3);
    assert_int_equal(fx->ob.next_seq, 4);

    s_commit_events(fx, 2, "next");      /* 4, 5 */
    collect_t c;
    s_read(fx, 1, 100, &c);
    assert_int_equal(c.n, 5);
    const char *want[] = {"ok.0", "ok.1", "ok.2", "next.0", "next.1"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(c.seqs[i], i + 1);
        assert_string_equal(c.topics[i], want[i]);
    }
    /* and across a reopen */
    s_reopen(fx, MIB);
    s_outbox_init(fx);
    assert_int_equal(fx->ob.last_seq, 5);
}

static void test_outbox_read_middle(void **state)
{
    fx_t *fx = *state;
    fx->st = s_open(fx, NULL, MIB);
    s_outbox_init(fx);
    s_commit_events(fx, 20, "ev");       /* 1..20 */
    collect_t c;

    s_read(fx, 7, 5, &c);
    assert_int_equal(c.n, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(c.seqs[i], 7 + i);
        char want[48];
        snprintf(want, sizeof want, "ev.%d", 6 + i);
        assert_string_equal(c.topics[i], want);
        assert_true(c.epochs[i] == fx->ob.epoch);
    }
    s_read(fx, 18, 10, &c);              /* fewer left than max */
    assert_int_equal(c.n, 3);
    assert_int_equal(c.seqs[0], 18);
    assert_int_equal(c.seqs[2], 20);
    s_read(fx, 20, 1, &c);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.seqs[0], 20);
    s_read(fx, 21, 10, &c);              /* past the end */
    assert_int_equal(c.n, 0);
    s_read(fx, 0, 3, &c);                /* from 0 = from the start */
    assert_int_equal(c.n, 3);
    assert_int_equal(c.seqs[0], 1);
    s_read(fx, 5, 0, &c);                /* max 0 */
    assert_int_equal(c.n, 0);
    s_read(fx, 1, 1000, &c);
    assert_int_equal(c.n, 20);

    /* the callback can stop early */
    memset(&c, 0, sizeof c);
    c.stop_after = 2;
    MDB_txn *t = s_begin(fx, NULL, MDB_RDONLY);
    assert_int_equal(hub_outbox_read(&fx->ob, t, 10, 100, s_collect, &c), 0);
    assert_int_equal(hub_outbox_first_seq(&fx->ob, t), 1);
    mdb_txn_abort(t);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.seqs[0], 10);
    assert_int_equal(c.seqs[1], 11);
}

static void test_outbox_first_seq_empty(void **state)
{
    fx_t *fx = *state;
    fx->st = s_open(fx, NULL, MIB);
    s_outbox_init(fx);
    MDB_txn *t = s_begin(fx, NULL, MDB_RDONLY);
    assert_int_equal(hub_outbox_first_seq(&fx->ob, t), 1);
    mdb_txn_abort(t);
}

/* MDB_MAP_FULL from hub_outbox_append: the failed append takes no seq, the
 * aborted batch gives its seqs back, and after growing the retry is gap-free. */
static void test_outbox_map_full_then_grow(void **state)
{
    fx_t *fx = *state;
    fx->st = s_open(fx, NULL, MIB);
    s_outbox_init(fx);
    s_commit_events(fx, 2, "small");     /* 1, 2 */

    static char big[3000];
    memset(big, 'x', sizeof big - 1);
    Hub__Heartbeat hb = HUB__HEARTBEAT__INIT;
    hb.source = big;

    MDB_txn *t = fx->txn = s_begin(fx, NULL, 0);
    int rc = 0, n = 0;
    while (n < 100000) {
        uint64_t before = fx->ob.next_seq;
        rc = hub_outbox_append(&fx->ob, t, "intake.request.accepted", &hb.base);
        if (rc) {
            assert_int_equal(fx->ob.next_seq, before);  /* not consumed */
            break;
        }
        n++;
    }
    assert_int_equal(rc, MDB_MAP_FULL);
    assert_true(n > 10);
    assert_int_equal(fx->ob.n_pending, n);
    fx->txn = NULL;
    mdb_txn_abort(t);
    hub_outbox_clear(&fx->ob);
    assert_int_equal(fx->ob.next_seq, 3);

    assert_int_equal(hub_store_grow(fx->st), 0);
    t = fx->txn = s_begin(fx, NULL, 0);
    for (int i = 0; i <= n; i++)
        assert_int_equal(hub_outbox_append(&fx->ob, t, "intake.request.accepted", &hb.base), 0);
    fx->txn = NULL;
    assert_int_equal(mdb_txn_commit(t), 0);
    hub_outbox_committed(&fx->ob);
    assert_int_equal(fx->ob.last_seq, 3 + n);
    hub_outbox_clear(&fx->ob);

    collect_t c;
    s_read(fx, 1, 256, &c);
    size_t want = (size_t)n + 3 < 256 ? (size_t)n + 3 : 256;
    assert_int_equal(c.n, want);
    for (size_t i = 0; i < c.n; i++) assert_int_equal(c.seqs[i], i + 1);
}

/* ------------------------------------------------------- schema versions */

typedef struct {
    unsigned calls[8];    /* calls[from]: how many times step from -> from+1 ran */
    int fail_from;        /* the step that fails (0: none) */
} migr_t;

/* A migration that counts its steps, writes a trace, and may fail. */
static int s_migrate(hub_store_t *st, MDB_txn *txn, unsigned from, void *ctx, hub_error_t *err)
{
    migr_t *m = ctx;
    if (from < 8) m->calls[from]++;
    char key[32];
    snprintf(key, sizeof key, "migrated_%u", from);
    if (hub_store_meta_put_u64(st, txn, key, 1)) return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "put");
    if ((int)from == m->fail_from)
        return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "step %u cannot be done", from);
    return 0;
}

static hub_store_t *s_open_v(fx_t *fx, unsigned version, migr_t *m, hub_error_t *err)
{
    hub_store_schema_t schema = {version, s_migrate, m, "hub-test"};
    return hub_store_open_schema(fx->dir, MIB, NAMES, &schema, err);
}

static uint64_t s_meta(fx_t *fx, const char *key)
{
    MDB_txn *t = s_begin(fx, NULL, MDB_RDONLY);
    uint64_t v = 0;
    int rc = hub_store_meta_get_u64(fx->st, t, key, &v);
    mdb_txn_abort(t);
    return rc ? 0 : v;
}

/* An older store is migrated step by step, each step exactly once, and
 * stamped; reopening runs nothing more. */
static void test_store_migrate_once(void **state)
{
    fx_t *fx = *state;
    hub_error_t err = {0};
    migr_t m = {0};
    fx->st = s_open(fx, NULL, MIB); /* version 1 */
    hub_store_close(&fx->st);
    fx->st = s_open_v(fx, 3, &m, &err);
    assert_non_null(fx->st);
    assert_int_equal(m.calls[0], 0);
    assert_int_equal(m.calls[1], 1);
    assert_int_equal(m.calls[2], 1);
    assert_int_equal(m.calls[3], 0);
    assert_int_equal(s_meta(fx, "schema_version"), 3);
    assert_int_equal(s_meta(fx, "migrated_2"), 1);
    hub_store_close(&fx->st);
    fx->st = s_open_v(fx, 3, &m, &err);
    assert_non_null(fx->st);
    assert_int_equal(m.calls[1] + m.calls[2], 2);
}

/* A new store is stamped with the current version, nothing migrated; a
 * store without the key counts as version 1. */
static void test_store_fresh_and_unstamped(void **state)
{
    fx_t *fx = *state;
    hub_error_t err = {0};
    migr_t m = {0};
    fx->st = s_open_v(fx, 4, &m, &err);
    assert_non_null(fx->st);
    assert_int_equal(m.calls[1] + m.calls[2] + m.calls[3], 0);
    assert_int_equal(s_meta(fx, "schema_version"), 4);
    /* remove the stamp: as a store made before versions existed */
    MDB_txn *t = s_begin(fx, NULL, 0);
    MDB_val k = {14, "schema_version"};
    assert_int_equal(mdb_del(t, fx->st->meta, &k, NULL), 0);
    assert_int_equal(mdb_txn_commit(t), 0);
    hub_store_close(&fx->st);
    fx->st = s_open_v(fx, 2, &m, &err);
    assert_non_null(fx->st);
    assert_int_equal(m.calls[1], 1);
    assert_int_equal(s_meta(fx, "schema_version"), 2);
}

/* A failed step leaves the store exactly as it was (one transaction). */
static void test_store_migrate_failure_changes_nothing(void **state)
{
    fx_t *fx = *state;
    hub_error_t err = {0};
    migr_t m = {.fail_from = 2};
    fx->st = s_open(fx, NULL, MIB);
    hub_store_close(&fx->st);
    hub_store_t *st = s_open_v(fx, 3, &m, &err);
    if (st) { hub_store_close(&st); fail_msg("a failed migration opened the store"); }
    assert_int_equal(m.calls[1], 1);
    assert_int_equal(m.calls[2], 1);
    assert_non_null(strstr(err.message, "migrating schema 2 -> 3 failed"));
    assert_non_null(strstr(err.message, "step 2 cannot be done"));
    fx->st = s_open(fx, NULL, MIB);
    assert_int_equal(s_meta(fx, "schema_version"), 1);
    assert_int_equal(s_meta(fx, "migrated_1"), 0);
}

/* A restored store's outbox: new epoch, the old one and its last sequence
 * kept as its parent, the sequence goes on. */
static void test_outbox_fork(void **state)
{
    fx_t *fx = *state;
    fx->st = s_open(fx, NULL, MIB);
    s_outbox_init(fx);
    s_commit_events(fx, 3, "intake.request.accepted");
    uint64_t old = fx->ob.epoch;
    assert_int_equal(fx->ob.parent_epoch, 0);
    MDB_txn *t = s_begin(fx, NULL, 0);
    assert_int_equal(hub_outbox_fork(&fx->ob, t), 0);
    assert_int_equal(mdb_txn_commit(t), 0);
    s_reopen(fx, MIB);
    s_outbox_init(fx);
    assert_int_not_equal(fx->ob.epoch, old);
    assert_int_equal(fx->ob.parent_epoch, old);
    assert_int_equal(fx->ob.parent_seq, 3);
    assert_int_equal(fx->ob.last_seq, 3);
    s_commit_events(fx, 1, "intake.request.accepted");
    assert_int_equal(fx->ob.last_seq, 4);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_store_open_creates_dir_0700),
        T(test_store_reopen_keeps_data),
        T(test_store_newer_schema_refused),
        T(test_store_map_growth),
        T(test_outbox_epoch_survives_reopen),
        T(test_outbox_gap_free),
        T(test_outbox_nested_rollback),
        T(test_outbox_abort_continues),
        T(test_outbox_read_middle),
        T(test_outbox_first_seq_empty),
        T(test_outbox_map_full_then_grow),
        T(test_store_migrate_once),
        T(test_store_fresh_and_unstamped),
        T(test_store_migrate_failure_changes_nothing),
        T(test_outbox_fork),
    };
    return cmocka_run_group_tests_name("test_store_outbox", tests, NULL, NULL);
}
