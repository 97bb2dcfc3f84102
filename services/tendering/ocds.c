/* ocds.c: a tendering process as OCDS 1.1.5 JSON. See ocds.h.
 *
 * Only core OCDS 1.1.5 fields are written (no extension is declared), so
 * every release validates against release-schema.json and every code is
 * from the closed or open codelists of the standard:
 *   - answered enquiries are tender documents of type "clarifications"
 *     (the question and the answer in the description); the enquiries
 *     extension is not used;
 *   - a venture round's funders are parties with the role "funder" and
 *     their shares are told in planning.budget.description (the budget
 *     breakdown extension is not used);
 *   - payments are contracts[0].implementation.transactions, one per
 *     payment, from the single funder (the buyer for a purchase) or, when
 *     several funders share the draw, from the procuring entity that holds
 *     their funds, to the supplier;
 *   - the post-evaluation is a contract implementation document of type
 *     "finalAudit", progress reports are "physicalProgressReport"
 *     documents, a cancellation reason is a "cancellationDetails" tender
 *     document;
 *   - an answer, a progress report and a payment each record a partial
 *     release (ocds_release_for) with just that item, built by the same
 *     functions as the snapshot's (s_clarification, s_milestone and
 *     s_progress_doc, s_transaction with s_parties), so each item has the
 *     same id and content in both and an OCDS merge of the releases lines
 *     them up; every other change records a snapshot.
 * Money amounts are json_integer yuan when fen is a whole number of yuan,
 * else json_real(fen / 100.0): the nearest double to the two-decimal
 * value. The writer of the text must dump with JSON_REAL_PRECISION(15):
 * any amount below 10^15 fen (TENDER_MAX_FEN is 10^14) has at most 15
 * significant digits (DBL_DIG), so %.15g prints the nearest double back
 * as exactly its two-decimal value, 1234.56; jansson's default precision,
 * 17, prints 1234.5599999999999 (the same double, not the text a reader
 * expects). No floating point is used anywhere else: texts format fen in
 * integers. */
#include "ocds.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OCDS_VERSION "1.1"  /* major.minor, as the package schemas want */
#define OCDS_CURRENCY "CNY" /* money is integer fen of renminbi */
#define OCDS_LANGUAGE "zh"  /* titles and texts are mostly Chinese */
/* 9999-12-31T23:59:59Z: RFC 3339 has four-digit years. */
#define OCDS_MAX_MS 253402300799999LL

/* ------------------------------------------------------------ building */

/* One release being built: the first failed allocation sets oom, every
 * later step still runs (and frees what it made), the caller drops the
 * whole tree. Saves a goto after each of the hundred jansson calls. */
typedef struct {
    bool oom;
} build_t;

/* A growable text for descriptions. */
typedef struct {
    char *data;
    size_t len, cap;
    bool oom;
} text_t;

static const char *s_nz(const char *s) { return s ? s : ""; }

/* Copy of s with every byte that does not start a well-formed UTF-8
 * sequence (RFC 3629: no overlongs, no surrogates, <= U+10FFFF) replaced
 * by U+FFFD. Caller frees; NULL on OOM. */
static char *s_utf8_repair(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n * 3 + 1);
    if (!out) return NULL;
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned c = u[i];
        size_t len = 0;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) len = 1;
        else if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c == 0xE0) { len = 3; lo = 0xA0; }
        else if (c >= 0xE1 && c <= 0xEC) len = 3;
        else if (c == 0xED) { len = 3; hi = 0x9F; }
        else if (c >= 0xEE && c <= 0xEF) len = 3;
        else if (c == 0xF0) { len = 4; lo = 0x90; }
        else if (c >= 0xF1 && c <= 0xF3) len = 4;
        else if (c == 0xF4) { len = 4; hi = 0x8F; }
        bool ok = len > 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; k++) {
            unsigned lim_lo = k == 1 ? lo : 0x80, lim_hi = k == 1 ? hi : 0xBF;
            if (u[i + k] < lim_lo || u[i + k] > lim_hi) ok = false;
        }
        if (ok) {
            memcpy(out + o, s + i, len);
            o += len;
            i += len;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    out[o] = '\0';
    return out;
}

/* A JSON string of s (NULL as ""); bytes that are not UTF-8 become U+FFFD
 * rather than failing the release. NULL on OOM. */
static json_t *s_str(const char *s)
{
    s = s_nz(s);
    json_t *j = json_string(s);
    if (j) return j;
    char *fixed = s_utf8_repair(s);
    if (!fixed) return NULL;
    j = json_string(fixed);
    free(fixed);
    return j;
}

/* RFC 3339 UTC, to the second: "2026-11-26T03:40:00Z". */
static json_t *s_date(int64_t ms)
{
    if (ms < 0) ms = 0;
    if (ms > OCDS_MAX_MS) ms = OCDS_MAX_MS;
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    char buf[32];
    if (!gmtime_r(&sec, &tm)) return json_string("1970-01-01T00:00:00Z");
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(buf);
}

/* The amount of fen in yuan: an integer when whole, else the double
 * nearest to the two-decimal value (see the top of the file). */
static json_t *s_amount(int64_t fen)
{
    if (fen % 100 == 0) return json_integer(fen / 100);
    return json_real((double)fen / 100.0);
}

/* Sets obj[key] to v, taking v (freed on failure, as json_object_set_new does). */
static void s_set(build_t *b, json_t *obj, const char *key, json_t *v)
{
    if (!v) { b->oom = true; return; }
    if (!obj) { json_decref(v); b->oom = true; return; }
    if (json_object_set_new(obj, key, v) != 0) b->oom = true;
}

static void s_append(build_t *b, json_t *arr, json_t *v)
{
    if (!v) { b->oom = true; return; }
    if (!arr) { json_decref(v); b->oom = true; return; }
    if (json_array_append_new(arr, v) != 0) b->oom = true;
}

/* Sets key to s unless s is empty (OCDS leaves unknown fields out). */
static void s_set_str(build_t *b, json_t *obj, const char *key, const char *s)
{
    if (s && *s) s_set(b, obj, key, s_str(s));
}

/* Sets key to the date unless ms is unset (<= 0). */
static void s_set_date(build_t *b, json_t *obj, const char *key, int64_t ms)
{
    if (ms > 0) s_set(b, obj, key, s_date(ms));
}

/* Sets key to arr when it has items, else drops it. */
static void s_set_nonempty(build_t *b, json_t *obj, const char *key, json_t *arr)
{
    if (!arr) { b->oom = true; return; }
    if (json_array_size(arr) == 0) { json_decref(arr); return; }
    s_set(b, obj, key, arr);
}

/* A Value: {"amount": yuan, "currency": "CNY"}. */
static json_t *s_value(build_t *b, int64_t fen)
{
    json_t *v = json_object();
    s_set(b, v, "amount", s_amount(fen));
    s_set(b, v, "currency", json_string(OCDS_CURRENCY));
    return v;
}

/* An OrganizationReference {id, name}; either may be left out when empty. */
static json_t *s_orgref(build_t *b, const char *id, const char *name)
{
    json_t *r = json_object();
    s_set_str(b, r, "id", id);
    s_set_str(b, r, "name", name);
    return r;
}

/* Sets key to a Period, unless both ends are unset. */
static void s_set_period(build_t *b, json_t *obj, const char *key, int64_t start_ms, int64_t end_ms)
{
    if (start_ms <= 0 && end_ms <= 0) return;
    json_t *per = json_object();
    s_set_date(b, per, "startDate", start_ms);
    s_set_date(b, per, "endDate", end_ms);
    s_set(b, obj, key, per);
}

static void s_text_vadd(text_t *t, const char *fmt, va_list ap)
{
    if (t->oom) return;
    for (;;) {
        va_list aq;
        va_copy(aq, ap);
        size_t room = t->cap - t->len;
        int n = vsnprintf(t->data ? t->data + t->len : NULL, t->data ? room : 0, fmt, aq);
        va_end(aq);
        if (n < 0) { t->oom = true; return; }
        if (t->data && (size_t)n < room) { t->len += (size_t)n; return; }
        size_t want = t->len + (size_t)n + 1;
        size_t cap = t->cap ? t->cap : 256;
        while (cap < want) cap *= 2;
        char *d = realloc(t->data, cap);
        if (!d) { t->oom = true; return; }
        t->data = d;
        t->cap = cap;
    }
}

static void s_text_add(text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_text_add(text_t *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_text_vadd(t, fmt, ap);
    va_end(ap);
}

/* Sets key to the text (when any) and frees the text. */
static void s_set_text(build_t *b, json_t *obj, const char *key, text_t *t)
{
    if (t->oom) b->oom = true;
    else if (t->len) s_set_str(b, obj, key, t->data);
    free(t->data);
    *t = (text_t){0};
}

/* Sets key to the formatted text (ids built from other ids: no fixed buffer
 * to truncate them). */
static void s_set_fmt(build_t *b, json_t *obj, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void s_set_fmt(build_t *b, json_t *obj, const char *key, const char *fmt, ...)
{
    text_t t = {0};
    va_list ap;
    va_start(ap, fmt);
    s_text_vadd(&t, fmt, ap);
    va_end(ap);
    s_set_text(b, obj, key, &t);
}

/* "12345.67" from fen, in integer arithmetic. */
static void s_fen_text(int64_t fen, char *out, size_t len)
{
    uint64_t mag = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    snprintf(out, len, "%s%" PRIu64 ".%02u", fen < 0 ? "-" : "", mag / 100, (unsigned)(mag % 100));
}

/* "2026-11-26" from ms, for descriptions. */
static void s_day_text(int64_t ms, char *out, size_t len)
{
    if (ms < 0) ms = 0;
    if (ms > OCDS_MAX_MS) ms = OCDS_MAX_MS;
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&sec, &tm)) { snprintf(out, len, "?"); return; }
    strftime(out, len, "%Y-%m-%d %H:%M UTC", &tm);
}

/* The process's ocid, or a stand-in so that a release always has one. */
static const char *s_ocid(const Tendering__Process *p)
{
    return p->ocid && *p->ocid ? p->ocid : "ocds-unknown";
}

/* ------------------------------------------------------------ parties */

/* Adds role to the party with this id in parties, appending the party
 * (with name) when it is new. An empty id adds nothing: a reference
 * without id cannot be cross-referenced. */
static void s_party(build_t *b, json_t *parties, const char *id, const char *name, const char *role)
{
    if (!id || !*id || !parties) return;
    json_t *jid = s_str(id);
    if (!jid) { b->oom = true; return; }
    json_t *party = NULL;
    size_t i;
    json_t *it;
    json_array_foreach(parties, i, it) {
        if (json_equal(json_object_get(it, "id"), jid)) { party = it; break; }
    }
    if (!party) {
        party = json_object();
        s_set(b, party, "id", jid);
        s_set_str(b, party, "name", name);
        s_set(b, party, "roles", json_array());
        s_append(b, parties, party);
        if (b->oom) return;
    } else {
        json_decref(jid);
        if (!json_object_get(party, "name")) s_set_str(b, party, "name", name);
    }
    json_t *roles = json_object_get(party, "roles");
    json_array_foreach(roles, i, it) {
        if (strcmp(json_string_value(it), role) == 0) return;
    }
    s_append(b, roles, json_string(role));
}

/* ------------------------------------------------------------ mapping */

static const char *s_tender_status(Tendering__State s)
{
    switch (s) {
    case TENDERING__STATE__PLANNING: return "planning";
    case TENDERING__STATE__ACTIVE:
    case TENDERING__STATE__EVALUATION: return "active";
    case TENDERING__STATE__AWARD_PENDING:
    case TENDERING__STATE__AWARDED:
    case TENDERING__STATE__CONTRACTED:
    case TENDERING__STATE__CLOSED: return "complete";
    case TENDERING__STATE__UNSUCCESSFUL: return "unsuccessful";
    case TENDERING__STATE__CANCELLED: return "cancelled";
    default: return NULL;
    }
}

/* True if p's award was made (pending or active) and then cancelled with
 * the process. */
static bool s_award_cancelled(const Tendering__Process *p)
{
    return p->state == TENDERING__STATE__CANCELLED && p->award && p->award->org_id && *p->award->org_id &&
           p->award->status != TENDERING__AWARD_STATUS__AWARD_UNSUCCESSFUL;
}

/* The tag to use when the caller gives none: what the state last recorded. */
static const char *s_state_tag(Tendering__State s)
{
    switch (s) {
    case TENDERING__STATE__ACTIVE: return "tender";
    case TENDERING__STATE__EVALUATION:
    case TENDERING__STATE__UNSUCCESSFUL: return "tenderUpdate";
    case TENDERING__STATE__AWARD_PENDING: return "award";
    case TENDERING__STATE__AWARDED: return "awardUpdate";
    case TENDERING__STATE__CONTRACTED: return "contract";
    case TENDERING__STATE__CLOSED: return "contractTermination";
    case TENDERING__STATE__CANCELLED: return "tenderCancellation";
    default: return "planning";
    }
}

static const char *s_award_status(Tendering__AwardStatus s)
{
    switch (s) {
    case TENDERING__AWARD_STATUS__AWARD_PENDING_STATUS: return "pending";
    case TENDERING__AWARD_STATUS__AWARD_ACTIVE: return "active";
    case TENDERING__AWARD_STATUS__AWARD_UNSUCCESSFUL: return "unsuccessful";
    case TENDERING__AWARD_STATUS__AWARD_CANCELLED: return "cancelled";
    default: return NULL;
    }
}

static const char *s_contract_status(Tendering__ContractStatus s)
{
    switch (s) {
    case TENDERING__CONTRACT_STATUS__CONTRACT_ACTIVE: return "active";
    case TENDERING__CONTRACT_STATUS__CONTRACT_TERMINATED: return "terminated";
    default: return NULL;
    }
}

static const char *s_milestone_status(Tendering__MilestoneStatus s)
{
    switch (s) {
    case TENDERING__MILESTONE_STATUS__SCHEDULED: return "scheduled";
    case TENDERING__MILESTONE_STATUS__MET: return "met";
    case TENDERING__MILESTONE_STATUS__NOT_MET: return "notMet";
    case TENDERING__MILESTONE_STATUS__PARTIALLY_MET: return "partiallyMet";
    default: return NULL;
    }
}

static const char *s_legal_form(uint32_t f)
{
    switch (f) { /* matching.LegalForm */
    case 1: return "social group (社会团体)";
    case 2: return "private non-enterprise unit (民办非企业单位)";
    case 3: return "foundation (基金会)";
    case 4: return "community group (社区社会组织)";
    default: return NULL;
    }
}

/* Bids are opened (tenderers may be named) once the tender period ended
 * normally: EVALUATION through CLOSED, and UNSUCCESSFUL (reached only
 * after the period ended or the evaluation). Never while PLANNING or
 * ACTIVE, and never for a CANCELLED process. */
static bool s_opened_state(Tendering__State s)
{
    switch (s) {
    case TENDERING__STATE__EVALUATION:
    case TENDERING__STATE__AWARD_PENDING:
    case TENDERING__STATE__AWARDED:
    case TENDERING__STATE__CONTRACTED:
    case TENDERING__STATE__CLOSED:
    case TENDERING__STATE__UNSUCCESSFUL: return true;
    default: return false;
    }
}
/* ... and a process cancelled after its period closed (bids_opened). */
static bool s_opened(const Tendering__Process *p)
{
    return s_opened_state(p->state) || (p->state == TENDERING__STATE__CANCELLED && p->bids_opened);
}

/* A tenderer is an organization that submitted a bid it did not withdraw
 * (valid or disqualified); its first such bid in p, or NULL. */
static bool s_is_tender_bid(const Tendering__Bid *bid)
{
    return bid && bid->org_id && *bid->org_id &&
           (bid->state == TENDERING__BID_STATE__BID_VALID || bid->state == TENDERING__BID_STATE__BID_DISQUALIFIED);
}

static bool s_first_bid_of_org(const Tendering__Process *p, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (s_is_tender_bid(p->bids[k]) && strcmp(p->bids[k]->org_id, p->bids[i]->org_id) == 0) return false;
    return true;
}

static bool s_has_award(const Tendering__Process *p)
{
    return p->award && ((p->award->id && *p->award->id) || p->award->status);
}

static bool s_has_contract(const Tendering__Process *p)
{
    return p->contract && ((p->contract->id && *p->contract->id) || p->contract->status);
}

/* The payer of the contract's payments: the one funder (a purchase's is
 * the buyer, also when none is listed), else the procuring entity, which
 * holds the pooled funds of a venture round's funders. */
static void s_payer(const Tendering__Process *p, const char *pub_id, const char *pub_name, const char **id,
                    const char **name)
{
    if (p->n_funders == 1 && p->funders[0]) {
        *id = s_nz(p->funders[0]->id);
        *name = s_nz(p->funders[0]->name);
    } else if (p->n_funders == 0) {
        *id = s_nz(p->buyer_id);
        *name = s_nz(p->buyer_name);
    } else {
        *id = s_nz(pub_id);
        *name = s_nz(pub_name);
    }
}

/* The payee of the contract's payments: the awarded supplier. */
static void s_payee(const Tendering__Process *p, const char **id, const char **name)
{
    const Tendering__Award *a = s_has_award(p) ? p->award : NULL;
    *id = a ? s_nz(a->org_id) : "";
    *name = a ? s_nz(a->org_name) : "";
}

/* The i-th bid names a tenderer: a tender bid, the first of its organization. */
static bool s_tenderer_at(const Tendering__Process *p, size_t i)
{
    return s_is_tender_bid(p->bids[i]) && s_first_bid_of_org(p, i);
}

/* Every party of p with all its roles, in the order the sections name
 * them: buyer, procuringEntity (the publisher), funders, tenderers once
 * opened, the supplier, the payer and payee once a payment is made. The
 * one place that says who has which role: a partial release copies its
 * parties from here, so that merging it keeps every role. */
static void s_parties(build_t *b, const Tendering__Process *p, json_t *parties, const char *pub_id,
                      const char *pub_name)
{
    s_party(b, parties, p->buyer_id, p->buyer_name, "buyer");
    s_party(b, parties, pub_id, pub_name, "procuringEntity");
    if (p->n_funders == 0) s_party(b, parties, p->buyer_id, p->buyer_name, "funder");
    for (size_t i = 0; i < p->n_funders; i++)
        if (p->funders[i]) s_party(b, parties, p->funders[i]->id, p->funders[i]->name, "funder");
    if (s_opened(p))
        for (size_t i = 0; i < p->n_bids; i++)
            if (s_tenderer_at(p, i)) s_party(b, parties, p->bids[i]->org_id, p->bids[i]->org_name, "tenderer");
    if (s_has_award(p)) s_party(b, parties, p->award->org_id, p->award->org_name, "supplier");
    if (!s_has_contract(p)) return;
    const char *payer_id, *payer_name, *payee_id, *payee_name;
    s_payer(p, pub_id, pub_name, &payer_id, &payer_name);
    s_payee(p, &payee_id, &payee_name);
    for (size_t i = 0; i < p->contract->n_payments; i++) {
        if (!p->contract->payments[i]) continue;
        s_party(b, parties, payer_id, payer_name, "payer");
        s_party(b, parties, payee_id, payee_name, "payee");
        break; /* the same two for every payment */
    }
}

static json_t *s_document(build_t *b, const Tendering__Document *d, size_t index)
{
    json_t *o = json_object();
    char id[32];
    snprintf(id, sizeof id, "DOC-%zu", index + 1);
    s_set_str(b, o, "id", d->id && *d->id ? d->id : id);
    s_set_str(b, o, "documentType", d->document_type);
    s_set_str(b, o, "title", d->title);
    if (d->sha256 && *d->sha256) {
        text_t t = {0};
        s_text_add(&t, "SHA-256: %s", d->sha256);
        s_set_text(b, o, "description", &t);
    }
    s_set_str(b, o, "url", d->url);
    s_set_date(b, o, "datePublished", d->date_ms);
    return o;
}

/* ------------------------------------------------------------ sections */

static json_t *s_planning(build_t *b, const Tendering__Process *p)
{
    json_t *pl = json_object();
    const Tendering__Need *n = p->need;
    if (n && ((n->service && *n->service) || (n->street && *n->street) || n->unmet_count ||
              (n->note && *n->note))) {
        text_t t = {0};
        if ((n->service && *n->service) || (n->street && *n->street) || n->unmet_count) {
            s_text_add(&t, "Unmet demand found by the hub's matching: %u request%s", n->unmet_count,
                       n->unmet_count == 1 ? "" : "s");
            if (n->service && *n->service) s_text_add(&t, " for %s", n->service);
            if (n->street && *n->street) s_text_add(&t, " in %s", n->street);
            s_text_add(&t, " that no provider could take.");
        }
        if (n->note && *n->note) s_text_add(&t, "%s%s", t.len ? " " : "", n->note);
        s_set_text(b, pl, "rationale", &t);
    }

    json_t *budget = json_object();
    text_t t = {0};
    char fen[32];
    if (p->n_funders > 1 || p->kind == TENDERING__KIND__VENTURE) {
        s_text_add(&t, "Co-funded by %zu funder%s (declared shares of the budget):", p->n_funders,
                   p->n_funders == 1 ? "" : "s");
        for (size_t i = 0; i < p->n_funders; i++) {
            const Tendering__Funder *f = p->funders[i];
            if (!f) continue;
            s_fen_text(f->share_fen, fen, sizeof fen);
            s_text_add(&t, "%s %s (%s) %s CNY", i ? ";" : "", s_nz(f->name), s_nz(f->id), fen);
            if (p->budget_fen > 0 && f->share_fen >= 0 && f->share_fen <= INT64_MAX / 10000) {
                int64_t bp = (f->share_fen * 10000 + p->budget_fen / 2) / p->budget_fen; /* 1/100 % */
                s_text_add(&t, ", %" PRId64 ".%02d%%", bp / 100, (int)(bp % 100));
            }
            if (f->draw_fen > 0) {
                s_fen_text(f->draw_fen, fen, sizeof fen);
                s_text_add(&t, ", drawn for the contract %s CNY", fen);
                s_fen_text(f->paid_fen, fen, sizeof fen);
                s_text_add(&t, ", paid %s CNY", fen);
            }
        }
        s_text_add(&t, ".");
    } else {
        const char *name = p->n_funders == 1 && p->funders[0] ? p->funders[0]->name : p->buyer_name;
        if (name && *name) s_text_add(&t, "Funded in full by %s.", name);
    }
    s_set_fmt(b, budget, "id", "%s-budget", s_ocid(p));
    s_set_text(b, budget, "description", &t);
    s_set(b, budget, "amount", s_value(b, p->budget_fen));
    if (p->kind == TENDERING__KIND__VENTURE) s_set_str(b, budget, "project", p->title);
    s_set(b, pl, "budget", budget);
    return pl;
}

static void s_eligibility_text(build_t *b, json_t *tender, const Tendering__Eligibility *e)
{
    if (!e) return;
    text_t t = {0};
    if (e->members_only) s_text_add(&t, "Approved members of the hub's resource library only.");
    if (e->n_legal_forms) {
        s_text_add(&t, "%sLegal forms:", t.len ? " " : "");
        for (size_t i = 0; i < e->n_legal_forms; i++) {
            const char *f = s_legal_form(e->legal_forms[i]);
            if (f) s_text_add(&t, "%s %s", i ? "," : "", f);
            else s_text_add(&t, "%s legal form %u", i ? "," : "", e->legal_forms[i]);
        }
        s_text_add(&t, ".");
    }
    if (e->min_years_active)
        s_text_add(&t, "%sAt least %u year%s since incorporation.", t.len ? " " : "", e->min_years_active,
                   e->min_years_active == 1 ? "" : "s");
    if (!t.len) s_text_add(&t, "Open to any social organization.");
    s_set_text(b, tender, "eligibilityCriteria", &t);
}

/* The tender document of an answered enquiry (the i-th): a clarification. */
static json_t *s_clarification(build_t *b, const Tendering__Enquiry *q, size_t i)
{
    json_t *d = json_object();
    if (q->id && *q->id) s_set_fmt(b, d, "id", "clarification-%s", q->id);
    else s_set_fmt(b, d, "id", "clarification-%zu", i + 1);
    s_set(b, d, "documentType", json_string("clarifications"));
    s_set_fmt(b, d, "title", "Clarification %s", s_nz(q->id));
    s_set_fmt(b, d, "description", "Q: %s\nA: %s", s_nz(q->question), s_nz(q->answer));
    s_set_date(b, d, "datePublished", q->answered_ms);
    return d;
}

/* An enquiry is public once answered. */
static bool s_answered(const Tendering__Enquiry *q) { return q && q->answer && *q->answer; }

static json_t *s_tender(build_t *b, const Tendering__Process *p, const char *pub_id, const char *pub_name)
{
    json_t *td = json_object();
    s_set_str(b, td, "id", s_ocid(p));
    s_set_str(b, td, "title", p->title);
    s_set_str(b, td, "description", p->description);
    const char *status = s_tender_status(p->state);
    /* cancelling a made award leaves the tender complete: the award is cancelled */
    if (p->state == TENDERING__STATE__CANCELLED && s_award_cancelled(p)) status = "complete";
    if (status) s_set(b, td, "status", json_string(status));
    if (pub_id && *pub_id) s_set(b, td, "procuringEntity", s_orgref(b, pub_id, pub_name));
    s_set(b, td, "value", s_value(b, p->budget_fen));
    s_set(b, td, "procurementMethod", json_string("open"));
    s_set(b, td, "procurementMethodDetails",
          json_string(p->kind == TENDERING__KIND__VENTURE
                          ? "Venture philanthropy round (公益创投): open call, funded by the declared shares of its funders"
                          : "Public-benefit tender (公益招投标): government purchase of services"));
    s_set(b, td, "mainProcurementCategory", json_string("services"));

    if (p->n_criteria) {
        s_set(b, td, "awardCriteria", json_string("ratedCriteria"));
        text_t t = {0};
        s_text_add(&t, "Weighted scoring by a panel of evaluators (weights sum to 100):");
        for (size_t i = 0; i < p->n_criteria; i++) {
            const Tendering__Criterion *c = p->criteria[i];
            if (!c) continue;
            s_text_add(&t, "%s %s %u%%", i ? ";" : "", s_nz(c->name), c->weight);
            if (c->description && *c->description) s_text_add(&t, " (%s)", c->description);
        }
        s_text_add(&t, ".");
        s_set_text(b, td, "awardCriteriaDetails", &t);
    }
    s_set(b, td, "submissionMethod", json_pack("[s]", "electronicSubmission"));
    s_set(b, td, "submissionMethodDetails",
          json_string("Bids are submitted to the hub and stay sealed until the tender period ends."));
    s_eligibility_text(b, td, p->eligibility);

    if (p->state != TENDERING__STATE__PLANNING || p->tender_start_ms > 0) {
        s_set_period(b, td, "tenderPeriod", p->tender_start_ms, p->tender_end_ms);
        s_set_period(b, td, "enquiryPeriod", p->tender_start_ms, p->tender_end_ms);
    } else {
        s_set_period(b, td, "tenderPeriod", 0, p->tender_end_ms); /* the draft's planned end */
    }
    if (p->state != TENDERING__STATE__PLANNING) s_set(b, td, "hasEnquiries", json_boolean(p->n_enquiries > 0));

    /* tenderers: named only once the bids are opened */
    if (s_opened(p)) {
        json_t *tenderers = json_array();
        for (size_t i = 0; i < p->n_bids; i++)
            if (s_tenderer_at(p, i)) s_append(b, tenderers, s_orgref(b, p->bids[i]->org_id, p->bids[i]->org_name));
        s_set(b, td, "numberOfTenderers", json_integer((json_int_t)json_array_size(tenderers)));
        s_set_nonempty(b, td, "tenderers", tenderers);
    }

    if (s_has_award(p) && p->tender_end_ms > 0) s_set_period(b, td, "awardPeriod", p->tender_end_ms, p->award->date_ms);

    json_t *docs = json_array();
    for (size_t i = 0; i < p->n_documents; i++)
        if (p->documents[i]) s_append(b, docs, s_document(b, p->documents[i], i));
    for (size_t i = 0; i < p->n_enquiries; i++)
        if (s_answered(p->enquiries[i])) s_append(b, docs, s_clarification(b, p->enquiries[i], i));
    if (p->state == TENDERING__STATE__CANCELLED) {
        json_t *d = json_object();
        s_set(b, d, "id", json_string("cancellation"));
        s_set(b, d, "documentType", json_string("cancellationDetails"));
        s_set(b, d, "title", json_string("Tender cancelled"));
        s_set_str(b, d, "description", p->cancel_reason);
        s_set_date(b, d, "datePublished", p->updated_ms);
        s_append(b, docs, d);
    }
    s_set_nonempty(b, td, "documents", docs);

    json_t *amends = json_array();
    for (size_t i = 0; i < p->n_amendments; i++) {
        const Tendering__Amendment *a = p->amendments[i];
        if (!a) continue;
        json_t *o = json_object();
        char id[32];
        snprintf(id, sizeof id, "AMD-%zu", i + 1);
        s_set_str(b, o, "id", a->id && *a->id ? a->id : id);
        s_set_date(b, o, "date", a->date_ms);
        s_set_str(b, o, "rationale", a->rationale);
        if (a->new_end_ms > 0 && a->new_end_ms != a->old_end_ms) {
            char from[40], to[40];
            s_day_text(a->old_end_ms, from, sizeof from);
            s_day_text(a->new_end_ms, to, sizeof to);
            text_t t = {0};
            s_text_add(&t, "Tender period end moved from %s to %s.", from, to);
            s_set_text(b, o, "description", &t);
        }
        s_append(b, amends, o);
    }
    s_set_nonempty(b, td, "amendments", amends);
    return td;
}

static json_t *s_award(build_t *b, const Tendering__Process *p)
{
    const Tendering__Award *a = p->award;
    json_t *o = json_object();
    s_set_str(b, o, "id", a->id && *a->id ? a->id : "AWD-1");
    s_set_str(b, o, "title", p->title);
    const char *status = s_award_status(a->status);
    /* a cancelled process cancels its pending or active award */
    if (p->state == TENDERING__STATE__CANCELLED && a->status != TENDERING__AWARD_STATUS__AWARD_UNSUCCESSFUL)
        status = "cancelled";
    if (status) s_set(b, o, "status", json_string(status));
    s_set_date(b, o, "date", a->date_ms);
    if (a->value_fen > 0) s_set(b, o, "value", s_value(b, a->value_fen));
    if (a->org_id && *a->org_id) {
        json_t *sup = json_array();
        s_append(b, sup, s_orgref(b, a->org_id, a->org_name));
        s_set(b, o, "suppliers", sup);
    }
    if (s_has_contract(p)) s_set_period(b, o, "contractPeriod", p->contract->start_ms, p->contract->end_ms);
    return o;
}

/* The id a milestone (the i-th of the contract) has in a release. */
static const char *s_milestone_id(const Tendering__Milestone *m, size_t i, char *buf, size_t len)
{
    if (m->id && *m->id) return m->id;
    snprintf(buf, len, "MS-%zu", i + 1);
    return buf;
}

/* The id a payment (the i-th of the contract) has in a release. */
static const char *s_payment_id(const Tendering__Payment *pay, size_t i, char *buf, size_t len)
{
    if (pay->id && *pay->id) return pay->id;
    snprintf(buf, len, "PAY-%zu", i + 1);
    return buf;
}

/* A contract milestone (mid its id in the release); dateModified is its
 * latest report or the day it was met. */
static json_t *s_milestone(build_t *b, const Tendering__Milestone *m, const char *mid)
{
    json_t *mo = json_object();
    s_set_str(b, mo, "id", mid);
    s_set_str(b, mo, "title", m->title);
    s_set(b, mo, "type", json_string("delivery"));
    s_set_date(b, mo, "dueDate", m->due_ms);
    const char *st = s_milestone_status(m->status);
    if (st) s_set(b, mo, "status", json_string(st));
    if (m->status == TENDERING__MILESTONE_STATUS__MET) s_set_date(b, mo, "dateMet", m->date_met_ms);
    int64_t modified = m->date_met_ms;
    for (size_t k = 0; k < m->n_reports; k++)
        if (m->reports[k] && m->reports[k]->date_ms > modified) modified = m->reports[k]->date_ms;
    s_set_date(b, mo, "dateModified", modified);
    return mo;
}

/* The k-th progress report of milestone m (mid its id) as an
 * implementation document "<mid>-progress-<k+1>". */
static json_t *s_progress_doc(build_t *b, const Tendering__Milestone *m, const char *mid, size_t k)
{
    const Tendering__Progress *r = m->reports[k];
    json_t *d = json_object();
    s_set_fmt(b, d, "id", "%s-progress-%zu", mid, k + 1);
    s_set(b, d, "documentType", json_string("physicalProgressReport"));
    text_t t = {0};
    s_text_add(&t, "Progress of %s: %u%%", m->title && *m->title ? m->title : mid, r->percent);
    s_set_text(b, d, "title", &t);
    s_set_str(b, d, "description", r->text);
    s_set_date(b, d, "datePublished", r->date_ms);
    return d;
}

/* The i-th payment of the contract as a transaction from the payer to the
 * payee (who are in the parties with those roles: s_parties). */
static json_t *s_transaction(build_t *b, const Tendering__Process *p, size_t i, const char *pub_id,
                             const char *pub_name)
{
    const Tendering__Payment *pay = p->contract->payments[i];
    const char *payer_id, *payer_name, *payee_id, *payee_name;
    s_payer(p, pub_id, pub_name, &payer_id, &payer_name);
    s_payee(p, &payee_id, &payee_name);
    json_t *t = json_object();
    char id[32];
    s_set_str(b, t, "id", s_payment_id(pay, i, id, sizeof id));
    s_set_date(b, t, "date", pay->date_ms);
    s_set(b, t, "value", s_value(b, pay->amount_fen));
    s_set(b, t, "payer", s_orgref(b, payer_id, payer_name));
    s_set(b, t, "payee", s_orgref(b, payee_id, payee_name));
    return t;
}

/* What identifies the contract: {id, awardID}, the start of every
 * contract object, whole or partial. */
static json_t *s_contract_ref(build_t *b, const Tendering__Process *p)
{
    const Tendering__Contract *c = p->contract;
    const Tendering__Award *a = s_has_award(p) ? p->award : NULL;
    json_t *o = json_object();
    s_set_str(b, o, "id", c->id && *c->id ? c->id : "CON-1");
    const char *award_id = c->award_id && *c->award_id ? c->award_id : a && a->id && *a->id ? a->id : "AWD-1";
    s_set_str(b, o, "awardID", award_id);
    return o;
}

/* Sets o.implementation to {transactions, documents}, leaving out what is
 * empty, and takes both arrays. */
static void s_set_implementation(build_t *b, json_t *o, json_t *tx, json_t *docs)
{
    json_t *impl = json_object();
    s_set_nonempty(b, impl, "transactions", tx);
    s_set_nonempty(b, impl, "documents", docs);
    if (json_object_size(impl)) s_set(b, o, "implementation", impl);
    else json_decref(impl);
}

static json_t *s_contract(build_t *b, const Tendering__Process *p, const char *pub_id, const char *pub_name)
{
    const Tendering__Contract *c = p->contract;
    json_t *o = s_contract_ref(b, p);
    s_set_str(b, o, "title", p->title);
    const char *status = s_contract_status(c->status);
    if (p->state == TENDERING__STATE__CLOSED) status = "terminated";
    if (status) s_set(b, o, "status", json_string(status));
    s_set_period(b, o, "period", c->start_ms, c->end_ms);
    if (c->value_fen > 0) s_set(b, o, "value", s_value(b, c->value_fen));
    s_set_date(b, o, "dateSigned", c->signed_ms);

    json_t *impl_docs = json_array();
    json_t *ms = json_array();
    for (size_t i = 0; i < c->n_milestones; i++) {
        const Tendering__Milestone *m = c->milestones[i];
        if (!m) continue;
        char id[32];
        const char *mid = s_milestone_id(m, i, id, sizeof id);
        s_append(b, ms, s_milestone(b, m, mid));
        for (size_t k = 0; k < m->n_reports; k++)
            if (m->reports[k]) s_append(b, impl_docs, s_progress_doc(b, m, mid, k));
    }
    s_set_nonempty(b, o, "milestones", ms);

    json_t *tx = json_array();
    for (size_t i = 0; i < c->n_payments; i++)
        if (c->payments[i]) s_append(b, tx, s_transaction(b, p, i, pub_id, pub_name));

    const Tendering__Closure *cl = p->closure;
    if (cl && (p->state == TENDERING__STATE__CLOSED || cl->date_ms > 0 ||
               (cl->post_evaluation && *cl->post_evaluation))) {
        json_t *d = json_object();
        s_set(b, d, "id", json_string("post-evaluation"));
        s_set(b, d, "documentType", json_string("finalAudit"));
        s_set(b, d, "title", json_string(cl->early ? "Post-evaluation (terminated early)" : "Post-evaluation"));
        text_t t = {0};
        s_text_add(&t, "Post-evaluation score: %u/100.", cl->post_score);
        if (cl->early) s_text_add(&t, " Terminated early%s%s.", cl->reason && *cl->reason ? ": " : "",
                                  s_nz(cl->reason));
        if (cl->post_evaluation && *cl->post_evaluation) s_text_add(&t, " %s", cl->post_evaluation);
        s_set_text(b, d, "description", &t);
        s_set_date(b, d, "datePublished", cl->date_ms);
        s_append(b, impl_docs, d);
    }
    s_set_implementation(b, o, tx, impl_docs);
    return o;
}

/* The fields every release starts with: ocid, id "<ocid>-<number>", date,
 * tag [tag], initiationType. */
static json_t *s_head(build_t *b, const Tendering__Process *p, const char *tag, uint32_t number, int64_t date_ms)
{
    json_t *r = json_object();
    const char *ocid = s_ocid(p);
    json_t *tags = json_array();
    s_append(b, tags, s_str(tag));
    s_set(b, r, "ocid", s_str(ocid));
    s_set_fmt(b, r, "id", "%s-%" PRIu32, ocid, number);
    s_set(b, r, "date", s_date(date_ms));
    s_set(b, r, "tag", tags);
    s_set(b, r, "initiationType", json_string("tender"));
    return r;
}

/* r, or NULL (r dropped) when the build ran out of memory. */
static json_t *s_done(build_t *b, json_t *r)
{
    if (!b->oom) return r;
    json_decref(r);
    return NULL;
}

/* ------------------------------------------------------------ public */

json_t *ocds_release(const Tendering__Process *p, const char *tag, uint32_t number, int64_t date_ms,
                     const char *publisher_id, const char *publisher_name)
{
    if (!p) return NULL;
    build_t b = {0};
    json_t *r = s_head(&b, p, tag && *tag ? tag : s_state_tag(p->state), number, date_ms);
    json_t *parties = json_array();
    s_parties(&b, p, parties, publisher_id, publisher_name);
    s_set(&b, r, "parties", parties);
    if (p->buyer_id && *p->buyer_id) s_set(&b, r, "buyer", s_orgref(&b, p->buyer_id, p->buyer_name));
    s_set(&b, r, "planning", s_planning(&b, p));
    s_set(&b, r, "tender", s_tender(&b, p, publisher_id, publisher_name));
    if (s_has_award(p)) {
        json_t *awards = json_array();
        s_append(&b, awards, s_award(&b, p));
        s_set(&b, r, "awards", awards);
    }
    if (s_has_contract(p)) {
        json_t *contracts = json_array();
        s_append(&b, contracts, s_contract(&b, p, publisher_id, publisher_name));
        s_set(&b, r, "contracts", contracts);
    }
    s_set(&b, r, "language", json_string(OCDS_LANGUAGE));
    return s_done(&b, r);
}

/* The partial release of an answered enquiry: tender {id, documents
 * [its clarification]}. */
static void s_partial_enquiry(build_t *b, json_t *r, const Tendering__Process *p, size_t i)
{
    json_t *td = json_object();
    s_set_str(b, td, "id", s_ocid(p));
    json_t *docs = json_array();
    s_append(b, docs, s_clarification(b, p->enquiries[i], i));
    s_set(b, td, "documents", docs);
    s_set(b, r, "tender", td);
}

/* Sets r.contracts to [o]. */
static void s_set_contract(build_t *b, json_t *r, json_t *o)
{
    json_t *contracts = json_array();
    s_append(b, contracts, o);
    s_set(b, r, "contracts", contracts);
}

/* The partial release of a milestone report (the i-th milestone):
 * contracts [{id, awardID, milestones [it], implementation {documents
 * [its newest progress report]}}]. The daemon adds one report per
 * TA_MILESTONE; the earlier ones are in earlier releases under the same
 * ids, and merge with this one. */
static void s_partial_milestone(build_t *b, json_t *r, const Tendering__Process *p, size_t i)
{
    const Tendering__Milestone *m = p->contract->milestones[i];
    char id[32];
    const char *mid = s_milestone_id(m, i, id, sizeof id);
    json_t *o = s_contract_ref(b, p);
    json_t *ms = json_array();
    s_append(b, ms, s_milestone(b, m, mid));
    s_set(b, o, "milestones", ms);
    json_t *docs = json_array();
    if (m->n_reports && m->reports[m->n_reports - 1])
        s_append(b, docs, s_progress_doc(b, m, mid, m->n_reports - 1));
    s_set_implementation(b, o, json_array(), docs);
    s_set_contract(b, r, o);
}

/* The partial release of a payment (the i-th): the payer and payee with
 * all their roles (as in the snapshot: a merge replaces a party's roles),
 * contracts [{id, awardID, implementation {transactions [it]}}]. */
static void s_partial_payment(build_t *b, json_t *r, const Tendering__Process *p, size_t i, const char *pub_id,
                              const char *pub_name)
{
    const char *payer_id, *payer_name, *payee_id, *payee_name;
    s_payer(p, pub_id, pub_name, &payer_id, &payer_name);
    s_payee(p, &payee_id, &payee_name);
    json_t *all = json_array();
    if (!all) b->oom = true;
    s_parties(b, p, all, pub_id, pub_name);
    json_t *parties = json_array();
    size_t k;
    json_t *party;
    json_array_foreach(all, k, party) {
        const char *pid = json_string_value(json_object_get(party, "id"));
        if (pid && (strcmp(pid, payer_id) == 0 || strcmp(pid, payee_id) == 0))
            s_append(b, parties, json_incref(party));
    }
    json_decref(all);
    s_set(b, r, "parties", parties);
    json_t *o = s_contract_ref(b, p);
    json_t *tx = json_array();
    s_append(b, tx, s_transaction(b, p, i, pub_id, pub_name));
    s_set_implementation(b, o, tx, json_array());
    s_set_contract(b, r, o);
}

json_t *ocds_release_for(const Tendering__Process *p, tender_action_t a, const char *item_id, uint32_t number,
                         int64_t date_ms, const char *publisher_id, const char *publisher_name)
{
    if (!p) return NULL;
    const char *tag = a == TA__COUNT ? "planning" : ocds_tag_for(a);
    if (!tag) return NULL;
    if (a == TA_CANCEL && s_award_cancelled(p)) tag = "awardCancellation";
    const Tendering__Contract *c = s_has_contract(p) ? p->contract : NULL;
    size_t found = SIZE_MAX;
    char id[32];
    if (item_id && a == TA_ENQUIRY_ANSWER) {
        for (size_t i = 0; i < p->n_enquiries && found == SIZE_MAX; i++) {
            const Tendering__Enquiry *q = p->enquiries[i];
            if (s_answered(q) && q->id && strcmp(q->id, item_id) == 0) found = i;
        }
    } else if (item_id && c && a == TA_MILESTONE) {
        for (size_t i = 0; i < c->n_milestones && found == SIZE_MAX; i++)
            if (c->milestones[i] && strcmp(s_milestone_id(c->milestones[i], i, id, sizeof id), item_id) == 0)
                found = i;
    } else if (item_id && c && a == TA_PAYMENT) {
        for (size_t i = 0; i < c->n_payments && found == SIZE_MAX; i++)
            if (c->payments[i] && strcmp(s_payment_id(c->payments[i], i, id, sizeof id), item_id) == 0) found = i;
    }
    if (found == SIZE_MAX) return ocds_release(p, tag, number, date_ms, publisher_id, publisher_name);

    build_t b = {0};
    json_t *r = s_head(&b, p, tag, number, date_ms);
    if (a == TA_ENQUIRY_ANSWER) s_partial_enquiry(&b, r, p, found);
    else if (a == TA_MILESTONE) s_partial_milestone(&b, r, p, found);
    else s_partial_payment(&b, r, p, found, publisher_id, publisher_name);
    s_set(&b, r, "language", json_string(OCDS_LANGUAGE));
    return s_done(&b, r);
}

const char *ocds_tag_for(tender_action_t a)
{
    switch (a) {
    case TA_UPDATE: return "planningUpdate";
    case TA_PUBLISH: return "tender";
    case TA_AMEND: return "tenderAmendment";
    case TA_ENQUIRY_ANSWER:
    case TA_CLOSE_PERIOD: return "tenderUpdate";
    case TA_AWARD: return "award";
    case TA_ACTIVATE: return "awardUpdate";
    case TA_SIGN: return "contract";
    case TA_MILESTONE:
    case TA_PAYMENT: return "implementation";
    case TA_TERMINATE: return "contractTermination";
    case TA_CANCEL: return "tenderCancellation";
    default: return NULL; /* questions, bids, evaluators, scores: not public */
    }
}

/* The package header shared by both kinds: uri, version, publishedDate, publisher. */
static json_t *s_package(build_t *b, const char *uri, const char *publisher_name, int64_t published_ms)
{
    json_t *pkg = json_object();
    s_set(b, pkg, "uri", s_str(uri && *uri ? uri : "urn:ocds:package"));
    s_set(b, pkg, "version", json_string(OCDS_VERSION));
    s_set(b, pkg, "publishedDate", s_date(published_ms));
    json_t *pub = json_object();
    s_set(b, pub, "name", s_str(publisher_name));
    s_set(b, pkg, "publisher", pub);
    return pkg;
}

json_t *ocds_release_package(json_t *releases, const char *uri, const char *publisher_name,
                             int64_t published_ms)
{
    build_t b = {0};
    json_t *pkg = s_package(&b, uri, publisher_name, published_ms);
    s_set(&b, pkg, "releases", releases ? releases : json_array());
    if (b.oom) {
        json_decref(pkg);
        return NULL;
    }
    return pkg;
}

json_t *ocds_record_package(const Tendering__Process *p, json_t *releases, const char *uri,
                            const char *publisher_id, const char *publisher_name, int64_t published_ms)
{
    if (!p) {
        json_decref(releases);
        return NULL;
    }
    build_t b = {0};
    json_t *pkg = s_package(&b, uri, publisher_name, published_ms);
    json_t *records = json_array();
    json_t *rec = json_object();
    s_set(&b, rec, "ocid", s_str(s_ocid(p)));
    if (!releases) releases = json_array();

    /* the compiled release: the state now, dated as the last release */
    json_t *last = json_array_size(releases) ? json_array_get(releases, json_array_size(releases) - 1) : NULL;
    json_t *last_date = json_object_get(last, "date");
    json_t *compiled = ocds_release(p, "compiled", p->releases, published_ms, publisher_id, publisher_name);
    if (compiled) {
        s_set_fmt(&b, compiled, "id", "%s-compiled", s_ocid(p));
        if (json_is_string(last_date)) s_set(&b, compiled, "date", json_copy(last_date));
    }
    s_set(&b, rec, "releases", releases);
    s_set(&b, rec, "compiledRelease", compiled);
    s_append(&b, records, rec);
    s_set(&b, pkg, "records", records);
    if (b.oom) {
        json_decref(pkg);
        return NULL;
    }
    return pkg;
}
