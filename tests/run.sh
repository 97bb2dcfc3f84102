#!/bin/sh
# Runs each test program given as an argument (cmocka binaries), then the
# shell-driven tests (tests/*/test_*.sh: hubctl, the Python channel
# example), each counted as one test, and ends with one line CI can read:
# "N passed, N failed". Exits 1 if anything failed or crashed.
passed=0; failed=0; broken=""
BUILD=${BUILD:-build}; export BUILD
for t in "$@"; do
  out=$("$t" 2>&1); rc=$?
  printf '%s\n' "$out"
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' | awk '{s+=$1} END {print s+0}')
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' | awk '{s+=$1} END {print s+0}')
  passed=$((passed + p)); failed=$((failed + f))
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); broken="$broken $t"; fi
done
for s in tests/*/test_*.sh; do
  [ -f "$s" ] || continue
  if sh "$s"; then passed=$((passed + 1));
  else failed=$((failed + 1)); broken="$broken $s"; fi
done
[ -n "$broken" ] && echo "crashed or failed outside cmocka:$broken"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
