#!/usr/bin/env python3
"""A strict RFC 8493 (BagIt 1.0) validator for the tests: complete and valid.

usage: bagit_validate.py BAGDIR   -> exit 0 and "valid", or exit 1 and the reasons.
Checks bagit.txt, bag-info.txt (labels, continuation lines, Payload-Oxum), every
payload manifest (percent-decoded paths under data/, every listed file present
and matching, every payload file listed, no duplicates) and the tag manifest
(every line matching, every payload manifest listed, never itself nor data/).
Symbolic links are followed for hashing, as bagit-python does; links to folders
are not payload files.
"""
import hashlib
import os
import re
import sys

ALGOS = {"sha256": hashlib.sha256, "sha512": hashlib.sha512, "sha1": hashlib.sha1, "md5": hashlib.md5}


def decode_path(p):
    out, i = [], 0
    while i < len(p):
        if p[i] == "%":
            esc = p[i + 1:i + 3].upper()
            if esc == "25":
                out.append("%")
            elif esc == "0D":
                out.append("\r")
            elif esc == "0A":
                out.append("\n")
            else:
                raise ValueError("bad percent-encoding %r" % p[i:i + 3])
            i += 3
        else:
            out.append(p[i])
            i += 1
    return "".join(out)


def digest(path, algo):
    h = ALGOS[algo]()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(bag, name, errors):
    """Lines 'checksum 1*WSP path' -> {relative path: checksum}."""
    entries = {}
    with open(os.path.join(bag, name), "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        errors.append("%s: not UTF-8" % name)
        return entries
    if text and not text.endswith("\n"):
        errors.append("%s: last line does not end with a newline" % name)
    # an empty manifest (a bag with no payload file) has no line at all
    lines = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n") if text else []
    for n, line in enumerate(lines, 1):
        line = line.rstrip("\r")
        m = re.match(r"^([0-9a-fA-F]+)[ \t]+(.+)$", line)
        if not m:
            errors.append("%s:%d: malformed line %r" % (name, n, line))
            continue
        try:
            path = decode_path(m.group(2))
        except ValueError as e:
            errors.append("%s:%d: %s" % (name, n, e))
            continue
        if path.startswith("/") or any(seg in ("", ".", "..") for seg in path.split("/")):
            errors.append("%s:%d: unsafe path %r" % (name, n, path))
            continue
        if path in entries:
            errors.append("%s:%d: %r listed twice" % (name, n, path))
        entries[path] = m.group(1).lower()
    return entries


def payload_files(bag):
    files = set()
    for root, dirs, names in os.walk(os.path.join(bag, "data")):
        for name in names:
            full = os.path.join(root, name)
            if os.path.isdir(full):  # a link to a folder
                continue
            files.add(os.path.relpath(full, bag).replace(os.sep, "/"))
    return files


def validate(bag):
    errors = []
    try:
        with open(os.path.join(bag, "bagit.txt"), "rb") as f:
            bt = f.read()
    except OSError as e:
        return ["bagit.txt: %s" % e]
    lines = bt.decode("utf-8", "replace").splitlines()
    if len(lines) != 2 or not re.match(r"^BagIt-Version: 1\.0$", lines[0]) or \
            not re.match(r"^Tag-File-Character-Encoding: UTF-8$", lines[1]):
        errors.append("bagit.txt: expected 'BagIt-Version: 1.0' and 'Tag-File-Character-Encoding: UTF-8', got %r" % bt)
    if not os.path.isdir(os.path.join(bag, "data")):
        errors.append("data/: missing")
        return errors

    info = []
    if os.path.exists(os.path.join(bag, "bag-info.txt")):
        with open(os.path.join(bag, "bag-info.txt"), encoding="utf-8") as f:
            for n, line in enumerate(f.read().split("\n"), 1):
                if line == "":
                    continue
                if line[0] in " \t":
                    if not info:
                        errors.append("bag-info.txt:%d: continuation without a label" % n)
                    else:
                        info[-1] = (info[-1][0], info[-1][1] + " " + line.strip())
                    continue
                m = re.match(r"^([^:\s][^:]*):\s*(.*)$", line)
                if not m:
                    errors.append("bag-info.txt:%d: not 'Label: value': %r" % (n, line))
                else:
                    info.append((m.group(1), m.group(2)))

    manifests = sorted(n for n in os.listdir(bag) if re.match(r"^manifest-[a-z0-9]+\.txt$", n))
    if not manifests:
        errors.append("no payload manifest")
    present = payload_files(bag)
    octets, count = 0, 0
    for man in manifests:
        algo = man[len("manifest-"):-4]
        if algo not in ALGOS:
            errors.append("%s: unknown algorithm" % man)
            continue
        entries = read_manifest(bag, man, errors)
        for path, want in entries.items():
            if not path.startswith("data/"):
                errors.append("%s: %r is not under data/" % (man, path))
                continue
            full = os.path.join(bag, path)
            if not os.path.isfile(full):
                errors.append("%s: %r is listed but missing" % (man, path))
                continue
            got = digest(full, algo)
            if got != want:
                errors.append("%s: %r has %s %s, manifest says %s" % (man, path, algo, got, want))
        for path in sorted(present - set(entries)):
            errors.append("%s: payload file %r is not listed" % (man, path))
        if man == manifests[0]:
            for path in entries:
                full = os.path.join(bag, path)
                if os.path.isfile(full):
                    octets += os.path.getsize(full)
                    count += 1
    for label, value in info:
        if label == "Payload-Oxum":
            m = re.match(r"^(\d+)\.(\d+)$", value)
            if not m:
                errors.append("bag-info.txt: Payload-Oxum %r is malformed" % value)
            elif (int(m.group(1)), int(m.group(2))) != (octets, count):
                errors.append("bag-info.txt: Payload-Oxum %s, payload has %d.%d" % (value, octets, count))
        if label == "Bagging-Date" and not re.match(r"^\d{4}-\d{2}-\d{2}$", value):
            errors.append("bag-info.txt: Bagging-Date %r is not YYYY-MM-DD" % value)

    for tm in sorted(n for n in os.listdir(bag) if re.match(r"^tagmanifest-[a-z0-9]+\.txt$", n)):
        algo = tm[len("tagmanifest-"):-4]
        if algo not in ALGOS:
            errors.append("%s: unknown algorithm" % tm)
            continue
        entries = read_manifest(bag, tm, errors)
        for path, want in entries.items():
            if path.startswith("data/") or path == tm:
                errors.append("%s: must not list %r" % (tm, path))
                continue
            full = os.path.join(bag, path)
            if not os.path.isfile(full):
                errors.append("%s: %r is listed but missing" % (tm, path))
            elif digest(full, algo) != want:
                errors.append("%s: %r does not match" % (tm, path))
        for man in manifests:
            if man not in entries:
                errors.append("%s: payload manifest %s is not listed" % (tm, man))
    return errors


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().split("\n")[2], file=sys.stderr)
        return 64
    errors = validate(sys.argv[1])
    for e in errors:
        print(e)
    if errors:
        return 1
    print("valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
