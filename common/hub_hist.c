#include "hub_hist.h"

#include <string.h>

/* Bucket of v: values below HUB_HIST_SUB are exact; above, the top 4 bits
 * after the leading one pick the sub-bucket of its power of two. */
static unsigned s_bucket(uint64_t v)
{
    if (v < HUB_HIST_SUB) return (unsigned)v;
    unsigned lz = (unsigned)__builtin_clzll(v), top = 63 - lz;  /* top >= 4 */
    unsigned sub = (unsigned)(v >> (top - 4)) & (HUB_HIST_SUB - 1);
    return (top - 3) * HUB_HIST_SUB + sub;
}

/* The largest value that falls in bucket b. */
static uint64_t s_upper(unsigned b)
{
    if (b < HUB_HIST_SUB) return b;
    unsigned top = b / HUB_HIST_SUB + 3, sub = b % HUB_HIST_SUB;
    uint64_t base = (uint64_t)(HUB_HIST_SUB + sub) << (top - 4);
    return base + ((uint64_t)1 << (top - 4)) - 1;
}

void hub_hist_add(hub_hist_t *h, uint64_t v)
{
    h->counts[s_bucket(v)]++;
    h->n++;
    if (v > h->max) h->max = v;
}

uint64_t hub_hist_quantile(const hub_hist_t *h, double q)
{
    if (!h->n) return 0;
    uint64_t rank = (uint64_t)(q * (double)h->n + 0.5);
    if (rank < 1) rank = 1;
    if (rank > h->n) rank = h->n;
    uint64_t seen = 0;
    for (unsigned b = 0; b < HUB_HIST_BUCKETS; b++) {
        seen += h->counts[b];
        if (seen >= rank) {
            uint64_t u = s_upper(b);
            return u < h->max ? u : h->max;
        }
    }
    return h->max;
}

void hub_hist_reset(hub_hist_t *h) { memset(h, 0, sizeof *h); }
