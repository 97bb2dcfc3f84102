/* html: reporting's HTML documents, from figures asked through a query
 * function: the monthly and yearly report for government departments
 * (tables, inline SVG charts, trends against the previous period, hot
 * issues) and the public disclosure pages (donations, tenders and awards).
 * Pure text generation: no store, no socket; every string escaped. */
#ifndef HTML_H
#define HTML_H

#include <stdbool.h>
#include <stdint.h>

#include "catalogue.h"
#include "hub_wire.h"
#include "reporting.pb-c.h"

/* Answers one figure query (report.h's rep_query over some transaction).
 * *out stays valid until the document is done. 0 or -1 with err. */
typedef int (*rep_query_fn)(void *arg, const Reporting__QueryRequest *q, Reporting__QueryReply **out,
                            hub_error_t *err);

/* Names the policy topics of the reports' opinion tables from cat's
 * policy_topics (borrowed: it must outlive every later report; NULL: the
 * codes as given). Set once at start, before any report is made. */
void rep_html_topics(const intake_catalogue_t *cat);

/* The report of kind "monthly" (period "YYYY-MM") or "yearly" ("YYYY"),
 * public_view = small counts suppressed; district (NULL: the figures are
 * every district's) is named in the title when the figures are one
 * district's (the query function limits them: html only shows the name).
 * *html is malloc'd, NUL-terminated, owned by the caller. 0, or -1 with
 * err (bad kind/period, a query failed). */
int rep_html_report(const char *kind, const char *period, bool public_view, const char *district, int64_t now_ms,
                    rep_query_fn q, void *arg, char **html, hub_error_t *err);

/* A public disclosure page: "donations" (totals by month, recipients as
 * masked by tendering) or "tenders" (processes, states, budgets, winners,
 * amounts paid). Always suppressed. *html malloc'd. 0 or -1 with err. */
int rep_html_page(const char *page, int64_t now_ms, rep_query_fn q, void *arg, char **html, hub_error_t *err);

#endif
