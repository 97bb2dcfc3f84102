/* Integration tests of hub-reporting: the real hub-intake, hub-matching,
 * hub-tendering and hub-reporting daemons in one temp dir (one config
 * file), on ipc:// sockets, driven over real ZeroMQ sockets. Reporting
 * follows intake, matching and tendering (notification is configured on a
 * socket nobody binds: it stays down and sends nothing). Each test makes
 * real traffic (help requests through intake, offers answered in
 * matching, money and tenders in tendering), waits until every subscriber
 * has applied every event (the daemons' own cursors against the
 * publishers' last sequences, from hub.status), then reads reporting's
 * figures, reports, pages and health over its command socket. Waits are
 * on conditions with deadlines, never on sleeps. Several tests end by
 * stopping reporting and scanning its LMDB files as raw bytes for the
 * personal data they submitted: none may be there. HUB_TEST_KEEP=1 keeps
 * the temp dirs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "hub_figfmt.h"
#include "hub_util.h"
#include "matching.pb-c.h"
#include "report.h"
#include "reporting.pb-c.h"
#include "tendering.pb-c.h"

#define WAIT_MS 20000             /* deadline of one condition */
#define GULOU "鼓楼街道"
#define YUEHU "月湖街道"
#define XIMEN "西门街道"
#define ELDERLY "elderly-care"
#define FAMILY "family"

static void *s_zctx;

/* ------------------------------------------------------------------ fixture */

/* Four daemons sharing one directory and config: intake is the base;
 * matching, tendering (follows matching) and reporting (follows all) its
 * peers. One client per daemon and an arena, freed by the teardown even
 * when an assertion ends the test. */
typedef struct {
    harness_t in, mt, td, rp;
    hub_client_t *cin, *cmt, *ctd, *crp;
    hub_arena_t *a;
} fixture_t;

static void s_clients_close(fixture_t *q)
{
    hub_client_destroy(&q->cin);
    hub_client_destroy(&q->cmt);
    hub_client_destroy(&q->ctd);
    hub_client_destroy(&q->crp);
    hub_arena_destroy(&q->a);
}

static int s_setup(void **state)
{
    fixture_t *q = calloc(1, sizeof *q);
    if (!q || harness_init(&q->in, NULL)) {
        free(q);
        return -1;
    }
    const char *dir = q->in.dir;
    char extra[2048];
    int rc = harness_init_peer(&q->mt, &q->in, "matching", NULL);
    if (!rc) {
        snprintf(extra, sizeof extra, "matching_api = ipc://%s/matching-api.sock\nmatching_pub = ipc://%s/matching-pub.sock\n",
                 dir, dir);
        rc = harness_init_peer(&q->td, &q->in, "tendering", extra);
    }
    if (!rc) {
        snprintf(extra, sizeof extra,
                 "matching_api = ipc://%s/matching-api.sock\nmatching_pub = ipc://%s/matching-pub.sock\n"
                 "notification_api = ipc://%s/notification-api.sock\nnotification_pub = ipc://%s/notification-pub.sock\n"
                 "tendering_api = ipc://%s/tendering-api.sock\ntendering_pub = ipc://%s/tendering-pub.sock\n"
                 "http = 127.0.0.1:0\npoll_ms = 200\ndown_after_ms = 1000\n",
                 dir, dir, dir, dir, dir, dir);
        rc = harness_init_peer(&q->rp, &q->in, "reporting", extra);
    }
    const char *failed = rc                        ? "the config"
                         : harness_start(&q->in) ? q->in.bin
                         : harness_start(&q->mt) ? q->mt.bin
                         : harness_start(&q->td) ? q->td.bin
                         : harness_start(&q->rp) ? q->rp.bin
                                                 : NULL;
    if (failed) {
        fprintf(stderr, "setup: could not start %s (dir %s)\n", failed, q->in.dir);
        harness_fini(&q->rp);
        harness_fini(&q->td);
        harness_fini(&q->mt);
        harness_fini(&q->in);
        free(q);
        return -1;
    }
    q->cin = hub_client_new(s_zctx, q->in.api, NULL, 5000);
    q->cmt = hub_client_new(s_zctx, q->mt.api, NULL, 5000);
    q->ctd = hub_client_new(s_zctx, q->td.api, NULL, 5000);
    q->crp = hub_client_new(s_zctx, q->rp.api, NULL, 10000);
    q->a = hub_arena_new(64 << 20);
    *state = q;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *q = *state;
    s_clients_close(q);
    /* those still running must stop cleanly (a test may have stopped one) */
    harness_t *hs[4] = {&q->rp, &q->td, &q->mt, &q->in};
    int bad = 0;
    for (int i = 0; i < 4; i++) {
        if (hs[i]->pid <= 0) continue;
        int rc = harness_stop(hs[i], SIGTERM);
        if (rc != 0) {
            fprintf(stderr, "teardown: hub-%s exited %d\n", hs[i]->name, rc);
            bad = 1;
        }
    }
    for (int i = 0; i < 4; i++) harness_fini(hs[i]);
    free(q);
    return bad ? -1 : 0;
}

/* ------------------------------------------------------------------ calls */

/* Calls verb and asserts OK; the reply is unpacked into a. */
static void *s_ok(hub_client_t *c, const char *verb, const ProtobufCMessage *req, const ProtobufCMessageDescriptor *d,
                  hub_arena_t *a)
{
    ProtobufCMessage *rep = NULL;
    hub_error_t err = {0};
    int rc = hub_client_call(c, verb, req, d, a, &rep, &err);
    if (rc) fail_msg("%s: rc %d, %s field \"%s\": %s", verb, rc, hub_error_code_name(err.code), err.field, err.message);
    return rep;
}

/* Calls verb and asserts a refusal with code and field (NULL: any). */
static void s_refused(hub_client_t *c, const char *verb, const ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *d, Hub__ErrorCode code, const char *field)
{
    hub_arena_t *a = hub_arena_new(16 << 20);
    ProtobufCMessage *rep = NULL;
    hub_error_t err = {0};
    int rc = hub_client_call(c, verb, req, d, a, &rep, &err);
    hub_arena_destroy(&a);
    if (rc != 1 || err.code != code || (field && strcmp(err.field, field)) || !err.message[0])
        fail_msg("%s: expected %s field \"%s\"; got rc %d %s field \"%s\": %s", verb, hub_error_code_name(code),
                 field ? field : "*", rc, hub_error_code_name(err.code), err.field, err.message);
}

/* Sends raw frames; asserts an answer; the status ("OK"/"ERR") and body. */
static void s_raw(hub_client_t *c, const char *verb, const void *body, size_t len, hub_arena_t *a, char st[4],
                  uint8_t **out, size_t *out_len)
{
    if (hub_client_call_raw(c, verb, strlen(verb), body, len, st, a, out, out_len))
        fail_msg("%s (raw): no answer", verb);
}

/* Sends raw frames and asserts an ERR reply with code (and field). */
static void s_refused_raw(hub_client_t *c, const char *verb, const void *body, size_t len, Hub__ErrorCode code,
                          const char *field)
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    char st[4];
    uint8_t *out;
    size_t out_len;
    s_raw(c, verb, body, len, a, st, &out, &out_len);
    if (strcmp(st, "ERR")) fail_msg("%s (raw): answered %s, expected ERR %s", verb, st, hub_error_code_name(code));
    Hub__Error *e = hub__error__unpack(NULL, out_len, out);
    assert_non_null(e);
    if (e->code != code || (field && strcmp(e->field, field)) || !e->message[0])
        fail_msg("%s (raw): expected %s/%s, got %s/%s: %s", verb, hub_error_code_name(code), field ? field : "*",
                 hub_error_code_name(e->code), e->field, e->message);
    hub__error__free_unpacked(e, NULL);
    hub_arena_destroy(&a);
}

static Hub__StatusReply *s_status_try(hub_client_t *c, hub_arena_t *a)
{
    Hub__StatusRequest req = HUB__STATUS_REQUEST__INIT;
    Hub__StatusReply *st = NULL;
    hub_error_t err = {0};
    if (hub_client_call(c, "hub.status", &req.base, &hub__status_reply__descriptor, a, (ProtobufCMessage **)&st, &err))
        return NULL;
    return st;
}

static uint64_t s_counter(const Hub__StatusReply *s, const char *name)
{
    for (size_t i = 0; s && i < s->n_counters; i++)
        if (!strcmp(s->counters[i]->name, name)) return s->counters[i]->value;
    return 0;
}

/* The subscriber's committed cursor on publisher (0: none yet). */
static uint64_t s_cursor(const Hub__StatusReply *s, const char *publisher)
{
    for (size_t i = 0; s && i < s->n_subscriptions; i++)
        if (!strcmp(s->subscriptions[i]->publisher, publisher)) return s->subscriptions[i]->seq;
    return 0;
}

/* ------------------------------------------------------------------ catching up */

typedef struct {
    fixture_t *q;
    hub_arena_t *a;
    uint64_t last[3];   /* intake, matching, tendering: last_seq when caught up */
    char seen[512];
} catchup_t;

/* True when matching has applied all of intake's events, tendering all of
 * matching's, and reporting all of intake's, matching's and tendering's
 * (each daemon's committed cursors against the publishers' last_seq). */
static bool s_caught_up(void *p)
{
    catchup_t *w = p;
    hub_arena_reset(w->a);
    Hub__StatusReply *in = s_status_try(w->q->cin, w->a), *mt = s_status_try(w->q->cmt, w->a),
                     *td = s_status_try(w->q->ctd, w->a), *rp = s_status_try(w->q->crp, w->a);
    if (!in || !mt || !td || !rp) {
        snprintf(w->seen, sizeof w->seen, "hub.status unanswered: intake %s, matching %s, tendering %s, reporting %s",
                 in ? "ok" : "NO", mt ? "ok" : "NO", td ? "ok" : "NO", rp ? "ok" : "NO");
        return false;
    }
    snprintf(w->seen, sizeof w->seen,
             "intake last %llu; matching last %llu, at intake %llu; tendering last %llu, at matching %llu; "
             "reporting at intake %llu, matching %llu, tendering %llu",
             (unsigned long long)in->last_seq, (unsigned long long)mt->last_seq,
             (unsigned long long)s_cursor(mt, "intake"), (unsigned long long)td->last_seq,
             (unsigned long long)s_cursor(td, "matching"), (unsigned long long)s_cursor(rp, "intake"),
             (unsigned long long)s_cursor(rp, "matching"), (unsigned long long)s_cursor(rp, "tendering"));
    w->last[0] = in->last_seq;
    w->last[1] = mt->last_seq;
    w->last[2] = td->last_seq;
    return s_cursor(mt, "intake") == in->last_seq && s_cursor(td, "matching") == mt->last_seq &&
           s_cursor(rp, "intake") == in->last_seq && s_cursor(rp, "matching") == mt->last_seq &&
           s_cursor(rp, "tendering") == td->last_seq;
}

/* Waits until every event is applied everywhere; the sum of the three
 * publishers' last sequences (the events reporting applied) is returned. */
static uint64_t s_wait_caught_up(fixture_t *q, int deadline_ms)
{
    catchup_t w = {q, hub_arena_new(4 << 20), {0}, ""};
    bool ok = harness_wait(s_caught_up, &w, deadline_ms);
    hub_arena_destroy(&w.a);
    if (!ok) fail_msg("the subscribers never caught up; last seen: %s", w.seen);
    return w.last[0] + w.last[1] + w.last[2];
}

/* ------------------------------------------------------------------ intake */

/* One requester's personal data; reporting must never keep any of it. */
typedef struct {
    const char *name, *phone, *email, *address, *description;
} person_t;

/* Submits a help request for service at street by person p (index i
 * makes name, phone and message id unique); the id goes to id. */
static void s_submit(fixture_t *q, const char *mid, const char *service, const char *street, const person_t *p, int i,
                     char id[32])
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    Intake__SubmitRequest *s = harness_request(a, "web-form", mid);
    Intake__Request *r = s->request;
    if (strcmp(service, ELDERLY)) {
        r->service_code = (char *)service;
        r->attributes = NULL; /* the services used here have no required attribute */
        r->n_attributes = 0;
    }
    r->street = (char *)street;
    char name[64], phone[32];
    snprintf(name, sizeof name, "%s%d", p->name, i);
    snprintf(phone, sizeof phone, "%s%d", p->phone, i % 10);
    r->requester->name = name;
    r->requester->phone = phone;
    r->requester->email = (char *)p->email;
    r->address = (char *)p->address;
    r->description = (char *)p->description;
    Intake__SubmitReply *rep = s_ok(q->cin, "intake.submit", &s->base, &intake__submit_reply__descriptor, a);
    assert_false(rep->duplicate_submission);
    snprintf(id, 32, "%s", rep->service_request_id);
    hub_arena_destroy(&a);
}

/* intake.opinion.submit by author p (NULL: anonymous). */
static void s_opinion(fixture_t *q, const char *mid, const char *topic, const char *street, const char *text,
                      const person_t *p)
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    Intake__Opinion o = INTAKE__OPINION__INIT;
    Intake__Person au = INTAKE__PERSON__INIT;
    o.channel = "web-form";
    o.message_id = (char *)mid;
    o.topic = (char *)topic;
    o.street = (char *)street;
    o.text = (char *)text;
    if (p) {
        au.name = (char *)p->name;
        au.phone = (char *)p->phone;
        au.kind = INTAKE__REQUESTER_KIND__RESIDENT;
        o.author = &au;
    } else {
        o.anonymous = 1;
    }
    Intake__SubmitOpinionRequest rq = INTAKE__SUBMIT_OPINION_REQUEST__INIT;
    rq.opinion = &o;
    Intake__SubmitOpinionReply *r =
        s_ok(q->cin, "intake.opinion.submit", &rq.base, &intake__submit_opinion_reply__descriptor, a);
    assert_true(r->opinion_id && *r->opinion_id);
    assert_false(r->duplicate_submission);
    hub_arena_destroy(&a);
}

/* An opinion of resident p on topic (policy topic policy, "" none) in
 * street; its id goes to id. */
static void s_voice(fixture_t *q, const char *mid, const char *topic, const char *policy, const char *street,
                    const char *text, const person_t *p, char id[32])
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    Intake__Opinion o = INTAKE__OPINION__INIT;
    Intake__Person au = INTAKE__PERSON__INIT;
    o.channel = "web-form";
    o.message_id = (char *)mid;
    o.topic = (char *)topic;
    o.policy_topic = (char *)policy;
    o.street = (char *)street;
    o.text = (char *)text;
    au.name = (char *)p->name;
    au.phone = (char *)p->phone;
    au.kind = INTAKE__REQUESTER_KIND__RESIDENT;
    o.author = &au;
    Intake__SubmitOpinionRequest rq = INTAKE__SUBMIT_OPINION_REQUEST__INIT;
    rq.opinion = &o;
    Intake__SubmitOpinionReply *r =
        s_ok(q->cin, "intake.opinion.submit", &rq.base, &intake__submit_opinion_reply__descriptor, a);
    snprintf(id, 32, "%s", r->opinion_id);
    hub_arena_destroy(&a);
}

/* A hearing in street starting in 10 minutes that p registers for and
 * checks in at (check-in opens 2 hours before the start). */
static void s_hearing_attended(fixture_t *q, const char *street, const person_t *p)
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    Intake__Activity act = INTAKE__ACTIVITY__INIT;
    act.kind = INTAKE__ACTIVITY_KIND__HEARING;
    act.title = "助餐服务价格听证会";
    act.starts_ms = hub_now_ms() + 10 * 60000;
    act.ends_ms = act.starts_ms + 2 * 3600000;
    act.place = "海曙区社会组织服务中心 三楼报告厅";
    act.street = (char *)street;
    act.capacity = 20;
    Intake__CreateActivityRequest cq = INTAKE__CREATE_ACTIVITY_REQUEST__INIT;
    cq.activity = &act;
    Intake__ActivityReply *ar = s_ok(q->cin, "intake.activity.create", &cq.base, &intake__activity_reply__descriptor, a);
    Intake__Person who = INTAKE__PERSON__INIT;
    who.name = (char *)p->name;
    who.phone = (char *)p->phone;
    Intake__Registration r = INTAKE__REGISTRATION__INIT;
    r.activity_id = ar->activity->activity_id;
    r.channel = "web-form";
    r.message_id = "hearing-1";
    r.registrant = &who;
    Intake__RegisterRequest rq = INTAKE__REGISTER_REQUEST__INIT;
    rq.registration = &r;
    Intake__RegisterReply *rr = s_ok(q->cin, "intake.activity.register", &rq.base, &intake__register_reply__descriptor, a);
    Intake__CheckinRequest ck = INTAKE__CHECKIN_REQUEST__INIT;
    ck.registration_id = rr->registration->registration_id;
    s_ok(q->cin, "intake.activity.checkin", &ck.base, &intake__registration_reply__descriptor, a);
    hub_arena_destroy(&a);
}

/* ------------------------------------------------------------------ matching */

static void s_add_org(fixture_t *q, const char *id, const char *service, const char *area, uint32_t cap)
{
    hub_error_t err = {0};
    if (!harness_add_org(q->cmt, q->a, id, NULL, service, area, cap, true, &err))
        fail_msg("org %s: %s field \"%s\": %s", id, hub_error_code_name(err.code), err.field, err.message);
}

typedef struct {
    hub_client_t *mt;
    hub_arena_t *a;
    const char *id;
    int status;
    size_t min_offers;
    char seen[300];
} ref_wait_t;

static bool s_ref_reached(void *p)
{
    ref_wait_t *w = p;
    hub_arena_reset(w->a);
    Matching__GetReferralRequest rq = MATCHING__GET_REFERRAL_REQUEST__INIT;
    rq.request_id = (char *)w->id;
    Matching__ReferralReply *r = NULL;
    hub_error_t err = {0};
    if (hub_client_call(w->mt, "matching.referral.get", &rq.base, &matching__referral_reply__descriptor, w->a,
                        (ProtobufCMessage **)&r, &err) ||
        !r->referral) {
        snprintf(w->seen, sizeof w->seen, "%s: %s", hub_error_code_name(err.code), err.message);
        return false;
    }
    snprintf(w->seen, sizeof w->seen, "status %d with \"%s\", %zu offers", r->referral->status,
             r->referral->provider_id, r->referral->n_offers);
    return (int)r->referral->status == w->status && r->referral->n_offers >= w->min_offers;
}

/* Waits until the referral of id has status and at least min_offers offers. */
static void s_wait_ref(fixture_t *q, const char *id, int status, size_t min_offers)
{
    ref_wait_t w = {q->cmt, hub_arena_new(4 << 20), id, status, min_offers, ""};
    bool ok = harness_wait(s_ref_reached, &w, WAIT_MS);
    hub_arena_destroy(&w.a);
    if (!ok) fail_msg("referral %s never reached status %d (>= %zu offers); last seen: %s", id, status, min_offers,
                      w.seen);
}

static void s_respond(fixture_t *q, const char *id, const char *provider, const char *action, int outcome, double hours)
{
    Matching__RespondRequest rq = MATCHING__RESPOND_REQUEST__INIT;
    rq.request_id = (char *)id;
    rq.provider_id = (char *)provider;
    rq.action = (char *)action;
    rq.reason = "";
    rq.outcome = outcome;
    rq.hours = hours;
    hub_arena_t *a = hub_arena_new(4 << 20);
    s_ok(q->cmt, "matching.referral.respond", &rq.base, &matching__referral_reply__descriptor, a);
    hub_arena_destroy(&a);
}

/* ------------------------------------------------------------------ figures */

static Reporting__QueryReply *s_query_to(fixture_t *q, const char *figure, const char *by, bool public_view,
                                         int64_t to_ms)
{
    Reporting__QueryRequest rq = REPORTING__QUERY_REQUEST__INIT;
    rq.figure = (char *)figure;
    rq.by = (char *)by;
    rq.public_view = public_view;
    rq.to_ms = to_ms;
    return s_ok(q->crp, "reporting.query", &rq.base, &reporting__query_reply__descriptor, q->a);
}

static Reporting__QueryReply *s_query(fixture_t *q, const char *figure, const char *by, bool public_view)
{
    return s_query_to(q, figure, by, public_view, 0);
}

/* The table as text, for failure messages (static buffer). */
static const char *s_dump(const Reporting__Table *t)
{
    static char buf[4096];
    size_t n = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "%s [", t->name);
    for (size_t i = 0; i < t->n_value_columns && n < sizeof buf; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? " " : "", t->value_columns[i]);
    for (size_t r = 0; r < t->n_rows && n < sizeof buf; r++) {
        n += (size_t)snprintf(buf + n, sizeof buf - n, "] (");
        for (size_t k = 0; k < t->rows[r]->n_keys && n < sizeof buf; k++)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", k ? "," : "", t->rows[r]->keys[k]);
        n += (size_t)snprintf(buf + n, sizeof buf - n, ")");
        for (size_t v = 0; v < t->rows[r]->n_values && n < sizeof buf; v++)
            n += (size_t)snprintf(buf + n, sizeof buf - n, " %lld", (long long)t->rows[r]->values[v]);
    }
    if (n < sizeof buf) snprintf(buf + n, sizeof buf - n, "%s", t->n_rows ? "" : "] no rows");
    return buf;
}

static const Reporting__Table *s_tab(const Reporting__QueryReply *r, const char *name)
{
    for (size_t i = 0; i < r->n_tables; i++)
        if (!strcmp(r->tables[i]->name, name)) return r->tables[i];
    fail_msg("no table \"%s\" in the reply (%zu tables)", name, r->n_tables);
    return NULL;
}

/* The row whose first keys are k0 (and k1, unless NULL), or NULL. */
static const Reporting__Row *s_find_row(const Reporting__Table *t, const char *k0, const char *k1)
{
    for (size_t i = 0; i < t->n_rows; i++) {
        const Reporting__Row *r = t->rows[i];
        if (r->n_keys >= 1 && !strcmp(r->keys[0], k0) && (!k1 || (r->n_keys >= 2 && !strcmp(r->keys[1], k1))))
            return r;
    }
    return NULL;
}

static size_t s_col(const Reporting__Table *t, const char *col)
{
    for (size_t i = 0; i < t->n_value_columns; i++)
        if (!strcmp(t->value_columns[i], col)) return i;
    fail_msg("table %s has no column \"%s\"", t->name, col);
    return 0;
}

/* Value col of row (k0, k1); fails when the row is missing. */
static int64_t s_get(const Reporting__Table *t, const char *k0, const char *k1, const char *col)
{
    const Reporting__Row *r = s_find_row(t, k0, k1);
    if (!r) fail_msg("no row (%s%s%s) in %s", k0, k1 ? "," : "", k1 ? k1 : "", s_dump(t));
    size_t c = s_col(t, col);
    if (c >= r->n_values) fail_msg("row (%s) of %s has %zu values", k0, t->name, r->n_values);
    return r->values[c];
}

/* Asserts row (k0, k1) of t: n pairs of column name and value. */
static void s_expect(const Reporting__Table *t, const char *k0, const char *k1, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        const char *col = va_arg(ap, const char *);
        long long want = va_arg(ap, long long);
        long long got = s_get(t, k0, k1, col);
        if (got != want) {
            va_end(ap);
            fail_msg("%s (%s%s%s) %s: %lld, expected %lld; %s", t->name, k0, k1 ? "," : "", k1 ? k1 : "", col, got,
                     want, s_dump(t));
        }
    }
    va_end(ap);
}

static void s_expect_rows(const Reporting__Table *t, size_t n)
{
    if (t->n_rows != n) fail_msg("%s has %zu rows, expected %zu: %s", t->name, t->n_rows, n, s_dump(t));
}

static int64_t s_summary(const Reporting__QueryReply *r, const char *figure)
{
    return s_get(s_tab(r, "summary"), figure, NULL, "value");
}

/* ------------------------------------------------------------------ the store */

/* Maps a file read-only; NULL when missing or empty. */
static const uint8_t *s_map(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat st;
    void *p = NULL;
    if (!fstat(fd, &st) && st.st_size > 0) {
        p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) p = NULL;
        else *len = (size_t)st.st_size;
    }
    close(fd);
    return p;
}

/* Stops reporting (it must exit cleanly) and scans its LMDB files as raw
 * bytes: none of secrets may appear; each of present must (the scan reads
 * the store reporting really wrote). */
static void s_scan_store(fixture_t *q, const char *const *secrets, const char *const *present)
{
    int rc = harness_stop(&q->rp, SIGTERM);
    if (rc != 0) fail_msg("hub-reporting exited %d on SIGTERM", rc);
    static const char *const files[] = {"data.mdb", "lock.mdb"};
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        char path[400];
        snprintf(path, sizeof path, "%s/var/reporting/%s", q->in.dir, files[f]);
        size_t len = 0;
        const uint8_t *m = s_map(path, &len);
        if (!m) {
            if (f == 0) fail_msg("cannot read %s", path);
            continue;
        }
        for (size_t i = 0; secrets[i]; i++)
            if (memmem(m, len, secrets[i], strlen(secrets[i])))
                fail_msg("%s holds personal data: \"%s\"", path, secrets[i]);
        for (size_t i = 0; f == 0 && present && present[i]; i++)
            if (!memmem(m, len, present[i], strlen(present[i])))
                fail_msg("%s (%zu bytes) does not hold \"%s\": is it the store reporting writes?", path, len,
                         present[i]);
        munmap((void *)m, len);
    }
}

/* The current CST year and month. */
static void s_year_month(int *y, int *m)
{
    uint32_t d = rep_day(hub_now_ms());
    *y = (int)(d / 10000);
    *m = (int)(d / 100 % 100);
}

/* ============================================================ 1. figures */

static const person_t P_GULOU = {"钱多多", "1397777000", "qianduoduo@example.org", "解放南路88弄3号",
                                 "老伴卧床需要助浴与陪护服务"};
static const person_t P_FAMILY = {"孙小美", "1366666000", "sunxiaomei@example.org", "柳汀街66号",
                                  "孩子放学无人看护求助托管"};
static const person_t P_OPINION = {"周伯通", "13512340000", "", "", ""};

static void test_figures_from_traffic(void **state)
{
    fixture_t *q = *state;
    s_add_org(q, "ORG-GULOU", ELDERLY, GULOU, 10);
    s_add_org(q, "ORG-XIMEN", FAMILY, XIMEN, 5); /* family, but not in 月湖街道 */
    char g[7][32], f[3][32];
    for (int i = 0; i < 7; i++) {
        char mid[32];
        snprintf(mid, sizeof mid, "fig-g-%d", i);
        s_submit(q, mid, ELDERLY, GULOU, &P_GULOU, i, g[i]);
    }
    for (int i = 0; i < 3; i++) {
        char mid[32];
        snprintf(mid, sizeof mid, "fig-f-%d", i);
        s_submit(q, mid, FAMILY, YUEHU, &P_FAMILY, i, f[i]);
    }
    for (int i = 0; i < 7; i++) s_wait_ref(q, g[i], MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    for (int i = 0; i < 3; i++) s_wait_ref(q, f[i], MATCHING__REFERRAL_STATUS__REJECTED, 0);
    /* five accepted; three got help, one could not be contacted */
    for (int i = 0; i < 5; i++) s_respond(q, g[i], "ORG-GULOU", "accept", 0, 0);
    for (int i = 0; i < 3; i++) s_respond(q, g[i], "ORG-GULOU", "complete", MATCHING__OUTCOME__GOT_HELP, 1.5);
    s_respond(q, g[3], "ORG-GULOU", "complete", MATCHING__OUTCOME__COULD_NOT_CONTACT, 0.5);
    s_opinion(q, "op-1", "助餐服务", GULOU, "食堂饭菜太咸了希望改进口味", &P_OPINION);
    s_opinion(q, "op-2", "助餐服务", GULOU, "送餐时间能否提前到十一点", NULL);
    s_opinion(q, "op-3", "文体活动", YUEHU, "希望多办几场老年合唱活动", NULL);
    uint64_t events = s_wait_caught_up(q, WAIT_MS);

    Reporting__QueryReply *r = s_query(q, "summary", "", false);
    assert_false(r->suppressed);
    const Reporting__Table *t = s_tab(r, "summary");
    s_expect(t, "requests", NULL, 1, "value", 10LL);
    s_expect(t, "completed", NULL, 1, "value", 4LL);
    s_expect(t, "unmet", NULL, 1, "value", 3LL);
    s_expect(t, "queued", NULL, 1, "value", 3LL);
    s_expect(t, "opinions", NULL, 1, "value", 3LL);
    s_expect(t, "tenders", NULL, 1, "value", 0LL);
    s_expect(t, "donations", NULL, 1, "value", 0LL);
    s_expect(t, "deliveries", NULL, 1, "value", 0LL);
    /* every event of every publisher applied once */
    s_expect(t, "events", NULL, 1, "value", (long long)events);

    t = s_tab(s_query(q, "requests", "", false), "requests_by_service"); /* the default grouping */
    s_expect_rows(t, 2);
    s_expect(t, ELDERLY, NULL, 3, "requests", 7LL, "completed", 4LL, "unmet", 0LL);
    s_expect(t, FAMILY, NULL, 3, "requests", 3LL, "completed", 0LL, "unmet", 3LL);
    assert_string_equal(t->rows[0]->keys[0], ELDERLY); /* most requests first */
    assert_non_null(t->total);
    assert_int_equal(t->total->values[0], 10);
    assert_int_equal(t->total->values[1], 4);
    assert_int_equal(t->total->values[2], 3);
    t = s_tab(s_query(q, "requests", "street", false), "requests_by_street");
    s_expect_rows(t, 2);
    s_expect(t, GULOU, NULL, 3, "requests", 7LL, "completed", 4LL, "unmet", 0LL);
    s_expect(t, YUEHU, NULL, 3, "requests", 3LL, "completed", 0LL, "unmet", 3LL);
    t = s_tab(s_query(q, "requests", "status", false), "requests_by_status");
    s_expect_rows(t, 4);
    s_expect(t, "completed", NULL, 2, "requests", 4LL, "completed", 4LL);
    s_expect(t, "accepted", NULL, 1, "requests", 1LL);
    s_expect(t, "offered", NULL, 1, "requests", 2LL);
    s_expect(t, "queued", NULL, 2, "requests", 3LL, "unmet", 3LL);
    t = s_tab(s_query(q, "requests", "channel", false), "requests_by_channel");
    s_expect_rows(t, 1);
    s_expect(t, "web-form", NULL, 1, "requests", 10LL);
    t = s_tab(s_query(q, "requests", "kind", false), "requests_by_kind");
    s_expect_rows(t, 1);
    s_expect(t, "resident", NULL, 1, "requests", 10LL);
    uint32_t d = rep_day(hub_now_ms());
    char day[16];
    snprintf(day, sizeof day, "%04u-%02u-%02u", d / 10000, d / 100 % 100, d % 100);
    t = s_tab(s_query(q, "requests", "day", false), "requests_by_day");
    s_expect_rows(t, 1);
    s_expect(t, day, NULL, 1, "requests", 10LL);

    t = s_tab(s_query(q, "outcomes", "", false), "outcomes");
    s_expect_rows(t, 2);
    s_expect(t, "got_help", NULL, 1, "requests", 3LL);
    s_expect(t, "could_not_contact", NULL, 1, "requests", 1LL);

    t = s_tab(s_query(q, "unmet", "", false), "unmet");
    s_expect_rows(t, 1);
    s_expect(t, FAMILY, YUEHU, 2, "unmet", 3LL, "queued", 3LL);

    t = s_tab(s_query(q, "workload", "", false), "workload");
    s_expect_rows(t, 1);
    s_expect(t, "organization", "ORG-GULOU", 6, "offers", 7LL, "accepted", 5LL, "declined", 0LL, "expired", 0LL,
             "completed", 4LL, "hours_x100", 500LL);
    const Reporting__Row *wr = s_find_row(t, "organization", "ORG-GULOU");
    assert_int_equal(wr->n_keys, 3);
    assert_string_equal(wr->keys[2], "海曙ORG-GULOU互助社"); /* an organization's public name */

    t = s_tab(s_query(q, "times", "", false), "times_by_service");
    s_expect_rows(t, 2);
    s_expect(t, ELDERLY, NULL, 1, "requests", 7LL);
    int64_t v[6];
    static const char *const tcols[6] = {"offer_p50", "offer_p90", "accept_p50", "accept_p90", "close_p50", "close_p90"};
    for (int i = 0; i < 6; i++) {
        v[i] = s_get(t, ELDERLY, NULL, tcols[i]);
        if (v[i] < 0) fail_msg("times %s %s = %lld: %s", ELDERLY, tcols[i], (long long)v[i], s_dump(t));
    }
    for (int i = 0; i < 6; i += 2)
        if (v[i] > v[i + 1]) fail_msg("times %s: %s > %s: %s", ELDERLY, tcols[i], tcols[i + 1], s_dump(t));
    if (v[0] > v[4]) fail_msg("times %s: offer_p50 %lld > close_p50 %lld", ELDERLY, (long long)v[0], (long long)v[4]);
    if (v[0] > v[2]) fail_msg("times %s: offer_p50 %lld > accept_p50 %lld", ELDERLY, (long long)v[0], (long long)v[2]);
    /* nobody offered, accepted or closed a family request: no data */
    s_expect(t, FAMILY, NULL, 7, "requests", 3LL, "offer_p50", -1LL, "offer_p90", -1LL, "accept_p50", -1LL,
             "accept_p90", -1LL, "close_p50", -1LL, "close_p90", -1LL);
    t = s_tab(s_query(q, "times", "street", false), "times_by_street");
    s_expect(t, GULOU, NULL, 2, "requests", 7LL, "offer_p50", (long long)v[0]);

    t = s_tab(s_query(q, "opinions", "", false), "opinions_by_topic");
    s_expect_rows(t, 2);
    s_expect(t, "助餐服务", NULL, 1, "opinions", 2LL);
    s_expect(t, "文体活动", NULL, 1, "opinions", 1LL);
    t = s_tab(s_query(q, "opinions", "street", false), "opinions_by_street");
    s_expect(t, GULOU, NULL, 1, "opinions", 2LL);
    s_expect(t, YUEHU, NULL, 1, "opinions", 1LL);

    static const char *const secrets[] = {P_GULOU.name,    P_GULOU.phone,    P_GULOU.email,    P_GULOU.address,
                                          P_GULOU.description, P_FAMILY.name, P_FAMILY.phone,  P_FAMILY.email,
                                          P_FAMILY.address, P_FAMILY.description, P_OPINION.name, P_OPINION.phone,
                                          "食堂饭菜太咸", "送餐时间能否", "老年合唱", "王阿姨", "中山西路", NULL};
    static const char *const present[] = {GULOU, ELDERLY, "助餐服务", NULL};
    s_scan_store(q, secrets, present);
}

/* ============================================================ 2. kill -9 */

#define BURST 200

typedef struct {
    fixture_t *q;
    atomic_int n_acked;
    atomic_int failed;
    char err[300];
} burst_t;

static const person_t P_BURST = {"吴燕青", "1581234000", "wuyanqing@example.org", "药行街12号", "腿脚不便需要陪同就医"};

static void *s_burst(void *arg)
{
    burst_t *b = arg;
    hub_client_t *c = hub_client_new(s_zctx, b->q->in.api, NULL, 10000);
    hub_arena_t *a = hub_arena_new(1 << 20);
    for (int i = 0; i < BURST; i++) {
        char mid[32], name[64], phone[32];
        snprintf(mid, sizeof mid, "burst-%d", i);
        snprintf(name, sizeof name, "%s%d", P_BURST.name, i);
        snprintf(phone, sizeof phone, "%s%d", P_BURST.phone, i % 10);
        hub_arena_reset(a);
        Intake__SubmitRequest *s = harness_request(a, i % 3 ? "hotline" : "web-form", mid);
        Intake__Request *r = s->request;
        if (i % 2) { /* odd: family in 月湖街道, nobody serves it */
            r->service_code = FAMILY;
            r->attributes = NULL;
            r->n_attributes = 0;
            r->street = YUEHU;
        }
        r->requester->name = name;
        r->requester->phone = phone;
        r->address = (char *)P_BURST.address;
        r->description = (char *)P_BURST.description;
        Intake__SubmitReply *rep;
        hub_error_t err = {0};
        if (hub_client_call(c, "intake.submit", &s->base, &intake__submit_reply__descriptor, a,
                            (ProtobufCMessage **)&rep, &err)) {
            snprintf(b->err, sizeof b->err, "submit %d: %s %s", i, hub_error_code_name(err.code), err.message);
            atomic_store(&b->failed, 1);
            break;
        }
        atomic_fetch_add(&b->n_acked, 1);
    }
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
    return NULL;
}

typedef struct {
    burst_t *b;
    hub_client_t *rp;
    hub_arena_t *a;
} half_t;

/* Half the burst accepted by intake and reporting busy applying it. */
static bool s_half_way(void *p)
{
    half_t *h = p;
    if (atomic_load(&h->b->failed)) return true;
    if (atomic_load(&h->b->n_acked) < BURST / 2) return false;
    hub_arena_reset(h->a);
    Hub__StatusReply *st = s_status_try(h->rp, h->a);
    return st && s_counter(st, "events_applied_total") >= 20;
}

/* The figures compared across a restart and a rebuild. */
static const char *const FIGS[][2] = {
    {"summary", ""},     {"requests", "service"}, {"requests", "street"}, {"requests", "status"},
    {"requests", "channel"}, {"requests", "kind"}, {"requests", "day"},  {"requests", "month"},
    {"times", "service"}, {"times", "street"},    {"outcomes", ""},      {"unmet", ""},
    {"workload", ""},    {"opinions", "topic"},   {"funds", "month"},    {"tenders", ""},
    {"disclosures", ""}, {"deliveries", ""},
};
#define N_FIGS (sizeof FIGS / sizeof *FIGS)

typedef struct {
    uint8_t *bytes;
    size_t len;
} blob_t;

/* The packed QueryReply bytes of every figure of FIGS over [0, to_ms). */
static void s_snapshot(fixture_t *q, int64_t to_ms, blob_t out[N_FIGS])
{
    hub_arena_t *a = hub_arena_new(32 << 20);
    for (size_t i = 0; i < N_FIGS; i++) {
        Reporting__QueryRequest rq = REPORTING__QUERY_REQUEST__INIT;
        rq.figure = (char *)FIGS[i][0];
        rq.by = (char *)FIGS[i][1];
        rq.to_ms = to_ms;
        uint8_t body[256];
        size_t blen = reporting__query_request__pack(&rq, body);
        char st[4];
        uint8_t *o;
        size_t olen;
        hub_arena_reset(a);
        s_raw(q->crp, "reporting.query", body, blen, a, st, &o, &olen);
        if (strcmp(st, "OK")) {
            hub_error_t e = {0};
            hub_wire_error_decode(o, olen, &e);
            fail_msg("figure %s by \"%s\": %s %s", FIGS[i][0], FIGS[i][1], hub_error_code_name(e.code), e.message);
        }
        out[i].bytes = malloc(olen ? olen : 1);
        assert_non_null(out[i].bytes);
        memcpy(out[i].bytes, o, olen);
        out[i].len = olen;
    }
    hub_arena_destroy(&a);
}

static void s_blobs_free(blob_t *b)
{
    for (size_t i = 0; i < N_FIGS; i++) {
        free(b[i].bytes);
        b[i].bytes = NULL;
    }
}

/* The figure as JSON text (malloc'd), for a failure message. */
static char *s_blob_json(const blob_t *b)
{
    Reporting__QueryReply *r = reporting__query_reply__unpack(NULL, b->len, b->bytes);
    if (!r) return strdup("(does not decode)");
    json_t *j = hub_fig_json(r);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    reporting__query_reply__free_unpacked(r, NULL);
    return s ? s : strdup("(no json)");
}

static void s_expect_same(const blob_t *before, const blob_t *after, const char *what)
{
    for (size_t i = 0; i < N_FIGS; i++) {
        if (before[i].len == after[i].len && !memcmp(before[i].bytes, after[i].bytes, before[i].len)) continue;
        char *x = s_blob_json(&before[i]), *y = s_blob_json(&after[i]);
        char msg[3000];
        snprintf(msg, sizeof msg, "figure %s by \"%s\" differs %s:\n  before %.1400s\n  after  %.1400s", FIGS[i][0],
                 FIGS[i][1], what, x, y);
        free(x);
        free(y);
        fail_msg("%s", msg);
    }
}

static void test_kill9_replay_exact(void **state)
{
    fixture_t *q = *state;
    s_add_org(q, "ORG-GULOU", ELDERLY, GULOU, 1000);
    burst_t b = {.q = q};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, s_burst, &b), 0);
    half_t h = {&b, q->crp, hub_arena_new(4 << 20)};
    bool half = harness_wait(s_half_way, &h, 60000);
    hub_arena_destroy(&h.a);
    if (!half || atomic_load(&b.failed)) {
        pthread_join(th, NULL);
        fail_msg("the burst never got half way (%d acknowledged): %s", atomic_load(&b.n_acked), b.err);
    }
    int rc = harness_stop(&q->rp, SIGKILL);
    int acked_at_kill = atomic_load(&b.n_acked);
    assert_int_equal(rc, 128 + SIGKILL);
    if (harness_start(&q->rp)) {
        pthread_join(th, NULL);
        fail_msg("hub-reporting did not restart after kill -9");
    }
    pthread_join(th, NULL);
    if (atomic_load(&b.failed)) fail_msg("%s", b.err);
    assert_int_equal(atomic_load(&b.n_acked), BURST);
    print_message("reporting killed after %d of %d submissions\n", acked_at_kill, BURST);
    if (acked_at_kill >= BURST) print_message("warning: the burst ended before the kill\n");

    uint64_t events = s_wait_caught_up(q, 60000);
    Reporting__QueryReply *r = s_query(q, "summary", "", false);
    const Reporting__Table *t = s_tab(r, "summary");
    s_expect(t, "requests", NULL, 1, "value", (long long)BURST);
    s_expect(t, "unmet", NULL, 1, "value", (long long)BURST / 2);
    s_expect(t, "queued", NULL, 1, "value", (long long)BURST / 2);
    s_expect(t, "completed", NULL, 1, "value", 0LL);
    s_expect(t, "events", NULL, 1, "value", (long long)events);
    t = s_tab(s_query(q, "requests", "service", false), "requests_by_service");
    s_expect_rows(t, 2);
    s_expect(t, ELDERLY, NULL, 3, "requests", (long long)BURST / 2, "completed", 0LL, "unmet", 0LL);
    s_expect(t, FAMILY, NULL, 3, "requests", (long long)BURST / 2, "completed", 0LL, "unmet", (long long)BURST / 2);
    t = s_tab(s_query(q, "requests", "status", false), "requests_by_status");
    s_expect_rows(t, 2);
    s_expect(t, "offered", NULL, 1, "requests", (long long)BURST / 2);
    s_expect(t, "queued", NULL, 1, "requests", (long long)BURST / 2);
    t = s_tab(s_query(q, "requests", "channel", false), "requests_by_channel");
    s_expect(t, "web-form", NULL, 1, "requests", (long long)(BURST + 2) / 3);
    s_expect(t, "hotline", NULL, 1, "requests", (long long)BURST - (BURST + 2) / 3);
    t = s_tab(s_query(q, "workload", "", false), "workload");
    s_expect_rows(t, 1);
    s_expect(t, "organization", "ORG-GULOU", 2, "offers", (long long)BURST / 2, "accepted", 0LL);
    t = s_tab(s_query(q, "unmet", "", false), "unmet");
    s_expect(t, FAMILY, YUEHU, 2, "unmet", (long long)BURST / 2, "queued", (long long)BURST / 2);

    /* the same figures from a store rebuilt from nothing */
    const int64_t to_ms = hub_now_ms() + 86400000LL;
    blob_t before[N_FIGS] = {{0}}, again[N_FIGS] = {{0}}, rebuilt[N_FIGS] = {{0}};
    s_snapshot(q, to_ms, before);
    s_snapshot(q, to_ms, again);
    s_expect_same(before, again, "between two reads");
    s_blobs_free(again);
    rc = harness_stop(&q->rp, SIGTERM);
    if (rc != 0) fail_msg("hub-reporting exited %d on SIGTERM", rc);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/var/reporting'", q->in.dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(harness_start(&q->rp), 0);
    assert_int_equal(s_wait_caught_up(q, 60000), events);
    s_snapshot(q, to_ms, rebuilt);
    s_expect_same(before, rebuilt, "after rebuilding the store from the publishers' outboxes");
    s_blobs_free(before);
    s_blobs_free(rebuilt);

    static const char *const secrets[] = {P_BURST.name, P_BURST.phone, P_BURST.email, P_BURST.address,
                                          P_BURST.description, NULL};
    static const char *const present[] = {GULOU, YUEHU, NULL};
    s_scan_store(q, secrets, present);
}

/* ============================================================ 3. suppression */

static const person_t P_SUP = {"郑大钧", "1357777000", "", "镇明路5号", "独居老人需要助餐"};

static void test_public_view_suppresses(void **state)
{
    fixture_t *q = *state;
    s_add_org(q, "ORG-GULOU", ELDERLY, GULOU, 10);
    s_add_org(q, "ORG-ALL", ELDERLY, "*", 10);
    char id[10][32];
    int n = 0;
    for (int i = 0; i < 6; i++, n++) {
        char mid[32];
        snprintf(mid, sizeof mid, "sup-g-%d", i);
        s_submit(q, mid, ELDERLY, GULOU, &P_SUP, n, id[n]);
    }
    for (int i = 0; i < 2; i++, n++) {
        char mid[32];
        snprintf(mid, sizeof mid, "sup-x-%d", i);
        s_submit(q, mid, ELDERLY, XIMEN, &P_SUP, n, id[n]);
    }
    for (int i = 0; i < 2; i++, n++) {
        char mid[32];
        snprintf(mid, sizeof mid, "sup-f-%d", i);
        s_submit(q, mid, FAMILY, YUEHU, &P_SUP, n, id[n]);
    }
    for (int i = 0; i < 8; i++) s_wait_ref(q, id[i], MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    for (int i = 8; i < 10; i++) s_wait_ref(q, id[i], MATCHING__REFERRAL_STATUS__REJECTED, 0);
    s_wait_caught_up(q, WAIT_MS);

    /* exact */
    Reporting__QueryReply *r = s_query(q, "requests", "service", false);
    assert_false(r->suppressed);
    const Reporting__Table *t = s_tab(r, "requests_by_service");
    s_expect(t, ELDERLY, NULL, 3, "requests", 8LL, "completed", 0LL, "unmet", 0LL);
    s_expect(t, FAMILY, NULL, 3, "requests", 2LL, "completed", 0LL, "unmet", 2LL);
    assert_non_null(t->total);
    /* public: 1..4 -> -1, 0 stays 0, 5 and more shown; no total row */
    r = s_query(q, "requests", "service", true);
    assert_true(r->suppressed);
    t = s_tab(r, "requests_by_service");
    s_expect(t, ELDERLY, NULL, 3, "requests", -1LL, "completed", 0LL, "unmet", 0LL); /* hidden too: the only other cell */
    s_expect(t, FAMILY, NULL, 3, "requests", -1LL, "completed", 0LL, "unmet", -1LL);
    assert_null(t->total);

    r = s_query(q, "requests", "street", true);
    assert_true(r->suppressed);
    t = s_tab(r, "requests_by_street");
    s_expect(t, GULOU, NULL, 1, "requests", 6LL);
    s_expect(t, XIMEN, NULL, 1, "requests", -1LL);
    s_expect(t, YUEHU, NULL, 2, "requests", -1LL, "unmet", -1LL);

    /* times: a group of fewer than 5 requests hides its percentiles too */
    t = s_tab(s_query(q, "times", "street", false), "times_by_street");
    s_expect(t, XIMEN, NULL, 1, "requests", 2LL);
    if (s_get(t, XIMEN, NULL, "offer_p50") < 0) fail_msg("exact times: %s", s_dump(t));
    r = s_query(q, "times", "street", true);
    assert_true(r->suppressed);
    t = s_tab(r, "times_by_street");
    s_expect(t, XIMEN, NULL, 3, "requests", -1LL, "offer_p50", -1LL, "offer_p90", -1LL);
    s_expect(t, GULOU, NULL, 1, "requests", 6LL);
    if (s_get(t, GULOU, NULL, "offer_p50") < 0 || s_get(t, GULOU, NULL, "offer_p90") < 0)
        fail_msg("public times of 6 requests hidden: %s", s_dump(t));

    /* summary: requests shown, small counts hidden */
    r = s_query(q, "summary", "", true);
    assert_true(r->suppressed);
    t = s_tab(r, "summary");
    s_expect(t, "requests", NULL, 1, "value", 10LL);
    s_expect(t, "unmet", NULL, 1, "value", -1LL);
    s_expect(t, "queued", NULL, 1, "value", -1LL);
    s_expect(t, "opinions", NULL, 1, "value", 0LL);
    r = s_query(q, "summary", "", false);
    assert_false(r->suppressed);
    s_expect(s_tab(r, "summary"), "unmet", NULL, 1, "value", 2LL);

    r = s_query(q, "unmet", "", true);
    assert_true(r->suppressed);
    s_expect(s_tab(r, "unmet"), FAMILY, YUEHU, 2, "unmet", -1LL, "queued", -1LL);
    r = s_query(q, "workload", "", true);
    t = s_tab(r, "workload");
    s_expect(t, "organization", "ORG-GULOU", 2, "offers", -1LL, "accepted", 0LL); /* complement of the one hidden cell */
    s_expect(t, "organization", "ORG-ALL", 1, "offers", -1LL);
    r = s_query(q, "workload", "", false);
    s_expect(s_tab(r, "workload"), "organization", "ORG-ALL", 1, "offers", 2LL);

    /* nothing to hide: not suppressed */
    r = s_query(q, "outcomes", "", true);
    assert_false(r->suppressed);
}

/* ============================================================ 4. reports */

static const person_t P_REP = {"冯晓梅", "1868888000", "fengxm@example.org", "县前街100号", "中风后康复需要上门护理"};

static bool s_has_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++)
        if (!strncasecmp(p, needle, n)) return true;
    return false;
}

/* Asserts an HTML document without any of secrets. */
static void s_expect_html(const Reporting__PageReply *p, const char *what, const char *const *secrets)
{
    assert_non_null(p->content_type);
    if (!strstr(p->content_type, "text/html")) fail_msg("%s: content type \"%s\"", what, p->content_type);
    const char *b = p->body;
    if (strncasecmp(b, "<!doctype html", 14)) fail_msg("%s does not start with <!doctype html: \"%.60s\"", what, b);
    if (!s_has_ci(b, "</html>")) fail_msg("%s: no </html> (%zu bytes)", what, strlen(b));
    for (size_t i = 0; secrets && secrets[i]; i++)
        if (strstr(b, secrets[i])) fail_msg("%s carries personal data \"%s\"", what, secrets[i]);
}

static Reporting__PageReply *s_report(fixture_t *q, const char *kind, const char *period, bool exact)
{
    Reporting__ReportRequest rq = REPORTING__REPORT_REQUEST__INIT;
    rq.kind = (char *)kind;
    rq.period = (char *)period;
    rq.exact = exact;
    return s_ok(q->crp, "reporting.report", &rq.base, &reporting__page_reply__descriptor, q->a);
}

static void test_reports_render(void **state)
{
    fixture_t *q = *state;
    s_add_org(q, "ORG-GULOU", ELDERLY, GULOU, 10);
    char id[9][32];
    for (int i = 0; i < 9; i++) {
        char mid[32];
        snprintf(mid, sizeof mid, "rep-%d", i);
        s_submit(q, mid, i < 6 ? ELDERLY : FAMILY, i < 6 ? GULOU : YUEHU, &P_REP, i, id[i]);
    }
    for (int i = 0; i < 6; i++) s_wait_ref(q, id[i], MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    for (int i = 6; i < 9; i++) s_wait_ref(q, id[i], MATCHING__REFERRAL_STATUS__REJECTED, 0);
    for (int i = 0; i < 3; i++) s_respond(q, id[i], "ORG-GULOU", "accept", 0, 0);
    s_respond(q, id[0], "ORG-GULOU", "complete", MATCHING__OUTCOME__GOT_HELP, 2);
    s_opinion(q, "rep-op", "助餐服务", GULOU, "希望增加周末送餐班次谢谢", &P_REP);
    /* the public's voice: an opinion with a policy topic, one linked to
     * another topic later, and a hearing P_REP attended */
    char op1[32], op2[32];
    s_voice(q, "rep-op-1", "助餐服务", "elderly-care-policy", GULOU, "建议公开助餐补贴标准", &P_REP, op1);
    s_voice(q, "rep-op-2", "停车", "", YUEHU, "小区停车位太少", &P_REP, op2);
    Intake__LinkOpinionRequest lk = INTAKE__LINK_OPINION_REQUEST__INIT;
    lk.opinion_id = op2;
    lk.policy_topic = "community-governance";
    s_ok(q->cin, "intake.opinion.link", &lk.base, &intake__link_opinion_reply__descriptor, q->a);
    s_hearing_attended(q, GULOU, &P_REP);
    s_wait_caught_up(q, WAIT_MS);

    static const char *const secrets[] = {P_REP.name, P_REP.phone, P_REP.email, P_REP.address, P_REP.description,
                                          "希望增加周末送餐", "王阿姨", "中山西路", "助餐补贴标准", "停车位太少",
                                          "助餐服务价格听证会", "三楼报告厅", NULL};
    int y, m;
    s_year_month(&y, &m);
    char year[8], month[16];
    snprintf(year, sizeof year, "%04d", y);
    snprintf(month, sizeof month, "%04d-%02d", y, m);
    Reporting__PageReply *p = s_report(q, "yearly", year, false);
    s_expect_html(p, "the yearly report", secrets);
    if (!strstr(p->body, "<svg")) fail_msg("the yearly report has no <svg> chart");
    if (!strstr(p->body, year)) fail_msg("the yearly report does not name its year %s", year);
    size_t yearly_len = strlen(p->body);
    p = s_report(q, "monthly", month, false);
    s_expect_html(p, "the monthly report", secrets);
    if (!strstr(p->body, "<svg")) fail_msg("the monthly report has no <svg> chart");
    /* exact figures for a trusted (local) caller: still no personal data */
    p = s_report(q, "yearly", year, true);
    s_expect_html(p, "the exact yearly report", secrets);
    /* what residents and organizations told us: counts by policy topic
     * (the link moved one out of "unlinked") and the hearing's attendance */
    const char *told = strstr(p->body, "十一、居民和组织对我们说了什么");
    if (!told) fail_msg("the yearly report has no \"what residents and organizations told us\"");
#define TD(x) "<td class=\"n\">" #x "</td>"
    static const char *const cells[] = {
        "<tr><td>养老服务政策</td>" TD(1) "</tr>", /* named from the catalogue */
        "<tr><td>社区治理</td>" TD(1) "</tr>",
        "<tr><td>未关联政策主题</td>" TD(1) "</tr>",   /* rep-op */
        "<tr><td>听证会</td>" TD(1) TD(0) TD(1) TD(1) TD(0) TD(0) TD(1) TD(0.00) "</tr>",
        "<tr><td>" GULOU "</td>" TD(1) TD(0) TD(1) TD(1) TD(0) TD(0) TD(1) TD(0.00) "</tr>",
        NULL};
#undef TD
    for (size_t i = 0; cells[i]; i++)
        if (!strstr(told, cells[i])) fail_msg("the yearly report's section lacks %s", cells[i]);
    print_message("yearly report: %zu bytes\n", yearly_len);
    /* a year without data renders too */
    p = s_report(q, "yearly", "2001", false);
    s_expect_html(p, "the yearly report of 2001", NULL);

    /* bad periods and kinds */
    Reporting__ReportRequest rq = REPORTING__REPORT_REQUEST__INIT;
    rq.kind = "yearly";
    static const char *const bad_years[] = {"", "26", "2026-05", "abcd", "1970", "20266", NULL};
    for (int i = 0; bad_years[i]; i++) {
        rq.period = (char *)bad_years[i];
        s_refused(q->crp, "reporting.report", &rq.base, &reporting__page_reply__descriptor,
                  HUB__ERROR_CODE__INVALID_ARGUMENT, "period");
    }
    rq.kind = "monthly";
    static const char *const bad_months[] = {"2026-13", "2026-00", "2026", "2026-1", "2026/05", NULL};
    for (int i = 0; bad_months[i]; i++) {
        rq.period = (char *)bad_months[i];
        s_refused(q->crp, "reporting.report", &rq.base, &reporting__page_reply__descriptor,
                  HUB__ERROR_CODE__INVALID_ARGUMENT, "period");
    }
    rq.kind = "weekly";
    rq.period = year;
    s_refused(q->crp, "reporting.report", &rq.base, &reporting__page_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "kind");

    static const char *const present[] = {GULOU, NULL};
    s_scan_store(q, secrets, present);
}

/* ============================================================ 5. disclosure pages */

#define BUYER "GOV-HSMZ"
#define BUYER_NAME "海曙区民政局"
#define TENDER_TITLE "鼓楼街道居家养老助餐服务项目"

static Reporting__PageReply *s_page(fixture_t *q, const char *page, const char *format)
{
    Reporting__PageRequest rq = REPORTING__PAGE_REQUEST__INIT;
    rq.page = (char *)page;
    rq.format = (char *)format;
    return s_ok(q->crp, "reporting.page", &rq.base, &reporting__page_reply__descriptor, q->a);
}

/* The table named name of a figure's JSON (hub_fig_json), or fails. */
static json_t *s_json_table(json_t *root, const char *name)
{
    json_t *tabs = json_object_get(root, "tables");
    if (!json_is_array(tabs)) fail_msg("no \"tables\" array in the JSON page");
    for (size_t i = 0; i < json_array_size(tabs); i++) {
        json_t *t = json_array_get(tabs, i);
        if (json_is_string(json_object_get(t, "name")) && !strcmp(json_string_value(json_object_get(t, "name")), name))
            return t;
    }
    fail_msg("no table \"%s\" in the JSON page", name);
    return NULL;
}

static Tendering__Process *s_tender_draft(hub_arena_t *a)
{
    Tendering__Process *p = hub_arena_alloc(a, sizeof *p);
    Tendering__Need *need = hub_arena_alloc(a, sizeof *need);
    Tendering__Eligibility *e = hub_arena_alloc(a, sizeof *e);
    Tendering__Criterion **crs = hub_arena_alloc(a, 3 * sizeof *crs);
    Tendering__Document *d = hub_arena_alloc(a, sizeof *d);
    Tendering__Document **docs = hub_arena_alloc(a, sizeof *docs);
    assert_true(p && need && e && crs && d && docs);
    tendering__process__init(p);
    p->kind = TENDERING__KIND__PURCHASE;
    p->title = TENDER_TITLE;
    p->description = "为鼓楼街道独居老人提供每日助餐和上门探访服务";
    p->buyer_id = BUYER;
    p->buyer_name = BUYER_NAME;
    tendering__need__init(need);
    need->service = ELDERLY;
    need->street = GULOU;
    need->unmet_count = 12;
    need->note = "助餐需求未满足";
    p->need = need;
    tendering__eligibility__init(e);
    e->members_only = 1;
    p->eligibility = e;
    static const char *const names[3] = {"服务方案", "团队能力", "价格"};
    static const uint32_t weights[3] = {50, 30, 20};
    for (int i = 0; i < 3; i++) {
        crs[i] = hub_arena_alloc(a, sizeof *crs[i]);
        assert_non_null(crs[i]);
        tendering__criterion__init(crs[i]);
        crs[i]->name = (char *)names[i];
        crs[i]->weight = weights[i];
        crs[i]->description = "评分细则见招标文件";
    }
    p->criteria = crs;
    p->n_criteria = 3;
    tendering__document__init(d);
    d->id = "DOC-1";
    d->title = "招标公告";
    d->document_type = "tenderNotice";
    d->url = "https://hub.example.org/docs/DOC-1.pdf";
    d->sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    d->date_ms = hub_now_ms();
    docs[0] = d;
    p->documents = docs;
    p->n_documents = 1;
    p->budget_fen = 20000000;
    return p;
}

static void test_disclosure_pages(void **state)
{
    fixture_t *q = *state;
    /* the donation box: a named and an anonymous donor, one disbursement */
    Tendering__DonateRequest dq = TENDERING__DONATE_REQUEST__INIT;
    dq.donor_name = "张三";
    dq.amount_fen = 10000;
    dq.memo = "助老";
    s_ok(q->ctd, "tendering.funds.donate", &dq.base, &tendering__donate_reply__descriptor, q->a);
    dq.donor_name = "褚匿名";
    dq.anonymous = 1;
    dq.amount_fen = 5000;
    s_ok(q->ctd, "tendering.funds.donate", &dq.base, &tendering__donate_reply__descriptor, q->a);
    Tendering__Disbursement db = TENDERING__DISBURSEMENT__INIT;
    db.recipient_name = "王小明";
    db.recipient_phone = "13812345678";
    db.recipient_address = "中山西路 1 号";
    db.street = GULOU;
    db.purpose = "困难老人助餐补贴";
    db.amount_fen = 3000;
    Tendering__DisburseRequest xq = TENDERING__DISBURSE_REQUEST__INIT;
    xq.disbursement = &db;
    Tendering__DisburseReply *xr =
        s_ok(q->ctd, "tendering.funds.disburse", &xq.base, &tendering__disburse_reply__descriptor, q->a);
    assert_int_equal(xr->disbursement->amount_fen, 3000);
    /* a tender, published */
    Tendering__CreateRequest cq = TENDERING__CREATE_REQUEST__INIT;
    cq.process = s_tender_draft(q->a);
    Tendering__ProcessReply *pr = s_ok(q->ctd, "tendering.tender.create", &cq.base, &tendering__process_reply__descriptor, q->a);
    assert_non_null(pr->process);
    char ocid[64];
    snprintf(ocid, sizeof ocid, "%s", pr->process->ocid);
    Tendering__PublishRequest pq = TENDERING__PUBLISH_REQUEST__INIT;
    pq.ocid = ocid;
    pq.tender_end_ms = hub_now_ms() + 3600 * 1000;
    pr = s_ok(q->ctd, "tendering.tender.publish", &pq.base, &tendering__process_reply__descriptor, q->a);
    assert_int_equal(pr->process->state, TENDERING__STATE__ACTIVE);
    s_wait_caught_up(q, WAIT_MS);

    static const char *const secrets[] = {"王小明", "13812345678", "中山西路", "褚匿名", NULL};
    /* the figures */
    Reporting__QueryReply *r = s_query(q, "funds", "", false);
    const Reporting__Table *t = s_tab(r, "funds_by_month");
    s_expect_rows(t, 1);
    assert_non_null(t->total);
    assert_int_equal(t->total->values[s_col(t, "donations")], 2);
    assert_int_equal(t->total->values[s_col(t, "donations_fen")], 15000);
    assert_int_equal(t->total->values[s_col(t, "disbursements")], 1);
    assert_int_equal(t->total->values[s_col(t, "disbursed_fen")], 3000);
    r = s_query(q, "summary", "", false);
    assert_int_equal(s_summary(r, "donations_fen"), 15000);
    assert_int_equal(s_summary(r, "disbursed_fen"), 3000);
    assert_int_equal(s_summary(r, "tenders"), 1);
    t = s_tab(s_query(q, "disclosures", "", false), "disclosures");
    s_expect_rows(t, 1);
    assert_string_equal(t->rows[0]->keys[1], "王**");
    assert_string_equal(t->rows[0]->keys[2], GULOU);
    assert_string_equal(t->rows[0]->keys[3], "困难老人助餐补贴");
    assert_int_equal(t->rows[0]->values[0], 3000);
    r = s_query(q, "tenders", "", false);
    t = s_tab(r, "tenders_by_state");
    s_expect(t, "active", NULL, 2, "processes", 1LL, "budget_fen", 20000000LL);
    t = s_tab(r, "tenders");
    s_expect_rows(t, 1);
    s_expect(t, ocid, NULL, 2, "bids", 0LL, "budget_fen", 20000000LL);
    assert_string_equal(t->rows[0]->keys[1], TENDER_TITLE);

    /* the donations page: HTML and JSON, masked */
    Reporting__PageReply *p = s_page(q, "donations", "");
    s_expect_html(p, "the donations page", secrets);
    if (!strstr(p->body, "王**")) fail_msg("the donations page does not show the masked recipient 王**");
    p = s_page(q, "donations", "html");
    s_expect_html(p, "the donations page (html)", secrets);
    p = s_page(q, "donations", "json");
    if (!strstr(p->content_type, "json")) fail_msg("donations json: content type \"%s\"", p->content_type);
    for (int i = 0; secrets[i]; i++)
        if (strstr(p->body, secrets[i])) fail_msg("the donations JSON carries \"%s\"", secrets[i]);
    json_error_t je;
    json_t *j = json_loads(p->body, 0, &je);
    if (!j) fail_msg("the donations JSON does not parse: %s (line %d): %.200s", je.text, je.line, p->body);
    json_t *jt = s_json_table(j, "disclosures");
    json_t *rows = json_object_get(jt, "rows");
    assert_true(json_is_array(rows));
    assert_int_equal(json_array_size(rows), 1);
    json_t *row = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(row, "recipient")), "王**");
    assert_string_equal(json_string_value(json_object_get(row, "street")), GULOU);
    assert_int_equal(json_integer_value(json_object_get(row, "amount_fen")), 3000);
    assert_true(json_is_true(json_object_get(j, "suppressed")) || json_is_false(json_object_get(j, "suppressed")));
    json_decref(j);

    /* the tenders page: HTML and JSON */
    p = s_page(q, "tenders", "");
    s_expect_html(p, "the tenders page", secrets);
    if (!strstr(p->body, TENDER_TITLE)) fail_msg("the tenders page does not list \"%s\"", TENDER_TITLE);
    p = s_page(q, "tenders", "json");
    j = json_loads(p->body, 0, &je);
    if (!j) fail_msg("the tenders JSON does not parse: %s (line %d): %.200s", je.text, je.line, p->body);
    jt = s_json_table(j, "tenders");
    rows = json_object_get(jt, "rows");
    assert_true(json_is_array(rows));
    assert_int_equal(json_array_size(rows), 1);
    row = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(row, "ocid")), ocid);
    assert_string_equal(json_string_value(json_object_get(row, "title")), TENDER_TITLE);
    assert_int_equal(json_integer_value(json_object_get(row, "budget_fen")), 20000000);
    json_decref(j);

    /* unknown pages and formats */
    Reporting__PageRequest bq = REPORTING__PAGE_REQUEST__INIT;
    bq.page = "secrets";
    bq.format = "json";
    s_refused(q->crp, "reporting.page", &bq.base, &reporting__page_reply__descriptor, HUB__ERROR_CODE__NOT_FOUND, "page");
    bq.format = "";
    {
        hub_arena_t *a = hub_arena_new(16 << 20);
        ProtobufCMessage *rep = NULL;
        hub_error_t err = {0};
        int rc = hub_client_call(q->crp, "reporting.page", &bq.base, &reporting__page_reply__descriptor, a, &rep, &err);
        hub_arena_destroy(&a);
        if (rc != 1 || (err.code != HUB__ERROR_CODE__NOT_FOUND && err.code != HUB__ERROR_CODE__INVALID_ARGUMENT))
            fail_msg("html page \"secrets\": rc %d %s field \"%s\": %s; expected NOT_FOUND or INVALID_ARGUMENT", rc,
                     hub_error_code_name(err.code), err.field, err.message);
    }
    bq.page = "donations";
    bq.format = "xml";
    s_refused(q->crp, "reporting.page", &bq.base, &reporting__page_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "format");

    static const char *const present[] = {"王**", TENDER_TITLE, NULL};
    s_scan_store(q, secrets, present);
}

/* ============================================================ 6. health */

typedef struct {
    fixture_t *q;
    hub_arena_t *a;
    bool want_intake_up;
    char seen[1024];
} health_wait_t;

static const Reporting__DaemonHealth *s_daemon(const Reporting__HealthReply *h, const char *name)
{
    for (size_t i = 0; i < h->n_daemons; i++)
        if (!strcmp(h->daemons[i]->name, name)) return h->daemons[i];
    return NULL;
}

static const Reporting__Lag *s_lag(const Reporting__HealthReply *h, const char *sub, const char *pub)
{
    for (size_t i = 0; i < h->n_lags; i++)
        if (!strcmp(h->lags[i]->subscriber, sub) && !strcmp(h->lags[i]->publisher, pub)) return h->lags[i];
    return NULL;
}

static Reporting__HealthReply *s_health_try(hub_client_t *c, hub_arena_t *a)
{
    Reporting__HealthRequest rq = REPORTING__HEALTH_REQUEST__INIT;
    Reporting__HealthReply *h = NULL;
    hub_error_t err = {0};
    if (hub_client_call(c, "reporting.health", &rq.base, &reporting__health_reply__descriptor, a,
                        (ProtobufCMessage **)&h, &err))
        return NULL;
    return h;
}

static void s_health_text(const Reporting__HealthReply *h, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    for (size_t i = 0; i < h->n_daemons && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s %s seq %llu; ", h->daemons[i]->name,
                              h->daemons[i]->up ? "up" : "down", (unsigned long long)h->daemons[i]->last_seq);
    for (size_t i = 0; i < h->n_lags && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "lag %s<-%s at %llu: %llu; ", h->lags[i]->subscriber,
                              h->lags[i]->publisher, (unsigned long long)h->lags[i]->seq,
                              (unsigned long long)h->lags[i]->lag);
}

/* Every daemon but notification up (intake as wanted), intake with
 * events; with intake up, matching's and reporting's lag on it 0, and
 * tendering's on matching 0 when it is listed. */
static bool s_health_is(void *p)
{
    health_wait_t *w = p;
    hub_arena_reset(w->a);
    Reporting__HealthReply *h = s_health_try(w->q->crp, w->a);
    if (!h) {
        snprintf(w->seen, sizeof w->seen, "reporting.health unanswered");
        return false;
    }
    s_health_text(h, w->seen, sizeof w->seen);
    static const char *const others[] = {"matching", "tendering", "reporting"};
    for (int i = 0; i < 3; i++) {
        const Reporting__DaemonHealth *d = s_daemon(h, others[i]);
        if (!d || !d->up) return false;
    }
    const Reporting__DaemonHealth *in = s_daemon(h, "intake");
    if (!in || in->up != w->want_intake_up || in->last_seq == 0) return false;
    if (!w->want_intake_up) return true;
    const Reporting__Lag *ml = s_lag(h, "matching", "intake"), *rl = s_lag(h, "reporting", "intake");
    /* reporting polls each daemon in turn: tendering's cursor and matching's
     * last sequence may come from polls a moment apart, so wait for it too */
    const Reporting__Lag *tl = s_lag(h, "tendering", "matching");
    if (tl && tl->lag) return false;
    return ml && ml->lag == 0 && ml->seq == in->last_seq && rl && rl->lag == 0;
}

static void test_health(void **state)
{
    fixture_t *q = *state;
    s_add_org(q, "ORG-GULOU", ELDERLY, GULOU, 10);
    char id[32];
    s_submit(q, "health-1", ELDERLY, GULOU, &P_SUP, 0, id);
    s_wait_ref(q, id, MATCHING__REFERRAL_STATUS__REQUESTED, 1);
    s_wait_caught_up(q, WAIT_MS);
    Hub__StatusReply *ist = s_status_try(q->cin, q->a);
    assert_non_null(ist);
    const uint64_t intake_last = ist->last_seq;
    assert_true(intake_last >= 1);

    health_wait_t w = {q, hub_arena_new(4 << 20), true, ""};
    bool ok = harness_wait(s_health_is, &w, WAIT_MS);
    if (!ok) {
        hub_arena_destroy(&w.a);
        fail_msg("health never showed every daemon up and the lags 0; last seen: %s", w.seen);
    }
    Reporting__HealthReply *h = s_health_try(q->crp, q->a);
    assert_non_null(h);
    const Reporting__DaemonHealth *d = s_daemon(h, "intake");
    assert_non_null(d);
    assert_true(d->up);
    assert_int_equal(d->last_seq, intake_last);
    assert_true(d->last_heartbeat_ms > 0 && d->last_heartbeat_ms <= hub_now_ms() + 1000);
    assert_true(d->epoch > 0);
    d = s_daemon(h, "matching");
    assert_true(d->last_seq >= 1); /* the org and the offer */
    /* notification is configured but not running: listed, down */
    d = s_daemon(h, "notification");
    if (!d) fail_msg("notification is not listed: %s", w.seen);
    assert_false(d->up);
    const Reporting__Lag *l = s_lag(h, "matching", "intake");
    assert_non_null(l);
    assert_int_equal(l->seq, intake_last);
    assert_int_equal(l->lag, 0);
    l = s_lag(h, "tendering", "matching");
    if (l) assert_int_equal(l->lag, 0);

    /* intake stops: it shows down soon after down_after_ms, the others stay up */
    hub_client_destroy(&q->cin);
    int rc = harness_stop(&q->in, SIGTERM);
    assert_int_equal(rc, 0);
    int64_t t0 = hub_mono_ms();
    w.want_intake_up = false;
    ok = harness_wait(s_health_is, &w, 10000);
    int64_t took = hub_mono_ms() - t0;
    hub_arena_destroy(&w.a);
    if (!ok) fail_msg("health never showed intake down (and the others up); last seen: %s", w.seen);
    print_message("intake shown down %lld ms after it stopped\n", (long long)took);
    h = s_health_try(q->crp, q->a);
    assert_non_null(h);
    d = s_daemon(h, "intake");
    assert_false(d->up);
    assert_int_equal(d->last_seq, intake_last); /* the last sequence it had */
}

/* ============================================================ 7. bad input */

static void test_bad_input(void **state)
{
    fixture_t *q = *state;
    Reporting__QueryRequest rq = REPORTING__QUERY_REQUEST__INIT;
    const ProtobufCMessageDescriptor *qd = &reporting__query_reply__descriptor;
    rq.figure = "nonsense";
    s_refused(q->crp, "reporting.query", &rq.base, qd, HUB__ERROR_CODE__INVALID_ARGUMENT, "figure");
    rq.figure = "";
    s_refused(q->crp, "reporting.query", &rq.base, qd, HUB__ERROR_CODE__INVALID_ARGUMENT, "figure");
    static const char *const bad_by[][2] = {{"requests", "planet"}, {"times", "channel"}, {"opinions", "service"},
                                             {"funds", "year"}};
    for (size_t i = 0; i < sizeof bad_by / sizeof *bad_by; i++) {
        rq.figure = (char *)bad_by[i][0];
        rq.by = (char *)bad_by[i][1];
        s_refused(q->crp, "reporting.query", &rq.base, qd, HUB__ERROR_CODE__INVALID_ARGUMENT, "by");
    }
    rq.figure = "requests";
    rq.by = "";
    rq.from_ms = 2000000000000LL;
    rq.to_ms = 1000000000000LL;
    s_refused(q->crp, "reporting.query", &rq.base, qd, HUB__ERROR_CODE__INVALID_ARGUMENT, "to_ms");

    /* malformed bodies */
    static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x34, 0x0a, 0xff};
    s_refused_raw(q->crp, "reporting.query", garbage, sizeof garbage, HUB__ERROR_CODE__INVALID_ARGUMENT, NULL);
    s_refused_raw(q->crp, "reporting.report", garbage, sizeof garbage, HUB__ERROR_CODE__INVALID_ARGUMENT, NULL);
    s_refused_raw(q->crp, "reporting.page", garbage, sizeof garbage, HUB__ERROR_CODE__INVALID_ARGUMENT, NULL);
    static const uint8_t bad_utf8[] = {0x0a, 0x03, 0xc3, 0x28, 0x41}; /* figure = invalid UTF-8 */
    s_refused_raw(q->crp, "reporting.query", bad_utf8, sizeof bad_utf8, HUB__ERROR_CODE__INVALID_ARGUMENT, NULL);
    /* an unknown verb */
    s_refused_raw(q->crp, "reporting.nope", "", 0, HUB__ERROR_CODE__NOT_FOUND, "verb");
    /* the internal feed verb is not for outsiders */
    s_refused_raw(q->crp, "hub.feed.intake", "", 0, HUB__ERROR_CODE__NOT_FOUND, "verb");

    /* the daemon keeps answering, with its error counters */
    Reporting__QueryReply *r = s_query(q, "summary", "", false);
    assert_int_equal(s_summary(r, "requests"), 0);
    Hub__StatusReply *st = s_status_try(q->crp, q->a);
    assert_non_null(st);
    assert_string_equal(st->source, "reporting");
    if (s_counter(st, "errors_invalid_argument_total") < 10 || s_counter(st, "errors_not_found_total") < 2)
        fail_msg("reporting counted %llu INVALID_ARGUMENT and %llu NOT_FOUND errors",
                 (unsigned long long)s_counter(st, "errors_invalid_argument_total"),
                 (unsigned long long)s_counter(st, "errors_not_found_total"));
    assert_true(q->rp.pid > 0);
}

int main(void)
{
    s_zctx = zmq_ctx_new();
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_figures_from_traffic, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_kill9_replay_exact, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_public_view_suppresses, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_reports_render, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_disclosure_pages, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_health, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, s_setup, s_teardown),
    };
    /* IT_FILTER=test_health runs the tests matching a pattern */
    if (getenv("IT_FILTER")) cmocka_set_test_filter(getenv("IT_FILTER"));
    /* the context is not terminated: a failed test may leave a socket open */
    return cmocka_run_group_tests_name("it_reporting", tests, NULL, NULL);
}
