#!/bin/sh
# Deploying and running (README "Installing on a server"), against what
# $BUILD holds (default build):
#  1. `make install DESTDIR=... PREFIX=/usr` writes every file with its mode,
#     keeps an operator's hub.ini, and `make uninstall` removes them again;
#     PREFIX=/usr/local puts units in /usr/local/lib/systemd/system.
#  2. `systemd-analyze verify` finds nothing to say about the five units and
#     hub.target; `systemd-analyze security --offline` rates them "OK".
#  3. the sample district configuration (deploy/district/haishu.ini, as
#     installed in /etc/hub/hub.ini) passes every daemon's --check-config
#     once make-keys.sh made the keys; broken copies exit 78.
#  4. the sd_notify protocol of a real hub-intake (tests/deploy/notify_check.py).
#  5. the five daemons started in reverse order (reporting first) all come
#     up and follow each other; each one's /metrics (`[<daemon>] metrics`)
#     shows what its hub.status says, every counter included.
# Waits are on conditions with deadlines.
BUILD=${BUILD:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
DIR=$(mktemp -d /tmp/hub-deploy.XXXXXX)
PIDS=""
cleanup() { stop $PIDS; PIDS=""; rm -rf "$DIR"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
DAEMONS="intake matching notification tendering reporting"

# ---------------------------------------------------------------- 1. install
R=$DIR/root
# BINS= : install what $BUILD holds, never rebuild from a tree being edited
check install 0 make --no-print-directory -s BUILD="$BUILD" BINS= install DESTDIR="$R" PREFIX=/usr
mode_is() { # NAME PATH MODE
    CHECKS=$((CHECKS + 1))
    m=$(stat -c %a "$2" 2>/dev/null)
    if [ "$m" = "$3" ]; then echo "ok   $1 ($3)"; return 0; fi
    echo "FAIL $1: $2 has mode '${m:-missing}', wanted $3"; FAILS=$((FAILS + 1)); return 1
}
n_expected=0
for d in $DAEMONS; do
    mode_is "sbin/hub-$d" "$R/usr/sbin/hub-$d" 755
    mode_is "unit hub-$d.service" "$R/lib/systemd/system/hub-$d.service" 644
    contains "hub-$d.service ExecStart" "$R/lib/systemd/system/hub-$d.service" \
        "^ExecStart=/usr/sbin/hub-$d -c /etc/hub/hub.ini\$"
    contains "hub-$d.service ExecStartPre --check-config" "$R/lib/systemd/system/hub-$d.service" \
        "^ExecStartPre=/usr/sbin/hub-$d --check-config -c /etc/hub/hub.ini\$"
    contains "hub-$d.service StateDirectory" "$R/lib/systemd/system/hub-$d.service" "^StateDirectory=hub/$d\$"
    contains "hub-$d.service backup StateDirectory" "$R/lib/systemd/system/hub-$d.service" "^StateDirectory=hub-backup\$"
    lacks "hub-$d.service has no @placeholder@" "$R/lib/systemd/system/hub-$d.service" "@[A-Z]*@"
    contains "hub.target wants hub-$d" "$R/lib/systemd/system/hub.target" "^Wants=.*hub-$d.service"
    n_expected=$((n_expected + 2))
done
mode_is "bin/hubctl" "$R/usr/bin/hubctl" 755
mode_is "hub.target" "$R/lib/systemd/system/hub.target" 644
mode_is "sysusers.d/hub.conf" "$R/usr/lib/sysusers.d/hub.conf" 644
mode_is "/etc/hub/hub.ini" "$R/etc/hub/hub.ini" 640
mode_is "/etc/hub/keys" "$R/etc/hub/keys" 750
for f in README.md hub.ini.defaults haishu.ini; do mode_is "doc $f" "$R/usr/share/doc/hub/$f" 644; done
for f in haishu-sample.json haishu.json zh.txt en.txt; do mode_is "share $f" "$R/usr/share/hub/$f" 644; done
mode_is "share make-keys.sh" "$R/usr/share/hub/make-keys.sh" 755
n_expected=$((n_expected + 4 + 3 + 5))
CHECKS=$((CHECKS + 1))
n=$(find "$R" -type f | wc -l)
if [ "$n" -eq "$n_expected" ]; then echo "ok   $n files installed"; else
    echo "FAIL installed $n files, wanted $n_expected:"; find "$R" -type f | sed 's/^/  | /'; FAILS=$((FAILS + 1)); fi
check "hub.ini is the district sample" 0 cmp "$R/etc/hub/hub.ini" deploy/district/haishu.ini
echo "; the operator's own line" >>"$R/etc/hub/hub.ini"
check "install again" 0 make --no-print-directory -s BUILD="$BUILD" BINS= install DESTDIR="$R" PREFIX=/usr
contains "install keeps an existing hub.ini" "$R/etc/hub/hub.ini" "the operator's own line"
check uninstall 0 make --no-print-directory -s BUILD="$BUILD" BINS= uninstall DESTDIR="$R" PREFIX=/usr
contains "uninstall keeps a changed hub.ini" "$R/etc/hub/hub.ini" "the operator's own line"
rm -f "$R/etc/hub/hub.ini"
find "$R" -type f >"$DIR/left"
check "uninstall removed every file" 0 test ! -s "$DIR/left"
R2=$DIR/root2
check "install PREFIX=/usr/local" 0 make --no-print-directory -s BUILD="$BUILD" BINS= install DESTDIR="$R2"
check "/usr/local/sbin/hub-intake" 0 test -x "$R2/usr/local/sbin/hub-intake"
contains "/usr/local unit ExecStart" "$R2/usr/local/lib/systemd/system/hub-intake.service" \
    "^ExecStart=/usr/local/sbin/hub-intake -c /etc/hub/hub.ini\$"
check "uninstall PREFIX=/usr/local" 0 make --no-print-directory -s BUILD="$BUILD" BINS= uninstall DESTDIR="$R2"
find "$R2" -type f >"$DIR/left"
check "uninstall PREFIX=/usr/local removed every file" 0 test ! -s "$DIR/left"

# the rest runs what is installed
check "install for the next steps" 0 make --no-print-directory -s BUILD="$BUILD" BINS= install DESTDIR="$R" PREFIX=/usr
SBIN=$R/usr/sbin
CTL=$R/usr/bin/hubctl

# ---------------------------------------------------------------- 2. systemd
if command -v systemd-analyze >/dev/null 2>&1; then
    # verify wants the binaries where ExecStart says: copies pointing into $R
    mkdir -p "$DIR/units"
    for f in "$R"/lib/systemd/system/*; do
        sed "s|/usr/sbin/|$SBIN/|g" "$f" >"$DIR/units/$(basename "$f")"
    done
    SYSTEMD_UNIT_PATH=$DIR/units: systemd-analyze verify "$DIR"/units/* >"$DIR/verify" 2>&1
    check "systemd-analyze verify exits 0" 0 test $? -eq 0
    check "systemd-analyze verify has nothing to say" 0 test ! -s "$DIR/verify" || sed 's/^/  | /' "$DIR/verify"
    for d in $DAEMONS; do
        systemd-analyze security --offline=yes "$DIR/units/hub-$d.service" >"$DIR/security" 2>&1
        contains "hub-$d.service exposure OK" "$DIR/security" "Overall exposure level for hub-$d.service: [0-2]\.[0-9] OK"
    done
else
    echo "skip systemd checks: systemd-analyze not found (apt-get install systemd)"
fi

# ------------------------------------------------------- 3. district config
ETC=$DIR/etc
mkdir -p "$ETC"
check make-keys 0 sh "$R/usr/share/hub/make-keys.sh" "$ETC/keys" "$ETC/principals" "$CTL"
contains "principals: matching subscriber" "$ETC/principals" "^matching subscriber "
contains "principals: hubctl operator" "$ETC/principals" "^hubctl operator "
lacks "principals: intake follows no one" "$ETC/principals" "^intake "
sed -e "s|/etc/hub/|$ETC/|g" -e "s|/var/lib/hub|$DIR/var|" "$R/etc/hub/hub.ini" >"$ETC/hub.ini"
for d in $DAEMONS; do check "district config: hub-$d --check-config" 0 "$SBIN/hub-$d" --check-config -c "$ETC/hub.ini"; done
contains "district: intake binds a non-loopback address" "$ETC/hub.ini" "^api = tcp://10\."
sed 's|^metrics = 127.0.0.1:9301|metrics = 127.0.0.1|' "$ETC/hub.ini" >"$ETC/bad-metrics.ini"
check "bad metrics address: exit 78" 78 "$SBIN/hub-intake" --check-config -c "$ETC/bad-metrics.ini"
contains "bad metrics address: named" "$DIR/err" "metrics"
sed 's|keys/matching.key|keys/missing.key|' "$ETC/hub.ini" >"$ETC/bad-key.ini"
check "missing key file: exit 78" 78 "$SBIN/hub-matching" --check-config -c "$ETC/bad-key.ini"
sed 's|^curve = on|curve = off|' "$ETC/hub.ini" >"$ETC/bad-curve.ini"
check "public endpoint without CURVE: exit 78" 78 "$SBIN/hub-reporting" --check-config -c "$ETC/bad-curve.ini"

# ---------------------------------------------------------------- 4. sd_notify
N=$DIR/notify
mkdir -p "$N"
printf '[hub]\ndata_dir = %s/var\n[intake]\napi = ipc://%s/api.sock\npub = ipc://%s/pub.sock\n' "$N" "$N" "$N" >"$N/hub.ini"
check "sd_notify: READY, STATUS, WATCHDOG, STOPPING" 0 python3 "$HERE/notify_check.py" "$N" \
    "[\"$CTL\", \"-c\", \"$N/hub.ini\", \"status\"]" -- "$SBIN/hub-intake" -c "$N/hub.ini"
sed 's/^/  | /' "$DIR/out"

# ------------------------------------------- 5. any start order, /metrics
M=$DIR/run
mkdir -p "$M"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
CFG=$M/hub.ini
{
    printf '[hub]\ndata_dir = %s/var\n' "$M"
    for d in $DAEMONS; do
        port=$(free_port); eval "PORT_$d=$port"
        printf '[%s]\napi = ipc://%s/%s-api.sock\npub = ipc://%s/%s-pub.sock\nmetrics = 127.0.0.1:%s\n' \
            "$d" "$M" "$d" "$M" "$d" "$port"
        for up in $DAEMONS; do
            printf '%s_api = ipc://%s/%s-api.sock\n%s_pub = ipc://%s/%s-pub.sock\n' "$up" "$M" "$up" "$up" "$M" "$up"
        done
    done
    printf '[reporting]\nhttp =\n[notification]\nsmtp_url = smtp://127.0.0.1:1\n'
} >"$CFG"
metrics() { curl -sf "http://127.0.0.1:$(eval echo \$PORT_$1)/metrics" >"$DIR/poll" 2>&1; }
for d in reporting tendering notification matching intake; do
    "$SBIN/hub-$d" -c "$CFG" >"$M/$d.log" 2>&1 &
    PIDS="$PIDS $!"
    # the next one starts before this one's upstreams exist: any order works
    wait_until "hub-$d up (its /metrics answers)" 20 metrics "$d"
done
check "submit a request" 0 "$CTL" -c "$CFG" submit --service elderly-care --street 鼓楼街道 --name 王阿姨 \
    --phone 13800000000 --attr care_type=meal --description "独居老人需要助餐" --consent --contact phone
seq_is() { # SUBSCRIBER PUBLISHER N: the subscriber's metrics show its cursor at N
    metrics "$1" && grep -q "^hub_subscriber_seq{subscriber=\"$1\",publisher=\"$2\"} $3\$" "$DIR/poll"
}
wait_until "matching applied intake's event (metrics)" 20 seq_is matching intake 1
wait_until "notification applied intake's event (metrics)" 20 seq_is notification intake 1
wait_until "reporting applied intake's event (metrics)" 20 seq_is reporting intake 1
metrics intake
cp "$DIR/poll" "$DIR/intake.metrics"
contains "intake: hub_up" "$DIR/intake.metrics" '^hub_up{daemon="intake"} 1$'
contains "intake: hub_last_seq" "$DIR/intake.metrics" '^hub_last_seq{daemon="intake"} 1$'
contains "intake: requests accepted" "$DIR/intake.metrics" '^hub_requests_accepted_total{daemon="intake"} 1$'
contains "intake: counter type" "$DIR/intake.metrics" '^# TYPE hub_requests_accepted_total counter$'
contains "intake: store bytes" "$DIR/intake.metrics" '^hub_store_bytes{daemon="intake"} [1-9]'
# every counter and gauge hub.status reports is there
"$CTL" -c "$CFG" --json status >"$DIR/status.json" 2>/dev/null
python3 - "$DIR/status.json" >"$DIR/names" <<'PY'
import json, sys
text, dec, i, docs = open(sys.argv[1]).read(), json.JSONDecoder(), 0, []
while text[i:].strip():  # one JSON document per daemon
    while text[i].isspace():
        i += 1
    doc, i = dec.raw_decode(text, i)
    docs += doc if isinstance(doc, list) else doc.get("daemons", [doc])
for st in docs:
    for c in st.get("counters", []):
        print(st["source"], c["name"])
PY
CHECKS=$((CHECKS + 1))
missing=""; n=0
while read -r d name; do
    n=$((n + 1))
    metrics "$d" && grep -q "^hub_${name}{daemon=\"$d\"} " "$DIR/poll" || missing="$missing $d:$name"
done <"$DIR/names"
if [ "$n" -gt 20 ] && [ -z "$missing" ]; then echo "ok   all $n counters of hubctl status are in the daemons' /metrics"
else echo "FAIL counters missing from /metrics ($n in status):$missing"; FAILS=$((FAILS + 1)); fi
P=$PORT_intake
curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$P/metrics" >"$DIR/code"
contains "POST /metrics: 405" "$DIR/code" "^405$"
curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/nope" >"$DIR/code"
contains "GET /nope: 404" "$DIR/code" "^404$"
for pid in $PIDS; do kill -TERM "$pid"; done
ok_exit=0
for pid in $PIDS; do wait "$pid" || ok_exit=1; done
PIDS=""
check "all five stop with exit 0 on SIGTERM" 0 test $ok_exit -eq 0
check "the metrics port is closed after stop" 7 curl -s "http://127.0.0.1:$P/metrics"

summary deploy
