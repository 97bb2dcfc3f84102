/* ctl: the helpers every hubctl command file shares (see ctl.h). */
#include "ctl.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hub_auth.h"
#include "hub_json.h"
#include "hub_util.h"

const char *ctl_endpoint(const ctl_t *c, const char *daemon, const char *which)
{
    return hub_config_get(c->cfg, daemon, which, "");
}

int ctl_curve(ctl_t *c, const char *daemon, hub_curve_t *out)
{
    *out = c->curve;
    char key[96];
    snprintf(key, sizeof key, "%s_server_public_key_file", daemon);
    const char *path = hub_config_get(c->cfg, "hubctl", key, "");
    if (!*path) return 0;
    if (!*c->public_key || !*c->secret_key) {
        fprintf(stderr, "hubctl: [hubctl] %s needs public_key_file and secret_key_file\n", key);
        return -1;
    }
    hub_error_t err = {0};
    if (hub_auth_read_key(path, c->daemon_key, &err)) {
        fprintf(stderr, "hubctl: %s\n", err.message);
        return -1;
    }
    *out = (hub_curve_t){c->daemon_key, c->public_key, c->secret_key};
    return 0;
}

int ctl_call_err(ctl_t *c, const char *daemon, const char *verb, const ProtobufCMessage *req,
                 const ProtobufCMessageDescriptor *rdesc, ProtobufCMessage **rep, hub_error_t *err)
{
    *err = (hub_error_t){0};
    const char *ep = ctl_endpoint(c, daemon, "api");
    if (!*ep) {
        fprintf(stderr, "hubctl: no [%s] api endpoint in the configuration\n", daemon);
        return EXIT_USAGE;
    }
    hub_curve_t curve;
    if (ctl_curve(c, daemon, &curve)) return EXIT_USAGE;
    hub_client_t *cl = hub_client_new(c->zctx, ep, &curve, c->timeout_ms);
    if (!cl) { fprintf(stderr, "hubctl: cannot connect to %s\n", ep); return EXIT_UNREACHABLE; }
    int rc = hub_client_call(cl, verb, req, rdesc, c->arena, rep, err);
    hub_client_destroy(&cl);
    if (rc == 0) return EXIT_OK;
    if (rc == 1) return CTL_REFUSED;
    fprintf(stderr, "hubctl: %s\n", err->message);
    return err->code == HUB__ERROR_CODE__UNAVAILABLE ? EXIT_UNREACHABLE : EXIT_REFUSED;
}

int ctl_refused(const ctl_t *c, const hub_error_t *err)
{
    if (c->json) {
        json_t *j = json_pack("{s:{s:s,s:s,s:s}}", "error", "code", hub_error_code_name(err->code), "field",
                              err->field, "message", err->message);
        json_dumpf(j, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(j);
    }
    fprintf(stderr, "hubctl: refused: %s%s%s%s: %s\n", hub_error_code_name(err->code), *err->field ? " (" : "",
            err->field, *err->field ? ")" : "", err->message);
    return EXIT_REFUSED;
}

int ctl_call(ctl_t *c, const char *daemon, const char *verb, const ProtobufCMessage *req,
             const ProtobufCMessageDescriptor *rdesc, ProtobufCMessage **rep)
{
    hub_error_t err;
    int rc = ctl_call_err(c, daemon, verb, req, rdesc, rep, &err);
    return rc == CTL_REFUSED ? ctl_refused(c, &err) : rc;
}

void *ctl_alloc(ctl_t *c, size_t size)
{
    void *p = hub_arena_alloc(c->arena, size ? size : 1);
    if (!p) {
        fprintf(stderr, "hubctl: out of memory\n");
        abort();
    }
    memset(p, 0, size ? size : 1);
    return p;
}

void ctl_append(ctl_t *c, void *arr_p, size_t *n, const void *item, size_t elem)
{
    char **arr = arr_p;
    char *a = ctl_alloc(c, (*n + 1) * elem);
    if (*n) memcpy(a, *arr, *n * elem);
    memcpy(a + *n * elem, item, elem);
    *arr = a;
    (*n)++;
}

void ctl_push(ctl_t *c, void *arr_p, size_t *n, void *item)
{
    ctl_append(c, arr_p, n, &item, sizeof item);
}

const char *ctl_fmt(ctl_t *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *s = hub_arena_strdup(c->arena, buf);
    if (!s) abort();
    return s;
}

int ctl_bad(const char *opt, const char *arg, const char *want)
{
    fprintf(stderr, "hubctl: --%s \"%s\": %s\n", opt, arg, want);
    return EXIT_USAGE;
}

void ctl_print_json(const ProtobufCMessage *m)
{
    json_t *j = hub_json_from_pb(m);
    json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII * 0);
    putchar('\n');
    json_decref(j);
}

const char *ctl_enum(const ProtobufCEnumDescriptor *d, int v)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
    return ev ? ev->name : "?";
}

const char *ctl_enum_word(const ProtobufCEnumDescriptor *d, int v, const char *strip)
{
    static char buf[8][64];
    static int k;
    if (v == 0) return "";
    char *b = buf[k++ & 7];
    const char *name = ctl_enum(d, v);
    if (strip && !strncmp(name, strip, strlen(strip))) name += strlen(strip);
    size_t i = 0;
    for (; name[i] && i < sizeof buf[0] - 1; i++)
        b[i] = name[i] == '_' ? '-' : (name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i];
    b[i] = 0;
    return b;
}

int ctl_enum_parse(const ProtobufCEnumDescriptor *d, const char *word, const char *prefix)
{
    char up[96];
    size_t i = 0;
    for (; word[i] && i < sizeof up - 1; i++)
        up[i] = word[i] == '-' ? '_' : (word[i] >= 'a' && word[i] <= 'z') ? word[i] - 32 : word[i];
    up[i] = 0;
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(d, up);
    if (!v && prefix) {
        char full[128];
        snprintf(full, sizeof full, "%s%s", prefix, up);
        v = protobuf_c_enum_descriptor_get_value_by_name(d, full);
    }
    return v && v->value != 0 ? v->value : -1;
}

const char *ctl_enum_words(const ProtobufCEnumDescriptor *d, const char *strip)
{
    static char buf[512];
    buf[0] = 0;
    for (unsigned i = 0; i < d->n_values; i++) {
        if (!d->values[i].value) continue;
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", *buf ? ", " : "",
                 ctl_enum_word(d, d->values[i].value, strip));
    }
    return buf;
}

const char *ctl_upper(const char *s)
{
    static char buf[64];
    size_t i = 0;
    for (; s[i] && i < sizeof buf - 1; i++) buf[i] = (s[i] >= 'a' && s[i] <= 'z') ? s[i] - 32 : s[i];
    buf[i] = 0;
    if (!strcmp(buf, "NONE")) return "NO_CONTACT";
    return buf;
}

const char *ctl_time(int64_t ms)
{
    static char buf[4][32];
    static int k;
    char *b = buf[k++ & 3];
    time_t t = (time_t)(ms / 1000) + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(b, 32, "%Y-%m-%d %H:%M", &tm);
    return b;
}

const char *ctl_time_or_empty(int64_t ms)
{
    return ms ? ctl_time(ms) : "";
}

const char *ctl_by(void)
{
    return getenv("USER") ? getenv("USER") : "operator";
}

void ctl_message_id(char *buf, size_t len)
{
    snprintf(buf, len, "hubctl-%lld-%d", (long long)hub_now_ms(), (int)getpid());
}

int ctl_parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

int ctl_parse_u32(const char *s, uint32_t *out)
{
    uint64_t v;
    if (ctl_parse_u64(s, &v) || v > UINT32_MAX) return -1;
    *out = (uint32_t)v;
    return 0;
}

int ctl_parse_double(const char *s, double *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int ctl_opt_time(const char *opt, const char *arg, int64_t *ms)
{
    int rc = ctl_parse_time(arg, ms);
    if (rc == CTL_TIME_TOO_FAR) return ctl_bad(opt, arg, "is too far ahead");
    if (rc) return ctl_bad(opt, arg, "wants \"YYYY-MM-DD HH:MM\" (CST) or +N with d, h, m or s (\"+3d\", \"+90s\")");
    return 0;
}

int ctl_opt_u32(const char *opt, const char *arg, uint32_t lo, uint32_t hi, uint32_t *out)
{
    if (!ctl_parse_u32(arg, out) && *out >= lo && *out <= hi) return 0;
    if (hi == UINT32_MAX) return ctl_bad(opt, arg, "wants a whole number");
    char want[64];
    snprintf(want, sizeof want, "wants a whole number %u..%u", lo, hi);
    return ctl_bad(opt, arg, want);
}

/* "YYYY-MM-DD HH:MM" in China Standard Time as unix ms; 0, or -1 when
 * malformed or not a real date. */
static int s_parse_cst(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, used = -1;
    if (sscanf(s, "%4d-%2d-%2d %2d:%2d%n", &y, &mo, &d, &h, &mi, &used) != 5 || used < 0 || s[used]) return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    if (y < 1970 || back.tm_year != y - 1900 || back.tm_mon != mo - 1 || back.tm_mday != d || back.tm_hour != h ||
        back.tm_min != mi)
        return -1;
    *ms = ((int64_t)t - 8 * 3600) * 1000;
    return 0;
}

#define MAX_RELATIVE_S (20LL * 366 * 86400) /* "+N<unit>" at most about 20 years ahead */

int ctl_parse_time(const char *s, int64_t *ms)
{
    if (*s != '+') return s_parse_cst(s, ms);
    const char *p = s + 1;
    long long n = 0;
    if (*p < '0' || *p > '9') return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        n = n * 10 + (*p - '0');
        if (n > MAX_RELATIVE_S) return CTL_TIME_TOO_FAR;
    }
    long long unit = !strcmp(p, "d") ? 86400 : !strcmp(p, "h") ? 3600 : !strcmp(p, "m") ? 60 : !strcmp(p, "s") ? 1 : 0;
    if (!unit) return -1;
    if (n * unit > MAX_RELATIVE_S) return CTL_TIME_TOO_FAR;
    *ms = hub_now_ms() + n * unit * 1000;
    return 0;
}

void ctl_kv(const char *label, const char *value)
{
    if (value && *value) printf("%-16s%s\n", label, value);
}

void ctl_kv_text(const char *label, const char *text)
{
    if (!text || !*text) return;
    printf("%-16s", label);
    for (const char *p = text; *p; p++) {
        putchar(*p);
        if (*p == '\n' && p[1]) printf("%-16s", "");
    }
    putchar('\n');
}

int ctl_collect(ctl_t *c, int argc, char **argv, const struct option *opts, ctl_op_t **ops, size_t *n_ops,
                char ***pos, size_t *n_pos)
{
    *ops = ctl_alloc(c, (size_t)argc * sizeof **ops);
    *n_ops = 0;
    int o, li;
    optind = 0; /* 0 re-initializes GNU getopt (main parsed with "+") */
    while ((o = getopt_long(argc, argv, "", opts, &li)) != -1) {
        if (o == '?' || o == ':') return ctl_usage();
        (*ops)[*n_ops] = (ctl_op_t){o, opts[li].name, optarg, !ctl_op(*ops, *n_ops, o)};
        (*n_ops)++;
    }
    *pos = argv + optind;
    *n_pos = (size_t)(argc - optind);
    return 0;
}

const ctl_op_t *ctl_op(const ctl_op_t *ops, size_t n, int code)
{
    for (size_t i = 0; i < n; i++)
        if (ops[i].code == code) return &ops[i];
    return NULL;
}
