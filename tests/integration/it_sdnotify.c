/* it_sdnotify: a supervisor that sets NOTIFY_SOCKET and stops reading it
 * never stalls a daemon (README "Installing on a server"). The harness
 * keeps hub-intake's notify socket bound but unread after READY=1; with
 * STATUS= every 50 ms ([intake] status_notify_ms) and a watchdog ping
 * every 50 ms (WATCHDOG_USEC 100 ms), the queue (net.unix.max_dgram_qlen,
 * 10) is full after a fraction of a second. hub.status is asked over and
 * over until the daemon reports more than 10 dropped updates: every call
 * must be answered (a blocking sd_notify would hang the loop at the 11th
 * datagram and the call would time out), the socket holds what was sent
 * before it filled, and SIGTERM still ends the daemon cleanly (its
 * STOPPING=1 dropped too). Waits are on conditions with deadlines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <zmq.h>

#include "harness.h"
#include "hub_client.h"

#define CALL_MS 5000 /* one hub.status: far more than a healthy loop needs */

static void *s_zctx;

typedef struct {
    hub_client_t *c;
    hub_arena_t *a;
    uint64_t dropped;
    int calls;
} probe_t;

/* harness_wait predicate: asks hub.status (the test fails when it is not
 * answered) and is true once notify_dropped_total is above 10. */
static bool s_dropped_many(void *arg)
{
    probe_t *p = arg;
    hub_arena_reset(p->a);
    Hub__StatusRequest q = HUB__STATUS_REQUEST__INIT;
    Hub__StatusReply *r = NULL;
    hub_error_t err = {0};
    if (hub_client_call(p->c, "hub.status", &q.base, &hub__status_reply__descriptor, p->a, (ProtobufCMessage **)&r,
                        &err))
        fail_msg("hub.status %d not answered within %d ms (after %llu dropped updates): %s", p->calls + 1, CALL_MS,
                 (unsigned long long)p->dropped, err.message);
    p->calls++;
    for (size_t i = 0; i < r->n_counters; i++)
        if (!strcmp(r->counters[i]->name, "notify_dropped_total")) p->dropped = r->counters[i]->value;
    return p->dropped > 10;
}

static void test_unread_notify_socket_never_stalls(void **state)
{
    (void)state;
    harness_t h;
    assert_int_equal(harness_init(&h, "status_notify_ms = 50\n"), 0);
    h.notify_keep = true;
    setenv("WATCHDOG_USEC", "100000", 1); /* the child's: pings every 50 ms */
    unsetenv("WATCHDOG_PID");
    int started = harness_start(&h);
    unsetenv("WATCHDOG_USEC");
    assert_int_equal(started, 0);
    assert_true(h.notify_fd >= 0); /* bound, and from now on never read */

    probe_t p = {hub_client_new(s_zctx, h.api, NULL, CALL_MS), hub_arena_new(1 << 20), 0, 0};
    assert_non_null(p.c);
    if (!harness_wait(s_dropped_many, &p, 30000))
        fail_msg("only %llu updates dropped after %d calls: was the queue filled?", (unsigned long long)p.dropped,
                 p.calls);
    /* the queue really was full: what fitted is there, unread */
    char buf[512];
    int queued = 0;
    while (recv(h.notify_fd, buf, sizeof buf, MSG_DONTWAIT) > 0) queued++;
    assert_true(queued >= 1);
    print_message("%d calls answered, %llu updates dropped, %d queued\n", p.calls, (unsigned long long)p.dropped,
                  queued);
    hub_client_destroy(&p.c);
    hub_arena_destroy(&p.a);
    assert_int_equal(harness_stop(&h, SIGTERM), 0);
    harness_fini(&h);
}

int main(void)
{
    s_zctx = zmq_ctx_new();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unread_notify_socket_never_stalls),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (rc == 0) zmq_ctx_term(s_zctx);
    return rc;
}
