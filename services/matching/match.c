/* match: the domain rules of the resource library and of referrals. See
 * match.h for the contracts; this file keeps to plain functions over plain
 * structs, integer arithmetic for time, and no allocation except the one
 * arena array of match_referral_init. */
#include "match.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hub_util.h"

#define INVALID(field, ...) hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, field, __VA_ARGS__)
#define PRECONDITION(field, ...) \
    hub_error_set(err, HUB__ERROR_CODE__FAILED_PRECONDITION, field, __VA_ARGS__)

#define S_MAX_ADDRESS 256          /* as intake's address */
#define S_MAX_AGE 150
#define S_MAX_OPEN_CASES 100
#define S_MIN_YEAR_INCORPORATED 1900   /* organization.year_incorporated; 0 = unknown */
#define S_MAX_YEAR_INCORPORATED 2100
#define S_SLOT_MS (30 * 60 * 1000LL)
#define S_DAY_MS (24 * 3600 * 1000LL)
#define S_WEEK_SLOTS 336
#define S_CST_OFFSET_MS (8 * 3600 * 1000LL)

/* ------------------------------------------------------------------ helpers */

/* s, or "" for NULL (hand-built messages may leave strings NULL). */
static const char *s_str(const char *s) { return s ? s : ""; }

/* True if s is at most max bytes long (NULL counts as empty). */
static bool s_len_ok(const char *s, size_t max) { return strlen(s_str(s)) <= max; }

/* True if s matches [A-Za-z0-9._-]{1,MATCH_MAX_ID}. */
static bool s_id_ok(const char *s)
{
    size_t n = 0;
    for (const char *c = s_str(s); *c; c++, n++)
        if (!isalnum((unsigned char)*c) && *c != '.' && *c != '_' && *c != '-') return false;
    return n >= 1 && n <= MATCH_MAX_ID;
}

/* Loose phone shape, as intake: digits, '+', '-', ' '; 5..20 digits. */
static bool s_phone_ok(const char *p)
{
    size_t digits = 0;
    for (const char *c = p; *c; c++) {
        if (isdigit((unsigned char)*c)) digits++;
        else if (*c != '+' && *c != '-' && *c != ' ') return false;
    }
    return digits >= 5 && digits <= 20 && strlen(p) <= 24;
}

/* Loose e-mail shape: something@something, bounded, no spaces. */
static bool s_email_ok(const char *e)
{
    const char *at = strchr(e, '@');
    if (!at || at == e || !at[1] || strlen(e) > MATCH_MAX_SHORT) return false;
    for (const char *c = e; *c; c++)
        if (isspace((unsigned char)*c)) return false;
    return true;
}

/* True if s has no ASCII whitespace or control characters. */
static bool s_no_space(const char *s)
{
    for (const char *c = s; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f) return false;
    return true;
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

/* True if s is exactly YYYY-MM-DD and the day exists (leap years included). */
static bool s_date_ok(const char *s)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;
    if (s_digits(&s, 4, &y) || *s++ != '-' || s_digits(&s, 2, &m) || *s++ != '-' ||
        s_digits(&s, 2, &d) || *s)
        return false;
    if (m < 1 || m > 12 || d < 1) return false;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

/* Index of s among list[0..i), or -1: finds a repeated entry. */
static int s_seen(char *const *list, size_t i, const char *s)
{
    for (size_t k = 0; k < i; k++)
        if (!strcmp(s_str(list[k]), s)) return (int)k;
    return -1;
}

/* ------------------------------------------------------------ credit code */

/* The GB 32100 character set; a character's value is its index. */
static const char s_cc_chars[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* Value of a GB 32100 character (its index in s_cc_chars), or -1. */
static int s_cc_value(char c)
{
    if (!c) return -1;
    const char *p = strchr(s_cc_chars, c);
    return p ? (int)(p - s_cc_chars) : -1;
}

bool match_credit_code_valid(const char *code)
{
    static const int w32100[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    static const int w11714[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    if (!code || strlen(code) != 18) return false;
    int v[18];
    for (int i = 0; i < 18; i++)
        if ((v[i] = s_cc_value(code[i])) < 0) return false;
    /* the organization code (positions 9-17) and its GB 11714 check */
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        char c = code[8 + i];
        int cv = isdigit((unsigned char)c) ? c - '0' : c - 'A' + 10;
        sum += cv * w11714[i];
    }
    int c11 = 11 - sum % 11;
    char want11 = c11 == 10 ? 'X' : c11 == 11 ? '0' : (char)('0' + c11);
    if (code[16] != want11) return false;
    /* the check character over the first 17 */
    sum = 0;
    for (int i = 0; i < 17; i++) sum += v[i] * w32100[i];
    return v[17] == (31 - sum % 31) % 31;
}

/* ---------------------------------------------------------------- bits */

/* Known languages and groups; an entry's bit is 1 << its index. */
static const char *const s_langs[] = {"zh", "en", "ja", "ko", "fr", "de", "es", "ru",
                                      "ar", "pt", "it", "vi", "th", "wuu", "yue", "sgn"};
static const char *const s_groups[] = {"elderly",    "disabled", "children",
                                       "youth",      "women",    "low-income",
                                       "migrants",   "veterans", "families"};

uint32_t match_lang_bit(const char *code)
{
    code = s_str(code);
    size_t n = strcspn(code, "-_");
    for (size_t i = 0; i < sizeof s_langs / sizeof *s_langs; i++)
        if (strlen(s_langs[i]) == n && !strncasecmp(s_langs[i], code, n)) return 1u << i;
    return 0;
}

uint32_t match_group_bit(const char *group)
{
    group = s_str(group);
    for (size_t i = 0; i < sizeof s_groups / sizeof *s_groups; i++)
        if (!strcmp(s_groups[i], group)) return 1u << i;
    return 0;
}

/* ---------------------------------------------------------------- validation */

/* Checks a repeated string list: at most MATCH_MAX_LIST entries, none
 * repeated, each accepted by ok(cat, s). what names an entry in messages. */
static int s_check_list(const intake_catalogue_t *cat, char *const *list, size_t n,
                        const char *field, const char *what,
                        bool (*ok)(const intake_catalogue_t *, const char *), hub_error_t *err)
{
    char f[128];
    if (n > MATCH_MAX_LIST) return INVALID(field, "%s: at most %d entries", field, MATCH_MAX_LIST);
    for (size_t i = 0; i < n; i++) {
        const char *s = s_str(list[i]);
        snprintf(f, sizeof f, "%s[%zu]", field, i);
        if (!ok(cat, s)) return INVALID(f, "unknown %s \"%.64s\"", what, s);
        if (s_seen(list, i, s) >= 0) return INVALID(f, "%s \"%.64s\" listed twice", what, s);
    }
    return 0;
}

/* List checkers for s_check_list: a catalogue service code; an area
 * served or MATCH_AREA_ALL; a known language; a known group. */
static bool s_service_ok(const intake_catalogue_t *cat, const char *s)
{
    return intake_catalogue_find(cat, s) != NULL;
}

static bool s_area_ok(const intake_catalogue_t *cat, const char *s)
{
    return !strcmp(s, MATCH_AREA_ALL) || intake_catalogue_has_area(cat, s);
}

static bool s_lang_ok(const intake_catalogue_t *cat, const char *s)
{
    (void)cat;
    return match_lang_bit(s) != 0;
}

static bool s_group_ok(const intake_catalogue_t *cat, const char *s)
{
    (void)cat;
    return match_group_bit(s) != 0;
}

/* Checks a slot list: bounded, weekday 1..7, opens < closes <= 1440. */
static int s_check_slots(Matching__TimeSlot *const *slots, size_t n, const char *field,
                         hub_error_t *err)
{
    char f[128];
    if (n > MATCH_MAX_LIST) return INVALID(field, "%s: at most %d slots", field, MATCH_MAX_LIST);
    for (size_t i = 0; i < n; i++) {
        const Matching__TimeSlot *t = slots[i];
        snprintf(f, sizeof f, "%s[%zu]", field, i);
        if (!t) return INVALID(f, "%s is empty", f);
        if (t->weekday < 1 || t->weekday > 7)
            return INVALID(f, "weekday %u is not 1 (Monday) .. 7 (Sunday)", t->weekday);
        if (t->opens_min >= t->closes_min || t->closes_min > 1440)
            return INVALID(f, "opens_min %u and closes_min %u must satisfy opens < closes <= 1440",
                           t->opens_min, t->closes_min);
    }
    return 0;
}

/* Checks an eligibility (may be NULL): ages <= 150 and ordered, groups known. */
static int s_check_eligibility(const Matching__Eligibility *e, const char *prefix, hub_error_t *err)
{
    char f[128];
    if (!e) return 0;
    snprintf(f, sizeof f, "%s.eligibility.min_age", prefix);
    if (e->min_age > S_MAX_AGE) return INVALID(f, "min_age %u is over %d", e->min_age, S_MAX_AGE);
    snprintf(f, sizeof f, "%s.eligibility.max_age", prefix);
    if (e->max_age > S_MAX_AGE) return INVALID(f, "max_age %u is over %d", e->max_age, S_MAX_AGE);
    if (e->min_age && e->max_age && e->min_age > e->max_age)
        return INVALID(f, "max_age %u is below min_age %u", e->max_age, e->min_age);
    snprintf(f, sizeof f, "%s.eligibility.groups", prefix);
    return s_check_list(NULL, e->groups, e->n_groups, f, "group", s_group_ok, err);
}

/* Checks a membership value and fills APPLIED when unspecified. */
static int s_fill_membership(Matching__Membership *m, const char *field, hub_error_t *err)
{
    if (*m == MATCHING__MEMBERSHIP__MEMBERSHIP_UNSPECIFIED) *m = MATCHING__MEMBERSHIP__APPLIED;
    if ((int)*m < MATCHING__MEMBERSHIP__APPLIED || (int)*m > MATCHING__MEMBERSHIP__WITHDRAWN)
        return INVALID(field, "unknown membership %d", (int)*m);
    return 0;
}

/* Checks last_verified: empty or a real YYYY-MM-DD date. */
static int s_check_verified(const char *s, const char *field, hub_error_t *err)
{
    if (*s_str(s) && !s_date_ok(s)) return INVALID(field, "\"%.32s\" is not a YYYY-MM-DD date", s);
    return 0;
}

/* Checks one contact of an organization: not empty, bounded, shapes. */
static int s_check_contact(const Matching__Contact *c, size_t i, hub_error_t *err)
{
    char f[128];
    snprintf(f, sizeof f, "org.contacts[%zu]", i);
    if (!c || (!*s_str(c->name) && !*s_str(c->phone) && !*s_str(c->email)))
        return INVALID(f, "a contact needs a name, phone or e-mail");
    snprintf(f, sizeof f, "org.contacts[%zu].name", i);
    if (!s_len_ok(c->name, MATCH_MAX_NAME)) return INVALID(f, "name is longer than %d bytes", MATCH_MAX_NAME);
    snprintf(f, sizeof f, "org.contacts[%zu].title", i);
    if (!s_len_ok(c->title, MATCH_MAX_SHORT)) return INVALID(f, "title is longer than %d bytes", MATCH_MAX_SHORT);
    snprintf(f, sizeof f, "org.contacts[%zu].phone", i);
    if (*s_str(c->phone) && !s_phone_ok(c->phone)) return INVALID(f, "\"%.32s\" is not a phone number", c->phone);
    snprintf(f, sizeof f, "org.contacts[%zu].email", i);
    if (*s_str(c->email) && !s_email_ok(c->email)) return INVALID(f, "not an e-mail address");
    return 0;
}

int match_validate_org(const intake_catalogue_t *cat, Matching__Organization *o, hub_error_t *err)
{
    if (*s_str(o->id) && !s_id_ok(o->id))
        return INVALID("org.id", "id must match [A-Za-z0-9._-]{1,%d}", MATCH_MAX_ID);
    if (!*s_str(o->name) || !s_len_ok(o->name, MATCH_MAX_NAME))
        return INVALID("org.name", "name is required (at most %d bytes)", MATCH_MAX_NAME);
    if ((int)o->legal_form < MATCHING__LEGAL_FORM__LEGAL_FORM_UNSPECIFIED ||
        (int)o->legal_form > MATCHING__LEGAL_FORM__COMMUNITY_GROUP)
        return INVALID("org.legal_form", "unknown legal form %d", (int)o->legal_form);
    bool community = o->legal_form == MATCHING__LEGAL_FORM__COMMUNITY_GROUP;
    if (!*s_str(o->credit_code)) {
        if (!community)
            return INVALID("org.credit_code", "credit_code (统一社会信用代码) is required unless COMMUNITY_GROUP");
    } else if (!match_credit_code_valid(o->credit_code)) {
        return INVALID("org.credit_code", "\"%.32s\" is not a valid 统一社会信用代码", o->credit_code);
    }
    if (!s_len_ok(o->description, MATCH_MAX_TEXT))
        return INVALID("org.description", "description is longer than %d bytes", MATCH_MAX_TEXT);
    if (o->n_contacts > MATCH_MAX_LIST) return INVALID("org.contacts", "at most %d contacts", MATCH_MAX_LIST);
    for (size_t i = 0; i < o->n_contacts; i++)
        if (s_check_contact(o->contacts[i], i, err)) return -1;
    if (*s_str(o->email) && !s_email_ok(o->email)) return INVALID("org.email", "not an e-mail address");
    if (!s_len_ok(o->url, MATCH_MAX_SHORT) || !s_no_space(s_str(o->url)))
        return INVALID("org.url", "url must be at most %d bytes without spaces", MATCH_MAX_SHORT);
    if (s_fill_membership(&o->membership, "org.membership", err)) return -1;
    if (s_check_list(cat, o->services, o->n_services, "org.services", "service", s_service_ok, err)) return -1;
    if (s_check_list(cat, o->areas, o->n_areas, "org.areas", "area", s_area_ok, err)) return -1;
    if (s_check_slots(o->hours, o->n_hours, "org.hours", err)) return -1;
    if (s_check_list(NULL, o->languages, o->n_languages, "org.languages", "language", s_lang_ok, err))
        return -1;
    if (o->cost == MATCHING__COST__COST_UNSPECIFIED) o->cost = MATCHING__COST__FREE;
    if (o->cost != MATCHING__COST__FREE && o->cost != MATCHING__COST__LOW_COST)
        return INVALID("org.cost", "unknown cost %d", (int)o->cost);
    if (!s_len_ok(o->fee, MATCH_MAX_SHORT)) return INVALID("org.fee", "fee is longer than %d bytes", MATCH_MAX_SHORT);
    if (s_check_eligibility(o->eligibility, "org", err)) return -1;
    if (o->capacity) {
        if (o->capacity->maximum > MATCH_MAX_CAPACITY)
            return INVALID("org.capacity.maximum", "maximum %u is over %d", o->capacity->maximum, MATCH_MAX_CAPACITY);
        if (o->capacity->available > o->capacity->maximum)
            return INVALID("org.capacity.available", "available %u is over maximum %u",
                           o->capacity->available, o->capacity->maximum);
    }
    if (s_check_verified(o->last_verified, "org.last_verified", err)) return -1;
    if (o->year_incorporated &&
        (o->year_incorporated < S_MIN_YEAR_INCORPORATED || o->year_incorporated > S_MAX_YEAR_INCORPORATED))
        return INVALID("org.year_incorporated", "year %u is not in %d..%d (0 = unknown)",
                       o->year_incorporated, S_MIN_YEAR_INCORPORATED, S_MAX_YEAR_INCORPORATED);
    if (!s_len_ok(o->address, S_MAX_ADDRESS))
        return INVALID("org.address", "address is longer than %d bytes", S_MAX_ADDRESS);
    if (*s_str(o->street) && !intake_catalogue_has_area(cat, o->street))
        return INVALID("org.street", "street \"%.64s\" is not an area served", o->street);
    return 0;
}

int match_validate_volunteer(const intake_catalogue_t *cat, Matching__Volunteer *v,
                             hub_error_t *err)
{
    char f[128];
    if (*s_str(v->id) && !s_id_ok(v->id))
        return INVALID("volunteer.id", "id must match [A-Za-z0-9._-]{1,%d}", MATCH_MAX_ID);
    if (!*s_str(v->name) || !s_len_ok(v->name, MATCH_MAX_NAME))
        return INVALID("volunteer.name", "name is required (at most %d bytes)", MATCH_MAX_NAME);
    if (*s_str(v->phone) && !s_phone_ok(v->phone))
        return INVALID("volunteer.phone", "\"%.32s\" is not a phone number", v->phone);
    if (*s_str(v->email) && !s_email_ok(v->email)) return INVALID("volunteer.email", "not an e-mail address");
    if (*s_str(v->organization_id) && !s_id_ok(v->organization_id))
        return INVALID("volunteer.organization_id", "organization_id must match [A-Za-z0-9._-]{1,%d}", MATCH_MAX_ID);
    if (v->n_skills == 0) return INVALID("volunteer.skills", "at least one skill is required");
    if (v->n_skills > MATCH_MAX_LIST) return INVALID("volunteer.skills", "at most %d skills", MATCH_MAX_LIST);
    for (size_t i = 0; i < v->n_skills; i++) {
        const Matching__Skill *s = v->skills[i];
        snprintf(f, sizeof f, "volunteer.skills[%zu].service", i);
        if (!s || !intake_catalogue_find(cat, s_str(s->service)))
            return INVALID(f, "unknown service \"%.64s\"", s ? s_str(s->service) : "");
        for (size_t k = 0; k < i; k++)
            if (!strcmp(s_str(v->skills[k]->service), s->service))
                return INVALID(f, "service \"%.64s\" listed twice", s->service);
        snprintf(f, sizeof f, "volunteer.skills[%zu].certification", i);
        if (!s_len_ok(s->certification, MATCH_MAX_SHORT))
            return INVALID(f, "certification is longer than %d bytes", MATCH_MAX_SHORT);
        snprintf(f, sizeof f, "volunteer.skills[%zu].licence_no", i);
        if (!s_len_ok(s->licence_no, MATCH_MAX_SHORT))
            return INVALID(f, "licence_no is longer than %d bytes", MATCH_MAX_SHORT);
    }
    if (s_check_list(cat, v->areas, v->n_areas, "volunteer.areas", "area", s_area_ok, err)) return -1;
    if (s_check_slots(v->availability, v->n_availability, "volunteer.availability", err)) return -1;
    if (s_check_list(NULL, v->languages, v->n_languages, "volunteer.languages", "language", s_lang_ok, err))
        return -1;
    if (v->max_open_cases < 1 || v->max_open_cases > S_MAX_OPEN_CASES)
        return INVALID("volunteer.max_open_cases", "max_open_cases %u is not 1..%d", v->max_open_cases,
                       S_MAX_OPEN_CASES);
    if (s_fill_membership(&v->membership, "volunteer.membership", err)) return -1;
    if (s_check_eligibility(v->eligibility, "volunteer", err)) return -1;
    if (s_check_verified(v->last_verified, "volunteer.last_verified", err)) return -1;
    return 0;
}

/* ---------------------------------------------------------------- membership */

const char *match_membership_name(Matching__Membership m)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&matching__membership__descriptor, m);
    return v ? v->name : "UNKNOWN";
}

int match_membership_transition(Matching__Membership from, Matching__Membership to,
                                hub_error_t *err)
{
    if ((int)to < MATCHING__MEMBERSHIP__APPLIED || (int)to > MATCHING__MEMBERSHIP__WITHDRAWN)
        return INVALID("membership", "membership must be APPLIED, APPROVED, SUSPENDED or WITHDRAWN");
    bool ok;
    switch (from) {
    case MATCHING__MEMBERSHIP__APPLIED:
        ok = to == MATCHING__MEMBERSHIP__APPROVED || to == MATCHING__MEMBERSHIP__WITHDRAWN;
        break;
    case MATCHING__MEMBERSHIP__APPROVED:
        ok = to == MATCHING__MEMBERSHIP__SUSPENDED || to == MATCHING__MEMBERSHIP__WITHDRAWN;
        break;
    case MATCHING__MEMBERSHIP__SUSPENDED:
        ok = to == MATCHING__MEMBERSHIP__APPROVED || to == MATCHING__MEMBERSHIP__WITHDRAWN;
        break;
    case MATCHING__MEMBERSHIP__WITHDRAWN:
        ok = to == MATCHING__MEMBERSHIP__APPLIED;
        break;
    default:
        ok = false;
    }
    if (!ok)
        return PRECONDITION("membership", "cannot go from %s to %s", match_membership_name(from),
                            match_membership_name(to));
    return 0;
}

/* ---------------------------------------------------------------- candidates */

/* Mask of the known entries of a group list. */
static uint32_t s_group_mask(char *const *list, size_t n)
{
    uint32_t m = 0;
    for (size_t i = 0; i < n; i++) m |= match_group_bit(list[i]);
    return m;
}

/* Mask of the known entries of a language list. */
static uint32_t s_lang_mask(char *const *list, size_t n)
{
    uint32_t m = 0;
    for (size_t i = 0; i < n; i++) m |= match_lang_bit(list[i]);
    return m;
}

/* The parts common to organizations and volunteers. */
static void s_cand_common(match_cand_t *c, const char *id, const Matching__Eligibility *e,
                          char *const *langs, size_t n_langs, const Matching__ProviderStats *st)
{
    snprintf(c->id, sizeof c->id, "%s", s_str(id));
    if (e) {
        c->min_age = e->min_age;
        c->max_age = e->max_age;
        c->groups = s_group_mask(e->groups, e->n_groups);
    }
    c->langs = s_lang_mask(langs, n_langs);
    if (st) {
        c->offers = st->offers;
        c->accepted = st->accepted;
        c->completed = st->completed;
        c->got_help = st->got_help;
    }
}

void match_cand_from_org(const Matching__Organization *o, match_cand_t *c)
{
    memset(c, 0, sizeof *c);
    c->kind = MATCHING__PROVIDER_KIND__ORGANIZATION;
    c->cost = o->cost == MATCHING__COST__LOW_COST ? MATCHING__COST__LOW_COST : MATCHING__COST__FREE;
    c->has_hours = (uint8_t)match_week_fill(c->week, o->hours, o->n_hours);
    if (o->capacity) {
        c->available = o->capacity->available;
        c->maximum = o->capacity->maximum;
    }
    s_cand_common(c, o->id, o->eligibility, o->languages, o->n_languages, o->stats);
}

void match_cand_from_volunteer(const Matching__Volunteer *v, match_cand_t *c)
{
    memset(c, 0, sizeof *c);
    c->kind = MATCHING__PROVIDER_KIND__VOLUNTEER;
    c->cost = MATCHING__COST__FREE;
    c->has_hours = (uint8_t)match_week_fill(c->week, v->availability, v->n_availability);
    uint32_t open = v->stats ? v->stats->open_cases : 0;
    c->maximum = v->max_open_cases;
    c->available = open < v->max_open_cases ? v->max_open_cases - open : 0;
    s_cand_common(c, v->id, v->eligibility, v->languages, v->n_languages, v->stats);
}

void match_need_from_referral(const Matching__Referral *r, int64_t now_ms, match_need_t *n)
{
    memset(n, 0, sizeof *n);
    n->service = s_str(r->service_code);
    n->street = s_str(r->street);
    n->urgency = (int)r->urgency;
    n->lang = match_lang_bit(r->language);
    n->groups = s_group_mask(r->groups, r->n_groups);
    n->age = r->age;
    n->vulnerable = n->groups != 0;
    n->now_ms = now_ms;
    match_need_prepare(n);
}

static int64_t s_abs_slot(int64_t ms);

/* Sets in mask the slots of [from_ms, from_ms + window_ms), as
 * match_open_within reads them. */
static void s_window_mask(uint8_t mask[42], int64_t from_ms, int64_t window_ms)
{
    memset(mask, 0, 42);
    if (window_ms <= 0) return;
    int64_t first = s_abs_slot(from_ms);
    int64_t last = first + S_WEEK_SLOTS - 1;
    if (window_ms < S_WEEK_SLOTS * S_SLOT_MS) {
        int64_t end = s_abs_slot(from_ms + window_ms - 1);
        if (end < last) last = end;
    }
    for (int64_t t = first; t <= last; t++) {
        int64_t b = ((t % S_WEEK_SLOTS) + S_WEEK_SLOTS) % S_WEEK_SLOTS;
        mask[b / 8] |= (uint8_t)(1u << (b % 8));
    }
}

void match_need_prepare(match_need_t *n)
{
    s_window_mask(n->now_mask, n->now_ms, 1);
    s_window_mask(n->window_mask, n->now_ms, match_urgency_window_ms(n->urgency));
    n->prepared = true;
}

/* True if c is open in a slot of mask (or has no hours). */
static bool s_open_in(const match_cand_t *c, const uint8_t mask[42])
{
    if (!c->has_hours) return true;
    for (int i = 0; i < 42; i++)
        if (c->week[i] & mask[i]) return true;
    return false;
}

const char *match_reason_name(match_reason_t r)
{
    static const char *const names[MATCH_REASONS] = {
        "fit", "no_capacity", "language", "age", "group", "not_available", "already_tried"};
    return (unsigned)r < MATCH_REASONS ? names[r] : "unknown";
}

int64_t match_urgency_window_ms(int urgency)
{
    switch (urgency) {
    case INTAKE__URGENCY__EMERGENCY: return 4 * 3600 * 1000LL;
    case INTAKE__URGENCY__HIGH: return 24 * 3600 * 1000LL;
    case INTAKE__URGENCY__LOW: return 7 * S_DAY_MS;
    default: return 72 * 3600 * 1000LL;
    }
}

int64_t match_offer_timeout_ms(int urgency, int64_t override_s)
{
    if (override_s > 0) return override_s * 1000;
    switch (urgency) {
    case INTAKE__URGENCY__EMERGENCY: return 15 * 60 * 1000LL;
    case INTAKE__URGENCY__HIGH: return 2 * 3600 * 1000LL;
    case INTAKE__URGENCY__LOW: return 48 * 3600 * 1000LL;
    default: return 24 * 3600 * 1000LL;
    }
}

/* Floor division (toward minus infinity) for a positive divisor. */
static int64_t s_floordiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && a < 0); }

/* Absolute half-hour slot number of a time in China Standard Time,
 * counted so that slot % 336 is the week slot (0 = Monday 00:00). The
 * Unix epoch was a Thursday, i.e. week slot 3 x 48. */
static int64_t s_abs_slot(int64_t ms)
{
    return s_floordiv(ms + S_CST_OFFSET_MS, S_SLOT_MS) + 3 * 48;
}

/* True if the week slot of an absolute slot number is set. */
static bool s_bit(const uint8_t week[42], int64_t slot)
{
    int s = (int)(((slot % S_WEEK_SLOTS) + S_WEEK_SLOTS) % S_WEEK_SLOTS);
    return week[s / 8] >> (s % 8) & 1;
}

bool match_open_within(const match_cand_t *c, int64_t from_ms, int64_t window_ms)
{
    if (!c->has_hours) return true;
    if (window_ms <= 0) return false;
    int64_t first = s_abs_slot(from_ms);
    int64_t last = first + S_WEEK_SLOTS - 1; /* a week or more: any slot */
    if (window_ms < S_WEEK_SLOTS * S_SLOT_MS) {
        int64_t end = s_abs_slot(from_ms + window_ms - 1);
        if (end < last) last = end;
    }
    for (int64_t s = first; s <= last; s++)
        if (s_bit(c->week, s)) return true;
    return false;
}

/* Clears week, then sets the slots of the valid entries (invalid ones are
 * skipped); has_hours is 1 when any slot was given, valid or not. */
int match_week_fill(uint8_t week[42], Matching__TimeSlot *const *slots, size_t n)
{
    memset(week, 0, 42);
    for (size_t i = 0; i < n; i++) {
        const Matching__TimeSlot *t = slots[i];
        if (!t || t->weekday < 1 || t->weekday > 7 || t->opens_min >= t->closes_min || t->closes_min > 1440)
            continue;
        int base = (int)(t->weekday - 1) * 48;
        for (int s = (int)t->opens_min / 30; s <= (int)(t->closes_min - 1) / 30; s++)
            week[(base + s) / 8] |= (uint8_t)(1u << ((base + s) % 8));
    }
    return n > 0;
}

match_reason_t match_filter(const match_need_t *n, const match_cand_t *c)
{
    static uint32_t zh;
    if (!zh) zh = match_lang_bit("zh");
    if (c->available == 0) return MATCH_NO_CAPACITY;
    if (!((n->lang ? n->lang : zh) & (c->langs ? c->langs : zh))) return MATCH_LANGUAGE;
    if (n->age && ((c->min_age && n->age < c->min_age) || (c->max_age && n->age > c->max_age)))
        return MATCH_AGE;
    if (c->groups && !(c->groups & n->groups)) return MATCH_GROUP;
    if (n->prepared ? !s_open_in(c, n->window_mask)
                    : !match_open_within(c, n->now_ms, match_urgency_window_ms(n->urgency)))
        return MATCH_NOT_AVAILABLE;
    return MATCH_FIT;
}

/* Stores a factor when f is not NULL; returns its points. */
static double s_factor(match_factor_t *f, const char *name, double points, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static double s_factor(match_factor_t *f, const char *name, double points, const char *fmt, ...)
{
    if (f) {
        f->name = name;
        f->points = points;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->detail, sizeof f->detail, fmt, ap);
        va_end(ap);
    }
    return points;
}

/* Laplace-smoothed ratio (good + 1) / (all + 2), at most 1. */
static double s_laplace(uint32_t good, uint32_t all)
{
    double r = ((double)good + 1) / ((double)all + 2);
    return r > 1 ? 1 : r;
}

/* match_score without the explanation: the same arithmetic, no varargs,
 * for the scan of every candidate. */
static double s_score_fast(const match_need_t *n, const match_cand_t *c, bool same_street)
{
    double total = same_street ? 30 : 10;
    total += 20 * (c->maximum ? (c->available >= c->maximum ? 1.0 : (double)c->available / c->maximum) : 0);
    total += 15 * s_laplace(c->accepted, c->offers);   /* same order of sums as match_score */
    total += 15 * s_laplace(c->got_help, c->completed);
    bool low = c->cost == MATCHING__COST__LOW_COST;
    total += n->vulnerable ? (low ? 0 : 10) : 5;
    if (n->urgency == INTAKE__URGENCY__HIGH || n->urgency == INTAKE__URGENCY__EMERGENCY) {
        if (n->prepared ? s_open_in(c, n->now_mask) : match_open_within(c, n->now_ms, 1)) total += 10;
        else if (n->prepared ? s_open_in(c, n->window_mask)
                             : match_open_within(c, n->now_ms, match_urgency_window_ms(n->urgency)))
            total += 5;
    } else {
        total += 5;
    }
    return total;
}

double match_score(const match_need_t *n, const match_cand_t *c, bool same_street,
                   match_factor_t f[MATCH_FACTORS])
{
    if (!f) return s_score_fast(n, c, same_street);
    match_factor_t *F = f;
#define AT(i) (F ? &F[i] : NULL)
    double total = 0;
    if (same_street) total += s_factor(AT(0), "area", 30, "same street %.80s", s_str(n->street));
    else total += s_factor(AT(0), "area", 10, "district-wide or another area");

    double load = c->maximum ? (c->available >= c->maximum ? 1.0 : (double)c->available / c->maximum) : 0;
    total += s_factor(AT(1), "load", 20 * load, "%u/%u free", c->available, c->maximum);

    total += s_factor(AT(2), "acceptance", 15 * s_laplace(c->accepted, c->offers),
                      "%u/%u offers accepted", c->accepted, c->offers);
    total += s_factor(AT(3), "outcome", 15 * s_laplace(c->got_help, c->completed),
                      "%u/%u cases got help", c->got_help, c->completed);

    bool low = c->cost == MATCHING__COST__LOW_COST;
    if (n->vulnerable)
        total += s_factor(AT(4), "cost", low ? 0 : 10, low ? "low cost, vulnerable person" : "free, vulnerable person");
    else total += s_factor(AT(4), "cost", 5, low ? "low cost" : "free");

    if (n->urgency == INTAKE__URGENCY__HIGH || n->urgency == INTAKE__URGENCY__EMERGENCY) {
        int64_t window = match_urgency_window_ms(n->urgency);
        if (n->prepared ? s_open_in(c, n->now_mask) : match_open_within(c, n->now_ms, 1)) total += s_factor(AT(5), "urgency", 10, "open now");
        else if (n->prepared ? s_open_in(c, n->window_mask) : match_open_within(c, n->now_ms, window))
            total += s_factor(AT(5), "urgency", 5, "open within %lld h", (long long)(window / 3600000));
        else total += s_factor(AT(5), "urgency", 0, "not open within %lld h", (long long)(window / 3600000));
    } else {
        total += s_factor(AT(5), "urgency", 5, "not urgent");
    }
#undef AT
    return total;
}

int match_scored_cmp(const void *a, const void *b)
{
    const match_scored_t *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    if (x->cand.available != y->cand.available) return x->cand.available > y->cand.available ? -1 : 1;
    return strcmp(x->cand.id, y->cand.id);
}

/* ---------------------------------------------------------------- referrals */

/* The group of the person helped by a service, or NULL. */
static const char *s_service_group(const char *service)
{
    static const struct {
        const char *service, *group;
    } map[] = {
        {"elderly-care", "elderly"},     {"disability", "disabled"},
        {"children-autism", "children"}, {"tutoring", "children"},
        {"hardship-relief", "low-income"}, {"employment", "low-income"},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strcmp(map[i].service, service)) return map[i].group;
    return NULL;
}

/* The age of the person helped: attribute "age" or "child_age" holding a
 * whole number 0..150 (the first such); 0 when unknown. */
static uint32_t s_request_age(const Intake__Request *req)
{
    for (size_t i = 0; i < req->n_attributes; i++) {
        const Intake__AttributeAnswer *a = req->attributes[i];
        if (!a || a->n_values != 1 || (strcmp(s_str(a->code), "age") && strcmp(s_str(a->code), "child_age")))
            continue;
        const char *v = s_str(a->values[0]);
        char *end;
        if (!*v) continue;
        double d = strtod(v, &end);
        if (*end || !isfinite(d) || d < 0 || d > S_MAX_AGE || d != floor(d)) continue;
        return (uint32_t)d;
    }
    return 0;
}

/* The referral's requester_kind for a requester (static string, "" if unknown). */
static const char *s_requester_kind(const Intake__Person *p)
{
    if (!p) return "";
    switch (p->kind) {
    case INTAKE__REQUESTER_KIND__RESIDENT: return "resident";
    case INTAKE__REQUESTER_KIND__ORGANIZATION: return "organization";
    case INTAKE__REQUESTER_KIND__ENTERPRISE: return "enterprise";
    default: return "";
    }
}

void match_referral_init(Matching__Referral *ref, const Intake__Request *req, int64_t now_ms,
                         hub_arena_t *arena)
{
    matching__referral__init(ref);
    ref->request_id = (char *)s_str(req->service_request_id);
    ref->status = MATCHING__REFERRAL_STATUS__REQUESTED;
    ref->service_code = (char *)s_str(req->service_code);
    ref->street = (char *)s_str(req->street);
    ref->urgency = req->urgency == INTAKE__URGENCY__URGENCY_UNSPECIFIED ? INTAKE__URGENCY__NORMAL
                                                                         : (uint32_t)req->urgency;
    ref->language = (char *)(*s_str(req->language) ? req->language : "zh");
    const char *group = s_service_group(ref->service_code);
    if (group && arena) {
        char **groups = hub_arena_alloc(arena, sizeof *groups);
        if (groups) {
            groups[0] = (char *)group;
            ref->groups = groups;
            ref->n_groups = 1;
        }
    }
    ref->age = s_request_age(req);
    ref->requester_kind = (char *)s_requester_kind(req->requester);
    ref->created_ms = now_ms;
    ref->updated_ms = now_ms;
}

const char *match_status_name(Matching__ReferralStatus s)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&matching__referral_status__descriptor, s);
    return v ? v->name : "UNKNOWN";
}

#define ST(x) (1u << MATCHING__REFERRAL_STATUS__##x)

/* One action of the referral state machine: the states it may start from
 * (bit mask), and the state it leads to (0 = stays where it is). */
static const struct {
    const char *action, *topic;
    uint32_t from;
    Matching__ReferralStatus to;
} s_actions[] = {
    {"offer", "matching.referral.offered", ST(REQUESTED) | ST(REJECTED), MATCHING__REFERRAL_STATUS__REQUESTED},
    {"accept", "matching.referral.accepted", ST(REQUESTED), MATCHING__REFERRAL_STATUS__ACCEPTED},
    {"decline", "matching.referral.declined", ST(REQUESTED), MATCHING__REFERRAL_STATUS__REQUESTED},
    {"expire", "matching.referral.expired", ST(REQUESTED), MATCHING__REFERRAL_STATUS__REQUESTED},
    {"unmatched", "matching.referral.unmatched", ST(REQUESTED), MATCHING__REFERRAL_STATUS__REJECTED},
    {"start", "matching.referral.started", ST(ACCEPTED) | ST(ON_HOLD), MATCHING__REFERRAL_STATUS__IN_PROGRESS},
    {"hold", "matching.referral.held", ST(ACCEPTED) | ST(IN_PROGRESS), MATCHING__REFERRAL_STATUS__ON_HOLD},
    {"resume", "matching.referral.resumed", ST(ON_HOLD), MATCHING__REFERRAL_STATUS__IN_PROGRESS},
    {"complete", "matching.referral.completed", ST(ACCEPTED) | ST(IN_PROGRESS) | ST(ON_HOLD),
     MATCHING__REFERRAL_STATUS__COMPLETED},
    {"assign", "matching.referral.assigned",
     ST(REQUESTED) | ST(REJECTED) | ST(ACCEPTED) | ST(IN_PROGRESS) | ST(ON_HOLD),
     MATCHING__REFERRAL_STATUS__ACCEPTED},
    {"withdraw", "matching.referral.withdrawn",
     ST(REQUESTED) | ST(ACCEPTED) | ST(REJECTED) | ST(IN_PROGRESS) | ST(ON_HOLD),
     MATCHING__REFERRAL_STATUS__CANCELLED},
    {"reopen", "matching.referral.reopened", ST(CANCELLED), MATCHING__REFERRAL_STATUS__REQUESTED},
};

#undef ST

/* Index of action in s_actions, or -1. */
static int s_action(const char *action)
{
    for (size_t i = 0; action && i < sizeof s_actions / sizeof *s_actions; i++)
        if (!strcmp(s_actions[i].action, action)) return (int)i;
    return -1;
}

int match_referral_transition(Matching__ReferralStatus from, const char *action,
                              Matching__ReferralStatus *to, hub_error_t *err)
{
    int i = s_action(action);
    if (i < 0)
        return INVALID("action", "unknown action \"%.40s\": offer, accept, decline, expire, unmatched, "
                                 "start, hold, resume, complete, assign or withdraw", s_str(action));
    if ((unsigned)from > 31 || !(s_actions[i].from & (1u << from)))
        return PRECONDITION("action", "cannot %s: referral is %s", action, match_status_name(from));
    *to = s_actions[i].to;
    return 0;
}

const char *match_referral_topic(const char *action)
{
    int i = s_action(action);
    return i < 0 ? "matching.referral.updated" : s_actions[i].topic;
}

/* ------------------------------------------------------------------ personal data */

int match_subject_valid(const Matching__Subject *s)
{
    char d[HUB_PHONE_DIGITS];
    if (!s) return -1;
    return hub_phone_norm(s->phone, d, sizeof d) || *s_str(s->email) ? 0 : -1;
}

/* True when the person (name, phone, email) is subject s (valid): as
 * match_volunteer_is_of. */
static bool s_person_is(const char *name, const char *phone, const char *email, const Matching__Subject *s)
{
    char a[HUB_PHONE_DIGITS], b[HUB_PHONE_DIGITS];
    if (hub_phone_norm(s->phone, a, sizeof a) && (!hub_phone_norm(phone, b, sizeof b) || strcmp(a, b)))
        return false;
    if (*s_str(s->email) && strcasecmp(s->email, s_str(email))) return false;
    return !*s_str(s->name) || !strcmp(s->name, s_str(name));
}

bool match_volunteer_is_of(const Matching__Volunteer *v, const Matching__Subject *s)
{
    return v && !match_subject_valid(s) && s_person_is(v->name, v->phone, v->email, s);
}

bool match_contact_is_of(const Matching__Contact *c, const Matching__Subject *s)
{
    return c && !match_subject_valid(s) && s_person_is(c->name, c->phone, c->email, s);
}

void match_volunteer_blank(Matching__Volunteer *v)
{
    v->name = MATCH_ERASED_NAME;
    v->phone = v->email = "";
    for (size_t i = 0; i < v->n_skills; i++)
        if (v->skills[i]) v->skills[i]->licence_no = "";
}

void match_volunteer_erase(Matching__Volunteer *v, int64_t now_ms)
{
    match_volunteer_blank(v);
    v->membership = MATCHING__MEMBERSHIP__WITHDRAWN;
    if (!v->erased_ms) v->erased_ms = now_ms;
    v->updated_ms = now_ms;
}

size_t match_org_remove_contacts(Matching__Organization *o, const Matching__Subject *s)
{
    size_t kept = 0, n = o->n_contacts;
    for (size_t i = 0; i < n; i++)
        if (!match_contact_is_of(o->contacts[i], s)) o->contacts[kept++] = o->contacts[i];
    o->n_contacts = kept;
    return n - kept;
}

/* True when contacts a and b are the same entry. */
static bool s_contact_eq(const Matching__Contact *a, const Matching__Contact *b)
{
    return a && b && !strcmp(s_str(a->name), s_str(b->name)) && !strcmp(s_str(a->title), s_str(b->title)) &&
           !strcmp(s_str(a->phone), s_str(b->phone)) && !strcmp(s_str(a->email), s_str(b->email));
}

size_t match_org_keep_contacts(Matching__Organization *o, const Matching__Organization *now)
{
    size_t kept = 0, n = o->n_contacts;
    for (size_t i = 0; i < n; i++) {
        bool listed = false;
        for (size_t j = 0; !listed && j < now->n_contacts; j++) listed = s_contact_eq(o->contacts[i], now->contacts[j]);
        if (listed) o->contacts[kept++] = o->contacts[i];
    }
    o->n_contacts = kept;
    return n - kept;
}

bool match_referral_forget_volunteer(Matching__Referral *r, const char *id)
{
    bool changed = false;
    for (size_t i = 0; i < r->n_offers; i++) {
        Matching__Offer *o = r->offers[i];
        if (o && o->kind == MATCHING__PROVIDER_KIND__VOLUNTEER && !strcmp(s_str(o->provider_id), id) &&
            *s_str(o->provider_name)) {
            o->provider_name = "";
            changed = true;
        }
    }
    if (r->provider_kind == MATCHING__PROVIDER_KIND__VOLUNTEER && !strcmp(s_str(r->provider_id), id) &&
        *s_str(r->provider_name)) {
        r->provider_name = "";
        changed = true;
    }
    return changed;
}

/* ---------------------------------------------------------------- activity hours */

/* True if id is 1..MATCH_MAX_ID bytes of [A-Za-z0-9._-] (a library id). */
static bool s_lib_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (!n || n > MATCH_MAX_ID) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && id[i] != '.' && id[i] != '_' && id[i] != '-') return false;
    return true;
}

int match_activity_credit(const Intake__RegistrationEvent *ev, match_credit_t *c, hub_error_t *err)
{
    memset(c, 0, sizeof *c);
    const Intake__Registration *r = ev ? ev->registration : NULL;
    if (!r || r->state != INTAKE__REGISTRATION_STATE__ATTENDED || !*r->volunteer_id || !(r->hours_credited > 0))
        return 0;   /* NaN is not > 0 either: refused below only when it would credit */
    if (!*r->registration_id || strlen(r->registration_id) > 200)
        return INVALID("registration.registration_id", "an attendance without a usable registration id");
    if (!s_lib_id(r->volunteer_id))
        return INVALID("registration.volunteer_id", "volunteer id \"%.40s\" is not a library id", r->volunteer_id);
    if (!isfinite(r->hours_credited) || r->hours_credited > MATCH_MAX_CREDIT_HOURS)
        return INVALID("registration.hours_credited", "hours %.1f out of range (0, %.0f]", r->hours_credited,
                       MATCH_MAX_CREDIT_HOURS);
    c->registration_id = r->registration_id;
    c->activity_id = r->activity_id;
    c->volunteer_id = r->volunteer_id;
    c->hours = r->hours_credited;
    c->activity_created_ms = ev->activity ? ev->activity->created_ms : 0;
    return 1;
}

void match_volunteer_credit(Matching__Volunteer *v, double hours)
{
    if (!(hours > 0)) return;
    v->hours_served += hours;
    v->activity_hours += hours;
}
