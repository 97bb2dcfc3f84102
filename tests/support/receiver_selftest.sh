#!/bin/sh
# Self-test of the test receivers tests/support/http_receiver.py and
# tests/support/smtp_receiver.py: starts them in a temp dir on 127.0.0.1,
# talks to them with python3 urllib / smtplib, checks the answers, the JSON
# log lines and /stats, then stops them with SIGTERM.
#   sh tests/support/receiver_selftest.sh
# Prints PASS/FAIL per check; exits 1 if any check failed.
# Needs /usr/bin/python3 with python3-aiosmtpd (Debian 12).
set -u

PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
HTTP="$HERE/http_receiver.py"
SMTP="$HERE/smtp_receiver.py"
SECRET='s3cret-测试'
passed=0; failed=0
PIDS=""

DIR=$(mktemp -d /tmp/hub-receivers.XXXXXX) || exit 1
cleanup() {
    for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# start NAME SCRIPT ARGS...: starts a receiver with --port-file DIR/NAME.port
# and --log DIR/NAME.log, waits (10 s at most) for the port file; sets
# NAME_pid and NAME_port. The log is appended to, not truncated.
start() {
    name=$1; script=$2; shift 2
    rm -f "$DIR/$name.port"
    "$PY" "$script" --port-file "$DIR/$name.port" --log "$DIR/$name.log" "$@" \
        2>>"$DIR/$name.err" &
    pid=$!
    PIDS="$PIDS $pid"
    eval "${name}_pid=$pid"
    i=0
    while [ ! -s "$DIR/$name.port" ] && [ $i -lt 200 ]; do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05; i=$((i + 1))
    done
    if [ -s "$DIR/$name.port" ]; then
        eval "${name}_port=$(cat "$DIR/$name.port")"
        pass "$name: listening on port $(cat "$DIR/$name.port")"
    else
        eval "${name}_port=0"
        fail "$name: no port file (stderr: $(cat "$DIR/$name.err" 2>/dev/null))"
    fi
}

# stop NAME: SIGTERM, then expects exit status 0 within 5 s.
stop() {
    eval "pid=\$${1}_pid"
    kill -TERM "$pid" 2>/dev/null
    ( sleep 5; kill -KILL "$pid" 2>/dev/null ) &
    dog=$!
    wait "$pid"; rc=$?
    kill "$dog" 2>/dev/null; wait "$dog" 2>/dev/null
    if [ "$rc" -eq 0 ]; then pass "$1: exits 0 on SIGTERM"
    else fail "$1: exit status $rc after SIGTERM"; fi
}

# check WHAT ARGS...: runs one scenario of check.py; counts its PASS/FAIL lines.
check() {
    out=$("$PY" "$DIR/check.py" "$@" 2>&1); rc=$?
    printf '%s\n' "$out"
    p=$(printf '%s\n' "$out" | grep -c '^PASS')
    f=$(printf '%s\n' "$out" | grep -c '^FAIL')
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$rc" -ne 0 ]; then fail "check $1: check.py exited $rc"; fi
}

cat >"$DIR/check.py" <<'EOF'
"""Scenarios against the receivers: check.py WHAT DIR PORT [...]"""
import base64, hashlib, hmac, json, os, smtplib, socket, sys, time
import urllib.error, urllib.request
from email.header import Header

what, d, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
SECRET = "s3cret-测试"

def ok(cond, label, detail=""):
    print(("PASS: " if cond else "FAIL: ") + label + ("" if cond else "  (%s)" % (detail,)))

def post(path, body, key=None, secret=SECRET, sig=None, ctype="application/json", timeout=5):
    """POST body (bytes); returns (status, answer dict) or (None, exception)."""
    h = {"Content-Type": ctype}
    if key is not None:
        h["Idempotency-Key"] = key
    if sig is None and secret is not None:
        sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if sig is not None:
        h["X-Hub-Signature-256"] = sig
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")
    except (socket.timeout, TimeoutError, urllib.error.URLError) as e:
        return None, e

def stats():
    with urllib.request.urlopen("http://127.0.0.1:%d/stats" % port, timeout=5) as r:
        return json.loads(r.read())

def log(name):
    """All lines of DIR/name.log, each must be one whole JSON object."""
    with open(os.path.join(d, name + ".log"), encoding="utf-8") as f:
        text = f.read()
    assert text == "" or text.endswith("\n"), "log ends in a partial line"
    return [json.loads(line) for line in text.splitlines()]

def control(text):
    path = os.path.join(d, "control")
    if text is None:
        os.unlink(path)
    else:
        with open(path, "w") as f:
            f.write(text + "\n")

def sub(rec, **want):
    """The fields of rec that differ from want ({} if none)."""
    return {k: rec.get(k) for k, v in want.items() if rec.get(k) != v}

NOTICE = {"event": "referral.offered", "request": "R20261126-000002",
          "text": "王阿姨的助餐请求已转介给海曙区鼓楼街道老年协会"}
BODY = json.dumps(NOTICE, ensure_ascii=False).encode()

if what == "webhook":
    st, a = post("/hook", BODY, key="k1")
    rec = log("http1")[-1]
    ok(st == 200 and a == {"ok": True, "duplicate": False}, "webhook: signed POST answered 200", (st, a))
    diff = sub(rec, path="/hook", key="k1", duplicate=False, signature_ok=True, status=200, body=NOTICE)
    ok(not diff, "webhook: log line (key, signature_ok, status, body as JSON)", diff)
    hd = rec.get("headers", {})
    ok(hd.get("idempotency-key") == "k1" and hd.get("content-type") == "application/json"
       and hd.get("x-hub-signature-256", "").startswith("sha256="),
       "webhook: log line headers", hd)
    ok(isinstance(rec.get("time_ms"), int) and abs(rec["time_ms"] - time.time() * 1000) < 60000,
       "webhook: time_ms is the epoch in ms", rec.get("time_ms"))

    st, a = post("/hook", BODY, key="k1")
    rec = log("http1")[-1]
    ok(st == 200 and a.get("duplicate") is True, "webhook: same key again answered 200 duplicate", (st, a))
    ok(not sub(rec, key="k1", duplicate=True, status=200), "webhook: repeat logged duplicate", rec)

    st, a = post("/hook", BODY, key="k2", sig="sha256=" + "0" * 64)
    rec = log("http1")[-1]
    ok(st == 200 and not sub(rec, key="k2", signature_ok=False, duplicate=False),
       "webhook: wrong signature logged signature_ok false", (st, rec))
    st, a = post("/hook", BODY, key="k2u", sig="sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest().upper())
    ok(log("http1")[-1].get("signature_ok") is False, "webhook: uppercase hex is not accepted", log("http1")[-1])

    s = stats()
    want = {"requests": 4, "unique": 3, "duplicates": 1, "bad_signatures": 2}
    ok(not sub(s, **want), "stats: %s" % want, s)

    control("fail")
    st, a = post("/hook", BODY, key="k3")
    rec = log("http1")[-1]
    ok(st == 500 and not sub(rec, key="k3", status=500, duplicate=False, mode="fail"),
       "control file 'fail': 500, logged", (st, rec))
    control("ok")
    st, a = post("/hook", BODY, key="k3")
    rec = log("http1")[-1]
    ok(st == 200 and not sub(rec, key="k3", status=200, duplicate=False),
       "control file 'ok': retry of a failed key is processed, not a duplicate", (st, rec))
    control("slow:300")
    t0 = time.monotonic()
    st, a = post("/hook", BODY, key="k4")
    dt = time.monotonic() - t0
    ok(st == 200 and dt >= 0.3, "control file 'slow:300': 200 after >= 300 ms", (st, dt))
    control("bogus")
    st, a = post("/hook", BODY, key="k5")
    ok(st == 200 and log("http1")[-1].get("mode") == "ok", "control file invalid: --mode applies", (st, log("http1")[-1]))
    control(None)

    form = "to=13800000000&text=您的求助已受理".encode()
    st, a = post("/sms", form, key="s1", ctype="application/x-www-form-urlencoded")
    rec = log("http1")[-1]
    ok(st == 200 and rec.get("body") == form.decode() and rec.get("path") == "/sms",
       "sms: non-JSON body logged as a string", rec)
    lines = log("http1")
    ok(len(lines) == 9 and [r["seq"] for r in lines] == list(range(1, 10)),
       "log: one whole JSON line per request, seq 1..9", len(lines))

elif what == "restarted":
    st, a = post("/hook", BODY, key="k1")
    rec = log("http1")[-1]
    ok(st == 200 and rec.get("duplicate") is True and rec.get("seq") == 10,
       "restart on the same port and log: known key still a duplicate", (st, rec))
    s = stats()
    ok(s.get("requests") == 10 and s.get("duplicates") == 2, "restart: stats count the whole log", s)

elif what == "down":
    got = [post("/hook", BODY, key="d1")[0] for _ in range(3)]
    ok(got == [503, 503, 200], "down-until-2: 503, 503, then 200", got)
    lines = log("http2")
    ok([(r["status"], r["duplicate"]) for r in lines] == [(503, False), (503, False), (200, False)],
       "down-until-2: logged; the 200 is the first processing of the key", lines)
    s = stats()
    ok(not sub(s, requests=3, unique=1, duplicates=0, failed=2), "down-until-2: stats", s)

elif what == "hang":
    t0 = time.monotonic()
    st, err = post("/hook", BODY, key="h1", timeout=1)
    ok(st is None and time.monotonic() - t0 < 3, "hang-once: first request never answered (client timeout)", (st, err))
    rec = log("http3")[-1]
    ok(not sub(rec, key="h1", status=0, duplicate=False), "hang-once: logged with status 0", rec)
    st, a = post("/hook", BODY, key="h1")
    ok(st == 200 and a.get("duplicate") is True and log("http3")[-1].get("duplicate") is True,
       "hang-once: retry of the hung key is a duplicate", (st, a))
    st, a = post("/hook", BODY, key="h2")
    ok(st == 200 and a.get("duplicate") is False, "hang-once: later requests answered 200", (st, a))
    s = stats()
    ok(not sub(s, requests=3, unique=2, duplicates=1, hung=1), "hang-once: stats", s)

elif what == "smtp":
    subject = "服务通知：您的求助 R20261126-000002 已转介"
    text = "王阿姨您好：\r\n您的助餐请求已由海曙区鼓楼街道老年协会受理。\r\n"
    raw = ("From: hub@hub.test\r\nTo: a@x.test, b@x.test\r\n"
           "Subject: %s\r\nMessage-ID: <m1@hub.test>\r\nX-Hub-Idempotency-Key: m1\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n%s"
           % (Header(subject, "utf-8").encode(), base64.encodebytes(text.encode()).decode()))
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as s:
        refused = s.sendmail("hub@hub.test", ["a@x.test", "b@x.test"], raw.encode("ascii"))
    ok(refused == {}, "smtp: message accepted", refused)
    rec = log("smtp1")[-1]
    diff = sub(rec, mail_from="hub@hub.test", rcpt_tos=["a@x.test", "b@x.test"], subject=subject,
               message_id="<m1@hub.test>", idempotency_key="m1", content_type="text/plain",
               charset="utf-8", transfer_encoding="base64", text=text, rejected=False)
    ok(not diff, "smtp: log line (decoded RFC 2047 subject, base64 UTF-8 text, ids)", diff)
    ok(rec.get("subject_raw", "").startswith("=?utf-8?b?") and rec["headers"].get("x-hub-idempotency-key") == "m1",
       "smtp: raw subject and headers kept", rec.get("subject_raw"))

elif what == "smtp_fail":
    def send(key):
        raw = ("From: hub@hub.test\r\nTo: a@x.test\r\nSubject: %s\r\nMessage-ID: <%s@hub.test>\r\n"
               "X-Hub-Idempotency-Key: %s\r\n\r\nhello\r\n" % (Header("重试", "utf-8").encode(), key, key))
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as s:
            try:
                s.sendmail("hub@hub.test", ["a@x.test"], raw.encode())
                return 250, ""
            except smtplib.SMTPDataError as e:
                return e.smtp_code, e.smtp_error.decode()
    code, msg = send("f1")
    ok(code == 451 and msg == "4.3.0 try again later", "smtp --fail: DATA answered 451", (code, msg))
    rec = log("smtp2")[-1]
    ok(not sub(rec, rejected=True, subject="重试", idempotency_key="f1"), "smtp --fail: logged rejected", rec)
    control("ok")
    code, msg = send("f1")
    ok(code == 250 and log("smtp2")[-1].get("rejected") is False, "smtp control 'ok': accepted", (code, msg))
    control(None)
else:
    ok(False, "unknown scenario " + what)
EOF

# --- HTTP: signatures, idempotency, stats, control file
start http1 "$HTTP" --secret "$SECRET" --control "$DIR/control"
check webhook "$DIR" "$http1_port"
stop http1
port1=$http1_port
start http1 "$HTTP" --port "$port1" --secret "$SECRET"
[ "$http1_port" = "$port1" ] && pass "http1: restarted on the same port $port1" \
    || fail "http1: restarted on port $http1_port, not $port1"
check restarted "$DIR" "$http1_port"
stop http1

# --- HTTP: down-until-2, hang-once
start http2 "$HTTP" --mode down-until-2
check down "$DIR" "$http2_port"
stop http2
start http3 "$HTTP" --mode hang-once
check hang "$DIR" "$http3_port"
stop http3
"$PY" "$HTTP" --log "$DIR/x.log" --mode nonsense 2>/dev/null \
    && fail "http: invalid --mode accepted" || pass "http: invalid --mode refused"

# --- SMTP: a Chinese message; --fail and the control file
start smtp1 "$SMTP"
check smtp "$DIR" "$smtp1_port"
stop smtp1
start smtp2 "$SMTP" --fail --control "$DIR/control"
check smtp_fail "$DIR" "$smtp2_port"
stop smtp2

echo "receiver selftest: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
