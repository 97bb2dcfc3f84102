#include "hub_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *s_ident = "hub";
static int s_level = HUB_LOG_INFO;
static int s_journal = -1;

void hub_log_init(const char *ident, int level)
{
    s_ident = ident;
    s_level = level;
    s_journal = getenv("JOURNAL_STREAM") != NULL;
}

int hub_log_level_parse(const char *s)
{
    if (!strcmp(s, "error")) return HUB_LOG_ERR;
    if (!strcmp(s, "warn") || !strcmp(s, "warning")) return HUB_LOG_WARN;
    if (!strcmp(s, "info")) return HUB_LOG_INFO;
    if (!strcmp(s, "debug")) return HUB_LOG_DEBUG;
    return -1;
}

void hub_log(int level, const char *fmt, ...)
{
    static const char *names[] = {"", "", "", "error", "warn", "", "info", "debug"};
    if (level > s_level) return;
    if (s_journal < 0) s_journal = getenv("JOURNAL_STREAM") != NULL;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (s_journal) {
        fprintf(stderr, "<%d>%s: %s\n", level, s_ident, line);
    } else {
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: %s\n",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                tm.tm_sec, ts.tv_nsec / 1000000, names[level & 7], s_ident, line);
    }
}
