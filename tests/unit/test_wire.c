/* Unit tests for hub_util (UTF-8, endpoints, be64), the hub_wire arena and
 * hub_wire_unpack, and the hub_json conversion. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_json.h"
#include "hub_util.h"
#include "harness.h"
#include "hub_wire.h"
#include "intake.pb-c.h"

#define S(lit) (lit), (sizeof(lit) - 1)

/* ---------------------------------------------------------------- utf8 */

static void test_utf8_valid_text(void **state)
{
    (void)state;
    assert_true(hub_utf8_valid(S("")));
    assert_true(hub_utf8_valid(S("hello, world")));
    assert_true(hub_utf8_valid(S("独居老人需要每日助餐服务")));
    assert_true(hub_utf8_valid(S("鼓楼街道 中山西路 1 号")));
    /* two-, three- and four-byte boundaries */
    assert_true(hub_utf8_valid(S("\xC2\x80")));          /* U+0080 */
    assert_true(hub_utf8_valid(S("\xDF\xBF")));          /* U+07FF */
    assert_true(hub_utf8_valid(S("\xE0\xA0\x80")));      /* U+0800 */
    assert_true(hub_utf8_valid(S("\xED\x9F\xBF")));      /* U+D7FF */
    assert_true(hub_utf8_valid(S("\xEE\x80\x80")));      /* U+E000 */
    assert_true(hub_utf8_valid(S("\xEF\xBF\xBF")));      /* U+FFFF */
    assert_true(hub_utf8_valid(S("\xF0\x90\x80\x80")));  /* U+10000 */
    assert_true(hub_utf8_valid(S("\xF0\x9F\x98\x80")));  /* U+1F600 emoji */
    assert_true(hub_utf8_valid(S("\xF4\x8F\xBF\xBF")));  /* U+10FFFF */
    /* the length is honoured: a valid prefix of a longer invalid buffer */
    assert_true(hub_utf8_valid("ab\xFF", 2));
}

static void test_utf8_overlong(void **state)
{
    (void)state;
    assert_false(hub_utf8_valid(S("\xC0\xAF")));             /* '/' in 2 bytes */
    assert_false(hub_utf8_valid(S("\xC1\xBF")));
    assert_false(hub_utf8_valid(S("\xC0\x80")));             /* modified-UTF-8 NUL */
    assert_false(hub_utf8_valid(S("\xE0\x80\xAF")));         /* '/' in 3 bytes */
    assert_false(hub_utf8_valid(S("\xE0\x9F\xBF")));         /* U+07FF in 3 bytes */
    assert_false(hub_utf8_valid(S("\xF0\x80\x80\xAF")));     /* '/' in 4 bytes */
    assert_false(hub_utf8_valid(S("\xF0\x8F\xBF\xBF")));     /* U+FFFF in 4 bytes */
}

static void test_utf8_surrogates(void **state)
{
    (void)state;
    assert_false(hub_utf8_valid(S("\xED\xA0\x80")));          /* U+D800 */
    assert_false(hub_utf8_valid(S("\xED\xAF\xBF")));          /* U+DBFF */
    assert_false(hub_utf8_valid(S("\xED\xB0\x80")));          /* U+DC00 */
    assert_false(hub_utf8_valid(S("\xED\xBF\xBF")));          /* U+DFFF */
    assert_false(hub_utf8_valid(S("\xED\xA0\xBD\xED\xB8\x80"))); /* CESU pair */
    assert_false(hub_utf8_valid(S("好\xED\xA0\x80")));
}

static void test_utf8_truncated(void **state)
{
    (void)state;
    const char *zh = "好"; /* E5 A5 BD */
    assert_false(hub_utf8_valid(zh, 1));
    assert_false(hub_utf8_valid(zh, 2));
    assert_true(hub_utf8_valid(zh, 3));
    assert_false(hub_utf8_valid(S("\xC3")));
    assert_false(hub_utf8_valid(S("\xF0\x9F\x98")));
    assert_false(hub_utf8_valid(S("abc\xE4\xB8")));
    /* continuation byte missing in the middle */
    assert_false(hub_utf8_valid(S("\xE4\x41\xAD")));
    assert_false(hub_utf8_valid(S("\xF0\x9F\x41\x80")));
    /* lone continuation bytes and bytes never used in UTF-8 */
    assert_false(hub_utf8_valid(S("\x80")));
    assert_false(hub_utf8_valid(S("a\xBF" "b")));
    assert_false(hub_utf8_valid(S("\xFE")));
    assert_false(hub_utf8_valid(S("\xFF")));
}

static void test_utf8_above_max(void **state)
{
    (void)state;
    assert_false(hub_utf8_valid(S("\xF4\x90\x80\x80")));  /* U+110000 */
    assert_false(hub_utf8_valid(S("\xF5\x80\x80\x80")));
    assert_false(hub_utf8_valid(S("\xF7\xBF\xBF\xBF")));  /* U+1FFFFF */
    assert_false(hub_utf8_valid(S("\xF8\x88\x80\x80\x80"))); /* old 5-byte form */
}

static void test_utf8_embedded_nul(void **state)
{
    (void)state;
    assert_false(hub_utf8_valid("ab\0cd", 5));
    assert_false(hub_utf8_valid("\0", 1));
    assert_false(hub_utf8_valid("好\0", 4));
}

/* ------------------------------------------------------- endpoints, be64 */

/* An e-mail address goes into an SMTP envelope and headers: nothing that
 * could start another command or header may pass. */
static void test_email_ok(void **state)
{
    (void)state;
    assert_true(hub_email_ok("wang@haishu.example"));
    assert_true(hub_email_ok("a.b+c@x.cn"));
    assert_true(hub_email_ok("王@例子.中国"));
    assert_false(hub_email_ok(""));
    assert_false(hub_email_ok("@x.cn"));
    assert_false(hub_email_ok("a@"));
    assert_false(hub_email_ok("ab"));
    assert_false(hub_email_ok("a@b@c"));
    assert_false(hub_email_ok("victim@example.cn>\r\nRCPT TO:<attacker@evil.example"));
    assert_false(hub_email_ok("a@b.cn\r\nBcc: x@y.cn"));
    assert_false(hub_email_ok("a b@c.cn"));
    assert_false(hub_email_ok("<a@b.cn>"));
    assert_false(hub_email_ok("a@b.cn,c@d.cn"));
    assert_false(hub_email_ok("a@b.cn\x7f"));
    assert_false(hub_email_ok("Name <a@b.cn>"));
}

static void test_endpoint_is_local(void **state)
{
    (void)state;
    assert_true(hub_endpoint_is_local("ipc:///tmp/hub/intake-api.sock"));
    assert_true(hub_endpoint_is_local("ipc://@abstract"));
    assert_true(hub_endpoint_is_local("inproc://bus"));
    assert_true(hub_endpoint_is_local("tcp://127.0.0.1:5555"));
    assert_true(hub_endpoint_is_local("tcp://127.1.2.3:5555"));
    assert_true(hub_endpoint_is_local("tcp://localhost:5555"));
    assert_true(hub_endpoint_is_local("tcp://[::1]:5555"));

    assert_false(hub_endpoint_is_local("tcp://*:5555"));
    assert_false(hub_endpoint_is_local("tcp://0.0.0.0:5555"));
    assert_false(hub_endpoint_is_local("tcp://10.0.0.5:5555"));
    assert_false(hub_endpoint_is_local("tcp://192.168.1.1:5555"));
    assert_false(hub_endpoint_is_local("tcp://[::]:5555"));
    assert_false(hub_endpoint_is_local("tcp://eth0:5555"));
    assert_false(hub_endpoint_is_local("tcp://localhost.example.com:5555"));
    assert_false(hub_endpoint_is_local("tcp://128.0.0.1:5555"));
    assert_false(hub_endpoint_is_local("udp://127.0.0.1:5555"));
    assert_false(hub_endpoint_is_local("pgm://eth0;239.192.1.1:5555"));
    assert_false(hub_endpoint_is_local("ws://127.0.0.1:5555"));
    assert_false(hub_endpoint_is_local(""));
    assert_false(hub_endpoint_is_local("ipc:/"));
}

static void test_be64_round_trip(void **state)
{
    (void)state;
    uint8_t b[8];
    hub_be64_put(b, 0x0102030405060708ULL);
    const uint8_t want[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_memory_equal(b, want, 8);
    assert_int_equal(hub_be64_get(b), 0x0102030405060708ULL);

    const uint64_t vals[] = {0, 1, 255, 256, 0xFFFFFFFFULL, 0x100000000ULL,
                             0x7FFFFFFFFFFFFFFFULL, 0x8000000000000000ULL, UINT64_MAX};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        hub_be64_put(b, vals[i]);
        assert_true(hub_be64_get(b) == vals[i]);
    }
    /* big-endian keys sort like the numbers (what the outbox relies on) */
    uint8_t a1[8], a2[8];
    hub_be64_put(a1, 255);
    hub_be64_put(a2, 256);
    assert_true(memcmp(a1, a2, 8) < 0);
    hub_be64_put(a1, 0x00FFFFFFFFFFFFFFULL);
    hub_be64_put(a2, 0x0100000000000000ULL);
    assert_true(memcmp(a1, a2, 8) < 0);
}

/* ---------------------------------------------------------------- arena */

/* Resources a test may leave behind when an assertion fails: the teardown
 * frees them so a failing test does not also report leaks under ASan. */
typedef struct {
    hub_arena_t *a;
    uint8_t *buf;
} fx_t;

static int s_fx_setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    if (!fx) return -1;
    *state = fx;
    return 0;
}

static int s_fx_teardown(void **state)
{
    fx_t *fx = *state;
    hub_arena_destroy(&fx->a);
    free(fx->buf);
    free(fx);
    return 0;
}

static void test_arena_budget(void **state)
{
    (void)state;
    const size_t budget = 64 * 1024;
    hub_arena_t *a = hub_arena_new(budget);
    assert_non_null(a);
    assert_false(hub_arena_exhausted(a));

    size_t got = 0;
    void *p;
    while ((p = hub_arena_alloc(a, 1000)) != NULL) {
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xAB, 1000);  /* must be writable (ASan checks the bounds) */
        got += 1000;
        assert_true(got <= budget);
        if (got > 2 * budget) break; /* never loop forever */
    }
    assert_null(p);
    assert_true(hub_arena_exhausted(a));
    /* most of the budget was usable */
    assert_true(got >= budget / 2);
    /* still refused, still exhausted */
    assert_null(hub_arena_alloc(a, 1000));
    assert_true(hub_arena_exhausted(a));

    hub_arena_reset(a);
    assert_false(hub_arena_exhausted(a));
    size_t again = 0;
    while ((p = hub_arena_alloc(a, 1000)) != NULL) {
        memset(p, 0xCD, 1000);
        again += 1000;
        if (again > 2 * budget) break;
    }
    assert_null(p);
    /* the reset gave the whole budget back */
    assert_int_equal(again, got);
    hub_arena_destroy(&a);
    assert_null(a);
    hub_arena_destroy(&a); /* idempotent */
}

/* hub_arena_grow: an array that doubles, keeps its elements, and refuses
 * past the budget without losing what it had. */
static void test_arena_grow(void **state)
{
    (void)state;
    hub_arena_t *a = hub_arena_new(64 * 1024);
    int *arr = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 1000; i++) {
        int *g = hub_arena_grow(a, arr, n, &cap, sizeof *arr, 4);
        assert_non_null(g);
        arr = g;
        assert_true(cap > n);
        arr[n++] = i;
    }
    assert_int_equal(cap, 1024); /* 4, 8, ..., 1024 */
    for (int i = 0; i < 1000; i++) assert_int_equal(arr[i], i);
    assert_ptr_equal(hub_arena_grow(a, arr, 1000, &cap, sizeof *arr, 4), arr); /* room left: same array */
    /* past the budget: NULL, the array and its capacity unchanged */
    size_t before = cap;
    char *big = NULL;
    size_t bn = 0, bcap = 0;
    void *g = NULL;
    while ((g = hub_arena_grow(a, big, bn, &bcap, 1024, 1))) big = g, bn = bcap;
    assert_true(bn > 0);
    assert_int_equal(bcap, bn);
    assert_int_equal(cap, before);
    hub_arena_destroy(&a);
}

static void test_arena_big_allocation(void **state)
{
    (void)state;
    hub_arena_t *a = hub_arena_new(256 * 1024);
    assert_non_null(a);
    /* a one-off chunk bigger than the normal chunk size fits the budget */
    char *small = hub_arena_alloc(a, 100);
    assert_non_null(small);
    memset(small, 1, 100);
    char *big = hub_arena_alloc(a, 100 * 1024);
    assert_non_null(big);
    memset(big, 2, 100 * 1024);
    char *small2 = hub_arena_alloc(a, 100);
    assert_non_null(small2);
    memset(small2, 3, 100);
    for (int i = 0; i < 100; i++) assert_int_equal(small[i], 1);
    assert_false(hub_arena_exhausted(a));

    char *s = hub_arena_strdup(a, "鼓楼街道");
    assert_string_equal(s, "鼓楼街道");
    /* larger than what is left of the budget: refused, nothing else lost */
    assert_null(hub_arena_alloc(a, 200 * 1024));
    assert_true(hub_arena_exhausted(a));
    for (int i = 0; i < 100; i++) assert_int_equal(small2[i], 3);
    hub_arena_reset(a);
    assert_false(hub_arena_exhausted(a));
    big = hub_arena_alloc(a, 200 * 1024);
    assert_non_null(big);
    memset(big, 4, 200 * 1024);
    hub_arena_destroy(&a);
}

/* The very first allocation of a fresh arena is refused (bigger than the
 * budget): reset must still clear the exhausted flag. */
static void test_arena_reset_after_first_refusal(void **state)
{
    fx_t *fx = *state;
    hub_arena_t *a = fx->a = hub_arena_new(256 * 1024);
    assert_non_null(a);
    assert_null(hub_arena_alloc(a, 256 * 1024 + 1));
    assert_true(hub_arena_exhausted(a));
    hub_arena_reset(a);
    assert_false(hub_arena_exhausted(a));
    assert_non_null(hub_arena_alloc(a, 100));
}

/* An allocation whose size is near SIZE_MAX must be refused, not rounded
 * (with unsigned wrap-around) into a tiny 16-byte block. */
static void test_arena_huge_size_refused(void **state)
{
    fx_t *fx = *state;
    hub_arena_t *a = fx->a = hub_arena_new(1 << 20);
    assert_non_null(a);
    assert_null(hub_arena_alloc(a, SIZE_MAX));
    assert_null(hub_arena_alloc(a, SIZE_MAX - 8));
    assert_true(hub_arena_exhausted(a));
}

static void test_arena_allocator(void **state)
{
    (void)state;
    hub_arena_t *a = hub_arena_new(4096 * 8);
    ProtobufCAllocator *al = hub_arena_allocator(a);
    assert_non_null(al);
    void *p = al->alloc(al->allocator_data, 64);
    assert_non_null(p);
    memset(p, 0, 64);
    al->free(al->allocator_data, p); /* no-op, must not crash */
    hub_arena_destroy(&a);
}

/* --------------------------------------------------------------- unpack */

/* A valid request (tests/support/harness.c builds it); memory from a
 * file-level arena that lives as long as the test program. */
typedef struct {
    Intake__SubmitRequest *s;
    Intake__Request *r;
    Intake__Person *p;
} req_t;

static void s_req_fill(req_t *q)
{
    static hub_arena_t *arena;
    if (!arena) arena = hub_arena_new(64u << 20);
    q->s = harness_request(arena, "wechat", "m-0001");
    q->r = q->s->request;
    q->p = q->r->requester;
}

/* Packs msg into a malloc'd buffer (the caller frees it). */
static uint8_t *s_pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    assert_int_equal(protobuf_c_message_pack(m, buf), *len);
    return buf;
}

static void test_unpack_valid(void **state)
{
    (void)state;
    req_t q;
    s_req_fill(&q);
    size_t len;
    uint8_t *buf = s_pack(&q.s->base, &len);
    hub_arena_t *a = hub_arena_new(HUB_WIRE_ARENA_BUDGET);
    hub_error_t err = {0};
    Intake__SubmitRequest *s = (Intake__SubmitRequest *)hub_wire_unpack(
        &intake__submit_request__descriptor, buf, len, a, &err);
    assert_non_null(s);
    assert_int_equal(err.code, 0);
    assert_non_null(s->request);
    assert_string_equal(s->request->description, "独居老人需要每日助餐服务");
    assert_string_equal(s->request->street, "鼓楼街道");
    assert_string_equal(s->request->requester->name, "王阿姨");
    assert_int_equal(s->request->urgency, INTAKE__URGENCY__HIGH);
    assert_int_equal(s->request->n_attributes, 1);
    assert_string_equal(s->request->attributes[0]->values[0], "meal");

    /* hub_wire_pack gives the same bytes back */
    size_t len2;
    uint8_t *again = hub_wire_pack(&s->base, a, &len2);
    assert_non_null(again);
    assert_int_equal(len2, len);
    assert_memory_equal(again, buf, len);
    free(buf);
    hub_arena_destroy(&a);
}

static void test_unpack_oversized(void **state)
{
    (void)state;
    size_t len = HUB_WIRE_MAX_BODY + 1;
    uint8_t *buf = calloc(1, len);
    assert_non_null(buf);
    hub_arena_t *a = hub_arena_new(HUB_WIRE_ARENA_BUDGET);
    hub_error_t err = {0};
    assert_null(hub_wire_unpack(&intake__submit_request__descriptor, buf, len, a, &err));
    assert_int_equal(err.code, HUB__ERROR_CODE__RESOURCE_EXHAUSTED);
    assert_string_equal(hub_error_code_name(err.code), "RESOURCE_EXHAUSTED");
    free(buf);
    hub_arena_destroy(&a);
}

static void test_unpack_garbage(void **state)
{
    (void)state;
    hub_arena_t *a = hub_arena_new(HUB_WIRE_ARENA_BUDGET);
    /* a length-delimited field claiming 100 bytes with 3 present */
    const uint8_t trunc[] = {0x0A, 0x64, 'a', 'b', 'c'};
    /* wire type 7 does not exist */
    const uint8_t badtype[] = {0x0F, 0x01};
    /* a varint that never ends */
    const uint8_t badvarint[] = {0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    /* field number 0 */
    const uint8_t field0[] = {0x00, 0x01};
    const struct { const uint8_t *b; size_t n; } cases[] = {
        {trunc, sizeof trunc}, {badtype, sizeof badtype},
        {badvarint, sizeof badvarint}, {field0, sizeof field0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hub_error_t err = {0};
        hub_arena_reset(a);
        ProtobufCMessage *m =
            hub_wire_unpack(&intake__submit_request__descriptor, cases[i].b, cases[i].n, a, &err);
        if (m || err.code != HUB__ERROR_CODE__INVALID_ARGUMENT)
            fail_msg("garbage case %zu: message %p, code %d (%s)", i, (void *)m, err.code, err.message);
    }
    hub_arena_destroy(&a);
}

static void s_expect_field_error(const uint8_t *buf, size_t len, const char *field)
{
    hub_arena_t *a = hub_arena_new(HUB_WIRE_ARENA_BUDGET);
    hub_error_t err = {0};
    ProtobufCMessage *m = hub_wire_unpack(&intake__submit_request__descriptor, buf, len, a, &err);
    assert_null(m);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    assert_string_equal(err.field, field);
    hub_arena_destroy(&a);
}

static void test_unpack_invalid_utf8_field(void **state)
{
    (void)state;
    req_t q;
    s_req_fill(&q);
    q.r->description = "需要帮助 \xC0\xAF overlong";
    size_t len;
    uint8_t *buf = s_pack(&q.s->base, &len);
    s_expect_field_error(buf, len, "request.description");
    free(buf);

    /* a nested, repeated string: request.attributes.values */
    s_req_fill(&q);
    q.r->attributes[0]->values[0] = "me\xED\xA0\x80";
    buf = s_pack(&q.s->base, &len);
    s_expect_field_error(buf, len, "request.attributes.values");
    free(buf);

    /* a string two messages down */
    s_req_fill(&q);
    q.p->name = "王\xE5\xA5";
    buf = s_pack(&q.s->base, &len);
    s_expect_field_error(buf, len, "request.requester.name");
    free(buf);
}

/* A NUL byte inside a string on the wire: hub_utf8_valid refuses NUL, so
 * the wire check must too (and not silently cut the string at the NUL). */
static void test_unpack_embedded_nul_refused(void **state)
{
    fx_t *fx = *state;
    req_t q;
    s_req_fill(&q);
    q.r->description = "visible#hidden";
    size_t len;
    uint8_t *buf = fx->buf = s_pack(&q.s->base, &len);
    uint8_t *hash = memmem(buf, len, "visible#", 8);
    assert_non_null(hash);
    hash[7] = 0;
    hub_arena_t *a = fx->a = hub_arena_new(HUB_WIRE_ARENA_BUDGET);
    hub_error_t err = {0};
    Intake__SubmitRequest *m = (Intake__SubmitRequest *)hub_wire_unpack(
        &intake__submit_request__descriptor, buf, len, a, &err);
    if (m)
        fail_msg("accepted; request.description arrived cut to \"%s\"", m->request->description);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    assert_string_equal(err.field, "request.description");
}

static void test_unpack_unknown_enum(void **state)
{
    (void)state;
    req_t q;
    s_req_fill(&q);
    q.r->urgency = (Intake__Urgency)99;
    size_t len;
    uint8_t *buf = s_pack(&q.s->base, &len);
    s_expect_field_error(buf, len, "request.urgency");
    free(buf);

    s_req_fill(&q);
    q.p->kind = (Intake__RequesterKind)7;
    buf = s_pack(&q.s->base, &len);
    s_expect_field_error(buf, len, "request.requester.kind");
    free(buf);

    /* negative values are as unknown as large ones */
    s_req_fill(&q);
    q.r->preferred_contact = (Intake__ContactMethod)-1;
    buf = s_pack(&q.s->base, &len);
    s_expect_field_error(buf, len, "request.preferred_contact");
    free(buf);
}

/* 100000 empty Request elements are 200 KB on the wire (under the body
 * limit) but each one is a full Intake__Request in memory. */
static void test_unpack_over_budget(void **state)
{
    (void)state;
    const size_t n = 100000;
    size_t len = 2 * n;
    assert_true(len <= HUB_WIRE_MAX_BODY);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    for (size_t i = 0; i < n; i++) { buf[2 * i] = 0x0A; buf[2 * i + 1] = 0x00; }
    assert_true(n * sizeof(Intake__Request) > HUB_WIRE_ARENA_BUDGET);

    hub_arena_t *a = hub_arena_new(HUB_WIRE_ARENA_BUDGET);
    hub_error_t err = {0};
    assert_null(hub_wire_unpack(&intake__list_requests_reply__descriptor, buf, len, a, &err));
    assert_int_equal(err.code, HUB__ERROR_CODE__RESOURCE_EXHAUSTED);
    assert_true(hub_arena_exhausted(a));

    /* a tenth of it fits */
    hub_arena_reset(a);
    assert_false(hub_arena_exhausted(a));
    memset(&err, 0, sizeof err);
    Intake__ListRequestsReply *r = (Intake__ListRequestsReply *)hub_wire_unpack(
        &intake__list_requests_reply__descriptor, buf, len / 10, a, &err);
    assert_non_null(r);
    assert_int_equal(r->n_requests, n / 10);
    assert_int_equal(err.code, 0);
    free(buf);

    /* a small message in a small arena */
    req_t q;
    s_req_fill(&q);
    buf = s_pack(&q.s->base, &len);
    hub_arena_t *tiny = hub_arena_new(256);
    memset(&err, 0, sizeof err);
    assert_null(hub_wire_unpack(&intake__submit_request__descriptor, buf, len, tiny, &err));
    assert_int_equal(err.code, HUB__ERROR_CODE__RESOURCE_EXHAUSTED);
    free(buf);
    hub_arena_destroy(&tiny);
    hub_arena_destroy(&a);
}

/* ----------------------------------------------------------------- json */

static void test_json_round_trip(void **state)
{
    (void)state;
    req_t q;
    s_req_fill(&q);
    q.r->urgency = INTAKE__URGENCY__EMERGENCY;
    q.r->language = "zh-Hans";
    q.r->requested_ms = 1795636800000LL;

    json_t *j = hub_json_from_pb(&q.r->base);
    assert_non_null(j);
    assert_true(json_is_object(j));
    assert_string_equal(json_string_value(json_object_get(j, "description")),
                        "独居老人需要每日助餐服务");
    assert_string_equal(json_string_value(json_object_get(j, "street")), "鼓楼街道");
    /* enums by name */
    assert_string_equal(json_string_value(json_object_get(j, "urgency")), "EMERGENCY");
    assert_string_equal(json_string_value(json_object_get(j, "preferred_contact")), "PHONE");
    json_t *req = json_object_get(j, "requester");
    assert_string_equal(json_string_value(json_object_get(req, "name")), "王阿姨");
    assert_string_equal(json_string_value(json_object_get(req, "kind")), "RESIDENT");
    /* proto3 defaults omitted */
    assert_null(json_object_get(j, "status"));
    assert_null(json_object_get(j, "duplicate_of"));
    assert_null(json_object_get(j, "person_helped"));
    assert_true(json_is_true(json_object_get(j, "consent_to_contact")));
    assert_int_equal(json_integer_value(json_object_get(j, "requested_ms")), 1795636800000LL);

    /* through text and back, as hubctl would */
    char *text = json_dumps(j, JSON_COMPACT);
    assert_non_null(text);
    json_decref(j);
    json_error_t jerr;
    j = json_loads(text, 0, &jerr);
    free(text);
    assert_non_null(j);

    hub_arena_t *a = hub_arena_new(HUB_WIRE_ARENA_BUDGET);
    hub_error_t err = {0};
    Intake__Request *r = (Intake__Request *)hub_json_to_pb(&intake__request__descriptor, j, a, &err);
    json_decref(j);
    assert_non_null(r);
    assert_string_equal(r->description, q.r->description);
    assert_string_equal(r->street, q.r->street);
    assert_string_equal(r->address, q.r->address);
    assert_string_equal(r->language, "zh-Hans");
    assert_string_equal(r->requester->name, "王阿姨");
    assert_int_equal(r->requester->kind, INTAKE__REQUESTER_KIND__RESIDENT);
    assert_int_equal(r->urgency, INTAKE__URGENCY__EMERGENCY);
    assert_int_equal(r->n_attributes, 1);
    assert_string_equal(r->attributes[0]->code, "care_type");
    assert_int_equal(r->attributes[0]->n_values, 1);
    assert_string_equal(r->attributes[0]->values[0], "meal");
    assert_non_null(r->location);
    assert_true(r->location->lat == q.r->location->lat);
    assert_true(r->location->lon == q.r->location->lon);
    assert_null(r->person_helped);
    /* the strongest check: the same bytes on the wire */
    size_t l1, l2;
    uint8_t *b1 = s_pack(&q.r->base, &l1), *b2 = s_pack(&r->base, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(b1, b2, l1);
    free(b1);
    free(b2);
    hub_arena_destroy(&a);
}

static void s_expect_json_error(const char *text, const char *field)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j) fail_msg("bad test JSON %s: %s", text, jerr.text);
    hub_arena_t *a = hub_arena_new(HUB_WIRE_ARENA_BUDGET);
    hub_error_t err = {0};
    ProtobufCMessage *m = hub_json_to_pb(&intake__request__descriptor, j, a, &err);
    json_decref(j);
    if (m) fail_msg("%s was accepted", text);
    assert_int_equal(err.code, HUB__ERROR_CODE__INVALID_ARGUMENT);
    if (strcmp(err.field, field))
        fail_msg("%s: field \"%s\", expected \"%s\" (%s)", text, err.field, field, err.message);
    hub_arena_destroy(&a);
}

static void test_json_unknown_key(void **state)
{
    (void)state;
    s_expect_json_error("{\"channel\":\"wechat\",\"colour\":\"red\"}", "colour");
    s_expect_json_error("{\"requester\":{\"name\":\"王阿姨\",\"nickname\":\"王\"}}",
                        "requester.nickname");
    s_expect_json_error("{\"attributes\":[{\"code\":\"care_type\",\"value\":\"meal\"}]}",
                        "attributes.value");
    s_expect_json_error("{\"location\":{\"lat\":1,\"lng\":2}}", "location.lng");
}

static void test_json_type_mismatch(void **state)
{
    (void)state;
    s_expect_json_error("{\"channel\":42}", "channel");
    s_expect_json_error("{\"consent_to_contact\":\"yes\"}", "consent_to_contact");
    s_expect_json_error("{\"attributes\":{\"code\":\"care_type\"}}", "attributes");
    s_expect_json_error("{\"requester\":\"王阿姨\"}", "requester");
    s_expect_json_error("{\"requested_ms\":\"soon\"}", "requested_ms");
    s_expect_json_error("{\"location\":{\"lat\":\"north\"}}", "location.lat");
}

static void test_json_enum_by_name(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *j = json_loads("{\"urgency\":\"HIGH\",\"status\":\"IN_PROGRESS\","
                           "\"requester\":{\"kind\":\"ORGANIZATION\"}}", 0, &jerr);
    assert_non_null(j);
    hub_arena_t *a = hub_arena_new(HUB_WIRE_ARENA_BUDGET);
    hub_error_t err = {0};
    Intake__Request *r = (Intake__Request *)hub_json_to_pb(&intake__request__descriptor, j, a, &err);
    json_decref(j);
    assert_non_null(r);
    assert_int_equal(r->urgency, INTAKE__URGENCY__HIGH);
    assert_int_equal(r->status, INTAKE__STATUS__IN_PROGRESS);
    assert_int_equal(r->requester->kind, INTAKE__REQUESTER_KIND__ORGANIZATION);
    /* numbers are accepted when declared */
    j = json_loads("{\"urgency\":4}", 0, &jerr);
    r = (Intake__Request *)hub_json_to_pb(&intake__request__descriptor, j, a, &err);
    json_decref(j);
    assert_non_null(r);
    assert_int_equal(r->urgency, INTAKE__URGENCY__EMERGENCY);
    hub_arena_destroy(&a);

    /* an unknown name, a name of another enum, an undeclared number */
    s_expect_json_error("{\"urgency\":\"SUPER_URGENT\"}", "urgency");
    s_expect_json_error("{\"urgency\":\"RESIDENT\"}", "urgency");
    s_expect_json_error("{\"urgency\":99}", "urgency");
    s_expect_json_error("{\"requester\":{\"kind\":\"ALIEN\"}}", "requester.kind");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid_text),
        cmocka_unit_test(test_utf8_overlong),
        cmocka_unit_test(test_utf8_surrogates),
        cmocka_unit_test(test_utf8_truncated),
        cmocka_unit_test(test_utf8_above_max),
        cmocka_unit_test(test_utf8_embedded_nul),
        cmocka_unit_test(test_endpoint_is_local),
        cmocka_unit_test(test_email_ok),
        cmocka_unit_test(test_be64_round_trip),
        cmocka_unit_test(test_arena_budget),
        cmocka_unit_test(test_arena_big_allocation),
        cmocka_unit_test(test_arena_grow),
        cmocka_unit_test_setup_teardown(test_arena_reset_after_first_refusal, s_fx_setup, s_fx_teardown),
        cmocka_unit_test_setup_teardown(test_arena_huge_size_refused, s_fx_setup, s_fx_teardown),
        cmocka_unit_test(test_arena_allocator),
        cmocka_unit_test(test_unpack_valid),
        cmocka_unit_test(test_unpack_oversized),
        cmocka_unit_test(test_unpack_garbage),
        cmocka_unit_test(test_unpack_invalid_utf8_field),
        cmocka_unit_test_setup_teardown(test_unpack_embedded_nul_refused, s_fx_setup, s_fx_teardown),
        cmocka_unit_test(test_unpack_unknown_enum),
        cmocka_unit_test(test_unpack_over_budget),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_unknown_key),
        cmocka_unit_test(test_json_type_mismatch),
        cmocka_unit_test(test_json_enum_by_name),
    };
    return cmocka_run_group_tests_name("test_wire", tests, NULL, NULL);
}
