/* anonymize: the personal-data rules of intake (README "Personal data
 * (PIPL)") as plain functions over the protobuf structs: who a subject
 * request is about, what anonymizing a request or an opinion removes and
 * keeps, which requests the retention period has reached, and the keyed
 * hash that names a subject in events and the audit log. No store. */
#ifndef INTAKE_ANONYMIZE_H
#define INTAKE_ANONYMIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalogue.h"
#include "hub_util.h"
#include "intake.pb-c.h"

#define INTAKE_SUBJECT_KEY 32      /* bytes of the store's hashing key */
#define INTAKE_SUBJECT_HASH_HEX 33 /* 16-byte hash as hex + NUL */

/* 0 when s names someone (a phone with digits or an e-mail); -1 when it
 * is empty. */
int intake_subject_valid(const Intake__Subject *s);

/* True when person p is the subject: every identifier s gives (phone as
 * hub_phone_norm makes it, e-mail case-insensitively, name exactly) matches, and s gives a phone
 * or an e-mail. p may be NULL (false). */
bool intake_person_is(const Intake__Person *p, const Intake__Subject *s);
/* True when the requester or the person helped of r is the subject. */
bool intake_request_is_of(const Intake__Request *r, const Intake__Subject *s);
/* True when the author of o (not anonymous) is the subject. */
bool intake_opinion_is_of(const Intake__Opinion *o, const Intake__Subject *s);

/* Removes r's personal data in place: the requester's and the person
 * helped's name, phone and e-mail (their kind stays), description,
 * address, location, the free-text attributes (text, string, datetime, or
 * any attribute the catalogue cat does not know: cat may be NULL) and the
 * history texts (notes, reasons). Keeps what figures need: ids, channel,
 * service, street, coded attributes (lists, numbers), urgency, contact
 * preference and consent, language, status, times, history actions. Sets
 * anonymized_ms = now (unless set). Strings become static "" (never freed
 * by the caller: r is arena-owned). Idempotent. */
void intake_request_anonymize(Intake__Request *r, const intake_catalogue_t *cat, int64_t now);
/* Removes o's author and text; keeps topic, street, channel and times. */
void intake_opinion_anonymize(Intake__Opinion *o, int64_t now);

/* True when the retention period has reached r: CLOSED, DUPLICATE or
 * CANCELLED, last changed before cutoff_ms, not anonymized yet. */
bool intake_request_expired(const Intake__Request *r, int64_t cutoff_ms);
/* True when o was received before cutoff_ms and is not anonymized yet. */
bool intake_opinion_expired(const Intake__Opinion *o, int64_t cutoff_ms);

/* True when the registrant of r is the subject. */
bool intake_registration_is_of(const Intake__Registration *r, const Intake__Subject *s);
/* Removes r's registrant's name, phone and e-mail (kind stays); keeps the
 * activity, channel, state, times, hours and the library ids (an
 * organization's, a volunteer's: the library's own erasure covers them).
 * Sets anonymized_ms = now (unless set). Idempotent. */
void intake_registration_anonymize(Intake__Registration *r, int64_t now);
/* True when the retention period has reached r: its last change and its
 * activity's end (activity_ends_ms; 0 when the activity is unknown) are
 * both before cutoff_ms, and it is not anonymized yet. A registration of
 * an activity still to come never expires. */
bool intake_registration_expired(const Intake__Registration *r, int64_t activity_ends_ms, int64_t cutoff_ms);

/* The subject's keyed hash (BLAKE2b-128 keyed with key, over the
 * normalized phone, e-mail and name) as 32 hex digits into out: the same
 * subject always gives the same hash in one store, and without the key
 * (kept in intake's store only) the hash does not lead back to the phone. */
void intake_subject_hash(const Intake__Subject *s, const uint8_t key[INTAKE_SUBJECT_KEY],
                         char out[INTAKE_SUBJECT_HASH_HEX]);

#endif
