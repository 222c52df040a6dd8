"""Benchmark (not a test): changkaixin batch scoring vs a vectorised numpy reference and a row-wise pandas apply.

    python python/benches/bench_batch.py [--rows 1000000] [--pandas-rows 20000] [--workloads phq9,mht]

Two workloads on SYNTHETIC data: PHQ-9 (10 items) and the 100-item MHT-shaped fixture
(tests/fixtures/mht_synthetic.json, norm groups by grade and sex). Each reference computes
the same outputs as changkaixin (raw and standard scores, bands, answered counts, flag and
screen verdicts, validity) with the same rules, written here by hand the way an analyst
would; the script checks that all three agree. Flags and the screen are three-valued, as in
the core: verdict codes 0 negative, 1 positive, 2 indeterminate (the missing answers could
go either way), with a scale's possible values bounded by its answered items. Timings include conversion into and out of
Python (changkaixin: the numpy array in, a dict of numpy columns out). The pandas apply is
timed on a subset and extrapolated linearly to the full row count (said in the output).

PHQ-9 also has a *lean* numpy version: the three lines an analyst writes first (sum of items
1-9, ``np.digitize`` bands, item 9 >= 1), which ignore missing answers and the other rules; it
is checked against changkaixin on the rows with items 1-9 answered. The script prints the
ratios of the targets (score_batch on one thread vs lean and vs full-rules numpy, threads vs one
thread), the load average and, beside each best wall time, the least process CPU time, since the
machine it runs on may be shared. The ``compact=True`` rows score the same batch into the core's
compact columns (narrow mantissas and flag words, no answered counts), checked against the same
references.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

import changkaixin as ck

REPO = Path(__file__).resolve().parents[2]
UNSCORED = ck.UNSCORED


def interleaved(n: int, fs: dict[str, Callable[[], Any]]) -> dict[str, tuple[float, Any, float]]:
    """Best wall time of each function over n rounds, the functions taking turns (fair under varying
    machine load), with the output of that round and the least process CPU time (every thread of the
    process, user + system) over the rounds."""
    best: dict[str, tuple[float, Any, float]] = {k: (float("inf"), None, float("inf")) for k in fs}
    for _ in range(n):
        for k, f in fs.items():
            c0 = time.process_time()
            t0 = time.perf_counter()
            out = f()
            dt = time.perf_counter() - t0
            dc = time.process_time() - c0
            b = best[k]
            best[k] = (dt, out, min(dc, b[2])) if dt < b[0] else (b[0], b[1], min(dc, b[2]))
            # Drop a round's output before the next function runs (not when the next one returns),
            # so each function starts with the same memory state.
            del out, b
    return best


def best_of(n: int, f: Callable[[], Any]) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t0)
    return best, out


# ---------------------------------------------------------------- PHQ-9 references


def _kleene(sure: np.ndarray, possible: np.ndarray) -> np.ndarray:
    """Verdict codes from "holds surely" / "may hold": 1 positive, 0 negative, 2 indeterminate."""
    return np.where(sure, 1, np.where(possible, 2, 0)).astype(np.uint8)


def _and(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Kleene AND of verdict codes."""
    return np.where((a == 0) | (b == 0), 0, np.where((a == 1) & (b == 1), 1, 2)).astype(np.uint8)


def _or(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Kleene OR of verdict codes."""
    return np.where((a == 1) | (b == 1), 1, np.where((a == 0) & (b == 0), 0, 2)).astype(np.uint8)


def phq9_numpy(codes: np.ndarray) -> dict[str, np.ndarray]:
    """PHQ-9 rules, vectorised: total of items 1-9 (all required), bands 0-4/5-9/10-14/15-19/20-27,
    flags item 9 >= 1, item 9 unanswered, the MDD algorithm, screen total >= 10 (three-valued)."""
    items = codes[:, :9]
    answered = items >= 0
    n_answered = answered.sum(axis=1, dtype=np.uint16)
    complete = n_answered == 9
    total = np.where(answered, items, 0).sum(axis=1, dtype=np.int64)
    hi = total + 3 * (9 - n_answered.astype(np.int64))  # the greatest total the missing items allow
    raw = np.where(complete, total, UNSCORED)
    band = np.where(complete, np.searchsorted(np.array([5, 10, 15, 20]), total, side="right"), -1).astype(np.int8)
    i9 = codes[:, 8]
    missing = ~answered
    # Every test below can still hold for a missing item (its options reach the threshold).
    test = np.concatenate([items[:, :8] >= 2, (i9 >= 1)[:, None]], axis=1)
    self_harm = _kleene(i9 >= 1, i9 < 0)
    n_sure = test.sum(axis=1)
    n_possible = n_sure + missing.sum(axis=1)
    count5 = _kleene(n_sure >= 5, n_possible >= 5)
    core = _or(_kleene(test[:, 0], missing[:, 0]), _kleene(test[:, 1], missing[:, 1]))
    mdd = _and(count5, core)
    screen = _kleene(total >= 10, hi >= 10)
    validity = np.where(complete, 0, 1).astype(np.uint8)
    return {
        "total.raw": raw,
        "total.band": band,
        "total.answered": n_answered,
        "flag.item9_self_harm": self_harm,
        "flag.item9_unanswered": (i9 < 0).astype(np.uint8),
        "flag.mdd_algorithm": mdd,
        "screen": screen,
        "validity": validity,
    }


def phq9_lean(codes: np.ndarray) -> dict[str, np.ndarray]:
    """The three lines of numpy an analyst writes first: total of items 1-9, ``np.digitize`` bands,
    item 9 >= 1. Two-valued and blind to missing answers (a -1 lowers the total), so it is a
    speed reference only: it computes less than the rules and is checked only on complete rows."""
    total = codes[:, :9].sum(axis=1)
    band = np.digitize(total, [5, 10, 15, 20])
    self_harm = codes[:, 8] >= 1
    return {"total": total, "band": band, "self_harm": self_harm}


def _v(sure: bool, possible: bool) -> int:
    return 1 if sure else (2 if possible else 0)


def phq9_row(row: Any) -> dict[str, Any]:
    """PHQ-9 rules for one pandas row (what a row-wise `apply` looks like), three-valued."""
    vals = [int(row[f"q{i}"]) for i in range(1, 10)]
    ans = [v for v in vals if v >= 0]
    complete = len(ans) == 9
    lo = sum(ans)
    hi = lo + 3 * (9 - len(ans))
    total = lo if complete else None
    if total is None:
        band = -1
    elif total <= 4:
        band = 0
    elif total <= 9:
        band = 1
    elif total <= 14:
        band = 2
    elif total <= 19:
        band = 3
    else:
        band = 4
    i9 = vals[8]
    tests = [(v >= 2, v < 0) for v in vals[:8]] + [(i9 >= 1, i9 < 0)]
    n_sure = sum(1 for s, _ in tests if s)
    n_possible = n_sure + sum(1 for _, m in tests if m)
    count5 = _v(n_sure >= 5, n_possible >= 5)
    a, b = _v(*tests[0]), _v(*tests[1])
    core = 1 if 1 in (a, b) else (0 if a == b == 0 else 2)
    mdd = 0 if 0 in (count5, core) else (1 if count5 == core == 1 else 2)
    return {
        "total.raw": UNSCORED if total is None else total,
        "total.band": band,
        "total.answered": len(ans),
        "flag.item9_self_harm": _v(i9 >= 1, i9 < 0),
        "flag.item9_unanswered": int(i9 < 0),
        "flag.mdd_algorithm": mdd,
        "screen": _v(lo >= 10, hi >= 10),
        "validity": 0 if complete else 1,
    }


# ---------------------------------------------------------------- MHT-shaped references


class MhtRules:
    """The fixture's rules read from its spec: item lists, norm tables, bands, flags, lie rule."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.scales = [(s["id"], [int(i) - 1 for i in s["aggregate"]["items"]], s) for s in spec["scales"]]
        self.grades = [str(g) for g in range(4, 13)]
        self.sexes = ["M", "F"]
        # norm lookup table per scale: [group, raw] -> score
        self.norm: dict[str, np.ndarray] = {}
        for n in spec["norms"]:
            sid = n["scale"]
            n_items = len(next(s[1] for s in self.scales if s[0] == sid))
            t = self.norm.setdefault(sid, np.full((len(self.grades) * 2, n_items + 1), -1, dtype=np.int64))
            g = self.grades.index(n["group"]["grade"]) * 2 + self.sexes.index(n["group"]["sex"])
            for r in n["rows"]:
                t[g, r["raw_min"] : r["raw_max"] + 1] = int(r["score"])
        self.flags = [(f["id"], f["when"]["scale"]) for f in spec["flags"]]

    def numpy(self, codes: np.ndarray, group: np.ndarray) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        answered_all = codes >= 0
        values = np.where(answered_all, codes, 0).astype(np.int16)
        any_unscored = np.zeros(codes.shape[0], dtype=bool)
        score_of: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        raw_of: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for sid, idx, spec in self.scales:
            n_ans = answered_all[:, idx].sum(axis=1, dtype=np.uint16)
            complete = n_ans == len(idx)
            total = values[:, idx].sum(axis=1, dtype=np.int64)
            hi = total + (len(idx) - n_ans.astype(np.int64))  # yes/no items: each missing one adds 0 or 1
            raw = np.where(complete, total, UNSCORED)
            if sid in self.norm:
                score = np.where(complete, self.norm[sid][group, total], UNSCORED)
                # Norm tables are monotonic: the possible scores lie between those of lo and hi.
                score_of[sid] = (self.norm[sid][group, total], self.norm[sid][group, hi])
            else:
                score = raw
                score_of[sid] = (total, hi)
            band = np.full(codes.shape[0], -1, dtype=np.int8)
            if spec.get("bands"):  # low < 4 <= normal < 8 <= high, on the standard score
                band = np.where(complete, np.searchsorted(np.array([4, 8]), score, side="right"), -1).astype(np.int8)
            any_unscored |= ~complete
            out[f"{sid}.raw"], out[f"{sid}.score"], out[f"{sid}.band"], out[f"{sid}.answered"] = raw, score, band, n_ans
            raw_of[sid] = (total, hi)
        for fid, test in self.flags:
            lo_v, hi_v = score_of[test["scale"]] if test.get("on") == "score" else raw_of[test["scale"]]
            out[f"flag.{fid}"] = _kleene(lo_v >= int(test["value"]), hi_v >= int(test["value"]))
        invalid = raw_of["lie"][0] >= 7  # a validity rule fires only when certain
        out["validity"] = np.where(invalid, 2, np.where(any_unscored, 1, 0)).astype(np.uint8)
        return out

    def row(self, row: Any) -> dict[str, Any]:
        vals = [int(row[f"i{k}"]) for k in range(1, 101)]
        g = self.grades.index(str(row["grade"])) * 2 + self.sexes.index(row["sex"])
        out: dict[str, Any] = {}
        unscored = False
        score_of: dict[str, tuple[int, int]] = {}
        raw_of: dict[str, tuple[int, int]] = {}
        for sid, idx, spec in self.scales:
            ans = [vals[i] for i in idx if vals[i] >= 0]
            complete = len(ans) == len(idx)
            lo, hi = sum(ans), sum(ans) + len(idx) - len(ans)
            raw = lo if complete else None
            score = raw
            if sid in self.norm and raw is not None:
                score = int(self.norm[sid][g, raw])
            raw_of[sid] = (lo, hi)
            score_of[sid] = (int(self.norm[sid][g, lo]), int(self.norm[sid][g, hi])) if sid in self.norm else (lo, hi)
            band = -1
            if spec.get("bands") and score is not None:
                band = 0 if score < 4 else (1 if score < 8 else 2)
            unscored |= not complete
            out[f"{sid}.raw"] = UNSCORED if raw is None else raw
            out[f"{sid}.score"] = UNSCORED if score is None else score
            out[f"{sid}.band"] = band
            out[f"{sid}.answered"] = len(ans)
        for fid, test in self.flags:
            lo_v, hi_v = score_of[test["scale"]] if test.get("on") == "score" else raw_of[test["scale"]]
            out[f"flag.{fid}"] = _v(lo_v >= int(test["value"]), hi_v >= int(test["value"]))
        lie = raw_of["lie"][0]
        out["validity"] = 2 if (lie is not None and lie >= 7) else (1 if unscored else 0)
        return out


# ---------------------------------------------------------------- harness


def check(name: str, got: dict[str, np.ndarray], want: dict[str, np.ndarray], rows: slice = slice(None)) -> None:
    for k, v in want.items():
        g = np.asarray(got[k])[rows]
        if not np.array_equal(g, np.asarray(v)):
            bad = np.nonzero(g != np.asarray(v))[0][:5]
            raise SystemExit(f"{name}: column {k} differs at rows {bad.tolist()}")


def check_compact(name: str, got: ck.BatchResult, want: dict[str, np.ndarray]) -> None:
    """A compact result against a reference: its mantissas widened (its own unscored marker read
    as UNSCORED), the answered counts it leaves out skipped."""

    def widen(k: str) -> np.ndarray:
        if not k.endswith((".raw", ".score")):
            return got[k]
        return np.where(got[k] == got.unscored(k), UNSCORED, got[k].astype(np.int64))

    wide = {k: widen(k) for k in got}
    check(name, wide, {k: v for k, v in want.items() if not k.endswith(".answered")})


def pandas_apply(df: Any, f: Callable[[Any], dict[str, Any]]) -> dict[str, np.ndarray]:
    import pandas as pd

    res = df.apply(lambda r: pd.Series(f(r)), axis=1)
    return {c: res[c].to_numpy() for c in res.columns}


def check_lean(got: ck.BatchResult, lean: dict[str, np.ndarray], codes: np.ndarray) -> None:
    """The lean version agrees with changkaixin on the rows it is meant for (items 1-9 answered)."""
    complete = (codes[:, :9] >= 0).all(axis=1)
    pairs = [
        ("total", got["total.raw"], lean["total"]),
        ("band", got["total.band"], lean["band"]),
        ("self_harm", got["flag.item9_self_harm"] == 1, lean["self_harm"]),
    ]
    for name, g, w in pairs:
        if not np.array_equal(np.asarray(g)[complete], np.asarray(w)[complete]):
            raise SystemExit(f"phq9 lean numpy: {name} differs on complete rows")


def complete_rows(codes: np.ndarray) -> np.ndarray:
    """Rows whose PHQ-9 total is scored (items 1-9 answered)."""
    return (codes[:, :9] >= 0).all(axis=1)


Timing = tuple[float, float]  # (best wall seconds, least process CPU seconds)


def run(rows: int, pandas_rows: int, repeat: int, workloads: set[str]) -> list[dict[str, Any]]:
    import pandas as pd

    rng = np.random.default_rng(2026)
    out: list[dict[str, Any]] = []

    # PHQ-9: 1M × 10 int8, ~1 % missing cells (so ~10 % of rows lack an answer).
    phq9 = ck.catalog().instrument("phq9")
    codes = rng.integers(0, 4, size=(rows, 10), dtype=np.int8)
    codes[rng.random(codes.shape) < 0.01] = -1
    if "phq9" in workloads:
        complete = np.where(codes < 0, 0, codes)  # the same rows with every answer given
        fortran = np.asfortranarray(codes)  # e.g. what DataFrame.to_numpy() returns for one dtype
        b = interleaved(
            repeat,
            {
                "ck1": lambda: phq9.score_batch(codes, missing=-1, threads=1),
                "ck": lambda: phq9.score_batch(codes, missing=-1),
                "np": lambda: phq9_numpy(codes),
                "lean": lambda: phq9_lean(codes),
                "ck1_complete": lambda: phq9.score_batch(complete, missing=-1, threads=1),
                "lean_complete": lambda: phq9_lean(complete),
                "ck1_fortran": lambda: phq9.score_batch(fortran, missing=-1, threads=1),
                "ck1_compact": lambda: phq9.score_batch(codes, missing=-1, threads=1, compact=True),
                "ck_compact": lambda: phq9.score_batch(codes, missing=-1, compact=True),
                "ck1_compact_complete": lambda: phq9.score_batch(complete, missing=-1, threads=1, compact=True),
            },
        )
        res, res_mt, ref, lean = b["ck1"][1], b["ck"][1], b["np"][1], b["lean"][1]
        check("phq9 numpy", res, ref)
        check("phq9 threads", res_mt, ref)
        check_lean(res, lean, codes)
        check_compact("phq9 compact", b["ck1_compact"][1], ref)
        check_compact("phq9 compact threads", b["ck_compact"][1], ref)
        check_lean(b["ck1_compact"][1], lean, codes)
        check_compact("phq9 compact complete rows", b["ck1_compact_complete"][1], phq9_numpy(complete))
        check("phq9 complete rows", b["ck1_complete"][1], phq9_numpy(complete))
        check_lean(b["ck1_complete"][1], b["lean_complete"][1], complete)
        check("phq9 F order", b["ck1_fortran"][1], ref)
        sub = pd.DataFrame(codes[:pandas_rows], columns=[f"q{i}" for i in range(1, 11)])
        t_pd_sub, ref_pd = best_of(1, lambda: pandas_apply(sub, phq9_row))
        check("phq9 pandas", res, ref_pd, slice(0, pandas_rows))
        t = {k: (v[0], v[2]) for k, v in b.items()}
        out.append(
            {
                "workload": "PHQ-9",
                "rows": rows,
                "ck1": t["ck1"],
                "ck": t["ck"],
                "numpy": t["np"],
                "lean": t["lean"],
                "pandas_s_extrapolated": t_pd_sub * rows / pandas_rows,
            }
        )
        out.append(
            {
                "workload": "PHQ-9, every answer given (no partial rows)",
                "rows": rows,
                "ck1": t["ck1_complete"],
                "lean": t["lean_complete"],
            }
        )
        out.append(
            {
                "workload": "PHQ-9, compact=True",
                "rows": rows,
                "ck1": t["ck1_compact"],
                "ck": t["ck_compact"],
                "numpy": t["np"],
                "lean": t["lean"],
            }
        )
        out.append(
            {
                "workload": "PHQ-9, compact=True, every answer given",
                "rows": rows,
                "ck1": t["ck1_compact_complete"],
                "lean": t["lean_complete"],
            }
        )
        out.append({"workload": "PHQ-9, F-order input (1 thread)", "rows": rows, "ck1": t["ck1_fortran"]})
        # The pandas path: a frame of floats with NaN for missing (what read_csv gives), scored
        # into a DataFrame (Int64 totals, categorical bands and verdicts).
        cols = [f"q{i}" for i in range(1, 11)]
        frame = pd.DataFrame(np.where(codes < 0, np.nan, codes.astype(np.float64)), columns=cols)
        b = interleaved(repeat, {"frame": lambda: ck.score_frame(frame, phq9, columns=cols, threads=1)})
        scored = b["frame"][1]
        if not np.array_equal(
            scored["total"].fillna(-1).to_numpy(dtype=np.int64), np.where(complete_rows(codes), res["total.raw"], -1)
        ):
            raise SystemExit("phq9 score_frame: totals differ from score_batch")
        out.append(
            {
                "workload": "PHQ-9, score_frame of a float frame with NaN (1 thread)",
                "rows": rows,
                "ck1": (b["frame"][0], b["frame"][2]),
            }
        )

    if "mht" in workloads:
        # MHT-shaped: 1M × 100 int8 yes/no, ~0.1 % missing, norm groups by grade (4-12) and sex.
        spec_text = (REPO / "tests" / "fixtures" / "mht_synthetic.json").read_text(encoding="utf-8")
        mht = ck.Instrument.from_json(spec_text)
        rules = MhtRules(json.loads(spec_text))
        codes = (rng.random((rows, 100)) < 0.3).astype(np.int8)
        codes[rng.random(codes.shape) < 0.001] = -1
        grade = rng.integers(4, 13, size=rows, dtype=np.int8)
        sex_code = rng.integers(0, 2, size=rows, dtype=np.int8)  # 0 = M, 1 = F
        group = (grade.astype(np.int64) - 4) * 2 + sex_code
        group_dicts = [{"grade": str(g), "sex": s} for g in range(4, 13) for s in ("M", "F")]

        def ck_mht(threads: Any, compact: bool = False) -> ck.BatchResult:
            # Same inputs as the numpy reference: the group index is computed here, inside the timing.
            index = (grade.astype(np.uint32) - 4) * 2 + sex_code.astype(np.uint32)
            return mht.score_batch(codes, missing=-1, groups=(index, group_dicts), threads=threads, compact=compact)

        b = interleaved(
            repeat,
            {
                "ck1": lambda: ck_mht(1),
                "ck": lambda: ck_mht(None),
                "np": lambda: rules.numpy(codes, group),
                "ck1_compact": lambda: ck_mht(1, compact=True),
            },
        )
        res, res_mt, ref = b["ck1"][1], b["ck"][1], b["np"][1]
        check("mht numpy", res, ref)
        check("mht threads", res_mt, ref)
        check_compact("mht compact", b["ck1_compact"][1], ref)
        sub = pd.DataFrame(codes[:pandas_rows], columns=[f"i{k}" for k in range(1, 101)])
        sub["grade"] = grade[:pandas_rows]
        sub["sex"] = np.array(["M", "F"])[sex_code[:pandas_rows]]
        t_pd_sub, ref_pd = best_of(1, lambda: pandas_apply(sub, rules.row))
        check("mht pandas", res, ref_pd, slice(0, pandas_rows))
        t = {k: (v[0], v[2]) for k, v in b.items()}
        out.append(
            {
                "workload": "MHT-shaped (100 items, norms)",
                "rows": rows,
                "ck1": t["ck1"],
                "ck": t["ck"],
                "numpy": t["np"],
                "pandas_s_extrapolated": t_pd_sub * rows / pandas_rows,
            }
        )
        out.append({"workload": "MHT-shaped, compact=True", "rows": rows, "ck1": t["ck1_compact"], "numpy": t["np"]})

        # Also: the same MHT batch with groups given as key columns (factorised by changkaixin).
        sex = np.array(["M", "F"])[sex_code]
        b = interleaved(
            repeat, {"ck1": lambda: mht.score_batch(codes, missing=-1, groups={"grade": grade, "sex": sex}, threads=1)}
        )
        check("mht key columns", b["ck1"][1], ref)
        out.append(
            {
                "workload": "MHT-shaped, groups as key columns (1 thread)",
                "rows": rows,
                "ck1": (b["ck1"][0], b["ck1"][2]),
            }
        )
    return out


def _ms(t: Timing) -> str:
    return f"{t[0] * 1000:.1f} ms (CPU {t[1] * 1000:.1f})"


def print_target_ratios(r: dict[str, Any]) -> None:
    """The PHQ-9 target ratios of one workload row (the wide default or compact=True): wall time, and
    process CPU time (steadier on a loaded machine, but blind to threads)."""
    a, c = r["ck1"]
    label = "score_batch" if r["workload"] == "PHQ-9" else "score_batch(compact=True)"
    print(
        f"\n{r['workload']} ratios (wall): {label} (1 thread) vs lean numpy {r['lean'][0] / a:.2f}× (target ≥ 3×), "
        f"vs full-rules numpy {r['numpy'][0] / a:.2f}× (target ≥ 3×); "
        f"threaded vs 1 thread {a / r['ck'][0]:.2f}× (target ≥ 1.7× on 2 idle cores)."
    )
    print(
        f"{r['workload']} ratios (process CPU time): vs lean numpy {r['lean'][1] / c:.2f}×, "
        f"vs full-rules numpy {r['numpy'][1] / c:.2f}×; threads use {r['ck'][1] / c:.2f}× the CPU of one thread."
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--pandas-rows", type=int, default=20_000)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--workloads", default="phq9,mht", help="comma-separated: phq9, mht (default both)")
    args = p.parse_args()
    load_before = os.getloadavg()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    res = run(args.rows, args.pandas_rows, args.repeat, set(args.workloads.split(",")))
    load_after = os.getloadavg()
    cores = os.cpu_count()
    print(
        f"rows={args.rows:,}; best of {args.repeat} (interleaved); {cores} cores; load average "
        f"{load_before[0]:.2f} before, {load_after[0]:.2f} after (1 min; other processes compete for the cores);"
    )
    print(
        f"this process used {time.process_time() - cpu0:.1f} s CPU in {time.perf_counter() - wall0:.1f} s. "
        "Times are best wall time (CPU = least process CPU time, all threads)."
    )
    print(
        f"pandas apply timed on {args.pandas_rows:,} rows and extrapolated linearly. "
        "All implementations agree on every compared column.\n"
    )
    head = ["workload", "changkaixin, 1 thread", f"changkaixin, {cores} threads", "lean numpy", "full-rules numpy"]
    head += ["vs lean numpy (target ≥3×)", "vs full-rules numpy (target ≥3×)", "threads vs 1 (target ≥1.7×)"]
    head += ["pandas apply (extrap.)", "vs pandas (target ≥100×)"]
    print("| " + " | ".join(head) + " |")
    print("|" + " --- |" * len(head))
    for r in res:
        a = r["ck1"]
        cells = [f"{r['workload']}, {r['rows']:,} rows", _ms(a)]
        cells.append(_ms(r["ck"]) if "ck" in r else "")
        cells.append(_ms(r["lean"]) if "lean" in r else "")
        cells.append(_ms(r["numpy"]) if "numpy" in r else "")
        cells.append(f"{r['lean'][0] / a[0]:.2f}×" if "lean" in r else "")
        cells.append(f"{r['numpy'][0] / a[0]:.2f}×" if "numpy" in r else "")
        cells.append(f"{a[0] / r['ck'][0]:.2f}×" if "ck" in r else "")
        if "pandas_s_extrapolated" in r:
            c = r["pandas_s_extrapolated"]
            cells += [f"{c:.0f} s", f"{c / a[0]:,.0f}×"]
        else:
            cells += ["", ""]
        print("| " + " | ".join(cells) + " |")
    for r in res:
        if r["workload"] in ("PHQ-9", "PHQ-9, compact=True"):
            print_target_ratios(r)
        if r["workload"].startswith("PHQ-9, every answer"):
            print(
                f"PHQ-9, every answer given: vs lean numpy {r['lean'][0] / r['ck1'][0]:.2f}× wall, "
                f"{r['lean'][1] / r['ck1'][1]:.2f}× CPU (the gap: partial rows, the core's three-valued pass)."
            )


if __name__ == "__main__":
    main()
