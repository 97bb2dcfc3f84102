/* html: the reports and public pages as standalone HTML5 documents. Each
 * document is written into one growable buffer; figures are asked through
 * the caller's query function and never kept after the document is done. */
#include "html.h"

#include "hub_util.h"
#include "report.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hub_figfmt.h"

#define CENTER "海曙区社会组织服务中心"
#define CST_OFFSET_S (8 * 3600)  /* China Standard Time, UTC+8, no DST */
#define SUPPRESSED (-1)          /* report.h REP_SUPPRESSED */
#define HOT_MIN_GROWTH 5         /* a hot issue grew by at least 5 requests */
#define HOT_MIN_PCT 20           /* ... and by at least 20% */
#define MAX_HIDDEN 4             /* a suppressed count ("<5") is at most 4 */
#define HOT_MAX_UNMET 10         /* unmet service/street pairs listed, largest first */
#define BAR_MAX 30               /* bars in a bar chart (workload may list hundreds) */
#define COLUMN_MAX 62            /* columns in a column chart (two months of days) */
#define CELL 48                  /* hub_fig_cell buffer */

/* ------------------------------------------------------------ buffer */

typedef hub_buf_t s_buf_t;   /* an allocation failed (oom): the document is dropped at the end */

static void s_putn(s_buf_t *b, const char *s, size_t n) { hub_buf_put(b, s, n); }

static void s_put(s_buf_t *b, const char *s)
{
    s_putn(b, s, strlen(s));
}

/* Formatted text, not escaped: only for numbers and literal markup. */
__attribute__((format(printf, 2, 3))) static void s_printf(s_buf_t *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) b->oom = true;
    else s_putn(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Text or an attribute value from data: & < > " ' escaped. */
static void s_esc(s_buf_t *b, const char *s)
{
    if (!s) return;
    for (const char *run = s;; s++) {
        const char *e = NULL;
        switch (*s) {
        case '&': e = "&amp;"; break;
        case '<': e = "&lt;"; break;
        case '>': e = "&gt;"; break;
        case '"': e = "&quot;"; break;
        case '\'': e = "&#39;"; break;
        case 0: s_putn(b, run, (size_t)(s - run)); return;
        default: continue;
        }
        s_putn(b, run, (size_t)(s - run));
        s_put(b, e);
        run = s + 1;
    }
}

/* ------------------------------------------------------------ document */

typedef struct {
    rep_query_fn q;
    void *arg;
    bool public_view;
    hub_error_t *err;
    s_buf_t b;
} s_doc_t;

/* Asks one figure over [from, to); 0, or -1 with doc->err set. */
static int s_ask(s_doc_t *d, const char *figure, const char *by, int64_t from, int64_t to,
                 Reporting__QueryReply **out)
{
    Reporting__QueryRequest req = REPORTING__QUERY_REQUEST__INIT;
    req.figure = (char *)figure;
    req.by = (char *)(by ? by : "");
    req.from_ms = from;
    req.to_ms = to;
    req.public_view = d->public_view;
    *out = NULL;
    int rc = d->q(d->arg, &req, out, d->err);
    if (rc == 0 && *out) return 0;
    if (rc == 0 || d->err->code == 0)
        hub_error_set(d->err, HUB__ERROR_CODE__INTERNAL, figure, "query %s failed", figure);
    return -1;
}

/* The table called name in r, else its only/first table; NULL if none. */
static const Reporting__Table *s_table(const Reporting__QueryReply *r, const char *name)
{
    if (!r || r->n_tables == 0) return NULL;
    for (size_t i = 0; i < r->n_tables; i++)
        if (r->tables[i]->name && !strcmp(r->tables[i]->name, name)) return r->tables[i];
    return r->tables[0];
}

/* Index of value column name in t, else SIZE_MAX. */
static size_t s_col_find(const Reporting__Table *t, const char *name)
{
    for (size_t i = 0; t && name && i < t->n_value_columns; i++)
        if (!strcmp(t->value_columns[i], name)) return i;
    return SIZE_MAX;
}

/* Index of value column name in t, else 0 (the first). */
static size_t s_col(const Reporting__Table *t, const char *name)
{
    size_t i = s_col_find(t, name);
    return i == SIZE_MAX ? 0 : i;
}

static int64_t s_val(const Reporting__Row *r, size_t i)
{
    return r && i < r->n_values ? r->values[i] : 0;
}

static const char *s_key(const Reporting__Row *r, size_t i)
{
    return r && i < r->n_keys && r->keys[i] ? r->keys[i] : "";
}

/* The row of t whose keys equal those of like; NULL if none. */
static const Reporting__Row *s_find_row(const Reporting__Table *t, const Reporting__Row *like)
{
    for (size_t i = 0; t && i < t->n_rows; i++) {
        const Reporting__Row *r = t->rows[i];
        bool same = r->n_keys == like->n_keys;
        for (size_t k = 0; same && k < r->n_keys; k++) same = !strcmp(s_key(r, k), s_key(like, k));
        if (same) return r;
    }
    return NULL;
}

/* The keys of r joined by " · ", escaped. */
static void s_keys(s_buf_t *b, const Reporting__Row *r)
{
    for (size_t k = 0; k < r->n_keys; k++) {
        if (k) s_put(b, " · ");
        s_esc(b, s_key(r, k));
    }
}

static const char *s_key_label(const Reporting__Table *t, size_t k, const char *v);

/* The same for a row of t, codes named (s_key_label). */
static void s_row_keys(s_buf_t *b, const Reporting__Table *t, const Reporting__Row *r)
{
    for (size_t k = 0; k < r->n_keys; k++) {
        if (k) s_put(b, " · ");
        s_esc(b, s_key_label(t, k, s_key(r, k)));
    }
}

/* Chinese captions of column and summary figure names; others as given. */
static const char *const s_labels[][2] = {
    {"requests", "求助请求"}, {"completed", "已办结"}, {"unmet", "未满足需求"},
    {"queued", "待人工处理"}, {"opinions", "意见建议"}, {"tenders", "招标与创投项目"},
    {"awarded_fen", "中标金额（元）"}, {"paid_fen", "已支付（元）"},
    {"donations_fen", "捐赠金额（元）"}, {"disbursed_fen", "捐赠支出（元）"},
    {"deliveries", "通知发送"}, {"events", "处理事件"}, {"service", "服务"}, {"street", "街道"},
    {"channel", "渠道"}, {"status", "状态"}, {"kind", "类型"}, {"day", "日期"}, {"month", "月份"},
    {"offer_p50", "首次派单 P50"}, {"offer_p90", "首次派单 P90"}, {"accept_p50", "接单 P50"},
    {"accept_p90", "接单 P90"}, {"close_p50", "办结 P50"}, {"close_p90", "办结 P90"},
    {"outcome", "办理结果"}, {"provider", "服务方编号"}, {"name", "名称"}, {"offers", "派单"},
    {"accepted", "接单"}, {"declined", "拒绝"}, {"expired", "超时"},
    {"hours_x100", "服务时长（小时）"}, {"state", "状态"}, {"processes", "项目数"},
    {"budget_fen", "预算（元）"}, {"ocid", "项目编号"}, {"title", "项目名称"},
    {"buyer", "采购方"}, {"winner", "中标方"}, {"bids", "有效投标"}, {"donations", "捐赠笔数"},
    {"disbursements", "支出笔数"}, {"contributions_fen", "配套资金（元）"},
    {"payments_fen", "项目支付（元）"}, {"date", "日期"}, {"recipient", "受助人"},
    {"purpose", "用途"}, {"amount_fen", "金额（元）"}, {"topic", "主题"}, {"action", "结果"},
    {"figure", "指标"}, {"value", "数值"}, {"policy_topic", "政策主题"}, {"activities", "举办活动"},
    {"cancelled", "取消活动"}, {"registrations", "报名人次"}, {"confirmed", "获得名额"},
    {"waitlisted", "候补"}, {"withdrawn", "取消报名"}, {"attended", "签到出席"},
};

/* Chinese names of the key values some tables carry as codes: activity
 * kinds (tables "activities_*", column "kind") and the policy topic of
 * opinions linked to none. Others as given. */
static const char *const s_activity_kinds[][2] = {
    {"training", "社会组织培训"}, {"experience_sharing", "经验分享会"}, {"forum", "公益讲坛"},
    {"salon", "社工沙龙"},        {"consultation", "政策咨询会"},       {"hearing", "听证会"},
    {"volunteer_day", "慈善义工日"},
};

/* The catalogue whose policy topics name the codes (borrowed, set once at
 * start by rep_html_topics; NULL: codes as given). */
static const intake_catalogue_t *s_topics;

void rep_html_topics(const intake_catalogue_t *cat) { s_topics = cat; }

static const char *s_key_label(const Reporting__Table *t, size_t k, const char *v)
{
    const char *col = t && k < t->n_key_columns ? t->key_columns[k] : "";
    if (!strcmp(col, "policy_topic") && !strcmp(v, REP_UNLINKED)) return "未关联政策主题";
    if (!strcmp(col, "policy_topic") && s_topics) {
        const Intake__PolicyTopic *pt = intake_catalogue_policy_topic(s_topics, v);
        if (pt) return pt->name;
    }
    if (!strcmp(col, "kind") && t->name && !strncmp(t->name, "activities_", 11))
        for (size_t i = 0; i < sizeof s_activity_kinds / sizeof s_activity_kinds[0]; i++)
            if (!strcmp(v, s_activity_kinds[i][0])) return s_activity_kinds[i][1];
    return v;
}

static const char *s_label(const char *name)
{
    for (size_t i = 0; i < sizeof s_labels / sizeof s_labels[0]; i++)
        if (!strcmp(s_labels[i][0], name)) return s_labels[i][1];
    return name;
}

/* "YYYY-MM-DD" of the CST day holding t_ms. */
static const char *s_cst_date(int64_t t_ms, char *buf, size_t cap, bool with_time)
{
    time_t t = (time_t)(t_ms / 1000) + CST_OFFSET_S;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(buf, cap, "-");
        return buf;
    }
    strftime(buf, cap, with_time ? "%Y-%m-%d %H:%M" : "%Y-%m-%d", &tm);
    return buf;
}

/* ------------------------------------------------------------ tables */

/* True when some row of t has value column i suppressed. */
static bool s_col_suppressed(const Reporting__Table *t, size_t i)
{
    for (size_t r = 0; r < t->n_rows; r++)
        if (s_val(t->rows[r], i) == SUPPRESSED) return true;
    return false;
}

static void s_table_row(s_doc_t *d, const Reporting__Table *t, const Reporting__Row *r, bool total)
{
    char cell[CELL];
    s_put(&d->b, "<tr>");
    for (size_t k = 0; k < t->n_key_columns; k++) {
        s_put(&d->b, total ? "<th>" : "<td>");
        s_esc(&d->b, total ? s_key(r, k) : s_key_label(t, k, s_key(r, k)));
        s_put(&d->b, total ? "</th>" : "</td>");
    }
    for (size_t i = 0; i < t->n_value_columns; i++) {
        /* In public, a total over a suppressed cell would give it away. */
        bool hide = total && d->public_view && s_col_suppressed(t, i);
        const char *text = hide ? "—" : hub_fig_cell(hub_fig_unit(t, i), s_val(r, i), cell, sizeof cell);
        s_put(&d->b, "<td class=\"n\">");
        s_esc(&d->b, text);
        s_put(&d->b, "</td>");
    }
    s_put(&d->b, "</tr>\n");
}

static void s_caption(s_doc_t *d, const Reporting__Table *t)
{
    s_esc(&d->b, t->title && t->title[0] ? t->title : t->name);
}

/* t as an HTML table with its caption; "本期无数据" when it has no rows. */
static void s_html_table(s_doc_t *d, const Reporting__Table *t)
{
    if (t->n_rows == 0) {
        s_put(&d->b, "<h3>");
        s_caption(d, t);
        s_put(&d->b, "</h3>\n<p class=\"empty\">本期无数据</p>\n");
        return;
    }
    s_put(&d->b, "<table>\n<caption>");
    s_caption(d, t);
    s_put(&d->b, "</caption>\n<thead><tr>");
    for (size_t k = 0; k < t->n_key_columns; k++) {
        s_put(&d->b, "<th>");
        s_esc(&d->b, s_label(t->key_columns[k]));
        s_put(&d->b, "</th>");
    }
    for (size_t i = 0; i < t->n_value_columns; i++) {
        s_put(&d->b, "<th class=\"n\">");
        s_esc(&d->b, s_label(t->value_columns[i]));
        s_put(&d->b, "</th>");
    }
    s_put(&d->b, "</tr></thead>\n<tbody>\n");
    for (size_t r = 0; r < t->n_rows; r++) s_table_row(d, t, t->rows[r], false);
    s_put(&d->b, "</tbody>\n");
    if (t->total && t->total->n_values) {
        s_put(&d->b, "<tfoot>");
        s_table_row(d, t, t->total, true);
        s_put(&d->b, "</tfoot>\n");
    }
    s_put(&d->b, "</table>\n");
}

/* ------------------------------------------------------------ charts */

typedef enum { CHART_NONE, CHART_BAR, CHART_COLUMN } s_chart_kind_t;

/* Which chart a table gets, by table name (prefix when it ends in '_'),
 * and of which value column; any other table: bars of its first column. */
static const struct {
    const char *name;
    s_chart_kind_t kind;
    const char *col;
} s_charts[] = {
    {"requests_by_month", CHART_COLUMN, "requests"}, {"requests_by_day", CHART_COLUMN, "requests"},
    {"funds_by_", CHART_COLUMN, "donations_fen"},    {"times_by_", CHART_BAR, "close_p50"},
    {"workload", CHART_BAR, "completed"},            {"unmet", CHART_BAR, "unmet"},
    {"tenders_by_state", CHART_BAR, "processes"},    {"tenders", CHART_NONE, NULL},
    {"disclosures", CHART_NONE, NULL},               {"summary", CHART_NONE, NULL},
};

static s_chart_kind_t s_chart_for(const Reporting__Table *t, size_t *col)
{
    const char *name = t->name ? t->name : "";
    for (size_t i = 0; i < sizeof s_charts / sizeof s_charts[0]; i++) {
        size_t n = strlen(s_charts[i].name);
        bool prefix = s_charts[i].name[n - 1] == '_';
        if (prefix ? !strncmp(name, s_charts[i].name, n) : !strcmp(name, s_charts[i].name)) {
            *col = s_col(t, s_charts[i].col);
            return s_charts[i].kind;
        }
    }
    *col = 0;
    return CHART_BAR;
}

/* The largest drawn value of column col over the first n rows (>= 1). */
static int64_t s_chart_max(const Reporting__Table *t, size_t col, size_t n)
{
    int64_t max = 1;
    for (size_t r = 0; r < n; r++)
        if (s_val(t->rows[r], col) > max) max = s_val(t->rows[r], col);
    return max;
}

/* Length in pixels of v (suppressed or no data: 0) on a scale of max. */
static int s_scale(int64_t v, int64_t max, int px)
{
    return v <= 0 ? 0 : (int)((double)v * px / (double)max + 0.5);
}

static void s_svg_open(s_doc_t *d, const Reporting__Table *t, size_t col, int w, int h)
{
    s_printf(&d->b,
             "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 %d %d\" "
             "width=\"100%%\" preserveAspectRatio=\"xMinYMin meet\"><title>",
             w, h);
    s_caption(d, t);
    s_put(&d->b, "：");
    s_esc(&d->b, s_label(col < t->n_value_columns ? t->value_columns[col] : ""));
    s_put(&d->b, "</title>\n");
}

#define BAR_W 720
#define BAR_LABEL_X 200 /* right edge of the category labels */
#define BAR_LEN 420     /* the longest bar */
#define BAR_ROW 24

/* Horizontal bars of column col, one per row, scaled to the largest. */
static void s_bar_chart(s_doc_t *d, const Reporting__Table *t, size_t col)
{
    size_t n = t->n_rows < BAR_MAX ? t->n_rows : BAR_MAX;
    int64_t max = s_chart_max(t, col, n);
    const char *unit = hub_fig_unit(t, col);
    char cell[CELL];
    s_svg_open(d, t, col, BAR_W, (int)n * BAR_ROW + 8);
    for (size_t r = 0; r < n; r++) {
        const Reporting__Row *row = t->rows[r];
        int y = (int)r * BAR_ROW + 4, len = s_scale(s_val(row, col), max, BAR_LEN);
        s_printf(&d->b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"12\">", BAR_LABEL_X - 6,
                 y + 15);
        s_row_keys(&d->b, t, row);
        s_printf(&d->b,
                 "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"16\" fill=\"#3b7dd8\"/>"
                 "<text x=\"%d\" y=\"%d\" font-size=\"12\">",
                 BAR_LABEL_X, y + 2, len, BAR_LABEL_X + len + 6, y + 15);
        s_esc(&d->b, hub_fig_cell(unit, s_val(row, col), cell, sizeof cell));
        s_put(&d->b, "</text>\n");
    }
    s_put(&d->b, "</svg>\n");
    if (t->n_rows > n) s_printf(&d->b, "<p class=\"note\">图中仅显示前 %d 项。</p>\n", BAR_MAX);
}

#define COL_W 720
#define COL_H 250
#define COL_LEFT 20
#define COL_BASE 210 /* y of the axis */
#define COL_LEN 170  /* the tallest column */

/* The short axis label of a period key: "05" of "2026-11-05", "11月" of
 * "2026-11"; other keys as they are. */
static void s_axis_label(s_buf_t *b, const char *k)
{
    size_t n = strlen(k);
    if (n == 10 && k[4] == '-' && k[7] == '-') s_esc(b, k + 8);
    else if (n == 7 && k[4] == '-') {
        s_esc(b, k + 5);
        s_put(b, "月");
    } else s_esc(b, k);
}

/* Vertical columns of column col over time, scaled to the largest. */
static void s_column_chart(s_doc_t *d, const Reporting__Table *t, size_t col)
{
    size_t n = t->n_rows < COLUMN_MAX ? t->n_rows : COLUMN_MAX;
    int64_t max = s_chart_max(t, col, n);
    int slot = (COL_W - 2 * COL_LEFT) / (int)n, font = n > 16 ? 8 : 12;
    const char *unit = hub_fig_unit(t, col);
    char cell[CELL];
    s_svg_open(d, t, col, COL_W, COL_H);
    s_printf(&d->b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", COL_LEFT, COL_BASE,
             COL_W - COL_LEFT, COL_BASE);
    for (size_t r = 0; r < n; r++) {
        const Reporting__Row *row = t->rows[r];
        int h = s_scale(s_val(row, col), max, COL_LEN), x = COL_LEFT + (int)r * slot;
        int cx = x + slot / 2;
        s_printf(&d->b,
                 "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#3b7dd8\"/>"
                 "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"%d\">",
                 x + slot / 8, COL_BASE - h, slot - slot / 4, h, cx, COL_BASE - h - 4, font);
        s_esc(&d->b, hub_fig_cell(unit, s_val(row, col), cell, sizeof cell));
        s_printf(&d->b, "</text><text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"%d\">", cx,
                 COL_BASE + 16, font);
        s_axis_label(&d->b, s_key(row, 0));
        s_put(&d->b, "</text>\n");
    }
    s_put(&d->b, "</svg>\n");
    if (t->n_rows > n) s_printf(&d->b, "<p class=\"note\">图中仅显示前 %d 项。</p>\n", COLUMN_MAX);
}

/* The table, then its chart (none for an empty table). */
static void s_figure(s_doc_t *d, const Reporting__Table *t)
{
    s_html_table(d, t);
    size_t col;
    s_chart_kind_t kind = s_chart_for(t, &col);
    if (t->n_rows == 0 || t->n_value_columns == 0 || kind == CHART_NONE) return;
    if (kind == CHART_COLUMN) s_column_chart(d, t, col);
    else s_bar_chart(d, t, col);
}

/* Every table of r (or only the one named name) in a section headed h2. */
static void s_section(s_doc_t *d, const char *h2, const Reporting__QueryReply *r, const char *name)
{
    s_put(&d->b, "<section>\n<h2>");
    s_put(&d->b, h2);
    s_put(&d->b, "</h2>\n");
    int shown = 0;
    for (size_t i = 0; r && i < r->n_tables; i++)
        if (!name || (r->tables[i]->name && !strcmp(r->tables[i]->name, name))) {
            s_figure(d, r->tables[i]);
            shown++;
        }
    if (!shown) s_put(&d->b, "<p class=\"empty\">本期无数据</p>\n");
    s_put(&d->b, "</section>\n");
}

/* ------------------------------------------------------------ document frame */

static const char s_css[] =
    "body{font-family:\"Noto Sans CJK SC\",\"Microsoft YaHei\",\"PingFang SC\",sans-serif;"
    "margin:0;background:#f5f6f8;color:#222;line-height:1.6}"
    "main{max-width:960px;margin:0 auto;padding:24px;background:#fff}"
    "h1{font-size:1.6em;border-bottom:3px solid #3b7dd8;padding-bottom:8px}"
    "h2{font-size:1.25em;margin-top:2em;border-left:5px solid #3b7dd8;padding-left:8px}"
    "h3{font-size:1.05em}"
    "table{border-collapse:collapse;width:100%;margin:12px 0;font-size:.92em}"
    "caption{text-align:left;font-weight:bold;padding:4px 0}"
    "th,td{border:1px solid #d6dae0;padding:4px 8px;text-align:left}"
    "thead th{background:#eef3fb}tfoot{background:#fafafa}"
    ".n{text-align:right;font-variant-numeric:tabular-nums}"
    ".note{color:#555;font-size:.9em}.empty{color:#888}"
    ".up{color:#c0392b}.down{color:#1e8449}"
    "svg{display:block;margin:8px 0 16px;font-family:inherit}"
    "footer{margin-top:3em;color:#777;font-size:.85em}"
    "@media print{body{background:#fff}main{padding:0}}";

static void s_head(s_doc_t *d, const char *title)
{
    s_put(&d->b, "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    s_esc(&d->b, title);
    s_put(&d->b, "</title>\n<style>");
    s_put(&d->b, s_css);
    s_put(&d->b, "</style>\n</head>\n<body>\n<main>\n<h1>");
    s_esc(&d->b, title);
    s_put(&d->b, "</h1>\n");
}

static void s_foot(s_doc_t *d, int64_t now_ms)
{
    char when[32];
    s_put(&d->b, "<footer>" CENTER " · 生成于 ");
    s_esc(&d->b, s_cst_date(now_ms, when, sizeof when, true));
    s_put(&d->b, "（北京时间）</footer>\n</main>\n</body>\n</html>\n");
}

/* Hands the buffer over as *html, or drops it (RESOURCE_EXHAUSTED). */
static int s_finish(s_doc_t *d, char **html)
{
    if (d->b.oom || !d->b.p) {
        free(d->b.p);
        return hub_error_set(d->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
    }
    *html = d->b.p;
    return 0;
}

/* ------------------------------------------------------------ report */

typedef struct {
    int64_t from, to, prev_from, prev_to;
    bool yearly;
    int year, month;
} s_period_t;

/* Parses kind and period strictly ("YYYY" or "YYYY-MM", month 01-12). */
static int s_parse_period(const char *kind, const char *period, s_period_t *p, hub_error_t *err)
{
    if (!kind || (strcmp(kind, "monthly") && strcmp(kind, "yearly")))
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "kind",
                             "kind must be monthly or yearly");
    p->yearly = !strcmp(kind, "yearly");
    /* the range is report.h's (rep_period); the length says which kind */
    hub_error_t ignored = {0};
    if (!period || strlen(period) != (p->yearly ? 4u : 7u) ||
        rep_period(period, &p->from, &p->to, &p->prev_from, &p->prev_to, &ignored))
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "period", "period must be %s",
                             p->yearly ? "YYYY" : "YYYY-MM");
    p->year = atoi(period);
    p->month = p->yearly ? 1 : atoi(period + 5);
    return 0;
}

/* Every figure the report shows; [1] of a pair is the previous period. */
typedef struct {
    Reporting__QueryReply *summary[2], *service[2], *street[2], *channel, *trend, *times_service,
        *times_street, *outcomes, *unmet, *workload, *tenders, *funds, *op_topic, *op_street, *deliveries,
        *op_policy, *act_kind, *act_street;
} s_figs_t;

static int s_ask_all(s_doc_t *d, const s_period_t *p, s_figs_t *f)
{
    const struct {
        const char *figure, *by;
        Reporting__QueryReply **cur, **prev;
    } asks[] = {
        {"summary", "", &f->summary[0], &f->summary[1]},
        {"requests", "service", &f->service[0], &f->service[1]},
        {"requests", "street", &f->street[0], &f->street[1]},
        {"requests", "channel", &f->channel, NULL},
        {"requests", p->yearly ? "month" : "day", &f->trend, NULL},
        {"times", "service", &f->times_service, NULL},
        {"times", "street", &f->times_street, NULL},
        {"outcomes", "", &f->outcomes, NULL},
        {"unmet", "", &f->unmet, NULL},
        {"workload", "", &f->workload, NULL},
        {"tenders", "", &f->tenders, NULL},
        {"funds", "month", &f->funds, NULL},
        {"opinions", "topic", &f->op_topic, NULL},
        {"opinions", "street", &f->op_street, NULL},
        {"opinions", "policy_topic", &f->op_policy, NULL},
        {"activities", "kind", &f->act_kind, NULL},
        {"activities", "street", &f->act_street, NULL},
        {"deliveries", "", &f->deliveries, NULL},
    };
    for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++) {
        if (s_ask(d, asks[i].figure, asks[i].by, p->from, p->to, asks[i].cur)) return -1;
        if (asks[i].prev && s_ask(d, asks[i].figure, asks[i].by, p->prev_from, p->prev_to, asks[i].prev))
            return -1;
    }
    return 0;
}

/* Rounded 100 * diff / base (base > 0). */
static int64_t s_pct(int64_t diff, int64_t base)
{
    double x = (double)diff * 100.0 / (double)base;
    return (int64_t)(x < 0 ? x - 0.5 : x + 0.5);
}

/* The change from prev to cur: "▲ +20 (+25%)", "▼ -3 (-10%)", "→ 0 (0%)";
 * "—" when either is suppressed or prev is 0. */
static void s_trend(s_buf_t *b, const char *unit, int64_t cur, int64_t prev)
{
    char cell[CELL];
    if (cur < 0 || prev <= 0) {
        s_put(b, "<span>—</span>");
        return;
    }
    int64_t diff = cur - prev;
    hub_fig_cell(unit, diff < 0 ? -diff : diff, cell, sizeof cell);
    if (diff > 0) s_put(b, "<span class=\"up\">▲ +");
    else if (diff < 0) s_put(b, "<span class=\"down\">▼ -");
    else s_put(b, "<span>→ ");
    s_esc(b, cell);
    s_printf(b, " (%s%" PRId64 "%%)</span>", diff > 0 ? "+" : "", s_pct(diff, prev));
}

/* The unit of a summary figure: amounts end in "_fen". */
static const char *s_summary_unit(const Reporting__Table *t, const char *figure)
{
    size_t n = strlen(figure);
    return n > 4 && !strcmp(figure + n - 4, "_fen") ? "fen" : hub_fig_unit(t, 0);
}

static void s_key_figures(s_doc_t *d, const s_figs_t *f)
{
    const Reporting__Table *cur = s_table(f->summary[0], "summary");
    const Reporting__Table *prev = s_table(f->summary[1], "summary");
    char a[CELL], b[CELL];
    s_put(&d->b, "<section>\n<h2>一、关键指标</h2>\n");
    if (!cur || cur->n_rows == 0) {
        s_put(&d->b, "<p class=\"empty\">本期无数据</p>\n</section>\n");
        return;
    }
    s_put(&d->b, "<table>\n<thead><tr><th>指标</th><th class=\"n\">本期</th><th class=\"n\">上期</th>"
                 "<th class=\"n\">较上期变化</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < cur->n_rows; i++) {
        const Reporting__Row *r = cur->rows[i], *pr = s_find_row(prev, r);
        const char *fig = s_key(r, 0), *unit = s_summary_unit(cur, fig);
        if (!strcmp(fig, "events")) continue; /* the daemon's own bookkeeping */
        int64_t c = s_val(r, 0), p = s_val(pr, 0);
        s_put(&d->b, "<tr><th>");
        s_esc(&d->b, s_label(fig));
        s_put(&d->b, "</th><td class=\"n\">");
        s_esc(&d->b, hub_fig_cell(unit, c, a, sizeof a));
        s_put(&d->b, "</td><td class=\"n\">");
        s_esc(&d->b, hub_fig_cell(unit, p, b, sizeof b));
        s_put(&d->b, "</td><td class=\"n\">");
        s_trend(&d->b, unit, c, p);
        s_put(&d->b, "</td></tr>\n");
    }
    s_put(&d->b, "</tbody>\n</table>\n</section>\n");
}

/* Lists (as <li>) the rows of cur whose requests grew by at least
 * HOT_MIN_GROWTH and HOT_MIN_PCT against prev (or appeared with at least
 * HOT_MIN_GROWTH; or surely grew that much from a suppressed "<5");
 * returns how many. The numbers printed are non-negative counts, so their
 * text is digits and commas only. */
static int s_hot_growth(s_doc_t *d, const Reporting__Table *cur, const Reporting__Table *prev)
{
    char c_txt[CELL], p_txt[CELL], g_txt[CELL];
    int listed = 0;
    size_t col = cur ? s_col(cur, "requests") : 0;
    for (size_t i = 0; cur && i < cur->n_rows; i++) {
        const Reporting__Row *r = cur->rows[i], *pr = s_find_row(prev, r);
        int64_t c = s_val(r, col), p = pr ? s_val(pr, prev ? s_col(prev, "requests") : 0) : 0;
        if (c < 0) continue;
        hub_fig_cell("count", c, c_txt, sizeof c_txt);
        if (p > 0 && c - p >= HOT_MIN_GROWTH && (c - p) * 100 >= HOT_MIN_PCT * p) {
            hub_fig_cell("count", c - p, g_txt, sizeof g_txt);
            hub_fig_cell("count", p, p_txt, sizeof p_txt);
            s_put(&d->b, "<li><strong>");
            s_keys(&d->b, r);
            s_printf(&d->b, "</strong>：本期求助 %s 件，上期 %s 件，增加 %s 件（+%" PRId64 "%%），", c_txt, p_txt,
                     g_txt, s_pct(c - p, p));
            s_put(&d->b, "需求增长较快，建议关注服务供给是否跟上。</li>\n");
        } else if (p == 0 && c >= HOT_MIN_GROWTH) {
            s_put(&d->b, "<li><strong>");
            s_keys(&d->b, r);
            s_printf(&d->b, "</strong>：本期求助 %s 件，上期没有求助，是新出现的需求。</li>\n", c_txt);
        } else if (p == SUPPRESSED && c - MAX_HIDDEN >= HOT_MIN_GROWTH) {
            hub_fig_cell("count", c - MAX_HIDDEN, g_txt, sizeof g_txt);
            s_put(&d->b, "<li><strong>");
            s_keys(&d->b, r);
            s_printf(&d->b, "</strong>：本期求助 %s 件，上期不足 5 件，至少增加 %s 件，需求增长较快。</li>\n",
                     c_txt, g_txt);
        } else {
            continue;
        }
        listed++;
    }
    return listed;
}

/* An unmet row and its weight for sorting (a suppressed count as 1). */
typedef struct {
    int64_t weight;
    const Reporting__Row *row;
} s_ranked_t;

static int s_ranked_cmp(const void *a, const void *b)
{
    int64_t x = ((const s_ranked_t *)a)->weight, y = ((const s_ranked_t *)b)->weight;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Lists the service/street pairs with unmet demand, largest first;
 * returns how many there are. */
static int s_hot_unmet(s_doc_t *d, const Reporting__Table *t)
{
    if (!t || t->n_rows == 0) return 0;
    s_ranked_t *rows = malloc(t->n_rows * sizeof *rows);
    if (!rows) {
        d->b.oom = true;
        return 0;
    }
    size_t n = 0, col = s_col(t, "unmet"), qcol = s_col_find(t, "queued");
    for (size_t i = 0; i < t->n_rows; i++) {
        int64_t v = s_val(t->rows[i], col);
        if (v != 0) rows[n++] = (s_ranked_t){v == SUPPRESSED ? 1 : v, t->rows[i]};
    }
    qsort(rows, n, sizeof *rows, s_ranked_cmp);
    char u[CELL], q[CELL];
    for (size_t i = 0; i < n && i < HOT_MAX_UNMET; i++) {
        const Reporting__Row *r = rows[i].row;
        s_put(&d->b, "<li><strong>");
        s_keys(&d->b, r);
        s_put(&d->b, "</strong>：本期有 ");
        s_esc(&d->b, hub_fig_cell("count", s_val(r, col), u, sizeof u));
        s_put(&d->b, " 件求助没有服务方能够承接");
        if (qcol != SIZE_MAX && s_val(r, qcol) != 0) {
            s_put(&d->b, "，其中 ");
            s_esc(&d->b, hub_fig_cell("count", s_val(r, qcol), q, sizeof q));
            s_put(&d->b, " 件仍在人工处理队列中");
        }
        s_put(&d->b, "。建议补充该服务在该街道的服务资源。</li>\n");
    }
    if (n > HOT_MAX_UNMET) s_printf(&d->b, "<li>另有 %zu 项未满足需求，见“未满足需求”一节。</li>\n", n - HOT_MAX_UNMET);
    free(rows);
    return (int)n;
}

/* One hot-issue list under h3; "none" when it lists nothing. */
static int s_hot_list(s_doc_t *d, const char *h3, const Reporting__QueryReply *cur,
                      const Reporting__QueryReply *prev, const char *name, const char *none)
{
    s_put(&d->b, "<h3>");
    s_put(&d->b, h3);
    s_put(&d->b, "</h3>\n");
    size_t mark = d->b.len;
    s_put(&d->b, "<ul>\n");
    int n = prev ? s_hot_growth(d, s_table(cur, name), s_table(prev, name)) : s_hot_unmet(d, s_table(cur, name));
    if (n == 0 && !d->b.oom) { /* take the empty list back */
        d->b.len = mark;
        d->b.p[mark] = 0;
        s_printf(&d->b, "<p class=\"empty\">%s</p>\n", none);
    } else {
        s_put(&d->b, "</ul>\n");
    }
    return n;
}

static void s_hot_issues(s_doc_t *d, const s_figs_t *f)
{
    s_put(&d->b, "<section>\n<h2>二、热点问题</h2>\n");
    s_printf(&d->b,
             "<p class=\"note\">热点问题指求助量较上期增长不少于 %d%% 且不少于 %d 件的服务和街道，"
             "以及存在未满足需求（没有服务方能够承接）的服务和街道。</p>\n",
             HOT_MIN_PCT, HOT_MIN_GROWTH);
    int n = s_hot_list(d, "需求增长较快的服务", f->service[0], f->service[1], "requests_by_service",
                       "本期没有需求明显增长的服务。");
    n += s_hot_list(d, "需求增长较快的街道", f->street[0], f->street[1], "requests_by_street",
                    "本期没有需求明显增长的街道。");
    n += s_hot_list(d, "未满足的需求", f->unmet, NULL, "unmet", "本期没有未满足的需求。");
    if (n == 0) s_put(&d->b, "<p>本期未发现需要特别关注的热点问题。</p>\n");
    s_put(&d->b, "</section>\n");
}

static void s_intro(s_doc_t *d, const s_period_t *p, int64_t now_ms)
{
    char a[32], b[32], c[32], e[32];
    s_printf(&d->b, "<p class=\"note\">统计期间：%s 至 %s；对比期间（上%s）：%s 至 %s。日期均为北京时间。",
             s_cst_date(p->from, a, sizeof a, false), s_cst_date(p->to - 1, b, sizeof b, false),
             p->yearly ? "一年度" : "一个月", s_cst_date(p->prev_from, c, sizeof c, false),
             s_cst_date(p->prev_to - 1, e, sizeof e, false));
    if (now_ms < p->to) s_put(&d->b, "本期尚未结束，数据截至报告生成时。");
    s_put(&d->b, "</p>\n<p class=\"note\">");
    if (d->public_view)
        s_put(&d->b, "为保护个人隐私，少于 5 的计数显示为“&lt;5”；涉及这些计数的合计不予显示。");
    else
        s_put(&d->b, "本报告为内部版本，显示全部精确计数，请勿公开发布。");
    s_put(&d->b, "报告只包含统计数据，不含任何个人信息。</p>\n");
}

/* Every table of r (none when r is NULL). */
static void s_figures(s_doc_t *d, const Reporting__QueryReply *r)
{
    for (size_t t = 0; r && t < r->n_tables; t++) s_figure(d, r->tables[t]);
}

/* "What residents and organizations told us": opinions by policy topic,
 * by the channel's topic and by street, and participation in activities
 * by kind and street. Counts only: no text, no name. */
static void s_told_us(s_doc_t *d, const s_figs_t *f)
{
    s_put(&d->b, "<section>\n<h2>十一、居民和组织对我们说了什么</h2>\n<p class=\"note\">"
                 "居民、企业和社会组织提出的意见建议，按政策主题、议题和街道统计；各类活动（培训、经验分享、"
                 "公益讲坛、社工沙龙、政策咨询会、听证会、慈善义工日）的参与情况，按活动类型和街道统计。"
                 "只统计件数和人次，不含任何个人信息，不公开意见原文。</p>\n<h3>意见建议</h3>\n");
    s_figures(d, f->op_policy);
    s_figures(d, f->op_topic);
    s_figures(d, f->op_street);
    s_put(&d->b, "<h3>活动参与</h3>\n<p class=\"note\">活动按开始日期计入统计期间。报名人次含候补和取消报名；"
                 "获得名额含已签到出席；服务时长为慈善义工日签到时记入的志愿服务时长。</p>\n");
    s_figures(d, f->act_kind);
    s_figures(d, f->act_street);
    s_put(&d->b, "</section>\n");
}

static void s_report_body(s_doc_t *d, const s_period_t *p, const s_figs_t *f, int64_t now_ms)
{
    s_intro(d, p, now_ms);
    s_key_figures(d, f);
    s_hot_issues(d, f);
    s_put(&d->b, "<section>\n<h2>三、求助请求</h2>\n");
    const Reporting__QueryReply *req[] = {f->service[0], f->street[0], f->channel, f->trend};
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
        for (size_t t = 0; t < req[i]->n_tables; t++) s_figure(d, req[i]->tables[t]);
    s_put(&d->b, "</section>\n");
    s_put(&d->b, "<section>\n<h2>四、响应时间</h2>\n<p class=\"note\">从求助受理起计算的时间，"
                 "P50 为中位数，P90 为九成请求不超过的时间；“-”表示没有数据。</p>\n");
    for (size_t t = 0; t < f->times_service->n_tables; t++) s_figure(d, f->times_service->tables[t]);
    for (size_t t = 0; t < f->times_street->n_tables; t++) s_figure(d, f->times_street->tables[t]);
    s_put(&d->b, "</section>\n");
    s_section(d, "五、办理结果", f->outcomes, NULL);
    s_section(d, "六、未满足需求", f->unmet, NULL);
    s_section(d, "七、服务方工作量", f->workload, NULL);
    s_section(d, "八、公益招投标与创投", f->tenders, NULL);
    s_section(d, "九、慈善资金", f->funds, NULL);
    s_section(d, "十、通知发送", f->deliveries, NULL);
    s_told_us(d, f);
}

int rep_html_report(const char *kind, const char *period, bool public_view, const char *district, int64_t now_ms,
                    rep_query_fn q, void *arg, char **html, hub_error_t *err)
{
    hub_error_t local = {0};
    s_doc_t d = {.q = q, .arg = arg, .public_view = public_view, .err = err ? err : &local};
    s_period_t p = {0};
    s_figs_t f = {0};
    if (!html || !q) return hub_error_set(d.err, HUB__ERROR_CODE__INVALID_ARGUMENT, "", "no output or query");
    *html = NULL;
    if (s_parse_period(kind, period, &p, d.err) || s_ask_all(&d, &p, &f)) return -1;
    char title[192];
    int n = p.yearly ? snprintf(title, sizeof title, CENTER " %d 年度报告", p.year)
                     : snprintf(title, sizeof title, CENTER " %d 年 %d 月月报", p.year, p.month);
    if (district && *district && n > 0 && (size_t)n < sizeof title) /* s_head escapes it */
        snprintf(title + n, sizeof title - (size_t)n, "（区县：%.40s）", district);
    s_head(&d, title);
    s_report_body(&d, &p, &f, now_ms);
    s_foot(&d, now_ms);
    return s_finish(&d, html);
}

/* ------------------------------------------------------------ public pages */

static void s_page_intro(s_doc_t *d, int64_t now_ms, const char *what)
{
    char when[32];
    s_put(&d->b, "<p class=\"note\">");
    s_put(&d->b, what);
    s_put(&d->b, "数据截至 ");
    s_esc(&d->b, s_cst_date(now_ms, when, sizeof when, true));
    s_put(&d->b, "（北京时间）。为保护个人隐私，少于 5 的计数显示为“&lt;5”。</p>\n");
}

static int s_page_donations(s_doc_t *d, int64_t now_ms)
{
    Reporting__QueryReply *funds, *disc;
    if (s_ask(d, "funds", "month", 0, now_ms, &funds) || s_ask(d, "disclosures", "", 0, now_ms, &disc))
        return -1;
    s_head(d, CENTER " 慈善捐赠公示");
    s_page_intro(d, now_ms, "慈善捐赠箱的收入和支出按月公示；受助人姓名已部分隐去。");
    s_section(d, "一、捐赠收支（按月）", funds, NULL);
    s_section(d, "二、捐赠支出明细", disc, NULL);
    return 0;
}

static int s_page_tenders(s_doc_t *d, int64_t now_ms)
{
    Reporting__QueryReply *t;
    if (s_ask(d, "tenders", "", 0, now_ms, &t)) return -1;
    s_head(d, CENTER " 公益招投标与创投项目公示");
    s_page_intro(d, now_ms, "公益服务项目招投标和公益创投的进展、预算、中标方和已支付金额。");
    s_section(d, "一、项目进展", t, "tenders_by_state");
    s_section(d, "二、项目明细", t, "tenders");
    return 0;
}

int rep_html_page(const char *page, int64_t now_ms, rep_query_fn q, void *arg, char **html, hub_error_t *err)
{
    hub_error_t local = {0};
    s_doc_t d = {.q = q, .arg = arg, .public_view = true, .err = err ? err : &local};
    if (!html || !q) return hub_error_set(d.err, HUB__ERROR_CODE__INVALID_ARGUMENT, "", "no output or query");
    *html = NULL;
    int rc;
    if (page && !strcmp(page, "donations")) rc = s_page_donations(&d, now_ms);
    else if (page && !strcmp(page, "tenders")) rc = s_page_tenders(&d, now_ms);
    else return hub_error_set(d.err, HUB__ERROR_CODE__NOT_FOUND, "page", "no page %s", page ? page : "");
    if (rc) {
        free(d.b.p);
        return -1;
    }
    s_foot(&d, now_ms);
    return s_finish(&d, html);
}
