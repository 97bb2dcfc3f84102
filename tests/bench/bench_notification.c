/* bench_notification: how fast hub-notification delivers to a fast
 * receiver, and how long a help request waits for its message.
 *
 * Starts real hub-intake, hub-matching and hub-notification daemons (test
 * harness, ipc://) and, in this process, an HTTP receiver (libmicrohttpd,
 * one epoll thread, 127.0.0.1, an ephemeral port) that plays the SMS
 * gateway: notification is configured with
 *   sms_url = http://127.0.0.1:<port>/sms
 *   sms_body = {"to":"{{phone}}","text":"{{text}}","key":"{{key}}"}
 *   quiet_start = quiet_end = 00:00 (no quiet hours), rate_sms_per_s = 0
 *   (no rate limit), max_in_flight = BENCH_NOTIF_INFLIGHT (default 64).
 * Every request is submitted to intake with consent_to_contact, preferred
 * contact SMS and a phone, so notification sends exactly one SMS per
 * request (template request_received, whose text carries the request id;
 * the SMS body's "key" is the idempotency key, which ends in
 * "requester:<request id>.sms"). Matching runs too and, with no resource
 * library, declares every request unmatched: the operators get an inbox
 * message each (written by notification, no HTTP).
 *
 * The receiver answers 200 to every POST and notes, per request id, its
 * arrival time (CLOCK_REALTIME, the clock of the daemons' hub_now_ms), and
 * counts requests, unique request ids and unique Idempotency-Keys; a
 * second arrival of either is a duplicate.
 *
 * Phase 1, throughput: notification stopped, BENCH_NOTIF_N requests
 * (default 20,000) are submitted to intake (one DEALER, 256 in flight);
 * once matching has applied them all, notification is started and the
 * time from its start to the receiver's N-th delivery gives
 *   notification.deliver_per_s = N / (last delivery - start)
 * This includes notification's start and its catch-up of both feeds (N
 * intake events and N matching events, applied in batches), so it is the
 * rate of a daemon working off a backlog, not of the sender alone. A
 * subscriber on notification's PUB notes each SMS delivery's created_ms
 * (from its notification.delivery.sent event), which splits the phase:
 * the time until the last SMS delivery was created (the feeds caught up),
 * the SMS sent by then, and the rate of the sender alone afterwards.
 *
 * Then notification is restarted (SIGTERM, exit 0; its in-memory latency
 * histograms start empty) and phase 2, latency: requests are submitted
 * open loop at BENCH_NOTIF_RATE per second (default 200) for
 * BENCH_NOTIF_SECONDS (default 10) from one DEALER, noting when each OK
 * arrives (intake commits the request and its event before it answers):
 *   e2e = receiver arrival - intake's OK received
 * p50, p99 and max over all phase-2 requests, split at the delivery's
 * created_ms (intake OK -> created: intake's PUB, the feed, the batch;
 * created -> receiver: notification's commit, the sender, the transfer;
 * ms resolution). Intake's own ack latency (send -> OK) and the daemon's
 * gauges e2e_p50_ms / e2e_p99_ms (event time -> transfer done, so they
 * include intake's commit) and send_p50_ms / send_p99_ms (one transfer,
 * as the loop sees it) are shown beside them. An SMS may beat the OK to
 * the bench (intake publishes before it replies; the bench can be
 * descheduled): counted 0 ms, and reported.
 *
 * The run fails (exit 1) if a request is refused, a delivery is missing
 * (20 s without progress), duplicated, malformed or unexpected, or a
 * daemon does not exit 0 on SIGTERM; never because of a timing target.
 * The receiver answers "OK" (the daemon keeps the start of an answer for
 * its error text and drops the rest).
 * Environment: BUILD, BENCH_NOTIF_N, BENCH_NOTIF_RATE,
 * BENCH_NOTIF_SECONDS, BENCH_NOTIF_INFLIGHT; BENCH_VERBOSE=1 prints every
 * hub.status counter of notification (after each phase) and matching. */
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "hub_bus.h"
#include "hub_client.h"
#include "hub_util.h"
#include "hub_wire.h"
#include "intake.pb-c.h"
#include "notification.pb-c.h"

#define WINDOW 256              /* phase 1: intake.submit requests in flight */
#define STALL_MS 20000          /* no new delivery for this long: missing */
#define MAX_N 200000

/* ------------------------------------------------------------ helpers */

/* CLOCK_REALTIME in nanoseconds: the clock of hub_now_ms. */
static int64_t s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double s_env(const char *name, double def)
{
    const char *v = getenv(name);
    return v && *v && atof(v) > 0 ? atof(v) : def;
}

static void s_sleep_ms(int ms) { nanosleep(&(struct timespec){ms / 1000, (long)(ms % 1000) * 1000000}, NULL); }

static int s_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile p of sorted[0..n) in ms. */
static double s_pct_ms(const int64_t *sorted, size_t n, double p)
{
    if (!n) return 0;
    size_t rank = (size_t)(p * (double)n + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return (double)sorted[rank - 1] / 1e6;
}

/* ------------------------------------------------------------ the table */

/* One request (by id) or one idempotency key: when intake acknowledged it
 * and when the receiver got it. A linear-probe table keyed by the string,
 * shared by the receiver thread and the main thread under s_lock. */
typedef struct {
    char id[128];
    int phase;                  /* 1 or 2; 0: not submitted by this run */
    int64_t ack_ns, arrive_ns;
    int64_t created_ms;         /* notification's delivery record (its sent event) */
    unsigned arrivals;
} slot_t;

static slot_t *s_ids, *s_keys;
static size_t s_cap;            /* slots of each table, a power of two */
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;

/* The slot of id in table t (created empty if absent); s_lock held. */
static slot_t *s_slot(slot_t *t, const char *id, size_t len)
{
    if (len >= sizeof t->id) len = sizeof t->id - 1;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) h = (h ^ (uint8_t)id[i]) * 1099511628211ull;
    for (size_t i = h & (s_cap - 1);; i = (i + 1) & (s_cap - 1)) {
        slot_t *s = &t[i];
        if (!s->id[0]) {
            memcpy(s->id, id, len);
            s->id[len] = 0;
            return s;
        }
        if (strlen(s->id) == len && !memcmp(s->id, id, len)) return s;
    }
}

/* ------------------------------------------------------------ the receiver */

typedef struct {
    struct MHD_Daemon *mhd;
    struct MHD_Response *ok;
    uint16_t port;
    atomic_ullong requests;       /* every request answered */
    atomic_ullong unique_ids;     /* distinct request ids delivered */
    atomic_ullong dup_ids;        /* arrivals of a request id seen before */
    atomic_ullong unique_keys;
    atomic_ullong dup_keys;       /* arrivals of an Idempotency-Key seen before */
    atomic_ullong connections;    /* TCP connections accepted */
    atomic_ullong malformed;      /* not POST /sms, no key, key mismatch, id not in the text */
    atomic_llong first_ns, last_ns;
    char first_bad[512];
} receiver_t;

static receiver_t s_rx;

/* One HTTP request being received. */
typedef struct {
    char *body;
    size_t len, cap;
    char key[256];
    bool sms;                     /* POST /sms */
} conn_t;

static void s_bad(const char *why, const char *detail)
{
    if (atomic_fetch_add(&s_rx.malformed, 1) == 0)
        snprintf(s_rx.first_bad, sizeof s_rx.first_bad, "%s: %.400s", why, detail);
}

/* The raw value of JSON string field name in body ("" if absent), up to
 * the closing quote (values here are ASCII without escapes). */
static const char *s_field(const char *body, const char *name, size_t *len)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", name);
    const char *p = strstr(body, pat);
    if (!p) { *len = 0; return ""; }
    p += strlen(pat);
    const char *q = p;
    while (*q && !(*q == '"' && q[-1] != '\\')) q++;
    *len = (size_t)(q - p);
    return p;
}

/* Notes one complete POST /sms. */
static void s_record(conn_t *c, int64_t now)
{
    size_t klen, tlen;
    const char *key = s_field(c->body, "key", &klen);
    const char *text = s_field(c->body, "text", &tlen);
    const char *rq = klen ? memmem(key, klen, "requester:", 10) : NULL;
    const char *dot = rq ? memrchr(key, '.', klen) : NULL;
    if (!rq || !dot || dot < rq + 10) { s_bad("no requester:<id>.sms key in the body", c->body); return; }
    if (strlen(c->key) != klen || memcmp(c->key, key, klen)) {
        s_bad("Idempotency-Key header differs from the body's key", c->body);
        return;
    }
    const char *id = rq + 10;
    size_t idlen = (size_t)(dot - id);
    if (!tlen || !memmem(text, tlen, id, idlen)) { s_bad("the text does not name the request id", c->body); return; }
    pthread_mutex_lock(&s_lock);
    slot_t *k = s_slot(s_keys, key, klen);
    if (k->arrivals++) atomic_fetch_add(&s_rx.dup_keys, 1);
    else atomic_fetch_add(&s_rx.unique_keys, 1);
    slot_t *s = s_slot(s_ids, id, idlen);
    if (s->arrivals++) atomic_fetch_add(&s_rx.dup_ids, 1);
    else {
        s->arrive_ns = now;
        atomic_fetch_add(&s_rx.unique_ids, 1);
    }
    pthread_mutex_unlock(&s_lock);
    long long zero = 0;
    atomic_compare_exchange_strong(&s_rx.first_ns, &zero, now);
    atomic_store(&s_rx.last_ns, now);
}

static enum MHD_Result s_handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                 const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    conn_t *c = *con_cls;
    if (!c) { /* the headers are in */
        if (!(c = calloc(1, sizeof *c))) return MHD_NO;
        const char *k = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Idempotency-Key");
        snprintf(c->key, sizeof c->key, "%s", k ? k : "");
        c->sms = !strcmp(method, MHD_HTTP_METHOD_POST) && !strcmp(url, "/sms");
        *con_cls = c;
        return MHD_YES;
    }
    if (*upload_size) {
        if (c->len + *upload_size + 1 > c->cap) {
            c->cap = (c->len + *upload_size + 1) * 2;
            if (!(c->body = realloc(c->body, c->cap))) abort();
        }
        memcpy(c->body + c->len, upload, *upload_size);
        c->len += *upload_size;
        c->body[c->len] = 0;
        *upload_size = 0;
        return MHD_YES;
    }
    int64_t now = s_now_ns();
    atomic_fetch_add(&s_rx.requests, 1);
    if (!c->sms) s_bad("not POST /sms", url);
    else if (!c->body) s_bad("empty body", c->key);
    else s_record(c, now);
    return MHD_queue_response(conn, MHD_HTTP_OK, s_rx.ok);
}

static void s_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)cls;
    (void)conn;
    (void)t;
    conn_t *c = *con_cls;
    if (c) {
        free(c->body);
        free(c);
    }
    *con_cls = NULL;
}

static void s_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                         enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    (void)conn;
    (void)socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) atomic_fetch_add(&s_rx.connections, 1);
}

static int s_receiver_start(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s_rx.ok = MHD_create_response_from_buffer(2, "OK", MHD_RESPMEM_PERSISTENT);
    s_rx.mhd = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, s_handler, NULL,
                                MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED,
                                s_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, s_connection, NULL,
                                MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
    if (!s_rx.ok || !s_rx.mhd) return -1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s_rx.mhd, MHD_DAEMON_INFO_BIND_PORT);
    if (!info || !info->port) return -1;
    s_rx.port = info->port;
    return 0;
}

static void s_receiver_stop(void)
{
    if (s_rx.mhd) MHD_stop_daemon(s_rx.mhd);
    if (s_rx.ok) MHD_destroy_response(s_rx.ok);
    s_rx.mhd = NULL;
    s_rx.ok = NULL;
}

/* ------------------------------------------------------------ intake */

typedef struct {
    void *sock;
    hub_arena_t *a, *ra;
    int inflight, phase;
    uint64_t ok, refused, seq;
    int64_t *sent_ns, *ack_lat;   /* phase 2: by request number (replies come in order) */
    uint64_t replies;
    char first_error[512];
} submitter_t;

/* Reads the replies waiting (the first within timeout_ms) and notes each
 * OK's request id and time. */
static void s_read_acks(submitter_t *p, int timeout_ms)
{
    zmq_pollitem_t it = {p->sock, 0, ZMQ_POLLIN, 0};
    int got = 0;
    while (p->inflight > 0 && zmq_poll(&it, 1, got ? 0 : timeout_ms) > 0) {
        zmq_msg_t f[3];
        int n = hub_zmq_recv(p->sock, f, 3, 0, NULL);
        int64_t now = s_now_ns();
        p->inflight--;
        got++;
        if (p->ack_lat) p->ack_lat[p->replies] = now - p->sent_ns[p->replies];
        p->replies++;
        hub_arena_reset(p->ra);
        hub_error_t err = {0};
        if (n == 3 && zmq_msg_size(&f[1]) == 2) {
            Intake__SubmitReply *r = (Intake__SubmitReply *)hub_wire_unpack(
                &intake__submit_reply__descriptor, zmq_msg_data(&f[2]), zmq_msg_size(&f[2]), p->ra, &err);
            if (r && r->service_request_id && *r->service_request_id && !r->duplicate_submission) {
                pthread_mutex_lock(&s_lock);
                slot_t *s = s_slot(s_ids, r->service_request_id, strlen(r->service_request_id));
                s->phase = p->phase;
                s->ack_ns = now;
                pthread_mutex_unlock(&s_lock);
                p->ok++;
            } else {
                if (!p->refused++)
                    snprintf(p->first_error, sizeof p->first_error, "an OK without a new request id");
            }
        } else {
            if (n == 3) hub_wire_error_decode(zmq_msg_data(&f[2]), zmq_msg_size(&f[2]), &err);
            if (!p->refused++)
                snprintf(p->first_error, sizeof p->first_error, "%s %s: %s", hub_error_code_name(err.code),
                         err.field, err.message);
        }
        hub_zmq_close(f, n);
    }
}

/* Sends one intake.submit: a request the requester wants answered by SMS. */
static int s_submit(submitter_t *p)
{
    hub_arena_reset(p->a);
    char mid[48], phone[24];
    uint64_t k = p->seq++;
    snprintf(mid, sizeof mid, "notif-bench-%d-%llu", p->phase, (unsigned long long)k);
    snprintf(phone, sizeof phone, "139%08llu", (unsigned long long)(k + (uint64_t)p->phase * 50000000) % 100000000);
    Intake__SubmitRequest *q = harness_request(p->a, "bench", mid);
    q->request->requester->phone = phone;
    q->request->preferred_contact = INTAKE__CONTACT_METHOD__SMS;
    q->request->consent_to_contact = 1;
    q->request->urgency = INTAKE__URGENCY__NORMAL; /* not urgent: the quiet-hours rule is consulted */
    size_t len;
    uint8_t *buf = hub_wire_pack(&q->base, p->a, &len);
    if (!buf) return -1;
    if (p->sent_ns) p->sent_ns[k] = s_now_ns();
    if (zmq_send(p->sock, "", 0, ZMQ_SNDMORE) < 0 || zmq_send(p->sock, "intake.submit", 13, ZMQ_SNDMORE) < 0 ||
        zmq_send(p->sock, buf, len, 0) < 0)
        return -1;
    p->inflight++;
    return 0;
}

static int s_submitter_init(submitter_t *p, void *zctx, const char *api, int phase)
{
    memset(p, 0, sizeof *p);
    p->phase = phase;
    p->sock = zmq_socket(zctx, ZMQ_DEALER);
    int linger = 0, hwm = 100000;
    zmq_setsockopt(p->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(p->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(p->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    p->a = hub_arena_new(1u << 20);
    p->ra = hub_arena_new(1u << 20);
    return p->sock && p->a && p->ra && !zmq_connect(p->sock, api) ? 0 : -1;
}

/* Waits for the replies still due (10 s each at most). */
static void s_submitter_drain(submitter_t *p)
{
    for (int64_t until = hub_mono_ms() + 10000; p->inflight > 0 && hub_mono_ms() < until;) {
        uint64_t before = p->ok + p->refused;
        s_read_acks(p, 100);
        if (p->ok + p->refused != before) until = hub_mono_ms() + 10000;
    }
}

static void s_submitter_fini(submitter_t *p)
{
    if (p->sock) zmq_close(p->sock);
    free(p->sent_ns);
    free(p->ack_lat);
    hub_arena_destroy(&p->a);
    hub_arena_destroy(&p->ra);
}


/* ------------------------------------------------------------ notification's events */

/* Notes, from notification's "notification.delivery.sent" events, when
 * each SMS delivery was created (the event applied, before its commit):
 * it splits e2e into the feed's part and the sender's. */
typedef struct {
    void *zctx;
    const char *pub;
    atomic_int stop, ready;
    atomic_ullong events;
} listener_t;

static void *s_listen(void *arg)
{
    listener_t *l = arg;
    void *sub = zmq_socket(l->zctx, ZMQ_SUB);
    int hwm = 1000000, linger = 0;
    zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "notification.delivery.sent", 26);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "hub.heartbeat", 13);
    zmq_connect(sub, l->pub);
    hub_arena_t *a = hub_arena_new(1u << 20);
    while (!atomic_load(&l->stop)) {
        zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 100) <= 0) continue;
        zmq_msg_t f[3];
        int n = hub_zmq_recv(sub, f, 3, 0, NULL);
        if (n == 3 && zmq_msg_size(&f[0]) == 13) atomic_store(&l->ready, 1);
        else if (n == 3) {
            hub_arena_reset(a);
            hub_error_t err = {0};
            Hub__Event *ev = (Hub__Event *)hub_wire_unpack(&hub__event__descriptor, zmq_msg_data(&f[2]),
                                                          zmq_msg_size(&f[2]), a, &err);
            Notification__DeliveryEvent *de =
                ev ? (Notification__DeliveryEvent *)hub_wire_unpack(&notification__delivery_event__descriptor,
                                                                    ev->payload.data, ev->payload.len, a, &err)
                   : NULL;
            const Notification__Delivery *d = de ? de->delivery : NULL;
            if (d && d->channel == NOTIFICATION__CHANNEL__SMS && d->request_id && *d->request_id) {
                pthread_mutex_lock(&s_lock);
                slot_t *s = s_slot(s_ids, d->request_id, strlen(d->request_id));
                s->created_ms = d->created_ms;
                pthread_mutex_unlock(&s_lock);
                atomic_fetch_add(&l->events, 1);
            }
        }
        hub_zmq_close(f, n);
    }
    hub_arena_destroy(&a);
    zmq_close(sub);
    return NULL;
}

/* ------------------------------------------------------------ hub.status */

typedef struct {
    hub_arena_t *a;
    Hub__StatusReply *r;
} status_t;

static int s_status(void *zctx, const char *api, status_t *st)
{
    hub_client_t *cl = hub_client_new(zctx, api, NULL, 10000);
    if (!st->a) st->a = hub_arena_new(1 << 20);
    hub_arena_reset(st->a);
    Hub__StatusRequest q = HUB__STATUS_REQUEST__INIT;
    hub_error_t err = {0};
    st->r = NULL;
    int rc = hub_client_call(cl, "hub.status", &q.base, &hub__status_reply__descriptor, st->a,
                             (ProtobufCMessage **)&st->r, &err);
    hub_client_destroy(&cl);
    if (rc) {
        fprintf(stderr, "bench_notification: hub.status on %s: %s\n", api, err.message);
        st->r = NULL;
        return -1;
    }
    return 0;
}

static uint64_t s_counter(const status_t *st, const char *name)
{
    if (st->r)
        for (size_t i = 0; i < st->r->n_counters; i++)
            if (!strcmp(st->r->counters[i]->name, name)) return st->r->counters[i]->value;
    return 0;
}

static uint64_t s_counter_now(void *zctx, const char *api, const char *name)
{
    status_t st = {0};
    uint64_t v = s_status(zctx, api, &st) ? 0 : s_counter(&st, name);
    hub_arena_destroy(&st.a);
    return v;
}

static void s_dump(const char *who, const status_t *st)
{
    if (!st->r) return;
    for (size_t i = 0; i < st->r->n_counters; i++)
        fprintf(stderr, "  %s %s = %llu\n", who, st->r->counters[i]->name,
                (unsigned long long)st->r->counters[i]->value);
}

/* Waits until the receiver has want unique deliveries; fails after
 * STALL_MS without a new one. */
static int s_wait_deliveries(uint64_t want)
{
    uint64_t seen = atomic_load(&s_rx.unique_ids);
    int64_t stall_until = hub_mono_ms() + STALL_MS;
    while (seen < want) {
        if (hub_mono_ms() > stall_until) return -1;
        s_sleep_ms(2);
        uint64_t now = atomic_load(&s_rx.unique_ids);
        if (now != seen) stall_until = hub_mono_ms() + STALL_MS;
        seen = now;
    }
    return 0;
}

/* Waits until notification's deliveries_sent_total stays put for 300 ms
 * (every result recorded: a stop then resends nothing). */
static uint64_t s_settle(void *zctx, const char *api)
{
    uint64_t last = s_counter_now(zctx, api, "deliveries_sent_total");
    for (int64_t until = hub_mono_ms() + 10000; hub_mono_ms() < until;) {
        s_sleep_ms(300);
        uint64_t v = s_counter_now(zctx, api, "deliveries_sent_total");
        if (v == last) break;
        last = v;
    }
    return last;
}

/* Counts the requests of phase (1, 2; 0: delivered but never
 * acknowledged by intake to this run) that got no delivery. */
static uint64_t s_missing(int phase)
{
    uint64_t m = 0;
    pthread_mutex_lock(&s_lock);
    for (size_t i = 0; i < s_cap; i++)
        if (s_ids[i].id[0] && s_ids[i].phase == phase && (phase ? !s_ids[i].arrivals : s_ids[i].arrivals > 0)) m++;
    pthread_mutex_unlock(&s_lock);
    return m;
}

/* How many SMS of phase had arrived by time ns. */
static uint64_t s_arrived_by(int phase, int64_t ns)
{
    uint64_t k = 0;
    pthread_mutex_lock(&s_lock);
    for (size_t i = 0; i < s_cap; i++)
        if (s_ids[i].phase == phase && s_ids[i].arrivals && s_ids[i].arrive_ns <= ns) k++;
    pthread_mutex_unlock(&s_lock);
    return k;
}

/* The latest creation time (ms) of a phase's SMS deliveries; 0 if none. */
static int64_t s_last_created(int phase)
{
    int64_t last = 0;
    pthread_mutex_lock(&s_lock);
    for (size_t i = 0; i < s_cap; i++)
        if (s_ids[i].phase == phase && s_ids[i].created_ms > last) last = s_ids[i].created_ms;
    pthread_mutex_unlock(&s_lock);
    return last;
}

/* ------------------------------------------------------------ main */

int main(void)
{
    int n = (int)s_env("BENCH_NOTIF_N", 20000);
    double rate = s_env("BENCH_NOTIF_RATE", 200), seconds = s_env("BENCH_NOTIF_SECONDS", 10);
    int inflight_cfg = (int)s_env("BENCH_NOTIF_INFLIGHT", 64);
    if (n > MAX_N) n = MAX_N;
    int n2 = (int)(rate * seconds);
    if (n2 > MAX_N) n2 = MAX_N;
    if (n2 < 1) n2 = 1;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (s_cap = 1024; s_cap < 4 * (size_t)(n + n2); s_cap *= 2) {}
    s_ids = calloc(s_cap, sizeof *s_ids);
    s_keys = calloc(s_cap, sizeof *s_keys);
    if (!s_ids || !s_keys) return 1;
    if (s_receiver_start()) {
        fprintf(stderr, "bench_notification: cannot start the HTTP receiver\n");
        return 1;
    }

    harness_t in, mt, nt;
    char extra[1024];
    int rc = 1, nt_up = 0;
    if (harness_init(&in, NULL) || harness_init_peer(&mt, &in, "matching", "offer_timeout_s = 0\n")) {
        fprintf(stderr, "bench_notification: cannot prepare the daemons\n");
        s_receiver_stop();
        return 1;
    }
    snprintf(extra, sizeof extra,
             "matching_api = %s\nmatching_pub = %s\nsms_url = http://127.0.0.1:%u/sms\n"
             "sms_body = {\"to\":\"{{phone}}\",\"text\":\"{{text}}\",\"key\":\"{{key}}\"}\n"
             "quiet_start = 00:00\nquiet_end = 00:00\nrate_sms_per_s = 0\nmax_in_flight = %d\n",
             mt.api, mt.pub, (unsigned)s_rx.port, inflight_cfg);
    if (harness_init_peer(&nt, &in, "notification", extra) || harness_start(&in) || harness_start(&mt)) {
        fprintf(stderr, "bench_notification: cannot start intake and matching (BUILD=%s)\n",
                getenv("BUILD") ? getenv("BUILD") : "build");
        harness_fini(&nt);
        harness_fini(&mt);
        harness_fini(&in);
        s_receiver_stop();
        return 1;
    }
    void *zctx = zmq_ctx_new();
    status_t st1 = {0}, st2 = {0};
    submitter_t p1 = {0}, p2 = {0};
    listener_t lst = {0};
    pthread_t lt;
    int lt_up = 0;

    /* notification's delivery events, from its first start on */
    lst.zctx = zctx;
    lst.pub = nt.pub;
    if (pthread_create(&lt, NULL, s_listen, &lst)) goto out;
    lt_up = 1;

    /* ---- phase 1: a backlog of n requests, then notification starts */
    if (s_submitter_init(&p1, zctx, in.api, 1)) goto out;
    int64_t t_sub = hub_mono_ns();
    for (int i = 0; i < n && !p1.refused; i++) {
        while (p1.inflight >= WINDOW) {
            uint64_t before = p1.ok + p1.refused;
            s_read_acks(&p1, 10000);
            if (p1.ok + p1.refused == before) break; /* no reply in 10 s */
        }
        if (p1.inflight >= WINDOW || s_submit(&p1)) break;
    }
    s_submitter_drain(&p1);
    double sub_s = (double)(hub_mono_ns() - t_sub) / 1e9;
    if (p1.ok != (uint64_t)n) {
        fprintf(stderr, "bench_notification: intake accepted %llu of %d requests (%llu refused: %s)\n",
                (unsigned long long)p1.ok, n, (unsigned long long)p1.refused, p1.first_error);
        goto out;
    }
    /* matching works off its share first, so that notification's start is
     * measured on its own (matching's events wait in its outbox) */
    int64_t t_mt = hub_mono_ns();
    uint64_t applied = 0;
    for (int64_t until = hub_mono_ms() + 120000; hub_mono_ms() < until; s_sleep_ms(50))
        if ((applied = s_counter_now(zctx, mt.api, "feed_events_applied_total")) >= (uint64_t)n) break;
    double mt_s = (double)(hub_mono_ns() - t_mt) / 1e9;
    if (applied < (uint64_t)n)
        fprintf(stderr, "bench_notification: matching applied only %llu of %d intake events; going on\n",
                (unsigned long long)applied, n);

    int64_t t0 = s_now_ns();
    if (harness_start(&nt)) {
        fprintf(stderr, "bench_notification: cannot start %s\n", nt.bin);
        goto out;
    }
    nt_up = 1;
    int64_t t_ready = s_now_ns();
    if (s_wait_deliveries((uint64_t)n)) {
        fprintf(stderr, "bench_notification: FAILED: %llu of %d SMS delivered (nothing new for %d s)\n",
                (unsigned long long)atomic_load(&s_rx.unique_ids), n, STALL_MS / 1000);
        s_status(zctx, nt.api, &st1);
        s_dump("notification", &st1);
        goto out;
    }
    int64_t t_first = atomic_load(&s_rx.first_ns), t_last = atomic_load(&s_rx.last_ns);
    double deliver_per_s = (double)n / ((double)(t_last - t0) / 1e9);
    double steady_per_s = t_last > t_first ? (double)(n - 1) / ((double)(t_last - t_first) / 1e9) : 0;
    s_settle(zctx, nt.api);
    s_status(zctx, nt.api, &st1);
    uint64_t rx_after_1 = atomic_load(&s_rx.requests);

    /* ---- restart: the daemon's latency histograms start empty */
    int64_t fed = s_last_created(1);
    uint64_t by_fed = fed ? s_arrived_by(1, fed * 1000000) : 0;
    double after_fed = fed && t_last > fed * 1000000
                           ? (double)((uint64_t)n - by_fed) / ((double)(t_last - fed * 1000000) / 1e9)
                           : 0;
    atomic_store(&lst.ready, 0);
    int stop_rc = harness_stop(&nt, SIGTERM);
    nt_up = 0;
    if (stop_rc != 0) {
        fprintf(stderr, "bench_notification: FAILED: notification exit status %d after SIGTERM\n", stop_rc);
        goto out;
    }
    if (harness_start(&nt)) {
        fprintf(stderr, "bench_notification: cannot restart %s\n", nt.bin);
        goto out;
    }
    nt_up = 1;
    for (int64_t until = hub_mono_ms() + 10000; !atomic_load(&lst.ready) && hub_mono_ms() < until;) s_sleep_ms(10);
    if (!atomic_load(&lst.ready)) {
        fprintf(stderr, "bench_notification: no heartbeat from notification\n");
        goto out;
    }

    /* ---- phase 2: open loop at rate, one client */
    uint64_t ev0 = atomic_load(&lst.events);
    if (s_submitter_init(&p2, zctx, in.api, 2)) goto out;
    p2.sent_ns = calloc((size_t)n2 + 1, sizeof *p2.sent_ns);
    p2.ack_lat = calloc((size_t)n2 + 1, sizeof *p2.ack_lat);
    if (!p2.sent_ns || !p2.ack_lat) goto out;
    int64_t start = hub_mono_ns(), gap = (int64_t)(1e9 / rate);
    for (int i = 0; i < n2 && !p2.refused; i++) {
        int64_t due = start + gap * i;
        for (int64_t now; (now = hub_mono_ns()) < due;) {
            if (p2.inflight) s_read_acks(&p2, (int)((due - now + 999999) / 1000000));
            else nanosleep(&(struct timespec){0, (long)(due - now)}, NULL);
        }
        s_read_acks(&p2, 0);
        if (s_submit(&p2)) break;
    }
    s_submitter_drain(&p2);
    double achieved = (double)n2 / ((double)(hub_mono_ns() - start) / 1e9);
    if (p2.ok != (uint64_t)n2) {
        fprintf(stderr, "bench_notification: intake accepted %llu of %d phase-2 requests (%llu refused: %s)\n",
                (unsigned long long)p2.ok, n2, (unsigned long long)p2.refused, p2.first_error);
        goto out;
    }
    if (s_wait_deliveries((uint64_t)(n + n2))) {
        fprintf(stderr, "bench_notification: FAILED: %llu of %d phase-2 SMS delivered (nothing new for %d s)\n",
                (unsigned long long)(atomic_load(&s_rx.unique_ids) - (uint64_t)n), n2, STALL_MS / 1000);
        s_status(zctx, nt.api, &st2);
        s_dump("notification", &st2);
        goto out;
    }
    s_settle(zctx, nt.api);
    s_status(zctx, nt.api, &st2);

    /* the sent events of the last deliveries follow their commit */
    for (int64_t until = hub_mono_ms() + 2000;
         atomic_load(&lst.events) < ev0 + (uint64_t)n2 && hub_mono_ms() < until;)
        s_sleep_ms(10);
    int64_t *e2e = calloc((size_t)n2 + 1, sizeof *e2e), *feed = calloc((size_t)n2 + 1, sizeof *feed),
            *send = calloc((size_t)n2 + 1, sizeof *send);
    size_t ne = 0, nf = 0;
    uint64_t before_ack = 0;
    pthread_mutex_lock(&s_lock);
    for (size_t i = 0; i < s_cap; i++) {
        slot_t *s = &s_ids[i];
        if (s->phase != 2 || !s->arrivals || ne >= (size_t)n2) continue;
        int64_t d = s->arrive_ns - s->ack_ns;
        if (d < 0) before_ack++;
        e2e[ne++] = d > 0 ? d : 0;
        if (s->created_ms) { /* ms resolution: +-1 ms */
            int64_t c = s->created_ms * 1000000 + 500000;
            feed[nf] = c > s->ack_ns ? c - s->ack_ns : 0;
            send[nf++] = s->arrive_ns > c ? s->arrive_ns - c : 0;
        }
    }
    pthread_mutex_unlock(&s_lock);
    qsort(e2e, ne, sizeof *e2e, s_cmp_i64);
    qsort(feed, nf, sizeof *feed, s_cmp_i64);
    qsort(send, nf, sizeof *send, s_cmp_i64);
    double e50 = s_pct_ms(e2e, ne, 0.50), e90 = s_pct_ms(e2e, ne, 0.90), e99 = s_pct_ms(e2e, ne, 0.99),
           emax = s_pct_ms(e2e, ne, 1.0);
    double f50 = s_pct_ms(feed, nf, 0.50), f99 = s_pct_ms(feed, nf, 0.99), fmax = s_pct_ms(feed, nf, 1.0);
    double s50 = s_pct_ms(send, nf, 0.50), s99 = s_pct_ms(send, nf, 0.99), smax = s_pct_ms(send, nf, 1.0);
    free(e2e);
    free(feed);
    free(send);
    qsort(p2.ack_lat, (size_t)n2, sizeof *p2.ack_lat, s_cmp_i64);
    double a50 = s_pct_ms(p2.ack_lat, (size_t)n2, 0.50), a99 = s_pct_ms(p2.ack_lat, (size_t)n2, 0.99),
           amax = s_pct_ms(p2.ack_lat, (size_t)n2, 1.0);

    /* ---- verdict */
    uint64_t miss1 = s_missing(1), miss2 = s_missing(2);
    uint64_t dups = atomic_load(&s_rx.dup_ids), dupk = atomic_load(&s_rx.dup_keys);
    uint64_t unknown = s_missing(0), bad = atomic_load(&s_rx.malformed);
    status_t mst = {0};
    s_status(zctx, mt.api, &mst);

    printf("\nnotification: %d requests queued up (intake took them at %.0f req/s, matching applied them in "
           "%.1f s more), then notification started; then %d requests at %.0f req/s (achieved %.0f) for "
           "%.0f s.\n",
           n, n / sub_s, mt_s, n2, rate, achieved, seconds);
    printf("receiver: %llu HTTP requests on %llu TCP connections, %llu unique request ids, %llu unique "
           "Idempotency-Keys, duplicates %llu (by id) / %llu (by key), unknown %llu, malformed %llu, "
           "missing %llu + %llu\n\n",
           (unsigned long long)atomic_load(&s_rx.requests), (unsigned long long)atomic_load(&s_rx.connections),
           (unsigned long long)atomic_load(&s_rx.unique_ids), (unsigned long long)atomic_load(&s_rx.unique_keys),
           (unsigned long long)dups, (unsigned long long)dupk, (unsigned long long)unknown,
           (unsigned long long)bad, (unsigned long long)miss1, (unsigned long long)miss2);
    printf("| phase 1: backlog of %d (max_in_flight %d) | value |\n|---|---:|\n", n, inflight_cfg);
    printf("| notification start -> READY | %.0f ms |\n", (double)(t_ready - t0) / 1e6);
    printf("| notification start -> first SMS | %.0f ms |\n", (double)(t_first - t0) / 1e6);
    printf("| notification start -> last SMS delivery created (feeds caught up) | %.2f s |\n",
           fed ? (double)(fed * 1000000 - t0) / 1e9 : -1.0);
    printf("| SMS sent by then | %llu |\n", (unsigned long long)by_fed);
    printf("| notification start -> last SMS | %.2f s |\n", (double)(t_last - t0) / 1e9);
    printf("| **deliveries/s, start to last (feed catch-up included)** | **%.0f** |\n", deliver_per_s);
    printf("| deliveries/s, first SMS to last | %.0f |\n", steady_per_s);
    printf("| deliveries/s once the feeds had caught up (the sender alone) | %.0f |\n", after_fed);
    printf("| daemon: deliveries created / sent (SMS + operators' inbox) | %llu / %llu |\n",
           (unsigned long long)s_counter(&st1, "deliveries_total"),
           (unsigned long long)s_counter(&st1, "deliveries_sent_total"));
    printf("| daemon: failed attempts / dead / deduplicated | %llu / %llu / %llu |\n",
           (unsigned long long)s_counter(&st1, "delivery_attempts_failed_total"),
           (unsigned long long)s_counter(&st1, "deliveries_dead_total"),
           (unsigned long long)s_counter(&st1, "deliveries_deduplicated_total"));
    printf("| daemon: feed events applied / commits p50, p99 | %llu / %llu, %llu us |\n",
           (unsigned long long)s_counter(&st1, "feed_events_applied_total"),
           (unsigned long long)s_counter(&st1, "commit_p50_us"),
           (unsigned long long)s_counter(&st1, "commit_p99_us"));
    printf("| daemon: commands per batch p50, p99 | %llu, %llu |\n",
           (unsigned long long)s_counter(&st1, "batch_p50"), (unsigned long long)s_counter(&st1, "batch_p99"));
    printf("| daemon: one transfer p50, p99 | %llu, %llu ms |\n",
           (unsigned long long)s_counter(&st1, "send_p50_ms"), (unsigned long long)s_counter(&st1, "send_p99_ms"));
    printf("\n| phase 2: %.0f req/s for %.0f s | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|\n", rate,
           seconds);
    printf("| **intake OK -> SMS at the receiver** (p90 %.1f) | **%.2f** | **%.2f** | %.2f |\n", e90, e50, e99,
           emax);
    printf("| - intake OK -> delivery created (feed, apply) | %.0f | %.0f | %.0f |\n", f50, f99, fmax);
    printf("| - delivery created -> SMS at the receiver (commit, sender) | %.0f | %.0f | %.0f |\n", s50, s99, smax);
    printf("| (intake.submit -> OK, for reference) | %.2f | %.2f | %.2f |\n", a50, a99, amax);
    printf("| event -> result recorded (daemon gauge e2e_*) | %llu | %llu | |\n",
           (unsigned long long)s_counter(&st2, "e2e_p50_ms"), (unsigned long long)s_counter(&st2, "e2e_p99_ms"));
    printf("| one transfer (daemon gauge send_*) | %llu | %llu | |\n",
           (unsigned long long)s_counter(&st2, "send_p50_ms"), (unsigned long long)s_counter(&st2, "send_p99_ms"));
    printf("| notification commit (us) | %llu | %llu | |\n", (unsigned long long)s_counter(&st2, "commit_p50_us"),
           (unsigned long long)s_counter(&st2, "commit_p99_us"));
    printf("\n");
    if (getenv("BENCH_VERBOSE")) {
        s_dump("notification(1)", &st1);
        s_dump("notification(2)", &st2);
        s_dump("matching", &mst);
        fprintf(stderr, "  receiver requests after phase 1: %llu\n", (unsigned long long)rx_after_1);
    }
    hub_arena_destroy(&mst.a);
    if (bad) fprintf(stderr, "bench_notification: first malformed request: %s\n", s_rx.first_bad);
    if (before_ack) fprintf(stderr, "bench_notification: %llu SMS arrived before intake's OK was read\n",
                            (unsigned long long)before_ack);
    if (miss1 || miss2 || dups || dupk || unknown || bad) {
        fprintf(stderr, "bench_notification: FAILED: deliveries missing, duplicated or malformed\n");
        goto out;
    }
    printf("bench notification.deliver_per_s %.0f deliveries/s\n", deliver_per_s);
    printf("bench notification.e2e_p50_ms %.3f ms\n", e50);
    printf("bench notification.e2e_p99_ms %.3f ms\n", e99);
    rc = 0;
out:
    if (lt_up) {
        atomic_store(&lst.stop, 1);
        pthread_join(lt, NULL);
    }
    s_submitter_fini(&p1);
    s_submitter_fini(&p2);
    hub_arena_destroy(&st1.a);
    hub_arena_destroy(&st2.a);
    int stop_nt = nt_up ? harness_stop(&nt, SIGTERM) : 0, stop_mt = harness_stop(&mt, SIGTERM),
        stop_in = harness_stop(&in, SIGTERM);
    if (stop_nt || stop_mt || stop_in) {
        fprintf(stderr, "bench_notification: a daemon did not stop cleanly\n");
        rc = 1;
    }
    harness_fini(&nt);
    harness_fini(&mt);
    harness_fini(&in);
    zmq_ctx_term(zctx);
    s_receiver_stop();
    free(s_ids);
    free(s_keys);
    return rc;
}
