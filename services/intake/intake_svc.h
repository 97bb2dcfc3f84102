/* intake_svc: the intake daemon's command handlers (store + events) over
 * the domain rules of intake.h. main.c wires them into hub_daemon. */
#ifndef INTAKE_SVC_H
#define INTAKE_SVC_H

#include "catalogue.h"
#include "hub_daemon.h"
#include "hub_scrub.h"

enum { INTAKE_DB_REQUESTS, INTAKE_DB_IDEM, INTAKE_DB_OPINIONS, INTAKE_DB_OPINION_IDEM, INTAKE_DB_AUDIT,
       INTAKE_DB_ACTIVITIES, INTAKE_DB_REGISTRATIONS, INTAKE_DB_REG_IDEM, INTAKE_DB_REG_DUP };

typedef struct {
    intake_catalogue_t *catalogue;  /* owned */
    MDB_dbi requests, idem, opinions, opinion_idem;
    hub_store_t *store;             /* borrowed */
    hub_arena_t *scratch;           /* owned: records being filtered in a list */
    /* personal data (intake_privacy.c) */
    MDB_dbi audit;
    /* activities (intake_activity.c) */
    MDB_dbi activities, registrations;
    MDB_dbi reg_idem;               /* "channel\0message_id" -> registration id */
    MDB_dbi reg_dup;                /* "<activity>\0p:|e:|v:<who>" -> registration id, while it holds or waits */
    hub_rpc_t *rpc;                 /* borrowed, from start */
    hub_scrub_t scrub;              /* the store rewrite after a purge or an erasure */
    uv_timer_t retention;           /* the scheduled purge */
    bool retention_started;
    int64_t retention_ms;           /* 0 = no schedule */
    int64_t purge_interval_ms;
    char purge_next[64];            /* where the scheduled purge goes on */
} intake_t;

extern const char *const intake_db_names[];

/* Shared by the handler files. Key "channel\0message_id" of the
 * idempotency indexes into buf (< 512 bytes by the field limits); returns
 * its length. */
size_t intake_idem_key(char *buf, const char *channel, const char *message_id);
/* Next readable id "<prefix>YYYYMMDD-NNNNNN" from a per-day counter in the
 * call's transaction (so a refused command leaves it unchanged). 0 or an
 * MDB error. */
int intake_next_id(hub_call_t *call, intake_t *in, char prefix, char *id, size_t len, int64_t now);
/* The channel a command acts for: the CURVE identity (unless operator),
 * else the payload's. Borrowed. */
const char *intake_channel(hub_call_t *call, const char *payload_channel);
extern const hub_handler_t intake_handlers[];
/* intake_activity.c's commands (a second table, added at start). */
extern const hub_handler_t intake_activity_handlers[];
/* An opinion's activity_id, when set, names a CONSULTATION or HEARING.
 * 0, or -1 with call->err. */
int intake_opinion_activity_ok(hub_call_t *call, intake_t *in, const Intake__Opinion *o);
/* Withdraws r (CONFIRMED or WAITLISTED) from its activity a at now, gives
 * a freed place to the first on the waitlist (*promoted, or NULL), stores
 * both and a, publishes intake.registration.withdrawn (and .promoted) in
 * call->txn. r and a are arena records the caller loaded. 0, or -1 with
 * call->err. */
int intake_registration_withdraw(hub_call_t *call, intake_t *in, Intake__Registration *r, Intake__Activity *a,
                                 int64_t now, Intake__Registration **promoted);
/* Deletes r's duplicate-registration keys (they hold its phone digits or
 * e-mail): before anonymizing it. 0, or -1 with call->err. */
int intake_registration_drop_keys(hub_call_t *call, intake_t *in, const Intake__Registration *r);

/* hub_service_t hooks. */
int intake_init(hub_daemon_t *d, int check_only, void **ctx, hub_error_t *err);
void intake_fini(void *ctx);
/* Starts the store rewrite timer and the retention schedule ([intake]
 * retention_days, retention_period_ms, purge_interval_ms); stop closes them. */
int intake_start(hub_daemon_t *d, void *ctx, hub_error_t *err);
void intake_stop(void *ctx);

/* intake_privacy.c's handlers and timer callback. */
int intake_purge_handler(hub_call_t *call, void *ctx);
int intake_subject_export_handler(hub_call_t *call, void *ctx);
int intake_subject_erase_handler(hub_call_t *call, void *ctx);
int intake_audit_list_handler(hub_call_t *call, void *ctx);
void intake_retention_fire(uv_timer_t *t);

#endif
