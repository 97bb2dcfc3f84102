/* hub_util: small helpers with no dependencies: time, big-endian keys,
 * UTF-8 validation, endpoint classification. */
#ifndef HUB_UTIL_H
#define HUB_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Wall clock in unix milliseconds. */
int64_t hub_now_ms(void);
/* Monotonic clock in milliseconds (for deadlines). */
int64_t hub_mono_ms(void);
/* Monotonic clock in nanoseconds (for measuring durations). */
int64_t hub_mono_ns(void);
/* CPU time used by the calling thread, in nanoseconds (work done, not
 * time spent waiting or preempted). */
int64_t hub_thread_cpu_ns(void);

void hub_be64_put(uint8_t out[8], uint64_t v);
uint64_t hub_be64_get(const uint8_t in[8]);

/* True when buf[0..len) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF) and has no NUL byte. */
bool hub_utf8_valid(const char *buf, size_t len);
/* True when s is at most max bytes of UTF-8 with no control byte (C0 or
 * DEL), so it stays one line of a log (e.g. an erasure's reason). */
bool hub_log_text_ok(const char *s, size_t max);

/* True for endpoints that never leave this host: ipc://, inproc://,
 * tcp://127.x.x.x, tcp://localhost, tcp://[::1]. */
bool hub_endpoint_is_local(const char *endpoint);
/* True if s is a plain e-mail address safe to put in an SMTP envelope and
 * a header: 3..254 bytes, one '@' with text on both sides, no space,
 * control byte, DEL or any of <>,;:"()[]\ (so no command or header can
 * be injected through it). */
bool hub_email_ok(const char *s);

/* strdup that aborts on out-of-memory. Caller owns the result. */
char *hub_strdup(const char *s);
/* Creates dir and its parents with the given mode; 0 or -errno. */
int hub_mkdir_p(const char *dir, unsigned mode);

/* A growable NUL-terminated text buffer: p is malloc'd and owned by whoever
 * holds the struct (free(b.p) when done); start from {0}. A failed
 * allocation sets oom and drops every later write. */
typedef struct {
    char *p;
    size_t len, cap;
    bool oom;
} hub_buf_t;
/* Appends n bytes of s (and keeps a NUL after them). */
void hub_buf_put(hub_buf_t *b, const void *s, size_t n);

/* Subject identifiers, compared the same way by every daemon: writes the
 * digits of phone into out (cap >= HUB_PHONE_DIGITS), without a leading
 * "0086", or the "86" of a 13-digit number, so "+86 138-0000-0000" and
 * "13800000000" compare equal. Returns the length. */
#define HUB_PHONE_DIGITS 24
size_t hub_phone_norm(const char *phone, char *out, size_t cap);

#endif
