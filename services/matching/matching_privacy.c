/* matching_privacy: matching's part of the personal-data rules (README
 * "Personal data (PIPL)"): matching.subject.export and
 * matching.subject.erase over the library's people, professional
 * volunteers and organizations' contact persons, matched by match.h's
 * rules. An erasure anonymizes the volunteer (withdrawn, so never offered
 * again; id, stats and hours stay) and blanks its name in the referrals
 * offered to it, removes the contact person from the organization, logs
 * and counts it (matching has no audit log: intake's holds the operator's
 * reason), publishes the records as they are now (so followers that copy
 * them, such as notification's directory, drop the data too), and asks
 * for the store rewrite (hub_scrub), whose filter (matching_outbox_filter)
 * anonymizes the outbox's old copies, so the bytes leave data.mdb.
 * A command, not intake's event: intake.subject.erased carries request
 * ids and a keyed hash, which name no volunteer or contact person. */
#include <errno.h>
#include <string.h>

#include "hub_log.h"
#include "hub_record.h"
#include "hub_scrub.h"
#include "hub_util.h"
#include "match.h"
#include "matching_svc.h"

#define MAX_REASON 256      /* bytes of an erasure's reason (a ticket or audit id) */
#define MAX_SUBJECT_PHONE 64

/* Keys of records collected by a scan, in the call's arena. */
typedef struct {
    char **keys;
    size_t n, cap;
} keys_t;

/* Appends a copy of key to k (call arena). 0, or -1 out of memory. */
static int s_push(hub_call_t *call, keys_t *k, const MDB_val *key)
{
    char **grown = hub_arena_grow(call->arena, k->keys, k->n, &k->cap, sizeof *k->keys, 16);
    if (!grown) return -1;
    k->keys = grown;
    char *id = hub_arena_alloc(call->arena, key->mv_size + 1);
    if (!id) return -1;
    memcpy(id, key->mv_data, key->mv_size);
    id[key->mv_size] = 0;
    k->keys[k->n++] = id;
    return 0;
}

/* A scan of volunteers or organizations for the subject's records. */
typedef struct {
    hub_call_t *call;
    matching_t *m;
    const Matching__Subject *s;
    bool orgs;                /* organizations (a contact person is the subject), else volunteers */
    keys_t k;
    int rc;
} scan_t;

/* hub_store_scan_fn: records that are (or list) the subject. */
static int s_collect(const MDB_val *key, const MDB_val *val, void *arg)
{
    scan_t *s = arg;
    hub_arena_reset(s->m->scratch);
    hub_error_t err = {0};
    const ProtobufCMessageDescriptor *d = s->orgs ? &matching__organization__descriptor : &matching__volunteer__descriptor;
    ProtobufCMessage *msg = hub_wire_unpack_max(d, val->mv_data, val->mv_size, HUB_WIRE_MAX_REPLY, s->m->scratch, &err);
    if (!msg) return 0; /* unreadable: not the subject's as far as anyone can tell */
    bool of = false;
    if (s->orgs) {
        const Matching__Organization *o = (const void *)msg;
        for (size_t i = 0; !of && i < o->n_contacts; i++) of = match_contact_is_of(o->contacts[i], s->s);
    } else {
        of = match_volunteer_is_of((const Matching__Volunteer *)msg, s->s);
    }
    if (of && s_push(s->call, &s->k, key)) {
        s->rc = -1;
        return 1;
    }
    return 0;
}

/* Fills s with the keys of the subject's volunteers (orgs false) or of
 * the organizations listing the subject (orgs true). 0, or -1 with
 * call->err. */
static int s_scan(hub_call_t *call, matching_t *m, const Matching__Subject *subject, bool orgs, scan_t *s)
{
    *s = (scan_t){.call = call, .m = m, .s = subject, .orgs = orgs};
    int rc = hub_store_scan_after(call->txn, orgs ? m->orgs : m->volunteers, "", s_collect, s);
    if (rc) return hub_call_mdb_error(call, rc);
    if (s->rc) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too many records");
    return 0;
}

/* Checks the request's subject. 0, or -1 with INVALID_ARGUMENT. */
static int s_subject_ok(hub_call_t *call, const Matching__Subject *s)
{
    if (match_subject_valid(s))
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "subject",
                             "a phone number or an e-mail address is needed (a name only narrows)");
    if (strlen(s->phone) > MAX_SUBJECT_PHONE || strlen(s->email) > MATCH_MAX_SHORT || strlen(s->name) > MATCH_MAX_NAME)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "subject", "identifier too long");
    return 0;
}

int matching_subject_export(hub_call_t *call, void *ctx)
{
    matching_t *m = ctx;
    const Matching__SubjectExportRequest *q = (const void *)call->req;
    if (s_subject_ok(call, q->subject)) return -1;
    scan_t vol, org;
    if (s_scan(call, m, q->subject, false, &vol) || s_scan(call, m, q->subject, true, &org)) return -1;
    Matching__SubjectExportReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (rep) matching__subject_export_reply__init(rep);
    if (!rep || !(rep->volunteers = hub_arena_alloc(call->arena, (vol.k.n + 1) * sizeof *rep->volunteers)) ||
        !(rep->organizations = hub_arena_alloc(call->arena, (org.k.n + 1) * sizeof *rep->organizations)))
        return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too large");
    for (size_t i = 0; i < vol.k.n; i++)
        if (!(rep->volunteers[rep->n_volunteers++] = (void *)hub_record_get(
                  call, m->volunteers, vol.k.keys[i], &matching__volunteer__descriptor, "id")))
            return -1;
    for (size_t i = 0; i < org.k.n; i++) {
        Matching__Organization *o =
            (void *)hub_record_get(call, m->orgs, org.k.keys[i], &matching__organization__descriptor, "id");
        if (!o) return -1;
        Matching__SubjectContacts *c = hub_arena_alloc(call->arena, sizeof *c);
        if (!c) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too large");
        matching__subject_contacts__init(c);
        c->org_id = o->id;
        c->org_name = o->name;
        c->contacts = o->contacts; /* only the subject's entries: the others are dropped in place */
        for (size_t j = 0; j < o->n_contacts; j++)
            if (match_contact_is_of(o->contacts[j], q->subject)) c->contacts[c->n_contacts++] = o->contacts[j];
        rep->organizations[rep->n_organizations++] = c;
    }
    hub_rpc_count(call->rpc, "subject_exports_total", 1);
    call->reply = &rep->base;
    return 0;
}

/* A scan of the referrals for those whose bytes hold one of the erased
 * volunteers' ids (a cheap filter before unpacking). */
typedef struct {
    hub_call_t *call;
    const keys_t *ids;
    keys_t k;
    int rc;
} ref_scan_t;

/* hub_store_scan_fn: referrals that may name one of the volunteers. */
static int s_ref_collect(const MDB_val *key, const MDB_val *val, void *arg)
{
    ref_scan_t *s = arg;
    for (size_t i = 0; i < s->ids->n; i++) {
        if (!memmem(val->mv_data, val->mv_size, s->ids->keys[i], strlen(s->ids->keys[i]))) continue;
        if (s_push(s->call, &s->k, key)) {
            s->rc = -1;
            return 1;
        }
        return 0;
    }
    return 0;
}

/* Blanks the names of volunteers ids in every referral offered to them
 * (match_referral_forget_volunteer); *changed gets how many referrals
 * were rewritten. No event: the referrals' states do not change, and the
 * outbox's old copies are blanked by the rewrite. 0, or -1 with call->err. */
static int s_forget_in_referrals(hub_call_t *call, matching_t *m, const keys_t *ids, uint32_t *changed)
{
    ref_scan_t s = {.call = call, .ids = ids};
    *changed = 0;
    if (!ids->n) return 0;
    int rc = hub_store_scan_after(call->txn, m->referrals, "", s_ref_collect, &s);
    if (rc) return hub_call_mdb_error(call, rc);
    if (s.rc) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too many referrals");
    hub_arena_mark_t mark = hub_arena_mark(call->arena);
    for (size_t i = 0; i < s.k.n; i++) {
        hub_arena_rewind(call->arena, mark); /* each one is stored before the next */
        Matching__Referral *r =
            (void *)hub_record_get(call, m->referrals, s.k.keys[i], &matching__referral__descriptor, "request_id");
        if (!r) return -1;
        bool any = false;
        for (size_t j = 0; j < ids->n; j++) any |= match_referral_forget_volunteer(r, ids->keys[j]);
        if (!any) continue; /* the id's bytes were part of something else */
        if (hub_record_put(call, m->referrals, r->request_id, &r->base)) return -1;
        (*changed)++;
    }
    hub_arena_rewind(call->arena, mark);
    return 0;
}

int matching_subject_erase(hub_call_t *call, void *ctx)
{
    matching_t *m = ctx;
    const Matching__SubjectEraseRequest *q = (const void *)call->req;
    if (s_subject_ok(call, q->subject)) return -1;
    bool printable = true; /* it goes into the log: one line */
    for (const unsigned char *c = (const unsigned char *)q->reason; *c; c++) printable &= *c >= 0x20 && *c != 0x7f;
    if (strlen(q->reason) > MAX_REASON || !printable || !hub_utf8_valid(q->reason, strlen(q->reason)))
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "reason",
                             "the reason is at most %d bytes of printable UTF-8", MAX_REASON);
    scan_t vol, org;
    if (s_scan(call, m, q->subject, false, &vol) || s_scan(call, m, q->subject, true, &org)) return -1;
    int64_t now = hub_now_ms();
    for (size_t i = 0; i < vol.k.n; i++) {
        Matching__Volunteer *v =
            (void *)hub_record_get(call, m->volunteers, vol.k.keys[i], &matching__volunteer__descriptor, "id");
        if (!v) return -1;
        match_volunteer_erase(v, now);
        if (matching_provider_store(call, m, NULL, v, "matching.volunteer.updated")) return -1;
    }
    uint32_t contacts = 0;
    for (size_t i = 0; i < org.k.n; i++) {
        Matching__Organization *o =
            (void *)hub_record_get(call, m->orgs, org.k.keys[i], &matching__organization__descriptor, "id");
        if (!o) return -1;
        contacts += (uint32_t)match_org_remove_contacts(o, q->subject);
        o->updated_ms = now;
        if (matching_provider_store(call, m, o, NULL, "matching.org.updated")) return -1;
    }
    uint32_t referrals;
    if (s_forget_in_referrals(call, m, &vol.k, &referrals)) return -1;
    Matching__SubjectEraseReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
    matching__subject_erase_reply__init(rep);
    rep->volunteer_ids = vol.k.keys, rep->n_volunteer_ids = vol.k.n;
    rep->org_ids = org.k.keys, rep->n_org_ids = org.k.n;
    rep->contacts_removed = contacts;
    rep->referrals_changed = referrals;
    call->reply = &rep->base;
    if (!vol.k.n && !org.k.n) return 0; /* nothing (left) to erase: nothing written */
    /* no audit log in matching: the log line (ids, no identifiers) and
     * counters; the reason links it to intake's audit entry */
    hub_info("subject erased by %s (%s): %zu volunteers, %u contact persons of %zu organizations, %u referrals",
             call->principal, *q->reason ? q->reason : "no reason given", vol.k.n, contacts, org.k.n, referrals);
    hub_rpc_count(call->rpc, "subject_erasures_total", 1);
    hub_rpc_count(call->rpc, "volunteers_erased_total", vol.k.n);
    hub_rpc_count(call->rpc, "contacts_erased_total", contacts);
    return hub_scrub_request(&m->scrub, call);
}

/* ---- the store rewrite's filter: the outbox's old copies ---- */

/* True when volunteer id is stored erased (read in txn, unpacked into arena). */
static bool s_erased(MDB_txn *txn, const matching_t *m, const char *id, hub_arena_t *arena)
{
    MDB_val k = {strlen(id), (void *)id}, v;
    if (!k.mv_size || k.mv_size >= 512 || mdb_get(txn, m->volunteers, &k, &v)) return false;
    hub_error_t err = {0};
    const Matching__Volunteer *now = (const void *)hub_wire_unpack_max(&matching__volunteer__descriptor, v.mv_data,
                                                                      v.mv_size, HUB_WIRE_MAX_REPLY, arena, &err);
    return now && now->erased_ms;
}

/* Anonymizes a referral event's copy: the erased volunteers' names. True
 * when something changed. */
static bool s_filter_referral(MDB_txn *txn, const matching_t *m, Matching__Referral *r, hub_arena_t *arena)
{
    bool changed = false;
    for (size_t i = 0; i < r->n_offers; i++) {
        const Matching__Offer *o = r->offers[i];
        if (o->kind == MATCHING__PROVIDER_KIND__VOLUNTEER && *o->provider_name && s_erased(txn, m, o->provider_id, arena))
            changed |= match_referral_forget_volunteer(r, o->provider_id);
    }
    if (r->provider_kind == MATCHING__PROVIDER_KIND__VOLUNTEER && *r->provider_name &&
        s_erased(txn, m, r->provider_id, arena))
        changed |= match_referral_forget_volunteer(r, r->provider_id);
    return changed;
}

int matching_outbox_filter(MDB_txn *old_txn, int db, const MDB_val *key, MDB_val *val, hub_arena_t *arena,
                           void *arg)
{
    const matching_t *m = arg;
    (void)key;
    if (db != 0) return 0; /* dbs[0] is the outbox */
    hub_error_t err = {0};
    Hub__Event *ev = (Hub__Event *)hub_wire_unpack_max(&hub__event__descriptor, val->mv_data, val->mv_size,
                                                       HUB_WIRE_MAX_REPLY, arena, &err);
    if (!ev) return 0;
    bool vol = !strncmp(ev->topic, "matching.volunteer.", 19), org = !strncmp(ev->topic, "matching.org.", 13);
    bool ref = !strncmp(ev->topic, "matching.referral.", 18);
    if (!vol && !org && !ref) return 0;
    ProtobufCMessage *payload = NULL;
    if (vol || org) {
        Matching__ProviderEvent *pe = (Matching__ProviderEvent *)hub_wire_unpack_max(
            &matching__provider_event__descriptor, ev->payload.data, ev->payload.len, HUB_WIRE_MAX_REPLY, arena, &err);
        if (!pe) return 0;
        if (pe->volunteer && s_erased(old_txn, m, pe->volunteer->id, arena)) {
            match_volunteer_blank(pe->volunteer);
            payload = &pe->base;
        }
        if (pe->org && pe->org->n_contacts) { /* the contact persons it no longer lists go */
            MDB_val k = {strlen(pe->org->id), pe->org->id}, v;
            if (!k.mv_size || k.mv_size >= 512 || mdb_get(old_txn, m->orgs, &k, &v)) return 0;
            const Matching__Organization *now = (const void *)hub_wire_unpack_max(
                &matching__organization__descriptor, v.mv_data, v.mv_size, HUB_WIRE_MAX_REPLY, arena, &err);
            if (now && match_org_keep_contacts(pe->org, now)) payload = &pe->base;
        }
    } else {
        Matching__ReferralEvent *re = (Matching__ReferralEvent *)hub_wire_unpack_max(
            &matching__referral_event__descriptor, ev->payload.data, ev->payload.len, HUB_WIRE_MAX_REPLY, arena, &err);
        if (re && re->referral && s_filter_referral(old_txn, m, re->referral, arena)) payload = &re->base;
    }
    if (!payload) return 0;
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
