#include "anonymize.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int intake_subject_valid(const Intake__Subject *s)
{
    char d[HUB_PHONE_DIGITS];
    if (!s) return -1;
    if (hub_phone_norm(s->phone, d, sizeof d)) return 0;
    return s->email && *s->email ? 0 : -1;
}

bool intake_person_is(const Intake__Person *p, const Intake__Subject *s)
{
    if (!p || intake_subject_valid(s)) return false;
    char a[HUB_PHONE_DIGITS], b[HUB_PHONE_DIGITS];
    if (hub_phone_norm(s->phone, a, sizeof a) &&
        (!hub_phone_norm(p->phone, b, sizeof b) || strcmp(a, b)))
        return false;
    if (s->email && *s->email && (!p->email || strcasecmp(s->email, p->email))) return false;
    if (s->name && *s->name && (!p->name || strcmp(s->name, p->name))) return false;
    return true;
}

bool intake_request_is_of(const Intake__Request *r, const Intake__Subject *s)
{
    return intake_person_is(r->requester, s) || intake_person_is(r->person_helped, s);
}

bool intake_opinion_is_of(const Intake__Opinion *o, const Intake__Subject *s)
{
    return !o->anonymous && intake_person_is(o->author, s);
}

/* Blanks a person's identifiers; the kind stays. */
static void s_person(Intake__Person *p)
{
    if (!p) return;
    p->name = p->phone = p->email = "";
}

/* True when attribute code of service may hold free text. */
static bool s_free_text(const intake_catalogue_t *cat, const char *service, const char *code)
{
    const Intake__Service *svc = cat ? intake_catalogue_find(cat, service) : NULL;
    for (size_t i = 0; svc && i < svc->n_attributes; i++) {
        const Intake__Attribute *a = svc->attributes[i];
        if (strcmp(a->code, code)) continue;
        return strcmp(a->datatype, "singlevaluelist") && strcmp(a->datatype, "multivaluelist") &&
               strcmp(a->datatype, "number");
    }
    return true; /* unknown: treat as text */
}

void intake_request_anonymize(Intake__Request *r, const intake_catalogue_t *cat, int64_t now)
{
    s_person(r->requester);
    s_person(r->person_helped);
    r->description = "";
    r->address = "";
    r->location = NULL;
    size_t k = 0;
    for (size_t i = 0; i < r->n_attributes; i++)
        if (!s_free_text(cat, r->service_code, r->attributes[i]->code)) r->attributes[k++] = r->attributes[i];
    r->n_attributes = k;
    for (size_t i = 0; i < r->n_history; i++) r->history[i]->text = "";
    if (!r->anonymized_ms) r->anonymized_ms = now;
}

void intake_opinion_anonymize(Intake__Opinion *o, int64_t now)
{
    o->author = NULL;
    o->text = "";
    if (!o->anonymized_ms) o->anonymized_ms = now;
}

bool intake_request_expired(const Intake__Request *r, int64_t cutoff_ms)
{
    bool ended = r->status == INTAKE__STATUS__CLOSED || r->status == INTAKE__STATUS__DUPLICATE ||
                 r->status == INTAKE__STATUS__CANCELLED;
    return ended && !r->anonymized_ms && r->updated_ms < cutoff_ms;
}

bool intake_opinion_expired(const Intake__Opinion *o, int64_t cutoff_ms)
{
    return !o->anonymized_ms && o->received_ms < cutoff_ms;
}

bool intake_registration_is_of(const Intake__Registration *r, const Intake__Subject *s)
{
    return intake_person_is(r->registrant, s);
}

void intake_registration_anonymize(Intake__Registration *r, int64_t now)
{
    s_person(r->registrant);
    if (!r->anonymized_ms) r->anonymized_ms = now;
}

bool intake_registration_expired(const Intake__Registration *r, int64_t activity_ends_ms, int64_t cutoff_ms)
{
    int64_t last = r->updated_ms > activity_ends_ms ? r->updated_ms : activity_ends_ms;
    return !r->anonymized_ms && last < cutoff_ms;
}

void intake_subject_hash(const Intake__Subject *s, const uint8_t key[INTAKE_SUBJECT_KEY],
                         char out[INTAKE_SUBJECT_HASH_HEX])
{
    char phone[HUB_PHONE_DIGITS], email[256];
    hub_phone_norm(s->phone, phone, sizeof phone);
    size_t i = 0;
    for (const char *c = s->email ? s->email : ""; *c && i + 1 < sizeof email; c++)
        email[i++] = (char)tolower((unsigned char)*c);
    email[i] = 0;
    crypto_generichash_state st;
    uint8_t h[16];
    crypto_generichash_init(&st, key, INTAKE_SUBJECT_KEY, sizeof h);
    /* NUL separators: ("1","23") and ("12","3") differ */
    crypto_generichash_update(&st, (const uint8_t *)phone, strlen(phone) + 1);
    crypto_generichash_update(&st, (const uint8_t *)email, strlen(email) + 1);
    const char *name = s->name ? s->name : "";
    crypto_generichash_update(&st, (const uint8_t *)name, strlen(name) + 1);
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(out, INTAKE_SUBJECT_HASH_HEX, h, sizeof h);
}
