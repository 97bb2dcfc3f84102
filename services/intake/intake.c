#include "intake.h"

#include "hub_util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INVALID(field, ...) hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, field, __VA_ARGS__)

static int s_len_ok(const char *s, size_t max) { return s && strlen(s) <= max; }

static int s_phone_ok(const char *p)
{
    size_t digits = 0;
    for (const char *c = p; *c; c++) {
        if (isdigit((unsigned char)*c)) digits++;
        else if (*c != '+' && *c != '-' && *c != ' ') return 0;
    }
    return digits >= 5 && digits <= 20 && strlen(p) <= 24;
}

static int s_number_ok(const char *v)
{
    char *end;
    if (!*v) return 0;
    double d = strtod(v, &end);
    return !*end && isfinite(d);
}

/* Reads exactly n digits at *p into *v; advances *p. 0 or -1. */
static int s_digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit((unsigned char)**p)) return -1;
        *v = *v * 10 + (**p - '0');
    }
    return 0;
}

/* YYYY-MM-DD, optionally followed by THH:MM[:SS][Z|+hh:mm|-hh:mm]; the day
 * must exist in its month (leap years included). */
static int s_datetime_ok(const char *v)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, s;
    if (s_digits(&v, 4, &y) || *v++ != '-' || s_digits(&v, 2, &mo) || *v++ != '-' ||
        s_digits(&v, 2, &d))
        return 0;
    if (mo < 1 || mo > 12 || d < 1) return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap)) return 0;
    if (!*v) return 1;
    if (*v != 'T' && *v != ' ') return 0;
    v++;
    if (s_digits(&v, 2, &h) || *v++ != ':' || s_digits(&v, 2, &mi) || h > 23 || mi > 59) return 0;
    if (*v == ':' && (v++, s_digits(&v, 2, &s) || s > 60)) return 0;
    if (!*v || !strcmp(v, "Z")) return 1;
    if (*v != '+' && *v != '-') return 0;
    v++;
    if (s_digits(&v, 2, &h) || *v++ != ':' || s_digits(&v, 2, &mi) || h > 23 || mi > 59) return 0;
    return !*v;
}

static int s_in_values(const Intake__Attribute *a, const char *v)
{
    for (size_t i = 0; i < a->n_values; i++)
        if (!strcmp(a->values[i]->key, v)) return 1;
    return 0;
}

static int s_validate_attributes(const Intake__Service *svc, const Intake__Request *r,
                                 hub_error_t *err)
{
    char f[128];
    for (size_t i = 0; i < r->n_attributes; i++) {
        const Intake__AttributeAnswer *ans = r->attributes[i];
        snprintf(f, sizeof f, "attributes.%s", ans->code);
        const Intake__Attribute *a = NULL;
        for (size_t k = 0; k < svc->n_attributes; k++)
            if (!strcmp(svc->attributes[k]->code, ans->code)) a = svc->attributes[k];
        if (!a) return INVALID(f, "service %s has no attribute \"%s\"", svc->service_code, ans->code);
        for (size_t k = 0; k < i; k++)
            if (!strcmp(r->attributes[k]->code, ans->code))
                return INVALID(f, "attribute %s given twice", ans->code);
        int multi = !strcmp(a->datatype, "multivaluelist");
        if (ans->n_values == 0 || (!multi && ans->n_values != 1))
            return INVALID(f, "attribute %s takes %s", ans->code, multi ? "one or more values" : "exactly one value");
        for (size_t v = 0; v < ans->n_values; v++) {
            const char *val = ans->values[v];
            int ok;
            if (!strcmp(a->datatype, "number")) ok = s_number_ok(val);
            else if (!strcmp(a->datatype, "datetime")) ok = s_datetime_ok(val);
            else if (!strcmp(a->datatype, "string")) ok = *val && strlen(val) <= 256;
            else if (!strcmp(a->datatype, "text")) ok = *val && strlen(val) <= INTAKE_MAX_DESCRIPTION;
            else ok = s_in_values(a, val);
            if (!ok) return INVALID(f, "attribute %s: \"%s\" is not a valid %s", ans->code, val, a->datatype);
            for (size_t w = 0; w < v; w++)
                if (!strcmp(ans->values[w], val)) return INVALID(f, "attribute %s: value %s repeated", ans->code, val);
        }
    }
    for (size_t k = 0; k < svc->n_attributes; k++) {
        const Intake__Attribute *a = svc->attributes[k];
        if (!a->required) continue;
        int found = 0;
        for (size_t i = 0; i < r->n_attributes; i++) found |= !strcmp(r->attributes[i]->code, a->code);
        if (!found) {
            snprintf(f, sizeof f, "attributes.%s", a->code);
            return INVALID(f, "service %s requires attribute %s (%s)", svc->service_code, a->code, a->description);
        }
    }
    return 0;
}

int intake_validate_person(const Intake__Person *p, const char *field, int need_kind, hub_error_t *err)
{
    char f[64];
    snprintf(f, sizeof f, "%s.name", field);
    if (!*p->name || !s_len_ok(p->name, INTAKE_MAX_NAME)) return INVALID(f, "%s is required (at most %d bytes)", f, INTAKE_MAX_NAME);
    snprintf(f, sizeof f, "%s.phone", field);
    if (*p->phone && !s_phone_ok(p->phone)) return INVALID(f, "%s \"%s\" is not a phone number", f, p->phone);
    snprintf(f, sizeof f, "%s.email", field);
    if (*p->email && (!hub_email_ok(p->email) || strlen(p->email) > 128)) return INVALID(f, "%s is not an e-mail address", f);
    snprintf(f, sizeof f, "%s.kind", field);
    if (need_kind && p->kind == INTAKE__REQUESTER_KIND__REQUESTER_KIND_UNSPECIFIED)
        return INVALID(f, "%s is required: RESIDENT, ORGANIZATION or ENTERPRISE", f);
    return 0;
}

int intake_validate_request(const intake_catalogue_t *cat, Intake__Request *r, hub_error_t *err)
{
    if (!*r->channel || !s_len_ok(r->channel, INTAKE_MAX_CHANNEL)) return INVALID("channel", "channel is required (at most 64 bytes)");
    if (!*r->message_id || !s_len_ok(r->message_id, INTAKE_MAX_MESSAGE_ID))
        return INVALID("message_id", "message_id (the channel's idempotency key) is required, at most 128 bytes");
    if (!r->requester) return INVALID("requester", "requester is required");
    if (intake_validate_person(r->requester, "requester", 1, err)) return -1;
    if (r->person_helped && intake_validate_person(r->person_helped, "person_helped", 0, err)) return -1;
    const Intake__Service *svc = intake_catalogue_find(cat, r->service_code);
    if (!svc) return INVALID("service_code", "unknown service_code \"%s\"", r->service_code);
    if (s_validate_attributes(svc, r, err)) return -1;
    if (!*r->description || !s_len_ok(r->description, INTAKE_MAX_DESCRIPTION))
        return INVALID("description", "description is required (at most %d bytes)", INTAKE_MAX_DESCRIPTION);
    if (!intake_catalogue_has_area(cat, r->street))
        return INVALID("street", "street \"%s\" is not an area served", r->street);
    if (!s_len_ok(r->address, INTAKE_MAX_ADDRESS)) return INVALID("address", "address is longer than %d bytes", INTAKE_MAX_ADDRESS);
    if (r->location && (!isfinite(r->location->lat) || !isfinite(r->location->lon) ||
                        fabs(r->location->lat) > 90 || fabs(r->location->lon) > 180))
        return INVALID("location", "location is not a valid latitude/longitude");
    if (r->urgency == INTAKE__URGENCY__URGENCY_UNSPECIFIED) r->urgency = INTAKE__URGENCY__NORMAL;
    if (!*r->language) r->language = "zh";
    if (strlen(r->language) > 16) return INVALID("language", "language must be a BCP 47 tag such as zh or en");
    for (const char *c = r->language; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-') return INVALID("language", "language must be a BCP 47 tag such as zh or en");
    if (r->consent_to_contact) {
        if ((r->preferred_contact == INTAKE__CONTACT_METHOD__PHONE ||
             r->preferred_contact == INTAKE__CONTACT_METHOD__SMS) && !*r->requester->phone)
            return INVALID("requester.phone", "a phone number is needed to be contacted by phone or SMS");
        if (r->preferred_contact == INTAKE__CONTACT_METHOD__EMAIL && !*r->requester->email)
            return INVALID("requester.email", "an e-mail address is needed to be contacted by e-mail");
    }
    return 0;
}

int intake_validate_opinion_links(const intake_catalogue_t *cat, const char *policy_topic, hub_error_t *err)
{
    if (!s_len_ok(policy_topic, INTAKE_MAX_TOPIC)) return INVALID("policy_topic", "policy_topic is at most %d bytes", INTAKE_MAX_TOPIC);
    if (*policy_topic && !intake_catalogue_policy_topic(cat, policy_topic))
        return INVALID("policy_topic", "policy_topic \"%s\" is not a policy topic of the catalogue", policy_topic);
    return 0;
}

int intake_validate_opinion(const intake_catalogue_t *cat, const Intake__Opinion *o, hub_error_t *err)
{
    if (!*o->channel || !s_len_ok(o->channel, INTAKE_MAX_CHANNEL)) return INVALID("channel", "channel is required");
    if (!*o->message_id || !s_len_ok(o->message_id, INTAKE_MAX_MESSAGE_ID)) return INVALID("message_id", "message_id is required");
    if (!*o->topic || !s_len_ok(o->topic, INTAKE_MAX_TOPIC)) return INVALID("topic", "topic is required (at most %d bytes)", INTAKE_MAX_TOPIC);
    if (!*o->text || !s_len_ok(o->text, INTAKE_MAX_DESCRIPTION)) return INVALID("text", "text is required (at most %d bytes)", INTAKE_MAX_DESCRIPTION);
    if (intake_validate_opinion_links(cat, o->policy_topic, err)) return -1;
    if (!s_len_ok(o->activity_id, INTAKE_MAX_CHANNEL)) return INVALID("activity_id", "activity_id is at most %d bytes", INTAKE_MAX_CHANNEL);
    if (*o->street && !intake_catalogue_has_area(cat, o->street)) return INVALID("street", "street \"%s\" is not an area served", o->street);
    if (!o->anonymous) {
        if (!o->author) return INVALID("author", "author is required unless anonymous");
        if (intake_validate_person(o->author, "author", 1, err)) return -1;
    }
    return 0;
}

const char *intake_status_name(Intake__Status s)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&intake__status__descriptor, s);
    return v ? v->name : "UNKNOWN";
}

static int s_active(Intake__Status s)
{
    return s == INTAKE__STATUS__OPEN || s == INTAKE__STATUS__IN_PROGRESS || s == INTAKE__STATUS__REFERRED;
}

static int s_ended(Intake__Status s)
{
    return s == INTAKE__STATUS__CLOSED || s == INTAKE__STATUS__DUPLICATE || s == INTAKE__STATUS__CANCELLED;
}

int intake_transition(Intake__Status from, const Intake__UpdateRequest *u, Intake__Status *to,
                      hub_error_t *err)
{
    const char *a = u->action;
    if (!strcmp(a, "note")) {
        if (!*u->text || strlen(u->text) > INTAKE_MAX_NOTE) return INVALID("text", "a note needs text (at most %d bytes)", INTAKE_MAX_NOTE);
        *to = from;
        return 0;
    }
    if (strcmp(a, "cancel") && strcmp(a, "duplicate") && strcmp(a, "close") && strcmp(a, "reopen"))
        return INVALID("action", "unknown action \"%s\": note, cancel, duplicate, close or reopen", a);
    if (strlen(u->text) > INTAKE_MAX_NOTE) return INVALID("text", "reason is longer than %d bytes", INTAKE_MAX_NOTE);
    if (!strcmp(a, "reopen")) {
        if (!s_ended(from))
            return hub_error_set(err, HUB__ERROR_CODE__FAILED_PRECONDITION, "action",
                                 "cannot reopen: request is %s", intake_status_name(from));
        *to = INTAKE__STATUS__OPEN;
        return 0;
    }
    if (!s_active(from))
        return hub_error_set(err, HUB__ERROR_CODE__FAILED_PRECONDITION, "action",
                             "cannot %s: request is %s", a, intake_status_name(from));
    if (!strcmp(a, "cancel")) { *to = INTAKE__STATUS__CANCELLED; return 0; }
    if (!strcmp(a, "close")) {
        if (!*u->text) return INVALID("text", "closing needs a reason");
        *to = INTAKE__STATUS__CLOSED;
        return 0;
    }
    if (!*u->duplicate_of) return INVALID("duplicate_of", "duplicate needs duplicate_of");
    *to = INTAKE__STATUS__DUPLICATE;
    return 0;
}

const char *intake_topic(const char *action)
{
    if (!strcmp(action, "submitted")) return "intake.request.accepted";
    if (!strcmp(action, "cancel")) return "intake.request.cancelled";
    if (!strcmp(action, "duplicate")) return "intake.request.duplicate";
    if (!strcmp(action, "close")) return "intake.request.closed";
    if (!strcmp(action, "reopen")) return "intake.request.reopened";
    return "intake.request.updated";
}

void intake_day_key(char out[9], int64_t time_ms)
{
    time_t t = (time_t)(time_ms / 1000) + 8 * 3600; /* China Standard Time, no DST */
    struct tm tm;
    gmtime_r(&t, &tm);
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%04d%02d%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
             tm.tm_mday % 100);
    memcpy(out, tmp, 8);
    out[8] = 0;
}

void intake_format_id(char *buf, size_t len, char prefix, int64_t time_ms, uint64_t seq)
{
    char day[9];
    intake_day_key(day, time_ms);
    snprintf(buf, len, "%c%s-%06llu", prefix, day, (unsigned long long)seq);
}
