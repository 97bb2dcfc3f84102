/* hub_notify: systemd's notification protocol (sd_notify(3): READY=1,
 * STATUS=..., WATCHDOG=1, STOPPING=1), sent so that it never blocks.
 *
 * The supervisor (systemd, or a test) names a unix datagram socket in
 * NOTIFY_SOCKET: a path, or "@name" for the abstract namespace. One whose
 * reader stops reading fills up (net.unix.max_dgram_qlen, 10 datagrams by
 * default), and a blocking sendmsg (libsystemd's sd_notify) then stalls
 * the daemon's loop. Here every datagram is sent with MSG_DONTWAIT from a
 * non-blocking socket: one that does not fit is dropped and counted, never
 * waited for. A dropped STATUS= is said again, up to date, by the next
 * one; a dropped WATCHDOG=1 by the next ping (half a period later).
 *
 * NOTIFY_SOCKET is the process's, so is the sender: hub_notify_open once
 * at start (before any other thread), then hub_notify_send from any
 * thread, hub_notify_close at the end. Without NOTIFY_SOCKET (a daemon run
 * by hand, a unit test) every send is a no-op. The environment is left as
 * it is (children started by tests inherit it on purpose). */
#ifndef HUB_NOTIFY_H
#define HUB_NOTIFY_H

#include <stdint.h>

/* Opens the socket named by NOTIFY_SOCKET (if set). 0: ready, or nothing
 * to send to; -1 with errno: NOTIFY_SOCKET is malformed (not "/..." nor
 * "@...", or too long: EINVAL) or no socket could be made; every send is
 * then a no-op. Opening again closes the previous socket first. */
int hub_notify_open(void);
/* Sends text (e.g. "READY=1\nSTATUS=serving") as one datagram. 1 sent;
 * 0 nothing to send to (not open); -1 not sent: the queue was full
 * (EAGAIN) or the reader is gone, counted in hub_notify_dropped. Never
 * blocks. Thread-safe once open. */
int hub_notify_send(const char *text);
/* hub_notify_send of a formatted line (at most 1023 bytes: longer text is
 * cut). */
int hub_notify_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Datagrams dropped since the process started. */
uint64_t hub_notify_dropped(void);
/* WATCHDOG_USEC when it is meant for this process (WATCHDOG_PID unset or
 * this pid) and a positive number, else 0 (no watchdog). */
uint64_t hub_notify_watchdog_usec(void);
/* Closes the socket; later sends are no-ops. */
void hub_notify_close(void);

#endif
