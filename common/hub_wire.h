/* hub_wire: everything between untrusted bytes and a trusted message.
 * A per-message arena (nginx-pool style) with a byte budget backs protobuf-c
 * unpacking; a descriptor walk checks UTF-8 and enum ranges; hub_error_t is
 * the one error shape every daemon replies with. */
#ifndef HUB_WIRE_H
#define HUB_WIRE_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

#include "hub.pb-c.h"

#define HUB_WIRE_MAX_BODY (256 * 1024)     /* largest command body accepted */
#define HUB_WIRE_ARENA_BUDGET (4u << 20)   /* memory one unpacked message may use */
#define HUB_WIRE_MAX_REPLY (16u << 20)     /* largest reply or event a client decodes */

/* ---- errors ---- */
typedef struct {
    Hub__ErrorCode code;  /* 0 = no error */
    char field[128];
    char message[256];
} hub_error_t;

/* Sets err (may be NULL); returns -1 so callers can `return hub_error_set(..)`. */
int hub_error_set(hub_error_t *err, Hub__ErrorCode code, const char *field,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Stable name of a code, e.g. "INVALID_ARGUMENT". Never NULL. */
const char *hub_error_code_name(Hub__ErrorCode code);
/* Decodes a packed hub.Error reply body into err. 0, or -1 (err set to
 * INTERNAL) when the body is not a valid hub.Error. */
int hub_wire_error_decode(const void *data, size_t len, hub_error_t *err);

/* ---- arena ---- */
typedef struct hub_arena hub_arena_t;
/* Creates an arena that refuses to grow past budget bytes. NULL on OOM. */
hub_arena_t *hub_arena_new(size_t budget);
/* Frees every allocation made from the arena, keeps the first chunk. */
void hub_arena_reset(hub_arena_t *self);
void hub_arena_destroy(hub_arena_t **self_p);
/* Allocates from the arena; NULL past the budget. Memory lives until reset. */
void *hub_arena_alloc(hub_arena_t *self, size_t size);
char *hub_arena_strdup(hub_arena_t *self, const char *s);
/* Room for one more element in an arena array: returns arr when n < *cap,
 * else a copy of its n elements (elem bytes each) in an array of twice the
 * capacity (first_cap when *cap is 0), *cap updated; the old array stays
 * in the arena until reset. NULL past the budget (arr unchanged). */
void *hub_arena_grow(hub_arena_t *self, void *arr, size_t n, size_t *cap, size_t elem, size_t first_cap);
/* A position in the arena; rewinding frees everything allocated after it. */
typedef struct {
    void *chunk;
    size_t used;
} hub_arena_mark_t;
hub_arena_mark_t hub_arena_mark(const hub_arena_t *self);
void hub_arena_rewind(hub_arena_t *self, hub_arena_mark_t mark);
/* A protobuf-c allocator backed by the arena (free is a no-op). */
ProtobufCAllocator *hub_arena_allocator(hub_arena_t *self);
/* Bytes held in chunks, and the budget. */
size_t hub_arena_used(const hub_arena_t *self);
size_t hub_arena_budget(const hub_arena_t *self);
/* True if an allocation was refused since the last reset. */
bool hub_arena_exhausted(const hub_arena_t *self);

/* ---- unpack + validate ---- */
/* Unpacks data as desc from the arena, then validates it. Returns the message
 * (owned by the arena) or NULL with err set: RESOURCE_EXHAUSTED when too large
 * or over budget, INVALID_ARGUMENT when malformed, invalid UTF-8 (checked on
 * the wire bytes, so an embedded NUL is refused too) or an unknown enum value
 * (err->field names the field). */
ProtobufCMessage *hub_wire_unpack(const ProtobufCMessageDescriptor *desc,
                                  const void *data, size_t len, hub_arena_t *arena,
                                  hub_error_t *err);
/* The same with another size limit (clients reading replies use the
 * transport's limit, not the command limit). */
ProtobufCMessage *hub_wire_unpack_max(const ProtobufCMessageDescriptor *desc,
                                      const void *data, size_t len, size_t max,
                                      hub_arena_t *arena, hub_error_t *err);
/* Walks msg: every string valid UTF-8, every enum a declared value; drops
 * unknown fields (so nothing unvalidated is stored or relayed). 0 or -1
 * with err->field set to the dotted path. */
int hub_wire_validate(const ProtobufCMessage *msg, hub_error_t *err);

/* Packs msg into arena memory; *len receives the size. NULL on budget. */
uint8_t *hub_wire_pack(const ProtobufCMessage *msg, hub_arena_t *arena, size_t *len);

#endif
