/* notify: the notification daemon's domain rules as plain functions over
 * plain data, with no socket and no store: message templates, channel
 * choice, quiet hours, retry backoff, rate limits, and the bytes each
 * channel sends (signed webhook JSON, the e-mail message, the SMS body).
 * notification_svc.c calls them inside its handlers; tests call them
 * directly. Times are unix milliseconds; local time is China Standard
 * Time (UTC+8, no daylight saving). */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hub_wire.h"
#include "notification.pb-c.h"

#define NOTIFY_MAX_TEMPLATES 64
#define NOTIFY_MAX_LANGS 8
#define NOTIFY_MAX_PLACEHOLDERS 16  /* distinct placeholders in one template */
#define NOTIFY_MAX_NAME 48          /* template and placeholder names, with NUL */

/* One placeholder value. Strings are borrowed. */
typedef struct {
    const char *name;
    const char *value;
} notify_kv_t;

/* ------------------------------------------------------------ templates */

/* The templates the daemon's own rules use, each with the only
 * placeholders it may use (NULL-terminated lists). A template file that
 * lacks one of these templates, or uses another placeholder in one of
 * them, is refused at load time. */
typedef struct {
    const char *name;
    const char *const *placeholders;
} notify_rule_template_t;
extern const notify_rule_template_t notify_rule_templates[];  /* NULL name ends it */

typedef struct notify_templates notify_templates_t;

/* The default template files (deploy/templates/zh.txt and en.txt),
 * embedded NUL-terminated by common/embed.S. */
extern const char hub_default_templates_zh[];
extern const char hub_default_templates_en[];

/* Parses one language's template file text (UTF-8). Format:
 *   # comment lines (outside templates) and blank lines are ignored
 *   == <name>                 starts a template ([a-z0-9_]+)
 *   subject: <one line>       first line of the template (required)
 *   <body lines...>           until the next "==" or the end; trailing
 *                             blank lines are dropped
 * Placeholders are {{name}} ([a-z0-9_]+). Adds the language lang (e.g.
 * "zh") to self; the same language twice is an error. Errors name the
 * file (label) and line: INVALID_ARGUMENT for a syntax error, an unknown
 * placeholder in a rule template, a rule template missing, invalid UTF-8.
 * Lines may end in CRLF. Inside a template a "#" line is body text. A
 * refused file leaves self as it was. text is copied. 0 or -1 with err
 * (field "templates"). */
int notify_templates_add(notify_templates_t *self, const char *lang, const char *label, const char *text,
                         hub_error_t *err);
/* An empty set. Caller owns it (notify_templates_destroy). */
notify_templates_t *notify_templates_new(void);
void notify_templates_destroy(notify_templates_t **self_p);
/* Loads every "<lang>.txt" of dir (lang = [a-z]{2,3}), or, with dir NULL
 * or "", the embedded default files (zh and en). At least "zh" must be
 * there. Caller owns the result; NULL with err. */
notify_templates_t *notify_templates_load(const char *dir, hub_error_t *err);
/* Languages are matched on their primary subtag, case-insensitively, so
 * a request's BCP 47 "en-US" or "zh-Hans" finds "en" or "zh". */
/* True if the language was loaded. */
bool notify_templates_has_lang(const notify_templates_t *self, const char *lang);
/* True if template name exists in language lang (or in "zh"). */
bool notify_templates_has(const notify_templates_t *self, const char *name, const char *lang);

/* Fills template name in language lang (falling back to "zh" when lang
 * is not loaded or lacks the template) with kv[0..n). *subject and *text
 * are allocated from arena. A placeholder of the template without a value
 * in kv is an error (INVALID_ARGUMENT naming it), never a blank; unused kv
 * entries are ignored. NOT_FOUND for an unknown template. 0 or -1.
 * A NULL value counts as none, "" is a value; the first kv of a name wins;
 * values are inserted as they are (never expanded again). On error the
 * arena is rewound and *subject, *text are untouched. */
int notify_render(const notify_templates_t *self, const char *name, const char *lang, const notify_kv_t *kv,
                  size_t n, hub_arena_t *arena, const char **subject, const char **text, hub_error_t *err);

/* --------------------------------------------------------------- choice */

/* The channels to use for a requester who chose preferred (intake's
 * ContactMethod as a number) and gave phone/email (either may be "" or
 * NULL). Without consent, or with NO_CONTACT: none. SMS -> SMS; EMAIL ->
 * EMAIL; PHONE -> SMS (a text to the phone they gave; social workers
 * call); WECHAT -> INBOX (the channel app reads it); no preference or an
 * unknown value -> SMS if a phone, else EMAIL if an e-mail, else INBOX.
 * A channel whose address is missing is left out. Writes at most 4 into
 * out; returns how many. */
size_t notify_requester_channels(bool consent, uint32_t preferred, const char *phone, const char *email,
                                 Notification__Channel out[4]);
/* The channels for a directory recipient: none without consent; else its
 * chosen channels (empty = WEBHOOK, EMAIL, SMS) that have an address, and
 * INBOX always (an unknown channel value is skipped). Writes at most 4;
 * returns how many. */
size_t notify_recipient_channels(const Notification__Recipient *r, Notification__Channel out[4]);
/* "webhook", "email", "sms", "inbox", or "unknown". */
const char *notify_channel_name(Notification__Channel c);

/* ------------------------------------------------------------- timing */

/* The first time at or after now_ms outside the SMS quiet hours
 * [start_min, end_min) in CST minutes of the day (e.g. 21*60 .. 8*60; the
 * window may wrap midnight; start == end: no quiet hours). */
int64_t notify_quiet_until(int64_t now_ms, int start_min, int end_min);
/* Delay before attempt number attempt+1 after attempt failures (attempt
 * >= 1): base_ms * 2^(attempt-1), capped at max_ms, then "equal jitter":
 * half of it plus rnd (0..UINT32_MAX) scaled over the other half. */
int64_t notify_backoff_ms(unsigned attempt, int64_t base_ms, int64_t max_ms, uint32_t rnd);

/* A token bucket: rate per second (0 = unlimited), burst tokens. */
typedef struct {
    double rate, burst, tokens;
    int64_t last_ms;
} notify_bucket_t;
void notify_bucket_init(notify_bucket_t *b, double rate, double burst, int64_t now_ms);
/* Takes one token if there is one (true), refilling by the time passed. */
bool notify_bucket_take(notify_bucket_t *b, int64_t now_ms);
/* Milliseconds until a token is there (0 if now). */
int64_t notify_bucket_wait_ms(const notify_bucket_t *b, int64_t now_ms);

/* --------------------------------------------------------- activities */

/* The words of Recipient.audiences: the activity announcements a
 * directory recipient gets, by intake.Audience. */
#define NOTIFY_AUDIENCE_ORGANIZATIONS "organizations" /* MEMBER_ORGANIZATIONS */
#define NOTIFY_AUDIENCE_VOLUNTEERS "volunteers"       /* VOLUNTEERS */
#define NOTIFY_AUDIENCE_PUBLIC "public"               /* PUBLIC */
/* The intake.Audience bit of an audience word, or 0 for any other word. */
uint32_t notify_audience_bit(const char *word);
/* 0 if every word of r->audiences is known and none is there twice; else
 * -1 with err INVALID_ARGUMENT (field "recipient.audiences"). */
int notify_audiences_check(const Notification__Recipient *r, hub_error_t *err);
/* True if directory recipient r gets the announcement of an activity for
 * audience (a bit set of intake.Audience; 0 = every audience): one of its
 * words names one of the activity's audiences. Consent is not looked at
 * here: notify_recipient_channels gives no channel without it. */
bool notify_announce_to(uint32_t audience, const Notification__Recipient *r);
/* Adds (on) or removes word from r->audiences, keeping the others in
 * their order; a new list comes from arena (word is borrowed). 0, or -1
 * when the arena is exhausted (r unchanged). */
int notify_audience_set(Notification__Recipient *r, const char *word, bool on, hub_arena_t *arena);
/* When the reminder of a registration confirmed at now goes out, for an
 * activity starting at starts_ms and reminders lead_ms before the start:
 * starts_ms - lead_ms, or now if that time has passed (a registrant
 * confirmed after it is reminded at once); 0 = no reminder (lead_ms <= 0,
 * or the activity has started). */
int64_t notify_reminder_at(int64_t starts_ms, int64_t lead_ms, int64_t now);
/* Who gets a reminder: true if the reminder scheduled for the start
 * starts_ms goes to reg's registrant at now: reg is still CONFIRMED
 * (not withdrawn, waitlisted, attended or cancelled with its activity),
 * its registrant consented, and its activity a is still SCHEDULED, at
 * that same start, not started yet. Either may be NULL (false). */
bool notify_reminder_due(const Notification__RegistrationState *reg, const Notification__ActivityState *a,
                         int64_t starts_ms, int64_t now);
/* True if a message about an activity starting at starts_ms, sent at now,
 * must pass the SMS quiet hours [start_min, end_min) (it is urgent): held
 * to their end it would arrive at or after the start. */
bool notify_activity_urgent(int64_t now, int64_t starts_ms, int start_min, int end_min);
/* The time of an activity in CST into out: "2026-11-26 14:30-16:30" on
 * one day, "2026-11-26 14:30 - 2026-11-27 12:00" over several, the start
 * alone when ends_ms <= starts_ms. */
void notify_time_span(int64_t starts_ms, int64_t ends_ms, char *out, size_t size);
/* The name of an intake.ActivityKind in lang ("en"; anything else is
 * Chinese), "活动"/"activity" for an unknown kind. Static. */
const char *notify_activity_kind(uint32_t kind, const char *lang);

/* -------------------------------------------------------------- bytes */

/* Lower-case hex HMAC-SHA256 of body under key (out: 65 bytes). */
void notify_hmac_hex(const char *key, const void *body, size_t len, char out[65]);
/* The webhook header value "sha256=<hex>" of body under key, or "" with
 * an empty key; out: 72 bytes. */
void notify_signature(const char *key, const void *body, size_t len, char out[72]);
/* The JSON body POSTed to a webhook (UTF-8, one object):
 *   {"id","idempotency_key","topic","template","recipient","language",
 *    "request_id","subject","text","urgent","created_ms","event_ms",
 *    "data":{name:value,...}}
 * From arena; NULL when the arena is exhausted. *len set. */
char *notify_webhook_body(const Notification__Delivery *d, hub_arena_t *arena, size_t *len);
/* An RFC 5322 e-mail (CRLF lines): From, To, Subject (RFC 2047 UTF-8
 * base64 "=?UTF-8?B?...?=" when not ASCII), Date (RFC 5322, +0800),
 * Message-ID "<idempotency_key@domain>", MIME-Version, Content-Type
 * text/plain; charset=UTF-8, Content-Transfer-Encoding: base64, and an
 * "X-Hub-Idempotency-Key" header; body base64 in 76-column lines. From
 * arena; NULL when exhausted. domain is the part after '@' of from.
 * Details: Date is d->created_ms (the same on every attempt); a subject
 * that is not short printable ASCII is folded into encoded words of at
 * most 75 characters; a non-ASCII display name in from ("名称 <a@b>") is
 * encoded too; control characters in header values become spaces (no
 * header injection); Message-ID characters that are not atext become '_'
 * (X-Hub-Idempotency-Key keeps the key as is); the body is the text with
 * CRLF line breaks, text/plain's canonical form. */
char *notify_email_message(const Notification__Delivery *d, const char *from, hub_arena_t *arena, size_t *len);
/* Fills the SMS gateway body pattern (config, e.g.
 * {"to":"{{phone}}","text":"{{text}}","key":"{{key}}"}) with phone,
 * text (subject, a space, then the text, if the subject is not empty),
 * and key (the idempotency key); json_escape escapes values for a JSON
 * string. Unknown placeholders are an error at config time (see
 * notify_sms_pattern_check). From arena; NULL when exhausted. */
char *notify_sms_body(const char *pattern, const Notification__Delivery *d, bool json_escape, hub_arena_t *arena,
                      size_t *len);
/* 0 if pattern only uses {{phone}}, {{text}}, {{key}}; else -1 with err. */
int notify_sms_pattern_check(const char *pattern, hub_error_t *err);

#endif
