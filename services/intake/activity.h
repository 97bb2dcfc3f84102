/* activity: the domain rules of the center's activities (trainings,
 * forums, salons, consultation meetings, hearings, the charity volunteer
 * day) and of registrations to them: what a valid activity is, who may
 * register, when a place is free, when check-in is allowed. Plain
 * functions over the protobuf structs; no store, no socket (the unit tests
 * call them directly; intake_activity.c applies them in a transaction). */
#ifndef INTAKE_ACTIVITY_H
#define INTAKE_ACTIVITY_H

#include <stdbool.h>
#include <stdint.h>

#include "catalogue.h"
#include "hub_wire.h"
#include "intake.pb-c.h"

#define ACTIVITY_MAX_TITLE 200
#define ACTIVITY_MAX_PLACE 200
#define ACTIVITY_MAX_MINUTES 60000   /* bytes of a hearing's minutes */
#define ACTIVITY_MAX_CAPACITY 100000
#define ACTIVITY_MAX_REGISTRATIONS 999999 /* the 6 digits of a registration id */
#define ACTIVITY_CHECKIN_EARLY_MS (2 * 3600 * 1000LL) /* check-in opens 2 h before the start */
#define ACTIVITY_MAX_LENGTH_MS (14 * 86400 * 1000LL)  /* an activity lasts at most two weeks */
#define ACTIVITY_MAX_AHEAD_MS (731 * 86400 * 1000LL)  /* and starts within two years */
#define ACTIVITY_AUDIENCE_ALL (INTAKE__AUDIENCE__MEMBER_ORGANIZATIONS | INTAKE__AUDIENCE__VOLUNTEERS | INTAKE__AUDIENCE__PUBLIC)

/* Checks an activity an operator creates (kind, title, times, place,
 * street, capacity, audience bits, deadline, policy topic of the catalogue
 * for consultations and hearings, volunteer hours); now is the creation
 * time (an activity cannot end in the past). Fills defaults in place:
 * audience 0 becomes every audience, a zero deadline becomes starts_ms.
 * 0, or -1 with err INVALID_ARGUMENT and the field. */
int activity_validate(const intake_catalogue_t *cat, Intake__Activity *a, int64_t now, hub_error_t *err);

/* Checks a registration against its activity at time now: registrant
 * (name; a phone or an e-mail), the audience (a MEMBER_ORGANIZATIONS-only
 * activity needs organization_id, a VOLUNTEERS-only one volunteer_id; an
 * activity open to several audiences needs what one of them needs), the
 * activity still SCHEDULED and its registration deadline not passed.
 * Fills language "zh" when empty. 0, or -1 with err (INVALID_ARGUMENT for
 * the fields, FAILED_PRECONDITION for a cancelled, closed or full-register
 * activity). */
int activity_validate_registration(const Intake__Activity *a, Intake__Registration *r, int64_t now,
                                   hub_error_t *err);

/* The state a new registration gets: CONFIRMED while confirmed < capacity,
 * else WAITLISTED. */
Intake__RegistrationState activity_admit(const Intake__Activity *a);

/* True for states that hold or wait for a place (CONFIRMED, WAITLISTED). */
bool activity_reg_active(Intake__RegistrationState s);

/* May r be withdrawn now? Only CONFIRMED or WAITLISTED registrations of a
 * SCHEDULED activity that has not ended (a place freed after the start is
 * not given to the waitlist: intake_registration_withdraw). 0 or -1 with
 * FAILED_PRECONDITION. */
int activity_can_withdraw(const Intake__Activity *a, const Intake__Registration *r, int64_t now,
                          hub_error_t *err);

/* May r check in at now? A CONFIRMED registration of a SCHEDULED
 * activity, from starts_ms - ACTIVITY_CHECKIN_EARLY_MS until ends_ms
 * (after the end: refused). 0 or -1 with FAILED_PRECONDITION. */
int activity_can_checkin(const Intake__Activity *a, const Intake__Registration *r, int64_t now,
                         hub_error_t *err);

/* Hours a VOLUNTEER_DAY attendance credits: volunteer_hours, or the
 * activity's length in hours (rounded to a quarter) when 0; 0 for every
 * other kind or when the registrant names no volunteer. */
double activity_hours(const Intake__Activity *a, const Intake__Registration *r);

/* The keys that make a second registration of the same person a
 * duplicate: "p:<phone digits>", "e:<lower-case e-mail>",
 * "v:<volunteer_id>", each after "<activity_id>\0". Writes up to 3 keys
 * into keys[i] (each a buffer of ACTIVITY_DUP_KEY bytes) with their
 * lengths; returns how many. */
#define ACTIVITY_DUP_KEY 320
size_t activity_dup_keys(const Intake__Registration *r, char keys[3][ACTIVITY_DUP_KEY], size_t lens[3]);

/* "<activity_id>-<NNNNNN>" for the n-th registration (n from 1). */
void activity_registration_id(char *buf, size_t len, const char *activity_id, uint32_t n);

/* May an activity's minutes be set at now? HEARING or CONSULTATION, not
 * cancelled, started. 0 or -1 with err. */
int activity_can_set_minutes(const Intake__Activity *a, const char *minutes, int64_t now, hub_error_t *err);

/* The name of a kind ("TRAINING") or state ("CONFIRMED"). */
const char *activity_kind_name(Intake__ActivityKind k);
const char *activity_state_name(Intake__RegistrationState s);

#endif
