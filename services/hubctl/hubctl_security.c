/* hubctl principal add|revoke|list: the principals files the daemons'
 * CURVE endpoints authorize from (common/hub_auth). hubctl edits a file
 * atomically (a lock file, a temporary copy, rename), and each daemon with
 * CURVE notices the change within [hub] principals_poll_ms and reloads it;
 * hubctl then waits until every running daemon that reads that file reports
 * the new list's digest in hub.status, so when it returns the change is in
 * effect. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "ctl.h"
#include "hub.pb-c.h"
#include "hub_auth.h"
#include "hub_util.h"
#include "table.h"

#define N_DAEMONS (size_t)CTL_N_KNOWN
#define MAX_FILES N_DAEMONS

/* The distinct principals files the configuration names ([<daemon>]
 * principals_file of the daemons with CURVE on, else of any daemon), or
 * only `only` when given. Paths borrowed from the configuration. */
static size_t s_files(ctl_t *c, const char *only, const char *out[MAX_FILES])
{
    if (only) { out[0] = only; return 1; }
    size_t n = 0;
    for (size_t i = 0; i < N_DAEMONS; i++) {
        const char *f = hub_config_get(c->cfg, ctl_known_daemons[i], "principals_file", "");
        if (!*f) continue;
        bool seen = false;
        for (size_t k = 0; k < n; k++) seen |= !strcmp(out[k], f);
        if (!seen) out[n++] = f;
    }
    return n;
}

/* Rewrites path under an exclusive lock on path.lock: the file's own lines
 * (of any length) minus the principal drop_id (may be NULL), plus one line
 * for add_id/add_role/add_key (add_id NULL: none) unless the file already
 * lists that id or key (checked under the lock: two hubctl at once cannot
 * both add it), via a temporary file in the same directory, fsync, rename,
 * fsync of the directory. The new file keeps the old one's mode, owner and
 * group (root editing a root:hub 0640 file must not make it unreadable to
 * the daemons); a new file is 0644 (public keys only). *changed counts the
 * lines dropped or added. 0; 1 after printing a clash; -1 after printing
 * an error. */
static int s_rewrite(const char *path, const char *drop_id, const char *add_id, const char *add_role,
                     const char *add_key, int *changed)
{
    char lock[1100], tmp[1100];
    snprintf(lock, sizeof lock, "%s.lock", path);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lfd < 0 || flock(lfd, LOCK_EX)) { fprintf(stderr, "hubctl: %s: %s\n", lock, strerror(errno)); if (lfd >= 0) close(lfd); return -1; }
    int rc = -1, fd = -1;
    FILE *in = fopen(path, "r"), *out = NULL;
    char *line = NULL;
    size_t cap = 0;
    struct stat st;
    bool have = in && !fstat(fileno(in), &st);
    if (!in && errno != ENOENT) { fprintf(stderr, "hubctl: %s: %s\n", path, strerror(errno)); goto done; }
    if (add_id && in) {
        hub_principal_t *list = NULL;
        size_t n = 0;
        hub_error_t err = {0};
        if (hub_auth_load_file(path, &list, &n, &err)) { fprintf(stderr, "hubctl: %s\n", err.message); goto done; }
        for (size_t j = 0; j < n && rc != 1; j++)
            if (!strcmp(list[j].id, add_id) || !strcmp(list[j].key, add_key)) {
                fprintf(stderr, "hubctl: %s: %s already lists %s %s (revoke it first to change it)\n", path,
                        !strcmp(list[j].id, add_id) ? "id" : "key", list[j].id, list[j].role);
                rc = 1;
            }
        free(list);
        if (rc == 1) goto done;
    }
    mode_t mode = have ? (st.st_mode & 07777) : 0644;
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0 || fchmod(fd, mode) || (have && fchown(fd, st.st_uid, st.st_gid)) || !(out = fdopen(fd, "w"))) {
        fprintf(stderr, "hubctl: %s: %s\n", tmp, strerror(errno));
        goto done;
    }
    fd = -1; /* out owns it */
    ssize_t len;
    while (in && (len = getline(&line, &cap, in)) > 0) {
        char id[128] = "";
        const char *first = line + strspn(line, " \t");
        if (drop_id && *first != '#' && sscanf(line, "%127s", id) == 1 && !strcmp(id, drop_id)) { (*changed)++; continue; }
        fputs(line, out);
        if (line[len - 1] != '\n') fputc('\n', out);
    }
    if (add_id) { fprintf(out, "%-20s %-10s %s\n", add_id, add_role, add_key); (*changed)++; }
    if (fflush(out) || fsync(fileno(out))) { fprintf(stderr, "hubctl: %s: %s\n", tmp, strerror(errno)); goto done; }
    if (!*changed) { rc = 0; goto done; }
    if (rename(tmp, path)) { fprintf(stderr, "hubctl: %s: %s\n", path, strerror(errno)); goto done; }
    char dir[1100];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *(slash == dir ? slash + 1 : slash) = 0; else strcpy(dir, ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) { fsync(dfd); close(dfd); }
    rc = 0;
done:
    free(line);
    if (fd >= 0) close(fd);
    if (out) fclose(out);
    if (in) fclose(in);
    unlink(tmp); /* gone after a rename; removes a leftover otherwise */
    close(lfd);
    return rc;
}

/* True if the daemon's configured principals file is path (the same file,
 * however either is spelled). */
static bool s_same_file(const char *configured, const char *path)
{
    struct stat a, b;
    if (!*configured) return false;
    if (!strcmp(configured, path)) return true;
    return !stat(configured, &a) && !stat(path, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Waits (up to wait_ms) until each running daemon that reads path reports
 * the digest of path's current list. Prints one line per daemon. Returns 0
 * when every reachable daemon has it, EXIT_REFUSED when one did not load it
 * in time (a file it cannot parse, or a daemon without CURVE). */
static int s_wait_effect(ctl_t *c, const char *path, int wait_ms)
{
    hub_principal_t *list;
    size_t n;
    hub_error_t err = {0};
    if (hub_auth_load_file(path, &list, &n, &err)) { fprintf(stderr, "hubctl: %s\n", err.message); return EXIT_REFUSED; }
    char want[17];
    hub_auth_digest_of(list, n, want);
    free(list);
    int worst = EXIT_OK, saved = c->timeout_ms;
    c->timeout_ms = 2000;
    for (size_t i = 0; i < N_DAEMONS; i++) {
        const char *d = ctl_known_daemons[i];
        if (!s_same_file(hub_config_get(c->cfg, d, "principals_file", ""), path) || !*ctl_endpoint(c, d, "api")) continue;
        int64_t deadline = hub_mono_ms() + wait_ms;
        const char *state = NULL;
        for (;;) {
            Hub__StatusRequest req = HUB__STATUS_REQUEST__INIT;
            Hub__StatusReply *st = NULL;
            int rc = ctl_call_err(c, d, "hub.status", &req.base, &hub__status_reply__descriptor,
                                  (ProtobufCMessage **)&st, &err);
            if (rc == EXIT_UNREACHABLE) { state = "not running (loads it when it starts)"; break; }
            if (rc == CTL_REFUSED) { state = ctl_fmt(c, "cannot ask: %s", err.message); break; }
            if (rc) { state = "cannot ask"; break; }
            if (!strcmp(st->principals_digest, want)) { state = ctl_fmt(c, "in effect (%u principals)", st->principals); break; }
            if (hub_mono_ms() >= deadline) {
                state = ctl_fmt(c, "NOT in effect: still %s (CURVE off, or it cannot parse the file: see its log)",
                                *st->principals_digest ? st->principals_digest : "no principals");
                worst = EXIT_REFUSED;
                break;
            }
            struct timespec ts = {0, 50 * 1000000L}; /* poll the daemon: a retry interval, not a guess */
            nanosleep(&ts, NULL);
        }
        if (!c->json) printf("  %-13s %s\n", d, state);
    }
    c->timeout_ms = saved;
    return worst;
}

/* Reads the public key given as --key Z85 or --key-file F.pub. */
static int s_key_arg(const char *key, const char *key_file, char out[41])
{
    hub_error_t err = {0};
    uint8_t raw[32];
    if (key_file) {
        if (hub_auth_read_key(key_file, out, &err)) { fprintf(stderr, "hubctl: %s\n", err.message); return EXIT_USAGE; }
        return 0;
    }
    if (!key || strlen(key) != 40 || !zmq_z85_decode(raw, key)) return ctl_bad("--key", key ? key : "", "a 40-character Z85 public key");
    memcpy(out, key, 41);
    return 0;
}

static int s_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (!n || n >= 64) return 0;
    for (const char *p = id; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '#' || (unsigned char)*p >= 0x7f) return 0;
    return 1;
}

/* hubctl principal add ID ROLE (--key Z85 | --key-file F.pub) [--file P] [--wait MS] */
static int s_add(ctl_t *c, int argc, char **argv, const char *only, int wait_ms, const char *key, const char *key_file)
{
    if (argc != 2) return ctl_usage();
    const char *id = argv[0], *role = argv[1];
    if (!s_id_ok(id)) return ctl_bad("ID", id, "1-63 printable characters, no space or '#'");
    if (!hub_auth_role_in(role, HUB_AUTH_ROLES)) return ctl_bad("ROLE", role, HUB_AUTH_ROLES);
    char k[41];
    int rc = s_key_arg(key, key_file, k);
    if (rc) return rc;
    const char *files[MAX_FILES];
    size_t nf = s_files(c, only, files);
    if (!nf) { fprintf(stderr, "hubctl: no principals_file in the configuration (give --file)\n"); return EXIT_USAGE; }
    int worst = EXIT_OK;
    for (size_t i = 0; i < nf; i++) {
        int changed = 0;
        rc = s_rewrite(files[i], NULL, id, role, k, &changed);
        if (rc) return EXIT_REFUSED; /* a clash or an error, printed */
        if (!c->json) printf("%s: added %s (%s)\n", files[i], id, role);
        rc = s_wait_effect(c, files[i], wait_ms);
        if (rc > worst) worst = rc;
    }
    return worst;
}

/* hubctl principal revoke ID [--file P] [--wait MS] */
static int s_revoke(ctl_t *c, int argc, char **argv, const char *only, int wait_ms)
{
    if (argc != 1) return ctl_usage();
    const char *files[MAX_FILES];
    size_t nf = s_files(c, only, files);
    if (!nf) { fprintf(stderr, "hubctl: no principals_file in the configuration (give --file)\n"); return EXIT_USAGE; }
    int worst = EXIT_OK, found = 0;
    for (size_t i = 0; i < nf; i++) {
        int changed = 0;
        if (s_rewrite(files[i], argv[0], NULL, NULL, NULL, &changed)) return EXIT_REFUSED;
        if (!changed) continue;
        found = 1;
        if (!c->json) printf("%s: revoked %s\n", files[i], argv[0]);
        int rc = s_wait_effect(c, files[i], wait_ms);
        if (rc > worst) worst = rc;
    }
    if (!found) { fprintf(stderr, "hubctl: no principal \"%s\" in any principals file\n", argv[0]); return EXIT_REFUSED; }
    return worst;
}

/* hubctl principal list [--file P]: every principal of every file. */
static int s_list(ctl_t *c, const char *only)
{
    const char *files[MAX_FILES];
    size_t nf = s_files(c, only, files);
    if (!nf) { fprintf(stderr, "hubctl: no principals_file in the configuration (give --file)\n"); return EXIT_USAGE; }
    table_t *t = c->json ? NULL : table_new(4, "ID", "ROLE", "PUBLIC KEY", "FILE");
    json_t *arr = json_array();
    int rc = EXIT_OK;
    for (size_t i = 0; i < nf; i++) {
        hub_principal_t *list = NULL;
        size_t n = 0;
        hub_error_t err = {0};
        if (hub_auth_load_file(files[i], &list, &n, &err)) { fprintf(stderr, "hubctl: %s\n", err.message); rc = EXIT_REFUSED; continue; }
        for (size_t j = 0; j < n; j++) {
            if (t) table_row(t, list[j].id, list[j].role, list[j].key, files[i]);
            json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s}", "id", list[j].id, "role", list[j].role,
                                                 "key", list[j].key, "file", files[i]));
        }
        free(list);
    }
    if (c->json) { json_dumpf(arr, stdout, JSON_INDENT(2)); putchar('\n'); }
    else table_print(t, stdout); /* frees t */
    json_decref(arr);
    return rc;
}

static int cmd_principal(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"key", 1, 0, 'k'}, {"key-file", 1, 0, 'K'}, {"file", 1, 0, 'f'},
                                         {"wait", 1, 0, 'w'}, {0, 0, 0, 0}};
    const char *key = NULL, *key_file = NULL, *file = NULL;
    uint32_t wait_ms = 5000;
    int o;
    optind = 0; /* 0 re-initializes GNU getopt (main parsed with "+"); options may follow the words */
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'k': key = optarg; break;
        case 'K': key_file = optarg; break;
        case 'f': file = optarg; break;
        case 'w': if (ctl_opt_u32("--wait", optarg, 0, 600000, &wait_ms)) return EXIT_USAGE; break;
        default: return ctl_usage();
        }
    }
    argc -= optind;
    argv += optind;
    if (argc < 1) return ctl_usage();
    const char *sub = argv[0];
    argc--;
    argv++;
    if (!strcmp(sub, "list") && !argc && !key && !key_file) return s_list(c, file);
    if (!strcmp(sub, "add")) return s_add(c, argc, argv, file, (int)wait_ms, key, key_file);
    if (!strcmp(sub, "revoke") && !key && !key_file) return s_revoke(c, argc, argv, file, (int)wait_ms);
    return ctl_usage();
}

const ctl_command_t ctl_security_commands[] = {
    {"principal", cmd_principal},
    {NULL, NULL},
};
