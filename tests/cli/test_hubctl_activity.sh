#!/bin/sh
# hubctl's activity commands against a fresh hub-intake: the policy topics
# of the catalogue; a training with one place (the second registrant
# waitlisted at position 1, a repeated message id answered with the first
# registration, the same person under another message id refused, the
# first registrant withdrawing and the second promoted, then checked in;
# the registrations table, by state and as JSON; an announcement; the list
# by kind); a hearing that has started gets its minutes from a file (a
# training's minutes refused, a hearing on a policy topic the catalogue
# does not have refused); an opinion linked to a policy topic and to
# the hearing (an unknown topic refused); the training cancelled (the
# waitlisted registrant's registration goes with it, a new registration
# refused); the events on tail; bad input (exit 2) and refusals (exit 1).
#   BUILD=build sh tests/cli/test_hubctl_activity.sh
set -u
BUILD=${BUILD:-build}
CTL=$BUILD/bin/hubctl
DIR=$(mktemp -d /tmp/hub-cli-activity.XXXXXX) || exit 1
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
wait_started "hubctl activity test: daemon" "$PID"

# hubctl with the test's configuration
ctl() { "$CTL" -c "$CFG" "$@"; }

# ---- the catalogue's policy topics
check services-topics 0 ctl services
contains services-topic "$DIR/out" "^elderly-care-policy  *养老服务政策  *Elderly care policy$"
contains services-topic-venture "$DIR/out" "^venture-philanthropy  *公益创投 "
check services-topics-json 0 ctl --json services
contains services-topics-json "$DIR/out" '"code": "government-purchase"'

# ---- a training with one place, starting in an hour (check-in is open from 2 h before)
PLACE="海曙区社会组织服务中心 三楼报告厅"
check create 0 ctl activity create --kind training --title 社会组织财务规范培训 --starts +1h --ends +3h \
    --place "$PLACE" --street 鼓楼街道 --capacity 1 --audience orgs,public --description "年度审计与票据管理"
contains create-id "$DIR/out" "^E[0-9]\{8\}-[0-9]\{6\}$"
ACT=$(cat "$DIR/out")
check show-new 0 ctl activity show "$ACT"
contains show-kind "$DIR/out" "^kind  *training$"
contains show-status "$DIR/out" "^status  *scheduled$"
contains show-place "$DIR/out" "^place  *$PLACE$"
contains show-audience "$DIR/out" "^audience  *member organizations, public$"
contains show-places "$DIR/out" "^places  *1: 0 confirmed, 1 free, 0 waitlisted$"
contains show-description "$DIR/out" "^description  *年度审计与票据管理$"

check register-1 0 ctl activity register "$ACT" --name 王阿姨 --phone 13800000001 --message-id desk-1
contains register-1 "$DIR/out" "^$ACT-000001 confirmed$"
REG1=$ACT-000001
check register-2 0 ctl activity register "$ACT" --name 李先生 --email li@example.org --message-id desk-2
contains register-2-waitlisted "$DIR/out" "^$ACT-000002 waitlisted, position 1$"
REG2=$ACT-000002
check register-again 0 ctl activity register "$ACT" --name 王阿姨 --phone 13800000001 --message-id desk-1
contains register-again "$DIR/out" "^$REG1 confirmed (already registered)$"
check register-same-person 1 ctl activity register "$ACT" --name 王阿姨 --phone 138-0000-0001 --message-id desk-9
contains register-same-person "$DIR/err" "ALREADY_EXISTS"
check register-json 0 ctl activity register "$ACT" --name 李先生 --email li@example.org --message-id desk-2 --json
json_ok register-json "$DIR/out"
contains register-json-position "$DIR/out" '"waitlist_position": 1'
check show-full 0 ctl activity show "$ACT"
contains show-full "$DIR/out" "^places  *1: 1 confirmed, 0 free, 1 waitlisted$"
contains show-registrations "$DIR/out" "^registrations  *2$"

check registrations 0 ctl activity registrations "$ACT"
contains registrations-1 "$DIR/out" "^$REG1  *confirmed  *王阿姨  *13800000001 "
contains registrations-2 "$DIR/out" "^$REG2  *waitlisted  *李先生  *li@example.org "
check registrations-waitlisted 0 ctl activity registrations "$ACT" --state waitlisted
contains registrations-waitlisted "$DIR/out" "^$REG2 "
lacks registrations-waitlisted-only "$DIR/out" "^$REG1 "

# the first withdraws: the place goes to the second
check unregister 0 ctl activity unregister "$REG1" --reason 临时有事
contains unregister "$DIR/out" "^$REG1 withdrawn$"
contains unregister-promoted "$DIR/out" "^$REG2 promoted: confirmed$"
check checkin 0 ctl activity checkin "$REG2"
contains checkin "$DIR/out" "^$REG2 attended$"
check checkin-withdrawn 1 ctl activity checkin "$REG1"
contains checkin-withdrawn "$DIR/err" "FAILED_PRECONDITION"
check registrations-after 0 ctl activity registrations "$ACT"
contains registrations-after-1 "$DIR/out" "^$REG1  *withdrawn  *王阿姨 "
contains registrations-after-2 "$DIR/out" "^$REG2  *attended  *李先生 .* [0-9-]* [0-9:]*$"
check registrations-json 0 ctl --json activity registrations "$ACT" --state attended
json_ok registrations-json "$DIR/out"
contains registrations-json-state "$DIR/out" '"state": "ATTENDED"'
lacks registrations-json-withdrawn "$DIR/out" "$REG1"
check show-attended 0 ctl activity show "$ACT"
contains show-attended "$DIR/out" "^attended  *1$"
contains show-attended-places "$DIR/out" "^places  *1: 1 confirmed, 0 free, 0 waitlisted$"

check announce 0 ctl activity announce "$ACT" --text "培训改在三楼报告厅，请带身份证"
contains announce "$DIR/out" "^$ACT announced [0-9-]* [0-9:]* (CST)$"
check show-announced 0 ctl activity show "$ACT"
contains show-announced "$DIR/out" "^announced  *[0-9-]* [0-9:]*$"

# ---- a hearing that has started (this minute, CST): its minutes
NOW=$(TZ=Asia/Shanghai date '+%Y-%m-%d %H:%M')
check create-hearing 0 ctl activity create --kind hearing --title 居家养老服务补贴政策听证会 \
    --starts "$NOW" --ends +2h --place "$PLACE" --street 月湖街道 --capacity 30 \
    --policy-topic elderly-care-policy
HEARING=$(cat "$DIR/out")
check create-hearing-unknown-topic 1 ctl activity create --kind hearing --title 听证会 --starts "$NOW" --ends +2h \
    --place "$PLACE" --street 月湖街道 --capacity 30 --policy-topic 火星政策
contains create-hearing-unknown-topic "$DIR/err" "INVALID_ARGUMENT (policy_topic)"
printf '一、补贴标准：多数代表赞成按失能等级分档。\n二、申请流程：建议街道代办。\n' >"$DIR/minutes.txt"
check minutes 0 ctl activity minutes "$HEARING" --file "$DIR/minutes.txt"
contains minutes "$DIR/out" "^$HEARING minutes recorded ([0-9]* bytes)$"
check show-minutes 0 ctl activity show "$HEARING"
contains show-minutes-kind "$DIR/out" "^kind  *hearing$"
contains show-minutes-topic "$DIR/out" "^policy topic  *elderly-care-policy$"
contains show-minutes-1 "$DIR/out" "^minutes  *一、补贴标准"
contains show-minutes-2 "$DIR/out" "^  *二、申请流程：建议街道代办。$"
check minutes-training 1 ctl activity minutes "$ACT" --text 无
check list 0 ctl activity list
contains list-training "$DIR/out" "^$ACT  *training  *scheduled "
contains list-hearing "$DIR/out" "^$HEARING  *hearing  *scheduled "
check list-hearings 0 ctl activity list --kind hearing
contains list-hearings "$DIR/out" "^$HEARING "
lacks list-hearings-only "$DIR/out" "^$ACT "

# ---- the public's voice: an opinion linked to a policy topic and the hearing
check opinion 0 ctl opinion submit --topic 养老政策 --text "希望补贴覆盖独居老人" --anonymous --street 月湖街道
OP=$(cat "$DIR/out")
check opinion-link 0 ctl opinion link "$OP" --topic elderly-care-policy --activity "$HEARING"
contains opinion-link "$DIR/out" "^$OP topic elderly-care-policy activity $HEARING$"
check opinions-linked 0 ctl opinions --topic 养老政策
contains opinions-linked "$DIR/out" "^$OP  *养老政策  *elderly-care-policy  *$HEARING "
check opinion-link-unknown-topic 1 ctl opinion link "$OP" --topic 火星政策
contains opinion-link-unknown-topic "$DIR/err" "INVALID_ARGUMENT (policy_topic)"

# ---- cancel the training: a waitlisted registrant goes with it
check register-3 0 ctl activity register "$ACT" --name 张女士 --phone 13800000003
contains register-3 "$DIR/out" "^$ACT-000003 waitlisted, position 1$"
check cancel 0 ctl activity cancel "$ACT" --reason 场地维修
contains cancel "$DIR/out" "^$ACT cancelled$"
check show-cancelled 0 ctl activity show "$ACT"
contains show-cancelled "$DIR/out" "^cancelled  *场地维修$"
check registrations-cancelled 0 ctl activity registrations "$ACT" --state activity-cancelled
contains registrations-cancelled "$DIR/out" "^$ACT-000003  *activity-cancelled  *张女士 "
check register-cancelled 1 ctl activity register "$ACT" --name 赵先生 --phone 13800000004
contains register-cancelled "$DIR/err" "FAILED_PRECONDITION"

# ---- the events
check tail-registrations 0 ctl tail intake.registration. --from 1 --count 5 --wait 10000
contains tail-confirmed "$DIR/out" '^{"topic":"intake.registration.confirmed",'
contains tail-waitlisted "$DIR/out" '^{"topic":"intake.registration.waitlisted",'
contains tail-promoted "$DIR/out" "^{\"topic\":\"intake.registration.promoted\",.*\"registration_id\":\"$REG2\""
check tail-activity 0 ctl tail intake.activity. --from 1 --count 1 --wait 10000
contains tail-activity "$DIR/out" "^{\"topic\":\"intake.activity.created\",.*\"payload\":{\"action\":\"created\",\"activity\":{\"activity_id\":\"$ACT\""

# ---- bad input (2) and refusals (1)
check usage-activity 2 ctl activity
check usage-verb 2 ctl activity frobnicate "$ACT"
check bad-kind 2 ctl activity create --kind party --title x --starts +1d --ends +2d --place p --street 鼓楼街道 --capacity 5
contains bad-kind "$DIR/err" "volunteer-day"
check missing-capacity 2 ctl activity create --kind forum --title x --starts +1d --ends +2d --place p --street 鼓楼街道
check bad-capacity 2 ctl activity create --kind forum --title x --starts +1d --ends +2d --place p --street 鼓楼街道 --capacity 0
check bad-audience 2 ctl activity create --kind forum --title x --starts +1d --ends +2d --place p --street 鼓楼街道 \
    --capacity 5 --audience everyone
check bad-time 2 ctl activity create --kind forum --title x --starts "2026-02-30 08:00" --ends +2d --place p \
    --street 鼓楼街道 --capacity 5
check bad-hours 2 ctl activity create --kind volunteer-day --title x --starts +1d --ends +2d --place p \
    --street 鼓楼街道 --capacity 5 --hours -3
check register-no-contact 2 ctl activity register "$HEARING" --name 无名
check minutes-both 2 ctl activity minutes "$HEARING" --text a --file "$DIR/minutes.txt"
check minutes-none 2 ctl activity minutes "$HEARING"
check minutes-missing-file 2 ctl activity minutes "$HEARING" --file "$DIR/nope.txt"
check cancel-no-reason 2 ctl activity cancel "$HEARING"
check registrations-bad-state 2 ctl activity registrations "$HEARING" --state lost
check show-two-ids 2 ctl activity show "$ACT" "$HEARING"
check link-nothing 2 ctl opinion link "$OP"
check show-unknown 1 ctl activity show E20000101-000001
contains show-unknown "$DIR/err" "NOT_FOUND"
check show-unknown-json 1 ctl --json activity show E20000101-000001
json_ok show-unknown-json "$DIR/out"
contains show-unknown-json "$DIR/out" '"code": "NOT_FOUND"'

kill -TERM "$PID"; wait "$PID"; DRC=$?; PID=
CHECKS=$((CHECKS + 1))
if [ "$DRC" -eq 0 ]; then echo "ok   intake-sigterm"; else echo "FAIL intake exit $DRC on SIGTERM"; FAILS=$((FAILS + 1)); fi
check unreachable 3 ctl -T 300 activity list

if [ "$FAILS" -ne 0 ]; then
    echo "--- intake.log"; tail -20 "$DIR/intake.log"
fi
rm -rf "$DIR"
summary "hubctl activity"
