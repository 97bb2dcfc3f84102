#!/bin/sh
# hubctl against a fresh hub-intake, hub-matching and hub-tendering: three
# organizations added to matching's library and approved, which tendering
# learns from matching's events; a purchase tender drafted, updated,
# published, amended, asked about; bids sealed while the period runs (one
# refused for its legal form, a duplicate refused, one withdrawn and
# submitted again); the period ends on its own (evaluation); a conflict of
# interest refused and the conflicted evaluator recused (the award waits for
# every evaluator not recused), scores, the ranking, the award, the contract
# with its milestones and payments (over the value refused), the closure; a
# second small tender (an organization's fourth bid refused; an evaluator
# who scored recuses and its scores go; the second-ranked bid awarded only
# with a reason); a venture round cancelled with its bid still sealed; the
# funds ledger (contribution, donations, a masked disbursement, a reserved
# funder id refused, balance reconciled); the OCDS export validated;
# --json, tail (events carry no proposals), status, exit codes 0/1/2/3.
#   BUILD=build sh tests/cli/test_hubctl_tendering.sh
set -u
BUILD=${BUILD:-build}
CTL=$BUILD/bin/hubctl
VALIDATE=tests/support/ocds_validate.py
# the system Python (the validator needs Debian's python3-jsonschema; a
# version manager's shim on PATH also costs a second a start)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
DIR=$(mktemp -d /tmp/hub-cli-tendering.XXXXXX) || exit 1
CFG=$DIR/hub.ini
IPID=
MPID=
TPID=
. "$(dirname "$0")/lib.sh"

# Valid 统一社会信用代码 (see test_hubctl_matching.sh for how they are made)
CODE1=51330203MJ0000018B   # 51: 社会团体
CODE2=52330203MJ00000263   # 52: 民办非企业单位
SHA=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
BUYER=GOV-GULOU
# seconds the first tender period runs: every bid command below has to fit
# in it (slow builds, e.g. AddressSanitizer, may want more)
PERIOD=${TENDER_PERIOD_S:-10}

cleanup() { stop "$TPID" "$MPID" "$IPID"; rm -rf "$DIR"; }
trap 'cleanup; exit 130' INT TERM

# expect NAME ACTUAL WANTED: two strings are equal
expect() {
    CHECKS=$((CHECKS + 1))
    if [ "$2" = "$3" ]; then echo "ok   $1"; return 0; fi
    echo "FAIL $1: \"$2\", wanted \"$3\""; FAILS=$((FAILS + 1)); return 1
}
# org_known ORG: tendering knows ORG as an approved member
org_known() {
    "$CTL" -c "$CFG" -T 1000 tender org "$1" >"$DIR/poll" 2>&1 && grep -q "^membership  *approved$" "$DIR/poll"
}
# in_state OCID STATE: tender show says STATE
in_state() {
    "$CTL" -c "$CFG" -T 1000 tender show "$1" >"$DIR/poll" 2>&1 && grep -q "^state  *$2\$" "$DIR/poll"
}
# validator_ready: the OCDS validator (written alongside) exists
validator_ready() {
    [ -s "$VALIDATE" ]
}
# ocds_valid NAME KIND FILE: the validator accepts FILE as KIND
ocds_valid() {
    CHECKS=$((CHECKS + 1))
    if "$PY" "$VALIDATE" --kind "$2" "$3" >"$DIR/validate" 2>&1; then echo "ok   $1"; return 0; fi
    echo "FAIL $1: not a valid OCDS $2"; sed 's/^/  | /' "$DIR/validate" | head -40; FAILS=$((FAILS + 1)); return 1
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
[tendering]
api = ipc://$DIR/tendering-api.sock
pub = ipc://$DIR/tendering-pub.sock
matching_api = ipc://$DIR/matching-api.sock
matching_pub = ipc://$DIR/matching-pub.sock
deadline_check_ms = 50
EOF
"$BUILD/bin/hub-intake" -c "$CFG" 2>"$DIR/intake.log" &
IPID=$!
"$BUILD/bin/hub-matching" -c "$CFG" 2>"$DIR/matching.log" &
MPID=$!
"$BUILD/bin/hub-tendering" -c "$CFG" 2>"$DIR/tendering.log" &
TPID=$!
# ready when status reaches all three daemons (exit 3 until then); bounded
wait_started "hubctl tendering test: daemons" "$IPID" "$MPID" "$TPID"

check status 0 "$CTL" -c "$CFG" status
contains status-matching "$DIR/out" "^matching  *up "
contains status-tendering "$DIR/out" "^tendering  *up "

# ---- three organizations in matching's library, approved; tendering learns them
check org-add-1 0 "$CTL" -c "$CFG" org add --name 鼓楼助老服务社 --credit-code "$CODE1" \
    --legal-form social-group --service elderly-care --area 鼓楼街道 --year-incorporated 2015
ORG1=$(cut -d' ' -f1 "$DIR/out")
check org-add-2 0 "$CTL" -c "$CFG" org add --name 海曙乐龄服务中心 --credit-code "$CODE2" \
    --legal-form private-non-enterprise --service elderly-care --area '*' --year-incorporated 2020
ORG2=$(cut -d' ' -f1 "$DIR/out")
check org-add-3 0 "$CTL" -c "$CFG" org add --name 西门邻里互助队 --legal-form community-group \
    --service community --area 西门街道
ORG3=$(cut -d' ' -f1 "$DIR/out")
for o in "$ORG1" "$ORG2" "$ORG3"; do
    check "org-approve-$o" 0 "$CTL" -c "$CFG" org approve "$o"
    wait_until "tendering-knows-$o" 15 org_known "$o"
done
check tender-org 0 "$CTL" -c "$CFG" tender org "$ORG1"
contains tender-org-name "$DIR/out" "^name  *鼓楼助老服务社$"
contains tender-org-form "$DIR/out" "^legal form  *social-group$"
contains tender-org-code "$DIR/out" "^credit code  *$CODE1$"
contains tender-org-year "$DIR/out" "^incorporated  *2015$"
check tender-org-json 0 "$CTL" -c "$CFG" --json tender org "$ORG2"
json_ok tender-org-json "$DIR/out"
check tender-org-unknown 1 "$CTL" -c "$CFG" tender org ORG-999999
contains tender-org-unknown "$DIR/err" "NOT_FOUND"

# ---- a purchase: drafted, updated
check create 0 "$CTL" -c "$CFG" tender create --title 鼓楼街道居家养老助餐服务项目 --buyer "$BUYER" \
    --buyer-name 鼓楼街道办事处 --budget 50000 --description "为辖区独居老人提供助餐服务" \
    --criterion 服务方案:50 --criterion 专业能力:30 --criterion 报价:20 \
    --document "招标公告|https://example.org/gulou/notice.pdf|$SHA|tenderNotice" \
    --members-only --legal-form social-group --legal-form private-non-enterprise \
    --need-service elderly-care --need-street 鼓楼街道 --need-unmet 3
OCID=$(cat "$DIR/out")
expect create-one-line "$(wc -l <"$DIR/out" | tr -d ' ')" 1
CHECKS=$((CHECKS + 1))
case $OCID in
"" | *" "*) echo "FAIL create-ocid: \"$OCID\""; FAILS=$((FAILS + 1)) ;;
*) echo "ok   create-ocid ($OCID)" ;;
esac
check show-planning 0 "$CTL" -c "$CFG" tender show "$OCID"
contains show-planning-state "$DIR/out" "^state  *planning$"
contains show-planning-budget "$DIR/out" "^budget  *50000.00 yuan$"
contains show-planning-kind "$DIR/out" "^kind  *purchase$"
contains show-planning-buyer "$DIR/out" "^buyer  *$BUYER 鼓楼街道办事处$"
contains show-planning-elig "$DIR/out" "^eligibility  *approved members only; legal forms social-group, private-non-enterprise$"
contains show-planning-need "$DIR/out" "^need  *elderly-care 鼓楼街道, 3 unmet$"
contains show-planning-criterion "$DIR/out" "^1  *服务方案  *50 "
contains show-planning-document "$DIR/out" "tenderNotice  *招标公告  *https://example.org/gulou/notice.pdf"
check update 0 "$CTL" -c "$CFG" tender update "$OCID" --budget 48000.50 --description 更新后的说明
contains update "$DIR/out" "^$OCID updated$"
check show-updated 0 "$CTL" -c "$CFG" tender show "$OCID"
contains update-budget "$DIR/out" "^budget  *48000.50 yuan$"
contains update-description "$DIR/out" "^description  *更新后的说明$"
contains update-kept-title "$DIR/out" "^title  *鼓楼街道居家养老助餐服务项目$"
contains update-kept-criteria "$DIR/out" "^3  *报价  *20 "
check update-bad-weights 1 "$CTL" -c "$CFG" tender update "$OCID" --criterion 服务方案:60
contains update-bad-weights "$DIR/err" "INVALID_ARGUMENT"
check list-planning 0 "$CTL" -c "$CFG" tender list --state planning
contains list-planning "$DIR/out" "^$OCID  *planning  *purchase  *鼓楼街道居家养老助餐服务项目 "
check list-json 0 "$CTL" -c "$CFG" --json tender list
json_ok list-json "$DIR/out"
check bid-before-publish 1 "$CTL" -c "$CFG" bid submit "$OCID" --org "$ORG1" --price 45000
contains bid-before-publish "$DIR/err" "FAILED_PRECONDITION"
check create-bad-document-type 1 "$CTL" -c "$CFG" tender create --title x --buyer "$BUYER" --buyer-name n \
    --budget 1 --criterion a:100 --document "说明|https://example.org/x.pdf||notice"
contains create-bad-document-type "$DIR/err" "INVALID_ARGUMENT (process.documents"
check create-reserved-buyer 1 "$CTL" -c "$CFG" tender create --title x --buyer donations --buyer-name n \
    --budget 1 --criterion a:100
contains create-reserved-buyer "$DIR/err" "INVALID_ARGUMENT (process.buyer_id)"

# ---- a second, small tender open to any organization, its period running
# alongside (its evaluation and award come after the first's closure)
check small-create 0 "$CTL" -c "$CFG" tender create --title 鼓楼街道助浴服务 --buyer "$BUYER" \
    --buyer-name 鼓楼街道办事处 --budget 10000 --criterion 服务方案:100
SOCID=$(cat "$DIR/out")
check small-publish 0 "$CTL" -c "$CFG" tender publish "$SOCID" --end "+${PERIOD}s"
check small-bid-1 0 "$CTL" -c "$CFG" bid submit "$SOCID" --org "$ORG1" --price 9000
SBID1=$(cat "$DIR/out")
check small-bid-3 0 "$CTL" -c "$CFG" bid submit "$SOCID" --org "$ORG3" --price 8000
SBID3=$(cat "$DIR/out")
# ORG2 submits three times (withdrawing each): a fourth submission is refused
for n in 1 2 3; do
    check "small-bid-2-$n" 0 "$CTL" -c "$CFG" bid submit "$SOCID" --org "$ORG2" --price 7000
    check "small-withdraw-2-$n" 0 "$CTL" -c "$CFG" bid withdraw "$SOCID" "$(cat "$DIR/out")"
done
check small-bid-2-4 1 "$CTL" -c "$CFG" bid submit "$SOCID" --org "$ORG2" --price 7000
contains small-bid-2-4 "$DIR/err" "FAILED_PRECONDITION (org_id)"

# ---- published: the period runs a few seconds, bids are sealed
check publish-past 1 "$CTL" -c "$CFG" tender publish "$OCID" --end "2020-01-01 08:00"
check publish 0 "$CTL" -c "$CFG" tender publish "$OCID" --end "+${PERIOD}s"
contains publish "$DIR/out" "^$OCID active until "
check amend 0 "$CTL" -c "$CFG" tender amend "$OCID" --rationale 补充评分细则 --end "+$((PERIOD + 2))s" \
    --document "评分细则|https://example.org/gulou/rules.pdf||evaluationCriteria"
contains amend "$DIR/out" "^$OCID amended: active until .*, 2 documents$"
check amend-usage 2 "$CTL" -c "$CFG" tender amend "$OCID" --end +1d
check amend-earlier 1 "$CTL" -c "$CFG" tender amend "$OCID" --rationale 提前 --end +1s
check publish-again 1 "$CTL" -c "$CFG" tender publish "$OCID" --end +1d
contains publish-again "$DIR/err" "FAILED_PRECONDITION"
check update-active 1 "$CTL" -c "$CFG" tender update "$OCID" --budget 1
check enquiry-ask 0 "$CTL" -c "$CFG" tender enquiry ask "$OCID" --question "是否接受联合体投标？"
ENQ=$(cat "$DIR/out")
check enquiry-answer 0 "$CTL" -c "$CFG" tender enquiry answer "$OCID" "$ENQ" --answer 不接受
contains enquiry-answer "$DIR/out" "^$ENQ answered$"
check bid-1 0 "$CTL" -c "$CFG" bid submit "$OCID" --org "$ORG1" --price 45000 --proposal 中央厨房配送 \
    --document "投标文件|https://example.org/bids/1.pdf|$SHA|biddingDocuments"
BID1=$(cat "$DIR/out")
check bid-2 0 "$CTL" -c "$CFG" bid submit "$OCID" --org "$ORG2" --price 42000.5 --proposal 社区食堂
BID2=$(cat "$DIR/out")
check bid-legal-form 1 "$CTL" -c "$CFG" bid submit "$OCID" --org "$ORG3" --price 30000
contains bid-legal-form "$DIR/err" "FAILED_PRECONDITION (org_id)"
check bid-duplicate 1 "$CTL" -c "$CFG" bid submit "$OCID" --org "$ORG1" --price 44000
check bid-show-sealed 1 "$CTL" -c "$CFG" bid show "$OCID" "$BID1"
contains bid-show-sealed "$DIR/err" "FAILED_PRECONDITION"
check show-sealed 0 "$CTL" -c "$CFG" tender show "$OCID"
contains show-sealed-count "$DIR/out" "^bids: sealed until the tender period ends, 2 valid$"
contains show-sealed-row "$DIR/out" "^$BID1  *sealed  *sealed  *valid "
lacks show-sealed-price "$DIR/out" "45000.00"
lacks show-sealed-org "$DIR/out" "$ORG1"
check show-sealed-json 0 "$CTL" -c "$CFG" --json tender show "$OCID"
json_ok show-sealed-json "$DIR/out"
lacks show-sealed-json-org "$DIR/out" "$ORG1"
lacks show-sealed-json-proposal "$DIR/out" "中央厨房配送"
check bid-withdraw 0 "$CTL" -c "$CFG" bid withdraw "$OCID" "$BID2"
contains bid-withdraw "$DIR/out" "^$BID2 withdrawn$"
check bid-resubmit 0 "$CTL" -c "$CFG" bid submit "$OCID" --org "$ORG2" --price 43000 --proposal 社区食堂+上门
BID3=$(cat "$DIR/out")
CHECKS=$((CHECKS + 1))
if [ -n "$BID3" ] && [ "$BID3" != "$BID2" ]; then echo "ok   bid-resubmit-new-id"
else echo "FAIL bid-resubmit-new-id: \"$BID3\" after \"$BID2\""; FAILS=$((FAILS + 1)); fi
check still-active 0 "$CTL" -c "$CFG" tender show "$OCID"
contains still-active "$DIR/out" "^state  *active$" ||
    echo "     (the tender period ended too early for this machine: try TENDER_PERIOD_S=20)"

# ---- the period ends by itself: evaluation
wait_until evaluation 30 in_state "$OCID" evaluation
check show-opened 0 "$CTL" -c "$CFG" tender show "$OCID"
contains show-opened-bid "$DIR/out" "$BID1  *$ORG1  *鼓楼助老服务社  *45000.00  *valid"
contains show-opened-withdrawn "$DIR/out" "$BID2  *$ORG2  *海曙乐龄服务中心  *42000.50  *withdrawn"
contains show-opened-enquiry "$DIR/out" "^$ENQ .*是否接受联合体投标？.*不接受"
contains show-opened-amendment "$DIR/out" "补充评分细则"
check bid-show 0 "$CTL" -c "$CFG" bid show "$OCID" "$BID1"
contains bid-show-price "$DIR/out" "^price  *45000.00 yuan$"
contains bid-show-org "$DIR/out" "^organization  *$ORG1 鼓楼助老服务社$"
contains bid-show-proposal "$DIR/out" "^proposal  *中央厨房配送$"
check bid-show-json 0 "$CTL" -c "$CFG" --json bid show "$OCID" "$BID3"
json_ok bid-show-json "$DIR/out"
check bid-late 1 "$CTL" -c "$CFG" bid submit "$OCID" --org "$ORG3" --price 1
contains bid-late "$DIR/err" "FAILED_PRECONDITION"

# ---- the panel: a conflict of interest is refused
check evaluator-conflicted 0 "$CTL" -c "$CFG" tender evaluator add "$OCID" --id EV-1 --name 张评委 \
    --affiliation "$ORG1"
contains evaluator-conflicted "$DIR/out" "^EV-1 added to $OCID$"
check declare-conflicted 1 "$CTL" -c "$CFG" tender evaluator declare "$OCID" EV-1
contains declare-conflicted "$DIR/err" "PERMISSION_DENIED"
check evaluator-add 0 "$CTL" -c "$CFG" tender evaluator add "$OCID" --id EV-2 --name 李评委 \
    --affiliation "$ORG3"
check declare 0 "$CTL" -c "$CFG" tender evaluator declare "$OCID" EV-2
contains declare "$DIR/out" "^EV-2 declared no conflict of interest$"
check score-undeclared 1 "$CTL" -c "$CFG" tender score "$OCID" --evaluator EV-1 --bid "$BID1" --points 90,80,70
check score-wrong-count 1 "$CTL" -c "$CFG" tender score "$OCID" --evaluator EV-2 --bid "$BID1" --points 90,80
contains score-wrong-count "$DIR/err" "INVALID_ARGUMENT"
check score-withdrawn 1 "$CTL" -c "$CFG" tender score "$OCID" --evaluator EV-2 --bid "$BID2" --points 90,80,70
check score-1 0 "$CTL" -c "$CFG" tender score "$OCID" --evaluator EV-2 --bid "$BID1" --points 90,80,70 \
    --comment 方案完整
contains score-1 "$DIR/out" "^EV-2 scored $BID1: 83.00$"
check score-3 0 "$CTL" -c "$CFG" tender score "$OCID" --evaluator EV-2 --bid "$BID3" --points 70,70,90
contains score-3 "$DIR/out" "^EV-2 scored $BID3: 74.00$"
# EV-1 neither declared nor scored: the evaluation waits for it until it recuses
check evaluation-waits 0 "$CTL" -c "$CFG" tender evaluation "$OCID"
contains evaluation-waits "$DIR/out" "^evaluators declared: 1; recused: 0; complete: no$"
contains evaluation-waits-for "$DIR/out" "^waiting for: EV-1$"
check award-incomplete 1 "$CTL" -c "$CFG" tender award "$OCID"
contains award-incomplete "$DIR/err" "FAILED_PRECONDITION"
check recuse-usage 2 "$CTL" -c "$CFG" tender evaluator recuse "$OCID" EV-1
check recuse 0 "$CTL" -c "$CFG" tender evaluator recuse "$OCID" EV-1 --reason 与投标人有关联
contains recuse "$DIR/out" "^EV-1 recused: 与投标人有关联$"
check recuse-again 1 "$CTL" -c "$CFG" tender evaluator recuse "$OCID" EV-1 --reason 再次
contains recuse-again "$DIR/err" "ALREADY_EXISTS"
check recuse-unknown 1 "$CTL" -c "$CFG" tender evaluator recuse "$OCID" EV-9 --reason 无此人
contains recuse-unknown "$DIR/err" "NOT_FOUND"
check show-recused 0 "$CTL" -c "$CFG" tender show "$OCID"
contains show-recused "$DIR/out" "^EV-1  *张评委  *recused  *$ORG1  *recused: 与投标人有关联$"
contains show-recused-declared "$DIR/out" "^EV-2  *李评委  *[0-9-]* [0-9:]*  *$ORG3 *$"
check evaluation 0 "$CTL" -c "$CFG" tender evaluation "$OCID"
contains evaluation-1 "$DIR/out" "^1  *$BID1  *$ORG1  *鼓楼助老服务社  *45000.00  *83.00  *1 of 1$"
contains evaluation-2 "$DIR/out" "^2  *$BID3  *$ORG2  *海曙乐龄服务中心  *43000.00  *74.00  *1 of 1$"
expect evaluation-order "$(awk 'NR > 1 && $2 ~ /^BID/ { printf "%s ", $2 }' "$DIR/out")" "$BID1 $BID3 "
contains evaluation-complete "$DIR/out" "^evaluators declared: 1; recused: 1; complete: yes$"
lacks evaluation-waits-none "$DIR/out" "^waiting for"
lacks evaluation-withdrawn "$DIR/out" "$BID2"
check evaluation-json 0 "$CTL" -c "$CFG" --json tender evaluation "$OCID"
json_ok evaluation-json "$DIR/out"

# ---- award, contract, milestones, payments, closure
check award 0 "$CTL" -c "$CFG" tender award "$OCID"
contains award "$DIR/out" "^$OCID award-pending: $BID1 $ORG1 鼓楼助老服务社, 45000.00 yuan$"
check activate 0 "$CTL" -c "$CFG" tender activate "$OCID"
contains activate "$DIR/out" "^$OCID awarded$"
check contribute 0 "$CTL" -c "$CFG" funds contribute --funder "$BUYER" --name 鼓楼街道办事处 --amount 50000 \
    --memo 财政拨款
contains contribute "$DIR/out" "^CON-[0-9]* 50000.00 yuan from $BUYER (entry ENT-[0-9]*)$"
check sign-over-award 1 "$CTL" -c "$CFG" tender sign "$OCID" --value 45000.01 --start +1h --end +180d
check sign-usage 2 "$CTL" -c "$CFG" tender sign "$OCID" --start +1h
check sign-milestone-late 1 "$CTL" -c "$CFG" tender sign "$OCID" --start +1h --end +180d \
    --milestone "中期评估|+90d" --milestone "结项验收|+181d"
contains sign-milestone-late "$DIR/err" "INVALID_ARGUMENT (milestones\[1\].due_ms)"
check sign 0 "$CTL" -c "$CFG" tender sign "$OCID" --start +1h --end "2099-12-31 17:00" \
    --milestone "中期评估|+90d" --milestone "结项验收|2099-12-31 12:00"
contains sign "$DIR/out" "^$OCID contracted: contract .*, 45000.00 yuan, .* to 2099-12-31 17:00 (CST)$"
MS1=$(awk '$1 == "milestone" { print $2; exit }' "$DIR/out")
expect sign-milestones "$(grep -c '^milestone ' "$DIR/out")" 2
contains sign-milestone-2 "$DIR/out" "^milestone [^ ]* 2099-12-31 12:00 结项验收$"
check milestone-usage 2 "$CTL" -c "$CFG" tender milestone "$OCID" "$MS1" --status "done"
check milestone-progress 0 "$CTL" -c "$CFG" tender milestone "$OCID" "$MS1" --percent 50 --text 已服务300人次
contains milestone-progress "$DIR/out" "^$MS1 scheduled$"
check milestone-met 0 "$CTL" -c "$CFG" tender milestone "$OCID" "$MS1" --status met --text 中期评估通过
contains milestone-met "$DIR/out" "^$MS1 met$"
check pay 0 "$CTL" -c "$CFG" tender pay "$OCID" --amount 20000 --milestone "$MS1" --memo 首期款
contains pay "$DIR/out" "^PAY-[0-9]* 20000.00 yuan (entry ENT-[0-9]*); paid 20000.00 of 45000.00 yuan$"
check pay-over-value 1 "$CTL" -c "$CFG" tender pay "$OCID" --amount 25000.01
check pay-usage 2 "$CTL" -c "$CFG" tender pay "$OCID" --amount 1.005
check show-contract 0 "$CTL" -c "$CFG" tender show "$OCID"
contains show-contract-state "$DIR/out" "^state  *contracted$"
contains show-contract "$DIR/out" "^contract  *.* active, value 45000.00 yuan, paid 20000.00 yuan$"
contains show-contract-award "$DIR/out" "^award  *.* active: $BID1 $ORG1 鼓楼助老服务社, 45000.00 yuan, "
contains show-contract-milestone "$DIR/out" "^$MS1  *中期评估  *.* met "
contains show-contract-payment "$DIR/out" "^PAY-[0-9]*  *.* 20000.00  *$MS1  *ENT-[0-9]*  *首期款$"
contains show-contract-funder "$DIR/out" "^$BUYER  *鼓楼街道办事处  *48000.50  *45000.00  *20000.00$"
check close-usage 2 "$CTL" -c "$CFG" tender close "$OCID" --score 101
check close 0 "$CTL" -c "$CFG" tender close "$OCID" --score 88 --reason 服务期满 --evaluation 老人满意度高
contains close "$DIR/out" "^$OCID closed$"
check show-closed 0 "$CTL" -c "$CFG" tender show "$OCID"
contains show-closed-state "$DIR/out" "^state  *closed$"
contains show-closed-score "$DIR/out" "^post score  *88$"
contains show-closed-evaluation "$DIR/out" "^post evaluation  *老人满意度高$"
check show-closed-json 0 "$CTL" -c "$CFG" --json tender show "$OCID"
json_ok show-closed-json "$DIR/out"
check pay-closed 1 "$CTL" -c "$CFG" tender pay "$OCID" --amount 1

# ---- the small tender: an evaluator who scored recuses; the second-ranked
# bid is awarded only with a reason
wait_until small-evaluation 30 in_state "$SOCID" evaluation
check small-evaluator-8 0 "$CTL" -c "$CFG" tender evaluator add "$SOCID" --id EV-8 --name 王评委
check small-evaluator-9 0 "$CTL" -c "$CFG" tender evaluator add "$SOCID" --id EV-9 --name 赵评委
check small-declare-8 0 "$CTL" -c "$CFG" tender evaluator declare "$SOCID" EV-8
check small-declare-9 0 "$CTL" -c "$CFG" tender evaluator declare "$SOCID" EV-9
check small-score-9-1 0 "$CTL" -c "$CFG" tender score "$SOCID" --evaluator EV-9 --bid "$SBID1" --points 90
check small-score-9-3 0 "$CTL" -c "$CFG" tender score "$SOCID" --evaluator EV-9 --bid "$SBID3" --points 60
check small-score-8-1 0 "$CTL" -c "$CFG" tender score "$SOCID" --evaluator EV-8 --bid "$SBID1" --points 70
check small-award-incomplete 1 "$CTL" -c "$CFG" tender award "$SOCID"
contains small-award-incomplete "$DIR/err" "FAILED_PRECONDITION"
check small-recuse 0 "$CTL" -c "$CFG" tender evaluator recuse "$SOCID" EV-8 --reason 出差无法完成评审
check small-show-recused 0 "$CTL" -c "$CFG" tender show "$SOCID"
contains small-show-recused "$DIR/out" "^EV-8  *王评委  *recused  *recused: 出差无法完成评审$"
lacks small-show-recused-scores "$DIR/out" "^EV-8  *$SBID1 "
contains small-show-scores "$DIR/out" "^EV-9  *$SBID1  *90 "
check small-evaluation 0 "$CTL" -c "$CFG" tender evaluation "$SOCID"
contains small-evaluation-1 "$DIR/out" "^1  *$SBID1  *$ORG1 .* 90.00  *1 of 1$"
contains small-evaluation-complete "$DIR/out" "^evaluators declared: 1; recused: 1; complete: yes$"
check small-award-second 1 "$CTL" -c "$CFG" tender award "$SOCID" --bid "$SBID3"
contains small-award-second "$DIR/err" "INVALID_ARGUMENT (reason)"
check small-award-second-reason 0 "$CTL" -c "$CFG" tender award "$SOCID" --bid "$SBID3" --reason 第一名已放弃
contains small-award-second-reason "$DIR/out" \
    "^$SOCID award-pending: $SBID3 $ORG3 西门邻里互助队, 8000.00 yuan; reason: 第一名已放弃$"
check small-show-award 0 "$CTL" -c "$CFG" tender show "$SOCID"
contains small-show-award "$DIR/out" "^award  *.* pending: $SBID3 $ORG3 西门邻里互助队, 8000.00 yuan, "
contains small-show-award-reason "$DIR/out" "^award reason  *第一名已放弃$"

# ---- OCDS export
wait_until ocds-validator 300 validator_ready
check export 0 "$CTL" -c "$CFG" tender export "$OCID"
cp "$DIR/out" "$DIR/release-package.json"
json_ok export-json "$DIR/release-package.json"
ocds_valid export-release-package release-package "$DIR/release-package.json"
contains export-ocid "$DIR/release-package.json" "$OCID"
check export-record 0 "$CTL" -c "$CFG" tender export "$OCID" --record
cp "$DIR/out" "$DIR/record-package.json"
json_ok export-record-json "$DIR/record-package.json"
ocds_valid export-record-package record-package "$DIR/record-package.json"
contains export-record-compiled "$DIR/record-package.json" "compiledRelease"
check export-unknown 1 "$CTL" -c "$CFG" tender export ocds-nope-000000

# ---- a venture round with two funders for organizations active 10 years, cancelled
check venture 0 "$CTL" -c "$CFG" tender create --kind venture --title 社区公益创投 --buyer "$BUYER" \
    --buyer-name 鼓楼街道办事处 --budget 30000 --criterion 创新性:100 --min-years 10 \
    --funder "FND-1:宁波慈善基金会:20000" --funder "$BUYER:鼓楼街道办事处:10000"
VOCID=$(cat "$DIR/out")
check venture-show 0 "$CTL" -c "$CFG" tender show "$VOCID"
contains venture-kind "$DIR/out" "^kind  *venture$"
contains venture-funder "$DIR/out" "^FND-1  *宁波慈善基金会  *20000.00 "
contains venture-elig "$DIR/out" "^eligibility  *at least 10 years active$"
check venture-bad-shares 1 "$CTL" -c "$CFG" tender update "$VOCID" --budget 40000
contains venture-bad-shares "$DIR/err" "INVALID_ARGUMENT"
check venture-publish 0 "$CTL" -c "$CFG" tender publish "$VOCID" --end +1d
check venture-bid-young 1 "$CTL" -c "$CFG" bid submit "$VOCID" --org "$ORG2" --price 20000
contains venture-bid-young "$DIR/err" "FAILED_PRECONDITION (org_id)"
check venture-bid-old 0 "$CTL" -c "$CFG" bid submit "$VOCID" --org "$ORG1" --price 25000
Q1000=$(printf '%1000s' '' | tr ' ' q)
check enquiry-1000 0 "$CTL" -c "$CFG" tender enquiry ask "$VOCID" --question "$Q1000"
check enquiry-1001 1 "$CTL" -c "$CFG" tender enquiry ask "$VOCID" --question "${Q1000}q"
contains enquiry-1001 "$DIR/err" "INVALID_ARGUMENT (text)"
check cancel-usage 2 "$CTL" -c "$CFG" tender cancel "$VOCID"
check cancel 0 "$CTL" -c "$CFG" tender cancel "$VOCID" --reason 预算调整
contains cancel "$DIR/out" "^$VOCID cancelled$"
check cancelled-show 0 "$CTL" -c "$CFG" tender show "$VOCID"
contains cancelled-show-sealed "$DIR/out" "^bids: sealed (cancelled before the tender period ended), 1 valid$"
lacks cancelled-show-org "$DIR/out" "$ORG1"
check cancel-again 1 "$CTL" -c "$CFG" tender cancel "$VOCID" --reason 再次
check list-cancelled 0 "$CTL" -c "$CFG" tender list --state cancelled
contains list-cancelled "$DIR/out" "^$VOCID  *cancelled  *venture "
lacks list-cancelled-only "$DIR/out" "^$OCID "

# ---- the donation box
check contribute-reserved 1 "$CTL" -c "$CFG" funds contribute --funder donations --amount 1
contains contribute-reserved "$DIR/err" "INVALID_ARGUMENT (funder_id)"
check donate-named 0 "$CTL" -c "$CFG" funds donate --donor 陈先生 --amount 1000 --memo 助老
contains donate-named "$DIR/out" "^DON-[0-9]* 1000.00 yuan from 陈先生 "
check donate-anonymous 0 "$CTL" -c "$CFG" funds donate --anonymous --amount 500.5
contains donate-anonymous "$DIR/out" "^DON-[0-9]* 500.50 yuan from an anonymous donor "
check donate-usage 2 "$CTL" -c "$CFG" funds donate --donor 陈先生 --anonymous --amount 1
check disburse 0 "$CTL" -c "$CFG" funds disburse --name 王小明 --phone 13812345678 \
    --address 中山西路88号3幢 --street 鼓楼街道 --purpose 助餐补贴 --amount 300
contains disburse "$DIR/out" "^DIS-[0-9]* 300.00 yuan (entry ENT-[0-9]*)$"
check disburse-usage 2 "$CTL" -c "$CFG" funds disburse --name 王小明 --street 鼓楼街道 --amount 1
check disburse-too-much 1 "$CTL" -c "$CFG" funds disburse --name 李四 --street 鼓楼街道 --purpose 医疗 \
    --amount 5000
check disclosure 0 "$CTL" -c "$CFG" funds disclosure
contains disclosure-masked "$DIR/out" "^王\*\*  *鼓楼街道  *助餐补贴  *300.00 "
contains disclosure-totals "$DIR/out" "^donations: 2, 1500.50 yuan; disbursed 300.00 yuan; held 1200.50 yuan$"
lacks disclosure-name "$DIR/out" "王小明"
lacks disclosure-phone "$DIR/out" "13812345678"
lacks disclosure-address "$DIR/out" "中山西路"
check disclosure-json 0 "$CTL" -c "$CFG" --json funds disclosure
json_ok disclosure-json "$DIR/out"
lacks disclosure-json-name "$DIR/out" "王小明"
lacks disclosure-json-phone "$DIR/out" "13812345678"

# ---- the ledger
check balance 0 "$CTL" -c "$CFG" funds balance
contains balance-reconciled "$DIR/out" "^reconciled: yes$"
contains balance-fund "$DIR/out" "^fund:$BUYER  *50000.00  *20000.00  *30000.00$"
contains balance-contrib "$DIR/out" "^contrib:$BUYER  *0.00  *50000.00  *50000.00$"
contains balance-donations "$DIR/out" "^fund:donations  *1500.50  *300.00  *1200.50$"
contains balance-totals "$DIR/out" "^totals: debit .*; 5 entries$"
check balance-json 0 "$CTL" -c "$CFG" --json funds balance
json_ok balance-json "$DIR/out"
contains balance-json-reconciled "$DIR/out" '"reconciled": true'
check entries 0 "$CTL" -c "$CFG" funds entries
contains entries-contribution "$DIR/out" "^ENT-[0-9]*  *[0-9-]* [0-9:]*  *contribution  *"
contains entries-payment "$DIR/out" "  *payment  *$OCID"
contains entries-disbursement "$DIR/out" "  *disbursement  *DIS-"
lacks entries-phone "$DIR/out" "13812345678"
check entries-account 0 "$CTL" -c "$CFG" funds entries --account fund:donations --limit 10
lacks entries-account "$DIR/out" "contribution"
contains entries-account-donation "$DIR/out" "  *donation  *DON-"
check entries-json 0 "$CTL" -c "$CFG" --json funds entries
json_ok entries-json "$DIR/out"

# ---- tendering's events
check tail-tender 0 "$CTL" -c "$CFG" tail tendering. --daemon tendering --from 1 --count 1 --wait 10000
contains tail-tender-topic "$DIR/out" '^{"topic":"tendering.tender.planned",'
contains tail-tender-payload "$DIR/out" "\"payload\":{\"action\":\"planned\",\"process\":{\"ocid\":\"$OCID\""
check tail-funds 0 "$CTL" -c "$CFG" tail funds. --daemon tendering --from 1 --count 4 --wait 10000
contains tail-funds-topic "$DIR/out" '^{"topic":"funds.contribution.received",'
contains tail-funds-disbursement "$DIR/out" '^{"topic":"funds.disbursement.made",'
lacks tail-funds-phone "$DIR/out" "13812345678"
lacks tail-funds-name "$DIR/out" "王小明"
# every event tendering has published (status's LAST SEQ of them)
check status-last-seq 0 "$CTL" -c "$CFG" status
LAST=$(awk '$1 == "tendering" && $2 == "up" { print $5; exit }' "$DIR/out")
check tail-tender-all 0 "$CTL" -c "$CFG" tail --daemon tendering --from 1 --count "${LAST:-1}" --wait 10000
expect tail-tender-all-count "$(grep -c '^{"topic":' "$DIR/out")" "$LAST"
contains tail-tender-recused "$DIR/out" '^{"topic":"tendering.evaluator.recused",'
lacks tail-tender-proposal "$DIR/out" "中央厨房配送"

# ---- usage (2) and refusals (1)
check usage-tender 2 "$CTL" -c "$CFG" tender
check usage-tender-verb 2 "$CTL" -c "$CFG" tender frobnicate "$OCID"
check usage-funds 2 "$CTL" -c "$CFG" funds frobnicate
check usage-bid-show 2 "$CTL" -c "$CFG" bid show "$OCID"
check usage-create 2 "$CTL" -c "$CFG" tender create --title x --buyer b --buyer-name n
check usage-yuan-3-decimals 2 "$CTL" -c "$CFG" tender create --title x --buyer b --buyer-name n --budget 12.345
check usage-yuan-exponent 2 "$CTL" -c "$CFG" tender create --title x --buyer b --buyer-name n --budget 1e3
check usage-yuan-negative 2 "$CTL" -c "$CFG" funds donate --amount -5
check usage-yuan-dot 2 "$CTL" -c "$CFG" funds donate --amount 5.
check usage-time 2 "$CTL" -c "$CFG" tender publish "$OCID" --end "2026-02-30 08:00"
check usage-time-unit 2 "$CTL" -c "$CFG" tender publish "$OCID" --end +3w
check usage-criterion 2 "$CTL" -c "$CFG" tender create --title x --buyer b --buyer-name n --budget 1 \
    --criterion 无权重
check usage-document 2 "$CTL" -c "$CFG" bid submit "$OCID" --org "$ORG1" --price 1 --document 只有标题
check usage-state 2 "$CTL" -c "$CFG" tender list --state lost
check usage-points 2 "$CTL" -c "$CFG" tender score "$OCID" --evaluator EV-2 --bid "$BID1" --points 1,x
check unknown-tender 1 "$CTL" -c "$CFG" tender show ocds-nope-000000
contains unknown-tender "$DIR/err" "NOT_FOUND"
check unknown-tender-json 1 "$CTL" -c "$CFG" --json tender show ocds-nope-000000
json_ok unknown-tender-json "$DIR/out"
contains unknown-tender-json-code "$DIR/out" '"code": "NOT_FOUND"'

# ---- the tendering daemon down: status shows the others, exit 3
kill -TERM "$TPID"; wait "$TPID"; DRC=$?; TPID=
CHECKS=$((CHECKS + 1))
if [ "$DRC" -eq 0 ]; then echo "ok   tendering-sigterm"; else echo "FAIL tendering exit $DRC on SIGTERM"; FAILS=$((FAILS + 1)); fi
check status-partial 3 "$CTL" -c "$CFG" -T 300 status
contains status-partial-matching "$DIR/out" "^matching  *up "
contains status-partial-tendering "$DIR/out" "^tendering  *unreachable "
check unreachable 3 "$CTL" -c "$CFG" -T 300 tender list
kill -TERM "$MPID"; wait "$MPID"; MPID=
kill -TERM "$IPID"; wait "$IPID"; IPID=

if [ "$FAILS" -ne 0 ]; then
    echo "--- tendering.log"; tail -20 "$DIR/tendering.log"
fi
rm -rf "$DIR"
summary "hubctl tendering"
