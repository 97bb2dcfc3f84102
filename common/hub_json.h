/* hub_json: generic conversion between protobuf-c messages and jansson JSON,
 * driven by the message descriptors (field names as in the .proto, enums by
 * name, proto3 defaults omitted). Used by hubctl, tail and the tests. */
#ifndef HUB_JSON_H
#define HUB_JSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "hub_wire.h"

/* Returns a new JSON object for msg (caller owns the reference). Fields of
 * type bytes are given as base64 strings. */
json_t *hub_json_from_pb(const ProtobufCMessage *msg);

/* Builds a message of type desc from a JSON object; all memory comes from
 * arena. Unknown keys and type mismatches are INVALID_ARGUMENT with the
 * field path. Returns NULL with err set on failure. */
ProtobufCMessage *hub_json_to_pb(const ProtobufCMessageDescriptor *desc, json_t *obj,
                                 hub_arena_t *arena, hub_error_t *err);

#endif
