/* reporting_svc: the reporting daemon's command handlers and its feeds of
 * every other daemon's events, over the domain of report.h, the HTML of
 * html.h and the dashboard of dash.h. main.c wires them into hub_daemon.
 *
 * Store (one LMDB environment, DATA_DIR/reporting): the databases of
 * report.h. Each event is applied in the same transaction as the feed's
 * cursor, so a kill -9 neither loses nor double-counts one.
 *
 * A district-level instance follows its district's daemons through
 * [reporting] <upstream>_pub/_api (the local district, records keyed
 * without a district). A city-level instance lists [reporting] districts
 * and follows each district D through [reporting.D] <upstream>_pub/_api
 * (and the key files of hub_feed_keys): feed "D.<upstream>", so each
 * district's upstream keeps its own cursor (meta "sub:D.intake:..."), and
 * its events are applied as district D's (rep_apply_district). */
#ifndef REPORTING_SVC_H
#define REPORTING_SVC_H

#include "catalogue.h"
#include "dash.h"
#include "hub_daemon.h"
#include "hub_feed.h"
#include "report.h"

#define REPORTING_FEEDS 4      /* intake, matching, notification, tendering */
#define REPORTING_MAX_DISTRICTS 16 /* [reporting] districts of one city instance */
/* every upstream of the local district and of each district */
#define REPORTING_MAX_FEEDS (REPORTING_FEEDS * (1 + REPORTING_MAX_DISTRICTS))

enum {
    REPORTING_DB_FACTS,
    REPORTING_DB_BY_DAY,
    REPORTING_DB_COUNTS,
    REPORTING_DB_TENDERS,
    REPORTING_DB_DISCLOSURES,
    REPORTING_DB_NAMES,
    REPORTING_DB_ACTIVITIES,
};

typedef struct {
    hub_daemon_t *d;                     /* borrowed */
    rep_dbs_t dbs;
    hub_arena_t *scratch;                /* owned: figures behind one report */
    rep_acc_t *acc;                      /* owned: a batch's counters (dbs.acc) */
    rep_peer_t peers[REPORTING_MAX_FEEDS + 1]; /* the upstreams followed, then reporting itself */
    int n_peers;                         /* upstreams followed (feeds[0..n_peers)) */
    hub_feed_t *feeds[REPORTING_MAX_FEEDS]; /* owned */
    char local[REP_DISTRICT_MAX + 1];    /* [reporting] district: the local district's name ("" none) */
    char districts[REPORTING_MAX_DISTRICTS][REP_DISTRICT_MAX + 1]; /* [reporting] districts */
    int n_districts;
    rep_dash_t *dash;                    /* owned: monitor + HTTP */
    intake_catalogue_t *catalogue;       /* owned: policy topics' names ([intake] catalogue) */
    char http[256];                      /* [reporting] http */
    int poll_ms, down_after_ms;
} reporting_t;

extern const char *const reporting_db_names[];
extern const hub_handler_t reporting_handlers[];

/* hub_service_t hooks. */
int reporting_init(hub_daemon_t *d, int check_only, void **ctx, hub_error_t *err);
int reporting_start(hub_daemon_t *d, void *ctx, hub_error_t *err);
void reporting_stop(void *ctx);
void reporting_fini(void *ctx);

/* The store layout this build writes: 2 added the policy-topic counter
 * ("pt") and the database "activities". */
#define REPORTING_SCHEMA_VERSION 2
/* hub_store_migrate_fn: moves a reporting store from schema `from` to
 * from + 1 (1 -> 2: rep_migrate_policy_topics). 0 or -1 with err. */
int reporting_migrate(hub_store_t *store, MDB_txn *txn, unsigned from, void *ctx, hub_error_t *err);

#endif
