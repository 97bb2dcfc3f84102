/* Integration tests of hub-notification: the real hub-intake, hub-matching
 * and hub-notification daemons in one temp dir (one config file), on ipc://
 * sockets, and real receivers on 127.0.0.1: tests/support/http_receiver.py
 * as the providers' webhook endpoint and as the SMS gateway, and
 * tests/support/smtp_receiver.py as the mail server. Each test submits help
 * requests to intake and reads what the receivers logged (one JSON line per
 * message received) and what notification's commands report. Readiness
 * comes from each daemon's sd_notify READY=1 and each receiver's port file;
 * waits are on conditions with deadlines, never on sleeps. The receivers
 * (slow to start) serve the whole run: each test sets their modes through
 * their control files and looks only at the lines logged since it began.
 * HUB_TEST_TIMING=1 prints each test's duration; HUB_TEST_KEEP=1 keeps the
 * temp dirs (configs, stores, receiver logs in /tmp/hubrcv.*). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "hub_util.h"
#include "matching.pb-c.h"
#include "notification.pb-c.h"

#define WAIT_MS 20000                     /* deadline of one condition */
#define PYTHON "/usr/bin/python3"         /* the system one: it has aiosmtpd */
#define HTTP_RECEIVER "tests/support/http_receiver.py"
#define SMTP_RECEIVER "tests/support/smtp_receiver.py"
#define SECRET "s3cret-测试"               /* the providers' webhook HMAC key */
#define ORG "ORG-GULOU"
#define REQUESTER "requester:"

static void *s_zctx;

/* ------------------------------------------------------------------ receivers */

/* One receiver process; its files (log, port, control, output) live in
 * the run's receiver dir. */
typedef struct {
    pid_t pid;
    int port;
    char log[320], portfile[320], control[320], out[320];
    size_t base;        /* log lines written before the current test */
    char tag[64];       /* what marks the current test's lines: the path
                         * prefix (HTTP) or the envelope sender (SMTP) */
} rcv_t;

/* Starts script (http or smtp receiver) as name, with its log, port file,
 * control file and extra arguments (NULL-terminated); waits for its port.
 * Keeps r->port when set (a restart on the same port). 0 or -1. */
static int s_rcv_spawn(rcv_t *r, const char *dir, const char *name, const char *script, const char *const extra[])
{
    snprintf(r->log, sizeof r->log, "%s/%s.log", dir, name);
    snprintf(r->portfile, sizeof r->portfile, "%s/%s.port", dir, name);
    snprintf(r->control, sizeof r->control, "%s/%s.control", dir, name);
    snprintf(r->out, sizeof r->out, "%s/%s.out", dir, name);
    unlink(r->portfile);
    char port[16];
    snprintf(port, sizeof port, "%d", r->port);
    const char *argv[24] = {PYTHON, script, "--log", r->log, "--port-file", r->portfile,
                            "--control", r->control, "--port", port};
    size_t n = 10;
    for (size_t i = 0; extra && extra[i] && n < 23; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    r->pid = harness_spawn(argv, r->out);
    return r->pid > 0 ? 0 : -1;
}

static int s_rcv_ready(rcv_t *r)
{
    long port = harness_wait_number_file(r->portfile, r->pid, 15000);
    if (port <= 0) {
        fprintf(stderr, "receiver %s did not start; see %s\n", r->log, r->out);
        if (r->pid > 0 && waitpid(r->pid, NULL, WNOHANG) == 0) harness_kill(r->pid, SIGKILL); /* else reaped */
        r->pid = 0;
        return -1;
    }
    r->port = (int)port;
    return 0;
}

/* Stops a receiver with SIGTERM; it must exit 0. */
static int s_rcv_stop(rcv_t *r)
{
    if (r->pid <= 0) return 0;
    int rc = harness_kill(r->pid, SIGTERM);
    r->pid = 0;
    return rc;
}

/* Writes a mode into a receiver's control file (it applies to the next
 * request it receives). */
static void s_control(rcv_t *r, const char *mode)
{
    char tmp[340];
    snprintf(tmp, sizeof tmp, "%s.tmp", r->control);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", mode);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename(tmp, r->control), 0);
}

/* True if a log line is the current test's: a previous test's message may
 * still be logged (late) after the next test began. */
static bool s_mine(const rcv_t *r, json_t *line)
{
    const char *path = json_string_value(json_object_get(line, "path"));
    const char *from = json_string_value(json_object_get(line, "mail_from"));
    return path ? !strncmp(path, r->tag, strlen(r->tag)) : from && !strcmp(from, r->tag);
}

/* Every whole JSON line of a receiver's log, as a JSON array (empty while
 * there is no log yet); with current, only those of the current test. */
static json_t *s_log_from(const rcv_t *r, bool current)
{
    json_t *all = json_array();
    FILE *f = fopen(r->log, "r");
    if (!f) return all;
    char *line = NULL;
    size_t cap = 0, seen = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] != '\n') break; /* being written */
        if (current && seen++ < r->base) continue;
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        if (!j) fail_msg("%s: a line that is not JSON (%s): %s", r->log, je.text, line);
        if (current && !s_mine(r, j)) json_decref(j);
        else json_array_append_new(all, j);
    }
    free(line);
    fclose(f);
    return all;
}

/* The lines the receiver logged during the current test. */
static json_t *s_log(const rcv_t *r) { return s_log_from(r, true); }

static size_t s_log_count(const rcv_t *r)
{
    json_t *all = s_log(r);
    size_t n = json_array_size(all);
    json_decref(all);
    return n;
}

/* The value at a dotted path ("body.data.provider") of a JSON object. */
static json_t *s_jget(json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save)) o = json_object_get(o, k);
    return o;
}

/* The string at path, or "" (never NULL). */
static const char *s_js(json_t *o, const char *path)
{
    const char *s = json_string_value(s_jget(o, path));
    return s ? s : "";
}

static long long s_ji(json_t *o, const char *path)
{
    json_t *v = s_jget(o, path);
    if (!json_is_integer(v)) fail_msg("%s is not an integer", path);
    return json_integer_value(v);
}

/* True if line matches every criterion: pairs of a path and a value
 * ("x" equal, "~x" contains; integers and booleans by their text). */
static bool s_matches(json_t *line, const char *const crit[])
{
    for (size_t i = 0; crit[i]; i += 2) {
        json_t *v = s_jget(line, crit[i]);
        const char *want = crit[i + 1];
        if (json_is_string(v)) {
            const char *s = json_string_value(v);
            if (want[0] == '~' ? !strstr(s, want + 1) : strcmp(s, want)) return false;
        } else if (json_is_integer(v)) {
            if (json_integer_value(v) != strtoll(want, NULL, 10)) return false;
        } else if (json_is_boolean(v)) {
            if (strcmp(json_is_true(v) ? "true" : "false", want)) return false;
        } else if (json_is_null(v)) {
            if (strcmp(want, "null")) return false;
        } else {
            return false;
        }
    }
    return true;
}

/* The lines of r's log that match crit (a new JSON array). */
static json_t *s_lines_v(const rcv_t *r, const char *const crit[])
{
    json_t *all = s_log(r), *out = json_array();
    size_t i;
    json_t *line;
    json_array_foreach(all, i, line) if (s_matches(line, crit)) json_array_append(out, line);
    json_decref(all);
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

/* Waits until r's log has at least min lines matching crit; returns them. */
static json_t *s_wait_lines_v(const rcv_t *r, size_t min, const char *const crit[], int line)
{
    lines_wait_t w = {r, crit, min, NULL};
    if (!harness_wait(s_lines_reached, &w, WAIT_MS)) {
        char what[512] = "";
        for (size_t i = 0; crit[i]; i += 2) {
            size_t n = strlen(what);
            snprintf(what + n, sizeof what - n, " %s=%s", crit[i], crit[i + 1]);
        }
        json_t *all = s_log(r);
        char *dump = json_dumps(all, JSON_COMPACT);
        size_t len = dump ? strlen(dump) : 0;
        fail_msg("line %d: %s never had %zu lines with%s (has %zu); log (%zu lines, tail): %s", line, r->log, min,
                 what, json_array_size(w.got), json_array_size(all), dump ? dump + (len > 3000 ? len - 3000 : 0) : "");
    }
    return w.got;
}
#define WAIT_LINES(r, min, ...) s_wait_lines_v((r), (min), (const char *const[]){__VA_ARGS__, NULL}, __LINE__)

/* True if any line of r's log mentions text anywhere (the receivers write
 * UTF-8, not \u escapes). */
static bool s_log_mentions(const rcv_t *r, const char *text)
{
    FILE *f = fopen(r->log, "r");
    if (!f) return false;
    char *line = NULL;
    size_t cap = 0, seen = 0;
    bool found = false;
    while (!found && getline(&line, &cap, f) > 0) {
        if (seen++ < r->base || !strstr(line, text)) continue;
        json_t *j = json_loads(line, 0, NULL);
        found = j && s_mine(r, j);
        json_decref(j);
    }
    free(line);
    fclose(f);
    return found;
}

/* An HTTP receiver's counters (as its GET /stats counts them) over the
 * current test's lines: requests, unique (processed: status 200 or 0, not
 * a duplicate), duplicates, bad_signatures, failed (5xx), hung (0). */
static json_t *s_stats(const rcv_t *r)
{
    json_t *lines = s_log(r), *l;
    long long n[6] = {0};
    size_t i;
    json_array_foreach(lines, i, l) {
        json_t *st = json_object_get(l, "status");
        long long status = json_is_integer(st) ? json_integer_value(st) : -1;
        bool dup = json_is_true(json_object_get(l, "duplicate"));
        n[0]++;
        if (dup) n[2]++;
        else if (status == 0 || status == 200) n[1]++;
        if (json_is_false(json_object_get(l, "signature_ok"))) n[3]++;
        if (status >= 500) n[4]++;
        if (status == 0) n[5]++;
    }
    json_decref(lines);
    return json_pack("{sIsIsIsIsIsI}", "requests", n[0], "unique", n[1], "duplicates", n[2], "bad_signatures", n[3],
                     "failed", n[4], "hung", n[5]);
}

/* ------------------------------------------------------------------ the daemons */

typedef struct {
    const char *hook_mode;       /* the webhook receiver's mode for this test (NULL: ok) */
    const char *matching_extra;  /* [matching] lines (NULL: none) */
    const char *notif_extra;     /* [notification] lines after the test defaults */
    const char *from_name;       /* smtp_from = "<from_name> <address>" (NULL: the address) */
} opts_t;

/* The receivers serve every test (python starts slowly); each test sets
 * their modes through their control files and reads only its own lines. */
static rcv_t s_hook, s_sms, s_smtp;
static char s_rdir[64];

typedef struct {
    harness_t in, mt, nt;
    bool mt_init, nt_init;
    rcv_t *hook, *sms, *smtp;
    char from[64];         /* smtp_from: "hub-t<test>@haishu.example" */
    hub_client_t *inc, *mtc, *ntc;
} env_t;

static int s_group_setup(void **state)
{
    (void)state;
    snprintf(s_rdir, sizeof s_rdir, "/tmp/hubrcv.XXXXXX");
    if (!mkdtemp(s_rdir)) return -1;
    const char *hook_args[] = {"--secret", SECRET, NULL};
    /* in parallel: each takes a second or more to start */
    if (s_rcv_spawn(&s_hook, s_rdir, "hook", HTTP_RECEIVER, hook_args) ||
        s_rcv_spawn(&s_sms, s_rdir, "sms", HTTP_RECEIVER, NULL) ||
        s_rcv_spawn(&s_smtp, s_rdir, "smtp", SMTP_RECEIVER, NULL))
        return -1;
    if (s_rcv_ready(&s_hook) || s_rcv_ready(&s_sms) || s_rcv_ready(&s_smtp)) {
        fprintf(stderr, "a receiver did not start (is /usr/bin/python3 with aiosmtpd there?)\n");
        return -1;
    }
    return 0;
}

static int s_group_teardown(void **state);
static int s_group_setup_all(void **state)
{
    if (!s_group_setup(state)) return 0;
    s_group_teardown(state);
    return -1;
}

static int s_group_teardown(void **state)
{
    (void)state;
    int rc = 0;
    rcv_t *all[3] = {&s_hook, &s_sms, &s_smtp};
    for (int i = 0; i < 3; i++) {
        int x = s_rcv_stop(all[i]);
        if (x) {
            fprintf(stderr, "receiver %s exited %d after SIGTERM\n", all[i]->log, x);
            rc = -1;
        }
    }
    if (s_rdir[0] && !getenv("HUB_TEST_KEEP")) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_rdir);
        if (system(cmd)) { /* best effort */ }
    }
    return rc;
}

static int64_t s_t0;
static int s_test_no;
static int s_setup(void **state)
{
    s_t0 = hub_mono_ms();
    s_test_no++;
    env_t *e = calloc(1, sizeof *e);
    if (!e || harness_init(&e->in, NULL)) {
        free(e);
        return -1;
    }
    *state = e;
    return 0;
}

/* Points the test at the receivers (modes back to ok, only the lines and
 * counts from now on) and starts the three daemons; the test fails if they
 * do not come up. */
static void s_up(env_t *e, const opts_t *o)
{
    e->hook = &s_hook;
    e->sms = &s_sms;
    e->smtp = &s_smtp;
    rcv_t *all[3] = {e->hook, e->sms, e->smtp};
    for (int i = 0; i < 3; i++) {
        if (all[i]->pid <= 0) fail_msg("the receivers are not running");
        s_control(all[i], "ok");
        json_t *lines = s_log_from(all[i], false);
        all[i]->base = json_array_size(lines);
        json_decref(lines);
    }
    /* each test its own webhook paths, SMS path and e-mail sender */
    snprintf(e->hook->tag, sizeof e->hook->tag, "/hook/t%d/", s_test_no);
    snprintf(e->sms->tag, sizeof e->sms->tag, "/sms/t%d/", s_test_no);
    snprintf(e->from, sizeof e->from, "hub-t%d@haishu.example", s_test_no);
    snprintf(e->smtp->tag, sizeof e->smtp->tag, "%s", e->from);
    if (o && o->hook_mode) s_control(e->hook, o->hook_mode);
    if (harness_init_peer(&e->mt, &e->in, "matching", o ? o->matching_extra : NULL)) fail_msg("matching peer");
    e->mt_init = true;
    char extra[2048], from[256];
    if (o && o->from_name) snprintf(from, sizeof from, "%s <%s>", o->from_name, e->from);
    else snprintf(from, sizeof from, "%s", e->from);
    /* timeout_ms is generous: under AddressSanitizer on a loaded machine a
     * transfer that stalls 5 s was cut and sent again (SMTP has no
     * idempotency), which the exactly-once checks then saw twice */
    snprintf(extra, sizeof extra,
             "matching_api = %s\nmatching_pub = %s\n"
             "smtp_url = smtp://127.0.0.1:%d\nsmtp_from = %s\n"
             "sms_url = http://127.0.0.1:%d%s\n"
             "retry_base_ms = 50\nretry_max_ms = 200\nmax_attempts = 3\ntimeout_ms = 20000\n"
             "quiet_start = 00:00\nquiet_end = 00:00\nschedule_check_ms = 50\n%s",
             e->mt.api, e->mt.pub, e->smtp->port, from, e->sms->port, e->sms->tag, o && o->notif_extra ? o->notif_extra : "");
    if (harness_init_peer(&e->nt, &e->in, "notification", extra)) fail_msg("notification peer");
    e->nt_init = true;
    if (harness_start(&e->in)) fail_msg("hub-intake did not start");
    if (harness_start(&e->mt)) fail_msg("hub-matching did not start");
    if (harness_start(&e->nt)) fail_msg("hub-notification did not start (config in %s)", e->in.config);
    e->inc = hub_client_new(s_zctx, e->in.api, NULL, 5000);
    e->mtc = hub_client_new(s_zctx, e->mt.api, NULL, 5000);
    e->ntc = hub_client_new(s_zctx, e->nt.api, NULL, 5000);
}

static int s_teardown(void **state)
{
    env_t *e = *state;
    hub_client_destroy(&e->inc);
    hub_client_destroy(&e->mtc);
    hub_client_destroy(&e->ntc);
    /* every daemon still running must stop cleanly (under ASan: no leak) */
    int nrc = e->nt.pid > 0 ? harness_stop(&e->nt, SIGTERM) : 0;
    int mrc = e->mt.pid > 0 ? harness_stop(&e->mt, SIGTERM) : 0;
    int irc = e->in.pid > 0 ? harness_stop(&e->in, SIGTERM) : 0;
    if (e->nt_init) harness_fini(&e->nt);
    if (e->mt_init) harness_fini(&e->mt);
    harness_fini(&e->in);
    free(e);
    if (getenv("HUB_TEST_TIMING")) fprintf(stderr, "(%lld ms)\n", (long long)(hub_mono_ms() - s_t0));
    if (nrc || mrc || irc) {
        fprintf(stderr, "teardown: hub-notification exited %d, hub-matching %d, hub-intake %d\n", nrc, mrc, irc);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ calls */

/* Calls verb and asserts OK; the reply is unpacked into a. */
static void *s_ok_at(hub_client_t *c, const char *verb, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *d, hub_arena_t *a, int line)
{
    ProtobufCMessage *rep = NULL;
    hub_error_t err = {0};
    int rc = hub_client_call(c, verb, req, d, a, &rep, &err);
    if (rc)
        fail_msg("line %d: %s: rc %d, %s field \"%s\": %s", line, verb, rc, hub_error_code_name(err.code), err.field,
                 err.message);
    return rep;
}
#define s_ok(c, verb, req, d, a) s_ok_at((c), (verb), (req), (d), (a), __LINE__)

/* Calls verb and asserts a refusal with code, a field containing field
 * (NULL: any) and a message containing text (NULL: any, but not empty). */
static void s_refused_at(hub_client_t *c, const char *verb, const ProtobufCMessage *req,
                         const ProtobufCMessageDescriptor *d, Hub__ErrorCode code, const char *field,
                         const char *text, int line)
{
    hub_arena_t *a = hub_arena_new(4 << 20);
    ProtobufCMessage *rep = NULL;
    hub_error_t err = {0};
    int rc = hub_client_call(c, verb, req, d, a, &rep, &err);
    hub_arena_destroy(&a);
    if (rc != 1 || err.code != code || (field && !strstr(err.field, field)) || !err.message[0] ||
        (text && !strstr(err.message, text)))
        fail_msg("line %d: %s: expected %s field ~\"%s\" message ~\"%s\"; got rc %d %s field \"%s\": %s", line,
                 verb, hub_error_code_name(code), field ? field : "*", text ? text : "", rc,
                 hub_error_code_name(err.code), err.field, err.message);
}
#define s_refused(c, verb, req, d, code, field, text) \
    s_refused_at((c), (verb), (req), (d), (code), (field), (text), __LINE__)
/* Asserts notification.recipient.put of pq (by e's client) is refused as
 * INVALID_ARGUMENT on field (a macro: the failure names the caller's line). */
#define s_put_refused(e, pq, field)                                                                              \
    s_refused((e)->ntc, "notification.recipient.put", &(pq)->base, &notification__recipient_reply__descriptor, \
              HUB__ERROR_CODE__INVALID_ARGUMENT, (field), NULL)

/* Sends raw frames and asserts an ERR reply with code (and field). */
static void s_refused_raw(hub_client_t *c, const char *verb, const void *body, size_t len, Hub__ErrorCode code,
                          const char *field)
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    char st[4];
    uint8_t *out;
    size_t out_len;
    assert_int_equal(hub_client_call_raw(c, verb, strlen(verb), body, len, st, a, &out, &out_len), 0);
    if (strcmp(st, "ERR")) fail_msg("%s (raw): answered %s", verb, st);
    Hub__Error *er = hub__error__unpack(NULL, out_len, out);
    assert_non_null(er);
    if (er->code != code || (field && strcmp(er->field, field)) || !er->message[0])
        fail_msg("%s (raw): expected %s/%s, got %s/%s: %s", verb, hub_error_code_name(code), field ? field : "*",
                 hub_error_code_name(er->code), er->field, er->message);
    hub__error__free_unpacked(er, NULL);
    hub_arena_destroy(&a);
}

static Hub__StatusReply *s_status(hub_client_t *c, hub_arena_t *a)
{
    Hub__StatusRequest req = HUB__STATUS_REQUEST__INIT;
    return s_ok(c, "hub.status", &req.base, &hub__status_reply__descriptor, a);
}

static uint64_t s_counter(hub_client_t *c, const char *name)
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    Hub__StatusReply *s = s_status(c, a);
    uint64_t v = 0;
    for (size_t i = 0; i < s->n_counters; i++)
        if (!strcmp(s->counters[i]->name, name)) v = s->counters[i]->value;
    hub_arena_destroy(&a);
    return v;
}

/* harness_wait predicate: counter name of c has reached at_least. */
typedef struct {
    hub_client_t *c;
    const char *name;
    uint64_t at_least;
} counter_wait_t;

static bool s_counter_reached(void *p)
{
    const counter_wait_t *w = p;
    return s_counter(w->c, w->name) >= w->at_least;
}

/* harness_wait predicate: the wall clock is past *(int64_t *)p. */
static bool s_time_passed(void *p) { return hub_now_ms() > *(int64_t *)p; }

/* ------------------------------------------------------------------ intake, matching */

/* A help request (the harness's elderly-care one in 鼓楼街道) to adjust. */
static Intake__SubmitRequest *s_req(hub_arena_t *a, const char *mid)
{
    return harness_request(a, "web-form", mid);
}

static void s_submit_req(env_t *e, Intake__SubmitRequest *s, char id[32])
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    Intake__SubmitReply *rep = s_ok(e->inc, "intake.submit", &s->base, &intake__submit_reply__descriptor, a);
    assert_false(rep->duplicate_submission);
    snprintf(id, 32, "%s", rep->service_request_id);
    hub_arena_destroy(&a);
}

/* Submits the harness's request as it is (consent, phone, contact PHONE:
 * the requester is told by SMS). */
static void s_submit(env_t *e, const char *mid, char id[32])
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    s_submit_req(e, s_req(a, mid), id);
    hub_arena_destroy(&a);
}

/* A request whose requester wants e-mail (consent given). */
static void s_submit_email(env_t *e, const char *mid, const char *email, const char *lang, char id[32])
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    Intake__SubmitRequest *s = s_req(a, mid);
    s->request->requester->email = (char *)email;
    s->request->preferred_contact = INTAKE__CONTACT_METHOD__EMAIL;
    s->request->consent_to_contact = 1;
    s->request->language = (char *)lang;
    s_submit_req(e, s, id);
    hub_arena_destroy(&a);
}

/* Adds an approved organization (a community group) serving elderly-care
 * in area with cap units, named name (NULL: "海曙<id>互助社"). */
static void s_add_org(env_t *e, const char *id, const char *name, const char *area, uint32_t cap)
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    hub_error_t err = {0};
    if (!harness_add_org(e->mtc, a, id, name, "elderly-care", area, cap, true, &err))
        fail_msg("org %s: %s field \"%s\": %s", id, hub_error_code_name(err.code), err.field, err.message);
    hub_arena_destroy(&a);
}

typedef struct {
    env_t *e;
    const char *id;
    char name[128];
    char seen[300];
} recip_wait_t;

static bool s_recipient_known(void *p)
{
    recip_wait_t *w = p;
    hub_arena_t *a = hub_arena_new(1 << 20);
    Notification__GetRecipientRequest q = NOTIFICATION__GET_RECIPIENT_REQUEST__INIT;
    q.id = (char *)w->id;
    Notification__RecipientReply *r = NULL;
    hub_error_t err = {0};
    bool ok = !hub_client_call(w->e->ntc, "notification.recipient.get", &q.base,
                               &notification__recipient_reply__descriptor, a, (ProtobufCMessage **)&r, &err) &&
              r->recipient && *r->recipient->name;
    if (ok) snprintf(w->name, sizeof w->name, "%s", r->recipient->name);
    else snprintf(w->seen, sizeof w->seen, "%s: %s", hub_error_code_name(err.code), err.message);
    hub_arena_destroy(&a);
    return ok;
}

/* The webhook URL of provider id on the hook receiver. */
static void s_hook_url(env_t *e, const char *id, char *out, size_t len)
{
    snprintf(out, len, "http://127.0.0.1:%d%s%s", e->hook->port, e->hook->tag, id);
}

/* Puts recipient id with the webhook receiver's URL and the secret,
 * channels WEBHOOK and INBOX. */
static void s_put_hook_recipient(env_t *e, const char *id, const char *name)
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    char url[128];
    s_hook_url(e, id, url, sizeof url);
    Notification__Channel chans[2] = {NOTIFICATION__CHANNEL__WEBHOOK, NOTIFICATION__CHANNEL__INBOX};
    Notification__Recipient r = NOTIFICATION__RECIPIENT__INIT;
    r.id = (char *)id;
    r.name = (char *)name;
    r.language = "zh";
    r.consent = 1;
    r.channels = chans;
    r.n_channels = 2;
    r.webhook_url = url;
    r.webhook_secret = SECRET;
    Notification__PutRecipientRequest q = NOTIFICATION__PUT_RECIPIENT_REQUEST__INIT;
    q.recipient = &r;
    Notification__RecipientReply *rep =
        s_ok(e->ntc, "notification.recipient.put", &q.base, &notification__recipient_reply__descriptor, a);
    assert_non_null(rep->recipient);
    assert_string_equal(rep->recipient->id, id);
    assert_string_equal(rep->recipient->webhook_url, url);
    assert_string_equal(rep->recipient->webhook_secret, ""); /* write-only */
    assert_true(rep->recipient->has_webhook_secret);
    hub_arena_destroy(&a);
}

/* An approved organization in 鼓楼街道: it reaches notification's directory
 * through matching's events, then an operator gives it a webhook. */
static void s_provider(env_t *e, const char *id, uint32_t cap)
{
    s_add_org(e, id, NULL, "鼓楼街道", cap);
    recip_wait_t w = {e, id, "", ""};
    if (!harness_wait(s_recipient_known, &w, WAIT_MS))
        fail_msg("provider %s never reached notification's directory: %s", id, w.seen);
    char want[64];
    snprintf(want, sizeof want, "海曙%s互助社", id);
    assert_string_equal(w.name, want);
    s_put_hook_recipient(e, id, w.name);
}

static Matching__Referral *s_ref_try(env_t *e, hub_arena_t *a, const char *id)
{
    Matching__GetReferralRequest q = MATCHING__GET_REFERRAL_REQUEST__INIT;
    q.request_id = (char *)id;
    Matching__ReferralReply *r;
    hub_error_t err = {0};
    if (hub_client_call(e->mtc, "matching.referral.get", &q.base, &matching__referral_reply__descriptor, a,
                        (ProtobufCMessage **)&r, &err))
        return NULL;
    return r->referral;
}

typedef struct {
    env_t *e;
    const char *id;
    int status;
} ref_wait_t;

/* True once request id's referral has status (REQUESTED: with an offer). */
static bool s_ref_reached(void *p)
{
    ref_wait_t *w = p;
    hub_arena_t *a = hub_arena_new(1 << 20);
    Matching__Referral *r = s_ref_try(w->e, a, w->id);
    bool ok = r && (int)r->status == w->status &&
              (w->status != MATCHING__REFERRAL_STATUS__REQUESTED || r->n_offers >= 1);
    hub_arena_destroy(&a);
    return ok;
}

/* Waits until request id is offered to a provider; returns the referral. */
static Matching__Referral *s_wait_offered(env_t *e, hub_arena_t *a, const char *id)
{
    ref_wait_t w = {e, id, MATCHING__REFERRAL_STATUS__REQUESTED};
    if (!harness_wait(s_ref_reached, &w, WAIT_MS)) fail_msg("request %s was never offered", id);
    return s_ref_try(e, a, id);
}

static void s_respond(env_t *e, const char *id, const char *provider, const char *action, int outcome,
                      double hours)
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    Matching__RespondRequest q = MATCHING__RESPOND_REQUEST__INIT;
    q.request_id = (char *)id;
    q.provider_id = (char *)provider;
    q.action = (char *)action;
    q.reason = "";
    q.outcome = outcome;
    q.hours = hours;
    s_ok(e->mtc, "matching.referral.respond", &q.base, &matching__referral_reply__descriptor, a);
    hub_arena_destroy(&a);
}

/* ------------------------------------------------------------------ deliveries */

/* Every delivery matching the filters (state 0, recipient or request_id
 * NULL: any), paging with after_id; malloc'd array of pointers into a. */
static size_t s_deliveries(env_t *e, hub_arena_t *a, int state, const char *recipient, const char *request_id,
                           Notification__Delivery ***out)
{
    size_t n = 0, cap = 0;
    Notification__Delivery **all = NULL;
    char after[64] = "";
    for (int pages = 0; pages < 1000; pages++) {
        Notification__ListDeliveriesRequest q = NOTIFICATION__LIST_DELIVERIES_REQUEST__INIT;
        q.state = state;
        q.recipient = (char *)(recipient ? recipient : "");
        q.request_id = (char *)(request_id ? request_id : "");
        q.after_id = after;
        q.limit = 7; /* small pages: paging is exercised too */
        Notification__ListDeliveriesReply *r =
            s_ok(e->ntc, "notification.delivery.list", &q.base, &notification__list_deliveries_reply__descriptor, a);
        for (size_t i = 0; i < r->n_deliveries; i++) {
            if (n == cap) all = realloc(all, (cap = cap ? cap * 2 : 16) * sizeof *all);
            all[n++] = r->deliveries[i];
        }
        if (!*r->next_after_id) break;
        assert_true(strcmp(r->next_after_id, after) > 0);
        snprintf(after, sizeof after, "%s", r->next_after_id);
    }
    *out = all;
    return n;
}

static size_t s_count_deliveries(env_t *e, const char *recipient, const char *request_id)
{
    hub_arena_t *a = hub_arena_new(8 << 20);
    Notification__Delivery **d;
    size_t n = s_deliveries(e, a, 0, recipient, request_id, &d);
    free(d);
    hub_arena_destroy(&a);
    return n;
}

static const char *s_state_name(int s)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&notification__delivery_state__descriptor, s);
    return v ? v->name : "?";
}

typedef struct {
    env_t *e;
    const char *recipient, *request_id;
    int channel, state;
    char id[32];        /* the delivery found */
    char seen[600];
} dlv_wait_t;

static bool s_dlv_reached(void *p)
{
    dlv_wait_t *w = p;
    hub_arena_t *a = hub_arena_new(8 << 20);
    Notification__Delivery **d;
    size_t n = s_deliveries(w->e, a, 0, w->recipient, w->request_id, &d);
    bool ok = false;
    w->seen[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if ((int)d[i]->channel != w->channel) continue;
        size_t l = strlen(w->seen);
        snprintf(w->seen + l, sizeof w->seen - l, " %s %s attempts %u last %d \"%s\";", d[i]->id,
                 s_state_name(d[i]->state), d[i]->attempts, d[i]->last_status, d[i]->last_error);
        if ((int)d[i]->state == w->state) {
            ok = true;
            snprintf(w->id, sizeof w->id, "%s", d[i]->id);
        }
    }
    free(d);
    hub_arena_destroy(&a);
    return ok;
}

static Notification__Delivery *s_get_delivery(env_t *e, hub_arena_t *a, const char *id)
{
    Notification__GetDeliveryRequest q = NOTIFICATION__GET_DELIVERY_REQUEST__INIT;
    q.id = (char *)id;
    Notification__DeliveryReply *r =
        s_ok(e->ntc, "notification.delivery.get", &q.base, &notification__delivery_reply__descriptor, a);
    assert_non_null(r->delivery);
    return r->delivery;
}

/* Waits until a delivery to recipient about request_id on channel is in
 * state; returns it (unpacked into a). */
static Notification__Delivery *s_wait_dlv_at(env_t *e, hub_arena_t *a, const char *recipient,
                                             const char *request_id, int channel, int state, int line)
{
    dlv_wait_t w = {e, recipient, request_id, channel, state, "", ""};
    if (!harness_wait(s_dlv_reached, &w, WAIT_MS))
        fail_msg("line %d: no %s delivery to %s about %s became %s; seen:%s", line,
                 protobuf_c_enum_descriptor_get_value(&notification__channel__descriptor, channel)->name, recipient,
                 request_id, s_state_name(state), w.seen[0] ? w.seen : " none");
    return s_get_delivery(e, a, w.id);
}
#define s_wait_dlv(e, a, recipient, request_id, channel, state) \
    s_wait_dlv_at((e), (a), (recipient), (request_id), (channel), (state), __LINE__)

static void s_requester_of(const char *id, char out[64]) { snprintf(out, 64, REQUESTER "%s", id); }

/* The topics of notification's events about delivery id, in outbox order
 * (from hub.replay on notification's api): "failed failed sent". The last
 * such event's attempts go to *attempts. */
static void s_dlv_events(env_t *e, const char *id, char *out, size_t len, uint32_t *attempts)
{
    hub_arena_t *a = hub_arena_new(32 << 20);
    out[0] = 0;
    uint64_t from = 1;
    for (;;) {
        Hub__ReplayRequest q = HUB__REPLAY_REQUEST__INIT;
        q.from_seq = from;
        q.max = 1000;
        hub_arena_reset(a);
        Hub__ReplayReply *r = s_ok(e->ntc, "hub.replay", &q.base, &hub__replay_reply__descriptor, a);
        if (!r->n_events) break;
        for (size_t i = 0; i < r->n_events; i++) {
            Hub__Event *ev = hub__event__unpack(NULL, r->events[i].len, r->events[i].data);
            assert_non_null(ev);
            assert_int_equal(ev->seq, from); /* gap-free */
            from++;
            assert_string_equal(ev->source, "notification");
            if (!strncmp(ev->topic, "notification.delivery.", 22)) {
                Notification__DeliveryEvent *de =
                    notification__delivery_event__unpack(NULL, ev->payload.len, ev->payload.data);
                assert_non_null(de);
                assert_non_null(de->delivery);
                assert_string_equal(de->action, ev->topic + 22);
                if (!strcmp(de->delivery->id, id)) {
                    size_t n = strlen(out);
                    snprintf(out + n, len - n, "%s%s", n ? " " : "", ev->topic + 22);
                    if (attempts) *attempts = de->delivery->attempts;
                    /* events leave the text and address out */
                    assert_string_equal(de->delivery->text, "");
                    assert_string_equal(de->delivery->address, "");
                }
                notification__delivery_event__free_unpacked(de, NULL);
            }
            hub__event__free_unpacked(ev, NULL);
        }
    }
    hub_arena_destroy(&a);
}

/* The log lines of r with idempotency key (HTTP: header "key"). */
static json_t *s_key_lines(const rcv_t *r, const char *key) { return LINES(r, "key", key); }

/* ================================================================== tests */

/* ---- 1. an offer reaches the provider's webhook, signed, and its inbox ---- */
static void test_offer_reaches_provider_webhook_signed(void **state)
{
    env_t *e = *state;
    s_up(e, NULL);
    hub_arena_t *a = hub_arena_new(8 << 20);
    s_provider(e, ORG, 10);
    char id[32];
    s_submit(e, "offer-1", id);
    json_t *lines = WAIT_LINES(e->hook, 1, "body.template", "offer", "body.recipient", ORG);
    assert_int_equal(json_array_size(lines), 1);
    json_t *l = json_array_get(lines, 0);
    char path[128];
    snprintf(path, sizeof path, "%s%s", e->hook->tag, ORG);
    assert_string_equal(s_js(l, "path"), path);
    assert_string_equal(s_js(l, "method"), "POST");
    if (!json_is_true(s_jget(l, "signature_ok")))
        fail_msg("bad signature: header \"%s\"", s_js(l, "headers.x-hub-signature-256"));
    assert_int_equal(s_ji(l, "status"), 200);
    assert_false(json_is_true(s_jget(l, "duplicate")));
    const char *key = s_js(l, "key");
    assert_true(*key);
    assert_string_equal(key, s_js(l, "body.idempotency_key"));
    assert_string_equal(s_js(l, "body.request_id"), id);
    assert_string_equal(s_js(l, "body.template"), "offer");
    assert_string_equal(s_js(l, "body.topic"), "matching.referral.offered");
    assert_string_equal(s_js(l, "body.language"), "zh");
    assert_non_null(strstr(s_js(l, "headers.content-type"), "application/json"));
    assert_string_equal(s_js(l, "headers.x-hub-delivery"), s_js(l, "body.id"));
    /* the template filled in: the service's Chinese name, the street, the
     * provider's name, a deadline */
    const char *text = s_js(l, "body.text"), *subject = s_js(l, "body.subject");
    if (!strstr(text, id) || !strstr(text, "养老服务") || !strstr(text, "鼓楼街道") ||
        !strstr(text, "海曙" ORG "互助社") || !strstr(text, "请在 20"))
        fail_msg("offer text: %s", text);
    assert_string_equal(subject, "新的服务转介：养老服务（紧急）"); /* the request is HIGH */
    assert_string_equal(s_js(l, "body.data.request_id"), id);
    assert_true(*s_js(l, "body.data.deadline"));
    assert_true(json_is_true(s_jget(l, "body.urgent")));
    assert_true(s_ji(l, "body.event_ms") > 0 && s_ji(l, "body.created_ms") >= s_ji(l, "body.event_ms"));

    /* the delivery is SENT, with that key, once */
    Notification__Delivery *d = s_wait_dlv(e, a, ORG, id, NOTIFICATION__CHANNEL__WEBHOOK,
                                           NOTIFICATION__DELIVERY_STATE__SENT);
    assert_string_equal(d->idempotency_key, key);
    assert_string_equal(d->id, s_js(l, "body.id"));
    assert_int_equal(d->attempts, 1);
    assert_int_equal(d->last_status, 200);
    assert_string_equal(d->template_, "offer");
    char url[128];
    s_hook_url(e, ORG, url, sizeof url);
    assert_string_equal(d->address, url);
    assert_true(d->sent_ms >= d->created_ms);
    json_t *by_key = s_key_lines(e->hook, key);
    assert_int_equal(json_array_size(by_key), 1);
    json_decref(by_key);

    /* and the org's inbox has the offer */
    Notification__ListInboxRequest iq = NOTIFICATION__LIST_INBOX_REQUEST__INIT;
    iq.recipient = ORG;
    Notification__ListInboxReply *ir =
        s_ok(e->ntc, "notification.inbox.list", &iq.base, &notification__list_inbox_reply__descriptor, a);
    size_t offers = 0;
    for (size_t i = 0; i < ir->n_messages; i++) {
        Notification__InboxMessage *m = ir->messages[i];
        assert_string_equal(m->recipient, ORG);
        assert_int_equal(m->seq, i + 1);
        if (strcmp(m->template_, "offer") || strcmp(m->request_id, id)) continue;
        offers++;
        assert_string_equal(m->text, text);
        assert_string_equal(m->subject, subject);
        assert_string_equal(m->topic, "matching.referral.offered");
        Notification__Delivery *idl = s_get_delivery(e, a, m->delivery_id);
        assert_int_equal(idl->channel, NOTIFICATION__CHANNEL__INBOX);
        assert_int_equal(idl->state, NOTIFICATION__DELIVERY_STATE__SENT);
        assert_string_equal(idl->request_id, id);
    }
    assert_int_equal(offers, 1);
    /* exactly two deliveries to the org about it: webhook and inbox */
    assert_int_equal(s_count_deliveries(e, ORG, id), 2);
    json_decref(lines);
    hub_arena_destroy(&a);
}

/* ---- 2. the requester's e-mail: Chinese text, correct headers ---- */

/* The SMTP log line of the e-mail delivery to the requester of id (waits
 * for the delivery to be SENT); key gets the idempotency key. */
static json_t *s_requester_mail(env_t *e, const char *id, char key[512])
{
    hub_arena_t *a = hub_arena_new(8 << 20);
    char who[64];
    s_requester_of(id, who);
    Notification__Delivery *d = s_wait_dlv(e, a, who, id, NOTIFICATION__CHANNEL__EMAIL,
                                           NOTIFICATION__DELIVERY_STATE__SENT);
    assert_int_equal(d->attempts, 1);
    assert_int_equal(d->last_status, 250);
    snprintf(key, 512, "%s", d->idempotency_key);
    hub_arena_destroy(&a);
    json_t *lines = WAIT_LINES(e->smtp, 1, "idempotency_key", key);
    assert_int_equal(json_array_size(lines), 1); /* once */
    json_t *l = json_incref(json_array_get(lines, 0));
    json_decref(lines);
    return l;
}

static void s_expect_mail_format(env_t *e, json_t *l, const char *to, const char *key)
{
    json_t *rcpt = s_jget(l, "rcpt_tos");
    if (json_array_size(rcpt) != 1 || strcmp(json_string_value(json_array_get(rcpt, 0)), to))
        fail_msg("rcpt_tos %s, expected [%s]", json_dumps(rcpt, 0), to);
    assert_string_equal(s_js(l, "mail_from"), e->from);
    assert_false(json_is_true(s_jget(l, "rejected")));
    assert_string_equal(s_js(l, "content_type"), "text/plain");
    assert_string_equal(s_js(l, "charset"), "utf-8");
    assert_string_equal(s_js(l, "transfer_encoding"), "base64");
    /* Message-ID: <the key, made a valid RFC 5322 dot-atom (a character
     * that may not be there replaced by '_'), @ the sender's domain>: one
     * stable id per delivery, across retries */
    const char *mid = s_js(l, "message_id");
    size_t kl = strlen(key), ml = strlen(mid);
    bool ok = ml == kl + strlen("<@haishu.example>") && mid[0] == '<' && !strcmp(mid + 1 + kl, "@haishu.example>") &&
              mid[1] != '.' && mid[kl] != '.';
    for (size_t i = 0; ok && i < kl; i++) {
        char k = key[i], m = mid[1 + i];
        bool atext = isalnum((unsigned char)m) || strchr("!#$%&'*+-/=?^_`{|}~", m);
        ok = (m == k || m == '_') && (isalnum((unsigned char)k) ? m == k : true) &&
             (atext || (m == '.' && mid[i] != '.'));
    }
    if (!ok) fail_msg("Message-ID %s for idempotency key %s", mid, key);
    assert_string_equal(s_js(l, "idempotency_key"), key);
    assert_non_null(strstr(s_js(l, "headers.to"), to));
    assert_true(*s_js(l, "headers.date"));
    assert_string_equal(s_js(l, "headers.mime-version"), "1.0");
    assert_true(json_is_null(s_jget(l, "text_error")));
    if (json_array_size(s_jget(l, "defects"))) fail_msg("MIME defects: %s", json_dumps(s_jget(l, "defects"), 0));
}

static void test_email_chinese_text_and_headers(void **state)
{
    env_t *e = *state;
    s_up(e, NULL);
    char id[32], key[512];
    s_submit_email(e, "mail-zh", "wang.ayi@example.cn", "zh", id);
    json_t *l = s_requester_mail(e, id, key);
    s_expect_mail_format(e, l, "wang.ayi@example.cn", key);
    assert_string_equal(s_js(l, "subject"), "您的求助已受理");
    /* a non-ASCII subject travels RFC 2047 encoded */
    if (strncasecmp(s_js(l, "subject_raw"), "=?utf-8?", 8)) fail_msg("raw subject: %s", s_js(l, "subject_raw"));
    const char *text = s_js(l, "text");
    char want[256];
    snprintf(want, sizeof want, "海曙区社会组织服务中心已收到您的求助（编号 %s，服务类别：养老服务，所在街道：鼓楼街道）", id);
    if (!strstr(text, want) || !strstr(text, "有进展会及时通知您")) fail_msg("text: %s\nwanted: %s", text, want);
    assert_null(strstr(text, "{{")); /* nothing left unfilled */
    json_decref(l);

    /* the same in English for a requester who wrote in English ("en-US") */
    char id2[32];
    s_submit_email(e, "mail-en", "li.lei@example.com", "en-US", id2);
    l = s_requester_mail(e, id2, key);
    s_expect_mail_format(e, l, "li.lei@example.com", key);
    assert_string_equal(s_js(l, "subject"), "We have received your request");
    snprintf(want, sizeof want, "(reference %s, service: Elderly care, street: ", id2);
    if (!strstr(s_js(l, "text"), want)) fail_msg("text: %s\nwanted: %s", s_js(l, "text"), want);
    json_decref(l);
}

/* ---- 3. a receiver down for two attempts: sent on the third, processed once ---- */
static void test_receiver_down_then_up_exactly_once(void **state)
{
    env_t *e = *state;
    opts_t o = {.hook_mode = "down-until-2"};
    s_up(e, &o);
    hub_arena_t *a = hub_arena_new(8 << 20);
    s_provider(e, ORG, 10);
    char id[32];
    s_submit(e, "down-1", id);
    Notification__Delivery *d = s_wait_dlv(e, a, ORG, id, NOTIFICATION__CHANNEL__WEBHOOK,
                                           NOTIFICATION__DELIVERY_STATE__SENT);
    assert_int_equal(d->attempts, 3);
    assert_int_equal(d->last_status, 200);
    json_t *lines = s_key_lines(e->hook, d->idempotency_key);
    if (json_array_size(lines) != 3) fail_msg("%zu requests for the key, expected 3", json_array_size(lines));
    static const int want[3] = {503, 503, 200};
    for (size_t i = 0; i < 3; i++) {
        json_t *l = json_array_get(lines, i);
        assert_int_equal(s_ji(l, "status"), want[i]);
        assert_false(json_is_true(s_jget(l, "duplicate")));
        assert_true(json_is_true(s_jget(l, "signature_ok")));
        /* the same message each time */
        assert_string_equal(s_js(l, "body.id"), d->id);
        assert_string_equal(s_js(l, "body.text"), s_js(json_array_get(lines, 0), "body.text"));
    }
    /* retries were spaced by the backoff, not all at once */
    for (size_t i = 1; i < 3; i++) {
        long long gap = s_ji(json_array_get(lines, i), "time_ms") - s_ji(json_array_get(lines, i - 1), "time_ms");
        if (gap < 20) fail_msg("attempt %zu came %lld ms after the previous one (retry_base_ms 50)", i + 1, gap);
    }
    json_decref(lines);
    json_t *st = s_stats(e->hook);
    assert_int_equal(s_ji(st, "unique"), 1);
    assert_int_equal(s_ji(st, "duplicates"), 0);
    assert_int_equal(s_ji(st, "failed"), 2);
    json_decref(st);
    char evs[256];
    uint32_t attempts = 0;
    s_dlv_events(e, d->id, evs, sizeof evs, &attempts);
    assert_string_equal(evs, "failed failed sent");
    assert_int_equal(attempts, 3);
    assert_int_equal(s_counter(e->ntc, "delivery_attempts_failed_total"), 2);
    hub_arena_destroy(&a);
}

/* ---- 4. always failing: dead after max_attempts; requeued once it is up ---- */
static void test_always_failing_goes_dead_then_requeue(void **state)
{
    env_t *e = *state;
    opts_t o = {.hook_mode = "fail"};
    s_up(e, &o);
    hub_arena_t *a = hub_arena_new(8 << 20);
    s_provider(e, ORG, 10);
    char id[32];
    s_submit(e, "dead-1", id);
    Notification__Delivery *d = s_wait_dlv(e, a, ORG, id, NOTIFICATION__CHANNEL__WEBHOOK,
                                           NOTIFICATION__DELIVERY_STATE__DEAD);
    char did[32], key[512];
    snprintf(did, sizeof did, "%s", d->id);
    snprintf(key, sizeof key, "%s", d->idempotency_key);
    assert_int_equal(d->attempts, 3);
    assert_int_equal(d->last_status, 500);
    assert_true(d->dead_ms > 0);
    assert_true(*d->last_error);
    /* listed as dead */
    Notification__Delivery **dead;
    size_t n = s_deliveries(e, a, NOTIFICATION__DELIVERY_STATE__DEAD, NULL, NULL, &dead);
    assert_int_equal(n, 1);
    assert_string_equal(dead[0]->id, did);
    free(dead);
    json_t *lines = s_key_lines(e->hook, key);
    assert_int_equal(json_array_size(lines), 3);
    for (size_t i = 0; i < 3; i++) assert_int_equal(s_ji(json_array_get(lines, i), "status"), 500);
    json_decref(lines);
    char evs[256];
    uint32_t attempts = 0;
    s_dlv_events(e, did, evs, sizeof evs, &attempts);
    assert_string_equal(evs, "failed failed dead");
    assert_int_equal(attempts, 3);
    assert_int_equal(s_counter(e->ntc, "deliveries_dead_total"), 1);

    /* the receiver is repaired; the operator requeues the dead one */
    s_control(e->hook, "ok");
    Notification__RequeueRequest rq = NOTIFICATION__REQUEUE_REQUEST__INIT;
    rq.id = did;
    Notification__RequeueReply *rr =
        s_ok(e->ntc, "notification.delivery.requeue", &rq.base, &notification__requeue_reply__descriptor, a);
    assert_int_equal(rr->n_ids, 1);
    assert_string_equal(rr->ids[0], did);
    d = s_wait_dlv(e, a, ORG, id, NOTIFICATION__CHANNEL__WEBHOOK, NOTIFICATION__DELIVERY_STATE__SENT);
    assert_string_equal(d->id, did);
    assert_string_equal(d->idempotency_key, key); /* the same key */
    assert_int_equal(d->attempts, 1);             /* counted again from 0 */
    assert_int_equal(d->dead_ms, 0);
    lines = s_key_lines(e->hook, key);
    assert_int_equal(json_array_size(lines), 4);
    json_t *last = json_array_get(lines, 3);
    assert_int_equal(s_ji(last, "status"), 200);
    assert_false(json_is_true(s_jget(last, "duplicate")));
    json_decref(lines);
    n = s_deliveries(e, a, NOTIFICATION__DELIVERY_STATE__DEAD, NULL, NULL, &dead);
    assert_int_equal(n, 0);
    free(dead);
    s_dlv_events(e, did, evs, sizeof evs, NULL);
    assert_string_equal(evs, "failed failed dead requeued sent");
    /* a sent delivery cannot be requeued; an unknown one is not found */
    s_refused(e->ntc, "notification.delivery.requeue", &rq.base, &notification__requeue_reply__descriptor,
              HUB__ERROR_CODE__FAILED_PRECONDITION, "id", "sent");
    rq.id = "DLV-999999999999";
    s_refused(e->ntc, "notification.delivery.requeue", &rq.base, &notification__requeue_reply__descriptor,
              HUB__ERROR_CODE__NOT_FOUND, NULL, NULL);
    /* all = true with nothing dead: nothing requeued */
    rq.id = "";
    rq.all = 1;
    rr = s_ok(e->ntc, "notification.delivery.requeue", &rq.base, &notification__requeue_reply__descriptor, a);
    assert_int_equal(rr->n_ids, 0);
    hub_arena_destroy(&a);
}

/* ---- 5. killed between a send and its result: sent again, processed once ---- */
static void test_kill_between_send_and_record_no_double(void **state)
{
    env_t *e = *state;
    opts_t o = {.hook_mode = "hang-once", .notif_extra = "timeout_ms = 30000\n"};
    s_up(e, &o);
    hub_arena_t *a = hub_arena_new(8 << 20);
    s_provider(e, ORG, 10);
    char id[32];
    s_submit(e, "hang-1", id);
    /* the receiver got it (and stored its key) but never answers */
    json_t *lines = WAIT_LINES(e->hook, 1, "body.template", "offer", "body.request_id", id, "status", "0");
    char key[512], did[32];
    snprintf(key, sizeof key, "%s", s_js(json_array_get(lines, 0), "key"));
    snprintf(did, sizeof did, "%s", s_js(json_array_get(lines, 0), "body.id"));
    json_decref(lines);
    Notification__Delivery *d = s_get_delivery(e, a, did);
    assert_int_equal(d->state, NOTIFICATION__DELIVERY_STATE__QUEUED); /* no result yet */
    assert_int_equal(d->attempts, 0);
    hub_client_destroy(&e->ntc);
    assert_int_equal(harness_stop(&e->nt, SIGKILL), 128 + SIGKILL);
    assert_int_equal(harness_start(&e->nt), 0);
    e->ntc = hub_client_new(s_zctx, e->nt.api, NULL, 5000);
    d = s_wait_dlv(e, a, ORG, id, NOTIFICATION__CHANNEL__WEBHOOK, NOTIFICATION__DELIVERY_STATE__SENT);
    assert_string_equal(d->id, did);
    assert_string_equal(d->idempotency_key, key);
    assert_int_equal(d->attempts, 1);
    lines = s_key_lines(e->hook, key);
    assert_int_equal(json_array_size(lines), 2);
    assert_int_equal(s_ji(json_array_get(lines, 0), "status"), 0);
    assert_int_equal(s_ji(json_array_get(lines, 1), "status"), 200);
    assert_true(json_is_true(s_jget(json_array_get(lines, 1), "duplicate")));
    assert_true(json_is_true(s_jget(json_array_get(lines, 1), "signature_ok")));
    json_decref(lines);
    json_t *st = s_stats(e->hook);
    assert_int_equal(s_ji(st, "unique"), 1);
    assert_int_equal(s_ji(st, "duplicates"), 1);
    assert_int_equal(s_ji(st, "hung"), 1);
    assert_int_equal(s_ji(st, "requests"), 2);
    json_decref(st);
    /* and only one delivery exists for it */
    assert_int_equal(s_count_deliveries(e, ORG, id), 2); /* webhook + inbox */
    hub_arena_destroy(&a);
}

/* ---- 6. no consent: nothing is sent to the requester ---- */
static void test_no_consent_no_message(void **state)
{
    env_t *e = *state;
    s_up(e, NULL);
    hub_arena_t *a = hub_arena_new(8 << 20);
    char quiet[32], none[32], ok[32], key[512];
    Intake__SubmitRequest *s = s_req(a, "noconsent-1");
    s->request->requester->phone = "13811112222";
    s->request->requester->email = "silent@example.cn";
    s->request->preferred_contact = INTAKE__CONTACT_METHOD__SMS;
    s->request->consent_to_contact = 0;
    s_submit_req(e, s, quiet);
    /* consent, but "do not contact me" */
    s = s_req(a, "noconsent-2");
    s->request->requester->phone = "13833334444";
    s->request->requester->email = "nocontact@example.cn";
    s->request->preferred_contact = INTAKE__CONTACT_METHOD__NO_CONTACT;
    s_submit_req(e, s, none);
    /* a later request with consent is delivered: the feed ran past both */
    s_submit_email(e, "consent-3", "yes@example.cn", "zh", ok);
    json_decref(s_requester_mail(e, ok, key));
    const char *ids[2] = {quiet, none};
    const char *addr[4] = {"13811112222", "silent@example.cn", "13833334444", "nocontact@example.cn"};
    for (int i = 0; i < 2; i++) {
        char who[64];
        s_requester_of(ids[i], who);
        assert_int_equal(s_count_deliveries(e, who, NULL), 0);
        /* whatever else concerns the request (operators, providers), none
         * of it goes to the requester */
        Notification__Delivery **d;
        size_t n = s_deliveries(e, a, 0, NULL, ids[i], &d);
        for (size_t k = 0; k < n; k++)
            if (!strncmp(d[k]->recipient, REQUESTER, strlen(REQUESTER)) ||
                d[k]->channel == NOTIFICATION__CHANNEL__SMS || d[k]->channel == NOTIFICATION__CHANNEL__EMAIL)
                fail_msg("delivery %s to %s (%s) about %s, whose requester did not consent", d[k]->id,
                         d[k]->recipient, d[k]->address, ids[i]);
        free(d);
        if (s_log_mentions(e->sms, ids[i]) || s_log_mentions(e->smtp, ids[i]) || s_log_mentions(e->hook, ids[i]))
            fail_msg("a receiver logged a message about %s", ids[i]);
    }
    for (int i = 0; i < 4; i++)
        if (s_log_mentions(e->sms, addr[i]) || s_log_mentions(e->smtp, addr[i]))
            fail_msg("a receiver logged a message to %s", addr[i]);
    assert_true(s_counter(e->ntc, "requesters_without_consent_total") >= 2);
    hub_arena_destroy(&a);
}

/* ---- 7. SMS through the HTTP gateway ---- */
static void test_sms_gateway_body(void **state)
{
    env_t *e = *state;
    s_up(e, NULL);
    hub_arena_t *a = hub_arena_new(8 << 20);
    Intake__SubmitRequest *s = s_req(a, "sms-1");
    s->request->requester->phone = "13912345678";
    s->request->preferred_contact = INTAKE__CONTACT_METHOD__SMS;
    char id[32], who[64];
    s_submit_req(e, s, id);
    s_requester_of(id, who);
    Notification__Delivery *d = s_wait_dlv(e, a, who, id, NOTIFICATION__CHANNEL__SMS,
                                           NOTIFICATION__DELIVERY_STATE__SENT);
    assert_string_equal(d->address, "13912345678");
    assert_int_equal(d->attempts, 1);
    json_t *lines = s_key_lines(e->sms, d->idempotency_key);
    assert_int_equal(json_array_size(lines), 1);
    json_t *l = json_array_get(lines, 0);
    assert_string_equal(s_js(l, "path"), e->sms->tag);
    assert_int_equal(s_ji(l, "status"), 200);
    if (!json_is_object(s_jget(l, "body"))) fail_msg("the SMS body is not a JSON object: %s", s_js(l, "body"));
    assert_string_equal(s_js(l, "body.to"), "13912345678");
    const char *text = s_js(l, "body.text");
    /* the subject, a space, then the text (with its line break intact) */
    if (strncmp(text, "您的求助已受理 您好！海曙区社会组织服务中心已收到您的求助", strlen("您的求助已受理 您好！海曙区社会组织服务中心已收到您的求助")) ||
        !strstr(text, id) || !strstr(text, "）。\n我们正在为您联系"))
        fail_msg("SMS text: %s", text);
    assert_string_equal(s_js(l, "body.key"), d->idempotency_key); /* the default sms_body has {{key}} */
    assert_string_equal(s_js(l, "headers.idempotency-key"), d->idempotency_key);
    assert_non_null(strstr(s_js(l, "headers.content-type"), "application/json"));
    json_decref(lines);
    /* nothing went to the webhook receiver or by e-mail */
    assert_false(s_log_mentions(e->smtp, id));
    hub_arena_destroy(&a);
}

/* ---- 8. a restart resumes the feeds without delivering old events again ---- */

typedef struct {
    char id[32], key[512];
    int state;
    uint32_t attempts;
} snap_t;

/* Every delivery (id, key, state, attempts); returns the count. */
static size_t s_snapshot(env_t *e, snap_t *out, size_t max)
{
    hub_arena_t *a = hub_arena_new(8 << 20);
    Notification__Delivery **d;
    size_t n = s_deliveries(e, a, 0, NULL, NULL, &d);
    assert_true(n <= max);
    for (size_t i = 0; i < n; i++) {
        snprintf(out[i].id, sizeof out[i].id, "%s", d[i]->id);
        snprintf(out[i].key, sizeof out[i].key, "%s", d[i]->idempotency_key);
        out[i].state = d[i]->state;
        out[i].attempts = d[i]->attempts;
    }
    free(d);
    hub_arena_destroy(&a);
    return n;
}

/* Waits until request id's three deliveries (requester SMS, the org's
 * webhook and inbox) are sent. */
static void s_wait_three(env_t *e, const char *id)
{
    hub_arena_t *a = hub_arena_new(8 << 20);
    char who[64];
    s_requester_of(id, who);
    s_wait_dlv(e, a, who, id, NOTIFICATION__CHANNEL__SMS, NOTIFICATION__DELIVERY_STATE__SENT);
    s_wait_dlv(e, a, ORG, id, NOTIFICATION__CHANNEL__WEBHOOK, NOTIFICATION__DELIVERY_STATE__SENT);
    s_wait_dlv(e, a, ORG, id, NOTIFICATION__CHANNEL__INBOX, NOTIFICATION__DELIVERY_STATE__SENT);
    hub_arena_destroy(&a);
}

static void test_restart_replay_no_duplicate_deliveries(void **state)
{
    env_t *e = *state;
    s_up(e, NULL);
    s_provider(e, ORG, 10);
    char ids[4][32];
    s_submit(e, "restart-a", ids[0]);
    s_submit(e, "restart-b", ids[1]);
    s_wait_three(e, ids[0]);
    s_wait_three(e, ids[1]);
    static snap_t before[64], after[64];
    size_t n0 = s_snapshot(e, before, 64);
    assert_int_equal(n0, 6);
    size_t hook0 = s_log_count(e->hook), sms0 = s_log_count(e->sms);
    assert_int_equal(hook0, 2);
    assert_int_equal(sms0, 2);

    /* notification stops; a request comes in meanwhile; it starts again */
    hub_client_destroy(&e->ntc);
    assert_int_equal(harness_stop(&e->nt, SIGTERM), 0);
    s_submit(e, "restart-c", ids[2]);
    assert_int_equal(harness_start(&e->nt), 0);
    e->ntc = hub_client_new(s_zctx, e->nt.api, NULL, 5000);
    s_wait_three(e, ids[2]);
    /* matching restarts under notification's feed; one more request */
    hub_client_destroy(&e->mtc);
    assert_int_equal(harness_stop(&e->mt, SIGTERM), 0);
    assert_int_equal(harness_start(&e->mt), 0);
    e->mtc = hub_client_new(s_zctx, e->mt.api, NULL, 5000);
    s_submit(e, "restart-d", ids[3]);
    s_wait_three(e, ids[3]);

    size_t n1 = s_snapshot(e, after, 64);
    if (n1 != n0 + 6) fail_msg("%zu deliveries after the restarts, expected %zu", n1, n0 + 6);
    for (size_t i = 0; i < n0; i++) { /* the old ones as they were */
        size_t k = 0;
        while (k < n1 && strcmp(after[k].id, before[i].id)) k++;
        assert_true(k < n1);
        assert_string_equal(after[k].key, before[i].key);
        assert_int_equal(after[k].state, before[i].state);
        assert_int_equal(after[k].attempts, before[i].attempts);
    }
    for (int r = 0; r < 4; r++) assert_int_equal(s_count_deliveries(e, NULL, ids[r]), 3);
    /* nothing was sent twice: one request per key at each receiver */
    json_t *st = s_stats(e->hook);
    assert_int_equal(s_ji(st, "requests"), 4);
    assert_int_equal(s_ji(st, "unique"), 4);
    assert_int_equal(s_ji(st, "duplicates"), 0);
    json_decref(st);
    st = s_stats(e->sms);
    assert_int_equal(s_ji(st, "requests"), 4);
    assert_int_equal(s_ji(st, "unique"), 4);
    json_decref(st);
    assert_int_equal(s_counter(e->ntc, "deliveries_deduplicated_total"), 0);
}

/* ---- 9. the offer reminder and the follow-up, across a restart ---- */
static void test_offer_reminder_and_followup_schedules(void **state)
{
    env_t *e = *state;
    opts_t o = {.matching_extra = "offer_timeout_s = 4\nexpire_check_ms = 20\n",
                .notif_extra = "offer_reminder_s = 2\nfollowup_after_s = 3\n"};
    s_up(e, &o);
    hub_arena_t *a = hub_arena_new(8 << 20);
    s_provider(e, ORG, 10);
    uint64_t sched0 = s_counter(e->ntc, "schedules_total");
    /* B: answered at once (no reminder may come), served, completed */
    char b[32];
    s_submit_email(e, "sched-b", "li.dabo@example.cn", "zh", b);
    s_wait_offered(e, a, b);
    s_respond(e, b, ORG, "accept", 0, 0);
    s_respond(e, b, ORG, "start", 0, 0);
    s_respond(e, b, ORG, "complete", MATCHING__OUTCOME__GOT_HELP, 1.5);
    int64_t completed_ms = hub_now_ms();
    /* notification has stored the follow-up once it has two more schedules
     * (B's offer reminder and B's follow-up) */
    counter_wait_t cw = {e->ntc, "schedules_total", sched0 + 2};
    if (!harness_wait(s_counter_reached, &cw, WAIT_MS)) fail_msg("the follow-up of %s was never scheduled", b);
    /* it survives a restart before it is due */
    hub_client_destroy(&e->ntc);
    assert_int_equal(harness_stop(&e->nt, SIGTERM), 0);
    json_t *early = LINES(e->smtp, "subject", "回访：您得到所需的帮助了吗？");
    if (json_array_size(early) || hub_now_ms() >= completed_ms + 3000)
        fail_msg("too slow: the follow-up was due before notification stopped (%zu sent)", json_array_size(early));
    json_decref(early);
    assert_int_equal(harness_start(&e->nt), 0);
    e->ntc = hub_client_new(s_zctx, e->nt.api, NULL, 5000);

    /* A: left unanswered; reminded 2 s before its 4 s deadline */
    char id[32];
    s_submit(e, "sched-a", id);
    Matching__Referral *r = s_wait_offered(e, a, id);
    assert_string_equal(r->provider_id, ORG);
    int64_t due = r->offers[0]->deadline_ms;
    json_t *lines = WAIT_LINES(e->hook, 1, "body.template", "offer_reminder", "body.request_id", id);
    assert_int_equal(json_array_size(lines), 1);
    json_t *l = json_array_get(lines, 0);
    long long at = s_ji(l, "time_ms");
    if (at >= due || at < due - 2000 - 20)
        fail_msg("the reminder came at %lld, the deadline is %lld (expected in its last 2 s)", at, (long long)due);
    assert_true(json_is_true(s_jget(l, "signature_ok")));
    assert_string_equal(s_js(l, "body.recipient"), ORG);
    assert_string_equal(s_js(l, "body.topic"), "schedule.offer_reminder");
    char subj[128];
    snprintf(subj, sizeof subj, "提醒：转介 %s 等待您的回复", id);
    assert_string_equal(s_js(l, "body.subject"), subj);
    assert_non_null(strstr(s_js(l, "body.text"), s_js(l, "body.data.deadline")));
    assert_true(*s_js(l, "body.data.deadline"));
    json_decref(lines);
    /* B was answered before its reminder was due: none for B */
    lines = LINES(e->hook, "body.template", "offer_reminder", "body.request_id", b);
    assert_int_equal(json_array_size(lines), 0);
    json_decref(lines);

    /* B's requester gets the follow-up, not before it was due */
    lines = WAIT_LINES(e->smtp, 1, "subject", "回访：您得到所需的帮助了吗？");
    assert_int_equal(json_array_size(lines), 1);
    l = json_array_get(lines, 0);
    json_t *rcpt = s_jget(l, "rcpt_tos");
    assert_string_equal(json_string_value(json_array_get(rcpt, 0)), "li.dabo@example.cn");
    if (s_ji(l, "time_ms") < completed_ms + 3000 - 50)
        fail_msg("the follow-up came %lld ms after completion (followup_after_s = 3)",
                 s_ji(l, "time_ms") - (long long)completed_ms);
    const char *text = s_js(l, "text");
    if (!strstr(text, b) || !strstr(text, "海曙" ORG "互助社") || !strstr(text, "养老服务"))
        fail_msg("follow-up text: %s", text);
    json_decref(lines);
    /* B's requester had three e-mails, each once: the receipt, the
     * acceptance, the follow-up */
    char who[64];
    s_requester_of(b, who);
    Notification__Delivery **d;
    size_t n = s_deliveries(e, a, 0, who, b, &d);
    if (n != 3) fail_msg("%zu deliveries to %s, expected 3", n, who);
    static const char *const tpl[3] = {"request_received", "referral_accepted", "followup"};
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(d[i]->template_, tpl[i]);
        assert_int_equal(d[i]->channel, NOTIFICATION__CHANNEL__EMAIL);
        assert_int_equal(d[i]->state, NOTIFICATION__DELIVERY_STATE__SENT);
        json_t *k = LINES(e->smtp, "idempotency_key", d[i]->idempotency_key);
        assert_int_equal(json_array_size(k), 1);
        json_decref(k);
    }
    free(d);
    assert_int_equal(s_log_count(e->smtp), 3);
    hub_arena_destroy(&a);
}

/* ---- 10. bad input gets clear errors; the daemon keeps serving ---- */
static void test_bad_input(void **state)
{
    env_t *e = *state;
    s_up(e, NULL);
    hub_arena_t *a = hub_arena_new(8 << 20);
    uint64_t errors0 = s_counter(e->ntc, "errors_total");
    const ProtobufCMessageDescriptor *recd = &notification__recipient_reply__descriptor;
    /* a party an operator adds: the civil affairs bureau's webhook */
    s_put_hook_recipient(e, "GOV-CIVIL", "海曙区民政局");
    Notification__Recipient r = NOTIFICATION__RECIPIENT__INIT;
    Notification__PutRecipientRequest pq = NOTIFICATION__PUT_RECIPIENT_REQUEST__INIT;
    pq.recipient = &r;
    r.id = "GOV-BAD";
    r.name = "坏地址";
    r.consent = 1;
    r.webhook_url = "ftp://127.0.0.1/hook";
    s_put_refused(e, &pq, "recipient.webhook_url");
    r.webhook_url = "127.0.0.1:8080/hook";
    s_put_refused(e, &pq, "recipient.webhook_url");
    r.webhook_url = "";
    r.email = "not-an-address";
    s_put_refused(e, &pq, "recipient.email");
    r.email = "";
    r.id = "operators";
    s_put_refused(e, &pq, "recipient.id");
    r.id = "requester:R1";
    s_put_refused(e, &pq, "recipient.id");
    r.id = "GOV-BAD";
    r.language = "fr";
    s_put_refused(e, &pq, "recipient.language");
    Notification__GetRecipientRequest gq = NOTIFICATION__GET_RECIPIENT_REQUEST__INIT;
    gq.id = "GOV-BAD"; /* nothing of the refused puts was stored */
    s_refused(e->ntc, "notification.recipient.get", &gq.base, recd, HUB__ERROR_CODE__NOT_FOUND, NULL, NULL);

    /* notification.send: a placeholder without a value, an unknown template */
    const ProtobufCMessageDescriptor *sendd = &notification__send_reply__descriptor;
    Notification__Placeholder title = NOTIFICATION__PLACEHOLDER__INIT, body = NOTIFICATION__PLACEHOLDER__INIT;
    title.name = "title";
    title.value = "冬季慰问活动通知";
    body.name = "text";
    body.value = "12 月 20 日上午在鼓楼街道社区服务中心举行，请各社会组织派员参加。";
    Notification__Placeholder *only_title[1] = {&title}, *both[2] = {&title, &body};
    char *to[1] = {"GOV-CIVIL"};
    Notification__SendRequest sq = NOTIFICATION__SEND_REQUEST__INIT;
    sq.recipients = to;
    sq.n_recipients = 1;
    sq.template_ = "notice";
    sq.data = only_title;
    sq.n_data = 1;
    sq.key = "notice-2026-12";
    s_refused(e->ntc, "notification.send", &sq.base, sendd, HUB__ERROR_CODE__INVALID_ARGUMENT, "text", "text");
    sq.template_ = "no_such_template";
    s_refused(e->ntc, "notification.send", &sq.base, sendd, HUB__ERROR_CODE__NOT_FOUND, "template", NULL);
    sq.template_ = "notice";
    sq.data = both;
    sq.n_data = 2;
    sq.key = "";
    s_refused(e->ntc, "notification.send", &sq.base, sendd, HUB__ERROR_CODE__INVALID_ARGUMENT, "key", NULL);
    sq.key = "notice-2026-12";
    char *nobody[1] = {"GOV-NOBODY"};
    sq.recipients = nobody;
    s_refused(e->ntc, "notification.send", &sq.base, sendd, HUB__ERROR_CODE__NOT_FOUND, NULL, NULL);
    assert_int_equal(s_count_deliveries(e, NULL, NULL), 0); /* nothing of the refused sends */
    /* the valid send is delivered; its resend is harmless */
    sq.recipients = to;
    Notification__SendReply *sr = s_ok(e->ntc, "notification.send", &sq.base, sendd, a);
    assert_int_equal(sr->n_delivery_ids, 2); /* webhook and inbox */
    json_t *lines = WAIT_LINES(e->hook, 1, "body.template", "notice", "body.recipient", "GOV-CIVIL");
    json_t *l = json_array_get(lines, 0);
    assert_string_equal(s_js(l, "body.subject"), "冬季慰问活动通知");
    assert_non_null(strstr(s_js(l, "body.text"), body.value));
    assert_true(json_is_true(s_jget(l, "signature_ok")));
    json_decref(lines);
    sr = s_ok(e->ntc, "notification.send", &sq.base, sendd, a);
    size_t resend_ids = sr->n_delivery_ids; /* checked at the end */
    assert_int_equal(s_count_deliveries(e, "GOV-CIVIL", NULL), 2);

    /* a send for later: one schedule per key, delivered when due */
    sq.key = "notice-later";
    int64_t at = hub_now_ms() + 1500;
    sq.at_ms = at;
    sr = s_ok(e->ntc, "notification.send", &sq.base, sendd, a);
    assert_true(*sr->schedule_id);
    assert_int_equal(sr->n_delivery_ids, 0);
    char sched[64];
    snprintf(sched, sizeof sched, "%s", sr->schedule_id);
    sr = s_ok(e->ntc, "notification.send", &sq.base, sendd, a); /* resent */
    assert_string_equal(sr->schedule_id, sched);
    lines = WAIT_LINES(e->hook, 1, "body.template", "notice", "body.topic", "schedule.send");
    assert_int_equal(json_array_size(lines), 1);
    l = json_array_get(lines, 0);
    if (s_ji(l, "time_ms") < at) fail_msg("the message for %lld came at %lld", (long long)at, s_ji(l, "time_ms"));
    assert_string_equal(s_js(l, "body.recipient"), "GOV-CIVIL");
    json_decref(lines);
    assert_int_equal(s_count_deliveries(e, "GOV-CIVIL", NULL), 4); /* + webhook and inbox, once */
    sq.at_ms = 0;

    /* the internal commands are not reachable from outside */
    Notification__AttemptResult ar = NOTIFICATION__ATTEMPT_RESULT__INIT;
    ar.id = "DLV-000000000001";
    ar.attempt = 1;
    ar.ok = 1;
    s_refused(e->ntc, "notification.result", &ar.base, &notification__attempt_result_reply__descriptor,
              HUB__ERROR_CODE__NOT_FOUND, "verb", NULL);
    Hub__Tick tick = HUB__TICK__INIT;
    s_refused(e->ntc, "notification.tick", &tick.base, &hub__tick_reply__descriptor, HUB__ERROR_CODE__NOT_FOUND,
              "verb", NULL);

    /* malformed bodies, bad enums, missing fields */
    s_refused_raw(e->ntc, "notification.recipient.put", "\xff\xff\xff\xff", 4, HUB__ERROR_CODE__INVALID_ARGUMENT,
                  NULL);
    s_refused_raw(e->ntc, "notification.send", "\x0a\x80", 2, HUB__ERROR_CODE__INVALID_ARGUMENT, NULL);
    s_refused_raw(e->ntc, "notification.recipient.put", "", 0, HUB__ERROR_CODE__INVALID_ARGUMENT, "recipient");
    s_refused_raw(e->ntc, "notification.nope", "", 0, HUB__ERROR_CODE__NOT_FOUND, "verb");
    uint8_t buf[64];
    Notification__ListDeliveriesRequest lq = NOTIFICATION__LIST_DELIVERIES_REQUEST__INIT;
    lq.state = 42;
    size_t len = notification__list_deliveries_request__pack(&lq, buf);
    s_refused_raw(e->ntc, "notification.delivery.list", buf, len, HUB__ERROR_CODE__INVALID_ARGUMENT, "state");
    Notification__ListInboxRequest iq = NOTIFICATION__LIST_INBOX_REQUEST__INIT;
    s_refused(e->ntc, "notification.inbox.list", &iq.base, &notification__list_inbox_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "recipient", NULL);
    Notification__RequeueRequest rq = NOTIFICATION__REQUEUE_REQUEST__INIT;
    s_refused(e->ntc, "notification.delivery.requeue", &rq.base, &notification__requeue_reply__descriptor,
              HUB__ERROR_CODE__INVALID_ARGUMENT, "id", NULL);

    /* still serving, every refusal counted */
    int st;
    assert_true(e->nt.pid > 0 && waitpid(e->nt.pid, &st, WNOHANG) == 0);
    Hub__StatusReply *s = s_status(e->ntc, a);
    assert_string_equal(s->source, "notification");
    uint64_t errors = s_counter(e->ntc, "errors_total");
    if (errors < errors0 + 20) fail_msg("errors_total %llu, expected at least %llu", (unsigned long long)errors,
                                        (unsigned long long)errors0 + 20);
    /* the resend created nothing, and says so ("deliveries created (none
     * for a resend)") */
    if (resend_ids) fail_msg("the resend of key %s reported %zu delivery ids; none were created", sq.key, resend_ids);
    hub_arena_destroy(&a);
}

/* ================================================================== regression tests (review fixes) */

/* intake.update of request id: action with text, as by (NULL: the local
 * operator; a channel name: the requester's channel). */
static void s_intake_update(env_t *e, const char *id, const char *action, const char *text, const char *by)
{
    hub_error_t err = {0};
    if (harness_intake_update(e->inc, id, action, text, NULL, by, &err))
        fail_msg("%s of %s: %s field \"%s\": %s", action, id, hub_error_code_name(err.code), err.field, err.message);
}

typedef struct {
    env_t *e;
    const char *who, *id;
} any_dlv_t;

static bool s_any_dlv(void *p)
{
    any_dlv_t *w = p;
    return s_count_deliveries(w->e, w->who, w->id) > 0;
}

/* Submits a marker request (mid; its requester told by SMS) and waits
 * until notification has a delivery to its requester: intake's feed is
 * in order, so everything intake published before it has been applied by
 * notification. */
static void s_intake_applied(env_t *e, const char *mid)
{
    char id[32], who[64];
    s_submit(e, mid, id);
    s_requester_of(id, who);
    any_dlv_t w = {e, who, id};
    if (!harness_wait(s_any_dlv, &w, WAIT_MS)) fail_msg("notification never applied intake's marker %s", id);
}

/* The inbox messages of recipient with template tpl about request_id. */
static size_t s_inbox_count(env_t *e, const char *recipient, const char *tpl, const char *request_id)
{
    hub_arena_t *a = hub_arena_new(8 << 20);
    Notification__ListInboxRequest q = NOTIFICATION__LIST_INBOX_REQUEST__INIT;
    q.recipient = (char *)recipient;
    q.limit = 500;
    Notification__ListInboxReply *r =
        s_ok(e->ntc, "notification.inbox.list", &q.base, &notification__list_inbox_reply__descriptor, a);
    size_t n = 0;
    for (size_t i = 0; i < r->n_messages; i++)
        if (!strcmp(r->messages[i]->template_, tpl) && !strcmp(r->messages[i]->request_id, request_id)) n++;
    hub_arena_destroy(&a);
    return n;
}

/* ---- 11. a cancel at intake still tells the provider (offer_withdrawn) ---- */
static void test_cancel_tells_provider(void **state)
{
    env_t *e = *state;
    s_up(e, NULL);
    hub_arena_t *a = hub_arena_new(8 << 20);
    s_provider(e, ORG, 10);
    char id[32];
    s_submit(e, "cancel-1", id);
    /* notification has applied the offer */
    json_decref(WAIT_LINES(e->hook, 1, "body.template", "offer", "body.request_id", id));
    /* matching is stopped so that notification surely applies intake's
     * cancel before matching's withdrawal (the order that hid the provider) */
    hub_client_destroy(&e->mtc);
    assert_int_equal(harness_stop(&e->mt, SIGTERM), 0);
    s_intake_update(e, id, "cancel", "家属已自行安排，不再需要", "web-form"); /* the requester's channel */
    s_intake_applied(e, "cancel-mark");
    assert_int_equal(harness_start(&e->mt), 0);
    e->mtc = hub_client_new(s_zctx, e->mt.api, NULL, 5000);
    json_t *lines = WAIT_LINES(e->hook, 1, "body.template", "offer_withdrawn", "body.request_id", id);
    assert_int_equal(json_array_size(lines), 1);
    json_t *l = json_array_get(lines, 0);
    assert_string_equal(s_js(l, "body.recipient"), ORG);
    assert_string_equal(s_js(l, "body.topic"), "matching.referral.withdrawn");
    assert_true(json_is_true(s_jget(l, "signature_ok")));
    char subj[128];
    snprintf(subj, sizeof subj, "转介已撤回：%s", id);
    assert_string_equal(s_js(l, "body.subject"), subj);
    const char *text = s_js(l, "body.text");
    if (!strstr(text, id) || !strstr(text, "海曙" ORG "互助社") || !strstr(text, "原因："))
        fail_msg("offer_withdrawn text: %s", text);
    json_decref(lines);
    /* matching did withdraw it; the webhook delivery is sent, the org's
     * inbox has the message too */
    Matching__Referral *r = s_ref_try(e, a, id);
    assert_non_null(r);
    assert_int_equal(r->status, MATCHING__REFERRAL_STATUS__CANCELLED);
    s_wait_dlv(e, a, ORG, id, NOTIFICATION__CHANNEL__INBOX, NOTIFICATION__DELIVERY_STATE__SENT);
    assert_int_equal(s_inbox_count(e, ORG, "offer_withdrawn", id), 1);
    hub_arena_destroy(&a);
}

/* ---- 12. an intake note keeps the offer reminder, a close the follow-up ---- */

typedef struct {
    const rcv_t *hook, *smtp;
    const char *a;
    json_t *reminders, *followups;
} keep_wait_t;

static bool s_kept(void *p)
{
    keep_wait_t *w = p;
    json_decref(w->reminders);
    json_decref(w->followups);
    w->reminders = LINES(w->hook, "body.template", "offer_reminder", "body.request_id", w->a);
    w->followups = LINES(w->smtp, "subject", "回访：您得到所需的帮助了吗？");
    return json_array_size(w->reminders) >= 1 && json_array_size(w->followups) >= 1;
}

static void test_note_and_close_keep_schedules(void **state)
{
    env_t *e = *state;
    opts_t o = {.matching_extra = "offer_timeout_s = 4\nexpire_check_ms = 20\n",
                .notif_extra = "offer_reminder_s = 2\nfollowup_after_s = 2\n"};
    s_up(e, &o);
    hub_arena_t *a = hub_arena_new(8 << 20);
    s_provider(e, ORG, 10);
    uint64_t sched0 = s_counter(e->ntc, "schedules_total");
    /* A: offered, left pending (reminded 2 s before its 4 s deadline) */
    char ida[32], idb[32];
    s_submit(e, "keep-a", ida);
    int64_t due = s_wait_offered(e, a, ida)->offers[0]->deadline_ms;
    /* B: served and completed (followed up 2 s later) */
    s_submit_email(e, "keep-b", "li.dabo@example.cn", "zh", idb);
    s_wait_offered(e, a, idb);
    s_respond(e, idb, ORG, "accept", 0, 0);
    s_respond(e, idb, ORG, "start", 0, 0);
    s_respond(e, idb, ORG, "complete", MATCHING__OUTCOME__GOT_HELP, 2);
    int64_t completed_ms = hub_now_ms();
    /* notification has applied A's offer, and B's completion: three
     * schedules (A's and B's reminders, B's follow-up) */
    json_decref(WAIT_LINES(e->hook, 1, "body.template", "offer", "body.request_id", ida));
    counter_wait_t cw = {e->ntc, "schedules_total", sched0 + 3};
    if (!harness_wait(s_counter_reached, &cw, WAIT_MS))
        fail_msg("the schedules of %s and %s were never stored", ida, idb);
    /* intake: a note on A (pending offer), a close of B (completed) */
    s_intake_update(e, ida, "note", "已电话联系家属，等待服务方回复", NULL);
    s_intake_update(e, idb, "close", "服务完成，结案", NULL);
    s_intake_applied(e, "keep-mark");
    /* both were applied before the reminder and the follow-up were due
     * (else this test could not tell) */
    int64_t now = hub_now_ms();
    if (now >= due - 2000 || now >= completed_ms + 2000)
        fail_msg("too slow: the note and the close were applied %lld ms before the reminder, %lld ms before the "
                 "follow-up was due",
                 (long long)(due - 2000 - now), (long long)(completed_ms + 2000 - now));
    keep_wait_t w = {e->hook, e->smtp, ida, NULL, NULL};
    if (!harness_wait(s_kept, &w, WAIT_MS))
        fail_msg("after the note on %s and the close of %s: %zu offer reminders (expected 1), %zu follow-ups "
                 "(expected 1)",
                 ida, idb, json_array_size(w.reminders), json_array_size(w.followups));
    assert_int_equal(json_array_size(w.reminders), 1);
    json_t *l = json_array_get(w.reminders, 0);
    long long at = s_ji(l, "time_ms");
    if (at >= due || at < due - 2000 - 20)
        fail_msg("the reminder came at %lld, the deadline is %lld (expected in its last 2 s)", at, (long long)due);
    assert_string_equal(s_js(l, "body.recipient"), ORG);
    assert_true(json_is_true(s_jget(l, "signature_ok")));
    assert_int_equal(json_array_size(w.followups), 1);
    l = json_array_get(w.followups, 0);
    assert_string_equal(json_string_value(json_array_get(s_jget(l, "rcpt_tos"), 0)), "li.dabo@example.cn");
    if (s_ji(l, "time_ms") < completed_ms + 2000 - 50)
        fail_msg("the follow-up came %lld ms after completion (followup_after_s = 2)",
                 s_ji(l, "time_ms") - (long long)completed_ms);
    if (!strstr(s_js(l, "text"), idb)) fail_msg("follow-up text: %s", s_js(l, "text"));
    json_decref(w.reminders);
    json_decref(w.followups);
    /* no reminder for B (answered) */
    json_t *lines = LINES(e->hook, "body.template", "offer_reminder", "body.request_id", idb);
    assert_int_equal(json_array_size(lines), 0);
    json_decref(lines);
    hub_arena_destroy(&a);
}

/* ---- 13. nothing can be injected into SMTP commands or headers ---- */
static void test_injection_refused(void **state)
{
    env_t *e = *state;
    s_up(e, NULL);
    hub_arena_t *a = hub_arena_new(8 << 20);
    const ProtobufCMessageDescriptor *subd = &intake__submit_reply__descriptor;
    /* intake: a requester's e-mail that would add an SMTP recipient, or a
     * second address to the To header */
    static const char *const bad_mail[] = {"victim@example.cn>\r\nRCPT TO:<attacker@evil.example",
                                           "victim@example.cn,attacker@evil.example"};
    for (size_t i = 0; i < 2; i++) {
        char mid[32];
        snprintf(mid, sizeof mid, "inject-%zu", i);
        Intake__SubmitRequest *s = s_req(a, mid);
        s->request->requester->email = (char *)bad_mail[i];
        s->request->preferred_contact = INTAKE__CONTACT_METHOD__EMAIL;
        s->request->consent_to_contact = 1;
        s_refused(e->inc, "intake.submit", &s->base, subd, HUB__ERROR_CODE__INVALID_ARGUMENT, "requester.email",
                  NULL);
    }

    /* notification.send: a key that would add a header (CR/LF), or a space */
    s_put_hook_recipient(e, "GOV-CIVIL", "海曙区民政局");
    const ProtobufCMessageDescriptor *sendd = &notification__send_reply__descriptor;
    Notification__Placeholder title = NOTIFICATION__PLACEHOLDER__INIT, body = NOTIFICATION__PLACEHOLDER__INIT;
    title.name = "title";
    title.value = "志愿服务培训通知";
    body.name = "text";
    body.value = "本周六上午在鼓楼街道社区服务中心举行志愿服务培训。";
    Notification__Placeholder *data[2] = {&title, &body};
    char *to[1] = {"GOV-CIVIL"};
    Notification__SendRequest sq = NOTIFICATION__SEND_REQUEST__INIT;
    sq.recipients = to;
    sq.n_recipients = 1;
    sq.template_ = "notice";
    sq.data = data;
    sq.n_data = 2;
    static const char *const bad_keys[] = {"notice-1\r\nX-Evil: 1", "notice\nBcc: attacker@evil.example",
                                           "notice 2026-12"};
    for (size_t i = 0; i < 3; i++) {
        sq.key = (char *)bad_keys[i];
        s_refused(e->ntc, "notification.send", &sq.base, sendd, HUB__ERROR_CODE__INVALID_ARGUMENT, "key", NULL);
    }
    assert_int_equal(s_count_deliveries(e, "GOV-CIVIL", NULL), 0);
    /* every character the rule allows: delivered */
    sq.key = "Notice_2026-12.v1:a";
    Notification__SendReply *sr = s_ok(e->ntc, "notification.send", &sq.base, sendd, a);
    assert_int_equal(sr->n_delivery_ids, 2);
    json_t *lines = WAIT_LINES(e->hook, 1, "body.template", "notice", "body.recipient", "GOV-CIVIL");
    assert_int_equal(json_array_size(lines), 1);
    assert_non_null(strstr(s_js(json_array_get(lines, 0), "key"), "Notice_2026-12.v1:a"));
    json_decref(lines);

    /* notification.recipient.put: the same e-mail addresses */
    const ProtobufCMessageDescriptor *recd = &notification__recipient_reply__descriptor;
    Notification__Recipient r = NOTIFICATION__RECIPIENT__INIT;
    Notification__PutRecipientRequest pq = NOTIFICATION__PUT_RECIPIENT_REQUEST__INIT;
    pq.recipient = &r;
    r.id = "GOV-INJ";
    r.name = "注入测试";
    r.consent = 1;
    static const char *const bad_rcpt[] = {"a@b.cn>\r\nRCPT TO:<x@y.cn", "ops@haishu.example,attacker@evil.example",
                                           "a@b@haishu.example"};
    for (size_t i = 0; i < 3; i++) {
        r.email = (char *)bad_rcpt[i];
        s_put_refused(e, &pq, "recipient.email");
    }
    Notification__GetRecipientRequest gq = NOTIFICATION__GET_RECIPIENT_REQUEST__INIT;
    gq.id = "GOV-INJ";
    s_refused(e->ntc, "notification.recipient.get", &gq.base, recd, HUB__ERROR_CODE__NOT_FOUND, NULL, NULL);
    /* nothing reached the mail server */
    assert_int_equal(s_log_count(e->smtp), 0);
    hub_arena_destroy(&a);
}

/* ---- 14. smtp_from with a display name: the envelope has the address ---- */
static void test_smtp_from_display_name(void **state)
{
    env_t *e = *state;
    opts_t o = {.from_name = "海曙区社会组织服务中心"};
    s_up(e, &o);
    hub_arena_t *a = hub_arena_new(8 << 20);
    char id[32], who[64];
    s_submit_email(e, "from-1", "wang.ayi@example.cn", "zh", id);
    s_requester_of(id, who);
    Notification__Delivery *d = s_wait_dlv(e, a, who, id, NOTIFICATION__CHANNEL__EMAIL,
                                           NOTIFICATION__DELIVERY_STATE__SENT);
    char key[512];
    snprintf(key, sizeof key, "%s", d->idempotency_key);
    /* the receiver's line for the key, whatever its envelope sender */
    json_t *all = s_log_from(e->smtp, false), *l = NULL, *x;
    size_t i;
    json_array_foreach(all, i, x) if (i >= e->smtp->base && !strcmp(s_js(x, "idempotency_key"), key)) l = x;
    if (!l) fail_msg("the mail server logged no message with key %s", key);
    /* MAIL FROM: the address alone */
    assert_string_equal(s_js(l, "mail_from"), e->from);
    s_expect_mail_format(e, l, "wang.ayi@example.cn", key);
    /* the From header: the name (RFC 2047, decoded by the receiver) and the address */
    char want[256];
    snprintf(want, sizeof want, "海曙区社会组织服务中心 <%s>", e->from);
    assert_string_equal(s_js(l, "headers.from"), want);
    json_decref(all);
    hub_arena_destroy(&a);
}

/* ---- 15. events older than max_event_age_s reach the inbox only ---- */

typedef struct {
    env_t *e;
    const char *id;
} inbox_wait_t;

static bool s_operators_told(void *p)
{
    inbox_wait_t *w = p;
    return s_inbox_count(w->e, "operators", "unmatched", w->id) > 0;
}

static void test_stale_events_inbox_only(void **state)
{
    env_t *e = *state;
    opts_t o = {.notif_extra = "max_event_age_s = 1\n"};
    s_up(e, &o);
    hub_arena_t *a = hub_arena_new(8 << 20);
    uint64_t stale0 = s_counter(e->ntc, "deliveries_stale_total");
    /* notification is down while a request (consent, SMS) comes in and
     * goes unmatched (no provider) */
    hub_client_destroy(&e->ntc);
    assert_int_equal(harness_stop(&e->nt, SIGTERM), 0);
    Intake__SubmitRequest *s = s_req(a, "stale-1");
    s->request->requester->phone = "13755556666";
    s->request->preferred_contact = INTAKE__CONTACT_METHOD__SMS;
    char id[32], who[64];
    s_submit_req(e, s, id);
    s_requester_of(id, who);
    ref_wait_t rw = {e, id, MATCHING__REFERRAL_STATUS__REJECTED};
    if (!harness_wait(s_ref_reached, &rw, WAIT_MS)) fail_msg("%s never went unmatched", id);
    /* both events (intake's acceptance, matching's unmatched) are older
     * than max_event_age_s = 1 when notification comes back */
    int64_t old_at = hub_now_ms() + 1500;
    assert_true(harness_wait(s_time_passed, &old_at, 5000));
    assert_int_equal(harness_start(&e->nt), 0);
    e->ntc = hub_client_new(s_zctx, e->nt.api, NULL, 5000);
    /* a fresh request afterwards is told by SMS: intake's feed ran past */
    hub_arena_reset(a);
    s = s_req(a, "stale-fresh");
    s->request->requester->phone = "13766667777";
    s->request->preferred_contact = INTAKE__CONTACT_METHOD__SMS;
    char fresh[32], fresh_who[64];
    s_submit_req(e, s, fresh);
    s_requester_of(fresh, fresh_who);
    Notification__Delivery *d = s_wait_dlv(e, a, fresh_who, fresh, NOTIFICATION__CHANNEL__SMS,
                                           NOTIFICATION__DELIVERY_STATE__SENT);
    json_decref(WAIT_LINES(e->sms, 1, "key", d->idempotency_key));
    /* the operators' inbox has the old unmatched message */
    inbox_wait_t iw = {e, id};
    if (!harness_wait(s_operators_told, &iw, WAIT_MS)) fail_msg("the operators' inbox never had %s unmatched", id);
    assert_int_equal(s_inbox_count(e, "operators", "unmatched", id), 1);
    /* but no SMS was made or sent for the old request */
    Notification__Delivery **all;
    size_t n = s_deliveries(e, a, 0, NULL, id, &all);
    for (size_t k = 0; k < n; k++)
        if (all[k]->channel != NOTIFICATION__CHANNEL__INBOX)
            fail_msg("delivery %s (%s to %s, %s) for the old request %s", all[k]->id,
                     protobuf_c_enum_descriptor_get_value(&notification__channel__descriptor, all[k]->channel)->name,
                     all[k]->recipient, s_state_name(all[k]->state), id);
    free(all);
    assert_int_equal(s_count_deliveries(e, who, id), 0);
    if (s_log_mentions(e->sms, "13755556666")) fail_msg("the SMS gateway got a message for the old request %s", id);
    uint64_t stale = s_counter(e->ntc, "deliveries_stale_total");
    if (stale < stale0 + 1) fail_msg("deliveries_stale_total %llu", (unsigned long long)stale);
    hub_arena_destroy(&a);
}

/* ---- 16. a form-encoded SMS gateway: values URL-encoded ---- */

/* The fields python's urllib.parse.parse_qs makes of body (strict UTF-8
 * decoding of the %-escapes): a JSON object of arrays. */
static json_t *s_parse_qs(const char *body)
{
    char path[128], cmd[512];
    snprintf(path, sizeof path, "%s/qs-%d.txt", s_rdir, s_test_no);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(body, f);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof cmd,
             PYTHON " -c 'import sys, json, urllib.parse; "
                    "print(json.dumps(urllib.parse.parse_qs(open(sys.argv[1], encoding=\"utf-8\").read(), "
                    "errors=\"strict\"), ensure_ascii=False))' '%s'",
             path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *out = NULL;
    size_t cap = 0;
    ssize_t n = getline(&out, &cap, p);
    int rc = pclose(p);
    if (n <= 0 || rc) fail_msg("parse_qs of %s failed (exit %d)", body, rc);
    json_t *j = json_loads(out, 0, NULL);
    if (!json_is_object(j)) fail_msg("parse_qs answered %s", out);
    free(out);
    unlink(path);
    return j;
}

static void test_sms_form_encoded(void **state)
{
    env_t *e = *state;
    opts_t o = {.notif_extra = "sms_content_type = application/x-www-form-urlencoded\n"
                               "sms_body = to={{phone}}&text={{text}}&key={{key}}\n"};
    s_up(e, &o);
    hub_arena_t *a = hub_arena_new(8 << 20);
    /* a provider whose name has '&' and '=': it reaches the requester's
     * SMS when it accepts */
    const char *name = "鼓楼助餐&送餐=互助社";
    s_add_org(e, "ORG-AMP", name, "鼓楼街道", 10);
    Intake__SubmitRequest *s = s_req(a, "form-1");
    s->request->requester->phone = "13912345678";
    s->request->preferred_contact = INTAKE__CONTACT_METHOD__SMS;
    char id[32];
    s_submit_req(e, s, id);
    s_wait_offered(e, a, id);
    s_respond(e, id, "ORG-AMP", "accept", 0, 0);
    /* two SMS: the receipt, then the acceptance naming the provider */
    json_t *lines = WAIT_LINES(e->sms, 2, "path", e->sms->tag);
    assert_int_equal(json_array_size(lines), 2);
    bool receipt = false, accepted = false;
    for (size_t i = 0; i < 2; i++) {
        json_t *l = json_array_get(lines, i);
        assert_int_equal(s_ji(l, "status"), 200);
        assert_non_null(strstr(s_js(l, "headers.content-type"), "application/x-www-form-urlencoded"));
        if (!json_is_string(s_jget(l, "body"))) fail_msg("the SMS body is not plain text: %s", json_dumps(l, 0));
        const char *raw = s_js(l, "body");
        /* URL-encoded: ASCII only, the Chinese text as %-escapes */
        for (const char *c = raw; *c; c++)
            if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e)
                fail_msg("a raw byte 0x%02x in the form body: %s", (unsigned char)*c, raw);
        if (!strstr(raw, "&text=%E6") && !strstr(raw, "&text=%E5")) fail_msg("the text is not %%-encoded: %s", raw);
        json_t *f = s_parse_qs(raw);
        if (json_object_size(f) != 3) fail_msg("parse_qs made %zu fields of %s", json_object_size(f), raw);
        static const char *const names[3] = {"to", "text", "key"};
        for (int k = 0; k < 3; k++)
            if (json_array_size(json_object_get(f, names[k])) != 1)
                fail_msg("field %s is not there once in %s", names[k], raw);
        assert_string_equal(json_string_value(json_array_get(json_object_get(f, "to"), 0)), "13912345678");
        assert_string_equal(json_string_value(json_array_get(json_object_get(f, "key"), 0)),
                            s_js(l, "headers.idempotency-key"));
        const char *text = json_string_value(json_array_get(json_object_get(f, "text"), 0));
        if (!strstr(text, id)) fail_msg("SMS text without %s: %s", id, text);
        if (!strncmp(text, "您的求助已受理 ", strlen("您的求助已受理 "))) {
            receipt = true;
            if (!strstr(text, "）。\n我们正在为您联系")) fail_msg("SMS text: %s", text);
        } else if (!strncmp(text, "已为您找到服务方 ", strlen("已为您找到服务方 "))) {
            accepted = true;
            char want[128];
            snprintf(want, sizeof want, "已由%s承接", name);
            if (!strstr(text, want)) fail_msg("SMS text without \"%s\": %s", want, text);
        } else {
            fail_msg("SMS text: %s", text);
        }
        json_decref(f);
    }
    assert_true(receipt && accepted);
    json_decref(lines);
    hub_arena_destroy(&a);
}

/* ---- 17. quiet hours: no SMS at night unless the request is urgent ---- */

/* The quiet window is set around the present moment (CST), so the test
 * does not depend on the hour it runs at: a normal request's SMS waits
 * for the window's end, an urgent one goes at once. */
static void test_quiet_hours_hold_sms_unless_urgent(void **state)
{
    env_t *e = *state;
    int64_t now = hub_now_ms();
    int m = (int)(((now / 1000 + 8 * 3600) / 60) % 1440);
    int from = (m + 1440 - 60) % 1440, to = (m + 60) % 1440;
    char extra[128];
    snprintf(extra, sizeof extra, "quiet_start = %02d:%02d\nquiet_end = %02d:%02d\n", from / 60, from % 60, to / 60,
             to % 60);
    opts_t o = {.notif_extra = extra};
    s_up(e, &o);
    hub_arena_t *a = hub_arena_new(8 << 20);
    char calm[32], urgent[32], who[64];
    Intake__SubmitRequest *s = s_req(a, "quiet-1");
    s->request->requester->phone = "13911110001";
    s->request->preferred_contact = INTAKE__CONTACT_METHOD__SMS;
    s->request->urgency = INTAKE__URGENCY__NORMAL;
    s_submit_req(e, s, calm);
    s = s_req(a, "quiet-2");
    s->request->requester->phone = "13911110002";
    s->request->preferred_contact = INTAKE__CONTACT_METHOD__SMS;
    s->request->urgency = INTAKE__URGENCY__HIGH;
    s_submit_req(e, s, urgent);
    /* the urgent one is sent in the quiet hours... */
    s_requester_of(urgent, who);
    Notification__Delivery *d = s_wait_dlv(e, a, who, urgent, NOTIFICATION__CHANNEL__SMS,
                                           NOTIFICATION__DELIVERY_STATE__SENT);
    assert_true(d->urgent);
    assert_true(s_log_mentions(e->sms, "13911110002"));
    /* ...the other (created before it) waits for the end of the window */
    s_requester_of(calm, who);
    d = s_wait_dlv(e, a, who, calm, NOTIFICATION__CHANNEL__SMS, NOTIFICATION__DELIVERY_STATE__QUEUED);
    assert_false(d->urgent);
    assert_int_equal(d->attempts, 0);
    int64_t wait_min = (d->next_ms - now) / 60000;
    if (wait_min < 55 || wait_min > 61)
        fail_msg("the SMS waits %lld min; the quiet window ends in 60", (long long)wait_min);
    assert_false(s_log_mentions(e->sms, "13911110001"));
    hub_arena_destroy(&a);
}

/* ---- 18. an SMS backlog met by the quiet hours moves to their end ---- */

typedef struct {
    env_t *e;
    const char *id;
    int64_t at_least;
} moved_wait_t;

static bool s_moved(void *p)
{
    moved_wait_t *w = p;
    hub_arena_t *a = hub_arena_new(1 << 20);
    Notification__Delivery *d = s_get_delivery(w->e, a, w->id);
    bool ok = d && d->next_ms >= w->at_least;
    hub_arena_destroy(&a);
    return ok;
}

/* A retry falls due while the daemon is down; it restarts inside the quiet
 * hours: the sender moves the SMS to their end (notification.hold) instead
 * of sending it or looking at it again, and an urgent SMS still goes. */
static void test_quiet_hours_hold_moves_backlog(void **state)
{
    env_t *e = *state;
    opts_t o = {.notif_extra = "retry_base_ms = 300\nretry_max_ms = 300\nmax_attempts = 5\n"};
    s_up(e, &o);
    s_control(e->sms, "fail");
    hub_arena_t *a = hub_arena_new(8 << 20);
    char calm[32], urgent[32], who[64];
    Intake__SubmitRequest *s = s_req(a, "hold-1");
    s->request->requester->phone = "13922220001";
    s->request->preferred_contact = INTAKE__CONTACT_METHOD__SMS;
    s->request->urgency = INTAKE__URGENCY__NORMAL;
    s_submit_req(e, s, calm);
    s_requester_of(calm, who);
    Notification__Delivery *d = s_wait_dlv(e, a, who, calm, NOTIFICATION__CHANNEL__SMS,
                                           NOTIFICATION__DELIVERY_STATE__RETRYING);
    assert_int_equal(harness_stop(&e->nt, SIGTERM), 0);
    char id[32], key[512];
    snprintf(id, sizeof id, "%s", d->id);
    snprintf(key, sizeof key, "%s", d->idempotency_key);
    uint32_t attempts = d->attempts;
    /* the retry is due now; the quiet window is around the present minute */
    int64_t retry_due = d->next_ms + 19; /* the time the retry falls due (and 20 ms), not a wait for luck */
    if (!harness_wait(s_time_passed, &retry_due, 5000))
        fail_msg("the clock never passed the retry's due time %lld", (long long)retry_due);
    int64_t now = hub_now_ms();
    int m = (int)(((now / 1000 + 8 * 3600) / 60) % 1440);
    int from = (m + 1440 - 60) % 1440, to = (m + 60) % 1440;
    size_t len = strlen(e->nt.extra);
    snprintf(e->nt.extra + len, sizeof e->nt.extra - len, "quiet_start = %02d:%02d\nquiet_end = %02d:%02d\n",
             from / 60, from % 60, to / 60, to % 60);
    assert_int_equal(harness_write_config(&e->nt), 0);
    assert_int_equal(harness_start(&e->nt), 0);
    s_control(e->sms, "ok");
    moved_wait_t w = {e, id, now + 55 * 60000};
    if (!harness_wait(s_moved, &w, WAIT_MS)) {
        d = s_get_delivery(e, a, id);
        fail_msg("the due SMS %s was not moved past the quiet hours: state %d, attempts %u, next in %lld ms, "
                 "held %llu, config [notification] extra: %s",
                 id, d ? (int)d->state : -1, d ? d->attempts : 0, d ? (long long)(d->next_ms - hub_now_ms()) : 0,
                 (unsigned long long)s_counter(e->ntc, "sms_held_total"), e->nt.extra);
    }
    d = s_get_delivery(e, a, id);
    assert_int_equal(d->attempts, attempts); /* not tried again */
    assert_int_equal(s_counter(e->ntc, "sms_held_total"), 1);
    /* an urgent SMS is not held up behind it */
    s = s_req(a, "hold-2");
    s->request->requester->phone = "13922220002";
    s->request->preferred_contact = INTAKE__CONTACT_METHOD__SMS;
    s->request->urgency = INTAKE__URGENCY__EMERGENCY;
    s_submit_req(e, s, urgent);
    s_requester_of(urgent, who);
    s_wait_dlv(e, a, who, urgent, NOTIFICATION__CHANNEL__SMS, NOTIFICATION__DELIVERY_STATE__SENT);
    json_t *lines = s_key_lines(e->sms, key);
    assert_int_equal(json_array_size(lines), attempts); /* only the failed attempts before the stop */
    json_decref(lines);
    hub_arena_destroy(&a);
}

/* ---- 19. a slow receiver does not stall the daemon ---- */

/* The provider's webhook receiver takes the request and never answers;
 * meanwhile another request's SMS goes out and the daemon answers
 * commands: the webhook delivery is still in its first attempt when the
 * SMS is sent, so nothing waited for it (no timing luck: the transfer's
 * timeout is 30 s). */
static void test_slow_receiver_does_not_stall(void **state)
{
    env_t *e = *state;
    opts_t o = {.hook_mode = "hang", .notif_extra = "timeout_ms = 30000\n"};
    s_up(e, &o);
    hub_arena_t *a = hub_arena_new(8 << 20);
    s_provider(e, ORG, 10);
    char slow[32], quick[32], who[64];
    s_submit(e, "slow-1", slow);
    /* the webhook request has reached the receiver, which holds it */
    json_t *lines = WAIT_LINES(e->hook, 1, "body.template", "offer", "body.recipient", ORG);
    json_decref(lines);
    Intake__SubmitRequest *s = s_req(a, "slow-2");
    s->request->requester->phone = "13933330001";
    s->request->preferred_contact = INTAKE__CONTACT_METHOD__SMS;
    s_submit_req(e, s, quick);
    s_requester_of(quick, who);
    s_wait_dlv(e, a, who, quick, NOTIFICATION__CHANNEL__SMS, NOTIFICATION__DELIVERY_STATE__SENT);
    /* the offer is still in its first attempt */
    Notification__Delivery **d;
    size_t n = s_deliveries(e, a, 0, ORG, slow, &d), webhooks = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i]->channel != NOTIFICATION__CHANNEL__WEBHOOK) continue;
        webhooks++;
        assert_int_equal(d[i]->state, NOTIFICATION__DELIVERY_STATE__QUEUED);
        assert_int_equal(d[i]->attempts, 0);
    }
    free(d);
    assert_int_equal(webhooks, 1);
    /* and the daemon answers commands */
    assert_true(s_counter(e->ntc, "deliveries_sent_total") >= 2);
    s_control(e->hook, "ok");
    hub_arena_destroy(&a);
}

/* ---- 20. matching's news for a requester before intake's event ---- */

typedef struct {
    env_t *e;
    uint64_t at_least;
} deferred_wait_t;

static bool s_deferred(void *p)
{
    deferred_wait_t *w = p;
    return s_counter(w->e->ntc, "requester_messages_deferred_total") >= w->at_least;
}

/* The two feeds run side by side: with intake down when notification
 * starts, matching's "accepted" is applied before intake's "accepted"
 * brings the requester's contact. The requester's message waits in the
 * request's state and goes out once intake's event is applied. */
static void test_requester_message_waits_for_intake(void **state)
{
    env_t *e = *state;
    s_up(e, NULL);
    hub_arena_t *a = hub_arena_new(8 << 20);
    s_provider(e, ORG, 10);
    hub_client_destroy(&e->ntc);
    assert_int_equal(harness_stop(&e->nt, SIGTERM), 0);
    char id[32], who[64];
    s_submit_email(e, "defer-1", "zhao@example.cn", "zh", id);
    s_wait_offered(e, a, id);
    s_respond(e, id, ORG, "accept", 0, 0);
    /* intake away: notification learns of the acceptance first */
    hub_client_destroy(&e->inc);
    assert_int_equal(harness_stop(&e->in, SIGTERM), 0);
    assert_int_equal(harness_start(&e->nt), 0);
    e->ntc = hub_client_new(s_zctx, e->nt.api, NULL, 5000);
    deferred_wait_t w = {e, 1};
    if (!harness_wait(s_deferred, &w, WAIT_MS)) fail_msg("matching's acceptance of %s was not applied first", id);
    s_requester_of(id, who);
    Notification__Delivery **d;
    size_t none = s_deliveries(e, a, 0, who, id, &d);
    free(d);
    assert_int_equal(none, 0);
    /* intake back: its event brings the contact, and both messages go */
    assert_int_equal(harness_start(&e->in), 0);
    e->inc = hub_client_new(s_zctx, e->in.api, NULL, 5000);
    Notification__Delivery *got = s_wait_dlv(e, a, who, id, NOTIFICATION__CHANNEL__EMAIL,
                                             NOTIFICATION__DELIVERY_STATE__SENT);
    (void)got;
    json_t *lines = WAIT_LINES(e->smtp, 2, "mail_from", e->from);
    bool received = false, accepted = false;
    for (size_t i = 0; i < json_array_size(lines); i++) {
        const char *k = s_js(json_array_get(lines, i), "idempotency_key");
        received |= strstr(k, ".request_received.") != NULL;
        accepted |= strstr(k, ".referral_accepted.") != NULL;
    }
    if (!received || !accepted) fail_msg("the requester got %zu e-mails (received %d, accepted %d)",
                                         json_array_size(lines), received, accepted);
    json_decref(lines);
    hub_arena_destroy(&a);
}

/* ---- 21. a schedule that cannot fire does not hold up the others ---- */

/* Writes dir/<lang>.txt: the default file with the notice template asking
 * for one more value ({{place}}), which the scheduled send did not give. */
static void s_templates_wanting_place(const char *dir, const char *lang, const char *line)
{
    char src[64], dst[320];
    snprintf(src, sizeof src, "deploy/templates/%s.txt", lang);
    snprintf(dst, sizeof dst, "%s/%s.txt", dir, lang);
    FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
    assert_non_null(in);
    assert_non_null(out);
    char buf[1024];
    bool notice = false, added = false;
    while (fgets(buf, sizeof buf, in)) {
        fputs(buf, out);
        if (!strncmp(buf, "== ", 3)) notice = !strcmp(buf, "== notice\n");
        if (notice && !added && !strcmp(buf, "{{text}}\n")) fputs(line, out), added = true;
    }
    fclose(in);
    fclose(out);
    assert_true(added);
}

/* Two messages are scheduled for the same moment; before it comes the
 * operator's notice template changes to need a value the first one lacks.
 * The first is refused when due (rolled back, logged, counted), the
 * second is delivered all the same. */
static void test_schedule_refused_others_fire(void **state)
{
    env_t *e = *state;
    s_up(e, NULL);
    hub_arena_t *a = hub_arena_new(8 << 20);
    const ProtobufCMessageDescriptor *sendd = &notification__send_reply__descriptor;
    s_put_hook_recipient(e, "GOV-CIVIL", "海曙区民政局");
    char *to[1] = {"GOV-CIVIL"};
    Notification__Placeholder p[4];
    Notification__Placeholder *pp[4] = {&p[0], &p[1], &p[2], &p[3]};
    for (int i = 0; i < 4; i++) notification__placeholder__init(&p[i]);
    p[0].name = "title", p[0].value = "冬季慰问活动";
    p[1].name = "text", p[1].value = "请各社会组织报名。";
    Notification__SendRequest sq = NOTIFICATION__SEND_REQUEST__INIT;
    sq.recipients = to;
    sq.n_recipients = 1;
    sq.template_ = "notice";
    sq.data = pp;
    sq.n_data = 2;
    sq.key = "due-a";
    int64_t at = hub_now_ms() + 3000;
    sq.at_ms = at;
    assert_true(*((Notification__SendReply *)s_ok(e->ntc, "notification.send", &sq.base, sendd, a))->schedule_id);
    p[0].name = "request_id", p[0].value = "R20261126-000099";
    p[1].name = "service", p[1].value = "养老服务";
    p[2].name = "provider", p[2].value = "海曙区民政局";
    p[3].name = "reason", p[3].value = "重复登记";
    sq.template_ = "offer_withdrawn";
    sq.n_data = 4;
    sq.key = "due-b";
    assert_true(*((Notification__SendReply *)s_ok(e->ntc, "notification.send", &sq.base, sendd, a))->schedule_id);
    hub_client_destroy(&e->ntc);
    assert_int_equal(harness_stop(&e->nt, SIGTERM), 0);
    if (hub_now_ms() >= at) fail_msg("too slow: the schedules were due before notification stopped");
    s_templates_wanting_place(e->in.dir, "zh", "地点：{{place}}\n");
    s_templates_wanting_place(e->in.dir, "en", "Place: {{place}}\n");
    size_t len = strlen(e->nt.extra);
    snprintf(e->nt.extra + len, sizeof e->nt.extra - len, "templates = %s\n", e->in.dir);
    assert_int_equal(harness_write_config(&e->nt), 0);
    assert_int_equal(harness_start(&e->nt), 0);
    e->ntc = hub_client_new(s_zctx, e->nt.api, NULL, 5000);
    json_t *lines = WAIT_LINES(e->hook, 1, "body.template", "offer_withdrawn", "body.recipient", "GOV-CIVIL");
    json_decref(lines);
    counter_wait_t cw = {e->ntc, "schedule_failures_total", 1};
    if (!harness_wait(s_counter_reached, &cw, WAIT_MS)) fail_msg("the notice's schedule was not refused");
    assert_int_equal(s_counter(e->ntc, "schedule_failures_total"), 1);
    assert_int_equal(s_counter(e->ntc, "schedules_fired_total"), 1);
    lines = LINES(e->hook, "body.template", "notice");
    assert_int_equal(json_array_size(lines), 0); /* nothing of the refused one */
    json_decref(lines);
    hub_arena_destroy(&a);
}

int main(void)
{
    s_zctx = zmq_ctx_new();
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_offer_reaches_provider_webhook_signed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_email_chinese_text_and_headers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_receiver_down_then_up_exactly_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_always_failing_goes_dead_then_requeue, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_kill_between_send_and_record_no_double, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_no_consent_no_message, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_sms_gateway_body, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_restart_replay_no_duplicate_deliveries, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_offer_reminder_and_followup_schedules, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_cancel_tells_provider, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_note_and_close_keep_schedules, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_injection_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_smtp_from_display_name, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_stale_events_inbox_only, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_sms_form_encoded, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_quiet_hours_hold_sms_unless_urgent, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_quiet_hours_hold_moves_backlog, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_slow_receiver_does_not_stall, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_requester_message_waits_for_intake, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_schedule_refused_others_fire, s_setup, s_teardown),
    };
    /* the context is not terminated: a failed test may leave a socket open */
    return cmocka_run_group_tests_name("it_notification", tests, s_group_setup_all, s_group_teardown);
}
