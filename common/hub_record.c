#include "hub_record.h"

#include <string.h>

int hub_record_put(hub_call_t *call, MDB_dbi db, const char *key, const ProtobufCMessage *m)
{
    size_t len;
    uint8_t *buf = hub_wire_pack(m, call->arena, &len);
    if (!buf) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "record too large");
    MDB_val k = {strlen(key), (void *)key}, v = {len, buf};
    int rc = mdb_put(call->txn, db, &k, &v, 0);
    return rc ? hub_call_mdb_error(call, rc) : 0;
}

ProtobufCMessage *hub_record_get(hub_call_t *call, MDB_dbi db, const char *key,
                                   const ProtobufCMessageDescriptor *desc, const char *what)
{
    MDB_val k = {strlen(key), (void *)key}, v;
    int rc = *key && k.mv_size <= 511 ? mdb_get(call->txn, db, &k, &v) : MDB_NOTFOUND;
    if (rc == MDB_NOTFOUND) {
        hub_error_set(&call->err, HUB__ERROR_CODE__NOT_FOUND, what, "no %s \"%s\"", what, key);
        return NULL;
    }
    if (rc) { hub_call_mdb_error(call, rc); return NULL; }
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, hub_arena_allocator(call->arena), v.mv_size, v.mv_data);
    if (m) return m;
    /* out of this command's memory, or a damaged record: say which */
    size_t used = hub_arena_used(call->arena), budget = hub_arena_budget(call->arena);
    if (budget - used < 4 * v.mv_size + 65536)
        hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, what,
                      "out of memory for this command reading %s %s", what, key);
    else
        hub_error_set(&call->err, HUB__ERROR_CODE__INTERNAL, what, "stored %s %s is unreadable", what, key);
    return NULL;
}



/* Adds val to the page; returns 1 (stop) when the page is full: at the
 * limit, at 1 MiB of records, or when half the reply arena is used (the
 * other half is needed to pack the reply). */
static int s_take(hub_list_t *l, const MDB_val *val)
{
    hub_arena_t *ra = l->call->arena;
    if (l->n_items == l->limit ||
        (l->n_items && (l->bytes + val->mv_size > HUB_LIST_MAX_BYTES ||
                        hub_arena_used(ra) > hub_arena_budget(ra) / 2))) {
        l->next_after_id = (char *)l->last_id;
        return 1;
    }
    ProtobufCMessage *m = protobuf_c_message_unpack(l->desc, hub_arena_allocator(ra), val->mv_size, val->mv_data);
    if (!m) {
        if (!l->n_items) return 0; /* unreadable first record: skip it */
        l->next_after_id = (char *)l->last_id; /* reply budget spent: next page */
        return 1;
    }
    l->items[l->n_items++] = m;
    l->last_id = l->taken(m);
    l->bytes += val->mv_size;
    return 0;
}

static int s_scan(const MDB_val *key, const MDB_val *val, void *arg)
{
    hub_list_t *l = arg;
    if (l->prefix) {
        size_t n = strlen(l->prefix);
        if (key->mv_size < n || memcmp(key->mv_data, l->prefix, n)) return 1;
    }
    hub_arena_reset(l->scratch);
    ProtobufCMessage *m = protobuf_c_message_unpack(l->desc, hub_arena_allocator(l->scratch),
                                                    val->mv_size, val->mv_data);
    return m && l->match(l, m) ? s_take(l, val) : 0;
}

int hub_list_run(hub_list_t *l, MDB_dbi db, const char *after_id, unsigned limit)
{
    hub_call_t *call = l->call;
    if (strlen(after_id) > 511)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "after_id", "after_id is too long");
    l->limit = limit ? (limit < HUB_LIST_MAX ? limit : HUB_LIST_MAX) : HUB_LIST_DEFAULT;
    l->items = hub_arena_alloc(call->arena, l->limit * sizeof *l->items);
    l->last_id = "";
    int rc = hub_store_scan_after(call->txn, db, after_id, s_scan, l);
    return rc ? hub_call_mdb_error(call, rc) : 0;
}

int hub_record_next_seq(hub_call_t *call, hub_store_t *store, const char *name, uint64_t *out)
{
    uint64_t v = 0;
    int rc = hub_store_meta_get_u64(store, call->txn, name, &v);
    if (rc && rc != MDB_NOTFOUND) return hub_call_mdb_error(call, rc);
    if ((rc = hub_store_meta_put_u64(store, call->txn, name, v + 1))) return hub_call_mdb_error(call, rc);
    *out = v + 1;
    return 0;
}
