/* fuzz_wire: every protobuf message of proto/ (every .proto) through the path each
 * daemon applies to an incoming command body (hub_rpc: hub_wire_unpack =
 * size cap, raw UTF-8 walk, budgeted arena unpack, enum/UTF-8 validation),
 * and that a client applies to a reply (hub_wire_unpack_max) or an ERR body
 * (hub_wire_error_decode).
 *
 * Input: "<full message name>\0<protobuf bytes>", e.g. "intake.SubmitRequest\0...";
 * the name picks the descriptor from every message of every proto (the list
 * is generated from the protoc-c headers: $(BUILD)/gen/fuzz_descs.h), so
 * a corpus file keeps its meaning when messages are added.
 *
 * Invariants: a refused message has an error code; an accepted one packs
 * again, the packed bytes are accepted too and pack to the same bytes
 * (what a daemon stores or relays, its peers decode). The same bytes under
 * a small budget either decode or fail with an error code. */
#include <string.h>

#include "fuzz.h"
#include "fuzz_descs.h"
#include "hub_wire.h"

static const ProtobufCMessageDescriptor *const s_descs[] = {FUZZ_DESCS};

#define SMALL_BUDGET (48u << 10)  /* three arena chunks: exhaustion mid-unpack */

static const ProtobufCMessageDescriptor *s_find(const char *name)
{
    for (size_t i = 0; i < sizeof s_descs / sizeof *s_descs; i++)
        if (!strcmp(s_descs[i]->name, name)) return s_descs[i];
    return NULL;
}

FUZZ_TARGET(wire)
{
    static hub_arena_t *arena, *small;
    if (!arena && !(arena = hub_arena_new(HUB_WIRE_ARENA_BUDGET))) abort();
    if (!small && !(small = hub_arena_new(SMALL_BUDGET))) abort();
    hub_arena_reset(arena);
    hub_arena_reset(small);
    const uint8_t *nul = memchr(data, 0, size < 128 ? size : 128);
    if (!nul) return 0;
    const ProtobufCMessageDescriptor *desc = s_find((const char *)data);
    if (!desc) return 0;
    const uint8_t *body = nul + 1;
    size_t len = size - (size_t)(body - data);

    hub_error_t err = {0};
    ProtobufCMessage *m = hub_wire_unpack(desc, body, len, arena, &err);
    if (!m) {
        FUZZ_CHECK(err.code != 0);
        FUZZ_CHECK(hub_error_code_name(err.code) != NULL);
    } else {
        size_t n1, n2;
        uint8_t *p1 = hub_wire_pack(m, arena, &n1);
        if (p1) {
            hub_error_t err2 = {0};
            ProtobufCMessage *m2 = hub_wire_unpack_max(desc, p1, n1, HUB_WIRE_MAX_REPLY, arena, &err2);
            if (!m2 && hub_arena_exhausted(arena)) return 0; /* two copies did not fit the budget */
            if (!m2) fprintf(stderr, "fuzz: %s re-encoded is refused: %s\n", desc->name, err2.message);
            FUZZ_CHECK(m2 != NULL);
            uint8_t *p2 = hub_wire_pack(m2, arena, &n2);
            if (p2) FUZZ_CHECK(n1 == n2 && !memcmp(p1, p2, n1));
        }
    }

    hub_error_t serr = {0};
    if (!hub_wire_unpack_max(desc, body, len, HUB_WIRE_MAX_REPLY, small, &serr)) FUZZ_CHECK(serr.code != 0);

    hub_error_t e = {0};
    if (hub_wire_error_decode(body, len, &e)) FUZZ_CHECK(e.code == HUB__ERROR_CODE__INTERNAL);
    FUZZ_CHECK(hub_error_code_name(e.code) != NULL);
    FUZZ_CHECK(memchr(e.field, 0, sizeof e.field) && memchr(e.message, 0, sizeof e.message));
    return 0;
}
