/* dash: the monitoring dashboard of hub-reporting (see dash.h).
 *
 * Threads:
 *   monitor  one SUB socket connected to every peer's PUB (every topic) and
 *            one REQ socket per peer for "hub.status", all in one zmq_poll:
 *            a daemon that does not answer never holds up the others or the
 *            events. It owns its sockets; it shares state through `mu`.
 *   HTTP     libmicrohttpd's listening thread and one thread per
 *            connection: an SSE stream blocks in its content reader on
 *            `cond` (woken by each new event, by a keepalive time-out, or by
 *            the dash stopping).
 * Shared state under `mu`: the ring of sanitized events, every peer's
 * health and status snapshot, `stopping`. */
#include "dash.h"

#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <zmq.h>

#include "hub_bus.h"
#include "hub_figfmt.h"
#include "hub_http.h"
#include "hub_log.h"
#include "hub_prom.h"
#include "hub_util.h"
#include "html.h"
#include "intake.pb-c.h"
#include "matching.pb-c.h"
#include "notification.pb-c.h"
#include "tendering.pb-c.h"

#define DASH_STATUS_TIMEOUT_MS 500   /* a hub.status answer later than this: retry next period */
#define DASH_POLL_TICK_MS 100        /* longest zmq_poll: how soon a stop is noticed */
#define DASH_SUB_BUDGET 256          /* events drained per poll turn */
#define DASH_MAX_SUBS 72             /* cursors kept per daemon (hub_rpc sends at most 72) */
#define DASH_KEEPALIVE_MS 5000       /* SSE comment so proxies and browsers keep the stream
                                        (and a dead client is noticed within two of them) */
#define DASH_MAX_STREAMS 32          /* open /events streams: the rest of the slots stay for
                                        /metrics, /api and the reports */
#define DASH_PER_IP 16               /* connections from one address */
#define DASH_SSE_BATCH 65536         /* bytes of events formatted per reader wake-up */
#define DASH_MAX_URL 1024            /* longer paths: 414 */
#define DASH_MAX_CONNECTIONS 64      /* each is a thread (SSE streams stay open) */
#define DASH_CONN_TIMEOUT_S 120      /* idle connections (SSE writes a keepalive every 15 s) */
#define DASH_QUERY_BUDGET (64u << 20)/* arena for one figure or report (a year of tables) */
#define DASH_EVENT_BUDGET HUB_WIRE_ARENA_BUDGET /* one event payload decoded */

extern const char hub_dashboard_html[];

typedef struct {
    char *name;
    uint64_t value;
} dash_counter_t;

typedef struct {
    char publisher[64];
    uint64_t epoch, seq;
} dash_cursor_t;

typedef struct {
    rep_peer_t conf;
    /* monitor thread only */
    void *req;                  /* REQ to conf.api, NULL when it could not be opened */
    bool waiting;               /* a hub.status is outstanding */
    int64_t sent_mono, next_poll_mono;
    /* under mu */
    int64_t alive_mono;         /* last heartbeat, event or status answer; 0 = never */
    int64_t hb_wall_ms;         /* last heartbeat (unix ms); 0 = none yet */
    bool have_seq;
    uint64_t epoch, last_seq;
    int64_t uptime_s;
    bool have_status;
    char version[64];
    uint64_t store_bytes;
    dash_counter_t *counters;   /* owned, from the last status answer */
    size_t n_counters;
    dash_cursor_t cursors[DASH_MAX_SUBS];
    size_t n_cursors;
} dash_peer_t;

struct rep_dash {
    rep_dash_conf_t conf;       /* peers/listen not used after new */
    dash_peer_t peers[DASH_MAX_PEERS];
    int n_peers;
    pthread_t monitor;
    bool monitor_started;
    atomic_bool stop;           /* monitor thread: leave */
    pthread_mutex_t mu;
    pthread_cond_t cond;        /* broadcast on each ring append and on stop */
    bool stopping;              /* under mu: SSE readers end their streams */
    int n_streams;              /* under mu: open /events streams */
    char *ring[DASH_RING];      /* owned; event id i lives at (i - 1) % DASH_RING */
    uint64_t next_id;           /* id of the next event (first is 1) */
    struct MHD_Daemon *mhd;
    int port;
};

/* ---------------------------------------------------------------- events */

/* Name of enum value v in desc, or NULL for an unknown one. Borrowed. */
static const char *s_enum_name(const ProtobufCEnumDescriptor *desc, int v)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(desc, v);
    return ev ? ev->name : NULL;
}

/* Sets obj[key] to the string s when s is non-empty (s valid UTF-8). */
static void s_set_str(json_t *obj, const char *key, const char *s)
{
    if (s && *s) json_object_set_new(obj, key, json_string(s));
}

/* Sets obj[key] to the name of value v of desc when v is not 0. */
static void s_set_enum(json_t *obj, const char *key, const ProtobufCEnumDescriptor *desc, int v)
{
    if (v) s_set_str(obj, key, s_enum_name(desc, v));
}

/* True when s starts with prefix (both borrowed). */
static bool s_has_prefix(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

/* Unpacks ev's payload as desc into arena, or NULL. Not validated: an enum
 * value a newer publisher added must not hide its event (s_enum_name skips
 * unknown names, jansson refuses invalid UTF-8 strings). */
static ProtobufCMessage *s_payload(const Hub__Event *ev, const ProtobufCMessageDescriptor *desc,
                                   hub_arena_t *arena)
{
    if (ev->payload.len > HUB_WIRE_MAX_REPLY) return NULL;
    return protobuf_c_message_unpack(desc, hub_arena_allocator(arena), ev->payload.len, ev->payload.data);
}

/* The whitelisted fields of an intake event. -1 when undecodable. */
static int s_json_intake(json_t *o, const Hub__Event *ev, hub_arena_t *arena)
{
    if (s_has_prefix(ev->topic, "intake.request.")) {
        Intake__RequestEvent *re = (Intake__RequestEvent *)s_payload(ev, &intake__request_event__descriptor, arena);
        if (!re) return -1;
        s_set_str(o, "action", re->action);
        const Intake__Request *r = re->request;
        if (r) {
            s_set_str(o, "request_id", r->service_request_id);
            s_set_str(o, "service_code", r->service_code);
            s_set_str(o, "street", r->street);
            s_set_str(o, "channel", r->channel);
            s_set_enum(o, "status", &intake__status__descriptor, r->status);
        }
        return 0;
    }
    if (s_has_prefix(ev->topic, "intake.opinion.")) {
        Intake__OpinionEvent *oe = (Intake__OpinionEvent *)s_payload(ev, &intake__opinion_event__descriptor, arena);
        if (!oe) return -1;
        if (oe->opinion) {
            s_set_str(o, "opinion_topic", oe->opinion->topic);
            s_set_str(o, "street", oe->opinion->street);
            s_set_str(o, "policy_topic", oe->opinion->policy_topic);
        }
        return 0;
    }
    /* activities: what, where and when; never a registrant, the title, the
     * place, the minutes or how many registered (small counts) */
    const Intake__Activity *act = NULL;
    if (s_has_prefix(ev->topic, "intake.activity.")) {
        Intake__ActivityEvent *ae = (Intake__ActivityEvent *)s_payload(ev, &intake__activity_event__descriptor, arena);
        if (!ae) return -1;
        s_set_str(o, "action", ae->action);
        act = ae->activity;
    } else if (s_has_prefix(ev->topic, "intake.registration.")) {
        Intake__RegistrationEvent *re =
            (Intake__RegistrationEvent *)s_payload(ev, &intake__registration_event__descriptor, arena);
        if (!re) return -1;
        s_set_str(o, "action", re->action);
        if (re->registration) {
            s_set_str(o, "registration_id", re->registration->registration_id);
            s_set_enum(o, "state", &intake__registration_state__descriptor, re->registration->state);
        }
        act = re->activity;
    } else {
        return 0; /* another intake topic: the envelope only */
    }
    if (act) {
        s_set_str(o, "activity_id", act->activity_id);
        s_set_enum(o, "kind", &intake__activity_kind__descriptor, act->kind);
        s_set_str(o, "street", act->street);
        s_set_enum(o, "status", &intake__activity_status__descriptor, act->status);
        if (act->starts_ms) json_object_set_new(o, "starts_ms", json_integer(act->starts_ms));
    }
    return 0;
}

/* Provider kind, id and (an organization's only) public name. */
static void s_json_provider(json_t *o, int kind, const char *id, const char *org_name)
{
    s_set_enum(o, "provider_kind", &matching__provider_kind__descriptor, kind);
    s_set_str(o, "provider_id", id);
    if (kind == MATCHING__PROVIDER_KIND__ORGANIZATION) s_set_str(o, "provider_name", org_name);
}

/* The whitelisted fields of a matching event. -1 when undecodable. */
static int s_json_matching(json_t *o, const Hub__Event *ev, hub_arena_t *arena)
{
    if (s_has_prefix(ev->topic, "matching.referral.")) {
        Matching__ReferralEvent *re =
            (Matching__ReferralEvent *)s_payload(ev, &matching__referral_event__descriptor, arena);
        if (!re) return -1;
        s_set_str(o, "action", re->action);
        const Matching__Referral *r = re->referral;
        if (r) {
            s_set_str(o, "request_id", r->request_id);
            s_set_enum(o, "status", &matching__referral_status__descriptor, r->status);
            s_json_provider(o, r->provider_kind, r->provider_id, r->provider_name);
            s_set_enum(o, "outcome", &matching__outcome__descriptor, r->outcome);
            s_set_str(o, "service_code", r->service_code);
            s_set_str(o, "street", r->street);
        }
        return 0;
    }
    if (s_has_prefix(ev->topic, "matching.org.") || s_has_prefix(ev->topic, "matching.volunteer.")) {
        Matching__ProviderEvent *pe =
            (Matching__ProviderEvent *)s_payload(ev, &matching__provider_event__descriptor, arena);
        if (!pe) return -1;
        s_set_str(o, "action", pe->action);
        if (pe->org) {
            s_json_provider(o, MATCHING__PROVIDER_KIND__ORGANIZATION, pe->org->id, pe->org->name);
            s_set_enum(o, "membership", &matching__membership__descriptor, pe->org->membership);
        } else if (pe->volunteer) { /* a person: the id only */
            s_json_provider(o, MATCHING__PROVIDER_KIND__VOLUNTEER, pe->volunteer->id, NULL);
            s_set_enum(o, "membership", &matching__membership__descriptor, pe->volunteer->membership);
        }
        return 0;
    }
    return 0;
}

/* The whitelisted fields of a tendering.* event. -1 when undecodable. */
static int s_json_tender(json_t *o, const Hub__Event *ev, hub_arena_t *arena)
{
    Tendering__TenderEvent *te = (Tendering__TenderEvent *)s_payload(ev, &tendering__tender_event__descriptor, arena);
    if (!te) return -1;
    s_set_str(o, "action", te->action);
    const Tendering__Process *p = te->process;
    if (p) {
        s_set_str(o, "ocid", p->ocid);
        s_set_enum(o, "kind", &tendering__kind__descriptor, p->kind);
        s_set_enum(o, "state", &tendering__state__descriptor, p->state);
        s_set_str(o, "title", p->title);
        if (p->budget_fen) json_object_set_new(o, "budget_fen", json_integer(p->budget_fen));
        if (p->award && p->award->value_fen)
            json_object_set_new(o, "award_value_fen", json_integer(p->award->value_fen));
    }
    if (te->payment && te->payment->amount_fen)
        json_object_set_new(o, "payment_fen", json_integer(te->payment->amount_fen));
    return 0;
}

/* The whitelisted fields of a funds.* event: the action and the amount. */
static int s_json_funds(json_t *o, const Hub__Event *ev, hub_arena_t *arena)
{
    Tendering__FundsEvent *fe = (Tendering__FundsEvent *)s_payload(ev, &tendering__funds_event__descriptor, arena);
    if (!fe) return -1;
    s_set_str(o, "action", fe->action);
    int64_t amount = fe->contribution ? fe->contribution->amount_fen
                   : fe->donation     ? fe->donation->amount_fen
                   : fe->disbursement ? fe->disbursement->amount_fen
                                      : 0;
    if (amount) json_object_set_new(o, "amount_fen", json_integer(amount));
    return 0;
}

/* The whitelisted fields of a notification.delivery.* event. */
static int s_json_delivery(json_t *o, const Hub__Event *ev, hub_arena_t *arena)
{
    Notification__DeliveryEvent *de =
        (Notification__DeliveryEvent *)s_payload(ev, &notification__delivery_event__descriptor, arena);
    if (!de) return -1;
    s_set_str(o, "action", de->action);
    if (de->delivery) {
        s_set_enum(o, "channel", &notification__channel__descriptor, de->delivery->channel);
        s_set_enum(o, "state", &notification__delivery_state__descriptor, de->delivery->state);
        s_set_str(o, "template", de->delivery->template_);
    }
    return 0;
}

char *rep_dash_event_json(const Hub__Event *ev)
{
    if (!ev || !ev->topic || !strcmp(ev->topic, "hub.heartbeat")) return NULL;
    /* the envelope's strings come from a validated hub.Event, but callers
     * may build one themselves: refuse what JSON cannot carry */
    if (!hub_utf8_valid(ev->topic, strlen(ev->topic)) ||
        (ev->source && !hub_utf8_valid(ev->source, strlen(ev->source))))
        return NULL;
    hub_arena_t *arena = hub_arena_new(DASH_EVENT_BUDGET);
    json_t *o = json_object();
    char *out = NULL;
    if (!arena || !o) goto done;
    json_object_set_new(o, "source", json_string(ev->source ? ev->source : ""));
    json_object_set_new(o, "seq", json_integer((json_int_t)ev->seq));
    json_object_set_new(o, "topic", json_string(ev->topic));
    json_object_set_new(o, "time_ms", json_integer(ev->time_ms));
    int rc = 0;
    if (s_has_prefix(ev->topic, "intake.")) rc = s_json_intake(o, ev, arena);
    else if (s_has_prefix(ev->topic, "matching.")) rc = s_json_matching(o, ev, arena);
    else if (s_has_prefix(ev->topic, "tendering.")) rc = s_json_tender(o, ev, arena);
    else if (s_has_prefix(ev->topic, "funds.")) rc = s_json_funds(o, ev, arena);
    else if (s_has_prefix(ev->topic, "notification.delivery.")) rc = s_json_delivery(o, ev, arena);
    /* any other topic: the envelope only (nothing of its payload) */
    if (rc == 0) out = json_dumps(o, JSON_COMPACT);
done:
    json_decref(o);
    hub_arena_destroy(&arena);
    return out;
}

/* --------------------------------------------------------------- monitor */

/* The peer named name, or NULL. */
static dash_peer_t *s_peer(rep_dash_t *self, const char *name)
{
    for (int i = 0; i < self->n_peers; i++)
        if (name && !strcmp(self->peers[i].conf.name, name)) return &self->peers[i];
    return NULL;
}

/* Under mu: peer p's publisher position is (epoch, seq) as of now. */
static void s_note_seq(dash_peer_t *p, uint64_t epoch, uint64_t seq)
{
    if (!p->have_seq || p->epoch != epoch || seq > p->last_seq) p->last_seq = seq;
    p->epoch = epoch;
    p->have_seq = true;
}

/* Appends json (taken) to the ring and wakes the SSE streams. */
static void s_ring_push(rep_dash_t *self, char *json)
{
    pthread_mutex_lock(&self->mu);
    uint64_t id = self->next_id++;
    char **slot = &self->ring[(id - 1) % DASH_RING];
    free(*slot);
    *slot = json;
    pthread_cond_broadcast(&self->cond);
    pthread_mutex_unlock(&self->mu);
}

/* One message from the SUB socket: [topic][epoch+seq][hub.Event or hub.Heartbeat]. */
static void s_on_sub(rep_dash_t *self, zmq_msg_t *f, int n, hub_arena_t *arena)
{
    if (n != 3 || zmq_msg_size(&f[1]) != 16) return;
    const uint8_t *h = zmq_msg_data(&f[1]);
    uint64_t epoch = hub_be64_get(h), seq = hub_be64_get(h + 8);
    hub_error_t err = {0};
    hub_arena_reset(arena);
    if (zmq_msg_size(&f[0]) == 13 && !memcmp(zmq_msg_data(&f[0]), "hub.heartbeat", 13)) {
        Hub__Heartbeat *hb = (Hub__Heartbeat *)hub_wire_unpack_max(
            &hub__heartbeat__descriptor, zmq_msg_data(&f[2]), zmq_msg_size(&f[2]), 4096, arena, &err);
        if (!hb) return;
        pthread_mutex_lock(&self->mu);
        dash_peer_t *p = s_peer(self, hb->source);
        if (p) {
            p->alive_mono = hub_mono_ms();
            p->hb_wall_ms = hub_now_ms();
            p->uptime_s = hb->uptime_s;
            s_note_seq(p, hb->epoch, hb->last_seq);
        }
        pthread_mutex_unlock(&self->mu);
        return;
    }
    Hub__Event *ev = (Hub__Event *)hub_wire_unpack_max(&hub__event__descriptor, zmq_msg_data(&f[2]),
                                                       zmq_msg_size(&f[2]), HUB_WIRE_MAX_REPLY, arena, &err);
    if (!ev) return;
    pthread_mutex_lock(&self->mu);
    dash_peer_t *p = s_peer(self, ev->source);
    if (p) {
        p->alive_mono = hub_mono_ms();
        s_note_seq(p, epoch, seq);
    }
    pthread_mutex_unlock(&self->mu);
    char *json = rep_dash_event_json(ev);
    if (json) s_ring_push(self, json);
}

/* (Re)opens peer p's REQ socket (closing the old one: Lazy Pirate). */
static void s_req_open(rep_dash_t *self, dash_peer_t *p)
{
    if (p->req) zmq_close(p->req);
    p->req = NULL;
    p->waiting = false;
    if (!*p->conf.api) return;
    void *s = zmq_socket(self->conf.zctx, ZMQ_REQ);
    if (!s) return;
    int linger = 0;
    int64_t maxmsg = HUB_WIRE_MAX_REPLY;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    hub_curve_t curve = {p->conf.server_key, p->conf.public_key, p->conf.secret_key};
    if ((p->conf.curve && hub_curve_apply(s, &curve)) || zmq_connect(s, p->conf.api)) {
        hub_warn("dashboard: cannot connect to %s's api %s: %s", p->conf.name, p->conf.api, zmq_strerror(errno));
        zmq_close(s);
        return;
    }
    p->req = s;
}

/* Sends "hub.status" to p (its REQ is idle). */
static void s_status_send(dash_peer_t *p, int64_t now)
{
    p->sent_mono = now;
    if (!p->req) return;
    Hub__StatusRequest req = HUB__STATUS_REQUEST__INIT;
    uint8_t body[16];
    size_t len = hub__status_request__pack(&req, body);
    if (zmq_send(p->req, "hub.status", 10, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(p->req, body, len, ZMQ_DONTWAIT) < 0)
        return; /* counted as a time-out: the socket is reopened */
    p->waiting = true;
}

/* Stores a hub.status answer of p (under mu). */
static void s_status_store(dash_peer_t *p, const Hub__StatusReply *r)
{
    p->alive_mono = hub_mono_ms();
    p->have_status = true;
    snprintf(p->version, sizeof p->version, "%s", r->version ? r->version : "");
    p->uptime_s = r->uptime_s;
    p->store_bytes = r->store_bytes;
    s_note_seq(p, r->epoch, r->last_seq);
    for (size_t i = 0; i < p->n_counters; i++) free(p->counters[i].name);
    free(p->counters);
    p->counters = NULL;
    p->n_counters = 0;
    if (r->n_counters && (p->counters = calloc(r->n_counters, sizeof *p->counters))) {
        for (size_t i = 0; i < r->n_counters; i++) {
            if (!r->counters[i]->name || !(p->counters[p->n_counters].name = strdup(r->counters[i]->name))) continue;
            p->counters[p->n_counters++].value = r->counters[i]->value;
        }
    }
    p->n_cursors = 0;
    for (size_t i = 0; i < r->n_subscriptions && p->n_cursors < DASH_MAX_SUBS; i++) {
        const Hub__Subscription *s = r->subscriptions[i];
        dash_cursor_t *c = &p->cursors[p->n_cursors++];
        snprintf(c->publisher, sizeof c->publisher, "%s", s->publisher ? s->publisher : "");
        c->epoch = s->epoch;
        c->seq = s->seq;
    }
}

/* Reads p's answer (its REQ is readable). */
static void s_status_recv(rep_dash_t *self, dash_peer_t *p, hub_arena_t *arena)
{
    zmq_msg_t f[2];
    int n = hub_zmq_recv(p->req, f, 2, ZMQ_DONTWAIT, NULL);
    p->waiting = false;
    if (n == 2 && zmq_msg_size(&f[0]) == 2 && !memcmp(zmq_msg_data(&f[0]), "OK", 2)) {
        hub_error_t err = {0};
        hub_arena_reset(arena);
        Hub__StatusReply *r = (Hub__StatusReply *)hub_wire_unpack_max(
            &hub__status_reply__descriptor, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), HUB_WIRE_MAX_REPLY, arena, &err);
        if (r) {
            pthread_mutex_lock(&self->mu);
            s_status_store(p, r);
            pthread_mutex_unlock(&self->mu);
        }
    }
    hub_zmq_close(f, n);
}

/* The monitor thread: events, heartbeats and status polls until stop. */
static void *s_monitor(void *arg)
{
    rep_dash_t *self = arg;
    hub_arena_t *arena = hub_arena_new(HUB_WIRE_ARENA_BUDGET * 4);
    void *sub = zmq_socket(self->conf.zctx, ZMQ_SUB);
    if (!arena || !sub) {
        hub_err("dashboard: monitor cannot start (%s)", zmq_strerror(errno));
        hub_arena_destroy(&arena);
        if (sub) zmq_close(sub);
        return NULL;
    }
    int linger = 0, hwm = 10000;
    int64_t maxmsg = HUB_WIRE_MAX_REPLY;
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sub, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    /* a connection takes the socket's options as they are at zmq_connect:
     * plain peers first, then each CURVE peer with its own server key */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < self->n_peers; i++) {
            dash_peer_t *p = &self->peers[i];
            if (p->conf.curve != (pass == 1) || !*p->conf.pub) continue;
            hub_curve_t curve = {p->conf.server_key, p->conf.public_key, p->conf.secret_key};
            if ((pass == 1 && hub_curve_apply(sub, &curve)) || zmq_connect(sub, p->conf.pub))
                hub_warn("dashboard: cannot subscribe to %s at %s: %s", p->conf.name, p->conf.pub,
                         zmq_strerror(errno));
        }
    }
    int64_t now = hub_mono_ms();
    for (int i = 0; i < self->n_peers; i++) {
        s_req_open(self, &self->peers[i]);
        self->peers[i].next_poll_mono = now;
    }
    zmq_pollitem_t items[1 + DASH_MAX_PEERS];
    dash_peer_t *owner[1 + DASH_MAX_PEERS];
    while (!atomic_load(&self->stop)) {
        now = hub_mono_ms();
        int64_t wake = now + DASH_POLL_TICK_MS;
        int n = 0;
        items[n++] = (zmq_pollitem_t){sub, 0, ZMQ_POLLIN, 0};
        for (int i = 0; i < self->n_peers; i++) {
            dash_peer_t *p = &self->peers[i];
            if (p->waiting && now - p->sent_mono >= DASH_STATUS_TIMEOUT_MS) {
                s_req_open(self, p); /* a REQ that lost its reply is stuck */
                p->next_poll_mono = p->sent_mono + self->conf.poll_ms;
            }
            if (!p->waiting && now >= p->next_poll_mono) {
                if (!p->req) s_req_open(self, p);
                s_status_send(p, now);
                p->next_poll_mono = now + self->conf.poll_ms;
            }
            if (p->waiting) {
                owner[n] = p;
                items[n++] = (zmq_pollitem_t){p->req, 0, ZMQ_POLLIN, 0};
                if (p->sent_mono + DASH_STATUS_TIMEOUT_MS < wake) wake = p->sent_mono + DASH_STATUS_TIMEOUT_MS;
            } else if (p->next_poll_mono < wake) {
                wake = p->next_poll_mono;
            }
        }
        long timeout = wake > now ? (long)(wake - now) : 0;
        if (zmq_poll(items, n, timeout) <= 0) continue;
        if (items[0].revents & ZMQ_POLLIN) {
            for (int k = 0; k < DASH_SUB_BUDGET; k++) {
                zmq_msg_t f[3];
                int got = hub_zmq_recv(sub, f, 3, ZMQ_DONTWAIT, NULL);
                if (!got) break;
                s_on_sub(self, f, got, arena);
                hub_zmq_close(f, got);
            }
        }
        for (int i = 1; i < n; i++)
            if (items[i].revents & ZMQ_POLLIN) s_status_recv(self, owner[i], arena);
    }
    zmq_close(sub);
    for (int i = 0; i < self->n_peers; i++) {
        if (self->peers[i].req) zmq_close(self->peers[i].req);
        self->peers[i].req = NULL;
    }
    hub_arena_destroy(&arena);
    return NULL;
}

/* ---------------------------------------------------------------- health */

/* Under mu: whether p is up at monotonic time now. */
static bool s_up(const rep_dash_t *self, const dash_peer_t *p, int64_t now)
{
    return p->alive_mono && now - p->alive_mono < self->conf.down_after_ms;
}

/* Under mu: the lag of subscriber s's cursor c on its publisher, false when
 * the publisher is not a known peer or its position is unknown. When the
 * epochs differ the subscriber has to start over: its lag is everything. */
static bool s_lag(rep_dash_t *self, const dash_cursor_t *c, uint64_t *lag)
{
    dash_peer_t *pub = s_peer(self, c->publisher);
    if (!pub || !pub->have_seq) return false;
    if (c->epoch == pub->epoch) *lag = pub->last_seq > c->seq ? pub->last_seq - c->seq : 0;
    else *lag = pub->last_seq;
    return true;
}

int rep_dash_health(rep_dash_t *self, hub_arena_t *arena, Reporting__HealthReply **out)
{
    Reporting__HealthReply *r = hub_arena_alloc(arena, sizeof *r);
    if (!r) return -1;
    reporting__health_reply__init(r);
    int rc = -1;
    pthread_mutex_lock(&self->mu);
    int64_t now = hub_mono_ms();
    size_t n_lags = 0;
    for (int i = 0; i < self->n_peers; i++) n_lags += self->peers[i].n_cursors;
    r->daemons = hub_arena_alloc(arena, (self->n_peers + 1) * sizeof *r->daemons);
    r->lags = hub_arena_alloc(arena, (n_lags + 1) * sizeof *r->lags);
    if (!r->daemons || !r->lags) goto out;
    for (int i = 0; i < self->n_peers; i++) {
        dash_peer_t *p = &self->peers[i];
        Reporting__DaemonHealth *d = hub_arena_alloc(arena, sizeof *d);
        if (!d) goto out;
        reporting__daemon_health__init(d);
        d->name = hub_arena_strdup(arena, p->conf.name);
        d->version = hub_arena_strdup(arena, p->version);
        if (!d->name || !d->version) goto out;
        d->up = s_up(self, p, now);
        d->last_heartbeat_ms = p->hb_wall_ms;
        d->epoch = p->epoch;
        d->last_seq = p->last_seq;
        d->uptime_s = p->uptime_s;
        r->daemons[r->n_daemons++] = d;
        for (size_t k = 0; k < p->n_cursors; k++) {
            uint64_t lag;
            if (!s_lag(self, &p->cursors[k], &lag)) continue;
            Reporting__Lag *l = hub_arena_alloc(arena, sizeof *l);
            if (!l) goto out;
            reporting__lag__init(l);
            l->subscriber = hub_arena_strdup(arena, p->conf.name);
            l->publisher = hub_arena_strdup(arena, p->cursors[k].publisher);
            if (!l->subscriber || !l->publisher) goto out;
            l->seq = p->cursors[k].seq;
            l->lag = lag;
            r->lags[r->n_lags++] = l;
        }
    }
    *out = r;
    rc = 0;
out:
    pthread_mutex_unlock(&self->mu);
    return rc;
}

/* /api/health as JSON text (malloc'd), with what HealthReply lacks (store
 * size, whether a status answer came). Epochs as strings (JavaScript
 * numbers lose precision past 2^53). NULL on OOM. */
static char *s_health_json(rep_dash_t *self)
{
    json_t *root = json_object(), *daemons = json_array(), *lags = json_array();
    char *out = NULL;
    if (!root || !daemons || !lags) goto done;
    json_object_set_new(root, "now_ms", json_integer(hub_now_ms()));
    pthread_mutex_lock(&self->mu);
    int64_t now = hub_mono_ms();
    for (int i = 0; i < self->n_peers; i++) {
        dash_peer_t *p = &self->peers[i];
        char epoch[24];
        snprintf(epoch, sizeof epoch, "%llu", (unsigned long long)p->epoch);
        json_array_append_new(daemons, json_pack("{s:s, s:b, s:I, s:s, s:I, s:I, s:s, s:I, s:b}",
            "name", p->conf.name, "up", s_up(self, p, now), "last_heartbeat_ms", (json_int_t)p->hb_wall_ms,
            "epoch", epoch, "last_seq", (json_int_t)p->last_seq, "uptime_s", (json_int_t)p->uptime_s,
            "version", p->version, "store_bytes", (json_int_t)p->store_bytes, "status", p->have_status));
        for (size_t k = 0; k < p->n_cursors; k++) {
            uint64_t lag;
            if (!s_lag(self, &p->cursors[k], &lag)) continue;
            json_array_append_new(lags, json_pack("{s:s, s:s, s:I, s:I}", "subscriber", p->conf.name,
                "publisher", p->cursors[k].publisher, "seq", (json_int_t)p->cursors[k].seq,
                "lag", (json_int_t)lag));
        }
    }
    pthread_mutex_unlock(&self->mu);
    json_object_set(root, "daemons", daemons);
    json_object_set(root, "lags", lags);
    out = json_dumps(root, JSON_COMPACT);
done:
    json_decref(daemons);
    json_decref(lags);
    json_decref(root);
    return out;
}

/* --------------------------------------------------------------- metrics */

/* Prometheus text format 0.0.4 of every peer (hub_prom: the same families
 * as each daemon's own metrics endpoint, plus hub_subscriber_lag and
 * hub_up from heartbeats). malloc'd, *len set; NULL on OOM. */
static char *s_metrics_text(rep_dash_t *self, size_t *len)
{
    hub_prom_t *p = hub_prom_new();
    if (!p) return NULL;
    hub_prom_std_families(p);
    pthread_mutex_lock(&self->mu);
    int64_t now = hub_mono_ms();
    for (int i = 0; i < self->n_peers; i++) {
        dash_peer_t *pe = &self->peers[i];
        const char *d = pe->conf.name;
        hub_prom_sample(p, "hub_up", s_up(self, pe, now) ? 1 : 0, "daemon", d, NULL);
        if (pe->have_seq) hub_prom_sample(p, "hub_last_seq", pe->last_seq, "daemon", d, NULL);
        if (pe->have_seq || pe->have_status)
            hub_prom_sample(p, "hub_uptime_seconds", pe->uptime_s > 0 ? (uint64_t)pe->uptime_s : 0, "daemon", d,
                            NULL);
        if (pe->have_status) hub_prom_sample(p, "hub_store_bytes", pe->store_bytes, "daemon", d, NULL);
        for (size_t k = 0; k < pe->n_cursors; k++) {
            uint64_t lag;
            hub_prom_sample(p, "hub_subscriber_seq", pe->cursors[k].seq, "subscriber", d, "publisher",
                            pe->cursors[k].publisher, NULL);
            if (s_lag(self, &pe->cursors[k], &lag))
                hub_prom_sample(p, "hub_subscriber_lag", lag, "subscriber", d, "publisher",
                                pe->cursors[k].publisher, NULL);
        }
        for (size_t k = 0; k < pe->n_counters; k++) hub_prom_counter(p, d, pe->counters[k].name, pe->counters[k].value);
    }
    pthread_mutex_unlock(&self->mu);
    char *out = hub_prom_render(p, len);
    hub_prom_destroy(&p);
    return out;
}

/* ------------------------------------------------------------------- SSE */

typedef struct {
    rep_dash_t *dash;           /* borrowed */
    uint64_t next;              /* next event id to send */
    bool greeted;               /* "retry:" sent */
    char *pend;                 /* owned: bytes formatted, not yet handed over */
    size_t pend_len, pend_off;
} dash_stream_t;

/* Under mu: formats events [st->next, next_id) (up to DASH_SSE_BATCH bytes)
 * into st->pend. Events that left the ring meanwhile are skipped. */
static void s_sse_format(rep_dash_t *self, dash_stream_t *st)
{
    uint64_t oldest = self->next_id > DASH_RING ? self->next_id - DASH_RING : 1;
    if (st->next < oldest) st->next = oldest;
    size_t len = 0;
    FILE *f = open_memstream(&st->pend, &len);
    if (!f) return;
    for (; st->next < self->next_id && len < DASH_SSE_BATCH; st->next++) {
        const char *ev = self->ring[(st->next - 1) % DASH_RING];
        fprintf(f, "id: %llu\ndata: %s\n\n", (unsigned long long)st->next, ev ? ev : "{}");
        fflush(f);
    }
    if (fclose(f)) {
        free(st->pend);
        st->pend = NULL;
        len = 0;
    }
    st->pend_len = len;
    st->pend_off = 0;
}

/* MHD content reader of /events: blocks (its own connection thread) until
 * an event, a keepalive time-out or the dash stopping. */
static ssize_t s_sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    dash_stream_t *st = cls;
    rep_dash_t *self = st->dash;
    if (st->pend_off >= st->pend_len) {
        free(st->pend);
        st->pend = NULL;
        st->pend_len = st->pend_off = 0;
        pthread_mutex_lock(&self->mu);
        if (self->stopping) {
            pthread_mutex_unlock(&self->mu);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        if (!st->greeted) {
            /* at once, so the headers go out and the page sees "open" */
            st->greeted = true;
            st->pend = strdup("retry: 2000\n: hub-reporting events\n\n");
            st->pend_len = st->pend ? strlen(st->pend) : 0;
        } else {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_sec += DASH_KEEPALIVE_MS / 1000;
            for (;;) {
                if (self->stopping) {
                    pthread_mutex_unlock(&self->mu);
                    return MHD_CONTENT_READER_END_OF_STREAM;
                }
                if (st->next < self->next_id) {
                    s_sse_format(self, st);
                    break;
                }
                if (pthread_cond_timedwait(&self->cond, &self->mu, &until) == ETIMEDOUT) {
                    st->pend = strdup(": keepalive\n\n");
                    st->pend_len = st->pend ? strlen(st->pend) : 0;
                    break;
                }
            }
        }
        pthread_mutex_unlock(&self->mu);
        if (!st->pend_len) return MHD_CONTENT_READER_END_WITH_ERROR; /* OOM */
    }
    size_t n = st->pend_len - st->pend_off;
    if (n > max) n = max;
    memcpy(buf, st->pend + st->pend_off, n);
    st->pend_off += n;
    return (ssize_t)n;
}

/* MHD's free callback of an /events response: frees the stream state. */
static void s_sse_free(void *cls)
{
    dash_stream_t *st = cls;
    pthread_mutex_lock(&st->dash->mu);
    st->dash->n_streams--;
    pthread_mutex_unlock(&st->dash->mu);
    free(st->pend);
    free(st);
}

/* ------------------------------------------------------------------ HTTP */

/* A JSON error {"error": CODE_NAME, "field"?, "message"} with its HTTP status. */
static enum MHD_Result s_error(struct MHD_Connection *c, unsigned status, Hub__ErrorCode code, const char *field,
                               const char *message)
{
    json_t *o = json_pack("{s:s, s:s}", "error", hub_error_code_name(code), "message", message ? message : "");
    if (o && field && *field) json_object_set_new(o, "field", json_string(field));
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!body) return MHD_NO;
    return hub_http_reply(c, status, "application/json; charset=utf-8", body, strlen(body));
}

/* The HTTP status for a refused query. */
static unsigned s_http_status(Hub__ErrorCode code)
{
    switch (code) {
    case HUB__ERROR_CODE__INVALID_ARGUMENT:
    case HUB__ERROR_CODE__OUT_OF_RANGE: return MHD_HTTP_BAD_REQUEST;
    case HUB__ERROR_CODE__NOT_FOUND: return MHD_HTTP_NOT_FOUND;
    case HUB__ERROR_CODE__PERMISSION_DENIED: return MHD_HTTP_FORBIDDEN;
    case HUB__ERROR_CODE__UNAVAILABLE: return MHD_HTTP_SERVICE_UNAVAILABLE;
    default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

/* s_error from a hub_error_t (borrowed); no code means INTERNAL. */
static enum MHD_Result s_error_err(struct MHD_Connection *c, const hub_error_t *err)
{
    Hub__ErrorCode code = err->code ? err->code : HUB__ERROR_CODE__INTERNAL;
    return s_error(c, s_http_status(code), code, err->field, err->message);
}

/* A query over one read transaction of the HTTP thread (html.h's rep_query_fn). */
typedef struct {
    MDB_txn *txn;
    const rep_dbs_t *dbs;
    hub_arena_t *arena;
    int64_t now_ms;
} dash_query_t;

/* rep_query over arg's transaction (a dash_query_t); replies live in its
 * arena. 0, or -1 with err (a store error is INTERNAL). */
static int s_query_fn(void *arg, const Reporting__QueryRequest *q, Reporting__QueryReply **out, hub_error_t *err)
{
    dash_query_t *a = arg;
    int mdb_rc = 0;
    if (!rep_query(a->txn, a->dbs, q, a->now_ms, a->arena, out, &mdb_rc, err)) return 0;
    if (mdb_rc) return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "store: %s", mdb_strerror(mdb_rc));
    if (!err->code) hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "the query failed");
    return -1;
}

/* Opens *q over a read transaction of the store (an arena of its own).
 * 0, or -1 with err. Close with s_query_end. */
static int s_query_begin(rep_dash_t *self, dash_query_t *q, hub_error_t *err)
{
    memset(q, 0, sizeof *q);
    if (!self->conf.store || !self->conf.dbs)
        return hub_error_set(err, HUB__ERROR_CODE__UNAVAILABLE, "", "no store behind this dashboard");
    if (!(q->arena = hub_arena_new(DASH_QUERY_BUDGET)))
        return hub_error_set(err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
    int rc = hub_store_thread_read_begin(self->conf.store, &q->txn);
    if (rc) {
        hub_arena_destroy(&q->arena);
        q->txn = NULL;
        return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "store: %s", mdb_strerror(rc));
    }
    q->dbs = self->conf.dbs;
    q->now_ms = hub_now_ms();
    return 0;
}

/* Ends q's read transaction and frees its arena (and every reply in it). */
static void s_query_end(rep_dash_t *self, dash_query_t *q)
{
    if (q->txn) hub_store_thread_read_end(self->conf.store, q->txn);
    q->txn = NULL;
    hub_arena_destroy(&q->arena);
}

/* A date parameter: "YYYY-MM-DD" (00:00 CST) or unix ms; absent = 0. 0 or -1. */
static int s_date_param(const char *s, int64_t *ms)
{
    *ms = 0;
    if (!s || !*s) return 0;
    int y, m, d, used = 0;
    if (strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &used) == 3 && used == 10) {
        if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31) return -1;
        *ms = rep_date_ms(y, m, d);
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v < 0 || s[0] == '+' || s[0] == ' ') return -1;
    *ms = v;
    return 0;
}

/* A query-string argument (URL-decoded, MHD's memory for the request) or NULL
 * (rep_dash_arg_fn over a connection). */
static const char *s_arg(void *conn, const char *key)
{
    return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
}

int rep_dash_figure_query(rep_dash_arg_fn arg, void *ctx, Reporting__QueryRequest *q, hub_error_t *err)
{
    reporting__query_request__init(q);
    const char *figure = arg(ctx, "figure"), *by = arg(ctx, "by"), *pub = arg(ctx, "public"),
               *district = arg(ctx, "district");
    q->figure = (char *)(figure && *figure ? figure : "summary");
    q->by = (char *)(by ? by : "");
    q->district = (char *)(district ? district : "");
    if (!hub_utf8_valid(q->figure, strlen(q->figure)) || !hub_utf8_valid(q->by, strlen(q->by)))
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "figure", "not UTF-8");
    if (!hub_utf8_valid(q->district, strlen(q->district)))
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "district", "not UTF-8");
    if (s_date_param(arg(ctx, "from"), &q->from_ms))
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "from",
                             "from: YYYY-MM-DD (CST) or unix milliseconds");
    if (s_date_param(arg(ctx, "to"), &q->to_ms))
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "to",
                             "to: YYYY-MM-DD (CST, exclusive) or unix milliseconds");
    /* always suppressed: the HTTP server authenticates no one (exact
     * figures are for operators and auditors, through reporting.query) */
    if (!pub || !*pub || !strcmp(pub, "1") || !strcmp(pub, "true")) q->public_view = true;
    else if (!strcmp(pub, "0") || !strcmp(pub, "false"))
        return hub_error_set(err, HUB__ERROR_CODE__PERMISSION_DENIED, "public",
                             "exact figures only for operators and auditors (hubctl report)");
    else return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "public", "public: 0 or 1");
    return 0;
}

/* GET /api/figures?figure=&by=&from=&to=&district=&public= */
static enum MHD_Result s_figures(rep_dash_t *self, struct MHD_Connection *c)
{
    Reporting__QueryRequest q;
    hub_error_t err = {0};
    if (rep_dash_figure_query(s_arg, c, &q, &err) || rep_district_known(&self->conf.districts, q.district, &err))
        return s_error_err(c, &err);
    dash_query_t dq;
    if (s_query_begin(self, &dq, &err)) return s_error_err(c, &err);
    Reporting__QueryReply *rep = NULL;
    int rc = s_query_fn(&dq, &q, &rep, &err);
    json_t *j = rc ? NULL : hub_fig_json(rep);
    s_query_end(self, &dq);
    if (rc) return s_error_err(c, &err);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!body) return s_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, HUB__ERROR_CODE__INTERNAL, "", "out of memory");
    return hub_http_reply(c, MHD_HTTP_OK, "application/json; charset=utf-8", body, strlen(body));
}

/* True when s[0..n) are ASCII digits. */
static bool s_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

rep_dash_route_t rep_dash_route(const char *url)
{
    rep_dash_route_t r = {REP_DASH_NOT_FOUND, NULL, NULL};
    const char *p;
    if (strlen(url) > DASH_MAX_URL) r.page = REP_DASH_TOO_LONG;
    else if (!strcmp(url, "/") || !strcmp(url, "/index.html")) r.page = REP_DASH_INDEX;
    else if (!strcmp(url, "/events")) r.page = REP_DASH_EVENTS;
    else if (!strcmp(url, "/api/health")) r.page = REP_DASH_HEALTH;
    else if (!strcmp(url, "/api/figures")) r.page = REP_DASH_FIGURES;
    else if (!strcmp(url, "/metrics")) r.page = REP_DASH_METRICS;
    else if (!strncmp(url, "/report/yearly/", 15) && strlen(p = url + 15) == 4 && s_digits(p, 4))
        r = (rep_dash_route_t){REP_DASH_REPORT, "yearly", p};
    else if (!strncmp(url, "/report/monthly/", 16) && strlen(p = url + 16) == 7 && s_digits(p, 4) &&
             p[4] == '-' && s_digits(p + 5, 2))
        r = (rep_dash_route_t){REP_DASH_REPORT, "monthly", p};
    else if (!strcmp(url, "/public/donations")) r = (rep_dash_route_t){REP_DASH_PUBLIC, NULL, "donations"};
    else if (!strcmp(url, "/public/tenders")) r = (rep_dash_route_t){REP_DASH_PUBLIC, NULL, "tenders"};
    return r;
}

/* GET /report/yearly/YYYY, /report/monthly/YYYY-MM (kind given), or the
 * public page (kind NULL, period = "donations"|"tenders"). */
static enum MHD_Result s_html(rep_dash_t *self, struct MHD_Connection *c, const char *kind, const char *period)
{
    hub_error_t err = {0};
    dash_query_t dq;
    if (s_query_begin(self, &dq, &err)) return s_error_err(c, &err);
    char *html = NULL;
    int rc = kind ? rep_html_report(kind, period, true, NULL, dq.now_ms, s_query_fn, &dq, &html, &err)
                  : rep_html_page(period, dq.now_ms, s_query_fn, &dq, &html, &err);
    s_query_end(self, &dq);
    if (rc || !html) {
        free(html);
        if (!err.code) hub_error_set(&err, HUB__ERROR_CODE__INTERNAL, "", "the page could not be made");
        return s_error_err(c, &err);
    }
    return hub_http_reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", html, strlen(html));
}

uint64_t rep_dash_resume_at(const char *last_event_id, uint64_t oldest, uint64_t next_id)
{
    if (!last_event_id || !*last_event_id) return oldest;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(last_event_id, &end, 10);
    /* resume after it, unless this dash never sent it (restarted); strtoull
     * takes "-1" as ULLONG_MAX: refused by the range check like any other */
    if (errno || *end || last_event_id[0] < '0' || last_event_id[0] > '9') return oldest;
    if (v < next_id && v + 1 > oldest) return v + 1;
    return oldest;
}

/* GET /events: the SSE stream (see s_sse_read). */
static enum MHD_Result s_events(rep_dash_t *self, struct MHD_Connection *c, bool head)
{
    struct MHD_Response *r;
    if (head) {
        r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    } else {
        dash_stream_t *st = calloc(1, sizeof *st);
        if (!st) return MHD_NO;
        st->dash = self;
        pthread_mutex_lock(&self->mu);
        if (self->n_streams >= DASH_MAX_STREAMS) {
            pthread_mutex_unlock(&self->mu);
            free(st);
            return s_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "",
                           "too many open event streams");
        }
        self->n_streams++;
        uint64_t oldest = self->next_id > DASH_RING ? self->next_id - DASH_RING : 1;
        st->next = oldest;
        st->next = rep_dash_resume_at(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID"),
                                      oldest, self->next_id);
        pthread_mutex_unlock(&self->mu);
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, s_sse_read, st, s_sse_free);
        if (!r) {
            s_sse_free(st);
            return MHD_NO;
        }
    }
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* The one access handler: GET/HEAD only, routes as in dash.h. */
static enum MHD_Result s_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    (void)con_cls;
    rep_dash_t *self = cls;
    bool head = !strcmp(method, MHD_HTTP_METHOD_HEAD);
    if (!head && strcmp(method, MHD_HTTP_METHOD_GET))
        return s_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, HUB__ERROR_CODE__INVALID_ARGUMENT, "", "only GET and HEAD");
    if (*upload_size) { /* a GET with a body: ignore it */
        *upload_size = 0;
        return MHD_YES;
    }
    rep_dash_route_t rt = rep_dash_route(url);
    if (rt.page == REP_DASH_TOO_LONG)
        return s_error(c, MHD_HTTP_URI_TOO_LONG, HUB__ERROR_CODE__INVALID_ARGUMENT, "", "URL too long");
    if (rt.page == REP_DASH_INDEX) {
        size_t n = strlen(hub_dashboard_html);
        char *body = malloc(n + 1);
        if (!body) return MHD_NO;
        memcpy(body, hub_dashboard_html, n + 1);
        struct MHD_Response *r = MHD_create_response_from_buffer(n, body, MHD_RESPMEM_MUST_FREE);
        if (!r) {
            free(body);
            return MHD_NO;
        }
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
        /* the page is self-contained: nothing may load from elsewhere */
        MHD_add_response_header(r, "Content-Security-Policy",
                                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                                "connect-src 'self'; img-src 'self' data:");
        enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (rt.page == REP_DASH_EVENTS) return s_events(self, c, head);
    if (rt.page == REP_DASH_HEALTH) {
        char *body = s_health_json(self);
        if (!body) return MHD_NO;
        return hub_http_reply(c, MHD_HTTP_OK, "application/json; charset=utf-8", body, strlen(body));
    }
    if (rt.page == REP_DASH_FIGURES) return s_figures(self, c);
    if (rt.page == REP_DASH_METRICS) {
        size_t len = 0;
        char *body = s_metrics_text(self, &len);
        if (!body) return MHD_NO;
        return hub_http_reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len);
    }
    if (rt.page == REP_DASH_REPORT || rt.page == REP_DASH_PUBLIC) return s_html(self, c, rt.kind, rt.period);
    return s_error(c, MHD_HTTP_NOT_FOUND, HUB__ERROR_CODE__NOT_FOUND, "", "no such page");
}

/* -------------------------------------------------------------- lifecycle */

rep_dash_t *rep_dash_new(const rep_dash_conf_t *c, hub_error_t *err)
{
    if (c->n_peers < 0 || c->n_peers > DASH_MAX_PEERS) {
        hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "", "at most %d daemons", DASH_MAX_PEERS);
        return NULL;
    }
    rep_dash_t *self = calloc(1, sizeof *self);
    if (!self) {
        hub_error_set(err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
        return NULL;
    }
    self->conf = *c;
    self->conf.peers = NULL;
    self->conf.listen = NULL;
    if (self->conf.poll_ms <= 0) self->conf.poll_ms = 1000;
    if (self->conf.down_after_ms <= 0) self->conf.down_after_ms = 3500;
    self->n_peers = c->n_peers;
    for (int i = 0; i < c->n_peers; i++) self->peers[i].conf = c->peers[i];
    self->next_id = 1;
    atomic_init(&self->stop, false);
    pthread_mutex_init(&self->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&self->cond, &ca);
    pthread_condattr_destroy(&ca);

    if (c->listen && *c->listen) {
        hub_http_conf_t hc = {
            .listen = c->listen,
            .key = "http",
            .flags = MHD_USE_THREAD_PER_CONNECTION,
            .max_connections = DASH_MAX_CONNECTIONS,
            .per_ip = DASH_PER_IP,
            .timeout_s = DASH_CONN_TIMEOUT_S,
            .access = s_access,
            .cls = self,
        };
        if (!(self->mhd = hub_http_start(&hc, &self->port, err))) goto fail;
    }
    if (pthread_create(&self->monitor, NULL, s_monitor, self)) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot start the monitor thread");
        goto fail;
    }
    self->monitor_started = true;
    return self;
fail:
    rep_dash_destroy(&self);
    return NULL;
}

void rep_dash_destroy(rep_dash_t **self_p)
{
    rep_dash_t *self = *self_p;
    if (!self) return;
    pthread_mutex_lock(&self->mu);
    self->stopping = true; /* SSE readers end their streams */
    pthread_cond_broadcast(&self->cond);
    pthread_mutex_unlock(&self->mu);
    if (self->mhd) MHD_stop_daemon(self->mhd); /* joins the connection threads */
    atomic_store(&self->stop, true);
    if (self->monitor_started) pthread_join(self->monitor, NULL);
    for (int i = 0; i < DASH_RING; i++) free(self->ring[i]);
    for (int i = 0; i < self->n_peers; i++) {
        for (size_t k = 0; k < self->peers[i].n_counters; k++) free(self->peers[i].counters[k].name);
        free(self->peers[i].counters);
    }
    pthread_cond_destroy(&self->cond);
    pthread_mutex_destroy(&self->mu);
    free(self);
    *self_p = NULL;
}

int rep_dash_port(const rep_dash_t *self)
{
    return self && self->mhd ? self->port : 0;
}
