/* Integration tests of the center's activities (issue #8): the real
 * hub-intake in a temp dir on ipc:// sockets. Registration up to capacity,
 * the waitlist, promotion on a cancellation (also with registrations
 * arriving concurrently), duplicates, check-in windows, the activity's
 * cancellation, minutes and opinions linked to a hearing. Waits are on
 * conditions with deadlines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "harness.h"
#include "hub_sub.h"
#include "hub_util.h"

static void *s_zctx;

static int s_setup(void **state)
{
    harness_t *h = calloc(1, sizeof *h);
    if (harness_init(h, NULL) || harness_start(h)) { free(h); return -1; }
    *state = h;
    return 0;
}

static int s_teardown(void **state)
{
    harness_t *h = *state;
    harness_fini(h);
    free(h);
    return 0;
}

/* Creates an activity; returns it (arena) or NULL with err. */
static Intake__Activity *s_create(hub_client_t *c, hub_arena_t *a, Intake__ActivityKind kind, uint32_t capacity,
                                  int64_t starts, int64_t ends, uint32_t audience, hub_error_t *err)
{
    Intake__Activity act = INTAKE__ACTIVITY__INIT;
    act.kind = kind;
    act.title = "社会组织财务规范化培训";
    act.place = "海曙区社会组织服务中心 三楼报告厅";
    act.street = "鼓楼街道";
    act.starts_ms = starts;
    act.ends_ms = ends;
    act.capacity = capacity;
    act.audience = audience;
    Intake__CreateActivityRequest req = INTAKE__CREATE_ACTIVITY_REQUEST__INIT;
    req.activity = &act;
    Intake__ActivityReply *rep;
    if (hub_client_call(c, "intake.activity.create", &req.base, &intake__activity_reply__descriptor, a,
                        (ProtobufCMessage **)&rep, err))
        return NULL;
    return rep->activity;
}

static Intake__Activity *s_activity(hub_client_t *c, hub_arena_t *a, const char *id)
{
    Intake__GetActivityRequest req = INTAKE__GET_ACTIVITY_REQUEST__INIT;
    req.activity_id = (char *)id;
    Intake__ActivityReply *rep;
    hub_error_t err = {0};
    if (hub_client_call(c, "intake.activity.get", &req.base, &intake__activity_reply__descriptor, a,
                        (ProtobufCMessage **)&rep, &err))
        return NULL;
    return rep->activity;
}

/* Registers person n (phone 1390000NNNN) under message id mid. Returns the
 * call's code; *rep (arena) on success. */
static int s_register(hub_client_t *c, hub_arena_t *a, const char *activity, int n, const char *mid,
                      const char *volunteer, Intake__RegisterReply **rep, hub_error_t *err)
{
    char name[32], phone[32];
    snprintf(name, sizeof name, "报名人%d", n);
    snprintf(phone, sizeof phone, "1390000%04d", n);
    Intake__Person p = INTAKE__PERSON__INIT;
    p.name = name;
    p.phone = phone;
    Intake__Registration r = INTAKE__REGISTRATION__INIT;
    r.activity_id = (char *)activity;
    r.channel = "wechat";
    r.message_id = (char *)mid;
    r.registrant = &p;
    r.consent_to_contact = 1;
    if (volunteer) r.volunteer_id = (char *)volunteer;
    Intake__RegisterRequest req = INTAKE__REGISTER_REQUEST__INIT;
    req.registration = &r;
    return hub_client_call(c, "intake.activity.register", &req.base, &intake__register_reply__descriptor, a,
                           (ProtobufCMessage **)rep, err);
}

static int s_unregister(hub_client_t *c, hub_arena_t *a, const char *reg, Intake__UnregisterReply **rep,
                        hub_error_t *err)
{
    Intake__UnregisterRequest req = INTAKE__UNREGISTER_REQUEST__INIT;
    req.registration_id = (char *)reg;
    req.reason = "临时有事";
    return hub_client_call(c, "intake.activity.unregister", &req.base, &intake__unregister_reply__descriptor, a,
                           (ProtobufCMessage **)rep, err);
}

static int s_checkin(hub_client_t *c, hub_arena_t *a, const char *reg, hub_error_t *err)
{
    Intake__CheckinRequest req = INTAKE__CHECKIN_REQUEST__INIT;
    req.registration_id = (char *)reg;
    Intake__RegistrationReply *rep;
    return hub_client_call(c, "intake.activity.checkin", &req.base, &intake__registration_reply__descriptor, a,
                           (ProtobufCMessage **)&rep, err);
}

static Intake__ListRegistrationsReply *s_regs(hub_client_t *c, hub_arena_t *a, const char *activity,
                                              Intake__RegistrationState state)
{
    Intake__ListRegistrationsRequest req = INTAKE__LIST_REGISTRATIONS_REQUEST__INIT;
    req.activity_id = (char *)activity;
    req.state = state;
    req.limit = 500;
    Intake__ListRegistrationsReply *rep;
    hub_error_t err = {0};
    if (hub_client_call(c, "intake.activity.registrations", &req.base,
                        &intake__list_registrations_reply__descriptor, a, (ProtobufCMessage **)&rep, &err))
        return NULL;
    return rep;
}

#define HOUR (3600 * 1000LL)

/* ---- capacity, waitlist, promotion ---- */
static void test_capacity_waitlist_promotion(void **state)
{
    harness_t *h = *state;
    hub_client_t *c = hub_client_new(s_zctx, h->api, NULL, 5000);
    hub_arena_t *a = hub_arena_new(4 << 20);
    hub_error_t err = {0};
    int64_t now = hub_now_ms();
    Intake__Activity *act = s_create(c, a, INTAKE__ACTIVITY_KIND__SALON, 2, now + 24 * HOUR, now + 26 * HOUR, 0, &err);
    assert_non_null(act);
    assert_int_equal(act->status, INTAKE__ACTIVITY_STATUS__SCHEDULED);
    assert_int_equal(act->audience, 7); /* 0 = everyone */
    assert_int_equal(act->registration_deadline_ms, act->starts_ms);
    char aid[32], reg[4][64];
    snprintf(aid, sizeof aid, "%s", act->activity_id);
    Intake__RegisterReply *rr;
    for (int i = 0; i < 4; i++) {
        char mid[16];
        snprintf(mid, sizeof mid, "r%d", i);
        assert_int_equal(s_register(c, a, aid, i, mid, NULL, &rr, &err), 0);
        snprintf(reg[i], sizeof reg[i], "%s", rr->registration->registration_id);
        assert_int_equal(rr->registration->state,
                         i < 2 ? INTAKE__REGISTRATION_STATE__CONFIRMED : INTAKE__REGISTRATION_STATE__WAITLISTED);
        assert_int_equal(rr->waitlist_position, i < 2 ? 0 : (uint32_t)i - 1);
        if (i) assert_true(strcmp(reg[i], reg[i - 1]) > 0);
    }
    act = s_activity(c, a, aid);
    assert_int_equal(act->confirmed, 2);
    assert_int_equal(act->waitlisted, 2);
    assert_int_equal(act->registrations, 4);
    /* a confirmed registrant cancels: the first on the waitlist moves up */
    Intake__UnregisterReply *ur;
    assert_int_equal(s_unregister(c, a, reg[0], &ur, &err), 0);
    assert_int_equal(ur->registration->state, INTAKE__REGISTRATION_STATE__WITHDRAWN);
    assert_non_null(ur->promoted);
    assert_string_equal(ur->promoted->registration_id, reg[2]);
    assert_int_equal(ur->promoted->state, INTAKE__REGISTRATION_STATE__CONFIRMED);
    assert_true(ur->promoted->promoted);
    /* the last one is now first on the waitlist */
    assert_int_equal(s_register(c, a, aid, 3, "r3", NULL, &rr, &err), 0);
    assert_true(rr->duplicate_submission);
    assert_int_equal(rr->waitlist_position, 1);
    /* a waitlisted registrant cancels: nobody moves up */
    assert_int_equal(s_unregister(c, a, reg[3], &ur, &err), 0);
    assert_null(ur->promoted);
    act = s_activity(c, a, aid);
    assert_int_equal(act->confirmed, 2);
    assert_int_equal(act->waitlisted, 0);
    /* withdrawing twice is an illegal transition */
    assert_int_equal(s_unregister(c, a, reg[3], &ur, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    /* a confirmed place is free again for a newcomer only after a cancellation: full now */
    assert_int_equal(s_register(c, a, aid, 9, "r9", NULL, &rr, &err), 0);
    assert_int_equal(rr->registration->state, INTAKE__REGISTRATION_STATE__WAITLISTED);
    Intake__ListRegistrationsReply *l = s_regs(c, a, aid, INTAKE__REGISTRATION_STATE__CONFIRMED);
    assert_non_null(l);
    assert_int_equal(l->n_registrations, 2);
    assert_string_equal(l->registrations[0]->registration_id, reg[1]);
    assert_string_equal(l->registrations[1]->registration_id, reg[2]);
    assert_int_equal(s_regs(c, a, aid, 0)->n_registrations, 5);
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
}

/* ---- concurrent registrations: never more than capacity ---- */
#define CONC_THREADS 8
#define CONC_EACH 6
#define CONC_CAPACITY 10
typedef struct {
    harness_t *h;
    const char *aid;
    int thread;
    int confirmed, waitlisted, failed;
    uint32_t positions[CONC_EACH];
} conc_t;

static void *s_conc(void *p)
{
    conc_t *k = p;
    hub_client_t *c = hub_client_new(s_zctx, k->h->api, NULL, 10000);
    hub_arena_t *a = hub_arena_new(1 << 20);
    for (int i = 0; i < CONC_EACH; i++) {
        char mid[32];
        snprintf(mid, sizeof mid, "c-%d-%d", k->thread, i);
        Intake__RegisterReply *rr;
        hub_error_t err = {0};
        hub_arena_reset(a);
        if (s_register(c, a, k->aid, 100 + k->thread * CONC_EACH + i, mid, NULL, &rr, &err)) { k->failed++; continue; }
        if (rr->registration->state == INTAKE__REGISTRATION_STATE__CONFIRMED) k->confirmed++;
        else k->waitlisted++;
        k->positions[i] = rr->waitlist_position;
    }
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
    return NULL;
}

static void test_concurrent_registrations(void **state)
{
    harness_t *h = *state;
    hub_client_t *c = hub_client_new(s_zctx, h->api, NULL, 5000);
    hub_arena_t *a = hub_arena_new(4 << 20);
    hub_error_t err = {0};
    int64_t now = hub_now_ms();
    Intake__Activity *act = s_create(c, a, INTAKE__ACTIVITY_KIND__FORUM, CONC_CAPACITY, now + 48 * HOUR,
                                     now + 50 * HOUR, INTAKE__AUDIENCE__PUBLIC, &err);
    assert_non_null(act);
    char aid[32];
    snprintf(aid, sizeof aid, "%s", act->activity_id);
    conc_t k[CONC_THREADS];
    pthread_t t[CONC_THREADS];
    for (int i = 0; i < CONC_THREADS; i++) {
        k[i] = (conc_t){.h = h, .aid = aid, .thread = i};
        assert_int_equal(pthread_create(&t[i], NULL, s_conc, &k[i]), 0);
    }
    int confirmed = 0, waitlisted = 0;
    bool seen[CONC_THREADS * CONC_EACH + 1] = {0};
    for (int i = 0; i < CONC_THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(k[i].failed, 0);
        confirmed += k[i].confirmed;
        waitlisted += k[i].waitlisted;
        for (int j = 0; j < CONC_EACH; j++) {
            uint32_t p = k[i].positions[j];
            if (!p) continue;
            assert_true(p <= CONC_THREADS * CONC_EACH);
            assert_false(seen[p]); /* each waitlist place handed out once */
            seen[p] = true;
        }
    }
    assert_int_equal(confirmed, CONC_CAPACITY);
    assert_int_equal(waitlisted, CONC_THREADS * CONC_EACH - CONC_CAPACITY);
    for (int p = 1; p <= waitlisted; p++) assert_true(seen[p]);
    act = s_activity(c, a, aid);
    assert_int_equal(act->confirmed, CONC_CAPACITY);
    assert_int_equal(act->waitlisted, waitlisted);
    /* the places went to the first registrations in registration order */
    Intake__ListRegistrationsReply *l = s_regs(c, a, aid, 0);
    assert_int_equal(l->n_registrations, CONC_THREADS * CONC_EACH);
    for (size_t i = 0; i < l->n_registrations; i++)
        assert_int_equal(l->registrations[i]->state,
                         i < CONC_CAPACITY ? INTAKE__REGISTRATION_STATE__CONFIRMED : INTAKE__REGISTRATION_STATE__WAITLISTED);
    /* cancellations arriving concurrently promote exactly as many, in order */
    char first[3][64];
    for (int i = 0; i < 3; i++) snprintf(first[i], sizeof first[i], "%s", l->registrations[i]->registration_id);
    for (int i = 0; i < 3; i++) {
        Intake__UnregisterReply *ur;
        assert_int_equal(s_unregister(c, a, first[i], &ur, &err), 0);
        assert_non_null(ur->promoted);
    }
    l = s_regs(c, a, aid, INTAKE__REGISTRATION_STATE__CONFIRMED);
    assert_int_equal(l->n_registrations, CONC_CAPACITY);
    assert_true(l->registrations[CONC_CAPACITY - 1]->promoted);
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
}

/* ---- duplicates, audience, bad input ---- */
static void test_duplicate_and_refusals(void **state)
{
    harness_t *h = *state;
    hub_client_t *c = hub_client_new(s_zctx, h->api, NULL, 5000);
    hub_arena_t *a = hub_arena_new(4 << 20);
    hub_error_t err = {0};
    int64_t now = hub_now_ms();
    Intake__Activity *act = s_create(c, a, INTAKE__ACTIVITY_KIND__TRAINING, 5, now + HOUR * 30, now + HOUR * 32,
                                     INTAKE__AUDIENCE__PUBLIC, &err);
    assert_non_null(act);
    char aid[32];
    snprintf(aid, sizeof aid, "%s", act->activity_id);
    Intake__RegisterReply *rr;
    assert_int_equal(s_register(c, a, aid, 1, "d1", NULL, &rr, &err), 0);
    char first[64];
    snprintf(first, sizeof first, "%s", rr->registration->registration_id);
    /* the same person under another message id: refused */
    assert_int_equal(s_register(c, a, aid, 1, "d2", NULL, &rr, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__ALREADY_EXISTS);
    assert_non_null(strstr(err.message, first));
    /* the same phone written differently is the same person */
    Intake__Person p = INTAKE__PERSON__INIT;
    p.name = "另一个名字";
    p.phone = "+86 139-0000-0001";
    Intake__Registration r = INTAKE__REGISTRATION__INIT;
    r.activity_id = aid;
    r.channel = "kiosk";
    r.message_id = "d3";
    r.registrant = &p;
    Intake__RegisterRequest req = INTAKE__REGISTER_REQUEST__INIT;
    req.registration = &r;
    assert_int_equal(hub_client_call(c, "intake.activity.register", &req.base, &intake__register_reply__descriptor,
                                     a, (ProtobufCMessage **)&rr, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__ALREADY_EXISTS);
    /* after withdrawing, the person may register again */
    Intake__UnregisterReply *ur;
    assert_int_equal(s_unregister(c, a, first, &ur, &err), 0);
    assert_int_equal(s_register(c, a, aid, 1, "d4", NULL, &rr, &err), 0);
    assert_string_not_equal(rr->registration->registration_id, first);
    /* refusals with stable codes */
    assert_int_equal(s_register(c, a, "E20990101-000001", 2, "x1", NULL, &rr, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__NOT_FOUND);
    p.phone = "";
    r.message_id = "x2";
    assert_int_equal(hub_client_call(c, "intake.activity.register", &req.base, &intake__register_reply__descriptor,
                                     a, (ProtobufCMessage **)&rr, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    assert_string_equal(err.field, "registrant.phone");
    /* a volunteers-only day needs a volunteer id */
    Intake__Activity *vd = s_create(c, a, INTAKE__ACTIVITY_KIND__VOLUNTEER_DAY, 5, now + HOUR, now + 4 * HOUR,
                                    INTAKE__AUDIENCE__VOLUNTEERS, &err);
    assert_non_null(vd);
    assert_int_equal(s_register(c, a, vd->activity_id, 3, "x3", NULL, &rr, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    assert_string_equal(err.field, "volunteer_id");
    assert_int_equal(s_register(c, a, vd->activity_id, 3, "x4", "VOL-000001", &rr, &err), 0);
    /* the same volunteer with another phone is still a duplicate */
    assert_int_equal(s_register(c, a, vd->activity_id, 4, "x5", "VOL-000001", &rr, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__ALREADY_EXISTS);
    /* invalid activities */
    assert_null(s_create(c, a, 99, 5, now + HOUR, now + 2 * HOUR, 0, &err));
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    assert_null(s_create(c, a, INTAKE__ACTIVITY_KIND__FORUM, 0, now + HOUR, now + 2 * HOUR, 0, &err));
    assert_string_equal(err.field, "capacity");
    assert_null(s_create(c, a, INTAKE__ACTIVITY_KIND__FORUM, 5, now + 2 * HOUR, now + HOUR, 0, &err));
    assert_string_equal(err.field, "ends_ms");
    assert_null(s_create(c, a, INTAKE__ACTIVITY_KIND__FORUM, 5, now + HOUR, now + 2 * HOUR, 64, &err));
    assert_string_equal(err.field, "audience");
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
}

/* ---- check-in windows ---- */
static bool s_past(void *p) { return hub_now_ms() > *(int64_t *)p; }

static void test_checkin(void **state)
{
    harness_t *h = *state;
    hub_client_t *c = hub_client_new(s_zctx, h->api, NULL, 5000);
    hub_arena_t *a = hub_arena_new(4 << 20);
    hub_error_t err = {0};
    int64_t now = hub_now_ms();
    /* starts in 3 hours: check-in is not open yet */
    Intake__Activity *later = s_create(c, a, INTAKE__ACTIVITY_KIND__TRAINING, 5, now + 3 * HOUR, now + 4 * HOUR, 0, &err);
    assert_non_null(later);
    Intake__RegisterReply *rr;
    assert_int_equal(s_register(c, a, later->activity_id, 1, "k0", NULL, &rr, &err), 0);
    assert_int_equal(s_checkin(c, a, rr->registration->registration_id, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    /* a volunteer day that has started and ends in 2 s */
    Intake__Activity *act = s_create(c, a, INTAKE__ACTIVITY_KIND__VOLUNTEER_DAY, 1, now - 3 * HOUR, now + 2000, 0, &err);
    assert_non_null(act);
    char aid[32];
    snprintf(aid, sizeof aid, "%s", act->activity_id);
    int64_t ends = act->ends_ms;
    char r1[64], r2[64], r3[64];
    /* registration closed at the start (deadline defaults to starts_ms) */
    assert_int_equal(s_register(c, a, aid, 1, "k1", "VOL-000007", &rr, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    /* an activity whose deadline is its end takes registrations while it runs */
    Intake__Activity on = INTAKE__ACTIVITY__INIT;
    on.kind = INTAKE__ACTIVITY_KIND__VOLUNTEER_DAY;
    on.title = "慈善义工日：月湖社区清洁";
    on.place = "月湖公园";
    on.starts_ms = now - 3 * HOUR;
    on.ends_ms = now + 2500;
    on.registration_deadline_ms = on.ends_ms;
    on.capacity = 2;
    Intake__CreateActivityRequest creq = INTAKE__CREATE_ACTIVITY_REQUEST__INIT;
    creq.activity = &on;
    Intake__ActivityReply *arep;
    assert_int_equal(hub_client_call(c, "intake.activity.create", &creq.base, &intake__activity_reply__descriptor, a,
                                     (ProtobufCMessage **)&arep, &err), 0);
    snprintf(aid, sizeof aid, "%s", arep->activity->activity_id);
    ends = arep->activity->ends_ms;
    assert_int_equal(s_register(c, a, aid, 1, "k2", "VOL-000007", &rr, &err), 0);
    snprintf(r1, sizeof r1, "%s", rr->registration->registration_id);
    assert_int_equal(s_register(c, a, aid, 2, "k3", "VOL-000008", &rr, &err), 0);
    snprintf(r2, sizeof r2, "%s", rr->registration->registration_id);
    assert_int_equal(rr->registration->state, INTAKE__REGISTRATION_STATE__CONFIRMED);
    assert_int_equal(s_register(c, a, aid, 3, "k4", "VOL-000009", &rr, &err), 0);
    snprintf(r3, sizeof r3, "%s", rr->registration->registration_id);
    assert_int_equal(rr->registration->state, INTAKE__REGISTRATION_STATE__WAITLISTED);
    /* checked in: ATTENDED, the day's length credited (3 h, to a quarter) */
    Intake__CheckinRequest req = INTAKE__CHECKIN_REQUEST__INIT;
    req.registration_id = r1;
    Intake__RegistrationReply *rep;
    assert_int_equal(hub_client_call(c, "intake.activity.checkin", &req.base, &intake__registration_reply__descriptor,
                                     a, (ProtobufCMessage **)&rep, &err), 0);
    assert_int_equal(rep->registration->state, INTAKE__REGISTRATION_STATE__ATTENDED);
    assert_true(rep->registration->hours_credited == 3.0);
    assert_true(rep->registration->checked_in_ms >= now);
    /* twice: refused; a waitlisted one: refused */
    assert_int_equal(s_checkin(c, a, r1, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    assert_int_equal(s_checkin(c, a, r3, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "WAITLISTED"));
    assert_int_equal(s_activity(c, a, aid)->attended, 1);
    /* after the end: a confirmed registrant's check-in is refused */
    assert_true(harness_wait(s_past, &ends, 10000));
    assert_int_equal(s_checkin(c, a, r2, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "ended"));
    Intake__UnregisterReply *ur;
    assert_int_equal(s_unregister(c, a, r2, &ur, &err), 1); /* ended: nothing to withdraw from */
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    Intake__Activity *after = s_activity(c, a, aid);
    assert_int_equal(after->attended, 1);
    assert_int_equal(after->confirmed, 2);
    assert_int_equal(s_checkin(c, a, "no-such-registration", &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__NOT_FOUND);
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
}

/* ---- cancellation of an activity: every registrant, one event each ---- */
static void test_cancel_activity_events(void **state)
{
    harness_t *h = *state;
    hub_client_t *c = hub_client_new(s_zctx, h->api, NULL, 5000);
    hub_arena_t *a = hub_arena_new(4 << 20);
    hub_error_t err = {0};
    Hub__StatusRequest sreq = HUB__STATUS_REQUEST__INIT;
    Hub__StatusReply *st;
    assert_int_equal(hub_client_call(c, "hub.status", &sreq.base, &hub__status_reply__descriptor, a,
                                     (ProtobufCMessage **)&st, &err), 0);
    uint64_t from = st->last_seq;
    int64_t now = hub_now_ms();
    Intake__Activity *act = s_create(c, a, INTAKE__ACTIVITY_KIND__CONSULTATION, 2, now + HOUR * 5, now + HOUR * 6, 0, &err);
    assert_non_null(act);
    char aid[32];
    snprintf(aid, sizeof aid, "%s", act->activity_id);
    Intake__RegisterReply *rr;
    char regs[4][64];
    for (int i = 0; i < 4; i++) {
        char mid[16];
        snprintf(mid, sizeof mid, "x%d", i);
        assert_int_equal(s_register(c, a, aid, 40 + i, mid, NULL, &rr, &err), 0);
        snprintf(regs[i], sizeof regs[i], "%s", rr->registration->registration_id);
    }
    Intake__UnregisterReply *ur;
    assert_int_equal(s_unregister(c, a, regs[3], &ur, &err), 0); /* withdrawn: not told again */
    Intake__AnnounceActivityRequest an = INTAKE__ANNOUNCE_ACTIVITY_REQUEST__INIT;
    an.activity_id = aid;
    an.text = "欢迎参加养老服务政策咨询会";
    Intake__ActivityReply *arep;
    assert_int_equal(hub_client_call(c, "intake.activity.announce", &an.base, &intake__activity_reply__descriptor, a,
                                     (ProtobufCMessage **)&arep, &err), 0);
    assert_true(arep->activity->announced_ms > 0);
    Intake__CancelActivityRequest cr = INTAKE__CANCEL_ACTIVITY_REQUEST__INIT;
    cr.activity_id = aid;
    assert_int_equal(hub_client_call(c, "intake.activity.cancel", &cr.base, &intake__activity_reply__descriptor, a,
                                     (ProtobufCMessage **)&arep, &err), 1);
    assert_string_equal(err.field, "reason");
    cr.reason = "场地维修，改期另行通知";
    assert_int_equal(hub_client_call(c, "intake.activity.cancel", &cr.base, &intake__activity_reply__descriptor, a,
                                     (ProtobufCMessage **)&arep, &err), 0);
    assert_int_equal(arep->activity->status, INTAKE__ACTIVITY_STATUS__ACTIVITY_CANCELLED);
    assert_int_equal(arep->activity->confirmed, 0);
    assert_int_equal(arep->activity->waitlisted, 0);
    /* cancelling again, registering, announcing: refused */
    assert_int_equal(hub_client_call(c, "intake.activity.cancel", &cr.base, &intake__activity_reply__descriptor, a,
                                     (ProtobufCMessage **)&arep, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    assert_int_equal(s_register(c, a, aid, 50, "x9", NULL, &rr, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    /* the events, read from intake's outbox through a real subscriber */
    hub_sub_t *sub = hub_sub_new(s_zctx, h->pub, h->api, NULL, 0, from);
    assert_non_null(sub);
    const char *want[] = {"intake.activity.created", "intake.registration.confirmed", "intake.registration.confirmed",
                          "intake.registration.waitlisted", "intake.registration.waitlisted",
                          "intake.registration.withdrawn", "intake.activity.announced", "intake.activity.cancelled",
                          "intake.registration.cancelled", "intake.registration.cancelled",
                          "intake.registration.cancelled"};
    size_t n_want = sizeof want / sizeof *want;
    hub_arena_t *ea = hub_arena_new(4 << 20);
    int told[3] = {0};
    for (size_t i = 0; i < n_want; i++) {
        Hub__Event *ev = NULL;
        hub_arena_reset(ea);
        int64_t deadline = hub_mono_ms() + 10000;
        int rc = 0;
        while (rc == 0 && hub_mono_ms() < deadline) rc = hub_sub_next(sub, 500, ea, &ev, &err);
        assert_int_equal(rc, 1);
        assert_string_equal(ev->topic, want[i]);
        if (!strcmp(ev->topic, "intake.registration.cancelled")) {
            Intake__RegistrationEvent *re = (Intake__RegistrationEvent *)protobuf_c_message_unpack(
                &intake__registration_event__descriptor, hub_arena_allocator(ea), ev->payload.len, ev->payload.data);
            assert_non_null(re);
            assert_int_equal(re->registration->state, INTAKE__REGISTRATION_STATE__ACTIVITY_CANCELLED_REG);
            assert_int_equal(re->activity->status, INTAKE__ACTIVITY_STATUS__ACTIVITY_CANCELLED);
            assert_string_equal(re->activity->cancel_reason, "场地维修，改期另行通知");
            assert_non_null(re->registration->registrant);
            assert_true(*re->registration->registrant->phone);
            for (int k = 0; k < 3; k++) told[k] += !strcmp(re->registration->registration_id, regs[k]);
        }
        if (!strcmp(ev->topic, "intake.activity.announced")) {
            Intake__ActivityEvent *ae = (Intake__ActivityEvent *)protobuf_c_message_unpack(
                &intake__activity_event__descriptor, hub_arena_allocator(ea), ev->payload.len, ev->payload.data);
            assert_non_null(ae);
            assert_string_equal(ae->text, "欢迎参加养老服务政策咨询会");
        }
    }
    for (int k = 0; k < 3; k++) assert_int_equal(told[k], 1);
    hub_sub_destroy(&sub);
    hub_arena_destroy(&ea);
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
}

/* ---- hearings: minutes and opinions linked to them ---- */
static void test_hearing_minutes_and_opinions(void **state)
{
    harness_t *h = *state;
    hub_client_t *c = hub_client_new(s_zctx, h->api, NULL, 5000);
    hub_arena_t *a = hub_arena_new(4 << 20);
    hub_error_t err = {0};
    int64_t now = hub_now_ms();
    Intake__Activity *later = s_create(c, a, INTAKE__ACTIVITY_KIND__HEARING, 50, now + HOUR, now + 3 * HOUR, 0, &err);
    assert_non_null(later);
    Intake__MinutesRequest mr = INTAKE__MINUTES_REQUEST__INIT;
    mr.activity_id = later->activity_id;
    mr.minutes = "会议纪要";
    Intake__ActivityReply *arep;
    assert_int_equal(hub_client_call(c, "intake.activity.minutes", &mr.base, &intake__activity_reply__descriptor, a,
                                     (ProtobufCMessage **)&arep, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION); /* not started */
    Intake__Activity *hearing = s_create(c, a, INTAKE__ACTIVITY_KIND__HEARING, 50, now - HOUR, now + HOUR, 0, &err);
    assert_non_null(hearing);
    char hid[32];
    snprintf(hid, sizeof hid, "%s", hearing->activity_id);
    mr.activity_id = hid;
    mr.minutes = "一、到会代表 32 人；二、主要意见：增加社区助餐点……";
    assert_int_equal(hub_client_call(c, "intake.activity.minutes", &mr.base, &intake__activity_reply__descriptor, a,
                                     (ProtobufCMessage **)&arep, &err), 0);
    assert_string_equal(s_activity(c, a, hid)->minutes, mr.minutes);
    /* a salon has no minutes */
    Intake__Activity *salon = s_create(c, a, INTAKE__ACTIVITY_KIND__SALON, 50, now - HOUR, now + HOUR, 0, &err);
    mr.activity_id = salon->activity_id;
    assert_int_equal(hub_client_call(c, "intake.activity.minutes", &mr.base, &intake__activity_reply__descriptor, a,
                                     (ProtobufCMessage **)&arep, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    /* an opinion given at the hearing, and one linked to it afterwards */
    Intake__Opinion o = INTAKE__OPINION__INIT;
    o.channel = "hotline";
    o.message_id = "op-1";
    o.anonymous = 1;
    o.topic = "助餐";
    o.street = "月湖街道";
    o.text = "希望增加社区助餐点";
    o.activity_id = hid;
    Intake__SubmitOpinionRequest sreq = INTAKE__SUBMIT_OPINION_REQUEST__INIT;
    sreq.opinion = &o;
    Intake__SubmitOpinionReply *srep;
    assert_int_equal(hub_client_call(c, "intake.opinion.submit", &sreq.base, &intake__submit_opinion_reply__descriptor,
                                     a, (ProtobufCMessage **)&srep, &err), 0);
    o.message_id = "op-2";
    o.activity_id = salon->activity_id; /* a salon takes no opinions */
    assert_int_equal(hub_client_call(c, "intake.opinion.submit", &sreq.base, &intake__submit_opinion_reply__descriptor,
                                     a, (ProtobufCMessage **)&srep, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    o.activity_id = "";
    assert_int_equal(hub_client_call(c, "intake.opinion.submit", &sreq.base, &intake__submit_opinion_reply__descriptor,
                                     a, (ProtobufCMessage **)&srep, &err), 0);
    char oid[32];
    snprintf(oid, sizeof oid, "%s", srep->opinion_id);
    Intake__LinkOpinionRequest lr = INTAKE__LINK_OPINION_REQUEST__INIT;
    lr.opinion_id = oid;
    Intake__LinkOpinionReply *lrep;
    assert_int_equal(hub_client_call(c, "intake.opinion.link", &lr.base, &intake__link_opinion_reply__descriptor, a,
                                     (ProtobufCMessage **)&lrep, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    lr.activity_id = hid;
    assert_int_equal(hub_client_call(c, "intake.opinion.link", &lr.base, &intake__link_opinion_reply__descriptor, a,
                                     (ProtobufCMessage **)&lrep, &err), 0);
    assert_string_equal(lrep->opinion->activity_id, hid);
    lr.opinion_id = "O20990101-000001";
    assert_int_equal(hub_client_call(c, "intake.opinion.link", &lr.base, &intake__link_opinion_reply__descriptor, a,
                                     (ProtobufCMessage **)&lrep, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__NOT_FOUND);
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
}

/* ---- personal data: a registrant's export, erasure and the retention purge ---- */
typedef struct {
    const char *path;
    const char *const *marks;
    size_t n;
} marks_t;

static bool s_no_marks(void *p)
{
    marks_t *m = p;
    return harness_file_holds(m->path, m->marks, m->n) == 0;
}

static void test_registration_privacy(void **state)
{
    harness_t *h = *state;
    hub_client_t *c = hub_client_new(s_zctx, h->api, NULL, 5000);
    hub_arena_t *a = hub_arena_new(4 << 20);
    hub_error_t err = {0};
    int64_t now = hub_now_ms();
    Intake__Activity *act = s_create(c, a, INTAKE__ACTIVITY_KIND__TRAINING, 1, now + 5 * HOUR, now + 6 * HOUR, 0, &err);
    assert_non_null(act);
    char aid[32];
    snprintf(aid, sizeof aid, "%s", act->activity_id);
    /* the subject (person 7777) holds the place, person 8888 waits */
    Intake__RegisterReply *rr;
    assert_int_equal(s_register(c, a, aid, 7777, "p1", NULL, &rr, &err), 0);
    char subject_reg[64];
    snprintf(subject_reg, sizeof subject_reg, "%s", rr->registration->registration_id);
    assert_int_equal(s_register(c, a, aid, 8888, "p2", NULL, &rr, &err), 0);
    char other_reg[64];
    snprintf(other_reg, sizeof other_reg, "%s", rr->registration->registration_id);
    assert_int_equal(rr->registration->state, INTAKE__REGISTRATION_STATE__WAITLISTED);
    Intake__Subject subj = INTAKE__SUBJECT__INIT;
    subj.phone = "+86 13900007777";
    Intake__SubjectExportRequest xq = INTAKE__SUBJECT_EXPORT_REQUEST__INIT;
    xq.subject = &subj;
    Intake__SubjectExportReply *xr;
    assert_int_equal(hub_client_call(c, "intake.subject.export", &xq.base, &intake__subject_export_reply__descriptor, a,
                                     (ProtobufCMessage **)&xr, &err), 0);
    assert_int_equal(xr->n_registrations, 1);
    assert_string_equal(xr->registrations[0]->registration_id, subject_reg);
    assert_string_equal(xr->registrations[0]->registrant->name, "报名人7777");
    Intake__SubjectEraseRequest eq = INTAKE__SUBJECT_ERASE_REQUEST__INIT;
    eq.subject = &subj;
    eq.reason = "ticket 8";
    Intake__SubjectEraseReply *er;
    assert_int_equal(hub_client_call(c, "intake.subject.erase", &eq.base, &intake__subject_erase_reply__descriptor, a,
                                     (ProtobufCMessage **)&er, &err), 0);
    assert_int_equal(er->n_registration_ids, 1);
    assert_string_equal(er->registration_ids[0], subject_reg);
    /* the place was withdrawn and went to the next on the waitlist */
    Intake__ListRegistrationsReply *l = s_regs(c, a, aid, 0);
    assert_int_equal(l->n_registrations, 2);
    assert_int_equal(l->registrations[0]->state, INTAKE__REGISTRATION_STATE__WITHDRAWN);
    assert_true(l->registrations[0]->anonymized_ms > 0);
    assert_string_equal(l->registrations[0]->registrant->name, "");
    assert_string_equal(l->registrations[0]->registrant->phone, "");
    assert_int_equal(l->registrations[1]->state, INTAKE__REGISTRATION_STATE__CONFIRMED);
    assert_true(l->registrations[1]->promoted);
    /* the raw store: no trace of the subject's name or phone once rewritten
     * (records, outbox events, duplicate index); the other person's stay */
    char path[512];
    snprintf(path, sizeof path, "%s/var/intake/data.mdb", h->dir);
    static const char *const gone[] = {"报名人7777", "13900007777"};
    static const char *const kept[] = {"报名人8888", "13900008888"};
    marks_t m = {path, gone, 2};
    if (!harness_wait(s_no_marks, &m, 15000))
        fail_msg("intake's data.mdb still holds %d of the subject's markers", harness_file_holds(path, gone, 2));
    assert_int_equal(harness_file_holds(path, kept, 2), 2);
    /* idempotent; the person may register again (the duplicate keys went) */
    assert_int_equal(hub_client_call(c, "intake.subject.erase", &eq.base, &intake__subject_erase_reply__descriptor, a,
                                     (ProtobufCMessage **)&er, &err), 0);
    assert_int_equal(er->n_registration_ids, 0);
    assert_int_equal(s_register(c, a, aid, 7777, "p3", NULL, &rr, &err), 0);
    /* retention: registrations of an activity that has ended are purged */
    Intake__Activity on = INTAKE__ACTIVITY__INIT;
    on.kind = INTAKE__ACTIVITY_KIND__FORUM;
    on.title = "公益讲坛";
    on.place = "天一阁";
    on.starts_ms = now - HOUR;
    on.ends_ms = hub_now_ms() + 1500;
    on.registration_deadline_ms = on.ends_ms;
    on.capacity = 5;
    Intake__CreateActivityRequest creq = INTAKE__CREATE_ACTIVITY_REQUEST__INIT;
    creq.activity = &on;
    Intake__ActivityReply *arep;
    assert_int_equal(hub_client_call(c, "intake.activity.create", &creq.base, &intake__activity_reply__descriptor, a,
                                     (ProtobufCMessage **)&arep, &err), 0);
    char pid[32];
    snprintf(pid, sizeof pid, "%s", arep->activity->activity_id);
    int64_t ends = arep->activity->ends_ms;
    assert_int_equal(s_register(c, a, pid, 5555, "p4", NULL, &rr, &err), 0);
    char past_reg[64];
    snprintf(past_reg, sizeof past_reg, "%s", rr->registration->registration_id);
    assert_true(harness_wait(s_past, &ends, 10000));
    Intake__PurgeRequest pq = INTAKE__PURGE_REQUEST__INIT;
    pq.older_than_ms = 1;
    Intake__PurgeReply *pr;
    assert_int_equal(hub_client_call(c, "intake.purge", &pq.base, &intake__purge_reply__descriptor, a,
                                     (ProtobufCMessage **)&pr, &err), 0);
    int found = 0;
    for (size_t i = 0; i < pr->n_registration_ids; i++) {
        assert_null(strstr(pr->registration_ids[i], aid)); /* the upcoming training's: untouched */
        found += !strcmp(pr->registration_ids[i], past_reg);
    }
    assert_int_equal(found, 1);
    l = s_regs(c, a, pid, 0);
    assert_string_equal(l->registrations[0]->registrant->name, "");
    l = s_regs(c, a, aid, INTAKE__REGISTRATION_STATE__CONFIRMED);
    assert_string_equal(l->registrations[0]->registrant->name, "报名人8888");
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
}

int main(void)
{
    s_zctx = zmq_ctx_new();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_capacity_waitlist_promotion, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_registrations, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_and_refusals, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_checkin, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_cancel_activity_events, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_hearing_minutes_and_opinions, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_registration_privacy, s_setup, s_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zmq_ctx_term(s_zctx);
    return rc;
}
