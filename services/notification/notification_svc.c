#include "notification_svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "hub_log.h"
#include "hub_record.h"
#include "hub_util.h"
#include "intake.pb-c.h"
#include "version.h"
#include "matching.pb-c.h"

#define ROLES_OPERATOR "operator"
#define ROLES_READ "operator auditor"
#define ROLES_INBOX "operator auditor provider"
#define ROLES_INTERNAL HUB_ROLE_INTERNAL
#define OPERATORS "operators"             /* the operators' recipient id */
#define REQUESTER_PREFIX "requester:"     /* recipient id of a request's requester */
#define REGISTRANT_PREFIX "registrant:"   /* recipient id of an activity registration's registrant */
#define TICK_BATCH 64                     /* schedules fired per tick command */
#define PUMP_SCAN_MAX 4096                /* due entries looked at per pump */
#define SEND_MAX_RECIPIENTS 100
#define HOLD_MAX 256                      /* SMS moved past the quiet hours per pump */
#define MAX_ERROR_TEXT 300
#define KEY_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"

const char *const notification_db_names[] = {"deliveries", "dkeys",    "due",        "dead",
                                             "inbox",      "recipients", "requests", "schedules",
                                             "activities", "registrations", NULL};

/* ------------------------------------------------------------------ helpers */

static int s_oom(hub_call_t *call)
{
    return hub_error_set(&call->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
}

static int s_del(hub_call_t *call, MDB_dbi db, const void *key, size_t klen)
{
    MDB_val k = {klen, (void *)key};
    int rc = mdb_del(call->txn, db, &k, NULL);
    return rc && rc != MDB_NOTFOUND ? hub_call_mdb_error(call, rc) : 0;
}

static int s_put_raw(hub_call_t *call, MDB_dbi db, const void *key, size_t klen, const void *val, size_t vlen)
{
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    int rc = mdb_put(call->txn, db, &k, &v, 0);
    return rc ? hub_call_mdb_error(call, rc) : 0;
}


static void s_pump(uv_timer_t *t);

/* Wakes the sender on the next loop turn (after this batch commits). */
static void s_pump_soon(notif_t *n)
{
    if (!n->timers_on || n->stopping) return;
    uv_timer_start(&n->pump_timer, s_pump, 0, 0);
}

static uint32_t s_rand(notif_t *n)
{
    /* xorshift32, seeded from getrandom at start: jitter, not secrets */
    uint32_t x = n->rnd;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return n->rnd = x ? x : 0x9e3779b9u;
}

static const char *s_lang(const char *lang)
{
    return lang && !strncmp(lang, "en", 2) ? "en" : "zh";
}

/* "2026-11-26 14:30" in China Standard Time, from the arena. */
static const char *s_cst_time(hub_arena_t *a, int64_t ms)
{
    time_t t = (time_t)(ms / 1000) + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    char *out = hub_arena_alloc(a, 24);
    if (out) strftime(out, 24, "%Y-%m-%d %H:%M", &tm);
    return out ? out : "";
}

static const char *s_urgency_word(uint32_t u, const char *lang)
{
    static const char *zh[] = {"普通", "不急", "普通", "紧急", "特急"};
    static const char *en[] = {"normal", "low", "normal", "high", "emergency"};
    if (u > 4) u = 0;
    return !strcmp(lang, "en") ? en[u] : zh[u];
}

static const char *s_service_name(const notif_t *n, const char *code, const char *lang)
{
    const Intake__Service *s = n->catalogue ? intake_catalogue_find(n->catalogue, code) : NULL;
    if (!s) return code;
    return !strcmp(lang, "en") && *s->service_name_en ? s->service_name_en : s->service_name;
}

/* ------------------------------------------------------------------ flights */

/* The in-flight table: open addressing (linear probing) on the delivery
 * id, at most half full: an entry lives from the start of a transfer
 * until its result is applied. */
static size_t s_flight_slot(const notif_t *n, const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = id; *p; p++) h = (h ^ (uint8_t)*p) * 16777619u;
    return h & (n->flight_cap - 1);
}

static notif_flight_t *s_flight_find(notif_t *n, const char *id)
{
    for (size_t i = s_flight_slot(n, id);; i = (i + 1) & (n->flight_cap - 1)) {
        if (!n->flights[i].used) return NULL;
        if (!strcmp(n->flights[i].id, id)) return &n->flights[i];
    }
}

/* Adds id (not present; the caller keeps n_flights < flight_limit). */
static notif_flight_t *s_flight_add(notif_t *n, const char *id, bool active)
{
    size_t i = s_flight_slot(n, id);
    while (n->flights[i].used) i = (i + 1) & (n->flight_cap - 1);
    notif_flight_t *f = &n->flights[i];
    snprintf(f->id, sizeof f->id, "%s", id);
    f->used = true;
    f->active = active;
    n->n_flights++;
    if (active) n->n_active++;
    return f;
}

/* Removes id if present, shifting back the entries probed past it. */
static void s_flight_remove(notif_t *n, const char *id)
{
    notif_flight_t *f = s_flight_find(n, id);
    if (!f) return;
    if (f->active) n->n_active--;
    n->n_flights--;
    size_t mask = n->flight_cap - 1, hole = (size_t)(f - n->flights);
    for (size_t j = (hole + 1) & mask; n->flights[j].used; j = (j + 1) & mask) {
        size_t home = s_flight_slot(n, n->flights[j].id);
        /* j may move to the hole unless its home lies cyclically in (hole, j] */
        bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (stays) continue;
        n->flights[hole] = n->flights[j];
        hole = j;
    }
    n->flights[hole].used = false;
}

/* ------------------------------------------------------------------ targets */

/* Who a message goes to and how: id, language, channels and addresses. */
typedef struct {
    const char *id;
    const char *lang;
    Notification__Channel ch[4];
    size_t n_ch;
    const char *addr[5];     /* by channel */
} target_t;

static void s_target_addresses(target_t *t, const char *url, const char *email, const char *phone)
{
    t->addr[NOTIFICATION__CHANNEL__WEBHOOK] = url ? url : "";
    t->addr[NOTIFICATION__CHANNEL__EMAIL] = email ? email : "";
    t->addr[NOTIFICATION__CHANNEL__SMS] = phone ? phone : "";
    t->addr[NOTIFICATION__CHANNEL__INBOX] = t->id;
}

/* The requester of rs, with the channels their choice and consent allow. */
static void s_target_requester(hub_call_t *call, const Notification__RequestState *rs, target_t *t)
{
    memset(t, 0, sizeof *t);
    size_t len = strlen(REQUESTER_PREFIX) + strlen(rs->request_id) + 1;
    char *id = hub_arena_alloc(call->arena, len);
    if (id) snprintf(id, len, "%s%s", REQUESTER_PREFIX, rs->request_id);
    t->id = id ? id : REQUESTER_PREFIX;
    t->lang = s_lang(rs->language);
    t->n_ch = notify_requester_channels(rs->consent, rs->preferred_contact, rs->phone, rs->email, t->ch);
    s_target_addresses(t, "", rs->email, rs->phone);
}

/* The registrant of reg: the requester's rules (no preference given: SMS
 * if a phone, else e-mail), nothing without consent. */
static void s_target_registrant(hub_call_t *call, const Notification__RegistrationState *reg, target_t *t)
{
    memset(t, 0, sizeof *t);
    size_t len = strlen(REGISTRANT_PREFIX) + strlen(reg->registration_id) + 1;
    char *id = hub_arena_alloc(call->arena, len);
    if (id) snprintf(id, len, "%s%s", REGISTRANT_PREFIX, reg->registration_id);
    t->id = id ? id : REGISTRANT_PREFIX;
    t->lang = s_lang(reg->language);
    t->n_ch = notify_requester_channels(reg->consent, 0, reg->phone, reg->email, t->ch);
    s_target_addresses(t, "", reg->email, reg->phone);
}

/* The operators, from the configuration. */
static void s_target_operators(const notif_t *n, target_t *t)
{
    memset(t, 0, sizeof *t);
    t->id = OPERATORS;
    t->lang = "zh";
    if (*n->operator_webhook) t->ch[t->n_ch++] = NOTIFICATION__CHANNEL__WEBHOOK;
    if (*n->operator_email) t->ch[t->n_ch++] = NOTIFICATION__CHANNEL__EMAIL;
    t->ch[t->n_ch++] = NOTIFICATION__CHANNEL__INBOX;
    s_target_addresses(t, n->operator_webhook, n->operator_email, "");
}

/* A recipient of the directory (or the operators). -1 with NOT_FOUND. */
static int s_target_recipient(hub_call_t *call, notif_t *n, const char *id, target_t *t)
{
    if (!strcmp(id, OPERATORS)) {
        s_target_operators(n, t);
        return 0;
    }
    Notification__Recipient *r = (void *)hub_record_get(call, n->recipients, id,
                                                        &notification__recipient__descriptor, "recipient");
    if (!r) return -1;
    memset(t, 0, sizeof *t);
    t->id = r->id;
    t->lang = s_lang(r->language);
    t->n_ch = notify_recipient_channels(r, t->ch);
    s_target_addresses(t, r->webhook_url, r->email, r->phone);
    return 0;
}

/* ------------------------------------------------------------------ deliveries */

/* What to say: the template and the facts its placeholders come from. */
typedef struct {
    const char *key;          /* idempotency key prefix, e.g. "matching-<epoch>-<seq>" */
    const char *template;
    const char *topic;
    const char *request_id;
    bool urgent;
    int64_t event_ms;
    /* facts (any may be NULL); service is a code, named in each language */
    const char *service_code, *street, *provider, *reason;
    uint32_t urgency;
    int64_t deadline_ms;
    /* or explicit values (notification.send) */
    Notification__Placeholder **data;
    size_t n_data;
    /* or an activity's facts (with reason, and deadline_ms: its registration
     * deadline); text: an announcement's ("" or NULL: a welcome line) */
    const Notification__ActivityState *activity;
    const char *registration_id, *text;
} message_t;

/* The placeholder values of msg in language lang (from the arena). */
static notify_kv_t *s_values(hub_call_t *call, notif_t *n, const message_t *msg, const char *lang, size_t *count)
{
    size_t cap = msg->data ? msg->n_data : 10;
    notify_kv_t *kv = hub_arena_alloc(call->arena, (cap ? cap : 1) * sizeof *kv);
    if (!kv) return NULL;
    size_t k = 0;
    if (msg->data) {
        for (size_t i = 0; i < msg->n_data; i++) kv[k++] = (notify_kv_t){msg->data[i]->name, msg->data[i]->value};
    } else if (msg->activity) {
        const Notification__ActivityState *a = msg->activity;
        char *span = hub_arena_alloc(call->arena, 64);
        if (!span) return NULL;
        notify_time_span(a->starts_ms, a->ends_ms, span, 64);
        const char *welcome = !strcmp(lang, "en") ? "You are welcome to join us." : "欢迎报名参加。";
        kv[k++] = (notify_kv_t){"activity_id", a->activity_id};
        kv[k++] = (notify_kv_t){"registration_id", msg->registration_id ? msg->registration_id : ""};
        kv[k++] = (notify_kv_t){"title", a->title};
        kv[k++] = (notify_kv_t){"kind", notify_activity_kind(a->kind, lang)};
        kv[k++] = (notify_kv_t){"time", span};
        kv[k++] = (notify_kv_t){"place", a->place};
        kv[k++] = (notify_kv_t){"reason", msg->reason ? msg->reason : ""};
        kv[k++] = (notify_kv_t){"deadline", s_cst_time(call->arena, msg->deadline_ms ? msg->deadline_ms
                                                                                     : a->starts_ms)};
        kv[k++] = (notify_kv_t){"text", msg->text && *msg->text ? msg->text : welcome};
    } else {
        kv[k++] = (notify_kv_t){"request_id", msg->request_id ? msg->request_id : ""};
        kv[k++] = (notify_kv_t){"service", s_service_name(n, msg->service_code ? msg->service_code : "", lang)};
        kv[k++] = (notify_kv_t){"street", msg->street ? msg->street : ""};
        kv[k++] = (notify_kv_t){"provider", msg->provider ? msg->provider : ""};
        kv[k++] = (notify_kv_t){"reason", msg->reason ? msg->reason : ""};
        kv[k++] = (notify_kv_t){"urgency", s_urgency_word(msg->urgency, lang)};
        kv[k++] = (notify_kv_t){"deadline", msg->deadline_ms ? s_cst_time(call->arena, msg->deadline_ms) : ""};
    }
    *count = k;
    return kv;
}

/* Appends a delivery event (text, address and values left out). */
static int s_delivery_event(hub_call_t *call, const char *action, const Notification__Delivery *d)
{
    Notification__Delivery copy = *d;
    copy.text = "";
    copy.address = "";
    copy.n_data = 0;
    copy.data = NULL;
    Notification__DeliveryEvent ev = NOTIFICATION__DELIVERY_EVENT__INIT;
    ev.action = (char *)action;
    ev.delivery = &copy;
    char topic[64];
    snprintf(topic, sizeof topic, "notification.delivery.%s", action);
    int rc = hub_outbox_append(call->outbox, call->txn, topic, &ev.base);
    return rc ? hub_call_mdb_error(call, rc) : 0;
}

/* The queue key of d: next_ms (8 bytes BE), its channel (1 byte, so the
 * sender passes over a blocked channel without reading the record), id. */
static size_t s_due_key(uint8_t key[96], const Notification__Delivery *d)
{
    size_t n = strlen(d->id);
    if (n > 80) n = 80;
    hub_be64_put(key, (uint64_t)d->next_ms);
    key[8] = (uint8_t)d->channel;
    memcpy(key + 9, d->id, n);
    return 9 + n;
}

/* Puts the delivery in the queue. */
static int s_due_put(hub_call_t *call, notif_t *n, const Notification__Delivery *d)
{
    uint8_t key[96];
    return s_put_raw(call, n->due, key, s_due_key(key, d), "", 0);
}

static int s_due_del(hub_call_t *call, notif_t *n, const Notification__Delivery *d)
{
    uint8_t key[96];
    return s_del(call, n->due, key, s_due_key(key, d));
}

int notif_due_del(hub_call_t *call, notif_t *n, const Notification__Delivery *d) { return s_due_del(call, n, d); }

/* Writes an inbox message for d (the in-app channel: delivered here). */
static int s_inbox_put(hub_call_t *call, notif_t *n, const Notification__Delivery *d, int64_t now)
{
    char meta[160];
    snprintf(meta, sizeof meta, "inbox:%s", d->recipient);
    uint64_t seq;
    if (hub_record_next_seq(call, n->store, meta, &seq)) return -1;
    Notification__InboxMessage m = NOTIFICATION__INBOX_MESSAGE__INIT;
    m.recipient = d->recipient;
    m.seq = seq;
    m.delivery_id = d->id;
    m.template_ = d->template_;
    m.subject = d->subject;
    m.text = d->text;
    m.topic = d->topic;
    m.request_id = d->request_id;
    m.time_ms = now;
    size_t rl = strlen(d->recipient), len;
    uint8_t *val = hub_wire_pack(&m.base, call->arena, &len);
    char *key = hub_arena_alloc(call->arena, rl + 9);
    if (!val || !key) return s_oom(call);
    memcpy(key, d->recipient, rl + 1);
    hub_be64_put((uint8_t *)key + rl + 1, seq);
    return s_put_raw(call, n->inbox, key, rl + 9, val, len);
}

/* The ids of the deliveries a command created (arena array of cap). */
typedef struct {
    char **ids;
    size_t n, cap;
} made_t;

/* Creates the deliveries of msg to target t: one per channel, unless its
 * idempotency key was delivered before. Their ids go to made (may be
 * NULL). 0 or -1. */
static int s_deliver(hub_call_t *call, notif_t *n, const message_t *msg, const target_t *t, made_t *made)
{
    if (!t->n_ch) {
        hub_rpc_count(call->rpc, "deliveries_skipped_total", 1);
        return 0;
    }
    int64_t now = hub_now_ms();
    /* an old event (a new store catching up on history) fills the inbox
     * but reaches nobody's phone, mailbox or server */
    bool stale = msg->event_ms && now - msg->event_ms > n->max_event_age_ms;
    size_t nkv;
    notify_kv_t *kv = s_values(call, n, msg, t->lang, &nkv);
    if (!kv) return s_oom(call);
    const char *subject, *text;
    if (notify_render(n->templates, msg->template, t->lang, kv, nkv, call->arena, &subject, &text, &call->err))
        return -1;
    for (size_t c = 0; c < t->n_ch; c++) {
        Notification__Channel ch = t->ch[c];
        if (stale && ch != NOTIFICATION__CHANNEL__INBOX) {
            hub_rpc_count(call->rpc, "deliveries_stale_total", 1);
            continue;
        }
        char key[512];
        int kl = snprintf(key, sizeof key, "%s.%s.%s.%s", msg->key, msg->template, t->id, notify_channel_name(ch));
        if (kl <= 0 || (size_t)kl >= sizeof key)
            return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "key", "idempotency key too long");
        MDB_val k = {(size_t)kl, key}, v;
        int rc = mdb_get(call->txn, n->dkeys, &k, &v);
        if (!rc) {
            hub_rpc_count(call->rpc, "deliveries_deduplicated_total", 1);
            continue;
        }
        if (rc != MDB_NOTFOUND) return hub_call_mdb_error(call, rc);
        uint64_t seq;
        if (hub_record_next_seq(call, n->store, "notification:delivery", &seq)) return -1;
        Notification__Delivery *d = hub_arena_alloc(call->arena, sizeof *d);
        char *id = hub_arena_alloc(call->arena, 24);
        if (!d || !id) return s_oom(call);
        notification__delivery__init(d);
        snprintf(id, 24, "DLV-%012llu", (unsigned long long)seq);
        d->id = id;
        d->idempotency_key = hub_arena_strdup(call->arena, key);
        d->recipient = (char *)t->id;
        d->channel = ch;
        d->address = (char *)t->addr[ch];
        d->template_ = (char *)msg->template;
        d->language = (char *)t->lang;
        d->subject = (char *)subject;
        d->text = (char *)text;
        d->topic = (char *)(msg->topic ? msg->topic : "");
        d->request_id = (char *)(msg->request_id ? msg->request_id : "");
        d->urgent = msg->urgent;
        d->created_ms = now;
        d->event_ms = msg->event_ms ? msg->event_ms : now;
        Notification__Placeholder *ph = hub_arena_alloc(call->arena, nkv * sizeof *ph);
        d->data = hub_arena_alloc(call->arena, nkv * sizeof *d->data);
        if (!d->idempotency_key || !ph || !d->data) return s_oom(call);
        for (size_t i = 0; i < nkv; i++) {
            notification__placeholder__init(&ph[i]);
            ph[i].name = (char *)kv[i].name;
            ph[i].value = (char *)kv[i].value;
            d->data[i] = &ph[i];
        }
        d->n_data = nkv;
        if (ch == NOTIFICATION__CHANNEL__INBOX) {
            d->state = NOTIFICATION__DELIVERY_STATE__SENT;
            d->sent_ms = now;
            d->attempts = 1;
            if (s_inbox_put(call, n, d, now) || s_delivery_event(call, "sent", d)) return -1;
            hub_rpc_count(call->rpc, "deliveries_sent_total", 1);
        } else {
            d->state = NOTIFICATION__DELIVERY_STATE__QUEUED;
            d->next_ms = now;
            if (ch == NOTIFICATION__CHANNEL__SMS && !msg->urgent)
                d->next_ms = notify_quiet_until(now, n->quiet_start, n->quiet_end);
            if (s_due_put(call, n, d)) return -1;
            s_pump_soon(n);
        }
        if (hub_record_put(call, n->deliveries, d->id, &d->base) ||
            s_put_raw(call, n->dkeys, key, (size_t)kl, d->id, strlen(d->id)))
            return -1;
        hub_rpc_count(call->rpc, "deliveries_total", 1);
        if (made && made->n < made->cap) made->ids[made->n++] = d->id;
    }
    return 0;
}

/* Delivers msg to directory recipient id; an unknown recipient is
 * counted and passed over. 0 or -1. */
static int s_deliver_to(hub_call_t *call, notif_t *n, const message_t *msg, const char *id)
{
    target_t who;
    hub_error_t keep = call->err;
    if (!s_target_recipient(call, n, id, &who)) return s_deliver(call, n, msg, &who, NULL);
    if (call->err.code != HUB__ERROR_CODE__NOT_FOUND) return -1;
    call->err = keep;
    hub_rpc_count(call->rpc, "recipients_unknown_total", 1);
    return 0;
}

/* ------------------------------------------------------------------ schedules */

static int s_schedule_put(hub_call_t *call, notif_t *n, Notification__Schedule *s)
{
    uint64_t seq;
    if (hub_record_next_seq(call, n->store, "notification:schedule", &seq)) return -1;
    char *id = hub_arena_alloc(call->arena, 24);
    if (!id) return s_oom(call);
    snprintf(id, 24, "SCH-%012llu", (unsigned long long)seq);
    s->id = id;
    uint8_t key[8 + HUB_DUE_MAX_ID];
    size_t kl = hub_due_key(key, s->fire_ms, id), len;
    uint8_t *val = hub_wire_pack(&s->base, call->arena, &len);
    if (!val) return s_oom(call);
    hub_rpc_count(call->rpc, "schedules_total", 1);
    return s_put_raw(call, n->schedules, key, kl, val, len);
}

/* ------------------------------------------------------------------ request state */

static Notification__RequestState *s_rs_load(hub_call_t *call, notif_t *n, const char *id, bool create)
{
    hub_error_t keep = call->err;
    Notification__RequestState *rs = (void *)hub_record_get(call, n->requests, id,
                                                            &notification__request_state__descriptor, "request");
    if (rs || call->err.code != HUB__ERROR_CODE__NOT_FOUND || !create) return rs;
    call->err = keep;
    if (!(rs = hub_arena_alloc(call->arena, sizeof *rs))) {
        s_oom(call);
        return NULL;
    }
    notification__request_state__init(rs);
    rs->request_id = hub_arena_strdup(call->arena, id);
    return rs->request_id ? rs : NULL;
}

/* ------------------------------------------------------------------ feeds */

static char *s_key_base(hub_call_t *call, const char *publisher, const Hub__Event *ev)
{
    char buf[96];
    snprintf(buf, sizeof buf, "%s-%llu-%llu", publisher, (unsigned long long)ev->epoch,
             (unsigned long long)ev->seq);
    return hub_arena_strdup(call->arena, buf);
}

/* ------------------------------------------------------------------ activities */

/* Loads a record of db into the call's arena: NULL with call->err kept
 * when absent (*gone set), NULL with err on a store error. */
static ProtobufCMessage *s_get_opt(hub_call_t *call, MDB_dbi db, const char *id,
                                   const ProtobufCMessageDescriptor *desc, bool *gone)
{
    hub_error_t keep = call->err;
    ProtobufCMessage *m = hub_record_get(call, db, id, desc, "id");
    *gone = !m && call->err.code == HUB__ERROR_CODE__NOT_FOUND;
    if (*gone) call->err = keep;
    return m;
}

/* Keeps the facts of activity a that messages use (intake's events carry
 * it as it is after each change). Returns the stored copy (arena), or
 * NULL with err. */
static Notification__ActivityState *s_activity_keep(hub_call_t *call, notif_t *n, const Intake__Activity *a)
{
    Notification__ActivityState *st = hub_arena_alloc(call->arena, sizeof *st);
    if (!st) {
        s_oom(call);
        return NULL;
    }
    notification__activity_state__init(st);
    st->activity_id = a->activity_id;
    st->kind = (uint32_t)a->kind;
    st->title = a->title;
    st->place = a->place;
    st->starts_ms = a->starts_ms;
    st->ends_ms = a->ends_ms;
    st->status = (uint32_t)a->status;
    st->cancel_reason = a->cancel_reason;
    st->updated_ms = hub_now_ms();
    return hub_record_put(call, n->activities, st->activity_id, &st->base) ? NULL : st;
}

/* Collects the ids of the directory recipients an announcement for
 * audience goes to (call arena). */
typedef struct {
    hub_call_t *call;
    notif_t *n;
    uint32_t audience;
    char **ids;
    size_t n_ids, cap;
    int rc;
} audience_scan_t;

static int s_audience_collect(const MDB_val *key, const MDB_val *val, void *arg)
{
    audience_scan_t *s = arg;
    (void)key;
    hub_arena_reset(s->n->scratch);
    hub_error_t err = {0};
    Notification__Recipient *r = (Notification__Recipient *)hub_wire_unpack_max(
        &notification__recipient__descriptor, val->mv_data, val->mv_size, HUB_WIRE_MAX_REPLY, s->n->scratch, &err);
    if (!r || !notify_announce_to(s->audience, r)) return 0;
    if (!(s->ids = hub_arena_grow(s->call->arena, s->ids, s->n_ids, &s->cap, sizeof *s->ids, 32))) {
        s->rc = -1;
        return 1;
    }
    if (!(s->ids[s->n_ids++] = hub_arena_strdup(s->call->arena, r->id))) {
        s->rc = -1;
        return 1;
    }
    return 0;
}

/* intake.activity.announced: the announcement to every directory
 * recipient of the activity's audience (each within its consent and
 * channels), keyed by the event: a replay sends nothing twice, a second
 * announcement (a new event) goes out again. */
static int s_announce(hub_call_t *call, notif_t *n, const char *publisher, const Hub__Event *ev,
                      const Intake__ActivityEvent *ae, const Notification__ActivityState *st)
{
    audience_scan_t sc = {.call = call, .n = n, .audience = ae->activity->audience};
    int rc = hub_store_scan_after(call->txn, n->recipients, "", s_audience_collect, &sc);
    hub_arena_reset(n->scratch);
    if (rc) return hub_call_mdb_error(call, rc);
    if (sc.rc) return s_oom(call);
    const Intake__Activity *a = ae->activity;
    message_t msg = {.key = s_key_base(call, publisher, ev), .template = "activity_announcement",
                     .topic = ev->topic, .event_ms = ev->time_ms, .activity = st,
                     .deadline_ms = a->registration_deadline_ms,
                     .text = *ae->text ? ae->text : a->description};
    if (!msg.key) return s_oom(call);
    for (size_t i = 0; i < sc.n_ids; i++) {
        hub_arena_mark_t mark = hub_arena_mark(call->arena); /* one recipient's rendering at a time */
        if (s_deliver_to(call, n, &msg, sc.ids[i])) return -1;
        hub_arena_rewind(call->arena, mark);
    }
    hub_rpc_count(call->rpc, "activity_announcements_total", 1);
    hub_rpc_count(call->rpc, "activity_announcement_recipients_total", sc.n_ids);
    return 0;
}

/* intake.activity.created|cancelled|announced|minutes: keeps the
 * activity's facts; an announcement goes to its audience. (A cancellation
 * reaches the registrants through the intake.registration.cancelled
 * events that follow it.) */
static int s_apply_activity(hub_call_t *call, notif_t *n, const char *publisher, const Hub__Event *ev)
{
    hub_error_t err = {0};
    Intake__ActivityEvent *ae = (Intake__ActivityEvent *)hub_wire_unpack_max(
        &intake__activity_event__descriptor, ev->payload.data, ev->payload.len, HUB_WIRE_MAX_REPLY, call->arena, &err);
    if (!ae || !ae->activity || !*ae->activity->activity_id) {
        hub_warn("intake event %llu (%s) unreadable: %s; skipped", (unsigned long long)ev->seq, ev->topic,
                 err.message);
        hub_rpc_count(call->rpc, "feed_events_unreadable_total", 1);
        return 0;
    }
    Notification__ActivityState *st = s_activity_keep(call, n, ae->activity);
    if (!st) return -1;
    if (!strcmp(ev->topic, "intake.activity.announced")) return s_announce(call, n, publisher, ev, ae, st);
    return 0;
}

/* Schedules reg's reminder (kind activity_reminder), unless one is there
 * for this start already or none is wanted (notify_reminder_at). The
 * caller stores reg. */
static int s_reminder_schedule(hub_call_t *call, notif_t *n, Notification__RegistrationState *reg,
                               const Notification__ActivityState *a)
{
    if (!reg->consent || reg->reminder_starts_ms == a->starts_ms) return 0;
    int64_t at = notify_reminder_at(a->starts_ms, n->activity_reminder_ms, hub_now_ms());
    if (!at) return 0;
    char key[160];
    snprintf(key, sizeof key, "reminder-%s-%lld", reg->registration_id, (long long)a->starts_ms);
    Notification__Schedule s = NOTIFICATION__SCHEDULE__INIT;
    s.kind = "activity_reminder";
    s.template_ = "activity_reminder";
    s.fire_ms = at;
    s.key = key;
    s.registration_id = reg->registration_id;
    s.starts_ms = a->starts_ms;
    if (s_schedule_put(call, n, &s)) return -1;
    reg->reminder_starts_ms = a->starts_ms;
    return 0;
}

/* intake.registration.*: keeps the registrant's contact and the
 * registration's state; confirmed or promoted schedules the reminder;
 * promoted tells the registrant they have a place; cancelled (the
 * activity was) tells them why. */
static int s_apply_registration(hub_call_t *call, notif_t *n, const char *publisher, const Hub__Event *ev)
{
    hub_error_t err = {0};
    Intake__RegistrationEvent *re = (Intake__RegistrationEvent *)hub_wire_unpack_max(
        &intake__registration_event__descriptor, ev->payload.data, ev->payload.len, HUB_WIRE_MAX_REPLY, call->arena,
        &err);
    if (!re || !re->registration || !*re->registration->registration_id) {
        hub_warn("intake event %llu (%s) unreadable: %s; skipped", (unsigned long long)ev->seq, ev->topic,
                 err.message);
        hub_rpc_count(call->rpc, "feed_events_unreadable_total", 1);
        return 0;
    }
    const Intake__Registration *r = re->registration;
    const char *what = ev->topic + strlen("intake.registration.");
    bool gone = false;
    Notification__ActivityState *a; /* NULL only when intake never told us of the activity */
    if (re->activity && *re->activity->activity_id) a = s_activity_keep(call, n, re->activity);
    else a = (void *)s_get_opt(call, n->activities, r->activity_id, &notification__activity_state__descriptor, &gone);
    if (!a && !gone) return -1;
    Notification__RegistrationState *reg = (void *)s_get_opt(call, n->registrations, r->registration_id,
                                                              &notification__registration_state__descriptor, &gone);
    if (!reg) {
        if (!gone) return -1;
        if (!(reg = hub_arena_alloc(call->arena, sizeof *reg))) return s_oom(call);
        notification__registration_state__init(reg);
        reg->registration_id = r->registration_id;
    }
    reg->activity_id = r->activity_id;
    if (!reg->anonymized_ms && !r->anonymized_ms) { /* a blanked contact stays blank */
        reg->phone = r->registrant ? r->registrant->phone : "";
        reg->email = r->registrant ? r->registrant->email : "";
        reg->consent = r->consent_to_contact;
        reg->language = r->language;
    } else if (!reg->anonymized_ms) {
        reg->phone = reg->email = "";
        reg->consent = false;
        reg->anonymized_ms = r->anonymized_ms;
    }
    reg->state = (uint32_t)r->state;
    reg->updated_ms = hub_now_ms();
    int rc = 0;
    const char *template = NULL;
    if (!strcmp(what, "promoted")) template = "activity_promoted";
    else if (!strcmp(what, "cancelled")) template = "activity_cancelled";
    if (a && (!strcmp(what, "confirmed") || !strcmp(what, "promoted")) &&
        reg->state == INTAKE__REGISTRATION_STATE__CONFIRMED)
        rc = s_reminder_schedule(call, n, reg, a);
    if (!rc && template && a) {
        target_t who;
        s_target_registrant(call, reg, &who);
        if (!who.n_ch) hub_rpc_count(call->rpc, "registrants_without_consent_total", 1);
        message_t msg = {.key = s_key_base(call, publisher, ev), .template = template, .topic = ev->topic,
                         .event_ms = ev->time_ms, .activity = a, .registration_id = reg->registration_id,
                         .reason = a->cancel_reason,
                         .urgent = notify_activity_urgent(hub_now_ms(), a->starts_ms, n->quiet_start, n->quiet_end)};
        rc = msg.key ? s_deliver(call, n, &msg, &who, NULL) : s_oom(call);
    }
    if (rc) return -1;
    return hub_record_put(call, n->registrations, reg->registration_id, &reg->base);
}

static int s_apply_intake(hub_call_t *call, const char *publisher, const Hub__Event *ev, void *arg)
{
    notif_t *n = arg;
    const char *t = ev->topic;
    if (!strcmp(t, "intake.privacy.anonymized") || !strcmp(t, "intake.subject.erased"))
        return notification_privacy_apply(call, n, ev);
    if (!strncmp(t, "intake.activity.", 16)) return s_apply_activity(call, n, publisher, ev);
    if (!strncmp(t, "intake.registration.", 20)) return s_apply_registration(call, n, publisher, ev);
    if (strncmp(t, "intake.request.", 15)) return 0;
    hub_error_t err = {0};
    Intake__RequestEvent *re = (Intake__RequestEvent *)hub_wire_unpack_max(
        &intake__request_event__descriptor, ev->payload.data, ev->payload.len, HUB_WIRE_MAX_REPLY, call->arena, &err);
    if (!re || !re->request || !*re->request->service_request_id) {
        hub_warn("intake event %llu (%s) unreadable: %s; skipped", (unsigned long long)ev->seq, t, err.message);
        hub_rpc_count(call->rpc, "feed_events_unreadable_total", 1);
        return 0;
    }
    const Intake__Request *q = re->request;
    Notification__RequestState *rs = s_rs_load(call, n, q->service_request_id, true);
    if (!rs) return -1;
    bool accepted = !strcmp(t, "intake.request.accepted");
    if (accepted || !*rs->service_code) {
        const Intake__Person *p = q->requester;
        rs->name = ""; /* no message uses it: not kept (README "Personal data (PIPL)") */
        rs->phone = p ? p->phone : "";
        rs->email = p ? p->email : "";
        rs->preferred_contact = (uint32_t)q->preferred_contact;
        rs->consent = q->consent_to_contact;
        rs->language = q->language;
        rs->urgent = q->urgency >= INTAKE__URGENCY__HIGH;
        rs->service_code = q->service_code;
        rs->street = q->street;
    }
    /* rs->status is the referral's (matching's) state: intake's own
     * actions (note, cancel, close) must not hide it from the rules */
    Notification__DeferredMessage **deferred = rs->deferred;
    size_t n_deferred = rs->n_deferred;
    if (accepted) {
        rs->intake_seen = true;
        rs->deferred = NULL;
        rs->n_deferred = 0;
    }
    if (hub_record_put(call, n->requests, rs->request_id, &rs->base)) return -1;
    if (!accepted) return 0;
    target_t who;
    s_target_requester(call, rs, &who);
    if (!who.n_ch) hub_rpc_count(call->rpc, "requesters_without_consent_total", 1);
    message_t msg = {.key = s_key_base(call, publisher, ev), .template = "request_received", .topic = t,
                     .request_id = rs->request_id, .urgent = rs->urgent, .event_ms = ev->time_ms,
                     .service_code = rs->service_code, .street = rs->street, .urgency = (uint32_t)q->urgency};
    if (!msg.key) return s_oom(call);
    if (s_deliver(call, n, &msg, &who, NULL)) return -1;
    /* what matching's events had for the requester before we knew them */
    for (size_t i = 0; i < n_deferred; i++) {
        const Notification__DeferredMessage *m = deferred[i];
        message_t dm = {.key = m->key, .template = m->template_, .topic = m->topic, .request_id = rs->request_id,
                        .urgent = rs->urgent, .event_ms = m->event_ms, .service_code = rs->service_code,
                        .street = rs->street, .urgency = (uint32_t)q->urgency, .provider = m->provider};
        if (s_deliver(call, n, &dm, &who, NULL)) return -1;
    }
    return 0;
}

/* Delivers msg to rs's requester, or, while intake's event about the
 * request has not been applied yet (no contact known), keeps it in rs to
 * send when it is. The caller stores rs. 0 or -1. */
static int s_tell_requester(hub_call_t *call, notif_t *n, Notification__RequestState *rs, const message_t *msg)
{
    if (rs->intake_seen) {
        target_t who;
        s_target_requester(call, rs, &who);
        return s_deliver(call, n, msg, &who, NULL);
    }
    Notification__DeferredMessage *m = hub_arena_alloc(call->arena, sizeof *m);
    Notification__DeferredMessage **arr = hub_arena_alloc(call->arena, (rs->n_deferred + 1) * sizeof *arr);
    if (!m || !arr) return s_oom(call);
    notification__deferred_message__init(m);
    m->key = (char *)msg->key;
    m->template_ = (char *)msg->template;
    m->topic = (char *)(msg->topic ? msg->topic : "");
    m->provider = (char *)(msg->provider ? msg->provider : "");
    m->event_ms = msg->event_ms;
    if (rs->n_deferred) memcpy(arr, rs->deferred, rs->n_deferred * sizeof *arr);
    arr[rs->n_deferred++] = m;
    rs->deferred = arr;
    hub_rpc_count(call->rpc, "requester_messages_deferred_total", 1);
    return 0;
}

/* Keeps a provider's name and contact of the library in the directory. */
static int s_provider_upsert(hub_call_t *call, notif_t *n, const Matching__ProviderEvent *pe)
{
    const char *id, *name, *email = "", *phone = "";
    if (pe->org) {
        id = pe->org->id;
        name = pe->org->name;
        email = pe->org->email;
        for (size_t i = 0; i < pe->org->n_contacts; i++) {
            if (!*email && *pe->org->contacts[i]->email) email = pe->org->contacts[i]->email;
            if (!*phone && *pe->org->contacts[i]->phone) phone = pe->org->contacts[i]->phone;
        }
    } else if (pe->volunteer) {
        id = pe->volunteer->id;
        name = pe->volunteer->name;
        email = pe->volunteer->email;
        phone = pe->volunteer->phone;
    } else {
        return 0;
    }
    if (!*id) return 0;
    hub_error_t keep = call->err;
    Notification__Recipient *r = (void *)hub_record_get(call, n->recipients, id, &notification__recipient__descriptor,
                                                        "recipient");
    if (!r) {
        if (call->err.code != HUB__ERROR_CODE__NOT_FOUND) return -1;
        call->err = keep;
        if (!(r = hub_arena_alloc(call->arena, sizeof *r))) return s_oom(call);
        notification__recipient__init(r);
        r->id = (char *)id;
        r->language = "zh";
        r->consent = true; /* members agree to be told of referral work when they join */
    }
    r->name = (char *)name;
    r->email = (char *)email;
    r->phone = (char *)phone;
    /* member organizations and volunteers hear their activities'
     * announcements while the library has them APPROVED */
    Matching__Membership ms = pe->org ? pe->org->membership : pe->volunteer->membership;
    if (notify_audience_set(r, pe->org ? NOTIFY_AUDIENCE_ORGANIZATIONS : NOTIFY_AUDIENCE_VOLUNTEERS,
                            ms == MATCHING__MEMBERSHIP__APPROVED, call->arena))
        return s_oom(call);
    r->updated_ms = hub_now_ms();
    return hub_record_put(call, n->recipients, id, &r->base);
}

/* The text of the last history entry of r (e.g. a withdrawal's reason). */
static const char *s_last_text(const Matching__Referral *r)
{
    return r->n_history ? r->history[r->n_history - 1]->text : "";
}

static int s_apply_referral(hub_call_t *call, notif_t *n, const char *publisher, const Hub__Event *ev,
                            const Matching__Referral *r)
{
    const char *what = ev->topic + strlen("matching.referral.");
    Notification__RequestState *rs = s_rs_load(call, n, r->request_id, true);
    if (!rs) return -1;
    if (!*rs->service_code) { /* matching's event came before intake's */
        rs->service_code = r->service_code;
        rs->street = r->street;
        rs->language = r->language;
        rs->urgent = r->urgency >= INTAKE__URGENCY__HIGH;
    }
    const char *prev_provider = rs->provider_id, *prev_status = rs->status;
    const char *prev_name = rs->provider_name;
    message_t msg = {.key = s_key_base(call, publisher, ev), .topic = ev->topic, .request_id = r->request_id,
                     .urgent = rs->urgent, .event_ms = ev->time_ms, .service_code = r->service_code,
                     .street = r->street, .urgency = r->urgency, .provider = r->provider_name};
    if (!msg.key) return s_oom(call);
    target_t who;
    int rc = 0;
    rs->status = (char *)what;
    if (!strcmp(what, "offered") || !strcmp(what, "assigned")) {
        const Matching__Offer *o = r->n_offers ? r->offers[r->n_offers - 1] : NULL;
        rs->provider_id = r->provider_id;
        rs->provider_name = r->provider_name;
        rs->deadline_ms = o && o->state == MATCHING__OFFER_STATE__OFFER_PENDING ? o->deadline_ms : 0;
        msg.deadline_ms = rs->deadline_ms;
        msg.template = "offer";
        if (*r->provider_id) rc = s_deliver_to(call, n, &msg, r->provider_id);
        int64_t now = hub_now_ms();
        if (!rc && rs->deadline_ms > now) {
            int64_t at = n->offer_reminder_s > 0 ? rs->deadline_ms - n->offer_reminder_s * 1000
                                                 : now + (rs->deadline_ms - now) / 2;
            if (at > now) {
                Notification__Schedule s = NOTIFICATION__SCHEDULE__INIT;
                char *recips[1] = {r->provider_id};
                s.kind = "offer_reminder";
                s.template_ = "offer_reminder";
                s.recipients = recips;
                s.n_recipients = 1;
                s.request_id = r->request_id;
                s.urgent = rs->urgent;
                s.fire_ms = at;
                s.provider_id = r->provider_id;
                s.deadline_ms = rs->deadline_ms;
                rc = s_schedule_put(call, n, &s);
            }
        }
    } else if (!strcmp(what, "accepted")) {
        msg.template = "referral_accepted";
        rc = s_tell_requester(call, n, rs, &msg);
        rs->deadline_ms = 0;
    } else if (!strcmp(what, "expired")) {
        msg.template = "offer_expired";
        msg.provider = *prev_name ? prev_name : prev_provider;
        s_target_operators(n, &who);
        rc = s_deliver(call, n, &msg, &who, NULL);
        rs->deadline_ms = 0;
    } else if (!strcmp(what, "unmatched")) {
        msg.template = "unmatched";
        s_target_operators(n, &who);
        rc = s_deliver(call, n, &msg, &who, NULL);
        rs->provider_id = rs->provider_name = "";
        rs->deadline_ms = 0;
    } else if (!strcmp(what, "withdrawn")) {
        bool had = *prev_provider && (!strcmp(prev_status, "offered") || !strcmp(prev_status, "assigned") ||
                                      !strcmp(prev_status, "accepted") || !strcmp(prev_status, "started") ||
                                      !strcmp(prev_status, "held") || !strcmp(prev_status, "resumed"));
        if (had) {
            msg.template = "offer_withdrawn";
            msg.provider = *prev_name ? prev_name : prev_provider;
            msg.reason = s_last_text(r);
            rc = s_deliver_to(call, n, &msg, prev_provider);
        }
        rs->deadline_ms = 0;
    } else if (!strcmp(what, "completed") && hub_now_ms() - ev->time_ms <= n->max_event_age_ms) {
        Notification__Schedule s = NOTIFICATION__SCHEDULE__INIT;
        s.kind = "followup";
        s.template_ = "followup";
        s.request_id = r->request_id;
        s.fire_ms = hub_now_ms() + n->followup_after_s * 1000;
        s.provider_id = r->provider_name;
        rc = s_schedule_put(call, n, &s);
    } else if (!strcmp(what, "declined")) {
        rs->deadline_ms = 0;
    }
    if (rc) return -1;
    return hub_record_put(call, n->requests, rs->request_id, &rs->base);
}

static int s_apply_matching(hub_call_t *call, const char *publisher, const Hub__Event *ev, void *arg)
{
    notif_t *n = arg;
    const char *t = ev->topic;
    bool referral = !strncmp(t, "matching.referral.", 18);
    bool provider = !strncmp(t, "matching.org.", 13) || !strncmp(t, "matching.volunteer.", 19);
    if (!referral && !provider) return 0;
    hub_error_t err = {0};
    const ProtobufCMessageDescriptor *desc =
        referral ? &matching__referral_event__descriptor : &matching__provider_event__descriptor;
    ProtobufCMessage *m = hub_wire_unpack_max(desc, ev->payload.data, ev->payload.len, HUB_WIRE_MAX_REPLY,
                                              call->arena, &err);
    if (!m) {
        hub_warn("matching event %llu (%s) unreadable: %s; skipped", (unsigned long long)ev->seq, t, err.message);
        hub_rpc_count(call->rpc, "feed_events_unreadable_total", 1);
        return 0;
    }
    if (provider) return s_provider_upsert(call, n, (Matching__ProviderEvent *)m);
    const Matching__Referral *r = ((Matching__ReferralEvent *)m)->referral;
    if (!r || !*r->request_id) return 0;
    return s_apply_referral(call, n, publisher, ev, r);
}

/* ------------------------------------------------------------------ the sender */

/* Makes s (NUL-terminated, edited in place) one line of valid UTF-8:
 * control bytes become spaces, a character cut at the end is dropped. */
static void s_plain_text(char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < ' ' || s[i] == 0x7f) s[i] = ' ';
    while (len && !hub_utf8_valid(s, len)) s[--len] = 0;
}


/* One transfer in flight; owned by the curl callback. */
typedef struct {
    notif_t *n;
    char id[32];
    uint32_t attempt;
    Notification__Channel channel;
    struct curl_slist *headers, *rcpt;
    char *body;
    size_t body_len, body_off;
    int64_t start_ns;
    char errbuf[CURL_ERROR_SIZE];
    char answer[160];   /* the start of the receiver's answer */
    size_t answer_len;
} xfer_t;

static void s_xfer_free(xfer_t *x)
{
    curl_slist_free_all(x->headers);
    curl_slist_free_all(x->rcpt);
    free(x->body);
    free(x);
}

/* Keeps the start of the receiver's answer (for the error text) and
 * drops the rest; without it libcurl writes answers to stdout. */
static size_t s_write_cb(char *buf, size_t size, size_t nitems, void *arg)
{
    xfer_t *x = arg;
    size_t len = size * nitems, room = sizeof x->answer - 1 - x->answer_len;
    size_t k = len < room ? len : room;
    memcpy(x->answer + x->answer_len, buf, k);
    x->answer_len += k;
    x->answer[x->answer_len] = 0;
    return len;
}

static size_t s_read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
    xfer_t *x = arg;
    size_t room = size * nitems, left = x->body_len - x->body_off;
    size_t k = left < room ? left : room;
    memcpy(buf, x->body + x->body_off, k);
    x->body_off += k;
    return k;
}

/* Posts the result of an attempt to ourselves ("notification.result"). */
static int s_post_result(notif_t *n, const char *id, uint32_t attempt, bool ok, bool permanent, int status,
                         const char *error)
{
    Notification__AttemptResult r = NOTIFICATION__ATTEMPT_RESULT__INIT;
    char ebuf[MAX_ERROR_TEXT + 1];
    snprintf(ebuf, sizeof ebuf, "%s", error ? error : "");
    if (!hub_utf8_valid(ebuf, strlen(ebuf))) snprintf(ebuf, sizeof ebuf, "(unreadable error text)");
    r.id = (char *)id;
    r.attempt = attempt;
    r.ok = ok;
    r.permanent = permanent;
    r.status = status;
    r.error = ebuf;
    r.done_ms = hub_now_ms();
    hub_error_t err = {0};
    if (!hub_rpc_post(n->d->rpc, "notification.result", &r.base, &err)) return 0;
    /* the attempt is forgotten: the delivery stays due and goes again */
    hub_warn("delivery %s: result not recorded (%s); it will be sent again", id, err.message);
    hub_rpc_count(n->d->rpc, "results_lost_total", 1);
    s_flight_remove(n, id);
    return -1;
}

static void s_done_cb(CURL *easy, CURLcode rc, void *arg)
{
    xfer_t *x = arg;
    notif_t *n = x->n;
    long code = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    hub_hist_add(&n->send_us, (uint64_t)((hub_mono_ns() - x->start_ns) / 1000));
    bool ok = rc == CURLE_OK && (x->channel == NOTIFICATION__CHANNEL__EMAIL || (code >= 200 && code < 300));
    bool permanent = !ok && (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL ||
                             (rc == CURLE_OK && code >= 400 && code < 500 && code != 408 && code != 409 &&
                              code != 425 && code != 429));
    char error[MAX_ERROR_TEXT];
    s_plain_text(x->answer);
    if (ok)
        error[0] = 0;
    else if (rc != CURLE_OK)
        snprintf(error, sizeof error, "%s%s%s", curl_easy_strerror(rc), *x->errbuf ? ": " : "", x->errbuf);
    else
        snprintf(error, sizeof error, "HTTP %ld%s%.*s", code, x->answer_len ? ": " : "", 120, x->answer);
    s_plain_text(error);
    notif_flight_t *f = s_flight_find(n, x->id);
    if (f && f->active) {
        f->active = false;
        n->n_active--;
    }
    if (!n->stopping) {
        (void)s_post_result(n, x->id, x->attempt, ok, permanent, (int)code, error);
        s_pump_soon(n);
    }
    curl_easy_cleanup(easy);
    s_xfer_free(x);
}

/* The webhook secret of recipient id ("" when none). */
static const char *s_secret(notif_t *n, MDB_txn *txn, const char *id)
{
    if (!strcmp(id, OPERATORS)) return n->operator_secret;
    MDB_val k = {strlen(id), (void *)id}, v;
    if (mdb_get(txn, n->recipients, &k, &v)) return "";
    hub_error_t err = {0};
    Notification__Recipient *r = (void *)hub_wire_unpack_max(&notification__recipient__descriptor, v.mv_data,
                                                             v.mv_size, HUB_WIRE_MAX_REPLY, n->scratch, &err);
    return r ? r->webhook_secret : "";
}

#define CHANNEL_NONE (-1)

/* Asks ourselves to move the due SMS ids (in the in-flight table until
 * it is done) to until_ms ("notification.hold"). */
static void s_post_hold(notif_t *n, char (*ids)[32], unsigned count, int64_t until_ms)
{
    char *ptrs[HOLD_MAX];
    for (unsigned i = 0; i < count; i++) ptrs[i] = ids[i];
    Notification__HoldRequest q = NOTIFICATION__HOLD_REQUEST__INIT;
    q.ids = ptrs;
    q.n_ids = count;
    q.until_ms = until_ms;
    hub_error_t err = {0};
    if (!hub_rpc_post(n->d->rpc, "notification.hold", &q.base, &err)) return;
    hub_warn("quiet hours: %u SMS not moved (%s)", count, err.message);
    for (unsigned i = 0; i < count; i++) s_flight_remove(n, ids[i]);
}

/* True if s may go into a header or a URL as it is (no space, no
 * control byte). */
static bool s_header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f) return false;
    return true;
}

/* Appends the URL-encoded value v to out (RFC 3986 unreserved kept). */
static void s_urlencode(char **out, size_t *len, size_t *cap, const char *v)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *v; v++) {
        if (*len + 4 > *cap) {
            *cap = *cap * 2 + 64;
            if (!(*out = realloc(*out, *cap))) abort();
        }
        unsigned char c = (unsigned char)*v;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-._~", c)) {
            (*out)[(*len)++] = (char)c;
        } else {
            (*out)[(*len)++] = '%';
            (*out)[(*len)++] = hex[c >> 4];
            (*out)[(*len)++] = hex[c & 15];
        }
    }
}

/* The SMS body for a form-encoded gateway: sms_body with {{phone}},
 * {{text}} and {{key}} URL-encoded, so no value can add a parameter.
 * From the scratch arena; NULL when it is exhausted. */
static const char *s_sms_form_body(notif_t *n, const Notification__Delivery *d, size_t *olen)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s%s", d->subject, *d->subject ? " " : "", d->text);
    size_t cap = 256, len = 0;
    char *out = malloc(cap);
    if (!out) abort();
    for (const char *p = n->sms_body; *p;) {
        const char *v = NULL;
        size_t skip = 0;
        if (!strncmp(p, "{{phone}}", 9)) v = d->address, skip = 9;
        else if (!strncmp(p, "{{text}}", 8)) v = text, skip = 8;
        else if (!strncmp(p, "{{key}}", 7)) v = d->idempotency_key, skip = 7;
        if (v) {
            s_urlencode(&out, &len, &cap, v);
            p += skip;
            continue;
        }
        if (len + 2 > cap) {
            cap *= 2;
            if (!(out = realloc(out, cap))) abort();
        }
        out[len++] = *p++;
    }
    char *res = hub_arena_alloc(n->scratch, len + 1);
    if (res) {
        memcpy(res, out, len);
        res[len] = 0;
        *olen = len;
    }
    free(out);
    return res;
}

/* Starts one attempt of d. 0, or -1 when it could not even start (the
 * failure is posted as its result). */
static int s_start(notif_t *n, MDB_txn *txn, const Notification__Delivery *d)
{
    xfer_t *x = calloc(1, sizeof *x);
    CURL *e = curl_easy_init();
    if (!x || !e) abort();
    x->n = n;
    snprintf(x->id, sizeof x->id, "%s", d->id);
    x->attempt = d->attempts + 1;
    x->channel = d->channel;
    x->start_ns = hub_mono_ns();
    char hdr[600];
    const char *why = NULL;     /* the attempt cannot be made: dead at once */
    bool retry = false;         /* ... unless the cause may pass */
    size_t len = 0;
    const char *body = NULL;
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)n->timeout_ms);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s_write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "hub-notification/" HUB_VERSION);
    /* one connection per transfer at a time (no HTTP/2 multiplexing): a
     * stop cuts exactly the connections of the transfers it aborts */
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    snprintf(hdr, sizeof hdr, "Idempotency-Key: %s", d->idempotency_key);
    x->headers = curl_slist_append(x->headers, hdr);
    if (!s_header_safe(d->idempotency_key) || !s_header_safe(d->id)) why = "idempotency key not fit for a header";
    switch (why ? CHANNEL_NONE : (int)d->channel) {
    case NOTIFICATION__CHANNEL__WEBHOOK: {
        body = notify_webhook_body(d, n->scratch, &len);
        char sig[72];
        if (body) notify_signature(s_secret(n, txn, d->recipient), body, len, sig);
        if (body && *sig) {
            snprintf(hdr, sizeof hdr, "X-Hub-Signature-256: %s", sig);
            x->headers = curl_slist_append(x->headers, hdr);
        }
        x->headers = curl_slist_append(x->headers, "Content-Type: application/json; charset=utf-8");
        snprintf(hdr, sizeof hdr, "X-Hub-Delivery: %s", d->id);
        x->headers = curl_slist_append(x->headers, hdr);
        curl_easy_setopt(e, CURLOPT_URL, d->address);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        if (!*d->address || !s_header_safe(d->address)) why = "no usable webhook URL";
        break;
    }
    case NOTIFICATION__CHANNEL__SMS:
        if (!*n->sms_url) {
            why = "no SMS gateway configured ([notification] sms_url)";
            break;
        }
        body = n->sms_form ? s_sms_form_body(n, d, &len) : notify_sms_body(n->sms_body, d, n->sms_json, n->scratch, &len);
        snprintf(hdr, sizeof hdr, "Content-Type: %s", n->sms_content_type);
        x->headers = curl_slist_append(x->headers, hdr);
        curl_easy_setopt(e, CURLOPT_URL, n->sms_url);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        break;
    case NOTIFICATION__CHANNEL__EMAIL: {
        if (!hub_email_ok(d->address)) { /* nothing may reach the SMTP envelope but an address */
            why = "not a usable e-mail address";
            break;
        }
        const char *msg = notify_email_message(d, n->smtp_from, n->scratch, &len);
        if (!msg) break;
        if (!(x->body = malloc(len ? len : 1))) abort();
        memcpy(x->body, msg, len);
        x->body_len = len;
        char addr[300];
        snprintf(addr, sizeof addr, "<%s>", n->smtp_envelope_from);
        curl_easy_setopt(e, CURLOPT_MAIL_FROM, addr);
        snprintf(addr, sizeof addr, "<%s>", d->address);
        x->rcpt = curl_slist_append(NULL, addr);
        curl_easy_setopt(e, CURLOPT_MAIL_RCPT, x->rcpt);
        curl_easy_setopt(e, CURLOPT_URL, n->smtp_url);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, s_read_cb);
        curl_easy_setopt(e, CURLOPT_READDATA, x);
        curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
        if (*n->smtp_user) {
            curl_easy_setopt(e, CURLOPT_USERNAME, n->smtp_user);
            curl_easy_setopt(e, CURLOPT_PASSWORD, n->smtp_password);
            /* a password never travels in clear (STARTTLS), but to this host */
            if (!n->smtp_loopback) curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
        }
        body = msg;
        break;
    }
    case CHANNEL_NONE:
        break;
    default:
        why = "unknown channel";
    }
    if (!why && !body) why = "message too large to build";
    if (!why && d->channel != NOTIFICATION__CHANNEL__EMAIL) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)len);
        curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    /* in the table before the transfer exists: its end finds it there */
    notif_flight_t *f = s_flight_add(n, d->id, !why);
    if (!why && hub_curl_add(n->curl, e, s_done_cb, x)) {
        why = "transfer could not start", retry = true;
        f->active = false;
        n->n_active--;
    }
    if (why) {
        (void)s_post_result(n, d->id, d->attempts + 1, false, !retry, 0, why);
        curl_easy_cleanup(e);
        s_xfer_free(x);
        return -1;
    }
    return 0;
}

/* The sender: starts the due deliveries it may (in flight, rate limits)
 * and arms its timer for the next one. Runs on the loop, reading only. */
static void s_pump(uv_timer_t *t)
{
    notif_t *n = t->data;
    if (n->stopping) return;
    int64_t now = hub_now_ms(), wake = 0;
    MDB_txn *txn;
    if (mdb_txn_begin(n->store->env, NULL, MDB_RDONLY, &txn)) return;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, n->due, &cur)) {
        mdb_txn_abort(txn);
        return;
    }
    bool blocked[5] = {0};
    unsigned started = 0, n_held = 0;
    char held[HOLD_MAX][32];
    int64_t held_until = 0;
    MDB_val k, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (unsigned scanned = 0; !rc && scanned < PUMP_SCAN_MAX; scanned++, rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (n->n_active >= n->max_in_flight || n->n_flights >= n->flight_limit) break;
        if (k.mv_size <= 9 || k.mv_size > 9 + 31) continue;
        int64_t due = (int64_t)hub_be64_get(k.mv_data);
        if (due > now) {
            if (!wake || due < wake) wake = due;
            break;
        }
        unsigned ch = ((uint8_t *)k.mv_data)[8] < 5 ? ((uint8_t *)k.mv_data)[8] : 0;
        if (blocked[ch]) continue;
        char id[32];
        memcpy(id, (char *)k.mv_data + 9, k.mv_size - 9);
        id[k.mv_size - 9] = 0;
        if (s_flight_find(n, id)) continue;
        hub_arena_reset(n->scratch);
        MDB_val dk = {strlen(id), id}, dv;
        if (mdb_get(txn, n->deliveries, &dk, &dv)) continue;
        hub_error_t err = {0};
        Notification__Delivery *d = (void *)hub_wire_unpack_max(&notification__delivery__descriptor, dv.mv_data,
                                                                dv.mv_size, HUB_WIRE_MAX_REPLY, n->scratch, &err);
        if (!d || (d->state != NOTIFICATION__DELIVERY_STATE__QUEUED &&
                   d->state != NOTIFICATION__DELIVERY_STATE__RETRYING))
            continue;
        if (ch == NOTIFICATION__CHANNEL__SMS && !d->urgent) {
            /* quiet hours again: a backlog must not run on into the night;
             * such SMS move to the hours' end (and out of the way) */
            int64_t open = notify_quiet_until(now, n->quiet_start, n->quiet_end);
            if (open > now) {
                if (n_held < HOLD_MAX) {
                    snprintf(held[n_held++], sizeof held[0], "%s", id);
                    s_flight_add(n, id, false);
                    held_until = open;
                }
                continue;
            }
        }
        if (!notify_bucket_take(&n->bucket[ch], now)) {
            blocked[ch] = true;
            int64_t w = now + notify_bucket_wait_ms(&n->bucket[ch], now);
            if (!wake || w < wake) wake = w;
            continue;
        }
        if (!s_start(n, txn, d)) started++;
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    hub_arena_reset(n->scratch);
    if (wake) { /* the next due delivery, or a rate limit's next token */
        int64_t delay = wake - hub_now_ms();
        uv_timer_start(&n->pump_timer, s_pump, delay > 1 ? (uint64_t)delay : 1, 0);
    }
    if (n_held) s_post_hold(n, held, n_held, held_until);
    /* send now, not after the next batch; last, so that a transfer ending
     * in there may still ask for the pump at once */
    if (started) hub_curl_kick(n->curl);
}

/* ------------------------------------------------------------------ handlers: internal */

static Notification__Delivery *s_delivery_load(hub_call_t *call, notif_t *n, const char *id)
{
    return (void *)hub_record_get(call, n->deliveries, id, &notification__delivery__descriptor, "delivery");
}

/* "notification.result" (the sender): records one attempt's outcome. */
static int s_result(hub_call_t *call, void *ctx)
{
    notif_t *n = ctx;
    const Notification__AttemptResult *q = (const void *)call->req;
    s_flight_remove(n, q->id); /* first: whatever happens next, the id may go again */
    s_pump_soon(n);
    Notification__AttemptResultReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return s_oom(call);
    notification__attempt_result_reply__init(rep);
    call->reply = &rep->base;
    hub_error_t keep = call->err;
    Notification__Delivery *d = s_delivery_load(call, n, q->id);
    if (!d) {
        if (call->err.code != HUB__ERROR_CODE__NOT_FOUND) return -1;
        call->err = keep;
        return 0;
    }
    if ((d->state != NOTIFICATION__DELIVERY_STATE__QUEUED && d->state != NOTIFICATION__DELIVERY_STATE__RETRYING) ||
        q->attempt != d->attempts + 1)
        return 0; /* a result for an attempt already recorded */
    int64_t now = hub_now_ms();
    if (s_due_del(call, n, d)) return -1;
    d->attempts = q->attempt;
    d->last_status = q->status;
    d->last_error = q->error;
    const char *action;
    if (q->ok) {
        d->state = NOTIFICATION__DELIVERY_STATE__SENT;
        d->sent_ms = q->done_ms ? q->done_ms : now;
        d->next_ms = 0;
        action = "sent";
        hub_hist_add(&n->e2e_us, (uint64_t)(d->sent_ms > d->event_ms ? d->sent_ms - d->event_ms : 0) * 1000);
        hub_rpc_count(call->rpc, "deliveries_sent_total", 1);
    } else if (q->permanent || d->attempts >= n->max_attempts) {
        d->state = NOTIFICATION__DELIVERY_STATE__DEAD;
        d->dead_ms = now;
        d->next_ms = 0;
        action = "dead";
        if (s_put_raw(call, n->dead, d->id, strlen(d->id), "", 0)) return -1;
        hub_rpc_count(call->rpc, "deliveries_dead_total", 1);
        hub_warn("delivery %s to %s (%s) is dead after %u attempts: %s", d->id, d->recipient,
                 notify_channel_name(d->channel), d->attempts, d->last_error);
    } else {
        d->state = NOTIFICATION__DELIVERY_STATE__RETRYING;
        d->next_ms = now + notify_backoff_ms(d->attempts, n->retry_base_ms, n->retry_max_ms, s_rand(n));
        if (d->channel == NOTIFICATION__CHANNEL__SMS && !d->urgent)
            d->next_ms = notify_quiet_until(d->next_ms, n->quiet_start, n->quiet_end);
        action = "failed";
        if (s_due_put(call, n, d)) return -1;
        hub_rpc_count(call->rpc, "delivery_attempts_failed_total", 1);
    }
    if (hub_record_put(call, n->deliveries, d->id, &d->base)) return -1;
    return s_delivery_event(call, action, d);
}

/* "notification.hold" (the sender): due SMS met in the quiet hours move
 * to their end. */
static int s_hold(hub_call_t *call, void *ctx)
{
    notif_t *n = ctx;
    const Notification__HoldRequest *q = (const void *)call->req;
    for (size_t i = 0; i < q->n_ids; i++) s_flight_remove(n, q->ids[i]);
    s_pump_soon(n);
    Hub__TickReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return s_oom(call);
    hub__tick_reply__init(rep);
    call->reply = &rep->base;
    for (size_t i = 0; i < q->n_ids; i++) {
        hub_error_t keep = call->err;
        Notification__Delivery *d = s_delivery_load(call, n, q->ids[i]);
        if (!d) {
            if (call->err.code != HUB__ERROR_CODE__NOT_FOUND) return -1;
            call->err = keep;
            continue;
        }
        if ((d->state != NOTIFICATION__DELIVERY_STATE__QUEUED && d->state != NOTIFICATION__DELIVERY_STATE__RETRYING) ||
            d->channel != NOTIFICATION__CHANNEL__SMS || d->urgent || d->next_ms >= q->until_ms)
            continue;
        if (s_due_del(call, n, d)) return -1;
        d->next_ms = q->until_ms;
        if (s_due_put(call, n, d) || hub_record_put(call, n->deliveries, d->id, &d->base)) return -1;
        rep->done++;
    }
    hub_rpc_count(call->rpc, "sms_held_total", rep->done);
    return 0;
}

/* An activity reminder due: to the registrant if notify_reminder_due
 * still says so (else the schedule is skipped). msg has the key and
 * topic. */
static int s_fire_reminder(hub_call_t *call, notif_t *n, const Notification__Schedule *s, message_t *msg,
                           hub_due_item_t *item)
{
    bool gone;
    Notification__RegistrationState *reg = (void *)s_get_opt(
        call, n->registrations, s->registration_id, &notification__registration_state__descriptor, &gone);
    if (!reg && !gone) return -1;
    Notification__ActivityState *a = NULL;
    if (reg && !(a = (void *)s_get_opt(call, n->activities, reg->activity_id,
                                       &notification__activity_state__descriptor, &gone)) && !gone)
        return -1;
    int64_t now = hub_now_ms();
    if (!notify_reminder_due(reg, a, s->starts_ms, now)) {
        hub_rpc_count(call->rpc, "activity_reminders_dropped_total", 1);
        item->skipped = true;
        return 0;
    }
    target_t who;
    s_target_registrant(call, reg, &who);
    msg->activity = a;
    msg->registration_id = reg->registration_id;
    msg->urgent = notify_activity_urgent(now, a->starts_ms, n->quiet_start, n->quiet_end);
    hub_rpc_count(call->rpc, "activity_reminders_total", 1);
    return s_deliver(call, n, msg, &who, NULL);
}

/* Fires one due schedule (hub_due_fn): the follow-up and the offer
 * reminder only if the request is still where they were meant for. */
static int s_fire(hub_call_t *call, hub_due_item_t *item, void *arg)
{
    notif_t *n = arg;
    hub_error_t err = {0};
    const Notification__Schedule *s = (void *)hub_wire_unpack_max(&notification__schedule__descriptor, item->val,
                                                                 item->val_len, HUB_WIRE_MAX_REPLY, call->arena, &err);
    if (!s) {
        hub_warn("schedule %s unreadable (%s); dropped", item->id, err.message);
        item->skipped = true;
        return 0;
    }
    message_t msg = {.template = s->template_, .topic = NULL, .request_id = s->request_id, .urgent = s->urgent};
    char key[64], topic[64];
    snprintf(key, sizeof key, "%s", s->id);
    snprintf(topic, sizeof topic, "schedule.%s", s->kind);
    msg.key = *s->key ? s->key : key;
    msg.topic = topic;
    target_t who;
    if (!strcmp(s->kind, "activity_reminder")) return s_fire_reminder(call, n, s, &msg, item);
    if (!strcmp(s->kind, "send")) {
        msg.data = s->data;
        msg.n_data = s->n_data;
        for (size_t i = 0; i < s->n_recipients; i++)
            if (s_deliver_to(call, n, &msg, s->recipients[i])) return -1;
        return 0;
    }
    hub_error_t keep = call->err;
    Notification__RequestState *rs = s_rs_load(call, n, s->request_id, false);
    if (!rs) {
        if (call->err.code != HUB__ERROR_CODE__NOT_FOUND) return -1;
        call->err = keep;
        return 0;
    }
    msg.service_code = rs->service_code;
    msg.street = rs->street;
    if (!strcmp(s->kind, "offer_reminder")) {
        /* only if the same offer still waits for its answer */
        if (strcmp(rs->status, "offered") && strcmp(rs->status, "assigned")) return 0;
        if (strcmp(rs->provider_id, s->provider_id) || rs->deadline_ms != s->deadline_ms) return 0;
        msg.deadline_ms = s->deadline_ms;
        msg.provider = rs->provider_name;
        return s_deliver_to(call, n, &msg, s->provider_id);
    }
    if (!strcmp(s->kind, "followup")) {
        if (strcmp(rs->status, "completed")) return 0; /* reopened or withdrawn since */
        msg.provider = s->provider_id;
        s_target_requester(call, rs, &who);
        return s_deliver(call, n, &msg, &who, NULL);
    }
    return 0;
}

/* "notification.tick" (our own timer): fires the schedules that are due. */
static int s_tick(hub_call_t *call, void *ctx)
{
    const Hub__Tick *q = (const void *)call->req;
    Hub__TickReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return s_oom(call);
    hub__tick_reply__init(rep);
    int done = hub_due_take(call, ((notif_t *)ctx)->schedules, q->now_ms ? q->now_ms : hub_now_ms(), TICK_BATCH,
                            s_fire, ctx, "schedule", "schedule_failures_total");
    if (done < 0) return -1;
    rep->done = (uint32_t)done;
    hub_rpc_count(call->rpc, "schedules_fired_total", rep->done);
    call->reply = &rep->base;
    return 0;
}

/* ------------------------------------------------------------------ handlers: directory */

static bool s_id_ok(const char *id)
{
    size_t len = strlen(id);
    if (!len || len > 64) return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)id[i];
        if (c <= ' ' || c == 0x7f) return false;
    }
    return true;
}

/* A reply copy of r with the secret blanked. */
static Notification__Recipient *s_public(hub_call_t *call, const Notification__Recipient *r)
{
    Notification__Recipient *c = hub_arena_alloc(call->arena, sizeof *c);
    if (!c) return NULL;
    *c = *r;
    c->has_webhook_secret = *r->webhook_secret != 0;
    c->webhook_secret = "";
    return c;
}

static int s_recipient_reply(hub_call_t *call, const Notification__Recipient *r)
{
    Notification__RecipientReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return s_oom(call);
    notification__recipient_reply__init(rep);
    if (!(rep->recipient = s_public(call, r))) return s_oom(call);
    call->reply = &rep->base;
    return 0;
}

/* The operators as a recipient record (from the configuration). */
static Notification__Recipient *s_operators_record(hub_call_t *call, const notif_t *n)
{
    Notification__Recipient *r = hub_arena_alloc(call->arena, sizeof *r);
    if (!r) return NULL;
    notification__recipient__init(r);
    r->id = OPERATORS;
    r->name = "operators (from the configuration)";
    r->language = "zh";
    r->consent = true;
    r->webhook_url = (char *)n->operator_webhook;
    r->webhook_secret = (char *)n->operator_secret;
    r->email = (char *)n->operator_email;
    return r;
}

/* "notification.recipient.put" (operator). */
static int s_recipient_put(hub_call_t *call, void *ctx)
{
    notif_t *n = ctx;
    const Notification__PutRecipientRequest *q = (const void *)call->req;
    if (!q->recipient)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "recipient", "required");
    Notification__Recipient *r = hub_arena_alloc(call->arena, sizeof *r);
    if (!r) return s_oom(call);
    *r = *q->recipient; /* a copy: the request stays as it came (batch re-runs) */
    if (!s_id_ok(r->id))
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "recipient.id",
                             "1 to 64 printable characters without spaces");
    if (!strcmp(r->id, OPERATORS) || !strncmp(r->id, REQUESTER_PREFIX, strlen(REQUESTER_PREFIX)) ||
        !strncmp(r->id, REGISTRANT_PREFIX, strlen(REGISTRANT_PREFIX)))
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "recipient.id",
                             "\"%s\" is reserved (operators come from the configuration, requesters and "
                             "registrants from their request or registration)",
                             r->id);
    if (notify_audiences_check(r, &call->err)) return -1;
    if (*r->webhook_url && ((strncmp(r->webhook_url, "http://", 7) && strncmp(r->webhook_url, "https://", 8)) ||
                            !s_header_safe(r->webhook_url)))
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "recipient.webhook_url",
                             "must be an http:// or https:// URL without spaces");
    if (*r->email && !hub_email_ok(r->email))
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "recipient.email",
                             "not an e-mail address");
    if (*r->phone && strspn(r->phone, "+0123456789- ") != strlen(r->phone))
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "recipient.phone",
                             "digits, spaces, + and - only");
    if (!*r->language) r->language = "zh";
    if (!notify_templates_has_lang(n->templates, r->language))
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "recipient.language",
                             "no templates in language \"%s\"", r->language);
    for (size_t i = 0; i < r->n_channels; i++)
        if (r->channels[i] < NOTIFICATION__CHANNEL__WEBHOOK || r->channels[i] > NOTIFICATION__CHANNEL__INBOX)
            return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "recipient.channels",
                                 "unknown channel %d", (int)r->channels[i]);
    if (!*r->webhook_secret) { /* keep the stored one */
        hub_error_t keep = call->err;
        Notification__Recipient *old = (void *)hub_record_get(call, n->recipients, r->id,
                                                              &notification__recipient__descriptor, "recipient");
        if (old) r->webhook_secret = old->webhook_secret;
        else if (call->err.code != HUB__ERROR_CODE__NOT_FOUND) return -1;
        call->err = keep;
    }
    r->has_webhook_secret = false;
    r->updated_ms = hub_now_ms();
    if (hub_record_put(call, n->recipients, r->id, &r->base)) return -1;
    hub_rpc_count(call->rpc, "recipients_put_total", 1);
    return s_recipient_reply(call, r);
}

/* True if the caller may see recipient id's data: operators, auditors, or
 * the provider itself. */
static bool s_may_see(const hub_call_t *call, const char *id)
{
    return hub_call_has_role(call, "operator auditor") || !strcmp(call->principal, id);
}

/* "notification.recipient.get". */
static int s_recipient_get(hub_call_t *call, void *ctx)
{
    notif_t *n = ctx;
    const Notification__GetRecipientRequest *q = (const void *)call->req;
    if (!s_may_see(call, q->id))
        return hub_error_set(&call->err, HUB__ERROR_CODE__PERMISSION_DENIED, "id", "not your record");
    Notification__Recipient *r = !strcmp(q->id, OPERATORS)
                                     ? s_operators_record(call, n)
                                     : (void *)hub_record_get(call, n->recipients, q->id,
                                                              &notification__recipient__descriptor, "recipient");
    if (!r) return call->err.code ? -1 : s_oom(call);
    return s_recipient_reply(call, r);
}

static int s_match_all(const hub_list_t *l, const ProtobufCMessage *m)
{
    (void)l;
    (void)m;
    return 1;
}

static const char *s_recipient_taken(ProtobufCMessage *m)
{
    Notification__Recipient *r = (void *)m;
    r->has_webhook_secret = *r->webhook_secret != 0;
    r->webhook_secret = "";
    return r->id;
}

/* "notification.recipient.list" (operator, auditor). */
static int s_recipient_list(hub_call_t *call, void *ctx)
{
    notif_t *n = ctx;
    const Notification__ListRecipientsRequest *q = (const void *)call->req;
    hub_list_t l = {.call = call, .scratch = n->scratch, .query = q, .desc = &notification__recipient__descriptor,
                    .match = s_match_all, .taken = s_recipient_taken};
    if (hub_list_run(&l, n->recipients, q->after_id, q->limit)) return -1;
    Notification__ListRecipientsReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return s_oom(call);
    notification__list_recipients_reply__init(rep);
    rep->recipients = (Notification__Recipient **)l.items;
    rep->n_recipients = l.n_items;
    rep->next_after_id = l.next_after_id ? l.next_after_id : "";
    call->reply = &rep->base;
    return 0;
}

/* "notification.inbox.list": a provider reads only its own inbox. */
static int s_inbox_list(hub_call_t *call, void *ctx)
{
    notif_t *n = ctx;
    const Notification__ListInboxRequest *q = (const void *)call->req;
    if (!*q->recipient || strlen(q->recipient) > 200)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "recipient", "required");
    if (!s_may_see(call, q->recipient))
        return hub_error_set(&call->err, HUB__ERROR_CODE__PERMISSION_DENIED, "recipient", "not your inbox");
    unsigned limit = q->limit ? (q->limit > HUB_LIST_MAX ? HUB_LIST_MAX : q->limit) : HUB_LIST_DEFAULT;
    size_t rl = strlen(q->recipient);
    char key[216];
    memcpy(key, q->recipient, rl + 1);
    hub_be64_put((uint8_t *)key + rl + 1, q->after_seq + 1);
    Notification__ListInboxReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    Notification__InboxMessage **items = hub_arena_alloc(call->arena, limit * sizeof *items);
    if (!rep || !items) return s_oom(call);
    notification__list_inbox_reply__init(rep);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(call->txn, n->inbox, &cur);
    if (rc) return hub_call_mdb_error(call, rc);
    MDB_val k = {rl + 9, key}, v;
    size_t bytes = 0;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (!rc && k.mv_size == rl + 9 && !memcmp(k.mv_data, key, rl + 1)) {
        if (rep->n_messages == limit || (rep->n_messages && bytes + v.mv_size > HUB_LIST_MAX_BYTES)) {
            rep->next_after_seq = rep->messages[rep->n_messages - 1]->seq;
            break;
        }
        hub_error_t err = {0};
        Notification__InboxMessage *m = (void *)hub_wire_unpack_max(&notification__inbox_message__descriptor,
                                                                    v.mv_data, v.mv_size, HUB_WIRE_MAX_REPLY,
                                                                    call->arena, &err);
        if (!m) {
            mdb_cursor_close(cur);
            return s_oom(call);
        }
        items[rep->n_messages++] = m;
        rep->messages = items;
        bytes += v.mv_size;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND) return hub_call_mdb_error(call, rc);
    call->reply = &rep->base;
    return 0;
}

/* ------------------------------------------------------------------ handlers: deliveries */

static int s_delivery_match(const hub_list_t *l, const ProtobufCMessage *m)
{
    const Notification__ListDeliveriesRequest *q = l->query;
    const Notification__Delivery *d = (const void *)m;
    return (!q->state || d->state == q->state) && (!*q->recipient || !strcmp(q->recipient, d->recipient)) &&
           (!*q->request_id || !strcmp(q->request_id, d->request_id));
}

static const char *s_delivery_taken(ProtobufCMessage *m) { return ((Notification__Delivery *)m)->id; }

/* "notification.delivery.list" (operator, auditor). */
static int s_delivery_list(hub_call_t *call, void *ctx)
{
    notif_t *n = ctx;
    const Notification__ListDeliveriesRequest *q = (const void *)call->req;
    if (q->state < 0 || q->state > NOTIFICATION__DELIVERY_STATE__DEAD)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "state", "unknown state %d",
                             (int)q->state);
    hub_list_t l = {.call = call, .scratch = n->scratch, .query = q, .desc = &notification__delivery__descriptor,
                    .match = s_delivery_match, .taken = s_delivery_taken};
    /* the dead-letter list has its own index */
    if (hub_list_run(&l, n->deliveries, q->after_id, q->limit)) return -1;
    Notification__ListDeliveriesReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return s_oom(call);
    notification__list_deliveries_reply__init(rep);
    rep->deliveries = (Notification__Delivery **)l.items;
    rep->n_deliveries = l.n_items;
    rep->next_after_id = l.next_after_id ? l.next_after_id : "";
    call->reply = &rep->base;
    return 0;
}

/* "notification.delivery.get" (operator, auditor). */
static int s_delivery_get(hub_call_t *call, void *ctx)
{
    notif_t *n = ctx;
    const Notification__GetDeliveryRequest *q = (const void *)call->req;
    Notification__Delivery *d = s_delivery_load(call, n, q->id);
    if (!d) return -1;
    Notification__DeliveryReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return s_oom(call);
    notification__delivery_reply__init(rep);
    rep->delivery = d;
    call->reply = &rep->base;
    return 0;
}

/* Puts one dead delivery back in the queue. */
static int s_requeue_one(hub_call_t *call, notif_t *n, const char *id, bool strict)
{
    Notification__Delivery *d = s_delivery_load(call, n, id);
    if (!d) return -1;
    if (d->state != NOTIFICATION__DELIVERY_STATE__DEAD) {
        if (!strict) return 0;
        static const char *names[] = {"unspecified", "queued", "retrying", "sent", "dead"};
        return hub_error_set(&call->err, HUB__ERROR_CODE__FAILED_PRECONDITION, "id",
                             "delivery %s is %s; only a dead delivery can be requeued", id,
                             names[d->state <= 4 ? d->state : 0]);
    }
    d->state = NOTIFICATION__DELIVERY_STATE__QUEUED;
    d->attempts = 0;
    d->dead_ms = 0;
    d->next_ms = hub_now_ms();
    if (d->channel == NOTIFICATION__CHANNEL__SMS && !d->urgent)
        d->next_ms = notify_quiet_until(d->next_ms, n->quiet_start, n->quiet_end);
    if (s_del(call, n->dead, d->id, strlen(d->id)) || s_due_put(call, n, d) ||
        hub_record_put(call, n->deliveries, d->id, &d->base) || s_delivery_event(call, "requeued", d))
        return -1;
    hub_rpc_count(call->rpc, "deliveries_requeued_total", 1);
    s_pump_soon(n);
    return 1;
}

/* "notification.delivery.requeue" (operator). */
static int s_requeue(hub_call_t *call, void *ctx)
{
    notif_t *n = ctx;
    const Notification__RequeueRequest *q = (const void *)call->req;
    Notification__RequeueReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    if (!rep) return s_oom(call);
    notification__requeue_reply__init(rep);
    if (!q->all) {
        if (!*q->id)
            return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "id", "an id, or all");
        if (s_requeue_one(call, n, q->id, true) < 0) return -1;
        rep->ids = hub_arena_alloc(call->arena, sizeof *rep->ids);
        if (!rep->ids) return s_oom(call);
        rep->ids[rep->n_ids++] = (char *)q->id;
    } else {
        /* collect first (at most HUB_LIST_MAX a command), then requeue */
        char **ids = hub_arena_alloc(call->arena, HUB_LIST_MAX * sizeof *ids);
        if (!ids) return s_oom(call);
        MDB_cursor *cur;
        int rc = mdb_cursor_open(call->txn, n->dead, &cur);
        if (rc) return hub_call_mdb_error(call, rc);
        MDB_val k, v;
        size_t cnt = 0;
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc && cnt < HUB_LIST_MAX;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            char *id = hub_arena_alloc(call->arena, k.mv_size + 1);
            if (!id) break;
            memcpy(id, k.mv_data, k.mv_size);
            id[k.mv_size] = 0;
            ids[cnt++] = id;
        }
        mdb_cursor_close(cur);
        if (rc && rc != MDB_NOTFOUND) return hub_call_mdb_error(call, rc);
        for (size_t i = 0; i < cnt; i++)
            if (s_requeue_one(call, n, ids[i], false) < 0) return -1;
        rep->ids = ids;
        rep->n_ids = cnt;
    }
    call->reply = &rep->base;
    return 0;
}

/* "notification.send" (operator): a template to directory recipients, now
 * or at at_ms. */
static int s_send(hub_call_t *call, void *ctx)
{
    notif_t *n = ctx;
    const Notification__SendRequest *q = (const void *)call->req;
    size_t klen = strlen(q->key);
    if (!klen || klen > 128 || strspn(q->key, KEY_CHARS) != klen)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "key",
                             "an idempotency key of 1 to 128 characters [A-Za-z0-9._:-] is required");
    if (!q->n_recipients || q->n_recipients > SEND_MAX_RECIPIENTS)
        return hub_error_set(&call->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "recipients", "1 to %d recipients",
                             SEND_MAX_RECIPIENTS);
    if (!notify_templates_has(n->templates, q->template_, "zh"))
        return hub_error_set(&call->err, HUB__ERROR_CODE__NOT_FOUND, "template", "no template \"%s\"",
                             q->template_);
    Notification__SendReply *rep = hub_arena_alloc(call->arena, sizeof *rep);
    char **ids = hub_arena_alloc(call->arena, q->n_recipients * 4 * sizeof *ids);
    if (!rep || !ids) return s_oom(call);
    notification__send_reply__init(rep);
    char key[160];
    snprintf(key, sizeof key, "send-%s", q->key);
    int64_t now = hub_now_ms();
    target_t who[SEND_MAX_RECIPIENTS];
    for (size_t i = 0; i < q->n_recipients; i++) /* every recipient must exist */
        if (s_target_recipient(call, n, q->recipients[i], &who[i])) return -1;
    message_t msg = {.key = key, .template = q->template_, .topic = "notification.send", .urgent = q->urgent,
                     .data = q->data, .n_data = q->n_data, .event_ms = now};
    /* placeholders are checked now, also for a message sent later */
    size_t nkv;
    const char *subj, *text;
    notify_kv_t *kv = s_values(call, n, &msg, "zh", &nkv);
    if (!kv) return s_oom(call);
    for (size_t i = 0; i < q->n_recipients; i++)
        if (notify_render(n->templates, q->template_, who[i].lang, kv, nkv, call->arena, &subj, &text, &call->err))
            return -1;
    if (q->at_ms > now + 1000) {
        /* one schedule per key: a resend answers with the first one */
        char sk[200];
        int skl = snprintf(sk, sizeof sk, "%s.schedule", key);
        MDB_val k = {(size_t)skl, sk}, v;
        int rc = mdb_get(call->txn, n->dkeys, &k, &v);
        if (rc && rc != MDB_NOTFOUND) return hub_call_mdb_error(call, rc);
        if (!rc) {
            char *id = hub_arena_alloc(call->arena, v.mv_size + 1);
            if (!id) return s_oom(call);
            memcpy(id, v.mv_data, v.mv_size);
            id[v.mv_size] = 0;
            rep->schedule_id = id;
        } else {
            Notification__Schedule s = NOTIFICATION__SCHEDULE__INIT;
            s.kind = "send";
            s.template_ = q->template_;
            s.recipients = q->recipients;
            s.n_recipients = q->n_recipients;
            s.data = q->data;
            s.n_data = q->n_data;
            s.urgent = q->urgent;
            s.fire_ms = q->at_ms;
            s.key = key;
            if (s_schedule_put(call, n, &s) || s_put_raw(call, n->dkeys, sk, (size_t)skl, s.id, strlen(s.id)))
                return -1;
            rep->schedule_id = s.id;
        }
    } else {
        made_t made = {ids, 0, q->n_recipients * 4};
        for (size_t i = 0; i < q->n_recipients; i++) {
            if (!who[i].n_ch) rep->skipped++;
            if (s_deliver(call, n, &msg, &who[i], &made)) return -1;
        }
        rep->delivery_ids = made.ids;
        rep->n_delivery_ids = made.n;
    }
    call->reply = &rep->base;
    return 0;
}

const hub_handler_t notification_handlers[] = {
    {"notification.recipient.put", &notification__put_recipient_request__descriptor, s_recipient_put, ROLES_OPERATOR},
    {"notification.recipient.get", &notification__get_recipient_request__descriptor, s_recipient_get, ROLES_INBOX},
    {"notification.recipient.list", &notification__list_recipients_request__descriptor, s_recipient_list, ROLES_READ},
    {"notification.inbox.list", &notification__list_inbox_request__descriptor, s_inbox_list, ROLES_INBOX},
    {"notification.delivery.list", &notification__list_deliveries_request__descriptor, s_delivery_list, ROLES_READ},
    {"notification.delivery.get", &notification__get_delivery_request__descriptor, s_delivery_get, ROLES_READ},
    {"notification.delivery.requeue", &notification__requeue_request__descriptor, s_requeue, ROLES_OPERATOR},
    {"notification.send", &notification__send_request__descriptor, s_send, ROLES_OPERATOR},
    {"notification.result", &notification__attempt_result__descriptor, s_result, ROLES_INTERNAL},
    {"notification.tick", &hub__tick__descriptor, s_tick, ROLES_INTERNAL},
    {"notification.hold", &notification__hold_request__descriptor, s_hold, ROLES_INTERNAL},
    {"notification.subject.export", &notification__subject_export_request__descriptor,
     notification_subject_export_handler, ROLES_OPERATOR},
    {"notification.subject.erase", &notification__subject_erase_request__descriptor,
     notification_subject_erase_handler, ROLES_OPERATOR},
    {NULL, NULL, NULL, NULL},
};

/* ------------------------------------------------------------------ life */

/* True if url's host is this machine (localhost, 127.x.y.z, ::1). */
static bool s_url_is_loopback(const char *url)
{
    CURLU *u = curl_url();
    char *host = NULL;
    bool local = false;
    if (u && !curl_url_set(u, CURLUPART_URL, url, 0) && !curl_url_get(u, CURLUPART_HOST, &host, 0) && host) {
        local = !strcmp(host, "localhost") || !strcmp(host, "[::1]") || !strcmp(host, "::1") ||
                (!strncmp(host, "127.", 4) && strspn(host, "0123456789.") == strlen(host));
    }
    curl_free(host);
    curl_url_cleanup(u);
    return local;
}

/* Parses "HH:MM" into minutes of the day; -1 if malformed. */
static int s_hhmm(const char *s)
{
    unsigned h, m;
    char tail;
    if (sscanf(s, "%2u:%2u%c", &h, &m, &tail) != 2 || h > 23 || m > 59) return -1;
    return (int)(h * 60 + m);
}

/* Reads the first line of a secret file into out ("" when path is empty). */
static int s_read_secret(const char *path, char *out, size_t cap, hub_error_t *err)
{
    out[0] = 0;
    if (!path || !*path) return 0;
    FILE *f = fopen(path, "r");
    if (!f) return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "", "cannot read %s", path);
    if (!fgets(out, (int)cap, f)) out[0] = 0;
    fclose(f);
    out[strcspn(out, "\r\n")] = 0;
    return 0;
}

static void s_copy(char *dst, size_t cap, const char *src) { snprintf(dst, cap, "%s", src ? src : ""); }

static int s_config(hub_daemon_t *d, notif_t *n, hub_error_t *err)
{
    const hub_config_t *c = d->cfg;
#define CFG(key, dflt) hub_config_get(c, "notification", key, dflt)
#define CFGI(key, dflt) hub_config_get_int(c, "notification", key, dflt)
    s_copy(n->operator_email, sizeof n->operator_email, CFG("operator_email", ""));
    s_copy(n->operator_webhook, sizeof n->operator_webhook, CFG("operator_webhook", ""));
    if (s_read_secret(CFG("operator_webhook_secret_file", ""), n->operator_secret, sizeof n->operator_secret, err))
        return -1;
    long attempts = CFGI("max_attempts", 8), inflight = CFGI("max_in_flight", 64);
    n->retry_base_ms = CFGI("retry_base_ms", 2000);
    n->retry_max_ms = CFGI("retry_max_ms", 3600000);
    n->timeout_ms = CFGI("timeout_ms", 10000);
    if (attempts < 1 || attempts > 100 || inflight < 1 || inflight > NOTIF_MAX_IN_FLIGHT || n->retry_base_ms < 1 ||
        n->retry_max_ms < n->retry_base_ms || n->timeout_ms < 100)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                             "[notification] max_attempts 1..100, max_in_flight 1..%d, retry_base_ms >= 1, "
                             "retry_max_ms >= retry_base_ms, timeout_ms >= 100",
                             NOTIF_MAX_IN_FLIGHT);
    n->max_attempts = (unsigned)attempts;
    n->max_in_flight = (unsigned)inflight;
    s_copy(n->smtp_url, sizeof n->smtp_url, CFG("smtp_url", "smtp://127.0.0.1:25"));
    s_copy(n->smtp_from, sizeof n->smtp_from, CFG("smtp_from", "hub@localhost"));
    const char *lt = strchr(n->smtp_from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    if (lt && gt) snprintf(n->smtp_envelope_from, sizeof n->smtp_envelope_from, "%.*s", (int)(gt - lt - 1), lt + 1);
    else s_copy(n->smtp_envelope_from, sizeof n->smtp_envelope_from, n->smtp_from);
    if (!hub_email_ok(n->smtp_envelope_from))
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                             "[notification] smtp_from: an address, or \"Name <address>\"");
    n->smtp_loopback = s_url_is_loopback(n->smtp_url);
    s_copy(n->smtp_user, sizeof n->smtp_user, CFG("smtp_user", ""));
    if (s_read_secret(CFG("smtp_password_file", ""), n->smtp_password, sizeof n->smtp_password, err)) return -1;
    s_copy(n->sms_url, sizeof n->sms_url, CFG("sms_url", ""));
    s_copy(n->sms_body, sizeof n->sms_body, CFG("sms_body", "{\"to\":\"{{phone}}\",\"text\":\"{{text}}\"}"));
    s_copy(n->sms_content_type, sizeof n->sms_content_type, CFG("sms_content_type", "application/json"));
    n->sms_json = strstr(n->sms_content_type, "json") != NULL;
    n->sms_form = strstr(n->sms_content_type, "x-www-form-urlencoded") != NULL;
    n->max_event_age_ms = CFGI("max_event_age_s", 86400) * 1000;
    if (n->max_event_age_ms <= 0)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "", "[notification] max_event_age_s > 0");
    if (notify_sms_pattern_check(n->sms_body, err)) return -1;
    n->quiet_start = s_hhmm(CFG("quiet_start", "21:00"));
    n->quiet_end = s_hhmm(CFG("quiet_end", "08:00"));
    if (n->quiet_start < 0 || n->quiet_end < 0)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                             "[notification] quiet_start and quiet_end are HH:MM");
    static const char *rate_keys[5] = {NULL, "rate_webhook_per_s", "rate_email_per_s", "rate_sms_per_s", NULL};
    int64_t now = hub_now_ms();
    for (int i = 0; i < 5; i++) {
        long r = rate_keys[i] ? CFGI(rate_keys[i], 0) : 0;
        if (r < 0) return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "", "[notification] rates >= 0");
        notify_bucket_init(&n->bucket[i], (double)r, r ? (double)r : 1, now);
    }
    n->offer_reminder_s = CFGI("offer_reminder_s", 0);
    n->followup_after_s = CFGI("followup_after_s", 259200);
    n->sched_check_ms = (int)CFGI("schedule_check_ms", 500);
    if (n->offer_reminder_s < 0 || n->followup_after_s < 0 || n->sched_check_ms < 10 || n->sched_check_ms > 60000)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                             "[notification] offer_reminder_s >= 0, followup_after_s >= 0, schedule_check_ms "
                             "10..60000");
    long reminder_min = CFGI("activity_reminder_min", 1440);
    if (reminder_min < 0 || reminder_min > 30 * 1440)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                             "[notification] activity_reminder_min 0..43200 (minutes; 0 = no reminders)");
    n->activity_reminder_ms = (int64_t)reminder_min * 60000;
    static const char *need[] = {"intake_pub", "intake_api", "matching_pub", "matching_api"};
    for (int i = 0; i < 4; i++)
        if (!*CFG(need[i], ""))
            return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "", "[notification] needs %s", need[i]);
    if (hub_feed_keys(d->cfg, "notification", "intake", n->keys[0][0], n->keys[0][1], n->keys[0][2], err) ||
        hub_feed_keys(d->cfg, "notification", "matching", n->keys[1][0], n->keys[1][1], n->keys[1][2], err)) return -1;
    if (!(n->templates = notify_templates_load(CFG("templates", ""), err))) return -1;
    n->catalogue = intake_catalogue_load(CFG("catalogue", hub_config_get(c, "intake", "catalogue", NULL)), err);
    return n->catalogue ? 0 : -1;
#undef CFG
#undef CFGI
}

int notification_init(hub_daemon_t *d, int check_only, void **ctx, hub_error_t *err)
{
    notif_t *n = calloc(1, sizeof *n);
    if (!n) abort();
    n->d = d;
    n->scratch = hub_arena_new(HUB_WIRE_ARENA_BUDGET);
    if (s_config(d, n, err)) {
        notification_fini(n);
        return -1;
    }
    if (getrandom(&n->rnd, sizeof n->rnd, 0) != sizeof n->rnd || !n->rnd) n->rnd = (uint32_t)hub_now_ms() | 1;
    if (!check_only) {
        n->store = d->store;
        n->deliveries = hub_daemon_db(d, NOTIF_DB_DELIVERIES);
        n->dkeys = hub_daemon_db(d, NOTIF_DB_DKEYS);
        n->due = hub_daemon_db(d, NOTIF_DB_DUE);
        n->dead = hub_daemon_db(d, NOTIF_DB_DEAD);
        n->inbox = hub_daemon_db(d, NOTIF_DB_INBOX);
        n->recipients = hub_daemon_db(d, NOTIF_DB_RECIPIENTS);
        n->requests = hub_daemon_db(d, NOTIF_DB_REQUESTS);
        n->schedules = hub_daemon_db(d, NOTIF_DB_SCHEDULES);
        n->activities = hub_daemon_db(d, NOTIF_DB_ACTIVITIES);
        n->registrations = hub_daemon_db(d, NOTIF_DB_REGISTRATIONS);
        /* results wait for a batch after their transfer: room for 4x */
        n->flight_limit = 4 * n->max_in_flight;
        for (n->flight_cap = 16; n->flight_cap < 2 * n->flight_limit;) n->flight_cap *= 2;
        if (!(n->flights = calloc(n->flight_cap, sizeof *n->flights))) abort();
    }
    *ctx = n;
    return 0;
}

static hub_feed_t *s_feed(hub_daemon_t *d, notif_t *n, int i, const char *pub, hub_feed_apply_fn fn,
                          hub_error_t *err)
{
    char pk[32], ak[32];
    snprintf(pk, sizeof pk, "%s_pub", pub);
    snprintf(ak, sizeof ak, "%s_api", pub);
    hub_curve_t curve = {n->keys[i][0], n->keys[i][1], n->keys[i][2]};
    hub_feed_t *f = hub_feed_new(d->rpc, d->store, d->zctx, pub, hub_config_get(d->cfg, "notification", pk, ""),
                                 hub_config_get(d->cfg, "notification", ak, ""), *n->keys[i][0] ? &curve : NULL,
                                 fn, n, err);
    if (f && hub_feed_start(f, err)) hub_feed_destroy(&f);
    return f;
}

int notification_start(hub_daemon_t *d, void *ctx, hub_error_t *err)
{
    notif_t *n = ctx;
    if (!(n->curl = hub_curl_new(d->loop, n->max_in_flight)))
        return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "libcurl could not start");
    uv_timer_init(d->loop, &n->pump_timer);
    n->pump_timer.data = n;
    n->timers_on = true;
    uv_timer_start(&n->pump_timer, s_pump, 0, 0); /* what was due before a restart */
    hub_due_start(&n->sched, d->loop, d->rpc, d->store, n->schedules, "notification.tick", n->sched_check_ms);
    hub_scrub_init(&n->scrub, d->loop, d->store, d->rpc, NULL, NULL);
    hub_rpc_add_hist(d->rpc, "e2e_p50_ms", "e2e_p99_ms", &n->e2e_us, 1000);
    hub_rpc_add_hist(d->rpc, "send_p50_ms", "send_p99_ms", &n->send_us, 1000);
    hub_rpc_add_queue(d->rpc, "deliveries_due", n->due);      /* queued or waiting to retry */
    hub_rpc_add_queue(d->rpc, "deliveries_dead", n->dead);    /* gave up: `hubctl deliveries requeue` */
    hub_rpc_add_queue(d->rpc, "schedules", n->schedules);     /* reminders and follow-ups to come */
    if (!(n->feed_intake = s_feed(d, n, 0, "intake", s_apply_intake, err)) ||
        !(n->feed_matching = s_feed(d, n, 1, "matching", s_apply_matching, err))) {
        notification_stop(n); /* hub_daemon calls stop only after a start that succeeded */
        return -1;
    }
    return 0;
}

void notification_stop(void *ctx)
{
    notif_t *n = ctx;
    n->stopping = true;
    hub_feed_destroy(&n->feed_intake);
    hub_feed_destroy(&n->feed_matching);
    hub_curl_destroy(&n->curl); /* a transfer cut short is sent again after a restart */
    if (n->timers_on) uv_close((uv_handle_t *)&n->pump_timer, NULL);
    n->timers_on = false;
    hub_due_stop(&n->sched);
    hub_scrub_close(&n->scrub);
}

void notification_fini(void *ctx)
{
    notif_t *n = ctx;
    if (!n) return;
    hub_feed_destroy(&n->feed_intake);
    hub_feed_destroy(&n->feed_matching);
    notify_templates_destroy(&n->templates);
    intake_catalogue_destroy(&n->catalogue);
    hub_arena_destroy(&n->scratch);
    free(n->flights);
    free(n);
}
