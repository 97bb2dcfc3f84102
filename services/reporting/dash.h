/* dash: the monitoring dashboard of hub-reporting.
 *
 * A monitor thread subscribes (SUB, every topic) to each daemon's PUB
 * socket: heartbeats give each daemon's health (up while a heartbeat came
 * within down_after_ms, epoch, last sequence, uptime); every other event is
 * turned into a sanitized JSON line (rep_dash_event_json: no personal data)
 * and kept in a ring of the last DASH_RING events. Every poll_ms it asks
 * each daemon "hub.status" (version, counters, store size, subscriber
 * cursors -> lags).
 *
 * An HTTP server (libmicrohttpd, its own threads, bound to `listen`,
 * loopback by default) serves:
 *   GET /                      the live page (deploy/dashboard/index.html, embedded)
 *   GET /events                Server-Sent Events: the ring, then each event live
 *                              (id = ring position; Last-Event-ID resumes)
 *   GET /api/health            daemons' health and subscriber lags (JSON)
 *   GET /api/figures?figure=&by=&from=&to=&district=   one figure (JSON,
 *                              hub_fig_json); district: one district's (404
 *                              for one this instance does not report on)
 *   GET /metrics               every daemon's counters, Prometheus text format 0.0.4
 *   GET /report/yearly/YYYY, /report/monthly/YYYY-MM   the HTML reports (suppressed)
 *   GET /public/donations, /public/tenders             disclosure pages
 * Figures and reports are read in the HTTP thread's own read transaction
 * (hub_store_thread_read_begin). Anything else: 404; other methods: 405. */
#ifndef DASH_H
#define DASH_H

#include <stdbool.h>
#include <stdint.h>

#include "hub_client.h"
#include "hub_store.h"
#include "report.h"

#define DASH_RING 512          /* recent sanitized events kept for new pages */
#define DASH_MAX_PEERS 72         /* a city instance: 4 upstreams x (1 + 16 districts) + itself */

typedef struct {
    char name[32];             /* "intake", ... ("reporting" itself too) */
    char pub[256], api[256];   /* its event and command endpoints */
    bool curve;
    char server_key[41], public_key[41], secret_key[41];
} rep_peer_t;

typedef struct {
    const char *listen;        /* "127.0.0.1:7380"; "" = no HTTP server */
    const rep_peer_t *peers;   /* borrowed, copied by rep_dash_new */
    int n_peers;
    int poll_ms;               /* hub.status period */
    int down_after_ms;         /* no heartbeat for this long: down */
    void *zctx;                /* borrowed */
    hub_store_t *store;        /* borrowed: figures from HTTP threads */
    const rep_dbs_t *dbs;      /* borrowed */
    rep_districts_t districts; /* borrowed arrays: ?district= of /api/figures */
} rep_dash_conf_t;

typedef struct rep_dash rep_dash_t;

/* Starts the monitor thread and the HTTP server. Everything in c is
 * borrowed only for the call except zctx/store/dbs (must outlive the
 * dash). NULL with err (e.g. the listen address cannot be bound). */
rep_dash_t *rep_dash_new(const rep_dash_conf_t *c, hub_error_t *err);
/* Stops the server and the thread, frees everything. *self_p = NULL. */
void rep_dash_destroy(rep_dash_t **self_p);
/* The HTTP port actually bound (when listen asked port 0), 0 without HTTP. */
int rep_dash_port(const rep_dash_t *self);

/* Thread-safe snapshot of health and lags into *out (arena-owned). 0 or -1 (OOM). */
int rep_dash_health(rep_dash_t *self, hub_arena_t *arena, Reporting__HealthReply **out);

/* ---- the HTTP request's own parsing: pure functions (no MHD, no store),
 * so the fuzz harness (tests/fuzz/fuzz_http.c) reaches what a client controls ---- */

typedef enum {
    REP_DASH_NOT_FOUND = 0, /* 404 */
    REP_DASH_TOO_LONG,      /* 414: over 1024 bytes */
    REP_DASH_INDEX,         /* / and /index.html */
    REP_DASH_EVENTS,
    REP_DASH_HEALTH,
    REP_DASH_FIGURES,
    REP_DASH_METRICS,
    REP_DASH_REPORT,        /* kind "yearly" (period YYYY) or "monthly" (YYYY-MM) */
    REP_DASH_PUBLIC,        /* kind NULL, period "donations" or "tenders" */
} rep_dash_page_t;

typedef struct {
    rep_dash_page_t page;
    const char *kind;       /* static, or NULL */
    const char *period;     /* borrowed from the url, or static */
} rep_dash_route_t;

/* Routes url (the decoded path without the query, NUL-terminated, as
 * libmicrohttpd gives it). Never fails: anything unknown is NOT_FOUND. */
rep_dash_route_t rep_dash_route(const char *url);

/* Looks up query argument key: its URL-decoded value (borrowed) or NULL. */
typedef const char *(*rep_dash_arg_fn)(void *ctx, const char *key);
/* Builds GET /api/figures's query from its arguments figure (default
 * "summary"), by, from/to ("YYYY-MM-DD" CST or unix ms), district (absent
 * or "": every district) and public (only "", "1", "true"). q's strings
 * are borrowed from arg's values. 0, or -1 with err: INVALID_ARGUMENT
 * naming the argument, PERMISSION_DENIED for public=0 (exact figures are
 * not served over HTTP). Whether the district is one this instance
 * reports on is the caller's check (rep_district_known). */
int rep_dash_figure_query(rep_dash_arg_fn arg, void *ctx, Reporting__QueryRequest *q, hub_error_t *err);

/* The first ring id a new /events stream sends, given its Last-Event-ID
 * header (NULL or "" = none), the oldest id still in the ring and the id
 * of the next event: the id after last_event_id when the ring still holds
 * it and this dash sent it, else oldest. */
uint64_t rep_dash_resume_at(const char *last_event_id, uint64_t oldest, uint64_t next_id);

/* The sanitized one-line JSON of an event (malloc'd; NULL for heartbeats,
 * undecodable payloads or OOM): {"source","seq","topic","time_ms", and per
 * topic only public fields: request id, service, street, channel, status;
 * referral status, provider kind/id (organization name only), outcome;
 * opinion topic and street; tender ocid, title, state, amounts; funds
 * amounts; delivery channel and state}. Never a name, phone, e-mail,
 * address, description, text or memo of a person. */
char *rep_dash_event_json(const Hub__Event *ev);

#endif
