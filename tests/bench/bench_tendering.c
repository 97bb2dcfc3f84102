/* bench_tendering: how fast hub-tendering takes bids and moves money
 * through the funds ledger, and how long its two whole-store reads take:
 * the ledger's reconciliation and an OCDS record export.
 *
 * Starts real hub-intake, hub-matching and hub-tendering daemons (test
 * harness, ipc://, one temp dir; tendering follows matching with
 * deadline_check_ms = 50). BENCH_TENDER_ORGS organizations (default 100,
 * ids ORG-00001...) are added to matching and approved (matching.org.add +
 * matching.org.membership, pipelined); the bench waits (deadline 30 s)
 * until tendering knows the last one as APPROVED (tendering.org.get):
 * tendering learns them from matching's events through its feed.
 *
 * Every command below goes through one DEALER keeping WINDOW (256)
 * requests in flight; the daemon answers in the order it received them
 * (checked: each bid reply must carry the price sent), so a reply's round
 * trip is the time from its own send to its reply. Every reply must be OK.
 *
 * 1. Bids. BENCH_TENDERS purchases (default 200; budget 1,000,000 yuan,
 *    members only, three criteria) are created and published with the
 *    tender period ending in 24 h. Then every organization bids on every
 *    tender, capped at BENCH_BIDS bids (default 20,000) and at
 *    TENDER_MAX_BIDS (100) per tender; bid k goes to tender k mod T from
 *    organization k div T (consecutive bids hit different tenders), at a
 *    price unique to the bid.
 *      tendering.bids_per_s = bids / (last reply - first send)
 *      tendering.bid_p50_ms, tendering.bid_p99_ms: one bid's round trip
 *    under that load (hub_hist, about 6 % resolution). Each bid commits
 *    the whole process (its bids so far) and its event.
 *
 * 2. Payments and donations. BENCH_CONTRACTS processes (default 1,000;
 *    raised to BENCH_PAYMENTS / TENDER_MAX_PAYMENTS if fewer: a contract
 *    takes at most 200 payments) plus one for the export are created, then
 *    each is published with its period ending BENCH_PERIOD_MS (default
 *    1500) after its publish is sent, followed in the pipe by two bids;
 *    the stored deadline opens the bids (each process polled with
 *    tendering.tender.get until EVALUATION, deadline 20 s). Then per
 *    process one evaluator is added, declares and scores both bids, the
 *    first ranked is awarded, the award activated and the contract signed
 *    at the award's value (10,000 yuan; one milestone); the buyer
 *    contributes exactly what the payments will need. Then BENCH_PAYMENTS
 *    payments (default 20,000) of 100 fen, round robin over the contracts
 *    (20 each with the defaults), interleaved with as many donations
 *    (100..999 fen, one in ten anonymous):
 *      tendering.payments_per_s = (payments + donations) / (last reply -
 *    first send), in ledger entries per second, and one command's round
 *    trip p50 / p99 (tendering.ledger_p99_ms). A payment commits a journal
 *    entry, three account totals, the process with its payment list, an
 *    OCDS "implementation" release (a snapshot of the whole process, so
 *    its cost grows with the payments already made: hence many contracts
 *    with few payments each, as in real purchases, rather than 200 each)
 *    and the event; a donation an entry, two totals, the donation and its
 *    event.
 *
 * 3. tendering.balance_ms: the median of 5 tendering.funds.balance calls
 *    (one by one, nothing else running), each summing the whole journal
 *    again (>= 40,000 entries with the defaults). Each must say reconciled
 *    with no problem, and count exactly as many entries as ledger commands
 *    were acknowledged (contribution + payments + donations); the donation
 *    box, the buyer's fund and one contract's paid: account must hold
 *    exactly what was sent.
 *
 * 4. tendering.export_ms: the extra contract gets BENCH_REPORTS progress
 *    reports (tendering.milestone.report, default 200, over
 *    ceil(200 / TENDER_MAX_REPORTS) = 4 milestones, pipelined), each an
 *    OCDS release; then the median of 5 tendering.export "record" calls
 *    (the record package: every release and the compiled release). Each
 *    JSON must parse (jansson) and hold one record with as many releases
 *    as the process counts. A refused export is printed in the table in
 *    place of the figure, after every other figure, and fails the run.
 *
 * The run fails (exit 1) when a command is refused, a reply is missing
 * (30 s) or out of order, a check above fails, or a daemon does not exit 0
 * on SIGTERM; never because of a timing. The machine is described by
 * tests/bench/run.sh. Environment: BUILD,
 * BENCH_TENDER_ORGS, BENCH_TENDERS, BENCH_BIDS, BENCH_CONTRACTS,
 * BENCH_PAYMENTS, BENCH_REPORTS, BENCH_PERIOD_MS; BENCH_VERBOSE=1 prints
 * tendering's hub.status counters at the end. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "harness.h"
#include "hub_bus.h"
#include "hub_client.h"
#include "hub_hist.h"
#include "hub_util.h"
#include "hub_wire.h"
#include "matching.pb-c.h"
#include "tender.h"
#include "tendering.pb-c.h"

#define WINDOW 256                 /* requests in flight on a pipe */
#define REPLY_MS 30000             /* a reply later than this is missing */
#define WAIT_MS 20000              /* deadline of one awaited condition */
#define BUYER "GOV-HSMZJ"
#define BUYER_NAME "海曙区民政局"
#define BUDGET_FEN 100000000LL     /* 1,000,000 yuan */
#define BID_BASE_FEN 1000000LL     /* 10,000 yuan: the bids' prices start here */
#define PAY_FEN 100                /* one payment */
#define MAX_COUNT 1000000          /* bound of every BENCH_ count */
#define REPEAT 5                   /* balance and export calls, median */

static void *s_zctx;

/* ------------------------------------------------------------ helpers */

/* The positive number in environment variable name, else def. */
static double s_env(const char *name, double def)
{
    const char *v = getenv(name);
    return v && *v && atof(v) > 0 ? atof(v) : def;
}

/* An int count from the environment, at most MAX_COUNT. */
static int s_env_count(const char *name, int def)
{
    double v = s_env(name, def);
    return v > MAX_COUNT ? MAX_COUNT : (int)v;
}

/* qsort order of doubles, ascending. */
static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n) (sorts v). */
static double s_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, s_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Nanoseconds as milliseconds. */
static double s_ms(int64_t ns) { return (double)ns / 1e6; }

/* One synchronous call on c (timeout from the client); the reply is
 * unpacked into a. 0, or -1 after printing what was refused. */
static int s_call(hub_client_t *c, const char *verb, const ProtobufCMessage *req,
                  const ProtobufCMessageDescriptor *d, hub_arena_t *a, void *reply_p)
{
    hub_error_t err = {0};
    int rc = hub_client_call(c, verb, req, d, a, (ProtobufCMessage **)reply_p, &err);
    if (rc)
        fprintf(stderr, "bench_tendering: %s: %s field \"%s\": %s\n", verb, hub_error_code_name(err.code), err.field,
                err.message);
    return rc ? -1 : 0;
}

/* hub.status counter name of the daemon at api (0 when absent). */
static uint64_t s_counter(const char *api, const char *name)
{
    hub_client_t *c = hub_client_new(s_zctx, api, NULL, 10000);
    hub_arena_t *a = hub_arena_new(1 << 20);
    Hub__StatusRequest q = HUB__STATUS_REQUEST__INIT;
    Hub__StatusReply *r = NULL;
    uint64_t v = 0;
    if (c && a && !s_call(c, "hub.status", &q.base, &hub__status_reply__descriptor, a, &r))
        for (size_t i = 0; i < r->n_counters; i++)
            if (!strcmp(r->counters[i]->name, name)) v = r->counters[i]->value;
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
    return v;
}

/* Prints every hub.status counter of the daemon at api to stderr. */
static void s_dump_status(const char *who, const char *api)
{
    hub_client_t *c = hub_client_new(s_zctx, api, NULL, 10000);
    hub_arena_t *a = hub_arena_new(1 << 20);
    Hub__StatusRequest q = HUB__STATUS_REQUEST__INIT;
    Hub__StatusReply *r = NULL;
    if (c && a && !s_call(c, "hub.status", &q.base, &hub__status_reply__descriptor, a, &r))
        for (size_t i = 0; i < r->n_counters; i++)
            fprintf(stderr, "  %s %s = %llu\n", who, r->counters[i]->name, (unsigned long long)r->counters[i]->value);
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
}

/* ------------------------------------------------------------ pipelined calls */

/* Called for every reply in send order: seq counts the pipe's requests
 * from 0, verb is the request's, ok whether it was answered OK, lat_ns its
 * round trip, body the reply's body (a hub.Error when !ok). */
typedef void (*on_reply_t)(void *arg, uint64_t seq, const char *verb, bool ok, int64_t lat_ns, const uint8_t *body,
                           size_t len);

/* One DEALER with at most WINDOW requests in flight. The ring keeps each
 * request's send time and verb by seq (replies come in send order). */
typedef struct {
    void *sock;
    uint64_t sent, replied, ok, refused;
    int64_t first_send_ns, last_reply_ns;
    int64_t sent_ns[WINDOW];
    const char *verbs[WINDOW];
    uint8_t *buf;
    size_t buf_cap;
    on_reply_t on_reply;
    void *arg;
    char first_error[600];
} pipe_t;

/* Opens p on endpoint with callback on_reply (may be NULL). 0 or -1. */
static int s_pipe_open(pipe_t *p, const char *endpoint, on_reply_t on_reply, void *arg)
{
    memset(p, 0, sizeof *p);
    p->sock = zmq_socket(s_zctx, ZMQ_DEALER);
    int linger = 0, hwm = 100000;
    if (!p->sock) return -1;
    zmq_setsockopt(p->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(p->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(p->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    p->on_reply = on_reply;
    p->arg = arg;
    return zmq_connect(p->sock, endpoint);
}

/* Closes p's socket (linger 0) and frees its buffer; idempotent. */
static void s_pipe_close(pipe_t *p)
{
    if (p->sock) zmq_close(p->sock);
    free(p->buf);
    p->sock = NULL;
    p->buf = NULL;
}

/* Reads one reply (waiting up to timeout_ms), counts it and hands it to
 * the callback. 0, or -1 when none came. */
static int s_pipe_read(pipe_t *p, int timeout_ms)
{
    zmq_pollitem_t it = {p->sock, 0, ZMQ_POLLIN, 0};
    if (p->replied >= p->sent || zmq_poll(&it, 1, timeout_ms) <= 0) return -1;
    zmq_msg_t f[3];
    int n = hub_zmq_recv(p->sock, f, 3, 0, NULL);
    int64_t now = hub_mono_ns();
    uint64_t seq = p->replied++;
    const char *verb = p->verbs[seq % WINDOW];
    bool ok = n == 3 && zmq_msg_size(&f[1]) == 2 && !memcmp(zmq_msg_data(&f[1]), "OK", 2);
    const uint8_t *body = n == 3 ? zmq_msg_data(&f[2]) : NULL;
    size_t len = n == 3 ? zmq_msg_size(&f[2]) : 0;
    p->last_reply_ns = now;
    if (ok) p->ok++;
    else {
        p->refused++;
        if (!p->first_error[0]) {
            hub_error_t err = {0};
            if (n != 3 || hub_wire_error_decode(body, len, &err))
                snprintf(err.message, sizeof err.message, "a reply of %d frames", n);
            snprintf(p->first_error, sizeof p->first_error, "%s (request %llu): %s field \"%s\": %s", verb,
                     (unsigned long long)seq, hub_error_code_name(err.code), err.field, err.message);
        }
    }
    if (p->on_reply) p->on_reply(p->arg, seq, verb, ok, now - p->sent_ns[seq % WINDOW], body, len);
    hub_zmq_close(f, n);
    return 0;
}

/* Sends verb + msg once fewer than WINDOW requests are in flight. 0, or
 * -1 when a reply did not come in REPLY_MS or the send failed. */
static int s_pipe_send(pipe_t *p, const char *verb, const ProtobufCMessage *msg)
{
    while (p->sent - p->replied >= WINDOW)
        if (s_pipe_read(p, REPLY_MS)) return -1;
    size_t len = protobuf_c_message_get_packed_size(msg);
    if (len + 1 > p->buf_cap) {
        free(p->buf);
        p->buf_cap = 2 * (len + 1);
        if (!(p->buf = malloc(p->buf_cap))) return -1;
    }
    protobuf_c_message_pack(msg, p->buf);
    int64_t now = hub_mono_ns();
    if (!p->sent) p->first_send_ns = now;
    p->sent_ns[p->sent % WINDOW] = now;
    p->verbs[p->sent % WINDOW] = verb;
    if (zmq_send(p->sock, "", 0, ZMQ_SNDMORE) < 0 || zmq_send(p->sock, verb, strlen(verb), ZMQ_SNDMORE) < 0 ||
        zmq_send(p->sock, p->buf, len, 0) < 0)
        return -1;
    p->sent++;
    return 0;
}

/* Reads every reply still due. 0, or -1 when one is missing. */
static int s_pipe_drain(pipe_t *p)
{
    while (p->replied < p->sent)
        if (s_pipe_read(p, REPLY_MS)) return -1;
    return 0;
}

/* Drains p and checks that want requests were sent in all and every one
 * was answered OK; prints what failed under the name what. 0 or -1. */
static int s_pipe_done(pipe_t *p, const char *what, uint64_t want)
{
    int rc = s_pipe_drain(p);
    if (rc || p->ok != p->sent || p->sent != want) {
        fprintf(stderr,
                "bench_tendering: %s: %llu sent of %llu, %llu OK, %llu refused, %llu unanswered; first refusal: %s\n",
                what, (unsigned long long)p->sent, (unsigned long long)want, (unsigned long long)p->ok,
                (unsigned long long)p->refused, (unsigned long long)(p->sent - p->replied),
                p->first_error[0] ? p->first_error : "-");
        return -1;
    }
    return 0;
}

/* The seconds from p's first send to its last reply. */
static double s_pipe_seconds(const pipe_t *p) { return (double)(p->last_reply_ns - p->first_send_ns) / 1e9; }

/* ------------------------------------------------------------ replies */

/* What the callbacks collect: the ocids of created processes (by seq),
 * bid ids, reply checks, latencies. */
typedef struct {
    hub_arena_t *a;               /* scratch for one reply */
    char (*ocids)[64];            /* create: ocid of request seq */
    uint64_t n_ocids;
    char (*bid_ids)[2][16];       /* phase 2: the two bids of each process */
    uint64_t bad;                 /* replies that were not what was sent */
    char first_bad[300];
    hub_hist_t *lat;              /* round trips of every OK reply */
    uint64_t contracted;          /* contract.sign replies in CONTRACTED */
} replies_t;

/* Counts an unexpected reply; the first is described by fmt (verb, seq). */
static void s_bad_reply(replies_t *r, const char *fmt, const char *verb, unsigned long long seq)
{
    if (!r->bad++) snprintf(r->first_bad, sizeof r->first_bad, fmt, verb, seq);
}

/* Unpacks an OK reply's body as d into r->a (reset first); NULL if it is
 * not one. */
static void *s_unpack(replies_t *r, const ProtobufCMessageDescriptor *d, const uint8_t *body, size_t len)
{
    hub_error_t err = {0};
    hub_arena_reset(r->a);
    return hub_wire_unpack_max(d, body, len, HUB_WIRE_MAX_REPLY, r->a, &err);
}

/* create: notes the new process's ocid at its request's position. */
static void s_on_create(void *arg, uint64_t seq, const char *verb, bool ok, int64_t lat_ns, const uint8_t *body,
                        size_t len)
{
    (void)lat_ns;
    replies_t *r = arg;
    if (!ok) return;
    Tendering__ProcessReply *rep = s_unpack(r, &tendering__process_reply__descriptor, body, len);
    if (!rep || !rep->process || !*rep->process->ocid || strlen(rep->process->ocid) >= 64 || seq >= r->n_ocids ||
        rep->process->state != TENDERING__STATE__PLANNING) {
        s_bad_reply(r, "%s reply %llu: no process in PLANNING with an ocid", verb, (unsigned long long)seq);
        return;
    }
    snprintf(r->ocids[seq], 64, "%s", rep->process->ocid);
}

/* phase-1 bids: reply seq must be bid seq (its unique price), valid. */
static void s_on_bid(void *arg, uint64_t seq, const char *verb, bool ok, int64_t lat_ns, const uint8_t *body,
                     size_t len)
{
    replies_t *r = arg;
    if (!ok) return;
    hub_hist_add(r->lat, (uint64_t)lat_ns);
    Tendering__BidReply *rep = s_unpack(r, &tendering__bid_reply__descriptor, body, len);
    if (!rep || !rep->bid || rep->bid->price_fen != BID_BASE_FEN + (int64_t)seq ||
        rep->bid->state != TENDERING__BID_STATE__BID_VALID)
        s_bad_reply(r, "%s reply %llu: not the valid bid sent (replies out of order?)", verb, (unsigned long long)seq);
}

/* phase-2 setup (one pipe: per process a publish and two bids, then the
 * evaluation-to-contract chains): bids note their ids (request seq = 3 *
 * process + 1 + which), signs must reach CONTRACTED. */
static void s_on_setup(void *arg, uint64_t seq, const char *verb, bool ok, int64_t lat_ns, const uint8_t *body,
                       size_t len)
{
    (void)lat_ns;
    replies_t *r = arg;
    if (!ok) return;
    if (!strcmp(verb, "tendering.bid.submit")) {
        Tendering__BidReply *rep = s_unpack(r, &tendering__bid_reply__descriptor, body, len);
        uint64_t proc = seq / 3, which = seq % 3 - 1;
        if (!rep || !rep->bid || strlen(rep->bid->id) >= 16 || proc >= r->n_ocids || seq % 3 == 0 ||
            rep->bid->price_fen != BID_BASE_FEN + (int64_t)which * 100000) {
            s_bad_reply(r, "%s reply %llu: not the bid sent", verb, (unsigned long long)seq);
            return;
        }
        snprintf(r->bid_ids[proc][which], 16, "%s", rep->bid->id);
    } else if (!strcmp(verb, "tendering.contract.sign")) {
        Tendering__ProcessReply *rep = s_unpack(r, &tendering__process_reply__descriptor, body, len);
        if (rep && rep->process && rep->process->state == TENDERING__STATE__CONTRACTED && rep->process->contract)
            r->contracted++;
        else
            s_bad_reply(r, "%s reply %llu: the process is not CONTRACTED", verb, (unsigned long long)seq);
    }
}

/* payments and donations: their round trips. (A payment and the donation
 * sent after it share a batch, hence a commit: their round trips differ by
 * microseconds, so one histogram serves both.) */
static void s_on_ledger(void *arg, uint64_t seq, const char *verb, bool ok, int64_t lat_ns, const uint8_t *body,
                        size_t len)
{
    (void)seq, (void)verb, (void)body, (void)len;
    replies_t *r = arg;
    if (ok) hub_hist_add(r->lat, (uint64_t)lat_ns);
}

/* ------------------------------------------------------------ requests */

/* A purchase draft by BUYER: budget BUDGET_FEN, members only, three
 * criteria weighted 50/30/20, one tender notice (arena-owned). */
static Tendering__Process *s_draft(hub_arena_t *a, int n)
{
    Tendering__Process *p = hub_arena_alloc(a, sizeof *p);
    Tendering__Need *need = hub_arena_alloc(a, sizeof *need);
    Tendering__Eligibility *e = hub_arena_alloc(a, sizeof *e);
    Tendering__Criterion *cr = hub_arena_alloc(a, 3 * sizeof *cr), **crp = hub_arena_alloc(a, 3 * sizeof *crp);
    Tendering__Document *d = hub_arena_alloc(a, sizeof *d), **dp = hub_arena_alloc(a, sizeof *dp);
    char title[96];
    if (!p || !need || !e || !cr || !crp || !d || !dp) return NULL;
    tendering__process__init(p);
    tendering__need__init(need);
    tendering__eligibility__init(e);
    tendering__document__init(d);
    snprintf(title, sizeof title, "海曙区居家养老助餐服务项目（第%d包）", n);
    p->kind = TENDERING__KIND__PURCHASE;
    p->title = hub_arena_strdup(a, title);
    p->description = "为辖区独居老人提供每日助餐和每周两次上门探访服务";
    p->buyer_id = BUYER;
    p->buyer_name = BUYER_NAME;
    p->budget_fen = BUDGET_FEN;
    need->service = "elderly-care";
    need->street = "鼓楼街道";
    need->unmet_count = 12;
    p->need = need;
    e->members_only = 1;
    p->eligibility = e;
    static const char *const names[3] = {"服务方案", "团队能力", "价格"};
    static const uint32_t weights[3] = {50, 30, 20};
    for (int i = 0; i < 3; i++) {
        tendering__criterion__init(&cr[i]);
        cr[i].name = (char *)names[i];
        cr[i].weight = weights[i];
        crp[i] = &cr[i];
    }
    p->criteria = crp;
    p->n_criteria = 3;
    d->id = "DOC-1";
    d->title = "招标公告";
    d->document_type = "tenderNotice";
    d->url = "https://hub.example.org/docs/tender-notice.pdf";
    d->sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    d->date_ms = hub_now_ms();
    dp[0] = d;
    p->documents = dp;
    p->n_documents = 1;
    return p;
}

/* Creates n drafts numbered from first_number (s_on_create notes their
 * ocids in r), then, unless end_ms is 0, publishes each with its period
 * ending end_ms (unix ms). 0 or -1. */
static int s_create_publish(const char *api, replies_t *r, int n, int64_t end_ms, int first_number)
{
    pipe_t p = {0};
    hub_arena_t *a = hub_arena_new(1 << 20);
    int rc = -1;
    if (!a || s_pipe_open(&p, api, s_on_create, r)) goto out;
    r->n_ocids = (uint64_t)n;
    for (int i = 0; i < n; i++) {
        hub_arena_reset(a);
        Tendering__CreateRequest q = TENDERING__CREATE_REQUEST__INIT;
        if (!(q.process = s_draft(a, first_number + i)) || s_pipe_send(&p, "tendering.tender.create", &q.base)) break;
    }
    if (s_pipe_done(&p, "tender.create", (uint64_t)n)) goto out;
    if (r->bad) {
        fprintf(stderr, "bench_tendering: %s\n", r->first_bad);
        goto out;
    }
    s_pipe_close(&p);
    if (!end_ms) {
        rc = 0;
        goto out;
    }
    if (s_pipe_open(&p, api, NULL, NULL)) goto out;
    for (int i = 0; i < n; i++) {
        Tendering__PublishRequest q = TENDERING__PUBLISH_REQUEST__INIT;
        q.ocid = r->ocids[i];
        q.tender_end_ms = end_ms;
        if (s_pipe_send(&p, "tendering.tender.publish", &q.base)) break;
    }
    rc = s_pipe_done(&p, "tender.publish", (uint64_t)n);
out:
    s_pipe_close(&p);
    hub_arena_destroy(&a);
    return rc;
}

/* ------------------------------------------------------------ waiting */

typedef struct {
    hub_client_t *c;
    hub_arena_t *a;
    const char *key;     /* org id or ocid */
    int want;            /* membership or state */
    int seen;
} wait_t;

/* harness_wait predicate: tendering knows org w->key with membership w->want. */
static bool s_org_known(void *arg)
{
    wait_t *w = arg;
    Tendering__OrgRequest q = TENDERING__ORG_REQUEST__INIT;
    Tendering__OrgReply *r = NULL;
    hub_error_t err = {0};
    q.id = (char *)w->key;
    hub_arena_reset(w->a);
    if (hub_client_call(w->c, "tendering.org.get", &q.base, &tendering__org_reply__descriptor, w->a,
                        (ProtobufCMessage **)&r, &err) || !r->org)
        return false;
    w->seen = (int)r->org->membership;
    return w->seen == w->want;
}

/* harness_wait predicate: process w->key is in state w->want. */
static bool s_state_is(void *arg)
{
    wait_t *w = arg;
    Tendering__GetRequest q = TENDERING__GET_REQUEST__INIT;
    Tendering__ProcessReply *r = NULL;
    hub_error_t err = {0};
    q.ocid = (char *)w->key;
    hub_arena_reset(w->a);
    if (hub_client_call(w->c, "tendering.tender.get", &q.base, &tendering__process_reply__descriptor, w->a,
                        (ProtobufCMessage **)&r, &err) || !r->process)
        return false;
    w->seen = (int)r->process->state;
    return w->seen == w->want;
}

/* ------------------------------------------------------------ setup */

/* Adds n organizations ORG-00001.. to matching and approves them
 * (pipelined), then waits until tendering knows the last as APPROVED.
 * 0 or -1. */
static int s_orgs(const char *mt_api, hub_client_t *td, hub_arena_t *a, int n)
{
    pipe_t p;
    if (s_pipe_open(&p, mt_api, NULL, NULL)) return -1;
    char id[32], name[64], last[32] = "";
    char *svcs[1] = {"elderly-care"}, *areas[1] = {"鼓楼街道"};
    for (int i = 1; i <= n; i++) {
        Matching__Organization o = MATCHING__ORGANIZATION__INIT;
        Matching__Capacity cap = MATCHING__CAPACITY__INIT;
        snprintf(id, sizeof id, "ORG-%05d", i);
        snprintf(name, sizeof name, "海曙区为老服务社%05d", i);
        o.id = id;
        o.name = name;
        o.legal_form = MATCHING__LEGAL_FORM__COMMUNITY_GROUP;
        o.services = svcs;
        o.n_services = 1;
        o.areas = areas;
        o.n_areas = 1;
        cap.available = cap.maximum = 10;
        o.capacity = &cap;
        Matching__PutOrganizationRequest q = MATCHING__PUT_ORGANIZATION_REQUEST__INIT;
        q.org = &o;
        Matching__MembershipRequest m = MATCHING__MEMBERSHIP_REQUEST__INIT;
        m.id = id;
        m.membership = MATCHING__MEMBERSHIP__APPROVED;
        m.reason = "资料核验通过";
        if (s_pipe_send(&p, "matching.org.add", &q.base) || s_pipe_send(&p, "matching.org.membership", &m.base)) break;
        snprintf(last, sizeof last, "%s", id);
    }
    int rc = s_pipe_done(&p, "matching organizations", 2 * (uint64_t)n);
    s_pipe_close(&p);
    if (rc) return -1;
    wait_t w = {td, a, last, MATCHING__MEMBERSHIP__APPROVED, -1};
    if (!harness_wait(s_org_known, &w, 30000)) {
        fprintf(stderr, "bench_tendering: tendering does not know %s as APPROVED after 30 s (membership seen: %d)\n",
                last, w.seen);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ main */

int main(void)
{
    int n_orgs = s_env_count("BENCH_TENDER_ORGS", 100), n_tenders = s_env_count("BENCH_TENDERS", 200);
    int max_bids = s_env_count("BENCH_BIDS", 20000), n_contracts = s_env_count("BENCH_CONTRACTS", 1000);
    int n_pay = s_env_count("BENCH_PAYMENTS", 20000), n_reports = s_env_count("BENCH_REPORTS", 200);
    int period_ms = (int)s_env("BENCH_PERIOD_MS", 1500);
    int asked_contracts = n_contracts;
    if ((int64_t)n_contracts * TENDER_MAX_PAYMENTS < n_pay)
        n_contracts = (n_pay + TENDER_MAX_PAYMENTS - 1) / TENDER_MAX_PAYMENTS;
    int n_ms = (n_reports + TENDER_MAX_REPORTS - 1) / TENDER_MAX_REPORTS;
    if (n_ms > TENDER_MAX_MILESTONES) {
        n_ms = TENDER_MAX_MILESTONES;
        n_reports = n_ms * TENDER_MAX_REPORTS;
    }
    if (n_orgs < 2) n_orgs = 2; /* phase 2 needs two bidders */
    int per_tender = n_orgs < TENDER_MAX_BIDS ? n_orgs : TENDER_MAX_BIDS;
    int n_bids = (int64_t)n_tenders * per_tender < max_bids ? n_tenders * per_tender : max_bids;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    int64_t t_start = hub_mono_ns();

    harness_t in, mt, td;
    char extra[1200];
    if (harness_init(&in, NULL)) {
        fprintf(stderr, "bench_tendering: cannot prepare the daemons\n");
        return 1;
    }
    int mt_ok = !harness_init_peer(&mt, &in, "matching", NULL), td_ok = 0;
    if (mt_ok) {
        snprintf(extra, sizeof extra, "matching_api = %s\nmatching_pub = %s\ndeadline_check_ms = 50\n", mt.api, mt.pub);
        td_ok = !harness_init_peer(&td, &in, "tendering", extra);
    }
    if (!td_ok || harness_start(&in) || harness_start(&mt) || harness_start(&td)) {
        fprintf(stderr, "bench_tendering: cannot start the daemons (BUILD=%s, dir %s)\n",
                getenv("BUILD") ? getenv("BUILD") : "build", in.dir);
        if (td_ok) harness_fini(&td);
        if (mt_ok) harness_fini(&mt);
        harness_fini(&in);
        return 1;
    }
    s_zctx = zmq_ctx_new();
    int rc = 1;
    hub_client_t *c = hub_client_new(s_zctx, td.api, NULL, 60000);
    hub_arena_t *a = hub_arena_new(64u << 20), *ra = hub_arena_new(64u << 20);
    int n_procs = n_contracts + 1; /* the last one: the export's */
    char(*ocids1)[64] = calloc((size_t)n_tenders + 1, 64), (*ocids2)[64] = calloc((size_t)n_procs, 64);
    char(*bid_ids)[2][16] = calloc((size_t)n_procs, sizeof *bid_ids);
    static hub_hist_t bid_lat, led_lat;
    pipe_t p = {0};
    replies_t r1 = {.a = ra, .ocids = ocids1, .lat = &bid_lat};
    replies_t r2 = {.a = ra, .ocids = ocids2, .bid_ids = bid_ids};
    replies_t r3 = {.a = ra, .lat = &led_lat};
    if (!c || !a || !ra || !ocids1 || !ocids2 || !bid_ids) goto out;

    /* ---- organizations, through matching */
    int64_t t0 = hub_mono_ns();
    if (s_orgs(mt.api, c, a, n_orgs)) goto out;
    double orgs_s = (double)(hub_mono_ns() - t0) / 1e9;

    /* ---- 1. bids */
    t0 = hub_mono_ns();
    if (s_create_publish(td.api, &r1, n_tenders, hub_now_ms() + 24LL * 3600 * 1000, 1)) goto out;
    double tenders_s = (double)(hub_mono_ns() - t0) / 1e9;
    if (s_pipe_open(&p, td.api, s_on_bid, &r1)) goto out;
    for (int k = 0; k < n_bids; k++) {
        char org[32];
        snprintf(org, sizeof org, "ORG-%05d", k / n_tenders + 1);
        Tendering__SubmitBidRequest q = TENDERING__SUBMIT_BID_REQUEST__INIT;
        q.ocid = ocids1[k % n_tenders];
        q.org_id = org;
        q.price_fen = BID_BASE_FEN + k;
        q.proposal = "每日午餐配送，每周两次上门探访，配备专职社工和营养师";
        if (s_pipe_send(&p, "tendering.bid.submit", &q.base)) break;
    }
    if (s_pipe_done(&p, "bids", (uint64_t)n_bids)) goto out;
    if (r1.bad) {
        fprintf(stderr, "bench_tendering: %s (%llu such replies)\n", r1.first_bad, (unsigned long long)r1.bad);
        goto out;
    }
    double bids_s = s_pipe_seconds(&p), bids_per_s = n_bids / bids_s;
    double bid50 = s_ms((int64_t)hub_hist_quantile(&bid_lat, 0.50)),
           bid99 = s_ms((int64_t)hub_hist_quantile(&bid_lat, 0.99)),
           bidmax = s_ms((int64_t)hub_hist_quantile(&bid_lat, 1.0));
    s_pipe_close(&p);
    uint64_t bids_total = s_counter(td.api, "bids_total");
    uint64_t commit50_1 = s_counter(td.api, "commit_p50_us"), commit99_1 = s_counter(td.api, "commit_p99_us");
    uint64_t batch50_1 = s_counter(td.api, "batch_p50"), batch99_1 = s_counter(td.api, "batch_p99");
    if (bids_total != (uint64_t)n_bids) {
        fprintf(stderr, "bench_tendering: tendering counts %llu bids, %d were acknowledged\n",
                (unsigned long long)bids_total, n_bids);
        goto out;
    }

    /* ---- 2. contracts, then payments and donations */
    t0 = hub_mono_ns();
    if (s_create_publish(td.api, &r2, n_procs, 0, n_tenders + 1)) goto out;
    if (s_pipe_open(&p, td.api, s_on_setup, &r2)) goto out;
    /* each period ends period_ms after its publish is sent; its bids follow
     * the publish in the pipe */
    for (int i = 0; i < n_procs; i++) {
        Tendering__PublishRequest qp = TENDERING__PUBLISH_REQUEST__INIT;
        qp.ocid = ocids2[i];
        qp.tender_end_ms = hub_now_ms() + period_ms;
        if (s_pipe_send(&p, "tendering.tender.publish", &qp.base)) goto bids_sent;
        for (int b = 0; b < 2; b++) {
            char org[32];
            snprintf(org, sizeof org, "ORG-%05d", b + 1);
            Tendering__SubmitBidRequest q = TENDERING__SUBMIT_BID_REQUEST__INIT;
            q.ocid = ocids2[i];
            q.org_id = org;
            q.price_fen = BID_BASE_FEN + b * 100000;
            q.proposal = "每日午餐配送，每周两次上门探访";
            if (s_pipe_send(&p, "tendering.bid.submit", &q.base)) goto bids_sent;
        }
    }
bids_sent:
    if (s_pipe_done(&p, "phase-2 publish and bids (a late bid: raise BENCH_PERIOD_MS)", 3 * (uint64_t)n_procs)) goto out;
    if (r2.bad) {
        fprintf(stderr, "bench_tendering: %s\n", r2.first_bad);
        goto out;
    }
    for (int i = 0; i < n_procs; i++) {
        wait_t w = {c, a, ocids2[i], TENDERING__STATE__EVALUATION, -1};
        if (!harness_wait(s_state_is, &w, WAIT_MS)) {
            const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&tendering__state__descriptor, w.seen);
            fprintf(stderr, "bench_tendering: %s still %s, not EVALUATION, after waiting %d s\n", ocids2[i],
                    v ? v->name : "unreadable", WAIT_MS / 1000);
            goto out;
        }
    }
    double opened_s = (double)(hub_mono_ns() - t0) / 1e9;
    {
        int64_t now = hub_now_ms();
        for (int i = 0; i < n_procs; i++) {
            const char *ocid = ocids2[i];
            Tendering__Evaluator ev = TENDERING__EVALUATOR__INIT;
            ev.id = "EV-1";
            ev.name = "陈评审";
            Tendering__AddEvaluatorRequest qa = TENDERING__ADD_EVALUATOR_REQUEST__INIT;
            qa.ocid = (char *)ocid;
            qa.evaluator = &ev;
            Tendering__DeclareRequest qd = TENDERING__DECLARE_REQUEST__INIT;
            qd.ocid = (char *)ocid;
            qd.evaluator_id = "EV-1";
            qd.no_conflict = 1;
            if (s_pipe_send(&p, "tendering.evaluator.add", &qa.base) ||
                s_pipe_send(&p, "tendering.evaluator.declare", &qd.base))
                break;
            for (int b = 0; b < 2; b++) {
                uint32_t pts[3] = {90 - 30 * (uint32_t)b, 90 - 30 * (uint32_t)b, 90 - 30 * (uint32_t)b};
                Tendering__Score s = TENDERING__SCORE__INIT;
                s.evaluator_id = "EV-1";
                s.bid_id = bid_ids[i][b];
                s.points = pts;
                s.n_points = 3;
                s.comment = "方案完整";
                Tendering__ScoreRequest qs = TENDERING__SCORE_REQUEST__INIT;
                qs.ocid = (char *)ocid;
                qs.score = &s;
                if (s_pipe_send(&p, "tendering.score", &qs.base)) goto chain_sent;
            }
            Tendering__AwardRequest qw = TENDERING__AWARD_REQUEST__INIT;
            qw.ocid = (char *)ocid;
            Tendering__GetRequest qg = TENDERING__GET_REQUEST__INIT;
            qg.ocid = (char *)ocid;
            int ms = i == n_procs - 1 ? n_ms : 1;
            Tendering__Milestone m[TENDER_MAX_MILESTONES], *mp[TENDER_MAX_MILESTONES];
            for (int j = 0; j < ms; j++) {
                tendering__milestone__init(&m[j]);
                m[j].title = j ? "阶段服务" : "中期评估";
                m[j].due_ms = now + (j + 1) * 30LL * 24 * 3600 * 1000;
                m[j].status = TENDERING__MILESTONE_STATUS__SCHEDULED;
                mp[j] = &m[j];
            }
            Tendering__SignRequest qn = TENDERING__SIGN_REQUEST__INIT;
            qn.ocid = (char *)ocid;
            qn.start_ms = now;
            qn.end_ms = now + 365LL * 24 * 3600 * 1000;
            qn.milestones = mp;
            qn.n_milestones = (size_t)ms;
            if (s_pipe_send(&p, "tendering.award", &qw.base) || s_pipe_send(&p, "tendering.award.activate", &qg.base) ||
                s_pipe_send(&p, "tendering.contract.sign", &qn.base))
                break;
        }
    }
chain_sent:;
    Tendering__ContributeRequest qc = TENDERING__CONTRIBUTE_REQUEST__INIT;
    qc.funder_id = BUYER;
    qc.funder_name = BUYER_NAME;
    qc.amount_fen = (int64_t)n_pay * PAY_FEN;
    qc.memo = "拨付政府购买服务资金";
    if (s_pipe_send(&p, "tendering.funds.contribute", &qc.base) ||
        s_pipe_done(&p, "evaluation to contract", 10 * (uint64_t)n_procs + 1))
        goto out;
    if (r2.bad || r2.contracted != (uint64_t)n_procs) {
        fprintf(stderr, "bench_tendering: %llu of %d processes CONTRACTED; %s\n", (unsigned long long)r2.contracted,
                n_procs, r2.bad ? r2.first_bad : "");
        goto out;
    }
    double contracts_s = (double)(hub_mono_ns() - t0) / 1e9;
    uint64_t ledger_acked = 1; /* the contribution (every reply above was OK) */
    s_pipe_close(&p);

    int64_t donated = 0;
    if (s_pipe_open(&p, td.api, s_on_ledger, &r3)) goto out;
    for (int i = 0; i < n_pay; i++) {
        char memo[64], donor[64];
        snprintf(memo, sizeof memo, "第%d笔服务费", i + 1);
        Tendering__PaymentRequest qp = TENDERING__PAYMENT_REQUEST__INIT;
        qp.ocid = ocids2[i % n_contracts];
        qp.amount_fen = PAY_FEN;
        qp.memo = memo;
        snprintf(donor, sizeof donor, "爱心人士%05d", i + 1);
        Tendering__DonateRequest qd = TENDERING__DONATE_REQUEST__INIT;
        qd.anonymous = i % 10 == 0;
        qd.donor_name = qd.anonymous ? "" : donor;
        qd.amount_fen = 100 + i % 900;
        qd.memo = "助老捐款";
        if (s_pipe_send(&p, "tendering.payment.make", &qp.base) || s_pipe_send(&p, "tendering.funds.donate", &qd.base))
            break;
        donated += qd.amount_fen;
    }
    if (s_pipe_done(&p, "payments and donations", 2 * (uint64_t)n_pay)) goto out;
    ledger_acked += p.ok;
    double ledger_s = s_pipe_seconds(&p), entries_per_s = (double)p.ok / ledger_s;
    double led50 = s_ms((int64_t)hub_hist_quantile(&led_lat, 0.50)),
           led99 = s_ms((int64_t)hub_hist_quantile(&led_lat, 0.99));
    s_pipe_close(&p);

    /* ---- 3. the ledger's reconciliation */
    double bal_ms[REPEAT];
    uint64_t bal_entries = 0;
    size_t bal_accounts = 0;
    for (int k = 0; k < REPEAT; k++) {
        Tendering__BalanceRequest q = TENDERING__BALANCE_REQUEST__INIT;
        Tendering__BalanceReply *b = NULL;
        hub_arena_reset(a);
        int64_t s0 = hub_mono_ns();
        if (s_call(c, "tendering.funds.balance", &q.base, &tendering__balance_reply__descriptor, a, &b)) goto out;
        bal_ms[k] = s_ms(hub_mono_ns() - s0);
        if (!b->reconciled || b->n_problems || b->entries != ledger_acked ||
            b->total_debit_fen != b->total_credit_fen) {
            fprintf(stderr,
                    "bench_tendering: funds.balance: reconciled %d, %zu problems (first: %s), %llu entries for %llu "
                    "ledger commands acknowledged, debits %lld credits %lld\n",
                    b->reconciled, b->n_problems, b->n_problems ? b->problems[0] : "-",
                    (unsigned long long)b->entries, (unsigned long long)ledger_acked, (long long)b->total_debit_fen,
                    (long long)b->total_credit_fen);
            goto out;
        }
        int64_t want_paid0 = (int64_t)((n_pay + n_contracts - 1) / n_contracts) * PAY_FEN;
        char paid0[96];
        snprintf(paid0, sizeof paid0, "paid:%s", ocids2[0]);
        struct { const char *name; int64_t want; } checks[] = {
            {"fund:donations", donated}, {"contrib:donors", donated}, {"fund:" BUYER, 0},
            {"contrib:" BUYER, (int64_t)n_pay * PAY_FEN}, {paid0, want_paid0}};
        for (size_t i = 0; i < sizeof checks / sizeof *checks; i++) {
            int64_t have = -1;
            for (size_t j = 0; j < b->n_accounts; j++)
                if (!strcmp(b->accounts[j]->name, checks[i].name)) have = b->accounts[j]->balance_fen;
            if (have != checks[i].want) {
                fprintf(stderr, "bench_tendering: account %s holds %lld fen, %lld expected\n", checks[i].name,
                        (long long)have, (long long)checks[i].want);
                goto out;
            }
        }
        bal_entries = b->entries;
        bal_accounts = b->n_accounts;
    }
    double balance_ms = s_median(bal_ms, REPEAT);

    /* ---- 4. progress reports, then the record export */
    const char *xocid = ocids2[n_procs - 1];
    char ms_ids[TENDER_MAX_MILESTONES][16];
    {
        Tendering__GetRequest q = TENDERING__GET_REQUEST__INIT;
        Tendering__ProcessReply *g = NULL;
        q.ocid = (char *)xocid;
        hub_arena_reset(a);
        if (s_call(c, "tendering.tender.get", &q.base, &tendering__process_reply__descriptor, a, &g)) goto out;
        if (!g->process || !g->process->contract || g->process->contract->n_milestones != (size_t)n_ms) {
            fprintf(stderr, "bench_tendering: %s has no contract with %d milestones\n", xocid, n_ms);
            goto out;
        }
        for (int j = 0; j < n_ms; j++) snprintf(ms_ids[j], sizeof ms_ids[j], "%s", g->process->contract->milestones[j]->id);
    }
    if (s_pipe_open(&p, td.api, NULL, NULL)) goto out;
    t0 = hub_mono_ns();
    for (int k = 0; k < n_reports; k++) {
        char text[96];
        snprintf(text, sizeof text, "第%d次进度报告：本期服务老人 12 名，送餐 360 份", k + 1);
        Tendering__MilestoneRequest q = TENDERING__MILESTONE_REQUEST__INIT;
        q.ocid = (char *)xocid;
        q.milestone_id = ms_ids[k % n_ms];
        q.percent = (uint32_t)(1 + 2 * (k / n_ms)) > 100 ? 100 : (uint32_t)(1 + 2 * (k / n_ms));
        q.text = text;
        if (s_pipe_send(&p, "tendering.milestone.report", &q.base)) break;
    }
    if (s_pipe_done(&p, "milestone reports", (uint64_t)n_reports)) goto out;
    double reports_s = (double)(hub_mono_ns() - t0) / 1e9;
    s_pipe_close(&p);
    uint32_t releases = 0;
    {
        Tendering__GetRequest q = TENDERING__GET_REQUEST__INIT;
        Tendering__ProcessReply *g = NULL;
        q.ocid = (char *)xocid;
        hub_arena_reset(a);
        if (s_call(c, "tendering.tender.get", &q.base, &tendering__process_reply__descriptor, a, &g)) goto out;
        releases = g->process ? g->process->releases : 0;
    }
    /* a refused export fails the run, after the other figures are printed */
    double exp_ms[REPEAT];
    size_t exp_bytes = 0;
    char export_error[1024] = "";
    for (int k = 0; k < REPEAT; k++) {
        Tendering__ExportRequest q = TENDERING__EXPORT_REQUEST__INIT;
        Tendering__ExportReply *x = NULL;
        hub_error_t err = {0};
        q.ocid = (char *)xocid;
        q.what = "record";
        hub_arena_reset(a);
        int64_t s0 = hub_mono_ns();
        int xrc = hub_client_call(c, "tendering.export", &q.base, &tendering__export_reply__descriptor, a,
                                  (ProtobufCMessage **)&x, &err);
        exp_ms[k] = s_ms(hub_mono_ns() - s0);
        if (xrc) {
            snprintf(export_error, sizeof export_error, "%s field \"%s\": %s (after %.0f ms)",
                     hub_error_code_name(err.code), err.field, err.message, exp_ms[k]);
            break;
        }
        exp_bytes = strlen(x->json);
        json_error_t je;
        json_t *j = json_loads(x->json, 0, &je);
        json_t *rec = j ? json_array_get(json_object_get(j, "records"), 0) : NULL;
        size_t nrel = json_array_size(json_object_get(rec, "releases"));
        bool compiled = json_is_object(json_object_get(rec, "compiledRelease"));
        json_decref(j);
        if (!j || nrel != releases || !compiled) {
            fprintf(stderr, "bench_tendering: export record of %s: %s (%zu releases of %u, compiled release %s)\n",
                    xocid, j ? "parsed" : je.text, nrel, releases, compiled ? "present" : "missing");
            goto out;
        }
    }
    double export_ms = export_error[0] ? 0 : s_median(exp_ms, REPEAT);

    /* ---- the report */
    double total_s = (double)(hub_mono_ns() - t_start) / 1e9;
    printf("\ntendering: %d organizations approved in matching and known to tendering in %.2f s; %d tenders created "
           "and published in %.2f s.\n",
           n_orgs, orgs_s, n_tenders, tenders_s);
    if (n_contracts != asked_contracts)
        printf("(BENCH_CONTRACTS %d raised to %d: a contract takes at most %d payments.)\n", asked_contracts,
               n_contracts, TENDER_MAX_PAYMENTS);
    printf("%d processes taken to CONTRACTED in %.2f s (%.2f s of it until every period closed, %d ms periods).\n"
           "Whole run %.1f s.\n\n",
           n_procs, contracts_s, opened_s, period_ms, total_s);
    printf("| measure | value |\n|---|---:|\n");
    printf("| **bids/s** (%d bids, %d tenders, %d in flight) | **%.0f** |\n", n_bids, n_tenders, WINDOW, bids_per_s);
    printf("| one bid's round trip p50 / **p99** / max ms | %.2f / **%.2f** / %.2f |\n", bid50, bid99, bidmax);
    printf("| daemon since start: commit p50 / p99 us, commands per batch p50 / p99 | %llu / %llu, %llu / %llu |\n",
           (unsigned long long)commit50_1, (unsigned long long)commit99_1, (unsigned long long)batch50_1,
           (unsigned long long)batch99_1);
    printf("| **ledger entries/s** (%d payments of %d fen over %d contracts + %d donations) | **%.0f** |\n", n_pay,
           PAY_FEN, n_contracts, n_pay, entries_per_s);
    printf("| one payment's or donation's round trip p50 / p99 ms | %.2f / %.2f |\n", led50, led99);
    printf("| **funds.balance ms** (median of %d; %llu entries, %zu accounts, reconciled) | **%.2f** |\n", REPEAT,
           (unsigned long long)bal_entries, bal_accounts, balance_ms);
    printf("| %d progress reports on %d milestones, s | %.2f |\n", n_reports, n_ms, reports_s);
    if (export_error[0])
        printf("| **export record ms** (%u releases) | **refused: %s** |\n", releases, export_error);
    else
        printf("| **export record ms** (median of %d; %u releases, %.1f MB of JSON) | **%.2f** |\n", REPEAT, releases,
               (double)exp_bytes / 1e6, export_ms);
    printf("\n");
    printf("bench tendering.bids_per_s %.0f bids/s\n", bids_per_s);
    printf("bench tendering.bid_p50_ms %.3f ms\n", bid50);
    printf("bench tendering.bid_p99_ms %.3f ms\n", bid99);
    printf("bench tendering.payments_per_s %.0f entries/s\n", entries_per_s);
    printf("bench tendering.ledger_p99_ms %.3f ms\n", led99);
    printf("bench tendering.balance_ms %.3f ms\n", balance_ms);
    if (!export_error[0]) printf("bench tendering.export_ms %.3f ms\n", export_ms);
    if (getenv("BENCH_VERBOSE")) s_dump_status("tendering", td.api);
    if (export_error[0]) {
        fprintf(stderr, "bench_tendering: FAILED: tendering.export \"record\" of %s (%u releases, %d progress "
                "reports) refused: %s\n", xocid, releases, n_reports, export_error);
        goto out;
    }
    rc = 0;
out:
    s_pipe_close(&p);
    hub_client_destroy(&c);
    hub_arena_destroy(&a);
    hub_arena_destroy(&ra);
    free(ocids1);
    free(ocids2);
    free(bid_ids);
    int stop_td = harness_stop(&td, SIGTERM), stop_mt = harness_stop(&mt, SIGTERM), stop_in = harness_stop(&in, SIGTERM);
    if (stop_td || stop_mt || stop_in) {
        fprintf(stderr, "bench_tendering: a daemon did not stop cleanly (tendering %d, matching %d, intake %d)\n",
                stop_td, stop_mt, stop_in);
        rc = 1;
    }
    harness_fini(&td);
    harness_fini(&mt);
    harness_fini(&in);
    zmq_ctx_term(s_zctx);
    return rc;
}
