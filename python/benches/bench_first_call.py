"""The first ``score_batch`` call of a fresh process, as an analyst's notebook cell meets it.

``python python/benches/bench_first_call.py [--runs 8] [--rows 1000000]`` (not a test): SYNTHETIC
PHQ-9 answers (int8, 1 % of cells missing). Each run starts a new interpreter, scores a small
batch once (so the module and its tables are loaded), then times one full batch and counts the
minor page faults it took (``ru_minflt``); wide and ``compact=True``, one and two threads, the
layouts taking turns. Prints the median and range over the runs. ``bench_batch.py`` keeps the
best of many calls in one process, where the output columns come from memory the heap already
holds; this one shows the cost of fresh output memory, which a first call pays in full.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

CHILD = """
import resource, sys, time
import numpy as np
import changkaixin as ck
rows, threads, compact = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "compact"
inst = ck.catalog().instrument("phq9")
rng = np.random.default_rng(2026)
codes = rng.integers(0, 4, size=(rows, inst.n_items), dtype=np.int8)
codes[rng.random(codes.shape) < 0.01] = -1
inst.score_batch(codes[:1000], threads=threads, compact=compact)
f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
t0 = time.perf_counter()
res = inst.score_batch(codes, threads=threads, compact=compact)
t = time.perf_counter() - t0
print(t * 1e3, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0, res.n_rows)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    cases = [(1, "wide"), (2, "wide"), (1, "compact"), (2, "compact")]
    times: dict[tuple[int, str], list[float]] = {c: [] for c in cases}
    faults: dict[tuple[int, str], list[int]] = {c: [] for c in cases}
    load = os.getloadavg()[0]
    for _ in range(args.runs):
        for threads, layout in cases:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(args.rows), str(threads), layout],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            assert int(out[2]) == args.rows
            times[(threads, layout)].append(float(out[0]))
            faults[(threads, layout)].append(int(out[1]))
    print(
        f"rows={args.rows:,}; {args.runs} fresh processes per case (taking turns); "
        f"load average {load:.2f} before, {os.getloadavg()[0]:.2f} after (1 min)\n"
    )
    print("| first call | median | range | minor page faults (median) |")
    print("| --- | --- | --- | --- |")
    for threads, layout in cases:
        t = times[(threads, layout)]
        print(
            f"| PHQ-9 {layout}, {threads} thread{'s' if threads > 1 else ''} | {statistics.median(t):.1f} ms | "
            f"{min(t):.1f}–{max(t):.1f} ms | {statistics.median(faults[(threads, layout)]):,.0f} |"
        )


if __name__ == "__main__":
    main()
