#include "reporting_svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_figfmt.h"
#include "hub_log.h"
#include "hub_util.h"
#include "html.h"

#define R_READ "operator auditor dashboard public subscriber"
#define R_EXACT "operator auditor"          /* may see counts below 5 */
#define R_INTERNAL HUB_ROLE_INTERNAL
#define SCRATCH_BUDGET (256u << 20)         /* the figures behind one report */
#define PAGE_MAX (12u << 20)                /* largest HTML reply */

const char *const reporting_db_names[] = {"facts",       "by_day", "counts",     "tenders",
                                          "disclosures", "names",  "activities", NULL};

static const char *const s_upstreams[REPORTING_FEEDS] = {"intake", "matching", "notification", "tendering"};

/* ------------------------------------------------------------ the feeds */

/* hub_feed_apply_fn: one event of any upstream, in the command's
 * transaction; a city's feed "D.intake" applies it as district D's. */
static int s_apply(hub_call_t *call, const char *publisher, const Hub__Event *ev, void *arg)
{
    reporting_t *r = arg;
    int mdb_rc = 0;
    char district[REP_DISTRICT_MAX + 1] = "";
    const char *dot = strchr(publisher, '.');
    if (dot && dot - publisher <= REP_DISTRICT_MAX) memcpy(district, publisher, (size_t)(dot - publisher));
    if (rep_apply_district(call->txn, &r->dbs, district, ev, call->arena, &mdb_rc, &call->err)) {
        if (mdb_rc) return hub_call_mdb_error(call, mdb_rc);
        return -1;   /* logged and counted by hub_feed (feed_events_failed_total) */
    }
    hub_rpc_count(call->rpc, "events_applied_total", 1);
    return 0;
}

/* hub_feed_done_fn: the counters of a batch of events, written once. */
static int s_done(hub_call_t *call, bool ok, void *arg)
{
    reporting_t *r = arg;
    if (!ok) {
        rep_acc_clear(r->acc);
        return 0;
    }
    int rc = rep_acc_flush(r->acc, call->txn, &r->dbs);
    return rc ? hub_call_mdb_error(call, rc) : 0;
}

/* ------------------------------------------------------------- handlers */

/* True when the caller sees exact figures (not suppressed). */
static bool s_exact_role(const hub_call_t *call) { return hub_call_has_role(call, R_EXACT); }

/* The districts r reports on (rep_districts_t over r's arrays). */
static rep_districts_t s_districts_of(const reporting_t *r)
{
    return (rep_districts_t){r->local, (const char(*)[REP_DISTRICT_MAX + 1])r->districts, r->n_districts};
}

/* 0 when district is "" (all), "-" or the local district's name, or one
 * of [reporting] districts; else -1 with NOT_FOUND naming them. */
static int s_district_known(const reporting_t *r, const char *district, hub_error_t *err)
{
    rep_districts_t set = s_districts_of(r);
    return rep_district_known(&set, district, err);
}

/* "reporting.query": one figure. Principals other than operators and
 * auditors always get the public (suppressed) view. */
static int s_query(hub_call_t *call, void *ctx)
{
    reporting_t *r = ctx;
    Reporting__QueryRequest q = *(const Reporting__QueryRequest *)call->req;
    if (!s_exact_role(call)) q.public_view = true;
    if (s_district_known(r, q.district, &call->err)) return -1;
    Reporting__QueryReply *rep;
    int mdb_rc = 0;
    if (rep_query(call->txn, &r->dbs, &q, hub_now_ms(), call->arena, &rep, &mdb_rc, &call->err))
        return mdb_rc ? hub_call_mdb_error(call, mdb_rc) : -1;
    call->reply = &rep->base;
    return 0;
}

typedef struct {
    MDB_txn *txn;
    reporting_t *r;
    int mdb_rc;
    const char *district;   /* every figure limited to it ("" or NULL: all) */
} qctx_t;

/* rep_query_fn over a transaction, answers in the scratch arena. */
static int s_query_fn(void *arg, const Reporting__QueryRequest *q, Reporting__QueryReply **out, hub_error_t *err)
{
    qctx_t *c = arg;
    Reporting__QueryRequest dq = *q;
    if (c->district && *c->district) dq.district = (char *)c->district;
    return rep_query(c->txn, &c->r->dbs, &dq, hub_now_ms(), c->r->scratch, out, &c->mdb_rc, err);
}

/* Moves a malloc'd document into a PageReply of the call's arena. */
static int s_page_reply(hub_call_t *call, const char *type, char *body)
{
    size_t n = strlen(body);
    Reporting__PageReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    char *copy = n < PAGE_MAX ? hub_arena_alloc(call->arena, n + 1) : NULL;
    if (!rep || !copy) {
        free(body);
        return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "",
                             "the document (%zu bytes) is too large for one reply", n);
    }
    memcpy(copy, body, n + 1);
    free(body);
    reporting__page_reply__init(rep);
    rep->content_type = (char *)type;
    rep->body = copy;
    call->reply = &rep->base;
    return 0;
}

/* "reporting.report": the monthly or yearly HTML report (suppressed unless
 * an operator or auditor asks for exact figures). */
static int s_report(hub_call_t *call, void *ctx)
{
    reporting_t *r = ctx;
    const Reporting__ReportRequest *q = (const Reporting__ReportRequest *)call->req;
    if (q->exact && !s_exact_role(call))
        return hub_error_set(&call->err, HUB__ERROR_CODE__PERMISSION_DENIED, "exact",
                             "only operators and auditors may see counts below 5");
    if (s_district_known(r, q->district, &call->err)) return -1;
    hub_arena_reset(r->scratch);
    qctx_t c = {call->txn, r, 0, q->district};
    char *html = NULL;
    rep_districts_t set = s_districts_of(r);
    int rc = rep_html_report(q->kind, q->period, !q->exact, rep_district_title(&set, q->district), hub_now_ms(),
                             s_query_fn, &c, &html, &call->err);
    hub_arena_reset(r->scratch);
    if (rc) return c.mdb_rc ? hub_call_mdb_error(call, c.mdb_rc) : -1;
    return s_page_reply(call, "text/html; charset=utf-8", html);
}

/* "reporting.page": a public disclosure page, HTML or the figures as JSON. */
static int s_page(hub_call_t *call, void *ctx)
{
    reporting_t *r = ctx;
    const Reporting__PageRequest *q = (const Reporting__PageRequest *)call->req;
    hub_arena_reset(r->scratch);
    qctx_t c = {call->txn, r, 0, NULL};
    char *body = NULL;
    int rc;
    if (!strcmp(q->format, "json")) {
        const char *figure = !strcmp(q->page, "donations") ? "disclosures" : !strcmp(q->page, "tenders") ? "tenders" : NULL;
        if (!figure)
            return hub_error_set(&call->err, HUB__ERROR_CODE__NOT_FOUND, "page", "no page \"%.40s\": donations or tenders",
                                 q->page);
        Reporting__QueryRequest fq = REPORTING__QUERY_REQUEST__INIT;
        fq.figure = (char *)figure;
        fq.public_view = true;
        Reporting__QueryReply *rep;
        rc = s_query_fn(&c, &fq, &rep, &call->err);
        json_t *j = rc ? NULL : hub_fig_json(rep);
        body = j ? json_dumps(j, JSON_INDENT(1)) : NULL;
        json_decref(j);
        if (!rc && !body) rc = hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
    } else if (!*q->format || !strcmp(q->format, "html")) {
        rc = rep_html_page(q->page, hub_now_ms(), s_query_fn, &c, &body, &call->err);
    } else {
        rc = hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "format", "format is html or json");
    }
    hub_arena_reset(r->scratch);
    if (rc) return c.mdb_rc ? hub_call_mdb_error(call, c.mdb_rc) : -1;
    return s_page_reply(call, !strcmp(q->format, "json") ? "application/json" : "text/html; charset=utf-8", body);
}

/* "reporting.health": every daemon's heartbeat and subscriber lags. */
static int s_health(hub_call_t *call, void *ctx)
{
    reporting_t *r = ctx;
    Reporting__HealthReply *rep;
    if (!r->dash || rep_dash_health(r->dash, call->arena, &rep))
        return hub_error_set(&call->err, HUB__ERROR_CODE__UNAVAILABLE, "", "the monitor is not running");
    call->reply = &rep->base;
    return 0;
}

const hub_handler_t reporting_handlers[] = {
    {"reporting.query", &reporting__query_request__descriptor, s_query, R_READ},
    {"reporting.report", &reporting__report_request__descriptor, s_report, R_READ},
    {"reporting.page", &reporting__page_request__descriptor, s_page, R_READ},
    {"reporting.health", &reporting__health_request__descriptor, s_health, R_READ},
    {NULL, NULL, NULL, NULL},
};

/* -------------------------------------------------------------- life */

int reporting_migrate(hub_store_t *store, MDB_txn *txn, unsigned from, void *ctx, hub_error_t *err)
{
    (void)ctx;
    if (from != 1) return 0;   /* no other step */
    rep_dbs_t db = {.facts = store->dbs[REPORTING_DB_FACTS], .by_day = store->dbs[REPORTING_DB_BY_DAY],
                    .counts = store->dbs[REPORTING_DB_COUNTS], .tenders = store->dbs[REPORTING_DB_TENDERS],
                    .disclosures = store->dbs[REPORTING_DB_DISCLOSURES], .names = store->dbs[REPORTING_DB_NAMES],
                    .activities = store->dbs[REPORTING_DB_ACTIVITIES]};
    int rc = rep_migrate_policy_topics(txn, &db);
    return rc ? hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "counting opinions by policy topic: %s",
                              mdb_strerror(rc))
              : 0;
}

static void s_copy(char *dst, size_t cap, const char *src) { snprintf(dst, cap, "%s", src ? src : ""); }

/* Fills peer p from [section] <name>_pub / _api and its key files (p's
 * name: district.name, or name for the local district ""); both empty
 * leaves p->pub "" (that daemon is not followed). */
static int s_peer(hub_daemon_t *d, rep_peer_t *p, const char *section, const char *district, const char *name,
                  hub_error_t *err)
{
    char pk[64], ak[64];
    if (*district) snprintf(p->name, sizeof p->name, "%s.%s", district, name);
    else s_copy(p->name, sizeof p->name, name);
    snprintf(pk, sizeof pk, "%s_pub", name);
    snprintf(ak, sizeof ak, "%s_api", name);
    s_copy(p->pub, sizeof p->pub, hub_config_get(d->cfg, section, pk, ""));
    s_copy(p->api, sizeof p->api, hub_config_get(d->cfg, section, ak, ""));
    if (!*p->pub && !*p->api) return 0;   /* not followed (e.g. a district without tendering) */
    if (!*p->pub || !*p->api)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                             "[%s] needs both %s and %s (%s's endpoints), or neither", section, pk, ak, name);
    if (hub_feed_keys(d->cfg, section, name, p->server_key, p->public_key, p->secret_key, err)) return -1;
    p->curve = *p->server_key != 0;
    return 0;
}

/* Adds the upstreams of one district ("" = the local one, [reporting]
 * itself; else [reporting.<district>]) to r->peers. 0 or -1 with err. */
static int s_district_peers(hub_daemon_t *d, reporting_t *r, const char *district, hub_error_t *err)
{
    char section[64];
    snprintf(section, sizeof section, *district ? "reporting.%s" : "reporting", district);
    int before = r->n_peers;
    for (int i = 0; i < REPORTING_FEEDS; i++) {
        rep_peer_t p = {0};
        if (s_peer(d, &p, section, district, s_upstreams[i], err)) return -1;
        if (*p.pub) r->peers[r->n_peers++] = p;
    }
    if (*district && r->n_peers == before)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                             "[%s] follows no daemon: set at least intake_pub and intake_api", section);
    return 0;
}

/* Reads [reporting] district (the local district's name) and districts
 * (a city instance's: names separated by spaces or commas). 0 or -1 with err. */
static int s_districts(hub_daemon_t *d, reporting_t *r, hub_error_t *err)
{
    const char *local = hub_config_get(d->cfg, "reporting", "district", "");
    if (*local && !rep_district_ok(local))
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "district",
                             "[reporting] district is [a-z0-9_-]{1,%d}", REP_DISTRICT_MAX);
    s_copy(r->local, sizeof r->local, local);
    const char *list = hub_config_get(d->cfg, "reporting", "districts", "");
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " \t,");
        if (n) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(n < 63 ? n : 63), p);
            if (!rep_district_ok(name) || n > REP_DISTRICT_MAX)
                return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "districts",
                                     "[reporting] districts: \"%s\" is not a district name ([a-z0-9_-]{1,%d})", name,
                                     REP_DISTRICT_MAX);
            bool dup = !strcmp(name, r->local);
            for (int i = 0; i < r->n_districts; i++) dup = dup || !strcmp(name, r->districts[i]);
            if (dup)
                return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "districts",
                                     "[reporting] districts: \"%s\" named twice", name);
            if (r->n_districts == REPORTING_MAX_DISTRICTS)
                return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "districts",
                                     "[reporting] districts: at most %d per instance", REPORTING_MAX_DISTRICTS);
            memcpy(r->districts[r->n_districts++], name, n + 1);   /* n <= REP_DISTRICT_MAX: checked */
        }
        p += n;
        p += strspn(p, " \t,");
    }
    return 0;
}

int reporting_init(hub_daemon_t *d, int check_only, void **ctx, hub_error_t *err)
{
    reporting_t *r = calloc(1, sizeof *r);
    if (!r) return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "out of memory");
    r->d = d;
    s_copy(r->http, sizeof r->http, hub_config_get(d->cfg, "reporting", "http", ""));
    r->poll_ms = (int)hub_config_get_int(d->cfg, "reporting", "poll_ms", 1000);
    r->down_after_ms = (int)hub_config_get_int(d->cfg, "reporting", "down_after_ms", 3500);
    int rc = s_districts(d, r, err);
    if (!rc) rc = s_district_peers(d, r, "", err);
    for (int i = 0; i < r->n_districts && !rc; i++) rc = s_district_peers(d, r, r->districts[i], err);
    if (!rc && (r->poll_ms < 100 || r->poll_ms > 60000 || r->down_after_ms < r->poll_ms))
        rc = hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                           "[reporting] poll_ms is 100..60000 and down_after_ms at least poll_ms");
    if (!rc && *r->http && !strchr(r->http, ':'))
        rc = hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "http", "[reporting] http is host:port (or empty)");
    /* the policy topics' names in the reports: the catalogue intake uses */
    if (!rc && !(r->catalogue = intake_catalogue_load(hub_config_get(d->cfg, "intake", "catalogue", NULL), err)))
        rc = -1;
    if (rc) {
        free(r);
        return -1;
    }
    rep_html_topics(r->catalogue);
    /* reporting itself: its own heartbeats and status on the dashboard */
    rep_peer_t *self = &r->peers[r->n_peers];
    s_copy(self->name, sizeof self->name, "reporting");
    s_copy(self->pub, sizeof self->pub, hub_config_get(d->cfg, "reporting", "pub", ""));
    s_copy(self->api, sizeof self->api, hub_config_get(d->cfg, "reporting", "admin", ""));
    if (!*self->api) s_copy(self->api, sizeof self->api, hub_config_get(d->cfg, "reporting", "api", ""));
    if (!check_only) {
        if (!(r->scratch = hub_arena_new(SCRATCH_BUDGET)) || !(r->acc = rep_acc_new())) {
            hub_arena_destroy(&r->scratch);
            rep_html_topics(NULL);
            intake_catalogue_destroy(&r->catalogue);
            free(r);
            return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "out of memory");
        }
        r->dbs = (rep_dbs_t){hub_daemon_db(d, REPORTING_DB_FACTS),       hub_daemon_db(d, REPORTING_DB_BY_DAY),
                             hub_daemon_db(d, REPORTING_DB_COUNTS),      hub_daemon_db(d, REPORTING_DB_TENDERS),
                             hub_daemon_db(d, REPORTING_DB_DISCLOSURES), hub_daemon_db(d, REPORTING_DB_NAMES),
                             hub_daemon_db(d, REPORTING_DB_ACTIVITIES),  r->acc, r->local};
    }
    *ctx = r;
    return 0;
}

int reporting_start(hub_daemon_t *d, void *ctx, hub_error_t *err)
{
    reporting_t *r = ctx;
    int n_feeds = r->n_peers;
    for (int i = 0; i < n_feeds; i++) {
        rep_peer_t *p = &r->peers[i];
        hub_curve_t curve = {p->server_key, p->public_key, p->secret_key};
        r->feeds[i] = hub_feed_new(d->rpc, d->store, d->zctx, p->name, p->pub, p->api, p->curve ? &curve : NULL,
                                   s_apply, r, err);
        if (!r->feeds[i]) return -1;
        hub_feed_set_done(r->feeds[i], s_done);
        hub_feed_set_digest(r->feeds[i], rep_digest);
        if (hub_feed_start(r->feeds[i], err)) return -1;
    }
    rep_dash_conf_t dc = {r->http, r->peers, n_feeds + 1, r->poll_ms, r->down_after_ms,
                          d->zctx, d->store, &r->dbs, s_districts_of(r)};
    if (!(r->dash = rep_dash_new(&dc, err))) return -1;
    if (*r->http) hub_info("dashboard on http://%s/ (port %d)", r->http, rep_dash_port(r->dash));
    return 0;
}

void reporting_stop(void *ctx)
{
    reporting_t *r = ctx;
    rep_dash_destroy(&r->dash);
    for (int i = 0; i < REPORTING_MAX_FEEDS; i++) hub_feed_signal(r->feeds[i]);
    for (int i = 0; i < REPORTING_MAX_FEEDS; i++) hub_feed_destroy(&r->feeds[i]);
}

void reporting_fini(void *ctx)
{
    reporting_t *r = ctx;
    if (!r) return;
    reporting_stop(r);
    hub_arena_destroy(&r->scratch);
    rep_acc_destroy(&r->acc);
    rep_html_topics(NULL);
    intake_catalogue_destroy(&r->catalogue);
    free(r);
}
