/* hub_prom: Prometheus text format builder (see hub_prom.h). */
#include "hub_prom.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_util.h"

typedef struct {
    char name[HUB_PROM_MAX_NAME];
    const char *type, *help;   /* borrowed; help NULL for a daemon counter */
    bool fixed;
    size_t order;              /* declaration order */
} family_t;

typedef struct {
    size_t family;             /* index into families */
    char *labels;              /* owned: rendered `a="x",b="y"` */
    uint64_t value;
} sample_t;

struct hub_prom {
    family_t *families;
    size_t n_families, cap_families;
    sample_t *samples;
    size_t n_samples, cap_samples;
    bool oom;
};

hub_prom_t *hub_prom_new(void)
{
    return calloc(1, sizeof(hub_prom_t));
}

void hub_prom_destroy(hub_prom_t **self_p)
{
    hub_prom_t *self = *self_p;
    if (!self) return;
    for (size_t i = 0; i < self->n_samples; i++) free(self->samples[i].labels);
    free(self->samples);
    free(self->families);
    free(self);
    *self_p = NULL;
}

/* Grows *arr (of elem-sized items, *cap of them) to hold one more. 0 or -1. */
static int s_grow(void *arr_p, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    void *p = realloc(*(void **)arr_p, nc * elem);
    if (!p) return -1;
    *(void **)arr_p = p;
    *cap = nc;
    return 0;
}

/* Index of family name, or -1. */
static long s_find(const hub_prom_t *self, const char *name)
{
    for (size_t i = 0; i < self->n_families; i++)
        if (!strcmp(self->families[i].name, name)) return (long)i;
    return -1;
}

/* Adds a family (name copied, cut to HUB_PROM_MAX_NAME - 1). Its index, or -1 on OOM. */
static long s_add_family(hub_prom_t *self, const char *name, const char *type, const char *help, bool fixed)
{
    if (s_grow(&self->families, &self->cap_families, self->n_families, sizeof(family_t))) {
        self->oom = true;
        return -1;
    }
    family_t *f = &self->families[self->n_families];
    snprintf(f->name, sizeof f->name, "%s", name);
    f->type = type;
    f->help = help;
    f->fixed = fixed;
    f->order = self->n_families;
    return (long)self->n_families++;
}

void hub_prom_family(hub_prom_t *self, const char *name, const char *type, const char *help)
{
    if (s_find(self, name) < 0) s_add_family(self, name, type, help, true);
}

void hub_prom_std_families(hub_prom_t *self)
{
    hub_prom_family(self, "hub_up", "gauge", "Whether the daemon answers (heartbeat or hub.status) recently.");
    hub_prom_family(self, "hub_last_seq", "gauge", "The latest committed event sequence of the daemon's outbox.");
    hub_prom_family(self, "hub_uptime_seconds", "gauge", "Seconds since the daemon started.");
    hub_prom_family(self, "hub_store_bytes", "gauge", "Bytes the daemon's LMDB store takes on disk.");
    hub_prom_family(self, "hub_subscriber_seq", "gauge",
                    "The last event of the publisher the subscriber has durably applied.");
    hub_prom_family(self, "hub_subscriber_lag", "gauge", "Events the subscriber has not yet applied of the publisher.");
    hub_prom_family(self, "hub_queue_depth", "gauge", "Entries waiting in one of the daemon's queue databases.");
    hub_prom_family(self, "hub_principals", "gauge", "CURVE principals the daemon has loaded.");
}

/* Appends v to b as a label value: \\, \" and \n escaped (format 0.0.4). */
static void s_label_value(hub_buf_t *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\') hub_buf_put(b, "\\\\", 2);
        else if (*v == '"') hub_buf_put(b, "\\\"", 2);
        else if (*v == '\n') hub_buf_put(b, "\\n", 2);
        else hub_buf_put(b, v, 1);
    }
}

/* Adds a sample of family index fam with labels already rendered (owned: taken). */
static void s_add_sample(hub_prom_t *self, long fam, char *labels, uint64_t value)
{
    for (size_t i = 0; i < self->n_samples; i++)
        if (self->samples[i].family == (size_t)fam && !strcmp(self->samples[i].labels, labels)) {
            free(labels);
            return;
        }
    if (s_grow(&self->samples, &self->cap_samples, self->n_samples, sizeof(sample_t))) {
        self->oom = true;
        free(labels);
        return;
    }
    self->samples[self->n_samples++] = (sample_t){(size_t)fam, labels, value};
}

/* Renders labels from ap (name, value pairs up to NULL). Owned, or NULL on OOM. */
static char *s_labels(va_list ap)
{
    hub_buf_t b = {0};
    const char *k;
    hub_buf_put(&b, "", 0);
    for (int i = 0; (k = va_arg(ap, const char *)); i++) {
        const char *v = va_arg(ap, const char *);
        if (i) hub_buf_put(&b, ",", 1);
        hub_buf_put(&b, k, strlen(k));
        hub_buf_put(&b, "=\"", 2);
        s_label_value(&b, v ? v : "");
        hub_buf_put(&b, "\"", 1);
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

void hub_prom_sample(hub_prom_t *self, const char *family, uint64_t value, ...)
{
    long fam = s_find(self, family);
    if (fam < 0) return;
    va_list ap;
    va_start(ap, value);
    char *labels = s_labels(ap);
    va_end(ap);
    if (!labels) {
        self->oom = true;
        return;
    }
    s_add_sample(self, fam, labels, value);
}

/* Adds a sample of family index fam labelled daemon="<daemon>". */
static void s_sample_daemon(hub_prom_t *self, long fam, const char *daemon, uint64_t value)
{
    hub_buf_t b = {0};
    hub_buf_put(&b, "daemon=\"", 8);
    s_label_value(&b, daemon);
    hub_buf_put(&b, "\"", 1);
    if (b.oom) {
        free(b.p);
        self->oom = true;
        return;
    }
    s_add_sample(self, fam, b.p, value);
}

void hub_prom_counter(hub_prom_t *self, const char *daemon, const char *counter, uint64_t value)
{
    char name[HUB_PROM_MAX_NAME];
    size_t n = snprintf(name, sizeof name, "hub_%s", counter);
    if (n >= sizeof name) n = sizeof name - 1;
    for (size_t i = 4; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) name[i] = '_';
    }
    long fam = s_find(self, name);
    if (fam >= 0 && self->families[fam].fixed) return;
    if (fam < 0) {
        bool total = n >= 6 && !strcmp(name + n - 6, "_total");
        if ((fam = s_add_family(self, name, total ? "counter" : "gauge", NULL, false)) < 0) return;
    }
    s_sample_daemon(self, fam, daemon, value);
}

void hub_prom_status(hub_prom_t *self, const Hub__StatusReply *st)
{
    const char *d = st->source ? st->source : "";
    hub_prom_std_families(self);
    hub_prom_sample(self, "hub_up", 1, "daemon", d, NULL);
    hub_prom_sample(self, "hub_last_seq", st->last_seq, "daemon", d, NULL);
    hub_prom_sample(self, "hub_uptime_seconds", st->uptime_s > 0 ? (uint64_t)st->uptime_s : 0, "daemon", d, NULL);
    hub_prom_sample(self, "hub_store_bytes", st->store_bytes, "daemon", d, NULL);
    for (size_t i = 0; i < st->n_subscriptions; i++)
        hub_prom_sample(self, "hub_subscriber_seq", st->subscriptions[i]->seq, "subscriber", d, "publisher",
                        st->subscriptions[i]->publisher, NULL);
    for (size_t i = 0; i < st->n_queues; i++)
        hub_prom_sample(self, "hub_queue_depth", st->queues[i]->value, "daemon", d, "queue", st->queues[i]->name, NULL);
    if (*st->principals_digest) hub_prom_sample(self, "hub_principals", st->principals, "daemon", d, NULL);
    for (size_t i = 0; i < st->n_counters; i++)
        hub_prom_counter(self, d, st->counters[i]->name, st->counters[i]->value);
}

/* qsort order of families: fixed ones by declaration, then the rest by name. */
static int s_family_cmp(const void *a, const void *b)
{
    const family_t *x = *(const family_t *const *)a, *y = *(const family_t *const *)b;
    if (x->fixed != y->fixed) return x->fixed ? -1 : 1;
    if (x->fixed) return x->order < y->order ? -1 : x->order > y->order;
    return strcmp(x->name, y->name);
}

char *hub_prom_render(const hub_prom_t *self, size_t *len)
{
    if (self->oom) return NULL;
    const family_t **order = malloc((self->n_families + 1) * sizeof *order);
    if (!order) return NULL;
    for (size_t i = 0; i < self->n_families; i++) order[i] = &self->families[i];
    qsort(order, self->n_families, sizeof *order, s_family_cmp);
    hub_buf_t b = {0};
    hub_buf_put(&b, "", 0);
    char line[HUB_PROM_MAX_NAME + 64];
    for (size_t i = 0; i < self->n_families; i++) {
        const family_t *f = order[i];
        size_t fam = (size_t)(f - self->families);
        if (f->help) {
            hub_buf_put(&b, "# HELP ", 7);
            hub_buf_put(&b, f->name, strlen(f->name));
            hub_buf_put(&b, " ", 1);
            hub_buf_put(&b, f->help, strlen(f->help));
            hub_buf_put(&b, "\n", 1);
        }
        int n = snprintf(line, sizeof line, "# TYPE %s %s\n", f->name, f->type);
        hub_buf_put(&b, line, (size_t)n);
        for (size_t k = 0; k < self->n_samples; k++) {
            const sample_t *s = &self->samples[k];
            if (s->family != fam) continue;
            hub_buf_put(&b, f->name, strlen(f->name));
            hub_buf_put(&b, "{", 1);
            hub_buf_put(&b, s->labels, strlen(s->labels));
            n = snprintf(line, sizeof line, "} %llu\n", (unsigned long long)s->value);
            hub_buf_put(&b, line, (size_t)n);
        }
    }
    free(order);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}
