#include "hub_notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The process's sender: written by open/close (one thread, before and
 * after the others), read by sends. */
static int s_fd = -1;
static struct sockaddr_un s_addr;
static socklen_t s_addr_len;
static atomic_uint_least64_t s_dropped;

int hub_notify_open(void)
{
    hub_notify_close();
    const char *e = getenv("NOTIFY_SOCKET");
    if (!e || !*e) return 0;
    size_t n = strlen(e);
    memset(&s_addr, 0, sizeof s_addr);
    s_addr.sun_family = AF_UNIX;
    if ((e[0] != '/' && e[0] != '@') || n >= sizeof s_addr.sun_path) {
        errno = EINVAL;
        return -1;
    }
    memcpy(s_addr.sun_path, e, n);
    if (e[0] == '@') { /* abstract: a leading NUL, the length says where it ends */
        s_addr.sun_path[0] = 0;
        s_addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    } else {
        s_addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    }
    s_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    return s_fd < 0 ? -1 : 0;
}

int hub_notify_send(const char *text)
{
    if (s_fd < 0) return 0;
    ssize_t n;
    do n = sendto(s_fd, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&s_addr, s_addr_len);
    while (n < 0 && errno == EINTR);
    if (n >= 0) return 1;
    /* EAGAIN: the reader's queue is full; ECONNREFUSED/ENOENT: nobody
     * listens any more. Either way this update is lost, not waited for. */
    atomic_fetch_add(&s_dropped, 1);
    return -1;
}

int hub_notify_sendf(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return hub_notify_send(buf);
}

uint64_t hub_notify_dropped(void) { return atomic_load(&s_dropped); }

uint64_t hub_notify_watchdog_usec(void)
{
    const char *pid = getenv("WATCHDOG_PID"), *usec = getenv("WATCHDOG_USEC");
    if (!usec || !*usec) return 0;
    char *end;
    if (pid && *pid) {
        unsigned long long p = strtoull(pid, &end, 10);
        if (*end || p != (unsigned long long)getpid()) return 0;
    }
    errno = 0;
    unsigned long long v = strtoull(usec, &end, 10);
    if (*end || errno || !v || usec[0] == '-') return 0;
    return (uint64_t)v;
}

void hub_notify_close(void)
{
    if (s_fd >= 0) close(s_fd);
    s_fd = -1;
}
