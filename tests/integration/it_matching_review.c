/* Integration tests for the findings of a code review of hub-matching:
 * internal verbs unreachable from outside, capacity never above maximum
 * minus open cases after the maximum is lowered, and library commands
 * that survive a map growth (their batch runs twice). Real hub-intake and
 * hub-matching in a temp dir on ipc://; waits on conditions with deadlines. */
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
#include "hub_bus.h"
#include "hub_util.h"
#include "matching.pb-c.h"

#define WAIT_MS 20000

static void *s_zctx;

typedef struct {
    harness_t in, mt;
} pair_t;

static void s_start(pair_t *p, const char *matching_extra)
{
    assert_int_equal(harness_init(&p->in, NULL), 0);
    assert_int_equal(harness_init_peer(&p->mt, &p->in, "matching", matching_extra), 0);
    assert_int_equal(harness_start(&p->in), 0);
    assert_int_equal(harness_start(&p->mt), 0);
}

static void s_stop(pair_t *p)
{
    assert_int_equal(harness_stop(&p->mt, SIGTERM), 0);
    assert_int_equal(harness_stop(&p->in, SIGTERM), 0);
    harness_fini(&p->mt);
    harness_fini(&p->in);
}

/* An approved community group offering elderly-care in 鼓楼街道. */
static Matching__Organization *s_org(hub_arena_t *a, const char *id, uint32_t max)
{
    static char *svc[] = {"elderly-care"}, *area[] = {"鼓楼街道"};
    Matching__Organization *o = hub_arena_alloc(a, sizeof *o);
    Matching__Capacity *cap = hub_arena_alloc(a, sizeof *cap);
    matching__organization__init(o);
    matching__capacity__init(cap);
    cap->available = cap->maximum = max;
    o->id = id ? hub_arena_strdup(a, id) : "";
    o->name = "海曙区测试社会组织";
    o->legal_form = MATCHING__LEGAL_FORM__COMMUNITY_GROUP;
    o->membership = MATCHING__MEMBERSHIP__APPROVED;
    o->services = svc;
    o->n_services = 1;
    o->areas = area;
    o->n_areas = 1;
    o->capacity = max ? cap : NULL;
    return o;
}

static void *s_call(const char *api, const char *verb, const ProtobufCMessage *q,
                    const ProtobufCMessageDescriptor *d, hub_arena_t *a, hub_error_t *err)
{
    hub_client_t *c = hub_client_new(s_zctx, api, NULL, 15000); /* a deadline, not a latency check */
    ProtobufCMessage *rep = NULL;
    int rc = hub_client_call(c, verb, q, d, a, &rep, err);
    hub_client_destroy(&c);
    return rc ? NULL : rep;
}

static Matching__Organization *s_get_org(const char *api, hub_arena_t *a, const char *id)
{
    Matching__GetProviderRequest q = MATCHING__GET_PROVIDER_REQUEST__INIT;
    q.id = (char *)id;
    hub_error_t err = {0};
    Matching__OrganizationReply *r = s_call(api, "matching.org.get", &q.base, &matching__organization_reply__descriptor,
                                            a, &err);
    if (!r) fail_msg("org.get %s: %s", id, err.message);
    return r->org;
}

static char *s_submit(const char *api, hub_arena_t *a, const char *mid)
{
    hub_error_t err = {0};
    Intake__SubmitReply *r = s_call(api, "intake.submit", &harness_request(a, "web", mid)->base,
                                    &intake__submit_reply__descriptor, a, &err);
    if (!r) fail_msg("submit: %s", err.message);
    return r->service_request_id;
}

/* Waits (deadline WAIT_MS) until the referral of id has status want. */
typedef struct {
    const char *api, *id;
    hub_arena_t *a;
    Matching__ReferralStatus want;
    Matching__Referral *r;
} wait_t;

static bool s_has_status(void *arg)
{
    wait_t *w = arg;
    Matching__GetReferralRequest q = MATCHING__GET_REFERRAL_REQUEST__INIT;
    q.request_id = (char *)w->id;
    hub_error_t err = {0};
    Matching__ReferralReply *r = s_call(w->api, "matching.referral.get", &q.base,
                                        &matching__referral_reply__descriptor, w->a, &err);
    w->r = r ? r->referral : NULL;
    return w->r && w->r->status == w->want;
}

static Matching__Referral *s_wait_status(const char *api, hub_arena_t *a, const char *id,
                                         Matching__ReferralStatus want)
{
    wait_t w = {api, id, a, want, NULL};
    if (!harness_wait(s_has_status, &w, WAIT_MS)) fail_msg("referral %s never reached status %d", id, want);
    return w.r;
}

static void s_respond(const char *api, hub_arena_t *a, const char *id, const char *provider, const char *action)
{
    Matching__RespondRequest q = MATCHING__RESPOND_REQUEST__INIT;
    q.request_id = (char *)id;
    q.provider_id = (char *)provider;
    q.action = (char *)action;
    q.outcome = MATCHING__OUTCOME__GOT_HELP;
    hub_error_t err = {0};
    if (!s_call(api, "matching.referral.respond", &q.base, &matching__referral_reply__descriptor, a, &err))
        fail_msg("%s %s: %s %s", action, id, hub_error_code_name(err.code), err.message);
}

static void s_check_capacity(const Matching__Organization *o)
{
    uint32_t open = o->stats ? o->stats->open_cases : 0;
    uint32_t room = o->capacity->maximum > open ? o->capacity->maximum - open : 0;
    if (o->capacity->available > room)
        fail_msg("%s: available %u > maximum %u - open %u", o->id, o->capacity->available, o->capacity->maximum,
                 open);
}

/* matching.expire and hub.feed.intake are the daemon's own: a local peer
 * on the (trusted, ipc) api endpoint gets NOT_FOUND, and a forged feed
 * event or a tick from the future changes nothing. */
static void test_internal_verbs_unreachable(void **state)
{
    (void)state;
    pair_t p;
    s_start(&p, NULL);
    hub_arena_t *a = hub_arena_new(4 << 20);
    Hub__Tick tick = HUB__TICK__INIT;
    tick.now_ms = hub_now_ms() + 10LL * 86400000;
    Hub__FeedEvent fe = HUB__FEED_EVENT__INIT;
    fe.publisher = "intake";
    fe.seq = 1;
    const char *verbs[] = {"matching.expire", "hub.feed.intake"};
    const ProtobufCMessage *msgs[] = {&tick.base, &fe.base};
    for (int i = 0; i < 2; i++) {
        hub_error_t err = {0};
        assert_null(s_call(p.mt.api, verbs[i], msgs[i], &hub__tick_reply__descriptor, a, &err));
        assert_int_equal(err.code, HUB__ERROR_CODE__NOT_FOUND);
        assert_string_equal(err.field, "verb");
    }
    hub_arena_destroy(&a);
    s_stop(&p);
}

/* maximum 3 with 3 units reserved, lowered to 1: releases never lift
 * available above maximum - open cases, and no offer goes out until the
 * open cases are below the new maximum. */
static void test_lowered_maximum_never_oversubscribed(void **state)
{
    (void)state;
    pair_t p;
    s_start(&p, NULL);
    hub_arena_t *a = hub_arena_new(8 << 20);
    Matching__PutOrganizationRequest q = MATCHING__PUT_ORGANIZATION_REQUEST__INIT;
    q.org = s_org(a, "ORG-CAP", 3);
    hub_error_t err = {0};
    assert_non_null(s_call(p.mt.api, "matching.org.add", &q.base, &matching__organization_reply__descriptor, a, &err));
    char *ids[4];
    for (int i = 0; i < 3; i++) {
        char mid[16];
        snprintf(mid, sizeof mid, "cap-%d", i);
        ids[i] = s_submit(p.in.api, a, mid);
        s_wait_status(p.mt.api, a, ids[i], MATCHING__REFERRAL_STATUS__REQUESTED);
    }
    Matching__Organization *o = s_get_org(p.mt.api, a, "ORG-CAP");
    assert_int_equal(o->capacity->available, 0);
    assert_int_equal(o->stats->open_cases, 3);
    /* the operator lowers the maximum to 1 */
    o->capacity->maximum = 1;
    o->capacity->available = 1;
    q.org = o;
    assert_non_null(s_call(p.mt.api, "matching.org.update", &q.base, &matching__organization_reply__descriptor, a, &err));
    s_check_capacity(s_get_org(p.mt.api, a, "ORG-CAP"));
    for (int i = 0; i < 2; i++) {
        s_respond(p.mt.api, a, ids[i], "ORG-CAP", "accept");
        s_check_capacity(s_get_org(p.mt.api, a, "ORG-CAP"));
        s_respond(p.mt.api, a, ids[i], "ORG-CAP", "complete");
        o = s_get_org(p.mt.api, a, "ORG-CAP");
        s_check_capacity(o);
    }
    assert_int_equal(o->stats->open_cases, 1);
    assert_int_equal(o->capacity->available, 0);
    /* one case still open with maximum 1: a new request is not offered to it */
    ids[3] = s_submit(p.in.api, a, "cap-3");
    Matching__Referral *r = s_wait_status(p.mt.api, a, ids[3], MATCHING__REFERRAL_STATUS__REJECTED);
    assert_int_equal(r->n_offers, 0);
    s_check_capacity(s_get_org(p.mt.api, a, "ORG-CAP"));
    hub_arena_destroy(&a);
    s_stop(&p);
}

/* A 1 MiB map: 600 org.add, 50 in flight (no ids, half without capacity) fill
 * it, the batch runs again after the growth; every add is answered OK with
 * its own generated id, all 60 are stored, and the daemon keeps serving. */
static void test_library_commands_survive_map_growth(void **state)
{
    (void)state;
    pair_t p;
    s_start(&p, "map_size_mb = 1\n");
    hub_arena_t *a = hub_arena_new(16 << 20);
    void *d = zmq_socket(s_zctx, ZMQ_DEALER);
    zmq_connect(d, p.mt.api);
    enum { N = 600, WINDOW = 50 };
    static char seen[N][32];
    for (int base = 0; base < N; base += WINDOW) {
        for (int i = base; i < base + WINDOW; i++) {
            hub_arena_reset(a);
            Matching__PutOrganizationRequest q = MATCHING__PUT_ORGANIZATION_REQUEST__INIT;
            q.org = s_org(a, NULL, i % 2 ? 4 : 0);
            /* a long description makes each record a few KiB */
            char *desc = hub_arena_alloc(a, 1501);
            memset(desc, 'x', 1500);
            desc[1500] = 0;
            q.org->description = desc;
            size_t len = matching__put_organization_request__get_packed_size(&q);
            uint8_t *buf = hub_arena_alloc(a, len + 1);
            matching__put_organization_request__pack(&q, buf);
            zmq_send(d, "", 0, ZMQ_SNDMORE);
            zmq_send(d, "matching.org.add", 16, ZMQ_SNDMORE);
            zmq_send(d, buf, len, 0);
        }
        for (int i = base; i < base + WINDOW; i++) {
            zmq_pollitem_t it = {d, 0, ZMQ_POLLIN, 0};
            if (zmq_poll(&it, 1, WAIT_MS) != 1) fail_msg("no answer to org.add %d (daemon gone?)", i);
            zmq_msg_t f[3];
            int n = hub_zmq_recv(d, f, 3, 0, NULL);
            assert_int_equal(n, 3);
            if (zmq_msg_size(&f[1]) != 2) {
                hub_error_t err = {0};
                hub_wire_error_decode(zmq_msg_data(&f[2]), zmq_msg_size(&f[2]), &err);
                fail_msg("org.add %d refused: %s %s", i, hub_error_code_name(err.code), err.message);
            }
            Matching__OrganizationReply *r = matching__organization_reply__unpack(NULL, zmq_msg_size(&f[2]),
                                                                                   zmq_msg_data(&f[2]));
            assert_non_null(r);
            assert_true(strlen(r->org->id) > 4 && !strncmp(r->org->id, "ORG-", 4));
            snprintf(seen[i], sizeof seen[i], "%s", r->org->id);
            matching__organization_reply__free_unpacked(r, NULL);
            hub_zmq_close(f, n);
        }
    }
    for (int i = 1; i < N; i++) /* ids are handed out in order, so distinct ones increase */
        assert_true(strcmp(seen[i - 1], seen[i]) < 0);
    zmq_close(d);
    /* all stored, each readable under its id */
    for (int i = 0; i < N; i++) {
        hub_arena_reset(a);
        Matching__Organization *o = s_get_org(p.mt.api, a, seen[i]);
        assert_string_equal(o->id, seen[i]);
        assert_int_equal((int)strlen(o->description), 1500);
    }
    hub_arena_destroy(&a);
    s_stop(&p);
}

/* A request nobody could take waits in the queue; once a provider joins,
 * matching.queue.retry offers it (out of the queue, unmet not counted
 * twice); a second retry finds nothing to do. */
static void test_queue_retry_after_library_change(void **state)
{
    (void)state;
    pair_t p;
    s_start(&p, NULL);
    hub_arena_t *a = hub_arena_new(8 << 20);
    char *id = s_submit(p.in.api, a, "q-1");
    s_wait_status(p.mt.api, a, id, MATCHING__REFERRAL_STATUS__REJECTED);
    Matching__PutOrganizationRequest q = MATCHING__PUT_ORGANIZATION_REQUEST__INIT;
    q.org = s_org(a, "ORG-NEW", 2);
    hub_error_t err = {0};
    assert_non_null(s_call(p.mt.api, "matching.org.add", &q.base, &matching__organization_reply__descriptor, a, &err));
    Matching__RetryQueueRequest rq = MATCHING__RETRY_QUEUE_REQUEST__INIT;
    Matching__RetryQueueReply *rr = s_call(p.mt.api, "matching.queue.retry", &rq.base,
                                           &matching__retry_queue_reply__descriptor, a, &err);
    assert_non_null(rr);
    assert_int_equal(rr->retried, 1);
    assert_int_equal(rr->offered, 1);
    Matching__Referral *r = s_wait_status(p.mt.api, a, id, MATCHING__REFERRAL_STATUS__REQUESTED);
    assert_string_equal(r->provider_id, "ORG-NEW");
    /* out of the queue */
    Matching__ListReferralsRequest lq = MATCHING__LIST_REFERRALS_REQUEST__INIT;
    lq.queue = true;
    Matching__ListReferralsReply *lr = s_call(p.mt.api, "matching.referral.list", &lq.base,
                                              &matching__list_referrals_reply__descriptor, a, &err);
    assert_non_null(lr);
    assert_int_equal(lr->n_referrals, 0);
    /* unmet counted once */
    Matching__UnmetRequest uq = MATCHING__UNMET_REQUEST__INIT;
    Matching__UnmetReply *ur = s_call(p.mt.api, "matching.unmet", &uq.base, &matching__unmet_reply__descriptor, a, &err);
    assert_non_null(ur);
    assert_int_equal(ur->n_counts, 1);
    assert_int_equal(ur->counts[0]->count, 1);
    rr = s_call(p.mt.api, "matching.queue.retry", &rq.base, &matching__retry_queue_reply__descriptor, a, &err);
    assert_non_null(rr);
    assert_int_equal(rr->retried, 0);
    assert_int_equal(rr->offered, 0);
    hub_arena_destroy(&a);
    s_stop(&p);
}

int main(void)
{
    s_zctx = zmq_ctx_new();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_internal_verbs_unreachable),
        cmocka_unit_test(test_lowered_maximum_never_oversubscribed),
        cmocka_unit_test(test_library_commands_survive_map_growth),
        cmocka_unit_test(test_queue_retry_after_library_change),
    };
    int rc = cmocka_run_group_tests_name("it_matching_review", tests, NULL, NULL);
    zmq_ctx_term(s_zctx);
    return rc;
}
