/* Integration tests of hub-tendering: the real hub-intake, hub-matching and
 * hub-tendering daemons in one temp dir (one config file), on ipc://
 * sockets, driven over real ZeroMQ sockets. Tendering learns organizations
 * from matching's events; each test adds and approves them in matching,
 * waits until tendering knows them, then runs tenders and venture rounds
 * and moves money through the funds ledger. Readiness comes from each
 * daemon's sd_notify READY=1; waits are on conditions with deadlines (a
 * process's state, the wall clock passing a tender's end), never on
 * sleeps. The OCDS exports are checked by tests/support/ocds_validate.py
 * (run from the repository root). HUB_TEST_KEEP=1 keeps the temp dirs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
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
#include "hub_util.h"
#include "matching.pb-c.h"
#include "tendering.pb-c.h"

#define WAIT_MS 20000             /* deadline of one condition */
#define PERIOD_MS 3000            /* a tender period: long enough to bid in, even under ASan */
#define FAST_CHECK_MS 50          /* deadline_check_ms: the period closes soon after its end */
#define SLOW_CHECK_MS 60000       /* deadline_check_ms (its maximum): no tick during the test */
#define PYTHON "/usr/bin/python3"
#define OCDS_VALIDATE "tests/support/ocds_validate.py"
#define BUYER "GOV-HSMZ"
#define BUYER_NAME "海曙区民政局"
#define SERVICE "elderly-care"
#define STREET "鼓楼街道"

static void *s_zctx;

/* ------------------------------------------------------------------ fixture */

/* One test's clients (matching's and tendering's), its arenas (a for
 * what the test keeps, scratch for pages read and dropped) and what it
 * holds besides (JSON documents, one cleanup); they live in the fixture
 * so the teardown frees them even when an assertion ends the test. */
typedef struct trio trio_t;
#define CTX_MAX_JSON 4
typedef struct {
    trio_t *t;
    hub_client_t *mt;
    hub_client_t *td;
    hub_arena_t *a;
    hub_arena_t *scratch;
    json_t *json[CTX_MAX_JSON];
    void (*cleanup)(void *);
    void *cleanup_arg;
} ctx_t;

/* Three daemons sharing one directory and config: intake is the base,
 * matching and tendering its peers; tendering follows matching. */
struct trio {
    harness_t in;
    harness_t mt;
    harness_t td;
    ctx_t ctx;
};

/* Frees what the test holds (idempotent). */
static void s_close(ctx_t *c)
{
    if (c->cleanup) c->cleanup(c->cleanup_arg);
    c->cleanup = NULL;
    for (int i = 0; i < CTX_MAX_JSON; i++) {
        json_decref(c->json[i]);
        c->json[i] = NULL;
    }
    hub_arena_destroy(&c->a);
    hub_arena_destroy(&c->scratch);
    hub_client_destroy(&c->mt);
    hub_client_destroy(&c->td);
}

static ctx_t *s_open(void **state)
{
    trio_t *t = *state;
    ctx_t *c = &t->ctx;
    c->t = t;
    c->mt = hub_client_new(s_zctx, t->mt.api, NULL, 5000);
    c->td = hub_client_new(s_zctx, t->td.api, NULL, 5000);
    c->a = hub_arena_new(32 << 20);
    c->scratch = hub_arena_new(32 << 20);
    assert_non_null(c->mt);
    assert_non_null(c->td);
    assert_non_null(c->a);
    assert_non_null(c->scratch);
    return c;
}

/* Keeps j until the test ends; returns it. */
static json_t *s_keep_json(ctx_t *c, json_t *j)
{
    for (int i = 0; i < CTX_MAX_JSON; i++)
        if (!c->json[i]) return c->json[i] = j;
    fail_msg("more than %d JSON documents held", CTX_MAX_JSON);
    return NULL;
}

static int s_setup_with(void **state, int check_ms)
{
    trio_t *t = calloc(1, sizeof *t);
    if (!t || harness_init(&t->in, NULL)) { free(t); return -1; }
    char extra[1024];
    int rc = harness_init_peer(&t->mt, &t->in, "matching", NULL);
    if (!rc) {
        snprintf(extra, sizeof extra, "matching_api = %s\nmatching_pub = %s\ndeadline_check_ms = %d\n",
                 t->mt.api, t->mt.pub, check_ms);
        rc = harness_init_peer(&t->td, &t->in, "tendering", extra);
    }
    const char *failed = rc ? "the config" : harness_start(&t->in) ? t->in.bin : harness_start(&t->mt) ? t->mt.bin
                                           : harness_start(&t->td) ? t->td.bin : NULL;
    if (failed) {
        fprintf(stderr, "setup: could not start %s (dir %s)\n", failed, t->in.dir);
        harness_fini(&t->td);
        harness_fini(&t->mt);
        harness_fini(&t->in);
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}
static int s_setup(void **state) { return s_setup_with(state, FAST_CHECK_MS); }
static int s_setup_slow_timer(void **state) { return s_setup_with(state, SLOW_CHECK_MS); }

static int s_teardown(void **state)
{
    trio_t *t = *state;
    s_close(&t->ctx);
    /* every daemon must still be running and stop cleanly (under ASan: no leak) */
    int trc = harness_stop(&t->td, SIGTERM), mrc = harness_stop(&t->mt, SIGTERM),
        irc = harness_stop(&t->in, SIGTERM);
    harness_fini(&t->td);
    harness_fini(&t->mt);
    harness_fini(&t->in);
    free(t);
    if (trc != 0 || mrc != 0 || irc != 0) {
        fprintf(stderr, "teardown: hub-tendering exited %d, hub-matching %d, hub-intake %d\n", trc, mrc, irc);
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

/* Calls verb; returns hub_client_call's rc, the refusal in *err. */
static int s_try(hub_client_t *c, const char *verb, const ProtobufCMessage *req, const ProtobufCMessageDescriptor *d,
                 hub_error_t *err)
{
    hub_arena_t *a = hub_arena_new(8 << 20);
    ProtobufCMessage *rep = NULL;
    memset(err, 0, sizeof *err);
    int rc = hub_client_call(c, verb, req, d, a, &rep, err);
    hub_arena_destroy(&a);
    return rc;
}

/* Calls verb and asserts a refusal with code, field (NULL: any) and a
 * message containing text (NULL: any, but not empty). */
static void s_refused(hub_client_t *c, const char *verb, const ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *d, Hub__ErrorCode code, const char *field, const char *text)
{
    hub_error_t err;
    int rc = s_try(c, verb, req, d, &err);
    if (rc != 1 || err.code != code || (field && strcmp(err.field, field)) || !err.message[0] ||
        (text && !strstr(err.message, text)))
        fail_msg("%s: expected %s field \"%s\" message ~\"%s\"; got rc %d %s field \"%s\": %s", verb,
                 hub_error_code_name(code), field ? field : "*", text ? text : "", rc, hub_error_code_name(err.code),
                 err.field, err.message);
}

/* Sends raw frames and asserts an ERR reply with code (and field when not NULL). */
static void s_refused_raw(hub_client_t *c, hub_arena_t *a, const char *verb, const void *body, size_t len,
                          Hub__ErrorCode code, const char *field)
{
    char st[4];
    uint8_t *out;
    size_t out_len;
    hub_error_t e = {0};
    assert_int_equal(hub_client_call_raw(c, verb, strlen(verb), body, len, st, a, &out, &out_len), 0);
    if (strcmp(st, "ERR")) fail_msg("%s (raw, %zu bytes): answered %s", verb, len, st);
    assert_int_equal(hub_wire_error_decode(out, out_len, &e), 0);
    if (e.code != code || (field && strcmp(e.field, field)) || !e.message[0])
        fail_msg("%s (raw): expected %s/%s, got %s/%s: %s", verb, hub_error_code_name(code), field ? field : "*",
                 hub_error_code_name(e.code), e.field, e.message);
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

static bool s_alive(harness_t *h)
{
    int st;
    return h->pid > 0 && waitpid(h->pid, &st, WNOHANG) == 0;
}

static void *s_new(hub_arena_t *a, size_t size)
{
    void *p = hub_arena_alloc(a, size);
    assert_non_null(p);
    return p;
}

/* Appends room for one more element of size elem to the arena array *arr
 * of *n elements (capacity *cap); returns the new element. */
static void *s_push(hub_arena_t *a, void *arr_p, size_t *n, size_t *cap, size_t elem)
{
    char **arr = arr_p;
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        char *grown = s_new(a, ncap * elem);
        if (*n) memcpy(grown, *arr, *n * elem);
        *arr = grown;
        *cap = ncap;
    }
    return *arr + (*n)++ * elem;
}

static const char *s_state_name(int s)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&tendering__state__descriptor, s);
    return v ? v->name : "?";
}

/* The lower-case name the daemon's messages use ("award-pending"). Static. */
static const char *s_state_word(int s)
{
    static char out[32];
    const char *n = s_state_name(s);
    size_t i = 0;
    for (; n[i] && i < sizeof out - 1; i++) out[i] = n[i] == '_' ? '-' : (char)(n[i] | 0x20);
    out[i] = 0;
    return out;
}

/* ------------------------------------------------------------------ organizations */

typedef struct {
    hub_client_t *td;
    hub_arena_t *a;
    const char *id;
    uint32_t membership;
    char seen[400];
} org_wait_t;

static bool s_org_known(void *p)
{
    org_wait_t *w = p;
    Tendering__OrgRequest q = TENDERING__ORG_REQUEST__INIT;
    q.id = (char *)w->id;
    Tendering__OrgReply *r = NULL;
    hub_error_t err = {0};
    hub_arena_reset(w->a);
    if (hub_client_call(w->td, "tendering.org.get", &q.base, &tendering__org_reply__descriptor, w->a,
                        (ProtobufCMessage **)&r, &err)) {
        snprintf(w->seen, sizeof w->seen, "%s: %s", hub_error_code_name(err.code), err.message);
        return false;
    }
    if (!r->org) { snprintf(w->seen, sizeof w->seen, "an empty reply"); return false; }
    snprintf(w->seen, sizeof w->seen, "\"%s\" membership %u", r->org->id, r->org->membership);
    return !strcmp(r->org->id, w->id) && r->org->membership == w->membership;
}

/* Waits until tendering knows org id with membership (matching.Membership). */
static void s_org_wait(ctx_t *c, const char *id, uint32_t membership)
{
    org_wait_t w = {c->td, c->scratch, id, membership, ""};
    if (!harness_wait(s_org_known, &w, WAIT_MS))
        fail_msg("tendering never saw org %s with membership %u; last seen: %s", id, membership, w.seen);
}

/* Adds organization id in matching (approved unless !approve) and waits
 * until tendering knows it with that membership. */
static void s_org(ctx_t *c, const char *id, bool approve)
{
    hub_error_t err = {0};
    hub_arena_reset(c->scratch);
    if (!harness_add_org(c->mt, c->scratch, id, NULL, SERVICE, STREET, 5, approve, &err))
        fail_msg("org %s: %s field \"%s\": %s", id, hub_error_code_name(err.code), err.field, err.message);
    org_wait_t w = {c->td, c->scratch, id, approve ? MATCHING__MEMBERSHIP__APPROVED : MATCHING__MEMBERSHIP__APPLIED, ""};
    bool ok = harness_wait(s_org_known, &w, WAIT_MS);
    if (!ok) fail_msg("tendering never learned org %s from matching; last seen: %s", id, w.seen);
}

/* ------------------------------------------------------------------ processes */

static Tendering__Document *s_doc(hub_arena_t *a, const char *id, const char *title, const char *type)
{
    Tendering__Document *d = s_new(a, sizeof *d);
    tendering__document__init(d);
    d->id = hub_arena_strdup(a, id);
    d->title = hub_arena_strdup(a, title);
    d->document_type = hub_arena_strdup(a, type);
    char url[128];
    snprintf(url, sizeof url, "https://hub.example.org/docs/%s.pdf", id);
    d->url = hub_arena_strdup(a, url);
    d->sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    d->date_ms = hub_now_ms();
    return d;
}

/* A draft: a PURCHASE by the buyer (funders n == 0) or a VENTURE with n
 * funders of the given ids and shares (the budget is their sum); three
 * criteria weighted 50/30/20; members of the resource library only. */
static Tendering__Process *s_draft(hub_arena_t *a, Tendering__Kind kind, int64_t budget, size_t n,
                                   const char *const *funder_ids, const int64_t *shares)
{
    Tendering__Process *p = s_new(a, sizeof *p);
    tendering__process__init(p);
    p->kind = kind;
    p->title = kind == TENDERING__KIND__VENTURE ? "2027年海曙区公益创投：独居老人助餐" : "鼓楼街道居家养老助餐服务项目";
    p->description = "为鼓楼街道独居老人提供每日助餐和上门探访服务";
    p->buyer_id = BUYER;
    p->buyer_name = BUYER_NAME;
    Tendering__Need *need = s_new(a, sizeof *need);
    tendering__need__init(need);
    need->service = SERVICE;
    need->street = STREET;
    need->unmet_count = 12;
    need->note = "助餐需求未满足";
    p->need = need;
    Tendering__Eligibility *e = s_new(a, sizeof *e);
    tendering__eligibility__init(e);
    e->members_only = 1;
    p->eligibility = e;
    static const char *const names[3] = {"服务方案", "团队能力", "价格"};
    static const uint32_t weights[3] = {50, 30, 20};
    p->criteria = s_new(a, 3 * sizeof *p->criteria);
    p->n_criteria = 3;
    for (int i = 0; i < 3; i++) {
        Tendering__Criterion *cr = s_new(a, sizeof *cr);
        tendering__criterion__init(cr);
        cr->name = (char *)names[i];
        cr->weight = weights[i];
        cr->description = "评分细则见招标文件";
        p->criteria[i] = cr;
    }
    p->documents = s_new(a, sizeof *p->documents);
    p->documents[0] = s_doc(a, "DOC-1", "招标公告", "tenderNotice");
    p->n_documents = 1;
    p->budget_fen = budget;
    if (n) {
        p->funders = s_new(a, n * sizeof *p->funders);
        p->n_funders = n;
        p->budget_fen = 0;
        for (size_t i = 0; i < n; i++) {
            Tendering__Funder *f = s_new(a, sizeof *f);
            tendering__funder__init(f);
            f->id = (char *)funder_ids[i];
            char name[64];
            snprintf(name, sizeof name, "出资方%s", funder_ids[i]);
            f->name = hub_arena_strdup(a, name);
            f->share_fen = shares[i];
            p->budget_fen += shares[i];
            p->funders[i] = f;
        }
    }
    return p;
}

/* Calls a verb whose reply is a ProcessReply; asserts OK; the process. */
static Tendering__Process *s_proc(hub_client_t *td, hub_arena_t *a, const char *verb, const ProtobufCMessage *req)
{
    Tendering__ProcessReply *r = s_ok(td, verb, req, &tendering__process_reply__descriptor, a);
    if (!r->process) fail_msg("%s: a reply without the process", verb);
    return r->process;
}

static Tendering__Process *s_create(ctx_t *c, Tendering__Process *draft, char ocid[64])
{
    Tendering__CreateRequest q = TENDERING__CREATE_REQUEST__INIT;
    q.process = draft;
    Tendering__Process *p = s_proc(c->td, c->a, "tendering.tender.create", &q.base);
    assert_int_equal(p->state, TENDERING__STATE__PLANNING);
    assert_true(strlen(p->ocid) > 5 && strlen(p->ocid) < 64);
    assert_string_equal(p->title, draft->title);
    snprintf(ocid, 64, "%s", p->ocid);
    return p;
}

static Tendering__Process *s_get(hub_client_t *td, hub_arena_t *a, const char *ocid)
{
    Tendering__GetRequest q = TENDERING__GET_REQUEST__INIT;
    q.ocid = (char *)ocid;
    return s_proc(td, a, "tendering.tender.get", &q.base);
}

/* Publishes with the period ending end_ms (unix ms). */
static Tendering__Process *s_publish(ctx_t *c, const char *ocid, int64_t end_ms)
{
    Tendering__PublishRequest q = TENDERING__PUBLISH_REQUEST__INIT;
    q.ocid = (char *)ocid;
    q.tender_end_ms = end_ms;
    Tendering__Process *p = s_proc(c->td, c->a, "tendering.tender.publish", &q.base);
    assert_int_equal(p->state, TENDERING__STATE__ACTIVE);
    assert_int_equal(p->tender_end_ms, end_ms);
    assert_true(p->tender_start_ms > 0 && p->tender_start_ms <= end_ms);
    return p;
}

static Tendering__SubmitBidRequest s_bid_req(const char *ocid, const char *org, int64_t price)
{
    Tendering__SubmitBidRequest q = TENDERING__SUBMIT_BID_REQUEST__INIT;
    q.ocid = (char *)ocid;
    q.org_id = (char *)org;
    q.price_fen = price;
    q.proposal = "每日午餐配送，每周两次上门探访，配备专职社工";
    return q;
}

/* Submits a bid; its id goes to id. */
static Tendering__Bid *s_bid(ctx_t *c, const char *ocid, const char *org, int64_t price, char id[32])
{
    Tendering__SubmitBidRequest q = s_bid_req(ocid, org, price);
    Tendering__BidReply *r = s_ok(c->td, "tendering.bid.submit", &q.base, &tendering__bid_reply__descriptor, c->a);
    assert_non_null(r->bid);
    assert_true(r->bid->id[0] && strlen(r->bid->id) < 32);
    assert_int_equal(r->bid->state, TENDERING__BID_STATE__BID_VALID);
    snprintf(id, 32, "%s", r->bid->id);
    return r->bid;
}

typedef struct {
    hub_client_t *td;
    hub_arena_t *a;
    const char *ocid;
    int state;
    int seen;
    char err[400];
} state_wait_t;

static bool s_state_reached(void *p)
{
    state_wait_t *w = p;
    Tendering__GetRequest q = TENDERING__GET_REQUEST__INIT;
    q.ocid = (char *)w->ocid;
    Tendering__ProcessReply *r = NULL;
    hub_error_t err = {0};
    hub_arena_reset(w->a);
    if (hub_client_call(w->td, "tendering.tender.get", &q.base, &tendering__process_reply__descriptor, w->a,
                        (ProtobufCMessage **)&r, &err)) {
        snprintf(w->err, sizeof w->err, "%s: %s", hub_error_code_name(err.code), err.message);
        return false;
    }
    w->seen = r->process ? (int)r->process->state : -1;
    return w->seen == w->state;
}

/* Waits until the process reaches state; returns it as stored. */
static Tendering__Process *s_wait_state(ctx_t *c, const char *ocid, int state)
{
    state_wait_t w = {c->td, c->scratch, ocid, state, -1, ""};
    bool ok = harness_wait(s_state_reached, &w, WAIT_MS);
    if (!ok) fail_msg("%s never reached %s; last seen %s %s", ocid, s_state_name(state), s_state_name(w.seen), w.err);
    return s_get(c->td, c->a, ocid);
}

static Tendering__Process *s_add_evaluator(ctx_t *c, const char *ocid, const char *id, const char *name,
                                           const char *affiliation)
{
    Tendering__Evaluator ev = TENDERING__EVALUATOR__INIT;
    char *aff[1] = {(char *)affiliation};
    ev.id = (char *)id;
    ev.name = (char *)name;
    if (affiliation) {
        ev.affiliations = aff;
        ev.n_affiliations = 1;
    }
    Tendering__AddEvaluatorRequest q = TENDERING__ADD_EVALUATOR_REQUEST__INIT;
    q.ocid = (char *)ocid;
    q.evaluator = &ev;
    return s_proc(c->td, c->a, "tendering.evaluator.add", &q.base);
}

static Tendering__DeclareRequest s_declare_req(const char *ocid, const char *id)
{
    Tendering__DeclareRequest q = TENDERING__DECLARE_REQUEST__INIT;
    q.ocid = (char *)ocid;
    q.evaluator_id = (char *)id;
    q.no_conflict = 1;
    return q;
}

static Tendering__Process *s_declare(ctx_t *c, const char *ocid, const char *id)
{
    Tendering__DeclareRequest q = s_declare_req(ocid, id);
    Tendering__Process *p = s_proc(c->td, c->a, "tendering.evaluator.declare", &q.base);
    for (size_t i = 0; i < p->n_evaluators; i++)
        if (!strcmp(p->evaluators[i]->id, id)) {
            assert_true(p->evaluators[i]->declared);
            return p;
        }
    fail_msg("%s: evaluator %s not in the reply", ocid, id);
    return NULL;
}

static Tendering__DeclareRequest s_recuse_req(const char *ocid, const char *id, const char *reason)
{
    Tendering__DeclareRequest q = TENDERING__DECLARE_REQUEST__INIT;
    q.ocid = (char *)ocid;
    q.evaluator_id = (char *)id;
    q.reason = (char *)reason;
    return q;
}

/* The evaluator id of p, or NULL. */
static const Tendering__Evaluator *s_evaluator_of(const Tendering__Process *p, const char *id)
{
    for (size_t i = 0; i < p->n_evaluators; i++)
        if (!strcmp(p->evaluators[i]->id, id)) return p->evaluators[i];
    return NULL;
}

/* The evaluator stands down with reason; the reply shows it recused, not
 * declared, with the reason. */
static Tendering__Process *s_recuse(ctx_t *c, const char *ocid, const char *id, const char *reason)
{
    Tendering__DeclareRequest q = s_recuse_req(ocid, id, reason);
    Tendering__Process *p = s_proc(c->td, c->a, "tendering.evaluator.recuse", &q.base);
    const Tendering__Evaluator *e = s_evaluator_of(p, id);
    if (!e) fail_msg("%s: evaluator %s not in the recusal's reply", ocid, id);
    if (!e->recused || e->declared || strcmp(e->recusal_reason, reason))
        fail_msg("%s: after the recusal %s is recused %d declared %d reason \"%s\"", ocid, id, e->recused, e->declared,
                 e->recusal_reason);
    return p;
}

/* One evaluator's points (service plan, team, price) for one bid. */
static void s_score(ctx_t *c, const char *ocid, const char *ev, const char *bid, uint32_t p1, uint32_t p2, uint32_t p3)
{
    uint32_t pts[3] = {p1, p2, p3};
    Tendering__Score s = TENDERING__SCORE__INIT;
    s.evaluator_id = (char *)ev;
    s.bid_id = (char *)bid;
    s.points = pts;
    s.n_points = 3;
    s.comment = "方案完整";
    Tendering__ScoreRequest q = TENDERING__SCORE_REQUEST__INIT;
    q.ocid = (char *)ocid;
    q.score = &s;
    s_proc(c->td, c->a, "tendering.score", &q.base);
}

static Tendering__EvaluationReply *s_evaluation(ctx_t *c, const char *ocid)
{
    Tendering__GetRequest q = TENDERING__GET_REQUEST__INIT;
    q.ocid = (char *)ocid;
    return s_ok(c->td, "tendering.evaluation", &q.base, &tendering__evaluation_reply__descriptor, c->a);
}

/* Awards (bid NULL: the first ranked) at the bid's price, then activates. */
static Tendering__Process *s_award_activate(ctx_t *c, const char *ocid, const char *bid)
{
    Tendering__AwardRequest q = TENDERING__AWARD_REQUEST__INIT;
    q.ocid = (char *)ocid;
    q.bid_id = (char *)(bid ? bid : "");
    Tendering__Process *p = s_proc(c->td, c->a, "tendering.award", &q.base);
    assert_int_equal(p->state, TENDERING__STATE__AWARD_PENDING);
    assert_non_null(p->award);
    assert_int_equal(p->award->status, TENDERING__AWARD_STATUS__AWARD_PENDING_STATUS);
    Tendering__GetRequest g = TENDERING__GET_REQUEST__INIT;
    g.ocid = (char *)ocid;
    p = s_proc(c->td, c->a, "tendering.award.activate", &g.base);
    assert_int_equal(p->state, TENDERING__STATE__AWARDED);
    assert_non_null(p->award);
    assert_int_equal(p->award->status, TENDERING__AWARD_STATUS__AWARD_ACTIVE);
    return p;
}

/* A sign request for value with two milestones (ids "MS-1", "MS-2"). */
static Tendering__SignRequest *s_sign_req(hub_arena_t *a, const char *ocid, int64_t value)
{
    Tendering__SignRequest *q = s_new(a, sizeof *q);
    tendering__sign_request__init(q);
    int64_t now = hub_now_ms();
    q->ocid = hub_arena_strdup(a, ocid);
    q->value_fen = value;
    q->start_ms = now;
    q->end_ms = now + 365LL * 24 * 3600 * 1000;
    q->milestones = s_new(a, 2 * sizeof *q->milestones);
    q->n_milestones = 2;
    static const char *const ids[2] = {"MS-1", "MS-2"}, *const titles[2] = {"中期评估", "结项验收"};
    for (int i = 0; i < 2; i++) {
        Tendering__Milestone *m = s_new(a, sizeof *m);
        tendering__milestone__init(m);
        m->id = (char *)ids[i];
        m->title = (char *)titles[i];
        m->due_ms = now + (i + 1) * 180LL * 24 * 3600 * 1000;
        m->status = TENDERING__MILESTONE_STATUS__SCHEDULED;
        q->milestones[i] = m;
    }
    return q;
}

/* Signs; the milestones' ids (as stored) go to ms. */
static Tendering__Process *s_sign(ctx_t *c, const char *ocid, int64_t value, char ms[2][32])
{
    Tendering__SignRequest *q = s_sign_req(c->a, ocid, value);
    Tendering__Process *p = s_proc(c->td, c->a, "tendering.contract.sign", &q->base);
    assert_int_equal(p->state, TENDERING__STATE__CONTRACTED);
    assert_non_null(p->contract);
    assert_int_equal(p->contract->status, TENDERING__CONTRACT_STATUS__CONTRACT_ACTIVE);
    assert_int_equal(p->contract->n_milestones, 2);
    for (int i = 0; i < 2; i++) {
        assert_true(p->contract->milestones[i]->id[0] && strlen(p->contract->milestones[i]->id) < 32);
        snprintf(ms[i], 32, "%s", p->contract->milestones[i]->id);
    }
    return p;
}

static Tendering__Process *s_milestone(ctx_t *c, const char *ocid, const char *ms, Tendering__MilestoneStatus st)
{
    Tendering__MilestoneRequest q = TENDERING__MILESTONE_REQUEST__INIT;
    q.ocid = (char *)ocid;
    q.milestone_id = (char *)ms;
    q.status = st;
    q.percent = st == TENDERING__MILESTONE_STATUS__MET ? 100 : 50;
    q.text = "已完成阶段目标，服务老人 12 名";
    return s_proc(c->td, c->a, "tendering.milestone.report", &q.base);
}

static Tendering__PaymentRequest s_pay_req(const char *ocid, int64_t amount, const char *ms, const char *memo)
{
    Tendering__PaymentRequest q = TENDERING__PAYMENT_REQUEST__INIT;
    q.ocid = (char *)ocid;
    q.amount_fen = amount;
    q.milestone_id = (char *)(ms ? ms : "");
    q.memo = (char *)memo;
    return q;
}

static Tendering__Process *s_pay(ctx_t *c, const char *ocid, int64_t amount, const char *ms, const char *memo)
{
    Tendering__PaymentRequest q = s_pay_req(ocid, amount, ms, memo);
    return s_proc(c->td, c->a, "tendering.payment.make", &q.base);
}

/* ------------------------------------------------------------------ funds */

static Tendering__ContributeReply *s_contribute(ctx_t *c, const char *funder, int64_t amount)
{
    Tendering__ContributeRequest q = TENDERING__CONTRIBUTE_REQUEST__INIT;
    char name[64];
    snprintf(name, sizeof name, "出资方%s", funder);
    q.funder_id = (char *)funder;
    q.funder_name = name;
    q.amount_fen = amount;
    q.memo = "拨付项目资金";
    Tendering__ContributeReply *r =
        s_ok(c->td, "tendering.funds.contribute", &q.base, &tendering__contribute_reply__descriptor, c->a);
    assert_non_null(r->contribution);
    assert_non_null(r->entry);
    assert_int_equal(r->contribution->amount_fen, amount);
    assert_string_equal(r->contribution->funder_id, funder);
    assert_string_equal(r->contribution->entry_id, r->entry->id);
    assert_int_equal(r->entry->kind, TENDERING__ENTRY_KIND__CONTRIBUTION);
    return r;
}

static Tendering__BalanceReply *s_balance(hub_client_t *td, hub_arena_t *a)
{
    Tendering__BalanceRequest q = TENDERING__BALANCE_REQUEST__INIT;
    return s_ok(td, "tendering.funds.balance", &q.base, &tendering__balance_reply__descriptor, a);
}

static const Tendering__Account *s_account(const Tendering__BalanceReply *b, const char *name)
{
    for (size_t i = 0; i < b->n_accounts; i++)
        if (!strcmp(b->accounts[i]->name, name)) return b->accounts[i];
    return NULL;
}

/* An account's balance in its normal direction; 0 when absent. */
static int64_t s_bal(const Tendering__BalanceReply *b, const char *name)
{
    const Tendering__Account *acc = s_account(b, name);
    return acc ? acc->balance_fen : 0;
}

/* The ledger is reconciled and balances. */
static Tendering__BalanceReply *s_reconciled(hub_client_t *td, hub_arena_t *a)
{
    Tendering__BalanceReply *b = s_balance(td, a);
    if (!b->reconciled || b->n_problems || b->total_debit_fen != b->total_credit_fen)
        fail_msg("ledger not reconciled (%s): debits %lld credits %lld, %zu problems, first: %s",
                 b->reconciled ? "says reconciled" : "says not reconciled", (long long)b->total_debit_fen,
                 (long long)b->total_credit_fen, b->n_problems, b->n_problems ? b->problems[0] : "-");
    return b;
}

/* Every entry (of account, "" = all), paging with a small page; the
 * array and the entries are owned by a. */
static size_t s_entries(hub_client_t *td, hub_arena_t *a, const char *account, Tendering__Entry ***out)
{
    size_t n = 0, cap = 0;
    char after[64] = "";
    Tendering__Entry **all = NULL;
    for (int pages = 0; pages < 100000; pages++) {
        Tendering__EntriesRequest q = TENDERING__ENTRIES_REQUEST__INIT;
        q.account = (char *)account;
        q.after_id = after;
        q.limit = 97;
        Tendering__EntriesReply *r = s_ok(td, "tendering.funds.entries", &q.base, &tendering__entries_reply__descriptor, a);
        for (size_t i = 0; i < r->n_entries; i++)
            *(Tendering__Entry **)s_push(a, &all, &n, &cap, sizeof *all) = r->entries[i];
        if (!*r->next_after_id) break;
        assert_true(strlen(r->next_after_id) < sizeof after);
        assert_true(strcmp(r->next_after_id, after) > 0); /* paging moves forward */
        snprintf(after, sizeof after, "%s", r->next_after_id);
    }
    *out = all;
    return n;
}

/* Recomputes every account from the journal and compares with the
 * balance reply; checks each entry is whole (>= 2 lines, one side per
 * line, debits == credits) and ids are unique. Returns the entry count. */
static size_t s_ledger_consistent(hub_client_t *td, hub_arena_t *a, const Tendering__BalanceReply *b)
{
    Tendering__Entry **es;
    size_t n = s_entries(td, a, "", &es);
    if (n != b->entries) fail_msg("funds.entries lists %zu entries, funds.balance counts %llu", n, (unsigned long long)b->entries);
    typedef struct { const char *name; int64_t d, c; } sum_t;
    sum_t *sums = NULL;
    size_t ns = 0, cap = 0;
    for (size_t i = 0; i < n; i++) {
        const Tendering__Entry *e = es[i];
        if (i) assert_true(strcmp(es[i - 1]->id, e->id) < 0); /* in id order, unique */
        if (e->n_lines < 2) fail_msg("entry %s has %zu lines", e->id, e->n_lines);
        int64_t d = 0, cr = 0;
        for (size_t j = 0; j < e->n_lines; j++) {
            const Tendering__Line *l = e->lines[j];
            if ((l->debit_fen > 0) == (l->credit_fen > 0) || l->debit_fen < 0 || l->credit_fen < 0)
                fail_msg("entry %s line %zu (%s): debit %lld credit %lld", e->id, j, l->account,
                         (long long)l->debit_fen, (long long)l->credit_fen);
            d += l->debit_fen;
            cr += l->credit_fen;
            size_t k = 0;
            while (k < ns && strcmp(sums[k].name, l->account)) k++;
            if (k == ns) *(sum_t *)s_push(a, &sums, &ns, &cap, sizeof *sums) = (sum_t){l->account, 0, 0};
            sums[k].d += l->debit_fen;
            sums[k].c += l->credit_fen;
        }
        if (d != cr) fail_msg("entry %s: debits %lld, credits %lld", e->id, (long long)d, (long long)cr);
    }
    int64_t td_ = 0, tc = 0;
    for (size_t k = 0; k < ns; k++) {
        const Tendering__Account *acc = s_account(b, sums[k].name);
        if (!acc) fail_msg("account %s has entries but is not in funds.balance", sums[k].name);
        if (acc->debit_fen != sums[k].d || acc->credit_fen != sums[k].c)
            fail_msg("account %s: balance says debit %lld credit %lld, its entries %lld / %lld", sums[k].name,
                     (long long)acc->debit_fen, (long long)acc->credit_fen, (long long)sums[k].d, (long long)sums[k].c);
        td_ += sums[k].d;
        tc += sums[k].c;
    }
    for (size_t i = 0; i < b->n_accounts; i++) {
        const Tendering__Account *acc = b->accounts[i];
        size_t k = 0;
        while (k < ns && strcmp(sums[k].name, acc->name)) k++;
        if (k == ns && (acc->debit_fen || acc->credit_fen))
            fail_msg("account %s has totals %lld/%lld but no entry", acc->name, (long long)acc->debit_fen,
                     (long long)acc->credit_fen);
    }
    assert_int_equal(td_, b->total_debit_fen);
    assert_int_equal(tc, b->total_credit_fen);
    return n;
}

/* ------------------------------------------------------------------ events */

typedef struct {
    char topic[64];
    char ocid[64];
    int state;
    uint64_t seq;
    int64_t time_ms;
    bool sealed_ok;       /* bids blank while PLANNING/ACTIVE, no affiliations */
    char donor[64];       /* funds.donation.received */
    bool anonymous;
    char recipient[64];   /* funds.disbursement.made */
    bool leak;            /* the raw payload names a secret */
    /* what a TenderEvent's process shows of the panel and the bids */
    size_t n_evaluators;  /* evaluators listed */
    size_t n_scores;      /* scores listed */
    bool totals;          /* some bid carries a total or a rank */
    bool proposals;       /* some bid carries a proposal or documents */
    bool affiliations;    /* some evaluator carries affiliations */
    bool withdrawn_named; /* some withdrawn bid carries its org or price */
    size_t n_withdrawn;   /* withdrawn bids listed */
    char award_reason[128];
} ev_t;

/* Every event of tendering's outbox from seq 1 (gap-free), decoded; the
 * raw payloads are searched for each of secrets (NULL-terminated, may be
 * NULL). Returns the count; *out is owned by c->a. */
static size_t s_events(ctx_t *c, const char *const *secrets, ev_t **out)
{
    hub_client_t *td = c->td;
    hub_arena_t *a = c->scratch;
    size_t n = 0, cap = 0;
    ev_t *evs = NULL;
    uint64_t from = 1;
    for (;;) {
        Hub__ReplayRequest q = HUB__REPLAY_REQUEST__INIT;
        q.from_seq = from;
        q.max = 1000;
        hub_arena_reset(a);
        Hub__ReplayReply *r = s_ok(td, "hub.replay", &q.base, &hub__replay_reply__descriptor, a);
        if (!r->n_events) break;
        for (size_t i = 0; i < r->n_events; i++, from++) {
            Hub__Event *ev = hub__event__unpack(NULL, r->events[i].len, r->events[i].data);
            assert_non_null(ev);
            assert_int_equal(ev->seq, from); /* gap-free */
            assert_string_equal(ev->source, "tendering");
            ev_t *e = s_push(c->a, &evs, &n, &cap, sizeof *evs);
            memset(e, 0, sizeof *e);
            snprintf(e->topic, sizeof e->topic, "%s", ev->topic);
            e->seq = ev->seq;
            e->time_ms = ev->time_ms;
            e->sealed_ok = true;
            for (size_t k = 0; secrets && secrets[k]; k++)
                if (memmem(ev->payload.data, ev->payload.len, secrets[k], strlen(secrets[k]))) e->leak = true;
            if (!strncmp(ev->topic, "tendering.", 10)) {
                Tendering__TenderEvent *te =
                    tendering__tender_event__unpack(NULL, ev->payload.len, ev->payload.data);
                if (!te) fail_msg("event %llu (%s): not a TenderEvent", (unsigned long long)ev->seq, ev->topic);
                if (te->process) {
                    const Tendering__Process *p = te->process;
                    snprintf(e->ocid, sizeof e->ocid, "%s", p->ocid);
                    e->state = p->state;
                    bool sealed = p->state == TENDERING__STATE__PLANNING || p->state == TENDERING__STATE__ACTIVE;
                    for (size_t b = 0; sealed && b < p->n_bids; b++)
                        if (p->bids[b]->org_id[0] || p->bids[b]->price_fen || p->bids[b]->proposal[0])
                            e->sealed_ok = false;
                    for (size_t v = 0; v < p->n_evaluators; v++)
                        if (p->evaluators[v]->n_affiliations) e->sealed_ok = false, e->affiliations = true;
                    e->n_evaluators = p->n_evaluators;
                    e->n_scores = p->n_scores;
                    for (size_t b = 0; b < p->n_bids; b++) {
                        const Tendering__Bid *bd = p->bids[b];
                        if (bd->total_centi || bd->rank) e->totals = true;
                        if (bd->proposal[0] || bd->n_documents) e->proposals = true;
                        if (bd->state == TENDERING__BID_STATE__BID_WITHDRAWN) {
                            e->n_withdrawn++;
                            if (bd->org_id[0] || bd->org_name[0] || bd->price_fen) e->withdrawn_named = true;
                        }
                    }
                    if (p->award) snprintf(e->award_reason, sizeof e->award_reason, "%s", p->award->reason);
                }
                tendering__tender_event__free_unpacked(te, NULL);
            } else if (!strncmp(ev->topic, "funds.", 6)) {
                Tendering__FundsEvent *fe = tendering__funds_event__unpack(NULL, ev->payload.len, ev->payload.data);
                if (!fe) fail_msg("event %llu (%s): not a FundsEvent", (unsigned long long)ev->seq, ev->topic);
                if (fe->donation) {
                    snprintf(e->donor, sizeof e->donor, "%s", fe->donation->donor_name);
                    e->anonymous = fe->donation->anonymous;
                }
                if (fe->disbursement) snprintf(e->recipient, sizeof e->recipient, "%s", fe->disbursement->recipient);
                tendering__funds_event__free_unpacked(fe, NULL);
            }
            hub__event__free_unpacked(ev, NULL);
        }
    }
    *out = evs;
    return n;
}

/* The topics of ocid's events, space-separated, suffixes after
 * "tendering." ("tender.published bid.received ..."). */
static void s_topics_of(const ev_t *evs, size_t n, const char *ocid, char *out, size_t len)
{
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(evs[i].ocid, ocid)) continue;
        size_t l = strlen(out);
        snprintf(out + l, len - l, "%s%s", l ? " " : "", evs[i].topic + 10);
    }
}

/* Asserts want (space-separated topics) is a subsequence of have. */
static void s_in_order(const char *have, const char *want)
{
    const char *h = have;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", want);
    for (char *save = NULL, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        size_t wl = strlen(w);
        const char *hit = NULL;
        for (const char *s = h; (s = strstr(s, w)); s += wl)
            if ((s == have || s[-1] == ' ') && (s[wl] == ' ' || !s[wl])) { hit = s; break; }
        if (!hit) fail_msg("event \"%s\" missing or out of order; the process's events: %s", w, have);
        h = hit + wl;
    }
}

/* ------------------------------------------------------------------ export */

/* Writes ocid's export (what: "package" or "record") to a file in dir and
 * runs the OCDS validator on it as kind; asserts exit 0. Returns the JSON
 * (held by c until the test ends). */
static json_t *s_export_valid(ctx_t *c, const char *ocid, const char *what, const char *kind)
{
    Tendering__ExportRequest q = TENDERING__EXPORT_REQUEST__INIT;
    q.ocid = (char *)ocid;
    q.what = (char *)what;
    hub_arena_reset(c->scratch);
    Tendering__ExportReply *r = s_ok(c->td, "tendering.export", &q.base, &tendering__export_reply__descriptor, c->scratch);
    char path[400], out[420], cmd[1200];
    snprintf(path, sizeof path, "%s/export-%s.json", c->t->in.dir, what);
    snprintf(out, sizeof out, "%s.out", path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(r->json, 1, strlen(r->json), f), strlen(r->json));
    assert_int_equal(fclose(f), 0);
    json_error_t je;
    json_t *j = json_loads(r->json, 0, &je);
    if (!j) fail_msg("export %s: not JSON: %s (line %d)", what, je.text, je.line);
    s_keep_json(c, j);
    snprintf(cmd, sizeof cmd, "%s %s --kind %s '%s' >'%s' 2>&1", PYTHON, OCDS_VALIDATE, kind, path, out);
    int rc = system(cmd);
    if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
        char msg[2048] = "";
        FILE *o = fopen(out, "r");
        if (o) {
            size_t k = fread(msg, 1, sizeof msg - 1, o);
            msg[k] = 0;
            fclose(o);
        }
        fail_msg("%s --kind %s %s: exit %d:\n%s", OCDS_VALIDATE, kind, path, WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, msg);
    }
    return j;
}

/* ------------------------------------------------------------------ flows */

/* Three approved organizations ORG-A, ORG-B, ORG-C known to tendering. */
static void s_three_orgs(ctx_t *c)
{
    s_org(c, "ORG-A", true);
    s_org(c, "ORG-B", true);
    s_org(c, "ORG-C", true);
}

/* A process (PURCHASE when n == 0, else VENTURE with the funders) taken to
 * EVALUATION with one bid from ORG-A at price (the best) and ORG-B at
 * price + 1000; the bids' ids go to bids. Orgs must be known. */
static void s_to_evaluation(ctx_t *c, size_t n, const char *const *fids, const int64_t *shares, int64_t budget,
                            int64_t price, char ocid[64], char bids[2][32])
{
    Tendering__Process *d = s_draft(c->a, n ? TENDERING__KIND__VENTURE : TENDERING__KIND__PURCHASE, budget, n, fids, shares);
    s_create(c, d, ocid);
    int64_t end = hub_now_ms() + PERIOD_MS;
    s_publish(c, ocid, end);
    s_bid(c, ocid, "ORG-A", price, bids[0]);
    s_bid(c, ocid, "ORG-B", price + 1000, bids[1]);
    Tendering__Process *p = s_wait_state(c, ocid, TENDERING__STATE__EVALUATION);
    assert_int_equal(p->bid_count, 2);
}

/* ... then a panel of one (EV-1) scores A best; award to A; activate;
 * sign at value; the milestones' ids go to ms. */
static Tendering__Process *s_to_contract(ctx_t *c, size_t n, const char *const *fids, const int64_t *shares,
                                         int64_t budget, int64_t price, int64_t value, char ocid[64], char ms[2][32])
{
    char bids[2][32];
    s_to_evaluation(c, n, fids, shares, budget, price, ocid, bids);
    s_add_evaluator(c, ocid, "EV-1", "陈评审", NULL);
    s_declare(c, ocid, "EV-1");
    s_score(c, ocid, "EV-1", bids[0], 90, 90, 90);
    s_score(c, ocid, "EV-1", bids[1], 60, 60, 60);
    Tendering__Process *p = s_award_activate(c, ocid, NULL);
    assert_string_equal(p->award->bid_id, bids[0]);
    assert_string_equal(p->award->org_id, "ORG-A");
    assert_int_equal(p->award->value_fen, price);
    return s_sign(c, ocid, value, ms);
}

/* ================================================================== tests */

/* ---- 1. a full tender from publication to closure ---- */
static void test_full_tender_to_closure(void **state)
{
    ctx_t *c = s_open(state);
    s_three_orgs(c);
    const int64_t budget = 30000000; /* 30 万元 */
    char ocid[64];
    Tendering__Process *d = s_draft(c->a, TENDERING__KIND__PURCHASE, budget, 0, NULL, NULL);
    Tendering__Process *p = s_create(c, d, ocid);
    assert_int_equal(p->kind, TENDERING__KIND__PURCHASE);
    assert_int_equal(p->budget_fen, budget);
    assert_string_equal(p->buyer_id, BUYER);
    assert_int_equal(p->n_criteria, 3);

    /* the draft is edited while planning */
    Tendering__Process *d2 = s_draft(c->a, TENDERING__KIND__PURCHASE, budget, 0, NULL, NULL);
    d2->ocid = ocid;
    d2->description = "为鼓楼街道 12 名独居老人提供每日助餐和每周两次上门探访";
    Tendering__UpdateRequest uq = TENDERING__UPDATE_REQUEST__INIT;
    uq.process = d2;
    p = s_proc(c->td, c->a, "tendering.tender.update", &uq.base);
    assert_int_equal(p->state, TENDERING__STATE__PLANNING);
    assert_string_equal(p->description, d2->description);

    /* published: the period runs to end */
    int64_t end = hub_now_ms() + PERIOD_MS;
    p = s_publish(c, ocid, end);

    /* an enquiry, answered in public */
    Tendering__EnquiryRequest eq = TENDERING__ENQUIRY_REQUEST__INIT;
    eq.ocid = ocid;
    eq.text = "是否接受联合体投标？";
    p = s_proc(c->td, c->a, "tendering.enquiry.ask", &eq.base);
    assert_int_equal(p->n_enquiries, 1);
    char enq[32];
    snprintf(enq, sizeof enq, "%s", p->enquiries[0]->id);
    assert_true(enq[0]);
    eq.enquiry_id = enq;
    eq.text = "不接受联合体投标。";
    p = s_proc(c->td, c->a, "tendering.enquiry.answer", &eq.base);
    assert_string_equal(p->enquiries[0]->answer, "不接受联合体投标。");
    assert_true(p->enquiries[0]->answered_ms > 0);

    /* an amendment extends the period and adds a document */
    Tendering__AmendRequest am = TENDERING__AMEND_REQUEST__INIT;
    Tendering__Document *docs[1] = {s_doc(c->a, "DOC-2", "补充说明", "clarifications")};
    am.ocid = ocid;
    am.rationale = "增加上门探访要求的说明";
    am.new_end_ms = end + 1000;
    am.documents = docs;
    am.n_documents = 1;
    p = s_proc(c->td, c->a, "tendering.tender.amend", &am.base);
    assert_int_equal(p->tender_end_ms, end + 1000);
    assert_int_equal(p->n_amendments, 1);
    assert_int_equal(p->amendments[0]->old_end_ms, end);
    assert_int_equal(p->amendments[0]->new_end_ms, end + 1000);
    end += 1000;

    /* three bids; B withdraws and bids again */
    char bid_a[32], bid_b[32], bid_b2[32], bid_c[32];
    s_bid(c, ocid, "ORG-A", 28000000, bid_a);
    s_bid(c, ocid, "ORG-B", 26000000, bid_b);
    s_bid(c, ocid, "ORG-C", 29500000, bid_c);
    Tendering__BidRequest wq = TENDERING__BID_REQUEST__INIT;
    wq.ocid = ocid;
    wq.bid_id = bid_b;
    Tendering__BidReply *wr = s_ok(c->td, "tendering.bid.withdraw", &wq.base, &tendering__bid_reply__descriptor, c->a);
    assert_int_equal(wr->bid->state, TENDERING__BID_STATE__BID_WITHDRAWN);
    s_bid(c, ocid, "ORG-B", 27000000, bid_b2);
    assert_string_not_equal(bid_b, bid_b2);

    /* the period ends by itself */
    p = s_wait_state(c, ocid, TENDERING__STATE__EVALUATION);
    assert_true(hub_now_ms() >= end);
    assert_int_equal(p->bid_count, 3);
    assert_int_equal(p->n_bids, 4);

    /* a panel of two: both declare, both score every valid bid */
    s_add_evaluator(c, ocid, "EV-1", "陈评审", "ORG-X");
    s_add_evaluator(c, ocid, "EV-2", "林评审", NULL);
    s_declare(c, ocid, "EV-1");
    s_declare(c, ocid, "EV-2");
    s_score(c, ocid, "EV-1", bid_a, 90, 80, 70);  /* 83.00 */
    s_score(c, ocid, "EV-2", bid_a, 80, 80, 80);  /* 80.00 -> 81.50 */
    s_score(c, ocid, "EV-1", bid_b2, 70, 70, 70); /* 70.00 */
    s_score(c, ocid, "EV-2", bid_b2, 60, 90, 50); /* 67.00 -> 68.50 */
    s_score(c, ocid, "EV-1", bid_c, 50, 50, 50);  /* 50.00 */
    Tendering__EvaluationReply *er = s_evaluation(c, ocid);
    assert_false(er->complete); /* EV-2 has not scored C */
    s_score(c, ocid, "EV-2", bid_c, 51, 50, 50);  /* 50.50 -> 50.25 */
    er = s_evaluation(c, ocid);
    assert_true(er->complete);
    assert_int_equal(er->evaluators_declared, 2);
    assert_int_equal(er->n_ranking, 3);
    static const struct { const char *org; uint32_t centi; } want[3] = {{"ORG-A", 8150}, {"ORG-B", 6850}, {"ORG-C", 5025}};
    for (int i = 0; i < 3; i++) {
        const Tendering__Ranked *r = er->ranking[i];
        if (strcmp(r->org_id, want[i].org) || r->total_centi != want[i].centi || r->rank != (uint32_t)i + 1 ||
            r->evaluators_scored != 2)
            fail_msg("ranking[%d]: %s %u rank %u by %u; expected %s %u rank %d by 2", i, r->org_id, r->total_centi,
                     r->rank, r->evaluators_scored, want[i].org, want[i].centi, i + 1);
    }
    /* the bids are open now */
    Tendering__BidRequest gq = TENDERING__BID_REQUEST__INIT;
    gq.ocid = ocid;
    gq.bid_id = bid_a;
    Tendering__BidReply *br = s_ok(c->td, "tendering.bid.get", &gq.base, &tendering__bid_reply__descriptor, c->a);
    assert_string_equal(br->bid->org_id, "ORG-A");
    assert_int_equal(br->bid->price_fen, 28000000);
    assert_int_equal(br->bid->rank, 1);

    /* award to the first ranked, activate, sign below the award value */
    p = s_award_activate(c, ocid, NULL);
    assert_string_equal(p->award->bid_id, bid_a);
    assert_string_equal(p->award->org_id, "ORG-A");
    assert_int_equal(p->award->value_fen, 28000000);
    const int64_t value = 27500000;
    char ms[2][32];
    p = s_sign(c, ocid, value, ms);
    assert_int_equal(p->contract->value_fen, value);
    assert_int_equal(p->n_funders, 1); /* a purchase: the buyer funds it all */
    assert_string_equal(p->funders[0]->id, BUYER);
    assert_int_equal(p->funders[0]->draw_fen, value);

    /* money in, milestones met, paid in two parts */
    s_contribute(c, BUYER, value);
    p = s_milestone(c, ocid, ms[0], TENDERING__MILESTONE_STATUS__MET);
    assert_int_equal(p->contract->milestones[0]->status, TENDERING__MILESTONE_STATUS__MET);
    assert_true(p->contract->milestones[0]->date_met_ms > 0);
    p = s_pay(c, ocid, 11000000, ms[0], "中期款");
    assert_int_equal(p->contract->paid_fen, 11000000);
    assert_int_equal(p->contract->n_payments, 1);
    assert_int_equal(p->contract->payments[0]->amount_fen, 11000000);
    assert_true(p->contract->payments[0]->entry_id[0]);
    p = s_milestone(c, ocid, ms[1], TENDERING__MILESTONE_STATUS__MET);
    p = s_pay(c, ocid, value - 11000000, ms[1], "尾款");
    assert_int_equal(p->contract->paid_fen, value);
    assert_int_equal(p->funders[0]->paid_fen, value);

    /* closure with the post-evaluation */
    Tendering__Closure cl = TENDERING__CLOSURE__INIT;
    cl.reason = "项目完成";
    cl.post_score = 92;
    cl.post_evaluation = "服务对象满意度 96%";
    Tendering__TerminateRequest tq = TENDERING__TERMINATE_REQUEST__INIT;
    tq.ocid = ocid;
    tq.closure = &cl;
    p = s_proc(c->td, c->a, "tendering.contract.terminate", &tq.base);
    assert_int_equal(p->state, TENDERING__STATE__CLOSED);
    assert_int_equal(p->contract->status, TENDERING__CONTRACT_STATUS__CONTRACT_TERMINATED);
    assert_non_null(p->closure);
    assert_int_equal(p->closure->post_score, 92);
    p = s_get(c->td, c->a, ocid);
    assert_int_equal(p->state, TENDERING__STATE__CLOSED);
    uint32_t releases = p->releases;
    Tendering__PaymentRequest late = s_pay_req(ocid, 100, ms[1], "结项后");
    s_refused(c->td, "tendering.payment.make", &late.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, "state", "closed");
    assert_true(releases >= 8);

    /* the ledger: the buyer's money went to the contract */
    Tendering__BalanceReply *b = s_reconciled(c->td, c->a);
    char paid[96];
    snprintf(paid, sizeof paid, "paid:%s", ocid);
    assert_int_equal(s_bal(b, "fund:" BUYER), 0);
    assert_int_equal(s_bal(b, "contrib:" BUYER), value);
    assert_int_equal(s_bal(b, paid), value);
    assert_int_equal(s_ledger_consistent(c->td, c->a, b), 3);

    /* the outbox, in order */
    ev_t *evs;
    size_t n = s_events(c, NULL, &evs);
    char topics[2048];
    s_topics_of(evs, n, ocid, topics, sizeof topics);
    s_in_order(topics, "tender.planned tender.updated tender.published enquiry.asked enquiry.answered tender.amended "
                       "bid.received bid.received bid.received bid.withdrawn bid.received "
                       "award.pending award.active contract.signed milestone.met payment.made milestone.met "
                       "payment.made");
    const char *last = strrchr(topics, ' ');
    last = last ? last + 1 : topics;
    if (strcmp(last, "tender.terminated") && strcmp(last, "tender.closed"))
        fail_msg("the last event of %s is %s: %s", ocid, last, topics);
    size_t contributions = 0;
    for (size_t i = 0; i < n; i++) {
        if (!evs[i].sealed_ok) fail_msg("event %llu (%s) shows sealed content", (unsigned long long)evs[i].seq, evs[i].topic);
        if (!strcmp(evs[i].topic, "funds.contribution.received")) contributions++;
        if (i) assert_true(evs[i].time_ms >= evs[i - 1].time_ms);
    }
    assert_int_equal(contributions, 1);

    /* OCDS: the release package and the record package validate */
    json_t *pkg = s_export_valid(c, ocid, "package", "release-package");
    json_t *rels = json_object_get(pkg, "releases");
    assert_true(json_is_array(rels));
    assert_int_equal(json_array_size(rels), releases);
    for (size_t i = 0; i < json_array_size(rels); i++) {
        json_t *r = json_array_get(rels, i);
        assert_string_equal(json_string_value(json_object_get(r, "ocid")), ocid);
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(json_string_value(json_object_get(r, "id")),
                                    json_string_value(json_object_get(json_array_get(rels, k), "id")));
    }
    char *txt = json_dumps(pkg, JSON_COMPACT);
    bool leak = strstr(txt, "ORG-X") != NULL;
    free(txt);
    assert_false(leak); /* an evaluator's affiliation never appears */
    json_t *rec = s_export_valid(c, ocid, "record", "record-package");
    json_t *r0 = json_array_get(json_object_get(rec, "records"), 0);
    assert_non_null(r0);
    assert_string_equal(json_string_value(json_object_get(r0, "ocid")), ocid);
    json_t *cr = json_object_get(r0, "compiledRelease");
    assert_non_null(cr);
    json_t *ctr = json_array_get(json_object_get(cr, "contracts"), 0);
    assert_non_null(ctr);
    assert_int_equal(json_array_size(json_object_get(json_object_get(ctr, "implementation"), "transactions")), 2);
    s_close(c);
}

/* ---- 2. a bid read before the deadline is refused ---- */
static void test_sealed_bids(void **state)
{
    ctx_t *c = s_open(state);
    s_three_orgs(c);
    s_org(c, "ORG-P", false); /* applied, not approved */
    char ocid[64], bid_a[32], bid_b[32], bid_b2[32];
    s_create(c, s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL), ocid);
    int64_t end = hub_now_ms() + PERIOD_MS;
    s_publish(c, ocid, end);
    s_bid(c, ocid, "ORG-A", 4000000, bid_a);
    s_bid(c, ocid, "ORG-B", 4500000, bid_b);

    /* reading a bid while the period runs: refused, sealed */
    Tendering__BidRequest gq = TENDERING__BID_REQUEST__INIT;
    gq.ocid = ocid;
    gq.bid_id = bid_a;
    s_refused(c->td, "tendering.bid.get", &gq.base, &tendering__bid_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, NULL, "sealed");
    /* the process shows the bids blank, and how many are valid */
    Tendering__Process *p = s_get(c->td, c->a, ocid);
    assert_int_equal(p->state, TENDERING__STATE__ACTIVE);
    assert_int_equal(p->bid_count, 2);
    assert_int_equal(p->n_bids, 2);
    for (size_t i = 0; i < p->n_bids; i++) {
        const Tendering__Bid *b = p->bids[i];
        if (b->org_id[0] || b->price_fen || b->org_name[0] || b->proposal[0] || b->n_documents)
            fail_msg("bid %s shown while sealed: org \"%s\" price %lld", b->id, b->org_id, (long long)b->price_fen);
    }
    /* nor in the list */
    Tendering__ListRequest lq = TENDERING__LIST_REQUEST__INIT;
    lq.state = TENDERING__STATE__ACTIVE;
    Tendering__ListReply *lr = s_ok(c->td, "tendering.tender.list", &lq.base, &tendering__list_reply__descriptor, c->a);
    assert_int_equal(lr->n_processes, 1);
    assert_string_equal(lr->processes[0]->ocid, ocid);
    for (size_t i = 0; i < lr->processes[0]->n_bids; i++) assert_string_equal(lr->processes[0]->bids[i]->org_id, "");

    /* one valid bid per organization; withdrawing frees the place */
    Tendering__SubmitBidRequest sq = s_bid_req(ocid, "ORG-A", 3900000);
    s_refused(c->td, "tendering.bid.submit", &sq.base, &tendering__bid_reply__descriptor, HUB__ERROR_CODE__ALREADY_EXISTS,
              NULL, NULL);
    Tendering__BidRequest wq = TENDERING__BID_REQUEST__INIT;
    wq.ocid = ocid;
    wq.bid_id = bid_b;
    s_ok(c->td, "tendering.bid.withdraw", &wq.base, &tendering__bid_reply__descriptor, c->a);
    s_refused(c->td, "tendering.bid.withdraw", &wq.base, &tendering__bid_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, NULL, NULL); /* already withdrawn */
    p = s_get(c->td, c->a, ocid);
    assert_int_equal(p->bid_count, 1);
    s_bid(c, ocid, "ORG-B", 4400000, bid_b2);
    p = s_get(c->td, c->a, ocid);
    assert_int_equal(p->bid_count, 2);

    /* the rest on a tender open for an hour (no race with its end) */
    char open[64], open_a[32];
    s_create(c, s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL), open);
    s_publish(c, open, hub_now_ms() + 3600 * 1000);
    s_bid(c, open, "ORG-A", 4000000, open_a);
    /* only members of the library may bid */
    sq = s_bid_req(open, "ORG-P", 3000000);
    s_refused(c->td, "tendering.bid.submit", &sq.base, &tendering__bid_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, "org_id", NULL);
    /* a member suspended in matching: tendering learns it and refuses its bid */
    Matching__MembershipRequest mq = MATCHING__MEMBERSHIP_REQUEST__INIT;
    mq.id = "ORG-C";
    mq.membership = MATCHING__MEMBERSHIP__SUSPENDED;
    mq.reason = "年检未通过";
    s_ok(c->mt, "matching.org.membership", &mq.base, &matching__organization_reply__descriptor, c->a);
    s_org_wait(c, "ORG-C", MATCHING__MEMBERSHIP__SUSPENDED);
    sq = s_bid_req(open, "ORG-C", 3000000);
    s_refused(c->td, "tendering.bid.submit", &sq.base, &tendering__bid_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, "org_id", NULL);
    /* a public change while bids are sealed: its OCDS release names no bidder */
    Tendering__AmendRequest am = TENDERING__AMEND_REQUEST__INIT;
    Tendering__Document *docs[1] = {s_doc(c->a, "DOC-2", "补充说明", "clarifications")};
    am.ocid = open;
    am.rationale = "补充服务标准";
    am.documents = docs;
    am.n_documents = 1;
    s_proc(c->td, c->a, "tendering.tender.amend", &am.base);
    json_t *pkg = s_export_valid(c, open, "package", "release-package");
    char *txt = json_dumps(pkg, JSON_COMPACT);
    static const char *const sealed_words[] = {"ORG-A", "海曙ORG-A互助社", "40000", NULL};
    const char *leaked = NULL;
    for (int i = 0; sealed_words[i] && !leaked; i++)
        if (strstr(txt, sealed_words[i])) leaked = sealed_words[i];
    free(txt);
    if (leaked) fail_msg("the release package of an active tender carries \"%s\"", leaked);
    Tendering__BidRequest oq = TENDERING__BID_REQUEST__INIT;
    oq.ocid = open;
    oq.bid_id = open_a;
    s_refused(c->td, "tendering.bid.get", &oq.base, &tendering__bid_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, "state", "sealed");

    /* the sealed events say nothing either */
    ev_t *evs;
    size_t n = s_events(c, NULL, &evs);
    size_t received = 0;
    for (size_t i = 0; i < n; i++) {
        if (!evs[i].sealed_ok) fail_msg("event %llu (%s) shows sealed content", (unsigned long long)evs[i].seq, evs[i].topic);
        if (!strcmp(evs[i].topic, "tendering.bid.received")) received++;
    }
    assert_int_equal(received, 4);

    /* once the period is over the bids open */
    p = s_wait_state(c, ocid, TENDERING__STATE__EVALUATION);
    assert_true(hub_now_ms() >= end);
    assert_int_equal(p->bid_count, 2);
    bool seen_a = false;
    for (size_t i = 0; i < p->n_bids; i++)
        if (!strcmp(p->bids[i]->id, bid_a)) {
            seen_a = true;
            assert_string_equal(p->bids[i]->org_id, "ORG-A");
            assert_int_equal(p->bids[i]->price_fen, 4000000);
        }
    assert_true(seen_a);
    Tendering__BidReply *br = s_ok(c->td, "tendering.bid.get", &gq.base, &tendering__bid_reply__descriptor, c->a);
    assert_string_equal(br->bid->org_id, "ORG-A");
    assert_int_equal(br->bid->price_fen, 4000000);
    gq.bid_id = bid_b;
    br = s_ok(c->td, "tendering.bid.get", &gq.base, &tendering__bid_reply__descriptor, c->a);
    assert_int_equal(br->bid->state, TENDERING__BID_STATE__BID_WITHDRAWN);
    gq.bid_id = "BID-9999";
    s_refused(c->td, "tendering.bid.get", &gq.base, &tendering__bid_reply__descriptor, HUB__ERROR_CODE__NOT_FOUND, NULL,
              NULL);
    s_close(c);
}

/* ---- 3. a late bid is refused (before the timer fires: slow timer) ---- */
typedef struct { int64_t at; } clock_wait_t;
static bool s_clock_passed(void *p) { return hub_now_ms() >= ((clock_wait_t *)p)->at; }

static void test_late_bid_refused(void **state)
{
    ctx_t *c = s_open(state);
    s_three_orgs(c);
    char ocid[64], bid[32];
    s_create(c, s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL), ocid);
    /* publishing with an end in the past is refused */
    Tendering__PublishRequest pq = TENDERING__PUBLISH_REQUEST__INIT;
    pq.ocid = ocid;
    pq.tender_end_ms = hub_now_ms() - 1000;
    s_refused(c->td, "tendering.tender.publish", &pq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "tender_end_ms", NULL);
    int64_t end = hub_now_ms() + 1500;
    s_publish(c, ocid, end);
    s_bid(c, ocid, "ORG-A", 4000000, bid); /* in time */
    clock_wait_t cw = {end + 1};
    assert_true(harness_wait(s_clock_passed, &cw, WAIT_MS));
    /* the timer checks only once a minute here: the command itself must
     * see the period is over */
    Tendering__SubmitBidRequest sq = s_bid_req(ocid, "ORG-B", 3900000);
    s_refused(c->td, "tendering.bid.submit", &sq.base, &tendering__bid_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, NULL, NULL);
    /* withdrawing after the end is refused too, and nothing changed */
    Tendering__BidRequest wq = TENDERING__BID_REQUEST__INIT;
    wq.ocid = ocid;
    wq.bid_id = bid;
    s_refused(c->td, "tendering.bid.withdraw", &wq.base, &tendering__bid_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, NULL, NULL);
    Tendering__Process *p = s_get(c->td, c->a, ocid);
    assert_int_equal(p->bid_count, 1);
    assert_int_equal(p->n_bids, 1);
    /* the first tick is a minute after the start: the refusals came from
     * the commands' own check of the end, not from a closed period */
    if (p->state != TENDERING__STATE__ACTIVE)
        fail_msg("%s is %s: the timer fired, so the refusal was not tested before it", ocid, s_state_name(p->state));
    s_close(c);
}

/* ... and once the timer closed the period, the refusal names the state */
static void test_bid_after_close_names_state(void **state)
{
    ctx_t *c = s_open(state);
    s_three_orgs(c);
    char ocid[64], bids[2][32];
    s_to_evaluation(c, 0, NULL, NULL, 5000000, 4000000, ocid, bids);
    Tendering__SubmitBidRequest sq = s_bid_req(ocid, "ORG-C", 3900000);
    s_refused(c->td, "tendering.bid.submit", &sq.base, &tendering__bid_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, NULL, "evaluation");
    s_close(c);
}

/* ---- 4. the deadline fires after a restart ---- */
static void test_deadline_after_restart(void **state)
{
    ctx_t *c = s_open(state);
    s_three_orgs(c);
    char with_bid[64], no_bid[64], later[64], bid[32];
    s_create(c, s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL), with_bid);
    s_create(c, s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL), no_bid);
    s_create(c, s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL), later);
    int64_t end = hub_now_ms() + 2000; /* stopped well before it, even under load */
    s_publish(c, with_bid, end);
    s_publish(c, no_bid, end);
    s_publish(c, later, end + 3600 * 1000);
    s_bid(c, with_bid, "ORG-A", 4000000, bid);
    s_bid(c, later, "ORG-A", 4000000, bid);
    /* stopped before the end ... */
    hub_client_destroy(&c->td);
    assert_true(hub_now_ms() < end);
    assert_int_equal(harness_stop(&c->t->td, SIGTERM), 0);
    /* ... started again after it */
    clock_wait_t cw = {end + 200};
    assert_true(harness_wait(s_clock_passed, &cw, WAIT_MS));
    assert_int_equal(harness_start(&c->t->td), 0);
    c->td = hub_client_new(s_zctx, c->t->td.api, NULL, 5000);
    /* no command: the stored deadline fires by itself */
    Tendering__Process *p = s_wait_state(c, with_bid, TENDERING__STATE__EVALUATION);
    assert_int_equal(p->bid_count, 1);
    assert_string_equal(p->bids[0]->org_id, "ORG-A"); /* opened */
    s_wait_state(c, no_bid, TENDERING__STATE__UNSUCCESSFUL);
    p = s_get(c->td, c->a, later); /* not its time */
    assert_int_equal(p->state, TENDERING__STATE__ACTIVE);
    /* the period's end is in the outbox, committed after the end */
    ev_t *evs;
    size_t n = s_events(c, NULL, &evs);
    bool closed = false, unsuccessful = false;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(evs[i].ocid, with_bid) && evs[i].state == TENDERING__STATE__EVALUATION) {
            closed = true;
            assert_true(evs[i].time_ms >= end);
        }
        if (!strcmp(evs[i].ocid, no_bid) && evs[i].state == TENDERING__STATE__UNSUCCESSFUL) unsuccessful = true;
        if (!strcmp(evs[i].ocid, later)) assert_int_not_equal(evs[i].state, TENDERING__STATE__EVALUATION);
    }
    assert_true(closed);
    assert_true(unsuccessful);
    /* the unsuccessful tender's OCDS exports validate too */
    s_export_valid(c, no_bid, "package", "release-package");
    s_export_valid(c, no_bid, "record", "record-package");
    s_close(c);
}

/* ---- 5. an evaluator with a conflict of interest is refused ---- */
static void test_evaluator_conflict_refused(void **state)
{
    ctx_t *c = s_open(state);
    s_three_orgs(c);
    char ocid[64], bids[2][32];
    s_to_evaluation(c, 0, NULL, NULL, 5000000, 4000000, ocid, bids); /* bidders ORG-A and ORG-B */
    s_add_evaluator(c, ocid, "EV-CONFLICT", "王评审", "ORG-B");   /* linked to a bidder */
    s_add_evaluator(c, ocid, "EV-OK", "李评审", "ORG-C");         /* linked to a non-bidder */
    s_add_evaluator(c, ocid, "ORG-A", "ORG-A 的理事", NULL);        /* the bidder itself */
    Tendering__DeclareRequest dq = s_declare_req(ocid, "EV-CONFLICT");
    s_refused(c->td, "tendering.evaluator.declare", &dq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__PERMISSION_DENIED, "evaluator_id", "ORG-B");
    dq = s_declare_req(ocid, "ORG-A");
    s_refused(c->td, "tendering.evaluator.declare", &dq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__PERMISSION_DENIED, "evaluator_id", NULL);
    /* a declaration must say "no conflict" */
    dq = s_declare_req(ocid, "EV-OK");
    dq.no_conflict = 0;
    s_refused(c->td, "tendering.evaluator.declare", &dq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "no_conflict", NULL);
    s_declare(c, ocid, "EV-OK");
    /* the refused evaluator has not declared and cannot score */
    Tendering__Process *p = s_get(c->td, c->a, ocid);
    for (size_t i = 0; i < p->n_evaluators; i++)
        if (strcmp(p->evaluators[i]->id, "EV-OK")) assert_false(p->evaluators[i]->declared);
    uint32_t pts[3] = {90, 90, 90};
    Tendering__Score s = TENDERING__SCORE__INIT;
    s.evaluator_id = "EV-CONFLICT";
    s.bid_id = bids[1];
    s.points = pts;
    s.n_points = 3;
    Tendering__ScoreRequest sq = TENDERING__SCORE_REQUEST__INIT;
    sq.ocid = ocid;
    sq.score = &s;
    s_refused(c->td, "tendering.score", &sq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, NULL, NULL);
    /* the declared evaluator scores every bid, but the conflicted ones are
     * still on the panel undeclared: the evaluation is not complete */
    s_score(c, ocid, "EV-OK", bids[0], 70, 70, 70);
    s_score(c, ocid, "EV-OK", bids[1], 80, 80, 80);
    Tendering__EvaluationReply *er = s_evaluation(c, ocid);
    assert_int_equal(er->evaluators_declared, 1);
    assert_false(er->complete);
    if (er->n_waiting_for != 2 || strcmp(er->waiting_for[0], "EV-CONFLICT") || strcmp(er->waiting_for[1], "ORG-A"))
        fail_msg("the evaluation waits for %zu evaluators (first \"%s\"), expected EV-CONFLICT and ORG-A",
                 er->n_waiting_for, er->n_waiting_for ? er->waiting_for[0] : "");
    Tendering__AwardRequest aw = TENDERING__AWARD_REQUEST__INIT;
    aw.ocid = ocid;
    aw.bid_id = "";
    s_refused(c->td, "tendering.award", &aw.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, NULL, "evaluation is not complete");
    /* a recusal needs a reason */
    Tendering__DeclareRequest rq = s_recuse_req(ocid, "EV-CONFLICT", "");
    s_refused(c->td, "tendering.evaluator.recuse", &rq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "reason", NULL);
    /* the conflicted evaluators stand down with a reason */
    s_recuse(c, ocid, "EV-CONFLICT", "与投标人 ORG-B 存在关联");
    er = s_evaluation(c, ocid);
    assert_false(er->complete); /* ORG-A's own evaluator is still on the panel */
    p = s_recuse(c, ocid, "ORG-A", "本人为投标人");
    assert_string_equal(s_evaluator_of(p, "EV-CONFLICT")->recusal_reason, "与投标人 ORG-B 存在关联");
    assert_false(s_evaluator_of(p, "EV-OK")->recused);
    /* ... then the evaluation counts only the declared evaluator, and is complete */
    er = s_evaluation(c, ocid);
    assert_int_equal(er->evaluators_declared, 1);
    assert_int_equal(er->evaluators_recused, 2);
    assert_int_equal(er->n_waiting_for, 0);
    assert_true(er->complete);
    assert_int_equal(er->n_ranking, 2);
    assert_string_equal(er->ranking[0]->bid_id, bids[1]);
    assert_int_equal(er->ranking[0]->total_centi, 8000);
    assert_int_equal(er->ranking[0]->evaluators_scored, 1);
    /* the recused evaluator cannot score either */
    s_refused(c->td, "tendering.score", &sq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, NULL, NULL);
    /* no public event carries an affiliation */
    ev_t *evs;
    size_t n = s_events(c, NULL, &evs);
    size_t declared = 0;
    for (size_t i = 0; i < n; i++) {
        if (!evs[i].sealed_ok) fail_msg("event %llu (%s) shows an affiliation", (unsigned long long)evs[i].seq, evs[i].topic);
        if (!strcmp(evs[i].topic, "tendering.evaluator.declared")) declared++;
    }
    assert_int_equal(declared, 1);
    size_t recused = 0;
    for (size_t i = 0; i < n; i++) recused += !strcmp(evs[i].topic, "tendering.evaluator.recused");
    assert_int_equal(recused, 2);
    s_close(c);
}

/* ---- 6. payments over the contract value (or the funds received) are refused ---- */
static void test_payment_over_value_refused(void **state)
{
    ctx_t *c = s_open(state);
    s_three_orgs(c);
    char ocid[64], ms[2][32];
    const int64_t value = 1000000;
    s_to_contract(c, 0, NULL, NULL, 2000000, 1200000, value, ocid, ms);
    /* a second signature is refused with the state */
    Tendering__SignRequest *sr = s_sign_req(c->a, ocid, value);
    s_refused(c->td, "tendering.contract.sign", &sr->base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, "state", "contracted");
    s_milestone(c, ocid, ms[0], TENDERING__MILESTONE_STATUS__MET);
    hub_arena_reset(c->a);
    Tendering__BalanceReply *b0 = s_reconciled(c->td, c->a);
    uint64_t entries0 = b0->entries;

    /* no money received yet */
    Tendering__PaymentRequest pq = s_pay_req(ocid, 100, ms[0], "预付款");
    s_refused(c->td, "tendering.payment.make", &pq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, NULL, NULL);
    s_contribute(c, BUYER, 500000);
    /* more than received */
    pq = s_pay_req(ocid, 600000, ms[0], "中期款");
    s_refused(c->td, "tendering.payment.make", &pq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, NULL, NULL);
    Tendering__Process *p = s_pay(c, ocid, 500000, ms[0], "中期款");
    assert_int_equal(p->contract->paid_fen, 500000);
    s_contribute(c, BUYER, 1000000); /* plenty now: only the contract bounds */
    pq = s_pay_req(ocid, 500001, ms[0], "尾款");
    s_refused(c->td, "tendering.payment.make", &pq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, NULL, NULL);
    p = s_pay(c, ocid, 500000, ms[0], "尾款");
    assert_int_equal(p->contract->paid_fen, value);
    pq = s_pay_req(ocid, 1, ms[0], "多付");
    s_refused(c->td, "tendering.payment.make", &pq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, NULL, NULL);
    pq = s_pay_req(ocid, 0, ms[0], "零");
    s_refused(c->td, "tendering.payment.make", &pq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "amount_fen", NULL);
    pq = s_pay_req(ocid, -5, ms[0], "负");
    s_refused(c->td, "tendering.payment.make", &pq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, NULL, NULL);

    /* refusals left no trace: two contributions, two payments */
    hub_arena_reset(c->a);
    p = s_get(c->td, c->a, ocid);
    assert_int_equal(p->contract->paid_fen, value);
    assert_int_equal(p->contract->n_payments, 2);
    assert_int_equal(p->funders[0]->paid_fen, value);
    Tendering__BalanceReply *b = s_reconciled(c->td, c->a);
    assert_int_equal(b->entries, entries0 + 4);
    char paid[96];
    snprintf(paid, sizeof paid, "paid:%s", ocid);
    assert_int_equal(s_bal(b, paid), value);
    assert_int_equal(s_bal(b, "fund:" BUYER), 1500000 - value);
    assert_int_equal(s_bal(b, "contrib:" BUYER), 1500000);
    s_ledger_consistent(c->td, c->a, b);
    s_close(c);
}

/* The sign request above the award value (and milestones outside the
 * contract period), in its own test so the failure is told apart from the
 * payment rules. */
static void test_sign_above_award_refused(void **state)
{
    ctx_t *c = s_open(state);
    s_three_orgs(c);
    char ocid[64], bids[2][32];
    s_to_evaluation(c, 0, NULL, NULL, 2000000, 1200000, ocid, bids);
    s_add_evaluator(c, ocid, "EV-1", "陈评审", NULL);
    s_declare(c, ocid, "EV-1");
    s_score(c, ocid, "EV-1", bids[0], 90, 90, 90);
    s_score(c, ocid, "EV-1", bids[1], 60, 60, 60);
    s_award_activate(c, ocid, NULL);
    Tendering__SignRequest *sr = s_sign_req(c->a, ocid, 1200001);
    s_refused(c->td, "tendering.contract.sign", &sr->base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "value_fen", NULL);
    assert_int_equal(s_get(c->td, c->a, ocid)->state, TENDERING__STATE__AWARDED);
    /* a milestone due outside the contract period: the refusal names it */
    sr = s_sign_req(c->a, ocid, 0);
    sr->milestones[1]->due_ms = sr->end_ms + 24LL * 3600 * 1000;
    s_refused(c->td, "tendering.contract.sign", &sr->base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "milestones[1].due_ms", NULL);
    sr = s_sign_req(c->a, ocid, 0);
    sr->milestones[0]->due_ms = sr->start_ms - 24LL * 3600 * 1000;
    s_refused(c->td, "tendering.contract.sign", &sr->base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "milestones[0].due_ms", NULL);
    sr = s_sign_req(c->a, ocid, 0);
    sr->milestones[1]->title = "";
    s_refused(c->td, "tendering.contract.sign", &sr->base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "milestones[1].title", NULL);
    assert_int_equal(s_get(c->td, c->a, ocid)->state, TENDERING__STATE__AWARDED);
    char ms[2][32];
    Tendering__Process *p = s_sign(c, ocid, 0, ms); /* 0: the award's value */
    assert_int_equal(p->contract->value_fen, 1200000);
    s_close(c);
}

/* ---- 7. killed -9 mid-stream: the ledger restarts consistent ---- */
#define KILL_DONATIONS 4000      /* pipelined donations (DEALER), at most */
#define KILL_WINDOW 32           /* donations in flight */
#define KILL_PAYMENTS 150        /* payments of 1 fen (a process holds at most 200) */
#define KILL_OTHER 4000          /* contributions, disbursements, at most */
#define KILL_FUNDER "F-KILL"

typedef struct {
    char entry[32];
    int64_t amount;
    bool acked;
} ack_t;

typedef struct {
    trio_t *t;
    const char *ocid;
    const char *ms;
    atomic_int killed;       /* set once tendering is dead */
    atomic_int acked;        /* acknowledged commands, all kinds */
    atomic_int payments;     /* acknowledged payments */
    atomic_int failed;
    char why[512];
    ack_t *don, *con, *dis, *pay;
    atomic_int n_don_sent, n_con_sent, n_dis_sent, n_pay_sent;
} kill_t;

static void s_kill_fail(kill_t *k, const char *what, const hub_error_t *err)
{
    if (atomic_exchange(&k->failed, 1)) return;
    snprintf(k->why, sizeof k->why, "%s: %s %s", what, hub_error_code_name(err->code), err->message);
}

/* Donations pipelined on a DEALER socket, KILL_WINDOW in flight; each
 * reply is matched by its memo ("don-<i>"). */
static void *s_kill_donations(void *arg)
{
    kill_t *k = arg;
    void *s = zmq_socket(s_zctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(s, k->t->td.api);
    int sent = 0, inflight = 0;
    int64_t quiet_since = hub_mono_ms();
    for (;;) {
        bool killed = atomic_load(&k->killed);
        while (!killed && inflight < KILL_WINDOW && sent < KILL_DONATIONS) {
            Tendering__DonateRequest q = TENDERING__DONATE_REQUEST__INIT;
            char memo[32], name[32];
            snprintf(memo, sizeof memo, "don-%d", sent);
            snprintf(name, sizeof name, "捐赠人%d", sent);
            q.anonymous = sent % 3 == 0;
            q.donor_name = q.anonymous ? "" : name;
            q.amount_fen = 100 + sent % 7;
            q.memo = memo;
            uint8_t buf[256];
            size_t len = tendering__donate_request__pack(&q, buf);
            k->don[sent].amount = q.amount_fen;
            static const char verb[] = "tendering.funds.donate";
            if (zmq_send(s, "", 0, ZMQ_SNDMORE) < 0 || zmq_send(s, verb, sizeof verb - 1, ZMQ_SNDMORE) < 0 ||
                zmq_send(s, buf, len, 0) < 0)
                break;
            sent++;
            inflight++;
            atomic_store(&k->n_don_sent, sent);
        }
        zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 200) <= 0) {
            if ((killed && hub_mono_ms() - quiet_since > 1000) || (sent == KILL_DONATIONS && !inflight)) break;
            if (!killed && hub_mono_ms() - quiet_since > 10000) {
                hub_error_t e = {HUB__ERROR_CODE__UNAVAILABLE, "", "no donation answered in 10 s"};
                s_kill_fail(k, "donate", &e);
                break;
            }
            continue;
        }
        quiet_since = hub_mono_ms();
        zmq_msg_t f[3];
        int nf = 0;
        int more = 1;
        while (more && nf < 3) {
            zmq_msg_init(&f[nf]);
            if (zmq_msg_recv(&f[nf], s, 0) < 0) { zmq_msg_close(&f[nf]); break; }
            more = zmq_msg_more(&f[nf]);
            nf++;
        }
        inflight--;
        if (nf == 3 && zmq_msg_size(&f[1]) == 2 && !memcmp(zmq_msg_data(&f[1]), "OK", 2)) {
            Tendering__DonateReply *r = tendering__donate_reply__unpack(NULL, zmq_msg_size(&f[2]), zmq_msg_data(&f[2]));
            int i = -1;
            if (r && r->donation && sscanf(r->donation->memo, "don-%d", &i) == 1 && i >= 0 && i < sent &&
                !k->don[i].acked && r->donation->amount_fen == k->don[i].amount) {
                snprintf(k->don[i].entry, sizeof k->don[i].entry, "%s", r->donation->entry_id);
                k->don[i].acked = true;
                atomic_fetch_add(&k->acked, 1);
            } else {
                hub_error_t e = {HUB__ERROR_CODE__INTERNAL, "", "a donation reply that matches no donation sent"};
                s_kill_fail(k, "donate", &e);
            }
            if (r) tendering__donate_reply__free_unpacked(r, NULL);
        } else {
            hub_error_t e = {0};
            if (nf == 3) hub_wire_error_decode(zmq_msg_data(&f[2]), zmq_msg_size(&f[2]), &e);
            s_kill_fail(k, "donate refused", &e);
        }
        for (int i = 0; i < nf; i++) zmq_msg_close(&f[i]);
        if (atomic_load(&k->failed)) break;
    }
    zmq_close(s);
    return NULL;
}

/* Contributions and disbursements alternately on a REQ client. */
static void *s_kill_funds(void *arg)
{
    kill_t *k = arg;
    hub_client_t *c = hub_client_new(s_zctx, k->t->td.api, NULL, 3000);
    hub_arena_t *a = hub_arena_new(1 << 20);
    for (int i = 0; i < KILL_OTHER && !atomic_load(&k->killed); i++) {
        hub_arena_reset(a);
        hub_error_t err = {0};
        char memo[32];
        int rc;
        if (i % 2 == 0) {
            int n = i / 2;
            Tendering__ContributeRequest q = TENDERING__CONTRIBUTE_REQUEST__INIT;
            snprintf(memo, sizeof memo, "con-%d", n);
            q.funder_id = KILL_FUNDER;
            q.funder_name = "海曙区慈善总会";
            q.amount_fen = 1000 + n % 5;
            q.memo = memo;
            k->con[n].amount = q.amount_fen;
            atomic_store(&k->n_con_sent, n + 1);
            Tendering__ContributeReply *r = NULL;
            rc = hub_client_call(c, "tendering.funds.contribute", &q.base, &tendering__contribute_reply__descriptor, a,
                                 (ProtobufCMessage **)&r, &err);
            if (rc == 0) {
                snprintf(k->con[n].entry, sizeof k->con[n].entry, "%s", r->contribution->entry_id);
                k->con[n].acked = true;
            }
        } else {
            int n = i / 2;
            Tendering__Disbursement d = TENDERING__DISBURSEMENT__INIT;
            snprintf(memo, sizeof memo, "dis-%d", n);
            d.recipient_name = "王小明";
            d.recipient_phone = "13800000000";
            d.recipient_address = "中山西路 1 号";
            d.street = STREET;
            d.purpose = memo;
            d.amount_fen = 10 + n % 3;
            Tendering__DisburseRequest q = TENDERING__DISBURSE_REQUEST__INIT;
            q.disbursement = &d;
            k->dis[n].amount = d.amount_fen;
            atomic_store(&k->n_dis_sent, n + 1);
            Tendering__DisburseReply *r = NULL;
            rc = hub_client_call(c, "tendering.funds.disburse", &q.base, &tendering__disburse_reply__descriptor, a,
                                 (ProtobufCMessage **)&r, &err);
            if (rc == 0) {
                snprintf(k->dis[n].entry, sizeof k->dis[n].entry, "%s", r->disbursement->entry_id);
                k->dis[n].acked = true;
            }
        }
        if (rc == 0) { atomic_fetch_add(&k->acked, 1); continue; }
        if (rc == 1 || !atomic_load(&k->killed)) s_kill_fail(k, i % 2 ? "disburse" : "contribute", &err);
        break;
    }
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
    return NULL;
}

/* Payments of 1 fen on a REQ client. */
static void *s_kill_payments(void *arg)
{
    kill_t *k = arg;
    hub_client_t *c = hub_client_new(s_zctx, k->t->td.api, NULL, 3000);
    hub_arena_t *a = hub_arena_new(8 << 20);
    for (int i = 0; i < KILL_PAYMENTS && !atomic_load(&k->killed); i++) {
        hub_arena_reset(a);
        char memo[32];
        snprintf(memo, sizeof memo, "pay-%d", i);
        Tendering__PaymentRequest q = s_pay_req(k->ocid, 1, k->ms, memo);
        k->pay[i].amount = 1;
        atomic_store(&k->n_pay_sent, i + 1);
        Tendering__ProcessReply *r = NULL;
        hub_error_t err = {0};
        int rc = hub_client_call(c, "tendering.payment.make", &q.base, &tendering__process_reply__descriptor, a,
                                 (ProtobufCMessage **)&r, &err);
        if (rc == 0) {
            const Tendering__Contract *ct = r->process ? r->process->contract : NULL;
            for (size_t j = 0; ct && j < ct->n_payments; j++)
                if (!strcmp(ct->payments[j]->memo, memo))
                    snprintf(k->pay[i].entry, sizeof k->pay[i].entry, "%s", ct->payments[j]->entry_id);
            if (!k->pay[i].entry[0]) {
                hub_error_t e = {HUB__ERROR_CODE__INTERNAL, "", "the reply has no payment with its memo"};
                s_kill_fail(k, memo, &e);
                break;
            }
            k->pay[i].acked = true;
            atomic_fetch_add(&k->acked, 1);
            atomic_fetch_add(&k->payments, 1);
            continue;
        }
        if (rc == 1 || !atomic_load(&k->killed)) s_kill_fail(k, "payment", &err);
        break;
    }
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
    return NULL;
}

static void s_kill_free(void *p)
{
    kill_t *k = p;
    free(k->don);
    free(k->con);
    free(k->dis);
    free(k->pay);
    free(k);
}

typedef struct {
    kill_t *k;
    int acked, payments;
} kill_wait_t;

static bool s_kill_ready(void *p)
{
    kill_wait_t *w = p;
    return atomic_load(&w->k->failed) ||
           (atomic_load(&w->k->acked) >= w->acked && atomic_load(&w->k->payments) >= w->payments);
}

/* Every acknowledged command of list (n sent) is in the journal exactly
 * once; returns the sum of their amounts and the count acknowledged. */
static int64_t s_acked_in(const ack_t *list, int n, Tendering__Entry **es, size_t ne, const char *what, int *n_acked)
{
    int64_t sum = 0;
    *n_acked = 0;
    for (int i = 0; i < n; i++) {
        if (!list[i].acked) continue;
        (*n_acked)++;
        sum += list[i].amount;
        size_t lo = 0, hi = ne; /* the journal is in id order */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            int cmp = strcmp(es[mid]->id, list[i].entry);
            if (!cmp) { lo = mid; break; }
            if (cmp < 0) lo = mid + 1; else hi = mid;
        }
        if (lo >= ne || strcmp(es[lo]->id, list[i].entry))
            fail_msg("%s %d was acknowledged (entry %s) but is not in the journal", what, i, list[i].entry);
    }
    return sum;
}

static void test_kill9_ledger_consistent(void **state)
{
    ctx_t *c = s_open(state);
    s_three_orgs(c);
    char ocid[64], ms[2][32];
    const int64_t value = 10000000;
    s_to_contract(c, 0, NULL, NULL, 20000000, value, value, ocid, ms);
    s_milestone(c, ocid, ms[0], TENDERING__MILESTONE_STATUS__MET);
    s_contribute(c, BUYER, value);
    Tendering__DonateRequest dq = TENDERING__DONATE_REQUEST__INIT;
    dq.donor_name = "海曙区爱心企业";
    dq.amount_fen = 1000000; /* the box can pay every disbursement below */
    dq.memo = "开箱";
    s_ok(c->td, "tendering.funds.donate", &dq.base, &tendering__donate_reply__descriptor, c->a);
    hub_arena_reset(c->a);
    Tendering__BalanceReply *b0 = s_reconciled(c->td, c->a);
    const uint64_t entries0 = b0->entries;
    const int64_t donors0 = s_bal(b0, "contrib:donors"), disbursed0 = s_bal(b0, "disbursed:donations");

    kill_t *k = calloc(1, sizeof *k);
    k->t = c->t;
    k->ocid = ocid;
    k->ms = ms[0];
    k->don = calloc(KILL_DONATIONS, sizeof *k->don);
    k->con = calloc(KILL_OTHER, sizeof *k->con);
    k->dis = calloc(KILL_OTHER, sizeof *k->dis);
    k->pay = calloc(KILL_PAYMENTS, sizeof *k->pay);
    c->cleanup = s_kill_free; /* freed with the test's context */
    c->cleanup_arg = k;
    pthread_t th[3];
    pthread_create(&th[0], NULL, s_kill_donations, k);
    pthread_create(&th[1], NULL, s_kill_funds, k);
    pthread_create(&th[2], NULL, s_kill_payments, k);
    /* kill while all three streams are being applied */
    kill_wait_t kw = {k, 300, 20};
    bool ready = harness_wait(s_kill_ready, &kw, 60000);
    int rc_kill = harness_stop(&c->t->td, SIGKILL);
    int acked_at_kill = atomic_load(&k->acked);
    atomic_store(&k->killed, 1);
    for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
    if (atomic_load(&k->failed)) fail_msg("before the kill: %s", k->why);
    assert_true(ready);
    assert_int_equal(rc_kill, 128 + SIGKILL);
    int sent = atomic_load(&k->n_don_sent) + atomic_load(&k->n_con_sent) + atomic_load(&k->n_dis_sent) +
               atomic_load(&k->n_pay_sent);
    assert_true(acked_at_kill < sent || atomic_load(&k->n_don_sent) < KILL_DONATIONS); /* really mid-stream */

    /* restart: recovered from the store alone */
    hub_client_destroy(&c->td);
    assert_int_equal(harness_start(&c->t->td), 0);
    c->td = hub_client_new(s_zctx, c->t->td.api, NULL, 5000);
    hub_arena_t *a = c->a;
    hub_arena_reset(a);
    Tendering__BalanceReply *b = s_reconciled(c->td, a);
    size_t ne = s_ledger_consistent(c->td, a, b);
    Tendering__Entry **es;
    assert_int_equal(s_entries(c->td, a, "", &es), ne);

    int n_don, n_con, n_dis, n_pay;
    int64_t don = s_acked_in(k->don, atomic_load(&k->n_don_sent), es, ne, "donation", &n_don);
    int64_t con = s_acked_in(k->con, atomic_load(&k->n_con_sent), es, ne, "contribution", &n_con);
    int64_t dis = s_acked_in(k->dis, atomic_load(&k->n_dis_sent), es, ne, "disbursement", &n_dis);
    int64_t pay = s_acked_in(k->pay, atomic_load(&k->n_pay_sent), es, ne, "payment", &n_pay);
    int64_t don_sent = 0, con_sent = 0, dis_sent = 0;
    for (int i = 0; i < atomic_load(&k->n_don_sent); i++) don_sent += k->don[i].amount;
    for (int i = 0; i < atomic_load(&k->n_con_sent); i++) con_sent += k->con[i].amount;
    for (int i = 0; i < atomic_load(&k->n_dis_sent); i++) dis_sent += k->dis[i].amount;
    print_message("kill -9 after %d acknowledged of %d sent: %d donations, %d contributions, %d disbursements, "
                  "%d payments acknowledged; %zu entries after restart\n",
                  acked_at_kill, sent, n_don, n_con, n_dis, n_pay, ne);
    if (ne < entries0 + (size_t)(n_don + n_con + n_dis + n_pay) || ne > entries0 + (size_t)sent)
        fail_msg("%zu entries: %llu before, %d acknowledged, %d sent", ne, (unsigned long long)entries0,
                 n_don + n_con + n_dis + n_pay, sent);
    /* every acknowledged amount is in its account, nothing beyond what was sent */
    int64_t donors = s_bal(b, "contrib:donors"), disbursed = s_bal(b, "disbursed:donations");
    if (donors < donors0 + don || donors > donors0 + don_sent)
        fail_msg("contrib:donors %lld: %lld before, %lld acknowledged, %lld sent", (long long)donors, (long long)donors0,
                 (long long)don, (long long)don_sent);
    if (disbursed < disbursed0 + dis || disbursed > disbursed0 + dis_sent)
        fail_msg("disbursed:donations %lld: %lld before, %lld acknowledged, %lld sent", (long long)disbursed,
                 (long long)disbursed0, (long long)dis, (long long)dis_sent);
    assert_int_equal(s_bal(b, "fund:donations"), donors - disbursed);
    int64_t kcon = s_bal(b, "contrib:" KILL_FUNDER);
    assert_true(kcon >= con && kcon <= con_sent);
    assert_int_equal(s_bal(b, "fund:" KILL_FUNDER), kcon);
    /* the contract, its payments and their entries agree */
    Tendering__Process *p = s_get(c->td, a, ocid);
    char paid[96];
    snprintf(paid, sizeof paid, "paid:%s", ocid);
    int64_t psum = 0;
    for (size_t i = 0; i < p->contract->n_payments; i++) {
        const Tendering__Payment *py = p->contract->payments[i];
        psum += py->amount_fen;
        bool found = false;
        for (size_t j = 0; j < ne && !found; j++) found = !strcmp(es[j]->id, py->entry_id);
        if (!found) fail_msg("payment %s: its entry %s is not in the journal", py->id, py->entry_id);
    }
    size_t pay_entries = 0;
    for (size_t j = 0; j < ne; j++)
        if (es[j]->kind == TENDERING__ENTRY_KIND__PAYMENT) pay_entries++;
    assert_int_equal(pay_entries, p->contract->n_payments);
    assert_int_equal(psum, p->contract->paid_fen);
    assert_true(psum >= pay && p->contract->n_payments >= (size_t)n_pay);
    assert_int_equal(s_bal(b, paid), psum);
    assert_int_equal(p->funders[0]->paid_fen, psum);
    assert_int_equal(s_bal(b, "fund:" BUYER), value - psum);
    /* the donation box's disclosure agrees with the journal */
    size_t don_entries = 0;
    for (size_t j = 0; j < ne; j++)
        if (es[j]->kind == TENDERING__ENTRY_KIND__DONATION) don_entries++;
    Tendering__DisclosureRequest xq = TENDERING__DISCLOSURE_REQUEST__INIT;
    xq.limit = 1;
    Tendering__DisclosureReply *xr = s_ok(c->td, "tendering.funds.disclosure", &xq.base, &tendering__disclosure_reply__descriptor, a);
    assert_int_equal(xr->donations, don_entries);
    assert_int_equal(xr->donations_fen, donors);
    assert_int_equal(xr->disbursed_fen, disbursed);

    /* each entry's event committed with it, and no event without its entry */
    size_t by_kind[5] = {0};
    for (size_t j = 0; j < ne; j++)
        if (es[j]->kind < 5) by_kind[es[j]->kind]++;
    ev_t *evs;
    size_t nev = s_events(c, NULL, &evs), ev_con = 0, ev_don = 0, ev_dis = 0, ev_pay = 0;
    for (size_t i = 0; i < nev; i++) {
        ev_con += !strcmp(evs[i].topic, "funds.contribution.received");
        ev_don += !strcmp(evs[i].topic, "funds.donation.received");
        ev_dis += !strcmp(evs[i].topic, "funds.disbursement.made");
        ev_pay += !strcmp(evs[i].topic, "tendering.payment.made") && !strcmp(evs[i].ocid, ocid);
    }
    if (ev_con != by_kind[TENDERING__ENTRY_KIND__CONTRIBUTION] || ev_don != by_kind[TENDERING__ENTRY_KIND__DONATION] ||
        ev_dis != by_kind[TENDERING__ENTRY_KIND__DISBURSEMENT] || ev_pay != by_kind[TENDERING__ENTRY_KIND__PAYMENT])
        fail_msg("events vs entries: contributions %zu/%zu, donations %zu/%zu, disbursements %zu/%zu, payments %zu/%zu",
                 ev_con, by_kind[TENDERING__ENTRY_KIND__CONTRIBUTION], ev_don, by_kind[TENDERING__ENTRY_KIND__DONATION],
                 ev_dis, by_kind[TENDERING__ENTRY_KIND__DISBURSEMENT], ev_pay, by_kind[TENDERING__ENTRY_KIND__PAYMENT]);

    /* it goes on: one more donation, still reconciled */
    hub_arena_reset(a);
    dq.memo = "重启后";
    Tendering__DonateReply *dr = s_ok(c->td, "tendering.funds.donate", &dq.base, &tendering__donate_reply__descriptor, a);
    assert_non_null(dr->donation);
    b = s_reconciled(c->td, a);
    assert_int_equal(b->entries, ne + 1);
    assert_int_equal(s_bal(b, "contrib:donors"), donors + 1000000);
    s_close(c);
}

/* ---- 8. a venture round with three funders: the payment split exactly ---- */
static void test_venture_split(void **state)
{
    ctx_t *c = s_open(state);
    s_three_orgs(c);
    static const char *const fids[3] = {"F-A", "F-B", "F-C"};
    static const int64_t shares[3] = {500000, 300000, 200000}; /* 50 / 30 / 20 % */
    char ocid[64], ms[2][32];
    const int64_t value = 900000;
    Tendering__Process *p = s_to_contract(c, 3, fids, shares, 1000000, 950000, value, ocid, ms);
    assert_int_equal(p->kind, TENDERING__KIND__VENTURE);
    assert_int_equal(p->n_funders, 3);
    static const int64_t draws[3] = {450000, 270000, 180000};
    for (int i = 0; i < 3; i++) {
        assert_string_equal(p->funders[i]->id, fids[i]);
        assert_int_equal(p->funders[i]->share_fen, shares[i]);
        if (p->funders[i]->draw_fen != draws[i])
            fail_msg("funder %s draws %lld of %lld, expected %lld", fids[i], (long long)p->funders[i]->draw_fen,
                     (long long)value, (long long)draws[i]);
    }
    s_milestone(c, ocid, ms[0], TENDERING__MILESTONE_STATUS__MET);
    s_contribute(c, "F-A", 200000);
    s_contribute(c, "F-B", 90000);
    s_contribute(c, "F-C", 10000); /* less than its part of the payment below */
    hub_arena_reset(c->a);
    uint64_t entries0 = s_reconciled(c->td, c->a)->entries;
    /* 100001 fen: 50000.5 / 30000.3 / 20000.2 -> 50001 / 30000 / 20000; F-C has 10000 */
    Tendering__PaymentRequest pq = s_pay_req(ocid, 100001, ms[0], "第一期");
    hub_error_t err;
    assert_int_equal(s_try(c->td, "tendering.payment.make", &pq.base, &tendering__process_reply__descriptor, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
    if (!strstr(err.message, "F-C")) fail_msg("the refusal does not name the funder short of money: %s", err.message);
    p = s_get(c->td, c->a, ocid);
    assert_int_equal(p->contract->paid_fen, 0);
    assert_int_equal(s_reconciled(c->td, c->a)->entries, entries0);

    s_contribute(c, "F-C", 50000);
    p = s_pay(c, ocid, 100001, ms[0], "第一期");
    static const int64_t first[3] = {50001, 30000, 20000};
    for (int i = 0; i < 3; i++)
        if (p->funders[i]->paid_fen != first[i])
            fail_msg("first payment: funder %s paid %lld, expected %lld", fids[i], (long long)p->funders[i]->paid_fen,
                     (long long)first[i]);
    /* 200000 fen: 100000 / 60000 / 40000 (by shares or by what is left of the draws) */
    p = s_pay(c, ocid, 200000, ms[0], "第二期");
    static const int64_t total[3] = {150001, 90000, 60000};
    int64_t sum = 0;
    for (int i = 0; i < 3; i++) {
        if (p->funders[i]->paid_fen != total[i])
            fail_msg("after two payments: funder %s paid %lld, expected %lld", fids[i],
                     (long long)p->funders[i]->paid_fen, (long long)total[i]);
        sum += p->funders[i]->paid_fen;
    }
    assert_int_equal(sum, 300001);
    assert_int_equal(p->contract->paid_fen, 300001);
    /* the ledger: each funder's account gave exactly its part */
    hub_arena_reset(c->a);
    Tendering__BalanceReply *b = s_reconciled(c->td, c->a);
    static const int64_t contributed[3] = {200000, 90000, 60000};
    for (int i = 0; i < 3; i++) {
        char fund[32], contrib[40];
        snprintf(fund, sizeof fund, "fund:%s", fids[i]);
        snprintf(contrib, sizeof contrib, "contrib:%s", fids[i]);
        if (s_bal(b, fund) != contributed[i] - total[i] || s_bal(b, contrib) != contributed[i])
            fail_msg("%s %lld and %s %lld; expected %lld and %lld", fund, (long long)s_bal(b, fund), contrib,
                     (long long)s_bal(b, contrib), (long long)(contributed[i] - total[i]), (long long)contributed[i]);
    }
    char paid[96];
    snprintf(paid, sizeof paid, "paid:%s", ocid);
    assert_int_equal(s_bal(b, paid), 300001);
    /* a venture round's OCDS exports (three funders) validate */
    s_export_valid(c, ocid, "package", "release-package");
    s_export_valid(c, ocid, "record", "record-package");
    /* each payment's entry credits the three funds by their parts */
    Tendering__Entry **es;
    size_t ne = s_entries(c->td, c->a, paid, &es);
    assert_int_equal(ne, 2);
    for (size_t e = 0; e < ne; e++) {
        int64_t credit[3] = {0, 0, 0}, debit = 0;
        for (size_t l = 0; l < es[e]->n_lines; l++) {
            const Tendering__Line *ln = es[e]->lines[l];
            if (!strcmp(ln->account, paid)) debit += ln->debit_fen;
            for (int i = 0; i < 3; i++)
                if (!strncmp(ln->account, "fund:", 5) && !strcmp(ln->account + 5, fids[i])) credit[i] += ln->credit_fen;
        }
        const int64_t *want = e == 0 ? first : (const int64_t[3]){100000, 60000, 40000};
        for (int i = 0; i < 3; i++) assert_int_equal(credit[i], want[i]);
        assert_int_equal(debit, e == 0 ? 100001 : 200000);
    }
    s_ledger_consistent(c->td, c->a, b);
    s_close(c);
}

/* ---- 9. illegal transitions over the wire name the current state ---- */
static void s_refused_state(hub_client_t *td, const char *verb, const ProtobufCMessage *req, int st)
{
    s_refused(td, verb, req, &tendering__process_reply__descriptor, HUB__ERROR_CODE__FAILED_PRECONDITION, "state",
              s_state_word(st));
}

static void test_illegal_transitions_name_state(void **state)
{
    ctx_t *c = s_open(state);
    s_three_orgs(c);
    char ocid[64];
    s_create(c, s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL), ocid);
    Tendering__GetRequest g = TENDERING__GET_REQUEST__INIT;
    g.ocid = ocid;
    Tendering__AwardRequest aw = TENDERING__AWARD_REQUEST__INIT;
    aw.ocid = ocid;
    Tendering__SignRequest *sr = s_sign_req(c->a, ocid, 0);
    Tendering__PaymentRequest pq = s_pay_req(ocid, 100, "", "x");
    Tendering__Closure cl = TENDERING__CLOSURE__INIT;
    cl.reason = "提前终止";
    cl.early = 1;
    Tendering__TerminateRequest tq = TENDERING__TERMINATE_REQUEST__INIT;
    tq.ocid = ocid;
    tq.closure = &cl;
    Tendering__SubmitBidRequest bq = s_bid_req(ocid, "ORG-A", 4000000);
    /* planning */
    s_refused_state(c->td, "tendering.award", &aw.base, TENDERING__STATE__PLANNING);
    s_refused_state(c->td, "tendering.contract.terminate", &tq.base, TENDERING__STATE__PLANNING);
    s_refused(c->td, "tendering.bid.submit", &bq.base, &tendering__bid_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, "state", "planning");
    /* active */
    s_publish(c, ocid, hub_now_ms() + PERIOD_MS);
    Tendering__PublishRequest pub = TENDERING__PUBLISH_REQUEST__INIT;
    pub.ocid = ocid;
    pub.tender_end_ms = hub_now_ms() + 3600 * 1000;
    s_refused_state(c->td, "tendering.tender.publish", &pub.base, TENDERING__STATE__ACTIVE); /* twice */
    s_refused_state(c->td, "tendering.award", &aw.base, TENDERING__STATE__ACTIVE);
    s_refused_state(c->td, "tendering.award.activate", &g.base, TENDERING__STATE__ACTIVE);
    Tendering__UpdateRequest uq = TENDERING__UPDATE_REQUEST__INIT;
    uq.process = s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL);
    uq.process->ocid = ocid;
    s_refused_state(c->td, "tendering.tender.update", &uq.base, TENDERING__STATE__ACTIVE);
    char bid[32];
    s_bid(c, ocid, "ORG-A", 4000000, bid);
    /* evaluation */
    s_wait_state(c, ocid, TENDERING__STATE__EVALUATION);
    s_refused_state(c->td, "tendering.contract.sign", &sr->base, TENDERING__STATE__EVALUATION);
    s_refused_state(c->td, "tendering.award.activate", &g.base, TENDERING__STATE__EVALUATION);
    s_refused_state(c->td, "tendering.payment.make", &pq.base, TENDERING__STATE__EVALUATION);
    s_refused_state(c->td, "tendering.tender.publish", &pub.base, TENDERING__STATE__EVALUATION);
    Tendering__AmendRequest am = TENDERING__AMEND_REQUEST__INIT;
    am.ocid = ocid;
    am.rationale = "延期";
    am.new_end_ms = hub_now_ms() + 3600 * 1000;
    s_refused_state(c->td, "tendering.tender.amend", &am.base, TENDERING__STATE__EVALUATION);
    /* awarded */
    s_add_evaluator(c, ocid, "EV-1", "陈评审", NULL);
    s_declare(c, ocid, "EV-1");
    s_score(c, ocid, "EV-1", bid, 80, 80, 80);
    s_award_activate(c, ocid, NULL);
    s_refused_state(c->td, "tendering.award", &aw.base, TENDERING__STATE__AWARDED);
    s_refused_state(c->td, "tendering.payment.make", &pq.base, TENDERING__STATE__AWARDED);
    s_refused_state(c->td, "tendering.contract.terminate", &tq.base, TENDERING__STATE__AWARDED);
    /* cancelled: final */
    Tendering__CancelRequest cq = TENDERING__CANCEL_REQUEST__INIT;
    cq.ocid = ocid;
    cq.reason = "预算调整";
    Tendering__Process *p = s_proc(c->td, c->a, "tendering.tender.cancel", &cq.base);
    assert_int_equal(p->state, TENDERING__STATE__CANCELLED);
    assert_string_equal(p->cancel_reason, "预算调整");
    s_refused_state(c->td, "tendering.tender.cancel", &cq.base, TENDERING__STATE__CANCELLED);
    s_refused_state(c->td, "tendering.contract.sign", &sr->base, TENDERING__STATE__CANCELLED);
    /* the refusals changed nothing */
    p = s_get(c->td, c->a, ocid);
    assert_int_equal(p->state, TENDERING__STATE__CANCELLED);
    assert_null(p->contract);
    /* a tender cancelled while active never closes: another with the same
     * end closes (so the timer passed it) while the cancelled one stays */
    char gone[64], witness[64];
    s_create(c, s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL), gone);
    s_create(c, s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL), witness);
    int64_t end = hub_now_ms() + 1000;
    s_publish(c, gone, end);
    s_publish(c, witness, end);
    s_bid(c, gone, "ORG-A", 4000000, bid);
    cq.ocid = gone;
    p = s_proc(c->td, c->a, "tendering.tender.cancel", &cq.base);
    assert_int_equal(p->state, TENDERING__STATE__CANCELLED);
    s_wait_state(c, witness, TENDERING__STATE__UNSUCCESSFUL);
    p = s_get(c->td, c->a, gone);
    assert_int_equal(p->state, TENDERING__STATE__CANCELLED);
    for (size_t i = 0; i < p->n_bids; i++) assert_string_equal(p->bids[i]->org_id, ""); /* sealed for ever */
    Tendering__BidRequest gq = TENDERING__BID_REQUEST__INIT;
    gq.ocid = gone;
    gq.bid_id = bid;
    s_refused(c->td, "tendering.bid.get", &gq.base, &tendering__bid_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, "state", "cancelled");
    ev_t *evs;
    size_t n = s_events(c, NULL, &evs);
    char topics[2048];
    s_topics_of(evs, n, gone, topics, sizeof topics);
    assert_string_equal(topics, "tender.planned tender.published bid.received tender.cancelled");
    /* a cancelled tender's OCDS exports validate and open no bid */
    json_t *rec = s_export_valid(c, gone, "record", "record-package");
    char *txt = json_dumps(rec, JSON_COMPACT);
    bool leak = strstr(txt, "ORG-A") != NULL;
    free(txt);
    assert_false(leak);
    s_export_valid(c, ocid, "package", "release-package");
    s_close(c);
}

/* ---- 10. bad input gets clear errors; the daemon goes on ---- */
static void test_bad_input(void **state)
{
    ctx_t *c = s_open(state);
    trio_t *t = c->t;
    Hub__StatusReply *st = s_status(c->td, c->a);
    assert_string_equal(st->source, "tendering");
    uint64_t errors0 = s_counter(st, "errors_total"), invalid0 = s_counter(st, "errors_invalid_argument_total"),
             notfound0 = s_counter(st, "errors_not_found_total");
    s_three_orgs(c);
    const ProtobufCMessageDescriptor *pd = &tendering__process_reply__descriptor;
    int refusals = 0, invalid = 0, notfound = 0;

    /* unknown ids */
    Tendering__GetRequest g = TENDERING__GET_REQUEST__INIT;
    g.ocid = "ocds-unknown-000999";
    s_refused(c->td, "tendering.tender.get", &g.base, pd, HUB__ERROR_CODE__NOT_FOUND, "ocid", NULL);
    Tendering__PublishRequest pub = TENDERING__PUBLISH_REQUEST__INIT;
    pub.ocid = g.ocid;
    pub.tender_end_ms = hub_now_ms() + 60000;
    s_refused(c->td, "tendering.tender.publish", &pub.base, pd, HUB__ERROR_CODE__NOT_FOUND, "ocid", NULL);
    Tendering__SubmitBidRequest bq = s_bid_req(g.ocid, "ORG-A", 100);
    s_refused(c->td, "tendering.bid.submit", &bq.base, &tendering__bid_reply__descriptor, HUB__ERROR_CODE__NOT_FOUND,
              "ocid", NULL);
    s_refused(c->td, "tendering.export", &g.base, &tendering__export_reply__descriptor, HUB__ERROR_CODE__NOT_FOUND, "ocid",
              NULL);
    Tendering__OrgRequest oq = TENDERING__ORG_REQUEST__INIT;
    oq.id = "ORG-NOBODY";
    s_refused(c->td, "tendering.org.get", &oq.base, &tendering__org_reply__descriptor, HUB__ERROR_CODE__NOT_FOUND, "id",
              NULL);
    refusals += 5;
    notfound += 5;
    /* a verb nobody serves */
    Tendering__BalanceRequest bal = TENDERING__BALANCE_REQUEST__INIT;
    s_refused(c->td, "tendering.nothing", &bal.base, &tendering__balance_reply__descriptor, HUB__ERROR_CODE__NOT_FOUND,
              NULL, NULL);
    refusals++;
    notfound++;

    /* malformed protobuf bodies */
    static const uint8_t trunc[] = {0x0a, 0x7f, 'o', 'c'};          /* field 1: 127 bytes announced, 2 sent */
    static const uint8_t badwire[] = {0x0f, 0x01};                  /* wire type 7 */
    static const uint8_t badutf8[] = {0x0a, 0x02, 0xe4, 0xb8};      /* ocid: truncated UTF-8 */
    s_refused_raw(c->td, c->scratch, "tendering.tender.get", trunc, sizeof trunc, HUB__ERROR_CODE__INVALID_ARGUMENT, NULL);
    s_refused_raw(c->td, c->scratch, "tendering.funds.donate", badwire, sizeof badwire, HUB__ERROR_CODE__INVALID_ARGUMENT, NULL);
    s_refused_raw(c->td, c->scratch, "tendering.tender.get", badutf8, sizeof badutf8, HUB__ERROR_CODE__INVALID_ARGUMENT, "ocid");
    refusals += 3;
    invalid += 3;

    /* criteria weights not summing to 100 */
    Tendering__Process *d = s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL);
    d->criteria[2]->weight = 10; /* 50 + 30 + 10 */
    Tendering__CreateRequest cq = TENDERING__CREATE_REQUEST__INIT;
    cq.process = d;
    hub_error_t err;
    assert_int_equal(s_try(c->td, "tendering.tender.create", &cq.base, pd, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    if (strncmp(err.field, "process.criteria", 16)) fail_msg("weights: field \"%s\": %s", err.field, err.message);
    /* a venture whose shares do not add up to the budget */
    static const char *const fids[2] = {"F-A", "F-B"};
    static const int64_t shares[2] = {600000, 300000};
    d = s_draft(c->a, TENDERING__KIND__VENTURE, 0, 2, fids, shares);
    d->budget_fen = 1000000;
    cq.process = d;
    s_refused(c->td, "tendering.tender.create", &cq.base, pd, HUB__ERROR_CODE__INVALID_ARGUMENT, NULL, NULL);
    /* a negative budget */
    d = s_draft(c->a, TENDERING__KIND__PURCHASE, -5000000, 0, NULL, NULL);
    cq.process = d;
    s_refused(c->td, "tendering.tender.create", &cq.base, pd, HUB__ERROR_CODE__INVALID_ARGUMENT, "process.budget_fen",
              NULL);
    refusals += 3;
    invalid += 3;

    /* negative (and zero) amounts */
    Tendering__ContributeRequest kq = TENDERING__CONTRIBUTE_REQUEST__INIT;
    kq.funder_id = BUYER;
    kq.funder_name = BUYER_NAME;
    kq.amount_fen = -100;
    s_refused(c->td, "tendering.funds.contribute", &kq.base, &tendering__contribute_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "amount_fen", NULL);
    Tendering__DonateRequest dq = TENDERING__DONATE_REQUEST__INIT;
    dq.donor_name = "张三";
    dq.amount_fen = -1;
    s_refused(c->td, "tendering.funds.donate", &dq.base, &tendering__donate_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "amount_fen", NULL);
    dq.amount_fen = 0;
    s_refused(c->td, "tendering.funds.donate", &dq.base, &tendering__donate_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "amount_fen", NULL);
    dq.amount_fen = 100;
    dq.donor_name = ""; /* neither named nor anonymous */
    s_refused(c->td, "tendering.funds.donate", &dq.base, &tendering__donate_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "donor_name", NULL);
    Tendering__Disbursement db = TENDERING__DISBURSEMENT__INIT;
    db.recipient_name = "王小明";
    db.street = STREET;
    db.purpose = "助学";
    db.amount_fen = -300;
    Tendering__DisburseRequest xq = TENDERING__DISBURSE_REQUEST__INIT;
    xq.disbursement = &db;
    s_refused(c->td, "tendering.funds.disburse", &xq.base, &tendering__disburse_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "disbursement.amount_fen", NULL);
    /* an invalid account name */
    kq.funder_id = "F A/../x";
    kq.amount_fen = 100;
    s_refused(c->td, "tendering.funds.contribute", &kq.base, &tendering__contribute_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "funder_id", NULL);
    refusals += 6;
    invalid += 6;
    /* a negative bid price on an open tender */
    char ocid[64];
    s_create(c, s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL), ocid);
    s_publish(c, ocid, hub_now_ms() + 3600 * 1000);
    bq = s_bid_req(ocid, "ORG-A", -4000000);
    s_refused(c->td, "tendering.bid.submit", &bq.base, &tendering__bid_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "price_fen", NULL);
    /* a bid of an organization tendering does not know */
    bq = s_bid_req(ocid, "ORG-NOBODY", 4000000);
    s_refused(c->td, "tendering.bid.submit", &bq.base, &tendering__bid_reply__descriptor, HUB__ERROR_CODE__NOT_FOUND,
              "org_id", NULL);
    /* a score with the wrong number of points, on an unknown process */
    uint32_t pts[2] = {50, 50};
    Tendering__Score sc = TENDERING__SCORE__INIT;
    sc.evaluator_id = "EV-1";
    sc.bid_id = "BID-0001";
    sc.points = pts;
    sc.n_points = 2;
    Tendering__ScoreRequest sq = TENDERING__SCORE_REQUEST__INIT;
    sq.ocid = "ocds-unknown-000999";
    sq.score = &sc;
    s_refused(c->td, "tendering.score", &sq.base, pd, HUB__ERROR_CODE__NOT_FOUND, "ocid", NULL);
    /* an export of an unknown kind */
    Tendering__ExportRequest eq = TENDERING__EXPORT_REQUEST__INIT;
    eq.ocid = ocid;
    eq.what = "everything";
    s_refused(c->td, "tendering.export", &eq.base, &tendering__export_reply__descriptor, HUB__ERROR_CODE__INVALID_ARGUMENT,
              "what", NULL);
    refusals += 4;
    invalid += 2;
    notfound += 2;

    /* none of it touched the ledger or the process */
    hub_arena_reset(c->a);
    Tendering__BalanceReply *b = s_reconciled(c->td, c->a);
    assert_int_equal(b->entries, 0);
    Tendering__Process *p = s_get(c->td, c->a, ocid);
    assert_int_equal(p->n_bids, 0);
    /* still serving, and every refusal was counted */
    assert_true(s_alive(&t->td));
    hub_arena_reset(c->a);
    st = s_status(c->td, c->a);
    assert_string_equal(st->source, "tendering");
    uint64_t errors = s_counter(st, "errors_total");
    if (errors < errors0 + (uint64_t)refusals)
        fail_msg("errors_total went from %llu to %llu after %d refusals", (unsigned long long)errors0,
                 (unsigned long long)errors, refusals);
    assert_true(s_counter(st, "errors_invalid_argument_total") >= invalid0 + (uint64_t)invalid);
    assert_true(s_counter(st, "errors_not_found_total") >= notfound0 + (uint64_t)notfound);
    s_close(c);
}

/* ---- 11. the donation box: anonymous donors, masked recipients ---- */
static void test_donation_box_disclosure(void **state)
{
    ctx_t *c = s_open(state);
    Tendering__DonateRequest dq = TENDERING__DONATE_REQUEST__INIT;
    dq.donor_name = "张三";
    dq.amount_fen = 10000;
    dq.memo = "助学";
    Tendering__DonateReply *dr = s_ok(c->td, "tendering.funds.donate", &dq.base, &tendering__donate_reply__descriptor, c->a);
    assert_string_equal(dr->donation->donor_name, "张三");
    assert_false(dr->donation->anonymous);
    assert_int_equal(dr->entry->kind, TENDERING__ENTRY_KIND__DONATION);
    dq.donor_name = "李四";
    dq.anonymous = 1;
    dq.amount_fen = 5000;
    dr = s_ok(c->td, "tendering.funds.donate", &dq.base, &tendering__donate_reply__descriptor, c->a);
    assert_true(dr->donation->anonymous);
    assert_string_equal(dr->donation->donor_name, "");
    Tendering__Disbursement db = TENDERING__DISBURSEMENT__INIT;
    db.recipient_name = "王小明";
    db.recipient_phone = "13800000000";
    db.recipient_address = "中山西路 1 号";
    db.street = STREET;
    db.purpose = "困难学生助学金";
    db.amount_fen = 3000;
    Tendering__DisburseRequest xq = TENDERING__DISBURSE_REQUEST__INIT;
    xq.disbursement = &db;
    Tendering__DisburseReply *xr =
        s_ok(c->td, "tendering.funds.disburse", &xq.base, &tendering__disburse_reply__descriptor, c->a);
    assert_int_equal(xr->disbursement->amount_fen, 3000);
    assert_int_equal(xr->entry->kind, TENDERING__ENTRY_KIND__DISBURSEMENT);
    /* more than the box holds */
    db.amount_fen = 12001;
    s_refused(c->td, "tendering.funds.disburse", &xq.base, &tendering__disburse_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, NULL, NULL);

    Tendering__BalanceReply *b = s_reconciled(c->td, c->a);
    assert_int_equal(b->entries, 3);
    assert_int_equal(s_bal(b, "fund:donations"), 12000);
    assert_int_equal(s_bal(b, "contrib:donors"), 15000);
    assert_int_equal(s_bal(b, "disbursed:donations"), 3000);
    s_ledger_consistent(c->td, c->a, b);
    Tendering__Entry **es;
    assert_int_equal(s_entries(c->td, c->a, "fund:donations", &es), 3);

    /* the public disclosure: masked, no phone, no address */
    Tendering__DisclosureRequest q = TENDERING__DISCLOSURE_REQUEST__INIT;
    Tendering__DisclosureReply *r =
        s_ok(c->td, "tendering.funds.disclosure", &q.base, &tendering__disclosure_reply__descriptor, c->a);
    assert_int_equal(r->n_items, 1);
    assert_string_equal(r->items[0]->recipient, "王**");
    assert_string_equal(r->items[0]->street, STREET);
    assert_string_equal(r->items[0]->purpose, "困难学生助学金");
    assert_int_equal(r->items[0]->amount_fen, 3000);
    assert_int_equal(r->donations_fen, 15000);
    assert_int_equal(r->disbursed_fen, 3000);
    assert_int_equal(r->donations, 2);
    /* ... nowhere in its bytes */
    uint8_t body[4];
    size_t blen = tendering__disclosure_request__pack(&q, body);
    char status[4];
    uint8_t *out;
    size_t out_len;
    assert_int_equal(hub_client_call_raw(c->td, "tendering.funds.disclosure", strlen("tendering.funds.disclosure"), body, blen, status, c->a, &out, &out_len), 0);
    assert_string_equal(status, "OK");
    static const char *const secrets[] = {"13800000000", "中山西路", "王小明", NULL};
    for (int i = 0; secrets[i]; i++)
        if (memmem(out, out_len, secrets[i], strlen(secrets[i]))) fail_msg("the disclosure carries \"%s\"", secrets[i]);

    /* the events: the anonymous donor blank, the recipient masked */
    static const char *const leaks[] = {"13800000000", "中山西路", "王小明", "李四", NULL};
    ev_t *evs;
    size_t n = s_events(c, leaks, &evs);
    size_t donations = 0, disbursements = 0;
    for (size_t i = 0; i < n; i++) {
        if (evs[i].leak) fail_msg("event %llu (%s) carries personal data", (unsigned long long)evs[i].seq, evs[i].topic);
        if (!strcmp(evs[i].topic, "funds.donation.received")) {
            if (donations == 0) { /* public: the donor's name, possibly masked ("张**") */
                if (strncmp(evs[i].donor, "张", strlen("张"))) fail_msg("donor in the event: \"%s\"", evs[i].donor);
                assert_false(evs[i].anonymous);
            } else {
                assert_true(evs[i].anonymous);
                assert_string_equal(evs[i].donor, "");
            }
            donations++;
        }
        if (!strcmp(evs[i].topic, "funds.disbursement.made")) {
            assert_string_equal(evs[i].recipient, "王**");
            disbursements++;
        }
    }
    assert_int_equal(donations, 2);
    assert_int_equal(disbursements, 1);
    s_close(c);
}

/* ---- 12. refusals by kind are counted in hub.status ---- */
static void test_refusals_counted(void **state)
{
    ctx_t *c = s_open(state);
    s_three_orgs(c);
    Hub__StatusReply *st = s_status(c->td, c->scratch);
    uint64_t pre0 = s_counter(st, "errors_failed_precondition_total"),
             denied0 = s_counter(st, "errors_permission_denied_total"),
             exists0 = s_counter(st, "errors_already_exists_total");
    char ocid[64], sealed[64], bid[32], ms[2][32];
    /* a sealed read, a second bid */
    s_create(c, s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL), sealed);
    s_publish(c, sealed, hub_now_ms() + 3600 * 1000);
    s_bid(c, sealed, "ORG-A", 4000000, bid);
    Tendering__BidRequest gq = TENDERING__BID_REQUEST__INIT;
    gq.ocid = sealed;
    gq.bid_id = bid;
    s_refused(c->td, "tendering.bid.get", &gq.base, &tendering__bid_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, "state", "sealed");
    Tendering__SubmitBidRequest sq = s_bid_req(sealed, "ORG-A", 3000000);
    s_refused(c->td, "tendering.bid.submit", &sq.base, &tendering__bid_reply__descriptor,
              HUB__ERROR_CODE__ALREADY_EXISTS, "org_id", NULL);
    /* a payment over the contract */
    s_to_contract(c, 0, NULL, NULL, 2000000, 1000000, 1000000, ocid, ms);
    s_contribute(c, BUYER, 2000000);
    Tendering__PaymentRequest pq = s_pay_req(ocid, 1000001, ms[0], "超额");
    s_refused(c->td, "tendering.payment.make", &pq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, "amount_fen", NULL);
    /* a conflict of interest */
    char ocid2[64], bids[2][32];
    s_to_evaluation(c, 0, NULL, NULL, 2000000, 1000000, ocid2, bids);
    s_add_evaluator(c, ocid2, "EV-3", "王评审", "ORG-B");
    Tendering__DeclareRequest dq = s_declare_req(ocid2, "EV-3");
    s_refused(c->td, "tendering.evaluator.declare", &dq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__PERMISSION_DENIED, "evaluator_id", NULL);
    hub_arena_reset(c->scratch);
    st = s_status(c->td, c->scratch);
    if (s_counter(st, "errors_failed_precondition_total") < pre0 + 2 ||
        s_counter(st, "errors_permission_denied_total") < denied0 + 1 ||
        s_counter(st, "errors_already_exists_total") < exists0 + 1)
        fail_msg("counters: failed_precondition %llu (was %llu), permission_denied %llu (was %llu), "
                 "already_exists %llu (was %llu)",
                 (unsigned long long)s_counter(st, "errors_failed_precondition_total"), (unsigned long long)pre0,
                 (unsigned long long)s_counter(st, "errors_permission_denied_total"), (unsigned long long)denied0,
                 (unsigned long long)s_counter(st, "errors_already_exists_total"), (unsigned long long)exists0);
    s_close(c);
}

/* ================================================================== the review's changes */

/* Asserts er ranks bids (ids) first to last with totals (centi), each
 * scored by scored evaluators. */
static void s_ranking_is(const Tendering__EvaluationReply *er, size_t n, const char *const *bids, const uint32_t *centi,
                         uint32_t scored)
{
    if (er->n_ranking != n) fail_msg("the ranking has %zu bids, expected %zu", er->n_ranking, n);
    for (size_t i = 0; i < n; i++) {
        const Tendering__Ranked *r = er->ranking[i];
        if (strcmp(r->bid_id, bids[i]) || r->total_centi != centi[i] || r->rank != i + 1 || r->evaluators_scored != scored)
            fail_msg("ranking[%zu]: %s %u rank %u by %u; expected %s %u rank %zu by %u", i, r->bid_id, r->total_centi,
                     r->rank, r->evaluators_scored, bids[i], centi[i], i + 1, scored);
    }
}

static Tendering__ScoreRequest s_score_req(const char *ocid, Tendering__Score *s, uint32_t pts[3], const char *ev,
                                           const char *bid)
{
    tendering__score__init(s);
    s->evaluator_id = (char *)ev;
    s->bid_id = (char *)bid;
    s->points = pts;
    s->n_points = 3;
    Tendering__ScoreRequest q = TENDERING__SCORE_REQUEST__INIT;
    q.ocid = (char *)ocid;
    q.score = s;
    return q;
}

/* ---- 13. an undeclared evaluator holds up the award; a recused one neither declares, scores nor counts ---- */
static void test_recusal(void **state)
{
    ctx_t *c = s_open(state);
    s_three_orgs(c);
    char ocid[64], bids[2][32];
    s_to_evaluation(c, 0, NULL, NULL, 5000000, 4000000, ocid, bids); /* A 4000000, B 4001000 */
    s_add_evaluator(c, ocid, "EV-1", "陈评审", NULL);
    s_add_evaluator(c, ocid, "EV-2", "林评审", NULL);
    s_add_evaluator(c, ocid, "EV-3", "周评审", NULL);
    s_declare(c, ocid, "EV-1");
    s_declare(c, ocid, "EV-2");
    s_score(c, ocid, "EV-1", bids[0], 90, 90, 90);   /* 90.00 */
    s_score(c, ocid, "EV-1", bids[1], 60, 60, 60);   /* 60.00 */
    s_score(c, ocid, "EV-2", bids[0], 40, 60, 80);   /* 20 + 18 + 16 = 54.00 -> A 72.00 */
    s_score(c, ocid, "EV-2", bids[1], 100, 90, 70);  /* 50 + 27 + 14 = 91.00 -> B 75.50 */
    Tendering__EvaluationReply *er = s_evaluation(c, ocid);
    assert_int_equal(er->evaluators_declared, 2);
    assert_int_equal(er->evaluators_recused, 0);
    s_ranking_is(er, 2, (const char *const[]){bids[1], bids[0]}, (const uint32_t[]){7550, 7200}, 2);
    /* EV-3 has neither declared nor recused: no award, first ranked or named */
    assert_false(er->complete);
    assert_int_equal(er->n_waiting_for, 1);
    assert_string_equal(er->waiting_for[0], "EV-3");
    Tendering__AwardRequest aw = TENDERING__AWARD_REQUEST__INIT;
    aw.ocid = ocid;
    aw.bid_id = "";
    s_refused(c->td, "tendering.award", &aw.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, "ocid", "evaluation is not complete");
    aw.bid_id = bids[1];
    s_refused(c->td, "tendering.award", &aw.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, "ocid", "evaluation is not complete");
    Tendering__Process *p = s_get(c->td, c->a, ocid);
    assert_int_equal(p->state, TENDERING__STATE__EVALUATION);
    assert_null(p->award);

    /* EV-3 stands down: complete, the totals unchanged (it never scored) */
    s_recuse(c, ocid, "EV-3", "出差，无法参加评审");
    er = s_evaluation(c, ocid);
    assert_true(er->complete);
    assert_int_equal(er->n_waiting_for, 0);
    assert_int_equal(er->evaluators_declared, 2);
    assert_int_equal(er->evaluators_recused, 1);
    s_ranking_is(er, 2, (const char *const[]){bids[1], bids[0]}, (const uint32_t[]){7550, 7200}, 2);

    /* EV-2 stands down after scoring: its scores no longer count */
    p = s_recuse(c, ocid, "EV-2", "与投标人负责人存在亲属关系，主动回避");
    assert_int_equal(p->n_scores, 2);
    for (size_t i = 0; i < p->n_scores; i++) assert_string_equal(p->scores[i]->evaluator_id, "EV-1");
    er = s_evaluation(c, ocid);
    assert_true(er->complete);
    assert_int_equal(er->evaluators_declared, 1);
    assert_int_equal(er->evaluators_recused, 2);
    assert_int_equal(er->n_waiting_for, 0);
    s_ranking_is(er, 2, (const char *const[]){bids[0], bids[1]}, (const uint32_t[]){9000, 6000}, 1);
    Tendering__BidRequest gq = TENDERING__BID_REQUEST__INIT;
    gq.ocid = ocid;
    gq.bid_id = bids[1];
    Tendering__BidReply *br = s_ok(c->td, "tendering.bid.get", &gq.base, &tendering__bid_reply__descriptor, c->a);
    assert_int_equal(br->bid->total_centi, 6000);
    assert_int_equal(br->bid->rank, 2);

    /* a recused evaluator cannot declare, score, nor recuse again */
    Tendering__DeclareRequest dq = s_declare_req(ocid, "EV-2");
    s_refused(c->td, "tendering.evaluator.declare", &dq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, "evaluator_id", NULL);
    dq = s_declare_req(ocid, "EV-3");
    s_refused(c->td, "tendering.evaluator.declare", &dq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, "evaluator_id", NULL);
    uint32_t pts[3] = {100, 100, 100};
    Tendering__Score sc;
    Tendering__ScoreRequest sq = s_score_req(ocid, &sc, pts, "EV-2", bids[1]);
    s_refused(c->td, "tendering.score", &sq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, NULL, NULL);
    sq = s_score_req(ocid, &sc, pts, "EV-3", bids[1]);
    s_refused(c->td, "tendering.score", &sq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, NULL, NULL);
    Tendering__DeclareRequest rq = s_recuse_req(ocid, "EV-2", "再次回避");
    s_refused(c->td, "tendering.evaluator.recuse", &rq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__ALREADY_EXISTS, "evaluator_id", NULL);
    rq = s_recuse_req(ocid, "EV-9", "不在评审组");
    s_refused(c->td, "tendering.evaluator.recuse", &rq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__NOT_FOUND, "evaluator_id", NULL);
    /* the refusals changed nothing */
    hub_arena_reset(c->a);
    p = s_get(c->td, c->a, ocid);
    assert_int_equal(p->n_scores, 2);
    const Tendering__Evaluator *e2 = s_evaluator_of(p, "EV-2");
    assert_non_null(e2);
    assert_true(e2->recused);
    assert_false(e2->declared);
    assert_string_equal(e2->recusal_reason, "与投标人负责人存在亲属关系，主动回避");
    er = s_evaluation(c, ocid);
    s_ranking_is(er, 2, (const char *const[]){bids[0], bids[1]}, (const uint32_t[]){9000, 6000}, 1);

    /* the award goes through, to the first ranked now */
    p = s_award_activate(c, ocid, NULL);
    assert_string_equal(p->award->bid_id, bids[0]);
    assert_string_equal(p->award->org_id, "ORG-A");
    assert_int_equal(p->award->value_fen, 4000000);
    ev_t *evs;
    size_t n = s_events(c, NULL, &evs), recused = 0;
    for (size_t i = 0; i < n; i++) recused += !strcmp(evs[i].topic, "tendering.evaluator.recused");
    assert_int_equal(recused, 2);
    s_close(c);
}

/* ---- 14. a bid not ranked first is awarded only with a reason ---- */
static void test_award_not_first_needs_reason(void **state)
{
    ctx_t *c = s_open(state);
    s_three_orgs(c);
    char ocid[64], bids[2][32];
    s_to_evaluation(c, 0, NULL, NULL, 5000000, 4000000, ocid, bids);
    s_add_evaluator(c, ocid, "EV-1", "陈评审", NULL);
    s_declare(c, ocid, "EV-1");
    s_score(c, ocid, "EV-1", bids[0], 90, 90, 90);
    s_score(c, ocid, "EV-1", bids[1], 60, 60, 60);
    Tendering__EvaluationReply *er = s_evaluation(c, ocid);
    assert_true(er->complete);
    s_ranking_is(er, 2, (const char *const[]){bids[0], bids[1]}, (const uint32_t[]){9000, 6000}, 1);
    /* B is second: no reason, no award */
    Tendering__AwardRequest aw = TENDERING__AWARD_REQUEST__INIT;
    aw.ocid = ocid;
    aw.bid_id = bids[1];
    s_refused(c->td, "tendering.award", &aw.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "reason", NULL);
    Tendering__Process *p = s_get(c->td, c->a, ocid);
    assert_int_equal(p->state, TENDERING__STATE__EVALUATION);
    assert_null(p->award);
    /* with a reason: awarded, the reason kept */
    static const char reason[] = "第一名承接能力核查未通过，按评审委员会意见授予第二名";
    aw.reason = (char *)reason;
    p = s_proc(c->td, c->a, "tendering.award", &aw.base);
    assert_int_equal(p->state, TENDERING__STATE__AWARD_PENDING);
    assert_non_null(p->award);
    assert_string_equal(p->award->bid_id, bids[1]);
    assert_string_equal(p->award->org_id, "ORG-B");
    assert_int_equal(p->award->value_fen, 4001000);
    assert_string_equal(p->award->reason, reason);
    hub_arena_reset(c->a);
    p = s_get(c->td, c->a, ocid);
    assert_non_null(p->award);
    assert_string_equal(p->award->reason, reason);
    Tendering__GetRequest g = TENDERING__GET_REQUEST__INIT;
    g.ocid = ocid;
    p = s_proc(c->td, c->a, "tendering.award.activate", &g.base);
    assert_int_equal(p->award->status, TENDERING__AWARD_STATUS__AWARD_ACTIVE);
    assert_string_equal(p->award->reason, reason);
    /* the public event says why too */
    ev_t *evs;
    size_t n = s_events(c, NULL, &evs), pending = 0;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(evs[i].topic, "tendering.award.pending")) {
            pending++;
            assert_string_equal(evs[i].award_reason, reason);
        }
    assert_int_equal(pending, 1);
    s_close(c);
}

/* ---- 15. the public view (events) against the operator's (a trusted local peer) ---- */
static void test_public_and_operator_views(void **state)
{
    ctx_t *c = s_open(state);
    s_three_orgs(c);
    char ocid[64], bid_a[32], bid_b[32], bid_c[32];
    s_create(c, s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL), ocid);
    s_publish(c, ocid, hub_now_ms() + PERIOD_MS);
    /* A's bid carries a document */
    Tendering__SubmitBidRequest sq = s_bid_req(ocid, "ORG-A", 4000000);
    Tendering__Document *docs[1] = {s_doc(c->a, "BIDDOC-1", "服务方案", "submissionDocuments")};
    sq.documents = docs;
    sq.n_documents = 1;
    Tendering__BidReply *r = s_ok(c->td, "tendering.bid.submit", &sq.base, &tendering__bid_reply__descriptor, c->a);
    snprintf(bid_a, sizeof bid_a, "%s", r->bid->id);
    s_bid(c, ocid, "ORG-B", 4500000, bid_b);
    s_bid(c, ocid, "ORG-C", 4200000, bid_c);
    Tendering__BidRequest wq = TENDERING__BID_REQUEST__INIT;
    wq.ocid = ocid;
    wq.bid_id = bid_c;
    s_ok(c->td, "tendering.bid.withdraw", &wq.base, &tendering__bid_reply__descriptor, c->a);
    Tendering__Process *p = s_wait_state(c, ocid, TENDERING__STATE__EVALUATION);

    /* opened: the operator sees the valid bids whole; of the withdrawn one
     * nothing of its content is kept (its org and price: see the events) */
    assert_int_equal(p->n_bids, 3);
    assert_int_equal(p->bid_count, 2);
    for (size_t i = 0; i < p->n_bids; i++) {
        const Tendering__Bid *b = p->bids[i];
        if (!strcmp(b->id, bid_c)) {
            assert_int_equal(b->state, TENDERING__BID_STATE__BID_WITHDRAWN);
            if (b->proposal[0] || b->n_documents)
                fail_msg("the withdrawn bid %s shows proposal \"%s\", %zu documents", b->id, b->proposal, b->n_documents);
        } else if (!strcmp(b->id, bid_a)) {
            assert_string_equal(b->org_id, "ORG-A");
            assert_int_equal(b->price_fen, 4000000);
            assert_string_equal(b->proposal, sq.proposal);
            assert_int_equal(b->n_documents, 1);
        }
    }

    /* the panel works; the operator sees it whole */
    s_add_evaluator(c, ocid, "EV-1", "陈评审", "ORG-X");
    s_add_evaluator(c, ocid, "EV-2", "林评审", NULL);
    s_declare(c, ocid, "EV-1");
    s_declare(c, ocid, "EV-2");
    s_score(c, ocid, "EV-1", bid_a, 90, 80, 70);  /* 83.00 */
    s_score(c, ocid, "EV-2", bid_a, 80, 80, 80);  /* 80.00 -> 81.50 */
    s_score(c, ocid, "EV-1", bid_b, 70, 70, 70);  /* 70.00 */
    s_score(c, ocid, "EV-2", bid_b, 60, 90, 50);  /* 67.00 -> 68.50 */
    hub_arena_reset(c->a);
    p = s_get(c->td, c->a, ocid);
    assert_int_equal(p->n_evaluators, 2);
    const Tendering__Evaluator *e1 = s_evaluator_of(p, "EV-1");
    assert_non_null(e1);
    assert_int_equal(e1->n_affiliations, 1);
    assert_string_equal(e1->affiliations[0], "ORG-X");
    assert_int_equal(p->n_scores, 4);
    for (size_t i = 0; i < p->n_bids; i++) {
        const Tendering__Bid *b = p->bids[i];
        uint32_t centi = !strcmp(b->id, bid_a) ? 8150 : !strcmp(b->id, bid_b) ? 6850 : 0;
        uint32_t rank = !strcmp(b->id, bid_a) ? 1 : !strcmp(b->id, bid_b) ? 2 : 0;
        if (b->total_centi != centi || b->rank != rank)
            fail_msg("operator view: bid %s total %u rank %u, expected %u rank %u", b->id, b->total_centi, b->rank,
                     centi, rank);
    }
    /* the first ranked, named, needs no reason */
    Tendering__AwardRequest aw = TENDERING__AWARD_REQUEST__INIT;
    aw.ocid = ocid;
    aw.bid_id = bid_a;
    p = s_proc(c->td, c->a, "tendering.award", &aw.base);
    assert_int_equal(p->state, TENDERING__STATE__AWARD_PENDING);
    assert_string_equal(p->award->bid_id, bid_a);
    assert_string_equal(p->award->reason, "");

    /* the public view: what the events carry */
    static const char *const secrets[] = {"每日午餐配送", "BIDDOC-1", "ORG-X", "ORG-C", NULL};
    ev_t *evs;
    size_t n = s_events(c, secrets, &evs), scored = 0, declared = 0, pending = 0, withdrawn_listed = 0;
    for (size_t i = 0; i < n; i++) {
        const ev_t *e = &evs[i];
        if (strcmp(e->ocid, ocid)) continue;
        if (e->leak) fail_msg("event %llu (%s) carries a proposal, a bid document, an affiliation or the withdrawn bidder",
                              (unsigned long long)e->seq, e->topic);
        if (e->proposals) fail_msg("event %llu (%s) carries a proposal", (unsigned long long)e->seq, e->topic);
        if (e->affiliations) fail_msg("event %llu (%s) carries an affiliation", (unsigned long long)e->seq, e->topic);
        if (e->withdrawn_named)
            fail_msg("event %llu (%s) names the withdrawn bid's org or price", (unsigned long long)e->seq, e->topic);
        if (e->n_withdrawn) withdrawn_listed++;
        if (e->state == TENDERING__STATE__EVALUATION &&
            (e->n_evaluators || e->n_scores || e->totals))
            fail_msg("event %llu (%s) during the evaluation shows the panel: %zu evaluators, %zu scores, totals %d",
                     (unsigned long long)e->seq, e->topic, e->n_evaluators, e->n_scores, e->totals);
        scored += !strcmp(e->topic, "tendering.bid.scored");
        declared += !strcmp(e->topic, "tendering.evaluator.declared");
        if (!strcmp(e->topic, "tendering.award.pending")) {
            pending++;
            if (e->n_evaluators != 2 || e->n_scores != 4 || !e->totals)
                fail_msg("the award.pending event shows %zu evaluators, %zu scores, totals %d; expected 2, 4, 1",
                         e->n_evaluators, e->n_scores, e->totals);
        }
    }
    assert_int_equal(scored, 4);
    assert_int_equal(declared, 2);
    assert_int_equal(pending, 1);
    assert_true(withdrawn_listed >= 8); /* the checks on the withdrawn bid were not vacuous */
    s_close(c);
}

/* ---- 16. at most three bids of one organization to one tender; a withdrawn bid's proposal is gone ---- */
static void test_bid_submissions_capped(void **state)
{
    ctx_t *c = s_open(state);
    s_three_orgs(c);
    char ocid[64], ids[3][32], bid_b[32];
    s_create(c, s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL), ocid);
    int64_t end = hub_now_ms() + 2 * PERIOD_MS;
    s_publish(c, ocid, end);
    Tendering__Document *docs[1] = {s_doc(c->a, "BIDDOC-1", "服务方案", "submissionDocuments")};
    Tendering__BidRequest wq = TENDERING__BID_REQUEST__INIT;
    wq.ocid = ocid;
    for (int i = 0; i < 3; i++) {
        Tendering__SubmitBidRequest sq = s_bid_req(ocid, "ORG-A", 4000000 + i);
        sq.documents = docs;
        sq.n_documents = 1;
        Tendering__BidReply *r = s_ok(c->td, "tendering.bid.submit", &sq.base, &tendering__bid_reply__descriptor, c->a);
        snprintf(ids[i], sizeof ids[i], "%s", r->bid->id);
        if (i == 2) { /* the third is valid: a fourth is refused as a second valid bid */
            Tendering__SubmitBidRequest again = s_bid_req(ocid, "ORG-A", 3900000);
            s_refused(c->td, "tendering.bid.submit", &again.base, &tendering__bid_reply__descriptor,
                      HUB__ERROR_CODE__ALREADY_EXISTS, "org_id", NULL);
        }
        wq.bid_id = ids[i];
        s_ok(c->td, "tendering.bid.withdraw", &wq.base, &tendering__bid_reply__descriptor, c->a);
    }
    /* three submitted, all withdrawn: the fourth is one too many */
    Tendering__SubmitBidRequest sq = s_bid_req(ocid, "ORG-A", 3800000);
    s_refused(c->td, "tendering.bid.submit", &sq.base, &tendering__bid_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, "org_id", NULL);
    s_bid(c, ocid, "ORG-B", 4500000, bid_b); /* another organization is not held up */
    if (hub_now_ms() >= end) fail_msg("the period ended before the bids were in (too slow)");
    Tendering__Process *p = s_wait_state(c, ocid, TENDERING__STATE__EVALUATION);
    assert_int_equal(p->n_bids, 4);
    assert_int_equal(p->bid_count, 1);

    /* opened: the withdrawn bids' proposals and documents are gone, even for the operator */
    Tendering__BidRequest gq = TENDERING__BID_REQUEST__INIT;
    gq.ocid = ocid;
    for (int i = 0; i < 3; i++) {
        gq.bid_id = ids[i];
        Tendering__BidReply *br = s_ok(c->td, "tendering.bid.get", &gq.base, &tendering__bid_reply__descriptor, c->a);
        assert_int_equal(br->bid->state, TENDERING__BID_STATE__BID_WITHDRAWN);
        if (br->bid->proposal[0] || br->bid->n_documents)
            fail_msg("withdrawn bid %s: proposal \"%s\", %zu documents", ids[i], br->bid->proposal, br->bid->n_documents);
    }
    gq.bid_id = bid_b;
    Tendering__BidReply *br = s_ok(c->td, "tendering.bid.get", &gq.base, &tendering__bid_reply__descriptor, c->a);
    assert_string_equal(br->bid->proposal, sq.proposal); /* a valid bid's proposal is there */
    for (size_t i = 0; i < p->n_bids; i++)
        if (p->bids[i]->state == TENDERING__BID_STATE__BID_WITHDRAWN && (p->bids[i]->proposal[0] || p->bids[i]->n_documents))
            fail_msg("tender.get: withdrawn bid %s shows proposal \"%s\", %zu documents", p->bids[i]->id,
                     p->bids[i]->proposal, p->bids[i]->n_documents);
    /* the public view (events) names none of the withdrawn bids */
    ev_t *evs;
    size_t n = s_events(c, NULL, &evs), listed = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(evs[i].ocid, ocid)) continue;
        if (evs[i].withdrawn_named || evs[i].proposals)
            fail_msg("event %llu (%s) names a withdrawn bid or carries a proposal", (unsigned long long)evs[i].seq,
                     evs[i].topic);
        if (evs[i].state == TENDERING__STATE__EVALUATION && evs[i].n_withdrawn == 3) listed++;
    }
    assert_true(listed >= 1); /* the close's event lists them, opened */
    s_close(c);
}

/* ---- 17. a bidder suspended before the close is disqualified at the close ---- */
static void test_suspended_bidder_disqualified_at_close(void **state)
{
    ctx_t *c = s_open(state);
    s_three_orgs(c);
    uint64_t ineligible0 = s_counter(s_status(c->td, c->scratch), "bids_ineligible_at_close_total");
    char shared[64], alone[64], bid_a[32], bid_c[32], bid_c2[32];
    s_create(c, s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL), shared);
    s_create(c, s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL), alone);
    int64_t end = hub_now_ms() + 2 * PERIOD_MS;
    s_publish(c, shared, end);
    s_publish(c, alone, end);
    s_bid(c, shared, "ORG-A", 4200000, bid_a);
    s_bid(c, shared, "ORG-C", 4000000, bid_c);
    s_bid(c, alone, "ORG-C", 4000000, bid_c2);
    /* C is suspended in matching while the period runs */
    Matching__MembershipRequest mq = MATCHING__MEMBERSHIP_REQUEST__INIT;
    mq.id = "ORG-C";
    mq.membership = MATCHING__MEMBERSHIP__SUSPENDED;
    mq.reason = "年检未通过";
    s_ok(c->mt, "matching.org.membership", &mq.base, &matching__organization_reply__descriptor, c->a);
    s_org_wait(c, "ORG-C", MATCHING__MEMBERSHIP__SUSPENDED);
    Tendering__Process *p = s_get(c->td, c->a, shared);
    if (hub_now_ms() >= end || p->state != TENDERING__STATE__ACTIVE)
        fail_msg("tendering learned of the suspension only after the close (too slow): %s", s_state_name(p->state));
    assert_int_equal(p->bid_count, 2); /* still counted until the close */

    /* the close: C's bids are out, the tender with A goes on */
    p = s_wait_state(c, shared, TENDERING__STATE__EVALUATION);
    assert_int_equal(p->bid_count, 1);
    static const char prefix[] = "no longer eligible at the close";
    for (size_t i = 0; i < p->n_bids; i++) {
        const Tendering__Bid *b = p->bids[i];
        if (!strcmp(b->id, bid_c)) {
            assert_int_equal(b->state, TENDERING__BID_STATE__BID_DISQUALIFIED);
            if (strncmp(b->disqualified_reason, prefix, strlen(prefix)))
                fail_msg("bid %s disqualified with \"%s\"", b->id, b->disqualified_reason);
        } else {
            assert_string_equal(b->id, bid_a);
            assert_int_equal(b->state, TENDERING__BID_STATE__BID_VALID);
        }
    }
    /* ... and the one where C was the only bidder is unsuccessful */
    p = s_wait_state(c, alone, TENDERING__STATE__UNSUCCESSFUL);
    assert_int_equal(p->bid_count, 0);
    assert_int_equal(p->n_bids, 1);
    assert_string_equal(p->bids[0]->id, bid_c2);
    assert_int_equal(p->bids[0]->state, TENDERING__BID_STATE__BID_DISQUALIFIED);
    if (strncmp(p->bids[0]->disqualified_reason, prefix, strlen(prefix)))
        fail_msg("bid %s disqualified with \"%s\"", bid_c2, p->bids[0]->disqualified_reason);
    hub_arena_reset(c->scratch);
    uint64_t ineligible = s_counter(s_status(c->td, c->scratch), "bids_ineligible_at_close_total");
    if (ineligible != ineligible0 + 2)
        fail_msg("bids_ineligible_at_close_total went from %llu to %llu; expected +2", (unsigned long long)ineligible0,
                 (unsigned long long)ineligible);
    /* the evaluation goes on with A */
    s_add_evaluator(c, shared, "EV-1", "陈评审", NULL);
    s_declare(c, shared, "EV-1");
    s_score(c, shared, "EV-1", bid_a, 80, 80, 80);
    Tendering__EvaluationReply *er = s_evaluation(c, shared);
    assert_true(er->complete);
    s_ranking_is(er, 1, (const char *const[]){bid_a}, (const uint32_t[]){8000}, 1);
    p = s_award_activate(c, shared, NULL);
    assert_string_equal(p->award->bid_id, bid_a);
    s_close(c);
}

/* ---- 18. the donation box's accounts' names are not funders' ids ---- */
static void test_reserved_ids_refused(void **state)
{
    ctx_t *c = s_open(state);
    const ProtobufCMessageDescriptor *pd = &tendering__process_reply__descriptor;
    static const char *const reserved[] = {"donations", "donors"};
    for (int i = 0; i < 2; i++) {
        Tendering__ContributeRequest kq = TENDERING__CONTRIBUTE_REQUEST__INIT;
        kq.funder_id = (char *)reserved[i];
        kq.funder_name = "冒名出资方";
        kq.amount_fen = 100000;
        s_refused(c->td, "tendering.funds.contribute", &kq.base, &tendering__contribute_reply__descriptor,
                  HUB__ERROR_CODE__INVALID_ARGUMENT, "funder_id", NULL);
        Tendering__Process *d = s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL);
        d->buyer_id = (char *)reserved[i];
        Tendering__CreateRequest cq = TENDERING__CREATE_REQUEST__INIT;
        cq.process = d;
        s_refused(c->td, "tendering.tender.create", &cq.base, pd, HUB__ERROR_CODE__INVALID_ARGUMENT, "process.buyer_id",
                  NULL);
        const char *fids[2] = {"F-A", reserved[i]};
        static const int64_t shares[2] = {600000, 400000};
        cq.process = s_draft(c->a, TENDERING__KIND__VENTURE, 0, 2, fids, shares);
        s_refused(c->td, "tendering.tender.create", &cq.base, pd, HUB__ERROR_CODE__INVALID_ARGUMENT, "process.funders[1].id",
                  NULL);
    }
    /* nothing was recorded; an id merely containing the word is fine */
    Tendering__ListRequest lq = TENDERING__LIST_REQUEST__INIT;
    Tendering__ListReply *lr = s_ok(c->td, "tendering.tender.list", &lq.base, &tendering__list_reply__descriptor, c->a);
    assert_int_equal(lr->n_processes, 0);
    Tendering__BalanceReply *b = s_reconciled(c->td, c->a);
    assert_int_equal(b->entries, 0);
    s_contribute(c, "donations-2027", 100000);
    b = s_reconciled(c->td, c->a);
    assert_int_equal(b->entries, 1);
    assert_int_equal(s_bal(b, "fund:donations"), 0);
    assert_int_equal(s_bal(b, "contrib:donors"), 0);
    assert_int_equal(s_bal(b, "fund:donations-2027"), 100000);
    s_status(c->td, c->a);
    s_close(c);
}

/* ---- 19. a process's record is capped at 512 KiB; refusals leave it usable ---- */
#define RECORD_CAP (512u << 10) /* bytes of one process record */
#define ANSWER_MAX 8192          /* bytes of an enquiry's answer */
static void test_process_size_capped(void **state)
{
    ctx_t *c = s_open(state);
    char ocid[64];
    s_create(c, s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL), ocid);
    s_publish(c, ocid, hub_now_ms() + 3600 * 1000);
    char *text = s_new(c->a, ANSWER_MAX + 2);
    Tendering__EnquiryRequest eq = TENDERING__ENQUIRY_REQUEST__INIT;
    eq.ocid = ocid;
    eq.text = text;
    /* a question is at most 1000 bytes */
    memset(text, 'q', 1001);
    text[1001] = 0;
    s_refused(c->td, "tendering.enquiry.ask", &eq.base, &tendering__process_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "text", NULL);
    s_status(c->td, c->scratch);
    /* 1000-byte questions until refused: the count caps them (200) */
    text[1000] = 0;
    size_t asked = 0;
    hub_error_t err;
    for (;;) {
        text[0] = (char)('A' + asked % 26);
        int rc = s_try(c->td, "tendering.enquiry.ask", &eq.base, &tendering__process_reply__descriptor, &err);
        if (rc) break;
        if (++asked > 1000) fail_msg("1000 questions of 1000 bytes were taken");
    }
    if (err.code != HUB__ERROR_CODE__RESOURCE_EXHAUSTED)
        fail_msg("question %zu: %s field \"%s\": %s", asked + 1, hub_error_code_name(err.code), err.field, err.message);
    assert_int_equal(asked, 200);
    hub_arena_reset(c->scratch);
    s_status(c->td, c->scratch);
    /* 8 KiB answers until the record would be over 512 KiB */
    hub_arena_reset(c->a);
    Tendering__Process *p = s_get(c->td, c->a, ocid);
    assert_int_equal(p->n_enquiries, 200);
    char enq[200][32];
    for (size_t i = 0; i < 200; i++) snprintf(enq[i], sizeof enq[i], "%s", p->enquiries[i]->id);
    text = s_new(c->a, ANSWER_MAX + 1);
    memset(text, 'a', ANSWER_MAX);
    text[ANSWER_MAX] = 0;
    eq.text = text;
    size_t answered = 0;
    for (; answered < 200; answered++) {
        eq.enquiry_id = enq[answered];
        text[0] = (char)('A' + answered % 26);
        if (s_try(c->td, "tendering.enquiry.answer", &eq.base, &tendering__process_reply__descriptor, &err)) break;
    }
    if (answered == 200) fail_msg("200 answers of 8 KiB (1.6 MiB) were taken");
    if (err.code != HUB__ERROR_CODE__RESOURCE_EXHAUSTED)
        fail_msg("answer %zu: %s field \"%s\": %s", answered + 1, hub_error_code_name(err.code), err.field, err.message);
    /* about 512 KiB of 200 questions and 8 KiB answers */
    if (answered < 30 || answered > (RECORD_CAP - 200 * 1000) / ANSWER_MAX)
        fail_msg("refused at answer %zu: not where a 512 KiB record ends", answered + 1);
    hub_arena_reset(c->scratch);
    s_status(c->td, c->scratch);

    /* still readable, unchanged by the refusal, under the cap */
    hub_arena_reset(c->a);
    p = s_get(c->td, c->a, ocid);
    assert_int_equal(p->state, TENDERING__STATE__ACTIVE);
    assert_int_equal(p->n_enquiries, 200);
    for (size_t i = 0; i < 200; i++)
        if ((i < answered) != (p->enquiries[i]->answer[0] != 0))
            fail_msg("enquiry %zu of %zu answered: \"%.20s\"", i + 1, answered, p->enquiries[i]->answer);
    size_t size = tendering__process__get_packed_size(p);
    if (size > RECORD_CAP || size + ANSWER_MAX + 64 < RECORD_CAP)
        fail_msg("the process is %zu bytes after the refusal", size);
    /* ... and usable: it can still be cancelled */
    Tendering__CancelRequest cq = TENDERING__CANCEL_REQUEST__INIT;
    cq.ocid = ocid;
    cq.reason = "问题过多，重新组织招标";
    p = s_proc(c->td, c->a, "tendering.tender.cancel", &cq.base);
    assert_int_equal(p->state, TENDERING__STATE__CANCELLED);
    hub_arena_reset(c->a);
    p = s_get(c->td, c->a, ocid);
    assert_int_equal(p->state, TENDERING__STATE__CANCELLED);
    assert_string_equal(p->cancel_reason, cq.reason);
    assert_true(s_alive(&c->t->td));
    s_status(c->td, c->scratch);
    s_close(c);
}

/* ---- 20. documents: ids given, the OCDS codelist, bid documents' urls ---- */
static void test_documents(void **state)
{
    ctx_t *c = s_open(state);
    s_three_orgs(c);
    const ProtobufCMessageDescriptor *pd = &tendering__process_reply__descriptor;
    /* documents without an id get DOC-01, DOC-02 (and a date when they have none) */
    Tendering__Process *d = s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL);
    Tendering__Document *docs[2] = {s_doc(c->a, "", "招标公告", "tenderNotice"), s_doc(c->a, "", "技术规格", "")};
    docs[1]->date_ms = 0;
    d->documents = docs;
    d->n_documents = 2;
    char ocid[64];
    Tendering__Process *p = s_create(c, d, ocid);
    assert_int_equal(p->n_documents, 2);
    assert_string_equal(p->documents[0]->id, "DOC-01");
    assert_string_equal(p->documents[1]->id, "DOC-02");
    assert_string_equal(p->documents[0]->document_type, "tenderNotice");
    assert_true(p->documents[1]->date_ms > 0);
    /* an id already taken is replaced by the first free one */
    Tendering__Document *docs2[2] = {s_doc(c->a, "DOC-02", "技术规格", "technicalSpecifications"),
                                     s_doc(c->a, "", "评分细则", "evaluationCriteria")};
    d = s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL);
    d->ocid = ocid;
    d->documents = docs2;
    d->n_documents = 2;
    Tendering__UpdateRequest uq = TENDERING__UPDATE_REQUEST__INIT;
    uq.process = d;
    p = s_proc(c->td, c->a, "tendering.tender.update", &uq.base);
    assert_int_equal(p->n_documents, 2);
    assert_string_equal(p->documents[0]->id, "DOC-02");
    assert_string_equal(p->documents[1]->id, "DOC-03");
    /* a document type not in OCDS's codelist */
    d = s_draft(c->a, TENDERING__KIND__PURCHASE, 5000000, 0, NULL, NULL);
    d->documents[0]->document_type = "tenderDocs";
    Tendering__CreateRequest cq = TENDERING__CREATE_REQUEST__INIT;
    cq.process = d;
    s_refused(c->td, "tendering.tender.create", &cq.base, pd, HUB__ERROR_CODE__INVALID_ARGUMENT,
              "process.documents[0].document_type", "documentType");
    /* an amendment's document without an id: the next free one */
    s_publish(c, ocid, hub_now_ms() + 3600 * 1000);
    Tendering__Document *adocs[1] = {s_doc(c->a, "", "补充说明", "clarifications")};
    Tendering__AmendRequest am = TENDERING__AMEND_REQUEST__INIT;
    am.ocid = ocid;
    am.rationale = "补充服务标准";
    am.documents = adocs;
    am.n_documents = 1;
    p = s_proc(c->td, c->a, "tendering.tender.amend", &am.base);
    assert_int_equal(p->n_documents, 3);
    assert_string_equal(p->documents[2]->id, "DOC-04"); /* DOC-03, its position, is taken */
    adocs[0] = s_doc(c->a, "", "补充说明二", "tenderDocs");
    s_refused(c->td, "tendering.tender.amend", &am.base, pd, HUB__ERROR_CODE__INVALID_ARGUMENT,
              "documents[0].document_type", NULL);
    /* a bid's document with a bad url */
    static const char *const bad_urls[] = {"ftp://hub.example.org/a.pdf", "https://", "not a url", ""};
    Tendering__SubmitBidRequest sq = s_bid_req(ocid, "ORG-A", 4000000);
    Tendering__Document *bdocs[2] = {s_doc(c->a, "B-1", "服务方案", "submissionDocuments"),
                                     s_doc(c->a, "B-2", "资质证明", "")};
    sq.documents = bdocs;
    sq.n_documents = 2;
    for (int i = 0; i < 4; i++) {
        bdocs[0]->url = (char *)bad_urls[i];
        s_refused(c->td, "tendering.bid.submit", &sq.base, &tendering__bid_reply__descriptor,
                  HUB__ERROR_CODE__INVALID_ARGUMENT, "documents[0].url", NULL);
    }
    bdocs[0]->url = "https://hub.example.org/docs/B-1.pdf";
    bdocs[1]->document_type = "tenderDocs";
    s_refused(c->td, "tendering.bid.submit", &sq.base, &tendering__bid_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "documents[1].document_type", NULL);
    bdocs[1]->document_type = "";
    Tendering__BidReply *br = s_ok(c->td, "tendering.bid.submit", &sq.base, &tendering__bid_reply__descriptor, c->a);
    assert_int_equal(br->bid->n_documents, 2);
    p = s_get(c->td, c->a, ocid);
    assert_int_equal(p->bid_count, 1);
    assert_int_equal(p->n_documents, 3);
    s_close(c);
}

int main(void)
{
    s_zctx = zmq_ctx_new();
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_tender_to_closure, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_sealed_bids, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_late_bid_refused, s_setup_slow_timer, s_teardown),
        cmocka_unit_test_setup_teardown(test_bid_after_close_names_state, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_deadline_after_restart, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_evaluator_conflict_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_payment_over_value_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_sign_above_award_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_kill9_ledger_consistent, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_venture_split, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_illegal_transitions_name_state, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_donation_box_disclosure, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_refusals_counted, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_recusal, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_award_not_first_needs_reason, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_public_and_operator_views, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bid_submissions_capped, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_suspended_bidder_disqualified_at_close, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_reserved_ids_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_process_size_capped, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_documents, s_setup, s_teardown),
    };
    /* the context is not terminated: a failed test may leave a socket open */
    return cmocka_run_group_tests_name("it_tendering", tests, NULL, NULL);
}
