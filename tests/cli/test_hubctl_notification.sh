#!/bin/sh
# hubctl against a fresh hub-intake, hub-matching and hub-notification:
# the recipient directory (set, show, list; the webhook secret read from a
# file and never printed), notify from a template (placeholders checked,
# unknown templates refused), the inbox, the delivery queue (a webhook to a
# closed port retries, dies, is requeued), delivery show, --json, the
# request_received message intake's events cause (only with consent),
# tail of notification's events, status, exit codes 0/1/2/3.
#   BUILD=build sh tests/cli/test_hubctl_notification.sh
set -u
BUILD=${BUILD:-build}
CTL=$BUILD/bin/hubctl
DIR=$(mktemp -d /tmp/hub-cli-notification.XXXXXX) || exit 1
CFG=$DIR/hub.ini
IPID=
MPID=
NPID=
. "$(dirname "$0")/lib.sh"
SECRET=hmac-s3cr3t-$$-do-not-print
DEAD_URL=http://127.0.0.1:9/x   # the discard port: nothing listens, connections are refused

cleanup() { stop "$NPID" "$MPID" "$IPID"; rm -rf "$DIR"; }
trap 'cleanup; exit 130' INT TERM

# is_dead ID: the dead-letter list has delivery ID
is_dead() {
    "$CTL" -c "$CFG" -T 1000 deliveries dead >"$DIR/poll" 2>&1 && grep -q "^$1  *dead  *webhook  *ORG-X " "$DIR/poll"
}
# has_delivery RECIPIENT TEMPLATE: a delivery of TEMPLATE to RECIPIENT exists
has_delivery() {
    "$CTL" -c "$CFG" -T 1000 deliveries --recipient "$1" >"$DIR/poll" 2>&1 &&
        grep -q "^DLV-[0-9]*  *[a-z]*  *[a-z]*  *$1  *$2 " "$DIR/poll"
}
# in_inbox RECIPIENT TEXT: RECIPIENT's inbox shows TEXT
in_inbox() {
    "$CTL" -c "$CFG" -T 1000 inbox "$1" >"$DIR/poll" 2>&1 && grep -q -- "$2" "$DIR/poll"
}

# six free loopback ports from an offset derived from the process id (the
# defaults 7301..7322 are left alone for a hub running on this machine)
BASE=$((20000 + ($$ % 3000) * 10))
tries=0
until python3 -c 'import socket, sys
b = int(sys.argv[1])
for p in range(b, b + 6):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try: s.bind(("127.0.0.1", p))
    except OSError: sys.exit(1)
    finally: s.close()' "$BASE"; do
    tries=$((tries + 1))
    [ $tries -gt 50 ] && { echo "hubctl notification test: no free ports"; rm -rf "$DIR"; exit 1; }
    BASE=$((BASE + 10))
done
EP=tcp://127.0.0.1
cat >"$CFG" <<EOF
[hub]
data_dir = $DIR/var
heartbeat_ms = 100
[intake]
api = $EP:$BASE
pub = $EP:$((BASE + 1))
[matching]
api = $EP:$((BASE + 2))
pub = $EP:$((BASE + 3))
intake_api = $EP:$BASE
intake_pub = $EP:$((BASE + 1))
[notification]
api = $EP:$((BASE + 4))
pub = $EP:$((BASE + 5))
intake_api = $EP:$BASE
intake_pub = $EP:$((BASE + 1))
matching_api = $EP:$((BASE + 2))
matching_pub = $EP:$((BASE + 3))
sms_url =
operator_email =
; e-mail to a closed port too: it fails quickly and harmlessly
smtp_url = smtp://127.0.0.1:9
max_attempts = 2
retry_base_ms = 50
retry_max_ms = 100
EOF
"$BUILD/bin/hub-intake" -c "$CFG" 2>"$DIR/intake.log" &
IPID=$!
"$BUILD/bin/hub-matching" -c "$CFG" 2>"$DIR/matching.log" &
MPID=$!
"$BUILD/bin/hub-notification" -c "$CFG" 2>"$DIR/notification.log" &
NPID=$!
# ready when status reaches all three daemons (exit 3 until then); bounded
wait_started "hubctl notification test: daemons" "$IPID" "$MPID" "$NPID"

check status 0 "$CTL" -c "$CFG" status
contains status-intake "$DIR/out" "^intake  *up "
contains status-matching "$DIR/out" "^matching  *up "
contains status-notification "$DIR/out" "^notification  *up "

# ---- the recipient directory
printf '%s\n' "$SECRET" >"$DIR/secret"
check recipient-set 0 "$CTL" -c "$CFG" recipient set ORG-X --name 测试机构 --webhook "$DEAD_URL" \
    --secret-file "$DIR/secret" --email a@b.cn --channels webhook,inbox
contains recipient-set "$DIR/out" "^ORG-X added$"
check recipient-show 0 "$CTL" -c "$CFG" recipient show ORG-X
contains recipient-show-secret "$DIR/out" "^webhook secret  *yes$"
contains recipient-show-webhook "$DIR/out" "^webhook  *http://127.0.0.1:9/x$"
contains recipient-show-channels "$DIR/out" "^channels  *webhook inbox$"
contains recipient-show-consent "$DIR/out" "^consent  *yes$"
lacks recipient-show-no-secret "$DIR/out" "$SECRET"
check recipient-show-json 0 "$CTL" -c "$CFG" --json recipient show ORG-X
json_ok recipient-show-json "$DIR/out"
contains recipient-show-json-secret "$DIR/out" '"has_webhook_secret": true'
lacks recipient-show-json-no-secret "$DIR/out" "$SECRET"
# set changes the given fields only (the daemon replaces the whole record)
check recipient-update 0 "$CTL" -c "$CFG" recipient set ORG-X --phone 13800000000
contains recipient-update "$DIR/out" "^ORG-X updated$"
check recipient-show-updated 0 "$CTL" -c "$CFG" recipient show ORG-X
contains recipient-update-phone "$DIR/out" "^phone  *13800000000$"
contains recipient-update-kept-name "$DIR/out" "^name  *测试机构$"
contains recipient-update-kept-email "$DIR/out" "^email  *a@b.cn$"
contains recipient-update-kept-channels "$DIR/out" "^channels  *webhook inbox$"
contains recipient-update-kept-secret "$DIR/out" "^webhook secret  *yes$"
check recipient-bad-webhook 1 "$CTL" -c "$CFG" recipient set ORG-Y --webhook ftp://example.org/x
contains recipient-bad-webhook "$DIR/err" "INVALID_ARGUMENT (recipient.webhook_url)"
check recipient-bad-webhook-not-stored 1 "$CTL" -c "$CFG" recipient show ORG-Y
contains recipient-bad-webhook-not-stored "$DIR/err" "NOT_FOUND"
check recipient-bad-webhook-existing 1 "$CTL" -c "$CFG" recipient set ORG-X --webhook not-a-url
contains recipient-bad-webhook-existing "$DIR/err" "recipient.webhook_url"
check recipient-bad-webhook-kept 0 "$CTL" -c "$CFG" recipient show ORG-X
contains recipient-bad-webhook-kept "$DIR/out" "^webhook  *http://127.0.0.1:9/x$"
check recipient-audiences 0 "$CTL" -c "$CFG" recipient set ORG-X --audiences organizations,public
check recipient-show-audiences 0 "$CTL" -c "$CFG" recipient show ORG-X
contains recipient-show-audiences "$DIR/out" "^audiences  *organizations,public$"
contains recipient-audiences-kept-channels "$DIR/out" "^channels  *webhook inbox$"
check recipient-bad-audience 1 "$CTL" -c "$CFG" recipient set ORG-X --audiences organizations,everyone
contains recipient-bad-audience "$DIR/err" "INVALID_ARGUMENT (recipient.audiences)"
check recipient-audiences-none 0 "$CTL" -c "$CFG" recipient set ORG-X --audiences ""
check recipient-show-audiences-none 0 "$CTL" -c "$CFG" recipient show ORG-X
lacks recipient-show-audiences-none "$DIR/out" "^audiences"
check recipient-bad-channel 2 "$CTL" -c "$CFG" recipient set ORG-X --channels webhook,fax
check recipient-no-secret-file 1 "$CTL" -c "$CFG" recipient set ORG-X --secret-file "$DIR/nope"
check recipients 0 "$CTL" -c "$CFG" recipients
contains recipients "$DIR/out" "^ORG-X  *测试机构  *zh  *yes  *webhook,inbox  *http://127.0.0.1:9/x  *yes "
check recipients-json 0 "$CTL" -c "$CFG" --json recipients
json_ok recipients-json "$DIR/out"

# ---- notify from a template (offer_withdrawn: request_id service provider reason)
check notify 0 "$CTL" -c "$CFG" notify --to ORG-X --template offer_withdrawn --key k-1 \
    --set request_id=R-TEST-1 --set service=养老服务 --set provider=测试机构 --set reason=重复登记
CHECKS=$((CHECKS + 1))
if [ "$(grep -c '^DLV-[0-9]*$' "$DIR/out")" -eq 2 ]; then echo "ok   notify-two-deliveries"
else echo "FAIL notify-two-deliveries: wanted 2 delivery ids (webhook, inbox)"; sed 's/^/  | /' "$DIR/out"; FAILS=$((FAILS + 1)); fi
check notify-missing-placeholder 1 "$CTL" -c "$CFG" notify --to ORG-X --template offer_withdrawn --key k-2 \
    --set request_id=R-TEST-1 --set service=养老服务 --set provider=测试机构
contains notify-missing-placeholder "$DIR/err" "INVALID_ARGUMENT (reason)"
contains notify-missing-placeholder-named "$DIR/err" "{{reason}}"
check notify-unknown-template 1 "$CTL" -c "$CFG" notify --to ORG-X --template no_such_template --key k-3
contains notify-unknown-template "$DIR/err" "NOT_FOUND (template)"
check notify-unknown-recipient 1 "$CTL" -c "$CFG" notify --to ORG-X,ORG-NOBODY --template notice --key k-4 \
    --set title=t --set text=x
contains notify-unknown-recipient "$DIR/err" "NOT_FOUND"
check notify-no-key 2 "$CTL" -c "$CFG" notify --to ORG-X --template notice --set title=t --set text=x
check notify-bad-set 2 "$CTL" -c "$CFG" notify --to ORG-X --template notice --key k-5 --set title
check notify-at-past 2 "$CTL" -c "$CFG" notify --to ORG-X --template notice --key k-6 \
    --set title=t --set text=x --at "2020-01-01 08:00"
check notify-at-bad 2 "$CTL" -c "$CFG" notify --to ORG-X --template notice --key k-6 \
    --set title=t --set text=x --at "2030-02-30 08:00"
check notify-at 0 "$CTL" -c "$CFG" notify --to ORG-X,operators --template notice --key k-7 \
    --set title=停水通知 --set text=明天停水 --at "2099-01-01 08:00"
contains notify-at "$DIR/out" "^SCH-[0-9]* scheduled for 2099-01-01 08:00 (CST)$"

# ---- the inbox channel is delivered at once
check inbox 0 "$CTL" -c "$CFG" inbox ORG-X
contains inbox "$DIR/out" "^1  *[0-9-]* [0-9:]*  *offer_withdrawn  *转介已撤回：R-TEST-1 "
contains inbox-text "$DIR/out" "测试机构，您好： 此前向您转介的求助（编号 R-TEST-1"
check inbox-json 0 "$CTL" -c "$CFG" --json inbox ORG-X
json_ok inbox-json "$DIR/out"
contains inbox-json-subject "$DIR/out" '"subject": "转介已撤回：R-TEST-1"'
check inbox-after 0 "$CTL" -c "$CFG" inbox ORG-X --after 1
lacks inbox-after "$DIR/out" "offer_withdrawn"

# ---- the webhook: port 9 refuses, so it retries, then dies (max_attempts = 2)
check deliveries 0 "$CTL" -c "$CFG" deliveries --recipient ORG-X
contains deliveries-webhook "$DIR/out" "^DLV-[0-9]*  *[a-z]*  *webhook  *ORG-X  *offer_withdrawn "
contains deliveries-inbox "$DIR/out" "^DLV-[0-9]*  *sent  *inbox  *ORG-X  *offer_withdrawn  *1 "
WID=$(awk '$3 == "webhook" { print $1; exit }' "$DIR/out")
IID=$(awk '$3 == "inbox" { print $1; exit }' "$DIR/out")
wait_until webhook-dead 10 is_dead "$WID"
check deliveries-dead 0 "$CTL" -c "$CFG" deliveries dead
contains deliveries-dead "$DIR/out" "^$WID  *dead  *webhook  *ORG-X  *offer_withdrawn  *2 .*Couldn't connect"
lacks deliveries-dead-only "$DIR/out" "^$IID "
check deliveries-json 0 "$CTL" -c "$CFG" --json deliveries --state dead
json_ok deliveries-json "$DIR/out"
contains deliveries-json-state "$DIR/out" '"state": "DEAD"'
check delivery-show 0 "$CTL" -c "$CFG" delivery show "$WID"
contains delivery-show-state "$DIR/out" "^state  *dead$"
contains delivery-show-address "$DIR/out" "^address  *http://127.0.0.1:9/x$"
contains delivery-show-attempts "$DIR/out" "^attempts  *2$"
contains delivery-show-error "$DIR/out" "^last error  *.*connect"
contains delivery-show-key "$DIR/out" "^idempotency key  *send-k-1\.offer_withdrawn\.ORG-X\.webhook$"
contains delivery-show-subject "$DIR/out" "^subject  *转介已撤回：R-TEST-1$"
contains delivery-show-text "$DIR/out" "^text  *测试机构，您好："
lacks delivery-show-no-secret "$DIR/out" "$SECRET"
check delivery-show-json 0 "$CTL" -c "$CFG" --json delivery show "$WID"
json_ok delivery-show-json "$DIR/out"
check delivery-unknown 1 "$CTL" -c "$CFG" delivery show DLV-999999999999
contains delivery-unknown "$DIR/err" "NOT_FOUND"
check requeue 0 "$CTL" -c "$CFG" deliveries requeue "$WID"
contains requeue "$DIR/out" "^$WID requeued$"
check requeue-not-dead 1 "$CTL" -c "$CFG" deliveries requeue "$IID"
contains requeue-not-dead "$DIR/err" "FAILED_PRECONDITION (id)"
check requeue-usage 2 "$CTL" -c "$CFG" deliveries requeue
wait_until webhook-dead-again 10 is_dead "$WID"
check requeue-all 0 "$CTL" -c "$CFG" deliveries requeue --all
contains requeue-all "$DIR/out" "^$WID requeued$"
check deliveries-bad-state 2 "$CTL" -c "$CFG" deliveries --state lost

# ---- intake's events: request_received to the requester, only with consent
check submit-no-consent 0 "$CTL" -c "$CFG" submit --service elderly-care --street 鼓楼街道 --name 赵大爷 \
    --attr care_type=meal --description "需要送餐" --contact email --email n@y.cn
NID=$(cut -d' ' -f1 "$DIR/out")
check submit-consent 0 "$CTL" -c "$CFG" submit --service elderly-care --street 鼓楼街道 --name 王阿姨 \
    --attr care_type=meal --description "独居老人需要助餐" --consent --contact email --email x@y.cn
CID=$(cut -d' ' -f1 "$DIR/out")
wait_until request-received 15 has_delivery "requester:$CID" request_received
check request-received-list 0 "$CTL" -c "$CFG" deliveries --request "$CID"
contains request-received-email "$DIR/out" "^DLV-[0-9]*  *[a-z]*  *email  *requester:$CID  *request_received "
# intake's events are applied in order: the first request's came before
check no-consent-none 0 "$CTL" -c "$CFG" deliveries --recipient "requester:$NID"
lacks no-consent-none "$DIR/out" "^DLV-"
# matching finds nobody for them: the operators' inbox is told
wait_until operators-unmatched 15 in_inbox operators "unmatched  *$CID "

# ---- notification's events
check tail 0 "$CTL" -c "$CFG" tail notification.delivery. --daemon notification --from 1 --count 1 --wait 10000
contains tail-topic "$DIR/out" '^{"topic":"notification.delivery.sent",'
contains tail-payload "$DIR/out" '"payload":{"action":"sent","delivery":{"id":"DLV-'

# ---- the secret never showed up in anything hubctl printed
lacks secret-never-printed "$DIR/transcript" "$SECRET"

# ---- the notification daemon down: status shows the others, exit 3
kill -TERM "$NPID"; wait "$NPID"; DRC=$?; NPID=
CHECKS=$((CHECKS + 1))
if [ "$DRC" -eq 0 ]; then echo "ok   notification-sigterm"; else echo "FAIL notification exit $DRC on SIGTERM"; FAILS=$((FAILS + 1)); fi
check status-partial 3 "$CTL" -c "$CFG" -T 300 status
contains status-partial-intake "$DIR/out" "^intake  *up "
contains status-partial-notification "$DIR/out" "^notification  *unreachable "
check unreachable 3 "$CTL" -c "$CFG" -T 300 deliveries
kill -TERM "$MPID"; wait "$MPID"; MPID=
kill -TERM "$IPID"; wait "$IPID"; IPID=

if [ "$FAILS" -ne 0 ]; then
    echo "--- notification.log"; tail -20 "$DIR/notification.log"
fi
rm -rf "$DIR"
summary "hubctl notification"
