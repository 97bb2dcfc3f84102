/* hub_metrics: a daemon's own Prometheus endpoint, `[<daemon>] metrics =
 * host:port` (empty = none). GET /metrics answers with what the daemon's
 * hub.status says (hub_prom_status: hub_up, hub_last_seq,
 * hub_uptime_seconds, hub_store_bytes, hub_subscriber_seq and every
 * counter and gauge as hub_<name>{daemon="<name>"}); GET / names the
 * path; anything else is 404, methods other than GET/HEAD 405.
 *
 * The counters belong to the loop thread, so the server's one thread
 * (libmicrohttpd's) asks for them the way every client does: a hub.status
 * command to the daemon's own inproc endpoint. A loop that does not answer
 * within HUB_METRICS_STATUS_MS (hung, or busy with a long batch) gives a
 * 503, so the scrape fails and Prometheus' own `up` shows it. */
#ifndef HUB_METRICS_H
#define HUB_METRICS_H

#include "hub_wire.h"

#define HUB_METRICS_STATUS_MS 2000   /* longest wait for the loop's hub.status */
#define HUB_METRICS_CONNECTIONS 16   /* a scraper or two, and curl */
#define HUB_METRICS_IDLE_S 30        /* idle keep-alive connections are closed */

typedef struct hub_metrics hub_metrics_t;

/* Starts the server on listen ("host:port"; port 0 = any free one).
 * zctx and self_endpoint (hub_rpc_self_endpoint) are borrowed and must
 * outlive it. Caller owns the result. NULL with err: INVALID_ARGUMENT for
 * a bad address (field "metrics"), UNAVAILABLE when it cannot listen. */
hub_metrics_t *hub_metrics_new(void *zctx, const char *listen, const char *self_endpoint, hub_error_t *err);
/* Stops the server (waits for a scrape in progress: at most
 * HUB_METRICS_STATUS_MS), frees everything, *self_p = NULL. */
void hub_metrics_destroy(hub_metrics_t **self_p);
/* The TCP port bound. */
int hub_metrics_port(const hub_metrics_t *self);
/* Checks a listen address without binding: 0, or -1 with err. */
int hub_metrics_check(const char *listen, hub_error_t *err);

#endif
