/* notification_privacy: notification's part of the personal-data rules
 * (README "Personal data (PIPL)"): intake's intake.privacy.anonymized and
 * intake.subject.erased events blank the contact this daemon keeps for
 * those requests and activity registrations and the deliveries made to
 * their requesters and registrants (pending ones are stopped), then the
 * store is rewritten (hub_scrub); notification.subject.export; and
 * notification.subject.erase, a command for what the event cannot name:
 * directory recipients and deliveries matched by a phone or an e-mail (the
 * event carries request and registration ids and a keyed hash only). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hub_log.h"
#include "hub_record.h"
#include "hub_scrub.h"
#include "hub_util.h"
#include "intake.pb-c.h"
#include "notification_svc.h"

#define REQUESTER "requester:"
#define REGISTRANT "registrant:"
#define ERASED_ERROR "personal data erased"
#define MAX_REASON 256 /* bytes of an erasure's reason (a ticket or audit id) */

static int s_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* ---- collecting deliveries by a scan ---- */

typedef struct {
    hub_call_t *call;
    notif_t *n;
    char **ids;            /* sorted request ids */
    size_t n_ids;
    char **reg_ids;        /* sorted registration ids */
    size_t n_reg_ids;
    const char *phone;     /* normalized, or "" */
    const char *email;     /* or "" */
    char **rids;           /* the subject's directory recipients (their ids) */
    size_t n_rids;
    char **found;          /* delivery ids (call arena) */
    size_t n_found, cap;
    int rc;
} dscan_t;

/* True when delivery d concerns the subject: to the requester of one of
 * the request ids, to the registrant of one of the registration ids, to
 * its phone or e-mail, or by SMS or e-mail to one of its directory
 * recipients (whose other address may not be the one given). */
static bool s_delivery_of(const dscan_t *s, const Notification__Delivery *d)
{
    if (!strncmp(d->recipient, REQUESTER, strlen(REQUESTER)) && s->n_ids) {
        const char *id = d->request_id;
        if (bsearch(&id, s->ids, s->n_ids, sizeof *s->ids, s_cmp)) return true;
    }
    if (!strncmp(d->recipient, REGISTRANT, strlen(REGISTRANT)) && s->n_reg_ids) {
        const char *id = d->recipient + strlen(REGISTRANT);
        if (bsearch(&id, s->reg_ids, s->n_reg_ids, sizeof *s->reg_ids, s_cmp)) return true;
    }
    if (!*d->address) return false;
    if (d->channel == NOTIFICATION__CHANNEL__SMS || d->channel == NOTIFICATION__CHANNEL__EMAIL)
        for (size_t i = 0; i < s->n_rids; i++)
            if (!strcmp(d->recipient, s->rids[i])) return true;
    if (*s->email && !strcasecmp(d->address, s->email)) return true;
    char p[HUB_PHONE_DIGITS];
    return *s->phone && d->channel == NOTIFICATION__CHANNEL__SMS && hub_phone_norm(d->address, p, sizeof p) &&
           !strcmp(p, s->phone);
}

static int s_dcollect(const MDB_val *key, const MDB_val *val, void *arg)
{
    dscan_t *s = arg;
    (void)key;
    hub_arena_reset(s->n->scratch);
    hub_error_t err = {0};
    Notification__Delivery *d = (Notification__Delivery *)hub_wire_unpack_max(
        &notification__delivery__descriptor, val->mv_data, val->mv_size, HUB_WIRE_MAX_REPLY, s->n->scratch, &err);
    if (!d || !s_delivery_of(s, d)) return 0;
    if (!(s->found = hub_arena_grow(s->call->arena, s->found, s->n_found, &s->cap, sizeof *s->found, 16))) {
        s->rc = -1;
        return 1;
    }
    if (!(s->found[s->n_found++] = hub_arena_strdup(s->call->arena, d->id))) { s->rc = -1; return 1; }
    return 0;
}

static int s_dscan(dscan_t *s)
{
    int rc = hub_store_scan_after(s->call->txn, s->n->deliveries, "", s_dcollect, s);
    if (rc) return hub_call_mdb_error(s->call, rc);
    if (s->rc) return hub_error_set(&s->call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too many deliveries");
    return 0;
}

/* Loads a record, NULL when absent (call->err kept), NULL with err on a
 * store error. *gone tells the two apart. */
static ProtobufCMessage *s_get(hub_call_t *call, MDB_dbi db, const char *id, const ProtobufCMessageDescriptor *desc,
                               bool *gone)
{
    hub_error_t keep = call->err;
    ProtobufCMessage *m = hub_record_get(call, db, id, desc, "id");
    *gone = !m && call->err.code == HUB__ERROR_CODE__NOT_FOUND;
    if (*gone) call->err = keep;
    return m;
}

/* Blanks the address, subject, text and data of the deliveries s found,
 * and their last error (a gateway's answer may quote the address; the
 * status code stays); pending ones are stopped (dead, ERASED_ERROR). 0, or
 * -1 with call->err. */
static int s_blank_deliveries(hub_call_t *call, notif_t *n, const dscan_t *s)
{
    int64_t now = hub_now_ms();
    bool gone;
    for (size_t i = 0; i < s->n_found; i++) {
        Notification__Delivery *d = (void *)s_get(call, n->deliveries, s->found[i], &notification__delivery__descriptor,
                                                  &gone);
        if (!d) return -1;
        if (d->state == NOTIFICATION__DELIVERY_STATE__QUEUED || d->state == NOTIFICATION__DELIVERY_STATE__RETRYING) {
            /* never sent now: out of the queue, not into the dead-letter list
             * (a requeue could only fail) */
            if (notif_due_del(call, n, d)) return -1;
            d->state = NOTIFICATION__DELIVERY_STATE__DEAD;
            d->dead_ms = now;
            d->last_error = ERASED_ERROR;
            hub_rpc_count(call->rpc, "deliveries_erased_pending_total", 1);
        }
        if (*d->last_error) d->last_error = ERASED_ERROR;
        d->address = d->text = d->subject = "";
        d->n_data = 0;
        if (hub_record_put(call, n->deliveries, d->id, &d->base)) return -1;
    }
    return 0;
}

/* ---- intake's events ---- */

int notification_privacy_apply(hub_call_t *call, notif_t *n, const Hub__Event *ev)
{
    hub_error_t err = {0};
    Intake__AnonymizedEvent *ae = (Intake__AnonymizedEvent *)hub_wire_unpack_max(
        &intake__anonymized_event__descriptor, ev->payload.data, ev->payload.len, HUB_WIRE_MAX_REPLY, call->arena,
        &err);
    if (!ae) {
        hub_warn("intake event %llu (%s) unreadable: %s; skipped", (unsigned long long)ev->seq, ev->topic,
                 err.message);
        hub_rpc_count(call->rpc, "feed_events_unreadable_total", 1);
        return 0;
    }
    if (!ae->n_request_ids && !ae->n_registration_ids) return 0;
    /* (an empty list is NULL: qsort must not see it) */
    if (ae->n_request_ids) qsort(ae->request_ids, ae->n_request_ids, sizeof *ae->request_ids, s_cmp);
    if (ae->n_registration_ids)
        qsort(ae->registration_ids, ae->n_registration_ids, sizeof *ae->registration_ids, s_cmp);
    int64_t now = hub_now_ms();
    bool gone;
    for (size_t i = 0; i < ae->n_request_ids; i++) {
        Notification__RequestState *rs = (void *)s_get(call, n->requests, ae->request_ids[i],
                                                       &notification__request_state__descriptor, &gone);
        if (!rs) {
            if (gone) continue;
            return -1;
        }
        rs->name = rs->phone = rs->email = "";
        rs->consent = false;
        rs->n_deferred = 0;
        if (hub_record_put(call, n->requests, rs->request_id, &rs->base)) return -1;
    }
    for (size_t i = 0; i < ae->n_registration_ids; i++) {
        Notification__RegistrationState *reg = (void *)s_get(
            call, n->registrations, ae->registration_ids[i], &notification__registration_state__descriptor, &gone);
        if (!reg) {
            if (gone) continue;
            return -1;
        }
        reg->phone = reg->email = "";
        reg->consent = false; /* a reminder still scheduled finds no one to tell */
        if (!reg->anonymized_ms) reg->anonymized_ms = now;
        if (hub_record_put(call, n->registrations, reg->registration_id, &reg->base)) return -1;
    }
    dscan_t s = {.call = call, .n = n, .ids = ae->request_ids, .n_ids = ae->n_request_ids,
                 .reg_ids = ae->registration_ids, .n_reg_ids = ae->n_registration_ids, .phone = "", .email = ""};
    if (s_dscan(&s) || s_blank_deliveries(call, n, &s)) return -1;
    hub_rpc_count(call->rpc, "requests_anonymized_total", ae->n_request_ids);
    hub_rpc_count(call->rpc, "registrations_anonymized_total", ae->n_registration_ids);
    return hub_scrub_request(&n->scrub, call);
}

/* ---- notification.subject.export and .erase ---- */

/* True when directory recipient r has the subject's phone (normalized) or
 * e-mail (either may be ""). */
static int s_recipient_of(const Notification__Recipient *r, const char *phone, const char *email)
{
    char p[HUB_PHONE_DIGITS];
    return (*email && *r->email && !strcasecmp(r->email, email)) ||
           (*phone && hub_phone_norm(r->phone, p, sizeof p) && !strcmp(p, phone));
}

typedef struct {
    hub_call_t *call;
    notif_t *n;
    const char *phone, *email;
    bool for_export;       /* blank the webhook secret (never shown) */
    Notification__Recipient **found; /* decoded records (call arena) */
    char **ids;            /* their ids, same order */
    size_t n_found, cap;
    int rc;
} rscan_t;

/* hub_store_scan_fn: collects the subject's directory recipients. */
static int s_rcollect(const MDB_val *key, const MDB_val *val, void *arg)
{
    rscan_t *s = arg;
    (void)key;
    hub_error_t err = {0};
    Notification__Recipient *r = (Notification__Recipient *)hub_wire_unpack_max(
        &notification__recipient__descriptor, val->mv_data, val->mv_size, HUB_WIRE_MAX_REPLY, s->call->arena, &err);
    if (!r || !s_recipient_of(r, s->phone, s->email)) return 0;
    if (s->n_found == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        Notification__Recipient **f = hub_arena_alloc(s->call->arena, (cap + 1) * sizeof *f);
        char **ids = hub_arena_alloc(s->call->arena, (cap + 1) * sizeof *ids);
        if (!f || !ids) { s->rc = -1; return 1; }
        if (s->n_found) memcpy(f, s->found, s->n_found * sizeof *f), memcpy(ids, s->ids, s->n_found * sizeof *ids);
        s->found = f;
        s->ids = ids;
        s->cap = cap;
    }
    if (s->for_export) r->webhook_secret = "";
    s->ids[s->n_found] = r->id;
    s->found[s->n_found++] = r;
    return 0;
}

/* Fills s with the subject's directory recipients. 0, or -1 with call->err. */
static int s_rscan(rscan_t *s)
{
    int rc = hub_store_scan_after(s->call->txn, s->n->recipients, "", s_rcollect, s);
    if (rc) return hub_call_mdb_error(s->call, rc);
    if (s->rc) return hub_error_set(&s->call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too many recipients");
    return 0;
}

/* Collects the registrations whose registrant has the subject's phone
 * (normalized) or e-mail. */
typedef struct {
    hub_call_t *call;
    const char *phone, *email;
    Notification__RegistrationState **found;
    size_t n_found, cap;
    int rc;
} gscan_t;

static int s_gcollect(const MDB_val *key, const MDB_val *val, void *arg)
{
    gscan_t *s = arg;
    (void)key;
    hub_error_t err = {0};
    Notification__RegistrationState *g = (Notification__RegistrationState *)hub_wire_unpack_max(
        &notification__registration_state__descriptor, val->mv_data, val->mv_size, HUB_WIRE_MAX_REPLY,
        s->call->arena, &err);
    char p[HUB_PHONE_DIGITS];
    if (!g || !((*s->email && *g->email && !strcasecmp(g->email, s->email)) ||
                (*s->phone && hub_phone_norm(g->phone, p, sizeof p) && !strcmp(p, s->phone))))
        return 0;
    if (!(s->found = hub_arena_grow(s->call->arena, s->found, s->n_found, &s->cap, sizeof *s->found, 8))) {
        s->rc = -1;
        return 1;
    }
    s->found[s->n_found++] = g;
    return 0;
}

int notification_subject_export_handler(hub_call_t *call, void *ctx)
{
    notif_t *n = ctx;
    const Notification__SubjectExportRequest *q = (const void *)call->req;
    char phone[HUB_PHONE_DIGITS];
    hub_phone_norm(q->phone, phone, sizeof phone);
    if (!*phone && !*q->email && !q->n_request_ids)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "phone",
                             "a phone number, an e-mail address or request ids are needed");
    Notification__SubjectExportReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    char **ids = hub_arena_alloc(call->arena, (q->n_request_ids + 1) * sizeof *ids);
    if (!rep || !ids) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too large");
    notification__subject_export_reply__init(rep);
    rep->requests = hub_arena_alloc(call->arena, (q->n_request_ids + 1) * sizeof *rep->requests);
    if (!rep->requests) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too large");
    bool gone;
    for (size_t i = 0; i < q->n_request_ids; i++) {
        ids[i] = q->request_ids[i];
        Notification__RequestState *rs = (void *)s_get(call, n->requests, ids[i],
                                                       &notification__request_state__descriptor, &gone);
        if (rs) rep->requests[rep->n_requests++] = rs;
        else if (!gone) return -1;
    }
    qsort(ids, q->n_request_ids, sizeof *ids, s_cmp);
    rscan_t r = {.call = call, .n = n, .phone = phone, .email = q->email, .for_export = true};
    if (s_rscan(&r)) return -1;
    rep->recipients = r.found;
    rep->n_recipients = r.n_found;
    dscan_t s = {.call = call, .n = n, .ids = ids, .n_ids = q->n_request_ids, .phone = phone, .email = q->email,
                 .rids = r.ids, .n_rids = r.n_found};
    if (s_dscan(&s)) return -1;
    rep->deliveries = hub_arena_alloc(call->arena, (s.n_found + 1) * sizeof *rep->deliveries);
    if (!rep->deliveries) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too large");
    for (size_t i = 0; i < s.n_found; i++) {
        Notification__Delivery *d = (void *)s_get(call, n->deliveries, s.found[i], &notification__delivery__descriptor,
                                                  &gone);
        if (!d) return -1;
        rep->deliveries[rep->n_deliveries++] = d;
    }
    if (*phone || *q->email) {
        gscan_t g = {.call = call, .phone = phone, .email = q->email};
        int rc;
        if ((rc = hub_store_scan_after(call->txn, n->registrations, "", s_gcollect, &g)))
            return hub_call_mdb_error(call, rc);
        if (g.rc) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too large");
        rep->registrations = g.found;
        rep->n_registrations = g.n_found;
    }
    call->reply = &rep->base;
    return 0;
}

int notification_subject_erase_handler(hub_call_t *call, void *ctx)
{
    notif_t *n = ctx;
    const Notification__SubjectEraseRequest *q = (const void *)call->req;
    char phone[HUB_PHONE_DIGITS];
    hub_phone_norm(q->phone, phone, sizeof phone);
    if (!*phone && !*q->email)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "phone",
                             "a phone number or an e-mail address is needed");
    if (!hub_log_text_ok(q->reason, MAX_REASON))
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "reason",
                             "the reason is at most %d bytes of printable UTF-8", MAX_REASON);
    /* the export's sets: recipients by phone or e-mail, deliveries to that
     * phone or e-mail or to those recipients' addresses */
    rscan_t r = {.call = call, .n = n, .phone = phone, .email = q->email};
    if (s_rscan(&r)) return -1;
    dscan_t s = {.call = call, .n = n, .phone = phone, .email = q->email, .rids = r.ids, .n_rids = r.n_found};
    if (s_dscan(&s)) return -1;
    Notification__SubjectEraseReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
    notification__subject_erase_reply__init(rep);
    int64_t now = hub_now_ms();
    for (size_t i = 0; i < r.n_found; i++) {
        Notification__Recipient *x = r.found[i];
        /* the id stays: deliveries, inbox and schedules still name it */
        x->name = x->phone = x->email = "";
        x->consent = false;
        x->updated_ms = now;
        if (hub_record_put(call, n->recipients, x->id, &x->base)) return -1;
    }
    if (s_blank_deliveries(call, n, &s)) return -1;
    /* activity registrations with that phone or e-mail (intake's erasure
     * event names them too; this reaches them when it has not come yet) */
    gscan_t g = {.call = call, .phone = phone, .email = q->email};
    int rc = hub_store_scan_after(call->txn, n->registrations, "", s_gcollect, &g);
    if (rc) return hub_call_mdb_error(call, rc);
    if (g.rc) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too many registrations");
    char **gids = hub_arena_alloc(call->arena, (g.n_found + 1) * sizeof *gids);
    if (!gids) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
    for (size_t i = 0; i < g.n_found; i++) {
        Notification__RegistrationState *x = g.found[i];
        x->phone = x->email = "";
        x->consent = false; /* a reminder still scheduled finds no one to tell */
        if (!x->anonymized_ms) x->anonymized_ms = now;
        gids[i] = x->registration_id;
        if (hub_record_put(call, n->registrations, x->registration_id, &x->base)) return -1;
    }
    rep->recipient_ids = r.ids, rep->n_recipient_ids = r.n_found;
    rep->delivery_ids = s.found, rep->n_delivery_ids = s.n_found;
    rep->registration_ids = gids, rep->n_registration_ids = g.n_found;
    call->reply = &rep->base;
    if (!r.n_found && !s.n_found && !g.n_found) return 0; /* nothing (left) to erase: nothing written */
    /* no audit log here: the log line (no identifiers) and counters; the
     * reason links it to intake's audit entry */
    hub_info("subject erased by %s (%s): %zu directory recipients, %zu deliveries, %zu registrations", call->principal,
             *q->reason ? q->reason : "no reason given", r.n_found, s.n_found, g.n_found);
    hub_rpc_count(call->rpc, "subject_erasures_total", 1);
    hub_rpc_count(call->rpc, "recipients_erased_total", r.n_found);
    hub_rpc_count(call->rpc, "deliveries_erased_total", s.n_found);
    return hub_scrub_request(&n->scrub, call);
}
