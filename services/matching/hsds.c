/* hsds: the resource library in and out of Open Referral HSDS 3.0 JSON
 * and CSV. See hsds.h for the contract.
 *
 * Import builds protobuf-c records from the arena: every struct is set up
 * with its generated *_init function, every string and array comes from
 * hub_arena_alloc. Nothing is validated beyond what a field's shape needs
 * (types, numbers that fit, times that parse); match_validate_org and
 * match_validate_volunteer do the rest.
 *
 * Export writes HSDS 3.0 organization objects. The schema wants UUIDs for
 * every "id", so ids are name-based UUIDs (version 5, SHA-1) of the hub
 * id: the organization's is uuid5(S_NS, "<org id>"), a nested object's
 * uuid5(S_NS, "<org id>-svc-<code>-area-<i>") and so on; the hub's own id
 * travels in "x_hub_id", which import prefers over "id". */
#include "hsds.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "hub_util.h"

#define S_MAX_LIST 256       /* entries of one (merged) list; the validator's bound is lower */
#define S_CSV_MAX_COLS 64    /* columns of a CSV header */
#define S_FIELD 128          /* = sizeof hub_error_t.field */

#define S_LEGAL_HELP "社会团体, 民办非企业单位, 社会服务机构, 基金会, 社区社会组织 or SOCIAL_GROUP..."
#define S_MEMBERSHIP_HELP "APPLIED, APPROVED, SUSPENDED, WITHDRAWN"

#define INVALID(field, ...) hub_error_set(c->err, HUB__ERROR_CODE__INVALID_ARGUMENT, field, __VA_ARGS__)

/* The namespace of the export's UUIDs:
 * uuid5(NAMESPACE_URL, "urn:social-organization-service-hub:hsds")
 * = a7bc1030-4793-55d4-bf44-84dd54a79476. */
static const uint8_t S_NS[16] = {0xa7, 0xbc, 0x10, 0x30, 0x47, 0x93, 0x55, 0xd4,
                                 0xbf, 0x44, 0x84, 0xdd, 0x54, 0xa7, 0x94, 0x76};

static const char *const S_DAYS[7] = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"};

/* Legal forms by their Chinese names (import accepts each, export writes
 * the first name of a value). */
static const struct {
    const char *name;
    Matching__LegalForm form;
} S_LEGAL_NAMES[] = {
    {"社会团体", MATCHING__LEGAL_FORM__SOCIAL_GROUP},
    {"民办非企业单位", MATCHING__LEGAL_FORM__PRIVATE_NON_ENTERPRISE},
    {"社会服务机构", MATCHING__LEGAL_FORM__PRIVATE_NON_ENTERPRISE},
    {"基金会", MATCHING__LEGAL_FORM__FOUNDATION},
    {"社区社会组织", MATCHING__LEGAL_FORM__COMMUNITY_GROUP},
};

/* The parse state shared by the JSON and CSV readers. */
typedef struct {
    hub_arena_t *arena;
    hub_error_t *err;
} ctx_t;

/* A string list growing in the arena (old arrays are left behind). */
typedef struct {
    char **v;
    size_t n, cap;
} strs_t;

/* A slot list growing in the arena. */
typedef struct {
    Matching__TimeSlot **v;
    size_t n, cap;
} slots_t;

/* ================================================================ small helpers */

/* Formats a field path into f (S_FIELD bytes), cut short when longer. */
static void s_path(char *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_path(char *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f, S_FIELD, fmt, ap);
    va_end(ap);
}

/* s, or "" for NULL. */
static const char *s_str(const char *s)
{
    return s ? s : "";
}

static bool s_is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Trims ASCII white space off both ends of s, in place; returns s. */
static char *s_trim(char *s)
{
    while (s_is_space(*s)) s++;
    size_t n = strlen(s);
    while (n && s_is_space(s[n - 1])) s[--n] = 0;
    return s;
}

/* Allocates n bytes from the arena. NULL with err RESOURCE_EXHAUSTED
 * (field f) when the arena's budget is spent. */
static void *s_alloc(ctx_t *c, size_t n, const char *f)
{
    void *p = hub_arena_alloc(c->arena, n);
    if (!p)
        hub_error_set(c->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, f,
                      "the import does not fit in its memory budget");
    return p;
}

/* Copies s into the arena as *out. 0, or -1 (budget). */
static int s_dup(ctx_t *c, const char *s, const char *f, char **out)
{
    char *p = s_alloc(c, strlen(s) + 1, f);
    if (!p) return -1;
    strcpy(p, s);
    *out = p;
    return 0;
}

/* Adds s to l (skipped when dedupe and already there). 0, or -1 past
 * S_MAX_LIST entries or the budget. */
static int s_strs_add(ctx_t *c, strs_t *l, const char *s, bool dedupe, const char *f)
{
    if (dedupe)
        for (size_t i = 0; i < l->n; i++)
            if (!strcmp(l->v[i], s)) return 0;
    if (l->n >= S_MAX_LIST) return INVALID(f, "more than %d entries", S_MAX_LIST);
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        char **v = s_alloc(c, cap * sizeof *v, f);
        if (!v) return -1;
        if (l->n) memcpy(v, l->v, l->n * sizeof *v);
        l->v = v;
        l->cap = cap;
    }
    return s_dup(c, s, f, &l->v[l->n++]);
}

/* Adds the slot (weekday, opens, closes) to l unless it is there. 0, or
 * -1 past S_MAX_LIST slots or the budget. */
static int s_slots_add(ctx_t *c, slots_t *l, uint32_t weekday, uint32_t opens, uint32_t closes,
                       const char *f)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i]->weekday == weekday && l->v[i]->opens_min == opens &&
            l->v[i]->closes_min == closes)
            return 0;
    if (l->n >= S_MAX_LIST) return INVALID(f, "more than %d time slots", S_MAX_LIST);
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        Matching__TimeSlot **v = s_alloc(c, cap * sizeof *v, f);
        if (!v) return -1;
        if (l->n) memcpy(v, l->v, l->n * sizeof *v);
        l->v = v;
        l->cap = cap;
    }
    Matching__TimeSlot *t = s_alloc(c, sizeof *t, f);
    if (!t) return -1;
    matching__time_slot__init(t);
    t->weekday = weekday;
    t->opens_min = opens;
    t->closes_min = closes;
    l->v[l->n++] = t;
    return 0;
}

/* Parses a whole decimal number (digits only) no larger than max. */
static bool s_parse_uint(const char *s, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    if (!*s) return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > max) return false;
    }
    *out = (uint32_t)v;
    return true;
}

/* Parses "HH:MM" (also "H:MM" and "HH:MM:SS", seconds dropped) into
 * minutes after midnight, 0..1440 ("24:00" is the end of the day); *end
 * receives the first byte after the time. */
static bool s_parse_time(const char *s, uint32_t *min, const char **end)
{
    unsigned h = 0, m = 0, digits = 0;
    while (*s >= '0' && *s <= '9' && digits < 2) h = h * 10 + (unsigned)(*s++ - '0'), digits++;
    if (!digits || *s++ != ':') return false;
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return false;
    m = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
    s += 2;
    if (s[0] == ':') {
        if (s[1] < '0' || s[1] > '5' || s[2] < '0' || s[2] > '9') return false;
        if (h == 24 && (s[1] != '0' || s[2] != '0')) return false;
        s += 3;
    }
    if (m > 59 || h > 24 || (h == 24 && m)) return false;
    *min = h * 60 + m;
    *end = s;
    return true;
}

/* Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian). */
static int64_t s_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Reads exactly n digits at *s into *v, advancing *s. */
static bool s_digits(const char **s, int n, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        char ch = (*s)[i];
        if (ch < '0' || ch > '9') return false;
        *v = *v * 10 + (unsigned)(ch - '0');
    }
    *s += n;
    return true;
}

/* Parses an RFC 3339 date-time ("2024-05-01T08:00:00Z", fractions and a
 * "+08:00" offset allowed; a lone "YYYY-MM-DD" is midnight UTC) into unix
 * milliseconds. Years 1970..9999. */
static bool s_parse_datetime(const char *s, int64_t *ms)
{
    static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
    if (!s_digits(&s, 4, &y) || *s++ != '-' || !s_digits(&s, 2, &mo) || *s++ != '-' ||
        !s_digits(&s, 2, &d))
        return false;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1]) return false;
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) return false;
    int64_t offset_min = 0;
    if (*s) {
        if (*s != 'T' && *s != 't' && *s != ' ') return false;
        s++;
        if (!s_digits(&s, 2, &h) || *s++ != ':' || !s_digits(&s, 2, &mi) || *s++ != ':' ||
            !s_digits(&s, 2, &sec))
            return false;
        if (h > 23 || mi > 59 || sec > 60) return false;
        if (*s == '.') {
            s++;
            int n = 0;
            for (; *s >= '0' && *s <= '9'; s++, n++)
                if (n < 3) frac = frac * 10 + (unsigned)(*s - '0');
            if (!n) return false;
            for (; n < 3; n++) frac *= 10;
        }
        if (*s == 'Z' || *s == 'z') {
            s++;
        } else if (*s == '+' || *s == '-') {
            int sign = *s++ == '-' ? -1 : 1;
            unsigned oh, om;
            if (!s_digits(&s, 2, &oh) || *s++ != ':' || !s_digits(&s, 2, &om) || oh > 23 || om > 59)
                return false;
            offset_min = sign * (int64_t)(oh * 60 + om);
        } else {
            return false;
        }
        if (*s) return false;
    }
    int64_t secs = s_days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + sec -
                   offset_min * 60;
    *ms = secs * 1000 + frac;
    return true;
}

/* Writes ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC) into out. */
static void s_format_datetime(int64_t ms, char out[64])
{
    int64_t secs = ms / 1000, rem = ms % 1000;
    if (rem < 0) secs--, rem += 1000;
    time_t t = (time_t)secs;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, 64, "1970-01-01T00:00:00.000Z");
        return;
    }
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)rem);
}

/* ================================================================ enums */

/* A legal form by its Chinese name or enum name (any case); false if unknown. */
static bool s_legal_form(const char *s, Matching__LegalForm *out)
{
    for (size_t i = 0; i < sizeof S_LEGAL_NAMES / sizeof *S_LEGAL_NAMES; i++)
        if (!strcmp(S_LEGAL_NAMES[i].name, s)) {
            *out = S_LEGAL_NAMES[i].form;
            return true;
        }
    const ProtobufCEnumDescriptor *d = &matching__legal_form__descriptor;
    for (unsigned i = 0; i < d->n_values; i++)
        if (d->values[i].value && !strcasecmp(d->values[i].name, s)) {
            *out = (Matching__LegalForm)d->values[i].value;
            return true;
        }
    return false;
}

/* A membership by its enum name (any case); false if unknown. */
static bool s_membership(const char *s, Matching__Membership *out)
{
    const ProtobufCEnumDescriptor *d = &matching__membership__descriptor;
    for (unsigned i = 0; i < d->n_values; i++)
        if (d->values[i].value && !strcasecmp(d->values[i].name, s)) {
            *out = (Matching__Membership)d->values[i].value;
            return true;
        }
    return false;
}

/* A cost by its enum name (any case) or 免费 / 低偿; false if unknown. */
static bool s_cost(const char *s, Matching__Cost *out)
{
    if (!strcasecmp(s, "FREE") || !strcmp(s, "免费")) *out = MATCHING__COST__FREE;
    else if (!strcasecmp(s, "LOW_COST") || !strcmp(s, "低偿")) *out = MATCHING__COST__LOW_COST;
    else return false;
    return true;
}

/* ================================================================ JSON import */

/* The JSON value at obj[key], NULL when absent or null. */
static json_t *s_get(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

/* Copies obj[key] into *out when it is a string; absent or null leaves
 * *out alone. 0, or -1 (not a string: "<path>.<key>"; budget). */
static int s_json_str(ctx_t *c, json_t *obj, const char *key, const char *path, char **out)
{
    json_t *v = s_get(obj, key);
    if (!v) return 0;
    char f[S_FIELD];
    s_path(f, "%s.%s", path, key);
    if (!json_is_string(v)) return INVALID(f, "%s must be a string", key);
    return s_dup(c, json_string_value(v), f, out);
}

/* The string at obj[key] (NULL when absent or null) in *out, without a
 * copy. 0, or -1 when it is not a string. */
static int s_json_cstr(ctx_t *c, json_t *obj, const char *key, const char *path, const char **out)
{
    json_t *v = s_get(obj, key);
    *out = NULL;
    if (!v) return 0;
    if (!json_is_string(v)) {
        char f[S_FIELD];
        s_path(f, "%s.%s", path, key);
        return INVALID(f, "%s must be a string", key);
    }
    *out = json_string_value(v);
    return 0;
}

/* A whole number 0..max at v (an integer, or a real with no fraction) in
 * *out. 0, or -1 naming field f. */
static int s_json_uint(ctx_t *c, json_t *v, const char *f, uint32_t max, uint32_t *out)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0) return INVALID(f, "%" JSON_INTEGER_FORMAT " is negative", i);
        if ((unsigned long long)i > max)
            return INVALID(f, "%" JSON_INTEGER_FORMAT " is over %" PRIu32, i, max);
        *out = (uint32_t)i;
        return 0;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d < 0) return INVALID(f, "%g is negative", d);
        if (d > max) return INVALID(f, "%g is over %" PRIu32, d, max);
        if ((double)(uint32_t)d != d) return INVALID(f, "%g is not a whole number", d);
        *out = (uint32_t)d;
        return 0;
    }
    return INVALID(f, "must be a whole number");
}

/* obj[key] as an array in *out (NULL when absent or null). 0, or -1 when
 * it is not an array. */
static int s_json_array(ctx_t *c, json_t *obj, const char *key, const char *path, json_t **out)
{
    json_t *v = s_get(obj, key);
    *out = NULL;
    if (!v) return 0;
    if (!json_is_array(v)) {
        char f[S_FIELD];
        s_path(f, "%s.%s", path, key);
        return INVALID(f, "%s must be an array", key);
    }
    *out = v;
    return 0;
}

/* Checks that v (named f) is an object. 0 or -1. */
static int s_json_object(ctx_t *c, json_t *v, const char *f)
{
    if (!json_is_object(v)) return INVALID(f, "must be an object");
    return 0;
}

/* Adds the strings of the array obj[key] to l (dedupe as asked). 0 or -1. */
static int s_json_str_list(ctx_t *c, json_t *obj, const char *key, const char *path, strs_t *l,
                           bool dedupe)
{
    json_t *arr, *v;
    size_t i;
    char f[S_FIELD];
    if (s_json_array(c, obj, key, path, &arr)) return -1;
    json_array_foreach(arr, i, v) {
        s_path(f, "%s.%s[%zu]", path, key, i);
        if (!json_is_string(v)) return INVALID(f, "must be a string");
        if (s_strs_add(c, l, json_string_value(v), dedupe, f)) return -1;
    }
    return 0;
}

/* Reads one HSDS schedule (weekly: byday "MO,TU", opens_at, closes_at
 * "HH:MM" in China Standard Time, an offset only "+08:00", timezone only
 * 8) into slots. 0 or -1. */
static int s_json_schedule(ctx_t *c, json_t *s, const char *path, slots_t *slots)
{
    char f[S_FIELD];
    const char *freq, *byday, *opens_s, *closes_s;
    if (s_json_object(c, s, path)) return -1;
    if (s_json_cstr(c, s, "freq", path, &freq) || s_json_cstr(c, s, "byday", path, &byday) ||
        s_json_cstr(c, s, "opens_at", path, &opens_s) ||
        s_json_cstr(c, s, "closes_at", path, &closes_s))
        return -1;
    s_path(f, "%s.freq", path);
    if (freq && strcasecmp(freq, "WEEKLY")) return INVALID(f, "only WEEKLY schedules can be imported");
    json_t *tz = s_get(s, "timezone");
    s_path(f, "%s.timezone", path);
    if (tz && (!json_is_number(tz) || json_number_value(tz) != 8))
        return INVALID(f, "timezone must be 8 (China Standard Time)");

    uint32_t t[2];
    const char *text[2] = {opens_s, closes_s}, *name[2] = {"opens_at", "closes_at"};
    for (int k = 0; k < 2; k++) {
        const char *end;
        s_path(f, "%s.%s", path, name[k]);
        if (!text[k]) return INVALID(f, "%s is required (HH:MM)", name[k]);
        if (!s_parse_time(text[k], &t[k], &end) || (*end && strcmp(end, "+08:00")))
            return INVALID(f, "\"%.32s\" is not HH:MM (China Standard Time)", text[k]);
    }

    s_path(f, "%s.byday", path);
    if (!byday) return INVALID(f, "byday is required (e.g. \"MO,TU\")");
    int n = 0;
    for (const char *p = byday; *p;) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        size_t len = strcspn(p, ", ");
        int day = -1;
        for (int d = 0; d < 7; d++)
            if (len == 2 && !strncasecmp(p, S_DAYS[d], 2)) day = d;
        if (day < 0) return INVALID(f, "\"%.32s\" is not a list of MO, TU, WE, TH, FR, SA, SU", byday);
        if (s_slots_add(c, slots, (uint32_t)day + 1, t[0], t[1], f)) return -1;
        p += len;
        n++;
    }
    if (!n) return INVALID(f, "byday names no day");
    return 0;
}

/* Adds the comma-separated groups of text (also "，" and "、") to l. 0 or -1. */
static int s_add_groups(ctx_t *c, const char *text, strs_t *l, const char *f)
{
    char *copy;
    if (s_dup(c, text, f, &copy)) return -1;
    for (char *p = copy; *p;) {
        char *sep = p;
        size_t skip = 0;
        for (; *sep; sep++) {
            if (*sep == ',') { skip = 1; break; }
            if (!strncmp(sep, "，", 3) || !strncmp(sep, "、", 3)) { skip = 3; break; }
        }
        char save = *sep;
        *sep = 0;
        char *g = s_trim(p);
        if (*g && s_strs_add(c, l, g, true, f)) return -1;
        if (!save) break;
        p = sep + skip;
    }
    return 0;
}

/* What the services of one organization add up to. */
typedef struct {
    strs_t services, areas, languages, groups;
    slots_t hours;
    bool has_min, has_max, has_cost, low_cost;
    uint32_t min_age, max_age;
    char *fee;
    Matching__Capacity *capacity;
    const char *last_modified;
} merged_t;

/* Reads one cost option into m: amount 0 is free; a positive amount, or
 * no amount with an amount_description, is low cost (fee =
 * amount_description, else "amount currency"); neither is free. 0 or -1. */
static int s_json_cost(ctx_t *c, json_t *o, const char *path, merged_t *m)
{
    char f[S_FIELD];
    const char *currency, *desc;
    if (s_json_object(c, o, path)) return -1;
    if (s_json_cstr(c, o, "currency", path, &currency) ||
        s_json_cstr(c, o, "amount_description", path, &desc))
        return -1;
    json_t *amount = s_get(o, "amount");
    s_path(f, "%s.amount", path);
    double a = 0;
    if (amount) {
        if (!json_is_number(amount)) return INVALID(f, "amount must be a number");
        a = json_number_value(amount);
        if (a < 0) return INVALID(f, "amount %g is negative", a);
    }
    m->has_cost = true;
    bool low = amount ? a > 0 : desc && *desc;
    if (!low || m->low_cost) return 0;   /* the first low-cost option sets the fee */
    m->low_cost = true;
    if (desc && *desc) return s_dup(c, desc, f, &m->fee);
    char fee[64];
    snprintf(fee, sizeof fee, "%.15g %.16s", a, currency ? currency : "");
    return s_dup(c, s_trim(fee), f, &m->fee);
}

/* Reads the first capacity of a service ({available, maximum, updated:
 * RFC 3339 or unix ms}) as m->capacity. 0 or -1. */
static int s_json_capacity(ctx_t *c, json_t *o, const char *path, merged_t *m)
{
    char f[S_FIELD];
    if (s_json_object(c, o, path)) return -1;
    Matching__Capacity *cap = s_alloc(c, sizeof *cap, path);
    if (!cap) return -1;
    matching__capacity__init(cap);
    json_t *v;
    if ((v = s_get(o, "available"))) {
        s_path(f, "%s.available", path);
        if (s_json_uint(c, v, f, UINT32_MAX, &cap->available)) return -1;
    }
    if ((v = s_get(o, "maximum"))) {
        s_path(f, "%s.maximum", path);
        if (s_json_uint(c, v, f, UINT32_MAX, &cap->maximum)) return -1;
    }
    if ((v = s_get(o, "updated"))) {
        s_path(f, "%s.updated", path);
        if (json_is_integer(v) && json_integer_value(v) >= 0) {
            cap->updated_ms = json_integer_value(v);
        } else if (!json_is_string(v) || !s_parse_datetime(json_string_value(v), &cap->updated_ms)) {
            return INVALID(f, "updated must be an RFC 3339 date-time");
        }
    }
    m->capacity = cap;
    return 0;
}

/* True if s looks like a catalogue service code: [a-z0-9-]{1,64}. */
static bool s_code_shaped(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '-')) return false;
    return n > 0 && n <= 64;
}

/* Reads one HSDS service into m. 0 or -1. */
static int s_json_service(ctx_t *c, json_t *s, const char *path, merged_t *m)
{
    char f[S_FIELD], sub[S_FIELD];
    json_t *arr, *v;
    size_t i;
    if (s_json_object(c, s, path)) return -1;

    const char *code, *id, *name, *elig, *modified;
    if (s_json_cstr(c, s, "x_service_code", path, &code) || s_json_cstr(c, s, "id", path, &id) ||
        s_json_cstr(c, s, "name", path, &name) ||
        s_json_cstr(c, s, "eligibility_description", path, &elig) ||
        s_json_cstr(c, s, "last_modified", path, &modified))
        return -1;
    /* the service code: ours, else a name shaped like a code (what the hub
     * exports), else the id */
    if ((!code || !*code) && name && s_code_shaped(name)) code = name;
    if (!code || !*code) code = id;
    s_path(f, "%s.id", path);
    if (!code || !*code) return INVALID(f, "a service needs an id (its service code)");
    if (s_strs_add(c, &m->services, code, true, f)) return -1;
    if (modified && !m->last_modified) m->last_modified = modified;

    if (s_json_array(c, s, "service_areas", path, &arr)) return -1;
    json_array_foreach(arr, i, v) {
        const char *name;
        s_path(sub, "%s.service_areas[%zu]", path, i);
        if (s_json_object(c, v, sub) || s_json_cstr(c, v, "name", sub, &name)) return -1;
        s_path(f, "%s.name", sub);
        if (!name || !*name) return INVALID(f, "a service area needs a name");
        if (s_strs_add(c, &m->areas, name, true, f)) return -1;
    }
    if (s_json_array(c, s, "languages", path, &arr)) return -1;
    json_array_foreach(arr, i, v) {
        const char *code_l;
        s_path(sub, "%s.languages[%zu]", path, i);
        if (s_json_object(c, v, sub) || s_json_cstr(c, v, "code", sub, &code_l)) return -1;
        s_path(f, "%s.code", sub);
        if (!code_l || !*code_l) return INVALID(f, "a language needs a code");
        if (s_strs_add(c, &m->languages, code_l, true, f)) return -1;
    }
    if (s_json_array(c, s, "schedules", path, &arr)) return -1;
    json_array_foreach(arr, i, v) {
        s_path(sub, "%s.schedules[%zu]", path, i);
        if (s_json_schedule(c, v, sub, &m->hours)) return -1;
    }
    if (s_json_array(c, s, "cost_options", path, &arr)) return -1;
    json_array_foreach(arr, i, v) {
        s_path(sub, "%s.cost_options[%zu]", path, i);
        if (s_json_cost(c, v, sub, m)) return -1;
    }
    if ((v = s_get(s, "minimum_age"))) {
        uint32_t a;
        s_path(f, "%s.minimum_age", path);
        if (s_json_uint(c, v, f, UINT32_MAX, &a)) return -1;
        if (!m->has_min) m->min_age = a, m->has_min = true;
    }
    if ((v = s_get(s, "maximum_age"))) {
        uint32_t a;
        s_path(f, "%s.maximum_age", path);
        if (s_json_uint(c, v, f, UINT32_MAX, &a)) return -1;
        if (!m->has_max) m->max_age = a, m->has_max = true;
    }
    s_path(f, "%s.eligibility_description", path);
    if (elig && s_add_groups(c, elig, &m->groups, f)) return -1;
    if (s_json_array(c, s, "capacities", path, &arr)) return -1;
    if (arr && json_array_size(arr) && !m->capacity) {
        s_path(sub, "%s.capacities[0]", path);
        if (s_json_capacity(c, json_array_get(arr, 0), sub, m)) return -1;
    }
    return 0;
}

/* Reads one HSDS contact ({name, title, email, phones[0].number}). 0 or -1. */
static int s_json_contact(ctx_t *c, json_t *o, const char *path, Matching__Contact **out)
{
    if (s_json_object(c, o, path)) return -1;
    Matching__Contact *ct = s_alloc(c, sizeof *ct, path);
    if (!ct) return -1;
    matching__contact__init(ct);
    if (s_json_str(c, o, "name", path, &ct->name) || s_json_str(c, o, "title", path, &ct->title) ||
        s_json_str(c, o, "email", path, &ct->email))
        return -1;
    json_t *phones;
    if (s_json_array(c, o, "phones", path, &phones)) return -1;
    if (phones && json_array_size(phones)) {
        char sub[S_FIELD], f[S_FIELD];
        json_t *p = json_array_get(phones, 0);
        s_path(sub, "%s.phones[0]", path);
        if (s_json_object(c, p, sub)) return -1;
        s_path(f, "%s.number", sub);
        json_t *num = s_get(p, "number");
        if (!num || !json_is_string(num)) return INVALID(f, "a phone needs a number (a string)");
        if (s_dup(c, json_string_value(num), f, &ct->phone)) return -1;
    }
    *out = ct;
    return 0;
}

/* Reads the credit code (identifier_scheme "CN-USCC" or identifier_type
 * "统一社会信用代码"; the first such identifier) into org. 0 or -1. */
static int s_json_identifiers(ctx_t *c, json_t *o, const char *path, Matching__Organization *org)
{
    json_t *arr, *v;
    size_t i;
    if (s_json_array(c, o, "organization_identifiers", path, &arr)) return -1;
    json_array_foreach(arr, i, v) {
        char sub[S_FIELD], f[S_FIELD];
        const char *scheme, *type;
        s_path(sub, "%s.organization_identifiers[%zu]", path, i);
        if (s_json_object(c, v, sub) || s_json_cstr(c, v, "identifier_scheme", sub, &scheme) ||
            s_json_cstr(c, v, "identifier_type", sub, &type))
            return -1;
        bool uscc = (scheme && !strcasecmp(scheme, "CN-USCC")) ||
                    (type && !strcmp(type, "统一社会信用代码"));
        if (!uscc || *org->credit_code) continue;
        s_path(f, "%s.identifier", sub);
        json_t *id = s_get(v, "identifier");
        if (!id || !json_is_string(id)) return INVALID(f, "the identifier (a string) is required");
        if (s_dup(c, json_string_value(id), f, &org->credit_code)) return -1;
    }
    return 0;
}

/* Reads the address: locations[].addresses[].address_1, the first one. 0 or -1. */
static int s_json_address(ctx_t *c, json_t *o, const char *path, Matching__Organization *org)
{
    json_t *locs, *loc, *addrs, *addr;
    size_t i, k;
    char sub[S_FIELD], sub2[S_FIELD];
    if (s_json_array(c, o, "locations", path, &locs)) return -1;
    json_array_foreach(locs, i, loc) {
        s_path(sub, "%s.locations[%zu]", path, i);
        if (s_json_object(c, loc, sub) || s_json_array(c, loc, "addresses", sub, &addrs)) return -1;
        json_array_foreach(addrs, k, addr) {
            s_path(sub2, "%s.addresses[%zu]", sub, k);
            if (s_json_object(c, addr, sub2)) return -1;
            if (!*org->address && s_json_str(c, addr, "address_1", sub2, &org->address)) return -1;
        }
    }
    return 0;
}

/* Builds one organization from an HSDS organization object. 0 or -1. */
static int s_json_org(ctx_t *c, json_t *o, const char *path, Matching__Organization **out)
{
    char f[S_FIELD], sub[S_FIELD];
    json_t *arr, *v;
    size_t i;
    if (s_json_object(c, o, path)) return -1;
    Matching__Organization *org = s_alloc(c, sizeof *org, path);
    if (!org) return -1;
    matching__organization__init(org);

    const char *hub_id;
    if (s_json_str(c, o, "id", path, &org->id) || s_json_cstr(c, o, "x_hub_id", path, &hub_id))
        return -1;
    s_path(f, "%s.x_hub_id", path);
    if (hub_id && *hub_id && s_dup(c, hub_id, f, &org->id)) return -1;   /* the hub's id wins */
    if (s_json_str(c, o, "name", path, &org->name) ||
        s_json_str(c, o, "description", path, &org->description) ||
        s_json_str(c, o, "email", path, &org->email) || s_json_str(c, o, "website", path, &org->url) ||
        s_json_str(c, o, "x_street", path, &org->street) ||
        s_json_str(c, o, "x_last_verified", path, &org->last_verified))
        return -1;

    const char *legal, *membership, *modified;
    if (s_json_cstr(c, o, "legal_status", path, &legal) ||
        s_json_cstr(c, o, "x_membership", path, &membership) ||
        s_json_cstr(c, o, "last_modified", path, &modified))
        return -1;
    s_path(f, "%s.legal_status", path);
    if (legal && *legal && !s_legal_form(legal, &org->legal_form))
        return INVALID(f, "unknown legal status \"%.40s\" (" S_LEGAL_HELP ")", legal);
    s_path(f, "%s.x_membership", path);
    if (membership && *membership && !s_membership(membership, &org->membership))
        return INVALID(f, "unknown membership \"%.40s\" (" S_MEMBERSHIP_HELP ")", membership);
    s_path(f, "%s.year_incorporated", path);   /* a number; its range is the validator's */
    if ((v = s_get(o, "year_incorporated")) && s_json_uint(c, v, f, UINT32_MAX, &org->year_incorporated))
        return -1;

    if (s_json_identifiers(c, o, path, org) || s_json_address(c, o, path, org)) return -1;

    if (s_json_array(c, o, "contacts", path, &arr)) return -1;
    if (arr && json_array_size(arr)) {
        size_t n = json_array_size(arr);
        s_path(f, "%s.contacts", path);
        if (n > S_MAX_LIST) return INVALID(f, "more than %d contacts", S_MAX_LIST);
        org->contacts = s_alloc(c, n * sizeof *org->contacts, f);
        if (!org->contacts) return -1;
        json_array_foreach(arr, i, v) {
            s_path(sub, "%s.contacts[%zu]", path, i);
            if (s_json_contact(c, v, sub, &org->contacts[i])) return -1;
            org->n_contacts = i + 1;
        }
    }

    merged_t m;
    memset(&m, 0, sizeof m);
    if (s_json_array(c, o, "services", path, &arr)) return -1;
    json_array_foreach(arr, i, v) {
        s_path(sub, "%s.services[%zu]", path, i);
        if (s_json_service(c, v, sub, &m)) return -1;
    }
    org->services = m.services.v, org->n_services = m.services.n;
    org->areas = m.areas.v, org->n_areas = m.areas.n;
    org->languages = m.languages.v, org->n_languages = m.languages.n;
    org->hours = m.hours.v, org->n_hours = m.hours.n;
    if (m.has_cost) org->cost = m.low_cost ? MATCHING__COST__LOW_COST : MATCHING__COST__FREE;
    if (m.fee) org->fee = m.fee;
    org->capacity = m.capacity;
    if (m.has_min || m.has_max || m.groups.n) {
        org->eligibility = s_alloc(c, sizeof *org->eligibility, path);
        if (!org->eligibility) return -1;
        matching__eligibility__init(org->eligibility);
        org->eligibility->min_age = m.min_age;
        org->eligibility->max_age = m.max_age;
        org->eligibility->groups = m.groups.v;
        org->eligibility->n_groups = m.groups.n;
    }
    /* last_verified: x_last_verified, else the date part of last_modified */
    if (!modified) modified = m.last_modified;
    if (!*org->last_verified && modified && *modified) {
        char date[11];
        size_t n = strnlen(modified, 10);
        memcpy(date, modified, n);
        date[n] = 0;
        s_path(f, "%s.last_modified", path);
        if (s_dup(c, date, f, &org->last_verified)) return -1;
    }
    *out = org;
    return 0;
}

/* Reads availability[i] {weekday, opens, closes} of a volunteer. 0 or -1. */
static int s_json_availability(ctx_t *c, json_t *o, const char *path, slots_t *slots)
{
    char f[S_FIELD];
    uint32_t weekday = 0, t[2];
    const char *name[2] = {"opens", "closes"};
    if (s_json_object(c, o, path)) return -1;
    json_t *w = s_get(o, "weekday");
    s_path(f, "%s.weekday", path);
    if (!w) return INVALID(f, "weekday is required (1 = Monday .. 7 = Sunday)");
    if (s_json_uint(c, w, f, 7, &weekday)) return -1;
    for (int k = 0; k < 2; k++) {
        const char *s, *end;
        if (s_json_cstr(c, o, name[k], path, &s)) return -1;
        s_path(f, "%s.%s", path, name[k]);
        if (!s) return INVALID(f, "%s is required (HH:MM)", name[k]);
        if (!s_parse_time(s, &t[k], &end) || *end) return INVALID(f, "\"%.32s\" is not HH:MM", s);
    }
    s_path(f, "%s", path);
    return s_slots_add(c, slots, weekday, t[0], t[1], f);
}

/* Reads skills[i] {service, certification, licence_no}. 0 or -1. */
static int s_json_skill(ctx_t *c, json_t *o, const char *path, Matching__Skill **out)
{
    char f[S_FIELD];
    if (s_json_object(c, o, path)) return -1;
    Matching__Skill *sk = s_alloc(c, sizeof *sk, path);
    if (!sk) return -1;
    matching__skill__init(sk);
    if (s_json_str(c, o, "service", path, &sk->service) ||
        s_json_str(c, o, "certification", path, &sk->certification) ||
        s_json_str(c, o, "licence_no", path, &sk->licence_no))
        return -1;
    s_path(f, "%s.service", path);
    if (!*sk->service) return INVALID(f, "a skill needs a service code");
    *out = sk;
    return 0;
}

/* Builds one volunteer from its JSON object. 0 or -1. */
static int s_json_volunteer(ctx_t *c, json_t *o, const char *path, Matching__Volunteer **out)
{
    char f[S_FIELD], sub[S_FIELD];
    json_t *arr, *v;
    size_t i;
    if (s_json_object(c, o, path)) return -1;
    Matching__Volunteer *vol = s_alloc(c, sizeof *vol, path);
    if (!vol) return -1;
    matching__volunteer__init(vol);
    if (s_json_str(c, o, "id", path, &vol->id) || s_json_str(c, o, "name", path, &vol->name) ||
        s_json_str(c, o, "phone", path, &vol->phone) || s_json_str(c, o, "email", path, &vol->email) ||
        s_json_str(c, o, "organization_id", path, &vol->organization_id))
        return -1;

    const char *membership;
    if (s_json_cstr(c, o, "membership", path, &membership)) return -1;
    s_path(f, "%s.membership", path);
    if (membership && *membership && !s_membership(membership, &vol->membership))
        return INVALID(f, "unknown membership \"%.40s\" (" S_MEMBERSHIP_HELP ")", membership);
    s_path(f, "%s.max_open_cases", path);
    if ((v = s_get(o, "max_open_cases")) && s_json_uint(c, v, f, UINT32_MAX, &vol->max_open_cases))
        return -1;

    if (s_json_array(c, o, "skills", path, &arr)) return -1;
    if (arr && json_array_size(arr)) {
        size_t n = json_array_size(arr);
        s_path(f, "%s.skills", path);
        if (n > S_MAX_LIST) return INVALID(f, "more than %d skills", S_MAX_LIST);
        vol->skills = s_alloc(c, n * sizeof *vol->skills, f);
        if (!vol->skills) return -1;
        json_array_foreach(arr, i, v) {
            s_path(sub, "%s.skills[%zu]", path, i);
            if (s_json_skill(c, v, sub, &vol->skills[i])) return -1;
            vol->n_skills = i + 1;
        }
    }
    strs_t areas = {0}, langs = {0};
    slots_t slots = {0};
    if (s_json_str_list(c, o, "areas", path, &areas, false) ||
        s_json_str_list(c, o, "languages", path, &langs, false))
        return -1;
    if (s_json_array(c, o, "availability", path, &arr)) return -1;
    json_array_foreach(arr, i, v) {
        s_path(sub, "%s.availability[%zu]", path, i);
        if (s_json_availability(c, v, sub, &slots)) return -1;
    }
    vol->areas = areas.v, vol->n_areas = areas.n;
    vol->languages = langs.v, vol->n_languages = langs.n;
    vol->availability = slots.v, vol->n_availability = slots.n;
    *out = vol;
    return 0;
}

/* Parses format "hsds". 0 or -1. */
static int s_parse_hsds(ctx_t *c, const uint8_t *data, size_t len, hsds_batch_t *out)
{
    json_error_t jerr;
    json_t *root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return INVALID("data", "not JSON (line %d, column %d): %s", jerr.line, jerr.column, jerr.text);

    int rc = -1;
    json_t *orgs = NULL, *vols = NULL;
    if (json_is_array(root)) {
        orgs = root;
    } else if (json_is_object(root)) {
        orgs = s_get(root, "organizations");
        vols = s_get(root, "volunteers");
        if (!json_object_get(root, "organizations") && !json_object_get(root, "volunteers")) {
            INVALID("data", "expected an array of organizations or "
                            "{\"organizations\": [...], \"volunteers\": [...]}");
            goto done;
        }
        if (orgs && !json_is_array(orgs)) {
            INVALID("organizations", "organizations must be an array");
            goto done;
        }
        if (vols && !json_is_array(vols)) {
            INVALID("volunteers", "volunteers must be an array");
            goto done;
        }
    } else {
        INVALID("data", "expected an array of organizations or an object");
        goto done;
    }

    size_t n_orgs = json_array_size(orgs), n_vols = json_array_size(vols);
    if (n_orgs + n_vols > HSDS_MAX_RECORDS) {
        hub_error_set(c->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "data",
                      "%zu records, at most %d per import", n_orgs + n_vols, HSDS_MAX_RECORDS);
        goto done;
    }
    char path[S_FIELD];
    if (n_orgs) {
        out->orgs = s_alloc(c, n_orgs * sizeof *out->orgs, "organizations");
        if (!out->orgs) goto done;
        for (size_t i = 0; i < n_orgs; i++) {
            s_path(path, "orgs[%zu]", i);
            if (s_json_org(c, json_array_get(orgs, i), path, &out->orgs[i])) goto done;
            out->n_orgs = i + 1;
        }
    }
    if (n_vols) {
        out->volunteers = s_alloc(c, n_vols * sizeof *out->volunteers, "volunteers");
        if (!out->volunteers) goto done;
        for (size_t i = 0; i < n_vols; i++) {
            s_path(path, "volunteers[%zu]", i);
            if (s_json_volunteer(c, json_array_get(vols, i), path, &out->volunteers[i])) goto done;
            out->n_volunteers = i + 1;
        }
    }
    rc = 0;
done:
    json_decref(root);
    return rc;
}

/* ================================================================ CSV import */

enum {
    O_ID, O_NAME, O_CREDIT_CODE, O_LEGAL_FORM, O_SERVICES, O_AREAS, O_LANGUAGES, O_COST, O_FEE,
    O_MIN_AGE, O_MAX_AGE, O_GROUPS, O_CAP_AVAILABLE, O_CAP_MAXIMUM, O_CONTACT_NAME,
    O_CONTACT_PHONE, O_EMAIL, O_URL, O_MEMBERSHIP, O_LAST_VERIFIED, O_STREET, O_ADDRESS,
    O_DESCRIPTION, O_HOURS, O_YEAR_INCORPORATED, O_NCOLS
};
static const char *const S_ORG_COLS[O_NCOLS] = {
    "id", "name", "credit_code", "legal_form", "services", "areas", "languages", "cost", "fee",
    "min_age", "max_age", "groups", "capacity_available", "capacity_maximum", "contact_name",
    "contact_phone", "email", "url", "membership", "last_verified", "street", "address",
    "description", "hours", "year_incorporated"};

enum {
    V_ID, V_NAME, V_PHONE, V_EMAIL, V_ORGANIZATION_ID, V_SKILLS, V_AREAS, V_LANGUAGES,
    V_MAX_OPEN_CASES, V_MEMBERSHIP, V_AVAILABILITY, V_NCOLS
};
static const char *const S_VOL_COLS[V_NCOLS] = {
    "id", "name", "phone", "email", "organization_id", "skills", "areas", "languages",
    "max_open_cases", "membership", "availability"};

_Static_assert((int)O_NCOLS >= (int)V_NCOLS, "row_t holds the cells of either kind");

/* A CSV reader over data[0..len). */
typedef struct {
    const char *p, *end;
    size_t line;   /* physical line of p, from 1 */
} csv_t;

/* A row: the cells in the order of the columns of its kind (NULL = the
 * header has no such column), and the line it starts on. */
typedef struct {
    char *cell[O_NCOLS];   /* the org kind has the most columns */
    size_t line;
} row_t;

/* Reads one field at r->p into the arena as *out (quotes undone) and
 * leaves r->p on the delimiter after it. 0, or -1 (INVALID_ARGUMENT
 * "line N": an unterminated quote, text after a closing quote, a quote or
 * a stray CR inside an unquoted field). */
static int s_csv_field(ctx_t *c, csv_t *r, char **out)
{
    char f[S_FIELD];
    size_t start_line = r->line;
    const char *p = r->p;
    if (p < r->end && *p == '"') {
        /* quoted: up to the closing quote, "" is one quote, newlines kept */
        const char *q = ++p;
        size_t n = 0;
        for (;;) {
            if (q >= r->end) {
                s_path(f, "line %zu", start_line);
                return INVALID(f, "a quoted field is not closed");
            }
            if (*q == '"') {
                if (q + 1 < r->end && q[1] == '"') { q += 2; n++; continue; }
                break;
            }
            if (*q == '\n') r->line++;
            q++, n++;
        }
        char *s = s_alloc(c, n + 1, "data");
        if (!s) return -1;
        size_t k = 0;
        for (const char *x = p; x < q; x++) {
            s[k++] = *x;
            if (*x == '"') x++;   /* the second quote of a pair */
        }
        s[k] = 0;
        p = q + 1;
        if (p < r->end && *p != ',' && *p != '\n' && !(*p == '\r' && p + 1 < r->end && p[1] == '\n')) {
            s_path(f, "line %zu", r->line);
            return INVALID(f, "text after the closing quote of a field");
        }
        r->p = p;
        *out = s;
        return 0;
    }
    const char *q = p;
    while (q < r->end && *q != ',' && *q != '\n') {
        if (*q == '"') {
            s_path(f, "line %zu", r->line);
            return INVALID(f, "a quote inside an unquoted field (quote the whole field, double inner quotes)");
        }
        if (*q == '\r' && !(q + 1 < r->end && q[1] == '\n')) {
            s_path(f, "line %zu", r->line);
            return INVALID(f, "a carriage return that does not end the line");
        }
        q++;
    }
    size_t n = (size_t)(q - p);
    if (n && q < r->end && p[n - 1] == '\r') n--;   /* the CR of CRLF */
    char *s = s_alloc(c, n + 1, "data");
    if (!s) return -1;
    memcpy(s, p, n);
    s[n] = 0;
    r->p = q;
    *out = s;
    return 0;
}

/* Reads one record of at most max fields into fields, skipping blank
 * lines. 1 when a record was read (*n fields, *line its first line), 0 at
 * the end of the data, -1 on a malformed record ("line N": also more than
 * max fields). Each field is checked to be UTF-8 (NUL bytes were refused
 * before); *bad is the index of the first that is not (or -1), for the
 * caller to name. */
static int s_csv_record(ctx_t *c, csv_t *r, char **fields, size_t max, size_t *n, size_t *line,
                        int *bad)
{
    char f[S_FIELD];
    /* blank lines */
    for (;;) {
        if (r->p >= r->end) return 0;
        if (*r->p == '\n') { r->p++, r->line++; continue; }
        if (*r->p == '\r' && r->p + 1 < r->end && r->p[1] == '\n') { r->p += 2, r->line++; continue; }
        break;
    }
    *line = r->line;
    *n = 0;
    *bad = -1;
    for (;;) {
        if (*n == max) {
            s_path(f, "line %zu", *line);
            return INVALID(f, "more than %zu fields", max);
        }
        char *s = NULL;
        if (s_csv_field(c, r, &s)) return -1;
        if (*bad < 0 && !hub_utf8_valid(s, strlen(s))) *bad = (int)*n;
        fields[(*n)++] = s;
        if (r->p >= r->end) break;
        if (*r->p == ',') {   /* another field follows (empty at the end of the data) */
            r->p++;
            continue;
        }
        if (*r->p == '\r') r->p++;   /* s_csv_field stops on a CR only before LF */
        r->p++, r->line++;
        break;
    }
    return 1;
}

/* Splits a ";" list cell into l (items trimmed, empty ones skipped). 0 or -1. */
static int s_csv_list(ctx_t *c, char *cell, strs_t *l, const char *f)
{
    if (!cell) return 0;
    for (char *p = cell;;) {
        char *semi = strchr(p, ';');
        if (semi) *semi = 0;
        char *item = s_trim(p);
        if (*item && s_strs_add(c, l, item, false, f)) return -1;
        if (!semi) return 0;
        p = semi + 1;
    }
}

/* Parses a weekday list "1-5", "1,3,5", "6-7" into a bit mask (bit 0 =
 * Monday). False when malformed or out of 1..7. */
static bool s_parse_days(const char *s, unsigned *mask)
{
    *mask = 0;
    while (*s) {
        if (*s < '1' || *s > '7') return false;
        unsigned lo = (unsigned)(*s++ - '0'), hi = lo;
        if (*s == '-') {
            s++;
            if (*s < '1' || *s > '7') return false;
            hi = (unsigned)(*s++ - '0');
            if (hi < lo) return false;
        }
        for (unsigned d = lo; d <= hi; d++) *mask |= 1u << (d - 1);
        if (*s == ',') {
            s++;
            if (!*s) return false;
        } else if (*s) {
            return false;
        }
    }
    return *mask != 0;
}

/* Parses a slot list cell: ";"-separated "DAYS HH:MM-HH:MM" items
 * ("1-5 09:00-17:00;6 09:00-12:00"). 0 or -1 naming field f. */
static int s_csv_slots(ctx_t *c, char *cell, slots_t *slots, const char *f)
{
    if (!cell) return 0;
    for (char *p = cell;;) {
        char *semi = strchr(p, ';');
        if (semi) *semi = 0;
        char *item = s_trim(p);
        if (*item) {
            char shown[64];   /* the item as written, for the message */
            snprintf(shown, sizeof shown, "%s", item);
            char *sp = item + strcspn(item, " \t");
            unsigned mask;
            uint32_t opens, closes;
            const char *end;
            bool ok = *sp != 0;
            if (ok) {
                *sp++ = 0;
                char *times = s_trim(sp);
                ok = s_parse_days(item, &mask) && s_parse_time(times, &opens, &end) && *end == '-' &&
                     s_parse_time(end + 1, &closes, &end) && !*end;
            }
            if (!ok)
                return INVALID(f, "\"%s\" is not \"DAYS HH:MM-HH:MM\" "
                                  "(days 1 = Monday .. 7, e.g. 1-5 09:00-17:00)", shown);
            for (unsigned d = 0; d < 7; d++)
                if (mask & (1u << d) && s_slots_add(c, slots, d + 1, opens, closes, f)) return -1;
        }
        if (!semi) return 0;
        p = semi + 1;
    }
}

/* Reads the number in cell (empty = absent: false in *present) up to max. 0 or -1. */
static int s_csv_uint(ctx_t *c, char *cell, uint32_t max, uint32_t *out, bool *present,
                      const char *f)
{
    const char *s = cell ? s_trim(cell) : "";
    if (present) *present = *s != 0;
    if (!*s) return 0;
    if (!s_parse_uint(s, max, out))
        return INVALID(f, "\"%.32s\" is not a whole number 0..%" PRIu32, s, max);
    return 0;
}

/* The trimmed cell, "" for a column the header does not have. */
static char *s_cell(row_t *row, int col)
{
    return row->cell[col] ? s_trim(row->cell[col]) : (char *)"";
}

/* Builds an organization from a CSV row. 0 or -1 ("line N: column"). */
static int s_csv_org(ctx_t *c, row_t *row, Matching__Organization **out)
{
    char f[S_FIELD];
#define COL(col) (s_path(f, "line %zu: %s", row->line, S_ORG_COLS[col]), f)
    Matching__Organization *org = s_alloc(c, sizeof *org, COL(O_ID));
    if (!org) return -1;
    matching__organization__init(org);
    org->id = s_cell(row, O_ID);
    org->name = s_cell(row, O_NAME);
    org->credit_code = s_cell(row, O_CREDIT_CODE);
    org->description = s_cell(row, O_DESCRIPTION);
    org->email = s_cell(row, O_EMAIL);
    org->url = s_cell(row, O_URL);
    org->fee = s_cell(row, O_FEE);
    org->last_verified = s_cell(row, O_LAST_VERIFIED);
    org->street = s_cell(row, O_STREET);
    org->address = s_cell(row, O_ADDRESS);

    const char *s = s_cell(row, O_LEGAL_FORM);
    if (*s && !s_legal_form(s, &org->legal_form))
        return INVALID(COL(O_LEGAL_FORM), "unknown legal form \"%.40s\" (" S_LEGAL_HELP ")", s);
    s = s_cell(row, O_MEMBERSHIP);
    if (*s && !s_membership(s, &org->membership))
        return INVALID(COL(O_MEMBERSHIP), "unknown membership \"%.40s\" (" S_MEMBERSHIP_HELP ")", s);
    s = s_cell(row, O_COST);
    if (*s && !s_cost(s, &org->cost))
        return INVALID(COL(O_COST), "unknown cost \"%.40s\" (FREE, LOW_COST)", s);

    strs_t services = {0}, areas = {0}, langs = {0}, groups = {0};
    slots_t hours = {0};
    if (s_csv_list(c, row->cell[O_SERVICES], &services, COL(O_SERVICES)) ||
        s_csv_list(c, row->cell[O_AREAS], &areas, COL(O_AREAS)) ||
        s_csv_list(c, row->cell[O_LANGUAGES], &langs, COL(O_LANGUAGES)) ||
        s_csv_list(c, row->cell[O_GROUPS], &groups, COL(O_GROUPS)) ||
        s_csv_slots(c, row->cell[O_HOURS], &hours, COL(O_HOURS)))
        return -1;
    org->services = services.v, org->n_services = services.n;
    org->areas = areas.v, org->n_areas = areas.n;
    org->languages = langs.v, org->n_languages = langs.n;
    org->hours = hours.v, org->n_hours = hours.n;

    uint32_t min_age = 0, max_age = 0, avail = 0, maximum = 0;
    bool has_min, has_max, has_avail, has_maximum;
    if (s_csv_uint(c, row->cell[O_MIN_AGE], UINT32_MAX, &min_age, &has_min, COL(O_MIN_AGE)) ||
        s_csv_uint(c, row->cell[O_MAX_AGE], UINT32_MAX, &max_age, &has_max, COL(O_MAX_AGE)) ||
        s_csv_uint(c, row->cell[O_CAP_AVAILABLE], UINT32_MAX, &avail, &has_avail, COL(O_CAP_AVAILABLE)) ||
        s_csv_uint(c, row->cell[O_CAP_MAXIMUM], UINT32_MAX, &maximum, &has_maximum, COL(O_CAP_MAXIMUM)) ||
        s_csv_uint(c, row->cell[O_YEAR_INCORPORATED], UINT32_MAX, &org->year_incorporated, NULL,
                   COL(O_YEAR_INCORPORATED)))
        return -1;
    if (has_min || has_max || groups.n) {
        org->eligibility = s_alloc(c, sizeof *org->eligibility, COL(O_GROUPS));
        if (!org->eligibility) return -1;
        matching__eligibility__init(org->eligibility);
        org->eligibility->min_age = min_age;
        org->eligibility->max_age = max_age;
        org->eligibility->groups = groups.v;
        org->eligibility->n_groups = groups.n;
    }
    if (has_avail || has_maximum) {
        org->capacity = s_alloc(c, sizeof *org->capacity, COL(O_CAP_MAXIMUM));
        if (!org->capacity) return -1;
        matching__capacity__init(org->capacity);
        org->capacity->available = avail;
        org->capacity->maximum = maximum;
    }
    const char *cname = s_cell(row, O_CONTACT_NAME), *cphone = s_cell(row, O_CONTACT_PHONE);
    if (*cname || *cphone) {
        org->contacts = s_alloc(c, sizeof *org->contacts, COL(O_CONTACT_NAME));
        Matching__Contact *ct = org->contacts ? s_alloc(c, sizeof *ct, f) : NULL;
        if (!ct) return -1;
        matching__contact__init(ct);
        ct->name = (char *)cname;
        ct->phone = (char *)cphone;
        org->contacts[0] = ct;
        org->n_contacts = 1;
    }
#undef COL
    *out = org;
    return 0;
}

/* Splits "service:certification:licence_no" items (";" list) into skills. 0 or -1. */
static int s_csv_skills(ctx_t *c, char *cell, Matching__Volunteer *vol, const char *f)
{
    strs_t items = {0};
    if (s_csv_list(c, cell, &items, f)) return -1;
    if (!items.n) return 0;
    vol->skills = s_alloc(c, items.n * sizeof *vol->skills, f);
    if (!vol->skills) return -1;
    for (size_t i = 0; i < items.n; i++) {
        Matching__Skill *sk = s_alloc(c, sizeof *sk, f);
        if (!sk) return -1;
        matching__skill__init(sk);
        char *part[3] = {items.v[i], NULL, NULL};
        for (int k = 1; k < 3; k++) {
            char *colon = strchr(part[k - 1], ':');
            if (!colon) break;
            *colon = 0;
            part[k] = colon + 1;
        }
        sk->service = s_trim(part[0]);
        if (part[1]) sk->certification = s_trim(part[1]);
        if (part[2]) sk->licence_no = s_trim(part[2]);
        if (!*sk->service)
            return INVALID(f, "skill %zu has no service code (service:certification:licence_no)", i + 1);
        vol->skills[i] = sk;
        vol->n_skills = i + 1;
    }
    return 0;
}

/* Builds a volunteer from a CSV row. 0 or -1 ("line N: column"). */
static int s_csv_volunteer(ctx_t *c, row_t *row, Matching__Volunteer **out)
{
    char f[S_FIELD];
#define COL(col) (s_path(f, "line %zu: %s", row->line, S_VOL_COLS[col]), f)
    Matching__Volunteer *vol = s_alloc(c, sizeof *vol, COL(V_ID));
    if (!vol) return -1;
    matching__volunteer__init(vol);
    vol->id = s_cell(row, V_ID);
    vol->name = s_cell(row, V_NAME);
    vol->phone = s_cell(row, V_PHONE);
    vol->email = s_cell(row, V_EMAIL);
    vol->organization_id = s_cell(row, V_ORGANIZATION_ID);
    const char *s = s_cell(row, V_MEMBERSHIP);
    if (*s && !s_membership(s, &vol->membership))
        return INVALID(COL(V_MEMBERSHIP), "unknown membership \"%.40s\" (" S_MEMBERSHIP_HELP ")", s);
    if (s_csv_uint(c, row->cell[V_MAX_OPEN_CASES], UINT32_MAX, &vol->max_open_cases, NULL,
                   COL(V_MAX_OPEN_CASES)))
        return -1;
    if (s_csv_skills(c, row->cell[V_SKILLS], vol, COL(V_SKILLS))) return -1;
    strs_t areas = {0}, langs = {0};
    slots_t slots = {0};
    if (s_csv_list(c, row->cell[V_AREAS], &areas, COL(V_AREAS)) ||
        s_csv_list(c, row->cell[V_LANGUAGES], &langs, COL(V_LANGUAGES)) ||
        s_csv_slots(c, row->cell[V_AVAILABILITY], &slots, COL(V_AVAILABILITY)))
        return -1;
    vol->areas = areas.v, vol->n_areas = areas.n;
    vol->languages = langs.v, vol->n_languages = langs.n;
    vol->availability = slots.v, vol->n_availability = slots.n;
#undef COL
    *out = vol;
    return 0;
}

/* Parses format "csv" of the given kind. 0 or -1. */
static int s_parse_csv(ctx_t *c, const char *kind, const uint8_t *data, size_t len,
                       hsds_batch_t *out)
{
    bool org = kind && !strcmp(kind, "org");
    if (!org && !(kind && !strcmp(kind, "volunteer")))
        return INVALID("kind", "kind must be \"org\" or \"volunteer\" for CSV");
    const char *const *names = org ? S_ORG_COLS : S_VOL_COLS;
    size_t ncols = org ? O_NCOLS : V_NCOLS;

    csv_t r = {(const char *)data, (const char *)data + len, 1};
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) r.p += 3;   /* a UTF-8 byte order mark */
    if (memchr(r.p, 0, (size_t)(r.end - r.p))) {
        /* a NUL would cut a field short; find its line for the message */
        size_t line = 1;
        for (const char *p = r.p; *p; p++) line += *p == '\n';
        char f[S_FIELD];
        s_path(f, "line %zu", line);
        return INVALID(f, "a NUL byte in the data");
    }

    /* the header */
    char *fields[S_CSV_MAX_COLS];
    size_t n, line;
    int bad;
    int got = s_csv_record(c, &r, fields, S_CSV_MAX_COLS, &n, &line, &bad);
    if (got < 0) return -1;
    if (got == 0) return INVALID("line 1", "no header line (the column names)");
    int map[S_CSV_MAX_COLS];   /* column of field i */
    bool seen[O_NCOLS] = {0};
    char f[S_FIELD];
    if (bad >= 0) {
        s_path(f, "line %zu", line);
        return INVALID(f, "the header is not valid UTF-8");
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = s_trim(fields[i]);
        map[i] = -1;
        for (size_t k = 0; k < ncols; k++)
            if (!strcasecmp(name, names[k])) map[i] = (int)k;
        s_path(f, "line %zu: %.60s", line, name);
        if (map[i] < 0)
            return INVALID(f, "unknown column \"%.60s\" for kind %s", name, kind);
        if (seen[map[i]]) return INVALID(f, "column \"%.60s\" appears twice", name);
        seen[map[i]] = true;
    }
    size_t header_n = n;

    /* room for every record: at most one per newline, plus one */
    size_t bound = 1;
    for (const char *p = r.p; p < r.end; p++) bound += *p == '\n';
    if (bound > HSDS_MAX_RECORDS) bound = HSDS_MAX_RECORDS;
    if (org) out->orgs = s_alloc(c, bound * sizeof *out->orgs, "data");
    else out->volunteers = s_alloc(c, bound * sizeof *out->volunteers, "data");
    if (!out->orgs && !out->volunteers) return -1;

    size_t count = 0;
    for (;;) {
        row_t row;
        memset(&row, 0, sizeof row);
        got = s_csv_record(c, &r, fields, header_n, &n, &row.line, &bad);
        if (got < 0) return -1;
        if (got == 0) break;
        if (bad >= 0) {
            s_path(f, "line %zu: %s", row.line, names[map[bad]]);
            return INVALID(f, "not valid UTF-8");
        }
        if (n != header_n) {
            s_path(f, "line %zu", row.line);
            return INVALID(f, "%zu fields, the header has %zu", n, header_n);
        }
        if (count == HSDS_MAX_RECORDS)
            return hub_error_set(c->err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "data",
                                 "more than %d records per import", HSDS_MAX_RECORDS);
        for (size_t i = 0; i < n; i++) row.cell[map[i]] = fields[i];
        if (org) {
            if (s_csv_org(c, &row, &out->orgs[count])) return -1;
            out->n_orgs = ++count;
        } else {
            if (s_csv_volunteer(c, &row, &out->volunteers[count])) return -1;
            out->n_volunteers = ++count;
        }
    }
    return 0;
}

int hsds_parse(const char *format, const char *kind, const uint8_t *data, size_t len,
               hub_arena_t *arena, hsds_batch_t *out, hub_error_t *err)
{
    ctx_t ctx = {arena, err}, *c = &ctx;
    memset(out, 0, sizeof *out);
    if (!data) data = (const uint8_t *)"", len = 0;
    int rc;
    if (format && !strcmp(format, "hsds")) rc = s_parse_hsds(c, data, len, out);
    else if (format && !strcmp(format, "csv")) rc = s_parse_csv(c, kind, data, len, out);
    else rc = INVALID("format", "format must be \"hsds\" or \"csv\"");
    if (rc) memset(out, 0, sizeof *out);
    return rc;
}

/* ================================================================ export */

/* SHA-1 (FIPS 180-4), enough for name-based UUIDs. */
typedef struct {
    uint32_t h[5];
    uint64_t len;     /* bytes hashed */
    uint8_t buf[64];
    size_t nbuf;
} sha1_t;

static uint32_t s_rol(uint32_t x, int n)
{
    return (x << n) | (x >> (32 - n));
}

/* Hashes one 64-byte block into h. */
static void s_sha1_block(uint32_t h[5], const uint8_t *b)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 | (uint32_t)b[4 * i + 2] << 8 |
               b[4 * i + 3];
    for (int i = 16; i < 80; i++) w[i] = s_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], bb = h[1], cc = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) f = (bb & cc) | (~bb & d), k = 0x5A827999;
        else if (i < 40) f = bb ^ cc ^ d, k = 0x6ED9EBA1;
        else if (i < 60) f = (bb & cc) | (bb & d) | (cc & d), k = 0x8F1BBCDC;
        else f = bb ^ cc ^ d, k = 0xCA62C1D6;
        uint32_t t = s_rol(a, 5) + f + e + k + w[i];
        e = d, d = cc, cc = s_rol(bb, 30), bb = a, a = t;
    }
    h[0] += a, h[1] += bb, h[2] += cc, h[3] += d, h[4] += e;
}

static void s_sha1_init(sha1_t *s)
{
    static const uint32_t h0[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    memcpy(s->h, h0, sizeof h0);
    s->len = 0;
    s->nbuf = 0;
}

static void s_sha1_update(sha1_t *s, const void *data, size_t n)
{
    const uint8_t *p = data;
    s->len += n;
    while (n) {
        size_t take = 64 - s->nbuf < n ? 64 - s->nbuf : n;
        memcpy(s->buf + s->nbuf, p, take);
        s->nbuf += take, p += take, n -= take;
        if (s->nbuf == 64) s_sha1_block(s->h, s->buf), s->nbuf = 0;
    }
}

static void s_sha1_final(sha1_t *s, uint8_t out[20])
{
    uint64_t bits = s->len * 8;
    uint8_t pad = 0x80, zero = 0, be[8];
    s_sha1_update(s, &pad, 1);
    while (s->nbuf != 56) s_sha1_update(s, &zero, 1);
    for (int i = 0; i < 8; i++) be[i] = (uint8_t)(bits >> (56 - 8 * i));
    s_sha1_update(s, be, 8);
    for (int i = 0; i < 20; i++) out[i] = (uint8_t)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

/* Writes the UUID v5 of name id + suffix (printf-formatted) in the hub's
 * namespace into out ("xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx"). */
static void s_uuid(char out[37], const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void s_uuid(char out[37], const char *id, const char *fmt, ...)
{
    char suffix[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(suffix, sizeof suffix, fmt, ap);
    va_end(ap);
    sha1_t s;
    uint8_t h[20];
    s_sha1_init(&s);
    s_sha1_update(&s, S_NS, sizeof S_NS);
    s_sha1_update(&s, id, strlen(id));
    s_sha1_update(&s, suffix, strlen(suffix));
    s_sha1_final(&s, h);
    h[6] = (uint8_t)((h[6] & 0x0F) | 0x50);
    h[8] = (uint8_t)((h[8] & 0x3F) | 0x80);
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *o++ = '-';
        *o++ = hex[h[i] >> 4];
        *o++ = hex[h[i] & 15];
    }
    *o = 0;
}

/* Sets obj[key] = v; clears *ok when v is NULL or jansson fails (out of
 * memory). */
static void s_set(json_t *obj, const char *key, json_t *v, bool *ok)
{
    if (!v || json_object_set_new(obj, key, v)) *ok = false;
}

/* Appends v to arr; clears *ok on failure. */
static void s_push(json_t *arr, json_t *v, bool *ok)
{
    if (!v || json_array_append_new(arr, v)) *ok = false;
}

/* A JSON string of s ("" when s is NULL or, which validated records never
 * are, not UTF-8). NULL only when out of memory. */
static json_t *s_jstr(const char *s)
{
    json_t *v = json_string(s_str(s));
    return v ? v : json_string("");
}

/* Sets obj[key] to the string s unless s is empty. */
static void s_set_opt(json_t *obj, const char *key, const char *s, bool *ok)
{
    if (*s_str(s)) s_set(obj, key, s_jstr(s), ok);
}

/* The "HH:MM" of minutes after midnight. */
static void s_hhmm(uint32_t min, char out[8])
{
    snprintf(out, 8, "%02u:%02u", (unsigned)(min / 60 % 100), (unsigned)(min % 60));
}

/* True if url starts with a scheme and "://" ("https://..."). */
static bool s_has_scheme(const char *url)
{
    const char *p = url;
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) return false;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
           *p == '+' || *p == '-' || *p == '.')
        p++;
    return !strncmp(p, "://", 3);
}

/* Sets obj["website"] to org's url as an absolute URI (the schema's
 * format): "http://" goes before a url written without a scheme. */
static void s_set_website(json_t *obj, const char *url, bool *ok)
{
    if (!*s_str(url)) return;
    if (s_has_scheme(url)) {
        s_set(obj, "website", s_jstr(url), ok);
        return;
    }
    size_t n = strlen(url) + sizeof "http://";
    char *full = malloc(n);
    if (!full) {
        *ok = false;
        return;
    }
    snprintf(full, n, "http://%s", url);
    s_set(obj, "website", s_jstr(full), ok);
    free(full);
}

/* The HSDS contacts of org. */
static json_t *s_contacts_json(const Matching__Organization *org, const char *org_uuid, bool *ok)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < org->n_contacts; i++) {
        const Matching__Contact *ct = org->contacts[i];
        if (!ct) continue;
        char id[37], pid[37];
        s_uuid(id, s_str(org->id), "-contact-%zu", i);
        json_t *o = json_object();
        s_set(o, "id", json_string(id), ok);
        s_set(o, "organization_id", json_string(org_uuid), ok);
        s_set_opt(o, "name", ct->name, ok);
        s_set_opt(o, "title", ct->title, ok);
        s_set_opt(o, "email", ct->email, ok);
        if (*s_str(ct->phone)) {
            s_uuid(pid, s_str(org->id), "-contact-%zu-phone", i);
            json_t *ph = json_object();
            s_set(ph, "id", json_string(pid), ok);
            s_set(ph, "contact_id", json_string(id), ok);
            s_set(ph, "number", s_jstr(ct->phone), ok);
            json_t *phones = json_array();
            s_push(phones, ph, ok);
            s_set(o, "phones", phones, ok);
        }
        s_push(arr, o, ok);
    }
    return arr;
}

/* The HSDS schedules of org's hours for one service: consecutive slots
 * with the same hours become one weekly schedule (byday "MO,TU,..."). */
static json_t *s_schedules_json(const Matching__Organization *org, const char *code,
                                const char *svc_uuid, bool *ok)
{
    json_t *arr = json_array();
    size_t i = 0, k = 0;
    while (i < org->n_hours) {
        const Matching__TimeSlot *t = org->hours[i];
        size_t j = i;
        char byday[7 * 3 + 1] = "";
        size_t nb = 0;
        /* the run of slots i..j-1 with t's hours (at most 7 days) */
        while (j < org->n_hours && org->hours[j] && t && org->hours[j]->opens_min == t->opens_min &&
               org->hours[j]->closes_min == t->closes_min && nb < 7) {
            uint32_t wd = org->hours[j]->weekday;
            if (wd >= 1 && wd <= 7) {
                snprintf(byday + strlen(byday), sizeof byday - strlen(byday), "%s%s", nb ? "," : "",
                         S_DAYS[wd - 1]);
                nb++;
            }
            j++;
        }
        if (j == i) j = i + 1;   /* a NULL slot */
        if (nb) {
            char id[37], opens[8], closes[8];
            s_uuid(id, s_str(org->id), "-svc-%s-schedule-%zu", code, k++);
            s_hhmm(t->opens_min, opens);
            s_hhmm(t->closes_min, closes);
            json_t *o = json_object();
            s_set(o, "id", json_string(id), ok);
            s_set(o, "service_id", json_string(svc_uuid), ok);
            s_set(o, "freq", json_string("WEEKLY"), ok);
            s_set(o, "wkst", json_string("MO"), ok);
            s_set(o, "byday", json_string(byday), ok);
            s_set(o, "opens_at", json_string(opens), ok);
            s_set(o, "closes_at", json_string(closes), ok);
            s_set(o, "timezone", json_integer(8), ok);
            s_push(arr, o, ok);
        }
        i = j;
    }
    return arr;
}

/* The HSDS cost option of org: free (amount 0), or low cost with the fee
 * as amount_description and its leading number as amount (CNY). */
static json_t *s_cost_json(const Matching__Organization *org, const char *code,
                           const char *svc_uuid, bool *ok)
{
    char id[37];
    s_uuid(id, s_str(org->id), "-svc-%s-cost", code);
    json_t *o = json_object();
    s_set(o, "id", json_string(id), ok);
    s_set(o, "service_id", json_string(svc_uuid), ok);
    if (org->cost != MATCHING__COST__LOW_COST) {
        s_set(o, "option", json_string("免费"), ok);
        s_set(o, "amount", json_integer(0), ok);
        s_set(o, "currency", json_string("CNY"), ok);
        return o;
    }
    const char *fee = s_str(org->fee);
    s_set(o, "option", json_string("低偿"), ok);
    char *end;
    double amount = strtod(fee, &end);
    if (end != fee && amount > 0 && amount < 1e12 &&
        (*end == 0 || *end == ' ' || (unsigned char)*end >= 0x80)) {
        bool whole = amount == (double)(json_int_t)amount;
        s_set(o, "amount", whole ? json_integer((json_int_t)amount) : json_real(amount), ok);
        s_set(o, "currency", json_string("CNY"), ok);
    }
    s_set(o, "amount_description", s_jstr(*fee ? fee : "低偿"), ok);
    return o;
}

/* One HSDS service of org for the service code. */
static json_t *s_service_json(const Matching__Organization *org, const char *code,
                              const char *org_uuid, bool *ok)
{
    char sid[37], id[37];
    const char *oid = s_str(org->id);
    s_uuid(sid, oid, "-svc-%s", code);
    json_t *s = json_object();
    s_set(s, "id", json_string(sid), ok);
    s_set(s, "organization_id", json_string(org_uuid), ok);
    s_set(s, "x_service_code", s_jstr(code), ok);
    s_set(s, "name", s_jstr(code), ok);
    const char *status = "inactive";
    if (org->membership == MATCHING__MEMBERSHIP__APPROVED) status = "active";
    else if (org->membership == MATCHING__MEMBERSHIP__SUSPENDED) status = "temporarily closed";
    s_set(s, "status", json_string(status), ok);

    const Matching__Eligibility *e = org->eligibility;
    if (e && e->min_age) s_set(s, "minimum_age", json_integer(e->min_age), ok);
    if (e && e->max_age) s_set(s, "maximum_age", json_integer(e->max_age), ok);
    if (e && e->n_groups) {
        size_t n = 1;
        for (size_t i = 0; i < e->n_groups; i++) n += strlen(s_str(e->groups[i])) + 1;
        char *text = malloc(n);
        if (!text) {
            *ok = false;
        } else {
            text[0] = 0;
            for (size_t i = 0; i < e->n_groups; i++) {
                if (i) strcat(text, ",");
                strcat(text, s_str(e->groups[i]));
            }
            s_set(s, "eligibility_description", s_jstr(text), ok);
            free(text);
        }
    }

    json_t *areas = json_array();
    for (size_t i = 0; i < org->n_areas; i++) {
        s_uuid(id, oid, "-svc-%s-area-%zu", code, i);
        json_t *a = json_object();
        s_set(a, "id", json_string(id), ok);
        s_set(a, "service_id", json_string(sid), ok);
        s_set(a, "name", s_jstr(org->areas[i]), ok);
        if (!strcmp(s_str(org->areas[i]), "*")) s_set(a, "description", json_string("全区"), ok);
        s_push(areas, a, ok);
    }
    s_set(s, "service_areas", areas, ok);

    json_t *langs = json_array();
    for (size_t i = 0; i < org->n_languages; i++) {
        s_uuid(id, oid, "-svc-%s-lang-%zu", code, i);
        json_t *l = json_object();
        s_set(l, "id", json_string(id), ok);
        s_set(l, "service_id", json_string(sid), ok);
        s_set(l, "code", s_jstr(org->languages[i]), ok);
        s_push(langs, l, ok);
    }
    s_set(s, "languages", langs, ok);
    s_set(s, "schedules", s_schedules_json(org, code, sid, ok), ok);

    json_t *costs = json_array();
    s_push(costs, s_cost_json(org, code, sid, ok), ok);
    s_set(s, "cost_options", costs, ok);

    if (org->capacity) {
        s_uuid(id, oid, "-svc-%s-capacity", code);
        json_t *cap = json_object();
        s_set(cap, "id", json_string(id), ok);
        s_set(cap, "service_id", json_string(sid), ok);
        s_set(cap, "available", json_integer(org->capacity->available), ok);
        s_set(cap, "maximum", json_integer(org->capacity->maximum), ok);
        if (org->capacity->updated_ms > 0) {
            char when[64];
            s_format_datetime(org->capacity->updated_ms, when);
            s_set(cap, "updated", json_string(when), ok);
        }
        json_t *caps = json_array();
        s_push(caps, cap, ok);
        s_set(s, "capacities", caps, ok);
    }
    return s;
}

/* The HSDS 3.0 organization object of org. */
static json_t *s_org_json(const Matching__Organization *org, bool *ok)
{
    char uuid[37], id[37];
    const char *oid = s_str(org->id);
    s_uuid(uuid, oid, "%s", "");
    json_t *o = json_object();
    s_set(o, "id", json_string(uuid), ok);
    s_set(o, "x_hub_id", s_jstr(oid), ok);
    s_set(o, "name", s_jstr(org->name), ok);
    s_set(o, "description", s_jstr(org->description), ok);
    s_set_opt(o, "email", org->email, ok);
    s_set_website(o, org->url, ok);
    for (size_t i = 0; i < sizeof S_LEGAL_NAMES / sizeof *S_LEGAL_NAMES; i++)
        if (S_LEGAL_NAMES[i].form == org->legal_form) {
            s_set(o, "legal_status", json_string(S_LEGAL_NAMES[i].name), ok);
            break;
        }
    if (org->year_incorporated) s_set(o, "year_incorporated", json_integer(org->year_incorporated), ok);
    const ProtobufCEnumValue *m =
        protobuf_c_enum_descriptor_get_value(&matching__membership__descriptor, (int)org->membership);
    if (m && org->membership) s_set(o, "x_membership", json_string(m->name), ok);
    s_set_opt(o, "x_street", org->street, ok);
    s_set_opt(o, "x_last_verified", org->last_verified, ok);

    if (*s_str(org->credit_code)) {
        s_uuid(id, oid, "%s", "-uscc");
        json_t *ident = json_object();
        s_set(ident, "id", json_string(id), ok);
        s_set(ident, "organization_id", json_string(uuid), ok);
        s_set(ident, "identifier_scheme", json_string("CN-USCC"), ok);
        s_set(ident, "identifier_type", json_string("统一社会信用代码"), ok);
        s_set(ident, "identifier", s_jstr(org->credit_code), ok);
        json_t *idents = json_array();
        s_push(idents, ident, ok);
        s_set(o, "organization_identifiers", idents, ok);
    }
    if (org->n_contacts) s_set(o, "contacts", s_contacts_json(org, uuid, ok), ok);
    if (*s_str(org->address)) {
        char lid[37];
        s_uuid(lid, oid, "%s", "-location");
        s_uuid(id, oid, "%s", "-address");
        json_t *addr = json_object();
        s_set(addr, "id", json_string(id), ok);
        s_set(addr, "location_id", json_string(lid), ok);
        s_set(addr, "address_1", s_jstr(org->address), ok);
        s_set(addr, "city", json_string(""), ok);
        s_set(addr, "state_province", json_string(""), ok);
        s_set(addr, "postal_code", json_string(""), ok);
        s_set(addr, "country", json_string("CN"), ok);
        s_set(addr, "address_type", json_string("physical"), ok);
        json_t *addrs = json_array();
        s_push(addrs, addr, ok);
        json_t *loc = json_object();
        s_set(loc, "id", json_string(lid), ok);
        s_set(loc, "organization_id", json_string(uuid), ok);
        s_set(loc, "location_type", json_string("physical"), ok);
        s_set(loc, "name", s_jstr(*s_str(org->street) ? org->street : org->name), ok);
        s_set(loc, "addresses", addrs, ok);
        json_t *locs = json_array();
        s_push(locs, loc, ok);
        s_set(o, "locations", locs, ok);
    }
    json_t *services = json_array();
    for (size_t i = 0; i < org->n_services; i++)
        s_push(services, s_service_json(org, s_str(org->services[i]), uuid, ok), ok);
    s_set(o, "services", services, ok);
    return o;
}

/* Appends n bytes of s to the growing text *buf, keeping it NUL-terminated.
 * 0, or -1 out of memory. */
static int s_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (!*buf || *len + n + 1 > *cap) {
        size_t want = *cap ? *cap : 4096;
        while (want < *len + n + 1) {
            if (want > SIZE_MAX / 2) return -1;
            want *= 2;
        }
        char *p = realloc(*buf, want);
        if (!p) return -1;
        *buf = p;
        *cap = want;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = 0;
    return 0;
}

int hsds_export_org(const Matching__Organization *org, char **buf, size_t *len, size_t *cap)
{
    if (!*buf) *len = 0, *cap = 0;
    bool ok = true;
    json_t *o = s_org_json(org, &ok);
    char *text = ok && o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text) return -1;
    int rc = s_append(buf, len, cap, *len ? "," : "[", 1) || s_append(buf, len, cap, text, strlen(text));
    free(text);
    return rc ? -1 : 0;
}

int hsds_export_end(char **buf, size_t *len, size_t *cap)
{
    if (!*buf) *len = 0, *cap = 0;
    return *len ? s_append(buf, len, cap, "]", 1) : s_append(buf, len, cap, "[]", 2);
}
