/* Unit tests for the tendering domain (services/tendering/tender.c): the
 * process state machine against an independent table of every (state,
 * action) pair, the transitions, draft and document validation,
 * eligibility, conflicts of interest, score validation, lookups, weighted
 * scoring and ranking, the proportional split of money, yuan text, the
 * ledger's accounts and entries, name masking and the redaction of public
 * outputs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tender.h"

/* A string literal as the char * protobuf-c fields hold (never written). */
#define S(x) ((char *)(x))

/* matching.LegalForm and matching.Membership numbers */
#define LF_SOCIAL_GROUP 1
#define LF_PRIVATE_NON_ENTERPRISE 2
#define LF_FOUNDATION 3
#define LF_COMMUNITY_GROUP 4
#define MS_APPLIED 1
#define MS_APPROVED 2

#define N_STATES 10 /* STATE_UNSPECIFIED .. CANCELLED */

/* ------------------------------------------------------------ fixture */

#define FX_CRIT 20
#define FX_FUND 20
#define FX_DOCS 4
#define FX_BIDS 8
#define FX_EVS 6
#define FX_SCORES 24
#define FX_AFFS 4

/* One process with room for everything a test adds, all in one struct on
 * the stack: the messages point into it. */
typedef struct {
    Tendering__Process p;
    Tendering__Eligibility elig;
    uint32_t forms[8];
    Tendering__Criterion crit[FX_CRIT];
    Tendering__Criterion *critp[FX_CRIT];
    Tendering__Funder fund[FX_FUND];
    Tendering__Funder *fundp[FX_FUND];
    Tendering__Document doc[FX_DOCS];
    Tendering__Document *docp[FX_DOCS];
    Tendering__Bid bid[FX_BIDS];
    Tendering__Bid *bidp[FX_BIDS];
    Tendering__Document biddoc[FX_BIDS];
    Tendering__Document *biddocp[FX_BIDS];
    Tendering__Evaluator ev[FX_EVS];
    Tendering__Evaluator *evp[FX_EVS];
    char *aff[FX_EVS][FX_AFFS];
    Tendering__Score sc[FX_SCORES];
    Tendering__Score *scp[FX_SCORES];
    uint32_t pts[FX_SCORES][FX_CRIT];
} fx_t;

/* A valid PURCHASE draft in PLANNING: three criteria (50, 30, 20), one
 * document, no eligibility rule, no funder (the buyer is implied). */
static void s_fx_init(fx_t *f)
{
    memset(f, 0, sizeof *f);
    f->p = (Tendering__Process)TENDERING__PROCESS__INIT;
    f->p.ocid = S("ocds-hub-000001");
    f->p.kind = TENDERING__KIND__PURCHASE;
    f->p.state = TENDERING__STATE__PLANNING;
    f->p.title = S("鼓楼街道居家养老助餐服务项目");
    f->p.description = S("为辖区独居老人提供助餐服务");
    f->p.buyer_id = S("haishu-civil-affairs");
    f->p.buyer_name = S("海曙区民政局");
    f->p.budget_fen = 30000000; /* 300000.00 yuan */
    f->elig = (Tendering__Eligibility)TENDERING__ELIGIBILITY__INIT;
    f->elig.legal_forms = f->forms;
    f->p.eligibility = &f->elig;
    static const char *names[] = {"专业能力", "服务方案", "价格"};
    static const uint32_t weights[] = {50, 30, 20};
    for (size_t i = 0; i < FX_CRIT; i++) {
        f->crit[i] = (Tendering__Criterion)TENDERING__CRITERION__INIT;
        f->critp[i] = &f->crit[i];
    }
    for (size_t i = 0; i < 3; i++) {
        f->crit[i].name = S(names[i]);
        f->crit[i].weight = weights[i];
    }
    f->p.criteria = f->critp;
    f->p.n_criteria = 3;
    for (size_t i = 0; i < FX_FUND; i++) {
        f->fund[i] = (Tendering__Funder)TENDERING__FUNDER__INIT;
        f->fundp[i] = &f->fund[i];
    }
    f->p.funders = f->fundp;
    for (size_t i = 0; i < FX_DOCS; i++) {
        f->doc[i] = (Tendering__Document)TENDERING__DOCUMENT__INIT;
        f->doc[i].title = S("招标公告");
        f->doc[i].url = S("https://hub.example.org/docs/notice.pdf");
        f->doc[i].document_type = S("tenderNotice");
        f->doc[i].sha256 = S("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
        f->docp[i] = &f->doc[i];
    }
    f->p.documents = f->docp;
    f->p.n_documents = 1;
    f->p.bids = f->bidp;
    f->p.evaluators = f->evp;
    f->p.scores = f->scp;
}

/* Adds a bid with one document; returns it. */
static Tendering__Bid *s_bid(fx_t *f, const char *id, const char *org, Tendering__BidState st,
                             int64_t price, int64_t submitted)
{
    assert_true(f->p.n_bids < FX_BIDS);
    size_t i = f->p.n_bids++;
    Tendering__Bid *b = &f->bid[i];
    *b = (Tendering__Bid)TENDERING__BID__INIT;
    b->id = S(id);
    b->org_id = S(org);
    b->org_name = S("海曙区某社工服务中心");
    b->price_fen = price;
    b->proposal = S("每日上门送餐");
    b->state = st;
    b->submitted_ms = submitted;
    if (st == TENDERING__BID_STATE__BID_WITHDRAWN) b->withdrawn_ms = submitted + 1000;
    if (st == TENDERING__BID_STATE__BID_DISQUALIFIED) b->disqualified_reason = S("资质不符");
    f->biddoc[i] = f->doc[0];
    f->biddocp[i] = &f->biddoc[i];
    b->documents = &f->biddocp[i];
    b->n_documents = 1;
    f->bidp[i] = b;
    return b;
}

/* Adds an evaluator with up to FX_AFFS affiliations (NULL-terminated list). */
static Tendering__Evaluator *s_ev(fx_t *f, const char *id, bool declared, ...)
{
    assert_true(f->p.n_evaluators < FX_EVS);
    size_t i = f->p.n_evaluators++;
    Tendering__Evaluator *e = &f->ev[i];
    *e = (Tendering__Evaluator)TENDERING__EVALUATOR__INIT;
    e->id = S(id);
    e->name = S("张评审");
    e->declared = declared;
    e->affiliations = f->aff[i];
    va_list ap;
    va_start(ap, declared);
    for (const char *a; (a = va_arg(ap, const char *));) {
        assert_true(e->n_affiliations < FX_AFFS);
        f->aff[i][e->n_affiliations++] = S(a);
    }
    va_end(ap);
    f->evp[i] = e;
    return e;
}

/* Adds a score with n points (given as ints). */
static Tendering__Score *s_score(fx_t *f, const char *ev, const char *bid, size_t n, ...)
{
    assert_true(f->p.n_scores < FX_SCORES && n <= FX_CRIT);
    size_t i = f->p.n_scores++;
    Tendering__Score *s = &f->sc[i];
    *s = (Tendering__Score)TENDERING__SCORE__INIT;
    s->evaluator_id = S(ev);
    s->bid_id = S(bid);
    s->points = f->pts[i];
    s->n_points = n;
    va_list ap;
    va_start(ap, n);
    for (size_t k = 0; k < n; k++) f->pts[i][k] = (uint32_t)va_arg(ap, int);
    va_end(ap);
    f->scp[i] = s;
    return s;
}

/* Asserts rc == -1 and err carries code and field (message checked by contains, may be NULL). */
static void s_refused(int rc, const hub_error_t *err, Hub__ErrorCode code, const char *field,
                      const char *contains)
{
    if (rc != -1 || err->code != code || strcmp(err->field, field) ||
        (contains && !strstr(err->message, contains)))
        fail_msg("expected %s at %s (\"%s\"), got rc %d %s at %s: %s", hub_error_code_name(code), field,
                 contains ? contains : "", rc, hub_error_code_name(err->code), err->field, err->message);
}

/* ------------------------------------------------------------ state machine */

/* The design's table, written out independently of tender.c: one row per
 * state, one column per action in tender_action_t order; 'x' = legal.
 *   columns: UPDATE PUBLISH AMEND ENQUIRY_ASK ENQUIRY_ANSWER BID
 *   BID_WITHDRAW CLOSE_PERIOD EVALUATOR_ADD DECLARE SCORE DISQUALIFY AWARD
 *   ACTIVATE SIGN MILESTONE PAYMENT TERMINATE CANCEL READ_BIDS */
static const char *const expected_legal[N_STATES] = {
    /*                                   UPAQNBWCEDSXAVGMYTKR */
    [TENDERING__STATE__STATE_UNSPECIFIED] = "....................",
    [TENDERING__STATE__PLANNING] = /*   */ "xx......x.........x.",
    [TENDERING__STATE__ACTIVE] = /*     */ "..xxxxxxx.........x.",
    [TENDERING__STATE__EVALUATION] = /* */ "....x...xxxxx.....xx",
    [TENDERING__STATE__AWARD_PENDING] =    ".............x....xx",
    [TENDERING__STATE__AWARDED] = /*    */ "..............x...xx",
    [TENDERING__STATE__CONTRACTED] = /* */ "...............xxx.x",
    [TENDERING__STATE__UNSUCCESSFUL] =     "...................x",
    [TENDERING__STATE__CLOSED] = /*     */ "...................x",
    [TENDERING__STATE__CANCELLED] = /*  */ "....................",
};

static void test_names(void **state)
{
    (void)state;
    static const char *const states[N_STATES] = {"unspecified", "planning", "active", "evaluation",
                                                  "award-pending", "awarded", "contracted",
                                                  "unsuccessful", "closed", "cancelled"};
    for (int s = 0; s < N_STATES; s++) assert_string_equal(tender_state_name((Tendering__State)s), states[s]);
    assert_non_null(tender_state_name((Tendering__State)42));
    assert_non_null(tender_state_name((Tendering__State)-1));
    assert_string_equal(tender_action_name(TA_PUBLISH), "publish");
    assert_string_equal(tender_action_name(TA_CANCEL), "cancel");
    for (int a = 0; a < TA__COUNT; a++) {
        const char *n = tender_action_name((tender_action_t)a);
        assert_non_null(n);
        assert_true(*n);
        for (const char *c = n; *c; c++) assert_true((*c >= 'a' && *c <= 'z') || *c == '-');
        for (int b = 0; b < a; b++) assert_string_not_equal(n, tender_action_name((tender_action_t)b));
    }
    assert_non_null(tender_action_name(TA__COUNT));
}

static void test_allowed_every_pair(void **state)
{
    (void)state;
    int legal = 0;
    for (int s = 0; s < N_STATES; s++) {
        assert_int_equal(strlen(expected_legal[s]), TA__COUNT);
        const char *name = tender_state_name((Tendering__State)s);
        char want[64];
        snprintf(want, sizeof want, "the tender is %s", name);
        for (int a = 0; a < TA__COUNT; a++) {
            hub_error_t err = {0};
            int rc = tender_allowed((Tendering__State)s, (tender_action_t)a, &err);
            bool expect = expected_legal[s][a] == 'x';
            if (expect != (rc == 0))
                fail_msg("%s in %s: expected %s, got %s", tender_action_name((tender_action_t)a), name,
                         expect ? "legal" : "illegal", rc ? err.message : "legal");
            if (expect) {
                assert_int_equal(err.code, 0);
                legal++;
                continue;
            }
            assert_int_equal(rc, -1);
            assert_int_equal(err.code, HUB__ERROR_CODE__FAILED_PRECONDITION);
            assert_string_equal(err.field, "state");
            if (!strstr(err.message, want)) fail_msg("\"%s\" does not name the state (%s)", err.message, name);
            if (a == TA_READ_BIDS) assert_non_null(strstr(err.message, "sealed"));
            else assert_non_null(strstr(err.message, "cannot "));
        }
    }
    assert_int_equal(legal, 4 + 8 + 8 + 3 + 3 + 4 + 1 + 1);

    hub_error_t err = {0};
    assert_int_equal(tender_allowed(TENDERING__STATE__ACTIVE, TA_PUBLISH, &err), -1);
    assert_string_equal(err.message, "cannot publish: the tender is active");
    assert_int_equal(tender_allowed(TENDERING__STATE__ACTIVE, TA_READ_BIDS, &err), -1);
    assert_string_equal(err.message, "bids are sealed until the tender period ends (the tender is active)");
    assert_int_equal(tender_allowed(TENDERING__STATE__PLANNING, TA_READ_BIDS, &err), -1);
    assert_string_equal(err.message, "bids are sealed until the tender period ends (the tender is planning)");
    assert_int_equal(tender_allowed(TENDERING__STATE__CANCELLED, TA_READ_BIDS, &err), -1);
    assert_non_null(strstr(err.message, "never opened"));
    assert_int_equal(tender_allowed(TENDERING__STATE__CLOSED, TA_CANCEL, &err), -1);
    assert_string_equal(err.message, "cannot cancel: the tender is closed");
    assert_int_equal(tender_allowed(TENDERING__STATE__CONTRACTED, TA_CANCEL, &err), -1);
    assert_string_equal(err.message, "cannot cancel: the tender is contracted");
    assert_int_equal(tender_allowed(TENDERING__STATE__AWARD_PENDING, TA_SIGN, &err), -1);
    assert_non_null(strstr(err.message, "award-pending"));
    /* out of range: refused, never read past the table; err may be NULL */
    assert_int_equal(tender_allowed((Tendering__State)42, TA_READ_BIDS, &err), -1);
    assert_int_equal(tender_allowed((Tendering__State)-3, TA_CANCEL, &err), -1);
    assert_int_equal(tender_allowed(TENDERING__STATE__PLANNING, TA__COUNT, &err), -1);
    assert_int_equal(tender_allowed(TENDERING__STATE__PLANNING, (tender_action_t)-1, NULL), -1);
    assert_int_equal(tender_allowed(TENDERING__STATE__PLANNING, TA_PUBLISH, NULL), 0);
}

static void test_next(void **state)
{
    (void)state;
    const Tendering__State P = TENDERING__STATE__PLANNING, A = TENDERING__STATE__ACTIVE,
                           E = TENDERING__STATE__EVALUATION, AP = TENDERING__STATE__AWARD_PENDING,
                           AW = TENDERING__STATE__AWARDED, C = TENDERING__STATE__CONTRACTED,
                           U = TENDERING__STATE__UNSUCCESSFUL, CL = TENDERING__STATE__CLOSED,
                           X = TENDERING__STATE__CANCELLED;
    assert_int_equal(tender_next(P, TA_PUBLISH, false), A);
    assert_int_equal(tender_next(P, TA_PUBLISH, true), A);
    assert_int_equal(tender_next(A, TA_CLOSE_PERIOD, true), E);
    assert_int_equal(tender_next(A, TA_CLOSE_PERIOD, false), U);
    assert_int_equal(tender_next(E, TA_AWARD, true), AP);
    assert_int_equal(tender_next(E, TA_AWARD, false), U);
    assert_int_equal(tender_next(AP, TA_ACTIVATE, true), AW);
    assert_int_equal(tender_next(AP, TA_ACTIVATE, false), AW);
    assert_int_equal(tender_next(AW, TA_SIGN, true), C);
    assert_int_equal(tender_next(C, TA_TERMINATE, true), CL);
    assert_int_equal(tender_next(C, TA_TERMINATE, false), CL);
    const Tendering__State cancellable[] = {P, A, E, AP, AW};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(tender_next(cancellable[i], TA_CANCEL, true), X);
        assert_int_equal(tender_next(cancellable[i], TA_CANCEL, false), X);
    }
    /* every legal action that is not a move leaves the state as it is */
    for (int s = 0; s < N_STATES; s++)
        for (int a = 0; a < TA__COUNT; a++) {
            if (expected_legal[s][a] != 'x') continue;
            if (a == TA_PUBLISH || a == TA_CLOSE_PERIOD || a == TA_AWARD || a == TA_ACTIVATE ||
                a == TA_SIGN || a == TA_TERMINATE || a == TA_CANCEL)
                continue;
            assert_int_equal(tender_next((Tendering__State)s, (tender_action_t)a, true), s);
            assert_int_equal(tender_next((Tendering__State)s, (tender_action_t)a, false), s);
        }
    /* an illegal action changes nothing */
    assert_int_equal(tender_next(CL, TA_PUBLISH, true), CL);
    assert_int_equal(tender_next(X, TA_CANCEL, true), X);
    assert_int_equal(tender_next(C, TA_CANCEL, true), C);
    assert_int_equal(tender_next(P, TA_SIGN, true), P);
    assert_int_equal(tender_next(A, TA_AWARD, false), A);

    for (int s = 0; s < N_STATES; s++)
        assert_int_equal(tender_state_final((Tendering__State)s), s == U || s == CL || s == X);
}

/* ------------------------------------------------------------ validation */

/* Validates f's draft and checks the refusal. */
#define DRAFT_REFUSED(f, field, contains)                                                        \
    do {                                                                                         \
        hub_error_t e_ = {0};                                                                    \
        s_refused(tender_validate_draft(&(f)->p, &e_), &e_, HUB__ERROR_CODE__INVALID_ARGUMENT, \
                  field, contains);                                                              \
    } while (0)

/* Validates f's draft and expects it accepted. */
static void s_draft_ok(fx_t *f)
{
    hub_error_t err = {0};
    if (tender_validate_draft(&f->p, &err)) fail_msg("refused at %s: %s", err.field, err.message);
}

static void test_draft_valid(void **state)
{
    (void)state;
    fx_t f;
    s_fx_init(&f);
    s_draft_ok(&f);
    /* purchase with its one funder holding the whole budget */
    f.fund[0].id = S("haishu-civil-affairs");
    f.fund[0].share_fen = f.p.budget_fen;
    f.p.n_funders = 1;
    s_draft_ok(&f);
    /* venture: three funders summing to the budget */
    s_fx_init(&f);
    f.p.kind = TENDERING__KIND__VENTURE;
    const char *ids[] = {"haishu-civil-affairs", "ningbo-charity-fed", "acme.foundation_1"};
    const int64_t shares[] = {15000000, 10000000, 5000000};
    for (size_t i = 0; i < 3; i++) {
        f.fund[i].id = S(ids[i]);
        f.fund[i].share_fen = shares[i];
    }
    f.p.n_funders = 3;
    s_draft_ok(&f);
    /* the bounds themselves */
    s_fx_init(&f);
    f.p.budget_fen = TENDER_MAX_FEN;
    s_draft_ok(&f);
    char title[TENDER_MAX_NAME + 1];
    memset(title, 'a', TENDER_MAX_NAME);
    title[TENDER_MAX_NAME] = 0;
    f.p.title = title;
    f.elig.legal_forms[0] = LF_SOCIAL_GROUP;
    f.elig.legal_forms[1] = LF_COMMUNITY_GROUP;
    f.elig.n_legal_forms = 2;
    f.p.tender_end_ms = 1767542400000LL;
    f.p.budget_fen = 1;
    s_draft_ok(&f);
    /* no eligibility rule; a document without hash or type */
    f.p.eligibility = NULL;
    f.doc[0].sha256 = S("");
    f.doc[0].document_type = S("");
    s_draft_ok(&f);
    /* 16 criteria of weights summing to 100 */
    for (size_t i = 0; i < TENDER_MAX_CRITERIA; i++) {
        f.crit[i].name = S("c");
        f.crit[i].weight = i < 4 ? 10 : 5; /* 40 + 12 x 5 = 100 */
    }
    f.p.n_criteria = TENDER_MAX_CRITERIA;
    s_draft_ok(&f);
}

static void test_draft_refused(void **state)
{
    (void)state;
    fx_t f;
    hub_error_t err = {0};
    assert_int_equal(tender_validate_draft(NULL, &err), -1);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);

    /* weights not summing to 100 */
    s_fx_init(&f);
    f.crit[2].weight = 19;
    DRAFT_REFUSED(&f, "process.criteria", "99");
    s_fx_init(&f);
    f.crit[2].weight = 21;
    DRAFT_REFUSED(&f, "process.criteria", "101");
    /* a weight of 0 (a criterion that counts for nothing) */
    s_fx_init(&f);
    f.crit[0].weight = 0;
    f.crit[1].weight = 80;
    DRAFT_REFUSED(&f, "process.criteria[0].weight", NULL);
    /* huge weights do not wrap around to 100 */
    s_fx_init(&f);
    f.crit[0].weight = UINT32_MAX;
    f.crit[1].weight = 51;
    f.crit[2].weight = 50;
    DRAFT_REFUSED(&f, "process.criteria[0].weight", NULL);
    /* empty criterion name */
    s_fx_init(&f);
    f.crit[1].name = S("");
    DRAFT_REFUSED(&f, "process.criteria[1].name", NULL);
    /* no criteria, too many */
    s_fx_init(&f);
    f.p.n_criteria = 0;
    DRAFT_REFUSED(&f, "process.criteria", NULL);
    s_fx_init(&f);
    for (size_t i = 0; i < TENDER_MAX_CRITERIA + 1; i++) {
        f.crit[i].name = S("c");
        f.crit[i].weight = i < 15 ? 6 : 5; /* 90 + 10 = 100, but 17 criteria */
    }
    f.p.n_criteria = TENDER_MAX_CRITERIA + 1;
    DRAFT_REFUSED(&f, "process.criteria", NULL);
    /* bad sha256: 63 digits, a non-hex digit */
    s_fx_init(&f);
    f.doc[0].sha256 = S("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0");
    DRAFT_REFUSED(&f, "process.documents[0].sha256", NULL);
    f.doc[0].sha256 = S("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0g");
    DRAFT_REFUSED(&f, "process.documents[0].sha256", NULL);
    /* bad url */
    s_fx_init(&f);
    f.doc[0].url = S("ftp://hub.example.org/notice.pdf");
    DRAFT_REFUSED(&f, "process.documents[0].url", NULL);
    f.p.n_documents = 2;
    f.doc[0].url = S("https://hub.example.org/a.pdf");
    f.doc[1].url = S("javascript:alert(1)");
    DRAFT_REFUSED(&f, "process.documents[1].url", NULL);
    /* too many documents */
    s_fx_init(&f);
    f.p.n_documents = TENDER_MAX_DOCUMENTS + 1; /* refused before any is read */
    DRAFT_REFUSED(&f, "process.documents", NULL);
    /* venture shares not summing to the budget */
    s_fx_init(&f);
    f.p.kind = TENDERING__KIND__VENTURE;
    f.fund[0].id = S("fund-a");
    f.fund[0].share_fen = 20000000;
    f.fund[1].id = S("fund-b");
    f.fund[1].share_fen = 9999999;
    f.p.n_funders = 2;
    DRAFT_REFUSED(&f, "process.funders", "299999.99");
    /* duplicate funder ids */
    f.fund[1].id = S("fund-a");
    f.fund[1].share_fen = 10000000;
    DRAFT_REFUSED(&f, "process.funders[1].id", "fund-a");
    /* a venture with no funder; a funder with share 0; an id unfit for an account */
    f.p.n_funders = 0;
    DRAFT_REFUSED(&f, "process.funders", NULL);
    f.p.n_funders = 2;
    f.fund[1].id = S("fund-b");
    f.fund[0].share_fen = 30000000;
    f.fund[1].share_fen = 0;
    DRAFT_REFUSED(&f, "process.funders[1].share_fen", NULL);
    f.fund[0].share_fen = 20000000;
    f.fund[1].share_fen = 10000000;
    s_draft_ok(&f);
    f.fund[1].id = S("fund b");
    DRAFT_REFUSED(&f, "process.funders[1].id", NULL);
    f.fund[1].id = S("");
    DRAFT_REFUSED(&f, "process.funders[1].id", NULL);
    /* purchase with a funder whose share differs from the budget */
    s_fx_init(&f);
    f.fund[0].id = S("haishu-civil-affairs");
    f.fund[0].share_fen = f.p.budget_fen - 1;
    f.p.n_funders = 1;
    DRAFT_REFUSED(&f, "process.funders", NULL);
    /* purchase with two funders */
    f.fund[0].share_fen = 10000000;
    f.fund[1].id = S("other");
    f.fund[1].share_fen = 20000000;
    f.p.n_funders = 2;
    DRAFT_REFUSED(&f, "process.funders", NULL);
    /* budget 0, negative, over the maximum */
    s_fx_init(&f);
    f.p.budget_fen = 0;
    DRAFT_REFUSED(&f, "process.budget_fen", NULL);
    f.p.budget_fen = -100;
    DRAFT_REFUSED(&f, "process.budget_fen", NULL);
    f.p.budget_fen = TENDER_MAX_FEN + 1;
    DRAFT_REFUSED(&f, "process.budget_fen", NULL);
    /* legal form 5 (and 0) */
    s_fx_init(&f);
    f.elig.legal_forms[0] = LF_FOUNDATION;
    f.elig.legal_forms[1] = 5;
    f.elig.n_legal_forms = 2;
    DRAFT_REFUSED(&f, "process.eligibility.legal_forms[1]", NULL);
    f.elig.legal_forms[1] = 0;
    DRAFT_REFUSED(&f, "process.eligibility.legal_forms[1]", NULL);
    /* title empty, too long; buyer; kind; end time */
    s_fx_init(&f);
    f.p.title = S("");
    DRAFT_REFUSED(&f, "process.title", NULL);
    char title[TENDER_MAX_NAME + 2];
    memset(title, 'a', TENDER_MAX_NAME + 1);
    title[TENDER_MAX_NAME + 1] = 0;
    f.p.title = title;
    DRAFT_REFUSED(&f, "process.title", NULL);
    s_fx_init(&f);
    f.p.buyer_id = S("");
    DRAFT_REFUSED(&f, "process.buyer_id", NULL);
    s_fx_init(&f);
    f.p.buyer_name = NULL;
    DRAFT_REFUSED(&f, "process.buyer_name", NULL);
    s_fx_init(&f);
    f.p.kind = TENDERING__KIND__KIND_UNSPECIFIED;
    DRAFT_REFUSED(&f, "process.kind", NULL);
    s_fx_init(&f);
    f.p.tender_end_ms = -1;
    DRAFT_REFUSED(&f, "process.tender_end_ms", NULL);
    /* a document without a title; a document type that is not a code */
    s_fx_init(&f);
    f.doc[0].title = S("");
    DRAFT_REFUSED(&f, "process.documents[0].title", NULL);
    s_fx_init(&f);
    f.doc[0].document_type = S("tender-notice");
    DRAFT_REFUSED(&f, "process.documents[0].document_type", NULL);
}

static void test_document(void **state)
{
    (void)state;
    Tendering__Document d = TENDERING__DOCUMENT__INIT;
    hub_error_t err = {0};
    d.title = S("投标文件");
    d.url = S("http://x.example/a");
    assert_int_equal(tender_validate_document(&d, "bid.documents[3]", &err), 0);
    d.sha256 = S("9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08");
    d.document_type = S("technicalSpecifications");
    assert_int_equal(tender_validate_document(&d, "bid.documents[3]", &err), 0);
    d.url = S("https://");
    s_refused(tender_validate_document(&d, "bid.documents[3]", &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT,
              "bid.documents[3].url", NULL);
    d.url = S("https://a.example/with space");
    s_refused(tender_validate_document(&d, "d", &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "d.url", NULL);
    d.url = S("");
    s_refused(tender_validate_document(&d, "d", &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "d.url", NULL);
    d.url = S("https://a.example/x");
    d.document_type = S("type2");
    s_refused(tender_validate_document(&d, "d", &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT,
              "d.document_type", NULL);
    d.document_type = S("");
    d.title = NULL;
    s_refused(tender_validate_document(&d, "d", &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "d.title", NULL);
    s_refused(tender_validate_document(NULL, "d", &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "d", NULL);
}

/* ------------------------------------------------------------ eligibility */

static void test_eligible(void **state)
{
    (void)state;
    Tendering__Eligibility e = TENDERING__ELIGIBILITY__INIT;
    Tendering__Org org = TENDERING__ORG__INIT;
    uint32_t forms[] = {LF_SOCIAL_GROUP, LF_PRIVATE_NON_ENTERPRISE};
    hub_error_t err = {0};
    org.id = S("org-gulou-elderly");
    org.legal_form = LF_FOUNDATION;
    org.membership = MS_APPLIED;
    /* no rule: anyone */
    assert_int_equal(tender_check_eligible(&e, &org, 2026, &err), 0);
    assert_int_equal(tender_check_eligible(NULL, &org, 2026, &err), 0);
    /* members only: APPLIED refused, APPROVED accepted */
    e.members_only = true;
    s_refused(tender_check_eligible(&e, &org, 2026, &err), &err, HUB__ERROR_CODE__FAILED_PRECONDITION, "org_id",
              "approved");
    assert_non_null(strstr(err.message, "applied"));
    org.membership = MS_APPROVED;
    assert_int_equal(tender_check_eligible(&e, &org, 2026, &err), 0);
    /* legal form not listed */
    e.legal_forms = forms;
    e.n_legal_forms = 2;
    s_refused(tender_check_eligible(&e, &org, 2026, &err), &err, HUB__ERROR_CODE__FAILED_PRECONDITION, "org_id",
              "legal form");
    org.legal_form = LF_PRIVATE_NON_ENTERPRISE;
    assert_int_equal(tender_check_eligible(&e, &org, 2026, &err), 0);
    /* minimum years: unknown year, too recent, in the future, just enough */
    e.min_years_active = 3;
    org.year_incorporated = 0;
    s_refused(tender_check_eligible(&e, &org, 2026, &err), &err, HUB__ERROR_CODE__FAILED_PRECONDITION, "org_id",
              "not known");
    org.year_incorporated = 2024;
    s_refused(tender_check_eligible(&e, &org, 2026, &err), &err, HUB__ERROR_CODE__FAILED_PRECONDITION, "org_id",
              "2024");
    org.year_incorporated = 2030;
    s_refused(tender_check_eligible(&e, &org, 2026, &err), &err, HUB__ERROR_CODE__FAILED_PRECONDITION, "org_id",
              NULL);
    org.year_incorporated = 2023;
    /* all rules met */
    memset(&err, 0, sizeof err);
    assert_int_equal(tender_check_eligible(&e, &org, 2026, &err), 0);
    assert_int_equal(err.code, 0);
    /* an unknown organization */
    s_refused(tender_check_eligible(&e, NULL, 2026, &err), &err, HUB__ERROR_CODE__FAILED_PRECONDITION, "org_id",
              NULL);
}

/* ------------------------------------------------------------ conflict */

static void test_conflict(void **state)
{
    (void)state;
    fx_t f;
    hub_error_t err = {0};
    s_fx_init(&f);
    f.p.state = TENDERING__STATE__EVALUATION;
    s_bid(&f, "BID-0001", "org-a", TENDERING__BID_STATE__BID_VALID, 100, 1);
    s_bid(&f, "BID-0002", "org-b", TENDERING__BID_STATE__BID_WITHDRAWN, 100, 2);
    s_bid(&f, "BID-0003", "org-c", TENDERING__BID_STATE__BID_DISQUALIFIED, 100, 3);
    /* an affiliation is a bidder's org */
    Tendering__Evaluator *e1 = s_ev(&f, "ev-1", false, "org-x", "org-a", NULL);
    s_refused(tender_check_conflict(&f.p, e1, &err), &err, HUB__ERROR_CODE__PERMISSION_DENIED, "evaluator_id",
              "org-a");
    /* a withdrawn bidder's org is no conflict */
    Tendering__Evaluator *e2 = s_ev(&f, "ev-2", false, "org-b", NULL);
    memset(&err, 0, sizeof err);
    assert_int_equal(tender_check_conflict(&f.p, e2, &err), 0);
    assert_int_equal(err.code, 0);
    /* a disqualified bid is still a bid of that org */
    Tendering__Evaluator *e3 = s_ev(&f, "ev-3", false, "org-c", NULL);
    s_refused(tender_check_conflict(&f.p, e3, &err), &err, HUB__ERROR_CODE__PERMISSION_DENIED, "evaluator_id",
              "org-c");
    /* the evaluator's own id is a bidder org */
    Tendering__Evaluator *e4 = s_ev(&f, "org-a", false, NULL);
    s_refused(tender_check_conflict(&f.p, e4, &err), &err, HUB__ERROR_CODE__PERMISSION_DENIED, "evaluator_id",
              NULL);
    /* no affiliations, unrelated id */
    Tendering__Evaluator *e5 = s_ev(&f, "ev-5", false, "", NULL);
    assert_int_equal(tender_check_conflict(&f.p, e5, &err), 0);
    /* no bids at all */
    f.p.n_bids = 0;
    assert_int_equal(tender_check_conflict(&f.p, e1, &err), 0);
}

/* ------------------------------------------------------------ scores */

static void test_score_validation(void **state)
{
    (void)state;
    fx_t f;
    hub_error_t err = {0};
    s_fx_init(&f);
    f.p.state = TENDERING__STATE__EVALUATION;
    s_bid(&f, "BID-0001", "org-a", TENDERING__BID_STATE__BID_VALID, 100, 1);
    s_bid(&f, "BID-0002", "org-b", TENDERING__BID_STATE__BID_WITHDRAWN, 100, 2);
    s_bid(&f, "BID-0003", "org-c", TENDERING__BID_STATE__BID_DISQUALIFIED, 100, 3);
    s_ev(&f, "ev-1", true, NULL);
    s_ev(&f, "ev-2", false, NULL);
    Tendering__Score *s = s_score(&f, "ev-1", "BID-0001", 3, 100, 0, 55);
    assert_int_equal(tender_validate_score(&f.p, s, &err), 0);
    /* wrong number of points */
    s->n_points = 2;
    s_refused(tender_validate_score(&f.p, s, &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "score.points", NULL);
    s->n_points = 4;
    s_refused(tender_validate_score(&f.p, s, &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "score.points", NULL);
    s->n_points = 3;
    /* a point of 101 */
    s->points[1] = 101;
    s_refused(tender_validate_score(&f.p, s, &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "score.points[1]",
              "101");
    s->points[1] = 100;
    /* undeclared evaluator, unknown evaluator */
    s->evaluator_id = S("ev-2");
    s_refused(tender_validate_score(&f.p, s, &err), &err, HUB__ERROR_CODE__FAILED_PRECONDITION,
              "score.evaluator_id", "declared");
    s->evaluator_id = S("ev-9");
    s_refused(tender_validate_score(&f.p, s, &err), &err, HUB__ERROR_CODE__NOT_FOUND, "score.evaluator_id", NULL);
    s->evaluator_id = S("ev-1");
    /* unknown bid, withdrawn bid, disqualified bid */
    s->bid_id = S("BID-0009");
    s_refused(tender_validate_score(&f.p, s, &err), &err, HUB__ERROR_CODE__NOT_FOUND, "score.bid_id", NULL);
    s->bid_id = S("BID-0002");
    s_refused(tender_validate_score(&f.p, s, &err), &err, HUB__ERROR_CODE__FAILED_PRECONDITION, "score.bid_id",
              "withdrawn");
    s->bid_id = S("BID-0003");
    s_refused(tender_validate_score(&f.p, s, &err), &err, HUB__ERROR_CODE__FAILED_PRECONDITION, "score.bid_id",
              "disqualified");
    s->bid_id = S("BID-0001");
    assert_int_equal(tender_validate_score(&f.p, s, &err), 0);
    s_refused(tender_validate_score(&f.p, NULL, &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "score", NULL);
}

/* ------------------------------------------------------------ lookups */

static void test_lookups(void **state)
{
    (void)state;
    fx_t f;
    s_fx_init(&f);
    Tendering__Bid *b1 = s_bid(&f, "BID-0001", "org-a", TENDERING__BID_STATE__BID_WITHDRAWN, 100, 1);
    Tendering__Bid *b2 = s_bid(&f, "BID-0002", "org-a", TENDERING__BID_STATE__BID_VALID, 100, 2);
    Tendering__Bid *b3 = s_bid(&f, "BID-0003", "org-b", TENDERING__BID_STATE__BID_DISQUALIFIED, 100, 3);
    Tendering__Bid *b4 = s_bid(&f, "BID-0004", "org-c", TENDERING__BID_STATE__BID_VALID, 100, 4);
    assert_ptr_equal(tender_find_bid(&f.p, "BID-0001"), b1);
    assert_ptr_equal(tender_find_bid(&f.p, "BID-0003"), b3);
    assert_null(tender_find_bid(&f.p, "BID-0005"));
    assert_null(tender_find_bid(&f.p, ""));
    assert_null(tender_find_bid(&f.p, NULL));
    assert_ptr_equal(tender_valid_bid_of(&f.p, "org-a"), b2);
    assert_ptr_equal(tender_valid_bid_of(&f.p, "org-c"), b4);
    assert_null(tender_valid_bid_of(&f.p, "org-b"));
    assert_null(tender_valid_bid_of(&f.p, "org-z"));
    assert_int_equal(tender_valid_bids(&f.p), 2);
    Tendering__Evaluator *e = s_ev(&f, "ev-1", true, NULL);
    assert_ptr_equal(tender_find_evaluator(&f.p, "ev-1"), e);
    assert_null(tender_find_evaluator(&f.p, "ev-2"));

    Tendering__Enquiry q[2] = {TENDERING__ENQUIRY__INIT, TENDERING__ENQUIRY__INIT};
    Tendering__Enquiry *qp[2] = {&q[0], &q[1]};
    q[0].id = S("ENQ-0001");
    q[1].id = S("ENQ-0002");
    f.p.enquiries = qp;
    f.p.n_enquiries = 2;
    assert_ptr_equal(tender_find_enquiry(&f.p, "ENQ-0002"), &q[1]);
    assert_null(tender_find_enquiry(&f.p, "ENQ-0003"));

    assert_null(tender_find_milestone(&f.p, "M1")); /* no contract yet */
    Tendering__Contract c = TENDERING__CONTRACT__INIT;
    Tendering__Milestone m[2] = {TENDERING__MILESTONE__INIT, TENDERING__MILESTONE__INIT};
    Tendering__Milestone *mp[2] = {&m[0], &m[1]};
    m[0].id = S("M1");
    m[1].id = S("M2");
    c.milestones = mp;
    c.n_milestones = 2;
    f.p.contract = &c;
    assert_ptr_equal(tender_find_milestone(&f.p, "M2"), &m[1]);
    assert_null(tender_find_milestone(&f.p, "M3"));
}

/* ------------------------------------------------------------ scoring */

static void test_weighted_and_rank(void **state)
{
    (void)state;
    fx_t f;
    bool complete = true;
    s_fx_init(&f);
    f.p.state = TENDERING__STATE__EVALUATION;
    /* weights 50, 30, 20: (80, 90, 70) = 4000 + 2700 + 1400 */
    Tendering__Score *s = s_score(&f, "ev-1", "BID-0001", 3, 80, 90, 70);
    assert_int_equal(tender_weighted_centi(&f.p, s), 8100);
    s->points[0] = 100, s->points[1] = 100, s->points[2] = 100;
    assert_int_equal(tender_weighted_centi(&f.p, s), 10000);
    s->points[0] = 0, s->points[1] = 0, s->points[2] = 1;
    assert_int_equal(tender_weighted_centi(&f.p, s), 20);

    /* weights 51, 29, 20 make odd totals, for the rounding */
    s_fx_init(&f);
    f.p.state = TENDERING__STATE__EVALUATION;
    f.crit[0].weight = 51;
    f.crit[1].weight = 29;
    f.crit[2].weight = 20;
    s_ev(&f, "ev-1", true, NULL);
    s_ev(&f, "ev-2", true, NULL);
    s_ev(&f, "ev-3", true, NULL);
    s_ev(&f, "ev-4", false, NULL); /* never declared: does not count for completeness */
    Tendering__Bid *a = s_bid(&f, "BID-0001", "org-a", TENDERING__BID_STATE__BID_VALID, 100000, 10);
    Tendering__Bid *b = s_bid(&f, "BID-0002", "org-b", TENDERING__BID_STATE__BID_VALID, 100000, 20);
    Tendering__Bid *c = s_bid(&f, "BID-0003", "org-c", TENDERING__BID_STATE__BID_VALID, 100000, 30);
    Tendering__Bid *w = s_bid(&f, "BID-0004", "org-d", TENDERING__BID_STATE__BID_WITHDRAWN, 1, 1);
    Tendering__Bid *d = s_bid(&f, "BID-0005", "org-e", TENDERING__BID_STATE__BID_DISQUALIFIED, 1, 1);
    /* a: 51 and 0 -> 25.5 -> 26 (half up) */
    s_score(&f, "ev-1", "BID-0001", 3, 1, 0, 0);
    s_score(&f, "ev-2", "BID-0001", 3, 0, 0, 0);
    /* b: 51, 29, 20 -> 33.33 -> 33 */
    s_score(&f, "ev-1", "BID-0002", 3, 1, 0, 0);
    s_score(&f, "ev-2", "BID-0002", 3, 0, 1, 0);
    s_score(&f, "ev-3", "BID-0002", 3, 0, 0, 1);
    /* c: ev-1 scores twice, the last counts: 51 then 29 + 51 + 20 = 100; with
     * ev-3's 0 -> 50.0 -> 50; the first (4900) is replaced */
    s_score(&f, "ev-1", "BID-0003", 3, 0, 100, 100);
    s_score(&f, "ev-3", "BID-0003", 3, 0, 0, 0);
    s_score(&f, "ev-1", "BID-0003", 3, 1, 1, 1);
    /* d was scored before it was disqualified: total kept, never ranked */
    s_score(&f, "ev-1", "BID-0005", 3, 100, 100, 100);
    assert_int_equal(tender_rank(&f.p, &complete), 3);
    assert_int_equal(a->total_centi, 26);
    assert_int_equal(b->total_centi, 33);
    assert_int_equal(c->total_centi, 50);
    assert_int_equal(d->total_centi, 10000);
    assert_int_equal(w->total_centi, 0);
    assert_int_equal(c->rank, 1);
    assert_int_equal(b->rank, 2);
    assert_int_equal(a->rank, 3);
    assert_int_equal(w->rank, 0);
    assert_int_equal(d->rank, 0);
    assert_false(complete); /* ev-2 did not score c, ev-3 did not score a */
    s_score(&f, "ev-2", "BID-0003", 3, 0, 0, 0);  /* c: 100 + 0 + 0 -> 33.33 -> 33 */
    assert_int_equal(tender_rank(&f.p, &complete), 3);
    assert_false(complete);
    s_score(&f, "ev-3", "BID-0001", 3, 0, 0, 1); /* a: 51 + 0 + 20 -> 23.67 -> 24 */
    assert_int_equal(tender_rank(&f.p, &complete), 3);
    assert_true(complete);
    assert_int_equal(a->total_centi, 24);
    assert_int_equal(c->total_centi, 33);
    /* b and c tie at 33 with the same price: b was submitted earlier */
    assert_int_equal(b->rank, 1);
    assert_int_equal(c->rank, 2);
    assert_int_equal(a->rank, 3);
    /* the same tie, c cheaper: price first */
    c->price_fen = 99999;
    tender_rank(&f.p, NULL);
    assert_int_equal(c->rank, 1);
    assert_int_equal(b->rank, 2);
    /* same price and time: the bid id decides */
    c->price_fen = b->price_fen;
    c->submitted_ms = b->submitted_ms;
    tender_rank(&f.p, NULL);
    assert_int_equal(b->rank, 1);
    assert_int_equal(c->rank, 2);
    /* no evaluator declared: never complete; scores still give totals */
    for (size_t i = 0; i < f.p.n_evaluators; i++) f.ev[i].declared = false;
    assert_int_equal(tender_rank(&f.p, &complete), 3);
    assert_false(complete);
    assert_int_equal(b->total_centi, 33);
}

static void test_rank_unscored(void **state)
{
    (void)state;
    fx_t f;
    bool complete = true;
    s_fx_init(&f);
    f.p.state = TENDERING__STATE__EVALUATION;
    /* nobody scored yet: totals 0, ranked by price, then time, then id */
    Tendering__Bid *a = s_bid(&f, "BID-0001", "org-a", TENDERING__BID_STATE__BID_VALID, 300, 5);
    Tendering__Bid *b = s_bid(&f, "BID-0002", "org-b", TENDERING__BID_STATE__BID_VALID, 200, 9);
    Tendering__Bid *c = s_bid(&f, "BID-0003", "org-c", TENDERING__BID_STATE__BID_VALID, 200, 7);
    Tendering__Bid *d = s_bid(&f, "BID-0000", "org-d", TENDERING__BID_STATE__BID_VALID, 200, 7);
    a->total_centi = 77; /* stale values are recomputed */
    a->rank = 9;
    assert_int_equal(tender_rank(&f.p, &complete), 4);
    assert_false(complete);
    assert_int_equal(a->total_centi, 0);
    assert_int_equal(d->rank, 1);
    assert_int_equal(c->rank, 2);
    assert_int_equal(b->rank, 3);
    assert_int_equal(a->rank, 4);
    /* one score lifts a bid above the unscored ones */
    s_ev(&f, "ev-1", true, NULL);
    s_score(&f, "ev-1", "BID-0001", 3, 0, 0, 1);
    tender_rank(&f.p, &complete);
    assert_false(complete);
    assert_int_equal(a->total_centi, 20);
    assert_int_equal(a->rank, 1);
    assert_int_equal(d->rank, 2);
    /* no valid bid, one declared evaluator: vacuously complete */
    for (size_t i = 0; i < f.p.n_bids; i++) f.bid[i].state = TENDERING__BID_STATE__BID_WITHDRAWN;
    assert_int_equal(tender_rank(&f.p, &complete), 0);
    assert_true(complete);
    assert_int_equal(a->rank, 0);
}

/* ------------------------------------------------------------ money */

/* A fixed-seed 64-bit LCG (Knuth MMIX): reproducible pseudo-random cases. */
static uint64_t s_rng = 0x5eed2026u;
static uint64_t s_rand(void)
{
    s_rng = s_rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return s_rng >> 11;
}

/* Checks parts against the contract: they sum to amount; each is the floor
 * share or one more; one more only for the largest remainders (ties to the
 * lower index). */
static void s_check_split(int64_t amount, const int64_t *w, size_t n, const int64_t *parts)
{
    __int128 total = 0, sum = 0;
    for (size_t i = 0; i < n; i++) total += w[i];
    for (size_t i = 0; i < n; i++) {
        sum += parts[i];
        __int128 exact = (__int128)amount * w[i];
        __int128 floor_ = exact / total;
        assert_true(parts[i] == floor_ || parts[i] == floor_ + 1);
        if (!w[i]) assert_int_equal(parts[i], 0);
    }
    assert_true(sum == amount);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            __int128 ri = (__int128)amount * w[i] % total, rj = (__int128)amount * w[j] % total;
            bool up_i = parts[i] != (__int128)amount * w[i] / total;
            bool up_j = parts[j] != (__int128)amount * w[j] / total;
            if (up_i && !up_j) assert_true(ri > rj || (ri == rj && i < j));
        }
}

static void test_split(void **state)
{
    (void)state;
    int64_t parts[20];
    /* 100 split 1:1:1 -> 34, 33, 33 (the tie goes to the lower index) */
    const int64_t w111[] = {1, 1, 1};
    assert_int_equal(tender_split(100, w111, 3, parts), 0);
    assert_int_equal(parts[0], 34);
    assert_int_equal(parts[1], 33);
    assert_int_equal(parts[2], 33);
    /* 5 split 3:3:1: floors 2, 2, 0; the left-over fen goes to the largest remainder (5/7) */
    const int64_t w331[] = {3, 3, 1};
    assert_int_equal(tender_split(5, w331, 3, parts), 0);
    assert_int_equal(parts[0], 2);
    assert_int_equal(parts[1], 2);
    assert_int_equal(parts[2], 1);
    /* exact proportions stay exact; 0 splits to zeros; a zero weight gets nothing */
    const int64_t w1234[] = {1, 2, 3, 4};
    assert_int_equal(tender_split(1000, w1234, 4, parts), 0);
    assert_int_equal(parts[0], 100);
    assert_int_equal(parts[3], 400);
    assert_int_equal(tender_split(0, w1234, 4, parts), 0);
    for (size_t i = 0; i < 4; i++) assert_int_equal(parts[i], 0);
    const int64_t w0[] = {0, 5, 0};
    assert_int_equal(tender_split(7, w0, 3, parts), 0);
    assert_int_equal(parts[0], 0);
    assert_int_equal(parts[1], 7);
    assert_int_equal(parts[2], 0);
    /* refusals: zero-sum weights, a negative weight, n == 0, a negative amount */
    const int64_t wz[] = {0, 0};
    assert_int_equal(tender_split(100, wz, 2, parts), -1);
    const int64_t wn[] = {5, -1, 3};
    assert_int_equal(tender_split(100, wn, 3, parts), -1);
    assert_int_equal(tender_split(100, w111, 0, parts), -1);
    assert_int_equal(tender_split(-1, w111, 3, parts), -1);
    /* big amounts and weights near TENDER_MAX_FEN, and beyond (INT64_MAX) */
    const int64_t wbig[] = {TENDER_MAX_FEN, TENDER_MAX_FEN - 1, 1, TENDER_MAX_FEN / 3};
    assert_int_equal(tender_split(TENDER_MAX_FEN, wbig, 4, parts), 0);
    s_check_split(TENDER_MAX_FEN, wbig, 4, parts);
    assert_int_equal(tender_split(TENDER_MAX_FEN - 1, wbig, 4, parts), 0);
    s_check_split(TENDER_MAX_FEN - 1, wbig, 4, parts);
    const int64_t wmax[] = {INT64_MAX, INT64_MAX, INT64_MAX};
    assert_int_equal(tender_split(TENDER_MAX_FEN + 1, wmax, 3, parts), 0);
    assert_int_equal(parts[0], 33333333333334LL);
    assert_int_equal(parts[1], 33333333333334LL);
    assert_int_equal(parts[2], 33333333333333LL);
    const int64_t whalf[] = {TENDER_MAX_FEN, TENDER_MAX_FEN};
    assert_int_equal(tender_split(TENDER_MAX_FEN, whalf, 2, parts), 0);
    assert_int_equal(parts[0], TENDER_MAX_FEN / 2);
    assert_int_equal(parts[1], TENDER_MAX_FEN / 2);
    /* many pseudo-random cases: the invariants hold every time */
    int64_t w[20];
    for (int round = 0; round < 3000; round++) {
        size_t n = 1 + s_rand() % 20;
        int64_t wsum = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t r = s_rand();
            w[i] = r % 5 == 0 ? 0 : r % 3 == 0 ? (int64_t)(s_rand() % 10) : (int64_t)(s_rand() % (TENDER_MAX_FEN + 1));
            wsum += w[i];
        }
        if (!wsum) w[0] = 1;
        int64_t amount = round % 2 ? (int64_t)(s_rand() % (TENDER_MAX_FEN + 1)) : (int64_t)(s_rand() % 1000);
        assert_int_equal(tender_split(amount, w, n, parts), 0);
        s_check_split(amount, w, n, parts);
    }
}

static void test_yuan(void **state)
{
    (void)state;
    char buf[32];
    int64_t fen = 0;
    struct {
        const char *text;
        int64_t fen;
    } ok[] = {
        {"0", 0},           {"0.0", 0},      {"0.00", 0},         {"1", 100},
        {"1.5", 150},       {"1.05", 105},   {"12345.67", 1234567}, {"007", 700},
        {"1000000000000", TENDER_MAX_FEN},   {"1000000000000.00", TENDER_MAX_FEN},
        {"999999999999.99", TENDER_MAX_FEN - 1},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        fen = -42;
        if (tender_parse_yuan(ok[i].text, &fen)) fail_msg("\"%s\" refused", ok[i].text);
        assert_int_equal(fen, ok[i].fen);
    }
    const char *bad[] = {"",      ".5",   "1.",      "1.234",  "-1",   "1e3",  " 1",  "1 ",
                         "+1",    "1,000", "1.2a",   "1..2",   "0x10", "１",   "1.-5", "1000000000000.01",
                         "1000000000001", "99999999999999999999999999999999", "abc", "."};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fen = -42;
        if (!tender_parse_yuan(bad[i], &fen)) fail_msg("\"%s\" accepted as %lld", bad[i], (long long)fen);
        assert_int_equal(fen, -42); /* untouched on refusal */
    }
    assert_int_equal(tender_parse_yuan(NULL, &fen), -1);

    struct {
        int64_t fen;
        const char *text;
    } fmt[] = {
        {0, "0.00"},          {5, "0.05"},   {-5, "-0.05"}, {100, "1.00"}, {1234567, "12345.67"},
        {-1234567, "-12345.67"}, {TENDER_MAX_FEN, "1000000000000.00"},
        {INT64_MAX, "92233720368547758.07"}, {INT64_MIN, "-92233720368547758.08"},
    };
    for (size_t i = 0; i < sizeof fmt / sizeof fmt[0]; i++) {
        tender_format_fen(fmt[i].fen, buf, sizeof buf);
        assert_string_equal(buf, fmt[i].text);
    }
    /* at most len bytes, NUL included; len 0 writes nothing */
    memset(buf, 'z', sizeof buf);
    tender_format_fen(1234567, buf, 4);
    assert_string_equal(buf, "123");
    assert_int_equal(buf[4], 'z');
    tender_format_fen(1234567, buf, 1);
    assert_string_equal(buf, "");
    buf[0] = 'q';
    tender_format_fen(1234567, buf, 0);
    assert_int_equal(buf[0], 'q');
    /* round trips over the whole range */
    for (int i = 0; i < 2000; i++) {
        int64_t v = i < 1000 ? i : (int64_t)(s_rand() % (TENDER_MAX_FEN + 1));
        tender_format_fen(v, buf, sizeof buf);
        assert_int_equal(tender_parse_yuan(buf, &fen), 0);
        assert_int_equal(fen, v);
    }
}

/* ------------------------------------------------------------ ledger */

static void test_ledger_accounts(void **state)
{
    (void)state;
    const char *good[] = {"fund:donations", "contrib:donors", "paid:ocds-hub-000001", "disbursed:donations",
                          "fund:haishu-civil-affairs", "contrib:a.b_c-D9", "fund:x"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!ledger_account_valid(good[i])) fail_msg("%s refused", good[i]);
    char id100[128], id101[128];
    snprintf(id100, sizeof id100, "fund:%0100d", 7);
    snprintf(id101, sizeof id101, "fund:%0101d", 7);
    assert_true(ledger_account_valid(id100));
    assert_false(ledger_account_valid(id101));
    const char *bad[] = {"", "fund:", "fund", "asset:x", "Fund:x", "fund:a b", "fund:王", "fund:a/b",
                         "fund::x", "paid:", "contrib:x\n", " fund:x", "disbursed"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ledger_account_valid(bad[i])) fail_msg("\"%s\" accepted", bad[i]);
    assert_false(ledger_account_valid(NULL));

    assert_true(ledger_debit_normal("fund:donations"));
    assert_true(ledger_debit_normal("paid:ocds-hub-000001"));
    assert_true(ledger_debit_normal("disbursed:donations"));
    assert_false(ledger_debit_normal("contrib:donors"));
    assert_int_equal(ledger_balance("fund:a", 500, 200), 300);
    assert_int_equal(ledger_balance("paid:o", 500, 0), 500);
    assert_int_equal(ledger_balance("disbursed:donations", 0, 30), -30);
    assert_int_equal(ledger_balance("contrib:a", 200, 500), 300);
    assert_int_equal(ledger_balance("contrib:a", 0, TENDER_MAX_FEN), TENDER_MAX_FEN);
}

static void test_ledger_entry(void **state)
{
    (void)state;
    Tendering__Line l[3] = {TENDERING__LINE__INIT, TENDERING__LINE__INIT, TENDERING__LINE__INIT};
    Tendering__Line *lp[3] = {&l[0], &l[1], &l[2]};
    Tendering__Entry e = TENDERING__ENTRY__INIT;
    hub_error_t err = {0};
    e.kind = TENDERING__ENTRY_KIND__CONTRIBUTION;
    e.source_id = S("CON-000001");
    e.lines = lp;
    e.n_lines = 2;
    l[0].account = S("fund:ningbo-charity-fed");
    l[0].debit_fen = 500000;
    l[1].account = S("contrib:ningbo-charity-fed");
    l[1].credit_fen = 500000;
    /* a good entry */
    assert_int_equal(ledger_check_entry(&e, &err), 0);
    /* unbalanced */
    l[1].credit_fen = 499999;
    s_refused(ledger_check_entry(&e, &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "entry.lines", "4999.99");
    l[1].credit_fen = 500000;
    /* a line with both debit and credit */
    l[0].credit_fen = 1;
    s_refused(ledger_check_entry(&e, &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "entry.lines[0]", NULL);
    l[0].credit_fen = 0;
    /* a zero line */
    l[1].credit_fen = 0;
    s_refused(ledger_check_entry(&e, &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "entry.lines[1]", NULL);
    /* a negative amount balanced by its twin */
    l[0].debit_fen = -5;
    l[1].credit_fen = -5;
    s_refused(ledger_check_entry(&e, &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "entry.lines[0]", NULL);
    /* above the maximum */
    l[0].debit_fen = TENDER_MAX_FEN + 1;
    l[1].credit_fen = TENDER_MAX_FEN + 1;
    s_refused(ledger_check_entry(&e, &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "entry.lines[0]", NULL);
    l[0].debit_fen = TENDER_MAX_FEN;
    l[1].credit_fen = TENDER_MAX_FEN;
    assert_int_equal(ledger_check_entry(&e, &err), 0);
    l[0].debit_fen = 500000;
    l[1].credit_fen = 500000;
    /* one line */
    e.n_lines = 1;
    s_refused(ledger_check_entry(&e, &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "entry.lines", NULL);
    e.n_lines = 2;
    /* a bad account */
    l[1].account = S("equity:x");
    s_refused(ledger_check_entry(&e, &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "entry.lines[1].account",
              NULL);
    l[1].account = S("contrib:ningbo-charity-fed");
    /* kind unset, source empty */
    e.kind = TENDERING__ENTRY_KIND__ENTRY_KIND_UNSPECIFIED;
    s_refused(ledger_check_entry(&e, &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "entry.kind", NULL);
    e.kind = TENDERING__ENTRY_KIND__PAYMENT;
    e.source_id = S("");
    s_refused(ledger_check_entry(&e, &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "entry.source_id", NULL);
    /* a payment split over two funders: three lines, balanced */
    e.source_id = S("ocds-hub-000001/PAY-0001");
    e.n_lines = 3;
    l[0].account = S("paid:ocds-hub-000001");
    l[0].debit_fen = 100;
    l[1].account = S("fund:fund-a");
    l[1].credit_fen = 67;
    l[2].account = S("fund:fund-b");
    l[2].credit_fen = 33;
    assert_int_equal(ledger_check_entry(&e, &err), 0);
    l[2].credit_fen = 34;
    s_refused(ledger_check_entry(&e, &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "entry.lines", NULL);
    s_refused(ledger_check_entry(NULL, &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "entry", NULL);
}

/* ------------------------------------------------------------ public outputs */

static void test_mask_name(void **state)
{
    (void)state;
    char out[32];
    struct {
        const char *name;
        const char *masked;
    } cases[] = {
        {"王小明", "王**"}, {"欧阳娜娜", "欧**"}, {"Li", "L**"},      {"Li Lei", "L**"},
        {"", "*"},          {"王", "王**"},       {"  王阿姨", "王**"}, {"\xf0\xa0\x80\x80" "x", "\xf0\xa0\x80\x80**"},
        {"é", "é**"},       {"\xff\xfe" "ab", "***"}, /* not UTF-8 */
        {"\xe7\x8e", "***"},                        /* a character cut short */
        {"\xc0\xaf" "x", "***"},                       /* overlong */
        {"\x01x", "***"},                           /* a control byte */
        {"   ", "*"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(out, 'z', sizeof out);
        tender_mask_name(cases[i].name, out, sizeof out);
        assert_string_equal(out, cases[i].masked);
    }
    tender_mask_name(NULL, out, sizeof out);
    assert_string_equal(out, "*");
    /* tiny buffers: always NUL-terminated within len, never half a character */
    struct {
        const char *name;
        size_t len;
        const char *masked;
    } tiny[] = {
        {"王小明", 1, ""}, {"王小明", 2, ""}, {"王小明", 3, ""}, {"王小明", 4, "王"}, {"王小明", 5, "王*"},
        {"王小明", 6, "王**"}, {"Li", 1, ""}, {"Li", 2, "L"},   {"Li", 3, "L*"},    {"Li", 4, "L**"},
        {"", 1, ""},        {"", 2, "*"},    {"\xff", 3, "**"},
    };
    for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; i++) {
        memset(out, 'z', sizeof out);
        tender_mask_name(tiny[i].name, out, tiny[i].len);
        assert_string_equal(out, tiny[i].masked);
        for (size_t k = tiny[i].len; k < sizeof out; k++) assert_int_equal(out[k], 'z');
    }
    out[0] = 'q';
    tender_mask_name("王小明", out, 0);
    assert_int_equal(out[0], 'q');
}

/* Asserts bid b has nothing of its content left (id, state and times kept). */
static void s_assert_sealed(const Tendering__Bid *b, const char *id, Tendering__BidState st, int64_t submitted)
{
    assert_string_equal(b->id, id);
    assert_int_equal(b->state, st);
    assert_int_equal(b->submitted_ms, submitted);
    assert_string_equal(b->org_id, "");
    assert_string_equal(b->org_name, "");
    assert_string_equal(b->proposal, "");
    assert_string_equal(b->disqualified_reason, "");
    assert_int_equal(b->price_fen, 0);
    assert_int_equal(b->n_documents, 0);
    assert_int_equal(b->total_centi, 0);
    assert_int_equal(b->rank, 0);
}

/* A process with a valid and a withdrawn bid and an affiliated evaluator. */
static void s_redact_fixture(fx_t *f, Tendering__State st)
{
    s_fx_init(f);
    f->p.state = st;
    Tendering__Bid *a = s_bid(f, "BID-0001", "org-a", TENDERING__BID_STATE__BID_VALID, 2900000, 1000);
    a->total_centi = 8100;
    a->rank = 1;
    s_bid(f, "BID-0002", "org-b", TENDERING__BID_STATE__BID_WITHDRAWN, 2800000, 2000);
    s_ev(f, "ev-1", true, "org-x", "org-y", NULL);
}

static void test_redact(void **state)
{
    (void)state;
    fx_t f;
    /* sealed while ACTIVE (and PLANNING), affiliations blanked */
    const Tendering__State sealed[] = {TENDERING__STATE__ACTIVE, TENDERING__STATE__PLANNING,
                                       TENDERING__STATE__CANCELLED};
    for (size_t i = 0; i < 3; i++) {
        s_redact_fixture(&f, sealed[i]);
        tender_redact(&f.p);
        assert_int_equal(f.p.n_bids, 2);
        s_assert_sealed(&f.bid[0], "BID-0001", TENDERING__BID_STATE__BID_VALID, 1000);
        s_assert_sealed(&f.bid[1], "BID-0002", TENDERING__BID_STATE__BID_WITHDRAWN, 2000);
        assert_int_equal(f.bid[1].withdrawn_ms, 3000);
        assert_int_equal(f.p.bid_count, 1);
        assert_int_equal(f.ev[0].n_affiliations, 0);
        assert_string_equal(f.ev[0].id, "ev-1");
        assert_true(f.ev[0].declared);
        assert_string_equal(f.p.title, "鼓楼街道居家养老助餐服务项目"); /* the rest is public */
        assert_int_equal(f.p.budget_fen, 30000000);
    }
    /* opened from EVALUATION on: bids kept, affiliations still blanked */
    const Tendering__State opened[] = {TENDERING__STATE__EVALUATION, TENDERING__STATE__AWARD_PENDING,
                                       TENDERING__STATE__AWARDED, TENDERING__STATE__CONTRACTED,
                                       TENDERING__STATE__UNSUCCESSFUL, TENDERING__STATE__CLOSED};
    for (size_t i = 0; i < 6; i++) {
        s_redact_fixture(&f, opened[i]);
        tender_redact(&f.p);
        assert_string_equal(f.bid[0].org_id, "org-a");
        assert_int_equal(f.bid[0].price_fen, 2900000);
        assert_string_equal(f.bid[0].proposal, "每日上门送餐");
        assert_int_equal(f.bid[0].n_documents, 1);
        assert_int_equal(f.bid[0].total_centi, 8100);
        assert_int_equal(f.bid[0].rank, 1);
        assert_string_equal(f.bid[1].org_id, "org-b");
        assert_int_equal(f.p.bid_count, 1);
        assert_int_equal(f.ev[0].n_affiliations, 0);
    }
    tender_redact(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_allowed_every_pair),
        cmocka_unit_test(test_next),
        cmocka_unit_test(test_draft_valid),
        cmocka_unit_test(test_draft_refused),
        cmocka_unit_test(test_document),
        cmocka_unit_test(test_eligible),
        cmocka_unit_test(test_conflict),
        cmocka_unit_test(test_score_validation),
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_weighted_and_rank),
        cmocka_unit_test(test_rank_unscored),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_yuan),
        cmocka_unit_test(test_ledger_accounts),
        cmocka_unit_test(test_ledger_entry),
        cmocka_unit_test(test_mask_name),
        cmocka_unit_test(test_redact),
    };
    return cmocka_run_group_tests_name("test_tender", tests, NULL, NULL);
}
