/* Integration test: offer deadlines live in matching's store and survive a
 * restart (clean stop and kill -9). Real hub-intake and hub-matching in a
 * temp dir on ipc://; waits are on conditions with deadlines. */
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
#include "hub_util.h"
#include "matching.pb-c.h"

#define WAIT_MS 20000

static void *s_zctx;

/* Adds an approved community group offering elderly-care in 鼓楼街道. */
static void s_add_org(hub_client_t *c, hub_arena_t *a, const char *id, const char *name)
{
    static char *svc[] = {"elderly-care"}, *area[] = {"鼓楼街道"};
    Matching__Organization o = MATCHING__ORGANIZATION__INIT;
    Matching__Capacity cap = MATCHING__CAPACITY__INIT;
    cap.available = cap.maximum = 2;
    o.id = (char *)id;
    o.name = (char *)name;
    o.legal_form = MATCHING__LEGAL_FORM__COMMUNITY_GROUP;
    o.membership = MATCHING__MEMBERSHIP__APPROVED;
    o.services = svc;
    o.n_services = 1;
    o.areas = area;
    o.n_areas = 1;
    o.capacity = &cap;
    Matching__PutOrganizationRequest q = MATCHING__PUT_ORGANIZATION_REQUEST__INIT;
    q.org = &o;
    ProtobufCMessage *rep;
    hub_error_t err = {0};
    assert_int_equal(hub_client_call(c, "matching.org.add", &q.base, &matching__organization_reply__descriptor, a,
                                     &rep, &err), 0);
}

/* The referral of id, or NULL (not yet made). */
static Matching__Referral *s_referral(hub_client_t *c, hub_arena_t *a, const char *id)
{
    Matching__GetReferralRequest q = MATCHING__GET_REFERRAL_REQUEST__INIT;
    q.request_id = (char *)id;
    Matching__ReferralReply *rep;
    hub_error_t err = {0};
    if (hub_client_call(c, "matching.referral.get", &q.base, &matching__referral_reply__descriptor, a,
                        (ProtobufCMessage **)&rep, &err))
        return NULL;
    return rep->referral;
}

/* Waits (deadline WAIT_MS) until the referral's current provider is want. */
typedef struct {
    const char *api, *id, *want;
    hub_arena_t *a;
    Matching__Referral *r;
} wait_t;

static bool s_offered_to(void *arg)
{
    wait_t *w = arg;
    hub_arena_reset(w->a);
    hub_client_t *c = hub_client_new(s_zctx, w->api, NULL, 2000);
    w->r = s_referral(c, w->a, w->id);
    hub_client_destroy(&c);
    return w->r && !strcmp(w->r->provider_id, w->want);
}

static Matching__Referral *s_wait_provider(const char *api, const char *id, const char *want)
{
    static hub_arena_t *a;
    if (!a) a = hub_arena_new(4 << 20);
    wait_t w = {api, id, want, a, NULL};
    if (!harness_wait(s_offered_to, &w, WAIT_MS)) fail_msg("referral %s never offered to %s", id, want);
    return w.r;
}

/* True once the wall clock is past *(int64_t *)arg. */
static bool s_past(void *arg)
{
    return hub_now_ms() > *(const int64_t *)arg;
}

static void s_run(int stop_signal)
{
    harness_t in, mt;
    assert_int_equal(harness_init(&in, NULL), 0);
    assert_int_equal(harness_init_peer(&mt, &in, "matching", "offer_timeout_s = 2\nexpire_check_ms = 20\n"), 0);
    assert_int_equal(harness_start(&in), 0);
    assert_int_equal(harness_start(&mt), 0);
    hub_arena_t *a = hub_arena_new(4 << 20);
    hub_client_t *mc = hub_client_new(s_zctx, mt.api, NULL, 5000);
    s_add_org(mc, a, "ORG-A", "甲");
    s_add_org(mc, a, "ORG-B", "乙");
    hub_client_destroy(&mc);

    hub_client_t *ic = hub_client_new(s_zctx, in.api, NULL, 5000);
    Intake__SubmitReply *sr;
    hub_error_t err = {0};
    assert_int_equal(hub_client_call(ic, "intake.submit", &harness_request(a, "web", "m1")->base,
                                     &intake__submit_reply__descriptor, a, (ProtobufCMessage **)&sr, &err), 0);
    hub_client_destroy(&ic);
    char id[64];
    snprintf(id, sizeof id, "%s", sr->service_request_id);

    /* the first offer (ORG-A: same score, first in index order) */
    Matching__Referral *r = s_wait_provider(mt.api, id, "ORG-A");
    int64_t deadline = r->offers[r->n_offers - 1]->deadline_ms;
    assert_true(deadline > hub_now_ms());

    /* matching is down across the deadline */
    int rc = harness_stop(&mt, stop_signal);
    assert_int_equal(rc, stop_signal == SIGKILL ? 128 + SIGKILL : 0);
    int64_t past = deadline + 50;
    assert_true(harness_wait(s_past, &past, WAIT_MS));
    assert_int_equal(harness_start(&mt), 0);

    /* the stored deadline fires after the restart: ORG-A expired, ORG-B offered */
    r = s_wait_provider(mt.api, id, "ORG-B");
    assert_int_equal(r->n_offers, 2);
    assert_string_equal(r->offers[0]->provider_id, "ORG-A");
    assert_int_equal(r->offers[0]->state, MATCHING__OFFER_STATE__OFFER_EXPIRED);
    assert_true(r->offers[0]->decided_ms >= deadline);
    assert_int_equal(r->offers[1]->state, MATCHING__OFFER_STATE__OFFER_PENDING);

    assert_int_equal(harness_stop(&mt, SIGTERM), 0);
    assert_int_equal(harness_stop(&in, SIGTERM), 0);
    harness_fini(&mt);
    harness_fini(&in);
    hub_arena_destroy(&a);
}

static void test_deadline_survives_clean_restart(void **state)
{
    (void)state;
    s_run(SIGTERM);
}

static void test_deadline_survives_kill9(void **state)
{
    (void)state;
    s_run(SIGKILL);
}

int main(void)
{
    s_zctx = zmq_ctx_new();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadline_survives_clean_restart),
        cmocka_unit_test(test_deadline_survives_kill9),
    };
    int rc = cmocka_run_group_tests_name("it_matching_deadline", tests, NULL, NULL);
    zmq_ctx_term(s_zctx);
    return rc;
}
