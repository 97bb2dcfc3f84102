/* bench_matching: how fast hub-matching decides, with a district-sized
 * resource library, and how long an accepted request waits for its offer.
 *
 * Starts real hub-intake and hub-matching daemons (test harness, ipc://),
 * loads BENCH_ORGS organizations (default 10,000) and BENCH_VOLUNTEERS
 * volunteers (default 50,000) through matching.org.add / volunteer.add
 * (pipelined on a DEALER, 256 in flight), every one approved, offering 1-3
 * of the 11 catalogue services in 1-3 of the 17 streets (one organization
 * in ten district-wide), with capacity, languages, age bounds and, for
 * half the volunteers, weekly hours, drawn from a fixed-seed generator.
 *
 * Then requests are submitted to intake at each rate of BENCH_RATES
 * (default 250, 500 and BENCH_RATE = 1,000 per second; open loop: one
 * every 1/rate s from a DEALER whatever the replies do) for BENCH_SECONDS
 * (default 5) after a 1 s warm-up, spread over the services and streets;
 * a backlog left by one rate drains before the next starts. A subscriber on matching's PUB notes when each
 * request's matching.referral.offered (or .unmatched) event arrives:
 *   e2e = event received - intake's OK reply received
 * (the OK leaves intake with its event, after its commit; the offer event
 * leaves matching after matching's commit).
 *
 * Decision time is matching's own measurement of every decision (the
 * filter + score + top-20 scan of the candidate index, inside the write
 * transaction), read from hub.status gauges decide_p50_us / decide_p99_us.
 *
 * Every accepted request must get exactly one offer or unmatched event;
 * a missing one within 10 s fails the run. The library is checked too:
 * hub.status of matching must count BENCH_ORGS + BENCH_VOLUNTEERS added. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "hub_bus.h"
#include "hub_client.h"
#include "hub_hist.h"
#include "hub_util.h"
#include "hub_wire.h"
#include "intake.pb-c.h"
#include "matching.pb-c.h"

#define WINDOW 256
#define MAX_REQ 200000

static const char *const s_services[] = {"elderly-care", "disability", "children-autism", "psych-support",
                                         "family", "legal-aid", "hardship-relief", "health",
                                         "tutoring", "employment", "community"};
static const char *const s_streets[] = {"鼓楼街道", "月湖街道", "西门街道", "南门街道", "江厦街道", "段塘街道",
                                        "望春街道", "白云街道", "石碶街道", "集士港镇", "古林镇", "高桥镇",
                                        "横街镇", "鄞江镇", "洞桥镇", "章水镇", "龙观乡"};
#define N_SERVICES 11
#define N_STREETS 17

static uint64_t s_rng = 0x9E3779B97F4A7C15ull;
/* xorshift64*: deterministic, so every run loads the same library. */
static uint32_t s_rand(uint32_t n)
{
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return (uint32_t)((s_rng * 2685821657736338717ull) >> 33) % n;
}

static double s_env(const char *name, double def)
{
    const char *v = getenv(name);
    return v && *v && atof(v) > 0 ? atof(v) : def;
}

/* Picks k distinct indexes of n into out. */
static void s_pick(uint32_t n, int k, const char *const *names, char **out)
{
    int got = 0;
    while (got < k) {
        const char *c = names[s_rand(n)];
        int dup = 0;
        for (int i = 0; i < got; i++) dup |= out[i] == c;
        if (!dup) out[got++] = (char *)c;
    }
}

/* ------------------------------------------------------------ pipelined calls */

typedef struct {
    void *sock;
    int inflight;
    uint64_t ok, refused;
    char first_error[512];
} pipe_t;

/* Reads one reply; counts it. */
static int s_pipe_read(pipe_t *p, int timeout_ms)
{
    zmq_pollitem_t it = {p->sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, timeout_ms) <= 0) return -1;
    zmq_msg_t f[3];
    int n = hub_zmq_recv(p->sock, f, 3, 0, NULL);
    p->inflight--;
    if (n == 3 && zmq_msg_size(&f[1]) == 2) p->ok++;
    else {
        p->refused++;
        if (!p->first_error[0] && n == 3) {
            hub_error_t err = {0};
            hub_wire_error_decode(zmq_msg_data(&f[2]), zmq_msg_size(&f[2]), &err);
            snprintf(p->first_error, sizeof p->first_error, "%s %s: %s", hub_error_code_name(err.code),
                     err.field, err.message);
        }
    }
    hub_zmq_close(f, n);
    return 0;
}

/* Sends verb + msg, keeping at most WINDOW in flight. */
static int s_pipe_send(pipe_t *p, const char *verb, const ProtobufCMessage *msg)
{
    while (p->inflight >= WINDOW)
        if (s_pipe_read(p, 30000)) return -1;
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(len + 1);
    protobuf_c_message_pack(msg, buf);
    zmq_send(p->sock, "", 0, ZMQ_SNDMORE);
    zmq_send(p->sock, verb, strlen(verb), ZMQ_SNDMORE);
    zmq_send(p->sock, buf, len, 0);
    free(buf);
    p->inflight++;
    return 0;
}

static int s_pipe_drain(pipe_t *p)
{
    while (p->inflight > 0)
        if (s_pipe_read(p, 30000)) return -1;
    return 0;
}

/* ------------------------------------------------------------ the library */

static int s_load_library(void *zctx, const char *api, int n_orgs, int n_vols)
{
    pipe_t p = {.sock = zmq_socket(zctx, ZMQ_DEALER)};
    zmq_connect(p.sock, api);
    for (int i = 0; i < n_orgs + n_vols; i++) {
        char *services[3], *areas[3], *langs[2] = {"zh", "en"};
        int ns = 1 + (int)s_rand(3), na = 1 + (int)s_rand(3);
        s_pick(N_SERVICES, ns, s_services, services);
        s_pick(N_STREETS, na, s_streets, areas);
        char name[64];
        Matching__Eligibility el = MATCHING__ELIGIBILITY__INIT;
        if (s_rand(4) == 0) el.min_age = 60;
        if (i < n_orgs) {
            Matching__Organization o = MATCHING__ORGANIZATION__INIT;
            Matching__Capacity cap = MATCHING__CAPACITY__INIT;
            snprintf(name, sizeof name, "海曙区社会组织%05d", i);
            o.name = name;
            o.legal_form = MATCHING__LEGAL_FORM__COMMUNITY_GROUP;
            o.membership = MATCHING__MEMBERSHIP__APPROVED;
            o.services = services;
            o.n_services = (size_t)ns;
            if (i % 10 == 0) { static char *all[] = {"*"}; o.areas = all; o.n_areas = 1; }
            else { o.areas = areas; o.n_areas = (size_t)na; }
            o.languages = langs;
            o.n_languages = 1 + s_rand(2);
            o.cost = s_rand(3) ? MATCHING__COST__FREE : MATCHING__COST__LOW_COST;
            if (o.cost == MATCHING__COST__LOW_COST) o.fee = "10 元/次";
            o.eligibility = &el;
            cap.maximum = 5 + s_rand(20);
            cap.available = cap.maximum;
            o.capacity = &cap;
            Matching__PutOrganizationRequest q = MATCHING__PUT_ORGANIZATION_REQUEST__INIT;
            q.org = &o;
            if (s_pipe_send(&p, "matching.org.add", &q.base)) break;
        } else {
            Matching__Volunteer v = MATCHING__VOLUNTEER__INIT;
            Matching__Skill sk[3], *skp[3];
            Matching__TimeSlot ts[7], *tsp[7];
            for (int k = 0; k < ns; k++) {
                matching__skill__init(&sk[k]);
                sk[k].service = services[k];
                sk[k].certification = k == 0 ? "社会工作者职业资格" : "";
                skp[k] = &sk[k];
            }
            snprintf(name, sizeof name, "义工%05d", i - n_orgs);
            v.name = name;
            v.membership = MATCHING__MEMBERSHIP__APPROVED;
            v.skills = skp;
            v.n_skills = (size_t)ns;
            v.areas = areas;
            v.n_areas = (size_t)na;
            v.max_open_cases = 1 + s_rand(5);
            v.languages = langs;
            v.n_languages = 1;
            if (i % 2) { /* weekday evenings and weekend mornings */
                for (int d = 0; d < 7; d++) {
                    matching__time_slot__init(&ts[d]);
                    ts[d].weekday = (uint32_t)d + 1;
                    ts[d].opens_min = d < 5 ? 18 * 60 : 9 * 60;
                    ts[d].closes_min = d < 5 ? 21 * 60 : 12 * 60;
                    tsp[d] = &ts[d];
                }
                v.availability = tsp;
                v.n_availability = 7;
            }
            Matching__PutVolunteerRequest q = MATCHING__PUT_VOLUNTEER_REQUEST__INIT;
            q.volunteer = &v;
            if (s_pipe_send(&p, "matching.volunteer.add", &q.base)) break;
        }
    }
    int rc = s_pipe_drain(&p);
    zmq_close(p.sock);
    if (rc || p.refused || p.ok != (uint64_t)(n_orgs + n_vols)) {
        fprintf(stderr, "bench_matching: library load: %llu ok, %llu refused (%s)\n",
                (unsigned long long)p.ok, (unsigned long long)p.refused, p.first_error);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ offers */

/* Request ids -> times, filled by the submitter (ack) and the listener
 * (offer). A linear-probe table keyed by the id string. */
typedef struct {
    char id[32];
    int64_t ack_ns, event_ns;
    atomic_int state;          /* bit 1: acked, bit 2: event seen */
} slot_t;

#define TABLE (1 << 19)
static slot_t *s_table;
static pthread_mutex_t s_table_lock = PTHREAD_MUTEX_INITIALIZER;

static slot_t *s_slot(const char *id)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = id; *p; p++) h = (h ^ (uint8_t)*p) * 1099511628211ull;
    pthread_mutex_lock(&s_table_lock);
    for (uint64_t i = h % TABLE;; i = (i + 1) % TABLE) {
        slot_t *s = &s_table[i];
        if (!s->id[0]) snprintf(s->id, sizeof s->id, "%s", id);
        if (!strcmp(s->id, id)) { pthread_mutex_unlock(&s_table_lock); return s; }
    }
}

typedef struct {
    void *zctx;
    const char *pub;
    atomic_int stop;
    atomic_int ready;
    uint64_t events;
} listener_t;

/* Notes the arrival of every offered / unmatched event. */
static void *s_listen(void *arg)
{
    listener_t *l = arg;
    void *sub = zmq_socket(l->zctx, ZMQ_SUB);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "matching.referral.offered", 25);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "matching.referral.unmatched", 27);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "hub.heartbeat", 13);
    int hwm = 1000000;
    zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_connect(sub, l->pub);
    hub_arena_t *a = hub_arena_new(64u << 20);
    while (!atomic_load(&l->stop)) {
        zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 100) <= 0) continue;
        zmq_msg_t f[3];
        int n = hub_zmq_recv(sub, f, 3, 0, NULL);
        int64_t now = hub_mono_ns();
        if (n == 3 && zmq_msg_size(&f[0]) == 13) atomic_store(&l->ready, 1); /* heartbeat: connected */
        else if (n == 3) {
            hub_arena_reset(a);
            hub_error_t err = {0};
            Hub__Event *ev = (Hub__Event *)hub_wire_unpack_max(&hub__event__descriptor, zmq_msg_data(&f[2]),
                                                               zmq_msg_size(&f[2]), 64u << 20, a, &err);
            Matching__ReferralEvent *re = ev ? (Matching__ReferralEvent *)hub_wire_unpack_max(
                                                   &matching__referral_event__descriptor, ev->payload.data,
                                                   ev->payload.len, 64u << 20, a, &err)
                                             : NULL;
            if (re && re->referral) {
                slot_t *s = s_slot(re->referral->request_id);
                if (!(atomic_load(&s->state) & 2)) {
                    s->event_ns = now;
                    atomic_fetch_or(&s->state, 2);
                    l->events++;
                }
            }
        }
        hub_zmq_close(f, n);
    }
    hub_arena_destroy(&a);
    zmq_close(sub);
    return NULL;
}

/* Reads intake's replies: each OK carries the new request id. */
static int s_read_acks(void *sock, hub_arena_t *a, int timeout_ms, int *inflight, char ids[][32], int *n_ids)
{
    zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
    int got = 0;
    while (*inflight > 0 && zmq_poll(&it, 1, got ? 0 : timeout_ms) > 0) {
        zmq_msg_t f[3];
        int n = hub_zmq_recv(sock, f, 3, 0, NULL);
        int64_t now = hub_mono_ns();
        (*inflight)--;
        got++;
        if (n == 3 && zmq_msg_size(&f[1]) == 2) {
            hub_arena_reset(a);
            hub_error_t err = {0};
            Intake__SubmitReply *r = (Intake__SubmitReply *)hub_wire_unpack(
                &intake__submit_reply__descriptor, zmq_msg_data(&f[2]), zmq_msg_size(&f[2]), a, &err);
            if (r && *n_ids < MAX_REQ) {
                slot_t *s = s_slot(r->service_request_id);
                s->ack_ns = now;
                atomic_fetch_or(&s->state, 1);
                snprintf(ids[(*n_ids)++], 32, "%s", r->service_request_id);
            }
        } else {
            hub_error_t err = {0};
            if (n == 3) hub_wire_error_decode(zmq_msg_data(&f[2]), zmq_msg_size(&f[2]), &err);
            fprintf(stderr, "bench_matching: intake refused a request: %s %s: %s\n",
                    hub_error_code_name(err.code), err.field, err.message);
            hub_zmq_close(f, n);
            return -1;
        }
        hub_zmq_close(f, n);
    }
    return 0;
}

/* Attributes that make a request valid for each service. */
static void s_attrs(Intake__Request *r, hub_arena_t *a, const char *svc)
{
    static const struct { const char *svc, *code, *value; } need[] = {
        {"elderly-care", "care_type", "meal"}, {"disability", "disability_type", "physical"},
        {"children-autism", "child_age", "7"}, {"psych-support", "mode", "phone"},
        {"legal-aid", "matter", "labour"}, {"hardship-relief", "support", "goods"},
    };
    r->n_attributes = 0;
    for (size_t i = 0; i < sizeof need / sizeof *need; i++) {
        if (strcmp(need[i].svc, svc)) continue;
        Intake__AttributeAnswer *ans = hub_arena_alloc(a, sizeof *ans);
        Intake__AttributeAnswer **arr = hub_arena_alloc(a, sizeof *arr);
        char **vals = hub_arena_alloc(a, sizeof *vals);
        intake__attribute_answer__init(ans);
        ans->code = (char *)need[i].code;
        vals[0] = (char *)need[i].value;
        ans->values = vals;
        ans->n_values = 1;
        arr[0] = ans;
        r->attributes = arr;
        r->n_attributes = 1;
    }
}

static uint64_t s_status_counter(void *zctx, const char *api, const char *name)
{
    hub_client_t *cl = hub_client_new(zctx, api, NULL, 10000);
    hub_arena_t *a = hub_arena_new(1 << 20);
    Hub__StatusRequest q = HUB__STATUS_REQUEST__INIT;
    Hub__StatusReply *r = NULL;
    hub_error_t err = {0};
    uint64_t v = 0;
    if (!hub_client_call(cl, "hub.status", &q.base, &hub__status_reply__descriptor, a,
                         (ProtobufCMessage **)&r, &err))
        for (size_t i = 0; i < r->n_counters; i++)
            if (!strcmp(r->counters[i]->name, name)) v = r->counters[i]->value;
    hub_arena_destroy(&a);
    hub_client_destroy(&cl);
    return v;
}

int main(void)
{
    int n_orgs = (int)s_env("BENCH_ORGS", 10000), n_vols = (int)s_env("BENCH_VOLUNTEERS", 50000);
    double rate = s_env("BENCH_RATE", 1000), seconds = s_env("BENCH_SECONDS", 5);
    harness_t in, mt;
    if (harness_init(&in, NULL) ||
        harness_init_peer(&mt, &in, "matching", "offer_timeout_s = 0\nmap_size_mb = 256\n") ||
        harness_start(&in) || harness_start(&mt)) {
        fprintf(stderr, "bench_matching: cannot start the daemons\n");
        return 1;
    }
    void *zctx = zmq_ctx_new();
    int rc = 1;
    s_table = calloc(TABLE, sizeof *s_table);
    static char ids[MAX_REQ][32];
    int n_ids = 0;

    int64_t t0 = hub_mono_ns();
    if (s_load_library(zctx, mt.api, n_orgs, n_vols)) goto done;
    double load_s = (double)(hub_mono_ns() - t0) / 1e9;
    uint64_t added = s_status_counter(zctx, mt.api, "events_published_total");
    if (added < (uint64_t)(n_orgs + n_vols)) {
        fprintf(stderr, "bench_matching: only %llu library events\n", (unsigned long long)added);
        goto done;
    }

    listener_t l = {.zctx = zctx, .pub = mt.pub};
    pthread_t lt;
    pthread_create(&lt, NULL, s_listen, &l);
    int64_t until = hub_mono_ns() + 10000000000LL;
    while (!atomic_load(&l.ready) && hub_mono_ns() < until) nanosleep(&(struct timespec){0, 10000000}, NULL);
    if (!atomic_load(&l.ready)) { fprintf(stderr, "bench_matching: no heartbeat from matching\n"); goto stop; }

    /* open-loop submissions at each rate: warm-up 1 s, then the measured window */
    void *dealer = zmq_socket(zctx, ZMQ_DEALER);
    zmq_connect(dealer, in.api);
    hub_arena_t *a = hub_arena_new(16u << 20), *ra = hub_arena_new(1u << 20);
    double rates[8];
    int n_rates = 0;
    char rates_buf[128];
    snprintf(rates_buf, sizeof rates_buf, "%s", getenv("BENCH_RATES") ? getenv("BENCH_RATES") : "");
    for (char *tok = strtok(rates_buf, ","); tok && n_rates < 8; tok = strtok(NULL, ","))
        if (atof(tok) > 0) rates[n_rates++] = atof(tok);
    if (!n_rates) {
        rates[n_rates++] = 250;
        rates[n_rates++] = 500;
        rates[n_rates++] = rate;
    }
    double achieved[8], e50[8], e99[8];
    int sent_total = 0;
    for (int ri = 0; ri < n_rates; ri++) {
        int inflight = 0, first = n_ids, warm = (int)rates[ri];
        int total = warm + (int)(rates[ri] * seconds);
        if (sent_total + total > MAX_REQ) total = MAX_REQ - sent_total;
        int64_t start = hub_mono_ns(), gap = (int64_t)(1e9 / rates[ri]);
        for (int sent = 0; sent < total; sent++) {
            int64_t due = start + gap * sent;
            while (hub_mono_ns() < due) {
                int64_t left_ms = (due - hub_mono_ns()) / 1000000;
                if (s_read_acks(dealer, ra, left_ms > 0 ? (int)left_ms : 0, &inflight, ids, &n_ids)) goto stop_sub;
                if (left_ms <= 0) break;
            }
            hub_arena_reset(a);
            char mid[32];
            int k = sent_total + sent;
            snprintf(mid, sizeof mid, "bench-%d", k);
            Intake__SubmitRequest *q = harness_request(a, "bench", mid);
            const char *svc = s_services[k % N_SERVICES];
            q->request->service_code = (char *)svc;
            q->request->street = (char *)s_streets[(k / N_SERVICES) % N_STREETS];
            q->request->urgency = INTAKE__URGENCY__NORMAL;
            s_attrs(q->request, a, svc);
            size_t len = intake__submit_request__get_packed_size(q);
            uint8_t *buf = hub_arena_alloc(a, len + 1);
            intake__submit_request__pack(q, buf);
            zmq_send(dealer, "", 0, ZMQ_SNDMORE);
            zmq_send(dealer, "intake.submit", 13, ZMQ_SNDMORE);
            zmq_send(dealer, buf, len, 0);
            inflight++;
        }
        for (int64_t drain_until = hub_mono_ns() + 10000000000LL; inflight > 0 && hub_mono_ns() < drain_until;)
            if (s_read_acks(dealer, ra, 100, &inflight, ids, &n_ids)) break;
        if (inflight > 0 || n_ids - first != total) {
            fprintf(stderr, "bench_matching: %d of %d requests acknowledged\n", n_ids - first, total);
            goto stop_sub;
        }
        achieved[ri] = (double)(total - warm) / ((double)(hub_mono_ns() - start) / 1e9 - 1.0);
        sent_total += total;
        /* every request gets its event (a backlog drains first) */
        until = hub_mono_ns() + 60000000000LL;
        while (l.events < (uint64_t)sent_total && hub_mono_ns() < until)
            nanosleep(&(struct timespec){0, 10000000}, NULL);
        if (l.events < (uint64_t)sent_total) {
            fprintf(stderr, "bench_matching: %llu of %d offers/unmatched events seen\n",
                    (unsigned long long)l.events, sent_total);
            goto stop_sub;
        }
        hub_hist_t e2e = {0};
        for (int i = first + warm; i < n_ids; i++) {
            slot_t *sl = s_slot(ids[i]);
            int64_t d = sl->event_ns - sl->ack_ns;
            hub_hist_add(&e2e, (uint64_t)(d > 0 ? d : 0));
        }
        e50[ri] = (double)hub_hist_quantile(&e2e, 0.50) / 1e6;
        e99[ri] = (double)hub_hist_quantile(&e2e, 0.99) / 1e6;
    }
    double d50 = (double)s_status_counter(zctx, mt.api, "decide_p50_us") / 1000;
    double d99 = (double)s_status_counter(zctx, mt.api, "decide_p99_us") / 1000;
    double c50 = (double)s_status_counter(zctx, mt.api, "decide_cpu_p50_us") / 1000;
    double c99 = (double)s_status_counter(zctx, mt.api, "decide_cpu_p99_us") / 1000;
    uint64_t unmatched = s_status_counter(zctx, mt.api, "unmatched_total");
    printf("\nmatching: %d organizations + %d volunteers loaded in %.1f s (%.0f records/s);\n"
           "%d requests offered (%llu went to the operator queue)\n\n",
           n_orgs, n_vols, load_s, (n_orgs + n_vols) / load_s, sent_total, (unsigned long long)unmatched);
    printf("| measure | p50 ms | p99 ms |\n|---|---:|---:|\n");
    printf("| decision (filter + score, in matching), wall clock | %.3f | %.3f |\n", d50, d99);
    printf("| decision, CPU time of the matching thread | %.3f | %.3f |\n", c50, c99);
    for (int ri = 0; ri < n_rates; ri++)
        printf("| intake ack -> offer event at %.0f req/s (achieved %.0f) | %.3f | %.3f |\n", rates[ri],
               achieved[ri], e50[ri], e99[ri]);
    printf("\n");
    printf("bench matching.decide_p50_ms %.3f ms\n", d50);
    printf("bench matching.decide_p99_ms %.3f ms\n", d99);
    printf("bench matching.decide_cpu_p50_ms %.3f ms\n", c50);
    printf("bench matching.decide_cpu_p99_ms %.3f ms\n", c99);
    for (int ri = 0; ri < n_rates; ri++) {
        char suffix[32] = "";
        if (rates[ri] != rate) snprintf(suffix, sizeof suffix, ".r%.0f", rates[ri]);
        printf("bench matching.e2e_offer_p50_ms%s %.3f ms\n", suffix, e50[ri]);
        printf("bench matching.e2e_offer_p99_ms%s %.3f ms\n", suffix, e99[ri]);
    }
    printf("bench matching.library_load_per_s %.0f records/s\n", (n_orgs + n_vols) / load_s);
    if (getenv("BENCH_VERBOSE")) { /* the daemon's counters, for analysis */
        static const char *const names[] = {"commands_total", "events_published_total", "store_preallocated_total",
                                            "store_map_grown_total", "feed_events_applied_total", "offers_total",
                                            "commit_p50_us", "commit_p99_us", "batch_p50", "batch_p99", NULL};
        for (int i = 0; names[i]; i++)
            fprintf(stderr, "matching %s = %llu\n", names[i],
                    (unsigned long long)s_status_counter(zctx, mt.api, names[i]));
    }
    rc = 0;
stop_sub:
    zmq_close(dealer);
    hub_arena_destroy(&a);
    hub_arena_destroy(&ra);
stop:
    atomic_store(&l.stop, 1);
    pthread_join(lt, NULL);
done:
    if (harness_stop(&mt, SIGTERM) != 0 || harness_stop(&in, SIGTERM) != 0) {
        fprintf(stderr, "bench_matching: a daemon did not stop cleanly\n");
        rc = 1;
    }
    harness_fini(&mt);
    harness_fini(&in);
    zmq_ctx_term(zctx);
    free(s_table);
    return rc;
}
