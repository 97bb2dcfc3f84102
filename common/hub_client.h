/* hub_client: the caller's side of a daemon's command endpoint (hubctl,
 * subscribers, tests, benchmarks). A REQ socket with a reply deadline;
 * on a time-out the socket is closed and reopened (Lazy Pirate), so the
 * next call starts clean. One thread per client. */
#ifndef HUB_CLIENT_H
#define HUB_CLIENT_H

#include <protobuf-c/protobuf-c.h>

#include "hub_wire.h"

typedef struct {
    const char *server_key;   /* Z85 public key of the daemon */
    const char *public_key;   /* this client's Z85 key pair */
    const char *secret_key;
} hub_curve_t;

typedef struct hub_client hub_client_t;

/* Connects to endpoint (curve may be NULL). Caller owns the result; zctx is
 * borrowed and must outlive it. */
hub_client_t *hub_client_new(void *zctx, const char *endpoint, const hub_curve_t *curve,
                             int timeout_ms);
void hub_client_destroy(hub_client_t **self_p);

/* Sends verb + req, waits for the reply. Returns 0 with *reply unpacked into
 * arena (reply_desc NULL: not decoded, *reply = NULL); 1 when the daemon refused (err holds its code, field, message);
 * -1 when no answer came in time (err UNAVAILABLE) or the reply was
 * malformed. */
int hub_client_call(hub_client_t *self, const char *verb, const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *reply_desc, hub_arena_t *arena,
                    ProtobufCMessage **reply, hub_error_t *err);

/* Sends raw frames (verb, body) and returns the raw status/body: for tests
 * of bad input. Returns 0, or -1 on time-out. *status gets "OK"/"ERR". */
int hub_client_call_raw(hub_client_t *self, const void *verb, size_t verb_len,
                        const void *body, size_t body_len, char status[4],
                        hub_arena_t *arena, uint8_t **out, size_t *out_len);

/* Applies CURVE client options to a socket; 0 or -1. */
int hub_curve_apply(void *sock, const hub_curve_t *curve);

#endif
