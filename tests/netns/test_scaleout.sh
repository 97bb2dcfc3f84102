#!/bin/sh
# Several servers, several districts: three hosts built from network
# namespaces (veth pairs, the project's own 10.77.x.x/30 addresses; no other
# address is ever contacted):
#   host A (district haishu):   hub-intake + hub-matching, bound to 10.77.1.1
#   host B (district jiangbei): hub-intake + hub-matching, bound to 10.77.2.1
#   host C (the city):          hub-reporting with [reporting] districts =
#                               haishu jiangbei, following both over the links
# Every daemon binds a non-loopback address, so everything runs with CURVE
# (keys from `hubctl keys gen`, principals files; the city's key is a
# `subscriber` in each district, as is each matching's on its intake, which
# it follows through 10.77.x.1, not loopback). N requests are posted in each
# district (hubctl inside the namespace) and the city must count exactly N
# and N; then host A's link is cut, M more are posted in each district: B's
# arrive, A's do not; the link is restored and the city must count exactly
# N+M in both, and have applied exactly as many events of each district as
# its intake and matching published (no loss, no duplicates).
# Needs root and `ip netns` (iproute2); without them it says SKIP and exits 0.
#   BUILD=build sh tests/netns/test_scaleout.sh
set -u
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
CTL=$BUILD/bin/hubctl
N=${SCALEOUT_N:-8}
M=${SCALEOUT_M:-5}

if [ "$(id -u)" -ne 0 ]; then echo "scaleout test: SKIP (needs root for ip netns)"; exit 0; fi
if ! command -v ip >/dev/null 2>&1; then echo "scaleout test: SKIP (no ip command: apt-get install iproute2)"; exit 0; fi
if ! command -v python3 >/dev/null 2>&1; then echo "scaleout test: SKIP (no python3 to read JSON)"; exit 0; fi

DIR=$(mktemp -d /tmp/hub-netns.XXXXXX) || exit 1
chmod 0755 "$DIR"
. "$(dirname "$0")/../cli/lib.sh"

NSA=hub-a-$$; NSB=hub-b-$$; NSC=hub-c-$$
VA=hsa$$; VAC=hsac$$; VB=hsb$$; VBC=hsbc$$   # veth names (at most 15 bytes)
PIDS=
cleanup() {
    for pid in $PIDS; do kill -TERM "$pid" 2>/dev/null; done
    for pid in $PIDS; do wait "$pid" 2>/dev/null; done
    for ns in $NSA $NSB $NSC; do ip netns del "$ns" 2>/dev/null; done
    rm -rf "$DIR"
}
trap 'cleanup; exit 130' INT TERM
trap 'cleanup' EXIT

# ---- the three hosts
if ! ip netns add "$NSA" 2>"$DIR/netns.err"; then
    echo "scaleout test: SKIP (ip netns add failed: $(cat "$DIR/netns.err"))"; exit 0
fi
ip netns add "$NSB" && ip netns add "$NSC" &&
ip link add "$VA" type veth peer name "$VAC" &&
ip link add "$VB" type veth peer name "$VBC" &&
ip link set "$VA" netns "$NSA" && ip link set "$VAC" netns "$NSC" &&
ip link set "$VB" netns "$NSB" && ip link set "$VBC" netns "$NSC" &&
ip -n "$NSA" addr add 10.77.1.1/30 dev "$VA" && ip -n "$NSC" addr add 10.77.1.2/30 dev "$VAC" &&
ip -n "$NSB" addr add 10.77.2.1/30 dev "$VB" && ip -n "$NSC" addr add 10.77.2.2/30 dev "$VBC" &&
for ns in $NSA $NSB $NSC; do ip -n "$ns" link set lo up || exit 1; done &&
ip -n "$NSA" link set "$VA" up && ip -n "$NSC" link set "$VAC" up &&
ip -n "$NSB" link set "$VB" up && ip -n "$NSC" link set "$VBC" up
if [ $? -ne 0 ]; then echo "FAIL: cannot build the namespaces"; exit 1; fi

# ---- keys and principals (as an operator would lay them out on each host)
K=$DIR/keys
mkdir -p "$K"
for k in a-intake a-matching b-intake b-matching a-match-sub b-match-sub city op; do
    (cd "$K" && "$CTL" keys gen "$k" >/dev/null) || { echo "FAIL: keys gen $k"; exit 1; }
done
for d in a b; do
    cat >"$DIR/$d-principals" <<EOF
# id              role        Z85 public key
matching-$d       subscriber  $(cat "$K/$d-match-sub.pub")
city-reporting    subscriber  $(cat "$K/city.pub")
operator          operator    $(cat "$K/op.pub")
EOF
done

# district D's config on its host: X is 1 (haishu, host A) or 2 (jiangbei, host B)
district_cfg() {
    d=$1; x=$2
    cat >"$DIR/$d.ini" <<EOF
[hub]
data_dir = $DIR/var-$d
heartbeat_ms = 200
principals_poll_ms = 200
[intake]
api = tcp://10.77.$x.1:7301
pub = tcp://10.77.$x.1:7302
admin = ipc://$DIR/$d-intake-admin.sock
curve = on
curve_secret_key_file = $K/$d-intake.key
principals_file = $DIR/$d-principals
[matching]
api = tcp://10.77.$x.1:7311
pub = tcp://10.77.$x.1:7312
admin = ipc://$DIR/$d-matching-admin.sock
curve = on
curve_secret_key_file = $K/$d-matching.key
principals_file = $DIR/$d-principals
intake_pub = tcp://10.77.$x.1:7302
intake_api = tcp://10.77.$x.1:7301
intake_server_public_key_file = $K/$d-intake.pub
intake_public_key_file = $K/$d-match-sub.pub
intake_secret_key_file = $K/$d-match-sub.key
EOF
    # hubctl on that host talks to the admin sockets
    cat >"$DIR/$d-ctl.ini" <<EOF
[intake]
api = ipc://$DIR/$d-intake-admin.sock
[matching]
api = ipc://$DIR/$d-matching-admin.sock
EOF
}
district_cfg a 1
district_cfg b 2

# the city: no local district (the embedded [reporting] upstreams emptied)
cat >"$DIR/city.ini" <<EOF
[hub]
data_dir = $DIR/var-city
heartbeat_ms = 200
[reporting]
api = ipc://$DIR/city-api.sock
pub = ipc://$DIR/city-pub.sock
http =
poll_ms = 200
down_after_ms = 1000
intake_pub =
intake_api =
matching_pub =
matching_api =
notification_pub =
notification_api =
tendering_pub =
tendering_api =
districts = haishu jiangbei
EOF
for d in haishu:a:1 jiangbei:b:2; do
    name=${d%%:*}; rest=${d#*:}; h=${rest%%:*}; x=${rest#*:}
    cat >>"$DIR/city.ini" <<EOF
[reporting.$name]
intake_pub = tcp://10.77.$x.1:7302
intake_api = tcp://10.77.$x.1:7301
intake_server_public_key_file = $K/$h-intake.pub
intake_public_key_file = $K/city.pub
intake_secret_key_file = $K/city.key
matching_pub = tcp://10.77.$x.1:7312
matching_api = tcp://10.77.$x.1:7311
matching_server_public_key_file = $K/$h-matching.pub
matching_public_key_file = $K/city.pub
matching_secret_key_file = $K/city.key
EOF
done

# ---- start every daemon on its host
start() {   # start NS NAME CONFIG: the daemon's log in $DIR/NAME.log
    ip netns exec "$1" "$BUILD/bin/hub-${2#*-}" -c "$3" 2>"$DIR/$2.log" &
    PIDS="$PIDS $!"
}
start "$NSA" a-intake "$DIR/a.ini"
start "$NSA" a-matching "$DIR/a.ini"
start "$NSB" b-intake "$DIR/b.ini"
start "$NSB" b-matching "$DIR/b.ini"
start "$NSC" city-reporting "$DIR/city.ini"

CTL_A="ip netns exec $NSA $CTL -c $DIR/a-ctl.ini -T 2000"
CTL_B="ip netns exec $NSB $CTL -c $DIR/b-ctl.ini -T 2000"
CTL_C="ip netns exec $NSC $CTL -c $DIR/city.ini -T 5000"

up() { $CTL_A status >/dev/null 2>&1 && $CTL_B status >/dev/null 2>&1 && $CTL_C report summary >/dev/null 2>&1; }
wait_until "daemons up on three hosts" 30 up || { cat "$DIR"/*.log | tail -60; exit 1; }

# the city's requests by district as "haishu=N jiangbei=N" (absent = 0)
by_district() {
    $CTL_C --json report requests --by district >"$DIR/poll" 2>&1 || return 1
    python3 - "$DIR/poll" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))["tables"][0]
got = {r["district"]: r["requests"] for r in t["rows"]}
print("haishu=%s jiangbei=%s" % (got.pop("haishu", 0), got.pop("jiangbei", 0)) + "".join(" %s=%s" % kv for kv in got.items()))
EOF
}
counts_are() { [ "$(by_district)" = "$1" ]; }
# after a failed step nothing later can hold: show the logs and stop (the trap cleans up)
give_up() { echo "--- logs"; tail -n 30 "$DIR"/*.log; summary "scaleout"; exit 1; }

# post N requests in district D (a|b) from index I0 on
post() {
    d=$1; from=$2; to=$3
    ctl=$CTL_A; [ "$d" = b ] && ctl=$CTL_B
    street=鼓楼街道; [ "$d" = b ] && street=白云街道
    i=$from
    while [ "$i" -le "$to" ]; do
        # the message id makes a retried submission (a time-out under load) land once
        check "submit $d-$i" 0 $ctl submit --service elderly-care --street "$street" --name 居民$i \
            --attr care_type=meal --description "需要助餐 $i" --channel desk --message-id "$d-$i" || return 1
        i=$((i + 1))
    done
}

post a 1 "$N" && post b 1 "$N" || give_up
wait_until "the city counts $N and $N" 60 counts_are "haishu=$N jiangbei=$N" || give_up
# the city's monitor sees every district daemon (heartbeats over CURVE)
health_is() {   # health_is DAEMON up|down...
    $CTL_C health >"$DIR/poll" 2>&1 || return 1
    while [ $# -ge 2 ]; do grep -q "^$1 *$2 " "$DIR/poll" || return 1; shift 2; done
}
wait_until "the city's monitor sees all four daemons up" 30 \
    health_is haishu.intake up haishu.matching up jiangbei.intake up jiangbei.matching up || give_up

# ---- cut host A's link; both districts go on working
ip -n "$NSA" link set "$VA" down
CHECKS=$((CHECKS + 1))
if ip -n "$NSC" link show "$VAC" | grep -q "NO-CARRIER\|state DOWN\|LOWERLAYERDOWN"; then echo "ok   A's link is down"
else echo "FAIL A's link is down"; ip -n "$NSC" link show "$VAC"; FAILS=$((FAILS + 1)); fi
post a $((N + 1)) $((N + M)) && post b $((N + 1)) $((N + M)) || give_up
wait_until "B's new requests arrive, A's do not" 60 counts_are "haishu=$N jiangbei=$((N + M))" || give_up
# for a while: until the city has missed A's heartbeats long enough to call it down
wait_until "the city sees A down, B up" 30 health_is haishu.intake down jiangbei.intake up || give_up
# A stays cut off: its count does not move while B's events keep flowing
CHECKS=$((CHECKS + 1))
if counts_are "haishu=$N jiangbei=$((N + M))"; then echo "ok   A still at $N while cut off"
else echo "FAIL A still at $N while cut off: $(by_district)"; FAILS=$((FAILS + 1)); fi

# ---- restore the link: A's requests arrive, once each
ip -n "$NSA" link set "$VA" up
wait_until "after the link is back: $((N + M)) and $((N + M))" 90 counts_are "haishu=$((N + M)) jiangbei=$((N + M))" ||
    give_up

# no duplicates and no loss: the city applied exactly the events each
# district published (intake's and matching's last sequences: fresh stores)
published() {   # published CTL...: intake's + matching's last sequence
    "$@" --json status >"$DIR/status.json" 2>&1 || return 1
    python3 - "$DIR/status.json" <<'EOF'
import json, sys
text, dec, at, total, n = open(sys.argv[1]).read(), json.JSONDecoder(), 0, 0, 0
while True:   # one JSON document per daemon
    while at < len(text) and text[at].isspace(): at += 1
    if at >= len(text): break
    doc, at = dec.raw_decode(text, at)
    if doc.get("state") != "up": sys.exit(1)
    total += int(doc.get("last_seq", 0)); n += 1
if n != 2: sys.exit(1)
print(total)
EOF
}
applied() {   # applied DISTRICT: the city's "events" of that district
    $CTL_C --json report summary --district "$1" >"$DIR/summary.json" 2>&1 || return 1
    python3 - "$DIR/summary.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))["tables"][0]
print([r["value"] for r in t["rows"] if r["figure"] == "events"][0])
EOF
}
events_match() {
    pa=$(published $CTL_A) && ca=$(applied haishu) && pb=$(published $CTL_B) && cb=$(applied jiangbei) &&
        echo "haishu published $pa applied $ca; jiangbei published $pb applied $cb" >"$DIR/poll" &&
        [ -n "$pa" ] && [ "$pa" -gt 0 ] && [ "$pa" = "$ca" ] && [ "$pb" = "$cb" ]
}
# matching's unmatched/queued events follow intake's within moments
wait_until "events applied = events published, per district" 30 events_match || give_up
cat "$DIR/poll"
# and the figures stay exact (nothing late, nothing twice)
CHECKS=$((CHECKS + 1))
if counts_are "haishu=$((N + M)) jiangbei=$((N + M))"; then echo "ok   final counts $((N + M)) and $((N + M))"
else echo "FAIL final counts: $(by_district)"; FAILS=$((FAILS + 1)); fi
check "one district's figures" 0 $CTL_C --json report requests --by service --district jiangbei
check "unknown district refused" 1 $CTL_C report requests --district nowhere
contains "unknown district NOT_FOUND" "$DIR/err" "NOT_FOUND"

if [ "$FAILS" -ne 0 ]; then echo "--- logs"; tail -n 30 "$DIR"/*.log; fi
summary "scaleout"
