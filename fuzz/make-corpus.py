#!/usr/bin/env python3
"""Write the seed corpora under fuzz/corpus/<target>/ from the repository's own data.

Seeds come from the built-in catalog, the alert policies, the FHIR fixtures and the golden
vectors (scoring, alert, and FHIR when present), plus the inputs under fuzz/regressions/<target>/
that once found a defect, in the input format each fuzz target documents
at its top. The output is deterministic (same repository, same files), compact JSON, and kept
modest (well under 2 MB in total). Run it after changing those files:

    python3 fuzz/make-corpus.py            # rewrites fuzz/corpus/
    python3 fuzz/make-corpus.py --check    # exits 1 if the committed corpus is stale

`tests/run-all` runs every fuzz target over these seeds (plus a scratch corpus under .cache/).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz" / "corpus"

# Mirrors of constants in the fuzz targets.
NORM_GRADES = ["4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "", "07", "7 "]
NORM_SEXES = ["F", "M", "f", "X", ""]
TYPES = ["i8", "u8", "i16", "i32", "i64", "u16", "u32", "u64"]
TYPE_SIZE = {"i8": 1, "u8": 1, "i16": 2, "i32": 4, "i64": 8, "u16": 2, "u32": 4, "u64": 8}


def load(path: Path):
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def compact(v) -> bytes:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"), sort_keys=False).encode("utf-8")


class Corpus:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.seen: dict[str, set[str]] = {}

    def add(self, target: str, name: str, data: bytes) -> None:
        digest = hashlib.sha1(data).hexdigest()
        seen = self.seen.setdefault(target, set())
        if digest in seen:
            return
        seen.add(digest)
        d = self.root / target
        d.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:60]
        (d / f"{safe}-{digest[:8]}").write_bytes(data)


def catalog() -> dict[str, dict]:
    specs = {}
    for p in sorted((ROOT / "core" / "catalog").glob("*.json")):
        s = load(p)
        specs[s["id"]] = s
    return specs


def scoring_vectors():
    for p in sorted((ROOT / "tests" / "vectors" / "scoring").glob("*.json")):
        yield p.stem, load(p)


def codes_of(spec: dict, response: dict):
    """Item codes in item order (None = missing, 'refused'), or None if not expressible."""
    n = len(spec["items"])
    ids = {it["id"]: it["number"] for it in spec["items"]}
    out: list = [None] * n
    for k, v in response.get("answers", {}).items():
        num = int(k) if str(k).isdigit() else ids.get(k)
        if num is None or not 1 <= num <= n:
            return None
        if v is None or v == "missing":
            out[num - 1] = None
        elif v == "refused":
            out[num - 1] = "refused"
        elif isinstance(v, int) and 0 <= v <= 127:
            out[num - 1] = v
        else:
            return None
    return out


def encode(ty: str, v: int) -> bytes:
    fmt = {"i8": "<b", "u8": "<B", "i16": "<h", "i32": "<i", "i64": "<q", "u16": "<H", "u32": "<I", "u64": "<Q"}[ty]
    return struct.pack(fmt, v)


def typed_cell(ty: str, c) -> bytes:
    # batch_types: first byte 0xfe = missing, 0xfd = refused, else a small code (byte % 6) if < 0xe0.
    size = TYPE_SIZE[ty]
    if c is None:
        return b"\xfe" + b"\0" * (size - 1)
    if c == "refused":
        return b"\xfd" + b"\0" * (size - 1)
    if c < 6:
        return bytes([c]) + b"\0" * (size - 1)
    return encode(ty, c) if c >= 0xE0 else bytes([c]) + b"\0" * (size - 1)


def main() -> int:
    check = "--check" in sys.argv
    tmp = Path(tempfile.mkdtemp())
    corpus = Corpus(tmp)
    specs = catalog()
    ids = sorted(specs)

    # spec_parse: every spec we ship or test with.
    for sid, s in specs.items():
        corpus.add("spec_parse", sid, compact(s))
    for p in [ROOT / "tests/fixtures/mht_synthetic.json", ROOT / "tests/fixtures/alert/mht_external_stub.json"]:
        corpus.add("spec_parse", p.stem, compact(load(p)))
    for s in load(ROOT / "tests/fixtures/alert/stub_catalog.json")[:4]:
        corpus.add("spec_parse", "stub-" + s["id"], compact(s))

    # Scoring vectors: responses, settings, batch rows.
    rows_by_inst: dict[str, list] = {}
    for stem, vec in scoring_vectors():
        inst = vec.get("instrument")
        for i, case in enumerate(vec["cases"]):
            resp = case.get("response")
            if resp is None:
                continue
            if i % 2 == 0 or case.get("settings"):
                corpus.add("score_response", f"{stem}-{i}", compact(resp))
            if stem == "mht_synthetic":
                corpus.add("norm_groups", f"json-{i}", compact(resp))
                rows_by_inst.setdefault("mht", []).append((resp, codes_of(load(ROOT / "tests/fixtures/mht_synthetic.json"), resp)))
                continue
            if inst not in specs:
                continue
            if case.get("settings") or i % 5 == 0:
                corpus.add("instrument_settings", f"json-{stem}-{i}", compact({"instrument": inst, "settings": case.get("settings", {}), "response": resp}))
            codes = codes_of(specs[inst], resp)
            if codes is not None:
                rows_by_inst.setdefault(inst, []).append((resp, codes))

    # batch_codes: pick byte + i8 rows; batch_types: type, pick, options, typed rows (+ durations).
    for inst, rows in sorted(rows_by_inst.items()):
        if inst == "mht":
            continue
        pick = ids.index(inst)
        cells = [c for _, c in rows[:6]]
        i8 = bytearray([pick])
        for codes in cells:
            i8 += bytes(0xFF if c is None else 0xFE if c == "refused" else c for c in codes)
        corpus.add("batch_codes", inst, bytes(i8))
        for k, ty in enumerate(TYPES):
            if (k + pick) % 3:
                continue
            opts = 1 | (2 if k % 2 else 0)
            buf = bytearray([k, pick, opts])
            for r, codes in enumerate(cells[:4]):
                for c in codes:
                    buf += typed_cell(ty, c)
                if opts & 2:
                    buf += struct.pack("<q", [61, -1, 0, 2**63 - 1][r % 4])
            corpus.add("batch_types", f"{ty}-{inst}", bytes(buf))

    # instrument_settings (bytes): every option of every setting.
    for inst, s in sorted(specs.items()):
        pick = ids.index(inst)
        for si, setting in enumerate(s.get("settings", [])):
            for oi, _ in enumerate(setting.get("options", [])):
                rows = rows_by_inst.get(inst, [])
                codes = rows[0][1] if rows else []
                tail = bytes(0xFE if c is None or c == "refused" else c % 8 for c in codes)
                corpus.add("instrument_settings", f"{inst}-{si}-{oi}", bytes([pick, si, oi, 0xFF]) + tail)

    # norm_groups (bytes): groups (grade, sex) and rows of one group byte + 100 codes.
    mht_rows = [c for r, c in rows_by_inst.get("mht", []) if c is not None]
    groups = [("7", "F"), ("12", "M"), ("4", "F"), ("13", "X")]
    for g in range(1, len(groups) + 1):
        buf = bytearray([g - 1])
        for grade, sex in groups[:g]:
            buf += bytes([NORM_GRADES.index(grade), NORM_SEXES.index(sex)])
        for r, codes in enumerate(mht_rows[:3]):
            buf.append(r % (g + 1))
            buf += bytes(0xFF if c is None or c == "refused" else c for c in codes)
        corpus.add("norm_groups", f"groups-{g}", bytes(buf))

    # FHIR fixtures (and the shared FHIR vectors, when present).
    for p in sorted((ROOT / "tests/fixtures/fhir").glob("*.json")):
        corpus.add("fhir_import", p.stem, compact(load(p)))
    fhir_vectors = ROOT / "tests/vectors/fhir"
    if fhir_vectors.is_dir():
        for p in sorted(fhir_vectors.glob("*.json")):
            v = load(p)
            for k, item in enumerate(v.get("cases", []) if isinstance(v, dict) else []):
                for key in ("questionnaire", "response", "questionnaire_response"):
                    if isinstance(item, dict) and isinstance(item.get(key), dict):
                        corpus.add("fhir_import", f"{p.stem}-{k}-{key}", compact(item[key]))

    # Alert policy, evidence, decisions, records.
    for p in sorted((ROOT / "core/policies").glob("*.json")):
        corpus.add("alert_policy", p.stem, compact(load(p)))
    for k in range(8):
        corpus.add("alert_policy", f"edit-{k}", bytes([(k * 37) % 256, (k * 91) % 256, k * 3, 7, k, 4 + k]))
    durations: set[str] = set()
    times: set[str] = set()

    def collect(v) -> None:
        if isinstance(v, dict):
            for x in v.values():
                collect(x)
        elif isinstance(v, list):
            for x in v:
                collect(x)
        elif isinstance(v, str):
            if len(v) < 24 and v.startswith("P") and v[1:2].isdigit() or v.startswith("PT"):
                durations.add(v)
            elif len(v) in (20, 25) and v[4:5] == "-" and v[10:11] == "T":
                times.add(v)

    for p in sorted((ROOT / "core/policies").glob("*.json")):
        collect(load(p))
    for p in sorted((ROOT / "tests/vectors/alert").glob("*.json")):
        vec = load(p)
        collect(vec)
        for i, case in enumerate(vec["cases"]):
            ev = case.get("evidence")
            if ev is not None:
                corpus.add("alert_evaluate", f"{p.stem}-{i}", compact(ev))
                if i % 4 == 0:
                    corpus.add("decision_readers", f"evidence-{i}", compact(ev))
            d = case.get("decision")
            if d is not None and i % 5 == 0:
                corpus.add("decision_readers", f"decision-{i}", compact(d))
                ref = {"student": d["student"], "policy": d["policy"], "evaluated_at": d["evaluated_at"], "tier": d["tier"]["id"], "fingerprint": "0123456789abcdef"}
                by = {"name": "staff-1", "role": "principal"}
                corpus.add("decision_readers", f"confirmation-{i}", compact({"decision": ref, "by": by, "at": d["evaluated_at"], "note": "seen"}))
                corpus.add("decision_readers", f"override-{i}", compact({"decision": ref, "by": by, "at": d["evaluated_at"], "tier": "key", "reason": "seen in person"}))
    for k in range(4):
        corpus.add("decision_readers", f"edit-{k}", bytes([k * 50, k * 13 + 1, 2, k, 9, 1]))
    for d in sorted(durations):
        corpus.add("durations", "d-" + d, d.encode())
    tl = sorted(times)
    for k, t in enumerate(tl[:40]):
        corpus.add("durations", "t-" + t, f"{t}|{tl[(k + 1) % len(tl)]}".encode())
    for extreme in ["0000-01-01T00:00:00Z|9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z|0000-01-01T00:00:00Z", "P36500D|P36501D", "PT0S|P1W", "2024-02-29T23:59:60+14:00|2024-03-01T00:00:00-12:00"]:
        corpus.add("durations", "x-" + extreme, extreme.encode())
    corpus.add("durations", "seconds", b"".join(struct.pack("<q", v) for v in [0, 59, 60, -1, 2**63 - 1, -(2**63), 999_999, 999_998]))

    # Compliance: byte 0 picks packs (even) or facts (odd) and the date; byte 1 "{" = raw JSON.
    for p in sorted((ROOT / "core/compliance").glob("*.json")):
        corpus.add("compliance_check", "pack-" + p.stem, bytes([0]) + compact(load(p)))
    for p in sorted((ROOT / "tests/vectors/compliance").glob("*.json")):
        for i, case in enumerate(load(p)["cases"]):
            if i % 2 == 0 and isinstance(case.get("facts"), dict):
                corpus.add("compliance_check", f"facts-{p.stem}-{i}", bytes([2 * i + 1]) + compact(case["facts"]))
    for k in range(4):
        corpus.add("compliance_check", f"edit-{k}", bytes([k, k * 41 + 3, 5, k * 7, 1, 2]))

    # Archive: raw records (valid and invalid) from the archive vectors, and byte-driven edits.
    for p in sorted((ROOT / "tests/vectors/archive").glob("*.json")):
        for i, case in enumerate(load(p)["cases"]):
            if i % 3 == 0 and p.stem != "alert_record" or i == 0:
                corpus.add("archive_validate", f"{p.stem}-{i}", compact(case["record"]))
    for k in range(6):
        corpus.add("archive_validate", f"edit-{k}", bytes([k, k * 37 + 1, k * 11 + 7, k * 5 + 3, k + 60]))

    # Report JSON: byte 0 picks the document (0 spec, 1 aggregate, 2 request, 3 report); the
    # vectors' specs and reports, and aggregates and requests for the target's fixed small city.
    for p in sorted((ROOT / "tests/vectors/report").glob("*.json")):
        for i, case in enumerate(load(p)["cases"]):
            corpus.add("report_json", f"spec-{p.stem}-{i}", bytes([0]) + compact(case["spec"]))
            if i % 3 == 0 and isinstance(case.get("report"), dict):
                corpus.add("report_json", f"report-{p.stem}-{i}", bytes([3]) + compact(case["report"]))
    cells = 3 * 2 * 2
    for k, per in enumerate([[7, 2, 1], [10, 0, 0], [1, 1, 1]]):
        agg = {"format": "changkaixin.report-aggregate/1", "dims": [3, 2, 2], "categories": [3],
               "screened": [sum(per)] * cells, "counts": per * cells}
        corpus.add("report_json", f"aggregate-{k}", bytes([1]) + compact(agg))
    for k, req in enumerate([
        {"round": {"id": "r", "zh": "r", "en": "r"}},
        {"round": {"id": "r", "zh": "r", "en": "r"}, "settings": {"threshold": 5, "protection_width": 2}, "enrolment": [40] * cells},
        {"round": {"id": "b", "zh": "b", "en": "b"}, "previous": {"round": {"id": "a", "zh": "a", "en": "a"}, "aggregate":
            {"format": "changkaixin.report-aggregate/1", "dims": [3, 2, 2], "categories": [3], "screened": [30] * cells, "counts": [20, 6, 4] * cells}}},
    ]):
        corpus.add("report_json", f"request-{k}", bytes([2]) + compact(req))

    # Inputs that once found a defect (kept as seeds so the smoke run replays them).
    for d in sorted((ROOT / "fuzz/regressions").glob("*")):
        for f in sorted(d.iterdir()):
            corpus.add(d.name, "regression-" + f.name, f.read_bytes())

    total = sum(f.stat().st_size for f in tmp.rglob("*") if f.is_file())
    if total > 2_000_000:
        print(f"corpus too large: {total} bytes", file=sys.stderr)
        return 1
    if check:
        same = OUT.is_dir() and sorted(p.relative_to(OUT) for p in OUT.rglob("*") if p.is_file()) == sorted(
            p.relative_to(tmp) for p in tmp.rglob("*") if p.is_file()
        )
        shutil.rmtree(tmp)
        if not same:
            print("fuzz/corpus is stale: run python3 fuzz/make-corpus.py", file=sys.stderr)
            return 1
        return 0
    if OUT.exists():
        shutil.rmtree(OUT)
    shutil.move(str(tmp), str(OUT))
    counts = {d.name: len(list(d.iterdir())) for d in sorted(OUT.iterdir())}
    print(f"fuzz/corpus: {total} bytes; " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
