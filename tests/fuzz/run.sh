#!/bin/sh
# Runs each libFuzzer harness for SECONDS (make fuzz / make fuzz-short).
# Usage: tests/fuzz/run.sh BUILD SECONDS NAME...
# Seeds: tests/fuzz/corpus/<name>/, tests/fuzz/regress/<name>/ and the
# deploy/ samples that are that harness's input, copied (never moved) into
# BUILD/fuzz/corpus/<name>/, where libFuzzer adds what it finds; the repo
# is not modified. A crash, leak, sanitizer report or time-out leaves its
# input in BUILD/fuzz/artifacts/<name>/ and its log in BUILD/fuzz/logs/.
# One line per harness, then "fuzz: N harnesses, N passed, N failed";
# exits 1 if any failed.
set -u
build=$1; secs=$2; shift 2
passed=0; failed=0; bad=""
for h in "$@"; do
  corpus=$build/fuzz/corpus/$h; art=$build/fuzz/artifacts/$h; log=$build/fuzz/logs/$h.log
  mkdir -p "$corpus" "$art" "$build/fuzz/logs"
  for f in tests/fuzz/corpus/"$h"/* tests/fuzz/regress/"$h"/*; do
    [ -f "$f" ] && cp "$f" "$corpus/seed-$(basename "$f")"
  done
  case $h in   # the shipped samples are seeds too
    config) cp deploy/hub.ini "$corpus/seed-deploy-hub.ini" ;;
    catalogue) for f in deploy/catalogue/*.json; do cp "$f" "$corpus/seed-deploy-$(basename "$f")"; done ;;
    templates) for f in deploy/templates/*.txt; do cp "$f" "$corpus/seed-deploy-$(basename "$f")"; done ;;
    hsds) for f in deploy/library/*.json; do cp "$f" "$corpus/seed-deploy-$(basename "$f")"; done ;;
  esac
  dict=""; [ -f "tests/fuzz/$h.dict" ] && dict="-dict=tests/fuzz/$h.dict"
  # -timeout: one input slower than this is a finding (a client could stall a thread)
  "$build/fuzz/fuzz_$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$art/" $dict "$corpus" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  files=$(ls "$corpus" | wc -l)
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1)); echo "fuzz_$h: ok, ${runs:-0} runs in ${secs}s, corpus $files files"
  else
    failed=$((failed + 1)); bad="$bad $h"
    echo "fuzz_$h: FAILED (exit $rc), ${runs:-0} runs; see $log and $art/"
    grep -m3 -E 'ERROR:|runtime error|invariant failed|SUMMARY' "$log" | sed 's/^/  /'
  fi
done
echo "fuzz: $((passed + failed)) harnesses, $passed passed, $failed failed${bad:+ (failed:$bad)}"
[ $failed -eq 0 ]
