#include "hub_client.h"

#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "hub_util.h"


struct hub_client {
    void *zctx;
    void *sock;
    char *endpoint;
    hub_curve_t curve;
    int has_curve;
    int timeout_ms;
};

int hub_curve_apply(void *sock, const hub_curve_t *c)
{
    if (!c || !c->server_key) return 0;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, c->server_key, 40) ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, c->public_key, 40) ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, c->secret_key, 40))
        return -1;
    return 0;
}

static int s_open(hub_client_t *self)
{
    self->sock = zmq_socket(self->zctx, ZMQ_REQ);
    int linger = 0;
    zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger);
    if (self->has_curve && hub_curve_apply(self->sock, &self->curve)) return -1;
    return zmq_connect(self->sock, self->endpoint);
}

hub_client_t *hub_client_new(void *zctx, const char *endpoint, const hub_curve_t *curve,
                             int timeout_ms)
{
    hub_client_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->zctx = zctx;
    self->endpoint = hub_strdup(endpoint);
    self->timeout_ms = timeout_ms;
    if (curve && curve->server_key) {
        self->has_curve = 1;
        self->curve.server_key = hub_strdup(curve->server_key);
        self->curve.public_key = hub_strdup(curve->public_key);
        self->curve.secret_key = hub_strdup(curve->secret_key);
    }
    if (s_open(self)) { hub_client_destroy(&self); return NULL; }
    return self;
}

void hub_client_destroy(hub_client_t **self_p)
{
    hub_client_t *self = *self_p;
    if (!self) return;
    if (self->sock) zmq_close(self->sock);
    free(self->endpoint);
    free((char *)self->curve.server_key);
    free((char *)self->curve.public_key);
    free((char *)self->curve.secret_key);
    free(self);
    *self_p = NULL;
}

int hub_client_call_raw(hub_client_t *self, const void *verb, size_t verb_len,
                        const void *body, size_t body_len, char status[4],
                        hub_arena_t *arena, uint8_t **out, size_t *out_len)
{
    if (zmq_send(self->sock, verb, verb_len, ZMQ_SNDMORE) < 0 ||
        zmq_send(self->sock, body, body_len, 0) < 0) {
        zmq_close(self->sock);
        s_open(self);
        return -1;
    }
    zmq_pollitem_t it = {self->sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, self->timeout_ms) <= 0) {
        zmq_close(self->sock); /* Lazy Pirate: a REQ that lost its reply is stuck */
        s_open(self);
        return -1;
    }
    zmq_msg_t st, b;
    zmq_msg_init(&st);
    zmq_msg_init(&b);
    int rc = -1;
    if (zmq_msg_recv(&st, self->sock, 0) < 0 || !zmq_msg_more(&st)) goto out;
    if (zmq_msg_recv(&b, self->sock, 0) < 0) goto out;
    size_t sl = zmq_msg_size(&st) < 3 ? zmq_msg_size(&st) : 3;
    memcpy(status, zmq_msg_data(&st), sl);
    status[sl] = 0;
    *out_len = zmq_msg_size(&b);
    *out = hub_arena_alloc(arena, *out_len + 1);
    if (!*out) goto out;
    memcpy(*out, zmq_msg_data(&b), *out_len);
    rc = 0;
out:
    zmq_msg_close(&st);
    zmq_msg_close(&b);
    return rc;
}

int hub_client_call(hub_client_t *self, const char *verb, const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *reply_desc, hub_arena_t *arena,
                    ProtobufCMessage **reply, hub_error_t *err)
{
    size_t len;
    uint8_t *body = hub_wire_pack(req, arena, &len), *out;
    size_t out_len;
    char status[4];
    if (!body) return hub_error_set(err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "request too large");
    if (hub_client_call_raw(self, verb, strlen(verb), body, len, status, arena, &out, &out_len))
        return hub_error_set(err, HUB__ERROR_CODE__UNAVAILABLE, "",
                             "no answer from %s within %d ms", self->endpoint, self->timeout_ms);
    if (!strcmp(status, "OK")) {
        if (!reply_desc) { *reply = NULL; return 0; }
        *reply = hub_wire_unpack_max(reply_desc, out, out_len, HUB_WIRE_MAX_REPLY, arena, err);
        return *reply ? 0 : -1;
    }
    return hub_wire_error_decode(out, out_len, err) ? -1 : 1;
}
