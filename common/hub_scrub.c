#include "hub_scrub.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hub_backup.h"
#include "hub_log.h"
#include "hub_notify.h"
#include "hub_util.h"

#define SCRUB_DIR "rewrite.tmp"   /* beside data.mdb: same file system, so rename is atomic */

/* Removes dir/SCRUB_DIR and what an interrupted rewrite left in it. */
static void s_remove_tmp(const char *tmp)
{
    char f[1200];
    snprintf(f, sizeof f, "%s/data.mdb", tmp);
    unlink(f);
    snprintf(f, sizeof f, "%s/lock.mdb", tmp);
    unlink(f);
    rmdir(tmp);
}

/* The open names of self's databases in dbs order ("name" or
 * "name:dupfixed"), read from the main database: names[i] gets storage
 * from buf (HUB_STORE_MAX_DBS x 64). 0 or an MDB error. */
static int s_names(hub_store_t *self, MDB_txn *txn, char buf[][64], const char **names)
{
    MDB_dbi main;
    MDB_cursor *cur;
    int rc = mdb_dbi_open(txn, NULL, 0, &main);
    if (rc || (rc = mdb_cursor_open(txn, main, &cur))) return rc;
    MDB_val k, v;
    int found = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        char name[64];
        if (k.mv_size >= sizeof name - 10) continue;
        memcpy(name, k.mv_data, k.mv_size);
        name[k.mv_size] = 0;
        MDB_dbi dbi;
        if (mdb_dbi_open(txn, name, 0, &dbi)) continue; /* not a database */
        for (int i = 0; i < self->n_dbs; i++) {
            if (self->dbs[i] != dbi) continue;
            unsigned flags = 0;
            mdb_dbi_flags(txn, dbi, &flags);
            size_t nl = strlen(name); /* < 54 by the check above */
            memcpy(buf[i], name, nl + 1);
            if (flags & MDB_DUPSORT) memcpy(buf[i] + nl, ":dupfixed", 10);
            names[i] = buf[i];
            found++;
        }
    }
    mdb_cursor_close(cur);
    names[self->n_dbs] = NULL;
    if (rc != MDB_NOTFOUND) return rc;
    return found == self->n_dbs ? 0 : MDB_NOTFOUND;
}

/* Copies one database (db index, -1 meta) from otxn into the new store,
 * committing every HUB_SCRUB_TXN_RECORDS records. 0 or an MDB error. */
static int s_copy_db(hub_store_t *nst, MDB_txn *otxn, MDB_dbi odbi, int db, hub_scrub_filter_fn filter,
                     void *arg, hub_arena_t *arena)
{
    MDB_dbi ndbi = db < 0 ? nst->meta : nst->dbs[db];
    unsigned oflags = 0;
    mdb_dbi_flags(otxn, odbi, &oflags);
    /* meta already holds what the new store wrote at its creation */
    unsigned put = db < 0 ? 0 : (oflags & MDB_DUPSORT) ? MDB_APPENDDUP : MDB_APPEND;
    MDB_cursor *cur;
    MDB_txn *ntxn = NULL;
    int rc = mdb_cursor_open(otxn, odbi, &cur);
    if (rc) return rc;
    MDB_val k, v;
    unsigned n = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (!ntxn && (rc = mdb_txn_begin(nst->env, NULL, 0, &ntxn))) break;
        hub_arena_reset(arena);
        int keep = filter ? filter(otxn, db, &k, &v, arena, arg) : 0;
        if (keep > 1 || keep < 0) { rc = keep; break; }
        if (keep == 0 && (rc = mdb_put(ntxn, ndbi, &k, &v, put))) break;
        /* the copy holds the loop: tell systemd's watchdog it is alive
         * (a no-op without systemd) */
        if ((n + 1) % HUB_SCRUB_PING_RECORDS == 0) hub_notify_send("WATCHDOG=1");
        if (++n % HUB_SCRUB_TXN_RECORDS == 0) {
            rc = mdb_txn_commit(ntxn);
            ntxn = NULL;
            if (rc) break;
        }
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) {
        if (ntxn) mdb_txn_abort(ntxn);
        return rc;
    }
    return ntxn ? mdb_txn_commit(ntxn) : 0;
}

/* Makes the fresh copy in tmp. 0 or an MDB error (err set). */
static int s_copy(hub_store_t *self, const char *tmp, const char **names, hub_scrub_filter_fn filter, void *arg,
                  hub_error_t *err)
{
    hub_store_t *nst = hub_store_open_schema(tmp, self->map_size, names, NULL, err);
    if (!nst) return -1;
    hub_arena_t *arena = hub_arena_new(HUB_WIRE_ARENA_BUDGET);
    MDB_txn *otxn = NULL;
    int rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &otxn);
    if (!rc) rc = s_copy_db(nst, otxn, self->meta, -1, filter, arg, arena);
    for (int i = 0; !rc && i < self->n_dbs; i++) rc = s_copy_db(nst, otxn, self->dbs[i], i, filter, arg, arena);
    if (otxn) mdb_txn_abort(otxn);
    if (!rc) rc = mdb_env_sync(nst->env, 1);
    hub_arena_destroy(&arena);
    hub_store_close(&nst);
    if (rc) return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "rewrite of %s: %s", self->path, mdb_strerror(rc));
    return 0;
}

/* Opens self's store again at self->path after mdb_env_close (with the
 * database handles it had: meta, dbs) and takes the new environment over.
 * Aborts the process when that fails: the store is closed. */
static void s_reopen(hub_store_t *self, const char **names, MDB_dbi meta, const MDB_dbi *dbs, hub_error_t *err)
{
    hub_store_t *re = hub_store_open_schema(self->path, self->map_size, names, NULL, err);
    if (!re || re->meta != meta || memcmp(re->dbs, dbs, sizeof self->dbs)) {
        hub_err("rewrite of %s: reopening: %s", self->path, re ? "database handles changed" : err->message);
        abort();
    }
    self->env = re->env;
    self->map_size = re->map_size;
    re->env = NULL;
    pthread_rwlock_destroy(&re->grow_lock);
    free(re);
}

int hub_store_rewrite(hub_store_t *self, hub_scrub_filter_fn filter, void *arg, hub_error_t *err)
{
    char tmp[1100], buf[HUB_STORE_MAX_DBS][64];
    const char *names[HUB_STORE_MAX_DBS + 1];
    /* a thread holds the store (a hub.backup copying it): waiting for the
     * swap would stall the loop for the whole copy. No new one starts
     * while this runs (backups start from the loop thread) */
    if (pthread_rwlock_trywrlock(&self->grow_lock)) {
        hub_error_set(err, HUB__ERROR_CODE__UNAVAILABLE, "", "rewrite of %s: a backup is reading the store",
                      self->path);
        return 1;
    }
    pthread_rwlock_unlock(&self->grow_lock);
    snprintf(tmp, sizeof tmp, "%s/" SCRUB_DIR, self->path);
    s_remove_tmp(tmp);
    MDB_txn *txn;
    int rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    if (!rc) {
        rc = s_names(self, txn, buf, names);
        mdb_txn_abort(txn);
    }
    if (rc) return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "rewrite of %s: %s", self->path, mdb_strerror(rc));
    if (s_copy(self, tmp, names, filter, arg, err)) {
        s_remove_tmp(tmp);
        return -1;
    }
    /* the swap: no other thread may read while the environment changes */
    char from[1200], to[1200];
    snprintf(from, sizeof from, "%s/data.mdb", tmp);
    snprintf(to, sizeof to, "%s/data.mdb", self->path);
    MDB_dbi meta = self->meta, dbs[HUB_STORE_MAX_DBS];
    memcpy(dbs, self->dbs, sizeof dbs);
    pthread_rwlock_wrlock(&self->grow_lock);
    mdb_env_close(self->env);
    self->env = NULL;
    /* another process with the store open (an operator's mdb_stat) keeps
     * lock.mdb's state of the old file: the reopen would not be exclusive
     * and LMDB would reuse it with the new one. Swap only while no one
     * else holds LMDB's lock; else reopen the old file and retry later */
    hub_error_t lerr = {0};
    int lock = hub_backup_lock_store(self->path, "", NULL, &lerr);
    if (lock < 0) {
        s_reopen(self, names, meta, dbs, err);
        pthread_rwlock_unlock(&self->grow_lock);
        s_remove_tmp(tmp);
        hub_error_set(err, lerr.code == HUB__ERROR_CODE__FAILED_PRECONDITION ? HUB__ERROR_CODE__UNAVAILABLE : lerr.code,
                      "", "rewrite of %s: %s", self->path,
                      lerr.code == HUB__ERROR_CODE__FAILED_PRECONDITION ? "another process has the store open"
                                                                          : lerr.message);
        return 1;
    }
    if (rename(from, to)) {
        hub_err("rewrite of %s: rename: %s", self->path, strerror(errno));
        abort();
    }
    s_remove_tmp(tmp);
    int dfd = open(self->path, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) { fsync(dfd); close(dfd); }
    /* released before the reopen (closing any fd of lock.mdb would drop
     * LMDB's own lock too); who opens in between sees the new file */
    close(lock);
    s_reopen(self, names, meta, dbs, err);
    pthread_rwlock_unlock(&self->grow_lock);
    return 0;
}

/* ---- the debounced rewrite ---- */

/* Drops the pending mark from the copy: the rewrite is its fulfilment. */
static int s_filter(MDB_txn *old_txn, int db, const MDB_val *key, MDB_val *val, hub_arena_t *arena, void *arg)
{
    hub_scrub_t *self = arg;
    if (db < 0 && key->mv_size == strlen(HUB_SCRUB_META) && !memcmp(key->mv_data, HUB_SCRUB_META, key->mv_size))
        return 1;
    return self->filter ? self->filter(old_txn, db, key, val, arena, self->arg) : 0;
}

static void s_fire(uv_timer_t *t)
{
    hub_scrub_t *self = t->data;
    if (self->before && self->before(self->arg)) return;
    hub_error_t err = {0};
    int64_t t0 = hub_now_ms();
    int rc = hub_store_rewrite(self->store, s_filter, self, &err);
    if (rc == 1) { /* the request stays in meta: a stop before the retry keeps it */
        hub_warn("%s: store rewrite postponed by %d ms", err.message, HUB_SCRUB_RETRY_MS);
        hub_rpc_count(self->rpc, "store_rewrites_postponed_total", 1);
        uv_timer_start(&self->timer, s_fire, HUB_SCRUB_RETRY_MS, 0);
        return;
    }
    if (rc) {
        hub_err("%s", err.message);
        hub_rpc_count(self->rpc, "store_rewrites_failed_total", 1);
        return;
    }
    hub_info("store rewritten (personal data erased for good) in %lld ms", (long long)(hub_now_ms() - t0));
    hub_rpc_count(self->rpc, "store_rewrites_total", 1);
}

void hub_scrub_init(hub_scrub_t *self, uv_loop_t *loop, hub_store_t *store, hub_rpc_t *rpc,
                    hub_scrub_filter_fn filter, void *arg)
{
    self->store = store;
    self->rpc = rpc;
    self->filter = filter;
    self->arg = arg;
    uv_timer_init(loop, &self->timer);
    self->timer.data = self;
    self->started = true;
    MDB_txn *txn;
    uint64_t pending = 0;
    if (!mdb_txn_begin(store->env, NULL, MDB_RDONLY, &txn)) {
        hub_store_meta_get_u64(store, txn, HUB_SCRUB_META, &pending);
        mdb_txn_abort(txn);
    }
    if (pending) uv_timer_start(&self->timer, s_fire, HUB_SCRUB_DELAY_MS, 0);
}

int hub_scrub_request(hub_scrub_t *self, hub_call_t *call)
{
    int rc = hub_store_meta_put_u64(self->store, call->txn, HUB_SCRUB_META, 1);
    if (rc) return hub_call_mdb_error(call, rc);
    if (self->started) uv_timer_start(&self->timer, s_fire, HUB_SCRUB_DELAY_MS, 0);
    return 0;
}

static void s_closed(uv_handle_t *h) { (void)h; }

void hub_scrub_close(hub_scrub_t *self)
{
    if (!self->started) return;
    self->started = false;
    uv_close((uv_handle_t *)&self->timer, s_closed);
}
