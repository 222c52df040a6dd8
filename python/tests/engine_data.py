"""Synthetic cohorts for the Spark and Dask tests (invented students, fixed seeds; no real data)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa

import changkaixin as ck
from changkaixin import report as cr

N_DISTRICTS = 3
SCHOOLS_PER_DISTRICT = 4
GRADES = ("7", "8", "9")
SEXES = ("M", "F")


def cohort(n: int, seed: int = 20261201) -> pa.Table:
    """``n`` students: id, school/grade/sex ids, PHQ-9 answers (2 % of cells null)."""
    rng = np.random.default_rng(seed)
    phq = ck.Instrument.builtin("phq9")
    n_schools = N_DISTRICTS * SCHOOLS_PER_DISTRICT
    school = rng.integers(0, n_schools, n)
    sev = rng.gamma(1.2, 0.5, n)
    cols: dict[str, Any] = {
        "student": pa.array([f"stu{i:07d}" for i in range(n)]),
        "school": pa.array([f"sch{s:02d}" for s in school]),
        "grade": pa.array(np.array(GRADES)[rng.integers(0, len(GRADES), n)]),
        "sex": pa.array(np.array(SEXES)[rng.integers(0, 2, n)]),
    }
    for iid in phq.item_ids():
        codes = np.clip(np.rint(sev + rng.normal(0, 0.7, n)), 0, 3).astype(np.int8)
        cols[iid] = pa.array(codes, mask=rng.random(n) < 0.02)
    return pa.table(cols)


def report_spec() -> cr.ReportSpec:
    """Districts × schools × grades × sexes, the PHQ-9 total band and the screen verdict."""
    phq = ck.Instrument.builtin("phq9")
    bands = phq.score_batch(np.zeros((1, phq.n_items), np.int8)).band_ids["total"]
    return cr.ReportSpec.from_dict(
        {
            "layout": {
                "districts": [{"id": f"d{d}", "zh": f"{d}区", "en": f"District {d}"} for d in range(N_DISTRICTS)],
                "schools": [
                    {"id": f"sch{s:02d}", "zh": f"{s}校", "en": f"School {s}", "district": s // SCHOOLS_PER_DISTRICT}
                    for s in range(N_DISTRICTS * SCHOOLS_PER_DISTRICT)
                ],
                "grades": [{"id": g, "zh": g, "en": g} for g in GRADES],
                "sexes": [{"id": s, "zh": s, "en": s} for s in SEXES],
            },
            "measures": [
                {
                    "id": "phq9_band",
                    "zh": "PHQ-9 分级",
                    "en": "PHQ-9 band",
                    "source": {"kind": "band", "instrument": 0},
                    "categories": [{"id": b, "zh": b, "en": b} for b in [*bands, "no_band"]],
                },
                {
                    "id": "phq9_screen",
                    "zh": "PHQ-9 筛查阳性",
                    "en": "PHQ-9 screen",
                    "source": {"kind": "screen", "instrument": 0},
                    "categories": [{"id": v, "zh": v, "en": v} for v in ("negative", "positive", "indeterminate")],
                },
            ],
        }
    )


INSTRUMENTS = [{"band": "total_band", "screen": "screen"}]


def evidence(table: pa.Table, n: int) -> pa.Table:
    """Evidence JSON for the first ``n`` students (their PHQ-9 answers, scored by the engine)."""
    phq = ck.Instrument.builtin("phq9")
    items = phq.item_ids()
    rows = table.slice(0, n).select(["student", *items]).to_pylist()
    texts = []
    for r in rows:
        answers = {str(j + 1): r[iid] for j, iid in enumerate(items) if r[iid] is not None}
        ev = {
            "student": r["student"],
            "screenings": [
                {
                    "at": "2026-11-20T08:00:00+08:00",
                    "instrument": {"id": "phq9", "version": phq.version},
                    "response": {"answers": answers},
                }
            ],
        }
        texts.append(json.dumps(ev))
    # One student whose evidence the engine refuses (an instrument it does not know).
    texts[3] = json.dumps(
        {
            "student": rows[3]["student"],
            "screenings": [
                {
                    "at": "2026-11-20T08:00:00+08:00",
                    "instrument": {"id": "nope", "version": "1"},
                    "response": {"answers": {}},
                }
            ],
        }
    )
    return pa.table({"row": pa.array(range(n), pa.int64()), "evidence": pa.array(texts)})


def single_process(table: pa.Table) -> tuple[pa.Table, cr.Aggregate]:
    """The single-process reference: scores (engine form, with the student id) and the aggregate."""
    import changkaixin.arrow as cka

    phq = ck.Instrument.builtin("phq9")
    scored = cka.for_engine(phq.score_arrow(table, keep=["student", "school", "grade", "sex"]))
    agg = cka.aggregate_arrow(report_spec(), scored.to_batches(), instruments=INSTRUMENTS)
    return scored, agg
