#!/usr/bin/python3
"""A webhook / SMS-gateway receiver for tests: a real HTTP server on 127.0.0.1.

Usage:
  http_receiver.py --log FILE [--port-file FILE] [--port N] [--secret S]
                   [--mode MODE] [--control FILE] [--reject-bad-signature]

  --log FILE        one JSON line per POST is appended here (never truncated)
  --port-file FILE  written atomically (tmp + rename) with "PORT\\n" once listening
  --port N          bind this port (default 0: an ephemeral one); retries for
                    5 s while the port is still in use (a receiver restarting)
  --secret S        verify X-Hub-Signature-256 = "sha256=" + lowercase hex
                    HMAC-SHA256(S, raw body); without it signature_ok is null
  --mode MODE       ok | fail | down-until-N | hang | hang-once | slow:MS  (default ok)
  --control FILE    if FILE exists and is not empty, its content (a MODE)
                    overrides --mode for each new request
  --reject-bad-signature  answer 401 (key not stored) when the signature is wrong

Modes: ok = 200; fail = 500; down-until-N = 503 to the first N requests,
then 200; hang = every request is logged (status 0) and never answered;
hang-once = the first request is logged (status 0) and never
answered (its connection closes when the process stops), then 200;
slow:MS = wait MS ms, then 200. "First" counts the requests seen under that
exact mode text since this process started (also when set by --control).

Each POST (any path): the status is chosen by the mode; a 200 stores the
Idempotency-Key, and a key already stored is answered 200 again but logged
"duplicate": true. A 5xx or 401 does not store the key (the request was not
processed). hang-once stores the key of the request it never answers.
The key store is rebuilt from --log at startup, so a receiver restarted on
the same log still knows the keys delivered before.

GET /stats -> {"requests", "unique", "duplicates", "bad_signatures", "failed",
"hung"}, counted over every request line of --log. SIGTERM/SIGINT: exit 0.
"""

import argparse
import errno
import hashlib
import hmac
import json
import os
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE_RE = re.compile(r"^(ok|fail|hang|hang-once|down-until-(\d+)|slow:(\d+))$")


def write_port_file(path, port):
    """Write the port number to path atomically (tmp file, fsync, rename)."""
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class JsonLog:
    """Append-only JSON-lines file; each line is written, flushed and fsynced whole."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.f = open(path, "a", encoding="utf-8")

    def write(self, record):
        """Append one record as a single line."""
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self.lock:
            self.f.write(line)
            self.f.flush()
            os.fsync(self.f.fileno())

    def read_existing(self):
        """Return the records already in the file (lines that do not parse are skipped)."""
        out = []
        try:
            with open(self.path, encoding="utf-8") as f:
                for line in f:
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass
        except FileNotFoundError:
            pass
        return out


class State:
    """What the receiver remembers: idempotency keys, counters, per-mode hits."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.log = JsonLog(args.log)
        self.keys = set()
        self.stats = {"requests": 0, "unique": 0, "duplicates": 0,
                      "bad_signatures": 0, "failed": 0, "hung": 0}
        self.mode_hits = {}
        existing = self.log.read_existing()
        for rec in existing:
            self.count(rec)
        self.seq = len(existing)  # seq = the line's number in the log

    def count(self, rec):
        """Update keys and counters for one logged request (lock held or at startup)."""
        self.stats["requests"] += 1
        status = rec.get("status")
        if rec.get("signature_ok") is False:
            self.stats["bad_signatures"] += 1
        if rec.get("duplicate"):
            self.stats["duplicates"] += 1
        elif status in (0, 200):
            self.stats["unique"] += 1
            if rec.get("key") is not None:
                self.keys.add(rec["key"])
        if status == 0:
            self.stats["hung"] += 1
        elif isinstance(status, int) and status >= 500:
            self.stats["failed"] += 1

    def current_mode(self):
        """The control file's mode if it holds a valid one, else --mode."""
        path = self.args.control
        if path:
            try:
                with open(path) as f:
                    text = f.read().strip()
            except OSError:
                text = ""
            if text:
                if MODE_RE.match(text):
                    return text
                print("http_receiver: ignoring invalid mode %r in %s" % (text, path),
                      file=sys.stderr)
        return self.args.mode


class Handler(BaseHTTPRequestHandler):
    """One request: POST is a delivery, GET /stats the counters."""

    protocol_version = "HTTP/1.1"  # keep-alive and Expect: 100-continue

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    def read_body(self):
        """The raw request body (Content-Length or chunked)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def reply(self, status, obj):
        """Send a JSON answer."""
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        st = self.server.state
        if self.path.split("?")[0] == "/stats":
            with st.lock:
                self.reply(200, dict(st.stats))
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        st = self.server.state
        raw = self.read_body()
        received_ms = int(time.time() * 1000)
        key = self.headers.get("Idempotency-Key")
        sig_ok = None
        if st.args.secret is not None:
            want = "sha256=" + hmac.new(st.args.secret.encode(), raw, hashlib.sha256).hexdigest()
            got = self.headers.get("X-Hub-Signature-256", "")
            sig_ok = hmac.compare_digest(want.encode(), got.encode())
        text = raw.decode("utf-8", errors="replace")
        try:
            body = json.loads(text)
        except ValueError:
            body = text
        headers = {}
        for name, value in self.headers.items():
            name = name.lower()
            headers[name] = headers[name] + ", " + value if name in headers else value

        mode = st.current_mode()
        m = MODE_RE.match(mode)
        with st.lock:
            hits = st.mode_hits[mode] = st.mode_hits.get(mode, 0) + 1
        if m.group(3) is not None:  # slow:MS
            time.sleep(int(m.group(3)) / 1000.0)

        with st.lock:
            st.seq += 1
            if mode == "fail":
                status = 500
            elif m.group(2) is not None and hits <= int(m.group(2)):  # down-until-N
                status = 503
            elif mode == "hang" or (mode == "hang-once" and hits == 1):
                status = 0
            elif sig_ok is False and st.args.reject_bad_signature:
                status = 401
            else:
                status = 200
            duplicate = status == 200 and key is not None and key in st.keys
            rec = {"time_ms": received_ms, "seq": st.seq, "method": "POST",
                   "path": self.path, "mode": mode, "key": key,
                   "duplicate": duplicate, "signature_ok": sig_ok,
                   "status": status, "body": body, "headers": headers}
            st.count(rec)
            st.log.write(rec)  # before answering: a client that got the answer sees the line

        if status == 0:
            st.stopping.wait()  # hang(-once): never answer; ends when the process stops
            self.close_connection = True
            return
        self.reply(status, {"ok": status == 200, "duplicate": duplicate})


def bind_server(port, state):
    """Bind 127.0.0.1:port, retrying for 5 s while the address is in use."""
    deadline = time.monotonic() + 5.0
    while True:
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
            break
        except OSError as e:
            if e.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    server.block_on_close = False  # a hung request must not block shutdown
    server.daemon_threads = True
    server.state = state
    return server


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--log", required=True)
    p.add_argument("--port-file")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--secret")
    p.add_argument("--mode", default="ok")
    p.add_argument("--control")
    p.add_argument("--reject-bad-signature", action="store_true")
    args = p.parse_args()
    if not MODE_RE.match(args.mode):
        p.error("invalid --mode %r (ok|fail|down-until-N|hang|hang-once|slow:MS)" % args.mode)

    # Block SIGTERM/SIGINT before any thread starts (threads inherit the
    # mask), so that only the main thread takes them, in sigwait.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    state = State(args)
    server = bind_server(args.port, state)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    if args.port_file:  # the socket already listens (bound and activated in the constructor)
        write_port_file(args.port_file, server.server_address[1])
    signal.sigwait(stop_signals)
    state.stopping.set()
    server.shutdown()
    thread.join()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
