/* Unit tests for the tendering domain (services/tendering/tender.c): the
 * process state machine against an independent table of every (state,
 * action) pair, the transitions, draft and document validation,
 * eligibility, conflicts of interest, score validation, lookups, weighted
 * scoring and ranking, the proportional split of money, yuan text, the
 * ledger's accounts and entries, ids, name masking and the public view of a
 * process. */
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
    Tendering__Award award;
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
    f.doc[0].document_type = NULL; /* a hand-built message may leave it NULL */
    s_draft_ok(&f);
    f.doc[0].document_type = S("clarifications");
    s_draft_ok(&f);
    /* ids at the bounds: 100 characters, and every allowed character */
    char id100[101];
    memset(id100, 'b', 100);
    id100[100] = 0;
    f.p.buyer_id = id100;
    s_draft_ok(&f);
    f.p.buyer_id = S("Az09._-");
    s_draft_ok(&f);
    /* names that merely contain the donation box's accounts' */
    f.p.buyer_id = S("donations-office");
    s_draft_ok(&f);
    f.p.buyer_id = S("Donors"); /* account names are case-sensitive */
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
    f.fund[1].id = NULL;
    DRAFT_REFUSED(&f, "process.funders[1].id", NULL);
    f.fund[1].id = S("fund:b"); /* would forge an account name */
    DRAFT_REFUSED(&f, "process.funders[1].id", NULL);
    /* the donation box's accounts are no funder's: "donations", "donors" */
    f.fund[1].id = S("donations");
    DRAFT_REFUSED(&f, "process.funders[1].id", NULL);
    f.fund[1].id = S("donors");
    DRAFT_REFUSED(&f, "process.funders[1].id", NULL);
    f.fund[1].id = S("fund-b");
    f.fund[0].id = S("donors");
    DRAFT_REFUSED(&f, "process.funders[0].id", NULL);
    f.fund[0].id = S("fund-a");
    s_draft_ok(&f);
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
    f.p.buyer_id = NULL;
    DRAFT_REFUSED(&f, "process.buyer_id", NULL);
    f.p.buyer_id = S("haishu civil affairs");
    DRAFT_REFUSED(&f, "process.buyer_id", NULL);
    char id101[102];
    memset(id101, 'b', 101);
    id101[101] = 0;
    f.p.buyer_id = id101;
    DRAFT_REFUSED(&f, "process.buyer_id", NULL);
    /* a buyer's id names its ledger account: not the donation box's */
    f.p.buyer_id = S("donations");
    DRAFT_REFUSED(&f, "process.buyer_id", NULL);
    f.p.buyer_id = S("donors");
    DRAFT_REFUSED(&f, "process.buyer_id", NULL);
    /* a purchase's one funder: the same rule */
    s_fx_init(&f);
    f.fund[0].id = S("donations");
    f.fund[0].share_fen = f.p.budget_fen;
    f.p.n_funders = 1;
    DRAFT_REFUSED(&f, "process.funders[0].id", NULL);
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
    /* letters only, but not a code of the documentType codelist */
    f.doc[0].document_type = S("tenderDocs");
    DRAFT_REFUSED(&f, "process.documents[0].document_type", "documentType");
    f.p.n_documents = 3;
    f.doc[0].document_type = S("tenderNotice");
    f.doc[2].document_type = S("TenderNotice");
    DRAFT_REFUSED(&f, "process.documents[2].document_type", NULL);
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
    /* document_type: empty, or a code of OCDS 1.1.5's documentType codelist
     * (tests/schemas/ocds-1.1.5/codelists/documentType.csv, all 41 codes) */
    static const char *const codes[] = {
        "plannedProcurementNotice", "tenderNotice", "awardNotice", "contractNotice", "completionCertificate",
        "procurementPlan", "biddingDocuments", "technicalSpecifications", "evaluationCriteria",
        "evaluationReports", "contractDraft", "contractSigned", "contractArrangements", "contractSchedule",
        "physicalProgressReport", "financialProgressReport", "finalAudit", "hearingNotice", "marketStudies",
        "eligibilityCriteria", "clarifications", "shortlistedFirms", "environmentalImpact",
        "assetAndLiabilityAssessment", "riskProvisions", "winningBid", "complaints", "contractAnnexe",
        "contractGuarantees", "subContract", "needsAssessment", "feasibilityStudy", "projectPlan",
        "billOfQuantity", "bidders", "conflictOfInterest", "debarments", "illustration", "submissionDocuments",
        "contractSummary", "cancellationDetails",
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        d.document_type = S(codes[i]);
        if (tender_validate_document(&d, "d", &err)) fail_msg("%s refused: %s", codes[i], err.message);
    }
    d.document_type = S("");
    assert_int_equal(tender_validate_document(&d, "d", &err), 0);
    d.document_type = NULL;
    assert_int_equal(tender_validate_document(&d, "d", &err), 0);
    /* letters only is no longer enough; case, prefixes, suffixes, spaces count */
    static const char *const bad[] = {
        "tenderDocs", "TenderNotice", "tendernotice", "TENDERNOTICE", "tender", "tenderNoticeX", "tenderNotice ",
        " tenderNotice", "tender-notice", "tender_notice", "type2", "招标公告", "x", "other",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        d.document_type = S(bad[i]);
        s_refused(tender_validate_document(&d, "bid.documents[3]", &err), &err,
                  HUB__ERROR_CODE__INVALID_ARGUMENT, "bid.documents[3].document_type", NULL);
    }
    d.document_type = S("tenderDocs");
    s_refused(tender_validate_document(&d, "d", &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "d.document_type",
              "documentType");
    d.document_type = S("");
    d.title = NULL;
    s_refused(tender_validate_document(&d, "d", &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "d.title", NULL);
    s_refused(tender_validate_document(NULL, "d", &err), &err, HUB__ERROR_CODE__INVALID_ARGUMENT, "d", NULL);
}

/* ------------------------------------------------------------ ids */

static void test_ids(void **state)
{
    (void)state;
    char id[130];
    /* [A-Za-z0-9._-]{1,100} */
    static const char *const ok[] = {
        "a", "Z", "0", ".", "_", "-", "..", "Az09._-", "haishu-civil-affairs", "acme.foundation_1", "BID-0001",
        "donations", "donors", "Donations", "donors2", "xdonations", "donation", "donor",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (!tender_id_ok(ok[i])) fail_msg("tender_id_ok(\"%s\") refused", ok[i]);
        bool box = !strcmp(ok[i], "donations") || !strcmp(ok[i], "donors");
        if (tender_funder_id_ok(ok[i]) == box)
            fail_msg("tender_funder_id_ok(\"%s\") %s", ok[i], box ? "accepted" : "refused");
    }
    static const char *const bad[] = {
        "", "a b", " a", "a ", "a:b", "fund:a", "a/b", "a\\b", "a@b", "a+b", "a,b", "a\tb", "a\n", "王", "é",
        "\xff", "a*", "donations ", " donors", "donors:", "contrib:donors",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (tender_id_ok(bad[i])) fail_msg("tender_id_ok(\"%s\") accepted", bad[i]);
        if (tender_funder_id_ok(bad[i])) fail_msg("tender_funder_id_ok(\"%s\") accepted", bad[i]);
    }
    assert_false(tender_id_ok(NULL));
    assert_false(tender_funder_id_ok(NULL));
    /* the length: 100 accepted, 101 refused; one bad character at the end */
    memset(id, 'x', sizeof id);
    id[100] = 0;
    assert_true(tender_id_ok(id));
    assert_true(tender_funder_id_ok(id));
    id[99] = ':';
    assert_false(tender_id_ok(id));
    assert_false(tender_funder_id_ok(id));
    id[99] = 'x';
    id[100] = 'x';
    id[101] = 0;
    assert_false(tender_id_ok(id));
    assert_false(tender_funder_id_ok(id));
    id[129] = 0;
    assert_false(tender_id_ok(id));
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
    /* recused (as tendering.evaluator.recuse leaves it: not declared, no
     * scores): takes no part, does not hold up completeness */
    Tendering__Evaluator *e4 = s_ev(&f, "ev-4", false, NULL);
    e4->recused = true;
    e4->recusal_reason = S("与投标人存在关联");
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
    /* an evaluator of the panel who has neither declared nor recused holds
     * up the award, even with no score at all */
    assert_int_equal(tender_rank(&f.p, &complete), 3);
    assert_true(complete);
    e4->recused = false;
    assert_int_equal(tender_rank(&f.p, &complete), 3);
    assert_false(complete);
    assert_int_equal(b->total_centi, 33); /* totals and ranks are computed all the same */
    assert_int_equal(b->rank, 1);
    /* ... and so does one who scored everything but never declared */
    s_score(&f, "ev-4", "BID-0001", 3, 0, 0, 0);
    s_score(&f, "ev-4", "BID-0002", 3, 0, 0, 0);
    s_score(&f, "ev-4", "BID-0003", 3, 0, 0, 0);
    tender_rank(&f.p, &complete);
    assert_false(complete);
    f.p.n_scores -= 3;
    /* once it recuses, complete again */
    e4->recused = true;
    assert_int_equal(tender_rank(&f.p, &complete), 3);
    assert_true(complete);
    /* a declared evaluator who did not score one valid bid holds it up ... */
    Tendering__Evaluator *e5 = s_ev(&f, "ev-5", true, NULL);
    s_score(&f, "ev-5", "BID-0001", 3, 0, 0, 0);
    s_score(&f, "ev-5", "BID-0003", 3, 0, 0, 0);
    tender_rank(&f.p, &complete);
    assert_false(complete);
    /* ... until it recuses (its scores dropped, as the service does) */
    e5->recused = true;
    e5->declared = false;
    f.p.n_scores -= 2;
    tender_rank(&f.p, &complete);
    assert_true(complete);
    /* withdrawn and disqualified bids need no score: a new withdrawn bid
     * changes nothing */
    s_bid(&f, "BID-0006", "org-f", TENDERING__BID_STATE__BID_WITHDRAWN, 1, 1);
    assert_int_equal(tender_rank(&f.p, &complete), 3);
    assert_true(complete);
    /* a new valid bid nobody scored: incomplete */
    Tendering__Bid *g = s_bid(&f, "BID-0007", "org-g", TENDERING__BID_STATE__BID_VALID, 1, 1);
    assert_int_equal(tender_rank(&f.p, &complete), 4);
    assert_false(complete);
    g->state = TENDERING__BID_STATE__BID_DISQUALIFIED;
    assert_int_equal(tender_rank(&f.p, &complete), 3);
    assert_true(complete);
    /* every evaluator recused: nobody declared, never complete */
    for (size_t i = 0; i < f.p.n_evaluators; i++) {
        f.ev[i].recused = true;
        f.ev[i].declared = false;
    }
    assert_int_equal(tender_rank(&f.p, &complete), 3);
    assert_false(complete);
    /* no evaluator declared (none recused either): never complete; scores
     * still give totals */
    for (size_t i = 0; i < f.p.n_evaluators; i++) f.ev[i].recused = false;
    assert_int_equal(tender_rank(&f.p, &complete), 3);
    assert_false(complete);
    assert_int_equal(b->total_centi, 33);
    /* an empty panel: never complete */
    f.p.n_evaluators = 0;
    tender_rank(&f.p, &complete);
    assert_false(complete);
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

/* Asserts s is blank: "" (never NULL, a message's strings are set). */
static void s_blank(const char *s)
{
    assert_non_null(s);
    assert_string_equal(s, "");
}

/* Asserts view bid b has nothing of o's content left: only id, state and
 * times stay. */
static void s_assert_sealed(const Tendering__Bid *b, const Tendering__Bid *o)
{
    assert_string_equal(b->id, o->id);
    assert_int_equal(b->state, o->state);
    assert_int_equal(b->submitted_ms, o->submitted_ms);
    assert_int_equal(b->withdrawn_ms, o->withdrawn_ms);
    s_blank(b->org_id);
    s_blank(b->org_name);
    s_blank(b->proposal);
    s_blank(b->disqualified_reason);
    assert_int_equal(b->price_fen, 0);
    assert_int_equal(b->n_documents, 0);
    assert_int_equal(b->total_centi, 0);
    assert_int_equal(b->rank, 0);
}

/* A process in state st with a valid bid (scored, ranked), a withdrawn one
 * and a disqualified one (scored before, so with a total), a declared
 * evaluator with two affiliations and a recused one, two scores, an award
 * (from AWARD_PENDING on, and CANCELLED: cancelled after the award) and a
 * stale bid_count. */
static void s_view_fixture(fx_t *f, Tendering__State st)
{
    s_fx_init(f);
    f->p.state = st;
    f->p.bid_count = 7;
    f->p.tender_start_ms = 500;
    f->p.tender_end_ms = 5000;
    f->p.created_ms = 100;
    f->p.updated_ms = 6000;
    Tendering__Bid *a = s_bid(f, "BID-0001", "org-a", TENDERING__BID_STATE__BID_VALID, 2900000, 1000);
    a->total_centi = 8100;
    a->rank = 1;
    s_bid(f, "BID-0002", "org-b", TENDERING__BID_STATE__BID_WITHDRAWN, 2800000, 2000);
    Tendering__Bid *d = s_bid(f, "BID-0003", "org-c", TENDERING__BID_STATE__BID_DISQUALIFIED, 2700000, 2500);
    d->total_centi = 6000;
    Tendering__Evaluator *e = s_ev(f, "ev-1", true, "org-x", "org-y", NULL);
    e->declared_ms = 4000;
    Tendering__Evaluator *r = s_ev(f, "ev-2", false, "org-a", NULL);
    r->recused = true;
    r->recusal_reason = S("与投标人存在关联");
    s_score(f, "ev-1", "BID-0001", 3, 80, 90, 70);
    s_score(f, "ev-1", "BID-0003", 3, 60, 60, 60);
    f->award = (Tendering__Award)TENDERING__AWARD__INIT;
    f->award.id = S("AWD-0001");
    f->award.bid_id = S("BID-0001");
    f->award.org_id = S("org-a");
    f->award.value_fen = 2900000;
    if (st >= TENDERING__STATE__AWARD_PENDING && st != TENDERING__STATE__UNSUCCESSFUL) f->p.award = &f->award;
    if (st == TENDERING__STATE__CANCELLED) f->p.cancel_reason = S("预算调整");
}

/* Checks v, the view of f's process with panel, against the contract. */
static void s_check_view(const fx_t *f, const Tendering__Process *v, bool panel)
{
    Tendering__State st = f->p.state;
    /* the bids can be read from EVALUATION on (CANCELLED never), the panel
     * is public from the award on */
    bool opened = st == TENDERING__STATE__EVALUATION || st == TENDERING__STATE__AWARD_PENDING ||
                  st == TENDERING__STATE__AWARDED || st == TENDERING__STATE__CONTRACTED ||
                  st == TENDERING__STATE__UNSUCCESSFUL || st == TENDERING__STATE__CLOSED;
    bool awarded = opened && st != TENDERING__STATE__EVALUATION;

    /* the process itself: everything kept, sharing p's strings */
    assert_non_null(v);
    assert_ptr_not_equal(v, &f->p);
    assert_ptr_equal(v->ocid, f->p.ocid);
    assert_ptr_equal(v->title, f->p.title);
    assert_ptr_equal(v->description, f->p.description);
    assert_ptr_equal(v->buyer_id, f->p.buyer_id);
    assert_ptr_equal(v->buyer_name, f->p.buyer_name);
    assert_int_equal(v->state, st);
    assert_int_equal(v->kind, f->p.kind);
    assert_int_equal(v->budget_fen, 30000000);
    assert_ptr_equal(v->eligibility, f->p.eligibility);
    assert_int_equal(v->n_criteria, 3);
    assert_ptr_equal(v->criteria[2], f->p.criteria[2]);
    assert_int_equal(v->n_documents, 1); /* the tender's documents are public */
    assert_ptr_equal(v->documents[0], f->p.documents[0]);
    assert_int_equal(v->tender_start_ms, 500);
    assert_int_equal(v->tender_end_ms, 5000);
    assert_int_equal(v->created_ms, 100);
    assert_int_equal(v->updated_ms, 6000);
    assert_ptr_equal(v->cancel_reason, f->p.cancel_reason);
    /* NB a CANCELLED process's award is not asserted: the contract does not
     * say whether it stays while the bids are sealed */
    if (st != TENDERING__STATE__CANCELLED) assert_ptr_equal(v->award, f->p.award);
    assert_int_equal(v->bid_count, 1); /* recounted: one valid bid */

    /* the bids */
    assert_int_equal(v->n_bids, 3);
    for (size_t i = 0; i < 3; i++) {
        const Tendering__Bid *b = v->bids[i], *o = &f->bid[i];
        assert_non_null(b);
        if (!opened) {
            s_assert_sealed(b, o);
            continue;
        }
        assert_string_equal(b->id, o->id);
        assert_int_equal(b->state, o->state);
        assert_int_equal(b->submitted_ms, o->submitted_ms);
        assert_int_equal(b->withdrawn_ms, o->withdrawn_ms);
        if (!panel && o->state == TENDERING__BID_STATE__BID_WITHDRAWN) { /* the public: no trace of it */
            s_blank(b->org_id);
            s_blank(b->org_name);
            assert_int_equal(b->price_fen, 0);
        } else {
            assert_ptr_equal(b->org_id, o->org_id);
            assert_ptr_equal(b->org_name, o->org_name);
            assert_int_equal(b->price_fen, o->price_fen);
            assert_ptr_equal(b->disqualified_reason, o->disqualified_reason);
        }
        if (panel) {
            assert_ptr_equal(b->proposal, o->proposal);
            assert_int_equal(b->n_documents, 1);
            assert_ptr_equal(b->documents[0], o->documents[0]);
        } else {
            s_blank(b->proposal);
            assert_int_equal(b->n_documents, 0);
        }
        if (panel || awarded) {
            assert_int_equal(b->total_centi, o->total_centi);
            assert_int_equal(b->rank, o->rank);
        } else {
            assert_int_equal(b->total_centi, 0);
            assert_int_equal(b->rank, 0);
        }
    }
    /* spot checks of the above on the fixture's values */
    if (opened) {
        assert_string_equal(v->bids[0]->org_id, "org-a");
        assert_int_equal(v->bids[0]->price_fen, 2900000);
        assert_string_equal(v->bids[2]->disqualified_reason, "资质不符");
        assert_int_equal(v->bids[0]->rank, panel || awarded ? 1 : 0);
    }

    /* the panel: evaluators, scores */
    if (!panel && st == TENDERING__STATE__STATE_UNSPECIFIED) return; /* not said by the contract */
    if (!panel && !awarded) {
        assert_int_equal(v->n_evaluators, 0);
        assert_int_equal(v->n_scores, 0);
        return;
    }
    assert_int_equal(v->n_evaluators, 2);
    for (size_t i = 0; i < 2; i++) {
        const Tendering__Evaluator *e = v->evaluators[i], *o = &f->ev[i];
        assert_non_null(e);
        assert_string_equal(e->id, o->id);
        assert_string_equal(e->name, o->name);
        assert_int_equal(e->declared, o->declared);
        assert_int_equal(e->declared_ms, o->declared_ms);
        assert_int_equal(e->recused, o->recused);
        assert_string_equal(e->recusal_reason, o->recusal_reason);
        if (panel) {
            assert_int_equal(e->n_affiliations, o->n_affiliations);
            for (size_t k = 0; k < o->n_affiliations; k++)
                assert_string_equal(e->affiliations[k], o->affiliations[k]);
        } else {
            assert_int_equal(e->n_affiliations, 0);
        }
    }
    assert_int_equal(v->evaluators[0]->n_affiliations, panel ? 2 : 0);
    assert_int_equal(v->n_scores, 2);
    for (size_t i = 0; i < 2; i++) {
        const Tendering__Score *sc = v->scores[i], *o = &f->sc[i];
        assert_non_null(sc);
        assert_string_equal(sc->evaluator_id, o->evaluator_id);
        assert_string_equal(sc->bid_id, o->bid_id);
        assert_int_equal(sc->n_points, 3);
        for (size_t k = 0; k < 3; k++) assert_int_equal(sc->points[k], o->points[k]);
    }
}

/* Asserts f's process and every message it points to is as in the fixture. */
static void s_check_untouched(const fx_t *f, const fx_t *before)
{
    assert_memory_equal(f, before, sizeof *f);
    /* the same, field by field, for a readable failure */
    assert_ptr_equal(f->p.bids, f->bidp);
    assert_int_equal(f->p.n_bids, 3);
    assert_int_equal(f->p.bid_count, 7);
    assert_string_equal(f->bid[0].org_id, "org-a");
    assert_string_equal(f->bid[0].org_name, "海曙区某社工服务中心");
    assert_int_equal(f->bid[0].price_fen, 2900000);
    assert_string_equal(f->bid[0].proposal, "每日上门送餐");
    assert_int_equal(f->bid[0].n_documents, 1);
    assert_int_equal(f->bid[0].total_centi, 8100);
    assert_int_equal(f->bid[0].rank, 1);
    assert_string_equal(f->bid[1].org_id, "org-b");
    assert_int_equal(f->bid[1].price_fen, 2800000);
    assert_string_equal(f->bid[1].proposal, "每日上门送餐");
    assert_string_equal(f->bid[2].disqualified_reason, "资质不符");
    assert_int_equal(f->bid[2].total_centi, 6000);
    assert_ptr_equal(f->p.evaluators, f->evp);
    assert_int_equal(f->p.n_evaluators, 2);
    assert_int_equal(f->ev[0].n_affiliations, 2);
    assert_string_equal(f->ev[0].affiliations[1], "org-y");
    assert_int_equal(f->ev[1].n_affiliations, 1);
    assert_ptr_equal(f->p.scores, f->scp);
    assert_int_equal(f->p.n_scores, 2);
}

static void test_public_view(void **state)
{
    (void)state;
    static fx_t f, before; /* static: two fixtures are large for a stack */
    hub_arena_t *arena = hub_arena_new(1 << 20);
    assert_non_null(arena);

    /* every state, the public's view and the panel's */
    for (int st = 0; st < N_STATES; st++) {
        for (int panel = 0; panel <= 1; panel++) {
            s_view_fixture(&f, (Tendering__State)st);
            memcpy(&before, &f, sizeof f);
            Tendering__Process *v = tender_public_view(&f.p, panel, arena);
            s_check_untouched(&f, &before);
            s_check_view(&f, v, panel);
        }
    }

    /* two views of one process are independent of each other */
    s_view_fixture(&f, TENDERING__STATE__EVALUATION);
    memcpy(&before, &f, sizeof f);
    Tendering__Process *pub = tender_public_view(&f.p, false, arena);
    Tendering__Process *pan = tender_public_view(&f.p, true, arena);
    s_check_untouched(&f, &before);
    s_check_view(&f, pub, false);
    s_check_view(&f, pan, true);
    /* ... and of p: writing into a view's bids and evaluators changes neither */
    pan->bids[0]->price_fen = 1;
    pan->bids[0]->rank = 9;
    pan->evaluators[0]->n_affiliations = 0;
    s_check_untouched(&f, &before);
    s_check_view(&f, pub, false);

    /* sealed, with several valid bids: bid_count tells how many */
    s_fx_init(&f);
    f.p.state = TENDERING__STATE__ACTIVE;
    s_bid(&f, "BID-0001", "org-a", TENDERING__BID_STATE__BID_VALID, 100, 1);
    s_bid(&f, "BID-0002", "org-b", TENDERING__BID_STATE__BID_WITHDRAWN, 100, 2);
    s_bid(&f, "BID-0003", "org-b", TENDERING__BID_STATE__BID_VALID, 100, 3);
    s_bid(&f, "BID-0004", "org-c", TENDERING__BID_STATE__BID_VALID, 100, 4);
    for (int panel = 0; panel <= 1; panel++) {
        Tendering__Process *v = tender_public_view(&f.p, panel, arena);
        assert_non_null(v);
        assert_int_equal(v->bid_count, 3);
        assert_int_equal(v->n_bids, 4);
        for (size_t i = 0; i < 4; i++) s_assert_sealed(v->bids[i], &f.bid[i]);
    }

    /* nothing to hide: no bids, no panel */
    s_fx_init(&f);
    f.p.state = TENDERING__STATE__AWARDED;
    Tendering__Process *v = tender_public_view(&f.p, false, arena);
    assert_non_null(v);
    assert_int_equal(v->n_bids, 0);
    assert_int_equal(v->bid_count, 0);
    assert_int_equal(v->n_evaluators, 0);
    assert_int_equal(v->n_scores, 0);
    assert_ptr_equal(v->title, f.p.title);

    /* NULL p; an arena out of budget gives NULL and leaves p alone */
    assert_null(tender_public_view(NULL, false, arena));
    assert_null(tender_public_view(NULL, true, arena));
    hub_arena_destroy(&arena);
    arena = hub_arena_new(64);
    assert_non_null(arena);
    s_view_fixture(&f, TENDERING__STATE__EVALUATION);
    memcpy(&before, &f, sizeof f);
    assert_null(tender_public_view(&f.p, false, arena));
    assert_null(tender_public_view(&f.p, true, arena));
    s_check_untouched(&f, &before);
    hub_arena_destroy(&arena);
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
        cmocka_unit_test(test_ids),
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
        cmocka_unit_test(test_public_view),
    };
    return cmocka_run_group_tests_name("test_tender", tests, NULL, NULL);
}
