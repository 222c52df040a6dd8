"""Dask (``distributed.LocalCluster``, two worker processes): map_partitions scoring, tiers and the
city report equal the single-process results. python/run-tests.sh installs Dask; never skipped."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from engine_data import INSTRUMENTS, cohort, evidence, report_spec, single_process

import changkaixin as ck
import changkaixin.arrow as cka
import changkaixin.dask as ckd
from changkaixin import report as cr

N = 200_000
AT = "2026-11-21T08:00:00+08:00"


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory() as tmp:
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            memory_limit="2GiB",
            local_directory=tmp,
        )
        c = Client(cluster)
        yield c
        c.close()
        cluster.close()


@pytest.fixture(scope="module")
def data() -> pa.Table:
    return cohort(N, seed=7)


def _ddf(table: pa.Table, parts: int) -> Any:
    """The table as ``parts`` Parquet files read back by Dask (one partition each), as analysts load data."""
    import dask.dataframe as dd
    import pyarrow.parquet as pq

    d = Path(tempfile.mkdtemp(prefix="ck-dask-"))
    step = -(-table.num_rows // parts)
    for i in range(parts):
        pq.write_table(table.slice(i * step, step), d / f"part-{i:02d}.parquet")
    ddf = dd.read_parquet(str(d), dtype_backend="pyarrow")
    assert ddf.npartitions == parts
    return ddf


def test_score_equals_single_process(client: Any, data: pa.Table) -> None:
    want, _ = single_process(data)
    ddf = _ddf(data, 5)
    out = ckd.score(ddf, "phq9", keep=["student", "school", "grade", "sex"])
    assert list(out.columns) == want.schema.names
    got = out.compute()
    assert got.index.equals(ddf.compute().index)
    got_t = pa.Table.from_pandas(got, preserve_index=False).cast(want.schema)
    for name in want.schema.names:
        assert got_t.column(name).equals(want.column(name)), name
    assert str(got["total"].dtype) == "decimal128(18, 0)[pyarrow]"


def test_tiers_equal_single_process(client: Any, data: pa.Table) -> None:
    ev = evidence(data, 2000)
    policy = ck.AlertPolicy.changzhou_default()
    got = ckd.tiers(_ddf(ev, 3), policy, AT, keep=["row"]).compute()
    want = pa.Table.from_batches([cka.tiers_arrow(policy, b, AT, keep=["row"]) for b in ev.to_batches()])
    got_t = pa.Table.from_pandas(got, preserve_index=False).cast(want.schema)
    assert got_t.combine_chunks().equals(want.combine_chunks())
    assert got_t.column("tier").to_pylist().count(None) == 1


def test_tiers_from_answers_equal_single_process(client: Any, data: pa.Table) -> None:
    policy = ck.AlertPolicy.changzhou_default()
    phq = ck.Instrument.builtin("phq9")
    screened = "2026-11-20T08:00:00+08:00"
    ddf = _ddf(data, 4)
    got = ckd.tiers_from_answers(ddf, policy, AT, [phq], screened_at=screened, keep=["student"]).compute()
    want = cka.tiers_from_answers(policy, data, AT, [phq], screened_at=screened, keep=["student"])
    got_t = pa.Table.from_pandas(got, preserve_index=False).cast(want.schema)
    assert got_t.combine_chunks().equals(want.combine_chunks())
    assert {"none", "watch", "key"} <= set(got_t.column("tier").to_pylist())


def test_report_from_partitions_equals_single_process(client: Any, data: pa.Table) -> None:
    spec = report_spec()
    _, want = single_process(data)
    scored = ckd.score(_ddf(data, 4), "phq9", keep=["student", "school", "grade", "sex"])
    agg = ckd.aggregate(scored, spec, instruments=INSTRUMENTS)
    assert agg.total == N and agg.to_json() == want.to_json()
    r = "2026 autumn"
    assert cr.city_report_json(spec, agg, r) == cr.city_report_json(spec, want, r)
