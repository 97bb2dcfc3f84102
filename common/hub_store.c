#include "hub_store.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hub_log.h"
#include "hub_util.h"

int hub_store_scan_after(MDB_txn *txn, MDB_dbi db, const char *after, hub_store_scan_fn fn,
                         void *arg)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db, &cur);
    if (rc) return rc;
    size_t alen = strlen(after);
    MDB_val k = {alen, (void *)after}, v;
    rc = alen ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    if (rc == 0 && alen && k.mv_size == alen && !memcmp(k.mv_data, after, alen))
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        if (fn(&k, &v, arg)) break;
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int hub_store_meta_get_u64(hub_store_t *self, MDB_txn *txn, const char *key, uint64_t *out)
{
    MDB_val k = {strlen(key), (void *)key}, v;
    int rc = mdb_get(txn, self->meta, &k, &v);
    if (rc) return rc;
    if (v.mv_size != 8) return MDB_CORRUPTED;
    *out = hub_be64_get(v.mv_data);
    return 0;
}

int hub_store_meta_put_u64(hub_store_t *self, MDB_txn *txn, const char *key, uint64_t val)
{
    uint8_t buf[8];
    hub_be64_put(buf, val);
    MDB_val k = {strlen(key), (void *)key}, v = {8, buf};
    return mdb_put(txn, self->meta, &k, &v, 0);
}

/* Checks, migrates and stamps the schema version in txn (the one opening
 * the store; fresh: the store was just created). 0; -1 with err set
 * (refused, or a migration failed); or an MDB error. */
static int s_schema(hub_store_t *self, MDB_txn *txn, bool fresh, const hub_store_schema_t *schema,
                    hub_error_t *err)
{
    uint64_t ver = 0;
    int rc = hub_store_meta_get_u64(self, txn, HUB_STORE_SCHEMA_FIELD, &ver);
    if (rc == MDB_NOTFOUND) ver = fresh ? schema->version : 1; /* stores made before versions: 1 */
    else if (rc) return rc;
    const char *owner = schema->owner ? schema->owner : "build";
    if (ver > schema->version) {
        hub_error_set(err, HUB__ERROR_CODE__FAILED_PRECONDITION, HUB_STORE_SCHEMA_FIELD,
                      "store %s has schema version %llu, newer than this %s supports (%u): "
                      "upgrade the binary or restore a backup",
                      self->path, (unsigned long long)ver, owner, schema->version);
        return -1;
    }
    for (uint64_t v = ver; v < schema->version; v++) {
        hub_info("store %s: migrating schema %llu -> %llu", self->path, (unsigned long long)v,
                 (unsigned long long)v + 1);
        if (schema->migrate && schema->migrate(self, txn, (unsigned)v, schema->ctx, err)) {
            if (!err->code) hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "migration failed");
            char why[sizeof err->message];
            snprintf(why, sizeof why, "%s", err->message);
            hub_error_set(err, err->code, "schema_migration",
                          "store %s: migrating schema %llu -> %llu failed (store unchanged): %s", self->path,
                          (unsigned long long)v, (unsigned long long)v + 1, why);
            return -1;
        }
    }
    return rc == MDB_NOTFOUND || ver != schema->version
               ? hub_store_meta_put_u64(self, txn, HUB_STORE_SCHEMA_FIELD, schema->version)
               : 0;
}

hub_store_t *hub_store_open(const char *dir, size_t map_size, const char *const *names,
                            hub_error_t *err)
{
    const hub_store_schema_t schema = {HUB_STORE_SCHEMA_VERSION, NULL, NULL, NULL};
    return hub_store_open_schema(dir, map_size, names, &schema, err);
}

hub_store_t *hub_store_open_schema(const char *dir, size_t map_size, const char *const *names,
                                   const hub_store_schema_t *schema, hub_error_t *err)
{
    hub_error_t scratch = {0};
    if (!err) err = &scratch;
    hub_store_t *self = calloc(1, sizeof *self);
    if (self) {
        /* writer-preferring: a stream of readers (e.g. dashboard reports)
         * must not starve hub_store_grow, which the loop waits on */
        pthread_rwlockattr_t attr;
        pthread_rwlockattr_init(&attr);
        pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        pthread_rwlock_init(&self->grow_lock, &attr);
        pthread_rwlockattr_destroy(&attr);
    }
    MDB_txn *txn = NULL;
    int rc;
    if (!self) abort();
    snprintf(self->path, sizeof self->path, "%s", dir);
    self->map_size = map_size;
    if ((rc = hub_mkdir_p(dir, 0700))) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot create %s: %s", dir, strerror(-rc));
        goto fail;
    }
    chmod(dir, 0700);
    if ((rc = mdb_env_create(&self->env)) ||
        (rc = mdb_env_set_maxdbs(self->env, HUB_STORE_MAX_DBS + 1)) ||
        (rc = mdb_env_set_mapsize(self->env, map_size)) ||
        (rc = mdb_env_set_maxreaders(self->env, 126)) ||
        (rc = mdb_env_open(self->env, dir, MDB_NOTLS, 0600))) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot open store %s: %s", dir,
                      mdb_strerror(rc));
        goto fail;
    }
    int dead = 0;
    mdb_reader_check(self->env, &dead);
    MDB_envinfo info;
    mdb_env_info(self->env, &info);
    if (info.me_mapsize > self->map_size) self->map_size = info.me_mapsize;
    if ((rc = mdb_txn_begin(self->env, NULL, 0, &txn))) goto mdb_fail;
    /* a store with no database yet is new: stamped, not migrated */
    MDB_stat top;
    MDB_dbi main_db;
    if ((rc = mdb_dbi_open(txn, NULL, 0, &main_db)) || (rc = mdb_stat(txn, main_db, &top))) goto mdb_fail;
    bool fresh = top.ms_entries == 0;
    if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &self->meta))) goto mdb_fail;
    for (int i = 0; names && names[i]; i++) {
        if (i >= HUB_STORE_MAX_DBS) { rc = MDB_DBS_FULL; goto mdb_fail; }
        /* "name:dupfixed" opens a database of fixed-size sorted duplicates */
        char name[64];
        unsigned flags = MDB_CREATE;
        snprintf(name, sizeof name, "%s", names[i]);
        char *colon = strchr(name, ':');
        if (colon && !strcmp(colon, ":dupfixed")) { *colon = 0; flags |= MDB_DUPSORT | MDB_DUPFIXED; }
        if ((rc = mdb_dbi_open(txn, name, flags, &self->dbs[i]))) goto mdb_fail;
        self->n_dbs = i + 1;
    }
    if (schema) {
        int sr = s_schema(self, txn, fresh, schema, err);
        if (sr > 0) { rc = sr; goto mdb_fail; }
        if (sr < 0) { mdb_txn_abort(txn); goto fail; }
    }
    if ((rc = mdb_txn_commit(txn))) { txn = NULL; goto mdb_fail; }
    return self;
mdb_fail:
    hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "store %s: %s", dir, mdb_strerror(rc));
    if (txn) mdb_txn_abort(txn);
fail:
    if (self->env) mdb_env_close(self->env);
    pthread_rwlock_destroy(&self->grow_lock);
    free(self);
    return NULL;
}

void hub_store_close(hub_store_t **self_p)
{
    hub_store_t *self = *self_p;
    if (!self) return;
    mdb_env_close(self->env);
    pthread_rwlock_destroy(&self->grow_lock);
    free(self);
    *self_p = NULL;
}

int hub_store_thread_read_begin(hub_store_t *self, MDB_txn **txn)
{
    pthread_rwlock_rdlock(&self->grow_lock);
    int rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, txn);
    if (rc) pthread_rwlock_unlock(&self->grow_lock);
    return rc;
}

void hub_store_thread_read_end(hub_store_t *self, MDB_txn *txn)
{
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&self->grow_lock);
}

int hub_store_grow(hub_store_t *self)
{
    size_t next = self->map_size * 2;
    pthread_rwlock_wrlock(&self->grow_lock);
    int rc = mdb_env_set_mapsize(self->env, next);
    pthread_rwlock_unlock(&self->grow_lock);
    if (rc) return rc;
    hub_info("store %s: map grown to %zu MiB", self->path, next >> 20);
    self->map_size = next;
    return 0;
}

int hub_store_reader_check(hub_store_t *self)
{
    int dead = 0;
    mdb_reader_check(self->env, &dead);
    if (dead) hub_warn("store %s: cleared %d stale reader slots", self->path, dead);
    return dead;
}

int hub_store_preallocate(hub_store_t *self)
{
    MDB_envinfo info;
    MDB_stat st;
    int fd;
    if (mdb_env_info(self->env, &info) || mdb_env_stat(self->env, &st) || mdb_env_get_fd(self->env, &fd))
        return 0;
    off_t used = (off_t)(info.me_last_pgno + 1) * st.ms_psize;
    off_t size = lseek(fd, 0, SEEK_END);
    if (size < 0 || size - used >= HUB_STORE_PREALLOC_HEADROOM) return 0;
    if ((size_t)size + HUB_STORE_PREALLOC_CHUNK > self->map_size) return 0;
    /* real zeros, not fallocate: unwritten extents would still cost a
     * metadata update on the first write */
    static const char zeros[1 << 16];
    for (off_t off = size; off < size + HUB_STORE_PREALLOC_CHUNK; off += sizeof zeros)
        if (pwrite(fd, zeros, sizeof zeros, off) != (ssize_t)sizeof zeros) return -errno;
    if (fdatasync(fd)) return -errno;
    return 1;
}

uint64_t hub_store_file_bytes(const hub_store_t *self)
{
    char p[1100];
    struct stat st;
    snprintf(p, sizeof p, "%s/data.mdb", self->path);
    return stat(p, &st) ? 0 : (uint64_t)st.st_blocks * 512;
}
