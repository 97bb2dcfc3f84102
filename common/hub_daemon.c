#include "hub_daemon.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "hub_log.h"
#include "hub_metrics.h"
#include "hub_notify.h"
#include "hub_util.h"
#include "version.h"

#define EXIT_CONFIG 78 /* EX_CONFIG: systemd RestartPreventExitStatus */
#define STATUS_MS 5000 /* how often systemd's STATUS= line is refreshed (when it changed):
                          [hub] status_notify_ms, [<daemon>] status_notify_ms overrides */
#define STATUS_MS_MIN 10
#define STATUS_MS_MAX 3600000

typedef struct {
    hub_daemon_t *d;
    const hub_service_t *svc;
    void *ctx;
    uv_signal_t sigint, sigterm, sighup;
    uv_timer_t watchdog, status;
    hub_metrics_t *metrics;   /* [name] metrics: the Prometheus endpoint, or NULL */
    const char *api;          /* borrowed from the config: named in STATUS= */
    uint64_t status_commands, status_errors, status_seq; /* what STATUS= said last */
    uint64_t notify_dropped;  /* hub_notify_dropped() already in notify_dropped_total */
    int stopping;
    int started;     /* svc->start succeeded */
} run_t;

MDB_dbi hub_daemon_db(const hub_daemon_t *d, int i) { return d->store->dbs[i + 1]; }

static void s_usage(const hub_service_t *svc, FILE *out)
{
    fprintf(out,
            "Usage: hub-%s [options]\n%s\n\n"
            "  -c, --config FILE     INI configuration (default: embedded defaults)\n"
            "  -d, --data-dir DIR    data directory (overrides [hub] data_dir)\n"
            "  -t, --check-config    check the configuration and exit (0 ok, 78 bad)\n"
            "  -l, --log-level L     error|warn|info|debug\n"
            "  -V, --version         print the version and exit\n"
            "  -h, --help            this help\n",
            svc->name, svc->summary);
}

static void s_close_cb(uv_handle_t *h) { (void)h; }

/* Brings the counter notify_dropped_total up to hub_notify_dropped()
 * (this loop's updates and the store rewrite's pings alike). Loop thread. */
static void s_notify_count(run_t *r)
{
    uint64_t dropped = hub_notify_dropped();
    if (!r->d->rpc || dropped == r->notify_dropped) return;
    hub_rpc_count(r->d->rpc, "notify_dropped_total", dropped - r->notify_dropped);
    r->notify_dropped = dropped;
}

static void s_stop(run_t *r)
{
    if (r->stopping++) return;
    hub_info("stopping");
    hub_notify_send("STOPPING=1\nSTATUS=stopping");
    hub_metrics_destroy(&r->metrics); /* before the command server its scrapes ask */
    if (r->svc->stop && r->started) r->svc->stop(r->ctx);
    r->started = 0;
    hub_rpc_destroy(&r->d->rpc);   /* no more commands; the last batch already committed */
    hub_auth_destroy(&r->d->auth);
    uv_close((uv_handle_t *)&r->sigint, s_close_cb);
    uv_close((uv_handle_t *)&r->sigterm, s_close_cb);
    uv_close((uv_handle_t *)&r->sighup, s_close_cb);
    uv_close((uv_handle_t *)&r->watchdog, s_close_cb);
    uv_close((uv_handle_t *)&r->status, s_close_cb);
}

/* hub_auth_changed_fn: the principals changed (file watch or SIGHUP).
 * Commands look the key up each time; open event sessions were authorized
 * at their handshake, so the PUB socket is bound again (ZAP runs anew). */
static void s_principals_changed(hub_auth_t *auth, void *arg)
{
    (void)auth;
    hub_daemon_t *d = arg;
    hub_error_t err = {0};
    if (d->rpc && hub_rpc_rebind_pub(d->rpc, &err)) hub_err("reload: events: %s", err.message);
}

static void s_signal_cb(uv_signal_t *h, int signum)
{
    run_t *r = h->data;
    if (signum == SIGHUP) {
        hub_error_t err = {0};
        if (!r->d->auth) return;
        if (hub_auth_reload(r->d->auth, &err)) { hub_err("reload: %s", err.message); return; }
        s_principals_changed(r->d->auth, r->d);
        return;
    }
    s_stop(r);
}

/* Pings systemd's watchdog from the loop, so a loop that hangs stops
 * pinging (a ping that cannot be sent at once is dropped, never waited for). */
static void s_watchdog_cb(uv_timer_t *t)
{
    hub_notify_send("WATCHDOG=1");
    s_notify_count(t->data);
}

/* Tells systemd (STATUS=, shown by systemctl status) what the daemon has
 * done, when that changed since the last time: commands handled, how many
 * were refused, the last event sequence. */
static void s_status_cb(uv_timer_t *t)
{
    run_t *r = t->data;
    if (!r->d->rpc) return;
    uint64_t cmds = hub_rpc_counter(r->d->rpc, "commands_total");
    uint64_t errs = hub_rpc_counter(r->d->rpc, "errors_total");
    uint64_t seq = r->d->outbox.last_seq;
    if (cmds == r->status_commands && errs == r->status_errors && seq == r->status_seq) return;
    r->status_commands = cmds;
    r->status_errors = errs;
    r->status_seq = seq;
    hub_notify_sendf("STATUS=serving on %s: %llu commands (%llu refused), last event %llu", r->api,
                     (unsigned long long)cmds, (unsigned long long)errs, (unsigned long long)seq);
    s_notify_count(r);
}

/* Reads [name] curve and key settings; secret is set when CURVE is on. */
static int s_curve(hub_daemon_t *d, char secret[41], hub_error_t *err)
{
    if (!hub_config_get_bool(d->cfg, d->name, "curve", false)) return 0;
    const char *sk = hub_config_get(d->cfg, d->name, "curve_secret_key_file", NULL);
    const char *pf = hub_config_get(d->cfg, d->name, "principals_file", NULL);
    if (!sk || !pf)
        return hub_error_set(err, HUB__ERROR_CODE__INVALID_ARGUMENT, "",
                             "[%s] curve = on needs curve_secret_key_file and principals_file",
                             d->name);
    if (hub_auth_read_key(sk, secret, err)) return -1;
    hub_principal_t *list;
    size_t n;
    if (hub_auth_load_file(pf, &list, &n, err)) return -1;
    free(list);
    return 1;
}

int hub_daemon_main(const hub_service_t *svc, int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'}, {"data-dir", required_argument, 0, 'd'},
        {"check-config", no_argument, 0, 't'}, {"log-level", required_argument, 0, 'l'},
        {"version", no_argument, 0, 'V'},      {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *config = NULL, *data_dir = NULL, *level = NULL;
    int check = 0, c, rc = 1;
    while ((c = getopt_long(argc, argv, "c:d:tl:Vh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'd': data_dir = optarg; break;
        case 't': check = 1; break;
        case 'l': level = optarg; break;
        case 'V': printf("hub-%s %s\n", svc->name, HUB_VERSION); return 0;
        case 'h': s_usage(svc, stdout); return 0;
        default: s_usage(svc, stderr); return 2;
        }
    }
    if (optind < argc) { s_usage(svc, stderr); return 2; }

    hub_daemon_t d = {0};
    run_t run = {0};
    run.d = &d;
    run.svc = svc;
    hub_error_t err = {0};
    d.name = svc->name;
    d.cfg = hub_config_new();
    if (config && hub_config_load_file(d.cfg, config, &err)) goto config_fail;
    if (data_dir) hub_config_set(d.cfg, "hub", "data_dir", data_dir);
    if (!level) level = hub_config_get(d.cfg, svc->name, "log_level",
                                       hub_config_get(d.cfg, "hub", "log_level", "info"));
    int lvl = hub_log_level_parse(level);
    if (lvl < 0) { hub_error_set(&err, HUB__ERROR_CODE__INVALID_ARGUMENT, "", "bad log level %s", level); goto config_fail; }
    hub_log_init(svc->name, lvl);
    snprintf(d.data_dir, sizeof d.data_dir, "%s/%s",
             hub_config_get(d.cfg, "hub", "data_dir", "./var"), svc->name);
    const char *api = hub_config_get(d.cfg, svc->name, "api", NULL);
    const char *pub = hub_config_get(d.cfg, svc->name, "pub", NULL);
    if (!api || !pub) {
        hub_error_set(&err, HUB__ERROR_CODE__INVALID_ARGUMENT, "", "[%s] needs api and pub endpoints", svc->name);
        goto config_fail;
    }
    char secret[41] = "";
    int curve = s_curve(&d, secret, &err);
    if (curve < 0) goto config_fail;
    if (!curve && (!hub_endpoint_is_local(api) || !hub_endpoint_is_local(pub))) {
        hub_error_set(&err, HUB__ERROR_CODE__FAILED_PRECONDITION, "",
                      "[%s] refusing non-loopback endpoints without curve = on", svc->name);
        goto config_fail;
    }
    const char *metrics = hub_config_get(d.cfg, svc->name, "metrics", "");
    if (*metrics && hub_metrics_check(metrics, &err)) {
        char why[sizeof err.message];
        memcpy(why, err.message, sizeof why);
        hub_error_set(&err, HUB__ERROR_CODE__INVALID_ARGUMENT, "metrics", "[%s] %s", svc->name, why);
        goto config_fail;
    }
    long status_ms = hub_config_get_int(d.cfg, svc->name, "status_notify_ms",
                                        hub_config_get_int(d.cfg, "hub", "status_notify_ms", STATUS_MS));
    if (status_ms < STATUS_MS_MIN || status_ms > STATUS_MS_MAX) {
        hub_error_set(&err, HUB__ERROR_CODE__INVALID_ARGUMENT, "status_notify_ms",
                      "status_notify_ms must be %d..%d (ms)", STATUS_MS_MIN, STATUS_MS_MAX);
        goto config_fail;
    }
    if (check) {
        if (svc->init(&d, 1, &run.ctx, &err)) goto config_fail;
        if (svc->fini) svc->fini(run.ctx);
        printf("hub-%s: configuration ok\n", svc->name);
        hub_config_destroy(&d.cfg);
        return 0;
    }

    /* before any thread: the sender is the process's */
    if (hub_notify_open()) hub_warn("NOTIFY_SOCKET \"%s\" unusable (%s): no readiness or status is sent",
                                    getenv("NOTIFY_SOCKET"), strerror(errno));
    size_t map_mb = (size_t)hub_config_get_int(d.cfg, svc->name, "map_size_mb",
                                               hub_config_get_int(d.cfg, "hub", "map_size_mb", 1024));
    const char *names[HUB_STORE_MAX_DBS + 1] = {"outbox"};
    for (int i = 0; svc->db_names && svc->db_names[i] && i < HUB_STORE_MAX_DBS - 1; i++)
        names[i + 1] = svc->db_names[i];
    char owner[64];
    snprintf(owner, sizeof owner, "hub-%s", svc->name);
    const hub_store_schema_t schema = {svc->schema_version ? svc->schema_version : 1, svc->migrate, NULL, owner};
    if (!(d.store = hub_store_open_schema(d.data_dir, map_mb << 20, names, &schema, &err))) {
        if (err.code == HUB__ERROR_CODE__FAILED_PRECONDITION && !strcmp(err.field, HUB_STORE_SCHEMA_FIELD)) {
            hub_err("%s", err.message);
            rc = HUB_EXIT_SCHEMA;
            goto cleanup;
        }
        goto fail;
    }
    if ((c = hub_outbox_init(&d.outbox, d.store, d.store->dbs[0], svc->name))) {
        hub_error_set(&err, HUB__ERROR_CODE__INTERNAL, "", "outbox: %s", mdb_strerror(c));
        goto fail;
    }
    if (svc->init(&d, 0, &run.ctx, &err)) goto config_fail;

    d.loop = uv_default_loop();
    d.zctx = zmq_ctx_new();
    if (curve) {
        d.auth = hub_auth_new(d.loop, d.zctx,
                              hub_config_get(d.cfg, svc->name, "principals_file", ""), &err);
        if (!d.auth) goto fail;
    }
    d.rpc = hub_rpc_new(d.loop, d.zctx, svc->name, d.store, &d.outbox, svc->handlers, run.ctx);
    hub_rpc_set_auth(d.rpc, d.auth);
    hub_rpc_set_backup_root(d.rpc, hub_config_get(d.cfg, "hub", "backup_dir", ""));
    if (d.auth && hub_auth_watch(d.auth, (int)hub_config_get_int(d.cfg, "hub", "principals_poll_ms", 500),
                                 s_principals_changed, &d, &err))
        goto fail;
    if (hub_rpc_bind(d.rpc, api, curve ? secret : NULL, &err)) goto fail;
    const char *admin = hub_config_get(d.cfg, svc->name, "admin", NULL);
    if (admin && *admin && hub_rpc_bind(d.rpc, admin, NULL, &err)) goto fail;
    if (hub_rpc_bind_pub(d.rpc, pub, curve ? secret : NULL,
                         (int)hub_config_get_int(d.cfg, "hub", "heartbeat_ms", 1000), &err))
        goto fail;

    if (svc->start) {
        if (svc->start(&d, run.ctx, &err)) goto fail;
        run.started = 1;
    }
    if (*metrics) {
        const char *self_ep = hub_rpc_self_endpoint(d.rpc, &err);
        if (!self_ep || !(run.metrics = hub_metrics_new(d.zctx, metrics, self_ep, &err))) goto fail;
    }
    uv_signal_init(d.loop, &run.sigint);
    uv_signal_init(d.loop, &run.sigterm);
    uv_signal_init(d.loop, &run.sighup);
    run.sigint.data = run.sigterm.data = run.sighup.data = &run;
    uv_signal_start(&run.sigint, s_signal_cb, SIGINT);
    uv_signal_start(&run.sigterm, s_signal_cb, SIGTERM);
    uv_signal_start(&run.sighup, s_signal_cb, SIGHUP);
    uv_timer_init(d.loop, &run.watchdog);
    run.watchdog.data = &run;
    uint64_t wd_usec = hub_notify_watchdog_usec(); /* WATCHDOG_USEC (for this pid): ping at half of it */
    if (wd_usec) {
        uint64_t half_ms = wd_usec / 2000 ? wd_usec / 2000 : 1;
        uv_timer_start(&run.watchdog, s_watchdog_cb, half_ms, half_ms);
    }
    run.api = api;
    uv_timer_init(d.loop, &run.status);
    run.status.data = &run;
    uv_timer_start(&run.status, s_status_cb, (uint64_t)status_ms, (uint64_t)status_ms);
    hub_rpc_count(d.rpc, "notify_dropped_total", 0); /* listed from the start */

    hub_info("hub-%s %s: store %s (epoch %llu, last seq %llu), api %s%s%s, events %s%s%s%s",
             svc->name, HUB_VERSION, d.data_dir, (unsigned long long)d.outbox.epoch,
             (unsigned long long)d.outbox.last_seq, api, admin && *admin ? ", admin " : "",
             admin && *admin ? admin : "", pub, curve ? " (CURVE)" : "", *metrics ? ", metrics http://" : "",
             *metrics ? metrics : "");
    hub_notify_sendf("READY=1\nSTATUS=serving on %s: last event %llu\nMAINPID=%lu", api,
                     (unsigned long long)d.outbox.last_seq, (unsigned long)getpid());
    s_notify_count(&run);
    uv_run(d.loop, UV_RUN_DEFAULT);
    rc = 0;
    goto cleanup;

config_fail:
    hub_err("configuration: %s", err.message);
    rc = EXIT_CONFIG;
    goto cleanup;
fail:
    hub_err("%s", err.message);
    rc = 1;
cleanup:
    hub_metrics_destroy(&run.metrics); /* its socket must close before the context */
    if (d.rpc || d.auth) {
        /* failed after the loop was set up: close handles before the loop ends */
        if (svc->stop && run.started) svc->stop(run.ctx);
        hub_rpc_destroy(&d.rpc);
        hub_auth_destroy(&d.auth);
        uv_run(d.loop, UV_RUN_NOWAIT);
    }
    if (d.loop) uv_loop_close(d.loop);
    if (svc->fini && run.ctx) svc->fini(run.ctx);
    hub_outbox_fini(&d.outbox);
    hub_store_close(&d.store);
    if (d.zctx) zmq_ctx_term(d.zctx);
    hub_notify_close();
    hub_config_destroy(&d.cfg);
    if (!rc) hub_info("stopped");
    return rc;
}
