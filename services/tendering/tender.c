/* tender: the tendering daemon's domain rules. See tender.h for the
 * contracts; this file keeps to plain functions over the protobuf structs,
 * integer arithmetic for money (int64 fen, __int128 where a product could
 * overflow) and no allocation. */
#include "tender.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "hub_util.h"

#define INVALID(field, ...) hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, field, __VA_ARGS__)
#define PRECONDITION(field, ...) \
    hub_error_set(err, HUB__ERROR_CODE__FAILED_PRECONDITION, field, __VA_ARGS__)
#define NOTFOUND(field, ...) hub_error_set(err, HUB__ERROR_CODE__NOT_FOUND, field, __VA_ARGS__)
#define DENIED(field, ...) hub_error_set(err, HUB__ERROR_CODE__PERMISSION_DENIED, field, __VA_ARGS__)

#define S_MAX_URL 2048              /* longest document url we store */
#define S_MAX_LEGAL_FORM 4          /* matching.LegalForm COMMUNITY_GROUP */
#define S_MEMBERSHIP_APPROVED 2     /* matching.Membership APPROVED */
#define S_MAX_POINTS 100            /* points per criterion */
#define S_WEIGHT_TOTAL 100          /* the criteria's weights sum to this */
#define S_LEDGER_MAX_ID 100         /* bytes of the id part of an account name */
#define S_EMPTY ((char *)"")        /* what redacted strings point to; never freed */

/* ------------------------------------------------------------------ helpers */

/* s, or "" for NULL (hand-built messages may leave strings NULL). */
static const char *s_str(const char *s) { return s ? s : ""; }

/* True when s (NULL = "") is non-empty. */
static bool s_set(const char *s) { return s && *s; }

/* True if s is at most max bytes long (NULL counts as empty). */
static bool s_len_ok(const char *s, size_t max) { return strlen(s_str(s)) <= max; }

/* True if s matches [A-Za-z0-9._-]{1,max}: the shape of an id that ends
 * up in a ledger account name or a store key. */
static bool s_id_ok(const char *s, size_t max)
{
    size_t n = 0;
    for (const char *c = s_str(s); *c; c++, n++)
        if (!isalnum((unsigned char)*c) && *c != '.' && *c != '_' && *c != '-') return false;
    return n >= 1 && n <= max;
}

bool tender_id_ok(const char *id) { return s_id_ok(id, S_LEDGER_MAX_ID); }

bool tender_funder_id_ok(const char *id)
{
    return tender_id_ok(id) && strcmp(id, "donations") && strcmp(id, "donors");
}

/* True if s (NULL = "") equals t (NULL = ""). */
static bool s_eq(const char *s, const char *t) { return !strcmp(s_str(s), s_str(t)); }

/* ------------------------------------------------------------ state machine */

static const char *const s_state_names[] = {
    [TENDERING__STATE__STATE_UNSPECIFIED] = "unspecified",
    [TENDERING__STATE__PLANNING] = "planning",
    [TENDERING__STATE__ACTIVE] = "active",
    [TENDERING__STATE__EVALUATION] = "evaluation",
    [TENDERING__STATE__AWARD_PENDING] = "award-pending",
    [TENDERING__STATE__AWARDED] = "awarded",
    [TENDERING__STATE__CONTRACTED] = "contracted",
    [TENDERING__STATE__UNSUCCESSFUL] = "unsuccessful",
    [TENDERING__STATE__CLOSED] = "closed",
    [TENDERING__STATE__CANCELLED] = "cancelled",
};
#define S_NSTATES (sizeof s_state_names / sizeof s_state_names[0])

/* Per action: its short name, and the phrase refusals use ("cannot <what>"). */
static const struct {
    const char *name;
    const char *what;
} s_actions[TA__COUNT] = {
    [TA_UPDATE] = {"update", "update the draft"},
    [TA_PUBLISH] = {"publish", "publish"},
    [TA_AMEND] = {"amend", "amend the tender"},
    [TA_ENQUIRY_ASK] = {"enquiry-ask", "ask a question"},
    [TA_ENQUIRY_ANSWER] = {"enquiry-answer", "answer a question"},
    [TA_BID] = {"bid", "submit a bid"},
    [TA_BID_WITHDRAW] = {"bid-withdraw", "withdraw a bid"},
    [TA_CLOSE_PERIOD] = {"close-period", "close the tender period"},
    [TA_EVALUATOR_ADD] = {"evaluator-add", "add an evaluator"},
    [TA_DECLARE] = {"declare", "declare no conflict of interest"},
    [TA_SCORE] = {"score", "score a bid"},
    [TA_DISQUALIFY] = {"disqualify", "disqualify a bid"},
    [TA_AWARD] = {"award", "award"},
    [TA_ACTIVATE] = {"activate", "activate the award"},
    [TA_SIGN] = {"sign", "sign the contract"},
    [TA_MILESTONE] = {"milestone", "report on a milestone"},
    [TA_PAYMENT] = {"payment", "make a payment"},
    [TA_TERMINATE] = {"terminate", "terminate the contract"},
    [TA_CANCEL] = {"cancel", "cancel"},
    [TA_READ_BIDS] = {"read-bids", "read the bids"},
};

#define A(a) (1u << (a))
/* The legal actions of each state, one bit per tender_action_t. Bids are
 * readable once the period has ended, except in CANCELLED: a cancelled
 * tender's bids stay sealed forever (tender_allowed only sees the state,
 * not whether the period had ended before the cancellation). */
static const uint32_t s_legal[S_NSTATES] = {
    [TENDERING__STATE__PLANNING] = A(TA_UPDATE) | A(TA_PUBLISH) | A(TA_EVALUATOR_ADD) | A(TA_CANCEL),
    [TENDERING__STATE__ACTIVE] = A(TA_AMEND) | A(TA_ENQUIRY_ASK) | A(TA_ENQUIRY_ANSWER) | A(TA_BID) |
                                 A(TA_BID_WITHDRAW) | A(TA_CLOSE_PERIOD) | A(TA_EVALUATOR_ADD) |
                                 A(TA_CANCEL),
    [TENDERING__STATE__EVALUATION] = A(TA_ENQUIRY_ANSWER) | A(TA_EVALUATOR_ADD) | A(TA_DECLARE) |
                                     A(TA_SCORE) | A(TA_DISQUALIFY) | A(TA_AWARD) | A(TA_CANCEL) |
                                     A(TA_READ_BIDS),
    [TENDERING__STATE__AWARD_PENDING] = A(TA_ACTIVATE) | A(TA_CANCEL) | A(TA_READ_BIDS),
    [TENDERING__STATE__AWARDED] = A(TA_SIGN) | A(TA_CANCEL) | A(TA_READ_BIDS),
    [TENDERING__STATE__CONTRACTED] = A(TA_MILESTONE) | A(TA_PAYMENT) | A(TA_TERMINATE) | A(TA_READ_BIDS),
    [TENDERING__STATE__UNSUCCESSFUL] = A(TA_READ_BIDS),
    [TENDERING__STATE__CLOSED] = A(TA_READ_BIDS),
    [TENDERING__STATE__CANCELLED] = 0,
};
#undef A

/* True if s indexes the tables above. */
static bool s_state_known(Tendering__State s) { return (unsigned)s < S_NSTATES; }

const char *tender_state_name(Tendering__State s)
{
    return s_state_known(s) ? s_state_names[s] : "unknown";
}

const char *tender_action_name(tender_action_t a)
{
    return (unsigned)a < TA__COUNT ? s_actions[a].name : "unknown";
}

int tender_allowed(Tendering__State s, tender_action_t a, hub_error_t *err)
{
    const char *state = tender_state_name(s);
    if ((unsigned)a >= TA__COUNT) return PRECONDITION("state", "unknown action (the tender is %s)", state);
    if (s_state_known(s) && (s_legal[s] >> a & 1u)) return 0;
    if (a == TA_READ_BIDS) {
        if (s == TENDERING__STATE__CANCELLED)
            return PRECONDITION("state", "bids are sealed: a cancelled tender's bids are never opened "
                                         "(the tender is %s)", state);
        return PRECONDITION("state", "bids are sealed until the tender period ends (the tender is %s)", state);
    }
    return PRECONDITION("state", "cannot %s: the tender is %s", s_actions[a].what, state);
}

Tendering__State tender_next(Tendering__State s, tender_action_t a, bool has_valid_bid)
{
    /* An illegal action changes nothing (callers check tender_allowed first). */
    if (tender_allowed(s, a, NULL)) return s;
    switch (a) {
    case TA_PUBLISH: return TENDERING__STATE__ACTIVE;
    case TA_CLOSE_PERIOD:
        return has_valid_bid ? TENDERING__STATE__EVALUATION : TENDERING__STATE__UNSUCCESSFUL;
    case TA_AWARD: return has_valid_bid ? TENDERING__STATE__AWARD_PENDING : TENDERING__STATE__UNSUCCESSFUL;
    case TA_ACTIVATE: return TENDERING__STATE__AWARDED;
    case TA_SIGN: return TENDERING__STATE__CONTRACTED;
    case TA_TERMINATE: return TENDERING__STATE__CLOSED;
    case TA_CANCEL: return TENDERING__STATE__CANCELLED;
    default: return s;
    }
}

bool tender_state_final(Tendering__State s)
{
    return s == TENDERING__STATE__UNSUCCESSFUL || s == TENDERING__STATE__CLOSED ||
           s == TENDERING__STATE__CANCELLED;
}

/* ------------------------------------------------------------- validation */

/* True if url is http:// or https:// followed by a host and no
 * whitespace or control byte, at most S_MAX_URL bytes. */
static bool s_url_ok(const char *url)
{
    const char *rest;
    if (!strncmp(url, "http://", 7)) rest = url + 7;
    else if (!strncmp(url, "https://", 8)) rest = url + 8;
    else return false;
    if (!*rest || *rest == '/' || strlen(url) > S_MAX_URL) return false;
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f) return false;
    return true;
}

/* True if s is exactly 64 hex digits (either case). */
static bool s_sha256_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!isxdigit((unsigned char)s[n])) return false;
    return n == 64;
}

/* True if s is a code of OCDS 1.1.5's documentType codelist (a copy of
 * tests/schemas/ocds-1.1.5/codelists/documentType.csv). */
static bool s_document_type(const char *s)
{
    static const char *const codes[] = {"plannedProcurementNotice", "tenderNotice", "awardNotice", "contractNotice", "completionCertificate", "procurementPlan", "biddingDocuments", "technicalSpecifications", "evaluationCriteria", "evaluationReports", "contractDraft", "contractSigned", "contractArrangements", "contractSchedule", "physicalProgressReport", "financialProgressReport", "finalAudit", "hearingNotice", "marketStudies", "eligibilityCriteria", "clarifications", "shortlistedFirms", "environmentalImpact", "assetAndLiabilityAssessment", "riskProvisions", "winningBid", "complaints", "contractAnnexe", "contractGuarantees", "subContract", "needsAssessment", "feasibilityStudy", "projectPlan", "billOfQuantity", "bidders", "conflictOfInterest", "debarments", "illustration", "submissionDocuments", "contractSummary", "cancellationDetails"};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (!strcmp(s, codes[i])) return true;
    return false;
}

int tender_validate_document(const Tendering__Document *d, const char *field, hub_error_t *err)
{
    char f[128];
    field = s_str(field);
    if (!d) return INVALID(field, "%s is missing", field);
#define F(name) (snprintf(f, sizeof f, "%s.%s", field, name), f)
    if (!s_set(d->title)) return INVALID(F("title"), "a document needs a title");
    if (!s_len_ok(d->title, TENDER_MAX_NAME))
        return INVALID(F("title"), "a document title is at most %d bytes", TENDER_MAX_NAME);
    if (!s_len_ok(d->id, TENDER_MAX_NAME))
        return INVALID(F("id"), "a document id is at most %d bytes", TENDER_MAX_NAME);
    if (!s_url_ok(s_str(d->url)))
        return INVALID(F("url"), "a document url must be http:// or https:// with a host, no spaces, "
                                 "at most %d bytes", S_MAX_URL);
    if (s_set(d->sha256) && !s_sha256_ok(d->sha256))
        return INVALID(F("sha256"), "sha256 must be 64 hex digits (or empty)");
    if (s_set(d->document_type) && !s_document_type(d->document_type))
        return INVALID(F("document_type"), "document_type must be a code of OCDS's documentType codelist "
                                           "(e.g. tenderNotice, biddingDocuments, clarifications) or empty");
#undef F
    return 0;
}

/* The criteria of a draft: 1..TENDER_MAX_CRITERIA, named, weights 1..100
 * summing to 100. */
static int s_validate_criteria(const Tendering__Process *p, hub_error_t *err)
{
    char f[128];
    if (p->n_criteria < 1 || p->n_criteria > TENDER_MAX_CRITERIA)
        return INVALID("process.criteria", "a tender needs 1 to %d award criteria, not %zu",
                       TENDER_MAX_CRITERIA, p->n_criteria);
    uint64_t sum = 0;
    for (size_t i = 0; i < p->n_criteria; i++) {
        const Tendering__Criterion *c = p->criteria[i];
        if (!c) return INVALID((snprintf(f, sizeof f, "process.criteria[%zu]", i), f), "criterion missing");
        if (!s_set(c->name) || !s_len_ok(c->name, TENDER_MAX_NAME))
            return INVALID((snprintf(f, sizeof f, "process.criteria[%zu].name", i), f),
                           "criterion %zu needs a name of 1 to %d bytes", i + 1, TENDER_MAX_NAME);
        if (c->weight < 1 || c->weight > S_WEIGHT_TOTAL)
            return INVALID((snprintf(f, sizeof f, "process.criteria[%zu].weight", i), f),
                           "criterion \"%s\" needs a weight of 1 to %d", c->name, S_WEIGHT_TOTAL);
        if (!s_len_ok(c->description, TENDER_MAX_TEXT))
            return INVALID((snprintf(f, sizeof f, "process.criteria[%zu].description", i), f),
                           "a criterion description is at most %d bytes", TENDER_MAX_TEXT);
        sum += c->weight;
    }
    if (sum != S_WEIGHT_TOTAL)
        return INVALID("process.criteria", "the criteria weights sum to %llu, not %d",
                       (unsigned long long)sum, S_WEIGHT_TOTAL);
    return 0;
}

/* The funders of a draft, per kind (see tender_validate_draft). */
static int s_validate_funders(const Tendering__Process *p, hub_error_t *err)
{
    char f[128], a[32], b[32];
    bool venture = p->kind == TENDERING__KIND__VENTURE;
    if (!venture && p->n_funders > 1)
        return INVALID("process.funders", "a purchase has no funder or one (the buyer), not %zu", p->n_funders);
    if (venture && (p->n_funders < 1 || p->n_funders > TENDER_MAX_FUNDERS))
        return INVALID("process.funders", "a venture round needs 1 to %d funders, not %zu",
                       TENDER_MAX_FUNDERS, p->n_funders);
    int64_t sum = 0;
    for (size_t i = 0; i < p->n_funders; i++) {
        const Tendering__Funder *fu = p->funders[i];
        if (!fu) return INVALID((snprintf(f, sizeof f, "process.funders[%zu]", i), f), "funder missing");
        if (!tender_funder_id_ok(fu->id))
            return INVALID((snprintf(f, sizeof f, "process.funders[%zu].id", i), f),
                           "a funder id is 1 to %d characters of A-Z a-z 0-9 . _ - "
                           "(not donations, donors: the donation box's accounts)", S_LEDGER_MAX_ID);
        for (size_t k = 0; k < i; k++)
            if (p->funders[k] && s_eq(p->funders[k]->id, fu->id))
                return INVALID((snprintf(f, sizeof f, "process.funders[%zu].id", i), f),
                               "funder %s is listed twice", fu->id);
        if (!s_len_ok(fu->name, TENDER_MAX_NAME))
            return INVALID((snprintf(f, sizeof f, "process.funders[%zu].name", i), f),
                           "a funder name is at most %d bytes", TENDER_MAX_NAME);
        if (fu->share_fen <= 0 || fu->share_fen > TENDER_MAX_FEN)
            return INVALID((snprintf(f, sizeof f, "process.funders[%zu].share_fen", i), f),
                           "funder %s needs a share above 0 and at most the budget", fu->id);
        sum += fu->share_fen; /* at most 16 x TENDER_MAX_FEN: no overflow */
    }
    if (p->n_funders && sum != p->budget_fen) {
        tender_format_fen(sum, a, sizeof a);
        tender_format_fen(p->budget_fen, b, sizeof b);
        return INVALID("process.funders", "the funders' shares sum to %s yuan, the budget is %s yuan", a, b);
    }
    return 0;
}

int tender_validate_draft(const Tendering__Process *p, hub_error_t *err)
{
    char f[128];
    if (!p) return INVALID("process", "process is missing");
    if (!s_set(p->title) || !s_len_ok(p->title, TENDER_MAX_NAME))
        return INVALID("process.title", "a title of 1 to %d bytes is required", TENDER_MAX_NAME);
    if (!s_len_ok(p->description, TENDER_MAX_TEXT))
        return INVALID("process.description", "the description is at most %d bytes", TENDER_MAX_TEXT);
    /* The buyer's id names its ledger account ("fund:<buyer_id>") for a purchase. */
    if (!tender_funder_id_ok(p->buyer_id))
        return INVALID("process.buyer_id", "the buyer id is 1 to %d characters of A-Z a-z 0-9 . _ - "
                       "(not donations, donors: the donation box's accounts)",
                       S_LEDGER_MAX_ID);
    if (!s_set(p->buyer_name) || !s_len_ok(p->buyer_name, TENDER_MAX_NAME))
        return INVALID("process.buyer_name", "a buyer name of 1 to %d bytes is required", TENDER_MAX_NAME);
    if (p->kind != TENDERING__KIND__PURCHASE && p->kind != TENDERING__KIND__VENTURE)
        return INVALID("process.kind", "kind must be PURCHASE or VENTURE");
    if (p->budget_fen < 1 || p->budget_fen > TENDER_MAX_FEN)
        return INVALID("process.budget_fen", "the budget must be above 0 and at most 1000000000000 yuan");
    if (p->need && (!s_len_ok(p->need->service, TENDER_MAX_NAME) || !s_len_ok(p->need->street, TENDER_MAX_NAME) ||
                    !s_len_ok(p->need->note, TENDER_MAX_TEXT)))
        return INVALID("process.need", "the need's service and street are at most %d bytes, its note %d",
                       TENDER_MAX_NAME, TENDER_MAX_TEXT);
    if (s_validate_criteria(p, err)) return -1;
    if (p->n_documents > TENDER_MAX_DOCUMENTS)
        return INVALID("process.documents", "at most %d documents", TENDER_MAX_DOCUMENTS);
    for (size_t i = 0; i < p->n_documents; i++) {
        snprintf(f, sizeof f, "process.documents[%zu]", i);
        if (tender_validate_document(p->documents[i], f, err)) return -1;
    }
    if (p->eligibility) {
        const Tendering__Eligibility *e = p->eligibility;
        if (e->n_legal_forms > S_MAX_LEGAL_FORM)
            return INVALID("process.eligibility.legal_forms", "at most %d legal forms", S_MAX_LEGAL_FORM);
        for (size_t i = 0; i < e->n_legal_forms; i++)
            if (e->legal_forms[i] < 1 || e->legal_forms[i] > S_MAX_LEGAL_FORM)
                return INVALID((snprintf(f, sizeof f, "process.eligibility.legal_forms[%zu]", i), f),
                               "legal form %u is not 1 to %d", e->legal_forms[i], S_MAX_LEGAL_FORM);
    }
    if (s_validate_funders(p, err)) return -1;
    if (p->tender_end_ms < 0)
        return INVALID("process.tender_end_ms", "the tender end must be a time after 1970 (or 0 = unset)");
    return 0;
}

/* ------------------------------------------------------ eligibility, conflict */

static const char *const s_membership_names[] = {"unspecified", "applied", "approved", "suspended",
                                                 "withdrawn"};
static const char *const s_legal_form_names[] = {"unspecified", "social group", "private non-enterprise unit",
                                                 "foundation", "community group"};

int tender_check_eligible(const Tendering__Eligibility *e, const Tendering__Org *org, int year,
                          hub_error_t *err)
{
    if (!org) return PRECONDITION("org_id", "the organization is not known to the hub");
    const char *id = s_str(org->id);
    if (!e) return 0;
    if (e->members_only && org->membership != S_MEMBERSHIP_APPROVED)
        return PRECONDITION("org_id", "only approved members of the hub may bid; %s is %s", id,
                            org->membership < 5 ? s_membership_names[org->membership] : "of unknown membership");
    if (e->n_legal_forms) {
        bool listed = false;
        for (size_t i = 0; i < e->n_legal_forms && !listed; i++) listed = e->legal_forms[i] == org->legal_form;
        if (!listed)
            return PRECONDITION("org_id", "the tender is not open to %s's legal form (%s)", id,
                                org->legal_form <= S_MAX_LEGAL_FORM ? s_legal_form_names[org->legal_form]
                                                                    : "unknown");
    }
    if (e->min_years_active) {
        if (!org->year_incorporated)
            return PRECONDITION("org_id", "the tender requires %u years active and %s's year of "
                                          "incorporation is not known", e->min_years_active, id);
        if ((int64_t)year - org->year_incorporated < (int64_t)e->min_years_active)
            return PRECONDITION("org_id", "the tender requires %u years active; %s was incorporated in %u",
                                e->min_years_active, id, org->year_incorporated);
    }
    return 0;
}

int tender_check_conflict(const Tendering__Process *p, const Tendering__Evaluator *ev, hub_error_t *err)
{
    if (!p || !ev) return 0;
    for (size_t i = 0; i < p->n_bids; i++) {
        const Tendering__Bid *b = p->bids[i];
        if (!b || b->state == TENDERING__BID_STATE__BID_WITHDRAWN || !s_set(b->org_id)) continue;
        bool linked = s_eq(ev->id, b->org_id);
        for (size_t k = 0; k < ev->n_affiliations && !linked; k++) linked = s_eq(ev->affiliations[k], b->org_id);
        if (linked)
            return DENIED("evaluator_id", "evaluator %s is linked to bidder %s (%s): conflict of interest",
                          s_str(ev->id), s_set(b->org_name) ? b->org_name : b->org_id, b->org_id);
    }
    return 0;
}

int tender_validate_score(const Tendering__Process *p, const Tendering__Score *s, hub_error_t *err)
{
    char f[128];
    if (!p || !s) return INVALID("score", "score is missing");
    if (s->n_points != p->n_criteria)
        return INVALID("score.points", "%zu points given for %zu criteria (one per criterion, in order)",
                       s->n_points, p->n_criteria);
    for (size_t i = 0; i < s->n_points; i++)
        if (s->points[i] > S_MAX_POINTS)
            return INVALID((snprintf(f, sizeof f, "score.points[%zu]", i), f), "points are 0 to %d, not %u",
                           S_MAX_POINTS, s->points[i]);
    if (!s_len_ok(s->comment, TENDER_MAX_TEXT))
        return INVALID("score.comment", "a comment is at most %d bytes", TENDER_MAX_TEXT);
    const Tendering__Evaluator *ev = tender_find_evaluator(p, s->evaluator_id);
    if (!ev) return NOTFOUND("score.evaluator_id", "%s is not an evaluator of this tender", s_str(s->evaluator_id));
    if (ev->recused) return PRECONDITION("score.evaluator_id", "evaluator %s has recused", ev->id);
    if (!ev->declared)
        return PRECONDITION("score.evaluator_id", "evaluator %s has not declared no conflict of interest", ev->id);
    const Tendering__Bid *b = tender_find_bid(p, s->bid_id);
    if (!b) return NOTFOUND("score.bid_id", "no bid %s in this tender", s_str(s->bid_id));
    if (b->state != TENDERING__BID_STATE__BID_VALID)
        return PRECONDITION("score.bid_id", "bid %s is %s", b->id,
                            b->state == TENDERING__BID_STATE__BID_WITHDRAWN ? "withdrawn"
                            : b->state == TENDERING__BID_STATE__BID_DISQUALIFIED ? "disqualified"
                                                                                  : "not valid");
    return 0;
}

/* ---------------------------------------------------------------- lookups */

Tendering__Bid *tender_find_bid(const Tendering__Process *p, const char *bid_id)
{
    if (!p || !s_set(bid_id)) return NULL;
    for (size_t i = 0; i < p->n_bids; i++)
        if (p->bids[i] && s_eq(p->bids[i]->id, bid_id)) return p->bids[i];
    return NULL;
}

Tendering__Bid *tender_valid_bid_of(const Tendering__Process *p, const char *org_id)
{
    if (!p || !s_set(org_id)) return NULL;
    for (size_t i = 0; i < p->n_bids; i++) {
        Tendering__Bid *b = p->bids[i];
        if (b && b->state == TENDERING__BID_STATE__BID_VALID && s_eq(b->org_id, org_id)) return b;
    }
    return NULL;
}

Tendering__Evaluator *tender_find_evaluator(const Tendering__Process *p, const char *id)
{
    if (!p || !s_set(id)) return NULL;
    for (size_t i = 0; i < p->n_evaluators; i++)
        if (p->evaluators[i] && s_eq(p->evaluators[i]->id, id)) return p->evaluators[i];
    return NULL;
}

Tendering__Milestone *tender_find_milestone(const Tendering__Process *p, const char *id)
{
    if (!p || !p->contract || !s_set(id)) return NULL;
    for (size_t i = 0; i < p->contract->n_milestones; i++)
        if (p->contract->milestones[i] && s_eq(p->contract->milestones[i]->id, id))
            return p->contract->milestones[i];
    return NULL;
}

Tendering__Enquiry *tender_find_enquiry(const Tendering__Process *p, const char *id)
{
    if (!p || !s_set(id)) return NULL;
    for (size_t i = 0; i < p->n_enquiries; i++)
        if (p->enquiries[i] && s_eq(p->enquiries[i]->id, id)) return p->enquiries[i];
    return NULL;
}

size_t tender_valid_bids(const Tendering__Process *p)
{
    size_t n = 0;
    for (size_t i = 0; p && i < p->n_bids; i++)
        n += p->bids[i] && p->bids[i]->state == TENDERING__BID_STATE__BID_VALID;
    return n;
}

/* ---------------------------------------------------------------- scoring */

uint32_t tender_weighted_centi(const Tendering__Process *p, const Tendering__Score *s)
{
    if (!p || !s) return 0;
    uint64_t sum = 0;
    for (size_t i = 0; i < s->n_points && i < p->n_criteria; i++)
        if (p->criteria[i]) sum += (uint64_t)s->points[i] * p->criteria[i]->weight;
    return sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}

/* True if scores[j] is replaced by a later score of the same evaluator on
 * the same bid (the last one counts). */
static bool s_superseded(const Tendering__Process *p, size_t j)
{
    const Tendering__Score *s = p->scores[j];
    for (size_t k = j + 1; k < p->n_scores; k++) {
        const Tendering__Score *t = p->scores[k];
        if (t && s_eq(t->bid_id, s->bid_id) && s_eq(t->evaluator_id, s->evaluator_id)) return true;
    }
    return false;
}

/* True if evaluator ev_id has a score on bid bid_id. */
static bool s_scored(const Tendering__Process *p, const char *ev_id, const char *bid_id)
{
    for (size_t k = 0; k < p->n_scores; k++) {
        const Tendering__Score *t = p->scores[k];
        if (t && s_eq(t->bid_id, bid_id) && s_eq(t->evaluator_id, ev_id)) return true;
    }
    return false;
}

/* True if valid bid a ranks before valid bid b: higher total, then lower
 * price, then earlier submission, then the smaller id. */
static bool s_better(const Tendering__Bid *a, const Tendering__Bid *b)
{
    if (a->total_centi != b->total_centi) return a->total_centi > b->total_centi;
    if (a->price_fen != b->price_fen) return a->price_fen < b->price_fen;
    if (a->submitted_ms != b->submitted_ms) return a->submitted_ms < b->submitted_ms;
    return strcmp(s_str(a->id), s_str(b->id)) < 0;
}

size_t tender_rank(Tendering__Process *p, bool *complete)
{
    if (complete) *complete = false;
    if (!p) return 0;
    for (size_t i = 0; i < p->n_bids; i++) {
        Tendering__Bid *b = p->bids[i];
        if (!b) continue;
        uint64_t sum = 0, count = 0;
        for (size_t j = 0; j < p->n_scores; j++) {
            if (!p->scores[j] || !s_eq(p->scores[j]->bid_id, b->id) || s_superseded(p, j)) continue;
            sum += tender_weighted_centi(p, p->scores[j]);
            count++;
        }
        /* mean rounded half up: floor((2 sum + count) / (2 count)) */
        b->total_centi = count ? (uint32_t)((2 * sum + count) / (2 * count)) : 0;
    }
    size_t valid = 0;
    for (size_t i = 0; i < p->n_bids; i++) {
        Tendering__Bid *b = p->bids[i];
        if (!b) continue;
        b->rank = 0;
        if (b->state != TENDERING__BID_STATE__BID_VALID) continue;
        valid++;
        uint32_t before = 0;
        for (size_t k = 0; k < p->n_bids; k++) {
            const Tendering__Bid *o = p->bids[k];
            if (k != i && o && o->state == TENDERING__BID_STATE__BID_VALID && s_better(o, b)) before++;
        }
        b->rank = before + 1;
    }
    if (complete) {
        size_t declared = 0;
        bool all = true;
        for (size_t e = 0; e < p->n_evaluators; e++) {
            const Tendering__Evaluator *ev = p->evaluators[e];
            if (!ev || ev->recused) continue;
            if (!ev->declared) {
                all = false;
                continue;
            }
            declared++;
            for (size_t i = 0; i < p->n_bids && all; i++) {
                const Tendering__Bid *b = p->bids[i];
                if (b && b->state == TENDERING__BID_STATE__BID_VALID && !s_scored(p, ev->id, b->id)) all = false;
            }
        }
        *complete = declared > 0 && all;
    }
    return valid;
}

/* ------------------------------------------------------------------ money */

int tender_split(int64_t amount, const int64_t *weights, size_t n, int64_t *parts)
{
    if (n == 0 || amount < 0 || !weights || !parts) return -1;
    /* n weights of at most 2^63 each: the sum fits in 127 bits for any size_t n. */
    __int128 total = 0;
    for (size_t i = 0; i < n; i++) {
        if (weights[i] < 0) return -1;
        total += weights[i];
    }
    if (total == 0) return -1;
    /* floor shares; amount x weight < 2^126 fits __int128 */
    int64_t given = 0;
    for (size_t i = 0; i < n; i++) {
        parts[i] = (int64_t)((__int128)amount * weights[i] / total);
        given += parts[i];
    }
    /* The left-over fen (fewer than n) go one each to the largest
     * remainders, ties to the lower index: i gets one when fewer than
     * left-over others rank before it. O(n^2) without extra memory. */
    int64_t left = amount - given;
    if (left > 0) {
        for (size_t i = 0; i < n; i++) {
            __int128 ri = (__int128)amount * weights[i] % total;
            int64_t ahead = 0;
            for (size_t j = 0; j < n && ahead < left; j++) {
                if (j == i) continue;
                __int128 rj = (__int128)amount * weights[j] % total;
                if (rj > ri || (rj == ri && j < i)) ahead++;
            }
            if (ahead < left) parts[i]++;
        }
    }
    return 0;
}

void tender_format_fen(int64_t fen, char *out, size_t len)
{
    if (!out || !len) return;
    /* the magnitude as unsigned, so INT64_MIN works too */
    uint64_t u = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    snprintf(out, len, "%s%llu.%02llu", fen < 0 ? "-" : "", (unsigned long long)(u / 100),
             (unsigned long long)(u % 100));
}

int tender_parse_yuan(const char *s, int64_t *fen)
{
    if (!s || !isdigit((unsigned char)*s)) return -1;
    int64_t yuan = 0;
    for (; isdigit((unsigned char)*s); s++) {
        yuan = yuan * 10 + (*s - '0');
        if (yuan > TENDER_MAX_FEN / 100) return -1; /* stops before int64 could overflow */
    }
    int64_t cents = 0;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)s[0])) return -1;
        cents = (s[0] - '0') * 10;
        s++;
        if (isdigit((unsigned char)*s)) cents += *s++ - '0';
    }
    if (*s) return -1;
    int64_t v = yuan * 100 + cents;
    if (v > TENDER_MAX_FEN) return -1;
    if (fen) *fen = v;
    return 0;
}

/* ----------------------------------------------------------------- ledger */

/* The account kinds; debit-normal ones are assets and expenses. */
static const struct {
    const char *prefix;
    bool debit_normal;
} s_accounts[] = {
    {"fund:", true},
    {"contrib:", false},
    {"paid:", true},
    {"disbursed:", true},
};

/* Index of name's kind in s_accounts, or -1; *id gets what follows the prefix. */
static int s_account_kind(const char *name, const char **id)
{
    for (size_t i = 0; name && i < sizeof s_accounts / sizeof s_accounts[0]; i++) {
        size_t n = strlen(s_accounts[i].prefix);
        if (!strncmp(name, s_accounts[i].prefix, n)) {
            if (id) *id = name + n;
            return (int)i;
        }
    }
    return -1;
}

bool ledger_account_valid(const char *name)
{
    const char *id = NULL;
    return s_account_kind(name, &id) >= 0 && s_id_ok(id, S_LEDGER_MAX_ID);
}

bool ledger_debit_normal(const char *name)
{
    int k = s_account_kind(name, NULL);
    return k >= 0 && s_accounts[k].debit_normal;
}

int64_t ledger_balance(const char *name, int64_t debit_fen, int64_t credit_fen)
{
    return ledger_debit_normal(name) ? debit_fen - credit_fen : credit_fen - debit_fen;
}

int ledger_check_entry(const Tendering__Entry *e, hub_error_t *err)
{
    char f[128], a[32], b[32];
    if (!e) return INVALID("entry", "entry is missing");
    if (e->kind < TENDERING__ENTRY_KIND__CONTRIBUTION || e->kind > TENDERING__ENTRY_KIND__DISBURSEMENT)
        return INVALID("entry.kind", "an entry needs a kind");
    if (!s_set(e->source_id) || !s_len_ok(e->source_id, TENDER_MAX_NAME))
        return INVALID("entry.source_id", "an entry needs a source id of 1 to %d bytes", TENDER_MAX_NAME);
    if (e->n_lines < 2) return INVALID("entry.lines", "an entry needs at least two lines, not %zu", e->n_lines);
    /* each line is at most TENDER_MAX_FEN, so 2^63 / 1e14 lines could not
     * overflow; __int128 keeps it exact whatever n_lines is */
    __int128 debits = 0, credits = 0;
    for (size_t i = 0; i < e->n_lines; i++) {
        const Tendering__Line *l = e->lines[i];
        if (!l) return INVALID((snprintf(f, sizeof f, "entry.lines[%zu]", i), f), "line missing");
        if (!ledger_account_valid(l->account))
            return INVALID((snprintf(f, sizeof f, "entry.lines[%zu].account", i), f),
                           "\"%.100s\" is not an account (fund:, contrib:, paid: or disbursed: and an id)",
                           s_str(l->account));
        if (l->debit_fen < 0 || l->credit_fen < 0 || (l->debit_fen > 0) == (l->credit_fen > 0))
            return INVALID((snprintf(f, sizeof f, "entry.lines[%zu]", i), f),
                           "a line has exactly one of debit and credit, above 0");
        if (l->debit_fen > TENDER_MAX_FEN || l->credit_fen > TENDER_MAX_FEN)
            return INVALID((snprintf(f, sizeof f, "entry.lines[%zu]", i), f),
                           "a line is at most 1000000000000 yuan");
        debits += l->debit_fen;
        credits += l->credit_fen;
    }
    if (debits != credits) {
        /* shown only when they fit; otherwise the message says so plainly */
        if (debits <= INT64_MAX && credits <= INT64_MAX) {
            tender_format_fen((int64_t)debits, a, sizeof a);
            tender_format_fen((int64_t)credits, b, sizeof b);
            return INVALID("entry.lines", "debits (%s yuan) and credits (%s yuan) differ", a, b);
        }
        return INVALID("entry.lines", "debits and credits differ");
    }
    return 0;
}

/* ---------------------------------------------------------- public outputs */

/* Bytes of the UTF-8 character at s (1..4), 0 when it is not one valid
 * character (or is a control byte). */
static size_t s_utf8_char(const char *s)
{
    unsigned char c = (unsigned char)*s;
    size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (!n || (n == 1 && (c < ' ' || c == 0x7f))) return 0;
    if (strnlen(s, n) < n || !hub_utf8_valid(s, n)) return 0;
    return n;
}

void tender_mask_name(const char *name, char *out, size_t len)
{
    if (!out || !len) return;
    const char *s = s_str(name);
    while (*s == ' ' || *s == '\t') s++; /* "  王小明" is still 王** */
    char masked[8];
    size_t first = 1, n;
    if (!*s) {
        masked[0] = '*';
        n = 1;
    } else {
        size_t c = s_utf8_char(s);
        if (c) memcpy(masked, s, first = c);
        else masked[0] = '*'; /* not a readable character: nothing of it shows */
        memcpy(masked + first, "**", 2);
        n = first + 2;
    }
    /* Fit into len - 1 bytes without splitting the first character; when
     * it does not fit whole, the stars alone would stand for nothing: "". */
    size_t room = len - 1;
    size_t take = n <= room ? n : room >= first ? room : 0;
    memcpy(out, masked, take);
    out[take] = 0;
}

Tendering__Process *tender_public_view(const Tendering__Process *p, bool panel, hub_arena_t *arena)
{
    if (!p || !arena) return NULL;
    Tendering__Process *v = hub_arena_alloc(arena, sizeof *v);
    Tendering__Bid **bids = hub_arena_alloc(arena, (p->n_bids + 1) * sizeof *bids);
    Tendering__Bid *copies = hub_arena_alloc(arena, (p->n_bids + 1) * sizeof *copies);
    Tendering__Evaluator **evs = hub_arena_alloc(arena, (p->n_evaluators + 1) * sizeof *evs);
    Tendering__Evaluator *ev_copies = hub_arena_alloc(arena, (p->n_evaluators + 1) * sizeof *ev_copies);
    if (!v || !bids || !copies || !evs || !ev_copies) return NULL;
    *v = *p;
    v->bid_count = (uint32_t)tender_valid_bids(p);
    /* Sealed while bids may not be read (PLANNING, ACTIVE, an unknown
     * state) and in a tender cancelled before its period closed. */
    bool sealed = tender_allowed(p->state, TA_READ_BIDS, NULL) != 0 &&
                  !(p->state == TENDERING__STATE__CANCELLED && p->bids_opened);
    /* The panel's work is public from the award on (not in a cancelled tender). */
    bool awarded = p->state == TENDERING__STATE__AWARD_PENDING || p->state == TENDERING__STATE__AWARDED ||
                   p->state == TENDERING__STATE__CONTRACTED || p->state == TENDERING__STATE__CLOSED ||
                   p->state == TENDERING__STATE__UNSUCCESSFUL;
    bool hide_panel = !panel && !awarded;
    size_t n = 0;
    for (size_t i = 0; i < p->n_bids; i++) {
        if (!p->bids[i]) continue;
        Tendering__Bid *b = &copies[n];
        *b = *p->bids[i];
        if (sealed || (!panel && b->state == TENDERING__BID_STATE__BID_WITHDRAWN)) {
            b->org_id = S_EMPTY;
            b->org_name = S_EMPTY;
            b->price_fen = 0;
            b->disqualified_reason = S_EMPTY;
        }
        if (sealed || !panel) {
            b->proposal = S_EMPTY;
            b->n_documents = 0;
        }
        if (sealed || hide_panel) b->total_centi = 0, b->rank = 0;
        bids[n++] = b;
    }
    v->bids = bids, v->n_bids = n;
    n = 0;
    for (size_t i = 0; i < p->n_evaluators && !hide_panel; i++) {
        if (!p->evaluators[i]) continue;
        ev_copies[n] = *p->evaluators[i];
        if (!panel) ev_copies[n].n_affiliations = 0;
        evs[n] = &ev_copies[n];
        n++;
    }
    v->evaluators = evs, v->n_evaluators = n;
    if (hide_panel) v->n_scores = 0;
    return v;
}

/* ---- personal data ---- */

int tender_subject_valid(const Tendering__Subject *s)
{
    char d[HUB_PHONE_DIGITS];
    if (!s) return -1;
    return hub_phone_norm(s->phone, d, sizeof d) || *s_str(s->email) || *s_str(s->name) ? 0 : -1;
}

bool tender_donation_is_of(const Tendering__Donation *d, const Tendering__Subject *s)
{
    if (!d || tender_subject_valid(s) || d->anonymous || !*s_str(s->name)) return false;
    return !strcmp(s_str(d->donor_name), s->name);
}

bool tender_disbursement_is_of(const Tendering__Disbursement *d, const Tendering__Subject *s)
{
    char a[HUB_PHONE_DIGITS], b[HUB_PHONE_DIGITS];
    if (!d || tender_subject_valid(s) || !hub_phone_norm(s->phone, a, sizeof a)) return false;
    if (!hub_phone_norm(d->recipient_phone, b, sizeof b) || strcmp(a, b)) return false;
    return !*s_str(s->name) || !strcmp(s_str(d->recipient_name), s->name);
}

void tender_donation_erase(Tendering__Donation *d)
{
    d->donor_name = d->memo = "";
    d->anonymous = true;
}

void tender_disbursement_erase(Tendering__Disbursement *d)
{
    d->recipient_name = d->recipient_phone = d->recipient_address = "";
}
