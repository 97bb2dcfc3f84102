#!/usr/bin/python3
"""Validates OCDS 1.1.5 JSON files offline.

    /usr/bin/python3 tests/support/ocds_validate.py --kind release|release-package|record-package FILE...

--kind applies to the files after it and may be given again, so that one run
(one start of Python and jsonschema, the slow part) checks several kinds:
    ocds_validate.py --kind release r.json --kind record-package rec.json
Each FILE is checked against the matching schema in tests/schemas/ocds-1.1.5/
(--schemas DIR to use another copy): a release against the self-contained
dereferenced-release-schema.json, a package against its package schema with
the release schema's URL mapped to the local release-schema.json (any other
remote $ref is an error, never a download). Formats are checked (date-time
as RFC 3339, uri when python3-rfc3987 is installed).

Then what JSON Schema does not say in 1.1.5 (open codelists, references):
  - codes are from the codelists: releaseTag, initiationType, tenderStatus,
    awardStatus, contractStatus, milestoneStatus, milestoneType, partyRole,
    documentType, currency, method, procurementCategory, awardCriteria,
    submissionMethod (an open codelist still gets no code of our own here:
    the hub declares no extension);
  - every Value.amount has at most two decimals in the text;
  - party ids are unique, and buyer, procuringEntity, tenderers, suppliers,
    payers and payees name a party that has the matching role;
  - contracts[].awardID names an award: in a package, an award of any of
    its releases (a record: of its releases or compiledRelease), since a
    release may carry only what changed (a payment's release has the
    contract but not its award); in a lone release, one of its own awards
    when it has any;
  - packages: release ids unique, each record's releases share its ocid, in
    date order, and its compiledRelease has the tag "compiled".

Prints one line per error ("FILE: path: message") and exits 0 when every file
is valid, 1 when any is not, 2 on a usage, file or schema problem.
Needs Debian's python3-jsonschema (4.10: RefResolver, Draft4Validator).
"""
import csv
import datetime
import decimal
import json
import os
import re
import sys

import jsonschema

RELEASE_URL = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMAS = os.path.normpath(os.path.join(HERE, "..", "schemas", "ocds-1.1.5"))

SCHEMA_FILE = {
    "release": "dereferenced-release-schema.json",
    "release-package": "release-package-schema.json",
    "record-package": "record-package-schema.json",
}

CODELISTS = ("releaseTag", "initiationType", "tenderStatus", "awardStatus", "contractStatus",
             "milestoneStatus", "milestoneType", "partyRole", "documentType", "currency", "method",
             "procurementCategory", "awardCriteria", "submissionMethod")

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


class SchemaProblem(Exception):
    pass


def load_json(path):
    # floats as Decimal: the money check reads the digits as written
    with open(path, encoding="utf-8") as f:
        return json.load(f, parse_float=decimal.Decimal)


def load_codelists(directory):
    lists = {}
    for name in CODELISTS:
        path = os.path.join(directory, "codelists", name + ".csv")
        with open(path, encoding="utf-8", newline="") as f:
            lists[name] = {row["Code"] for row in csv.DictReader(f)}
    return lists


def format_checker():
    checker = jsonschema.FormatChecker(formats=())
    checker.checkers = dict(jsonschema.draft4_format_checker.checkers)

    def date_time(value):
        if not isinstance(value, str):
            return True
        if not RFC3339.match(value):
            return False
        text = value.upper().replace("Z", "+00:00")
        if "." in text:
            text = re.sub(r"\.\d+", "", text)
        datetime.datetime.fromisoformat(text)  # ValueError for 2026-02-30 etc.
        return True

    checker.checks("date-time", raises=ValueError)(date_time)
    return checker


def refuse_remote(uri):
    raise SchemaProblem("remote $ref %s is not available offline" % uri)


def make_validator(directory, kind):
    schema = load_json(os.path.join(directory, SCHEMA_FILE[kind]))
    release = load_json(os.path.join(directory, "release-schema.json"))
    # the dereferenced schema is generated from release-schema.json, which is
    # checked instead (checking the 900 kB expansion takes a second)
    jsonschema.Draft4Validator.check_schema(release if kind == "release" else schema)
    store = {RELEASE_URL: release}
    if schema.get("id"):
        store[schema["id"]] = schema
    resolver = jsonschema.RefResolver(schema.get("id", ""), schema, store=store,
                                      handlers={"http": refuse_remote, "https": refuse_remote})
    return jsonschema.Draft4Validator(schema, resolver=resolver, format_checker=format_checker())


def path_text(parts):
    out = ""
    for p in parts:
        out += "[%d]" % p if isinstance(p, int) else ("." if out else "") + str(p)
    return out or "(root)"


class Checker:
    def __init__(self, codelists):
        self.codes = codelists
        self.errors = []

    def error(self, path, message):
        self.errors.append((path, message))

    def code(self, path, value, codelist):
        if value is None:
            return
        if not isinstance(value, str) or value not in self.codes[codelist]:
            self.error(path, "%r is not a code of %s.csv" % (value, codelist))

    def codes_of(self, path, values, codelist):
        if isinstance(values, list):
            for i, v in enumerate(values):
                self.code(path + "[%d]" % i, v, codelist)

    def walk_values(self, path, node):
        """Every Value (an object with amount or currency)."""
        if isinstance(node, dict):
            if "currency" in node or ("amount" in node and not isinstance(node["amount"], dict)):
                if "currency" in node:
                    self.code(path + ".currency", node["currency"], "currency")
                amount = node.get("amount")
                if isinstance(amount, decimal.Decimal):
                    if not amount.is_finite() or amount.as_tuple().exponent < -2:
                        self.error(path + ".amount", "%s has more than two decimals" % amount)
            for k, v in node.items():
                self.walk_values(path + "." + k if path else k, v)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                self.walk_values(path + "[%d]" % i, v)

    def documents(self, path, docs):
        if isinstance(docs, list):
            for i, d in enumerate(docs):
                if isinstance(d, dict):
                    self.code("%s[%d].documentType" % (path, i), d.get("documentType"), "documentType")

    def milestones(self, path, items):
        if isinstance(items, list):
            for i, m in enumerate(items):
                if isinstance(m, dict):
                    self.code("%s[%d].status" % (path, i), m.get("status"), "milestoneStatus")
                    self.code("%s[%d].type" % (path, i), m.get("type"), "milestoneType")

    def release(self, path, r, award_ids=None):
        """Checks release r; award_ids: the award ids its contracts may name
        (None: its own, and awardID is only checked when it has awards)."""
        if not isinstance(r, dict):
            return
        p = (path + ".") if path else ""
        self.codes_of(p + "tag", r.get("tag"), "releaseTag")
        self.code(p + "initiationType", r.get("initiationType"), "initiationType")
        roles = {}
        for i, party in enumerate(r.get("parties") or []):
            if not isinstance(party, dict):
                continue
            self.codes_of(p + "parties[%d].roles" % i, party.get("roles"), "partyRole")
            pid = party.get("id")
            if pid in roles:
                self.error(p + "parties[%d].id" % i, "party id %r is used twice" % pid)
            roles[pid] = set(party.get("roles") or [])

        def ref(where, org, role):
            if not isinstance(org, dict):
                return
            if "id" not in org:
                self.error(where, "the organization reference has no id")
            elif org["id"] not in roles:
                self.error(where + ".id", "%r is not in parties" % org["id"])
            elif role not in roles[org["id"]]:
                self.error(where + ".id", "party %r lacks the role %r" % (org["id"], role))

        ref(p + "buyer", r.get("buyer"), "buyer")
        planning = r.get("planning") or {}
        if isinstance(planning, dict):
            self.documents(p + "planning.documents", planning.get("documents"))
            self.milestones(p + "planning.milestones", planning.get("milestones"))
        tender = r.get("tender") or {}
        if isinstance(tender, dict):
            t = p + "tender."
            self.code(t + "status", tender.get("status"), "tenderStatus")
            self.code(t + "procurementMethod", tender.get("procurementMethod"), "method")
            self.code(t + "mainProcurementCategory", tender.get("mainProcurementCategory"),
                      "procurementCategory")
            self.code(t + "awardCriteria", tender.get("awardCriteria"), "awardCriteria")
            self.codes_of(t + "submissionMethod", tender.get("submissionMethod"), "submissionMethod")
            self.documents(t + "documents", tender.get("documents"))
            self.milestones(t + "milestones", tender.get("milestones"))
            ref(t + "procuringEntity", tender.get("procuringEntity"), "procuringEntity")
            for i, o in enumerate(tender.get("tenderers") or []):
                ref(t + "tenderers[%d]" % i, o, "tenderer")
        check_award_ids = award_ids is not None or bool(release_award_ids(r))
        if award_ids is None:
            award_ids = release_award_ids(r)
        for i, a in enumerate(r.get("awards") or []):
            if not isinstance(a, dict):
                continue
            w = p + "awards[%d]." % i
            self.code(w + "status", a.get("status"), "awardStatus")
            self.documents(w + "documents", a.get("documents"))
            for k, o in enumerate(a.get("suppliers") or []):
                ref(w + "suppliers[%d]" % k, o, "supplier")
        for i, c in enumerate(r.get("contracts") or []):
            if not isinstance(c, dict):
                continue
            w = p + "contracts[%d]." % i
            self.code(w + "status", c.get("status"), "contractStatus")
            if check_award_ids and c.get("awardID") not in award_ids:
                self.error(w + "awardID", "%r names no award" % c.get("awardID"))
            self.documents(w + "documents", c.get("documents"))
            self.milestones(w + "milestones", c.get("milestones"))
            impl = c.get("implementation") or {}
            if isinstance(impl, dict):
                self.documents(w + "implementation.documents", impl.get("documents"))
                self.milestones(w + "implementation.milestones", impl.get("milestones"))
                for k, tx in enumerate(impl.get("transactions") or []):
                    if isinstance(tx, dict):
                        ref(w + "implementation.transactions[%d].payer" % k, tx.get("payer"), "payer")
                        ref(w + "implementation.transactions[%d].payee" % k, tx.get("payee"), "payee")
        self.walk_values(path, r)


def release_award_ids(r):
    """The ids of the awards release r carries."""
    if not isinstance(r, dict):
        return set()
    return {a.get("id") for a in (r.get("awards") or []) if isinstance(a, dict)}


def sort_key(date):
    return date if isinstance(date, str) else ""


def check_file(validator, codelists, kind, doc):
    errors = []
    for e in sorted(validator.iter_errors(doc), key=lambda e: [str(x) for x in e.absolute_path]):
        errors.append((path_text(e.absolute_path), e.message))
    c = Checker(codelists)
    if kind == "release":
        c.release("", doc)
    elif isinstance(doc, dict) and kind == "release-package":
        ids = set()
        releases = doc.get("releases") or []
        award_ids = set().union(*[release_award_ids(r) for r in releases]) if isinstance(releases, list) else set()
        for i, r in enumerate(releases):
            c.release("releases[%d]" % i, r, award_ids)
            rid = r.get("id") if isinstance(r, dict) else None
            if rid in ids:
                c.error("releases[%d].id" % i, "release id %r is used twice" % rid)
            ids.add(rid)
    elif isinstance(doc, dict) and kind == "record-package":
        for i, rec in enumerate(doc.get("records") or []):
            if not isinstance(rec, dict):
                continue
            w = "records[%d]." % i
            ids = set()
            dates = []
            releases = rec.get("releases") or []
            if not isinstance(releases, list):
                releases = []
            award_ids = set().union(*[release_award_ids(r) for r in releases + [rec.get("compiledRelease")]])
            for k, r in enumerate(releases):
                if not isinstance(r, dict) or "url" in r:
                    continue  # a linked release: nothing embedded to check
                c.release(w + "releases[%d]" % k, r, award_ids)
                if r.get("ocid") != rec.get("ocid"):
                    c.error(w + "releases[%d].ocid" % k, "%r is not the record's ocid" % r.get("ocid"))
                if r.get("id") in ids:
                    c.error(w + "releases[%d].id" % k, "release id %r is used twice" % r.get("id"))
                ids.add(r.get("id"))
                dates.append(sort_key(r.get("date")))
            if dates != sorted(dates):
                c.error(w + "releases", "the releases are not in date order")
            comp = rec.get("compiledRelease")
            if isinstance(comp, dict):
                c.release(w + "compiledRelease", comp, award_ids)
                if comp.get("tag") != ["compiled"]:
                    c.error(w + "compiledRelease.tag", "a compiled release has the tag [\"compiled\"]")
                if comp.get("ocid") != rec.get("ocid"):
                    c.error(w + "compiledRelease.ocid", "%r is not the record's ocid" % comp.get("ocid"))
    return errors + [(p or "(root)", m) for p, m in c.errors]


USAGE = ("usage: ocds_validate.py [--schemas DIR] [--quiet] --kind KIND FILE... [--kind KIND FILE...]\n"
         "       KIND: " + "|".join(sorted(SCHEMA_FILE)))


def parse_args(argv):
    """[(kind, file)], schemas dir, quiet; None on a usage error."""
    jobs, kind, schemas, quiet = [], None, DEFAULT_SCHEMAS, False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--kind", "--schemas") and i + 1 < len(argv):
            if a == "--kind":
                kind = argv[i + 1]
                if kind not in SCHEMA_FILE:
                    return None
            else:
                schemas = argv[i + 1]
            i += 2
            continue
        if a.startswith("--kind="):
            kind = a.split("=", 1)[1]
            if kind not in SCHEMA_FILE:
                return None
        elif a.startswith("--schemas="):
            schemas = a.split("=", 1)[1]
        elif a == "--quiet":
            quiet = True
        elif a.startswith("-") or kind is None:
            return None
        else:
            jobs.append((kind, a))
        i += 1
    return (jobs, schemas, quiet) if jobs else None


def main(argv):
    parsed = parse_args(argv)
    if parsed is None:
        print(USAGE)
        return 2
    jobs, schemas, quiet = parsed
    validators = {}
    try:
        codelists = load_codelists(schemas)
        for kind in {k for k, _ in jobs}:
            validators[kind] = make_validator(schemas, kind)
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as e:
        print("ocds_validate: cannot load the schemas from %s: %s" % (schemas, e))
        return 2
    bad = 0
    for kind, path in jobs:
        try:
            doc = load_json(path)
        except (OSError, ValueError) as e:
            print("%s: cannot read: %s" % (path, e))
            return 2
        try:
            errors = check_file(validators[kind], codelists, kind, doc)
        except (SchemaProblem, jsonschema.exceptions.RefResolutionError) as e:
            print("%s: %s" % (path, e))
            return 2
        for p, m in errors:
            print("%s: %s: %s" % (path, p, m))
        if errors:
            bad += 1
        elif not quiet:
            print("%s: valid OCDS 1.1.5 %s" % (path, kind))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
