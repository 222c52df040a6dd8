"""Benchmark (not a test): counting a city report from numpy columns and building it.

    python python/benches/bench_report.py [--rows 1000000]

SYNTHETIC data: 4 districts, 200 schools, 12 grades, 2 sexes; measures PHQ-9 band (5 bands and
no band), screen verdict, one three-valued flag, alert tier (4). Prints the best of 5 wall and
process CPU times of ``Aggregate.add`` with the core's dtypes (read in place), with int64
columns (converted and range-checked in Rust), with the district derived from the school, of
``aggregate_frame`` with the school as a Categorical of ids, of ``Aggregate.from_json``
(verification), ``city_report_json`` and ``CityReport.table_frame``, and the load average.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from typing import Any, Callable

import numpy as np
import pandas as pd

import changkaixin.report as cr


def label(i: str) -> dict[str, str]:
    return {"id": i, "zh": i, "en": i}


def spec() -> cr.ReportSpec:
    verdicts = [label(v) for v in ("negative", "positive", "indeterminate")]
    return cr.ReportSpec.from_dict(
        {
            "layout": {
                "districts": [label(f"d{i}") for i in range(4)],
                "schools": [{**label(f"s{i}"), "district": i % 4} for i in range(200)],
                "grades": [label(str(g)) for g in range(1, 13)],
                "sexes": [label("M"), label("F")],
            },
            "measures": [
                {
                    "id": "phq9.total.band",
                    "zh": "b",
                    "en": "b",
                    "source": {"kind": "band", "instrument": 0},
                    "categories": [label(b) for b in ("minimal", "mild", "moderate", "modsev", "severe", "no_band")],
                },
                {
                    "id": "screen",
                    "zh": "s",
                    "en": "s",
                    "source": {"kind": "screen", "instrument": 0},
                    "categories": verdicts,
                },
                {
                    "id": "item9",
                    "zh": "f",
                    "en": "f",
                    "source": {"kind": "flag", "instrument": 0, "bit": 0},
                    "categories": verdicts,
                },
                {
                    "id": "tier",
                    "zh": "t",
                    "en": "t",
                    "source": {"kind": "tier"},
                    "categories": [label(t) for t in ("none", "watch", "key", "crisis")],
                },
            ],
        }
    )


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def best(f: Callable[[], Any], k: int = 5) -> tuple[float, float]:
    out = []
    for _ in range(k):
        t0, c0 = time.perf_counter(), cpu()
        f()
        out.append((time.perf_counter() - t0, cpu() - c0))
    return min(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    n = ap.parse_args().rows
    s = spec()
    rng = np.random.default_rng(7)
    school = rng.integers(0, 200, n).astype(np.uint32)
    cols: dict[str, Any] = {
        "district": (school % 4).astype(np.uint16),
        "school": school,
        "grade": rng.integers(0, 12, n).astype(np.uint8),
        "sex": rng.integers(0, 2, n).astype(np.uint8),
        "tiers": rng.choice(np.array([0, 1, 2, 3], np.uint8), n, p=[0.85, 0.1, 0.04, 0.01]),
    }
    inst = {
        "band": rng.choice(np.array([0, 1, 2, 3, 4, 255], np.uint8), n, p=[0.5, 0.25, 0.12, 0.06, 0.04, 0.03]),
        "screen": rng.choice(np.array([0, 1, 2], np.uint8), n, p=[0.8, 0.15, 0.05]),
        "flags": rng.choice(np.array([0, 1], np.uint64), n, p=[0.95, 0.05]),
        "flags_indeterminate": rng.choice(np.array([0, 1], np.uint64), n, p=[0.98, 0.02]),
    }
    wide = {k: v.astype(np.int64) for k, v in cols.items()}
    wide_inst = {k: v.astype(np.int64) for k, v in inst.items()}
    no_district = {k: v for k, v in cols.items() if k != "district"}

    def add(c: dict[str, Any], i: dict[str, Any]) -> cr.Aggregate:
        a = cr.Aggregate(s)
        a.add(instruments=[i], **c)
        return a

    print(f"load average {os.getloadavg()}; {n:,} SYNTHETIC rows")
    for name, c, i in (
        ("add, core dtypes (read in place)", cols, inst),
        ("add, int64 columns (converted, range-checked)", wide, wide_inst),
        ("add, district derived from the school", no_district, inst),
    ):
        w, t = best(lambda c=c, i=i: add(c, i))
        print(f"{name}: {w * 1e3:.1f} ms wall, {t * 1e3:.1f} ms CPU")
    frame = pd.DataFrame(
        {
            "school": pd.Categorical.from_codes(school.astype(np.int64), [f"s{i}" for i in range(200)]),
            "grade": cols["grade"],
            "sex": cols["sex"],
            "tier": cols["tiers"],
            **inst,
        }
    )
    w, t = best(lambda: cr.aggregate_frame(s, frame), 3)
    print(f"aggregate_frame (school as a Categorical of ids): {w * 1e3:.1f} ms wall, {t * 1e3:.1f} ms CPU")
    agg = add(cols, inst)
    text = agg.to_json()
    w, t = best(lambda: cr.Aggregate.from_json(text, s), 3)
    print(f"Aggregate.from_json ({len(text):,} bytes, verified): {w * 1e3:.1f} ms wall")
    w, t = best(lambda: cr.city_report_json(s, agg, round="r"), 1)
    rep = cr.city_report(s, agg, round="r")
    print(f"city_report_json ({len(rep.to_json()):,} bytes): {w * 1e3:.0f} ms wall, {t * 1e3:.0f} ms CPU")
    w, t = best(rep.table_frame, 3)
    print(f"table_frame ({len(rep.table_frame()):,} rows): {w * 1e3:.0f} ms wall")
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
