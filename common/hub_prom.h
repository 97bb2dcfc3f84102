/* hub_prom: the Prometheus text exposition format 0.0.4. A builder
 * gathers families and samples, then renders them with one HELP/TYPE pair
 * per family: the fixed families first, in the order declared, then the
 * daemons' own counters sorted by name. Shared by each daemon's metrics
 * endpoint (hub_metrics: one daemon) and hub-reporting's dashboard
 * /metrics (every daemon it monitors), so both expose the same names:
 *   hub_up, hub_last_seq, hub_uptime_seconds, hub_store_bytes    {daemon}
 *   hub_subscriber_seq, hub_subscriber_lag         {subscriber, publisher}
 *   hub_<counter>  (counter when it ends in _total, else gauge) {daemon}
 * Not thread-safe: one builder per rendering. */
#ifndef HUB_PROM_H
#define HUB_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "hub.pb-c.h"

#define HUB_PROM_MAX_NAME 128   /* longer counter names are cut */

typedef struct hub_prom hub_prom_t;

/* A new, empty builder. Caller owns it; NULL on OOM. */
hub_prom_t *hub_prom_new(void);
void hub_prom_destroy(hub_prom_t **self_p);

/* Declares a fixed family: name (a valid metric name), type ("gauge" or
 * "counter") and help text are borrowed and must outlive the builder
 * (string literals). Declaring a name twice keeps the first. */
void hub_prom_family(hub_prom_t *self, const char *name, const char *type, const char *help);
/* Declares the fixed families listed above (no samples yet). */
void hub_prom_std_families(hub_prom_t *self);
/* Adds a sample to the declared family `family` (borrowed) with the labels
 * given as name, value, name, value, ..., NULL (copied; values escaped).
 * A second sample with the same labels, or one of an undeclared family,
 * is dropped. */
void hub_prom_sample(hub_prom_t *self, const char *family, uint64_t value, ...)
    __attribute__((sentinel));
/* Adds a daemon's counter (as hub.status names it): family "hub_" + name
 * with every byte outside [A-Za-z0-9_] turned to '_', label daemon. Left
 * out when that falls on a fixed family; for two names that sanitize to
 * one, the first is kept. Both strings borrowed for the call only. */
void hub_prom_counter(hub_prom_t *self, const char *daemon, const char *counter, uint64_t value);
/* Adds what a daemon's own hub.status reply (borrowed) says of it: hub_up 1
 * (it answered), last sequence, uptime, store size, every counter, and
 * each durable subscriber cursor as hub_subscriber_seq (subscriber = the
 * daemon). Declares the fixed families first. */
void hub_prom_status(hub_prom_t *self, const Hub__StatusReply *st);
/* The text (malloc'd, NUL-terminated, *len bytes; caller frees), or NULL
 * when memory ran out here or in any earlier call. */
char *hub_prom_render(const hub_prom_t *self, size_t *len);

#endif
