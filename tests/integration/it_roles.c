/* it_roles: who may do what, against the five real daemons on CURVE
 * endpoints. The policy below is written out here, independently of the
 * handler tables, so a role set changed in the code fails this test:
 * for every command of every daemon and every role the command is not for,
 * the call is refused with PERMISSION_DENIED by the role gate; the roles it
 * is for pass the gate. Then `hubctl principal add|revoke|list` changes who
 * is let in while the daemons run: when hubctl returns, a revoked key is
 * refused (UNAUTHENTICATED, even on a session opened before) and an added
 * key is served; an unregistered key gets no session at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include <cmocka.h>

#include "harness.h"
#include "hub.pb-c.h"
#include "hub_client.h"
#include "intake.pb-c.h"
#include "matching.pb-c.h"
#include "notification.pb-c.h"
#include "reporting.pb-c.h"
#include "tendering.pb-c.h"
#include "hub_util.h"

#define ANY NULL
#define N_ROLES 9
static const char *const s_roles[N_ROLES] = {"channel", "provider", "buyer",      "evaluator", "operator",
                                             "auditor", "dashboard", "subscriber", "public"};

typedef struct {
    int daemon; /* index into s_daemons */
    const char *verb;
    const ProtobufCMessageDescriptor *req;
    const char *allowed; /* space-separated roles, ANY = every registered principal */
} rule_t;

enum { INTAKE, MATCHING, NOTIFICATION, TENDERING, REPORTING, N_DAEMONS };
static const char *const s_daemons[N_DAEMONS] = {"intake", "matching", "notification", "tendering", "reporting"};

#define OP "operator"
#define READ_M "operator auditor provider subscriber"
#define READ_T "operator buyer provider evaluator auditor subscriber"
#define READ_R "operator auditor dashboard public subscriber"
#define STATUS "operator auditor dashboard subscriber"
#define EVENTS "operator subscriber"

/* The README's "Who may do what" table, command by command. */
static const rule_t s_rules[] = {
    {INTAKE, "intake.services", &intake__list_services_request__descriptor, ANY},
    {INTAKE, "intake.service", &intake__get_service_request__descriptor, ANY},
    {INTAKE, "intake.submit", &intake__submit_request__descriptor, "channel operator"},
    {INTAKE, "intake.get", &intake__get_request_request__descriptor, "channel operator auditor"},
    {INTAKE, "intake.list", &intake__list_requests_request__descriptor, "channel operator auditor"},
    {INTAKE, "intake.update", &intake__update_request__descriptor, "channel operator"},
    {INTAKE, "intake.opinion.submit", &intake__submit_opinion_request__descriptor, "channel operator"},
    {INTAKE, "intake.opinion.list", &intake__list_opinions_request__descriptor, "operator auditor"},
    {INTAKE, "intake.purge", &intake__purge_request__descriptor, OP},
    {INTAKE, "intake.subject.export", &intake__subject_export_request__descriptor, OP},
    {INTAKE, "intake.subject.erase", &intake__subject_erase_request__descriptor, OP},
    {INTAKE, "intake.audit.list", &intake__list_audit_request__descriptor, "operator auditor"},
    {INTAKE, "intake.activity.create", &intake__create_activity_request__descriptor, OP},
    {INTAKE, "intake.activity.get", &intake__get_activity_request__descriptor, "channel operator auditor"},
    {INTAKE, "intake.activity.list", &intake__list_activities_request__descriptor, "channel operator auditor"},
    {INTAKE, "intake.activity.cancel", &intake__cancel_activity_request__descriptor, OP},
    {INTAKE, "intake.activity.announce", &intake__announce_activity_request__descriptor, OP},
    {INTAKE, "intake.activity.minutes", &intake__minutes_request__descriptor, OP},
    {INTAKE, "intake.activity.register", &intake__register_request__descriptor, "channel operator"},
    {INTAKE, "intake.activity.unregister", &intake__unregister_request__descriptor, "channel operator"},
    {INTAKE, "intake.activity.checkin", &intake__checkin_request__descriptor, "channel operator"},
    {INTAKE, "intake.activity.registrations", &intake__list_registrations_request__descriptor, "channel operator auditor"},
    {INTAKE, "intake.opinion.link", &intake__link_opinion_request__descriptor, OP},
    {MATCHING, "matching.org.add", &matching__put_organization_request__descriptor, OP},
    {MATCHING, "matching.org.update", &matching__put_organization_request__descriptor, OP},
    {MATCHING, "matching.org.get", &matching__get_provider_request__descriptor, READ_M},
    {MATCHING, "matching.org.list", &matching__list_providers_request__descriptor, READ_M},
    {MATCHING, "matching.org.membership", &matching__membership_request__descriptor, OP},
    {MATCHING, "matching.volunteer.add", &matching__put_volunteer_request__descriptor, OP},
    {MATCHING, "matching.volunteer.update", &matching__put_volunteer_request__descriptor, OP},
    {MATCHING, "matching.volunteer.get", &matching__get_provider_request__descriptor, READ_M},
    {MATCHING, "matching.volunteer.list", &matching__list_providers_request__descriptor, READ_M},
    {MATCHING, "matching.volunteer.membership", &matching__membership_request__descriptor, OP},
    {MATCHING, "matching.import", &matching__import_request__descriptor, OP},
    {MATCHING, "matching.export", &matching__export_request__descriptor, READ_M},
    {MATCHING, "matching.explain", &matching__explain_request__descriptor, OP},
    {MATCHING, "matching.referral.get", &matching__get_referral_request__descriptor, READ_M},
    {MATCHING, "matching.referral.list", &matching__list_referrals_request__descriptor, READ_M},
    {MATCHING, "matching.referral.respond", &matching__respond_request__descriptor, "operator provider"},
    {MATCHING, "matching.referral.assign", &matching__assign_request__descriptor, OP},
    {MATCHING, "matching.referral.withdraw", &matching__withdraw_request__descriptor, OP},
    {MATCHING, "matching.unmet", &matching__unmet_request__descriptor, READ_M},
    {MATCHING, "matching.queue.retry", &matching__retry_queue_request__descriptor, OP},
    {MATCHING, "matching.subject.export", &matching__subject_export_request__descriptor, "operator auditor"},
    {MATCHING, "matching.subject.erase", &matching__subject_erase_request__descriptor, OP},
    {NOTIFICATION, "notification.recipient.put", &notification__put_recipient_request__descriptor, OP},
    {NOTIFICATION, "notification.recipient.get", &notification__get_recipient_request__descriptor,
     "operator auditor provider"},
    {NOTIFICATION, "notification.recipient.list", &notification__list_recipients_request__descriptor,
     "operator auditor"},
    {NOTIFICATION, "notification.inbox.list", &notification__list_inbox_request__descriptor,
     "operator auditor provider"},
    {NOTIFICATION, "notification.delivery.list", &notification__list_deliveries_request__descriptor,
     "operator auditor"},
    {NOTIFICATION, "notification.delivery.get", &notification__get_delivery_request__descriptor, "operator auditor"},
    {NOTIFICATION, "notification.delivery.requeue", &notification__requeue_request__descriptor, OP},
    {NOTIFICATION, "notification.send", &notification__send_request__descriptor, OP},
    {NOTIFICATION, "notification.subject.export", &notification__subject_export_request__descriptor, OP},
    {NOTIFICATION, "notification.subject.erase", &notification__subject_erase_request__descriptor, OP},
    {TENDERING, "tendering.tender.create", &tendering__create_request__descriptor, "operator buyer"},
    {TENDERING, "tendering.tender.update", &tendering__update_request__descriptor, "operator buyer"},
    {TENDERING, "tendering.tender.get", &tendering__get_request__descriptor, ANY},
    {TENDERING, "tendering.tender.list", &tendering__list_request__descriptor, ANY},
    {TENDERING, "tendering.tender.publish", &tendering__publish_request__descriptor, "operator buyer"},
    {TENDERING, "tendering.tender.amend", &tendering__amend_request__descriptor, "operator buyer"},
    {TENDERING, "tendering.tender.cancel", &tendering__cancel_request__descriptor, "operator buyer"},
    {TENDERING, "tendering.enquiry.ask", &tendering__enquiry_request__descriptor, ANY},
    {TENDERING, "tendering.enquiry.answer", &tendering__enquiry_request__descriptor, "operator buyer"},
    {TENDERING, "tendering.bid.submit", &tendering__submit_bid_request__descriptor, "operator provider"},
    {TENDERING, "tendering.bid.withdraw", &tendering__bid_request__descriptor, "operator provider"},
    {TENDERING, "tendering.bid.get", &tendering__bid_request__descriptor, READ_T},
    {TENDERING, "tendering.bid.disqualify", &tendering__bid_request__descriptor, OP},
    {TENDERING, "tendering.evaluator.add", &tendering__add_evaluator_request__descriptor, OP},
    {TENDERING, "tendering.evaluator.declare", &tendering__declare_request__descriptor, "operator evaluator"},
    {TENDERING, "tendering.evaluator.recuse", &tendering__declare_request__descriptor, "operator evaluator"},
    {TENDERING, "tendering.score", &tendering__score_request__descriptor, "operator evaluator"},
    {TENDERING, "tendering.evaluation", &tendering__get_request__descriptor, READ_T},
    {TENDERING, "tendering.award", &tendering__award_request__descriptor, OP},
    {TENDERING, "tendering.award.activate", &tendering__get_request__descriptor, OP},
    {TENDERING, "tendering.contract.sign", &tendering__sign_request__descriptor, "operator buyer"},
    {TENDERING, "tendering.milestone.report", &tendering__milestone_request__descriptor, "operator provider"},
    {TENDERING, "tendering.payment.make", &tendering__payment_request__descriptor, OP},
    {TENDERING, "tendering.contract.terminate", &tendering__terminate_request__descriptor, "operator buyer"},
    {TENDERING, "tendering.org.get", &tendering__org_request__descriptor, READ_T},
    {TENDERING, "tendering.export", &tendering__export_request__descriptor, ANY},
    {TENDERING, "tendering.funds.contribute", &tendering__contribute_request__descriptor, OP},
    {TENDERING, "tendering.funds.donate", &tendering__donate_request__descriptor, "operator channel"},
    {TENDERING, "tendering.funds.disburse", &tendering__disburse_request__descriptor, OP},
    {TENDERING, "tendering.funds.balance", &tendering__balance_request__descriptor, "operator auditor"},
    {TENDERING, "tendering.funds.entries", &tendering__entries_request__descriptor, "operator auditor"},
    {TENDERING, "tendering.funds.disclosure", &tendering__disclosure_request__descriptor, ANY},
    {TENDERING, "tendering.subject.export", &tendering__subject_export_request__descriptor, OP},
    {TENDERING, "tendering.subject.erase", &tendering__subject_erase_request__descriptor, OP},
    {REPORTING, "reporting.query", &reporting__query_request__descriptor, READ_R},
    {REPORTING, "reporting.report", &reporting__report_request__descriptor, READ_R},
    {REPORTING, "reporting.page", &reporting__page_request__descriptor, READ_R},
    {REPORTING, "reporting.health", &reporting__health_request__descriptor, READ_R},
};

static void *s_zctx;

typedef struct {
    harness_t h[N_DAEMONS];
    char srv_pub[41], srv_sec[41];
    char pub[N_ROLES][41], sec[N_ROLES][41];
    char ops_pub[41], ops_sec[41];       /* hubctl's operator key */
    char feed_pub[41], feed_sec[41];     /* the daemons' own subscriber key */
    char principals[512], ctl_cfg[512];
} fx_t;

static void s_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void s_key_file(const fx_t *fx, const char *name, const char *key)
{
    char path[600], line[64];
    snprintf(path, sizeof path, "%s/%s", fx->h[0].dir, name);
    snprintf(line, sizeof line, "%s\n", key);
    s_write(path, line);
}

/* Runs hubctl with the test's operator configuration; returns its exit code. */
static int s_hubctl(const fx_t *fx, const char *args, const char *out)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s -c %s %s > %s 2>&1", harness_bin("hubctl"), fx->ctl_cfg, args, out);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int s_setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    assert_int_equal(zmq_curve_keypair(fx->srv_pub, fx->srv_sec), 0);
    assert_int_equal(zmq_curve_keypair(fx->ops_pub, fx->ops_sec), 0);
    assert_int_equal(zmq_curve_keypair(fx->feed_pub, fx->feed_sec), 0);
    for (int r = 0; r < N_ROLES; r++) assert_int_equal(zmq_curve_keypair(fx->pub[r], fx->sec[r]), 0);

    assert_int_equal(harness_init(&fx->h[INTAKE], NULL), 0);
    char dir[sizeof fx->h[INTAKE].dir]; /* a copy: the harness fields are written below */
    memcpy(dir, fx->h[INTAKE].dir, sizeof dir);
    for (int d = 1; d < N_DAEMONS; d++)
        assert_int_equal(harness_init_peer(&fx->h[d], &fx->h[INTAKE], s_daemons[d], NULL), 0);
    s_key_file(fx, "srv.key", fx->srv_sec);
    s_key_file(fx, "srv.pub", fx->srv_pub);
    s_key_file(fx, "ops.key", fx->ops_sec);
    s_key_file(fx, "ops.pub", fx->ops_pub);
    s_key_file(fx, "feed.key", fx->feed_sec);
    s_key_file(fx, "feed.pub", fx->feed_pub);

    /* one principal per role, hubctl's operator, the daemons' feeds */
    snprintf(fx->principals, sizeof fx->principals, "%s/principals", dir);
    char text[4096];
    int n = snprintf(text, sizeof text, "# id role key\nops-hubctl operator %s\nhub-feeds subscriber %s\n",
                     fx->ops_pub, fx->feed_pub);
    for (int r = 0; r < N_ROLES; r++)
        n += snprintf(text + n, sizeof text - (size_t)n, "who-%s %s %s\n", s_roles[r], s_roles[r], fx->pub[r]);
    s_write(fx->principals, text);

    /* every daemon: CURVE on its api and pub; feeds with the feed key */
    char feeds[2048] = "";
    int fl = 0;
    for (int d = 0; d < N_DAEMONS - 1; d++) {
        if (d != INTAKE) /* the harness writes every peer's intake_api / intake_pub */
            fl += snprintf(feeds + fl, sizeof feeds - (size_t)fl, "%s_api = %s\n%s_pub = %s\n", s_daemons[d],
                           fx->h[d].api, s_daemons[d], fx->h[d].pub);
        fl += snprintf(feeds + fl, sizeof feeds - (size_t)fl,
                       "%s_server_public_key_file = %s/srv.pub\n"
                       "%s_public_key_file = %s/feed.pub\n%s_secret_key_file = %s/feed.key\n",
                       s_daemons[d], dir, s_daemons[d], dir, s_daemons[d], dir);
    }
    for (int d = 0; d < N_DAEMONS; d++) {
        int m = snprintf(fx->h[d].extra, sizeof fx->h[d].extra,
                         "curve = on\ncurve_secret_key_file = %s/srv.key\nprincipals_file = %s\n", dir,
                         fx->principals);
        if (d == REPORTING) m += snprintf(fx->h[d].extra + m, sizeof fx->h[d].extra - (size_t)m, "http = 127.0.0.1:0\n");
        if (d != INTAKE) snprintf(fx->h[d].extra + m, sizeof fx->h[d].extra - (size_t)m, "%s", feeds);
    }
    assert_int_equal(harness_write_config(&fx->h[INTAKE]), 0);

    /* hubctl as the operator, knowing every daemon and the principals file */
    snprintf(fx->ctl_cfg, sizeof fx->ctl_cfg, "%s/hubctl.ini", dir);
    n = snprintf(text, sizeof text,
                 "[hubctl]\nserver_public_key_file = %s/srv.pub\npublic_key_file = %s/ops.pub\n"
                 "secret_key_file = %s/ops.key\n",
                 dir, dir, dir);
    for (int d = 0; d < N_DAEMONS; d++)
        n += snprintf(text + n, sizeof text - (size_t)n, "[%s]\napi = %s\npub = %s\nprincipals_file = %s\n",
                      s_daemons[d], fx->h[d].api, fx->h[d].pub, fx->principals);
    s_write(fx->ctl_cfg, text);

    for (int d = 0; d < N_DAEMONS; d++) assert_int_equal(harness_start(&fx->h[d]), 0);
    *state = fx;
    return 0;
}

static int s_teardown(void **state)
{
    fx_t *fx = *state;
    if (!fx) return 0; /* the setup failed before it was complete */
    for (int d = N_DAEMONS - 1; d >= 1; d--) harness_fini(&fx->h[d]);
    harness_fini(&fx->h[INTAKE]);
    free(fx);
    return 0;
}

static bool s_allowed(const char *allowed, const char *role)
{
    if (!allowed) return true;
    size_t n = strlen(role);
    for (const char *p = allowed; (p = strstr(p, role)); p += n)
        if ((p == allowed || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ')) return true;
    return false;
}

/* Calls verb with an empty request of its type as the principal holding
 * (pub, sec). Returns the client's result (0 ok, 1 refused, -1 no answer). */
static int s_call_as(const fx_t *fx, hub_client_t *c, const rule_t *r, hub_arena_t *a, hub_error_t *err)
{
    (void)fx;
    ProtobufCMessage *req = hub_arena_alloc(a, r->req->sizeof_message);
    r->req->message_init(req);
    ProtobufCMessage *rep;
    *err = (hub_error_t){0};
    return hub_client_call(c, r->verb, req, NULL, a, &rep, err);
}

static bool s_role_gate(const hub_error_t *err)
{
    return err->code == HUB__ERROR_CODE__PERMISSION_DENIED && !strncmp(err->message, "role ", 5);
}

/* Every command, every role: refused by the role gate exactly when the
 * policy says the role may not call it. */
static void test_every_role_every_command(void **state)
{
    fx_t *fx = *state;
    hub_arena_t *a = hub_arena_new(8u << 20);
    int denied = 0, passed = 0;
    for (int ro = 0; ro < N_ROLES; ro++) {
        hub_client_t *c[N_DAEMONS];
        for (int d = 0; d < N_DAEMONS; d++) {
            hub_curve_t k = {fx->srv_pub, fx->pub[ro], fx->sec[ro]};
            c[d] = hub_client_new(s_zctx, fx->h[d].api, &k, 10000);
            assert_non_null(c[d]);
        }
        for (size_t i = 0; i < sizeof s_rules / sizeof *s_rules; i++) {
            const rule_t *r = &s_rules[i];
            hub_error_t err;
            hub_arena_reset(a);
            int rc = s_call_as(fx, c[r->daemon], r, a, &err);
            if (rc < 0) fail_msg("%s as %s: no answer (%s)", r->verb, s_roles[ro], err.message);
            if (!s_allowed(r->allowed, s_roles[ro])) {
                if (rc != 1 || !s_role_gate(&err))
                    fail_msg("%s as %s: expected PERMISSION_DENIED, got rc %d code %d \"%s\"", r->verb,
                             s_roles[ro], rc, err.code, err.message);
                denied++;
            } else {
                if (rc == 1 && (s_role_gate(&err) || err.code == HUB__ERROR_CODE__UNAUTHENTICATED))
                    fail_msg("%s as %s: refused by the gate: %s", r->verb, s_roles[ro], err.message);
                passed++;
            }
        }
        /* the generic commands every daemon has */
        for (int d = 0; d < N_DAEMONS; d++) {
            static const rule_t gen[] = {{0, "hub.status", &hub__status_request__descriptor, STATUS},
                                         {0, "hub.replay", &hub__replay_request__descriptor, EVENTS}};
            for (int g = 0; g < 2; g++) {
                hub_error_t err;
                hub_arena_reset(a);
                int rc = s_call_as(fx, c[d], &gen[g], a, &err);
                bool ok = s_allowed(gen[g].allowed, s_roles[ro]);
                if (ok ? rc != 0 : (rc != 1 || !s_role_gate(&err)))
                    fail_msg("%s on %s as %s: rc %d \"%s\"", gen[g].verb, s_daemons[d], s_roles[ro], rc, err.message);
                ok ? passed++ : denied++;
            }
        }
        for (int d = 0; d < N_DAEMONS; d++) hub_client_destroy(&c[d]);
    }
    /* internal commands exist for nobody outside the process, operator included */
    hub_curve_t k = {fx->srv_pub, fx->pub[4], fx->sec[4]};
    hub_client_t *op = hub_client_new(s_zctx, fx->h[MATCHING].api, &k, 10000);
    rule_t internal = {MATCHING, "matching.expire", &hub__tick__descriptor, NULL};
    hub_error_t err;
    assert_int_equal(s_call_as(fx, op, &internal, a, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__NOT_FOUND);
    hub_client_destroy(&op);
    print_message("role gate: %d refusals and %d admissions checked\n", denied, passed);
    assert_true(denied > 300 && passed > 100);
    hub_arena_destroy(&a);
}

typedef struct {
    hub_client_t *c;
    hub_arena_t *a;
} probe_t;

/* A channel's real work: a request submitted through its own session. */
static int s_submit(hub_client_t *c, hub_arena_t *a, const char *mid, hub_error_t *err)
{
    Intake__SubmitRequest *req = harness_request(a, "payload-says-other", mid);
    Intake__SubmitReply *rep;
    *err = (hub_error_t){0};
    return hub_client_call(c, "intake.submit", &req->base, &intake__submit_reply__descriptor, a,
                           (ProtobufCMessage **)&rep, err);
}

/* Shows hubctl's output when an expectation about it fails. */
static void s_dump(const char *path)
{
    char buf[8192] = "";
    FILE *f = fopen(path, "r");
    if (f) { buf[fread(buf, 1, sizeof buf - 1, f)] = 0; fclose(f); }
    print_message("hubctl said:\n%s\n", buf);
}

static bool s_file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (!f) return false;
    char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return strstr(buf, needle) != NULL;
}

/* hubctl principal add / revoke / list while the daemons run. */
static void test_principal_add_revoke_without_restart(void **state)
{
    fx_t *fx = *state;
    const char *dir = fx->h[0].dir;
    char out[600], arg[600];
    snprintf(out, sizeof out, "%s/hubctl.out", dir);
    hub_arena_t *a = hub_arena_new(4u << 20);
    hub_error_t err;

    /* a key nobody registered: no session at all (ZAP says 400) */
    char new_pub[41], new_sec[41];
    assert_int_equal(zmq_curve_keypair(new_pub, new_sec), 0);
    hub_curve_t nk = {fx->srv_pub, new_pub, new_sec};
    hub_client_t *fresh = hub_client_new(s_zctx, fx->h[INTAKE].api, &nk, 1500);
    assert_int_equal(s_submit(fresh, a, "r-unreg", &err), -1);
    hub_client_destroy(&fresh);

    /* added: served as soon as hubctl returns, without a restart */
    snprintf(arg, sizeof arg, "principal add wechat-2 channel --key '%s'", new_pub);
    int rc = s_hubctl(fx, arg, out);
    if (rc) s_dump(out);
    assert_int_equal(rc, 0);
    assert_true(s_file_has(out, "in effect"));
    assert_false(s_file_has(out, "NOT in effect"));
    fresh = hub_client_new(s_zctx, fx->h[INTAKE].api, &nk, 10000);
    assert_int_equal(s_submit(fresh, a, "r-added", &err), 0);
    /* the same id again, or the same key again: refused, the file unchanged */
    assert_int_equal(s_hubctl(fx, arg, out), 1);
    snprintf(arg, sizeof arg, "principal add other-id channel --key '%s'", new_pub);
    assert_int_equal(s_hubctl(fx, arg, out), 1);
    assert_int_equal(s_hubctl(fx, "principal add x nosuchrole --key 0000000000000000000000000000000000000000", out), 2);
    assert_int_equal(s_hubctl(fx, "--json principal list", out), 0);
    assert_true(s_file_has(out, "\"wechat-2\""));
    assert_true(s_file_has(out, "\"who-auditor\""));

    /* revoked: the open session is refused on its next command, on every
     * daemon, the moment hubctl returns */
    hub_curve_t ak = {fx->srv_pub, fx->pub[5], fx->sec[5]};
    hub_client_t *aud = hub_client_new(s_zctx, fx->h[TENDERING].api, &ak, 10000);
    Tendering__BalanceRequest breq = TENDERING__BALANCE_REQUEST__INIT;
    ProtobufCMessage *rep;
    assert_int_equal(hub_client_call(aud, "tendering.funds.balance", &breq.base, NULL, a, &rep, &err), 0);
    /* as installed: root:hub 0640; a rewrite keeps owner, group and mode
     * (else the daemons could no longer read it). And a comment longer
     * than any buffer is a comment to its end, never a principal. */
    assert_int_equal(chown(fx->principals, 0, 65534), 0);
    assert_int_equal(chmod(fx->principals, 0640), 0);
    FILE *cf = fopen(fx->principals, "a");
    fputc('#', cf);
    for (int i = 0; i < 600; i++) fputc('x', cf);
    fprintf(cf, " mallory operator %s\n", fx->srv_pub);
    fclose(cf);
    assert_int_equal(s_hubctl(fx, "principal revoke wechat-2", out), 0);
    struct stat pst;
    assert_int_equal(stat(fx->principals, &pst), 0);
    assert_int_equal(pst.st_gid, 65534);
    assert_int_equal(pst.st_mode & 07777, 0640);
    assert_int_equal(s_hubctl(fx, "principal revoke who-auditor", out), 0);
    assert_true(s_file_has(out, "in effect"));
    assert_int_equal(s_submit(fresh, a, "r-revoked", &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__UNAUTHENTICATED);
    assert_int_equal(hub_client_call(aud, "tendering.funds.balance", &breq.base, NULL, a, &rep, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__UNAUTHENTICATED);
    hub_client_destroy(&fresh);
    hub_client_destroy(&aud);
    /* a new session with the revoked key gets none */
    fresh = hub_client_new(s_zctx, fx->h[INTAKE].api, &nk, 1500);
    assert_int_equal(s_submit(fresh, a, "r-after", &err), -1);
    hub_client_destroy(&fresh);
    assert_int_equal(s_hubctl(fx, "principal revoke wechat-2", out), 1); /* no longer listed */
    assert_int_equal(s_hubctl(fx, "principal list", out), 0);
    assert_false(s_file_has(out, "wechat-2"));
    assert_false(s_file_has(out, "mallory"));
    assert_true(s_file_has(out, "who-channel"));

    /* a broken file is not loaded: the daemons keep the last good list,
     * and hubctl says so rather than claiming it is in effect */
    struct stat st;
    assert_int_equal(stat(fx->principals, &st), 0);
    hub_curve_t ck = {fx->srv_pub, fx->pub[0], fx->sec[0]};
    hub_client_t *ch = hub_client_new(s_zctx, fx->h[INTAKE].api, &ck, 10000);
    assert_int_equal(s_submit(ch, a, "r-before-broken", &err), 0);
    FILE *f = fopen(fx->principals, "a");
    fputs("broken-line channel not-a-key\n", f);
    fclose(f);
    assert_int_equal(s_hubctl(fx, "principal list", out), 1);
    assert_int_equal(s_submit(ch, a, "r-with-broken", &err), 0); /* still served */
    hub_client_destroy(&ch);

    /* status shows how many principals each daemon holds, and the digest */
    hub_curve_t ok = {fx->srv_pub, fx->ops_pub, fx->ops_sec};
    hub_client_t *op = hub_client_new(s_zctx, fx->h[MATCHING].api, &ok, 10000);
    Hub__StatusRequest sreq = HUB__STATUS_REQUEST__INIT;
    Hub__StatusReply *srep;
    assert_int_equal(hub_client_call(op, "hub.status", &sreq.base, &hub__status_reply__descriptor, a,
                                     (ProtobufCMessage **)&srep, &err), 0);
    assert_int_equal(srep->principals, 2 + N_ROLES - 1); /* the auditor revoked */
    assert_int_equal(strlen(srep->principals_digest), 16);
    hub_client_destroy(&op);
    hub_arena_destroy(&a);
}

/* Activities: a channel registers and withdraws its own registrations
 * (another channel's are NOT_FOUND to it), the channel's identity is the
 * CURVE one whatever the payload says, and on a volunteer day (which
 * credits hours) only an operator records the check-in. */
static void test_activity_ownership(void **state)
{
    fx_t *fx = *state;
    hub_arena_t *a = hub_arena_new(4u << 20);
    hub_curve_t kc = {fx->srv_pub, fx->pub[0], fx->sec[0]}, ko = {fx->srv_pub, fx->pub[4], fx->sec[4]};
    hub_client_t *ch = hub_client_new(s_zctx, fx->h[INTAKE].api, &kc, 10000);
    hub_client_t *op = hub_client_new(s_zctx, fx->h[INTAKE].api, &ko, 10000);
    assert_non_null(ch);
    assert_non_null(op);
    hub_error_t err = {0};
    int64_t now = hub_now_ms();
    Intake__Activity act = INTAKE__ACTIVITY__INIT;
    act.kind = INTAKE__ACTIVITY_KIND__VOLUNTEER_DAY;
    act.title = "慈善义工日";
    act.place = "月湖公园";
    act.starts_ms = now - 3600000;
    act.ends_ms = now + 3600000;
    act.registration_deadline_ms = act.ends_ms;
    act.capacity = 5;
    Intake__CreateActivityRequest cr = INTAKE__CREATE_ACTIVITY_REQUEST__INIT;
    cr.activity = &act;
    Intake__ActivityReply *ar;
    assert_int_equal(hub_client_call(op, "intake.activity.create", &cr.base, &intake__activity_reply__descriptor, a,
                                     (ProtobufCMessage **)&ar, &err), 0);
    char aid[32];
    snprintf(aid, sizeof aid, "%s", ar->activity->activity_id);
    Intake__Person p = INTAKE__PERSON__INIT;
    p.name = "志愿者";
    p.phone = "13900004321";
    Intake__Registration r = INTAKE__REGISTRATION__INIT;
    r.activity_id = aid;
    r.channel = "payload-says-other";
    r.message_id = "own-1";
    r.registrant = &p;
    r.volunteer_id = "VOL-000042";
    Intake__RegisterRequest rq = INTAKE__REGISTER_REQUEST__INIT;
    rq.registration = &r;
    Intake__RegisterReply *rr;
    assert_int_equal(hub_client_call(ch, "intake.activity.register", &rq.base, &intake__register_reply__descriptor, a,
                                     (ProtobufCMessage **)&rr, &err), 0);
    assert_string_equal(rr->registration->channel, "who-channel"); /* the CURVE identity, not the payload */
    char rid[64];
    snprintf(rid, sizeof rid, "%s", rr->registration->registration_id);
    Intake__CheckinRequest ci = INTAKE__CHECKIN_REQUEST__INIT;
    ci.registration_id = rid;
    Intake__RegistrationReply *gr;
    assert_int_equal(hub_client_call(ch, "intake.activity.checkin", &ci.base, &intake__registration_reply__descriptor,
                                     a, (ProtobufCMessage **)&gr, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__PERMISSION_DENIED);
    assert_int_equal(hub_client_call(op, "intake.activity.checkin", &ci.base, &intake__registration_reply__descriptor,
                                     a, (ProtobufCMessage **)&gr, &err), 0);
    assert_int_equal(gr->registration->state, INTAKE__REGISTRATION_STATE__ATTENDED);
    /* the operator registers someone at the desk; the channel cannot touch it */
    p.phone = "13900004322";
    r.message_id = "desk-1";
    r.channel = "front-desk";
    r.volunteer_id = ""; /* someone else: the volunteer id would make a duplicate */
    assert_int_equal(hub_client_call(op, "intake.activity.register", &rq.base, &intake__register_reply__descriptor, a,
                                     (ProtobufCMessage **)&rr, &err), 0);
    Intake__UnregisterRequest ur = INTAKE__UNREGISTER_REQUEST__INIT;
    ur.registration_id = rr->registration->registration_id;
    Intake__UnregisterReply *urr;
    assert_int_equal(hub_client_call(ch, "intake.activity.unregister", &ur.base, &intake__unregister_reply__descriptor,
                                     a, (ProtobufCMessage **)&urr, &err), 1);
    assert_int_equal(err.code, HUB__ERROR_CODE__NOT_FOUND);
    hub_client_destroy(&ch);
    hub_client_destroy(&op);
    hub_arena_destroy(&a);
}

int main(void)
{
    s_zctx = zmq_ctx_new();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_role_every_command),
        cmocka_unit_test(test_activity_ownership),
        cmocka_unit_test(test_principal_add_revoke_without_restart),
    };
    int rc = cmocka_run_group_tests(tests, s_setup, s_teardown);
    /* a failed assertion leaves that test's client sockets open, and
     * zmq_ctx_term would wait for them forever */
    if (rc == 0) zmq_ctx_term(s_zctx);
    return rc;
}
