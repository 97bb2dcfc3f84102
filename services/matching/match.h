/* match: the domain rules of the resource library and of referrals, as
 * plain functions over plain structs and the protobuf records. No sockets,
 * no store: the unit tests call these directly, the daemon's handlers
 * (matching_svc.c) call them inside a transaction.
 *
 * Candidates are kept in the store's candidate index as match_cand_t
 * summaries (one per service x area of an approved provider), so a
 * decision reads fixed-size structs, never whole records. */
#ifndef MATCH_H
#define MATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "catalogue.h"
#include "hub_wire.h"
#include "intake.pb-c.h"
#include "matching.pb-c.h"

/* Field limits (bytes of UTF-8 unless said otherwise). */
#define MATCH_MAX_ID 23          /* [A-Za-z0-9._-]{1,23} */
#define MATCH_MAX_NAME 128
#define MATCH_MAX_TEXT 2000      /* description, reasons */
#define MATCH_MAX_SHORT 128      /* phone, email, url, fee, title, certification... */
#define MATCH_MAX_LIST 32        /* services, areas, slots, contacts, skills, languages, groups */
#define MATCH_MAX_OFFERS 20      /* candidates tried before the operator queue */
#define MATCH_MAX_HISTORY 100
#define MATCH_MAX_CAPACITY 100000
#define MATCH_TOP 20             /* candidates kept by a decision / explain */
#define MATCH_AREA_ALL "*"       /* an area that stands for the whole district */

/* ---------------------------------------------------------------- validation */

/* True if code is a valid 统一社会信用代码 (GB 32100-2015): 18 characters
 * of 0-9 and A-Z without I, O, S, V, Z; the 9-character organization code
 * (positions 9-17) with its GB 11714 check character, and position 18 the
 * check character over the first 17 (weights 3^i mod 31). */
bool match_credit_code_valid(const char *code);

/* Checks an organization submitted by an operator or an import against
 * the catalogue (service codes, areas) and the field rules: id pattern
 * when given, name 1..MATCH_MAX_NAME, credit code valid (required unless
 * COMMUNITY_GROUP), legal form and membership and cost in range, lists
 * bounded, slots valid, languages and groups known, ages ordered,
 * capacity available <= maximum <= MATCH_MAX_CAPACITY, last_verified
 * YYYY-MM-DD, year_incorporated 0 or 1900..2100. Fills defaults in place: membership APPLIED, cost FREE.
 * Stats are not inputs and are ignored. 0, or -1 with err
 * (INVALID_ARGUMENT + field path such as "org.services[2]"). */
int match_validate_org(const intake_catalogue_t *cat, Matching__Organization *o, hub_error_t *err);

/* The same for a volunteer: name, at least one skill with a known service,
 * areas, availability slots, languages, max_open_cases 1..100. Fills
 * membership APPLIED. Field paths start with "volunteer.". */
int match_validate_volunteer(const intake_catalogue_t *cat, Matching__Volunteer *v,
                             hub_error_t *err);

/* The membership state machine: APPLIED -> APPROVED | WITHDRAWN;
 * APPROVED -> SUSPENDED | WITHDRAWN; SUSPENDED -> APPROVED | WITHDRAWN;
 * WITHDRAWN -> APPLIED (re-application). 0, or -1 with err
 * (FAILED_PRECONDITION naming both states; INVALID_ARGUMENT for an
 * unspecified or out-of-range target). */
int match_membership_transition(Matching__Membership from, Matching__Membership to,
                                hub_error_t *err);

/* Bit of a known language code ("zh", "en", "ja", "ko", "fr", "de", "es",
 * "ru", "ar", "pt", "it", "vi", "th", "wuu" (吴语/宁波话), "yue", "sgn"
 * (sign language)), a BCP 47 tag's primary subtag counts ("zh-CN" is zh);
 * 0 if unknown. */
uint32_t match_lang_bit(const char *code);
/* Bit of a known group ("elderly", "disabled", "children", "youth",
 * "women", "low-income", "migrants", "veterans", "families"); 0 if unknown. */
uint32_t match_group_bit(const char *group);

/* ---------------------------------------------------------------- candidates */

/* A provider as the matcher sees it: the candidate index's fixed-size
 * value (an LMDB DUPFIXED duplicate under its service x area key, sorted
 * by bytes: kind and id first, so a provider's entry is found by them).
 * Always memset to 0 before filling: padding bytes are compared. */
typedef struct {
    uint8_t kind;            /* MATCHING__PROVIDER_KIND__ORGANIZATION | __VOLUNTEER */
    char id[MATCH_MAX_ID + 1];
    uint8_t cost;            /* MATCHING__COST__FREE | __LOW_COST */
    uint8_t has_hours;       /* 0: no slots given, available any time */
    uint8_t pad[5];          /* explicit: the value is compared as bytes */
    uint32_t available;      /* units free now (volunteers: max - open cases) */
    uint32_t maximum;
    uint32_t min_age, max_age; /* 0 = no bound */
    uint32_t groups;         /* match_group_bit mask, 0 = everyone */
    uint32_t langs;          /* match_lang_bit mask, 0 = zh only */
    uint32_t offers, accepted, completed, got_help;
    uint8_t week[42];        /* 336 half-hour slots from Monday 00:00 CST */
} match_cand_t;
#define MATCH_CAND_KEY_BYTES 25   /* kind + id: what identifies an entry */

/* Fill c from a record (validated). Pure. */
void match_cand_from_org(const Matching__Organization *o, match_cand_t *c);
void match_cand_from_volunteer(const Matching__Volunteer *v, match_cand_t *c);

/* What a request needs, taken from its referral. */
typedef struct {
    const char *service;     /* borrowed */
    const char *street;      /* borrowed */
    int urgency;             /* INTAKE__URGENCY__*, 0 = NORMAL */
    uint32_t lang;           /* one match_lang_bit, or 0 for zh */
    uint32_t groups;         /* groups of the person helped */
    uint32_t age;            /* 0 = unknown */
    bool vulnerable;         /* groups != 0 */
    int64_t now_ms;
    /* set by match_need_prepare: the CST week slots open "now" and within
     * the urgency window, so a filter is a few mask ANDs, not a loop */
    bool prepared;
    uint8_t now_mask[42], window_mask[42];
} match_need_t;

/* Fill n from a referral (pointers borrowed from r) and prepare it. */
void match_need_from_referral(const Matching__Referral *r, int64_t now_ms, match_need_t *n);
/* Computes the slot masks of n from now_ms and urgency (call again after
 * changing them). Filter and score give the same answers with or without
 * it; prepared needs are faster. */
void match_need_prepare(match_need_t *n);

/* Why a candidate is left out. */
typedef enum {
    MATCH_FIT = 0,
    MATCH_NO_CAPACITY,       /* available == 0 */
    MATCH_LANGUAGE,          /* does not speak the request's language */
    MATCH_AGE,               /* age known and outside [min_age, max_age] */
    MATCH_GROUP,             /* serves only groups the person is not in */
    MATCH_NOT_AVAILABLE,     /* no open slot within the urgency window */
    MATCH_ALREADY_TRIED,     /* declined or let this request's offer expire */
    MATCH_REASONS
} match_reason_t;
const char *match_reason_name(match_reason_t r); /* "no_capacity", ... */

/* How long a request may wait for help: EMERGENCY 4 h, HIGH 24 h, NORMAL
 * (and unspecified) 72 h, LOW 7 days. */
int64_t match_urgency_window_ms(int urgency);
/* How long an offer waits for an answer: EMERGENCY 15 min, HIGH 2 h,
 * NORMAL 24 h, LOW 48 h; override_s > 0 replaces it (configuration). */
int64_t match_offer_timeout_ms(int urgency, int64_t override_s);
/* True if c has an open half-hour slot in [from_ms, from_ms + window_ms)
 * (CST week), or has no slots at all. */
bool match_open_within(const match_cand_t *c, int64_t from_ms, int64_t window_ms);
/* Sets the bits of a slot list into week[42]; returns has_hours. */
int match_week_fill(uint8_t week[42], Matching__TimeSlot *const *slots, size_t n);

/* The filter (everything but "already tried", which the caller knows). */
match_reason_t match_filter(const match_need_t *n, const match_cand_t *c);

/* One term of a score, for explain. */
typedef struct {
    const char *name;        /* static: "area", "load", "acceptance", "outcome", "cost", "urgency" */
    double points;
    char detail[96];
} match_factor_t;
#define MATCH_FACTORS 6

/* The score of a fitting candidate (higher is better, 0..100):
 *   area       30 same street, 10 district-wide ("*") or another listed area
 *   load       20 x available / maximum (spread the work)
 *   acceptance 15 x (accepted + 1) / (offers + 2)
 *   outcome    15 x (got_help + 1) / (completed + 2)
 *   cost       10 free for a vulnerable person (0 low-cost); 5 for others either way
 *   urgency    10 open now for HIGH/EMERGENCY, 5 open within the window; 5 for others
 * f (may be NULL) gets the MATCH_FACTORS terms in this order. */
double match_score(const match_need_t *n, const match_cand_t *c, bool same_street,
                   match_factor_t f[MATCH_FACTORS]);

/* Orders candidates best first: score, then more available, then id. */
typedef struct {
    match_cand_t cand;
    double score;
    bool same_street;
} match_scored_t;
int match_scored_cmp(const void *a, const void *b);

/* ---------------------------------------------------------------- referrals */

/* Builds a referral for an accepted intake request: request id, service,
 * street, urgency, language, requester kind, the groups of the person
 * helped (elderly-care: elderly; disability: disabled; children-autism and
 * tutoring: children; hardship-relief and employment: low-income) and age
 * (attribute "age" or "child_age" when a whole number 0..150). Strings are
 * borrowed from req, arrays allocated from arena. Status REQUESTED. */
void match_referral_init(Matching__Referral *ref, const Intake__Request *req, int64_t now_ms,
                         hub_arena_t *arena);

/* The referral state machine. Actions:
 *   offer    REQUESTED|REJECTED -> REQUESTED   (a new offer)
 *   accept   REQUESTED -> ACCEPTED              (the offered provider)
 *   decline  REQUESTED -> REQUESTED             (next candidate; the caller
 *   expire   REQUESTED -> REQUESTED              moves to REJECTED if none)
 *   unmatched REQUESTED -> REJECTED
 *   start    ACCEPTED|ON_HOLD -> IN_PROGRESS
 *   hold     ACCEPTED|IN_PROGRESS -> ON_HOLD
 *   resume   ON_HOLD -> IN_PROGRESS
 *   complete ACCEPTED|IN_PROGRESS|ON_HOLD -> COMPLETED (needs an outcome)
 *   assign   REQUESTED|REJECTED|ACCEPTED|IN_PROGRESS|ON_HOLD -> ACCEPTED
 *   withdraw any but COMPLETED|CANCELLED -> CANCELLED
 *   reopen   CANCELLED -> REQUESTED         (intake reopened the request)
 * 0 with *to, or -1 with err: INVALID_ARGUMENT for an unknown action,
 * FAILED_PRECONDITION naming the current state when illegal. */
int match_referral_transition(Matching__ReferralStatus from, const char *action,
                              Matching__ReferralStatus *to, hub_error_t *err);

/* The event topic of an action: "matching.referral.<past tense>", e.g.
 * accept -> "matching.referral.accepted", hold -> ".held",
 * unmatched -> ".unmatched", withdraw -> ".withdrawn". */
const char *match_referral_topic(const char *action);

/* ---------------------------------------------------------------- personal data */

/* README "Personal data (PIPL)": the library's people are volunteers and
 * organizations' contact persons; matching.subject.export / .erase
 * (matching_privacy.c) find and erase them with these. */
#define MATCH_ERASED_NAME "(erased)"   /* an erased volunteer's name */

/* 0 when s gives something sure to look for: a phone with digits or an
 * e-mail; -1 when s is NULL or gives neither (a name only narrows). */
int match_subject_valid(const Matching__Subject *s);
/* True when volunteer v (contact c) is the subject: every identifier s
 * gives matches v's (c's): the phone by its digits (hub_phone_norm), the
 * e-mail case-insensitively, the name exactly. False when s is not valid,
 * so an erased volunteer (no phone, no e-mail) is never found again. */
bool match_volunteer_is_of(const Matching__Volunteer *v, const Matching__Subject *s);
bool match_contact_is_of(const Matching__Contact *c, const Matching__Subject *s);
/* Blanks volunteer v's identifiers in place: name MATCH_ERASED_NAME,
 * phone, e-mail and every skill's licence number "" (static strings);
 * nothing else changes. Idempotent. What an old copy (an outbox event)
 * gets. */
void match_volunteer_blank(Matching__Volunteer *v);
/* Erases a stored volunteer in place: match_volunteer_blank, membership
 * WITHDRAWN (never offered: only APPROVED providers are), updated_ms
 * now_ms and erased_ms now_ms (kept when already set). The id,
 * affiliation, skills' services and certifications, areas, availability,
 * languages, eligibility, case load, stats, hours served and created time
 * stay, so referrals and figures still add up. Idempotent. */
void match_volunteer_erase(Matching__Volunteer *v, int64_t now_ms);
/* Removes from o's contacts list, in place and in order, the contact
 * persons who are the subject (match_contact_is_of); the array is o's
 * (shortened, not freed). Returns how many were removed. */
size_t match_org_remove_contacts(Matching__Organization *o, const Matching__Subject *s);
/* Keeps in o's contacts list only those also in now's (same name, title,
 * phone and e-mail), in place and in order; returns how many were
 * dropped. For an old copy of an organization (an outbox event) after
 * contact persons were removed: their data goes from the copy too. */
size_t match_org_keep_contacts(Matching__Organization *o, const Matching__Organization *now);
/* Blanks the provider name ("") wherever referral r names volunteer id:
 * its offers of kind VOLUNTEER to id, and its current provider when that
 * is the volunteer. The ids stay. True when something changed. */
bool match_referral_forget_volunteer(Matching__Referral *r, const char *id);

/* ---------------------------------------------------------------- activity hours */

#define MATCH_MAX_CREDIT_HOURS 1000.0  /* hours one attendance may credit (as a completion) */

/* What an intake.registration.attended event credits: strings borrowed
 * from the event. */
typedef struct {
    const char *registration_id;
    const char *activity_id;
    const char *volunteer_id;
    double hours;
    int64_t activity_created_ms;   /* 0 when the event carries no activity */
} match_credit_t;

/* Reads a registration event (topic intake.registration.attended, its
 * RegistrationEvent) into *c. 1 when it credits hours (state ATTENDED,
 * hours_credited > 0 and a volunteer_id); 0 when it credits nothing (no
 * volunteer, no hours: a member of the public, another kind of
 * activity); -1 with err (INVALID_ARGUMENT naming the field) when it
 * would credit but cannot: no registration id, an id that is not a hub
 * id, hours not finite or above MATCH_MAX_CREDIT_HOURS. Pure. */
int match_activity_credit(const Intake__RegistrationEvent *ev, match_credit_t *c, hub_error_t *err);

/* Adds hours (> 0) to a volunteer's record: hours_served (every hour
 * served) and activity_hours (the part from activities) both grow. Pure. */
void match_volunteer_credit(Matching__Volunteer *v, double hours);

/* Names of enum values ("REQUESTED", "GOT_HELP", ...). */
const char *match_status_name(Matching__ReferralStatus s);
const char *match_membership_name(Matching__Membership m);

#endif
