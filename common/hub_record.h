/* hub_record: protobuf records in a daemon's LMDB databases, for command
 * handlers: put, get, and one page of a filtered list. Everything runs in
 * the handler's transaction (call->txn) and allocates from call->arena. */
#ifndef HUB_RECORD_H
#define HUB_RECORD_H

#include "hub_rpc.h"

#define HUB_LIST_DEFAULT 50
#define HUB_LIST_MAX 500
#define HUB_LIST_MAX_BYTES (1u << 20)

/* Packs m under key (NUL-terminated, < 512 bytes). 0, or -1 with
 * call->err (RESOURCE_EXHAUSTED when too large, INTERNAL store error). */
int hub_record_put(hub_call_t *call, MDB_dbi db, const char *key, const ProtobufCMessage *m);

/* Loads the record under key into call->arena; NULL with call->err
 * NOT_FOUND (field what: "no <what> \"key\"") when absent or key empty. */
ProtobufCMessage *hub_record_get(hub_call_t *call, MDB_dbi db, const char *key,
                                 const ProtobufCMessageDescriptor *desc, const char *what);

/* Next value (from 1) of the counter name in store's meta database,
 * counted in call->txn (so a refused command leaves it unchanged). 0, or
 * -1 with a store error (hub_call_mdb_error). */
int hub_record_next_seq(hub_call_t *call, hub_store_t *store, const char *name, uint64_t *out);

/* One page of a list. Each record is unpacked into scratch to be filtered
 * by match; a matching one is unpacked again into the reply arena and
 * passed to taken, which returns its id (and may trim it). */
typedef struct hub_list hub_list_t;
struct hub_list {
    hub_call_t *call;
    hub_arena_t *scratch;                      /* borrowed, reset per record */
    const void *query;                         /* the caller's filter */
    const void *arg;                           /* more of it */
    const ProtobufCMessageDescriptor *desc;
    int (*match)(const hub_list_t *l, const ProtobufCMessage *m);
    const char *(*taken)(ProtobufCMessage *m);
    const char *prefix;                        /* optional: stop at the first key without it */
    /* filled by hub_list_run: */
    unsigned limit;
    ProtobufCMessage **items;                  /* reply array (call arena) */
    size_t n_items;
    const char *last_id;
    char *next_after_id;                       /* set when the page ends early */
    size_t bytes;
};
/* Fills l->items from db after after_id (exclusive), at most limit
 * (0 = HUB_LIST_DEFAULT, capped at HUB_LIST_MAX), at most
 * HUB_LIST_MAX_BYTES of records or half the reply arena. 0, or -1 with
 * call->err set. */
int hub_list_run(hub_list_t *l, MDB_dbi db, const char *after_id, unsigned limit);

#endif
