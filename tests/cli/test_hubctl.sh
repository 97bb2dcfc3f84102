#!/bin/sh
# hubctl against a fresh hub-intake: output, --json, exit codes
# (0 ok, 1 refused, 2 usage, 3 unreachable), Chinese text, tail.
#   BUILD=build sh tests/cli/test_hubctl.sh
set -u
BUILD=${BUILD:-build}
CTL=$BUILD/bin/hubctl
DIR=$(mktemp -d /tmp/hub-cli.XXXXXX) || exit 1
CFG=$DIR/hub.ini
PID=
. "$(dirname "$0")/lib.sh"

cleanup() { stop "$PID"; rm -rf "$DIR"; }
trap 'cleanup; exit 130' INT TERM

cat >"$CFG" <<EOF
[hub]
data_dir = $DIR/var
heartbeat_ms = 100
[intake]
api = ipc://$DIR/api.sock
pub = ipc://$DIR/pub.sock
EOF
"$BUILD/bin/hub-intake" -c "$CFG" 2>"$DIR/intake.log" &
PID=$!
# ready when hubctl gets an answer (exit 3 until then); bounded by a deadline
wait_started "hubctl test: daemon" "$PID"

check services 0 "$CTL" -c "$CFG" services && contains services "$DIR/out" "养老服务"
contains services-areas "$DIR/out" "龙观乡"
check service-def 0 "$CTL" -c "$CFG" services elderly-care && contains service-def "$DIR/out" "care_type"
check service-unknown 1 "$CTL" -c "$CFG" services nope && contains service-unknown "$DIR/err" "NOT_FOUND"

check submit 0 "$CTL" -c "$CFG" submit --service elderly-care --street 鼓楼街道 --name 王阿姨 \
    --phone 13800000000 --attr care_type=meal --description "独居老人需要助餐" --consent \
    --contact phone --channel desk --message-id m-1
ID=$(cut -d' ' -f1 "$DIR/out")
contains submit-id "$DIR/out" "^R[0-9]\{8\}-[0-9]\{6\} OPEN$"
check resubmit 0 "$CTL" -c "$CFG" submit --service elderly-care --street 鼓楼街道 --name 王阿姨 \
    --attr care_type=meal --description "独居老人需要助餐" --channel desk --message-id m-1
contains resubmit "$DIR/out" "$ID OPEN (already submitted)"
check bad-street 1 "$CTL" -c "$CFG" submit --service elderly-care --street 火星 --name x \
    --attr care_type=meal --description y
contains bad-street "$DIR/err" "INVALID_ARGUMENT (street)"
check bad-attr 1 "$CTL" -c "$CFG" submit --service elderly-care --street 鼓楼街道 --name x \
    --attr care_type=spa --description y
contains bad-attr "$DIR/err" "attributes.care_type"
check json-refusal 1 "$CTL" -c "$CFG" --json submit --service nope --street 鼓楼街道 --name x --description y
contains json-refusal "$DIR/out" '"code": "INVALID_ARGUMENT"'

check show 0 "$CTL" -c "$CFG" request show "$ID" && contains show "$DIR/out" "王阿姨"
contains show-history "$DIR/out" "submitted"
check note 0 "$CTL" -c "$CFG" request note "$ID" "已电话联系"
check close 0 "$CTL" -c "$CFG" request close "$ID" "已解决" && contains close "$DIR/out" "$ID CLOSED"
check cancel-closed 1 "$CTL" -c "$CFG" request cancel "$ID" && contains cancel-closed "$DIR/err" "FAILED_PRECONDITION"
check reopen 0 "$CTL" -c "$CFG" request reopen "$ID" && contains reopen "$DIR/out" "$ID OPEN"
check show-unknown 1 "$CTL" -c "$CFG" request show R20000101-000001

check list 0 "$CTL" -c "$CFG" requests --status open --street 鼓楼街道 && contains list "$DIR/out" "$ID"
check list-json 0 "$CTL" -c "$CFG" --json requests --street 月湖街道
CHECKS=$((CHECKS + 1))
if grep -q "service_request_id" "$DIR/out"; then echo "FAIL list-json: 月湖街道 has no requests"; FAILS=$((FAILS + 1)); fi
check list-bad-status 2 "$CTL" -c "$CFG" requests --status nonsense

check opinion 0 "$CTL" -c "$CFG" opinion submit --topic 养老政策 --text "希望增加助餐点" --anonymous --street 西门街道
contains opinion "$DIR/out" "^O[0-9]\{8\}-[0-9]\{6\}$"
check opinions 0 "$CTL" -c "$CFG" opinions --topic 养老政策 && contains opinions "$DIR/out" "希望增加助餐点"

check tail 0 "$CTL" -c "$CFG" tail intake.request. --from 1 --count 2 --wait 10000
contains tail-first "$DIR/out" '"topic":"intake.request.accepted","epoch":[0-9]*,"seq":1,'
contains tail-second "$DIR/out" '"seq":2,'
contains tail-chinese "$DIR/out" '王阿姨'

check status 0 "$CTL" -c "$CFG" status && contains status "$DIR/out" "requests_accepted_total"
check usage 2 "$CTL" -c "$CFG" frobnicate
check usage-request 2 "$CTL" -c "$CFG" request close "$ID"
check keys 0 "$CTL" keys gen "$DIR/k"
CHECKS=$((CHECKS + 1))
if [ "$(stat -c %a "$DIR/k.key")" != 600 ] || [ "$(wc -c <"$DIR/k.pub")" -ne 41 ]; then
    echo "FAIL keys: bad mode or size"; FAILS=$((FAILS + 1))
fi

kill -TERM "$PID"; wait "$PID"; DRC=$?; PID=
CHECKS=$((CHECKS + 1))
[ "$DRC" -eq 0 ] || { echo "FAIL daemon exit $DRC on SIGTERM"; FAILS=$((FAILS + 1)); }
check unreachable 3 "$CTL" -c "$CFG" -T 300 status

rm -rf "$DIR"
summary hubctl
