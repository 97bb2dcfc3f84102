/* hub_hist: a latency histogram with bounded relative error (log2 buckets
 * split 16 ways: about 6 %), constant memory, no allocation. For daemon
 * gauges ("decide_p99_us") and benchmarks. Not thread-safe. */
#ifndef HUB_HIST_H
#define HUB_HIST_H

#include <stdint.h>

#define HUB_HIST_SUB 16
#define HUB_HIST_BUCKETS (64 * HUB_HIST_SUB)

typedef struct {
    uint64_t counts[HUB_HIST_BUCKETS];
    uint64_t n;
    uint64_t max;
} hub_hist_t;

/* Records one value (any unit, e.g. nanoseconds). */
void hub_hist_add(hub_hist_t *h, uint64_t v);
/* The value at quantile q (0..1): the upper edge of its bucket, capped at
 * the largest value seen; 0 when empty. */
uint64_t hub_hist_quantile(const hub_hist_t *h, double q);
void hub_hist_reset(hub_hist_t *h);

#endif
