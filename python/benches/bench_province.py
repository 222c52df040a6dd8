"""Province-scale run (issue 14): a synthetic province in Parquet, scored, tiered and reported on
the local Spark and Dask clusters and in one process, with rows/s per core side by side.

Not a test: run it by hand (it writes ~1 GB and takes minutes):

    python python/benches/bench_province.py --students 13000000 --dir .cache/province

Every student is invented (random numbers, fixed seed). The province: ``--cities`` cities (Jiangsu
has 13), each with ``--districts`` districts of ``--schools`` schools, grades 1-12, PHQ-9 and GAD-7
answers (1 % of cells missing), Parquet partitioned by city and district (hive layout).

Stages, per engine (Spark ``local[2]``, Dask ``LocalCluster`` with two worker processes, and one
process on one core reading the same files):

* **score**: PHQ-9 and GAD-7 for every student (``score_arrow`` per Arrow batch);
* **tiers**: every student tiered from the PHQ-9 answers by the alert engine (the engine scores
  the answers again itself: a tier rests on no score from outside) — by default through the
  core's columnar alert entry (``tiers_from_answers``); ``--tiers-path evidence`` builds each
  student's evidence JSON in Arrow and takes the row path instead (what the first run measured);
* **report**: one partial aggregate per partition, merged, and the city report of every city
  (suppression applied once per city, on the merged table).

The engines' results are compared with the single-process ones (aggregate JSON and report bytes).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds

import changkaixin as ck
import changkaixin.arrow as cka
from changkaixin import report as cr

AT = "2026-11-21T08:00:00+08:00"
SCREENED_AT = "2026-11-20T08:00:00+08:00"
GRADES = [str(g) for g in range(1, 13)]
SEXES = ["M", "F"]


def write_province(root: Path, n: int, cities: int, districts: int, schools: int, seed: int) -> float:
    """Write the synthetic province; returns seconds."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    phq, gad = ck.Instrument.builtin("phq9"), ck.Instrument.builtin("gad7")
    sizes = rng.multinomial(n, np.full(cities, 1 / cities))
    first = 0
    for c, size in enumerate(sizes):
        chunk = 1_000_000
        for start in range(0, int(size), chunk):
            m = min(chunk, int(size) - start)
            sev = rng.gamma(1.2, 0.5, m)
            district = rng.integers(0, districts, m).astype(np.int16)
            cols: dict[str, Any] = {
                "student": pa.array(np.arange(first, first + m, dtype=np.int64)),
                "city": pa.array(np.full(m, c, np.int16)),
                "district": pa.array(district),
                "school": pa.array(district.astype(np.int32) * schools + rng.integers(0, schools, m, dtype=np.int32)),
                "grade": pa.array(rng.integers(0, len(GRADES), m).astype(np.int8)),
                "sex": pa.array(rng.integers(0, 2, m).astype(np.int8)),
            }
            for inst in (phq, gad):
                for iid in inst.item_ids():
                    codes = np.clip(np.rint(sev + rng.normal(0, 0.7, m)), 0, 3).astype(np.int8)
                    cols[iid] = pa.array(codes, mask=rng.random(m) < 0.01)
            first += m
            ds.write_dataset(
                pa.table(cols),
                root,
                format="parquet",
                partitioning=["city", "district"],
                partitioning_flavor="hive",
                existing_data_behavior="overwrite_or_ignore",
                basename_template=f"part-c{c}-{start // chunk}-{{i}}.parquet",
                max_rows_per_group=128 * 1024,
            )
    return time.perf_counter() - t0


def city_spec(districts: int, schools: int) -> cr.ReportSpec:
    """One city's layout (districts × schools × grades × sexes) and its measures."""
    phq = ck.Instrument.builtin("phq9")
    bands = phq.score_batch(np.zeros((1, phq.n_items), np.int8)).band_ids["total"]
    policy = ck.AlertPolicy.changzhou_default()
    return cr.ReportSpec.from_dict(
        {
            "layout": {
                "districts": [{"id": f"d{d}", "zh": f"{d}区", "en": f"District {d}"} for d in range(districts)],
                "schools": [
                    {"id": f"s{s}", "zh": f"{s}校", "en": f"School {s}", "district": s // schools}
                    for s in range(districts * schools)
                ],
                "grades": [{"id": g, "zh": f"{g}年级", "en": f"Grade {g}"} for g in GRADES],
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
                    "id": "tier",
                    "zh": "预警等级",
                    "en": "alert tier",
                    "source": {"kind": "tier"},
                    "categories": [{"id": t, "zh": t, "en": t} for t in policy.tiers],
                },
            ],
        }
    )


KEEP = ["student", "city", "district", "school", "grade", "sex"]


def score_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """PHQ-9 and GAD-7 of one batch, with the kept columns (engine types)."""
    phq, gad = _instruments()
    a = cka.for_engine(phq.score_arrow(batch, keep=KEEP, prefix="phq9_"))
    b = cka.for_engine(gad.score_arrow(batch, prefix="gad7_"))
    return pa.RecordBatch.from_arrays(a.columns + b.columns, names=a.schema.names + b.schema.names)


TIERS_PATH = {"path": os.environ.get("CK_TIERS_PATH", "columnar")}


def tier_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Tiers of one batch from its PHQ-9 answers, with the kept columns."""
    phq, _ = _instruments()
    if TIERS_PATH["path"] == "columnar":
        return cka.tiers_from_answers(_policy(), batch, AT, [phq], screened_at=SCREENED_AT, keep=KEEP)
    ev = cka.evidence_json(batch, phq, SCREENED_AT)
    eb = pa.RecordBatch.from_arrays([*(batch.column(k) for k in KEEP), ev], names=[*KEEP, "evidence"])
    return cka.tiers_arrow(_policy(), eb, AT, keep=KEEP)


_CACHE: dict[str, Any] = {}


def _instruments() -> tuple[ck.Instrument, ck.Instrument]:
    if "inst" not in _CACHE:
        _CACHE["inst"] = (ck.Instrument.builtin("phq9"), ck.Instrument.builtin("gad7"))
    return _CACHE["inst"]  # type: ignore[no-any-return]


def _policy() -> ck.AlertPolicy:
    if "policy" not in _CACHE:
        _CACHE["policy"] = ck.AlertPolicy.changzhou_default()
    return _CACHE["policy"]  # type: ignore[no-any-return]


def joined(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Scores and tiers of one batch: the rows a city report counts."""
    s = score_batch(batch)
    t = tier_batch(batch)
    return pa.RecordBatch.from_arrays(
        [s.column(n) for n in KEEP] + [s.column("phq9_total_band"), t.column("tier_index")],
        names=[*KEEP, "total_band", "tier"],
    )


def partial_aggregates(batches: Any, spec: cr.ReportSpec) -> dict[int, cr.Aggregate]:
    """Per-city partial aggregates of joined batches."""
    import pyarrow.compute as pc

    out: dict[int, cr.Aggregate] = {}
    for b in batches:
        for c in pc.unique(b.column("city")).to_pylist():
            part = b.filter(pc.equal(b.column("city"), c))
            agg = cka.aggregate_arrow(spec, [part], instruments=[{"band": "total_band"}])
            if c in out:
                out[c].merge(agg)
            else:
                out[c] = agg
    return out


def reports(aggs: dict[int, cr.Aggregate], spec: cr.ReportSpec) -> dict[int, str]:
    rnd = {"id": "2026-autumn", "zh": "2026 秋", "en": "autumn 2026"}
    return {c: cr.city_report_json(spec, a, rnd) for c, a in aggs.items()}


def _batches(root: Path) -> Any:
    dataset = ds.dataset(root, format="parquet", partitioning="hive")
    yield from dataset.to_batches(batch_size=64 * 1024)


def single_process(root: Path, spec: cr.ReportSpec) -> dict[str, Any]:
    r: dict[str, Any] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    n = sum(score_batch(b).num_rows for b in _batches(root))
    r["score"] = (time.perf_counter() - t0, time.process_time() - c0, n)
    t0, c0 = time.perf_counter(), time.process_time()
    n = sum(tier_batch(b).num_rows for b in _batches(root))
    r["tiers"] = (time.perf_counter() - t0, time.process_time() - c0, n)
    t0, c0 = time.perf_counter(), time.process_time()
    aggs = {int(c): a for c, a in partial_aggregates((joined(b) for b in _batches(root)), spec).items()}
    r["reports"] = reports(aggs, spec)
    r["report"] = (time.perf_counter() - t0, time.process_time() - c0, sum(a.total for a in aggs.values()))
    r["aggregates"] = {c: a.to_json() for c, a in aggs.items()}
    return r


def _agg_rows(batches: Any, spec_json: str) -> Any:
    spec = cr.ReportSpec.from_json(spec_json)
    aggs = partial_aggregates((joined(b) for b in batches), spec)
    yield pa.RecordBatch.from_arrays(
        # Hive partition values may come back as text (Dask): the city number.
        [pa.array([int(c) for c in aggs], pa.int64()), pa.array([a.to_json() for a in aggs.values()], pa.string())],
        names=["city", "aggregate"],
    )


def _merge(rows: Any, spec: cr.ReportSpec) -> dict[int, cr.Aggregate]:
    out: dict[int, cr.Aggregate] = {}
    for c, text in rows:
        city = int(c)
        a = cr.Aggregate.from_json(text, spec)
        if city in out:
            out[city].merge(a)
        else:
            out[city] = a
    return out


def run_spark(root: Path, spec: cr.ReportSpec) -> dict[str, Any]:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession
    from pyspark.sql import types as T

    import changkaixin.spark as cks

    t0 = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "4g")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "65536")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    r: dict[str, Any] = {"start": time.perf_counter() - t0}
    df = spark.read.parquet(str(root))
    r["partitions"] = df.rdd.getNumPartitions()
    phq, gad = _instruments()
    t0 = time.perf_counter()
    scored = cks.score(df, phq, keep=KEEP, prefix="phq9_")
    scored.write.format("noop").mode("overwrite").save()
    g = cks.score(df, gad, prefix="gad7_")
    g.write.format("noop").mode("overwrite").save()
    n = df.count()
    r["score"] = (time.perf_counter() - t0, None, n)
    t0 = time.perf_counter()
    tier_schema = cks.spark_schema(cka.tier_schema([]), [df.schema[k] for k in KEEP])
    tiers = df.mapInArrow(lambda it: (tier_batch(b) for b in it), tier_schema)
    tiers.write.format("noop").mode("overwrite").save()
    r["tiers"] = (time.perf_counter() - t0, None, n)
    t0 = time.perf_counter()
    schema = T.StructType([T.StructField("city", T.LongType()), T.StructField("aggregate", T.StringType())])
    spec_json = spec.to_json()
    rows = df.mapInArrow(lambda it: _agg_rows(it, spec_json), schema).collect()
    aggs = _merge(((row["city"], row["aggregate"]) for row in rows), spec)
    r["reports"] = reports(aggs, spec)
    r["report"] = (time.perf_counter() - t0, None, sum(a.total for a in aggs.values()))
    r["aggregates"] = {c: a.to_json() for c, a in aggs.items()}
    spark.stop()
    return r


def _dask_score(part: Any) -> Any:
    import pandas as pd

    b = pa.Table.from_pandas(part, preserve_index=False).combine_chunks().to_batches()
    return pd.DataFrame({"n": [sum(score_batch(x).num_rows for x in b)]})


def _dask_tiers(part: Any) -> Any:
    import pandas as pd

    b = pa.Table.from_pandas(part, preserve_index=False).combine_chunks().to_batches()
    return pd.DataFrame({"n": [sum(tier_batch(x).num_rows for x in b)]})


def _dask_agg(part: Any, spec_json: str) -> Any:
    import pandas as pd

    b = pa.Table.from_pandas(part, preserve_index=False).to_batches()
    (rows,) = list(_agg_rows(b, spec_json))
    return pd.DataFrame({"city": rows.column(0).to_pylist(), "aggregate": rows.column(1).to_pylist()})


def run_dask(root: Path, spec: cr.ReportSpec) -> dict[str, Any]:
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix="ck-dask-")
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        memory_limit="4GiB",
        local_directory=tmp,
    )
    client = Client(cluster)
    r: dict[str, Any] = {"start": time.perf_counter() - t0}
    ddf = dd.read_parquet(str(root), dtype_backend="pyarrow")
    r["partitions"] = ddf.npartitions
    meta_n = pd.DataFrame({"n": pd.Series([], dtype="int64")})
    t0 = time.perf_counter()
    n = int(ddf.map_partitions(_dask_score, meta=meta_n).compute()["n"].sum())
    r["score"] = (time.perf_counter() - t0, None, n)
    t0 = time.perf_counter()
    n = int(ddf.map_partitions(_dask_tiers, meta=meta_n).compute()["n"].sum())
    r["tiers"] = (time.perf_counter() - t0, None, n)
    t0 = time.perf_counter()
    meta = pd.DataFrame({"city": pd.Series([], dtype="int64"), "aggregate": pd.Series([], dtype=object)})
    parts = ddf.map_partitions(_dask_agg, spec.to_json(), meta=meta).compute()
    aggs = _merge(zip(parts["city"], parts["aggregate"]), spec)
    r["reports"] = reports(aggs, spec)
    r["report"] = (time.perf_counter() - t0, None, sum(a.total for a in aggs.values()))
    r["aggregates"] = {c: a.to_json() for c, a in aggs.items()}
    client.close()
    cluster.close()
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=13_000_000)
    ap.add_argument("--cities", type=int, default=13)
    ap.add_argument("--districts", type=int, default=8)
    ap.add_argument("--schools", type=int, default=40, help="schools per district")
    ap.add_argument("--dir", type=Path, default=Path(".cache/province"))
    ap.add_argument("--engines", default="single,spark,dask")
    ap.add_argument("--reuse", action="store_true", help="keep an existing dataset in --dir")
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--json", type=Path, help="write the figures as JSON here")
    ap.add_argument("--tiers-path", choices=["columnar", "evidence"], default="columnar")
    args = ap.parse_args()
    TIERS_PATH["path"] = args.tiers_path
    if args.tiers_path != "columnar":
        # Spark and Dask workers import this module afresh: they read the choice from here.
        os.environ["CK_TIERS_PATH"] = args.tiers_path

    root = args.dir
    if not (args.reuse and root.exists()):
        if root.exists():
            import shutil

            shutil.rmtree(root)
        secs = write_province(root, args.students, args.cities, args.districts, args.schools, args.seed)
        size = sum(f.stat().st_size for f in root.rglob("*.parquet"))
        print(f"wrote {args.students:,} SYNTHETIC students in {secs:.1f} s: {size / 1e6:.0f} MB Parquet under {root}")
    spec = city_spec(args.districts, args.schools)
    results: dict[str, Any] = {}
    cores = {"single": 1, "spark": 2, "dask": 2}
    for engine in args.engines.split(","):
        run = {"single": single_process, "spark": run_spark, "dask": run_dask}[engine]
        t0 = time.perf_counter()
        results[engine] = run(root, spec)
        print(f"{engine}: done in {time.perf_counter() - t0:.1f} s (load {os.getloadavg()[0]:.1f})", flush=True)
    ref = results.get("single")
    shape = f"{args.cities} cities × {args.districts} districts × {args.schools} schools"
    print(f"\nprovince: {args.students:,} students, {shape}")
    print(f"{'engine':8} {'stage':7} {'wall s':>8} {'rows/s/core':>12} {'vs single':>10}  equal")
    table = []
    for engine, r in results.items():
        for stage in ("score", "tiers", "report"):
            wall, _cpu, n = r[stage]
            per_core = n / wall / cores[engine]
            vs = "" if ref is None or engine == "single" else f"{per_core / (ref[stage][2] / ref[stage][0]):.2f}×"
            same = ""
            if stage == "report" and ref is not None and engine != "single":
                same = "yes" if (r["aggregates"] == ref["aggregates"] and r["reports"] == ref["reports"]) else "NO"
            print(f"{engine:8} {stage:7} {wall:8.1f} {per_core:12,.0f} {vs:>10}  {same}")
            table.append({"engine": engine, "stage": stage, "wall_s": wall, "rows": n, "rows_per_s_per_core": per_core})
        if "start" in r:
            print(f"{engine:8} start   {r['start']:8.1f}  (session / cluster start), {r['partitions']} partitions")
    if args.json:
        args.json.write_text(json.dumps({"students": args.students, "rows": table, "load": os.getloadavg()}, indent=1))
    bad = [e for e, r in results.items() if ref is not None and e != "single" and r["reports"] != ref["reports"]]
    if bad:
        print(f"results differ from the single process: {bad}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
