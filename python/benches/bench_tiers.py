"""Benchmark (not a test): alert tiers from answer columns, columnar entry vs evidence JSON.

    python python/benches/bench_tiers.py [--students 200000] [--rounds 3]

A SYNTHETIC cohort (invented students, fixed seed): PHQ-9, GAD-7 and ASQ answers with 2 % of
cells missing, one Arrow table, tiered by the built-in Changzhou policy in one process on one
core, two ways:

* ``tiers_from_answers``: the answer columns straight into the core's columnar alert entry;
* ``tiers_arrow(evidence_json(...))``: each student's evidence JSON built in Arrow, then the
  row path (what ``changkaixin.spark.tiers`` / ``changkaixin.dask.tiers`` run per partition).

The script checks both give the same table, then prints the best wall time and least process
CPU time of each over ``--rounds`` interleaved rounds, students per second and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import numpy as np
import pyarrow as pa

import changkaixin as ck
import changkaixin.arrow as cka

SCREENED = "2026-11-20T08:00:00+08:00"
AT = "2026-11-24T08:00:00+08:00"
IDS = ("phq9", "gad7", "asq")


def cohort(n: int, seed: int = 20261201) -> tuple[pa.Table, list[tuple[ck.Instrument, list[str]]]]:
    rng = np.random.default_rng(seed)
    cols: dict[str, Any] = {"student": pa.array([f"stu{i:08d}" for i in range(n)])}
    screenings = []
    sev = rng.gamma(0.6, 0.4, n)
    for iid in IDS:
        inst = ck.Instrument.builtin(iid)
        spec = inst.spec()
        names = []
        for it, item in zip(spec["items"], inst.item_ids()):
            opts = it["options"]
            opts = spec["option_sets"][opts] if isinstance(opts, str) else opts
            codes = sorted(int(o["code"]) for o in opts)
            # Severity-driven positions among the item's own option codes.
            pos = np.clip(np.rint(sev * (len(codes) - 1) / 3 + rng.normal(0, 0.5, n)), 0, len(codes) - 1).astype(
                np.int64
            )
            v = np.asarray(codes, dtype=np.int8)[pos]
            name = f"{iid}_{item}"
            cols[name] = pa.array(v, mask=rng.random(n) < 0.02)
            names.append(name)
        screenings.append((inst, names))
    return pa.table(cols), screenings


def evidence_path(policy: ck.AlertPolicy, table: pa.Table, screenings: list[tuple[ck.Instrument, list[str]]]) -> Any:
    """Per-student evidence JSON with every screening (evidence_json per instrument, merged in Arrow)."""
    import pyarrow.compute as pc

    parts = []
    for inst, names in screenings:
        ev = cka.evidence_json(table, inst, SCREENED, items=names)
        # '{"student":"…","screenings":[ X ]}' → X
        ev = ev.combine_chunks() if isinstance(ev, pa.ChunkedArray) else ev
        parts.append(pc.replace_substring_regex(ev, r'^\{"student":"(?:[^"\\]|\\.)*","screenings":\[(.*)\]\}$', r"\1"))
    ids = table["student"].combine_chunks()
    joined = pc.binary_join_element_wise(
        '{"student":"', ids, '","screenings":[', *sum(([p, ","] for p in parts), [])[:-1], "]}", ""
    )
    batch = pa.record_batch({"student": ids, "evidence": joined})
    return cka.tiers_arrow(policy, batch, AT, keep=["student"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    policy = ck.AlertPolicy.changzhou_default()
    table, screenings = cohort(args.students)
    table = table.combine_chunks()
    fs = {
        "tiers_from_answers (columnar)": lambda: pa.Table.from_batches(
            [
                b
                for b in cka.tiers_from_answers(
                    policy, table, AT, screenings, screened_at=SCREENED, keep=["student"]
                ).to_batches()
            ]
        ),
        "tiers_arrow(evidence_json) (row path)": lambda: pa.Table.from_batches(
            [evidence_path(policy, table, screenings)]
        ),
    }
    best: dict[str, tuple[float, float]] = {k: (float("inf"), float("inf")) for k in fs}
    results: dict[str, Any] = {}
    for _ in range(args.rounds):
        for k, f in fs.items():
            c0, t0 = time.process_time(), time.perf_counter()
            results[k] = f()
            t1, c1 = time.perf_counter(), time.process_time()
            best[k] = (min(best[k][0], t1 - t0), min(best[k][1], c1 - c0))
    a, b = (results[k].combine_chunks().to_pylist() for k in fs)
    assert a == b, "the two paths disagree"
    tiers = results[next(iter(fs))].column("tier").to_pylist()
    counts = {t: tiers.count(t) for t in sorted(set(tiers), key=str)}
    load = os.getloadavg()[0]
    print(
        f"{args.students:,} synthetic students, {', '.join(IDS)}; load average {load:.2f}; tiers {json.dumps(counts)}"
    )
    for k, (w, c) in best.items():
        rate_w, rate_c = args.students / w, args.students / c
        print(f"{k:40s} {w * 1e3:9.1f} ms wall ({rate_w:12,.0f}/s)  {c * 1e3:9.1f} ms CPU ({rate_c:12,.0f}/s)")
    (_, (wc, cc)), (_, (wr, cr_)) = best.items()
    print(f"columnar / row path speed: {wr / wc:.1f}x wall, {cr_ / cc:.1f}x CPU; results equal")


if __name__ == "__main__":
    main()
