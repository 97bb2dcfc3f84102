#!/bin/sh
# The HSDS export against the Open Referral HSDS 3.0 organization schema:
# build/tests/test_hsds writes the export of three sample organizations
# (HSDS_EXPORT_SAMPLE=file), and python3-jsonschema validates each one,
# formats included (uuid, email, date-time), against the self-contained
# compiled/organization.json. Builds nothing itself.
#   BUILD=build sh tests/cli/test_hsds_schema.sh
#   HSDS_SCHEMA=path/to/organization.json overrides the schema location.
set -u
BUILD=${BUILD:-build}
BIN=$BUILD/tests/test_hsds
SCHEMA=${HSDS_SCHEMA:-/work/shared/schemas/hsds-3.0/compiled/organization.json}

if [ ! -x "$BIN" ]; then
    echo "hsds schema test: $BIN is missing (make $BIN)"; exit 1
fi
if [ ! -f "$SCHEMA" ]; then
    echo "hsds schema test: no schema at $SCHEMA (set HSDS_SCHEMA)"; exit 1
fi
if ! /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
    echo "hsds schema test: python3-jsonschema is missing (sh deploy/install-deps.sh)"; exit 1
fi

DIR=$(mktemp -d /tmp/hub-hsds.XXXXXX) || exit 1
trap 'rm -rf "$DIR"' EXIT INT TERM

if ! HSDS_EXPORT_SAMPLE="$DIR/sample.json" "$BIN" >"$DIR/out" 2>&1; then
    echo "hsds schema test: $BIN could not write the sample"; sed 's/^/  | /' "$DIR/out"; exit 1
fi

/usr/bin/python3 - "$SCHEMA" "$DIR/sample.json" <<'EOF'
import json
import sys
from urllib.parse import urlparse

import jsonschema

schema_path, sample_path = sys.argv[1], sys.argv[2]
with open(schema_path, encoding="utf-8") as f:
    schema = json.load(f)
with open(sample_path, encoding="utf-8") as f:
    sample = json.load(f)

# The compiled schema declares no $schema: use the newest draft.
cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
cls.check_schema(schema)
validator = cls(schema, format_checker=cls.FORMAT_CHECKER)

checks = fails = 0

def fail(msg):
    global fails
    fails += 1
    print("FAIL " + msg)

def check(cond, msg):
    global checks
    checks += 1
    if not cond:
        fail(msg)

check(isinstance(sample, list) and len(sample) == 3, "the sample is an array of 3 organizations")

ids = set()
def walk(v):
    """Every "id" in the document once (they are derived UUIDs)."""
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "id":
                check(x not in ids, "id %s is used once" % x)
                ids.add(x)
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)

for i, org in enumerate(sample if isinstance(sample, list) else []):
    checks += 1
    errors = sorted(validator.iter_errors(org), key=lambda e: list(e.absolute_path))
    for e in errors:
        path = "/".join(str(p) for p in e.absolute_path) or "(root)"
        fail("organization %d (%s) at %s: %s" % (i, org.get("name"), path, e.message))
    walk(org)
    # what the schema cannot say: the hub's keys are there, URLs are absolute
    check(isinstance(org.get("x_hub_id"), str) and org["x_hub_id"], "organization %d has x_hub_id" % i)
    check(len(org.get("services", [])) > 0, "organization %d has services" % i)
    if "website" in org:
        u = urlparse(org["website"])
        check(u.scheme in ("http", "https") and u.netloc, "organization %d website is an absolute URL" % i)
    for s in org.get("services", []):
        check(s.get("organization_id") == org["id"], "service %s points at its organization" % s.get("id"))

print("hsds schema: %d organizations, %d checks, %d failed" % (len(sample), checks, fails))
sys.exit(1 if fails else 0)
EOF
rc=$?
[ $rc -eq 0 ] && echo "hsds schema test: ok"
exit $rc
