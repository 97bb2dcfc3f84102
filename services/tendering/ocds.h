/* ocds: a tendering process as Open Contracting Data Standard 1.1.5 JSON
 * (jansson): one release per public change (a snapshot of the process, or
 * for an answer, a payment or a progress report only that item:
 * ocds_release_for), the release package, and the record package with its
 * compiled release. Pure functions over a tendering.Process; the daemon
 * stores each release's text when it is made (a release is never
 * rewritten) and wraps them on export. Money is written
 * as {"amount": yuan (a number with at most two decimals), "currency": "CNY"}
 * from integer fen. Sealed content (bids while PLANNING/ACTIVE, evaluator
 * affiliations, scores, ledger entries' personal data) never appears. */
#ifndef OCDS_H
#define OCDS_H

#include <jansson.h>
#include <stdint.h>

#include "tender.h"

/* How release and package JSON is dumped: amounts (json_real of fen / 100)
 * print exactly with 15 significant digits. */
#define OCDS_DUMP_FLAGS JSON_REAL_PRECISION(15)

/* The release of p as it stands now: "id" "<ocid>-<number>" (number 1..),
 * "date" date_ms as RFC 3339 UTC, "tag" [tag] (a releaseTag code),
 * initiationType "tender", parties (buyer, procuringEntity = the
 * publisher, funders, tenderers once opened, supplier, payer/payee),
 * buyer, planning (budget, rationale from the need), tender (status from
 * the state, value, procurementMethod "open", mainProcurementCategory
 * "services", awardCriteria "ratedCriteria" with the weights in
 * awardCriteriaDetails, eligibilityCriteria, tenderPeriod, enquiryPeriod,
 * hasEnquiries, documents, amendments, numberOfTenderers and tenderers once
 * opened, enquiries answered as documents/description), awards, contracts
 * (milestones, implementation.transactions for payments, and on closure
 * the post-evaluation as an implementation document of type
 * "finalAudit"). publisher_id is the procuring entity's party id
 * (borrowed). Caller owns the result; NULL on OOM. */
json_t *ocds_release(const Tendering__Process *p, const char *tag, uint32_t number, int64_t date_ms,
                     const char *publisher_id, const char *publisher_name);

/* The release tag an action records, or NULL when it records none (bids,
 * declarations and scores are not public until the award): TA_UPDATE
 * "planningUpdate", TA_PUBLISH "tender", TA_AMEND "tenderAmendment",
 * TA_ENQUIRY_ANSWER and TA_CLOSE_PERIOD "tenderUpdate" ("tenderCancellation"
 * or "awardUpdate"-free "tenderUpdate" when unsuccessful), TA_AWARD
 * "award", TA_ACTIVATE "awardUpdate", TA_SIGN "contract", TA_MILESTONE
 * and TA_PAYMENT "implementation", TA_TERMINATE "contractTermination",
 * TA_CANCEL "tenderCancellation". Creating a draft records "planning". */
const char *ocds_tag_for(tender_action_t a);

/* The release recording action a on p (TA__COUNT: the draft's creation,
 * tag "planning"): a full snapshot of p (ocds_release with the tag of
 * ocds_tag_for(a)) for every action but three, whose releases carry only
 * what changed, so that a contract's hundreds of payments and progress
 * reports do not each store the whole ever-growing process:
 *   - TA_ENQUIRY_ANSWER (item_id an enquiry id): tender {id, documents
 *     [that enquiry's clarification]};
 *   - TA_MILESTONE (item_id a milestone id): contracts [{id, awardID,
 *     milestones [that milestone], implementation {documents [its newest
 *     progress report]}}] (the daemon adds one report per TA_MILESTONE:
 *     the earlier ones are in earlier releases);
 *   - TA_PAYMENT (item_id a payment id): parties [the transaction's payer
 *     and payee, each with all its roles, as in the snapshot: an OCDS
 *     merge replaces a party's roles], contracts [{id, awardID,
 *     implementation {transactions [that payment]}}].
 * Every release has ocid, id "<ocid>-<number>", date, tag,
 * initiationType and language. Items keep the ids they have in the
 * snapshot and the compiled release ("clarification-<enquiry id>", the
 * milestone id, "<milestone id>-progress-<n>", the payment id; "MS-<n>" or
 * "PAY-<n>" for one without), so merging the releases lines them up; item_id
 * matches those ids. When item_id is NULL or names no such item in p (an
 * enquiry not answered, a milestone or payment without a contract): a full
 * snapshot. NULL when a records no release (ocds_tag_for(a) == NULL) or
 * on OOM. Caller owns. */
json_t *ocds_release_for(const Tendering__Process *p, tender_action_t a, const char *item_id, uint32_t number,
                         int64_t date_ms, const char *publisher_id, const char *publisher_name);

/* A release package: uri, version "1.1", publishedDate, publisher {name},
 * releases (the array is stolen). Caller owns; NULL on OOM. */
json_t *ocds_release_package(json_t *releases, const char *uri, const char *publisher_name,
                             int64_t published_ms);

/* A record package with one record for p: ocid, releases (stolen, embedded
 * in full) and compiledRelease (ocds_release of p with tag "compiled", id
 * "<ocid>-compiled", date of the last release). Caller owns; NULL on OOM. */
json_t *ocds_record_package(const Tendering__Process *p, json_t *releases, const char *uri,
                            const char *publisher_id, const char *publisher_name, int64_t published_ms);

#endif
