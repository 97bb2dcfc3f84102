#include "hub_due.h"

#include <string.h>

#include "hub_log.h"
#include "hub_util.h"

/* Posts the verb when the first key of the database is due. */
static void s_check(uv_timer_t *t)
{
    hub_due_t *self = t->data;
    MDB_txn *txn;
    if (mdb_txn_begin(self->store->env, NULL, MDB_RDONLY, &txn)) return;
    MDB_cursor *cur;
    MDB_val k, v;
    bool due = false;
    if (!mdb_cursor_open(txn, self->db, &cur)) {
        if (!mdb_cursor_get(cur, &k, &v, MDB_FIRST) && k.mv_size > 8)
            due = (int64_t)hub_be64_get(k.mv_data) <= hub_now_ms();
        mdb_cursor_close(cur);
    }
    mdb_txn_abort(txn);
    if (!due) return;
    Hub__Tick tick = HUB__TICK__INIT;
    hub_error_t err = {0};
    if (hub_rpc_post(self->rpc, self->verb, &tick.base, &err)) hub_warn("%s: %s", self->verb, err.message);
}

void hub_due_start(hub_due_t *self, uv_loop_t *loop, hub_rpc_t *rpc, hub_store_t *store, MDB_dbi db,
                   const char *verb, int interval_ms)
{
    self->rpc = rpc;
    self->store = store;
    self->db = db;
    self->verb = verb;
    uv_timer_init(loop, &self->timer);
    self->timer.data = self;
    uv_timer_start(&self->timer, s_check, (uint64_t)interval_ms, (uint64_t)interval_ms);
    self->on = true;
}

void hub_due_stop(hub_due_t *self)
{
    if (self->on) uv_close((uv_handle_t *)&self->timer, NULL);
    self->on = false;
}

typedef struct {
    hub_due_fn fn;
    void *arg;
    hub_due_item_t item;
} s_take_t;

/* hub_call_fn: runs the caller's fn on one item. */
static int s_take_one(hub_call_t *call, void *p)
{
    s_take_t *t = p;
    return t->fn(call, &t->item, t->arg);
}

int hub_due_take(hub_call_t *call, MDB_dbi db, int64_t now, unsigned max, hub_due_fn fn, void *arg,
                 const char *what, const char *failed_counter)
{
    int done = 0;
    /* each entry is packed into the store and the outbox before the next:
     * its memory is reused, so a long run of due entries fits the budget */
    hub_arena_mark_t mark = hub_arena_mark(call->arena);
    for (unsigned i = 0; i < max; i++) {
        hub_arena_rewind(call->arena, mark);
        MDB_cursor *cur;
        int rc = mdb_cursor_open(call->txn, db, &cur);
        if (rc) return hub_call_mdb_error(call, rc);
        MDB_val k, v;
        rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        char *key = NULL;
        void *val = NULL;
        bool due = !rc && k.mv_size > 8 && (int64_t)hub_be64_get(k.mv_data) <= now;
        if (due) {
            key = hub_arena_alloc(call->arena, k.mv_size + 1);
            val = hub_arena_alloc(call->arena, v.mv_size ? v.mv_size : 1);
            if (key && val) {
                memcpy(key, k.mv_data, k.mv_size);
                key[k.mv_size] = 0;
                memcpy(val, v.mv_data, v.mv_size);
            }
        }
        mdb_cursor_close(cur);
        if (rc && rc != MDB_NOTFOUND) return hub_call_mdb_error(call, rc);
        if (!due) break;
        if (!key || !val)
            return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
        MDB_val dk = {k.mv_size, key};
        if ((rc = mdb_del(call->txn, db, &dk, NULL))) return hub_call_mdb_error(call, rc);
        s_take_t t = {fn, arg, {(int64_t)hub_be64_get((uint8_t *)key), key + 8, k.mv_size - 8, val, v.mv_size, false}};
        hub_error_t keep = call->err;
        int tr = hub_call_try(call, s_take_one, &t);
        if (tr < 0) return -1;
        if (tr > 0) {
            hub_err("%s %s not handled: %s %s; dropped", what, t.item.id, hub_error_code_name(call->err.code),
                    call->err.message);
            hub_rpc_count(call->rpc, failed_counter, 1);
            call->err = keep;
            continue;
        }
        if (!t.item.skipped) done++;
    }
    return done;
}

size_t hub_due_key(uint8_t *out, int64_t when_ms, const char *id)
{
    size_t n = strlen(id);
    if (n > HUB_DUE_MAX_ID) n = HUB_DUE_MAX_ID;
    hub_be64_put(out, (uint64_t)when_ms);
    memcpy(out + 8, id, n);
    return 8 + n;
}
