/* intake: the domain rules of help requests and opinions, as plain
 * functions over the protobuf structs. No sockets, no store: the unit
 * tests call these directly. */
#ifndef INTAKE_H
#define INTAKE_H

#include <stdint.h>

#include "catalogue.h"
#include "hub_wire.h"
#include "intake.pb-c.h"

/* Field limits (bytes of UTF-8). */
#define INTAKE_MAX_CHANNEL 64
#define INTAKE_MAX_MESSAGE_ID 128
#define INTAKE_MAX_NAME 64
#define INTAKE_MAX_DESCRIPTION 4000
#define INTAKE_MAX_ADDRESS 256
#define INTAKE_MAX_NOTE 2000
#define INTAKE_MAX_HISTORY 100 /* x INTAKE_MAX_NOTE keeps a record (and its event) < 256 KiB */
#define INTAKE_MAX_TOPIC 64

/* Checks a submitted request against the catalogue and the field rules;
 * fills defaults in place (urgency NORMAL, language "zh" from a static
 * string). 0, or -1 with err (INVALID_ARGUMENT + field path). */
int intake_validate_request(const intake_catalogue_t *cat, Intake__Request *r, hub_error_t *err);

/* Checks a person (name required; phone and e-mail well-formed when
 * given; kind required when need_kind); field names the struct in err
 * ("requester"). 0, or -1 with err INVALID_ARGUMENT. */
int intake_validate_person(const Intake__Person *p, const char *field, int need_kind, hub_error_t *err);

/* Checks an opinion's policy topic: empty, or a code of the catalogue's
 * policy_topics. 0, or -1 with err INVALID_ARGUMENT. */
int intake_validate_opinion_links(const intake_catalogue_t *cat, const char *policy_topic, hub_error_t *err);

/* Checks a submitted opinion; 0 or -1 with err. */
int intake_validate_opinion(const intake_catalogue_t *cat, const Intake__Opinion *o,
                            hub_error_t *err);

/* The state machine of a request. Given the current status and an action
 * (note|cancel|duplicate|close|reopen), sets *to; -1 with err
 * FAILED_PRECONDITION naming the current status when illegal, or
 * INVALID_ARGUMENT for an unknown action or a missing reason. */
int intake_transition(Intake__Status from, const Intake__UpdateRequest *u, Intake__Status *to,
                      hub_error_t *err);

/* The topic published for an action, e.g. "intake.request.cancelled". */
const char *intake_topic(const char *action);

/* Writes a readable id "<prefix>YYYYMMDD-NNNNNN" (date in China Standard
 * Time) into buf (>= 24 bytes). day_key gets "YYYYMMDD". */
void intake_format_id(char *buf, size_t len, char prefix, int64_t time_ms, uint64_t seq);
void intake_day_key(char out[9], int64_t time_ms);

/* Name of a status enum value, e.g. "OPEN". */
const char *intake_status_name(Intake__Status s);

#endif
