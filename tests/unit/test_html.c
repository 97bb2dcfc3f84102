/* Unit tests for html (reporting's HTML reports and public pages) and
 * hub_figfmt (the text forms of a figure).
 *
 * A fake query function answers every figure with canned tables built
 * here (a few rows, suppressed counts, "no data" times, a service code
 * holding <script>, a tender title holding &), different for the current
 * and the previous period, and records every query it was asked. The tests
 * check: the yearly and monthly documents (doctype, title, sections, SVG
 * charts, "<5" escaped, nothing unescaped), the exact CST ranges asked for
 * both periods, the trends against the previous period, the hot issues
 * (who is listed, who is not), bad kinds and periods refused before any
 * query, a failing query passed through, the public pages (always asked
 * with public_view) and an unknown page. hub_figfmt: every unit of a cell,
 * CSV quoting and line ends, and the JSON shape parsed back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_figfmt.h"
#include "hub_wire.h"
#include "html.h"

#define ARENA_BUDGET (4u << 20)
#define NOW_MS 1800000000000LL        /* 2027-01-15, after both periods */
#define Y2025_MS 1735660800000LL      /* 2025-01-01 00:00 CST */
#define Y2026_MS 1767196800000LL      /* 2026-01-01 00:00 CST */
#define Y2027_MS 1798732800000LL      /* 2027-01-01 00:00 CST */
#define OCT2026_MS 1790784000000LL    /* 2026-10-01 00:00 CST */
#define NOV2026_MS 1793462400000LL    /* 2026-11-01 00:00 CST */
#define DEC2026_MS 1796054400000LL    /* 2026-12-01 00:00 CST */
#define EVIL "<script>alert(1)</script>"
#define EVIL_ESC "&lt;script&gt;alert(1)&lt;/script&gt;"
#define MAX_SEEN 64

/* ------------------------------------------------------------ the fake */

typedef struct {
    char figure[16], by[16];
    int64_t from, to;
    bool public_view;
} seen_t;

typedef struct {
    hub_arena_t *arena;
    int64_t cur_from;           /* queries from before this are the previous period */
    const char *fail;           /* a figure to fail with UNAVAILABLE */
    seen_t seen[MAX_SEEN];
    int n_seen;
} fake_t;

/* Splits "a,b,c" into an arena array; *n receives the count. */
static char **s_split(fake_t *f, const char *list, size_t *n)
{
    char *copy = hub_arena_strdup(f->arena, list), **out = hub_arena_alloc(f->arena, 16 * sizeof *out);
    *n = 0;
    if (!*list) return out;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok && *n < 16; tok = strtok_r(NULL, ",", &save))
        out[(*n)++] = tok;
    return out;
}

static Reporting__Table *s_tab(fake_t *f, Reporting__QueryReply *r, const char *name, const char *title,
                               const char *keys, const char *values, const char *units)
{
    Reporting__Table *t = hub_arena_alloc(f->arena, sizeof *t);
    reporting__table__init(t);
    t->name = hub_arena_strdup(f->arena, name);
    t->title = hub_arena_strdup(f->arena, title);
    t->key_columns = s_split(f, keys, &t->n_key_columns);
    t->value_columns = s_split(f, values, &t->n_value_columns);
    t->units = s_split(f, units, &t->n_units);
    t->rows = hub_arena_alloc(f->arena, 64 * sizeof *t->rows);
    r->tables[r->n_tables++] = t;
    return t;
}

static Reporting__Row *s_mkrow(fake_t *f, const char *keys, int nv, va_list ap)
{
    Reporting__Row *row = hub_arena_alloc(f->arena, sizeof *row);
    reporting__row__init(row);
    char *copy = hub_arena_strdup(f->arena, keys);
    row->keys = hub_arena_alloc(f->arena, 8 * sizeof *row->keys);
    for (char *save = NULL, *tok = strtok_r(copy, "|", &save); tok; tok = strtok_r(NULL, "|", &save))
        row->keys[row->n_keys++] = tok;
    row->values = hub_arena_alloc(f->arena, (size_t)(nv ? nv : 1) * sizeof *row->values);
    for (int i = 0; i < nv; i++) row->values[row->n_values++] = va_arg(ap, int64_t);
    return row;
}

/* Adds a row: keys joined by '|', then nv int64 values. */
static void s_row(fake_t *f, Reporting__Table *t, const char *keys, int nv, ...)
{
    va_list ap;
    va_start(ap, nv);
    t->rows[t->n_rows++] = s_mkrow(f, keys, nv, ap);
    va_end(ap);
}

static void s_total(fake_t *f, Reporting__Table *t, int nv, ...)
{
    va_list ap;
    va_start(ap, nv);
    t->total = s_mkrow(f, "合计", nv, ap);
    va_end(ap);
}

#define V(x) ((int64_t)(x))

static void s_summary(fake_t *f, Reporting__QueryReply *r, bool prev)
{
    Reporting__Table *t = s_tab(f, r, "summary", "概况", "figure", "value", "count");
    s_row(f, t, "requests", 1, V(prev ? 80 : 100));     /* +20 (+25%) */
    s_row(f, t, "completed", 1, V(prev ? 60 : 50));     /* -10 (-17%) */
    s_row(f, t, "unmet", 1, V(prev ? 0 : 9));           /* previous 0: "—" */
    s_row(f, t, "queued", 1, V(prev ? 7 : -1));         /* now suppressed: "—" */
    s_row(f, t, "donations_fen", 1, V(prev ? 100000 : 123456));
    s_row(f, t, "events", 1, V(12345));
}

static void s_requests(fake_t *f, Reporting__QueryReply *r, const char *by, bool prev)
{
    char name[64];
    snprintf(name, sizeof name, "requests_by_%s", by);
    Reporting__Table *t = s_tab(f, r, name, "求助请求", by, "requests,completed,unmet", "count,count,count");
    if (!strcmp(by, "service")) {
        s_row(f, t, "elderly-care", 3, V(prev ? 20 : 30), V(20), V(2));  /* +10, +50%: hot */
        s_row(f, t, "child-care", 3, V(prev ? 20 : 22), V(10), V(0));    /* +2, +10% */
        s_row(f, t, "disability", 3, V(prev ? 5 : 7), V(5), V(0));       /* +2, +40%: too few */
        s_row(f, t, "youth", 3, V(prev ? 36 : 42), V(30), V(0));         /* +6, +17%: too slow */
        s_row(f, t, "family", 3, V(prev ? 25 : 30), V(30), V(0));        /* +5, +20%: just hot */
        s_row(f, t, "mental-health", 3, V(prev ? 12 : 9), V(9), V(0));   /* down */
        s_row(f, t, EVIL, 3, V(-1), V(-1), V(0));
        if (!prev) s_row(f, t, "legal-aid", 3, V(12), V(3), V(0));        /* new: hot */
        s_total(f, t, 3, V(150), V(80), V(2));
    } else if (!strcmp(by, "street")) {
        s_row(f, t, "鼓楼街道", 3, V(prev ? 40 : 50), V(30), V(1));      /* +10, +25%: hot */
        s_row(f, t, "西门街道", 3, V(10), V(5), V(0));
    } else if (!strcmp(by, "channel")) {
        s_row(f, t, "hotline", 3, V(60), V(40), V(1));
        s_row(f, t, "wechat", 3, V(40), V(20), V(-1));
    } else if (!strcmp(by, "month")) {
        s_row(f, t, "2026-01", 3, V(30), V(20), V(0));
        s_row(f, t, "2026-02", 3, V(-1), V(-1), V(0));
        s_row(f, t, "2026-03", 3, V(70), V(30), V(1));
    } else {
        s_row(f, t, "2026-11-01", 3, V(3), V(1), V(0));
        s_row(f, t, "2026-11-02", 3, V(8), V(4), V(0));
    }
}

static void s_times(fake_t *f, Reporting__QueryReply *r, const char *by)
{
    char name[64];
    snprintf(name, sizeof name, "times_by_%s", by);
    Reporting__Table *t =
        s_tab(f, r, name, "响应时间", by, "requests,offer_p50,offer_p90,accept_p50,accept_p90,close_p50,close_p90",
              "count,ms,ms,ms,ms,ms,ms");
    s_row(f, t, "elderly-care", 7, V(30), V(42000), V(2100000), V(9000000), V(9000000), V(276480000),
          V(300000000));
    s_row(f, t, "legal-aid", 7, V(-1), V(-1), V(-1), V(-1), V(-1), V(-1), V(-1));
}

static void s_other(fake_t *f, Reporting__QueryReply *r, const char *fig, const char *by)
{
    Reporting__Table *t;
    if (!strcmp(fig, "outcomes")) {
        t = s_tab(f, r, "outcomes", "办理结果", "outcome", "requests", "count");
        s_row(f, t, "got_help", 1, V(40));
        s_row(f, t, "could_not_contact", 1, V(-1));
    } else if (!strcmp(fig, "unmet")) {
        t = s_tab(f, r, "unmet", "未满足需求", "service,street", "unmet,queued", "count,count");
        s_row(f, t, "housing|西门街道", 2, V(7), V(2));
        s_row(f, t, "elderly-care|鼓楼街道", 2, V(-1), V(0));
        s_row(f, t, "sports|白云街道", 2, V(0), V(0)); /* nothing unmet: not listed */
    } else if (!strcmp(fig, "workload")) {
        t = s_tab(f, r, "workload", "工作量", "kind,provider,name", "offers,accepted,declined,expired,completed,hours_x100",
                  "count,count,count,count,count,hours_x100");
        s_row(f, t, "organization|ORG-001|鼓楼老年协会", 6, V(20), V(15), V(3), V(2), V(12), V(1250));
        s_row(f, t, "volunteer|*|志愿者", 6, V(9), V(-1), V(0), V(0), V(-1), V(300));
    } else if (!strcmp(fig, "tenders")) {
        t = s_tab(f, r, "tenders_by_state", "项目状态", "state", "processes,budget_fen,awarded_fen,paid_fen",
                  "count,fen,fen,fen");
        s_row(f, t, "awarded", 4, V(-1), V(5000000), V(4800000), V(1000000));
        t = s_tab(f, r, "tenders", "项目明细", "ocid,title,buyer,state,winner", "bids,budget_fen,awarded_fen,paid_fen",
                  "count,fen,fen,fen");
        s_row(f, t, "ocds-hshub0-000001|助老 & 助残服务|海曙区民政局|awarded|乐龄社工", 4, V(3), V(5000000),
              V(4800000), V(1000000));
    } else if (!strcmp(fig, "funds")) {
        t = s_tab(f, r, "funds_by_month", "慈善资金", "month",
                  "donations,donations_fen,disbursements,disbursed_fen,contributions_fen,payments_fen",
                  "count,fen,count,fen,fen,fen");
        s_row(f, t, "2026-10", 6, V(12), V(1234567), V(-1), V(20000), V(0), V(0));
        s_row(f, t, "2026-11", 6, V(6), V(500000), V(5), V(300000), V(0), V(0));
    } else if (!strcmp(fig, "opinions") && !strcmp(by, "policy_topic")) {
        t = s_tab(f, r, "opinions_by_policy_topic", "意见建议（按政策主题）", "policy_topic", "opinions", "count");
        s_row(f, t, "elderly-care-policy", 1, V(9));
        s_row(f, t, "(unlinked)", 1, V(-1));
    } else if (!strcmp(fig, "activities")) {
        bool street = !strcmp(by, "street");
        t = s_tab(f, r, street ? "activities_by_street" : "activities_by_kind", street ? "活动参与（按街道）" : "活动参与（按活动类型）",
                  by, "activities,cancelled,registrations,confirmed,waitlisted,withdrawn,attended,hours_x100",
                  "count,count,count,count,count,count,count,hours_x100");
        if (street) {
            s_row(f, t, "鼓楼街道", 8, V(6), V(0), V(40), V(30), V(5), V(5), V(25), V(7500));
        } else {
            s_row(f, t, "volunteer_day", 8, V(5), V(-1), V(30), V(24), V(-1), V(-1), V(20), V(7500));
            s_row(f, t, "hearing", 8, V(-1), V(0), V(10), V(6), V(-1), V(-1), V(5), V(0));
            s_row(f, t, EVIL, 8, V(-1), V(0), V(0), V(0), V(0), V(0), V(0), V(0));
        }
    } else if (!strcmp(fig, "opinions")) {
        t = s_tab(f, r, !strcmp(by, "street") ? "opinions_by_street" : "opinions_by_topic", "意见建议", by,
                  "opinions", "count");
        if (strcmp(by, "street")) { /* by street: no rows, "本期无数据" */
            s_row(f, t, "服务质量", 1, V(12));
            s_row(f, t, "活动场地", 1, V(-1));
        }
    } else if (!strcmp(fig, "deliveries")) {
        t = s_tab(f, r, "deliveries", "通知发送", "channel,action", "deliveries", "count");
        s_row(f, t, "sms|sent", 1, V(200));
    } else if (!strcmp(fig, "disclosures")) {
        t = s_tab(f, r, "disclosures", "捐赠支出明细", "date,recipient,street,purpose", "amount_fen", "fen");
        s_row(f, t, "2026-11-03|王**|鼓楼街道|助学", 1, V(200000));
    }
}

static int s_fake_query(void *arg, const Reporting__QueryRequest *q, Reporting__QueryReply **out, hub_error_t *err)
{
    fake_t *f = arg;
    assert_true(f->n_seen < MAX_SEEN);
    seen_t *s = &f->seen[f->n_seen++];
    snprintf(s->figure, sizeof s->figure, "%s", q->figure);
    snprintf(s->by, sizeof s->by, "%s", q->by);
    s->from = q->from_ms;
    s->to = q->to_ms;
    s->public_view = q->public_view;
    if (f->fail && !strcmp(f->fail, q->figure))
        return hub_error_set(err, HUB__ERROR_CODE__UNAVAILABLE, "", "canned failure");
    bool prev = q->from_ms < f->cur_from;
    Reporting__QueryReply *r = hub_arena_alloc(f->arena, sizeof *r);
    reporting__query_reply__init(r);
    r->from_ms = q->from_ms;
    r->to_ms = q->to_ms;
    r->suppressed = q->public_view;
    r->tables = hub_arena_alloc(f->arena, 4 * sizeof *r->tables);
    if (!strcmp(q->figure, "summary")) s_summary(f, r, prev);
    else if (!strcmp(q->figure, "requests")) s_requests(f, r, q->by, prev);
    else if (!strcmp(q->figure, "times")) s_times(f, r, q->by);
    else s_other(f, r, q->figure, q->by);
    *out = r;
    return 0;
}

static int s_setup(void **state)
{
    fake_t *f = calloc(1, sizeof *f);
    f->arena = hub_arena_new(ARENA_BUDGET);
    *state = f;
    return f && f->arena ? 0 : -1;
}

static int s_teardown(void **state)
{
    fake_t *f = *state;
    hub_arena_destroy(&f->arena);
    free(f);
    return 0;
}

/* The text of the section whose <h2> holds h2, up to the next <h2>. */
static char *s_section_of(const char *html, const char *h2)
{
    const char *a = strstr(html, h2);
    assert_non_null(a);
    const char *b = strstr(a, "<h2>");
    return strndup(a, b ? (size_t)(b - a) : strlen(a));
}

/* Checks what every document must be: HTML5, escaped, closed. */
static void s_check_document(const char *html)
{
    assert_non_null(html);
    assert_memory_equal(html, "<!doctype html>", 15);
    assert_non_null(strstr(html, "<meta charset=\"utf-8\">"));
    assert_non_null(strstr(html, "</html>"));
    assert_null(strstr(html, "<script")); /* no script, and EVIL escaped */
    assert_null(strstr(html, "<5"));      /* "<5" only ever escaped */
    for (const char *u = strstr(html, "http"); u; u = strstr(u + 1, "http")) /* only the SVG namespace */
        assert_memory_equal(u, "http://www.w3.org/2000/svg\"", 27);
    assert_null(strstr(html, "src="));
    assert_null(strstr(html, "<link"));
}

static const char *const s_titles[] = {"一、关键指标", "二、热点问题",   "三、求助请求",   "四、响应时间",
                                       "五、办理结果", "六、未满足需求", "七、服务方工作量", "八、公益招投标与创投",
                                       "九、慈善资金", "十、通知发送",   "十一、居民和组织对我们说了什么"};

/* ------------------------------------------------------------ reports */

static void test_yearly(void **state)
{
    fake_t *f = *state;
    f->cur_from = Y2026_MS;
    char *html = (char *)1;
    hub_error_t err = {0};
    assert_int_equal(rep_html_report("yearly", "2026", true, NULL, NOW_MS, s_fake_query, f, &html, &err), 0);
    s_check_document(html);
    assert_non_null(strstr(html, "<title>海曙区社会组织服务中心 2026 年度报告</title>"));
    assert_non_null(strstr(html, "<h1>海曙区社会组织服务中心 2026 年度报告</h1>"));
    for (size_t i = 0; i < sizeof s_titles / sizeof s_titles[0]; i++) assert_non_null(strstr(html, s_titles[i]));
    assert_non_null(strstr(html, "<svg"));
    assert_non_null(strstr(html, "viewBox="));
    assert_non_null(strstr(html, "width=\"100%\""));
    assert_non_null(strstr(html, "<title>求助请求：求助请求</title>"));
    assert_non_null(strstr(html, "&lt;5"));
    assert_non_null(strstr(html, ">&lt;5</td>"));            /* a table cell */
    assert_non_null(strstr(html, ">&lt;5</text>"));          /* a chart label */
    assert_non_null(strstr(html, EVIL_ESC));
    assert_non_null(strstr(html, "助老 &amp; 助残服务"));
    assert_non_null(strstr(html, "12,345.67"));              /* funds in yuan */
    assert_non_null(strstr(html, "3.2 d"));                  /* times */
    assert_non_null(strstr(html, "本期无数据"));             /* opinions by street */
    assert_non_null(strstr(html, "2026-01-01 至 2026-12-31"));
    assert_non_null(strstr(html, "2025-01-01 至 2025-12-31"));
    assert_non_null(strstr(html, "少于 5 的计数显示为“&lt;5”"));
    /* months as columns: one label per month */
    assert_non_null(strstr(html, ">03月</text>"));
    /* the public total over a suppressed column is hidden, others shown */
    char *req = s_section_of(html, "三、求助请求");
    assert_non_null(strstr(req, "<tfoot><tr><th>合计</th><td class=\"n\">—</td><td class=\"n\">—</td>"
                                "<td class=\"n\">2</td></tr>\n</tfoot>"));
    free(req);
    free(html);
}

/* One district's report (reporting.report district=D): the title names it. */
static void test_district_title(void **state)
{
    fake_t *f = *state;
    f->cur_from = NOV2026_MS;
    char *html = NULL;
    hub_error_t err = {0};
    assert_int_equal(rep_html_report("monthly", "2026-11", true, "jiangbei", NOW_MS, s_fake_query, f, &html, &err), 0);
    s_check_document(html);
    assert_non_null(strstr(html, "<title>海曙区社会组织服务中心 2026 年 11 月月报（区县：jiangbei）</title>"));
    assert_non_null(strstr(html, "<h1>海曙区社会组织服务中心 2026 年 11 月月报（区县：jiangbei）</h1>"));
    free(html);
    assert_int_equal(rep_html_report("yearly", "2026", true, "", NOW_MS, s_fake_query, f, &html, &err), 0);
    assert_non_null(strstr(html, "<title>海曙区社会组织服务中心 2026 年度报告</title>")); /* "" = all */
    free(html);
}

/* "What residents and organizations told us": opinions by policy topic
 * (a topic linked to none named), by topic and by street; participation
 * in activities by kind (named in Chinese) and street; counts only. */
static void test_told_us(void **state)
{
    fake_t *f = *state;
    f->cur_from = Y2026_MS;
    char *html = NULL;
    hub_error_t err = {0};
    assert_int_equal(rep_html_report("yearly", "2026", true, NULL, NOW_MS, s_fake_query, f, &html, &err), 0);
    s_check_document(html);
    char *sec = s_section_of(html, "十一、居民和组织对我们说了什么");
    assert_non_null(strstr(sec, "不含任何个人信息"));
    assert_non_null(strstr(sec, "<caption>意见建议（按政策主题）</caption>"));
    assert_non_null(strstr(sec, "<tr><td>elderly-care-policy</td><td class=\"n\">9</td></tr>"));
    assert_non_null(strstr(sec, "<tr><td>未关联政策主题</td><td class=\"n\">&lt;5</td></tr>"));
    assert_non_null(strstr(sec, "<th>政策主题</th><th class=\"n\">意见建议</th>"));
    assert_non_null(strstr(sec, "服务质量"));   /* by the channel's topic */
    assert_non_null(strstr(sec, "<caption>活动参与（按活动类型）</caption>"));
    assert_non_null(strstr(sec, "<th>类型</th><th class=\"n\">举办活动</th><th class=\"n\">取消活动</th>"
                                "<th class=\"n\">报名人次</th><th class=\"n\">获得名额</th><th class=\"n\">候补</th>"
                                "<th class=\"n\">取消报名</th><th class=\"n\">签到出席</th>"));
    assert_non_null(strstr(sec, "<tr><td>慈善义工日</td><td class=\"n\">5</td><td class=\"n\">&lt;5</td>"
                                "<td class=\"n\">30</td><td class=\"n\">24</td>"));
    assert_non_null(strstr(sec, "<td>听证会</td>"));
    assert_non_null(strstr(sec, ">75.00</td>"));               /* hours, not hundredths */
    assert_non_null(strstr(sec, ">慈善义工日</text>"));       /* the chart names it too */
    assert_non_null(strstr(sec, EVIL_ESC));                    /* an unknown kind as it came, escaped */
    assert_non_null(strstr(sec, "<caption>活动参与（按街道）</caption>"));
    assert_null(strstr(sec, "volunteer_day"));
    free(sec);
    free(html);
    /* with the catalogue (as the daemon sets it): topics by their names */
    intake_catalogue_t *cat = intake_catalogue_load(NULL, &err);
    assert_non_null(cat);
    rep_html_topics(cat);
    assert_int_equal(rep_html_report("yearly", "2026", true, NULL, NOW_MS, s_fake_query, f, &html, &err), 0);
    rep_html_topics(NULL);
    intake_catalogue_destroy(&cat);
    sec = s_section_of(html, "十一、居民和组织对我们说了什么");
    assert_non_null(strstr(sec, "<tr><td>养老服务政策</td><td class=\"n\">9</td></tr>"));
    assert_null(strstr(sec, "elderly-care-policy"));
    free(sec);
    free(html);
}

static void test_yearly_ranges(void **state)
{
    fake_t *f = *state;
    f->cur_from = Y2026_MS;
    char *html = NULL;
    hub_error_t err = {0};
    assert_int_equal(rep_html_report("yearly", "2026", true, NULL, NOW_MS, s_fake_query, f, &html, &err), 0);
    free(html);
    int cur = 0, prev = 0, month = 0;
    for (int i = 0; i < f->n_seen; i++) {
        const seen_t *s = &f->seen[i];
        assert_true(s->public_view);
        if (s->from == Y2026_MS) {
            assert_int_equal(s->to, Y2027_MS);
            cur++;
        } else {
            assert_int_equal(s->from, Y2025_MS);
            assert_int_equal(s->to, Y2026_MS);
            prev++;
        }
        if (!strcmp(s->figure, "requests") && !strcmp(s->by, "month")) month++;
        assert_true(strcmp(s->by, "day"));
    }
    assert_int_equal(cur, 18);
    assert_int_equal(prev, 3); /* summary, requests by service and by street */
    assert_int_equal(month, 1);
}

static void test_monthly(void **state)
{
    fake_t *f = *state;
    f->cur_from = NOV2026_MS;
    char *html = NULL;
    hub_error_t err = {0};
    assert_int_equal(rep_html_report("monthly", "2026-11", false, NULL, NOW_MS, s_fake_query, f, &html, &err), 0);
    s_check_document(html);
    assert_non_null(strstr(html, "<title>海曙区社会组织服务中心 2026 年 11 月月报</title>"));
    for (size_t i = 0; i < sizeof s_titles / sizeof s_titles[0]; i++) assert_non_null(strstr(html, s_titles[i]));
    assert_non_null(strstr(html, "<svg"));
    assert_non_null(strstr(html, "2026-11-01 至 2026-11-30"));
    assert_non_null(strstr(html, "2026-10-01 至 2026-10-31"));
    assert_non_null(strstr(html, "内部版本"));
    assert_non_null(strstr(html, ">02</text>")); /* days as columns */
    /* exact view: the totals are shown */
    assert_non_null(strstr(html, "<tfoot><tr><th>合计</th><td class=\"n\">150</td>"));
    free(html);
    bool day = false;
    for (int i = 0; i < f->n_seen; i++) {
        const seen_t *s = &f->seen[i];
        assert_false(s->public_view);
        assert_true(s->from == NOV2026_MS || s->from == OCT2026_MS);
        assert_int_equal(s->to, s->from == NOV2026_MS ? DEC2026_MS : NOV2026_MS);
        day |= !strcmp(s->figure, "requests") && !strcmp(s->by, "day");
    }
    assert_true(day);
}

static void test_trends(void **state)
{
    fake_t *f = *state;
    f->cur_from = Y2026_MS;
    char *html = NULL;
    assert_int_equal(rep_html_report("yearly", "2026", true, NULL, NOW_MS, s_fake_query, f, &html, NULL), 0);
    char *key = s_section_of(html, "一、关键指标");
    assert_non_null(strstr(key, "<th>求助请求</th><td class=\"n\">100</td><td class=\"n\">80</td>"
                                "<td class=\"n\"><span class=\"up\">▲ +20 (+25%)</span></td>"));
    assert_non_null(strstr(key, "<th>已办结</th><td class=\"n\">50</td><td class=\"n\">60</td>"
                                "<td class=\"n\"><span class=\"down\">▼ -10 (-17%)</span></td>"));
    /* previous 0, and a suppressed current value: no trend */
    assert_non_null(strstr(key, "<th>未满足需求</th><td class=\"n\">9</td><td class=\"n\">0</td>"
                                "<td class=\"n\"><span>—</span></td>"));
    assert_non_null(strstr(key, "<th>待人工处理</th><td class=\"n\">&lt;5</td><td class=\"n\">7</td>"
                                "<td class=\"n\"><span>—</span></td>"));
    /* amounts in yuan, the change too */
    assert_non_null(strstr(key, "1,234.56</td><td class=\"n\">1,000.00</td>"
                                "<td class=\"n\"><span class=\"up\">▲ +234.56 (+23%)</span>"));
    assert_null(strstr(key, "处理事件")); /* the daemon's bookkeeping is left out */
    free(key);
    free(html);
}

static void test_hot_issues(void **state)
{
    fake_t *f = *state;
    f->cur_from = Y2026_MS;
    char *html = NULL;
    assert_int_equal(rep_html_report("yearly", "2026", true, NULL, NOW_MS, s_fake_query, f, &html, NULL), 0);
    char *hot = s_section_of(html, "二、热点问题");
    assert_non_null(strstr(hot, "<li><strong>elderly-care</strong>：本期求助 30 件，上期 20 件，增加 10 件（+50%）"));
    assert_non_null(strstr(hot, "<li><strong>legal-aid</strong>：本期求助 12 件，上期没有求助"));
    assert_non_null(strstr(hot, "<li><strong>family</strong>：本期求助 30 件，上期 25 件，增加 5 件（+20%）"));
    assert_non_null(strstr(hot, "<li><strong>鼓楼街道</strong>：本期求助 50 件，上期 40 件，增加 10 件（+25%）"));
    /* grew too little, in number or in percent, or fell */
    assert_null(strstr(hot, "child-care"));
    assert_null(strstr(hot, "disability"));
    assert_null(strstr(hot, "youth"));
    assert_null(strstr(hot, "mental-health"));
    assert_null(strstr(hot, "西门街道</strong>：本期求助"));
    assert_null(strstr(hot, "script"));
    /* unmet demand, largest first; nothing unmet not listed */
    const char *housing = strstr(hot, "<li><strong>housing · 西门街道</strong>：本期有 7 件求助没有服务方能够承接，"
                                      "其中 2 件仍在人工处理队列中");
    const char *elderly = strstr(hot, "<li><strong>elderly-care · 鼓楼街道</strong>：本期有 &lt;5 件");
    assert_non_null(housing);
    assert_non_null(elderly);
    assert_true(housing < elderly);
    assert_null(strstr(hot, "sports"));
    assert_null(strstr(hot, "本期未发现"));
    free(hot);
    free(html);
}

/* A fake whose every table is empty: every hot-issue list says none. */
static int s_empty_query(void *arg, const Reporting__QueryRequest *q, Reporting__QueryReply **out, hub_error_t *err)
{
    fake_t *f = arg;
    (void)err;
    Reporting__QueryReply *r = hub_arena_alloc(f->arena, sizeof *r);
    reporting__query_reply__init(r);
    r->tables = hub_arena_alloc(f->arena, 2 * sizeof *r->tables);
    char name[64];
    snprintf(name, sizeof name, "%s%s%s", q->figure, q->by[0] ? "_by_" : "", q->by);
    s_tab(f, r, name, "空表", "k", "requests", "count");
    *out = r;
    return 0;
}

static void test_hot_issues_none(void **state)
{
    fake_t *f = *state;
    char *html = NULL;
    assert_int_equal(rep_html_report("monthly", "2026-02", true, NULL, NOW_MS, s_empty_query, f, &html, NULL), 0);
    s_check_document(html);
    char *hot = s_section_of(html, "二、热点问题");
    assert_non_null(strstr(hot, "本期没有需求明显增长的服务。"));
    assert_non_null(strstr(hot, "本期没有需求明显增长的街道。"));
    assert_non_null(strstr(hot, "本期没有未满足的需求。"));
    assert_non_null(strstr(hot, "本期未发现需要特别关注的热点问题。"));
    assert_null(strstr(hot, "<li>"));
    free(hot);
    assert_null(strstr(html, "<svg")); /* no rows, no chart */
    assert_non_null(strstr(html, "本期无数据"));
    assert_non_null(strstr(html, "2026-02-01 至 2026-02-28"));
    free(html);
}

static void test_bad_kind_period(void **state)
{
    fake_t *f = *state;
    static const char *const bad[][2] = {
        {"weekly", "2026"},    {NULL, "2026"},        {"Yearly", "2026"},     {"yearly", "26"},
        {"yearly", "2026-11"}, {"yearly", "20a6"},    {"yearly", " 2026"},    {"yearly", "2026 "},
        {"yearly", "1969"},    {"yearly", NULL},      {"yearly", ""},         {"monthly", "2026"},
        {"monthly", "2026-13"}, {"monthly", "2026-00"}, {"monthly", "2026-1"}, {"monthly", "2026/11"},
        {"monthly", "2026-11x"}, {"monthly", "-2026-11"}, {"monthly", "2026-+1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *html = NULL;
        hub_error_t err = {0};
        assert_int_equal(rep_html_report(bad[i][0], bad[i][1], true, NULL, NOW_MS, s_fake_query, f, &html, &err), -1);
        assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
        assert_string_equal(err.field, i < 3 ? "kind" : "period");
        assert_null(html);
    }
    assert_int_equal(f->n_seen, 0); /* refused before asking anything */
}

static void test_query_fails(void **state)
{
    fake_t *f = *state;
    f->cur_from = Y2026_MS;
    f->fail = "workload";
    char *html = NULL;
    hub_error_t err = {0};
    assert_int_equal(rep_html_report("yearly", "2026", false, NULL, NOW_MS, s_fake_query, f, &html, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__UNAVAILABLE);
    assert_null(html);
    f->fail = "disclosures";
    memset(&err, 0, sizeof err);
    assert_int_equal(rep_html_page("donations", NOW_MS, s_fake_query, f, &html, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__UNAVAILABLE);
    assert_null(html);
}

/* ------------------------------------------------------------ pages */

static void test_page_donations(void **state)
{
    fake_t *f = *state;
    char *html = NULL;
    hub_error_t err = {0};
    assert_int_equal(rep_html_page("donations", NOW_MS, s_fake_query, f, &html, &err), 0);
    s_check_document(html);
    assert_non_null(strstr(html, "慈善捐赠公示</title>"));
    assert_non_null(strstr(html, "<td>王**</td><td>鼓楼街道</td><td>助学</td><td class=\"n\">2,000.00</td>"));
    assert_non_null(strstr(html, "12,345.67"));
    assert_non_null(strstr(html, "<svg"));
    assert_non_null(strstr(html, ">10月</text>"));
    assert_non_null(strstr(html, "&lt;5"));
    free(html);
    bool funds = false, disclosures = false;
    for (int i = 0; i < f->n_seen; i++) {
        assert_true(f->seen[i].public_view);
        assert_int_equal(f->seen[i].from, 0);
        assert_int_equal(f->seen[i].to, NOW_MS);
        funds |= !strcmp(f->seen[i].figure, "funds") && !strcmp(f->seen[i].by, "month");
        disclosures |= !strcmp(f->seen[i].figure, "disclosures");
    }
    assert_true(funds && disclosures);
}

static void test_page_tenders(void **state)
{
    fake_t *f = *state;
    char *html = NULL;
    hub_error_t err = {0};
    assert_int_equal(rep_html_page("tenders", NOW_MS, s_fake_query, f, &html, &err), 0);
    s_check_document(html);
    assert_non_null(strstr(html, "公益招投标与创投项目公示</title>"));
    assert_non_null(strstr(html, "<caption>项目状态</caption>"));
    assert_non_null(strstr(html, "<caption>项目明细</caption>"));
    assert_non_null(strstr(html, "<td>ocds-hshub0-000001</td><td>助老 &amp; 助残服务</td><td>海曙区民政局</td>"
                                 "<td>awarded</td><td>乐龄社工</td><td class=\"n\">3</td>"
                                 "<td class=\"n\">50,000.00</td><td class=\"n\">48,000.00</td>"
                                 "<td class=\"n\">10,000.00</td>"));
    assert_non_null(strstr(html, "<svg")); /* processes by state */
    assert_int_equal(f->n_seen, 1);
    assert_string_equal(f->seen[0].figure, "tenders");
    assert_true(f->seen[0].public_view);
    free(html);
}

static void test_page_unknown(void **state)
{
    fake_t *f = *state;
    const char *pages[] = {"secret", "", "Donations", NULL};
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        char *html = NULL;
        hub_error_t err = {0};
        assert_int_equal(rep_html_page(pages[i], NOW_MS, s_fake_query, f, &html, &err), -1);
        assert_int_equal(err.code, HUB__ERROR_CODE__NOT_FOUND);
        assert_null(html);
    }
    assert_int_equal(f->n_seen, 0);
}

/* ------------------------------------------------------------ hub_figfmt */

static void test_fig_cell(void **state)
{
    (void)state;
    char b[48];
    static const struct {
        const char *unit;
        int64_t v;
        const char *want;
    } cases[] = {
        {"count", 0, "0"},         {"count", 999, "999"},          {"count", 1234, "1,234"},
        {"count", 1000000, "1,000,000"}, {"count", -1, "<5"},      {NULL, 1234, "1,234"},
        {NULL, -1, "<5"},          {"count", -1234, "-1,234"},
        {"fen", 1234567, "12,345.67"}, {"fen", 5, "0.05"},         {"fen", 0, "0.00"},
        {"fen", -250, "-2.50"},    {"fen", -123456, "-1,234.56"},  {"fen", 100, "1.00"},
        {"fen", -1, "-"},          {"fen", INT64_MIN, "-92,233,720,368,547,758.08"},
        {"ms", 42000, "42 s"},     {"ms", 0, "0 s"},               {"ms", 2100000, "35 min"},
        {"ms", 9000000, "2.5 h"},  {"ms", 276480000, "3.2 d"},     {"ms", -1, "-"},
        {"ms", 59600, "1 min"},    {"ms", 2130000, "36 min"},      {"ms", 3590000, "1.0 h"},
        {"ms", 172800000, "2.0 d"}, {"ms", 1499, "1 s"},
        {"hours_x100", 1250, "12.50"}, {"hours_x100", -1, "-"},
        {"percent", 12, "12%"},    {"percent", -1, "-"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = hub_fig_cell(cases[i].unit, cases[i].v, b, sizeof b);
        assert_ptr_equal(got, b);
        assert_string_equal(got, cases[i].want);
    }
    /* a short buffer is truncated, never overrun */
    char small[4] = "xyz";
    hub_fig_cell("count", 1234567, small, sizeof small);
    assert_string_equal(small, "1,2");
}

/* A table with awkward keys, a suppressed count and a time with no data. */
static Reporting__Table *s_csv_table(fake_t *f, Reporting__QueryReply *r)
{
    Reporting__Table *t = s_tab(f, r, "times_by_street", "响应时间", "street", "requests,close_p50", "count,ms");
    s_row(f, t, "鼓楼街道", 2, V(30), V(60000));
    s_row(f, t, "a,b", 2, V(-1), V(-1));
    s_row(f, t, "say \"hi\"", 2, V(7), V(1));
    s_row(f, t, "line\nbreak", 2, V(0), V(0));
    s_total(f, t, 2, V(40), V(-1));
    return t;
}

static void test_fig_csv(void **state)
{
    fake_t *f = *state;
    Reporting__QueryReply r = REPORTING__QUERY_REPLY__INIT;
    Reporting__Table *tabs[2];
    r.tables = tabs;
    Reporting__Table *t = s_csv_table(f, &r);
    char *csv = hub_fig_csv(t);
    assert_non_null(csv);
    assert_string_equal(csv, "street,requests,close_p50\r\n"
                             "鼓楼街道,30,60000\r\n"
                             "\"a,b\",<5,\r\n"
                             "\"say \"\"hi\"\"\",7,1\r\n"
                             "\"line\nbreak\",0,0\r\n");
    free(csv);
    /* a quoted header, a row short of values: every line has every field */
    t = s_tab(f, &r, "x", "x", "key\r", "a,b", "");
    s_row(f, t, "k", 1, V(5));
    csv = hub_fig_csv(t);
    assert_string_equal(csv, "\"key\r\",a,b\r\nk,5,\r\n");
    free(csv);
}

static void test_fig_json(void **state)
{
    fake_t *f = *state;
    Reporting__QueryReply r = REPORTING__QUERY_REPLY__INIT;
    Reporting__Table *tabs[2];
    r.tables = tabs;
    r.from_ms = Y2026_MS;
    r.to_ms = Y2027_MS;
    r.suppressed = true;
    s_csv_table(f, &r);
    json_t *j = hub_fig_json(&r);
    assert_non_null(j);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    json_error_t jerr;
    json_t *back = json_loads(text, 0, &jerr);
    free(text);
    assert_non_null(back);
    assert_int_equal(json_integer_value(json_object_get(back, "from_ms")), Y2026_MS);
    assert_int_equal(json_integer_value(json_object_get(back, "to_ms")), Y2027_MS);
    assert_true(json_is_true(json_object_get(back, "suppressed")));
    json_t *tables = json_object_get(back, "tables");
    assert_int_equal(json_array_size(tables), 1);
    json_t *t = json_array_get(tables, 0);
    assert_string_equal(json_string_value(json_object_get(t, "name")), "times_by_street");
    assert_string_equal(json_string_value(json_object_get(t, "title")), "响应时间");
    assert_string_equal(json_string_value(json_array_get(json_object_get(t, "key_columns"), 0)), "street");
    assert_string_equal(json_string_value(json_array_get(json_object_get(t, "value_columns"), 1)), "close_p50");
    assert_string_equal(json_string_value(json_array_get(json_object_get(t, "units"), 1)), "ms");
    json_t *rows = json_object_get(t, "rows");
    assert_int_equal(json_array_size(rows), 4);
    json_t *r0 = json_array_get(rows, 0), *r1 = json_array_get(rows, 1);
    assert_string_equal(json_string_value(json_object_get(r0, "street")), "鼓楼街道");
    assert_int_equal(json_integer_value(json_object_get(r0, "requests")), 30);
    assert_int_equal(json_integer_value(json_object_get(r0, "close_p50")), 60000);
    assert_string_equal(json_string_value(json_object_get(r1, "street")), "a,b");
    assert_string_equal(json_string_value(json_object_get(r1, "requests")), "<5");
    assert_true(json_is_null(json_object_get(r1, "close_p50")));
    json_t *total = json_object_get(t, "total");
    assert_int_equal(json_integer_value(json_object_get(total, "requests")), 40);
    assert_string_equal(json_string_value(json_object_get(total, "street")), "合计");
    json_decref(back);
    /* no total: null */
    r.n_tables = 0;
    Reporting__Table *bare = s_tab(f, &r, "outcomes", "办理结果", "outcome", "requests", "count");
    (void)bare;
    j = hub_fig_json(&r);
    assert_true(json_is_null(json_object_get(json_array_get(json_object_get(j, "tables"), 0), "total")));
    assert_int_equal(json_array_size(json_object_get(json_array_get(json_object_get(j, "tables"), 0), "rows")), 0);
    json_decref(j);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_yearly),          T(test_told_us),        T(test_yearly_ranges),  T(test_monthly),       T(test_trends),
        T(test_hot_issues),      T(test_hot_issues_none), T(test_bad_kind_period), T(test_query_fails),
        T(test_page_donations),  T(test_page_tenders),   T(test_page_unknown),  T(test_fig_cell),
        T(test_fig_csv),         T(test_fig_json),       T(test_district_title),
    };
    return cmocka_run_group_tests_name("test_html", tests, NULL, NULL);
}
