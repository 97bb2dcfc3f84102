/* harness: start real daemons for integration tests, in a temporary
 * directory, on ipc:// endpoints, and wait for their readiness through a
 * NOTIFY_SOCKET the harness owns (sd_notify READY=1), never a sleep. */
#ifndef HUB_HARNESS_H
#define HUB_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hub_client.h"
#include "hub_wire.h"
#include "intake.pb-c.h"
#include "matching.pb-c.h"

typedef struct harness harness_t;
struct harness {
    char dir[256];        /* temp dir: config, sockets, data */
    char config[300];     /* dir/hub.ini */
    char api[320];        /* ipc://dir/<name>-api.sock */
    char pub[320];        /* ipc://dir/<name>-pub.sock */
    char notify[300];     /* dir/notify.sock (a peer: dir/notify-<name>.sock) */
    int notify_fd;
    bool notify_keep;     /* after READY=1 the socket stays bound and is never read
                             again (a supervisor that does not read); default: closed */
    pid_t pid;
    char bin[512];
    char extra[2048];     /* extra INI lines appended to [<name>] */
    char name[32];        /* the daemon: "intake" for harness_init */
    harness_t *base;      /* a peer: the harness owning dir and config; else NULL */
    harness_t *next;      /* the base: its peers, most recent first */
};

/* Makes a temp dir and writes a config for daemon "intake" with extra INI
 * text (may be NULL) appended to its section. 0 or -1. */
int harness_init(harness_t *h, const char *extra_ini);
/* Registers another daemon, name (binary hub-<name>), in base's directory:
 * same temp dir and config file ([hub] data_dir shared, each daemon's store
 * in DATA_DIR/<name>), its own ipc:// api and pub sockets and its own
 * NOTIFY_SOCKET. The config gets a [<name>] section with api, pub,
 * <base>_api and <base>_pub (base's endpoints: how a downstream daemon
 * finds its upstream, e.g. [matching] intake_api / intake_pub) and the
 * extra INI text (may be NULL). base must outlive h; call harness_fini on
 * h before base (base's harness_fini kills peers still registered).
 * 0 or -1. */
int harness_init_peer(harness_t *h, harness_t *base, const char *name, const char *extra_ini);
/* Rewrites the shared config from the base and every peer's current
 * fields (e.g. after changing h->extra; takes effect at the next start).
 * Any harness of the directory may be given. 0 or -1. */
int harness_write_config(harness_t *h);
/* Starts the daemon and waits (deadline 15 s) for READY=1; then closes
 * the notify socket, unless h->notify_keep. 0 or -1. */
int harness_start(harness_t *h);
/* Sends sig and waits (deadline 15 s) for the process to end. Returns its
 * exit status (or 128+signal), -1 if it did not end. */
int harness_stop(harness_t *h, int sig);
/* Stops the daemon if running; the base (or a lone harness) also stops
 * its peers still registered and removes the temp dir, a peer only
 * unregisters from its base. */
void harness_fini(harness_t *h);

/* Path of a binary in $BUILD/bin (default build/bin). Static buffer. */
const char *harness_bin(const char *name);

/* Fills a valid elderly-care help request (arena-owned) with message id mid. */
Intake__SubmitRequest *harness_request(hub_arena_t *a, const char *channel, const char *mid);

/* intake.update through c (intake's api): action on request id with text
 * (a note, a reason), duplicate_of (NULL: none) and by (NULL: none; an
 * unauthenticated caller names who acts: an operator, or the channel of
 * the requester). 0, or -1 with *err set (the verb in its message). */
int harness_intake_update(hub_client_t *c, const char *id, const char *action, const char *text,
                          const char *dup_of, const char *by, hub_error_t *err);
/* Adds organization id through c (matching's api): a community group (no
 * credit code needed) named name (NULL: "海曙<id>互助社") serving service
 * in area with cap units (available and maximum), then approves it
 * ("资料核验通过") unless approve is false. Returns the org as stored
 * (from the last reply, unpacked into a), or NULL with *err set: the call
 * that was refused (its code and field; the message names the verb), or
 * an answer that is not the org expected (INTERNAL, field "id", or
 * "membership": APPLIED after the add, APPROVED after the approval). */
Matching__Organization *harness_add_org(hub_client_t *c, hub_arena_t *a, const char *id, const char *name,
                                        const char *service, const char *area, uint32_t cap, bool approve,
                                        hub_error_t *err);

/* Waits until pred(arg) is true or deadline_ms passes; polls every 10 ms. */
bool harness_wait(bool (*pred)(void *), void *arg, int deadline_ms);

/* Starts argv[0] (a path; argv NULL-terminated) as a child process that
 * is killed if the test program dies; its stdout and stderr are appended
 * to out_path (NULL: inherited). Returns the pid, or -1. */
pid_t harness_spawn(const char *const argv[], const char *out_path);
/* Sends sig to pid (a child, e.g. from harness_spawn) and waits
 * (deadline 15 s) for it to end. Returns its exit status (or 128+signal),
 * -1 if it did not end (it is then killed with SIGKILL and reaped). */
int harness_kill(pid_t pid, int sig);
/* Waits until file path holds a positive decimal number and a newline
 * (e.g. the port file a test server writes once it listens), or until
 * deadline_ms passes or the child pid (if > 0) exits (it is then reaped).
 * Returns the number, or -1. */
long harness_wait_number_file(const char *path, pid_t pid, int deadline_ms);
/* How many of the n strings marks[] occur in the raw bytes of file path
 * (a store's data.mdb, scanned for personal data left behind), or -1
 * when it cannot be read or is empty. */
int harness_file_holds(const char *path, const char *const marks[], size_t n);

#endif
