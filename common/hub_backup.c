#include "hub_backup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hub_log.h"
#include "hub_outbox.h"
#include "hub_util.h"
#include "version.h"

#define BACKUP_MAXDBS 32 /* more than any store has (HUB_STORE_MAX_DBS + meta) */
#define RESTORE_MAP_SLACK (64u << 20) /* room for the restore's own meta writes */

/* out = dir/file; 0, or -1 when it does not fit (out is then cut). Not
 * inlined: callers bound their inputs, GCC cannot see it. */
__attribute__((noinline)) static int s_join(char *out, size_t size, const char *dir, const char *file)
{
    int n = snprintf(out, size, "%s/%s", dir, file);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int hub_backup_check(const char *dir, const char *name, hub_error_t *err)
{
    size_t len = strlen(dir);
    if (!len) return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "dir", "a backup directory is required");
    if (dir[0] != '/')
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "dir",
                             "\"%s\" is not an absolute path (it is a path on the daemon's host)", dir);
    if (len > HUB_BACKUP_MAX_PATH)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "dir", "path longer than %d bytes",
                             HUB_BACKUP_MAX_PATH);
    for (const char *p = dir; (p = strchr(p, '/')); p++)
        if ((p[1] == '.' && (p[2] == '/' || !p[2])) || (p[1] == '.' && p[2] == '.' && (p[3] == '/' || !p[3])))
            return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "dir",
                                 "\"%s\" has a \".\" or \"..\" component", dir);
    struct stat st;
    if (!stat(dir, &st) && !S_ISDIR(st.st_mode))
        return hub_error_set(err, HUB__ERROR_CODE__FAILED_PRECONDITION, "dir", "%s is not a directory", dir);
    char target[1024];
    s_join(target, sizeof target, dir, name);
    if (!lstat(target, &st))
        return hub_error_set(err, HUB__ERROR_CODE__ALREADY_EXISTS, "dir",
                             "%s already exists: back up into a new directory", target);
    return 0;
}

/* fsync of a directory (its entries: a rename or a new file). 0 or -errno. */
static int s_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return -errno;
    int rc = fsync(fd) ? -errno : 0;
    close(fd);
    return rc;
}

/* Reads the facts of a copied store in dir (data.mdb) without locking it:
 * schema version, outbox epoch and last sequence, file size. 0 or an MDB
 * error (the copy does not open: it is not a usable backup). */
static int s_inspect(const char *dir, hub_backup_info_t *info)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi meta, outbox;
    int rc;
    if ((rc = mdb_env_create(&env)) || (rc = mdb_env_set_maxdbs(env, BACKUP_MAXDBS)) ||
        (rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOLOCK, 0600)) ||
        (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) || (rc = mdb_dbi_open(txn, "meta", 0, &meta)))
        goto out;
    MDB_val k = {14, "schema_version"}, v;
    info->schema_version = !mdb_get(txn, meta, &k, &v) && v.mv_size == 8 ? (unsigned)hub_be64_get(v.mv_data) : 1;
    k = (MDB_val){12, "outbox_epoch"};
    info->epoch = !mdb_get(txn, meta, &k, &v) && v.mv_size == 8 ? hub_be64_get(v.mv_data) : 0;
    k = (MDB_val){15, "outbox_last_seq"};
    info->last_seq = !mdb_get(txn, meta, &k, &v) && v.mv_size == 8 ? hub_be64_get(v.mv_data) : 0;
    if (!mdb_dbi_open(txn, "outbox", 0, &outbox)) {
        MDB_cursor *cur;
        if (!(rc = mdb_cursor_open(txn, outbox, &cur))) {
            if (!mdb_cursor_get(cur, &k, &v, MDB_LAST) && k.mv_size == 8 && hub_be64_get(k.mv_data) > info->last_seq)
                info->last_seq = hub_be64_get(k.mv_data);
            mdb_cursor_close(cur);
        }
    }
    char p[1100];
    struct stat st;
    s_join(p, sizeof p, dir, "data.mdb");
    info->bytes = stat(p, &st) ? 0 : (uint64_t)st.st_size;
out:
    if (txn) mdb_txn_abort(txn);
    if (env) mdb_env_close(env);
    return rc;
}

/* Copies env into a new file dir/data.mdb (0600), compacted, and syncs it.
 * 0, or -1 with err set. */
static int s_copy(MDB_env *env, const char *dir, hub_error_t *err)
{
    char p[1100];
    s_join(p, sizeof p, dir, "data.mdb");
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot create %s: %s", p, strerror(errno));
    int rc = mdb_env_copyfd2(env, fd, MDB_CP_COMPACT);
    if (!rc && fsync(fd)) rc = errno;
    close(fd);
    if (rc) return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "copying the store to %s: %s", p, mdb_strerror(rc));
    return 0;
}

/* Removes what a failed backup or restore left in dir, then dir. */
static void s_remove_partial(const char *dir)
{
    static const char *const files[] = {"data.mdb", "lock.mdb", HUB_BACKUP_MANIFEST};
    char p[1100];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        s_join(p, sizeof p, dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

/* Writes dir/MANIFEST (0600) from info and syncs it. 0 or -errno. */
static int s_write_manifest(const char *dir, const char *name, const hub_backup_info_t *info)
{
    char p[1100];
    s_join(p, sizeof p, dir, HUB_BACKUP_MANIFEST);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return -errno;
    FILE *f = fdopen(fd, "w");
    if (!f) { close(fd); return -ENOMEM; }
    fprintf(f,
            "daemon=%s\nversion=%s\nschema_version=%u\nepoch=%llu\nlast_seq=%llu\ntime_ms=%lld\n"
            "bytes=%llu\n",
            name, HUB_VERSION, info->schema_version, (unsigned long long)info->epoch,
            (unsigned long long)info->last_seq, (long long)info->time_ms, (unsigned long long)info->bytes);
    int rc = fflush(f) || fsync(fd) ? -errno : 0;
    fclose(f);
    return rc;
}

int hub_backup_write(hub_store_t *store, const char *dir, const char *name, hub_backup_info_t *info,
                     hub_error_t *err)
{
    memset(info, 0, sizeof *info);
    if (hub_backup_check(dir, name, err)) return -1;
    int rc = hub_mkdir_p(dir, 0700);
    if (rc) return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "dir", "cannot create %s: %s", dir, strerror(-rc));
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s/.%s.partial-%ld", dir, name, (long)getpid());
    snprintf(info->path, sizeof info->path, "%s/%s", dir, name);
    if (mkdir(tmp, 0700))
        return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "dir", "cannot create %s: %s", tmp, strerror(errno));
    info->time_ms = hub_now_ms();
    int64_t t0 = hub_mono_ms();
    /* LMDB's copy takes its own read transaction: a consistent snapshot,
     * writers go on; like any thread read it holds off a map growth */
    pthread_rwlock_rdlock(&store->grow_lock);
    int copied = s_copy(store->env, tmp, err);
    pthread_rwlock_unlock(&store->grow_lock);
    if (copied) goto fail;
    if ((rc = s_inspect(tmp, info))) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "the copy in %s does not open: %s", tmp, mdb_strerror(rc));
        goto fail;
    }
    if ((rc = s_write_manifest(tmp, name, info)) || (rc = s_sync_dir(tmp))) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "writing %s/%s: %s", tmp, HUB_BACKUP_MANIFEST, strerror(-rc));
        goto fail;
    }
    /* complete: now it may carry the name (rename refuses an existing
     * non-empty directory, so a backup made meanwhile is not replaced) */
    if (rename(tmp, info->path)) {
        int e = errno;
        hub_error_set(err, e == EEXIST || e == ENOTEMPTY ? HUB__ERROR_CODE__ALREADY_EXISTS : HUB__ERROR_CODE__INTERNAL,
                      "dir", "cannot rename %s to %s: %s", tmp, info->path, strerror(e));
        goto fail;
    }
    s_sync_dir(dir);
    info->duration_ms = hub_mono_ms() - t0;
    hub_info("backup %s: %llu bytes, epoch %llu, last seq %llu, schema %u, %lld ms", info->path,
             (unsigned long long)info->bytes, (unsigned long long)info->epoch, (unsigned long long)info->last_seq,
             info->schema_version, (long long)info->duration_ms);
    return 0;
fail:
    s_remove_partial(tmp);
    return -1;
}

bool hub_backup_store_in_use(const char *store_dir)
{
    char p[1100];
    s_join(p, sizeof p, store_dir, "lock.mdb");
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false; /* LMDB creates it on open: never opened */
    /* LMDB holds a read lock on byte 0 of lock.mdb while the env is open */
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    bool used = !fcntl(fd, F_GETLK, &fl) && fl.l_type != F_UNLCK;
    close(fd);
    return used;
}

/* Takes LMDB's lock of the store in store_dir (lock.mdb byte 0, created if
 * need be) exclusively, so no daemon opens the store while it is replaced.
 * The fd (closing it releases the lock), or -1 with err set. */
static int s_lock_store(const char *store_dir, const char *name, hub_error_t *err)
{
    char p[1100];
    s_join(p, sizeof p, store_dir, "lock.mdb");
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot open %s: %s", p, strerror(errno));
        return -1;
    }
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    if (fcntl(fd, F_SETLK, &fl)) {
        int e = errno;
        close(fd);
        if (e == EAGAIN || e == EACCES)
            hub_error_set(err, HUB__ERROR_CODE__FAILED_PRECONDITION, "",
                          "hub-%s is running (its store %s is open): stop it before restoring", name, store_dir);
        else
            hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot lock %s: %s", p, strerror(e));
        return -1;
    }
    return fd;
}

/* Copies the backup in src_dir into stage/data.mdb and gives it a forked
 * epoch there. 0, or -1 with err set. */
static int s_stage(const char *src_dir, const char *stage, const char *name, hub_backup_info_t *info,
                   hub_error_t *err)
{
    MDB_env *env = NULL;
    int rc;
    if ((rc = mdb_env_create(&env)) || (rc = mdb_env_set_maxdbs(env, BACKUP_MAXDBS)) ||
        (rc = mdb_env_open(env, src_dir, MDB_RDONLY | MDB_NOLOCK, 0600))) {
        if (env) mdb_env_close(env);
        return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "the backup %s does not open: %s", src_dir,
                             mdb_strerror(rc));
    }
    rc = s_copy(env, stage, err);
    mdb_env_close(env);
    if (rc) return -1;
    char p[1100];
    struct stat st;
    s_join(p, sizeof p, stage, "data.mdb");
    size_t map = (stat(p, &st) ? 0 : (size_t)st.st_size) + RESTORE_MAP_SLACK;
    const char *const names[] = {"outbox", NULL};
    hub_store_t *store = hub_store_open_schema(stage, map, names, NULL, err);
    if (!store) return -1;
    hub_outbox_t ob;
    MDB_txn *txn = NULL;
    if ((rc = hub_outbox_init(&ob, store, store->dbs[0], name)) ||
        (rc = mdb_txn_begin(store->env, NULL, 0, &txn)) || (rc = hub_outbox_fork(&ob, txn)) ||
        (rc = hub_store_meta_put_u64(store, txn, "restored_ms", (uint64_t)hub_now_ms()))) {
        if (txn) mdb_txn_abort(txn);
    } else {
        rc = mdb_txn_commit(txn);
    }
    info->epoch = ob.epoch;
    info->last_seq = ob.last_seq;
    info->parent_epoch = ob.parent_epoch;
    hub_outbox_fini(&ob);
    hub_store_close(&store);
    s_join(p, sizeof p, stage, "lock.mdb");
    unlink(p);
    if (rc) return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "restoring into %s: %s", stage, mdb_strerror(rc));
    hub_backup_info_t facts = {0};
    if (!s_inspect(stage, &facts)) {
        info->schema_version = facts.schema_version;
        info->bytes = facts.bytes;
    }
    return 0;
}

int hub_backup_restore(const char *src_dir, const char *store_dir, const char *name, hub_backup_info_t *info,
                       hub_error_t *err)
{
    memset(info, 0, sizeof *info);
    if (strlen(src_dir) > HUB_BACKUP_MAX_PATH || strlen(store_dir) > HUB_BACKUP_MAX_PATH)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "dir", "path longer than %d bytes",
                             HUB_BACKUP_MAX_PATH);
    snprintf(info->path, sizeof info->path, "%s", store_dir);
    char src[1100], stage[1100], live[1100];
    struct stat st;
    s_join(src, sizeof src, src_dir, "data.mdb");
    if (stat(src, &st) || !S_ISREG(st.st_mode))
        return hub_error_set(err, HUB__ERROR_CODE__NOT_FOUND, "dir", "%s: no backup of %s there", src_dir, name);
    int rc = hub_mkdir_p(store_dir, 0700);
    if (rc) return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot create %s: %s", store_dir, strerror(-rc));
    chmod(store_dir, 0700);
    int lock = s_lock_store(store_dir, name, err);
    if (lock < 0) return -1;
    info->time_ms = hub_now_ms();
    int64_t t0 = hub_mono_ms();
    snprintf(stage, sizeof stage, "%s/.restore-%ld", store_dir, (long)getpid());
    s_remove_partial(stage); /* left by an earlier restore that died */
    if (mkdir(stage, 0700)) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot create %s: %s", stage, strerror(errno));
        goto fail;
    }
    if (s_stage(src_dir, stage, name, info, err)) goto fail;
    s_join(live, sizeof live, store_dir, "data.mdb");
    if (!stat(live, &st)) {
        char when[32];
        time_t now = (time_t)(info->time_ms / 1000);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &tm);
        snprintf(info->aside, sizeof info->aside, "%s/data.mdb.pre-restore-%s", store_dir, when);
        if (rename(live, info->aside)) {
            hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot move %s aside: %s", live, strerror(errno));
            info->aside[0] = 0;
            goto fail;
        }
    }
    char staged[1200];
    s_join(staged, sizeof staged, stage, "data.mdb");
    if (rename(staged, live)) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot move %s into place: %s", staged, strerror(errno));
        if (info->aside[0] && !rename(info->aside, live)) info->aside[0] = 0; /* put the old one back */
        goto fail;
    }
    s_sync_dir(store_dir);
    s_remove_partial(stage);
    close(lock);
    info->duration_ms = hub_mono_ms() - t0;
    return 0;
fail:
    s_remove_partial(stage);
    close(lock);
    return -1;
}
