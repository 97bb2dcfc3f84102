#!/usr/bin/python3
"""An SMTP receiver for tests: an aiosmtpd (1.4.x) server on 127.0.0.1.

Usage:
  smtp_receiver.py --log FILE [--port-file FILE] [--port N] [--fail]
                   [--control FILE]

  --log FILE        one JSON line per message (DATA) is appended here
  --port-file FILE  written atomically (tmp + rename) with "PORT\\n" once listening
  --port N          bind this port (default 0: an ephemeral one); retries for
                    5 s while the port is still in use (a receiver restarting)
  --fail            answer DATA with "451 4.3.0 try again later" (the message
                    is still logged, with "rejected": true)
  --control FILE    if FILE exists and is not empty, its content ("ok" or
                    "fail") overrides --fail for each new message

SIGTERM/SIGINT: exit 0.
"""

import argparse
import errno
import json
import os
import signal
import socket
import sys
import threading
import time
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller

REJECT = "451 4.3.0 try again later"


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
        self.lock = threading.Lock()
        self.f = open(path, "a", encoding="utf-8")

    def write(self, record):
        """Append one record as a single line."""
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self.lock:
            self.f.write(line)
            self.f.flush()
            os.fsync(self.f.fileno())


def describe(envelope):
    """The log record of one received message (without time_ms and rejected)."""
    raw = envelope.original_content or b""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    headers = {}
    for name, value in msg.items():  # policy.default: RFC 2047 words decoded
        name = name.lower()
        value = str(value)
        headers[name] = headers[name] + "\n" + value if name in headers else value
    raw_subject = next((v for n, v in msg.raw_items() if n.lower() == "subject"), None)

    part = msg.get_body(preferencelist=("plain", "html")) or msg
    text, error = None, None
    if part.get_content_maintype() == "text":
        try:
            text = part.get_content()  # transfer encoding and charset undone
        except (LookupError, UnicodeError, ValueError) as e:
            error = "%s: %s" % (type(e).__name__, e)
    cte = part.get("Content-Transfer-Encoding")
    return {
        "mail_from": envelope.mail_from,
        "rcpt_tos": list(envelope.rcpt_tos),
        "smtputf8": bool(envelope.smtp_utf8),
        "subject": headers.get("subject"),
        "subject_raw": raw_subject,
        "message_id": headers.get("message-id"),
        "idempotency_key": headers.get("x-hub-idempotency-key"),
        "content_type": msg.get_content_type(),
        "charset": part.get_content_charset(),
        "transfer_encoding": str(cte).lower() if cte is not None else None,
        "text": text,
        "text_error": error,
        "defects": [repr(d) for p in msg.walk() for d in p.defects],
        "headers": headers,
        "size": len(raw),
    }


class Handler:
    """aiosmtpd handler: log every message, accept it or answer 451."""

    def __init__(self, log, fail, control):
        self.log, self.fail, self.control = log, fail, control

    def failing(self):
        """The control file's "ok"/"fail" if present, else --fail."""
        if self.control:
            try:
                with open(self.control) as f:
                    text = f.read().strip()
            except OSError:
                text = ""
            if text in ("ok", "fail"):
                return text == "fail"
            if text:
                print("smtp_receiver: ignoring invalid mode %r in %s" % (text, self.control),
                      file=sys.stderr)
        return self.fail

    async def handle_DATA(self, server, session, envelope):
        received_ms = int(time.time() * 1000)
        rejected = self.failing()
        rec = {"time_ms": received_ms}
        try:
            rec.update(describe(envelope))
        except Exception as e:  # a message the email package cannot take: still log it
            rec.update({"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                        "parse_error": "%s: %s" % (type(e).__name__, e)})
        rec["rejected"] = rejected
        self.log.write(rec)  # before answering: a client that got the answer sees the line
        return REJECT if rejected else "250 2.0.0 OK"


class BoundController(Controller):
    """A Controller serving an already bound socket, so that port 0 works
    (aiosmtpd 1.4 connects to self.port to check it is up)."""

    def __init__(self, handler, sock, **kwargs):
        self.sock = sock
        super().__init__(handler, hostname="127.0.0.1", port=sock.getsockname()[1], **kwargs)

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self.sock,
                                       ssl=self.ssl_context)


def bind_socket(port):
    """A TCP socket bound to 127.0.0.1:port, retrying for 5 s while the address is in use."""
    deadline = time.monotonic() + 5.0
    while True:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            return sock
        except OSError as e:
            sock.close()
            if e.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--log", required=True)
    p.add_argument("--port-file")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--fail", action="store_true")
    p.add_argument("--control")
    args = p.parse_args()

    # Block SIGTERM/SIGINT before the server thread starts (threads inherit
    # the mask), so that only the main thread takes them, in sigwait.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    sock = bind_socket(args.port)
    handler = Handler(JsonLog(args.log), args.fail, args.control)
    controller = BoundController(handler, sock, ready_timeout=10.0,
                                 server_hostname="receiver.test")
    controller.start()  # returns once the server listens and has answered a probe
    if args.port_file:
        write_port_file(args.port_file, controller.port)
    signal.sigwait(stop_signals)
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
