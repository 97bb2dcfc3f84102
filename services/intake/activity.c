#include "activity.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hub_util.h"
#include "intake.h"

#define INVALID(field, ...) hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, field, __VA_ARGS__)
#define PRECONDITION(field, ...) hub_error_set(err, HUB__ERROR_CODE__FAILED_PRECONDITION, field, __VA_ARGS__)

static bool s_len_ok(const char *s, size_t max) { return s && strlen(s) <= max; }

static bool s_consultation(Intake__ActivityKind k)
{
    return k == INTAKE__ACTIVITY_KIND__CONSULTATION || k == INTAKE__ACTIVITY_KIND__HEARING;
}

const char *activity_kind_name(Intake__ActivityKind k)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&intake__activity_kind__descriptor, k);
    return v ? v->name : "UNKNOWN";
}

const char *activity_state_name(Intake__RegistrationState s)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&intake__registration_state__descriptor, s);
    return v ? v->name : "UNKNOWN";
}

int activity_validate(const intake_catalogue_t *cat, Intake__Activity *a, int64_t now, hub_error_t *err)
{
    if (a->kind <= INTAKE__ACTIVITY_KIND__ACTIVITY_KIND_UNSPECIFIED || a->kind > INTAKE__ACTIVITY_KIND__VOLUNTEER_DAY)
        return INVALID("kind", "kind is required: TRAINING, EXPERIENCE_SHARING, FORUM, SALON, CONSULTATION, "
                               "HEARING or VOLUNTEER_DAY");
    if (!*a->title || !s_len_ok(a->title, ACTIVITY_MAX_TITLE))
        return INVALID("title", "title is required (at most %d bytes)", ACTIVITY_MAX_TITLE);
    if (!s_len_ok(a->description, INTAKE_MAX_DESCRIPTION))
        return INVALID("description", "description is at most %d bytes", INTAKE_MAX_DESCRIPTION);
    if (!*a->place || !s_len_ok(a->place, ACTIVITY_MAX_PLACE))
        return INVALID("place", "place is required (at most %d bytes)", ACTIVITY_MAX_PLACE);
    if (*a->street && !intake_catalogue_has_area(cat, a->street))
        return INVALID("street", "street \"%s\" is not an area served", a->street);
    if (a->starts_ms <= 0) return INVALID("starts_ms", "starts_ms is required");
    if (a->ends_ms <= a->starts_ms) return INVALID("ends_ms", "ends_ms must be after starts_ms");
    if (a->ends_ms - a->starts_ms > ACTIVITY_MAX_LENGTH_MS) return INVALID("ends_ms", "an activity lasts at most 14 days");
    if (a->ends_ms <= now) return INVALID("ends_ms", "the activity has already ended");
    if (a->capacity < 1 || a->capacity > ACTIVITY_MAX_CAPACITY)
        return INVALID("capacity", "capacity must be 1 .. %d places", ACTIVITY_MAX_CAPACITY);
    if (a->audience & ~(uint32_t)ACTIVITY_AUDIENCE_ALL)
        return INVALID("audience", "audience is a set of MEMBER_ORGANIZATIONS (1), VOLUNTEERS (2), PUBLIC (4)");
    if (!a->audience) a->audience = ACTIVITY_AUDIENCE_ALL;
    if (a->registration_deadline_ms < 0 || a->registration_deadline_ms > a->ends_ms)
        return INVALID("registration_deadline_ms", "the registration deadline must be before the end");
    if (!a->registration_deadline_ms) a->registration_deadline_ms = a->starts_ms;
    if (*a->policy_topic) {
        if (!s_consultation(a->kind))
            return INVALID("policy_topic", "only a CONSULTATION or a HEARING has a policy topic");
        if (intake_validate_opinion_links(cat, a->policy_topic, err)) return -1;
    }
    if (!isfinite(a->volunteer_hours) || a->volunteer_hours < 0 || a->volunteer_hours > 24 * 14)
        return INVALID("volunteer_hours", "volunteer_hours must be 0 .. 336");
    if (a->volunteer_hours > 0 && a->kind != INTAKE__ACTIVITY_KIND__VOLUNTEER_DAY)
        return INVALID("volunteer_hours", "only a VOLUNTEER_DAY credits volunteer hours");
    if (*a->minutes) return INVALID("minutes", "minutes are set after the start (intake.activity.minutes)");
    return 0;
}

int activity_validate_registration(const Intake__Activity *a, Intake__Registration *r, int64_t now,
                                   hub_error_t *err)
{
    if (!r->registrant) return INVALID("registrant", "registrant is required");
    if (intake_validate_person(r->registrant, "registrant", 0, err)) return -1;
    if (!*r->registrant->phone && !*r->registrant->email)
        return INVALID("registrant.phone", "a phone number or an e-mail address is required");
    if (!s_len_ok(r->organization_id, INTAKE_MAX_CHANNEL)) return INVALID("organization_id", "organization_id is at most 64 bytes");
    if (!s_len_ok(r->volunteer_id, INTAKE_MAX_CHANNEL)) return INVALID("volunteer_id", "volunteer_id is at most 64 bytes");
    if (!*r->language) r->language = "zh";
    if (!s_len_ok(r->language, 16)) return INVALID("language", "language is a BCP 47 tag (at most 16 bytes)");
    uint32_t aud = a->audience ? a->audience : ACTIVITY_AUDIENCE_ALL;
    bool ok = (aud & INTAKE__AUDIENCE__PUBLIC) ||
              ((aud & INTAKE__AUDIENCE__MEMBER_ORGANIZATIONS) && *r->organization_id) ||
              ((aud & INTAKE__AUDIENCE__VOLUNTEERS) && *r->volunteer_id);
    if (!ok)
        return INVALID((aud & INTAKE__AUDIENCE__VOLUNTEERS) ? "volunteer_id" : "organization_id",
                       "this activity is for %s: the registration must name %s",
                       aud == INTAKE__AUDIENCE__VOLUNTEERS ? "volunteers"
                       : aud == INTAKE__AUDIENCE__MEMBER_ORGANIZATIONS ? "member organizations"
                                                                    : "member organizations and volunteers",
                       aud == INTAKE__AUDIENCE__VOLUNTEERS ? "a volunteer_id"
                       : aud == INTAKE__AUDIENCE__MEMBER_ORGANIZATIONS ? "an organization_id"
                                                                    : "an organization_id or a volunteer_id");
    if (a->status != INTAKE__ACTIVITY_STATUS__SCHEDULED)
        return PRECONDITION("activity_id", "activity %s is cancelled", a->activity_id);
    int64_t deadline = a->registration_deadline_ms ? a->registration_deadline_ms : a->starts_ms;
    if (now > deadline) return PRECONDITION("activity_id", "registration for activity %s has closed", a->activity_id);
    if (a->registrations >= ACTIVITY_MAX_REGISTRATIONS)
        return PRECONDITION("activity_id", "activity %s takes no more registrations", a->activity_id);
    return 0;
}

Intake__RegistrationState activity_admit(const Intake__Activity *a)
{
    return a->confirmed < a->capacity ? INTAKE__REGISTRATION_STATE__CONFIRMED : INTAKE__REGISTRATION_STATE__WAITLISTED;
}

bool activity_reg_active(Intake__RegistrationState s)
{
    return s == INTAKE__REGISTRATION_STATE__CONFIRMED || s == INTAKE__REGISTRATION_STATE__WAITLISTED;
}

int activity_can_withdraw(const Intake__Activity *a, const Intake__Registration *r, int64_t now,
                          hub_error_t *err)
{
    if (!activity_reg_active(r->state))
        return PRECONDITION("registration_id", "registration %s is %s", r->registration_id,
                            activity_state_name(r->state));
    if (a->status != INTAKE__ACTIVITY_STATUS__SCHEDULED)
        return PRECONDITION("registration_id", "activity %s is cancelled", a->activity_id);
    if (now >= a->ends_ms) return PRECONDITION("registration_id", "activity %s has ended", a->activity_id);
    return 0;
}

int activity_can_checkin(const Intake__Activity *a, const Intake__Registration *r, int64_t now,
                         hub_error_t *err)
{
    if (r->state == INTAKE__REGISTRATION_STATE__ATTENDED)
        return PRECONDITION("registration_id", "registration %s has already checked in", r->registration_id);
    if (r->state != INTAKE__REGISTRATION_STATE__CONFIRMED)
        return PRECONDITION("registration_id", "registration %s is %s, not CONFIRMED", r->registration_id,
                            activity_state_name(r->state));
    if (a->status != INTAKE__ACTIVITY_STATUS__SCHEDULED)
        return PRECONDITION("registration_id", "activity %s is cancelled", a->activity_id);
    if (now < a->starts_ms - ACTIVITY_CHECKIN_EARLY_MS)
        return PRECONDITION("registration_id", "check-in for activity %s opens 2 hours before the start",
                            a->activity_id);
    if (now > a->ends_ms) return PRECONDITION("registration_id", "activity %s has ended", a->activity_id);
    return 0;
}

double activity_hours(const Intake__Activity *a, const Intake__Registration *r)
{
    if (a->kind != INTAKE__ACTIVITY_KIND__VOLUNTEER_DAY || !*r->volunteer_id) return 0;
    if (a->volunteer_hours > 0) return a->volunteer_hours;
    double h = (double)(a->ends_ms - a->starts_ms) / 3600000.0;
    return round(h * 4) / 4;
}

/* Appends "<activity_id>\0<tag>:<value>" to keys[n]. */
static size_t s_key(char key[ACTIVITY_DUP_KEY], const char *activity_id, char tag, const char *value)
{
    int n = snprintf(key, ACTIVITY_DUP_KEY, "%s%c%c:%s", activity_id, 0, tag, value);
    return n < 0 ? 0 : (size_t)n < ACTIVITY_DUP_KEY ? (size_t)n : ACTIVITY_DUP_KEY - 1;
}

size_t activity_dup_keys(const Intake__Registration *r, char keys[3][ACTIVITY_DUP_KEY], size_t lens[3])
{
    size_t n = 0;
    if (r->registrant && *r->registrant->phone) {
        char digits[HUB_PHONE_DIGITS];
        if (hub_phone_norm(r->registrant->phone, digits, sizeof digits)) {
            lens[n] = s_key(keys[n], r->activity_id, 'p', digits);
            n++;
        }
    }
    if (r->registrant && *r->registrant->email) {
        char mail[160];
        size_t i = 0;
        for (const char *c = r->registrant->email; *c && i + 1 < sizeof mail; c++)
            mail[i++] = (char)tolower((unsigned char)*c);
        mail[i] = 0;
        lens[n] = s_key(keys[n], r->activity_id, 'e', mail);
        n++;
    }
    if (*r->volunteer_id) {
        lens[n] = s_key(keys[n], r->activity_id, 'v', r->volunteer_id);
        n++;
    }
    return n;
}

void activity_registration_id(char *buf, size_t len, const char *activity_id, uint32_t n)
{
    snprintf(buf, len, "%s-%06u", activity_id, n);
}

int activity_of_registration(const char *registration_id, char *buf, size_t len)
{
    size_t n = strlen(registration_id);
    if (n < 8 || n - 7 >= len || registration_id[n - 7] != '-') return -1;
    for (size_t i = n - 6; i < n; i++)
        if (!isdigit((unsigned char)registration_id[i])) return -1;
    memcpy(buf, registration_id, n - 7);
    buf[n - 7] = 0;
    return 0;
}

int activity_can_set_minutes(const Intake__Activity *a, const char *minutes, int64_t now, hub_error_t *err)
{
    if (!s_consultation(a->kind))
        return PRECONDITION("activity_id", "only a CONSULTATION or a HEARING has minutes (activity %s is %s)",
                            a->activity_id, activity_kind_name(a->kind));
    if (a->status != INTAKE__ACTIVITY_STATUS__SCHEDULED)
        return PRECONDITION("activity_id", "activity %s is cancelled", a->activity_id);
    if (now < a->starts_ms) return PRECONDITION("activity_id", "activity %s has not started yet", a->activity_id);
    if (!*minutes || !s_len_ok(minutes, ACTIVITY_MAX_MINUTES))
        return INVALID("minutes", "minutes are required (at most %d bytes)", ACTIVITY_MAX_MINUTES);
    return 0;
}
