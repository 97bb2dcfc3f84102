/* ctl: what every hubctl command file shares: the invocation (ctl_t), the
 * call to a daemon named by its configuration section, printing (JSON,
 * enum names, times) and the exit codes. hubctl.c has main, the global
 * options and intake's commands; hubctl_<daemon>.c has each other daemon's
 * commands and registers them in a ctl_command_t table. */
#ifndef HUBCTL_CTL_H
#define HUBCTL_CTL_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hub_client.h"
#include "hub_config.h"
#include "hub_wire.h"

/* Exit codes: ok, refused by the daemon, usage, daemon not reachable. */
enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

#define CTL_MAX_DAEMONS 8
/* Every daemon hubctl knows, by configuration section (hubctl.c). */
#define CTL_N_KNOWN 5
extern const char *const ctl_known_daemons[CTL_N_KNOWN];

typedef struct {
    hub_config_t *cfg;
    int json;                 /* --json: print replies as JSON */
    int timeout_ms;           /* reply deadline of every call */
    void *zctx;
    hub_arena_t *arena;       /* replies live here until the end */
    hub_curve_t curve;        /* [hubctl] CURVE client settings (server_key NULL = off) */
    char server_key[41], public_key[41], secret_key[41];
    char daemon_key[41];      /* [hubctl] <daemon>_server_public_key_file, read per call */
    /* the daemons "status" shows: those whose section the operator's
     * configuration file names, or every known one when it names none */
    const char *daemons[CTL_MAX_DAEMONS];
    int n_daemons;
} ctl_t;

/* A top-level command; argv[0] is its name. Returns an exit code. */
typedef struct {
    const char *name;
    int (*run)(ctl_t *c, int argc, char **argv);
} ctl_command_t;

/* Prints the usage text to stderr; returns EXIT_USAGE. (hubctl.c) */
int ctl_usage(void);

/* [daemon] which (api, pub), "" when not configured. */
const char *ctl_endpoint(const ctl_t *c, const char *daemon, const char *which);
/* The CURVE settings for daemon: [hubctl] <daemon>_server_public_key_file
 * when set, else server_public_key_file. 0, or -1 after printing why. */
int ctl_curve(ctl_t *c, const char *daemon, hub_curve_t *out);
/* Calls verb on daemon (its [daemon] api) and waits for the reply (*rep in
 * c->arena). A refusal is printed (stderr; also stdout as JSON with
 * --json). Returns EXIT_OK, EXIT_REFUSED, EXIT_UNREACHABLE, or EXIT_USAGE
 * when the daemon has no api endpoint configured. */
int ctl_call(ctl_t *c, const char *daemon, const char *verb, const ProtobufCMessage *req,
             const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **rep);

/* What ctl_call_err returns when the daemon refused; not an exit code. */
enum { CTL_REFUSED = -1 };
/* ctl_call for a caller that expects some refusals (as NOT_FOUND of a
 * record about to be created): a refusal is not printed but returned as
 * CTL_REFUSED with *err holding the daemon's code, field and message (print
 * it with ctl_refused when it is not the expected one). Every other failure
 * is printed as by ctl_call and its exit code returned (EXIT_USAGE,
 * EXIT_UNREACHABLE, EXIT_REFUSED for a malformed reply); EXIT_OK on
 * success. *err is cleared first. */
int ctl_call_err(ctl_t *c, const char *daemon, const char *verb, const ProtobufCMessage *req,
                 const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **rep, hub_error_t *err);
/* Prints a refusal the way ctl_call does (stderr; also stdout as JSON with
 * --json). Returns EXIT_REFUSED. */
int ctl_refused(const ctl_t *c, const hub_error_t *err);

/* size zeroed bytes in c->arena (1 for size 0); prints "out of memory" and
 * aborts when the arena is exhausted, so never NULL. */
void *ctl_alloc(ctl_t *c, size_t size);
/* Appends item (elem bytes) to the arena array *arr_p (a T ** passed as
 * void *, elem = sizeof (T)) of *n items: the array is copied into a new
 * one of *n + 1 in c->arena (the old one stays there); *n is incremented. */
void ctl_append(ctl_t *c, void *arr_p, size_t *n, const void *item, size_t elem);
/* Appends the pointer item itself (not a copy of what it points to) to the
 * arena array of pointers *arr_p (a T ** passed as void *) of *n items. */
void ctl_push(ctl_t *c, void *arr_p, size_t *n, void *item);
/* printf into c->arena (at most 1023 bytes, longer output is cut); aborts
 * when the arena is exhausted, so never NULL. */
const char *ctl_fmt(ctl_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints why an option's argument is refused ("hubctl: --opt "arg": want")
 * to stderr; returns EXIT_USAGE. */
int ctl_bad(const char *opt, const char *arg, const char *want);

/* Prints msg as indented JSON (hub_json) and a newline on stdout. */
void ctl_print_json(const ProtobufCMessage *m);

/* The enum value's name ("IN_PROGRESS"), "?" if unknown. */
const char *ctl_enum(const ProtobufCEnumDescriptor *d, int v);
/* The same as a lower-case word for tables: strip (e.g. "OFFER_", may be
 * NULL) removed, '_' -> '-' ("in-progress", "got-help"); "" for 0 (the
 * UNSPECIFIED value). Static buffers, 8 in rotation. */
const char *ctl_enum_word(const ProtobufCEnumDescriptor *d, int v, const char *strip);
/* Parses a word given on the command line ("in-progress", "IN_PROGRESS",
 * "got_help"; prefix, e.g. "OFFER_", may be omitted). The value, or -1 for
 * an unknown word or the UNSPECIFIED value. */
int ctl_enum_parse(const ProtobufCEnumDescriptor *d, const char *word, const char *prefix);
/* The lower-case words of an enum's values (but 0), e.g. "free, low-cost". */
const char *ctl_enum_words(const ProtobufCEnumDescriptor *d, const char *strip);

/* s in upper case ("none" -> "NO_CONTACT" for intake's contact method). */
const char *ctl_upper(const char *s);
/* "YYYY-MM-DD HH:MM" in China Standard Time; 4 static buffers in rotation. */
const char *ctl_time(int64_t ms);
/* The same, "" for 0. */
const char *ctl_time_or_empty(int64_t ms);
/* Who the operator is for histories ($USER, else "operator"). */
const char *ctl_by(void);
/* A fresh idempotency key "hubctl-<ms>-<pid>". */
void ctl_message_id(char *buf, size_t len);

/* Strict number parsing for options: 0, or -1 (not a number, out of range).
 * The unsigned ones take decimal digits only (no sign, no space). */
int ctl_parse_u32(const char *s, uint32_t *out);
int ctl_parse_u64(const char *s, uint64_t *out);
int ctl_parse_double(const char *s, double *out);
/* A whole number option within [lo, hi]: 0, or EXIT_USAGE after printing
 * "wants a whole number" (with "lo..hi" when hi is not UINT32_MAX). */
int ctl_opt_u32(const char *opt, const char *arg, uint32_t lo, uint32_t hi, uint32_t *out);
/* A time option --opt arg (ctl_parse_time): 0 with *ms set, or EXIT_USAGE
 * after saying why. */
int ctl_opt_time(const char *opt, const char *arg, int64_t *ms);

/* What ctl_parse_time returns for a relative time too far ahead. */
enum { CTL_TIME_TOO_FAR = -2 };
/* A time typed on the command line as unix ms: "YYYY-MM-DD HH:MM" in China
 * Standard Time (a real date, 1970 on), or "+N" with a unit d, h, m or s
 * from now ("+3d", "+90s"; at most about 20 years ahead). 0 with *ms set;
 * -1 when malformed or not a real date; CTL_TIME_TOO_FAR. */
int ctl_parse_time(const char *s, int64_t *ms);

/* The "show" layout: "label           value" (the label padded to 16
 * columns), nothing when value is NULL or empty. */
void ctl_kv(const char *label, const char *value);
/* ctl_kv for a text of several lines: the later lines are indented under
 * the first. */
void ctl_kv_text(const char *label, const char *text);

/* Options collected first and applied afterwards, in order, over a fresh
 * record (add, create) or the stored one (update). */
struct option;
typedef struct {
    int code;         /* getopt_long's value */
    const char *name; /* the long name, for ctl_bad */
    char *arg;        /* its optarg */
    bool first;       /* no earlier op has this code (a repeated list
                       * option replaces the list on its first use) */
} ctl_op_t;
/* Parses argv (argv[0], the command or verb, is skipped) with the long
 * options opts into *ops (arena); the positional arguments are *pos (within
 * argv). 0, or EXIT_USAGE after printing the usage for an unknown option or
 * a missing argument. */
int ctl_collect(ctl_t *c, int argc, char **argv, const struct option *opts, ctl_op_t **ops, size_t *n_ops,
                char ***pos, size_t *n_pos);
/* The first op with code, or NULL. */
const ctl_op_t *ctl_op(const ctl_op_t *ops, size_t n, int code);

/* hubctl_matching.c: hub-matching's commands, usage lines, event payloads. */
extern const ctl_command_t ctl_matching_commands[];
extern const char ctl_matching_usage[];
const ProtobufCMessageDescriptor *ctl_matching_payload_type(const char *topic);

/* hubctl_notification.c: hub-notification's commands, usage lines, event payloads. */
extern const ctl_command_t ctl_notification_commands[];
extern const char ctl_notification_usage[];
const ProtobufCMessageDescriptor *ctl_notification_payload_type(const char *topic);

/* hubctl_tendering.c: hub-tendering's commands, usage lines, event payloads. */
extern const ctl_command_t ctl_tendering_commands[];
extern const char ctl_tendering_usage[];
const ProtobufCMessageDescriptor *ctl_tendering_payload_type(const char *topic);

/* hubctl_reporting.c: hub-reporting's commands (report, health), usage lines. */
extern const ctl_command_t ctl_reporting_commands[];
extern const char ctl_reporting_usage[];

/* hubctl_activity.c: intake's activities ("activity ..."), usage lines,
 * event payloads (intake.activity.*, intake.registration.*). */
extern const ctl_command_t ctl_activity_commands[];
extern const char ctl_activity_usage[];
const ProtobufCMessageDescriptor *ctl_activity_payload_type(const char *topic);

/* hubctl_security.c: principal add|revoke|list. */
extern const ctl_command_t ctl_security_commands[];

/* hubctl_backup.c: backup DIR, restore DIR. */
extern const ctl_command_t ctl_backup_commands[];
extern const char ctl_backup_usage[];

/* hubctl_privacy.c: purge, subject export|erase, audit; usage; event payloads. */
extern const ctl_command_t ctl_privacy_commands[];
extern const char ctl_privacy_usage[];
const ProtobufCMessageDescriptor *ctl_privacy_payload_type(const char *topic);

#endif
