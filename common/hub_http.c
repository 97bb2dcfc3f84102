/* hub_http: shared libmicrohttpd helpers (see hub_http.h). */
#include "hub_http.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_log.h"

/* libmicrohttpd's own messages, through the daemon's log. */
static void s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
    hub_warn("http server (%s): %s", (const char *)cls, buf);
}

int hub_http_addr(const char *listen, const char *key, struct sockaddr_storage *ss, socklen_t *len,
                  hub_error_t *err)
{
    char host[256];
    const char *colon = strrchr(listen, ':'), *port;
    if (!colon || colon == listen || !colon[1] || (size_t)(colon - listen) >= sizeof host)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, key, "%s = host:port, not \"%s\"", key,
                             listen);
    memcpy(host, listen, colon - listen);
    host[colon - listen] = 0;
    port = colon + 1;
    char *h = host;
    size_t hl = strlen(h);
    if (h[0] == '[' && hl > 2 && h[hl - 1] == ']') {
        h[hl - 1] = 0;
        h++;
    }
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int rc = getaddrinfo(h, port, &hints, &ai);
    if (rc || !ai)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, key, "%s = %s: %s", key, listen,
                             rc ? gai_strerror(rc) : "no address");
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    /* the HTTP endpoints have no authentication of their own: every
     * endpoint reachable from another host must be CURVE, so these listen
     * on loopback only (expose them through an authenticating proxy) */
    bool loopback = ss->ss_family == AF_INET
                        ? (ntohl(((struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127
                        : ss->ss_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)ss)->sin6_addr);
    if (!loopback)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, key,
                             "%s = %s: HTTP listens on loopback only (it has no authentication); "
                             "put an authenticating reverse proxy in front to reach it from elsewhere",
                             key, listen);
    return 0;
}

struct MHD_Daemon *hub_http_start(const hub_http_conf_t *c, int *port, hub_error_t *err)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    if (hub_http_addr(c->listen, c->key, &ss, &sl, err)) return NULL;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | c->flags;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    struct MHD_Daemon *mhd = MHD_start_daemon(flags, 0, NULL, NULL, c->access, c->cls,
                                              MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, (void *)c->key, /* first, or MHD warns */
                                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                              MHD_OPTION_CONNECTION_LIMIT, c->max_connections,
                                              MHD_OPTION_PER_IP_CONNECTION_LIMIT, c->per_ip,
                                              MHD_OPTION_CONNECTION_TIMEOUT, c->timeout_s,
                                              MHD_OPTION_END);
    if (!mhd) {
        hub_error_set(err, HUB__ERROR_CODE__UNAVAILABLE, c->key, "cannot listen on %s", c->listen);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : 0;
    return mhd;
}

enum MHD_Result hub_http_reply(struct MHD_Connection *c, unsigned status, const char *ctype, char *body,
                               size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}
