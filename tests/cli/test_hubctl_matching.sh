#!/bin/sh
# hubctl against a fresh hub-intake and hub-matching: the resource library
# (org/volunteer add, show, update, membership, import, export), a request
# submitted to intake that matching offers to an organization, accepted and
# completed; match explain, the operator queue, unmet demand, tail of
# matching's events, status of both daemons, exit codes 0/1/2/3.
#   BUILD=build sh tests/cli/test_hubctl_matching.sh
set -u
BUILD=${BUILD:-build}
CTL=$BUILD/bin/hubctl
DIR=$(mktemp -d /tmp/hub-cli-matching.XXXXXX) || exit 1
CFG=$DIR/hub.ini
IPID=
MPID=
. "$(dirname "$0")/lib.sh"

# Valid 统一社会信用代码 (GB 32100-2015), computed once with:
#   CS = "0123456789ABCDEFGHJKLMNPQRTUWXY"; W = [3^i mod 31 for i in 0..16]
#   organization code check (GB 11714) over chars 9..16, then the check
#   character (31 - sum(CS.index(ch) * W[i]) % 31) % 31 over the first 17.
CODE1=51330203MJ0000018B
CODE2=52330203MJ00000263
BADCODE=91330203MA2AAAAAAA   # last character wrong

cleanup() { stop "$MPID" "$IPID"; rm -rf "$DIR"; }
trap 'cleanup; exit 130' INT TERM

# is_json_array FILE [MIN_LENGTH]
is_json_array() {
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
sys.exit(0 if isinstance(d, list) and len(d) >= int(sys.argv[2]) else 1)' "$1" "${2:-0}"
}
# referral_with ID STATUS PROVIDER: referral show says STATUS with PROVIDER
referral_with() {
    "$CTL" -c "$CFG" -T 1000 referral show "$1" >"$DIR/poll" 2>&1 &&
        grep -q "^status  *$2\$" "$DIR/poll" && grep -q "^provider  *$3 " "$DIR/poll"
}
# in_queue ID: the request is in the operator queue
in_queue() {
    "$CTL" -c "$CFG" -T 1000 queue >"$DIR/poll" 2>&1 && grep -q "^$1  *rejected " "$DIR/poll"
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
EOF
"$BUILD/bin/hub-intake" -c "$CFG" 2>"$DIR/intake.log" &
IPID=$!
"$BUILD/bin/hub-matching" -c "$CFG" 2>"$DIR/matching.log" &
MPID=$!
# ready when status reaches both daemons (exit 3 until then); bounded
wait_started "hubctl matching test: daemons" "$IPID" "$MPID"

check status 0 "$CTL" -c "$CFG" status
contains status-intake "$DIR/out" "^intake  *up "
contains status-matching "$DIR/out" "^matching  *up "
check status-json 0 "$CTL" -c "$CFG" --json status
contains status-json-intake "$DIR/out" '"source": "intake"'
contains status-json-matching "$DIR/out" '"source": "matching"'

# ---- the library
check org-add 0 "$CTL" -c "$CFG" org add --name 鼓楼助老服务社 --credit-code "$CODE1" \
    --legal-form social-group --service elderly-care --area 鼓楼街道 --capacity 1 \
    --hours "1-7 00:00-24:00" --contact-name 张三 --contact-phone 13800000001 --approve \
    --last-verified 2026-11-01 --year-incorporated 2015
contains org-add "$DIR/out" "^ORG-[0-9]* approved$"
ORG=$(cut -d' ' -f1 "$DIR/out")
check org-add-applied 0 "$CTL" -c "$CFG" org add --name 社区帮帮团 --legal-form community-group \
    --service community --area '*'
contains org-add-applied "$DIR/out" " applied$"
ORG2=$(cut -d' ' -f1 "$DIR/out")
check org-bad-code 1 "$CTL" -c "$CFG" org add --name 假机构 --credit-code "$BADCODE" \
    --service elderly-care --area 鼓楼街道
contains org-bad-code "$DIR/err" "INVALID_ARGUMENT (org.credit_code)"
check org-bad-code-json 1 "$CTL" -c "$CFG" --json org add --name 假机构 --credit-code "$BADCODE" \
    --service elderly-care --area 鼓楼街道
contains org-bad-code-json "$DIR/out" '"code": "INVALID_ARGUMENT"'
check org-show 0 "$CTL" -c "$CFG" org show "$ORG"
contains org-show "$DIR/out" "^name  *鼓楼助老服务社$"
contains org-show-capacity "$DIR/out" "^capacity  *1 of 1 free"
contains org-show-hours "$DIR/out" "^hours  *1-7 00:00-24:00$"
contains org-show-year "$DIR/out" "^incorporated  *2015$"
check org-show-json 0 "$CTL" -c "$CFG" --json org show "$ORG"
contains org-show-json-year "$DIR/out" '"year_incorporated": 2015'
check org-bad-year 1 "$CTL" -c "$CFG" org add --name 百年老店 --legal-form community-group \
    --service community --area '*' --year-incorporated 1899
contains org-bad-year "$DIR/err" "INVALID_ARGUMENT (org.year_incorporated)"
check org-bad-year-update 1 "$CTL" -c "$CFG" org update "$ORG" --year-incorporated 2101
contains org-bad-year-update "$DIR/err" "INVALID_ARGUMENT (org.year_incorporated)"
check usage-year 2 "$CTL" -c "$CFG" org add --name x --year-incorporated 二〇一五
check org-update 0 "$CTL" -c "$CFG" org update "$ORG2" --description 邻里互助 --language zh --language en
check org-show-updated 0 "$CTL" -c "$CFG" --json org show "$ORG2"
contains org-update-kept "$DIR/out" '"name": "社区帮帮团"'
contains org-update-desc "$DIR/out" '"description": "邻里互助"'
contains org-update-lang "$DIR/out" '"en"'
lacks org-update-no-year "$DIR/out" 'year_incorporated'
check org-update-year 0 "$CTL" -c "$CFG" org update "$ORG2" --year-incorporated 2019
check org-show-year-2 0 "$CTL" -c "$CFG" org show "$ORG2"
contains org-update-year "$DIR/out" "^incorporated  *2019$"
contains org-update-year-kept "$DIR/out" "^description  *邻里互助$"
check orgs 0 "$CTL" -c "$CFG" orgs --service elderly-care
contains orgs "$DIR/out" "^$ORG  *鼓楼助老服务社  *approved "
lacks orgs-filter "$DIR/out" "$ORG2"
check org-unknown 1 "$CTL" -c "$CFG" org show ORG-999999
contains org-unknown "$DIR/err" "NOT_FOUND"

# ---- a request intake accepts is offered to the organization
check submit 0 "$CTL" -c "$CFG" submit --service elderly-care --street 鼓楼街道 --name 王阿姨 \
    --phone 13800000000 --attr care_type=meal --description "独居老人需要助餐" --consent --contact phone
ID=$(cut -d' ' -f1 "$DIR/out")
wait_until referral-offered 15 referral_with "$ID" requested "$ORG"
check referral-show 0 "$CTL" -c "$CFG" referral show "$ID"
contains referral-show-offer "$DIR/out" "^organization  *$ORG  *鼓楼助老服务社 .* pending "
contains referral-show-history "$DIR/out" "offered to $ORG"
check explain 0 "$CTL" -c "$CFG" match explain "$ID"
contains explain "$DIR/out" "^$ID  *requested  *elderly-care"
check explain-json 0 "$CTL" -c "$CFG" --json match explain "$ID"
contains explain-json "$DIR/out" '"request_id": "'"$ID"'"'
check accept-wrong-provider 1 "$CTL" -c "$CFG" referral accept "$ID" --provider "$ORG2"
contains accept-wrong-provider "$DIR/err" "FAILED_PRECONDITION (provider_id)"
check accept 0 "$CTL" -c "$CFG" referral accept "$ID" --provider "$ORG"
contains accept "$DIR/out" "^$ID accepted $ORG$"
check complete-no-outcome 1 "$CTL" -c "$CFG" referral complete "$ID" --provider "$ORG"
contains complete-no-outcome "$DIR/err" "INVALID_ARGUMENT (outcome)"
check complete 0 "$CTL" -c "$CFG" referral complete "$ID" --provider "$ORG" --outcome got-help --hours 1.5
contains complete "$DIR/out" "^$ID completed $ORG$"
check referral-json 0 "$CTL" -c "$CFG" --json referral show "$ID"
contains referral-json-status "$DIR/out" '"status": "COMPLETED"'
contains referral-json-outcome "$DIR/out" '"outcome": "GOT_HELP"'
contains referral-json-provider "$DIR/out" '"provider_id": "'"$ORG"'"'
contains referral-json-offer "$DIR/out" '"state": "OFFER_ENDED"'
contains referral-json-hours "$DIR/out" '"hours": 1.5'
check referral-human 0 "$CTL" -c "$CFG" referral show "$ID"
contains referral-human-status "$DIR/out" "^status  *completed$"
contains referral-human-outcome "$DIR/out" "^outcome  *got-help, 1.5 hours$"
# matching has followed intake by now: its subscription with the lag
# (FOLLOWS / EPOCH / CURSOR / LAG), and its queues
check status-again 0 "$CTL" -c "$CFG" status
contains status-follows "$DIR/out" "^FOLLOWS  *EPOCH  *CURSOR  *LAG"
contains status-lag "$DIR/out" "^intake  *[0-9][0-9]*  *[0-9][0-9]*  *[0-9][0-9]*$"
contains status-queue "$DIR/out" "^referrals_unmatched  *[0-9]"
contains status-queue-offers "$DIR/out" "^offers_waiting  *[0-9]"
check status-json-again 0 "$CTL" -c "$CFG" --json status
contains status-json-lag "$DIR/out" '"lag": [0-9]'
check referrals 0 "$CTL" -c "$CFG" referrals --status completed
contains referrals "$DIR/out" "^$ID  *completed  *elderly-care  *鼓楼街道 "
check org-stats 0 "$CTL" -c "$CFG" org show "$ORG"
contains org-stats "$DIR/out" "completed 1, got help 1, open 0"
contains org-stats-capacity "$DIR/out" "^capacity  *1 of 1 free"

# ---- a second request: declined (no one else fits: the queue), then withdrawn
check submit-2 0 "$CTL" -c "$CFG" submit --service elderly-care --street 鼓楼街道 --name 赵大爷 \
    --attr care_type=meal --description "需要送餐"
ID2=$(cut -d' ' -f1 "$DIR/out")
wait_until referral-2-offered 15 referral_with "$ID2" requested "$ORG"
check decline-no-reason 1 "$CTL" -c "$CFG" referral decline "$ID2" --provider "$ORG"
contains decline-no-reason "$DIR/err" "INVALID_ARGUMENT (reason)"
check decline 0 "$CTL" -c "$CFG" referral decline "$ID2" --provider "$ORG" --reason 人手不足
contains decline "$DIR/out" "^$ID2 rejected$"
check queue-declined 0 "$CTL" -c "$CFG" queue
contains queue-declined "$DIR/out" "^$ID2  *rejected  *elderly-care "
check withdraw 0 "$CTL" -c "$CFG" referral withdraw "$ID2" 重复登记
contains withdraw "$DIR/out" "^$ID2 cancelled$"
check queue-withdrawn 0 "$CTL" -c "$CFG" queue
lacks queue-withdrawn "$DIR/out" "$ID2"

# ---- a request nobody serves: the operator queue and unmet demand
check submit-unserved 0 "$CTL" -c "$CFG" submit --service psych-support --street 西门街道 --name 李先生 \
    --description "需要心理疏导"
QID=$(cut -d' ' -f1 "$DIR/out")
wait_until queue 15 in_queue "$QID"
check queue-json 0 "$CTL" -c "$CFG" --json queue
contains queue-json "$DIR/out" '"status": "REJECTED"'
check unmet 0 "$CTL" -c "$CFG" unmet
contains unmet "$DIR/out" "^psych-support  *西门街道  *1$"
check volunteer-add 0 "$CTL" -c "$CFG" volunteer add --name 陈医生 \
    --skill "psych-support:国家二级心理咨询师:PSY-001" --area 西门街道 --area 鼓楼街道 \
    --availability "1-7 00:00-24:00" --phone 13900000000 --approve
contains volunteer-add "$DIR/out" "^VOL-[0-9]* approved$"
VOL=$(cut -d' ' -f1 "$DIR/out")
check volunteer-show 0 "$CTL" -c "$CFG" volunteer show "$VOL"
contains volunteer-show "$DIR/out" "^skills  *psych-support:国家二级心理咨询师:PSY-001$"
contains volunteer-show-cases "$DIR/out" "^cases  *0 open of at most 3$"
check volunteers 0 "$CTL" -c "$CFG" volunteers --area 西门街道
contains volunteers "$DIR/out" "^$VOL  *陈医生  *approved "
check explain-candidate 0 "$CTL" -c "$CFG" match explain "$QID"
contains explain-candidate "$DIR/out" "^1  *volunteer  *$VOL  *陈医生 "
contains explain-factor "$DIR/out" " area  *[0-9.]*  *"
check assign 0 "$CTL" -c "$CFG" referral assign "$QID" --provider "$VOL" --kind volunteer --reason 电话确认
contains assign "$DIR/out" "^$QID accepted $VOL$"
check queue-after 0 "$CTL" -c "$CFG" queue
lacks queue-after "$DIR/out" "$QID"
check start 0 "$CTL" -c "$CFG" referral start "$QID" --provider "$VOL"
contains start "$DIR/out" "^$QID in-progress $VOL$"
check hold 0 "$CTL" -c "$CFG" referral hold "$QID" --provider "$VOL" --reason 住院
contains hold "$DIR/out" "^$QID on-hold $VOL$"
check resume 0 "$CTL" -c "$CFG" referral resume "$QID" --provider "$VOL"
contains resume "$DIR/out" "^$QID in-progress $VOL$"
check complete-volunteer 0 "$CTL" -c "$CFG" referral complete "$QID" --provider "$VOL" \
    --outcome could-not-contact --hours 2
contains complete-volunteer "$DIR/out" "^$QID completed $VOL$"
# the queue is empty now: a retry has nothing to offer
check queue-retry 0 "$CTL" -c "$CFG" queue retry
contains queue-retry "$DIR/out" "^retried 0, offered 0$"
check queue-retry-usage 2 "$CTL" -c "$CFG" queue retry now
check volunteer-hours 0 "$CTL" -c "$CFG" volunteer show "$VOL"
contains volunteer-hours "$DIR/out" "^hours served  *2.0$"

# ---- membership
check org-suspend 0 "$CTL" -c "$CFG" org suspend "$ORG" 资质复核
contains org-suspend "$DIR/out" "^$ORG suspended$"
check orgs-suspended 0 "$CTL" -c "$CFG" orgs --membership suspended
contains orgs-suspended "$DIR/out" "^$ORG "
check org-suspend-again 1 "$CTL" -c "$CFG" org suspend "$ORG"
contains org-suspend-again "$DIR/err" "FAILED_PRECONDITION"
check org-approve 0 "$CTL" -c "$CFG" org approve "$ORG"
contains org-approve "$DIR/out" "^$ORG approved$"

# ---- import and export
printf 'name,credit_code,legal_form,services,areas,capacity_maximum,capacity_available,membership,year_incorporated\n海曙家庭服务中心,%s,社会团体,family,月湖街道,2,2,APPROVED,2011\n' \
    "$CODE2" >"$DIR/orgs.csv"
check import-csv 0 "$CTL" -c "$CFG" import "$DIR/orgs.csv"
contains import-csv "$DIR/out" "^added 1, updated 0$"
check export 0 "$CTL" -c "$CFG" export
CHECKS=$((CHECKS + 1))
is_json_array "$DIR/out" 3 || { echo "FAIL export: not a JSON array of 3"; sed 's/^/  | /' "$DIR/out" | head -20; FAILS=$((FAILS + 1)); }
contains export-chinese "$DIR/out" "海曙家庭服务中心"
contains export-year "$DIR/out" '"year_incorporated": *2015'
contains export-year-csv "$DIR/out" '"year_incorporated": *2011'
check export-file 0 "$CTL" -c "$CFG" export "$DIR/library.json"
contains export-file "$DIR/out" "^3 organizations written to "
CHECKS=$((CHECKS + 1))
is_json_array "$DIR/library.json" 3 || { echo "FAIL export-file: not a JSON array of 3"; FAILS=$((FAILS + 1)); }
check import-roundtrip 0 "$CTL" -c "$CFG" import "$DIR/library.json"
contains import-roundtrip "$DIR/out" "^added 0, updated 3$"
check org-show-roundtrip 0 "$CTL" -c "$CFG" org show "$ORG"
contains org-show-roundtrip-year "$DIR/out" "^incorporated  *2015$"

# ---- matching's events
check tail 0 "$CTL" -c "$CFG" tail matching.referral. --daemon matching --from 1 --count 2 --wait 10000
contains tail-topic "$DIR/out" '^{"topic":"matching.referral.offered",'
contains tail-source "$DIR/out" '"source":"matching"'
contains tail-payload "$DIR/out" "\"request_id\":\"$ID\""

# ---- usage (2)
check usage-no-provider 2 "$CTL" -c "$CFG" referral accept "$ID"
check usage-org 2 "$CTL" -c "$CFG" org frobnicate
check usage-membership 2 "$CTL" -c "$CFG" orgs --membership nonsense
check usage-hours 2 "$CTL" -c "$CFG" org add --name x --hours "8 09:00-10:00"
check usage-import 2 "$CTL" -c "$CFG" import "$DIR/library.txt"
check usage-tail 2 "$CTL" -c "$CFG" tail --daemon nope
check usage-withdraw 2 "$CTL" -c "$CFG" referral withdraw "$ID"

# ---- one daemon down: status still shows the other, exit 3
kill -TERM "$MPID"; wait "$MPID"; DRC=$?; MPID=
CHECKS=$((CHECKS + 1))
[ "$DRC" -eq 0 ] || { echo "FAIL matching exit $DRC on SIGTERM"; FAILS=$((FAILS + 1)); }
check status-partial 3 "$CTL" -c "$CFG" -T 300 status
contains status-partial-intake "$DIR/out" "^intake  *up "
contains status-partial-matching "$DIR/out" "^matching  *unreachable "
check unreachable 3 "$CTL" -c "$CFG" -T 300 orgs
kill -TERM "$IPID"; wait "$IPID"; DRC=$?; IPID=
CHECKS=$((CHECKS + 1))
[ "$DRC" -eq 0 ] || { echo "FAIL intake exit $DRC on SIGTERM"; FAILS=$((FAILS + 1)); }

if [ "$FAILS" -ne 0 ]; then
    echo "--- matching.log"; tail -20 "$DIR/matching.log"
fi
rm -rf "$DIR"
summary "hubctl matching"
