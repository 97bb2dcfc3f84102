/* it_matching_privacy: the resource library's people and a subject's
 * export and erasure in matching (README "Personal data (PIPL)"), against
 * the real hub-intake, hub-matching, hub-notification and hub-tendering on
 * ipc:// in a temp dir. Two professional volunteers (A, B) and an
 * organization listing both as contact persons: matching.subject.export
 * returns exactly A's volunteer record and A's contact entry (by phone in
 * any writing, by e-mail, narrowed by name); matching.subject.erase
 * anonymizes A's volunteer record (withdrawn; id, stats and hours kept),
 * removes A's contact entry and blanks A's name in the referral A served;
 * a raw scan of matching's data.mdb (records and the outbox's old events)
 * then finds none of A's markers (name, phone in both writings, e-mail,
 * licence number) and all of B's; a repeat changes nothing; a new request
 * is not offered to A; the erased record refuses updates. `hubctl subject
 * export` shows matching's part (JSON key "matching"); `hubctl subject
 * erase` with matching down exits non-zero with a warning, and erases when
 * run again with matching up; notification's directory copy of A follows
 * the published update. The role gate is it_roles'. Waits are on
 * conditions with deadlines, never sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "hub_client.h"
#include "matching.pb-c.h"
#include "notification.pb-c.h"

#define WAIT_MS 15000 /* deadline of one condition (the rewrite runs 200 ms after the erase) */
#define STREET_A "鼓楼街道"   /* harness_request's street: A serves it */
#define STREET_B "南门街道"   /* B serves only this one */

static void *s_zctx;

typedef struct {
    const char *id, *name, *phone, *phone_written, *email, *licence, *street;
} person_t;

/* every marker unique, so a byte scan finds only their copies; A's
 * contact entry writes the phone another way */
static const person_t A = {"VOL-A", "欧阳测试甲", "13912340055", "+86 139-1234-0055", "ouyang.a55@example.org",
                           "LIC-A-550155", STREET_A};
static const person_t B = {"VOL-B", "司马测试乙", "13912340066", "+86 139-1234-0066", "sima.b66@example.org",
                           "LIC-B-660266", STREET_B};
#define ORG_ID "ORG-P"
#define ORG_NAME "海曙测试互助社"

typedef struct {
    harness_t in, mt, nt, td;
    hub_client_t *mtc, *inc, *ntc;
    hub_arena_t *a;
} fx_t;

static int s_setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    if (!f || !(f->a = hub_arena_new(16 << 20))) return -1;
    if (harness_init(&f->in, NULL) || harness_init_peer(&f->mt, &f->in, "matching", NULL)) return -1;
    char extra[1024];
    snprintf(extra, sizeof extra, "matching_api = %s\nmatching_pub = %s\n", f->mt.api, f->mt.pub);
    if (harness_init_peer(&f->nt, &f->in, "notification", extra) ||
        harness_init_peer(&f->td, &f->in, "tendering", extra))
        return -1;
    if (harness_start(&f->in) || harness_start(&f->mt) || harness_start(&f->nt) || harness_start(&f->td)) return -1;
    if (!(f->mtc = hub_client_new(s_zctx, f->mt.api, NULL, 15000)) ||
        !(f->inc = hub_client_new(s_zctx, f->in.api, NULL, 15000)) ||
        !(f->ntc = hub_client_new(s_zctx, f->nt.api, NULL, 15000)))
        return -1;
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    fx_t *f = *state;
    hub_client_destroy(&f->mtc);
    hub_client_destroy(&f->inc);
    hub_client_destroy(&f->ntc);
    harness_fini(&f->td);
    harness_fini(&f->nt);
    harness_fini(&f->mt);
    harness_fini(&f->in);
    hub_arena_destroy(&f->a);
    free(f);
    return 0;
}

/* verb through c; the reply in f->a. err NULL: a refusal fails the test. */
static void *s_call(fx_t *f, hub_client_t *c, const char *verb, const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *d, hub_error_t *err)
{
    ProtobufCMessage *rep = NULL;
    hub_error_t e = {0};
    int rc = hub_client_call(c, verb, req, d, f->a, &rep, err ? err : &e);
    if (rc && !err) fail_msg("%s: %s field \"%s\": %s", verb, hub_error_code_name(e.code), e.field, e.message);
    return rc ? NULL : rep;
}

/* Asserts that verb is refused with code and field. */
static void s_refused(fx_t *f, const char *verb, const ProtobufCMessage *req, const ProtobufCMessageDescriptor *d,
                      Hub__ErrorCode code, const char *field)
{
    hub_error_t err = {0};
    if (s_call(f, f->mtc, verb, req, d, &err)) fail_msg("%s: accepted, expected %s", verb, hub_error_code_name(code));
    if (err.code != code || strcmp(err.field, field))
        fail_msg("%s: %s field \"%s\" (%s), expected %s field \"%s\"", verb, hub_error_code_name(err.code), err.field,
                 err.message, hub_error_code_name(code), field);
}

/* ---- the library ---- */

/* Adds volunteer p (elderly-care with a licence, serving p's street, three
 * cases at a time) and approves it. */
static void s_add_volunteer(fx_t *f, const person_t *p)
{
    Matching__Skill sk = MATCHING__SKILL__INIT;
    sk.service = "elderly-care";
    sk.certification = "养老护理员";
    sk.licence_no = (char *)p->licence;
    Matching__Skill *skills[1] = {&sk};
    char *areas[1] = {(char *)p->street};
    Matching__Volunteer v = MATCHING__VOLUNTEER__INIT;
    v.id = (char *)p->id;
    v.name = (char *)p->name;
    v.phone = (char *)p->phone;
    v.email = (char *)p->email;
    v.skills = skills, v.n_skills = 1;
    v.areas = areas, v.n_areas = 1;
    v.max_open_cases = 3;
    v.erased_ms = 12345; /* not an input: ignored */
    Matching__PutVolunteerRequest q = MATCHING__PUT_VOLUNTEER_REQUEST__INIT;
    q.volunteer = &v;
    Matching__VolunteerReply *r =
        s_call(f, f->mtc, "matching.volunteer.add", &q.base, &matching__volunteer_reply__descriptor, NULL);
    assert_int_equal(r->volunteer->erased_ms, 0);
    Matching__MembershipRequest m = MATCHING__MEMBERSHIP_REQUEST__INIT;
    m.id = (char *)p->id;
    m.membership = MATCHING__MEMBERSHIP__APPROVED;
    m.reason = "证书核验通过";
    s_call(f, f->mtc, "matching.volunteer.membership", &m.base, &matching__volunteer_reply__descriptor, NULL);
}

/* Adds the organization, listing A (phone written another way) and B as
 * contact persons; left APPLIED, so it is never a candidate. */
static void s_add_org(fx_t *f)
{
    Matching__Contact ca = MATCHING__CONTACT__INIT, cb = MATCHING__CONTACT__INIT;
    ca.name = (char *)A.name, ca.title = "社工", ca.phone = (char *)A.phone_written, ca.email = (char *)A.email;
    cb.name = (char *)B.name, cb.title = "理事长", cb.phone = (char *)B.phone_written, cb.email = (char *)B.email;
    Matching__Contact *contacts[2] = {&ca, &cb};
    char *services[1] = {"elderly-care"}, *areas[1] = {STREET_A};
    Matching__Organization o = MATCHING__ORGANIZATION__INIT;
    o.id = ORG_ID;
    o.name = ORG_NAME;
    o.legal_form = MATCHING__LEGAL_FORM__COMMUNITY_GROUP;
    o.contacts = contacts, o.n_contacts = 2;
    o.services = services, o.n_services = 1;
    o.areas = areas, o.n_areas = 1;
    Matching__PutOrganizationRequest q = MATCHING__PUT_ORGANIZATION_REQUEST__INIT;
    q.org = &o;
    s_call(f, f->mtc, "matching.org.add", &q.base, &matching__organization_reply__descriptor, NULL);
}

static Matching__Volunteer *s_volunteer(fx_t *f, const char *id)
{
    Matching__GetProviderRequest q = MATCHING__GET_PROVIDER_REQUEST__INIT;
    q.id = (char *)id;
    Matching__VolunteerReply *r =
        s_call(f, f->mtc, "matching.volunteer.get", &q.base, &matching__volunteer_reply__descriptor, NULL);
    return r->volunteer;
}

static Matching__Organization *s_org(fx_t *f)
{
    Matching__GetProviderRequest q = MATCHING__GET_PROVIDER_REQUEST__INIT;
    q.id = ORG_ID;
    Matching__OrganizationReply *r =
        s_call(f, f->mtc, "matching.org.get", &q.base, &matching__organization_reply__descriptor, NULL);
    return r->org;
}

/* ---- referrals ---- */

/* Submits harness_request (elderly-care in STREET_A) with message id mid;
 * its id into id. */
static void s_submit(fx_t *f, const char *mid, char id[32])
{
    Intake__SubmitRequest *s = harness_request(f->a, "web-form", mid);
    Intake__SubmitReply *r = s_call(f, f->inc, "intake.submit", &s->base, &intake__submit_reply__descriptor, NULL);
    snprintf(id, 32, "%s", r->service_request_id);
}

typedef struct {
    fx_t *f;
    const char *id;
    Matching__ReferralStatus status;
    Matching__Referral *r;
} ref_wait_t;

static bool s_ref_is(void *arg)
{
    ref_wait_t *w = arg;
    Matching__GetReferralRequest q = MATCHING__GET_REFERRAL_REQUEST__INIT;
    q.request_id = (char *)w->id;
    hub_error_t err = {0};
    Matching__ReferralReply *r =
        s_call(w->f, w->f->mtc, "matching.referral.get", &q.base, &matching__referral_reply__descriptor, &err);
    w->r = r ? r->referral : NULL;
    return w->r && w->r->status == w->status;
}

/* Waits for request id's referral to reach status; returns it. */
static Matching__Referral *s_wait_ref(fx_t *f, const char *id, Matching__ReferralStatus status)
{
    ref_wait_t w = {f, id, status, NULL};
    if (!harness_wait(s_ref_is, &w, WAIT_MS))
        fail_msg("referral %s never reached status %d (last: %d)", id, status, w.r ? (int)w.r->status : -1);
    return w.r;
}

static void s_respond(fx_t *f, const char *id, const char *provider, const char *action, Matching__Outcome outcome,
                      double hours)
{
    Matching__RespondRequest q = MATCHING__RESPOND_REQUEST__INIT;
    q.request_id = (char *)id;
    q.provider_id = (char *)provider;
    q.action = (char *)action;
    q.outcome = outcome;
    q.hours = hours;
    s_call(f, f->mtc, "matching.referral.respond", &q.base, &matching__referral_reply__descriptor, NULL);
}

/* ---- subject commands ---- */

static Matching__SubjectExportReply *s_export(fx_t *f, const char *phone, const char *email, const char *name)
{
    Matching__Subject s = MATCHING__SUBJECT__INIT;
    s.phone = (char *)phone, s.email = (char *)email, s.name = (char *)name;
    Matching__SubjectExportRequest q = MATCHING__SUBJECT_EXPORT_REQUEST__INIT;
    q.subject = &s;
    return s_call(f, f->mtc, "matching.subject.export", &q.base, &matching__subject_export_reply__descriptor, NULL);
}

static Matching__SubjectEraseReply *s_erase(fx_t *f, const char *phone, const char *name)
{
    Matching__Subject s = MATCHING__SUBJECT__INIT;
    s.phone = (char *)phone, s.name = (char *)name;
    Matching__SubjectEraseRequest q = MATCHING__SUBJECT_ERASE_REQUEST__INIT;
    q.subject = &s;
    q.reason = "ticket 77";
    return s_call(f, f->mtc, "matching.subject.erase", &q.base, &matching__subject_erase_reply__descriptor, NULL);
}

/* Asserts that export reply x holds exactly p's volunteer record and p's
 * contact entry of the organization. */
static void s_export_is(const Matching__SubjectExportReply *x, const person_t *p)
{
    assert_int_equal(x->n_volunteers, 1);
    const Matching__Volunteer *v = x->volunteers[0];
    assert_string_equal(v->id, p->id);
    assert_string_equal(v->name, p->name);
    assert_string_equal(v->phone, p->phone);
    assert_string_equal(v->email, p->email);
    assert_int_equal(v->n_skills, 1);
    assert_string_equal(v->skills[0]->licence_no, p->licence);
    assert_int_equal(x->n_organizations, 1);
    const Matching__SubjectContacts *c = x->organizations[0];
    assert_string_equal(c->org_id, ORG_ID);
    assert_string_equal(c->org_name, ORG_NAME);
    assert_int_equal(c->n_contacts, 1);
    assert_string_equal(c->contacts[0]->name, p->name);
    assert_string_equal(c->contacts[0]->phone, p->phone_written);
    assert_string_equal(c->contacts[0]->email, p->email);
}

/* ---- raw store scan ---- */

/* How many of p's markers (name, phone in both writings, e-mail, licence
 * number) matching's data.mdb holds (-1: unreadable). */
static int s_markers(fx_t *f, const person_t *p)
{
    char path[400];
    snprintf(path, sizeof path, "%s/var/matching/data.mdb", f->in.dir);
    const char *const marks[] = {p->name, p->phone, p->phone_written, p->email, p->licence};
    return harness_file_holds(path, marks, 5);
}

typedef struct {
    fx_t *f;
    const person_t *p;
} clean_t;

static bool s_clean(void *arg)
{
    clean_t *c = arg;
    return s_markers(c->f, c->p) == 0;
}

/* Waits for the rewrite that follows an erasure to clear p's markers. */
static void s_wait_clean(fx_t *f, const person_t *p)
{
    clean_t c = {f, p};
    if (!harness_wait(s_clean, &c, WAIT_MS))
        fail_msg("matching's data.mdb still holds %d of %s's markers", s_markers(f, p), p->name);
}

static uint64_t s_counter(fx_t *f, const char *name)
{
    Hub__StatusRequest q = HUB__STATUS_REQUEST__INIT;
    Hub__StatusReply *s = s_call(f, f->mtc, "hub.status", &q.base, &hub__status_reply__descriptor, NULL);
    for (size_t i = 0; i < s->n_counters; i++)
        if (!strcmp(s->counters[i]->name, name)) return s->counters[i]->value;
    return 0;
}

/* Both volunteers and the organization. */
static void s_fill(fx_t *f)
{
    s_add_volunteer(f, &A);
    s_add_volunteer(f, &B);
    s_add_org(f);
}

/* ============================================================ tests */

static void test_export_and_erase(void **state)
{
    fx_t *f = *state;
    s_fill(f);
    /* A serves a request: the referral and its events carry A's name */
    char r1[32], r2[32];
    s_submit(f, "mp-1", r1);
    Matching__Referral *r = s_wait_ref(f, r1, MATCHING__REFERRAL_STATUS__REQUESTED);
    assert_string_equal(r->provider_id, A.id);
    assert_string_equal(r->provider_name, A.name);
    s_respond(f, r1, A.id, "accept", 0, 0);
    s_respond(f, r1, A.id, "complete", MATCHING__OUTCOME__GOT_HELP, 2.5);
    assert_int_equal(s_markers(f, &A), 5); /* the scan sees what matching keeps */
    assert_int_equal(s_markers(f, &B), 5);

    /* export: exactly A's record and A's contact entry, however A is named */
    s_export_is(s_export(f, A.phone, "", ""), &A);
    s_export_is(s_export(f, A.phone_written, "", A.name), &A);
    s_export_is(s_export(f, "0086 139 1234 0055", "", ""), &A);
    s_export_is(s_export(f, "", "OUYANG.A55@example.org", ""), &A);
    s_export_is(s_export(f, B.phone, B.email, ""), &B);
    Matching__SubjectExportReply *x = s_export(f, A.phone, "", B.name); /* the name narrows: nobody */
    assert_int_equal(x->n_volunteers, 0);
    assert_int_equal(x->n_organizations, 0);
    x = s_export(f, A.phone, B.email, ""); /* every identifier given must match */
    assert_int_equal(x->n_volunteers, 0);
    assert_int_equal(x->n_organizations, 0);

    /* bad input */
    Matching__Subject s = MATCHING__SUBJECT__INIT;
    Matching__SubjectExportRequest xq = MATCHING__SUBJECT_EXPORT_REQUEST__INIT;
    xq.subject = &s;
    s_refused(f, "matching.subject.export", &xq.base, &matching__subject_export_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "subject");
    s.name = (char *)A.name; /* a name alone is no subject */
    Matching__SubjectEraseRequest eq = MATCHING__SUBJECT_ERASE_REQUEST__INIT;
    eq.subject = &s;
    s_refused(f, "matching.subject.erase", &eq.base, &matching__subject_erase_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "subject");
    s.phone = (char *)A.phone;
    eq.reason = "ticket\nsubject erased by nobody"; /* the reason goes into the log: one line */
    s_refused(f, "matching.subject.erase", &eq.base, &matching__subject_erase_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "reason");
    assert_int_equal(s_counter(f, "subject_erasures_total"), 0);

    /* the erasure */
    Matching__SubjectEraseReply *e = s_erase(f, A.phone_written, A.name);
    assert_int_equal(e->n_volunteer_ids, 1);
    assert_string_equal(e->volunteer_ids[0], A.id);
    assert_int_equal(e->n_org_ids, 1);
    assert_string_equal(e->org_ids[0], ORG_ID);
    assert_int_equal(e->contacts_removed, 1);
    assert_int_equal(e->referrals_changed, 1);
    s_wait_clean(f, &A); /* records and the outbox's old events */
    assert_int_equal(s_markers(f, &B), 5);

    /* what stays: the id, the figures, the case served */
    Matching__Volunteer *v = s_volunteer(f, A.id);
    assert_string_equal(v->name, "(erased)");
    assert_string_equal(v->phone, "");
    assert_string_equal(v->email, "");
    assert_string_equal(v->skills[0]->licence_no, "");
    assert_string_equal(v->skills[0]->service, "elderly-care");
    assert_int_equal(v->membership, MATCHING__MEMBERSHIP__WITHDRAWN);
    assert_true(v->erased_ms > 0);
    assert_true(v->hours_served == 2.5);
    assert_non_null(v->stats);
    assert_int_equal(v->stats->completed, 1);
    assert_int_equal(v->stats->got_help, 1);
    Matching__Organization *o = s_org(f);
    assert_int_equal(o->n_contacts, 1);
    assert_string_equal(o->contacts[0]->name, B.name);
    r = s_wait_ref(f, r1, MATCHING__REFERRAL_STATUS__COMPLETED);
    assert_string_equal(r->provider_id, A.id);
    assert_string_equal(r->provider_name, "");
    assert_true(r->hours == 2.5);
    assert_int_equal(s_counter(f, "subject_erasures_total"), 1);
    assert_int_equal(s_counter(f, "volunteers_erased_total"), 1);
    assert_int_equal(s_counter(f, "contacts_erased_total"), 1);
    assert_true(s_counter(f, "store_rewrites_total") >= 1);

    /* found no more; a repeat finds nothing and writes nothing */
    x = s_export(f, A.phone, A.email, "");
    assert_int_equal(x->n_volunteers, 0);
    assert_int_equal(x->n_organizations, 0);
    e = s_erase(f, A.phone, A.name);
    assert_int_equal(e->n_volunteer_ids, 0);
    assert_int_equal(e->n_org_ids, 0);
    assert_int_equal(e->contacts_removed, 0);
    assert_int_equal(e->referrals_changed, 0);
    assert_int_equal(s_counter(f, "subject_erasures_total"), 1);
    assert_int_equal(s_markers(f, &A), 0);
    assert_int_equal(s_markers(f, &B), 5);
    s_export_is(s_export(f, B.phone, "", B.name), &B);

    /* A is offered nothing any more: a new request in A's street finds
     * no provider (B serves another street) */
    s_submit(f, "mp-2", r2);
    r = s_wait_ref(f, r2, MATCHING__REFERRAL_STATUS__REJECTED);
    assert_int_equal(r->n_offers, 0);

    /* the erased record stays erased: no update, no re-application */
    Matching__MembershipRequest mq = MATCHING__MEMBERSHIP_REQUEST__INIT;
    mq.id = (char *)A.id;
    mq.membership = MATCHING__MEMBERSHIP__APPLIED;
    s_refused(f, "matching.volunteer.membership", &mq.base, &matching__volunteer_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, "id");
    v = s_volunteer(f, A.id);
    v->name = (char *)A.name;
    v->phone = (char *)A.phone;
    Matching__PutVolunteerRequest uq = MATCHING__PUT_VOLUNTEER_REQUEST__INIT;
    uq.volunteer = v;
    s_refused(f, "matching.volunteer.update", &uq.base, &matching__volunteer_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, "volunteer.id");
    assert_int_equal(s_markers(f, &A), 0);
}

/* Runs hubctl -c <config> args: stdout into out, stderr into err; its exit code. */
static int s_hubctl(fx_t *f, const char *args, const char *out, const char *err)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s -c %s %s > %s 2> %s", harness_bin("hubctl"), f->in.config, args, out, err);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *s_slurp(const char *path)
{
    static char buf[65536];
    FILE *fp = fopen(path, "r");
    size_t n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
    if (fp) fclose(fp);
    buf[n] = 0;
    return buf;
}

typedef struct {
    fx_t *f;
    const char *name;        /* awaited name of VOL-A in notification's directory */
    bool blank;              /* phone and e-mail blank too */
    char seen[256];
} dir_wait_t;

static bool s_dir_is(void *arg)
{
    dir_wait_t *w = arg;
    Notification__GetRecipientRequest q = NOTIFICATION__GET_RECIPIENT_REQUEST__INIT;
    q.id = (char *)A.id;
    hub_error_t err = {0};
    Notification__RecipientReply *r = s_call(w->f, w->f->ntc, "notification.recipient.get", &q.base,
                                             &notification__recipient_reply__descriptor, &err);
    if (!r) { snprintf(w->seen, sizeof w->seen, "%s", err.message); return false; }
    snprintf(w->seen, sizeof w->seen, "%s / %s / %s", r->recipient->name, r->recipient->phone, r->recipient->email);
    return !strcmp(r->recipient->name, w->name) && (!w->blank || (!*r->recipient->phone && !*r->recipient->email));
}

/* Waits until notification's directory entry of A has name (and blank
 * phone and e-mail when blank). */
static void s_wait_dir(fx_t *f, const char *name, bool blank)
{
    dir_wait_t w = {f, name, blank, ""};
    if (!harness_wait(s_dir_is, &w, WAIT_MS)) fail_msg("notification's entry of %s: %s", A.id, w.seen);
}

static void test_hubctl(void **state)
{
    fx_t *f = *state;
    s_fill(f);
    s_wait_dir(f, A.name, false); /* notification copies the library's contacts from the events */
    char out[400], err[400], args[512], xargs[512];
    snprintf(out, sizeof out, "%s/hubctl.out", f->in.dir);
    snprintf(err, sizeof err, "%s/hubctl.err", f->in.dir);
    snprintf(args, sizeof args, "subject erase --phone '%s' --name '%s' --reason 'ticket 78'", A.phone, A.name);
    snprintf(xargs, sizeof xargs, "subject export --phone '%s'", A.phone_written);

    /* the export shows matching's part: A's record and contact entry, not B's */
    int rc = s_hubctl(f, xargs, out, err);
    if (rc) fail_msg("hubctl subject export exited %d: %s", rc, s_slurp(err));
    json_error_t je;
    json_t *doc = json_loads(s_slurp(out), 0, &je);
    if (!doc) fail_msg("hubctl subject export printed no JSON (%s): %s", je.text, s_slurp(out));
    json_t *m = json_object_get(doc, "matching");
    json_t *vols = json_object_get(m, "volunteers"), *orgs = json_object_get(m, "organizations");
    assert_true(json_is_array(json_object_get(m, "referrals")));
    assert_int_equal(json_array_size(vols), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(vols, 0), "id")), A.id);
    assert_int_equal(json_array_size(orgs), 1);
    json_t *contacts = json_object_get(json_array_get(orgs, 0), "contacts");
    assert_string_equal(json_string_value(json_object_get(json_array_get(orgs, 0), "org_id")), ORG_ID);
    assert_int_equal(json_array_size(contacts), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(contacts, 0), "email")), A.email);
    json_decref(doc);
    const char *text = s_slurp(out);
    if (!strstr(text, A.licence) || strstr(text, B.email) || strstr(text, B.licence))
        fail_msg("hubctl subject export: %s", text);

    /* matching down: intake erases, tendering too, hubctl warns and fails
     * so the operator retries */
    hub_client_destroy(&f->mtc);
    assert_int_equal(harness_stop(&f->mt, SIGTERM), 0);
    rc = s_hubctl(f, args, out, err);
    if (!rc || !strstr(s_slurp(err), "matching did not"))
        fail_msg("hubctl exited %d with matching down: %s", rc, s_slurp(err));
    assert_int_equal(s_markers(f, &A), 5);

    /* up again: the same command erases */
    assert_int_equal(harness_start(&f->mt), 0);
    assert_non_null(f->mtc = hub_client_new(s_zctx, f->mt.api, NULL, 15000));
    rc = s_hubctl(f, args, out, err);
    if (rc || !strstr(s_slurp(out), "matching erased 1 volunteers and 1 contact persons of 1 organizations"))
        fail_msg("hubctl exited %d: %s %s", rc, s_slurp(out), s_slurp(err));
    s_wait_clean(f, &A);
    assert_int_equal(s_markers(f, &B), 5);
    /* the published update: notification's copy of A is blanked too */
    s_wait_dir(f, "(erased)", true);
    /* a repeat: nothing left anywhere */
    rc = s_hubctl(f, args, out, err);
    if (rc || !strstr(s_slurp(out), "matching erased 0 volunteers and 0 contact persons of 0 organizations"))
        fail_msg("hubctl exited %d: %s %s", rc, s_slurp(out), s_slurp(err));
}

int main(void)
{
    s_zctx = zmq_ctx_new();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_export_and_erase, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_hubctl, s_setup, s_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zmq_ctx_term(s_zctx);
    return rc;
}
