/* tendering_privacy: tendering's part of the personal-data rules (README
 * "Personal data (PIPL)"): tendering.subject.export and
 * tendering.subject.erase over the donation box's donors and recipients,
 * matched by tender.h's rules; an erasure blanks their identity (amounts,
 * dates, streets and purposes stay: the ledger still balances), logs and
 * counts it (tendering has no audit log: intake's holds the operator's
 * reason), and asks for the store rewrite (hub_scrub) so the bytes leave
 * data.mdb. A command, not an event: intake's intake.subject.erased
 * carries request ids and a keyed hash, which name no donor or recipient. */
#include <string.h>

#include "hub_log.h"
#include "hub_record.h"
#include "hub_scrub.h"
#include "hub_util.h"
#include "tender.h"
#include "tendering_svc.h"

#define MAX_REASON 256 /* bytes of an erasure's reason (a ticket or audit id) */

/* The keys of the records of one database that concern the subject. */
typedef struct {
    hub_call_t *call;
    tendering_t *t;
    const Tendering__Subject *s;
    const ProtobufCMessageDescriptor *desc;
    bool donations;           /* which matcher: donations or disbursements */
    char **keys;              /* call arena */
    size_t n, cap;
    int rc;
} scan_t;

/* hub_store_scan_fn: records whose donor or recipient is the subject. */
static int s_collect(const MDB_val *key, const MDB_val *val, void *arg)
{
    scan_t *s = arg;
    hub_arena_reset(s->t->scratch);
    hub_error_t err = {0};
    ProtobufCMessage *m =
        hub_wire_unpack_max(s->desc, val->mv_data, val->mv_size, HUB_WIRE_MAX_REPLY, s->t->scratch, &err);
    if (!m) return 0; /* unreadable: not the subject's as far as anyone can tell */
    bool of = s->donations ? tender_donation_is_of((const Tendering__Donation *)m, s->s)
                           : tender_disbursement_is_of((const Tendering__Disbursement *)m, s->s);
    if (!of) return 0;
    if (!(s->keys = hub_arena_grow(s->call->arena, s->keys, s->n, &s->cap, sizeof *s->keys, 16))) { s->rc = -1; return 1; }
    char *id = hub_arena_alloc(s->call->arena, key->mv_size + 1);
    if (!id) { s->rc = -1; return 1; }
    memcpy(id, key->mv_data, key->mv_size);
    id[key->mv_size] = 0;
    s->keys[s->n++] = id;
    return 0;
}

/* Fills s (donations true: the donations database, else the
 * disbursements) with the keys of the subject's records. 0, or -1 with
 * call->err. */
static int s_scan(hub_call_t *call, tendering_t *t, const Tendering__Subject *subject, bool donations, scan_t *s)
{
    *s = (scan_t){.call = call, .t = t, .s = subject, .donations = donations,
                  .desc = donations ? &tendering__donation__descriptor : &tendering__disbursement__descriptor};
    int rc = hub_store_scan_after(call->txn, donations ? t->donations : t->disbursements, "", s_collect, s);
    if (rc) return hub_call_mdb_error(call, rc);
    if (s->rc) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too many records");
    return 0;
}

/* Checks the request's subject. 0, or -1 with INVALID_ARGUMENT. */
static int s_subject_ok(hub_call_t *call, const Tendering__Subject *s)
{
    if (tender_subject_valid(s))
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "subject",
                             "a phone number, an e-mail address or a name is needed");
    if (strlen(s->phone) > 64 || strlen(s->email) > TENDER_MAX_NAME || strlen(s->name) > TENDER_MAX_NAME)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "subject", "identifier too long");
    return 0;
}

int tendering_subject_export(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__SubjectExportRequest *q = (const void *)call->req;
    if (s_subject_ok(call, q->subject)) return -1;
    scan_t don, dis;
    if (s_scan(call, t, q->subject, true, &don) || s_scan(call, t, q->subject, false, &dis)) return -1;
    Tendering__SubjectExportReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (rep) tendering__subject_export_reply__init(rep);
    if (!rep || !(rep->donations = hub_arena_alloc(call->arena, (don.n + 1) * sizeof *rep->donations)) ||
        !(rep->disbursements = hub_arena_alloc(call->arena, (dis.n + 1) * sizeof *rep->disbursements)))
        return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too large");
    for (size_t i = 0; i < don.n; i++)
        if (!(rep->donations[rep->n_donations++] =
                  (void *)hub_record_get(call, t->donations, don.keys[i], &tendering__donation__descriptor, "id")))
            return -1;
    for (size_t i = 0; i < dis.n; i++)
        if (!(rep->disbursements[rep->n_disbursements++] = (void *)hub_record_get(
                  call, t->disbursements, dis.keys[i], &tendering__disbursement__descriptor, "id")))
            return -1;
    call->reply = &rep->base;
    return 0;
}

/* Blanks donation id's donor and its ledger entry's memo (the donation's
 * memo). 0, or -1 with call->err. */
static int s_erase_donation(hub_call_t *call, tendering_t *t, const char *id)
{
    Tendering__Donation *d = (void *)hub_record_get(call, t->donations, id, &tendering__donation__descriptor, "id");
    if (!d) return -1;
    tender_donation_erase(d);
    if (hub_record_put(call, t->donations, d->id, &d->base)) return -1;
    hub_error_t keep = call->err;
    Tendering__Entry *e = (void *)hub_record_get(call, t->entries, d->entry_id, &tendering__entry__descriptor, "id");
    if (!e) {
        if (call->err.code != HUB__ERROR_CODE__NOT_FOUND) return -1;
        call->err = keep; /* no entry to blank */
        return 0;
    }
    e->memo = "";
    return hub_record_put(call, t->entries, e->id, &e->base);
}

int tendering_subject_erase(hub_call_t *call, void *ctx)
{
    tendering_t *t = ctx;
    const Tendering__SubjectEraseRequest *q = (const void *)call->req;
    if (s_subject_ok(call, q->subject)) return -1;
    if (!hub_log_text_ok(q->reason, MAX_REASON)) /* it goes into the log: one line */
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "reason",
                             "the reason is at most %d bytes of printable UTF-8", MAX_REASON);
    scan_t don, dis;
    if (s_scan(call, t, q->subject, true, &don) || s_scan(call, t, q->subject, false, &dis)) return -1;
    for (size_t i = 0; i < don.n; i++)
        if (s_erase_donation(call, t, don.keys[i])) return -1;
    for (size_t i = 0; i < dis.n; i++) {
        Tendering__Disbursement *d =
            (void *)hub_record_get(call, t->disbursements, dis.keys[i], &tendering__disbursement__descriptor, "id");
        if (!d) return -1;
        tender_disbursement_erase(d);
        if (hub_record_put(call, t->disbursements, d->id, &d->base)) return -1;
    }
    Tendering__SubjectEraseReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
    tendering__subject_erase_reply__init(rep);
    rep->donation_ids = don.keys, rep->n_donation_ids = don.n;
    rep->disbursement_ids = dis.keys, rep->n_disbursement_ids = dis.n;
    call->reply = &rep->base;
    if (!don.n && !dis.n) return 0; /* nothing (left) to erase: nothing written */
    /* no audit log in tendering: the log line (no identifiers) and counters;
     * the reason links it to intake's audit entry */
    hub_info("subject erased by %s (%s): %zu donors, %zu recipients", call->principal,
             *q->reason ? q->reason : "no reason given", don.n, dis.n);
    hub_rpc_count(call->rpc, "subject_erasures_total", 1);
    hub_rpc_count(call->rpc, "donors_erased_total", don.n);
    hub_rpc_count(call->rpc, "recipients_erased_total", dis.n);
    return hub_scrub_request(&t->scrub, call);
}
