/* report: reporting's domain. Folds every daemon's events into aggregates
 * and public facts (rep_apply), and answers figures over CST date ranges
 * as tables (rep_query). Plain functions over an LMDB transaction and the
 * dbis below: tests call them on a store in a temporary directory.
 *
 * Nothing personal is kept: per request only its id, service, street,
 * channel, requester kind, status, outcome and the times it reached each
 * stage; per opinion only topic, policy topic and street; per activity its
 * kind, street and day; per registration its state; per provider its id
 * (and an organization's public name; never a volunteer's); disbursements
 * only as tendering already masked them.
 *
 * Store (one LMDB environment, DATA_DIR/reporting):
 *   facts        [D SEP] request id -> reporting.RequestFact
 *   by_day       CST day (4 bytes BE, YYYYMMDD) + [D SEP] request id -> "" (the
 *                day the request was made; moved if intake's time differs)
 *   counts       metric [SEP D] \0 day (4 bytes BE) dims -> int64[REP_VALUES] (LE)
 *   tenders      [D SEP] ocid -> reporting.TenderFact
 *   disclosures  date_ms (8 bytes BE) + [D SEP] entry id -> reporting.Disclosure
 *   names        [D SEP] organization id -> its public name
 *   activities   [D SEP] activity id -> reporting.ActivityFact and
 *                [D SEP] registration id -> reporting.RegistrationFact
 * D is the district the events came from (a city instance follows several
 * districts: ids such as R20261126-000042 repeat across them); the local
 * district is "" and its keys carry no D at all, so a district-level
 * store keeps exactly the layout it always had.
 *
 * Counter metrics (dims joined by REP_SEP):
 *   "ev" source                 events applied per publisher
 *   "op" topic SEP street       opinions received
 *   "pt" policy topic SEP street opinions by policy topic (REP_UNLINKED when
 *                               none), on the day the opinion was received;
 *                               intake.opinion.linked moves one between topics
 *   "ac" kind SEP street        activities (REP_AC_*), on the day the activity
 *                               starts: held, cancelled, registrations and the
 *                               registrations' current states, volunteer hours
 *   "wl" kind SEP provider id   offers, accepted, declined, expired, completed, hours_x100
 *   "fd" ""                     donations, donations_fen, disbursements, disbursed_fen,
 *                               contributions, contributions_fen, payments, payments_fen
 *   "dl" channel SEP action     notification deliveries (sent|failed|dead|requeued)
 *
 * Figures (QueryRequest.figure, .by; tables named as below):
 *   requests   by service|street|channel|status|kind|day|month (default service):
 *              "requests_by_<by>" [<by>] -> requests, completed, unmet
 *   times      by service|street (default service): "times_by_<by>" [<by>] ->
 *              requests, offer_p50, offer_p90, accept_p50, accept_p90, close_p50,
 *              close_p90 (ms from the request; nearest-rank percentiles over the
 *              requests of the range that reached the stage; -1 none)
 *   outcomes   "outcomes" [outcome] -> requests (closed with an outcome)
 *   unmet      "unmet" [service, street] -> unmet (ever queued), queued (now)
 *   workload   "workload" [kind, provider, name] -> offers, accepted, declined,
 *              expired, completed, hours_x100 (public view: volunteers summed
 *              into one row, provider "*")
 *   tenders    "tenders_by_state" [state] -> processes, budget_fen, awarded_fen, paid_fen
 *              and "tenders" [ocid, title, buyer, state, winner] -> bids, budget_fen,
 *              awarded_fen, paid_fen (processes created in the range)
 *   funds      by month|day (default month): "funds_by_<by>" [<by>] -> donations,
 *              donations_fen, disbursements, disbursed_fen, contributions,
 *              contributions_fen, payments, payments_fen
 *   disclosures "disclosures" [date, recipient, street, purpose] -> amount_fen
 *   opinions   by topic|street|topic_street|policy_topic|policy_topic_street (default
 *              topic): "opinions_by_<by>" -> opinions (policy_topic*: the "pt" counter,
 *              rows that moved to zero left out)
 *   activities by kind|street|kind_street|month (default kind): "activities_by_<by>"
 *              [<by>] -> activities, cancelled, registrations, confirmed, waitlisted,
 *              withdrawn, attended, hours_x100 (activities starting in the range)
 *   deliveries "deliveries" [channel, action] -> deliveries
 *   summary    "summary" [figure] -> value: requests, completed, unmet, queued,
 *              opinions, tenders, awarded_fen, paid_fen, donations, donations_fen, disbursed_fen,
 *              deliveries, events
 * Districts (QueryRequest.district, by "district"): every figure can be
 *   limited to one district ("" all; the local one answers to rep_dbs_t.local
 *   or "-"); requests, times, opinions, activities and funds can be grouped by district
 *   (key column "district"); workload names a district's provider "D/id".
 *   The total row of a figure is the sum over the districts (the city).
 * Public view: every value of unit "count" between 1 and 4 becomes -1
 * ("<5"); where that hides only one cell of a column, the smallest other
 * non-zero cell of the column is hidden too (complementary suppression,
 * so no hidden count follows from a total); in times tables a group of
 * fewer than 5 requests hides its percentiles too; no total rows. Times
 * are clamped to [1970, 9999]. */
#ifndef REPORT_H
#define REPORT_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

#include "hub.pb-c.h"
#include "hub_wire.h"
#include "reporting.pb-c.h"

#define REP_VALUES 8           /* int64 values per counter key */
#define REP_SEP "\x1f"         /* between the dims of a counter key */
#define REP_SUPPRESS_BELOW 5   /* counts 1..4 are shown as "<5" in public */
#define REP_SUPPRESSED (-1)
#define REP_DISTRICT_MAX 16    /* bytes of a district name: [a-z0-9_-]{1,16} */
#define REP_UNLINKED "(unlinked)" /* the policy topic of an opinion linked to none */

/* The values of an "ac" counter (activities by kind and street). Every
 * registration is in registrations; a registration's current state counts
 * it in at most one of confirmed (a place held: CONFIRMED or ATTENDED, as
 * intake's Activity.confirmed), waitlisted, withdrawn; attended is the
 * part of confirmed that checked in. A promotion moves one from
 * waitlisted to confirmed; a cancelled activity's registrations leave
 * confirmed and waitlisted. */
enum {
    REP_AC_ACTIVITIES,       /* held: created and not cancelled */
    REP_AC_CANCELLED,
    REP_AC_REGISTRATIONS,
    REP_AC_CONFIRMED,
    REP_AC_WAITLISTED,
    REP_AC_WITHDRAWN,
    REP_AC_ATTENDED,
    REP_AC_HOURS_X100,       /* volunteer hours credited at check-in, x 100 */
};

typedef struct rep_acc rep_acc_t;

typedef struct {
    MDB_dbi facts, by_day, counts, tenders, disclosures, names, activities;
    rep_acc_t *acc;   /* optional (borrowed): counters gathered in memory and
                         written by rep_acc_flush, once per batch of events;
                         NULL: each event writes its counters at once */
    const char *local;   /* optional (borrowed): the name of the local district
                            (district ""), shown in "district" columns; NULL = "-" */
} rep_dbs_t;

/* True if name is a district name: [a-z0-9_-]{1,REP_DISTRICT_MAX}. */
bool rep_district_ok(const char *name);

/* The districts one instance reports on (borrowed; read-only once the
 * daemon runs, so HTTP threads may read them): the local one (local:
 * [reporting] district, "" when unnamed) and a city instance's
 * [reporting] districts. */
typedef struct {
    const char *local;
    const char (*names)[REP_DISTRICT_MAX + 1];
    int n;
} rep_districts_t;
/* 0 when district is "" or NULL (all of them), "-" or the local one's
 * name, or one of names; else -1 with err NOT_FOUND (field "district")
 * naming those there are. */
int rep_district_known(const rep_districts_t *set, const char *district, hub_error_t *err);
/* How a report's title names district: NULL for "" or NULL (all of them),
 * the local one's name (or "本区" when it has none) for "-", else the name
 * itself (borrowed). */
const char *rep_district_title(const rep_districts_t *set, const char *district);

/* Counter additions gathered in memory (key -> int64[REP_VALUES]), so a
 * batch of events costs one write per counter instead of one per event.
 * Owned by the caller. NULL on OOM. */
rep_acc_t *rep_acc_new(void);
void rep_acc_destroy(rep_acc_t **self_p);
/* Writes the gathered additions in txn and forgets them. 0 or an MDB
 * error (then the caller aborts the transaction; the additions are gone). */
int rep_acc_flush(rep_acc_t *self, MDB_txn *txn, const rep_dbs_t *db);
/* Forgets the gathered additions (their transaction was abandoned). */
void rep_acc_clear(rep_acc_t *self);

/* The CST (UTC+8) calendar day of t_ms as YYYYMMDD. */
uint32_t rep_day(int64_t t_ms);
/* Unix ms of 00:00 CST on y-m-d (m 13 = January of y+1, as timegm). */
int64_t rep_date_ms(int y, int m, int d);
/* Parses a period "2026" or "2026-11" (years 1971..9999, so the previous
 * one starts after 1970) into [*from_ms, *to_ms) (CST) and the previous
 * period of the same length. 0, or -1 with err. */
int rep_period(const char *period, int64_t *from_ms, int64_t *to_ms, int64_t *prev_from_ms,
               int64_t *prev_to_ms, hub_error_t *err);

/* Applies one event (its topic picks the payload type) in txn, which the
 * caller commits together with its subscriber cursor. Events of unknown
 * topics are counted ("ev") and otherwise ignored; applying is idempotent
 * per request stage but counters are not: apply each event once. Returns
 * 0, or -1 with either *mdb_rc set (a store error: abort the transaction)
 * or err set (INVALID_ARGUMENT: the payload does not decode; nothing was
 * written that matters). arena (borrowed) holds decoded payloads. */
int rep_apply(MDB_txn *txn, const rep_dbs_t *db, const Hub__Event *ev, hub_arena_t *arena, int *mdb_rc,
              hub_error_t *err);
/* rep_apply for an event of district (a rep_district_ok name; "" or NULL =
 * the local district): its records are kept apart from every other
 * district's (keys prefixed with the district, see the store above). */
int rep_apply_district(MDB_txn *txn, const rep_dbs_t *db, const char *district, const Hub__Event *ev,
                       hub_arena_t *arena, int *mdb_rc, hub_error_t *err);

/* Digests ev on a feed thread (hub_feed's digest hook): an
 * intake.request.* payload becomes a reporting.RequestDigest (all that
 * rep_apply keeps of it, allocated from arena) and ev->digest is set, so
 * the loop thread does not decode intake's whole request. Pure: no store,
 * no shared state. 0, or -1 when ev is left as it was (another topic, or
 * a payload that does not decode: rep_apply then refuses it). */
int rep_digest(Hub__Event *ev, hub_arena_t *arena);

/* Answers q over txn (read or write) at now_ms into *out (arena-owned).
 * 0, or -1 with *mdb_rc (store error) or err (INVALID_ARGUMENT: unknown
 * figure or by, from >= to; RESOURCE_EXHAUSTED: arena budget). Requests
 * are filtered by their exact time; counters (opinions, workload, funds,
 * deliveries, events) by whole CST days. Public view drops total rows. */
int rep_query(MDB_txn *txn, const rep_dbs_t *db, const Reporting__QueryRequest *q, int64_t now_ms,
              hub_arena_t *arena, Reporting__QueryReply **out, int *mdb_rc, hub_error_t *err);

/* The store migration from schema 1 to 2 (the "pt" counter came with
 * version 2): every opinion counted before ("op") is counted as
 * REP_UNLINKED under its street, on its day, in its district, so the
 * policy-topic figure holds every opinion and a later link moves a count
 * that is there. In txn (the caller's, with everything else of the
 * migration). 0 or an MDB error (ENOMEM). */
int rep_migrate_policy_topics(MDB_txn *txn, const rep_dbs_t *db);

/* The unit ("count", "ms", "fen", "hours_x100") of value column i of t. */
const char *rep_unit(const Reporting__Table *t, size_t i);

#endif
