/* it_privacy: personal data (README "Personal data (PIPL)") with real
 * daemons: a subject's export and erasure reach intake, matching and
 * notification (also one that was down: it replays the event), the
 * retention purge and its schedule anonymize closed requests and keep what
 * figures need, and afterwards no store's raw data.mdb holds the person's
 * name, phone, e-mail, address or description. notification.subject.erase
 * blanks the directory recipients (and deliveries) with the subject's phone
 * or e-mail, and no other. Stores are 0700/0600. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <cmocka.h>

#include "harness.h"
#include "hub_client.h"
#include "intake.pb-c.h"
#include "notification.pb-c.h"

static void *s_zctx;

typedef struct {
    const char *name, *phone, *email, *address, *description;
} person_t;

/* two people; every marker unique, so a byte scan finds only their copies */
static const person_t A = {"隐私测试甲", "13912340001", "jia@privacy.example", "甲住址望京路99号",
                           "甲的描述：独居需要助餐XYZ123"};
static const person_t B = {"隐私测试乙", "13912340002", "yi@privacy.example", "乙住址中山路88号",
                           "乙的描述：需要上门探访QRS456"};

typedef struct {
    harness_t in, mt, nt;
    hub_client_t *inc, *ntc;
    hub_arena_t *a;
} fx_t;

static int s_setup_with(void **state, const char *intake_extra)
{
    fx_t *f = calloc(1, sizeof *f);
    f->a = hub_arena_new(16 << 20);
    if (harness_init(&f->in, intake_extra)) return -1;
    if (harness_init_peer(&f->mt, &f->in, "matching", NULL)) return -1;
    char extra[1024];
    snprintf(extra, sizeof extra, "matching_api = %s\nmatching_pub = %s\n", f->mt.api, f->mt.pub);
    if (harness_init_peer(&f->nt, &f->in, "notification", extra)) return -1;
    if (harness_start(&f->in) || harness_start(&f->mt) || harness_start(&f->nt)) return -1;
    f->inc = hub_client_new(s_zctx, f->in.api, NULL, 10000);
    f->ntc = hub_client_new(s_zctx, f->nt.api, NULL, 10000);
    *state = f;
    return 0;
}

static int s_setup(void **state) { return s_setup_with(state, NULL); }
static int s_setup_schedule(void **state)
{
    return s_setup_with(state, "retention_period_ms = 1\npurge_interval_ms = 100\n");
}

static int s_teardown(void **state)
{
    fx_t *f = *state;
    hub_client_destroy(&f->inc);
    hub_client_destroy(&f->ntc);
    harness_fini(&f->nt);
    harness_fini(&f->mt);
    harness_fini(&f->in);
    hub_arena_destroy(&f->a);
    free(f);
    return 0;
}

static ProtobufCMessage *s_call(fx_t *f, hub_client_t *c, const char *verb, const ProtobufCMessage *req,
                                const ProtobufCMessageDescriptor *d, hub_error_t *err)
{
    ProtobufCMessage *rep = NULL;
    hub_error_t e = {0};
    int rc = hub_client_call(c, verb, req, d, f->a, &rep, err ? err : &e);
    if (rc && !err) fail_msg("%s: %s", verb, e.message);
    return rc ? NULL : rep;
}

/* Submits a request of p; returns its id. */
static char *s_submit(fx_t *f, const person_t *p, const char *mid)
{
    Intake__SubmitRequest *s = harness_request(f->a, "web", mid);
    s->request->requester->name = (char *)p->name;
    s->request->requester->phone = (char *)p->phone;
    s->request->requester->email = (char *)p->email;
    s->request->address = (char *)p->address;
    s->request->description = (char *)p->description;
    s->request->preferred_contact = INTAKE__CONTACT_METHOD__SMS;
    Intake__SubmitReply *r = (void *)s_call(f, f->inc, "intake.submit", &s->base, &intake__submit_reply__descriptor, NULL);
    return r->service_request_id;
}

static void s_opinion(fx_t *f, const person_t *p, const char *mid)
{
    Intake__SubmitOpinionRequest q = INTAKE__SUBMIT_OPINION_REQUEST__INIT;
    Intake__Opinion o = INTAKE__OPINION__INIT;
    Intake__Person au = INTAKE__PERSON__INIT;
    au.name = (char *)p->name;
    au.phone = (char *)p->phone;
    au.kind = INTAKE__REQUESTER_KIND__RESIDENT;
    o.author = &au;
    o.channel = "web";
    o.message_id = (char *)mid;
    o.topic = "elderly-care";
    o.street = "鼓楼街道";
    o.text = (char *)p->description;
    q.opinion = &o;
    s_call(f, f->inc, "intake.opinion.submit", &q.base, &intake__submit_opinion_reply__descriptor, NULL);
}

static Intake__Request *s_get(fx_t *f, const char *id)
{
    Intake__GetRequestRequest q = INTAKE__GET_REQUEST_REQUEST__INIT;
    q.service_request_id = (char *)id;
    Intake__GetRequestReply *r = (void *)s_call(f, f->inc, "intake.get", &q.base, &intake__get_request_reply__descriptor, NULL);
    return r->request;
}

/* ---- raw store scans ---- */

/* How many of p's markers daemon's data.mdb holds (-1: unreadable). */
static int s_markers(fx_t *f, const char *daemon, const person_t *p)
{
    char path[400];
    snprintf(path, sizeof path, "%s/var/%s/data.mdb", f->in.dir, daemon);
    const char *const marks[] = {p->name, p->phone, p->email, p->address, p->description};
    return harness_file_holds(path, marks, 5);
}

typedef struct {
    fx_t *f;
    const char *daemon;
    const person_t *p;
} clean_t;

static bool s_clean(void *arg)
{
    clean_t *c = arg;
    return s_markers(c->f, c->daemon, c->p) == 0;
}

static void s_wait_clean(fx_t *f, const char *daemon, const person_t *p)
{
    clean_t c = {f, daemon, p};
    if (!harness_wait(s_clean, &c, 15000))
        fail_msg("%s's data.mdb still holds %d of %s's markers", daemon, s_markers(f, daemon, p), p->name);
}

/* notification knows the requester's phone of request id */
typedef struct {
    fx_t *f;
    const char *id;
} known_t;

static Notification__SubjectExportReply *s_nt_export(fx_t *f, const char *id, const char *phone)
{
    Notification__SubjectExportRequest q = NOTIFICATION__SUBJECT_EXPORT_REQUEST__INIT;
    char *ids[1] = {(char *)id};
    q.request_ids = ids;
    q.n_request_ids = id ? 1 : 0;
    q.phone = (char *)(phone ? phone : "");
    return (void *)s_call(f, f->ntc, "notification.subject.export", &q.base,
                          &notification__subject_export_reply__descriptor, NULL);
}

static bool s_known(void *arg)
{
    known_t *k = arg;
    Notification__SubjectExportReply *r = s_nt_export(k->f, k->id, NULL);
    return r->n_requests == 1 && *r->requests[0]->phone;
}

static Intake__SubjectExportReply *s_export(fx_t *f, const person_t *p)
{
    Intake__SubjectExportRequest q = INTAKE__SUBJECT_EXPORT_REQUEST__INIT;
    Intake__Subject s = INTAKE__SUBJECT__INIT;
    s.phone = (char *)p->phone;
    q.subject = &s;
    return (void *)s_call(f, f->inc, "intake.subject.export", &q.base, &intake__subject_export_reply__descriptor, NULL);
}

static Intake__SubjectEraseReply *s_erase(fx_t *f, const char *phone, hub_error_t *err)
{
    Intake__SubjectEraseRequest q = INTAKE__SUBJECT_ERASE_REQUEST__INIT;
    Intake__Subject s = INTAKE__SUBJECT__INIT;
    s.phone = (char *)phone;
    q.subject = &s;
    q.reason = "ticket 42";
    return (void *)s_call(f, f->inc, "intake.subject.erase", &q.base, &intake__subject_erase_reply__descriptor, err);
}

static void s_modes(fx_t *f, const char *daemon)
{
    char path[400];
    struct stat st;
    snprintf(path, sizeof path, "%s/var/%s", f->in.dir, daemon);
    assert_int_equal(stat(path, &st), 0);
    if ((st.st_mode & 0777) != 0700) fail_msg("%s is %o, not 0700", path, st.st_mode & 0777);
    static const char *const files[] = {"data.mdb", "lock.mdb"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/var/%s/%s", f->in.dir, daemon, files[i]);
        assert_int_equal(stat(path, &st), 0);
        if ((st.st_mode & 0777) != 0600) fail_msg("%s is %o, not 0600", path, st.st_mode & 0777);
    }
}

/* ============================================================ tests */

static void test_subject_export_and_erase(void **state)
{
    fx_t *f = *state;
    char *a1 = s_submit(f, &A, "a1"), *a2 = s_submit(f, &A, "a2"), *b1 = s_submit(f, &B, "b1");
    assert_int_equal(harness_intake_update(f->inc, a2, "close", "served", NULL, "op", &(hub_error_t){0}), 0);
    s_opinion(f, &A, "oa");
    s_opinion(f, &B, "ob");
    known_t k1 = {f, a1}, kb = {f, b1};
    assert_true(harness_wait(s_known, &k1, 15000));
    assert_true(harness_wait(s_known, &kb, 15000));

    /* export: exactly A's two requests and opinion */
    Intake__SubjectExportReply *ex = s_export(f, &A);
    assert_int_equal(ex->n_requests, 2);
    assert_int_equal(ex->n_opinions, 1);
    for (size_t i = 0; i < ex->n_requests; i++) {
        assert_string_equal(ex->requests[i]->requester->phone, A.phone);
        assert_string_not_equal(ex->requests[i]->service_request_id, b1);
    }
    Notification__SubjectExportReply *nx = s_nt_export(f, a1, A.phone);
    assert_int_equal(nx->n_requests, 1);
    assert_string_equal(nx->requests[0]->phone, A.phone);
    for (size_t i = 0; i < nx->n_deliveries; i++) assert_string_not_equal(nx->deliveries[i]->request_id, b1);
    /* a subject is needed */
    hub_error_t err = {0};
    assert_null(s_erase(f, "", &err));
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);

    /* erase while notification is down: it gets the event when back */
    assert_int_equal(harness_stop(&f->nt, SIGTERM), 0);
    int before = s_markers(f, "notification", &A);
    assert_true(before > 0); /* the scan sees what notification kept */
    Intake__SubjectEraseReply *er = s_erase(f, "+86 139-1234-0001", NULL); /* same phone, other spelling */
    assert_int_equal(er->n_request_ids, 2);
    assert_int_equal(er->n_opinion_ids, 1);
    assert_int_equal(er->cancelled, 1);
    assert_int_equal(strlen(er->subject_hash), 32);
    s_wait_clean(f, "intake", &A);
    assert_int_equal(s_markers(f, "intake", &B), 5); /* the other person is untouched */
    Intake__Request *r1 = s_get(f, a1);
    assert_int_equal(r1->status, INTAKE__STATUS__CANCELLED);
    assert_true(r1->anonymized_ms > 0);
    assert_string_equal(r1->service_code, "elderly-care"); /* what figures need stays */
    assert_string_equal(r1->street, "鼓楼街道");
    assert_int_equal(s_markers(f, "notification", &A), before); /* not yet: it is down */
    assert_int_equal(harness_start(&f->nt), 0);
    s_wait_clean(f, "notification", &A);
    assert_int_equal(s_markers(f, "matching", &A), 0);
    nx = s_nt_export(f, a1, A.phone);
    assert_int_equal(nx->n_requests, 1);
    assert_string_equal(nx->requests[0]->phone, "");
    for (size_t i = 0; i < nx->n_deliveries; i++) assert_string_equal(nx->deliveries[i]->address, "");
    assert_true(s_markers(f, "notification", &B) > 0);

    /* idempotent: nothing left to erase, nothing exported */
    er = s_erase(f, A.phone, NULL);
    assert_int_equal(er->n_request_ids, 0);
    assert_int_equal(er->n_opinion_ids, 0);
    ex = s_export(f, &A);
    assert_int_equal(ex->n_requests + ex->n_opinions, 0);
    /* the audit log: both erasures, with the hash, not the phone */
    Intake__ListAuditRequest al = INTAKE__LIST_AUDIT_REQUEST__INIT;
    Intake__ListAuditReply *au = (void *)s_call(f, f->inc, "intake.audit.list", &al.base,
                                                &intake__list_audit_reply__descriptor, NULL);
    assert_int_equal(au->n_entries, 2);
    assert_string_equal(au->entries[0]->subject_hash, au->entries[1]->subject_hash);
    assert_int_equal(au->entries[0]->requests, 2);
    assert_string_equal(au->entries[0]->reason, "ticket 42");

    const char *daemons[] = {"intake", "matching", "notification"};
    for (size_t i = 0; i < 3; i++) s_modes(f, daemons[i]);
}

/* ---- notification's directory ---- */

/* directory entries: one with the subject's phone, one with the subject's
 * e-mail only, one of somebody else; markers unique as above */
typedef struct {
    const char *id, *name, *phone, *email;
} entry_t;
static const entry_t DIR_PHONE = {"DIR-JIA-1", "目录测试甲一", "+86 139-1234-0011", "jia1@dir.example"};
static const entry_t DIR_MAIL = {"DIR-JIA-2", "目录测试甲二", "", "jia@dir.example"};
static const entry_t DIR_OTHER = {"DIR-BING", "目录测试丙", "13912340033", "bing@dir.example"};

/* How many of e's markers notification's data.mdb holds. */
static int s_dir_markers(fx_t *f, const entry_t *e)
{
    char path[400];
    snprintf(path, sizeof path, "%s/var/notification/data.mdb", f->in.dir);
    const char *const marks[] = {e->name, *e->phone ? e->phone : e->name, e->email};
    return harness_file_holds(path, marks, 3);
}

typedef struct {
    fx_t *f;
    const entry_t *e;
} dir_clean_t;

static bool s_dir_clean(void *arg)
{
    dir_clean_t *c = arg;
    return s_dir_markers(c->f, c->e) == 0;
}

static void s_dir_put(fx_t *f, const entry_t *e)
{
    Notification__PutRecipientRequest q = NOTIFICATION__PUT_RECIPIENT_REQUEST__INIT;
    Notification__Recipient r = NOTIFICATION__RECIPIENT__INIT;
    r.id = (char *)e->id;
    r.name = (char *)e->name;
    r.phone = (char *)e->phone;
    r.email = (char *)e->email;
    r.consent = true;
    q.recipient = &r;
    s_call(f, f->ntc, "notification.recipient.put", &q.base, &notification__recipient_reply__descriptor, NULL);
}

static Notification__SubjectExportReply *s_nt_export_by(fx_t *f, const char *phone, const char *email)
{
    Notification__SubjectExportRequest q = NOTIFICATION__SUBJECT_EXPORT_REQUEST__INIT;
    q.phone = (char *)phone;
    q.email = (char *)email;
    return (void *)s_call(f, f->ntc, "notification.subject.export", &q.base,
                          &notification__subject_export_reply__descriptor, NULL);
}

static Notification__SubjectEraseReply *s_nt_erase(fx_t *f, const char *phone, const char *email, const char *reason,
                                                   hub_error_t *err)
{
    Notification__SubjectEraseRequest q = NOTIFICATION__SUBJECT_ERASE_REQUEST__INIT;
    q.phone = (char *)phone;
    q.email = (char *)email;
    q.reason = (char *)reason;
    return (void *)s_call(f, f->ntc, "notification.subject.erase", &q.base,
                          &notification__subject_erase_reply__descriptor, err);
}

static void test_directory_erase(void **state)
{
    fx_t *f = *state;
    const entry_t *all[] = {&DIR_PHONE, &DIR_MAIL, &DIR_OTHER};
    for (size_t i = 0; i < 3; i++) s_dir_put(f, all[i]);
    /* a notice to all three: SMS, e-mail and inbox deliveries each */
    Notification__Placeholder title = NOTIFICATION__PLACEHOLDER__INIT, body = NOTIFICATION__PLACEHOLDER__INIT;
    title.name = "title", title.value = "冬季慰问活动通知";
    body.name = "text", body.value = "请各社会组织派员参加。";
    Notification__Placeholder *data[2] = {&title, &body};
    char *to[3] = {(char *)DIR_PHONE.id, (char *)DIR_MAIL.id, (char *)DIR_OTHER.id};
    Notification__SendRequest sq = NOTIFICATION__SEND_REQUEST__INIT;
    sq.recipients = to, sq.n_recipients = 3;
    sq.template_ = "notice";
    sq.data = data, sq.n_data = 2;
    sq.key = "notice-dir";
    Notification__SendReply *sr = (void *)s_call(f, f->ntc, "notification.send", &sq.base,
                                                 &notification__send_reply__descriptor, NULL);
    assert_int_equal(sr->n_delivery_ids, 3 + 2 + 3); /* sms+email+inbox, email+inbox, sms+email+inbox */

    /* the subject: the phone in another spelling, the e-mail in capitals */
    const char *phone = "0086 13912340011", *email = "JIA@DIR.EXAMPLE";
    Notification__SubjectExportReply *x = s_nt_export_by(f, phone, email);
    assert_int_equal(x->n_recipients, 2);
    assert_int_equal(x->n_deliveries, 3); /* DIR_PHONE's SMS and e-mail (its own address), DIR_MAIL's e-mail */
    for (size_t i = 0; i < 3; i++) assert_true(s_dir_markers(f, all[i]) > 0);

    /* bad input: no subject; a reason that would break the log line */
    hub_error_t err = {0};
    assert_null(s_nt_erase(f, "", "", "", &err));
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    assert_null(s_nt_erase(f, phone, "", "ticket\nsubject erased by nobody", &err));
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    assert_string_equal(err.field, "reason");

    Notification__SubjectEraseReply *e = s_nt_erase(f, phone, email, "intake audit AUD-1", NULL);
    assert_int_equal(e->n_recipient_ids, 2);
    assert_int_equal(e->n_delivery_ids, 3);
    /* the records stay under their ids, blank and without consent */
    Notification__GetRecipientRequest gq = NOTIFICATION__GET_RECIPIENT_REQUEST__INIT;
    gq.id = (char *)DIR_PHONE.id;
    Notification__RecipientReply *gr = (void *)s_call(f, f->ntc, "notification.recipient.get", &gq.base,
                                                      &notification__recipient_reply__descriptor, NULL);
    assert_string_equal(gr->recipient->name, "");
    assert_string_equal(gr->recipient->phone, "");
    assert_string_equal(gr->recipient->email, "");
    assert_false(gr->recipient->consent);
    x = s_nt_export_by(f, phone, email);
    assert_int_equal(x->n_recipients + x->n_deliveries, 0);
    /* gone from the file (the rewrite); the other entry is all there */
    for (size_t i = 0; i < 2; i++) {
        dir_clean_t c = {f, all[i]};
        if (!harness_wait(s_dir_clean, &c, 15000))
            fail_msg("notification's data.mdb still holds %d of %s's markers", s_dir_markers(f, all[i]), all[i]->id);
    }
    assert_int_equal(s_dir_markers(f, &DIR_OTHER), 3);
    x = s_nt_export_by(f, DIR_OTHER.phone, "");
    assert_int_equal(x->n_recipients, 1);
    assert_string_equal(x->recipients[0]->name, DIR_OTHER.name);

    /* nothing at all is sent to an erased entry any more (no consent) */
    sq.key = "notice-dir-2";
    sq.n_recipients = 1;
    sr = (void *)s_call(f, f->ntc, "notification.send", &sq.base, &notification__send_reply__descriptor, NULL);
    assert_int_equal(sr->n_delivery_ids, 0);
    assert_int_equal(sr->skipped, 1);
    /* idempotent */
    e = s_nt_erase(f, phone, email, "", NULL);
    assert_int_equal(e->n_recipient_ids + e->n_delivery_ids, 0);
}

static Intake__PurgeReply *s_purge(fx_t *f, int64_t older_ms, const char *after)
{
    Intake__PurgeRequest q = INTAKE__PURGE_REQUEST__INIT;
    q.older_than_ms = older_ms;
    q.after_id = (char *)after;
    return (void *)s_call(f, f->inc, "intake.purge", &q.base, &intake__purge_reply__descriptor, NULL);
}

typedef struct {
    fx_t *f;
    Intake__PurgeReply *rep;
} purge_t;

static bool s_purged(void *arg)
{
    purge_t *p = arg;
    p->rep = s_purge(p->f, 1, "");
    return p->rep->n_request_ids > 0;
}

static void test_retention_purge(void **state)
{
    fx_t *f = *state;
    char *b1 = s_submit(f, &B, "b1"), *a1 = s_submit(f, &A, "a1");
    known_t kb = {f, b1};
    assert_true(harness_wait(s_known, &kb, 15000));
    /* a long period reaches nothing; an open request is never purged */
    Intake__PurgeReply *p = s_purge(f, 86400000, "");
    assert_int_equal(p->n_request_ids + p->n_opinion_ids, 0);
    assert_int_equal(harness_intake_update(f->inc, b1, "close", "served", NULL, "op", &(hub_error_t){0}), 0);
    /* purged once its close is older than the 1 ms period */
    purge_t pw = {f, NULL};
    assert_true(harness_wait(s_purged, &pw, 5000));
    p = pw.rep;
    assert_int_equal(p->n_request_ids, 1);
    assert_string_equal(p->request_ids[0], b1);
    assert_string_equal(p->next_after_id, "");
    s_wait_clean(f, "intake", &B);
    s_wait_clean(f, "notification", &B);
    assert_int_equal(s_markers(f, "intake", &A), 5); /* open: kept */
    Intake__Request *r = s_get(f, b1);
    assert_int_equal(r->status, INTAKE__STATUS__CLOSED);
    assert_string_equal(r->street, "鼓楼街道");
    assert_int_equal(r->n_attributes, 1); /* a coded attribute, kept for figures */
    assert_true(r->anonymized_ms > 0);
    /* again: nothing */
    p = s_purge(f, 1, "");
    assert_int_equal(p->n_request_ids, 0);
    (void)a1;
    hub_error_t err = {0};
    Intake__PurgeRequest bad = INTAKE__PURGE_REQUEST__INIT;
    assert_null(s_call(f, f->inc, "intake.purge", &bad.base, &intake__purge_reply__descriptor, &err));
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
}

static bool s_anonymized(void *arg)
{
    known_t *k = arg;
    return s_get(k->f, k->id)->anonymized_ms > 0;
}

static void test_retention_schedule(void **state)
{
    fx_t *f = *state;
    char *b1 = s_submit(f, &B, "b1");
    assert_int_equal(harness_intake_update(f->inc, b1, "cancel", "no longer needed", NULL, "web", &(hub_error_t){0}), 0);
    known_t k = {f, b1};
    assert_true(harness_wait(s_anonymized, &k, 15000));
    s_wait_clean(f, "intake", &B);
}

int main(void)
{
    s_zctx = zmq_ctx_new();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_subject_export_and_erase, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_directory_erase, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_retention_purge, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_retention_schedule, s_setup_schedule, s_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zmq_ctx_term(s_zctx);
    return rc;
}
