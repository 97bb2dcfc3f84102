/* hub_bus: a ZeroMQ socket watched by a libuv loop, the edge-triggered way
 * (flux-core ev_zmq.c): a uv_poll on ZMQ_FD only wakes the loop; a
 * uv_prepare checks ZMQ_EVENTS and keeps a no-op uv_idle running while
 * messages are pending (so the loop does not block); a uv_check re-reads
 * ZMQ_EVENTS and calls the owner's callback. Only the loop thread touches
 * the socket. */
#ifndef HUB_BUS_H
#define HUB_BUS_H

#include <uv.h>
#include <zmq.h>

typedef struct hub_zsock hub_zsock_t;
/* Called on the loop thread when the socket has input. The callback reads
 * with ZMQ_DONTWAIT, at most a budget of messages, and returns; it is called
 * again on the next turn while input remains. */
typedef void (*hub_zsock_fn)(hub_zsock_t *zs, void *sock, void *arg);

/* Watches sock (takes ownership: it is zmq_close'd by hub_zsock_destroy).
 * Returns NULL on failure (sock is then left to the caller). */
hub_zsock_t *hub_zsock_new(uv_loop_t *loop, void *sock, hub_zsock_fn fn, void *arg);
/* Stops watching, closes the libuv handles and, in their close callbacks,
 * the ZeroMQ socket (with the ZMQ_LINGER its owner set); frees self.
 * *self_p = NULL. */
void hub_zsock_destroy(hub_zsock_t **self_p);
void *hub_zsock_socket(hub_zsock_t *self);

/* Receives one whole multipart message from sock: the first max frames
 * are kept in f (the caller closes them with hub_zmq_close), the rest are
 * closed and counted in *extra (may be NULL). flags: 0 to block for the
 * first frame, ZMQ_DONTWAIT not to; the other frames of a message are
 * always there. Returns the number of frames kept, 0 when nothing waited
 * (or the receive failed). */
int hub_zmq_recv(void *sock, zmq_msg_t *f, int max, int flags, int *extra);
/* Closes f[0..n). */
void hub_zmq_close(zmq_msg_t *f, int n);

#endif
