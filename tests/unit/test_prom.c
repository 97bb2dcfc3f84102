/* Unit tests for hub_prom (the Prometheus text format every daemon's
 * /metrics and the dashboard's /metrics render with) and hub_http's
 * listen-address parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_http.h"
#include "hub_prom.h"

/* Renders p, checks it is exactly want, destroys p. */
static void s_expect(hub_prom_t *p, const char *want)
{
    size_t len = 0;
    char *got = hub_prom_render(p, &len);
    assert_non_null(got);
    assert_int_equal(len, strlen(got));
    if (strcmp(got, want)) fprintf(stderr, "got:\n%s\nwanted:\n%s\n", got, want);
    assert_string_equal(got, want);
    free(got);
    hub_prom_destroy(&p);
    assert_null(p);
}

/* A status reply as intake sends it renders every field, each family once,
 * counters sorted by name after the fixed families, _total as counter. */
static void test_status_reply(void **state)
{
    (void)state;
    Hub__StatusReply st = HUB__STATUS_REPLY__INIT;
    Hub__Counter c[3] = {HUB__COUNTER__INIT, HUB__COUNTER__INIT, HUB__COUNTER__INIT};
    Hub__Counter *cs[3] = {&c[0], &c[1], &c[2]};
    c[0].name = "requests_accepted_total";
    c[0].value = 7;
    c[1].name = "commit_p99_us";
    c[1].value = 1500;
    c[2].name = "commands_total";
    c[2].value = 12;
    Hub__Subscription sub = HUB__SUBSCRIPTION__INIT;
    Hub__Subscription *subs[1] = {&sub};
    sub.publisher = "intake";
    sub.seq = 5;
    st.source = "matching";
    st.last_seq = 9;
    st.uptime_s = 61;
    st.store_bytes = 4096;
    st.n_counters = 3;
    st.counters = cs;
    st.n_subscriptions = 1;
    st.subscriptions = subs;
    Hub__Counter q = HUB__COUNTER__INIT;
    Hub__Counter *qs[1] = {&q};
    q.name = "referrals_unmatched";
    q.value = 3;
    st.n_queues = 1;
    st.queues = qs;
    st.principals = 4;
    st.principals_digest = "00112233aabbccdd";
    hub_prom_t *p = hub_prom_new();
    assert_non_null(p);
    hub_prom_status(p, &st);
    s_expect(p,
             "# HELP hub_up Whether the daemon answers (heartbeat or hub.status) recently.\n"
             "# TYPE hub_up gauge\n"
             "hub_up{daemon=\"matching\"} 1\n"
             "# HELP hub_last_seq The latest committed event sequence of the daemon's outbox.\n"
             "# TYPE hub_last_seq gauge\n"
             "hub_last_seq{daemon=\"matching\"} 9\n"
             "# HELP hub_uptime_seconds Seconds since the daemon started.\n"
             "# TYPE hub_uptime_seconds gauge\n"
             "hub_uptime_seconds{daemon=\"matching\"} 61\n"
             "# HELP hub_store_bytes Bytes the daemon's LMDB store takes on disk.\n"
             "# TYPE hub_store_bytes gauge\n"
             "hub_store_bytes{daemon=\"matching\"} 4096\n"
             "# HELP hub_subscriber_seq The last event of the publisher the subscriber has durably applied.\n"
             "# TYPE hub_subscriber_seq gauge\n"
             "hub_subscriber_seq{subscriber=\"matching\",publisher=\"intake\"} 5\n"
             "# HELP hub_subscriber_lag Events the subscriber has not yet applied of the publisher.\n"
             "# TYPE hub_subscriber_lag gauge\n"
             "# HELP hub_queue_depth Entries waiting in one of the daemon's queue databases.\n"
             "# TYPE hub_queue_depth gauge\n"
             "hub_queue_depth{daemon=\"matching\",queue=\"referrals_unmatched\"} 3\n"
             "# HELP hub_principals CURVE principals the daemon has loaded.\n"
             "# TYPE hub_principals gauge\n"
             "hub_principals{daemon=\"matching\"} 4\n"
             "# TYPE hub_commands_total counter\n"
             "hub_commands_total{daemon=\"matching\"} 12\n"
             "# TYPE hub_commit_p99_us gauge\n"
             "hub_commit_p99_us{daemon=\"matching\"} 1500\n"
             "# TYPE hub_requests_accepted_total counter\n"
             "hub_requests_accepted_total{daemon=\"matching\"} 7\n");
}

/* Several daemons share one family (one TYPE line); names are sanitized;
 * a counter that would fall on a fixed family is left out; of two names
 * sanitizing to one, the first is kept; label values are escaped. */
static void test_many_daemons(void **state)
{
    (void)state;
    hub_prom_t *p = hub_prom_new();
    hub_prom_family(p, "hub_up", "gauge", "Up.");
    hub_prom_family(p, "hub_up", "counter", "Declared twice: the first stays.");
    hub_prom_sample(p, "hub_up", 1, "daemon", "intake", NULL);
    hub_prom_sample(p, "hub_up", 0, "daemon", "a\"b\\c\nd", NULL);
    hub_prom_sample(p, "hub_up", 5, "daemon", "intake", NULL);       /* same labels: dropped */
    hub_prom_sample(p, "hub_nope", 5, "daemon", "intake", NULL);     /* undeclared: dropped */
    hub_prom_counter(p, "intake", "up", 99);                         /* would be hub_up: left out */
    hub_prom_counter(p, "intake", "x.y-z total", 3);
    hub_prom_counter(p, "intake", "x_y_z_total", 4);                 /* same sanitized name: first kept */
    hub_prom_counter(p, "matching", "x.y-z total", 8);
    s_expect(p,
             "# HELP hub_up Up.\n"
             "# TYPE hub_up gauge\n"
             "hub_up{daemon=\"intake\"} 1\n"
             "hub_up{daemon=\"a\\\"b\\\\c\\nd\"} 0\n"
             "# TYPE hub_x_y_z_total counter\n"
             "hub_x_y_z_total{daemon=\"intake\"} 3\n"
             "hub_x_y_z_total{daemon=\"matching\"} 8\n");
}

/* An empty builder renders an empty text (not NULL); a name longer than
 * the limit is cut, still one family. */
static void test_edges(void **state)
{
    (void)state;
    s_expect(hub_prom_new(), "");
    hub_prom_t *p = hub_prom_new();
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    hub_prom_counter(p, "d", longname, 1);
    hub_prom_counter(p, "e", longname, 2);
    size_t len;
    char *got = hub_prom_render(p, &len);
    assert_non_null(got);
    const char *line = strchr(got, '\n') + 1;
    assert_int_equal(strcspn(line, "{"), HUB_PROM_MAX_NAME - 1);
    assert_non_null(strstr(got, "{daemon=\"e\"} 2\n"));
    free(got);
    hub_prom_destroy(&p);
}

/* host:port, [v6]:port; bad ones refused with the key named. */
static void test_http_addr(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t len;
    hub_error_t err = {0};
    assert_int_equal(hub_http_addr("127.0.0.1:9301", "metrics", &ss, &len, &err), 0);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(hub_http_addr("[::1]:0", "metrics", &ss, &len, &err), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(hub_http_addr("127.0.0.2:9301", "metrics", &ss, &len, &err), 0);
    /* no authentication on HTTP: nothing but loopback */
    const char *bad[] = {"9301", ":9301", "127.0.0.1:", "127.0.0.1:http", "300.1.1.1:80", "nonsense",
                         "0.0.0.0:9301", "10.68.12.21:9301", "[::]:9301", "[2001:db8::1]:80"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err = (hub_error_t){0};
        assert_int_equal(hub_http_addr(bad[i], "metrics", &ss, &len, &err), -1);
        assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
        assert_string_equal(err.field, "metrics");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_reply),
        cmocka_unit_test(test_many_daemons),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_http_addr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
