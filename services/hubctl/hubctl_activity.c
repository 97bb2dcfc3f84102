/* hubctl's commands for intake's activities (README "Activities and the
 * public's voice"): trainings, experience sharing, forums, salons, policy
 * consultation meetings, hearings and the charity volunteer day
 * ("activity ..."), and the registrations the front desk takes for people
 * who phoned. Every call goes to [intake] api. Times are typed as
 * "YYYY-MM-DD HH:MM" China Standard Time or relative to now ("+3d", "+2h")
 * and shown in CST; kinds and states as lower-case words
 * ("volunteer-day", "waitlisted"), the same words the options take;
 * --json prints the daemon's reply. "opinion link" is in hubctl.c with
 * the other opinion commands. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "hub_util.h"
#include "intake.pb-c.h"
#include "table.h"

#define D "intake"
#define MAX_MINUTES_BYTES (1u << 20) /* a minutes file larger than this is refused before sending */

const char ctl_activity_usage[] =
    "Commands (hub-intake activities):\n"
    "  activity create --kind K --title T --starts TIME --ends TIME --place P\n"
    "          --street S --capacity N [--audience orgs,volunteers,public]\n"
    "          [--deadline TIME] [--policy-topic CODE] [--hours H] [--description D]\n"
    "                                    prints the activity's id; K: training,\n"
    "                                    experience-sharing, forum, salon, consultation,\n"
    "                                    hearing, volunteer-day; no --audience = everyone;\n"
    "                                    --hours: volunteer hours per attendance\n"
    "  activity list [--kind K] [--from TIME] [--after ID] [--limit N]\n"
    "  activity show ID                  the activity, its places and counters\n"
    "  activity cancel ID --reason R     every registrant is told\n"
    "  activity announce ID [--text T]   to the audience (default: built from the activity)\n"
    "  activity minutes ID --file F|--text T\n"
    "                                    a hearing's or consultation's minutes (F \"-\" = stdin)\n"
    "  activity register ID --name N (--phone P|--email E) [--org ORG-ID]\n"
    "          [--volunteer VOL-ID] [--message-id M] [--language zh|en] [--no-consent]\n"
    "                                    for someone who phoned; prints the registration's\n"
    "                                    id, state and waitlist position\n"
    "  activity unregister REG-ID [--reason R]   the place goes to the first waitlisted\n"
    "  activity checkin REG-ID           attendance (from 2 h before the start to the end)\n"
    "  activity registrations ID [--state S] [--after REG-ID] [--limit N]\n"
    "                                    S: confirmed, waitlisted, withdrawn, attended,\n"
    "                                    activity-cancelled\n"
    "  TIME: \"YYYY-MM-DD HH:MM\" (CST) or +3d, +2h, +30m, +90s from now\n";

/* ActivityEvent for "intake.activity.*", RegistrationEvent for
 * "intake.registration.*", else NULL. */
const ProtobufCMessageDescriptor *ctl_activity_payload_type(const char *topic)
{
    if (!strncmp(topic, "intake.activity.", 16)) return &intake__activity_event__descriptor;
    if (!strncmp(topic, "intake.registration.", 20)) return &intake__registration_event__descriptor;
    return NULL;
}

/* ------------------------------------------------------------------ words */

static const char *s_kind(int v) { return ctl_enum_word(&intake__activity_kind__descriptor, v, NULL); }
/* "scheduled", "cancelled". */
static const char *s_status(int v) { return ctl_enum_word(&intake__activity_status__descriptor, v, "ACTIVITY_"); }

/* "confirmed" .. "attended", "activity-cancelled" for ACTIVITY_CANCELLED_REG. */
static const char *s_reg_state(int v)
{
    if (v == INTAKE__REGISTRATION_STATE__ACTIVITY_CANCELLED_REG) return "activity-cancelled";
    return ctl_enum_word(&intake__registration_state__descriptor, v, NULL);
}

/* A registration state word as s_reg_state prints it (or the enum name):
 * its value, or -1. */
static int s_parse_reg_state(const char *word)
{
    if (!strcmp(word, "activity-cancelled")) return INTAKE__REGISTRATION_STATE__ACTIVITY_CANCELLED_REG;
    return ctl_enum_parse(&intake__registration_state__descriptor, word, NULL);
}

/* --kind WORD: 0 with *kind set, or EXIT_USAGE after naming the kinds. */
static int s_opt_kind(ctl_t *c, const char *arg, uint32_t *kind)
{
    int v = ctl_enum_parse(&intake__activity_kind__descriptor, arg, NULL);
    if (v < 0)
        return ctl_bad("kind", arg, ctl_fmt(c, "wants one of %s", ctl_enum_words(&intake__activity_kind__descriptor, NULL)));
    *kind = (uint32_t)v;
    return 0;
}

/* "orgs,volunteers,public" as an Audience bit set (0 = everyone). 0 with
 * *bits set, or EXIT_USAGE after saying why. */
static int s_opt_audience(ctl_t *c, const char *arg, uint32_t *bits)
{
    char *copy = hub_arena_strdup(c->arena, arg);
    if (!copy) abort();
    uint32_t b = 0;
    for (char *save, *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        if (!strcmp(w, "orgs") || !strcmp(w, "organizations")) b |= INTAKE__AUDIENCE__MEMBER_ORGANIZATIONS;
        else if (!strcmp(w, "volunteers")) b |= INTAKE__AUDIENCE__VOLUNTEERS;
        else if (!strcmp(w, "public")) b |= INTAKE__AUDIENCE__PUBLIC;
        else return ctl_bad("audience", arg, "wants a comma-separated list of orgs, volunteers, public");
    }
    if (!b) return ctl_bad("audience", arg, "wants a comma-separated list of orgs, volunteers, public");
    *bits = b;
    return 0;
}

/* The audience bit set in words ("everyone" for 0). */
static const char *s_audience(ctl_t *c, uint32_t bits)
{
    if (!bits) return "everyone";
    return ctl_fmt(c, "%s%s%s%s%s", bits & INTAKE__AUDIENCE__MEMBER_ORGANIZATIONS ? "member organizations" : "",
                   (bits & INTAKE__AUDIENCE__MEMBER_ORGANIZATIONS) && (bits & ~1u) ? ", " : "",
                   bits & INTAKE__AUDIENCE__VOLUNTEERS ? "volunteers" : "",
                   (bits & INTAKE__AUDIENCE__VOLUNTEERS) && (bits & INTAKE__AUDIENCE__PUBLIC) ? ", " : "",
                   bits & INTAKE__AUDIENCE__PUBLIC ? "public" : "");
}

/* The registrant's contact for tables: phone, else e-mail. */
static const char *s_contact(const Intake__Registration *r)
{
    if (!r->registrant) return "";
    return *r->registrant->phone ? r->registrant->phone : r->registrant->email;
}

/* "ORG-..", "VOL-.." or both, for tables. */
static const char *s_who(ctl_t *c, const Intake__Registration *r)
{
    return ctl_fmt(c, "%s%s%s", r->organization_id, *r->organization_id && *r->volunteer_id ? " " : "", r->volunteer_id);
}

/* Hours without trailing zeros ("4", "2.5"). */
static const char *s_hours(ctl_t *c, double h)
{
    return ctl_fmt(c, "%g", h);
}

/* ------------------------------------------------------------------ calls */

/* Calls a verb replying ActivityReply; *a is the activity (never NULL on
 * success: a reply without one is reported, EXIT_REFUSED). With --json the
 * reply is printed here and *a is NULL. */
static int s_activity_call(ctl_t *c, const char *verb, const ProtobufCMessage *req, Intake__Activity **a)
{
    ProtobufCMessage *rep;
    *a = NULL;
    int rc = ctl_call(c, D, verb, req, &intake__activity_reply__descriptor, &rep);
    if (rc) return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    *a = ((Intake__ActivityReply *)rep)->activity;
    if (!*a) { fprintf(stderr, "hubctl: the daemon sent no activity\n"); return EXIT_REFUSED; }
    return 0;
}

/* Calls a verb replying RegistrationReply, as s_activity_call. */
static int s_registration_call(ctl_t *c, const char *verb, const ProtobufCMessage *req, Intake__Registration **r)
{
    ProtobufCMessage *rep;
    *r = NULL;
    int rc = ctl_call(c, D, verb, req, &intake__registration_reply__descriptor, &rep);
    if (rc) return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    *r = ((Intake__RegistrationReply *)rep)->registration;
    if (!*r) { fprintf(stderr, "hubctl: the daemon sent no registration\n"); return EXIT_REFUSED; }
    return 0;
}

/* Reads path ("-" = stdin) into the arena as a NUL-terminated string of at
 * most MAX_MINUTES_BYTES. 0 with *text set, or EXIT_USAGE after saying why. */
static int s_read_text(ctl_t *c, const char *path, char **text)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) { perror(path); return EXIT_USAGE; }
    char *buf = ctl_alloc(c, MAX_MINUTES_BYTES + 1);
    size_t n = fread(buf, 1, MAX_MINUTES_BYTES + 1, f);
    int bad = ferror(f);
    if (f != stdin) fclose(f);
    if (bad) { fprintf(stderr, "hubctl: %s: read error\n", path); return EXIT_USAGE; }
    if (n > MAX_MINUTES_BYTES) return ctl_bad("file", path, "is larger than 1 MiB");
    buf[n] = 0;
    *text = buf;
    return 0;
}

/* ctl_collect, then "--json" (accepted after the command as before it,
 * code 'J' in every option table here) sets c->json and is dropped from
 * *ops. 0, or EXIT_USAGE. */
static int s_collect(ctl_t *c, int argc, char **argv, const struct option *opts, ctl_op_t **ops, size_t *n_ops,
                     char ***pos, size_t *n_pos)
{
    int rc = ctl_collect(c, argc, argv, opts, ops, n_ops, pos, n_pos);
    if (rc) return rc;
    size_t k = 0;
    for (size_t i = 0; i < *n_ops; i++) {
        if ((*ops)[i].code == 'J') c->json = 1;
        else (*ops)[k++] = (*ops)[i];
    }
    *n_ops = k;
    return 0;
}

/* ------------------------------------------------------------------ create */

/* "activity create ...": intake.activity.create; prints the id. */
static int s_create(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"kind", 1, 0, 'k'},     {"title", 1, 0, 't'},    {"starts", 1, 0, 's'},       {"ends", 1, 0, 'e'},
        {"place", 1, 0, 'p'},    {"street", 1, 0, 'S'},   {"capacity", 1, 0, 'c'},     {"audience", 1, 0, 'a'},
        {"deadline", 1, 0, 'd'}, {"hours", 1, 0, 'h'},    {"policy-topic", 1, 0, 'P'}, {"description", 1, 0, 'D'},
        {"json", 0, 0, 'J'}, {0, 0, 0, 0}};
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = s_collect(c, argc, argv, opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos) return ctl_usage();
    Intake__Activity a = INTAKE__ACTIVITY__INIT;
    uint32_t kind = 0;
    for (size_t i = 0; i < n_ops; i++) {
        const ctl_op_t *op = &ops[i];
        switch (op->code) {
        case 'k': if ((rc = s_opt_kind(c, op->arg, &kind))) return rc; break;
        case 't': a.title = op->arg; break;
        case 's': if ((rc = ctl_opt_time(op->name, op->arg, &a.starts_ms))) return rc; break;
        case 'e': if ((rc = ctl_opt_time(op->name, op->arg, &a.ends_ms))) return rc; break;
        case 'p': a.place = op->arg; break;
        case 'S': a.street = op->arg; break;
        case 'c': if ((rc = ctl_opt_u32(op->name, op->arg, 1, 100000, &a.capacity))) return rc; break;
        case 'a': if ((rc = s_opt_audience(c, op->arg, &a.audience))) return rc; break;
        case 'd': if ((rc = ctl_opt_time(op->name, op->arg, &a.registration_deadline_ms))) return rc; break;
        case 'h':
            if (ctl_parse_double(op->arg, &a.volunteer_hours) || a.volunteer_hours <= 0)
                return ctl_bad(op->name, op->arg, "wants a number of hours above 0 (\"4\", \"2.5\")");
            break;
        case 'P': a.policy_topic = op->arg; break;
        case 'D': a.description = op->arg; break;
        default: return ctl_usage();
        }
    }
    a.kind = (Intake__ActivityKind)kind;
    if (!kind || !*a.title || !ctl_op(ops, n_ops, 's') || !ctl_op(ops, n_ops, 'e') || !*a.place || !*a.street ||
        !a.capacity) {
        fprintf(stderr, "hubctl: activity create needs --kind, --title, --starts, --ends, --place, --street and "
                        "--capacity\n");
        return EXIT_USAGE;
    }
    Intake__CreateActivityRequest req = INTAKE__CREATE_ACTIVITY_REQUEST__INIT;
    req.activity = &a;
    Intake__Activity *got;
    if ((rc = s_activity_call(c, "intake.activity.create", &req.base, &got)) || !got) return rc;
    printf("%s\n", got->activity_id);
    return 0;
}

/* ------------------------------------------------------------------ show, list */

/* Prints an activity as "label  value" lines. */
static void s_activity_print(ctl_t *c, const Intake__Activity *a)
{
    ctl_kv("activity", a->activity_id);
    ctl_kv("kind", s_kind(a->kind));
    ctl_kv("title", a->title);
    ctl_kv("status", s_status(a->status));
    ctl_kv("time", ctl_fmt(c, "%s to %s (CST)", ctl_time(a->starts_ms), ctl_time(a->ends_ms)));
    ctl_kv("place", a->place);
    ctl_kv("street", a->street);
    ctl_kv("audience", s_audience(c, a->audience));
    ctl_kv("register until", ctl_fmt(c, "%s (CST)", ctl_time(a->registration_deadline_ms ? a->registration_deadline_ms
                                                                                          : a->starts_ms)));
    ctl_kv("policy topic", a->policy_topic);
    if (a->volunteer_hours > 0) ctl_kv("volunteer hours", s_hours(c, a->volunteer_hours));
    uint32_t free_places = a->capacity > a->confirmed ? a->capacity - a->confirmed : 0;
    ctl_kv("places", ctl_fmt(c, "%u: %u confirmed, %u free, %u waitlisted", a->capacity, a->confirmed, free_places,
                             a->waitlisted));
    ctl_kv("attended", ctl_fmt(c, "%u", a->attended));
    ctl_kv("registrations", ctl_fmt(c, "%u", a->registrations));
    ctl_kv("announced", ctl_time_or_empty(a->announced_ms));
    ctl_kv("cancelled", a->cancel_reason);
    ctl_kv("created", *a->created_by ? ctl_fmt(c, "%s by %s", ctl_time_or_empty(a->created_ms), a->created_by)
                                     : ctl_time_or_empty(a->created_ms));
    ctl_kv("updated", ctl_time_or_empty(a->updated_ms));
    ctl_kv_text("description", a->description);
    ctl_kv_text("minutes", a->minutes);
}

/* "activity show ID". */
static int s_show(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"json", 0, 0, 'J'}, {0, 0, 0, 0}};
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = s_collect(c, argc, argv, opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos != 1) return ctl_usage();
    Intake__GetActivityRequest req = INTAKE__GET_ACTIVITY_REQUEST__INIT;
    req.activity_id = pos[0];
    Intake__Activity *a;
    rc = s_activity_call(c, "intake.activity.get", &req.base, &a);
    if (rc || !a) return rc;
    s_activity_print(c, a);
    return 0;
}

/* "activity list [--kind K] [--from TIME] [--after ID] [--limit N]": a table. */
static int s_list(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"kind", 1, 0, 'k'}, {"from", 1, 0, 'f'}, {"after", 1, 0, 'a'}, {"limit", 1, 0, 'l'}, {"json", 0, 0, 'J'}, {0, 0, 0, 0}};
    Intake__ListActivitiesRequest req = INTAKE__LIST_ACTIVITIES_REQUEST__INIT;
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = s_collect(c, argc, argv, opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos) return ctl_usage();
    for (size_t i = 0; i < n_ops; i++) {
        const ctl_op_t *op = &ops[i];
        uint32_t kind;
        switch (op->code) {
        case 'k':
            if ((rc = s_opt_kind(c, op->arg, &kind))) return rc;
            req.kind = (Intake__ActivityKind)kind;
            break;
        case 'f': if ((rc = ctl_opt_time(op->name, op->arg, &req.from_ms))) return rc; break;
        case 'a': req.after_id = op->arg; break;
        case 'l': if ((rc = ctl_opt_u32(op->name, op->arg, 1, 500, &req.limit))) return rc; break;
        default: return ctl_usage();
        }
    }
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, "intake.activity.list", &req.base, &intake__list_activities_reply__descriptor, &rep)))
        return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    Intake__ListActivitiesReply *l = (Intake__ListActivitiesReply *)rep;
    table_t *t = table_new(8, "ID", "KIND", "STATUS", "STARTS (CST)", "TITLE", "STREET", "PLACES", "WAITLIST");
    for (size_t i = 0; i < l->n_activities; i++) {
        const Intake__Activity *a = l->activities[i];
        table_row(t, a->activity_id, s_kind(a->kind), s_status(a->status), ctl_time(a->starts_ms), a->title, a->street,
                  ctl_fmt(c, "%u/%u", a->confirmed, a->capacity), ctl_fmt(c, "%u", a->waitlisted));
    }
    table_print(t, stdout);
    if (*l->next_after_id)
        printf("more: hubctl activity list%s%s --after %s\n", req.kind ? " --kind " : "", req.kind ? s_kind(req.kind) : "",
               l->next_after_id);
    return 0;
}

/* ------------------------------------------------------------------ cancel, announce, minutes */

/* "activity cancel ID --reason R". */
static int s_cancel(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"reason", 1, 0, 'r'}, {"json", 0, 0, 'J'}, {0, 0, 0, 0}};
    Intake__CancelActivityRequest req = INTAKE__CANCEL_ACTIVITY_REQUEST__INIT;
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = s_collect(c, argc, argv, opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos != 1) return ctl_usage();
    const ctl_op_t *r = ctl_op(ops, n_ops, 'r');
    if (!r || !*r->arg) { fprintf(stderr, "hubctl: activity cancel needs --reason\n"); return EXIT_USAGE; }
    req.activity_id = pos[0];
    req.reason = r->arg;
    Intake__Activity *a;
    if ((rc = s_activity_call(c, "intake.activity.cancel", &req.base, &a)) || !a) return rc;
    printf("%s %s\n", a->activity_id, s_status(a->status));
    return 0;
}

/* "activity announce ID [--text T]". */
static int s_announce(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"text", 1, 0, 't'}, {"json", 0, 0, 'J'}, {0, 0, 0, 0}};
    Intake__AnnounceActivityRequest req = INTAKE__ANNOUNCE_ACTIVITY_REQUEST__INIT;
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = s_collect(c, argc, argv, opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos != 1) return ctl_usage();
    const ctl_op_t *t = ctl_op(ops, n_ops, 't');
    req.activity_id = pos[0];
    if (t) req.text = t->arg;
    Intake__Activity *a;
    if ((rc = s_activity_call(c, "intake.activity.announce", &req.base, &a)) || !a) return rc;
    printf("%s announced %s (CST)\n", a->activity_id, ctl_time(a->announced_ms));
    return 0;
}

/* "activity minutes ID --file F|--text T": exactly one of them. */
static int s_minutes(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"file", 1, 0, 'f'}, {"text", 1, 0, 't'}, {"json", 0, 0, 'J'}, {0, 0, 0, 0}};
    Intake__MinutesRequest req = INTAKE__MINUTES_REQUEST__INIT;
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = s_collect(c, argc, argv, opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos != 1) return ctl_usage();
    const ctl_op_t *f = ctl_op(ops, n_ops, 'f'), *t = ctl_op(ops, n_ops, 't');
    if (!f == !t || n_ops != 1) {
        fprintf(stderr, "hubctl: activity minutes needs one --file or one --text\n");
        return EXIT_USAGE;
    }
    req.activity_id = pos[0];
    if (t) req.minutes = t->arg;
    else if ((rc = s_read_text(c, f->arg, &req.minutes))) return rc;
    Intake__Activity *a;
    if ((rc = s_activity_call(c, "intake.activity.minutes", &req.base, &a)) || !a) return rc;
    printf("%s minutes recorded (%zu bytes)\n", a->activity_id, strlen(a->minutes));
    return 0;
}

/* ------------------------------------------------------------------ registrations */

/* "activity register ID --name N (--phone P|--email E) ...": an operator
 * registers someone who phoned (channel "hubctl", a fresh idempotency key
 * unless --message-id; consent to reminders unless --no-consent). Prints
 * "REG-ID STATE", ", position N" when waitlisted, and "(already
 * registered)" for a repeated --message-id. */
static int s_register(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"name", 1, 0, 'n'},       {"phone", 1, 0, 'p'},       {"email", 1, 0, 'e'},
        {"org", 1, 0, 'o'},        {"volunteer", 1, 0, 'v'},   {"message-id", 1, 0, 'm'},
        {"language", 1, 0, 'L'},   {"no-consent", 0, 0, 'N'},  {"json", 0, 0, 'J'}, {0, 0, 0, 0}};
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = s_collect(c, argc, argv, opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos != 1) return ctl_usage();
    Intake__Registration r = INTAKE__REGISTRATION__INIT;
    Intake__Person who = INTAKE__PERSON__INIT;
    char *mid = ctl_alloc(c, 64);
    ctl_message_id(mid, 64);
    r.activity_id = pos[0];
    r.channel = "hubctl";
    r.message_id = mid;
    r.registrant = &who;
    r.consent_to_contact = true;
    who.kind = INTAKE__REQUESTER_KIND__RESIDENT;
    for (size_t i = 0; i < n_ops; i++) {
        const ctl_op_t *op = &ops[i];
        switch (op->code) {
        case 'n': who.name = op->arg; break;
        case 'p': who.phone = op->arg; break;
        case 'e': who.email = op->arg; break;
        case 'o': r.organization_id = op->arg; who.kind = INTAKE__REQUESTER_KIND__ORGANIZATION; break;
        case 'v': r.volunteer_id = op->arg; break;
        case 'm': r.message_id = op->arg; break;
        case 'L': r.language = op->arg; break;
        case 'N': r.consent_to_contact = false; break;
        default: return ctl_usage();
        }
    }
    if (!*who.name || (!*who.phone && !*who.email)) {
        fprintf(stderr, "hubctl: activity register needs --name and --phone or --email\n");
        return EXIT_USAGE;
    }
    Intake__RegisterRequest req = INTAKE__REGISTER_REQUEST__INIT;
    req.registration = &r;
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, "intake.activity.register", &req.base, &intake__register_reply__descriptor, &rep))) return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    Intake__RegisterReply *rr = (Intake__RegisterReply *)rep;
    if (!rr->registration) { fprintf(stderr, "hubctl: the daemon sent no registration\n"); return EXIT_REFUSED; }
    printf("%s %s%s%s\n", rr->registration->registration_id, s_reg_state(rr->registration->state),
           rr->registration->state == INTAKE__REGISTRATION_STATE__WAITLISTED
               ? ctl_fmt(c, ", position %u", rr->waitlist_position) : "",
           rr->duplicate_submission ? " (already registered)" : "");
    return 0;
}

/* "activity unregister REG-ID [--reason R]": prints "REG-ID withdrawn"
 * and, when a waitlisted registration moved up, "REG-ID2 promoted: confirmed". */
static int s_unregister(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"reason", 1, 0, 'r'}, {"json", 0, 0, 'J'}, {0, 0, 0, 0}};
    Intake__UnregisterRequest req = INTAKE__UNREGISTER_REQUEST__INIT;
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = s_collect(c, argc, argv, opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos != 1) return ctl_usage();
    const ctl_op_t *r = ctl_op(ops, n_ops, 'r');
    req.registration_id = pos[0];
    if (r) req.reason = r->arg;
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, "intake.activity.unregister", &req.base, &intake__unregister_reply__descriptor, &rep)))
        return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    Intake__UnregisterReply *u = (Intake__UnregisterReply *)rep;
    if (!u->registration) { fprintf(stderr, "hubctl: the daemon sent no registration\n"); return EXIT_REFUSED; }
    printf("%s %s\n", u->registration->registration_id, s_reg_state(u->registration->state));
    if (u->promoted && *u->promoted->registration_id)
        printf("%s promoted: %s\n", u->promoted->registration_id, s_reg_state(u->promoted->state));
    return 0;
}

/* "activity checkin REG-ID": prints "REG-ID attended" (", N hours
 * credited" on a volunteer day). */
static int s_checkin(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"json", 0, 0, 'J'}, {0, 0, 0, 0}};
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = s_collect(c, argc, argv, opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos != 1) return ctl_usage();
    Intake__CheckinRequest req = INTAKE__CHECKIN_REQUEST__INIT;
    req.registration_id = pos[0];
    Intake__Registration *r;
    rc = s_registration_call(c, "intake.activity.checkin", &req.base, &r);
    if (rc || !r) return rc;
    printf("%s %s%s\n", r->registration_id, s_reg_state(r->state),
           r->hours_credited > 0 ? ctl_fmt(c, ", %s hours credited", s_hours(c, r->hours_credited)) : "");
    return 0;
}

/* "activity registrations ID [--state S] [--after REG-ID] [--limit N]": a table. */
static int s_registrations(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"state", 1, 0, 's'}, {"after", 1, 0, 'a'}, {"limit", 1, 0, 'l'}, {"json", 0, 0, 'J'}, {0, 0, 0, 0}};
    Intake__ListRegistrationsRequest req = INTAKE__LIST_REGISTRATIONS_REQUEST__INIT;
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = s_collect(c, argc, argv, opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos != 1) return ctl_usage();
    req.activity_id = pos[0];
    for (size_t i = 0; i < n_ops; i++) {
        const ctl_op_t *op = &ops[i];
        int v;
        switch (op->code) {
        case 's':
            if ((v = s_parse_reg_state(op->arg)) < 0)
                return ctl_bad(op->name, op->arg, "wants confirmed, waitlisted, withdrawn, attended or activity-cancelled");
            req.state = (Intake__RegistrationState)v;
            break;
        case 'a': req.after_id = op->arg; break;
        case 'l': if ((rc = ctl_opt_u32(op->name, op->arg, 1, 500, &req.limit))) return rc; break;
        default: return ctl_usage();
        }
    }
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, "intake.activity.registrations", &req.base, &intake__list_registrations_reply__descriptor,
                       &rep)))
        return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    Intake__ListRegistrationsReply *l = (Intake__ListRegistrationsReply *)rep;
    table_t *t = table_new(8, "ID", "STATE", "NAME", "CONTACT", "ORG / VOLUNTEER", "CHANNEL", "REGISTERED (CST)",
                           "CHECKED IN (CST)");
    for (size_t i = 0; i < l->n_registrations; i++) {
        const Intake__Registration *r = l->registrations[i];
        table_row(t, r->registration_id,
                  r->promoted && r->state == INTAKE__REGISTRATION_STATE__CONFIRMED ? "confirmed (promoted)"
                                                                                   : s_reg_state(r->state),
                  r->registrant ? r->registrant->name : "", s_contact(r), s_who(c, r), r->channel,
                  ctl_time_or_empty(r->registered_ms), ctl_time_or_empty(r->checked_in_ms));
    }
    table_print(t, stdout);
    if (*l->next_after_id)
        printf("more: hubctl activity registrations %s%s%s --after %s\n", req.activity_id, req.state ? " --state " : "",
               req.state ? s_reg_state(req.state) : "", l->next_after_id);
    return 0;
}

/* "activity VERB ...". */
static int cmd_activity(ctl_t *c, int argc, char **argv)
{
    static const struct {
        const char *verb;
        int (*run)(ctl_t *, int, char **);
    } verbs[] = {
        {"create", s_create},         {"list", s_list},         {"show", s_show},
        {"cancel", s_cancel},         {"announce", s_announce}, {"minutes", s_minutes},
        {"register", s_register},     {"unregister", s_unregister}, {"checkin", s_checkin},
        {"registrations", s_registrations},
    };
    if (argc < 2) return ctl_usage();
    for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++)
        if (!strcmp(argv[1], verbs[i].verb)) return verbs[i].run(c, argc - 1, argv + 1);
    return ctl_usage();
}

const ctl_command_t ctl_activity_commands[] = {
    {"activity", cmd_activity},
    {NULL, NULL},
};
