/* Unit tests for the notification domain (services/notification/notify.c):
 * the template file format and its errors, rendering and language
 * fallback, the embedded default templates and a template directory,
 * channel choice for requesters and directory recipients, quiet hours in
 * China Standard Time, retry backoff, the token bucket, the HMAC webhook
 * signature, the bytes of the webhook, e-mail and SMS bodies, and the
 * activity rules: who hears an announcement, who gets a reminder and
 * when, what passes the quiet hours, how an activity's time reads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intake.pb-c.h"
#include "notify.h"

/* 2026-01-05 00:00 China Standard Time, a Monday (2026-01-04 16:00 UTC). */
#define T_MON0 1767542400000LL
#define MIN_MS (60 * 1000LL)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

/* intake.ContactMethod */
#define CM_UNSPECIFIED 0
#define CM_PHONE 1
#define CM_SMS 2
#define CM_EMAIL 3
#define CM_WECHAT 4
#define CM_NO_CONTACT 5

/* ------------------------------------------------------------ helpers */

/* A malloc'd string from a printf format. */
static char *s_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *s_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    assert_true(vasprintf(&s, fmt, ap) >= 0);
    va_end(ap);
    return s;
}

/* A valid template file: every rule template but skip (may be NULL), each
 * "subject: <tag> <name> {{<its first placeholder>}}" (request_id for the
 * request templates) and a body line using each of
 * its placeholders, then extra (may be NULL). Caller frees. */
static char *s_rules(const char *tag, const char *skip, const char *extra)
{
    char *out = s_fmt("# a test file\n\n");
    for (const notify_rule_template_t *r = notify_rule_templates; r->name; r++) {
        if (skip && !strcmp(skip, r->name)) continue;
        char *body = s_fmt("%s", "");
        for (const char *const *p = r->placeholders; *p; p++) {
            char *b = s_fmt("%s%s={{%s}};", body, *p, *p);
            free(body);
            body = b;
        }
        char *next = s_fmt("%s== %s\nsubject: %s %s {{%s}}\n%s\n\n", out, r->name, tag, r->name, r->placeholders[0],
                           body);
        free(body);
        free(out);
        out = next;
    }
    char *next = s_fmt("%s%s", out, extra ? extra : "");
    free(out);
    return next;
}

/* Number of lines in s (its '\n' count). */
static int s_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* Asserts err is INVALID_ARGUMENT and its message contains want. */
static void s_assert_invalid(const hub_error_t *err, const char *want)
{
    if (err->code != HUB__ERROR_CODE__INVALID_ARGUMENT || !strstr(err->message, want))
        fail_msg("want INVALID_ARGUMENT with \"%s\", got %d \"%s\"", want, err->code, err->message);
}

/* Adds text as language lang labelled "test.txt" to a new set and expects
 * an INVALID_ARGUMENT error containing want; the set still has no
 * language afterwards. */
static void s_expect_refused(const char *lang, const char *text, const char *want)
{
    notify_templates_t *t = notify_templates_new();
    assert_non_null(t);
    hub_error_t err = {0};
    assert_int_equal(notify_templates_add(t, lang, "test.txt", text, &err), -1);
    s_assert_invalid(&err, want);
    assert_false(notify_templates_has_lang(t, lang));
    notify_templates_destroy(&t);
    assert_null(t);
}

/* The embedded defaults; fails the test if they do not load. */
static notify_templates_t *s_defaults(void)
{
    hub_error_t err = {0};
    notify_templates_t *t = notify_templates_load(NULL, &err);
    if (!t) fail_msg("embedded templates: %s", err.message);
    return t;
}

/* Writes text to dir/name. */
static void s_write(const char *dir, const char *name, const char *text, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Removes dir/name (may not exist). */
static void s_unlink(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

/* Decodes base64 (original alphabet) into a malloc'd NUL-terminated string. */
static char *s_unbase64(const char *b64, size_t len)
{
    char *out = malloc(len + 1);
    size_t n = 0;
    assert_non_null(out);
    assert_int_equal(sodium_base642bin((unsigned char *)out, len, b64, len, NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    out[n] = 0;
    return out;
}

/* ------------------------------------------------------------ rule table */

static void test_rule_table(void **state)
{
    (void)state;
    static const char *const want[][9] = {
        {"request_received", "request_id", "service", "street"},
        {"offer", "request_id", "service", "street", "urgency", "deadline", "provider"},
        {"offer_reminder", "request_id", "service", "deadline", "provider"},
        {"offer_withdrawn", "request_id", "service", "provider", "reason"},
        {"referral_accepted", "request_id", "service", "provider"},
        {"unmatched", "request_id", "service", "street", "urgency"},
        {"offer_expired", "request_id", "service", "provider"},
        {"followup", "request_id", "service", "provider"},
        {"activity_reminder", "activity_id", "registration_id", "title", "kind", "time", "place"},
        {"activity_promoted", "activity_id", "registration_id", "title", "kind", "time", "place"},
        {"activity_cancelled", "activity_id", "registration_id", "title", "kind", "time", "place", "reason"},
        {"activity_announcement", "activity_id", "title", "kind", "time", "place", "deadline", "text"},
    };
    size_t i = 0;
    for (; notify_rule_templates[i].name; i++) {
        assert_true(i < 12);
        assert_string_equal(notify_rule_templates[i].name, want[i][0]);
        size_t k = 0;
        for (; notify_rule_templates[i].placeholders[k]; k++)
            assert_string_equal(notify_rule_templates[i].placeholders[k], want[i][k + 1]);
        assert_null(want[i][k + 1]);
    }
    assert_int_equal(i, 12);
}

/* ------------------------------------------------------------ parsing */

static void test_parse_format(void **state)
{
    (void)state;
    /* CRLF lines, a '#' line and a blank line inside a body, trailing
     * blank lines, spaces around the subject, a subject-only template */
    char *text = s_rules("T", NULL,
                         "== greet\r\n"
                         "subject:   Hello {{who}}  \r\n"
                         "Line one {{who}}, {not} a {placeholder}\r\n"
                         "# not a comment here\r\n"
                         "\r\n"
                         "  indented {{who}}{{who}}\r\n"
                         "\r\n"
                         "   \r\n"
                         "== empty\n"
                         "subject:\n");
    notify_templates_t *t = notify_templates_new();
    hub_error_t err = {0};
    if (notify_templates_add(t, "zh", "test.txt", text, &err)) fail_msg("%s", err.message);
    free(text);
    assert_true(notify_templates_has_lang(t, "zh"));
    assert_true(notify_templates_has(t, "greet", "zh"));
    assert_true(notify_templates_has(t, "empty", "zh"));
    assert_true(notify_templates_has(t, "offer", "zh"));
    assert_false(notify_templates_has(t, "Greet", "zh"));

    hub_arena_t *a = hub_arena_new(1 << 16);
    const char *subject = NULL, *body = NULL;
    notify_kv_t kv[] = {{"other", "x"}, {"who", "世界"}, {"who", "ignored: the first value counts"}};
    assert_int_equal(notify_render(t, "greet", "zh", kv, 3, a, &subject, &body, &err), 0);
    assert_string_equal(subject, "Hello 世界");
    assert_string_equal(body, "Line one 世界, {not} a {placeholder}\n# not a comment here\n\n  indented 世界世界");

    /* a value is inserted as is, never expanded again */
    notify_kv_t raw[] = {{"who", "{{who}}"}};
    assert_int_equal(notify_render(t, "greet", "zh", raw, 1, a, &subject, &body, &err), 0);
    assert_string_equal(subject, "Hello {{who}}");

    assert_int_equal(notify_render(t, "empty", "zh", NULL, 0, a, &subject, &body, &err), 0);
    assert_string_equal(subject, "");
    assert_string_equal(body, "");

    /* a rule template of the generated file */
    notify_kv_t offer[] = {{"request_id", "R1"}, {"service", "S"}, {"street", "ST"},
                           {"urgency", "U"},     {"deadline", "D"}, {"provider", "P"}};
    assert_int_equal(notify_render(t, "offer", "zh", offer, 6, a, &subject, &body, &err), 0);
    assert_string_equal(subject, "T offer R1");
    assert_string_equal(body, "request_id=R1;service=S;street=ST;urgency=U;deadline=D;provider=P;");
    hub_arena_destroy(&a);
    notify_templates_destroy(&t);

    /* a UTF-8 byte order mark (Windows editors) is skipped */
    text = s_rules("T", NULL, NULL);
    char *bom = s_fmt("\xEF\xBB\xBF%s", text);
    t = notify_templates_new();
    if (notify_templates_add(t, "zh", "bom.txt", bom, &err)) fail_msg("%s", err.message);
    notify_templates_destroy(&t);
    free(bom);
    free(text);
}

static void test_parse_unknown_placeholder(void **state)
{
    (void)state;
    /* in a rule template's body: the error names file, line and placeholder */
    char *base = s_rules("T", "unmatched", NULL);
    int line = s_lines(base) + 4;
    char *text = s_fmt("%s== unmatched\nsubject: x {{request_id}}\nbody {{street}}\nthen {{provider}} here\n", base);
    char *want = s_fmt("test.txt:%d: unknown placeholder {{provider}} in template \"unmatched\"", line);
    s_expect_refused("zh", text, want);
    free(text);
    free(want);

    /* in a rule template's subject */
    text = s_fmt("%s== unmatched\nsubject: {{deadline}}\n", base);
    want = s_fmt("test.txt:%d: unknown placeholder {{deadline}}", s_lines(base) + 2);
    s_expect_refused("zh", text, want);
    free(text);
    free(want);
    free(base);

    /* the message lists what is allowed */
    base = s_rules("T", "offer_withdrawn", "== offer_withdrawn\nsubject: s\n{{street}}\n");
    s_expect_refused("zh", base, "allowed: request_id, service, provider, reason");
    free(base);

    /* any placeholder in an operator's own template is fine */
    base = s_rules("T", NULL, "== mine\nsubject: {{anything}}\n{{a_b_1}} {{x}}\n");
    notify_templates_t *t = notify_templates_new();
    hub_error_t err = {0};
    assert_int_equal(notify_templates_add(t, "zh", "test.txt", base, &err), 0);
    notify_templates_destroy(&t);
    free(base);
}

static void test_parse_missing_rule(void **state)
{
    (void)state;
    for (const notify_rule_template_t *r = notify_rule_templates; r->name; r++) {
        char *text = s_rules("T", r->name, "== other\nsubject: x\ny\n");
        char *want = s_fmt("test.txt: rule template \"%s\" is missing", r->name);
        s_expect_refused("zh", text, want);
        free(text);
        free(want);
    }
    s_expect_refused("zh", "", "rule template \"request_received\" is missing");
    s_expect_refused("zh", "# only a comment\n", "is missing");
}

static void test_parse_syntax(void **state)
{
    (void)state;
    static const struct {
        const char *head;  /* before a valid file */
        const char *want;
    } cases[] = {
        {"hello\n", "test.txt:1: text outside a template"},
        {"# c\n\n  x\n", "test.txt:3: text outside a template"},
        {"== Offer\nsubject: s\n", "test.txt:1: bad template name \"Offer\""},
        {"==\nsubject: s\n", "test.txt:1: bad template name"},
        {"== a-b\nsubject: s\n", "test.txt:1: bad template name"},
        {"==x\nsubject: s\n", "test.txt:1: expected \"== name\""},
        {"== a\nbody first\n", "test.txt:2: expected \"subject: ...\" as the first line of template \"a\""},
        {"== a\n\nsubject: s\n", "test.txt:2: expected \"subject: ...\""},
        {"== a\n== b\nsubject: s\n", "test.txt:1: template \"a\" has no \"subject:\" line"},
        {"== a\nsubject: s\nok\n{{ who }}\n", "test.txt:4: malformed placeholder"},
        {"== a\nsubject: {{who\n", "test.txt:2: malformed placeholder"},
        {"== a\nsubject: s\n{{Who}}\n", "test.txt:3: malformed placeholder"},
        {"== a\nsubject: s\n{{}}\n", "test.txt:3: malformed placeholder"},
        {"== a\nsubject: s\nx\n== a\nsubject: t\n", "test.txt:4: template \"a\" defined twice"},
        {"== a\nsubject: {{p1}}{{p2}}{{p3}}{{p4}}{{p5}}{{p6}}{{p7}}{{p8}}\n"
         "{{p9}}{{p10}}{{p11}}{{p12}}{{p13}}{{p14}}{{p15}}{{p16}}{{p1}}\n{{p17}}\n",
         "test.txt:4: more than 16 distinct placeholders"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *text = s_fmt("%s%s", cases[i].head, "== zz_end\nsubject: s\nb\n");
        char *full = s_rules("T", NULL, NULL);
        char *both = s_fmt("%s%s", text, full);
        s_expect_refused("zh", both, cases[i].want);
        free(text);
        free(full);
        free(both);
    }
    /* a template at the very end without its subject line */
    char *base = s_rules("T", NULL, "== last\n");
    char *want = s_fmt("test.txt:%d: template \"last\" has no \"subject:\" line", s_lines(base));
    s_expect_refused("zh", base, want);
    free(base);
    free(want);

    /* 16 distinct placeholders are fine */
    base = s_rules("T", NULL,
                   "== many\nsubject: {{p1}}{{p2}}{{p3}}{{p4}}{{p5}}{{p6}}{{p7}}{{p8}}\n"
                   "{{p9}}{{p10}}{{p11}}{{p12}}{{p13}}{{p14}}{{p15}}{{p16}}{{p1}}\n");
    notify_templates_t *t = notify_templates_new();
    hub_error_t err = {0};
    if (notify_templates_add(t, "zh", "test.txt", base, &err)) fail_msg("%s", err.message);
    notify_templates_destroy(&t);
    free(base);
}

static void test_parse_utf8(void **state)
{
    (void)state;
    static const char *const bad[] = {"bad \xff\xfe", "overlong \xc0\xaf", "cut \xe6\xb5", "surrogate \xed\xa0\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *full = s_rules("T", NULL, NULL);
        char *text = s_fmt("== a\nsubject: 好\n第一行\n%s\n%s", bad[i], full);
        s_expect_refused("zh", text, "test.txt:4: invalid UTF-8");
        free(text);
        free(full);
    }
    /* in a comment too */
    char *full = s_rules("T", NULL, NULL);
    char *text = s_fmt("# ok\n# \xff\n%s", full);
    s_expect_refused("zh", text, "test.txt:2: invalid UTF-8");
    free(text);

    /* a refused file leaves the set as it was: the same language loads next */
    notify_templates_t *t = notify_templates_new();
    hub_error_t err = {0};
    assert_int_equal(notify_templates_add(t, "zh", "bad.txt", "== \xff\n", &err), -1);
    assert_int_equal(notify_templates_add(t, "zh", "good.txt", full, &err), 0);
    assert_true(notify_templates_has(t, "offer", "zh"));
    notify_templates_destroy(&t);
    free(full);
}

static void test_languages(void **state)
{
    (void)state;
    char *zh = s_rules("ZH", NULL, NULL), *en = s_rules("EN", NULL, NULL);
    notify_templates_t *t = notify_templates_new();
    hub_error_t err = {0};
    assert_int_equal(notify_templates_add(t, "zh", "zh.txt", zh, &err), 0);
    assert_int_equal(notify_templates_add(t, "zh", "again.txt", zh, &err), -1);
    s_assert_invalid(&err, "again.txt: language \"zh\" loaded twice");
    static const char *const bad[] = {"ZH", "z", "chin", "z1", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err = (hub_error_t){0};
        assert_int_equal(notify_templates_add(t, bad[i], "x.txt", en, &err), -1);
        s_assert_invalid(&err, "bad language");
    }
    assert_int_equal(notify_templates_add(t, "en", "en.txt", en, &err), 0);
    assert_true(notify_templates_has_lang(t, "zh"));
    assert_true(notify_templates_has_lang(t, "en"));
    assert_true(notify_templates_has_lang(t, "en-US"));  /* primary subtag */
    assert_true(notify_templates_has_lang(t, "EN_gb"));
    assert_true(notify_templates_has_lang(t, "zh-Hans-CN"));
    assert_false(notify_templates_has_lang(t, "fr"));
    assert_false(notify_templates_has_lang(t, "e"));
    assert_false(notify_templates_has_lang(t, ""));
    assert_false(notify_templates_has_lang(t, NULL));

    /* at most NOTIFY_MAX_LANGS */
    static const char *const more[] = {"fr", "de", "ja", "ko", "es", "ru"};
    for (size_t i = 0; i < 6; i++) assert_int_equal(notify_templates_add(t, more[i], "x.txt", en, &err), 0);
    assert_int_equal(notify_templates_add(t, "it", "it.txt", en, &err), -1);
    s_assert_invalid(&err, "more than 8 languages");
    notify_templates_destroy(&t);
    free(zh);
    free(en);
}

/* ------------------------------------------------------------ rendering */

static const notify_kv_t s_offer_kv[] = {
    {"request_id", "R20261126-000002"}, {"service", "居家养老"},
    {"street", "鼓楼街道"},             {"urgency", "紧急"},
    {"deadline", "11月27日 18:00"},     {"provider", "海曙区鼓楼街道老年协会"},
};

static void test_render_chinese(void **state)
{
    (void)state;
    notify_templates_t *t = s_defaults();
    hub_arena_t *a = hub_arena_new(1 << 16);
    hub_error_t err = {0};
    const char *subject = NULL, *text = NULL;
    if (notify_render(t, "offer", "zh", s_offer_kv, 6, a, &subject, &text, &err)) fail_msg("%s", err.message);
    assert_string_equal(subject, "新的服务转介：居家养老（紧急）");
    assert_non_null(strstr(text, "海曙区鼓楼街道老年协会，您好："));
    assert_non_null(strstr(text, "求助编号：R20261126-000002\n服务类别：居家养老\n所在街道：鼓楼街道\n紧急程度：紧急\n"));
    assert_non_null(strstr(text, "请在 11月27日 18:00 前"));
    assert_null(strstr(text, "{{"));
    assert_int_not_equal(text[strlen(text) - 1], '\n');

    notify_kv_t fu[] = {{"request_id", "R1"}, {"service", "居家养老"}, {"provider", "某志愿者"}};
    assert_int_equal(notify_render(t, "followup", "zh", fu, 3, a, &subject, &text, &err), 0);
    assert_string_equal(subject, "回访：您得到所需的帮助了吗？");
    assert_non_null(strstr(text, "已由某志愿者提供服务"));
    assert_non_null(strstr(text, "您得到所需的帮助了吗？"));
    hub_arena_destroy(&a);
    notify_templates_destroy(&t);
}

static void test_render_missing_value(void **state)
{
    (void)state;
    notify_templates_t *t = s_defaults();
    hub_arena_t *a = hub_arena_new(1 << 16);
    const char *subject = "untouched", *text = "untouched";
    notify_kv_t kv[6];
    for (size_t drop = 0; drop < 6; drop++) {
        size_t n = 0;
        for (size_t i = 0; i < 6; i++)
            if (i != drop) kv[n++] = s_offer_kv[i];
        hub_error_t err = {0};
        assert_int_equal(notify_render(t, "offer", "zh", kv, n, a, &subject, &text, &err), -1);
        assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
        assert_string_equal(err.field, s_offer_kv[drop].name);
        char *want = s_fmt("{{%s}}", s_offer_kv[drop].name);
        assert_non_null(strstr(err.message, want));
        free(want);
        assert_string_equal(subject, "untouched");
        assert_string_equal(text, "untouched");
    }
    /* a NULL value is no value */
    memcpy(kv, s_offer_kv, sizeof kv);
    kv[4].value = NULL;
    hub_error_t err = {0};
    assert_int_equal(notify_render(t, "offer", "en", kv, 6, a, &subject, &text, &err), -1);
    assert_string_equal(err.field, "deadline");
    /* nothing was left in the arena by the failures */
    assert_int_equal(hub_arena_used(a), 0);
    /* an empty value is a value */
    kv[4].value = "";
    assert_int_equal(notify_render(t, "offer", "en", kv, 6, a, &subject, &text, &err), 0);

    /* an arena too small: RESOURCE_EXHAUSTED */
    hub_arena_t *tiny = hub_arena_new(64);
    err = (hub_error_t){0};
    assert_int_equal(notify_render(t, "offer", "zh", s_offer_kv, 6, tiny, &subject, &text, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__RESOURCE_EXHAUSTED);
    hub_arena_destroy(&tiny);
    hub_arena_destroy(&a);
    notify_templates_destroy(&t);
}

static void test_render_fallback(void **state)
{
    (void)state;
    char *zh = s_rules("ZH", NULL, "== only_zh\nsubject: 只有中文 {{x}}\n正文\n");
    char *en = s_rules("EN", NULL, NULL);
    notify_templates_t *t = notify_templates_new();
    hub_error_t err = {0};
    assert_int_equal(notify_templates_add(t, "en", "en.txt", en, &err), 0);
    assert_int_equal(notify_templates_add(t, "zh", "zh.txt", zh, &err), 0);
    hub_arena_t *a = hub_arena_new(1 << 16);
    const char *s = NULL, *x = NULL;
    notify_kv_t kv[] = {{"request_id", "R9"}, {"service", "S"}, {"provider", "P"}, {"x", "值"}};
    static const struct {
        const char *lang, *subject;
    } cases[] = {
        {"zh", "ZH followup R9"}, {"en", "EN followup R9"}, {"en-GB", "EN followup R9"}, {"EN", "EN followup R9"},
        {"fr", "ZH followup R9"}, {"", "ZH followup R9"},   {NULL, "ZH followup R9"},    {"e", "ZH followup R9"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(notify_render(t, "followup", cases[i].lang, kv, 4, a, &s, &x, &err), 0);
        assert_string_equal(s, cases[i].subject);
    }
    /* a template only Chinese has */
    assert_true(notify_templates_has(t, "only_zh", "en"));
    assert_int_equal(notify_render(t, "only_zh", "en", kv, 4, a, &s, &x, &err), 0);
    assert_string_equal(s, "只有中文 值");
    assert_string_equal(x, "正文");

    /* unknown: NOT_FOUND */
    assert_false(notify_templates_has(t, "nope", "zh"));
    assert_int_equal(notify_render(t, "nope", "en", kv, 4, a, &s, &x, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__NOT_FOUND);
    assert_non_null(strstr(err.message, "nope"));
    err = (hub_error_t){0};
    assert_int_equal(notify_render(t, NULL, "zh", kv, 4, a, &s, &x, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__NOT_FOUND);
    hub_arena_destroy(&a);
    notify_templates_destroy(&t);

    /* without Chinese there is nothing to fall back to */
    t = notify_templates_new();
    assert_int_equal(notify_templates_add(t, "en", "en.txt", en, &err), 0);
    assert_false(notify_templates_has(t, "followup", "fr"));
    assert_true(notify_templates_has(t, "followup", "en"));
    notify_templates_destroy(&t);
    free(zh);
    free(en);
}

/* ------------------------------------------------------------ defaults, directory */

static void test_embedded_defaults(void **state)
{
    (void)state;
    hub_error_t err = {0};
    notify_templates_t *t = notify_templates_load("", &err);
    if (!t) fail_msg("%s", err.message);
    assert_true(notify_templates_has_lang(t, "zh"));
    assert_true(notify_templates_has_lang(t, "en"));
    assert_false(notify_templates_has_lang(t, "fr"));
    hub_arena_t *a = hub_arena_new(1 << 20);
    static const char *const langs[] = {"zh", "en"};
    for (size_t l = 0; l < 2; l++) {
        for (const notify_rule_template_t *r = notify_rule_templates; r->name; r++) {
            /* every value is "<name>", so each use shows */
            notify_kv_t kv[NOTIFY_MAX_PLACEHOLDERS];
            char vals[NOTIFY_MAX_PLACEHOLDERS][NOTIFY_MAX_NAME + 2];
            size_t n = 0;
            for (; r->placeholders[n]; n++) {
                snprintf(vals[n], sizeof vals[n], "<%s>", r->placeholders[n]);
                kv[n] = (notify_kv_t){r->placeholders[n], vals[n]};
            }
            const char *s = NULL, *x = NULL;
            if (notify_render(t, r->name, langs[l], kv, n, a, &s, &x, &err))
                fail_msg("%s/%s: %s", langs[l], r->name, err.message);
            assert_true(strlen(s) > 0 && strlen(x) > 0);
            assert_null(strstr(s, "{{"));
            assert_null(strstr(x, "{{"));
            /* every message names its request, registration or activity */
            bool activity = !strncmp(r->name, "activity_", 9);
            const char *ref = !activity ? "<request_id>"
                              : !strcmp(r->name, "activity_announcement") ? "<activity_id>"
                                                                            : "<registration_id>";
            if (!strstr(s, ref) && !strstr(x, ref))
                fail_msg("%s/%s does not mention %s", langs[l], r->name, ref);
            /* an activity message says what, when and where */
            if (activity && (!strstr(s, "<title>") || !strstr(x, "<time>") || !strstr(x, "<place>")))
                fail_msg("%s/%s: title in the subject, time and place in the text", langs[l], r->name);
            /* Chinese text in zh; plain ASCII in en */
            bool ascii = true;
            for (const char *c = x; *c; c++) ascii = ascii && (unsigned char)*c < 0x80;
            if (ascii != (l == 1)) fail_msg("%s/%s: unexpected script", langs[l], r->name);
        }
    }
    /* the operator example */
    notify_kv_t kv[] = {{"title", "停水通知"}, {"text", "明天停水。"}};
    const char *s = NULL, *x = NULL;
    assert_int_equal(notify_render(t, "notice", "zh", kv, 2, a, &s, &x, &err), 0);
    assert_string_equal(s, "停水通知");
    assert_string_equal(x, "明天停水。\n—— 海曙区社会组织服务中心");
    hub_arena_destroy(&a);
    notify_templates_destroy(&t);

    /* the embedded files are what notify_templates_add accepts */
    t = notify_templates_new();
    assert_int_equal(notify_templates_add(t, "zh", "zh.txt", hub_default_templates_zh, &err), 0);
    assert_int_equal(notify_templates_add(t, "en", "en.txt", hub_default_templates_en, &err), 0);
    notify_templates_destroy(&t);
}

static void test_load_dir(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_notify-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *zh = s_rules("DIRZH", NULL, NULL), *en = s_rules("DIREN", NULL, NULL);
    s_write(dir, "zh.txt", zh, strlen(zh));
    s_write(dir, "en.txt", en, strlen(en));
    /* not "<lang>.txt": ignored */
    s_write(dir, "README", "junk\n", 5);
    s_write(dir, "zh.txt.bak", "junk\n", 5);
    s_write(dir, "ZH.txt", "junk\n", 5);
    s_write(dir, "english.txt", "junk\n", 5);

    hub_error_t err = {0};
    notify_templates_t *t = notify_templates_load(dir, &err);
    if (!t) fail_msg("%s", err.message);
    assert_true(notify_templates_has_lang(t, "zh"));
    assert_true(notify_templates_has_lang(t, "en"));
    hub_arena_t *a = hub_arena_new(1 << 16);
    notify_kv_t kv[] = {{"request_id", "R1"}, {"service", "S"}, {"street", "X"}};
    const char *s = NULL, *x = NULL;
    assert_int_equal(notify_render(t, "request_received", "en", kv, 3, a, &s, &x, &err), 0);
    assert_string_equal(s, "DIREN request_received R1");
    assert_int_equal(notify_render(t, "request_received", "ja", kv, 3, a, &s, &x, &err), 0);
    assert_string_equal(s, "DIRZH request_received R1");
    hub_arena_destroy(&a);
    notify_templates_destroy(&t);

    /* a bad file refuses the whole directory, naming file and line */
    s_write(dir, "fr.txt", "== a\nsubject: s\n\nx {{ y }}\n", 27);
    assert_null(notify_templates_load(dir, &err));
    char *want = s_fmt("%s/fr.txt:4: malformed placeholder", dir);
    s_assert_invalid(&err, want);
    free(want);
    s_unlink(dir, "fr.txt");

    /* a NUL byte */
    s_write(dir, "fr.txt", "# x\n# y\0z\n", 10);
    err = (hub_error_t){0};
    assert_null(notify_templates_load(dir, &err));
    s_assert_invalid(&err, "fr.txt:2: invalid UTF-8");
    s_unlink(dir, "fr.txt");

    /* Chinese is required */
    s_unlink(dir, "zh.txt");
    err = (hub_error_t){0};
    assert_null(notify_templates_load(dir, &err));
    s_assert_invalid(&err, "no zh.txt");

    /* a directory that is not there */
    s_unlink(dir, "en.txt");
    s_unlink(dir, "README");
    s_unlink(dir, "zh.txt.bak");
    s_unlink(dir, "ZH.txt");
    s_unlink(dir, "english.txt");
    assert_int_equal(rmdir(dir), 0);
    err = (hub_error_t){0};
    assert_null(notify_templates_load(dir, &err));
    s_assert_invalid(&err, dir);
    free(zh);
    free(en);
}

/* ------------------------------------------------------------ channels */

static void test_requester_channels(void **state)
{
    (void)state;
    static const struct {
        bool consent;
        uint32_t preferred;
        const char *phone, *email;
        size_t n;
        Notification__Channel c;
    } cases[] = {
        {false, CM_SMS, "13800000000", "a@b.cn", 0, 0},
        {false, CM_UNSPECIFIED, "13800000000", "a@b.cn", 0, 0},
        {true, CM_NO_CONTACT, "13800000000", "a@b.cn", 0, 0},
        {true, CM_PHONE, "13800000000", "a@b.cn", 1, NOTIFICATION__CHANNEL__SMS},
        {true, CM_PHONE, "", "a@b.cn", 0, 0},
        {true, CM_SMS, "13800000000", "", 1, NOTIFICATION__CHANNEL__SMS},
        {true, CM_SMS, NULL, "a@b.cn", 0, 0},
        {true, CM_EMAIL, "13800000000", "a@b.cn", 1, NOTIFICATION__CHANNEL__EMAIL},
        {true, CM_EMAIL, "13800000000", "", 0, 0},
        {true, CM_WECHAT, "13800000000", "a@b.cn", 1, NOTIFICATION__CHANNEL__INBOX},
        {true, CM_WECHAT, NULL, NULL, 1, NOTIFICATION__CHANNEL__INBOX},
        {true, CM_UNSPECIFIED, "13800000000", "a@b.cn", 1, NOTIFICATION__CHANNEL__SMS},
        {true, CM_UNSPECIFIED, "", "a@b.cn", 1, NOTIFICATION__CHANNEL__EMAIL},
        {true, CM_UNSPECIFIED, NULL, NULL, 1, NOTIFICATION__CHANNEL__INBOX},
        {true, 99, NULL, "a@b.cn", 1, NOTIFICATION__CHANNEL__EMAIL},
        {true, 99, "13800000000", NULL, 1, NOTIFICATION__CHANNEL__SMS},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        Notification__Channel out[4] = {0};
        size_t n = notify_requester_channels(cases[i].consent, cases[i].preferred, cases[i].phone, cases[i].email,
                                             out);
        if (n != cases[i].n || (n && out[0] != cases[i].c))
            fail_msg("case %zu: got %zu channel(s), first %s", i, n, n ? notify_channel_name(out[0]) : "-");
    }
}

/* notify_recipient_channels of r as "a,b,c" in out. */
static void s_recipient(const Notification__Recipient *r, char out[64])
{
    Notification__Channel c[4];
    size_t n = notify_recipient_channels(r, c);
    assert_true(n <= 4);
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(out, ",");
        strcat(out, notify_channel_name(c[i]));
    }
}

static void test_recipient_channels(void **state)
{
    (void)state;
    char got[64];
    Notification__Recipient r = NOTIFICATION__RECIPIENT__INIT;
    r.id = "ORG-001";
    r.webhook_url = "https://example.org/hook";
    r.email = "org@example.org";
    r.phone = "13800000000";
    s_recipient(&r, got);
    assert_string_equal(got, "");  /* no consent */
    assert_int_equal(notify_recipient_channels(NULL, (Notification__Channel[4]){0}), 0);

    r.consent = true;
    s_recipient(&r, got);
    assert_string_equal(got, "webhook,email,sms,inbox");

    r.webhook_url = "";
    r.phone = "";
    s_recipient(&r, got);
    assert_string_equal(got, "email,inbox");
    r.email = "";
    s_recipient(&r, got);
    assert_string_equal(got, "inbox");

    r.webhook_url = "https://example.org/hook";
    r.email = "org@example.org";
    r.phone = "13800000000";
    Notification__Channel chosen[] = {NOTIFICATION__CHANNEL__SMS, NOTIFICATION__CHANNEL__EMAIL};
    r.channels = chosen, r.n_channels = 2;
    s_recipient(&r, got);
    assert_string_equal(got, "sms,email,inbox");

    Notification__Channel hook[] = {NOTIFICATION__CHANNEL__WEBHOOK};
    r.channels = hook, r.n_channels = 1;
    r.webhook_url = "";
    s_recipient(&r, got);
    assert_string_equal(got, "inbox");  /* chosen, but no address */

    Notification__Channel inbox[] = {NOTIFICATION__CHANNEL__INBOX};
    r.channels = inbox, r.n_channels = 1;
    s_recipient(&r, got);
    assert_string_equal(got, "inbox");

    Notification__Channel odd[] = {(Notification__Channel)99, NOTIFICATION__CHANNEL__INBOX,
                                   NOTIFICATION__CHANNEL__EMAIL, NOTIFICATION__CHANNEL__EMAIL,
                                   NOTIFICATION__CHANNEL__CHANNEL_UNSPECIFIED, NOTIFICATION__CHANNEL__SMS};
    r.channels = odd, r.n_channels = 6;
    s_recipient(&r, got);
    assert_string_equal(got, "email,sms,inbox");

    assert_string_equal(notify_channel_name(NOTIFICATION__CHANNEL__WEBHOOK), "webhook");
    assert_string_equal(notify_channel_name(NOTIFICATION__CHANNEL__EMAIL), "email");
    assert_string_equal(notify_channel_name(NOTIFICATION__CHANNEL__SMS), "sms");
    assert_string_equal(notify_channel_name(NOTIFICATION__CHANNEL__INBOX), "inbox");
    assert_string_equal(notify_channel_name(NOTIFICATION__CHANNEL__CHANNEL_UNSPECIFIED), "unknown");
    assert_string_equal(notify_channel_name((Notification__Channel)42), "unknown");
}

/* ------------------------------------------------------------ timing */

static void test_quiet_hours(void **state)
{
    (void)state;
    const int q21 = 21 * 60, q08 = 8 * 60;
    /* 22:30 CST (14:30 UTC, same UTC day): the next 08:00 CST */
    assert_int_equal(notify_quiet_until(T_MON0 + 22 * HOUR_MS + 30 * MIN_MS, q21, q08), T_MON0 + DAY_MS + 8 * HOUR_MS);
    /* 12:00: not quiet */
    assert_int_equal(notify_quiet_until(T_MON0 + 12 * HOUR_MS, q21, q08), T_MON0 + 12 * HOUR_MS);
    /* the edges: [21:00, 08:00) */
    assert_int_equal(notify_quiet_until(T_MON0 + 21 * HOUR_MS, q21, q08), T_MON0 + DAY_MS + 8 * HOUR_MS);
    assert_int_equal(notify_quiet_until(T_MON0 + 21 * HOUR_MS - 1, q21, q08), T_MON0 + 21 * HOUR_MS - 1);
    assert_int_equal(notify_quiet_until(T_MON0 + 8 * HOUR_MS - 1, q21, q08), T_MON0 + 8 * HOUR_MS);
    assert_int_equal(notify_quiet_until(T_MON0 + 8 * HOUR_MS, q21, q08), T_MON0 + 8 * HOUR_MS);
    /* after midnight: 08:00 the same day; midnight itself */
    assert_int_equal(notify_quiet_until(T_MON0 + 3 * HOUR_MS + 15 * MIN_MS, q21, q08), T_MON0 + 8 * HOUR_MS);
    assert_int_equal(notify_quiet_until(T_MON0, q21, q08), T_MON0 + 8 * HOUR_MS);
    assert_int_equal(notify_quiet_until(T_MON0 - 1, q21, q08), T_MON0 + 8 * HOUR_MS);
    /* start == end: no quiet hours */
    assert_int_equal(notify_quiet_until(T_MON0 + 22 * HOUR_MS + 30 * MIN_MS, q08, q08),
                     T_MON0 + 22 * HOUR_MS + 30 * MIN_MS);
    assert_int_equal(notify_quiet_until(T_MON0 + 3 * HOUR_MS, 0, 0), T_MON0 + 3 * HOUR_MS);
    /* a window within one day: [12:00, 14:00) */
    assert_int_equal(notify_quiet_until(T_MON0 + 13 * HOUR_MS, 720, 840), T_MON0 + 14 * HOUR_MS);
    assert_int_equal(notify_quiet_until(T_MON0 + 14 * HOUR_MS, 720, 840), T_MON0 + 14 * HOUR_MS);
    assert_int_equal(notify_quiet_until(T_MON0 + 12 * HOUR_MS - 1, 720, 840), T_MON0 + 12 * HOUR_MS - 1);
    /* a short window around midnight: [23:00, 01:00) */
    assert_int_equal(notify_quiet_until(T_MON0 + 30 * MIN_MS, 23 * 60, 60), T_MON0 + HOUR_MS);
    assert_int_equal(notify_quiet_until(T_MON0 - 30 * MIN_MS, 23 * 60, 60), T_MON0 + HOUR_MS);
    /* every minute of a day: the result is outside the window, and the
     * same as now outside it */
    for (int64_t t = T_MON0; t < T_MON0 + DAY_MS; t += 7 * MIN_MS + 13) {
        int64_t u = notify_quiet_until(t, q21, q08);
        int64_t min = ((u + 8 * HOUR_MS) % DAY_MS) / MIN_MS;
        assert_true(u >= t && u - t <= 11 * HOUR_MS);
        assert_true(min >= q08 && min < q21);
        if (u != t) assert_int_equal(min, q08);
    }
}

static void test_backoff(void **state)
{
    (void)state;
    const int64_t base = 2000, max = 3600000;
    /* growth: base * 2^(n-1); rnd 0 gives half, rnd max the whole */
    for (unsigned n = 1; n <= 11; n++) {
        int64_t d = base << (n - 1);
        assert_int_equal(notify_backoff_ms(n, base, max, 0), d / 2);
        assert_int_equal(notify_backoff_ms(n, base, max, UINT32_MAX), d);
    }
    /* the cap: 2000 * 2^11 = 4096000 > max */
    for (unsigned n = 12; n <= 70; n++) {
        assert_int_equal(notify_backoff_ms(n, base, max, 0), max / 2);
        assert_int_equal(notify_backoff_ms(n, base, max, UINT32_MAX), max);
    }
    assert_int_equal(notify_backoff_ms(1000000, base, max, UINT32_MAX), max);
    assert_int_equal(notify_backoff_ms(0, base, max, 0), base / 2);  /* as attempt 1 */
    /* the middle */
    assert_int_equal(notify_backoff_ms(3, base, max, UINT32_MAX / 2), 6000 - 1);
    /* jitter stays within [d/2, d] and grows with rnd */
    uint32_t seed = 7;
    for (int i = 0; i < 5000; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned n = 1 + seed % 20;
        int64_t d = n >= 12 ? max : base << (n - 1);
        uint32_t r1 = seed * 2654435761u, r2 = r1 / 2;
        int64_t v1 = notify_backoff_ms(n, base, max, r1), v2 = notify_backoff_ms(n, base, max, r2);
        assert_true(v1 >= d / 2 && v1 <= d);
        assert_true(v2 >= d / 2 && v2 <= v1);
    }
    /* huge values do not overflow */
    int64_t big = INT64_MAX / 2;
    assert_int_equal(notify_backoff_ms(200, 1, big, 0), big / 2);
    assert_true(notify_backoff_ms(200, 1, big, UINT32_MAX) <= big);
    assert_true(notify_backoff_ms(200, 1, big, UINT32_MAX) > big / 2);
    /* max below base: max */
    assert_int_equal(notify_backoff_ms(1, 5000, 1000, UINT32_MAX), 1000);
}

static void test_bucket(void **state)
{
    (void)state;
    notify_bucket_t b;
    /* 10 per second, burst 2 */
    notify_bucket_init(&b, 10, 2, 1000);
    assert_int_equal(notify_bucket_wait_ms(&b, 1000), 0);
    assert_true(notify_bucket_take(&b, 1000));
    assert_true(notify_bucket_take(&b, 1000));
    assert_false(notify_bucket_take(&b, 1000));
    assert_int_equal(notify_bucket_wait_ms(&b, 1000), 100);
    assert_int_equal(notify_bucket_wait_ms(&b, 1040), 60);
    assert_false(notify_bucket_take(&b, 1099));
    assert_true(notify_bucket_take(&b, 1100));
    assert_false(notify_bucket_take(&b, 1100));
    assert_int_equal(notify_bucket_wait_ms(&b, 1100), 100);
    /* a long idle time refills to the burst, not beyond */
    assert_true(notify_bucket_take(&b, 60000));
    assert_true(notify_bucket_take(&b, 60000));
    assert_false(notify_bucket_take(&b, 60000));
    /* time running backwards neither refills nor breaks it */
    assert_false(notify_bucket_take(&b, 50000));
    assert_true(notify_bucket_wait_ms(&b, 50000) >= 100);
    /* a steady stream gets exactly the rate */
    notify_bucket_init(&b, 10, 1, 0);
    int sent = 0;
    for (int64_t t = 0; t < 10000; t++) sent += notify_bucket_take(&b, t);
    assert_int_equal(sent, 100);  /* one at once, then one every 100 ms */
    /* a fraction per second: one every 2 s */
    notify_bucket_init(&b, 0.5, 1, 0);
    assert_true(notify_bucket_take(&b, 0));
    assert_int_equal(notify_bucket_wait_ms(&b, 0), 2000);
    assert_false(notify_bucket_take(&b, 1999));
    assert_true(notify_bucket_take(&b, 2000));
    /* waiting the time said always yields a token (no float shortfall) */
    notify_bucket_init(&b, 3, 1, 0);
    int64_t now = 0;
    for (int i = 0; i < 200; i++) {
        if (!notify_bucket_take(&b, now)) {
            int64_t w = notify_bucket_wait_ms(&b, now);
            assert_true(w > 0 && w <= 334);
            assert_false(notify_bucket_take(&b, now + w - 1));
            now += w;
            assert_true(notify_bucket_take(&b, now));
        }
    }
    /* 0 = unlimited */
    notify_bucket_init(&b, 0, 0, 0);
    for (int i = 0; i < 1000; i++) assert_true(notify_bucket_take(&b, 0));
    assert_int_equal(notify_bucket_wait_ms(&b, 0), 0);
}

/* ------------------------------------------------------------ bytes */

static void test_hmac(void **state)
{
    (void)state;
    char hex[65], sig[72];
    /* RFC 4231 test case 2 */
    const char *data = "what do ya want for nothing?";
    notify_hmac_hex("Jefe", data, strlen(data), hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* test case 1: a 20-byte key of 0x0b */
    char key1[21];
    memset(key1, 0x0b, 20);
    key1[20] = 0;
    notify_hmac_hex(key1, "Hi There", 8, hex);
    assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    /* test case 6: a 131-byte key (longer than the block, hashed first) */
    char key6[132];
    memset(key6, 0xaa, 131);
    key6[131] = 0;
    data = "Test Using Larger Than Block-Size Key - Hash Key First";
    notify_hmac_hex(key6, data, strlen(data), hex);
    assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

    data = "what do ya want for nothing?";
    notify_signature("Jefe", data, strlen(data), sig);
    assert_string_equal(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    assert_int_equal(strlen(sig), 71);
    notify_signature("", data, strlen(data), sig);
    assert_string_equal(sig, "");
    notify_signature(NULL, data, strlen(data), sig);
    assert_string_equal(sig, "");
}

/* A delivery for the byte tests, with Chinese and characters to escape. */
static Notification__Delivery s_delivery(Notification__Placeholder *ph, Notification__Placeholder **php)
{
    Notification__Delivery d = NOTIFICATION__DELIVERY__INIT;
    d.id = "DLV-000000000001";
    d.idempotency_key = "offer:R20261126-000002:ORG-001:email";
    d.recipient = "ORG-001";
    d.channel = NOTIFICATION__CHANNEL__WEBHOOK;
    d.address = "org@example.org";
    d.template_ = "offer";
    d.language = "zh";
    d.subject = "新的服务转介：居家养老（紧急）";
    d.text = "海曙区鼓楼街道老年协会，您好：\n请协助 \"王阿姨\" 助餐\\送餐 </script>\n第三行";
    d.topic = "matching.referral.offered";
    d.request_id = "R20261126-000002";
    d.urgent = true;
    d.created_ms = T_MON0 + 9 * HOUR_MS + 30 * MIN_MS + 5 * 1000 + 250;
    d.event_ms = T_MON0 + 9 * HOUR_MS;
    Notification__Placeholder init = NOTIFICATION__PLACEHOLDER__INIT;
    ph[0] = init, ph[1] = init;
    ph[0].name = "provider", ph[0].value = "海曙区鼓楼街道老年协会";
    ph[1].name = "deadline", ph[1].value = "11月27日 18:00";
    php[0] = &ph[0], php[1] = &ph[1];
    d.data = php, d.n_data = 2;
    return d;
}

static void test_webhook_body(void **state)
{
    (void)state;
    Notification__Placeholder ph[2], *php[2];
    Notification__Delivery d = s_delivery(ph, php);
    hub_arena_t *a = hub_arena_new(1 << 16);
    size_t len = 0;
    char *body = notify_webhook_body(&d, a, &len);
    assert_non_null(body);
    assert_int_equal(len, strlen(body));
    /* UTF-8 kept as is, not \u-escaped */
    assert_non_null(strstr(body, "海曙区鼓楼街道老年协会"));
    assert_null(strstr(body, "\\u"));
    assert_null(strchr(body, '\n'));  /* compact */

    json_error_t je;
    json_t *o = json_loadb(body, len, 0, &je);
    if (!o) fail_msg("not JSON: %s: %s", je.text, body);
    static const struct {
        const char *key, *want;
    } str[] = {
        {"id", "DLV-000000000001"},
        {"idempotency_key", "offer:R20261126-000002:ORG-001:email"},
        {"topic", "matching.referral.offered"},
        {"template", "offer"},
        {"recipient", "ORG-001"},
        {"language", "zh"},
        {"request_id", "R20261126-000002"},
        {"subject", "新的服务转介：居家养老（紧急）"},
    };
    for (size_t i = 0; i < sizeof str / sizeof *str; i++)
        assert_string_equal(json_string_value(json_object_get(o, str[i].key)), str[i].want);
    assert_string_equal(json_string_value(json_object_get(o, "text")), d.text);
    assert_true(json_is_true(json_object_get(o, "urgent")));
    assert_int_equal(json_integer_value(json_object_get(o, "created_ms")), d.created_ms);
    assert_int_equal(json_integer_value(json_object_get(o, "event_ms")), d.event_ms);
    json_t *data = json_object_get(o, "data");
    assert_true(json_is_object(data));
    assert_int_equal(json_object_size(data), 2);
    assert_string_equal(json_string_value(json_object_get(data, "provider")), "海曙区鼓楼街道老年协会");
    assert_string_equal(json_string_value(json_object_get(data, "deadline")), "11月27日 18:00");
    assert_int_equal(json_object_size(o), 13);
    json_decref(o);

    /* NULL strings (a hand-built message) are "" */
    Notification__Delivery e = NOTIFICATION__DELIVERY__INIT;
    e.id = NULL;
    body = notify_webhook_body(&e, a, &len);
    assert_non_null(body);
    o = json_loadb(body, len, 0, &je);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "id")), "");
    assert_true(json_is_false(json_object_get(o, "urgent")));
    assert_int_equal(json_object_size(json_object_get(o, "data")), 0);
    json_decref(o);

    /* an exhausted arena */
    hub_arena_t *tiny = hub_arena_new(32);
    assert_null(notify_webhook_body(&d, tiny, &len));
    hub_arena_destroy(&tiny);
    hub_arena_destroy(&a);
}

/* The header block of an e-mail message as a malloc'd copy, unfolded
 * (CRLF SP removed), with *body pointing at the body in msg. */
static char *s_headers(const char *msg, const char **body)
{
    const char *end = strstr(msg, "\r\n\r\n");
    assert_non_null(end);
    *body = end + 4;
    char *h = strndup(msg, (size_t)(end - msg) + 2);
    assert_non_null(h);
    char *p;
    while ((p = strstr(h, "\r\n ")) != NULL) memmove(p, p + 3, strlen(p + 3) + 1);
    return h;
}

/* The value of header name (unfolded headers h), as a malloc'd string. */
static char *s_header(const char *h, const char *name)
{
    char *key = s_fmt("%s: ", name);
    const char *p = h;
    while (p && strncmp(p, key, strlen(key))) {
        p = strstr(p, "\r\n");
        if (p) p += 2;
    }
    if (!p || !*p) fail_msg("no header %s", name);
    p += strlen(key);
    free(key);
    return strndup(p, strcspn(p, "\r"));
}

/* Decodes a run of "=?UTF-8?B?...?=" words (as unfolded, no spaces between). */
static char *s_unword(const char *v)
{
    char *out = s_fmt("%s", "");
    while (*v) {
        assert_int_equal(strncmp(v, "=?UTF-8?B?", 10), 0);
        const char *end = strstr(v + 10, "?=");
        assert_non_null(end);
        assert_true(end + 2 - v <= 75);
        char *part = s_unbase64(v + 10, (size_t)(end - v - 10));
        char *next = s_fmt("%s%s", out, part);
        free(part);
        free(out);
        out = next;
        v = end + 2;
    }
    return out;
}

static void test_email_message(void **state)
{
    (void)state;
    Notification__Placeholder ph[2], *php[2];
    Notification__Delivery d = s_delivery(ph, php);
    /* a body long enough for several base64 lines */
    char *text = s_fmt("%s\n%s", d.text, "第四行：海曙区社会组织服务中心，海曙区社会组织服务中心，海曙区社会组织服务中心。");
    d.text = text;
    hub_arena_t *a = hub_arena_new(1 << 16);
    size_t len = 0;
    char *msg = notify_email_message(&d, "hub@haishu.example", a, &len);
    assert_non_null(msg);
    assert_int_equal(len, strlen(msg));
    /* CRLF lines only */
    for (const char *c = msg; *c; c++)
        if (*c == '\n') assert_true(c > msg && c[-1] == '\r');

    const char *body;
    char *h = s_headers(msg, &body), *v;
    v = s_header(h, "From"), assert_string_equal(v, "hub@haishu.example"), free(v);
    v = s_header(h, "To"), assert_string_equal(v, "org@example.org"), free(v);
    v = s_header(h, "Date"), assert_string_equal(v, "Mon, 05 Jan 2026 09:30:05 +0800"), free(v);
    v = s_header(h, "Message-ID"), assert_string_equal(v, "<offer_R20261126-000002_ORG-001_email@haishu.example>"),
    free(v);
    v = s_header(h, "MIME-Version"), assert_string_equal(v, "1.0"), free(v);
    v = s_header(h, "Content-Type"), assert_string_equal(v, "text/plain; charset=UTF-8"), free(v);
    v = s_header(h, "Content-Transfer-Encoding"), assert_string_equal(v, "base64"), free(v);
    v = s_header(h, "X-Hub-Idempotency-Key"), assert_string_equal(v, "offer:R20261126-000002:ORG-001:email"), free(v);
    v = s_header(h, "Subject");
    char *subject = s_unword(v);
    assert_string_equal(subject, d.subject);
    free(subject);
    free(v);
    free(h);

    /* the body: base64 lines of at most 76, decoding to the text (CRLF) */
    size_t lines = 0;
    char *b64 = calloc(1, strlen(body) + 1);
    for (const char *p = body; *p;) {
        size_t n = strcspn(p, "\r");
        assert_true(n > 0 && n <= 76);
        assert_int_equal(strncmp(p + n, "\r\n", 2), 0);
        strncat(b64, p, n);
        p += n + 2;
        lines++;
    }
    assert_true(lines >= 3);
    char *decoded = s_unbase64(b64, strlen(b64));
    char *crlf = s_fmt("%s", "");
    for (const char *c = text; *c; c++) {
        char *next = s_fmt(*c == '\n' ? "%s\r\n" : "%s%c", crlf, *c);
        free(crlf);
        crlf = next;
    }
    assert_string_equal(decoded, crlf);
    free(decoded);
    free(crlf);
    free(b64);

    /* a short ASCII subject is kept as is; a Chinese display name is encoded */
    d.subject = "Reminder: referral R1";
    msg = notify_email_message(&d, "海曙区社会组织服务中心 <hub@haishu.example>", a, &len);
    assert_non_null(msg);
    h = s_headers(msg, &body);
    v = s_header(h, "Subject"), assert_string_equal(v, "Reminder: referral R1"), free(v);
    v = s_header(h, "From");
    char *lt = strstr(v, " <hub@haishu.example>");
    assert_non_null(lt);
    *lt = 0;
    char *name = s_unword(v);
    assert_string_equal(name, "海曙区社会组织服务中心");
    free(name);
    free(v);
    v = s_header(h, "Message-ID"), assert_string_equal(v, "<offer_R20261126-000002_ORG-001_email@haishu.example>"),
    free(v);
    free(h);

    /* a long subject is folded into words of at most 75 characters; no
     * character is cut between words */
    char *longsub = s_fmt("%s", "");
    for (int i = 0; i < 40; i++) {
        char *next = s_fmt("%s转介%d", longsub, i);
        free(longsub);
        longsub = next;
    }
    d.subject = longsub;
    msg = notify_email_message(&d, "hub@haishu.example", a, &len);
    assert_non_null(msg);
    h = s_headers(msg, &body);
    v = s_header(h, "Subject");
    subject = s_unword(v);
    assert_string_equal(subject, longsub);
    for (const char *c = strstr(msg, "Subject: "); *c && strncmp(c, "\r\nDate", 6); c++)
        if (!strncmp(c, "\r\n", 2)) assert_int_equal(c[2], ' ');
    free(subject);
    free(v);
    free(h);
    free(longsub);

    /* header injection: CR/LF in values never start a header line */
    d.subject = "Hi\r\nBcc: evil@example.org";
    d.address = "org@example.org\r\nBcc: evil@example.org";
    d.idempotency_key = "k\nBcc: x";
    msg = notify_email_message(&d, "hub@haishu.example", a, &len);
    assert_non_null(msg);
    h = s_headers(msg, &body);
    assert_null(strstr(h, "\r\nBcc:"));
    v = s_header(h, "Subject");
    subject = s_unword(v);
    assert_string_equal(subject, "Hi\r\nBcc: evil@example.org");
    free(subject);
    free(v);
    v = s_header(h, "Message-ID"), assert_string_equal(v, "<k_Bcc__x@haishu.example>"), free(v);
    v = s_header(h, "X-Hub-Idempotency-Key"), assert_string_equal(v, "k Bcc: x"), free(v);
    free(h);

    /* dots stay where a dot-atom allows them */
    d.idempotency_key = ".intake.request..accepted:7.";
    msg = notify_email_message(&d, "hub@haishu.example", a, &len);
    assert_non_null(msg);
    h = s_headers(msg, &body);
    v = s_header(h, "Message-ID"), assert_string_equal(v, "<_intake.request._accepted_7_@haishu.example>"), free(v);
    free(h);

    hub_arena_t *tiny = hub_arena_new(64);
    assert_null(notify_email_message(&d, "hub@haishu.example", tiny, &len));
    hub_arena_destroy(&tiny);
    hub_arena_destroy(&a);
    free(text);
}

static void test_sms_body(void **state)
{
    (void)state;
    Notification__Delivery d = NOTIFICATION__DELIVERY__INIT;
    d.address = "13800000000";
    d.subject = "您的求助已受理";
    d.text = "第一行 \"引号\"\n第二行\\反斜杠\t制表\x01";
    d.idempotency_key = "request_received:R1:sms";
    const char *pattern = "{\"to\":\"{{phone}}\",\"text\":\"{{text}}\",\"key\":\"{{key}}\"}";
    hub_arena_t *a = hub_arena_new(1 << 16);
    size_t len = 0;
    char *body = notify_sms_body(pattern, &d, true, a, &len);
    assert_non_null(body);
    assert_int_equal(len, strlen(body));
    assert_string_equal(body, "{\"to\":\"13800000000\",\"text\":\"您的求助已受理 第一行 \\\"引号\\\"\\n第二行\\\\反斜杠\\t"
                              "制表\\u0001\",\"key\":\"request_received:R1:sms\"}");
    json_error_t je;
    json_t *o = json_loadb(body, len, 0, &je);
    if (!o) fail_msg("not JSON: %s", je.text);
    assert_string_equal(json_string_value(json_object_get(o, "to")), "13800000000");
    char *want = s_fmt("%s %s", d.subject, d.text);
    assert_string_equal(json_string_value(json_object_get(o, "text")), want);
    free(want);
    assert_string_equal(json_string_value(json_object_get(o, "key")), "request_received:R1:sms");
    json_decref(o);

    /* no subject: the text alone; no escaping when asked */
    d.subject = "";
    d.text = "a \"b\"";
    body = notify_sms_body("to={{phone}}&msg={{text}}&id={{key}}&k={{key}}", &d, false, a, &len);
    assert_string_equal(body, "to=13800000000&msg=a \"b\"&id=request_received:R1:sms&k=request_received:R1:sms");
    /* text that is not a placeholder passes through */
    body = notify_sms_body("{{x}} {{text}} {{ {{", &d, false, a, &len);
    assert_string_equal(body, "{{x}} a \"b\" {{ {{");

    hub_arena_t *tiny = hub_arena_new(16);
    assert_null(notify_sms_body(pattern, &d, true, tiny, &len));
    hub_arena_destroy(&tiny);
    hub_arena_destroy(&a);
}

static void test_sms_pattern_check(void **state)
{
    (void)state;
    hub_error_t err = {0};
    assert_int_equal(notify_sms_pattern_check("{\"to\":\"{{phone}}\",\"text\":\"{{text}}\",\"key\":\"{{key}}\"}", &err), 0);
    assert_int_equal(notify_sms_pattern_check("to={{phone}}&msg={{text}}", &err), 0);
    assert_int_equal(notify_sms_pattern_check("{\"a\":{\"b\":\"{{text}}\"}}", &err), 0);
    assert_int_equal(notify_sms_pattern_check("no placeholders", &err), 0);

    assert_int_equal(notify_sms_pattern_check("{\"to\":\"{{phone}}\",\"name\":\"{{name}}\"}", &err), -1);
    s_assert_invalid(&err, "{{name}}");
    assert_string_equal(err.field, "sms_body");
    err = (hub_error_t){0};
    assert_int_equal(notify_sms_pattern_check("{{ text }}", &err), -1);
    s_assert_invalid(&err, "malformed");
    err = (hub_error_t){0};
    assert_int_equal(notify_sms_pattern_check("{{Text}}", &err), -1);
    s_assert_invalid(&err, "malformed");
    err = (hub_error_t){0};
    assert_int_equal(notify_sms_pattern_check("", &err), -1);
    s_assert_invalid(&err, "empty");
    err = (hub_error_t){0};
    assert_int_equal(notify_sms_pattern_check(NULL, &err), -1);
    s_assert_invalid(&err, "empty");
}

/* ------------------------------------------------------------ activities */

/* A recipient with the given audience words (a NULL-terminated list). */
static Notification__Recipient s_with_audiences(char **words)
{
    Notification__Recipient r = NOTIFICATION__RECIPIENT__INIT;
    r.id = "R";
    r.audiences = words;
    while (words[r.n_audiences]) r.n_audiences++;
    return r;
}

static void test_audiences(void **state)
{
    (void)state;
    const uint32_t ORGS = INTAKE__AUDIENCE__MEMBER_ORGANIZATIONS, VOLS = INTAKE__AUDIENCE__VOLUNTEERS,
                   PUB = INTAKE__AUDIENCE__PUBLIC;
    assert_int_equal(notify_audience_bit("organizations"), ORGS);
    assert_int_equal(notify_audience_bit("volunteers"), VOLS);
    assert_int_equal(notify_audience_bit("public"), PUB);
    assert_int_equal(notify_audience_bit("Public"), 0);
    assert_int_equal(notify_audience_bit(""), 0);
    assert_int_equal(notify_audience_bit(NULL), 0);

    char *org[] = {"organizations", NULL}, *vol[] = {"volunteers", NULL}, *pub[] = {"public", NULL};
    char *org_pub[] = {"public", "organizations", NULL}, *none[] = {NULL};
    Notification__Recipient r_org = s_with_audiences(org), r_vol = s_with_audiences(vol),
                            r_pub = s_with_audiences(pub), r_op = s_with_audiences(org_pub),
                            r_none = s_with_audiences(none);
    /* one audience: only its recipients */
    assert_true(notify_announce_to(ORGS, &r_org));
    assert_false(notify_announce_to(ORGS, &r_vol));
    assert_false(notify_announce_to(ORGS, &r_pub));
    assert_true(notify_announce_to(ORGS, &r_op));
    assert_false(notify_announce_to(VOLS, &r_org));
    assert_true(notify_announce_to(VOLS, &r_vol));
    assert_false(notify_announce_to(VOLS, &r_op));
    assert_true(notify_announce_to(PUB, &r_pub));
    assert_true(notify_announce_to(PUB, &r_op));
    assert_false(notify_announce_to(PUB, &r_vol));
    /* several: any of them */
    assert_true(notify_announce_to(VOLS | PUB, &r_vol));
    assert_true(notify_announce_to(VOLS | PUB, &r_pub));
    assert_false(notify_announce_to(VOLS | PUB, &r_org));
    /* 0 = everyone: all three audiences, but never a recipient without one */
    assert_true(notify_announce_to(0, &r_org));
    assert_true(notify_announce_to(0, &r_vol));
    assert_true(notify_announce_to(0, &r_pub));
    assert_false(notify_announce_to(0, &r_none));
    assert_false(notify_announce_to(ORGS | VOLS | PUB, &r_none));
    assert_false(notify_announce_to(0, NULL));
    /* unknown bits are ignored; an unknown word never matches */
    assert_false(notify_announce_to(8, &r_org));
    char *odd[] = {"everyone", NULL};
    Notification__Recipient r_odd = s_with_audiences(odd);
    assert_false(notify_announce_to(0, &r_odd));

    /* the check of an operator's list */
    hub_error_t err = {0};
    assert_int_equal(notify_audiences_check(&r_op, &err), 0);
    assert_int_equal(notify_audiences_check(&r_none, &err), 0);
    assert_int_equal(notify_audiences_check(&r_odd, &err), -1);
    s_assert_invalid(&err, "unknown audience \"everyone\"");
    assert_string_equal(err.field, "recipient.audiences");
    char *twice[] = {"public", "volunteers", "public", NULL};
    Notification__Recipient r_twice = s_with_audiences(twice);
    err = (hub_error_t){0};
    assert_int_equal(notify_audiences_check(&r_twice, &err), -1);
    s_assert_invalid(&err, "\"public\" given twice");

    /* set and clear (the library's membership), others kept in order */
    hub_arena_t *a = hub_arena_new(1 << 16);
    Notification__Recipient r = s_with_audiences(pub);
    assert_int_equal(notify_audience_set(&r, "organizations", true, a), 0);
    assert_int_equal(r.n_audiences, 2);
    assert_string_equal(r.audiences[0], "public");
    assert_string_equal(r.audiences[1], "organizations");
    char **before = r.audiences;
    assert_int_equal(notify_audience_set(&r, "organizations", true, a), 0); /* already there */
    assert_ptr_equal(r.audiences, before);
    assert_int_equal(notify_audience_set(&r, "public", false, a), 0);
    assert_int_equal(r.n_audiences, 1);
    assert_string_equal(r.audiences[0], "organizations");
    assert_int_equal(notify_audience_set(&r, "volunteers", false, a), 0); /* not there */
    assert_int_equal(r.n_audiences, 1);
    assert_string_equal(pub[0], "public"); /* the caller's list is not touched */
    hub_arena_t *tiny = hub_arena_new(1);
    Notification__Recipient t = s_with_audiences(pub);
    assert_int_equal(notify_audience_set(&t, "volunteers", true, tiny), -1);
    assert_int_equal(t.n_audiences, 1);
    hub_arena_destroy(&tiny);
    hub_arena_destroy(&a);
}

static void test_reminder_rules(void **state)
{
    (void)state;
    const int64_t start = T_MON0 + 14 * HOUR_MS, lead = DAY_MS;
    /* when: lead before the start; at once for a late registrant; none
     * once it has started or with reminders off */
    assert_int_equal(notify_reminder_at(start, lead, start - 3 * DAY_MS), start - DAY_MS);
    assert_int_equal(notify_reminder_at(start, lead, start - DAY_MS - 1), start - DAY_MS);
    assert_int_equal(notify_reminder_at(start, lead, start - DAY_MS), start - DAY_MS);
    assert_int_equal(notify_reminder_at(start, lead, start - HOUR_MS), start - HOUR_MS);
    assert_int_equal(notify_reminder_at(start, lead, start - 1), start - 1);
    assert_int_equal(notify_reminder_at(start, lead, start), 0);
    assert_int_equal(notify_reminder_at(start, lead, start + HOUR_MS), 0);
    assert_int_equal(notify_reminder_at(start, 0, start - 3 * DAY_MS), 0);

    /* who: still CONFIRMED, with consent, the activity still SCHEDULED at
     * the same start, not started */
    Notification__ActivityState act = NOTIFICATION__ACTIVITY_STATE__INIT;
    act.activity_id = "E20260105-000001";
    act.starts_ms = start;
    act.status = INTAKE__ACTIVITY_STATUS__SCHEDULED;
    Notification__RegistrationState reg = NOTIFICATION__REGISTRATION_STATE__INIT;
    reg.registration_id = "E20260105-000001-000001";
    reg.activity_id = "E20260105-000001";
    reg.consent = true;
    reg.state = INTAKE__REGISTRATION_STATE__CONFIRMED;
    const int64_t now = start - DAY_MS;
    assert_true(notify_reminder_due(&reg, &act, start, now));
    assert_true(notify_reminder_due(&reg, &act, start, start - 1));
    static const uint32_t not_confirmed[] = {
        INTAKE__REGISTRATION_STATE__WAITLISTED, INTAKE__REGISTRATION_STATE__WITHDRAWN,
        INTAKE__REGISTRATION_STATE__ATTENDED, INTAKE__REGISTRATION_STATE__ACTIVITY_CANCELLED_REG,
        INTAKE__REGISTRATION_STATE__REGISTRATION_STATE_UNSPECIFIED};
    for (size_t i = 0; i < sizeof not_confirmed / sizeof *not_confirmed; i++) {
        reg.state = not_confirmed[i];
        if (notify_reminder_due(&reg, &act, start, now)) fail_msg("state %u got a reminder", not_confirmed[i]);
    }
    reg.state = INTAKE__REGISTRATION_STATE__CONFIRMED;
    reg.consent = false; /* no consent, or the contact erased */
    assert_false(notify_reminder_due(&reg, &act, start, now));
    reg.consent = true;
    act.status = INTAKE__ACTIVITY_STATUS__ACTIVITY_CANCELLED;
    assert_false(notify_reminder_due(&reg, &act, start, now));
    act.status = INTAKE__ACTIVITY_STATUS__SCHEDULED;
    assert_false(notify_reminder_due(&reg, &act, start + HOUR_MS, now)); /* scheduled for another start */
    assert_false(notify_reminder_due(&reg, &act, start, start));         /* started (a daemon down till then) */
    assert_false(notify_reminder_due(&reg, &act, start, start + 1));
    reg.activity_id = "E20260105-000002";
    assert_false(notify_reminder_due(&reg, &act, start, now));
    reg.activity_id = "E20260105-000001";
    assert_false(notify_reminder_due(NULL, &act, start, now));
    assert_false(notify_reminder_due(&reg, NULL, start, now));
    assert_true(notify_reminder_due(&reg, &act, start, now));

    /* urgent: held to the end of the quiet hours it would come too late */
    const int q0 = 21 * 60, q1 = 8 * 60;
    assert_false(notify_activity_urgent(T_MON0 + 12 * HOUR_MS, start, q0, q1));     /* not quiet */
    assert_false(notify_activity_urgent(T_MON0 - HOUR_MS, start, q0, q1));          /* 23:00: held to 08:00 */
    assert_true(notify_activity_urgent(T_MON0 - HOUR_MS, T_MON0 + 7 * HOUR_MS, q0, q1)); /* starts 07:00 */
    assert_true(notify_activity_urgent(T_MON0 - HOUR_MS, T_MON0 + 8 * HOUR_MS, q0, q1)); /* starts 08:00 */
    assert_false(notify_activity_urgent(T_MON0 - HOUR_MS, T_MON0 + 8 * HOUR_MS + 1, q0, q1));
    assert_false(notify_activity_urgent(T_MON0, T_MON0 + HOUR_MS, 0, 0));          /* no quiet hours */
}

static void test_activity_words(void **state)
{
    (void)state;
    char buf[64];
    /* CST: T_MON0 is 2026-01-05 00:00 */
    notify_time_span(T_MON0 + 14 * HOUR_MS + 30 * MIN_MS, T_MON0 + 16 * HOUR_MS + 30 * MIN_MS, buf, sizeof buf);
    assert_string_equal(buf, "2026-01-05 14:30-16:30");
    notify_time_span(T_MON0 + 9 * HOUR_MS, T_MON0 + DAY_MS + 12 * HOUR_MS, buf, sizeof buf);
    assert_string_equal(buf, "2026-01-05 09:00 - 2026-01-06 12:00");
    notify_time_span(T_MON0 - 30 * MIN_MS, T_MON0 + 30 * MIN_MS, buf, sizeof buf); /* over midnight */
    assert_string_equal(buf, "2026-01-04 23:30 - 2026-01-05 00:30");
    notify_time_span(T_MON0 + 9 * HOUR_MS, 0, buf, sizeof buf);
    assert_string_equal(buf, "2026-01-05 09:00");
    notify_time_span(T_MON0 + 9 * HOUR_MS + 59999, T_MON0 + 9 * HOUR_MS + 59999, buf, sizeof buf);
    assert_string_equal(buf, "2026-01-05 09:00");

    assert_string_equal(notify_activity_kind(INTAKE__ACTIVITY_KIND__FORUM, "zh"), "公益讲坛");
    assert_string_equal(notify_activity_kind(INTAKE__ACTIVITY_KIND__SALON, "zh-Hans"), "社工沙龙");
    assert_string_equal(notify_activity_kind(INTAKE__ACTIVITY_KIND__VOLUNTEER_DAY, "zh"), "慈善义工日");
    assert_string_equal(notify_activity_kind(INTAKE__ACTIVITY_KIND__HEARING, "en-US"), "hearing");
    assert_string_equal(notify_activity_kind(INTAKE__ACTIVITY_KIND__TRAINING, "en"),
                        "training for social organizations");
    assert_string_equal(notify_activity_kind(99, "zh"), "活动");
    assert_string_equal(notify_activity_kind(0, "en"), "activity");
    assert_string_equal(notify_activity_kind(INTAKE__ACTIVITY_KIND__CONSULTATION, NULL), "政策咨询会");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_table),
        cmocka_unit_test(test_parse_format),
        cmocka_unit_test(test_parse_unknown_placeholder),
        cmocka_unit_test(test_parse_missing_rule),
        cmocka_unit_test(test_parse_syntax),
        cmocka_unit_test(test_parse_utf8),
        cmocka_unit_test(test_languages),
        cmocka_unit_test(test_render_chinese),
        cmocka_unit_test(test_render_missing_value),
        cmocka_unit_test(test_render_fallback),
        cmocka_unit_test(test_embedded_defaults),
        cmocka_unit_test(test_load_dir),
        cmocka_unit_test(test_requester_channels),
        cmocka_unit_test(test_recipient_channels),
        cmocka_unit_test(test_quiet_hours),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_bucket),
        cmocka_unit_test(test_hmac),
        cmocka_unit_test(test_webhook_body),
        cmocka_unit_test(test_email_message),
        cmocka_unit_test(test_sms_body),
        cmocka_unit_test(test_sms_pattern_check),
        cmocka_unit_test(test_audiences),
        cmocka_unit_test(test_reminder_rules),
        cmocka_unit_test(test_activity_words),
    };
    return cmocka_run_group_tests_name("test_notify", tests, NULL, NULL);
}
