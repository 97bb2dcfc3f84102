#!/bin/sh
# The live dashboard in headless Chromium: a fresh hub-intake and
# hub-reporting (its other upstreams point at ipc paths nobody binds: those
# feeds just retry), the page served on a free loopback port. The browser
# part is tests/browser/dashboard_check.py: the EventSource connects, intake
# shows as up, a request submitted with hubctl appears on the page without
# a reload, no personal data reaches the page, a screenshot is saved to
# $BUILD/dashboard.png; then /metrics and /api/* are read.
# Needs Debian's chromium, chromium-driver and python3-selenium
# (deploy/install-deps.sh); without them the test fails and says so.
#   BUILD=build sh tests/browser/test_dashboard.sh
set -u
BUILD=${BUILD:-build}
CTL=$BUILD/bin/hubctl
HERE=$(dirname "$0")
# the system Python: Debian's python3-selenium is installed for it
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
DIR=$(mktemp -d /tmp/hub-browser.XXXXXX) || exit 1
CFG=$DIR/hub.ini
IPID=
RPID=
. "$HERE/../cli/lib.sh"

cleanup() { stop "$RPID" "$IPID"; rm -rf "$DIR"; }
trap 'cleanup; exit 130' INT TERM

# missing tools are a failure with a clear message, never a silent skip
missing=
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing="$missing chromium"
[ -x /usr/bin/chromedriver ] || command -v chromedriver >/dev/null 2>&1 || missing="$missing chromium-driver"
"$PY" -c 'import selenium' 2>/dev/null || missing="$missing python3-selenium"
if [ -n "$missing" ]; then
    echo "FAIL browser test: missing$missing (install with: sh deploy/install-deps.sh)"
    rm -rf "$DIR"; exit 1
fi
for b in hub-intake hub-reporting hubctl; do
    if [ ! -x "$BUILD/bin/$b" ]; then
        echo "FAIL browser test: $BUILD/bin/$b not built (make BUILD=$BUILD all)"
        rm -rf "$DIR"; exit 1
    fi
done

# a free loopback port for the HTTP server (the kernel picks it)
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
cat >"$CFG" <<EOF
[hub]
data_dir = $DIR/var
heartbeat_ms = 200
[intake]
api = ipc://$DIR/intake-api.sock
pub = ipc://$DIR/intake-pub.sock
[reporting]
api = ipc://$DIR/reporting-api.sock
pub = ipc://$DIR/reporting-pub.sock
http = 127.0.0.1:$PORT
poll_ms = 500
down_after_ms = 2000
intake_api = ipc://$DIR/intake-api.sock
intake_pub = ipc://$DIR/intake-pub.sock
matching_api = ipc://$DIR/absent-matching-api.sock
matching_pub = ipc://$DIR/absent-matching-pub.sock
notification_api = ipc://$DIR/absent-notification-api.sock
notification_pub = ipc://$DIR/absent-notification-pub.sock
tendering_api = ipc://$DIR/absent-tendering-api.sock
tendering_pub = ipc://$DIR/absent-tendering-pub.sock
EOF

"$BUILD/bin/hub-intake" -c "$CFG" 2>"$DIR/intake.log" &
IPID=$!
"$BUILD/bin/hub-reporting" -c "$CFG" 2>"$DIR/reporting.log" &
RPID=$!
# both answer hub.status (the config names both sections)
wait_started "browser test: daemons" "$IPID" "$RPID"
# http_up: the dashboard answers /api/health
http_up() {
    "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1).read()' \
        "$URL/api/health" >"$DIR/poll" 2>&1
}
if ! wait_until http-up 20 http_up; then
    cat "$DIR"/*.log; cleanup; exit 1
fi

CHECKS=$((CHECKS + 1))
if "$PY" "$HERE/dashboard_check.py" --url "$URL/" --hubctl "$CTL" --config "$CFG" \
        --profile "$DIR/chromium-profile" --screenshot "$BUILD/dashboard.png"; then
    echo "ok   browser"
else
    echo "FAIL browser (daemon logs below)"; FAILS=$((FAILS + 1))
    sed 's/^/  | /' "$DIR/intake.log" "$DIR/reporting.log" | tail -40
fi

cleanup
summary "browser dashboard"
