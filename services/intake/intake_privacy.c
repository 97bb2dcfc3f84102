/* intake_privacy: intake's personal-data commands (README "Personal data
 * (PIPL)"): the retention purge and its daily schedule, a subject's export
 * and erasure, the audit log, and the store rewrite that follows them
 * (hub_scrub), whose filter anonymizes the outbox's old copies too. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anonymize.h"
#include "hub_log.h"
#include "hub_record.h"
#include "hub_util.h"
#include "intake.h"
#include "intake_svc.h"

#define PURGE_DEFAULT 500      /* anonymizations per purge call */
#define PURGE_MAX 2000
#define PURGE_EXAMINE 5000     /* records looked at per call: bounds one loop turn */
#define KEY_META "privacy_key"
#define DAY_MS (24LL * 3600 * 1000)

/* The store's subject-hashing key, made on first use in call->txn. */
static int s_key(hub_call_t *call, intake_t *in, uint8_t key[INTAKE_SUBJECT_KEY])
{
    MDB_val k = {strlen(KEY_META), KEY_META}, v;
    int rc = mdb_get(call->txn, in->store->meta, &k, &v);
    if (rc == 0 && v.mv_size == INTAKE_SUBJECT_KEY) {
        memcpy(key, v.mv_data, INTAKE_SUBJECT_KEY);
        return 0;
    }
    if (rc && rc != MDB_NOTFOUND) return hub_call_mdb_error(call, rc);
    randombytes_buf(key, INTAKE_SUBJECT_KEY);
    v = (MDB_val){INTAKE_SUBJECT_KEY, key};
    if ((rc = mdb_put(call->txn, in->store->meta, &k, &v, 0))) return hub_call_mdb_error(call, rc);
    return 0;
}

/* ---- collecting ids by a scan ---- */

typedef struct {
    hub_call_t *call;
    intake_t *in;
    bool opinions;
    bool registrations;             /* registrations instead (opinions false) */
    int64_t cutoff_ms;              /* purge: expiry; else 0 */
    const Intake__Subject *subject; /* erase/export: whose; else NULL */
    char **ids;                     /* call arena */
    size_t n, cap, examined;
    size_t max_examined, max_n;     /* 0 = no limit */
    bool stopped;                   /* by a limit, before the end */
    char last[64];                  /* last key examined */
    char act_id[64];                /* purge of registrations: the activity last looked up ... */
    int64_t act_ends_ms;            /* ... and its end (one activity's registrations are one key range) */
    int rc;
} scan_t;

static int s_collect(const MDB_val *key, const MDB_val *val, void *arg)
{
    scan_t *s = arg;
    if ((s->max_examined && s->examined >= s->max_examined) || (s->max_n && s->n >= s->max_n)) {
        s->stopped = true;
        return 1;
    }
    s->examined++;
    size_t kl = key->mv_size < sizeof s->last - 1 ? key->mv_size : sizeof s->last - 1;
    memcpy(s->last, key->mv_data, kl);
    s->last[kl] = 0;
    hub_arena_reset(s->in->scratch);
    hub_error_t err = {0};
    const ProtobufCMessageDescriptor *d = s->opinions        ? &intake__opinion__descriptor
                                          : s->registrations ? &intake__registration__descriptor
                                                             : &intake__request__descriptor;
    ProtobufCMessage *m = hub_wire_unpack_max(d, val->mv_data, val->mv_size, HUB_WIRE_MAX_REPLY, s->in->scratch, &err);
    if (!m) return 0;
    bool take;
    if (s->registrations) {
        Intake__Registration *r = (Intake__Registration *)m;
        if (s->subject) take = intake_registration_is_of(r, s->subject);
        else { /* the retention period runs from the activity's end, read once per activity */
            if (strcmp(s->act_id, r->activity_id)) {
                snprintf(s->act_id, sizeof s->act_id, "%s", r->activity_id);
                s->act_ends_ms = 0;
                MDB_val k = {strlen(r->activity_id), r->activity_id}, v;
                if (k.mv_size && k.mv_size < 512 && !mdb_get(s->call->txn, s->in->activities, &k, &v)) {
                    Intake__Activity *a = (Intake__Activity *)hub_wire_unpack_max(
                        &intake__activity__descriptor, v.mv_data, v.mv_size, HUB_WIRE_MAX_REPLY, s->in->scratch, &err);
                    if (a) s->act_ends_ms = a->ends_ms;
                }
            }
            take = intake_registration_expired(r, s->act_ends_ms, s->cutoff_ms);
        }
    } else if (s->opinions)
        take = s->subject ? intake_opinion_is_of((Intake__Opinion *)m, s->subject)
                          : intake_opinion_expired((Intake__Opinion *)m, s->cutoff_ms);
    else
        take = s->subject ? intake_request_is_of((Intake__Request *)m, s->subject)
                          : intake_request_expired((Intake__Request *)m, s->cutoff_ms);
    if (!take) return 0;
    if (!(s->ids = hub_arena_grow(s->call->arena, s->ids, s->n, &s->cap, sizeof *s->ids, 16))) { s->rc = -1; return 1; }
    if (!(s->ids[s->n++] = hub_arena_strdup(s->call->arena, s->last))) { s->rc = -1; return 1; }
    return 0;
}

/* Scans requests (or opinions) after `after` into s->ids. 0 or -1. */
static int s_scan(scan_t *s, const char *after)
{
    MDB_dbi db = s->opinions ? s->in->opinions : s->registrations ? s->in->registrations : s->in->requests;
    int rc = hub_store_scan_after(s->call->txn, db, after, s_collect, s);
    if (rc) return hub_call_mdb_error(s->call, rc);
    if (s->rc) return hub_error_set(&s->call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too many records");
    return 0;
}

/* ---- anonymizing and publishing ---- */

static int s_anonymize_request(hub_call_t *call, intake_t *in, const char *id, bool erase, int64_t now,
                               uint32_t *cancelled)
{
    Intake__Request *r = (Intake__Request *)hub_record_get(call, in->requests, id, &intake__request__descriptor,
                                                           "service_request_id");
    if (!r) return -1;
    intake_request_anonymize(r, in->catalogue, now);
    bool open = r->status == INTAKE__STATUS__OPEN || r->status == INTAKE__STATUS__IN_PROGRESS ||
                r->status == INTAKE__STATUS__REFERRED;
    if (erase && open) {
        /* followers stop the referral and every message about it */
        if (r->n_history >= INTAKE_MAX_HISTORY)
            r->n_history = INTAKE_MAX_HISTORY - 1; /* the texts are gone already: make room */
        Intake__HistoryEntry *h = hub_arena_alloc(call->arena, sizeof *h);
        Intake__HistoryEntry **arr = hub_arena_alloc(call->arena, (r->n_history + 1) * sizeof *arr);
        if (!h || !arr) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too large");
        intake__history_entry__init(h);
        r->status = INTAKE__STATUS__CANCELLED;
        r->updated_ms = now;
        h->time_ms = now;
        h->status = r->status;
        h->action = "cancel";
        h->by = (char *)call->principal;
        h->text = "subject erasure";
        if (r->n_history) memcpy(arr, r->history, r->n_history * sizeof *arr);
        arr[r->n_history++] = h;
        r->history = arr;
        (*cancelled)++;
    }
    if (hub_record_put(call, in->requests, id, &r->base)) return -1;
    if (erase && open) {
        Intake__RequestEvent ev = INTAKE__REQUEST_EVENT__INIT;
        ev.action = "cancel";
        ev.request = r;
        int rc = hub_outbox_append(call->outbox, call->txn, intake_topic("cancel"), &ev.base);
        if (rc) return hub_call_mdb_error(call, rc);
    }
    return 0;
}

static int s_anonymize_opinion(hub_call_t *call, intake_t *in, const char *id, int64_t now)
{
    Intake__Opinion *o = (Intake__Opinion *)hub_record_get(call, in->opinions, id, &intake__opinion__descriptor,
                                                           "opinion_id");
    if (!o) return -1;
    intake_opinion_anonymize(o, now);
    return hub_record_put(call, in->opinions, id, &o->base);
}

/* Anonymizes registration id; on an erasure a place it holds or waits for
 * is withdrawn first (the place goes to the next on the waitlist), with
 * events that carry the registration already anonymized. Its
 * duplicate-registration keys (phone digits, e-mail) go too. */
static int s_anonymize_registration(hub_call_t *call, intake_t *in, const char *id, bool erase, int64_t now,
                                    uint32_t *withdrawn, bool waitlisted_only)
{
    Intake__Registration *r = (Intake__Registration *)hub_record_get(
        call, in->registrations, id, &intake__registration__descriptor, "registration_id");
    if (!r) return -1;
    if (waitlisted_only && r->state != INTAKE__REGISTRATION_STATE__WAITLISTED) return 0;
    if (intake_registration_drop_keys(call, in, r)) return -1;
    intake_registration_anonymize(r, now);
    if (erase && (r->state == INTAKE__REGISTRATION_STATE__CONFIRMED || r->state == INTAKE__REGISTRATION_STATE__WAITLISTED)) {
        /* a registration's activity is never deleted: its absence is an error */
        Intake__Activity *a = (Intake__Activity *)hub_record_get(call, in->activities, r->activity_id,
                                                                 &intake__activity__descriptor, "activity_id");
        if (!a) return -1;
        if (a->status == INTAKE__ACTIVITY_STATUS__SCHEDULED && now < a->ends_ms) {
            Intake__Registration *up;
            (*withdrawn)++;
            return intake_registration_withdraw(call, in, r, a, now, &up);
        }
    }
    return hub_record_put(call, in->registrations, id, &r->base);
}

/* Publishes the event followers erase their copies by, writes the audit
 * entry and asks for the store rewrite. *audit_id gets the entry's id. */
static int s_record(hub_call_t *call, intake_t *in, const char *topic, const char *action, const char *reason,
                    scan_t *req, scan_t *op, scan_t *reg, const char *hash, const char *why, int64_t now,
                    char **audit_id)
{
    if (req->n || op->n || reg->n) {
        Intake__AnonymizedEvent ev = INTAKE__ANONYMIZED_EVENT__INIT;
        ev.reason = (char *)reason;
        ev.request_ids = req->ids;
        ev.n_request_ids = req->n;
        ev.opinion_ids = op->ids;
        ev.n_opinion_ids = op->n;
        ev.registration_ids = reg->ids;
        ev.n_registration_ids = reg->n;
        ev.subject_hash = (char *)hash;
        ev.time_ms = now;
        int rc = hub_outbox_append(call->outbox, call->txn, topic, &ev.base);
        if (rc) return hub_call_mdb_error(call, rc);
        if (hub_scrub_request(&in->scrub, call)) return -1;
    }
    uint64_t seq;
    if (hub_record_next_seq(call, in->store, "audit", &seq)) return -1;
    char id[32];
    snprintf(id, sizeof id, "A%012llu", (unsigned long long)seq);
    Intake__AuditEntry a = INTAKE__AUDIT_ENTRY__INIT;
    a.audit_id = id;
    a.action = (char *)action;
    a.by = (char *)call->principal;
    a.time_ms = now;
    a.subject_hash = (char *)hash;
    a.requests = (uint32_t)req->n;
    a.opinions = (uint32_t)op->n;
    a.registrations = (uint32_t)reg->n;
    a.reason = (char *)why;
    if (hub_record_put(call, in->audit, id, &a.base)) return -1;
    if (audit_id) *audit_id = hub_arena_strdup(call->arena, id);
    return 0;
}

/* ---- handlers ---- */

int intake_purge_handler(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    const Intake__PurgeRequest *q = (const void *)call->req;
    if (q->older_than_ms <= 0)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "older_than_ms",
                             "older_than_ms must be positive");
    int64_t now = hub_now_ms();
    unsigned limit = q->limit ? (q->limit > PURGE_MAX ? PURGE_MAX : q->limit) : PURGE_DEFAULT;
    scan_t req = {.call = call, .in = in, .cutoff_ms = now - q->older_than_ms, .max_examined = PURGE_EXAMINE,
                  .max_n = limit};
    scan_t op = req, reg = req;
    op.opinions = true;
    reg.registrations = true;
    /* requests, then opinions ("O" sorts before every opinion id), then
     * registrations ("E" sorts before every registration id); after_id's
     * first letter says which phase the previous call stopped in */
    const char *next = "";
    char phase = q->after_id[0] == 'E' ? 'E' : q->after_id[0] == 'O' ? 'O' : 'R';
    size_t examined = 0, taken = 0;
    if (phase == 'R') {
        if (s_scan(&req, q->after_id)) return -1;
        examined = req.examined, taken = req.n;
        if (req.stopped) next = hub_arena_strdup(call->arena, req.last);
        else if (taken == limit || examined >= PURGE_EXAMINE) next = "O";
        else phase = 'O';
    }
    if (phase == 'O' && !*next) {
        op.max_examined = PURGE_EXAMINE - examined;
        op.max_n = limit - taken;
        if (s_scan(&op, q->after_id[0] == 'O' ? q->after_id : "O")) return -1;
        examined += op.examined, taken += op.n;
        if (op.stopped) next = hub_arena_strdup(call->arena, op.last);
        else if (taken == limit || examined >= PURGE_EXAMINE) next = "E";
        else phase = 'E';
    }
    if (phase == 'E' && !*next) {
        reg.max_examined = PURGE_EXAMINE - examined;
        reg.max_n = limit - taken;
        if (s_scan(&reg, q->after_id[0] == 'E' ? q->after_id : "E")) return -1;
        if (reg.stopped) next = hub_arena_strdup(call->arena, reg.last);
    }
    uint32_t none = 0;
    for (size_t i = 0; i < req.n; i++)
        if (s_anonymize_request(call, in, req.ids[i], false, now, &none)) return -1;
    for (size_t i = 0; i < op.n; i++)
        if (s_anonymize_opinion(call, in, op.ids[i], now)) return -1;
    for (size_t i = 0; i < reg.n; i++)
        if (s_anonymize_registration(call, in, reg.ids[i], false, now, &none, false)) return -1;
    if ((req.n || op.n || reg.n) &&
        s_record(call, in, "intake.privacy.anonymized", "purge", "retention", &req, &op, &reg, "", "", now, NULL))
        return -1;
    hub_rpc_count(call->rpc, "requests_anonymized_total", req.n);
    hub_rpc_count(call->rpc, "opinions_anonymized_total", op.n);
    hub_rpc_count(call->rpc, "registrations_anonymized_total", reg.n);
    if (q->scheduled) { /* the schedule goes on from here (after this commit) */
        snprintf(in->purge_next, sizeof in->purge_next, "%s", next);
        uv_timer_start(&in->retention, intake_retention_fire, *next ? 0 : (uint64_t)in->purge_interval_ms,
                       0);
    }
    Intake__PurgeReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    intake__purge_reply__init(rep);
    rep->request_ids = req.ids;
    rep->n_request_ids = req.n;
    rep->opinion_ids = op.ids;
    rep->n_opinion_ids = op.n;
    rep->registration_ids = reg.ids;
    rep->n_registration_ids = reg.n;
    rep->next_after_id = (char *)next;
    rep->examined = (uint32_t)(req.examined + op.examined + reg.examined);
    call->reply = &rep->base;
    return 0;
}

/* Validates the subject and computes its hash into hash. 0 or -1. */
static int s_subject(hub_call_t *call, intake_t *in, const Intake__Subject *s, char hash[INTAKE_SUBJECT_HASH_HEX])
{
    if (intake_subject_valid(s))
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "subject",
                             "a subject needs a phone number or an e-mail address");
    uint8_t key[INTAKE_SUBJECT_KEY];
    if (s_key(call, in, key)) return -1;
    intake_subject_hash(s, key, hash);
    return 0;
}

int intake_subject_export_handler(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    const Intake__SubjectExportRequest *q = (const void *)call->req;
    char hash[INTAKE_SUBJECT_HASH_HEX];
    if (s_subject(call, in, q->subject, hash)) return -1;
    scan_t req = {.call = call, .in = in, .subject = q->subject}, op = req, reg = req;
    op.opinions = true;
    reg.registrations = true;
    if (s_scan(&req, "") || s_scan(&op, "") || s_scan(&reg, "")) return -1;
    Intake__SubjectExportReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    intake__subject_export_reply__init(rep);
    rep->requests = hub_arena_alloc(call->arena, (req.n + 1) * sizeof *rep->requests);
    rep->opinions = hub_arena_alloc(call->arena, (op.n + 1) * sizeof *rep->opinions);
    rep->registrations = hub_arena_alloc(call->arena, (reg.n + 1) * sizeof *rep->registrations);
    if (!rep->requests || !rep->opinions || !rep->registrations)
        return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too large");
    for (size_t i = 0; i < req.n; i++)
        if (!(rep->requests[rep->n_requests++] = (Intake__Request *)hub_record_get(
                  call, in->requests, req.ids[i], &intake__request__descriptor, "service_request_id")))
            return -1;
    for (size_t i = 0; i < op.n; i++)
        if (!(rep->opinions[rep->n_opinions++] = (Intake__Opinion *)hub_record_get(
                  call, in->opinions, op.ids[i], &intake__opinion__descriptor, "opinion_id")))
            return -1;
    for (size_t i = 0; i < reg.n; i++)
        if (!(rep->registrations[rep->n_registrations++] = (Intake__Registration *)hub_record_get(
                  call, in->registrations, reg.ids[i], &intake__registration__descriptor, "registration_id")))
            return -1;
    rep->subject_hash = hub_arena_strdup(call->arena, hash);
    hub_rpc_count(call->rpc, "subject_exports_total", 1);
    call->reply = &rep->base;
    return 0;
}

int intake_subject_erase_handler(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    const Intake__SubjectEraseRequest *q = (const void *)call->req;
    char hash[INTAKE_SUBJECT_HASH_HEX];
    if (s_subject(call, in, q->subject, hash)) return -1;
    if (strlen(q->reason) > INTAKE_MAX_NOTE)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "reason", "reason is too long");
    scan_t req = {.call = call, .in = in, .subject = q->subject}, op = req, reg = req;
    op.opinions = true;
    reg.registrations = true;
    if (s_scan(&req, "") || s_scan(&op, "") || s_scan(&reg, "")) return -1;
    int64_t now = hub_now_ms();
    uint32_t cancelled = 0, withdrawn = 0;
    for (size_t i = 0; i < req.n; i++)
        if (s_anonymize_request(call, in, req.ids[i], true, now, &cancelled)) return -1;
    for (size_t i = 0; i < op.n; i++)
        if (s_anonymize_opinion(call, in, op.ids[i], now)) return -1;
    /* the subject's waitlisted registrations go first, so a place one of
     * its held registrations frees never goes to another of its own */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < reg.n; i++)
            if (s_anonymize_registration(call, in, reg.ids[i], true, now, &withdrawn, pass == 0)) return -1;
    Intake__SubjectEraseReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    intake__subject_erase_reply__init(rep);
    if (s_record(call, in, "intake.subject.erased", "subject.erase", "subject erasure", &req, &op, &reg, hash, q->reason,
                 now, &rep->audit_id))
        return -1;
    hub_rpc_count(call->rpc, "subject_erasures_total", 1);
    hub_info("subject %s erased by %s: %zu requests (%u cancelled), %zu opinions, %zu registrations (%u withdrawn)",
             hash, call->principal, req.n, cancelled, op.n, reg.n, withdrawn);
    rep->request_ids = req.ids;
    rep->n_request_ids = req.n;
    rep->opinion_ids = op.ids;
    rep->n_opinion_ids = op.n;
    rep->cancelled = cancelled;
    rep->registration_ids = reg.ids;
    rep->n_registration_ids = reg.n;
    rep->subject_hash = hub_arena_strdup(call->arena, hash);
    call->reply = &rep->base;
    return 0;
}

static int s_match_any(const hub_list_t *l, const ProtobufCMessage *m) { (void)l; (void)m; return 1; }
static const char *s_audit_taken(ProtobufCMessage *m) { return ((Intake__AuditEntry *)m)->audit_id; }

int intake_audit_list_handler(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    const Intake__ListAuditRequest *q = (const void *)call->req;
    hub_list_t l = {.call = call, .scratch = in->scratch, .query = q, .arg = "",
                    .desc = &intake__audit_entry__descriptor, .match = s_match_any, .taken = s_audit_taken};
    if (hub_list_run(&l, in->audit, q->after_id, q->limit)) return -1;
    Intake__ListAuditReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    intake__list_audit_reply__init(rep);
    rep->entries = (Intake__AuditEntry **)l.items;
    rep->n_entries = l.n_items;
    if (l.next_after_id) rep->next_after_id = l.next_after_id;
    call->reply = &rep->base;
    return 0;
}

/* ---- the store rewrite's filter: the outbox's old copies ---- */

/* The outbox event in val, its request (or opinion) anonymized when the
 * stored record is: followers that replay old events, and tail --from 1,
 * get no personal data back. */
static int s_outbox_filter(MDB_txn *old_txn, int db, const MDB_val *key, MDB_val *val, hub_arena_t *arena,
                           void *arg)
{
    intake_t *in = arg;
    (void)key;
    if (db != 0) return 0; /* dbs[0] is the outbox */
    hub_error_t err = {0};
    Hub__Event *ev = (Hub__Event *)hub_wire_unpack_max(&hub__event__descriptor, val->mv_data, val->mv_size,
                                                       HUB_WIRE_MAX_REPLY, arena, &err);
    if (!ev) return 0;
    bool req = !strncmp(ev->topic, "intake.request.", 15), op = !strncmp(ev->topic, "intake.opinion.", 15);
    bool reg = !strncmp(ev->topic, "intake.registration.", 20);
    if (!req && !op && !reg) return 0;
    ProtobufCMessage *payload;
    MDB_val k, v;
    if (req) {
        Intake__RequestEvent *re = (Intake__RequestEvent *)hub_wire_unpack_max(
            &intake__request_event__descriptor, ev->payload.data, ev->payload.len, HUB_WIRE_MAX_REPLY, arena, &err);
        if (!re || !re->request) return 0;
        k = (MDB_val){strlen(re->request->service_request_id), re->request->service_request_id};
        if (!k.mv_size || k.mv_size >= 512 || mdb_get(old_txn, in->requests, &k, &v)) return 0;
        Intake__Request *now = (Intake__Request *)hub_wire_unpack_max(&intake__request__descriptor, v.mv_data,
                                                                      v.mv_size, HUB_WIRE_MAX_REPLY, arena, &err);
        if (!now || !now->anonymized_ms) return 0;
        intake_request_anonymize(re->request, in->catalogue, now->anonymized_ms);
        payload = &re->base;
    } else if (reg) {
        Intake__RegistrationEvent *re = (Intake__RegistrationEvent *)hub_wire_unpack_max(
            &intake__registration_event__descriptor, ev->payload.data, ev->payload.len, HUB_WIRE_MAX_REPLY, arena, &err);
        if (!re || !re->registration) return 0;
        k = (MDB_val){strlen(re->registration->registration_id), re->registration->registration_id};
        if (!k.mv_size || k.mv_size >= 512 || mdb_get(old_txn, in->registrations, &k, &v)) return 0;
        Intake__Registration *now = (Intake__Registration *)hub_wire_unpack_max(
            &intake__registration__descriptor, v.mv_data, v.mv_size, HUB_WIRE_MAX_REPLY, arena, &err);
        if (!now || !now->anonymized_ms) return 0;
        intake_registration_anonymize(re->registration, now->anonymized_ms);
        payload = &re->base;
    } else {
        Intake__OpinionEvent *oe = (Intake__OpinionEvent *)hub_wire_unpack_max(
            &intake__opinion_event__descriptor, ev->payload.data, ev->payload.len, HUB_WIRE_MAX_REPLY, arena, &err);
        if (!oe || !oe->opinion) return 0;
        k = (MDB_val){strlen(oe->opinion->opinion_id), oe->opinion->opinion_id};
        if (!k.mv_size || k.mv_size >= 512 || mdb_get(old_txn, in->opinions, &k, &v)) return 0;
        Intake__Opinion *now = (Intake__Opinion *)hub_wire_unpack_max(&intake__opinion__descriptor, v.mv_data,
                                                                      v.mv_size, HUB_WIRE_MAX_REPLY, arena, &err);
        if (!now || !now->anonymized_ms) return 0;
        intake_opinion_anonymize(oe->opinion, now->anonymized_ms);
        payload = &oe->base;
    }
    size_t plen, elen;
    uint8_t *p = hub_wire_pack(payload, arena, &plen);
    if (!p) return ENOMEM;
    ev->payload.data = p;
    ev->payload.len = plen;
    uint8_t *e = hub_wire_pack(&ev->base, arena, &elen);
    if (!e) return ENOMEM;
    *val = (MDB_val){elen, e};
    return 0;
}

/* ---- the schedule ---- */

void intake_retention_fire(uv_timer_t *t)
{
    intake_t *in = t->data;
    Intake__PurgeRequest q = INTAKE__PURGE_REQUEST__INIT;
    q.older_than_ms = in->retention_ms;
    q.after_id = in->purge_next;
    q.scheduled = true;
    hub_error_t err = {0};
    if (hub_rpc_post(in->rpc, "intake.purge", &q.base, &err)) {
        hub_err("retention purge: %s", err.message);
        uv_timer_start(&in->retention, intake_retention_fire, (uint64_t)in->purge_interval_ms, 0);
    }
}

int intake_start(hub_daemon_t *d, void *ctx, hub_error_t *err)
{
    intake_t *in = ctx;
    in->rpc = d->rpc;
    if (hub_rpc_add_handlers(d->rpc, intake_activity_handlers, in))
        return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "too many handler tables");
    hub_scrub_init(&in->scrub, d->loop, d->store, d->rpc, s_outbox_filter, in);
    uv_timer_init(d->loop, &in->retention);
    in->retention.data = in;
    in->retention_started = true;
    long days = hub_config_get_int(d->cfg, "intake", "retention_days", 365);
    long period = hub_config_get_int(d->cfg, "intake", "retention_period_ms", 0);
    in->retention_ms = period > 0 ? period : days > 0 ? days * DAY_MS : 0;
    in->purge_interval_ms = hub_config_get_int(d->cfg, "intake", "purge_interval_ms", DAY_MS);
    if (in->purge_interval_ms <= 0) in->purge_interval_ms = DAY_MS;
    if (in->retention_ms > 0) {
        /* the first run soon after start (a daemon restarted daily still purges) */
        uint64_t first = in->purge_interval_ms < 60000 ? (uint64_t)in->purge_interval_ms : 60000;
        uv_timer_start(&in->retention, intake_retention_fire, first, 0);
        hub_info("retention: closed requests are anonymized %lld days after their last change",
                 (long long)(in->retention_ms / DAY_MS));
    } else {
        hub_info("retention: off (retention_days = 0)");
    }
    return 0;
}

static void s_closed(uv_handle_t *h) { (void)h; }

void intake_stop(void *ctx)
{
    intake_t *in = ctx;
    hub_scrub_close(&in->scrub);
    if (in->retention_started) uv_close((uv_handle_t *)&in->retention, s_closed);
    in->retention_started = false;
}
