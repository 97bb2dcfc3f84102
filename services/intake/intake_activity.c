/* intake_activity: the handlers of the center's activities and of
 * registrations to them (README "Activities and the public's voice"),
 * over activity.h's rules. Each command is one LMDB write transaction: the
 * activity's counters, the registration, the duplicate and idempotency
 * indexes and the events are committed together, so concurrent
 * registrations are serialized by the store and a place is never given
 * twice. Registrations are keyed "<activity_id>-<NNNNNN>": one activity's
 * registrations are one key range, in registration order (the waitlist
 * order). */
#include <stdio.h>
#include <string.h>

#include "activity.h"
#include "hub_log.h"
#include "hub_record.h"
#include "hub_util.h"
#include "intake.h"
#include "intake_svc.h"

#define REG_ID_MAX 96

static Intake__Activity *s_activity(hub_call_t *call, intake_t *in, const char *id)
{
    return (Intake__Activity *)hub_record_get(call, in->activities, id, &intake__activity__descriptor, "activity_id");
}

/* Replies with activity a (borrowed; the reply in the call's arena). 0, or
 * -1 with call->err. */
static int s_activity_reply(hub_call_t *call, Intake__Activity *a)
{
    Intake__ActivityReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
    intake__activity_reply__init(rep);
    rep->activity = a;
    call->reply = &rep->base;
    return 0;
}

/* The registration id's record, visible to this caller (a channel sees
 * only its own; anyone else NOT_FOUND as for an unknown id). */
static Intake__Registration *s_registration(hub_call_t *call, intake_t *in, const char *id)
{
    Intake__Registration *r = (Intake__Registration *)hub_record_get(call, in->registrations, id,
                                                                     &intake__registration__descriptor,
                                                                     "registration_id");
    if (r && call->authenticated && !hub_call_has_role(call, "operator auditor") && strcmp(r->channel, call->principal)) {
        hub_error_set(&call->err, HUB__ERROR_CODE__NOT_FOUND, "registration_id", "no registration_id \"%s\"", id);
        return NULL;
    }
    return r;
}

static int s_publish_activity(hub_call_t *call, const char *action, Intake__Activity *a, const char *text)
{
    Intake__ActivityEvent ev = INTAKE__ACTIVITY_EVENT__INIT;
    char topic[64];
    snprintf(topic, sizeof topic, "intake.activity.%s", action);
    ev.action = (char *)action;
    ev.activity = a;
    ev.text = (char *)(text ? text : "");
    int rc = hub_outbox_append(call->outbox, call->txn, topic, &ev.base);
    return rc ? hub_call_mdb_error(call, rc) : 0;
}

static int s_publish_reg(hub_call_t *call, const char *action, Intake__Registration *r, Intake__Activity *a)
{
    Intake__RegistrationEvent ev = INTAKE__REGISTRATION_EVENT__INIT;
    char topic[64];
    snprintf(topic, sizeof topic, "intake.registration.%s", action);
    /* the activity as it is now, without its long texts (description,
     * minutes): followers need its time, place and counters */
    Intake__Activity brief = *a;
    brief.description = brief.minutes = "";
    ev.action = (char *)action;
    ev.registration = r;
    ev.activity = &brief;
    int rc = hub_outbox_append(call->outbox, call->txn, topic, &ev.base);
    return rc ? hub_call_mdb_error(call, rc) : 0;
}

/* Writes (put) or deletes the duplicate-registration keys of r. */
static int s_dup_keys(hub_call_t *call, intake_t *in, const Intake__Registration *r, bool put)
{
    char keys[3][ACTIVITY_DUP_KEY];
    size_t lens[3];
    size_t n = activity_dup_keys(r, keys, lens);
    for (size_t i = 0; i < n; i++) {
        MDB_val k = {lens[i], keys[i]}, v = {strlen(r->registration_id), r->registration_id}, cur;
        int rc;
        if (put) rc = mdb_put(call->txn, in->reg_dup, &k, &v, 0);
        else { /* only this registration's own entry: a later one of the same person keeps its key */
            rc = mdb_get(call->txn, in->reg_dup, &k, &cur);
            if (rc == 0 && cur.mv_size == v.mv_size && !memcmp(cur.mv_data, v.mv_data, v.mv_size))
                rc = mdb_del(call->txn, in->reg_dup, &k, NULL);
            else if (rc == 0) continue;
        }
        if (rc && !(rc == MDB_NOTFOUND && !put)) return hub_call_mdb_error(call, rc);
    }
    return 0;
}

/* The registration that already holds one of r's duplicate keys, or "" ;
 * NULL on a store error (call->err set). */
static const char *s_dup_of(hub_call_t *call, intake_t *in, const Intake__Registration *r)
{
    char keys[3][ACTIVITY_DUP_KEY];
    size_t lens[3];
    size_t n = activity_dup_keys(r, keys, lens);
    for (size_t i = 0; i < n; i++) {
        MDB_val k = {lens[i], keys[i]}, v;
        int rc = mdb_get(call->txn, in->reg_dup, &k, &v);
        if (rc == MDB_NOTFOUND) continue;
        if (rc) { hub_call_mdb_error(call, rc); return NULL; }
        char *id = hub_arena_alloc(call->arena, v.mv_size + 1);
        if (!id) {
            hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
            return NULL;
        }
        memcpy(id, v.mv_data, v.mv_size);
        id[v.mv_size] = 0;
        return id;
    }
    return "";
}

/* ---- activities ---- */

static int s_create(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    const Intake__CreateActivityRequest *req = (const void *)call->req;
    if (!req->activity) return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "activity", "activity is required");
    Intake__Activity *a = req->activity;
    int64_t now = hub_now_ms();
    if (activity_validate(in->catalogue, a, now, &call->err)) return -1;
    char id[32];
    int rc = intake_next_id(call, in, 'E', id, sizeof id, now);
    if (rc) return hub_call_mdb_error(call, rc);
    a->activity_id = hub_arena_strdup(call->arena, id);
    a->status = INTAKE__ACTIVITY_STATUS__SCHEDULED;
    a->confirmed = a->waitlisted = a->attended = a->registrations = 0;
    a->cancel_reason = "";
    a->created_ms = a->updated_ms = now;
    a->announced_ms = 0;
    a->created_by = (char *)call->principal;
    if (hub_record_put(call, in->activities, id, &a->base) || s_publish_activity(call, "created", a, NULL)) return -1;
    hub_rpc_count(call->rpc, "activities_created_total", 1);
    return s_activity_reply(call, a);
}

static int s_get(hub_call_t *call, void *ctx)
{
    const Intake__GetActivityRequest *req = (const void *)call->req;
    Intake__Activity *a = s_activity(call, ctx, req->activity_id);
    if (!a) return -1;
    return s_activity_reply(call, a);
}

static int s_match_activity(const hub_list_t *l, const ProtobufCMessage *m)
{
    const Intake__ListActivitiesRequest *q = l->query;
    const Intake__Activity *a = (const Intake__Activity *)m;
    return (!q->kind || a->kind == q->kind) && a->starts_ms >= q->from_ms;
}

static const char *s_taken_activity(ProtobufCMessage *m)
{
    Intake__Activity *a = (Intake__Activity *)m;
    a->minutes = ""; /* lists carry the state; minutes are in intake.activity.get */
    return a->activity_id;
}

static int s_list(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    const Intake__ListActivitiesRequest *q = (const void *)call->req;
    hub_list_t l = {.call = call, .scratch = in->scratch, .query = q, .desc = &intake__activity__descriptor,
                    .match = s_match_activity, .taken = s_taken_activity};
    if (hub_list_run(&l, in->activities, q->after_id, q->limit)) return -1;
    Intake__ListActivitiesReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    intake__list_activities_reply__init(rep);
    rep->activities = (Intake__Activity **)l.items;
    rep->n_activities = l.n_items;
    if (l.next_after_id) rep->next_after_id = l.next_after_id;
    call->reply = &rep->base;
    return 0;
}

/* The scheduled, not yet ended activity id (for cancel and announce). */
static Intake__Activity *s_open_activity(hub_call_t *call, intake_t *in, const char *id, int64_t now)
{
    Intake__Activity *a = s_activity(call, in, id);
    if (!a) return NULL;
    if (a->status != INTAKE__ACTIVITY_STATUS__SCHEDULED) {
        hub_error_set(&call->err, HUB__ERROR_CODE__FAILED_PRECONDITION, "activity_id", "activity %s is cancelled", id);
        return NULL;
    }
    if (now >= a->ends_ms) {
        hub_error_set(&call->err, HUB__ERROR_CODE__FAILED_PRECONDITION, "activity_id", "activity %s has ended", id);
        return NULL;
    }
    return a;
}

/* A scan of one activity's registrations (in registration order). */
typedef struct {
    hub_call_t *call;
    intake_t *in;
    const char *prefix;
    size_t plen;
    Intake__RegistrationState want;  /* registrations in this state ... */
    bool all_active;                 /* ... or in any active state */
    bool first_only;
    const char *upto;                /* set: only count registrations up to this id (no ids kept) */
    uint32_t count;
    char **ids;                      /* call arena */
    size_t n, cap;
    int rc;
} reg_scan_t;

static int s_reg_collect(const MDB_val *key, const MDB_val *val, void *arg)
{
    reg_scan_t *s = arg;
    if (key->mv_size < s->plen || memcmp(key->mv_data, s->prefix, s->plen)) return 1;
    hub_arena_reset(s->in->scratch);
    Intake__Registration *r = (Intake__Registration *)protobuf_c_message_unpack(
        &intake__registration__descriptor, hub_arena_allocator(s->in->scratch), val->mv_size, val->mv_data);
    if (!r) return 0;
    if (s->all_active ? !activity_reg_active(r->state) : r->state != s->want) return 0;
    if (s->upto) {
        if (key->mv_size > strlen(s->upto) || memcmp(key->mv_data, s->upto, key->mv_size) > 0) return 1;
        s->count++;
        return 0;
    }
    if (!(s->ids = hub_arena_grow(s->call->arena, s->ids, s->n, &s->cap, sizeof *s->ids, 16))) { s->rc = -1; return 1; }
    char *id = hub_arena_alloc(s->call->arena, key->mv_size + 1);
    if (!id) { s->rc = -1; return 1; }
    memcpy(id, key->mv_data, key->mv_size);
    id[key->mv_size] = 0;
    s->ids[s->n++] = id;
    return s->first_only;
}

/* Fills s with the registration ids of activity_id in state want (or
 * every active one when want is 0). 0, or -1 with call->err. */
static int s_reg_scan(hub_call_t *call, intake_t *in, const char *activity_id, Intake__RegistrationState want,
                      bool first_only, reg_scan_t *s)
{
    char *prefix = hub_arena_alloc(call->arena, strlen(activity_id) + 2);
    if (!prefix) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
    sprintf(prefix, "%s-", activity_id);
    *s = (reg_scan_t){.call = call, .in = in, .prefix = prefix, .plen = strlen(prefix), .want = want,
                      .all_active = !want, .first_only = first_only};
    int rc = hub_store_scan_after(call->txn, in->registrations, activity_id, s_reg_collect, s);
    if (rc) return hub_call_mdb_error(call, rc);
    if (s->rc) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too many registrations");
    return 0;
}

static int s_cancel(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    const Intake__CancelActivityRequest *req = (const void *)call->req;
    int64_t now = hub_now_ms();
    if (!*req->reason || strlen(req->reason) > INTAKE_MAX_NOTE)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "reason",
                             "a reason is required (at most %d bytes): every registrant is told", INTAKE_MAX_NOTE);
    Intake__Activity *a = s_open_activity(call, in, req->activity_id, now);
    if (!a) return -1;
    reg_scan_t s;
    if (s_reg_scan(call, in, a->activity_id, 0, false, &s)) return -1;
    a->status = INTAKE__ACTIVITY_STATUS__ACTIVITY_CANCELLED;
    a->cancel_reason = (char *)req->reason;
    a->updated_ms = now;
    a->confirmed = a->attended; /* nobody holds or waits for a place any more */
    a->waitlisted = 0;
    if (hub_record_put(call, in->activities, a->activity_id, &a->base) || s_publish_activity(call, "cancelled", a, NULL))
        return -1;
    for (size_t i = 0; i < s.n; i++) {
        /* each registration's memory is given back once it is stored and
         * published (both copy it), so a large activity fits the budget */
        hub_arena_mark_t mark = hub_arena_mark(call->arena);
        Intake__Registration *r = s_registration(call, in, s.ids[i]);
        if (!r) return -1;
        r->state = INTAKE__REGISTRATION_STATE__ACTIVITY_CANCELLED_REG;
        r->updated_ms = now;
        if (hub_record_put(call, in->registrations, r->registration_id, &r->base) || s_dup_keys(call, in, r, false) ||
            s_publish_reg(call, "cancelled", r, a))
            return -1;
        hub_arena_rewind(call->arena, mark);
    }
    hub_rpc_count(call->rpc, "activities_cancelled_total", 1);
    hub_info("activity %s cancelled by %s (%zu registrants told): %s", a->activity_id, call->principal, s.n,
             req->reason);
    return s_activity_reply(call, a);
}

static int s_announce(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    const Intake__AnnounceActivityRequest *req = (const void *)call->req;
    int64_t now = hub_now_ms();
    if (strlen(req->text) > INTAKE_MAX_DESCRIPTION)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "text", "text is at most %d bytes",
                             INTAKE_MAX_DESCRIPTION);
    Intake__Activity *a = s_open_activity(call, in, req->activity_id, now);
    if (!a) return -1;
    a->announced_ms = a->updated_ms = now;
    if (hub_record_put(call, in->activities, a->activity_id, &a->base) ||
        s_publish_activity(call, "announced", a, req->text))
        return -1;
    hub_rpc_count(call->rpc, "activities_announced_total", 1);
    return s_activity_reply(call, a);
}

static int s_minutes(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    const Intake__MinutesRequest *req = (const void *)call->req;
    int64_t now = hub_now_ms();
    Intake__Activity *a = s_activity(call, in, req->activity_id);
    if (!a || activity_can_set_minutes(a, req->minutes, now, &call->err)) return -1;
    a->minutes = (char *)req->minutes;
    a->updated_ms = now;
    if (hub_record_put(call, in->activities, a->activity_id, &a->base) || s_publish_activity(call, "minutes", a, NULL))
        return -1;
    return s_activity_reply(call, a);
}

/* ---- registrations ---- */

/* 1-based place of r on the waitlist of a (registration order): the
 * waitlisted registrations up to r, counted without keeping them. */
static int s_waitlist_position(hub_call_t *call, intake_t *in, const Intake__Registration *r, uint32_t *pos)
{
    char *prefix = hub_arena_alloc(call->arena, strlen(r->activity_id) + 2);
    if (!prefix) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
    sprintf(prefix, "%s-", r->activity_id);
    reg_scan_t s = {.call = call, .in = in, .prefix = prefix, .plen = strlen(prefix),
                    .want = INTAKE__REGISTRATION_STATE__WAITLISTED, .upto = r->registration_id};
    int rc = hub_store_scan_after(call->txn, in->registrations, r->activity_id, s_reg_collect, &s);
    if (rc) return hub_call_mdb_error(call, rc);
    *pos = s.count;
    return 0;
}

static int s_register(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    const Intake__RegisterRequest *req = (const void *)call->req;
    if (!req->registration)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "registration", "registration is required");
    Intake__Registration *r = req->registration;
    r->channel = (char *)intake_channel(call, r->channel);
    if (!*r->channel || strlen(r->channel) > INTAKE_MAX_CHANNEL)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "channel", "channel is required (at most 64 bytes)");
    if (!*r->message_id || strlen(r->message_id) > INTAKE_MAX_MESSAGE_ID)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "message_id",
                             "message_id (the channel's idempotency key) is required, at most 128 bytes");
    Intake__RegisterReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    intake__register_reply__init(rep);
    char key[INTAKE_MAX_CHANNEL + INTAKE_MAX_MESSAGE_ID + 2];
    MDB_val k = {intake_idem_key(key, r->channel, r->message_id), key}, v;
    int rc = mdb_get(call->txn, in->reg_idem, &k, &v);
    if (rc == 0) { /* a resend: the first registration as it is now */
        char id[REG_ID_MAX];
        if (v.mv_size >= sizeof id) return hub_error_set(&call->err, HUB__ERROR_CODE__INTERNAL, "", "bad index entry");
        memcpy(id, v.mv_data, v.mv_size);
        id[v.mv_size] = 0;
        Intake__Registration *old = s_registration(call, in, id);
        if (!old) return -1;
        rep->registration = old;
        rep->duplicate_submission = 1;
        if (old->state == INTAKE__REGISTRATION_STATE__WAITLISTED &&
            s_waitlist_position(call, in, old, &rep->waitlist_position))
            return -1;
        hub_rpc_count(call->rpc, "registrations_resubmitted_total", 1);
        call->reply = &rep->base;
        return 0;
    }
    if (rc != MDB_NOTFOUND) return hub_call_mdb_error(call, rc);
    Intake__Activity *a = s_activity(call, in, r->activity_id);
    int64_t now = hub_now_ms();
    if (!a || activity_validate_registration(a, r, now, &call->err)) return -1;
    const char *dup = s_dup_of(call, in, r);
    if (!dup) return -1;
    if (*dup) {
        hub_rpc_count(call->rpc, "registrations_duplicate_total", 1);
        return hub_error_set(&call->err, HUB__ERROR_CODE__ALREADY_EXISTS, "registrant",
                             "already registered for activity %s as %s", a->activity_id, dup);
    }
    char id[REG_ID_MAX];
    activity_registration_id(id, sizeof id, a->activity_id, ++a->registrations);
    r->registration_id = hub_arena_strdup(call->arena, id);
    r->state = activity_admit(a);
    r->registered_ms = r->updated_ms = now;
    r->checked_in_ms = 0;
    r->hours_credited = 0;
    r->anonymized_ms = 0;
    r->promoted = 0;
    if (r->state == INTAKE__REGISTRATION_STATE__CONFIRMED) a->confirmed++;
    else a->waitlisted++;
    a->updated_ms = now;
    v = (MDB_val){strlen(id), id};
    if ((rc = mdb_put(call->txn, in->reg_idem, &k, &v, MDB_NOOVERWRITE))) return hub_call_mdb_error(call, rc);
    bool confirmed = r->state == INTAKE__REGISTRATION_STATE__CONFIRMED;
    if (hub_record_put(call, in->registrations, id, &r->base) || s_dup_keys(call, in, r, true) ||
        hub_record_put(call, in->activities, a->activity_id, &a->base) ||
        s_publish_reg(call, confirmed ? "confirmed" : "waitlisted", r, a))
        return -1;
    hub_rpc_count(call->rpc, confirmed ? "registrations_confirmed_total" : "registrations_waitlisted_total", 1);
    rep->registration = r;
    rep->waitlist_position = confirmed ? 0 : a->waitlisted;
    call->reply = &rep->base;
    return 0;
}

int intake_registration_drop_keys(hub_call_t *call, intake_t *in, const Intake__Registration *r)
{
    return s_dup_keys(call, in, r, false);
}

int intake_registration_withdraw(hub_call_t *call, intake_t *in, Intake__Registration *r, Intake__Activity *a,
                                 int64_t now, Intake__Registration **promoted)
{
    bool held = r->state == INTAKE__REGISTRATION_STATE__CONFIRMED;
    r->state = INTAKE__REGISTRATION_STATE__WITHDRAWN;
    r->updated_ms = now;
    if (held) a->confirmed--;
    else a->waitlisted--;
    Intake__Registration *up = NULL;
    if (held && now < a->starts_ms) { /* the place goes to the first on the waitlist, before the start */
        reg_scan_t s;
        if (s_reg_scan(call, in, a->activity_id, INTAKE__REGISTRATION_STATE__WAITLISTED, true, &s)) return -1;
        if (s.n) {
            if (!(up = s_registration(call, in, s.ids[0]))) return -1;
            up->state = INTAKE__REGISTRATION_STATE__CONFIRMED;
            up->promoted = 1;
            up->updated_ms = now;
            a->waitlisted--;
            a->confirmed++;
        }
    }
    a->updated_ms = now;
    if (hub_record_put(call, in->registrations, r->registration_id, &r->base) || s_dup_keys(call, in, r, false) ||
        hub_record_put(call, in->activities, a->activity_id, &a->base) || s_publish_reg(call, "withdrawn", r, a))
        return -1;
    if (up && (hub_record_put(call, in->registrations, up->registration_id, &up->base) ||
               s_publish_reg(call, "promoted", up, a)))
        return -1;
    hub_rpc_count(call->rpc, "registrations_withdrawn_total", 1);
    if (up) hub_rpc_count(call->rpc, "registrations_promoted_total", 1);
    *promoted = up;
    return 0;
}

static int s_unregister(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    const Intake__UnregisterRequest *req = (const void *)call->req;
    if (strlen(req->reason) > INTAKE_MAX_NOTE)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "reason", "reason is at most %d bytes",
                             INTAKE_MAX_NOTE);
    int64_t now = hub_now_ms();
    Intake__Registration *r = s_registration(call, in, req->registration_id);
    if (!r) return -1;
    Intake__Activity *a = s_activity(call, in, r->activity_id);
    if (!a || activity_can_withdraw(a, r, now, &call->err)) return -1;
    r->withdraw_reason = (char *)req->reason;
    Intake__UnregisterReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    intake__unregister_reply__init(rep);
    if (intake_registration_withdraw(call, in, r, a, now, &rep->promoted)) return -1;
    rep->registration = r;
    call->reply = &rep->base;
    return 0;
}

static int s_checkin(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    const Intake__CheckinRequest *req = (const void *)call->req;
    int64_t now = hub_now_ms();
    Intake__Registration *r = s_registration(call, in, req->registration_id);
    if (!r) return -1;
    Intake__Activity *a = s_activity(call, in, r->activity_id);
    if (!a || activity_can_checkin(a, r, now, &call->err)) return -1;
    if (a->kind == INTAKE__ACTIVITY_KIND__VOLUNTEER_DAY && call->authenticated && !hub_call_has_role(call, "operator"))
        return hub_error_set(&call->err, HUB__ERROR_CODE__PERMISSION_DENIED, "registration_id",
                             "a volunteer day credits hours: its check-in is recorded by an operator (the desk)");
    r->state = INTAKE__REGISTRATION_STATE__ATTENDED;
    r->checked_in_ms = r->updated_ms = now;
    r->hours_credited = activity_hours(a, r);
    a->attended++;
    a->updated_ms = now;
    if (hub_record_put(call, in->registrations, r->registration_id, &r->base) ||
        hub_record_put(call, in->activities, a->activity_id, &a->base) || s_publish_reg(call, "attended", r, a))
        return -1;
    hub_rpc_count(call->rpc, "registrations_attended_total", 1);
    Intake__RegistrationReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    intake__registration_reply__init(rep);
    rep->registration = r;
    call->reply = &rep->base;
    return 0;
}

static int s_match_reg(const hub_list_t *l, const ProtobufCMessage *m)
{
    const Intake__ListRegistrationsRequest *q = l->query;
    const Intake__Registration *r = (const Intake__Registration *)m;
    return (!q->state || r->state == q->state) && (!*(const char *)l->arg || !strcmp(r->channel, l->arg));
}

static const char *s_taken_reg(ProtobufCMessage *m) { return ((Intake__Registration *)m)->registration_id; }

static int s_registrations(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    const Intake__ListRegistrationsRequest *q = (const void *)call->req;
    if (!s_activity(call, in, q->activity_id)) return -1;
    char *prefix = hub_arena_alloc(call->arena, strlen(q->activity_id) + 2);
    if (!prefix) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
    sprintf(prefix, "%s-", q->activity_id);
    hub_list_t l = {.call = call, .scratch = in->scratch, .query = q, .arg = "", .prefix = prefix,
                    .desc = &intake__registration__descriptor, .match = s_match_reg, .taken = s_taken_reg};
    if (call->authenticated && !hub_call_has_role(call, "operator auditor")) l.arg = call->principal;
    const char *after = strcmp(q->after_id, q->activity_id) > 0 ? q->after_id : q->activity_id;
    if (hub_list_run(&l, in->registrations, after, q->limit)) return -1;
    Intake__ListRegistrationsReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    intake__list_registrations_reply__init(rep);
    rep->registrations = (Intake__Registration **)l.items;
    rep->n_registrations = l.n_items;
    if (l.next_after_id) rep->next_after_id = l.next_after_id;
    call->reply = &rep->base;
    return 0;
}

/* ---- the public's voice ---- */

static int s_link_opinion(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    const Intake__LinkOpinionRequest *req = (const void *)call->req;
    if (!*req->policy_topic && !*req->activity_id)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "policy_topic",
                             "a policy_topic or an activity_id to link to is required");
    Intake__Opinion *o = (Intake__Opinion *)hub_record_get(call, in->opinions, req->opinion_id,
                                                           &intake__opinion__descriptor, "opinion_id");
    if (!o) return -1;
    if (intake_validate_opinion_links(in->catalogue, req->policy_topic, &call->err)) return -1;
    const char *topic = *req->policy_topic ? req->policy_topic : o->policy_topic;
    if (*req->activity_id) {
        Intake__Activity *a = s_activity(call, in, req->activity_id);
        if (!a) return -1;
        if (a->kind != INTAKE__ACTIVITY_KIND__CONSULTATION && a->kind != INTAKE__ACTIVITY_KIND__HEARING)
            return hub_error_set(&call->err, HUB__ERROR_CODE__FAILED_PRECONDITION, "activity_id",
                                 "activity %s is a %s: opinions are linked to a CONSULTATION or a HEARING",
                                 a->activity_id, activity_kind_name(a->kind));
        if (!*topic) topic = a->policy_topic; /* the meeting's topic, when the opinion has none */
    }
    Intake__OpinionEvent ev = INTAKE__OPINION_EVENT__INIT;
    ev.previous_policy_topic = o->policy_topic;
    o->policy_topic = (char *)topic;
    if (*req->activity_id) o->activity_id = (char *)req->activity_id;
    ev.opinion = o;
    if (hub_record_put(call, in->opinions, o->opinion_id, &o->base)) return -1;
    int rc = hub_outbox_append(call->outbox, call->txn, "intake.opinion.linked", &ev.base);
    if (rc) return hub_call_mdb_error(call, rc);
    hub_rpc_count(call->rpc, "opinions_linked_total", 1);
    Intake__LinkOpinionReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    intake__link_opinion_reply__init(rep);
    rep->opinion = o;
    call->reply = &rep->base;
    return 0;
}

int intake_opinion_activity_ok(hub_call_t *call, intake_t *in, const Intake__Opinion *o)
{
    if (!*o->activity_id) return 0;
    Intake__Activity *a = s_activity(call, in, o->activity_id);
    if (!a) return -1;
    if (a->kind != INTAKE__ACTIVITY_KIND__CONSULTATION && a->kind != INTAKE__ACTIVITY_KIND__HEARING)
        return hub_error_set(&call->err, HUB__ERROR_CODE__FAILED_PRECONDITION, "activity_id",
                             "activity %s is a %s: opinions are given at a CONSULTATION or a HEARING",
                             a->activity_id, activity_kind_name(a->kind));
    return 0;
}

#define ROLES_OPERATOR "operator"
#define ROLES_CHANNEL "channel operator"
#define ROLES_READ "channel operator auditor"
#define ROLES_AUDIT "operator auditor"

const hub_handler_t intake_activity_handlers[] = {
    {"intake.activity.create", &intake__create_activity_request__descriptor, s_create, ROLES_OPERATOR},
    {"intake.activity.get", &intake__get_activity_request__descriptor, s_get, ROLES_READ},
    {"intake.activity.list", &intake__list_activities_request__descriptor, s_list, ROLES_READ},
    {"intake.activity.cancel", &intake__cancel_activity_request__descriptor, s_cancel, ROLES_OPERATOR},
    {"intake.activity.announce", &intake__announce_activity_request__descriptor, s_announce, ROLES_OPERATOR},
    {"intake.activity.minutes", &intake__minutes_request__descriptor, s_minutes, ROLES_OPERATOR},
    {"intake.activity.register", &intake__register_request__descriptor, s_register, ROLES_CHANNEL},
    {"intake.activity.unregister", &intake__unregister_request__descriptor, s_unregister, ROLES_CHANNEL},
    {"intake.activity.checkin", &intake__checkin_request__descriptor, s_checkin, ROLES_CHANNEL},
    {"intake.activity.registrations", &intake__list_registrations_request__descriptor, s_registrations, ROLES_READ},
    {"intake.opinion.link", &intake__link_opinion_request__descriptor, s_link_opinion, ROLES_OPERATOR},
    {NULL, NULL, NULL, NULL},
};
