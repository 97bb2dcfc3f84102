/* hubctl's commands for hub-reporting: the figures ("report FIGURE") as
 * tables, JSON or CSV, the monthly and yearly reports for government
 * departments and the public disclosure pages (HTML on stdout, so that
 * "hubctl report yearly 2026 > report.html" works), and the health of
 * every daemon as reporting's monitor sees it ("health"). Every call goes
 * to [reporting] api. Cells are formatted by hub_figfmt (hub_fig_cell), the
 * same text as the dashboard and the reports: a suppressed count is "<5",
 * amounts in yuan, times as "35 min". Dates are China Standard Time days:
 * --from 2026-11 is 1 November 00:00, --to 2026-11 the end of November. */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "hub_figfmt.h"
#include "reporting.pb-c.h"
#include "table.h"

#define D "reporting"
#define CST_S (8 * 3600)
#define DAY_MS (86400LL * 1000)
#define MAX_CELL 60 /* display columns before a key cell is cut with "…" */

const char ctl_reporting_usage[] =
    "Commands (hub-reporting):\n"
    "  report FIGURE [--by X] [--from DATE] [--to DATE] [--district D] [--public]\n"
    "         [--json|--csv]\n"
    "                                    a figure as tables (default: all time); FIGURE\n"
    "                                    requests, times, outcomes, unmet, workload,\n"
    "                                    tenders, funds, disclosures, opinions,\n"
    "                                    activities, deliveries or summary; --by:\n"
    "                                    requests service|street|channel|status|kind|\n"
    "                                    day|month|district, times service|street|\n"
    "                                    district, funds month|day|district, opinions\n"
    "                                    topic|street|topic_street|district|\n"
    "                                    policy_topic|policy_topic_street, activities\n"
    "                                    kind|street|kind_street|month|district;\n"
    "                                    --district: only that\n"
    "                                    district (a city instance); --public: counts\n"
    "                                    below 5 shown as <5; --csv: one CSV per table\n"
    "  report monthly YYYY-MM [--exact] [--district D]\n"
    "                                    the monthly report for government departments\n"
    "  report yearly YYYY [--exact] [--district D]\n"
    "                                    the yearly report (HTML on stdout; --exact:\n"
    "                                    operators, no suppression of small counts)\n"
    "  report page donations|tenders [--json]\n"
    "                                    a public disclosure page (HTML, or its JSON)\n"
    "  health                            every daemon up or down, version, uptime, last\n"
    "                                    sequence, and each subscriber's lag\n"
    "  DATE: YYYY-MM-DD, YYYY-MM or YYYY (CST; --to includes the whole day, month or\n"
    "  year) or a TIME; e.g.\n"
    "    hubctl report requests --by street --from 2026-01 --to 2026-06 --csv\n"
    "    hubctl report times --from 2026-11-01 --public\n"
    "    hubctl report yearly 2026 > report.html\n"
    "    hubctl health\n";

/* ------------------------------------------------------------------ dates */

/* Unix ms of 00:00 CST on y-m-d (m 13 is January of y + 1, as timegm). */
static int64_t s_cst_midnight(int y, int m, int d)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    return ((int64_t)timegm(&tm) - CST_S) * 1000;
}

/* True when y-m-d is a real calendar date, 1970 on. */
static bool s_real_date(int y, int m, int d)
{
    if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    return back.tm_year == y - 1900 && back.tm_mon == m - 1 && back.tm_mday == d;
}

/* n decimal digits at s (no more, no fewer before a non-digit); the value or -1. */
static int s_digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* A --from / --to date: YYYY, YYYY-MM or YYYY-MM-DD (CST) is the start of
 * that year, month or day, or with end the start of the next one (so that
 * --to includes it); anything else as ctl_parse_time. 0 with *ms set, or
 * EXIT_USAGE after saying why. */
static int s_opt_date(const char *opt, const char *arg, bool end, int64_t *ms)
{
    size_t len = strlen(arg);
    int y = s_digits(arg, 4), m = 1, d = 1;
    bool whole = false;
    if (len == 4 && y >= 0) {
        whole = true;
        if (s_real_date(y, 1, 1)) { *ms = s_cst_midnight(end ? y + 1 : y, 1, 1); return 0; }
    } else if (len == 7 && y >= 0 && arg[4] == '-' && (m = s_digits(arg + 5, 2)) >= 0) {
        whole = true;
        if (s_real_date(y, m, 1)) { *ms = s_cst_midnight(y, end ? m + 1 : m, 1); return 0; }
    } else if (len == 10 && y >= 0 && arg[4] == '-' && arg[7] == '-' && (m = s_digits(arg + 5, 2)) >= 0 &&
               (d = s_digits(arg + 8, 2)) >= 0) {
        whole = true;
        if (s_real_date(y, m, d)) { *ms = s_cst_midnight(y, m, end ? d + 1 : d); return 0; }
    }
    if (whole) return ctl_bad(opt, arg, "is not a real date (1970 on)");
    int rc = ctl_parse_time(arg, ms);
    if (rc == CTL_TIME_TOO_FAR) return ctl_bad(opt, arg, "is too far ahead");
    if (rc)
        return ctl_bad(opt, arg, "wants YYYY-MM-DD, YYYY-MM or YYYY (CST), \"YYYY-MM-DD HH:MM\" or +N with d, h, m "
                                 "or s (\"+3d\")");
    return 0;
}

/* "YYYY-MM-DD" (CST) of ms; 4 static buffers in rotation. */
static const char *s_day(int64_t ms)
{
    static char buf[4][16];
    static int k;
    char *b = buf[k++ & 3];
    time_t t = (time_t)(ms / 1000) + CST_S;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(b, 16, "%Y-%m-%d", &tm);
    return b;
}

/* The range of a reply as "2026-01-01 .. 2026-12-31" (whole CST days: the
 * last day included), times where the bounds are not midnights. */
static const char *s_range(ctl_t *c, int64_t from_ms, int64_t to_ms)
{
    bool from_day = (from_ms / 1000 + CST_S) % 86400 == 0, to_day = (to_ms / 1000 + CST_S) % 86400 == 0;
    const char *from = from_ms <= 0 ? "the beginning" : from_day ? s_day(from_ms) : ctl_time(from_ms);
    const char *to = to_ms <= 0 ? "now" : to_day ? s_day(to_ms - DAY_MS) : ctl_time(to_ms);
    return ctl_fmt(c, "%s .. %s (CST)", from, to);
}

/* ------------------------------------------------------------------ grids */

/* Cells for s_grid_print: rows of ncols strings in the arena, row 0 the
 * headers; right[i]: column i is right-aligned (numbers). */
typedef struct {
    int ncols;
    size_t nrows;
    const char ***rows;
    bool *right;
} grid_t;

static void s_grid_init(ctl_t *c, grid_t *g, int ncols)
{
    *g = (grid_t){.ncols = ncols};
    g->right = ctl_alloc(c, (size_t)ncols * sizeof *g->right);
}

/* Appends a row of g->ncols cells (borrowed: arena or static). */
static void s_grid_row(ctl_t *c, grid_t *g, const char **cells)
{
    ctl_push(c, &g->rows, &g->nrows, (void *)cells);
}

/* s cut to at most max display columns ("…" last), newlines as spaces; arena. */
static const char *s_clip(ctl_t *c, const char *s)
{
    char *out = ctl_alloc(c, strlen(s) + 4);
    size_t o = 0;
    int w = 0;
    for (const char *p = s; *p;) {
        const unsigned char b = (unsigned char)*p;
        size_t n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
        for (size_t i = 1; i < n; i++)
            if (!p[i]) { n = i; break; }
        char ch[5] = {0};
        memcpy(ch, p, n);
        if (n == 1 && (*ch == '\n' || *ch == '\r' || *ch == '\t')) *ch = ' ';
        int cw = table_width(ch);
        if (w + cw > MAX_CELL - 1 && p[n]) {
            memcpy(out + o, "\xE2\x80\xA6", 3); /* … */
            o += 3;
            break;
        }
        memcpy(out + o, ch, n);
        o += n;
        w += cw;
        p += n;
    }
    out[o] = 0;
    return out;
}

/* Prints the grid: columns two spaces apart, widths by display columns
 * (Chinese text lines up), no trailing blanks. */
static void s_grid_print(ctl_t *c, const grid_t *g)
{
    int *width = ctl_alloc(c, (size_t)g->ncols * sizeof *width);
    for (size_t r = 0; r < g->nrows; r++)
        for (int i = 0; i < g->ncols; i++) {
            g->rows[r][i] = s_clip(c, g->rows[r][i] ? g->rows[r][i] : "");
            int w = table_width(g->rows[r][i]);
            if (w > width[i]) width[i] = w;
        }
    for (size_t r = 0; r < g->nrows; r++) {
        int pending = 0; /* blanks owed before the next cell */
        for (int i = 0; i < g->ncols; i++) {
            const char *cell = g->rows[r][i];
            int pad = width[i] - table_width(cell);
            if (i) pending += 2;
            if (g->right[i]) pending += pad;
            if (*cell) {
                printf("%*s%s", pending, "", cell);
                pending = 0;
            }
            if (!g->right[i]) pending += pad;
        }
        putchar('\n');
    }
}

/* ------------------------------------------------------------------ report FIGURE */

/* A column name as a header: upper case, "_fen" as " (YUAN)", "_x100" dropped. */
static const char *s_header(ctl_t *c, const char *name, const char *unit)
{
    char buf[128];
    size_t len = strlen(name);
    if (len >= sizeof buf) len = sizeof buf - 1;
    memcpy(buf, name, len);
    buf[len] = 0;
    bool yuan = unit && !strcmp(unit, "fen");
    if (len > 4 && !strcmp(buf + len - 4, "_fen")) buf[len -= 4] = 0;
    if (len > 5 && !strcmp(buf + len - 5, "_x100")) buf[len -= 5] = 0;
    for (char *p = buf; *p; p++)
        if (*p >= 'a' && *p <= 'z') *p -= 32;
    if (unit && !strcmp(unit, "hours_x100") && !strstr(buf, "HOURS")) return ctl_fmt(c, "%s (H)", buf);
    return yuan ? ctl_fmt(c, "%s (YUAN)", buf) : ctl_fmt(c, "%s", buf);
}

/* One row's cells: its keys under the key columns, then its values. */
static const char **s_row_cells(ctl_t *c, const Reporting__Table *t, const Reporting__Row *row)
{
    int ncols = (int)(t->n_key_columns + t->n_value_columns);
    const char **cells = ctl_alloc(c, (size_t)ncols * sizeof *cells);
    for (size_t k = 0; k < t->n_key_columns; k++) cells[k] = k < row->n_keys ? row->keys[k] : "";
    for (size_t v = 0; v < t->n_value_columns; v++) {
        if (v >= row->n_values) { cells[t->n_key_columns + v] = ""; continue; }
        char buf[64];
        hub_fig_cell(hub_fig_row_unit(t, row, v), row->values[v], buf, sizeof buf);
        cells[t->n_key_columns + v] = ctl_fmt(c, "%s", buf);
    }
    return cells;
}

/* A table: its title line, the headers, the rows, the total row (none
 * when there are no rows: "(no data)" instead). */
static void s_print_table(ctl_t *c, const Reporting__Table *t)
{
    if (*t->title && *t->name) printf("%s (%s)\n", t->title, t->name);
    else printf("%s\n", *t->title ? t->title : t->name);
    int ncols = (int)(t->n_key_columns + t->n_value_columns);
    if (!ncols) return;
    grid_t g;
    s_grid_init(c, &g, ncols);
    const char **head = ctl_alloc(c, (size_t)ncols * sizeof *head);
    for (size_t k = 0; k < t->n_key_columns; k++) head[k] = s_header(c, t->key_columns[k], NULL);
    for (size_t v = 0; v < t->n_value_columns; v++) {
        head[t->n_key_columns + v] = s_header(c, t->value_columns[v], hub_fig_unit(t, v));
        g.right[t->n_key_columns + v] = true;
    }
    s_grid_row(c, &g, head);
    for (size_t r = 0; r < t->n_rows; r++) s_grid_row(c, &g, s_row_cells(c, t, t->rows[r]));
    if (t->n_rows && t->total && t->total->n_values) {
        const char **cells = s_row_cells(c, t, t->total);
        if (t->n_key_columns && !t->total->n_keys) cells[0] = "合计";
        s_grid_row(c, &g, cells);
    }
    s_grid_print(c, &g);
    if (!t->n_rows) printf("(no data)\n");
}

static int s_report_figure(ctl_t *c, const char *figure, const ctl_op_t *ops, size_t n_ops, bool csv)
{
    Reporting__QueryRequest req = REPORTING__QUERY_REQUEST__INIT;
    req.figure = (char *)figure;
    int rc;
    for (size_t i = 0; i < n_ops; i++) {
        const ctl_op_t *op = &ops[i];
        switch (op->code) {
        case 'b': req.by = op->arg; break;
        case 'f': if ((rc = s_opt_date(op->name, op->arg, false, &req.from_ms))) return rc; break;
        case 't': if ((rc = s_opt_date(op->name, op->arg, true, &req.to_ms))) return rc; break;
        case 'p': req.public_view = 1; break;
        case 'd': req.district = op->arg; break;
        default: break;
        }
    }
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, "reporting.query", &req.base, &reporting__query_reply__descriptor, &rep))) return rc;
    const Reporting__QueryReply *q = (Reporting__QueryReply *)rep;
    if (c->json) {
        json_t *j = hub_fig_json(q);
        if (!j) { fprintf(stderr, "hubctl: out of memory\n"); return EXIT_REFUSED; }
        json_dumpf(j, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(j);
        return 0;
    }
    if (csv) {
        for (size_t i = 0; i < q->n_tables; i++) {
            char *text = hub_fig_csv(q->tables[i]);
            if (!text) { fprintf(stderr, "hubctl: out of memory\n"); return EXIT_REFUSED; }
            if (q->n_tables > 1) printf("%s# %s\r\n", i ? "\r\n" : "", q->tables[i]->name);
            fputs(text, stdout);
            free(text);
        }
        return 0;
    }
    ctl_kv("period", s_range(c, q->from_ms, q->to_ms));
    if (q->suppressed) ctl_kv("note", "counts below 5 are shown as <5");
    for (size_t i = 0; i < q->n_tables; i++) {
        putchar('\n');
        s_print_table(c, q->tables[i]);
    }
    return 0;
}

/* ------------------------------------------------------------------ reports and pages */

/* Prints a page's body as it came (a newline added if it has none). */
static void s_print_body(const Reporting__PageReply *p)
{
    size_t len = strlen(p->body);
    fputs(p->body, stdout);
    if (len && p->body[len - 1] != '\n') putchar('\n');
}

/* "report monthly 2026-11" / "report yearly 2026" [--exact] [--district D]
 * (district NULL: all); --json the reply. */
static int s_report_period(ctl_t *c, const char *kind, const char *period, bool exact, const char *district)
{
    Reporting__ReportRequest req = REPORTING__REPORT_REQUEST__INIT;
    req.kind = (char *)kind;
    req.period = (char *)period;
    req.exact = exact;
    if (district) req.district = (char *)district;
    ProtobufCMessage *rep;
    int rc = ctl_call(c, D, "reporting.report", &req.base, &reporting__page_reply__descriptor, &rep);
    if (rc) return rc;
    if (c->json) ctl_print_json(rep);
    else s_print_body((Reporting__PageReply *)rep);
    return 0;
}

/* "report page donations|tenders": the HTML page, or with --json the page
 * as the daemon's JSON (printed as it came). */
static int s_report_page(ctl_t *c, const char *page)
{
    Reporting__PageRequest req = REPORTING__PAGE_REQUEST__INIT;
    req.page = (char *)page;
    if (c->json) req.format = "json";
    ProtobufCMessage *rep;
    int rc = ctl_call(c, D, "reporting.page", &req.base, &reporting__page_reply__descriptor, &rep);
    if (rc) return rc;
    s_print_body((Reporting__PageReply *)rep);
    return 0;
}

/* report FIGURE [--by X] [--from D] [--to D] [--district D] [--public] [--json|--csv]
 * report monthly|yearly PERIOD [--exact] [--district D] [--json]
 * report page donations|tenders [--json] */
static int cmd_report(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"by", 1, 0, 'b'},     {"from", 1, 0, 'f'}, {"to", 1, 0, 't'},    {"public", 0, 0, 'p'},
        {"json", 0, 0, 'j'},   {"csv", 0, 0, 'C'},  {"exact", 0, 0, 'x'}, {"district", 1, 0, 'd'},
        {0, 0, 0, 0}};
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = ctl_collect(c, argc, argv, opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos < 1) return ctl_usage();
    if (ctl_op(ops, n_ops, 'j')) c->json = 1;
    bool csv = ctl_op(ops, n_ops, 'C') != NULL, exact = ctl_op(ops, n_ops, 'x') != NULL;
    bool figure_opts = ctl_op(ops, n_ops, 'b') || ctl_op(ops, n_ops, 'f') || ctl_op(ops, n_ops, 't') ||
                       ctl_op(ops, n_ops, 'p') || csv;
    const char *what = pos[0];
    if (!strcmp(what, "monthly") || !strcmp(what, "yearly")) {
        if (n_pos != 2) return ctl_usage();
        if (figure_opts) {
            fprintf(stderr, "hubctl: report %s takes only --exact and --district (and --json)\n", what);
            return EXIT_USAGE;
        }
        const ctl_op_t *d = ctl_op(ops, n_ops, 'd');
        return s_report_period(c, what, pos[1], exact, d ? d->arg : NULL);
    }
    if (!strcmp(what, "page")) {
        if (n_pos != 2) return ctl_usage();
        if (figure_opts || exact || ctl_op(ops, n_ops, 'd')) {
            fprintf(stderr, "hubctl: report page takes only --json\n");
            return EXIT_USAGE;
        }
        return s_report_page(c, pos[1]);
    }
    if (n_pos != 1) return ctl_usage();
    if (exact) {
        fprintf(stderr, "hubctl: --exact is for report monthly|yearly (figures are exact unless --public)\n");
        return EXIT_USAGE;
    }
    if (csv && c->json) {
        fprintf(stderr, "hubctl: --json and --csv exclude each other\n");
        return EXIT_USAGE;
    }
    return s_report_figure(c, what, ops, n_ops, csv);
}

/* ------------------------------------------------------------------ health */

/* Seconds as "45s", "12m 03s", "3h 12m", "2d 04h". */
static const char *s_duration(ctl_t *c, int64_t s)
{
    if (s < 0) s = 0;
    if (s < 60) return ctl_fmt(c, "%llds", (long long)s);
    if (s < 3600) return ctl_fmt(c, "%lldm %02llds", (long long)(s / 60), (long long)(s % 60));
    if (s < 86400) return ctl_fmt(c, "%lldh %02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    return ctl_fmt(c, "%lldd %02lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

/* "health": every daemon reporting's monitor follows, then the lags. */
static int cmd_health(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"json", 0, 0, 'j'}, {0, 0, 0, 0}};
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = ctl_collect(c, argc, argv, opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos) return ctl_usage();
    if (ctl_op(ops, n_ops, 'j')) c->json = 1;
    Reporting__HealthRequest req = REPORTING__HEALTH_REQUEST__INIT;
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, "reporting.health", &req.base, &reporting__health_reply__descriptor, &rep))) return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    const Reporting__HealthReply *h = (Reporting__HealthReply *)rep;
    grid_t g;
    s_grid_init(c, &g, 6);
    g.right[3] = g.right[4] = true;
    static const char *head[] = {"DAEMON", "STATE", "VERSION", "UPTIME", "LAST SEQ", "LAST HEARTBEAT (CST)"};
    s_grid_row(c, &g, head);
    for (size_t i = 0; i < h->n_daemons; i++) {
        const Reporting__DaemonHealth *d = h->daemons[i];
        const char **cells = ctl_alloc(c, 6 * sizeof *cells);
        cells[0] = d->name;
        cells[1] = d->up ? "up" : "down";
        cells[2] = d->version;
        cells[3] = d->last_heartbeat_ms ? s_duration(c, d->uptime_s) : "-";
        cells[4] = ctl_fmt(c, "%llu", (unsigned long long)d->last_seq);
        cells[5] = d->last_heartbeat_ms ? ctl_fmt(c, "%s", ctl_time(d->last_heartbeat_ms)) : "never";
        s_grid_row(c, &g, cells);
    }
    s_grid_print(c, &g);
    printf("\n");
    grid_t l;
    s_grid_init(c, &l, 4);
    l.right[2] = l.right[3] = true;
    static const char *lhead[] = {"SUBSCRIBER", "PUBLISHER", "CURSOR", "LAG"};
    s_grid_row(c, &l, lhead);
    for (size_t i = 0; i < h->n_lags; i++) {
        const Reporting__Lag *x = h->lags[i];
        const char **cells = ctl_alloc(c, 4 * sizeof *cells);
        cells[0] = x->subscriber;
        cells[1] = x->publisher;
        cells[2] = ctl_fmt(c, "%llu", (unsigned long long)x->seq);
        cells[3] = ctl_fmt(c, "%llu", (unsigned long long)x->lag);
        s_grid_row(c, &l, cells);
    }
    s_grid_print(c, &l);
    if (!h->n_lags) printf("(no subscribers)\n");
    return 0;
}

const ctl_command_t ctl_reporting_commands[] = {
    {"report", cmd_report},
    {"health", cmd_health},
    {NULL, NULL},
};
