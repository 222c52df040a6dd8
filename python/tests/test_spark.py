"""Spark (``local[2]``): mapInArrow scoring, tiers and the city report equal the single-process results.

python/run-tests.sh installs PySpark and Java; a missing PySpark is a failure, never a skip.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from engine_data import INSTRUMENTS, cohort, evidence, report_spec, single_process

import changkaixin as ck
import changkaixin.arrow as cka
import changkaixin.spark as cks
from changkaixin import report as cr

N = 240_000
AT = "2026-11-21T08:00:00+08:00"


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("changkaixin-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "20000")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def data() -> pa.Table:
    return cohort(N)


@pytest.fixture(scope="module")
def frame(spark: Any, data: pa.Table) -> Any:
    df = spark.createDataFrame(data).repartition(6, "school")
    assert df.rdd.getNumPartitions() == 6
    return df.cache()


def _sorted(t: pa.Table, schema: pa.Schema) -> pa.Table:
    return t.cast(schema).sort_by("student").combine_chunks()


def test_score_equals_single_process(spark: Any, frame: Any, data: pa.Table) -> None:
    want, _ = single_process(data)
    out = cks.score(frame, "phq9", keep=["student", "school", "grade", "sex"])
    assert [f.name for f in out.schema.fields] == want.schema.names
    got = out.toArrow()
    assert got.num_rows == N
    got, ref = _sorted(got, want.schema), _sorted(want, want.schema)
    for name in want.schema.names:
        assert got.column(name).equals(ref.column(name)), name
    # Exact decimals, not floats, on the Spark side too.
    assert str(out.schema["total"].dataType) == "DecimalType(18,0)"


def test_tiers_equal_single_process(spark: Any, data: pa.Table) -> None:
    ev = evidence(data, 3000)
    df = spark.createDataFrame(ev).repartition(3)
    policy = ck.AlertPolicy.changzhou_default()
    got = cks.tiers(df, policy, AT, keep=["row"]).toArrow()
    want = pa.Table.from_batches([cka.tiers_arrow(policy, b, AT, keep=["row"]) for b in ev.to_batches()])
    got, want = got.cast(want.schema).sort_by("row").combine_chunks(), want.sort_by("row").combine_chunks()
    assert got.equals(want)
    tiers = got.column("tier").to_pylist()
    assert tiers.count(None) == 1 and got.column("error").to_pylist().count(None) == 2999
    assert {"none", "watch", "key"} <= set(tiers)


def test_tiers_from_answers_equal_single_process(spark: Any, frame: Any, data: pa.Table) -> None:
    policy = ck.AlertPolicy.changzhou_default()
    phq = ck.Instrument.builtin("phq9")
    screened = "2026-11-20T08:00:00+08:00"
    got = cks.tiers_from_answers(frame, policy, AT, [phq], screened_at=screened, keep=["student", "school"]).toArrow()
    assert got.num_rows == N
    want = cka.tiers_from_answers(policy, data, AT, [phq], screened_at=screened, keep=["student", "school"])
    got, want = got.cast(want.schema).sort_by("student").combine_chunks(), want.sort_by("student").combine_chunks()
    assert got.equals(want)
    assert {"none", "watch", "key"} <= set(got.column("tier").to_pylist())


def test_report_from_partitions_equals_single_process(spark: Any, frame: Any, data: pa.Table) -> None:
    spec = report_spec()
    _, want = single_process(data)
    scored = cks.score(frame, "phq9", keep=["student", "school", "grade", "sex"])
    agg = cks.aggregate(scored, spec, instruments=INSTRUMENTS)
    assert agg.total == N
    assert agg.to_json() == want.to_json()
    r = {"id": "2026-autumn", "zh": "2026 秋", "en": "autumn 2026"}
    assert cr.city_report_json(spec, agg, r) == cr.city_report_json(spec, want, r)


def test_errors_reach_the_driver(spark: Any, data: pa.Table) -> None:
    bad = data.slice(0, 1000)
    col = bad.schema.get_field_index("phq9_interest")
    bad = bad.set_column(col, "phq9_interest", pa.array([7] * 1000, pa.int8()))
    df = spark.createDataFrame(bad)
    with pytest.raises(Exception, match=r"batch\.unknown_option"):
        cks.score(df, "phq9", keep=["student"]).collect()
