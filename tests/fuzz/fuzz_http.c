/* fuzz_http: what a dashboard client controls in an HTTP request
 * (services/reporting/dash.c): the path (rep_dash_route), the query
 * arguments of /api/figures (rep_dash_figure_query: figure, by, from, to,
 * district, public) and the Last-Event-ID header of /events (rep_dash_resume_at);
 * then what the dashboard does with an accepted request: the figure over
 * a read transaction of reporting's store (rep_query, public view, then
 * hub_fig_json) or the report / public page (rep_html_report,
 * rep_html_page). libmicrohttpd's own parsing and percent-decoding are not
 * the project's and are not fuzzed here.
 *
 * Input: lines separated by '\n'. The first is the path as libmicrohttpd
 * hands it (decoded, no query); each further line "key=value" is one
 * decoded query argument (the first of a key wins, as in MHD), or
 * "Last-Event-ID: value" the header. A NUL ends the input.
 *
 * Invariants: a refusal has an error code; routes name their period
 * inside the path; a resumed stream starts within the ring; a figure that
 * was answered makes JSON. */
#include <jansson.h>
#include <string.h>

#include "dash.h"
#include "fuzz.h"
#include "hub_figfmt.h"
#include "html.h"

#define FUZZ_NOW_MS 1780243200000LL  /* 2026-06-01 CST: reports look at a fixed "now" */
#define FUZZ_HTTP_BUDGET (64u << 20) /* the dashboard's DASH_QUERY_BUDGET */
#define FUZZ_MAX_ARGS 32

typedef struct {
    const char *key[FUZZ_MAX_ARGS], *value[FUZZ_MAX_ARGS];
    size_t n;
} args_t;

/* rep_dash_arg_fn over the parsed lines. */
static const char *s_arg(void *ctx, const char *key)
{
    const args_t *a = ctx;
    for (size_t i = 0; i < a->n; i++)
        if (!strcmp(a->key[i], key)) return a->value[i];
    return NULL;
}

typedef struct {
    MDB_txn *txn;
    const rep_dbs_t *dbs;
    hub_arena_t *arena;
} query_t;

/* rep_query_fn over a read transaction, as the dashboard's. */
static int s_query(void *arg, const Reporting__QueryRequest *q, Reporting__QueryReply **out, hub_error_t *err)
{
    query_t *x = arg;
    int mdb_rc = 0;
    int rc = rep_query(x->txn, x->dbs, q, FUZZ_NOW_MS, x->arena, out, &mdb_rc, err);
    if (rc && mdb_rc) hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "store error %d", mdb_rc);
    if (rc) FUZZ_CHECK(err->code != 0);
    return rc;
}

FUZZ_TARGET(http)
{
    static hub_arena_t *arena;
    if (!arena && !(arena = hub_arena_new(FUZZ_HTTP_BUDGET))) abort();
    hub_arena_reset(arena);
    char *text = fuzz_strndup(data, size);
    args_t args = {.n = 0};
    const char *last_event_id = NULL;
    char *url = text, *line = strchr(text, '\n');
    if (line) *line++ = 0;
    while (line) {
        char *next = strchr(line, '\n');
        if (next) *next++ = 0;
        char *eq = strchr(line, '=');
        if (!strncmp(line, "Last-Event-ID: ", 15)) last_event_id = line + 15;
        else if (eq && args.n < FUZZ_MAX_ARGS) {
            *eq = 0;
            args.key[args.n] = line;
            args.value[args.n++] = eq + 1;
        }
        line = next;
    }

    rep_dash_route_t rt = rep_dash_route(url);
    if (rt.page == REP_DASH_REPORT) FUZZ_CHECK(rt.kind && rt.period >= url && rt.period < url + strlen(url));
    if (rt.page == REP_DASH_TOO_LONG) FUZZ_CHECK(strlen(url) > 1024);

    static const uint64_t rings[][2] = {{1, 1}, {1, 40}, {100, 612}, {UINT64_MAX - 600, UINT64_MAX}};
    for (size_t i = 0; i < sizeof rings / sizeof *rings; i++) {
        uint64_t at = rep_dash_resume_at(last_event_id, rings[i][0], rings[i][1]);
        FUZZ_CHECK(at >= rings[i][0] && at <= rings[i][1]);
    }

    rep_dbs_t dbs;
    hub_store_t *st = fuzz_report_store("http", &dbs);
    query_t x = {NULL, &dbs, arena};
    FUZZ_CHECK(mdb_txn_begin(st->env, NULL, MDB_RDONLY, &x.txn) == 0);
    hub_error_t err = {0};
    if (rt.page == REP_DASH_FIGURES) {
        Reporting__QueryRequest q;
        static const char names[][REP_DISTRICT_MAX + 1] = {"jiangbei", "beilun"};
        static const rep_districts_t districts = {"haishu", names, 2}; /* a city instance */
        if (rep_dash_figure_query(s_arg, &args, &q, &err) || rep_district_known(&districts, q.district, &err)) {
            FUZZ_CHECK(err.code != 0);
        } else {
            FUZZ_CHECK(q.public_view);
            Reporting__QueryReply *rep = NULL;
            if (!s_query(&x, &q, &rep, &err)) {
                json_t *j = hub_fig_json(rep);
                FUZZ_CHECK(j != NULL);
                char *body = json_dumps(j, JSON_COMPACT);
                FUZZ_CHECK(body != NULL);
                free(body);
                json_decref(j);
            }
        }
    } else if (rt.page == REP_DASH_REPORT || rt.page == REP_DASH_PUBLIC) {
        char *html = NULL;
        int rc = rt.kind ? rep_html_report(rt.kind, rt.period, true, NULL, FUZZ_NOW_MS, s_query, &x, &html, &err)
                         : rep_html_page(rt.period, FUZZ_NOW_MS, s_query, &x, &html, &err);
        if (rc) FUZZ_CHECK(err.code != 0);
        else FUZZ_CHECK(html != NULL);
        free(html);
    }
    mdb_txn_abort(x.txn);
    free(text);
    return 0;
}
