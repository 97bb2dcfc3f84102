/* bench_intake: durable accepted help requests per second on a real
 * hub-intake daemon (started through the test harness, ipc:// endpoints).
 *
 * For 1, 8 and 32 concurrent clients (one pthread and one REQ socket each,
 * one shared ZeroMQ context) every client submits valid, unique requests
 * ("intake.submit") in a closed loop: a warm-up, then a measured window of
 * BENCH_SECONDS (default 5). An OK reply means the request is committed to
 * LMDB (group commit, replies only after the commit), so replies per second
 * is durable throughput. Each level runs BENCH_REPEAT (default 3) times; the
 * median of the repeats is reported.
 *
 * Then a pipelined level ("32 x16", names c32w16), like a channel gateway
 * relaying many users at once: 32 threads, each with its own DEALER socket
 * (same shared context), keep 16 intake.submit requests in flight, sending
 * ["", verb, body] and receiving ["", status, body]. The server answers
 * each peer in order, so replies are matched to requests by counting. At
 * the end of the window no new request is sent and the outstanding ones are
 * drained (they count as OK replies, not as measured ones). Latency is from
 * send to reply; no reply within 10 s of the oldest request in flight is a
 * failure. Same warm-up, window, repeats and median as the other levels.
 *
 * After all levels hub.status must count exactly as many accepted requests
 * as the clients (closed-loop and pipelined) got OK replies, and the daemon
 * must exit 0 on SIGTERM. Any reply that is not OK and new fails the run.
 *
 * Environment: BUILD (where bin/hub-intake is), BENCH_SECONDS,
 * BENCH_REPEAT, BENCH_WARMUP (seconds, default 1), BENCH_DATA_DIR (for
 * analysis only: keep the store under this directory, e.g. /dev/shm to
 * take the disk's flush latency out; default: the harness temp dir). */
#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "hub_client.h"
#include "hub_wire.h"
#include "intake.pb-c.h"

#define N_LEVELS 4
#define MAX_REPEAT 15
#define CLIENT_TIMEOUT_MS 10000
#define MAX_REPLY_BYTES (16u << 20)

/* One load level: client threads, and requests each keeps in flight
 * (0 = closed loop over a REQ hub_client, >0 = pipelined DEALER). */
typedef struct {
    int clients;
    int window;
} level_t;

static const level_t s_levels[N_LEVELS] = {{1, 0}, {8, 0}, {32, 0}, {32, 16}};

/* One measured run, shared by its worker threads (read-only after the
 * start barrier). */
typedef struct {
    int run_id;
    int window;                /* requests in flight per client, 0 = closed loop */
    void *zctx;
    const char *endpoint;
    pthread_barrier_t start;   /* workers + main */
    int64_t measure_from_ns;   /* end of warm-up (monotonic) */
    int64_t measure_to_ns;     /* end of the measured window */
} run_t;

/* One client thread's state and results. */
typedef struct {
    run_t *run;
    int idx;
    pthread_t tid;
    int64_t *lat_ns;           /* latencies of replies inside the window */
    size_t n_lat, cap_lat;
    uint64_t ok_total;         /* every OK reply, warm-up included */
    uint64_t ok_measured;      /* OK replies completed inside the window */
    uint64_t failures;
    char first_failure[400];
} worker_t;

/* Result of one run at one level. */
typedef struct {
    double per_s, p50_ms, p99_ms;
    double per_commit;         /* OK replies per LMDB commit, 0 if unknown */
    uint64_t ok_total, failures;
} result_t;

/* Monotonic clock in nanoseconds. */
static int64_t s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Positive number from env var name, else def. */
static double s_env_num(const char *name, double def)
{
    const char *v = getenv(name);
    if (!v || !*v) return def;
    char *end;
    double d = strtod(v, &end);
    return end != v && d > 0 ? d : def;
}

/* qsort comparator: int64_t ascending. */
static int s_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* qsort comparator: double ascending. */
static int s_cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile p (0..1) of sorted[0..n) in ms; 0 when n == 0. */
static double s_pct_ms(const int64_t *sorted, size_t n, double p)
{
    if (!n) return 0;
    size_t rank = (size_t)(p * (double)n + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return (double)sorted[rank - 1] / 1e6;
}

/* Median of v[0..n) (sorts v in place); 0 when n == 0. */
static double s_median(double *v, int n)
{
    if (!n) return 0;
    qsort(v, (size_t)n, sizeof *v, s_cmp_dbl);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Records a failure in w (keeps the first message). */
static void s_fail(worker_t *w, const char *fmt, const char *a, const char *b)
{
    if (!w->failures++)
        snprintf(w->first_failure, sizeof w->first_failure, fmt, a, b);
}

/* Appends one latency sample; aborts on out-of-memory. */
static void s_add_lat(worker_t *w, int64_t ns)
{
    if (w->n_lat == w->cap_lat) {
        w->cap_lat = w->cap_lat ? w->cap_lat * 2 : 16384;
        w->lat_ns = realloc(w->lat_ns, w->cap_lat * sizeof *w->lat_ns);
        if (!w->lat_ns) abort();
    }
    w->lat_ns[w->n_lat++] = ns;
}

/* Worker thread: connects, waits at the start barrier, then submits unique
 * requests until the window ends. Every reply must be OK and new; after a
 * time-out (daemon gone or stuck) the worker stops early. */
static void *s_worker(void *arg)
{
    worker_t *w = arg;
    run_t *r = w->run;
    hub_client_t *c = hub_client_new(r->zctx, r->endpoint, NULL, CLIENT_TIMEOUT_MS);
    hub_arena_t *arena = hub_arena_new(1 << 20);
    pthread_barrier_wait(&r->start);
    if (!c || !arena) {
        s_fail(w, "client %s%s: cannot create client or arena", "", "");
        hub_client_destroy(&c);
        hub_arena_destroy(&arena);
        return NULL;
    }
    char mid[64];
    for (uint64_t n = 0;; n++) {
        hub_arena_reset(arena);
        snprintf(mid, sizeof mid, "%d-%d-%llu", r->run_id, w->idx, (unsigned long long)n);
        Intake__SubmitRequest *req = harness_request(arena, "bench", mid);
        ProtobufCMessage *reply = NULL;
        hub_error_t err = {0};
        int64_t t0 = s_now_ns();
        int rc = hub_client_call(c, "intake.submit", &req->base, &intake__submit_reply__descriptor,
                                 arena, &reply, &err);
        int64_t t1 = s_now_ns();
        if (rc != 0) {
            s_fail(w, "%s: %s", hub_error_code_name(err.code), err.message);
            if (rc < 0 && err.code == HUB__ERROR_CODE__UNAVAILABLE) break;
        } else {
            const Intake__SubmitReply *rep = (const Intake__SubmitReply *)reply;
            if (rep->duplicate_submission || !rep->service_request_id || !*rep->service_request_id) {
                s_fail(w, "message id %s answered as a duplicate or without id%s", mid, "");
            } else {
                __atomic_store_n(&w->ok_total, w->ok_total + 1, __ATOMIC_RELAXED);
                if (t1 >= r->measure_from_ns && t1 < r->measure_to_ns) {
                    w->ok_measured++;
                    s_add_lat(w, t1 - t0);
                }
            }
        }
        if (t1 >= r->measure_to_ns) break;
    }
    hub_client_destroy(&c);
    hub_arena_destroy(&arena);
    return NULL;
}

/* Sends request number n of worker w on DEALER sock as ["", verb, body]
 * without blocking; *sent_ns gets the send time. 0, or -1 with a failure
 * recorded in w. arena is reset first. */
static int s_pipe_send(worker_t *w, void *sock, hub_arena_t *arena, uint64_t n, int64_t *sent_ns)
{
    char mid[64];
    size_t len;
    hub_arena_reset(arena);
    snprintf(mid, sizeof mid, "%d-%d-%llu", w->run->run_id, w->idx, (unsigned long long)n);
    Intake__SubmitRequest *req = harness_request(arena, "bench", mid);
    uint8_t *body = hub_wire_pack(&req->base, arena, &len);
    if (!body) {
        s_fail(w, "message id %s: cannot pack the request%s", mid, "");
        return -1;
    }
    *sent_ns = s_now_ns();
    if (zmq_send(sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(sock, "intake.submit", strlen("intake.submit"), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(sock, body, len, ZMQ_DONTWAIT) < 0) {
        s_fail(w, "message id %s: send failed: %s", mid, zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

/* Receives one reply ["", status, body] from DEALER sock without blocking
 * and checks it answers request number n (OK, not a duplicate, with an id).
 * Returns 1 when a reply was consumed (*ok = 1 if it was a good OK, else a
 * failure is recorded in w), 0 when none is waiting, -1 on a receive error
 * or malformed envelope (failure recorded; the reply order can no longer be
 * trusted). *done_ns gets the receive time. */
static int s_pipe_recv(worker_t *w, void *sock, hub_arena_t *arena, uint64_t n, int64_t *done_ns,
                       int *ok)
{
    zmq_msg_t f[3];
    int nf = 0, more = 1, extra = 0, rc = -1;
    *ok = 0;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, nf || extra ? 0 : ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            if (!nf && !extra && zmq_errno() == EAGAIN) return 0;
            s_fail(w, "receive failed: %s%s", zmq_strerror(zmq_errno()), "");
            goto out;
        }
        more = zmq_msg_more(&m);
        if (nf < 3) f[nf++] = m;
        else { extra++; zmq_msg_close(&m); }
    }
    *done_ns = s_now_ns();
    char mid[64];
    snprintf(mid, sizeof mid, "%d-%d-%llu", w->run->run_id, w->idx, (unsigned long long)n);
    if (nf != 3 || extra || zmq_msg_size(&f[0]) != 0) {
        s_fail(w, "message id %s: malformed reply envelope%s", mid, "");
        goto out;
    }
    rc = 1;
    hub_error_t err = {0};
    hub_arena_reset(arena);
    size_t sl = zmq_msg_size(&f[1]);
    if (sl == 2 && !memcmp(zmq_msg_data(&f[1]), "OK", 2)) {
        const Intake__SubmitReply *rep = (const Intake__SubmitReply *)hub_wire_unpack_max(
            &intake__submit_reply__descriptor, zmq_msg_data(&f[2]), zmq_msg_size(&f[2]),
            MAX_REPLY_BYTES, arena, &err);
        if (!rep)
            s_fail(w, "message id %s: undecodable OK reply: %s", mid, err.message);
        else if (rep->duplicate_submission || !rep->service_request_id || !*rep->service_request_id)
            s_fail(w, "message id %s answered as a duplicate or without id%s", mid, "");
        else {
            __atomic_store_n(&w->ok_total, w->ok_total + 1, __ATOMIC_RELAXED);
            *ok = 1;
        }
    } else {
        const Hub__Error *e = (const Hub__Error *)hub_wire_unpack_max(
            &hub__error__descriptor, zmq_msg_data(&f[2]), zmq_msg_size(&f[2]), MAX_REPLY_BYTES,
            arena, &err);
        char what[128];
        snprintf(what, sizeof what, "message id %s: %s", mid,
                 e ? hub_error_code_name(e->code) : "undecodable error reply");
        s_fail(w, "%s: %s", what, e ? e->message : err.message);
    }
out:
    for (int i = 0; i < nf; i++) zmq_msg_close(&f[i]);
    return rc;
}

/* Pipelined worker: one DEALER socket, keeps r->window requests in flight
 * until the window ends, then drains the outstanding replies. Reply k
 * answers request k (the server replies to a peer in order). Stops early on
 * a malformed reply, a send error, or no reply within CLIENT_TIMEOUT_MS of
 * the oldest request in flight. */
static void *s_pipe_worker(void *arg)
{
    worker_t *w = arg;
    run_t *r = w->run;
    uint64_t win = (uint64_t)r->window;
    void *sock = zmq_socket(r->zctx, ZMQ_DEALER);
    hub_arena_t *arena = hub_arena_new(1 << 20);
    int64_t *sent_ns = calloc(win, sizeof *sent_ns); /* ring, by request number */
    int linger = 0;
    int ready = sock && arena && sent_ns &&
                !zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) &&
                !zmq_connect(sock, r->endpoint);
    pthread_barrier_wait(&r->start);
    if (!ready) {
        s_fail(w, "client %s%s: cannot create DEALER socket or arena", "", "");
        goto out;
    }
    uint64_t n_sent = 0, n_recv = 0;
    for (;;) {
        while (n_sent - n_recv < win && s_now_ns() < r->measure_to_ns) {
            if (s_pipe_send(w, sock, arena, n_sent, &sent_ns[n_sent % win])) goto out;
            n_sent++;
        }
        if (n_sent == n_recv) break; /* window over, everything answered */
        int64_t deadline = sent_ns[n_recv % win] + (int64_t)CLIENT_TIMEOUT_MS * 1000000;
        int64_t now = s_now_ns();
        long wait_ms = deadline > now ? (long)((deadline - now + 999999) / 1000000) : 0;
        zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
        int prc = zmq_poll(&it, 1, wait_ms);
        if (prc < 0 && zmq_errno() != EINTR) {
            s_fail(w, "poll failed: %s%s", zmq_strerror(zmq_errno()), "");
            break;
        }
        if (prc <= 0) {
            if (s_now_ns() < deadline) continue;
            char what[64];
            snprintf(what, sizeof what, "%llu request(s) in flight",
                     (unsigned long long)(n_sent - n_recv));
            s_fail(w, "UNAVAILABLE: no reply within 10 s, %s%s", what, "");
            w->failures += n_sent - n_recv - 1; /* every request in flight failed */
            break;
        }
        int rc, ok;
        int64_t t1;
        while ((rc = s_pipe_recv(w, sock, arena, n_recv, &t1, &ok)) == 1) {
            if (ok && t1 >= r->measure_from_ns && t1 < r->measure_to_ns) {
                w->ok_measured++;
                s_add_lat(w, t1 - sent_ns[n_recv % win]);
            }
            n_recv++;
        }
        if (rc < 0) break;
    }
out:
    if (sock) zmq_close(sock);
    hub_arena_destroy(&arena);
    free(sent_ns);
    return NULL;
}

/* Last committed LMDB write-transaction id of the daemon's store (read-only
 * look at the meta page; the daemon keeps running). 0 if unreadable. Nested
 * transactions do not count, so deltas are group commits. */
static uint64_t s_last_txnid(const char *store_dir)
{
    MDB_env *env = NULL;
    MDB_envinfo info = {0};
    if (mdb_env_create(&env)) return 0;
    mdb_env_set_maxdbs(env, 32);
    if (mdb_env_open(env, store_dir, MDB_RDONLY | MDB_NOTLS, 0600) == 0)
        mdb_env_info(env, &info);
    mdb_env_close(env);
    return (uint64_t)info.me_last_txnid;
}

/* Name of level lv for "bench" lines and the commit line ("c32", "c32w16")
 * into buf. Returns buf. */
static const char *s_level_name(const level_t *lv, char *buf, size_t len)
{
    if (lv->window) snprintf(buf, len, "c%dw%d", lv->clients, lv->window);
    else snprintf(buf, len, "c%d", lv->clients);
    return buf;
}

/* Label of level lv for the table's clients column ("32", "32 x16") into
 * buf. Returns buf. */
static const char *s_level_label(const level_t *lv, char *buf, size_t len)
{
    if (lv->window) snprintf(buf, len, "%d x%d", lv->clients, lv->window);
    else snprintf(buf, len, "%d", lv->clients);
    return buf;
}

/* Runs one level (lv->clients threads, closed loop or pipelined) for
 * warm_s + secs; fills *res. Returns 0, or -1 if threads could not be
 * started. */
static int s_run(harness_t *h, void *zctx, int run_id, const level_t *lv, double warm_s, double secs,
                 result_t *res)
{
    int clients = lv->clients;
    run_t r = {.run_id = run_id, .window = lv->window, .zctx = zctx, .endpoint = h->api};
    worker_t *ws = calloc((size_t)clients, sizeof *ws);
    char store[400];
    snprintf(store, sizeof store, "%s/var/intake", h->dir);
    if (!ws || pthread_barrier_init(&r.start, NULL, (unsigned)clients + 1)) { free(ws); return -1; }
    for (int i = 0; i < clients; i++) {
        ws[i].run = &r;
        ws[i].idx = i;
        if (pthread_create(&ws[i].tid, NULL, lv->window ? s_pipe_worker : s_worker, &ws[i])) abort();
    }
    r.measure_from_ns = s_now_ns() + (int64_t)(warm_s * 1e9);
    r.measure_to_ns = r.measure_from_ns + (int64_t)(secs * 1e9);
    pthread_barrier_wait(&r.start);
    /* commit count across the measured window, sampled beside the workers */
    struct timespec ts = {(time_t)warm_s, (long)((warm_s - (double)(time_t)warm_s) * 1e9)};
    nanosleep(&ts, NULL);
    uint64_t tx0 = s_last_txnid(store);
    uint64_t ok0 = 0;
    for (int i = 0; i < clients; i++) ok0 += __atomic_load_n(&ws[i].ok_total, __ATOMIC_RELAXED);
    for (int i = 0; i < clients; i++) pthread_join(ws[i].tid, NULL);
    uint64_t tx1 = s_last_txnid(store);

    memset(res, 0, sizeof *res);
    size_t n_lat = 0;
    uint64_t measured = 0;
    for (int i = 0; i < clients; i++) n_lat += ws[i].n_lat;
    int64_t *all = malloc((n_lat ? n_lat : 1) * sizeof *all);
    if (!all) abort();
    n_lat = 0;
    for (int i = 0; i < clients; i++) {
        memcpy(all + n_lat, ws[i].lat_ns, ws[i].n_lat * sizeof *all);
        n_lat += ws[i].n_lat;
        measured += ws[i].ok_measured;
        res->ok_total += ws[i].ok_total;
        res->failures += ws[i].failures;
        if (ws[i].failures)
            fprintf(stderr, "bench_intake: run %d client %d: %llu failure(s), first: %s\n", run_id, i,
                    (unsigned long long)ws[i].failures, ws[i].first_failure);
        free(ws[i].lat_ns);
    }
    qsort(all, n_lat, sizeof *all, s_cmp_i64);
    res->per_s = (double)measured / secs;
    res->p50_ms = s_pct_ms(all, n_lat, 0.50);
    res->p99_ms = s_pct_ms(all, n_lat, 0.99);
    /* ok replies after the first sample, against commits in the same span */
    uint64_t ok_after = res->ok_total - ok0;
    uint64_t commits = tx0 && tx1 > tx0 ? tx1 - tx0 : 0;
    res->per_commit = commits ? (double)ok_after / (double)commits : 0;
    char who[64];
    if (lv->window) snprintf(who, sizeof who, "%d client(s) x%d in flight", clients, lv->window);
    else snprintf(who, sizeof who, "%d client(s)", clients);
    printf("bench_intake: run %d, %s: %.0f req/s, p50 %.3f ms, p99 %.3f ms, "
                    "%llu commits for %llu requests (%.2f per commit)\n",
            run_id, who, res->per_s, res->p50_ms, res->p99_ms, (unsigned long long)commits,
            (unsigned long long)ok_after, res->per_commit);
    free(all);
    free(ws);
    pthread_barrier_destroy(&r.start);
    return 0;
}

/* Asks the daemon (hub.status) for counter name; 0 with *value, or -1. */
static int s_status_counter(void *zctx, const char *endpoint, const char *name, uint64_t *value)
{
    hub_client_t *c = hub_client_new(zctx, endpoint, NULL, CLIENT_TIMEOUT_MS);
    hub_arena_t *arena = hub_arena_new(1 << 20);
    int rc = -1;
    Hub__StatusRequest req = HUB__STATUS_REQUEST__INIT;
    ProtobufCMessage *reply = NULL;
    hub_error_t err = {0};
    if (c && arena &&
        hub_client_call(c, "hub.status", &req.base, &hub__status_reply__descriptor, arena, &reply, &err) == 0) {
        const Hub__StatusReply *st = (const Hub__StatusReply *)reply;
        *value = 0;
        for (size_t i = 0; i < st->n_counters; i++)
            if (!strcmp(st->counters[i]->name, name)) *value = st->counters[i]->value;
        rc = 0;
    } else {
        fprintf(stderr, "bench_intake: hub.status failed: %s\n", err.message);
    }
    hub_client_destroy(&c);
    hub_arena_destroy(&arena);
    return rc;
}

/* With BENCH_DATA_DIR set, makes a fresh directory under it and links the
 * harness's data dir (h->dir/var) to it; out gets its path ("" if unset).
 * 0 or -1. Call between harness_init and harness_start. */
static int s_relocate_store(harness_t *h, char *out, size_t len)
{
    const char *base = getenv("BENCH_DATA_DIR");
    char link[400];
    out[0] = 0;
    if (!base || !*base) return 0;
    snprintf(out, len, "%s/hubbench.XXXXXX", base);
    snprintf(link, sizeof link, "%s/var", h->dir);
    if (!mkdtemp(out) || symlink(out, link)) { out[0] = 0; return -1; }
    fprintf(stderr, "bench_intake: store in %s (BENCH_DATA_DIR), not in %s\n", out, h->dir);
    return 0;
}

/* Removes the directory made by s_relocate_store, if any. */
static void s_remove_store(const char *dir)
{
    char cmd[600];
    if (!dir[0] || getenv("HUB_TEST_KEEP")) return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) { /* best effort */ }
}

/* ---- activity registrations (issue #8) ----
 * REG_CLIENTS threads register unique people (closed loop, one REQ
 * socket each) into one activity of REG_CAPACITY places for secs seconds:
 * the first ones are confirmed, the rest waitlisted; every registration
 * is one LMDB transaction that also updates the activity's counters, so
 * this measures the serialized path. Afterwards the activity must count
 * exactly the OK replies (confirmed + waitlisted), never more confirmed
 * than places. */
#define REG_CLIENTS 8
#define REG_CAPACITY 1000

typedef struct {
    void *zctx;
    const char *endpoint;
    const char *activity;
    int idx;
    int64_t to_ns;
    int64_t *lat_ns;
    size_t n_lat, cap_lat;
    uint64_t ok, failed;
} reg_worker_t;

static void *s_reg_worker(void *arg)
{
    reg_worker_t *w = arg;
    hub_client_t *c = hub_client_new(w->zctx, w->endpoint, NULL, CLIENT_TIMEOUT_MS);
    hub_arena_t *a = hub_arena_new(1 << 20);
    for (uint64_t i = 0; c && a && s_now_ns() < w->to_ns; i++) {
        char name[32], phone[32], mid[48];
        snprintf(name, sizeof name, "报名人%d-%llu", w->idx, (unsigned long long)i);
        snprintf(phone, sizeof phone, "13%02d%07llu", w->idx, (unsigned long long)i);
        snprintf(mid, sizeof mid, "reg-%d-%llu", w->idx, (unsigned long long)i);
        Intake__Person p = INTAKE__PERSON__INIT;
        p.name = name;
        p.phone = phone;
        Intake__Registration r = INTAKE__REGISTRATION__INIT;
        r.activity_id = (char *)w->activity;
        r.channel = "bench";
        r.message_id = mid;
        r.registrant = &p;
        r.consent_to_contact = 1;
        Intake__RegisterRequest req = INTAKE__REGISTER_REQUEST__INIT;
        req.registration = &r;
        ProtobufCMessage *rep;
        hub_error_t err = {0};
        hub_arena_reset(a);
        int64_t t0 = s_now_ns();
        if (hub_client_call(c, "intake.activity.register", &req.base, &intake__register_reply__descriptor, a, &rep,
                            &err)) {
            w->failed++;
            break;
        }
        w->ok++;
        if (w->n_lat == w->cap_lat) {
            size_t cap = w->cap_lat ? w->cap_lat * 2 : 4096;
            int64_t *l = realloc(w->lat_ns, cap * sizeof *l);
            if (!l) { w->failed++; break; }
            w->lat_ns = l;
            w->cap_lat = cap;
        }
        w->lat_ns[w->n_lat++] = s_now_ns() - t0;
    }
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
    return NULL;
}

/* Runs the registration load for secs; fills per_s, p50/p99 (ms). 0, or
 * -1 when a call failed or the activity's counters disagree. */
static int s_bench_register(harness_t *h, void *zctx, double secs, double *per_s, double *p50, double *p99)
{
    hub_client_t *c = hub_client_new(zctx, h->api, NULL, CLIENT_TIMEOUT_MS);
    hub_arena_t *a = hub_arena_new(1 << 20);
    int rc = -1;
    Intake__Activity act = INTAKE__ACTIVITY__INIT;
    act.kind = INTAKE__ACTIVITY_KIND__VOLUNTEER_DAY;
    act.title = "慈善义工日";
    act.place = "海曙区社会组织服务中心";
    act.starts_ms = (int64_t)time(NULL) * 1000 + 86400000LL;
    act.ends_ms = act.starts_ms + 4 * 3600000LL;
    act.capacity = REG_CAPACITY;
    Intake__CreateActivityRequest creq = INTAKE__CREATE_ACTIVITY_REQUEST__INIT;
    creq.activity = &act;
    Intake__ActivityReply *arep;
    hub_error_t err = {0};
    reg_worker_t w[REG_CLIENTS];
    memset(w, 0, sizeof w);
    if (!c || !a || hub_client_call(c, "intake.activity.create", &creq.base, &intake__activity_reply__descriptor, a,
                                    (ProtobufCMessage **)&arep, &err)) {
        fprintf(stderr, "bench_intake: intake.activity.create: %s\n", err.message);
        goto done;
    }
    char aid[32];
    snprintf(aid, sizeof aid, "%s", arep->activity->activity_id);
    int64_t from = s_now_ns(), to = from + (int64_t)(secs * 1e9);
    pthread_t t[REG_CLIENTS];
    for (int i = 0; i < REG_CLIENTS; i++) {
        w[i] = (reg_worker_t){.zctx = zctx, .endpoint = h->api, .activity = aid, .idx = i, .to_ns = to};
        if (pthread_create(&t[i], NULL, s_reg_worker, &w[i])) goto done;
    }
    uint64_t ok = 0, failed = 0;
    size_t n = 0;
    for (int i = 0; i < REG_CLIENTS; i++) {
        pthread_join(t[i], NULL);
        ok += w[i].ok, failed += w[i].failed, n += w[i].n_lat;
    }
    double took = (double)(s_now_ns() - from) / 1e9;
    int64_t *all = malloc((n + 1) * sizeof *all);
    size_t k = 0;
    for (int i = 0; all && i < REG_CLIENTS; i++)
        for (size_t j = 0; j < w[i].n_lat; j++) all[k++] = w[i].lat_ns[j];
    if (!all || !n) { free(all); goto done; }
    qsort(all, n, sizeof *all, s_cmp_i64);
    *per_s = (double)ok / took;
    *p50 = s_pct_ms(all, n, 0.50);
    *p99 = s_pct_ms(all, n, 0.99);
    free(all);
    Intake__GetActivityRequest g = INTAKE__GET_ACTIVITY_REQUEST__INIT;
    g.activity_id = aid;
    hub_arena_reset(a);
    if (hub_client_call(c, "intake.activity.get", &g.base, &intake__activity_reply__descriptor, a,
                        (ProtobufCMessage **)&arep, &err))
        goto done;
    const Intake__Activity *got = arep->activity;
    if (failed || got->confirmed + got->waitlisted != ok || got->confirmed > REG_CAPACITY) {
        fprintf(stderr, "bench_intake: registrations: %llu OK, %llu failed; activity counts %u confirmed + %u "
                        "waitlisted\n", (unsigned long long)ok, (unsigned long long)failed, got->confirmed,
                got->waitlisted);
        goto done;
    }
    rc = 0;
done:
    for (int i = 0; i < REG_CLIENTS; i++) free(w[i].lat_ns);
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
    return rc;
}

/* Starts the daemon, runs every level BENCH_REPEAT times, prints the table
 * and the "bench ..." lines, checks durability and a clean exit. Exit code
 * 0 only if every reply was OK, the counts match and the daemon exits 0. */
int main(void)
{
    double secs = s_env_num("BENCH_SECONDS", 5);
    double warm = s_env_num("BENCH_WARMUP", 1);
    int repeat = (int)s_env_num("BENCH_REPEAT", 3);
    if (repeat > MAX_REPEAT) repeat = MAX_REPEAT;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);

    harness_t h;
    char moved[300] = "";
    if (harness_init(&h, NULL) || s_relocate_store(&h, moved, sizeof moved) || harness_start(&h)) {
        fprintf(stderr, "bench_intake: cannot start %s (build it; BUILD=%s)\n", h.bin,
                getenv("BUILD") ? getenv("BUILD") : "build");
        harness_fini(&h);
        s_remove_store(moved);
        return 1;
    }
    void *zctx = zmq_ctx_new();
    double per_s[N_LEVELS], p50[N_LEVELS], p99[N_LEVELS], per_commit[N_LEVELS];
    uint64_t ok_total = 0, failures = 0;
    int run_id = 0;
    for (int l = 0; l < N_LEVELS; l++) {
        double v_per_s[MAX_REPEAT] = {0}, v_p50[MAX_REPEAT] = {0}, v_p99[MAX_REPEAT] = {0},
               v_pc[MAX_REPEAT] = {0};
        for (int k = 0; k < repeat && !failures; k++) { /* after a failure: stop measuring */
            result_t res;
            if (s_run(&h, zctx, run_id++, &s_levels[l], warm, secs, &res)) {
                fprintf(stderr, "bench_intake: cannot start client threads\n");
                memset(&res, 0, sizeof res);
                res.failures = 1;
            }
            ok_total += res.ok_total;
            failures += res.failures;
            v_per_s[k] = res.per_s;
            v_p50[k] = res.p50_ms;
            v_p99[k] = res.p99_ms;
            v_pc[k] = res.per_commit;
        }
        per_s[l] = s_median(v_per_s, repeat);
        p50[l] = s_median(v_p50, repeat);
        p99[l] = s_median(v_p99, repeat);
        per_commit[l] = s_median(v_pc, repeat);
    }

    double reg_per_s = 0, reg_p50 = 0, reg_p99 = 0;
    int reg_rc = failures ? -1 : s_bench_register(&h, zctx, secs, &reg_per_s, &reg_p50, &reg_p99);
    uint64_t accepted = 0;
    int status_rc = s_status_counter(zctx, h.api, "requests_accepted_total", &accepted);
    zmq_ctx_term(zctx);
    int stop_rc = harness_stop(&h, SIGTERM);
    harness_fini(&h);
    s_remove_store(moved);

    int bad = 0;
    if (failures) {
        fprintf(stderr, "bench_intake: FAILED: %llu request(s) not answered OK\n", (unsigned long long)failures);
        bad = 1;
    }
    if (status_rc || accepted != ok_total) {
        fprintf(stderr, "bench_intake: FAILED: daemon counts %llu accepted, clients got %llu OK replies\n",
                (unsigned long long)accepted, (unsigned long long)ok_total);
        bad = 1;
    }
    if (stop_rc != 0) {
        fprintf(stderr, "bench_intake: FAILED: daemon exit status %d after SIGTERM\n", stop_rc);
        bad = 1;
    }
    if (reg_rc) {
        fprintf(stderr, "bench_intake: FAILED: the registration run\n");
        bad = 1;
    }

    printf("\nintake.submit, %g s per run after %g s warm-up, median of %d run(s)%s\n\n", secs, warm,
           repeat, bad ? " -- FAILED, figures not valid" : "");
    printf("| clients | accepted req/s | ack p50 ms | ack p99 ms |\n");
    printf("|--------:|---------------:|-----------:|-----------:|\n");
    char name[32];
    for (int l = 0; l < N_LEVELS; l++)
        printf("| %7s | %14.0f | %10.3f | %10.3f |\n", s_level_label(&s_levels[l], name, sizeof name),
               per_s[l], p50[l], p99[l]);
    printf("\nrequests per LMDB commit (median):");
    for (int l = 0; l < N_LEVELS; l++)
        printf(" %s %.1f", s_level_name(&s_levels[l], name, sizeof name), per_commit[l]);
    printf("\n");
    printf("\nintake.activity.register, %d clients into one activity of %d places, %g s: %.0f registrations/s, "
           "p50 %.3f ms, p99 %.3f ms\n", REG_CLIENTS, REG_CAPACITY, secs, reg_per_s, reg_p50, reg_p99);
    if (bad) return 1; /* no "bench" lines from a failed run */
    printf("durability: daemon accepted %llu = %llu OK replies; exit status 0 after SIGTERM\n\n",
           (unsigned long long)accepted, (unsigned long long)ok_total);
    for (int l = 0; l < N_LEVELS; l++)
        printf("bench intake.accept_per_s.%s %.0f req/s\n", s_level_name(&s_levels[l], name, sizeof name),
               per_s[l]);
    for (int l = 0; l < N_LEVELS; l++) {
        s_level_name(&s_levels[l], name, sizeof name);
        printf("bench intake.ack_p50_ms.%s %.3f ms\n", name, p50[l]);
        printf("bench intake.ack_p99_ms.%s %.3f ms\n", name, p99[l]);
    }
    printf("bench intake.register_per_s.c8 %.0f req/s\n", reg_per_s);
    printf("bench intake.register_p50_ms.c8 %.3f ms\n", reg_p50);
    printf("bench intake.register_p99_ms.c8 %.3f ms\n", reg_p99);
    return 0;
}
