/* Unit tests for reporting's domain (services/reporting/report.c): a
 * scripted history of hub.Event values (intake, matching, tendering, funds,
 * notification) is applied with rep_apply to an LMDB store in a mkdtemp
 * directory, and rep_query's tables are checked exactly against report.h's
 * contract: requests by every grouping, nearest-rank percentiles, events in
 * the "wrong" order, outcomes, unmet demand, workload (organizations named,
 * volunteers never), opinions, funds, disclosures, tenders, deliveries, the
 * summary, CST date ranges, public suppression, replay without double
 * counting, no personal data in the store, bad input and rep_period; and
 * a city's districts: the same request id in three districts kept apart,
 * figures per district, by district and for the city, and the dashboard's
 * GET /api/figures?district= over the same store (a real HTTP server:
 * rep_dash); participation in activities and opinions per policy topic
 * (links moving them) down to the yearly report's "what residents and
 * organizations told us", and the store migration that counts older
 * opinions by policy topic. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <ftw.h>
#include <jansson.h>
#include <lmdb.h>
#include <zmq.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dash.h"
#include "hub_store.h"
#include "hub_util.h"
#include "hub_wire.h"
#include "intake.pb-c.h"
#include "matching.pb-c.h"
#include "notification.pb-c.h"
#include "dash.h"
#include "html.h"
#include "report.h"
#include "reporting.pb-c.h"
#include "tendering.pb-c.h"

/* A string literal as the char * protobuf-c fields hold (never written). */
#define S(x) ((char *)(x))

#define MIN 60000LL
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
#define D2_UTC 1772380800000LL /* 2026-03-02 00:00 CST = 2026-03-01 16:00 UTC */

/* Personal data put into the events: none of it may reach the store. */
#define PII_NAME "王阿姨"
#define PII_PHONE "13800000000"
#define PII_EMAIL "wangayi@example.com"
#define PII_ADDR "中山西路100号3单元501"
#define PII_DESC "腿脚不便需要上门助餐"
#define PII_NOTE "女儿代为来电"
#define VOL_NAME "张小红"
#define VOL_PHONE "13900000000"
#define OP_AUTHOR "赵先生"
#define OP_TEXT "路灯坏了很久"
#define DONOR "钱老板"
#define REG_NAME "李大伯"
#define REG_PHONE "13700000000"
#define REG_EMAIL "lidabo@example.com"
#define MINUTES "听证会纪要：与会居民反映噪声扰民"
static const char *const PII[] = {PII_NAME, PII_PHONE, PII_EMAIL, PII_ADDR, PII_DESC, PII_NOTE,
                                  VOL_NAME, VOL_PHONE, OP_AUTHOR, OP_TEXT, DONOR, REG_NAME,
                                  REG_PHONE, REG_EMAIL, MINUTES, NULL};

#define ORG1_NAME "海曙区阳光社工服务中心"

enum { RES = INTAKE__REQUESTER_KIND__RESIDENT, ORGK = INTAKE__REQUESTER_KIND__ORGANIZATION,
       ENT = INTAKE__REQUESTER_KIND__ENTERPRISE };
enum { ORG = MATCHING__PROVIDER_KIND__ORGANIZATION, VOL = MATCHING__PROVIDER_KIND__VOLUNTEER };
enum { GOT_HELP = MATCHING__OUTCOME__GOT_HELP, NO_CONTACT = MATCHING__OUTCOME__COULD_NOT_CONTACT };

/* 2026-m-d h:mi CST in unix ms. */
static int64_t T(int m, int d, int h, int mi) { return rep_date_ms(2026, m, d) + h * HOUR + mi * MIN; }

/* ------------------------------------------------------------ fixture */

static const char *const NAMES[] = {"facts", "by_day", "counts", "tenders", "disclosures", "names", "activities", NULL};

typedef struct {
    char dir[64];
    hub_store_t *st;
    rep_dbs_t db;
    hub_arena_t *ev_arena;   /* decoded payloads, reset per event */
    hub_arena_t *q_arena;    /* query replies, kept for the test */
    MDB_txn *txn;            /* the open write transaction, if any */
    bool per_event;          /* commit after every event */
    bool digest;             /* digest each event first (rep_digest, as the feed thread does) */
    uint64_t seq;
    int64_t count_from, count_to;   /* events applied with time_ms in here ... */
    int64_t counted;                /* ... are counted here */
    const char *district;           /* events applied as this district's (NULL: rep_apply, local) */
} fx_t;

#define N_FX 3
typedef struct {
    fx_t fx[N_FX];
} state_t;

static int s_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static int s_setup(void **state)
{
    *state = calloc(1, sizeof(state_t));
    return *state ? 0 : -1;
}

static int s_teardown(void **state)
{
    state_t *s = *state;
    int rc = 0;
    for (int i = 0; i < N_FX; i++) {
        fx_t *fx = &s->fx[i];
        if (!fx->st) continue;
        if (fx->txn) mdb_txn_abort(fx->txn);
        hub_store_close(&fx->st);
        hub_arena_destroy(&fx->ev_arena);
        hub_arena_destroy(&fx->q_arena);
        if (nftw(fx->dir, s_rm, 16, FTW_DEPTH | FTW_PHYS)) rc = -1;
    }
    free(s);
    return rc;
}

/* Store i of the test, opened (empty) on first use. */
static fx_t *s_fx(void **state, int i)
{
    fx_t *fx = &((state_t *)*state)->fx[i];
    if (fx->st) return fx;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/hub-unit-report-XXXXXX");
    if (!mkdtemp(fx->dir)) fail_msg("mkdtemp");
    hub_error_t err = {0};
    fx->st = hub_store_open(fx->dir, 64u << 20, NAMES, &err);
    if (!fx->st) fail_msg("hub_store_open: %s", err.message);
    assert_int_equal(fx->st->n_dbs, 7);
    fx->db = (rep_dbs_t){fx->st->dbs[0], fx->st->dbs[1], fx->st->dbs[2], fx->st->dbs[3],
                         fx->st->dbs[4], fx->st->dbs[5], fx->st->dbs[6], NULL, NULL};
    fx->ev_arena = hub_arena_new(16u << 20);
    fx->q_arena = hub_arena_new(256u << 20);
    assert_non_null(fx->ev_arena);
    assert_non_null(fx->q_arena);
    return fx;
}

static void s_commit(fx_t *fx)
{
    if (!fx->txn) return;
    if (fx->db.acc) assert_int_equal(rep_acc_flush(fx->db.acc, fx->txn, &fx->db), 0);
    assert_int_equal(mdb_txn_commit(fx->txn), 0);
    fx->txn = NULL;
}

static void s_abort(fx_t *fx)
{
    if (fx->db.acc) rep_acc_clear(fx->db.acc);
    if (fx->txn) mdb_txn_abort(fx->txn);
    fx->txn = NULL;
}

/* ------------------------------------------------------------- events */

/* Applies one event of raw payload bytes; returns rep_apply's result. */
static int s_apply_raw(fx_t *fx, const char *topic, int64_t t, const void *p, size_t n, int *mdb_rc,
                       hub_error_t *err)
{
    if (!fx->txn) assert_int_equal(mdb_txn_begin(fx->st->env, NULL, 0, &fx->txn), 0);
    const char *source = !strncmp(topic, "intake.", 7)         ? "intake"
                         : !strncmp(topic, "matching.", 9)     ? "matching"
                         : !strncmp(topic, "notification.", 13) ? "notification"
                                                                : "tendering";
    Hub__Event ev = HUB__EVENT__INIT;
    ev.topic = S(topic);
    ev.epoch = 1;
    ev.seq = ++fx->seq;
    ev.time_ms = t;
    ev.source = S(source);
    ev.payload.data = (uint8_t *)p;
    ev.payload.len = n;
    hub_arena_reset(fx->ev_arena);
    if (fx->digest && !strncmp(topic, "intake.request.", 15)) {
        if (rep_digest(&ev, fx->ev_arena)) fail_msg("rep_digest refused %s", topic);
        assert_true(ev.digest);
        assert_true(ev.payload.len < n);   /* the digest is smaller than intake's request */
    }
    if (fx->district) return rep_apply_district(fx->txn, &fx->db, fx->district, &ev, fx->ev_arena, mdb_rc, err);
    return rep_apply(fx->txn, &fx->db, &ev, fx->ev_arena, mdb_rc, err);
}

/* Applies topic with payload m at t and asserts it succeeded. */
static void s_apply(fx_t *fx, const char *topic, int64_t t, const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    protobuf_c_message_pack(m, buf);
    int mdb_rc = -7;
    hub_error_t err = {0};
    int rc = s_apply_raw(fx, topic, t, buf, n, &mdb_rc, &err);
    free(buf);
    if (rc) fail_msg("rep_apply %s: mdb %d, %s", topic, mdb_rc, err.message);
    assert_int_equal(mdb_rc, 0);
    if (t >= fx->count_from && t < fx->count_to) fx->counted++;
    if (fx->per_event) s_commit(fx);
}

/* A request as intake and matching see it. */
typedef struct {
    const char *id, *svc, *street, *channel;
    int kind;         /* intake.RequesterKind */
    int64_t at;       /* intake's requested_ms */
    int64_t ref_at;   /* matching's referral created_ms (0: at) */
} req_t;

static const char *s_kind(int k)
{
    return k == RES ? "resident" : k == ORGK ? "organization" : k == ENT ? "enterprise" : "";
}

/* intake.request.<action> of q at t, carrying the requester's personal data. */
static void ev_req(fx_t *fx, const char *action, const req_t *q, int64_t t)
{
    Intake__Person who = INTAKE__PERSON__INIT;
    who.name = S(PII_NAME), who.phone = S(PII_PHONE), who.email = S(PII_EMAIL), who.kind = q->kind;
    Intake__HistoryEntry h = INTAKE__HISTORY_ENTRY__INIT, *hp = &h;
    h.time_ms = t, h.action = S("note"), h.by = S("operator"), h.text = S(PII_NOTE " " PII_PHONE);
    Intake__Request r = INTAKE__REQUEST__INIT;
    r.service_request_id = S(q->id), r.channel = S(q->channel), r.requester = &who;
    r.service_code = S(q->svc), r.description = S(PII_DESC), r.street = S(q->street);
    r.address = S(PII_ADDR), r.requested_ms = q->at, r.updated_ms = t, r.n_history = 1, r.history = &hp;
    Intake__RequestEvent e = INTAKE__REQUEST_EVENT__INIT;
    e.action = S(action), e.request = &r;
    char topic[64];
    snprintf(topic, sizeof topic, "intake.request.%s", action);
    s_apply(fx, topic, t, &e.base);
}

/* matching.referral.<action> of q at t; pid (NULL: none) is the current
 * provider and the last offer's. A volunteer's name rides along. */
static void ev_ref(fx_t *fx, const char *action, const req_t *q, int64_t t, int pkind, const char *pid, int outcome,
                   double hours)
{
    Matching__Offer o = MATCHING__OFFER__INIT, *op = &o;
    Matching__Referral r = MATCHING__REFERRAL__INIT;
    r.request_id = S(q->id), r.service_code = S(q->svc), r.street = S(q->street);
    r.requester_kind = S(s_kind(q->kind)), r.created_ms = q->ref_at ? q->ref_at : q->at, r.updated_ms = t;
    if (pid) {
        const char *name = pkind == VOL ? VOL_NAME : ORG1_NAME;
        o.kind = pkind, o.provider_id = S(pid), o.provider_name = S(name), o.offered_ms = t;
        r.provider_kind = pkind, r.provider_id = S(pid), r.provider_name = S(name);
        r.n_offers = 1, r.offers = &op;
    }
    r.outcome = outcome, r.hours = hours;
    Matching__ReferralEvent e = MATCHING__REFERRAL_EVENT__INIT;
    e.action = S(action), e.referral = &r;
    char topic[64];
    snprintf(topic, sizeof topic, "matching.referral.%s", action);
    s_apply(fx, topic, t, &e.base);
}

/* matching.org.added (org_id set) or matching.volunteer.added (a volunteer with personal data). */
static void ev_provider(fx_t *fx, const char *topic, const char *org_id, const char *org_name, const char *vol_id,
                        int64_t t)
{
    Matching__Organization org = MATCHING__ORGANIZATION__INIT;
    Matching__Volunteer vol = MATCHING__VOLUNTEER__INIT;
    Matching__ProviderEvent e = MATCHING__PROVIDER_EVENT__INIT;
    e.action = S("added");
    if (org_id) org.id = S(org_id), org.name = S(org_name), e.org = &org;
    if (vol_id) vol.id = S(vol_id), vol.name = S(VOL_NAME), vol.phone = S(VOL_PHONE), e.volunteer = &vol;
    s_apply(fx, topic, t, &e.base);
}

/* intake.opinion.received on (topic, street) with its author and text. */
static void ev_op(fx_t *fx, const char *topic, const char *street, int64_t t)
{
    Intake__Person who = INTAKE__PERSON__INIT;
    who.name = S(OP_AUTHOR), who.phone = S(PII_PHONE);
    Intake__Opinion o = INTAKE__OPINION__INIT;
    o.opinion_id = S("OP-1"), o.channel = S("web"), o.author = &who, o.topic = S(topic), o.street = S(street);
    o.text = S(OP_TEXT), o.received_ms = t;
    Intake__OpinionEvent e = INTAKE__OPINION_EVENT__INIT;
    e.opinion = &o;
    s_apply(fx, "intake.opinion.received", t, &e.base);
}

/* An opinion of the public's voice: id, channel topic, policy topic
 * ("" none), street, received at, with its author and text. */
typedef struct {
    const char *id, *topic, *policy, *street;
    int64_t at;
} op_t;

/* intake.opinion.received of o at o->at. */
static void ev_op_pt(fx_t *fx, const op_t *op)
{
    Intake__Person who = INTAKE__PERSON__INIT;
    who.name = S(OP_AUTHOR), who.phone = S(PII_PHONE);
    Intake__Opinion o = INTAKE__OPINION__INIT;
    o.opinion_id = S(op->id), o.channel = S("web"), o.author = &who, o.topic = S(op->topic);
    o.street = S(op->street), o.text = S(OP_TEXT), o.received_ms = op->at, o.policy_topic = S(op->policy);
    Intake__OpinionEvent e = INTAKE__OPINION_EVENT__INIT;
    e.opinion = &o;
    s_apply(fx, "intake.opinion.received", op->at, &e.base);
}

/* intake.opinion.linked at t: op (as received) now under policy topic to
 * (and/or activity act), previous_policy_topic from. */
static void ev_link(fx_t *fx, const op_t *op, const char *from, const char *to, const char *act, int64_t t)
{
    Intake__Person who = INTAKE__PERSON__INIT;
    who.name = S(OP_AUTHOR), who.phone = S(PII_PHONE);
    Intake__Opinion o = INTAKE__OPINION__INIT;
    o.opinion_id = S(op->id), o.channel = S("web"), o.author = &who, o.topic = S(op->topic);
    o.street = S(op->street), o.text = S(OP_TEXT), o.received_ms = op->at, o.policy_topic = S(to);
    o.activity_id = S(act ? act : "");
    Intake__OpinionEvent e = INTAKE__OPINION_EVENT__INIT;
    e.opinion = &o, e.previous_policy_topic = S(from);
    s_apply(fx, "intake.opinion.linked", t, &e.base);
}

/* An activity as intake publishes it. */
typedef struct {
    const char *id, *street;
    int kind;          /* intake.ActivityKind */
    int64_t starts;
    bool cancelled;
} act_t;

static void s_activity(Intake__Activity *a, const act_t *x)
{
    intake__activity__init(a);
    a->activity_id = S(x->id), a->kind = x->kind, a->street = S(x->street), a->starts_ms = x->starts;
    a->ends_ms = x->starts + 3 * HOUR, a->title = S("活动"), a->place = S(PII_ADDR), a->capacity = 2;
    a->status = x->cancelled ? INTAKE__ACTIVITY_STATUS__ACTIVITY_CANCELLED : INTAKE__ACTIVITY_STATUS__SCHEDULED;
    a->created_ms = x->starts - 30 * DAY, a->minutes = S(MINUTES), a->created_by = S("op-" PII_NAME);
}

/* intake.activity.<action> of x at t. */
static void ev_act(fx_t *fx, const char *action, const act_t *x, int64_t t)
{
    Intake__Activity a;
    s_activity(&a, x);
    Intake__ActivityEvent e = INTAKE__ACTIVITY_EVENT__INIT;
    e.action = S(action), e.activity = &a, e.text = S(MINUTES);
    char topic[64];
    snprintf(topic, sizeof topic, "intake.activity.%s", action);
    s_apply(fx, topic, t, &e.base);
}

/* intake.registration.<action> at t: registration n of x, now in state
 * (intake.RegistrationState), with the registrant's contact; an
 * attendance credits hours. */
static void ev_reg(fx_t *fx, const char *action, const act_t *x, int n, int state, double hours, int64_t t)
{
    Intake__Activity a;
    s_activity(&a, x);
    Intake__Person who = INTAKE__PERSON__INIT;
    who.name = S(REG_NAME), who.phone = S(REG_PHONE), who.email = S(REG_EMAIL);
    char id[64];
    snprintf(id, sizeof id, "%s-%06d", x->id, n);
    Intake__Registration r = INTAKE__REGISTRATION__INIT;
    r.registration_id = id, r.activity_id = S(x->id), r.channel = S("wechat"), r.registrant = &who;
    r.volunteer_id = S(x->kind == INTAKE__ACTIVITY_KIND__VOLUNTEER_DAY ? "VOL-000001" : "");
    r.state = state, r.hours_credited = hours, r.registered_ms = t, r.updated_ms = t;
    r.promoted = !strcmp(action, "promoted");
    if (state == INTAKE__REGISTRATION_STATE__ATTENDED) r.checked_in_ms = t;
    Intake__RegistrationEvent e = INTAKE__REGISTRATION_EVENT__INIT;
    e.action = S(action), e.registration = &r, e.activity = &a;
    char topic[64];
    snprintf(topic, sizeof topic, "intake.registration.%s", action);
    s_apply(fx, topic, t, &e.base);
}

/* funds.donation.received / funds.contribution.received of fen at t. */
static void ev_money(fx_t *fx, bool donation, int64_t fen, int64_t t)
{
    Tendering__Donation d = TENDERING__DONATION__INIT;
    Tendering__Contribution c = TENDERING__CONTRIBUTION__INIT;
    Tendering__FundsEvent e = TENDERING__FUNDS_EVENT__INIT;
    if (donation) {
        d.id = S("DON-000001"), d.donor_name = S(DONOR), d.amount_fen = fen, d.date_ms = t;
        e.action = S("donation.received"), e.donation = &d;
    } else {
        c.id = S("CON-000001"), c.funder_name = S("海曙区民政局"), c.amount_fen = fen, c.date_ms = t;
        e.action = S("contribution.received"), e.contribution = &c;
    }
    s_apply(fx, donation ? "funds.donation.received" : "funds.contribution.received", t, &e.base);
}

/* funds.disbursement.made: a masked disclosure (date_ms 0: the event's time). */
static void ev_disb(fx_t *fx, const char *who, const char *street, const char *purpose, int64_t fen, int64_t date_ms,
                    const char *entry_id, int64_t t)
{
    Tendering__DisclosureItem d = TENDERING__DISCLOSURE_ITEM__INIT;
    d.recipient = S(who), d.street = S(street), d.purpose = S(purpose), d.amount_fen = fen, d.date_ms = date_ms;
    Tendering__Entry en = TENDERING__ENTRY__INIT;
    en.id = S(entry_id), en.kind = TENDERING__ENTRY_KIND__DISBURSEMENT, en.date_ms = t;
    Tendering__FundsEvent e = TENDERING__FUNDS_EVENT__INIT;
    e.action = S("disbursement.made"), e.entry = &en, e.disbursement = &d;
    s_apply(fx, "funds.disbursement.made", t, &e.base);
}

/* tendering.<what> with process p (and a payment of pay_fen when > 0). */
static void ev_tender(fx_t *fx, const char *what, const Tendering__Process *p, int64_t pay_fen, int64_t t)
{
    Tendering__Payment pay = TENDERING__PAYMENT__INIT;
    Tendering__TenderEvent e = TENDERING__TENDER_EVENT__INIT;
    char topic[64];
    snprintf(topic, sizeof topic, "tendering.%s", what);
    e.action = S(what), e.process = (Tendering__Process *)p;
    if (pay_fen > 0) pay.id = S("PAY-0001"), pay.amount_fen = pay_fen, pay.date_ms = t, e.payment = &pay;
    s_apply(fx, topic, t, &e.base);
}

/* notification.delivery.<action> on channel (address and text included, as a careless publisher might). */
static void ev_dl(fx_t *fx, const char *action, int channel, int64_t t)
{
    Notification__Delivery d = NOTIFICATION__DELIVERY__INIT;
    d.id = S("DLV-000000000001"), d.recipient = S("requester:A1"), d.channel = channel;
    d.address = S(PII_PHONE), d.text = S(PII_NAME "您好"), d.template_ = S("offer"), d.created_ms = t;
    Notification__DeliveryEvent e = NOTIFICATION__DELIVERY_EVENT__INIT;
    e.action = S(action), e.delivery = &d;
    char topic[64];
    snprintf(topic, sizeof topic, "notification.delivery.%s", action);
    s_apply(fx, topic, t, &e.base);
}

/* ------------------------------------------------------------- queries */

#define NOW (rep_date_ms(2026, 12, 31))

/* rep_query of figure by `by` over [from, to) in district (NULL: all), which must succeed. */
static Reporting__QueryReply *s_query_in(fx_t *fx, const char *district, const char *figure, const char *by,
                                         int64_t from, int64_t to, bool pub)
{
    s_commit(fx);
    MDB_txn *txn;
    assert_int_equal(mdb_txn_begin(fx->st->env, NULL, MDB_RDONLY, &txn), 0);
    Reporting__QueryRequest q = REPORTING__QUERY_REQUEST__INIT;
    q.figure = S(figure), q.by = S(by ? by : ""), q.from_ms = from, q.to_ms = to, q.public_view = pub;
    if (district) q.district = S(district);
    Reporting__QueryReply *rep = NULL;
    int mdb_rc = -7;
    hub_error_t err = {0};
    int rc = rep_query(txn, &fx->db, &q, NOW, fx->q_arena, &rep, &mdb_rc, &err);
    mdb_txn_abort(txn);
    if (rc) fail_msg("rep_query %s by %s: mdb %d, %s", figure, by ? by : "", mdb_rc, err.message);
    assert_int_equal(mdb_rc, 0);
    assert_non_null(rep);
    assert_string_equal(q.by, by ? by : "");   /* the request is given back as it was */
    return rep;
}

static Reporting__QueryReply *s_query(fx_t *fx, const char *figure, const char *by, int64_t from, int64_t to,
                                      bool pub)
{
    return s_query_in(fx, NULL, figure, by, from, to, pub);
}

/* rep_query's error for a bad query. */
static hub_error_t s_query_err(fx_t *fx, const char *figure, const char *by, int64_t from, int64_t to)
{
    s_commit(fx);
    MDB_txn *txn;
    assert_int_equal(mdb_txn_begin(fx->st->env, NULL, MDB_RDONLY, &txn), 0);
    Reporting__QueryRequest q = REPORTING__QUERY_REQUEST__INIT;
    q.figure = S(figure), q.by = S(by), q.from_ms = from, q.to_ms = to;
    Reporting__QueryReply *rep = NULL;
    int mdb_rc = -7;
    hub_error_t err = {0};
    assert_int_equal(rep_query(txn, &fx->db, &q, NOW, fx->q_arena, &rep, &mdb_rc, &err), -1);
    mdb_txn_abort(txn);
    assert_int_equal(mdb_rc, 0);
    return err;
}

/* The table named name of rep (fails when missing). */
static const Reporting__Table *s_tab(const Reporting__QueryReply *rep, const char *name)
{
    for (size_t i = 0; i < rep->n_tables; i++)
        if (!strcmp(rep->tables[i]->name, name)) return rep->tables[i];
    fail_msg("no table %s", name);
    return NULL;
}

/* A row's keys joined by '|'. */
static const char *s_keys(const Reporting__Row *r, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < r->n_keys; i++)
        n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s", i ? "|" : "", r->keys[i]);
    return buf;
}

static const Reporting__Row *s_find(const Reporting__Table *t, const char *keys)
{
    char buf[1024];
    for (size_t i = 0; i < t->n_rows; i++)
        if (!strcmp(s_keys(t->rows[i], buf, sizeof buf), keys)) return t->rows[i];
    return NULL;
}

static void s_vals_are(const Reporting__Row *r, const char *what, const int64_t *v, size_t n)
{
    if (r->n_values != n) fail_msg("%s: %zu values, expected %zu", what, r->n_values, n);
    for (size_t i = 0; i < n; i++)
        if (r->values[i] != v[i])
            fail_msg("%s: value %zu is %lld, expected %lld", what, i, (long long)r->values[i], (long long)v[i]);
}

/* Row keys (joined by '|') of t has exactly these values. */
static void s_row_is(const Reporting__Table *t, const char *keys, const int64_t *v, size_t n)
{
    const Reporting__Row *r = s_find(t, keys);
    if (!r) fail_msg("%s: no row %s", t->name, keys);
    char what[256];
    snprintf(what, sizeof what, "%s[%s]", t->name, keys);
    s_vals_are(r, what, v, n);
}
#define VALS(...) ((const int64_t[]){__VA_ARGS__}), (sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t))
#define ROW(t, keys, ...) s_row_is((t), (keys), VALS(__VA_ARGS__))

static void s_total_is(const Reporting__Table *t, const int64_t *v, size_t n)
{
    if (!t->total) fail_msg("%s: no total row", t->name);
    assert_int_equal(t->total->n_keys, 1);
    assert_string_equal(t->total->keys[0], "合计");
    char what[128];
    snprintf(what, sizeof what, "%s[total]", t->name);
    s_vals_are(t->total, what, v, n);
}
#define TOTAL(t, ...) s_total_is((t), VALS(__VA_ARGS__))

/* t's rows are exactly these keys (joined by '|'), in this order; NULL-terminated. */
static void s_rows_are(const Reporting__Table *t, ...)
{
    va_list ap;
    va_start(ap, t);
    size_t i = 0;
    char buf[1024];
    for (const char *k; (k = va_arg(ap, const char *)); i++) {
        if (i >= t->n_rows) fail_msg("%s: %zu rows, expected more (%s)", t->name, t->n_rows, k);
        if (strcmp(s_keys(t->rows[i], buf, sizeof buf), k))
            fail_msg("%s: row %zu is [%s], expected [%s]", t->name, i, buf, k);
    }
    va_end(ap);
    if (t->n_rows != i) fail_msg("%s: %zu rows, expected %zu", t->name, t->n_rows, i);
}

/* The value of column col in row keys. */
static int64_t s_v(const Reporting__Table *t, const char *keys, const char *col)
{
    const Reporting__Row *r = s_find(t, keys);
    if (!r) fail_msg("%s: no row %s", t->name, keys);
    for (size_t i = 0; i < t->n_value_columns; i++)
        if (!strcmp(t->value_columns[i], col)) return r->values[i];
    fail_msg("%s: no column %s", t->name, col);
    return 0;
}

static void s_strs_are(char **got, size_t n, const char *const *want, const char *what)
{
    size_t m = 0;
    while (want[m]) m++;
    char g[512] = "", w[512] = "";
    for (size_t i = 0, k = 0; i < n; i++) k += (size_t)snprintf(g + k, k < sizeof g ? sizeof g - k : 0, "%s,", got[i]);
    for (size_t i = 0, k = 0; i < m; i++) k += (size_t)snprintf(w + k, k < sizeof w ? sizeof w - k : 0, "%s,", want[i]);
    if (strcmp(g, w)) fail_msg("%s: [%s], expected [%s]", what, g, w);
}

/* t has these key columns, value columns and units (NULL-terminated lists). */
static void s_shape(const Reporting__Table *t, const char *const *keys, const char *const *vals,
                    const char *const *units)
{
    char what[96];
    snprintf(what, sizeof what, "%s key columns", t->name);
    s_strs_are(t->key_columns, t->n_key_columns, keys, what);
    snprintf(what, sizeof what, "%s value columns", t->name);
    s_strs_are(t->value_columns, t->n_value_columns, vals, what);
    snprintf(what, sizeof what, "%s units", t->name);
    s_strs_are(t->units, t->n_units, units, what);
    for (size_t i = 0; units[i]; i++) assert_string_equal(rep_unit(t, i), units[i]);
    assert_true(t->title && *t->title);
}
#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ------------------------------------------------------------ histories */

/* A1..A7: requests of every service, street, channel, kind and status over
 * Feb..Apr 2026. */
static void s_history_requests(fx_t *fx)
{
    const req_t A[] = {
        {"A1", "elder_care", "鼓楼街道", "web", RES, T(3, 2, 9, 0), 0},
        {"A2", "elder_care", "鼓楼街道", "wechat", RES, T(3, 2, 10, 0), 0},
        {"A3", "elder_care", "江厦街道", "phone", ORGK, T(3, 3, 11, 0), 0},
        {"A4", "legal_aid", "江厦街道", "web", ENT, T(3, 3, 12, 0), 0},
        {"A5", "legal_aid", "鼓楼街道", "web", RES, T(4, 1, 8, 0), 0},
        {"A6", "meal", "白云街道", "wechat", RES, T(4, 2, 9, 0), 0},
        {"A7", "meal", "白云街道", "web", RES, T(2, 27, 9, 0), 0},
    };
    for (size_t i = 0; i < sizeof A / sizeof *A; i++) ev_req(fx, "accepted", &A[i], A[i].at);
    ev_ref(fx, "offered", &A[0], A[0].at + 30 * MIN, ORG, "ORG-1", 0, 0);
    ev_ref(fx, "accepted", &A[0], A[0].at + 40 * MIN, ORG, "ORG-1", 0, 0);
    ev_ref(fx, "started", &A[0], A[0].at + 60 * MIN, ORG, "ORG-1", 0, 0);
    ev_ref(fx, "completed", &A[0], A[0].at + 180 * MIN, ORG, "ORG-1", GOT_HELP, 0);
    ev_ref(fx, "unmatched", &A[1], A[1].at + 5 * MIN, 0, NULL, 0, 0);
    ev_req(fx, "closed", &A[2], T(3, 4, 9, 0));
    ev_req(fx, "cancelled", &A[3], T(3, 3, 13, 0));
    ev_ref(fx, "unmatched", &A[4], A[4].at + 5 * MIN, 0, NULL, 0, 0);
    ev_ref(fx, "assigned", &A[4], A[4].at + 60 * MIN, ORG, "ORG-1", 0, 0);
    ev_ref(fx, "offered", &A[5], A[5].at + 10 * MIN, VOL, "VOL-1", 0, 0);
    ev_req(fx, "duplicate", &A[6], A[6].at + MIN);
}

/* T01..T12 (elder_care; T01..T06 鼓楼街道, T07..T12 江厦街道) on Mar 2:
 * T0i offered after i min, accepted after 2i min (i <= 10), completed
 * after 10i min (i <= 8); T11 unmatched, T12 untouched. M1, M2 (meal,
 * 江厦街道): offered after 30 and 100 min, M1 accepted after 60 min. */
static void s_history_times(fx_t *fx)
{
    char ids[12][4];
    for (int i = 1; i <= 12; i++) {
        snprintf(ids[i - 1], sizeof ids[i - 1], "T%02d", i);
        req_t q = {ids[i - 1], "elder_care", i <= 6 ? "鼓楼街道" : "江厦街道", "web", RES,
                   T(3, 2, 8, 0) + i * 20 * MIN, 0};
        ev_req(fx, "accepted", &q, q.at);
        if (i <= 10) {
            ev_ref(fx, "offered", &q, q.at + i * MIN, ORG, "ORG-3", 0, 0);
            ev_ref(fx, "accepted", &q, q.at + 2 * i * MIN, ORG, "ORG-3", 0, 0);
        }
        if (i <= 8) ev_ref(fx, "completed", &q, q.at + 10 * i * MIN, ORG, "ORG-3", GOT_HELP, 0);
        if (i == 11) ev_ref(fx, "unmatched", &q, q.at + MIN, 0, NULL, 0, 0);
    }
    const req_t m1 = {"M1", "meal", "江厦街道", "web", RES, T(3, 2, 14, 0), 0},
                m2 = {"M2", "meal", "江厦街道", "web", RES, T(3, 2, 15, 0), 0};
    ev_req(fx, "accepted", &m1, m1.at);
    ev_req(fx, "accepted", &m2, m2.at);
    ev_ref(fx, "offered", &m1, m1.at + 30 * MIN, ORG, "ORG-3", 0, 0);
    ev_ref(fx, "accepted", &m1, m1.at + 60 * MIN, ORG, "ORG-3", 0, 0);
    ev_ref(fx, "offered", &m2, m2.at + 100 * MIN, ORG, "ORG-3", 0, 0);
}

/* X1: intake's time Mar 1 23:30, matching's referral created Mar 2 00:10;
 * offered 00:15, accepted 00:20, completed 02:00 (got help). reversed:
 * matching's events before intake's accepted. */
static const req_t *s_x1(void)
{
    static req_t x;
    x = (req_t){"X1", "elder_care", "鼓楼街道", "phone", ORGK, T(3, 1, 23, 30), T(3, 2, 0, 10)};
    return &x;
}

/* X2 (Mar 1 22:00): matching's referral says meal / 白云街道 / enterprise,
 * intake says elder_care / 鼓楼街道 / organization: intake's facts win. */
static void s_history_order(fx_t *fx, bool reversed)
{
    const req_t *x = s_x1();
    const req_t x2 = {"X2", "elder_care", "鼓楼街道", "web", ORGK, T(3, 1, 22, 0), 0},
                x2ref = {"X2", "meal", "白云街道", "", ENT, T(3, 1, 22, 0), 0};
    if (!reversed) ev_req(fx, "accepted", x, x->at), ev_req(fx, "accepted", &x2, x2.at);
    ev_ref(fx, "offered", x, T(3, 2, 0, 15), ORG, "ORG-1", 0, 0);
    ev_ref(fx, "offered", &x2ref, T(3, 1, 22, 30), ORG, "ORG-1", 0, 0);
    ev_ref(fx, "accepted", x, T(3, 2, 0, 20), ORG, "ORG-1", 0, 0);
    ev_ref(fx, "completed", x, T(3, 2, 2, 0), ORG, "ORG-1", GOT_HELP, 0);
    if (reversed) ev_req(fx, "accepted", x, x->at), ev_req(fx, "accepted", &x2, x2.at);
}

/* O1..O4, U1..U4 on Mar 5: outcomes and unmet demand. */
static void s_history_outcomes(fx_t *fx)
{
    const req_t R[] = {
        {"O1", "elder_care", "鼓楼街道", "web", RES, T(3, 5, 9, 0), 0},
        {"O2", "elder_care", "鼓楼街道", "web", RES, T(3, 5, 9, 30), 0},
        {"O3", "legal_aid", "江厦街道", "web", RES, T(3, 5, 10, 0), 0},
        {"O4", "meal", "白云街道", "web", RES, T(3, 5, 10, 30), 0},
        {"U1", "elder_care", "鼓楼街道", "web", RES, T(3, 5, 11, 0), 0},
        {"U2", "elder_care", "鼓楼街道", "web", RES, T(3, 5, 11, 30), 0},
        {"U3", "legal_aid", "江厦街道", "web", RES, T(3, 5, 12, 0), 0},
        {"U4", "meal", "白云街道", "web", RES, T(3, 5, 12, 30), 0},
    };
    for (size_t i = 0; i < 8; i++) ev_req(fx, "accepted", &R[i], R[i].at);
    for (size_t i = 0; i < 3; i++) {
        int k = i == 2 ? VOL : ORG;
        const char *p = i == 2 ? "VOL-1" : "ORG-1";
        ev_ref(fx, "offered", &R[i], R[i].at + 10 * MIN, k, p, 0, 0);
        ev_ref(fx, "accepted", &R[i], R[i].at + 20 * MIN, k, p, 0, 0);
        ev_ref(fx, "completed", &R[i], R[i].at + 90 * MIN, k, p, i == 2 ? NO_CONTACT : GOT_HELP, i == 2 ? 0.5 : 0);
    }
    ev_req(fx, "closed", &R[3], R[3].at + 120 * MIN);
    for (size_t i = 4; i < 8; i++) ev_ref(fx, "unmatched", &R[i], R[i].at + MIN, 0, NULL, 0, 0);
    ev_ref(fx, "assigned", &R[5], R[5].at + 60 * MIN, ORG, "ORG-2", 0, 0);
    ev_req(fx, "cancelled", &R[6], R[6].at + 30 * MIN);
}

/* W1..W7 on Mar 6: offers, answers and hours of ORG-1 (named), ORG-2
 * (unnamed), VOL-1 and VOL-2. */
static void s_history_workload(fx_t *fx)
{
    ev_provider(fx, "matching.org.added", "ORG-1", ORG1_NAME, NULL, T(3, 6, 8, 0));
    ev_provider(fx, "matching.volunteer.added", NULL, NULL, "VOL-1", T(3, 6, 8, 1));
    ev_provider(fx, "matching.org.added", NULL, NULL, "VOL-2", T(3, 6, 8, 2));   /* no org: nothing named */
    req_t W[7];
    static const char *const ids[] = {"W1", "W2", "W3", "W4", "W5", "W6", "W7"};
    for (int i = 0; i < 7; i++) {
        W[i] = (req_t){ids[i], "elder_care", "鼓楼街道", "web", RES, T(3, 6, 9, 10 * i), 0};
        ev_req(fx, "accepted", &W[i], W[i].at);
    }
    int64_t t;
    t = W[0].at;
    ev_ref(fx, "offered", &W[0], t + 1 * MIN, ORG, "ORG-1", 0, 0);
    ev_ref(fx, "declined", &W[0], t + 5 * MIN, ORG, "ORG-1", 0, 0);
    ev_ref(fx, "offered", &W[0], t + 6 * MIN, VOL, "VOL-1", 0, 0);
    ev_ref(fx, "accepted", &W[0], t + 10 * MIN, VOL, "VOL-1", 0, 0);
    ev_ref(fx, "completed", &W[0], t + 120 * MIN, VOL, "VOL-1", GOT_HELP, 2.5);
    t = W[1].at;
    ev_ref(fx, "offered", &W[1], t + 1 * MIN, ORG, "ORG-1", 0, 0);
    ev_ref(fx, "accepted", &W[1], t + 2 * MIN, ORG, "ORG-1", 0, 0);
    ev_ref(fx, "completed", &W[1], t + 90 * MIN, ORG, "ORG-1", GOT_HELP, 0);
    t = W[2].at;
    ev_ref(fx, "offered", &W[2], t + 1 * MIN, ORG, "ORG-1", 0, 0);
    ev_ref(fx, "expired", &W[2], t + 4 * MIN, ORG, "ORG-1", 0, 0);
    ev_ref(fx, "offered", &W[2], t + 5 * MIN, VOL, "VOL-2", 0, 0);
    ev_ref(fx, "accepted", &W[2], t + 7 * MIN, VOL, "VOL-2", 0, 0);
    ev_ref(fx, "completed", &W[2], t + 100 * MIN, VOL, "VOL-2", GOT_HELP, 1.25);
    t = W[3].at;
    ev_ref(fx, "offered", &W[3], t + 1 * MIN, ORG, "ORG-2", 0, 0);
    ev_ref(fx, "expired", &W[3], t + 4 * MIN, ORG, "ORG-2", 0, 0);
    ev_ref(fx, "unmatched", &W[3], t + 5 * MIN, 0, NULL, 0, 0);
    t = W[4].at;
    ev_ref(fx, "offered", &W[4], t + 1 * MIN, VOL, "VOL-2", 0, 0);
    ev_ref(fx, "declined", &W[4], t + 3 * MIN, VOL, "VOL-2", 0, 0);
    for (int i = 5; i < 7; i++) {
        ev_ref(fx, "offered", &W[i], W[i].at + 1 * MIN, ORG, "ORG-1", 0, 0);
        ev_ref(fx, "accepted", &W[i], W[i].at + 2 * MIN, ORG, "ORG-1", 0, 0);
    }
}

/* Opinions on Mar 7: 交通 ×5 (鼓楼 3, 江厦 2), 环境 鼓楼, 养老 (no street), (no topic) 白云. */
static void s_history_opinions(fx_t *fx)
{
    for (int i = 0; i < 3; i++) ev_op(fx, "交通", "鼓楼街道", T(3, 7, 9, i));
    for (int i = 0; i < 2; i++) ev_op(fx, "交通", "江厦街道", T(3, 7, 10, i));
    ev_op(fx, "环境", "鼓楼街道", T(3, 7, 11, 0));
    ev_op(fx, "养老", "", T(3, 7, 12, 0));
    ev_op(fx, "", "白云街道", T(3, 7, 13, 0));
}

enum { CONF = INTAKE__REGISTRATION_STATE__CONFIRMED, WAIT = INTAKE__REGISTRATION_STATE__WAITLISTED,
       WDRN = INTAKE__REGISTRATION_STATE__WITHDRAWN, ATTD = INTAKE__REGISTRATION_STATE__ATTENDED,
       ACXL = INTAKE__REGISTRATION_STATE__ACTIVITY_CANCELLED_REG };

/* The activities of the scripted history (2026 unless said). */
static const act_t A_VDAY = {"E20260301-000001", "鼓楼街道", INTAKE__ACTIVITY_KIND__VOLUNTEER_DAY, 0, false};
static const act_t A_HEAR = {"E20260401-000001", "江厦街道", INTAKE__ACTIVITY_KIND__HEARING, 0, false};
static const act_t A_TRAIN = {"E20260501-000001", "鼓楼街道", INTAKE__ACTIVITY_KIND__TRAINING, 0, false};
static const act_t A_FORUM = {"E20251201-000001", "鼓楼街道", INTAKE__ACTIVITY_KIND__FORUM, 0, false};
static const act_t A_SALON = {"E20251101-000001", "白云街道", INTAKE__ACTIVITY_KIND__SALON, 0, false};

/* x starting at t. */
static act_t s_at(act_t x, int64_t t)
{
    x.starts = t;
    return x;
}

/* Activities over late 2025 and 2026 (counted on the day they start):
 * a volunteer day of 2 places, 4 registered: 2 confirmed, 2 waitlisted;
 * one withdraws, the first waitlisted is promoted; 2 check in (3.5 h
 * each). A hearing with 2 confirmed and its minutes. A training with one
 * confirmed and one waitlisted, then cancelled. A forum registered for in
 * December 2025 that starts and is attended in January 2026. A salon of
 * November 2025 (not in 2026). */
static void s_history_activities(fx_t *fx)
{
    act_t v = s_at(A_VDAY, T(3, 14, 9, 0)), h = s_at(A_HEAR, T(4, 20, 14, 0)), tr = s_at(A_TRAIN, T(5, 10, 9, 0));
    act_t fo = s_at(A_FORUM, T(1, 5, 14, 0)), sa = s_at(A_SALON, rep_date_ms(2025, 11, 15));
    ev_act(fx, "created", &fo, rep_date_ms(2025, 12, 1));
    ev_act(fx, "created", &sa, rep_date_ms(2025, 11, 1));
    ev_reg(fx, "confirmed", &sa, 1, CONF, 0, rep_date_ms(2025, 11, 2));
    ev_reg(fx, "confirmed", &fo, 1, CONF, 0, rep_date_ms(2025, 12, 20));
    ev_reg(fx, "attended", &fo, 1, ATTD, 0, T(1, 5, 14, 5));

    ev_act(fx, "created", &v, T(3, 1, 9, 0));
    ev_act(fx, "announced", &v, T(3, 2, 9, 0));   /* not a second activity */
    ev_reg(fx, "confirmed", &v, 1, CONF, 0, T(3, 2, 10, 0));
    ev_reg(fx, "confirmed", &v, 2, CONF, 0, T(3, 2, 10, 1));
    ev_reg(fx, "waitlisted", &v, 3, WAIT, 0, T(3, 2, 10, 2));
    ev_reg(fx, "waitlisted", &v, 4, WAIT, 0, T(3, 2, 10, 3));
    ev_reg(fx, "withdrawn", &v, 1, WDRN, 0, T(3, 5, 8, 0));
    ev_reg(fx, "promoted", &v, 3, CONF, 0, T(3, 5, 8, 0));
    ev_reg(fx, "attended", &v, 2, ATTD, 3.5, T(3, 14, 9, 5));
    ev_reg(fx, "attended", &v, 3, ATTD, 3.5, T(3, 14, 9, 6));

    ev_act(fx, "created", &h, T(4, 1, 9, 0));
    ev_reg(fx, "confirmed", &h, 1, CONF, 0, T(4, 2, 9, 0));
    ev_reg(fx, "confirmed", &h, 2, CONF, 0, T(4, 2, 9, 1));
    ev_act(fx, "minutes", &h, T(4, 21, 9, 0));

    ev_act(fx, "created", &tr, T(5, 1, 9, 0));
    ev_reg(fx, "confirmed", &tr, 1, CONF, 0, T(5, 2, 9, 0));
    ev_reg(fx, "waitlisted", &tr, 2, WAIT, 0, T(5, 2, 9, 1));
    tr.cancelled = true;
    ev_act(fx, "cancelled", &tr, T(5, 8, 9, 0));
    ev_reg(fx, "cancelled", &tr, 1, ACXL, 0, T(5, 8, 9, 0));
    ev_reg(fx, "cancelled", &tr, 2, ACXL, 0, T(5, 8, 9, 0));
}

/* Opinions of the public's voice: received with or without a policy
 * topic, then linked (and linked again) by operators. */
static const op_t O1 = {"OP-11", "养老", "elderly-care-policy", "鼓楼街道", 0};
static const op_t O2 = {"OP-12", "交通", "", "鼓楼街道", 0};
static const op_t O3 = {"OP-13", "交通", "", "江厦街道", 0};
static const op_t O4 = {"OP-14", "养老", "", "鼓楼街道", 0};
static const op_t O5 = {"OP-15", "交通", "", "白云街道", 0};
static const op_t O6 = {"OP-16", "养老", "elderly-care-policy", "江厦街道", 0};

static op_t s_op_at(op_t o, int64_t t)
{
    o.at = t;
    return o;
}

/* O1..O6 over Dec 2025..Jun 2026: in 2026 elderly-care-policy 2 (O1, O6),
 * (unlinked) 1 (O2: linked to a hearing only), traffic-policy 1 (O3),
 * community-governance 1 (O4: linked twice); O5, received in December
 * 2025 and linked in 2026, counts in 2025. */
static void s_history_voice(fx_t *fx)
{
    op_t o1 = s_op_at(O1, T(3, 7, 9, 0)), o2 = s_op_at(O2, T(3, 7, 9, 1)), o3 = s_op_at(O3, T(3, 8, 9, 0));
    op_t o4 = s_op_at(O4, T(3, 9, 9, 0)), o5 = s_op_at(O5, rep_date_ms(2025, 12, 30)), o6 = s_op_at(O6, T(3, 10, 9, 0));
    ev_op_pt(fx, &o5);
    ev_op_pt(fx, &o1);
    ev_op_pt(fx, &o2);
    ev_op_pt(fx, &o3);
    ev_op_pt(fx, &o4);
    ev_op_pt(fx, &o6);
    ev_link(fx, &o5, "", "traffic-policy", NULL, T(1, 10, 9, 0));
    ev_link(fx, &o2, "", "", "E20260401-000001", T(4, 1, 9, 0));     /* a hearing only: no move */
    ev_link(fx, &o3, "", "traffic-policy", NULL, T(4, 2, 9, 0));
    ev_link(fx, &o4, "", "elderly-care-policy", NULL, T(5, 1, 9, 0));
    ev_link(fx, &o4, "elderly-care-policy", "community-governance", NULL, T(6, 1, 9, 0));
    ev_link(fx, &o1, "elderly-care-policy", "elderly-care-policy", "E20260401-000001", T(6, 2, 9, 0));
}

/* Donations, a contribution and two disbursements over Mar..Apr. */
static void s_history_funds(fx_t *fx)
{
    ev_money(fx, true, 10000, T(3, 2, 10, 0));
    ev_money(fx, true, 25050, T(3, 15, 10, 0));
    ev_money(fx, true, 5000, T(4, 3, 10, 0));
    ev_money(fx, false, 1000000, T(3, 5, 10, 0));
    ev_disb(fx, "王**", "鼓楼街道", "助餐补贴", 30000, T(3, 10, 10, 0), "ENT-000000000003", T(3, 10, 10, 5));
    ev_disb(fx, "李*", "江厦街道", "医疗救助", 50000, 0, "ENT-000000000004", T(4, 2, 9, 0));
}

static void s_proc(Tendering__Process *p, const char *ocid, int kind, int state, const char *title, int64_t budget,
                   int64_t created)
{
    tendering__process__init(p);
    p->ocid = S(ocid), p->kind = kind, p->state = state, p->title = S(title);
    p->buyer_id = S("BUY-1"), p->buyer_name = S("海曙区民政局"), p->budget_fen = budget, p->created_ms = created;
    p->description = S("联系人 " PII_NAME " " PII_PHONE);
}

/* P1 (contracted, paid 200000 on Mar 20), P2 (active venture), P3
 * (cancelled), P5 (award pending) created in March; P4 (active) in April. */
static void s_history_tenders(fx_t *fx)
{
    Tendering__Process p;
    Tendering__Award aw;
    Tendering__Contract ct;
    int64_t c1 = T(3, 3, 9, 0);
    s_proc(&p, "ocds-hs-0001", TENDERING__KIND__PURCHASE, TENDERING__STATE__PLANNING, "居家养老服务项目", 500000, c1);
    ev_tender(fx, "tender.planned", &p, 0, c1);
    p.state = TENDERING__STATE__ACTIVE, p.tender_start_ms = T(3, 4, 9, 0), p.tender_end_ms = T(3, 11, 9, 0);
    ev_tender(fx, "tender.published", &p, 0, T(3, 4, 9, 0));
    tendering__award__init(&aw);
    aw.org_id = S("ORG-1"), aw.org_name = S("阳光社工"), aw.value_fen = 450000;
    aw.status = TENDERING__AWARD_STATUS__AWARD_ACTIVE, aw.date_ms = T(3, 12, 9, 0);
    p.state = TENDERING__STATE__AWARDED, p.bid_count = 3, p.award = &aw;
    ev_tender(fx, "award.active", &p, 0, T(3, 12, 9, 0));
    tendering__contract__init(&ct);
    ct.value_fen = 440000, ct.status = TENDERING__CONTRACT_STATUS__CONTRACT_ACTIVE;
    p.state = TENDERING__STATE__CONTRACTED, p.contract = &ct;
    ev_tender(fx, "contract.signed", &p, 0, T(3, 13, 9, 0));
    ct.paid_fen = 200000;
    ev_tender(fx, "payment.made", &p, 200000, T(3, 20, 10, 0));

    s_proc(&p, "ocds-hs-0002", TENDERING__KIND__VENTURE, TENDERING__STATE__PLANNING, "社区创投", 300000, T(3, 8, 9, 0));
    ev_tender(fx, "tender.planned", &p, 0, T(3, 8, 9, 0));
    p.state = TENDERING__STATE__ACTIVE;
    ev_tender(fx, "tender.published", &p, 0, T(3, 8, 10, 0));

    s_proc(&p, "ocds-hs-0003", TENDERING__KIND__PURCHASE, TENDERING__STATE__PLANNING, "法律援助", 100000, T(3, 9, 9, 0));
    ev_tender(fx, "tender.planned", &p, 0, T(3, 9, 9, 0));
    p.state = TENDERING__STATE__CANCELLED, p.cancel_reason = S("预算调整");
    ev_tender(fx, "tender.cancelled", &p, 0, T(3, 9, 15, 0));

    s_proc(&p, "ocds-hs-0004", TENDERING__KIND__PURCHASE, TENDERING__STATE__ACTIVE, "助餐点", 200000, T(4, 5, 9, 0));
    ev_tender(fx, "tender.published", &p, 0, T(4, 5, 9, 0));

    s_proc(&p, "ocds-hs-0005", TENDERING__KIND__PURCHASE, TENDERING__STATE__AWARD_PENDING, "心理疏导", 100000,
           T(3, 25, 9, 0));
    tendering__award__init(&aw);
    aw.org_id = S("ORG-2"), aw.org_name = S("同心社"), aw.value_fen = 90000;
    aw.status = TENDERING__AWARD_STATUS__AWARD_PENDING_STATUS, aw.date_ms = T(3, 28, 9, 0);
    p.bid_count = 2, p.award = &aw;
    ev_tender(fx, "award.pending", &p, 0, T(3, 28, 9, 0));
}

/* Deliveries on Mar 8: sms sent ×3 and failed, email dead, webhook sent ×2, inbox sent. */
static void s_history_deliveries(fx_t *fx)
{
    for (int i = 0; i < 3; i++) ev_dl(fx, "sent", NOTIFICATION__CHANNEL__SMS, T(3, 8, 9, i));
    ev_dl(fx, "failed", NOTIFICATION__CHANNEL__SMS, T(3, 8, 10, 0));
    ev_dl(fx, "dead", NOTIFICATION__CHANNEL__EMAIL, T(3, 8, 11, 0));
    for (int i = 0; i < 2; i++) ev_dl(fx, "sent", NOTIFICATION__CHANNEL__WEBHOOK, T(3, 8, 12, i));
    ev_dl(fx, "sent", NOTIFICATION__CHANNEL__INBOX, T(3, 8, 13, 0));
}

/* Everything above in one store. */
static void s_history_all(fx_t *fx)
{
    s_history_requests(fx);
    s_history_times(fx);
    s_history_order(fx, true);
    s_history_outcomes(fx);
    s_history_workload(fx);
    s_history_opinions(fx);
    s_history_funds(fx);
    s_history_tenders(fx);
    s_history_deliveries(fx);
}

/* ---------------------------------------------------------------- time */

static void test_days_and_periods(void **state)
{
    (void)state;
    assert_int_equal(rep_date_ms(2026, 3, 2), D2_UTC);
    assert_int_equal(rep_date_ms(2026, 13, 1), 1798732800000LL);   /* 2027-01-01 CST */
    assert_int_equal(rep_day(D2_UTC - 1), 20260301);                /* 15:59:59.999 UTC = 23:59:59.999 CST */
    assert_int_equal(rep_day(D2_UTC), 20260302);                    /* 16:00 UTC = 00:00 CST */
    assert_int_equal(rep_day(D2_UTC + DAY - 1), 20260302);
    assert_int_equal(rep_day(1798732800000LL - 1), 20261231);

    int64_t f = 0, t = 0, pf = 0, pt = 0;
    hub_error_t err = {0};
    assert_int_equal(rep_period("2026", &f, &t, &pf, &pt, &err), 0);
    assert_int_equal(f, 1767196800000LL);
    assert_int_equal(t, 1798732800000LL);
    assert_int_equal(pf, 1735660800000LL);
    assert_int_equal(pt, 1767196800000LL);
    assert_int_equal(rep_period("2026-11", &f, &t, &pf, &pt, &err), 0);
    assert_int_equal(f, 1793462400000LL);
    assert_int_equal(t, 1796054400000LL);
    assert_int_equal(pf, 1790784000000LL);
    assert_int_equal(pt, 1793462400000LL);
    assert_int_equal(rep_period("2026-01", &f, &t, &pf, &pt, &err), 0);
    assert_int_equal(f, 1767196800000LL);
    assert_int_equal(t, rep_date_ms(2026, 2, 1));
    assert_int_equal(pf, 1764518400000LL);   /* 2025-12-01 CST */
    assert_int_equal(pt, 1767196800000LL);
    assert_int_equal(rep_period("2026-12", &f, &t, &pf, &pt, &err), 0);
    assert_int_equal(f, 1796054400000LL);
    assert_int_equal(t, 1798732800000LL);
    assert_int_equal(pf, 1793462400000LL);

    static const char *const bad[] = {"26", "2026-13", "2026-1", "abcd", "2026-00", "", "20261", "2026/11",
                                      "2026-1a", "2026-011", " 2026", "+202", NULL};
    for (size_t i = 0; bad[i]; i++) {
        hub_error_t e = {0};
        f = t = pf = pt = 42;
        if (rep_period(bad[i], &f, &t, &pf, &pt, &e) != -1) fail_msg("period \"%s\" accepted", bad[i]);
        assert_int_equal(e.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    }
}

/* ------------------------------------------------------------ requests */

static void test_requests_by(void **state)
{
    fx_t *fx = s_fx(state, 0);
    s_history_requests(fx);
    const Reporting__Table *t;

    t = s_tab(s_query(fx, "requests", "", 0, 0, false), "requests_by_service");
    s_rows_are(t, "elder_care", "legal_aid", "meal", NULL);
    ROW(t, "elder_care", 3, 2, 1);
    ROW(t, "legal_aid", 2, 0, 1);
    ROW(t, "meal", 2, 0, 0);
    TOTAL(t, 7, 2, 2);
    assert_string_equal(t->key_columns[0], "service");
    assert_int_equal(s_v(t, "elder_care", "completed"), 2);   /* columns in the contract's order */
    assert_int_equal(s_v(t, "legal_aid", "unmet"), 1);

    t = s_tab(s_query(fx, "requests", "street", 0, 0, false), "requests_by_street");
    s_rows_are(t, "鼓楼街道", "江厦街道", "白云街道", NULL);
    ROW(t, "鼓楼街道", 3, 1, 2);
    ROW(t, "江厦街道", 2, 1, 0);
    ROW(t, "白云街道", 2, 0, 0);
    TOTAL(t, 7, 2, 2);

    t = s_tab(s_query(fx, "requests", "channel", 0, 0, false), "requests_by_channel");
    s_rows_are(t, "web", "wechat", "phone", NULL);
    ROW(t, "web", 4, 1, 1);
    ROW(t, "wechat", 2, 0, 1);
    ROW(t, "phone", 1, 1, 0);
    TOTAL(t, 7, 2, 2);

    t = s_tab(s_query(fx, "requests", "status", 0, 0, false), "requests_by_status");
    s_rows_are(t, "accepted", "cancelled", "closed", "completed", "duplicate", "offered", "queued", NULL);
    ROW(t, "completed", 1, 1, 0);
    ROW(t, "queued", 1, 0, 1);
    ROW(t, "closed", 1, 1, 0);
    ROW(t, "cancelled", 1, 0, 0);
    ROW(t, "accepted", 1, 0, 1);
    ROW(t, "offered", 1, 0, 0);
    ROW(t, "duplicate", 1, 0, 0);
    TOTAL(t, 7, 2, 2);

    t = s_tab(s_query(fx, "requests", "kind", 0, 0, false), "requests_by_kind");
    s_rows_are(t, "resident", "enterprise", "organization", NULL);
    ROW(t, "resident", 5, 1, 2);
    ROW(t, "organization", 1, 1, 0);
    ROW(t, "enterprise", 1, 0, 0);

    t = s_tab(s_query(fx, "requests", "day", 0, 0, false), "requests_by_day");
    s_rows_are(t, "2026-02-27", "2026-03-02", "2026-03-03", "2026-04-01", "2026-04-02", NULL);
    ROW(t, "2026-02-27", 1, 0, 0);
    ROW(t, "2026-03-02", 2, 1, 1);
    ROW(t, "2026-03-03", 2, 1, 0);
    ROW(t, "2026-04-01", 1, 0, 1);
    ROW(t, "2026-04-02", 1, 0, 0);
    TOTAL(t, 7, 2, 2);

    t = s_tab(s_query(fx, "requests", "month", 0, 0, false), "requests_by_month");
    s_rows_are(t, "2026-02", "2026-03", "2026-04", NULL);
    ROW(t, "2026-02", 1, 0, 0);
    ROW(t, "2026-03", 4, 2, 1);
    ROW(t, "2026-04", 2, 0, 1);
    TOTAL(t, 7, 2, 2);

    /* March only */
    t = s_tab(s_query(fx, "requests", "service", T(3, 1, 0, 0), T(4, 1, 0, 0), false), "requests_by_service");
    s_rows_are(t, "elder_care", "legal_aid", NULL);
    ROW(t, "elder_care", 3, 2, 1);
    ROW(t, "legal_aid", 1, 0, 0);
    TOTAL(t, 4, 2, 1);
}

/* --------------------------------------------------------------- times */

static void test_times_percentiles(void **state)
{
    fx_t *fx = s_fx(state, 0);
    s_history_times(fx);
    int64_t d2 = T(3, 2, 0, 0), d3 = T(3, 3, 0, 0);
    const Reporting__Table *t = s_tab(s_query(fx, "times", "", d2, d3, false), "times_by_service");
    s_rows_are(t, "elder_care", "meal", NULL);
    /* offers after 1..10 min (T11, T12 never offered), accepted after
     * 2..20 min, closed after 10..80 min */
    ROW(t, "elder_care", 12, 5 * MIN, 9 * MIN, 10 * MIN, 18 * MIN, 40 * MIN, 80 * MIN);
    ROW(t, "meal", 2, 30 * MIN, 100 * MIN, 60 * MIN, 60 * MIN, -1, -1);
    assert_int_equal(s_v(t, "elder_care", "offer_p50"), 5 * MIN);
    assert_int_equal(s_v(t, "elder_care", "offer_p90"), 9 * MIN);
    assert_int_equal(s_v(t, "elder_care", "close_p50"), 40 * MIN);
    /* all: offers {1..10, 30, 100}, accepts {2..20, 60}, closures {10..80} */
    TOTAL(t, 14, 6 * MIN, 30 * MIN, 12 * MIN, 20 * MIN, 40 * MIN, 80 * MIN);

    t = s_tab(s_query(fx, "times", "street", d2, d3, false), "times_by_street");
    s_rows_are(t, "江厦街道", "鼓楼街道", NULL);
    ROW(t, "鼓楼街道", 6, 3 * MIN, 6 * MIN, 6 * MIN, 12 * MIN, 30 * MIN, 60 * MIN);
    ROW(t, "江厦街道", 8, 9 * MIN, 100 * MIN, 18 * MIN, 60 * MIN, 70 * MIN, 80 * MIN);
    TOTAL(t, 14, 6 * MIN, 30 * MIN, 12 * MIN, 20 * MIN, 40 * MIN, 80 * MIN);

    /* only T01..T10 (cut at T11's exact time): the same offer percentiles */
    t = s_tab(s_query(fx, "times", "service", d2, T(3, 2, 8, 0) + 11 * 20 * MIN, false), "times_by_service");
    s_rows_are(t, "elder_care", NULL);
    ROW(t, "elder_care", 10, 5 * MIN, 9 * MIN, 10 * MIN, 18 * MIN, 40 * MIN, 80 * MIN);
    /* T01..T04 */
    t = s_tab(s_query(fx, "times", "service", d2, T(3, 2, 8, 0) + 5 * 20 * MIN, false), "times_by_service");
    ROW(t, "elder_care", 4, 2 * MIN, 4 * MIN, 4 * MIN, 8 * MIN, 20 * MIN, 40 * MIN);
}

/* ---------------------------------------------------------- event order */

static void test_wrong_order_same_facts(void **state)
{
    fx_t *a = s_fx(state, 0), *b = s_fx(state, 1);
    s_history_order(a, false);
    s_history_order(b, true);

    /* the request's day is intake's (Mar 1), not the referral's (Mar 2) */
    for (int i = 0; i < 2; i++) {
        fx_t *fx = i ? b : a;
        const Reporting__Table *t = s_tab(s_query(fx, "requests", "day", 0, 0, false), "requests_by_day");
        s_rows_are(t, "2026-03-01", NULL);
        ROW(t, "2026-03-01", 2, 1, 0);
        t = s_tab(s_query(fx, "requests", "channel", 0, 0, false), "requests_by_channel");
        s_rows_are(t, "phone", "web", NULL);
        t = s_tab(s_query(fx, "requests", "status", 0, 0, false), "requests_by_status");
        s_rows_are(t, "completed", "offered", NULL);
        t = s_tab(s_query(fx, "requests", "service", 0, 0, false), "requests_by_service");
        s_rows_are(t, "elder_care", NULL);
        t = s_tab(s_query(fx, "requests", "street", 0, 0, false), "requests_by_street");
        s_rows_are(t, "鼓楼街道", NULL);
        t = s_tab(s_query(fx, "requests", "kind", 0, 0, false), "requests_by_kind");
        s_rows_are(t, "organization", NULL);
        /* X1 only (X2 at 22:00 is before the range) */
        t = s_tab(s_query(fx, "times", "service", T(3, 1, 23, 0), 0, false), "times_by_service");
        ROW(t, "elder_care", 1, 45 * MIN, 45 * MIN, 50 * MIN, 50 * MIN, 150 * MIN, 150 * MIN);
        /* nothing left on Mar 2 */
        t = s_tab(s_query(fx, "requests", "day", T(3, 2, 0, 0), T(3, 3, 0, 0), false), "requests_by_day");
        s_rows_are(t, NULL);

        /* exactly two by_day entries: 20260301 + "X1", 20260301 + "X2" */
        MDB_txn *txn;
        MDB_cursor *c;
        MDB_val k, v;
        assert_int_equal(mdb_txn_begin(fx->st->env, NULL, MDB_RDONLY, &txn), 0);
        assert_int_equal(mdb_cursor_open(txn, fx->db.by_day, &c), 0);
        int n = 0;
        for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            const uint8_t want[] = {0x01, 0x35, 0x25, 0xcd, 'X', (uint8_t)('1' + n)};   /* 20260301 BE */
            assert_int_equal(k.mv_size, sizeof want);
            assert_memory_equal(k.mv_data, want, sizeof want);
            n++;
        }
        assert_int_equal(n, 2);
        mdb_cursor_close(c);
        mdb_txn_abort(txn);
    }

    /* every figure identical in both orders */
    static const char *const figs[][2] = {{"requests", "service"}, {"requests", "street"}, {"requests", "kind"},
                                          {"requests", "channel"}, {"requests", "status"}, {"requests", "day"},
                                          {"times", "service"},    {"times", "street"},    {"outcomes", ""},
                                          {"unmet", ""},           {"workload", ""},       {"summary", ""}};
    for (size_t i = 0; i < sizeof figs / sizeof *figs; i++) {
        Reporting__QueryReply *ra = s_query(a, figs[i][0], figs[i][1], 0, 0, false);
        Reporting__QueryReply *rb = s_query(b, figs[i][0], figs[i][1], 0, 0, false);
        size_t na = reporting__query_reply__get_packed_size(ra), nb = reporting__query_reply__get_packed_size(rb);
        uint8_t *pa = malloc(na), *pb = malloc(nb);
        reporting__query_reply__pack(ra, pa);
        reporting__query_reply__pack(rb, pb);
        if (na != nb || memcmp(pa, pb, na)) fail_msg("%s by %s differs with the events reordered", figs[i][0], figs[i][1]);
        free(pa);
        free(pb);
    }
}

/* ---------------------------------------------------- outcomes and unmet */

static void test_outcomes_unmet(void **state)
{
    fx_t *fx = s_fx(state, 0);
    s_history_outcomes(fx);
    int64_t d5 = T(3, 5, 0, 0), d6 = T(3, 6, 0, 0);
    const Reporting__Table *t = s_tab(s_query(fx, "outcomes", "", d5, d6, false), "outcomes");
    s_rows_are(t, "got_help", "could_not_contact", NULL);
    ROW(t, "got_help", 2);
    ROW(t, "could_not_contact", 1);
    TOTAL(t, 3);

    t = s_tab(s_query(fx, "unmet", "", d5, d6, false), "unmet");
    s_rows_are(t, "elder_care|鼓楼街道", "legal_aid|江厦街道", "meal|白云街道", NULL);
    ROW(t, "elder_care|鼓楼街道", 2, 1);   /* U1 queued, U2 assigned later: unmet, no longer queued */
    ROW(t, "legal_aid|江厦街道", 1, 0);    /* U3 cancelled at intake */
    ROW(t, "meal|白云街道", 1, 1);
    TOTAL(t, 4, 2);

    t = s_tab(s_query(fx, "requests", "status", d5, d6, false), "requests_by_status");
    s_rows_are(t, "completed", "queued", "accepted", "cancelled", "closed", NULL);
    ROW(t, "completed", 3, 3, 0);
    ROW(t, "queued", 2, 0, 2);
    ROW(t, "accepted", 1, 0, 1);
    ROW(t, "cancelled", 1, 0, 1);
    ROW(t, "closed", 1, 1, 0);

    /* the day before: nothing */
    t = s_tab(s_query(fx, "outcomes", "", T(3, 4, 0, 0), d5, false), "outcomes");
    s_rows_are(t, NULL);
    TOTAL(t, 0);
}

/* An operator's assignment is no offer: a request that was never offered
 * (matching.referral.offered) stays out of the offer percentiles
 * (reporting.proto: first_offer_ms = first matching.referral.offered). */
static void test_assigned_is_not_an_offer(void **state)
{
    fx_t *fx = s_fx(state, 0);
    const req_t a = {"G1", "meal", "鼓楼街道", "web", RES, T(3, 2, 9, 0), 0},
                b = {"G2", "meal", "鼓楼街道", "web", RES, T(3, 2, 10, 0), 0};
    ev_req(fx, "accepted", &a, a.at);
    ev_ref(fx, "offered", &a, a.at + 10 * MIN, ORG, "ORG-1", 0, 0);
    ev_ref(fx, "accepted", &a, a.at + 20 * MIN, ORG, "ORG-1", 0, 0);
    ev_req(fx, "accepted", &b, b.at);
    ev_ref(fx, "unmatched", &b, b.at + 1 * MIN, 0, NULL, 0, 0);
    ev_ref(fx, "assigned", &b, b.at + 300 * MIN, ORG, "ORG-2", 0, 0);
    const Reporting__Table *t = s_tab(s_query(fx, "times", "", 0, 0, false), "times_by_service");
    /* offers: G1's 10 min only; acceptances: 20 and 300 min */
    ROW(t, "meal", 2, 10 * MIN, 10 * MIN, 20 * MIN, 300 * MIN, -1, -1);
}

/* A request reopened after it was completed is no longer "closed with an
 * outcome" (report.h: outcomes -> requests closed with an outcome). */
static void test_reopened_leaves_outcomes(void **state)
{
    fx_t *fx = s_fx(state, 0);
    const req_t a = {"H1", "meal", "鼓楼街道", "web", RES, T(3, 2, 9, 0), 0},
                b = {"H2", "meal", "鼓楼街道", "web", RES, T(3, 2, 10, 0), 0};
    for (int i = 0; i < 2; i++) {
        const req_t *q = i ? &b : &a;
        ev_req(fx, "accepted", q, q->at);
        ev_ref(fx, "offered", q, q->at + 10 * MIN, ORG, "ORG-1", 0, 0);
        ev_ref(fx, "accepted", q, q->at + 20 * MIN, ORG, "ORG-1", 0, 0);
        ev_ref(fx, "completed", q, q->at + 60 * MIN, ORG, "ORG-1", GOT_HELP, 0);
        ev_req(fx, "closed", q, q->at + 70 * MIN);
    }
    ev_req(fx, "reopened", &b, b.at + 120 * MIN);
    const Reporting__Table *t = s_tab(s_query(fx, "requests", "status", 0, 0, false), "requests_by_status");
    s_rows_are(t, "completed", "open", NULL);
    ROW(t, "completed", 1, 1, 0);
    ROW(t, "open", 1, 0, 0);
    t = s_tab(s_query(fx, "times", "", 0, 0, false), "times_by_service");
    ROW(t, "meal", 2, 10 * MIN, 10 * MIN, 20 * MIN, 20 * MIN, 60 * MIN, 60 * MIN);
    t = s_tab(s_query(fx, "outcomes", "", 0, 0, false), "outcomes");
    s_rows_are(t, "got_help", NULL);
    ROW(t, "got_help", 1);
}

/* ------------------------------------------------------------ workload */

static void test_workload(void **state)
{
    fx_t *fx = s_fx(state, 0);
    s_history_workload(fx);
    int64_t d6 = T(3, 6, 0, 0), d7 = T(3, 7, 0, 0);
    const Reporting__Table *t = s_tab(s_query(fx, "workload", "", d6, d7, false), "workload");
    s_rows_are(t, "organization|ORG-1|" ORG1_NAME, "volunteer|VOL-2|", "organization|ORG-2|", "volunteer|VOL-1|",
               NULL);
    ROW(t, "organization|ORG-1|" ORG1_NAME, 5, 3, 1, 1, 1, 0);
    ROW(t, "organization|ORG-2|", 1, 0, 0, 1, 0, 0);
    ROW(t, "volunteer|VOL-1|", 1, 1, 0, 0, 1, 250);
    ROW(t, "volunteer|VOL-2|", 2, 1, 1, 0, 1, 125);
    TOTAL(t, 9, 5, 2, 2, 3, 375);
    for (size_t i = 0; i < t->n_rows; i++)
        if (!strcmp(t->rows[i]->keys[0], "volunteer")) assert_string_equal(t->rows[i]->keys[2], "");

    /* public: volunteers summed into one row "*", small counts suppressed */
    Reporting__QueryReply *rep = s_query(fx, "workload", "", d6, d7, true);
    t = s_tab(rep, "workload");
    s_rows_are(t, "organization|ORG-1|" ORG1_NAME, "organization|ORG-2|", "volunteer|*|", NULL);
    ROW(t, "organization|ORG-1|" ORG1_NAME, 5, -1, -1, -1, -1, 0);
    ROW(t, "organization|ORG-2|", -1, 0, 0, -1, 0, 0);
    ROW(t, "volunteer|*|", -1, -1, -1, 0, -1, 375);   /* hours (hours_x100) never suppressed */
    assert_null(t->total);
    assert_true(rep->suppressed);

    /* the day after: nothing */
    t = s_tab(s_query(fx, "workload", "", d7, T(3, 8, 0, 0), false), "workload");
    s_rows_are(t, NULL);
}

/* A name stored under a volunteer's id never shows as the volunteer's name. */
static void test_workload_volunteer_never_named(void **state)
{
    fx_t *fx = s_fx(state, 0);
    ev_provider(fx, "matching.org.added", "VOL-9", "同号机构", NULL, T(3, 6, 8, 0));
    const req_t q = {"V1", "meal", "鼓楼街道", "web", RES, T(3, 6, 9, 0), 0};
    ev_ref(fx, "offered", &q, T(3, 6, 9, 1), VOL, "VOL-9", 0, 0);
    const Reporting__Table *t = s_tab(s_query(fx, "workload", "", 0, 0, false), "workload");
    s_rows_are(t, "volunteer|VOL-9|", NULL);
    ROW(t, "volunteer|VOL-9|", 1, 0, 0, 0, 0, 0);
}

/* ------------------------------------------------------------ opinions */

static void test_opinions(void **state)
{
    fx_t *fx = s_fx(state, 0);
    s_history_opinions(fx);
    int64_t d7 = T(3, 7, 0, 0), d8 = T(3, 8, 0, 0);
    const Reporting__Table *t = s_tab(s_query(fx, "opinions", "", d7, d8, false), "opinions_by_topic");
    s_rows_are(t, "交通", "-", "养老", "环境", NULL);
    ROW(t, "交通", 5);
    ROW(t, "-", 1);
    ROW(t, "养老", 1);
    ROW(t, "环境", 1);
    TOTAL(t, 8);

    t = s_tab(s_query(fx, "opinions", "street", d7, d8, false), "opinions_by_street");
    s_rows_are(t, "鼓楼街道", "江厦街道", "-", "白云街道", NULL);
    ROW(t, "鼓楼街道", 4);
    ROW(t, "江厦街道", 2);
    TOTAL(t, 8);

    t = s_tab(s_query(fx, "opinions", "topic_street", d7, d8, false), "opinions_by_topic_street");
    s_rows_are(t, "交通|鼓楼街道", "交通|江厦街道", "-|白云街道", "养老|-", "环境|鼓楼街道", NULL);
    ROW(t, "交通|鼓楼街道", 3);
    ROW(t, "交通|江厦街道", 2);
    ROW(t, "环境|鼓楼街道", 1);
    TOTAL(t, 8);
    assert_int_equal(t->n_key_columns, 2);

    t = s_tab(s_query(fx, "opinions", "topic", d8, T(3, 9, 0, 0), false), "opinions_by_topic");
    s_rows_are(t, NULL);
}

/* ------------------------------------------------ the public's voice */

#define Y2025 rep_date_ms(2025, 1, 1)
#define Y2026 rep_date_ms(2026, 1, 1)
#define Y2027 rep_date_ms(2027, 1, 1)

static void test_activities(void **state)
{
    fx_t *fx = s_fx(state, 0);
    s_history_activities(fx);
    /* 2026: the activities starting in it, whenever people registered */
    const Reporting__Table *t = s_tab(s_query(fx, "activities", "", Y2026, Y2027, false), "activities_by_kind");
    /* activities, cancelled, registrations, confirmed, waitlisted, withdrawn, attended, hours_x100 */
    s_rows_are(t, "forum", "hearing", "volunteer_day", "training", NULL);
    ROW(t, "volunteer_day", 1, 0, 4, 2, 1, 1, 2, 700);
    ROW(t, "hearing", 1, 0, 2, 2, 0, 0, 0, 0);
    ROW(t, "forum", 1, 0, 1, 1, 0, 0, 1, 0);
    ROW(t, "training", 0, 1, 2, 0, 0, 0, 0, 0);
    TOTAL(t, 3, 1, 9, 5, 1, 1, 3, 700);

    t = s_tab(s_query(fx, "activities", "street", Y2026, Y2027, false), "activities_by_street");
    s_rows_are(t, "鼓楼街道", "江厦街道", NULL);
    ROW(t, "鼓楼街道", 2, 1, 7, 3, 1, 1, 3, 700);
    ROW(t, "江厦街道", 1, 0, 2, 2, 0, 0, 0, 0);

    t = s_tab(s_query(fx, "activities", "kind_street", Y2026, Y2027, false), "activities_by_kind_street");
    assert_int_equal(t->n_key_columns, 2);
    ROW(t, "volunteer_day|鼓楼街道", 1, 0, 4, 2, 1, 1, 2, 700);
    ROW(t, "training|鼓楼街道", 0, 1, 2, 0, 0, 0, 0, 0);
    assert_int_equal(t->n_rows, 4);

    t = s_tab(s_query(fx, "activities", "month", 0, 0, false), "activities_by_month");
    s_rows_are(t, "2025-11", "2026-01", "2026-03", "2026-04", "2026-05", NULL);
    ROW(t, "2025-11", 1, 0, 1, 1, 0, 0, 0, 0);
    ROW(t, "2026-01", 1, 0, 1, 1, 0, 0, 1, 0);   /* registered in December, counted when it starts */

    t = s_tab(s_query(fx, "activities", "", Y2025, Y2026, false), "activities_by_kind");
    s_rows_are(t, "salon", NULL);
    ROW(t, "salon", 1, 0, 1, 1, 0, 0, 0, 0);

    /* public: counts under 5 hidden, the hours shown */
    t = s_tab(s_query(fx, "activities", "", Y2026, Y2027, true), "activities_by_kind");
    ROW(t, "volunteer_day", -1, 0, -1, -1, -1, -1, -1, 700);
    assert_null(t->total);

    /* bad grouping */
    hub_error_t err = s_query_err(fx, "activities", "title", 0, 0);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    assert_string_equal(err.field, "by");
}

/* Registration states as they change: a promotion moves one from the
 * waitlist to a place; a state seen again changes nothing. */
static void test_activity_states(void **state)
{
    fx_t *fx = s_fx(state, 0);
    act_t v = s_at(A_VDAY, T(3, 14, 9, 0));
    ev_act(fx, "created", &v, T(3, 1, 9, 0));
    ev_reg(fx, "confirmed", &v, 1, CONF, 0, T(3, 2, 9, 0));
    ev_reg(fx, "confirmed", &v, 2, CONF, 0, T(3, 2, 9, 1));
    ev_reg(fx, "waitlisted", &v, 3, WAIT, 0, T(3, 2, 9, 2));
    ev_reg(fx, "waitlisted", &v, 3, WAIT, 0, T(3, 2, 9, 2));   /* the same again */
    const Reporting__Table *t = s_tab(s_query(fx, "activities", "", 0, 0, false), "activities_by_kind");
    ROW(t, "volunteer_day", 1, 0, 3, 2, 1, 0, 0, 0);
    ev_reg(fx, "withdrawn", &v, 1, WDRN, 0, T(3, 3, 9, 0));
    t = s_tab(s_query(fx, "activities", "", 0, 0, false), "activities_by_kind");
    ROW(t, "volunteer_day", 1, 0, 3, 1, 1, 1, 0, 0);
    ev_reg(fx, "promoted", &v, 3, CONF, 0, T(3, 3, 9, 0));
    t = s_tab(s_query(fx, "activities", "", 0, 0, false), "activities_by_kind");
    ROW(t, "volunteer_day", 1, 0, 3, 2, 0, 1, 0, 0);
    ev_reg(fx, "attended", &v, 3, ATTD, 2.25, T(3, 14, 9, 0));
    ev_reg(fx, "attended", &v, 3, ATTD, 2.25, T(3, 14, 9, 0));   /* no second credit */
    t = s_tab(s_query(fx, "activities", "", 0, 0, false), "activities_by_kind");
    ROW(t, "volunteer_day", 1, 0, 3, 2, 0, 1, 1, 225);
    v.cancelled = true;
    ev_act(fx, "cancelled", &v, T(3, 10, 9, 0));
    ev_act(fx, "cancelled", &v, T(3, 10, 9, 0));   /* once */
    ev_reg(fx, "cancelled", &v, 2, ACXL, 0, T(3, 10, 9, 0));
    t = s_tab(s_query(fx, "activities", "", 0, 0, false), "activities_by_kind");
    ROW(t, "volunteer_day", 0, 1, 3, 1, 0, 1, 1, 225);
    /* an activity first seen through a registration (reporting started later) */
    act_t h = s_at(A_HEAR, T(4, 20, 9, 0));
    ev_reg(fx, "confirmed", &h, 7, CONF, 0, T(4, 2, 9, 0));
    t = s_tab(s_query(fx, "activities", "", 0, 0, false), "activities_by_kind");
    ROW(t, "hearing", 1, 0, 1, 1, 0, 0, 0, 0);
    /* a registration without an id, or of an unknown activity with none in the event: refused */
    Intake__Registration r = INTAKE__REGISTRATION__INIT;
    r.registration_id = S("E20260601-000001-000001"), r.activity_id = S("E20260601-000001");
    r.state = INTAKE__REGISTRATION_STATE__CONFIRMED;
    Intake__RegistrationEvent e = INTAKE__REGISTRATION_EVENT__INIT;
    e.action = S("confirmed"), e.registration = &r;
    uint8_t buf[256];
    size_t n = intake__registration_event__pack(&e, buf);
    int mdb_rc = -7;
    hub_error_t err = {0};
    assert_int_equal(s_apply_raw(fx, "intake.registration.confirmed", T(6, 1, 0, 0), buf, n, &mdb_rc, &err), -1);
    assert_int_equal(mdb_rc, 0);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    s_abort(fx);
}

static void test_opinions_policy_topic(void **state)
{
    fx_t *fx = s_fx(state, 0);
    s_history_voice(fx);
    const Reporting__Table *t =
        s_tab(s_query(fx, "opinions", "policy_topic", Y2026, Y2027, false), "opinions_by_policy_topic");
    s_rows_are(t, "elderly-care-policy", REP_UNLINKED, "community-governance", "traffic-policy", NULL);
    ROW(t, "elderly-care-policy", 2);
    ROW(t, REP_UNLINKED, 1);
    TOTAL(t, 5);
    assert_string_equal(t->key_columns[0], "policy_topic");

    /* moved rows are left out, not shown as 0 */
    t = s_tab(s_query(fx, "opinions", "policy_topic_street", Y2026, Y2027, false), "opinions_by_policy_topic_street");
    s_rows_are(t, REP_UNLINKED "|鼓楼街道", "community-governance|鼓楼街道", "elderly-care-policy|江厦街道",
               "elderly-care-policy|鼓楼街道", "traffic-policy|江厦街道", NULL);
    TOTAL(t, 5);

    /* O5 was received in 2025: its link moves it there */
    t = s_tab(s_query(fx, "opinions", "policy_topic", Y2025, Y2026, false), "opinions_by_policy_topic");
    s_rows_are(t, "traffic-policy", NULL);

    /* the channel's own topics do not move */
    t = s_tab(s_query(fx, "opinions", "topic", Y2026, Y2027, false), "opinions_by_topic");
    s_rows_are(t, "养老", "交通", NULL);
    ROW(t, "养老", 3);
    ROW(t, "交通", 2);
    t = s_tab(s_query(fx, "opinions", "street", Y2026, Y2027, false), "opinions_by_street");
    ROW(t, "鼓楼街道", 3);
    ROW(t, "江厦街道", 2);

    /* a link without an opinion is refused */
    Intake__OpinionEvent e = INTAKE__OPINION_EVENT__INIT;
    e.previous_policy_topic = S("x");
    uint8_t buf[64];
    size_t n = intake__opinion_event__pack(&e, buf);
    int mdb_rc = -7;
    hub_error_t err = {0};
    assert_int_equal(s_apply_raw(fx, "intake.opinion.linked", T(6, 1, 0, 0), buf, n, &mdb_rc, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    s_abort(fx);
}

/* rep_query_fn over one read transaction of a fixture. */
typedef struct {
    fx_t *fx;
    MDB_txn *txn;
} hq_t;

static int s_html_query(void *arg, const Reporting__QueryRequest *q, Reporting__QueryReply **out, hub_error_t *err)
{
    hq_t *h = arg;
    int mdb_rc = 0;
    return rep_query(h->txn, &h->fx->db, q, NOW, h->fx->q_arena, out, &mdb_rc, err);
}

/* The yearly report of 2026 from the fixture's store (public or exact); malloc'd. */
static char *s_yearly(fx_t *fx, bool pub)
{
    s_commit(fx);
    hq_t h = {fx, NULL};
    assert_int_equal(mdb_txn_begin(fx->st->env, NULL, MDB_RDONLY, &h.txn), 0);
    char *html = NULL;
    hub_error_t err = {0};
    int rc = rep_html_report("yearly", "2026", pub, NULL, NOW, s_html_query, &h, &html, &err);
    mdb_txn_abort(h.txn);
    if (rc) fail_msg("rep_html_report: %s", err.message);
    return html;
}

/* The yearly report's "what residents and organizations told us" matches
 * the scripted history exactly, and holds no personal data or text. */
static void test_yearly_told_us(void **state)
{
    fx_t *fx = s_fx(state, 0);
    s_history_activities(fx);
    s_history_voice(fx);
    char *html = s_yearly(fx, false);
    const char *a = strstr(html, "<h2>十一、居民和组织对我们说了什么</h2>");
    assert_non_null(a);
    const char *b = strstr(a + 1, "<h2>");
    char *sec = strndup(a, b ? (size_t)(b - a) : strlen(a));
#define TD(x) "<td class=\"n\">" #x "</td>"
    /* opinions by policy topic, by topic, by street */
    assert_non_null(strstr(sec, "<tr><td>elderly-care-policy</td>" TD(2) "</tr>"));
    assert_non_null(strstr(sec, "<tr><td>未关联政策主题</td>" TD(1) "</tr>"));
    assert_non_null(strstr(sec, "<tr><td>community-governance</td>" TD(1) "</tr>"));
    assert_non_null(strstr(sec, "<tr><td>traffic-policy</td>" TD(1) "</tr>"));
    assert_non_null(strstr(sec, "<tfoot><tr><th>合计</th>" TD(5) "</tr>"));
    assert_non_null(strstr(sec, "<tr><td>养老</td>" TD(3) "</tr>"));
    assert_non_null(strstr(sec, "<tr><td>鼓楼街道</td>" TD(3) "</tr>"));
    /* participation by kind and by street */
    assert_non_null(strstr(sec, "<tr><td>慈善义工日</td>" TD(1) TD(0) TD(4) TD(2) TD(1) TD(1) TD(2) TD(7.00) "</tr>"));
    assert_non_null(strstr(sec, "<tr><td>听证会</td>" TD(1) TD(0) TD(2) TD(2) TD(0) TD(0) TD(0) TD(0.00) "</tr>"));
    assert_non_null(strstr(sec, "<tr><td>公益讲坛</td>" TD(1) TD(0) TD(1) TD(1) TD(0) TD(0) TD(1) TD(0.00) "</tr>"));
    assert_non_null(strstr(sec, "<tr><td>社会组织培训</td>" TD(0) TD(1) TD(2) TD(0) TD(0) TD(0) TD(0) TD(0.00) "</tr>"));
    assert_non_null(strstr(sec, "<tr><td>鼓楼街道</td>" TD(2) TD(1) TD(7) TD(3) TD(1) TD(1) TD(3) TD(7.00) "</tr>"));
    assert_non_null(strstr(sec, "<tr><td>江厦街道</td>" TD(1) TD(0) TD(2) TD(2) TD(0) TD(0) TD(0) TD(0.00) "</tr>"));
    assert_null(strstr(sec, "<td>社工沙龙</td>"));   /* 2025 */
    /* no personal data, no text, no ids, no title or place anywhere in the report */
    for (size_t i = 0; PII[i]; i++)
        if (strstr(html, PII[i])) fail_msg("\"%s\" in the yearly report", PII[i]);
    assert_null(strstr(html, "E20260301-000001"));
    assert_null(strstr(html, "OP-1"));
    free(sec);
    free(html);
    /* public: small counts hidden */
    html = s_yearly(fx, true);
    a = strstr(html, "<h2>十一、居民和组织对我们说了什么</h2>");
    assert_non_null(a);
    assert_non_null(strstr(a, "<tr><td>慈善义工日</td>" TD(&lt;5) TD(0) TD(&lt;5)));
    for (size_t i = 0; PII[i]; i++) assert_null(strstr(html, PII[i]));
#undef TD
    free(html);
}

/* Neither the store nor the live dashboard's events keep a registrant,
 * an opinion's text or author, an activity's minutes or place. */
static void test_voice_no_personal_data(void **state)
{
    fx_t *fx = s_fx(state, 0);
    s_history_activities(fx);
    s_history_voice(fx);
    s_commit(fx);
    MDB_txn *txn;
    assert_int_equal(mdb_txn_begin(fx->st->env, NULL, MDB_RDONLY, &txn), 0);
    for (int i = 0; i < fx->st->n_dbs; i++) {
        MDB_cursor *c;
        MDB_val k, v;
        size_t n = 0;
        assert_int_equal(mdb_cursor_open(txn, fx->st->dbs[i], &c), 0);
        for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT), n++)
            for (size_t j = 0; PII[j]; j++)
                if (memmem(k.mv_data, k.mv_size, PII[j], strlen(PII[j])) ||
                    memmem(v.mv_data, v.mv_size, PII[j], strlen(PII[j])))
                    fail_msg("\"%s\" found in database %s", PII[j], NAMES[i]);
        mdb_cursor_close(c);
        if (!strcmp(NAMES[i], "activities")) assert_int_equal(n, 5 + 10);   /* 5 activities, 10 registrations */
    }
    mdb_txn_abort(txn);
    /* the dashboard's line of a registration: ids, kind, street, state */
    Intake__Activity a;
    act_t x = s_at(A_VDAY, T(3, 14, 9, 0));
    s_activity(&a, &x);
    Intake__Person who = INTAKE__PERSON__INIT;
    who.name = S(REG_NAME), who.phone = S(REG_PHONE), who.email = S(REG_EMAIL);
    Intake__Registration r = INTAKE__REGISTRATION__INIT;
    r.registration_id = S("E20260301-000001-000002"), r.activity_id = S(x.id), r.registrant = &who;
    r.state = INTAKE__REGISTRATION_STATE__ATTENDED;
    Intake__RegistrationEvent e = INTAKE__REGISTRATION_EVENT__INIT;
    e.action = S("attended"), e.registration = &r, e.activity = &a;
    uint8_t buf[1024];
    Hub__Event ev = HUB__EVENT__INIT;
    ev.topic = S("intake.registration.attended"), ev.source = S("intake"), ev.seq = 9, ev.time_ms = T(3, 14, 9, 0);
    ev.payload.data = buf, ev.payload.len = intake__registration_event__pack(&e, buf);
    char *line = rep_dash_event_json(&ev);
    assert_non_null(line);
    assert_non_null(strstr(line, "\"activity_id\":\"E20260301-000001\""));
    assert_non_null(strstr(line, "\"kind\":\"VOLUNTEER_DAY\""));
    assert_non_null(strstr(line, "\"state\":\"ATTENDED\""));
    for (size_t j = 0; PII[j]; j++) assert_null(strstr(line, PII[j]));
    assert_null(strstr(line, "活动"));   /* the title */
    free(line);
}

/* A reporting store of schema 1 (opinions counted before policy topics)
 * migrated to 2: every opinion counted as (unlinked) on its street and
 * day, in its district; a later link then moves one. */
static void test_migrate_policy_topics(void **state)
{
    fx_t *fx = s_fx(state, 0);
    s_history_opinions(fx);
    fx->district = "beilun";
    ev_op(fx, "交通", "白云街道", T(3, 7, 9, 0));
    fx->district = NULL;
    s_commit(fx);
    /* take the "pt" counters away: the store as schema 1 wrote it */
    MDB_txn *txn;
    MDB_cursor *c;
    assert_int_equal(mdb_txn_begin(fx->st->env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_cursor_open(txn, fx->db.counts, &c), 0);
    MDB_val k = {2, "pt"}, v;
    int removed = 0;
    /* the first "pt" key each time, until there is none */
    while (!mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)) {
        const uint8_t *p = k.mv_data;
        if (k.mv_size < 3 || memcmp(p, "pt", 2) || (p[2] && p[2] != REP_SEP[0])) break;
        assert_int_equal(mdb_cursor_del(c, 0), 0);
        removed++;
        k = (MDB_val){2, "pt"};
    }
    mdb_cursor_close(c);
    assert_int_equal(mdb_txn_commit(txn), 0);
    assert_true(removed >= 5);
    s_rows_are(s_tab(s_query(fx, "opinions", "policy_topic", 0, 0, false), "opinions_by_policy_topic"), NULL);

    assert_int_equal(mdb_txn_begin(fx->st->env, NULL, 0, &txn), 0);
    assert_int_equal(rep_migrate_policy_topics(txn, &fx->db), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    const Reporting__Table *t =
        s_tab(s_query(fx, "opinions", "policy_topic_street", 0, 0, false), "opinions_by_policy_topic_street");
    s_rows_are(t, REP_UNLINKED "|鼓楼街道", REP_UNLINKED "|江厦街道", REP_UNLINKED "|白云街道", REP_UNLINKED "|-", NULL);
    ROW(t, REP_UNLINKED "|鼓楼街道", 4);
    ROW(t, REP_UNLINKED "|白云街道", 2);   /* one of them beilun's */
    TOTAL(t, 9);
    t = s_tab(s_query_in(fx, "beilun", "opinions", "policy_topic", 0, 0, false), "opinions_by_policy_topic");
    ROW(t, REP_UNLINKED, 1);
    t = s_tab(s_query(fx, "opinions", "policy_topic", T(3, 7, 0, 0), T(3, 8, 0, 0), false), "opinions_by_policy_topic");
    TOTAL(t, 9);   /* on the day they were received */
    /* a link of one received on 03-07 in 鼓楼街道 moves it */
    op_t o = {"OP-1", "交通", "", "鼓楼街道", T(3, 7, 9, 0)};
    ev_link(fx, &o, "", "traffic-policy", NULL, T(5, 1, 0, 0));
    t = s_tab(s_query(fx, "opinions", "policy_topic_street", 0, 0, false), "opinions_by_policy_topic_street");
    ROW(t, REP_UNLINKED "|鼓楼街道", 3);
    ROW(t, "traffic-policy|鼓楼街道", 1);
    TOTAL(t, 9);
}

/* --------------------------------------------------- funds, disclosures */

static void test_funds_disclosures(void **state)
{
    fx_t *fx = s_fx(state, 0);
    s_history_funds(fx);
    s_history_tenders(fx);   /* P1's payment of 200000 on Mar 20 */
    int64_t m3 = T(3, 1, 0, 0), m4 = T(4, 1, 0, 0), m5 = T(5, 1, 0, 0);
    const Reporting__Table *t = s_tab(s_query(fx, "funds", "", m3, m5, false), "funds_by_month");
    s_rows_are(t, "2026-03", "2026-04", NULL);
    ROW(t, "2026-03", 2, 35050, 1, 30000, 1, 1000000, 1, 200000);
    ROW(t, "2026-04", 1, 5000, 1, 50000, 0, 0, 0, 0);
    TOTAL(t, 3, 40050, 2, 80000, 1, 1000000, 1, 200000);

    t = s_tab(s_query(fx, "funds", "day", m3, m4, false), "funds_by_day");
    s_rows_are(t, "2026-03-02", "2026-03-05", "2026-03-10", "2026-03-15", "2026-03-20", NULL);
    ROW(t, "2026-03-02", 1, 10000, 0, 0, 0, 0, 0, 0);
    ROW(t, "2026-03-05", 0, 0, 0, 0, 1, 1000000, 0, 0);
    ROW(t, "2026-03-10", 0, 0, 1, 30000, 0, 0, 0, 0);
    ROW(t, "2026-03-15", 1, 25050, 0, 0, 0, 0, 0, 0);
    ROW(t, "2026-03-20", 0, 0, 0, 0, 0, 0, 1, 200000);
    TOTAL(t, 2, 35050, 1, 30000, 1, 1000000, 1, 200000);

    t = s_tab(s_query(fx, "disclosures", "", m3, m5, false), "disclosures");
    s_rows_are(t, "2026-03-10|王**|鼓楼街道|助餐补贴", "2026-04-02|李*|江厦街道|医疗救助", NULL);
    ROW(t, "2026-03-10|王**|鼓楼街道|助餐补贴", 30000);
    ROW(t, "2026-04-02|李*|江厦街道|医疗救助", 50000);
    TOTAL(t, 80000);
    /* cut at the disclosure's exact date_ms (not the event's time) */
    int64_t at = T(3, 10, 10, 0);
    t = s_tab(s_query(fx, "disclosures", "", m3, at, false), "disclosures");
    s_rows_are(t, NULL);
    TOTAL(t, 0);
    t = s_tab(s_query(fx, "disclosures", "", m3, at + 1, false), "disclosures");
    s_rows_are(t, "2026-03-10|王**|鼓楼街道|助餐补贴", NULL);
    t = s_tab(s_query(fx, "disclosures", "", at + 1, m5, false), "disclosures");
    s_rows_are(t, "2026-04-02|李*|江厦街道|医疗救助", NULL);
    /* public: amounts (fen) are kept */
    t = s_tab(s_query(fx, "disclosures", "", m3, m5, true), "disclosures");
    ROW(t, "2026-03-10|王**|鼓楼街道|助餐补贴", 30000);
    assert_null(t->total);
}

/* -------------------------------------------------------------- tenders */

static void test_tenders(void **state)
{
    fx_t *fx = s_fx(state, 0);
    s_history_tenders(fx);
    int64_t m3 = T(3, 1, 0, 0), m4 = T(4, 1, 0, 0), m5 = T(5, 1, 0, 0);
    Reporting__QueryReply *rep = s_query(fx, "tenders", "", m3, m4, false);
    const Reporting__Table *t = s_tab(rep, "tenders_by_state");
    s_rows_are(t, "active", "award_pending", "cancelled", "contracted", NULL);
    ROW(t, "active", 1, 300000, 0, 0);
    ROW(t, "award_pending", 1, 100000, 90000, 0);
    ROW(t, "cancelled", 1, 100000, 0, 0);
    ROW(t, "contracted", 1, 500000, 440000, 200000);   /* the contract's value, not the award's */
    TOTAL(t, 4, 1000000, 530000, 200000);
    t = s_tab(rep, "tenders");
    s_rows_are(t, "ocds-hs-0001|居家养老服务项目|海曙区民政局|contracted|阳光社工",
               "ocds-hs-0002|社区创投|海曙区民政局|active|", "ocds-hs-0003|法律援助|海曙区民政局|cancelled|",
               "ocds-hs-0005|心理疏导|海曙区民政局|award_pending|同心社", NULL);
    ROW(t, "ocds-hs-0001|居家养老服务项目|海曙区民政局|contracted|阳光社工", 3, 500000, 440000, 200000);
    ROW(t, "ocds-hs-0002|社区创投|海曙区民政局|active|", 0, 300000, 0, 0);
    ROW(t, "ocds-hs-0003|法律援助|海曙区民政局|cancelled|", 0, 100000, 0, 0);
    ROW(t, "ocds-hs-0005|心理疏导|海曙区民政局|award_pending|同心社", 2, 100000, 90000, 0);

    t = s_tab(s_query(fx, "tenders", "", m3, m5, false), "tenders_by_state");
    ROW(t, "active", 2, 500000, 0, 0);
    TOTAL(t, 5, 1200000, 530000, 200000);
    t = s_tab(s_query(fx, "tenders", "", m4, m5, false), "tenders");
    s_rows_are(t, "ocds-hs-0004|助餐点|海曙区民政局|active|", NULL);
}

/* ----------------------------------------------------------- deliveries */

static void test_deliveries(void **state)
{
    fx_t *fx = s_fx(state, 0);
    s_history_deliveries(fx);
    const Reporting__Table *t =
        s_tab(s_query(fx, "deliveries", "", T(3, 8, 0, 0), T(3, 9, 0, 0), false), "deliveries");
    s_rows_are(t, "email|dead", "inbox|sent", "sms|failed", "sms|sent", "webhook|sent", NULL);
    ROW(t, "sms|sent", 3);
    ROW(t, "sms|failed", 1);
    ROW(t, "email|dead", 1);
    ROW(t, "webhook|sent", 2);
    ROW(t, "inbox|sent", 1);
    TOTAL(t, 8);
    t = s_tab(s_query(fx, "deliveries", "", T(3, 8, 0, 0), T(3, 9, 0, 0), true), "deliveries");
    ROW(t, "sms|sent", -1);
    ROW(t, "email|dead", -1);
}

/* -------------------------------------------------------------- summary */

static void test_summary(void **state)
{
    fx_t *fx = s_fx(state, 0);
    fx->count_from = T(3, 1, 0, 0), fx->count_to = T(4, 1, 0, 0);
    s_history_outcomes(fx);
    s_history_opinions(fx);
    s_history_tenders(fx);
    s_history_funds(fx);
    s_history_deliveries(fx);
    assert_true(fx->counted > 50);
    const Reporting__Table *t = s_tab(s_query(fx, "summary", "", T(3, 1, 0, 0), T(4, 1, 0, 0), false), "summary");
    s_rows_are(t, "requests", "completed", "unmet", "queued", "opinions", "tenders", "awarded_fen", "paid_fen",
               "donations", "donations_fen", "disbursed_fen", "deliveries", "events", NULL);
    ROW(t, "requests", 8);
    ROW(t, "completed", 4);
    ROW(t, "unmet", 4);
    ROW(t, "queued", 2);
    ROW(t, "opinions", 8);
    ROW(t, "tenders", 4);
    ROW(t, "awarded_fen", 530000);
    ROW(t, "paid_fen", 200000);
    ROW(t, "donations", 2);
    ROW(t, "donations_fen", 35050);
    ROW(t, "disbursed_fen", 30000);
    ROW(t, "deliveries", 8);
    ROW(t, "events", fx->counted);

    Reporting__QueryReply *rep = s_query(fx, "summary", "", T(3, 1, 0, 0), T(4, 1, 0, 0), true);
    t = s_tab(rep, "summary");
    ROW(t, "requests", 8);
    ROW(t, "completed", -1);
    ROW(t, "unmet", -1);
    ROW(t, "queued", -1);
    ROW(t, "tenders", -1);
    ROW(t, "donations", -1);
    ROW(t, "awarded_fen", 530000);
    ROW(t, "donations_fen", 35050);
    ROW(t, "events", fx->counted);
    assert_true(rep->suppressed);
}

/* ------------------------------------------------------------ districts */

/* Three districts' histories in one store (a city instance): the local
 * one (""), jiangbei and beilun, with the same request id R1 in each. */
static void s_history_districts(fx_t *fx)
{
    const req_t hs1 = {"R1", "meal", "鼓楼街道", "web", RES, T(3, 6, 9, 0), 0};
    const req_t jb1 = {"R1", "clean", "甬江街道", "hotline", RES, T(3, 6, 10, 0), 0};
    const req_t jb2 = {"R2", "meal", "甬江街道", "web", ORGK, T(3, 7, 10, 0), 0};
    const req_t bl1 = {"R1", "escort", "新碶街道", "wechat", ENT, T(3, 8, 11, 0), 0};
    fx->district = NULL;   /* the local district, through rep_apply */
    ev_provider(fx, "matching.org.added", "ORG-1", ORG1_NAME, NULL, T(3, 6, 8, 0));
    ev_req(fx, "accepted", &hs1, hs1.at);
    ev_ref(fx, "offered", &hs1, T(3, 6, 9, 30), ORG, "ORG-1", 0, 0);
    ev_op(fx, "交通", "鼓楼街道", T(3, 6, 12, 0));
    fx->district = "jiangbei";
    ev_provider(fx, "matching.org.added", "ORG-1", "江北机构", NULL, T(3, 6, 8, 0));
    ev_req(fx, "accepted", &jb1, jb1.at);
    ev_ref(fx, "offered", &jb1, T(3, 6, 10, 30), ORG, "ORG-1", 0, 0);
    ev_req(fx, "closed", &jb1, T(3, 6, 18, 0));
    ev_req(fx, "accepted", &jb2, jb2.at);
    ev_op(fx, "交通", "甬江街道", T(3, 6, 13, 0));
    ev_op(fx, "养老", "甬江街道", T(3, 8, 13, 0));
    fx->district = "beilun";
    ev_req(fx, "accepted", &bl1, bl1.at);
    ev_money(fx, true, 10000, T(3, 8, 12, 0));
    ev_op(fx, "环境", "新碶街道", T(3, 5, 13, 0));   /* before the range below */
    fx->district = NULL;
}

static void test_districts(void **state)
{
    fx_t *fx = s_fx(state, 0);
    s_history_districts(fx);
    int64_t d6 = T(3, 6, 0, 0), d7 = T(3, 7, 0, 0), d8 = T(3, 8, 0, 0), d9 = T(3, 9, 0, 0);

    /* by district: the city is the sum of its districts */
    const Reporting__Table *t = s_tab(s_query(fx, "requests", "district", 0, 0, false), "requests_by_district");
    assert_string_equal(t->key_columns[0], "district");
    s_rows_are(t, "-", "beilun", "jiangbei", NULL);
    ROW(t, "-", 1, 0, 0);
    ROW(t, "jiangbei", 2, 1, 0);   /* jiangbei's R1 closed; haishu's R1 still open */
    ROW(t, "beilun", 1, 0, 0);
    TOTAL(t, 4, 1, 0);

    /* the local district named, and asked for by that name or "-" */
    fx->db.local = "haishu";
    t = s_tab(s_query(fx, "requests", "district", 0, 0, false), "requests_by_district");
    s_rows_are(t, "beilun", "haishu", "jiangbei", NULL);
    ROW(t, "haishu", 1, 0, 0);
    static const char *const local_names[] = {"haishu", "-"};
    for (int i = 0; i < 2; i++) {
        t = s_tab(s_query_in(fx, local_names[i], "requests", "service", 0, 0, false), "requests_by_service");
        s_rows_are(t, "meal", NULL);
        ROW(t, "meal", 1, 0, 0);
    }

    /* one district: its own R1 and R2, nobody else's */
    t = s_tab(s_query_in(fx, "jiangbei", "requests", "service", 0, 0, false), "requests_by_service");
    s_rows_are(t, "clean", "meal", NULL);
    ROW(t, "clean", 1, 1, 0);
    ROW(t, "meal", 1, 0, 0);
    t = s_tab(s_query_in(fx, "jiangbei", "requests", "status", 0, 0, false), "requests_by_status");
    s_rows_are(t, "closed", "open", NULL);
    t = s_tab(s_query_in(fx, "beilun", "requests", "kind", 0, 0, false), "requests_by_kind");
    s_rows_are(t, "enterprise", NULL);
    t = s_tab(s_query_in(fx, "nowhere", "requests", "service", 0, 0, false), "requests_by_service");
    s_rows_are(t, NULL);
    t = s_tab(s_query(fx, "times", "district", 0, 0, false), "times_by_district");
    ROW(t, "haishu", 1, 30 * MIN, 30 * MIN, -1, -1, -1, -1);
    ROW(t, "jiangbei", 2, 30 * MIN, 30 * MIN, -1, -1, 8 * HOUR, 8 * HOUR);

    /* counters: per district and day range (the scan jumps between districts) */
    t = s_tab(s_query(fx, "opinions", "district", d6, d7, false), "opinions_by_district");
    s_rows_are(t, "haishu", "jiangbei", NULL);
    ROW(t, "haishu", 1);
    ROW(t, "jiangbei", 1);
    t = s_tab(s_query(fx, "opinions", "district", d8, d9, false), "opinions_by_district");
    s_rows_are(t, "jiangbei", NULL);
    t = s_tab(s_query(fx, "opinions", "district", 0, 0, false), "opinions_by_district");
    s_rows_are(t, "jiangbei", "beilun", "haishu", NULL);
    TOTAL(t, 4);
    t = s_tab(s_query_in(fx, "jiangbei", "opinions", "topic", 0, 0, false), "opinions_by_topic");
    s_rows_are(t, "交通", "养老", NULL);
    t = s_tab(s_query_in(fx, "haishu", "opinions", "topic", 0, 0, false), "opinions_by_topic");
    s_rows_are(t, "交通", NULL);
    t = s_tab(s_query_in(fx, "beilun", "opinions", "topic", d6, d9, false), "opinions_by_topic");
    s_rows_are(t, NULL);
    t = s_tab(s_query(fx, "funds", "district", 0, 0, false), "funds_by_district");
    s_rows_are(t, "beilun", NULL);
    ROW(t, "beilun", 1, 10000, 0, 0, 0, 0, 0, 0);

    /* the same provider id in two districts: two providers, each its own name */
    t = s_tab(s_query(fx, "workload", "", 0, 0, false), "workload");
    s_rows_are(t, "organization|ORG-1|" ORG1_NAME, "organization|jiangbei/ORG-1|江北机构", NULL);
    t = s_tab(s_query_in(fx, "jiangbei", "workload", "", 0, 0, false), "workload");
    s_rows_are(t, "organization|jiangbei/ORG-1|江北机构", NULL);

    /* the summary of one district and of the city */
    t = s_tab(s_query_in(fx, "jiangbei", "summary", "", 0, 0, false), "summary");
    ROW(t, "requests", 2);
    ROW(t, "opinions", 2);
    ROW(t, "events", 7);
    t = s_tab(s_query(fx, "summary", "", 0, 0, false), "summary");
    ROW(t, "requests", 4);
    ROW(t, "events", fx->seq);

    /* the public view suppresses per district as anywhere */
    Reporting__QueryReply *rep = s_query(fx, "requests", "district", 0, 0, true);
    t = s_tab(rep, "requests_by_district");
    ROW(t, "jiangbei", -1, -1, 0);
    assert_null(t->total);
    assert_true(rep->suppressed);

    /* the local district's keys are as they always were: "R1", no district */
    MDB_txn *txn;
    assert_int_equal(mdb_txn_begin(fx->st->env, NULL, MDB_RDONLY, &txn), 0);
    MDB_val k = {2, "R1"}, v;
    assert_int_equal(mdb_get(txn, fx->db.facts, &k, &v), 0);
    k = (MDB_val){11, "jiangbei\x1fR1"};
    assert_int_equal(mdb_get(txn, fx->db.facts, &k, &v), 0);
    mdb_txn_abort(txn);

    /* a district name that cannot be one; an id that would read as one */
    Reporting__QueryRequest q = REPORTING__QUERY_REQUEST__INIT;
    q.figure = S("requests"), q.district = S("Jiang/bei");
    assert_int_equal(mdb_txn_begin(fx->st->env, NULL, MDB_RDONLY, &txn), 0);
    Reporting__QueryReply *out = NULL;
    int mdb_rc = -7;
    hub_error_t err = {0};
    assert_int_equal(rep_query(txn, &fx->db, &q, NOW, fx->q_arena, &out, &mdb_rc, &err), -1);
    mdb_txn_abort(txn);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    assert_string_equal(err.field, "district");
    const req_t sep = {"X\x1fR9", "meal", "-", "web", RES, T(3, 6, 9, 0), 0};
    Matching__Referral r = MATCHING__REFERRAL__INIT;
    r.request_id = S(sep.id);
    Matching__ReferralEvent e = MATCHING__REFERRAL_EVENT__INIT;
    e.action = S("offered"), e.referral = &r;
    uint8_t buf[256];
    size_t n = matching__referral_event__pack(&e, buf);
    memset(&err, 0, sizeof err);
    assert_int_equal(s_apply_raw(fx, "matching.referral.offered", sep.at, buf, n, &mdb_rc, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    assert_true(rep_district_ok("jiangbei") && rep_district_ok("a-1_b") && !rep_district_ok("") &&
                !rep_district_ok("Jiangbei") && !rep_district_ok("a.b") && !rep_district_ok("abcdefghijklmnopq"));
}

/* The districts a city instance with local district haishu reports on. */
static const char CITY_NAMES[][REP_DISTRICT_MAX + 1] = {"jiangbei", "beilun"};
static const rep_districts_t CITY = {"haishu", CITY_NAMES, 2};

static void test_district_known(void **state)
{
    (void)state;
    hub_error_t err = {0};
    const char *known[] = {"", "-", "haishu", "jiangbei", "beilun"};
    for (size_t i = 0; i < 5; i++) assert_int_equal(rep_district_known(&CITY, known[i], &err), 0);
    assert_int_equal(rep_district_known(&CITY, NULL, &err), 0);
    assert_int_equal(rep_district_known(&CITY, "nowhere", &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__NOT_FOUND);
    assert_string_equal(err.field, "district");
    assert_non_null(strstr(err.message, "jiangbei beilun"));
    const rep_districts_t lone = {"", NULL, 0}; /* a district instance without a name */
    assert_int_equal(rep_district_known(&lone, "-", &err), 0);
    assert_int_equal(rep_district_known(&lone, "haishu", &err), -1);
    assert_null(rep_district_title(&CITY, ""));
    assert_null(rep_district_title(&CITY, NULL));
    assert_string_equal(rep_district_title(&CITY, "-"), "haishu");
    assert_string_equal(rep_district_title(&CITY, "beilun"), "beilun");
    assert_string_equal(rep_district_title(&lone, "-"), "本区");
}

/* curl write callback: appends to a hub_buf_t. */
static size_t s_body(char *p, size_t size, size_t n, void *arg)
{
    hub_buf_put(arg, p, size * n);
    return size * n;
}

/* GET http://127.0.0.1:port<path>: the status, the body parsed as JSON
 * into *out (owned by the caller). */
static long s_get_json(int port, const char *path, json_t **out)
{
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    hub_buf_t b = {0};
    CURL *e = curl_easy_init();
    assert_non_null(e);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 15000L);
    CURLcode rc = curl_easy_perform(e);
    long code = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(e);
    if (rc != CURLE_OK) fail_msg("GET %s: %s", path, curl_easy_strerror(rc));
    json_error_t jerr;
    *out = b.p ? json_loads(b.p, 0, &jerr) : NULL;
    if (!*out) fail_msg("GET %s: not JSON: %s", path, b.p ? b.p : "(empty)");
    free(b.p);
    return code;
}

static int s_strcmp(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* The first key column's values of /api/figures' first table, sorted and
 * joined by spaces (static buffer; the rows come by count). */
static const char *s_json_keys(json_t *fig)
{
    static char keys[512];
    const char *vals[32];
    size_t n = 0, i;
    json_t *t = json_array_get(json_object_get(fig, "tables"), 0), *row;
    const char *col = json_string_value(json_array_get(json_object_get(t, "key_columns"), 0));
    assert_non_null(col);
    json_array_foreach(json_object_get(t, "rows"), i, row)
    {
        if (n < 32) vals[n++] = json_string_value(json_object_get(row, col));
    }
    qsort(vals, n, sizeof *vals, s_strcmp);
    keys[0] = 0;
    for (i = 0; i < n; i++) {
        size_t l = strlen(keys);
        snprintf(keys + l, sizeof keys - l, "%s%s", l ? " " : "", vals[i] ? vals[i] : "(null)");
    }
    return keys;
}

/* GET /api/figures of the dashboard of a city instance (local haishu,
 * districts jiangbei and beilun) over the districts' store. */
static void test_dashboard_district_figures(void **state)
{
    fx_t *fx = s_fx(state, 0);
    s_history_districts(fx);
    s_commit(fx);
    fx->db.local = "haishu";
    void *zctx = zmq_ctx_new();
    rep_dash_conf_t c = {"127.0.0.1:0", NULL, 0, 1000, 3500, zctx, fx->st, &fx->db, CITY};
    hub_error_t err = {0};
    rep_dash_t *dash = rep_dash_new(&c, &err);
    if (!dash) fail_msg("rep_dash_new: %s", err.message);
    int port = rep_dash_port(dash);
    assert_true(port > 0);
    static const struct {
        const char *query, *keys;
    } cases[] = {
        /* absent: the city, every district */
        {"figure=requests&by=service", "clean escort meal"},
        {"figure=requests&by=district", "beilun haishu jiangbei"},
        /* one district: its own, nobody else's */
        {"figure=requests&by=service&district=jiangbei", "clean meal"},
        {"figure=requests&by=district&district=beilun", "beilun"},
        /* the local one, by its name or "-" */
        {"figure=requests&by=service&district=haishu", "meal"},
        {"figure=requests&by=service&district=-", "meal"},
        {"figure=requests&by=service&district=", "clean escort meal"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[256];
        snprintf(path, sizeof path, "/api/figures?%s", cases[i].query);
        json_t *j;
        long code = s_get_json(port, path, &j);
        if (code != 200) fail_msg("GET %s: HTTP %ld", path, code);
        const char *keys = s_json_keys(j);
        if (strcmp(keys, cases[i].keys)) fail_msg("GET %s: rows %s, wanted %s", path, keys, cases[i].keys);
        assert_true(json_is_true(json_object_get(j, "suppressed"))); /* public, as ever */
        json_decref(j);
    }
    /* a district this instance does not report on: 404, a JSON error */
    static const char *const unknown[] = {"nowhere", "Jiang%2Fbei"};
    for (size_t i = 0; i < 2; i++) {
        char path[256];
        snprintf(path, sizeof path, "/api/figures?figure=requests&district=%s", unknown[i]);
        json_t *j;
        assert_int_equal(s_get_json(port, path, &j), 404);
        assert_string_equal(json_string_value(json_object_get(j, "error")), "NOT_FOUND");
        assert_string_equal(json_string_value(json_object_get(j, "field")), "district");
        json_decref(j);
    }
    rep_dash_destroy(&dash);
    zmq_ctx_term(zctx);
}

/* ---------------------------------------------------------- date ranges */

static void test_ranges_and_cst_days(void **state)
{
    fx_t *fx = s_fx(state, 0);
    int64_t d1 = T(3, 1, 0, 0), d2 = T(3, 2, 0, 0), d3 = T(3, 3, 0, 0);
    assert_int_equal(d2, D2_UTC);
    const req_t R1 = {"R1", "meal", "鼓楼街道", "web", RES, d2 - MIN, 0},   /* 23:59 CST Mar 1 = 15:59 UTC */
        R2 = {"R2", "meal", "鼓楼街道", "web", RES, d2, 0},                 /* 00:00 CST Mar 2 = 16:00 UTC */
        R3 = {"R3", "meal", "鼓楼街道", "web", RES, d2 + 10 * HOUR, 0};
    ev_req(fx, "accepted", &R1, R1.at);
    ev_req(fx, "accepted", &R2, R2.at);
    ev_req(fx, "accepted", &R3, R3.at);
    ev_op(fx, "交通", "鼓楼街道", d2 - 1);
    ev_op(fx, "交通", "鼓楼街道", d2);
    ev_op(fx, "交通", "鼓楼街道", d3 - 1);
    ev_op(fx, "交通", "鼓楼街道", d3);
    ev_dl(fx, "sent", NOTIFICATION__CHANNEL__SMS, d2 - 1);
    ev_dl(fx, "sent", NOTIFICATION__CHANNEL__SMS, d2);

    const Reporting__Table *t = s_tab(s_query(fx, "requests", "day", 0, 0, false), "requests_by_day");
    s_rows_are(t, "2026-03-01", "2026-03-02", NULL);
    ROW(t, "2026-03-01", 1, 0, 0);
    ROW(t, "2026-03-02", 2, 0, 0);

    /* requests: from inclusive, to exclusive, at the exact millisecond */
    struct { int64_t from, to, n; } rq[] = {
        {R2.at, R3.at, 1}, {R2.at, R3.at + 1, 2}, {R1.at, R2.at, 1}, {R1.at + 1, R2.at + 1, 1},
        {R1.at + 1, R2.at, 0}, {0, R1.at, 0}, {0, R1.at + 1, 1}, {R3.at, 0, 1}, {R3.at + 1, 0, 0},
    };
    for (size_t i = 0; i < sizeof rq / sizeof *rq; i++) {
        t = s_tab(s_query(fx, "requests", "service", rq[i].from, rq[i].to, false), "requests_by_service");
        if (t->total->values[0] != rq[i].n)
            fail_msg("requests in range %zu: %lld, expected %lld", i, (long long)t->total->values[0],
                     (long long)rq[i].n);
        if (rq[i].n) ROW(t, "meal", rq[i].n, 0, 0);
        else s_rows_are(t, NULL);
    }

    /* counters: whole CST days of the range's ends */
    struct { int64_t from, to, n; } op[] = {
        {d2, d3, 2},              /* 00:00:00.000 and 23:59:59.999 of Mar 2 */
        {d2 + 10 * HOUR, d3, 2},  /* still the whole of Mar 2 */
        {d2, d2 + 1, 2},          /* the first ms of Mar 2: the whole day */
        {d2 - 1, d2, 1},          /* the last ms of Mar 1 */
        {d1, d2, 1},
        {d1, d3 + 1, 4},
        {d3, 0, 1},
    };
    for (size_t i = 0; i < sizeof op / sizeof *op; i++) {
        t = s_tab(s_query(fx, "opinions", "", op[i].from, op[i].to, false), "opinions_by_topic");
        if (t->total->values[0] != op[i].n)
            fail_msg("opinions in range %zu: %lld, expected %lld", i, (long long)t->total->values[0],
                     (long long)op[i].n);
    }
    t = s_tab(s_query(fx, "deliveries", "", d1, d2, false), "deliveries");
    TOTAL(t, 1);
    t = s_tab(s_query(fx, "deliveries", "", d2, d3, false), "deliveries");
    TOTAL(t, 1);
    /* events: Mar 1 holds R1, an opinion and a delivery */
    t = s_tab(s_query(fx, "summary", "", d1, d2, false), "summary");
    ROW(t, "events", 3);
    ROW(t, "requests", 1);
}

/* ----------------------------------------------------------- public view */

static void test_public_suppression(void **state)
{
    fx_t *fx = s_fx(state, 0);
    char ids[10][4];
    for (int i = 0; i < 10; i++) {
        const char *svc = i < 5 ? "a" : i < 9 ? "b" : "c";
        snprintf(ids[i], sizeof ids[i], "P%d", i);
        req_t q = {ids[i], svc, "鼓楼街道", "web", RES, T(3, 2, 9, 0) + i * HOUR, 0};
        ev_req(fx, "accepted", &q, q.at);
        if (i < 5) {   /* a: offered after 1..5 min, then nobody: unmet and queued */
            ev_ref(fx, "offered", &q, q.at + (i + 1) * MIN, ORG, "ORG-1", 0, 0);
            ev_ref(fx, "declined", &q, q.at + 30 * MIN, ORG, "ORG-1", 0, 0);
            ev_ref(fx, "unmatched", &q, q.at + 31 * MIN, 0, NULL, 0, 0);
        } else if (i < 9) {   /* b: offered after 10 min, accepted after 20; one completed */
            ev_ref(fx, "offered", &q, q.at + 10 * MIN, ORG, "ORG-1", 0, 0);
            ev_ref(fx, "accepted", &q, q.at + 20 * MIN, ORG, "ORG-1", 0, 0);
            if (i == 5) ev_ref(fx, "completed", &q, q.at + 60 * MIN, ORG, "ORG-1", GOT_HELP, 0);
        }
    }
    ev_money(fx, true, 4, T(3, 2, 12, 0));   /* 4 fen: not a count */
    int64_t d2 = T(3, 2, 0, 0), d3 = T(3, 3, 0, 0);

    /* exact */
    Reporting__QueryReply *rep = s_query(fx, "requests", "", d2, d3, false);
    const Reporting__Table *t = s_tab(rep, "requests_by_service");
    ROW(t, "a", 5, 0, 5);
    ROW(t, "b", 4, 1, 0);
    ROW(t, "c", 1, 0, 0);
    TOTAL(t, 10, 1, 5);
    assert_false(rep->suppressed);

    /* public: 1..4 -> -1; 0 and >= 5 kept; no total */
    rep = s_query(fx, "requests", "", d2, d3, true);
    t = s_tab(rep, "requests_by_service");
    s_rows_are(t, "a", "b", "c", NULL);
    ROW(t, "a", 5, 0, 5);
    ROW(t, "b", -1, -1, 0);
    ROW(t, "c", -1, 0, 0);
    assert_null(t->total);
    assert_true(rep->suppressed);

    /* public with nothing small to hide: not marked suppressed, but still no total */
    rep = s_query(fx, "requests", "", d2, T(3, 2, 9, 0) + 5 * HOUR, true);
    t = s_tab(rep, "requests_by_service");
    s_rows_are(t, "a", NULL);
    ROW(t, "a", 5, 0, 5);
    assert_null(t->total);
    assert_false(rep->suppressed);

    /* times: a row of fewer than 5 requests hides its percentiles */
    rep = s_query(fx, "times", "", d2, d3, false);
    t = s_tab(rep, "times_by_service");
    ROW(t, "a", 5, 3 * MIN, 5 * MIN, -1, -1, -1, -1);
    ROW(t, "b", 4, 10 * MIN, 10 * MIN, 20 * MIN, 20 * MIN, 60 * MIN, 60 * MIN);
    ROW(t, "c", 1, -1, -1, -1, -1, -1, -1);
    assert_non_null(t->total);
    assert_false(rep->suppressed);
    rep = s_query(fx, "times", "", d2, d3, true);
    t = s_tab(rep, "times_by_service");
    s_rows_are(t, "a", "b", "c", NULL);
    ROW(t, "a", 5, 3 * MIN, 5 * MIN, -1, -1, -1, -1);
    ROW(t, "b", -1, -1, -1, -1, -1, -1, -1);
    ROW(t, "c", -1, -1, -1, -1, -1, -1, -1);
    assert_null(t->total);
    assert_true(rep->suppressed);

    /* unmet: 5 kept */
    rep = s_query(fx, "unmet", "", d2, d3, true);
    t = s_tab(rep, "unmet");
    ROW(t, "a|鼓楼街道", 5, 5);
    assert_null(t->total);
    assert_false(rep->suppressed);

    /* funds: a count of 1 hidden, its fen kept */
    rep = s_query(fx, "funds", "", d2, d3, true);
    t = s_tab(rep, "funds_by_month");
    ROW(t, "2026-03", -1, 4, 0, 0, 0, 0, 0, 0);
    assert_true(rep->suppressed);
    rep = s_query(fx, "funds", "", d2, d3, false);
    t = s_tab(rep, "funds_by_month");
    ROW(t, "2026-03", 1, 4, 0, 0, 0, 0, 0, 0);
    assert_false(rep->suppressed);

    /* summary: counts 1..4 hidden, fen rows kept */
    rep = s_query(fx, "summary", "", d2, d3, true);
    t = s_tab(rep, "summary");
    ROW(t, "requests", 10);
    ROW(t, "completed", -1);
    ROW(t, "unmet", 5);
    ROW(t, "queued", 5);
    ROW(t, "donations", -1);
    ROW(t, "donations_fen", 4);
    ROW(t, "opinions", 0);
}

/* ------------------------------------------------------- no double count */

static const struct { const char *fig, *by; } ALL_Q[] = {
    {"requests", "service"}, {"requests", "street"}, {"requests", "channel"}, {"requests", "status"},
    {"requests", "kind"},    {"requests", "day"},    {"requests", "month"},   {"times", "service"},
    {"times", "street"},     {"outcomes", ""},       {"unmet", ""},           {"workload", ""},
    {"tenders", ""},         {"funds", "month"},     {"funds", "day"},        {"disclosures", ""},
    {"opinions", "topic"},   {"opinions", "street"}, {"opinions", "topic_street"}, {"deliveries", ""},
    {"summary", ""},
};

/* Every figure (exact and public) of a and b packs to the same bytes. */
static void s_same_tables(fx_t *a, fx_t *b)
{
    for (size_t i = 0; i < sizeof ALL_Q / sizeof *ALL_Q; i++)
        for (int pub = 0; pub < 2; pub++) {
            Reporting__QueryReply *ra = s_query(a, ALL_Q[i].fig, ALL_Q[i].by, 0, 0, pub);
            Reporting__QueryReply *rb = s_query(b, ALL_Q[i].fig, ALL_Q[i].by, 0, 0, pub);
            size_t na = reporting__query_reply__get_packed_size(ra);
            size_t nb = reporting__query_reply__get_packed_size(rb);
            uint8_t *pa = malloc(na), *pb = malloc(nb);
            reporting__query_reply__pack(ra, pa);
            reporting__query_reply__pack(rb, pb);
            bool same = na == nb && !memcmp(pa, pb, na);
            free(pa);
            free(pb);
            if (!same) fail_msg("%s by %s (public %d) differs", ALL_Q[i].fig, ALL_Q[i].by, pub);
        }
}

static void test_replay_no_double_counting(void **state)
{
    fx_t *a = s_fx(state, 0), *b = s_fx(state, 1), *c = s_fx(state, 2);
    s_history_all(a);
    s_commit(a);
    /* b: the first attempt dies before its commit, the replay commits per
     * event, its intake events digested first (as hub-reporting's feed
     * thread does) */
    s_history_all(b);
    s_abort(b);
    b->per_event = true;
    b->digest = true;
    s_history_all(b);
    /* c: the same history again, in one transaction, its counters gathered
     * in memory (rep_acc_t, as the daemon does per batch) and written at
     * the commit; an abandoned first attempt leaves nothing behind */
    c->db.acc = rep_acc_new();
    assert_non_null(c->db.acc);
    s_history_all(c);
    s_abort(c);
    s_history_all(c);
    s_commit(c);
    rep_acc_destroy(&c->db.acc);
    s_same_tables(a, b);
    s_same_tables(a, c);

    /* the tables compared are not empty: every history is in them */
    const Reporting__Table *t = s_tab(s_query(a, "summary", "", 0, 0, false), "summary");
    ROW(t, "requests", 7 + 14 + 2 + 8 + 7);
    ROW(t, "opinions", 8);
    ROW(t, "tenders", 5);
    ROW(t, "deliveries", 8);
    t = s_tab(s_query(a, "workload", "", 0, 0, false), "workload");
    assert_true(t->n_rows >= 5);
}

/* ---------------------------------------------------------- no personal data */

typedef struct {
    size_t records, controls;
} scan_t;

static bool s_has(const MDB_val *v, const char *s)
{
    return v->mv_size && memmem(v->mv_data, v->mv_size, s, strlen(s)) != NULL;
}

static void s_scan_db(MDB_txn *txn, MDB_dbi dbi, const char *name, scan_t *sc)
{
    MDB_cursor *c;
    MDB_val k, v;
    assert_int_equal(mdb_cursor_open(txn, dbi, &c), 0);
    int rc;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        sc->records++;
        for (size_t i = 0; PII[i]; i++)
            if (s_has(&k, PII[i]) || s_has(&v, PII[i])) fail_msg("\"%s\" found in database %s", PII[i], name);
        if (s_has(&k, "鼓楼街道") || s_has(&v, "鼓楼街道") || s_has(&v, ORG1_NAME)) sc->controls++;
    }
    assert_int_equal(rc, MDB_NOTFOUND);
    mdb_cursor_close(c);
}

static void test_no_personal_data(void **state)
{
    fx_t *fx = s_fx(state, 0);
    s_history_all(fx);
    s_commit(fx);
    MDB_txn *txn;
    assert_int_equal(mdb_txn_begin(fx->st->env, NULL, MDB_RDONLY, &txn), 0);
    scan_t sc = {0};
    MDB_dbi main_dbi;
    assert_int_equal(mdb_dbi_open(txn, NULL, 0, &main_dbi), 0);
    s_scan_db(txn, main_dbi, "(main)", &sc);
    s_scan_db(txn, fx->st->meta, "meta", &sc);
    for (int i = 0; i < fx->st->n_dbs; i++) s_scan_db(txn, fx->st->dbs[i], NAMES[i], &sc);
    mdb_txn_abort(txn);
    /* the scan saw the store's contents: streets and the organization's public name */
    assert_true(sc.records > 100);
    assert_true(sc.controls > 10);
}

/* ------------------------------------------------------------ bad input */

static void test_bad_input(void **state)
{
    fx_t *fx = s_fx(state, 0);
    int mdb_rc = -7;
    hub_error_t err = {0};
    const uint8_t junk[] = {0xff, 0xff, 0xff};
    assert_int_equal(s_apply_raw(fx, "intake.request.accepted", T(3, 2, 9, 0), junk, sizeof junk, &mdb_rc, &err),
                     -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    assert_int_equal(mdb_rc, 0);
    static const char *const topics[] = {"matching.referral.offered", "intake.opinion.received",
                                         "funds.donation.received", "tendering.tender.planned",
                                         "notification.delivery.sent", "matching.org.added", NULL};
    for (size_t i = 0; topics[i]; i++) {
        hub_error_t e = {0};
        mdb_rc = -7;
        if (s_apply_raw(fx, topics[i], T(3, 2, 9, 0), junk, sizeof junk, &mdb_rc, &e) != -1)
            fail_msg("%s: junk payload applied", topics[i]);
        assert_int_equal(e.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
        assert_int_equal(mdb_rc, 0);
    }

    /* a request without an id */
    const req_t noid = {"", "meal", "鼓楼街道", "web", RES, T(3, 2, 9, 0), 0};
    Intake__Request r = INTAKE__REQUEST__INIT;
    r.service_request_id = S(noid.id), r.service_code = S(noid.svc), r.requested_ms = noid.at;
    Intake__RequestEvent e = INTAKE__REQUEST_EVENT__INIT;
    e.action = S("accepted"), e.request = &r;
    uint8_t buf[256];
    size_t n = intake__request_event__pack(&e, buf);
    err = (hub_error_t){0};
    mdb_rc = -7;
    assert_int_equal(s_apply_raw(fx, "intake.request.accepted", T(3, 2, 9, 0), buf, n, &mdb_rc, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    assert_int_equal(mdb_rc, 0);

    /* unknown topics: ignored, whatever their payload */
    err = (hub_error_t){0};
    mdb_rc = -7;
    assert_int_equal(s_apply_raw(fx, "hub.heartbeat", T(3, 2, 9, 0), junk, sizeof junk, &mdb_rc, &err), 0);
    assert_int_equal(mdb_rc, 0);
    assert_int_equal(s_apply_raw(fx, "weather.rain", T(3, 2, 9, 0), junk, sizeof junk, &mdb_rc, &err), 0);
    assert_int_equal(err.code, 0);
    s_commit(fx);
    const Reporting__Table *t = s_tab(s_query(fx, "requests", "", 0, 0, false), "requests_by_service");
    s_rows_are(t, NULL);
    TOTAL(t, 0, 0, 0);

    hub_error_t qe;
    qe = s_query_err(fx, "bogus", "", 0, 0);
    assert_int_equal(qe.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    qe = s_query_err(fx, "", "", 0, 0);
    assert_int_equal(qe.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    static const char *const bad_by[][2] = {{"requests", "colour"}, {"times", "channel"}, {"times", "day"},
                                            {"funds", "week"},       {"opinions", "service"}, {"requests", "topic"}};
    for (size_t i = 0; i < sizeof bad_by / sizeof *bad_by; i++) {
        qe = s_query_err(fx, bad_by[i][0], bad_by[i][1], 0, 0);
        if (qe.code != HUB__ERROR_CODE__INVALID_ARGUMENT) fail_msg("%s by %s accepted", bad_by[i][0], bad_by[i][1]);
    }
    int64_t d2 = T(3, 2, 0, 0);
    qe = s_query_err(fx, "requests", "", d2, d2);
    assert_int_equal(qe.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    qe = s_query_err(fx, "summary", "", d2 + 1, d2);
    assert_int_equal(qe.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    qe = s_query_err(fx, "opinions", "", NOW + DAY, 0);   /* from after now, to = now */
    assert_int_equal(qe.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
}

/* --------------------------------------------------- tables' shapes */

static void test_table_shapes(void **state)
{
    fx_t *fx = s_fx(state, 0);
    static const char *const C3[] = {"count", "count", "count", NULL};
    static const char *const by_req[] = {"service", "street", "channel", "status", "kind", "day", "month", NULL};
    for (size_t i = 0; by_req[i]; i++) {
        char name[64];
        snprintf(name, sizeof name, "requests_by_%s", by_req[i]);
        const Reporting__Table *t = s_tab(s_query(fx, "requests", by_req[i], 0, 0, false), name);
        s_shape(t, (const char *const[]){by_req[i], NULL}, L("requests", "completed", "unmet"), C3);
    }
    const char *const *tv = L("requests", "offer_p50", "offer_p90", "accept_p50", "accept_p90", "close_p50", "close_p90");
    const char *const *tu = L("count", "ms", "ms", "ms", "ms", "ms", "ms");
    s_shape(s_tab(s_query(fx, "times", "", 0, 0, false), "times_by_service"), L("service"), tv, tu);
    s_shape(s_tab(s_query(fx, "times", "street", 0, 0, false), "times_by_street"), L("street"), tv, tu);
    s_shape(s_tab(s_query(fx, "outcomes", "", 0, 0, false), "outcomes"), L("outcome"), L("requests"), L("count"));
    s_shape(s_tab(s_query(fx, "unmet", "", 0, 0, false), "unmet"), L("service", "street"), L("unmet", "queued"),
            L("count", "count"));
    Reporting__QueryReply *rep = s_query(fx, "tenders", "", 0, 0, false);
    assert_int_equal(rep->n_tables, 2);
    s_shape(s_tab(rep, "tenders_by_state"), L("state"), L("processes", "budget_fen", "awarded_fen", "paid_fen"),
            L("count", "fen", "fen", "fen"));
    s_shape(s_tab(rep, "tenders"), L("ocid", "title", "buyer", "state", "winner"),
            L("bids", "budget_fen", "awarded_fen", "paid_fen"), L("count", "fen", "fen", "fen"));
    const char *const *fv = L("donations", "donations_fen", "disbursements", "disbursed_fen", "contributions",
                              "contributions_fen", "payments", "payments_fen");
    const char *const *fu = L("count", "fen", "count", "fen", "count", "fen", "count", "fen");
    s_shape(s_tab(s_query(fx, "funds", "", 0, 0, false), "funds_by_month"), L("month"), fv, fu);
    s_shape(s_tab(s_query(fx, "funds", "day", 0, 0, false), "funds_by_day"), L("day"), fv, fu);
    s_shape(s_tab(s_query(fx, "disclosures", "", 0, 0, false), "disclosures"),
            L("date", "recipient", "street", "purpose"), L("amount_fen"), L("fen"));
    s_shape(s_tab(s_query(fx, "opinions", "", 0, 0, false), "opinions_by_topic"), L("topic"), L("opinions"),
            L("count"));
    s_shape(s_tab(s_query(fx, "opinions", "street", 0, 0, false), "opinions_by_street"), L("street"),
            L("opinions"), L("count"));
    s_shape(s_tab(s_query(fx, "opinions", "topic_street", 0, 0, false), "opinions_by_topic_street"),
            L("topic", "street"), L("opinions"), L("count"));
    s_shape(s_tab(s_query(fx, "opinions", "policy_topic", 0, 0, false), "opinions_by_policy_topic"),
            L("policy_topic"), L("opinions"), L("count"));
    s_shape(s_tab(s_query(fx, "opinions", "policy_topic_street", 0, 0, false), "opinions_by_policy_topic_street"),
            L("policy_topic", "street"), L("opinions"), L("count"));
    const char *const *av = L("activities", "cancelled", "registrations", "confirmed", "waitlisted", "withdrawn",
                              "attended", "hours_x100");
    const char *const *au = L("count", "count", "count", "count", "count", "count", "count", "hours_x100");
    s_shape(s_tab(s_query(fx, "activities", "", 0, 0, false), "activities_by_kind"), L("kind"), av, au);
    s_shape(s_tab(s_query(fx, "activities", "street", 0, 0, false), "activities_by_street"), L("street"), av, au);
    s_shape(s_tab(s_query(fx, "activities", "kind_street", 0, 0, false), "activities_by_kind_street"),
            L("kind", "street"), av, au);
    s_shape(s_tab(s_query(fx, "activities", "month", 0, 0, false), "activities_by_month"), L("month"), av, au);
    s_shape(s_tab(s_query(fx, "deliveries", "", 0, 0, false), "deliveries"), L("channel", "action"),
            L("deliveries"), L("count"));
    s_shape(s_tab(s_query(fx, "summary", "", 0, 0, false), "summary"), L("figure"), L("value"), L("count"));
    /* last: report.h names the workload's hours column hours_x100 */
    s_shape(s_tab(s_query(fx, "workload", "", 0, 0, false), "workload"), L("kind", "provider", "name"),
            L("offers", "accepted", "declined", "expired", "completed", "hours_x100"),
            L("count", "count", "count", "count", "count", "hours_x100"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days_and_periods),
        cmocka_unit_test_setup_teardown(test_requests_by, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_times_percentiles, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_wrong_order_same_facts, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_outcomes_unmet, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_assigned_is_not_an_offer, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_reopened_leaves_outcomes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_workload, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_workload_volunteer_never_named, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_opinions, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_activities, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_activity_states, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_opinions_policy_topic, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_yearly_told_us, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_voice_no_personal_data, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_migrate_policy_topics, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_funds_disclosures, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_tenders, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_deliveries, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_summary, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_ranges_and_cst_days, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_public_suppression, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_replay_no_double_counting, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_no_personal_data, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_table_shapes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_districts, s_setup, s_teardown),
        cmocka_unit_test(test_district_known),
        cmocka_unit_test_setup_teardown(test_dashboard_district_figures, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
