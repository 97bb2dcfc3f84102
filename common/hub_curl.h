/* hub_curl: libcurl's multi interface driven by a libuv loop, so HTTP and
 * SMTP transfers run without ever blocking the loop (a slow receiver only
 * holds its own transfer). curl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION -> uv_poll) and when to wake it
 * (CURLMOPT_TIMERFUNCTION -> uv_timer); every finished transfer is handed
 * to its done callback on the loop thread. */
#ifndef HUB_CURL_H
#define HUB_CURL_H

#include <curl/curl.h>
#include <uv.h>

typedef struct hub_curl hub_curl_t;

/* Called on the loop thread when a transfer ends (rc = its CURLcode). The
 * easy handle is already out of the multi handle: the callback owns it
 * (and whatever arg is) and must curl_easy_cleanup it. */
typedef void (*hub_curl_done_fn)(CURL *easy, CURLcode rc, void *arg);

/* Creates the driver on loop (borrowed), keeping up to max_connects
 * connections open for reuse (0 = libcurl's default). Caller owns the
 * result. NULL on failure. */
hub_curl_t *hub_curl_new(uv_loop_t *loop, unsigned max_connects);
/* Starts the transfer easy (ownership passes to the driver until done is
 * called with it). 0, or -1 (easy still the caller's). */
int hub_curl_add(hub_curl_t *self, CURL *easy, hub_curl_done_fn done, void *arg);
/* Lets libcurl act on what was just added now (connect, send on a kept
 * connection) instead of on the loop's next turn, where a long callback
 * (e.g. a commit) may come first. May call done callbacks. Not from
 * within a done callback. */
void hub_curl_kick(hub_curl_t *self);
/* Transfers running. */
unsigned hub_curl_running(const hub_curl_t *self);
/* Aborts the running transfers (their connections are cut first, so a
 * receiver never takes a message cut short as complete), calling done for
 * each with CURLE_ABORTED_BY_CALLBACK, closes the handles (the loop must run once
 * more to finish closing them) and frees self. *self_p = NULL. */
void hub_curl_destroy(hub_curl_t **self_p);

#endif
