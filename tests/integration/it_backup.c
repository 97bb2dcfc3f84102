/* Integration tests of backups, restores and store schema versions: the
 * real hub-intake and hub-matching in a temp dir, driven by the real
 * hubctl ("backup DIR", "restore DIR"). Waits are on conditions with
 * deadlines, never bare sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "hub_backup.h"
#include "hub_daemon.h"
#include "hub_store.h"
#include "hub_util.h"

#define N_BEFORE 400       /* requests acknowledged before the backup starts */
#define MAX_DURING 20000   /* requests the writer may submit while it runs */

static void *s_zctx;

typedef struct {
    harness_t in, mt;
} pair_t;

static int s_setup(void **state)
{
    pair_t *p = calloc(1, sizeof *p);
    if (harness_init(&p->in, NULL)) { free(p); return -1; }
    if (harness_init_peer(&p->mt, &p->in, "matching", NULL) || harness_start(&p->in) || harness_start(&p->mt)) {
        harness_fini(&p->mt);
        harness_fini(&p->in);
        free(p);
        return -1;
    }
    *state = p;
    return 0;
}

static int s_teardown(void **state)
{
    pair_t *p = *state;
    harness_fini(&p->mt);
    harness_fini(&p->in);
    free(p);
    return 0;
}

/* Runs hubctl -c <config> args with stdout+stderr into out; its exit code. */
static int s_hubctl(const pair_t *p, const char *args, const char *out)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s -c %s %s > %s 2>&1", harness_bin("hubctl"), p->in.config, args, out);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The whole of a small file (static buffer), "" if unreadable. */
static const char *s_slurp(const char *path)
{
    static char buf[65536];
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f) return buf;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* path exists with exactly these permission bits. */
static void s_assert_mode(const char *path, unsigned mode)
{
    struct stat st;
    if (stat(path, &st)) fail_msg("%s: missing", path);
    if ((st.st_mode & 07777) != mode) fail_msg("%s: mode %o, want %o", path, st.st_mode & 07777, mode);
}

/* Submits one request through c; 0 with its id, else the call's code. */
static int s_submit(hub_client_t *c, const char *mid, char id[32])
{
    hub_arena_t *a = hub_arena_new(1 << 20);
    Intake__SubmitRequest *req = harness_request(a, "web-form", mid);
    Intake__SubmitReply *rep;
    hub_error_t err = {0};
    int rc = hub_client_call(c, "intake.submit", &req->base, &intake__submit_reply__descriptor, a,
                             (ProtobufCMessage **)&rep, &err);
    if (!rc) snprintf(id, 32, "%s", rep->service_request_id);
    hub_arena_destroy(&a);
    return rc;
}

static Hub__StatusReply *s_status(const char *api, hub_arena_t *a)
{
    hub_client_t *c = hub_client_new(s_zctx, api, NULL, 5000);
    Hub__StatusRequest req = HUB__STATUS_REQUEST__INIT;
    Hub__StatusReply *rep = NULL;
    hub_error_t err = {0};
    if (hub_client_call(c, "hub.status", &req.base, &hub__status_reply__descriptor, a, (ProtobufCMessage **)&rep, &err))
        rep = NULL;
    hub_client_destroy(&c);
    return rep;
}

static uint64_t s_counter(const Hub__StatusReply *s, const char *name)
{
    for (size_t i = 0; s && i < s->n_counters; i++)
        if (!strcmp(s->counters[i]->name, name)) return s->counters[i]->value;
    return 0;
}

/* Matching's committed cursor on intake equals intake's (epoch, last seq). */
typedef struct {
    const pair_t *p;
} caught_up_t;
static bool s_caught_up(void *arg)
{
    const pair_t *p = ((caught_up_t *)arg)->p;
    hub_arena_t *a = hub_arena_new(4 << 20);
    Hub__StatusReply *i = s_status(p->in.api, a), *m = s_status(p->mt.api, a);
    bool ok = false;
    for (size_t k = 0; i && m && k < m->n_subscriptions; k++)
        if (!strcmp(m->subscriptions[k]->publisher, "intake"))
            ok = m->subscriptions[k]->epoch == i->epoch && m->subscriptions[k]->seq == i->last_seq;
    hub_arena_destroy(&a);
    return ok;
}

/* A writer that keeps submitting while the backup runs. */
typedef struct {
    const char *api;
    atomic_int stop;
    int n, failed;
    char (*ids)[32];
} writer_t;
static void *s_writer(void *arg)
{
    writer_t *w = arg;
    hub_client_t *c = hub_client_new(s_zctx, w->api, NULL, 5000);
    while (!atomic_load(&w->stop) && w->n < MAX_DURING) {
        char mid[32];
        snprintf(mid, sizeof mid, "during-%d", w->n);
        if (s_submit(c, mid, w->ids[w->n])) { w->failed++; break; }
        w->n++;
    }
    hub_client_destroy(&c);
    return NULL;
}

/* intake.get of id through c: 0 found (its message id checked), else -1. */
static int s_find(hub_client_t *c, hub_arena_t *a, const char *id, const char *mid)
{
    Intake__GetRequestRequest req = INTAKE__GET_REQUEST_REQUEST__INIT;
    req.service_request_id = (char *)id;
    Intake__GetRequestReply *rep;
    hub_error_t err = {0};
    if (hub_client_call(c, "intake.get", &req.base, &intake__get_request_reply__descriptor, a,
                        (ProtobufCMessage **)&rep, &err))
        return -1;
    return rep->request && !strcmp(rep->request->message_id, mid) ? 0 : -1;
}

/* ---- online backup while requests stream in; wipe; restore; all there ---- */
static void test_backup_restore_finds_every_request(void **state)
{
    pair_t *p = *state;
    static char before[N_BEFORE][32];
    static char during[MAX_DURING][32];
    hub_client_t *c = hub_client_new(s_zctx, p->in.api, NULL, 5000);
    for (int i = 0; i < N_BEFORE; i++) {
        char mid[32];
        snprintf(mid, sizeof mid, "before-%d", i);
        assert_int_equal(s_submit(c, mid, before[i]), 0);
    }
    caught_up_t cu = {p};
    assert_true(harness_wait(s_caught_up, &cu, 15000));

    /* the backup runs while a writer keeps committing */
    writer_t w = {.api = p->in.api, .ids = during};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, s_writer, &w), 0);
    char dir[400], out[400];
    snprintf(dir, sizeof dir, "%s/backup-1", p->in.dir);
    snprintf(out, sizeof out, "%s/backup.out", p->in.dir);
    char args[600];
    snprintf(args, sizeof args, "backup %s", dir);
    int rc = s_hubctl(p, args, out);
    atomic_store(&w.stop, 1);
    pthread_join(th, NULL);
    assert_int_equal(w.failed, 0);
    if (rc) fail_msg("hubctl backup exited %d: %s", rc, s_slurp(out));
    assert_non_null(strstr(s_slurp(out), "intake"));
    assert_non_null(strstr(s_slurp(out), "matching"));

    /* the copies: modes and manifest (that they open: the restore below) */
    char path[700];
    snprintf(path, sizeof path, "%s/intake", dir);
    s_assert_mode(path, 0700);
    snprintf(path, sizeof path, "%s/intake/data.mdb", dir);
    s_assert_mode(path, 0600);
    snprintf(path, sizeof path, "%s/intake/%s", dir, HUB_BACKUP_MANIFEST);
    s_assert_mode(path, 0600);
    const char *manifest = s_slurp(path);
    assert_non_null(strstr(manifest, "daemon=intake\n"));
    assert_non_null(strstr(manifest, "schema_version=1\n"));

    /* stop, wipe both stores, restore, start again */
    hub_client_destroy(&c);
    assert_int_equal(harness_stop(&p->mt, SIGTERM), 0);
    assert_int_equal(harness_stop(&p->in, SIGTERM), 0);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s/var/intake %s/var/matching", p->in.dir, p->in.dir);
    assert_int_equal(system(cmd), 0);
    snprintf(args, sizeof args, "restore %s", dir);
    rc = s_hubctl(p, args, out);
    if (rc) fail_msg("hubctl restore exited %d: %s", rc, s_slurp(out));
    snprintf(path, sizeof path, "%s/var/intake/data.mdb", p->in.dir);
    s_assert_mode(path, 0600);
    snprintf(path, sizeof path, "%s/var/intake", p->in.dir);
    s_assert_mode(path, 0700);
    assert_int_equal(harness_start(&p->in), 0);
    assert_int_equal(harness_start(&p->mt), 0);

    /* every request acknowledged before the backup began is there */
    c = hub_client_new(s_zctx, p->in.api, NULL, 5000);
    hub_arena_t *a = hub_arena_new(8 << 20);
    for (int i = 0; i < N_BEFORE; i++) {
        char mid[32];
        snprintf(mid, sizeof mid, "before-%d", i);
        hub_arena_reset(a);
        if (s_find(c, a, before[i], mid)) fail_msg("request %s (%s) missing after the restore", before[i], mid);
    }
    /* those of the writer are a prefix: every one up to some point, none after */
    int kept = 0;
    while (kept < w.n) {
        char mid[32];
        snprintf(mid, sizeof mid, "during-%d", kept);
        hub_arena_reset(a);
        if (s_find(c, a, during[kept], mid)) break;
        kept++;
    }
    print_message("backup: %d requests before, %d submitted during it, %d of those in the copy\n", N_BEFORE, w.n,
                  kept);

    /* the restored intake got a new epoch; matching follows it without
     * replaying: a new request reaches it, nothing is applied twice */
    Hub__StatusReply *ms = s_status(p->mt.api, a);
    assert_non_null(ms);
    uint64_t applied0 = s_counter(ms, "feed_events_applied_total");
    Hub__StatusReply *is = s_status(p->in.api, a);
    assert_non_null(is);
    uint64_t seq0 = is->last_seq;
    char id[32];
    assert_int_equal(s_submit(c, "after-restore", id), 0);
    assert_true(harness_wait(s_caught_up, &cu, 15000));
    ms = s_status(p->mt.api, a);
    is = s_status(p->in.api, a);
    assert_int_equal(s_counter(ms, "feed_events_applied_total") - applied0, is->last_seq - seq0);
    assert_int_equal(s_counter(ms, "feed_events_failed_total"), 0);
    hub_arena_destroy(&a);
    hub_client_destroy(&c);
}

/* ---- a follower ahead of the restored publisher neither skips nor doubles ---- */
static void test_follower_ahead_of_restored_publisher(void **state)
{
    pair_t *p = *state;
    hub_client_t *c = hub_client_new(s_zctx, p->in.api, NULL, 5000);
    char id[32], mid[32], dir[400], out[400], args[600];
    for (int i = 0; i < 20; i++) {
        snprintf(mid, sizeof mid, "a-%d", i);
        assert_int_equal(s_submit(c, mid, id), 0);
    }
    caught_up_t cu = {p};
    assert_true(harness_wait(s_caught_up, &cu, 15000));
    hub_arena_t *a = hub_arena_new(8 << 20);
    Hub__StatusReply *is = s_status(p->in.api, a);
    uint64_t backed_seq = is->last_seq, old_epoch = is->epoch;
    snprintf(dir, sizeof dir, "%s/backup-intake", p->in.dir);
    snprintf(out, sizeof out, "%s/out", p->in.dir);
    snprintf(args, sizeof args, "backup %s --daemon intake", dir);
    assert_int_equal(s_hubctl(p, args, out), 0);
    /* matching goes on past the backup */
    for (int i = 0; i < 20; i++) {
        snprintf(mid, sizeof mid, "b-%d", i);
        assert_int_equal(s_submit(c, mid, id), 0);
    }
    assert_true(harness_wait(s_caught_up, &cu, 15000));
    hub_client_destroy(&c);

    /* only intake is restored; matching keeps running with its cursor ahead */
    assert_int_equal(harness_stop(&p->in, SIGTERM), 0);
    snprintf(args, sizeof args, "restore %s --daemon intake", dir);
    int rc = s_hubctl(p, args, out);
    if (rc) fail_msg("restore exited %d: %s", rc, s_slurp(out));
    assert_int_equal(harness_start(&p->in), 0);
    hub_arena_reset(a);
    is = s_status(p->in.api, a);
    assert_non_null(is);
    assert_int_not_equal(is->epoch, old_epoch);
    assert_int_equal(is->last_seq, backed_seq);
    Hub__StatusReply *ms = s_status(p->mt.api, a);
    uint64_t applied0 = s_counter(ms, "feed_events_applied_total");

    c = hub_client_new(s_zctx, p->in.api, NULL, 5000);
    assert_int_equal(s_submit(c, "c-0", id), 0);
    hub_client_destroy(&c);
    /* matching's cursor moves to the new epoch at intake's last sequence:
     * the new event was applied (not skipped as "already seen") and the
     * backed-up ones were not applied again */
    assert_true(harness_wait(s_caught_up, &cu, 15000));
    hub_arena_reset(a);
    is = s_status(p->in.api, a);
    ms = s_status(p->mt.api, a);
    assert_int_equal(s_counter(ms, "feed_events_applied_total") - applied0, is->last_seq - backed_seq);
    hub_arena_destroy(&a);
}

/* ---- refusals: a running daemon, an existing target, a relative path ---- */
static void test_refusals(void **state)
{
    pair_t *p = *state;
    char dir[400], out[400], args[1200], path[700];
    snprintf(dir, sizeof dir, "%s/backup-r", p->in.dir);
    snprintf(out, sizeof out, "%s/out", p->in.dir);
    snprintf(args, sizeof args, "backup %s", dir);
    assert_int_equal(s_hubctl(p, args, out), 0);
    /* the same directory again: refused, the copy there untouched */
    snprintf(path, sizeof path, "%s/intake/%s", dir, HUB_BACKUP_MANIFEST);
    char manifest[4096];
    snprintf(manifest, sizeof manifest, "%s", s_slurp(path));
    assert_int_equal(s_hubctl(p, args, out), 1);
    assert_non_null(strstr(s_slurp(out), "ALREADY_EXISTS"));
    assert_string_equal(s_slurp(path), manifest);
    /* a relative path means nothing on the daemon's host */
    assert_int_equal(s_hubctl(p, "backup relative/dir", out), 1);
    assert_non_null(strstr(s_slurp(out), "INVALID_ARGUMENT"));
    /* restore while the daemons run: refused, their stores untouched */
    struct stat before, after;
    snprintf(path, sizeof path, "%s/var/intake/data.mdb", p->in.dir);
    assert_int_equal(stat(path, &before), 0);
    snprintf(args, sizeof args, "restore %s", dir);
    assert_int_equal(s_hubctl(p, args, out), 1);
    assert_non_null(strstr(s_slurp(out), "is running"));
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    /* after kill -9 the lock is gone with the process: restore works */
    assert_int_equal(harness_stop(&p->mt, SIGKILL), 128 + SIGKILL);
    /* the store belongs to the daemon's user (systemd: "hub"), the restore
     * runs as root: what it puts there must stay the daemon's */
    snprintf(path, sizeof path, "%s/var/matching", p->in.dir);
    assert_int_equal(chown(path, 65534, 65534), 0);
    snprintf(args, sizeof args, "restore %s --daemon matching", dir);
    int rc = s_hubctl(p, args, out);
    if (rc) fail_msg("restore after kill -9 exited %d: %s", rc, s_slurp(out));
    assert_non_null(strstr(s_slurp(out), "pre-restore-"));
    snprintf(path, sizeof path, "%s/var/matching/data.mdb", p->in.dir);
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(after.st_uid, 65534);
    assert_int_equal(after.st_gid, 65534);
    /* a second restore (most likely within the same second) keeps both
     * earlier files aside: none replaces another */
    rc = s_hubctl(p, args, out);
    if (rc) fail_msg("second restore exited %d: %s", rc, s_slurp(out));
    snprintf(path, sizeof path, "%s/var/matching", p->in.dir);
    DIR *d = opendir(path);
    assert_non_null(d);
    int aside = 0;
    for (struct dirent *e; (e = readdir(d));) aside += !strncmp(e->d_name, "data.mdb.pre-restore-", 21);
    closedir(d);
    assert_int_equal(aside, 2);
    /* a restore into a new store directory: it gets its parent's owner */
    char fresh[500];
    snprintf(fresh, sizeof fresh, "%s/owned", p->in.dir);
    assert_int_equal(mkdir(fresh, 0700), 0);
    assert_int_equal(chown(fresh, 65534, 65533), 0);
    snprintf(args, sizeof args, "restore %s --daemon matching --data-dir %s", dir, fresh);
    rc = s_hubctl(p, args, out);
    if (rc) fail_msg("restore into a new directory exited %d: %s", rc, s_slurp(out));
    const char *made[] = {"/matching", "/matching/data.mdb", "/matching/lock.mdb"};
    for (size_t i = 0; i < sizeof made / sizeof *made; i++) {
        snprintf(path, sizeof path, "%s%s", fresh, made[i]);
        if (stat(path, &after)) fail_msg("%s: %s", path, strerror(errno));
        if (after.st_uid != 65534 || after.st_gid != 65533)
            fail_msg("%s is %u:%u, not 65534:65533", path, (unsigned)after.st_uid, (unsigned)after.st_gid);
    }
    assert_int_equal(harness_start(&p->mt), 0);
}

/* ---- [hub] backup_dir: hub.backup writes only under it ---- */
static void test_backup_root(void **state)
{
    pair_t *p = *state;
    char root[400], out[400], args[1200], path[700];
    snprintf(root, sizeof root, "%s/broot", p->in.dir);
    snprintf(out, sizeof out, "%s/out", p->in.dir);
    assert_int_equal(mkdir(root, 0700), 0);
    assert_int_equal(harness_stop(&p->mt, SIGTERM), 0);
    assert_int_equal(harness_stop(&p->in, SIGTERM), 0);
    /* the peer's section is the config's last: a [hub] after it adds to [hub] */
    snprintf(p->mt.extra, sizeof p->mt.extra, "\n[hub]\nbackup_dir = %s\n", root);
    assert_int_equal(harness_write_config(&p->in), 0);
    assert_int_equal(harness_start(&p->in), 0);
    assert_int_equal(harness_start(&p->mt), 0);
    /* outside; a sibling sharing the prefix; a symlink inside leading out */
    snprintf(path, sizeof path, "%s/link", root);
    assert_int_equal(symlink(p->in.dir, path), 0);
    const char *outside[] = {"%s/elsewhere", "%s/broot2/day", "%s/broot/link/day", "/"};
    for (size_t i = 0; i < sizeof outside / sizeof *outside; i++) {
        char dir[600];
        snprintf(dir, sizeof dir, outside[i], p->in.dir);
        snprintf(args, sizeof args, "backup %s", dir);
        assert_int_equal(s_hubctl(p, args, out), 1);
        const char *o = s_slurp(out);
        if (!strstr(o, "INVALID_ARGUMENT") || !strstr(o, "is outside the backup"))
            fail_msg("backup %s: %s", dir, o);
    }
    snprintf(path, sizeof path, "%s/elsewhere", p->in.dir);
    assert_int_not_equal(access(path, F_OK), 0);
    /* under it, in a directory made by the backup */
    snprintf(args, sizeof args, "backup %s/day1/x", root);
    int rc = s_hubctl(p, args, out);
    if (rc) fail_msg("backup under the root exited %d: %s", rc, s_slurp(out));
    snprintf(path, sizeof path, "%s/day1/x/intake/%s", root, HUB_BACKUP_MANIFEST);
    assert_int_equal(access(path, R_OK), 0);
}

/* Sets (or with v == 0 deletes) meta "schema_version" of the store in dir. */
static void s_set_schema(const char *dir, uint64_t v)
{
    MDB_env *env;
    MDB_txn *t;
    MDB_dbi meta;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &t), 0);
    assert_int_equal(mdb_dbi_open(t, "meta", 0, &meta), 0);
    MDB_val k = {14, "schema_version"};
    if (v) {
        uint8_t b[8];
        hub_be64_put(b, v);
        MDB_val val = {8, b};
        assert_int_equal(mdb_put(t, meta, &k, &val, 0), 0);
    } else {
        assert_int_equal(mdb_del(t, meta, &k, NULL), 0);
    }
    assert_int_equal(mdb_txn_commit(t), 0);
    mdb_env_close(env);
}

static uint64_t s_get_schema(const char *dir)
{
    hub_error_t err = {0};
    const char *const names[] = {"outbox", NULL};
    hub_store_t *st = hub_store_open_schema(dir, 64 << 20, names, NULL, &err);
    assert_non_null(st);
    MDB_txn *t;
    uint64_t v = 0;
    assert_int_equal(mdb_txn_begin(st->env, NULL, MDB_RDONLY, &t), 0);
    int rc = hub_store_meta_get_u64(st, t, "schema_version", &v);
    mdb_txn_abort(t);
    hub_store_close(&st);
    return rc ? 0 : v;
}

typedef struct {
    pid_t pid;
    int status;
} exited_t;
static bool s_exited(void *arg)
{
    exited_t *e = arg;
    return waitpid(e->pid, &e->status, WNOHANG) == e->pid;
}

/* ---- schema versions: newer refused with a message and exit code; unstamped stamped 1 ---- */
static void test_schema_versions(void **state)
{
    pair_t *p = *state;
    char store[400], out[400];
    snprintf(store, sizeof store, "%s/var/intake", p->in.dir);
    snprintf(out, sizeof out, "%s/intake-newer.log", p->in.dir);
    assert_int_equal(harness_stop(&p->in, SIGTERM), 0);

    s_set_schema(store, 7);
    const char *argv[] = {harness_bin("hub-intake"), "-c", p->in.config, NULL};
    exited_t e = {harness_spawn(argv, out), 0};
    assert_true(e.pid > 0);
    assert_true(harness_wait(s_exited, &e, 15000));
    assert_true(WIFEXITED(e.status));
    assert_int_equal(WEXITSTATUS(e.status), HUB_EXIT_SCHEMA);
    assert_non_null(strstr(s_slurp(out), "schema version 7, newer than this hub-intake supports (1): "
                                         "upgrade the binary or restore a backup"));
    assert_int_equal(s_get_schema(store), 7); /* refused, not changed */

    /* a store from before schema versions: counts as 1, stamped, works */
    s_set_schema(store, 0);
    assert_int_equal(s_get_schema(store), 0);
    assert_int_equal(harness_start(&p->in), 0);
    hub_client_t *c = hub_client_new(s_zctx, p->in.api, NULL, 5000);
    char id[32];
    assert_int_equal(s_submit(c, "after-stamp", id), 0);
    hub_client_destroy(&c);
    assert_int_equal(harness_stop(&p->in, SIGTERM), 0);
    assert_int_equal(s_get_schema(store), 1);
    assert_int_equal(harness_start(&p->in), 0);
}

int main(void)
{
    s_zctx = zmq_ctx_new();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_backup_restore_finds_every_request, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_follower_ahead_of_restored_publisher, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_refusals, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_backup_root, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_schema_versions, s_setup, s_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zmq_ctx_term(s_zctx);
    return rc;
}
