/* hub_log: leveled logging to stderr. Under journald ($JOURNAL_STREAM set)
 * lines carry an sd-daemon "<N>" prefix and no timestamp. */
#ifndef HUB_LOG_H
#define HUB_LOG_H

enum { HUB_LOG_ERR = 3, HUB_LOG_WARN = 4, HUB_LOG_INFO = 6, HUB_LOG_DEBUG = 7 };

/* Sets the process-wide level and the name printed on each line (borrowed,
 * must outlive logging). */
void hub_log_init(const char *ident, int level);
/* Parses "error|warn|info|debug"; returns -1 when unknown. */
int hub_log_level_parse(const char *s);
void hub_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define hub_err(...)   hub_log(HUB_LOG_ERR, __VA_ARGS__)
#define hub_warn(...)  hub_log(HUB_LOG_WARN, __VA_ARGS__)
#define hub_info(...)  hub_log(HUB_LOG_INFO, __VA_ARGS__)
#define hub_debug(...) hub_log(HUB_LOG_DEBUG, __VA_ARGS__)

#endif
