/* hub_rpc: a daemon's command server and event publisher.
 *
 * Commands arrive on ROUTER sockets as [identity][""][verb][body] (REQ or
 * DEALER peers; the empty delimiter is optional for DEALER). Replies are
 * [identity][""]["OK"|"ERR"][body], body being the handler's reply message
 * or a hub.Error. All commands read in one loop turn (at most
 * HUB_RPC_BATCH) run in ONE LMDB write transaction, each in a nested
 * transaction so a failing command leaves no trace; replies and events go
 * out only after the commit (group commit, Titanic rule). On MDB_MAP_FULL
 * the batch is aborted, the map grown and the batch run again.
 *
 * Built-in verbs: "hub.replay" (outbox from a sequence), "hub.status" and
 * "hub.backup" (operator: a compacted copy of the store, see hub_backup;
 * the copy runs on a libuv worker thread after the batch's commit and its
 * reply is sent when it is done, so the loop keeps serving; one at a time).
 * Events are published on PUB as [topic][epoch:8 BE + seq:8 BE][hub.Event];
 * a "hub.heartbeat" carries the latest sequence. */
#ifndef HUB_RPC_H
#define HUB_RPC_H

#include <lmdb.h>
#include <stdbool.h>
#include <uv.h>

#include "hub_auth.h"
#include "hub_hist.h"
#include "hub_outbox.h"
#include "hub_store.h"
#include "hub_wire.h"

#define HUB_RPC_BATCH 256          /* commands per loop turn and transaction */
#define HUB_RPC_BATCH_REPLAYS 16  /* hub.replay commands per batch (memory bound) */
#define HUB_RPC_MAX_FRAMES 4      /* identity, delimiter, verb, body */
#define HUB_RPC_MAX_VERB 64
#define HUB_RPC_HARD_MAXMSG (8 << 20) /* ZMQ_MAXMSGSIZE: libzmq drops the peer past it */
#define HUB_RPC_MAX_COUNTERS 64
#define HUB_RPC_MAX_TABLES 80     /* handler tables (the service's, feeds': a city reporting has 68) */
#define HUB_RPC_REPLAY_BYTES (1u << 20) /* event bytes in one replay reply */
#define HUB_STATUS_ROLES "operator auditor dashboard subscriber" /* hub.status: no personal data */
#define HUB_ROLE_TRUSTED "trusted"   /* role of every peer on a non-CURVE endpoint */
#define HUB_ROLE_INTERNAL "internal" /* handler roles: only the daemon's own inproc endpoint
                                        (hub_rpc_self_endpoint) reaches it; others get NOT_FOUND */

typedef struct hub_rpc hub_rpc_t;

/* One command being handled. Everything it points to is valid only during
 * the handler call; reply must be allocated from arena. */
typedef struct hub_call {
    const char *verb;
    const ProtobufCMessage *req;  /* unpacked and validated */
    const char *principal;        /* CURVE User-Id, or "local" */
    const char *role;             /* principal's role, or HUB_ROLE_TRUSTED */
    bool authenticated;           /* true on a CURVE endpoint */
    hub_arena_t *arena;
    MDB_txn *txn;                 /* nested write transaction */
    hub_rpc_t *rpc;
    hub_outbox_t *outbox;
    const ProtobufCMessage *reply;
    hub_error_t err;
    int mdb_rc;                   /* set by hub_call_mdb_error */
} hub_call_t;

/* A handler returns 0 with call->reply set, or -1 with call->err set.
 * It may run more than once for one command (the batch is re-run after
 * MDB_MAP_FULL, with the arena rewound to just after the unpack): it must
 * get all its state from the store and call->req, and must not read back
 * arena pointers it wrote into call->req on an earlier run. */
typedef int (*hub_handler_fn)(hub_call_t *call, void *ctx);

typedef struct {
    const char *verb;
    const ProtobufCMessageDescriptor *req_desc;
    hub_handler_fn fn;
    const char *roles;   /* space-separated roles allowed for CURVE peers;
                            NULL = any authenticated principal */
} hub_handler_t;

/* Creates the server. store and outbox are borrowed; handlers (terminated by
 * a NULL verb) and ctx must outlive the server. Caller owns the result. */
hub_rpc_t *hub_rpc_new(uv_loop_t *loop, void *zctx, const char *source, hub_store_t *store,
                       hub_outbox_t *outbox, const hub_handler_t *handlers, void *ctx);
/* Adds a handler table (NULL-verb terminated, borrowed) whose handlers get
 * ctx (e.g. a feed's own verb). 0, or -1 when HUB_RPC_MAX_TABLES are in use. */
int hub_rpc_add_handlers(hub_rpc_t *self, const hub_handler_t *handlers, void *ctx);
/* The daemon's own inproc command endpoint ("inproc://hub-<source>-self"),
 * bound on first use; its peers are trusted. Borrowed; NULL with err. */
const char *hub_rpc_self_endpoint(hub_rpc_t *self, hub_error_t *err);
/* Queues a command to ourselves from the loop thread (a timer's work, so it
 * runs in a batch like any command). The reply is dropped; a failure is
 * logged and counted (self_calls_failed_total). 0 or -1 with err. */
int hub_rpc_post(hub_rpc_t *self, const char *verb, const ProtobufCMessage *msg, hub_error_t *err);
/* Confines hub.backup to directories under root ([hub] backup_dir,
 * copied; NULL or "" = any absolute path): see hub_backup_confine. */
void hub_rpc_set_backup_root(hub_rpc_t *self, const char *root);
/* Uses auth (borrowed) to map CURVE User-Ids to roles. */
void hub_rpc_set_auth(hub_rpc_t *self, hub_auth_t *auth);
/* Binds a command endpoint. With secret_key (Z85) it is a CURVE server;
 * without, the endpoint must be local (ipc/inproc/loopback) or it is refused. */
int hub_rpc_bind(hub_rpc_t *self, const char *endpoint, const char *secret_key,
                 hub_error_t *err);
/* Binds the event PUB socket (same CURVE rule) and starts heartbeats. */
int hub_rpc_bind_pub(hub_rpc_t *self, const char *endpoint, const char *secret_key,
                     int heartbeat_ms, hub_error_t *err);
/* Closes and binds the PUB socket again, so every subscriber reconnects
 * and is authenticated anew (after a principals reload: ZAP runs only at
 * the handshake). Subscribers lose nothing: they replay the gap. 0 or -1. */
int hub_rpc_rebind_pub(hub_rpc_t *self, hub_error_t *err);
/* Stops reading commands, closes sockets and timers. *self_p = NULL. */
void hub_rpc_destroy(hub_rpc_t **self_p);

/* Adds n to the named counter (created on first use; names borrowed). */
void hub_rpc_count(hub_rpc_t *self, const char *name, uint64_t n);
uint64_t hub_rpc_counter(hub_rpc_t *self, const char *name);
/* Reports hist (borrowed, kept by the caller on the loop thread) in
 * hub.status as two values named p50_name / p99_name (borrowed), each
 * quantile divided by divisor (e.g. 1000: ns -> us). Quantiles are
 * computed when status is asked, not per sample. 0, or -1 when 8 are
 * registered. */
int hub_rpc_add_hist(hub_rpc_t *self, const char *p50_name, const char *p99_name, const hub_hist_t *hist,
                     uint64_t divisor);

/* Reports the number of entries of dbi (borrowed name, e.g. "deliveries_due")
 * in hub.status's queues: the work waiting in a service's queue database.
 * 0, or -1 when 8 are registered. */
int hub_rpc_add_queue(hub_rpc_t *self, const char *name, MDB_dbi dbi);

/* Records an LMDB failure in a handler: sets INTERNAL and remembers rc so
 * MDB_MAP_FULL triggers grow-and-retry. Returns -1. */
int hub_call_mdb_error(hub_call_t *call, int rc);
/* Runs fn(call, arg) in a transaction nested in call->txn, so a failure
 * leaves no trace (store writes, outbox events, counters) while the
 * command goes on: 0 done; 1 refused (call->err says why; the caller logs
 * or reports it and clears it); -1 a store error (call->mdb_rc set: the
 * command must fail, and MDB_MAP_FULL re-runs the batch). */
typedef int (*hub_call_fn)(hub_call_t *call, void *arg);
int hub_call_try(hub_call_t *call, hub_call_fn fn, void *arg);
/* True if the caller's role is one of roles (space-separated) or trusted. */
bool hub_call_has_role(const hub_call_t *call, const char *roles);

#endif
