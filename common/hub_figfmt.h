/* hub_figfmt: text forms of reporting's figures (a reporting.QueryReply):
 * one cell, JSON (jansson) and CSV. Used by hubctl, the dashboard and the
 * HTML reports, so a figure reads the same everywhere. */
#ifndef HUB_FIGFMT_H
#define HUB_FIGFMT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "reporting.pb-c.h"

/* The unit of value column i of t ("count" when not given). Borrowed. */
const char *hub_fig_unit(const Reporting__Table *t, size_t i);
/* The unit of value i of row in t: as hub_fig_unit, except in the
 * "summary" table (one value column, a figure per row) where a row whose
 * key ends in "_fen" is money. Borrowed. */
const char *hub_fig_row_unit(const Reporting__Table *t, const Reporting__Row *row, size_t i);
/* Human text of value v in unit into buf (cap >= 32): -1 is "<5" for a
 * count and "-" otherwise; fen as yuan "12,345.67"; ms as "42 s",
 * "35 min", "2.5 h", "3.2 d"; hours_x100 as "12.50"; counts with thousands
 * separators. Returns buf. */
const char *hub_fig_cell(const char *unit, int64_t v, char *buf, size_t cap);
/* {"from_ms","to_ms","suppressed","tables":[{"name","title","key_columns",
 * "value_columns","units","rows":[{col: value...}],"total":{...}}]}: raw
 * numbers (fen, ms), a suppressed count as the string "<5", no data as
 * null. New reference owned by the caller; NULL on OOM. */
json_t *hub_fig_json(const Reporting__QueryReply *r);
/* One table as RFC 4180 CSV (header line, then rows; raw numbers, "<5"),
 * UTF-8 with CRLF line ends. malloc'd, NULL on OOM. */
char *hub_fig_csv(const Reporting__Table *t);

#endif
