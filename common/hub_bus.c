#include "hub_bus.h"

#include <stdlib.h>
#include <zmq.h>

#include "hub_log.h"

struct hub_zsock {
    uv_poll_t poll;
    uv_prepare_t prepare;
    uv_check_t check;
    uv_idle_t idle;
    void *sock;
    hub_zsock_fn fn;
    void *arg;
    int open_handles;
};

static int s_pending(void *sock)
{
    int ev = 0;
    size_t len = sizeof ev;
    if (zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &len)) return 0;
    return ev & ZMQ_POLLIN;
}

static void s_poll_cb(uv_poll_t *h, int status, int events)
{
    (void)h; (void)status; (void)events; /* only wakes the loop; uv_check does the work */
}

static void s_idle_cb(uv_idle_t *h) { (void)h; }

static void s_prepare_cb(uv_prepare_t *h)
{
    hub_zsock_t *self = h->data;
    if (s_pending(self->sock)) uv_idle_start(&self->idle, s_idle_cb);
}

static void s_check_cb(uv_check_t *h)
{
    hub_zsock_t *self = h->data;
    uv_idle_stop(&self->idle);
    if (s_pending(self->sock)) self->fn(self, self->sock, self->arg);
}

hub_zsock_t *hub_zsock_new(uv_loop_t *loop, void *sock, hub_zsock_fn fn, void *arg)
{
    int fd;
    size_t len = sizeof fd;
    if (zmq_getsockopt(sock, ZMQ_FD, &fd, &len)) return NULL;
    hub_zsock_t *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    self->sock = sock;
    self->fn = fn;
    self->arg = arg;
    uv_poll_init(loop, &self->poll, fd);
    uv_prepare_init(loop, &self->prepare);
    uv_check_init(loop, &self->check);
    uv_idle_init(loop, &self->idle);
    self->poll.data = self->prepare.data = self->check.data = self->idle.data = self;
    self->open_handles = 4;
    uv_poll_start(&self->poll, UV_READABLE, s_poll_cb);
    uv_prepare_start(&self->prepare, s_prepare_cb);
    uv_check_start(&self->check, s_check_cb);
    return self;
}

static void s_close_cb(uv_handle_t *h)
{
    hub_zsock_t *self = h->data;
    if (--self->open_handles) return;
    zmq_close(self->sock); /* with the linger its owner set */
    free(self);
}

void hub_zsock_destroy(hub_zsock_t **self_p)
{
    hub_zsock_t *self = *self_p;
    if (!self) return;
    uv_poll_stop(&self->poll);
    uv_prepare_stop(&self->prepare);
    uv_check_stop(&self->check);
    uv_idle_stop(&self->idle);
    uv_close((uv_handle_t *)&self->poll, s_close_cb);
    uv_close((uv_handle_t *)&self->prepare, s_close_cb);
    uv_close((uv_handle_t *)&self->check, s_close_cb);
    uv_close((uv_handle_t *)&self->idle, s_close_cb);
    *self_p = NULL;
}

void *hub_zsock_socket(hub_zsock_t *self) { return self->sock; }

int hub_zmq_recv(void *sock, zmq_msg_t *f, int max, int flags, int *extra)
{
    int n = 0, dropped = 0, more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, n || dropped ? 0 : flags) < 0) {
            zmq_msg_close(&m);
            break; /* nothing waited (or a failure mid-message: keep what came) */
        }
        more = zmq_msg_more(&m);
        if (n < max) f[n++] = m;
        else { dropped++; zmq_msg_close(&m); }
    }
    if (extra) *extra = dropped;
    return n;
}

void hub_zmq_close(zmq_msg_t *f, int n)
{
    for (int i = 0; i < n; i++) zmq_msg_close(&f[i]);
}
