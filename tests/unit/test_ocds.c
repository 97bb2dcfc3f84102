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
 * tests/schemas/ocds-1.1.5): the tests run from the repository root.
 * ocds_release_for: the partial releases of an answer, a payment and a
 * progress report (only that item, under its snapshot id), a realistic
 * history of snapshots and partial releases as release and record
 * packages, and the stored size of a contract with 200 payments and 500
 * progress reports. */
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
#include <dirent.h>
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
    case ST_CANCELLED: return ocds_tag_for(TA_CANCEL);
    case ST_CANCELLED_AWARD: return "awardCancellation"; /* ocds_release_for's tag for it */
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
    p->bids_opened = lvl >= 2 && st != ST_CANCELLED; /* the period closed (EVALUATION on) */
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
    DIR *d = opendir(fx->dir); /* every file a test wrote there */
    if (d) {
        struct dirent *e;
        char path[512];
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            snprintf(path, sizeof path, "%s/%s", fx->dir, e->d_name);
            unlink(path);
        }
        closedir(d);
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
    char cmd[8192];
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

    /* cancelled with the award pending (bids opened): an award cancellation;
     * the tender stays complete and its tenderers stay named */
    r = s_scenario(fx, TENDERING__KIND__PURCHASE, ST_CANCELLED_AWARD, &p);
    assert_string_equal(s_str_at(r, "tender.status"), "complete");
    assert_string_equal(s_str_at(r, "awards[0].status"), "cancelled");
    assert_non_null(s_at(r, "tender.tenderers"));
    json_decref(r);
    json_t *rc = ocds_release_for(p, TA_CANCEL, NULL, 9, s_when(ST_CANCELLED_AWARD), HUB_ID, HUB_NAME);
    assert_non_null(rc);
    assert_string_equal(s_str_at(rc, "tag[0]"), "awardCancellation");
    json_decref(rc);
    /* cancelled while sealed: still a tender cancellation */
    Tendering__Process *sealed = s_build(fx->arena, TENDERING__KIND__PURCHASE, ST_CANCELLED);
    rc = ocds_release_for(sealed, TA_CANCEL, NULL, 9, s_when(ST_CANCELLED), HUB_ID, HUB_NAME);
    assert_non_null(rc);
    assert_string_equal(s_str_at(rc, "tag[0]"), "tenderCancellation");
    json_decref(rc);
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

/* ------------------------------------------------------------ partial releases */

/* The dumped size of j as the daemon stores it (JSON_COMPACT |
 * OCDS_DUMP_FLAGS). */
static size_t s_stored_size(const json_t *j)
{
    char *t = json_dumps(j, JSON_COMPACT | OCDS_DUMP_FLAGS);
    assert_non_null(t);
    size_t n = strlen(t);
    free(t);
    return n;
}

/* Asserts that obj has exactly these keys, in this order. */
static void s_assert_keys(json_t *obj, const char *const *keys, size_t n)
{
    assert_true(json_is_object(obj));
    size_t i = 0;
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        if (i >= n || strcmp(key, keys[i]) != 0)
            fail_msg("key %zu is \"%s\", not \"%s\"", i, key, i < n ? keys[i] : "(none)");
        i++;
    }
    assert_int_equal(i, n);
}

/* The element of arr whose "id" is id, or NULL. */
static json_t *s_by_id(json_t *arr, const char *id)
{
    size_t i;
    json_t *it;
    json_array_foreach(arr, i, it) {
        const char *got = json_string_value(json_object_get(it, "id"));
        if (got && strcmp(got, id) == 0) return it;
    }
    return NULL;
}

/* Asserts that the item of the partial release at path (an array of
 * objects with ids) is the same object as the one with that id in the
 * snapshot: the same id, the same content, so that merging lines up. */
static void s_assert_same_item(json_t *partial, json_t *snapshot, const char *path)
{
    json_t *arr = s_at(partial, path);
    assert_int_equal(json_array_size(arr), 1);
    json_t *item = json_array_get(arr, 0);
    json_t *twin = s_by_id(s_at(snapshot, path), json_string_value(json_object_get(item, "id")));
    if (!twin || !json_equal(item, twin)) {
        char *a = s_text(item), *b = twin ? s_text(twin) : NULL;
        fail_msg("%s: %s is not the snapshot's %s", path, a, b ? b : "(missing)");
    }
}

static Tendering__Progress *s_report(hub_arena_t *a, int64_t ms, uint32_t percent, char *text)
{
    Tendering__Progress *r = s_new(a, sizeof *r);
    tendering__progress__init(r);
    r->date_ms = ms;
    r->percent = percent;
    r->text = text;
    return r;
}

/* The sample process at stage st (CONTRACTED or CLOSED) with a third
 * payment, PAY-0003 (300.01 yuan, day 120), and a second progress report
 * on MS-2 (day 180): 2 milestones with 3 reports, 3 payments. */
static Tendering__Process *s_build3(hub_arena_t *a, Tendering__Kind kind, stage_t st)
{
    Tendering__Process *p = s_build(a, kind, st);
    Tendering__Contract *c = p->contract;
    Tendering__Payment **pays = s_new(a, 3 * sizeof *pays);
    pays[0] = c->payments[0];
    pays[1] = c->payments[1];
    pays[2] = s_payment(a, "PAY-0003", 30001, "MS-2", "ENT-000000000011", T0_MS + 120 * DAY_MS);
    c->payments = pays;
    c->n_payments = 3;
    c->paid_fen += 30001;
    p->funders[0]->paid_fen += 30001;
    Tendering__Milestone *m = c->milestones[1];
    Tendering__Progress **reps = s_new(a, 2 * sizeof *reps);
    reps[0] = m->reports[0];
    reps[1] = s_report(a, T0_MS + 180 * DAY_MS, 55, "累计助餐3410人次");
    m->reports = reps;
    m->n_reports = 2;
    return p;
}

/* ocds_release_for: the three actions that add one item (a payment, a
 * milestone report, an enquiry's answer) record only that item, under the
 * ids and with the content it has in the snapshot; every other public
 * action records the snapshot; the sealed ones record nothing. */
static void test_release_for_partial(void **state)
{
    fixture_t *fx = *state;
    Tendering__Process *p = s_build3(fx->arena, TENDERING__KIND__PURCHASE, ST_CONTRACTED);
    const int64_t when = T0_MS + 180 * DAY_MS;
    json_t *snap = ocds_release(p, "implementation", 9, when, HUB_ID, HUB_NAME);
    assert_non_null(snap);
    assert_int_equal(json_array_size(s_at(snap, "contracts[0].implementation.transactions")), 3);
    assert_int_equal(json_array_size(s_at(snap, "contracts[0].implementation.documents")), 3);
    char files[6][128], args[2048] = "--kind release";

    /* a payment: that one transaction, its payer and payee, nothing else */
    json_t *r = ocds_release_for(p, TA_PAYMENT, "PAY-0002", 9, when, HUB_ID, HUB_NAME);
    assert_non_null(r);
    static const char *const pay_keys[] = {"ocid", "id", "date", "tag", "initiationType", "parties", "contracts",
                                           "language"};
    s_assert_keys(r, pay_keys, 8);
    assert_string_equal(s_str_at(r, "ocid"), OCID);
    assert_string_equal(s_str_at(r, "id"), OCID "-9");
    assert_string_equal(s_str_at(r, "date"), "2027-05-25T03:40:00Z");
    assert_int_equal(json_array_size(s_at(r, "tag")), 1);
    assert_string_equal(s_str_at(r, "tag[0]"), "implementation");
    assert_string_equal(s_str_at(r, "initiationType"), "tender");
    assert_string_equal(s_str_at(r, "language"), "zh");
    assert_int_equal(json_array_size(s_at(r, "contracts")), 1);
    static const char *const pay_contract[] = {"id", "awardID", "implementation"};
    s_assert_keys(s_at(r, "contracts[0]"), pay_contract, 3);
    assert_string_equal(s_str_at(r, "contracts[0].id"), "CON-1");
    assert_string_equal(s_str_at(r, "contracts[0].awardID"), "AWD-1");
    static const char *const pay_impl[] = {"transactions"};
    s_assert_keys(s_at(r, "contracts[0].implementation"), pay_impl, 1);
    assert_int_equal(json_array_size(s_at(r, "contracts[0].implementation.transactions")), 1);
    s_assert_contains(r, "\"transactions\":[{\"id\":\"PAY-0002\",\"date\":\"2027-02-24T03:40:00Z\","
                         "\"value\":{\"amount\":234.56,\"currency\":\"CNY\"},"
                         "\"payer\":{\"id\":\"GOV-MZJ\",\"name\":\"海曙区民政局\"},"
                         "\"payee\":{\"id\":\"" BID1_ORG "\",\"name\":\"" BID1_NAME "\"}}]");
    s_assert_same_item(r, snap, "contracts[0].implementation.transactions");
    s_assert_absent(r, "PAY-0001");
    s_assert_absent(r, "PAY-0003");
    s_assert_absent(r, "\"amount\":500,");
    s_assert_absent(r, "300.01");
    s_assert_absent(r, "milestones");
    s_assert_absent(r, "documents");
    s_assert_absent(r, "\"planning\":");
    s_assert_absent(r, "\"tender\":");
    s_assert_absent(r, "\"awards\":");
    s_assert_never(r);
    /* the payer and payee with all their roles (a merge replaces roles) */
    assert_int_equal(json_array_size(s_at(r, "parties")), 2);
    assert_string_equal(s_str_at(r, "parties[0].id"), "GOV-MZJ");
    assert_string_equal(s_str_at(r, "parties[1].id"), BID1_ORG);
    for (size_t i = 0; i < 2; i++) {
        json_t *party = s_at(r, i ? "parties[1]" : "parties[0]");
        assert_true(json_equal(party, s_by_id(s_at(snap, "parties"), s_str_at(party, "id"))));
    }
    assert_true(s_has_role(r, "GOV-MZJ", "buyer"));
    assert_true(s_has_role(r, "GOV-MZJ", "funder"));
    assert_true(s_has_role(r, "GOV-MZJ", "payer"));
    assert_true(s_has_role(r, BID1_ORG, "tenderer"));
    assert_true(s_has_role(r, BID1_ORG, "supplier"));
    assert_true(s_has_role(r, BID1_ORG, "payee"));
    s_write(fx, "partial-payment.json", r, files[0], sizeof files[0]);
    json_decref(r);

    /* a milestone report: the milestone and its newest report */
    r = ocds_release_for(p, TA_MILESTONE, "MS-2", 10, when, HUB_ID, HUB_NAME);
    assert_non_null(r);
    static const char *const ms_keys[] = {"ocid", "id", "date", "tag", "initiationType", "contracts", "language"};
    s_assert_keys(r, ms_keys, 7);
    assert_string_equal(s_str_at(r, "id"), OCID "-10");
    assert_string_equal(s_str_at(r, "tag[0]"), "implementation");
    static const char *const ms_contract[] = {"id", "awardID", "milestones", "implementation"};
    s_assert_keys(s_at(r, "contracts[0]"), ms_contract, 4);
    assert_int_equal(json_array_size(s_at(r, "contracts")), 1);
    s_assert_same_item(r, snap, "contracts[0].milestones");
    assert_string_equal(s_str_at(r, "contracts[0].milestones[0].id"), "MS-2");
    assert_string_equal(s_str_at(r, "contracts[0].milestones[0].dateModified"), "2027-05-25T03:40:00Z");
    static const char *const ms_impl[] = {"documents"};
    s_assert_keys(s_at(r, "contracts[0].implementation"), ms_impl, 1);
    s_assert_same_item(r, snap, "contracts[0].implementation.documents");
    assert_string_equal(s_str_at(r, "contracts[0].implementation.documents[0].id"), "MS-2-progress-2");
    assert_string_equal(s_str_at(r, "contracts[0].implementation.documents[0].title"), "Progress of 全年服务: 55%");
    assert_string_equal(s_str_at(r, "contracts[0].implementation.documents[0].description"), "累计助餐3410人次");
    s_assert_absent(r, "MS-1");
    s_assert_absent(r, "MS-2-progress-1");
    s_assert_absent(r, "transactions");
    s_assert_absent(r, "parties");
    s_assert_never(r);
    s_write(fx, "partial-milestone.json", r, files[1], sizeof files[1]);
    json_decref(r);

    /* an enquiry's answer: the tender's id and that clarification */
    r = ocds_release_for(p, TA_ENQUIRY_ANSWER, "ENQ-1", 3, T0_MS + 3 * DAY_MS, HUB_ID, HUB_NAME);
    assert_non_null(r);
    static const char *const enq_keys[] = {"ocid", "id", "date", "tag", "initiationType", "tender", "language"};
    s_assert_keys(r, enq_keys, 7);
    assert_string_equal(s_str_at(r, "tag[0]"), "tenderUpdate");
    static const char *const enq_tender[] = {"id", "documents"};
    s_assert_keys(s_at(r, "tender"), enq_tender, 2);
    assert_string_equal(s_str_at(r, "tender.id"), OCID);
    s_assert_same_item(r, snap, "tender.documents");
    assert_string_equal(s_str_at(r, "tender.documents[0].id"), "clarification-ENQ-1");
    assert_string_equal(s_str_at(r, "tender.documents[0].description"), "Q: 助餐是否包含周末？\nA: 包含，每周七天。");
    s_assert_absent(r, "DOC-1");
    s_assert_never(r);
    s_write(fx, "partial-enquiry.json", r, files[2], sizeof files[2]);
    json_decref(r);

    /* a venture round: the procuring entity pays from the pooled funds */
    Tendering__Process *pv = s_build3(fx->arena, TENDERING__KIND__VENTURE, ST_CONTRACTED);
    r = ocds_release_for(pv, TA_PAYMENT, "PAY-0003", 11, T0_MS + 120 * DAY_MS, HUB_ID, HUB_NAME);
    assert_non_null(r);
    assert_int_equal(json_array_size(s_at(r, "parties")), 2);
    assert_true(s_has_role(r, HUB_ID, "procuringEntity"));
    assert_true(s_has_role(r, HUB_ID, "payer"));
    assert_true(s_has_role(r, BID1_ORG, "payee"));
    s_assert_absent(r, "F-MZJ");
    assert_string_equal(s_str_at(r, "contracts[0].implementation.transactions[0].payer.id"), HUB_ID);
    s_assert_contains(r, "\"value\":{\"amount\":300.01,\"currency\":\"CNY\"}");
    s_write(fx, "partial-venture.json", r, files[3], sizeof files[3]);
    json_decref(r);

    /* items without an id: the partial release uses the snapshot's "PAY-3", "MS-2" */
    p->contract->payments[2]->id = "";
    p->contract->milestones[1]->id = "";
    json_t *snap2 = ocds_release(p, "implementation", 12, when, HUB_ID, HUB_NAME);
    assert_non_null(snap2);
    assert_string_equal(s_str_at(snap2, "contracts[0].implementation.transactions[2].id"), "PAY-3");
    r = ocds_release_for(p, TA_PAYMENT, "PAY-3", 12, when, HUB_ID, HUB_NAME);
    assert_non_null(r);
    s_assert_same_item(r, snap2, "contracts[0].implementation.transactions");
    json_decref(r);
    r = ocds_release_for(p, TA_MILESTONE, "MS-2", 13, when, HUB_ID, HUB_NAME);
    assert_non_null(r);
    s_assert_same_item(r, snap2, "contracts[0].milestones");
    s_assert_same_item(r, snap2, "contracts[0].implementation.documents");
    assert_string_equal(s_str_at(r, "contracts[0].implementation.documents[0].id"), "MS-2-progress-2");
    s_write(fx, "partial-noid.json", r, files[4], sizeof files[4]);
    json_decref(r);
    json_decref(snap2);
    p->contract->payments[2]->id = "PAY-0003";
    p->contract->milestones[1]->id = "MS-2";

    /* an item not in p (or not public, or none named): the snapshot */
    static const struct {
        tender_action_t a;
        const char *item;
    } whole[] = {
        {TA_PAYMENT, "PAY-0009"}, {TA_PAYMENT, NULL},     {TA_PAYMENT, "MS-1"},          {TA_MILESTONE, "MS-9"},
        {TA_MILESTONE, "PAY-0001"}, {TA_MILESTONE, NULL}, {TA_ENQUIRY_ANSWER, "ENQ-2"}, /* not answered */
        {TA_ENQUIRY_ANSWER, "ENQ-9"}, {TA_ENQUIRY_ANSWER, ""},
    };
    for (size_t i = 0; i < sizeof whole / sizeof *whole; i++) {
        json_t *got = ocds_release_for(p, whole[i].a, whole[i].item, 9, when, HUB_ID, HUB_NAME);
        json_t *want = ocds_release(p, ocds_tag_for(whole[i].a), 9, when, HUB_ID, HUB_NAME);
        assert_non_null(got);
        assert_non_null(want);
        if (!json_equal(got, want)) fail_msg("action %d item %s: not the snapshot", (int)whole[i].a, whole[i].item ? whole[i].item : "(null)");
        s_assert_absent(got, "UNANSWERED-QUESTION");
        json_decref(got);
        json_decref(want);
    }
    /* a milestone or payment of a process without a contract: the snapshot */
    Tendering__Process *pa = s_build(fx->arena, TENDERING__KIND__PURCHASE, ST_AWARDED);
    r = ocds_release_for(pa, TA_PAYMENT, "PAY-0001", 6, when, HUB_ID, HUB_NAME);
    json_t *want = ocds_release(pa, "implementation", 6, when, HUB_ID, HUB_NAME);
    assert_true(json_equal(r, want));
    json_decref(r);
    json_decref(want);

    /* every other public action: the snapshot with the action's tag (an item is ignored) */
    static const tender_action_t snapshot_actions[] = {TA__COUNT, TA_UPDATE, TA_PUBLISH,  TA_AMEND,     TA_CLOSE_PERIOD,
                                                       TA_AWARD,  TA_ACTIVATE, TA_SIGN, TA_TERMINATE, TA_CANCEL};
    for (size_t i = 0; i < sizeof snapshot_actions / sizeof *snapshot_actions; i++) {
        tender_action_t a = snapshot_actions[i];
        const char *tag = a == TA__COUNT ? "planning" : ocds_tag_for(a);
        assert_non_null(tag);
        json_t *got = ocds_release_for(p, a, "PAY-0001", 5, when, HUB_ID, HUB_NAME);
        json_t *want2 = ocds_release(p, tag, 5, when, HUB_ID, HUB_NAME);
        assert_non_null(got);
        assert_true(json_equal(got, want2));
        assert_string_equal(s_str_at(got, "tag[0]"), tag);
        assert_non_null(s_at(got, "planning"));
        json_decref(got);
        json_decref(want2);
    }
    /* the sealed actions record nothing */
    static const tender_action_t sealed[] = {TA_ENQUIRY_ASK, TA_BID,     TA_BID_WITHDRAW, TA_EVALUATOR_ADD,
                                             TA_DECLARE,     TA_SCORE,   TA_DISQUALIFY,   TA_READ_BIDS};
    for (size_t i = 0; i < sizeof sealed / sizeof *sealed; i++) {
        assert_null(ocds_release_for(p, sealed[i], "PAY-0001", 5, when, HUB_ID, HUB_NAME));
        assert_null(ocds_release_for(p, sealed[i], NULL, 5, when, HUB_ID, HUB_NAME));
    }
    assert_null(ocds_release_for(p, (tender_action_t)(TA__COUNT + 1), NULL, 5, when, HUB_ID, HUB_NAME));
    assert_null(ocds_release_for(NULL, TA_PAYMENT, "PAY-0001", 5, when, HUB_ID, HUB_NAME));

    /* every partial release is a valid OCDS release on its own */
    s_write(fx, "snapshot.json", snap, files[5], sizeof files[5]);
    for (size_t i = 0; i < 6; i++) {
        strcat(args, " '");
        strcat(args, files[i]);
        strcat(args, "'");
    }
    assert_int_equal(s_validate_args(args), 0);
    json_decref(snap);
}

/* Appends r (taken; not NULL) to releases. */
static void s_add(json_t *releases, json_t *r)
{
    assert_non_null(r);
    assert_int_equal(json_array_append_new(releases, r), 0);
}

/* Every id at path (an array of objects) in release r is in the compiled
 * release at the same path. */
static void s_assert_ids_in(json_t *r, json_t *compiled, const char *path)
{
    size_t i;
    json_t *it;
    json_array_foreach(s_at(r, path), i, it) {
        const char *id = json_string_value(json_object_get(it, "id"));
        assert_non_null(id);
        if (!s_by_id(s_at(compiled, path), id)) fail_msg("%s: %s is not in the compiled release", path, id);
    }
}

/* A realistic history of releases as the daemon records them: snapshots
 * at the stage changes, partial releases for an answer, the payments and
 * the progress reports. The release package and the record package
 * validate (the partial releases' contracts name the award of earlier
 * releases), and every item of a partial release is in the compiled
 * release under the same id. */
static void test_release_for_history(void **state)
{
    fixture_t *fx = *state;
    hub_arena_t *a = fx->arena;
    const Tendering__Kind K = TENDERING__KIND__PURCHASE;
    json_t *releases = json_array();
    assert_non_null(releases);
    uint32_t n = 0;
#define REL(p, act, item, ms) s_add(releases, ocds_release_for((p), (act), (item), ++n, (ms), HUB_ID, HUB_NAME))
    REL(s_build(a, K, ST_PLANNING), TA__COUNT, NULL, s_when(ST_PLANNING));
    Tendering__Process *p = s_build(a, K, ST_ACTIVE);
    p->enquiries[0]->answer = ""; /* published: not answered yet, not amended yet */
    p->n_amendments = 0;
    REL(p, TA_PUBLISH, NULL, s_when(ST_ACTIVE));
    p->enquiries[0]->answer = "包含，每周七天。";
    REL(p, TA_ENQUIRY_ANSWER, "ENQ-1", p->enquiries[0]->answered_ms);
    p->n_amendments = 1;
    REL(p, TA_AMEND, NULL, p->amendments[0]->date_ms);
    REL(s_build(a, K, ST_EVALUATION), TA_CLOSE_PERIOD, NULL, s_when(ST_EVALUATION));
    REL(s_build(a, K, ST_AWARD_PENDING), TA_AWARD, NULL, s_when(ST_AWARD_PENDING));
    REL(s_build(a, K, ST_AWARDED), TA_ACTIVATE, NULL, s_when(ST_AWARDED));

    /* signed: the milestones scheduled, no report, no payment yet */
    p = s_build3(a, K, ST_CONTRACTED);
    Tendering__Contract *c = p->contract;
    Tendering__Milestone *m1 = c->milestones[0], *m2 = c->milestones[1];
    c->n_payments = 0;
    m1->n_reports = m2->n_reports = 0;
    m1->status = TENDERING__MILESTONE_STATUS__SCHEDULED;
    m1->date_met_ms = 0;
    REL(p, TA_SIGN, NULL, s_when(ST_CONTRACTED));
    const size_t first_partial = n;
    /* the implementation, in date order */
    m1->n_reports = 1; /* day 58: MS-1 met */
    m1->status = TENDERING__MILESTONE_STATUS__MET;
    m1->date_met_ms = T0_MS + 58 * DAY_MS;
    REL(p, TA_MILESTONE, "MS-1", m1->date_met_ms);
    for (size_t i = 0; i < 3; i++) { /* days 59, 90, 120 */
        c->n_payments = i + 1;
        REL(p, TA_PAYMENT, c->payments[i]->id, c->payments[i]->date_ms);
    }
    for (size_t k = 0; k < 2; k++) { /* days 150, 180: MS-2 40%, 55% */
        m2->n_reports = k + 1;
        REL(p, TA_MILESTONE, "MS-2", m2->reports[k]->date_ms);
    }
    const size_t last_partial = n;
    Tendering__Process *pf = s_build3(a, K, ST_CLOSED);
    REL(pf, TA_TERMINATE, NULL, s_when(ST_CLOSED));
#undef REL
    assert_int_equal(n, 15);
    static const char *const tags[] = {"planning", "tender", "tenderUpdate", "tenderAmendment", "tenderUpdate",
                                       "award", "awardUpdate", "contract", "implementation", "implementation",
                                       "implementation", "implementation", "implementation", "implementation",
                                       "contractTermination"};
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(releases, i);
        char id[64];
        snprintf(id, sizeof id, OCID "-%zu", i + 1);
        assert_string_equal(s_str_at(r, "id"), id);
        assert_string_equal(s_str_at(r, "tag[0]"), tags[i]);
        s_assert_never(r);
        /* partial: the answer, the reports and the payments */
        bool partial = i == 2 || (i >= first_partial && i < last_partial);
        assert_true(partial == (s_at(r, "planning") == NULL));
    }

    json_t *pkg = ocds_release_package(json_copy(releases), PKG_URI "/releases.json", HUB_NAME, s_when(ST_CLOSED));
    assert_non_null(pkg);
    json_t *rec = ocds_record_package(pf, releases, PKG_URI "/record.json", HUB_ID, HUB_NAME, s_when(ST_CLOSED) + 1000);
    assert_non_null(rec);
    json_t *compiled = s_at(rec, "records[0].compiledRelease");
    assert_int_equal(json_array_size(s_at(compiled, "contracts[0].implementation.transactions")), 3);
    /* every item of a partial release is in the compiled release, same id */
    json_t *embedded = s_at(rec, "records[0].releases");
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(embedded, i);
        s_assert_ids_in(r, compiled, "tender.documents");
        s_assert_ids_in(r, compiled, "contracts");
        s_assert_ids_in(r, compiled, "contracts[0].milestones");
        s_assert_ids_in(r, compiled, "contracts[0].implementation.documents");
        s_assert_ids_in(r, compiled, "contracts[0].implementation.transactions");
        s_assert_ids_in(r, compiled, "parties");
    }
    /* the three progress reports come one per release */
    assert_string_equal(s_str_at(json_array_get(embedded, 8), "contracts[0].implementation.documents[0].id"),
                        "MS-1-progress-1");
    assert_string_equal(s_str_at(json_array_get(embedded, 12), "contracts[0].implementation.documents[0].id"),
                        "MS-2-progress-1");
    assert_string_equal(s_str_at(json_array_get(embedded, 13), "contracts[0].implementation.documents[0].id"),
                        "MS-2-progress-2");
    char f1[128], f2[128], args[512];
    s_write(fx, "history-release-package.json", pkg, f1, sizeof f1);
    s_write(fx, "history-record-package.json", rec, f2, sizeof f2);
    json_decref(pkg);
    json_decref(rec);
    snprintf(args, sizeof args, "--kind release-package '%s' --kind record-package '%s'", f1, f2);
    assert_int_equal(s_validate_args(args), 0);
}

/* A long contract: 200 payments and 50 milestones of 10 progress reports
 * each, recorded as the daemon does (a snapshot at each of the 8 stage
 * changes, a partial release for the answer, every payment and report):
 * the stored releases stay under 1.5 MB (one snapshot per release would
 * store tens of MB), and the record package export under the 2 MiB a
 * reply carries. */
static void test_release_for_size(void **state)
{
    fixture_t *fx = *state;
    hub_arena_t *a = fx->arena;
    const Tendering__Kind K = TENDERING__KIND__PURCHASE;
    enum { MILESTONES = 50, REPORTS = 10, PAYMENTS = 200 };
    json_t *releases = json_array();
    assert_non_null(releases);
    uint32_t n = 0;
    size_t stored = 0, snapshots = 0, n_snapshots = 0, n_partials = 0, largest_partial = 0;
    /* what one snapshot per release would store: the snapshots, and every
     * 10th partial release's snapshot times 10 (building all 700 takes
     * seconds) */
    size_t as_snapshots = 0;
    /* records the release of action act on p (and sizes the snapshot it replaces) */
#define REL(p, act, item, tag, ms)                                                                  \
    do {                                                                                            \
        json_t *r_ = ocds_release_for((p), (act), (item), ++n, (ms), HUB_ID, HUB_NAME);             \
        assert_non_null(r_);                                                                        \
        size_t sz_ = s_stored_size(r_);                                                             \
        stored += sz_;                                                                              \
        if (s_at(r_, "planning")) {                                                                 \
            snapshots += sz_;                                                                       \
            n_snapshots++;                                                                          \
            as_snapshots += sz_;                                                                    \
        } else {                                                                                    \
            if (sz_ > largest_partial) largest_partial = sz_;                                       \
            if (n_partials++ % 10 == 0) {                                                           \
                json_t *w_ = ocds_release((p), (tag), n, (ms), HUB_ID, HUB_NAME);                   \
                assert_non_null(w_);                                                                \
                as_snapshots += 10 * s_stored_size(w_);                                             \
                json_decref(w_);                                                                    \
            }                                                                                       \
        }                                                                                           \
        s_add(releases, r_);                                                                        \
    } while (0)

    REL(s_build(a, K, ST_PLANNING), TA__COUNT, NULL, "planning", s_when(ST_PLANNING));
    Tendering__Process *p = s_build(a, K, ST_ACTIVE);
    REL(p, TA_PUBLISH, NULL, "tender", s_when(ST_ACTIVE));
    REL(p, TA_ENQUIRY_ANSWER, "ENQ-1", "tenderUpdate", p->enquiries[0]->answered_ms);
    REL(p, TA_AMEND, NULL, "tenderAmendment", p->amendments[0]->date_ms);
    REL(s_build(a, K, ST_EVALUATION), TA_CLOSE_PERIOD, NULL, "tenderUpdate", s_when(ST_EVALUATION));
    REL(s_build(a, K, ST_AWARD_PENDING), TA_AWARD, NULL, "award", s_when(ST_AWARD_PENDING));
    REL(s_build(a, K, ST_AWARDED), TA_ACTIVATE, NULL, "awardUpdate", s_when(ST_AWARDED));

    /* the contract: 50 milestones due weekly, 1,000,000 yuan */
    p = s_build(a, K, ST_CLOSED);
    Tendering__Closure *closure = p->closure;
    p->closure = NULL;
    p->state = TENDERING__STATE__CONTRACTED;
    Tendering__Contract *c = p->contract;
    c->status = TENDERING__CONTRACT_STATUS__CONTRACT_ACTIVE;
    c->value_fen = p->award->value_fen = 100000000;
    c->milestones = s_new(a, MILESTONES * sizeof *c->milestones);
    c->n_milestones = MILESTONES;
    for (size_t i = 0; i < MILESTONES; i++) {
        Tendering__Milestone *m = s_new(a, sizeof *m);
        tendering__milestone__init(m);
        m->id = s_new(a, 16);
        snprintf(m->id, 16, "MS-%zu", i + 1);
        m->title = s_new(a, 64);
        snprintf(m->title, 64, "第%zu周助餐与上门探访服务", i + 1);
        m->due_ms = T0_MS + (int64_t)(30 + 7 * (i + 1)) * DAY_MS;
        m->status = TENDERING__MILESTONE_STATUS__SCHEDULED;
        m->reports = s_new(a, REPORTS * sizeof *m->reports);
        c->milestones[i] = m;
    }
    c->payments = s_new(a, PAYMENTS * sizeof *c->payments);
    c->n_payments = 0;
    c->paid_fen = 0;
    REL(p, TA_SIGN, NULL, "contract", s_when(ST_CONTRACTED));

    /* 700 actions over 350 days: 5 reports, then 2 payments, 100 times */
    size_t n_reports = 0;
    for (size_t t = 0; t < MILESTONES * REPORTS + PAYMENTS; t++) {
        int64_t now = T0_MS + 30 * DAY_MS + (int64_t)t * (DAY_MS / 2);
        if (t % 7 >= 5) {
            size_t i = c->n_payments;
            char *id = s_new(a, 16), *entry = s_new(a, 24);
            snprintf(id, 16, "PAY-%04zu", i + 1);
            snprintf(entry, 24, "ENT-%012zu", 100 + i);
            int64_t fen = 500000 + (int64_t)i * 37; /* 5000.00 .. 5073.63 yuan */
            c->payments[c->n_payments++] = s_payment(a, id, fen, c->milestones[i / 4]->id, entry, now);
            c->paid_fen += fen;
            p->funders[0]->paid_fen = c->paid_fen;
            REL(p, TA_PAYMENT, id, "implementation", now);
        } else {
            Tendering__Milestone *m = c->milestones[n_reports / REPORTS];
            size_t k = m->n_reports;
            char *text = s_new(a, 256);
            snprintf(text, 256, "第%zu次进度报告：本期助餐%zu人次，上门探访%zu户，独居老人满意度%zu%%。", k + 1,
                     140 + n_reports % 37, 20 + n_reports % 11, 90 + n_reports % 9);
            m->reports[m->n_reports++] = s_report(a, now, (uint32_t)(k + 1) * 10, text);
            if (m->n_reports == REPORTS) {
                m->status = TENDERING__MILESTONE_STATUS__MET;
                m->date_met_ms = now;
            }
            n_reports++;
            REL(p, TA_MILESTONE, m->id, "implementation", now);
        }
    }
    assert_int_equal(c->n_payments, PAYMENTS);
    assert_int_equal(n_reports, MILESTONES * REPORTS);

    p->closure = closure;
    p->state = TENDERING__STATE__CLOSED;
    c->status = TENDERING__CONTRACT_STATUS__CONTRACT_TERMINATED;
    REL(p, TA_TERMINATE, NULL, "contractTermination", s_when(ST_CLOSED));
#undef REL
    assert_int_equal(n_snapshots, 8);
    assert_int_equal(n_partials, 1 + PAYMENTS + MILESTONES * REPORTS);
    size_t final_snapshot = s_stored_size(json_array_get(releases, n - 1));

    json_t *rec = ocds_record_package(p, releases, PKG_URI "/record.json", HUB_ID, HUB_NAME, s_when(ST_CLOSED) + 1000);
    assert_non_null(rec);
    size_t record = s_stored_size(rec);
    printf("ocds sizes: %u releases stored in %zu B (%zu snapshots %zu B, final snapshot %zu B; %zu partial "
           "%zu B, largest %zu B); one snapshot per release: ~%zu B; record package export %zu B\n",
           n, stored, n_snapshots, snapshots, final_snapshot, n_partials, stored - snapshots, largest_partial,
           as_snapshots, record);
    assert_true(stored < 1500000);
    assert_true(record < 2u << 20);
    assert_true(largest_partial < 2000);
    char f[128];
    s_write(fx, "long-record-package.json", rec, f, sizeof f);
    json_decref(rec);
    assert_int_equal(s_validate("record-package", f), 0);
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
 * result as without the limit. Also for the partial releases (a payment,
 * a milestone report, an enquiry's answer). */
static void test_out_of_memory(void **state)
{
    fixture_t *fx = *state;
    Tendering__Process *p = s_build(fx->arena, TENDERING__KIND__VENTURE, ST_CLOSED);
    json_t *want = ocds_release(p, "contractTermination", 7, s_when(ST_CLOSED), HUB_ID, HUB_NAME);
    assert_non_null(want);
    static const tender_action_t partial_action[] = {TA_PAYMENT, TA_MILESTONE, TA_ENQUIRY_ANSWER};
    static const char *const partial_item[] = {"PAY-0002", "MS-1", "ENQ-1"};
    json_t *want_partial[3];
    for (size_t i = 0; i < 3; i++) {
        want_partial[i] = ocds_release_for(p, partial_action[i], partial_item[i], 8, s_when(ST_CLOSED), HUB_ID, HUB_NAME);
        assert_non_null(want_partial[i]);
        assert_null(s_at(want_partial[i], "planning")); /* partial indeed */
    }
    json_set_alloc_funcs(s_limited_malloc, free);
    size_t failures = 0;
    for (int what = 0; what < 6; what++) {
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
            } else if (what == 2) {
                got = ocds_record_package(p, releases, PKG_URI, HUB_ID, HUB_NAME, T0_MS);
            } else {
                got = ocds_release_for(p, partial_action[what - 3], partial_item[what - 3], 8, s_when(ST_CLOSED),
                                       HUB_ID, HUB_NAME);
                json_decref(releases);
            }
            s_alloc_limited = false;
            if (!got) {
                failures++;
                assert_true(limit < 100000);
                continue;
            }
            if (what == 0) assert_true(json_equal(got, want));
            if (what >= 3) {
                assert_true(json_equal(got, want_partial[what - 3]));
                assert_true(limit > 10); /* it did fail before */
            }
            json_decref(got);
            break;
        }
    }
    json_set_alloc_funcs(malloc, free);
    assert_true(failures > 100);
    json_decref(want);
    for (size_t i = 0; i < 3; i++) json_decref(want_partial[i]);
}

/* The validator can fail: a bad tag, a missing ocid, an undeclared party,
 * an amount with three decimals, a code outside an open codelist, a role
 * outside partyRole, a contract naming no award (of its release, or of
 * its package for a partial release); each broken file is named in its output and the run
 * exits 1 (one run for all: starting the validator is the slow part). */
static void test_validator_rejects(void **state)
{
    fixture_t *fx = *state;
    Tendering__Process *p = s_build(fx->arena, TENDERING__KIND__PURCHASE, ST_CONTRACTED);
    json_t *good = ocds_release(p, "contract", 6, s_when(ST_CONTRACTED), HUB_ID, HUB_NAME);
    assert_non_null(good);
    static const char *const breaks[] = {"tag",  "ocid",    "party",   "amount",          "documentType",
                                         "role", "package", "awardID", "package awardID"};
    enum { N = sizeof breaks / sizeof *breaks };
    char files[N][128], args[4096] = "--kind release";
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
        case 7: /* a release with awards: its contract names one of them */
            json_object_set_new(s_at(bad, "contracts[0]"), "awardID", json_string("AWD-NOBODY"));
            strcat(args, " --kind release");
            break;
        case 8: { /* a package: a partial release's contract names an award of the package; here none */
            json_t *arr = json_array();
            json_array_append_new(arr, ocds_release_for(p, TA_PAYMENT, "PAY-0001", 7, s_when(ST_CONTRACTED) + 1000,
                                                        HUB_ID, HUB_NAME));
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
    char cmd[4200];
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
    assert_non_null(strstr(text, "contracts[0].awardID: 'AWD-NOBODY' names no award"));
    assert_non_null(strstr(text, "releases[0].contracts[0].awardID: 'AWD-1' names no award"));
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
        T(test_release_for_partial),
        T(test_release_for_history),
        T(test_release_for_size),
        T(test_hostile_input),
        T(test_out_of_memory),
        T(test_validator_rejects),
    };
    return cmocka_run_group_tests_name("test_ocds", tests, NULL, NULL);
}
