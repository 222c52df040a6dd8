#!/usr/bin/env python3
"""Where a module's code bytes go, by kind (a twiggy-like view without installing twiggy).

Usage: python3 wasm/bench/size-breakdown.py target/wasm-modules/changkaixin_alert.wasm
(the module as cargo built it, before wasm-bindgen and wasm-opt, so the name section is there;
build-package.sh leaves one per module in target/wasm-modules/). Sizes are function-body bytes
before wasm-opt; the shipped module is smaller, in about the same proportions.
"""
import collections
import re
import sys
import zlib


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def read(path):
    data = open(path, "rb").read()
    i, n_imports, bodies, names, data_bytes = 8, 0, [], {}, 0
    while i < len(data):
        sid = data[i]
        size, i = leb(data, i + 1)
        o, i = i, i + size
        if sid == 2:  # imports: count the functions
            n, j = leb(data, o)
            for _ in range(n):
                for _ in range(2):
                    ln, j = leb(data, j)
                    j += ln
                kind = data[j]
                j += 1
                if kind == 0:
                    _, j = leb(data, j)
                    n_imports += 1
                elif kind == 1:
                    j += 1
                    flags = data[j]
                    _, j = leb(data, j + 1)
                    if flags & 1:
                        _, j = leb(data, j)
                elif kind == 2:
                    flags = data[j]
                    _, j = leb(data, j + 1)
                    if flags & 1:
                        _, j = leb(data, j)
                elif kind == 3:
                    j += 2
        elif sid == 10:
            n, j = leb(data, o)
            for _ in range(n):
                ln, j2 = leb(data, j)
                bodies.append(ln)
                j = j2 + ln
        elif sid == 11:
            data_bytes += size
        elif sid == 0:
            ln, j = leb(data, o)
            if data[j : j + ln] == b"name":
                j += ln
                while j < o + size:
                    sub = data[j]
                    ssz, j = leb(data, j + 1)
                    if sub == 1:
                        n, k = leb(data, j)
                        for _ in range(n):
                            idx, k = leb(data, k)
                            ln, k = leb(data, k)
                            names[idx] = data[k : k + ln].decode("utf8", "replace")
                            k += ln
                    j += ssz
    return data, [(ln, names.get(k + n_imports, "?")) for k, ln in enumerate(bodies)], data_bytes


KINDS = [
    ("serde deserializers", r"serde_json.{1,3}de|Deserialize|Visitor|serde_core.{1,3}de|MapAccess|SeqAccess|deserialize"),
    ("serde serializers", r"Serialize|serde_json.{1,3}ser|serde_core.{1,3}ser|serialize"),
    ("core: alert engine", r"changkaixin_core.{1,3}alert"),
    ("core: compliance", r"changkaixin_core.{1,3}compliance"),
    ("core: FHIR", r"changkaixin_core.{1,3}fhir"),
    ("core: report verification", r"verify"),
    ("core: batch", r"changkaixin_core.{1,3}scoring.{1,3}(batch|fast|plan)"),
    ("core: instrument (lint, compile, describe)", r"changkaixin_core.{1,3}instrument"),
    ("core: scoring", r"changkaixin_core.{1,3}scoring"),
    ("core: other", r"changkaixin_core"),
    ("binding (changkaixin_wasm)", r"changkaixin_wasm"),
    ("wasm-bindgen / js-sys shims", r"wasm_bindgen|js_sys|externref"),
    ("std fmt (incl. float printing)", r"fmt|Display|Debug|flt2dec|float|grisu|dragon"),
    ("std collections", r"collections|btree|hashbrown|BTree"),
    ("allocator / Vec / String", r"dlmalloc|alloc"),
]


def main():
    data, fns, data_bytes = read(sys.argv[1])
    code = sum(ln for ln, _ in fns)
    by = collections.Counter()
    for ln, name in fns:
        kind = next((k for k, pat in KINDS if re.search(pat, name)), "other (std, time, rust_decimal, …)")
        by[kind] += ln
    print(f"{sys.argv[1]}: {len(data):,} B ({len(zlib.compress(data, 9)):,} B deflated), {code:,} B of code in {len(fns):,} functions, {data_bytes:,} B of data")
    for kind, ln in by.most_common():
        print(f"{ln:>10,} B {100 * ln / code:5.1f} %  {kind}")


main()
