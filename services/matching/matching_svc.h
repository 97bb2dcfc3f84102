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
 *   codes       credit code -> org id (unique) */
#ifndef MATCHING_SVC_H
#define MATCHING_SVC_H

#include <uv.h>

#include "catalogue.h"
#include "hub_daemon.h"
#include "hub_due.h"
#include "hub_feed.h"
#include "hub_hist.h"

enum {
    MATCHING_DB_ORGS,
    MATCHING_DB_VOLUNTEERS,
    MATCHING_DB_CAND,
    MATCHING_DB_REFERRALS,
    MATCHING_DB_DEADLINES,
    MATCHING_DB_QUEUE,
    MATCHING_DB_UNMET,
    MATCHING_DB_CODES,
};

typedef struct {
    hub_daemon_t *d;                /* borrowed */
    intake_catalogue_t *catalogue;  /* owned */
    hub_store_t *store;             /* borrowed */
    MDB_dbi orgs, volunteers, cand, referrals, deadlines, queue, unmet, codes;
    hub_arena_t *scratch;           /* owned: records being filtered in a list */
    int64_t offer_timeout_s;        /* > 0 replaces the urgency-based timeout */
    int expire_check_ms;            /* how often due deadlines are looked for */
    hub_feed_t *feed;               /* owned: intake's events */
    hub_due_t expire;               /* deadlines due -> "matching.expire" */
    char server_key[41], public_key[41], secret_key[41];
    hub_hist_t decide_ns;           /* how long decisions take (gauges decide_p50_us, decide_p99_us) */
    hub_hist_t decide_cpu_ns;       /* their CPU time (decide_cpu_p50_us, decide_cpu_p99_us) */
} matching_t;

extern const char *const matching_db_names[];
extern const hub_handler_t matching_handlers[];

/* hub_service_t hooks. */
int matching_init(hub_daemon_t *d, int check_only, void **ctx, hub_error_t *err);
int matching_start(hub_daemon_t *d, void *ctx, hub_error_t *err);
void matching_stop(void *ctx);
void matching_fini(void *ctx);

#endif
