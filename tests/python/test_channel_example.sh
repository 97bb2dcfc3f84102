#!/bin/sh
# Runs tests/python/channel_example.py against a fresh hub-intake.
#   BUILD=build/py sh tests/python/test_channel_example.sh
# Needs ${BUILD:-build}/bin/hub-intake and ${BUILD:-build}/gen/py/*_pb2.py
# (make), and /usr/bin/python3 with python3-zmq and python3-protobuf.
set -u

BUILD=${BUILD:-build}
PY=/usr/bin/python3
BIN=$BUILD/bin/hub-intake
PYGEN=$BUILD/gen/py
READY_TIMEOUT_S=15

if [ ! -x "$BIN" ] || [ ! -f "$PYGEN/hub_pb2.py" ]; then
    echo "python channel example: missing $BIN or $PYGEN/hub_pb2.py (run make BUILD=$BUILD)" >&2
    exit 1
fi

DIR=$(mktemp -d /tmp/hub-channel-example.XXXXXX) || exit 1
API=ipc://$DIR/api.sock
PUB=ipc://$DIR/pub.sock
PID=

cleanup() {
    if [ -n "$PID" ]; then
        kill -TERM "$PID" 2>/dev/null
        wait "$PID" 2>/dev/null
        PID=
    fi
    rm -rf "$DIR"
}
trap 'cleanup; exit 130' INT TERM

cat >"$DIR/hub.ini" <<EOF
[hub]
data_dir = $DIR/var
heartbeat_ms = 100
[intake]
api = $API
pub = $PUB
EOF

"$BIN" -c "$DIR/hub.ini" >"$DIR/intake.log" 2>&1 &
PID=$!

# Ready = answers hub.status. Each attempt waits up to 500 ms for a reply
# on a fresh REQ socket; give up after READY_TIMEOUT_S or if the daemon died.
if ! "$PY" - "$API" "$PYGEN" "$PID" "$READY_TIMEOUT_S" <<'EOF'
import os, sys, time
import zmq
api, pygen, pid, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
sys.path.insert(0, pygen)
import hub_pb2
ctx = zmq.Context()
deadline = time.monotonic() + limit
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        print("hub-intake exited before it was ready", file=sys.stderr)
        sys.exit(1)
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(api)
    s.send_multipart([b"hub.status", hub_pb2.StatusRequest().SerializeToString()])
    if s.poll(500, zmq.POLLIN):
        status, body = s.recv_multipart()
        s.close()
        if status == b"OK":
            st = hub_pb2.StatusReply()
            st.ParseFromString(body)
            print("hub-intake %s ready (epoch %d, last_seq %d)" % (st.version, st.epoch, st.last_seq))
            ctx.term()
            sys.exit(0)
    s.close()
print("hub-intake not ready after %g s" % limit, file=sys.stderr)
sys.exit(1)
EOF
then
    echo "python channel example: FAILED (daemon did not start); its log:" >&2
    cat "$DIR/intake.log" >&2
    cleanup
    exit 1
fi

"$PY" tests/python/channel_example.py --api "$API" --pub "$PUB" --pygen "$PYGEN"
RC=$?

kill -TERM "$PID" 2>/dev/null
wait "$PID"
DRC=$?
PID=
if [ "$RC" -ne 0 ]; then
    echo "python channel example: FAILED (exit $RC); daemon log:" >&2
    cat "$DIR/intake.log" >&2
elif [ "$DRC" -ne 0 ]; then
    echo "python channel example: FAILED (hub-intake exited $DRC on SIGTERM); daemon log:" >&2
    cat "$DIR/intake.log" >&2
    RC=1
fi
rm -rf "$DIR"
[ "$RC" -eq 0 ] && echo "python channel example: ok"
exit "$RC"
