"""Scoring, alert tiers and the city report on Apache Spark, rows in Arrow end to end.

Every function here runs the same core as the rest of the package, on Spark's executors,
through ``DataFrame.mapInArrow``: each partition's Arrow record batches go to
:meth:`~changkaixin.Instrument.score_arrow` unchanged, and the results come back as Arrow.
The executors need only this package installed (``pip install changkaixin[arrow]``; the wheel
carries the compiled core); the instrument, policy and report spec travel pickled as their JSON
and are linted and compiled again on the executor.

>>> scored = changkaixin.spark.score(df, "phq9", keep=["student", "school"])  # doctest: +SKIP
>>> tiers = changkaixin.spark.tiers(evidence_df, policy, at="2026-03-01T08:00:00+08:00")  # doctest: +SKIP
>>> agg = changkaixin.spark.aggregate(scored, spec, instruments=[{"band": "total_band"}])  # doctest: +SKIP
>>> report = changkaixin.report.city_report(spec, agg, round="2026 spring")  # doctest: +SKIP

Column types are :func:`changkaixin.arrow.for_engine`'s: exact ``DecimalType(18, d)`` scores,
band ids as strings, flags as booleans (null = indeterminate), ``validity`` / ``screen`` codes
as ``ByteType``, bitsets as ``LongType`` (same bits).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Optional, Union

from . import arrow as _arrow
from ._alert import AlertPolicy
from ._instrument import Catalog, CodeMapLike, Instrument, Timestamp

__all__ = ["aggregate", "score", "spark_schema", "tiers", "tiers_from_answers"]


def _spark_type(t: Any) -> Any:
    import pyarrow as pa
    from pyspark.sql import types as T

    if pa.types.is_decimal(t):
        return T.DecimalType(t.precision, t.scale)
    simple = {
        pa.bool_(): T.BooleanType(),
        pa.int8(): T.ByteType(),
        pa.int16(): T.ShortType(),
        pa.int32(): T.IntegerType(),
        pa.int64(): T.LongType(),
        pa.string(): T.StringType(),
        pa.large_string(): T.StringType(),
        pa.float64(): T.DoubleType(),
    }
    if t in simple:
        return simple[t]
    if pa.types.is_list(t):
        return T.ArrayType(_spark_type(t.value_type))
    raise TypeError(f"no Spark type for the Arrow type {t}")


def spark_schema(schema: Any, kept: Sequence[Any] = ()) -> Any:
    """A Spark ``StructType``: the ``kept`` Spark fields, then ``schema``'s (pyarrow) fields."""
    from pyspark.sql import types as T

    return T.StructType(list(kept) + [T.StructField(f.name, _spark_type(f.type), f.nullable) for f in schema])


def _kept(df: Any, keep: Sequence[str]) -> list[Any]:
    by_name = {f.name: f for f in df.schema.fields}
    missing = [k for k in keep if k not in by_name]
    if missing:
        raise KeyError(f"kept columns not in the DataFrame: {missing!r}")
    return [by_name[k] for k in keep]


def _score_partition(
    batches: Iterator[Any], *, instrument: Instrument, kwargs: Mapping[str, Any], n_keep: int, target: Any
) -> Iterator[Any]:
    import pyarrow as pa

    for b in batches:
        out = _arrow.for_engine(instrument.score_arrow(b, **kwargs))
        # Spark matches columns by position; kept columns keep Spark's own Arrow types.
        cols = out.columns
        yield pa.RecordBatch.from_arrays(cols, schema=pa.schema(list(out.schema)[:n_keep] + list(target)))


def score(
    df: Any,
    instrument: Union[Instrument, str],
    items: Union[str, Sequence[str], None] = None,
    *,
    keep: Sequence[str] = (),
    prefix: str = "",
    missing: Optional[int] = None,
    refused: Optional[int] = None,
    group_columns: Optional[Sequence[str]] = None,
    duration_column: Optional[str] = None,
    code_map: Optional[CodeMapLike] = None,
) -> Any:
    """Score a Spark DataFrame's answer columns on the executors (``mapInArrow``).

    Returns a DataFrame of the ``keep`` columns and the score columns with a declared schema.

    Arguments as :meth:`~changkaixin.Instrument.score_arrow` (answer columns default to the
    instrument's item ids; nulls are missing). Row order within each partition is kept.
    """
    inst = instrument if isinstance(instrument, Instrument) else Catalog.builtin().instrument(instrument)
    kept = _kept(df, keep)
    target = _arrow.engine_schema(inst.arrow_schema(prefix))
    schema = spark_schema(target, kept)
    kwargs = {
        "items": items,
        "missing": missing,
        "refused": refused,
        "group_columns": group_columns,
        "duration_column": duration_column,
        "keep": list(keep),
        "prefix": prefix,
        "threads": 1,
        "code_map": code_map,
    }
    fn = functools.partial(_score_partition, instrument=inst, kwargs=kwargs, n_keep=len(keep), target=target)
    return df.mapInArrow(fn, schema)


def _tier_partition(
    batches: Iterator[Any], *, policy: AlertPolicy, at: str, overdue_at: Optional[str], evidence: str, keep: list[str]
) -> Iterator[Any]:
    for b in batches:
        yield _arrow.tiers_arrow(policy, b, at, evidence=evidence, keep=keep, overdue_at=overdue_at)


def tiers(
    df: Any,
    policy: AlertPolicy,
    at: Timestamp,
    *,
    evidence: str = "evidence",
    keep: Sequence[str] = (),
    overdue_at: Optional[Timestamp] = None,
) -> Any:
    """Alert tiers for a DataFrame with one student's evidence JSON per row (column ``evidence``).

    Columns :data:`changkaixin.arrow.TIER_COLUMNS` after ``keep``. Refused evidence has a null
    tier and its error code (never "none").
    """
    kept = _kept(df, keep)
    schema = spark_schema(_arrow.tier_schema(), kept)
    fn = functools.partial(
        _tier_partition,
        policy=policy,
        at=_arrow._timestamp(at),
        overdue_at=None if overdue_at is None else _arrow._timestamp(overdue_at),
        evidence=evidence,
        keep=list(keep),
    )
    return df.select(*keep, evidence).mapInArrow(fn, schema)


def _answers_tier_partition(
    batches: Iterator[Any], *, policy: AlertPolicy, at: str, kwargs: Mapping[str, Any]
) -> Iterator[Any]:
    for b in batches:
        yield _arrow.tiers_from_answers(policy, b, at, **kwargs)


def tiers_from_answers(
    df: Any,
    policy: AlertPolicy,
    at: Timestamp,
    screenings: Sequence[Any],
    *,
    screened_at: Timestamp,
    student: str = "student",
    keep: Sequence[str] = (),
    overdue_at: Optional[Timestamp] = None,
    missing: Optional[int] = None,
    refused: Optional[int] = None,
) -> Any:
    """Alert tiers straight from a DataFrame's answer columns (``mapInArrow``).

    Per partition, :func:`changkaixin.arrow.tiers_from_answers` (the core's columnar alert entry; no
    evidence JSON). Columns :data:`changkaixin.arrow.TIER_COLUMNS` after ``keep``.
    """
    kept = _kept(df, keep)
    schema = spark_schema(_arrow.tier_schema(), kept)
    cols, kwargs = _arrow._answers_call(screenings, screened_at, student, keep, overdue_at, missing, refused)
    fn = functools.partial(_answers_tier_partition, policy=policy, at=_arrow._timestamp(at), kwargs=kwargs)
    return df.select(*cols).mapInArrow(fn, schema)


def _aggregate_partition(batches: Iterator[Any], *, spec: Any, columns: Mapping[str, Any]) -> Iterator[Any]:
    import pyarrow as pa

    agg = _arrow.aggregate_arrow(spec, batches, **columns)
    yield pa.RecordBatch.from_arrays([pa.array([agg.to_json()], pa.string())], names=["aggregate"])


def aggregate(
    df: Any,
    spec: Any,
    *,
    school: str = "school",
    grade: str = "grade",
    sex: str = "sex",
    district: Optional[str] = None,
    tier: Optional[str] = "tier",
    instruments: Optional[Sequence[Mapping[str, str]]] = None,
) -> Any:
    """The exact :class:`~changkaixin.report.Aggregate` of a DataFrame (one row per screened student).

    Each partition is counted on its executor (``mapInArrow``) into a partial aggregate, which
    comes back as JSON and is verified by the core on the driver before the partials are merged:
    the result is the single-process aggregate, and :func:`changkaixin.report.city_report`
    applies the disclosure control once, on the whole city's table.
    """
    from pyspark.sql import types as T

    from .report import Aggregate

    columns = {
        "school": school,
        "grade": grade,
        "sex": sex,
        "district": district,
        "tier": tier if tier in df.columns else None,
        "instruments": instruments,
    }
    fn = functools.partial(_aggregate_partition, spec=spec, columns=columns)
    schema = T.StructType([T.StructField("aggregate", T.StringType(), False)])
    total = Aggregate(spec)
    for row in df.mapInArrow(fn, schema).toLocalIterator():
        total.merge(Aggregate.from_json(row["aggregate"], spec))
    return total
