/* hub_http: what every HTTP server of the hub shares (libmicrohttpd): the
 * "host:port" listen address, starting a server with the daemon's log and
 * connection limits, and queuing a reply. Used by hub_metrics (each
 * daemon's /metrics) and hub-reporting's dashboard. */
#ifndef HUB_HTTP_H
#define HUB_HTTP_H

#include <microhttpd.h>
#include <sys/socket.h>

#include "hub_wire.h"

typedef struct {
    const char *listen;        /* "host:port", "[v6]:port"; port 0 = any free one */
    const char *key;           /* config key named in errors, e.g. "http", "metrics" */
    unsigned flags;            /* extra MHD_USE_* flags (e.g. MHD_USE_THREAD_PER_CONNECTION) */
    unsigned max_connections;
    unsigned per_ip;           /* connections from one address; 0 = no limit */
    unsigned timeout_s;        /* idle connections are closed after this */
    MHD_AccessHandlerCallback access;
    void *cls;                 /* access's first argument (borrowed) */
} hub_http_conf_t;

/* Parses c->listen ("host:port" or "[v6]:port", numeric port) into *ss.
 * Nothing is bound. A non-loopback address is refused: HTTP has no
 * authentication, and every endpoint another host can reach is CURVE.
 * 0, or -1 with err (INVALID_ARGUMENT, field c->key). */
int hub_http_addr(const char *listen, const char *key, struct sockaddr_storage *ss, socklen_t *len,
                  hub_error_t *err);
/* Starts a server with its own polling thread (plus c->flags) on c->listen;
 * libmicrohttpd's messages go to the hub log. *port gets the port bound.
 * Caller owns the result (MHD_stop_daemon). NULL with err (bad address:
 * INVALID_ARGUMENT; cannot listen: UNAVAILABLE). */
struct MHD_Daemon *hub_http_start(const hub_http_conf_t *c, int *port, hub_error_t *err);
/* Queues body (malloc'd, len bytes; ownership passes, freed even on
 * failure) with status and content type, no caching, nosniff, and
 * "Allow: GET, HEAD" on a 405. Returns MHD_queue_response's result. */
enum MHD_Result hub_http_reply(struct MHD_Connection *c, unsigned status, const char *ctype, char *body,
                               size_t len);

#endif
