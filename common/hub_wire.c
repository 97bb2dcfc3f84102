#include "hub_wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_util.h"

int hub_error_set(hub_error_t *err, Hub__ErrorCode code, const char *field,
                  const char *fmt, ...)
{
    if (!err) return -1;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

const char *hub_error_code_name(Hub__ErrorCode code)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&hub__error_code__descriptor, code);
    return v ? v->name : "UNKNOWN";
}

/* ---- arena: a list of chunks, bump allocation, 16-byte alignment ---- */
typedef struct chunk {
    struct chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
} chunk_t;

struct hub_arena {
    chunk_t *head;
    size_t budget, total;
    bool exhausted;
    ProtobufCAllocator allocator;
};

#define ARENA_CHUNK 16384

static void *s_pb_alloc(void *data, size_t size) { return hub_arena_alloc(data, size); }
static void s_pb_free(void *data, void *ptr) { (void)data; (void)ptr; }

hub_arena_t *hub_arena_new(size_t budget)
{
    hub_arena_t *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    self->budget = budget;
    self->allocator.alloc = s_pb_alloc;
    self->allocator.free = s_pb_free;
    self->allocator.allocator_data = self;
    return self;
}

void hub_arena_reset(hub_arena_t *self)
{
    chunk_t *c = self->head;
    self->exhausted = false;
    if (!c) return;
    chunk_t *keep = NULL;
    while (c) {
        chunk_t *next = c->next;
        if (!next && c->size == ARENA_CHUNK) keep = c;
        else free(c);
        c = next;
    }
    self->head = keep;
    self->total = keep ? keep->size : 0;
    if (keep) { keep->used = 0; keep->next = NULL; }
    self->exhausted = false;
}

void hub_arena_destroy(hub_arena_t **self_p)
{
    hub_arena_t *self = *self_p;
    if (!self) return;
    for (chunk_t *c = self->head, *n; c; c = n) { n = c->next; free(c); }
    free(self);
    *self_p = NULL;
}

void *hub_arena_grow(hub_arena_t *self, void *arr, size_t n, size_t *cap, size_t elem, size_t first_cap)
{
    if (n < *cap) return arr;
    size_t want = *cap ? *cap * 2 : first_cap;
    if (want <= n || want > SIZE_MAX / elem) return NULL;
    void *grown = hub_arena_alloc(self, want * elem);
    if (!grown) return NULL;
    if (n) memcpy(grown, arr, n * elem);
    *cap = want;
    return grown;
}

void *hub_arena_alloc(hub_arena_t *self, size_t size)
{
    if (size > self->budget) { self->exhausted = true; return NULL; } /* also stops wrap-around */
    size = (size + 15) & ~(size_t)15;
    if (size == 0) size = 16;
    chunk_t *c = self->head;
    if (!c || c->size - c->used < size) {
        size_t want = size > ARENA_CHUNK ? size : ARENA_CHUNK;
        if (want > self->budget - self->total) { self->exhausted = true; return NULL; }
        c = malloc(sizeof *c + want);
        if (!c) { self->exhausted = true; return NULL; }
        c->size = want;
        c->used = 0;
        c->next = self->head;
        self->head = c;
        self->total += want;
    }
    void *p = c->data + c->used;
    c->used += size;
    return p;
}

hub_arena_mark_t hub_arena_mark(const hub_arena_t *self)
{
    return (hub_arena_mark_t){self->head, self->head ? self->head->used : 0};
}

void hub_arena_rewind(hub_arena_t *self, hub_arena_mark_t mark)
{
    while (self->head && self->head != mark.chunk) {
        chunk_t *c = self->head;
        self->head = c->next;
        self->total -= c->size;
        free(c);
    }
    if (self->head) self->head->used = mark.used;
    self->exhausted = false;
}

char *hub_arena_strdup(hub_arena_t *self, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = hub_arena_alloc(self, n);
    if (p) memcpy(p, s, n);
    return p;
}

ProtobufCAllocator *hub_arena_allocator(hub_arena_t *self) { return &self->allocator; }
bool hub_arena_exhausted(const hub_arena_t *self) { return self->exhausted; }
size_t hub_arena_used(const hub_arena_t *self) { return self->total; }
size_t hub_arena_budget(const hub_arena_t *self) { return self->budget; }

/* ---- validation walk ---- */

/* Writes ".name" (or "name" at the root) at path + base, truncated to
 * plen: the walks name the field they are in before descending (memcpy,
 * not snprintf: this runs for every field of every message). */
static void s_path_push(char *path, size_t plen, size_t base, const char *name)
{
    size_t off = base, n = strlen(name);
    if (off && off + 1 < plen) path[off++] = '.';
    if (off + n >= plen) n = off + 1 < plen ? plen - 1 - off : 0;
    memcpy(path + off, name, n);
    path[off + n] = 0;
}

static int s_validate(const ProtobufCMessage *msg, char *path, size_t plen, int depth,
                      hub_error_t *err);

static int s_check_value(const ProtobufCFieldDescriptor *f, const void *p, char *path,
                         size_t plen, int depth, hub_error_t *err)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        if (s && !hub_utf8_valid(s, strlen(s)))
            return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, path,
                                 "%s is not valid UTF-8", path);
        return 0;
    }
    case PROTOBUF_C_TYPE_ENUM: {
        int v = *(const int *)p;
        if (!protobuf_c_enum_descriptor_get_value(f->descriptor, v))
            return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, path,
                                 "%s has unknown enum value %d", path, v);
        return 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *m = *(ProtobufCMessage *const *)p;
        return m ? s_validate(m, path, plen, depth + 1, err) : 0;
    }
    default:
        return 0;
    }
}

static size_t s_value_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
    case PROTOBUF_C_TYPE_ENUM: return sizeof(int);
    default: return 0; /* not walked */
    }
}

static int s_validate(const ProtobufCMessage *msg, char *path, size_t plen, int depth,
                      hub_error_t *err)
{
    if (depth > 16)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, path, "nested too deep");
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    size_t base = strlen(path);
    /* fields this build does not know are dropped, never stored or relayed */
    ((ProtobufCMessage *)msg)->n_unknown_fields = 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        size_t vs = s_value_size(f);
        if (!vs) continue;
        const char *m = (const char *)msg;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            if (*(const uint32_t *)(m + f->quantifier_offset) != f->id) continue;
        }
        /* the path is written before descending; it names the field on error */
        s_path_push(path, plen, base, f->name);
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(m + f->quantifier_offset);
            const char *arr = *(char *const *)(m + f->offset);
            for (size_t k = 0; k < n; k++)
                if (s_check_value(f, arr + k * vs, path, plen, depth, err)) return -1;
        } else if (s_check_value(f, m + f->offset, path, plen, depth, err)) {
            return -1;
        }
        path[base] = 0;
    }
    return 0;
}

int hub_wire_validate(const ProtobufCMessage *msg, hub_error_t *err)
{
    char path[256] = "";
    return s_validate(msg, path, sizeof path, 0, err);
}

/* ---- raw wire walk: string fields checked on their bytes, before
 * protobuf-c copies them into NUL-terminated C strings (which would hide an
 * embedded NUL). Malformed framing is left for protobuf-c to refuse. ---- */
static int s_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) return 0;
    }
    return -1;
}

static int s_raw_strings(const ProtobufCMessageDescriptor *d, const uint8_t *p, const uint8_t *end,
                         char *path, size_t plen, int depth, hub_error_t *err)
{
    size_t base = strlen(path);
    if (depth > 16) return 0;
    while (p < end) {
        uint64_t key, n;
        if (s_varint(&p, end, &key)) return 0;
        switch (key & 7) {
        case 0: if (s_varint(&p, end, &n)) return 0; break;
        /* fixed-size values: a truncated one is protobuf-c's to refuse
         * (and p never moves past end: that pointer would be undefined) */
        case 1: if (end - p < 8) return 0; p += 8; break;
        case 5: if (end - p < 4) return 0; p += 4; break;
        case 2: {
            if (s_varint(&p, end, &n) || n > (uint64_t)(end - p)) return 0;
            const ProtobufCFieldDescriptor *f =
                protobuf_c_message_descriptor_get_field(d, (unsigned)(key >> 3));
            if (f && (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)) {
                s_path_push(path, plen, base, f->name);
                if (f->type == PROTOBUF_C_TYPE_STRING && !hub_utf8_valid((const char *)p, n))
                    return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, path,
                                         "%s is not valid UTF-8 (or holds a NUL byte)", path);
                if (f->type == PROTOBUF_C_TYPE_MESSAGE &&
                    s_raw_strings(f->descriptor, p, p + n, path, plen, depth + 1, err))
                    return -1;
                path[base] = 0;
            }
            p += n;
            break;
        }
        default: return 0;
        }
    }
    return 0;
}

ProtobufCMessage *hub_wire_unpack(const ProtobufCMessageDescriptor *desc,
                                  const void *data, size_t len, hub_arena_t *arena,
                                  hub_error_t *err)
{
    return hub_wire_unpack_max(desc, data, len, HUB_WIRE_MAX_BODY, arena, err);
}

ProtobufCMessage *hub_wire_unpack_max(const ProtobufCMessageDescriptor *desc,
                                      const void *data, size_t len, size_t max,
                                      hub_arena_t *arena, hub_error_t *err)
{
    if (len > max) {
        hub_error_set(err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "",
                      "message of %zu bytes exceeds the %zu byte limit", len, max);
        return NULL;
    }
    if (!data) data = ""; /* an absent bytes field (NULL, 0) holds the empty message; NULL + 0 is undefined */
    char path[256] = "";
    if (s_raw_strings(desc, data, (const uint8_t *)data + len, path, sizeof path, 0, err))
        return NULL;
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, hub_arena_allocator(arena), len, data);
    if (!m) {
        if (hub_arena_exhausted(arena))
            hub_error_set(err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, "",
                          "message expands beyond the memory budget");
        else
            hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                          "malformed protobuf for %s", desc->name);
        return NULL;
    }
    if (hub_wire_validate(m, err)) return NULL;
    return m;
}

uint8_t *hub_wire_pack(const ProtobufCMessage *msg, hub_arena_t *arena, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = hub_arena_alloc(arena, *len ? *len : 1);
    if (buf) protobuf_c_message_pack(msg, buf);
    return buf;
}

int hub_wire_error_decode(const void *data, size_t len, hub_error_t *err)
{
    Hub__Error *e = hub__error__unpack(NULL, len, data);
    if (!e) return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "undecodable error reply");
    hub_error_set(err, e->code, e->field, "%s", e->message ? e->message : "");
    hub__error__free_unpacked(e, NULL);
    return 0;
}
