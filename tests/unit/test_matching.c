/* Unit tests for the matching domain (services/matching/match.c): credit
 * codes, organization and volunteer validation, membership, language and
 * group bits, the CST week bitmap, the filter, the score and its order,
 * referrals built from intake requests, the referral state machine and
 * its topics, the personal-data rules (who is a subject, what an
 * erasure removes and keeps), and the hours a charity volunteer day
 * credits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "match.h"

/* 2026-01-05 00:00 China Standard Time, a Monday. */
#define T_MON0 1767542400000LL
#define MIN_MS (60 * 1000LL)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

/* ------------------------------------------------------------ fixtures */

static int s_cat_setup(void **state)
{
    hub_error_t err = {0};
    intake_catalogue_t *cat = intake_catalogue_parse(hub_default_catalogue, &err);
    if (!cat) {
        fprintf(stderr, "embedded catalogue: %s\n", err.message);
        return -1;
    }
    *state = cat;
    return 0;
}

static int s_cat_teardown(void **state)
{
    intake_catalogue_t *cat = *state;
    intake_catalogue_destroy(&cat);
    return 0;
}

static char *s_repeat(const char *unit, size_t times)
{
    size_t n = strlen(unit);
    char *s = malloc(n * times + 1);
    assert_non_null(s);
    for (size_t i = 0; i < times; i++) memcpy(s + i * n, unit, n);
    s[n * times] = 0;
    return s;
}

/* ------------------------------------------------------------ credit code */

static const char CC_CHARS[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* Builds a valid 统一社会信用代码 from its first 16 characters (registration
 * department, kind, 6-digit area code, 8-character organization code body):
 * appends the GB 11714 check of the organization code, then the GB 32100
 * check over the 17. The test's own, independent computation. */
static void s_cc_make(char out[19], const char *first16)
{
    static const int w11714[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    assert_int_equal(strlen(first16), 16);
    memcpy(out, first16, 16);
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        char c = first16[8 + i];
        sum += (c >= '0' && c <= '9' ? c - '0' : c - 'A' + 10) * w11714[i];
    }
    int c = 11 - sum % 11;
    out[16] = c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
    sum = 0;
    int w = 1;
    for (int i = 0; i < 17; i++, w = w * 3 % 31) sum += (int)(strchr(CC_CHARS, out[i]) - CC_CHARS) * w;
    out[17] = CC_CHARS[(31 - sum % 31) % 31];
    out[18] = 0;
}

static void test_credit_code_valid(void **state)
{
    (void)state;
    /* the example of GB 32100-2015 and two published enterprise codes */
    assert_true(match_credit_code_valid("91350100M000100Y43"));
    assert_true(match_credit_code_valid("9144030071526726XG"));
    assert_true(match_credit_code_valid("914403001922038216"));

    /* a social organization registered by the Haishu civil affairs bureau:
     * 5 (民政) 2 (民办非企业单位) 330203 (海曙区) MJ9... */
    char code[19];
    s_cc_make(code, "52330203MJ912345");
    assert_string_equal(code, "52330203MJ91234520");
    assert_true(match_credit_code_valid(code));

    /* generated codes covering every org-check outcome (0-9, X) */
    const char *bodies[] = {"51330203MJ000000", "53330203MJ0000X1", "52330203500123AB",
                            "51330203061845L7", "53330203MC7Q2W8E", "1233020300270004",
                            "52330203MJ98765H", "51330203MJ0P8K2D", "52330203MJY7T6R5",
                            "5233020300000001", "5233020300000002", "5233020300000003"};
    char seen11[11] = {0};
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        s_cc_make(code, bodies[i]);
        if (!match_credit_code_valid(code)) fail_msg("generated %s refused", code);
        char c = code[16];
        seen11[c == 'X' ? 10 : c - '0'] = 1;
    }
    /* brute force over a counter until every org check value was produced */
    for (int n = 0; n < 1000; n++) {
        char body[32];
        snprintf(body, sizeof body, "52330203%08d", n);
        s_cc_make(code, body);
        assert_true(match_credit_code_valid(code));
        char c = code[16];
        seen11[c == 'X' ? 10 : c - '0'] = 1;
    }
    for (int i = 0; i < 11; i++) assert_true(seen11[i]);
}

static void test_credit_code_invalid(void **state)
{
    (void)state;
    char code[19];
    s_cc_make(code, "52330203MJ912345");

    assert_false(match_credit_code_valid(NULL));
    assert_false(match_credit_code_valid(""));
    assert_false(match_credit_code_valid("52330203MJ9123452"));    /* 17 */
    assert_false(match_credit_code_valid("52330203MJ912345200")); /* 19 */
    assert_false(match_credit_code_valid("52330203mj91234520"));  /* lowercase */
    assert_false(match_credit_code_valid("9144030071526726xg"));
    assert_false(match_credit_code_valid("52330203MJ 1234520"));
    assert_false(match_credit_code_valid("５2330203MJ91234520")); /* full-width digit */

    /* every check character but the right one is refused */
    int ok = 0;
    for (const char *c = CC_CHARS; *c; c++) {
        char v[19];
        memcpy(v, code, sizeof v);
        v[17] = *c;
        ok += match_credit_code_valid(v);
    }
    assert_int_equal(ok, 1);

    /* I, O, S, V, Z are not in the character set, wherever they are */
    const char *banned = "IOSVZ";
    for (const char *b = banned; *b; b++) {
        for (int pos = 0; pos < 18; pos++) {
            char v[19];
            memcpy(v, code, sizeof v);
            v[pos] = *b;
            if (match_credit_code_valid(v)) fail_msg("%s accepted", v);
        }
    }

    /* a wrong organization-code check, with the final check recomputed
     * over it: only the GB 11714 rule can catch it */
    for (int d = 0; d <= 10; d++) {
        char v[19];
        memcpy(v, code, sizeof v);
        char oc = d == 10 ? 'X' : (char)('0' + d);
        if (oc == code[16]) continue;
        v[16] = oc;
        int sum = 0, w = 1;
        for (int i = 0; i < 17; i++, w = w * 3 % 31) sum += (int)(strchr(CC_CHARS, v[i]) - CC_CHARS) * w;
        v[17] = CC_CHARS[(31 - sum % 31) % 31];
        if (match_credit_code_valid(v)) fail_msg("%s accepted with a wrong organization check", v);
    }

    /* a transposition of two digits is caught */
    char v[19];
    memcpy(v, code, sizeof v);
    v[10] = code[11];
    v[11] = code[10];
    assert_false(match_credit_code_valid(v));
}

/* ------------------------------------------------------------ organizations */

/* A valid organization built from literals and arrays inside q (so q must
 * not be copied once filled). */
typedef struct {
    Matching__Organization o;
    Matching__Contact contact[MATCH_MAX_LIST + 1];
    Matching__Contact *contacts[MATCH_MAX_LIST + 1];
    Matching__TimeSlot slot[4];
    Matching__TimeSlot *slots[4];
    Matching__Eligibility elig;
    Matching__Capacity cap;
    Matching__ProviderStats stats;
    char *services[MATCH_MAX_LIST + 1];
    char *areas[4];
    char *langs[4];
    char *groups[4];
    char code[19];
} org_t;

static void s_org_fill(org_t *q)
{
    memset(q, 0, sizeof *q);
    matching__organization__init(&q->o);
    for (int i = 0; i <= MATCH_MAX_LIST; i++) {
        matching__contact__init(&q->contact[i]);
        q->contact[i].name = "李社工";
        q->contacts[i] = &q->contact[i];
    }
    for (int i = 0; i < 4; i++) {
        matching__time_slot__init(&q->slot[i]);
        q->slots[i] = &q->slot[i];
    }
    matching__eligibility__init(&q->elig);
    matching__capacity__init(&q->cap);
    matching__provider_stats__init(&q->stats);
    s_cc_make(q->code, "52330203MJ912345");

    q->contact[0].title = "项目主管";
    q->contact[0].phone = "0574-8700 0000";
    q->contact[0].email = "li@example.org";
    q->slot[0] = (Matching__TimeSlot)MATCHING__TIME_SLOT__INIT;
    q->slot[0].weekday = 1, q->slot[0].opens_min = 8 * 60, q->slot[0].closes_min = 17 * 60;
    q->slot[1] = (Matching__TimeSlot)MATCHING__TIME_SLOT__INIT;
    q->slot[1].weekday = 6, q->slot[1].opens_min = 9 * 60, q->slot[1].closes_min = 12 * 60;
    q->services[0] = "elderly-care";
    q->services[1] = "community";
    q->areas[0] = "鼓楼街道";
    q->areas[1] = MATCH_AREA_ALL;
    q->langs[0] = "zh";
    q->langs[1] = "wuu";
    q->groups[0] = "elderly";
    q->elig.min_age = 60;
    q->elig.groups = q->groups;
    q->elig.n_groups = 1;
    q->cap.available = 3;
    q->cap.maximum = 5;

    Matching__Organization *o = &q->o;
    o->name = "海曙区乐龄居家养老服务中心";
    o->credit_code = q->code;
    o->legal_form = MATCHING__LEGAL_FORM__PRIVATE_NON_ENTERPRISE;
    o->description = "为辖区老人提供助餐、助浴、上门探访";
    o->contacts = q->contacts;
    o->n_contacts = 1;
    o->email = "info@example.org";
    o->url = "https://example.org/leling";
    o->services = q->services;
    o->n_services = 2;
    o->areas = q->areas;
    o->n_areas = 2;
    o->hours = q->slots;
    o->n_hours = 2;
    o->languages = q->langs;
    o->n_languages = 2;
    o->eligibility = &q->elig;
    o->capacity = &q->cap;
    o->last_verified = "2026-03-01";
    o->address = "海曙区中山西路 100 号";
    o->street = "鼓楼街道";
}

static void s_org_ok(const intake_catalogue_t *cat, org_t *q)
{
    hub_error_t err = {0};
    if (match_validate_org(cat, &q->o, &err)) fail_msg("refused: field \"%s\": %s", err.field, err.message);
    assert_int_equal(err.code, 0);
}

static void s_org_refused(const intake_catalogue_t *cat, org_t *q, const char *field)
{
    hub_error_t err = {0};
    int rc = match_validate_org(cat, &q->o, &err);
    if (rc == 0) fail_msg("accepted, expected a refusal on \"%s\"", field);
    assert_int_equal(rc, -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    if (strcmp(err.field, field)) fail_msg("refused on \"%s\" (%s), expected \"%s\"", err.field, err.message, field);
    assert_true(err.message[0] != 0);
}

static void test_org_valid_and_defaults(void **state)
{
    const intake_catalogue_t *cat = *state;
    org_t q;
    s_org_fill(&q);
    q.stats.offers = 7, q.stats.accepted = 99; /* stats are not inputs: ignored */
    q.o.stats = &q.stats;
    s_org_ok(cat, &q);
    assert_int_equal(q.o.membership, MATCHING__MEMBERSHIP__APPLIED);
    assert_int_equal(q.o.cost, MATCHING__COST__FREE);

    /* given values are kept */
    s_org_fill(&q);
    q.o.membership = MATCHING__MEMBERSHIP__APPROVED;
    q.o.cost = MATCHING__COST__LOW_COST;
    q.o.fee = "10 元/次";
    s_org_ok(cat, &q);
    assert_int_equal(q.o.membership, MATCHING__MEMBERSHIP__APPROVED);
    assert_int_equal(q.o.cost, MATCHING__COST__LOW_COST);

    /* a community group needs no credit code, but a given one is checked */
    s_org_fill(&q);
    q.o.legal_form = MATCHING__LEGAL_FORM__COMMUNITY_GROUP;
    q.o.credit_code = "";
    s_org_ok(cat, &q);
    q.o.credit_code = "52330203MJ91234521";
    s_org_refused(cat, &q, "org.credit_code");

    /* optional parts may be absent; the id pattern's edges */
    s_org_fill(&q);
    q.o.n_contacts = 0, q.o.n_hours = 0, q.o.n_languages = 0, q.o.n_areas = 0;
    q.o.eligibility = NULL, q.o.capacity = NULL;
    q.o.email = "", q.o.url = "", q.o.last_verified = "", q.o.street = "", q.o.description = "";
    q.o.id = "ORG-000001";
    s_org_ok(cat, &q);
    q.o.id = "a.b_c-D.9";
    s_org_ok(cat, &q);
    q.o.id = "ABCDEFGHIJKLMNOPQRSTUVW"; /* 23 */
    s_org_ok(cat, &q);
    q.o.languages = q.langs, q.o.n_languages = 1, q.langs[0] = "zh-CN";
    s_org_ok(cat, &q);

    /* limits at their edge */
    s_org_fill(&q);
    char *name = s_repeat("x", MATCH_MAX_NAME);
    char *text = s_repeat("字", MATCH_MAX_TEXT / 3);
    q.o.name = name;
    q.o.description = text;
    q.cap.maximum = MATCH_MAX_CAPACITY, q.cap.available = MATCH_MAX_CAPACITY;
    q.elig.min_age = 0, q.elig.max_age = 150;
    q.o.n_contacts = MATCH_MAX_LIST;
    q.o.last_verified = "2024-02-29";
    s_org_ok(cat, &q);
    free(name);
    free(text);
}

static void test_org_refused_identity(void **state)
{
    const intake_catalogue_t *cat = *state;
    org_t q;

    s_org_fill(&q), q.o.id = "bad id!";
    s_org_refused(cat, &q, "org.id");
    s_org_fill(&q), q.o.id = "ABCDEFGHIJKLMNOPQRSTUVWX"; /* 24 */
    s_org_refused(cat, &q, "org.id");
    s_org_fill(&q), q.o.id = "机构1";
    s_org_refused(cat, &q, "org.id");

    s_org_fill(&q), q.o.name = "";
    s_org_refused(cat, &q, "org.name");
    char *long_name = s_repeat("x", MATCH_MAX_NAME + 1);
    s_org_fill(&q), q.o.name = long_name;
    s_org_refused(cat, &q, "org.name");
    free(long_name);

    s_org_fill(&q), q.o.credit_code = "";
    s_org_refused(cat, &q, "org.credit_code");
    s_org_fill(&q), q.o.legal_form = MATCHING__LEGAL_FORM__LEGAL_FORM_UNSPECIFIED, q.o.credit_code = "";
    s_org_refused(cat, &q, "org.credit_code");
    s_org_fill(&q), q.o.credit_code = "52330203MJ91234521";
    s_org_refused(cat, &q, "org.credit_code");
    s_org_fill(&q), q.o.credit_code = "52330203mj91234520";
    s_org_refused(cat, &q, "org.credit_code");

    s_org_fill(&q), q.o.legal_form = (Matching__LegalForm)5;
    s_org_refused(cat, &q, "org.legal_form");
    s_org_fill(&q), q.o.legal_form = (Matching__LegalForm)-1;
    s_org_refused(cat, &q, "org.legal_form");

    char *long_text = s_repeat("x", MATCH_MAX_TEXT + 1);
    s_org_fill(&q), q.o.description = long_text;
    s_org_refused(cat, &q, "org.description");
    free(long_text);

    s_org_fill(&q), q.o.n_contacts = MATCH_MAX_LIST + 1;
    s_org_refused(cat, &q, "org.contacts");
    s_org_fill(&q), q.o.n_contacts = 2, q.contact[1].name = "";
    s_org_refused(cat, &q, "org.contacts[1]");
    s_org_fill(&q), q.contact[0].phone = "call me";
    s_org_refused(cat, &q, "org.contacts[0].phone");
    s_org_fill(&q), q.contact[0].email = "li.example.org";
    s_org_refused(cat, &q, "org.contacts[0].email");
    char *long_short = s_repeat("x", MATCH_MAX_SHORT + 1);
    s_org_fill(&q), q.contact[0].title = long_short;
    s_org_refused(cat, &q, "org.contacts[0].title");

    s_org_fill(&q), q.o.email = "info";
    s_org_refused(cat, &q, "org.email");
    s_org_fill(&q), q.o.email = "a b@example.org";
    s_org_refused(cat, &q, "org.email");
    s_org_fill(&q), q.o.url = "https://example.org/a b";
    s_org_refused(cat, &q, "org.url");
    s_org_fill(&q), q.o.url = long_short;
    s_org_refused(cat, &q, "org.url");
    s_org_fill(&q), q.o.fee = long_short;
    s_org_refused(cat, &q, "org.fee");
    free(long_short);

    s_org_fill(&q), q.o.membership = (Matching__Membership)5;
    s_org_refused(cat, &q, "org.membership");
    s_org_fill(&q), q.o.cost = (Matching__Cost)3;
    s_org_refused(cat, &q, "org.cost");

    char *long_addr = s_repeat("x", 257);
    s_org_fill(&q), q.o.address = long_addr;
    s_org_refused(cat, &q, "org.address");
    free(long_addr);
    s_org_fill(&q), q.o.street = MATCH_AREA_ALL; /* where it is based: a real street */
    s_org_refused(cat, &q, "org.street");
    s_org_fill(&q), q.o.street = "上海路";
    s_org_refused(cat, &q, "org.street");
}

static void test_org_refused_lists(void **state)
{
    const intake_catalogue_t *cat = *state;
    org_t q;

    s_org_fill(&q), q.services[1] = "space-travel";
    s_org_refused(cat, &q, "org.services[1]");
    s_org_fill(&q), q.services[1] = "elderly-care";
    s_org_refused(cat, &q, "org.services[1]");
    s_org_fill(&q);
    for (int i = 0; i <= MATCH_MAX_LIST; i++) q.services[i] = "elderly-care";
    q.o.n_services = MATCH_MAX_LIST + 1;
    s_org_refused(cat, &q, "org.services");

    s_org_fill(&q), q.areas[0] = "外滩街道";
    s_org_refused(cat, &q, "org.areas[0]");
    s_org_fill(&q), q.areas[1] = "鼓楼街道";
    s_org_refused(cat, &q, "org.areas[1]");
    s_org_fill(&q), q.areas[0] = "月湖街道", q.areas[2] = "龙观乡", q.o.n_areas = 3;
    s_org_ok(cat, &q);

    s_org_fill(&q), q.slot[1].weekday = 0;
    s_org_refused(cat, &q, "org.hours[1]");
    s_org_fill(&q), q.slot[1].weekday = 8;
    s_org_refused(cat, &q, "org.hours[1]");
    s_org_fill(&q), q.slot[0].opens_min = 600, q.slot[0].closes_min = 600;
    s_org_refused(cat, &q, "org.hours[0]");
    s_org_fill(&q), q.slot[0].opens_min = 700, q.slot[0].closes_min = 600;
    s_org_refused(cat, &q, "org.hours[0]");
    s_org_fill(&q), q.slot[0].opens_min = 1380, q.slot[0].closes_min = 1441;
    s_org_refused(cat, &q, "org.hours[0]");
    s_org_fill(&q), q.slot[0].opens_min = 1380, q.slot[0].closes_min = 1440, q.slot[0].weekday = 7;
    s_org_ok(cat, &q);

    s_org_fill(&q), q.langs[1] = "klingon";
    s_org_refused(cat, &q, "org.languages[1]");
    s_org_fill(&q), q.langs[1] = "zh";
    s_org_refused(cat, &q, "org.languages[1]");

    s_org_fill(&q), q.elig.min_age = 80, q.elig.max_age = 60;
    s_org_refused(cat, &q, "org.eligibility.max_age");
    s_org_fill(&q), q.elig.min_age = 61, q.elig.max_age = 60;
    s_org_refused(cat, &q, "org.eligibility.max_age");
    s_org_fill(&q), q.elig.min_age = 60, q.elig.max_age = 60;
    s_org_ok(cat, &q);
    s_org_fill(&q), q.elig.min_age = 151;
    s_org_refused(cat, &q, "org.eligibility.min_age");
    s_org_fill(&q), q.elig.max_age = 151, q.elig.min_age = 0;
    s_org_refused(cat, &q, "org.eligibility.max_age");
    s_org_fill(&q), q.elig.min_age = 80, q.elig.max_age = 0; /* no upper bound */
    s_org_ok(cat, &q);
    s_org_fill(&q), q.groups[0] = "aliens";
    s_org_refused(cat, &q, "org.eligibility.groups[0]");

    s_org_fill(&q), q.cap.available = 6;
    s_org_refused(cat, &q, "org.capacity.available");
    s_org_fill(&q), q.cap.maximum = MATCH_MAX_CAPACITY + 1, q.cap.available = 1;
    s_org_refused(cat, &q, "org.capacity.maximum");

    const char *bad_dates[] = {"2026-02-29", "2025-02-29", "2026-13-01", "2026-00-10", "2026-04-31",
                               "2026-1-01",  "2026-01-01x", "2026/01/01", "26-01-01",  "2026-01-00"};
    for (size_t i = 0; i < sizeof bad_dates / sizeof *bad_dates; i++) {
        s_org_fill(&q), q.o.last_verified = (char *)bad_dates[i];
        s_org_refused(cat, &q, "org.last_verified");
    }
    s_org_fill(&q), q.o.last_verified = "2000-02-29";
    s_org_ok(cat, &q);
    s_org_fill(&q), q.o.last_verified = "2026-12-31";
    s_org_ok(cat, &q);
}

/* ------------------------------------------------------------ volunteers */

typedef struct {
    Matching__Volunteer v;
    Matching__Skill skill[MATCH_MAX_LIST + 1];
    Matching__Skill *skills[MATCH_MAX_LIST + 1];
    Matching__TimeSlot slot[2];
    Matching__TimeSlot *slots[2];
    Matching__Eligibility elig;
    Matching__ProviderStats stats;
    char *areas[2];
    char *langs[2];
} vol_t;

static void s_vol_fill(vol_t *q)
{
    memset(q, 0, sizeof *q);
    matching__volunteer__init(&q->v);
    for (int i = 0; i <= MATCH_MAX_LIST; i++) {
        matching__skill__init(&q->skill[i]);
        q->skills[i] = &q->skill[i];
    }
    for (int i = 0; i < 2; i++) {
        matching__time_slot__init(&q->slot[i]);
        q->slots[i] = &q->slot[i];
    }
    matching__eligibility__init(&q->elig);
    matching__provider_stats__init(&q->stats);
    q->skill[0].service = "psych-support";
    q->skill[0].certification = "国家二级心理咨询师";
    q->skill[0].licence_no = "1234567";
    q->skill[1].service = "legal-aid";
    q->skill[1].certification = "执业律师";
    q->slot[0].weekday = 3, q->slot[0].opens_min = 18 * 60 + 30, q->slot[0].closes_min = 21 * 60;
    q->areas[0] = "月湖街道";
    q->langs[0] = "zh";
    q->langs[1] = "en";

    Matching__Volunteer *v = &q->v;
    v->name = "陈律师";
    v->phone = "13900000000";
    v->email = "chen@example.com";
    v->organization_id = "ORG-000001";
    v->skills = q->skills;
    v->n_skills = 2;
    v->areas = q->areas;
    v->n_areas = 1;
    v->availability = q->slots;
    v->n_availability = 1;
    v->languages = q->langs;
    v->n_languages = 2;
    v->max_open_cases = 3;
    v->eligibility = &q->elig;
    v->last_verified = "2026-01-15";
}

static void s_vol_ok(const intake_catalogue_t *cat, vol_t *q)
{
    hub_error_t err = {0};
    if (match_validate_volunteer(cat, &q->v, &err)) fail_msg("refused: field \"%s\": %s", err.field, err.message);
}

static void s_vol_refused(const intake_catalogue_t *cat, vol_t *q, const char *field)
{
    hub_error_t err = {0};
    int rc = match_validate_volunteer(cat, &q->v, &err);
    if (rc == 0) fail_msg("accepted, expected a refusal on \"%s\"", field);
    assert_int_equal(rc, -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    if (strcmp(err.field, field)) fail_msg("refused on \"%s\" (%s), expected \"%s\"", err.field, err.message, field);
    assert_true(err.message[0] != 0);
}

static void test_volunteer(void **state)
{
    const intake_catalogue_t *cat = *state;
    vol_t q;
    s_vol_fill(&q);
    s_vol_ok(cat, &q);
    assert_int_equal(q.v.membership, MATCHING__MEMBERSHIP__APPLIED);
    s_vol_fill(&q), q.v.membership = MATCHING__MEMBERSHIP__SUSPENDED;
    s_vol_ok(cat, &q);
    assert_int_equal(q.v.membership, MATCHING__MEMBERSHIP__SUSPENDED);
    s_vol_fill(&q), q.v.max_open_cases = 1, q.v.phone = "", q.v.email = "", q.v.organization_id = "";
    q.v.n_areas = 0, q.v.n_availability = 0, q.v.n_languages = 0, q.v.eligibility = NULL;
    s_vol_ok(cat, &q);
    s_vol_fill(&q), q.v.max_open_cases = 100, q.areas[0] = MATCH_AREA_ALL;
    s_vol_ok(cat, &q);

    s_vol_fill(&q), q.v.id = "VOL 1";
    s_vol_refused(cat, &q, "volunteer.id");
    s_vol_fill(&q), q.v.name = "";
    s_vol_refused(cat, &q, "volunteer.name");
    s_vol_fill(&q), q.v.phone = "1390000000x";
    s_vol_refused(cat, &q, "volunteer.phone");
    s_vol_fill(&q), q.v.phone = "1234";
    s_vol_refused(cat, &q, "volunteer.phone");
    s_vol_fill(&q), q.v.email = "@example.com";
    s_vol_refused(cat, &q, "volunteer.email");
    s_vol_fill(&q), q.v.organization_id = "ORG/1";
    s_vol_refused(cat, &q, "volunteer.organization_id");

    s_vol_fill(&q), q.v.n_skills = 0;
    s_vol_refused(cat, &q, "volunteer.skills");
    s_vol_fill(&q), q.v.n_skills = MATCH_MAX_LIST + 1;
    s_vol_refused(cat, &q, "volunteer.skills");
    s_vol_fill(&q), q.skill[1].service = "astrology";
    s_vol_refused(cat, &q, "volunteer.skills[1].service");
    s_vol_fill(&q), q.skill[0].service = "";
    s_vol_refused(cat, &q, "volunteer.skills[0].service");
    s_vol_fill(&q), q.skill[1].service = "psych-support";
    s_vol_refused(cat, &q, "volunteer.skills[1].service");
    char *long_short = s_repeat("x", MATCH_MAX_SHORT + 1);
    s_vol_fill(&q), q.skill[0].certification = long_short;
    s_vol_refused(cat, &q, "volunteer.skills[0].certification");
    s_vol_fill(&q), q.skill[1].licence_no = long_short;
    s_vol_refused(cat, &q, "volunteer.skills[1].licence_no");
    free(long_short);

    s_vol_fill(&q), q.areas[0] = "浦东新区";
    s_vol_refused(cat, &q, "volunteer.areas[0]");
    s_vol_fill(&q), q.slot[0].weekday = 9;
    s_vol_refused(cat, &q, "volunteer.availability[0]");
    s_vol_fill(&q), q.langs[1] = "tlh";
    s_vol_refused(cat, &q, "volunteer.languages[1]");
    s_vol_fill(&q), q.v.max_open_cases = 0;
    s_vol_refused(cat, &q, "volunteer.max_open_cases");
    s_vol_fill(&q), q.v.max_open_cases = 101;
    s_vol_refused(cat, &q, "volunteer.max_open_cases");
    s_vol_fill(&q), q.v.membership = (Matching__Membership)9;
    s_vol_refused(cat, &q, "volunteer.membership");
    s_vol_fill(&q), q.elig.min_age = 18, q.elig.max_age = 12;
    s_vol_refused(cat, &q, "volunteer.eligibility.max_age");
    s_vol_fill(&q), q.v.last_verified = "2026-02-30";
    s_vol_refused(cat, &q, "volunteer.last_verified");
}

/* ------------------------------------------------------------ membership */

static void test_membership_transitions(void **state)
{
    (void)state;
    enum { U = MATCHING__MEMBERSHIP__MEMBERSHIP_UNSPECIFIED, AP = MATCHING__MEMBERSHIP__APPLIED,
           OK = MATCHING__MEMBERSHIP__APPROVED, SU = MATCHING__MEMBERSHIP__SUSPENDED,
           WI = MATCHING__MEMBERSHIP__WITHDRAWN };
    /* legal[from][to] */
    static const int legal[5][5] = {
        [AP] = {[OK] = 1, [WI] = 1},
        [OK] = {[SU] = 1, [WI] = 1},
        [SU] = {[OK] = 1, [WI] = 1},
        [WI] = {[AP] = 1},
    };
    for (int from = U; from <= WI; from++) {
        for (int to = AP; to <= WI; to++) {
            hub_error_t err = {0};
            int rc = match_membership_transition((Matching__Membership)from, (Matching__Membership)to, &err);
            if (legal[from][to]) {
                if (rc) fail_msg("%d -> %d refused: %s", from, to, err.message);
                assert_int_equal(err.code, 0);
            } else {
                if (!rc) fail_msg("%d -> %d accepted", from, to);
                assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
                if (from != U) {
                    assert_non_null(strstr(err.message, match_membership_name((Matching__Membership)from)));
                    assert_non_null(strstr(err.message, match_membership_name((Matching__Membership)to)));
                }
            }
        }
    }
    hub_error_t err = {0};
    assert_int_equal(match_membership_transition(MATCHING__MEMBERSHIP__APPROVED,
                                                 MATCHING__MEMBERSHIP__MEMBERSHIP_UNSPECIFIED, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    memset(&err, 0, sizeof err);
    assert_int_equal(match_membership_transition(MATCHING__MEMBERSHIP__APPROVED, (Matching__Membership)7, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    /* err may be NULL */
    assert_int_equal(match_membership_transition(MATCHING__MEMBERSHIP__APPLIED, MATCHING__MEMBERSHIP__SUSPENDED, NULL), -1);

    assert_string_equal(match_membership_name(MATCHING__MEMBERSHIP__APPROVED), "APPROVED");
    assert_string_equal(match_membership_name((Matching__Membership)42), "UNKNOWN");
}

/* ------------------------------------------------------------ bits */

static void test_lang_group_bits(void **state)
{
    (void)state;
    const char *langs[] = {"zh", "en", "ja", "ko", "fr", "de", "es", "ru",
                           "ar", "pt", "it", "vi", "th", "wuu", "yue", "sgn"};
    uint32_t all = 0;
    for (size_t i = 0; i < sizeof langs / sizeof *langs; i++) {
        uint32_t b = match_lang_bit(langs[i]);
        assert_int_not_equal(b, 0);
        assert_int_equal(b & (b - 1), 0); /* one bit */
        assert_int_equal(all & b, 0);     /* distinct */
        all |= b;
    }
    assert_int_equal(match_lang_bit("zh-CN"), match_lang_bit("zh"));
    assert_int_equal(match_lang_bit("zh-Hant-TW"), match_lang_bit("zh"));
    assert_int_equal(match_lang_bit("en-GB"), match_lang_bit("en"));
    assert_int_equal(match_lang_bit("yue-HK"), match_lang_bit("yue"));
    assert_int_equal(match_lang_bit("EN"), match_lang_bit("en"));
    assert_int_equal(match_lang_bit(""), 0);
    assert_int_equal(match_lang_bit("z"), 0);
    assert_int_equal(match_lang_bit("zhx"), 0);
    assert_int_equal(match_lang_bit("wu"), 0);
    assert_int_equal(match_lang_bit("tlh"), 0);
    assert_int_equal(match_lang_bit("-zh"), 0);

    const char *groups[] = {"elderly", "disabled", "children", "youth", "women",
                            "low-income", "migrants", "veterans", "families"};
    all = 0;
    for (size_t i = 0; i < sizeof groups / sizeof *groups; i++) {
        uint32_t b = match_group_bit(groups[i]);
        assert_int_not_equal(b, 0);
        assert_int_equal(b & (b - 1), 0);
        assert_int_equal(all & b, 0);
        all |= b;
    }
    assert_int_equal(match_group_bit(""), 0);
    assert_int_equal(match_group_bit("low"), 0);
    assert_int_equal(match_group_bit("elderly-care"), 0);
    assert_int_equal(match_group_bit("child"), 0);
}

/* ------------------------------------------------------------ week */

static bool s_week_bit(const uint8_t week[42], int slot) { return week[slot / 8] >> (slot % 8) & 1; }

static int s_week_count(const uint8_t week[42])
{
    int n = 0;
    for (int i = 0; i < 336; i++) n += s_week_bit(week, i);
    return n;
}

/* A candidate open only in the given slots (weekday, opens, closes)... */
static void s_cand_hours(match_cand_t *c, const Matching__TimeSlot *ts, size_t n)
{
    Matching__TimeSlot copy[8];
    Matching__TimeSlot *p[8];
    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++) copy[i] = ts[i], p[i] = &copy[i];
    memset(c, 0, sizeof *c);
    c->has_hours = (uint8_t)match_week_fill(c->week, p, n);
}

static Matching__TimeSlot s_slot(uint32_t weekday, uint32_t opens, uint32_t closes)
{
    Matching__TimeSlot t = MATCHING__TIME_SLOT__INIT;
    t.weekday = weekday, t.opens_min = opens, t.closes_min = closes;
    return t;
}

static void test_week_fill(void **state)
{
    (void)state;
    uint8_t week[42];
    memset(week, 0xff, sizeof week);
    assert_int_equal(match_week_fill(week, NULL, 0), 0);
    assert_int_equal(s_week_count(week), 0); /* cleared */

    Matching__TimeSlot t[4] = {s_slot(1, 0, 30), s_slot(7, 1410, 1440), s_slot(3, 10, 40),
                               s_slot(5, 9 * 60, 11 * 60 + 1)};
    Matching__TimeSlot *p[4] = {&t[0], &t[1], &t[2], &t[3]};

    assert_int_equal(match_week_fill(week, p, 1), 1);
    assert_int_equal(week[0], 0x01); /* Monday 00:00-00:30 = bit 0 of byte 0 */
    assert_int_equal(s_week_count(week), 1);

    assert_int_equal(match_week_fill(week, p + 1, 1), 1);
    assert_int_equal(week[41], 0x80); /* Sunday 23:30-24:00 = slot 335 */
    assert_int_equal(s_week_count(week), 1);

    /* Wednesday 00:10-00:40 overlaps two half-hours */
    assert_int_equal(match_week_fill(week, p + 2, 1), 1);
    assert_true(s_week_bit(week, 2 * 48));
    assert_true(s_week_bit(week, 2 * 48 + 1));
    assert_int_equal(s_week_count(week), 2);

    /* Friday 09:00-11:01: 18..22 */
    assert_int_equal(match_week_fill(week, p, 4), 1);
    for (int s = 18; s <= 22; s++) assert_true(s_week_bit(week, 4 * 48 + s));
    assert_false(s_week_bit(week, 4 * 48 + 17));
    assert_false(s_week_bit(week, 4 * 48 + 23));
    assert_int_equal(s_week_count(week), 1 + 1 + 2 + 5);

    /* whole week */
    Matching__TimeSlot d[7];
    Matching__TimeSlot *dp[7];
    for (int i = 0; i < 7; i++) d[i] = s_slot((uint32_t)i + 1, 0, 1440), dp[i] = &d[i];
    match_week_fill(week, dp, 7);
    assert_int_equal(s_week_count(week), 336);
}

static void test_open_within(void **state)
{
    (void)state;
    match_cand_t c;

    /* no hours: always open, even for an empty window */
    memset(&c, 0, sizeof c);
    assert_true(match_open_within(&c, T_MON0, 0));
    assert_true(match_open_within(&c, T_MON0, HOUR_MS));

    /* Monday 08:00-09:00 only */
    Matching__TimeSlot mon[] = {s_slot(1, 8 * 60, 9 * 60)};
    s_cand_hours(&c, mon, 1);
    assert_true(c.has_hours);
    assert_true(match_open_within(&c, T_MON0 + 8 * HOUR_MS, 1));
    assert_true(match_open_within(&c, T_MON0 + 8 * HOUR_MS + 59 * MIN_MS, 1));
    assert_false(match_open_within(&c, T_MON0 + 9 * HOUR_MS, 1));
    assert_false(match_open_within(&c, T_MON0 + 7 * HOUR_MS, HOUR_MS));        /* [7:00, 8:00) */
    assert_true(match_open_within(&c, T_MON0 + 7 * HOUR_MS, HOUR_MS + 1));     /* reaches 8:00 */
    assert_false(match_open_within(&c, T_MON0 + 8 * HOUR_MS, 0));              /* empty window */
    assert_false(match_open_within(&c, T_MON0 + 8 * HOUR_MS + 10 * MIN_MS, 0));
    assert_false(match_open_within(&c, T_MON0 + 8 * HOUR_MS + 10 * MIN_MS, -HOUR_MS));
    /* Sunday 23:00 -> Monday across the week wrap */
    int64_t sun23 = T_MON0 - HOUR_MS;
    assert_false(match_open_within(&c, sun23, 4 * HOUR_MS));
    assert_true(match_open_within(&c, sun23, 24 * HOUR_MS));
    assert_true(match_open_within(&c, sun23, 9 * HOUR_MS + 1));
    assert_false(match_open_within(&c, sun23, 9 * HOUR_MS));
    /* Tuesday: the next one is six days away */
    assert_false(match_open_within(&c, T_MON0 + DAY_MS, 5 * DAY_MS));
    assert_true(match_open_within(&c, T_MON0 + DAY_MS, 7 * DAY_MS));
    /* a week or more: any slot; a later week the same as this one */
    assert_true(match_open_within(&c, T_MON0 + 9 * HOUR_MS, 7 * DAY_MS));
    assert_true(match_open_within(&c, T_MON0 + 9 * HOUR_MS, INT64_MAX));
    assert_true(match_open_within(&c, T_MON0 + 52 * 7 * DAY_MS + 8 * HOUR_MS + 30 * MIN_MS, 1));
    assert_false(match_open_within(&c, T_MON0 + 52 * 7 * DAY_MS + 10 * HOUR_MS, HOUR_MS));

    /* Sunday 23:30-24:00 only: Sunday night is open, Monday 00:00 is not */
    Matching__TimeSlot sun[] = {s_slot(7, 1410, 1440)};
    s_cand_hours(&c, sun, 1);
    assert_true(match_open_within(&c, T_MON0 - 20 * MIN_MS, 1));
    assert_false(match_open_within(&c, T_MON0, 1));
    assert_false(match_open_within(&c, T_MON0, 7 * DAY_MS - 30 * MIN_MS));
    assert_true(match_open_within(&c, T_MON0, 7 * DAY_MS - 30 * MIN_MS + 1));
    assert_false(match_open_within(&c, T_MON0 - 2 * HOUR_MS, HOUR_MS + 30 * MIN_MS));
    assert_true(match_open_within(&c, T_MON0 - 2 * HOUR_MS, HOUR_MS + 30 * MIN_MS + 1));

    /* CST, not UTC: Monday 00:00-00:30 CST is Sunday 16:00 UTC */
    Matching__TimeSlot mon0[] = {s_slot(1, 0, 30)};
    s_cand_hours(&c, mon0, 1);
    assert_true(match_open_within(&c, T_MON0, 1));
    assert_true(match_open_within(&c, T_MON0 + 29 * MIN_MS, 1));
    assert_false(match_open_within(&c, T_MON0 + 30 * MIN_MS, 1));
    assert_false(match_open_within(&c, T_MON0 + 8 * HOUR_MS, 1));

    /* before 1970: -1 ms is Thursday 07:59:59.999 CST (floor, not truncation) */
    Matching__TimeSlot thu[] = {s_slot(4, 7 * 60 + 30, 8 * 60)};
    s_cand_hours(&c, thu, 1);
    assert_true(match_open_within(&c, -1, 1));
    assert_false(match_open_within(&c, 0, 1));
    assert_true(match_open_within(&c, -7 * DAY_MS - 1, 1));
}

/* ------------------------------------------------------------ filter */

/* A fitting candidate: organization, free, 3 of 5 free, no hours, everyone. */
static match_cand_t s_cand(const char *id)
{
    match_cand_t c;
    memset(&c, 0, sizeof c);
    c.kind = MATCHING__PROVIDER_KIND__ORGANIZATION;
    c.cost = MATCHING__COST__FREE;
    c.available = 3;
    c.maximum = 5;
    snprintf(c.id, sizeof c.id, "%s", id);
    return c;
}

static match_need_t s_need(void)
{
    match_need_t n;
    memset(&n, 0, sizeof n);
    n.service = "elderly-care";
    n.street = "鼓楼街道";
    n.urgency = INTAKE__URGENCY__NORMAL;
    n.now_ms = T_MON0 + 10 * HOUR_MS; /* Monday 10:00 */
    return n;
}

static void test_filter(void **state)
{
    (void)state;
    match_need_t n = s_need();
    match_cand_t c = s_cand("ORG-1");
    assert_int_equal(match_filter(&n, &c), MATCH_FIT);

    c.available = 0;
    assert_int_equal(match_filter(&n, &c), MATCH_NO_CAPACITY);

    /* language: zh by default on both sides */
    c = s_cand("ORG-1");
    n.lang = match_lang_bit("en");
    assert_int_equal(match_filter(&n, &c), MATCH_LANGUAGE);
    c.langs = match_lang_bit("zh") | match_lang_bit("en");
    assert_int_equal(match_filter(&n, &c), MATCH_FIT);
    n.lang = 0;
    c.langs = match_lang_bit("en");
    assert_int_equal(match_filter(&n, &c), MATCH_LANGUAGE);
    c.langs = match_lang_bit("zh") | match_lang_bit("wuu");
    assert_int_equal(match_filter(&n, &c), MATCH_FIT);
    n.lang = match_lang_bit("zh");
    assert_int_equal(match_filter(&n, &c), MATCH_FIT);

    /* age */
    n = s_need();
    c = s_cand("ORG-1");
    c.min_age = 60;
    n.age = 59;
    assert_int_equal(match_filter(&n, &c), MATCH_AGE);
    n.age = 60;
    assert_int_equal(match_filter(&n, &c), MATCH_FIT);
    n.age = 0; /* unknown */
    assert_int_equal(match_filter(&n, &c), MATCH_FIT);
    c.min_age = 0, c.max_age = 14;
    n.age = 15;
    assert_int_equal(match_filter(&n, &c), MATCH_AGE);
    n.age = 14;
    assert_int_equal(match_filter(&n, &c), MATCH_FIT);

    /* group */
    n = s_need();
    c = s_cand("ORG-1");
    c.groups = match_group_bit("children") | match_group_bit("disabled");
    assert_int_equal(match_filter(&n, &c), MATCH_GROUP);
    n.groups = match_group_bit("elderly");
    assert_int_equal(match_filter(&n, &c), MATCH_GROUP);
    n.groups = match_group_bit("elderly") | match_group_bit("disabled");
    assert_int_equal(match_filter(&n, &c), MATCH_FIT);
    c.groups = 0; /* everyone */
    assert_int_equal(match_filter(&n, &c), MATCH_FIT);

    /* not available within the urgency window: open Saturday 09:00-12:00 */
    n = s_need();
    c = s_cand("ORG-1");
    Matching__TimeSlot sat[] = {s_slot(6, 9 * 60, 12 * 60)};
    match_cand_t h;
    s_cand_hours(&h, sat, 1);
    memcpy(c.week, h.week, sizeof c.week);
    c.has_hours = h.has_hours;
    n.urgency = INTAKE__URGENCY__NORMAL; /* 72 h from Monday 10:00: Thursday 10:00 */
    assert_int_equal(match_filter(&n, &c), MATCH_NOT_AVAILABLE);
    n.urgency = INTAKE__URGENCY__URGENCY_UNSPECIFIED;
    assert_int_equal(match_filter(&n, &c), MATCH_NOT_AVAILABLE);
    n.urgency = INTAKE__URGENCY__LOW; /* 7 days */
    assert_int_equal(match_filter(&n, &c), MATCH_FIT);
    n.now_ms = T_MON0 + 4 * DAY_MS + 10 * HOUR_MS; /* Friday 10:00 */
    n.urgency = INTAKE__URGENCY__HIGH;                 /* 24 h: until Saturday 10:00 */
    assert_int_equal(match_filter(&n, &c), MATCH_FIT);
    n.urgency = INTAKE__URGENCY__EMERGENCY; /* 4 h */
    assert_int_equal(match_filter(&n, &c), MATCH_NOT_AVAILABLE);

    /* order: capacity is reported before the rest */
    c.available = 0;
    n.lang = match_lang_bit("ar");
    assert_int_equal(match_filter(&n, &c), MATCH_NO_CAPACITY);

    /* names */
    assert_string_equal(match_reason_name(MATCH_FIT), "fit");
    assert_string_equal(match_reason_name(MATCH_NO_CAPACITY), "no_capacity");
    assert_string_equal(match_reason_name(MATCH_LANGUAGE), "language");
    assert_string_equal(match_reason_name(MATCH_AGE), "age");
    assert_string_equal(match_reason_name(MATCH_GROUP), "group");
    assert_string_equal(match_reason_name(MATCH_NOT_AVAILABLE), "not_available");
    assert_string_equal(match_reason_name(MATCH_ALREADY_TRIED), "already_tried");
    assert_string_equal(match_reason_name(MATCH_REASONS), "unknown");
}

static void test_windows_and_timeouts(void **state)
{
    (void)state;
    assert_int_equal(match_urgency_window_ms(INTAKE__URGENCY__EMERGENCY), 4 * HOUR_MS);
    assert_int_equal(match_urgency_window_ms(INTAKE__URGENCY__HIGH), 24 * HOUR_MS);
    assert_int_equal(match_urgency_window_ms(INTAKE__URGENCY__NORMAL), 72 * HOUR_MS);
    assert_int_equal(match_urgency_window_ms(INTAKE__URGENCY__URGENCY_UNSPECIFIED), 72 * HOUR_MS);
    assert_int_equal(match_urgency_window_ms(INTAKE__URGENCY__LOW), 7 * DAY_MS);
    assert_int_equal(match_offer_timeout_ms(INTAKE__URGENCY__EMERGENCY, 0), 15 * MIN_MS);
    assert_int_equal(match_offer_timeout_ms(INTAKE__URGENCY__HIGH, 0), 2 * HOUR_MS);
    assert_int_equal(match_offer_timeout_ms(INTAKE__URGENCY__NORMAL, 0), 24 * HOUR_MS);
    assert_int_equal(match_offer_timeout_ms(INTAKE__URGENCY__URGENCY_UNSPECIFIED, -5), 24 * HOUR_MS);
    assert_int_equal(match_offer_timeout_ms(INTAKE__URGENCY__LOW, 0), 48 * HOUR_MS);
    assert_int_equal(match_offer_timeout_ms(INTAKE__URGENCY__EMERGENCY, 90), 90 * 1000);
    assert_int_equal(match_offer_timeout_ms(INTAKE__URGENCY__LOW, 1), 1000);
}

/* ------------------------------------------------------------ candidates */

static void test_cand_from_records(void **state)
{
    const intake_catalogue_t *cat = *state;
    org_t q;
    s_org_fill(&q);
    q.o.id = "ORG-000007";
    q.o.cost = MATCHING__COST__LOW_COST;
    q.stats.offers = 10, q.stats.accepted = 4, q.stats.completed = 3, q.stats.got_help = 2;
    q.o.stats = &q.stats;
    s_org_ok(cat, &q);
    match_cand_t c;
    memset(&c, 0xab, sizeof c);
    match_cand_from_org(&q.o, &c);
    assert_int_equal(c.kind, MATCHING__PROVIDER_KIND__ORGANIZATION);
    assert_int_equal(c.cost, MATCHING__COST__LOW_COST);
    assert_int_equal(c.has_hours, 1);
    assert_int_equal(c.available, 3);
    assert_int_equal(c.maximum, 5);
    assert_int_equal(c.min_age, 60);
    assert_int_equal(c.max_age, 0);
    assert_int_equal(c.groups, match_group_bit("elderly"));
    assert_int_equal(c.langs, match_lang_bit("zh") | match_lang_bit("wuu"));
    assert_int_equal(c.offers, 10);
    assert_int_equal(c.accepted, 4);
    assert_int_equal(c.completed, 3);
    assert_int_equal(c.got_help, 2);
    assert_string_equal(c.id, "ORG-000007");
    assert_true(s_week_bit(c.week, 8 * 2));          /* Monday 08:00 */
    assert_false(s_week_bit(c.week, 17 * 2));        /* Monday 17:00 */
    assert_true(s_week_bit(c.week, 5 * 48 + 9 * 2)); /* Saturday 09:00 */
    assert_int_equal(s_week_count(c.week), 18 + 6);

    /* no capacity, hours, eligibility, languages or stats */
    s_org_fill(&q);
    q.o.capacity = NULL, q.o.eligibility = NULL, q.o.n_hours = 0, q.o.n_languages = 0;
    match_cand_from_org(&q.o, &c);
    assert_int_equal(c.cost, MATCHING__COST__FREE);
    assert_int_equal(c.has_hours, 0);
    assert_int_equal(c.available, 0);
    assert_int_equal(c.maximum, 0);
    assert_int_equal(c.groups, 0);
    assert_int_equal(c.langs, 0);
    assert_int_equal(c.offers + c.accepted + c.completed + c.got_help, 0);
    assert_string_equal(c.id, "");

    vol_t v;
    s_vol_fill(&v);
    v.v.id = "VOL-000002";
    v.stats.open_cases = 1, v.stats.offers = 2, v.stats.accepted = 1;
    v.v.stats = &v.stats;
    match_cand_from_volunteer(&v.v, &c);
    assert_int_equal(c.kind, MATCHING__PROVIDER_KIND__VOLUNTEER);
    assert_int_equal(c.cost, MATCHING__COST__FREE);
    assert_int_equal(c.available, 2);
    assert_int_equal(c.maximum, 3);
    assert_int_equal(c.has_hours, 1);
    assert_true(s_week_bit(c.week, 2 * 48 + 37)); /* Wednesday 18:30 */
    assert_false(s_week_bit(c.week, 2 * 48 + 36));
    assert_int_equal(c.langs, match_lang_bit("zh") | match_lang_bit("en"));
    assert_int_equal(c.offers, 2);
    assert_string_equal(c.id, "VOL-000002");
    v.stats.open_cases = 5; /* more than the maximum (lowered later): none free */
    match_cand_from_volunteer(&v.v, &c);
    assert_int_equal(c.available, 0);
}

/* ------------------------------------------------------------ score */

static void test_score_factors(void **state)
{
    (void)state;
    match_need_t n = s_need();
    match_cand_t c = s_cand("ORG-1");
    match_factor_t f[MATCH_FACTORS];

    /* not vulnerable, NORMAL, 3/5 free, no history:
     * 30 + 12 + 7.5 + 7.5 + 5 + 5 */
    double s = match_score(&n, &c, true, f);
    assert_float_equal(s, 67.0, 1e-9);
    assert_float_equal(match_score(&n, &c, true, NULL), s, 0);
    const char *names[MATCH_FACTORS] = {"area", "load", "acceptance", "outcome", "cost", "urgency"};
    double sum = 0;
    for (int i = 0; i < MATCH_FACTORS; i++) {
        assert_string_equal(f[i].name, names[i]);
        sum += f[i].points;
    }
    assert_float_equal(sum, s, 1e-9);
    assert_float_equal(f[0].points, 30, 0);
    assert_string_equal(f[0].detail, "same street 鼓楼街道");
    assert_float_equal(f[1].points, 12, 1e-9);
    assert_string_equal(f[1].detail, "3/5 free");
    assert_float_equal(f[2].points, 7.5, 1e-9);
    assert_float_equal(f[3].points, 7.5, 1e-9);
    assert_float_equal(f[4].points, 5, 0);
    assert_float_equal(f[5].points, 5, 0);

    /* same street beats district-wide by 20 */
    double other = match_score(&n, &c, false, f);
    assert_float_equal(f[0].points, 10, 0);
    assert_float_equal(s - other, 20, 1e-9);

    /* load balance: more free, more points */
    c.available = 5;
    assert_float_equal(match_score(&n, &c, true, f) - s, 8, 1e-9);
    assert_float_equal(f[1].points, 20, 1e-9);
    c.available = 1;
    match_score(&n, &c, true, f);
    assert_float_equal(f[1].points, 4, 1e-9);
    assert_string_equal(f[1].detail, "1/5 free");
    c.maximum = 0, c.available = 0;
    match_score(&n, &c, true, f);
    assert_float_equal(f[1].points, 0, 0);

    /* acceptance and outcome, Laplace-smoothed */
    c = s_cand("ORG-1");
    c.offers = 8, c.accepted = 3;       /* 15 x 4/10 */
    c.completed = 2, c.got_help = 2;    /* 15 x 3/4 */
    match_score(&n, &c, true, f);
    assert_float_equal(f[2].points, 6.0, 1e-9);
    assert_float_equal(f[3].points, 11.25, 1e-9);
    c.offers = 0, c.accepted = 0;
    c.completed = 10, c.got_help = 0;   /* 15 x 1/12 */
    match_score(&n, &c, true, f);
    assert_float_equal(f[2].points, 7.5, 1e-9);
    assert_float_equal(f[3].points, 1.25, 1e-9);
    c.offers = 98, c.accepted = 98;     /* 15 x 99/100 */
    match_score(&n, &c, true, f);
    assert_float_equal(f[2].points, 14.85, 1e-9);

    /* cost: free first for a vulnerable person only */
    c = s_cand("ORG-1");
    match_cand_t low = s_cand("ORG-2");
    low.cost = MATCHING__COST__LOW_COST;
    assert_float_equal(match_score(&n, &c, true, NULL), match_score(&n, &low, true, NULL), 0);
    n.groups = match_group_bit("elderly");
    n.vulnerable = true;
    match_score(&n, &c, true, f);
    assert_float_equal(f[4].points, 10, 0);
    match_score(&n, &low, true, f);
    assert_float_equal(f[4].points, 0, 0);
    assert_float_equal(match_score(&n, &c, true, NULL) - match_score(&n, &low, true, NULL), 10, 1e-9);

    /* urgency: open now 10, within the window 5, others 5 */
    n = s_need();
    n.urgency = INTAKE__URGENCY__HIGH;
    match_cand_t any = s_cand("ORG-1"); /* no hours: open now */
    match_score(&n, &any, true, f);
    assert_float_equal(f[5].points, 10, 0);
    Matching__TimeSlot tue[] = {s_slot(2, 9 * 60, 12 * 60)};
    match_cand_t h;
    s_cand_hours(&h, tue, 1);
    match_cand_t later = s_cand("ORG-3");
    memcpy(later.week, h.week, sizeof later.week);
    later.has_hours = 1;
    match_score(&n, &later, true, f); /* Monday 10:00, opens Tuesday 09:00 */
    assert_float_equal(f[5].points, 5, 0);
    n.now_ms = T_MON0 + DAY_MS + 8 * HOUR_MS + 45 * MIN_MS; /* Tuesday 08:45: opens in 15 min */
    match_score(&n, &later, true, f);
    assert_float_equal(f[5].points, 5, 0);
    n.now_ms = T_MON0 + 10 * HOUR_MS;
    n.urgency = INTAKE__URGENCY__EMERGENCY; /* 4 h: not open within */
    match_score(&n, &later, true, f);
    assert_float_equal(f[5].points, 0, 0);
    n.now_ms = T_MON0 + DAY_MS + 10 * HOUR_MS; /* Tuesday 10:00: open now */
    match_score(&n, &later, true, f);
    assert_float_equal(f[5].points, 10, 0);
    n.urgency = INTAKE__URGENCY__NORMAL;
    match_score(&n, &later, true, f);
    assert_float_equal(f[5].points, 5, 0);
    n.urgency = INTAKE__URGENCY__LOW;
    match_score(&n, &any, true, f);
    assert_float_equal(f[5].points, 5, 0);

    /* the best possible is 100, the worst fitting is above 0 */
    n = s_need();
    n.urgency = INTAKE__URGENCY__EMERGENCY;
    n.groups = match_group_bit("disabled"), n.vulnerable = true;
    c = s_cand("ORG-1");
    c.available = c.maximum = 4;
    c.offers = c.accepted = 1000000, c.completed = c.got_help = 1000000;
    double best = match_score(&n, &c, true, NULL);
    assert_true(best <= 100 && best > 99.99);
}

static void test_score_order(void **state)
{
    (void)state;
    /* an elderly person on 鼓楼街道, NORMAL, Monday 10:00 */
    match_need_t n = s_need();
    n.groups = match_group_bit("elderly");
    n.vulnerable = true;

    struct {
        const char *id;
        bool same_street;
        uint8_t cost;
        uint32_t available, maximum, offers, accepted, completed, got_help;
    } lib[] = {
        {"ORG-DIST", false, MATCHING__COST__FREE, 5, 5, 0, 0, 0, 0},     /* 10+20+7.5+7.5+10+5 = 60 */
        {"ORG-GULOU", true, MATCHING__COST__FREE, 1, 5, 0, 0, 0, 0},     /* 30+4+7.5+7.5+10+5 = 64 */
        {"ORG-FEE", true, MATCHING__COST__LOW_COST, 5, 5, 0, 0, 0, 0},   /* 30+20+7.5+7.5+0+5 = 70 */
        {"VOL-B", true, MATCHING__COST__FREE, 2, 4, 0, 0, 0, 0},         /* 30+10+7.5+7.5+10+5 = 70 */
        {"VOL-A", true, MATCHING__COST__FREE, 2, 4, 0, 0, 0, 0},         /* 70, same as VOL-B */
        {"ORG-GOOD", true, MATCHING__COST__FREE, 3, 6, 8, 8, 8, 8},      /* 30+10+15*.9+15*.9+10+5 = 82 */
    };
    size_t n_lib = sizeof lib / sizeof *lib;
    match_scored_t s[6];
    for (size_t i = 0; i < n_lib; i++) {
        s[i].cand = s_cand(lib[i].id);
        s[i].cand.cost = lib[i].cost;
        s[i].cand.available = lib[i].available;
        s[i].cand.maximum = lib[i].maximum;
        s[i].cand.offers = lib[i].offers, s[i].cand.accepted = lib[i].accepted;
        s[i].cand.completed = lib[i].completed, s[i].cand.got_help = lib[i].got_help;
        s[i].same_street = lib[i].same_street;
        assert_int_equal(match_filter(&n, &s[i].cand), MATCH_FIT);
        s[i].score = match_score(&n, &s[i].cand, s[i].same_street, NULL);
    }
    assert_float_equal(s[0].score, 60, 1e-9);
    assert_float_equal(s[1].score, 64, 1e-9);
    assert_float_equal(s[2].score, 70, 1e-9);
    assert_float_equal(s[3].score, 70, 1e-9);
    assert_float_equal(s[5].score, 82, 1e-9);

    qsort(s, n_lib, sizeof *s, match_scored_cmp);
    /* ORG-FEE and VOL-A/B tie at 70: more available first, then id */
    const char *want[] = {"ORG-GOOD", "ORG-FEE", "VOL-A", "VOL-B", "ORG-GULOU", "ORG-DIST"};
    for (size_t i = 0; i < n_lib; i++)
        if (strcmp(s[i].cand.id, want[i])) fail_msg("position %zu: %s (%.2f), expected %s", i, s[i].cand.id, s[i].score, want[i]);

    /* the comparison itself */
    match_scored_t a = {.cand = s_cand("A"), .score = 50}, b = {.cand = s_cand("B"), .score = 50};
    assert_int_equal(match_scored_cmp(&a, &a), 0);
    assert_true(match_scored_cmp(&a, &b) < 0);
    assert_true(match_scored_cmp(&b, &a) > 0);
    b.cand.available = 4;
    assert_true(match_scored_cmp(&a, &b) > 0);
    a.score = 50.001;
    assert_true(match_scored_cmp(&a, &b) < 0);

    /* a non-vulnerable person: the fee no longer costs ORG-FEE */
    match_need_t other = s_need();
    double fee = match_score(&other, &s[1].cand, true, NULL);
    assert_float_equal(fee, 75, 1e-9); /* 30+20+7.5+7.5+5+5 */
}

/* ------------------------------------------------------------ referrals */

typedef struct {
    Intake__Request r;
    Intake__Person p;
    Intake__AttributeAnswer ans[3];
    Intake__AttributeAnswer *answers[3];
    char *vals[3][2];
} req_t;

static void s_req_fill(req_t *q, const char *service)
{
    memset(q, 0, sizeof *q);
    intake__request__init(&q->r);
    intake__person__init(&q->p);
    for (int i = 0; i < 3; i++) {
        intake__attribute_answer__init(&q->ans[i]);
        q->ans[i].values = q->vals[i];
        q->answers[i] = &q->ans[i];
    }
    q->p.name = "王阿姨";
    q->p.kind = INTAKE__REQUESTER_KIND__RESIDENT;
    q->r.service_request_id = "R20260105-000001";
    q->r.channel = "wechat";
    q->r.requester = &q->p;
    q->r.service_code = (char *)service;
    q->r.attributes = q->answers;
    q->r.street = "鼓楼街道";
    q->r.urgency = INTAKE__URGENCY__HIGH;
}

static void s_answer(req_t *q, int i, const char *code, const char *value)
{
    q->ans[i].code = (char *)code;
    q->vals[i][0] = (char *)value;
    q->ans[i].n_values = 1;
    if ((size_t)i + 1 > q->r.n_attributes) q->r.n_attributes = (size_t)i + 1;
}

static void test_referral_init(void **state)
{
    (void)state;
    hub_arena_t *arena = hub_arena_new(1 << 16);
    assert_non_null(arena);
    req_t q;
    Matching__Referral ref;

    s_req_fill(&q, "elderly-care");
    s_answer(&q, 0, "care_type", "meal");
    s_answer(&q, 1, "age", "82");
    match_referral_init(&ref, &q.r, T_MON0, arena);
    assert_string_equal(ref.request_id, "R20260105-000001");
    assert_int_equal(ref.status, MATCHING__REFERRAL_STATUS__REQUESTED);
    assert_string_equal(ref.service_code, "elderly-care");
    assert_string_equal(ref.street, "鼓楼街道");
    assert_int_equal(ref.urgency, INTAKE__URGENCY__HIGH);
    assert_string_equal(ref.language, "zh");
    assert_int_equal(ref.n_groups, 1);
    assert_string_equal(ref.groups[0], "elderly");
    assert_int_equal(ref.age, 82);
    assert_string_equal(ref.requester_kind, "resident");
    assert_int_equal(ref.created_ms, T_MON0);
    assert_int_equal(ref.updated_ms, T_MON0);
    assert_int_equal(ref.n_offers, 0);
    assert_int_equal(ref.n_history, 0);
    assert_int_equal(ref.outcome, MATCHING__OUTCOME__OUTCOME_UNSPECIFIED);
    assert_int_equal(ref.provider_kind, MATCHING__PROVIDER_KIND__PROVIDER_KIND_UNSPECIFIED);
    assert_string_equal(ref.provider_id, "");

    /* the need taken from it */
    match_need_t n;
    match_need_from_referral(&ref, T_MON0 + 5, &n);
    assert_string_equal(n.service, "elderly-care");
    assert_string_equal(n.street, "鼓楼街道");
    assert_int_equal(n.urgency, INTAKE__URGENCY__HIGH);
    assert_int_equal(n.lang, match_lang_bit("zh"));
    assert_int_equal(n.groups, match_group_bit("elderly"));
    assert_int_equal(n.age, 82);
    assert_true(n.vulnerable);
    assert_int_equal(n.now_ms, T_MON0 + 5);

    /* the group of each service */
    struct {
        const char *service, *group;
    } g[] = {{"elderly-care", "elderly"},       {"disability", "disabled"},
             {"children-autism", "children"},   {"tutoring", "children"},
             {"hardship-relief", "low-income"}, {"employment", "low-income"},
             {"psych-support", NULL},           {"family", NULL},
             {"legal-aid", NULL},               {"health", NULL},
             {"community", NULL}};
    for (size_t i = 0; i < sizeof g / sizeof *g; i++) {
        s_req_fill(&q, g[i].service);
        match_referral_init(&ref, &q.r, T_MON0, arena);
        if (g[i].group) {
            assert_int_equal(ref.n_groups, 1);
            assert_string_equal(ref.groups[0], g[i].group);
        } else {
            assert_int_equal(ref.n_groups, 0);
            match_need_from_referral(&ref, T_MON0, &n);
            assert_false(n.vulnerable);
        }
        assert_int_equal(ref.age, 0);
    }

    /* child_age; other details kept */
    s_req_fill(&q, "children-autism");
    s_answer(&q, 0, "diagnosis", "asd");
    s_answer(&q, 1, "child_age", "6");
    q.r.language = "en-US";
    q.r.urgency = INTAKE__URGENCY__URGENCY_UNSPECIFIED;
    q.p.kind = INTAKE__REQUESTER_KIND__ORGANIZATION;
    match_referral_init(&ref, &q.r, T_MON0, arena);
    assert_int_equal(ref.age, 6);
    assert_string_equal(ref.language, "en-US");
    assert_int_equal(ref.urgency, INTAKE__URGENCY__NORMAL);
    assert_string_equal(ref.requester_kind, "organization");
    match_need_from_referral(&ref, T_MON0, &n);
    assert_int_equal(n.lang, match_lang_bit("en"));
    assert_int_equal(n.groups, match_group_bit("children"));

    /* ages that are not whole numbers 0..150 are unknown */
    const char *bad_ages[] = {"8.5", "151", "-1", "abc", "", "6 岁", "1e9"};
    for (size_t i = 0; i < sizeof bad_ages / sizeof *bad_ages; i++) {
        s_req_fill(&q, "elderly-care");
        s_answer(&q, 0, "age", bad_ages[i]);
        match_referral_init(&ref, &q.r, T_MON0, arena);
        if (ref.age != 0) fail_msg("age \"%s\" gave %u", bad_ages[i], ref.age);
    }
    s_req_fill(&q, "elderly-care");
    s_answer(&q, 0, "age", "150");
    match_referral_init(&ref, &q.r, T_MON0, arena);
    assert_int_equal(ref.age, 150);
    s_answer(&q, 0, "age", "70.0");
    match_referral_init(&ref, &q.r, T_MON0, arena);
    assert_int_equal(ref.age, 70);
    s_answer(&q, 0, "household_size", "3"); /* not an age */
    match_referral_init(&ref, &q.r, T_MON0, arena);
    assert_int_equal(ref.age, 0);

    /* requester kinds */
    q.p.kind = INTAKE__REQUESTER_KIND__ENTERPRISE;
    match_referral_init(&ref, &q.r, T_MON0, arena);
    assert_string_equal(ref.requester_kind, "enterprise");
    q.p.kind = INTAKE__REQUESTER_KIND__REQUESTER_KIND_UNSPECIFIED;
    match_referral_init(&ref, &q.r, T_MON0, arena);
    assert_string_equal(ref.requester_kind, "");
    q.r.requester = NULL;
    match_referral_init(&ref, &q.r, T_MON0, arena);
    assert_string_equal(ref.requester_kind, "");

    /* the referral packs (every field set to something protobuf-c accepts) */
    s_req_fill(&q, "tutoring");
    match_referral_init(&ref, &q.r, T_MON0, arena);
    size_t len = 0;
    uint8_t *buf = hub_wire_pack(&ref.base, arena, &len);
    assert_non_null(buf);
    Matching__Referral *back = matching__referral__unpack(NULL, len, buf);
    assert_non_null(back);
    assert_string_equal(back->service_code, "tutoring");
    assert_int_equal(back->n_groups, 1);
    assert_string_equal(back->groups[0], "children");
    matching__referral__free_unpacked(back, NULL);

    hub_arena_destroy(&arena);
}

static void test_referral_transitions(void **state)
{
    (void)state;
    enum { RQ = MATCHING__REFERRAL_STATUS__REQUESTED, AC = MATCHING__REFERRAL_STATUS__ACCEPTED,
           RJ = MATCHING__REFERRAL_STATUS__REJECTED, IP = MATCHING__REFERRAL_STATUS__IN_PROGRESS,
           OH = MATCHING__REFERRAL_STATUS__ON_HOLD, CO = MATCHING__REFERRAL_STATUS__COMPLETED,
           CA = MATCHING__REFERRAL_STATUS__CANCELLED };
    /* to[from] for each action, 0 = illegal (from 0 = unspecified: always illegal) */
    static const struct {
        const char *action;
        int to[8];
    } table[] = {
        {"offer", {[RQ] = RQ, [RJ] = RQ}},
        {"accept", {[RQ] = AC}},
        {"decline", {[RQ] = RQ}},
        {"expire", {[RQ] = RQ}},
        {"unmatched", {[RQ] = RJ}},
        {"start", {[AC] = IP, [OH] = IP}},
        {"hold", {[AC] = OH, [IP] = OH}},
        {"resume", {[OH] = IP}},
        {"complete", {[AC] = CO, [IP] = CO, [OH] = CO}},
        {"assign", {[RQ] = AC, [RJ] = AC, [AC] = AC, [IP] = AC, [OH] = AC}},
        {"withdraw", {[RQ] = CA, [AC] = CA, [RJ] = CA, [IP] = CA, [OH] = CA}},
    };
    int legal = 0;
    for (size_t a = 0; a < sizeof table / sizeof *table; a++) {
        for (int from = 0; from <= CA; from++) {
            hub_error_t err = {0};
            Matching__ReferralStatus to = (Matching__ReferralStatus)99;
            int rc = match_referral_transition((Matching__ReferralStatus)from, table[a].action, &to, &err);
            if (table[a].to[from]) {
                if (rc) fail_msg("%s from %s refused: %s", table[a].action,
                                 match_status_name((Matching__ReferralStatus)from), err.message);
                assert_int_equal(to, table[a].to[from]);
                legal++;
            } else {
                if (!rc) fail_msg("%s from %s accepted", table[a].action,
                                  match_status_name((Matching__ReferralStatus)from));
                assert_int_equal(rc, -1);
                assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
                assert_string_equal(err.field, "action");
                assert_int_equal(to, 99); /* untouched */
                if (from) assert_non_null(strstr(err.message, match_status_name((Matching__ReferralStatus)from)));
            }
        }
    }
    assert_int_equal(legal, 2 + 1 + 1 + 1 + 1 + 2 + 2 + 1 + 3 + 5 + 5);

    /* a few by hand, for the reader */
    hub_error_t err = {0};
    Matching__ReferralStatus to;
    assert_int_equal(match_referral_transition(MATCHING__REFERRAL_STATUS__COMPLETED, "withdraw", &to, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "COMPLETED"));
    memset(&err, 0, sizeof err);
    assert_int_equal(match_referral_transition(MATCHING__REFERRAL_STATUS__CANCELLED, "assign", &to, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    memset(&err, 0, sizeof err);
    assert_int_equal(match_referral_transition(MATCHING__REFERRAL_STATUS__REJECTED, "accept", &to, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    memset(&err, 0, sizeof err);
    assert_int_equal(match_referral_transition(MATCHING__REFERRAL_STATUS__IN_PROGRESS, "resume", &to, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    memset(&err, 0, sizeof err);
    assert_int_equal(match_referral_transition((Matching__ReferralStatus)42, "withdraw", &to, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);

    /* unknown actions */
    const char *unknown[] = {"explode", "", "Accept", "accepted", "cancel"};
    for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
        memset(&err, 0, sizeof err);
        assert_int_equal(match_referral_transition(MATCHING__REFERRAL_STATUS__REQUESTED, unknown[i], &to, &err), -1);
        assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
        assert_string_equal(err.field, "action");
    }
    memset(&err, 0, sizeof err);
    assert_int_equal(match_referral_transition(MATCHING__REFERRAL_STATUS__REQUESTED, NULL, &to, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    /* an unknown action wins over an impossible state */
    memset(&err, 0, sizeof err);
    assert_int_equal(match_referral_transition(MATCHING__REFERRAL_STATUS__COMPLETED, "explode", &to, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    /* err may be NULL */
    assert_int_equal(match_referral_transition(MATCHING__REFERRAL_STATUS__COMPLETED, "start", &to, NULL), -1);

    assert_string_equal(match_status_name(MATCHING__REFERRAL_STATUS__IN_PROGRESS), "IN_PROGRESS");
    assert_string_equal(match_status_name((Matching__ReferralStatus)42), "UNKNOWN");
}

static void test_referral_topics(void **state)
{
    (void)state;
    const char *t[][2] = {
        {"offer", "matching.referral.offered"},       {"accept", "matching.referral.accepted"},
        {"decline", "matching.referral.declined"},    {"expire", "matching.referral.expired"},
        {"unmatched", "matching.referral.unmatched"}, {"start", "matching.referral.started"},
        {"hold", "matching.referral.held"},           {"resume", "matching.referral.resumed"},
        {"complete", "matching.referral.completed"},  {"assign", "matching.referral.assigned"},
        {"withdraw", "matching.referral.withdrawn"}, {"reopen", "matching.referral.reopened"},  {"note", "matching.referral.updated"},
        {"", "matching.referral.updated"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) assert_string_equal(match_referral_topic(t[i][0]), t[i][1]);
    assert_string_equal(match_referral_topic(NULL), "matching.referral.updated");
}

/* A prepared need (slot masks) filters and scores exactly like an
 * unprepared one, over random hours, times (across the week wrap) and
 * urgencies. */
static void test_prepared_need_agrees(void **state)
{
    (void)state;
    unsigned seed = 12345;
    for (int round = 0; round < 3000; round++) {
        seed = seed * 1103515245u + 12345u;
        Matching__TimeSlot ts[3];
        size_t n = (seed >> 8) % 4;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t open = (seed >> 4) % 1380;
            ts[i] = s_slot(1 + (seed >> 16) % 7, open, open + 30 + (seed >> 20) % 60);
        }
        match_cand_t c;
        s_cand_hours(&c, ts, n);
        c.available = 1, c.maximum = 2;
        snprintf(c.id, sizeof c.id, "C%d", round);
        match_need_t plain = s_need();
        seed = seed * 1103515245u + 12345u;
        plain.now_ms = T_MON0 + (int64_t)((seed >> 3) % (7 * 48)) * 30 * 60000 + (seed % 1800000);
        plain.urgency = 1 + (int)((seed >> 11) % 4);
        match_need_t fast = plain;
        match_need_prepare(&fast);
        assert_int_equal(match_filter(&plain, &c), match_filter(&fast, &c));
        assert_true(match_score(&plain, &c, false, NULL) == match_score(&fast, &c, false, NULL));
        /* the explained score is the same number */
        match_factor_t f[MATCH_FACTORS];
        c.offers = (uint32_t)(round % 7), c.accepted = (uint32_t)(round % 5) < c.offers ? (uint32_t)(round % 5) : c.offers;
        c.cost = round % 2 ? MATCHING__COST__LOW_COST : MATCHING__COST__FREE;
        fast.vulnerable = round % 3 == 0;
        assert_true(match_score(&fast, &c, round % 2, NULL) == match_score(&fast, &c, round % 2, f));
    }
}

/* ------------------------------------------------------------ personal data */

static Matching__Subject s_subject(const char *phone, const char *email, const char *name)
{
    Matching__Subject s = MATCHING__SUBJECT__INIT;
    s.phone = (char *)phone, s.email = (char *)email, s.name = (char *)name;
    return s;
}

static void test_subject_match(void **state)
{
    (void)state;
    Matching__Subject s;
    /* a phone with digits or an e-mail is needed; a name only narrows */
    s = s_subject("", "", "陈律师");
    assert_int_equal(match_subject_valid(&s), -1);
    s = s_subject("n/a", "", "");
    assert_int_equal(match_subject_valid(&s), -1);
    assert_int_equal(match_subject_valid(NULL), -1);
    s = s_subject("", "x@example.com", "");
    assert_int_equal(match_subject_valid(&s), 0);

    vol_t q;
    s_vol_fill(&q);
    const Matching__Volunteer *v = &q.v;
    const char *const same[] = {"13900000000", "+86 139-0000-0000", "0086 139 0000 0000", "8613900000000"};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        s = s_subject(same[i], "", "");
        if (!match_volunteer_is_of(v, &s)) fail_msg("phone \"%s\" is not the volunteer's", same[i]);
    }
    s = s_subject("13900000001", "", "");
    assert_false(match_volunteer_is_of(v, &s));
    s = s_subject("", "CHEN@Example.com", "");      /* e-mail: case-insensitive */
    assert_true(match_volunteer_is_of(v, &s));
    s = s_subject("", "chen@example.org", "");
    assert_false(match_volunteer_is_of(v, &s));
    s = s_subject("13900000000", "", "陈律师");     /* the name narrows */
    assert_true(match_volunteer_is_of(v, &s));
    s = s_subject("13900000000", "", "陈医生");
    assert_false(match_volunteer_is_of(v, &s));
    s = s_subject("13900000000", "other@example.com", ""); /* every identifier given must match */
    assert_false(match_volunteer_is_of(v, &s));
    s = s_subject("", "", "陈律师");                 /* a name alone finds no one */
    assert_false(match_volunteer_is_of(v, &s));
    assert_false(match_volunteer_is_of(v, NULL));
    assert_false(match_volunteer_is_of(NULL, &s));
    q.v.phone = "";                                  /* no phone: a phone finds nothing */
    s = s_subject("13900000000", "", "");
    assert_false(match_volunteer_is_of(v, &s));

    Matching__Contact c = MATCHING__CONTACT__INIT;
    c.name = "王主任", c.title = "秘书长", c.phone = "0574-8765 4321", c.email = "wang@org.example";
    s = s_subject("057487654321", "", "");
    assert_true(match_contact_is_of(&c, &s));
    s = s_subject("", "Wang@Org.Example", "王主任");
    assert_true(match_contact_is_of(&c, &s));
    s = s_subject("057487654321", "", "王副主任");
    assert_false(match_contact_is_of(&c, &s));
    s = s_subject("", "", "王主任");
    assert_false(match_contact_is_of(&c, &s));
    assert_false(match_contact_is_of(NULL, &s));
}

static void test_volunteer_erase(void **state)
{
    const intake_catalogue_t *cat = *state;
    vol_t q;
    s_vol_fill(&q);
    Matching__Volunteer *v = &q.v;
    v->id = "VOL-000007";
    v->membership = MATCHING__MEMBERSHIP__APPROVED;
    v->stats = &q.stats;
    q.stats.offers = 5, q.stats.completed = 2, q.stats.got_help = 2, q.stats.open_cases = 1;
    v->hours_served = 12.5;
    v->created_ms = 111;
    q.skill[1].licence_no = "A-778899";

    /* the copy of an old event: identifiers only */
    vol_t c;
    s_vol_fill(&c);
    c.v.membership = MATCHING__MEMBERSHIP__APPROVED;
    match_volunteer_blank(&c.v);
    assert_string_equal(c.v.name, MATCH_ERASED_NAME);
    assert_string_equal(c.v.phone, "");
    assert_string_equal(c.v.email, "");
    assert_string_equal(c.skill[0].licence_no, "");
    assert_int_equal(c.v.membership, MATCHING__MEMBERSHIP__APPROVED);
    assert_int_equal(c.v.erased_ms, 0);

    match_volunteer_erase(v, 5000);
    assert_string_equal(v->name, MATCH_ERASED_NAME);
    assert_string_equal(v->phone, "");
    assert_string_equal(v->email, "");
    assert_string_equal(q.skill[0].licence_no, "");
    assert_string_equal(q.skill[1].licence_no, "");
    assert_int_equal(v->membership, MATCHING__MEMBERSHIP__WITHDRAWN); /* never offered again */
    assert_int_equal(v->erased_ms, 5000);
    assert_int_equal(v->updated_ms, 5000);
    /* what referrals and figures need stays */
    assert_string_equal(v->id, "VOL-000007");
    assert_string_equal(v->organization_id, "ORG-000001");
    assert_string_equal(q.skill[0].service, "psych-support");
    assert_string_equal(q.skill[0].certification, "国家二级心理咨询师");
    assert_int_equal(v->n_skills, 2);
    assert_string_equal(v->areas[0], "月湖街道");
    assert_true(v->hours_served == 12.5);
    assert_int_equal(v->stats->offers, 5);
    assert_int_equal(v->stats->completed, 2);
    assert_int_equal(v->stats->open_cases, 1);
    assert_int_equal(v->created_ms, 111);
    /* found no more; a repeat keeps the first erasure's time */
    Matching__Subject s = s_subject("13900000000", "", "");
    assert_false(match_volunteer_is_of(v, &s));
    s = s_subject("", "chen@example.com", "");
    assert_false(match_volunteer_is_of(v, &s));
    match_volunteer_erase(v, 6000);
    assert_int_equal(v->erased_ms, 5000);
    assert_int_equal(v->updated_ms, 6000);
    /* the record is still a valid one (stored, listed, exported as such) */
    hub_error_t err = {0};
    if (match_validate_volunteer(cat, v, &err)) fail_msg("%s: %s", err.field, err.message);
}

static void test_org_contacts(void **state)
{
    (void)state;
    Matching__Contact a = MATCHING__CONTACT__INIT, b = MATCHING__CONTACT__INIT, a2 = MATCHING__CONTACT__INIT;
    a.name = "李联络", a.title = "社工", a.phone = "13912340001", a.email = "li@org.example";
    b.name = "赵联络", b.title = "理事长", b.phone = "13912340002", b.email = "zhao@org.example";
    a2.name = "李联络", a2.title = "志愿者协调员", a2.phone = "+86 139 1234 0001", a2.email = "";
    Matching__Contact *list[3] = {&a, &b, &a2};
    Matching__Organization o = MATCHING__ORGANIZATION__INIT;
    o.contacts = list, o.n_contacts = 3;
    Matching__Subject s = s_subject("13912340001", "", "李联络");
    assert_int_equal(match_org_remove_contacts(&o, &s), 2); /* both entries of the person */
    assert_int_equal(o.n_contacts, 1);
    assert_ptr_equal(o.contacts[0], &b);
    assert_int_equal(match_org_remove_contacts(&o, &s), 0); /* idempotent */
    assert_int_equal(o.n_contacts, 1);

    /* an old copy keeps only the contacts the organization still lists */
    Matching__Contact b_copy = b, c = MATCHING__CONTACT__INIT;
    c.name = "钱联络", c.phone = "13912340003";
    Matching__Contact *old_list[4] = {&a, &b_copy, &c, &a2};
    Matching__Organization old = MATCHING__ORGANIZATION__INIT;
    old.contacts = old_list, old.n_contacts = 4;
    assert_int_equal(match_org_keep_contacts(&old, &o), 3);
    assert_int_equal(old.n_contacts, 1);
    assert_ptr_equal(old.contacts[0], &b_copy);
    b_copy.title = "前理事长"; /* an entry that changed since is not the same entry */
    assert_int_equal(match_org_keep_contacts(&old, &o), 1);
    assert_int_equal(old.n_contacts, 0);
}

static void test_referral_forget(void **state)
{
    (void)state;
    Matching__Offer o[4];
    for (int i = 0; i < 4; i++) matching__offer__init(&o[i]);
    o[0].kind = MATCHING__PROVIDER_KIND__VOLUNTEER, o[0].provider_id = "VOL-1", o[0].provider_name = "张三";
    o[1].kind = MATCHING__PROVIDER_KIND__VOLUNTEER, o[1].provider_id = "VOL-10", o[1].provider_name = "李四";
    o[2].kind = MATCHING__PROVIDER_KIND__ORGANIZATION, o[2].provider_id = "VOL-1", o[2].provider_name = "某社";
    o[3].kind = MATCHING__PROVIDER_KIND__VOLUNTEER, o[3].provider_id = "VOL-1", o[3].provider_name = "张三";
    Matching__Offer *offers[4] = {&o[0], &o[1], &o[2], &o[3]};
    Matching__Referral r = MATCHING__REFERRAL__INIT;
    r.offers = offers, r.n_offers = 4;
    r.provider_kind = MATCHING__PROVIDER_KIND__VOLUNTEER, r.provider_id = "VOL-1", r.provider_name = "张三";
    assert_true(match_referral_forget_volunteer(&r, "VOL-1"));
    assert_string_equal(o[0].provider_name, "");
    assert_string_equal(o[1].provider_name, "李四");  /* another volunteer (a longer id) */
    assert_string_equal(o[2].provider_name, "某社");  /* not a volunteer */
    assert_string_equal(o[3].provider_name, "");
    assert_string_equal(r.provider_name, "");
    assert_string_equal(r.provider_id, "VOL-1");     /* who served it stays */
    assert_string_equal(o[0].provider_id, "VOL-1");
    assert_false(match_referral_forget_volunteer(&r, "VOL-1")); /* nothing left */
    assert_false(match_referral_forget_volunteer(&r, "VOL-2"));
    /* the current provider being an organization: its name stays */
    r.provider_kind = MATCHING__PROVIDER_KIND__ORGANIZATION, r.provider_name = "某社";
    assert_true(match_referral_forget_volunteer(&r, "VOL-10"));
    assert_string_equal(r.provider_name, "某社");
    assert_string_equal(o[1].provider_name, "");
}

/* ------------------------------------------------------------ activity hours */

/* An attendance of registration rid by volunteer vid, credited hours. */
static void s_attended(Intake__RegistrationEvent *ev, Intake__Registration *r, Intake__Activity *a,
                       const char *rid, const char *vid, double hours)
{
    intake__registration_event__init(ev);
    intake__registration__init(r);
    intake__activity__init(a);
    a->activity_id = "E20260105-000001";
    a->kind = INTAKE__ACTIVITY_KIND__VOLUNTEER_DAY;
    a->created_ms = T_MON0 - DAY_MS;
    r->registration_id = (char *)rid;
    r->activity_id = a->activity_id;
    r->volunteer_id = (char *)vid;
    r->state = INTAKE__REGISTRATION_STATE__ATTENDED;
    r->hours_credited = hours;
    ev->action = "attended";
    ev->registration = r;
    ev->activity = a;
}

static void test_activity_credit(void **state)
{
    (void)state;
    Intake__RegistrationEvent ev;
    Intake__Registration r;
    Intake__Activity a;
    match_credit_t c;
    hub_error_t err = {0};
    s_attended(&ev, &r, &a, "E20260105-000001-000003", "VOL-000007", 3.5);
    assert_int_equal(match_activity_credit(&ev, &c, &err), 1);
    assert_string_equal(c.registration_id, "E20260105-000001-000003");
    assert_string_equal(c.activity_id, "E20260105-000001");
    assert_string_equal(c.volunteer_id, "VOL-000007");
    assert_true(c.hours == 3.5);
    assert_int_equal(c.activity_created_ms, T_MON0 - DAY_MS);
    /* nothing to credit: no volunteer, no hours, not an attendance, no event */
    r.volunteer_id = "";
    assert_int_equal(match_activity_credit(&ev, &c, &err), 0);
    r.volunteer_id = "VOL-000007";
    r.hours_credited = 0;
    assert_int_equal(match_activity_credit(&ev, &c, &err), 0);
    r.hours_credited = NAN;
    assert_int_equal(match_activity_credit(&ev, &c, &err), 0);
    r.hours_credited = 2;
    r.state = INTAKE__REGISTRATION_STATE__CONFIRMED;
    assert_int_equal(match_activity_credit(&ev, &c, &err), 0);
    r.state = INTAKE__REGISTRATION_STATE__ATTENDED;
    ev.registration = NULL;
    assert_int_equal(match_activity_credit(&ev, &c, &err), 0);
    assert_int_equal(match_activity_credit(NULL, &c, &err), 0);
    ev.registration = &r;
    assert_int_equal(err.code, 0);
    /* an event without its activity still credits (creation time 0) */
    ev.activity = NULL;
    assert_int_equal(match_activity_credit(&ev, &c, &err), 1);
    assert_int_equal(c.activity_created_ms, 0);
    ev.activity = &a;
    /* would credit but cannot */
    const struct {
        const char *rid, *vid;
        double hours;
        const char *field;
    } bad[] = {
        {"", "VOL-000007", 2, "registration.registration_id"},
        {"E1-1", "VOL 7", 2, "registration.volunteer_id"},
        {"E1-1", "VOL-0000000000000000000007", 2, "registration.volunteer_id"},
        {"E1-1", "VOL-000007", INFINITY, "registration.hours_credited"},
        {"E1-1", "VOL-000007", MATCH_MAX_CREDIT_HOURS + 0.5, "registration.hours_credited"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        r.registration_id = (char *)bad[i].rid;
        r.volunteer_id = (char *)bad[i].vid;
        r.hours_credited = bad[i].hours;
        assert_int_equal(match_activity_credit(&ev, &c, &err), -1);
        assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
        assert_string_equal(err.field, bad[i].field);
        assert_null(c.registration_id);
    }
    r.hours_credited = MATCH_MAX_CREDIT_HOURS;   /* the bound itself is fine */
    r.volunteer_id = "VOL-000007";
    assert_int_equal(match_activity_credit(&ev, &c, &err), 1);
}

static void test_volunteer_credit(void **state)
{
    (void)state;
    Matching__Volunteer v = MATCHING__VOLUNTEER__INIT;
    v.hours_served = 1.5;   /* from a completed referral */
    match_volunteer_credit(&v, 3);
    match_volunteer_credit(&v, 0.25);
    assert_true(v.hours_served == 4.75);
    assert_true(v.activity_hours == 3.25);
    match_volunteer_credit(&v, 0);     /* nothing */
    match_volunteer_credit(&v, -2);
    match_volunteer_credit(&v, NAN);
    assert_true(v.hours_served == 4.75);
    assert_true(v.activity_hours == 3.25);
}

int main(void)
{

#define C(f) cmocka_unit_test_setup_teardown(f, s_cat_setup, s_cat_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_credit_code_valid),
        cmocka_unit_test(test_credit_code_invalid),
        C(test_org_valid_and_defaults),
        C(test_org_refused_identity),
        C(test_org_refused_lists),
        C(test_volunteer),
        cmocka_unit_test(test_membership_transitions),
        cmocka_unit_test(test_lang_group_bits),
        cmocka_unit_test(test_week_fill),
        cmocka_unit_test(test_open_within),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_prepared_need_agrees),
        cmocka_unit_test(test_windows_and_timeouts),
        C(test_cand_from_records),
        cmocka_unit_test(test_score_factors),
        cmocka_unit_test(test_score_order),
        cmocka_unit_test(test_referral_init),
        cmocka_unit_test(test_referral_transitions),
        cmocka_unit_test(test_referral_topics),
        cmocka_unit_test(test_subject_match),
        C(test_volunteer_erase),
        cmocka_unit_test(test_org_contacts),
        cmocka_unit_test(test_referral_forget),
        cmocka_unit_test(test_activity_credit),
        cmocka_unit_test(test_volunteer_credit),
    };
    return cmocka_run_group_tests_name("test_matching", tests, NULL, NULL);
}
