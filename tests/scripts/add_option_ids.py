#!/usr/bin/env python3
"""Give every option of every built-in spec (and test fixture) a stable `id`.

Issue 9 point 5: the id is the option's LOINC answer code where the option carries a `fhir`
coding, otherwise a slug of its meaning (hand-checked table below, falling back to a slug of the
English label). Idempotent: options that already have an id are left alone. Run from the
repository root; review the diff, then run the lint (`cargo test -p changkaixin-tests`).

    python3 tests/scripts/add_option_ids.py core/catalog/*.json
    python3 tests/scripts/add_option_ids.py --text tests/fixtures/mht_synthetic.json tests/fixtures/alert/*.json
"""
import json
import re
import sys

# Shorter slugs where the label is long (the label stays the display text).
SLUGS = {
    "Rarely or none of the time (less than 1 day)": "rarely_or_none",
    "Some or a little of the time (1-2 days)": "some_or_a_little",
    "Occasionally or a moderate amount of time (3-4 days)": "occasionally_or_moderate",
    "Most or all of the time (5-7 days)": "most_or_all",
    "Not true or hardly ever true": "not_true",
    "Somewhat true or sometimes true": "somewhat_true",
    "Very true or often true": "very_true",
}


def slug(opt):
    fhir = opt.get("fhir") or {}
    if fhir.get("code"):
        return fhir["code"]
    en = (opt.get("label") or {}).get("en", "")
    if en in SLUGS:
        return SLUGS[en]
    s = re.sub(r"[^a-z0-9]+", "_", en.lower()).strip("_")
    return s or "code_%d" % opt["code"]


def with_id(opt):
    if "id" in opt:
        return opt
    out = {"id": slug(opt)}
    out.update(opt)
    return out


def option_lists(spec):
    """Every option list of a spec: option sets, inline item options, items in setting patches."""
    for name in list(spec.get("option_sets", {})):
        yield spec["option_sets"], name
    items = list(spec.get("items", []))
    for s in spec.get("settings", []):
        for o in s.get("options", []):
            items += (o.get("patch") or {}).get("items") or []
    for it in items:
        if isinstance(it.get("options"), list):
            yield it, "options"


def fix_json(path):
    spec = json.load(open(path, encoding="utf-8"))
    specs = spec if isinstance(spec, list) else [spec]
    for sp in specs:
        for holder, key in option_lists(sp):
            holder[key] = [with_id(o) for o in holder[key]]
            ids = [o["id"] for o in holder[key]]
            assert len(set(ids)) == len(ids), (path, key, ids)
    open(path, "w", encoding="utf-8").write(json.dumps(spec, indent=2, ensure_ascii=False) + "\n")


def fix_text(path):
    """Insert `"id": …` lines in place, keeping the file's own formatting."""
    text = open(path, encoding="utf-8").read()
    data = json.loads(text)
    specs = data if isinstance(data, list) else [data]
    opts = [o for sp in specs if isinstance(sp, dict) for h, k in option_lists(sp) for o in h[k] if "id" not in o]
    lines = text.split("\n")
    out, k = [], 0
    for i, line in enumerate(lines):
        m = re.match(r'^(\s*)"code": (\d+),\s*$', line)
        prev = lines[i - 1].strip() if i else ""
        if m and prev == "{" and k < len(opts) and int(m.group(2)) == opts[k]["code"]:
            out.append('%s"id": %s,' % (m.group(1), json.dumps(slug(opts[k]), ensure_ascii=False)))
            k += 1
        out.append(line)
    assert k == len(opts), (path, k, len(opts))
    open(path, "w", encoding="utf-8").write("\n".join(out))
    json.loads(open(path, encoding="utf-8").read())


if __name__ == "__main__":
    args = sys.argv[1:]
    text_mode = args[:1] == ["--text"]
    for p in args[1:] if text_mode else args:
        (fix_text if text_mode else fix_json)(p)
        print("ok", p)
