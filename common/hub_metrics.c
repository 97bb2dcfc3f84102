/* hub_metrics: a daemon's own /metrics (see hub_metrics.h). */
#include "hub_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_client.h"
#include "hub_http.h"
#include "hub_log.h"
#include "hub_prom.h"

#define METRICS_ARENA (1u << 20)   /* one status reply: 64 counters, 16 cursors */

struct hub_metrics {
    void *zctx;                    /* borrowed */
    char self_endpoint[256];
    struct MHD_Daemon *mhd;
    int port;
    /* the HTTP thread only (created there on first use) */
    hub_client_t *client;
    hub_arena_t *arena;
};

/* A plain-text reply (body a literal, copied). */
static enum MHD_Result s_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    char *body = strdup(text);
    if (!body) return MHD_NO;
    return hub_http_reply(c, status, "text/plain; charset=utf-8", body, strlen(body));
}

/* GET /metrics: hub.status from the loop, rendered; 503 when it does not answer. */
static enum MHD_Result s_metrics(hub_metrics_t *self, struct MHD_Connection *c)
{
    if (!self->arena && !(self->arena = hub_arena_new(METRICS_ARENA))) return MHD_NO;
    if (!self->client &&
        !(self->client = hub_client_new(self->zctx, self->self_endpoint, NULL, HUB_METRICS_STATUS_MS)))
        return s_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "the daemon's command server is not reachable\n");
    hub_arena_reset(self->arena);
    Hub__StatusRequest req = HUB__STATUS_REQUEST__INIT;
    ProtobufCMessage *rep = NULL;
    hub_error_t err = {0};
    if (hub_client_call(self->client, "hub.status", &req.base, &hub__status_reply__descriptor, self->arena, &rep,
                        &err)) {
        hub_warn("metrics: hub.status: %s", err.message);
        return s_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "the daemon did not answer hub.status in time\n");
    }
    hub_prom_t *p = hub_prom_new();
    if (!p) return MHD_NO;
    hub_prom_status(p, (const Hub__StatusReply *)rep);
    size_t len = 0;
    char *body = hub_prom_render(p, &len);
    hub_prom_destroy(&p);
    if (!body) return MHD_NO;
    return hub_http_reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len);
}

/* The access handler: GET/HEAD /metrics, / names it, the rest 404/405. */
static enum MHD_Result s_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    (void)con_cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
        return s_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
    if (*upload_size) { /* a GET with a body: ignore it */
        *upload_size = 0;
        return MHD_YES;
    }
    if (!strcmp(url, "/metrics")) return s_metrics(cls, c);
    if (!strcmp(url, "/")) return s_text(c, MHD_HTTP_OK, "Prometheus metrics: /metrics\n");
    return s_text(c, MHD_HTTP_NOT_FOUND, "no such page (try /metrics)\n");
}

int hub_metrics_check(const char *listen, hub_error_t *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    return hub_http_addr(listen, "metrics", &ss, &len, err);
}

hub_metrics_t *hub_metrics_new(void *zctx, const char *listen, const char *self_endpoint, hub_error_t *err)
{
    hub_metrics_t *self = calloc(1, sizeof *self);
    if (!self) {
        hub_error_set(err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
        return NULL;
    }
    self->zctx = zctx;
    snprintf(self->self_endpoint, sizeof self->self_endpoint, "%s", self_endpoint);
    hub_http_conf_t hc = {
        .listen = listen,
        .key = "metrics",
        .flags = 0, /* one thread: scrapes are few, and the client is that thread's */
        .max_connections = HUB_METRICS_CONNECTIONS,
        .per_ip = 0,
        .timeout_s = HUB_METRICS_IDLE_S,
        .access = s_access,
        .cls = self,
    };
    if (!(self->mhd = hub_http_start(&hc, &self->port, err))) {
        free(self);
        return NULL;
    }
    return self;
}

void hub_metrics_destroy(hub_metrics_t **self_p)
{
    hub_metrics_t *self = *self_p;
    if (!self) return;
    MHD_stop_daemon(self->mhd); /* joins the HTTP thread: the client is ours now */
    hub_client_destroy(&self->client);
    hub_arena_destroy(&self->arena);
    free(self);
    *self_p = NULL;
}

int hub_metrics_port(const hub_metrics_t *self)
{
    return self ? self->port : 0;
}
