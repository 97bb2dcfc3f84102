/* notification_svc: the notification daemon's command handlers, its feeds
 * of intake's and matching's events, the delivery queue and its sender
 * (libcurl on the loop through hub_curl), over the domain rules of
 * notify.h. main.c wires them into hub_daemon.
 *
 * Store (one LMDB environment, DATA_DIR/notification):
 *   deliveries  id -> notification.Delivery
 *   dkeys       idempotency key -> delivery id (each (event, recipient,
 *               channel) is delivered once, replays included)
 *   due         next_ms (8 bytes BE) id -> "" (the queue: QUEUED/RETRYING)
 *   dead        id -> "" (the dead-letter list)
 *   inbox       recipient \0 seq (8 bytes BE) -> notification.InboxMessage
 *   recipients  id -> notification.Recipient (providers, added parties)
 *   requests    request id -> notification.RequestState
 *   schedules   fire_ms (8 bytes BE) id -> notification.Schedule
 *   activities  activity id -> notification.ActivityState
 *   registrations  registration id -> notification.RegistrationState
 *               (ids "<activity_id>-<NNNNNN>": an activity's are together)
 *
 * Delivery: an event creates its deliveries in the transaction that applies
 * it (the inbox ones are sent there and then). After the commit the sender
 * takes due deliveries from the queue, at most max_in_flight at once and
 * within each channel's rate limit, and runs them on the loop; each result
 * comes back as the internal command "notification.result", which marks
 * the delivery sent, or schedules a retry (exponential backoff with
 * jitter), or moves it to the dead-letter list. A crash between a send and
 * its result only means the send is made again with the same idempotency
 * key. */
#ifndef NOTIFICATION_SVC_H
#define NOTIFICATION_SVC_H

#include <uv.h>

#include "catalogue.h"
#include "hub_curl.h"
#include "hub_daemon.h"
#include "hub_due.h"
#include "hub_feed.h"
#include "hub_hist.h"
#include "hub_scrub.h"
#include "notify.h"

enum {
    NOTIF_DB_DELIVERIES,
    NOTIF_DB_DKEYS,
    NOTIF_DB_DUE,
    NOTIF_DB_DEAD,
    NOTIF_DB_INBOX,
    NOTIF_DB_RECIPIENTS,
    NOTIF_DB_REQUESTS,
    NOTIF_DB_SCHEDULES,
    NOTIF_DB_ACTIVITIES,
    NOTIF_DB_REGISTRATIONS,
};

#define NOTIF_MAX_IN_FLIGHT 1024

/* One transfer the sender started, until its result is applied. */
typedef struct {
    char id[32];
    bool used;          /* a slot of the table in use */
    bool active;        /* the transfer runs (false: its result is posted) */
} notif_flight_t;

typedef struct notif {
    hub_daemon_t *d;                  /* borrowed */
    hub_store_t *store;               /* borrowed */
    MDB_dbi deliveries, dkeys, due, dead, inbox, recipients, requests, schedules;
    MDB_dbi activities, registrations;
    intake_catalogue_t *catalogue;    /* owned */
    notify_templates_t *templates;    /* owned */
    hub_arena_t *scratch;             /* owned: the sender's and lists' records */
    /* configuration */
    char operator_email[256], operator_webhook[512], operator_secret[256];
    unsigned max_attempts, max_in_flight;
    int64_t retry_base_ms, retry_max_ms, timeout_ms;
    char smtp_url[512], smtp_from[256], smtp_user[128], smtp_password[256];
    char smtp_envelope_from[256];     /* the address inside smtp_from's <...> */
    bool smtp_loopback;               /* smtp_url is this host: login without STARTTLS is allowed */
    char sms_url[512], sms_body[1024], sms_content_type[128];
    bool sms_json, sms_form;          /* escape values for JSON / URL-encode them */
    int64_t max_event_age_ms;         /* older events reach the inbox only */
    int quiet_start, quiet_end;       /* CST minutes of the day */
    notify_bucket_t bucket[5];        /* by Notification__Channel */
    int64_t offer_reminder_s, followup_after_s;
    int64_t activity_reminder_ms;     /* before an activity's start; 0 = no reminders */
    int sched_check_ms;
    char keys[2][3][41];              /* per feed: server public, public, secret */
    /* running */
    hub_feed_t *feed_intake, *feed_matching;
    hub_curl_t *curl;
    notif_flight_t *flights;          /* hash table of flight_cap slots */
    size_t flight_cap;                /* a power of two >= 2 * flight_limit */
    unsigned n_flights, n_active;     /* entries; transfers running */
    unsigned flight_limit;            /* entries at most (running + results waiting) */
    uv_timer_t pump_timer;
    hub_due_t sched;                  /* schedules due -> "notification.tick" */
    bool timers_on, stopping;
    uint32_t rnd;                     /* jitter generator state */
    hub_hist_t e2e_us;                /* event committed -> receiver acknowledged */
    hub_hist_t send_us;               /* one transfer's duration */
    hub_scrub_t scrub;                /* the store rewrite after an erasure */
} notif_t;

extern const char *const notification_db_names[];
extern const hub_handler_t notification_handlers[];

/* hub_service_t hooks. */
int notification_init(hub_daemon_t *d, int check_only, void **ctx, hub_error_t *err);
int notification_start(hub_daemon_t *d, void *ctx, hub_error_t *err);
void notification_stop(void *ctx);
void notification_fini(void *ctx);

/* Takes delivery d out of the queue (its due key). 0 or -1. */
int notif_due_del(hub_call_t *call, notif_t *n, const Notification__Delivery *d);
/* notification_privacy.c: applies intake.privacy.anonymized and
 * intake.subject.erased (blanks the contact of the requesters and
 * registrants named and their deliveries, stops pending ones, asks for the
 * store rewrite). 0 or -1 (feed rules). */
int notification_privacy_apply(hub_call_t *call, notif_t *n, const Hub__Event *ev);
/* "notification.subject.export" (operator): README "Personal data (PIPL)". */
int notification_subject_export_handler(hub_call_t *call, void *ctx);
/* "notification.subject.erase" (operator): blanks the directory recipients
 * and deliveries the export finds by phone/e-mail, asks for the rewrite. */
int notification_subject_erase_handler(hub_call_t *call, void *ctx);

#endif
