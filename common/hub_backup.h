/* hub_backup: online backups of a daemon's store and restoring them.
 *
 * A backup of daemon NAME into DIR is DIR/NAME/data.mdb (an LMDB compacted
 * copy taken in one read transaction: consistent, writers go on) and
 * DIR/NAME/MANIFEST ("key=value" lines: daemon, version, schema_version,
 * epoch, last_seq, time_ms, bytes). It is written under a temporary name
 * in DIR and renamed when complete, so a failed copy never looks like a
 * backup. Directories are 0700 and files 0600.
 *
 * A restore puts such a copy back as a stopped daemon's store: the old
 * data.mdb is kept aside as data.mdb.pre-restore-<UTC time>, and the
 * restored store gets a new outbox epoch that continues the backed-up one
 * (hub_outbox_fork), so subscribers neither skip nor re-apply events. */
#ifndef HUB_BACKUP_H
#define HUB_BACKUP_H

#include <stdbool.h>
#include <stdint.h>

#include "hub_store.h"
#include "hub_wire.h"

#define HUB_BACKUP_MANIFEST "MANIFEST"
#define HUB_BACKUP_MAX_PATH 900   /* longest DIR accepted (leaves room for names) */

/* What a backup or a restore holds. */
typedef struct {
    char path[1024];          /* DIR/NAME (backup) or the store directory (restore) */
    char aside[1100];         /* restore: where the old data.mdb went, "" if none */
    uint64_t bytes;           /* size of data.mdb */
    uint64_t epoch, last_seq; /* the outbox's (after a restore: the new epoch) */
    uint64_t parent_epoch;    /* restore: the backed-up epoch the new one continues */
    unsigned schema_version;
    int64_t time_ms;          /* when the copy began */
    int64_t duration_ms;
} hub_backup_info_t;

/* Checks that DIR is a fit target for NAME's backup before any work:
 * absolute, no "." or ".." component, at most HUB_BACKUP_MAX_PATH bytes
 * (INVALID_ARGUMENT, field "dir"); not an existing non-directory
 * (FAILED_PRECONDITION); DIR/NAME does not exist yet (ALREADY_EXISTS).
 * 0, or -1 with err set. */
int hub_backup_check(const char *dir, const char *name, hub_error_t *err);

/* Writes NAME's backup of store into DIR (creating DIR 0700 if needed).
 * Blocking: call it off the loop thread (it holds off hub_store_grow while
 * it copies, as a thread read does). The copy is opened again to fill the
 * manifest and *info, which proves it readable. 0, or -1 with err set
 * (nothing is left behind but DIR itself). */
int hub_backup_write(hub_store_t *store, const char *dir, const char *name, hub_backup_info_t *info,
                     hub_error_t *err);

/* With root non-empty ([hub] backup_dir), checks that DIR (already
 * through hub_backup_check) lies under root: the real path of DIR's
 * nearest existing ancestor (DIR itself if it exists), with the rest of
 * DIR appended, must be root's real path or start with it followed by
 * "/". INVALID_ARGUMENT (field "dir") otherwise, or when root does not
 * resolve. root NULL or "": any DIR. 0, or -1 with err set. */
int hub_backup_confine(const char *dir, const char *root, hub_error_t *err);

/* Takes LMDB's lock of the store in store_dir (lock.mdb byte 0, created
 * if need be: *created says so when not NULL) exclusively, as LMDB does
 * to know it is the only user, so no process opens the store while it is
 * replaced. The fd (closing it, or any other fd of lock.mdb in this
 * process, releases the lock), or -1 with err set: FAILED_PRECONDITION
 * when another process has the store open. */
int hub_backup_lock_store(const char *store_dir, const char *name, bool *created, hub_error_t *err);

/* True if a process has the LMDB store in store_dir open (it holds the
 * lock file's fcntl lock; the kernel drops it when the process dies, even
 * by kill -9). */
bool hub_backup_store_in_use(const char *store_dir);

/* Restores src_dir (a backup's DIR/NAME) as NAME's store in store_dir
 * (created 0700 if needed) while no process has that store open
 * (FAILED_PRECONDITION otherwise: stop the daemon first). The old data.mdb
 * is renamed aside; the restored store gets a forked epoch. src_dir without
 * data.mdb: NOT_FOUND. 0 with *info filled, or -1 with err set (the old
 * store is then still in place). */
int hub_backup_restore(const char *src_dir, const char *store_dir, const char *name, hub_backup_info_t *info,
                       hub_error_t *err);

#endif
