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

typedef struct {
    char dir[256];        /* temp dir: config, sockets, data */
    char config[300];     /* dir/hub.ini */
    char api[320];        /* ipc://dir/intake-api.sock */
    char pub[320];        /* ipc://dir/intake-pub.sock */
    char notify[300];     /* dir/notify.sock */
    int notify_fd;
    pid_t pid;
    char bin[512];
    char extra[2048];     /* extra INI lines appended to [intake] */
} harness_t;

/* Makes a temp dir and writes a config for daemon "intake" with extra INI
 * text (may be NULL) appended to its section. 0 or -1. */
int harness_init(harness_t *h, const char *extra_ini);
/* Starts the daemon and waits (deadline 15 s) for READY=1. 0 or -1. */
int harness_start(harness_t *h);
/* Sends sig and waits (deadline 15 s) for the process to end. Returns its
 * exit status (or 128+signal), -1 if it did not end. */
int harness_stop(harness_t *h, int sig);
/* Stops the daemon if running and removes the temp dir. */
void harness_fini(harness_t *h);

/* Path of a binary in $BUILD/bin (default build/bin). Static buffer. */
const char *harness_bin(const char *name);

/* Fills a valid elderly-care help request (arena-owned) with message id mid. */
Intake__SubmitRequest *harness_request(hub_arena_t *a, const char *channel, const char *mid);

/* Waits until pred(arg) is true or deadline_ms passes; polls every 10 ms. */
bool harness_wait(bool (*pred)(void *), void *arg, int deadline_ms);

#endif
