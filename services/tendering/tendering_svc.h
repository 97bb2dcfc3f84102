/* tendering_svc: the tendering daemon's command handlers, its feed of
 * matching's organization events, the tender-period deadline timer and
 * the funds ledger, over the domain rules of tender.h and the OCDS output
 * of ocds.h. main.c wires them into hub_daemon.
 *
 * Store (one LMDB environment, DATA_DIR/tendering):
 *   processes      ocid -> tendering.Process (the whole process)
 *   releases       ocid \0 number (4 bytes BE) -> OCDS release JSON text,
 *                  written once when the public change is committed
 *   deadlines      tender_end_ms (8 bytes BE) ocid -> "" (ACTIVE tenders)
 *   orgs           id -> tendering.Org (from matching's events)
 *   entries        id -> tendering.Entry (the ledger's journal)
 *   accounts       name -> tendering.Account (running totals)
 *   contributions  id -> tendering.Contribution
 *   donations      id -> tendering.Donation
 *   disbursements  id -> tendering.Disbursement
 * Every command's state change, ledger entry, release and event commit in
 * one LMDB transaction, so a kill -9 leaves either all or none of them. */
#ifndef TENDERING_SVC_H
#define TENDERING_SVC_H

#include "hub_daemon.h"
#include "hub_due.h"
#include "hub_feed.h"
#include "hub_scrub.h"

enum {
    TENDERING_DB_PROCESSES,
    TENDERING_DB_RELEASES,
    TENDERING_DB_DEADLINES,
    TENDERING_DB_ORGS,
    TENDERING_DB_ENTRIES,
    TENDERING_DB_ACCOUNTS,
    TENDERING_DB_CONTRIBUTIONS,
    TENDERING_DB_DONATIONS,
    TENDERING_DB_DISBURSEMENTS,
};

typedef struct {
    hub_daemon_t *d;                 /* borrowed */
    hub_store_t *store;              /* borrowed */
    MDB_dbi processes, releases, deadlines, orgs, entries, accounts, contributions, donations, disbursements;
    hub_arena_t *scratch;            /* owned: records being filtered in a list */
    char ocid_prefix[64];            /* e.g. "ocds-hshub0" */
    char publisher_id[64], publisher_name[256], package_uri[512];
    int deadline_check_ms;
    char server_key[41], public_key[41], secret_key[41];  /* matching's CURVE keys */
    hub_feed_t *feed;                /* owned: matching's organization events */
    hub_due_t deadline;              /* tender periods due -> "tendering.tick" */
    hub_scrub_t scrub;               /* the store rewrite after a subject's erasure */
} tendering_t;

extern const char *const tendering_db_names[];
extern const hub_handler_t tendering_handlers[];

/* tendering_privacy.c: tendering.subject.export / .erase (operator). */
int tendering_subject_export(hub_call_t *call, void *ctx);
int tendering_subject_erase(hub_call_t *call, void *ctx);

/* hub_service_t hooks. */
int tendering_init(hub_daemon_t *d, int check_only, void **ctx, hub_error_t *err);
int tendering_start(hub_daemon_t *d, void *ctx, hub_error_t *err);
void tendering_stop(void *ctx);
void tendering_fini(void *ctx);

#endif
