/* Unit tests of services/intake/activity.c: the rules of activities and
 * registrations, without a store or a socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "activity.h"
#include "catalogue.h"

#define HOUR (3600 * 1000LL)
#define NOW (1767312000000LL) /* 2026-01-02 08:00 CST */

static intake_catalogue_t *s_cat;

static int s_setup(void **state)
{
    (void)state;
    hub_error_t err = {0};
    s_cat = intake_catalogue_load(NULL, &err);
    return s_cat ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    intake_catalogue_destroy(&s_cat);
    return 0;
}

static Intake__Activity s_activity(Intake__ActivityKind kind)
{
    Intake__Activity a = INTAKE__ACTIVITY__INIT;
    a.activity_id = "E20260102-000001";
    a.kind = kind;
    a.title = "社工沙龙";
    a.place = "服务中心";
    a.street = "鼓楼街道";
    a.starts_ms = NOW + 24 * HOUR;
    a.ends_ms = NOW + 26 * HOUR;
    a.capacity = 2;
    a.status = INTAKE__ACTIVITY_STATUS__SCHEDULED;
    return a;
}

/* Each refusal names its field. */
static void s_refused(Intake__Activity a, const char *field)
{
    hub_error_t err = {0};
    assert_int_equal(activity_validate(s_cat, &a, NOW, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    assert_string_equal(err.field, field);
}

static void test_validate_refusals(void **state)
{
    (void)state;
    hub_error_t err = {0};
    Intake__Activity a = s_activity(INTAKE__ACTIVITY_KIND__SALON);
    assert_int_equal(activity_validate(s_cat, &a, NOW, &err), 0);
    assert_int_equal(a.audience, ACTIVITY_AUDIENCE_ALL);       /* 0 = everyone */
    assert_int_equal(a.registration_deadline_ms, a.starts_ms); /* default: the start */
    a = s_activity(INTAKE__ACTIVITY_KIND__SALON);
    a.kind = 8;
    s_refused(a, "kind");
    a = s_activity(INTAKE__ACTIVITY_KIND__SALON), a.title = "";
    s_refused(a, "title");
    a = s_activity(INTAKE__ACTIVITY_KIND__SALON), a.street = "火星街道";
    s_refused(a, "street");
    a = s_activity(INTAKE__ACTIVITY_KIND__SALON), a.ends_ms = a.starts_ms;
    s_refused(a, "ends_ms");
    a = s_activity(INTAKE__ACTIVITY_KIND__SALON), a.starts_ms = NOW - 3 * HOUR, a.ends_ms = NOW - HOUR;
    s_refused(a, "ends_ms"); /* already over */
    a = s_activity(INTAKE__ACTIVITY_KIND__SALON), a.starts_ms = NOW + 800 * 24 * HOUR, a.ends_ms = a.starts_ms + HOUR;
    s_refused(a, "starts_ms"); /* more than two years ahead */
    a = s_activity(INTAKE__ACTIVITY_KIND__SALON), a.capacity = 0;
    s_refused(a, "capacity");
    a = s_activity(INTAKE__ACTIVITY_KIND__SALON), a.capacity = ACTIVITY_MAX_CAPACITY + 1;
    s_refused(a, "capacity");
    a = s_activity(INTAKE__ACTIVITY_KIND__SALON), a.audience = 8;
    s_refused(a, "audience");
    a = s_activity(INTAKE__ACTIVITY_KIND__SALON), a.registration_deadline_ms = a.ends_ms + 1;
    s_refused(a, "registration_deadline_ms");
    a = s_activity(INTAKE__ACTIVITY_KIND__SALON), a.registration_deadline_ms = NOW - 1;
    s_refused(a, "registration_deadline_ms"); /* already passed */
    a = s_activity(INTAKE__ACTIVITY_KIND__SALON), a.policy_topic = "elderly-care-policy";
    s_refused(a, "policy_topic"); /* only consultations and hearings */
    a = s_activity(INTAKE__ACTIVITY_KIND__HEARING), a.policy_topic = "no-such-topic";
    s_refused(a, "policy_topic");
    a = s_activity(INTAKE__ACTIVITY_KIND__SALON), a.volunteer_hours = 3;
    s_refused(a, "volunteer_hours");
    a = s_activity(INTAKE__ACTIVITY_KIND__VOLUNTEER_DAY), a.volunteer_hours = -1;
    s_refused(a, "volunteer_hours");
    a = s_activity(INTAKE__ACTIVITY_KIND__HEARING), a.policy_topic = "elderly-care-policy";
    assert_int_equal(activity_validate(s_cat, &a, NOW, &err), 0);
}

static void test_admit_and_states(void **state)
{
    (void)state;
    Intake__Activity a = s_activity(INTAKE__ACTIVITY_KIND__SALON);
    assert_int_equal(activity_admit(&a), INTAKE__REGISTRATION_STATE__CONFIRMED);
    a.confirmed = 1;
    assert_int_equal(activity_admit(&a), INTAKE__REGISTRATION_STATE__CONFIRMED);
    a.confirmed = 2; /* full */
    assert_int_equal(activity_admit(&a), INTAKE__REGISTRATION_STATE__WAITLISTED);
    assert_true(activity_reg_active(INTAKE__REGISTRATION_STATE__CONFIRMED));
    assert_true(activity_reg_active(INTAKE__REGISTRATION_STATE__WAITLISTED));
    assert_false(activity_reg_active(INTAKE__REGISTRATION_STATE__ATTENDED));
    assert_false(activity_reg_active(INTAKE__REGISTRATION_STATE__WITHDRAWN));
    assert_false(activity_reg_active(INTAKE__REGISTRATION_STATE__ACTIVITY_CANCELLED_REG));
}

static void test_registration_rules(void **state)
{
    (void)state;
    hub_error_t err = {0};
    Intake__Activity a = s_activity(INTAKE__ACTIVITY_KIND__TRAINING);
    a.audience = INTAKE__AUDIENCE__MEMBER_ORGANIZATIONS;
    a.registration_deadline_ms = a.starts_ms - HOUR;
    Intake__Person p = INTAKE__PERSON__INIT;
    p.name = "李社工";
    p.phone = "13900000001";
    Intake__Registration r = INTAKE__REGISTRATION__INIT;
    r.activity_id = a.activity_id;
    r.registrant = &p;
    assert_int_equal(activity_validate_registration(&a, &r, NOW, &err), -1);
    assert_string_equal(err.field, "organization_id"); /* members only */
    r.organization_id = "ORG-000001";
    assert_int_equal(activity_validate_registration(&a, &r, NOW, &err), 0);
    assert_string_equal(r.language, "zh");
    /* deadline: until it, not after */
    assert_int_equal(activity_validate_registration(&a, &r, a.registration_deadline_ms, &err), 0);
    assert_int_equal(activity_validate_registration(&a, &r, a.registration_deadline_ms + 1, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    /* a name and a phone or an e-mail */
    p.phone = "";
    assert_int_equal(activity_validate_registration(&a, &r, NOW, &err), -1);
    assert_string_equal(err.field, "registrant.phone");
    p.email = "li@example.cn";
    assert_int_equal(activity_validate_registration(&a, &r, NOW, &err), 0);
    r.registrant = NULL;
    assert_int_equal(activity_validate_registration(&a, &r, NOW, &err), -1);
    assert_string_equal(err.field, "registrant");
    r.registrant = &p;
    a.status = INTAKE__ACTIVITY_STATUS__ACTIVITY_CANCELLED;
    assert_int_equal(activity_validate_registration(&a, &r, NOW, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    /* several audiences: one of their needs is enough */
    a = s_activity(INTAKE__ACTIVITY_KIND__VOLUNTEER_DAY);
    a.audience = INTAKE__AUDIENCE__MEMBER_ORGANIZATIONS | INTAKE__AUDIENCE__VOLUNTEERS;
    r.organization_id = "";
    assert_int_equal(activity_validate_registration(&a, &r, NOW, &err), -1);
    r.volunteer_id = "VOL-000001";
    assert_int_equal(activity_validate_registration(&a, &r, NOW, &err), 0);
}

static void test_checkin_window(void **state)
{
    (void)state;
    hub_error_t err = {0};
    Intake__Activity a = s_activity(INTAKE__ACTIVITY_KIND__SALON);
    Intake__Registration r = INTAKE__REGISTRATION__INIT;
    r.registration_id = "E20260102-000001-000001";
    r.state = INTAKE__REGISTRATION_STATE__CONFIRMED;
    assert_int_equal(activity_can_checkin(&a, &r, a.starts_ms - ACTIVITY_CHECKIN_EARLY_MS - 1, &err), -1);
    assert_int_equal(activity_can_checkin(&a, &r, a.starts_ms - ACTIVITY_CHECKIN_EARLY_MS, &err), 0);
    assert_int_equal(activity_can_checkin(&a, &r, a.ends_ms, &err), 0);
    assert_int_equal(activity_can_checkin(&a, &r, a.ends_ms + 1, &err), -1); /* after the end */
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "ended"));
    r.state = INTAKE__REGISTRATION_STATE__WAITLISTED;
    assert_int_equal(activity_can_checkin(&a, &r, a.starts_ms, &err), -1);
    r.state = INTAKE__REGISTRATION_STATE__ATTENDED;
    assert_int_equal(activity_can_checkin(&a, &r, a.starts_ms, &err), -1);
    assert_non_null(strstr(err.message, "already"));
    /* withdrawing: active ones, until the end */
    r.state = INTAKE__REGISTRATION_STATE__CONFIRMED;
    assert_int_equal(activity_can_withdraw(&a, &r, a.ends_ms - 1, &err), 0);
    assert_int_equal(activity_can_withdraw(&a, &r, a.ends_ms, &err), -1);
    r.state = INTAKE__REGISTRATION_STATE__WITHDRAWN;
    assert_int_equal(activity_can_withdraw(&a, &r, NOW, &err), -1);
}

static void test_hours_and_keys(void **state)
{
    (void)state;
    Intake__Activity a = s_activity(INTAKE__ACTIVITY_KIND__VOLUNTEER_DAY);
    a.ends_ms = a.starts_ms + 2 * HOUR + 20 * 60 * 1000; /* 2 h 20 min: to a quarter, 2.25 */
    Intake__Person p = INTAKE__PERSON__INIT;
    p.name = "志愿者";
    p.phone = "+86 139-0000-0001";
    p.email = "Vol@Example.CN";
    Intake__Registration r = INTAKE__REGISTRATION__INIT;
    r.activity_id = a.activity_id;
    r.registrant = &p;
    assert_true(activity_hours(&a, &r) == 0); /* no volunteer id: nothing to credit */
    r.volunteer_id = "VOL-000009";
    assert_true(activity_hours(&a, &r) == 2.25);
    a.volunteer_hours = 3.5;
    assert_true(activity_hours(&a, &r) == 3.5);
    a.kind = INTAKE__ACTIVITY_KIND__SALON;
    assert_true(activity_hours(&a, &r) == 0);
    char keys[3][ACTIVITY_DUP_KEY];
    size_t lens[3];
    assert_int_equal(activity_dup_keys(&r, keys, lens), 3);
    size_t idl = strlen(a.activity_id) + 1;
    assert_memory_equal(keys[0], "E20260102-000001\0p:13900000001", idl + 13);
    assert_int_equal(lens[0], idl + 13);
    assert_memory_equal(keys[1] + idl, "e:vol@example.cn", 16); /* any case */
    assert_memory_equal(keys[2] + idl, "v:VOL-000009", 12);
    /* the same phone written another way gives the same key */
    Intake__Person q = p;
    q.phone = "13900000001";
    q.email = "";
    Intake__Registration r2 = r;
    r2.registrant = &q;
    r2.volunteer_id = "";
    char k2[3][ACTIVITY_DUP_KEY];
    size_t l2[3];
    assert_int_equal(activity_dup_keys(&r2, k2, l2), 1);
    assert_int_equal(l2[0], lens[0]);
    assert_memory_equal(k2[0], keys[0], lens[0]);
    char id[64];
    activity_registration_id(id, sizeof id, a.activity_id, 7);
    assert_string_equal(id, "E20260102-000001-000007");
}

static void test_minutes(void **state)
{
    (void)state;
    hub_error_t err = {0};
    Intake__Activity a = s_activity(INTAKE__ACTIVITY_KIND__HEARING);
    assert_int_equal(activity_can_set_minutes(&a, "纪要", a.starts_ms - 1, &err), -1); /* not started */
    assert_int_equal(activity_can_set_minutes(&a, "纪要", a.starts_ms, &err), 0);
    assert_int_equal(activity_can_set_minutes(&a, "", a.starts_ms, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    a.kind = INTAKE__ACTIVITY_KIND__FORUM;
    assert_int_equal(activity_can_set_minutes(&a, "纪要", a.starts_ms, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_refusals), cmocka_unit_test(test_admit_and_states),
        cmocka_unit_test(test_registration_rules), cmocka_unit_test(test_checkin_window),
        cmocka_unit_test(test_hours_and_keys),     cmocka_unit_test(test_minutes),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
