/* Integration tests: the real hub-intake and hub-matching daemons in one
 * temp dir (one config file), on ipc:// sockets, driven over real ZeroMQ
 * sockets. Matching follows intake's events through its feed; each test
 * submits to intake and watches the referral in matching. Readiness comes
 * from each daemon's sd_notify READY=1; waits are on conditions with
 * deadlines, never on sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "hub_sub.h"
#include "hub_util.h"
#include "matching.pb-c.h"

#define WAIT_MS 20000                               /* deadline of one condition */
#define FAST_EXPIRY "offer_timeout_s = 1\nexpire_check_ms = 20\n"

static void *s_zctx;

/* Two daemons sharing one directory and config: intake is the base,
 * matching its peer ([matching] intake_api/intake_pub point at intake). */
typedef struct {
    harness_t in;
    harness_t mt;
} pair_t;

static int s_setup_with(void **state, const char *matching_extra)
{
    pair_t *p = calloc(1, sizeof *p);
    if (harness_init(&p->in, NULL)) { free(p); return -1; }
    if (harness_init_peer(&p->mt, &p->in, "matching", matching_extra) || harness_start(&p->in) ||
        harness_start(&p->mt)) {
        harness_fini(&p->mt);
        harness_fini(&p->in);
        free(p);
        return -1;
    }
    *state = p;
    return 0;
}
static int s_setup(void **state) { return s_setup_with(state, NULL); }
static int s_setup_fast(void **state) { return s_setup_with(state, FAST_EXPIRY); }

static int s_teardown(void **state)
{
    pair_t *p = *state;
    /* both must still be running and stop cleanly (under ASan: no leak) */
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

/* Calls verb and asserts a refusal with code, field (NULL: any) and a
 * message containing text (NULL: any, but not empty). */
static void s_refused(hub_client_t *c, const char *verb, const ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *d, Hub__ErrorCode code, const char *field,
                      const char *text)
{
    hub_arena_t *a = hub_arena_new(4 << 20);
    ProtobufCMessage *rep = NULL;
    hub_error_t err = {0};
    int rc = hub_client_call(c, verb, req, d, a, &rep, &err);
    hub_arena_destroy(&a);
    if (rc != 1 || err.code != code || (field && strcmp(err.field, field)) || !err.message[0] ||
        (text && !strstr(err.message, text)))
        fail_msg("%s: expected %s field \"%s\" message ~\"%s\"; got rc %d %s field \"%s\": %s", verb,
                 hub_error_code_name(code), field ? field : "*", text ? text : "", rc,
                 hub_error_code_name(err.code), err.field, err.message);
}

/* Sends raw frames and asserts an ERR reply with code (and field). */
static void s_refused_raw(hub_client_t *c, const char *verb, const void *body, size_t len, Hub__ErrorCode code,
                          const char *field)
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    char st[4];
    uint8_t *out;
    size_t out_len;
    assert_int_equal(hub_client_call_raw(c, verb, strlen(verb), body, len, st, a, &out, &out_len), 0);
    assert_string_equal(st, "ERR");
    Hub__Error *e = hub__error__unpack(NULL, out_len, out);
    assert_non_null(e);
    if (e->code != code || (field && strcmp(e->field, field)) || !e->message[0])
        fail_msg("%s (raw): expected %s/%s, got %s/%s: %s", verb, hub_error_code_name(code), field ? field : "*",
                 hub_error_code_name(e->code), e->field, e->message);
    hub__error__free_unpacked(e, NULL);
    hub_arena_destroy(&a);
}

static Hub__StatusReply *s_status(hub_client_t *c, hub_arena_t *a)
{
    Hub__StatusRequest req = HUB__STATUS_REQUEST__INIT;
    return s_ok(c, "hub.status", &req.base, &hub__status_reply__descriptor, a);
}

static uint64_t s_counter(const Hub__StatusReply *s, const char *name)
{
    for (size_t i = 0; s && i < s->n_counters; i++)
        if (!strcmp(s->counters[i]->name, name)) return s->counters[i]->value;
    return 0;
}

/* ------------------------------------------------------------------ intake */

/* Submits a help request for service at street (NULL: the harness's
 * elderly-care request in 鼓楼街道) to intake; the id goes to id. */
static void s_submit(hub_client_t *in, const char *mid, const char *service, const char *street, char id[32])
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    Intake__SubmitRequest *s = harness_request(a, "web-form", mid);
    if (service && strcmp(service, "elderly-care")) {
        s->request->service_code = (char *)service;
        s->request->attributes = NULL; /* services chosen here have no required attribute */
        s->request->n_attributes = 0;
    }
    if (street) s->request->street = (char *)street;
    Intake__SubmitReply *rep = s_ok(in, "intake.submit", &s->base, &intake__submit_reply__descriptor, a);
    assert_false(rep->duplicate_submission);
    snprintf(id, 32, "%s", rep->service_request_id);
    hub_arena_destroy(&a);
}

/* intake.update (cancel, duplicate...) as a local operator. */
static void s_intake_update(hub_client_t *in, const char *id, const char *action, const char *text,
                            const char *dup_of)
{
    hub_error_t err = {0};
    if (harness_intake_update(in, id, action, text, dup_of, NULL, &err))
        fail_msg("%s field \"%s\": %s", hub_error_code_name(err.code), err.field, err.message);
}

/* ------------------------------------------------------------------ library */

/* Adds an organization (a community group: no credit code needed) serving
 * one service in one area with cap units, then approves it unless
 * approve is false (harness_add_org). Returns the org as stored. */
static Matching__Organization *s_add_org(hub_client_t *mt, hub_arena_t *a, const char *id, const char *service,
                                         const char *area, uint32_t cap, bool approve)
{
    hub_error_t err = {0};
    Matching__Organization *o = harness_add_org(mt, a, id, NULL, service, area, cap, approve, &err);
    if (!o) fail_msg("org %s: %s field \"%s\": %s", id, hub_error_code_name(err.code), err.field, err.message);
    return o;
}

/* Two approved elderly-care providers with cap units each: ORG-A in
 * 鼓楼街道 (the request's street: the better score, offered first) and
 * ORG-B in every area (the next candidate). */
static void s_add_a_and_b(hub_client_t *mt, hub_arena_t *a, uint32_t cap)
{
    s_add_org(mt, a, "ORG-A", "elderly-care", "鼓楼街道", cap, true);
    s_add_org(mt, a, "ORG-B", "elderly-care", "*", cap, true);
}

static Matching__Organization *s_org(hub_client_t *mt, hub_arena_t *a, const char *id)
{
    Matching__GetProviderRequest q = MATCHING__GET_PROVIDER_REQUEST__INIT;
    q.id = (char *)id;
    Matching__OrganizationReply *r = s_ok(mt, "matching.org.get", &q.base, &matching__organization_reply__descriptor, a);
    return r->org;
}

/* A provider's figures, zero when the record leaves them out. */
typedef struct {
    uint32_t available, maximum, offers, accepted, declined, expired, completed, got_help, open_cases;
} figures_t;

static figures_t s_figures(hub_client_t *mt, const char *org_id)
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    Matching__Organization *o = s_org(mt, a, org_id);
    figures_t f = {0};
    if (o->capacity) { f.available = o->capacity->available; f.maximum = o->capacity->maximum; }
    if (o->stats) {
        f.offers = o->stats->offers;
        f.accepted = o->stats->accepted;
        f.declined = o->stats->declined;
        f.expired = o->stats->expired;
        f.completed = o->stats->completed;
        f.got_help = o->stats->got_help;
        f.open_cases = o->stats->open_cases;
    }
    hub_arena_destroy(&a);
    /* never oversubscribed, never more free than the maximum */
    if (f.available > f.maximum || f.available + f.open_cases != f.maximum)
        fail_msg("%s: available %u, maximum %u, open cases %u", org_id, f.available, f.maximum, f.open_cases);
    return f;
}

/* Asserts an organization's capacity and counters. */
static void s_expect_org(hub_client_t *mt, const char *org_id, uint32_t available, uint32_t offers,
                         uint32_t accepted, uint32_t declined, uint32_t expired, uint32_t completed,
                         uint32_t got_help)
{
    figures_t f = s_figures(mt, org_id);
    if (f.available != available || f.offers != offers || f.accepted != accepted || f.declined != declined ||
        f.expired != expired || f.completed != completed || f.got_help != got_help)
        fail_msg("%s: available %u offers %u accepted %u declined %u expired %u completed %u got_help %u; "
                 "expected %u %u %u %u %u %u %u", org_id, f.available, f.offers, f.accepted, f.declined,
                 f.expired, f.completed, f.got_help, available, offers, accepted, declined, expired, completed,
                 got_help);
}

/* ------------------------------------------------------------------ referrals */

/* The referral of request id, or NULL with err. */
static Matching__Referral *s_ref_try(hub_client_t *mt, hub_arena_t *a, const char *id, hub_error_t *err)
{
    Matching__GetReferralRequest q = MATCHING__GET_REFERRAL_REQUEST__INIT;
    q.request_id = (char *)id;
    Matching__ReferralReply *r;
    if (hub_client_call(mt, "matching.referral.get", &q.base, &matching__referral_reply__descriptor, a,
                        (ProtobufCMessage **)&r, err))
        return NULL;
    return r->referral;
}

static Matching__Referral *s_ref(hub_client_t *mt, hub_arena_t *a, const char *id)
{
    hub_error_t err = {0};
    Matching__Referral *r = s_ref_try(mt, a, id, &err);
    if (!r) fail_msg("referral %s: %s %s", id, hub_error_code_name(err.code), err.message);
    return r;
}

static const char *s_status_name(int s)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&matching__referral_status__descriptor, s);
    return v ? v->name : "?";
}

typedef struct {
    hub_client_t *mt;
    hub_arena_t *a;
    const char *id;
    int status;             /* the status awaited */
    size_t min_offers;      /* at least this many offers */
    char seen[400];         /* the last state read, for the failure message */
} ref_wait_t;

static bool s_ref_reached(void *p)
{
    ref_wait_t *w = p;
    hub_error_t err = {0};
    hub_arena_reset(w->a);
    Matching__Referral *r = s_ref_try(w->mt, w->a, w->id, &err);
    if (!r) {
        snprintf(w->seen, sizeof w->seen, "%s: %s", hub_error_code_name(err.code), err.message);
        return false;
    }
    snprintf(w->seen, sizeof w->seen, "%s with \"%s\", %zu offers", s_status_name(r->status), r->provider_id,
             r->n_offers);
    return (int)r->status == w->status && r->n_offers >= w->min_offers;
}

/* Waits until the referral of id exists with status and at least
 * min_offers offers; returns it (unpacked into a). */
static Matching__Referral *s_wait_ref(hub_client_t *mt, hub_arena_t *a, const char *id, int status,
                                      size_t min_offers)
{
    ref_wait_t w = {mt, hub_arena_new(4 << 20), id, status, min_offers, ""};
    bool ok = harness_wait(s_ref_reached, &w, WAIT_MS);
    hub_arena_destroy(&w.a);
    if (!ok) fail_msg("referral %s never became %s (>= %zu offers); last seen: %s", id, s_status_name(status),
                      min_offers, w.seen);
    return s_ref(mt, a, id);
}

/* matching.referral.respond; returns 0 (reply in *out) or the refusal in err. */
static int s_respond(hub_client_t *mt, hub_arena_t *a, const char *id, const char *provider, const char *action,
                     const char *reason, int outcome, double hours, Matching__Referral **out, hub_error_t *err)
{
    Matching__RespondRequest q = MATCHING__RESPOND_REQUEST__INIT;
    q.request_id = (char *)id;
    q.provider_id = (char *)provider;
    q.action = (char *)action;
    q.reason = (char *)(reason ? reason : "");
    q.outcome = outcome;
    q.hours = hours;
    Matching__ReferralReply *r;
    int rc = hub_client_call(mt, "matching.referral.respond", &q.base, &matching__referral_reply__descriptor, a,
                             (ProtobufCMessage **)&r, err);
    if (rc == 0 && out) *out = r->referral;
    return rc;
}

static Matching__Referral *s_respond_ok(hub_client_t *mt, hub_arena_t *a, const char *id, const char *provider,
                                        const char *action, const char *reason, int outcome, double hours)
{
    Matching__Referral *r = NULL;
    hub_error_t err = {0};
    if (s_respond(mt, a, id, provider, action, reason, outcome, hours, &r, &err))
        fail_msg("%s %s by %s: %s field \"%s\": %s", action, id, provider, hub_error_code_name(err.code), err.field,
                 err.message);
    return r;
}

/* A command's reply must show the referral as stored: same history
 * (actions and texts), same offers. */
static void s_expect_as_stored(hub_client_t *mt, const Matching__Referral *reply)
{
    hub_arena_t *a = hub_arena_new(4 << 20);
    Matching__Referral *st = s_ref(mt, a, reply->request_id);
    assert_int_equal(reply->status, st->status);
    assert_int_equal(reply->n_offers, st->n_offers);
    if (reply->n_history != st->n_history)
        fail_msg("%s: the reply has %zu history entries, the store %zu", st->request_id, reply->n_history,
                 st->n_history);
    for (size_t i = 0; i < st->n_history; i++)
        if (strcmp(reply->history[i]->action, st->history[i]->action) ||
            strcmp(reply->history[i]->text, st->history[i]->text))
            fail_msg("%s history[%zu]: reply %s \"%s\", stored %s \"%s\"", st->request_id, i,
                     reply->history[i]->action, reply->history[i]->text, st->history[i]->action,
                     st->history[i]->text);
    hub_arena_destroy(&a);
}

static Matching__AssignRequest s_assign_req(const char *id, const char *provider)
{
    Matching__AssignRequest q = MATCHING__ASSIGN_REQUEST__INIT;
    q.request_id = (char *)id;
    q.kind = MATCHING__PROVIDER_KIND__ORGANIZATION;
    q.provider_id = (char *)provider;
    q.reason = "operator decision";
    return q;
}

/* Every referral in matching's store, paging with after_id (queue: only
 * the operator queue). Each is added to *out (malloc'd array of arena
 * pointers); returns the count. */
static size_t s_ref_list(hub_client_t *mt, hub_arena_t *a, bool queue, unsigned limit, Matching__Referral ***out)
{
    size_t n = 0, cap = 0;
    char after[64] = "";
    Matching__Referral **all = NULL;
    for (int pages = 0; pages < 10000; pages++) {
        Matching__ListReferralsRequest q = MATCHING__LIST_REFERRALS_REQUEST__INIT;
        q.queue = queue;
        q.after_id = after;
        q.limit = limit;
        Matching__ListReferralsReply *r =
            s_ok(mt, "matching.referral.list", &q.base, &matching__list_referrals_reply__descriptor, a);
        for (size_t i = 0; i < r->n_referrals; i++) {
            if (n == cap) all = realloc(all, (cap = cap ? cap * 2 : 64) * sizeof *all);
            all[n++] = r->referrals[i];
        }
        if (!*r->next_after_id) break;
        assert_true(strlen(r->next_after_id) < sizeof after);
        assert_true(strcmp(r->next_after_id, after) > 0); /* paging moves forward */
        snprintf(after, sizeof after, "%s", r->next_after_id);
    }
    *out = all;
    return n;
}

/* The actions (topic suffixes) of matching's referral events about
 * request id, in outbox order, from hub.replay: "offered accepted ...". */
static void s_ref_events(hub_client_t *mt, const char *id, char *out, size_t len)
{
    hub_arena_t *a = hub_arena_new(32 << 20);
    out[0] = 0;
    uint64_t from = 1;
    for (;;) {
        Hub__ReplayRequest q = HUB__REPLAY_REQUEST__INIT;
        q.from_seq = from;
        q.max = 1000;
        hub_arena_reset(a);
        Hub__ReplayReply *r = s_ok(mt, "hub.replay", &q.base, &hub__replay_reply__descriptor, a);
        if (!r->n_events) break;
        for (size_t i = 0; i < r->n_events; i++) {
            Hub__Event *ev = hub__event__unpack(NULL, r->events[i].len, r->events[i].data);
            assert_non_null(ev);
            assert_int_equal(ev->seq, from); /* gap-free */
            from++;
            if (!strncmp(ev->topic, "matching.referral.", 18)) {
                Matching__ReferralEvent *re =
                    matching__referral_event__unpack(NULL, ev->payload.len, ev->payload.data);
                assert_non_null(re);
                assert_non_null(re->referral);
                if (!strcmp(re->referral->request_id, id)) {
                    size_t n = strlen(out);
                    snprintf(out + n, len - n, "%s%s", n ? " " : "", ev->topic + 18);
                }
                matching__referral_event__free_unpacked(re, NULL);
            }
            hub__event__free_unpacked(ev, NULL);
        }
    }
    hub_arena_destroy(&a);
}

/* True if the matching daemon process is still running. */
static bool s_alive(harness_t *h)
{
    int st;
    return h->pid > 0 && waitpid(h->pid, &st, WNOHANG) == 0;
}

/* A test's clients, intake's (in) and matching's (mt), and its arena
 * (8 MiB, returned); s_close frees all three. */
static hub_arena_t *s_open(const pair_t *p, hub_client_t **in, hub_client_t **mt)
{
    *in = hub_client_new(s_zctx, p->in.api, NULL, 5000);
    *mt = hub_client_new(s_zctx, p->mt.api, NULL, 5000);
    return hub_arena_new(8 << 20);
}

static void s_close(hub_arena_t **a, hub_client_t **in, hub_client_t **mt)
{
    hub_arena_destroy(a);
    hub_client_destroy(in);
    hub_client_destroy(mt);
}

/* ---- a request flows to an offer, an accept and a completion ---- */
static void test_request_to_completion(void **state)
{
    pair_t *p = *state;
    hub_client_t *in, *mt;
    hub_arena_t *a = s_open(p, &in, &mt);
    /* the right one: approved, same service, the request's street */
    s_add_org(mt, a, "ORG-GULOU", "elderly-care", "鼓楼街道", 3, true);
    /* lower scores or not eligible at all */
    s_add_org(mt, a, "ORG-ALL", "elderly-care", "*", 3, true);           /* district-wide: scores less */
    s_add_org(mt, a, "ORG-YUEHU", "elderly-care", "月湖街道", 3, true);  /* another street */
    s_add_org(mt, a, "ORG-FAMILY", "family", "鼓楼街道", 3, true);       /* another service */
    s_add_org(mt, a, "ORG-PENDING", "elderly-care", "鼓楼街道", 9, false); /* not approved */
    hub_sub_t *sub = hub_sub_new(s_zctx, p->mt.pub, p->mt.api, NULL, 0, 0);

    char id[32];
    s_submit(in, "flow-1", NULL, NULL, id);
    Matching__Referral *r = s_wait_ref(mt, a, id, MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    assert_string_equal(r->request_id, id);
    assert_string_equal(r->service_code, "elderly-care");
    assert_string_equal(r->street, "鼓楼街道");
    assert_int_equal(r->provider_kind, MATCHING__PROVIDER_KIND__ORGANIZATION);
    assert_string_equal(r->provider_id, "ORG-GULOU");
    assert_int_equal(r->n_offers, 1);
    assert_string_equal(r->offers[0]->provider_id, "ORG-GULOU");
    assert_int_equal(r->offers[0]->state, MATCHING__OFFER_STATE__OFFER_PENDING);
    assert_true(r->offers[0]->deadline_ms > r->offers[0]->offered_ms);
    s_expect_org(mt, "ORG-GULOU", 2, 1, 0, 0, 0, 0, 0); /* the offer reserves a unit */
    s_expect_org(mt, "ORG-ALL", 3, 0, 0, 0, 0, 0, 0);
    s_expect_org(mt, "ORG-PENDING", 9, 0, 0, 0, 0, 0, 0);

    hub_arena_reset(a);
    r = s_respond_ok(mt, a, id, "ORG-GULOU", "accept", NULL, 0, 0);
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__ACCEPTED);
    assert_int_equal(r->offers[0]->state, MATCHING__OFFER_STATE__OFFER_ACCEPTED);
    s_expect_org(mt, "ORG-GULOU", 2, 1, 1, 0, 0, 0, 0);
    r = s_respond_ok(mt, a, id, "ORG-GULOU", "start", NULL, 0, 0);
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__IN_PROGRESS);
    r = s_respond_ok(mt, a, id, "ORG-GULOU", "complete", "每日送餐已安排", MATCHING__OUTCOME__GOT_HELP, 2.5);
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__COMPLETED);
    assert_int_equal(r->outcome, MATCHING__OUTCOME__GOT_HELP);
    assert_true(r->hours == 2.5);
    assert_string_equal(r->provider_id, "ORG-GULOU"); /* keeps who served it */
    assert_int_equal(r->offers[0]->state, MATCHING__OFFER_STATE__OFFER_ENDED);
    /* stats counted and the unit given back */
    s_expect_org(mt, "ORG-GULOU", 3, 1, 1, 0, 0, 1, 1);
    /* stored as replied */
    hub_arena_reset(a);
    r = s_ref(mt, a, id);
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__COMPLETED);
    assert_true(r->hours == 2.5);
    assert_true(r->n_history >= 5); /* created, offer, accept, start, complete */

    /* a volunteer: hours served are added to the volunteer */
    Matching__Volunteer v = MATCHING__VOLUNTEER__INIT;
    Matching__Skill sk = MATCHING__SKILL__INIT, *sks[1] = {&sk};
    char *vareas[1] = {"鼓楼街道"};
    sk.service = "psych-support";
    sk.certification = "国家二级心理咨询师";
    v.id = "VOL-LI";
    v.name = "李老师";
    v.phone = "13900000001";
    v.skills = sks;
    v.n_skills = 1;
    v.areas = vareas;
    v.n_areas = 1;
    v.max_open_cases = 2;
    Matching__PutVolunteerRequest pv = MATCHING__PUT_VOLUNTEER_REQUEST__INIT;
    pv.volunteer = &v;
    s_ok(mt, "matching.volunteer.add", &pv.base, &matching__volunteer_reply__descriptor, a);
    Matching__MembershipRequest ms = MATCHING__MEMBERSHIP_REQUEST__INIT;
    ms.id = "VOL-LI";
    ms.membership = MATCHING__MEMBERSHIP__APPROVED;
    s_ok(mt, "matching.volunteer.membership", &ms.base, &matching__volunteer_reply__descriptor, a);
    char vid[32];
    s_submit(in, "flow-2", "psych-support", NULL, vid);
    hub_arena_reset(a);
    r = s_wait_ref(mt, a, vid, MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    assert_int_equal(r->provider_kind, MATCHING__PROVIDER_KIND__VOLUNTEER);
    assert_string_equal(r->provider_id, "VOL-LI");
    s_respond_ok(mt, a, vid, "VOL-LI", "accept", NULL, 0, 0);
    s_respond_ok(mt, a, vid, "VOL-LI", "complete", NULL, MATCHING__OUTCOME__GOT_HELP, 1.5);
    Matching__GetProviderRequest gq = MATCHING__GET_PROVIDER_REQUEST__INIT;
    gq.id = "VOL-LI";
    Matching__VolunteerReply *vr = s_ok(mt, "matching.volunteer.get", &gq.base, &matching__volunteer_reply__descriptor, a);
    assert_true(vr->volunteer->hours_served == 1.5);
    assert_non_null(vr->volunteer->stats);
    assert_int_equal(vr->volunteer->stats->completed, 1);
    assert_int_equal(vr->volunteer->stats->got_help, 1);
    assert_int_equal(vr->volunteer->stats->open_cases, 0);

    /* the events on matching's PUB, live, in order, each with its state */
    static const struct {
        const char *topic;
        int status;
    } want[] = {
        {"matching.referral.offered", MATCHING__REFERRAL_STATUS__REQUESTED},
        {"matching.referral.accepted", MATCHING__REFERRAL_STATUS__ACCEPTED},
        {"matching.referral.started", MATCHING__REFERRAL_STATUS__IN_PROGRESS},
        {"matching.referral.completed", MATCHING__REFERRAL_STATUS__COMPLETED},
    };
    size_t got = 0;
    int64_t deadline = hub_mono_ms() + WAIT_MS;
    hub_arena_t *ea = hub_arena_new(8 << 20);
    while (got < 4 && hub_mono_ms() < deadline) {
        Hub__Event *ev = NULL;
        hub_error_t err = {0};
        hub_arena_reset(ea);
        int rc = hub_sub_next(sub, 1000, ea, &ev, &err);
        assert_int_not_equal(rc, -1);
        if (rc == 0) continue;
        assert_string_equal(ev->source, "matching");
        if (strncmp(ev->topic, "matching.referral.", 18)) continue;
        Matching__ReferralEvent *re = matching__referral_event__unpack(NULL, ev->payload.len, ev->payload.data);
        assert_non_null(re);
        if (!strcmp(re->referral->request_id, id)) {
            assert_string_equal(ev->topic, want[got].topic);
            assert_int_equal(re->referral->status, want[got].status);
            got++;
        }
        matching__referral_event__free_unpacked(re, NULL);
    }
    assert_int_equal(got, 4);
    hub_arena_destroy(&ea);
    hub_sub_destroy(&sub);
    char evs[512];
    s_ref_events(mt, id, evs, sizeof evs); /* and the same from the outbox */
    assert_string_equal(evs, "offered accepted started completed");
    s_close(&a, &in, &mt);
}

/* ---- a decline moves the offer to the next candidate ---- */
static void test_decline_moves_to_next(void **state)
{
    hub_client_t *in, *mt;
    hub_arena_t *a = s_open(*state, &in, &mt);
    s_add_a_and_b(mt, a, 2); /* same street: first */
    char id[32];
    s_submit(in, "decline-1", NULL, NULL, id);
    Matching__Referral *r = s_wait_ref(mt, a, id, MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    assert_string_equal(r->provider_id, "ORG-A");
    hub_error_t err = {0};
    /* a decline needs a reason */
    assert_int_equal(s_respond(mt, a, id, "ORG-A", "decline", "", 0, 0, NULL, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    assert_string_equal(err.field, "reason");
    r = s_respond_ok(mt, a, id, "ORG-A", "decline", "本周人手不足", 0, 0);
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__REQUESTED);
    assert_string_equal(r->provider_id, "ORG-B");
    assert_int_equal(r->n_offers, 2);
    assert_string_equal(r->offers[0]->provider_id, "ORG-A");
    assert_int_equal(r->offers[0]->state, MATCHING__OFFER_STATE__OFFER_DECLINED);
    assert_string_equal(r->offers[0]->reason, "本周人手不足");
    assert_string_equal(r->offers[1]->provider_id, "ORG-B");
    assert_int_equal(r->offers[1]->state, MATCHING__OFFER_STATE__OFFER_PENDING);
    assert_non_null(strstr(r->history[r->n_history - 2]->text, "本周人手不足"));
    s_expect_as_stored(mt, r);
    s_expect_org(mt, "ORG-A", 2, 1, 0, 1, 0, 0, 0);
    s_expect_org(mt, "ORG-B", 1, 1, 0, 0, 0, 0, 0);
    /* A no longer holds it */
    assert_int_equal(s_respond(mt, a, id, "ORG-A", "accept", NULL, 0, 0, NULL, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    assert_string_equal(err.field, "provider_id");
    /* B declines too: nobody is left, the operator queue */
    hub_arena_reset(a);
    r = s_respond_ok(mt, a, id, "ORG-B", "decline", "不在服务时间", 0, 0);
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__REJECTED);
    assert_string_equal(r->provider_id, "");
    assert_int_equal(r->n_offers, 2);
    assert_int_equal(r->offers[1]->state, MATCHING__OFFER_STATE__OFFER_DECLINED);
    s_expect_org(mt, "ORG-A", 2, 1, 0, 1, 0, 0, 0);
    s_expect_org(mt, "ORG-B", 2, 1, 0, 1, 0, 0, 0);
    Matching__Referral **q;
    size_t nq = s_ref_list(mt, a, true, 0, &q);
    assert_int_equal(nq, 1);
    assert_string_equal(q[0]->request_id, id);
    free(q);
    char evs[512];
    s_ref_events(mt, id, evs, sizeof evs);
    assert_string_equal(evs, "offered declined offered declined unmatched");
    /* the operator moves a pending offer elsewhere: the first provider's
     * unit comes back, the new one's is taken */
    char id2[32];
    s_submit(in, "reassign-1", NULL, NULL, id2);
    hub_arena_reset(a);
    r = s_wait_ref(mt, a, id2, MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    assert_string_equal(r->provider_id, "ORG-A");
    Matching__AssignRequest as = s_assign_req(id2, "ORG-B");
    Matching__ReferralReply *ar = s_ok(mt, "matching.referral.assign", &as.base, &matching__referral_reply__descriptor, a);
    r = ar->referral;
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__ACCEPTED);
    assert_string_equal(r->provider_id, "ORG-B");
    assert_int_equal(r->n_offers, 2);
    assert_int_equal(r->offers[0]->state, MATCHING__OFFER_STATE__OFFER_WITHDRAWN);
    assert_int_equal(r->offers[1]->state, MATCHING__OFFER_STATE__OFFER_ACCEPTED);
    s_expect_as_stored(mt, r);
    s_expect_org(mt, "ORG-A", 2, 2, 0, 1, 0, 0, 0);
    s_expect_org(mt, "ORG-B", 1, 2, 1, 1, 0, 0, 0);
    /* assigning it to B again is refused; the referral stays as it was */
    s_refused(mt, "matching.referral.assign", &as.base, &matching__referral_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, "provider_id", "already");
    s_expect_org(mt, "ORG-B", 1, 2, 1, 1, 0, 0, 0);
    s_close(&a, &in, &mt);
}

/* ---- an unanswered offer expires and moves to the next candidate ---- */
static void test_deadline_moves_to_next(void **state)
{
    hub_client_t *in, *mt;
    hub_arena_t *a = s_open(*state, &in, &mt);
    s_add_a_and_b(mt, a, 2);
    char id[32];
    s_submit(in, "deadline-1", NULL, NULL, id);
    /* offer_timeout_s = 1: A's offer expires, B's then too; nobody is left */
    Matching__Referral *r = s_wait_ref(mt, a, id, MATCHING__REFERRAL_STATUS__REJECTED, 2);
    assert_int_equal(r->n_offers, 2);
    assert_string_equal(r->offers[0]->provider_id, "ORG-A");
    assert_string_equal(r->offers[1]->provider_id, "ORG-B");
    for (int i = 0; i < 2; i++) {
        const Matching__Offer *o = r->offers[i];
        assert_int_equal(o->state, MATCHING__OFFER_STATE__OFFER_EXPIRED);
        assert_int_equal(o->deadline_ms - o->offered_ms, 1000);
        if (o->decided_ms < o->deadline_ms) /* never before its deadline */
            fail_msg("offer %d expired at %lld, before its deadline %lld", i, (long long)o->decided_ms,
                     (long long)o->deadline_ms);
    }
    assert_true(r->offers[1]->offered_ms >= r->offers[0]->decided_ms); /* B was offered after A expired */
    s_expect_org(mt, "ORG-A", 2, 1, 0, 0, 1, 0, 0);
    s_expect_org(mt, "ORG-B", 2, 1, 0, 0, 1, 0, 0);
    char evs[512];
    s_ref_events(mt, id, evs, sizeof evs);
    assert_string_equal(evs, "offered expired offered expired unmatched");
    /* an accepted case does not expire: the operator assigns it to A
     * (accepted at once); a later request expiring at both proves that
     * more than a deadline has passed since */
    hub_arena_reset(a);
    Matching__AssignRequest as = s_assign_req(id, "ORG-A");
    Matching__ReferralReply *ar = s_ok(mt, "matching.referral.assign", &as.base, &matching__referral_reply__descriptor, a);
    assert_int_equal(ar->referral->status, MATCHING__REFERRAL_STATUS__ACCEPTED);
    s_expect_as_stored(mt, ar->referral);
    char id2[32];
    s_submit(in, "deadline-2", NULL, NULL, id2);
    r = s_wait_ref(mt, a, id2, MATCHING__REFERRAL_STATUS__REJECTED, 2);
    assert_true(r->offers[0]->offered_ms >= ar->referral->updated_ms);
    hub_arena_reset(a);
    r = s_ref(mt, a, id);
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__ACCEPTED);
    assert_string_equal(r->provider_id, "ORG-A");
    s_expect_org(mt, "ORG-A", 1, 3, 1, 0, 2, 0, 0);
    s_expect_org(mt, "ORG-B", 2, 2, 0, 0, 2, 0, 0);
    s_close(&a, &in, &mt);
}

/* ---- no candidate: the operator queue and unmet demand ---- */
static void test_no_candidate_reaches_queue(void **state)
{
    hub_client_t *in, *mt;
    hub_arena_t *a = s_open(*state, &in, &mt);
    s_add_org(mt, a, "ORG-CARE", "elderly-care", "*", 5, true); /* serves another service */
    char id1[32], id2[32], id3[32], ok[32];
    s_submit(in, "unmet-1", "family", "月湖街道", id1);
    s_submit(in, "unmet-2", "family", "月湖街道", id2);
    s_submit(in, "unmet-3", "family", "西门街道", id3);
    s_submit(in, "met-1", NULL, NULL, ok);
    const char *ids[3] = {id1, id2, id3};
    for (int i = 0; i < 3; i++) {
        hub_arena_reset(a);
        Matching__Referral *r = s_wait_ref(mt, a, ids[i], MATCHING__REFERRAL_STATUS__REJECTED, 0);
        assert_int_equal(r->n_offers, 0);
        assert_string_equal(r->provider_id, "");
        char evs[256];
        s_ref_events(mt, ids[i], evs, sizeof evs);
        assert_string_equal(evs, "unmatched");
    }
    s_wait_ref(mt, a, ok, MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    /* the queue holds exactly the three (paged one at a time) */
    Matching__Referral **q;
    size_t nq = s_ref_list(mt, a, true, 1, &q);
    assert_int_equal(nq, 3);
    for (size_t i = 0; i < nq; i++) {
        assert_int_equal(q[i]->status, MATCHING__REFERRAL_STATUS__REJECTED);
        assert_true(!strcmp(q[i]->request_id, id1) || !strcmp(q[i]->request_id, id2) ||
                    !strcmp(q[i]->request_id, id3));
    }
    free(q);
    /* unmet demand by service and street */
    Matching__UnmetRequest uq = MATCHING__UNMET_REQUEST__INIT;
    Matching__UnmetReply *u = s_ok(mt, "matching.unmet", &uq.base, &matching__unmet_reply__descriptor, a);
    uint64_t yuehu = 0, ximen = 0, other = 0;
    for (size_t i = 0; i < u->n_counts; i++) {
        const Matching__UnmetCount *c = u->counts[i];
        if (!strcmp(c->service_code, "family") && !strcmp(c->street, "月湖街道")) yuehu += c->count;
        else if (!strcmp(c->service_code, "family") && !strcmp(c->street, "西门街道")) ximen += c->count;
        else other += c->count;
    }
    assert_int_equal(yuehu, 2);
    assert_int_equal(ximen, 1);
    assert_int_equal(other, 0);
    /* an operator places one by hand; another is withdrawn */
    s_add_org(mt, a, "ORG-FAM", "family", "*", 2, true);
    Matching__AssignRequest as = s_assign_req(id1, "ORG-FAM");
    Matching__ReferralReply *ar = s_ok(mt, "matching.referral.assign", &as.base, &matching__referral_reply__descriptor, a);
    assert_int_equal(ar->referral->status, MATCHING__REFERRAL_STATUS__ACCEPTED);
    assert_string_equal(ar->referral->provider_id, "ORG-FAM");
    s_expect_as_stored(mt, ar->referral);
    s_expect_org(mt, "ORG-FAM", 1, 1, 1, 0, 0, 0, 0);
    Matching__WithdrawRequest wq = MATCHING__WITHDRAW_REQUEST__INIT;
    wq.request_id = id3;
    s_refused(mt, "matching.referral.withdraw", &wq.base, &matching__referral_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "reason", NULL);
    wq.reason = "requester moved away";
    Matching__ReferralReply *wr = s_ok(mt, "matching.referral.withdraw", &wq.base, &matching__referral_reply__descriptor, a);
    assert_int_equal(wr->referral->status, MATCHING__REFERRAL_STATUS__CANCELLED);
    nq = s_ref_list(mt, a, true, 0, &q);
    assert_int_equal(nq, 1);
    assert_string_equal(q[0]->request_id, id2);
    free(q);
    s_close(&a, &in, &mt);
}

/* ---- matching killed -9 mid-stream: every request exactly once ---- */
#define KILL_N 300
typedef struct {
    harness_t *in;
    char (*ids)[32];
    atomic_int n_acked;
    atomic_int killed;    /* set by the main thread once matching is dead */
    atomic_int failed;
} stream_t;

static bool s_flag(void *p) { return atomic_load((atomic_int *)p) != 0; }

static void *s_stream(void *p)
{
    stream_t *s = p;
    hub_client_t *c = hub_client_new(s_zctx, s->in->api, NULL, 10000);
    hub_arena_t *a = hub_arena_new(1 << 20);
    for (int i = 0; i < KILL_N; i++) {
        /* the second half goes in while matching is dead or restarting */
        if (i == KILL_N / 2 && !harness_wait(s_flag, &s->killed, 120000)) { atomic_store(&s->failed, 1); break; }
        char mid[32];
        snprintf(mid, sizeof mid, "k-%d", i);
        hub_arena_reset(a);
        Intake__SubmitRequest *req = harness_request(a, "hotline", mid);
        Intake__SubmitReply *rep;
        hub_error_t err = {0};
        if (hub_client_call(c, "intake.submit", &req->base, &intake__submit_reply__descriptor, a,
                            (ProtobufCMessage **)&rep, &err)) {
            atomic_store(&s->failed, 1);
            break;
        }
        snprintf(s->ids[i], 32, "%s", rep->service_request_id);
        atomic_fetch_add(&s->n_acked, 1);
    }
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
    return NULL;
}

typedef struct {
    hub_client_t *c;
    hub_arena_t *a;
    const char *counter;
    uint64_t at_least;
} counter_wait_t;

static bool s_counter_reached(void *p)
{
    counter_wait_t *w = p;
    Hub__StatusRequest req = HUB__STATUS_REQUEST__INIT;
    Hub__StatusReply *st = NULL;
    hub_error_t err = {0};
    hub_arena_reset(w->a);
    if (hub_client_call(w->c, "hub.status", &req.base, &hub__status_reply__descriptor, w->a,
                        (ProtobufCMessage **)&st, &err))
        return false;
    return s_counter(st, w->counter) >= w->at_least;
}

typedef struct {
    hub_client_t *mt;
    hub_arena_t *a;
    size_t want, seen;
} count_wait_t;

static bool s_ref_count_reached(void *p)
{
    count_wait_t *w = p;
    hub_arena_reset(w->a);
    Matching__Referral **all;
    w->seen = s_ref_list(w->mt, w->a, false, 500, &all);
    free(all);
    return w->seen >= w->want;
}

static int s_strcmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void test_kill9_mid_stream_exactly_once(void **state)
{
    pair_t *p = *state;
    hub_client_t *mt = hub_client_new(s_zctx, p->mt.api, NULL, 5000);
    hub_arena_t *a = hub_arena_new(32 << 20);
    s_add_org(mt, a, "ORG-A", "elderly-care", "*", 1000, true);
    s_add_org(mt, a, "ORG-B", "elderly-care", "*", 1000, true);
    static char ids[KILL_N][32];
    memset(ids, 0, sizeof ids);
    stream_t s = {.in = &p->in, .ids = ids};
    pthread_t th;
    pthread_create(&th, NULL, s_stream, &s);
    /* kill while matching is applying the stream */
    counter_wait_t cw = {mt, a, "referrals_total", 50};
    assert_true(harness_wait(s_counter_reached, &cw, 60000));
    hub_client_destroy(&mt); /* its REQ socket may be waiting on the dead daemon */
    assert_int_equal(harness_stop(&p->mt, SIGKILL), 128 + SIGKILL);
    int acked_at_kill = atomic_load(&s.n_acked);
    atomic_store(&s.killed, 1);
    assert_true(acked_at_kill < KILL_N); /* really mid-stream */
    assert_int_equal(harness_start(&p->mt), 0); /* while intake still receives */
    pthread_join(th, NULL);
    assert_int_equal(atomic_load(&s.failed), 0);
    assert_int_equal(atomic_load(&s.n_acked), KILL_N);

    /* the feed catches up from its committed cursor: all N referrals */
    mt = hub_client_new(s_zctx, p->mt.api, NULL, 5000);
    count_wait_t nw = {mt, hub_arena_new(32 << 20), KILL_N, 0};
    bool caught_up = harness_wait(s_ref_count_reached, &nw, 60000);
    hub_arena_destroy(&nw.a);
    if (!caught_up) fail_msg("matching holds %zu referrals of %d", nw.seen, KILL_N);
    hub_arena_reset(a);
    Matching__Referral **all;
    size_t n = s_ref_list(mt, a, false, 37, &all); /* odd page size: paging is exact too */
    assert_int_equal(n, KILL_N);
    /* exactly the accepted requests, each once */
    char *want[KILL_N], *got[KILL_N];
    for (int i = 0; i < KILL_N; i++) want[i] = ids[i];
    uint32_t per_org[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        const Matching__Referral *r = all[i];
        got[i] = r->request_id;
        assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__REQUESTED);
        if (r->n_offers != 1) fail_msg("%s has %zu offers", r->request_id, r->n_offers);
        for (size_t j = 0; j < r->n_offers; j++)
            for (size_t k = j + 1; k < r->n_offers; k++)
                assert_string_not_equal(r->offers[j]->provider_id, r->offers[k]->provider_id);
        if (!strcmp(r->provider_id, "ORG-A")) per_org[0]++;
        else if (!strcmp(r->provider_id, "ORG-B")) per_org[1]++;
        else fail_msg("%s offered to \"%s\"", r->request_id, r->provider_id);
    }
    qsort(want, KILL_N, sizeof *want, s_strcmp);
    qsort(got, n, sizeof *got, s_strcmp);
    for (int i = 0; i < KILL_N; i++) {
        if (i) assert_string_not_equal(got[i], got[i - 1]);
        assert_string_equal(got[i], want[i]);
    }
    free(all);
    /* the providers' books agree with the referrals */
    figures_t fa = s_figures(mt, "ORG-A"), fb = s_figures(mt, "ORG-B");
    assert_int_equal(fa.open_cases, per_org[0]);
    assert_int_equal(fb.open_cases, per_org[1]);
    assert_int_equal(fa.offers + fb.offers, KILL_N);
    assert_int_equal(fa.open_cases + fb.open_cases, KILL_N);
    assert_int_equal(fa.available, 1000 - per_org[0]);
    assert_int_equal(fb.available, 1000 - per_org[1]);
    /* and the outbox offered each request once */
    hub_arena_t *ea = hub_arena_new(32 << 20);
    uint64_t from = 1, offered = 0, other_ref = 0;
    for (;;) {
        Hub__ReplayRequest q = HUB__REPLAY_REQUEST__INIT;
        q.from_seq = from;
        q.max = 1000;
        hub_arena_reset(ea);
        Hub__ReplayReply *rr = s_ok(mt, "hub.replay", &q.base, &hub__replay_reply__descriptor, ea);
        if (!rr->n_events) break;
        for (size_t i = 0; i < rr->n_events; i++, from++) {
            Hub__Event *ev = hub__event__unpack(NULL, rr->events[i].len, rr->events[i].data);
            assert_non_null(ev);
            assert_int_equal(ev->seq, from);
            if (!strcmp(ev->topic, "matching.referral.offered")) offered++;
            else if (!strncmp(ev->topic, "matching.referral.", 18)) other_ref++;
            hub__event__free_unpacked(ev, NULL);
        }
    }
    hub_arena_destroy(&ea);
    assert_int_equal(offered, KILL_N);
    assert_int_equal(other_ref, 0);
    /* the live feed runs on after the restart */
    hub_client_t *in = hub_client_new(s_zctx, p->in.api, NULL, 5000);
    char id[32];
    s_submit(in, "after-restart", NULL, NULL, id);
    hub_arena_reset(a);
    s_wait_ref(mt, a, id, MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    hub_client_destroy(&in);
    hub_arena_destroy(&a);
    hub_client_destroy(&mt);
}

/* ---- two takers race for the last unit ---- */
typedef struct {
    const char *ep;
    const char *verb;
    const ProtobufCMessage *req;
    pthread_barrier_t *go;
    int rc;
    hub_error_t err;
    int status;
} race_t;

static void *s_race(void *p)
{
    race_t *r = p;
    hub_client_t *c = hub_client_new(s_zctx, r->ep, NULL, 10000);
    hub_arena_t *a = hub_arena_new(4 << 20);
    /* connected and warmed up before the start line */
    Hub__StatusRequest sq = HUB__STATUS_REQUEST__INIT;
    ProtobufCMessage *st;
    hub_error_t e = {0};
    hub_client_call(c, "hub.status", &sq.base, &hub__status_reply__descriptor, a, &st, &e);
    pthread_barrier_wait(r->go);
    Matching__ReferralReply *rep = NULL;
    r->rc = hub_client_call(c, r->verb, r->req, &matching__referral_reply__descriptor, a,
                            (ProtobufCMessage **)&rep, &r->err);
    if (r->rc == 0) r->status = rep->referral->status;
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
    return NULL;
}

/* Runs two commands at once from two clients; asserts exactly one OK and
 * the other FAILED_PRECONDITION with a message containing text. Returns
 * the index of the winner. */
static int s_race2(const char *ep, const char *verb, const ProtobufCMessage *r0, const ProtobufCMessage *r1,
                   const char *text)
{
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 2);
    race_t rs[2] = {{ep, verb, r0, &go, -2, {0}, 0}, {ep, verb, r1, &go, -2, {0}, 0}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, s_race, &rs[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&go);
    int ok = (rs[0].rc == 0) + (rs[1].rc == 0);
    if (ok != 1) fail_msg("%s race: rc %d (%s: %s) and %d (%s: %s); exactly one must succeed", verb, rs[0].rc,
                          hub_error_code_name(rs[0].err.code), rs[0].err.message, rs[1].rc,
                          hub_error_code_name(rs[1].err.code), rs[1].err.message);
    int w = rs[0].rc == 0 ? 0 : 1;
    const race_t *l = &rs[1 - w];
    if (l->rc != 1 || l->err.code != HUB__ERROR_CODE__FAILED_PRECONDITION || !strstr(l->err.message, text))
        fail_msg("%s race loser: rc %d %s field \"%s\": \"%s\"; expected FAILED_PRECONDITION ~\"%s\"", verb, l->rc,
                 hub_error_code_name(l->err.code), l->err.field, l->err.message, text);
    return w;
}

static void test_race_for_last_unit(void **state)
{
    pair_t *p = *state;
    hub_client_t *in, *mt;
    hub_arena_t *a = s_open(p, &in, &mt);
    s_add_org(mt, a, "ORG-X", "elderly-care", "鼓楼街道", 1, true);
    char r1[32], r2[32], r3[32];
    s_submit(in, "race-1", NULL, NULL, r1);
    Matching__Referral *r = s_wait_ref(mt, a, r1, MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    assert_string_equal(r->provider_id, "ORG-X");
    s_expect_org(mt, "ORG-X", 0, 1, 0, 0, 0, 0, 0);
    /* the same offer accepted twice at once (a double click): one wins */
    Matching__RespondRequest acc = MATCHING__RESPOND_REQUEST__INIT;
    acc.request_id = r1;
    acc.provider_id = "ORG-X";
    acc.action = "accept";
    s_race2(p->mt.api, "matching.referral.respond", &acc.base, &acc.base, "ACCEPTED");
    s_expect_org(mt, "ORG-X", 0, 1, 1, 0, 0, 0, 0);
    /* the unit is taken: the next request finds nobody and the operator
     * cannot force it onto X */
    s_submit(in, "race-2", NULL, NULL, r2);
    hub_arena_reset(a);
    r = s_wait_ref(mt, a, r2, MATCHING__REFERRAL_STATUS__REJECTED, 0);
    Matching__AssignRequest as2 = s_assign_req(r2, "ORG-X");
    s_refused(mt, "matching.referral.assign", &as2.base, &matching__referral_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, "provider_id", "no capacity");
    s_expect_org(mt, "ORG-X", 0, 1, 1, 0, 0, 0, 0);
    s_submit(in, "race-3", NULL, NULL, r3);
    hub_arena_reset(a);
    s_wait_ref(mt, a, r3, MATCHING__REFERRAL_STATUS__REJECTED, 0);
    /* the case ends: one unit free, two queued requests assigned at once */
    s_respond_ok(mt, a, r1, "ORG-X", "complete", NULL, MATCHING__OUTCOME__GOT_HELP, 1);
    s_expect_org(mt, "ORG-X", 1, 1, 1, 0, 0, 1, 1);
    Matching__AssignRequest as3 = s_assign_req(r3, "ORG-X");
    int w = s_race2(p->mt.api, "matching.referral.assign", &as2.base, &as3.base, "no capacity");
    const char *winner = w == 0 ? r2 : r3, *loser = w == 0 ? r3 : r2;
    s_expect_org(mt, "ORG-X", 0, 2, 2, 0, 0, 1, 1);
    hub_arena_reset(a);
    r = s_ref(mt, a, winner);
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__ACCEPTED);
    assert_string_equal(r->provider_id, "ORG-X");
    r = s_ref(mt, a, loser);
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__REJECTED);
    assert_int_equal(r->n_offers, 0); /* the refused assignment left no trace */
    Matching__Referral **q;
    size_t nq = s_ref_list(mt, a, true, 0, &q);
    assert_int_equal(nq, 1);
    assert_string_equal(q[0]->request_id, loser);
    free(q);
    /* an operator's update of the record cannot free a unit that is taken:
     * available is capped at maximum - open cases */
    hub_arena_reset(a);
    Matching__Organization *o = s_org(mt, a, "ORG-X");
    o->capacity->available = 1;
    o->capacity->maximum = 1;
    Matching__PutOrganizationRequest uq = MATCHING__PUT_ORGANIZATION_REQUEST__INIT;
    uq.org = o;
    Matching__OrganizationReply *ur = s_ok(mt, "matching.org.update", &uq.base, &matching__organization_reply__descriptor, a);
    assert_int_equal(ur->org->capacity->available, 0);
    s_expect_org(mt, "ORG-X", 0, 2, 2, 0, 0, 1, 1);
    hub_arena_reset(a);
    o = s_org(mt, a, "ORG-X");
    o->capacity->available = 3;
    o->capacity->maximum = 3;
    uq.org = o;
    ur = s_ok(mt, "matching.org.update", &uq.base, &matching__organization_reply__descriptor, a);
    assert_int_equal(ur->org->capacity->available, 2);
    assert_int_equal(ur->org->membership, MATCHING__MEMBERSHIP__APPROVED);
    s_expect_org(mt, "ORG-X", 2, 2, 2, 0, 0, 1, 1);
    /* and the freed units are offered again */
    char r4[32];
    s_submit(in, "race-4", NULL, NULL, r4);
    hub_arena_reset(a);
    r = s_wait_ref(mt, a, r4, MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    assert_string_equal(r->provider_id, "ORG-X");
    s_expect_org(mt, "ORG-X", 1, 3, 2, 0, 0, 1, 1);
    s_close(&a, &in, &mt);
}

/* ---- intake cancel withdraws the referral ---- */
static void test_intake_cancel_withdraws(void **state)
{
    hub_client_t *in, *mt;
    hub_arena_t *a = s_open(*state, &in, &mt);
    s_add_org(mt, a, "ORG-A", "elderly-care", "*", 4, true);
    char pending[32], accepted[32], dup[32], done[32], marker[32];
    s_submit(in, "cancel-1", NULL, NULL, pending);
    s_submit(in, "cancel-2", NULL, NULL, accepted);
    s_submit(in, "cancel-3", NULL, NULL, dup);
    s_submit(in, "cancel-4", NULL, NULL, done);
    const char *all[4] = {pending, accepted, dup, done};
    for (int i = 0; i < 4; i++) {
        hub_arena_reset(a);
        s_wait_ref(mt, a, all[i], MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    }
    s_expect_org(mt, "ORG-A", 0, 4, 0, 0, 0, 0, 0);
    s_respond_ok(mt, a, accepted, "ORG-A", "accept", NULL, 0, 0);
    s_respond_ok(mt, a, done, "ORG-A", "accept", NULL, 0, 0);
    s_respond_ok(mt, a, done, "ORG-A", "complete", NULL, MATCHING__OUTCOME__GOT_HELP, 3);
    s_expect_org(mt, "ORG-A", 1, 4, 2, 0, 0, 1, 1);

    s_intake_update(in, pending, "cancel", "已由家属解决", NULL);
    s_intake_update(in, accepted, "cancel", "不再需要", NULL);
    s_intake_update(in, dup, "duplicate", "", accepted);
    s_intake_update(in, done, "cancel", "late cancel", NULL); /* already completed: stays */
    s_submit(in, "cancel-marker", NULL, NULL, marker);        /* applied after all of the above */
    hub_arena_reset(a);
    s_wait_ref(mt, a, marker, MATCHING__REFERRAL_STATUS__REQUESTED, 1);

    hub_arena_reset(a);
    Matching__Referral *r = s_wait_ref(mt, a, pending, MATCHING__REFERRAL_STATUS__CANCELLED, 1);
    assert_int_equal(r->offers[0]->state, MATCHING__OFFER_STATE__OFFER_WITHDRAWN);
    assert_string_equal(r->provider_id, "");
    r = s_wait_ref(mt, a, accepted, MATCHING__REFERRAL_STATUS__CANCELLED, 1);
    assert_int_equal(r->offers[0]->state, MATCHING__OFFER_STATE__OFFER_ENDED);
    r = s_wait_ref(mt, a, dup, MATCHING__REFERRAL_STATUS__CANCELLED, 1);
    assert_int_equal(r->offers[0]->state, MATCHING__OFFER_STATE__OFFER_WITHDRAWN);
    bool says_duplicate = false;
    for (size_t i = 0; i < r->n_history; i++)
        if (strstr(r->history[i]->text, "duplicate")) says_duplicate = true;
    assert_true(says_duplicate);
    r = s_ref(mt, a, done);
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__COMPLETED);
    /* every unit is back but the marker's */
    s_expect_org(mt, "ORG-A", 3, 5, 2, 0, 0, 1, 1);
    char evs[512];
    s_ref_events(mt, pending, evs, sizeof evs);
    assert_string_equal(evs, "offered withdrawn");
    s_ref_events(mt, accepted, evs, sizeof evs);
    assert_string_equal(evs, "offered accepted withdrawn");
    s_ref_events(mt, done, evs, sizeof evs);
    assert_string_equal(evs, "offered accepted completed");
    /* a withdrawn referral cannot be answered */
    hub_error_t err = {0};
    assert_int_equal(s_respond(mt, a, pending, "ORG-A", "accept", NULL, 0, 0, NULL, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "CANCELLED"));
    s_close(&a, &in, &mt);
}

/* ---- either daemon restarts: the feed resumes, nothing doubles ---- */
static void test_restarts_resume_feed(void **state)
{
    pair_t *p = *state;
    hub_client_t *in, *mt;
    hub_arena_t *a = s_open(p, &in, &mt);
    s_add_org(mt, a, "ORG-A", "elderly-care", "*", 100, true);
    char ids[60][32];
    for (int i = 0; i < 20; i++) {
        char mid[32];
        snprintf(mid, sizeof mid, "restart-%d", i);
        s_submit(in, mid, NULL, NULL, ids[i]);
    }
    /* intake restarts under matching's feed */
    hub_client_destroy(&in);
    assert_int_equal(harness_stop(&p->in, SIGTERM), 0);
    assert_int_equal(harness_start(&p->in), 0);
    in = hub_client_new(s_zctx, p->in.api, NULL, 5000);
    for (int i = 20; i < 40; i++) {
        char mid[32];
        snprintf(mid, sizeof mid, "restart-%d", i);
        s_submit(in, mid, NULL, NULL, ids[i]);
    }
    for (int i = 0; i < 40; i++) {
        hub_arena_reset(a);
        s_wait_ref(mt, a, ids[i], MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    }
    /* matching starts while intake is down (it must not wait for it), and
     * catches up once intake is back */
    hub_client_destroy(&in);
    hub_client_destroy(&mt);
    assert_int_equal(harness_stop(&p->mt, SIGTERM), 0);
    assert_int_equal(harness_stop(&p->in, SIGTERM), 0);
    assert_int_equal(harness_start(&p->mt), 0);
    assert_int_equal(harness_start(&p->in), 0);
    in = hub_client_new(s_zctx, p->in.api, NULL, 5000);
    mt = hub_client_new(s_zctx, p->mt.api, NULL, 5000);
    for (int i = 40; i < 60; i++) {
        char mid[32];
        snprintf(mid, sizeof mid, "restart-%d", i);
        s_submit(in, mid, NULL, NULL, ids[i]);
    }
    for (int i = 40; i < 60; i++) {
        hub_arena_reset(a);
        s_wait_ref(mt, a, ids[i], MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    }
    hub_arena_reset(a);
    Matching__Referral **all;
    size_t n = s_ref_list(mt, a, false, 0, &all);
    assert_int_equal(n, 60);
    for (size_t i = 0; i < n; i++) assert_int_equal(all[i]->n_offers, 1);
    free(all);
    s_expect_org(mt, "ORG-A", 40, 60, 0, 0, 0, 0, 0);
    s_close(&a, &in, &mt);
}

/* ---- bad input gets clear errors, and the daemon keeps serving ---- */

/* A valid 统一社会信用代码: registration authority 5 (civil affairs), kind
 * 1 (social group), Haishu's division code 330203, an organization code
 * from n with its GB 11714 check, and the GB 32100 check character. */
static void s_credit_code(unsigned n, char out[19])
{
    static const char cs[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    static const int w17[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    static const int w8[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    snprintf(out, 19, "51330203%08u", n % 100000000u);
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        char c = out[8 + i];
        sum += (isdigit((unsigned char)c) ? c - '0' : c - 'A' + 10) * w8[i];
    }
    int k = 11 - sum % 11;
    out[16] = k == 10 ? 'X' : k == 11 ? '0' : (char)('0' + k);
    sum = 0;
    for (int i = 0; i < 17; i++) sum += (int)(strchr(cs, out[i]) - cs) * w17[i];
    out[17] = cs[(31 - sum % 31) % 31];
    out[18] = 0;
}

static void test_bad_input_gets_clear_errors(void **state)
{
    pair_t *p = *state;
    hub_client_t *in, *mt;
    hub_arena_t *a = s_open(p, &in, &mt);
    uint64_t errors_before = s_counter(s_status(mt, a), "errors_total");
    s_add_a_and_b(mt, a, 3);
    char id[32];
    s_submit(in, "bad-1", NULL, NULL, id);
    Matching__Referral *r = s_wait_ref(mt, a, id, MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    assert_string_equal(r->provider_id, "ORG-A");
    const ProtobufCMessageDescriptor *refd = &matching__referral_reply__descriptor;

    /* unknown ids */
    Matching__GetReferralRequest gq = MATCHING__GET_REFERRAL_REQUEST__INIT;
    gq.request_id = "R20000101-000001";
    s_refused(mt, "matching.referral.get", &gq.base, refd, HUB__ERROR_CODE__NOT_FOUND, "request_id", NULL);
    Matching__RespondRequest rq = MATCHING__RESPOND_REQUEST__INIT;
    rq.request_id = "R20000101-000001";
    rq.provider_id = "ORG-A";
    rq.action = "accept";
    s_refused(mt, "matching.referral.respond", &rq.base, refd, HUB__ERROR_CODE__NOT_FOUND, "request_id", NULL);
    Matching__AssignRequest aq = s_assign_req("R20000101-000001", "ORG-A");
    s_refused(mt, "matching.referral.assign", &aq.base, refd, HUB__ERROR_CODE__NOT_FOUND, "request_id", NULL);
    aq = s_assign_req(id, "ORG-NOBODY");
    s_refused(mt, "matching.referral.assign", &aq.base, refd, HUB__ERROR_CODE__NOT_FOUND, "provider_id", NULL);
    Matching__GetProviderRequest pq = MATCHING__GET_PROVIDER_REQUEST__INIT;
    pq.id = "ORG-NOBODY";
    s_refused(mt, "matching.org.get", &pq.base, &matching__organization_reply__descriptor,
              HUB__ERROR_CODE__NOT_FOUND, "id", NULL);
    Matching__ExplainRequest xq = MATCHING__EXPLAIN_REQUEST__INIT;
    xq.request_id = "R20000101-000001";
    s_refused(mt, "matching.explain", &xq.base, &matching__explain_reply__descriptor, HUB__ERROR_CODE__NOT_FOUND,
              "request_id", NULL);

    /* illegal transitions */
    rq.request_id = id;
    rq.action = "complete";
    rq.outcome = MATCHING__OUTCOME__GOT_HELP;
    s_refused(mt, "matching.referral.respond", &rq.base, refd, HUB__ERROR_CODE__FAILED_PRECONDITION, "action",
              "REQUESTED");
    rq.action = "start";
    rq.outcome = 0;
    s_refused(mt, "matching.referral.respond", &rq.base, refd, HUB__ERROR_CODE__FAILED_PRECONDITION, "action",
              "REQUESTED");
    rq.action = "accept";
    rq.provider_id = "ORG-B"; /* does not hold the offer */
    s_refused(mt, "matching.referral.respond", &rq.base, refd, HUB__ERROR_CODE__FAILED_PRECONDITION,
              "provider_id", "ORG-B");
    rq.provider_id = "ORG-NOBODY";
    s_refused(mt, "matching.referral.respond", &rq.base, refd, HUB__ERROR_CODE__FAILED_PRECONDITION,
              "provider_id", NULL);
    rq.provider_id = "ORG-A";
    rq.action = "explode";
    s_refused(mt, "matching.referral.respond", &rq.base, refd, HUB__ERROR_CODE__INVALID_ARGUMENT, "action", NULL);
    /* after the accept: a completion needs an outcome and sane hours */
    rq.action = "accept";
    s_ok(mt, "matching.referral.respond", &rq.base, refd, a);
    rq.action = "accept";
    s_refused(mt, "matching.referral.respond", &rq.base, refd, HUB__ERROR_CODE__FAILED_PRECONDITION, "action",
              "ACCEPTED");
    rq.action = "complete";
    s_refused(mt, "matching.referral.respond", &rq.base, refd, HUB__ERROR_CODE__INVALID_ARGUMENT, "outcome", NULL);
    rq.outcome = MATCHING__OUTCOME__GOT_HELP;
    rq.hours = 5000;
    s_refused(mt, "matching.referral.respond", &rq.base, refd, HUB__ERROR_CODE__INVALID_ARGUMENT, "hours", NULL);
    rq.hours = -1;
    s_refused(mt, "matching.referral.respond", &rq.base, refd, HUB__ERROR_CODE__INVALID_ARGUMENT, "hours", NULL);
    /* none of it left a trace */
    hub_arena_reset(a);
    r = s_ref(mt, a, id);
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__ACCEPTED);
    assert_int_equal(r->n_offers, 1);
    s_expect_org(mt, "ORG-A", 2, 1, 1, 0, 0, 0, 0);
    s_expect_org(mt, "ORG-B", 3, 0, 0, 0, 0, 0, 0);

    /* the library: credit codes, service codes, areas */
    char code[19], bad[19];
    s_credit_code(12345678, code);
    Matching__Organization o = MATCHING__ORGANIZATION__INIT;
    char *svcs[1] = {"legal-aid"}, *areas[1] = {"*"};
    o.name = "海曙区律师志愿服务协会";
    o.legal_form = MATCHING__LEGAL_FORM__SOCIAL_GROUP;
    o.services = svcs;
    o.n_services = 1;
    o.areas = areas;
    o.n_areas = 1;
    Matching__PutOrganizationRequest oq = MATCHING__PUT_ORGANIZATION_REQUEST__INIT;
    oq.org = &o;
    const ProtobufCMessageDescriptor *orgd = &matching__organization_reply__descriptor;
    s_refused(mt, "matching.org.add", &oq.base, orgd, HUB__ERROR_CODE__INVALID_ARGUMENT, "org.credit_code",
              NULL); /* required for a registered social group */
    memcpy(bad, code, sizeof bad);
    bad[17] = bad[17] == '0' ? '1' : '0'; /* wrong check character */
    o.credit_code = bad;
    s_refused(mt, "matching.org.add", &oq.base, orgd, HUB__ERROR_CODE__INVALID_ARGUMENT, "org.credit_code", NULL);
    s_credit_code(12345678, bad); /* wrong organization-code check, right final check */
    bad[16] = bad[16] == '1' ? '2' : '1';
    {
        static const char cs[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
        static const int w17[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
        int sum = 0;
        for (int i = 0; i < 17; i++) sum += (int)(strchr(cs, bad[i]) - cs) * w17[i];
        bad[17] = cs[(31 - sum % 31) % 31];
    }
    s_refused(mt, "matching.org.add", &oq.base, orgd, HUB__ERROR_CODE__INVALID_ARGUMENT, "org.credit_code", NULL);
    o.credit_code = "91330203MA2AAAAA1"; /* 17 characters */
    s_refused(mt, "matching.org.add", &oq.base, orgd, HUB__ERROR_CODE__INVALID_ARGUMENT, "org.credit_code", NULL);
    o.credit_code = code;
    svcs[0] = "no-such-service";
    s_refused(mt, "matching.org.add", &oq.base, orgd, HUB__ERROR_CODE__INVALID_ARGUMENT, "org.services[0]",
              "no-such-service");
    svcs[0] = "legal-aid";
    areas[0] = "火星街道";
    s_refused(mt, "matching.org.add", &oq.base, orgd, HUB__ERROR_CODE__INVALID_ARGUMENT, "org.areas[0]", NULL);
    areas[0] = "*";
    Matching__OrganizationReply *orep = s_ok(mt, "matching.org.add", &oq.base, orgd, a); /* now valid */
    assert_string_equal(orep->org->credit_code, code);
    char first_id[32];
    snprintf(first_id, sizeof first_id, "%s", orep->org->id);
    o.name = "另一个协会"; /* the same code twice */
    s_refused(mt, "matching.org.add", &oq.base, orgd, HUB__ERROR_CODE__ALREADY_EXISTS, "org.credit_code", first_id);
    o.id = "ORG-A"; /* an id taken */
    o.credit_code = "";
    o.legal_form = MATCHING__LEGAL_FORM__COMMUNITY_GROUP;
    s_refused(mt, "matching.org.add", &oq.base, orgd, HUB__ERROR_CODE__ALREADY_EXISTS, "org.id", NULL);
    Matching__Volunteer v = MATCHING__VOLUNTEER__INIT;
    Matching__Skill sk = MATCHING__SKILL__INIT, *sks[1] = {&sk};
    sk.service = "no-such-service";
    v.name = "张三";
    v.skills = sks;
    v.n_skills = 1;
    v.max_open_cases = 1;
    Matching__PutVolunteerRequest vq = MATCHING__PUT_VOLUNTEER_REQUEST__INIT;
    vq.volunteer = &v;
    s_refused(mt, "matching.volunteer.add", &vq.base, &matching__volunteer_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "volunteer.skills[0].service", "no-such-service");
    /* membership: APPLIED cannot be suspended */
    Matching__MembershipRequest mq = MATCHING__MEMBERSHIP_REQUEST__INIT;
    mq.id = first_id;
    mq.membership = MATCHING__MEMBERSHIP__SUSPENDED;
    s_refused(mt, "matching.org.membership", &mq.base, orgd, HUB__ERROR_CODE__FAILED_PRECONDITION, NULL, "APPLIED");

    /* malformed bodies, wrong types, unknown verbs */
    s_refused_raw(mt, "matching.org.add", "\xff\xff\xff\xff", 4, HUB__ERROR_CODE__INVALID_ARGUMENT, NULL);
    s_refused_raw(mt, "matching.referral.respond", "\x0a\x80", 2, HUB__ERROR_CODE__INVALID_ARGUMENT, NULL);
    s_refused_raw(mt, "matching.org.add", "", 0, HUB__ERROR_CODE__INVALID_ARGUMENT, "org");
    s_refused_raw(mt, "matching.referral.get", "", 0, HUB__ERROR_CODE__NOT_FOUND, "request_id");
    s_refused_raw(mt, "matching.nope", "", 0, HUB__ERROR_CODE__NOT_FOUND, "verb");
    uint8_t ubuf[64];
    Matching__RespondRequest u8 = MATCHING__RESPOND_REQUEST__INIT;
    u8.request_id = id;
    u8.provider_id = "ORG-A";
    u8.action = "\xe4\xb8"; /* invalid UTF-8 */
    size_t ulen = matching__respond_request__pack(&u8, ubuf);
    s_refused_raw(mt, "matching.referral.respond", ubuf, ulen, HUB__ERROR_CODE__INVALID_ARGUMENT, "action");
    Matching__ListReferralsRequest lq = MATCHING__LIST_REFERRALS_REQUEST__INIT;
    lq.status = 42; /* unknown enum value */
    ulen = matching__list_referrals_request__pack(&lq, ubuf);
    s_refused_raw(mt, "matching.referral.list", ubuf, ulen, HUB__ERROR_CODE__INVALID_ARGUMENT, "status");

    /* the daemon still serves, counted every refusal, and still matches */
    assert_true(s_alive(&p->mt));
    hub_arena_reset(a);
    Hub__StatusReply *st = s_status(mt, a);
    assert_string_equal(st->source, "matching");
    assert_true(s_counter(st, "errors_total") >= errors_before + 30);
    hub_arena_reset(a);
    r = s_ref(mt, a, id);
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__ACCEPTED);
    char id2[32];
    s_submit(in, "bad-2", NULL, NULL, id2);
    hub_arena_reset(a);
    r = s_wait_ref(mt, a, id2, MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    s_close(&a, &in, &mt);
}

/* ---- intake close and reopen: withdrawn, then matched again ---- */

/* Waits on sub for topic about request id; returns the referral's status
 * in that event (or fails the test at the deadline). */
static int s_wait_topic(hub_sub_t *sub, const char *id, const char *topic)
{
    hub_arena_t *ea = hub_arena_new(8 << 20);
    int64_t deadline = hub_mono_ms() + WAIT_MS;
    int status = -1;
    while (status < 0 && hub_mono_ms() < deadline) {
        Hub__Event *ev = NULL;
        hub_error_t err = {0};
        hub_arena_reset(ea);
        int rc = hub_sub_next(sub, 500, ea, &ev, &err);
        if (rc < 0) fail_msg("subscription failed: %s %s", hub_error_code_name(err.code), err.message);
        if (rc == 0 || strcmp(ev->topic, topic)) continue;
        Matching__ReferralEvent *re = matching__referral_event__unpack(NULL, ev->payload.len, ev->payload.data);
        assert_non_null(re);
        assert_non_null(re->referral);
        if (!strcmp(re->referral->request_id, id)) status = (int)re->referral->status;
        matching__referral_event__free_unpacked(re, NULL);
    }
    hub_arena_destroy(&ea);
    if (status < 0) fail_msg("no %s event for %s on matching's PUB", topic, id);
    return status;
}

static bool s_history_has(const Matching__Referral *r, const char *action, const char *text)
{
    for (size_t i = 0; i < r->n_history; i++)
        if (!strcmp(r->history[i]->action, action) && (!text || strstr(r->history[i]->text, text))) return true;
    return false;
}

static void test_intake_close_and_reopen(void **state)
{
    pair_t *p = *state;
    hub_client_t *in, *mt;
    hub_arena_t *a = s_open(p, &in, &mt);
    s_add_a_and_b(mt, a, 2); /* same street: the best */
    hub_sub_t *sub = hub_sub_new(s_zctx, p->mt.pub, p->mt.api, NULL, 0, 0);
    char id[32];
    s_submit(in, "close-1", NULL, NULL, id);
    Matching__Referral *r = s_wait_ref(mt, a, id, MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    assert_string_equal(r->provider_id, "ORG-A");
    s_expect_org(mt, "ORG-A", 1, 1, 0, 0, 0, 0, 0);

    /* intake: closing needs a reason */
    Intake__UpdateRequest u = INTAKE__UPDATE_REQUEST__INIT;
    u.service_request_id = id;
    u.action = "close";
    u.text = "";
    s_refused(in, "intake.update", &u.base, &intake__update_reply__descriptor, HUB__ERROR_CODE__INVALID_ARGUMENT,
              "text", NULL);
    s_intake_update(in, id, "close", "已转介至街道社工站", NULL);
    hub_arena_reset(a);
    r = s_wait_ref(mt, a, id, MATCHING__REFERRAL_STATUS__CANCELLED, 1);
    assert_int_equal(r->n_offers, 1);
    assert_int_equal(r->offers[0]->state, MATCHING__OFFER_STATE__OFFER_WITHDRAWN);
    assert_string_equal(r->provider_id, "");
    assert_true(s_history_has(r, "withdraw", "closed at intake"));
    s_expect_org(mt, "ORG-A", 2, 1, 0, 0, 0, 0, 0); /* the unit is back */
    s_expect_org(mt, "ORG-B", 2, 0, 0, 0, 0, 0, 0);
    hub_error_t err = {0};
    assert_int_equal(s_respond(mt, a, id, "ORG-A", "accept", NULL, 0, 0, NULL, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);

    /* reopened at intake: matched again, and the withdrawn offer does not
     * bar ORG-A, still the best */
    s_intake_update(in, id, "reopen", "家属再次来电", NULL);
    hub_arena_reset(a);
    r = s_wait_ref(mt, a, id, MATCHING__REFERRAL_STATUS__REQUESTED, 2);
    assert_int_equal(r->n_offers, 2);
    assert_int_equal(r->offers[0]->state, MATCHING__OFFER_STATE__OFFER_WITHDRAWN);
    assert_string_equal(r->offers[1]->provider_id, "ORG-A");
    assert_int_equal(r->offers[1]->state, MATCHING__OFFER_STATE__OFFER_PENDING);
    assert_true(r->offers[1]->deadline_ms > r->offers[1]->offered_ms);
    assert_string_equal(r->provider_id, "ORG-A");
    assert_true(s_history_has(r, "reopen", NULL));
    s_expect_org(mt, "ORG-A", 1, 2, 0, 0, 0, 0, 0);
    s_expect_org(mt, "ORG-B", 2, 0, 0, 0, 0, 0, 0);
    assert_int_equal(s_wait_topic(sub, id, "matching.referral.reopened"), MATCHING__REFERRAL_STATUS__REQUESTED);
    hub_sub_destroy(&sub);
    char evs[512];
    s_ref_events(mt, id, evs, sizeof evs);
    assert_string_equal(evs, "offered withdrawn reopened offered");
    /* the new offer is live: ORG-A accepts it */
    hub_arena_reset(a);
    r = s_respond_ok(mt, a, id, "ORG-A", "accept", NULL, 0, 0);
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__ACCEPTED);
    s_expect_as_stored(mt, r);
    s_expect_org(mt, "ORG-A", 1, 2, 1, 0, 0, 0, 0);

    /* closed once more while accepted (the offer ends), reopened once more:
     * the ended offer does not bar ORG-A either */
    s_intake_update(in, id, "close", "服务暂停", NULL);
    hub_arena_reset(a);
    r = s_wait_ref(mt, a, id, MATCHING__REFERRAL_STATUS__CANCELLED, 2);
    assert_int_equal(r->offers[1]->state, MATCHING__OFFER_STATE__OFFER_ENDED);
    s_expect_org(mt, "ORG-A", 2, 2, 1, 0, 0, 0, 0);
    s_intake_update(in, id, "reopen", "恢复服务", NULL);
    hub_arena_reset(a);
    r = s_wait_ref(mt, a, id, MATCHING__REFERRAL_STATUS__REQUESTED, 3);
    assert_int_equal(r->n_offers, 3);
    assert_string_equal(r->offers[2]->provider_id, "ORG-A");
    assert_int_equal(r->offers[2]->state, MATCHING__OFFER_STATE__OFFER_PENDING);
    s_expect_org(mt, "ORG-A", 1, 3, 1, 0, 0, 0, 0);
    s_expect_org(mt, "ORG-B", 2, 0, 0, 0, 0, 0, 0);
    s_ref_events(mt, id, evs, sizeof evs);
    assert_string_equal(evs, "offered withdrawn reopened offered accepted withdrawn reopened offered");
    s_close(&a, &in, &mt);
}

/* ---- respond is the provider's: operator and internal actions are refused ---- */
static void s_expect_ref(hub_client_t *mt, const char *id, int status, const char *provider, size_t n_offers,
                         size_t n_history)
{
    hub_arena_t *a = hub_arena_new(4 << 20);
    Matching__Referral *r = s_ref(mt, a, id);
    if ((int)r->status != status || strcmp(r->provider_id, provider) || r->n_offers != n_offers ||
        r->n_history != n_history)
        fail_msg("%s: %s with \"%s\", %zu offers, %zu history entries; expected %s with \"%s\", %zu, %zu", id,
                 s_status_name(r->status), r->provider_id, r->n_offers, r->n_history, s_status_name(status),
                 provider, n_offers, n_history);
    hub_arena_destroy(&a);
}

static void test_respond_rejects_operator_actions(void **state)
{
    hub_client_t *in, *mt;
    hub_arena_t *a = s_open(*state, &in, &mt);
    s_add_a_and_b(mt, a, 2);
    char id[32];
    s_submit(in, "ops-1", NULL, NULL, id);
    Matching__Referral *r = s_wait_ref(mt, a, id, MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    assert_string_equal(r->provider_id, "ORG-A");
    size_t hist = r->n_history;
    static const char *const ops[] = {"withdraw", "assign", "offer", "expire", "reopen"};
    Matching__RespondRequest q = MATCHING__RESPOND_REQUEST__INIT;
    q.request_id = id;
    q.provider_id = "ORG-A"; /* the provider holding the offer */
    q.reason = "not mine to do";
    const ProtobufCMessageDescriptor *refd = &matching__referral_reply__descriptor;
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        q.action = (char *)ops[i];
        s_refused(mt, "matching.referral.respond", &q.base, refd, HUB__ERROR_CODE__INVALID_ARGUMENT, "action", NULL);
        q.provider_id = "ORG-B"; /* the next candidate: would get it on a withdraw/expire */
        s_refused(mt, "matching.referral.respond", &q.base, refd, HUB__ERROR_CODE__INVALID_ARGUMENT, "action", NULL);
        q.provider_id = "ORG-A";
    }
    s_expect_ref(mt, id, MATCHING__REFERRAL_STATUS__REQUESTED, "ORG-A", 1, hist);
    hub_arena_reset(a);
    r = s_ref(mt, a, id);
    assert_int_equal(r->offers[0]->state, MATCHING__OFFER_STATE__OFFER_PENDING);
    s_expect_org(mt, "ORG-A", 1, 1, 0, 0, 0, 0, 0);
    s_expect_org(mt, "ORG-B", 2, 0, 0, 0, 0, 0, 0);

    /* accepted: still refused, nothing moves */
    hub_arena_reset(a);
    r = s_respond_ok(mt, a, id, "ORG-A", "accept", NULL, 0, 0);
    hist = r->n_history;
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        q.action = (char *)ops[i];
        s_refused(mt, "matching.referral.respond", &q.base, refd, HUB__ERROR_CODE__INVALID_ARGUMENT, "action", NULL);
    }
    s_expect_ref(mt, id, MATCHING__REFERRAL_STATUS__ACCEPTED, "ORG-A", 1, hist);
    s_expect_org(mt, "ORG-A", 1, 1, 1, 0, 0, 0, 0);

    /* withdrawn by the operator: a provider's "reopen" is refused too */
    Matching__WithdrawRequest wq = MATCHING__WITHDRAW_REQUEST__INIT;
    wq.request_id = id;
    wq.reason = "requester moved away";
    hub_arena_reset(a);
    Matching__ReferralReply *wr = s_ok(mt, "matching.referral.withdraw", &wq.base, refd, a);
    assert_int_equal(wr->referral->status, MATCHING__REFERRAL_STATUS__CANCELLED);
    hist = wr->referral->n_history;
    s_expect_org(mt, "ORG-A", 2, 1, 1, 0, 0, 0, 0);
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        q.action = (char *)ops[i];
        s_refused(mt, "matching.referral.respond", &q.base, refd, HUB__ERROR_CODE__INVALID_ARGUMENT, "action", NULL);
    }
    s_expect_ref(mt, id, MATCHING__REFERRAL_STATUS__CANCELLED, "", 1, hist);
    s_expect_org(mt, "ORG-A", 2, 1, 1, 0, 0, 0, 0);
    s_expect_org(mt, "ORG-B", 2, 0, 0, 0, 0, 0, 0);
    char evs[512];
    s_ref_events(mt, id, evs, sizeof evs);
    assert_string_equal(evs, "offered accepted withdrawn");
    s_close(&a, &in, &mt);
}

/* ---- import: foreign (HSDS UUID) ids become ours, matched by credit code ---- */

static Matching__ImportReply *s_import(hub_client_t *mt, hub_arena_t *a, const char *format, const char *kind,
                                       const char *data)
{
    Matching__ImportRequest q = MATCHING__IMPORT_REQUEST__INIT;
    q.format = (char *)format;
    q.kind = (char *)(kind ? kind : "");
    q.data.data = (uint8_t *)data;
    q.data.len = strlen(data);
    return s_ok(mt, "matching.import", &q.base, &matching__import_reply__descriptor, a);
}

static void s_import_refused(hub_client_t *mt, const char *format, const char *kind, const char *data,
                             const char *field)
{
    Matching__ImportRequest q = MATCHING__IMPORT_REQUEST__INIT;
    q.format = (char *)format;
    q.kind = (char *)(kind ? kind : "");
    q.data.data = (uint8_t *)data;
    q.data.len = strlen(data);
    s_refused(mt, "matching.import", &q.base, &matching__import_reply__descriptor, HUB__ERROR_CODE__INVALID_ARGUMENT,
              field, NULL);
}

/* Every organization (paged); malloc'd array of arena pointers. */
static size_t s_org_list(hub_client_t *mt, hub_arena_t *a, Matching__Organization ***out)
{
    size_t n = 0, cap = 0;
    char after[64] = "";
    Matching__Organization **all = NULL;
    for (int pages = 0; pages < 1000; pages++) {
        Matching__ListProvidersRequest q = MATCHING__LIST_PROVIDERS_REQUEST__INIT;
        q.after_id = after;
        q.limit = 2; /* small pages: paging is exercised too */
        Matching__ListOrganizationsReply *r =
            s_ok(mt, "matching.org.list", &q.base, &matching__list_organizations_reply__descriptor, a);
        for (size_t i = 0; i < r->n_orgs; i++) {
            if (n == cap) all = realloc(all, (cap = cap ? cap * 2 : 16) * sizeof *all);
            all[n++] = r->orgs[i];
        }
        if (!*r->next_after_id) break;
        assert_true(strlen(r->next_after_id) < sizeof after);
        snprintf(after, sizeof after, "%s", r->next_after_id);
    }
    *out = all;
    return n;
}

static bool s_hub_org_id(const char *id)
{
    if (strlen(id) != 10 || strncmp(id, "ORG-", 4)) return false;
    for (int i = 4; i < 10; i++)
        if (!isdigit((unsigned char)id[i])) return false;
    return true;
}

/* An HSDS document: two registered organizations (UUID ids, credit codes)
 * and a community group with neither a hub id nor a credit code. */
static void s_hsds_doc(char *out, size_t len, const char *code1, const char *code2, const char *name1,
                       unsigned cap1)
{
    snprintf(out, len,
             "{\"organizations\": ["
             "{\"id\": \"0b6e7c1a-3f0e-4c55-9a71-4f1b2d1c0a01\", \"name\": \"%s\", \"legal_status\": \"社会团体\","
             " \"organization_identifiers\": [{\"identifier_scheme\": \"CN-USCC\", \"identifier\": \"%s\"}],"
             " \"services\": [{\"id\": \"7d1e0a4c-2b9f-4c1e-8f3a-0c9d8e7f6a01\", \"x_service_code\": \"elderly-care\","
             "  \"service_areas\": [{\"name\": \"鼓楼街道\"}],"
             "  \"capacities\": [{\"available\": %u, \"maximum\": %u}]}]},"
             "{\"id\": \"0b6e7c1a-3f0e-4c55-9a71-4f1b2d1c0a02\", \"name\": \"海曙区法律援助志愿者协会\","
             " \"legal_status\": \"民办非企业单位\","
             " \"organization_identifiers\": [{\"identifier_type\": \"统一社会信用代码\", \"identifier\": \"%s\"}],"
             " \"services\": [{\"id\": \"7d1e0a4c-2b9f-4c1e-8f3a-0c9d8e7f6a02\", \"x_service_code\": \"legal-aid\","
             "  \"service_areas\": [{\"name\": \"*\"}]}]},"
             "{\"id\": \"0b6e7c1a-3f0e-4c55-9a71-4f1b2d1c0a03\", \"name\": \"月湖邻里互助队\","
             " \"legal_status\": \"社区社会组织\","
             " \"services\": [{\"id\": \"7d1e0a4c-2b9f-4c1e-8f3a-0c9d8e7f6a03\", \"x_service_code\": \"family\","
             "  \"service_areas\": [{\"name\": \"月湖街道\"}]}]}"
             "]}",
             name1, code1, cap1, cap1, code2);
}

static void test_import_foreign_ids(void **state)
{
    pair_t *p = *state;
    hub_client_t *mt = hub_client_new(s_zctx, p->mt.api, NULL, 5000);
    hub_arena_t *a = hub_arena_new(8 << 20);
    char code1[19], code2[19], doc[4096];
    s_credit_code(20240001, code1);
    s_credit_code(20240002, code2);
    s_hsds_doc(doc, sizeof doc, code1, code2, "海曙区甲养老服务协会", 3);
    Matching__ImportReply *ir = s_import(mt, a, "hsds", NULL, doc);
    assert_int_equal(ir->added, 3);
    assert_int_equal(ir->updated, 0);
    /* the same file again, with a renamed organization and more units */
    s_hsds_doc(doc, sizeof doc, code1, code2, "海曙区甲养老服务协会（更名）", 5);
    ir = s_import(mt, a, "hsds", NULL, doc);
    if (ir->updated != 2 || ir->added != 1)
        fail_msg("second import: added %u, updated %u; expected added 1 (no credit code), updated 2", ir->added,
                 ir->updated);
    Matching__Organization **orgs;
    hub_arena_reset(a);
    size_t n = s_org_list(mt, a, &orgs);
    assert_int_equal(n, 4); /* 2 by credit code + the community group twice */
    size_t with1 = 0, with2 = 0, groups = 0;
    char id1[32] = "";
    for (size_t i = 0; i < n; i++) {
        const Matching__Organization *o = orgs[i];
        if (!s_hub_org_id(o->id)) fail_msg("org \"%s\" (%s) has no hub id ORG-xxxxxx", o->id, o->name);
        if (!strcmp(o->credit_code, code1)) {
            with1++;
            snprintf(id1, sizeof id1, "%s", o->id);
            assert_string_equal(o->name, "海曙区甲养老服务协会（更名）"); /* the second import wins */
            assert_non_null(o->capacity);
            assert_int_equal(o->capacity->maximum, 5);
            assert_int_equal(o->capacity->available, 5);
        } else if (!strcmp(o->credit_code, code2)) {
            with2++;
            assert_string_equal(o->name, "海曙区法律援助志愿者协会");
        } else {
            groups++;
            assert_string_equal(o->credit_code, "");
            assert_string_equal(o->name, "月湖邻里互助队");
            assert_int_equal(o->legal_form, MATCHING__LEGAL_FORM__COMMUNITY_GROUP);
        }
    }
    free(orgs);
    assert_int_equal(with1, 1);
    assert_int_equal(with2, 1);
    assert_int_equal(groups, 2);
    /* all or nothing: a bad second record (a credit code that fails its
     * check) refuses the whole file, the first record's rename included */
    char bad[19];
    memcpy(bad, code2, sizeof bad);
    bad[17] = bad[17] == '0' ? '1' : '0';
    s_hsds_doc(doc, sizeof doc, code1, bad, "不应生效的名称", 7);
    s_import_refused(mt, "hsds", NULL, doc, "orgs[1].credit_code");
    hub_arena_reset(a);
    Matching__Organization *o = s_org(mt, a, id1);
    assert_string_equal(o->name, "海曙区甲养老服务协会（更名）");
    assert_int_equal(o->capacity->maximum, 5);
    n = s_org_list(mt, a, &orgs);
    free(orgs);
    assert_int_equal(n, 4);

    /* volunteers by CSV without a max_open_cases column: 3 open cases */
    hub_arena_reset(a);
    ir = s_import(mt, a, "csv", "volunteer",
                  "name,phone,skills,areas,languages\n"
                  "李老师,13900000001,psych-support:国家二级心理咨询师:PSY-0001,鼓楼街道;月湖街道,zh;wuu\n");
    assert_int_equal(ir->added, 1);
    assert_int_equal(ir->updated, 0);
    Matching__ListProvidersRequest lq = MATCHING__LIST_PROVIDERS_REQUEST__INIT;
    Matching__ListVolunteersReply *vl =
        s_ok(mt, "matching.volunteer.list", &lq.base, &matching__list_volunteers_reply__descriptor, a);
    assert_int_equal(vl->n_volunteers, 1);
    const Matching__Volunteer *v = vl->volunteers[0];
    assert_string_equal(v->name, "李老师");
    assert_int_equal(v->max_open_cases, 3);
    assert_int_equal(v->n_skills, 1);
    assert_string_equal(v->skills[0]->service, "psych-support");
    assert_string_equal(v->skills[0]->certification, "国家二级心理咨询师");
    assert_int_equal(v->n_areas, 2);
    assert_true(strncmp(v->id, "VOL-", 4) == 0);
    /* a bad record's field: the record's path once, then the field */
    s_import_refused(mt, "csv", "volunteer", "name,skills\n张三,no-such-service\n",
                     "volunteers[0].skills[0].service");
    s_import_refused(mt, "csv", "volunteer", "name,skills\n王五,legal-aid\n张三,legal-aid;no-such-service\n",
                     "volunteers[1].skills[1].service");
    s_import_refused(mt, "hsds", NULL,
                     "{\"volunteers\": [{\"name\": \"张三\", \"skills\": [{\"service\": \"no-such-service\"}]}]}",
                     "volunteers[0].skills[0].service");
    s_import_refused(mt, "csv", "volunteer", "name,skills,max_open_cases\n张三,legal-aid,500\n",
                     "volunteers[0].max_open_cases");
    hub_arena_reset(a);
    vl = s_ok(mt, "matching.volunteer.list", &lq.base, &matching__list_volunteers_reply__descriptor, a);
    assert_int_equal(vl->n_volunteers, 1); /* none of the refused files added anyone */
    hub_arena_destroy(&a);
    hub_client_destroy(&mt);
}

/* ---- provider principals on a CURVE endpoint ---- */

/* A pair whose matching serves CURVE only: an operator, two providers
 * (principal ids = org ids) and a key nobody registered. */
typedef struct {
    pair_t p; /* first: s_teardown frees it as a pair_t */
    char srv_pub[41], srv_sec[41];
    char op_pub[41], op_sec[41];
    char p1_pub[41], p1_sec[41];
    char p2_pub[41], p2_sec[41];
    char bad_pub[41], bad_sec[41];
} curve_pair_t;

static int s_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs(text, f);
    return fclose(f) ? -1 : 0;
}

static int s_setup_curve(void **state)
{
    curve_pair_t *cp = calloc(1, sizeof *cp);
    pair_t *p = &cp->p;
    if (zmq_curve_keypair(cp->srv_pub, cp->srv_sec) || zmq_curve_keypair(cp->op_pub, cp->op_sec) ||
        zmq_curve_keypair(cp->p1_pub, cp->p1_sec) || zmq_curve_keypair(cp->p2_pub, cp->p2_sec) ||
        zmq_curve_keypair(cp->bad_pub, cp->bad_sec) || harness_init(&p->in, NULL)) {
        free(cp);
        return -1;
    }
    char path[512], text[1024], extra[1024];
    snprintf(path, sizeof path, "%s/matching-server.key", p->in.dir);
    snprintf(text, sizeof text, "%s\n", cp->srv_sec);
    int rc = s_write_file(path, text);
    snprintf(path, sizeof path, "%s/matching-principals", p->in.dir);
    snprintf(text, sizeof text,
             "# id role key\noperator-1 operator %s\nORG-000001 provider %s\nORG-000002 provider %s\n", cp->op_pub,
             cp->p1_pub, cp->p2_pub);
    rc |= s_write_file(path, text);
    snprintf(extra, sizeof extra,
             "curve = on\ncurve_secret_key_file = %s/matching-server.key\nprincipals_file = %s/matching-principals\n",
             p->in.dir, p->in.dir);
    if (rc || harness_init_peer(&p->mt, &p->in, "matching", extra) || harness_start(&p->in) ||
        harness_start(&p->mt)) {
        harness_fini(&p->mt);
        harness_fini(&p->in);
        free(cp);
        return -1;
    }
    *state = cp;
    return 0;
}

/* The request ids of every referral a client may list, sorted, joined by " ". */
static void s_listed(hub_client_t *c, char *out, size_t len)
{
    hub_arena_t *a = hub_arena_new(8 << 20);
    Matching__Referral **all;
    size_t n = s_ref_list(c, a, false, 0, &all);
    char **ids = malloc((n + 1) * sizeof *ids);
    for (size_t i = 0; i < n; i++) ids[i] = all[i]->request_id;
    qsort(ids, n, sizeof *ids, s_strcmp);
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(out);
        snprintf(out + k, len - k, "%s%s", k ? " " : "", ids[i]);
    }
    free(ids);
    free(all);
    hub_arena_destroy(&a);
}

static void s_join_sorted(char *out, size_t len, const char *x, const char *y, const char *z)
{
    const char *v[3] = {x, y, z};
    size_t n = z ? 3 : y ? 2 : 1;
    qsort(v, n, sizeof *v, s_strcmp);
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(out);
        snprintf(out + k, len - k, "%s%s", k ? " " : "", v[i]);
    }
}

/* A raw CURVE SUB socket on endpoint, subscribed to everything. */
static void *s_raw_sub(const char *endpoint, const hub_curve_t *curve)
{
    void *s = zmq_socket(s_zctx, ZMQ_SUB);
    int zero = 0;
    assert_non_null(s);
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(hub_curve_apply(s, curve), 0);
    zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
    assert_int_equal(zmq_connect(s, endpoint), 0);
    return s;
}

/* True when a message arrives on the SUB socket within 100 ms (drained). */
static bool s_sub_message(void *sock)
{
    zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, 100) <= 0) return false;
    zmq_msg_t m;
    zmq_msg_init(&m);
    while (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) >= 0) {}
    zmq_msg_close(&m);
    return true;
}

static void test_provider_role_on_curve(void **state)
{
    curve_pair_t *cp = *state;
    pair_t *p = &cp->p;
    hub_curve_t opk = {cp->srv_pub, cp->op_pub, cp->op_sec}, p1k = {cp->srv_pub, cp->p1_pub, cp->p1_sec},
                p2k = {cp->srv_pub, cp->p2_pub, cp->p2_sec}, badk = {cp->srv_pub, cp->bad_pub, cp->bad_sec};
    hub_client_t *in = hub_client_new(s_zctx, p->in.api, NULL, 5000); /* intake: no CURVE */
    hub_client_t *op = hub_client_new(s_zctx, p->mt.api, &opk, 5000);
    hub_client_t *p1 = hub_client_new(s_zctx, p->mt.api, &p1k, 5000);
    hub_client_t *p2 = hub_client_new(s_zctx, p->mt.api, &p2k, 5000);
    hub_arena_t *a = hub_arena_new(8 << 20);
    /* the operator principal keeps the library */
    s_add_org(op, a, "ORG-000001", "elderly-care", "鼓楼街道", 3, true);
    s_add_org(op, a, "ORG-000002", "elderly-care", "*", 3, true);
    /* matching still follows intake (intake's endpoints are local, no CURVE) */
    char r1[32], r2[32], r3[32];
    s_submit(in, "curve-1", NULL, NULL, r1);
    s_submit(in, "curve-2", NULL, NULL, r2);
    s_submit(in, "curve-3", NULL, "月湖街道", r3); /* ORG-000001 does not serve 月湖 */
    Matching__Referral *r = s_wait_ref(op, a, r1, MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    assert_string_equal(r->provider_id, "ORG-000001");
    r = s_wait_ref(op, a, r2, MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    assert_string_equal(r->provider_id, "ORG-000001");
    r = s_wait_ref(op, a, r3, MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    assert_string_equal(r->provider_id, "ORG-000002");
    /* ORG-000001 declines r2 for itself: it moves to ORG-000002 */
    hub_arena_reset(a);
    r = s_respond_ok(p1, a, r2, "ORG-000001", "decline", "本周人手不足", 0, 0);
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__REQUESTED);
    assert_string_equal(r->provider_id, "ORG-000002");
    assert_string_equal(r->offers[0]->by, "ORG-000001");
    s_expect_org(op, "ORG-000001", 2, 2, 0, 1, 0, 0, 0);
    s_expect_org(op, "ORG-000002", 1, 2, 0, 0, 0, 0, 0);

    /* ORG-000002 answering for ORG-000001: refused, nothing changes */
    hub_error_t err = {0};
    hub_arena_reset(a);
    assert_int_equal(s_respond(p2, a, r1, "ORG-000001", "accept", NULL, 0, 0, NULL, &err), 1);
    if (err.code != HUB__ERROR_CODE__PERMISSION_DENIED)
        fail_msg("ORG-000002 accepting for ORG-000001: %s field \"%s\": %s; expected PERMISSION_DENIED",
                 hub_error_code_name(err.code), err.field, err.message);
    assert_int_equal(s_respond(p2, a, r1, "ORG-000001", "decline", "抢单", 0, 0, NULL, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__PERMISSION_DENIED);
    /* naming itself on an offer it does not hold is a plain precondition */
    assert_int_equal(s_respond(p2, a, r1, "ORG-000002", "accept", NULL, 0, 0, NULL, &err), 1);
    assert_true(err.code == HUB__ERROR_CODE__FAILED_PRECONDITION || err.code == HUB__ERROR_CODE__NOT_FOUND);
    hub_arena_reset(a);
    r = s_ref(op, a, r1);
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__REQUESTED);
    assert_string_equal(r->provider_id, "ORG-000001");
    assert_int_equal(r->offers[0]->state, MATCHING__OFFER_STATE__OFFER_PENDING);

    /* a provider sees only referrals offered to it */
    Matching__GetReferralRequest gq = MATCHING__GET_REFERRAL_REQUEST__INIT;
    const ProtobufCMessageDescriptor *refd = &matching__referral_reply__descriptor;
    gq.request_id = r1;
    s_refused(p2, "matching.referral.get", &gq.base, refd, HUB__ERROR_CODE__NOT_FOUND, "request_id", NULL);
    gq.request_id = r3;
    s_refused(p1, "matching.referral.get", &gq.base, refd, HUB__ERROR_CODE__NOT_FOUND, "request_id", NULL);
    hub_arena_reset(a);
    r = s_ref(p2, a, r2); /* offered to both */
    assert_string_equal(r->provider_id, "ORG-000002");
    r = s_ref(p1, a, r2); /* ORG-000001 declined it, and still sees it */
    assert_int_equal(r->offers[0]->state, MATCHING__OFFER_STATE__OFFER_DECLINED);
    r = s_ref(p2, a, r3);
    assert_string_equal(r->provider_id, "ORG-000002");
    char got[256], want[256];
    s_listed(p2, got, sizeof got);
    s_join_sorted(want, sizeof want, r2, r3, NULL);
    if (strcmp(got, want)) fail_msg("ORG-000002 lists \"%s\"; expected \"%s\"", got, want);
    s_listed(p1, got, sizeof got);
    s_join_sorted(want, sizeof want, r1, r2, NULL);
    if (strcmp(got, want)) fail_msg("ORG-000001 lists \"%s\"; expected \"%s\"", got, want);
    s_listed(op, got, sizeof got);
    s_join_sorted(want, sizeof want, r1, r2, r3);
    if (strcmp(got, want)) fail_msg("the operator lists \"%s\"; expected \"%s\"", got, want);

    /* a provider answers its own offers; "by" is its principal, not what it claims */
    Matching__RespondRequest rq = MATCHING__RESPOND_REQUEST__INIT;
    rq.request_id = r1;
    rq.provider_id = "ORG-000001";
    rq.action = "accept";
    rq.by = "operator-1";
    hub_arena_reset(a);
    Matching__ReferralReply *rr = s_ok(p1, "matching.referral.respond", &rq.base, refd, a);
    assert_int_equal(rr->referral->status, MATCHING__REFERRAL_STATUS__ACCEPTED);
    assert_string_equal(rr->referral->offers[0]->by, "ORG-000001");
    r = s_respond_ok(p2, a, r2, "ORG-000002", "accept", NULL, 0, 0);
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__ACCEPTED);
    r = s_respond_ok(p1, a, r1, "ORG-000001", "complete", "已安排助餐", MATCHING__OUTCOME__GOT_HELP, 2);
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__COMPLETED);
    s_expect_org(op, "ORG-000001", 3, 2, 1, 1, 0, 1, 1);
    s_expect_org(op, "ORG-000002", 1, 2, 1, 0, 0, 0, 0);
    /* ...and may read the library */
    hub_arena_reset(a);
    Matching__Organization *o = s_org(p2, a, "ORG-000001");
    assert_string_equal(o->id, "ORG-000001");

    /* operator commands are not a provider's */
    Matching__Organization no = MATCHING__ORGANIZATION__INIT;
    char *svcs[1] = {"elderly-care"}, *areas[1] = {"*"};
    no.id = "ORG-000009";
    no.name = "冒名组织";
    no.legal_form = MATCHING__LEGAL_FORM__COMMUNITY_GROUP;
    no.services = svcs;
    no.n_services = 1;
    no.areas = areas;
    no.n_areas = 1;
    Matching__PutOrganizationRequest oq = MATCHING__PUT_ORGANIZATION_REQUEST__INIT;
    oq.org = &no;
    const ProtobufCMessageDescriptor *orgd = &matching__organization_reply__descriptor;
    s_refused(p1, "matching.org.add", &oq.base, orgd, HUB__ERROR_CODE__PERMISSION_DENIED, NULL, NULL);
    hub_arena_reset(a);
    Matching__Organization *mine = s_org(p1, a, "ORG-000001");
    mine->capacity->available = mine->capacity->maximum = 50;
    oq.org = mine;
    s_refused(p1, "matching.org.update", &oq.base, orgd, HUB__ERROR_CODE__PERMISSION_DENIED, NULL, NULL);
    Matching__MembershipRequest mq = MATCHING__MEMBERSHIP_REQUEST__INIT;
    mq.id = "ORG-000002";
    mq.membership = MATCHING__MEMBERSHIP__SUSPENDED;
    s_refused(p1, "matching.org.membership", &mq.base, orgd, HUB__ERROR_CODE__PERMISSION_DENIED, NULL, NULL);
    Matching__AssignRequest aq = s_assign_req(r3, "ORG-000001");
    s_refused(p1, "matching.referral.assign", &aq.base, refd, HUB__ERROR_CODE__PERMISSION_DENIED, NULL, NULL);
    Matching__WithdrawRequest wq = MATCHING__WITHDRAW_REQUEST__INIT;
    wq.request_id = r3;
    wq.reason = "x";
    s_refused(p1, "matching.referral.withdraw", &wq.base, refd, HUB__ERROR_CODE__PERMISSION_DENIED, NULL, NULL);
    Matching__ImportRequest iq = MATCHING__IMPORT_REQUEST__INIT;
    iq.format = "csv";
    iq.kind = "volunteer";
    iq.data.data = (uint8_t *)"name,skills\n张三,legal-aid\n";
    iq.data.len = strlen((char *)iq.data.data);
    s_refused(p1, "matching.import", &iq.base, &matching__import_reply__descriptor,
              HUB__ERROR_CODE__PERMISSION_DENIED, NULL, NULL);
    Matching__ExplainRequest xq = MATCHING__EXPLAIN_REQUEST__INIT;
    xq.request_id = r1;
    s_refused(p1, "matching.explain", &xq.base, &matching__explain_reply__descriptor,
              HUB__ERROR_CODE__PERMISSION_DENIED, NULL, NULL);
    Hub__ReplayRequest rpq = HUB__REPLAY_REQUEST__INIT; /* events carry every referral */
    rpq.from_seq = 1;
    s_refused(p1, "hub.replay", &rpq.base, &hub__replay_reply__descriptor, HUB__ERROR_CODE__PERMISSION_DENIED,
              NULL, NULL);
    /* nor may it follow the event stream (every referral is on it): no
     * replay, and no session on the PUB socket; the operator may */
    hub_sub_t *sub = hub_sub_new(s_zctx, p->mt.pub, p->mt.api, &p1k, 0, 0);
    Hub__Event *ev = NULL;
    hub_arena_reset(a);
    int src = hub_sub_next(sub, 2000, a, &ev, &err);
    if (src == 1) fail_msg("provider ORG-000001 received event %s from matching", ev->topic);
    hub_sub_destroy(&sub);
    sub = hub_sub_new(s_zctx, p->mt.pub, p->mt.api, &opk, 0, 0);
    assert_int_equal(hub_sub_next(sub, WAIT_MS, a, &ev, &err), 1);
    assert_int_equal(ev->seq, 1);
    hub_sub_destroy(&sub);
    void *raw_op = s_raw_sub(p->mt.pub, &opk), *raw_p1 = s_raw_sub(p->mt.pub, &p1k);
    assert_true(harness_wait(s_sub_message, raw_op, WAIT_MS)); /* heartbeats every 100 ms */
    int64_t until = hub_mono_ms() + 1500; /* 15 heartbeats: none may reach the provider */
    while (hub_mono_ms() < until)
        if (s_sub_message(raw_p1)) fail_msg("provider ORG-000001 has a session on matching's PUB socket");
    assert_true(s_sub_message(raw_op)); /* the stream ran on meanwhile */
    zmq_close(raw_p1);
    zmq_close(raw_op);
    Hub__Tick tq = HUB__TICK__INIT;
    s_refused(p1, "matching.expire", &tq.base, &hub__tick_reply__descriptor, HUB__ERROR_CODE__NOT_FOUND,
              "verb", NULL);
    s_refused(op, "matching.expire", &tq.base, &hub__tick_reply__descriptor, HUB__ERROR_CODE__NOT_FOUND,
              "verb", NULL); /* internal: not even an operator */
    hub_arena_reset(a);
    o = s_org(op, a, "ORG-000001");
    assert_int_equal(o->capacity->maximum, 3);
    assert_int_equal(o->membership, MATCHING__MEMBERSHIP__APPROVED);
    hub_error_t gerr = {0};
    Matching__GetProviderRequest pq = MATCHING__GET_PROVIDER_REQUEST__INIT;
    pq.id = "ORG-000009";
    Matching__OrganizationReply *orep;
    assert_int_equal(hub_client_call(op, "matching.org.get", &pq.base, orgd, a, (ProtobufCMessage **)&orep, &gerr), 1);
    assert_int_equal(gerr.code, HUB__ERROR_CODE__NOT_FOUND);
    hub_arena_reset(a);
    r = s_ref(op, a, r3);
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__REQUESTED);
    assert_string_equal(r->provider_id, "ORG-000002");

    /* an unregistered key gets no session (the call times out), nor does a
     * client without CURVE */
    hub_client_t *bad = hub_client_new(s_zctx, p->mt.api, &badk, 1500);
    hub_arena_reset(a);
    gq.request_id = r1;
    Matching__ReferralReply *brep = NULL;
    int brc = hub_client_call(bad, "matching.referral.get", &gq.base, refd, a, (ProtobufCMessage **)&brep, &err);
    if (brc == 0) fail_msg("an unregistered key read referral %s", r1);
    hub_client_destroy(&bad);
    bad = hub_client_new(s_zctx, p->mt.api, NULL, 1500);
    brc = hub_client_call(bad, "matching.referral.get", &gq.base, refd, a, (ProtobufCMessage **)&brep, &err);
    if (brc == 0) fail_msg("a client without CURVE read referral %s", r1);
    hub_client_destroy(&bad);
    /* and the daemon counted the refusals, and still follows intake */
    hub_arena_reset(a);
    Hub__StatusReply *st = s_status(op, a);
    assert_true(s_counter(st, "errors_permission_denied_total") >= 10);
    char r4[32];
    s_submit(in, "curve-4", NULL, NULL, r4);
    hub_arena_reset(a);
    r = s_wait_ref(op, a, r4, MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    assert_string_equal(r->provider_id, "ORG-000001");
    hub_arena_destroy(&a);
    hub_client_destroy(&p2);
    hub_client_destroy(&p1);
    hub_client_destroy(&op);
    hub_client_destroy(&in);
}

int main(void)
{
    s_zctx = zmq_ctx_new();
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request_to_completion, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_decline_moves_to_next, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_deadline_moves_to_next, s_setup_fast, s_teardown),
        cmocka_unit_test_setup_teardown(test_no_candidate_reaches_queue, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_kill9_mid_stream_exactly_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_race_for_last_unit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_intake_cancel_withdraws, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_restarts_resume_feed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_gets_clear_errors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_intake_close_and_reopen, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_respond_rejects_operator_actions, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_import_foreign_ids, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_provider_role_on_curve, s_setup_curve, s_teardown),
    };
    /* the context is not terminated: a failed test may leave a socket open */
    return cmocka_run_group_tests_name("it_matching", tests, NULL, NULL);
}
