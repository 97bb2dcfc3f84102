#include "hub_figfmt.h"

#include "hub_util.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUPPRESSED (-1)      /* report.h REP_SUPPRESSED: "<5" or "no data" */
#define MS_MINUTE INT64_C(60000)
#define MS_HOUR INT64_C(3600000)
#define MS_TWO_DAYS (48 * MS_HOUR) /* below this a duration reads better in hours */

const char *hub_fig_unit(const Reporting__Table *t, size_t i)
{
    if (!t || i >= t->n_units || !t->units[i] || !t->units[i][0]) return "count";
    return t->units[i];
}

/* The magnitude of v (INT64_MIN included) as an unsigned value. */
static uint64_t s_abs(int64_t v)
{
    return v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
}

/* Writes sign and n with a comma every three digits, then suffix, into buf. */
static const char *s_grouped(bool neg, uint64_t n, const char *suffix, char *buf, size_t cap)
{
    char digits[32], out[48];
    int len = snprintf(digits, sizeof digits, "%" PRIu64, n);
    size_t o = 0;
    if (neg) out[o++] = '-';
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = 0;
    snprintf(buf, cap, "%s%s", out, suffix);
    return buf;
}

/* v hundredths as "1,234.56" (fen as yuan, hours_x100 as hours). */
static const char *s_hundredths(int64_t v, char *buf, size_t cap)
{
    uint64_t a = s_abs(v);
    char cents[8];
    snprintf(cents, sizeof cents, ".%02u", (unsigned)(a % 100));
    return s_grouped(v < 0, a / 100, cents, buf, cap);
}

/* A duration: seconds below a minute, minutes below an hour (each as
 * rounded, so 59.6 s reads "1 min"), hours with one decimal below two days,
 * then days. Negative durations have no meaning. */
static const char *s_duration(int64_t ms, char *buf, size_t cap)
{
    int64_t s = (ms + 500) / 1000, min = (ms + MS_MINUTE / 2) / MS_MINUTE;
    if (ms < 0) snprintf(buf, cap, "-");
    else if (s < 60) snprintf(buf, cap, "%" PRId64 " s", s);
    else if (min < 60) snprintf(buf, cap, "%" PRId64 " min", min);
    else if (ms < MS_TWO_DAYS) snprintf(buf, cap, "%.1f h", (double)ms / (double)MS_HOUR);
    else snprintf(buf, cap, "%.1f d", (double)ms / (double)(24 * MS_HOUR));
    return buf;
}

const char *hub_fig_cell(const char *unit, int64_t v, char *buf, size_t cap)
{
    if (!buf || cap == 0) return buf;
    bool count = !unit || !strcmp(unit, "count");
    if (v == SUPPRESSED) {
        snprintf(buf, cap, "%s", count ? "<5" : "-");
        return buf;
    }
    if (count) return s_grouped(v < 0, s_abs(v), "", buf, cap);
    if (!strcmp(unit, "fen") || !strcmp(unit, "hours_x100")) return s_hundredths(v, buf, cap);
    if (!strcmp(unit, "ms")) return s_duration(v, buf, cap);
    if (!strcmp(unit, "percent")) {
        snprintf(buf, cap, "%" PRId64 "%%", v);
        return buf;
    }
    return s_grouped(v < 0, s_abs(v), "", buf, cap); /* unknown unit: a plain number */
}

/* ---------------------------------------------------------------- JSON */

/* The JSON value of v in unit: "<5", null (no data) or the raw integer. */
static json_t *s_json_value(const char *unit, int64_t v)
{
    if (v != SUPPRESSED) return json_integer(v);
    return strcmp(unit, "count") ? json_null() : json_string("<5");
}

/* A row as {key column: key, value column: value}; NULL on OOM. */
static json_t *s_json_row(const Reporting__Table *t, const Reporting__Row *r)
{
    json_t *o = json_object();
    if (!o) return NULL;
    int rc = 0;
    for (size_t i = 0; i < r->n_keys && i < t->n_key_columns; i++)
        rc |= json_object_set_new(o, t->key_columns[i], json_string(r->keys[i] ? r->keys[i] : ""));
    for (size_t i = 0; i < r->n_values && i < t->n_value_columns; i++)
        rc |= json_object_set_new(o, t->value_columns[i], s_json_value(hub_fig_unit(t, i), r->values[i]));
    if (rc) json_decref(o);
    return rc ? NULL : o;
}

/* An array of n strings; NULL on OOM. */
static json_t *s_json_strings(char **s, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(s[i] ? s[i] : ""))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *s_json_table(const Reporting__Table *t)
{
    json_t *units = json_array(), *rows = json_array();
    for (size_t i = 0; units && i < t->n_value_columns; i++)
        if (json_array_append_new(units, json_string(hub_fig_unit(t, i)))) json_decref(units), units = NULL;
    for (size_t i = 0; rows && i < t->n_rows; i++) {
        json_t *row = s_json_row(t, t->rows[i]);
        if (!row || json_array_append_new(rows, row)) json_decref(rows), rows = NULL;
    }
    json_t *keys = s_json_strings(t->key_columns, t->n_key_columns);
    json_t *values = s_json_strings(t->value_columns, t->n_value_columns);
    json_t *total = t->total ? s_json_row(t, t->total) : json_null();
    json_t *o = json_object();
    if (!o || !units || !rows || !keys || !values || !total) goto fail;
    if (json_object_set_new(o, "name", json_string(t->name ? t->name : "")) ||
        json_object_set_new(o, "title", json_string(t->title ? t->title : "")))
        goto fail;
    /* set_new steals each reference, so clear it as soon as it is given */
    int rc = json_object_set_new(o, "key_columns", keys);
    keys = NULL;
    rc |= json_object_set_new(o, "value_columns", values);
    values = NULL;
    rc |= json_object_set_new(o, "units", units);
    units = NULL;
    rc |= json_object_set_new(o, "rows", rows);
    rows = NULL;
    rc |= json_object_set_new(o, "total", total);
    total = NULL;
    if (rc) goto fail;
    return o;
fail:
    json_decref(o);
    json_decref(units);
    json_decref(rows);
    json_decref(keys);
    json_decref(values);
    json_decref(total);
    return NULL;
}

json_t *hub_fig_json(const Reporting__QueryReply *r)
{
    if (!r) return NULL;
    json_t *tables = json_array();
    for (size_t i = 0; tables && i < r->n_tables; i++) {
        json_t *t = s_json_table(r->tables[i]);
        if (!t || json_array_append_new(tables, t)) {
            json_decref(tables);
            tables = NULL;
        }
    }
    if (!tables) return NULL;
    return json_pack("{s:I, s:I, s:b, s:o}", "from_ms", (json_int_t)r->from_ms, "to_ms",
                     (json_int_t)r->to_ms, "suppressed", (int)r->suppressed, "tables", tables);
}

/* ----------------------------------------------------------------- CSV */

typedef hub_buf_t s_buf_t;

static void s_put(s_buf_t *b, const char *s, size_t n) { hub_buf_put(b, s, n); }

/* One field, quoted (inner quotes doubled) when it holds , " CR or LF. */
static void s_csv_field(s_buf_t *b, const char *s, bool first)
{
    if (!first) s_put(b, ",", 1);
    if (!s) s = "";
    if (!strpbrk(s, ",\"\r\n")) {
        s_put(b, s, strlen(s));
        return;
    }
    s_put(b, "\"", 1);
    for (const char *q; (q = strchr(s, '"')); s = q + 1) {
        s_put(b, s, (size_t)(q - s));
        s_put(b, "\"\"", 2);
    }
    s_put(b, s, strlen(s));
    s_put(b, "\"", 1);
}

/* One value: raw integer, "<5" for a suppressed count, empty for no data
 * (and for a value the row lacks, so every line has the same fields). */
static void s_csv_value(s_buf_t *b, const Reporting__Row *r, const Reporting__Table *t, size_t i,
                        bool first)
{
    char num[32] = "";
    if (i < r->n_values) {
        int64_t v = r->values[i];
        if (v != SUPPRESSED) snprintf(num, sizeof num, "%" PRId64, v);
        else if (!strcmp(hub_fig_unit(t, i), "count")) snprintf(num, sizeof num, "<5");
    }
    if (!first) s_put(b, ",", 1);
    s_put(b, num, strlen(num));
}

char *hub_fig_csv(const Reporting__Table *t)
{
    if (!t) return NULL;
    s_buf_t b = {0};
    s_put(&b, "", 0); /* an empty table is still a valid (empty) string */
    size_t nk = t->n_key_columns, nv = t->n_value_columns;
    for (size_t i = 0; i < nk + nv; i++)
        s_csv_field(&b, i < nk ? t->key_columns[i] : t->value_columns[i - nk], i == 0);
    if (nk + nv) s_put(&b, "\r\n", 2);
    for (size_t r = 0; r < t->n_rows; r++) {
        const Reporting__Row *row = t->rows[r];
        for (size_t i = 0; i < nk; i++) s_csv_field(&b, i < row->n_keys ? row->keys[i] : "", i == 0);
        for (size_t i = 0; i < nv; i++) s_csv_value(&b, row, t, i, nk == 0 && i == 0);
        s_put(&b, "\r\n", 2);
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

const char *hub_fig_row_unit(const Reporting__Table *t, const Reporting__Row *row, size_t i)
{
    if (t->name && !strcmp(t->name, "summary") && row && row->n_keys && row->keys[0]) {
        size_t n = strlen(row->keys[0]);
        if (n > 4 && !strcmp(row->keys[0] + n - 4, "_fen")) return "fen";
    }
    return hub_fig_unit(t, i);
}
