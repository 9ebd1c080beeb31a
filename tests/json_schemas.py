#!/usr/bin/python3
"""Validates escrow's --json outputs against docs/schema (docs/JSON.md).

  json_schemas.py SCHEMA_DIR OUT_DIR [--min-total N]
                                       every OUT_DIR/*.json (kept by tests/cli/lib.sh)
                                       against the schema its "schema" key names
  json_schemas.py --self-test SCHEMA_DIR
                                       each schema is a valid draft 2020-12 schema,
                                       and documents made invalid on purpose are rejected

An output fails when it is empty, not JSON, has no "schema" key, names a schema
that docs/schema does not hold, or does not validate. The run fails when any
output fails, when a schema saw no output at all (a command no test runs
with --json), and when fewer than N outputs were kept in all (the suite
makes about 240: far fewer means outputs are no longer being kept). Needs Debian's python3-jsonschema (run with /usr/bin/python3).
"""
import copy
import datetime
import glob
import json
import os
import re
import sys
import tempfile

try:
    from jsonschema import Draft202012Validator, FormatChecker
except ImportError:
    print("SKIPPED: python3-jsonschema is not installed (Debian package python3-jsonschema)", file=sys.stderr)
    sys.exit(77)

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def format_checker():
    """The stock checker, plus date-time (jsonschema checks it only with an
    extra package Debian 12 does not install by default)."""
    fc = FormatChecker()

    @fc.checks("date-time", raises=ValueError)
    def date_time(value):
        if not isinstance(value, str):
            return True
        if not RFC3339.match(value):
            raise ValueError("not an RFC 3339 date-time")
        datetime.datetime.fromisoformat(value[:19])
        return True

    return fc


def schema_name(path):
    """docs/schema/escrow-vault-key-add-1.schema.json -> escrow-vault-key-add/1"""
    base = os.path.basename(path)[: -len(".schema.json")]
    head, _, version = base.rpartition("-")
    return head + "/" + version


def load_schemas(schema_dir):
    schemas, problems = {}, []
    files = sorted(glob.glob(os.path.join(schema_dir, "*.schema.json")))
    if not files:
        problems.append(f"{schema_dir}: no *.schema.json")
    for path in files:
        name = schema_name(path)
        try:
            with open(path, encoding="utf-8") as f:
                schema = json.load(f)
            Draft202012Validator.check_schema(schema)
        except Exception as e:  # a broken schema file is a failure, named
            problems.append(f"{path}: not a valid draft 2020-12 schema: {e}")
            continue
        if schema.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
            problems.append(f"{path}: $schema is not draft 2020-12")
        const = schema.get("properties", {}).get("schema", {}).get("const")
        if const != name:
            problems.append(f"{path}: properties.schema.const is {const!r}, the file name says {name!r}")
        if "schema" not in schema.get("required", []):
            problems.append(f"{path}: \"schema\" is not required")
        schemas[name] = Draft202012Validator(schema, format_checker=format_checker())
    return schemas, problems


def check_doc(schemas, text):
    """The schema name and the list of problems of one output."""
    if not text.strip():
        return None, ["empty output (with --json, stdout is never empty)"]
    try:
        doc = json.loads(text)
    except ValueError as e:
        return None, [f"not JSON: {e}"]
    if not isinstance(doc, dict):
        return None, ["not a JSON object"]
    name = doc.get("schema")
    if name is None:
        return None, ["no \"schema\" key"]
    if name not in schemas:
        return name, [f"unknown schema {name!r} (no docs/schema file for it)"]
    errors = sorted(schemas[name].iter_errors(doc), key=lambda e: list(e.absolute_path))
    return name, [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message[:300]}" for e in errors]


def validate_dir(schema_dir, out_dir, quiet=False, min_total=1):
    def fail(*what):
        if not quiet:
            print("FAIL:", *what, file=sys.stderr)

    schemas, problems = load_schemas(schema_dir)
    for p in problems:
        fail(p)
    counts = {name: 0 for name in schemas}
    files = sorted(glob.glob(os.path.join(out_dir, "*.json")))
    bad = 0
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        name, errs = check_doc(schemas, text)
        if name in counts and not errs:
            counts[name] += 1
        if errs:
            bad += 1
            fail(f"{path} ({name or 'no schema'}):\n    " + "\n    ".join(errs[:10]))
    unseen = [n for n, c in counts.items() if c == 0]
    if not quiet:
        for name in sorted(counts):
            print(f"{counts[name]:6d}  {name}")
        print(f"{len(files)} outputs, {bad} invalid, {len(schemas)} schemas, {len(unseen)} without an output")
    for n in unseen:
        fail(f"no output of the test suite names {n}: add a test that runs that command with --json")
    if len(files) < min_total:
        fail(f"only {len(files)} outputs kept, at least {min_total} expected")
    return not problems and bad == 0 and not unseen and len(files) >= min_total


# --- the self-test: the checker must reject what is wrong --------------------

SHA = "ab" * 32
ERROR = {"schema": "escrow-error/1", "tool": "escrow 0.2.0", "command": "verify", "code": 66,
         "status": "cannot-open", "message": "k.pub: No such file or directory", "file": "k.pub"}


def set_path(doc, path, value):
    d = doc
    for k in path[:-1]:
        d = d[k]
    if value is KeyError:
        del d[path[-1]]
    else:
        d[path[-1]] = value


def self_test(schema_dir):
    schemas, problems = load_schemas(schema_dir)
    ok = not problems
    for p in problems:
        print("FAIL:", p, file=sys.stderr)
    if "escrow-error/1" not in schemas or "escrow-verify/1" not in schemas:
        print("FAIL: escrow-error/1 or escrow-verify/1 missing", file=sys.stderr)
        return False
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "json", "verify.json"),
              encoding="utf-8") as f:
        verify = json.load(f)
    good = [("error object", ERROR), ("verify report", verify)]
    bad = [
        ("error: no schema key", ERROR, ["schema"], KeyError),
        ("error: code as a string", ERROR, ["code"], "66"),
        ("error: code 0", ERROR, ["code"], 0),
        ("error: unknown status", ERROR, ["status"], "oops"),
        ("error: no message", ERROR, ["message"], KeyError),
        ("error: file a number", ERROR, ["file"], 3),
        ("error: wrong schema name", ERROR, ["schema"], "escrow-error/2"),
        ("verify: unknown verdict", verify, ["verdict"], "maybe"),
        ("verify: verified_at not RFC 3339", verify, ["verified_at"], "06/12/2026 07:00"),
        ("verify: verified_at missing", verify, ["verified_at"], KeyError),
        ("verify: key id not 16 hex digits", verify, ["signature", "key_id"], "xyz"),
        ("verify: contract sha256 upper case", verify, ["contract", "sha256"], SHA.upper()),
        ("verify: bundle.size negative", verify, ["bundle", "size"], -1),
        ("verify: bundle.sha256 short", verify, ["bundle", "sha256"], "abc"),
        ("verify: deliverable status unknown", verify, ["deliverables", 0, "status"], "fine"),
        ("verify: signature status unknown", verify, ["signature", "status"], "ok-ish"),
        ("verify: tool missing", verify, ["tool"], KeyError),
        ("verify: warnings not a list", verify, ["warnings"], {}),
    ]
    for what, doc in good:
        name, errs = check_doc(schemas, json.dumps(doc))
        if errs:
            ok = False
            print(f"FAIL: a valid {what} was rejected: {errs}", file=sys.stderr)
    for what, base, path, value in bad:
        doc = copy.deepcopy(base)
        set_path(doc, path, value)
        name, errs = check_doc(schemas, json.dumps(doc))
        if not errs:
            ok = False
            print(f"FAIL: invalid document accepted: {what}", file=sys.stderr)
    for what, text in [("empty output", ""), ("not JSON", "verdict: verified\n"), ("an array", "[]"),
                       ("unknown schema", json.dumps(dict(ERROR, schema="escrow-nothing/1")))]:
        if not check_doc(schemas, text)[1]:
            ok = False
            print(f"FAIL: invalid output accepted: {what}", file=sys.stderr)
    # The whole run: one bad output among good ones fails it; so does a
    # schema nothing names.
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "good.json"), "w") as f:
            json.dump(ERROR, f)
        with open(os.path.join(d, "bad.json"), "w") as f:
            json.dump(dict(ERROR, code="x"), f)
        if validate_dir(schema_dir, d, quiet=True):
            ok = False
            print("FAIL: a folder with an invalid output passed", file=sys.stderr)
    print(f"{len(schemas)} schemas valid draft 2020-12; {len(bad) + 4} invalid documents "
          f"{'all rejected' if ok else 'NOT all rejected'}")
    return ok


def main(argv):
    if len(argv) == 3 and argv[1] == "--self-test":
        return 0 if self_test(argv[2]) else 1
    if len(argv) in (3, 5) and (len(argv) == 3 or argv[3] == "--min-total"):
        if not os.path.isdir(argv[2]):
            print(f"FAIL: {argv[2]}: no outputs kept (run the cli_ tests first)", file=sys.stderr)
            return 1
        return 0 if validate_dir(argv[1], argv[2], min_total=int(argv[4]) if len(argv) == 5 else 1) else 1
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
