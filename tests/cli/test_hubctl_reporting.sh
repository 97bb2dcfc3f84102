#!/bin/sh
# hubctl against a fresh hub-intake, hub-matching and hub-reporting: nine
# requests submitted (seven for elderly-care in 鼓楼街道, two for
# psych-support in 西门街道; no provider, so matching queues them all);
# reporting follows both daemons (and endpoints of notification and
# tendering that nobody serves: health shows them down); "report requests" as a table (right-
# aligned counts, the total row), --public (2 shown as "<5", and 7 too: the complement), --json, --csv,
# --by street, --from/--to (whole years, a range with nothing in it), unmet
# demand, a bad figure (the daemon's INVALID_ARGUMENT, exit 1), usage errors
# (exit 2), the yearly report (an HTML document with SVG charts), the public
# donations page, health (intake up), and that no output ever carries the
# requesters' phone number.
#   BUILD=build sh tests/cli/test_hubctl_reporting.sh
set -u
BUILD=${BUILD:-build}
CTL=$BUILD/bin/hubctl
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
DIR=$(mktemp -d /tmp/hub-cli-reporting.XXXXXX) || exit 1
CFG=$DIR/hub.ini
IPID=
MPID=
RPID=
. "$(dirname "$0")/lib.sh"

PHONE=13912345678
# this year and an empty one, in China Standard Time (POSIX TZ: UTC-8 is 8 hours ahead)
YEAR=$(TZ=UTC-8 date +%Y)

cleanup() { stop "$RPID" "$MPID" "$IPID"; rm -rf "$DIR"; }
trap 'cleanup; exit 130' INT TERM

# report_shows PATTERN ARGS...: "hubctl report ARGS" succeeds and a line matches PATTERN
report_shows() {
    pat=$1; shift
    "$CTL" -c "$CFG" -T 1000 report "$@" >"$DIR/poll" 2>&1 && grep -q -- "$pat" "$DIR/poll"
}
# all_requests: both services' requests counted
all_requests() {
    report_shows "^psych-support  *2 " requests && grep -q "^elderly-care  *7 " "$DIR/poll"
}
# all_unmet: matching queued every request and reporting counted it
all_unmet() {
    report_shows "^psych-support  *西门街道  *2 " unmet && grep -q "^elderly-care  *鼓楼街道  *7 " "$DIR/poll"
}
# intake_up: reporting's monitor has seen intake's heartbeat
intake_up() {
    "$CTL" -c "$CFG" -T 1000 health >"$DIR/poll" 2>&1 && grep -q "^intake  *up " "$DIR/poll"
}
# json_has NAME FILE PYTHON-EXPR: FILE is JSON (as j) and EXPR holds; r(table, key, value) is the
# row of table whose column key is value (None if none)
json_has() {
    CHECKS=$((CHECKS + 1))
    if "$PY" - "$2" "$3" <<'PYEOF' 2>"$DIR/pyerr"; then echo "ok   $1"; return 0; fi
import json, sys
j = json.load(open(sys.argv[1]))
def r(table, key, value):
    for t in j["tables"]:
        if t["name"] == table:
            for row in t["rows"]:
                if row.get(key) == value:
                    return row
    return None
sys.exit(0 if eval(sys.argv[2]) else 1)
PYEOF
    echo "FAIL $1: not $3 in"; sed 's/^/  | /' "$2" "$DIR/pyerr" | head -40; FAILS=$((FAILS + 1)); return 1
}

cat >"$CFG" <<EOF
[hub]
data_dir = $DIR/var
heartbeat_ms = 100
[intake]
api = ipc://$DIR/intake-api.sock
pub = ipc://$DIR/intake-pub.sock
[matching]
api = ipc://$DIR/matching-api.sock
pub = ipc://$DIR/matching-pub.sock
intake_api = ipc://$DIR/intake-api.sock
intake_pub = ipc://$DIR/intake-pub.sock
[reporting]
api = ipc://$DIR/reporting-api.sock
pub = ipc://$DIR/reporting-pub.sock
http =
intake_api = ipc://$DIR/intake-api.sock
intake_pub = ipc://$DIR/intake-pub.sock
matching_api = ipc://$DIR/matching-api.sock
matching_pub = ipc://$DIR/matching-pub.sock
notification_api = ipc://$DIR/notification-api.sock
notification_pub = ipc://$DIR/notification-pub.sock
tendering_api = ipc://$DIR/tendering-api.sock
tendering_pub = ipc://$DIR/tendering-pub.sock
poll_ms = 100
down_after_ms = 1000
EOF
"$BUILD/bin/hub-intake" -c "$CFG" 2>"$DIR/intake.log" &
IPID=$!
"$BUILD/bin/hub-matching" -c "$CFG" 2>"$DIR/matching.log" &
MPID=$!
"$BUILD/bin/hub-reporting" -c "$CFG" 2>"$DIR/reporting.log" &
RPID=$!
# ready when status reaches all three daemons (exit 3 until then); bounded
wait_started "hubctl reporting test: daemons" "$IPID" "$MPID" "$RPID"

check status 0 "$CTL" -c "$CFG" status
contains status-reporting "$DIR/out" "^reporting  *up "

# ---- nine requests: seven elderly-care in 鼓楼街道, two psych-support in 西门街道
for i in 1 2 3 4 5 6 7; do
    check "submit-elderly-$i" 0 "$CTL" -c "$CFG" submit --service elderly-care --street 鼓楼街道 \
        --name "王阿姨$i" --phone "$PHONE" --attr care_type=meal --description "独居老人需要助餐 $i" \
        --consent --contact phone
done
for i in 1 2; do
    check "submit-psych-$i" 0 "$CTL" -c "$CFG" submit --service psych-support --street 西门街道 \
        --name "李先生$i" --phone "$PHONE" --description "需要心理疏导 $i"
done
wait_until requests-counted 20 all_requests
wait_until unmet-counted 20 all_unmet

# ---- the table: exact counts, right-aligned, the total row
check requests 0 "$CTL" -c "$CFG" report requests
contains requests-title "$DIR/out" "(requests_by_service)$"
contains requests-header "$DIR/out" "^SERVICE  *REQUESTS  *COMPLETED  *UNMET$"
contains requests-elderly "$DIR/out" "^elderly-care  *7  *0  *7$"
contains requests-psych "$DIR/out" "^psych-support  *2  *0  *2$"
contains requests-total "$DIR/out" "^合计  *9  *0  *9$"
lacks requests-not-suppressed "$DIR/out" "<5"
# right-aligned: the counts end in the same column as their header
CHECKS=$((CHECKS + 1))
hw=$(grep "^SERVICE" "$DIR/out" | awk '{ print length($0) }')
rw=$(grep "^elderly-care" "$DIR/out" | awk '{ print length($0) }')
if [ -n "$hw" ] && [ "$hw" = "$rw" ]; then echo "ok   requests-right-aligned"
else echo "FAIL requests-right-aligned: header $hw columns, row $rw"; FAILS=$((FAILS + 1)); fi

# ---- public view: fewer than 5 shown as <5
check public 0 "$CTL" -c "$CFG" report requests --public
# the only other cell is hidden too (complementary suppression): 9 - 7 would give 2
contains public-elderly "$DIR/out" "^elderly-care  *<5  *0  *<5$"
contains public-psych "$DIR/out" "^psych-support  *<5  *0  *<5$"
lacks public-no-2 "$DIR/out" "^psych-support  *2 "
contains public-note "$DIR/out" "<5"

# ---- --json (the global option and the command's), --csv
check json 0 "$CTL" -c "$CFG" --json report requests
json_ok json "$DIR/out"
json_has json-elderly "$DIR/out" 'r("requests_by_service", "service", "elderly-care")["requests"] == 7'
json_has json-psych "$DIR/out" 'r("requests_by_service", "service", "psych-support")["requests"] == 2'
json_has json-unmet "$DIR/out" 'r("requests_by_service", "service", "psych-support")["unmet"] == 2'
check json-public 0 "$CTL" -c "$CFG" report requests --public --json
json_ok json-public "$DIR/out"
json_has json-public-psych "$DIR/out" 'r("requests_by_service", "service", "psych-support")["requests"] == "<5"'
json_has json-public-elderly "$DIR/out" 'r("requests_by_service", "service", "elderly-care")["requests"] == "<5"'
json_has json-public-flag "$DIR/out" 'j["suppressed"] is True'
check csv 0 "$CTL" -c "$CFG" report requests --csv
contains csv-header "$DIR/out" "^service,requests,completed,unmet"
contains csv-elderly "$DIR/out" "^elderly-care,7,0,7"
contains csv-psych "$DIR/out" "^psych-support,2,0,2"
CHECKS=$((CHECKS + 1))
if [ "$(head -n 1 "$DIR/out" | cut -c1-8)" = "service," ]; then echo "ok   csv-first-line"
else echo "FAIL csv-first-line: $(head -n 1 "$DIR/out")"; FAILS=$((FAILS + 1)); fi
check csv-public 0 "$CTL" -c "$CFG" report requests --csv --public
contains csv-public-psych "$DIR/out" "^psych-support,<5,0,<5"
check csv-json 2 "$CTL" -c "$CFG" report requests --csv --json

# ---- --by street, date ranges
check by-street 0 "$CTL" -c "$CFG" report requests --by street
contains by-street-title "$DIR/out" "(requests_by_street)$"
contains by-street-gulou "$DIR/out" "^鼓楼街道  *7 "
contains by-street-ximen "$DIR/out" "^西门街道  *2 "
check this-year 0 "$CTL" -c "$CFG" report requests --from "$YEAR" --to "$YEAR"
contains this-year "$DIR/out" "^elderly-care  *7 "
contains this-year-period "$DIR/out" "^period  *$YEAR-01-01 \.\. $YEAR-12-31 (CST)$"
check long-ago 0 "$CTL" -c "$CFG" report requests --from 2001-01 --to 2001-12-31
lacks long-ago "$DIR/out" "^elderly-care  *7 "
check bad-date 2 "$CTL" -c "$CFG" report requests --from 2026-13
contains bad-date "$DIR/err" "2026-13"
check no-figure 2 "$CTL" -c "$CFG" report

# ---- other figures
check unmet 0 "$CTL" -c "$CFG" report unmet
contains unmet "$DIR/out" "^psych-support  *西门街道  *2 "
check summary 0 "$CTL" -c "$CFG" report summary
contains summary "$DIR/out" "^requests  *9$"

# ---- a figure reporting does not know: the daemon's refusal
check bad-figure 1 "$CTL" -c "$CFG" report nonsense
contains bad-figure "$DIR/err" "INVALID_ARGUMENT"
check bad-figure-json 1 "$CTL" -c "$CFG" --json report nonsense
contains bad-figure-json "$DIR/out" '"code": "INVALID_ARGUMENT"'
check bad-by 1 "$CTL" -c "$CFG" report requests --by nonsense
contains bad-by "$DIR/err" "INVALID_ARGUMENT"

# ---- the yearly report and a public page: HTML documents on stdout
check yearly 0 "$CTL" -c "$CFG" report yearly "$YEAR"
CHECKS=$((CHECKS + 1))
if head -n 1 "$DIR/out" | grep -qi '^<!doctype html>'; then echo "ok   yearly-doctype"
else echo "FAIL yearly-doctype: $(head -c 200 "$DIR/out")"; FAILS=$((FAILS + 1)); fi
contains yearly-svg "$DIR/out" "<svg"
contains yearly-end "$DIR/out" "</html>"
check monthly 0 "$CTL" -c "$CFG" report monthly "$(TZ=UTC-8 date +%Y-%m)"
contains monthly "$DIR/out" "<svg"
check yearly-bad 1 "$CTL" -c "$CFG" report yearly 20x6
contains yearly-bad "$DIR/err" "INVALID_ARGUMENT"
check page-donations 0 "$CTL" -c "$CFG" report page donations
CHECKS=$((CHECKS + 1))
if grep -qi '<!doctype html>' "$DIR/out" && grep -q '</html>' "$DIR/out"; then echo "ok   page-donations-html"
else echo "FAIL page-donations-html: $(head -c 200 "$DIR/out")"; FAILS=$((FAILS + 1)); fi
check page-tenders 0 "$CTL" -c "$CFG" report page tenders
check page-bad 1 "$CTL" -c "$CFG" report page nonsense

# ---- health
wait_until intake-up 15 intake_up
check health 0 "$CTL" -c "$CFG" health
contains health-intake "$DIR/out" "^intake  *up "
contains health-matching "$DIR/out" "^matching  *up "
contains health-lags "$DIR/out" "^SUBSCRIBER  *PUBLISHER  *CURSOR  *LAG$"
contains health-lag-matching "$DIR/out" "^matching  *intake  *[0-9]"
check health-json 0 "$CTL" -c "$CFG" health --json
json_ok health-json "$DIR/out"

# ---- no output carried a requester's phone number (nor a name)
lacks no-phone "$DIR/transcript" "$PHONE"
lacks no-name "$DIR/transcript" "王阿姨"

# ---- reporting down: exit 3
stop "$RPID"
RPID=
check unreachable 3 "$CTL" -c "$CFG" -T 300 report requests

cleanup
summary "hubctl reporting"
