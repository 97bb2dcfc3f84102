#include "hub_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <zmq.h>

#include "hub_bus.h"
#include "hub_log.h"

/* The fs_poll handle lives apart from hub_auth_t: libuv owns it until its
 * close callback, which frees it, after hub_auth_destroy has returned. */
typedef struct {
    uv_fs_poll_t poll;
    hub_auth_t *auth;            /* NULL once the auth is destroyed */
    hub_auth_changed_fn fn;
    void *arg;
} auth_watch_t;

struct hub_auth {
    hub_principal_t *list;
    size_t n;
    char *file;
    hub_zsock_t *zap;
    uv_loop_t *loop;
    auth_watch_t *watch;
    char digest[17];
    uint64_t refused, accepted;
};

int hub_auth_read_key(const char *path, char key[41], hub_error_t *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "", "cannot read key file %s", path);
    char line[256] = "";
    if (!fgets(line, sizeof line, f)) line[0] = 0;
    fclose(f);
    line[strcspn(line, " \t\r\n")] = 0;
    uint8_t raw[32];
    if (strlen(line) != 40 || !zmq_z85_decode(raw, line))
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                             "%s does not hold a 40-character Z85 key", path);
    memcpy(key, line, 41);
    return 0;
}

int hub_auth_load_file(const char *path, hub_principal_t **out, size_t *n, hub_error_t *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                                 "cannot read principals file %s", path);
    hub_principal_t *list = NULL;
    size_t cnt = 0, cap = 0;
    char *line = NULL; /* whole lines, however long: a long comment's tail is never a principal */
    size_t line_cap = 0;
    int lineno = 0;
    while (getline(&line, &line_cap, f) > 0) {
        lineno++;
        /* '#' starts a comment only at the start of a line: Z85 keys contain '#' */
        const char *first = line + strspn(line, " \t");
        if (*first == '#') continue;
        char id[128], role[64], key[128];
        int k = sscanf(line, "%127s %63s %127s", id, role, key);
        if (k <= 0) continue;
        uint8_t raw[32];
        if (k != 3 || strlen(id) >= 64 || strlen(role) >= 32 || strlen(key) != 40 ||
            !zmq_z85_decode(raw, key)) {
            fclose(f);
            free(list);
            free(line);
            return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                                 "%s:%d: expected \"<id> <role> <z85-public-key>\"", path, lineno);
        }
        if (!hub_auth_role_in(role, HUB_AUTH_ROLES)) {
            fclose(f);
            free(list);
            free(line);
            return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                                 "%s:%d: unknown role \"%s\" (roles: " HUB_AUTH_ROLES ")", path, lineno, role);
        }
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            list = realloc(list, cap * sizeof *list);
            if (!list) abort();
        }
        for (size_t i = 0; i < cnt; i++)
            if (!strcmp(list[i].id, id) || !strcmp(list[i].key, key)) {
                fclose(f);
                free(list);
                free(line);
                return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                                     "%s:%d: id or key already listed", path, lineno);
            }
        hub_principal_t *p = &list[cnt++];
        memset(p, 0, sizeof *p);
        strcpy(p->id, id);
        strcpy(p->role, role);
        strcpy(p->key, key);
    }
    fclose(f);
    free(line);
    *out = list;
    *n = cnt;
    return 0;
}

const hub_principal_t *hub_auth_find_key(hub_auth_t *self, const char *z85)
{
    for (size_t i = 0; self && i < self->n; i++)
        if (!strcmp(self->list[i].key, z85)) return &self->list[i];
    return NULL;
}

bool hub_auth_role_in(const char *role, const char *roles)
{
    size_t n = strlen(role);
    if (!n) return false;
    for (const char *p = roles; (p = strstr(p, role)); p += n)
        if ((p == roles || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ')) return true;
    return false;
}

/* ZAP request: version, request id, domain, address, identity, mechanism,
 * credentials... Reply: version, request id, status, text, user id, metadata. */
static void s_zap_cb(hub_zsock_t *zs, void *sock, void *arg)
{
    (void)zs;
    hub_auth_t *self = arg;
    for (int budget = 0; budget < 64; budget++) {
        zmq_msg_t parts[8];
        int n = hub_zmq_recv(sock, parts, 8, ZMQ_DONTWAIT, NULL);
        if (!n) return;
        const char *status = "400", *text = "unknown key", *user = "";
        char z85[41] = "";
        if (n >= 6) {
            size_t mlen = zmq_msg_size(&parts[5]);
            const char *mech = zmq_msg_data(&parts[5]);
            if (mlen == 5 && !memcmp(mech, "CURVE", 5) && n >= 7 && zmq_msg_size(&parts[6]) == 32) {
                zmq_z85_encode(z85, zmq_msg_data(&parts[6]), 32);
                const hub_principal_t *p = hub_auth_find_key(self, z85);
                /* the event stream is for subscriber roles only */
                bool events = zmq_msg_size(&parts[2]) == strlen(HUB_AUTH_DOMAIN_EVENTS) &&
                              !memcmp(zmq_msg_data(&parts[2]), HUB_AUTH_DOMAIN_EVENTS,
                                      strlen(HUB_AUTH_DOMAIN_EVENTS));
                if (p && events && !hub_auth_role_in(p->role, HUB_AUTH_EVENT_ROLES)) p = NULL;
                /* User-Id is the key itself: commands look the principal up
                 * by key each time, so a revocation applies at once */
                if (p) { status = "200"; text = "OK"; user = p->key; }
            } else if (mlen == 4 && !memcmp(mech, "NULL", 4)) {
                status = "200"; text = "OK"; /* non-CURVE sockets are loopback-only */
            }
        }
        if (*status == '2') self->accepted++;
        else { self->refused++; hub_warn("auth: refused CURVE key %s", z85[0] ? z85 : "(none)"); }
        zmq_send(sock, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(sock, n >= 2 ? zmq_msg_data(&parts[1]) : "", n >= 2 ? zmq_msg_size(&parts[1]) : 0, ZMQ_SNDMORE);
        zmq_send(sock, status, 3, ZMQ_SNDMORE);
        zmq_send(sock, text, strlen(text), ZMQ_SNDMORE);
        zmq_send(sock, user, strlen(user), ZMQ_SNDMORE);
        zmq_send(sock, "", 0, 0);
        hub_zmq_close(parts, n);
    }
}

hub_auth_t *hub_auth_new(uv_loop_t *loop, void *zctx, const char *file, hub_error_t *err)
{
    hub_auth_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->file = strdup(file);
    if (hub_auth_load_file(file, &self->list, &self->n, err)) goto fail;
    void *rep = zmq_socket(zctx, ZMQ_REP);
    int linger = 0;
    zmq_setsockopt(rep, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(rep, "inproc://zeromq.zap.01")) {
        hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot bind ZAP handler: %s",
                      zmq_strerror(zmq_errno()));
        zmq_close(rep);
        goto fail;
    }
    self->zap = hub_zsock_new(loop, rep, s_zap_cb, self);
    self->loop = loop;
    hub_auth_digest_of(self->list, self->n, self->digest);
    hub_info("auth: %zu principals from %s", self->n, file);
    return self;
fail:
    free(self->list);
    free(self->file);
    free(self);
    return NULL;
}

int hub_auth_reload(hub_auth_t *self, hub_error_t *err)
{
    hub_principal_t *list;
    size_t n;
    if (hub_auth_load_file(self->file, &list, &n, err)) return -1;
    free(self->list);
    self->list = list;
    self->n = n;
    hub_auth_digest_of(list, n, self->digest);
    hub_info("auth: reloaded %zu principals (digest %s)", n, self->digest);
    return 0;
}

void hub_auth_digest_of(const hub_principal_t *list, size_t n, char out[17])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 8);
    for (size_t i = 0; i < n; i++) {
        char line[160];
        int len = snprintf(line, sizeof line, "%s %s %s\n", list[i].id, list[i].role, list[i].key);
        crypto_generichash_update(&st, (const unsigned char *)line, (size_t)len);
    }
    unsigned char h[8];
    crypto_generichash_final(&st, h, sizeof h);
    for (int i = 0; i < 8; i++) snprintf(out + 2 * i, 3, "%02x", h[i]);
}

size_t hub_auth_count(const hub_auth_t *self) { return self ? self->n : 0; }
const char *hub_auth_digest(const hub_auth_t *self) { return self ? self->digest : ""; }

static void s_watch_closed(uv_handle_t *h) { free(h->data); }

static void s_watch_cb(uv_fs_poll_t *h, int status, const uv_stat_t *prev, const uv_stat_t *curr)
{
    (void)prev;
    (void)curr;
    auth_watch_t *w = h->data;
    if (!w->auth || status < 0) return; /* a missing file keeps the old list; it is noticed on return */
    hub_error_t err = {0};
    char before[17];
    memcpy(before, w->auth->digest, sizeof before);
    if (hub_auth_reload(w->auth, &err)) { hub_err("auth: %s (keeping the previous principals)", err.message); return; }
    if (strcmp(before, w->auth->digest) && w->fn) w->fn(w->auth, w->arg);
}

int hub_auth_watch(hub_auth_t *self, int interval_ms, hub_auth_changed_fn fn, void *arg, hub_error_t *err)
{
    if (self->watch) return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "principals file already watched");
    auth_watch_t *w = calloc(1, sizeof *w);
    if (!w) abort();
    *w = (auth_watch_t){.auth = self, .fn = fn, .arg = arg};
    uv_fs_poll_init(self->loop, &w->poll);
    w->poll.data = w;
    int rc = uv_fs_poll_start(&w->poll, s_watch_cb, self->file, (unsigned)(interval_ms > 0 ? interval_ms : 1000));
    if (rc) {
        uv_close((uv_handle_t *)&w->poll, s_watch_closed);
        return hub_error_set(err, HUB__ERROR_CODE__INTERNAL, "", "cannot watch %s: %s", self->file, uv_strerror(rc));
    }
    self->watch = w;
    return 0;
}

const hub_principal_t *hub_auth_find(hub_auth_t *self, const char *id)
{
    for (size_t i = 0; self && i < self->n; i++)
        if (!strcmp(self->list[i].id, id)) return &self->list[i];
    return NULL;
}

uint64_t hub_auth_refused(const hub_auth_t *self) { return self ? self->refused : 0; }

void hub_auth_destroy(hub_auth_t **self_p)
{
    hub_auth_t *self = *self_p;
    if (!self) return;
    hub_zsock_destroy(&self->zap);
    if (self->watch) {
        self->watch->auth = NULL;
        uv_close((uv_handle_t *)&self->watch->poll, s_watch_closed);
    }
    free(self->list);
    free(self->file);
    free(self);
    *self_p = NULL;
}
