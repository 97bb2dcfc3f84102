/* Unit tests for the intake domain: catalogue parsing, request and opinion
 * validation, the request state machine, readable ids and topics. */
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
#include "intake.h"

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

/* A valid elderly-care request built from literals and arrays inside q
 * (so q must not be copied once filled). */
typedef struct {
    Intake__Request r;
    Intake__Person p;
    Intake__Person helped;
    Intake__AttributeAnswer ans[3];
    Intake__AttributeAnswer *answers[3];
    char *vals[3][3];
    Intake__GeoPoint loc;
} req_t;

static void s_req_fill(req_t *q)
{
    memset(q, 0, sizeof *q);
    intake__request__init(&q->r);
    intake__person__init(&q->p);
    intake__person__init(&q->helped);
    intake__geo_point__init(&q->loc);
    for (int i = 0; i < 3; i++) {
        intake__attribute_answer__init(&q->ans[i]);
        q->ans[i].values = q->vals[i];
        q->answers[i] = &q->ans[i];
    }
    q->p.name = "王阿姨";
    q->p.phone = "138 0000 0000";
    q->p.kind = INTAKE__REQUESTER_KIND__RESIDENT;
    q->ans[0].code = "care_type";
    q->vals[0][0] = "meal";
    q->ans[0].n_values = 1;
    q->loc.lat = 29.8683;
    q->loc.lon = 121.5440;
    q->r.channel = "wechat";
    q->r.message_id = "m-0001";
    q->r.requester = &q->p;
    q->r.service_code = "elderly-care";
    q->r.attributes = q->answers;
    q->r.n_attributes = 1;
    q->r.description = "独居老人需要每日助餐服务";
    q->r.street = "鼓楼街道";
    q->r.address = "中山西路 1 号";
    q->r.location = &q->loc;
    q->r.urgency = INTAKE__URGENCY__URGENCY_UNSPECIFIED;
    q->r.preferred_contact = INTAKE__CONTACT_METHOD__PHONE;
    q->r.consent_to_contact = 1;
}

/* Sets answer i to code with the given values (NULL-terminated). */
static void s_answer(req_t *q, int i, const char *code, const char *v0, const char *v1)
{
    q->ans[i].code = (char *)code;
    q->vals[i][0] = (char *)v0;
    q->vals[i][1] = (char *)v1;
    q->ans[i].n_values = v1 ? 2 : 1;
    if ((size_t)i + 1 > q->r.n_attributes) q->r.n_attributes = (size_t)i + 1;
}

static void s_ok(const intake_catalogue_t *cat, req_t *q)
{
    hub_error_t err = {0};
    if (intake_validate_request(cat, &q->r, &err))
        fail_msg("refused: field \"%s\": %s", err.field, err.message);
    assert_int_equal(err.code, 0);
}

static void s_refused(const intake_catalogue_t *cat, req_t *q, const char *field)
{
    hub_error_t err = {0};
    int rc = intake_validate_request(cat, &q->r, &err);
    if (rc == 0) fail_msg("accepted, expected a refusal on \"%s\"", field);
    assert_int_equal(rc, -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    if (strcmp(err.field, field))
        fail_msg("refused on \"%s\" (%s), expected \"%s\"", err.field, err.message, field);
    assert_true(err.message[0] != 0);
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

/* ----------------------------------------------------------- catalogue */

static void test_catalogue_default(void **state)
{
    const intake_catalogue_t *cat = *state;
    const Intake__ListServicesReply *all = intake_catalogue_all(cat);
    assert_non_null(all);
    assert_int_equal(all->n_services, 11);
    assert_int_equal(all->n_areas, 17);
    assert_string_equal(all->areas[0], "鼓楼街道");
    assert_string_equal(all->areas[16], "龙观乡");

    const Intake__Service *s = intake_catalogue_find(cat, "elderly-care");
    assert_non_null(s);
    assert_string_equal(s->service_name, "养老服务");
    assert_int_equal(s->n_attributes, 3);
    assert_string_equal(s->attributes[0]->code, "care_type");
    assert_true(s->attributes[0]->required);
    assert_string_equal(s->attributes[0]->datatype, "singlevaluelist");
    assert_int_equal(s->attributes[0]->n_values, 4);
    assert_string_equal(s->attributes[0]->values[1]->key, "visit");
    assert_string_equal(s->attributes[0]->values[1]->name, "上门探访");

    const char *codes[] = {"elderly-care", "disability", "children-autism", "psych-support",
                           "family", "legal-aid", "hardship-relief", "health", "tutoring",
                           "employment", "community"};
    for (size_t i = 0; i < 11; i++) {
        assert_non_null(intake_catalogue_find(cat, codes[i]));
        assert_string_equal(all->services[i]->service_code, codes[i]);
    }
    assert_null(intake_catalogue_find(cat, "plumbing"));
    assert_null(intake_catalogue_find(cat, ""));
    assert_null(intake_catalogue_find(cat, "Elderly-care"));
    assert_true(intake_catalogue_has_area(cat, "集士港镇"));
    assert_false(intake_catalogue_has_area(cat, "外滩街道"));
    assert_false(intake_catalogue_has_area(cat, ""));

    /* load(NULL) is the embedded catalogue too */
    hub_error_t err = {0};
    intake_catalogue_t *c2 = intake_catalogue_load(NULL, &err);
    assert_non_null(c2);
    assert_int_equal(intake_catalogue_all(c2)->n_services, 11);
    intake_catalogue_destroy(&c2);
    assert_null(c2);
}

#define MINI_SVC "{\"service_code\":\"a\",\"service_name\":\"甲\",\"attributes\":[]}"

static void s_cat_bad(const char *json, const char *what)
{
    hub_error_t err = {0};
    intake_catalogue_t *cat = intake_catalogue_parse(json, &err);
    if (cat) {
        intake_catalogue_destroy(&cat);
        fail_msg("catalogue with %s accepted", what);
    }
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    assert_true(err.message[0] != 0);
}

static void test_catalogue_bad(void **state)
{
    (void)state;
    /* the minimal catalogue the bad ones are made from is fine */
    hub_error_t err = {0};
    intake_catalogue_t *cat = intake_catalogue_parse(
        "{\"areas\":[\"鼓楼街道\"],\"services\":[" MINI_SVC "]}", &err);
    assert_non_null(cat);
    intake_catalogue_destroy(&cat);

    s_cat_bad("{\"areas\":[\"鼓楼街道\"],\"services\":[" MINI_SVC "," MINI_SVC "]}",
              "a duplicate service_code");
    s_cat_bad("{\"areas\":[\"鼓楼街道\"],\"services\":[{\"service_code\":\"a\",\"service_name\":\"甲\","
              "\"attributes\":[{\"code\":\"x\",\"datatype\":\"colour\"}]}]}",
              "an unknown datatype");
    s_cat_bad("{\"areas\":[\"鼓楼街道\"],\"services\":[{\"service_code\":\"a\",\"service_name\":\"甲\","
              "\"attributes\":[{\"code\":\"x\",\"datatype\":\"singlevaluelist\"}]}]}",
              "a singlevaluelist without values");
    s_cat_bad("{\"areas\":[\"鼓楼街道\"],\"services\":[{\"service_code\":\"a\",\"service_name\":\"甲\","
              "\"attributes\":[{\"code\":\"x\",\"datatype\":\"multivaluelist\",\"values\":[]}]}]}",
              "a multivaluelist with an empty values list");
    s_cat_bad("{\"areas\":[\"鼓楼街道\"],\"services\":[" MINI_SVC "", "invalid JSON (unterminated)");
    s_cat_bad("{areas: []}", "invalid JSON (bare key)");
    s_cat_bad("", "an empty text");
    s_cat_bad("{\"areas\":[\"鼓楼街道\"],\"services\":[]}", "no services");
    s_cat_bad("{\"areas\":[],\"services\":[" MINI_SVC "]}", "no areas");
    s_cat_bad("{\"areas\":[\"鼓楼街道\"],\"services\":[{\"service_name\":\"甲\"}]}", "no service_code");

    /* an unknown key is refused with its path */
    memset(&err, 0, sizeof err);
    cat = intake_catalogue_parse("{\"areas\":[\"鼓楼街道\"],\"services\":[{\"service_code\":\"a\","
                                 "\"service_name\":\"甲\",\"colour\":\"red\"}]}", &err);
    if (cat) { intake_catalogue_destroy(&cat); fail_msg("unknown key accepted"); }
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    assert_string_equal(err.field, "services.colour");

    /* a file that does not exist */
    memset(&err, 0, sizeof err);
    assert_null(intake_catalogue_load("/nonexistent/catalogue.json", &err));
    assert_true(err.code != 0);
}

/* The policy topics of the embedded catalogue, a catalogue without any,
 * and the refusals (duplicate code, empty code or name, unknown key). */
static void test_catalogue_policy_topics(void **state)
{
    const intake_catalogue_t *cat = *state;
    const Intake__ListServicesReply *all = intake_catalogue_all(cat);
    assert_int_equal(all->n_policy_topics, 10);
    const Intake__PolicyTopic *t = intake_catalogue_policy_topic(cat, "elderly-care-policy");
    assert_non_null(t);
    assert_ptr_equal(t, all->policy_topics[0]);
    assert_string_equal(t->name, "养老服务政策");
    assert_string_equal(t->name_en, "Elderly care policy");
    t = intake_catalogue_policy_topic(cat, "government-purchase");
    assert_non_null(t);
    assert_string_equal(t->name, "政府购买服务");
    for (size_t i = 0; i < all->n_policy_topics; i++)
        assert_ptr_equal(intake_catalogue_policy_topic(cat, all->policy_topics[i]->code), all->policy_topics[i]);
    assert_null(intake_catalogue_policy_topic(cat, ""));
    assert_null(intake_catalogue_policy_topic(cat, "养老服务政策")); /* by code, not by name */
    assert_null(intake_catalogue_policy_topic(cat, "Elderly-care-policy"));
    assert_null(intake_catalogue_policy_topic(cat, "elderly-care")); /* a service code */

    /* absent list: valid, no topics */
    hub_error_t err = {0};
    intake_catalogue_t *c2 = intake_catalogue_parse("{\"areas\":[\"鼓楼街道\"],\"services\":[" MINI_SVC "]}", &err);
    assert_non_null(c2);
    assert_int_equal(intake_catalogue_all(c2)->n_policy_topics, 0);
    assert_null(intake_catalogue_policy_topic(c2, "elderly-care-policy"));
    intake_catalogue_destroy(&c2);

    /* a list of two: both found, in order */
    c2 = intake_catalogue_parse("{\"areas\":[\"鼓楼街道\"],\"services\":[" MINI_SVC "],\"policy_topics\":["
                                "{\"code\":\"p1\",\"name\":\"甲\"},{\"code\":\"p2\",\"name\":\"乙\",\"name_en\":\"B\"}]}",
                                &err);
    assert_non_null(c2);
    assert_int_equal(intake_catalogue_all(c2)->n_policy_topics, 2);
    assert_string_equal(intake_catalogue_policy_topic(c2, "p2")->name_en, "B");
    assert_string_equal(intake_catalogue_policy_topic(c2, "p1")->name, "甲");
    intake_catalogue_destroy(&c2);

#define CAT_TOPICS(list) "{\"areas\":[\"鼓楼街道\"],\"services\":[" MINI_SVC "],\"policy_topics\":[" list "]}"
    s_cat_bad(CAT_TOPICS("{\"code\":\"p1\",\"name\":\"甲\"},{\"code\":\"p1\",\"name\":\"乙\"}"),
              "a duplicate policy topic code");
    s_cat_bad(CAT_TOPICS("{\"code\":\"\",\"name\":\"甲\"}"), "a policy topic without a code");
    s_cat_bad(CAT_TOPICS("{\"code\":\"p1\"}"), "a policy topic without a name");
    s_cat_bad(CAT_TOPICS("{\"code\":\"p1\",\"name\":\"甲\",\"weight\":3}"), "a policy topic with an unknown key");
#undef CAT_TOPICS
    memset(&err, 0, sizeof err);
    c2 = intake_catalogue_parse(
        "{\"areas\":[\"鼓楼街道\"],\"services\":[" MINI_SVC "],\"policy_topics\":[{\"code\":\"p1\",\"name\":\"甲\"},"
        "{\"code\":\"p1\",\"name\":\"乙\"}]}", &err);
    assert_null(c2);
    assert_string_equal(err.field, "policy_topics");
    assert_non_null(strstr(err.message, "p1"));
}

/* ------------------------------------------------------------ requests */

static void test_request_valid_and_defaults(void **state)
{
    const intake_catalogue_t *cat = *state;
    req_t q;
    s_req_fill(&q);
    q.r.language = "";
    s_ok(cat, &q);
    assert_int_equal(q.r.urgency, INTAKE__URGENCY__NORMAL);
    assert_string_equal(q.r.language, "zh");

    /* explicit values are kept */
    s_req_fill(&q);
    q.r.urgency = INTAKE__URGENCY__EMERGENCY;
    q.r.language = "en";
    s_ok(cat, &q);
    assert_int_equal(q.r.urgency, INTAKE__URGENCY__EMERGENCY);
    assert_string_equal(q.r.language, "en");

    /* optional parts: no location, no contact, someone else helped */
    s_req_fill(&q);
    q.r.location = NULL;
    q.r.consent_to_contact = 0;
    q.p.phone = "";
    q.helped.name = "李大爷";
    q.r.person_helped = &q.helped;
    s_answer(&q, 1, "age", "82", NULL);
    s_answer(&q, 2, "lives_alone", "yes", NULL);
    s_ok(cat, &q);

    /* other services and datatypes */
    s_req_fill(&q);
    q.r.service_code = "disability";
    q.r.n_attributes = 0;
    s_answer(&q, 0, "disability_type", "physical", NULL);
    s_answer(&q, 1, "needs", "rehab", "mobility");
    s_ok(cat, &q);

    s_req_fill(&q);
    q.r.service_code = "community";
    q.r.n_attributes = 0;
    s_ok(cat, &q);
    s_answer(&q, 0, "preferred_date", "2026-12-01", NULL);
    s_ok(cat, &q);
    s_answer(&q, 0, "preferred_date", "2026-12-01T09:30:00+08:00", NULL);
    s_ok(cat, &q);

    s_req_fill(&q);
    q.r.service_code = "family";
    q.r.n_attributes = 0;
    q.r.street = "龙观乡";
    q.r.description = s_repeat("a", INTAKE_MAX_DESCRIPTION); /* exactly the limit */
    hub_error_t err = {0};
    int rc = intake_validate_request(cat, &q.r, &err);
    free(q.r.description);
    assert_int_equal(rc, 0);
}

static void test_request_refused_identity(void **state)
{
    const intake_catalogue_t *cat = *state;
    req_t q;

    s_req_fill(&q);
    q.r.channel = "";
    s_refused(cat, &q, "channel");
    s_req_fill(&q);
    char *ch = s_repeat("c", INTAKE_MAX_CHANNEL + 1);
    q.r.channel = ch;
    s_refused(cat, &q, "channel");
    free(ch);

    s_req_fill(&q);
    q.r.message_id = "";
    s_refused(cat, &q, "message_id");

    s_req_fill(&q);
    q.r.requester = NULL;
    s_refused(cat, &q, "requester");

    s_req_fill(&q);
    q.p.name = "";
    s_refused(cat, &q, "requester.name");

    s_req_fill(&q);
    q.p.kind = INTAKE__REQUESTER_KIND__REQUESTER_KIND_UNSPECIFIED;
    s_refused(cat, &q, "requester.kind");

    s_req_fill(&q);
    q.p.phone = "call me maybe";
    s_refused(cat, &q, "requester.phone");
    s_req_fill(&q);
    q.p.phone = "123";              /* too few digits */
    s_refused(cat, &q, "requester.phone");

    s_req_fill(&q);
    q.helped.name = "";
    q.r.person_helped = &q.helped;
    s_refused(cat, &q, "person_helped.name");
}

static void test_request_refused_service(void **state)
{
    const intake_catalogue_t *cat = *state;
    req_t q;

    s_req_fill(&q);
    q.r.service_code = "plumbing";
    s_refused(cat, &q, "service_code");
    s_req_fill(&q);
    q.r.service_code = "";
    s_refused(cat, &q, "service_code");

    s_req_fill(&q);
    s_answer(&q, 1, "shoe_size", "42", NULL);
    s_refused(cat, &q, "attributes.shoe_size");

    s_req_fill(&q);
    q.r.n_attributes = 0;
    s_refused(cat, &q, "attributes.care_type");

    s_req_fill(&q);
    s_answer(&q, 0, "care_type", "swimming", NULL);
    s_refused(cat, &q, "attributes.care_type");

    s_req_fill(&q);
    s_answer(&q, 0, "care_type", "meal", "visit"); /* two values for a single list */
    s_refused(cat, &q, "attributes.care_type");

    s_req_fill(&q);
    s_answer(&q, 1, "age", "abc", NULL);
    s_refused(cat, &q, "attributes.age");
    s_req_fill(&q);
    s_answer(&q, 1, "age", "", NULL);
    s_refused(cat, &q, "attributes.age");

    s_req_fill(&q);
    q.r.service_code = "disability";
    q.r.n_attributes = 0;
    s_answer(&q, 0, "disability_type", "visual", NULL);
    s_answer(&q, 1, "needs", "rehab", "rehab");
    s_refused(cat, &q, "attributes.needs");
    s_answer(&q, 1, "needs", "rehab", "flying");
    s_refused(cat, &q, "attributes.needs");

    s_req_fill(&q);
    q.r.service_code = "community";
    q.r.n_attributes = 0;
    s_answer(&q, 0, "preferred_date", "2026-13-01", NULL);
    s_refused(cat, &q, "attributes.preferred_date");
    s_answer(&q, 0, "preferred_date", "2026-12-01T25:00", NULL);
    s_refused(cat, &q, "attributes.preferred_date");
    s_answer(&q, 0, "preferred_date", "next tuesday", NULL);
    s_refused(cat, &q, "attributes.preferred_date");
}

/* A datetime attribute must be a real ISO 8601 date/time: no February 30,
 * a numeric UTC offset, digits only in the date. */
static void test_request_datetime_strict(void **state)
{
    const intake_catalogue_t *cat = *state;
    req_t q;
    s_req_fill(&q);
    q.r.service_code = "community";
    q.r.n_attributes = 0;
    const char *ok[] = {"2026-02-28", "2028-02-29", "2026-12-01T09:30Z", "2026-12-01 09:30:15-05:00"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        s_answer(&q, 0, "preferred_date", ok[i], NULL);
        s_ok(cat, &q);
    }
    const char *bad[] = {"2026-02-30", "2026-04-31", "2026-12-01T09:30+ab:cd", "2026-+1-01"};
    char accepted[256] = "";
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_answer(&q, 0, "preferred_date", bad[i], NULL);
        hub_error_t err = {0};
        if (intake_validate_request(cat, &q.r, &err) == 0) {
            size_t n = strlen(accepted);
            snprintf(accepted + n, sizeof accepted - n, " \"%s\"", bad[i]);
            continue;
        }
        assert_string_equal(err.field, "attributes.preferred_date");
    }
    if (accepted[0]) fail_msg("datetimes accepted:%s", accepted);
}

static void test_request_refused_content(void **state)
{
    const intake_catalogue_t *cat = *state;
    req_t q;

    s_req_fill(&q);
    q.r.description = "";
    s_refused(cat, &q, "description");

    s_req_fill(&q);
    char *d = s_repeat("a", INTAKE_MAX_DESCRIPTION + 1);
    q.r.description = d;
    s_refused(cat, &q, "description");
    free(d);
    /* the limit is in bytes: 1334 Chinese characters are 4002 bytes */
    s_req_fill(&q);
    d = s_repeat("助", 1334);
    q.r.description = d;
    s_refused(cat, &q, "description");
    free(d);

    s_req_fill(&q);
    q.r.street = "外滩街道";
    s_refused(cat, &q, "street");
    s_req_fill(&q);
    q.r.street = "";
    s_refused(cat, &q, "street");

    s_req_fill(&q);
    q.loc.lat = 91;
    s_refused(cat, &q, "location");
    s_req_fill(&q);
    q.loc.lat = -90.5;
    s_refused(cat, &q, "location");
    s_req_fill(&q);
    q.loc.lon = 181;
    s_refused(cat, &q, "location");
    s_req_fill(&q);
    q.loc.lat = NAN;
    s_refused(cat, &q, "location");

    s_req_fill(&q);
    q.r.language = "zh_CN!";
    s_refused(cat, &q, "language");
}

static void test_request_refused_contact(void **state)
{
    const intake_catalogue_t *cat = *state;
    req_t q;

    s_req_fill(&q);
    q.p.phone = "";
    q.r.preferred_contact = INTAKE__CONTACT_METHOD__PHONE;
    q.r.consent_to_contact = 1;
    s_refused(cat, &q, "requester.phone");

    s_req_fill(&q);
    q.p.phone = "";
    q.r.preferred_contact = INTAKE__CONTACT_METHOD__SMS;
    s_refused(cat, &q, "requester.phone");

    s_req_fill(&q);
    q.r.preferred_contact = INTAKE__CONTACT_METHOD__EMAIL;
    s_refused(cat, &q, "requester.email");

    /* an address that would inject SMTP commands (notification sends to it) */
    s_req_fill(&q);
    q.p.email = "victim@example.cn>\r\nRCPT TO:<attacker@evil.example";
    s_refused(cat, &q, "requester.email");

    /* without consent no contact detail is needed */
    s_req_fill(&q);
    q.p.phone = "";
    q.r.consent_to_contact = 0;
    s_ok(cat, &q);
}

/* ------------------------------------------------------------ opinions */

static void s_op_fill(Intake__Opinion *o, Intake__Person *author)
{
    intake__opinion__init(o);
    intake__person__init(author);
    author->name = "张先生";
    author->kind = INTAKE__REQUESTER_KIND__RESIDENT;
    o->channel = "wechat";
    o->message_id = "op-1";
    o->topic = "社区环境";
    o->street = "月湖街道";
    o->text = "希望小区增加夜间照明";
}

static void s_op_refused(const intake_catalogue_t *cat, const Intake__Opinion *o, const char *field)
{
    hub_error_t err = {0};
    if (intake_validate_opinion(cat, o, &err) == 0) fail_msg("opinion accepted, expected \"%s\"", field);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    if (strcmp(err.field, field)) fail_msg("refused on \"%s\", expected \"%s\"", err.field, field);
}

static void test_opinion(void **state)
{
    const intake_catalogue_t *cat = *state;
    Intake__Opinion o;
    Intake__Person a;
    hub_error_t err = {0};

    s_op_fill(&o, &a);
    o.anonymous = 1;
    o.author = NULL;
    assert_int_equal(intake_validate_opinion(cat, &o, &err), 0);

    s_op_fill(&o, &a);
    o.author = &a;
    assert_int_equal(intake_validate_opinion(cat, &o, &err), 0);

    s_op_fill(&o, &a);
    o.anonymous = 0;
    o.author = NULL;
    s_op_refused(cat, &o, "author");

    s_op_fill(&o, &a);
    a.kind = INTAKE__REQUESTER_KIND__REQUESTER_KIND_UNSPECIFIED;
    o.author = &a;
    s_op_refused(cat, &o, "author.kind");

    s_op_fill(&o, &a);
    o.anonymous = 1;
    o.topic = "";
    s_op_refused(cat, &o, "topic");

    s_op_fill(&o, &a);
    o.anonymous = 1;
    o.text = "";
    s_op_refused(cat, &o, "text");

    s_op_fill(&o, &a);
    o.anonymous = 1;
    o.street = "外滩街道";
    s_op_refused(cat, &o, "street");

    s_op_fill(&o, &a);
    o.anonymous = 1;
    o.street = "";  /* optional */
    assert_int_equal(intake_validate_opinion(cat, &o, &err), 0);
}

/* ---------------------------------------------------------- transitions */

static const Intake__Status ACTIVE[] = {INTAKE__STATUS__OPEN, INTAKE__STATUS__IN_PROGRESS,
                                        INTAKE__STATUS__REFERRED};
static const Intake__Status ENDED[] = {INTAKE__STATUS__CLOSED, INTAKE__STATUS__DUPLICATE,
                                       INTAKE__STATUS__CANCELLED};

static void s_update(Intake__UpdateRequest *u, const char *action)
{
    intake__update_request__init(u);
    u->service_request_id = "R20261126-000001";
    u->action = (char *)action;
    u->text = "已由社工跟进";
    u->duplicate_of = "R20261125-000009";
    u->by = "operator";
}

static void s_allowed(Intake__Status from, const char *action, Intake__Status want)
{
    Intake__UpdateRequest u;
    s_update(&u, action);
    hub_error_t err = {0};
    Intake__Status to = INTAKE__STATUS__STATUS_UNSPECIFIED;
    if (intake_transition(from, &u, &to, &err))
        fail_msg("%s from %s refused: %s", action, intake_status_name(from), err.message);
    if (to != want)
        fail_msg("%s from %s gave %s, expected %s", action, intake_status_name(from),
                 intake_status_name(to), intake_status_name(want));
}

static void s_illegal(Intake__Status from, const char *action)
{
    Intake__UpdateRequest u;
    s_update(&u, action);
    hub_error_t err = {0};
    Intake__Status to = INTAKE__STATUS__STATUS_UNSPECIFIED;
    if (intake_transition(from, &u, &to, &err) == 0)
        fail_msg("%s from %s allowed (to %s)", action, intake_status_name(from),
                 intake_status_name(to));
    if (err.code != HUB__ERROR_CODE__FAILED_PRECONDITION)
        fail_msg("%s from %s: %s, expected FAILED_PRECONDITION", action,
                 intake_status_name(from), hub_error_code_name(err.code));
    if (!strstr(err.message, intake_status_name(from)))
        fail_msg("%s from %s: message \"%s\" does not name the status", action,
                 intake_status_name(from), err.message);
}

static void s_invalid(Intake__Status from, const Intake__UpdateRequest *u, const char *field)
{
    hub_error_t err = {0};
    Intake__Status to = INTAKE__STATUS__STATUS_UNSPECIFIED;
    if (intake_transition(from, u, &to, &err) == 0)
        fail_msg("%s from %s allowed, expected INVALID_ARGUMENT on %s", u->action,
                 intake_status_name(from), field);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    if (strcmp(err.field, field))
        fail_msg("%s: field \"%s\", expected \"%s\"", u->action, err.field, field);
}

static void test_transition_table(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) {
        Intake__Status a = ACTIVE[i], e = ENDED[i];
        /* note keeps any status */
        s_allowed(a, "note", a);
        s_allowed(e, "note", e);
        /* from an active status */
        s_allowed(a, "cancel", INTAKE__STATUS__CANCELLED);
        s_allowed(a, "close", INTAKE__STATUS__CLOSED);
        s_allowed(a, "duplicate", INTAKE__STATUS__DUPLICATE);
        s_illegal(a, "reopen");
        /* from an ended status */
        s_illegal(e, "cancel");
        s_illegal(e, "close");
        s_illegal(e, "duplicate");
        s_allowed(e, "reopen", INTAKE__STATUS__OPEN);
    }
    assert_string_equal(intake_status_name(INTAKE__STATUS__CLOSED), "CLOSED");
    assert_string_equal(intake_status_name(INTAKE__STATUS__IN_PROGRESS), "IN_PROGRESS");

    /* the message names the current status */
    Intake__UpdateRequest u;
    s_update(&u, "cancel");
    hub_error_t err = {0};
    Intake__Status to;
    assert_int_equal(intake_transition(INTAKE__STATUS__CLOSED, &u, &to, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "CLOSED"));
}

static void test_transition_arguments(void **state)
{
    (void)state;
    Intake__UpdateRequest u;

    /* a note needs text, at most INTAKE_MAX_NOTE bytes */
    s_update(&u, "note");
    u.text = "";
    s_invalid(INTAKE__STATUS__OPEN, &u, "text");
    s_invalid(INTAKE__STATUS__CLOSED, &u, "text");
    char *long_text = s_repeat("x", INTAKE_MAX_NOTE + 1);
    u.text = long_text;
    s_invalid(INTAKE__STATUS__OPEN, &u, "text");
    s_update(&u, "cancel");
    u.text = long_text;
    s_invalid(INTAKE__STATUS__OPEN, &u, "text");
    free(long_text);

    /* close needs a reason */
    s_update(&u, "close");
    u.text = "";
    s_invalid(INTAKE__STATUS__IN_PROGRESS, &u, "text");

    /* duplicate needs duplicate_of */
    s_update(&u, "duplicate");
    u.duplicate_of = "";
    s_invalid(INTAKE__STATUS__OPEN, &u, "duplicate_of");

    /* cancel and reopen need no reason */
    hub_error_t err = {0};
    Intake__Status to = 0;
    s_update(&u, "cancel");
    u.text = "";
    assert_int_equal(intake_transition(INTAKE__STATUS__REFERRED, &u, &to, &err), 0);
    assert_int_equal(to, INTAKE__STATUS__CANCELLED);
    s_update(&u, "reopen");
    u.text = "";
    assert_int_equal(intake_transition(INTAKE__STATUS__CANCELLED, &u, &to, &err), 0);
    assert_int_equal(to, INTAKE__STATUS__OPEN);

    /* unknown actions */
    const char *bad[] = {"delete", "", "CLOSE", "close ", "submitted"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_update(&u, bad[i]);
        s_invalid(INTAKE__STATUS__OPEN, &u, "action");
        s_invalid(INTAKE__STATUS__CLOSED, &u, "action");
    }
}

/* reopen is only for CLOSED / DUPLICATE / CANCELLED: a request with no
 * status (or an undeclared one) must not become OPEN. */
static void test_transition_reopen_only_from_ended(void **state)
{
    (void)state;
    const struct { Intake__Status from; const char *action; } cases[] = {
        {INTAKE__STATUS__STATUS_UNSPECIFIED, "cancel"},
        {INTAKE__STATUS__STATUS_UNSPECIFIED, "reopen"},
        {(Intake__Status)42, "cancel"},
        {(Intake__Status)42, "reopen"},
    };
    char allowed[256] = "";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Intake__UpdateRequest u;
        s_update(&u, cases[i].action);
        hub_error_t err = {0};
        Intake__Status to = INTAKE__STATUS__STATUS_UNSPECIFIED;
        if (intake_transition(cases[i].from, &u, &to, &err) == 0) {
            size_t n = strlen(allowed);
            snprintf(allowed + n, sizeof allowed - n, " [%s from %d -> %s]", cases[i].action,
                     (int)cases[i].from, intake_status_name(to));
            continue;
        }
        assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    }
    if (allowed[0]) fail_msg("allowed:%s", allowed);
}

/* --------------------------------------------------------- ids, topics */

#define T_2026_11_25_20_00Z 1795636800000LL   /* 2026-11-25T20:00:00Z */

static void test_day_key_and_id(void **state)
{
    (void)state;
    char day[9];
    intake_day_key(day, T_2026_11_25_20_00Z);
    assert_string_equal(day, "20261126");            /* 04:00 the next day in CST */
    intake_day_key(day, T_2026_11_25_20_00Z - 4 * 3600 * 1000LL - 1); /* 15:59:59.999Z */
    assert_string_equal(day, "20261125");
    intake_day_key(day, T_2026_11_25_20_00Z - 4 * 3600 * 1000LL);     /* 16:00:00Z */
    assert_string_equal(day, "20261126");
    intake_day_key(day, 1798732800000LL);            /* 2026-12-31T16:00:00Z */
    assert_string_equal(day, "20270101");
    intake_day_key(day, 0);
    assert_string_equal(day, "19700101");

    char id[32];
    intake_format_id(id, sizeof id, 'R', T_2026_11_25_20_00Z, 42);
    assert_string_equal(id, "R20261126-000042");
    intake_format_id(id, sizeof id, 'O', T_2026_11_25_20_00Z, 1);
    assert_string_equal(id, "O20261126-000001");
    intake_format_id(id, sizeof id, 'R', T_2026_11_25_20_00Z, 999999);
    assert_string_equal(id, "R20261126-999999");
    intake_format_id(id, sizeof id, 'R', T_2026_11_25_20_00Z, 1234567);
    assert_string_equal(id, "R20261126-1234567");
    /* ids of one day sort by sequence (fixed width up to 999999) */
    char a[32], b[32];
    intake_format_id(a, sizeof a, 'R', T_2026_11_25_20_00Z, 9);
    intake_format_id(b, sizeof b, 'R', T_2026_11_25_20_00Z, 10);
    assert_true(strcmp(a, b) < 0);
    /* a short buffer is cut, never overrun */
    char small[8];
    memset(small, 'Z', sizeof small);
    intake_format_id(small, sizeof small, 'R', T_2026_11_25_20_00Z, 42);
    assert_string_equal(small, "R202611");
}

static void test_topic(void **state)
{
    (void)state;
    assert_string_equal(intake_topic("submitted"), "intake.request.accepted");
    assert_string_equal(intake_topic("note"), "intake.request.updated");
    assert_string_equal(intake_topic("cancel"), "intake.request.cancelled");
    assert_string_equal(intake_topic("duplicate"), "intake.request.duplicate");
    assert_string_equal(intake_topic("close"), "intake.request.closed");
    assert_string_equal(intake_topic("reopen"), "intake.request.reopened");
    assert_string_equal(intake_topic("anything else"), "intake.request.updated");
}

int main(void)
{
#define C(f) cmocka_unit_test_setup_teardown(f, s_cat_setup, s_cat_teardown)
    const struct CMUnitTest tests[] = {
        C(test_catalogue_default),
        cmocka_unit_test(test_catalogue_bad),
        C(test_catalogue_policy_topics),
        C(test_request_valid_and_defaults),
        C(test_request_refused_identity),
        C(test_request_refused_service),
        C(test_request_refused_content),
        C(test_request_datetime_strict),
        C(test_request_refused_contact),
        C(test_opinion),
        cmocka_unit_test(test_transition_table),
        cmocka_unit_test(test_transition_arguments),
        cmocka_unit_test(test_transition_reopen_only_from_ended),
        cmocka_unit_test(test_day_key_and_id),
        cmocka_unit_test(test_topic),
    };
    return cmocka_run_group_tests_name("test_intake", tests, NULL, NULL);
}
