/* hub_store: one LMDB environment per daemon, with named databases, a
 * schema version, map growth on MDB_MAP_FULL and a stale-reader check.
 * Thread rules: open, grow and close from the loop thread only; read
 * transactions never outlive one loop turn. */
#ifndef HUB_STORE_H
#define HUB_STORE_H

#include <lmdb.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "hub_wire.h"

#define HUB_STORE_MAX_DBS 16
#define HUB_STORE_SCHEMA_VERSION 1

struct hub_store {
    MDB_env *env;
    MDB_dbi meta;                      /* schema version, epoch, counters */
    MDB_dbi dbs[HUB_STORE_MAX_DBS];    /* in the order of the names given */
    int n_dbs;
    size_t map_size;
    char path[1024];
    pthread_rwlock_t grow_lock;        /* other threads' reads vs map growth */
};

/* A store's schema: the version this build writes (meta "schema_version";
 * a store without the key counts as version 1) and how to bring an older
 * store up to it. migrate(store, txn, from, ctx, err) moves the store from
 * version `from` to from + 1 (every database is open); it runs for each
 * step, all in the one write transaction that opens the store, so a
 * failed migration leaves the store as it was. 0, or -1 with err set.
 * owner names the program in messages ("hub-intake"). */
typedef struct hub_store hub_store_t;
typedef int (*hub_store_migrate_fn)(hub_store_t *store, MDB_txn *txn, unsigned from, void *ctx,
                                    hub_error_t *err);
typedef struct {
    unsigned version;                /* >= 1 */
    hub_store_migrate_fn migrate;    /* NULL: nothing to do between versions */
    void *ctx;
    const char *owner;
} hub_store_schema_t;
/* hub_store_open_schema's refusal of a newer store: err->field is this. */
#define HUB_STORE_SCHEMA_FIELD "schema_version"

/* Opens (creating with mode 0700/0600) the store in dir with the named
 * databases (NULL-terminated list, at most HUB_STORE_MAX_DBS; names up to
 * 50 bytes; "name:dupfixed" makes a MDB_DUPSORT|MDB_DUPFIXED one), at schema
 * version HUB_STORE_SCHEMA_VERSION with no migrations. Refuses a store
 * whose schema version is newer. Caller owns the result; NULL with err set
 * on failure. */
hub_store_t *hub_store_open(const char *dir, size_t map_size, const char *const *names,
                            hub_error_t *err);
/* The same with the caller's schema: a new store is stamped
 * schema->version; an older one is migrated (logged) and stamped; a newer
 * one is refused with FAILED_PRECONDITION, field HUB_STORE_SCHEMA_FIELD,
 * and a message that says what to do. schema NULL: the version is neither
 * checked nor stamped (tools that copy stores). */
hub_store_t *hub_store_open_schema(const char *dir, size_t map_size, const char *const *names,
                                   const hub_store_schema_t *schema, hub_error_t *err);
/* Commits (if open) nothing; closes the env and frees self; *self_p = NULL. */
void hub_store_close(hub_store_t **self_p);
/* A read transaction for a thread other than the loop's (a feed thread):
 * it holds off hub_store_grow, which remaps the file, until
 * hub_store_thread_read_end. 0 or an MDB error (then nothing to end). */
int hub_store_thread_read_begin(hub_store_t *self, MDB_txn **txn);
void hub_store_thread_read_end(hub_store_t *self, MDB_txn *txn);
/* Doubles the map size. Only with no transaction open in this thread;
 * waits for other threads' reads (hub_store_thread_read_begin). 0 or an
 * MDB error. */
int hub_store_grow(hub_store_t *self);
/* Clears stale reader slots; returns how many were cleared. */
int hub_store_reader_check(hub_store_t *self);
/* Keeps zero-filled space ahead of LMDB's last page so that commits
 * overwrite blocks instead of extending the file (on ext4 an extending
 * write makes fdatasync also flush the inode: about twice the latency).
 * Call from the loop thread with no write transaction open. Returns 1 if
 * it extended the file, 0 if not needed, -errno on failure (harmless). */
#define HUB_STORE_PREALLOC_HEADROOM (4 << 20)
#define HUB_STORE_PREALLOC_CHUNK (16 << 20)
int hub_store_preallocate(hub_store_t *self);
/* Bytes the data file takes on disk. */
uint64_t hub_store_file_bytes(const hub_store_t *self);

/* Calls fn for each record of db whose key sorts after `after` (from the
 * first record when after is ""), in key order, until fn returns non-zero.
 * The values are LMDB memory, valid only during the call. 0 or an MDB error. */
typedef int (*hub_store_scan_fn)(const MDB_val *key, const MDB_val *val, void *arg);
int hub_store_scan_after(MDB_txn *txn, MDB_dbi db, const char *after, hub_store_scan_fn fn,
                         void *arg);

/* meta helpers: u64 values under short string keys in the meta database. */
int hub_store_meta_get_u64(hub_store_t *self, MDB_txn *txn, const char *key, uint64_t *out);
int hub_store_meta_put_u64(hub_store_t *self, MDB_txn *txn, const char *key, uint64_t v);

#endif
