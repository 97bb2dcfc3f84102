#include "report.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hub_util.h"
#include "intake.pb-c.h"
#include "matching.pb-c.h"
#include "notification.pb-c.h"
#include "tendering.pb-c.h"

#define CST_MS (8 * 3600 * 1000LL)
#define KEY_MAX 480             /* counter keys stay under LMDB's 511 bytes */
#define REC_KEY_MAX (REP_DISTRICT_MAX + 1 + 200) /* [district SEP] id of a record */
#define MAX_MS 253402300799999LL /* 9999-12-31 23:59:59.999 UTC: times are clamped to [0, MAX_MS] */

/* ------------------------------------------------------------------ time */

static int64_t s_clamp_ms(int64_t t) { return t < 0 ? 0 : t > MAX_MS ? MAX_MS : t; }

uint32_t rep_day(int64_t t_ms)
{
    /* days since 1970-01-01 to the civil date (Howard Hinnant's
     * days_from_civil inverse): no gmtime_r and its time-zone lock on the
     * path of every event */
    int64_t z = (s_clamp_ms(t_ms) + CST_MS) / 86400000 + 719468;
    int64_t era = z / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) y++;
    return (uint32_t)(y * 10000 + m * 100 + d);
}

int64_t rep_date_ms(int y, int m, int d)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    return (int64_t)timegm(&tm) * 1000 - CST_MS;
}

int rep_period(const char *period, int64_t *from_ms, int64_t *to_ms, int64_t *prev_from_ms,
               int64_t *prev_to_ms, hub_error_t *err)
{
    int y = 0, m = 0, n = 0;
    size_t len = period ? strlen(period) : 0;
    if (len == 4 && sscanf(period, "%4d%n", &y, &n) == 1 && n == 4 && y >= 1971 && y <= 9999) {
        *from_ms = rep_date_ms(y, 1, 1);
        *to_ms = rep_date_ms(y + 1, 1, 1);
        *prev_from_ms = rep_date_ms(y - 1, 1, 1);
        *prev_to_ms = *from_ms;
        return 0;
    }
    if (len == 7 && period[4] == '-' && isdigit((unsigned char)period[5]) && isdigit((unsigned char)period[6]) &&
        sscanf(period, "%4d-%2d%n", &y, &m, &n) == 2 && n == 7 && y >= 1971 && y <= 9999 && m >= 1 && m <= 12) {
        *from_ms = rep_date_ms(y, m, 1);
        *to_ms = rep_date_ms(y, m + 1, 1);
        *prev_from_ms = rep_date_ms(y, m - 1, 1);
        *prev_to_ms = *from_ms;
        return 0;
    }
    return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "period",
                         "a period is a year (2026) or a month (2026-11)");
}

/* The length of s cut to at most max bytes on a UTF-8 character boundary
 * (so a cut Chinese text stays valid UTF-8 on the wire). */
static int s_cut(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    if (n <= max) return (int)n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    return (int)n;
}

/* ------------------------------------------------------------ the store */

/* Unpacks the record under key into arena. 0, MDB_NOTFOUND, another MDB
 * error, or MDB_CORRUPTED when it does not decode. */
static int s_get(MDB_txn *txn, MDB_dbi db, const void *key, size_t klen, const ProtobufCMessageDescriptor *desc,
                 hub_arena_t *arena, ProtobufCMessage **out)
{
    MDB_val k = {klen, (void *)key}, v;
    int rc = mdb_get(txn, db, &k, &v);
    if (rc) return rc;
    *out = protobuf_c_message_unpack(desc, hub_arena_allocator(arena), v.mv_size, v.mv_data);
    return *out ? 0 : MDB_CORRUPTED;
}

/* Packs m under key straight into LMDB's page (MDB_RESERVE), with more
 * put flags (MDB_NOOVERWRITE: MDB_KEYEXIST and nothing written when the
 * key is there). 0 or an MDB error. */
static int s_put_flags(MDB_txn *txn, MDB_dbi db, const void *key, size_t klen, const ProtobufCMessage *m,
                       unsigned flags)
{
    MDB_val k = {klen, (void *)key}, v = {protobuf_c_message_get_packed_size(m), NULL};
    int rc = mdb_put(txn, db, &k, &v, MDB_RESERVE | flags);
    if (!rc) protobuf_c_message_pack(m, v.mv_data);
    return rc;
}

static int s_put(MDB_txn *txn, MDB_dbi db, const void *key, size_t klen, const ProtobufCMessage *m)
{
    return s_put_flags(txn, db, key, klen, m, 0);
}

bool rep_district_ok(const char *name)
{
    size_t n = 0;
    for (; name && name[n]; n++)
        if (n >= REP_DISTRICT_MAX || !((name[n] >= 'a' && name[n] <= 'z') || (name[n] >= '0' && name[n] <= '9') ||
                                       name[n] == '_' || name[n] == '-'))
            return false;
    return n > 0;
}

int rep_district_known(const rep_districts_t *set, const char *district, hub_error_t *err)
{
    const char *local = set->local ? set->local : "";
    if (!district || !*district || !strcmp(district, "-") || (*local && !strcmp(district, local))) return 0;
    char list[64 * (REP_DISTRICT_MAX + 1) + 8] = "";
    size_t n = 0;
    for (int i = 0; i < set->n; i++) {
        if (!strcmp(district, set->names[i])) return 0;
        if (n < sizeof list) n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? " " : "", set->names[i]);
    }
    return hub_error_set(err, HUB__ERROR_CODE__NOT_FOUND, "district", "no district \"%.40s\" here (districts: %s)",
                         district, n ? list : *local ? local : "-");
}

const char *rep_district_title(const rep_districts_t *set, const char *district)
{
    if (!district || !*district) return NULL;
    if (strcmp(district, "-")) return district;
    return set->local && *set->local ? set->local : "本区";
}

/* Writes a district's record key, [district SEP] id (id cut at 200 bytes),
 * to key (room for REC_KEY_MAX). Returns its length. */
static size_t s_reckey(uint8_t *key, const char *district, size_t dlen, const char *id)
{
    size_t n = strnlen(id, 200);
    if (dlen) {
        memcpy(key, district, dlen);
        key[dlen++] = REP_SEP[0];
    }
    memcpy(key + dlen, id, n);
    return dlen + n;
}

/* Builds a counter key: metric [SEP district] \0 day (4 bytes BE) dims.
 * Returns its length. */
static size_t s_ckey(uint8_t *key, const char *metric, const char *district, size_t dlen, uint32_t day,
                     const char *dims)
{
    size_t ml = strlen(metric), dl = strlen(dims);
    memcpy(key, metric, ml);
    if (dlen) {
        key[ml] = REP_SEP[0];
        memcpy(key + ml + 1, district, dlen);
        ml += dlen + 1;
    }
    if (ml + 5 + dl > KEY_MAX) dl = (size_t)s_cut(dims, KEY_MAX - ml - 5);
    key[ml] = 0;
    key[ml + 1] = (uint8_t)(day >> 24);
    key[ml + 2] = (uint8_t)(day >> 16);
    key[ml + 3] = (uint8_t)(day >> 8);
    key[ml + 4] = (uint8_t)day;
    memcpy(key + ml + 5, dims, dl);
    return ml + 5 + dl;
}

/* ---- counters gathered in memory (rep_acc_t) ---- */

typedef struct {
    uint8_t *key;        /* malloc'd; NULL = free slot */
    size_t klen;
    int64_t v[REP_VALUES];
} acc_slot_t;

struct rep_acc {
    acc_slot_t *slot;
    size_t n, cap;       /* cap a power of two */
};

static uint64_t s_hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    while (n--) h = (h ^ *p++) * 1099511628211ULL;
    return h;
}

rep_acc_t *rep_acc_new(void)
{
    rep_acc_t *self = calloc(1, sizeof *self);
    if (self && !(self->slot = calloc(self->cap = 64, sizeof *self->slot))) {
        free(self);
        return NULL;
    }
    return self;
}

void rep_acc_clear(rep_acc_t *self)
{
    for (size_t i = 0; self && i < self->cap; i++) {
        free(self->slot[i].key);
        self->slot[i].key = NULL;
    }
    if (self) self->n = 0;
}

void rep_acc_destroy(rep_acc_t **self_p)
{
    rep_acc_t *self = *self_p;
    if (!self) return;
    rep_acc_clear(self);
    free(self->slot);
    free(self);
    *self_p = NULL;
}

/* The slot of key (created empty), or NULL on OOM. */
static acc_slot_t *s_acc_slot(rep_acc_t *self, const uint8_t *key, size_t klen)
{
    if ((self->n + 1) * 2 > self->cap) {
        size_t cap = self->cap * 2;
        acc_slot_t *slot = calloc(cap, sizeof *slot);
        if (!slot) return NULL;
        for (size_t i = 0; i < self->cap; i++) {
            if (!self->slot[i].key) continue;
            size_t j = s_hash_bytes(self->slot[i].key, self->slot[i].klen) & (cap - 1);
            while (slot[j].key) j = (j + 1) & (cap - 1);
            slot[j] = self->slot[i];
        }
        free(self->slot);
        self->slot = slot;
        self->cap = cap;
    }
    size_t j = s_hash_bytes(key, klen) & (self->cap - 1);
    for (; self->slot[j].key; j = (j + 1) & (self->cap - 1))
        if (self->slot[j].klen == klen && !memcmp(self->slot[j].key, key, klen)) return &self->slot[j];
    if (!(self->slot[j].key = malloc(klen))) return NULL;
    memcpy(self->slot[j].key, key, klen);
    self->slot[j].klen = klen;
    memset(self->slot[j].v, 0, sizeof self->slot[j].v);
    self->n++;
    return &self->slot[j];
}

/* Adds add[0..n) to the stored values of counter key in txn. 0 or an MDB error. */
static int s_count_put(MDB_txn *txn, MDB_dbi counts, const uint8_t *key, size_t klen, const int64_t *add, int n)
{
    MDB_val k = {klen, (void *)key}, v;
    int64_t vals[REP_VALUES] = {0};
    int rc = mdb_get(txn, counts, &k, &v);
    if (rc && rc != MDB_NOTFOUND) return rc;
    if (!rc) memcpy(vals, v.mv_data, v.mv_size < sizeof vals ? v.mv_size : sizeof vals);
    for (int i = 0; i < n && i < REP_VALUES; i++) vals[i] += add[i];
    v.mv_size = sizeof vals;
    v.mv_data = vals;
    return mdb_put(txn, counts, &k, &v, 0);
}

int rep_acc_flush(rep_acc_t *self, MDB_txn *txn, const rep_dbs_t *db)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < self->cap; i++)
        if (self->slot[i].key) rc = s_count_put(txn, db->counts, self->slot[i].key, self->slot[i].klen, self->slot[i].v, REP_VALUES);
    rep_acc_clear(self);
    return rc;
}

/* Adds add[0..n) to the values of counter (metric, district, day, dims): into the
 * accumulator when there is one, else in the store. 0 or an MDB error
 * (ENOMEM when the accumulator cannot grow). */
static int s_count(MDB_txn *txn, const rep_dbs_t *db, const char *metric, const char *district, size_t dlen,
                   uint32_t day, const char *dims, const int64_t *add, int n)
{
    uint8_t key[KEY_MAX + 8];
    size_t klen = s_ckey(key, metric, district, dlen, day, dims);
    if (db->acc) {
        acc_slot_t *slot = s_acc_slot(db->acc, key, klen);
        if (!slot) return ENOMEM;
        for (int i = 0; i < n && i < REP_VALUES; i++) slot->v[i] += add[i];
        return 0;
    }
    return s_count_put(txn, db->counts, key, klen, add, n);
}

/* The by_day key of a request: day (4 bytes BE) + its fact key
 * (REC_KEY_MAX bytes at most). Returns its length. */
static size_t s_daykey(uint8_t *key, uint32_t day, const uint8_t *fkey, size_t flen)
{
    key[0] = (uint8_t)(day >> 24), key[1] = (uint8_t)(day >> 16), key[2] = (uint8_t)(day >> 8), key[3] = (uint8_t)day;
    memcpy(key + 4, fkey, flen);
    return flen + 4;
}

/* Lower-case name of an enum value ("GOT_HELP" -> "got_help") into buf. */
static const char *s_enum(const ProtobufCEnumDescriptor *d, int v, char *buf, size_t cap)
{
    const ProtobufCEnumValue *e = protobuf_c_enum_descriptor_get_value(d, v);
    const char *n = e ? e->name : "unknown";
    size_t i = 0;
    for (; n[i] && i + 1 < cap; i++) buf[i] = (char)tolower((unsigned char)n[i]);
    buf[i] = 0;
    return buf;
}

static char *s_dup(hub_arena_t *a, const char *s) { return hub_arena_strdup(a, s ? s : ""); }


/* ------------------------------------------------------ applying events */

typedef struct {
    MDB_txn *txn;
    const rep_dbs_t *db;
    const Hub__Event *ev;
    hub_arena_t *arena;
    uint32_t day;        /* the event's CST day */
    int *mdb_rc;
    hub_error_t *err;
    const char *district; /* "" = the local district */
    size_t dlen;
} apply_t;

static int s_fail(apply_t *a, int rc)
{
    *a->mdb_rc = rc;
    return -1;
}

/* Counts add[0..n) on (metric, the event's district and day, dims). 0 or an MDB error. */
static int s_acount(apply_t *a, const char *metric, const char *dims, const int64_t *add, int n)
{
    return s_count(a->txn, a->db, metric, a->district, a->dlen, a->day, dims, add, n);
}

static int s_acount1(apply_t *a, const char *metric, const char *dims)
{
    int64_t one = 1;
    return s_acount(a, metric, dims, &one, 1);
}

/* The key of the event district's record id (room for REC_KEY_MAX). */
static size_t s_akey(const apply_t *a, uint8_t *key, const char *id) { return s_reckey(key, a->district, a->dlen, id); }

/* True if id can name a request: 1..200 bytes, no REP_SEP (which parts
 * a district from an id in the store's keys). */
static bool s_id_ok(const char *id) { return id && *id && strlen(id) <= 200 && !strchr(id, REP_SEP[0]); }

static ProtobufCMessage *s_payload(apply_t *a, const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = protobuf_c_message_unpack(d, hub_arena_allocator(a->arena), a->ev->payload.len,
                                                    a->ev->payload.data);
    if (!m)
        hub_error_set(a->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "payload", "%s: not a %s", a->ev->topic,
                      d->name);
    return m;
}

/* Loads the fact of request id, or starts a new one (*fresh). */
static int s_fact(apply_t *a, const char *id, Reporting__RequestFact **f, bool *fresh)
{
    if (!s_id_ok(id))
        return hub_error_set(a->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "id", "an event without a request id");
    uint8_t key[REC_KEY_MAX];
    int rc = s_get(a->txn, a->db->facts, key, s_akey(a, key, id), &reporting__request_fact__descriptor, a->arena,
                   (ProtobufCMessage **)f);
    *fresh = rc == MDB_NOTFOUND;
    if (rc && !*fresh) return s_fail(a, rc);
    if (*fresh) {
        *f = hub_arena_alloc(a->arena, sizeof **f);
        if (!*f) return hub_error_set(a->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
        reporting__request_fact__init(*f);
        (*f)->id = s_dup(a->arena, id);
    }
    return 0;
}

/* Stores f, moving its by_day entry from old_ms's day when the request's
 * time changed (old_ms 0: no entry yet). */
static int s_fact_put(apply_t *a, Reporting__RequestFact *f, int64_t old_ms, bool had_entry)
{
    uint8_t key[REC_KEY_MAX + 4], fkey[REC_KEY_MAX];
    size_t flen = s_akey(a, fkey, f->id);
    int rc;
    if (had_entry && rep_day(old_ms) != rep_day(f->requested_ms)) {
        MDB_val k = {s_daykey(key, rep_day(old_ms), fkey, flen), key};
        if ((rc = mdb_del(a->txn, a->db->by_day, &k, NULL)) && rc != MDB_NOTFOUND) return s_fail(a, rc);
        had_entry = false;
    }
    if (!had_entry) {
        MDB_val k = {s_daykey(key, rep_day(f->requested_ms), fkey, flen), key}, v = {0, ""};
        if ((rc = mdb_put(a->txn, a->db->by_day, &k, &v, 0))) return s_fail(a, rc);
    }
    if ((rc = s_put(a->txn, a->db->facts, fkey, flen, &f->base))) return s_fail(a, rc);
    return 0;
}

static const char *s_kind_name(const Intake__Person *p)
{
    if (!p) return "";
    switch (p->kind) {
    case INTAKE__REQUESTER_KIND__RESIDENT: return "resident";
    case INTAKE__REQUESTER_KIND__ORGANIZATION: return "organization";
    case INTAKE__REQUESTER_KIND__ENTERPRISE: return "enterprise";
    default: return "";
    }
}

/* What reporting keeps of intake's request (the digest; strings borrowed from r). */
static void s_digest_of(const Intake__Request *r, Reporting__RequestDigest *d)
{
    reporting__request_digest__init(d);
    d->id = r->service_request_id;
    d->channel = r->channel;
    d->service_code = r->service_code;
    d->street = r->street;
    d->requester_kind = (char *)s_kind_name(r->requester);
    d->requested_ms = r->requested_ms;
}

int rep_digest(Hub__Event *ev, hub_arena_t *arena)
{
    if (!ev->topic || strncmp(ev->topic, "intake.request.", 15) || ev->digest) return -1;
    hub_arena_mark_t mark = hub_arena_mark(arena);
    Intake__RequestEvent *re = (Intake__RequestEvent *)protobuf_c_message_unpack(
        &intake__request_event__descriptor, hub_arena_allocator(arena), ev->payload.len, ev->payload.data);
    if (!re || !re->request) {   /* the loop thread refuses it, as any undecodable event */
        hub_arena_rewind(arena, mark);
        return -1;
    }
    Reporting__RequestDigest d;
    s_digest_of(re->request, &d);
    size_t n = reporting__request_digest__get_packed_size(&d);
    uint8_t *buf = hub_arena_alloc(arena, n + 1);
    if (!buf) return -1;
    reporting__request_digest__pack(&d, buf);
    ev->payload.data = buf;
    ev->payload.len = n;
    ev->digest = true;
    return 0;
}

/* What intake says of a request: when (once), channel, service, street, kind. */
static void s_intake_fill(apply_t *a, Reporting__RequestFact *f, const Reporting__RequestDigest *r)
{
    if (!f->from_intake) {
        f->requested_ms = r->requested_ms ? r->requested_ms : a->ev->time_ms;
        f->from_intake = true;
    }
    f->channel = s_dup(a->arena, r->channel);
    if (*r->service_code) f->service_code = s_dup(a->arena, r->service_code);
    if (*r->street) f->street = s_dup(a->arena, r->street);
    if (*r->requester_kind) f->requester_kind = s_dup(a->arena, r->requester_kind);
}

/* intake.request.*: what, where, which channel, when; the request's own status. */
static int s_intake_request(apply_t *a, const char *action)
{
    Reporting__RequestDigest view, *r = &view;
    if (a->ev->digest) {   /* already digested on the feed thread (rep_digest) */
        if (!(r = (Reporting__RequestDigest *)s_payload(a, &reporting__request_digest__descriptor))) return -1;
    } else {
        Intake__RequestEvent *re = (Intake__RequestEvent *)s_payload(a, &intake__request_event__descriptor);
        if (!re) return -1;
        if (!re->request) return hub_error_set(a->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "request", "no request");
        s_digest_of(re->request, &view);
    }
    Reporting__RequestFact *f;
    bool fresh;
    if (!strcmp(action, "accepted") && s_id_ok(r->id)) {
        /* the common case, a new request: one put that fails if the fact
         * exists (matching's event came first), instead of a get and a put */
        Reporting__RequestFact nf = REPORTING__REQUEST_FACT__INIT;
        nf.id = r->id;
        s_intake_fill(a, &nf, r);
        nf.status = "open";
        uint8_t fkey[REC_KEY_MAX];
        size_t flen = s_akey(a, fkey, nf.id);
        int rc = s_put_flags(a->txn, a->db->facts, fkey, flen, &nf.base, MDB_NOOVERWRITE);
        if (!rc) {
            uint8_t key[REC_KEY_MAX + 4];
            MDB_val k = {s_daykey(key, rep_day(nf.requested_ms), fkey, flen), key}, v = {0, ""};
            rc = mdb_put(a->txn, a->db->by_day, &k, &v, 0);
            return rc ? s_fail(a, rc) : 0;
        }
        if (rc != MDB_KEYEXIST) return s_fail(a, rc);
    }
    if (s_fact(a, r->id, &f, &fresh)) return -1;
    int64_t old_ms = f->requested_ms;
    s_intake_fill(a, f, r);
    if (!strcmp(action, "accepted")) {
        if (!*f->status) f->status = "open";
    } else if (!strcmp(action, "cancelled")) {
        f->status = "cancelled";
        f->queued = false;
    } else if (!strcmp(action, "duplicate")) {
        f->status = "duplicate";
        f->queued = false;
    } else if (!strcmp(action, "closed")) {
        if (strcmp(f->status, "completed")) f->status = "closed";
        f->queued = false;
        if (!f->closed_ms) f->closed_ms = a->ev->time_ms;
    } else if (!strcmp(action, "reopened")) {
        f->status = "open";
        f->closed_ms = 0;
        f->outcome = "";
    }
    if (!*f->status) f->status = "open";
    return s_fact_put(a, f, old_ms, !fresh);
}

/* Counts one workload value (index i of "wl") for a provider. */
static int s_work(apply_t *a, Matching__ProviderKind kind, const char *id, int i, int64_t n)
{
    if (!id || !*id) return 0;
    char dims[256];
    snprintf(dims, sizeof dims, "%s" REP_SEP "%s",
             kind == MATCHING__PROVIDER_KIND__VOLUNTEER ? "volunteer" : "organization", id);
    int64_t add[REP_VALUES] = {0};
    add[i] = n;
    int rc = s_acount(a, "wl", dims, add, REP_VALUES);
    return rc ? s_fail(a, rc) : 0;
}

/* matching.referral.*: offers, acceptance, closure, outcome, unmet demand, workload. */
static int s_referral(apply_t *a, const char *action)
{
    Matching__ReferralEvent *re = (Matching__ReferralEvent *)s_payload(a, &matching__referral_event__descriptor);
    if (!re) return -1;
    const Matching__Referral *r = re->referral;
    if (!r) return hub_error_set(a->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "referral", "no referral");
    Reporting__RequestFact *f;
    bool fresh;
    if (s_fact(a, r->request_id, &f, &fresh)) return -1;
    int64_t old_ms = f->requested_ms, t = a->ev->time_ms;
    if (!f->from_intake) {   /* intake's event not applied yet: the referral's view */
        if (fresh) f->requested_ms = r->created_ms ? r->created_ms : t;
        if (*r->service_code) f->service_code = s_dup(a->arena, r->service_code);
        if (*r->street) f->street = s_dup(a->arena, r->street);
        if (*r->requester_kind) f->requester_kind = s_dup(a->arena, r->requester_kind);
    }
    const Matching__Offer *last = r->n_offers ? r->offers[r->n_offers - 1] : NULL;
    /* intake's word ends a request: once cancelled, a duplicate or closed,
     * matching's later steps (which may arrive before or after it on the
     * other feed) change its times and workload but not its status, so the
     * figures do not depend on the order the two feeds are applied in */
    bool ended = !strcmp(f->status, "cancelled") || !strcmp(f->status, "duplicate") || !strcmp(f->status, "closed");
    int w = 0;
    if (!strcmp(action, "offered")) {
        if (!f->first_offer_ms) f->first_offer_ms = t;
        if (!ended) f->status = "offered";
        f->queued = false;
        if (last) w = s_work(a, last->kind, last->provider_id, 0, 1);
    } else if (!strcmp(action, "accepted") || !strcmp(action, "assigned")) {
        if (!f->accepted_ms) f->accepted_ms = t;
        if (!ended) f->status = "accepted";
        f->queued = false;
        w = s_work(a, r->provider_kind, r->provider_id, 1, 1);
    } else if (!strcmp(action, "declined") || !strcmp(action, "expired")) {
        if (last) w = s_work(a, last->kind, last->provider_id, action[0] == 'd' ? 2 : 3, 1);
    } else if (!strcmp(action, "unmatched")) {
        f->unmet = true;
        if (!ended) f->status = "queued", f->queued = true;
    } else if (!strcmp(action, "started") || !strcmp(action, "resumed")) {
        if (!ended) f->status = "in_progress";
    } else if (!strcmp(action, "held")) {
        if (!ended) f->status = "on_hold";
    } else if (!strcmp(action, "completed")) {
        if (!ended || !strcmp(f->status, "closed")) f->status = "completed";
        if (!f->closed_ms) f->closed_ms = t;
        char buf[40];
        f->outcome = s_dup(a->arena, r->outcome ? s_enum(&matching__outcome__descriptor, r->outcome, buf, sizeof buf)
                                                : "");
        w = s_work(a, r->provider_kind, r->provider_id, 4, 1);
        if (!w && r->hours > 0) w = s_work(a, r->provider_kind, r->provider_id, 5, llround(r->hours * 100));
    } else if (!strcmp(action, "withdrawn")) {
        if (!ended) f->status = "cancelled";
        f->queued = false;
    } else if (!strcmp(action, "reopened")) {
        f->status = "open";
        f->closed_ms = 0;
        f->outcome = "";
    }
    if (w) return -1;
    if (!*f->status) f->status = "open";
    return s_fact_put(a, f, old_ms, !fresh);
}

/* matching.org.*: an organization's public name (volunteers' names are never kept). */
static int s_org(apply_t *a)
{
    Matching__ProviderEvent *pe = (Matching__ProviderEvent *)s_payload(a, &matching__provider_event__descriptor);
    if (!pe) return -1;
    if (!pe->org || !s_id_ok(pe->org->id)) return 0;
    uint8_t key[REC_KEY_MAX];
    MDB_val k = {s_akey(a, key, pe->org->id), key}, v = {strlen(pe->org->name), pe->org->name};
    int rc = mdb_put(a->txn, a->db->names, &k, &v, 0);
    return rc ? s_fail(a, rc) : 0;
}

/* Counts n on the policy-topic counter of an opinion: (policy topic or
 * REP_UNLINKED, street) on the day the opinion was received, so a later
 * link moves it within the same day and every range stays exact. */
static int s_policy_count(apply_t *a, const Intake__Opinion *o, const char *policy, int64_t n)
{
    char dims[256];
    const char *pt = policy && *policy ? policy : REP_UNLINKED, *street = *o->street ? o->street : "-";
    snprintf(dims, sizeof dims, "%.*s" REP_SEP "%.*s", s_cut(pt, 100), pt, s_cut(street, 100), street);
    uint32_t day = o->received_ms > 0 ? rep_day(o->received_ms) : a->day;
    return s_count(a->txn, a->db, "pt", a->district, a->dlen, day, dims, &n, 1);
}

/* intake.opinion.received: one more opinion on (topic, street) and on
 * (policy topic, street); no text, no author.
 * intake.opinion.linked: an operator linked it to a policy topic: its
 * count moves from previous_policy_topic to the new one (an activity
 * alone, or the same topic again, moves nothing). */
static int s_opinion(apply_t *a, bool linked)
{
    Intake__OpinionEvent *oe = (Intake__OpinionEvent *)s_payload(a, &intake__opinion_event__descriptor);
    if (!oe) return -1;
    const Intake__Opinion *o = oe->opinion;
    if (linked) {
        if (!o) return hub_error_set(a->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "opinion", "no opinion");
        const char *was = *oe->previous_policy_topic ? oe->previous_policy_topic : REP_UNLINKED;
        const char *now = *o->policy_topic ? o->policy_topic : REP_UNLINKED;
        if (!strcmp(was, now)) return 0;
        int rc = s_policy_count(a, o, was, -1);
        if (!rc) rc = s_policy_count(a, o, now, +1);
        return rc ? s_fail(a, rc) : 0;
    }
    char dims[256];
    const char *topic = o && *o->topic ? o->topic : "-", *street = o && *o->street ? o->street : "-";
    snprintf(dims, sizeof dims, "%.*s" REP_SEP "%.*s", s_cut(topic, 100), topic, s_cut(street, 100), street);
    int rc = s_acount1(a, "op", dims);
    if (!rc && o) rc = s_policy_count(a, o, o->policy_topic, 1);
    return rc ? s_fail(a, rc) : 0;
}

/* ---- activities ---- */

/* What one registration state counts in the "ac" values (REP_AC_*): a
 * place held (CONFIRMED, ATTENDED, as intake's Activity.confirmed), the
 * waitlist, a withdrawal, an attendance. A registration of a cancelled
 * activity counts in none (only in registrations). */
static void s_reg_contrib(int state, int64_t v[REP_VALUES], int64_t sign)
{
    switch (state) {
    case INTAKE__REGISTRATION_STATE__CONFIRMED: v[REP_AC_CONFIRMED] += sign; break;
    case INTAKE__REGISTRATION_STATE__WAITLISTED: v[REP_AC_WAITLISTED] += sign; break;
    case INTAKE__REGISTRATION_STATE__WITHDRAWN: v[REP_AC_WITHDRAWN] += sign; break;
    case INTAKE__REGISTRATION_STATE__ATTENDED:
        v[REP_AC_CONFIRMED] += sign;
        v[REP_AC_ATTENDED] += sign;
        break;
    default: break;
    }
}

/* Adds v to the "ac" counter of activity fact f (its kind and street, on
 * the day it starts). 0 or -1 (store error). */
static int s_ac_count(apply_t *a, const Reporting__ActivityFact *f, const int64_t v[REP_VALUES])
{
    char dims[256];
    const char *street = *f->street ? f->street : "-";
    snprintf(dims, sizeof dims, "%.*s" REP_SEP "%.*s", s_cut(f->kind, 40), f->kind, s_cut(street, 100), street);
    int rc = s_count(a->txn, a->db, "ac", a->district, a->dlen, f->day, dims, v, REP_VALUES);
    return rc ? s_fail(a, rc) : 0;
}

/* The fact of activity id, loaded, or made from act (the event's copy)
 * on first sight and counted there: one activity held, or cancelled.
 * NULL with err when neither is there. */
static Reporting__ActivityFact *s_act_fact(apply_t *a, const char *id, const Intake__Activity *act)
{
    if (!s_id_ok(id)) {
        hub_error_set(a->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "activity_id", "an event without an activity id");
        return NULL;
    }
    uint8_t key[REC_KEY_MAX];
    size_t klen = s_akey(a, key, id);
    Reporting__ActivityFact *f;
    int rc = s_get(a->txn, a->db->activities, key, klen, &reporting__activity_fact__descriptor, a->arena,
                   (ProtobufCMessage **)&f);
    if (!rc) return f;
    if (rc != MDB_NOTFOUND) return s_fail(a, rc), NULL;
    if (!act) {
        hub_error_set(a->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "activity", "activity %.40s unknown, none in the event", id);
        return NULL;
    }
    if (!(f = hub_arena_alloc(a->arena, sizeof *f))) {
        hub_error_set(a->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
        return NULL;
    }
    reporting__activity_fact__init(f);
    char kind[40];
    f->kind = act->kind ? s_dup(a->arena, s_enum(&intake__activity_kind__descriptor, act->kind, kind, sizeof kind)) : "-";
    f->street = s_dup(a->arena, act->street);
    f->day = act->starts_ms > 0 ? rep_day(act->starts_ms) : a->day;
    f->cancelled = act->status == INTAKE__ACTIVITY_STATUS__ACTIVITY_CANCELLED;
    int64_t v[REP_VALUES] = {0};
    v[f->cancelled ? REP_AC_CANCELLED : REP_AC_ACTIVITIES] = 1;
    if ((rc = s_put(a->txn, a->db->activities, key, klen, &f->base))) return s_fail(a, rc), NULL;
    return s_ac_count(a, f, v) ? NULL : f;
}

/* intake.activity.*: an activity held (first sight), or cancelled (moves
 * it from held to cancelled). No title, place or minutes are kept. */
static int s_activity(apply_t *a, const char *action)
{
    Intake__ActivityEvent *ae = (Intake__ActivityEvent *)s_payload(a, &intake__activity_event__descriptor);
    if (!ae) return -1;
    const Intake__Activity *act = ae->activity;
    if (!act) return hub_error_set(a->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "activity", "no activity");
    Reporting__ActivityFact *f = s_act_fact(a, act->activity_id, act);
    if (!f) return -1;
    if (strcmp(action, "cancelled") || f->cancelled) return 0;
    f->cancelled = true;
    int64_t v[REP_VALUES] = {0};
    v[REP_AC_ACTIVITIES] = -1;
    v[REP_AC_CANCELLED] = 1;
    uint8_t key[REC_KEY_MAX];
    int rc = s_put(a->txn, a->db->activities, key, s_akey(a, key, act->activity_id), &f->base);
    return rc ? s_fail(a, rc) : s_ac_count(a, f, v);
}

/* intake.registration.*: a registration's move from the state counted
 * before (none for a new one: one more registration) to the event's;
 * an attendance adds the volunteer hours it credited. The registrant is
 * never read. */
static int s_registration(apply_t *a)
{
    Intake__RegistrationEvent *re = (Intake__RegistrationEvent *)s_payload(a, &intake__registration_event__descriptor);
    if (!re) return -1;
    const Intake__Registration *r = re->registration;
    if (!r || !s_id_ok(r->registration_id))
        return hub_error_set(a->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "registration", "no registration id");
    const char *act_id = *r->activity_id ? r->activity_id : re->activity ? re->activity->activity_id : "";
    Reporting__ActivityFact *f = s_act_fact(a, act_id, re->activity);
    if (!f) return -1;
    uint8_t key[REC_KEY_MAX];
    size_t klen = s_akey(a, key, r->registration_id);
    Reporting__RegistrationFact *rf;
    int rc = s_get(a->txn, a->db->activities, key, klen, &reporting__registration_fact__descriptor, a->arena,
                   (ProtobufCMessage **)&rf);
    if (rc && rc != MDB_NOTFOUND) return s_fail(a, rc);
    int64_t v[REP_VALUES] = {0};
    int was = 0;
    if (rc == MDB_NOTFOUND) v[REP_AC_REGISTRATIONS] = 1;
    else was = rf->state;
    if (was == (int)r->state) return 0;
    s_reg_contrib(was, v, -1);
    s_reg_contrib((int)r->state, v, +1);
    if (r->state == INTAKE__REGISTRATION_STATE__ATTENDED && r->hours_credited > 0 &&
        r->hours_credited <= 100000)
        v[REP_AC_HOURS_X100] = llround(r->hours_credited * 100);
    Reporting__RegistrationFact nf = REPORTING__REGISTRATION_FACT__INIT;
    nf.activity_id = (char *)act_id;
    nf.state = (int32_t)r->state;
    if ((rc = s_put(a->txn, a->db->activities, key, klen, &nf.base))) return s_fail(a, rc);
    return s_ac_count(a, f, v);
}

/* Adds to the funds counter: slot i gets n, slot i + 1 gets fen. */
static int s_funds_add(apply_t *a, int i, int64_t fen)
{
    int64_t add[REP_VALUES] = {0};
    add[i] = 1;
    add[i + 1] = fen;
    int rc = s_acount(a, "fd", "", add, REP_VALUES);
    return rc ? s_fail(a, rc) : 0;
}

/* tendering.*: the process's public facts; payments into the funds figure. */
static int s_tender(apply_t *a, const char *action)
{
    Tendering__TenderEvent *te = (Tendering__TenderEvent *)s_payload(a, &tendering__tender_event__descriptor);
    if (!te) return -1;
    const Tendering__Process *p = te->process;
    if (!p || !s_id_ok(p->ocid)) return 0;
    Reporting__TenderFact *f = hub_arena_alloc(a->arena, sizeof *f);
    if (!f) return hub_error_set(a->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
    reporting__tender_fact__init(f);
    char kind[32], state[32];
    f->ocid = p->ocid;
    f->kind = s_dup(a->arena, s_enum(&tendering__kind__descriptor, p->kind, kind, sizeof kind));
    f->state = s_dup(a->arena, s_enum(&tendering__state__descriptor, p->state, state, sizeof state));
    f->title = p->title;
    f->buyer_name = p->buyer_name;
    if (p->need) {
        f->service_code = p->need->service;
        f->street = p->need->street;
    }
    f->budget_fen = p->budget_fen;
    f->created_ms = p->created_ms ? p->created_ms : a->ev->time_ms;
    f->published_ms = p->tender_start_ms;
    f->tender_end_ms = p->tender_end_ms;
    f->bids = p->bid_count;
    const Tendering__Award *aw = p->award;
    if (aw && (aw->status == TENDERING__AWARD_STATUS__AWARD_ACTIVE ||
               aw->status == TENDERING__AWARD_STATUS__AWARD_PENDING_STATUS)) {
        f->award_org_id = aw->org_id;
        f->award_org_name = aw->org_name;
        f->award_value_fen = p->contract && p->contract->value_fen ? p->contract->value_fen : aw->value_fen;
        f->awarded_ms = aw->date_ms;
    }
    if (p->contract) f->paid_fen = p->contract->paid_fen;
    if (p->state == TENDERING__STATE__CLOSED || p->state == TENDERING__STATE__CANCELLED ||
        p->state == TENDERING__STATE__UNSUCCESSFUL)
        f->closed_ms = p->closure && p->closure->date_ms ? p->closure->date_ms : a->ev->time_ms;
    f->updated_ms = a->ev->time_ms;
    uint8_t key[REC_KEY_MAX];
    int rc = s_put(a->txn, a->db->tenders, key, s_akey(a, key, f->ocid), &f->base);
    if (rc) return s_fail(a, rc);
    if (!strcmp(action, "payment.made") && te->payment) return s_funds_add(a, 6, te->payment->amount_fen);
    return 0;
}

/* funds.*: money received and given out; disbursements as disclosed (masked). */
static int s_funds(apply_t *a, const char *action)
{
    Tendering__FundsEvent *fe = (Tendering__FundsEvent *)s_payload(a, &tendering__funds_event__descriptor);
    if (!fe) return -1;
    if (!strcmp(action, "donation.received") && fe->donation) return s_funds_add(a, 0, fe->donation->amount_fen);
    if (!strcmp(action, "contribution.received") && fe->contribution)
        return s_funds_add(a, 4, fe->contribution->amount_fen);
    if (!strcmp(action, "disbursement.made") && fe->disbursement) {
        const Tendering__DisclosureItem *d = fe->disbursement;
        if (s_funds_add(a, 2, d->amount_fen)) return -1;
        Reporting__Disclosure rec = REPORTING__DISCLOSURE__INIT;
        rec.recipient = d->recipient;
        rec.street = d->street;
        rec.purpose = d->purpose;
        rec.amount_fen = d->amount_fen;
        rec.date_ms = d->date_ms ? d->date_ms : a->ev->time_ms;
        uint8_t key[8 + REC_KEY_MAX];
        hub_be64_put(key, (uint64_t)rec.date_ms);
        const char *id = fe->entry ? fe->entry->id : "";
        char sid[65];
        if (!*id || strchr(id, REP_SEP[0])) {   /* no (usable) entry id: the event's sequence keeps keys apart */
            snprintf(sid, sizeof sid, "#%llu", (unsigned long long)a->ev->seq);
        } else snprintf(sid, sizeof sid, "%.64s", id);
        int rc = s_put(a->txn, a->db->disclosures, key, 8 + s_akey(a, key + 8, sid), &rec.base);
        if (rc) return s_fail(a, rc);
    }
    return 0;
}

/* notification.delivery.<action>: deliveries by channel and outcome. */
static int s_delivery(apply_t *a, const char *action)
{
    Notification__DeliveryEvent *de =
        (Notification__DeliveryEvent *)s_payload(a, &notification__delivery_event__descriptor);
    if (!de) return -1;
    char ch[32], dims[80];
    s_enum(&notification__channel__descriptor, de->delivery ? (int)de->delivery->channel : 0, ch, sizeof ch);
    snprintf(dims, sizeof dims, "%s" REP_SEP "%.40s", ch, action);
    int rc = s_acount1(a, "dl", dims);
    return rc ? s_fail(a, rc) : 0;
}

static const char *s_after(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(s, prefix, n) ? NULL : s + n;
}

int rep_apply(MDB_txn *txn, const rep_dbs_t *db, const Hub__Event *ev, hub_arena_t *arena, int *mdb_rc,
              hub_error_t *err)
{
    return rep_apply_district(txn, db, "", ev, arena, mdb_rc, err);
}

int rep_apply_district(MDB_txn *txn, const rep_dbs_t *db, const char *district, const Hub__Event *ev,
                       hub_arena_t *arena, int *mdb_rc, hub_error_t *err)
{
    Hub__Event clamped = *ev;   /* a hostile time cannot overflow the day arithmetic */
    clamped.time_ms = s_clamp_ms(ev->time_ms);
    ev = &clamped;
    district = district ? district : "";
    apply_t a = {txn, db, ev, arena, rep_day(ev->time_ms), mdb_rc, err, district, strnlen(district, REP_DISTRICT_MAX)};
    *mdb_rc = 0;
    const char *topic = ev->topic ? ev->topic : "", *rest;
    int rc = s_acount1(&a, "ev", *ev->source ? ev->source : "-");
    if (rc) return s_fail(&a, rc);
    if ((rest = s_after(topic, "intake.request."))) return s_intake_request(&a, rest);
    if (!strcmp(topic, "intake.opinion.received")) return s_opinion(&a, false);
    if (!strcmp(topic, "intake.opinion.linked")) return s_opinion(&a, true);
    if ((rest = s_after(topic, "intake.activity."))) return s_activity(&a, rest);
    if (s_after(topic, "intake.registration.")) return s_registration(&a);
    if ((rest = s_after(topic, "matching.referral."))) return s_referral(&a, rest);
    if (s_after(topic, "matching.org.")) return s_org(&a);
    if ((rest = s_after(topic, "tendering."))) return s_tender(&a, rest);
    if ((rest = s_after(topic, "funds."))) return s_funds(&a, rest);
    if ((rest = s_after(topic, "notification.delivery."))) return s_delivery(&a, rest);
    return 0;
}

/* ------------------------------------------------------------- grouping */

/* A growable list of durations (malloc'd; freed with its group table). */
typedef struct {
    int64_t *v;
    size_t n, cap;
} vec_t;

typedef struct {
    char *key;           /* the group's key columns joined by REP_SEP (malloc'd: the
                            arena is rewound between records) */
    int64_t v[REP_VALUES];
    vec_t d[3];          /* times: to first offer, to acceptance, to closure */
} group_t;

/* Groups by key: open addressing over an array grown by doubling (all
 * malloc'd, freed by s_groups_free). */
typedef struct {
    group_t *g;
    size_t n, cap;
    bool oom;
} groups_t;

static uint64_t s_hash(const char *s) { return s_hash_bytes((const uint8_t *)s, strlen(s)); }

static void s_groups_free(groups_t *gs)
{
    for (size_t i = 0; i < gs->cap; i++) {
        free(gs->g[i].key);
        for (int j = 0; j < 3; j++) free(gs->g[i].d[j].v);
    }
    free(gs->g);
    memset(gs, 0, sizeof *gs);
}

/* The group of key, created empty on first use; NULL on OOM. */
static group_t *s_group(groups_t *gs, const char *key)
{
    if ((gs->n + 1) * 2 > gs->cap) {
        size_t cap = gs->cap ? gs->cap * 2 : 64;
        group_t *g = calloc(cap, sizeof *g);
        if (!g) return gs->oom = true, NULL;
        for (size_t i = 0; i < gs->cap; i++) {
            if (!gs->g[i].key) continue;
            size_t j = s_hash(gs->g[i].key) & (cap - 1);
            while (g[j].key) j = (j + 1) & (cap - 1);
            g[j] = gs->g[i];
        }
        free(gs->g);
        gs->g = g;
        gs->cap = cap;
    }
    size_t j = s_hash(key) & (gs->cap - 1);
    while (gs->g[j].key) {
        if (!strcmp(gs->g[j].key, key)) return &gs->g[j];
        j = (j + 1) & (gs->cap - 1);
    }
    if (!(gs->g[j].key = strdup(key))) return gs->oom = true, NULL;
    gs->n++;
    return &gs->g[j];
}

static int s_vec_add(vec_t *v, int64_t x)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        int64_t *p = realloc(v->v, cap * sizeof *p);
        if (!p) return -1;
        v->v = p;
        v->cap = cap;
    }
    v->v[v->n++] = x;
    return 0;
}

static int s_cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile p (0..100] of v (sorted here); -1 when empty. */
static int64_t s_pct(vec_t *v, int p, bool sorted)
{
    if (!v->n) return -1;
    if (!sorted) qsort(v->v, v->n, sizeof *v->v, s_cmp64);
    size_t rank = (size_t)(((uint64_t)p * v->n + 99) / 100);
    return v->v[(rank ? rank : 1) - 1];
}

/* ---------------------------------------------------------------- tables */

typedef struct {
    MDB_txn *txn;
    const rep_dbs_t *db;
    const Reporting__QueryRequest *q;
    hub_arena_t *arena;
    int64_t from, to;             /* [from, to) in ms */
    uint32_t day_from, day_to;    /* CST days, inclusive */
    Reporting__QueryReply *rep;
    int *mdb_rc;
    hub_error_t *err;
    const char *by;               /* the grouping in force (the request's, or a figure's default) */
    const char *only;             /* the district asked for (request's district): NULL = all,
                                     "" = the local one */
    char district[REP_DISTRICT_MAX + 1]; /* the district of the record at hand ("" local) */
} query_t;

/* The record key k: its district (into q->district, "" for the local one)
 * and the id after it (*id, *idlen). False when the query leaves that
 * district out. */
static bool s_in_district(query_t *q, const uint8_t *k, size_t klen, const uint8_t **id, size_t *idlen)
{
    const uint8_t *sep = memchr(k, REP_SEP[0], klen < REP_DISTRICT_MAX + 1 ? klen : REP_DISTRICT_MAX + 1);
    size_t dlen = sep ? (size_t)(sep - k) : 0;
    memcpy(q->district, k, dlen);
    q->district[dlen] = 0;
    *id = sep ? sep + 1 : k;
    *idlen = klen - (size_t)(*id - k);
    return !q->only || !strcmp(q->only, q->district);
}

/* The name shown for the district of the record at hand. */
static const char *s_district_name(const query_t *q)
{
    return *q->district ? q->district : q->db->local && *q->db->local ? q->db->local : "-";
}

static int s_oom(query_t *q)
{
    return hub_error_set(q->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "the answer does not fit in memory");
}

static char **s_strv(hub_arena_t *a, const char *const *src, size_t n)
{
    char **v = hub_arena_alloc(a, (n ? n : 1) * sizeof *v);
    for (size_t i = 0; v && i < n; i++)
        if (!(v[i] = hub_arena_strdup(a, src[i]))) return NULL;
    return v;
}

/* A new table of the reply (arena-owned), rows for up to cap rows.
 * keys/values/units are NULL-terminated lists; units NULL = all counts. */
static Reporting__Table *s_table(query_t *q, const char *name, const char *title, const char *const *keys,
                                 const char *const *values, const char *const *units, size_t cap)
{
    Reporting__Table *t = hub_arena_alloc(q->arena, sizeof *t);
    if (!t) return NULL;
    reporting__table__init(t);
    t->name = hub_arena_strdup(q->arena, name);
    t->title = hub_arena_strdup(q->arena, title);
    size_t nk = 0, nv = 0;
    while (keys[nk]) nk++;
    while (values[nv]) nv++;
    t->key_columns = s_strv(q->arena, keys, nk);
    t->n_key_columns = nk;
    t->value_columns = s_strv(q->arena, values, nv);
    t->n_value_columns = nv;
    t->units = hub_arena_alloc(q->arena, nv * sizeof *t->units + 1);
    t->n_units = nv;
    for (size_t i = 0; t->units && i < nv; i++) t->units[i] = (char *)(units ? units[i] : "count");
    t->rows = hub_arena_alloc(q->arena, (cap ? cap : 1) * sizeof *t->rows);
    if (!t->name || !t->title || !t->key_columns || !t->value_columns || !t->units || !t->rows) return NULL;
    void **tabs = hub_arena_alloc(q->arena, (q->rep->n_tables + 1) * sizeof *tabs);
    if (!tabs) return NULL;
    if (q->rep->n_tables) memcpy(tabs, q->rep->tables, q->rep->n_tables * sizeof *tabs);
    tabs[q->rep->n_tables] = t;
    q->rep->tables = (Reporting__Table **)tabs;
    q->rep->n_tables++;
    return t;
}

/* A row of key (its columns joined by REP_SEP) and n values, arena-owned. */
static Reporting__Row *s_row(query_t *q, const char *key, size_t nk, const int64_t *v, size_t nv)
{
    Reporting__Row *r = hub_arena_alloc(q->arena, sizeof *r);
    if (!r) return NULL;
    reporting__row__init(r);
    r->keys = hub_arena_alloc(q->arena, (nk ? nk : 1) * sizeof *r->keys);
    r->values = hub_arena_alloc(q->arena, (nv ? nv : 1) * sizeof *r->values);
    if (!r->keys || !r->values) return NULL;
    const char *p = key;
    for (size_t i = 0; i < nk; i++) {
        const char *e = p ? strstr(p, REP_SEP) : NULL;
        size_t len = p ? (e ? (size_t)(e - p) : strlen(p)) : 0;
        char *s = hub_arena_alloc(q->arena, len + 1);
        if (!s) return NULL;
        if (len) memcpy(s, p, len);
        s[len] = 0;
        r->keys[i] = s;
        p = e ? e + 1 : NULL;
    }
    r->n_keys = nk;
    memcpy(r->values, v, nv * sizeof *v);
    r->n_values = nv;
    return r;
}

static int s_group_cmp_desc(const void *a, const void *b)
{
    const group_t *x = *(const group_t *const *)a, *y = *(const group_t *const *)b;
    if (x->v[0] != y->v[0]) return x->v[0] < y->v[0] ? 1 : -1;
    return strcmp(x->key, y->key);
}

static int s_group_cmp_key(const void *a, const void *b)
{
    return strcmp((*(const group_t *const *)a)->key, (*(const group_t *const *)b)->key);
}

/* The groups of gs in order (by_key: key ascending; else first value
 * descending), malloc'd. */
static group_t **s_sorted(groups_t *gs, bool by_key)
{
    group_t **v = malloc((gs->n ? gs->n : 1) * sizeof *v);
    if (!v) return NULL;
    size_t n = 0;
    for (size_t i = 0; i < gs->cap; i++)
        if (gs->g[i].key) v[n++] = &gs->g[i];
    qsort(v, n, sizeof *v, by_key ? s_group_cmp_key : s_group_cmp_desc);
    return v;
}

/* Fills t with the groups' first nv values (and a total row of them). */
static int s_fill(query_t *q, Reporting__Table *t, groups_t *gs, bool by_key, size_t nv)
{
    group_t **v = s_sorted(gs, by_key);
    if (!v) return s_oom(q);
    int64_t total[REP_VALUES] = {0};
    for (size_t i = 0; i < gs->n; i++) {
        if (!(t->rows[t->n_rows++] = s_row(q, v[i]->key, t->n_key_columns, v[i]->v, nv))) {
            free(v);
            return s_oom(q);
        }
        for (size_t j = 0; j < nv; j++) total[j] += v[i]->v[j];
    }
    free(v);
    if (!(t->total = s_row(q, "合计", 1, total, nv))) return s_oom(q);
    return 0;
}

/* ------------------------------------------------------------- requests */

typedef bool (*fact_fn)(query_t *q, const Reporting__RequestFact *f, groups_t *gs);

/* Calls fn for each request made in [from, to) (the by_day index, then the
 * exact time). 0 or -1. */
static int s_each_fact(query_t *q, fact_fn fn, groups_t *gs)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(q->txn, q->db->by_day, &c);
    if (rc) return *q->mdb_rc = rc, -1;
    uint8_t start[4] = {(uint8_t)(q->day_from >> 24), (uint8_t)(q->day_from >> 16), (uint8_t)(q->day_from >> 8),
                        (uint8_t)q->day_from};
    MDB_val k = {4, start}, v;
    hub_arena_mark_t mark = hub_arena_mark(q->arena);
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); !rc; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < 5) continue;
        const uint8_t *p = k.mv_data;
        uint32_t day = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        if (day > q->day_to) break;
        const uint8_t *id;
        size_t idlen;
        if (!s_in_district(q, p + 4, k.mv_size - 4, &id, &idlen)) continue;
        MDB_val fk = {k.mv_size - 4, (uint8_t *)k.mv_data + 4}, fv;
        if ((rc = mdb_get(q->txn, q->db->facts, &fk, &fv))) break;
        Reporting__RequestFact *f = (Reporting__RequestFact *)protobuf_c_message_unpack(
            &reporting__request_fact__descriptor, hub_arena_allocator(q->arena), fv.mv_size, fv.mv_data);
        if (!f) { rc = MDB_CORRUPTED; break; }
        bool ok = f->requested_ms < q->from || f->requested_ms >= q->to || fn(q, f, gs);
        hub_arena_rewind(q->arena, mark);
        if (!ok || gs->oom) { mdb_cursor_close(c); return s_oom(q); }
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND) return *q->mdb_rc = rc, -1;
    return 0;
}

/* The key of request f for grouping `by` into buf. */
static const char *s_fact_key(const query_t *q, const Reporting__RequestFact *f, const char *by, char *buf,
                              size_t cap)
{
    if (!strcmp(by, "service")) return *f->service_code ? f->service_code : "-";
    if (!strcmp(by, "street")) return *f->street ? f->street : "-";
    if (!strcmp(by, "channel")) return *f->channel ? f->channel : "-";
    if (!strcmp(by, "status")) return *f->status ? f->status : "-";
    if (!strcmp(by, "kind")) return *f->requester_kind ? f->requester_kind : "-";
    if (!strcmp(by, "district")) return s_district_name(q);
    uint32_t d = rep_day(f->requested_ms);
    if (!strcmp(by, "month")) snprintf(buf, cap, "%04u-%02u", d / 10000, d / 100 % 100);
    else snprintf(buf, cap, "%04u-%02u-%02u", d / 10000, d / 100 % 100, d % 100);
    return buf;
}

static bool s_requests_one(query_t *q, const Reporting__RequestFact *f, groups_t *gs)
{
    char buf[16];
    group_t *g = s_group(gs, s_fact_key(q, f, q->by, buf, sizeof buf));
    if (!g) return false;
    g->v[0]++;
    if (f->closed_ms && (!strcmp(f->status, "completed") || !strcmp(f->status, "closed"))) g->v[1]++;
    if (f->unmet) g->v[2]++;
    return true;
}

static bool s_times_one(query_t *q, const Reporting__RequestFact *f, groups_t *gs)
{
    char buf[16];
    group_t *g = s_group(gs, s_fact_key(q, f, q->by, buf, sizeof buf));
    if (!g) return false;
    g->v[0]++;
    const int64_t at[3] = {f->first_offer_ms, f->accepted_ms, f->closed_ms};
    for (int i = 0; i < 3; i++)
        if (at[i] && s_vec_add(&g->d[i], at[i] > f->requested_ms ? at[i] - f->requested_ms : 0)) return false;
    return true;
}

static bool s_outcomes_one(query_t *q, const Reporting__RequestFact *f, groups_t *gs)
{
    (void)q;
    if (!*f->outcome) return true;
    group_t *g = s_group(gs, f->outcome);
    return g && ++g->v[0];
}

static bool s_unmet_one(query_t *q, const Reporting__RequestFact *f, groups_t *gs)
{
    (void)q;
    if (!f->unmet) return true;
    char key[420];
    const char *svc = *f->service_code ? f->service_code : "-", *street = *f->street ? f->street : "-";
    snprintf(key, sizeof key, "%.*s" REP_SEP "%.*s", s_cut(svc, 200), svc, s_cut(street, 200), street);
    group_t *g = s_group(gs, key);
    if (!g) return false;
    g->v[0]++;
    if (f->queued) g->v[1]++;
    return true;
}

static const char *s_by(query_t *q, const char *const *allowed)
{
    const char *by = q->q->by;
    if (!*by) return allowed[0];
    for (size_t i = 0; allowed[i]; i++)
        if (!strcmp(by, allowed[i])) return allowed[i];
    return NULL;
}

static int s_bad_by(query_t *q, const char *what)
{
    return hub_error_set(q->err, HUB__ERROR_CODE__INVALID_ARGUMENT, "by", "%s can be grouped by %s", q->q->figure,
                         what);
}

static const char *s_by_title(const char *by)
{
    static const char *const names[][2] = {{"service", "服务类别"}, {"street", "街道"},  {"channel", "渠道"},
                                           {"status", "状态"},      {"kind", "求助方"}, {"day", "日期"},
                                           {"month", "月份"},       {"topic", "议题"},  {"district", "区县"}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(by, names[i][0])) return names[i][1];
    return by;
}

static int s_q_requests(query_t *q)
{
    static const char *const allowed[] = {"service", "street", "channel", "status", "kind", "day", "month", "district", NULL};
    const char *by = s_by(q, allowed);
    if (!by) return s_bad_by(q, "service, street, channel, status, kind, day, month or district");
    q->by = by;
    groups_t gs = {0};
    int rc = s_each_fact(q, s_requests_one, &gs);
    if (rc) return s_groups_free(&gs), -1;
    char name[64], title[96];
    snprintf(name, sizeof name, "requests_by_%s", by);
    snprintf(title, sizeof title, "求助数（按%s）", s_by_title(by));
    const char *keys[] = {by, NULL}, *vals[] = {"requests", "completed", "unmet", NULL};
    Reporting__Table *t = s_table(q, name, title, keys, vals, NULL, gs.n);
    rc = t ? s_fill(q, t, &gs, !strcmp(by, "day") || !strcmp(by, "month") || !strcmp(by, "district"), 3) : s_oom(q);
    s_groups_free(&gs);
    return rc;
}

static int s_q_times(query_t *q)
{
    static const char *const allowed[] = {"service", "street", "district", NULL};
    const char *by = s_by(q, allowed);
    if (!by) return s_bad_by(q, "service, street or district");
    q->by = by;
    groups_t gs = {0};
    int rc = s_each_fact(q, s_times_one, &gs);
    if (rc) return s_groups_free(&gs), -1;
    char name[64], title[96];
    snprintf(name, sizeof name, "times_by_%s", by);
    snprintf(title, sizeof title, "响应时间（按%s，中位数 / 90%% 分位）", s_by_title(by));
    const char *keys[] = {by, NULL},
               *vals[] = {"requests", "offer_p50", "offer_p90", "accept_p50", "accept_p90", "close_p50", "close_p90",
                          NULL},
               *units[] = {"count", "ms", "ms", "ms", "ms", "ms", "ms"};
    Reporting__Table *t = s_table(q, name, title, keys, vals, units, gs.n);
    if (!t) return s_groups_free(&gs), s_oom(q);
    /* every request of the range, for the total row */
    vec_t all[3] = {{0}};
    int64_t n = 0;
    for (size_t i = 0; i < gs.cap; i++) {
        group_t *g = &gs.g[i];
        if (!g->key) continue;
        n += g->v[0];
        for (int j = 0; j < 3; j++) {
            for (size_t k = 0; k < g->d[j].n; k++)
                if (s_vec_add(&all[j], g->d[j].v[k])) gs.oom = true;
            g->v[1 + 2 * j] = s_pct(&g->d[j], 50, false);
            g->v[2 + 2 * j] = s_pct(&g->d[j], 90, true);
        }
    }
    rc = gs.oom ? s_oom(q) : s_fill(q, t, &gs, false, 7);
    if (!rc) {
        t->total->values[0] = n;
        for (int j = 0; j < 3; j++) {
            t->total->values[1 + 2 * j] = s_pct(&all[j], 50, false);
            t->total->values[2 + 2 * j] = s_pct(&all[j], 90, true);
        }
    }
    for (int j = 0; j < 3; j++) free(all[j].v);
    s_groups_free(&gs);
    return rc;
}

static int s_q_facts(query_t *q, fact_fn fn, const char *name, const char *title, const char *const *keys,
                     const char *const *vals, size_t nv)
{
    groups_t gs = {0};
    int rc = s_each_fact(q, fn, &gs);
    if (rc) return s_groups_free(&gs), -1;
    Reporting__Table *t = s_table(q, name, title, keys, vals, NULL, gs.n);
    rc = t ? s_fill(q, t, &gs, false, nv) : s_oom(q);
    s_groups_free(&gs);
    return rc;
}

static int s_q_outcomes(query_t *q)
{
    const char *keys[] = {"outcome", NULL}, *vals[] = {"requests", NULL};
    return s_q_facts(q, s_outcomes_one, "outcomes", "结案结果", keys, vals, 1);
}

static int s_q_unmet(query_t *q)
{
    const char *keys[] = {"service", "street", NULL}, *vals[] = {"unmet", "queued", NULL};
    return s_q_facts(q, s_unmet_one, "unmet", "未满足的需求（按服务类别与街道）", keys, vals, 2);
}

/* ------------------------------------------------------------- counters */

typedef bool (*count_fn)(query_t *q, uint32_t day, const char *dims, const int64_t *v, groups_t *gs);

/* Calls fn for each counter of metric in [day_from, day_to] of every
 * district the query asks for (q->district names the counter's). The
 * counters of one metric are contiguous: the local district's
 * (metric \0 ...), then each district's (metric SEP D \0 ...), each by day;
 * the scan jumps from the end of one district's range to the next
 * district's first day. 0 or -1. */
static int s_each_count(query_t *q, const char *metric, count_fn fn, groups_t *gs)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(q->txn, q->db->counts, &c);
    if (rc) return *q->mdb_rc = rc, -1;
    uint8_t start[KEY_MAX + 8];
    size_t ml = strlen(metric);
    const char *first = q->only ? q->only : "";
    MDB_val k = {s_ckey(start, metric, first, strlen(first), q->day_from, ""), start}, v;
    char dims[KEY_MAX + 1];
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); !rc;) {
        const uint8_t *p = k.mv_data;
        if (k.mv_size < ml + 5 || memcmp(p, metric, ml) || (p[ml] && p[ml] != REP_SEP[0])) break;
        size_t off = ml;   /* at the \0 after metric [SEP D] */
        if (p[ml]) {
            const uint8_t *z = memchr(p + ml + 1, 0, k.mv_size - ml - 1);
            if (!z || (size_t)(z - p) - ml - 1 > REP_DISTRICT_MAX || (size_t)(z - p) + 5 > k.mv_size) break;
            off = (size_t)(z - p);
        }
        size_t dlen = off > ml ? off - ml - 1 : 0;
        memcpy(q->district, p + ml + 1, dlen);
        q->district[dlen] = 0;
        if (q->only && strcmp(q->only, q->district)) break;   /* past the one asked for */
        uint32_t day = (uint32_t)p[off + 1] << 24 | (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 8 | p[off + 4];
        if (day < q->day_from || day > q->day_to) {
            /* before the range: to its first day; after it: past this district */
            k.mv_size = day < q->day_from ? s_ckey(start, metric, q->district, dlen, q->day_from, "")
                                          : s_ckey(start, metric, q->district, dlen, 0, "") - 4;
            if (day > q->day_to) start[k.mv_size - 1] = 1;   /* metric [SEP D] \1 */
            k.mv_data = start;
            rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
            continue;
        }
        size_t dl = k.mv_size - off - 5;
        memcpy(dims, p + off + 5, dl);
        dims[dl] = 0;
        int64_t vals[REP_VALUES] = {0};
        memcpy(vals, v.mv_data, v.mv_size < sizeof vals ? v.mv_size : sizeof vals);
        if (!fn(q, day, dims, vals, gs)) { mdb_cursor_close(c); return s_oom(q); }
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND) return *q->mdb_rc = rc, -1;
    return 0;
}

static bool s_add_to(groups_t *gs, const char *key, const int64_t *v)
{
    group_t *g = s_group(gs, key);
    if (!g) return false;
    for (int i = 0; i < REP_VALUES; i++) g->v[i] += v[i];
    return true;
}

static bool s_count_by_dims(query_t *q, uint32_t day, const char *dims, const int64_t *v, groups_t *gs)
{
    (void)day;
    if (!*q->district) return s_add_to(gs, dims, v);
    /* another district's: its second column (a provider) becomes "D/id" */
    char key[KEY_MAX + REP_DISTRICT_MAX + 2];
    const char *sep = strstr(dims, REP_SEP);
    if (!sep) return s_add_to(gs, dims, v);
    snprintf(key, sizeof key, "%.*s%s/%s", (int)(sep - dims + 1), dims, q->district, sep + 1);
    return s_add_to(gs, key, v);
}

static bool s_count_by_period(query_t *q, uint32_t day, const char *dims, const int64_t *v, groups_t *gs)
{
    (void)dims;
    char key[16];
    if (!strcmp(q->by, "district")) return s_add_to(gs, s_district_name(q), v);
    if (!strcmp(q->by, "day")) snprintf(key, sizeof key, "%04u-%02u-%02u", day / 10000, day / 100 % 100, day % 100);
    else snprintf(key, sizeof key, "%04u-%02u", day / 10000, day / 100 % 100);
    return s_add_to(gs, key, v);
}

/* Groups a two-dims counter (opinions: topic SEP street, policy topic SEP
 * street; activities: kind SEP street) by q->by: its first dim (topic,
 * policy_topic, kind, or none given), its second (street), district,
 * month, or both dims (topic_street, ...). */
static bool s_count_opinion(query_t *q, uint32_t day, const char *dims, const int64_t *v, groups_t *gs)
{
    const char *sep = strstr(dims, REP_SEP);
    char key[KEY_MAX + 1];
    if (!strcmp(q->by, "topic") || !strcmp(q->by, "policy_topic") || !strcmp(q->by, "kind") || !*q->by)
        snprintf(key, sizeof key, "%.*s", (int)(sep ? sep - dims : (long)strlen(dims)), dims);
    else if (!strcmp(q->by, "street")) snprintf(key, sizeof key, "%s", sep ? sep + 1 : "-");
    else if (!strcmp(q->by, "district")) snprintf(key, sizeof key, "%s", s_district_name(q));
    else if (!strcmp(q->by, "month")) snprintf(key, sizeof key, "%04u-%02u", day / 10000, day / 100 % 100);
    else snprintf(key, sizeof key, "%s", dims);
    return s_add_to(gs, key, v);
}

/* Leaves out the rows of t whose values are all 0 (a count that moved
 * away: an opinion linked to another policy topic). */
static void s_drop_zero_rows(Reporting__Table *t)
{
    size_t n = 0;
    for (size_t i = 0; t && i < t->n_rows; i++) {
        bool zero = true;
        for (size_t j = 0; j < t->rows[i]->n_values && zero; j++) zero = t->rows[i]->values[j] == 0;
        if (!zero) t->rows[n++] = t->rows[i];
    }
    if (t) t->n_rows = n;
}

static int s_q_counts(query_t *q, const char *metric, count_fn fn, const char *name, const char *title,
                      const char *const *keys, const char *const *vals, const char *const *units, size_t nv,
                      bool by_key, Reporting__Table **out)
{
    groups_t gs = {0};
    int rc = s_each_count(q, metric, fn, &gs);
    if (rc) return s_groups_free(&gs), -1;
    Reporting__Table *t = s_table(q, name, title, keys, vals, units, gs.n);
    rc = t ? s_fill(q, t, &gs, by_key, nv) : s_oom(q);
    s_groups_free(&gs);
    if (out) *out = t;
    return rc;
}

static int s_q_opinions(query_t *q)
{
    static const char *const allowed[] = {"topic", "street", "topic_street", "district", "policy_topic",
                                          "policy_topic_street", NULL};
    const char *by = s_by(q, allowed);
    if (!by) return s_bad_by(q, "topic, street, topic_street, district, policy_topic or policy_topic_street");
    q->by = by;
    char name[64];
    snprintf(name, sizeof name, "opinions_by_%s", by);
    if (!strncmp(by, "policy_topic", 12)) {   /* the "pt" counter: moved by links */
        bool street = !strcmp(by, "policy_topic_street");
        const char *k1[] = {"policy_topic", NULL}, *k2[] = {"policy_topic", "street", NULL}, *vals[] = {"opinions", NULL};
        Reporting__Table *t = NULL;
        int rc = s_q_counts(q, "pt", s_count_opinion, name,
                            street ? "意见建议（按政策主题与街道）" : "意见建议（按政策主题）", street ? k2 : k1,
                            vals, NULL, 1, false, &t);
        if (!rc) s_drop_zero_rows(t);
        return rc;
    }
    const char *k1[] = {"topic", NULL}, *k2[] = {"street", NULL}, *k3[] = {"topic", "street", NULL},
               *k4[] = {"district", NULL}, *vals[] = {"opinions", NULL};
    const char *const *keys = by[0] == 'd' ? k4 : by[0] == 's' ? k2 : strchr(by, '_') ? k3 : k1;
    const char *title = by[0] == 'd'   ? "意见建议（按区县）"
                        : by[0] == 's' ? "意见建议（按街道）"
                        : strchr(by, '_') ? "意见建议（按议题与街道）"
                                          : "意见建议（按议题）";
    return s_q_counts(q, "op", s_count_opinion, name, title, keys, vals, NULL, 1, false, NULL);
}

static int s_q_activities(query_t *q)
{
    static const char *const allowed[] = {"kind", "street", "kind_street", "month", "district", NULL};
    const char *by = s_by(q, allowed);
    if (!by) return s_bad_by(q, "kind, street, kind_street, month or district");
    q->by = by;
    char name[64];
    snprintf(name, sizeof name, "activities_by_%s", by);
    const char *k1[] = {by, NULL}, *k2[] = {"kind", "street", NULL},
               *vals[] = {"activities", "cancelled", "registrations", "confirmed", "waitlisted", "withdrawn",
                          "attended",   "hours_x100", NULL},
               *units[] = {"count", "count", "count", "count", "count", "count", "count", "hours_x100"};
    const char *title = !strcmp(by, "street")   ? "活动参与（按街道）"
                        : !strcmp(by, "month")    ? "活动参与（按月份）"
                        : !strcmp(by, "district") ? "活动参与（按区县）"
                        : strchr(by, '_')         ? "活动参与（按活动类型与街道）"
                                                  : "活动参与（按活动类型）";
    bool by_key = !strcmp(by, "month") || !strcmp(by, "district");
    Reporting__Table *t = NULL;
    int rc = s_q_counts(q, "ac", s_count_opinion, name, title, strchr(by, '_') ? k2 : k1, vals, units, REP_VALUES,
                        by_key, &t);
    if (!rc) s_drop_zero_rows(t);
    return rc;
}

static int s_q_deliveries(query_t *q)
{
    const char *keys[] = {"channel", "action", NULL}, *vals[] = {"deliveries", NULL};
    return s_q_counts(q, "dl", s_count_by_dims, "deliveries", "通知投递（按渠道与结果）", keys, vals, NULL, 1, true,
                      NULL);
}

static int s_q_funds(query_t *q)
{
    static const char *const allowed[] = {"month", "day", "district", NULL};
    const char *by = s_by(q, allowed);
    if (!by) return s_bad_by(q, "month, day or district");
    q->by = by;
    char name[32];
    snprintf(name, sizeof name, "funds_by_%s", by);
    const char *keys[] = {by, NULL},
               *vals[] = {"donations",     "donations_fen", "disbursements",     "disbursed_fen",
                          "contributions", "contributions_fen", "payments", "payments_fen", NULL},
               *units[] = {"count", "fen", "count", "fen", "count", "fen", "count", "fen"};
    int rc = s_q_counts(q, "fd", s_count_by_period, name, "资金：捐赠、拨付、出资与项目付款", keys, vals, units,
                        8, true, NULL);
    return rc;
}

static int s_q_workload(query_t *q)
{
    groups_t gs = {0};
    int rc = s_each_count(q, "wl", s_count_by_dims, &gs);
    if (rc) return s_groups_free(&gs), -1;
    const char *keys[] = {"kind", "provider", "name", NULL},
               *vals[] = {"offers", "accepted", "declined", "expired", "completed", "hours_x100", NULL},
               *units[] = {"count", "count", "count", "count", "count", "hours_x100"};
    Reporting__Table *t = s_table(q, "workload", "机构与志愿者的工作量与服务时长", keys, vals, units, gs.n + 1);
    if (!t) return s_groups_free(&gs), s_oom(q);
    group_t **v = s_sorted(&gs, false);
    if (!v) return s_groups_free(&gs), s_oom(q);
    int64_t total[REP_VALUES] = {0}, vols[REP_VALUES] = {0};
    bool any_vol = false;
    for (size_t i = 0; i < gs.n && !rc; i++) {
        for (int j = 0; j < 6; j++) total[j] += v[i]->v[j];
        bool vol = !strncmp(v[i]->key, "volunteer" REP_SEP, 10);
        if (vol && q->q->public_view) {
            for (int j = 0; j < 6; j++) vols[j] += v[i]->v[j];
            any_vol = true;
            continue;
        }
        char key[KEY_MAX + 256];
        const char *id = strstr(v[i]->key, REP_SEP);
        char name[256] = "";
        if (!vol && id) {
            /* "D/id" (another district's provider): the name is under D SEP id */
            uint8_t nk[REC_KEY_MAX];
            const char *slash = strchr(id + 1, '/');
            char dname[REP_DISTRICT_MAX + 1] = "";
            if (slash && slash - id - 1 <= REP_DISTRICT_MAX) snprintf(dname, sizeof dname, "%.*s", (int)(slash - id - 1), id + 1);
            MDB_val k = {*dname ? s_reckey(nk, dname, strlen(dname), slash + 1) : strlen(id + 1),
                         *dname ? (void *)nk : (void *)(id + 1)},
                    nv;
            int r = mdb_get(q->txn, q->db->names, &k, &nv);
            if (!r) snprintf(name, sizeof name, "%.*s", (int)(nv.mv_size < 255 ? nv.mv_size : 255), (char *)nv.mv_data);
            else if (r != MDB_NOTFOUND) { *q->mdb_rc = r; rc = -1; break; }
        }
        snprintf(key, sizeof key, "%s" REP_SEP "%s", v[i]->key, name);
        if (!(t->rows[t->n_rows++] = s_row(q, key, 3, v[i]->v, 6))) rc = s_oom(q);
    }
    if (!rc && any_vol && !(t->rows[t->n_rows++] = s_row(q, "volunteer" REP_SEP "*" REP_SEP, 3, vols, 6)))
        rc = s_oom(q);
    if (!rc && !(t->total = s_row(q, "合计", 1, total, 6))) rc = s_oom(q);
    free(v);
    s_groups_free(&gs);
    return rc;
}

/* --------------------------------------------------------------- tenders */

typedef bool (*tender_fn)(query_t *q, const Reporting__TenderFact *f, void *arg);

/* Calls fn for each process created in [from, to). 0 or -1. */
static int s_each_tender(query_t *q, tender_fn fn, void *arg)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(q->txn, q->db->tenders, &c);
    if (rc) return *q->mdb_rc = rc, -1;
    hub_arena_t *scratch = hub_arena_new(1u << 20);   /* one record at a time */
    if (!scratch) { mdb_cursor_close(c); return s_oom(q); }
    MDB_val k, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        const uint8_t *id;
        size_t idlen;
        if (!s_in_district(q, k.mv_data, k.mv_size, &id, &idlen)) continue;
        hub_arena_reset(scratch);
        Reporting__TenderFact *f = (Reporting__TenderFact *)protobuf_c_message_unpack(
            &reporting__tender_fact__descriptor, hub_arena_allocator(scratch), v.mv_size, v.mv_data);
        if (!f) { rc = MDB_CORRUPTED; break; }
        if (f->created_ms < q->from || f->created_ms >= q->to) continue;
        if (!fn(q, f, arg)) { mdb_cursor_close(c); hub_arena_destroy(&scratch); return s_oom(q); }
    }
    hub_arena_destroy(&scratch);
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND) return *q->mdb_rc = rc, -1;
    return 0;
}

static bool s_tender_state(query_t *q, const Reporting__TenderFact *f, void *arg)
{
    (void)q;
    group_t *g = s_group(arg, f->state);
    if (!g) return false;
    g->v[0]++;
    g->v[1] += f->budget_fen;
    g->v[2] += f->award_value_fen;
    g->v[3] += f->paid_fen;
    return true;
}

static bool s_tender_row(query_t *q, const Reporting__TenderFact *f, void *arg)
{
    Reporting__Table *t = arg;
    if (!(t->n_rows & (t->n_rows - 1))) {   /* 0, 1, 2, 4...: grow geometrically */
        void **rows = hub_arena_alloc(q->arena, (t->n_rows ? 2 * t->n_rows : 1) * sizeof *rows);
        if (!rows) return false;
        if (t->n_rows) memcpy(rows, t->rows, t->n_rows * sizeof *rows);
        t->rows = (Reporting__Row **)rows;
    }
    char key[1400];
    snprintf(key, sizeof key, "%.*s" REP_SEP "%.*s" REP_SEP "%.*s" REP_SEP "%.*s" REP_SEP "%.*s", s_cut(f->ocid, 200),
             f->ocid, s_cut(f->title, 400), f->title, s_cut(f->buyer_name, 300), f->buyer_name, s_cut(f->state, 40),
             f->state, s_cut(f->award_org_name, 300), f->award_org_name);
    int64_t v[4] = {f->bids, f->budget_fen, f->award_value_fen, f->paid_fen};
    return (t->rows[t->n_rows++] = s_row(q, key, 5, v, 4)) != NULL;
}

static int s_q_tenders(query_t *q)
{
    groups_t gs = {0};
    int rc = s_each_tender(q, s_tender_state, &gs);
    if (rc) return s_groups_free(&gs), -1;
    const char *keys[] = {"state", NULL}, *vals[] = {"processes", "budget_fen", "awarded_fen", "paid_fen", NULL},
               *units[] = {"count", "fen", "fen", "fen"};
    Reporting__Table *t = s_table(q, "tenders_by_state", "公益招投标与创投（按阶段）", keys, vals, units, gs.n);
    rc = t ? s_fill(q, t, &gs, false, 4) : s_oom(q);
    s_groups_free(&gs);
    if (rc) return rc;
    const char *k2[] = {"ocid", "title", "buyer", "state", "winner", NULL},
               *v2[] = {"bids", "budget_fen", "awarded_fen", "paid_fen", NULL},
               *u2[] = {"count", "fen", "fen", "fen"};
    if (!(t = s_table(q, "tenders", "项目清单", k2, v2, u2, 0))) return s_oom(q);
    return s_each_tender(q, s_tender_row, t);
}

static int s_q_disclosures(query_t *q)
{
    const char *keys[] = {"date", "recipient", "street", "purpose", NULL}, *vals[] = {"amount_fen", NULL},
               *units[] = {"fen"};
    Reporting__Table *t = s_table(q, "disclosures", "慈善捐赠使用公示", keys, vals, units, 0);
    if (!t) return s_oom(q);
    MDB_cursor *c;
    int rc = mdb_cursor_open(q->txn, q->db->disclosures, &c);
    if (rc) return *q->mdb_rc = rc, -1;
    uint8_t start[8];
    hub_be64_put(start, (uint64_t)(q->from > 0 ? q->from : 0));
    MDB_val k = {8, start}, v;
    int64_t total = 0;
    size_t cap = 0;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); !rc; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < 8 || (int64_t)hub_be64_get(k.mv_data) >= q->to) break;
        const uint8_t *id;
        size_t idlen;
        if (!s_in_district(q, (const uint8_t *)k.mv_data + 8, k.mv_size - 8, &id, &idlen)) continue;
        Reporting__Disclosure *d = (Reporting__Disclosure *)protobuf_c_message_unpack(
            &reporting__disclosure__descriptor, hub_arena_allocator(q->arena), v.mv_size, v.mv_data);
        if (!d) { rc = MDB_CORRUPTED; break; }
        if (t->n_rows == cap) {
            cap = cap ? cap * 2 : 64;
            void **rows = hub_arena_alloc(q->arena, cap * sizeof *rows);
            if (!rows) { mdb_cursor_close(c); return s_oom(q); }
            if (t->n_rows) memcpy(rows, t->rows, t->n_rows * sizeof *rows);
            t->rows = (Reporting__Row **)rows;
        }
        uint32_t day = rep_day(d->date_ms);
        char key[1024];
        snprintf(key, sizeof key, "%04u-%02u-%02u" REP_SEP "%.*s" REP_SEP "%.*s" REP_SEP "%.*s", day / 10000,
                 day / 100 % 100, day % 100, s_cut(d->recipient, 100), d->recipient, s_cut(d->street, 200), d->street,
                 s_cut(d->purpose, 500), d->purpose);
        if (!(t->rows[t->n_rows++] = s_row(q, key, 4, &d->amount_fen, 1))) { mdb_cursor_close(c); return s_oom(q); }
        total += d->amount_fen;
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND) return *q->mdb_rc = rc, -1;
    return (t->total = s_row(q, "合计", 1, &total, 1)) ? 0 : s_oom(q);
}

/* --------------------------------------------------------------- summary */

static bool s_summary_fact(query_t *q, const Reporting__RequestFact *f, groups_t *gs)
{
    (void)q;
    group_t *g = s_group(gs, "");
    if (!g) return false;
    g->v[0]++;
    if (!strcmp(f->status, "completed") || !strcmp(f->status, "closed")) g->v[1]++;
    if (f->unmet) g->v[2]++;
    if (f->queued) g->v[3]++;
    return true;
}

static bool s_summary_tender(query_t *q, const Reporting__TenderFact *f, void *arg)
{
    (void)q;
    int64_t *v = arg;
    v[0]++;
    v[1] += f->award_value_fen;
    v[2] += f->paid_fen;
    return true;
}

static int s_q_summary(query_t *q)
{
    groups_t rq = {0}, op = {0}, fd = {0}, dl = {0},
             ev = {0};
    int64_t tv[3] = {0};
    int rc = s_each_fact(q, s_summary_fact, &rq);
    if (!rc) rc = s_each_count(q, "op", s_count_by_period, &op);
    if (!rc) rc = s_each_count(q, "fd", s_count_by_period, &fd);
    if (!rc) rc = s_each_count(q, "dl", s_count_by_period, &dl);
    if (!rc) rc = s_each_count(q, "ev", s_count_by_period, &ev);
    if (!rc) rc = s_each_tender(q, s_summary_tender, tv);
    int64_t sum[5][REP_VALUES] = {{0}};
    groups_t *all[5] = {&rq, &op, &fd, &dl, &ev};
    for (int i = 0; i < 5; i++) {
        for (size_t j = 0; j < all[i]->cap; j++)
            if (all[i]->g[j].key)
                for (int k = 0; k < REP_VALUES; k++) sum[i][k] += all[i]->g[j].v[k];
        s_groups_free(all[i]);
    }
    if (rc) return rc;
    const struct { const char *name, *unit; int64_t v; } items[] = {
        {"requests", "count", sum[0][0]},     {"completed", "count", sum[0][1]},  {"unmet", "count", sum[0][2]},
        {"queued", "count", sum[0][3]},       {"opinions", "count", sum[1][0]},   {"tenders", "count", tv[0]},
        {"awarded_fen", "fen", tv[1]},        {"paid_fen", "fen", tv[2]},         {"donations", "count", sum[2][0]},
        {"donations_fen", "fen", sum[2][1]},  {"disbursed_fen", "fen", sum[2][3]}, {"deliveries", "count", sum[3][0]},
        {"events", "count", sum[4][0]},
    };
    size_t n = sizeof items / sizeof *items;
    const char *keys[] = {"figure", NULL}, *vals[] = {"value", NULL};
    Reporting__Table *t = s_table(q, "summary", "概况", keys, vals, NULL, n);
    if (!t) return s_oom(q);
    /* one value column, but each row has its own unit: the row's key names it */
    for (size_t i = 0; i < n; i++)
        if (!(t->rows[t->n_rows++] = s_row(q, items[i].name, 1, &items[i].v, 1))) return s_oom(q);
    return 0;
}

/* --------------------------------------------------------------- queries */

const char *rep_unit(const Reporting__Table *t, size_t i)
{
    return i < t->n_units && t->units[i] && *t->units[i] ? t->units[i] : "count";
}

/* Complementary suppression of count column c of t: when exactly one cell
 * was hidden, the smallest other non-zero cell is hidden too, so the hidden
 * one cannot be recovered from a total (the summary's, or a report's). */
static void s_suppress_second(Reporting__Table *t, size_t c)
{
    size_t hidden = 0;
    Reporting__Row *smallest = NULL;
    for (size_t r = 0; r < t->n_rows; r++) {
        Reporting__Row *row = t->rows[r];
        if (c >= row->n_values) continue;
        if (row->values[c] == REP_SUPPRESSED) hidden++;
        else if (row->values[c] > 0 && (!smallest || row->values[c] < smallest->values[c])) smallest = row;
    }
    if (hidden == 1 && smallest) smallest->values[c] = REP_SUPPRESSED;
}

/* Public view: counts 1..4 become REP_SUPPRESSED (and a second cell of the
 * column when only one was, s_suppress_second); a times row of fewer than
 * 5 requests hides its percentiles; summary rows in fen are kept; no totals. */
static bool s_suppress(Reporting__QueryReply *rep)
{
    bool any = false;
    for (size_t i = 0; i < rep->n_tables; i++) {
        Reporting__Table *t = rep->tables[i];
        bool times = !strncmp(t->name, "times_", 6), summary = !strcmp(t->name, "summary");
        for (size_t r = 0; r < t->n_rows; r++) {
            Reporting__Row *row = t->rows[r];
            if (summary && row->n_keys && strstr(row->keys[0], "_fen")) continue;
            bool hide = times && row->n_values && row->values[0] > 0 && row->values[0] < REP_SUPPRESS_BELOW;
            for (size_t c = 0; c < row->n_values; c++) {
                bool count = !strcmp(rep_unit(t, c), "count");
                if ((count && row->values[c] > 0 && row->values[c] < REP_SUPPRESS_BELOW) || (hide && !count)) {
                    if (row->values[c] != REP_SUPPRESSED) any = true;
                    row->values[c] = REP_SUPPRESSED;
                }
            }
        }
        if (!summary)
            for (size_t c = 0; c < t->n_value_columns; c++)
                if (!strcmp(rep_unit(t, c), "count")) s_suppress_second(t, c);
        t->total = NULL;
    }
    return any;
}

int rep_query(MDB_txn *txn, const rep_dbs_t *db, const Reporting__QueryRequest *req, int64_t now_ms,
              hub_arena_t *arena, Reporting__QueryReply **out, int *mdb_rc, hub_error_t *err)
{
    *mdb_rc = 0;
    int64_t from = s_clamp_ms(req->from_ms), to = req->to_ms > 0 ? s_clamp_ms(req->to_ms) : s_clamp_ms(now_ms + 1);
    if (from >= to) return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "to_ms", "the range is empty");
    Reporting__QueryReply *rep = hub_arena_alloc(arena, sizeof *rep);
    if (!rep) return hub_error_set(err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "", "out of memory");
    reporting__query_reply__init(rep);
    rep->from_ms = from;
    rep->to_ms = to;
    query_t q = {txn, db, req, arena, from, to, rep_day(from), rep_day(to - 1), rep, mdb_rc, err, req->by ? req->by : "",
                 NULL, ""};
    const char *only = req->district ? req->district : "";
    if (*only) {
        /* the local district answers to its name and to "-" */
        if (!strcmp(only, "-") || (db->local && !strcmp(only, db->local))) q.only = "";
        else if (rep_district_ok(only)) q.only = only;
        else return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "district",
                                  "a district is [a-z0-9_-]{1,%d}", REP_DISTRICT_MAX);
    }
    static const struct { const char *name; int (*fn)(query_t *); } figures[] = {
        {"requests", s_q_requests}, {"times", s_q_times},       {"outcomes", s_q_outcomes},
        {"unmet", s_q_unmet},       {"workload", s_q_workload}, {"tenders", s_q_tenders},
        {"funds", s_q_funds},       {"disclosures", s_q_disclosures}, {"opinions", s_q_opinions},
        {"deliveries", s_q_deliveries}, {"summary", s_q_summary}, {"activities", s_q_activities},
    };
    const char *figure = req->figure ? req->figure : "";
    for (size_t i = 0; i < sizeof figures / sizeof *figures; i++) {
        if (strcmp(figure, figures[i].name)) continue;
        if (figures[i].fn(&q)) return -1;
        if (req->public_view) rep->suppressed = s_suppress(rep);
        *out = rep;
        return 0;
    }
    return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "figure",
                         "unknown figure \"%.40s\": requests, times, outcomes, unmet, workload, tenders, funds, "
                         "disclosures, opinions, activities, deliveries or summary",
                         figure);
}

/* ------------------------------------------------------------ migration */

int rep_migrate_policy_topics(MDB_txn *txn, const rep_dbs_t *db)
{
    rep_acc_t *acc = rep_acc_new();
    if (!acc) return ENOMEM;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, db->counts, &c);
    if (rc) { rep_acc_destroy(&acc); return rc; }
    MDB_val k = {2, "op"}, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); !rc; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        const uint8_t *p = k.mv_data;
        if (k.mv_size < 7 || memcmp(p, "op", 2) || (p[2] && p[2] != REP_SEP[0])) break;
        /* op [SEP district] \0 day(4) topic SEP street */
        const uint8_t *z = memchr(p + 2, 0, k.mv_size - 2);
        if (!z || (size_t)(z - p) + 5 > k.mv_size) continue;
        size_t off = (size_t)(z - p), dlen = off > 2 ? off - 3 : 0;
        if (dlen > REP_DISTRICT_MAX) continue;
        char district[REP_DISTRICT_MAX + 1], dims[KEY_MAX + 1];
        memcpy(district, p + 3, dlen);
        district[dlen] = 0;
        uint32_t day = (uint32_t)p[off + 1] << 24 | (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 8 | p[off + 4];
        size_t dl = k.mv_size - off - 5;
        memcpy(dims, p + off + 5, dl);
        dims[dl] = 0;
        const char *street = strstr(dims, REP_SEP);
        char pdims[KEY_MAX + 1];
        snprintf(pdims, sizeof pdims, REP_UNLINKED REP_SEP "%s", street ? street + 1 : "-");
        int64_t n = 0;
        memcpy(&n, v.mv_data, v.mv_size < sizeof n ? v.mv_size : sizeof n);
        uint8_t key[KEY_MAX + 8];
        size_t klen = s_ckey(key, "pt", district, dlen, day, pdims);
        acc_slot_t *slot = s_acc_slot(acc, key, klen);
        if (!slot) { rc = ENOMEM; break; }
        slot->v[0] += n;
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND) { rep_acc_destroy(&acc); return rc; }
    rc = rep_acc_flush(acc, txn, db);
    rep_acc_destroy(&acc);
    return rc;
}
