/* Integration tests of hub-notification's part of the activities (README
 * "Activities and the public's voice"): the real hub-intake, hub-matching
 * and hub-notification daemons in one temp dir, and real receivers on
 * 127.0.0.1 (tests/support/http_receiver.py as the webhook endpoint and
 * the SMS gateway, tests/support/smtp_receiver.py as the mail server).
 * Each test creates activities and registrations through intake's
 * commands (intake.activity.*) and reads what the receivers logged (one
 * JSON line per message) and what notification's commands report:
 * reminders reach a confirmed registrant and not a withdrawn one (and a
 * late registrant at once); a promoted registrant is told; a cancellation
 * reaches every registrant exactly once; an announcement reaches its
 * audience and nobody else; an erasure blanks the registrant's copy.
 * Waits are on conditions with deadlines, never on sleeps. */
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
#include "hub_util.h"
#include "notification.pb-c.h"

#define WAIT_MS 20000                     /* deadline of one condition */
#define PYTHON "/usr/bin/python3"         /* the system one: it has aiosmtpd */
#define HTTP_RECEIVER "tests/support/http_receiver.py"
#define SMTP_RECEIVER "tests/support/smtp_receiver.py"
#define SECRET "act-s3cret"
#define CHANNEL "wechat-miniapp"
#define HOUR_MS (3600 * 1000LL)
#define DAY_MS (24 * HOUR_MS)

static void *s_zctx;

/* ------------------------------------------------------------------ receivers */

/* One receiver process and its files in the run's receiver dir. */
typedef struct {
    pid_t pid;
    int port;
    char log[320], portfile[320], control[320], out[320];
} rcv_t;

static rcv_t s_http, s_smtp;
static char s_rdir[64];
static int s_test_no;

static int s_rcv_spawn(rcv_t *r, const char *name, const char *script, const char *const extra[])
{
    snprintf(r->log, sizeof r->log, "%s/%s.log", s_rdir, name);
    snprintf(r->portfile, sizeof r->portfile, "%s/%s.port", s_rdir, name);
    snprintf(r->control, sizeof r->control, "%s/%s.control", s_rdir, name);
    snprintf(r->out, sizeof r->out, "%s/%s.out", s_rdir, name);
    const char *argv[16] = {PYTHON, script, "--log", r->log, "--port-file", r->portfile, "--control", r->control};
    size_t n = 8;
    for (size_t i = 0; extra && extra[i] && n < 15; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    r->pid = harness_spawn(argv, r->out);
    return r->pid > 0 ? 0 : -1;
}

static int s_rcv_ready(rcv_t *r)
{
    long port = harness_wait_number_file(r->portfile, r->pid, 15000);
    if (port <= 0) {
        fprintf(stderr, "receiver %s did not start; see %s\n", r->log, r->out);
        return -1;
    }
    r->port = (int)port;
    return 0;
}

static int s_group_teardown(void **state)
{
    (void)state;
    int rc = 0;
    rcv_t *all[2] = {&s_http, &s_smtp};
    for (int i = 0; i < 2; i++)
        if (all[i]->pid > 0 && harness_kill(all[i]->pid, SIGTERM)) rc = -1;
    if (s_rdir[0] && !getenv("HUB_TEST_KEEP")) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_rdir);
        if (system(cmd)) { /* best effort */ }
    }
    return rc;
}

/* The receivers serve every test (python starts slowly); each test's lines
 * are told apart by their path (/t<N>/...) or envelope sender. */
static int s_group_setup(void **state)
{
    snprintf(s_rdir, sizeof s_rdir, "/tmp/hubact.XXXXXX");
    if (!mkdtemp(s_rdir)) return -1;
    const char *http_args[] = {"--secret", SECRET, NULL};
    if (s_rcv_spawn(&s_http, "http", HTTP_RECEIVER, http_args) || s_rcv_spawn(&s_smtp, "smtp", SMTP_RECEIVER, NULL) ||
        s_rcv_ready(&s_http) || s_rcv_ready(&s_smtp)) {
        fprintf(stderr, "a receiver did not start (is /usr/bin/python3 with aiosmtpd there?)\n");
        s_group_teardown(state);
        return -1;
    }
    return 0;
}

/* The value at a dotted path ("body.data.title") of a JSON object. */
static json_t *s_jget(json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save)) o = json_object_get(o, k);
    return o;
}

static const char *s_js(json_t *o, const char *path)
{
    const char *s = json_string_value(s_jget(o, path));
    return s ? s : "";
}

/* The lines of r's log (a new array) for which every criterion holds:
 * pairs of a dotted path and a value ("x" equal, "~x" contains). The
 * current test's lines only: its webhook and SMS paths start with
 * "/t<N>/", its mails come from "hub-t<N>@...". */
static json_t *s_lines_v(const rcv_t *r, const char *const crit[])
{
    json_t *out = json_array();
    FILE *f = fopen(r->log, "r");
    if (!f) return out;
    char mine_path[32], mine_from[64], *line = NULL;
    snprintf(mine_path, sizeof mine_path, "/t%d/", s_test_no);
    snprintf(mine_from, sizeof mine_from, "hub-t%d@haishu.example", s_test_no);
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] != '\n') break; /* being written */
        json_t *j = json_loads(line, 0, NULL);
        if (!j) fail_msg("%s: a line that is not JSON: %s", r->log, line);
        bool ok = !strncmp(s_js(j, "path"), mine_path, strlen(mine_path)) || !strcmp(s_js(j, "mail_from"), mine_from);
        for (size_t i = 0; ok && crit[i]; i += 2) {
            const char *want = crit[i + 1];
            json_t *v = s_jget(j, crit[i]);
            if (json_is_array(v)) { /* rcpt_tos: one of them */
                bool any = false;
                size_t k;
                json_t *x;
                json_array_foreach(v, k, x) any = any || (json_is_string(x) && !strcmp(json_string_value(x), want));
                ok = any;
                continue;
            }
            const char *s = json_is_string(v) ? json_string_value(v) : NULL;
            ok = s && (want[0] == '~' ? strstr(s, want + 1) != NULL : !strcmp(s, want));
        }
        if (ok) json_array_append(out, j);
        json_decref(j);
    }
    free(line);
    fclose(f);
    return out;
}
#define LINES(r, ...) s_lines_v((r), (const char *const[]){__VA_ARGS__, NULL})

typedef struct {
    const rcv_t *r;
    const char *const *crit;
    size_t min;
    json_t *got;
} lines_wait_t;

static bool s_lines_reached(void *p)
{
    lines_wait_t *w = p;
    json_decref(w->got);
    w->got = s_lines_v(w->r, w->crit);
    return json_array_size(w->got) >= w->min;
}

/* Waits (deadline_ms) until r's log has at least min lines matching crit;
 * returns them (the caller frees). */
static json_t *s_wait_lines_v(const rcv_t *r, size_t min, int deadline_ms, const char *const crit[], int line)
{
    lines_wait_t w = {r, crit, min, NULL};
    if (!harness_wait(s_lines_reached, &w, deadline_ms)) {
        char what[512] = "";
        for (size_t i = 0; crit[i]; i += 2)
            snprintf(what + strlen(what), sizeof what - strlen(what), " %s=%s", crit[i], crit[i + 1]);
        fail_msg("line %d: %s never had %zu lines with%s (has %zu)", line, r->log, min, what,
                 json_array_size(w.got));
    }
    return w.got;
}
#define WAIT_LINES(r, min, ...) \
    s_wait_lines_v((r), (min), WAIT_MS, (const char *const[]){__VA_ARGS__, NULL}, __LINE__)
#define WAIT_LINES_MS(r, min, ms, ...) \
    s_wait_lines_v((r), (min), (ms), (const char *const[]){__VA_ARGS__, NULL}, __LINE__)

/* Asserts r's log has exactly want lines matching the criteria. */
#define COUNT_LINES(r, want, ...)                                                                         \
    do {                                                                                                  \
        json_t *got_ = LINES((r), __VA_ARGS__);                                                           \
        if (json_array_size(got_) != (size_t)(want)) {                                                    \
            char *d_ = json_dumps(got_, JSON_COMPACT);                                                    \
            fail_msg("line %d: %zu lines, want %d: %.2000s", __LINE__, json_array_size(got_), (int)(want), \
                     d_ ? d_ : "");                                                                       \
        }                                                                                                 \
        json_decref(got_);                                                                                \
    } while (0)

/* ------------------------------------------------------------------ the daemons */

typedef struct {
    harness_t in, mt, nt;
    bool mt_init, nt_init;
    char from[64];          /* this test's smtp_from */
    char sms_path[32];      /* this test's SMS gateway path */
    hub_client_t *inc, *mtc, *ntc;
} env_t;

static int s_setup(void **state)
{
    s_test_no++;
    env_t *e = calloc(1, sizeof *e);
    if (!e || harness_init(&e->in, NULL)) {
        free(e);
        return -1;
    }
    *state = e;
    return 0;
}

/* Starts the three daemons; notif_extra: [notification] lines (may be
 * NULL). Quiet hours are off, schedules are looked at every 50 ms. */
static void s_up(env_t *e, const char *notif_extra)
{
    snprintf(e->from, sizeof e->from, "hub-t%d@haishu.example", s_test_no);
    snprintf(e->sms_path, sizeof e->sms_path, "/t%d/sms", s_test_no);
    if (harness_init_peer(&e->mt, &e->in, "matching", NULL)) fail_msg("matching peer");
    e->mt_init = true;
    char extra[2048];
    snprintf(extra, sizeof extra,
             "matching_api = %s\nmatching_pub = %s\n"
             "smtp_url = smtp://127.0.0.1:%d\nsmtp_from = %s\n"
             "sms_url = http://127.0.0.1:%d%s\n"
             "retry_base_ms = 50\nretry_max_ms = 200\nmax_attempts = 3\ntimeout_ms = 20000\n"
             "quiet_start = 00:00\nquiet_end = 00:00\nschedule_check_ms = 50\n%s",
             e->mt.api, e->mt.pub, s_smtp.port, e->from, s_http.port, e->sms_path, notif_extra ? notif_extra : "");
    if (harness_init_peer(&e->nt, &e->in, "notification", extra)) fail_msg("notification peer");
    e->nt_init = true;
    if (harness_start(&e->in)) fail_msg("hub-intake did not start");
    if (harness_start(&e->mt)) fail_msg("hub-matching did not start");
    if (harness_start(&e->nt)) fail_msg("hub-notification did not start (config in %s)", e->in.config);
    e->inc = hub_client_new(s_zctx, e->in.api, NULL, 15000);
    e->mtc = hub_client_new(s_zctx, e->mt.api, NULL, 15000);
    e->ntc = hub_client_new(s_zctx, e->nt.api, NULL, 15000);
}

static int s_teardown(void **state)
{
    env_t *e = *state;
    hub_client_destroy(&e->inc);
    hub_client_destroy(&e->mtc);
    hub_client_destroy(&e->ntc);
    int nrc = e->nt.pid > 0 ? harness_stop(&e->nt, SIGTERM) : 0;
    int mrc = e->mt.pid > 0 ? harness_stop(&e->mt, SIGTERM) : 0;
    int irc = e->in.pid > 0 ? harness_stop(&e->in, SIGTERM) : 0;
    if (e->nt_init) harness_fini(&e->nt);
    if (e->mt_init) harness_fini(&e->mt);
    harness_fini(&e->in);
    free(e);
    if (nrc || mrc || irc) {
        fprintf(stderr, "teardown: hub-notification exited %d, hub-matching %d, hub-intake %d\n", nrc, mrc, irc);
        return -1;
    }
    return 0;
}

/* Calls verb and asserts OK; the reply is unpacked into a. */
static void *s_ok_at(hub_client_t *c, const char *verb, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *d, hub_arena_t *a, int line)
{
    ProtobufCMessage *rep = NULL;
    hub_error_t err = {0};
    if (hub_client_call(c, verb, req, d, a, &rep, &err))
        fail_msg("line %d: %s: %s field \"%s\": %s", line, verb, hub_error_code_name(err.code), err.field,
                 err.message);
    return rep;
}
#define s_ok(c, verb, req, d, a) s_ok_at((c), (verb), (req), (d), (a), __LINE__)

/* ------------------------------------------------------------------ intake's activities */

/* Creates an activity (operator) and returns its id (into id). audience:
 * a bit set of intake.Audience (0 = everyone). */
static void s_create(env_t *e, const char *title, int64_t starts_ms, uint32_t capacity, uint32_t audience,
                     char id[48])
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    Intake__Activity act = INTAKE__ACTIVITY__INIT;
    act.kind = INTAKE__ACTIVITY_KIND__SALON;
    act.title = (char *)title;
    act.description = "社工沙龙：居家养老服务的经验交流。";
    act.starts_ms = starts_ms;
    act.ends_ms = starts_ms + 2 * HOUR_MS;
    act.place = "海曙区社会组织服务中心 三楼报告厅";
    act.street = "鼓楼街道";
    act.capacity = capacity;
    act.audience = audience;
    Intake__CreateActivityRequest q = INTAKE__CREATE_ACTIVITY_REQUEST__INIT;
    q.activity = &act;
    Intake__ActivityReply *r = s_ok(e->inc, "intake.activity.create", &q.base, &intake__activity_reply__descriptor, a);
    assert_non_null(r->activity);
    assert_true(strlen(r->activity->activity_id) > 0 && strlen(r->activity->activity_id) < 48);
    snprintf(id, 48, "%s", r->activity->activity_id);
    hub_arena_destroy(&a);
}

/* Registers a person to activity aid through the channel (message id
 * mid): an e-mail or a phone (the other NULL), consent as given. Returns
 * the state given; the registration id goes into rid. */
static Intake__RegistrationState s_register(env_t *e, const char *aid, const char *mid, const char *name,
                                            const char *email, const char *phone, bool consent, char rid[64])
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    Intake__Person p = INTAKE__PERSON__INIT;
    p.name = (char *)name;
    p.email = (char *)(email ? email : "");
    p.phone = (char *)(phone ? phone : "");
    Intake__Registration reg = INTAKE__REGISTRATION__INIT;
    reg.activity_id = (char *)aid;
    reg.channel = CHANNEL;
    reg.message_id = (char *)mid;
    reg.registrant = &p;
    reg.consent_to_contact = consent;
    reg.language = "zh";
    Intake__RegisterRequest q = INTAKE__REGISTER_REQUEST__INIT;
    q.registration = &reg;
    Intake__RegisterReply *r = s_ok(e->inc, "intake.activity.register", &q.base, &intake__register_reply__descriptor, a);
    assert_non_null(r->registration);
    assert_false(r->duplicate_submission);
    snprintf(rid, 64, "%s", r->registration->registration_id);
    Intake__RegistrationState st = r->registration->state;
    hub_arena_destroy(&a);
    return st;
}

/* Withdraws registration rid; returns the id of the registration promoted
 * ("" when none) into promoted (may be NULL). */
static void s_unregister(env_t *e, const char *rid, char promoted[64])
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    Intake__UnregisterRequest q = INTAKE__UNREGISTER_REQUEST__INIT;
    q.registration_id = (char *)rid;
    q.reason = "有事不能参加";
    Intake__UnregisterReply *r =
        s_ok(e->inc, "intake.activity.unregister", &q.base, &intake__unregister_reply__descriptor, a);
    assert_non_null(r->registration);
    assert_int_equal(r->registration->state, INTAKE__REGISTRATION_STATE__WITHDRAWN);
    if (promoted) snprintf(promoted, 64, "%s", r->promoted ? r->promoted->registration_id : "");
    hub_arena_destroy(&a);
}

/* ------------------------------------------------------------------ notification's side */

/* notification.subject.export by e-mail: the registrations it keeps for
 * that address (unpacked into a). */
static Notification__SubjectExportReply *s_export(env_t *e, hub_arena_t *a, const char *email)
{
    Notification__SubjectExportRequest q = NOTIFICATION__SUBJECT_EXPORT_REQUEST__INIT;
    q.email = (char *)email;
    return s_ok(e->ntc, "notification.subject.export", &q.base, &notification__subject_export_reply__descriptor, a);
}

typedef struct {
    env_t *e;
    const char *email, *rid;
    uint32_t state;        /* wanted; 0: the registration is not kept for the e-mail */
} reg_wait_t;

/* True once notification keeps registration rid for the e-mail in state
 * (or, for state 0, none for it). */
static bool s_reg_reached(void *p)
{
    reg_wait_t *w = p;
    hub_arena_t *a = hub_arena_new(1 << 20);
    Notification__SubjectExportReply *r = s_export(w->e, a, w->email);
    bool found = false, ok = false;
    for (size_t i = 0; i < r->n_registrations; i++)
        if (!strcmp(r->registrations[i]->registration_id, w->rid)) {
            found = true;
            ok = r->registrations[i]->state == w->state;
        }
    hub_arena_destroy(&a);
    return w->state ? ok : !found;
}

static void s_wait_reg(env_t *e, const char *email, const char *rid, uint32_t state)
{
    reg_wait_t w = {e, email, rid, state};
    if (!harness_wait(s_reg_reached, &w, WAIT_MS))
        fail_msg("notification never had registration %s (%s) in state %u", rid, email, state);
}

/* The deliveries to recipient (e.g. "registrant:<id>") with template
 * (NULL: any), counted. */
static size_t s_deliveries(env_t *e, const char *recipient, const char *template)
{
    hub_arena_t *a = hub_arena_new(4 << 20);
    Notification__ListDeliveriesRequest q = NOTIFICATION__LIST_DELIVERIES_REQUEST__INIT;
    q.recipient = (char *)recipient;
    q.limit = 500;
    Notification__ListDeliveriesReply *r =
        s_ok(e->ntc, "notification.delivery.list", &q.base, &notification__list_deliveries_reply__descriptor, a);
    size_t n = 0;
    for (size_t i = 0; i < r->n_deliveries; i++) n += !template || !strcmp(r->deliveries[i]->template_, template);
    hub_arena_destroy(&a);
    return n;
}

/* The webhook URL of directory recipient id on the HTTP receiver. */
static void s_hook_url(const char *id, char *out, size_t len)
{
    snprintf(out, len, "http://127.0.0.1:%d/t%d/hook/%s", s_http.port, s_test_no, id);
}

/* Puts recipient id with a webhook on the HTTP receiver and the given
 * audience words (NULL-terminated). */
static void s_put_recipient(env_t *e, const char *id, char **audiences)
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    char url[160];
    s_hook_url(id, url, sizeof url);
    Notification__Channel chans[2] = {NOTIFICATION__CHANNEL__WEBHOOK, NOTIFICATION__CHANNEL__INBOX};
    Notification__Recipient r = NOTIFICATION__RECIPIENT__INIT;
    r.id = (char *)id;
    r.name = (char *)id;
    r.consent = 1;
    r.channels = chans;
    r.n_channels = 2;
    r.webhook_url = url;
    r.webhook_secret = SECRET;
    r.audiences = audiences;
    while (audiences && audiences[r.n_audiences]) r.n_audiences++;
    Notification__PutRecipientRequest q = NOTIFICATION__PUT_RECIPIENT_REQUEST__INIT;
    q.recipient = &r;
    Notification__RecipientReply *rep =
        s_ok(e->ntc, "notification.recipient.put", &q.base, &notification__recipient_reply__descriptor, a);
    assert_int_equal(rep->recipient->n_audiences, r.n_audiences);
    hub_arena_destroy(&a);
}

/* ------------------------------------------------------------------ tests */

/* The registrant's mails of this test with template (subject contains). */
#define MAILS_TO(to, subj) LINES(&s_smtp, "rcpt_tos", (to), "subject", "~" subj)

static bool s_time_passed(void *p) { return hub_now_ms() > *(int64_t *)p; }

/* A reminder `activity_reminder_min` (1) before the start reaches the
 * registrant who holds a place, by e-mail on a real SMTP server; one who
 * withdrew before it gets nothing, nor one without consent; a registrant
 * confirmed after the reminder time (before the start) is reminded at
 * once; each exactly once. */
static void test_reminder_confirmed_not_withdrawn(void **state)
{
    env_t *e = *state;
    s_up(e, "activity_reminder_min = 1\n");
    /* the reminder is due 20 s after the creation: time enough for the
     * registrations and the withdrawal below to be applied first */
    int64_t start = hub_now_ms() + 80 * 1000, fire = start - 60 * 1000;
    char aid[48], ra[64], rb[64], rd[64], rc[64];
    s_create(e, "社工沙龙：提醒测试", start, 10, 0, aid);
    assert_int_equal(s_register(e, aid, "m-a", "张三", "a.zhang@example.cn", NULL, true, ra),
                     INTAKE__REGISTRATION_STATE__CONFIRMED);
    assert_int_equal(s_register(e, aid, "m-b", "李四", "b.li@example.cn", NULL, true, rb),
                     INTAKE__REGISTRATION_STATE__CONFIRMED);
    assert_int_equal(s_register(e, aid, "m-d", "王五", "d.wang@example.cn", NULL, false, rd),
                     INTAKE__REGISTRATION_STATE__CONFIRMED);
    s_unregister(e, rb, NULL);
    s_wait_reg(e, "a.zhang@example.cn", ra, INTAKE__REGISTRATION_STATE__CONFIRMED);
    s_wait_reg(e, "b.li@example.cn", rb, INTAKE__REGISTRATION_STATE__WITHDRAWN);
    if (hub_now_ms() >= fire)
        fail_msg("the machine is too slow for this test: the withdrawal was applied after the reminder time");
    /* nothing before its time */
    COUNT_LINES(&s_smtp, 0, "rcpt_tos", "a.zhang@example.cn");

    json_t *got = WAIT_LINES_MS(&s_smtp, 1, (int)(fire - hub_now_ms()) + WAIT_MS, "rcpt_tos", "a.zhang@example.cn",
                                "subject", "~活动提醒");
    json_t *m = json_array_get(got, 0);
    assert_true(json_integer_value(json_object_get(m, "time_ms")) >= fire);
    const char *text = s_js(m, "text");
    if (!strstr(text, "社工沙龙：提醒测试") || !strstr(text, "三楼报告厅") || !strstr(text, ra))
        fail_msg("reminder text lacks the title, place or registration: %s", text);
    json_decref(got);

    /* a late registrant (after the reminder time, before the start) is
     * reminded at once */
    assert_int_equal(s_register(e, aid, "m-c", "赵六", "c.zhao@example.cn", NULL, true, rc),
                     INTAKE__REGISTRATION_STATE__CONFIRMED);
    got = WAIT_LINES(&s_smtp, 1, "rcpt_tos", "c.zhao@example.cn", "subject", "~活动提醒");
    json_decref(got);

    /* every schedule was due before C's: the withdrawn and the one
     * without consent got nothing, A exactly one */
    char who[96];
    snprintf(who, sizeof who, "registrant:%s", rb);
    assert_int_equal(s_deliveries(e, who, NULL), 0);
    snprintf(who, sizeof who, "registrant:%s", rd);
    assert_int_equal(s_deliveries(e, who, NULL), 0);
    snprintf(who, sizeof who, "registrant:%s", ra);
    assert_int_equal(s_deliveries(e, who, "activity_reminder"), 1);
    COUNT_LINES(&s_smtp, 0, "rcpt_tos", "b.li@example.cn");
    COUNT_LINES(&s_smtp, 0, "rcpt_tos", "d.wang@example.cn");
    COUNT_LINES(&s_smtp, 1, "rcpt_tos", "a.zhang@example.cn");

    /* a restart replays nothing and fires nothing again */
    assert_int_equal(harness_stop(&e->nt, SIGTERM), 0);
    assert_int_equal(harness_start(&e->nt), 0);
    int64_t until = hub_now_ms() + 500; /* ten schedule checks */
    assert_true(harness_wait(s_time_passed, &until, 5000));
    snprintf(who, sizeof who, "registrant:%s", ra);
    assert_int_equal(s_deliveries(e, who, "activity_reminder"), 1);
}

/* Capacity 1: the place freed by a withdrawal goes to the first on the
 * waitlist, who is told by SMS (a real HTTP SMS gateway); then the
 * activity is cancelled: every registrant still holding or waiting for a
 * place is told once, with the reason, and the withdrawn one is not. */
static void test_promotion_and_cancellation(void **state)
{
    env_t *e = *state;
    s_up(e, NULL);
    char aid[48], ra[64], rb[64], rc[64], promoted[64];
    s_create(e, "公益讲坛：候补测试", hub_now_ms() + 2 * DAY_MS, 1, 0, aid);
    assert_int_equal(s_register(e, aid, "p-a", "张三", "pa@example.cn", NULL, true, ra),
                     INTAKE__REGISTRATION_STATE__CONFIRMED);
    assert_int_equal(s_register(e, aid, "p-b", "李四", NULL, "13800001111", true, rb),
                     INTAKE__REGISTRATION_STATE__WAITLISTED);
    assert_int_equal(s_register(e, aid, "p-c", "王五", "pc@example.cn", NULL, true, rc),
                     INTAKE__REGISTRATION_STATE__WAITLISTED);
    s_unregister(e, ra, promoted);
    assert_string_equal(promoted, rb);

    char path[64];
    snprintf(path, sizeof path, "%s", e->sms_path);
    json_t *got = WAIT_LINES(&s_http, 1, "path", path, "body.to", "13800001111", "body.text", "~您已获得活动名额");
    const char *text = s_js(json_array_get(got, 0), "body.text");
    if (!strstr(text, "公益讲坛：候补测试") || !strstr(text, rb)) fail_msg("promotion text: %s", text);
    json_decref(got);
    /* the others heard nothing of it */
    COUNT_LINES(&s_smtp, 0, "rcpt_tos", "pc@example.cn");
    COUNT_LINES(&s_smtp, 0, "rcpt_tos", "pa@example.cn");

    hub_arena_t *a = hub_arena_new(1 << 20);
    Intake__CancelActivityRequest cq = INTAKE__CANCEL_ACTIVITY_REQUEST__INIT;
    cq.activity_id = aid;
    cq.reason = "场地临时维修";
    s_ok(e->inc, "intake.activity.cancel", &cq.base, &intake__activity_reply__descriptor, a);
    hub_arena_destroy(&a);

    got = WAIT_LINES(&s_http, 1, "path", path, "body.to", "13800001111", "body.text", "~活动取消");
    text = s_js(json_array_get(got, 0), "body.text");
    if (!strstr(text, "场地临时维修")) fail_msg("cancellation without its reason: %s", text);
    json_decref(got);
    got = WAIT_LINES(&s_smtp, 1, "rcpt_tos", "pc@example.cn", "subject", "~活动取消");
    if (!strstr(s_js(json_array_get(got, 0), "text"), "场地临时维修")) fail_msg("mail without the reason");
    json_decref(got);

    /* exactly once: one delivery each (made in the transaction applying
     * its event, so all are there now), one message on each receiver,
     * none for the withdrawn registrant */
    char who[96];
    snprintf(who, sizeof who, "registrant:%s", rb);
    assert_int_equal(s_deliveries(e, who, "activity_cancelled"), 1);
    snprintf(who, sizeof who, "registrant:%s", rc);
    assert_int_equal(s_deliveries(e, who, "activity_cancelled"), 1);
    snprintf(who, sizeof who, "registrant:%s", ra);
    assert_int_equal(s_deliveries(e, who, NULL), 0);
    COUNT_LINES(&s_http, 1, "path", path, "body.text", "~活动取消");
    COUNT_LINES(&s_smtp, 1, "rcpt_tos", "pc@example.cn");
    COUNT_LINES(&s_smtp, 0, "rcpt_tos", "pa@example.cn");
}

typedef struct {
    env_t *e;
    const char *id;
    const char *word;
} aud_wait_t;

/* True once directory recipient id has audience word. */
static bool s_has_audience(void *p)
{
    aud_wait_t *w = p;
    hub_arena_t *a = hub_arena_new(1 << 20);
    Notification__GetRecipientRequest q = NOTIFICATION__GET_RECIPIENT_REQUEST__INIT;
    q.id = (char *)w->id;
    Notification__RecipientReply *r = NULL;
    hub_error_t err = {0};
    bool ok = false;
    if (!hub_client_call(w->e->ntc, "notification.recipient.get", &q.base, &notification__recipient_reply__descriptor,
                         a, (ProtobufCMessage **)&r, &err))
        for (size_t i = 0; i < r->recipient->n_audiences; i++) ok = ok || !strcmp(r->recipient->audiences[i], w->word);
    hub_arena_destroy(&a);
    return ok;
}

/* Announcements reach the activity's audience: a member organization of
 * the library (tagged "organizations" by matching's events when
 * approved), a party an operator tagged "public" (the WeChat official
 * account's webhook) and one tagged "volunteers"; an activity for member
 * organizations and the public reaches the first two only, one for
 * everyone all three, and a recipient without an audience never. */
static void test_announcement_audience(void **state)
{
    env_t *e = *state;
    s_up(e, NULL);
    hub_arena_t *a = hub_arena_new(1 << 20);
    hub_error_t err = {0};
    Matching__Organization *org =
        harness_add_org(e->mtc, a, "ORG-ACT1", NULL, "elderly-care", "鼓楼街道", 3, true, &err);
    if (!org) fail_msg("org: %s", err.message);
    aud_wait_t aw = {e, "ORG-ACT1", "organizations"};
    if (!harness_wait(s_has_audience, &aw, WAIT_MS)) fail_msg("ORG-ACT1 never got the audience organizations");
    /* the operator gives it a webhook (the whole record: the audience kept) */
    char *orgs[] = {"organizations", NULL}, *pub[] = {"public", NULL}, *vols[] = {"volunteers", NULL}, *none[] = {NULL};
    s_put_recipient(e, "ORG-ACT1", orgs);
    s_put_recipient(e, "WECHAT-MP", pub);
    s_put_recipient(e, "VOL-TEAM", vols);
    s_put_recipient(e, "GOV-BUREAU", none);

    char a1[48], a2[48];
    s_create(e, "社会组织培训：项目申报", hub_now_ms() + 3 * DAY_MS, 50,
             INTAKE__AUDIENCE__MEMBER_ORGANIZATIONS | INTAKE__AUDIENCE__PUBLIC, a1);
    Intake__AnnounceActivityRequest q = INTAKE__ANNOUNCE_ACTIVITY_REQUEST__INIT;
    q.activity_id = a1;
    q.text = "欢迎各社会组织报名参加项目申报培训。";
    s_ok(e->inc, "intake.activity.announce", &q.base, &intake__activity_reply__descriptor, a);
    char p_org[96], p_pub[96], p_vol[96], p_gov[96];
    snprintf(p_org, sizeof p_org, "/t%d/hook/ORG-ACT1", s_test_no);
    snprintf(p_pub, sizeof p_pub, "/t%d/hook/WECHAT-MP", s_test_no);
    snprintf(p_vol, sizeof p_vol, "/t%d/hook/VOL-TEAM", s_test_no);
    snprintf(p_gov, sizeof p_gov, "/t%d/hook/GOV-BUREAU", s_test_no);
    json_t *got = WAIT_LINES(&s_http, 1, "path", p_org, "body.template", "activity_announcement");
    json_t *m = json_array_get(got, 0);
    if (!strstr(s_js(m, "body.text"), "欢迎各社会组织报名参加项目申报培训。") ||
        !strstr(s_js(m, "body.text"), a1) || strcmp(s_js(m, "body.data.title"), "社会组织培训：项目申报"))
        fail_msg("announcement: %s", s_js(m, "body.text"));
    if (!json_is_true(json_object_get(m, "signature_ok"))) fail_msg("announcement not signed with the secret");
    json_decref(got);
    json_decref(WAIT_LINES(&s_http, 1, "path", p_pub, "body.template", "activity_announcement"));

    /* everyone (audience 0), without a text: the description is used */
    s_create(e, "慈善义工日预告", hub_now_ms() + 4 * DAY_MS, 50, 0, a2);
    q.activity_id = a2;
    q.text = "";
    s_ok(e->inc, "intake.activity.announce", &q.base, &intake__activity_reply__descriptor, a);
    got = WAIT_LINES(&s_http, 1, "path", p_vol, "body.template", "activity_announcement");
    if (!strstr(s_js(json_array_get(got, 0), "body.text"), "居家养老服务的经验交流"))
        fail_msg("the default text is not the description: %s", s_js(json_array_get(got, 0), "body.text"));
    json_decref(got);
    json_decref(WAIT_LINES(&s_http, 2, "path", p_org, "body.template", "activity_announcement"));
    json_decref(WAIT_LINES(&s_http, 2, "path", p_pub, "body.template", "activity_announcement"));

    /* both announcements' deliveries exist by now (each made when its
     * event was applied): the volunteers had only the second, the
     * recipient without an audience none */
    assert_int_equal(s_deliveries(e, "VOL-TEAM", "activity_announcement"), 2); /* webhook + inbox */
    assert_int_equal(s_deliveries(e, "GOV-BUREAU", NULL), 0);
    assert_int_equal(s_deliveries(e, "ORG-ACT1", "activity_announcement"), 4);
    COUNT_LINES(&s_http, 1, "path", p_vol);
    COUNT_LINES(&s_http, 0, "path", p_gov);
    COUNT_LINES(&s_http, 2, "path", p_org);
    hub_arena_destroy(&a);
}

/* An erasure at intake (intake.subject.erase by e-mail) names the
 * registration: notification blanks its copy of the registrant's contact
 * (the export no longer finds it) and the deliveries made to them. */
static void test_erasure_blanks_registrant(void **state)
{
    env_t *e = *state;
    s_up(e, NULL);
    char aid[48], ra[64], rb[64], promoted[64];
    s_create(e, "经验分享会：擦除测试", hub_now_ms() + 2 * DAY_MS, 1, 0, aid);
    s_register(e, aid, "e-a", "张三", "first@example.cn", NULL, true, ra);
    s_register(e, aid, "e-b", "李四", "erase.me@example.cn", NULL, true, rb);
    s_unregister(e, ra, promoted);
    assert_string_equal(promoted, rb);
    json_decref(WAIT_LINES(&s_smtp, 1, "rcpt_tos", "erase.me@example.cn", "subject", "~您已获得活动名额"));
    s_wait_reg(e, "erase.me@example.cn", rb, INTAKE__REGISTRATION_STATE__CONFIRMED);

    hub_arena_t *a = hub_arena_new(1 << 20);
    Intake__SubjectEraseRequest q = INTAKE__SUBJECT_ERASE_REQUEST__INIT;
    Intake__Subject subj = INTAKE__SUBJECT__INIT;
    subj.email = "erase.me@example.cn";
    q.subject = &subj;
    q.reason = "ticket 42";
    Intake__SubjectEraseReply *r =
        s_ok(e->inc, "intake.subject.erase", &q.base, &intake__subject_erase_reply__descriptor, a);
    bool named = false;
    for (size_t i = 0; i < r->n_registration_ids; i++) named = named || !strcmp(r->registration_ids[i], rb);
    if (!named) fail_msg("intake's erasure did not name registration %s", rb);
    s_wait_reg(e, "erase.me@example.cn", rb, 0);
    /* the delivery of the promotion is blanked too */
    Notification__SubjectExportReply *x = s_export(e, a, "erase.me@example.cn");
    assert_int_equal(x->n_deliveries, 0);
    assert_int_equal(x->n_registrations, 0);
    hub_arena_destroy(&a);
}

int main(void)
{
    s_zctx = zmq_ctx_new();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reminder_confirmed_not_withdrawn, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_promotion_and_cancellation, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_announcement_audience, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_erasure_blanks_registrant, s_setup, s_teardown),
    };
    int rc = cmocka_run_group_tests_name("it_activity_notify", tests, s_group_setup, s_group_teardown);
    zmq_ctx_term(s_zctx);
    return rc;
}
