/* test_anonymize: intake's personal-data rules (anonymize.h) and the
 * shared phone normalization (hub_scrub.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "anonymize.h"

static void test_phone_norm(void **state)
{
    (void)state;
    char a[HUB_PHONE_DIGITS], b[HUB_PHONE_DIGITS];
    hub_phone_norm("+86 138-0000-0000", a, sizeof a);
    hub_phone_norm("13800000000", b, sizeof b);
    assert_string_equal(a, b);
    hub_phone_norm("0086 13800000000", a, sizeof a);
    assert_string_equal(a, "13800000000");
    assert_int_equal(hub_phone_norm("0574-8765 4321", a, sizeof a), 12); /* a landline, no country code */
    assert_int_equal(hub_phone_norm("", a, sizeof a), 0);
}

static void test_subject_match(void **state)
{
    (void)state;
    Intake__Person p = INTAKE__PERSON__INIT, q = INTAKE__PERSON__INIT;
    p.name = "王阿姨";
    p.phone = "138-0000-0000";
    p.email = "Wang@Example.com";
    q.name = "李大伯";
    q.phone = "13900000000";
    Intake__Subject s = INTAKE__SUBJECT__INIT;
    assert_int_equal(intake_subject_valid(&s), -1); /* nobody */
    s.name = "王阿姨";
    assert_int_equal(intake_subject_valid(&s), -1); /* a name alone is not enough */
    assert_false(intake_person_is(&p, &s));
    s.phone = "+86 13800000000";
    assert_true(intake_person_is(&p, &s));
    assert_false(intake_person_is(&q, &s));
    s.name = "王大妈"; /* every identifier given must match */
    assert_false(intake_person_is(&p, &s));
    s.name = "";
    s.phone = "";
    s.email = "wang@example.COM";
    assert_true(intake_person_is(&p, &s));
    assert_false(intake_person_is(NULL, &s));
    Intake__Request r = INTAKE__REQUEST__INIT;
    r.requester = &q;
    r.person_helped = &p; /* the person helped is a subject too */
    assert_true(intake_request_is_of(&r, &s));
    Intake__Opinion o = INTAKE__OPINION__INIT;
    o.author = &p;
    assert_true(intake_opinion_is_of(&o, &s));
    o.anonymous = true;
    assert_false(intake_opinion_is_of(&o, &s));
}

static void test_request_anonymize(void **state)
{
    (void)state;
    Intake__Person p = INTAKE__PERSON__INIT;
    p.name = "王阿姨";
    p.phone = "13800000000";
    p.email = "w@example.com";
    p.kind = INTAKE__REQUESTER_KIND__RESIDENT;
    char *v1[] = {"meal"}, *v2[] = {"腿脚不便，糖尿病"};
    Intake__AttributeAnswer coded = INTAKE__ATTRIBUTE_ANSWER__INIT, text = INTAKE__ATTRIBUTE_ANSWER__INIT;
    coded.code = "care_type";
    coded.values = v1;
    coded.n_values = 1;
    text.code = "health_note"; /* not in any catalogue: free text, removed */
    text.values = v2;
    text.n_values = 1;
    Intake__AttributeAnswer *answers[] = {&coded, &text};
    Intake__HistoryEntry h = INTAKE__HISTORY_ENTRY__INIT;
    h.action = "note";
    h.text = "她的儿子电话 13911112222";
    Intake__HistoryEntry *hist[] = {&h};
    Intake__GeoPoint loc = INTAKE__GEO_POINT__INIT;
    Intake__Request r = INTAKE__REQUEST__INIT;
    r.requester = &p;
    r.service_code = "elderly-care";
    r.street = "鼓楼街道";
    r.description = "独居老人";
    r.address = "中山西路 1 号";
    r.location = &loc;
    r.attributes = answers;
    r.n_attributes = 2;
    r.history = hist;
    r.n_history = 1;
    r.status = INTAKE__STATUS__CLOSED;
    r.updated_ms = 1000;
    assert_true(intake_request_expired(&r, 2000));
    assert_false(intake_request_expired(&r, 1000)); /* not older than the cutoff */
    intake_request_anonymize(&r, NULL, 5000);
    assert_string_equal(p.name, "");
    assert_string_equal(p.phone, "");
    assert_string_equal(p.email, "");
    assert_int_equal(p.kind, INTAKE__REQUESTER_KIND__RESIDENT);
    assert_string_equal(r.description, "");
    assert_string_equal(r.address, "");
    assert_null(r.location);
    assert_string_equal(h.text, "");
    assert_string_equal(h.action, "note");
    assert_string_equal(r.street, "鼓楼街道");
    assert_int_equal(r.status, INTAKE__STATUS__CLOSED);
    assert_int_equal(r.anonymized_ms, 5000);
    /* no catalogue: every attribute counts as free text */
    assert_int_equal(r.n_attributes, 0);
    assert_false(intake_request_expired(&r, 9000)); /* done once */
    intake_request_anonymize(&r, NULL, 7000);
    assert_int_equal(r.anonymized_ms, 5000); /* idempotent */
    r.status = INTAKE__STATUS__OPEN;
    r.anonymized_ms = 0;
    assert_false(intake_request_expired(&r, 9000)); /* open: never by retention */
}

static void test_opinion_and_hash(void **state)
{
    (void)state;
    Intake__Person p = INTAKE__PERSON__INIT;
    Intake__Opinion o = INTAKE__OPINION__INIT;
    o.author = &p;
    o.text = "楼道灯坏了，我住 3 单元";
    o.topic = "community";
    o.received_ms = 10;
    assert_true(intake_opinion_expired(&o, 11));
    intake_opinion_anonymize(&o, 20);
    assert_null(o.author);
    assert_string_equal(o.text, "");
    assert_string_equal(o.topic, "community");
    assert_false(intake_opinion_expired(&o, 100));

    uint8_t k1[INTAKE_SUBJECT_KEY] = {1}, k2[INTAKE_SUBJECT_KEY] = {2};
    Intake__Subject a = INTAKE__SUBJECT__INIT, b = INTAKE__SUBJECT__INIT;
    a.phone = "+86 138 0000 0000";
    b.phone = "13800000000";
    char h1[INTAKE_SUBJECT_HASH_HEX], h2[INTAKE_SUBJECT_HASH_HEX], h3[INTAKE_SUBJECT_HASH_HEX];
    intake_subject_hash(&a, k1, h1);
    intake_subject_hash(&b, k1, h2);
    intake_subject_hash(&b, k2, h3);
    assert_string_equal(h1, h2);          /* the same person, however the phone is written */
    assert_string_not_equal(h2, h3);      /* another store's key: another hash */
    assert_null(strstr(h1, "13800000000"));
    b.phone = "13800000001";
    intake_subject_hash(&b, k1, h3);
    assert_string_not_equal(h1, h3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phone_norm),
        cmocka_unit_test(test_subject_match),
        cmocka_unit_test(test_request_anonymize),
        cmocka_unit_test(test_opinion_and_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
