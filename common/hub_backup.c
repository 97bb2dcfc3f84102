#include "hub_backup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

int hub_backup_confine(const char *dir, const char *root, hub_error_t *err)
{
    if (!root || !*root) return 0;
    char real_root[PATH_MAX], probe[PATH_MAX], real[PATH_MAX];
    if (!realpath(root, real_root))
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "dir",
                             "the backup root %s ([hub] backup_dir) does not resolve: %s", root, strerror(errno));
    snprintf(probe, sizeof probe, "%s", dir);
    size_t cut = strlen(probe); /* dir + cut: the part that does not exist yet */
    while (!realpath(probe, real)) {
        char *slash = strrchr(probe, '/');
        if (errno != ENOENT || !slash) {
            return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "dir", "%s does not resolve: %s", dir,
                                 strerror(errno));
        }
        cut = (size_t)(slash - probe);
        if (slash == probe) slash[1] = 0;
        else *slash = 0;
    }
    size_t rl = strlen(real);
    if (dir[cut] && rl + strlen(dir + cut) < sizeof real)
        snprintf(real + rl, sizeof real - rl, "%s", !strcmp(real, "/") ? dir + cut + 1 : dir + cut);
    size_t n = strlen(real_root);
    bool under = !strcmp(real_root, "/") ||
                 (!strncmp(real, real_root, n) && (real[n] == 0 || real[n] == '/'));
    if (!under)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "dir",
                             "%s is outside the backup root %s ([hub] backup_dir): back up into a directory under it",
                             dir, root);
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

/* Copies env into a new file data.mdb (0600) of the directory open as dfd
 * (dir: its name, for messages), compacted, and syncs it. 0, or -1 with
 * err set. */
static int s_copy(MDB_env *env, int dfd, const char *dir, hub_error_t *err)
{
    char p[1100];
    s_join(p, sizeof p, dir, "data.mdb");
    int fd = openat(dfd, "data.mdb", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot create %s: %s", p, strerror(errno));
    int rc = mdb_env_copyfd2(env, fd, MDB_CP_COMPACT);
    if (!rc && fsync(fd)) rc = errno;
    close(fd);
    if (rc) return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "copying the store to %s: %s", p, mdb_strerror(rc));
    return 0;
}

/* Removes what a failed backup or restore left in the directory open as
 * dfd (relative to it: never through a name that may have been swapped
 * for a symlink), then the entry dir (rmdir does not follow a symlink).
 * Closes dfd (-1: only the rmdir). */
static void s_remove_partial(int dfd, const char *dir)
{
    static const char *const files[] = {"data.mdb", "lock.mdb", HUB_BACKUP_MANIFEST};
    if (dfd >= 0) {
        for (size_t i = 0; i < sizeof files / sizeof *files; i++) unlinkat(dfd, files[i], 0);
        close(dfd);
    }
    rmdir(dir);
}

/* Opens the directory dir that this process just created, refusing a
 * symlink or a directory someone else put there. The fd, or -1 with err
 * set. */
static int s_open_own_dir(const char *dir, hub_error_t *err)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (dfd < 0 || fstat(dfd, &st) || st.st_uid != geteuid()) {
        int e = dfd < 0 ? errno : EPERM;
        if (dfd >= 0) close(dfd);
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "dir", "cannot open %s: %s", dir, strerror(e));
        return -1;
    }
    return dfd;
}

/* Writes MANIFEST (0600) from info into the directory open as dfd and
 * syncs it. 0 or -errno. */
static int s_write_manifest(int dfd, const char *name, const hub_backup_info_t *info)
{
    int fd = openat(dfd, HUB_BACKUP_MANIFEST, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
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
    /* from here on its files are reached through dfd only: DIR may be
     * writable by someone who swaps tmp for a symlink to the live store */
    int dfd = s_open_own_dir(tmp, err);
    if (dfd < 0) return -1;
    info->time_ms = hub_now_ms();
    int64_t t0 = hub_mono_ms();
    /* LMDB's copy takes its own read transaction: a consistent snapshot,
     * writers go on; like any thread read it holds off a map growth */
    pthread_rwlock_rdlock(&store->grow_lock);
    int copied = s_copy(store->env, dfd, tmp, err);
    pthread_rwlock_unlock(&store->grow_lock);
    if (copied) goto fail;
    if ((rc = s_inspect(tmp, info))) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "the copy in %s does not open: %s", tmp, mdb_strerror(rc));
        goto fail;
    }
    if ((rc = s_write_manifest(dfd, name, info)) || (fsync(dfd) && (rc = -errno))) {
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
    close(dfd);
    s_sync_dir(dir);
    info->duration_ms = hub_mono_ms() - t0;
    hub_info("backup %s: %llu bytes, epoch %llu, last seq %llu, schema %u, %lld ms", info->path,
             (unsigned long long)info->bytes, (unsigned long long)info->epoch, (unsigned long long)info->last_seq,
             info->schema_version, (long long)info->duration_ms);
    return 0;
fail:
    s_remove_partial(dfd, tmp);
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

int hub_backup_lock_store(const char *store_dir, const char *name, bool *created, hub_error_t *err)
{
    char p[1100];
    s_join(p, sizeof p, store_dir, "lock.mdb");
    int fd = open(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (created) *created = fd >= 0;
    if (fd < 0 && errno == EEXIST) fd = open(p, O_RDWR | O_CLOEXEC);
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

/* Copies the backup in src_dir into stage/data.mdb (stage open as sfd)
 * and gives it a forked epoch there. 0, or -1 with err set. */
static int s_stage(const char *src_dir, int sfd, const char *stage, const char *name, hub_backup_info_t *info,
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
    rc = s_copy(env, sfd, stage, err);
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
    /* what the restore creates belongs to whoever owns the store (the
     * daemon's user, e.g. "hub" under systemd), or its parent when new:
     * a restore run as root must not leave root's files the daemon cannot
     * open */
    bool new_dir = stat(store_dir, &st) != 0;
    int rc = hub_mkdir_p(store_dir, 0700);
    if (rc) return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot create %s: %s", store_dir, strerror(-rc));
    chmod(store_dir, 0700);
    char owner_of[1100];
    snprintf(owner_of, sizeof owner_of, "%s", store_dir);
    if (new_dir) {
        char *slash = strrchr(owner_of, '/');
        if (slash == owner_of) slash[1] = 0;
        else if (slash) *slash = 0;
        else snprintf(owner_of, sizeof owner_of, ".");
    }
    struct stat own;
    if (stat(owner_of, &own))
        return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot stat %s: %s", owner_of, strerror(errno));
    if (new_dir && chown(store_dir, own.st_uid, own.st_gid))
        return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot give %s to %u:%u: %s", store_dir,
                             (unsigned)own.st_uid, (unsigned)own.st_gid, strerror(errno));
    bool lock_created;
    int lock = hub_backup_lock_store(store_dir, name, &lock_created, err);
    if (lock < 0) return -1;
    int sfd = -1;
    if (lock_created && fchown(lock, own.st_uid, own.st_gid)) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot give %s/lock.mdb to %u:%u: %s", store_dir,
                      (unsigned)own.st_uid, (unsigned)own.st_gid, strerror(errno));
        close(lock);
        return -1;
    }
    info->time_ms = hub_now_ms();
    int64_t t0 = hub_mono_ms();
    snprintf(stage, sizeof stage, "%s/.restore-%ld", store_dir, (long)getpid());
    /* left by an earlier restore that died (the store directory is the
     * owner's own: no one else can swap the name) */
    s_remove_partial(open(stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), stage);
    if (mkdir(stage, 0700)) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot create %s: %s", stage, strerror(errno));
        goto fail;
    }
    if ((sfd = s_open_own_dir(stage, err)) < 0 || s_stage(src_dir, sfd, stage, name, info, err)) goto fail;
    if (fchownat(sfd, "data.mdb", own.st_uid, own.st_gid, AT_SYMLINK_NOFOLLOW)) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot give %s/data.mdb to %u:%u: %s", stage,
                      (unsigned)own.st_uid, (unsigned)own.st_gid, strerror(errno));
        goto fail;
    }
    s_join(live, sizeof live, store_dir, "data.mdb");
    if (!stat(live, &st)) {
        /* a second name for the old file, then the new one replaces it in
         * one rename: data.mdb is never missing. link() refuses an existing
         * name, so restores within the same second each keep theirs */
        char when[32];
        time_t now = (time_t)(info->time_ms / 1000);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &tm);
        int e = EEXIST;
        for (unsigned n = 0; e == EEXIST && n < 1000; n++) {
            if (n) snprintf(info->aside, sizeof info->aside, "%s/data.mdb.pre-restore-%s-%u", store_dir, when, n);
            else snprintf(info->aside, sizeof info->aside, "%s/data.mdb.pre-restore-%s", store_dir, when);
            e = link(live, info->aside) ? errno : 0;
        }
        if (e) {
            hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot keep %s aside as %s: %s", live, info->aside,
                          strerror(e));
            info->aside[0] = 0;
            goto fail;
        }
    }
    char staged[1200];
    s_join(staged, sizeof staged, stage, "data.mdb");
    if (rename(staged, live)) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot move %s into place: %s", staged, strerror(errno));
        if (info->aside[0] && !unlink(info->aside)) info->aside[0] = 0; /* the old one is still in place */
        goto fail;
    }
    s_sync_dir(store_dir);
    s_remove_partial(sfd, stage);
    close(lock);
    info->duration_ms = hub_mono_ms() - t0;
    return 0;
fail:
    s_remove_partial(sfd, stage);
    close(lock);
    return -1;
}
