#include "matching_svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsds.h"
#include "hub_log.h"
#include "hub_record.h"
#include "hub_util.h"
#include "match.h"

#define ROLES_OPERATOR "operator"
#define ROLES_PROVIDER "operator provider"
#define ROLES_READ "operator auditor provider subscriber"
#define ROLES_INTERNAL HUB_ROLE_INTERNAL /* our own timer only */
#define ROLES_SUBJECT_EXPORT "operator auditor" /* one person's data: not providers, not subscribers */
#define EXPIRE_BATCH 128            /* offers expired per tick command */
#define EXPORT_DEFAULT 500
#define EXPORT_MAX 1000

const char *const matching_db_names[] = {"orgs",     "volunteers", "cand:dupfixed",  "referrals",
                                         "deadlines", "queue",      "unmet", "codes", "credits", NULL};

/* ------------------------------------------------------------------ helpers */

static int s_oom(hub_call_t *call)
{
    return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
}

/* Copies n pointers of arr into a new arena array of n + 1, the last = item. */
static void **s_append(hub_call_t *call, void **arr, size_t n, void *item)
{
    void **out = hub_arena_alloc(call->arena, (n + 1) * sizeof *out);
    if (!out) return NULL;
    if (n) memcpy(out, arr, n * sizeof *out);
    out[n] = item;
    return out;
}

static int s_del(hub_call_t *call, MDB_dbi db, const void *key, size_t klen)
{
    MDB_val k = {klen, (void *)key};
    int rc = mdb_del(call->txn, db, &k, NULL);
    return rc && rc != MDB_NOTFOUND ? hub_call_mdb_error(call, rc) : 0;
}

static int s_put_empty(hub_call_t *call, MDB_dbi db, const void *key, size_t klen)
{
    MDB_val k = {klen, (void *)key}, v = {0, ""};
    int rc = mdb_put(call->txn, db, &k, &v, 0);
    return rc ? hub_call_mdb_error(call, rc) : 0;
}

/* The principal recorded in histories: "by" when an operator gives one. */
static const char *s_by(const hub_call_t *call, const char *by)
{
    return by && *by && hub_call_has_role(call, "operator") ? by : call->principal;
}

/* ------------------------------------------------------------------ providers */

/* A provider of either kind, loaded in the call's arena. */
typedef struct {
    int kind;                         /* MATCHING__PROVIDER_KIND__* */
    Matching__Organization *org;
    Matching__Volunteer *vol;
} prov_t;

static const char *s_prov_id(const prov_t *p) { return p->org ? p->org->id : p->vol->id; }
static const char *s_prov_name(const prov_t *p) { return p->org ? p->org->name : p->vol->name; }

static Matching__ProviderStats *s_stats(hub_call_t *call, const prov_t *p)
{
    Matching__ProviderStats **sp = p->org ? &p->org->stats : &p->vol->stats;
    if (!*sp) {
        if (!(*sp = hub_arena_alloc(call->arena, sizeof **sp))) return NULL;
        matching__provider_stats__init(*sp);
    }
    return *sp;
}

/* Loads provider kind/id; NOT_FOUND (field "provider_id") when absent. */
static int s_prov_load_as(hub_call_t *call, matching_t *m, int kind, const char *id, prov_t *p,
                          const char *what)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    if (kind == MATCHING__PROVIDER_KIND__ORGANIZATION)
        p->org = (Matching__Organization *)hub_record_get(call, m->orgs, id,
                                                          &matching__organization__descriptor, what);
    else if (kind == MATCHING__PROVIDER_KIND__VOLUNTEER)
        p->vol = (Matching__Volunteer *)hub_record_get(call, m->volunteers, id,
                                                       &matching__volunteer__descriptor, what);
    else
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "kind",
                             "kind must be ORGANIZATION or VOLUNTEER");
    return p->org || p->vol ? 0 : -1;
}

/* The same, naming the field "provider_id". */
static int s_prov_load(hub_call_t *call, matching_t *m, int kind, const char *id, prov_t *p)
{
    return s_prov_load_as(call, m, kind, id, p, "provider_id");
}

/* The service codes of a provider (volunteers: their skills'), distinct. */
static size_t s_prov_services(hub_call_t *call, const prov_t *p, const char ***out)
{
    if (p->org) { *out = (const char **)p->org->services; return p->org->n_services; }
    const char **s = hub_arena_alloc(call->arena, (p->vol->n_skills + 1) * sizeof *s);
    size_t n = 0;
    if (!s) { *out = NULL; return 0; }
    for (size_t i = 0; i < p->vol->n_skills; i++) {
        const char *code = p->vol->skills[i]->service;
        size_t j = 0;
        while (j < n && strcmp(s[j], code)) j++;
        if (j == n) s[n++] = code;
    }
    *out = s;
    return n;
}

/* Writes (approved) or deletes (otherwise) p's entry in every cell
 * (service x area) of the candidate index. A cell is one key with the
 * cells' providers as fixed-size sorted duplicates; p's old entry is found
 * by its kind and id (the first bytes) and replaced. */
static int s_prov_index(hub_call_t *call, matching_t *m, const prov_t *p, bool remove)
{
    const char **services;
    size_t ns = s_prov_services(call, p, &services);
    char **areas = p->org ? p->org->areas : p->vol->areas;
    size_t na = p->org ? p->org->n_areas : p->vol->n_areas;
    Matching__Membership ms = p->org ? p->org->membership : p->vol->membership;
    bool put = !remove && ms == MATCHING__MEMBERSHIP__APPROVED;
    match_cand_t c, probe;
    if (p->org) match_cand_from_org(p->org, &c);
    else match_cand_from_volunteer(p->vol, &c);
    memset(&probe, 0, sizeof probe);
    memcpy(&probe, &c, MATCH_CAND_KEY_BYTES);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(call->txn, m->cand, &cur);
    if (rc) return hub_call_mdb_error(call, rc);
    for (size_t i = 0; i < ns && !rc; i++)
        for (size_t j = 0; j < na && !rc; j++) {
            char key[300];
            int len = snprintf(key, sizeof key, "%s%c%s", services[i], 0, areas[j]);
            if (len < 0 || (size_t)len >= sizeof key) continue;
            MDB_val k = {(size_t)len, key}, v = {sizeof probe, &probe};
            rc = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH_RANGE);
            bool found = !rc && v.mv_size == sizeof c && !memcmp(v.mv_data, &probe, MATCH_CAND_KEY_BYTES);
            if (rc && rc != MDB_NOTFOUND) break;
            rc = 0;
            k = (MDB_val){(size_t)len, key};
            v = (MDB_val){sizeof c, &c};
            /* the same kind and id sort into the same place: overwrite in place */
            if (found) rc = put ? mdb_cursor_put(cur, &k, &v, MDB_CURRENT) : mdb_cursor_del(cur, 0);
            else if (put) rc = mdb_cursor_put(cur, &k, &v, 0);
        }
    mdb_cursor_close(cur);
    return rc ? hub_call_mdb_error(call, rc) : 0;
}

/* Stores p and refreshes its index entries (same services and areas). */
static int s_prov_save(hub_call_t *call, matching_t *m, const prov_t *p)
{
    int rc = p->org ? hub_record_put(call, m->orgs, p->org->id, &p->org->base)
                    : hub_record_put(call, m->volunteers, p->vol->id, &p->vol->base);
    return rc ? rc : s_prov_index(call, m, p, false);
}

/* Units free now. */
static uint32_t s_prov_available(const prov_t *p)
{
    if (p->org) return p->org->capacity ? p->org->capacity->available : 0;
    uint32_t open = p->vol->stats ? p->vol->stats->open_cases : 0;
    return p->vol->max_open_cases > open ? p->vol->max_open_cases - open : 0;
}

/* Takes (delta +1) or gives back (-1) one unit of capacity and saves.
 * Taking with nothing free is FAILED_PRECONDITION: never oversubscribed. */
static int s_prov_reserve(hub_call_t *call, matching_t *m, prov_t *p, int delta, int64_t now)
{
    Matching__ProviderStats *st = s_stats(call, p);
    if (!st) return s_oom(call);
    if (delta > 0) {
        if (!s_prov_available(p))
            return hub_error_set(&call->err, HUB__ERROR_CODE__FAILED_PRECONDITION, "provider_id",
                                 "%s has no capacity left", s_prov_id(p));
        st->open_cases++;
        if (p->org) p->org->capacity->available--;
    } else {
        if (st->open_cases) st->open_cases--;
        /* never above maximum - open cases (the maximum may have been lowered) */
        Matching__Capacity *c = p->org ? p->org->capacity : NULL;
        if (c) {
            uint32_t room = c->maximum > st->open_cases ? c->maximum - st->open_cases : 0;
            c->available = c->available + 1 < room ? c->available + 1 : room;
        }
    }
    if (p->org && p->org->capacity) p->org->capacity->updated_ms = now;
    return s_prov_save(call, m, p);
}

static int s_prov_event(hub_call_t *call, const char *topic, const prov_t *p)
{
    Matching__ProviderEvent ev = MATCHING__PROVIDER_EVENT__INIT;
    ev.action = (char *)(strrchr(topic, '.') + 1);
    ev.org = p->org;
    ev.volunteer = p->vol;
    int rc = hub_outbox_append(call->outbox, call->txn, topic, &ev.base);
    return rc ? hub_call_mdb_error(call, rc) : 0;
}

int matching_provider_store(hub_call_t *call, matching_t *m, Matching__Organization *org, Matching__Volunteer *vol,
                            const char *topic)
{
    prov_t p = {.kind = org ? MATCHING__PROVIDER_KIND__ORGANIZATION : MATCHING__PROVIDER_KIND__VOLUNTEER,
                .org = org, .vol = org ? NULL : vol};
    return s_prov_save(call, m, &p) ? -1 : s_prov_event(call, topic, &p);
}

/* Refuses a change to volunteer v when it was erased (a subject's
 * erasure): its record stays anonymous and withdrawn; a person coming
 * back is added anew. 0, or -1 with FAILED_PRECONDITION. */
static int s_not_erased(hub_call_t *call, const Matching__Volunteer *v, const char *field)
{
    if (!v || !v->erased_ms) return 0;
    return hub_error_set(&call->err, HUB__ERROR_CODE__FAILED_PRECONDITION, field,
                         "volunteer %s was erased (a subject's erasure): add the person as a new volunteer", v->id);
}

/* Next id "ORG-000001" / "VOL-000001" from a meta counter. */
static int s_next_id(hub_call_t *call, matching_t *m, int kind, char *id, size_t len)
{
    const char *key = kind == MATCHING__PROVIDER_KIND__ORGANIZATION ? "org_seq" : "vol_seq";
    uint64_t seq;
    if (hub_record_next_seq(call, m->store, key, &seq)) return -1;
    snprintf(id, len, "%s-%06llu", kind == MATCHING__PROVIDER_KIND__ORGANIZATION ? "ORG" : "VOL",
             (unsigned long long)seq);
    return 0;
}

/* True if id has the shape of a hub id ([A-Za-z0-9._-]{1,23}); an
 * imported record with another id (an HSDS UUID) gets one of ours. */
static bool s_hub_id(const char *id)
{
    size_t n = strlen(id);
    if (!n || n > MATCH_MAX_ID) return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return false;
    return true;
}

/* Provider ids are one namespace (principals, offers and answers name a
 * provider by id alone): refuses id when the other kind's db has it. */
static int s_id_taken(hub_call_t *call, MDB_dbi other, const char *id, const char *field)
{
    MDB_val k = {strlen(id), (void *)id}, v;
    int rc = k.mv_size && k.mv_size < 512 ? mdb_get(call->txn, other, &k, &v) : MDB_NOTFOUND;
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return hub_call_mdb_error(call, rc);
    return hub_error_set(&call->err, HUB__ERROR_CODE__ALREADY_EXISTS, field,
                         "id \"%s\" is taken by a provider of the other kind", id);
}

/* An update keeps the stored membership unless it asks for another one,
 * which must be a legal move of the membership state machine. */
static int s_keep_membership(hub_call_t *call, Matching__Membership old, Matching__Membership asked,
                             Matching__Membership *out, const char *field)
{
    if (!asked || asked == old) { *out = old; return 0; }
    if (match_membership_transition(old, asked, &call->err)) {
        snprintf(call->err.field, sizeof call->err.field, "%s", field);
        return -1;
    }
    *out = asked;
    return 0;
}

/* Who a provider being added, updated or imported is: loads the stored one
 * of kind under *id into *old (*exists), applies the rules (an update
 * needs it, an add must not find it; an import takes either), makes a new
 * id when *id is empty (the string from call->arena), and refuses an id
 * the other kind holds. 0 or -1 with call->err. */
static int s_prov_identify(hub_call_t *call, matching_t *m, int kind, char **id, bool update, bool upsert,
                           prov_t *old, bool *exists)
{
    bool org = kind == MATCHING__PROVIDER_KIND__ORGANIZATION;
    const char *field = org ? "org.id" : "volunteer.id", *what = org ? "organization" : "volunteer";
    *exists = false;
    if (**id) {
        hub_error_t keep = call->err;
        *exists = s_prov_load(call, m, kind, *id, old) == 0;
        if (!*exists && call->err.code != HUB__ERROR_CODE__NOT_FOUND) return -1;
        call->err = keep;
    }
    if (update && !*exists && !upsert)
        return hub_error_set(&call->err, HUB__ERROR_CODE__NOT_FOUND, field, "no %s \"%s\"", what, *id);
    if (!update && *exists && !upsert)
        return hub_error_set(&call->err, HUB__ERROR_CODE__ALREADY_EXISTS, field, "%s \"%s\" exists", what, *id);
    if (!**id) {
        char *made = hub_arena_alloc(call->arena, 32);
        if (!made) return s_oom(call);
        if (s_next_id(call, m, kind, made, 32)) return -1;
        *id = made;
    }
    return *exists ? 0 : s_id_taken(call, org ? m->volunteers : m->orgs, *id, field);
}

/* Adds (update = false) or replaces an organization after validation.
 * An update keeps stats, open cases, created time; capacity.available is
 * capped at maximum - open cases. *added tells which happened. */
static int s_org_put(hub_call_t *call, matching_t *m, Matching__Organization *o, bool update,
                     bool upsert, bool *added)
{
    if (upsert) { /* an import: foreign ids give way to ours, matched by credit code */
        if (!s_hub_id(o->id)) o->id = "";
        if (!*o->id && *o->credit_code && strlen(o->credit_code) < 64) {
            MDB_val k = {strlen(o->credit_code), o->credit_code}, v;
            int rc = mdb_get(call->txn, m->codes, &k, &v);
            if (!rc && (o->id = hub_arena_alloc(call->arena, v.mv_size + 1))) {
                memcpy(o->id, v.mv_data, v.mv_size);
                o->id[v.mv_size] = 0;
            } else if (rc && rc != MDB_NOTFOUND) {
                return hub_call_mdb_error(call, rc);
            }
            if (!o->id) return s_oom(call);
        }
    }
    Matching__Membership asked = o->membership; /* validation fills APPLIED when unspecified */
    if (match_validate_org(m->catalogue, o, &call->err)) return -1;
    int64_t now = hub_now_ms();
    prov_t old = {0}, p = {.kind = MATCHING__PROVIDER_KIND__ORGANIZATION, .org = o};
    bool exists;
    if (s_prov_identify(call, m, p.kind, &o->id, update, upsert, &old, &exists)) return -1;
    /* credit codes are unique */
    if (*o->credit_code) {
        MDB_val k = {strlen(o->credit_code), o->credit_code}, v;
        int rc = mdb_get(call->txn, m->codes, &k, &v);
        if (!rc && (v.mv_size != strlen(o->id) || memcmp(v.mv_data, o->id, v.mv_size)))
            return hub_error_set(&call->err, HUB__ERROR_CODE__ALREADY_EXISTS, "org.credit_code",
                                 "credit code %s belongs to %.*s", o->credit_code, (int)v.mv_size,
                                 (char *)v.mv_data);
        if (rc && rc != MDB_NOTFOUND) return hub_call_mdb_error(call, rc);
    }
    Matching__ProviderStats *st = hub_arena_alloc(call->arena, sizeof *st);
    if (!st) return s_oom(call);
    matching__provider_stats__init(st);
    if (!o->capacity) {
        if (!(o->capacity = hub_arena_alloc(call->arena, sizeof *o->capacity))) return s_oom(call);
        matching__capacity__init(o->capacity);
    }
    if (exists && s_keep_membership(call, old.org->membership, asked, &o->membership, "org.membership")) return -1;
    if (exists) {
        if (old.org->stats) *st = *old.org->stats;
        o->created_ms = old.org->created_ms;
        if (s_prov_index(call, m, &old, true)) return -1;
        if (*old.org->credit_code && strcmp(old.org->credit_code, o->credit_code) &&
            s_del(call, m->codes, old.org->credit_code, strlen(old.org->credit_code)))
            return -1;
    } else {
        o->created_ms = now;
    }
    o->stats = st;
    uint32_t room = o->capacity->maximum > st->open_cases ? o->capacity->maximum - st->open_cases : 0;
    if (o->capacity->available > room) o->capacity->available = room;
    o->capacity->updated_ms = now;
    o->updated_ms = now;
    if (*o->credit_code) {
        MDB_val k = {strlen(o->credit_code), o->credit_code}, v = {strlen(o->id), o->id};
        int rc = mdb_put(call->txn, m->codes, &k, &v, 0);
        if (rc) return hub_call_mdb_error(call, rc);
    }
    if (s_prov_save(call, m, &p)) return -1;
    *added = !exists;
    return s_prov_event(call, exists ? "matching.org.updated" : "matching.org.added", &p);
}

/* The same for a volunteer: an update keeps stats and hours served
 * (activity hours included); a new one starts at 0 whatever it says. */
static int s_vol_put(hub_call_t *call, matching_t *m, Matching__Volunteer *vo, bool update,
                     bool upsert, bool *added)
{
    if (upsert) { /* an import: foreign ids give way to ours; a default case load */
        if (!s_hub_id(vo->id)) vo->id = "";
        if (!vo->max_open_cases) vo->max_open_cases = 3;
    }
    Matching__Membership asked = vo->membership;
    if (match_validate_volunteer(m->catalogue, vo, &call->err)) return -1;
    int64_t now = hub_now_ms();
    prov_t old = {0}, p = {.kind = MATCHING__PROVIDER_KIND__VOLUNTEER, .vol = vo};
    bool exists;
    if (s_prov_identify(call, m, p.kind, &vo->id, update, upsert, &old, &exists)) return -1;
    if (exists && s_not_erased(call, old.vol, "volunteer.id")) return -1;
    vo->erased_ms = 0; /* kept by the hub (only an erasure sets it), ignored on input */
    Matching__ProviderStats *st = hub_arena_alloc(call->arena, sizeof *st);
    if (!st) return s_oom(call);
    matching__provider_stats__init(st);
    if (exists && s_keep_membership(call, old.vol->membership, asked, &vo->membership, "volunteer.membership"))
        return -1;
    if (exists) {
        if (old.vol->stats) *st = *old.vol->stats;
        vo->created_ms = old.vol->created_ms;
        vo->hours_served = old.vol->hours_served;
        vo->activity_hours = old.vol->activity_hours;
        if (s_prov_index(call, m, &old, true)) return -1;
    } else {
        vo->created_ms = now;
        vo->hours_served = 0;
        vo->activity_hours = 0;
    }
    vo->stats = st;
    vo->updated_ms = now;
    if (s_prov_save(call, m, &p)) return -1;
    *added = !exists;
    return s_prov_event(call, exists ? "matching.volunteer.updated" : "matching.volunteer.added", &p);
}

/* ------------------------------------------------------------------ referrals */

static int s_ref_save(hub_call_t *call, matching_t *m, Matching__Referral *r)
{
    return hub_record_put(call, m->referrals, r->request_id, &r->base);
}

static Matching__Referral *s_ref_load(hub_call_t *call, matching_t *m, const char *id)
{
    return (Matching__Referral *)hub_record_get(call, m->referrals, id, &matching__referral__descriptor,
                                                "request_id");
}

/* Appends a history entry (the oldest entries past MATCH_MAX_HISTORY go). */
static int s_ref_history(hub_call_t *call, Matching__Referral *r, const char *action, const char *by,
                         const char *text, int64_t now)
{
    Matching__ReferralHistory *h = hub_arena_alloc(call->arena, sizeof *h);
    if (!h) return s_oom(call);
    matching__referral_history__init(h);
    h->time_ms = now;
    h->status = r->status;
    /* copies: callers pass stack buffers, and the reply is packed later */
    h->action = hub_arena_strdup(call->arena, action);
    h->by = hub_arena_strdup(call->arena, by ? by : "");
    h->text = hub_arena_strdup(call->arena, text ? text : "");
    if (!h->action || !h->by || !h->text) return s_oom(call);
    if (r->n_history >= MATCH_MAX_HISTORY) {
        memmove(r->history, r->history + 1, (r->n_history - 1) * sizeof *r->history);
        r->history[r->n_history - 1] = h;
        return 0;
    }
    void **a = s_append(call, (void **)r->history, r->n_history, h);
    if (!a) return s_oom(call);
    r->history = (Matching__ReferralHistory **)a;
    r->n_history++;
    return 0;
}

/* Records the change: history, updated time, store, and the event. */
static int s_ref_commit(hub_call_t *call, matching_t *m, Matching__Referral *r, const char *action,
                        const char *by, const char *text, int64_t now)
{
    r->updated_ms = now;
    if (s_ref_history(call, r, action, by, text, now) || s_ref_save(call, m, r)) return -1;
    Matching__ReferralEvent ev = MATCHING__REFERRAL_EVENT__INIT;
    ev.action = (char *)action;
    ev.referral = r;
    int rc = hub_outbox_append(call->outbox, call->txn, match_referral_topic(action), &ev.base);
    return rc ? hub_call_mdb_error(call, rc) : 0;
}

/* The offer to the current provider, or NULL. */
static Matching__Offer *s_current_offer(const Matching__Referral *r)
{
    if (!r->n_offers || !*r->provider_id) return NULL;
    Matching__Offer *o = r->offers[r->n_offers - 1];
    return strcmp(o->provider_id, r->provider_id) ? NULL : o;
}

/* Key of the deadline index: 8 bytes BE deadline + request id (hub_due's). */
static size_t s_deadline_key(char *buf, int64_t deadline, const char *id)
{
    return hub_due_key((uint8_t *)buf, deadline, id);
}

/* Ends the current provider's part: gives its unit back, marks the offer
 * (state) and forgets the deadline. Nothing to do without a provider. */
static int s_release(hub_call_t *call, matching_t *m, Matching__Referral *r, Matching__OfferState state,
                     const char *reason, const char *by, int64_t now)
{
    Matching__Offer *o = s_current_offer(r);
    if (!o) return 0;
    if (o->state == MATCHING__OFFER_STATE__OFFER_PENDING) {
        char key[512];
        if (s_del(call, m->deadlines, key, s_deadline_key(key, o->deadline_ms, r->request_id))) return -1;
    }
    o->state = state;
    o->reason = hub_arena_strdup(call->arena, reason ? reason : "");
    o->decided_ms = now;
    o->by = hub_arena_strdup(call->arena, by ? by : "");
    if (!o->reason || !o->by) return s_oom(call);
    prov_t p;
    hub_error_t keep = call->err;
    if (s_prov_load(call, m, o->kind, o->provider_id, &p) == 0) {
        Matching__ProviderStats *st = s_stats(call, &p);
        if (!st) return s_oom(call);
        if (state == MATCHING__OFFER_STATE__OFFER_DECLINED) st->declined++;
        if (state == MATCHING__OFFER_STATE__OFFER_EXPIRED) st->expired++;
        if (s_prov_reserve(call, m, &p, -1, now)) return -1;
    } else if (call->err.code != HUB__ERROR_CODE__NOT_FOUND) {
        return -1;
    } else {
        call->err = keep; /* a provider deleted meanwhile: nothing to give back */
    }
    r->provider_kind = 0;
    r->provider_id = "";
    r->provider_name = "";
    return 0;
}

/* The providers already offered r (they declined, let it expire, or hold
 * it now), as zero-padded ids, so the scan compares three words, not strings. */
typedef struct {
    int n;
    uint8_t kind[MATCH_MAX_OFFERS];
    uint64_t id[MATCH_MAX_OFFERS][3];
} tried_t;

static void s_tried_init(tried_t *t, const Matching__Referral *r, bool skip_pending)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < r->n_offers && t->n < MATCH_MAX_OFFERS; i++) {
        Matching__OfferState st = r->offers[i]->state;
        /* withdrawn or ended offers (a reassignment, a cancelled case) do
         * not bar a provider; a decline, an expiry or a live offer does */
        if (st == MATCHING__OFFER_STATE__OFFER_WITHDRAWN || st == MATCHING__OFFER_STATE__OFFER_ENDED) continue;
        if (skip_pending && st == MATCHING__OFFER_STATE__OFFER_PENDING) continue;
        char pad[24] = {0};
        snprintf(pad, sizeof pad, "%s", r->offers[i]->provider_id);
        t->kind[t->n] = (uint8_t)r->offers[i]->kind;
        memcpy(t->id[t->n++], pad, sizeof pad);
    }
}

/* True if c (whose id is zero-padded, as the index stores it) was tried. */
static bool s_tried(const tried_t *t, const match_cand_t *c)
{
    uint64_t id[3];
    memcpy(id, c->id, sizeof id);
    for (int i = 0; i < t->n; i++)
        if (t->kind[i] == c->kind && t->id[i][0] == id[0] && t->id[i][1] == id[1] && t->id[i][2] == id[2])
            return true;
    return false;
}

/* A decision: the best candidates (scored, best first) and exclusions. */
typedef struct {
    match_scored_t top[MATCH_TOP];
    int n;
    uint32_t excluded[MATCH_REASONS];
} decision_t;

/* True if (score, available) beats w: the order of the top list. Equal
 * ones keep the order of the scan (the index's kind-then-id order, the
 * request's street before the district-wide cell), so no string compare
 * is needed for the many ties of a fresh library. */
static bool s_beats(double score, uint32_t available, const match_scored_t *w)
{
    return score > w->score || (score == w->score && available > w->cand.available);
}

/* Keeps s if it is among the MATCH_TOP best, one entry per provider (a
 * provider listing its street and "*" is seen twice: the better entry
 * stays). */
static void s_keep(decision_t *d, const match_scored_t *s)
{
    for (int i = 0; i < d->n; i++)
        if (d->top[i].cand.kind == s->cand.kind && !strcmp(d->top[i].cand.id, s->cand.id)) {
            if (!s_beats(s->score, s->cand.available, &d->top[i])) return;
            memmove(&d->top[i], &d->top[i + 1], (size_t)(d->n - i - 1) * sizeof *d->top);
            d->n--;
            break;
        }
    int i = d->n < MATCH_TOP ? d->n++ : d->n - 1;
    while (i > 0 && s_beats(s->score, s->cand.available, &d->top[i - 1])) {
        d->top[i] = d->top[i - 1];
        i--;
    }
    d->top[i] = *s;
}

/* Considers one candidate of the cell being scanned. */
static void s_consider(decision_t *d, const match_need_t *need, const tried_t *tried,
                       const match_cand_t *c, bool same_street)
{
    if (s_tried(tried, c)) { d->excluded[MATCH_ALREADY_TRIED]++; return; }
    match_reason_t why = match_filter(need, c);
    if (why != MATCH_FIT) { d->excluded[why]++; return; }
    match_scored_t s;
    s.score = match_score(need, c, same_street, NULL);
    if (d->n == MATCH_TOP && !s_beats(s.score, c->available, &d->top[d->n - 1])) return; /* the common case */
    s.cand = *c;
    s.cand.id[MATCH_MAX_ID] = 0;
    s.same_street = same_street;
    s_keep(d, &s);
}

/* Scans the index cell service/area: a page of fixed-size entries at a
 * time (MDB_GET_MULTIPLE), read in place. */
static int s_scan_cell(hub_call_t *call, matching_t *m, const Matching__Referral *r,
                       const match_need_t *need, const tried_t *tried, const char *area, decision_t *d)
{
    char key[300];
    int len = snprintf(key, sizeof key, "%s%c%s", r->service_code, 0, area);
    if (len < 0 || (size_t)len >= sizeof key) return 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(call->txn, m->cand, &cur);
    if (rc) return hub_call_mdb_error(call, rc);
    MDB_val k = {(size_t)len, key}, v;
    bool same_street = strcmp(area, MATCH_AREA_ALL) != 0;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET);
    if (!rc) rc = mdb_cursor_get(cur, &k, &v, MDB_GET_MULTIPLE);
    while (!rc) {
        const uint8_t *p = v.mv_data;
        size_t n = v.mv_size / sizeof(match_cand_t);
        bool aligned = (uintptr_t)p % _Alignof(match_cand_t) == 0;
        for (size_t i = 0; i < n; i++, p += sizeof(match_cand_t)) {
            match_cand_t copy;
            const match_cand_t *c = (const match_cand_t *)p;
            if (!aligned) c = memcpy(&copy, p, sizeof copy);
            s_consider(d, need, tried, c, same_street);
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_MULTIPLE);
    }
    mdb_cursor_close(cur);
    return rc && rc != MDB_NOTFOUND ? hub_call_mdb_error(call, rc) : 0;
}

/* Candidates for r: its street's cell and the district-wide one. Explain
 * (explaining) shows the provider holding a pending offer among them. */
static int s_decide(hub_call_t *call, matching_t *m, const Matching__Referral *r, int64_t now,
                    decision_t *d, match_need_t *need, bool explaining)
{
    memset(d, 0, sizeof *d);
    match_need_from_referral(r, now, need);
    tried_t tried;
    s_tried_init(&tried, r, explaining);
    if (s_scan_cell(call, m, r, need, &tried, r->street, d)) return -1;
    return s_scan_cell(call, m, r, need, &tried, MATCH_AREA_ALL, d);
}

/* Offers r to the best candidate left (one decision): 1 offered, 0 nobody
 * left (r untouched), -1 error. */
static int s_offer_best(hub_call_t *call, matching_t *m, Matching__Referral *r, int64_t now)
{
    decision_t d;
    match_need_t need;
    d.n = 0;
    int64_t t0 = hub_mono_ns(), c0 = hub_thread_cpu_ns();
    if (r->n_offers < MATCH_MAX_OFFERS && s_decide(call, m, r, now, &d, &need, false)) return -1;
    int64_t took = hub_mono_ns() - t0, cpu = hub_thread_cpu_ns() - c0;
    hub_hist_add(&m->decide_ns, (uint64_t)took);
    hub_hist_add(&m->decide_cpu_ns, (uint64_t)(cpu > 0 ? cpu : 0));
    if (took > 2000000)
        hub_debug("decision for %s took %.1f ms (%.1f ms CPU, %d kept)", r->request_id, (double)took / 1e6,
                  (double)cpu / 1e6, d.n);
    if (r->n_offers >= MATCH_MAX_OFFERS) d.n = 0;
    for (int i = 0; i < d.n; i++) {
        prov_t p;
        if (s_prov_load(call, m, d.top[i].cand.kind, d.top[i].cand.id, &p)) return -1;
        if (!s_prov_available(&p)) continue; /* cannot happen: the index is kept in step */
        Matching__ProviderStats *st = s_stats(call, &p);
        if (!st) return s_oom(call);
        st->offers++;
        if (s_prov_reserve(call, m, &p, +1, now)) return -1;
        Matching__Offer *o = hub_arena_alloc(call->arena, sizeof *o);
        if (!o) return s_oom(call);
        matching__offer__init(o);
        o->kind = p.kind;
        o->provider_id = (char *)s_prov_id(&p);
        o->provider_name = (char *)s_prov_name(&p);
        o->score = d.top[i].score;
        o->offered_ms = now;
        o->deadline_ms = now + match_offer_timeout_ms((int)r->urgency, m->offer_timeout_s);
        o->state = MATCHING__OFFER_STATE__OFFER_PENDING;
        void **a = s_append(call, (void **)r->offers, r->n_offers, o);
        if (!a) return s_oom(call);
        r->offers = (Matching__Offer **)a;
        r->n_offers++;
        r->provider_kind = p.kind;
        r->provider_id = o->provider_id;
        r->provider_name = o->provider_name;
        r->status = MATCHING__REFERRAL_STATUS__REQUESTED;
        char key[512];
        if (s_put_empty(call, m->deadlines, key, s_deadline_key(key, o->deadline_ms, r->request_id))) return -1;
        if (s_del(call, m->queue, r->request_id, strlen(r->request_id))) return -1; /* out of the queue */
        char text[160];
        snprintf(text, sizeof text, "offered to %s (score %.1f)", o->provider_id, o->score);
        hub_rpc_count(call->rpc, "offers_total", 1);
        return s_ref_commit(call, m, r, "offer", "matching", text, now) ? -1 : 1;
    }
    return 0;
}

/* Offers r to the best candidate left, or sends it to the operator queue
 * (REJECTED, counted as unmet demand) when there is none. */
static int s_offer_next(hub_call_t *call, matching_t *m, Matching__Referral *r, int64_t now)
{
    int rc = s_offer_best(call, m, r, now);
    if (rc) return rc < 0 ? -1 : 0;
    /* nobody left: the operator queue, and the demand is unmet */
    r->status = MATCHING__REFERRAL_STATUS__REJECTED;
    r->provider_kind = 0;
    r->provider_id = r->provider_name = "";
    if (s_put_empty(call, m->queue, r->request_id, strlen(r->request_id))) return -1;
    char key[512];
    int klen = snprintf(key, sizeof key, "%s%c%s", r->service_code, 0, r->street);
    if (klen > 0 && (size_t)klen < sizeof key) {
        MDB_val k = {(size_t)klen, key}, v;
        uint64_t n = 0;
        int rc = mdb_get(call->txn, m->unmet, &k, &v);
        if (!rc && v.mv_size == 8) n = hub_be64_get(v.mv_data);
        else if (rc && rc != MDB_NOTFOUND) return hub_call_mdb_error(call, rc);
        uint8_t be[8];
        hub_be64_put(be, n + 1);
        v = (MDB_val){8, be};
        if ((rc = mdb_put(call->txn, m->unmet, &k, &v, 0))) return hub_call_mdb_error(call, rc);
    }
    hub_rpc_count(call->rpc, "unmatched_total", 1);
    return s_ref_commit(call, m, r, "unmatched", "matching",
                        r->n_offers ? "every candidate declined or let the offer expire"
                                    : "no provider fits", now);
}

/* Withdraws r (intake cancel/duplicate, operator): the provider's unit is
 * given back, the queue entry goes. */
static int s_withdraw(hub_call_t *call, matching_t *m, Matching__Referral *r, const char *by,
                      const char *reason, int64_t now)
{
    Matching__ReferralStatus to;
    if (match_referral_transition(r->status, "withdraw", &to, &call->err)) return -1;
    Matching__Offer *o = s_current_offer(r);
    Matching__OfferState st = o && o->state == MATCHING__OFFER_STATE__OFFER_PENDING
                                  ? MATCHING__OFFER_STATE__OFFER_WITHDRAWN
                                  : MATCHING__OFFER_STATE__OFFER_ENDED;
    if (s_release(call, m, r, st, reason, by, now)) return -1;
    if (s_del(call, m->queue, r->request_id, strlen(r->request_id))) return -1;
    r->status = to;
    return s_ref_commit(call, m, r, "withdraw", by, reason, now);
}

/* ------------------------------------------------------------------ intake's events */

/* intake.registration.attended: a charity volunteer day credits the
 * volunteer's hours to the library record, once per registration: the
 * credit is recorded under the registration id ("credits") in the same
 * transaction, and a registration already there is passed over, so a
 * replay of intake's events (its store reset or restored) adds nothing.
 * An id seen with another activity creation time is a registration id a
 * reset intake reused: credited as a new one (logged, counted). An
 * unknown volunteer, or one whose record was erased, is logged, counted
 * and recorded as skipped (so a replay neither credits nor warns again).
 * 0, or -1 with a store error. */
static int s_apply_attended(hub_call_t *call, matching_t *m, const Hub__Event *ev)
{
    hub_error_t err = {0};
    Intake__RegistrationEvent *re = (Intake__RegistrationEvent *)hub_wire_unpack_max(
        &intake__registration_event__descriptor, ev->payload.data, ev->payload.len, HUB_WIRE_MAX_REPLY,
        call->arena, &err);
    if (!re) {
        hub_warn("intake event %llu (%s) unreadable: %s; skipped", (unsigned long long)ev->seq, ev->topic,
                 err.message);
        hub_rpc_count(call->rpc, "feed_events_unreadable_total", 1);
        return 0;
    }
    match_credit_t c;
    int rc = match_activity_credit(re, &c, &err);
    if (rc < 0) {
        hub_warn("intake event %llu (%s): %s (%s); no hours credited", (unsigned long long)ev->seq, ev->topic,
                 err.message, err.field);
        hub_rpc_count(call->rpc, "activity_credits_refused_total", 1);
        return 0;
    }
    if (rc == 0) return 0;
    hub_error_t keep = call->err;
    Matching__ActivityCredit *old = (Matching__ActivityCredit *)hub_record_get(
        call, m->credits, c.registration_id, &matching__activity_credit__descriptor, "credit");
    if (!old) {
        if (call->err.code != HUB__ERROR_CODE__NOT_FOUND) return -1;
        call->err = keep;
    } else if (old->activity_created_ms == c.activity_created_ms) {
        hub_rpc_count(call->rpc, "activity_credits_replayed_total", 1);   /* credited (or skipped) before */
        return 0;
    } else {
        hub_warn("registration %s was credited before for another activity (created %lld, now %lld): "
                 "intake's store was reset and reuses ids; credited as a new registration",
                 c.registration_id, (long long)old->activity_created_ms, (long long)c.activity_created_ms);
        hub_rpc_count(call->rpc, "feed_id_collisions_total", 1);
    }
    Matching__ActivityCredit rec = MATCHING__ACTIVITY_CREDIT__INIT;
    rec.registration_id = (char *)c.registration_id;
    rec.activity_id = (char *)c.activity_id;
    rec.volunteer_id = (char *)c.volunteer_id;
    rec.hours = c.hours;
    rec.credited_ms = hub_now_ms();
    rec.activity_created_ms = c.activity_created_ms;
    rec.event_seq = ev->seq;
    prov_t p;
    const char *why = NULL;
    if (s_prov_load(call, m, MATCHING__PROVIDER_KIND__VOLUNTEER, c.volunteer_id, &p)) {
        if (call->err.code != HUB__ERROR_CODE__NOT_FOUND) return -1;
        call->err = keep;
        why = "unknown";
    } else if (p.vol->erased_ms) {   /* the person asked to be forgotten: the record takes nothing more */
        why = "erased";
    }
    if (why) {
        hub_warn("registration %s credits %.2f hours to volunteer %s, %s; not credited", c.registration_id, c.hours,
                 c.volunteer_id, *why == 'u' ? "who is not in the library" : "whose record was erased");
        hub_rpc_count(call->rpc, *why == 'u' ? "activity_credits_unknown_volunteer_total"
                                              : "activity_credits_erased_volunteer_total", 1);
        rec.skipped = true;
        rec.hours = 0;
        return hub_record_put(call, m->credits, c.registration_id, &rec.base);
    }
    match_volunteer_credit(p.vol, c.hours);
    if (s_prov_save(call, m, &p) || hub_record_put(call, m->credits, c.registration_id, &rec.base)) return -1;
    hub_rpc_count(call->rpc, "activity_credits_total", 1);
    return s_prov_event(call, "matching.volunteer.credited", &p);
}

static int s_apply_intake(hub_call_t *call, const char *publisher, const Hub__Event *ev, void *arg)
{
    (void)publisher;
    matching_t *m = arg;
    const char *t = ev->topic;
    if (!strcmp(t, "intake.registration.attended")) return s_apply_attended(call, m, ev);
    bool accepted = !strcmp(t, "intake.request.accepted");
    bool withdraw = !strcmp(t, "intake.request.cancelled") || !strcmp(t, "intake.request.duplicate") ||
                    !strcmp(t, "intake.request.closed");
    bool reopened = !strcmp(t, "intake.request.reopened");
    if (!accepted && !withdraw && !reopened) return 0;
    hub_error_t err = {0};
    Intake__RequestEvent *re = (Intake__RequestEvent *)hub_wire_unpack_max(
        &intake__request_event__descriptor, ev->payload.data, ev->payload.len, HUB_WIRE_MAX_REPLY,
        call->arena, &err);
    if (!re || !re->request || !*re->request->service_request_id) {
        hub_warn("intake event %llu (%s) unreadable: %s; skipped", (unsigned long long)ev->seq, t,
                 err.message);
        hub_rpc_count(call->rpc, "feed_events_unreadable_total", 1);
        return 0;
    }
    const Intake__Request *req = re->request;
    int64_t now = hub_now_ms();
    MDB_val k = {strlen(req->service_request_id), req->service_request_id}, v;
    int rc = k.mv_size < 512 ? mdb_get(call->txn, m->referrals, &k, &v) : MDB_NOTFOUND;
    if (rc && rc != MDB_NOTFOUND) return hub_call_mdb_error(call, rc);
    if (accepted) {
        if (!rc) { /* an id seen before: intake's store was reset and reuses ids */
            hub_warn("intake request %s already has a referral; the new one (event %llu) is not matched",
                     req->service_request_id, (unsigned long long)ev->seq);
            hub_rpc_count(call->rpc, "feed_id_collisions_total", 1);
            return 0;
        }
        Matching__Referral *r = hub_arena_alloc(call->arena, sizeof *r);
        if (!r) return s_oom(call);
        match_referral_init(r, req, now, call->arena);
        if (s_ref_history(call, r, "created", "intake", "", now)) return -1;
        hub_rpc_count(call->rpc, "referrals_total", 1);
        return s_offer_next(call, m, r, now);
    }
    if (rc == MDB_NOTFOUND) return 0;
    Matching__Referral *r = s_ref_load(call, m, req->service_request_id);
    if (!r) return -1;
    if (reopened) { /* matched again, from the providers that did not say no */
        if (r->status != MATCHING__REFERRAL_STATUS__CANCELLED) return 0;
        r->status = MATCHING__REFERRAL_STATUS__REQUESTED;
        if (s_ref_commit(call, m, r, "reopen", "intake", "reopened at intake", now)) return -1;
        return s_offer_next(call, m, r, now);
    }
    if (r->status == MATCHING__REFERRAL_STATUS__COMPLETED || r->status == MATCHING__REFERRAL_STATUS__CANCELLED)
        return 0;
    const char *reason = !strcmp(t, "intake.request.duplicate") ? "duplicate request"
                         : !strcmp(t, "intake.request.closed")  ? "closed at intake"
                                                                : "cancelled by the requester";
    return s_withdraw(call, m, r, "intake", reason, now);
}

/* ------------------------------------------------------------------ handlers: library */

static int s_org_add_or_update(hub_call_t *call, void *ctx, bool update)
{
    const Matching__PutOrganizationRequest *q = (const void *)call->req;
    if (!q->org) return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "org", "org is required");
    /* a copy: the handler may run twice (hub_rpc.h), call->req stays as sent */
    Matching__Organization *o = hub_arena_alloc(call->arena, sizeof *o);
    if (!o) return s_oom(call);
    *o = *q->org;
    if (q->org->capacity) {
        if (!(o->capacity = hub_arena_alloc(call->arena, sizeof *o->capacity))) return s_oom(call);
        *o->capacity = *q->org->capacity;
    }
    bool added;
    if (s_org_put(call, ctx, o, update, false, &added)) return -1;
    Matching__OrganizationReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return s_oom(call);
    matching__organization_reply__init(rep);
    rep->org = o;
    call->reply = &rep->base;
    return 0;
}
static int s_org_add(hub_call_t *call, void *ctx) { return s_org_add_or_update(call, ctx, false); }
static int s_org_update(hub_call_t *call, void *ctx) { return s_org_add_or_update(call, ctx, true); }

static int s_vol_add_or_update(hub_call_t *call, void *ctx, bool update)
{
    const Matching__PutVolunteerRequest *q = (const void *)call->req;
    if (!q->volunteer)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "volunteer", "volunteer is required");
    Matching__Volunteer *vo = hub_arena_alloc(call->arena, sizeof *vo); /* a copy, as for orgs */
    if (!vo) return s_oom(call);
    *vo = *q->volunteer;
    bool added;
    if (s_vol_put(call, ctx, vo, update, false, &added)) return -1;
    Matching__VolunteerReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return s_oom(call);
    matching__volunteer_reply__init(rep);
    rep->volunteer = vo;
    call->reply = &rep->base;
    return 0;
}
static int s_vol_add(hub_call_t *call, void *ctx) { return s_vol_add_or_update(call, ctx, false); }
static int s_vol_update(hub_call_t *call, void *ctx) { return s_vol_add_or_update(call, ctx, true); }

/* Reply with one provider record. */
static int s_prov_reply(hub_call_t *call, const prov_t *p)
{
    if (p->org) {
        Matching__OrganizationReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
        if (!rep) return s_oom(call);
        matching__organization_reply__init(rep);
        rep->org = p->org;
        call->reply = &rep->base;
    } else {
        Matching__VolunteerReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
        if (!rep) return s_oom(call);
        matching__volunteer_reply__init(rep);
        rep->volunteer = p->vol;
        call->reply = &rep->base;
    }
    return 0;
}

static int s_get(hub_call_t *call, void *ctx, int kind)
{
    const Matching__GetProviderRequest *q = (const void *)call->req;
    prov_t p;
    if (s_prov_load_as(call, ctx, kind, q->id, &p, "id")) return -1;
    return s_prov_reply(call, &p);
}
static int s_org_get(hub_call_t *call, void *ctx) { return s_get(call, ctx, MATCHING__PROVIDER_KIND__ORGANIZATION); }
static int s_vol_get(hub_call_t *call, void *ctx) { return s_get(call, ctx, MATCHING__PROVIDER_KIND__VOLUNTEER); }

static int s_membership(hub_call_t *call, void *ctx, int kind)
{
    matching_t *m = ctx;
    const Matching__MembershipRequest *q = (const void *)call->req;
    if (strlen(q->reason) > MATCH_MAX_TEXT)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "reason", "reason is too long");
    prov_t p;
    if (s_prov_load_as(call, m, kind, q->id, &p, "id") || s_not_erased(call, p.vol, "id")) return -1;
    Matching__Membership *ms = p.org ? &p.org->membership : &p.vol->membership;
    if (match_membership_transition(*ms, q->membership, &call->err)) return -1;
    *ms = q->membership;
    if (p.org) p.org->updated_ms = hub_now_ms();
    else p.vol->updated_ms = hub_now_ms();
    if (s_prov_save(call, m, &p)) return -1;
    if (s_prov_event(call, p.org ? "matching.org.membership" : "matching.volunteer.membership", &p)) return -1;
    return s_prov_reply(call, &p);
}
static int s_org_membership(hub_call_t *call, void *ctx) { return s_membership(call, ctx, MATCHING__PROVIDER_KIND__ORGANIZATION); }
static int s_vol_membership(hub_call_t *call, void *ctx) { return s_membership(call, ctx, MATCHING__PROVIDER_KIND__VOLUNTEER); }

static bool s_has(char **list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], s)) return true;
    return false;
}

static int s_match_org(const hub_list_t *l, const ProtobufCMessage *msg)
{
    const Matching__ListProvidersRequest *q = l->query;
    const Matching__Organization *o = (const void *)msg;
    return (!*q->service || s_has(o->services, o->n_services, q->service)) &&
           (!*q->area || s_has(o->areas, o->n_areas, q->area)) &&
           (!q->membership || o->membership == q->membership);
}
static const char *s_taken_org(ProtobufCMessage *msg) { return ((Matching__Organization *)msg)->id; }

static int s_match_vol(const hub_list_t *l, const ProtobufCMessage *msg)
{
    const Matching__ListProvidersRequest *q = l->query;
    const Matching__Volunteer *v = (const void *)msg;
    bool svc = !*q->service;
    for (size_t i = 0; !svc && i < v->n_skills; i++) svc = !strcmp(v->skills[i]->service, q->service);
    return svc && (!*q->area || s_has(v->areas, v->n_areas, q->area)) &&
           (!q->membership || v->membership == q->membership);
}
static const char *s_taken_vol(ProtobufCMessage *msg) { return ((Matching__Volunteer *)msg)->id; }

static int s_org_list(hub_call_t *call, void *ctx)
{
    matching_t *m = ctx;
    const Matching__ListProvidersRequest *q = (const void *)call->req;
    hub_list_t l = {.call = call, .scratch = m->scratch, .query = q, .desc = &matching__organization__descriptor,
                    .match = s_match_org, .taken = s_taken_org};
    if (hub_list_run(&l, m->orgs, q->after_id, q->limit)) return -1;
    Matching__ListOrganizationsReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return s_oom(call);
    matching__list_organizations_reply__init(rep);
    rep->orgs = (Matching__Organization **)l.items;
    rep->n_orgs = l.n_items;
    if (l.next_after_id) rep->next_after_id = l.next_after_id;
    call->reply = &rep->base;
    return 0;
}

static int s_vol_list(hub_call_t *call, void *ctx)
{
    matching_t *m = ctx;
    const Matching__ListProvidersRequest *q = (const void *)call->req;
    hub_list_t l = {.call = call, .scratch = m->scratch, .query = q, .desc = &matching__volunteer__descriptor,
                    .match = s_match_vol, .taken = s_taken_vol};
    if (hub_list_run(&l, m->volunteers, q->after_id, q->limit)) return -1;
    Matching__ListVolunteersReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return s_oom(call);
    matching__list_volunteers_reply__init(rep);
    rep->volunteers = (Matching__Volunteer **)l.items;
    rep->n_volunteers = l.n_items;
    if (l.next_after_id) rep->next_after_id = l.next_after_id;
    call->reply = &rep->base;
    return 0;
}

/* Prefixes call->err.field with "records[i]." so the operator finds it. */
static int s_import_fail(hub_call_t *call, const char *what, size_t i)
{
    char field[sizeof call->err.field + 48];
    const char *f = call->err.field, *dot = strchr(f, '.');
    if (dot && (!strncmp(f, "org.", 4) || !strncmp(f, "volunteer.", 10))) f = dot + 1;
    snprintf(field, sizeof field, "%s[%zu].%s", what, i, f);
    snprintf(call->err.field, sizeof call->err.field, "%.127s", field);
    return -1;
}

static int s_import(hub_call_t *call, void *ctx)
{
    matching_t *m = ctx;
    const Matching__ImportRequest *q = (const void *)call->req;
    hsds_batch_t b = {0};
    if (strcmp(q->format, "hsds") && strcmp(q->format, "csv"))
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "format", "format must be hsds or csv");
    if (hsds_parse(q->format, q->kind, q->data.data, q->data.len, call->arena, &b, &call->err)) return -1;
    Matching__ImportReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return s_oom(call);
    matching__import_reply__init(rep);
    for (size_t i = 0; i < b.n_orgs; i++) {
        bool added;
        if (s_org_put(call, m, b.orgs[i], true, true, &added)) return s_import_fail(call, "orgs", i);
        added ? rep->added++ : rep->updated++;
    }
    for (size_t i = 0; i < b.n_volunteers; i++) {
        bool added;
        if (s_vol_put(call, m, b.volunteers[i], true, true, &added)) return s_import_fail(call, "volunteers", i);
        added ? rep->added++ : rep->updated++;
    }
    call->reply = &rep->base;
    return 0;
}

static int s_export(hub_call_t *call, void *ctx)
{
    matching_t *m = ctx;
    const Matching__ExportRequest *q = (const void *)call->req;
    unsigned limit = q->limit ? (q->limit < EXPORT_MAX ? q->limit : EXPORT_MAX) : EXPORT_DEFAULT;
    Matching__ListProvidersRequest all = MATCHING__LIST_PROVIDERS_REQUEST__INIT;
    hub_list_t l = {.call = call, .scratch = m->scratch, .query = &all, .desc = &matching__organization__descriptor,
                    .match = s_match_org, .taken = s_taken_org};
    if (hub_list_run(&l, m->orgs, q->after_id, limit)) return -1;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (size_t i = 0; i < l.n_items && !rc; i++)
        rc = hsds_export_org((Matching__Organization *)l.items[i], &buf, &len, &cap);
    if (!rc) rc = hsds_export_end(&buf, &len, &cap);
    Matching__ExportReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    char *json = rc ? NULL : hub_arena_alloc(call->arena, len + 1);
    if (json) memcpy(json, buf, len + 1);
    free(buf);
    if (!rep || !json) return s_oom(call);
    matching__export_reply__init(rep);
    rep->json = json;
    if (l.next_after_id) rep->next_after_id = l.next_after_id;
    call->reply = &rep->base;
    return 0;
}

/* ------------------------------------------------------------------ handlers: referrals */

static int s_explain(hub_call_t *call, void *ctx)
{
    matching_t *m = ctx;
    const Matching__ExplainRequest *q = (const void *)call->req;
    Matching__Referral *r = s_ref_load(call, m, q->request_id);
    if (!r) return -1;
    decision_t d;
    match_need_t need;
    if (s_decide(call, m, r, hub_now_ms(), &d, &need, true)) return -1;
    Matching__ExplainReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    Matching__Candidate **cs = hub_arena_alloc(call->arena, (d.n + 1) * sizeof *cs);
    Matching__Exclusion **ex = hub_arena_alloc(call->arena, MATCH_REASONS * sizeof *ex);
    if (!rep || !cs || !ex) return s_oom(call);
    matching__explain_reply__init(rep);
    rep->referral = r;
    for (int i = 0; i < d.n; i++) {
        Matching__Candidate *c = hub_arena_alloc(call->arena, sizeof *c);
        match_factor_t f[MATCH_FACTORS];
        Matching__Factor *fs = hub_arena_alloc(call->arena, MATCH_FACTORS * sizeof *fs);
        Matching__Factor **fp = hub_arena_alloc(call->arena, MATCH_FACTORS * sizeof *fp);
        if (!c || !fs || !fp) return s_oom(call);
        matching__candidate__init(c);
        c->kind = d.top[i].cand.kind;
        c->id = hub_arena_strdup(call->arena, d.top[i].cand.id);
        c->score = match_score(&need, &d.top[i].cand, d.top[i].same_street, f);
        prov_t p;
        hub_error_t keep = call->err;
        c->name = s_prov_load(call, m, c->kind, c->id, &p) == 0 ? (char *)s_prov_name(&p) : "";
        call->err = keep;
        for (int j = 0; j < MATCH_FACTORS; j++) {
            matching__factor__init(&fs[j]);
            fs[j].name = (char *)f[j].name;
            fs[j].points = f[j].points;
            fs[j].detail = hub_arena_strdup(call->arena, f[j].detail);
            fp[j] = &fs[j];
        }
        c->factors = fp;
        c->n_factors = MATCH_FACTORS;
        cs[rep->n_candidates++] = c;
    }
    rep->candidates = cs;
    for (int i = 1; i < MATCH_REASONS; i++) {
        if (!d.excluded[i]) continue;
        Matching__Exclusion *e = hub_arena_alloc(call->arena, sizeof *e);
        if (!e) return s_oom(call);
        matching__exclusion__init(e);
        e->reason = (char *)match_reason_name(i);
        e->count = d.excluded[i];
        ex[rep->n_excluded++] = e;
    }
    rep->excluded = ex;
    call->reply = &rep->base;
    return 0;
}

static int s_ref_reply(hub_call_t *call, Matching__Referral *r)
{
    Matching__ReferralReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return s_oom(call);
    matching__referral_reply__init(rep);
    rep->referral = r;
    call->reply = &rep->base;
    return 0;
}

/* True if the caller is a provider principal (not operator/auditor/subscriber):
 * it sees only referrals offered to it. */
static bool s_provider_only(const hub_call_t *call)
{
    return call->authenticated && !hub_call_has_role(call, "operator auditor subscriber");
}

static bool s_offered_to(const Matching__Referral *r, const char *provider)
{
    for (size_t i = 0; i < r->n_offers; i++)
        if (!strcmp(r->offers[i]->provider_id, provider)) return true;
    return false;
}

static int s_ref_get(hub_call_t *call, void *ctx)
{
    const Matching__GetReferralRequest *q = (const void *)call->req;
    Matching__Referral *r = s_ref_load(call, ctx, q->request_id);
    if (!r) return -1;
    if (s_provider_only(call) && !s_offered_to(r, call->principal))
        return hub_error_set(&call->err, HUB__ERROR_CODE__NOT_FOUND, "request_id", "no request_id \"%s\"",
                             q->request_id);
    return s_ref_reply(call, r);
}

static int s_match_ref(const hub_list_t *l, const ProtobufCMessage *msg)
{
    const Matching__ListReferralsRequest *q = l->query;
    const Matching__Referral *r = (const void *)msg;
    const char *only = l->arg; /* a provider principal: its own referrals */
    return (!q->status || r->status == q->status) && (!*q->provider_id || !strcmp(r->provider_id, q->provider_id)) &&
           (!q->queue || r->status == MATCHING__REFERRAL_STATUS__REJECTED) && (!only || s_offered_to(r, only));
}
static const char *s_taken_ref(ProtobufCMessage *msg)
{
    Matching__Referral *r = (Matching__Referral *)msg;
    r->n_history = 0; /* lists carry the current state; history is in referral.get */
    return r->request_id;
}

static int s_ref_list(hub_call_t *call, void *ctx)
{
    matching_t *m = ctx;
    const Matching__ListReferralsRequest *q = (const void *)call->req;
    hub_list_t l = {.call = call, .scratch = m->scratch, .query = q, .desc = &matching__referral__descriptor,
                    .match = s_match_ref, .taken = s_taken_ref,
                    .arg = s_provider_only(call) ? call->principal : NULL};
    if (hub_list_run(&l, m->referrals, q->after_id, q->limit)) return -1;
    Matching__ListReferralsReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return s_oom(call);
    matching__list_referrals_reply__init(rep);
    rep->referrals = (Matching__Referral **)l.items;
    rep->n_referrals = l.n_items;
    if (l.next_after_id) rep->next_after_id = l.next_after_id;
    call->reply = &rep->base;
    return 0;
}

static int s_respond(hub_call_t *call, void *ctx)
{
    matching_t *m = ctx;
    const Matching__RespondRequest *q = (const void *)call->req;
    if (strlen(q->reason) > MATCH_MAX_TEXT || strlen(q->by) > MATCH_MAX_NAME)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "reason", "reason or by is too long");
    /* a provider principal answers only for itself */
    if (call->authenticated && !hub_call_has_role(call, "operator") && strcmp(call->principal, q->provider_id))
        return hub_error_set(&call->err, HUB__ERROR_CODE__PERMISSION_DENIED, "provider_id",
                             "%s may answer only for itself", call->principal);
    static const char *const provider_actions[] = {"accept", "decline", "start", "hold", "resume", "complete"};
    bool known = false;
    for (size_t i = 0; i < sizeof provider_actions / sizeof *provider_actions; i++)
        known |= !strcmp(q->action, provider_actions[i]);
    if (!known)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "action",
                             "action must be accept, decline, start, hold, resume or complete");
    Matching__Referral *r = s_ref_load(call, m, q->request_id);
    if (!r) return -1;
    Matching__ReferralStatus to;
    if (match_referral_transition(r->status, q->action, &to, &call->err)) return -1;
    if (!*r->provider_id || strcmp(r->provider_id, q->provider_id))
        return hub_error_set(&call->err, HUB__ERROR_CODE__FAILED_PRECONDITION, "provider_id",
                             "referral %s is not with %s", r->request_id, q->provider_id);
    int64_t now = hub_now_ms();
    const char *by = s_by(call, q->by);
    const char *a = q->action;
    Matching__Offer *o = s_current_offer(r);
    if (!strcmp(a, "decline") || !strcmp(a, "accept")) {
        if (!o || o->state != MATCHING__OFFER_STATE__OFFER_PENDING)
            return hub_error_set(&call->err, HUB__ERROR_CODE__FAILED_PRECONDITION, "action",
                                 "no pending offer to %s", a);
    }
    if (!strcmp(a, "decline")) {
        if (!*q->reason)
            return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "reason", "a decline needs a reason");
        if (s_release(call, m, r, MATCHING__OFFER_STATE__OFFER_DECLINED, q->reason, by, now)) return -1;
        char text[MATCH_MAX_TEXT + 64];
        snprintf(text, sizeof text, "%s: %s", q->provider_id, q->reason);
        if (s_ref_commit(call, m, r, "decline", by, text, now)) return -1;
        if (s_offer_next(call, m, r, now)) return -1;
        return s_ref_reply(call, r);
    }
    if (!strcmp(a, "accept")) {
        char key[512];
        if (s_del(call, m->deadlines, key, s_deadline_key(key, o->deadline_ms, r->request_id))) return -1;
        o->state = MATCHING__OFFER_STATE__OFFER_ACCEPTED;
        o->decided_ms = now;
        o->by = (char *)by;
        prov_t p;
        if (s_prov_load(call, m, o->kind, o->provider_id, &p)) return -1;
        Matching__ProviderStats *st = s_stats(call, &p);
        if (!st) return s_oom(call);
        st->accepted++;
        if (s_prov_save(call, m, &p)) return -1;
    } else if (!strcmp(a, "complete")) {
        if (q->outcome <= 0 || q->outcome > MATCHING__OUTCOME__NO_LONGER_INTERESTED)
            return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "outcome",
                                 "complete needs an outcome");
        if (!(q->hours >= 0 && q->hours <= 1000))
            return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "hours", "hours must be 0..1000");
        prov_t p;
        if (s_prov_load(call, m, o ? (int)o->kind : (int)r->provider_kind, r->provider_id, &p)) return -1;
        Matching__ProviderStats *st = s_stats(call, &p);
        if (!st) return s_oom(call);
        st->completed++;
        if (q->outcome == MATCHING__OUTCOME__GOT_HELP) st->got_help++;
        if (p.vol) p.vol->hours_served += q->hours;
        if (s_prov_save(call, m, &p)) return -1;
        r->outcome = q->outcome;
        r->hours = q->hours;
        char *pid = r->provider_id;
        int kind = r->provider_kind;
        char *pname = r->provider_name;
        if (s_release(call, m, r, MATCHING__OFFER_STATE__OFFER_ENDED, "completed", by, now)) return -1;
        /* the referral keeps who served it */
        r->provider_id = pid;
        r->provider_kind = kind;
        r->provider_name = pname;
    }
    r->status = to;
    if (s_ref_commit(call, m, r, a, by, q->reason, now)) return -1;
    return s_ref_reply(call, r);
}

static int s_assign(hub_call_t *call, void *ctx)
{
    matching_t *m = ctx;
    const Matching__AssignRequest *q = (const void *)call->req;
    if (strlen(q->reason) > MATCH_MAX_TEXT || strlen(q->by) > MATCH_MAX_NAME)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "reason", "reason or by is too long");
    Matching__Referral *r = s_ref_load(call, m, q->request_id);
    if (!r) return -1;
    Matching__ReferralStatus to;
    if (match_referral_transition(r->status, "assign", &to, &call->err)) return -1;
    prov_t p;
    if (s_prov_load(call, m, q->kind, q->provider_id, &p)) return -1;
    Matching__Membership ms = p.org ? p.org->membership : p.vol->membership;
    if (ms != MATCHING__MEMBERSHIP__APPROVED)
        return hub_error_set(&call->err, HUB__ERROR_CODE__FAILED_PRECONDITION, "provider_id",
                             "%s is %s, not an approved member", q->provider_id, match_membership_name(ms));
    if (!strcmp(r->provider_id, q->provider_id) && (int)r->provider_kind == (int)q->kind &&
        r->status != MATCHING__REFERRAL_STATUS__REQUESTED)
        return hub_error_set(&call->err, HUB__ERROR_CODE__FAILED_PRECONDITION, "provider_id",
                             "referral %s is already with %s", r->request_id, q->provider_id);
    int64_t now = hub_now_ms();
    const char *by = s_by(call, q->by);
    bool same = !strcmp(r->provider_id, q->provider_id) && (int)r->provider_kind == (int)q->kind;
    /* the previous provider gives its unit back (the same one keeps it) */
    if (!same && s_release(call, m, r, MATCHING__OFFER_STATE__OFFER_WITHDRAWN, "reassigned", by, now)) return -1;
    if (s_del(call, m->queue, r->request_id, strlen(r->request_id))) return -1;
    if (!same && s_prov_load(call, m, q->kind, q->provider_id, &p)) return -1; /* reload: may be the one released */
    Matching__ProviderStats *st = s_stats(call, &p);
    if (!st) return s_oom(call);
    if (same) {
        Matching__Offer *o = s_current_offer(r);
        char key[512];
        if (o && s_del(call, m->deadlines, key, s_deadline_key(key, o->deadline_ms, r->request_id))) return -1;
        if (o) { o->state = MATCHING__OFFER_STATE__OFFER_ACCEPTED; o->decided_ms = now; o->by = (char *)by; }
        st->accepted++;
        if (s_prov_save(call, m, &p)) return -1;
    } else {
        st->offers++;
        st->accepted++;
        if (s_prov_reserve(call, m, &p, +1, now)) return -1;
        Matching__Offer *o = hub_arena_alloc(call->arena, sizeof *o);
        if (!o) return s_oom(call);
        matching__offer__init(o);
        o->kind = p.kind;
        o->provider_id = (char *)s_prov_id(&p);
        o->provider_name = (char *)s_prov_name(&p);
        o->offered_ms = o->decided_ms = now;
        o->state = MATCHING__OFFER_STATE__OFFER_ACCEPTED;
        o->by = (char *)by;
        o->reason = q->reason;
        void **a = s_append(call, (void **)r->offers, r->n_offers, o);
        if (!a) return s_oom(call);
        r->offers = (Matching__Offer **)a;
        r->n_offers++;
        r->provider_kind = p.kind;
        r->provider_id = o->provider_id;
        r->provider_name = o->provider_name;
    }
    r->status = to;
    char text[MATCH_MAX_TEXT + 64];
    snprintf(text, sizeof text, "assigned to %s%s%s", q->provider_id, *q->reason ? ": " : "", q->reason);
    if (s_ref_commit(call, m, r, "assign", by, text, now)) return -1;
    return s_ref_reply(call, r);
}

static int s_withdraw_cmd(hub_call_t *call, void *ctx)
{
    matching_t *m = ctx;
    const Matching__WithdrawRequest *q = (const void *)call->req;
    if (strlen(q->reason) > MATCH_MAX_TEXT || strlen(q->by) > MATCH_MAX_NAME)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "reason", "reason or by is too long");
    if (!*q->reason)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "reason", "a withdrawal needs a reason");
    Matching__Referral *r = s_ref_load(call, m, q->request_id);
    if (!r) return -1;
    if (s_withdraw(call, m, r, s_by(call, q->by), q->reason, hub_now_ms())) return -1;
    return s_ref_reply(call, r);
}

#define RETRY_MAX 256   /* queued referrals looked at per command */

static int s_queue_retry(hub_call_t *call, void *ctx)
{
    matching_t *m = ctx;
    Matching__RetryQueueReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return s_oom(call);
    matching__retry_queue_reply__init(rep);
    /* the ids first: offering changes the queue under a cursor */
    static char ids[RETRY_MAX + 1][512];
    int n = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(call->txn, m->queue, &cur);
    if (rc) return hub_call_mdb_error(call, rc);
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc && n <= RETRY_MAX; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size >= sizeof ids[0]) continue;
        memcpy(ids[n], k.mv_data, k.mv_size);
        ids[n++][k.mv_size] = 0;
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) return hub_call_mdb_error(call, rc);
    rep->more = n > RETRY_MAX;
    if (rep->more) n = RETRY_MAX;
    int64_t now = hub_now_ms();
    hub_arena_mark_t mark = hub_arena_mark(call->arena);
    for (int i = 0; i < n; i++) {
        hub_arena_rewind(call->arena, mark); /* each one is stored before the next */
        Matching__Referral *r = s_ref_load(call, m, ids[i]);
        if (!r) return -1;
        if (r->status != MATCHING__REFERRAL_STATUS__REJECTED || r->n_offers >= MATCH_MAX_OFFERS) continue;
        rep->retried++;
        int offered = s_offer_best(call, m, r, now); /* nobody: stays queued, not counted again */
        if (offered < 0) return -1;
        rep->offered += (uint32_t)offered;
    }
    call->reply = &rep->base;
    return 0;
}

static int s_unmet(hub_call_t *call, void *ctx)
{
    matching_t *m = ctx;
    Matching__UnmetReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return s_oom(call);
    matching__unmet_reply__init(rep);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(call->txn, m->unmet, &cur);
    if (rc) return hub_call_mdb_error(call, rc);
    MDB_val k, v;
    size_t cap = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const char *key = k.mv_data;
        const char *nul = memchr(key, 0, k.mv_size);
        if (!nul || v.mv_size != 8) continue;
        if (rep->n_counts == cap) {
            cap = cap ? cap * 2 : 64;
            void **a = hub_arena_alloc(call->arena, cap * sizeof *a);
            if (!a) break;
            if (rep->n_counts) memcpy(a, rep->counts, rep->n_counts * sizeof *a);
            rep->counts = (Matching__UnmetCount **)a;
        }
        Matching__UnmetCount *c = hub_arena_alloc(call->arena, sizeof *c);
        char *svc = hub_arena_alloc(call->arena, k.mv_size + 1);
        if (!c || !svc) break;
        memcpy(svc, key, k.mv_size);
        svc[k.mv_size] = 0;
        matching__unmet_count__init(c);
        c->service_code = svc;
        c->street = svc + (nul - key) + 1;
        c->count = hub_be64_get(v.mv_data);
        rep->counts[rep->n_counts++] = c;
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) return hub_call_mdb_error(call, rc);
    call->reply = &rep->base;
    return 0;
}

/* Expires the pending offer of one due deadline and offers the referral
 * to the next candidate (hub_due_fn); a stale entry (answered, withdrawn,
 * re-offered since) is skipped. */
static int s_expire_one(hub_call_t *call, hub_due_item_t *item, void *arg)
{
    matching_t *m = arg;
    hub_error_t keep = call->err;
    Matching__Referral *r = s_ref_load(call, m, item->id);
    if (!r) {
        if (call->err.code != HUB__ERROR_CODE__NOT_FOUND) return -1;
        call->err = keep;
        item->skipped = true;
        return 0;
    }
    Matching__Offer *o = s_current_offer(r);
    if (r->status != MATCHING__REFERRAL_STATUS__REQUESTED || !o || o->state != MATCHING__OFFER_STATE__OFFER_PENDING ||
        item->due_ms != o->deadline_ms) {
        item->skipped = true;
        return 0;
    }
    int64_t now = hub_now_ms();
    char text[160];
    snprintf(text, sizeof text, "%s did not answer in time", o->provider_id);
    if (s_release(call, m, r, MATCHING__OFFER_STATE__OFFER_EXPIRED, "deadline passed", "matching", now) ||
        s_ref_commit(call, m, r, "expire", "matching", text, now) || s_offer_next(call, m, r, now))
        return -1;
    hub_rpc_count(call->rpc, "offers_expired_total", 1);
    return 0;
}

/* "matching.expire" (our own timer): offers past their deadline move on. */
static int s_expire(hub_call_t *call, void *ctx)
{
    const Hub__Tick *q = (const void *)call->req;
    Hub__TickReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return s_oom(call);
    hub__tick_reply__init(rep);
    int done = hub_due_take(call, ((matching_t *)ctx)->deadlines, q->now_ms ? q->now_ms : hub_now_ms(),
                            EXPIRE_BATCH, s_expire_one, ctx, "offer deadline of", "expire_failures_total");
    if (done < 0) return -1;
    rep->done = (uint32_t)done;
    call->reply = &rep->base;
    return 0;
}

const hub_handler_t matching_handlers[] = {
    {"matching.org.add", &matching__put_organization_request__descriptor, s_org_add, ROLES_OPERATOR},
    {"matching.org.update", &matching__put_organization_request__descriptor, s_org_update, ROLES_OPERATOR},
    {"matching.org.get", &matching__get_provider_request__descriptor, s_org_get, ROLES_READ},
    {"matching.org.list", &matching__list_providers_request__descriptor, s_org_list, ROLES_READ},
    {"matching.org.membership", &matching__membership_request__descriptor, s_org_membership, ROLES_OPERATOR},
    {"matching.volunteer.add", &matching__put_volunteer_request__descriptor, s_vol_add, ROLES_OPERATOR},
    {"matching.volunteer.update", &matching__put_volunteer_request__descriptor, s_vol_update, ROLES_OPERATOR},
    {"matching.volunteer.get", &matching__get_provider_request__descriptor, s_vol_get, ROLES_READ},
    {"matching.volunteer.list", &matching__list_providers_request__descriptor, s_vol_list, ROLES_READ},
    {"matching.volunteer.membership", &matching__membership_request__descriptor, s_vol_membership, ROLES_OPERATOR},
    {"matching.import", &matching__import_request__descriptor, s_import, ROLES_OPERATOR},
    {"matching.export", &matching__export_request__descriptor, s_export, ROLES_READ},
    {"matching.explain", &matching__explain_request__descriptor, s_explain, ROLES_OPERATOR},
    {"matching.referral.get", &matching__get_referral_request__descriptor, s_ref_get, ROLES_READ},
    {"matching.referral.list", &matching__list_referrals_request__descriptor, s_ref_list, ROLES_READ},
    {"matching.referral.respond", &matching__respond_request__descriptor, s_respond, ROLES_PROVIDER},
    {"matching.referral.assign", &matching__assign_request__descriptor, s_assign, ROLES_OPERATOR},
    {"matching.referral.withdraw", &matching__withdraw_request__descriptor, s_withdraw_cmd, ROLES_OPERATOR},
    {"matching.unmet", &matching__unmet_request__descriptor, s_unmet, ROLES_READ},
    {"matching.queue.retry", &matching__retry_queue_request__descriptor, s_queue_retry, ROLES_OPERATOR},
    {"matching.subject.export", &matching__subject_export_request__descriptor, matching_subject_export,
     ROLES_SUBJECT_EXPORT},
    {"matching.subject.erase", &matching__subject_erase_request__descriptor, matching_subject_erase, ROLES_OPERATOR},
    {"matching.expire", &hub__tick__descriptor, s_expire, ROLES_INTERNAL},
    {NULL, NULL, NULL, NULL},
};

/* ------------------------------------------------------------------ life */

int matching_init(hub_daemon_t *d, int check_only, void **ctx, hub_error_t *err)
{
    matching_t *m = calloc(1, sizeof *m);
    if (!m) abort();
    m->d = d;
    m->scratch = hub_arena_new(HUB_WIRE_ARENA_BUDGET);
    m->catalogue = intake_catalogue_load(hub_config_get(d->cfg, "matching", "catalogue",
                                                   hub_config_get(d->cfg, "intake", "catalogue", NULL)), err);
    if (!m->catalogue) { hub_arena_destroy(&m->scratch); free(m); return -1; }
    m->offer_timeout_s = hub_config_get_int(d->cfg, "matching", "offer_timeout_s", 0);
    m->expire_check_ms = (int)hub_config_get_int(d->cfg, "matching", "expire_check_ms", 250);
    if (m->offer_timeout_s < 0 || m->expire_check_ms < 10 || m->expire_check_ms > 60000) {
        matching_fini(m);
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                             "[matching] offer_timeout_s >= 0 and expire_check_ms 10..60000");
    }
    const char *ip = hub_config_get(d->cfg, "matching", "intake_pub", "");
    const char *ia = hub_config_get(d->cfg, "matching", "intake_api", "");
    if (!*ip || !*ia) {
        matching_fini(m);
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                             "[matching] needs intake_pub and intake_api (intake's endpoints)");
    }
    if (hub_feed_keys(d->cfg, "matching", "intake", m->server_key, m->public_key, m->secret_key, err)) {
        matching_fini(m);
        return -1;
    }
    if (!check_only) {
        m->store = d->store;
        m->orgs = hub_daemon_db(d, MATCHING_DB_ORGS);
        m->volunteers = hub_daemon_db(d, MATCHING_DB_VOLUNTEERS);
        m->cand = hub_daemon_db(d, MATCHING_DB_CAND);
        m->referrals = hub_daemon_db(d, MATCHING_DB_REFERRALS);
        m->deadlines = hub_daemon_db(d, MATCHING_DB_DEADLINES);
        m->queue = hub_daemon_db(d, MATCHING_DB_QUEUE);
        m->unmet = hub_daemon_db(d, MATCHING_DB_UNMET);
        m->codes = hub_daemon_db(d, MATCHING_DB_CODES);
        m->credits = hub_daemon_db(d, MATCHING_DB_CREDITS);
    }
    *ctx = m;
    return 0;
}

int matching_start(hub_daemon_t *d, void *ctx, hub_error_t *err)
{
    matching_t *m = ctx;
    hub_curve_t curve = {m->server_key, m->public_key, m->secret_key};
    m->feed = hub_feed_new(d->rpc, d->store, d->zctx, "intake",
                           hub_config_get(d->cfg, "matching", "intake_pub", ""),
                           hub_config_get(d->cfg, "matching", "intake_api", ""),
                           *m->server_key ? &curve : NULL, s_apply_intake, m, err);
    if (!m->feed || hub_feed_start(m->feed, err)) return -1;
    hub_rpc_add_hist(d->rpc, "decide_p50_us", "decide_p99_us", &m->decide_ns, 1000);
    hub_rpc_add_hist(d->rpc, "decide_cpu_p50_us", "decide_cpu_p99_us", &m->decide_cpu_ns, 1000);
    hub_rpc_add_queue(d->rpc, "referrals_unmatched", m->queue);  /* the operator's queue */
    hub_rpc_add_queue(d->rpc, "offers_waiting", m->deadlines);    /* offers awaiting an answer */
    hub_due_start(&m->expire, d->loop, d->rpc, d->store, m->deadlines, "matching.expire", m->expire_check_ms);
    hub_scrub_init(&m->scrub, d->loop, d->store, d->rpc, matching_outbox_filter, m); /* one left by a stop: now */
    return 0;
}

void matching_stop(void *ctx)
{
    matching_t *m = ctx;
    hub_feed_destroy(&m->feed);
    hub_due_stop(&m->expire);
    hub_scrub_close(&m->scrub);
}

void matching_fini(void *ctx)
{
    matching_t *m = ctx;
    if (!m) return;
    hub_feed_destroy(&m->feed);
    intake_catalogue_destroy(&m->catalogue);
    hub_arena_destroy(&m->scratch);
    free(m);
}
