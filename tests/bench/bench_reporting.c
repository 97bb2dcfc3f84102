/* bench_reporting: how fast hub-reporting catches up with a backlog of
 * events, and how long its queries take on a year of data.
 *
 * 1. The backlog. BENCH_REPORTING_EVENTS events (default 1,000,000) are
 *    written straight into an intake store's outbox (DATA_DIR/intake,
 *    opened with hub_store_open and intake's database names; the epoch
 *    from hub_outbox_init), 10,000 per write transaction, in the outbox's
 *    own format (key: the big-endian sequence; value: a packed hub.Event
 *    from source "intake"). The events are not written through
 *    hub_outbox_append because it stamps every event with the current
 *    time: here each event carries its own time (hub.Event.time_ms), so
 *    the backlog spans the whole year 2026 (CST) in sequence order, with
 *    more requests in winter than in summer. The mix, seeded so every run
 *    writes the same events:
 *      ~85 % intake.request.accepted: a RequestEvent carrying the whole
 *            Request as intake publishes it (requester, attributes valid
 *            for its service, description, address, location, history),
 *            service codes of deploy/catalogue/haishu.json (elderly care
 *            the most asked), the 17 streets and towns of Haishu (weighted
 *            by population), channels web / wechat / hotline / kiosk /
 *            partner-app, requested_ms = the event's time, ids like
 *            intake's (R20260315-000042, per CST day);
 *      ~5 %  intake.request.closed: a request accepted 0.2 to 8 days
 *            before is closed (status CLOSED, a second history entry);
 *      ~10 % intake.opinion.received: an Opinion on one of 10 topics,
 *            one in three anonymous.
 *    The generation is timed on its own (not part of any figure). Then
 *    hub-intake is started on that data directory (it serves hub.replay of
 *    the events; its status must count the last sequence), and hub-reporting
 *    as its peer (matching, notification and tendering pointing at ipc://
 *    paths nobody binds; [reporting] http empty: no dashboard listener).
 *      reporting.catchup_1m_s: seconds from launching hub-reporting (it is
 *    READY within milliseconds; its feeds start just before) until its
 *    durable cursor on intake (hub.status subscriptions, polled every
 *    20 ms) reaches the last sequence; and the rate, events per second.
 *    The table adds the rate over the first and the last tenth of the
 *    backlog, the CPU seconds of reporting's threads and of intake, the
 *    whole machine's busy CPU over the window, and reporting's commit and
 *    batch-size quantiles (hub.status).
 *    Then reporting must count every event applied (feed_events_applied_total),
 *    none refused or unreadable, and its summary of 2026 must count exactly
 *    the requests and opinions written and all the events.
 *
 * 2. Queries on that year. BENCH_REPORTING_QUERIES (default 100)
 *    reporting.query calls, one at a time, cycling through 14 figures
 *    (requests by service, street, channel, status, month and day; times
 *    by service and street; outcomes; unmet; opinions by topic, street and
 *    topic_street; summary), in turns over the whole year 2026 and over
 *    one month (January to December in turn). Each round trip is timed:
 *      reporting.query_p50_ms, reporting.query_p99_ms (nearest rank);
 *    the table gives the median of each figure over the year and over a
 *    month. Then one reporting.report (yearly, 2026):
 *      reporting.yearly_report_ms (the HTML must hold an <svg> chart).
 *    A refused report is printed in place of the figure, after the others,
 *    and fails the run.
 *
 * The run fails (exit 1) when a reply is refused or missing, a count
 * differs, catch-up stalls (no progress in 60 s, or not done within
 * 120 s + 1 ms per event) or a daemon does not exit 0 on SIGTERM; never
 * because of a timing. Environment: BUILD, BENCH_REPORTING_EVENTS,
 * BENCH_REPORTING_QUERIES, BENCH_REPORTING_PERF=FILE (records
 * `perf record -g` of hub-reporting during catch-up into FILE, for
 * analysis), BENCH_VERBOSE=1 (reporting's hub.status counters at the end),
 * HUB_TEST_KEEP=1 (keep the temporary directory). */
#include <dirent.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "hub_client.h"
#include "hub_outbox.h"
#include "hub_store.h"
#include "hub_util.h"
#include "hub_wire.h"
#include "intake.h"
#include "intake.pb-c.h"
#include "intake_svc.h"
#include "report.h"
#include "reporting.pb-c.h"

#define MAX_EVENTS 20000000        /* bound of BENCH_REPORTING_EVENTS */
#define CHUNK 10000                /* events per write transaction */
#define YEAR 2026
#define INTAKE_MAP_MB 4096         /* the backlog's store (about 0.6 GB per million) */
#define POLL_MS 20                 /* cursor polling */
#define STALL_MS 60000             /* no progress this long: failed */
#define CALL_MS 300000             /* a query or report reply deadline */
#define MAX_THREADS 64
#define MAX_SAMPLES 100000

static void *s_zctx;

/* ------------------------------------------------------------ helpers */

/* The positive number in environment variable name, else def. */
static double s_env(const char *name, double def)
{
    const char *v = getenv(name);
    return v && *v && atof(v) > 0 ? atof(v) : def;
}

static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank quantile q of v[0..n) (sorts v); 0 when n is 0. */
static double s_quantile(double *v, int n, double q)
{
    if (n <= 0) return 0;
    qsort(v, (size_t)n, sizeof *v, s_cmp_double);
    int r = (int)(q * n + 0.999999);
    r = r < 1 ? 1 : r > n ? n : r;
    return v[r - 1];
}

static double s_ms(int64_t ns) { return (double)ns / 1e6; }

/* One synchronous call; 0, or -1 after printing what was refused. */
static int s_call(hub_client_t *c, const char *verb, const ProtobufCMessage *req,
                  const ProtobufCMessageDescriptor *d, hub_arena_t *a, void *reply_p)
{
    hub_error_t err = {0};
    int rc = hub_client_call(c, verb, req, d, a, (ProtobufCMessage **)reply_p, &err);
    if (rc)
        fprintf(stderr, "bench_reporting: %s: %s field \"%s\": %s\n", verb, hub_error_code_name(err.code), err.field,
                err.message);
    return rc ? -1 : 0;
}

/* hub.status of the daemon behind c into *r (arena a). 0 or -1. */
static int s_status(hub_client_t *c, hub_arena_t *a, Hub__StatusReply **r)
{
    Hub__StatusRequest q = HUB__STATUS_REQUEST__INIT;
    hub_arena_reset(a);
    return s_call(c, "hub.status", &q.base, &hub__status_reply__descriptor, a, r);
}

static uint64_t s_counter_of(const Hub__StatusReply *r, const char *name)
{
    for (size_t i = 0; i < r->n_counters; i++)
        if (!strcmp(r->counters[i]->name, name)) return r->counters[i]->value;
    return 0;
}

static uint64_t s_cursor_of(const Hub__StatusReply *r, const char *publisher)
{
    for (size_t i = 0; i < r->n_subscriptions; i++)
        if (!strcmp(r->subscriptions[i]->publisher, publisher)) return r->subscriptions[i]->seq;
    return 0;
}

/* ------------------------------------------------------------ CPU accounting */

typedef struct {
    int tid;
    char comm[32];
    double cpu_s;
} thr_t;

/* utime + stime (seconds) of a /proc stat line; -1 if unreadable. */
static double s_stat_cpu(const char *path, char *comm, size_t comm_cap)
{
    char buf[1024];
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *open = strchr(buf, '('), *close = strrchr(buf, ')');
    if (!open || !close || close < open) return -1;
    if (comm) snprintf(comm, comm_cap, "%.*s", (int)(close - open - 1), open + 1);
    /* after ")": state is field 3, utime field 14, stime field 15 */
    unsigned long long ut = 0, st = 0;
    if (sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds of process pid (all its threads, living ones). */
static double s_proc_cpu(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    double v = s_stat_cpu(path, NULL, 0);
    return v < 0 ? 0 : v;
}

/* The threads of pid with their CPU seconds; their count. */
static int s_threads(pid_t pid, thr_t *t, int max)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    int n = 0;
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char p[128];
        snprintf(p, sizeof p, "/proc/%d/task/%.20s/stat", (int)pid, e->d_name);
        t[n].tid = atoi(e->d_name);
        if ((t[n].cpu_s = s_stat_cpu(p, t[n].comm, sizeof t[n].comm)) >= 0) n++;
    }
    closedir(d);
    return n;
}

/* The machine's CPU time so far (ticks): busy (user, nice, system, irq,
 * softirq, steal), iowait and all. */
typedef struct {
    unsigned long long busy, iowait, total;
} cpu_t;

static cpu_t s_machine_cpu(void)
{
    cpu_t c = {0, 0, 0};
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return c;
    if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
               &v[7]) == 8) {
        c.busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
        c.iowait = v[4];
        c.total = c.busy + v[3] + v[4];
    }
    fclose(f);
    return c;
}

static double s_self_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void s_loadavg(char *out, size_t cap)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double a = 0, b = 0, c = 0;
    if (!f || fscanf(f, "%lf %lf %lf", &a, &b, &c) != 3) snprintf(out, cap, "?");
    else snprintf(out, cap, "%.2f %.2f %.2f", a, b, c);
    if (f) fclose(f);
}

/* Prints every hub.status counter of the daemon behind c to stderr, and
 * the state, wait channel and CPU seconds of each thread of pid. */
static void s_dump(const char *who, hub_client_t *c, pid_t pid)
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    Hub__StatusReply *r = NULL;
    if (c && a && !s_status(c, a, &r)) {
        fprintf(stderr, "  %s last_seq = %llu\n", who, (unsigned long long)r->last_seq);
        for (size_t i = 0; i < r->n_counters; i++)
            fprintf(stderr, "  %s %s = %llu\n", who, r->counters[i]->name, (unsigned long long)r->counters[i]->value);
        for (size_t i = 0; i < r->n_subscriptions; i++)
            fprintf(stderr, "  %s cursor on %s = %llu\n", who, r->subscriptions[i]->publisher,
                    (unsigned long long)r->subscriptions[i]->seq);
    }
    hub_arena_destroy(&a);
    thr_t t[MAX_THREADS];
    int n = pid > 0 ? s_threads(pid, t, MAX_THREADS) : 0;
    for (int i = 0; i < n; i++) {
        char path[96], wchan[64] = "", state[8] = "?";
        snprintf(path, sizeof path, "/proc/%d/task/%d/wchan", (int)pid, t[i].tid);
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(wchan, sizeof wchan, f)) wchan[0] = 0;
            fclose(f);
        }
        snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, t[i].tid);
        if ((f = fopen(path, "r"))) {
            char buf[512];
            size_t k = fread(buf, 1, sizeof buf - 1, f);
            buf[k] = 0;
            char *close = strrchr(buf, ')');
            if (close && close[1] && close[2]) snprintf(state, sizeof state, "%c", close[2]);
            fclose(f);
        }
        fprintf(stderr, "  %s thread %d (%s): state %s, wchan %s, %.1f CPU s\n", who, t[i].tid, t[i].comm, state,
                wchan, t[i].cpu_s);
    }
}

/* ------------------------------------------------------------ the backlog */

/* splitmix64: the generator's own, seeded, so every run writes the same. */
static uint64_t s_rng = 0x5eed2026ULL;
static uint64_t s_rand(void)
{
    uint64_t z = (s_rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double s_unit(void) { return (double)(s_rand() >> 11) / 9007199254740992.0; }
static uint32_t s_below(uint32_t n) { return (uint32_t)(s_unit() * n); }

/* Index drawn by weights w[0..n). */
static int s_weighted(const double *w, int n)
{
    double sum = 0;
    for (int i = 0; i < n; i++) sum += w[i];
    double u = s_unit() * sum;
    for (int i = 0; i < n; i++)
        if ((u -= w[i]) < 0) return i;
    return n - 1;
}

/* The services of deploy/catalogue/haishu.json, how often each is asked,
 * one answer per required attribute (code, a valid value) and a typical
 * description. */
typedef struct {
    const char *code;
    double weight;
    const char *attr, *values[5];
    const char *description;
} service_t;

static const service_t s_services[] = {
    {"elderly-care", 30, "care_type", {"meal", "visit", "daycare", "escort", NULL}, "独居老人需要助餐和上门探访服务"},
    {"disability", 8, "disability_type", {"physical", "visual", "hearing", "intellectual", "mental"},
     "残疾人家庭需要康复训练和出行协助"},
    {"children-autism", 7, "diagnosis", {"autism", "adhd", "none", "unknown", NULL}, "自闭症儿童家庭需要康复指导和喘息服务"},
    {"psych-support", 6, "mode", {"in_person", "phone", NULL}, "近期情绪低落，希望有心理咨询师谈谈"},
    {"family", 6, NULL, {NULL}, "家庭矛盾需要社工上门调解"},
    {"legal-aid", 7, "matter", {"labour", "family", "housing", "other", NULL}, "被拖欠工资，想咨询法律援助"},
    {"hardship-relief", 10, "support", {"goods", "money", "policy", NULL}, "家庭突遭变故，生活困难需要救助"},
    {"health", 8, NULL, {NULL}, "慢性病老人需要健康随访和用药指导"},
    {"tutoring", 6, "grade", {"三年级", "五年级", "初一", "初二", NULL}, "孩子课后无人辅导，希望志愿者帮助"},
    {"employment", 5, NULL, {NULL}, "失业人员希望参加技能培训并推荐工作"},
    {"community", 7, "preferred_date", {"2026-06-01", "2026-10-01", NULL}, "小区希望组织邻里互助活动"},
};
#define N_SERVICES (int)(sizeof s_services / sizeof *s_services)

/* The 17 streets and towns of Haishu (catalogue areas), a population
 * weight, a road for addresses and a point. */
typedef struct {
    const char *name;
    double weight;
    const char *road;
    double lat, lon;
} street_t;

static const street_t s_streets[] = {
    {"鼓楼街道", 6, "中山西路", 29.8731, 121.5463},  {"月湖街道", 6, "镇明路", 29.8668, 121.5408},
    {"西门街道", 8, "西河街", 29.8745, 121.5330},    {"南门街道", 8, "解放南路", 29.8605, 121.5440},
    {"江厦街道", 5, "江厦街", 29.8700, 121.5560},    {"段塘街道", 9, "段塘西路", 29.8480, 121.5350},
    {"望春街道", 9, "望春路", 29.8770, 121.5040},    {"白云街道", 8, "环城西路", 29.8640, 121.5220},
    {"石碶街道", 8, "石碶南路", 29.8050, 121.5170},  {"集士港镇", 7, "集士港路", 29.8380, 121.4460},
    {"古林镇", 6, "古林大道", 29.8120, 121.4670},    {"高桥镇", 7, "高桥路", 29.8950, 121.4640},
    {"横街镇", 4, "横街路", 29.8720, 121.4100},      {"鄞江镇", 3, "鄞江老街", 29.7900, 121.3640},
    {"洞桥镇", 3, "洞桥路", 29.7850, 121.4220},      {"章水镇", 2, "章水路", 29.7480, 121.3160},
    {"龙观乡", 1, "龙观路", 29.7630, 121.2830},
};
#define N_STREETS (int)(sizeof s_streets / sizeof *s_streets)

static const char *const s_channels[] = {"wechat", "hotline", "web", "kiosk", "partner-app"};
static const double s_channel_w[] = {45, 25, 15, 5, 10};
#define N_CHANNELS 5

static const char *const s_topics[] = {"社区环境", "养老服务", "交通出行", "文体活动", "物业管理",
                                       "志愿服务", "政策咨询", "服务质量", "儿童关爱", "公共安全"};
static const double s_topic_w[] = {18, 16, 12, 8, 14, 7, 9, 8, 5, 3};
#define N_TOPICS 10

static const char *const s_surnames[] = {"王", "李", "张", "陈", "刘", "杨", "黄", "赵", "周", "吴", "徐", "孙", "朱", "胡"};
static const char *const s_given[] = {"阿姨", "大伯", "秀英", "建国", "丽娟", "志强", "海燕", "国平", "美华", "伟", "芳", "军"};

/* Requests per month (2026): more in winter, fewer around the Spring
 * Festival (February) and in summer. */
static const double s_month_w[12] = {1.10, 0.85, 1.00, 1.00, 1.00, 0.95, 0.92, 0.92, 1.00, 0.96, 1.05, 1.25};

/* An accepted request, remembered so a later event can close it. */
typedef struct {
    char id[24];
    int64_t requested_ms;
    uint64_t seed;
    uint8_t closed;
} req_t;

typedef struct {
    hub_store_t *store;
    hub_outbox_t ob;
    uint64_t seq;
    uint8_t *pbuf, *ebuf;
    size_t pcap, ecap;
    req_t *reqs;
    size_t n_reqs;
    uint64_t accepted, closed, opinions, bytes;
    int64_t month_from[13];        /* 00:00 CST on the 1st of month m+1 (12: next year) */
    double month_cum[13];          /* cumulative weight share before month m */
} gen_t;

/* The time of event k of n: months take their share of the backlog by
 * s_month_w, events are spread evenly within a month. */
static int64_t s_event_time(const gen_t *g, uint64_t k, uint64_t n)
{
    double u = ((double)k + 0.5) / (double)n;
    int m = 0;
    while (m < 11 && u >= g->month_cum[m + 1]) m++;
    double share = (u - g->month_cum[m]) / (g->month_cum[m + 1] - g->month_cum[m]);
    return g->month_from[m] + (int64_t)(share * (double)(g->month_from[m + 1] - g->month_from[m]));
}

static uint8_t *s_grow(uint8_t **buf, size_t *cap, size_t n)
{
    if (n > *cap) {
        free(*buf);
        *cap = 2 * n + 256;
        if (!(*buf = malloc(*cap))) abort();
    }
    return *buf;
}

/* Appends an event (source intake, time time_ms) in txn, as hub_outbox does. */
static int s_append(gen_t *g, MDB_txn *txn, const char *topic, const ProtobufCMessage *payload, int64_t time_ms)
{
    Hub__Event ev = HUB__EVENT__INIT;
    ev.topic = (char *)topic;
    ev.epoch = g->ob.epoch;
    ev.seq = ++g->seq;
    ev.time_ms = time_ms;
    ev.source = "intake";
    ev.payload.len = protobuf_c_message_get_packed_size(payload);
    ev.payload.data = s_grow(&g->pbuf, &g->pcap, ev.payload.len);
    protobuf_c_message_pack(payload, ev.payload.data);
    size_t len = hub__event__get_packed_size(&ev);
    hub__event__pack(&ev, s_grow(&g->ebuf, &g->ecap, len));
    uint8_t key[8];
    hub_be64_put(key, ev.seq);
    MDB_val k = {8, key}, v = {len, g->ebuf};
    g->bytes += len;
    return mdb_put(txn, g->ob.db, &k, &v, MDB_APPEND);
}

/* Fills r (in arena a) with request rq as intake publishes it: everything
 * derived from rq->seed; closed_ms 0 for an open one. */
static void s_request(hub_arena_t *a, const req_t *rq, int64_t closed_ms, Intake__Request *r)
{
    uint64_t save = s_rng;
    s_rng = rq->seed;
    static double service_w[N_SERVICES], street_w[N_STREETS];
    if (!service_w[0])
        for (int i = 0; i < N_SERVICES; i++) service_w[i] = s_services[i].weight;
    if (!street_w[0])
        for (int i = 0; i < N_STREETS; i++) street_w[i] = s_streets[i].weight;
    const service_t *sv = &s_services[s_weighted(service_w, N_SERVICES)];
    const street_t *st = &s_streets[s_weighted(street_w, N_STREETS)];
    const char *channel = s_channels[s_weighted(s_channel_w, N_CHANNELS)];
    Intake__Person *p = hub_arena_alloc(a, sizeof *p);
    Intake__GeoPoint *loc = hub_arena_alloc(a, sizeof *loc);
    Intake__HistoryEntry *h = hub_arena_alloc(a, 2 * sizeof *h), **hp = hub_arena_alloc(a, 2 * sizeof *hp);
    intake__person__init(p);
    intake__geo_point__init(loc);
    intake__request__init(r);
    char buf[128];
    snprintf(buf, sizeof buf, "%s%s", s_surnames[s_below(14)], s_given[s_below(12)]);
    p->name = hub_arena_strdup(a, buf);
    snprintf(buf, sizeof buf, "13%09llu", (unsigned long long)(s_rand() % 1000000000ULL));
    p->phone = hub_arena_strdup(a, buf);
    uint32_t kind = s_below(20);
    p->kind = kind < 17 ? INTAKE__REQUESTER_KIND__RESIDENT
              : kind < 19 ? INTAKE__REQUESTER_KIND__ORGANIZATION
                          : INTAKE__REQUESTER_KIND__ENTERPRISE;
    if (sv->attr) {
        Intake__AttributeAnswer *ans = hub_arena_alloc(a, sizeof *ans), **ap = hub_arena_alloc(a, sizeof *ap);
        char **vals = hub_arena_alloc(a, sizeof *vals);
        int nv = 0;
        while (nv < 5 && sv->values[nv]) nv++;
        intake__attribute_answer__init(ans);
        ans->code = (char *)sv->attr;
        vals[0] = (char *)sv->values[s_below((uint32_t)nv)];
        ans->values = vals;
        ans->n_values = 1;
        ap[0] = ans;
        r->attributes = ap;
        r->n_attributes = 1;
    }
    snprintf(buf, sizeof buf, "%s%u号", st->road, 1 + s_below(300));
    r->address = hub_arena_strdup(a, buf);
    loc->lat = st->lat + (s_unit() - 0.5) * 0.01;
    loc->lon = st->lon + (s_unit() - 0.5) * 0.01;
    r->location = loc;
    r->service_request_id = (char *)rq->id;
    r->channel = (char *)channel;
    snprintf(buf, sizeof buf, "%s-%016llx", channel, (unsigned long long)rq->seed);
    r->message_id = hub_arena_strdup(a, buf);
    r->requester = p;
    r->service_code = (char *)sv->code;
    r->description = (char *)sv->description;
    r->street = (char *)st->name;
    r->urgency = s_below(10) < 2 ? INTAKE__URGENCY__HIGH : INTAKE__URGENCY__NORMAL;
    r->preferred_contact = INTAKE__CONTACT_METHOD__PHONE;
    r->consent_to_contact = 1;
    r->language = "zh";
    r->status = closed_ms ? INTAKE__STATUS__CLOSED : INTAKE__STATUS__OPEN;
    r->duplicate_of = "";
    r->requested_ms = rq->requested_ms;
    r->updated_ms = closed_ms ? closed_ms : rq->requested_ms;
    for (int i = 0; i < 2; i++) {
        intake__history_entry__init(&h[i]);
        hp[i] = &h[i];
    }
    h[0].time_ms = rq->requested_ms;
    h[0].status = INTAKE__STATUS__OPEN;
    h[0].action = "submitted";
    h[0].by = (char *)channel;
    h[1].time_ms = closed_ms;
    h[1].status = INTAKE__STATUS__CLOSED;
    h[1].action = "close";
    h[1].by = "operator";
    h[1].text = "服务已完成，电话回访满意";
    r->history = hp;
    r->n_history = closed_ms ? 2 : 1;
    s_rng = save;
}

/* The opinion event of time t (id from the day's counter). */
static void s_opinion(hub_arena_t *a, const char *id, int64_t t, Intake__Opinion *o)
{
    static double street_w[N_STREETS];
    if (!street_w[0])
        for (int i = 0; i < N_STREETS; i++) street_w[i] = s_streets[i].weight;
    intake__opinion__init(o);
    const char *channel = s_channels[s_weighted(s_channel_w, N_CHANNELS)];
    const char *topic = s_topics[s_weighted(s_topic_w, N_TOPICS)];
    char buf[160];
    o->opinion_id = (char *)id;
    o->channel = (char *)channel;
    snprintf(buf, sizeof buf, "%s-op-%016llx", channel, (unsigned long long)s_rand());
    o->message_id = hub_arena_strdup(a, buf);
    o->anonymous = s_below(3) == 0;
    if (!o->anonymous) {
        Intake__Person *p = hub_arena_alloc(a, sizeof *p);
        intake__person__init(p);
        snprintf(buf, sizeof buf, "%s%s", s_surnames[s_below(14)], s_given[s_below(12)]);
        p->name = hub_arena_strdup(a, buf);
        snprintf(buf, sizeof buf, "13%09llu", (unsigned long long)(s_rand() % 1000000000ULL));
        p->phone = hub_arena_strdup(a, buf);
        p->kind = INTAKE__REQUESTER_KIND__RESIDENT;
        o->author = p;
    }
    o->topic = (char *)topic;
    o->street = (char *)s_streets[s_weighted(street_w, N_STREETS)].name;
    snprintf(buf, sizeof buf, "关于%s的建议：希望社区多听取居民意见，及时改进。", topic);
    o->text = hub_arena_strdup(a, buf);
    o->received_ms = t;
}

/* Writes n events into the outbox of the intake store in dir. 0 or -1. */
static int s_generate(gen_t *g, const char *dir, uint64_t n)
{
    const char *names[HUB_STORE_MAX_DBS + 1] = {"outbox"};
    for (int i = 0; intake_db_names[i] && i < HUB_STORE_MAX_DBS - 1; i++) names[i + 1] = intake_db_names[i];
    hub_error_t err = {0};
    if (!(g->store = hub_store_open(dir, (size_t)INTAKE_MAP_MB << 20, names, &err))) {
        fprintf(stderr, "bench_reporting: cannot open %s: %s\n", dir, err.message);
        return -1;
    }
    int rc = hub_outbox_init(&g->ob, g->store, g->store->dbs[0], "intake");
    if (rc) {
        fprintf(stderr, "bench_reporting: outbox of %s: %s\n", dir, mdb_strerror(rc));
        return -1;
    }
    double wsum = 0;
    for (int m = 0; m < 12; m++) wsum += s_month_w[m];
    for (int m = 0; m <= 12; m++) {
        g->month_from[m] = rep_date_ms(YEAR, m + 1, 1);
        g->month_cum[m] = 0;
        for (int j = 0; j < m; j++) g->month_cum[m] += s_month_w[j] / wsum;
    }
    g->month_cum[12] = 1.0;
    if (!(g->reqs = calloc(n, sizeof *g->reqs))) return -1;
    hub_arena_t *a = hub_arena_new(16u << 20);
    uint32_t day = 0, r_count = 0, o_count = 0;
    rc = 0;
    for (uint64_t k = 0; k < n && !rc;) {
        MDB_txn *txn;
        if ((rc = mdb_txn_begin(g->store->env, NULL, 0, &txn))) break;
        for (uint64_t end = k + CHUNK < n ? k + CHUNK : n; k < end && !rc; k++) {
            int64_t t = s_event_time(g, k, n);
            uint32_t d = rep_day(t);
            if (d != day) day = d, r_count = o_count = 0;
            hub_arena_reset(a);
            double u = s_unit();
            if (u < 0.10) { /* an opinion */
                char id[32];
                intake_format_id(id, sizeof id, 'O', t, ++o_count);
                Intake__Opinion o;
                Intake__OpinionEvent oe = INTAKE__OPINION_EVENT__INIT;
                s_opinion(a, id, t, &o);
                oe.opinion = &o;
                rc = s_append(g, txn, "intake.opinion.received", &oe.base, t);
                g->opinions++;
                continue;
            }
            req_t *rq = NULL;
            if (u < 0.15 && g->n_reqs > 2000) { /* close one accepted 0.2 to 8 days ago */
                size_t span = g->n_reqs < 20000 ? g->n_reqs - 500 : 19500;
                for (int tries = 0; tries < 4 && !rq; tries++) {
                    req_t *c = &g->reqs[g->n_reqs - 500 - 1 - s_below((uint32_t)span)];
                    if (!c->closed) rq = c;
                }
            }
            Intake__Request r;
            Intake__RequestEvent re = INTAKE__REQUEST_EVENT__INIT;
            re.request = &r;
            if (rq) {
                rq->closed = 1;
                s_request(a, rq, t, &r);
                re.action = "close";
                rc = s_append(g, txn, "intake.request.closed", &re.base, t);
                g->closed++;
            } else {
                rq = &g->reqs[g->n_reqs++];
                intake_format_id(rq->id, sizeof rq->id, 'R', t, ++r_count);
                rq->requested_ms = t;
                rq->seed = s_rand();
                s_request(a, rq, 0, &r);
                re.action = "submitted";
                rc = s_append(g, txn, "intake.request.accepted", &re.base, t);
                g->accepted++;
            }
        }
        if (rc) mdb_txn_abort(txn);
        else rc = mdb_txn_commit(txn);
    }
    hub_arena_destroy(&a);
    if (rc) fprintf(stderr, "bench_reporting: writing the backlog: %s\n", mdb_strerror(rc));
    return rc ? -1 : 0;
}

static void s_generated_close(gen_t *g)
{
    if (g->store) hub_outbox_fini(&g->ob);
    hub_store_close(&g->store);
    free(g->pbuf);
    free(g->ebuf);
    free(g->reqs);
    g->pbuf = g->ebuf = NULL;
    g->reqs = NULL;
}

/* ------------------------------------------------------------ queries */

typedef struct {
    const char *figure, *by, *label;
} qkind_t;

static const qkind_t s_kinds[] = {
    {"requests", "service", "requests by service"}, {"requests", "street", "requests by street"},
    {"requests", "channel", "requests by channel"}, {"requests", "status", "requests by status"},
    {"requests", "month", "requests by month"},     {"requests", "day", "requests by day"},
    {"times", "service", "times by service"},       {"times", "street", "times by street"},
    {"outcomes", "", "outcomes"},                   {"unmet", "", "unmet"},
    {"opinions", "topic", "opinions by topic"},     {"opinions", "street", "opinions by street"},
    {"opinions", "topic_street", "opinions by topic and street"},
    {"summary", "", "summary"},
};
#define N_KINDS (int)(sizeof s_kinds / sizeof *s_kinds)

/* The value of row `figure` of a summary table (-2 when absent). */
static int64_t s_summary_value(const Reporting__QueryReply *r, const char *figure)
{
    for (size_t t = 0; t < r->n_tables; t++)
        for (size_t i = 0; i < r->tables[t]->n_rows; i++) {
            const Reporting__Row *row = r->tables[t]->rows[i];
            if (row->n_keys && row->n_values && !strcmp(row->keys[0], figure)) return row->values[0];
        }
    return -2;
}

/* ------------------------------------------------------------ main */

int main(void)
{
    uint64_t n = (uint64_t)s_env("BENCH_REPORTING_EVENTS", 1000000);
    int n_queries = (int)s_env("BENCH_REPORTING_QUERIES", 100);
    const char *perf_out = getenv("BENCH_REPORTING_PERF");
    if (n > MAX_EVENTS) n = MAX_EVENTS;
    if (n < 1000) n = 1000;
    if (n_queries > 100000) n_queries = 100000;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    char load_before[64], load_after[64];
    s_loadavg(load_before, sizeof load_before);

    harness_t in, rp;
    char in_extra[64], rp_extra[2048], dir[300];
    snprintf(in_extra, sizeof in_extra, "map_size_mb = %d\n", INTAKE_MAP_MB);
    if (harness_init(&in, in_extra)) {
        fprintf(stderr, "bench_reporting: cannot prepare the daemons\n");
        return 1;
    }
    snprintf(rp_extra, sizeof rp_extra,
             "http =\n"
             "matching_api = ipc://%.200s/nobody-matching-api.sock\nmatching_pub = ipc://%.200s/nobody-matching-pub.sock\n"
             "notification_api = ipc://%.200s/nobody-notification-api.sock\n"
             "notification_pub = ipc://%.200s/nobody-notification-pub.sock\n"
             "tendering_api = ipc://%.200s/nobody-tendering-api.sock\n"
             "tendering_pub = ipc://%.200s/nobody-tendering-pub.sock\n",
             in.dir, in.dir, in.dir, in.dir, in.dir, in.dir);
    if (harness_init_peer(&rp, &in, "reporting", rp_extra)) {
        fprintf(stderr, "bench_reporting: cannot prepare the daemons\n");
        harness_fini(&in);
        return 1;
    }
    s_zctx = zmq_ctx_new();
    int rc = 1;
    hub_client_t *ci = NULL, *cr = NULL;
    hub_arena_t *a = hub_arena_new(256u << 20);
    double *lat = calloc((size_t)n_queries + 1, sizeof *lat);
    double kind_ms[N_KINDS][2][64];
    int kind_n[N_KINDS][2] = {{0}};
    size_t kind_rows[N_KINDS][2] = {{0}};
    pid_t perf_pid = -1;
    static int64_t sample_ns[MAX_SAMPLES];
    static uint64_t sample_seq[MAX_SAMPLES];
    int n_samples = 0;
    gen_t g;
    memset(&g, 0, sizeof g);
    if (!a || !lat) goto out;

    /* ---- 1. the backlog */
    snprintf(dir, sizeof dir, "%s/var/intake", in.dir);
    int64_t t0 = hub_mono_ns();
    if (s_generate(&g, dir, n)) goto out;
    uint64_t n_acc = g.accepted, n_closed = g.closed, n_op = g.opinions, ev_bytes = g.bytes;
    s_generated_close(&g);
    double gen_s = (double)(hub_mono_ns() - t0) / 1e9;
    char cmd[400], du[64] = "?";
    snprintf(cmd, sizeof cmd, "du -sm '%s' 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    if (p) {
        if (fscanf(p, "%63s", du) != 1) snprintf(du, sizeof du, "?");
        pclose(p);
    }
    if (harness_start(&in)) {
        fprintf(stderr, "bench_reporting: hub-intake does not start on the backlog (BUILD=%s, dir %s)\n",
                getenv("BUILD") ? getenv("BUILD") : "build", in.dir);
        goto out;
    }
    ci = hub_client_new(s_zctx, in.api, NULL, 30000);
    Hub__StatusReply *st = NULL;
    if (!ci || s_status(ci, a, &st)) goto out;
    if (st->last_seq != n) {
        fprintf(stderr, "bench_reporting: hub-intake's last sequence is %llu, %llu events were written\n",
                (unsigned long long)st->last_seq, (unsigned long long)n);
        goto out;
    }
    uint64_t intake_epoch = st->epoch;
    double intake_cpu0 = s_proc_cpu(in.pid), self_cpu0 = s_self_cpu();
    cpu_t m0 = s_machine_cpu();

    /* catch-up: from launching hub-reporting to its cursor at n */
    int64_t c0 = hub_mono_ns();
    if (harness_start(&rp)) {
        fprintf(stderr, "bench_reporting: hub-reporting does not start (BUILD=%s, dir %s)\n",
                getenv("BUILD") ? getenv("BUILD") : "build", in.dir);
        goto out;
    }
    double ready_ms = s_ms(hub_mono_ns() - c0);
    if (perf_out && *perf_out) {
        char pid_s[24];
        snprintf(pid_s, sizeof pid_s, "%d", (int)rp.pid);
        const char *argv[] = {"/usr/bin/perf", "record", "-g", "-o", perf_out, "-p", pid_s, NULL};
        perf_pid = harness_spawn(argv, "/dev/null");
    }
    cr = hub_client_new(s_zctx, rp.api, NULL, 30000);
    if (!cr) goto out;
    uint64_t seq = 0, last_seq_seen = 0;
    bool verbose = getenv("BENCH_VERBOSE") != NULL;
    int64_t last_print = hub_mono_ns(), last_progress = hub_mono_ns(), deadline = c0 + (int64_t)(120000 + n) * 1000000;
    while (seq < n) {
        struct timespec ts = {0, POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
        if (s_status(cr, a, &st)) goto out;
        seq = s_cursor_of(st, "intake");
        int64_t now = hub_mono_ns();
        if (n_samples < MAX_SAMPLES) sample_ns[n_samples] = now - c0, sample_seq[n_samples++] = seq;
        if (seq != last_seq_seen) last_seq_seen = seq, last_progress = now;
        if (verbose && now - last_print >= 10000000000LL) {
            last_print = now;
            fprintf(stderr, "bench_reporting: %.0f s: cursor %llu of %llu, %.0f events/s so far\n",
                    (double)(now - c0) / 1e9, (unsigned long long)seq, (unsigned long long)n,
                    (double)seq / ((double)(now - c0) / 1e9));
        }
        if (now - last_progress > (int64_t)STALL_MS * 1000000 || now > deadline) {
            fprintf(stderr, "bench_reporting: catch-up stalled at %llu of %llu events after %.1f s (dir %s)\n",
                    (unsigned long long)seq, (unsigned long long)n, (double)(now - c0) / 1e9, in.dir);
            s_dump("reporting", cr, rp.pid);
            s_dump("intake", ci, in.pid);
            goto out;
        }
    }
    double catchup_s = (double)(hub_mono_ns() - c0) / 1e9, rate = (double)n / catchup_s;
    /* CPU over the window (reporting since its start) */
    thr_t thr[MAX_THREADS];
    int n_thr = s_threads(rp.pid, thr, MAX_THREADS);
    double rp_cpu = s_proc_cpu(rp.pid), intake_cpu = s_proc_cpu(in.pid) - intake_cpu0,
           self_cpu = s_self_cpu() - self_cpu0;
    cpu_t m1 = s_machine_cpu();
    if (perf_pid > 0) harness_kill(perf_pid, SIGINT);
    perf_pid = -1;
    /* the rate over the first and the last tenth */
    double t_10 = 0, t_90 = 0;
    for (int i = 0; i < n_samples; i++) {
        if (!t_10 && sample_seq[i] >= n / 10) t_10 = (double)sample_ns[i] / 1e9;
        if (!t_90 && sample_seq[i] >= n - n / 10) t_90 = (double)sample_ns[i] / 1e9;
    }
    double rate_first = t_10 > 0 ? (double)(n / 10) / t_10 : 0,
           rate_last = catchup_s > t_90 ? (double)(n / 10) / (catchup_s - t_90) : 0;
    double ncpu = (double)sysconf(_SC_NPROCESSORS_ONLN);
    double m_busy = m1.total > m0.total ? (double)(m1.busy - m0.busy) / (double)(m1.total - m0.total) : 0,
           m_iowait = m1.total > m0.total ? (double)(m1.iowait - m0.iowait) / (double)(m1.total - m0.total) : 0;
    double m_busy_s = m_busy * ncpu * catchup_s, others_s = m_busy_s - rp_cpu - intake_cpu - self_cpu;

    /* every event applied, nothing refused; the counts are exact */
    if (s_status(cr, a, &st)) goto out;
    uint64_t applied = s_counter_of(st, "feed_events_applied_total"),
             failed = s_counter_of(st, "feed_events_failed_total"),
             unreadable = s_counter_of(st, "events_unreadable_total"),
             commit50 = s_counter_of(st, "commit_p50_us"), commit99 = s_counter_of(st, "commit_p99_us"),
             batch50 = s_counter_of(st, "batch_p50"), batch99 = s_counter_of(st, "batch_p99"),
             grown = s_counter_of(st, "store_map_grown_total"), rp_bytes = st->store_bytes;
    if (applied != n || failed || unreadable) {
        fprintf(stderr, "bench_reporting: reporting applied %llu events of %llu, %llu failed, %llu unreadable\n",
                (unsigned long long)applied, (unsigned long long)n, (unsigned long long)failed,
                (unsigned long long)unreadable);
        goto out;
    }
    for (size_t i = 0; i < st->n_subscriptions; i++)
        if (!strcmp(st->subscriptions[i]->publisher, "intake") && st->subscriptions[i]->epoch != intake_epoch) {
            fprintf(stderr, "bench_reporting: reporting follows intake epoch %llu, not %llu\n",
                    (unsigned long long)st->subscriptions[i]->epoch, (unsigned long long)intake_epoch);
            goto out;
        }
    int64_t year_from = rep_date_ms(YEAR, 1, 1), year_to = rep_date_ms(YEAR + 1, 1, 1);
    {
        Reporting__QueryRequest q = REPORTING__QUERY_REQUEST__INIT;
        Reporting__QueryReply *r = NULL;
        q.figure = "summary";
        q.from_ms = year_from;
        q.to_ms = year_to;
        hub_client_t *slow = hub_client_new(s_zctx, rp.api, NULL, CALL_MS);
        hub_arena_reset(a);
        int crc = slow ? s_call(slow, "reporting.query", &q.base, &reporting__query_reply__descriptor, a, &r) : -1;
        hub_client_destroy(&slow);
        if (crc) goto out;
        int64_t reqs = s_summary_value(r, "requests"), ops = s_summary_value(r, "opinions"),
                evs = s_summary_value(r, "events");
        if (reqs != (int64_t)n_acc || ops != (int64_t)n_op || evs != (int64_t)n) {
            fprintf(stderr,
                    "bench_reporting: summary of %d counts %lld requests, %lld opinions, %lld events; %llu, %llu and "
                    "%llu were written\n",
                    YEAR, (long long)reqs, (long long)ops, (long long)evs, (unsigned long long)n_acc,
                    (unsigned long long)n_op, (unsigned long long)n);
            goto out;
        }
    }

    /* ---- 2. queries on that year */
    hub_client_destroy(&cr);
    cr = hub_client_new(s_zctx, rp.api, NULL, CALL_MS);
    if (!cr) goto out;
    for (int i = 0; i < n_queries; i++) {
        int k = i % N_KINDS, month = (i / N_KINDS) % 2;
        int m = 1 + (i / (2 * N_KINDS) + k) % 12;
        Reporting__QueryRequest q = REPORTING__QUERY_REQUEST__INIT;
        Reporting__QueryReply *r = NULL;
        q.figure = (char *)s_kinds[k].figure;
        q.by = (char *)s_kinds[k].by;
        q.from_ms = month ? rep_date_ms(YEAR, m, 1) : year_from;
        q.to_ms = month ? rep_date_ms(YEAR, m + 1, 1) : year_to;
        hub_arena_reset(a);
        int64_t s0 = hub_mono_ns();
        if (s_call(cr, "reporting.query", &q.base, &reporting__query_reply__descriptor, a, &r)) {
            fprintf(stderr, "bench_reporting: query %d (%s, %s) refused\n", i, s_kinds[k].label,
                    month ? "one month" : "the year");
            goto out;
        }
        lat[i] = s_ms(hub_mono_ns() - s0);
        if (kind_n[k][month] < 64) kind_ms[k][month][kind_n[k][month]++] = lat[i];
        size_t rows = 0;
        for (size_t t = 0; t < r->n_tables; t++) rows += r->tables[t]->n_rows;
        kind_rows[k][month] = rows;
    }
    double q50 = s_quantile(lat, n_queries, 0.50), q99 = s_quantile(lat, n_queries, 0.99),
           qmax = s_quantile(lat, n_queries, 1.0);

    /* the yearly report (a refusal fails the run after the figures) */
    char report_error[1024] = "";
    double report_ms = 0;
    size_t report_bytes = 0;
    {
        Reporting__ReportRequest q = REPORTING__REPORT_REQUEST__INIT;
        Reporting__PageReply *r = NULL;
        hub_error_t err = {0};
        char period[8];
        snprintf(period, sizeof period, "%d", YEAR);
        q.kind = "yearly";
        q.period = period;
        hub_arena_reset(a);
        int64_t s0 = hub_mono_ns();
        int xrc = hub_client_call(cr, "reporting.report", &q.base, &reporting__page_reply__descriptor, a,
                                  (ProtobufCMessage **)&r, &err);
        report_ms = s_ms(hub_mono_ns() - s0);
        if (xrc)
            snprintf(report_error, sizeof report_error, "%s field \"%s\": %s (after %.0f ms)",
                     hub_error_code_name(err.code), err.field, err.message, report_ms);
        else if (!r->body || !strstr(r->body, "<svg"))
            snprintf(report_error, sizeof report_error, "the report (%zu bytes) holds no <svg> chart",
                     r->body ? strlen(r->body) : 0);
        else
            report_bytes = strlen(r->body);
    }
    s_loadavg(load_after, sizeof load_after);

    /* ---- the report */
    printf("\nreporting: a backlog of %llu intake events over %d (CST): %llu requests accepted, %llu closed, "
           "%llu opinions; %.0f MB of events (%s MB store), written in %.1f s (not measured).\n",
           (unsigned long long)n, YEAR, (unsigned long long)n_acc, (unsigned long long)n_closed,
           (unsigned long long)n_op, (double)ev_bytes / 1e6, du, gen_s);
    printf("hub-reporting READY %.0f ms after launch; store %.0f MB after catch-up%s. Load average before %s, "
           "after %s.\n\n",
           ready_ms, (double)rp_bytes / 1e6, grown ? " (map grown)" : "", load_before, load_after);
    printf("| measure | value |\n|---|---:|\n");
    printf("| **catch-up s** (%llu events, launch to cursor) | **%.1f** |\n", (unsigned long long)n, catchup_s);
    printf("| events applied/s: whole / first tenth / last tenth | %.0f / %.0f / %.0f |\n", rate, rate_first,
           rate_last);
    printf("| reporting: commit p50 / p99 us, events per batch p50 / p99 | %llu / %llu, %llu / %llu |\n",
           (unsigned long long)commit50, (unsigned long long)commit99, (unsigned long long)batch50,
           (unsigned long long)batch99);
    printf("| CPU s during catch-up: reporting / intake / bench / others | %.1f / %.1f / %.1f / %.1f |\n", rp_cpu,
           intake_cpu, self_cpu, others_s > 0 ? others_s : 0);
    printf("| machine (%.0f CPUs) busy / iowait during catch-up | %.0f %% / %.0f %% |\n", ncpu, 100 * m_busy,
           100 * m_iowait);
    for (int i = 0; i < n_thr; i++)
        if (thr[i].cpu_s >= 0.05 * catchup_s || thr[i].tid == (int)rp.pid)
            printf("| reporting thread %d (%s%s) CPU s | %.1f |\n", thr[i].tid, thr[i].comm,
                   thr[i].tid == (int)rp.pid ? ", the loop" : "", thr[i].cpu_s);
    printf("| **query round trip p50 / p99 / max ms** (%d queries) | **%.1f / %.1f** / %.1f |\n", n_queries, q50,
           q99, qmax);
    for (int k = 0; k < N_KINDS; k++) {
        double y = s_quantile(kind_ms[k][0], kind_n[k][0], 0.5), mo = s_quantile(kind_ms[k][1], kind_n[k][1], 0.5);
        printf("| %s: median ms year / month (rows year / month) | %.1f / %.1f (%zu / %zu) |\n", s_kinds[k].label, y,
               mo, kind_rows[k][0], kind_rows[k][1]);
    }
    if (report_error[0])
        printf("| **yearly report ms** | **refused: %s** |\n", report_error);
    else
        printf("| **yearly report ms** (%d, %.0f kB of HTML) | **%.0f** |\n", YEAR, (double)report_bytes / 1e3,
               report_ms);
    printf("\n");
    printf("bench reporting.catchup_1m_s %.1f s\n", catchup_s);
    printf("bench reporting.catchup_events_per_s %.0f events/s\n", rate);
    printf("bench reporting.query_p50_ms %.3f ms\n", q50);
    printf("bench reporting.query_p99_ms %.3f ms\n", q99);
    if (!report_error[0]) printf("bench reporting.yearly_report_ms %.1f ms\n", report_ms);
    if (getenv("BENCH_VERBOSE") && !s_status(cr, a, &st))
        for (size_t i = 0; i < st->n_counters; i++)
            fprintf(stderr, "  reporting %s = %llu\n", st->counters[i]->name,
                    (unsigned long long)st->counters[i]->value);
    if (report_error[0]) {
        fprintf(stderr, "bench_reporting: FAILED: reporting.report yearly %d refused: %s\n", YEAR, report_error);
        goto out;
    }
    rc = 0;
out:
    if (perf_pid > 0) harness_kill(perf_pid, SIGINT);
    s_generated_close(&g);
    hub_client_destroy(&ci);
    hub_client_destroy(&cr);
    hub_arena_destroy(&a);
    free(lat);
    int stop_rp = rp.pid > 0 ? harness_stop(&rp, SIGTERM) : 0, stop_in = in.pid > 0 ? harness_stop(&in, SIGTERM) : 0;
    if (stop_rp || stop_in) {
        fprintf(stderr, "bench_reporting: a daemon did not stop cleanly (reporting %d, intake %d)\n", stop_rp,
                stop_in);
        rc = 1;
    }
    harness_fini(&rp);
    harness_fini(&in);
    zmq_ctx_term(s_zctx);
    return rc;
}
