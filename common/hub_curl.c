#include "hub_curl.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "hub_log.h"

struct hub_curl {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    unsigned running;
    struct hub_curl_job *jobs;   /* running transfers, to abort on destroy */
};

/* One socket curl asked us to watch; freed by the poll handle's close. */
typedef struct {
    uv_poll_t poll;
    curl_socket_t fd;
    hub_curl_t *owner;
} hub_curl_sock_t;

/* What rides on each easy handle (CURLOPT_PRIVATE). */
typedef struct hub_curl_job {
    hub_curl_done_fn done;
    void *arg;
    CURL *easy;
    curl_socket_t fd;            /* the socket it uses now, or CURL_SOCKET_BAD */
    struct hub_curl_job *prev, *next;
} hub_curl_job_t;

static void s_unlink(hub_curl_t *self, hub_curl_job_t *job)
{
    if (job->prev) job->prev->next = job->next;
    else self->jobs = job->next;
    if (job->next) job->next->prev = job->prev;
    self->running--;
}

static pthread_once_t s_global_once = PTHREAD_ONCE_INIT;
static void s_global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Hands every finished transfer to its callback. */
static void s_check_done(hub_curl_t *self)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(self->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) continue;
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result;
        hub_curl_job_t *job = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&job);
        curl_multi_remove_handle(self->multi, easy);
        s_unlink(self, job);
        hub_curl_done_fn done = job->done;
        void *arg = job->arg;
        free(job);
        done(easy, rc, arg);
    }
}

static void s_poll_cb(uv_poll_t *p, int status, int events)
{
    hub_curl_sock_t *s = p->data;
    int flags = 0, still;
    if (status < 0) flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    hub_curl_t *self = s->owner;
    curl_multi_socket_action(self->multi, s->fd, flags, &still);
    s_check_done(self);
}

static void s_sock_closed(uv_handle_t *h) { free(h->data); }

/* CURLMOPT_SOCKETFUNCTION: start, change or stop watching a socket. */
static int s_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    hub_curl_t *self = userp;
    hub_curl_sock_t *s = socketp;
    hub_curl_job_t *job = NULL;
    if (easy) curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&job);
    if (job) job->fd = what == CURL_POLL_REMOVE ? (job->fd == fd ? CURL_SOCKET_BAD : job->fd) : fd;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, s_sock_closed);
            curl_multi_assign(self->multi, fd, NULL);
        }
        return 0;
    }
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s) return -1;
        s->fd = fd;
        s->owner = self;
        if (uv_poll_init_socket(self->loop, &s->poll, fd)) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        curl_multi_assign(self->multi, fd, s);
    }
    int events = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= UV_READABLE;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= UV_WRITABLE;
    uv_poll_start(&s->poll, events, s_poll_cb);
    return 0;
}

static void s_timer_cb(uv_timer_t *t)
{
    hub_curl_t *self = t->data;
    int still;
    curl_multi_socket_action(self->multi, CURL_SOCKET_TIMEOUT, 0, &still);
    s_check_done(self);
}

/* CURLMOPT_TIMERFUNCTION: -1 stops the timer, else wake curl then. */
static int s_timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    hub_curl_t *self = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&self->timer);
    else
        uv_timer_start(&self->timer, s_timer_cb, (uint64_t)timeout_ms, 0);
    return 0;
}

hub_curl_t *hub_curl_new(uv_loop_t *loop, unsigned max_connects)
{
    pthread_once(&s_global_once, s_global_init);
    hub_curl_t *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    self->loop = loop;
    if (!(self->multi = curl_multi_init())) {
        free(self);
        return NULL;
    }
    uv_timer_init(loop, &self->timer);
    self->timer.data = self;
    curl_multi_setopt(self->multi, CURLMOPT_SOCKETFUNCTION, s_socket_cb);
    curl_multi_setopt(self->multi, CURLMOPT_SOCKETDATA, self);
    curl_multi_setopt(self->multi, CURLMOPT_TIMERFUNCTION, s_timer_fn);
    curl_multi_setopt(self->multi, CURLMOPT_TIMERDATA, self);
    if (max_connects) curl_multi_setopt(self->multi, CURLMOPT_MAXCONNECTS, (long)max_connects);
    return self;
}

int hub_curl_add(hub_curl_t *self, CURL *easy, hub_curl_done_fn done, void *arg)
{
    hub_curl_job_t *job = malloc(sizeof *job);
    if (!job) return -1;
    job->done = done;
    job->arg = arg;
    job->easy = easy;
    job->fd = CURL_SOCKET_BAD;
    job->prev = NULL;
    curl_easy_setopt(easy, CURLOPT_PRIVATE, job);
    if (curl_multi_add_handle(self->multi, easy) != CURLM_OK) {
        free(job);
        return -1;
    }
    job->next = self->jobs;
    if (self->jobs) self->jobs->prev = job;
    self->jobs = job;
    self->running++;
    return 0;
}

void hub_curl_kick(hub_curl_t *self)
{
    int still;
    curl_multi_socket_action(self->multi, CURL_SOCKET_TIMEOUT, 0, &still);
    s_check_done(self);
}

unsigned hub_curl_running(const hub_curl_t *self) { return self->running; }

/* the driver is freed once its timer handle is closed */
static void s_timer_closed(uv_handle_t *h) { free(h->data); }

void hub_curl_destroy(hub_curl_t **self_p)
{
    hub_curl_t *self = *self_p;
    if (!self) return;
    *self_p = NULL;
    /* abort what runs: each callback gets its handle back */
    while (self->jobs) {
        hub_curl_job_t *job = self->jobs;
        /* cut the connection first: removing a running transfer lets
         * libcurl end it politely (an SMTP end-of-data would make the
         * server accept a message cut short, then sent again in full) */
        if (job->fd != CURL_SOCKET_BAD) shutdown(job->fd, SHUT_RDWR);
        curl_multi_remove_handle(self->multi, job->easy); /* CURL_POLL_REMOVE closes its polls */
        s_unlink(self, job);
        hub_curl_done_fn done = job->done;
        void *arg = job->arg;
        CURL *easy = job->easy;
        free(job);
        done(easy, CURLE_ABORTED_BY_CALLBACK, arg);
    }
    curl_multi_cleanup(self->multi);
    uv_timer_stop(&self->timer);
    uv_close((uv_handle_t *)&self->timer, s_timer_closed);
}
