/* Integration test: a charity volunteer day (慈善义工日) credits the
 * volunteer's hours to the resource library exactly once. The real
 * hub-intake and hub-matching in one temp dir: a volunteer is added to
 * matching's library, a VOLUNTEER_DAY activity is created in intake, the
 * volunteer registers and checks in; matching (following intake's events)
 * adds the hours to the volunteer. A second check-in is refused by intake
 * and credits nothing; an attendance naming a volunteer the library does
 * not have is counted and skipped. Then the replay: matching is stopped,
 * its cursor on intake rewound to 0/0 in its own store (as after intake's
 * store was reset), started again; once it has caught up with intake's
 * last event the hours are unchanged. Waits are on conditions with
 * deadlines, never on sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "harness.h"
#include "hub_store.h"
#include "hub_sub.h"
#include "hub_util.h"
#include "intake.pb-c.h"
#include "matching.pb-c.h"

#define WAIT_MS 20000       /* deadline of one condition */
#define VOL_ID "VOL-HOURS"
#define HOURS 2.5

static void *s_zctx;

typedef struct {
    harness_t in;
    harness_t mt;
} pair_t;

static int s_setup(void **state)
{
    pair_t *p = calloc(1, sizeof *p);
    if (harness_init(&p->in, NULL)) { free(p); return -1; }
    if (harness_init_peer(&p->mt, &p->in, "matching", NULL) || harness_start(&p->in) || harness_start(&p->mt)) {
        harness_fini(&p->mt);
        harness_fini(&p->in);
        free(p);
        return -1;
    }
    *state = p;
    return 0;
}

static int s_teardown(void **state)
{
    pair_t *p = *state;
    int mrc = harness_stop(&p->mt, SIGTERM), irc = harness_stop(&p->in, SIGTERM);
    harness_fini(&p->mt);
    harness_fini(&p->in);
    free(p);
    if (mrc != 0 || irc != 0) {
        fprintf(stderr, "teardown: hub-matching exited %d, hub-intake exited %d\n", mrc, irc);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ calls */

/* Calls verb and asserts OK; the reply is unpacked into a. */
static void *s_ok(hub_client_t *c, const char *verb, const ProtobufCMessage *req,
                  const ProtobufCMessageDescriptor *d, hub_arena_t *a)
{
    ProtobufCMessage *rep = NULL;
    hub_error_t err = {0};
    int rc = hub_client_call(c, verb, req, d, a, &rep, &err);
    if (rc) fail_msg("%s: rc %d, %s field \"%s\": %s", verb, rc, hub_error_code_name(err.code), err.field, err.message);
    return rep;
}

/* Calls verb and asserts a refusal with code. */
static void s_refused(hub_client_t *c, const char *verb, const ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *d, Hub__ErrorCode code)
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    ProtobufCMessage *rep = NULL;
    hub_error_t err = {0};
    int rc = hub_client_call(c, verb, req, d, a, &rep, &err);
    hub_arena_destroy(&a);
    if (rc != 1 || err.code != code || !err.message[0])
        fail_msg("%s: expected %s, got rc %d %s field \"%s\": %s", verb, hub_error_code_name(code), rc,
                 hub_error_code_name(err.code), err.field, err.message);
}

static Hub__StatusReply *s_status(const char *api, hub_arena_t *a)
{
    hub_client_t *c = hub_client_new(s_zctx, api, NULL, 5000);
    Hub__StatusRequest req = HUB__STATUS_REQUEST__INIT;
    Hub__StatusReply *rep = NULL;
    hub_error_t err = {0};
    if (hub_client_call(c, "hub.status", &req.base, &hub__status_reply__descriptor, a, (ProtobufCMessage **)&rep,
                        &err))
        rep = NULL;
    hub_client_destroy(&c);
    return rep;
}

static uint64_t s_counter(const Hub__StatusReply *s, const char *name)
{
    for (size_t i = 0; s && i < s->n_counters; i++)
        if (!strcmp(s->counters[i]->name, name)) return s->counters[i]->value;
    return 0;
}

/* Matching's committed cursor on intake equals intake's (epoch, last seq). */
static bool s_caught_up(void *arg)
{
    const pair_t *p = arg;
    hub_arena_t *a = hub_arena_new(4 << 20);
    Hub__StatusReply *i = s_status(p->in.api, a), *m = s_status(p->mt.api, a);
    bool ok = false;
    for (size_t k = 0; i && m && k < m->n_subscriptions; k++)
        if (!strcmp(m->subscriptions[k]->publisher, "intake"))
            ok = m->subscriptions[k]->epoch == i->epoch && m->subscriptions[k]->seq == i->last_seq;
    hub_arena_destroy(&a);
    return ok;
}

/* ------------------------------------------------------------------ the library */

static void s_add_volunteer(hub_client_t *mt, hub_arena_t *a)
{
    Matching__Volunteer v = MATCHING__VOLUNTEER__INIT;
    Matching__Skill sk = MATCHING__SKILL__INIT, *sks[1] = {&sk};
    char *areas[1] = {"鼓楼街道"};
    sk.service = "elderly-care";
    v.id = VOL_ID;
    v.name = "周志愿";
    v.phone = "13900000077";
    v.skills = sks;
    v.n_skills = 1;
    v.areas = areas;
    v.n_areas = 1;
    v.max_open_cases = 2;
    Matching__PutVolunteerRequest pv = MATCHING__PUT_VOLUNTEER_REQUEST__INIT;
    pv.volunteer = &v;
    Matching__VolunteerReply *r = s_ok(mt, "matching.volunteer.add", &pv.base, &matching__volunteer_reply__descriptor, a);
    assert_true(r->volunteer->hours_served == 0);
    assert_true(r->volunteer->activity_hours == 0);
}

/* The volunteer as matching has it (arena a). */
static Matching__Volunteer *s_volunteer(hub_client_t *mt, hub_arena_t *a)
{
    Matching__GetProviderRequest q = MATCHING__GET_PROVIDER_REQUEST__INIT;
    q.id = VOL_ID;
    Matching__VolunteerReply *r = s_ok(mt, "matching.volunteer.get", &q.base, &matching__volunteer_reply__descriptor, a);
    return r->volunteer;
}

typedef struct {
    hub_client_t *mt;
    double want;
} hours_t;

static bool s_has_hours(void *arg)
{
    hours_t *h = arg;
    hub_arena_t *a = hub_arena_new(1 << 20);
    Matching__Volunteer *v = s_volunteer(h->mt, a);
    bool ok = v->activity_hours == h->want;
    hub_arena_destroy(&a);
    return ok;
}

/* ------------------------------------------------------------------ intake */

/* A VOLUNTEER_DAY in 鼓楼街道 starting in 10 minutes (registration is open
 * until the start; check-in from 2 hours before it), HOURS per attendance.
 * Its id goes to id. */
static void s_create_day(hub_client_t *in, hub_arena_t *a, char id[64])
{
    Intake__Activity act = INTAKE__ACTIVITY__INIT;
    int64_t now = hub_now_ms();
    act.kind = INTAKE__ACTIVITY_KIND__VOLUNTEER_DAY;
    act.title = "慈善义工日：社区助老";
    act.starts_ms = now + 10 * 60000;
    act.ends_ms = act.starts_ms + 3 * 3600000;
    act.place = "海曙区社会组织服务中心 一楼大厅";
    act.street = "鼓楼街道";
    act.capacity = 10;
    act.volunteer_hours = HOURS;
    Intake__CreateActivityRequest q = INTAKE__CREATE_ACTIVITY_REQUEST__INIT;
    q.activity = &act;
    Intake__ActivityReply *r = s_ok(in, "intake.activity.create", &q.base, &intake__activity_reply__descriptor, a);
    assert_non_null(r->activity);
    assert_true(*r->activity->activity_id);
    snprintf(id, 64, "%s", r->activity->activity_id);
}

/* Registers (message id mid) a person (name, phone) who is volunteer vol
 * of the library; the registration id goes to id. */
static void s_register(hub_client_t *in, hub_arena_t *a, const char *act, const char *mid, const char *name,
                       const char *phone, const char *vol, char id[64])
{
    Intake__Person who = INTAKE__PERSON__INIT;
    who.name = (char *)name;
    who.phone = (char *)phone;
    Intake__Registration r = INTAKE__REGISTRATION__INIT;
    r.activity_id = (char *)act;
    r.channel = "wechat";
    r.message_id = (char *)mid;
    r.registrant = &who;
    r.volunteer_id = (char *)vol;
    r.consent_to_contact = true;
    Intake__RegisterRequest q = INTAKE__REGISTER_REQUEST__INIT;
    q.registration = &r;
    Intake__RegisterReply *rep = s_ok(in, "intake.activity.register", &q.base, &intake__register_reply__descriptor, a);
    assert_non_null(rep->registration);
    assert_int_equal(rep->registration->state, INTAKE__REGISTRATION_STATE__CONFIRMED);
    snprintf(id, 64, "%s", rep->registration->registration_id);
}

static Intake__Registration *s_checkin(hub_client_t *in, hub_arena_t *a, const char *reg)
{
    Intake__CheckinRequest q = INTAKE__CHECKIN_REQUEST__INIT;
    q.registration_id = (char *)reg;
    Intake__RegistrationReply *r =
        s_ok(in, "intake.activity.checkin", &q.base, &intake__registration_reply__descriptor, a);
    assert_non_null(r->registration);
    return r->registration;
}

/* ------------------------------------------------------------------ the test */

static void test_hours_credited_once(void **state)
{
    pair_t *p = *state;
    hub_client_t *in = hub_client_new(s_zctx, p->in.api, NULL, 15000);
    hub_client_t *mt = hub_client_new(s_zctx, p->mt.api, NULL, 15000);
    hub_arena_t *a = hub_arena_new(8 << 20);
    s_add_volunteer(mt, a);
    char act[64], reg[64], stranger[64];
    s_create_day(in, a, act);
    s_register(in, a, act, "hours-1", "周志愿", "13900000077", VOL_ID, reg);
    s_register(in, a, act, "hours-2", "吴不在", "13900000078", "VOL-NOBODY", stranger);   /* not in the library */

    /* check-in: intake credits the day's hours, matching adds them */
    Intake__Registration *r = s_checkin(in, a, reg);
    assert_int_equal(r->state, INTAKE__REGISTRATION_STATE__ATTENDED);
    assert_true(r->hours_credited == HOURS);
    s_checkin(in, a, stranger);
    hours_t h = {mt, HOURS};
    assert_true(harness_wait(s_has_hours, &h, WAIT_MS));
    assert_true(harness_wait(s_caught_up, p, WAIT_MS));
    hub_arena_reset(a);
    Matching__Volunteer *v = s_volunteer(mt, a);
    assert_true(v->hours_served == HOURS);   /* hours_served includes the activity's */
    assert_true(v->activity_hours == HOURS);
    Hub__StatusReply *st = s_status(p->mt.api, a);
    assert_int_equal(s_counter(st, "activity_credits_total"), 1);
    assert_int_equal(s_counter(st, "activity_credits_unknown_volunteer_total"), 1);   /* logged, skipped */

    /* a second check-in is refused and credits nothing */
    Intake__CheckinRequest again = INTAKE__CHECKIN_REQUEST__INIT;
    again.registration_id = reg;
    s_refused(in, "intake.activity.checkin", &again.base, &intake__registration_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION);
    assert_true(harness_wait(s_caught_up, p, WAIT_MS));
    hub_arena_reset(a);
    v = s_volunteer(mt, a);
    assert_true(v->activity_hours == HOURS);
    assert_true(v->hours_served == HOURS);

    /* the replay: matching's cursor on intake back to 0/0 (as when intake's
     * store is reset), every event of intake applied again */
    hub_client_destroy(&mt);
    assert_int_equal(harness_stop(&p->mt, SIGTERM), 0);
    char dir[400];
    snprintf(dir, sizeof dir, "%s/var/matching", p->in.dir);
    const char *const names[] = {"credits", NULL};
    hub_error_t err = {0};
    hub_store_t *store = hub_store_open_schema(dir, 1024u << 20, names, NULL, &err);
    if (!store) fail_msg("matching's store: %s", err.message);
    MDB_txn *txn;
    uint64_t epoch = 0, seq = 0;
    assert_int_equal(mdb_txn_begin(store->env, NULL, 0, &txn), 0);
    assert_int_equal(hub_sub_cursor_load(store, txn, "intake", &epoch, &seq), 0);
    assert_true(seq >= 4);   /* created, 2 registrations, 2 check-ins */
    assert_int_equal(hub_sub_cursor_put(store, txn, "intake", 0, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    hub_store_close(&store);
    assert_int_equal(harness_start(&p->mt), 0);
    mt = hub_client_new(s_zctx, p->mt.api, NULL, 15000);
    assert_true(harness_wait(s_caught_up, p, WAIT_MS));
    hub_arena_reset(a);
    v = s_volunteer(mt, a);
    assert_true(v->activity_hours == HOURS);   /* credited once */
    assert_true(v->hours_served == HOURS);
    st = s_status(p->mt.api, a);
    assert_int_equal(s_counter(st, "activity_credits_total"), 0);            /* since this start */
    assert_int_equal(s_counter(st, "activity_credits_replayed_total"), 2);   /* both attendances seen again */
    assert_int_equal(s_counter(st, "activity_credits_unknown_volunteer_total"), 0);   /* no second warning */

    hub_arena_destroy(&a);
    hub_client_destroy(&in);
    hub_client_destroy(&mt);
}

int main(void)
{
    s_zctx = zmq_ctx_new();
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hours_credited_once, s_setup, s_teardown),
    };
    /* the context is not terminated: a failed test may leave a socket open */
    return cmocka_run_group_tests_name("it_activity_hours", tests, NULL, NULL);
}
