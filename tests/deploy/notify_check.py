#!/usr/bin/env python3
"""The sd_notify protocol of a real daemon, seen from systemd's side.

Owns a unix datagram socket, starts the daemon with NOTIFY_SOCKET pointing
at it and WATCHDOG_USEC=2000000, and checks, each with a deadline (no bare
sleeps): READY=1 with a STATUS= naming the api endpoint and MAINPID; then
WATCHDOG=1 pings at about half the watchdog period (at least 3, each gap
between 0.4 and 1.9 s); after a command (CMD, e.g. hubctl status) a STATUS=
line counting commands; on SIGTERM STOPPING=1 and exit 0.
Usage: notify_check.py DIR CMD_JSON -- DAEMON ARGS...
Prints "ok   NAME" / "FAIL NAME: ..." per check; exit 0 when all passed.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time

WATCHDOG_USEC = 2000000
fails = 0


def check(name, ok, why=""):
    global fails
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + why), flush=True)
    if not ok:
        fails += 1
    return ok


def main():
    sep = sys.argv.index("--")
    tmp, cmd = sys.argv[1], json.loads(sys.argv[2])
    daemon = sys.argv[sep + 1:]
    path = os.path.join(tmp, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC=str(WATCHDOG_USEC))
    env.pop("WATCHDOG_PID", None)
    log = open(os.path.join(tmp, "notify-daemon.log"), "w")
    proc = subprocess.Popen(daemon, env=env, stdout=log, stderr=subprocess.STDOUT)
    msgs = []  # (monotonic time, {key: value})

    def wait_for(pred, secs):
        """Reads datagrams until pred(msgs) is true, secs pass, or the daemon
        has exited and nothing more is queued; returns pred's last value."""
        end = time.monotonic() + secs
        while True:
            r = pred(msgs)
            left = end - time.monotonic()
            if r or left <= 0:
                return r
            sock.settimeout(min(left, 0.2))
            try:
                data = sock.recv(4096)
            except socket.timeout:
                if proc.poll() is not None:
                    return pred(msgs)
                continue
            kv = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            msgs.append((time.monotonic(), kv))

    try:
        ready = wait_for(lambda m: next((kv for _, kv in m if kv.get("READY") == "1"), None), 20)
        if check("READY=1", bool(ready), "none within 20 s"):
            check("READY carries STATUS=serving on ...", ready.get("STATUS", "").startswith("serving on "),
                  repr(ready.get("STATUS")))
            check("READY carries MAINPID", ready.get("MAINPID") == str(proc.pid), repr(ready.get("MAINPID")))

        def pings(m):
            t = [at for at, kv in m if kv.get("WATCHDOG") == "1"]
            return t if len(t) >= 4 else None
        t = wait_for(pings, 10)
        if check("WATCHDOG=1 pings (4 within 10 s)", bool(t), "got %d" % len([1 for _, kv in msgs if "WATCHDOG" in kv])):
            gaps = [b - a for a, b in zip(t, t[1:])]
            # half of 2 s: 1 s apart; never as late as the 2 s period (scheduling noise allowed)
            check("pings every ~1 s (half of WATCHDOG_USEC)", all(0.4 <= g <= 1.9 for g in gaps),
                  "gaps %s" % ["%.2f" % g for g in gaps])

        rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        check("a command answered (%s)" % os.path.basename(cmd[0]), rc == 0, "exit %d" % rc)
        st = wait_for(lambda m: next((kv["STATUS"] for _, kv in m
                                      if " commands (" in kv.get("STATUS", "")), None), 12)
        check("STATUS= counts commands after one", bool(st), "statuses seen: %s"
              % [kv["STATUS"] for _, kv in msgs if "STATUS" in kv])

        proc.send_signal(signal.SIGTERM)
        stop = wait_for(lambda m: any(kv.get("STOPPING") == "1" for _, kv in m), 15)
        check("STOPPING=1 on SIGTERM", stop, "not within 15 s")
        try:
            rc = proc.wait(15)
        except subprocess.TimeoutExpired:
            rc = None
        check("exit 0 after SIGTERM", rc == 0, "exit %r" % rc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sock.close()
    if fails:
        print(open(os.path.join(tmp, "notify-daemon.log")).read())
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
