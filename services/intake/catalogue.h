/* catalogue: the Open311-style service catalogue (service codes, their
 * attributes with datatype / required / allowed values), the streets
 * and towns served and the policy topics opinions are counted under.
 * Loaded from JSON; immutable once loaded. */
#ifndef INTAKE_CATALOGUE_H
#define INTAKE_CATALOGUE_H

#include "hub_wire.h"
#include "intake.pb-c.h"

typedef struct intake_catalogue intake_catalogue_t;

/* The embedded Haishu catalogue (deploy/catalogue/haishu.json). */
extern const char hub_default_catalogue[];

/* Parses and checks a catalogue (unique codes, known datatypes, list
 * attributes with values; policy topics, when listed, with unique non-empty
 * codes and non-empty names). Caller owns the result; NULL with err set. */
intake_catalogue_t *intake_catalogue_parse(const char *json_text, hub_error_t *err);
/* Reads path, or the embedded catalogue when path is NULL or empty. */
intake_catalogue_t *intake_catalogue_load(const char *path, hub_error_t *err);
void intake_catalogue_destroy(intake_catalogue_t **self_p);

/* The whole catalogue as a reply message (borrowed from the catalogue). */
const Intake__ListServicesReply *intake_catalogue_all(const intake_catalogue_t *self);
/* A service by code, or NULL. Borrowed. */
const Intake__Service *intake_catalogue_find(const intake_catalogue_t *self, const char *code);
/* True when street is one of the areas served. */
int intake_catalogue_has_area(const intake_catalogue_t *self, const char *street);
/* A policy topic by its exact code, or NULL (also for "" and for a
 * catalogue without policy_topics). Borrowed from the catalogue. */
const Intake__PolicyTopic *intake_catalogue_policy_topic(const intake_catalogue_t *self, const char *code);

#endif
