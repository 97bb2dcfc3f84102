/* hubctl_backup: "backup DIR" asks every configured daemon for an online
 * copy of its store (hub.backup, written on the daemon's host) and
 * "restore DIR" puts such copies back as the stores of stopped daemons
 * on this host (hub_backup_restore). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "hub_backup.h"
#include "hub_util.h"
#include "table.h"

#define BACKUP_WAIT_MS 600000 /* default reply deadline of one daemon's copy (large stores) */

const char ctl_backup_usage[] =
    "  backup DIR [--daemon NAME] [--wait MS]\n"
    "                                    online compacted copy of each daemon's store into\n"
    "                                    DIR/<daemon>/ ON THE DAEMON'S HOST (absolute path,\n"
    "                                    DIR/<daemon> must not exist; --wait: deadline per\n"
    "                                    daemon, default 600000)\n"
    "  restore DIR [--daemon NAME] [--data-dir D]\n"
    "                                    put DIR/<daemon>/data.mdb back as each STOPPED\n"
    "                                    daemon's store in D/<daemon>/ (default [hub] data_dir);\n"
    "                                    the old store is kept as data.mdb.pre-restore-<time>\n";

/* The daemons to act on: --daemon NAME (must be configured), else every
 * configured one. Followers come first (reverse order of c->daemons): a
 * follower's backed-up cursor is then never ahead of its publisher's
 * backed-up sequence. *n set; EXIT_OK or EXIT_USAGE. */
static int s_targets(const ctl_t *c, const char *only, const char **out, int *n)
{
    *n = 0;
    for (int i = c->n_daemons - 1; i >= 0; i--)
        if (!only || !strcmp(only, c->daemons[i])) out[(*n)++] = c->daemons[i];
    if (only && !*n) {
        fprintf(stderr, "hubctl: --daemon %s: not a configured daemon\n", only);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* Parses "DIR [--daemon NAME] [--wait MS] [--data-dir D]" (with_data_dir:
 * restore's options; else backup's). EXIT_OK or EXIT_USAGE. */
static int s_args(ctl_t *c, int argc, char **argv, bool restore, const char **dir, const char **only,
                  uint32_t *wait_ms, const char **data_dir)
{
    static const struct option bopts[] = {{"daemon", 1, 0, 'd'}, {"wait", 1, 0, 'w'}, {0, 0, 0, 0}};
    static const struct option ropts[] = {{"daemon", 1, 0, 'd'}, {"data-dir", 1, 0, 'D'}, {0, 0, 0, 0}};
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    if (ctl_collect(c, argc, argv, restore ? ropts : bopts, &ops, &n_ops, &pos, &n_pos)) return EXIT_USAGE;
    if (n_pos != 1 || !*pos[0]) return ctl_usage();
    *dir = pos[0];
    const ctl_op_t *o;
    *only = (o = ctl_op(ops, n_ops, 'd')) ? o->arg : NULL;
    if (data_dir) *data_dir = (o = ctl_op(ops, n_ops, 'D')) ? o->arg : NULL;
    if (wait_ms && (o = ctl_op(ops, n_ops, 'w')) && ctl_opt_u32("wait", o->arg, 1, UINT32_MAX, wait_ms))
        return EXIT_USAGE;
    return EXIT_OK;
}

static const char *s_u64(ctl_t *c, uint64_t v) { return ctl_fmt(c, "%llu", (unsigned long long)v); }

/* "backup DIR": one hub.backup per daemon, one after the other; a table
 * (or JSON lines). Exit 0 when every daemon made its copy, else the first
 * failure's code (1 refused, 3 unreachable). */
static int cmd_backup(ctl_t *c, int argc, char **argv)
{
    const char *dir, *only, *names[CTL_MAX_DAEMONS];
    uint32_t wait_ms = BACKUP_WAIT_MS;
    int n, rc = s_args(c, argc, argv, false, &dir, &only, &wait_ms, NULL);
    if (rc || (rc = s_targets(c, only, names, &n))) return rc;
    int worst = EXIT_OK, timeout = c->timeout_ms;
    table_t *t = c->json ? NULL : table_new(7, "DAEMON", "RESULT", "PATH", "BYTES", "EPOCH", "LAST SEQ", "SCHEMA");
    for (int i = 0; i < n; i++) {
        /* a short status call first: an unreachable daemon fails fast, not after --wait */
        Hub__StatusRequest sreq = HUB__STATUS_REQUEST__INIT;
        ProtobufCMessage *rep;
        hub_error_t err;
        rc = ctl_call_err(c, names[i], "hub.status", &sreq.base, &hub__status_reply__descriptor, &rep, &err);
        if (rc == EXIT_OK) {
            Hub__BackupRequest req = HUB__BACKUP_REQUEST__INIT;
            req.dir = (char *)dir;
            c->timeout_ms = (int)(wait_ms > INT32_MAX ? INT32_MAX : wait_ms);
            rc = ctl_call_err(c, names[i], "hub.backup", &req.base, &hub__backup_reply__descriptor, &rep, &err);
            c->timeout_ms = timeout;
        }
        const char *result = rc == EXIT_OK ? "ok"
                             : rc == CTL_REFUSED ? hub_error_code_name(err.code)
                             : rc == EXIT_UNREACHABLE ? "unreachable" : "failed";
        if (rc != EXIT_OK && worst == EXIT_OK) worst = rc == CTL_REFUSED ? EXIT_REFUSED : rc;
        Hub__BackupReply *b = rc == EXIT_OK ? (Hub__BackupReply *)rep : NULL;
        if (c->json) {
            json_t *j = json_pack("{s:s,s:s}", "daemon", names[i], "result", result);
            if (b) {
                json_object_set_new(j, "path", json_string(b->path));
                json_object_set_new(j, "bytes", json_integer((json_int_t)b->bytes));
                json_object_set_new(j, "epoch", json_string(s_u64(c, b->epoch)));
                json_object_set_new(j, "last_seq", json_integer((json_int_t)b->last_seq));
                json_object_set_new(j, "schema_version", json_integer(b->schema_version));
                json_object_set_new(j, "duration_ms", json_integer(b->duration_ms));
            } else if (rc == CTL_REFUSED) {
                json_object_set_new(j, "message", json_string(err.message));
            }
            json_dumpf(j, stdout, JSON_COMPACT);
            putchar('\n');
            json_decref(j);
        } else if (b) {
            table_row(t, names[i], result, b->path, s_u64(c, b->bytes), s_u64(c, b->epoch), s_u64(c, b->last_seq),
                      ctl_fmt(c, "%u", b->schema_version));
        } else {
            table_row(t, names[i], result, rc == CTL_REFUSED ? err.message : "", "", "", "", "");
        }
    }
    if (!c->json) table_print(t, stdout);
    return worst;
}

/* "restore DIR": for each daemon with a copy in DIR, hub_backup_restore
 * into its store directory; refused for a daemon that runs. Exit 0 when
 * every copy found was restored (and at least one was found), else 1. */
static int cmd_restore(ctl_t *c, int argc, char **argv)
{
    const char *dir, *only, *data_dir, *names[CTL_MAX_DAEMONS];
    int n, rc = s_args(c, argc, argv, true, &dir, &only, NULL, &data_dir);
    if (rc || (rc = s_targets(c, only, names, &n))) return rc;
    if (!data_dir) data_dir = hub_config_get(c->cfg, "hub", "data_dir", "./var");
    int worst = EXIT_OK, found = 0;
    table_t *t = c->json ? NULL : table_new(6, "DAEMON", "RESULT", "STORE", "EPOCH (NEW)", "LAST SEQ", "OLD STORE KEPT AS");
    for (int i = 0; i < n; i++) {
        const char *src = ctl_fmt(c, "%s/%s", dir, names[i]);
        const char *store = ctl_fmt(c, "%s/%s", data_dir, names[i]);
        struct stat st;
        if (stat(ctl_fmt(c, "%s/data.mdb", src), &st)) {
            if (only) { fprintf(stderr, "hubctl: %s: no backup of %s there\n", src, names[i]); return EXIT_REFUSED; }
            continue; /* not in this backup */
        }
        found++;
        hub_backup_info_t info;
        hub_error_t err = {0};
        int failed = hub_backup_restore(src, store, names[i], &info, &err);
        const char *result = failed ? hub_error_code_name(err.code) : "restored";
        if (failed) {
            worst = EXIT_REFUSED;
            fprintf(stderr, "hubctl: %s: %s\n", names[i], err.message);
        }
        if (c->json) {
            json_t *j = json_pack("{s:s,s:s,s:s}", "daemon", names[i], "result", result, "store", store);
            if (!failed) {
                json_object_set_new(j, "epoch", json_string(s_u64(c, info.epoch)));
                json_object_set_new(j, "parent_epoch", json_string(s_u64(c, info.parent_epoch)));
                json_object_set_new(j, "last_seq", json_integer((json_int_t)info.last_seq));
                json_object_set_new(j, "schema_version", json_integer(info.schema_version));
                json_object_set_new(j, "aside", json_string(info.aside));
            } else {
                json_object_set_new(j, "message", json_string(err.message));
            }
            json_dumpf(j, stdout, JSON_COMPACT);
            putchar('\n');
            json_decref(j);
        } else {
            table_row(t, names[i], result, store, failed ? "" : s_u64(c, info.epoch),
                      failed ? "" : s_u64(c, info.last_seq), failed ? "" : info.aside);
        }
    }
    if (!c->json) table_print(t, stdout);
    if (!found) {
        fprintf(stderr, "hubctl: %s holds no backup of %s\n", dir, only ? only : "any configured daemon");
        return EXIT_REFUSED;
    }
    return worst;
}

const ctl_command_t ctl_backup_commands[] = {
    {"backup", cmd_backup},
    {"restore", cmd_restore},
    {NULL, NULL},
};
