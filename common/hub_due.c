#include "hub_due.h"

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
