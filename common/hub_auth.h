/* hub_auth: CurveZMQ authentication. A ZAP handler (RFC 27) bound at
 * inproc://zeromq.zap.01 in the daemon's context answers 200 with User-Id =
 * the registered public key (commands then look the principal up by key)
 * and 400 otherwise; on the events domain only subscriber roles pass. The
 * principals file has one line per principal: "<id> <role> <z85-public-key>"
 * (a line starting with '#' is a comment; Z85 keys may contain '#'). Must be created before any CURVE server socket. */
#ifndef HUB_AUTH_H
#define HUB_AUTH_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "hub_wire.h"

typedef struct {
    char id[64];         /* e.g. "wechat-miniapp" */
    char role[32];       /* channel | operator | ... */
    char key[41];        /* Z85 public key */
} hub_principal_t;

typedef struct hub_auth hub_auth_t;

/* Loads principals_file and binds the ZAP handler in zctx on loop. Caller
 * owns the result. NULL with err set when the file cannot be read/parsed. */
hub_auth_t *hub_auth_new(uv_loop_t *loop, void *zctx, const char *principals_file,
                         hub_error_t *err);
/* Re-reads the file; on failure keeps the old list. 0 or -1 with err. */
int hub_auth_reload(hub_auth_t *self, hub_error_t *err);
/* Called on the loop thread after the watched file changed and was loaded
 * (e.g. to make event subscribers authenticate again). */
typedef void (*hub_auth_changed_fn)(hub_auth_t *auth, void *arg);
/* Watches the principals file (stat every interval_ms, libuv fs_poll) and
 * reloads it when it changes, so `hubctl principal add|revoke` takes effect
 * without a signal or a restart; then calls fn(arg) (may be NULL). A file
 * that fails to parse keeps the old list (logged). 0 or -1 with err. */
int hub_auth_watch(hub_auth_t *self, int interval_ms, hub_auth_changed_fn fn, void *arg, hub_error_t *err);
/* How many principals are loaded, and a digest of the loaded list
 * (hex, 16 chars: the first 8 bytes of BLAKE2b over the normalized
 * lines), so an operator can see which version each daemon holds. */
size_t hub_auth_count(const hub_auth_t *self);
const char *hub_auth_digest(const hub_auth_t *self);
/* The same digest over a list (hubctl compares it with the daemons'). */
void hub_auth_digest_of(const hub_principal_t *list, size_t n, char out[17]);
/* The ZAP domain of event (PUB) sockets and the roles admitted there. */
#define HUB_AUTH_DOMAIN_COMMANDS "hub"
#define HUB_AUTH_DOMAIN_EVENTS "hub-events"
#define HUB_AUTH_EVENT_ROLES "operator subscriber"
/* Every role a principals file may name (README "Who may do what"). */
#define HUB_AUTH_ROLES "channel provider buyer evaluator operator auditor dashboard subscriber public"
/* True if role is one word of roles (space-separated); an empty role never is. */
bool hub_auth_role_in(const char *role, const char *roles);
/* The principal with this Z85 public key, or NULL. Borrowed until reload. */
const hub_principal_t *hub_auth_find_key(hub_auth_t *self, const char *z85);
/* The principal with this id, or NULL. Borrowed until the next reload. */
const hub_principal_t *hub_auth_find(hub_auth_t *self, const char *id);
void hub_auth_destroy(hub_auth_t **self_p);
uint64_t hub_auth_refused(const hub_auth_t *self);

/* Parses one principals file into *out (malloc'd array, caller frees). */
int hub_auth_load_file(const char *path, hub_principal_t **out, size_t *n, hub_error_t *err);
/* Reads a key file holding a Z85 key (40 chars) on its first line. */
int hub_auth_read_key(const char *path, char key[41], hub_error_t *err);

#endif
