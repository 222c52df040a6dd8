#!/usr/bin/env python3
"""The public API of the generated bindings, one line per type, field, case and callable.

Read from the generated Swift (whose declarations carry argument labels and types), so a change to
any exported function, method, record field or enum case changes this list. `run-tests.sh` compares
it with the committed `bindings/api-surface.txt` and fails on a difference: updating that file is a
deliberate act (UPDATE_API_SURFACE=1), done together with the Kotlin and Swift test programs. It
also fails if a callable is not called by BOTH test programs, so a new binding gets tested.

usage: api-surface.py GENERATED.swift [--check-tests Main.kt main.swift]
"""
import re
import sys

INTERNAL = re.compile(r"^(FfiConverter|Uniffi|uniffi|_)")
SKIP_FUNCS = {"lift", "lower", "read", "write", "uniffiCloneHandle", "hash", "destroy", "uniffiDestroy"}


def surface(path):
    out = []
    owner = None
    pending_public = False
    for raw in open(path, encoding="utf-8"):
        line = raw.rstrip()
        s = " ".join(line.split())
        if s == "public":
            pending_public = True
            continue
        m = re.match(r"^(public |open )?(struct|class|enum|protocol|extension) (\w+)", s)
        if m and not raw.startswith((" ", "\t")):
            kind, name = m.group(2), m.group(3)
            public = bool(m.group(1)) or pending_public
            pending_public = False
            if kind == "extension":
                owner = name if owner_is_api(name) else None
                continue
            owner = name if public and not INTERNAL.match(name) and not name.endswith("Protocol") else None
            if owner:
                out.append(f"{kind} {name}")
            continue
        pending_public = False
        m = re.match(r"^public typealias (\w+) = (.+)$", s)
        if m and not INTERNAL.match(m.group(1)):
            out.append(f"typealias {m.group(1)} = {m.group(2)}")
            continue
        if owner is None:
            m = re.match(r"^public func (\w+)\((.*?)\)\s*(throws)?\s*(-> [^{]+)?", s)
            if m and not INTERNAL.match(m.group(1)) and m.group(1) not in SKIP_FUNCS:
                out.append(sig("func", m))
            continue
        m = re.match(r"^(?:public |open )(?:static )?func (\w+)\((.*?)\)\s*(throws)?\s*(-> [^{]+)?", s)
        if m and m.group(1) not in SKIP_FUNCS and not INTERNAL.match(m.group(1)):
            out.append(f"{owner}." + sig("func", m))
            continue
        m = re.match(r"^public (?:let|var) (\w+): (.+)$", s)
        if m:
            out.append(f"{owner}.{m.group(1)}: {m.group(2)}")
            continue
        m = re.match(r"^case (\w+)(\(.*)?$", s)
        if m and raw.startswith("    case"):
            args = (m.group(2) or "").rstrip(",")
            if args and not args.endswith(")"):
                args += ")"
            out.append(f"{owner}.case {m.group(1)}{args}")
    return sorted(set(out))


def owner_is_api(name):
    return not INTERNAL.match(name) and name[:1].isupper() and name not in ("Data", "String", "RustBuffer", "ForeignBytes")


def sig(kind, m):
    name, args, throws, ret = m.group(1), m.group(2), m.group(3), (m.group(4) or "").strip()
    return f"{kind} {name}({' '.join(args.split())}){' throws' if throws else ''}{' ' + ret if ret else ''}".rstrip()


def callables(lines):
    names = set()
    for l in lines:
        m = re.search(r"func (\w+)\(", l)
        if m:
            names.add(m.group(1))
    return sorted(names)


if __name__ == "__main__":
    lines = surface(sys.argv[1])
    if len(sys.argv) > 2 and sys.argv[2] == "--check-tests":
        missing = []
        for test in sys.argv[3:]:
            text = open(test, encoding="utf-8").read()
            for name in callables(lines):
                if not re.search(r"\b" + re.escape(name) + r"\(", text):
                    missing.append(f"{test}: never calls {name}")
        if missing:
            print("\n".join(missing), file=sys.stderr)
            sys.exit(1)
        sys.exit(0)
    print("\n".join(lines))
