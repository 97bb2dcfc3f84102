#include "intake_svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_log.h"
#include "hub_util.h"
#include "hub_record.h"
#include "intake.h"

#define ROLES_CHANNEL "channel operator"
#define ROLES_OPERATOR "operator"
#define ROLES_READ "channel operator auditor"   /* a channel sees only its own requests */
#define ROLES_AUDIT "operator auditor"

const char *const intake_db_names[] = {"requests", "idem", "opinions", "opinion_idem", "audit",
                                       "activities", "registrations", "reg_idem", "reg_dup", NULL};

/* ---- store helpers ---- */

/* Key "channel\0message_id" for the idempotency index (< 511 bytes by the
 * field limits). Returns its length. */
size_t intake_idem_key(char *buf, const char *channel, const char *message_id)
{
    size_t a = strlen(channel), b = strlen(message_id);
    memcpy(buf, channel, a);
    buf[a] = 0;
    memcpy(buf + a + 1, message_id, b);
    return a + 1 + b;
}

/* Allocates the next id for prefix ('R' or 'O') from a per-day counter. */
int intake_next_id(hub_call_t *call, intake_t *in, char prefix, char *id, size_t len, int64_t now)
{
    char day[9], key[16];
    uint64_t seq = 0;
    intake_day_key(day, now);
    snprintf(key, sizeof key, "%c:%s", prefix, day);
    int rc = hub_store_meta_get_u64(in->store, call->txn, key, &seq);
    if (rc && rc != MDB_NOTFOUND) return rc;
    seq++;
    if ((rc = hub_store_meta_put_u64(in->store, call->txn, key, seq))) return rc;
    intake_format_id(id, len, prefix, now, seq);
    return 0;
}

static Intake__HistoryEntry *s_history(hub_call_t *call, Intake__Request *r, const char *action,
                                       const char *text, int64_t now)
{
    Intake__HistoryEntry *h = hub_arena_alloc(call->arena, sizeof *h);
    Intake__HistoryEntry **arr = hub_arena_alloc(call->arena, (r->n_history + 1) * sizeof *arr);
    if (!h || !arr) return NULL;
    intake__history_entry__init(h);
    h->time_ms = now;
    h->status = r->status;
    h->action = (char *)action;
    h->by = (char *)call->principal;
    h->text = (char *)(text ? text : "");
    if (r->n_history) memcpy(arr, r->history, r->n_history * sizeof *arr);
    arr[r->n_history++] = h;
    r->history = arr;
    return h;
}

static int s_publish_request(hub_call_t *call, const char *action, Intake__Request *r)
{
    Intake__RequestEvent ev = INTAKE__REQUEST_EVENT__INIT;
    ev.action = (char *)action;
    ev.request = r;
    int rc = hub_outbox_append(call->outbox, call->txn, intake_topic(action), &ev.base);
    return rc ? hub_call_mdb_error(call, rc) : 0;
}

/* The channel a command acts for: the CURVE identity, else the payload's. */
const char *intake_channel(hub_call_t *call, const char *payload_channel)
{
    return call->authenticated && strcmp(call->role, "operator") ? call->principal : payload_channel;
}

/* ---- handlers ---- */

static int s_list_services(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    call->reply = &intake_catalogue_all(in->catalogue)->base;
    return 0;
}

static int s_get_service(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    const Intake__GetServiceRequest *req = (const void *)call->req;
    const Intake__Service *s = intake_catalogue_find(in->catalogue, req->service_code);
    if (!s)
        return hub_error_set(&call->err, HUB__ERROR_CODE__NOT_FOUND, "service_code",
                             "unknown service_code \"%s\"", req->service_code);
    Intake__GetServiceReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    intake__get_service_reply__init(rep);
    rep->service = (Intake__Service *)s;
    call->reply = &rep->base;
    return 0;
}

static int s_submit(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    const Intake__SubmitRequest *req = (const void *)call->req;
    Intake__SubmitReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    intake__submit_reply__init(rep);
    if (!req->request) return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "request", "request is required");
    Intake__Request *r = req->request;
    r->channel = (char *)intake_channel(call, r->channel);
    char key[INTAKE_MAX_CHANNEL + INTAKE_MAX_MESSAGE_ID + 2];
    /* idempotency first: a resubmission answers with the first id */
    if (*r->channel && *r->message_id && strlen(r->channel) <= INTAKE_MAX_CHANNEL &&
        strlen(r->message_id) <= INTAKE_MAX_MESSAGE_ID) {
        MDB_val k = {intake_idem_key(key, r->channel, r->message_id), key}, v;
        int rc = mdb_get(call->txn, in->idem, &k, &v);
        if (rc == 0) {
            rep->service_request_id = hub_arena_alloc(call->arena, v.mv_size + 1);
            memcpy(rep->service_request_id, v.mv_data, v.mv_size);
            rep->service_request_id[v.mv_size] = 0;
            Intake__Request *old = (Intake__Request *)hub_record_get(call, in->requests, rep->service_request_id,
                                                               &intake__request__descriptor, "service_request_id");
            if (!old) return -1;
            rep->duplicate_submission = 1;
            rep->status = old->status;
            hub_rpc_count(call->rpc, "requests_resubmitted_total", 1);
            call->reply = &rep->base;
            return 0;
        }
        if (rc != MDB_NOTFOUND) return hub_call_mdb_error(call, rc);
    }
    if (intake_validate_request(in->catalogue, r, &call->err)) return -1;
    int64_t now = hub_now_ms();
    char id[32];
    int rc = intake_next_id(call, in, 'R', id, sizeof id, now);
    if (rc) return hub_call_mdb_error(call, rc);
    r->service_request_id = hub_arena_strdup(call->arena, id);
    r->status = INTAKE__STATUS__OPEN;
    r->duplicate_of = "";
    r->requested_ms = r->updated_ms = now;
    r->n_history = 0;
    if (!s_history(call, r, "submitted", NULL, now)) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too large");
    if (hub_record_put(call, in->requests, id, &r->base)) return -1;
    MDB_val k = {intake_idem_key(key, r->channel, r->message_id), key}, v = {strlen(id), id};
    if ((rc = mdb_put(call->txn, in->idem, &k, &v, MDB_NOOVERWRITE))) return hub_call_mdb_error(call, rc);
    if (s_publish_request(call, "submitted", r)) return -1;
    hub_rpc_count(call->rpc, "requests_accepted_total", 1);
    rep->service_request_id = r->service_request_id;
    rep->status = r->status;
    call->reply = &rep->base;
    return 0;
}

static int s_get_request(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    const Intake__GetRequestRequest *req = (const void *)call->req;
    Intake__Request *r = (Intake__Request *)hub_record_get(call, in->requests, req->service_request_id,
                                                     &intake__request__descriptor, "service_request_id");
    if (!r) return -1;
    if (call->authenticated && !hub_call_has_role(call, ROLES_AUDIT) && strcmp(r->channel, call->principal))
        return hub_error_set(&call->err, HUB__ERROR_CODE__NOT_FOUND, "service_request_id",
                             "no service_request_id \"%s\"", req->service_request_id);
    Intake__GetRequestReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    intake__get_request_reply__init(rep);
    rep->request = r;
    call->reply = &rep->base;
    return 0;
}

static int s_match_request(const hub_list_t *l, const ProtobufCMessage *m)
{
    const Intake__ListRequestsRequest *q = l->query;
    const Intake__Request *r = (const Intake__Request *)m;
    return (!q->status || r->status == q->status) && (!*q->street || !strcmp(r->street, q->street)) &&
           (!*q->service_code || !strcmp(r->service_code, q->service_code)) &&
           (!*(const char *)l->arg || !strcmp(r->channel, l->arg));
}

static const char *s_taken_request(ProtobufCMessage *m)
{
    Intake__Request *r = (Intake__Request *)m;
    r->n_history = 0; /* lists carry the current state; history is in intake.get */
    return r->service_request_id;
}

static int s_list_requests(hub_call_t *call, void *ctx)
{
    const Intake__ListRequestsRequest *q = (const void *)call->req;
    intake_t *in = ctx;
    hub_list_t l = {.call = call, .scratch = in->scratch, .query = q, .arg = q->channel,
                .desc = &intake__request__descriptor, .match = s_match_request, .taken = s_taken_request};
    if (call->authenticated && !hub_call_has_role(call, ROLES_AUDIT)) l.arg = call->principal;
    if (hub_list_run(&l, in->requests, q->after_id, q->limit)) return -1;
    Intake__ListRequestsReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    intake__list_requests_reply__init(rep);
    rep->requests = (Intake__Request **)l.items;
    rep->n_requests = l.n_items;
    if (l.next_after_id) rep->next_after_id = l.next_after_id;
    call->reply = &rep->base;
    return 0;
}

static int s_update(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    const Intake__UpdateRequest *u = (const void *)call->req;
    Intake__Request *r = (Intake__Request *)hub_record_get(call, in->requests, u->service_request_id,
                                                     &intake__request__descriptor, "service_request_id");
    if (!r) return -1;
    int is_operator = hub_call_has_role(call, "operator");
    if (!is_operator && strcmp(u->action, "note") && strcmp(u->action, "cancel"))
        return hub_error_set(&call->err, HUB__ERROR_CODE__PERMISSION_DENIED, "action",
                             "only operators may %s a request", u->action);
    if (!is_operator && strcmp(r->channel, call->principal))
        return hub_error_set(&call->err, HUB__ERROR_CODE__NOT_FOUND, "service_request_id",
                             "no service_request_id \"%s\"", u->service_request_id);
    /* idempotency: "\0u\0<actor>\0<message_id>" cannot collide with a submit
     * key, which starts with a non-empty channel */
    const char *actor = call->authenticated ? call->principal : (*u->by ? u->by : "local");
    char ukey[3 + INTAKE_MAX_CHANNEL + 1 + INTAKE_MAX_MESSAGE_ID];
    MDB_val uk = {0, ukey}, uv;
    Intake__UpdateReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    intake__update_reply__init(rep);
    if (*u->message_id) {
        if (strlen(u->message_id) > INTAKE_MAX_MESSAGE_ID || strlen(actor) > INTAKE_MAX_CHANNEL)
            return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "message_id",
                                 "message_id (at most 128 bytes) or by (at most 64) too long");
        memcpy(ukey, "\0u", 3);
        uk.mv_size = 3 + intake_idem_key(ukey + 3, actor, u->message_id);
        int rc = mdb_get(call->txn, in->idem, &uk, &uv);
        if (rc == 0) {
            rep->request = r;
            rep->duplicate_submission = 1;
            call->reply = &rep->base;
            return 0;
        }
        if (rc != MDB_NOTFOUND) return hub_call_mdb_error(call, rc);
    }
    Intake__Status to;
    if (intake_transition(r->status, u, &to, &call->err)) return -1;
    if (!strcmp(u->action, "duplicate")) {
        if (!strcmp(u->duplicate_of, r->service_request_id))
            return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "duplicate_of",
                                 "a request cannot duplicate itself");
        if (!hub_record_get(call, in->requests, u->duplicate_of, &intake__request__descriptor, "duplicate_of")) return -1;
        r->duplicate_of = (char *)u->duplicate_of;
    }
    if (!strcmp(u->action, "reopen")) r->duplicate_of = "";
    if (r->n_history >= INTAKE_MAX_HISTORY)
        return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "request history is full");
    int64_t now = hub_now_ms();
    r->status = to;
    r->updated_ms = now;
    const char *by = *u->by && !call->authenticated ? u->by : call->principal;
    Intake__HistoryEntry *h = s_history(call, r, u->action, u->text, now);
    if (!h) return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "too large");
    h->by = (char *)by;
    if (hub_record_put(call, in->requests, r->service_request_id, &r->base)) return -1;
    if (*u->message_id) {
        uv = (MDB_val){strlen(r->service_request_id), r->service_request_id};
        int rc = mdb_put(call->txn, in->idem, &uk, &uv, 0);
        if (rc) return hub_call_mdb_error(call, rc);
    }
    if (s_publish_request(call, u->action, r)) return -1;
    rep->request = r;
    call->reply = &rep->base;
    return 0;
}

static int s_submit_opinion(hub_call_t *call, void *ctx)
{
    intake_t *in = ctx;
    const Intake__SubmitOpinionRequest *req = (const void *)call->req;
    if (!req->opinion) return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "opinion", "opinion is required");
    Intake__Opinion *o = req->opinion;
    o->channel = (char *)intake_channel(call, o->channel);
    Intake__SubmitOpinionReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    intake__submit_opinion_reply__init(rep);
    if (intake_validate_opinion(in->catalogue, o, &call->err) || intake_opinion_activity_ok(call, in, o)) return -1;
    char key[INTAKE_MAX_CHANNEL + INTAKE_MAX_MESSAGE_ID + 2];
    MDB_val k = {intake_idem_key(key, o->channel, o->message_id), key}, v;
    int rc = mdb_get(call->txn, in->opinion_idem, &k, &v);
    if (rc == 0) {
        rep->opinion_id = hub_arena_alloc(call->arena, v.mv_size + 1);
        memcpy(rep->opinion_id, v.mv_data, v.mv_size);
        rep->opinion_id[v.mv_size] = 0;
        rep->duplicate_submission = 1;
        call->reply = &rep->base;
        return 0;
    }
    if (rc != MDB_NOTFOUND) return hub_call_mdb_error(call, rc);
    int64_t now = hub_now_ms();
    char id[32];
    if ((rc = intake_next_id(call, in, 'O', id, sizeof id, now))) return hub_call_mdb_error(call, rc);
    o->opinion_id = hub_arena_strdup(call->arena, id);
    o->received_ms = now;
    if (o->anonymous) o->author = NULL; /* keep no personal data for anonymous opinions */
    if (hub_record_put(call, in->opinions, id, &o->base)) return -1;
    v = (MDB_val){strlen(id), id};
    if ((rc = mdb_put(call->txn, in->opinion_idem, &k, &v, 0))) return hub_call_mdb_error(call, rc);
    Intake__OpinionEvent ev = INTAKE__OPINION_EVENT__INIT;
    ev.opinion = o;
    if ((rc = hub_outbox_append(call->outbox, call->txn, "intake.opinion.received", &ev.base)))
        return hub_call_mdb_error(call, rc);
    hub_rpc_count(call->rpc, "opinions_received_total", 1);
    rep->opinion_id = o->opinion_id;
    call->reply = &rep->base;
    return 0;
}

static int s_match_opinion(const hub_list_t *l, const ProtobufCMessage *m)
{
    const Intake__ListOpinionsRequest *q = l->query;
    return !*q->topic || !strcmp(((const Intake__Opinion *)m)->topic, q->topic);
}

static const char *s_taken_opinion(ProtobufCMessage *m) { return ((Intake__Opinion *)m)->opinion_id; }

static int s_list_opinions(hub_call_t *call, void *ctx)
{
    const Intake__ListOpinionsRequest *q = (const void *)call->req;
    intake_t *in = ctx;
    hub_list_t l = {.call = call, .scratch = in->scratch, .query = q, .arg = "",
                .desc = &intake__opinion__descriptor, .match = s_match_opinion, .taken = s_taken_opinion};
    if (hub_list_run(&l, in->opinions, q->after_id, q->limit)) return -1;
    Intake__ListOpinionsReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    intake__list_opinions_reply__init(rep);
    rep->opinions = (Intake__Opinion **)l.items;
    rep->n_opinions = l.n_items;
    if (l.next_after_id) rep->next_after_id = l.next_after_id;
    call->reply = &rep->base;
    return 0;
}

const hub_handler_t intake_handlers[] = {
    {"intake.services", &intake__list_services_request__descriptor, s_list_services, NULL},
    {"intake.service", &intake__get_service_request__descriptor, s_get_service, NULL},
    {"intake.submit", &intake__submit_request__descriptor, s_submit, ROLES_CHANNEL},
    {"intake.get", &intake__get_request_request__descriptor, s_get_request, ROLES_READ},
    {"intake.list", &intake__list_requests_request__descriptor, s_list_requests, ROLES_READ},
    {"intake.update", &intake__update_request__descriptor, s_update, ROLES_CHANNEL},
    {"intake.opinion.submit", &intake__submit_opinion_request__descriptor, s_submit_opinion, ROLES_CHANNEL},
    {"intake.opinion.list", &intake__list_opinions_request__descriptor, s_list_opinions, ROLES_AUDIT},
    {"intake.purge", &intake__purge_request__descriptor, intake_purge_handler, ROLES_OPERATOR},
    {"intake.subject.export", &intake__subject_export_request__descriptor, intake_subject_export_handler, ROLES_OPERATOR},
    {"intake.subject.erase", &intake__subject_erase_request__descriptor, intake_subject_erase_handler, ROLES_OPERATOR},
    {"intake.audit.list", &intake__list_audit_request__descriptor, intake_audit_list_handler, ROLES_AUDIT},
    {NULL, NULL, NULL, NULL},
};

int intake_init(hub_daemon_t *d, int check_only, void **ctx, hub_error_t *err)
{
    intake_t *in = calloc(1, sizeof *in);
    if (!in) abort();
    in->scratch = hub_arena_new(HUB_WIRE_ARENA_BUDGET);
    in->catalogue = intake_catalogue_load(hub_config_get(d->cfg, "intake", "catalogue", NULL), err);
    if (!in->catalogue) { hub_arena_destroy(&in->scratch); free(in); return -1; }
    if (!check_only) {
        in->store = d->store;
        in->requests = hub_daemon_db(d, INTAKE_DB_REQUESTS);
        in->idem = hub_daemon_db(d, INTAKE_DB_IDEM);
        in->opinions = hub_daemon_db(d, INTAKE_DB_OPINIONS);
        in->opinion_idem = hub_daemon_db(d, INTAKE_DB_OPINION_IDEM);
        in->audit = hub_daemon_db(d, INTAKE_DB_AUDIT);
        in->activities = hub_daemon_db(d, INTAKE_DB_ACTIVITIES);
        in->registrations = hub_daemon_db(d, INTAKE_DB_REGISTRATIONS);
        in->reg_idem = hub_daemon_db(d, INTAKE_DB_REG_IDEM);
        in->reg_dup = hub_daemon_db(d, INTAKE_DB_REG_DUP);
    }
    hub_info("catalogue: %zu services, %zu areas", intake_catalogue_all(in->catalogue)->n_services,
             intake_catalogue_all(in->catalogue)->n_areas);
    *ctx = in;
    return 0;
}

void intake_fini(void *ctx)
{
    intake_t *in = ctx;
    if (!in) return;
    intake_catalogue_destroy(&in->catalogue);
    hub_arena_destroy(&in->scratch);
    free(in);
}
