/* hub_feed: a daemon's subscription to another daemon's events, applied
 * exactly once and in order through its own command server.
 *
 * A thread runs a hub_sub on the publisher (replay from the durable cursor,
 * then live) and hands its events, in batches of up to 256 consecutive ones
 * (128 KiB), to the daemon's own inproc endpoint as
 * the command "hub.feed.<publisher>" (a hub.FeedEvent), keeping up to
 * HUB_FEED_WINDOW in flight. The loop thread applies it like any command:
 * in the batch's write transaction, with the service's state change, its
 * outbox events and the new cursor (meta "sub:<publisher>:epoch|seq")
 * committed together. So an event is applied once across crashes (kill -9
 * replays from the committed cursor; an already applied event is skipped),
 * and a burst of events shares one commit. On any refusal (a store error,
 * a gap) the thread waits for what is in flight, then starts again from
 * the committed cursor. */
#ifndef HUB_FEED_H
#define HUB_FEED_H

#include "hub_client.h"
#include "hub_config.h"
#include "hub_rpc.h"
#include "hub_store.h"

#define HUB_FEED_WINDOW 256   /* batches handed over and not yet answered */

typedef struct hub_feed hub_feed_t;

/* Applies one event inside call->txn (a transaction nested in its
 * command's). Return 0 when applied (domain oddities such as an unknown id
 * are best logged, counted and answered 0). On -1 with a store error
 * (hub_call_mdb_error) the command fails and the event comes again; on -1
 * with any other error the event's changes are rolled back, it is logged,
 * counted (feed_events_failed_total) and passed over. */
typedef int (*hub_feed_apply_fn)(hub_call_t *call, const char *publisher, const Hub__Event *ev,
                                 void *arg);

/* Registers the feed of publisher (e.g. "intake", up to 40 bytes) on rpc:
 * its verb and the inproc endpoint. pub/api are the publisher's endpoints,
 * curve its keys (NULL without CURVE); all strings are copied. store,
 * rpc, zctx, fn and arg are borrowed and must outlive the feed. NULL with
 * err on failure. The thread starts with hub_feed_start. */
hub_feed_t *hub_feed_new(hub_rpc_t *rpc, hub_store_t *store, void *zctx, const char *publisher,
                         const char *pub_ep, const char *api_ep, const hub_curve_t *curve,
                         hub_feed_apply_fn fn, void *arg, hub_error_t *err);
/* Optional, after the events of one batch were applied in call->txn
 * (ok = true: write what the service gathered in memory over them, e.g.
 * counters; 0, or -1 as an apply function) or abandoned (ok = false: the
 * nested transaction is rolled back: forget it, return 0). */
typedef int (*hub_feed_done_fn)(hub_call_t *call, bool ok, void *arg);
/* Sets the done function (gets the feed's arg). Before hub_feed_start. */
void hub_feed_set_done(hub_feed_t *self, hub_feed_done_fn fn);

/* Optional, on the feed's own thread for each event before it is handed
 * over: may replace ev->payload with a smaller digest of what the service
 * needs (from arena) and set ev->digest, so big payloads are decoded
 * beside the loop thread instead of on it. Must be pure (no shared state).
 * 0 digested, -1 left as it was. */
typedef int (*hub_feed_digest_fn)(Hub__Event *ev, hub_arena_t *arena);
/* Sets the digest function. Before hub_feed_start. */
void hub_feed_set_digest(hub_feed_t *self, hub_feed_digest_fn fn);

/* Reads the CURVE keys a daemon uses to follow publisher, from its config
 * section: <publisher>_server_public_key_file, <publisher>_public_key_file
 * and <publisher>_secret_key_file (Z85 key files). Without the first, all
 * three keys are "" (no CURVE) and it returns 0; else 0 or -1 with err. */
int hub_feed_keys(const hub_config_t *cfg, const char *section, const char *publisher, char server_key[41],
                  char public_key[41], char secret_key[41], hub_error_t *err);

/* Starts the subscriber thread. 0 or -1 with err. */
int hub_feed_start(hub_feed_t *self, hub_error_t *err);
/* Asks the thread to stop without waiting: a daemon with several feeds
 * signals them all first, so their last replay round trips overlap. */
void hub_feed_signal(hub_feed_t *self);
/* Stops and joins the thread (it notices within ~100 ms, or after a replay
 * round trip), closes its sockets, frees self. Call before hub_rpc_destroy
 * and zmq_ctx_term. *self_p = NULL. */
void hub_feed_destroy(hub_feed_t **self_p);

#endif
