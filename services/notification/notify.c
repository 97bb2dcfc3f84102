/* notify: the notification daemon's domain rules. See notify.h for the
 * contracts; this file keeps to plain functions over plain data. The bytes
 * a function returns are built in a private malloc'd buffer, then copied
 * into the caller's arena in one piece, so a failure leaves nothing
 * half-built there. */
#include "notify.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hub_util.h"
#include "intake.pb-c.h"

#define INVALID(field, ...) hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, field, __VA_ARGS__)

#define S_MAX_FILE (256 * 1024)   /* one template file; real ones are a few KiB */
#define S_ARENA_BUDGET (NOTIFY_MAX_LANGS * 2u * S_MAX_FILE)  /* every subject and body */
#define S_MAX_LANG 3              /* "zh", "en", "yue": [a-z]{2,3} */
#define S_DAY_MIN (24 * 60)
#define S_MIN_MS (60 * 1000LL)
#define S_DAY_MS (24 * 3600 * 1000LL)
#define S_CST_OFFSET_MS (8 * 3600 * 1000LL)
#define S_B64_LINE 76             /* RFC 2045: base64 lines of at most 76 characters */
#define S_WORD_BYTES 45           /* RFC 2047 word: 12 + base64(45) = 72 <= 75 characters */
#define S_MAX_SUBJECT_RAW 70      /* a longer ASCII subject is folded as encoded words */

/* ------------------------------------------------------------------ helpers */

/* s, or "" for NULL (hand-built messages may leave strings NULL). */
static const char *s_str(const char *s) { return s ? s : ""; }

/* True for the characters of template and placeholder names. */
static bool s_name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

/* Once per process: libsodium wants sodium_init before its first use
 * (it is idempotent and thread-safe; hashing works even if it failed). */
static void s_sodium(void)
{
    if (sodium_init() < 0) return;
}

/* If p starts "{{name}}" with a valid name shorter than NOTIFY_MAX_NAME,
 * copies the name into name and returns the placeholder's length; 0 if p
 * does not start with "{{"; -1 for a malformed placeholder. */
static int s_placeholder(const char *p, const char *end, char name[NOTIFY_MAX_NAME])
{
    if (end - p < 2 || p[0] != '{' || p[1] != '{') return 0;
    const char *q = p + 2;
    while (q < end && s_name_char(*q)) q++;
    size_t n = (size_t)(q - p - 2);
    if (n == 0 || n >= NOTIFY_MAX_NAME || end - q < 2 || q[0] != '}' || q[1] != '}') return -1;
    memcpy(name, p + 2, n);
    name[n] = 0;
    return (int)(q + 2 - p);
}

/* ----------------------------------------------------------------- buffer */

typedef hub_buf_t s_buf_t;   /* a growing malloc'd byte buffer (hub_util) */

/* Appends n bytes of s to b (nothing once b is out of memory). */
static void s_put(s_buf_t *b, const void *s, size_t n) { hub_buf_put(b, s, n); }

static void s_puts(s_buf_t *b, const char *s) { s_put(b, s_str(s), strlen(s_str(s))); }
static void s_putc(s_buf_t *b, char c) { s_put(b, &c, 1); }

/* Frees b's memory; b is empty again. */
static void s_buf_free(s_buf_t *b)
{
    free(b->p);
    *b = (s_buf_t){0};
}

/* Copies b (NUL-terminated) into arena, sets *len, frees b. NULL if b ran
 * out of memory or the arena is exhausted. */
static char *s_buf_take(s_buf_t *b, hub_arena_t *arena, size_t *len)
{
    char *out = NULL;
    if (!b->oom && (out = hub_arena_alloc(arena, b->len + 1))) {
        if (b->len) memcpy(out, b->p, b->len);
        out[b->len] = 0;
        if (len) *len = b->len;
    }
    s_buf_free(b);
    return out;
}

/* ---------------------------------------------------------- rule templates */

static const char *const s_ph_request_received[] = {"request_id", "service", "street", NULL};
static const char *const s_ph_offer[] = {"request_id", "service", "street", "urgency", "deadline", "provider", NULL};
static const char *const s_ph_offer_reminder[] = {"request_id", "service", "deadline", "provider", NULL};
static const char *const s_ph_offer_withdrawn[] = {"request_id", "service", "provider", "reason", NULL};
static const char *const s_ph_referral_accepted[] = {"request_id", "service", "provider", NULL};
static const char *const s_ph_unmatched[] = {"request_id", "service", "street", "urgency", NULL};
static const char *const s_ph_offer_expired[] = {"request_id", "service", "provider", NULL};
static const char *const s_ph_followup[] = {"request_id", "service", "provider", NULL};
static const char *const s_ph_activity_reg[] = {"activity_id", "registration_id", "title", "kind", "time",
                                                "place", NULL};
static const char *const s_ph_activity_cancelled[] = {"activity_id", "registration_id", "title", "kind", "time",
                                                      "place", "reason", NULL};
static const char *const s_ph_activity_announcement[] = {"activity_id", "title", "kind", "time", "place",
                                                         "deadline", "text", NULL};

const notify_rule_template_t notify_rule_templates[] = {
    {"request_received", s_ph_request_received},
    {"offer", s_ph_offer},
    {"offer_reminder", s_ph_offer_reminder},
    {"offer_withdrawn", s_ph_offer_withdrawn},
    {"referral_accepted", s_ph_referral_accepted},
    {"unmatched", s_ph_unmatched},
    {"offer_expired", s_ph_offer_expired},
    {"followup", s_ph_followup},
    {"activity_reminder", s_ph_activity_reg},
    {"activity_promoted", s_ph_activity_reg},
    {"activity_cancelled", s_ph_activity_cancelled},
    {"activity_announcement", s_ph_activity_announcement},
    {NULL, NULL},
};

/* The rule template called name, or NULL. */
static const notify_rule_template_t *s_rule(const char *name)
{
    for (const notify_rule_template_t *r = notify_rule_templates; r->name; r++)
        if (!strcmp(r->name, name)) return r;
    return NULL;
}

/* True if placeholder ph is in the NULL-terminated list. */
static bool s_listed(const char *const *list, const char *ph)
{
    for (; *list; list++)
        if (!strcmp(*list, ph)) return true;
    return false;
}

/* The allowed placeholders of r as "a, b, c" into out. */
static void s_list_join(const notify_rule_template_t *r, char *out, size_t size)
{
    size_t n = 0;
    out[0] = 0;
    for (const char *const *p = r->placeholders; *p && n < size; p++)
        n += (size_t)snprintf(out + n, size - n, "%s%s", n ? ", " : "", *p);
}

/* -------------------------------------------------------------- templates */

typedef struct {
    char name[NOTIFY_MAX_NAME];
    const char *subject;  /* from the set's arena */
    const char *body;     /* from the set's arena; "\n" line breaks */
} s_tpl_t;

typedef struct {
    char lang[S_MAX_LANG + 1];
    size_t n;
    s_tpl_t tpl[NOTIFY_MAX_TEMPLATES];
} s_lang_t;

struct notify_templates {
    hub_arena_t *arena;  /* owns every subject and body */
    size_t n;
    s_lang_t langs[NOTIFY_MAX_LANGS];
};

notify_templates_t *notify_templates_new(void)
{
    notify_templates_t *self = calloc(1, sizeof *self);
    if (self && !(self->arena = hub_arena_new(S_ARENA_BUDGET))) {
        free(self);
        self = NULL;
    }
    return self;
}

void notify_templates_destroy(notify_templates_t **self_p)
{
    if (!self_p || !*self_p) return;
    hub_arena_destroy(&(*self_p)->arena);
    free(*self_p);
    *self_p = NULL;
}

/* The loaded language lang names, matched on its primary subtag
 * case-insensitively ("en-US" -> "en"); NULL if none or lang is NULL. */
static const s_lang_t *s_lang(const notify_templates_t *self, const char *lang)
{
    char primary[S_MAX_LANG + 1];
    size_t n = strcspn(s_str(lang), "-_");
    if (n < 2 || n > S_MAX_LANG) return NULL;
    for (size_t i = 0; i < n; i++) primary[i] = (char)tolower((unsigned char)lang[i]);
    primary[n] = 0;
    for (size_t i = 0; i < self->n; i++)
        if (!strcmp(self->langs[i].lang, primary)) return &self->langs[i];
    return NULL;
}

/* Template name of language l (may be NULL), or NULL. */
static const s_tpl_t *s_tpl(const s_lang_t *l, const char *name)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (!strcmp(l->tpl[i].name, s_str(name))) return &l->tpl[i];
    return NULL;
}

/* Template name in lang, else in "zh"; NULL if neither has it. */
static const s_tpl_t *s_find(const notify_templates_t *self, const char *name, const char *lang)
{
    const s_tpl_t *t = s_tpl(s_lang(self, lang), name);
    return t ? t : s_tpl(s_lang(self, "zh"), name);
}

bool notify_templates_has_lang(const notify_templates_t *self, const char *lang)
{
    return self && s_lang(self, lang) != NULL;
}

bool notify_templates_has(const notify_templates_t *self, const char *name, const char *lang)
{
    return self && s_find(self, name, lang) != NULL;
}

/* ---- parsing one file ---- */

/* The state of one file's parse: where we are and the template being read. */
typedef struct {
    notify_templates_t *set;
    s_lang_t *lang;          /* the language being filled (not yet counted in set) */
    const char *label;
    int line;                /* 1-based number of the current line */
    s_tpl_t *cur;            /* the template being read, or NULL outside one */
    int cur_line;            /* the line of its "==" */
    bool want_subject;       /* its "==" was the previous line */
    const char *body_start;  /* its first body line in the text */
    const char *body_end;    /* the end of its last non-blank body line */
    char seen[NOTIFY_MAX_PLACEHOLDERS][NOTIFY_MAX_NAME];  /* its distinct placeholders */
    size_t n_seen;
} s_parse_t;

/* Sets err to INVALID_ARGUMENT "label:line: message"; returns -1. */
static int s_parse_error(const s_parse_t *ps, int line, hub_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int s_parse_error(const s_parse_t *ps, int line, hub_error_t *err, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0) return INVALID("templates", "%s:%d: %s", ps->label, line, msg);
    return INVALID("templates", "%s: %s", ps->label, msg);
}

/* True if line [p, end) is empty or only blanks. */
static bool s_blank(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t') return false;
    return true;
}

/* Checks every placeholder of [p, end) in the current template: well
 * formed, allowed if it is a rule template, at most NOTIFY_MAX_PLACEHOLDERS
 * distinct ones. 0 or -1 with err. */
static int s_check_placeholders(s_parse_t *ps, const char *p, const char *end, hub_error_t *err)
{
    const notify_rule_template_t *rule = s_rule(ps->cur->name);
    for (; p < end; p++) {
        char name[NOTIFY_MAX_NAME];
        int n = s_placeholder(p, end, name);
        if (n == 0) continue;
        if (n < 0)
            return s_parse_error(ps, ps->line, err, "malformed placeholder (expected {{name}}, name of a-z, 0-9, _)");
        if (rule && !s_listed(rule->placeholders, name)) {
            char allowed[160];
            s_list_join(rule, allowed, sizeof allowed);
            return s_parse_error(ps, ps->line, err, "unknown placeholder {{%s}} in template \"%s\" (allowed: %s)",
                                 name, ps->cur->name, allowed);
        }
        size_t k = 0;
        while (k < ps->n_seen && strcmp(ps->seen[k], name)) k++;
        if (k == ps->n_seen) {
            if (ps->n_seen == NOTIFY_MAX_PLACEHOLDERS)
                return s_parse_error(ps, ps->line, err, "more than %d distinct placeholders in template \"%s\"",
                                     NOTIFY_MAX_PLACEHOLDERS, ps->cur->name);
            memcpy(ps->seen[ps->n_seen++], name, sizeof name);
        }
        p += n - 1;
    }
    return 0;
}

/* Copies [p, end) into the set's arena without any '\r'. NULL when the
 * arena is exhausted. */
static const char *s_keep(s_parse_t *ps, const char *p, const char *end)
{
    char *out = hub_arena_alloc(ps->set->arena, (size_t)(end - p) + 1);
    if (!out) return NULL;
    size_t n = 0;
    for (; p < end; p++)
        if (*p != '\r') out[n++] = *p;
    out[n] = 0;
    return out;
}

/* Ends the current template (if any): stores its body. 0 or -1 with err. */
static int s_end_template(s_parse_t *ps, hub_error_t *err)
{
    if (!ps->cur) return 0;
    if (ps->want_subject)
        return s_parse_error(ps, ps->cur_line, err, "template \"%s\" has no \"subject:\" line after its \"==\" line",
                             ps->cur->name);
    const char *end = ps->body_end ? ps->body_end : ps->body_start;
    if (!(ps->cur->body = s_keep(ps, ps->body_start, end)))
        return hub_error_set(err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "templates", "%s: too large", ps->label);
    ps->lang->n++;
    ps->cur = NULL;
    return 0;
}

/* Starts a template at the line "== name" [p, end). 0 or -1 with err. */
static int s_start_template(s_parse_t *ps, const char *p, const char *end, hub_error_t *err)
{
    if (s_end_template(ps, err)) return -1;
    p += 2;
    if (p < end && *p != ' ' && *p != '\t')
        return s_parse_error(ps, ps->line, err, "expected \"== name\"");
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) end--;
    size_t n = (size_t)(end - p);
    bool ok = n > 0 && n < NOTIFY_MAX_NAME;
    for (const char *c = p; ok && c < end; c++) ok = s_name_char(*c);
    if (!ok)
        return s_parse_error(ps, ps->line, err, "bad template name \"%.*s\" (expected a-z, 0-9, _; at most %d)",
                             (int)(n > 64 ? 64 : n), p, NOTIFY_MAX_NAME - 1);
    char name[NOTIFY_MAX_NAME];
    memcpy(name, p, n);
    name[n] = 0;
    if (s_tpl(ps->lang, name)) return s_parse_error(ps, ps->line, err, "template \"%s\" defined twice", name);
    if (ps->lang->n == NOTIFY_MAX_TEMPLATES)
        return s_parse_error(ps, ps->line, err, "more than %d templates", NOTIFY_MAX_TEMPLATES);
    ps->cur = &ps->lang->tpl[ps->lang->n];
    *ps->cur = (s_tpl_t){0};
    memcpy(ps->cur->name, name, n + 1);
    ps->cur_line = ps->line;
    ps->want_subject = true;
    ps->n_seen = 0;
    return 0;
}

/* Reads the "subject: ..." line [p, end) of the current template. */
static int s_subject(s_parse_t *ps, const char *p, const char *end, const char *next, hub_error_t *err)
{
    static const char key[] = "subject:";
    if ((size_t)(end - p) < sizeof key - 1 || memcmp(p, key, sizeof key - 1))
        return s_parse_error(ps, ps->line, err, "expected \"subject: ...\" as the first line of template \"%s\"",
                             ps->cur->name);
    p += sizeof key - 1;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) end--;
    if (s_check_placeholders(ps, p, end, err)) return -1;
    if (!(ps->cur->subject = s_keep(ps, p, end)))
        return hub_error_set(err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "templates", "%s: too large", ps->label);
    ps->want_subject = false;
    ps->body_start = next;
    ps->body_end = NULL;
    return 0;
}

/* Handles one line [p, end) (no '\n'; a final '\r' already cut); next is
 * where the following line starts. 0 or -1 with err. */
static int s_line(s_parse_t *ps, const char *p, const char *end, const char *next, hub_error_t *err)
{
    if (!hub_utf8_valid(p, (size_t)(end - p))) return s_parse_error(ps, ps->line, err, "invalid UTF-8");
    if (end - p >= 2 && p[0] == '=' && p[1] == '=') return s_start_template(ps, p, end, err);
    if (!ps->cur) {
        if (s_blank(p, end) || *p == '#') return 0;
        return s_parse_error(ps, ps->line, err, "text outside a template (a template starts with \"== name\")");
    }
    if (ps->want_subject) return s_subject(ps, p, end, next, err);
    if (s_check_placeholders(ps, p, end, err)) return -1;
    if (!s_blank(p, end)) ps->body_end = end;
    return 0;
}

/* Parses text into ps->lang, then checks every rule template is there. */
static int s_parse(s_parse_t *ps, const char *text, hub_error_t *err)
{
    const char *p = text;
    if (!strncmp(p, "\xEF\xBB\xBF", 3)) p += 3;  /* a UTF-8 byte order mark, as some editors write */
    while (*p) {
        const char *nl = strchr(p, '\n');
        const char *end = nl ? nl : p + strlen(p);
        const char *next = nl ? nl + 1 : end;
        ps->line++;
        if (s_line(ps, p, end > p && end[-1] == '\r' ? end - 1 : end, next, err)) return -1;
        p = next;
    }
    if (s_end_template(ps, err)) return -1;
    for (const notify_rule_template_t *r = notify_rule_templates; r->name; r++)
        if (!s_tpl(ps->lang, r->name)) return s_parse_error(ps, 0, err, "rule template \"%s\" is missing", r->name);
    return 0;
}

/* True if lang is [a-z]{2,3}. */
static bool s_lang_ok(const char *lang)
{
    size_t n = 0;
    for (const char *c = s_str(lang); *c; c++, n++)
        if (*c < 'a' || *c > 'z') return false;
    return n >= 2 && n <= S_MAX_LANG;
}

int notify_templates_add(notify_templates_t *self, const char *lang, const char *label, const char *text,
                         hub_error_t *err)
{
    label = label && *label ? label : s_str(lang);
    if (!s_lang_ok(lang))
        return INVALID("templates", "%s: bad language \"%s\" (expected a-z, 2 or 3)", label, s_str(lang));
    for (size_t i = 0; i < self->n; i++)
        if (!strcmp(self->langs[i].lang, lang))
            return INVALID("templates", "%s: language \"%s\" loaded twice", label, lang);
    if (self->n == NOTIFY_MAX_LANGS) return INVALID("templates", "%s: more than %d languages", label, NOTIFY_MAX_LANGS);
    if (strlen(s_str(text)) > S_MAX_FILE)
        return INVALID("templates", "%s: larger than %d bytes", label, S_MAX_FILE);
    s_parse_t ps = {.set = self, .lang = &self->langs[self->n], .label = label};
    *ps.lang = (s_lang_t){0};
    memcpy(ps.lang->lang, lang, strlen(lang) + 1);
    hub_arena_mark_t mark = hub_arena_mark(self->arena);
    if (s_parse(&ps, s_str(text), err)) {
        hub_arena_rewind(self->arena, mark);
        *ps.lang = (s_lang_t){0};
        return -1;
    }
    self->n++;
    return 0;
}

/* ---- loading ---- */

/* scandir filter: names "<lang>.txt" with lang [a-z]{2,3}. */
static int s_lang_file(const struct dirent *e)
{
    const char *dot = strrchr(e->d_name, '.');
    if (!dot || strcmp(dot, ".txt")) return 0;
    size_t n = (size_t)(dot - e->d_name);
    if (n < 2 || n > S_MAX_LANG) return 0;
    for (size_t i = 0; i < n; i++)
        if (e->d_name[i] < 'a' || e->d_name[i] > 'z') return 0;
    return 1;
}

/* Reads the regular file path (at most S_MAX_FILE bytes, no NUL byte) into
 * a malloc'd NUL-terminated string the caller frees. NULL with err. */
static char *s_read_file(const char *path, hub_error_t *err)
{
    char *buf = NULL;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st)) {
        INVALID("templates", "%s: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > S_MAX_FILE) {
        INVALID("templates", "%s: not a regular file of at most %d bytes", path, S_MAX_FILE);
        goto done;
    }
    size_t size = (size_t)st.st_size, got = 0;
    if (!(buf = malloc(size + 1))) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "templates", "%s: out of memory", path);
        goto done;
    }
    ssize_t n = 1;
    while (got < size && (n = read(fd, buf + got, size - got)) > 0) got += (size_t)n;
    buf[got] = 0;
    const char *nul = memchr(buf, 0, got);
    if (n < 0 || nul) {
        int line = 1;
        for (const char *c = buf; nul && c < nul; c++) line += *c == '\n';
        if (n < 0) INVALID("templates", "%s: %s", path, strerror(errno));
        else INVALID("templates", "%s:%d: invalid UTF-8 (a NUL byte)", path, line);
        free(buf);
        buf = NULL;
    }
done:
    if (fd >= 0) close(fd);
    return buf;
}

/* Adds every "<lang>.txt" of dir to self, in name order. 0 or -1 with err. */
static int s_load_dir(notify_templates_t *self, const char *dir, hub_error_t *err)
{
    struct dirent **list = NULL;
    int n = scandir(dir, &list, s_lang_file, alphasort);
    if (n < 0) return INVALID("templates", "%s: %s", dir, strerror(errno));
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char path[4096], lang[S_MAX_LANG + 1];
        size_t k = strlen(list[i]->d_name) - 4;
        memcpy(lang, list[i]->d_name, k);
        lang[k] = 0;
        snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
        char *text = rc ? NULL : s_read_file(path, err);
        if (!rc && (!text || notify_templates_add(self, lang, path, text, err))) rc = -1;
        free(text);
        free(list[i]);
    }
    free(list);
    return rc;
}

notify_templates_t *notify_templates_load(const char *dir, hub_error_t *err)
{
    notify_templates_t *self = notify_templates_new();
    if (!self) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "templates", "out of memory");
        return NULL;
    }
    int rc;
    if (dir && *dir) rc = s_load_dir(self, dir, err);
    else
        rc = notify_templates_add(self, "zh", "embedded zh.txt", hub_default_templates_zh, err) ||
                     notify_templates_add(self, "en", "embedded en.txt", hub_default_templates_en, err)
                 ? -1
                 : 0;
    if (!rc && !s_lang(self, "zh")) rc = INVALID("templates", "%s: no zh.txt (Chinese is required)", s_str(dir));
    if (rc) notify_templates_destroy(&self);
    return self;
}

/* ---- rendering ---- */

/* The value of placeholder name in kv[0..n) (the first one), or NULL. */
static const char *s_value(const notify_kv_t *kv, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (kv[i].name && !strcmp(kv[i].name, name)) return kv[i].value;
    return NULL;
}

/* Appends src to b with every placeholder replaced by its value (values
 * are not themselves expanded). 0, or -1 with err naming a placeholder
 * that has no value. */
static int s_fill(s_buf_t *b, const char *src, const char *tpl, const notify_kv_t *kv, size_t n, hub_error_t *err)
{
    const char *end = src + strlen(src);
    for (const char *p = src; p < end;) {
        char name[NOTIFY_MAX_NAME];
        int len = s_placeholder(p, end, name);
        if (len <= 0) {
            s_putc(b, *p++);
            continue;
        }
        const char *v = s_value(kv, n, name);
        if (!v) return INVALID(name, "template \"%s\" needs a value for {{%s}}", tpl, name);
        s_puts(b, v);
        p += len;
    }
    return 0;
}

/* RESOURCE_EXHAUSTED: the message from template name does not fit. -1. */
static int s_too_large(const char *name, hub_error_t *err)
{
    return hub_error_set(err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "template", "message \"%s\" too large", name);
}

int notify_render(const notify_templates_t *self, const char *name, const char *lang, const notify_kv_t *kv,
                  size_t n, hub_arena_t *arena, const char **subject, const char **text, hub_error_t *err)
{
    const s_tpl_t *t = self ? s_find(self, name, lang) : NULL;
    if (!t) return hub_error_set(err, HUB__ERROR_CODE__NOT_FOUND, "template", "no template \"%s\"", s_str(name));
    hub_arena_mark_t mark = hub_arena_mark(arena);
    s_buf_t b = {0};
    const char *s = NULL, *x = NULL;
    int rc = s_fill(&b, t->subject, t->name, kv, n, err);
    if (!rc && !(s = s_buf_take(&b, arena, NULL))) rc = s_too_large(t->name, err);
    if (!rc) rc = s_fill(&b, t->body, t->name, kv, n, err);
    if (!rc && !(x = s_buf_take(&b, arena, NULL))) rc = s_too_large(t->name, err);
    if (rc) {
        s_buf_free(&b);
        hub_arena_rewind(arena, mark);
        return -1;
    }
    *subject = s, *text = x;
    return 0;
}

/* ------------------------------------------------------------------ choice */

#define S_INTAKE_PHONE 1      /* intake.ContactMethod values */
#define S_INTAKE_SMS 2
#define S_INTAKE_EMAIL 3
#define S_INTAKE_WECHAT 4
#define S_INTAKE_NO_CONTACT 5

size_t notify_requester_channels(bool consent, uint32_t preferred, const char *phone, const char *email,
                                 Notification__Channel out[4])
{
    bool has_phone = *s_str(phone), has_email = *s_str(email);
    size_t n = 0;
    if (!consent || preferred == S_INTAKE_NO_CONTACT) return 0;
    switch (preferred) {
    case S_INTAKE_PHONE:
    case S_INTAKE_SMS:
        if (has_phone) out[n++] = NOTIFICATION__CHANNEL__SMS;
        break;
    case S_INTAKE_EMAIL:
        if (has_email) out[n++] = NOTIFICATION__CHANNEL__EMAIL;
        break;
    case S_INTAKE_WECHAT:
        out[n++] = NOTIFICATION__CHANNEL__INBOX;
        break;
    default:
        out[n++] = has_phone   ? NOTIFICATION__CHANNEL__SMS
                   : has_email ? NOTIFICATION__CHANNEL__EMAIL
                               : NOTIFICATION__CHANNEL__INBOX;
    }
    return n;
}

/* True if r has an address for channel c (the inbox needs none). */
static bool s_has_address(const Notification__Recipient *r, Notification__Channel c)
{
    switch (c) {
    case NOTIFICATION__CHANNEL__WEBHOOK: return *s_str(r->webhook_url);
    case NOTIFICATION__CHANNEL__EMAIL: return *s_str(r->email);
    case NOTIFICATION__CHANNEL__SMS: return *s_str(r->phone);
    case NOTIFICATION__CHANNEL__INBOX: return true;
    default: return false;
    }
}

size_t notify_recipient_channels(const Notification__Recipient *r, Notification__Channel out[4])
{
    static const Notification__Channel all[] = {NOTIFICATION__CHANNEL__WEBHOOK, NOTIFICATION__CHANNEL__EMAIL,
                                                NOTIFICATION__CHANNEL__SMS};
    if (!r || !r->consent) return 0;
    const Notification__Channel *want = r->n_channels ? r->channels : all;
    size_t n_want = r->n_channels ? r->n_channels : sizeof all / sizeof *all, n = 0;
    bool used[5] = {0};
    for (size_t i = 0; i < n_want; i++) {
        Notification__Channel c = want[i];
        if (c <= NOTIFICATION__CHANNEL__CHANNEL_UNSPECIFIED || c >= NOTIFICATION__CHANNEL__INBOX) continue;
        if (!used[c] && s_has_address(r, c)) out[n++] = c, used[c] = true;
    }
    out[n++] = NOTIFICATION__CHANNEL__INBOX;
    return n;
}

const char *notify_channel_name(Notification__Channel c)
{
    switch (c) {
    case NOTIFICATION__CHANNEL__WEBHOOK: return "webhook";
    case NOTIFICATION__CHANNEL__EMAIL: return "email";
    case NOTIFICATION__CHANNEL__SMS: return "sms";
    case NOTIFICATION__CHANNEL__INBOX: return "inbox";
    default: return "unknown";
    }
}

/* ------------------------------------------------------------------ timing */

/* a mod m in [0, m) for m > 0, also for negative a. */
static int64_t s_mod(int64_t a, int64_t m) { return (a % m + m) % m; }

int64_t notify_quiet_until(int64_t now_ms, int start_min, int end_min)
{
    int64_t start = s_mod(start_min, S_DAY_MIN), end = s_mod(end_min, S_DAY_MIN);
    if (start == end) return now_ms;
    int64_t local = now_ms + S_CST_OFFSET_MS;
    int64_t day = local - s_mod(local, S_DAY_MS);  /* local midnight */
    int64_t minute = s_mod(local, S_DAY_MS) / S_MIN_MS;
    bool quiet = start < end ? minute >= start && minute < end : minute >= start || minute < end;
    if (!quiet) return now_ms;
    /* the end is today unless the window wraps and we are before midnight */
    int64_t until = day + end * S_MIN_MS + (start > end && minute >= start ? S_DAY_MS : 0);
    return until - S_CST_OFFSET_MS;
}

int64_t notify_backoff_ms(unsigned attempt, int64_t base_ms, int64_t max_ms, uint32_t rnd)
{
    if (base_ms <= 0 || max_ms <= 0) return 0;
    int64_t d = base_ms < max_ms ? base_ms : max_ms;
    for (unsigned i = 1; i < attempt && d < max_ms; i++) d = d > max_ms / 2 ? max_ms : d * 2;
    int64_t half = d / 2, span = d - half;
    if (span <= (int64_t)UINT32_MAX) return half + (int64_t)((uint64_t)span * rnd / UINT32_MAX);
    int64_t extra = (int64_t)((double)span * ((double)rnd / UINT32_MAX));
    return half + (extra < span ? extra : span);
}

/* Tokens b would hold at now_ms (time never runs backwards here). */
static double s_bucket_level(const notify_bucket_t *b, int64_t now_ms)
{
    double t = b->tokens;
    if (now_ms > b->last_ms) t += (double)(now_ms - b->last_ms) * b->rate / 1000.0;
    return t < b->burst ? t : b->burst;
}

/* Float slack so that waiting notify_bucket_wait_ms always yields a token. */
#define S_BUCKET_EPS 1e-9
#define S_BUCKET_MAX_WAIT 1e12  /* ms (~30 years): a rate near 0 never overflows */

void notify_bucket_init(notify_bucket_t *b, double rate, double burst, int64_t now_ms)
{
    b->rate = rate > 0 ? rate : 0;
    b->burst = burst >= 1 ? burst : 1;
    b->tokens = b->burst;
    b->last_ms = now_ms;
}

bool notify_bucket_take(notify_bucket_t *b, int64_t now_ms)
{
    if (b->rate <= 0) return true;
    b->tokens = s_bucket_level(b, now_ms);
    if (now_ms > b->last_ms) b->last_ms = now_ms;
    if (b->tokens < 1 - S_BUCKET_EPS) return false;
    b->tokens = b->tokens > 1 ? b->tokens - 1 : 0;
    return true;
}

int64_t notify_bucket_wait_ms(const notify_bucket_t *b, int64_t now_ms)
{
    if (b->rate <= 0) return 0;
    double missing = 1 - s_bucket_level(b, now_ms);
    if (missing <= S_BUCKET_EPS) return 0;
    double wait = missing * 1000.0 / b->rate;
    if (wait > S_BUCKET_MAX_WAIT) return (int64_t)S_BUCKET_MAX_WAIT;
    int64_t ms = (int64_t)wait;
    while (s_bucket_level(b, now_ms) + (double)ms * b->rate / 1000.0 < 1 - S_BUCKET_EPS) ms++;
    return ms > 0 ? ms : 1;
}

/* ------------------------------------------------------------------- bytes */

void notify_hmac_hex(const char *key, const void *body, size_t len, char out[65])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    s_sodium();
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)s_str(key), strlen(s_str(key)));
    crypto_auth_hmacsha256_update(&st, body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, 65, mac, sizeof mac);
    sodium_memzero(&st, sizeof st);
}

void notify_signature(const char *key, const void *body, size_t len, char out[72])
{
    out[0] = 0;
    if (!*s_str(key)) return;
    memcpy(out, "sha256=", 8);
    notify_hmac_hex(key, body, len, out + 7);
}

/* Sets o[key] to the string s (a NULL s is ""); false if s is not UTF-8. */
static bool s_json_str(json_t *o, const char *key, const char *s)
{
    return !json_object_set_new(o, key, json_string(s_str(s)));
}

char *notify_webhook_body(const Notification__Delivery *d, hub_arena_t *arena, size_t *len)
{
    json_t *o = json_object(), *data = json_object();
    bool ok = o && data && s_json_str(o, "id", d->id) && s_json_str(o, "idempotency_key", d->idempotency_key) &&
              s_json_str(o, "topic", d->topic) && s_json_str(o, "template", d->template_) &&
              s_json_str(o, "recipient", d->recipient) && s_json_str(o, "language", d->language) &&
              s_json_str(o, "request_id", d->request_id) && s_json_str(o, "subject", d->subject) &&
              s_json_str(o, "text", d->text) && !json_object_set_new(o, "urgent", json_boolean(d->urgent)) &&
              !json_object_set_new(o, "created_ms", json_integer(d->created_ms)) &&
              !json_object_set_new(o, "event_ms", json_integer(d->event_ms));
    for (size_t i = 0; ok && i < d->n_data; i++)
        ok = d->data[i] && s_json_str(data, s_str(d->data[i]->name), d->data[i]->value);
    ok = ok && !json_object_set(o, "data", data);
    char *dump = ok ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(data);
    json_decref(o);
    char *out = NULL;
    if (dump) {
        size_t n = strlen(dump);
        if ((out = hub_arena_alloc(arena, n + 1))) {
            memcpy(out, dump, n + 1);
            if (len) *len = n;
        }
        free(dump);
    }
    return out;
}

/* Appends base64 (original alphabet, padded) of [p, p + n) to b. */
static void s_base64(s_buf_t *b, const void *p, size_t n)
{
    size_t size = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    char *tmp = malloc(size);
    if (!tmp) {
        b->oom = true;
        return;
    }
    sodium_bin2base64(tmp, size, p, n, sodium_base64_VARIANT_ORIGINAL);
    s_puts(b, tmp);
    free(tmp);
}

/* Appends s to b as a header value: control characters become spaces, so
 * a value can never start another header line. */
static void s_header_text(s_buf_t *b, const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s_str(s); *c; c++)
        s_putc(b, *c < 0x20 || *c == 0x7f ? ' ' : (char)*c);
}

/* True if s is printable ASCII only and at most max bytes. */
static bool s_plain(const char *s, size_t n, size_t max)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f) return false;
    return n <= max;
}

/* Appends [s, s + n) as RFC 2047 "=?UTF-8?B?...?=" words of at most
 * S_WORD_BYTES bytes each, never splitting a UTF-8 character, folded with
 * CRLF SP between words. */
static void s_encoded_words(s_buf_t *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n) {
            size_t k = j + 1;
            while (k < n && ((unsigned char)s[k] & 0xC0) == 0x80) k++;
            if (k - i > S_WORD_BYTES && j > i) break;
            j = k;
        }
        if (i) s_puts(b, "\r\n ");
        s_puts(b, "=?UTF-8?B?");
        s_base64(b, s + i, j - i);
        s_puts(b, "?=");
        i = j;
    }
}

/* Appends the From value: an address kept as is, a non-ASCII display name
 * before "<addr>" as encoded words. */
static void s_from(s_buf_t *b, const char *from)
{
    const char *lt = strchr(from, '<');
    size_t n = lt ? (size_t)(lt - from) : 0;
    while (n && from[n - 1] == ' ') n--;
    if (!lt || s_plain(from, n, SIZE_MAX)) {
        s_header_text(b, from);
        return;
    }
    size_t q = n >= 2 && from[0] == '"' && from[n - 1] == '"';  /* a quoted name: its quotes go */
    s_encoded_words(b, from + q, n - 2 * q);
    s_putc(b, ' ');
    s_header_text(b, lt);
}

/* Appends the Message-ID's left part: key with every character that is
 * not RFC 5322 atext as '_', and a '.' first, last or after another '.'
 * too, so any key makes a valid dot-atom. */
static void s_msgid_left(s_buf_t *b, const char *key)
{
    for (const char *c = key; *c; c++) {
        bool dot_ok = *c == '.' && c > key && c[-1] != '.' && c[1];
        bool atext = *c != '.' && (isalnum((unsigned char)*c) || strchr("!#$%&'*+-/=?^_`{|}~", *c));
        s_putc(b, atext || dot_ok ? *c : '_');
    }
}

/* Appends the Message-ID's domain: what follows the last '@' of from, up
 * to '>' or a space; "localhost" when from has none. */
static void s_msgid_domain(s_buf_t *b, const char *from)
{
    const char *at = strrchr(from, '@');
    size_t n = at ? strcspn(at + 1, "> \t\r\n") : 0;
    if (n) {
        for (size_t i = 0; i < n; i++)
            s_putc(b, isalnum((unsigned char)at[1 + i]) || at[1 + i] == '.' || at[1 + i] == '-' ? at[1 + i] : '-');
    } else {
        s_puts(b, "localhost");
    }
}

/* Appends the RFC 5322 date of ms in CST: "Mon, 05 Jan 2026 08:00:00 +0800"
 * (English names whatever the locale). */
static void s_date(s_buf_t *b, int64_t ms)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)((ms + S_CST_OFFSET_MS - s_mod(ms, 1000)) / 1000);
    struct tm tm = {0};
    gmtime_r(&t, &tm);
    char out[48];
    snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d +0800", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    s_puts(b, out);
}

/* Appends text with CRLF line breaks (text/plain's canonical form: a lone
 * "\n" becomes "\r\n"), base64-encoded in S_B64_LINE-column lines. */
static void s_body_base64(s_buf_t *b, const char *text)
{
    s_buf_t crlf = {0}, enc = {0};
    for (const char *c = text; *c; c++) {
        if (*c == '\n' && (c == text || c[-1] != '\r')) s_putc(&crlf, '\r');
        s_putc(&crlf, *c);
    }
    s_base64(&enc, crlf.p ? crlf.p : "", crlf.len);
    if (crlf.oom || enc.oom) b->oom = true;
    for (size_t i = 0; i < enc.len; i += S_B64_LINE) {
        s_put(b, enc.p + i, enc.len - i < S_B64_LINE ? enc.len - i : S_B64_LINE);
        s_puts(b, "\r\n");
    }
    s_buf_free(&crlf);
    s_buf_free(&enc);
}

char *notify_email_message(const Notification__Delivery *d, const char *from, hub_arena_t *arena, size_t *len)
{
    s_buf_t b = {0};
    const char *subject = s_str(d->subject), *key = s_str(d->idempotency_key);
    from = s_str(from);
    s_puts(&b, "From: ");
    s_from(&b, from);
    s_puts(&b, "\r\nTo: ");
    s_header_text(&b, d->address);
    s_puts(&b, "\r\nSubject: ");
    if (s_plain(subject, strlen(subject), S_MAX_SUBJECT_RAW)) s_puts(&b, subject);
    else s_encoded_words(&b, subject, strlen(subject));
    s_puts(&b, "\r\nDate: ");
    s_date(&b, d->created_ms);
    s_puts(&b, "\r\nMessage-ID: <");
    s_msgid_left(&b, *key ? key : s_str(d->id));
    s_putc(&b, '@');
    s_msgid_domain(&b, from);
    s_puts(&b, ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
               "Content-Transfer-Encoding: base64\r\nX-Hub-Idempotency-Key: ");
    s_header_text(&b, key);
    s_puts(&b, "\r\n\r\n");
    s_body_base64(&b, s_str(d->text));
    return s_buf_take(&b, arena, len);
}

/* Appends v to b, escaped for the inside of a JSON string if json. */
static void s_sms_value(s_buf_t *b, const char *v, bool json)
{
    if (!json) {
        s_puts(b, v);
        return;
    }
    for (const unsigned char *c = (const unsigned char *)s_str(v); *c; c++) {
        char esc[8];
        switch (*c) {
        case '"': s_puts(b, "\\\""); break;
        case '\\': s_puts(b, "\\\\"); break;
        case '\n': s_puts(b, "\\n"); break;
        case '\r': s_puts(b, "\\r"); break;
        case '\t': s_puts(b, "\\t"); break;
        case '\b': s_puts(b, "\\b"); break;
        case '\f': s_puts(b, "\\f"); break;
        default:
            if (*c < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", *c);
                s_puts(b, esc);
            } else {
                s_putc(b, (char)*c);
            }
        }
    }
}

char *notify_sms_body(const char *pattern, const Notification__Delivery *d, bool json_escape, hub_arena_t *arena,
                      size_t *len)
{
    s_buf_t b = {0}, text = {0};
    if (*s_str(d->subject)) {
        s_puts(&text, d->subject);
        s_putc(&text, ' ');
    }
    s_puts(&text, d->text);
    pattern = s_str(pattern);
    const char *end = pattern + strlen(pattern);
    for (const char *p = pattern; p < end;) {
        char name[NOTIFY_MAX_NAME];
        int n = s_placeholder(p, end, name);
        const char *v = n <= 0                   ? NULL
                        : !strcmp(name, "phone") ? s_str(d->address)
                        : !strcmp(name, "text")  ? (text.p ? text.p : "")
                        : !strcmp(name, "key")   ? s_str(d->idempotency_key)
                                                 : NULL;
        if (!v) {  /* literal text (notify_sms_pattern_check refuses other placeholders) */
            s_putc(&b, *p++);
            continue;
        }
        s_sms_value(&b, v, json_escape);
        p += n;
    }
    if (text.oom) b.oom = true;
    s_buf_free(&text);
    return s_buf_take(&b, arena, len);
}

int notify_sms_pattern_check(const char *pattern, hub_error_t *err)
{
    if (!pattern || !*pattern) return INVALID("sms_body", "the SMS body pattern is empty");
    const char *end = pattern + strlen(pattern);
    for (const char *p = pattern; p < end; p++) {
        char name[NOTIFY_MAX_NAME];
        int n = s_placeholder(p, end, name);
        if (n < 0)
            return INVALID("sms_body", "malformed placeholder at offset %zu (expected {{name}})",
                           (size_t)(p - pattern));
        if (n > 0 && strcmp(name, "phone") && strcmp(name, "text") && strcmp(name, "key"))
            return INVALID("sms_body", "unknown placeholder {{%s}} (allowed: phone, text, key)", name);
        if (n > 0) p += n - 1;
    }
    return 0;
}

/* ------------------------------------------------------------- activities */

static const struct {
    const char *word;
    uint32_t bit;
} s_audiences[] = {
    {NOTIFY_AUDIENCE_ORGANIZATIONS, INTAKE__AUDIENCE__MEMBER_ORGANIZATIONS},
    {NOTIFY_AUDIENCE_VOLUNTEERS, INTAKE__AUDIENCE__VOLUNTEERS},
    {NOTIFY_AUDIENCE_PUBLIC, INTAKE__AUDIENCE__PUBLIC},
};
#define S_N_AUDIENCES (sizeof s_audiences / sizeof *s_audiences)
#define S_AUDIENCE_ALL \
    (INTAKE__AUDIENCE__MEMBER_ORGANIZATIONS | INTAKE__AUDIENCE__VOLUNTEERS | INTAKE__AUDIENCE__PUBLIC)

uint32_t notify_audience_bit(const char *word)
{
    for (size_t i = 0; i < S_N_AUDIENCES; i++)
        if (!strcmp(s_str(word), s_audiences[i].word)) return s_audiences[i].bit;
    return 0;
}

int notify_audiences_check(const Notification__Recipient *r, hub_error_t *err)
{
    uint32_t seen = 0;
    for (size_t i = 0; i < r->n_audiences; i++) {
        uint32_t bit = notify_audience_bit(r->audiences[i]);
        if (!bit)
            return INVALID("recipient.audiences", "unknown audience \"%s\" (organizations, volunteers, public)",
                           s_str(r->audiences[i]));
        if (seen & bit) return INVALID("recipient.audiences", "\"%s\" given twice", r->audiences[i]);
        seen |= bit;
    }
    return 0;
}

bool notify_announce_to(uint32_t audience, const Notification__Recipient *r)
{
    uint32_t want = audience ? audience & S_AUDIENCE_ALL : S_AUDIENCE_ALL; /* 0 = everyone */
    for (size_t i = 0; r && i < r->n_audiences; i++)
        if (notify_audience_bit(r->audiences[i]) & want) return true;
    return false;
}

int notify_audience_set(Notification__Recipient *r, const char *word, bool on, hub_arena_t *arena)
{
    size_t at = r->n_audiences;
    for (size_t i = 0; i < r->n_audiences; i++)
        if (!strcmp(s_str(r->audiences[i]), word)) at = i;
    bool has = at < r->n_audiences;
    if (has == on) return 0;
    char **list = hub_arena_alloc(arena, (r->n_audiences + 1) * sizeof *list);
    if (!list) return -1;
    size_t n = 0;
    for (size_t i = 0; i < r->n_audiences; i++)
        if (i != at) list[n++] = r->audiences[i];
    if (on) list[n++] = (char *)word;
    r->audiences = list;
    r->n_audiences = n;
    return 0;
}

int64_t notify_reminder_at(int64_t starts_ms, int64_t lead_ms, int64_t now)
{
    if (lead_ms <= 0 || now >= starts_ms) return 0;
    int64_t at = starts_ms - lead_ms;
    return at > now ? at : now;
}

bool notify_reminder_due(const Notification__RegistrationState *reg, const Notification__ActivityState *a,
                         int64_t starts_ms, int64_t now)
{
    return reg && a && reg->consent && reg->state == INTAKE__REGISTRATION_STATE__CONFIRMED &&
           a->status == INTAKE__ACTIVITY_STATUS__SCHEDULED && a->starts_ms == starts_ms && now < starts_ms &&
           !strcmp(s_str(reg->activity_id), s_str(a->activity_id));
}

bool notify_activity_urgent(int64_t now, int64_t starts_ms, int start_min, int end_min)
{
    return notify_quiet_until(now, start_min, end_min) >= starts_ms;
}

/* t as CST "YYYY-MM-DD HH:MM" (or only "HH:MM" with time_only). */
static void s_cst(int64_t ms, bool time_only, char *out, size_t size)
{
    time_t t = (time_t)((ms - s_mod(ms, 1000)) / 1000) + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, time_only ? "%H:%M" : "%Y-%m-%d %H:%M", &tm);
}

void notify_time_span(int64_t starts_ms, int64_t ends_ms, char *out, size_t size)
{
    char a[32], b[32];
    s_cst(starts_ms, false, a, sizeof a);
    if (ends_ms <= starts_ms) {
        snprintf(out, size, "%s", a);
        return;
    }
    s_cst(ends_ms, false, b, sizeof b);
    bool same_day = !strncmp(a, b, 10);
    if (same_day) s_cst(ends_ms, true, b, sizeof b);
    snprintf(out, size, same_day ? "%s-%s" : "%s - %s", a, b);
}

const char *notify_activity_kind(uint32_t kind, const char *lang)
{
    static const char *const zh[] = {"活动",   "社会组织培训", "经验分享会", "公益讲坛",
                                     "社工沙龙", "政策咨询会",   "听证会",     "慈善义工日"};
    static const char *const en[] = {"activity",         "training for social organizations",
                                     "experience sharing", "public-benefit forum",
                                     "social-worker salon", "policy consultation meeting",
                                     "hearing",          "charity volunteer day"};
    if (kind >= sizeof zh / sizeof *zh) kind = 0;
    return !strncmp(s_str(lang), "en", 2) ? en[kind] : zh[kind];
}
