/* tender: the tendering daemon's domain rules as plain functions over the
 * protobuf structs of tendering.proto: the process state machine, draft
 * and command validation, eligibility and conflict-of-interest checks,
 * weighted scoring and ranking, proportional splitting of money between
 * funders, the ledger's entry rules, and the masking of public outputs.
 * Nothing here touches a socket or the store; tests call it directly.
 * Money is always int64 fen (1 yuan = 100 fen), never floating point. */
#ifndef TENDER_H
#define TENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hub_wire.h"
#include "tendering.pb-c.h"

#define TENDER_MAX_CRITERIA 16
#define TENDER_MAX_DOCUMENTS 32
#define TENDER_MAX_FUNDERS 16
#define TENDER_MAX_BIDS 100
#define TENDER_MAX_EVALUATORS 20
#define TENDER_MAX_ENQUIRIES 200
#define TENDER_MAX_AMENDMENTS 50
#define TENDER_MAX_MILESTONES 50
#define TENDER_MAX_PAYMENTS 200
#define TENDER_MAX_REPORTS 50            /* progress reports per milestone */
#define TENDER_MAX_AFFILIATIONS 32
#define TENDER_MAX_FEN 100000000000000LL /* 1e12 yuan: bound of every amount */
#define TENDER_MAX_TEXT 8192             /* bytes of a description, proposal, answer */
#define TENDER_MAX_NAME 256              /* bytes of a title or name */

/* What a command does to a process; the state machine says where each is legal. */
typedef enum {
    TA_UPDATE,          /* edit the draft */
    TA_PUBLISH,
    TA_AMEND,
    TA_ENQUIRY_ASK,
    TA_ENQUIRY_ANSWER,
    TA_BID,
    TA_BID_WITHDRAW,
    TA_CLOSE_PERIOD,    /* the stored deadline fired */
    TA_EVALUATOR_ADD,
    TA_DECLARE,
    TA_SCORE,
    TA_DISQUALIFY,
    TA_AWARD,
    TA_ACTIVATE,
    TA_SIGN,
    TA_MILESTONE,
    TA_PAYMENT,
    TA_TERMINATE,
    TA_CANCEL,
    TA_READ_BIDS,       /* read a bid's content (sealed before EVALUATION) */
    TA__COUNT
} tender_action_t;

/* An id that becomes part of a ledger account or a store key:
 * [A-Za-z0-9._-]{1,100}. */
bool tender_id_ok(const char *id);
/* A funder's (or buyer's) id: tender_id_ok and not "donations" nor
 * "donors", which name the donation box's accounts. */
bool tender_funder_id_ok(const char *id);

/* Lower-case names ("planning", "award-pending"; "publish", ...). Static. */
const char *tender_state_name(Tendering__State s);
const char *tender_action_name(tender_action_t a);

/* 0 if action is legal in state s; else -1 with err FAILED_PRECONDITION,
 * field "state", message naming the action and the current state (e.g.
 * "cannot publish: the tender is active"). For TA_READ_BIDS the message
 * says the bids are sealed until the tender period ends. */
int tender_allowed(Tendering__State s, tender_action_t a, hub_error_t *err);

/* The state after a legal action: TA_PUBLISH -> ACTIVE; TA_CLOSE_PERIOD ->
 * EVALUATION, or UNSUCCESSFUL when !has_valid_bid; TA_AWARD ->
 * AWARD_PENDING, or UNSUCCESSFUL when !has_valid_bid; TA_ACTIVATE ->
 * AWARDED; TA_SIGN -> CONTRACTED; TA_TERMINATE -> CLOSED; TA_CANCEL ->
 * CANCELLED; every other action leaves s unchanged. */
Tendering__State tender_next(Tendering__State s, tender_action_t a, bool has_valid_bid);

/* True in UNSUCCESSFUL, CLOSED, CANCELLED. */
bool tender_state_final(Tendering__State s);

/* ---- validation (err->field is the dotted path, e.g. "process.criteria[1].weight") ---- */

/* A draft as given to create/update: title (1..TENDER_MAX_NAME bytes),
 * buyer_id and buyer_name, kind set, budget 1..TENDER_MAX_FEN, 1..16
 * criteria with non-empty names and weights summing to 100, documents
 * valid, eligibility legal forms 1..4, funders: PURCHASE has none (the
 * buyer is implied) or exactly one with the whole budget; VENTURE has
 * 1..16 with distinct non-empty ids, shares > 0 summing to the budget.
 * tender_end_ms, when set, > 0. INVALID_ARGUMENT otherwise. */
int tender_validate_draft(const Tendering__Process *p, hub_error_t *err);

/* A document: title non-empty, url http(s)://, sha256 empty or 64 hex
 * digits, document_type empty or a code of OCDS's documentType codelist.
 * field is the path prefix. */
int tender_validate_document(const Tendering__Document *d, const char *field, hub_error_t *err);

/* Whether org may bid under e in the given calendar year: members_only ->
 * membership APPROVED (2); legal_forms (when any) contains org's;
 * min_years_active -> year_incorporated set and year - year_incorporated
 * >= min. -1 with err FAILED_PRECONDITION (field "org_id") saying which
 * rule failed. */
int tender_check_eligible(const Tendering__Eligibility *e, const Tendering__Org *org, int year,
                          hub_error_t *err);

/* Conflict of interest: -1 with err PERMISSION_DENIED (field
 * "evaluator_id") naming the bidder when any of ev's affiliations (or its
 * id) is the org of a bid of p that is not withdrawn; 0 otherwise. */
int tender_check_conflict(const Tendering__Process *p, const Tendering__Evaluator *ev, hub_error_t *err);

/* A score: one point value 0..100 per criterion of p, for a valid bid of
 * p, by an evaluator of p who has declared. INVALID_ARGUMENT, NOT_FOUND or
 * FAILED_PRECONDITION with err. */
int tender_validate_score(const Tendering__Process *p, const Tendering__Score *s, hub_error_t *err);

/* ---- lookups (NULL / -1 when absent) ---- */
Tendering__Bid *tender_find_bid(const Tendering__Process *p, const char *bid_id);
/* The org's bid that is BID_VALID, or NULL. */
Tendering__Bid *tender_valid_bid_of(const Tendering__Process *p, const char *org_id);
Tendering__Evaluator *tender_find_evaluator(const Tendering__Process *p, const char *id);
Tendering__Milestone *tender_find_milestone(const Tendering__Process *p, const char *id);
Tendering__Enquiry *tender_find_enquiry(const Tendering__Process *p, const char *id);
/* Number of BID_VALID bids. */
size_t tender_valid_bids(const Tendering__Process *p);

/* ---- scoring ---- */

/* Weighted total of one score x100: sum(points[i] * weight[i]) (0..10000,
 * weights summing to 100). */
uint32_t tender_weighted_centi(const Tendering__Process *p, const Tendering__Score *s);

/* Sets every bid's total_centi (mean over the evaluators who scored it,
 * rounded half up) and rank (1.. for valid bids, best first: higher total,
 * then lower price, then earlier submission, then bid id; 0 for the
 * others). Returns the number of valid bids. *complete (may be NULL) tells
 * whether every evaluator of the panel who has not recused has declared and
 * scored every valid bid, and at least one has. */
size_t tender_rank(Tendering__Process *p, bool *complete);

/* ---- money ---- */

/* Splits amount (>= 0) in proportion to weights[0..n) (each >= 0, sum > 0)
 * into parts[0..n) summing exactly to amount: floor shares, then the
 * remaining fen one each to the largest remainders (ties: lower index).
 * 0, or -1 when n == 0, a weight < 0, the sum is 0, or it would overflow. */
int tender_split(int64_t amount, const int64_t *weights, size_t n, int64_t *parts);

/* "12345.67" style text of fen ("-0.05" for -5). out gets at most len bytes. */
void tender_format_fen(int64_t fen, char *out, size_t len);
/* Parses "123", "123.4", "123.45" yuan (no sign, no exponent, at most two
 * decimals, at most TENDER_MAX_FEN) into fen. 0 or -1. */
int tender_parse_yuan(const char *s, int64_t *fen);

/* ---- ledger ---- */

/* An account name: "fund:<id>", "contrib:<id>", "paid:<id>" or
 * "disbursed:<id>", id 1..100 bytes of [A-Za-z0-9._-]. */
bool ledger_account_valid(const char *name);
/* fund: and paid: and disbursed: are debit-normal (assets, expenses);
 * contrib: is credit-normal. */
bool ledger_debit_normal(const char *name);
/* The balance in the account's normal direction. */
int64_t ledger_balance(const char *name, int64_t debit_fen, int64_t credit_fen);
/* An entry is well formed: kind set, source_id non-empty, >= 2 lines, each
 * with a valid account and exactly one of debit/credit > 0 (<=
 * TENDER_MAX_FEN), and total debits == total credits. INVALID_ARGUMENT. */
int ledger_check_entry(const Tendering__Entry *e, hub_error_t *err);

/* ---- public outputs ---- */

/* The masked form of a person's name: its first character (UTF-8) followed
 * by "**" ("王小明" -> "王**", "Li Lei" -> "L**"); "*" for an empty name. */
void tender_mask_name(const char *name, char *out, size_t len);

/* The view of p a reply or an event may carry, as a shallow copy in arena
 * (p is not changed; the copy shares p's strings; NULL on OOM). Always:
 * while the bids are sealed (PLANNING, ACTIVE, an unknown state, CANCELLED
 * unless bids_opened) every bid's org,
 * price, proposal and documents are blank (only id, state and times stay;
 * bid_count tells how many are valid). With panel false (the public:
 * events, any principal) also a withdrawn bid's org and price, every bid's
 * proposal and documents, the evaluators' affiliations, and
 * until the award (any state but AWARD_PENDING, AWARDED, CONTRACTED,
 * CLOSED, UNSUCCESSFUL) the panel itself: evaluators, scores, totals and ranks. panel true is the view of
 * operators and auditors. Blank strings point to a static "". */
Tendering__Process *tender_public_view(const Tendering__Process *p, bool panel, hub_arena_t *arena);

/* ---- personal data (README "Personal data (PIPL)") ---- */

/* 0 when s gives something to look for (a phone with digits, an e-mail or
 * a name); -1 when s is NULL or empty. */
int tender_subject_valid(const Tendering__Subject *s);
/* True when donation d's donor is the subject: s gives a name and it
 * equals the donor's (not anonymous). A donor has only a name, so this is
 * a weak match: two people may share one. */
bool tender_donation_is_of(const Tendering__Donation *d, const Tendering__Subject *s);
/* True when disbursement d's recipient is the subject: s gives a phone
 * equal to the recipient's (by hub_phone_norm) and, when s gives a name,
 * the name is the recipient's too. A recipient without a phone is never
 * matched. */
bool tender_disbursement_is_of(const Tendering__Disbursement *d, const Tendering__Subject *s);
/* Removes the donor's identity in place: name and memo blank (a memo may
 * name the donor), anonymous set; id, amount, entry and date stay.
 * Strings become static "". Idempotent. */
void tender_donation_erase(Tendering__Donation *d);
/* Removes the recipient's name, phone and address in place (static "");
 * id, street, purpose, amount, entry and date stay. Idempotent. */
void tender_disbursement_erase(Tendering__Disbursement *d);

#endif
