# Shell helpers shared by the hubctl tests (tests/cli/test_*.sh), sourced
# with . "$(dirname "$0")/lib.sh" (not a test itself: tests/run.sh runs only
# test_*.sh). Each check counts itself in CHECKS, failures in FAILS, prints
# "ok   NAME" or "FAIL NAME: ..." and returns 0 or 1. The script sets DIR (its
# scratch directory); wait_started also needs CTL, CFG and a cleanup function.
CHECKS=0
FAILS=0

# check NAME EXPECTED_RC COMMAND...: output in $DIR/out, errors in $DIR/err, both appended to $DIR/transcript
check() {
    name=$1; want=$2; shift 2
    CHECKS=$((CHECKS + 1))
    "$@" >"$DIR/out" 2>"$DIR/err"; rc=$?
    cat "$DIR/out" "$DIR/err" >>"$DIR/transcript"
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL $name: exit $rc, wanted $want"; sed 's/^/  | /' "$DIR/out" "$DIR/err" | head -40
        FAILS=$((FAILS + 1)); return 1
    fi
    echo "ok   $name (exit $want)"
    return 0
}
# contains NAME FILE TEXT: FILE has a line matching the grep pattern TEXT
contains() {
    CHECKS=$((CHECKS + 1))
    if grep -q -- "$3" "$2"; then echo "ok   $1"; return 0; fi
    echo "FAIL $1: no \"$3\" in"; sed 's/^/  | /' "$2" | head -40; FAILS=$((FAILS + 1)); return 1
}
# lacks NAME FILE TEXT: no line of FILE matches the grep pattern TEXT
lacks() {
    CHECKS=$((CHECKS + 1))
    if ! grep -q -- "$3" "$2"; then echo "ok   $1"; return 0; fi
    echo "FAIL $1: \"$3\" should not be in"; sed 's/^/  | /' "$2" | head -40; FAILS=$((FAILS + 1)); return 1
}
# json_ok NAME FILE: FILE is one JSON document (read by $PY if set, else python3)
json_ok() {
    CHECKS=$((CHECKS + 1))
    if "${PY:-python3}" -c 'import json, sys; json.load(sys.stdin)' <"$2" 2>/dev/null; then echo "ok   $1"; return 0; fi
    echo "FAIL $1: not JSON"; sed 's/^/  | /' "$2" | head -40; FAILS=$((FAILS + 1)); return 1
}
# wait_until NAME SECONDS COMMAND...: reruns COMMAND until it succeeds or the deadline passes (shows $DIR/poll if not)
wait_until() {
    name=$1; secs=$2; shift 2
    CHECKS=$((CHECKS + 1))
    end=$(($(date +%s) + secs))
    until "$@"; do
        if [ "$(date +%s)" -ge "$end" ]; then
            echo "FAIL $name: not within ${secs}s"; sed 's/^/  | /' "$DIR/poll" 2>/dev/null | head -40
            FAILS=$((FAILS + 1)); return 1
        fi
        sleep 0.05
    done
    echo "ok   $name"
    return 0
}
# wait_started WHAT PID...: until hubctl status answers (75 tries); if a PID dies first or it never does, prints "WHAT did not start" and $DIR/*.log, cleans up, exits 1
wait_started() {
    what=$1; shift
    tries=0
    until "$CTL" -c "$CFG" -T 200 status >/dev/null 2>&1; do
        tries=$((tries + 1)); alive=yes
        for pid in "$@"; do kill -0 "$pid" 2>/dev/null || alive=no; done
        if [ $tries -gt 75 ] || [ $alive = no ]; then
            echo "$what did not start"; cat "$DIR"/*.log; cleanup; exit 1
        fi
    done
}
# stop PID...: SIGTERM each PID given (empty ones skipped) and wait for it, errors ignored
stop() {
    for pid in "$@"; do
        [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    return 0
}
# summary NAME: prints "NAME: N checks, N failed" and "NAME test: ok" if none failed; true if none failed
summary() {
    echo "$1: $CHECKS checks, $FAILS failed"
    [ "$FAILS" -eq 0 ] && echo "$1 test: ok"
    [ "$FAILS" -eq 0 ]
}
