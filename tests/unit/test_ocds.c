/* Unit tests for ocds: a tendering process as OCDS 1.1.5 JSON.
 *
 * Processes are built by hand (arena-allocated protobuf structs) at each
 * stage of a public-benefit tender (planning draft, published with
 * documents, an amendment, enquiries and sealed bids, evaluation, award
 * pending and active, contracted with milestones and payments, closed with
 * the post-evaluation) and its side branches (unsuccessful twice,
 * cancelled twice), and for a venture round with three funders. Each test
 * checks the key fields exactly (statuses, roles, amounts as text), that
 * sealed content never shows, and validates the release, the release
 * package of the whole history and the record package with
 * tests/support/ocds_validate.py (OCDS 1.1.5 schemas and codelists kept in
 * tests/schemas/ocds-1.1.5): the tests run from the repository root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hub_wire.h"
#include "ocds.h"
#include "tender.h"

#define ARENA_BUDGET (16u << 20)
#define T0_MS 1795664400000LL /* 2026-11-26T03:40:00Z */
#define DAY_MS 86400000LL
#define OCID "ocds-hshub0-000001"
#define HUB_ID "HUB-HAISHU"
#define HUB_NAME "海曙区社会组织服务中心"
#define PKG_URI "https://hub.example.org/ocds/" OCID
/* How the daemon writes a release: 15 significant digits print every
 * two-decimal yuan amount below 1e13 yuan exactly (jansson's default 17
 * would print 1234.56 as 1234.5599999999999). */
#define DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))
#define VALIDATOR "/usr/bin/python3 tests/support/ocds_validate.py --quiet"

/* Sealed or private content of the sample process: none of it may appear
 * in a release while the bids are sealed; the prices, proposals,
 * evaluators and scores never. */
#define BID1_ORG "ORG-001"
#define BID1_NAME "海曙区鼓楼街道老年协会"
#define BID2_ORG "ORG-002"
#define BID2_NAME "宁波市海曙区乐龄社工服务社"
#define BID3_ORG "ORG-003" /* withdraws */
#define BID3_NAME "海曙区西门街道志愿者协会"
#define BID4_ORG "ORG-004" /* disqualified at evaluation */
#define BID4_NAME "海曙区白云街道邻里互助会"
static const char *const s_never[] = {
    "1188.88",             /* BID-0002's price: 118888 fen */
    "118888",
    "PROPOSAL-TEXT",       /* every proposal */
    "secret.example",      /* bid documents */
    "张评审",              /* evaluator names */
    "ORG-AFFIL",           /* evaluator affiliations */
    "SCORE-COMMENT",       /* score comments */
    "UNANSWERED-QUESTION", /* an enquiry not answered yet */
    "BID-000",             /* bid ids */
    "ENT-0000",            /* ledger entries */
};
static const char *const s_sealed[] = {BID1_ORG, BID1_NAME, BID2_ORG, BID2_NAME,
                                       BID3_ORG, BID3_NAME, BID4_ORG, BID4_NAME};

/* ------------------------------------------------------------ building */

typedef enum {
    ST_PLANNING,
    ST_ACTIVE,
    ST_EVALUATION,
    ST_AWARD_PENDING,
    ST_AWARDED,
    ST_CONTRACTED,
    ST_CLOSED,
    ST_UNSUCCESSFUL,      /* the period ended with every bid withdrawn */
    ST_UNSUCCESSFUL_EVAL, /* every bid disqualified at evaluation */
    ST_CANCELLED,         /* cancelled while ACTIVE, bids sealed */
    ST_CANCELLED_AWARD,   /* cancelled with the award pending */
} stage_t;

static void *s_new(hub_arena_t *a, size_t size)
{
    void *p = hub_arena_alloc(a, size);
    assert_non_null(p);
    memset(p, 0, size);
    return p;
}

static Tendering__Document *s_doc(hub_arena_t *a, char *id, char *title, char *type, char *url, char *sha,
                                  int64_t ms)
{
    Tendering__Document *d = s_new(a, sizeof *d);
    tendering__document__init(d);
    d->id = id;
    d->title = title;
    d->document_type = type;
    d->url = url;
    d->sha256 = sha;
    d->date_ms = ms;
    return d;
}

static Tendering__Bid *s_bid(hub_arena_t *a, char *id, char *org, char *name, int64_t price,
                             Tendering__BidState state, int64_t ms)
{
    Tendering__Bid *b = s_new(a, sizeof *b);
    tendering__bid__init(b);
    b->id = id;
    b->org_id = org;
    b->org_name = name;
    b->price_fen = price;
    b->proposal = "PROPOSAL-TEXT: 每日助餐、上门探访";
    b->state = state;
    b->submitted_ms = ms;
    b->n_documents = 1;
    b->documents = s_new(a, sizeof *b->documents);
    b->documents[0] = s_doc(a, "BD-1", "投标方案", "technicalSpecifications", "https://secret.example/bid.pdf", "", ms);
    return b;
}

static Tendering__Funder *s_funder(hub_arena_t *a, char *id, char *name, int64_t share)
{
    Tendering__Funder *f = s_new(a, sizeof *f);
    tendering__funder__init(f);
    f->id = id;
    f->name = name;
    f->share_fen = share;
    return f;
}

static Tendering__Milestone *s_milestone(hub_arena_t *a, char *id, char *title, int64_t due,
                                         Tendering__MilestoneStatus st, int64_t met, uint32_t percent,
                                         char *text, int64_t report_ms)
{
    Tendering__Milestone *m = s_new(a, sizeof *m);
    tendering__milestone__init(m);
    m->id = id;
    m->title = title;
    m->due_ms = due;
    m->status = st;
    m->date_met_ms = met;
    m->n_reports = 1;
    m->reports = s_new(a, sizeof *m->reports);
    m->reports[0] = s_new(a, sizeof *m->reports[0]);
    tendering__progress__init(m->reports[0]);
    m->reports[0]->date_ms = report_ms;
    m->reports[0]->percent = percent;
    m->reports[0]->text = text;
    return m;
}

static Tendering__Payment *s_payment(hub_arena_t *a, char *id, int64_t fen, char *ms_id, char *entry, int64_t ms)
{
    Tendering__Payment *p = s_new(a, sizeof *p);
    tendering__payment__init(p);
    p->id = id;
    p->amount_fen = fen;
    p->milestone_id = ms_id;
    p->entry_id = entry;
    p->date_ms = ms;
    p->memo = "ENT-0000 memo";
    return p;
}

/* How far along the main path a stage is (0 planning .. 6 closed). */
static int s_level(stage_t st)
{
    switch (st) {
    case ST_UNSUCCESSFUL:
    case ST_CANCELLED: return 1;
    case ST_UNSUCCESSFUL_EVAL: return 2;
    case ST_CANCELLED_AWARD: return 3;
    default: return (int)st;
    }
}

static Tendering__State s_state(stage_t st)
{
    static const Tendering__State map[] = {
        [ST_PLANNING] = TENDERING__STATE__PLANNING,
        [ST_ACTIVE] = TENDERING__STATE__ACTIVE,
        [ST_EVALUATION] = TENDERING__STATE__EVALUATION,
        [ST_AWARD_PENDING] = TENDERING__STATE__AWARD_PENDING,
        [ST_AWARDED] = TENDERING__STATE__AWARDED,
        [ST_CONTRACTED] = TENDERING__STATE__CONTRACTED,
        [ST_CLOSED] = TENDERING__STATE__CLOSED,
        [ST_UNSUCCESSFUL] = TENDERING__STATE__UNSUCCESSFUL,
        [ST_UNSUCCESSFUL_EVAL] = TENDERING__STATE__UNSUCCESSFUL,
        [ST_CANCELLED] = TENDERING__STATE__CANCELLED,
        [ST_CANCELLED_AWARD] = TENDERING__STATE__CANCELLED,
    };
    return map[st];
}

/* When the stage's release is made. */
static int64_t s_when(stage_t st)
{
    static const int days[] = {
        [ST_PLANNING] = 0,   [ST_ACTIVE] = 1,       [ST_EVALUATION] = 21,        [ST_AWARD_PENDING] = 25,
        [ST_AWARDED] = 26,   [ST_CONTRACTED] = 28,  [ST_CLOSED] = 400,           [ST_UNSUCCESSFUL] = 21,
        [ST_UNSUCCESSFUL_EVAL] = 24, [ST_CANCELLED] = 10, [ST_CANCELLED_AWARD] = 27,
    };
    return T0_MS + days[st] * DAY_MS;
}

/* The release tag the stage's action records. */
static const char *s_tag(stage_t st)
{
    switch (st) {
    case ST_PLANNING: return "planning"; /* creating a draft */
    case ST_ACTIVE: return ocds_tag_for(TA_PUBLISH);
    case ST_EVALUATION:
    case ST_UNSUCCESSFUL: return ocds_tag_for(TA_CLOSE_PERIOD);
    case ST_AWARD_PENDING:
    case ST_UNSUCCESSFUL_EVAL: return ocds_tag_for(TA_AWARD);
    case ST_AWARDED: return ocds_tag_for(TA_ACTIVATE);
    case ST_CONTRACTED: return ocds_tag_for(TA_SIGN);
    case ST_CLOSED: return ocds_tag_for(TA_TERMINATE);
    case ST_CANCELLED:
    case ST_CANCELLED_AWARD: return ocds_tag_for(TA_CANCEL);
    }
    return NULL;
}

/* The stages a process went through to reach st, st last. */
static size_t s_path(stage_t st, stage_t *path)
{
    size_t n = 0;
    switch (st) {
    case ST_UNSUCCESSFUL:
    case ST_CANCELLED:
        path[n++] = ST_PLANNING;
        path[n++] = ST_ACTIVE;
        break;
    case ST_UNSUCCESSFUL_EVAL:
        path[n++] = ST_PLANNING;
        path[n++] = ST_ACTIVE;
        path[n++] = ST_EVALUATION;
        break;
    case ST_CANCELLED_AWARD:
        for (stage_t s = ST_PLANNING; s < ST_AWARD_PENDING + 1; s++) path[n++] = s;
        break;
    default:
        for (stage_t s = ST_PLANNING; s < st; s++) path[n++] = s;
    }
    path[n++] = st;
    return n;
}

/* The sample process at stage st: a PURCHASE by 海曙区民政局 (one funder,
 * the buyer) or a VENTURE round co-funded by three funders. */
static Tendering__Process *s_build(hub_arena_t *a, Tendering__Kind kind, stage_t st)
{
    int lvl = s_level(st);
    bool venture = kind == TENDERING__KIND__VENTURE;
    Tendering__Process *p = s_new(a, sizeof *p);
    tendering__process__init(p);
    p->ocid = OCID;
    p->kind = kind;
    p->state = s_state(st);
    p->title = venture ? "2027年海曙区公益创投：社区居家养老" : "鼓楼街道独居老人助餐服务项目";
    p->description = "为鼓楼街道独居老人提供每日助餐与每周上门探访服务，为期一年。";
    p->buyer_id = venture ? "F-MZJ" : "GOV-MZJ";
    p->buyer_name = "海曙区民政局";
    p->need = s_new(a, sizeof *p->need);
    tendering__need__init(p->need);
    p->need->service = "elderly-care";
    p->need->street = "鼓楼街道";
    p->need->unmet_count = 12;
    p->need->note = "多为80岁以上独居老人。";
    p->budget_fen = venture ? 10000050 : 12345678; /* 100000.50 and 123456.78 yuan */
    p->eligibility = s_new(a, sizeof *p->eligibility);
    tendering__eligibility__init(p->eligibility);
    p->eligibility->members_only = true;
    p->eligibility->n_legal_forms = 2;
    p->eligibility->legal_forms = s_new(a, 2 * sizeof *p->eligibility->legal_forms);
    p->eligibility->legal_forms[0] = 1;
    p->eligibility->legal_forms[1] = 2;
    p->eligibility->min_years_active = 2;
    static char *cname[] = {"服务方案", "专业能力", "报价"};
    static const uint32_t cweight[] = {40, 30, 30};
    p->n_criteria = 3;
    p->criteria = s_new(a, 3 * sizeof *p->criteria);
    for (size_t i = 0; i < 3; i++) {
        p->criteria[i] = s_new(a, sizeof *p->criteria[i]);
        tendering__criterion__init(p->criteria[i]);
        p->criteria[i]->name = cname[i];
        p->criteria[i]->weight = cweight[i];
        p->criteria[i]->description = i == 0 ? "服务内容与频次" : "";
    }
    p->n_documents = 1;
    p->documents = s_new(a, 4 * sizeof *p->documents);
    p->documents[0] = s_doc(a, "DOC-1", "需求评估报告", "needsAssessment", "https://hub.example.org/docs/needs.pdf",
                            "", T0_MS);
    if (venture) {
        p->n_funders = 3;
        p->funders = s_new(a, 3 * sizeof *p->funders);
        p->funders[0] = s_funder(a, "F-MZJ", "海曙区民政局", 6000000);
        p->funders[1] = s_funder(a, "F-CSZH", "宁波市慈善总会", 2500050);
        p->funders[2] = s_funder(a, "F-ENT", "海曙爱心企业联盟", 1500000);
    } else {
        p->n_funders = 1;
        p->funders = s_new(a, sizeof *p->funders);
        p->funders[0] = s_funder(a, "GOV-MZJ", "海曙区民政局", p->budget_fen);
    }
    p->tender_end_ms = T0_MS + 15 * DAY_MS; /* the draft's planned end */
    p->created_ms = p->updated_ms = T0_MS;
    p->releases = 1;
    if (lvl < 1) return p;

    /* published: the period, more documents, an amendment, enquiries, sealed bids */
    p->tender_start_ms = T0_MS + DAY_MS;
    p->tender_end_ms = T0_MS + 21 * DAY_MS;
    p->documents[p->n_documents++] = s_doc(a, "DOC-2", "招标公告", "tenderNotice",
                                           "https://hub.example.org/docs/notice.pdf",
                                           "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                                           T0_MS + DAY_MS);
    p->documents[p->n_documents++] = s_doc(a, "DOC-3", "招标文件（修订）", "biddingDocuments",
                                           "https://hub.example.org/docs/bidding-v2.pdf", "", T0_MS + 5 * DAY_MS);
    p->n_amendments = 1;
    p->amendments = s_new(a, sizeof *p->amendments);
    p->amendments[0] = s_new(a, sizeof *p->amendments[0]);
    tendering__amendment__init(p->amendments[0]);
    p->amendments[0]->id = "AMD-1";
    p->amendments[0]->rationale = "应投标人要求延长投标期";
    p->amendments[0]->old_end_ms = T0_MS + 15 * DAY_MS;
    p->amendments[0]->new_end_ms = T0_MS + 21 * DAY_MS;
    p->amendments[0]->date_ms = T0_MS + 5 * DAY_MS;
    p->n_enquiries = 2;
    p->enquiries = s_new(a, 2 * sizeof *p->enquiries);
    for (size_t i = 0; i < 2; i++) {
        p->enquiries[i] = s_new(a, sizeof *p->enquiries[i]);
        tendering__enquiry__init(p->enquiries[i]);
        p->enquiries[i]->date_ms = T0_MS + (int64_t)(2 + i) * DAY_MS;
    }
    p->enquiries[0]->id = "ENQ-1";
    p->enquiries[0]->question = "助餐是否包含周末？";
    p->enquiries[0]->answer = "包含，每周七天。";
    p->enquiries[0]->answered_ms = T0_MS + 3 * DAY_MS;
    p->enquiries[1]->id = "ENQ-2";
    p->enquiries[1]->question = "UNANSWERED-QUESTION: 是否需要车辆？";
    p->n_bids = 4;
    p->bids = s_new(a, 4 * sizeof *p->bids);
    p->bids[0] = s_bid(a, "BID-0001", BID1_ORG, BID1_NAME, 123456, TENDERING__BID_STATE__BID_VALID, T0_MS + 6 * DAY_MS);
    p->bids[1] = s_bid(a, "BID-0002", BID2_ORG, BID2_NAME, 118888, TENDERING__BID_STATE__BID_VALID, T0_MS + 7 * DAY_MS);
    p->bids[2] = s_bid(a, "BID-0003", BID3_ORG, BID3_NAME, 120000, TENDERING__BID_STATE__BID_WITHDRAWN,
                       T0_MS + 8 * DAY_MS);
    p->bids[3] = s_bid(a, "BID-0004", BID4_ORG, BID4_NAME, 110000, TENDERING__BID_STATE__BID_VALID, T0_MS + 9 * DAY_MS);
    p->bid_count = 3;
    p->n_evaluators = 1;
    p->evaluators = s_new(a, sizeof *p->evaluators);
    p->evaluators[0] = s_new(a, sizeof *p->evaluators[0]);
    tendering__evaluator__init(p->evaluators[0]);
    p->evaluators[0]->id = "EV-1";
    p->evaluators[0]->name = "张评审";
    p->evaluators[0]->n_affiliations = 1;
    p->evaluators[0]->affiliations = s_new(a, sizeof(char *));
    p->evaluators[0]->affiliations[0] = "ORG-AFFIL-9";
    p->evaluators[0]->declared = true;
    p->updated_ms = T0_MS + 9 * DAY_MS;
    p->releases = 4;
    if (st == ST_UNSUCCESSFUL) {
        for (size_t i = 0; i < p->n_bids; i++) p->bids[i]->state = TENDERING__BID_STATE__BID_WITHDRAWN;
        p->bid_count = 0;
        p->updated_ms = s_when(st);
        return p;
    }
    if (st == ST_CANCELLED) {
        p->cancel_reason = "预算调整，项目取消";
        p->updated_ms = s_when(st);
        return p;
    }
    if (lvl < 2) return p;

    /* evaluation: bids opened, one disqualified, scored */
    p->bids[3]->state = TENDERING__BID_STATE__BID_DISQUALIFIED;
    p->bids[3]->disqualified_reason = "不符合资格要求";
    p->bids[0]->total_centi = 8850;
    p->bids[0]->rank = 1;
    p->bids[1]->total_centi = 8120;
    p->bids[1]->rank = 2;
    p->bid_count = 2;
    p->n_scores = 1;
    p->scores = s_new(a, sizeof *p->scores);
    p->scores[0] = s_new(a, sizeof *p->scores[0]);
    tendering__score__init(p->scores[0]);
    p->scores[0]->evaluator_id = "EV-1";
    p->scores[0]->bid_id = "BID-0001";
    p->scores[0]->comment = "SCORE-COMMENT: 方案完整";
    p->updated_ms = s_when(ST_EVALUATION);
    if (st == ST_UNSUCCESSFUL_EVAL) {
        p->bids[0]->state = p->bids[1]->state = TENDERING__BID_STATE__BID_DISQUALIFIED;
        p->bid_count = 0;
        p->updated_ms = s_when(st);
        return p;
    }
    if (lvl < 3) return p;

    p->award = s_new(a, sizeof *p->award);
    tendering__award__init(p->award);
    p->award->id = "AWD-1";
    p->award->bid_id = "BID-0001";
    p->award->org_id = BID1_ORG;
    p->award->org_name = BID1_NAME;
    p->award->value_fen = 123456; /* 1234.56 yuan */
    p->award->status = TENDERING__AWARD_STATUS__AWARD_PENDING_STATUS;
    p->award->date_ms = s_when(ST_AWARD_PENDING);
    p->updated_ms = s_when(ST_AWARD_PENDING);
    if (st == ST_CANCELLED_AWARD) {
        p->cancel_reason = "中标人放弃";
        p->updated_ms = s_when(st);
        return p;
    }
    if (lvl < 4) return p;

    p->award->status = TENDERING__AWARD_STATUS__AWARD_ACTIVE;
    p->updated_ms = s_when(ST_AWARDED);
    if (lvl < 5) return p;

    Tendering__Contract *c = s_new(a, sizeof *c);
    tendering__contract__init(c);
    p->contract = c;
    c->id = "CON-1";
    c->award_id = "AWD-1";
    c->value_fen = 123456;
    c->start_ms = T0_MS + 30 * DAY_MS;
    c->end_ms = T0_MS + 395 * DAY_MS;
    c->signed_ms = s_when(ST_CONTRACTED);
    c->status = TENDERING__CONTRACT_STATUS__CONTRACT_ACTIVE;
    c->n_milestones = 2;
    c->milestones = s_new(a, 2 * sizeof *c->milestones);
    c->milestones[0] = s_milestone(a, "MS-1", "首月助餐服务", T0_MS + 60 * DAY_MS, TENDERING__MILESTONE_STATUS__MET,
                                   T0_MS + 58 * DAY_MS, 100, "首月完成助餐620人次", T0_MS + 58 * DAY_MS);
    c->milestones[1] = s_milestone(a, "MS-2", "全年服务", T0_MS + 395 * DAY_MS,
                                   TENDERING__MILESTONE_STATUS__SCHEDULED, 0, 40, "累计助餐2480人次",
                                   T0_MS + 150 * DAY_MS);
    c->n_payments = 2;
    c->payments = s_new(a, 2 * sizeof *c->payments);
    c->payments[0] = s_payment(a, "PAY-0001", 50000, "MS-1", "ENT-000000000007", T0_MS + 59 * DAY_MS);
    c->payments[1] = s_payment(a, "PAY-0002", 23456, "", "ENT-000000000009", T0_MS + 90 * DAY_MS);
    c->paid_fen = 73456;
    if (venture) { /* the contract's value drawn in proportion to the shares */
        p->funders[0]->draw_fen = 74074;
        p->funders[1]->draw_fen = 30864;
        p->funders[2]->draw_fen = 18518;
        p->funders[0]->paid_fen = 44074;
        p->funders[1]->paid_fen = 18364;
        p->funders[2]->paid_fen = 11018;
    } else {
        p->funders[0]->draw_fen = 123456;
        p->funders[0]->paid_fen = 73456;
    }
    p->updated_ms = s_when(ST_CONTRACTED);
    if (lvl < 6) return p;

    c->status = TENDERING__CONTRACT_STATUS__CONTRACT_TERMINATED;
    c->milestones[1]->status = TENDERING__MILESTONE_STATUS__PARTIALLY_MET;
    c->milestones[1]->date_met_ms = T0_MS + 396 * DAY_MS;
    p->closure = s_new(a, sizeof *p->closure);
    tendering__closure__init(p->closure);
    p->closure->early = false;
    p->closure->post_score = 88;
    p->closure->post_evaluation = "服务覆盖率高，老人满意度92%。";
    p->closure->date_ms = s_when(ST_CLOSED);
    p->updated_ms = s_when(ST_CLOSED);
    return p;
}

/* ------------------------------------------------------------ JSON helpers */

/* The value at a path like "tender.documents[1].id", or NULL. */
static json_t *s_at(json_t *root, const char *path)
{
    json_t *cur = root;
    char key[128];
    const char *s = path;
    while (cur && *s) {
        if (*s == '.') { s++; continue; }
        if (*s == '[') {
            char *end;
            unsigned long i = strtoul(s + 1, &end, 10);
            assert_true(*end == ']');
            cur = json_array_get(cur, i);
            s = end + 1;
            continue;
        }
        size_t n = strcspn(s, ".[");
        assert_true(n < sizeof key);
        memcpy(key, s, n);
        key[n] = '\0';
        cur = json_object_get(cur, key);
        s += n;
    }
    return cur;
}

static const char *s_str_at(json_t *root, const char *path) { return json_string_value(s_at(root, path)); }

/* The dumped text, as the daemon stores it. Caller frees. */
static char *s_text(const json_t *j)
{
    char *t = json_dumps(j, DUMP_FLAGS);
    assert_non_null(t);
    return t;
}

static void s_assert_contains(const json_t *j, const char *needle)
{
    char *t = s_text(j);
    if (!strstr(t, needle)) fail_msg("\"%s\" is not in %s", needle, t);
    free(t);
}

static void s_assert_absent(const json_t *j, const char *needle)
{
    char *t = s_text(j);
    if (strstr(t, needle)) fail_msg("\"%s\" must not be in %s", needle, t);
    free(t);
}

static void s_assert_never(const json_t *j)
{
    for (size_t i = 0; i < sizeof s_never / sizeof *s_never; i++) s_assert_absent(j, s_never[i]);
}

/* True if the party with this id has the role. */
static bool s_has_role(json_t *r, const char *id, const char *role)
{
    size_t i, k;
    json_t *party, *x;
    json_array_foreach(json_object_get(r, "parties"), i, party) {
        if (strcmp(json_string_value(json_object_get(party, "id")), id) != 0) continue;
        json_array_foreach(json_object_get(party, "roles"), k, x) {
            if (strcmp(json_string_value(x), role) == 0) return true;
        }
    }
    return false;
}

static size_t s_party_count(json_t *r, const char *id)
{
    size_t i, n = 0;
    json_t *party;
    json_array_foreach(json_object_get(r, "parties"), i, party) {
        if (strcmp(json_string_value(json_object_get(party, "id")), id) == 0) n++;
    }
    return n;
}

/* ------------------------------------------------------------ validation */

typedef struct {
    hub_arena_t *arena;
    char dir[64];
} fixture_t;

static int s_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx) return -1;
    fx->arena = hub_arena_new(ARENA_BUDGET);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/hub-unit-ocds-XXXXXX");
    if (!fx->arena || !mkdtemp(fx->dir)) {
        hub_arena_destroy(&fx->arena);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *fx = *state;
    static const char *const names[] = {"release.json", "release-package.json", "record-package.json",
                                        "broken.json", "broken-0.json", "broken-1.json", "broken-2.json",
                                        "broken-3.json", "broken-4.json", "broken-5.json", "broken-6.json"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", fx->dir, names[i]);
        unlink(path);
    }
    rmdir(fx->dir);
    hub_arena_destroy(&fx->arena);
    free(fx);
    return 0;
}

/* Writes j (not taken) as the daemon would and returns the path in out. */
static void s_write(const fixture_t *fx, const char *name, const json_t *j, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", fx->dir, name);
    assert_int_equal(json_dump_file(j, out, DUMP_FLAGS | JSON_INDENT(1)), 0);
}

/* The validator's exit status (-1 if it did not exit) for files given as
 * "--kind KIND FILE..." arguments (one run checks several: starting Python
 * and jsonschema is the slow part). */
static int s_validate_args(const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, VALIDATOR " %s", args);
    fflush(stdout);
    int rc = system(cmd);
    if (rc == -1 || !WIFEXITED(rc)) return -1;
    return WEXITSTATUS(rc);
}

/* The validator's exit status for one file of the kind. */
static int s_validate(const char *kind, const char *path)
{
    char args[512];
    snprintf(args, sizeof args, "--kind %s '%s'", kind, path);
    return s_validate_args(args);
}

/* Makes the release of every stage on the way to st (numbered 1.., dated
 * s_when), checks that the release numbers and dates are what the daemon
 * would record, writes the last release, the release package of them all
 * and the record package, and validates the three files. Returns the last
 * release (caller owns) and its process. */
static json_t *s_scenario(fixture_t *fx, Tendering__Kind kind, stage_t st, Tendering__Process **proc)
{
    stage_t path[12];
    size_t n = s_path(st, path);
    json_t *releases = json_array();
    assert_non_null(releases);
    json_t *last = NULL;
    Tendering__Process *p = NULL;
    for (size_t i = 0; i < n; i++) {
        p = s_build(fx->arena, kind, path[i]);
        p->releases = (uint32_t)(i + 1);
        json_t *r = ocds_release(p, s_tag(path[i]), (uint32_t)(i + 1), s_when(path[i]), HUB_ID, HUB_NAME);
        assert_non_null(r);
        char id[64];
        snprintf(id, sizeof id, OCID "-%zu", i + 1);
        assert_string_equal(s_str_at(r, "id"), id);
        assert_string_equal(s_str_at(r, "tag[0]"), s_tag(path[i]));
        s_assert_never(r);
        assert_int_equal(json_array_append(releases, r), 0);
        if (i + 1 < n) json_decref(r);
        else last = r;
    }
    char file[128], f1[128], f2[128];
    s_write(fx, "release.json", last, f1, sizeof f1);

    json_t *pkg = ocds_release_package(json_copy(releases), PKG_URI "/releases.json", HUB_NAME, s_when(st));
    assert_non_null(pkg);
    assert_int_equal(json_array_size(json_object_get(pkg, "releases")), n);
    assert_string_equal(s_str_at(pkg, "version"), "1.1");
    assert_string_equal(s_str_at(pkg, "publisher.name"), HUB_NAME);
    s_write(fx, "release-package.json", pkg, f2, sizeof f2);
    json_decref(pkg);

    json_t *rec = ocds_record_package(p, releases, PKG_URI "/record.json", HUB_ID, HUB_NAME, s_when(st) + 1000);
    assert_non_null(rec);
    assert_string_equal(s_str_at(rec, "records[0].ocid"), OCID);
    assert_int_equal(json_array_size(s_at(rec, "records[0].releases")), n);
    assert_string_equal(s_str_at(rec, "records[0].compiledRelease.id"), OCID "-compiled");
    assert_string_equal(s_str_at(rec, "records[0].compiledRelease.tag[0]"), "compiled");
    /* dated as the last release, not as the package */
    assert_string_equal(s_str_at(rec, "records[0].compiledRelease.date"), s_str_at(last, "date"));
    assert_string_equal(s_str_at(rec, "records[0].compiledRelease.tender.status"), s_str_at(last, "tender.status"));
    s_write(fx, "record-package.json", rec, file, sizeof file);
    json_decref(rec);
    char args[512];
    snprintf(args, sizeof args, "--kind release '%s' --kind release-package '%s' --kind record-package '%s'", f1, f2,
             file);
    assert_int_equal(s_validate_args(args), 0);
    *proc = p;
    return last;
}

/* ------------------------------------------------------------ tests */

static void test_tag_for(void **state)
{
    (void)state;
    assert_string_equal(ocds_tag_for(TA_UPDATE), "planningUpdate");
    assert_string_equal(ocds_tag_for(TA_PUBLISH), "tender");
    assert_string_equal(ocds_tag_for(TA_AMEND), "tenderAmendment");
    assert_string_equal(ocds_tag_for(TA_ENQUIRY_ANSWER), "tenderUpdate");
    assert_string_equal(ocds_tag_for(TA_CLOSE_PERIOD), "tenderUpdate");
    assert_string_equal(ocds_tag_for(TA_AWARD), "award");
    assert_string_equal(ocds_tag_for(TA_ACTIVATE), "awardUpdate");
    assert_string_equal(ocds_tag_for(TA_SIGN), "contract");
    assert_string_equal(ocds_tag_for(TA_MILESTONE), "implementation");
    assert_string_equal(ocds_tag_for(TA_PAYMENT), "implementation");
    assert_string_equal(ocds_tag_for(TA_TERMINATE), "contractTermination");
    assert_string_equal(ocds_tag_for(TA_CANCEL), "tenderCancellation");
    /* not public until the award */
    assert_null(ocds_tag_for(TA_ENQUIRY_ASK));
    assert_null(ocds_tag_for(TA_BID));
    assert_null(ocds_tag_for(TA_BID_WITHDRAW));
    assert_null(ocds_tag_for(TA_EVALUATOR_ADD));
    assert_null(ocds_tag_for(TA_DECLARE));
    assert_null(ocds_tag_for(TA_SCORE));
    assert_null(ocds_tag_for(TA_DISQUALIFY));
    assert_null(ocds_tag_for(TA_READ_BIDS));
    assert_null(ocds_tag_for(TA__COUNT));
}

/* The exact yuan text of fen, as %.15g prints it: "1234.56", "1234.5", "1234". */
static void s_yuan(int64_t fen, char *out, size_t len)
{
    uint64_t mag = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    unsigned cents = (unsigned)(mag % 100);
    const char *sign = fen < 0 ? "-" : "";
    if (cents == 0) snprintf(out, len, "%s%" PRIu64, sign, mag / 100);
    else if (cents % 10 == 0) snprintf(out, len, "%s%" PRIu64 ".%u", sign, mag / 100, cents / 10);
    else snprintf(out, len, "%s%" PRIu64 ".%02u", sign, mag / 100, cents);
}

/* Every amount prints as its exact two-decimal yuan value, whole yuan as
 * integers, and reads back as the same number; over the whole range of
 * TENDER_MAX_FEN (edges, every cent pattern, and pseudo-random values). */
static void test_money_exact(void **state)
{
    fixture_t *fx = *state;
    Tendering__Process *p = s_build(fx->arena, TENDERING__KIND__PURCHASE, ST_PLANNING);
    int64_t fixed[] = {0, 1, 5, 10, 99, 100, 101, 110, 123456, 1234567, 12345678, 99999999,
                       TENDER_MAX_FEN, TENDER_MAX_FEN - 1, TENDER_MAX_FEN - 10, TENDER_MAX_FEN / 3,
                       999999999999999LL /* 15 significant digits: the most %.15g keeps */};
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < 3000; i++) {
        int64_t fen;
        if (i < sizeof fixed / sizeof *fixed) fen = fixed[i];
        else if (i < 200) fen = (int64_t)(i * 100 + i % 100); /* every cent pattern */
        else {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            fen = (int64_t)(x % (uint64_t)(TENDER_MAX_FEN + 1));
            if (i % 3 == 0) fen %= 100000000; /* smaller amounts too */
        }
        p->budget_fen = fen;
        json_t *r = ocds_release(p, "planning", 1, T0_MS, HUB_ID, HUB_NAME);
        assert_non_null(r);
        json_t *amount = s_at(r, "tender.value.amount");
        assert_non_null(amount);
        if (fen % 100 == 0) assert_true(json_is_integer(amount));
        else assert_true(json_is_real(amount));
        char want[64], *got = json_dumps(amount, JSON_ENCODE_ANY | DUMP_FLAGS);
        assert_non_null(got);
        s_yuan(fen, want, sizeof want);
        if (strcmp(got, want) != 0) fail_msg("%" PRId64 " fen printed as %s, not %s", fen, got, want);
        /* the text reads back as the same double, and as the exact fen */
        json_t *back = json_loads(got, JSON_DECODE_ANY, NULL);
        assert_non_null(back);
        assert_true(json_equal(back, amount));
        double v = json_number_value(back) * 100.0;
        assert_int_equal((int64_t)(v + (v >= 0 ? 0.5 : -0.5)), fen);
        json_decref(back);
        free(got);
        assert_string_equal(s_str_at(r, "tender.value.currency"), "CNY");
        json_decref(r);
    }
    /* in a whole release text: 123456 fen is 1234.56 exactly */
    p->budget_fen = 123456;
    json_t *r = ocds_release(p, "planning", 1, T0_MS, HUB_ID, HUB_NAME);
    assert_non_null(r);
    s_assert_contains(r, "\"value\":{\"amount\":1234.56,\"currency\":\"CNY\"}");
    s_assert_contains(r, "\"amount\":{\"amount\":1234.56,\"currency\":\"CNY\"}");
    json_decref(r);
}

static void test_dates(void **state)
{
    fixture_t *fx = *state;
    Tendering__Process *p = s_build(fx->arena, TENDERING__KIND__PURCHASE, ST_PLANNING);
    json_t *r = ocds_release(p, "planning", 1, T0_MS + 999, HUB_ID, HUB_NAME);
    assert_non_null(r);
    assert_string_equal(s_str_at(r, "date"), "2026-11-26T03:40:00Z");
    assert_string_equal(s_str_at(r, "tender.tenderPeriod.endDate"), "2026-12-11T03:40:00Z");
    assert_null(s_at(r, "tender.tenderPeriod.startDate"));
    json_decref(r);
    /* a tag not given: the one the state last recorded */
    r = ocds_release(p, NULL, 1, 0, HUB_ID, HUB_NAME);
    assert_non_null(r);
    assert_string_equal(s_str_at(r, "tag[0]"), "planning");
    assert_string_equal(s_str_at(r, "date"), "1970-01-01T00:00:00Z");
    json_decref(r);
}

static void test_planning(void **state)
{
    fixture_t *fx = *state;
    Tendering__Process *p;
    json_t *r = s_scenario(fx, TENDERING__KIND__PURCHASE, ST_PLANNING, &p);
    assert_string_equal(s_str_at(r, "ocid"), OCID);
    assert_string_equal(s_str_at(r, "initiationType"), "tender");
    assert_string_equal(s_str_at(r, "language"), "zh");
    assert_string_equal(s_str_at(r, "tender.id"), OCID);
    assert_string_equal(s_str_at(r, "tender.status"), "planning");
    assert_string_equal(s_str_at(r, "tender.procurementMethod"), "open");
    assert_string_equal(s_str_at(r, "tender.mainProcurementCategory"), "services");
    assert_string_equal(s_str_at(r, "tender.awardCriteria"), "ratedCriteria");
    assert_non_null(strstr(s_str_at(r, "tender.awardCriteriaDetails"), "服务方案 40% (服务内容与频次); 专业能力 30%; 报价 30%"));
    const char *elig = s_str_at(r, "tender.eligibilityCriteria");
    assert_non_null(strstr(elig, "Approved members"));
    assert_non_null(strstr(elig, "社会团体"));
    assert_non_null(strstr(elig, "At least 2 years"));
    assert_string_equal(s_str_at(r, "buyer.id"), "GOV-MZJ");
    assert_string_equal(s_str_at(r, "buyer.name"), "海曙区民政局");
    assert_string_equal(s_str_at(r, "tender.procuringEntity.id"), HUB_ID);
    /* the buyer funds the purchase: one party, both roles */
    assert_int_equal(s_party_count(r, "GOV-MZJ"), 1);
    assert_true(s_has_role(r, "GOV-MZJ", "buyer"));
    assert_true(s_has_role(r, "GOV-MZJ", "funder"));
    assert_true(s_has_role(r, HUB_ID, "procuringEntity"));
    assert_int_equal(json_array_size(json_object_get(r, "parties")), 2);
    const char *why = s_str_at(r, "planning.rationale");
    assert_non_null(strstr(why, "12 requests for elderly-care in 鼓楼街道"));
    assert_non_null(strstr(why, "多为80岁以上独居老人"));
    assert_string_equal(s_str_at(r, "planning.budget.id"), OCID "-budget");
    s_assert_contains(r, "\"budget\":{\"id\":\"" OCID "-budget\",\"description\":\"Funded in full by 海曙区民政局.\","
                         "\"amount\":{\"amount\":123456.78,\"currency\":\"CNY\"}}");
    assert_string_equal(s_str_at(r, "tender.documents[0].documentType"), "needsAssessment");
    /* nothing of a later stage */
    assert_null(s_at(r, "tender.hasEnquiries"));
    assert_null(s_at(r, "tender.numberOfTenderers"));
    assert_null(s_at(r, "awards"));
    assert_null(s_at(r, "contracts"));
    json_decref(r);
}

static void test_active_sealed(void **state)
{
    fixture_t *fx = *state;
    Tendering__Process *p;
    json_t *r = s_scenario(fx, TENDERING__KIND__PURCHASE, ST_ACTIVE, &p);
    assert_string_equal(s_str_at(r, "tender.status"), "active");
    assert_string_equal(s_str_at(r, "tender.tenderPeriod.startDate"), "2026-11-27T03:40:00Z");
    assert_string_equal(s_str_at(r, "tender.tenderPeriod.endDate"), "2026-12-17T03:40:00Z");
    assert_string_equal(s_str_at(r, "tender.enquiryPeriod.endDate"), "2026-12-17T03:40:00Z");
    assert_true(json_is_true(s_at(r, "tender.hasEnquiries")));
    /* documents, then the answered enquiry as a clarification */
    assert_int_equal(json_array_size(s_at(r, "tender.documents")), 4);
    assert_string_equal(s_str_at(r, "tender.documents[1].documentType"), "tenderNotice");
    assert_string_equal(s_str_at(r, "tender.documents[1].url"), "https://hub.example.org/docs/notice.pdf");
    assert_string_equal(s_str_at(r, "tender.documents[1].description"),
                        "SHA-256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    assert_string_equal(s_str_at(r, "tender.documents[1].datePublished"), "2026-11-27T03:40:00Z");
    assert_string_equal(s_str_at(r, "tender.documents[3].id"), "clarification-ENQ-1");
    assert_string_equal(s_str_at(r, "tender.documents[3].documentType"), "clarifications");
    assert_string_equal(s_str_at(r, "tender.documents[3].description"), "Q: 助餐是否包含周末？\nA: 包含，每周七天。");
    assert_string_equal(s_str_at(r, "tender.documents[3].datePublished"), "2026-11-29T03:40:00Z");
    assert_string_equal(s_str_at(r, "tender.amendments[0].id"), "AMD-1");
    assert_string_equal(s_str_at(r, "tender.amendments[0].rationale"), "应投标人要求延长投标期");
    assert_string_equal(s_str_at(r, "tender.amendments[0].date"), "2026-12-01T03:40:00Z");
    assert_non_null(strstr(s_str_at(r, "tender.amendments[0].description"), "2026-12-11 03:40 UTC to 2026-12-17"));
    /* the bids are sealed: no bidder, price or count */
    for (size_t i = 0; i < sizeof s_sealed / sizeof *s_sealed; i++) s_assert_absent(r, s_sealed[i]);
    s_assert_absent(r, "1234.56");
    s_assert_absent(r, "tenderer");
    assert_null(s_at(r, "tender.numberOfTenderers"));
    assert_null(s_at(r, "tender.tenderers"));
    json_decref(r);
}

static void test_evaluation_tenderers(void **state)
{
    fixture_t *fx = *state;
    Tendering__Process *p;
    json_t *r = s_scenario(fx, TENDERING__KIND__PURCHASE, ST_EVALUATION, &p);
    assert_string_equal(s_str_at(r, "tag[0]"), "tenderUpdate");
    assert_string_equal(s_str_at(r, "tender.status"), "active");
    /* opened: the valid and the disqualified bidders, not the one who withdrew */
    assert_int_equal(json_integer_value(s_at(r, "tender.numberOfTenderers")), 3);
    assert_int_equal(json_array_size(s_at(r, "tender.tenderers")), 3);
    assert_string_equal(s_str_at(r, "tender.tenderers[0].id"), BID1_ORG);
    assert_string_equal(s_str_at(r, "tender.tenderers[0].name"), BID1_NAME);
    assert_string_equal(s_str_at(r, "tender.tenderers[1].id"), BID2_ORG);
    assert_string_equal(s_str_at(r, "tender.tenderers[2].id"), BID4_ORG);
    assert_true(s_has_role(r, BID1_ORG, "tenderer"));
    assert_true(s_has_role(r, BID4_ORG, "tenderer"));
    s_assert_absent(r, BID3_ORG);
    s_assert_absent(r, BID3_NAME);
    assert_null(s_at(r, "awards"));
    json_decref(r);
}

static void test_award_pending(void **state)
{
    fixture_t *fx = *state;
    Tendering__Process *p;
    json_t *r = s_scenario(fx, TENDERING__KIND__PURCHASE, ST_AWARD_PENDING, &p);
    assert_string_equal(s_str_at(r, "tender.status"), "complete");
    assert_string_equal(s_str_at(r, "awards[0].id"), "AWD-1");
    assert_string_equal(s_str_at(r, "awards[0].status"), "pending");
    assert_string_equal(s_str_at(r, "awards[0].date"), "2026-12-21T03:40:00Z");
    assert_string_equal(s_str_at(r, "awards[0].suppliers[0].id"), BID1_ORG);
    assert_string_equal(s_str_at(r, "awards[0].suppliers[0].name"), BID1_NAME);
    s_assert_contains(r, "\"value\":{\"amount\":1234.56,\"currency\":\"CNY\"},\"suppliers\"");
    assert_true(s_has_role(r, BID1_ORG, "supplier"));
    assert_true(s_has_role(r, BID1_ORG, "tenderer"));
    assert_int_equal(s_party_count(r, BID1_ORG), 1);
    assert_false(s_has_role(r, BID2_ORG, "supplier"));
    assert_string_equal(s_str_at(r, "tender.awardPeriod.startDate"), "2026-12-17T03:40:00Z");
    assert_string_equal(s_str_at(r, "tender.awardPeriod.endDate"), "2026-12-21T03:40:00Z");
    assert_null(s_at(r, "contracts"));
    json_decref(r);
}

static void test_award_active(void **state)
{
    fixture_t *fx = *state;
    Tendering__Process *p;
    json_t *r = s_scenario(fx, TENDERING__KIND__PURCHASE, ST_AWARDED, &p);
    assert_string_equal(s_str_at(r, "tag[0]"), "awardUpdate");
    assert_string_equal(s_str_at(r, "tender.status"), "complete");
    assert_string_equal(s_str_at(r, "awards[0].status"), "active");
    assert_null(s_at(r, "contracts"));
    json_decref(r);
}

static void test_contracted(void **state)
{
    fixture_t *fx = *state;
    Tendering__Process *p;
    json_t *r = s_scenario(fx, TENDERING__KIND__PURCHASE, ST_CONTRACTED, &p);
    assert_string_equal(s_str_at(r, "tag[0]"), "contract");
    assert_string_equal(s_str_at(r, "tender.status"), "complete");
    assert_string_equal(s_str_at(r, "awards[0].status"), "active");
    assert_string_equal(s_str_at(r, "contracts[0].id"), "CON-1");
    assert_string_equal(s_str_at(r, "contracts[0].awardID"), "AWD-1");
    assert_string_equal(s_str_at(r, "contracts[0].status"), "active");
    assert_string_equal(s_str_at(r, "contracts[0].dateSigned"), "2026-12-24T03:40:00Z");
    assert_string_equal(s_str_at(r, "contracts[0].period.startDate"), "2026-12-26T03:40:00Z");
    /* milestones: one met, one scheduled */
    assert_int_equal(json_array_size(s_at(r, "contracts[0].milestones")), 2);
    assert_string_equal(s_str_at(r, "contracts[0].milestones[0].id"), "MS-1");
    assert_string_equal(s_str_at(r, "contracts[0].milestones[0].type"), "delivery");
    assert_string_equal(s_str_at(r, "contracts[0].milestones[0].status"), "met");
    assert_string_equal(s_str_at(r, "contracts[0].milestones[0].dateMet"), "2027-01-23T03:40:00Z");
    assert_string_equal(s_str_at(r, "contracts[0].milestones[0].dueDate"), "2027-01-25T03:40:00Z");
    assert_string_equal(s_str_at(r, "contracts[0].milestones[1].status"), "scheduled");
    assert_null(s_at(r, "contracts[0].milestones[1].dateMet"));
    assert_string_equal(s_str_at(r, "contracts[0].implementation.documents[0].documentType"), "physicalProgressReport");
    assert_string_equal(s_str_at(r, "contracts[0].implementation.documents[0].description"), "首月完成助餐620人次");
    /* two payments from the buyer (the one funder) to the supplier */
    json_t *tx = s_at(r, "contracts[0].implementation.transactions");
    assert_int_equal(json_array_size(tx), 2);
    assert_string_equal(s_str_at(r, "contracts[0].implementation.transactions[0].id"), "PAY-0001");
    assert_string_equal(s_str_at(r, "contracts[0].implementation.transactions[0].date"), "2027-01-24T03:40:00Z");
    assert_string_equal(s_str_at(r, "contracts[0].implementation.transactions[0].payer.id"), "GOV-MZJ");
    assert_string_equal(s_str_at(r, "contracts[0].implementation.transactions[0].payee.id"), BID1_ORG);
    assert_true(json_is_integer(s_at(r, "contracts[0].implementation.transactions[0].value.amount")));
    s_assert_contains(r, "\"id\":\"PAY-0001\",\"date\":\"2027-01-24T03:40:00Z\",\"value\":{\"amount\":500,");
    s_assert_contains(r, "\"id\":\"PAY-0002\",\"date\":\"2027-02-24T03:40:00Z\",\"value\":{\"amount\":234.56,");
    assert_true(s_has_role(r, "GOV-MZJ", "payer"));
    assert_true(s_has_role(r, BID1_ORG, "payee"));
    assert_int_equal(s_party_count(r, "GOV-MZJ"), 1);
    assert_int_equal(s_party_count(r, BID1_ORG), 1);
    assert_null(s_at(r, "contracts[0].implementation.documents[2]")); /* no post-evaluation yet */
    json_decref(r);
}

static void test_closed(void **state)
{
    fixture_t *fx = *state;
    Tendering__Process *p;
    json_t *r = s_scenario(fx, TENDERING__KIND__PURCHASE, ST_CLOSED, &p);
    assert_string_equal(s_str_at(r, "tag[0]"), "contractTermination");
    assert_string_equal(s_str_at(r, "tender.status"), "complete");
    assert_string_equal(s_str_at(r, "contracts[0].status"), "terminated");
    assert_string_equal(s_str_at(r, "contracts[0].milestones[1].status"), "partiallyMet");
    assert_null(s_at(r, "contracts[0].milestones[1].dateMet")); /* only a met milestone was met */
    assert_string_equal(s_str_at(r, "contracts[0].milestones[1].dateModified"), "2027-12-27T03:40:00Z");
    json_t *docs = s_at(r, "contracts[0].implementation.documents");
    assert_int_equal(json_array_size(docs), 3);
    assert_string_equal(s_str_at(r, "contracts[0].implementation.documents[2].id"), "post-evaluation");
    assert_string_equal(s_str_at(r, "contracts[0].implementation.documents[2].documentType"), "finalAudit");
    assert_string_equal(s_str_at(r, "contracts[0].implementation.documents[2].title"), "Post-evaluation");
    assert_string_equal(s_str_at(r, "contracts[0].implementation.documents[2].description"),
                        "Post-evaluation score: 88/100. 服务覆盖率高，老人满意度92%。");
    assert_string_equal(s_str_at(r, "contracts[0].implementation.documents[2].datePublished"),
                        "2027-12-31T03:40:00Z");

    /* terminated early: the reason is told */
    p->closure->early = true;
    p->closure->reason = "服务机构注销";
    json_t *r2 = ocds_release(p, "contractTermination", 8, s_when(ST_CLOSED), HUB_ID, HUB_NAME);
    assert_non_null(r2);
    assert_string_equal(s_str_at(r2, "contracts[0].implementation.documents[2].title"),
                        "Post-evaluation (terminated early)");
    assert_string_equal(s_str_at(r2, "contracts[0].implementation.documents[2].description"),
                        "Post-evaluation score: 88/100. Terminated early: 服务机构注销. 服务覆盖率高，老人满意度92%。");
    json_decref(r2);
    json_decref(r);
}

static void test_unsuccessful(void **state)
{
    fixture_t *fx = *state;
    Tendering__Process *p;
    /* the period ended with every bid withdrawn: nobody is named */
    json_t *r = s_scenario(fx, TENDERING__KIND__PURCHASE, ST_UNSUCCESSFUL, &p);
    assert_string_equal(s_str_at(r, "tender.status"), "unsuccessful");
    assert_int_equal(json_integer_value(s_at(r, "tender.numberOfTenderers")), 0);
    assert_null(s_at(r, "tender.tenderers"));
    for (size_t i = 0; i < sizeof s_sealed / sizeof *s_sealed; i++) s_assert_absent(r, s_sealed[i]);
    assert_null(s_at(r, "awards"));
    json_decref(r);

    /* every bid disqualified at evaluation: the bidders are named */
    r = s_scenario(fx, TENDERING__KIND__PURCHASE, ST_UNSUCCESSFUL_EVAL, &p);
    assert_string_equal(s_str_at(r, "tag[0]"), "award");
    assert_string_equal(s_str_at(r, "tender.status"), "unsuccessful");
    assert_int_equal(json_integer_value(s_at(r, "tender.numberOfTenderers")), 3);
    assert_true(s_has_role(r, BID2_ORG, "tenderer"));
    s_assert_absent(r, BID3_ORG);
    assert_null(s_at(r, "awards"));
    json_decref(r);
}

static void test_cancelled(void **state)
{
    fixture_t *fx = *state;
    Tendering__Process *p;
    /* cancelled while the bids were sealed: they stay sealed */
    json_t *r = s_scenario(fx, TENDERING__KIND__PURCHASE, ST_CANCELLED, &p);
    assert_string_equal(s_str_at(r, "tag[0]"), "tenderCancellation");
    assert_string_equal(s_str_at(r, "tender.status"), "cancelled");
    for (size_t i = 0; i < sizeof s_sealed / sizeof *s_sealed; i++) s_assert_absent(r, s_sealed[i]);
    assert_null(s_at(r, "tender.numberOfTenderers"));
    json_t *docs = s_at(r, "tender.documents");
    json_t *last = json_array_get(docs, json_array_size(docs) - 1);
    assert_string_equal(s_str_at(last, "documentType"), "cancellationDetails");
    assert_string_equal(s_str_at(last, "description"), "预算调整，项目取消");
    assert_string_equal(s_str_at(last, "datePublished"), "2026-12-06T03:40:00Z");
    json_decref(r);

    /* cancelled with the award pending: the award is cancelled, tenderers not named */
    r = s_scenario(fx, TENDERING__KIND__PURCHASE, ST_CANCELLED_AWARD, &p);
    assert_string_equal(s_str_at(r, "tender.status"), "cancelled");
    assert_string_equal(s_str_at(r, "awards[0].status"), "cancelled");
    assert_null(s_at(r, "tender.tenderers"));
    s_assert_absent(r, BID2_ORG);
    s_assert_absent(r, "\"tenderer\"");
    json_decref(r);
}

static void test_venture(void **state)
{
    fixture_t *fx = *state;
    Tendering__Process *p;
    json_t *r = s_scenario(fx, TENDERING__KIND__VENTURE, ST_CONTRACTED, &p);
    assert_string_equal(s_str_at(r, "tender.status"), "complete");
    assert_non_null(strstr(s_str_at(r, "tender.procurementMethodDetails"), "公益创投"));
    /* three funders, the first also the buyer */
    assert_true(s_has_role(r, "F-MZJ", "buyer"));
    assert_true(s_has_role(r, "F-MZJ", "funder"));
    assert_int_equal(s_party_count(r, "F-MZJ"), 1);
    assert_true(s_has_role(r, "F-CSZH", "funder"));
    assert_true(s_has_role(r, "F-ENT", "funder"));
    assert_false(s_has_role(r, "F-CSZH", "payer"));
    s_assert_contains(r, "\"amount\":{\"amount\":100000.5,\"currency\":\"CNY\"}");
    const char *desc = s_str_at(r, "planning.budget.description");
    assert_non_null(strstr(desc, "Co-funded by 3 funders"));
    assert_non_null(strstr(desc, "海曙区民政局 (F-MZJ) 60000.00 CNY, 60.00%"));
    assert_non_null(strstr(desc, "宁波市慈善总会 (F-CSZH) 25000.50 CNY, 25.00%"));
    assert_non_null(strstr(desc, "海曙爱心企业联盟 (F-ENT) 15000.00 CNY, 15.00%"));
    assert_non_null(strstr(desc, "drawn for the contract 308.64 CNY, paid 183.64 CNY"));
    assert_string_equal(s_str_at(r, "planning.budget.project"), "2027年海曙区公益创投：社区居家养老");
    /* pooled funds: the procuring entity pays */
    assert_string_equal(s_str_at(r, "contracts[0].implementation.transactions[0].payer.id"), HUB_ID);
    assert_string_equal(s_str_at(r, "contracts[0].implementation.transactions[1].payer.id"), HUB_ID);
    assert_true(s_has_role(r, HUB_ID, "payer"));
    assert_true(s_has_role(r, HUB_ID, "procuringEntity"));
    assert_true(s_has_role(r, BID1_ORG, "payee"));
    json_decref(r);
}

/* Input that is not UTF-8 is repaired (U+FFFD), never fatal; a process
 * with nothing set still gives a valid release. */
static void test_hostile_input(void **state)
{
    fixture_t *fx = *state;
    Tendering__Process *p = s_build(fx->arena, TENDERING__KIND__PURCHASE, ST_ACTIVE);
    p->title = "bad \xff\xfe title \xe4\xb8";
    p->documents[0]->id = "";
    json_t *r = ocds_release(p, "tender", 2, T0_MS, HUB_ID, HUB_NAME);
    assert_non_null(r);
    assert_string_equal(s_str_at(r, "tender.title"), "bad \xef\xbf\xbd\xef\xbf\xbd title \xef\xbf\xbd\xef\xbf\xbd");
    assert_string_equal(s_str_at(r, "tender.documents[0].id"), "DOC-1");
    char f1[128], f2[128], args[512];
    s_write(fx, "release.json", r, f1, sizeof f1);
    json_decref(r);

    Tendering__Process empty = TENDERING__PROCESS__INIT;
    r = ocds_release(&empty, NULL, 1, T0_MS, NULL, NULL);
    assert_non_null(r);
    assert_string_equal(s_str_at(r, "ocid"), "ocds-unknown");
    s_write(fx, "release-package.json", r, f2, sizeof f2);
    json_decref(r);
    snprintf(args, sizeof args, "--kind release '%s' '%s'", f1, f2);
    assert_int_equal(s_validate_args(args), 0);
    assert_null(ocds_release(NULL, "planning", 1, T0_MS, HUB_ID, HUB_NAME));
}

/* jansson's allocations fail after s_alloc_left more (when limited). */
static bool s_alloc_limited;
static size_t s_alloc_left;

static void *s_limited_malloc(size_t n)
{
    if (s_alloc_limited) {
        if (s_alloc_left == 0) return NULL;
        s_alloc_left--;
    }
    return malloc(n);
}

/* Out of memory at every allocation in turn: NULL, nothing leaked (the
 * sanitizer build checks), the stolen releases freed; then the same
 * result as without the limit. */
static void test_out_of_memory(void **state)
{
    fixture_t *fx = *state;
    Tendering__Process *p = s_build(fx->arena, TENDERING__KIND__VENTURE, ST_CLOSED);
    json_t *want = ocds_release(p, "contractTermination", 7, s_when(ST_CLOSED), HUB_ID, HUB_NAME);
    assert_non_null(want);
    json_set_alloc_funcs(s_limited_malloc, free);
    size_t failures = 0;
    for (int what = 0; what < 3; what++) {
        for (size_t limit = 0;; limit++) {
            json_t *releases = json_array();
            assert_non_null(releases);
            assert_int_equal(json_array_append(releases, want), 0);
            s_alloc_left = limit;
            s_alloc_limited = true;
            json_t *got = NULL;
            if (what == 0) {
                got = ocds_release(p, "contractTermination", 7, s_when(ST_CLOSED), HUB_ID, HUB_NAME);
                json_decref(releases);
            } else if (what == 1) {
                got = ocds_release_package(releases, PKG_URI, HUB_NAME, T0_MS);
            } else {
                got = ocds_record_package(p, releases, PKG_URI, HUB_ID, HUB_NAME, T0_MS);
            }
            s_alloc_limited = false;
            if (!got) {
                failures++;
                assert_true(limit < 100000);
                continue;
            }
            if (what == 0) assert_true(json_equal(got, want));
            json_decref(got);
            break;
        }
    }
    json_set_alloc_funcs(malloc, free);
    assert_true(failures > 100);
    json_decref(want);
}

/* The validator can fail: a bad tag, a missing ocid, an undeclared party,
 * an amount with three decimals, a code outside an open codelist, a role
 * outside partyRole; each broken file is named in its output and the run
 * exits 1 (one run for all: starting the validator is the slow part). */
static void test_validator_rejects(void **state)
{
    fixture_t *fx = *state;
    Tendering__Process *p = s_build(fx->arena, TENDERING__KIND__PURCHASE, ST_CONTRACTED);
    json_t *good = ocds_release(p, "contract", 6, s_when(ST_CONTRACTED), HUB_ID, HUB_NAME);
    assert_non_null(good);
    static const char *const breaks[] = {"tag", "ocid", "party", "amount", "documentType", "role", "package"};
    enum { N = sizeof breaks / sizeof *breaks };
    char files[N][128], args[2048] = "--kind release";
    for (size_t i = 0; i < N; i++) {
        json_t *bad = json_deep_copy(good);
        assert_non_null(bad);
        switch (i) {
        case 0: json_array_set_new(json_object_get(bad, "tag"), 0, json_string("bogus")); break;
        case 1: json_object_del(bad, "ocid"); break;
        case 2: json_object_set_new(s_at(bad, "awards[0].suppliers[0]"), "id", json_string("ORG-NOBODY")); break;
        case 3: json_object_set_new(s_at(bad, "tender.value"), "amount", json_real(1234.567)); break;
        case 4: json_object_set_new(s_at(bad, "tender.documents[0]"), "documentType", json_string("memo")); break;
        case 5: json_array_append_new(s_at(bad, "parties[0].roles"), json_string("boss")); break;
        case 6: { /* the release with the bogus tag fails its package too */
            json_t *arr = json_array();
            json_t *r0 = json_deep_copy(good);
            json_array_set_new(json_object_get(r0, "tag"), 0, json_string("bogus"));
            json_array_append_new(arr, r0);
            json_decref(bad);
            bad = ocds_release_package(arr, PKG_URI "/releases.json", HUB_NAME, T0_MS);
            assert_non_null(bad);
            strcat(args, " --kind release-package");
            break;
        }
        }
        char name[32];
        snprintf(name, sizeof name, "broken-%zu.json", i);
        s_write(fx, name, bad, files[i], sizeof files[i]);
        json_decref(bad);
        strcat(args, " '");
        strcat(args, files[i]);
        strcat(args, "'");
    }
    char cmd[2200];
    snprintf(cmd, sizeof cmd, VALIDATOR " %s", args);
    FILE *out = popen(cmd, "r");
    assert_non_null(out);
    char text[16384];
    size_t len = fread(text, 1, sizeof text - 1, out);
    text[len] = '\0';
    int rc = pclose(out);
    printf("%s", text);
    assert_true(WIFEXITED(rc));
    assert_int_equal(WEXITSTATUS(rc), 1);
    for (size_t i = 0; i < N; i++) {
        const char *at = strstr(text, files[i]);
        if (!at || strncmp(at + strlen(files[i]), ": ", 2) != 0)
            fail_msg("the validator accepted a release with a broken %s", breaks[i]);
    }
    assert_non_null(strstr(text, "'ocid' is a required property"));
    assert_non_null(strstr(text, "'ORG-NOBODY' is not in parties"));
    assert_non_null(strstr(text, "1234.567 has more than two decimals"));
    assert_non_null(strstr(text, "'memo' is not a code of documentType.csv"));
    assert_non_null(strstr(text, "'boss' is not a code of partyRole.csv"));
    assert_non_null(strstr(text, "releases[0].tag[0]: 'bogus' is not a code of releaseTag.csv"));
    /* and the unbroken one passes */
    s_write(fx, "broken.json", good, files[0], sizeof files[0]);
    assert_int_equal(s_validate("release", files[0]), 0);
    json_decref(good);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tag_for),
        T(test_money_exact),
        T(test_dates),
        T(test_planning),
        T(test_active_sealed),
        T(test_evaluation_tenderers),
        T(test_award_pending),
        T(test_award_active),
        T(test_contracted),
        T(test_closed),
        T(test_unsuccessful),
        T(test_cancelled),
        T(test_venture),
        T(test_hostile_input),
        T(test_out_of_memory),
        T(test_validator_rejects),
    };
    return cmocka_run_group_tests_name("test_ocds", tests, NULL, NULL);
}
