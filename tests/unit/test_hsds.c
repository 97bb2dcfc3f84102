/* Unit tests for hsds: HSDS 3.0 JSON and CSV import (shapes, field paths,
 * limits, hostile input), the HSDS export (UUID ids, the mapping) and the
 * round trip export -> import.
 *
 * With HSDS_EXPORT_SAMPLE=path in the environment the program runs no
 * tests: it writes the export of three sample Haishu organizations to path
 * and exits 0 (tests/cli/test_hsds_schema.sh validates that file against
 * the HSDS 3.0 organization schema). */
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

#include "catalogue.h"
#include "hsds.h"
#include "hub_util.h"
#include "hub_wire.h"
#include "match.h"

#define ARENA_BUDGET (64u << 20)

/* ------------------------------------------------------------ credit codes */

/* True if code is a valid 统一社会信用代码: GB 32100-2015 check character
 * at index 17 over the first 17, and the GB 11714 organization-code check
 * at index 16 over indexes 8..15. Kept here so the sample data is known
 * to be valid without the validator. */
static bool s_credit_code_ok(const char *code)
{
    static const char cs[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    static const int ow[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    if (strlen(code) != 18) return false;
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        const char *p = strchr(cs, code[i]);
        if (!p || !code[i]) return false;
        sum += (int)(p - cs) * w[i];
    }
    if (code[17] != cs[(31 - sum % 31) % 31]) return false;
    int osum = 0;
    for (int i = 0; i < 8; i++) {
        char ch = code[8 + i];
        int v = ch >= '0' && ch <= '9' ? ch - '0' : ch - 'A' + 10;
        osum += v * ow[i];
    }
    int chk = 11 - osum % 11;
    char want = chk == 10 ? 'X' : chk == 11 ? '0' : (char)('0' + chk);
    return code[16] == want;
}

/* ------------------------------------------------------------ sample data */

/* A char* array of the given literals, from the arena. */
static char **s_strv(hub_arena_t *a, size_t n, ...)
{
    char **v = hub_arena_alloc(a, (n ? n : 1) * sizeof *v);
    assert_non_null(v);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) v[i] = va_arg(ap, char *);
    va_end(ap);
    return v;
}

/* Adds slots weekday first..last, opens-closes (minutes) to org. */
static void s_add_hours(hub_arena_t *a, Matching__Organization *o, unsigned first, unsigned last,
                        unsigned opens, unsigned closes)
{
    Matching__TimeSlot **v = hub_arena_alloc(a, (o->n_hours + 7) * sizeof *v);
    assert_non_null(v);
    if (o->n_hours) memcpy(v, o->hours, o->n_hours * sizeof *v);
    for (unsigned d = first; d <= last; d++) {
        Matching__TimeSlot *t = hub_arena_alloc(a, sizeof *t);
        assert_non_null(t);
        matching__time_slot__init(t);
        t->weekday = d;
        t->opens_min = opens;
        t->closes_min = closes;
        v[o->n_hours++] = t;
    }
    o->hours = v;
}

/* A contact from the arena. */
static Matching__Contact *s_contact(hub_arena_t *a, const char *name, const char *title,
                                    const char *phone, const char *email)
{
    Matching__Contact *c = hub_arena_alloc(a, sizeof *c);
    assert_non_null(c);
    matching__contact__init(c);
    c->name = (char *)name;
    c->title = (char *)title;
    c->phone = (char *)phone;
    c->email = (char *)email;
    return c;
}

/* Sample organization 0, 1 or 2: realistic Haishu organizations with
 * valid credit codes, every exported field used between them. */
static Matching__Organization *s_sample(hub_arena_t *a, int which)
{
    Matching__Organization *o = hub_arena_alloc(a, sizeof *o);
    assert_non_null(o);
    matching__organization__init(o);
    Matching__Eligibility *e = hub_arena_alloc(a, sizeof *e);
    Matching__Capacity *cap = hub_arena_alloc(a, sizeof *cap);
    assert_non_null(e);
    assert_non_null(cap);
    matching__eligibility__init(e);
    matching__capacity__init(cap);
    switch (which) {
    case 0:
        o->id = "ORG-000001";
        o->name = "海曙区鼓楼街道老年协会";
        o->credit_code = "51330203MJ8812344F";
        o->legal_form = MATCHING__LEGAL_FORM__SOCIAL_GROUP;
        o->description = "为辖区老人提供助餐、上门探访和日间照料,组织低龄老人结对帮扶高龄独居老人。";
        o->email = "gulou.laonian@example.org.cn";
        o->url = "https://gulou-laonian.example.org.cn/";
        o->membership = MATCHING__MEMBERSHIP__APPROVED;
        o->services = s_strv(a, 2, "elderly-care", "community");
        o->n_services = 2;
        o->areas = s_strv(a, 3, "鼓楼街道", "月湖街道", "西门街道");
        o->n_areas = 3;
        o->languages = s_strv(a, 2, "zh", "wuu");
        o->n_languages = 2;
        s_add_hours(a, o, 1, 5, 8 * 60 + 30, 17 * 60);
        s_add_hours(a, o, 6, 6, 9 * 60, 12 * 60);
        o->cost = MATCHING__COST__FREE;
        e->min_age = 60;
        e->groups = s_strv(a, 1, "elderly");
        e->n_groups = 1;
        o->eligibility = e;
        cap->available = 12;
        cap->maximum = 40;
        cap->updated_ms = 1714521600000;   /* 2024-05-01T00:00:00Z */
        o->capacity = cap;
        o->contacts = hub_arena_alloc(a, 1 * sizeof *o->contacts);
        o->contacts[0] = s_contact(a, "王秀英", "会长", "0574-8730 1234", "wangxy@example.org.cn");
        o->n_contacts = 1;
        o->last_verified = "2024-04-20";
        o->year_incorporated = 2008;
        o->street = "鼓楼街道";
        o->address = "海曙区中山西路 138 号";
        o->created_ms = 1704067200000;
        o->updated_ms = 1714521600000;
        break;
    case 1:
        o->id = "ORG-000002";
        o->name = "海曙区心晴社会工作服务中心";
        o->credit_code = "52330203MJ88123527";
        o->legal_form = MATCHING__LEGAL_FORM__PRIVATE_NON_ENTERPRISE;
        o->description = "专业社工机构:心理疏导、家庭关系调适、自闭症儿童家庭支持。";
        o->email = "xinqing@example.org.cn";
        o->url = "www.xinqing.example.org.cn";
        o->membership = MATCHING__MEMBERSHIP__SUSPENDED;
        o->services = s_strv(a, 3, "psych-support", "family", "children-autism");
        o->n_services = 3;
        o->areas = s_strv(a, 1, "*");
        o->n_areas = 1;
        o->languages = s_strv(a, 2, "zh", "en");
        o->n_languages = 2;
        s_add_hours(a, o, 2, 4, 13 * 60 + 30, 20 * 60);
        s_add_hours(a, o, 6, 6, 9 * 60, 11 * 60 + 30);
        s_add_hours(a, o, 7, 7, 13 * 60 + 30, 20 * 60);   /* same hours as Tue-Thu, not adjacent */
        o->cost = MATCHING__COST__LOW_COST;
        o->fee = "30 元/次";
        e->min_age = 6;
        e->max_age = 80;
        e->groups = s_strv(a, 3, "children", "youth", "families");
        e->n_groups = 3;
        o->eligibility = e;
        cap->available = 0;
        cap->maximum = 20;
        cap->updated_ms = 1717200000123;
        o->capacity = cap;
        o->contacts = hub_arena_alloc(a, 2 * sizeof *o->contacts);
        o->contacts[0] = s_contact(a, "李静", "督导", "13805740001", "");
        o->contacts[1] = s_contact(a, "", "", "", "intake@xinqing.example.org.cn");
        o->n_contacts = 2;
        o->last_verified = "2024-06-01";
        o->year_incorporated = 2015;
        o->street = "南门街道";
        break;
    default:
        o->id = "ORG-000003";
        o->name = "海曙区西乡互助基金会";
        o->credit_code = "53330203MJ8812360Y";
        o->legal_form = MATCHING__LEGAL_FORM__FOUNDATION;
        o->description = "";
        o->membership = MATCHING__MEMBERSHIP__APPLIED;
        o->services = s_strv(a, 4, "disability", "hardship-relief", "legal-aid", "employment");
        o->n_services = 4;
        o->areas = s_strv(a, 8, "集士港镇", "古林镇", "高桥镇", "横街镇", "鄞江镇", "洞桥镇",
                          "章水镇", "龙观乡");
        o->n_areas = 8;
        o->languages = s_strv(a, 2, "zh", "sgn");
        o->n_languages = 2;
        o->cost = MATCHING__COST__FREE;
        o->street = "集士港镇";
        o->address = "集士港镇广场路 8 号";
        break;
    }
    return o;
}

/* A minimal community group: no credit code, no services, nothing optional. */
static Matching__Organization *s_minimal(hub_arena_t *a)
{
    Matching__Organization *o = hub_arena_alloc(a, sizeof *o);
    assert_non_null(o);
    matching__organization__init(o);
    o->id = "ORG-000009";
    o->name = "段塘街道邻里互助队";
    o->legal_form = MATCHING__LEGAL_FORM__COMMUNITY_GROUP;
    return o;
}

/* The JSON text of the export of orgs[0..n) (malloc'd). */
static char *s_export(Matching__Organization **orgs, size_t n)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (size_t i = 0; i < n; i++) assert_int_equal(hsds_export_org(orgs[i], &buf, &len, &cap), 0);
    assert_int_equal(hsds_export_end(&buf, &len, &cap), 0);
    assert_non_null(buf);
    assert_int_equal(strlen(buf), len);
    return buf;
}

/* ------------------------------------------------------------ fixtures */

static int s_setup(void **state)
{
    hub_arena_t *a = hub_arena_new(ARENA_BUDGET);
    if (!a) return -1;
    *state = a;
    return 0;
}

static int s_teardown(void **state)
{
    hub_arena_t *a = *state;
    hub_arena_destroy(&a);
    return 0;
}

/* Parses text; fails the test unless it succeeds. */
static void s_parse_ok(hub_arena_t *a, const char *format, const char *kind, const char *text,
                       size_t len, hsds_batch_t *b)
{
    hub_error_t err = {0};
    if (hsds_parse(format, kind, (const uint8_t *)text, len, a, b, &err))
        fail_msg("refused: %s field \"%s\": %s", hub_error_code_name(err.code), err.field, err.message);
    assert_int_equal(err.code, 0);
}

/* Parses text; fails the test unless it is refused with code on field. */
static void s_parse_refused(hub_arena_t *a, const char *format, const char *kind, const char *text,
                            size_t len, Hub__ErrorCode code, const char *field)
{
    hub_error_t err = {0};
    hsds_batch_t b;
    int rc = hsds_parse(format, kind, (const uint8_t *)text, len, a, &b, &err);
    if (rc == 0) fail_msg("accepted, expected a refusal on \"%s\": %.200s", field, text);
    assert_int_equal(rc, -1);
    if (err.code != code || strcmp(err.field, field))
        fail_msg("refused with %s on \"%s\" (%s), expected %s on \"%s\"\n  input: %.300s",
                 hub_error_code_name(err.code), err.field, err.message, hub_error_code_name(code),
                 field, text);
    assert_true(err.message[0] != 0);
    assert_null(b.orgs);
    assert_int_equal(b.n_orgs, 0);
    assert_int_equal(b.n_volunteers, 0);
}

/* ------------------------------------------------------------ comparisons */

static const char *S(const char *s)
{
    return s ? s : "";
}

static void s_strv_equal(const char *what, char **a, size_t na, char **b, size_t nb)
{
    if (na != nb) fail_msg("%s: %zu entries, expected %zu", what, nb, na);
    for (size_t i = 0; i < na; i++)
        if (strcmp(S(a[i]), S(b[i]))) fail_msg("%s[%zu]: \"%s\", expected \"%s\"", what, i, b[i], a[i]);
}

/* Checks that got carries every field of want that the export maps. */
static void s_org_equal(const Matching__Organization *want, const Matching__Organization *got)
{
    assert_string_equal(S(got->id), S(want->id));
    assert_string_equal(S(got->name), S(want->name));
    assert_string_equal(S(got->credit_code), S(want->credit_code));
    assert_int_equal(got->legal_form, want->legal_form);
    assert_string_equal(S(got->description), S(want->description));
    assert_string_equal(S(got->email), S(want->email));
    if (*S(want->url) && !strstr(want->url, "://")) {   /* the export makes it absolute */
        assert_int_equal(strncmp(S(got->url), "http://", 7), 0);
        assert_string_equal(S(got->url) + 7, want->url);
    } else {
        assert_string_equal(S(got->url), S(want->url));
    }
    assert_int_equal(got->membership, want->membership);
    assert_string_equal(S(got->street), S(want->street));
    assert_string_equal(S(got->address), S(want->address));
    assert_string_equal(S(got->last_verified), S(want->last_verified));
    assert_int_equal(got->year_incorporated, want->year_incorporated);
    s_strv_equal("services", want->services, want->n_services, got->services, got->n_services);
    if (!want->n_services) return;   /* areas, hours... travel on the services */
    s_strv_equal("areas", want->areas, want->n_areas, got->areas, got->n_areas);
    s_strv_equal("languages", want->languages, want->n_languages, got->languages, got->n_languages);
    assert_int_equal(got->n_hours, want->n_hours);
    for (size_t i = 0; i < want->n_hours; i++) {
        assert_int_equal(got->hours[i]->weekday, want->hours[i]->weekday);
        assert_int_equal(got->hours[i]->opens_min, want->hours[i]->opens_min);
        assert_int_equal(got->hours[i]->closes_min, want->hours[i]->closes_min);
    }
    bool low = want->cost == MATCHING__COST__LOW_COST;
    assert_int_equal(got->cost, low ? MATCHING__COST__LOW_COST : MATCHING__COST__FREE);
    if (low) assert_string_equal(S(got->fee), S(want->fee));
    const Matching__Eligibility *we = want->eligibility, *ge = got->eligibility;
    assert_int_equal(ge ? ge->min_age : 0, we ? we->min_age : 0);
    assert_int_equal(ge ? ge->max_age : 0, we ? we->max_age : 0);
    s_strv_equal("groups", we ? we->groups : NULL, we ? we->n_groups : 0, ge ? ge->groups : NULL,
                 ge ? ge->n_groups : 0);
    if (!want->capacity) {
        assert_null(got->capacity);
    } else {
        assert_non_null(got->capacity);
        assert_int_equal(got->capacity->available, want->capacity->available);
        assert_int_equal(got->capacity->maximum, want->capacity->maximum);
        assert_int_equal(got->capacity->updated_ms, want->capacity->updated_ms);
    }
    assert_int_equal(got->n_contacts, want->n_contacts);
    for (size_t i = 0; i < want->n_contacts; i++) {
        assert_string_equal(S(got->contacts[i]->name), S(want->contacts[i]->name));
        assert_string_equal(S(got->contacts[i]->title), S(want->contacts[i]->title));
        assert_string_equal(S(got->contacts[i]->phone), S(want->contacts[i]->phone));
        assert_string_equal(S(got->contacts[i]->email), S(want->contacts[i]->email));
    }
}

/* Every parsed record is a well-formed message: strings UTF-8, enums
 * declared, arrays as long as their counts (packing reads them all). */
static void s_records_sound(hub_arena_t *a, const hsds_batch_t *b)
{
    hub_error_t err = {0};
    for (size_t i = 0; i < b->n_orgs; i++) {
        assert_non_null(b->orgs[i]);
        if (hub_wire_validate(&b->orgs[i]->base, &err))
            fail_msg("orgs[%zu]: %s: %s", i, err.field, err.message);
        size_t len;
        assert_non_null(hub_wire_pack(&b->orgs[i]->base, a, &len));
    }
    for (size_t i = 0; i < b->n_volunteers; i++) {
        assert_non_null(b->volunteers[i]);
        if (hub_wire_validate(&b->volunteers[i]->base, &err))
            fail_msg("volunteers[%zu]: %s: %s", i, err.field, err.message);
        size_t len;
        assert_non_null(hub_wire_pack(&b->volunteers[i]->base, a, &len));
    }
}

/* ------------------------------------------------------------ export */

static void test_sample_credit_codes_valid(void **state)
{
    hub_arena_t *a = *state;
    for (int i = 0; i < 3; i++) {
        const char *code = s_sample(a, i)->credit_code;
        if (!s_credit_code_ok(code)) fail_msg("sample %d: %s is not a valid credit code", i, code);
    }
    assert_false(s_credit_code_ok("51330203MJ8812344G"));   /* wrong final check */
    assert_false(s_credit_code_ok("51330203MJ8812354F"));   /* wrong organization-code check */
    assert_false(s_credit_code_ok("51330203MJ881234"));
}

static bool s_is_uuid(const char *s)
{
    if (!s || strlen(s) != 36) return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i])) return false;
    }
    return true;
}

/* Collects every "id" in v (recursively); fails on a repeat or a non-UUID. */
static void s_ids_unique(json_t *v, json_t *seen)
{
    const char *key;
    json_t *x;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, key, x) {
            if (!strcmp(key, "id")) {
                const char *id = json_string_value(x);
                if (!s_is_uuid(id)) fail_msg("id \"%s\" is not a UUID", id ? id : "(not a string)");
                if (json_object_get(seen, id)) fail_msg("id %s used twice", id);
                json_object_set_new(seen, id, json_true());
            }
            s_ids_unique(x, seen);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) s_ids_unique(x, seen);
    }
}

static void test_export_uuid_v5(void **state)
{
    hub_arena_t *a = *state;
    Matching__Organization *orgs[2] = {s_sample(a, 0), s_minimal(a)};
    orgs[1]->id = "";
    char *text = s_export(orgs, 2);
    json_t *root = json_loads(text, 0, NULL);
    assert_non_null(root);
    /* reference values from Python: uuid.uuid5(ns, name) with
     * ns = uuid.uuid5(uuid.NAMESPACE_URL, "urn:social-organization-service-hub:hsds") */
    json_t *o = json_array_get(root, 0);
    assert_string_equal(json_string_value(json_object_get(o, "id")), "fd190447-9995-5d1f-b82e-0eb92243419e");
    json_t *svc = json_array_get(json_object_get(o, "services"), 0);
    assert_string_equal(json_string_value(json_object_get(svc, "id")), "431fe9ec-34f3-5ea5-9bbc-474963c5f2d4");
    assert_string_equal(json_string_value(json_object_get(svc, "organization_id")),
                        "fd190447-9995-5d1f-b82e-0eb92243419e");
    assert_string_equal(json_string_value(json_object_get(json_array_get(root, 1), "id")),
                        "adba0c1c-0b82-57c1-87c5-0238986d2c2b");
    /* deterministic: the same org exports the same text */
    char *again = s_export(orgs, 2);
    assert_string_equal(again, text);
    free(again);
    json_decref(root);
    free(text);
}

static void test_export_mapping(void **state)
{
    hub_arena_t *a = *state;
    Matching__Organization *orgs[3] = {s_sample(a, 0), s_sample(a, 1), s_sample(a, 2)};
    char *text = s_export(orgs, 3);
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) fail_msg("export is not JSON: %s", jerr.text);
    assert_true(json_is_array(root));
    assert_int_equal(json_array_size(root), 3);
    json_t *seen = json_object();
    s_ids_unique(root, seen);
    json_decref(seen);

#define GETS(obj, key) json_string_value(json_object_get((obj), (key)))
#define GETI(obj, key) json_integer_value(json_object_get((obj), (key)))
    json_t *o = json_array_get(root, 0);
    assert_string_equal(GETS(o, "x_hub_id"), "ORG-000001");
    assert_string_equal(GETS(o, "name"), "海曙区鼓楼街道老年协会");
    assert_string_equal(GETS(o, "legal_status"), "社会团体");
    assert_string_equal(GETS(o, "website"), "https://gulou-laonian.example.org.cn/");
    assert_string_equal(GETS(o, "x_membership"), "APPROVED");
    assert_string_equal(GETS(o, "x_street"), "鼓楼街道");
    assert_string_equal(GETS(o, "x_last_verified"), "2024-04-20");
    assert_true(json_is_integer(json_object_get(o, "year_incorporated")));   /* HSDS: a number */
    assert_int_equal(GETI(o, "year_incorporated"), 2008);
    json_t *ident = json_array_get(json_object_get(o, "organization_identifiers"), 0);
    assert_string_equal(GETS(ident, "identifier_scheme"), "CN-USCC");
    assert_string_equal(GETS(ident, "identifier_type"), "统一社会信用代码");
    assert_string_equal(GETS(ident, "identifier"), "51330203MJ8812344F");
    json_t *ct = json_array_get(json_object_get(o, "contacts"), 0);
    assert_string_equal(GETS(ct, "name"), "王秀英");
    assert_string_equal(GETS(json_array_get(json_object_get(ct, "phones"), 0), "number"), "0574-8730 1234");
    json_t *addr = json_array_get(json_object_get(json_array_get(json_object_get(o, "locations"), 0), "addresses"), 0);
    assert_string_equal(GETS(addr, "address_1"), "海曙区中山西路 138 号");
    assert_string_equal(GETS(addr, "country"), "CN");

    json_t *services = json_object_get(o, "services");
    assert_int_equal(json_array_size(services), 2);
    json_t *s = json_array_get(services, 1);
    assert_string_equal(GETS(s, "x_service_code"), "community");
    assert_string_equal(GETS(s, "status"), "active");
    assert_int_equal(GETI(s, "minimum_age"), 60);
    assert_null(json_object_get(s, "maximum_age"));
    assert_string_equal(GETS(s, "eligibility_description"), "elderly");
    assert_int_equal(json_array_size(json_object_get(s, "service_areas")), 3);
    assert_string_equal(GETS(json_array_get(json_object_get(s, "service_areas"), 2), "name"), "西门街道");
    assert_string_equal(GETS(json_array_get(json_object_get(s, "languages"), 1), "code"), "wuu");
    json_t *sch = json_object_get(s, "schedules");
    assert_int_equal(json_array_size(sch), 2);
    assert_string_equal(GETS(json_array_get(sch, 0), "byday"), "MO,TU,WE,TH,FR");
    assert_string_equal(GETS(json_array_get(sch, 0), "opens_at"), "08:30");
    assert_string_equal(GETS(json_array_get(sch, 0), "closes_at"), "17:00");
    assert_string_equal(GETS(json_array_get(sch, 0), "freq"), "WEEKLY");
    assert_string_equal(GETS(json_array_get(sch, 1), "byday"), "SA");
    json_t *cost = json_array_get(json_object_get(s, "cost_options"), 0);
    assert_int_equal(GETI(cost, "amount"), 0);
    json_t *cap = json_array_get(json_object_get(s, "capacities"), 0);
    assert_int_equal(GETI(cap, "available"), 12);
    assert_int_equal(GETI(cap, "maximum"), 40);
    assert_string_equal(GETS(cap, "updated"), "2024-05-01T00:00:00.000Z");

    o = json_array_get(root, 1);
    assert_string_equal(GETS(o, "legal_status"), "民办非企业单位");
    assert_string_equal(GETS(o, "website"), "http://www.xinqing.example.org.cn");   /* made absolute */
    assert_null(json_object_get(o, "locations"));
    s = json_array_get(json_object_get(o, "services"), 0);
    assert_string_equal(GETS(s, "status"), "temporarily closed");
    assert_string_equal(GETS(s, "eligibility_description"), "children,youth,families");
    assert_string_equal(GETS(json_array_get(json_object_get(s, "service_areas"), 0), "name"), "*");
    sch = json_object_get(s, "schedules");
    assert_int_equal(json_array_size(sch), 3);   /* Sunday is not next to Tue-Thu */
    assert_string_equal(GETS(json_array_get(sch, 0), "byday"), "TU,WE,TH");
    assert_string_equal(GETS(json_array_get(sch, 2), "byday"), "SU");
    cost = json_array_get(json_object_get(s, "cost_options"), 0);
    assert_int_equal(GETI(cost, "amount"), 30);
    assert_string_equal(GETS(cost, "currency"), "CNY");
    assert_string_equal(GETS(cost, "amount_description"), "30 元/次");
    cap = json_array_get(json_object_get(s, "capacities"), 0);
    assert_string_equal(GETS(cap, "updated"), "2024-06-01T00:00:00.123Z");
    json_t *c2 = json_array_get(json_object_get(o, "contacts"), 1);
    assert_null(json_object_get(c2, "phones"));
    assert_null(json_object_get(c2, "name"));
    assert_string_equal(GETS(c2, "email"), "intake@xinqing.example.org.cn");

    o = json_array_get(root, 2);
    assert_string_equal(GETS(o, "description"), "");   /* required, even when empty */
    assert_string_equal(GETS(o, "x_membership"), "APPLIED");
    assert_null(json_object_get(o, "year_incorporated"));   /* 0: unknown, left out */
    s = json_array_get(json_object_get(o, "services"), 0);
    assert_string_equal(GETS(s, "status"), "inactive");
    assert_int_equal(json_array_size(json_object_get(s, "schedules")), 0);
    assert_null(json_object_get(s, "capacities"));
    assert_null(json_object_get(s, "minimum_age"));
#undef GETS
#undef GETI
    json_decref(root);
    free(text);
}

static void test_export_empty_and_minimal(void **state)
{
    hub_arena_t *a = *state;
    char *text = s_export(NULL, 0);
    assert_string_equal(text, "[]");
    free(text);

    /* an org with NULL strings and sub-messages exports the required keys */
    Matching__Organization bare;
    matching__organization__init(&bare);
    bare.id = NULL;
    bare.name = NULL;
    bare.description = NULL;
    Matching__Organization *orgs[2] = {&bare, s_minimal(a)};
    text = s_export(orgs, 2);
    json_t *root = json_loads(text, 0, NULL);
    assert_non_null(root);
    for (size_t i = 0; i < 2; i++) {
        json_t *o = json_array_get(root, i);
        assert_true(s_is_uuid(json_string_value(json_object_get(o, "id"))));
        assert_true(json_is_string(json_object_get(o, "name")));
        assert_true(json_is_string(json_object_get(o, "description")));
        assert_null(json_object_get(o, "organization_identifiers"));
        assert_int_equal(json_array_size(json_object_get(o, "services")), 0);
    }
    json_decref(root);
    free(text);
}

/* ------------------------------------------------------------ round trip */

static void test_round_trip(void **state)
{
    hub_arena_t *a = *state;
    Matching__Organization *orgs[4] = {s_sample(a, 0), s_sample(a, 1), s_sample(a, 2), s_minimal(a)};
    char *text = s_export(orgs, 4);
    hsds_batch_t b;
    s_parse_ok(a, "hsds", NULL, text, strlen(text), &b);
    assert_int_equal(b.n_orgs, 4);
    assert_int_equal(b.n_volunteers, 0);
    for (int i = 0; i < 4; i++) s_org_equal(orgs[i], b.orgs[i]);
    assert_int_equal(b.orgs[0]->year_incorporated, 2008);
    assert_int_equal(b.orgs[1]->year_incorporated, 2015);
    assert_int_equal(b.orgs[2]->year_incorporated, 0);
    s_records_sound(a, &b);

    /* and again: the export of the import is the same text */
    char *again = s_export(b.orgs, b.n_orgs);
    assert_string_equal(again, text);
    free(again);
    free(text);
}

/* The sample, exported and imported, passes the validator the import
 * runs (match_validate_org with the embedded Haishu catalogue). */
static void test_round_trip_validates(void **state)
{
    hub_arena_t *a = *state;
    hub_error_t err = {0};
    intake_catalogue_t *cat = intake_catalogue_parse(hub_default_catalogue, &err);
    if (!cat) fail_msg("embedded catalogue: %s", err.message);
    Matching__Organization *orgs[4] = {s_sample(a, 0), s_sample(a, 1), s_sample(a, 2), s_minimal(a)};
    char *text = s_export(orgs, 4);
    hsds_batch_t b;
    s_parse_ok(a, "hsds", NULL, text, strlen(text), &b);
    assert_int_equal(b.n_orgs, 4);
    for (size_t i = 0; i < b.n_orgs; i++)
        if (match_validate_org(cat, b.orgs[i], &err))
            fail_msg("orgs[%zu] %s: %s: %s", i, b.orgs[i]->name, err.field, err.message);
    free(text);
    intake_catalogue_destroy(&cat);
}

/* year_incorporated: 0 (unknown) or 1900..2100, else the validator refuses
 * it with INVALID_ARGUMENT "org.year_incorporated", also when it came in
 * through an HSDS or CSV import (the parser only checks the shape). */
static void test_year_incorporated_validated(void **state)
{
    hub_arena_t *a = *state;
    hub_error_t err = {0};
    intake_catalogue_t *cat = intake_catalogue_parse(hub_default_catalogue, &err);
    if (!cat) fail_msg("embedded catalogue: %s", err.message);

    static const uint32_t good[] = {0, 1900, 1988, 2100};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        Matching__Organization *o = s_sample(a, 0);
        o->year_incorporated = good[i];
        memset(&err, 0, sizeof err);
        if (match_validate_org(cat, o, &err))
            fail_msg("year %u refused: %s: %s", good[i], err.field, err.message);
    }
    static const uint32_t bad[] = {1, 1899, 2101, 20150, UINT32_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        Matching__Organization *o = s_sample(a, 1);
        o->year_incorporated = bad[i];
        memset(&err, 0, sizeof err);
        if (!match_validate_org(cat, o, &err)) fail_msg("year %u accepted", bad[i]);
        assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
        assert_string_equal(err.field, "org.year_incorporated");
        assert_true(err.message[0] != 0);
    }

    const char *json = "[{\"name\": \"甲\", \"legal_status\": \"社区社会组织\", \"year_incorporated\": 1899}]";
    const char *csv = "name,legal_form,year_incorporated\n乙,社区社会组织,2101\n";
    hsds_batch_t b;
    s_parse_ok(a, "hsds", NULL, json, strlen(json), &b);
    assert_int_equal(b.n_orgs, 1);
    assert_int_equal(b.orgs[0]->year_incorporated, 1899);
    memset(&err, 0, sizeof err);
    assert_int_equal(match_validate_org(cat, b.orgs[0], &err), -1);
    assert_string_equal(err.field, "org.year_incorporated");
    s_parse_ok(a, "csv", "org", csv, strlen(csv), &b);
    assert_int_equal(b.n_orgs, 1);
    assert_int_equal(b.orgs[0]->year_incorporated, 2101);
    memset(&err, 0, sizeof err);
    assert_int_equal(match_validate_org(cat, b.orgs[0], &err), -1);
    assert_string_equal(err.field, "org.year_incorporated");
    intake_catalogue_destroy(&cat);
}

/* ------------------------------------------------------------ JSON import */

static void test_parse_object_with_volunteers(void **state)
{
    hub_arena_t *a = *state;
    const char *text =
        "{\"organizations\": [{\"id\": \"ORG-7\", \"name\": \"月湖街道志愿者协会\", \"legal_status\": \"SOCIAL_GROUP\","
        "  \"x_membership\": \"approved\", \"email\": null}],"
        " \"volunteers\": ["
        "  {\"id\": \"VOL-1\", \"name\": \"张律师\", \"phone\": \"13900000000\", \"email\": \"zhang@example.cn\","
        "   \"organization_id\": \"ORG-7\","
        "   \"skills\": [{\"service\": \"legal-aid\", \"certification\": \"执业律师\", \"licence_no\": \"13302201810123456\"}],"
        "   \"areas\": [\"月湖街道\", \"鼓楼街道\"],"
        "   \"availability\": [{\"weekday\": 6, \"opens\": \"09:00\", \"closes\": \"12:00\"},"
        "                      {\"weekday\": 7.0, \"opens\": \"9:00\", \"closes\": \"24:00\"}],"
        "   \"languages\": [\"zh\", \"en\"], \"max_open_cases\": 3, \"membership\": \"APPROVED\"},"
        "  {\"name\": \"陈医生\", \"skills\": [{\"service\": \"health\"}]}]}";
    hsds_batch_t b;
    s_parse_ok(a, "hsds", "ignored", text, strlen(text), &b);
    assert_int_equal(b.n_orgs, 1);
    assert_string_equal(b.orgs[0]->id, "ORG-7");
    assert_int_equal(b.orgs[0]->legal_form, MATCHING__LEGAL_FORM__SOCIAL_GROUP);
    assert_int_equal(b.orgs[0]->membership, MATCHING__MEMBERSHIP__APPROVED);
    assert_string_equal(b.orgs[0]->email, "");
    assert_int_equal(b.n_volunteers, 2);
    Matching__Volunteer *v = b.volunteers[0];
    assert_string_equal(v->id, "VOL-1");
    assert_string_equal(v->name, "张律师");
    assert_string_equal(v->phone, "13900000000");
    assert_string_equal(v->organization_id, "ORG-7");
    assert_int_equal(v->n_skills, 1);
    assert_string_equal(v->skills[0]->service, "legal-aid");
    assert_string_equal(v->skills[0]->certification, "执业律师");
    assert_string_equal(v->skills[0]->licence_no, "13302201810123456");
    assert_int_equal(v->n_areas, 2);
    assert_string_equal(v->areas[1], "鼓楼街道");
    assert_int_equal(v->n_availability, 2);
    assert_int_equal(v->availability[0]->weekday, 6);
    assert_int_equal(v->availability[0]->opens_min, 540);
    assert_int_equal(v->availability[0]->closes_min, 720);
    assert_int_equal(v->availability[1]->weekday, 7);
    assert_int_equal(v->availability[1]->closes_min, 1440);
    assert_int_equal(v->n_languages, 2);
    assert_int_equal(v->max_open_cases, 3);
    assert_int_equal(v->membership, MATCHING__MEMBERSHIP__APPROVED);
    assert_int_equal(b.volunteers[1]->membership, MATCHING__MEMBERSHIP__MEMBERSHIP_UNSPECIFIED);
    assert_string_equal(b.volunteers[1]->id, "");
    s_records_sound(a, &b);

    /* an object with only volunteers, and an empty array, are fine */
    s_parse_ok(a, "hsds", NULL, "{\"volunteers\": []}", 18, &b);
    assert_int_equal(b.n_orgs + b.n_volunteers, 0);
    s_parse_ok(a, "hsds", NULL, " [ ] ", 5, &b);
    assert_int_equal(b.n_orgs, 0);
}

/* HSDS from elsewhere: plain ids as service codes, no x_ keys, the
 * services merged, the variants the import accepts. */
static void test_parse_foreign_hsds(void **state)
{
    hub_arena_t *a = *state;
    const char *text =
        "[{\"id\": \"ORG-42\", \"name\": \"海曙区望春街道残疾人之家\", \"description\": \"助残\","
        "  \"legal_status\": \"社会服务机构\", \"website\": \"http://wangchun.example.cn\", \"alternate_name\": \"残疾人之家\","
        "  \"year_incorporated\": 2011.0,"
        "  \"organization_identifiers\": [{\"identifier_type\": \"民政登记号\", \"identifier\": \"X-1\"},"
        "                                 {\"identifier_type\": \"统一社会信用代码\", \"identifier\": \"52330203MJ8812387R\"}],"
        "  \"last_modified\": \"2024-03-01T10:00:00Z\","
        "  \"services\": ["
        "   {\"id\": \"disability\", \"name\": \"助残\", \"status\": \"active\","
        "    \"service_areas\": [{\"name\": \"望春街道\"}, {\"name\": \"白云街道\"}],"
        "    \"languages\": [{\"code\": \"zh\", \"name\": \"中文\"}, {\"code\": \"sgn\"}],"
        "    \"schedules\": [{\"freq\": \"WEEKLY\", \"byday\": \"MO, WE,FR\", \"opens_at\": \"09:00:00+08:00\", \"closes_at\": \"11:30\", \"timezone\": 8}],"
        "    \"cost_options\": [{\"amount\": 20, \"currency\": \"CNY\"}],"
        "    \"minimum_age\": 16, \"maximum_age\": 70.0, \"eligibility_description\": \"disabled，low-income、 families\","
        "    \"capacities\": [{\"available\": 3, \"maximum\": 10, \"updated\": 1700000000000}]},"
        "   {\"id\": \"employment\", \"name\": \"就业\", \"status\": \"active\","
        "    \"service_areas\": [{\"name\": \"白云街道\"}, {\"name\": \"石碶街道\"}],"
        "    \"languages\": [{\"code\": \"zh\"}],"
        "    \"schedules\": [{\"byday\": \"FR\", \"opens_at\": \"09:00\", \"closes_at\": \"11:30\"},"
        "                    {\"byday\": \"SA\", \"opens_at\": \"14:00\", \"closes_at\": \"16:00\"}],"
        "    \"cost_options\": [{\"amount\": 0}], \"minimum_age\": 18,"
        "    \"capacities\": [{\"available\": 9, \"maximum\": 9}]}]},"
        " {\"name\": \"高桥镇红十字会\", \"services\": [{\"id\": \"health\", \"last_modified\": \"2023-12-31T23:00:00-01:00\","
        "   \"cost_options\": [{\"amount_description\": \"材料费 5 元\"}],"
        "   \"capacities\": [{\"updated\": \"2024-05-01T08:00:00+08:00\"}]}]}]";
    hsds_batch_t b;
    s_parse_ok(a, "hsds", NULL, text, strlen(text), &b);
    assert_int_equal(b.n_orgs, 2);
    Matching__Organization *o = b.orgs[0];
    assert_string_equal(o->id, "ORG-42");
    assert_int_equal(o->legal_form, MATCHING__LEGAL_FORM__PRIVATE_NON_ENTERPRISE);
    assert_string_equal(o->url, "http://wangchun.example.cn");
    assert_string_equal(o->credit_code, "52330203MJ8812387R");
    assert_string_equal(o->last_verified, "2024-03-01");
    assert_int_equal(o->year_incorporated, 2011);
    assert_int_equal(o->n_services, 2);
    assert_string_equal(o->services[1], "employment");
    assert_int_equal(o->n_areas, 3);   /* merged, 白云街道 once */
    assert_string_equal(o->areas[2], "石碶街道");
    assert_int_equal(o->n_languages, 2);
    assert_int_equal(o->n_hours, 4);   /* MO WE FR 09:00-11:30 (FR once), SA */
    assert_int_equal(o->hours[0]->weekday, 1);
    assert_int_equal(o->hours[1]->weekday, 3);
    assert_int_equal(o->hours[2]->weekday, 5);
    assert_int_equal(o->hours[2]->closes_min, 690);
    assert_int_equal(o->hours[3]->weekday, 6);
    assert_int_equal(o->hours[3]->opens_min, 840);
    assert_int_equal(o->cost, MATCHING__COST__LOW_COST);
    assert_string_equal(o->fee, "20 CNY");
    assert_non_null(o->eligibility);
    assert_int_equal(o->eligibility->min_age, 16);   /* the first service that says */
    assert_int_equal(o->eligibility->max_age, 70);
    assert_int_equal(o->eligibility->n_groups, 3);
    assert_string_equal(o->eligibility->groups[1], "low-income");
    assert_string_equal(o->eligibility->groups[2], "families");
    assert_non_null(o->capacity);
    assert_int_equal(o->capacity->available, 3);
    assert_int_equal(o->capacity->updated_ms, 1700000000000);

    o = b.orgs[1];
    assert_string_equal(o->id, "");
    assert_string_equal(o->last_verified, "2023-12-31");   /* the date part as written */
    assert_int_equal(o->year_incorporated, 0);   /* absent: unknown */
    assert_int_equal(o->cost, MATCHING__COST__LOW_COST);
    assert_string_equal(o->fee, "材料费 5 元");
    assert_null(o->eligibility);
    assert_int_equal(o->capacity->updated_ms, 1714521600000);
    s_records_sound(a, &b);
}

typedef struct {
    const char *json;
    const char *field;
} bad_json_t;

static const bad_json_t S_BAD_JSON[] = {
    {"{\"organizations\": [", "data"},
    {"[{\"name\": \"\xff\xfe\"}]", "data"},                        /* not UTF-8 */
    {"[{\"name\": \"\xe6\xb5\"}]", "data"},                        /* a cut UTF-8 sequence */
    {"[{\"name\": \"a\\u0000b\"}]", "data"},                      /* NUL */
    {"[{\"name\": \"a\", \"name\": \"b\"}]", "data"},              /* duplicate key */
    {"[{\"capacities\": 99999999999999999999999}]", "data"},      /* too big for jansson */
    {"42", "data"},
    {"\"orgs\"", "data"},
    {"{\"orgs\": []}", "data"},
    {"{\"organizations\": {}}", "organizations"},
    {"{\"organizations\": [], \"volunteers\": 3}", "volunteers"},
    {"[1]", "orgs[0]"},
    {"[null]", "orgs[0]"},
    {"[{\"name\": 5}]", "orgs[0].name"},
    {"[{\"name\": \"a\"}, {\"name\": [\"x\"]}]", "orgs[1].name"},
    {"[{\"id\": true}]", "orgs[0].id"},
    {"[{\"x_hub_id\": 5}]", "orgs[0].x_hub_id"},
    {"[{\"description\": {}}]", "orgs[0].description"},
    {"[{\"legal_status\": \"有限公司\"}]", "orgs[0].legal_status"},
    {"[{\"legal_status\": 1}]", "orgs[0].legal_status"},
    {"[{\"x_membership\": \"MEMBER\"}]", "orgs[0].x_membership"},
    {"[{\"x_last_verified\": 20240101}]", "orgs[0].x_last_verified"},
    {"[{\"last_modified\": 1}]", "orgs[0].last_modified"},
    {"[{\"year_incorporated\": \"2011\"}]", "orgs[0].year_incorporated"},
    {"[{\"year_incorporated\": -2011}]", "orgs[0].year_incorporated"},
    {"[{\"year_incorporated\": 2011.5}]", "orgs[0].year_incorporated"},
    {"[{\"year_incorporated\": 4294967296}]", "orgs[0].year_incorporated"},
    {"[{\"year_incorporated\": true}]", "orgs[0].year_incorporated"},
    {"[{\"organization_identifiers\": {}}]", "orgs[0].organization_identifiers"},
    {"[{\"organization_identifiers\": [\"x\"]}]", "orgs[0].organization_identifiers[0]"},
    {"[{\"organization_identifiers\": [{\"identifier_scheme\": \"CN-USCC\"}]}]",
     "orgs[0].organization_identifiers[0].identifier"},
    {"[{\"organization_identifiers\": [{\"identifier_type\": 3}]}]",
     "orgs[0].organization_identifiers[0].identifier_type"},
    {"[{\"contacts\": \"王\"}]", "orgs[0].contacts"},
    {"[{\"contacts\": [\"王\"]}]", "orgs[0].contacts[0]"},
    {"[{\"contacts\": [{\"name\": 1}]}]", "orgs[0].contacts[0].name"},
    {"[{\"contacts\": [{\"phones\": [{\"number\": 13800000000}]}]}]", "orgs[0].contacts[0].phones[0].number"},
    {"[{\"contacts\": [{\"phones\": [{}]}]}]", "orgs[0].contacts[0].phones[0].number"},
    {"[{\"contacts\": [{\"phones\": [\"138\"]}]}]", "orgs[0].contacts[0].phones[0]"},
    {"[{\"locations\": [{\"addresses\": [{\"address_1\": 7}]}]}]", "orgs[0].locations[0].addresses[0].address_1"},
    {"[{\"locations\": [{\"addresses\": {}}]}]", "orgs[0].locations[0].addresses"},
    {"[{\"services\": {}}]", "orgs[0].services"},
    {"[{\"services\": [[]]}]", "orgs[0].services[0]"},
    /* no x_service_code, no id, and a name that is no service code */
    {"[{\"services\": [{\"name\": \"心理疏导 X\"}]}]", "orgs[0].services[0].id"},
    {"[{\"services\": [{\"id\": \"\"}]}]", "orgs[0].services[0].id"},
    {"[{\"services\": [{\"id\": 7}]}]", "orgs[0].services[0].id"},
    {"[{\"services\": [{\"id\": \"health\", \"x_service_code\": 7}]}]", "orgs[0].services[0].x_service_code"},
    {"[{\"services\": [{\"id\": \"health\", \"minimum_age\": -1}]}]", "orgs[0].services[0].minimum_age"},
    {"[{\"services\": [{\"id\": \"health\", \"minimum_age\": 1e12}]}]", "orgs[0].services[0].minimum_age"},
    {"[{\"services\": [{\"id\": \"health\", \"minimum_age\": 4294967296}]}]", "orgs[0].services[0].minimum_age"},
    {"[{\"services\": [{\"id\": \"health\", \"minimum_age\": 12.5}]}]", "orgs[0].services[0].minimum_age"},
    {"[{\"services\": [{\"id\": \"health\", \"maximum_age\": \"18\"}]}]", "orgs[0].services[0].maximum_age"},
    {"[{\"services\": [{\"id\": \"health\", \"eligibility_description\": 5}]}]",
     "orgs[0].services[0].eligibility_description"},
    {"[{\"services\": [{\"id\": \"health\", \"service_areas\": [{\"name\": 3}]}]}]",
     "orgs[0].services[0].service_areas[0].name"},
    {"[{\"services\": [{\"id\": \"health\", \"service_areas\": [{}]}]}]", "orgs[0].services[0].service_areas[0].name"},
    {"[{\"services\": [{\"id\": \"health\", \"service_areas\": [\"鼓楼街道\"]}]}]", "orgs[0].services[0].service_areas[0]"},
    {"[{\"services\": [{\"id\": \"health\", \"languages\": [{\"name\": \"中文\"}]}]}]",
     "orgs[0].services[0].languages[0].code"},
    {"[{\"services\": [{\"id\": \"health\", \"capacities\": [{\"available\": \"5\"}]}]}]",
     "orgs[0].services[0].capacities[0].available"},
    {"[{\"services\": [{\"id\": \"health\", \"capacities\": [{\"maximum\": 4294967296}]}]}]",
     "orgs[0].services[0].capacities[0].maximum"},
    {"[{\"services\": [{\"id\": \"health\", \"capacities\": [{\"maximum\": -3}]}]}]",
     "orgs[0].services[0].capacities[0].maximum"},
    {"[{\"services\": [{\"id\": \"health\", \"capacities\": [{\"updated\": \"yesterday\"}]}]}]",
     "orgs[0].services[0].capacities[0].updated"},
    {"[{\"services\": [{\"id\": \"health\", \"capacities\": [{\"updated\": \"2023-02-29T00:00:00Z\"}]}]}]",
     "orgs[0].services[0].capacities[0].updated"},
    {"[{\"services\": [{\"id\": \"health\", \"capacities\": [{\"updated\": -5}]}]}]",
     "orgs[0].services[0].capacities[0].updated"},
    {"[{\"services\": [{\"id\": \"health\", \"capacities\": [7]}]}]", "orgs[0].services[0].capacities[0]"},
    {"[{\"services\": [{\"id\": \"health\", \"schedules\": [{\"byday\": \"XX\", \"opens_at\": \"09:00\", \"closes_at\": \"10:00\"}]}]}]",
     "orgs[0].services[0].schedules[0].byday"},
    {"[{\"services\": [{\"id\": \"health\", \"schedules\": [{\"byday\": \"2MO\", \"opens_at\": \"09:00\", \"closes_at\": \"10:00\"}]}]}]",
     "orgs[0].services[0].schedules[0].byday"},
    {"[{\"services\": [{\"id\": \"health\", \"schedules\": [{\"byday\": \" , \", \"opens_at\": \"09:00\", \"closes_at\": \"10:00\"}]}]}]",
     "orgs[0].services[0].schedules[0].byday"},
    {"[{\"services\": [{\"id\": \"health\", \"schedules\": [{\"opens_at\": \"09:00\", \"closes_at\": \"10:00\"}]}]}]",
     "orgs[0].services[0].schedules[0].byday"},
    {"[{\"services\": [{\"id\": \"health\", \"schedules\": [{\"byday\": \"MO\", \"opens_at\": \"25:00\", \"closes_at\": \"26:00\"}]}]}]",
     "orgs[0].services[0].schedules[0].opens_at"},
    {"[{\"services\": [{\"id\": \"health\", \"schedules\": [{\"byday\": \"MO\", \"opens_at\": \"09:00Z\", \"closes_at\": \"10:00\"}]}]}]",
     "orgs[0].services[0].schedules[0].opens_at"},
    {"[{\"services\": [{\"id\": \"health\", \"schedules\": [{\"byday\": \"MO\", \"opens_at\": \"09:60\", \"closes_at\": \"10:00\"}]}]}]",
     "orgs[0].services[0].schedules[0].opens_at"},
    {"[{\"services\": [{\"id\": \"health\", \"schedules\": [{\"byday\": \"MO\", \"opens_at\": \"09:00\"}]}]}]",
     "orgs[0].services[0].schedules[0].closes_at"},
    {"[{\"services\": [{\"id\": \"health\", \"schedules\": [{\"byday\": \"MO\", \"opens_at\": \"09:00\", \"closes_at\": \"24:01\"}]}]}]",
     "orgs[0].services[0].schedules[0].closes_at"},
    {"[{\"services\": [{\"id\": \"health\", \"schedules\": [{\"freq\": \"MONTHLY\", \"byday\": \"MO\", \"opens_at\": \"09:00\", \"closes_at\": \"10:00\"}]}]}]",
     "orgs[0].services[0].schedules[0].freq"},
    {"[{\"services\": [{\"id\": \"health\", \"schedules\": [{\"timezone\": 0, \"byday\": \"MO\", \"opens_at\": \"09:00\", \"closes_at\": \"10:00\"}]}]}]",
     "orgs[0].services[0].schedules[0].timezone"},
    {"[{\"services\": [{\"id\": \"health\", \"schedules\": [\"MO 9-5\"]}]}]", "orgs[0].services[0].schedules[0]"},
    {"[{\"services\": [{\"id\": \"health\", \"cost_options\": [{\"amount\": -5}]}]}]",
     "orgs[0].services[0].cost_options[0].amount"},
    {"[{\"services\": [{\"id\": \"health\", \"cost_options\": [{\"amount\": \"10\"}]}]}]",
     "orgs[0].services[0].cost_options[0].amount"},
    {"[{\"services\": [{\"id\": \"health\", \"cost_options\": [{\"currency\": 156}]}]}]",
     "orgs[0].services[0].cost_options[0].currency"},
    {"{\"volunteers\": [{\"availability\": [{\"weekday\": \"1\", \"opens\": \"09:00\", \"closes\": \"10:00\"}]}]}",
     "volunteers[0].availability[0].weekday"},
    {"{\"volunteers\": [{\"availability\": [{\"weekday\": 8, \"opens\": \"09:00\", \"closes\": \"10:00\"}]}]}",
     "volunteers[0].availability[0].weekday"},
    {"{\"volunteers\": [{\"availability\": [{\"opens\": \"09:00\", \"closes\": \"10:00\"}]}]}",
     "volunteers[0].availability[0].weekday"},
    {"{\"volunteers\": [{\"availability\": [{\"weekday\": 1, \"opens\": \"9am\", \"closes\": \"10:00\"}]}]}",
     "volunteers[0].availability[0].opens"},
    {"{\"volunteers\": [{\"availability\": [{\"weekday\": 1, \"opens\": \"09:00\"}]}]}",
     "volunteers[0].availability[0].closes"},
    {"{\"volunteers\": [{\"availability\": {}}]}", "volunteers[0].availability"},
    {"{\"volunteers\": [{\"skills\": [{\"certification\": \"执业律师\"}]}]}", "volunteers[0].skills[0].service"},
    {"{\"volunteers\": [{\"skills\": [\"legal-aid\"]}]}", "volunteers[0].skills[0]"},
    {"{\"volunteers\": [{\"skills\": [{\"service\": 1}]}]}", "volunteers[0].skills[0].service"},
    {"{\"volunteers\": [{\"max_open_cases\": -1}]}", "volunteers[0].max_open_cases"},
    {"{\"volunteers\": [{\"max_open_cases\": 1e30}]}", "volunteers[0].max_open_cases"},
    {"{\"volunteers\": [{\"areas\": [1]}]}", "volunteers[0].areas[0]"},
    {"{\"volunteers\": [{\"languages\": \"zh\"}]}", "volunteers[0].languages"},
    {"{\"volunteers\": [{\"membership\": \"x\"}]}", "volunteers[0].membership"},
    {"{\"volunteers\": [{}, 5]}", "volunteers[1]"},
};

/* A foreign service with a UUID id and a name shaped like a catalogue code
 * (what the hub itself exports, minus its extensions) keeps the name as
 * its code; a name that is not code-shaped leaves the id. */
static void test_parse_service_code_from_name(void **state)
{
    hub_arena_t *a = *state;
    const char *text =
        "[{\"id\": \"6f1c2d3e-1111-5222-8333-944455556666\", \"name\": \"A\","
        "  \"services\": [{\"id\": \"0b7e5c7a-1111-5222-8333-944455556666\", \"name\": \"health\"},"
        "                  {\"id\": \"legal-aid\", \"name\": \"法律援助\"}]}]";
    hsds_batch_t b;
    s_parse_ok(a, "hsds", NULL, text, strlen(text), &b);
    assert_int_equal(b.n_orgs, 1);
    assert_int_equal(b.orgs[0]->n_services, 2);
    assert_string_equal(b.orgs[0]->services[0], "health");
    assert_string_equal(b.orgs[0]->services[1], "legal-aid");
}

static void test_parse_json_refusals(void **state)
{
    hub_arena_t *a = *state;
    for (size_t i = 0; i < sizeof S_BAD_JSON / sizeof *S_BAD_JSON; i++)
        s_parse_refused(a, "hsds", NULL, S_BAD_JSON[i].json, strlen(S_BAD_JSON[i].json),
                        HUB__ERROR_CODE__INVALID_ARGUMENT, S_BAD_JSON[i].field);
    s_parse_refused(a, "hsds", NULL, "", 0, HUB__ERROR_CODE__INVALID_ARGUMENT, "data");
    s_parse_refused(a, "hsds", NULL, NULL, 0, HUB__ERROR_CODE__INVALID_ARGUMENT, "data");
    s_parse_refused(a, "xml", NULL, "[]", 2, HUB__ERROR_CODE__INVALID_ARGUMENT, "format");
    s_parse_refused(a, NULL, NULL, "[]", 2, HUB__ERROR_CODE__INVALID_ARGUMENT, "format");
    /* the length is honoured: the bytes after it are not read */
    s_parse_refused(a, "hsds", NULL, "[{}]", 3, HUB__ERROR_CODE__INVALID_ARGUMENT, "data");
}

/* More than S_MAX_LIST (256) distinct areas across services is refused. */
static void test_parse_json_list_bound(void **state)
{
    hub_arena_t *a = *state;
    size_t cap = 64 * 1024, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    n += (size_t)snprintf(text + n, cap - n, "[{\"services\": [{\"id\": \"x\", \"service_areas\": [");
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(text + n, cap - n, "%s{\"name\": \"area-%d\"}", i ? "," : "", i);
    n += (size_t)snprintf(text + n, cap - n, "]}]}]");
    s_parse_refused(a, "hsds", NULL, text, n, HUB__ERROR_CODE__INVALID_ARGUMENT,
                    "orgs[0].services[0].service_areas[256].name");
    free(text);
}

/* A JSON array of n "{}" (malloc'd; *len its length). */
static char *s_many_json(size_t n, size_t *len)
{
    char *text = malloc(3 * n + 3);
    assert_non_null(text);
    size_t k = 0;
    text[k++] = '[';
    for (size_t i = 0; i < n; i++) {
        if (i) text[k++] = ',';
        text[k++] = '{';
        text[k++] = '}';
    }
    text[k++] = ']';
    text[k] = 0;
    *len = k;
    return text;
}

static void test_parse_record_limit(void **state)
{
    hub_arena_t *a = *state;
    size_t len;
    hsds_batch_t b;
    char *text = s_many_json(HSDS_MAX_RECORDS, &len);
    s_parse_ok(a, "hsds", NULL, text, len, &b);
    assert_int_equal(b.n_orgs, HSDS_MAX_RECORDS);
    free(text);
    hub_arena_reset(a);

    text = s_many_json(HSDS_MAX_RECORDS + 1, &len);
    s_parse_refused(a, "hsds", NULL, text, len, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "data");
    free(text);

    /* organizations and volunteers count together */
    char *orgs = s_many_json(HSDS_MAX_RECORDS / 2, &len), *vols = s_many_json(HSDS_MAX_RECORDS / 2 + 1, &len);
    size_t cap = strlen(orgs) + strlen(vols) + 64;
    text = malloc(cap);
    assert_non_null(text);
    len = (size_t)snprintf(text, cap, "{\"organizations\": %s, \"volunteers\": %s}", orgs, vols);
    s_parse_refused(a, "hsds", NULL, text, len, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "data");
    free(orgs);
    free(vols);
    free(text);

    /* CSV: a header and HSDS_MAX_RECORDS rows pass, one more does not */
    size_t rows = HSDS_MAX_RECORDS;
    cap = 16 + 4 * (rows + 1);
    text = malloc(cap);
    assert_non_null(text);
    len = (size_t)snprintf(text, cap, "name\n");
    for (size_t i = 0; i < rows; i++) memcpy(text + len, "ab\n", 3), len += 3;
    hub_arena_reset(a);
    s_parse_ok(a, "csv", "org", text, len, &b);
    assert_int_equal(b.n_orgs, HSDS_MAX_RECORDS);
    memcpy(text + len, "ab", 2), len += 2;   /* no final newline */
    hub_arena_reset(a);
    s_parse_refused(a, "csv", "org", text, len, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "data");
    free(text);
    hub_arena_reset(a);
}

static void test_parse_arena_budget(void **state)
{
    (void)state;
    hub_arena_t *small = hub_arena_new(1024);
    assert_non_null(small);
    hub_arena_t *big = hub_arena_new(ARENA_BUDGET);
    assert_non_null(big);
    Matching__Organization *orgs[3] = {s_sample(big, 0), s_sample(big, 1), s_sample(big, 2)};
    char *text = s_export(orgs, 3);
    hub_error_t err = {0};
    hsds_batch_t b;
    assert_int_equal(hsds_parse("hsds", NULL, (const uint8_t *)text, strlen(text), small, &b, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__RESOURCE_EXHAUSTED);
    assert_true(err.field[0] != 0);
    assert_int_equal(b.n_orgs, 0);
    free(text);
    hub_arena_destroy(&small);
    hub_arena_destroy(&big);
}

/* ------------------------------------------------------------ CSV import */

static void test_parse_csv_orgs(void **state)
{
    hub_arena_t *a = *state;
    const char *text =
        "\xEF\xBB\xBF"
        "Name,id,credit_code,legal_form,services,areas,languages,cost,fee,min_age,max_age,groups,"
        "capacity_available,capacity_maximum,contact_name,contact_phone,email,url,membership,"
        "last_verified,street,address,description,hours\r\n"
        "海曙区鼓楼街道老年协会,ORG-000001,51330203MJ8812344F,社会团体,elderly-care; community,"
        "鼓楼街道;月湖街道,zh;wuu,低偿,10 元/次,60,,elderly,12,40,王秀英,0574-8730 1234,"
        "gulou@example.org.cn,https://gulou.example.org.cn,approved,2024-04-20,鼓楼街道,"
        "\"中山西路 138 号, 2 楼\",\"助餐、\"\"上门探访\"\"\r\n日间照料\","
        "\"1-5 08:30-17:00; 6 09:00-12:00;1,3 18:00-20:00\"\r\n"
        "\r\n"
        "  西门街道读书会  ,,,COMMUNITY_GROUP,tutoring,西门街道,,,,,,,,,,,,,,,,,,\r\n"
        "月湖社工站,ORG-3,52330203MJ88123527,民办非企业单位,family,*,,FREE,,,,,,,,,,,,,,,,";
    hsds_batch_t b;
    s_parse_ok(a, "csv", "org", text, strlen(text), &b);
    assert_int_equal(b.n_orgs, 3);
    Matching__Organization *o = b.orgs[0];
    assert_string_equal(o->id, "ORG-000001");
    assert_string_equal(o->name, "海曙区鼓楼街道老年协会");
    assert_string_equal(o->credit_code, "51330203MJ8812344F");
    assert_int_equal(o->legal_form, MATCHING__LEGAL_FORM__SOCIAL_GROUP);
    assert_int_equal(o->n_services, 2);
    assert_string_equal(o->services[1], "community");
    assert_int_equal(o->n_areas, 2);
    assert_int_equal(o->n_languages, 2);
    assert_int_equal(o->cost, MATCHING__COST__LOW_COST);
    assert_string_equal(o->fee, "10 元/次");
    assert_non_null(o->eligibility);
    assert_int_equal(o->eligibility->min_age, 60);
    assert_int_equal(o->eligibility->max_age, 0);
    assert_int_equal(o->eligibility->n_groups, 1);
    assert_non_null(o->capacity);
    assert_int_equal(o->capacity->available, 12);
    assert_int_equal(o->capacity->maximum, 40);
    assert_int_equal(o->n_contacts, 1);
    assert_string_equal(o->contacts[0]->name, "王秀英");
    assert_string_equal(o->contacts[0]->phone, "0574-8730 1234");
    assert_string_equal(o->email, "gulou@example.org.cn");
    assert_string_equal(o->url, "https://gulou.example.org.cn");
    assert_int_equal(o->membership, MATCHING__MEMBERSHIP__APPROVED);
    assert_string_equal(o->last_verified, "2024-04-20");
    assert_string_equal(o->street, "鼓楼街道");
    assert_string_equal(o->address, "中山西路 138 号, 2 楼");
    assert_string_equal(o->description, "助餐、\"上门探访\"\r\n日间照料");
    assert_int_equal(o->n_hours, 8);   /* 5 + 1 + 2 */
    assert_int_equal(o->hours[0]->weekday, 1);
    assert_int_equal(o->hours[0]->opens_min, 510);
    assert_int_equal(o->hours[4]->weekday, 5);
    assert_int_equal(o->hours[5]->weekday, 6);
    assert_int_equal(o->hours[5]->closes_min, 720);
    assert_int_equal(o->hours[6]->weekday, 1);
    assert_int_equal(o->hours[6]->opens_min, 1080);
    assert_int_equal(o->hours[7]->weekday, 3);

    o = b.orgs[1];
    assert_string_equal(o->name, "西门街道读书会");
    assert_string_equal(o->id, "");
    assert_int_equal(o->legal_form, MATCHING__LEGAL_FORM__COMMUNITY_GROUP);
    assert_null(o->eligibility);
    assert_null(o->capacity);
    assert_int_equal(o->n_contacts, 0);
    assert_int_equal(o->n_hours, 0);
    assert_int_equal(o->cost, MATCHING__COST__COST_UNSPECIFIED);

    o = b.orgs[2];
    assert_int_equal(o->legal_form, MATCHING__LEGAL_FORM__PRIVATE_NON_ENTERPRISE);
    assert_string_equal(o->areas[0], "*");
    assert_int_equal(o->cost, MATCHING__COST__FREE);
    assert_string_equal(o->description, "");   /* the empty last field */
    s_records_sound(a, &b);

    /* only some columns: the rest stay empty */
    s_parse_ok(a, "csv", "org", "name\n甲\n乙\n", strlen("name\n甲\n乙\n"), &b);
    assert_int_equal(b.n_orgs, 2);
    assert_string_equal(b.orgs[1]->name, "乙");
    /* year_incorporated: a whole number, empty = 0 (unknown) */
    const char *years = "name,year_incorporated\n甲, 2015 \n乙,\n";
    s_parse_ok(a, "csv", "org", years, strlen(years), &b);
    assert_int_equal(b.n_orgs, 2);
    assert_int_equal(b.orgs[0]->year_incorporated, 2015);
    assert_int_equal(b.orgs[1]->year_incorporated, 0);
    /* a header alone is no records */
    s_parse_ok(a, "csv", "org", "id,name\r\n", 9, &b);
    assert_int_equal(b.n_orgs, 0);
}

static void test_parse_csv_volunteers(void **state)
{
    hub_arena_t *a = *state;
    const char *text =
        "id,name,phone,email,organization_id,skills,areas,languages,max_open_cases,membership,availability\n"
        "VOL-1,张律师,13900000000,zhang@example.cn,ORG-7,"
        "\"legal-aid:执业律师:13302201810123456; psych-support:国家二级心理咨询师\",鼓楼街道;月湖街道,"
        "zh;en,3,APPROVED,6-7 09:00-12:00;3 18:30-21:00\n"
        "VOL-2,陈护士,,,,health::,*,,,,\n";
    hsds_batch_t b;
    s_parse_ok(a, "csv", "volunteer", text, strlen(text), &b);
    assert_int_equal(b.n_orgs, 0);
    assert_int_equal(b.n_volunteers, 2);
    Matching__Volunteer *v = b.volunteers[0];
    assert_string_equal(v->id, "VOL-1");
    assert_string_equal(v->organization_id, "ORG-7");
    assert_int_equal(v->n_skills, 2);
    assert_string_equal(v->skills[0]->service, "legal-aid");
    assert_string_equal(v->skills[0]->certification, "执业律师");
    assert_string_equal(v->skills[0]->licence_no, "13302201810123456");
    assert_string_equal(v->skills[1]->service, "psych-support");
    assert_string_equal(v->skills[1]->certification, "国家二级心理咨询师");
    assert_string_equal(v->skills[1]->licence_no, "");
    assert_int_equal(v->n_areas, 2);
    assert_int_equal(v->n_languages, 2);
    assert_int_equal(v->max_open_cases, 3);
    assert_int_equal(v->membership, MATCHING__MEMBERSHIP__APPROVED);
    assert_int_equal(v->n_availability, 3);
    assert_int_equal(v->availability[2]->weekday, 3);
    assert_int_equal(v->availability[2]->opens_min, 18 * 60 + 30);
    v = b.volunteers[1];
    assert_int_equal(v->n_skills, 1);
    assert_string_equal(v->skills[0]->service, "health");
    assert_int_equal(v->max_open_cases, 0);
    assert_int_equal(v->n_availability, 0);
    s_records_sound(a, &b);
}

typedef struct {
    const char *kind;
    const char *csv;
    size_t len;   /* 0: strlen */
    const char *field;
} bad_csv_t;

static const bad_csv_t S_BAD_CSV[] = {
    {"org", "", 0, "line 1"},
    {"org", "\r\n\n", 0, "line 1"},
    {"org", "id,nam\nx,y\n", 0, "line 1: nam"},
    {"org", "id,name,ID\n", 0, "line 1: ID"},
    {"org", "id,name,\n", 0, "line 1: "},
    {"org", "id,\xff\n", 0, "line 1"},
    {"org", "id,name\n1,a,b\n", 0, "line 2"},
    {"org", "id,name\n1\n", 0, "line 2"},
    {"org", "id,name\n1,a\"b\n", 0, "line 2"},
    {"org", "id,name\n1,\"a\"b\n", 0, "line 2"},
    {"org", "id,name\n1,\"abc\n", 0, "line 2"},
    {"org", "id,name\n1,\"abc\n\n\n", 0, "line 2"},
    {"org", "id,name\n1,\"", 0, "line 2"},
    {"org", "id,name\r\n1,a\rb\r\n", 0, "line 2"},
    {"org", "id,name\n1,a\r", 0, "line 2"},
    {"org", "id,name\n1,\xff\xfe\n", 0, "line 2: name"},
    {"org", "id,name\n1,\xe6\xb5\n", 0, "line 2: name"},
    {"org", "id,name\n1,\xed\xa0\x80\n", 0, "line 2: name"},     /* a surrogate */
    {"org", "id,name\n1,a\0b\n", 14, "line 2"},                  /* NUL */
    {"org", "id,description,name\n1,\"two\nlines\",ok\n2,x,\"bad\"x\n", 0, "line 4"},
    {"org", "id,name\n\n\n1,a,b\n", 0, "line 4"},
    {"org", "id,min_age\n1,-3\n", 0, "line 2: min_age"},
    {"org", "id,max_age\n1,+3\n", 0, "line 2: max_age"},
    {"org", "id,capacity_maximum\n1,99999999999\n", 0, "line 2: capacity_maximum"},
    {"org", "id,capacity_maximum\n1,4294967296\n", 0, "line 2: capacity_maximum"},
    {"org", "id,capacity_available\n1,12abc\n", 0, "line 2: capacity_available"},
    {"org", "id,capacity_available\n1,1.5\n", 0, "line 2: capacity_available"},
    {"org", "id,hours\n1,8 09:00-17:00\n", 0, "line 2: hours"},
    {"org", "id,hours\n1,0 09:00-17:00\n", 0, "line 2: hours"},
    {"org", "id,hours\n1,1-5 9am-5pm\n", 0, "line 2: hours"},
    {"org", "id,hours\n1,5-1 09:00-17:00\n", 0, "line 2: hours"},
    {"org", "id,hours\n1,09:00-17:00\n", 0, "line 2: hours"},
    {"org", "id,hours\n1,1-5 09:00\n", 0, "line 2: hours"},
    {"org", "id,hours\n1,\"1, 09:00-17:00\"\n", 0, "line 2: hours"},
    {"org", "id,hours\n1,1-5 09:00-17:00x\n", 0, "line 2: hours"},
    {"org", "id,legal_form\n1,有限公司\n", 0, "line 2: legal_form"},
    {"org", "id,membership\n1,MEMBER\n", 0, "line 2: membership"},
    {"org", "id,cost\n1,expensive\n", 0, "line 2: cost"},
    {"org", "id,year_incorporated\n1,20l5\n", 0, "line 2: year_incorporated"},
    {"org", "id,year_incorporated\n1,-2015\n", 0, "line 2: year_incorporated"},
    {"org", "id,year_incorporated\n1,2015.0\n", 0, "line 2: year_incorporated"},
    {"org", "id,year_incorporated\n1,4294967296\n", 0, "line 2: year_incorporated"},
    {"volunteer", "id,year_incorporated\n", 0, "line 1: year_incorporated"},
    {"org", "name,skills\n", 0, "line 1: skills"},
    {"volunteer", "id,skills\n1,:执业律师\n", 0, "line 2: skills"},
    {"volunteer", "id,skills\n1,legal-aid;  : x\n", 0, "line 2: skills"},
    {"volunteer", "id,availability\n1,1-8 09:00-12:00\n", 0, "line 2: availability"},
    {"volunteer", "id,max_open_cases\n1,-1\n", 0, "line 2: max_open_cases"},
    {"volunteer", "id,membership\n1,x\n", 0, "line 2: membership"},
    {"volunteer", "id,credit_code\n", 0, "line 1: credit_code"},
    {"volunteer", "id,name\nV,ok\nV2,\"a\nb\"\nV3,\xc0\xaf\n", 0, "line 5: name"},   /* overlong */
};

static void test_parse_csv_refusals(void **state)
{
    hub_arena_t *a = *state;
    for (size_t i = 0; i < sizeof S_BAD_CSV / sizeof *S_BAD_CSV; i++) {
        const bad_csv_t *t = &S_BAD_CSV[i];
        s_parse_refused(a, "csv", t->kind, t->csv, t->len ? t->len : strlen(t->csv),
                        HUB__ERROR_CODE__INVALID_ARGUMENT, t->field);
    }
    s_parse_refused(a, "csv", "person", "id\n", 3, HUB__ERROR_CODE__INVALID_ARGUMENT, "kind");
    s_parse_refused(a, "csv", NULL, "id\n", 3, HUB__ERROR_CODE__INVALID_ARGUMENT, "kind");

    /* too many columns in a header */
    char header[1024] = "";
    for (int i = 0; i < 70; i++) strcat(header, i ? ",id" : "id");
    strcat(header, "\n");
    s_parse_refused(a, "csv", "org", header, strlen(header), HUB__ERROR_CODE__INVALID_ARGUMENT, "line 1");
    /* more than 256 list entries in a cell */
    char cell[4096] = "areas\n";
    for (int i = 0; i < 300; i++) snprintf(cell + strlen(cell), sizeof cell - strlen(cell), "a%d;", i);
    s_parse_refused(a, "csv", "org", cell, strlen(cell), HUB__ERROR_CODE__INVALID_ARGUMENT, "line 2: areas");
}

/* ------------------------------------------------------------ hostile input */

/* Parses data as format/kind: either a success whose records are sound,
 * or a refusal with a code, a field and a message. Never a crash. */
static void s_survives(hub_arena_t *a, const char *format, const char *kind, const uint8_t *data,
                       size_t len)
{
    hub_error_t err = {0};
    hsds_batch_t b;
    hub_arena_reset(a);
    int rc = hsds_parse(format, kind, data, len, a, &b, &err);
    if (rc == 0) {
        assert_int_equal(err.code, 0);
        s_records_sound(a, &b);
    } else {
        assert_int_equal(rc, -1);
        assert_true(err.code == HUB__ERROR_CODE__INVALID_ARGUMENT ||
                    err.code == HUB__ERROR_CODE__RESOURCE_EXHAUSTED);
        assert_true(err.field[0] != 0);
        assert_true(err.message[0] != 0);
        assert_int_equal(b.n_orgs + b.n_volunteers, 0);
    }
}

static uint32_t s_rand(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

/* Mutates data (len bytes, room for cap) a few times at random. */
static size_t s_mutate(uint8_t *data, size_t len, size_t cap, uint32_t *seed)
{
    static const uint8_t pick[] = {'"', ',', '\n', '\r', '{', '}', '[', ']', ':', '-', ';',
                                   '0', '9', ' ', 0xff, 0x00, 0xe6, 0xc0, '\\', '.'};
    int n = 1 + (int)(s_rand(seed) % 4);
    for (int k = 0; k < n && len; k++) {
        size_t at = s_rand(seed) % len;
        switch (s_rand(seed) % 4) {
        case 0:   /* replace */
            data[at] = pick[s_rand(seed) % sizeof pick];
            break;
        case 1:   /* insert */
            if (len < cap) {
                memmove(data + at + 1, data + at, len - at);
                data[at] = pick[s_rand(seed) % sizeof pick];
                len++;
            }
            break;
        case 2:   /* delete */
            memmove(data + at, data + at + 1, len - at - 1);
            len--;
            break;
        default:  /* cut */
            len = at;
            break;
        }
    }
    return len;
}

static void test_hostile_input(void **state)
{
    hub_arena_t *a = *state;
    Matching__Organization *orgs[3] = {s_sample(a, 0), s_sample(a, 1), s_sample(a, 2)};
    char *json = s_export(orgs, 3);
    const char *org_csv =
        "id,name,credit_code,legal_form,services,areas,languages,cost,fee,min_age,max_age,groups,"
        "capacity_available,capacity_maximum,contact_name,contact_phone,email,url,membership,"
        "last_verified,street,address,description,hours,year_incorporated\r\n"
        "ORG-1,海曙区鼓楼街道老年协会,51330203MJ8812344F,社会团体,elderly-care;community,鼓楼街道,zh,"
        "LOW_COST,10 元/次,60,90,elderly,12,40,王秀英,0574-87301234,a@b.cn,https://x.cn,APPROVED,"
        "2024-04-20,鼓楼街道,\"中山西路, 138 号\",\"说明 \"\"引号\"\"\",\"1-5 08:30-17:00;6 09:00-12:00\",2008\r\n";
    const char *vol_csv =
        "id,name,phone,email,organization_id,skills,areas,languages,max_open_cases,membership,availability\n"
        "VOL-1,张律师,139,z@x.cn,ORG-7,\"legal-aid:执业律师:1; family\",鼓楼街道;月湖街道,zh,3,APPROVED,6-7 09:00-12:00\n";
    const char *inputs[3] = {json, org_csv, vol_csv};
    const char *formats[3] = {"hsds", "csv", "csv"};
    const char *kinds[3] = {NULL, "org", "volunteer"};

    for (int k = 0; k < 3; k++) {
        size_t len = strlen(inputs[k]);
        /* prefixes: every one of the CSV texts, about 500 of the JSON
         * (jansson parses some 10 MB/s, this test should stay quick) */
        uint8_t *copy = malloc(len + 1);
        assert_non_null(copy);
        size_t step = len > 1000 ? len / 500 : 1;
        for (size_t n = 0;; n += step) {
            if (n > len) n = len;
            memcpy(copy, inputs[k], n);   /* exactly n bytes: ASan sees a read past them */
            s_survives(a, formats[k], kinds[k], copy, n);
            if (n == len) break;
        }
        free(copy);
        /* random mutations, under each format */
        uint32_t seed = 20240501u + (uint32_t)k;
        size_t cap = len + 16;
        uint8_t *buf = malloc(cap);
        assert_non_null(buf);
        for (int round = 0; round < 800; round++) {
            memcpy(buf, inputs[k], len);
            size_t n = s_mutate(buf, len, cap, &seed);
            uint8_t *exact = malloc(n ? n : 1);
            assert_non_null(exact);
            memcpy(exact, buf, n);
            s_survives(a, formats[k], kinds[k], exact, n);
            if (k) s_survives(a, "hsds", NULL, exact, n);
            if (k != 1) s_survives(a, "csv", "org", exact, n);
            free(exact);
        }
        free(buf);
    }
    free(json);
    hub_arena_reset(a);
}

/* ------------------------------------------------------------ the sample */

/* Writes the export of the three sample organizations to path. 0 or 1. */
static int s_write_sample(const char *path)
{
    hub_arena_t *a = hub_arena_new(ARENA_BUDGET);
    if (!a) return 1;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (int i = 0; i < 3 && !rc; i++) rc = hsds_export_org(s_sample(a, i), &buf, &len, &cap);
    if (!rc) rc = hsds_export_end(&buf, &len, &cap);
    FILE *f = rc ? NULL : fopen(path, "w");
    if (!f || fwrite(buf, 1, len, f) != len || fputc('\n', f) == EOF) rc = -1;
    if (f && fclose(f)) rc = -1;
    if (rc) fprintf(stderr, "test_hsds: cannot write the sample to %s\n", path);
    free(buf);
    hub_arena_destroy(&a);
    return rc ? 1 : 0;
}

int main(void)
{
    const char *sample = getenv("HSDS_EXPORT_SAMPLE");
    if (sample && *sample) return s_write_sample(sample);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sample_credit_codes_valid, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_export_uuid_v5, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_export_mapping, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_export_empty_and_minimal, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_validates, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_year_incorporated_validated, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_parse_object_with_volunteers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_parse_foreign_hsds, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_parse_service_code_from_name, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_parse_json_refusals, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_parse_json_list_bound, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_parse_record_limit, s_setup, s_teardown),
        cmocka_unit_test(test_parse_arena_budget),
        cmocka_unit_test_setup_teardown(test_parse_csv_orgs, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_parse_csv_volunteers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_parse_csv_refusals, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_input, s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name("hsds", tests, NULL, NULL);
}
