/* matching_svc: the matching daemon's command handlers, its feed of
 * intake's events and its offer-deadline timer, over the domain rules of
 * match.h and the store layout below. main.c wires them into hub_daemon.
 *
 * Store (one LMDB environment, DATA_DIR/matching):
 *   orgs        id -> matching.Organization
 *   volunteers  id -> matching.Volunteer
 *   cand        service \0 area \0 kind(O|V) id -> match_cand_t (approved
 *               providers only; area "*" = district-wide)
 *   referrals   request id -> matching.Referral
 *   deadlines   deadline_ms (8 bytes BE) request id -> "" (pending offers)
 *   queue       request id -> "" (the operator queue: REJECTED referrals)
 *   unmet       service \0 street -> count (8 bytes BE)
 *   codes       credit code -> org id (unique)
 *   credits     registration id -> matching.ActivityCredit (volunteer hours
 *               credited by intake.registration.attended, once each) */
#ifndef MATCHING_SVC_H
#define MATCHING_SVC_H

#include <uv.h>

#include "catalogue.h"
#include "hub_daemon.h"
#include "hub_due.h"
#include "hub_feed.h"
#include "hub_hist.h"
#include "hub_scrub.h"
#include "matching.pb-c.h"

enum {
    MATCHING_DB_ORGS,
    MATCHING_DB_VOLUNTEERS,
    MATCHING_DB_CAND,
    MATCHING_DB_REFERRALS,
    MATCHING_DB_DEADLINES,
    MATCHING_DB_QUEUE,
    MATCHING_DB_UNMET,
    MATCHING_DB_CODES,
    MATCHING_DB_CREDITS,
};

typedef struct {
    hub_daemon_t *d;                /* borrowed */
    intake_catalogue_t *catalogue;  /* owned */
    hub_store_t *store;             /* borrowed */
    MDB_dbi orgs, volunteers, cand, referrals, deadlines, queue, unmet, codes, credits;
    hub_arena_t *scratch;           /* owned: records being filtered in a list */
    int64_t offer_timeout_s;        /* > 0 replaces the urgency-based timeout */
    int expire_check_ms;            /* how often due deadlines are looked for */
    hub_feed_t *feed;               /* owned: intake's events */
    hub_due_t expire;               /* deadlines due -> "matching.expire" */
    char server_key[41], public_key[41], secret_key[41];
    hub_hist_t decide_ns;           /* how long decisions take (gauges decide_p50_us, decide_p99_us) */
    hub_hist_t decide_cpu_ns;       /* their CPU time (decide_cpu_p50_us, decide_cpu_p99_us) */
    hub_scrub_t scrub;              /* the store rewrite after a subject's erasure */
} matching_t;

extern const char *const matching_db_names[];
extern const hub_handler_t matching_handlers[];

/* Stores a provider changed in place (exactly one of org, vol), refreshes
 * its entries in the candidate index (added when APPROVED, removed
 * otherwise; its services and areas as stored) and appends the
 * matching.ProviderEvent of topic to the outbox, in call->txn. 0, or -1
 * with call->err. */
int matching_provider_store(hub_call_t *call, matching_t *m, Matching__Organization *org, Matching__Volunteer *vol,
                            const char *topic);

/* matching_privacy.c: matching.subject.export (operator, auditor) and
 * matching.subject.erase (operator), README "Personal data (PIPL)". */
int matching_subject_export(hub_call_t *call, void *ctx);
int matching_subject_erase(hub_call_t *call, void *ctx);
/* hub_scrub_filter_fn of matching's store rewrite (arg: the matching_t):
 * the outbox's old provider and referral events lose what the erasure
 * took from the records (an erased volunteer's identifiers and name in
 * offers, contact persons an organization no longer lists). */
int matching_outbox_filter(MDB_txn *old_txn, int db, const MDB_val *key, MDB_val *val, hub_arena_t *arena,
                           void *arg);

/* hub_service_t hooks. */
int matching_init(hub_daemon_t *d, int check_only, void **ctx, hub_error_t *err);
int matching_start(hub_daemon_t *d, void *ctx, hub_error_t *err);
void matching_stop(void *ctx);
void matching_fini(void *ctx);

#endif
