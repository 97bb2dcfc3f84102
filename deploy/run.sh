#!/bin/sh
# `make run`: starts every hub daemon in the foreground of this terminal with
# the embedded default configuration (or $HUB_CONFIG) and data under ./var/,
# and stops them cleanly (SIGTERM, then wait) on Ctrl-C.
BIN=${1:-build/bin}
DAEMONS="intake matching notification tendering reporting"
CONF_ARG=""
[ -n "${HUB_CONFIG:-}" ] && CONF_ARG="-c $HUB_CONFIG"
mkdir -p var && chmod 700 var
pids=""
stop() {
  trap - INT TERM
  echo; echo "stopping:$pids"
  for p in $pids; do kill -TERM "$p" 2>/dev/null; done
  for p in $pids; do wait "$p" 2>/dev/null; done
  echo "all daemons stopped"
  exit 0
}
trap stop INT TERM
for d in $DAEMONS; do
  "$BIN/hub-$d" $CONF_ARG --check-config >/dev/null || { echo "hub-$d: bad configuration"; exit 78; }
  "$BIN/hub-$d" $CONF_ARG &
  pids="$pids $!"
done
# wait until each daemon answers, then say where everything is
for i in $(seq 1 100); do
  "$BIN/hubctl" $CONF_ARG -T 200 status >/dev/null 2>&1 && break
done
cat <<MSG

The hub is running (data in ./var/). Each daemon listens on:
  intake    commands tcp://127.0.0.1:7301   events tcp://127.0.0.1:7302
  matching  commands tcp://127.0.0.1:7311   events tcp://127.0.0.1:7312
  notification commands tcp://127.0.0.1:7321 events tcp://127.0.0.1:7322
  tendering commands tcp://127.0.0.1:7331   events tcp://127.0.0.1:7332
  reporting commands tcp://127.0.0.1:7341   events tcp://127.0.0.1:7342
The dashboard (live events, health, charts): http://127.0.0.1:7380/
  Prometheus metrics of every daemon:       http://127.0.0.1:7380/metrics
Try, in another terminal:
  $BIN/hubctl services
  $BIN/hubctl submit --service elderly-care --street 鼓楼街道 --name 王阿姨 \\
      --phone 13800000000 --attr care_type=meal --description "独居老人需要助餐" --consent --contact phone
  $BIN/hubctl requests
  $BIN/hubctl import deploy/library/haishu-sample.json     # a sample resource library
  $BIN/hubctl queue retry                                  # offer what was queued before
  $BIN/hubctl referrals                                    # offers made for the requests
  $BIN/hubctl queue                                        # what no provider could take
  $BIN/hubctl tender list                                  # public-benefit tenders (hubctl tender --help)
  $BIN/hubctl funds balance                                # the funds ledger, reconciled
  $BIN/hubctl report requests --by street                  # figures (also --json, --csv, --public)
  $BIN/hubctl report yearly $(date +%Y) > report.html       # the yearly report (HTML, SVG charts)
  $BIN/hubctl health                                       # every daemon up/down, subscriber lags
  $BIN/hubctl tail --from 1
Press Ctrl-C to stop.
MSG
wait
stop
