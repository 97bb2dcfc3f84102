/* tendering_svc: hub-tendering's handlers over tender.h's rules (see
 * tendering_svc.h for the store). Every handler loads the process, checks
 * the action against the state machine, changes its copy (never call->req:
 * a handler may run twice after MDB_MAP_FULL), and commits through
 * s_commit: the OCDS release, the record, the public event and reply in
 * the command's transaction. Money moves only through s_post. */
#include "tendering_svc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hub_log.h"
#include "hub_record.h"
#include "hub_util.h"
#include "matching.pb-c.h"
#include "ocds.h"
#include "tender.h"

/* Roles of CURVE principals (#7); peers of a local endpoint are trusted. */
#define R_OPERATOR "operator"
#define R_BUYER "operator buyer"
#define R_PROVIDER "operator provider"
#define R_EVALUATOR "operator evaluator"
#define R_DONATE "operator channel"
#define R_READ "operator buyer provider evaluator auditor subscriber"
#define R_PUBLIC NULL /* any authenticated principal: public information */
#define R_INTERNAL HUB_ROLE_INTERNAL
#define TICK_BATCH 64     /* tender periods closed per tick command */
#define MAX_RECORD (512u << 10) /* bytes of one process record: its reply and event fit a command's arena */
#define MAX_QUESTION 1000 /* bytes of an enquiry (anyone may ask: bounded so nobody fills a tender) */
#define MAX_SUBMISSIONS 3 /* bids an organization may submit to one tender (withdrawals included) */

const char *const tendering_db_names[] = {"processes", "releases",      "deadlines", "orgs",          "entries",
                                          "accounts",  "contributions", "donations", "disbursements", NULL};

/* ------------------------------------------------------------------ helpers */

static int s_oom(hub_call_t *call)
{
    return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
}
static int s_bad(hub_call_t *call, const char *field, const char *what)
{
    return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, field, "%s", what);
}
static int s_refuse(hub_call_t *call, const char *field, const char *what)
{
    return hub_error_set(&call->err, HUB__ERROR_CODE__FAILED_PRECONDITION, field, "%s", what);
}

/* Copies n pointers of *arr into a new arena array with item appended;
 * *arr and *n are updated. 0, or -1 with call->err. */
static int s_push(hub_call_t *call, void *arr_p, size_t *n, void *item)
{
    void ***arr = arr_p;
    void **out = hub_arena_alloc(call->arena, (*n + 1) * sizeof *out);
    if (!out) return s_oom(call);
    if (*n) memcpy(out, *arr, *n * sizeof *out);
    out[(*n)++] = item;
    *arr = out;
    return 0;
}
/* A zeroed arena object of size bytes, initialised by init (a protobuf-c
 * __init function). NULL with call->err set. */
static void *s_new(hub_call_t *call, size_t size, void (*init)(void *))
{
    void *m = hub_arena_alloc(call->arena, size);
    if (!m) {
        s_oom(call);
        return NULL;
    }
    init(m);
    return m;
}
#define S_NEW(call, T, init) ((T *)s_new((call), sizeof(T), (void (*)(void *))(init)))

#define s_id_ok tender_id_ok
static bool s_text_ok(const char *s, size_t max) { return strlen(s) <= max; }

/* The calendar year in China Standard Time. */
static int s_year(int64_t now_ms)
{
    time_t t = (time_t)(now_ms / 1000 + 8 * 3600);
    struct tm tm;
    gmtime_r(&t, &tm);
    return tm.tm_year + 1900;
}
/* "2026-11-26 11:40 CST" of ms into buf. */
static const char *s_when(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000 + 8 * 3600);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M:%S CST", &tm);
    return buf;
}

/* Next "<prefix><n>" from the meta counter key (fmt has one %llu). */
static int s_next_id(hub_call_t *call, tendering_t *t, const char *key, const char *fmt, char *out, size_t len)
{
    uint64_t seq;
    if (hub_record_next_seq(call, t->store, key, &seq)) return -1;
    snprintf(out, len, fmt, (unsigned long long)seq);
    return 0;
}
static char *s_next_id_dup(hub_call_t *call, tendering_t *t, const char *key, const char *fmt)
{
    char buf[128];
    if (s_next_id(call, t, key, fmt, buf, sizeof buf)) return NULL;
    char *s = hub_arena_strdup(call->arena, buf);
    if (!s) s_oom(call);
    return s;
}
/* printf into call->arena (at most 511 bytes); NULL with call->err on OOM. */
static char *s_fmt(hub_call_t *call, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *s_fmt(hub_call_t *call, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *s = hub_arena_strdup(call->arena, buf);
    if (!s) s_oom(call);
    return s;
}

/* Operators and auditors (and local trusted peers) see the panel's work
 * before the award; everyone else the public view. */
static bool s_privileged(const hub_call_t *call) { return hub_call_has_role(call, "operator auditor"); }

/* Puts (put) or deletes the tender-period deadline of ocid at end_ms in
 * the time-ordered index hub_due watches. */
static int s_deadline(hub_call_t *call, tendering_t *t, int64_t end_ms, const char *ocid, bool put)
{
    uint8_t key[8 + HUB_DUE_MAX_ID];
    MDB_val k = {hub_due_key(key, end_ms, ocid), key}, v = {0, ""};
    int rc = put ? mdb_put(call->txn, t->deadlines, &k, &v, 0) : mdb_del(call->txn, t->deadlines, &k, NULL);
    return rc && !(rc == MDB_NOTFOUND && !put) ? hub_call_mdb_error(call, rc) : 0;
}

/* ------------------------------------------------------------------ the process */

/* Loads the process ocid and checks that action a is legal in its state.
 * NULL with call->err (NOT_FOUND, FAILED_PRECONDITION naming the state). */
static Tendering__Process *s_open(hub_call_t *call, tendering_t *t, const char *ocid, tender_action_t a)
{
    Tendering__Process *p =
        (void *)hub_record_get(call, t->processes, ocid, &tendering__process__descriptor, "tender");
    if (!p && call->err.code == HUB__ERROR_CODE__NOT_FOUND) snprintf(call->err.field, sizeof call->err.field, "ocid");
    if (p && a != TA__COUNT && tender_allowed(p->state, a, &call->err)) return NULL;
    return p;
}

/* Stores the OCDS release of action a on p as it is now: a snapshot, or
 * for an enquiry answer, a milestone report or a payment only that item
 * (ocds_release_for). */
static int s_release(hub_call_t *call, tendering_t *t, Tendering__Process *p, tender_action_t a, const char *item,
                     int64_t now)
{
    uint32_t n = ++p->releases;
    json_t *r = ocds_release_for(p, a, item, n, now, t->publisher_id, t->publisher_name);
    char *txt = r ? json_dumps(r, JSON_COMPACT | OCDS_DUMP_FLAGS) : NULL;
    json_decref(r);
    if (!txt) return s_oom(call);
    size_t len = strlen(p->ocid);
    uint8_t key[256 + 5];
    memcpy(key, p->ocid, len);
    key[len] = 0;
    key[len + 1] = (uint8_t)(n >> 24), key[len + 2] = (uint8_t)(n >> 16), key[len + 3] = (uint8_t)(n >> 8),
    key[len + 4] = (uint8_t)n;
    MDB_val k = {len + 5, key}, v = {strlen(txt), txt};
    int rc = mdb_put(call->txn, t->releases, &k, &v, 0);
    free(txt);
    return rc ? hub_call_mdb_error(call, rc) : 0;
}

/* Commits a change to p made by action a (TA__COUNT: the draft's creation):
 * records its OCDS release when the action has one, stores p, appends the
 * event topic with the public view (tender_public_view; and bid_id,
 * milestone_id, payment when given), and sets the reply to the caller's
 * view (operators and auditors see the panel). item names what an
 * enquiry answer changed (its release carries only that). p itself is not
 * changed. */
static int s_commit_item(hub_call_t *call, tendering_t *t, Tendering__Process *p, tender_action_t a,
                         const char *topic, const char *bid_id, const char *ms_id, Tendering__Payment *pay,
                         const char *item, int64_t now)
{
    const char *tag = a == TA__COUNT ? "planning" : ocds_tag_for(a);
    p->updated_ms = now;
    p->bid_count = (uint32_t)tender_valid_bids(p);
    size_t size = protobuf_c_message_get_packed_size(&p->base);
    if (size > MAX_RECORD)
        return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "",
                             "the process would hold %zu KiB, more than %u KiB: shorten the texts or close it",
                             size >> 10, MAX_RECORD >> 10);
    if (tag && s_release(call, t, p, a, a == TA_PAYMENT && pay ? pay->id : a == TA_MILESTONE ? ms_id : item, now))
        return -1;
    if (hub_record_put(call, t->processes, p->ocid, &p->base)) return -1;
    Tendering__Process *pub = tender_public_view(p, false, call->arena);
    Tendering__Process *view = s_privileged(call) ? tender_public_view(p, true, call->arena) : pub;
    if (!pub || !view) return s_oom(call);
    Tendering__TenderEvent ev = TENDERING__TENDER_EVENT__INIT;
    ev.action = (char *)strrchr(topic, '.') + 1;
    ev.process = pub;
    if (bid_id) ev.bid_id = (char *)bid_id;
    if (ms_id) ev.milestone_id = (char *)ms_id;
    ev.payment = pay;
    int rc = hub_outbox_append(call->outbox, call->txn, topic, &ev.base);
    if (rc) return hub_call_mdb_error(call, rc);
    Tendering__ProcessReply *rep = S_NEW(call, Tendering__ProcessReply, tendering__process_reply__init);
    if (!rep) return -1;
    rep->process = view;
    call->reply = &rep->base;
    return 0;
}

/* s_commit_item for every change but an enquiry answer. */
static int s_commit(hub_call_t *call, tendering_t *t, Tendering__Process *p, tender_action_t a, const char *topic,
                    const char *bid_id, const char *ms_id, Tendering__Payment *pay, int64_t now)
{
    return s_commit_item(call, t, p, a, topic, bid_id, ms_id, pay, NULL, now);
}

/* Validates documents[0..n) of a request ("documents[i]..."). */
static int s_documents_ok(hub_call_t *call, Tendering__Document *const *docs, size_t n)
{
    char field[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(field, sizeof field, "documents[%zu]", i);
        if (tender_validate_document(docs[i], field, &call->err)) return -1;
    }
    return 0;
}

/* True if a document of p has id. */
static bool s_doc_taken(const Tendering__Process *p, const char *id)
{
    for (size_t i = 0; i < p->n_documents; i++)
        if (!strcmp(p->documents[i]->id, id)) return true;
    return false;
}

/* Appends a copy of document in (validated by the caller) to p's
 * documents, with an id when it has none or one already taken ("DOC-01",
 * the first free from its position) and a date (now) when it has none. The request's document is not touched. */
static int s_add_document(hub_call_t *call, Tendering__Process *p, const Tendering__Document *in, int64_t now)
{
    Tendering__Document *d = S_NEW(call, Tendering__Document, tendering__document__init);
    if (!d) return -1;
    *d = *in;
    for (size_t n = p->n_documents + 1; !*d->id || s_doc_taken(p, d->id); n++)
        if (!(d->id = s_fmt(call, "DOC-%02zu", n))) return -1;
    if (!d->date_ms) d->date_ms = now;
    return s_push(call, &p->documents, &p->n_documents, d);
}

/* A buyer principal acts only on its own tenders (operators on any). */
static int s_buyer(hub_call_t *call, const char *buyer_id)
{
    if (call->authenticated && !hub_call_has_role(call, "operator") && strcmp(call->principal, buyer_id))
        return hub_error_set(&call->err, HUB__ERROR_CODE__PERMISSION_DENIED, "buyer_id",
                             "%s may act only on its own tenders", call->principal);
    return 0;
}

/* The descriptive fields of a draft, copied from q (create and update):
 * the hub's own fields (state, bids, evaluators, ...) are never taken. A
 * PURCHASE without funders gets the buyer with the whole budget. */
static int s_take_draft(hub_call_t *call, Tendering__Process *p, const Tendering__Process *q, int64_t now)
{
    if (tender_validate_draft(q, &call->err) || s_buyer(call, q->buyer_id)) return -1;
    if (!s_text_ok(q->description, TENDER_MAX_TEXT)) return s_bad(call, "process.description", "description too long");
    p->kind = q->kind;
    p->title = q->title;
    p->description = q->description;
    p->buyer_id = q->buyer_id;
    p->buyer_name = q->buyer_name;
    p->need = q->need;
    p->budget_fen = q->budget_fen;
    p->eligibility = q->eligibility;
    p->criteria = q->criteria, p->n_criteria = q->n_criteria;
    p->documents = NULL, p->n_documents = 0;
    for (size_t i = 0; i < q->n_documents; i++)
        if (s_add_document(call, p, q->documents[i], now)) return -1;
    p->tender_end_ms = q->tender_end_ms;
    p->funders = NULL, p->n_funders = 0;
    for (size_t i = 0; i < q->n_funders; i++) {
        Tendering__Funder *f = S_NEW(call, Tendering__Funder, tendering__funder__init);
        if (!f) return -1;
        f->id = q->funders[i]->id;
        f->name = q->funders[i]->name;
        f->share_fen = q->funders[i]->share_fen;
        if (s_push(call, &p->funders, &p->n_funders, f)) return -1;
    }
    if (!p->n_funders) {
        Tendering__Funder *f = S_NEW(call, Tendering__Funder, tendering__funder__init);
        if (!f) return -1;
        f->id = p->buyer_id;
        f->name = p->buyer_name;
        f->share_fen = p->budget_fen;
        if (s_push(call, &p->funders, &p->n_funders, f)) return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ handlers: the tender */

static int s_create(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__CreateRequest *q = (const void *)call->req;
    if (!q->process) return s_bad(call, "process", "process is required");
    int64_t now = hub_now_ms();
    Tendering__Process *p = S_NEW(call, Tendering__Process, tendering__process__init);
    if (!p || s_take_draft(call, p, q->process, now)) return -1;
    char fmt[96];
    snprintf(fmt, sizeof fmt, "%s-%%06llu", t->ocid_prefix);
    if (!(p->ocid = s_next_id_dup(call, t, "tender_seq", fmt))) return -1;
    p->state = TENDERING__STATE__PLANNING;
    p->created_ms = now;
    hub_rpc_count(call->rpc, "tenders_total", 1);
    return s_commit(call, t, p, TA__COUNT, "tendering.tender.planned", NULL, NULL, NULL, now);
}

static int s_update(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__UpdateRequest *q = (const void *)call->req;
    if (!q->process) return s_bad(call, "process", "process is required");
    int64_t now = hub_now_ms();
    Tendering__Process *p = s_open(call, t, q->process->ocid, TA_UPDATE);
    if (!p && call->err.code == HUB__ERROR_CODE__NOT_FOUND)
        snprintf(call->err.field, sizeof call->err.field, "process.ocid");
    if (!p || s_buyer(call, p->buyer_id) || s_take_draft(call, p, q->process, now)) return -1;
    return s_commit(call, t, p, TA_UPDATE, "tendering.tender.updated", NULL, NULL, NULL, now);
}

static int s_get(hub_call_t *call, void *ctx)
{
    const Tendering__GetRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, ctx, q->ocid, TA__COUNT);
    if (!p) return -1;
    if (!(p = tender_public_view(p, s_privileged(call), call->arena))) return s_oom(call);
    Tendering__ProcessReply *rep = S_NEW(call, Tendering__ProcessReply, tendering__process_reply__init);
    if (!rep) return -1;
    rep->process = p;
    call->reply = &rep->base;
    return 0;
}

static int s_match_state(const hub_list_t *l, const ProtobufCMessage *m)
{
    const Tendering__ListRequest *q = l->query;
    return !q->state || ((const Tendering__Process *)m)->state == q->state;
}
/* A list item is a summary: no bids, evaluators, scores, enquiries. */
static const char *s_taken_summary(ProtobufCMessage *m)
{
    Tendering__Process *p = (void *)m;
    p->n_bids = p->n_evaluators = p->n_scores = p->n_enquiries = p->n_amendments = p->n_documents = 0;
    if (p->contract) p->contract->n_payments = 0;
    return p->ocid;
}
static int s_list(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__ListRequest *q = (const void *)call->req;
    hub_list_t l = {.call = call, .scratch = t->scratch, .query = q, .desc = &tendering__process__descriptor,
                    .match = s_match_state, .taken = s_taken_summary};
    if (hub_list_run(&l, t->processes, q->after_ocid, q->limit)) return -1;
    Tendering__ListReply *rep = S_NEW(call, Tendering__ListReply, tendering__list_reply__init);
    if (!rep) return -1;
    rep->processes = (Tendering__Process **)l.items;
    rep->n_processes = l.n_items;
    if (l.next_after_id) rep->next_after_ocid = l.next_after_id;
    call->reply = &rep->base;
    return 0;
}

static int s_publish(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__PublishRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, t, q->ocid, TA_PUBLISH);
    if (!p || s_buyer(call, p->buyer_id)) return -1;
    int64_t now = hub_now_ms();
    int64_t end = q->tender_end_ms ? q->tender_end_ms : p->tender_end_ms;
    if (end <= now)
        return s_bad(call, "tender_end_ms", "the tender period must end in the future (tender_end_ms, unix ms)");
    p->tender_start_ms = now;
    p->tender_end_ms = end;
    p->state = tender_next(p->state, TA_PUBLISH, false);
    if (s_deadline(call, t, end, p->ocid, true)) return -1;
    hub_rpc_count(call->rpc, "tenders_published_total", 1);
    return s_commit(call, t, p, TA_PUBLISH, "tendering.tender.published", NULL, NULL, NULL, now);
}

static int s_amend(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__AmendRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, t, q->ocid, TA_AMEND);
    if (!p || s_buyer(call, p->buyer_id)) return -1;
    int64_t now = hub_now_ms();
    if (!*q->rationale || !s_text_ok(q->rationale, TENDER_MAX_TEXT))
        return s_bad(call, "rationale", "an amendment needs a rationale (at most 8 KiB)");
    if (!q->new_end_ms && !q->n_documents) return s_bad(call, "new_end_ms", "nothing to amend: give new_end_ms or documents");
    if (now >= p->tender_end_ms) return s_refuse(call, "ocid", "the tender period has ended; it can no longer be amended");
    if (q->new_end_ms && q->new_end_ms <= p->tender_end_ms)
        return s_bad(call, "new_end_ms", "an amendment may only extend the tender period");
    if (p->n_amendments >= TENDER_MAX_AMENDMENTS || p->n_documents + q->n_documents > TENDER_MAX_DOCUMENTS)
        return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too many amendments or documents");
    if (s_documents_ok(call, q->documents, q->n_documents)) return -1;
    Tendering__Amendment *am = S_NEW(call, Tendering__Amendment, tendering__amendment__init);
    if (!am || !(am->id = s_fmt(call, "AMD-%02zu", p->n_amendments + 1))) return -1;
    am->rationale = q->rationale;
    am->old_end_ms = p->tender_end_ms;
    am->new_end_ms = q->new_end_ms ? q->new_end_ms : p->tender_end_ms;
    am->date_ms = now;
    for (size_t i = 0; i < q->n_documents; i++)
        if (s_add_document(call, p, q->documents[i], now)) return -1;
    if (s_push(call, &p->amendments, &p->n_amendments, am)) return -1;
    if (q->new_end_ms) {
        if (s_deadline(call, t, p->tender_end_ms, p->ocid, false) || s_deadline(call, t, q->new_end_ms, p->ocid, true))
            return -1;
        p->tender_end_ms = q->new_end_ms;
    }
    return s_commit(call, t, p, TA_AMEND, "tendering.tender.amended", NULL, NULL, NULL, now);
}

static int s_cancel(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__CancelRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, t, q->ocid, TA_CANCEL);
    if (!p || s_buyer(call, p->buyer_id)) return -1;
    if (!*q->reason || !s_text_ok(q->reason, TENDER_MAX_TEXT)) return s_bad(call, "reason", "a cancellation needs a reason");
    if (p->state == TENDERING__STATE__ACTIVE && s_deadline(call, t, p->tender_end_ms, p->ocid, false)) return -1;
    if (p->award) p->award->status = TENDERING__AWARD_STATUS__AWARD_CANCELLED;
    p->cancel_reason = q->reason;
    p->state = tender_next(p->state, TA_CANCEL, false);
    return s_commit(call, t, p, TA_CANCEL, "tendering.tender.cancelled", NULL, NULL, NULL, hub_now_ms());
}

static int s_enquiry_ask(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__EnquiryRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, t, q->ocid, TA_ENQUIRY_ASK);
    if (!p) return -1;
    int64_t now = hub_now_ms();
    if (now >= p->tender_end_ms) return s_refuse(call, "ocid", "the tender period has ended");
    if (!*q->text || !s_text_ok(q->text, MAX_QUESTION)) return s_bad(call, "text", "a question is 1 to 1000 bytes");
    if (p->n_enquiries >= TENDER_MAX_ENQUIRIES)
        return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too many enquiries");
    Tendering__Enquiry *e = S_NEW(call, Tendering__Enquiry, tendering__enquiry__init);
    if (!e || !(e->id = s_fmt(call, "ENQ-%03zu", p->n_enquiries + 1))) return -1;
    e->question = q->text;
    e->date_ms = now;
    if (s_push(call, &p->enquiries, &p->n_enquiries, e)) return -1;
    return s_commit(call, t, p, TA_ENQUIRY_ASK, "tendering.enquiry.asked", NULL, NULL, NULL, now);
}

static int s_enquiry_answer(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__EnquiryRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, t, q->ocid, TA_ENQUIRY_ANSWER);
    if (!p || s_buyer(call, p->buyer_id)) return -1;
    Tendering__Enquiry *e = tender_find_enquiry(p, q->enquiry_id);
    if (!e) return hub_error_set(&call->err, HUB__ERROR_CODE__NOT_FOUND, "enquiry_id", "no enquiry \"%s\"", q->enquiry_id);
    if (*e->answer) return hub_error_set(&call->err, HUB__ERROR_CODE__ALREADY_EXISTS, "enquiry_id", "enquiry %s is already answered", e->id);
    if (!*q->text || !s_text_ok(q->text, TENDER_MAX_TEXT)) return s_bad(call, "text", "an answer is 1 byte to 8 KiB");
    int64_t now = hub_now_ms();
    e->answer = q->text;
    e->answered_ms = now;
    return s_commit_item(call, t, p, TA_ENQUIRY_ANSWER, "tendering.enquiry.answered", NULL, NULL, NULL, e->id, now);
}

/* ------------------------------------------------------------------ handlers: bids */

/* A provider principal acts only for its own organization. */
static int s_own(hub_call_t *call, const char *org_id)
{
    if (call->authenticated && !hub_call_has_role(call, "operator") && strcmp(call->principal, org_id))
        return hub_error_set(&call->err, HUB__ERROR_CODE__PERMISSION_DENIED, "org_id",
                             "%s may act only for itself", call->principal);
    return 0;
}

static int s_bid_reply(hub_call_t *call, const Tendering__Bid *bid)
{
    Tendering__BidReply *rep = S_NEW(call, Tendering__BidReply, tendering__bid_reply__init);
    Tendering__Bid *copy = hub_arena_alloc(call->arena, sizeof *copy);
    if (!rep || !copy) return s_oom(call);
    *copy = *bid;
    rep->bid = copy;
    call->reply = &rep->base;
    return 0;
}

static int s_bid_submit(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__SubmitBidRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, t, q->ocid, TA_BID);
    if (!p) return -1;
    int64_t now = hub_now_ms();
    char when[40];
    if (now >= p->tender_end_ms)
        return hub_error_set(&call->err, HUB__ERROR_CODE__FAILED_PRECONDITION, "ocid",
                             "late bid: the tender period ended at %s", s_when(p->tender_end_ms, when, sizeof when));
    if (s_own(call, q->org_id)) return -1;
    Tendering__Org *org = (void *)hub_record_get(call, t->orgs, q->org_id, &tendering__org__descriptor,
                                                 "organization known to tendering (registered in matching)");
    if (!org) {
        if (call->err.code == HUB__ERROR_CODE__NOT_FOUND) snprintf(call->err.field, sizeof call->err.field, "org_id");
        return -1;
    }
    if (tender_check_eligible(p->eligibility, org, s_year(now), &call->err)) return -1;
    if (tender_valid_bid_of(p, q->org_id))
        return hub_error_set(&call->err, HUB__ERROR_CODE__ALREADY_EXISTS, "org_id",
                             "%s already has a valid bid; withdraw it first", q->org_id);
    size_t mine = 0;
    for (size_t i = 0; i < p->n_bids; i++) mine += !strcmp(p->bids[i]->org_id, q->org_id);
    if (mine >= MAX_SUBMISSIONS)
        return hub_error_set(&call->err, HUB__ERROR_CODE__FAILED_PRECONDITION, "org_id",
                             "%s has submitted %zu bids to this tender, the most one organization may", q->org_id, mine);
    if (q->price_fen <= 0 || q->price_fen > p->budget_fen)
        return s_bad(call, "price_fen", "a bid's price is above 0 and at most the budget");
    if (!s_text_ok(q->proposal, TENDER_MAX_TEXT)) return s_bad(call, "proposal", "proposal too long (8 KiB)");
    if (q->n_documents > TENDER_MAX_DOCUMENTS) return s_bad(call, "documents", "too many documents");
    if (s_documents_ok(call, q->documents, q->n_documents)) return -1;
    if (tender_valid_bids(p) >= TENDER_MAX_BIDS)
        return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too many bids on this tender");
    Tendering__Bid *b = S_NEW(call, Tendering__Bid, tendering__bid__init);
    if (!b || !(b->id = s_fmt(call, "BID-%03zu", p->n_bids + 1))) return -1;
    b->org_id = org->id;
    b->org_name = org->name;
    b->price_fen = q->price_fen;
    b->proposal = q->proposal;
    b->documents = q->documents, b->n_documents = q->n_documents;
    b->state = TENDERING__BID_STATE__BID_VALID;
    b->submitted_ms = now;
    if (s_push(call, &p->bids, &p->n_bids, b)) return -1;
    Tendering__Bid copy = *b;
    hub_rpc_count(call->rpc, "bids_total", 1);
    if (s_commit(call, t, p, TA_BID, "tendering.bid.received", copy.id, NULL, NULL, now)) return -1;
    return s_bid_reply(call, &copy);
}

static int s_bid_withdraw(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__BidRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, t, q->ocid, TA_BID_WITHDRAW);
    if (!p) return -1;
    int64_t now = hub_now_ms();
    if (now >= p->tender_end_ms) return s_refuse(call, "ocid", "the tender period has ended: bids can no longer be withdrawn");
    Tendering__Bid *b = tender_find_bid(p, q->bid_id);
    if (!b) return hub_error_set(&call->err, HUB__ERROR_CODE__NOT_FOUND, "bid_id", "no bid \"%s\"", q->bid_id);
    if (s_own(call, b->org_id)) return -1;
    if (b->state != TENDERING__BID_STATE__BID_VALID) return s_refuse(call, "bid_id", "the bid is already withdrawn");
    b->state = TENDERING__BID_STATE__BID_WITHDRAWN;
    b->withdrawn_ms = now;
    b->proposal = "", b->n_documents = 0; /* never opened: nothing of it is kept */
    Tendering__Bid copy = *b;
    if (s_commit(call, t, p, TA_BID_WITHDRAW, "tendering.bid.withdrawn", copy.id, NULL, NULL, now)) return -1;
    return s_bid_reply(call, &copy);
}

static int s_bid_get(hub_call_t *call, void *ctx)
{
    const Tendering__BidRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, ctx, q->ocid, TA_READ_BIDS);
    if (!p) return -1;
    Tendering__Bid *b = tender_find_bid(p, q->bid_id);
    if (!b) return hub_error_set(&call->err, HUB__ERROR_CODE__NOT_FOUND, "bid_id", "no bid \"%s\"", q->bid_id);
    /* a bid's content is the panel's: others read only their own bid */
    if (!s_privileged(call) && strcmp(call->principal, b->org_id))
        return hub_error_set(&call->err, HUB__ERROR_CODE__PERMISSION_DENIED, "bid_id",
                             "only operators, auditors and the bidder may read a bid");
    tender_rank(p, NULL);
    return s_bid_reply(call, b);
}

static int s_bid_disqualify(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__BidRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, t, q->ocid, TA_DISQUALIFY);
    if (!p) return -1;
    Tendering__Bid *b = tender_find_bid(p, q->bid_id);
    if (!b) return hub_error_set(&call->err, HUB__ERROR_CODE__NOT_FOUND, "bid_id", "no bid \"%s\"", q->bid_id);
    if (b->state != TENDERING__BID_STATE__BID_VALID) return s_refuse(call, "bid_id", "only a valid bid can be disqualified");
    if (!*q->reason || !s_text_ok(q->reason, TENDER_MAX_TEXT)) return s_bad(call, "reason", "a disqualification needs a reason");
    b->state = TENDERING__BID_STATE__BID_DISQUALIFIED;
    b->disqualified_reason = q->reason;
    return s_commit(call, t, p, TA_DISQUALIFY, "tendering.bid.disqualified", b->id, NULL, NULL, hub_now_ms());
}

/* Checks bid b's organization against p's eligibility as matching knows
 * it now (a membership suspended or withdrawn since the bid, say). 0
 * eligible; -1 with call->err (FAILED_PRECONDITION) not eligible or gone;
 * -1 with a store error. */
static int s_still_eligible(hub_call_t *call, tendering_t *t, const Tendering__Process *p, const Tendering__Bid *b)
{
    Tendering__Org *org = (void *)hub_record_get(call, t->orgs, b->org_id, &tendering__org__descriptor, "organization");
    if (!org) {
        if (call->err.code != HUB__ERROR_CODE__NOT_FOUND) return -1;
        return s_refuse(call, "org_id", "the organization is no longer in the resource library");
    }
    return tender_check_eligible(p->eligibility, org, s_year(hub_now_ms()), &call->err);
}

/* ------------------------------------------------------------------ handlers: evaluation */

static int s_evaluator_add(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__AddEvaluatorRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, t, q->ocid, TA_EVALUATOR_ADD);
    if (!p) return -1;
    const Tendering__Evaluator *e = q->evaluator;
    if (!e || !s_id_ok(e->id)) return s_bad(call, "evaluator.id", "an evaluator id is 1..64 of A-Z a-z 0-9 . _ -");
    if (!*e->name || !s_text_ok(e->name, TENDER_MAX_NAME)) return s_bad(call, "evaluator.name", "an evaluator needs a name");
    if (e->n_affiliations > TENDER_MAX_AFFILIATIONS) return s_bad(call, "evaluator.affiliations", "too many affiliations");
    for (size_t i = 0; i < e->n_affiliations; i++)
        if (!s_id_ok(e->affiliations[i])) return s_bad(call, "evaluator.affiliations", "an affiliation is an organization id");
    if (tender_find_evaluator(p, e->id))
        return hub_error_set(&call->err, HUB__ERROR_CODE__ALREADY_EXISTS, "evaluator.id", "evaluator %s is already on the panel", e->id);
    if (p->n_evaluators >= TENDER_MAX_EVALUATORS)
        return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "the panel is full");
    Tendering__Evaluator *ne = S_NEW(call, Tendering__Evaluator, tendering__evaluator__init);
    if (!ne) return -1;
    ne->id = e->id;
    ne->name = e->name;
    ne->affiliations = e->affiliations, ne->n_affiliations = e->n_affiliations;
    if (s_push(call, &p->evaluators, &p->n_evaluators, ne)) return -1;
    return s_commit(call, t, p, TA_EVALUATOR_ADD, "tendering.evaluator.added", NULL, NULL, NULL, hub_now_ms());
}

/* An evaluator principal acts only as itself. */
static int s_self(hub_call_t *call, const char *evaluator_id)
{
    if (call->authenticated && !hub_call_has_role(call, "operator") && strcmp(call->principal, evaluator_id))
        return hub_error_set(&call->err, HUB__ERROR_CODE__PERMISSION_DENIED, "evaluator_id",
                             "%s may act only as itself", call->principal);
    return 0;
}

static int s_declare(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__DeclareRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, t, q->ocid, TA_DECLARE);
    if (!p || s_self(call, q->evaluator_id)) return -1;
    Tendering__Evaluator *e = tender_find_evaluator(p, q->evaluator_id);
    if (!e) return hub_error_set(&call->err, HUB__ERROR_CODE__NOT_FOUND, "evaluator_id", "no evaluator \"%s\"", q->evaluator_id);
    if (e->recused) return s_refuse(call, "evaluator_id", "the evaluator has recused");
    if (e->declared) return hub_error_set(&call->err, HUB__ERROR_CODE__ALREADY_EXISTS, "evaluator_id", "%s has already declared", e->id);
    if (!q->no_conflict)
        return s_bad(call, "no_conflict", "an evaluator with a conflict of interest must not take part: recuse");
    if (tender_check_conflict(p, e, &call->err)) return -1;
    int64_t now = hub_now_ms();
    e->declared = true;
    e->declared_ms = now;
    return s_commit(call, t, p, TA_DECLARE, "tendering.evaluator.declared", NULL, NULL, NULL, now);
}

/* "tendering.evaluator.recuse": the evaluator stands down with a reason
 * (a conflict the declaration found, unavailability); from then on it
 * neither scores nor holds up the award, and its scores no longer count. */
static int s_recuse(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__DeclareRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, t, q->ocid, TA_DECLARE);
    if (!p || s_self(call, q->evaluator_id)) return -1;
    Tendering__Evaluator *e = tender_find_evaluator(p, q->evaluator_id);
    if (!e) return hub_error_set(&call->err, HUB__ERROR_CODE__NOT_FOUND, "evaluator_id", "no evaluator \"%s\"", q->evaluator_id);
    if (e->recused) return hub_error_set(&call->err, HUB__ERROR_CODE__ALREADY_EXISTS, "evaluator_id", "%s has already recused", e->id);
    if (!*q->reason || !s_text_ok(q->reason, TENDER_MAX_TEXT)) return s_bad(call, "reason", "a recusal needs a reason");
    e->recused = true;
    e->declared = false;
    e->recusal_reason = q->reason;
    /* its scores no longer count */
    size_t kept = 0;
    for (size_t i = 0; i < p->n_scores; i++)
        if (strcmp(p->scores[i]->evaluator_id, e->id)) p->scores[kept++] = p->scores[i];
    p->n_scores = kept;
    tender_rank(p, NULL);
    return s_commit(call, t, p, TA_DECLARE, "tendering.evaluator.recused", NULL, NULL, NULL, hub_now_ms());
}

static int s_score(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__ScoreRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, t, q->ocid, TA_SCORE);
    if (!p) return -1;
    if (!q->score) return s_bad(call, "score", "score is required");
    if (s_self(call, q->score->evaluator_id) || tender_validate_score(p, q->score, &call->err)) return -1;
    if (!s_text_ok(q->score->comment, TENDER_MAX_TEXT)) return s_bad(call, "score.comment", "comment too long");
    int64_t now = hub_now_ms();
    Tendering__Score *s = S_NEW(call, Tendering__Score, tendering__score__init);
    if (!s) return -1;
    *s = *q->score;
    s->date_ms = now;
    size_t i = 0;
    while (i < p->n_scores && (strcmp(p->scores[i]->evaluator_id, s->evaluator_id) || strcmp(p->scores[i]->bid_id, s->bid_id)))
        i++;
    if (i < p->n_scores) p->scores[i] = s; /* a corrected score replaces the earlier one */
    else if (s_push(call, &p->scores, &p->n_scores, s)) return -1;
    tender_rank(p, NULL);
    return s_commit(call, t, p, TA_SCORE, "tendering.bid.scored", s->bid_id, NULL, NULL, now);
}

static int s_evaluation(hub_call_t *call, void *ctx)
{
    const Tendering__GetRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, ctx, q->ocid, TA_READ_BIDS);
    if (!p) return -1;
    if (!s_privileged(call) && p->state == TENDERING__STATE__EVALUATION)
        return hub_error_set(&call->err, HUB__ERROR_CODE__PERMISSION_DENIED, "ocid",
                             "the ranking is the panel's until the award");
    Tendering__EvaluationReply *rep = S_NEW(call, Tendering__EvaluationReply, tendering__evaluation_reply__init);
    if (!rep) return -1;
    bool complete = false;
    size_t n = tender_rank(p, &complete);
    rep->complete = complete;
    rep->waiting_for = hub_arena_alloc(call->arena, (p->n_evaluators + 1) * sizeof *rep->waiting_for);
    if (!rep->waiting_for) return s_oom(call);
    for (size_t i = 0; i < p->n_evaluators; i++) {
        const Tendering__Evaluator *e = p->evaluators[i];
        rep->evaluators_declared += e->declared;
        rep->evaluators_recused += e->recused;
        bool done = e->declared;
        for (size_t j = 0; j < p->n_bids && done; j++)
            if (p->bids[j]->state == TENDERING__BID_STATE__BID_VALID) {
                bool scored = false;
                for (size_t k = 0; k < p->n_scores && !scored; k++)
                    scored = !strcmp(p->scores[k]->evaluator_id, e->id) && !strcmp(p->scores[k]->bid_id, p->bids[j]->id);
                done = scored;
            }
        if (!e->recused && !done) rep->waiting_for[rep->n_waiting_for++] = e->id;
    }
    rep->ranking = hub_arena_alloc(call->arena, (n + 1) * sizeof *rep->ranking);
    if (!rep->ranking) return s_oom(call);
    for (size_t i = 0; i < p->n_bids; i++) {
        const Tendering__Bid *b = p->bids[i];
        if (b->state != TENDERING__BID_STATE__BID_VALID || !b->rank || b->rank > n) continue;
        Tendering__Ranked *r = S_NEW(call, Tendering__Ranked, tendering__ranked__init);
        if (!r) return -1;
        r->bid_id = b->id, r->org_id = b->org_id, r->org_name = b->org_name;
        r->price_fen = b->price_fen, r->total_centi = b->total_centi, r->rank = b->rank;
        for (size_t j = 0; j < p->n_scores; j++) r->evaluators_scored += !strcmp(p->scores[j]->bid_id, b->id);
        rep->ranking[b->rank - 1] = r;
    }
    rep->n_ranking = n;
    call->reply = &rep->base;
    return 0;
}

static int s_award(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__AwardRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, t, q->ocid, TA_AWARD);
    if (!p) return -1;
    int64_t now = hub_now_ms();
    bool complete = false;
    size_t n = tender_rank(p, &complete);
    Tendering__Award *a = S_NEW(call, Tendering__Award, tendering__award__init);
    if (!a) return -1;
    char *aid = hub_arena_alloc(call->arena, strlen(p->ocid) + 8);
    if (!aid) return s_oom(call);
    sprintf(aid, "%s-award", p->ocid);
    a->id = aid;
    a->date_ms = now;
    p->award = a;
    if (!n) { /* nothing left to award */
        a->status = TENDERING__AWARD_STATUS__AWARD_UNSUCCESSFUL;
        p->state = tender_next(p->state, TA_AWARD, false);
        return s_commit(call, t, p, TA_AWARD, "tendering.tender.unsuccessful", NULL, NULL, NULL, now);
    }
    if (!complete)
        return s_refuse(call, "ocid", "the evaluation is not complete: every evaluator of the panel who has not recused must "
                                 "declare and score every valid bid (tendering.evaluation lists who is awaited)");
    Tendering__Bid *b = NULL;
    for (size_t i = 0; i < p->n_bids && !*q->bid_id; i++)
        if (p->bids[i]->rank == 1) b = p->bids[i];
    if (*q->bid_id && !(b = tender_find_bid(p, q->bid_id)))
        return hub_error_set(&call->err, HUB__ERROR_CODE__NOT_FOUND, "bid_id", "no bid \"%s\"", q->bid_id);
    if (!b || b->state != TENDERING__BID_STATE__BID_VALID) return s_refuse(call, "bid_id", "only a valid bid can be awarded");
    if (b->rank != 1 && (!*q->reason || !s_text_ok(q->reason, TENDER_MAX_TEXT)))
        return s_bad(call, "reason", "awarding a bid that is not ranked first needs a reason");
    if (s_still_eligible(call, t, p, b)) return -1;
    int64_t value = q->value_fen ? q->value_fen : b->price_fen;
    if (value <= 0 || value > p->budget_fen || value > b->price_fen)
        return s_bad(call, "value_fen", "the award's value is above 0 and at most the bid's price (and the budget)");
    a->bid_id = b->id, a->org_id = b->org_id, a->org_name = b->org_name;
    a->value_fen = value;
    a->reason = q->reason;
    a->status = TENDERING__AWARD_STATUS__AWARD_PENDING_STATUS;
    p->state = tender_next(p->state, TA_AWARD, true);
    return s_commit(call, t, p, TA_AWARD, "tendering.award.pending", b->id, NULL, NULL, now);
}

static int s_activate(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__GetRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, t, q->ocid, TA_ACTIVATE);
    if (!p) return -1;
    int64_t now = hub_now_ms();
    p->award->status = TENDERING__AWARD_STATUS__AWARD_ACTIVE;
    p->award->date_ms = now;
    p->state = tender_next(p->state, TA_ACTIVATE, true);
    hub_rpc_count(call->rpc, "awards_total", 1);
    return s_commit(call, t, p, TA_ACTIVATE, "tendering.award.active", p->award->bid_id, NULL, NULL, now);
}

/* ------------------------------------------------------------------ handlers: contract */

static int s_sign(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__SignRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, t, q->ocid, TA_SIGN);
    if (!p || s_buyer(call, p->buyer_id)) return -1;
    int64_t now = hub_now_ms();
    int64_t value = q->value_fen ? q->value_fen : p->award->value_fen;
    if (value <= 0 || value > p->award->value_fen)
        return s_bad(call, "value_fen", "the contract's value is above 0 and at most the award's");
    int64_t start = q->start_ms ? q->start_ms : now;
    if (q->end_ms <= start) return s_bad(call, "end_ms", "the contract period must end after it starts");
    if (q->n_milestones > TENDER_MAX_MILESTONES) return s_bad(call, "milestones", "too many milestones");
    Tendering__Contract *c = S_NEW(call, Tendering__Contract, tendering__contract__init);
    char *cid = hub_arena_alloc(call->arena, strlen(p->ocid) + 10);
    if (!c || !cid) return s_oom(call);
    sprintf(cid, "%s-contract", p->ocid);
    c->id = cid;
    c->award_id = p->award->id;
    c->value_fen = value;
    c->start_ms = start, c->end_ms = q->end_ms, c->signed_ms = now;
    c->status = TENDERING__CONTRACT_STATUS__CONTRACT_ACTIVE;
    for (size_t i = 0; i < q->n_milestones; i++) {
        const Tendering__Milestone *in = q->milestones[i];
        char field[48];
        if (!*in->title || !s_text_ok(in->title, TENDER_MAX_NAME))
            return s_bad(call, (snprintf(field, sizeof field, "milestones[%zu].title", i), field),
                         "a milestone needs a title");
        if (in->due_ms < start || in->due_ms > q->end_ms)
            return s_bad(call, (snprintf(field, sizeof field, "milestones[%zu].due_ms", i), field),
                         "a milestone falls due within the contract period");
        Tendering__Milestone *m = S_NEW(call, Tendering__Milestone, tendering__milestone__init);
        if (!m || !(m->id = s_fmt(call, "MS-%02zu", i + 1))) return -1;
        m->title = in->title;
        m->due_ms = in->due_ms;
        m->status = TENDERING__MILESTONE_STATUS__SCHEDULED;
        if (s_push(call, &c->milestones, &c->n_milestones, m)) return -1;
    }
    /* each funder's draw on the contract: its declared share of the value */
    int64_t shares[TENDER_MAX_FUNDERS], draws[TENDER_MAX_FUNDERS];
    for (size_t i = 0; i < p->n_funders; i++) shares[i] = p->funders[i]->share_fen;
    if (!p->n_funders || p->n_funders > TENDER_MAX_FUNDERS || tender_split(value, shares, p->n_funders, draws))
        return s_refuse(call, "ocid", "the funders' shares cannot carry this contract");
    for (size_t i = 0; i < p->n_funders; i++) p->funders[i]->draw_fen = draws[i], p->funders[i]->paid_fen = 0;
    p->contract = c;
    p->state = tender_next(p->state, TA_SIGN, true);
    hub_rpc_count(call->rpc, "contracts_total", 1);
    return s_commit(call, t, p, TA_SIGN, "tendering.contract.signed", p->award->bid_id, NULL, NULL, now);
}

static int s_milestone(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__MilestoneRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, t, q->ocid, TA_MILESTONE);
    if (!p) return -1;
    if (s_own(call, p->award->org_id)) return -1;
    Tendering__Milestone *m = tender_find_milestone(p, q->milestone_id);
    if (!m) return hub_error_set(&call->err, HUB__ERROR_CODE__NOT_FOUND, "milestone_id", "no milestone \"%s\"", q->milestone_id);
    if (m->status == TENDERING__MILESTONE_STATUS__MET) return s_refuse(call, "milestone_id", "the milestone is already met");
    if (q->status == TENDERING__MILESTONE_STATUS__SCHEDULED) return s_bad(call, "status", "report met, not-met, partially-met or progress (0)");
    if (q->percent > 100) return s_bad(call, "percent", "percent is 0..100");
    if (!s_text_ok(q->text, TENDER_MAX_TEXT)) return s_bad(call, "text", "report too long");
    if (!q->status && !*q->text && !q->percent) return s_bad(call, "text", "a progress report needs a text or a percent");
    if (m->n_reports >= TENDER_MAX_REPORTS)
        return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too many reports on this milestone");
    int64_t now = hub_now_ms();
    Tendering__Progress *r = S_NEW(call, Tendering__Progress, tendering__progress__init);
    if (!r) return -1;
    r->date_ms = now;
    r->percent = q->status == TENDERING__MILESTONE_STATUS__MET ? 100 : q->percent;
    r->text = q->text;
    if (s_push(call, &m->reports, &m->n_reports, r)) return -1;
    const char *topic = "tendering.milestone.progress";
    if (q->status) {
        m->status = q->status;
        if (q->status == TENDERING__MILESTONE_STATUS__MET) m->date_met_ms = now;
        topic = q->status == TENDERING__MILESTONE_STATUS__MET       ? "tendering.milestone.met"
                : q->status == TENDERING__MILESTONE_STATUS__NOT_MET ? "tendering.milestone.not_met"
                                                                   : "tendering.milestone.partially_met";
    }
    return s_commit(call, t, p, TA_MILESTONE, topic, NULL, m->id, NULL, now);
}

/* ------------------------------------------------------------------ the ledger */

/* Posts entry e (id, date and lines set by the caller) to the journal and
 * the accounts: checks the entry's form, adds each line to its account,
 * and refuses (FAILED_PRECONDITION) an asset (fund:) that would go below
 * zero: money that was never received cannot be paid out. */
static int s_post(hub_call_t *call, tendering_t *t, Tendering__Entry *e)
{
    if (ledger_check_entry(e, &call->err)) return -1;
    for (size_t i = 0; i < e->n_lines; i++) {
        const Tendering__Line *l = e->lines[i];
        hub_error_t keep = call->err;
        Tendering__Account *a =
            (void *)hub_record_get(call, t->accounts, l->account, &tendering__account__descriptor, "account");
        if (!a) {
            if (call->err.code != HUB__ERROR_CODE__NOT_FOUND) return -1;
            call->err = keep;
            if (!(a = S_NEW(call, Tendering__Account, tendering__account__init))) return -1;
            a->name = l->account;
        }
        if (a->debit_fen > INT64_MAX - l->debit_fen || a->credit_fen > INT64_MAX - l->credit_fen)
            return s_refuse(call, "amount_fen", "the account's totals would overflow");
        a->debit_fen += l->debit_fen;
        a->credit_fen += l->credit_fen;
        a->balance_fen = ledger_balance(a->name, a->debit_fen, a->credit_fen);
        if (!strncmp(a->name, "fund:", 5) && a->balance_fen < 0) {
            char have[32], need[32];
            tender_format_fen(a->balance_fen + l->credit_fen - l->debit_fen, have, sizeof have);
            tender_format_fen(l->credit_fen, need, sizeof need);
            return hub_error_set(&call->err, HUB__ERROR_CODE__FAILED_PRECONDITION, "amount_fen",
                                 "%s holds %s yuan, %s yuan are needed: funds not yet received cannot be paid out",
                                 a->name, have, need);
        }
        if (hub_record_put(call, t->accounts, a->name, &a->base)) return -1;
    }
    hub_rpc_count(call->rpc, "ledger_entries_total", 1);
    return hub_record_put(call, t->entries, e->id, &e->base);
}

/* A new entry of kind for source with lines (account, debit, credit)
 * appended by s_line; the id is the next journal number. */
static Tendering__Entry *s_entry(hub_call_t *call, tendering_t *t, Tendering__EntryKind kind, const char *source,
                                 const char *memo, int64_t now)
{
    Tendering__Entry *e = S_NEW(call, Tendering__Entry, tendering__entry__init);
    if (!e || !(e->id = s_next_id_dup(call, t, "entry_seq", "ENT-%012llu"))) return NULL;
    e->kind = kind;
    e->source_id = (char *)source;
    e->memo = (char *)memo;
    e->date_ms = now;
    return e;
}
static int s_line(hub_call_t *call, Tendering__Entry *e, const char *prefix, const char *id, int64_t debit,
                  int64_t credit)
{
    Tendering__Line *l = S_NEW(call, Tendering__Line, tendering__line__init);
    char *name = hub_arena_alloc(call->arena, strlen(prefix) + strlen(id) + 1);
    if (!l || !name) return s_oom(call);
    strcpy(name, prefix);
    strcat(name, id);
    l->account = name;
    l->debit_fen = debit;
    l->credit_fen = credit;
    return s_push(call, &e->lines, &e->n_lines, l);
}

/* field (an amount in fen) is 1 .. TENDER_MAX_FEN, else INVALID_ARGUMENT. */
static int s_amount(hub_call_t *call, int64_t fen, const char *field)
{
    return fen > 0 && fen <= TENDER_MAX_FEN ? 0 : s_bad(call, field, "an amount is 1 fen to 10^12 yuan (integer fen)");
}

static int s_payment(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__PaymentRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, t, q->ocid, TA_PAYMENT);
    if (!p || s_amount(call, q->amount_fen, "amount_fen")) return -1;
    Tendering__Contract *c = p->contract;
    char buf[3][32];
    if (q->amount_fen > c->value_fen - c->paid_fen) {
        tender_format_fen(q->amount_fen, buf[0], sizeof buf[0]);
        tender_format_fen(c->paid_fen, buf[1], sizeof buf[1]);
        tender_format_fen(c->value_fen, buf[2], sizeof buf[2]);
        return hub_error_set(&call->err, HUB__ERROR_CODE__FAILED_PRECONDITION, "amount_fen",
                             "a payment of %s yuan would exceed the contract value (%s of %s yuan paid)", buf[0],
                             buf[1], buf[2]);
    }
    if (*q->milestone_id && !tender_find_milestone(p, q->milestone_id))
        return hub_error_set(&call->err, HUB__ERROR_CODE__NOT_FOUND, "milestone_id", "no milestone \"%s\"", q->milestone_id);
    if (!s_text_ok(q->memo, TENDER_MAX_TEXT)) return s_bad(call, "memo", "memo too long");
    if (c->n_payments >= TENDER_MAX_PAYMENTS)
        return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too many payments on this contract");
    /* split over what each funder still owes on its draw: no part exceeds it */
    int64_t left[TENDER_MAX_FUNDERS], parts[TENDER_MAX_FUNDERS];
    for (size_t i = 0; i < p->n_funders; i++) left[i] = p->funders[i]->draw_fen - p->funders[i]->paid_fen;
    if (tender_split(q->amount_fen, left, p->n_funders, parts))
        return s_refuse(call, "amount_fen", "nothing is left to pay on the funders' draws");
    int64_t now = hub_now_ms();
    Tendering__Payment *pay = S_NEW(call, Tendering__Payment, tendering__payment__init);
    if (!pay || !(pay->id = s_fmt(call, "PAY-%04zu", c->n_payments + 1))) return -1;
    char *source = hub_arena_alloc(call->arena, strlen(p->ocid) + strlen(pay->id) + 2);
    if (!source) return s_oom(call);
    sprintf(source, "%s/%s", p->ocid, pay->id);
    Tendering__Entry *e = s_entry(call, t, TENDERING__ENTRY_KIND__PAYMENT, source, q->memo, now);
    if (!e || s_line(call, e, "paid:", p->ocid, q->amount_fen, 0)) return -1;
    for (size_t i = 0; i < p->n_funders; i++) {
        if (!parts[i]) continue;
        if (s_line(call, e, "fund:", p->funders[i]->id, 0, parts[i])) return -1;
        p->funders[i]->paid_fen += parts[i];
    }
    if (s_post(call, t, e)) return -1;
    pay->amount_fen = q->amount_fen;
    pay->milestone_id = q->milestone_id;
    pay->entry_id = e->id;
    pay->date_ms = now;
    pay->memo = q->memo;
    if (s_push(call, &c->payments, &c->n_payments, pay)) return -1;
    c->paid_fen += q->amount_fen;
    hub_rpc_count(call->rpc, "payments_total", 1);
    return s_commit(call, t, p, TA_PAYMENT, "tendering.payment.made", NULL, *q->milestone_id ? q->milestone_id : NULL,
                    pay, now);
}

static int s_terminate(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__TerminateRequest *q = (const void *)call->req;
    Tendering__Process *p = s_open(call, t, q->ocid, TA_TERMINATE);
    if (!p || s_buyer(call, p->buyer_id)) return -1;
    const Tendering__Closure *in = q->closure;
    if (!in) return s_bad(call, "closure", "closure (the post-evaluation) is required");
    if (in->post_score > 100) return s_bad(call, "closure.post_score", "the post-evaluation score is 0..100");
    if (in->early && !*in->reason) return s_bad(call, "closure.reason", "an early termination needs a reason");
    if (!s_text_ok(in->reason, TENDER_MAX_TEXT) || !s_text_ok(in->post_evaluation, TENDER_MAX_TEXT))
        return s_bad(call, "closure", "text too long");
    int64_t now = hub_now_ms();
    Tendering__Closure *cl = S_NEW(call, Tendering__Closure, tendering__closure__init);
    if (!cl) return -1;
    *cl = *in;
    cl->date_ms = now;
    p->closure = cl;
    p->contract->status = TENDERING__CONTRACT_STATUS__CONTRACT_TERMINATED;
    p->state = tender_next(p->state, TA_TERMINATE, true);
    return s_commit(call, t, p, TA_TERMINATE, "tendering.tender.terminated", NULL, NULL, NULL, now);
}

/* ------------------------------------------------------------------ the deadline */

/* Closes the tender period of one due process: EVALUATION (bids opened),
 * or UNSUCCESSFUL without a valid bid. A stale entry (amended, cancelled)
 * is skipped. */
static int s_close_one(hub_call_t *call, hub_due_item_t *item, void *arg)
{
    tendering_t *t = arg;
    hub_error_t keep = call->err;
    Tendering__Process *p = s_open(call, t, item->id, TA__COUNT);
    if (!p) {
        if (call->err.code != HUB__ERROR_CODE__NOT_FOUND) return -1;
        call->err = keep;
        item->skipped = true;
        return 0;
    }
    if (p->state != TENDERING__STATE__ACTIVE || p->tender_end_ms != item->due_ms) {
        item->skipped = true;
        return 0;
    }
    /* a bidder suspended or withdrawn from the library since its bid is out */
    for (size_t i = 0; i < p->n_bids; i++) {
        Tendering__Bid *b = p->bids[i];
        if (b->state != TENDERING__BID_STATE__BID_VALID) continue;
        hub_error_t keep = call->err;
        if (!s_still_eligible(call, t, p, b)) continue;
        if (call->err.code != HUB__ERROR_CODE__FAILED_PRECONDITION) return -1;
        b->state = TENDERING__BID_STATE__BID_DISQUALIFIED;
        if (!(b->disqualified_reason = s_fmt(call, "no longer eligible at the close: %s", call->err.message))) return -1;
        call->err = keep;
        hub_rpc_count(call->rpc, "bids_ineligible_at_close_total", 1);
    }
    bool any = tender_valid_bids(p) > 0;
    p->state = tender_next(p->state, TA_CLOSE_PERIOD, any);
    p->bids_opened = true;
    if (!any) {
        Tendering__Award *a = S_NEW(call, Tendering__Award, tendering__award__init);
        char *aid = hub_arena_alloc(call->arena, strlen(p->ocid) + 8);
        if (!a || !aid) return s_oom(call);
        sprintf(aid, "%s-award", p->ocid);
        a->id = aid;
        a->status = TENDERING__AWARD_STATUS__AWARD_UNSUCCESSFUL;
        a->date_ms = item->due_ms;
        p->award = a;
    }
    hub_rpc_count(call->rpc, "tender_periods_closed_total", 1);
    return s_commit(call, t, p, TA_CLOSE_PERIOD, any ? "tendering.tender.closed" : "tendering.tender.unsuccessful",
                    NULL, NULL, NULL, hub_now_ms());
}
static int s_tick(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Hub__Tick *q = (const void *)call->req;
    Hub__TickReply *rep = S_NEW(call, Hub__TickReply, hub__tick_reply__init);
    if (!rep) return -1;
    int done = hub_due_take(call, t->deadlines, q->now_ms ? q->now_ms : hub_now_ms(), TICK_BATCH, s_close_one, t,
                            "tender period of", "deadline_failures_total");
    if (done < 0) return -1;
    rep->done = (uint32_t)done;
    call->reply = &rep->base;
    return 0;
}

/* ------------------------------------------------------------------ organizations (matching's events) */

static int s_apply_matching(hub_call_t *call, const char *publisher, const Hub__Event *ev, void *arg)
{
    (void)publisher;
    tendering_t *t = arg;
    if (strncmp(ev->topic, "matching.org.", 13)) return 0;
    hub_error_t err = {0};
    Matching__ProviderEvent *pe = (void *)hub_wire_unpack_max(&matching__provider_event__descriptor, ev->payload.data,
                                                             ev->payload.len, HUB_WIRE_MAX_REPLY, call->arena, &err);
    if (!pe || !pe->org || !s_id_ok(pe->org->id)) {
        hub_warn("matching event %llu (%s) unreadable: %s; skipped", (unsigned long long)ev->seq, ev->topic, err.message);
        hub_rpc_count(call->rpc, "feed_events_unreadable_total", 1);
        return 0;
    }
    const Matching__Organization *o = pe->org;
    Tendering__Org org = TENDERING__ORG__INIT;
    org.id = o->id;
    org.name = o->name;
    org.credit_code = o->credit_code;
    org.legal_form = o->legal_form;
    org.membership = o->membership;
    org.year_incorporated = o->year_incorporated;
    org.updated_ms = ev->time_ms;
    hub_rpc_count(call->rpc, "orgs_applied_total", 1);
    return hub_record_put(call, t->orgs, org.id, &org.base);
}

static int s_org_get(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__OrgRequest *q = (const void *)call->req;
    Tendering__Org *o = (void *)hub_record_get(call, t->orgs, q->id, &tendering__org__descriptor,
                                               "organization known to tendering");
    if (!o && call->err.code == HUB__ERROR_CODE__NOT_FOUND) snprintf(call->err.field, sizeof call->err.field, "id");
    Tendering__OrgReply *rep = S_NEW(call, Tendering__OrgReply, tendering__org_reply__init);
    if (!o || !rep) return -1;
    rep->org = o;
    call->reply = &rep->base;
    return 0;
}

/* ------------------------------------------------------------------ export */

typedef struct {
    const char *ocid;
    size_t len;
    json_t *arr;
    int bad;
} s_rel_scan_t;
static int s_rel_one(const MDB_val *k, const MDB_val *v, void *arg)
{
    s_rel_scan_t *s = arg;
    if (k->mv_size != s->len + 5 || memcmp(k->mv_data, s->ocid, s->len) || ((char *)k->mv_data)[s->len]) return 1;
    json_error_t jerr;
    json_t *r = json_loadb(v->mv_data, v->mv_size, 0, &jerr);
    if (!r || json_array_append_new(s->arr, r)) {
        s->bad = 1;
        return 1;
    }
    return 0;
}

static int s_export(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__ExportRequest *q = (const void *)call->req;
    bool record = !strcmp(q->what, "record");
    if (!record && *q->what && strcmp(q->what, "package"))
        return s_bad(call, "what", "export \"package\" (the release package) or \"record\"");
    Tendering__Process *p = s_open(call, t, q->ocid, TA__COUNT);
    if (!p) return -1;
    /* every release key of ocid sorts after "ocid\0" and before the next ocid */
    char after[256];
    snprintf(after, sizeof after, "%s", p->ocid);
    s_rel_scan_t scan = {p->ocid, strlen(p->ocid), json_array(), 0};
    if (!scan.arr) return s_oom(call);
    int rc = hub_store_scan_after(call->txn, t->releases, after, s_rel_one, &scan);
    if (rc || scan.bad) {
        json_decref(scan.arr);
        return rc ? hub_call_mdb_error(call, rc) : s_oom(call);
    }
    char uri[800];
    snprintf(uri, sizeof uri, "%s/%s%s.json", t->package_uri, p->ocid, record ? "-record" : "");
    int64_t now = hub_now_ms();
    json_t *pkg = record ? ocds_record_package(p, scan.arr, uri, t->publisher_id, t->publisher_name, now)
                         : ocds_release_package(scan.arr, uri, t->publisher_name, now);
    char *txt = pkg ? json_dumps(pkg, JSON_INDENT(2) | OCDS_DUMP_FLAGS) : NULL;
    json_decref(pkg);
    /* the text is copied into the arena and packed there again: half of it each */
    if (txt && strlen(txt) > HUB_WIRE_ARENA_BUDGET / 2 - (64u << 10)) {
        size_t n = strlen(txt);
        free(txt);
        return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "ocid",
                             "the export is %zu KiB, more than one reply carries (%u KiB)", n >> 10,
                             (HUB_WIRE_ARENA_BUDGET / 2 - (64u << 10)) >> 10);
    }
    Tendering__ExportReply *rep = S_NEW(call, Tendering__ExportReply, tendering__export_reply__init);
    if (!txt || !rep || !(rep->json = hub_arena_strdup(call->arena, txt))) {
        free(txt);
        return s_oom(call);
    }
    free(txt);
    call->reply = &rep->base;
    return 0;
}

/* ------------------------------------------------------------------ handlers: funds */

static int s_funds_event(hub_call_t *call, const char *topic, Tendering__FundsEvent *ev)
{
    ev->action = (char *)strrchr(topic, '.') + 1;
    int rc = hub_outbox_append(call->outbox, call->txn, topic, &ev->base);
    return rc ? hub_call_mdb_error(call, rc) : 0;
}

static int s_contribute(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__ContributeRequest *q = (const void *)call->req;
    if (!tender_funder_id_ok(q->funder_id))
        return s_bad(call, "funder_id", "a funder id is 1..100 of A-Z a-z 0-9 . _ - (not donations, donors)");
    if (s_amount(call, q->amount_fen, "amount_fen")) return -1;
    if (!s_text_ok(q->funder_name, TENDER_MAX_NAME)) return s_bad(call, "funder_name", "name too long");
    if (!s_text_ok(q->memo, TENDER_MAX_TEXT)) return s_bad(call, "memo", "memo too long");
    int64_t now = hub_now_ms();
    Tendering__Contribution *c = S_NEW(call, Tendering__Contribution, tendering__contribution__init);
    if (!c || !(c->id = s_next_id_dup(call, t, "contribution_seq", "CON-%06llu"))) return -1;
    Tendering__Entry *e = s_entry(call, t, TENDERING__ENTRY_KIND__CONTRIBUTION, c->id, q->memo, now);
    if (!e || s_line(call, e, "fund:", q->funder_id, q->amount_fen, 0) ||
        s_line(call, e, "contrib:", q->funder_id, 0, q->amount_fen) || s_post(call, t, e))
        return -1;
    c->funder_id = q->funder_id, c->funder_name = q->funder_name, c->amount_fen = q->amount_fen;
    c->memo = q->memo, c->entry_id = e->id, c->date_ms = now;
    if (hub_record_put(call, t->contributions, c->id, &c->base)) return -1;
    Tendering__FundsEvent ev = TENDERING__FUNDS_EVENT__INIT;
    ev.entry = e, ev.contribution = c;
    Tendering__ContributeReply *rep = S_NEW(call, Tendering__ContributeReply, tendering__contribute_reply__init);
    if (!rep || s_funds_event(call, "funds.contribution.received", &ev)) return -1;
    rep->contribution = c, rep->entry = e;
    call->reply = &rep->base;
    return 0;
}

static int s_donate(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__DonateRequest *q = (const void *)call->req;
    if (s_amount(call, q->amount_fen, "amount_fen")) return -1;
    if (!s_text_ok(q->donor_name, TENDER_MAX_NAME)) return s_bad(call, "donor_name", "name too long");
    if (!s_text_ok(q->memo, TENDER_MAX_TEXT)) return s_bad(call, "memo", "memo too long");
    if (!q->anonymous && !*q->donor_name) return s_bad(call, "donor_name", "name the donor, or give anonymous");
    int64_t now = hub_now_ms();
    Tendering__Donation *d = S_NEW(call, Tendering__Donation, tendering__donation__init);
    if (!d || !(d->id = s_next_id_dup(call, t, "donation_seq", "DON-%06llu"))) return -1;
    Tendering__Entry *e = s_entry(call, t, TENDERING__ENTRY_KIND__DONATION, d->id, q->memo, now);
    if (!e || s_line(call, e, "fund:", "donations", q->amount_fen, 0) ||
        s_line(call, e, "contrib:", "donors", 0, q->amount_fen) || s_post(call, t, e))
        return -1;
    d->donor_name = q->anonymous ? "" : q->donor_name; /* an anonymous donor's name is not kept */
    d->anonymous = q->anonymous, d->amount_fen = q->amount_fen, d->memo = q->memo;
    d->entry_id = e->id, d->date_ms = now;
    if (hub_record_put(call, t->donations, d->id, &d->base)) return -1;
    /* the event is public: the donor's name masked */
    Tendering__Donation pub = *d;
    char masked[64] = "";
    if (*d->donor_name) tender_mask_name(d->donor_name, masked, sizeof masked);
    pub.donor_name = masked;
    pub.memo = ""; /* a memo may name the donor: not public */
    Tendering__Entry pub_e = *e;
    pub_e.memo = "";
    Tendering__FundsEvent ev = TENDERING__FUNDS_EVENT__INIT;
    ev.entry = &pub_e, ev.donation = &pub;
    hub_rpc_count(call->rpc, "donations_total", 1);
    Tendering__DonateReply *rep = S_NEW(call, Tendering__DonateReply, tendering__donate_reply__init);
    if (!rep || s_funds_event(call, "funds.donation.received", &ev)) return -1;
    rep->donation = d, rep->entry = e;
    call->reply = &rep->base;
    return 0;
}

/* The public view of a disbursement (into the caller's storage). */
static void s_disclose(const Tendering__Disbursement *d, Tendering__DisclosureItem *out, char *masked, size_t len)
{
    tendering__disclosure_item__init(out);
    tender_mask_name(d->recipient_name, masked, len);
    out->recipient = masked;
    out->street = d->street;
    out->purpose = d->purpose;
    out->amount_fen = d->amount_fen;
    out->date_ms = d->date_ms;
}

static int s_disburse(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__DisburseRequest *q = (const void *)call->req;
    const Tendering__Disbursement *in = q->disbursement;
    if (!in) return s_bad(call, "disbursement", "disbursement is required");
    if (!*in->recipient_name || !s_text_ok(in->recipient_name, TENDER_MAX_NAME))
        return s_bad(call, "disbursement.recipient_name", "the recipient's name is required");
    if (!*in->street || !s_text_ok(in->street, TENDER_MAX_NAME)) return s_bad(call, "disbursement.street", "the recipient's street is required");
    if (!*in->purpose || !s_text_ok(in->purpose, TENDER_MAX_TEXT)) return s_bad(call, "disbursement.purpose", "the purpose is required");
    if (!s_text_ok(in->recipient_phone, 32)) return s_bad(call, "disbursement.recipient_phone", "phone too long");
    if (!s_text_ok(in->recipient_address, TENDER_MAX_NAME))
        return s_bad(call, "disbursement.recipient_address", "address too long");
    if (s_amount(call, in->amount_fen, "disbursement.amount_fen")) return -1;
    int64_t now = hub_now_ms();
    Tendering__Disbursement *d = S_NEW(call, Tendering__Disbursement, tendering__disbursement__init);
    if (!d) return -1;
    *d = *in;
    if (!(d->id = s_next_id_dup(call, t, "disbursement_seq", "DIS-%06llu"))) return -1;
    Tendering__Entry *e = s_entry(call, t, TENDERING__ENTRY_KIND__DISBURSEMENT, d->id, d->purpose, now);
    if (!e || s_line(call, e, "disbursed:", "donations", d->amount_fen, 0) ||
        s_line(call, e, "fund:", "donations", 0, d->amount_fen) || s_post(call, t, e))
        return -1;
    d->entry_id = e->id;
    d->date_ms = now;
    if (hub_record_put(call, t->disbursements, d->id, &d->base)) return -1;
    Tendering__DisclosureItem item;
    char masked[64];
    s_disclose(d, &item, masked, sizeof masked);
    Tendering__FundsEvent ev = TENDERING__FUNDS_EVENT__INIT;
    Tendering__Entry pub_e = *e;
    pub_e.memo = ""; /* the purpose may name the person: the item carries it */
    ev.entry = &pub_e, ev.disbursement = &item;
    Tendering__DisburseReply *rep = S_NEW(call, Tendering__DisburseReply, tendering__disburse_reply__init);
    if (!rep || s_funds_event(call, "funds.disbursement.made", &ev)) return -1;
    rep->disbursement = d, rep->entry = e;
    call->reply = &rep->base;
    return 0;
}

/* balance: the accounts as stored, and every entry summed again. */
typedef struct {
    hub_call_t *call;
    Tendering__Account **acc;   /* sorted by name (LMDB order) */
    size_t n, cap;
    int64_t *debit, *credit;    /* recomputed per account */
    uint64_t entries;
    __int128 total_debit, total_credit;
    size_t problems;
    char **problem;             /* -> text[i] */
    char text[20][256];
    int err;
} s_bal_t;

/* Notes a problem (fmt with one %s); the first 20 are kept, in a fixed
 * table of s_bal_t (not the arena: entries are read with the arena
 * rewound after each). */
static void s_problem(s_bal_t *b, const char *fmt, const char *a)
{
    if (b->problems >= 20) return;
    snprintf(b->text[b->problems], sizeof b->text[0], fmt, a);
    b->problem[b->problems] = b->text[b->problems];
    b->problems++;
}
static int s_bal_acc(const MDB_val *k, const MDB_val *v, void *arg)
{
    (void)k;
    s_bal_t *b = arg;
    hub_error_t err;
    Tendering__Account *a = (void *)hub_wire_unpack_max(&tendering__account__descriptor, v->mv_data, v->mv_size,
                                                      HUB_WIRE_MAX_REPLY, b->call->arena, &err);
    if (!a) return b->err = 1;
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        Tendering__Account **acc = hub_arena_alloc(b->call->arena, cap * sizeof *acc);
        if (!acc) return b->err = 1;
        if (b->n) memcpy(acc, b->acc, b->n * sizeof *acc);
        b->acc = acc, b->cap = cap;
    }
    b->acc[b->n++] = a;
    return 0;
}
static int s_bal_cmp(const void *key, const void *elem)
{
    return strcmp(key, (*(Tendering__Account *const *)elem)->name);
}
static int s_bal_entry(const MDB_val *k, const MDB_val *v, void *arg)
{
    (void)k;
    s_bal_t *b = arg;
    hub_error_t err;
    hub_arena_mark_t mark = hub_arena_mark(b->call->arena);
    Tendering__Entry *e = (void *)hub_wire_unpack_max(&tendering__entry__descriptor, v->mv_data, v->mv_size,
                                                    HUB_WIRE_MAX_REPLY, b->call->arena, &err);
    if (!e) return b->err = 1;
    b->entries++;
    __int128 d = 0, c = 0;
    for (size_t i = 0; i < e->n_lines; i++) {
        const Tendering__Line *l = e->lines[i];
        d += l->debit_fen, c += l->credit_fen;
        Tendering__Account **a = b->n ? bsearch(l->account, b->acc, b->n, sizeof *b->acc, s_bal_cmp) : NULL;
        if (!a) s_problem(b, "an entry posts to %s, which has no account", l->account);
        else b->debit[a - b->acc] += l->debit_fen, b->credit[a - b->acc] += l->credit_fen;
    }
    if (d != c) s_problem(b, "entry %s does not balance", e->id);
    b->total_debit += d, b->total_credit += c;
    hub_arena_rewind(b->call->arena, mark);
    return 0;
}

static int s_balance(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    /* in the arena: the problems' texts must outlive the handler (the reply) */
    s_bal_t *b = hub_arena_alloc(call->arena, sizeof *b);
    if (!b) return s_oom(call);
    memset(b, 0, sizeof *b);
    b->call = call;
    b->problem = hub_arena_alloc(call->arena, 20 * sizeof *b->problem);
    if (!b->problem) return s_oom(call);
    int rc = hub_store_scan_after(call->txn, t->accounts, "", s_bal_acc, b);
    if (!rc && !b->err) {
        b->debit = hub_arena_alloc(call->arena, (b->n + 1) * sizeof *b->debit);
        b->credit = hub_arena_alloc(call->arena, (b->n + 1) * sizeof *b->credit);
        if (!b->debit || !b->credit) return s_oom(call);
        memset(b->debit, 0, (b->n + 1) * sizeof *b->debit);
        memset(b->credit, 0, (b->n + 1) * sizeof *b->credit);
        rc = hub_store_scan_after(call->txn, t->entries, "", s_bal_entry, b);
    }
    if (rc) return hub_call_mdb_error(call, rc);
    if (b->err) return hub_error_set(&call->err, HUB__ERROR_CODE__INTERNAL, "", "a ledger record is unreadable");
    Tendering__BalanceReply *rep = S_NEW(call, Tendering__BalanceReply, tendering__balance_reply__init);
    if (!rep) return -1;
    for (size_t i = 0; i < b->n; i++) {
        const Tendering__Account *a = b->acc[i];
        if (a->debit_fen != b->debit[i] || a->credit_fen != b->credit[i])
            s_problem(b, "account %s differs from the sum of its entries", a->name);
        if (!strncmp(a->name, "fund:", 5) && a->balance_fen < 0) s_problem(b, "%s is below zero", a->name);
        rep->total_debit_fen += a->debit_fen;
        rep->total_credit_fen += a->credit_fen;
    }
    if (b->total_debit != b->total_credit) s_problem(b, "%s", "the journal's debits and credits differ");
    if (b->total_debit != rep->total_debit_fen || b->total_credit != rep->total_credit_fen)
        s_problem(b, "%s", "the accounts' totals differ from the journal's");
    if (rep->total_debit_fen != rep->total_credit_fen) s_problem(b, "%s", "the accounts' debits and credits differ");
    rep->accounts = b->acc, rep->n_accounts = b->n;
    rep->entries = b->entries;
    rep->problems = b->problem, rep->n_problems = b->problems;
    rep->reconciled = b->problems == 0;
    if (!rep->reconciled) hub_rpc_count(call->rpc, "ledger_unreconciled_total", 1);
    call->reply = &rep->base;
    return 0;
}

static int s_match_account(const hub_list_t *l, const ProtobufCMessage *m)
{
    const Tendering__EntriesRequest *q = l->query;
    const Tendering__Entry *e = (const void *)m;
    if (!*q->account) return 1;
    for (size_t i = 0; i < e->n_lines; i++)
        if (!strcmp(e->lines[i]->account, q->account)) return 1;
    return 0;
}
static const char *s_taken_entry(ProtobufCMessage *m) { return ((Tendering__Entry *)m)->id; }
static int s_entries(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__EntriesRequest *q = (const void *)call->req;
    hub_list_t l = {.call = call, .scratch = t->scratch, .query = q, .desc = &tendering__entry__descriptor,
                    .match = s_match_account, .taken = s_taken_entry};
    if (hub_list_run(&l, t->entries, q->after_id, q->limit)) return -1;
    Tendering__EntriesReply *rep = S_NEW(call, Tendering__EntriesReply, tendering__entries_reply__init);
    if (!rep) return -1;
    rep->entries = (Tendering__Entry **)l.items;
    rep->n_entries = l.n_items;
    if (l.next_after_id) rep->next_after_id = l.next_after_id;
    call->reply = &rep->base;
    return 0;
}

static int s_match_any(const hub_list_t *l, const ProtobufCMessage *m)
{
    (void)l, (void)m;
    return 1;
}
static const char *s_taken_dis(ProtobufCMessage *m) { return ((Tendering__Disbursement *)m)->id; }
/* The balance of account name, 0 when it has none yet. */
static int s_account_balance(hub_call_t *call, tendering_t *t, const char *name, int64_t *out)
{
    hub_error_t keep = call->err;
    Tendering__Account *a = (void *)hub_record_get(call, t->accounts, name, &tendering__account__descriptor, "account");
    if (!a && call->err.code != HUB__ERROR_CODE__NOT_FOUND) return -1;
    call->err = keep;
    *out = a ? a->balance_fen : 0;
    return 0;
}
static int s_disclosure(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__DisclosureRequest *q = (const void *)call->req;
    hub_list_t l = {.call = call, .scratch = t->scratch, .query = q, .desc = &tendering__disbursement__descriptor,
                    .match = s_match_any, .taken = s_taken_dis};
    if (hub_list_run(&l, t->disbursements, q->after_id, q->limit)) return -1;
    Tendering__DisclosureReply *rep = S_NEW(call, Tendering__DisclosureReply, tendering__disclosure_reply__init);
    if (!rep) return -1;
    rep->items = hub_arena_alloc(call->arena, (l.n_items + 1) * sizeof *rep->items);
    if (!rep->items) return s_oom(call);
    for (size_t i = 0; i < l.n_items; i++) {
        Tendering__DisclosureItem *it = hub_arena_alloc(call->arena, sizeof *it);
        char *masked = hub_arena_alloc(call->arena, 64);
        if (!it || !masked) return s_oom(call);
        s_disclose((const Tendering__Disbursement *)l.items[i], it, masked, 64);
        rep->items[i] = it;
    }
    rep->n_items = l.n_items;
    if (l.next_after_id) rep->next_after_id = l.next_after_id;
    uint64_t n = 0;
    int rc = hub_store_meta_get_u64(t->store, call->txn, "donation_seq", &n);
    if (rc && rc != MDB_NOTFOUND) return hub_call_mdb_error(call, rc);
    rep->donations = (uint32_t)n;
    if (s_account_balance(call, t, "contrib:donors", &rep->donations_fen) ||
        s_account_balance(call, t, "disbursed:donations", &rep->disbursed_fen))
        return -1;
    call->reply = &rep->base;
    return 0;
}

/* ------------------------------------------------------------------ wiring */

const hub_handler_t tendering_handlers[] = {
    {"tendering.tender.create", &tendering__create_request__descriptor, s_create, R_BUYER},
    {"tendering.tender.update", &tendering__update_request__descriptor, s_update, R_BUYER},
    {"tendering.tender.get", &tendering__get_request__descriptor, s_get, R_PUBLIC},
    {"tendering.tender.list", &tendering__list_request__descriptor, s_list, R_PUBLIC},
    {"tendering.tender.publish", &tendering__publish_request__descriptor, s_publish, R_BUYER},
    {"tendering.tender.amend", &tendering__amend_request__descriptor, s_amend, R_BUYER},
    {"tendering.tender.cancel", &tendering__cancel_request__descriptor, s_cancel, R_BUYER},
    {"tendering.enquiry.ask", &tendering__enquiry_request__descriptor, s_enquiry_ask, R_PUBLIC},
    {"tendering.enquiry.answer", &tendering__enquiry_request__descriptor, s_enquiry_answer, R_BUYER},
    {"tendering.bid.submit", &tendering__submit_bid_request__descriptor, s_bid_submit, R_PROVIDER},
    {"tendering.bid.withdraw", &tendering__bid_request__descriptor, s_bid_withdraw, R_PROVIDER},
    {"tendering.bid.get", &tendering__bid_request__descriptor, s_bid_get, R_READ},
    {"tendering.bid.disqualify", &tendering__bid_request__descriptor, s_bid_disqualify, R_OPERATOR},
    {"tendering.evaluator.add", &tendering__add_evaluator_request__descriptor, s_evaluator_add, R_OPERATOR},
    {"tendering.evaluator.declare", &tendering__declare_request__descriptor, s_declare, R_EVALUATOR},
    {"tendering.evaluator.recuse", &tendering__declare_request__descriptor, s_recuse, R_EVALUATOR},
    {"tendering.score", &tendering__score_request__descriptor, s_score, R_EVALUATOR},
    {"tendering.evaluation", &tendering__get_request__descriptor, s_evaluation, R_READ},
    {"tendering.award", &tendering__award_request__descriptor, s_award, R_OPERATOR},
    {"tendering.award.activate", &tendering__get_request__descriptor, s_activate, R_OPERATOR},
    {"tendering.contract.sign", &tendering__sign_request__descriptor, s_sign, R_BUYER},
    {"tendering.milestone.report", &tendering__milestone_request__descriptor, s_milestone, R_PROVIDER},
    {"tendering.payment.make", &tendering__payment_request__descriptor, s_payment, R_OPERATOR},
    {"tendering.contract.terminate", &tendering__terminate_request__descriptor, s_terminate, R_BUYER},
    {"tendering.org.get", &tendering__org_request__descriptor, s_org_get, R_READ},
    {"tendering.export", &tendering__export_request__descriptor, s_export, R_PUBLIC},
    {"tendering.funds.contribute", &tendering__contribute_request__descriptor, s_contribute, R_OPERATOR},
    {"tendering.funds.donate", &tendering__donate_request__descriptor, s_donate, R_DONATE},
    {"tendering.funds.disburse", &tendering__disburse_request__descriptor, s_disburse, R_OPERATOR},
    {"tendering.funds.balance", &tendering__balance_request__descriptor, s_balance, "operator auditor"},
    {"tendering.funds.entries", &tendering__entries_request__descriptor, s_entries, "operator auditor"},
    {"tendering.funds.disclosure", &tendering__disclosure_request__descriptor, s_disclosure, R_PUBLIC},
    {"tendering.subject.export", &tendering__subject_export_request__descriptor, tendering_subject_export, R_OPERATOR},
    {"tendering.subject.erase", &tendering__subject_erase_request__descriptor, tendering_subject_erase, R_OPERATOR},
    {"tendering.tick", &hub__tick__descriptor, s_tick, R_INTERNAL},
    {NULL, NULL, NULL, NULL},
};

static int s_cfg_str(hub_daemon_t *d, const char *key, const char *dflt, char *out, size_t len, hub_error_t *err)
{
    const char *v = hub_config_get(d->cfg, "tendering", key, dflt);
    if (strlen(v) >= len || !*v)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, key, "[tendering] %s: 1..%zu bytes", key, len - 1);
    snprintf(out, len, "%s", v);
    return 0;
}

int tendering_init(hub_daemon_t *d, int check_only, void **ctx, hub_error_t *err)
{
    tendering_t *t = calloc(1, sizeof *t);
    if (!t) abort();
    t->d = d;
    t->scratch = hub_arena_new(HUB_WIRE_ARENA_BUDGET);
    t->deadline_check_ms = (int)hub_config_get_int(d->cfg, "tendering", "deadline_check_ms", 250);
    if (s_cfg_str(d, "ocid_prefix", "ocds-hshub0", t->ocid_prefix, 48, err) ||
        s_cfg_str(d, "publisher_id", "HS-SOSC", t->publisher_id, sizeof t->publisher_id, err) ||
        s_cfg_str(d, "publisher_name", "海曙区社会组织服务中心", t->publisher_name, sizeof t->publisher_name, err) ||
        s_cfg_str(d, "package_uri", "https://hub.example.org/ocds", t->package_uri, sizeof t->package_uri, err)) {
        tendering_fini(t);
        return -1;
    }
    if (!s_id_ok(t->ocid_prefix) || strncmp(t->ocid_prefix, "ocds-", 5)) {
        tendering_fini(t);
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "ocid_prefix",
                             "[tendering] ocid_prefix is \"ocds-\" and the publisher's prefix (A-Z a-z 0-9 . _ -)");
    }
    if (t->deadline_check_ms < 10 || t->deadline_check_ms > 60000) {
        tendering_fini(t);
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "deadline_check_ms",
                             "[tendering] deadline_check_ms is 10..60000");
    }
    if (!*hub_config_get(d->cfg, "tendering", "matching_pub", "") ||
        !*hub_config_get(d->cfg, "tendering", "matching_api", "")) {
        tendering_fini(t);
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                             "[tendering] needs matching_pub and matching_api (matching's endpoints)");
    }
    if (hub_feed_keys(d->cfg, "tendering", "matching", t->server_key, t->public_key, t->secret_key, err)) {
        tendering_fini(t);
        return -1;
    }
    if (!check_only) {
        t->store = d->store;
        t->processes = hub_daemon_db(d, TENDERING_DB_PROCESSES);
        t->releases = hub_daemon_db(d, TENDERING_DB_RELEASES);
        t->deadlines = hub_daemon_db(d, TENDERING_DB_DEADLINES);
        t->orgs = hub_daemon_db(d, TENDERING_DB_ORGS);
        t->entries = hub_daemon_db(d, TENDERING_DB_ENTRIES);
        t->accounts = hub_daemon_db(d, TENDERING_DB_ACCOUNTS);
        t->contributions = hub_daemon_db(d, TENDERING_DB_CONTRIBUTIONS);
        t->donations = hub_daemon_db(d, TENDERING_DB_DONATIONS);
        t->disbursements = hub_daemon_db(d, TENDERING_DB_DISBURSEMENTS);
    }
    *ctx = t;
    return 0;
}

int tendering_start(hub_daemon_t *d, void *ctx, hub_error_t *err)
{
    tendering_t *t = ctx;
    hub_curve_t curve = {t->server_key, t->public_key, t->secret_key};
    t->feed = hub_feed_new(d->rpc, d->store, d->zctx, "matching", hub_config_get(d->cfg, "tendering", "matching_pub", ""),
                           hub_config_get(d->cfg, "tendering", "matching_api", ""), *t->server_key ? &curve : NULL,
                           s_apply_matching, t, err);
    if (!t->feed || hub_feed_start(t->feed, err)) return -1;
    hub_due_start(&t->deadline, d->loop, d->rpc, d->store, t->deadlines, "tendering.tick", t->deadline_check_ms);
    hub_rpc_add_queue(d->rpc, "deadlines", t->deadlines);   /* tender periods and milestones to watch */
    hub_scrub_init(&t->scrub, d->loop, d->store, d->rpc, NULL, NULL); /* one left by a stop: now */
    return 0;
}

void tendering_stop(void *ctx)
{
    tendering_t *t = ctx;
    hub_feed_destroy(&t->feed);
    hub_due_stop(&t->deadline);
    hub_scrub_close(&t->scrub);
}

void tendering_fini(void *ctx)
{
    tendering_t *t = ctx;
    if (!t) return;
    hub_feed_destroy(&t->feed);
    hub_arena_destroy(&t->scratch);
    free(t);
}
