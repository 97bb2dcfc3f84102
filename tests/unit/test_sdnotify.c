/* test_sdnotify: hub_notify, the non-blocking sd_notify sender: no
 * NOTIFY_SOCKET means no-ops; a malformed one is refused; a path and an
 * abstract ("@") address both deliver; a reader that never reads fills its
 * queue and every send after that returns at once, dropped and counted;
 * a reader that is gone is a drop too; WATCHDOG_USEC/WATCHDOG_PID are read
 * as sd_watchdog_enabled(3) reads them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hub_notify.h"

/* A bound datagram socket at path (or abstract name when path starts with
 * '@'); the fd. */
static int s_reader(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(path);
    assert_true(n < sizeof sa.sun_path);
    memcpy(sa.sun_path, path, n);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    if (path[0] == '@') {
        sa.sun_path[0] = 0;
        len--;
    } else {
        unlink(path);
    }
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
    return fd;
}

/* The next datagram on fd, waiting at most 5 s (it was sent before). */
static char *s_recv(int fd)
{
    static char buf[2048];
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    assert_true(n >= 0);
    buf[n] = 0;
    return buf;
}

static void test_no_socket_is_a_no_op(void **state)
{
    (void)state;
    unsetenv("NOTIFY_SOCKET");
    assert_int_equal(hub_notify_open(), 0);
    uint64_t dropped = hub_notify_dropped();
    assert_int_equal(hub_notify_send("READY=1"), 0);
    assert_int_equal(hub_notify_dropped(), dropped);
    setenv("NOTIFY_SOCKET", "relative/notify.sock", 1);
    errno = 0;
    assert_int_equal(hub_notify_open(), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(hub_notify_send("READY=1"), 0); /* unusable: nothing sent */
    hub_notify_close();
    unsetenv("NOTIFY_SOCKET");
}

static void test_abstract_address(void **state)
{
    (void)state;
    char name[64];
    snprintf(name, sizeof name, "@hub-test-sdnotify-%ld", (long)getpid());
    int fd = s_reader(name);
    setenv("NOTIFY_SOCKET", name, 1);
    assert_int_equal(hub_notify_open(), 0);
    assert_int_equal(hub_notify_sendf("READY=1\nSTATUS=serving on %s", "ipc://x"), 1);
    assert_string_equal(s_recv(fd), "READY=1\nSTATUS=serving on ipc://x");
    hub_notify_close();
    assert_int_equal(hub_notify_send("WATCHDOG=1"), 0); /* closed: a no-op */
    close(fd);
    unsetenv("NOTIFY_SOCKET");
}

/* A reader that never reads: the queue fills, then every send returns at
 * once, not sent and counted; nothing blocks (a blocking send would hang
 * here, and the alarm would end the test). */
static void test_full_queue_drops(void **state)
{
    (void)state;
    char dir[] = "/tmp/hub-sdnotify.XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/notify.sock", dir);
    int fd = s_reader(path);
    setenv("NOTIFY_SOCKET", path, 1);
    assert_int_equal(hub_notify_open(), 0);
    alarm(20);
    int sent = 0, dropped = 0;
    uint64_t before = hub_notify_dropped();
    for (int i = 0; i < 5000 && dropped < 50; i++) {
        int rc = hub_notify_send("STATUS=serving on ipc://x: 1 commands (0 refused), last event 1");
        if (rc == 1) sent++;
        else if (rc == -1) dropped++;
        else fail_msg("send %d returned %d", i, rc);
    }
    alarm(0);
    assert_true(sent >= 1);       /* the queue took some (net.unix.max_dgram_qlen) */
    assert_int_equal(dropped, 50); /* then no more, without waiting */
    assert_int_equal(hub_notify_dropped() - before, 50);
    /* what was queued is intact */
    assert_string_equal(s_recv(fd), "STATUS=serving on ipc://x: 1 commands (0 refused), last event 1");
    /* the reader gone: dropped as well */
    close(fd);
    unlink(path);
    assert_int_equal(hub_notify_send("WATCHDOG=1"), -1);
    assert_int_equal(hub_notify_dropped() - before, 51);
    hub_notify_close();
    rmdir(dir);
    unsetenv("NOTIFY_SOCKET");
}

static void test_watchdog_env(void **state)
{
    (void)state;
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    unsetenv("WATCHDOG_PID");
    unsetenv("WATCHDOG_USEC");
    assert_int_equal(hub_notify_watchdog_usec(), 0);
    setenv("WATCHDOG_USEC", "60000000", 1);
    assert_int_equal(hub_notify_watchdog_usec(), 60000000);
    setenv("WATCHDOG_PID", pid, 1);
    assert_int_equal(hub_notify_watchdog_usec(), 60000000);
    setenv("WATCHDOG_PID", "1", 1); /* another process's watchdog */
    assert_int_equal(hub_notify_watchdog_usec(), 0);
    unsetenv("WATCHDOG_PID");
    setenv("WATCHDOG_USEC", "0", 1);
    assert_int_equal(hub_notify_watchdog_usec(), 0);
    setenv("WATCHDOG_USEC", "12s", 1);
    assert_int_equal(hub_notify_watchdog_usec(), 0);
    setenv("WATCHDOG_USEC", "-5", 1);
    assert_int_equal(hub_notify_watchdog_usec(), 0);
    unsetenv("WATCHDOG_USEC");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_socket_is_a_no_op),
        cmocka_unit_test(test_abstract_address),
        cmocka_unit_test(test_full_queue_drops),
        cmocka_unit_test(test_watchdog_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
