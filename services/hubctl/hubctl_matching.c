/* hubctl's commands for hub-matching: the resource library (organizations,
 * volunteers, import/export), match explanations, referrals, the operator
 * queue and unmet demand. Every call goes to [matching] api. Human output
 * prints enum values as lower-case words ("in-progress", "got-help"), the
 * same words the options take; --json prints the daemon's reply. */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"
#include "intake.pb-c.h"
#include "matching.pb-c.h"
#include "table.h"

#define D "matching"

const char ctl_matching_usage[] =
    "Commands (hub-matching):\n"
    "  org add --name N [--credit-code C] [--legal-form F] [--service CODE]...\n"
    "          [--area STREET|*]... [--language L]... [--cost free|low-cost] [--fee F]\n"
    "          [--min-age N] [--max-age N] [--group G]... [--capacity N]\n"
    "          [--hours \"1-5 09:00-17:00\"]... [--contact-name N] [--contact-phone P]\n"
    "          [--email E] [--url U] [--street S] [--address A] [--description D]\n"
    "          [--approve] [--id ID] [--last-verified YYYY-MM-DD]\n"
    "          [--year-incorporated YYYY]   (1900-2100; 0 = unknown)\n"
    "          F: social-group, private-non-enterprise, foundation, community-group;\n"
    "          --capacity sets available = maximum; without --approve: applied\n"
    "  org update ID [the options of org add but --id]\n"
    "                                    change the given fields only (a repeated\n"
    "                                    option replaces that whole list)\n"
    "  org show ID\n"
    "  org approve|suspend|withdraw ID [REASON]\n"
    "  orgs [--service C] [--area A] [--membership applied|approved|suspended|withdrawn]\n"
    "       [--limit N] [--after ID]\n"
    "  volunteer add --name N --skill SERVICE[:CERTIFICATION[:LICENCE]]... --area A...\n"
    "          [--availability \"6-7 09:00-12:00\"]... [--language L]... [--max-cases N]\n"
    "          [--phone P] [--email E] [--org ID] [--approve] [--id ID]\n"
    "          [--last-verified YYYY-MM-DD]   (--max-cases defaults to 3)\n"
    "  volunteer update ID [the options of volunteer add but --id]\n"
    "  volunteer show ID\n"
    "  volunteer approve|suspend|withdraw ID [REASON]\n"
    "  volunteers [--service C] [--area A] [--membership M] [--limit N] [--after ID]\n"
    "  import FILE [--format hsds|csv] [--kind org|volunteer]\n"
    "                                    format from the extension (.json, .csv);\n"
    "                                    all records or none\n"
    "  export [FILE]                     the library as one HSDS JSON array\n"
    "  match explain REQUEST_ID          candidates, each factor's points, exclusions\n"
    "  referral show REQUEST_ID          status, provider, offers, history\n"
    "  referrals [--status S] [--provider ID] [--limit N] [--after ID]\n"
    "  queue [--limit N] [--after ID]    referrals no provider took (operator queue)\n"
    "  queue retry                       match the queued referrals again (after the\n"
    "                                    library changed)\n"
    "  referral accept|decline|start|hold|resume|complete REQUEST_ID --provider ID\n"
    "          [--reason R] [--outcome got-help|could-not-contact|not-eligible|\n"
    "          no-capacity|no-longer-interested] [--hours H]\n"
    "                                    answer for the provider (complete needs\n"
    "                                    --outcome, decline a --reason)\n"
    "  referral assign REQUEST_ID --provider ID [--kind org|volunteer] [--reason R]\n"
    "  referral withdraw REQUEST_ID REASON\n"
    "  unmet                             demand no provider took, by service and street\n";

const ProtobufCMessageDescriptor *ctl_matching_payload_type(const char *topic)
{
    if (!strncmp(topic, "matching.referral.", 18)) return &matching__referral_event__descriptor;
    if (!strncmp(topic, "matching.org.", 13) || !strncmp(topic, "matching.volunteer.", 19))
        return &matching__provider_event__descriptor;
    return NULL;
}

/* ------------------------------------------------------------------ helpers */

/* "a, b, c" in the arena. */
static const char *s_join(ctl_t *c, char *const *v, size_t n, const char *sep)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++) len += strlen(v[i]) + strlen(sep);
    char *out = ctl_alloc(c, len);
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(out, sep);
        strcat(out, v[i]);
    }
    return out;
}

/* Weekly slots "1-5 09:00-17:00" (weekdays 1 = Monday .. 7, lists and
 * ranges: "1,3,6-7"; "24:00" closes at midnight) appended to *slots. */
static int s_parse_slots(ctl_t *c, const char *opt, const char *spec, Matching__TimeSlot ***slots, size_t *n)
{
    char days[64];
    unsigned h1, m1, h2, m2;
    int used = 0;
    if (sscanf(spec, " %63[0-9,-] %u:%u-%u:%u %n", days, &h1, &m1, &h2, &m2, &used) != 5 || spec[used] ||
        m1 > 59 || m2 > 59 || h1 * 60 + m1 > 1440 || h2 * 60 + m2 > 1440)
        return ctl_bad(opt, spec, "wants WEEKDAYS HH:MM-HH:MM, e.g. \"1-5 09:00-17:00\" (1 = Monday)");
    char *save, *item;
    for (item = strtok_r(days, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        unsigned a = 0, b = 0;
        int k = 0;
        bool range = sscanf(item, "%u-%u%n", &a, &b, &k) == 2 && !item[k];
        if (!range) {
            k = 0;
            if (sscanf(item, "%u%n", &a, &k) != 1 || item[k])
                return ctl_bad(opt, spec, "weekdays are 1..7, as a list or range (\"1,3\", \"1-5\")");
            b = a;
        }
        if (a < 1 || b > 7 || a > b) return ctl_bad(opt, spec, "weekdays are 1..7, as a list or range (\"1,3\", \"1-5\")");
        for (unsigned d = a; d <= b; d++) {
            Matching__TimeSlot *t = ctl_alloc(c, sizeof *t);
            matching__time_slot__init(t);
            t->weekday = d;
            t->opens_min = h1 * 60 + m1;
            t->closes_min = h2 * 60 + m2;
            ctl_append(c, slots, n, &t, sizeof t);
        }
    }
    return 0;
}

/* Slots back in the input form, consecutive weekdays with the same hours
 * merged: "1-5 09:00-17:00; 6 10:00-12:00". */
static const char *s_slots_text(ctl_t *c, Matching__TimeSlot *const *s, size_t n)
{
    char buf[1024] = "";
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && s[j + 1]->weekday == s[j]->weekday + 1 && s[j + 1]->opens_min == s[i]->opens_min &&
               s[j + 1]->closes_min == s[i]->closes_min)
            j++;
        char days[16];
        if (j > i) snprintf(days, sizeof days, "%u-%u", s[i]->weekday, s[j]->weekday);
        else snprintf(days, sizeof days, "%u", s[i]->weekday);
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s %02u:%02u-%02u:%02u", *buf ? "; " : "", days,
                 s[i]->opens_min / 60, s[i]->opens_min % 60, s[i]->closes_min / 60, s[i]->closes_min % 60);
        i = j + 1;
    }
    return hub_arena_strdup(c->arena, buf);
}

static const char *s_membership(int m) { return ctl_enum_word(&matching__membership__descriptor, m, NULL); }
static const char *s_status(int s) { return ctl_enum_word(&matching__referral_status__descriptor, s, NULL); }
static const char *s_kind(int k) { return ctl_enum_word(&matching__provider_kind__descriptor, k, NULL); }

static const char *s_stats_text(ctl_t *c, const Matching__ProviderStats *s)
{
    if (!s) return "";
    return ctl_fmt(c, "offers %u, accepted %u, declined %u, expired %u, completed %u, got help %u, open %u",
                 s->offers, s->accepted, s->declined, s->expired, s->completed, s->got_help, s->open_cases);
}

static const char *s_eligibility_text(ctl_t *c, const Matching__Eligibility *e)
{
    if (!e || (!e->min_age && !e->max_age && !e->n_groups)) return "everyone";
    char ages[64] = "";
    if (e->min_age || e->max_age) {
        snprintf(ages, sizeof ages, "ages %u-", e->min_age);
        if (e->max_age) snprintf(ages + strlen(ages), sizeof ages - strlen(ages), "%u", e->max_age);
    }
    return ctl_fmt(c, "%s%s%s%s", ages, *ages && e->n_groups ? ", " : "", e->n_groups ? "groups " : "",
                 s_join(c, e->groups, e->n_groups, " "));
}

/* matching's "show" layout: like ctl_kv, but its labels take 14 columns
 * (not 16), as they always have. */
static void s_kv(const char *label, const char *value)
{
    if (value && *value) printf("%-14s%s\n", label, value);
}

/* ------------------------------------------------------------------ organizations */

static const struct option s_org_opts[] = {
    {"name", 1, 0, 'n'},          {"credit-code", 1, 0, 'C'},  {"legal-form", 1, 0, 'F'},
    {"service", 1, 0, 's'},       {"area", 1, 0, 'a'},         {"language", 1, 0, 'L'},
    {"cost", 1, 0, 'k'},          {"fee", 1, 0, 'f'},          {"min-age", 1, 0, '1'},
    {"max-age", 1, 0, '2'},       {"group", 1, 0, 'g'},        {"capacity", 1, 0, 'p'},
    {"hours", 1, 0, 'H'},         {"contact-name", 1, 0, 'N'}, {"contact-phone", 1, 0, 'P'},
    {"email", 1, 0, 'e'},         {"url", 1, 0, 'u'},          {"street", 1, 0, 't'},
    {"address", 1, 0, 'A'},       {"description", 1, 0, 'd'},  {"approve", 0, 0, 'y'},
    {"id", 1, 0, 'i'},            {"last-verified", 1, 0, 'v'}, {"year-incorporated", 1, 0, 'Y'},
    {0, 0, 0, 0}};

static Matching__Eligibility *s_elig(ctl_t *c, Matching__Eligibility **e)
{
    if (!*e) {
        *e = ctl_alloc(c, sizeof **e);
        matching__eligibility__init(*e);
    }
    return *e;
}

static Matching__Contact *s_contact0(ctl_t *c, Matching__Organization *o)
{
    if (!o->n_contacts) {
        Matching__Contact *k = ctl_alloc(c, sizeof *k);
        matching__contact__init(k);
        ctl_append(c, &o->contacts, &o->n_contacts, &k, sizeof k);
    }
    return o->contacts[0];
}

/* Applies ops over o; a list option given at least once replaces that list. */
static int s_org_apply(ctl_t *c, Matching__Organization *o, const ctl_op_t *ops, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const ctl_op_t *op = &ops[i];
        char *a = op->arg;
        uint32_t u;
        int v;
        switch (op->code) {
        case 'n': o->name = a; break;
        case 'C': o->credit_code = a; break;
        case 'F':
            if ((v = ctl_enum_parse(&matching__legal_form__descriptor, a, NULL)) < 0)
                return ctl_bad(op->name, a, "wants social-group, private-non-enterprise, foundation or community-group");
            o->legal_form = v;
            break;
        case 's': if (op->first) o->n_services = 0; ctl_push(c, &o->services, &o->n_services, a); break;
        case 'a': if (op->first) o->n_areas = 0; ctl_push(c, &o->areas, &o->n_areas, a); break;
        case 'L': if (op->first) o->n_languages = 0; ctl_push(c, &o->languages, &o->n_languages, a); break;
        case 'g': {
            Matching__Eligibility *e = s_elig(c, &o->eligibility);
            if (op->first) e->n_groups = 0;
            ctl_push(c, &e->groups, &e->n_groups, a);
            break;
        }
        case 'k':
            if ((v = ctl_enum_parse(&matching__cost__descriptor, a, NULL)) < 0) return ctl_bad(op->name, a, "wants free or low-cost");
            o->cost = v;
            break;
        case 'f': o->fee = a; break;
        case '1':
            if (ctl_parse_u32(a, &u)) return ctl_bad(op->name, a, "wants a whole number");
            s_elig(c, &o->eligibility)->min_age = u;
            break;
        case '2':
            if (ctl_parse_u32(a, &u)) return ctl_bad(op->name, a, "wants a whole number");
            s_elig(c, &o->eligibility)->max_age = u;
            break;
        case 'p':
            if (ctl_parse_u32(a, &u)) return ctl_bad(op->name, a, "wants a whole number");
            if (!o->capacity) {
                o->capacity = ctl_alloc(c, sizeof *o->capacity);
                matching__capacity__init(o->capacity);
            }
            o->capacity->available = o->capacity->maximum = u;
            break;
        case 'H':
            if (op->first) o->n_hours = 0;
            if (s_parse_slots(c, op->name, a, &o->hours, &o->n_hours)) return EXIT_USAGE;
            break;
        case 'N': s_contact0(c, o)->name = a; break;
        case 'P': s_contact0(c, o)->phone = a; break;
        case 'e': o->email = a; break;
        case 'u': o->url = a; break;
        case 't': o->street = a; break;
        case 'A': o->address = a; break;
        case 'd': o->description = a; break;
        case 'y': o->membership = MATCHING__MEMBERSHIP__APPROVED; break;
        case 'i': o->id = a; break;
        case 'v': o->last_verified = a; break;
        case 'Y': /* the range is the daemon's (INVALID_ARGUMENT org.year_incorporated) */
            if (ctl_parse_u32(a, &u)) return ctl_bad(op->name, a, "wants a year (YYYY, 0 = unknown)");
            o->year_incorporated = u;
            break;
        default: return ctl_usage();
        }
    }
    return 0;
}

static void s_org_print(ctl_t *c, const Matching__Organization *o)
{
    s_kv("organization", o->id);
    s_kv("name", o->name);
    s_kv("membership", s_membership(o->membership));
    s_kv("legal form", ctl_enum_word(&matching__legal_form__descriptor, o->legal_form, NULL));
    s_kv("credit code", o->credit_code);
    if (o->year_incorporated) s_kv("incorporated", ctl_fmt(c, "%u", o->year_incorporated));
    s_kv("services", s_join(c, o->services, o->n_services, " "));
    s_kv("areas", s_join(c, o->areas, o->n_areas, " "));
    s_kv("languages", o->n_languages ? s_join(c, o->languages, o->n_languages, " ") : "zh");
    s_kv("cost", ctl_fmt(c, "%s%s%s", o->cost ? ctl_enum_word(&matching__cost__descriptor, o->cost, NULL) : "free",
                       *o->fee ? ", " : "", o->fee));
    s_kv("eligibility", s_eligibility_text(c, o->eligibility));
    if (o->capacity)
        s_kv("capacity", ctl_fmt(c, "%u of %u free (updated %s)", o->capacity->available, o->capacity->maximum,
                               ctl_time_or_empty(o->capacity->updated_ms)));
    s_kv("hours", o->n_hours ? s_slots_text(c, o->hours, o->n_hours) : "by appointment");
    for (size_t i = 0; i < o->n_contacts; i++) {
        const Matching__Contact *k = o->contacts[i];
        s_kv("contact", ctl_fmt(c, "%s%s%s%s%s%s%s", k->name, *k->title ? " (" : "", k->title, *k->title ? ")" : "",
                              *k->phone ? " " : "", k->phone, *k->email ? ctl_fmt(c, " %s", k->email) : ""));
    }
    s_kv("email", o->email);
    s_kv("url", o->url);
    s_kv("street", o->street);
    s_kv("address", o->address);
    s_kv("last verified", o->last_verified);
    s_kv("stats", s_stats_text(c, o->stats));
    s_kv("created", ctl_time_or_empty(o->created_ms));
    s_kv("updated", ctl_time_or_empty(o->updated_ms));
    s_kv("description", o->description);
}

static int s_org_put(ctl_t *c, const char *verb, Matching__Organization *o)
{
    Matching__PutOrganizationRequest req = MATCHING__PUT_ORGANIZATION_REQUEST__INIT;
    req.org = o;
    ProtobufCMessage *rep;
    int rc = ctl_call(c, D, verb, &req.base, &matching__organization_reply__descriptor, &rep);
    if (rc) return rc;
    Matching__OrganizationReply *r = (Matching__OrganizationReply *)rep;
    if (c->json || !r->org) ctl_print_json(rep);
    else printf("%s %s\n", r->org->id, s_membership(r->org->membership));
    return 0;
}

static int s_get_org(ctl_t *c, const char *id, Matching__OrganizationReply **out)
{
    Matching__GetProviderRequest req = MATCHING__GET_PROVIDER_REQUEST__INIT;
    req.id = (char *)id;
    return ctl_call(c, D, "matching.org.get", &req.base, &matching__organization_reply__descriptor,
                    (ProtobufCMessage **)out);
}

/* approve|suspend|withdraw ID [REASON] for "matching.org.membership" or
 * "matching.volunteer.membership". */
static int s_membership_cmd(ctl_t *c, const char *verb, int argc, char **argv, bool org)
{
    if (argc < 3 || argc > 4) return ctl_usage();
    Matching__MembershipRequest req = MATCHING__MEMBERSHIP_REQUEST__INIT;
    req.id = argv[2];
    req.membership = !strcmp(verb, "approve")   ? MATCHING__MEMBERSHIP__APPROVED
                     : !strcmp(verb, "suspend") ? MATCHING__MEMBERSHIP__SUSPENDED
                                                : MATCHING__MEMBERSHIP__WITHDRAWN;
    if (argc == 4) req.reason = argv[3];
    ProtobufCMessage *rep;
    int rc = ctl_call(c, D, org ? "matching.org.membership" : "matching.volunteer.membership", &req.base,
                      org ? &matching__organization_reply__descriptor : &matching__volunteer_reply__descriptor, &rep);
    if (rc) return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    if (org) {
        Matching__Organization *o = ((Matching__OrganizationReply *)rep)->org;
        if (o) printf("%s %s\n", o->id, s_membership(o->membership));
    } else {
        Matching__Volunteer *v = ((Matching__VolunteerReply *)rep)->volunteer;
        if (v) printf("%s %s\n", v->id, s_membership(v->membership));
    }
    return 0;
}

static int cmd_org(ctl_t *c, int argc, char **argv)
{
    if (argc < 2) return ctl_usage();
    const char *verb = argv[1];
    if (!strcmp(verb, "approve") || !strcmp(verb, "suspend") || !strcmp(verb, "withdraw"))
        return s_membership_cmd(c, verb, argc, argv, true);
    if (!strcmp(verb, "show")) {
        if (argc != 3) return ctl_usage();
        Matching__OrganizationReply *r;
        int rc = s_get_org(c, argv[2], &r);
        if (rc) return rc;
        if (c->json || !r->org) ctl_print_json(&r->base);
        else s_org_print(c, r->org);
        return 0;
    }
    bool add = !strcmp(verb, "add");
    if (!add && strcmp(verb, "update")) return ctl_usage();
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = ctl_collect(c, argc - 1, argv + 1, s_org_opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos != (add ? 0u : 1u)) return ctl_usage();
    /* check every option before asking the daemon anything */
    Matching__Organization scratch = MATCHING__ORGANIZATION__INIT;
    if ((rc = s_org_apply(c, &scratch, ops, n_ops))) return rc;
    if (add) {
        if (!*scratch.name) { fprintf(stderr, "hubctl: org add needs --name\n"); return EXIT_USAGE; }
        Matching__Organization *o = ctl_alloc(c, sizeof *o);
        matching__organization__init(o);
        o->membership = MATCHING__MEMBERSHIP__APPLIED;
        if ((rc = s_org_apply(c, o, ops, n_ops))) return rc;
        return s_org_put(c, "matching.org.add", o);
    }
    if (ctl_op(ops, n_ops, 'i')) { fprintf(stderr, "hubctl: org update takes the id as its argument, not --id\n"); return EXIT_USAGE; }
    Matching__OrganizationReply *r;
    if ((rc = s_get_org(c, pos[0], &r))) return rc;
    if (!r->org) { fprintf(stderr, "hubctl: the daemon sent no organization\n"); return EXIT_REFUSED; }
    if ((rc = s_org_apply(c, r->org, ops, n_ops))) return rc;
    return s_org_put(c, "matching.org.update", r->org);
}

/* --service --area --membership --limit --after for org/volunteer lists. */
static int s_list_opts(ctl_t *c, int argc, char **argv, Matching__ListProvidersRequest *req)
{
    static const struct option opts[] = {{"service", 1, 0, 's'}, {"area", 1, 0, 'a'}, {"membership", 1, 0, 'm'},
                                         {"limit", 1, 0, 'l'}, {"after", 1, 0, 'A'}, {0, 0, 0, 0}};
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = ctl_collect(c, argc, argv, opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos) return ctl_usage();
    for (size_t i = 0; i < n_ops; i++) {
        char *a = ops[i].arg;
        int v;
        switch (ops[i].code) {
        case 's': req->service = a; break;
        case 'a': req->area = a; break;
        case 'm':
            if ((v = ctl_enum_parse(&matching__membership__descriptor, a, NULL)) < 0)
                return ctl_bad(ops[i].name, a, "wants applied, approved, suspended or withdrawn");
            req->membership = v;
            break;
        case 'l': if (ctl_parse_u32(a, &req->limit)) return ctl_bad(ops[i].name, a, "wants a whole number"); break;
        case 'A': req->after_id = a; break;
        }
    }
    return 0;
}

static int cmd_orgs(ctl_t *c, int argc, char **argv)
{
    Matching__ListProvidersRequest req = MATCHING__LIST_PROVIDERS_REQUEST__INIT;
    int rc = s_list_opts(c, argc, argv, &req);
    if (rc) return rc;
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, "matching.org.list", &req.base, &matching__list_organizations_reply__descriptor, &rep)))
        return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    Matching__ListOrganizationsReply *l = (Matching__ListOrganizationsReply *)rep;
    table_t *t = table_new(7, "ID", "NAME", "MEMBERSHIP", "SERVICES", "AREAS", "FREE/MAX", "VERIFIED");
    for (size_t i = 0; i < l->n_orgs; i++) {
        Matching__Organization *o = l->orgs[i];
        table_row(t, o->id, o->name, s_membership(o->membership), s_join(c, o->services, o->n_services, " "),
                  s_join(c, o->areas, o->n_areas, " "),
                  o->capacity ? ctl_fmt(c, "%u/%u", o->capacity->available, o->capacity->maximum) : "0/0",
                  o->last_verified);
    }
    table_print(t, stdout);
    if (*l->next_after_id) printf("more: hubctl orgs --after %s\n", l->next_after_id);
    return 0;
}

/* ------------------------------------------------------------------ volunteers */

static const struct option s_vol_opts[] = {
    {"name", 1, 0, 'n'},     {"skill", 1, 0, 's'},     {"area", 1, 0, 'a'},  {"availability", 1, 0, 'H'},
    {"language", 1, 0, 'L'}, {"max-cases", 1, 0, 'm'}, {"phone", 1, 0, 'P'}, {"email", 1, 0, 'e'},
    {"org", 1, 0, 'o'},      {"approve", 0, 0, 'y'},   {"id", 1, 0, 'i'},    {"last-verified", 1, 0, 'v'},
    {0, 0, 0, 0}};

static int s_vol_apply(ctl_t *c, Matching__Volunteer *vo, const ctl_op_t *ops, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const ctl_op_t *op = &ops[i];
        char *a = op->arg;
        switch (op->code) {
        case 'n': vo->name = a; break;
        case 's': {
            if (op->first) vo->n_skills = 0;
            Matching__Skill *s = ctl_alloc(c, sizeof *s);
            matching__skill__init(s);
            char *copy = hub_arena_strdup(c->arena, a);
            if (!copy) return ctl_bad(op->name, a, "out of memory");
            char *cert = strchr(copy, ':'), *lic = NULL;
            if (cert) {
                *cert++ = 0;
                if ((lic = strchr(cert, ':'))) *lic++ = 0;
            }
            if (!*copy) return ctl_bad(op->name, a, "wants SERVICE[:CERTIFICATION[:LICENCE]]");
            s->service = copy;
            if (cert) s->certification = cert;
            if (lic) s->licence_no = lic;
            ctl_append(c, &vo->skills, &vo->n_skills, &s, sizeof s);
            break;
        }
        case 'a': if (op->first) vo->n_areas = 0; ctl_push(c, &vo->areas, &vo->n_areas, a); break;
        case 'L': if (op->first) vo->n_languages = 0; ctl_push(c, &vo->languages, &vo->n_languages, a); break;
        case 'H':
            if (op->first) vo->n_availability = 0;
            if (s_parse_slots(c, op->name, a, &vo->availability, &vo->n_availability)) return EXIT_USAGE;
            break;
        case 'm': if (ctl_parse_u32(a, &vo->max_open_cases)) return ctl_bad(op->name, a, "wants a whole number"); break;
        case 'P': vo->phone = a; break;
        case 'e': vo->email = a; break;
        case 'o': vo->organization_id = a; break;
        case 'y': vo->membership = MATCHING__MEMBERSHIP__APPROVED; break;
        case 'i': vo->id = a; break;
        case 'v': vo->last_verified = a; break;
        default: return ctl_usage();
        }
    }
    return 0;
}

static const char *s_skills_text(ctl_t *c, const Matching__Volunteer *v, bool full)
{
    char **parts = ctl_alloc(c, (v->n_skills + 1) * sizeof *parts);
    for (size_t i = 0; i < v->n_skills; i++) {
        const Matching__Skill *s = v->skills[i];
        parts[i] = (char *)(full && (*s->certification || *s->licence_no)
                                ? ctl_fmt(c, "%s:%s%s%s", s->service, s->certification, *s->licence_no ? ":" : "",
                                        s->licence_no)
                                : s->service);
    }
    return s_join(c, parts, v->n_skills, full ? "; " : " ");
}

static void s_vol_print(ctl_t *c, const Matching__Volunteer *v)
{
    s_kv("volunteer", v->id);
    s_kv("name", v->name);
    s_kv("membership", s_membership(v->membership));
    s_kv("phone", v->phone);
    s_kv("email", v->email);
    s_kv("organization", v->organization_id);
    s_kv("skills", s_skills_text(c, v, true));
    s_kv("areas", s_join(c, v->areas, v->n_areas, " "));
    s_kv("availability", v->n_availability ? s_slots_text(c, v->availability, v->n_availability) : "any time");
    s_kv("languages", v->n_languages ? s_join(c, v->languages, v->n_languages, " ") : "zh");
    s_kv("eligibility", s_eligibility_text(c, v->eligibility));
    s_kv("cases", ctl_fmt(c, "%u open of at most %u", v->stats ? v->stats->open_cases : 0, v->max_open_cases));
    s_kv("hours served", v->activity_hours > 0
                             ? ctl_fmt(c, "%.1f (%.1f at activities)", v->hours_served, v->activity_hours)
                             : ctl_fmt(c, "%.1f", v->hours_served));
    s_kv("last verified", v->last_verified);
    s_kv("stats", s_stats_text(c, v->stats));
    s_kv("created", ctl_time_or_empty(v->created_ms));
    s_kv("updated", ctl_time_or_empty(v->updated_ms));
}

static int s_vol_put(ctl_t *c, const char *verb, Matching__Volunteer *v)
{
    Matching__PutVolunteerRequest req = MATCHING__PUT_VOLUNTEER_REQUEST__INIT;
    req.volunteer = v;
    ProtobufCMessage *rep;
    int rc = ctl_call(c, D, verb, &req.base, &matching__volunteer_reply__descriptor, &rep);
    if (rc) return rc;
    Matching__VolunteerReply *r = (Matching__VolunteerReply *)rep;
    if (c->json || !r->volunteer) ctl_print_json(rep);
    else printf("%s %s\n", r->volunteer->id, s_membership(r->volunteer->membership));
    return 0;
}

static int s_get_vol(ctl_t *c, const char *id, Matching__VolunteerReply **out)
{
    Matching__GetProviderRequest req = MATCHING__GET_PROVIDER_REQUEST__INIT;
    req.id = (char *)id;
    return ctl_call(c, D, "matching.volunteer.get", &req.base, &matching__volunteer_reply__descriptor,
                    (ProtobufCMessage **)out);
}

static int cmd_volunteer(ctl_t *c, int argc, char **argv)
{
    if (argc < 2) return ctl_usage();
    const char *verb = argv[1];
    if (!strcmp(verb, "approve") || !strcmp(verb, "suspend") || !strcmp(verb, "withdraw"))
        return s_membership_cmd(c, verb, argc, argv, false);
    if (!strcmp(verb, "show")) {
        if (argc != 3) return ctl_usage();
        Matching__VolunteerReply *r;
        int rc = s_get_vol(c, argv[2], &r);
        if (rc) return rc;
        if (c->json || !r->volunteer) ctl_print_json(&r->base);
        else s_vol_print(c, r->volunteer);
        return 0;
    }
    bool add = !strcmp(verb, "add");
    if (!add && strcmp(verb, "update")) return ctl_usage();
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = ctl_collect(c, argc - 1, argv + 1, s_vol_opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos != (add ? 0u : 1u)) return ctl_usage();
    Matching__Volunteer scratch = MATCHING__VOLUNTEER__INIT;
    if ((rc = s_vol_apply(c, &scratch, ops, n_ops))) return rc;
    if (add) {
        if (!*scratch.name || !scratch.n_skills || !scratch.n_areas) {
            fprintf(stderr, "hubctl: volunteer add needs --name, --skill and --area\n");
            return EXIT_USAGE;
        }
        Matching__Volunteer *v = ctl_alloc(c, sizeof *v);
        matching__volunteer__init(v);
        v->membership = MATCHING__MEMBERSHIP__APPLIED;
        v->max_open_cases = 3;
        if ((rc = s_vol_apply(c, v, ops, n_ops))) return rc;
        return s_vol_put(c, "matching.volunteer.add", v);
    }
    if (ctl_op(ops, n_ops, 'i')) { fprintf(stderr, "hubctl: volunteer update takes the id as its argument, not --id\n"); return EXIT_USAGE; }
    Matching__VolunteerReply *r;
    if ((rc = s_get_vol(c, pos[0], &r))) return rc;
    if (!r->volunteer) { fprintf(stderr, "hubctl: the daemon sent no volunteer\n"); return EXIT_REFUSED; }
    if ((rc = s_vol_apply(c, r->volunteer, ops, n_ops))) return rc;
    return s_vol_put(c, "matching.volunteer.update", r->volunteer);
}

static int cmd_volunteers(ctl_t *c, int argc, char **argv)
{
    Matching__ListProvidersRequest req = MATCHING__LIST_PROVIDERS_REQUEST__INIT;
    int rc = s_list_opts(c, argc, argv, &req);
    if (rc) return rc;
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, "matching.volunteer.list", &req.base, &matching__list_volunteers_reply__descriptor, &rep)))
        return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    Matching__ListVolunteersReply *l = (Matching__ListVolunteersReply *)rep;
    table_t *t = table_new(7, "ID", "NAME", "MEMBERSHIP", "SKILLS", "AREAS", "OPEN/MAX", "HOURS");
    for (size_t i = 0; i < l->n_volunteers; i++) {
        Matching__Volunteer *v = l->volunteers[i];
        table_row(t, v->id, v->name, s_membership(v->membership), s_skills_text(c, v, false),
                  s_join(c, v->areas, v->n_areas, " "),
                  ctl_fmt(c, "%u/%u", v->stats ? v->stats->open_cases : 0, v->max_open_cases),
                  ctl_fmt(c, "%.1f", v->hours_served));
    }
    table_print(t, stdout);
    if (*l->next_after_id) printf("more: hubctl volunteers --after %s\n", l->next_after_id);
    return 0;
}

/* ------------------------------------------------------------------ import / export */

static bool s_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcasecmp(s + n - k, suffix);
}

/* Reads path ("-" = stdin) into the arena. 0, or EXIT_REFUSED after perror. */
static int s_read_file(ctl_t *c, const char *path, uint8_t **data, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) { perror(path); return EXIT_REFUSED; }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            uint8_t *b = realloc(buf, cap *= 2);
            if (!b) { free(buf); buf = NULL; }
            buf = b;
        }
    }
    int bad = !buf || ferror(f);
    if (f != stdin) fclose(f);
    if (bad) { free(buf); fprintf(stderr, "hubctl: cannot read %s\n", path); return EXIT_REFUSED; }
    *data = hub_arena_alloc(c->arena, n + 1);
    if (!*data) { free(buf); fprintf(stderr, "hubctl: %s is too large\n", path); return EXIT_REFUSED; }
    memcpy(*data, buf, n);
    free(buf);
    *len = n;
    return 0;
}

static int cmd_import(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"format", 1, 0, 'f'}, {"kind", 1, 0, 'k'}, {0, 0, 0, 0}};
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = ctl_collect(c, argc, argv, opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos != 1) return ctl_usage();
    const char *path = pos[0], *format = NULL, *kind = NULL;
    for (size_t i = 0; i < n_ops; i++) {
        if (ops[i].code == 'f') {
            if (strcmp(ops[i].arg, "hsds") && strcmp(ops[i].arg, "csv")) return ctl_bad("format", ops[i].arg, "wants hsds or csv");
            format = ops[i].arg;
        } else {
            if (!strcmp(ops[i].arg, "org") || !strcmp(ops[i].arg, "organization")) kind = "org";
            else if (!strcmp(ops[i].arg, "volunteer")) kind = "volunteer";
            else return ctl_bad("kind", ops[i].arg, "wants org or volunteer");
        }
    }
    if (!format) format = s_ends_with(path, ".json") ? "hsds" : s_ends_with(path, ".csv") ? "csv" : NULL;
    if (!format) {
        fprintf(stderr, "hubctl: cannot tell the format of %s from its name: give --format hsds|csv\n", path);
        return EXIT_USAGE;
    }
    if (!kind) kind = !strcmp(format, "csv") ? "org" : "";
    Matching__ImportRequest req = MATCHING__IMPORT_REQUEST__INIT;
    req.format = (char *)format;
    req.kind = (char *)kind;
    if ((rc = s_read_file(c, path, &req.data.data, &req.data.len))) return rc;
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, "matching.import", &req.base, &matching__import_reply__descriptor, &rep))) return rc;
    Matching__ImportReply *r = (Matching__ImportReply *)rep;
    if (c->json) ctl_print_json(rep);
    else printf("added %u, updated %u\n", r->added, r->updated);
    return 0;
}

/* Pages through "matching.export" and writes one JSON array. */
static int cmd_export(ctl_t *c, int argc, char **argv)
{
    if (argc > 2) return ctl_usage();
    const char *path = argc == 2 && strcmp(argv[1], "-") ? argv[1] : NULL;
    json_t *all = json_array();
    char after[256] = "";
    int rc = 0;
    for (;;) {
        Matching__ExportRequest req = MATCHING__EXPORT_REQUEST__INIT;
        req.after_id = after;
        req.limit = 1000;
        ProtobufCMessage *rep;
        hub_arena_reset(c->arena);
        if ((rc = ctl_call(c, D, "matching.export", &req.base, &matching__export_reply__descriptor, &rep))) break;
        Matching__ExportReply *r = (Matching__ExportReply *)rep;
        json_error_t jerr;
        json_t *page = json_loads(r->json, 0, &jerr);
        if (!json_is_array(page)) {
            fprintf(stderr, "hubctl: export: the daemon sent a page that is not a JSON array (%s)\n",
                    page ? "another JSON value" : jerr.text);
            json_decref(page);
            rc = EXIT_REFUSED;
            break;
        }
        json_array_extend(all, page);
        json_decref(page);
        if (!*r->next_after_id || !strcmp(r->next_after_id, after)) break;
        snprintf(after, sizeof after, "%s", r->next_after_id);
    }
    if (!rc) {
        size_t flags = JSON_INDENT(2) | JSON_REAL_PRECISION(15);
        if (!path) {
            json_dumpf(all, stdout, flags);
            putchar('\n');
        } else {
            char tmp[4096];
            snprintf(tmp, sizeof tmp, "%s.tmp", path);
            FILE *f = fopen(tmp, "w");
            int bad = !f || json_dumpf(all, f, flags) || fputc('\n', f) == EOF;
            if (f && fclose(f)) bad = 1;
            if (bad || rename(tmp, path)) {
                perror(path);
                if (f) remove(tmp);
                rc = EXIT_REFUSED;
            } else {
                printf("%zu organizations written to %s\n", json_array_size(all), path);
            }
        }
    }
    json_decref(all);
    return rc;
}

/* ------------------------------------------------------------------ referrals */

static void s_referral_print(ctl_t *c, const Matching__Referral *r)
{
    s_kv("referral", r->request_id);
    s_kv("status", s_status(r->status));
    s_kv("service", r->service_code);
    s_kv("street", r->street);
    s_kv("urgency", r->urgency ? ctl_enum_word(&intake__urgency__descriptor, (int)r->urgency, NULL) : "normal");
    s_kv("language", r->language);
    s_kv("requester", r->requester_kind);
    s_kv("groups", s_join(c, r->groups, r->n_groups, " "));
    if (r->age) s_kv("age", ctl_fmt(c, "%u", r->age));
    if (*r->provider_id)
        s_kv("provider", ctl_fmt(c, "%s %s (%s)", r->provider_id, r->provider_name, s_kind(r->provider_kind)));
    if (r->outcome)
        s_kv("outcome", ctl_fmt(c, "%s%s", ctl_enum_word(&matching__outcome__descriptor, r->outcome, NULL),
                              r->hours > 0 ? ctl_fmt(c, ", %.1f hours", r->hours) : ""));
    s_kv("created", ctl_time_or_empty(r->created_ms));
    s_kv("updated", ctl_time_or_empty(r->updated_ms));
    printf("\noffers:\n");
    table_t *t = table_new(10, "KIND", "PROVIDER", "NAME", "SCORE", "STATE", "OFFERED (CST)", "DEADLINE (CST)",
                           "DECIDED (CST)", "BY", "REASON");
    for (size_t i = 0; i < r->n_offers; i++) {
        const Matching__Offer *o = r->offers[i];
        table_row(t, s_kind(o->kind), o->provider_id, o->provider_name, ctl_fmt(c, "%.1f", o->score),
                  ctl_enum_word(&matching__offer_state__descriptor, o->state, "OFFER_"), ctl_time_or_empty(o->offered_ms),
                  ctl_time_or_empty(o->deadline_ms), ctl_time_or_empty(o->decided_ms), o->by, o->reason);
    }
    table_print(t, stdout);
    printf("\nhistory:\n");
    t = table_new(5, "TIME (CST)", "ACTION", "STATUS", "BY", "TEXT");
    for (size_t i = 0; i < r->n_history; i++) {
        const Matching__ReferralHistory *h = r->history[i];
        table_row(t, ctl_time(h->time_ms), h->action, s_status(h->status), h->by, h->text);
    }
    table_print(t, stdout);
}

/* "R… accepted ORG-000001" after a change. */
static int s_referral_done(ctl_t *c, ProtobufCMessage *rep)
{
    Matching__Referral *r = ((Matching__ReferralReply *)rep)->referral;
    if (c->json || !r) { ctl_print_json(rep); return 0; }
    printf("%s %s%s%s\n", r->request_id, s_status(r->status), *r->provider_id ? " " : "", r->provider_id);
    return 0;
}

static int s_referral_table(ctl_t *c, const Matching__ListReferralsReply *l, const char *more)
{
    table_t *t = table_new(8, "REQUEST", "STATUS", "SERVICE", "STREET", "URGENCY", "PROVIDER", "NAME", "UPDATED (CST)");
    for (size_t i = 0; i < l->n_referrals; i++) {
        const Matching__Referral *r = l->referrals[i];
        table_row(t, r->request_id, s_status(r->status), r->service_code, r->street,
                  r->urgency ? ctl_enum_word(&intake__urgency__descriptor, (int)r->urgency, NULL) : "normal",
                  r->provider_id, r->provider_name, ctl_time_or_empty(r->updated_ms));
    }
    table_print(t, stdout);
    (void)c;
    if (*l->next_after_id) printf("more: hubctl %s --after %s\n", more, l->next_after_id);
    return 0;
}

static int s_referral_list(ctl_t *c, int argc, char **argv, bool queue)
{
    static const struct option all_opts[] = {{"limit", 1, 0, 'l'}, {"after", 1, 0, 'A'}, {"status", 1, 0, 's'},
                                             {"provider", 1, 0, 'p'}, {0, 0, 0, 0}};
    static const struct option queue_opts[] = {{"limit", 1, 0, 'l'}, {"after", 1, 0, 'A'}, {0, 0, 0, 0}};
    Matching__ListReferralsRequest req = MATCHING__LIST_REFERRALS_REQUEST__INIT;
    req.queue = queue;
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = ctl_collect(c, argc, argv, queue ? queue_opts : all_opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos) return ctl_usage();
    for (size_t i = 0; i < n_ops; i++) {
        char *a = ops[i].arg;
        int v;
        switch (ops[i].code) {
        case 'l': if (ctl_parse_u32(a, &req.limit)) return ctl_bad(ops[i].name, a, "wants a whole number"); break;
        case 'A': req.after_id = a; break;
        case 'p': req.provider_id = a; break;
        case 's':
            if ((v = ctl_enum_parse(&matching__referral_status__descriptor, a, NULL)) < 0)
                return ctl_bad(ops[i].name, a, ctl_fmt(c, "wants one of %s", ctl_enum_words(&matching__referral_status__descriptor, NULL)));
            req.status = v;
            break;
        }
    }
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, "matching.referral.list", &req.base, &matching__list_referrals_reply__descriptor, &rep)))
        return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    return s_referral_table(c, (Matching__ListReferralsReply *)rep, queue ? "queue" : "referrals");
}

static int cmd_referrals(ctl_t *c, int argc, char **argv) { return s_referral_list(c, argc, argv, false); }
/* "queue retry": match the queued referrals again. */
static int s_queue_retry(ctl_t *c)
{
    Matching__RetryQueueRequest req = MATCHING__RETRY_QUEUE_REQUEST__INIT;
    ProtobufCMessage *rep;
    int rc = ctl_call(c, D, "matching.queue.retry", &req.base, &matching__retry_queue_reply__descriptor, &rep);
    if (rc) return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    Matching__RetryQueueReply *q = (Matching__RetryQueueReply *)rep;
    printf("retried %u, offered %u%s\n", q->retried, q->offered, q->more ? " (more queued: run again)" : "");
    return 0;
}

static int cmd_queue(ctl_t *c, int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "retry")) return argc == 2 ? s_queue_retry(c) : ctl_usage();
    return s_referral_list(c, argc, argv, true);
}

static const char *const s_respond_verbs[] = {"accept", "decline", "start", "hold", "resume", "complete", NULL};

static int s_respond(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"provider", 1, 0, 'p'}, {"reason", 1, 0, 'r'}, {"outcome", 1, 0, 'o'},
                                         {"hours", 1, 0, 'h'}, {0, 0, 0, 0}};
    Matching__RespondRequest req = MATCHING__RESPOND_REQUEST__INIT;
    req.action = argv[1];
    req.by = (char *)ctl_by();
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = ctl_collect(c, argc - 1, argv + 1, opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos != 1) return ctl_usage();
    req.request_id = pos[0];
    for (size_t i = 0; i < n_ops; i++) {
        char *a = ops[i].arg;
        int v;
        switch (ops[i].code) {
        case 'p': req.provider_id = a; break;
        case 'r': req.reason = a; break;
        case 'o':
            if ((v = ctl_enum_parse(&matching__outcome__descriptor, a, NULL)) < 0)
                return ctl_bad(ops[i].name, a, ctl_fmt(c, "wants one of %s", ctl_enum_words(&matching__outcome__descriptor, NULL)));
            req.outcome = v;
            break;
        case 'h':
            if (ctl_parse_double(a, &req.hours) || req.hours < 0) return ctl_bad(ops[i].name, a, "wants a number of hours");
            break;
        }
    }
    if (!*req.provider_id) { fprintf(stderr, "hubctl: referral %s needs --provider ID\n", req.action); return EXIT_USAGE; }
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, "matching.referral.respond", &req.base, &matching__referral_reply__descriptor, &rep)))
        return rc;
    return s_referral_done(c, rep);
}

static int s_assign(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"provider", 1, 0, 'p'}, {"kind", 1, 0, 'k'}, {"reason", 1, 0, 'r'}, {0, 0, 0, 0}};
    Matching__AssignRequest req = MATCHING__ASSIGN_REQUEST__INIT;
    req.kind = MATCHING__PROVIDER_KIND__ORGANIZATION;
    req.by = (char *)ctl_by();
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = ctl_collect(c, argc - 1, argv + 1, opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos != 1) return ctl_usage();
    req.request_id = pos[0];
    for (size_t i = 0; i < n_ops; i++) {
        char *a = ops[i].arg;
        switch (ops[i].code) {
        case 'p': req.provider_id = a; break;
        case 'r': req.reason = a; break;
        case 'k':
            if (!strcmp(a, "org") || !strcmp(a, "organization")) req.kind = MATCHING__PROVIDER_KIND__ORGANIZATION;
            else if (!strcmp(a, "volunteer")) req.kind = MATCHING__PROVIDER_KIND__VOLUNTEER;
            else return ctl_bad(ops[i].name, a, "wants org or volunteer");
            break;
        }
    }
    if (!*req.provider_id) { fprintf(stderr, "hubctl: referral assign needs --provider ID\n"); return EXIT_USAGE; }
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, "matching.referral.assign", &req.base, &matching__referral_reply__descriptor, &rep)))
        return rc;
    return s_referral_done(c, rep);
}

static int cmd_referral(ctl_t *c, int argc, char **argv)
{
    if (argc < 3) return ctl_usage();
    const char *verb = argv[1];
    ProtobufCMessage *rep;
    int rc;
    if (!strcmp(verb, "show")) {
        if (argc != 3) return ctl_usage();
        Matching__GetReferralRequest req = MATCHING__GET_REFERRAL_REQUEST__INIT;
        req.request_id = argv[2];
        if ((rc = ctl_call(c, D, "matching.referral.get", &req.base, &matching__referral_reply__descriptor, &rep)))
            return rc;
        Matching__Referral *r = ((Matching__ReferralReply *)rep)->referral;
        if (c->json || !r) ctl_print_json(rep);
        else s_referral_print(c, r);
        return 0;
    }
    if (!strcmp(verb, "withdraw")) {
        if (argc != 4) return ctl_usage();
        Matching__WithdrawRequest req = MATCHING__WITHDRAW_REQUEST__INIT;
        req.request_id = argv[2];
        req.reason = argv[3];
        req.by = (char *)ctl_by();
        if ((rc = ctl_call(c, D, "matching.referral.withdraw", &req.base, &matching__referral_reply__descriptor, &rep)))
            return rc;
        return s_referral_done(c, rep);
    }
    if (!strcmp(verb, "assign")) return s_assign(c, argc, argv);
    for (int i = 0; s_respond_verbs[i]; i++)
        if (!strcmp(verb, s_respond_verbs[i])) return s_respond(c, argc, argv);
    return ctl_usage();
}

/* ------------------------------------------------------------------ explain, unmet */

static int cmd_match(ctl_t *c, int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "explain")) return ctl_usage();
    Matching__ExplainRequest req = MATCHING__EXPLAIN_REQUEST__INIT;
    req.request_id = argv[2];
    ProtobufCMessage *rep;
    int rc = ctl_call(c, D, "matching.explain", &req.base, &matching__explain_reply__descriptor, &rep);
    if (rc) return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    Matching__ExplainReply *e = (Matching__ExplainReply *)rep;
    if (e->referral)
        printf("%s  %s  %s  %s\n\n", e->referral->request_id, s_status(e->referral->status), e->referral->service_code,
               e->referral->street);
    if (!e->n_candidates) {
        printf("no candidate fits\n");
    } else {
        table_t *t = table_new(8, "#", "KIND", "ID", "NAME", "SCORE", "FACTOR", "POINTS", "DETAIL");
        for (size_t i = 0; i < e->n_candidates; i++) {
            const Matching__Candidate *k = e->candidates[i];
            if (!k->n_factors)
                table_row(t, ctl_fmt(c, "%zu", i + 1), s_kind(k->kind), k->id, k->name, ctl_fmt(c, "%.1f", k->score), "", "", "");
            for (size_t j = 0; j < k->n_factors; j++) {
                const Matching__Factor *f = k->factors[j];
                bool head = j == 0;
                table_row(t, head ? ctl_fmt(c, "%zu", i + 1) : "", head ? s_kind(k->kind) : "", head ? k->id : "",
                          head ? k->name : "", head ? ctl_fmt(c, "%.1f", k->score) : "", f->name,
                          ctl_fmt(c, "%.1f", f->points), f->detail);
            }
        }
        table_print(t, stdout);
    }
    printf("\n");
    if (!e->n_excluded) {
        printf("excluded: none\n");
    } else {
        table_t *t = table_new(2, "EXCLUDED", "COUNT");
        for (size_t i = 0; i < e->n_excluded; i++)
            table_row(t, e->excluded[i]->reason, ctl_fmt(c, "%u", e->excluded[i]->count));
        table_print(t, stdout);
    }
    return 0;
}

static int cmd_unmet(ctl_t *c, int argc, char **argv)
{
    (void)argv;
    if (argc != 1) return ctl_usage();
    Matching__UnmetRequest req = MATCHING__UNMET_REQUEST__INIT;
    ProtobufCMessage *rep;
    int rc = ctl_call(c, D, "matching.unmet", &req.base, &matching__unmet_reply__descriptor, &rep);
    if (rc) return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    Matching__UnmetReply *u = (Matching__UnmetReply *)rep;
    table_t *t = table_new(3, "SERVICE", "STREET", "UNMET");
    unsigned long long total = 0;
    for (size_t i = 0; i < u->n_counts; i++) {
        table_row(t, u->counts[i]->service_code, u->counts[i]->street,
                  ctl_fmt(c, "%llu", (unsigned long long)u->counts[i]->count));
        total += u->counts[i]->count;
    }
    table_print(t, stdout);
    printf("total %llu\n", total);
    return 0;
}

const ctl_command_t ctl_matching_commands[] = {
    {"org", cmd_org},       {"orgs", cmd_orgs},         {"volunteer", cmd_volunteer}, {"volunteers", cmd_volunteers},
    {"import", cmd_import}, {"export", cmd_export},     {"match", cmd_match},         {"referral", cmd_referral},
    {"referrals", cmd_referrals}, {"queue", cmd_queue}, {"unmet", cmd_unmet},         {NULL, NULL},
};
