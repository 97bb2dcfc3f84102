#include "hub_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static json_t *s_b64(const ProtobufCBinaryData *b)
{
    size_t n = 4 * ((b->len + 2) / 3);
    char *out = malloc(n + 1), *o = out;
    if (!out) return json_null();
    for (size_t i = 0; i < b->len; i += 3) {
        unsigned v = (unsigned)b->data[i] << 16;
        if (i + 1 < b->len) v |= (unsigned)b->data[i + 1] << 8;
        if (i + 2 < b->len) v |= b->data[i + 2];
        *o++ = B64[(v >> 18) & 63];
        *o++ = B64[(v >> 12) & 63];
        *o++ = i + 1 < b->len ? B64[(v >> 6) & 63] : '=';
        *o++ = i + 2 < b->len ? B64[v & 63] : '=';
    }
    *o = 0;
    json_t *j = json_string(out);
    free(out);
    return j;
}

/* Returns the JSON value of one element at p, or NULL when it is a proto3
 * default that should be omitted (only when omit_default). */
static json_t *s_value(const ProtobufCFieldDescriptor *f, const void *p, int omit_default)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32: {
        int32_t v = *(const int32_t *)p;
        return omit_default && !v ? NULL : json_integer(v);
    }
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32: {
        uint32_t v = *(const uint32_t *)p;
        return omit_default && !v ? NULL : json_integer(v);
    }
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64: {
        int64_t v = *(const int64_t *)p;
        return omit_default && !v ? NULL : json_integer(v);
    }
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t v = *(const uint64_t *)p;
        return omit_default && !v ? NULL : json_integer((json_int_t)v);
    }
    case PROTOBUF_C_TYPE_FLOAT: {
        float v = *(const float *)p;
        return omit_default && v == 0 ? NULL : json_real(v);
    }
    case PROTOBUF_C_TYPE_DOUBLE: {
        double v = *(const double *)p;
        return omit_default && v == 0 ? NULL : json_real(v);
    }
    case PROTOBUF_C_TYPE_BOOL: {
        protobuf_c_boolean v = *(const protobuf_c_boolean *)p;
        return omit_default && !v ? NULL : json_boolean(v);
    }
    case PROTOBUF_C_TYPE_ENUM: {
        int v = *(const int *)p;
        if (omit_default && !v) return NULL;
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
        return ev ? json_string(ev->name) : json_integer(v);
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        if (!s || (omit_default && !*s)) return NULL;
        return json_string(s);
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = p;
        return omit_default && !b->len ? NULL : s_b64(b);
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *m = *(ProtobufCMessage *const *)p;
        return m ? hub_json_from_pb(m) : NULL;
    }
    }
    return NULL;
}

static size_t s_elem_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_ENUM:
        return 4;
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_FLOAT: return 4;
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    }
    return 0;
}

json_t *hub_json_from_pb(const ProtobufCMessage *msg)
{
    json_t *obj = json_object();
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    const char *m = (const char *)msg;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF &&
            *(const uint32_t *)(m + f->quantifier_offset) != f->id)
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(m + f->quantifier_offset);
            if (!n) continue;
            const char *arr = *(char *const *)(m + f->offset);
            json_t *ja = json_array();
            for (size_t k = 0; k < n; k++) {
                json_t *v = s_value(f, arr + k * s_elem_size(f), 0);
                json_array_append_new(ja, v ? v : json_null());
            }
            json_object_set_new(obj, f->name, ja);
        } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
                   f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_STRING) {
            if (!*(const protobuf_c_boolean *)(m + f->quantifier_offset)) continue;
            json_t *v = s_value(f, m + f->offset, 0);
            if (v) json_object_set_new(obj, f->name, v);
        } else {
            json_t *v = s_value(f, m + f->offset,
                                !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF));
            if (v) json_object_set_new(obj, f->name, v);
        }
    }
    return obj;
}

/* ---- JSON -> protobuf ---- */
static int s_set(const ProtobufCFieldDescriptor *f, void *p, json_t *v, hub_arena_t *a,
                 const char *path, hub_error_t *err);

static ProtobufCMessage *s_to_pb(const ProtobufCMessageDescriptor *d, json_t *obj,
                                 hub_arena_t *a, const char *path, hub_error_t *err)
{
    if (!json_is_object(obj)) {
        hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, path, "%s must be an object",
                      *path ? path : "message");
        return NULL;
    }
    ProtobufCMessage *msg = hub_arena_alloc(a, d->sizeof_message);
    if (!msg) {
        hub_error_set(err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, path, "too large");
        return NULL;
    }
    d->message_init(msg);
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        char sub[256];
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", key);
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, key);
        if (!f) {
            hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, sub, "unknown field %s", sub);
            return NULL;
        }
        char *m = (char *)msg;
        if (json_is_null(v)) continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            if (!json_is_array(v)) {
                hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, sub, "%s must be an array", sub);
                return NULL;
            }
            size_t n = json_array_size(v), es = s_elem_size(f);
            char *arr = hub_arena_alloc(a, n * es + 1);
            if (!arr) {
                hub_error_set(err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, sub, "too large");
                return NULL;
            }
            for (size_t k = 0; k < n; k++)
                if (s_set(f, arr + k * es, json_array_get(v, k), a, sub, err)) return NULL;
            *(size_t *)(m + f->quantifier_offset) = n;
            *(char **)(m + f->offset) = arr;
        } else {
            if (s_set(f, m + f->offset, v, a, sub, err)) return NULL;
            if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
                *(uint32_t *)(m + f->quantifier_offset) = f->id;
            else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
                     f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_STRING)
                *(protobuf_c_boolean *)(m + f->quantifier_offset) = 1;
        }
    }
    return msg;
}

static int s_set(const ProtobufCFieldDescriptor *f, void *p, json_t *v, hub_arena_t *a,
                 const char *path, hub_error_t *err)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
        if (!json_is_string(v)) break;
        if (!(*(char **)p = hub_arena_strdup(a, json_string_value(v))))
            return hub_error_set(err, HUB__ERROR_CODE__RESOURCE_EXHAUSTED, path, "too large");
        return 0;
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(v)) break;
        *(protobuf_c_boolean *)p = json_is_true(v);
        return 0;
    case PROTOBUF_C_TYPE_DOUBLE: case PROTOBUF_C_TYPE_FLOAT:
        if (!json_is_number(v)) break;
        if (f->type == PROTOBUF_C_TYPE_DOUBLE) *(double *)p = json_number_value(v);
        else *(float *)p = (float)json_number_value(v);
        return 0;
    case PROTOBUF_C_TYPE_ENUM:
        if (json_is_string(v)) {
            const ProtobufCEnumValue *ev =
                protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, json_string_value(v));
            if (!ev)
                return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, path,
                                     "%s: unknown value \"%s\"", path, json_string_value(v));
            *(int *)p = ev->value;
            return 0;
        }
        if (!json_is_integer(v)) break;
        *(int *)p = (int)json_integer_value(v);
        return 0;
    case PROTOBUF_C_TYPE_MESSAGE: {
        ProtobufCMessage *sub = s_to_pb(f->descriptor, v, a, path, err);
        if (!sub) return -1;
        *(ProtobufCMessage **)p = sub;
        return 0;
    }
    case PROTOBUF_C_TYPE_BYTES:
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, path,
                             "%s: bytes fields cannot be set from JSON", path);
    default: {
        if (!json_is_integer(v)) break;
        json_int_t i = json_integer_value(v);
        switch (s_elem_size(f)) {
        case 4: *(int32_t *)p = (int32_t)i; break;
        default: *(int64_t *)p = i; break;
        }
        return 0;
    }
    }
    return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, path, "%s has the wrong type", path);
}

ProtobufCMessage *hub_json_to_pb(const ProtobufCMessageDescriptor *desc, json_t *obj,
                                 hub_arena_t *arena, hub_error_t *err)
{
    ProtobufCMessage *m = s_to_pb(desc, obj, arena, "", err);
    if (m && hub_wire_validate(m, err)) return NULL;
    return m;
}
