"""Scoring, alert tiers and the city report on Dask, through ``map_partitions`` with ``meta``.

Each pandas partition goes to the core as Arrow (``pyarrow.Table.from_pandas``), is scored by
:meth:`~changkaixin.Instrument.score_arrow` and comes back as a pandas frame of Arrow-backed
columns (``pd.ArrowDtype``: exact ``decimal128(18, d)`` scores, never floats; flags as
nullable booleans, null = indeterminate). The instrument, policy and report spec travel to the
workers pickled as their JSON. The result's index is the partition's index.

>>> scored = changkaixin.dask.score(ddf, "phq9", keep=["student"])  # doctest: +SKIP
>>> agg = changkaixin.dask.aggregate(scored, spec, instruments=[{"band": "total_band"}])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

from . import arrow as _arrow
from ._alert import AlertPolicy
from ._instrument import Catalog, CodeMapLike, Instrument, Timestamp

__all__ = ["aggregate", "meta", "score", "tiers", "tiers_from_answers"]


def meta(schema: Any, index: Any = None) -> Any:
    """An empty pandas frame of ``pd.ArrowDtype`` columns for a pyarrow schema (Dask's ``meta``)."""
    import pandas as pd

    return pd.DataFrame(
        {f.name: pd.Series([], dtype=pd.ArrowDtype(f.type)) for f in schema},
        index=index if index is not None else pd.RangeIndex(0),
    )


def _to_pandas(table: Any, index: Any) -> Any:
    import pandas as pd

    out = table.to_pandas(types_mapper=pd.ArrowDtype)
    out.index = index
    return out


def _score_partition(part: Any, instrument: Instrument, kwargs: Mapping[str, Any], columns: list[str]) -> Any:
    import pyarrow as pa

    table = pa.Table.from_pandas(part[columns], preserve_index=False)
    out = _arrow.for_engine(instrument.score_arrow(table, **kwargs))
    return _to_pandas(out, part.index)


def _kept_fields(ddf: Any, keep: Sequence[str]) -> list[Any]:
    import pyarrow as pa

    absent = [k for k in keep if k not in ddf.columns]
    if absent:
        raise KeyError(f"kept columns not in the frame: {absent!r}")
    sample = ddf._meta[list(keep)]
    return list(pa.Schema.from_pandas(sample, preserve_index=False)) if keep else []


def score(
    ddf: Any,
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
    """Score a Dask DataFrame's answer columns partition by partition.

    Arguments as :meth:`~changkaixin.Instrument.score_arrow` (nulls and NaN are missing).
    """
    import pyarrow as pa

    inst = instrument if isinstance(instrument, Instrument) else Catalog.builtin().instrument(instrument)
    cols = inst.item_ids() if items is None else ([items] if isinstance(items, str) else list(items))
    needed = list(
        dict.fromkeys(list(keep) + cols + list(group_columns or ()) + ([duration_column] if duration_column else []))
    )
    target = _arrow.engine_schema(inst.arrow_schema(prefix))
    schema = pa.schema(_kept_fields(ddf, keep) + list(target))
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
    return ddf.map_partitions(_score_partition, inst, kwargs, needed, meta=meta(schema, ddf._meta.index))


def _tier_partition(
    part: Any, policy: AlertPolicy, at: str, overdue_at: Optional[str], evidence: str, keep: list[str]
) -> Any:
    import pyarrow as pa

    batch = pa.RecordBatch.from_pandas(part[list(keep) + [evidence]], preserve_index=False)
    out = _arrow.tiers_arrow(policy, batch, at, evidence=evidence, keep=keep, overdue_at=overdue_at)
    return _to_pandas(pa.Table.from_batches([out]), part.index)


def tiers(
    ddf: Any,
    policy: AlertPolicy,
    at: Timestamp,
    *,
    evidence: str = "evidence",
    keep: Sequence[str] = (),
    overdue_at: Optional[Timestamp] = None,
) -> Any:
    """Alert tiers for a frame with one student's evidence JSON per row.

    Columns :data:`changkaixin.arrow.TIER_COLUMNS` after ``keep`` (refused evidence: null tier, error code).
    """
    import pyarrow as pa

    schema = pa.schema(_kept_fields(ddf, keep) + list(_arrow.tier_schema()))
    return ddf.map_partitions(
        _tier_partition,
        policy,
        _arrow._timestamp(at),
        None if overdue_at is None else _arrow._timestamp(overdue_at),
        evidence,
        list(keep),
        meta=meta(schema, ddf._meta.index),
    )


def _answers_tier_partition(part: Any, policy: AlertPolicy, at: str, cols: list[str], kwargs: Mapping[str, Any]) -> Any:
    import pyarrow as pa

    batch = pa.RecordBatch.from_pandas(part[cols], preserve_index=False)
    out = _arrow.tiers_from_answers(policy, batch, at, **kwargs)
    return _to_pandas(pa.Table.from_batches([out]), part.index)


def tiers_from_answers(
    ddf: Any,
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
    """Alert tiers straight from a frame's answer columns.

    Per partition, :func:`changkaixin.arrow.tiers_from_answers` (the core's columnar alert entry; no
    evidence JSON). Columns :data:`changkaixin.arrow.TIER_COLUMNS` after ``keep``.
    """
    import pyarrow as pa

    schema = pa.schema(_kept_fields(ddf, keep) + list(_arrow.tier_schema()))
    cols, kwargs = _arrow._answers_call(screenings, screened_at, student, keep, overdue_at, missing, refused)
    return ddf.map_partitions(
        _answers_tier_partition, policy, _arrow._timestamp(at), cols, kwargs, meta=meta(schema, ddf._meta.index)
    )


def _aggregate_partition(part: Any, spec: Any, columns: Mapping[str, Any]) -> Any:
    import pandas as pd
    import pyarrow as pa

    table = pa.Table.from_pandas(part, preserve_index=False)
    agg = _arrow.aggregate_arrow(spec, table.to_batches(), **columns)
    return pd.DataFrame({"aggregate": [agg.to_json()]})


def aggregate(
    ddf: Any,
    spec: Any,
    *,
    school: str = "school",
    grade: str = "grade",
    sex: str = "sex",
    district: Optional[str] = None,
    tier: Optional[str] = "tier",
    instruments: Optional[Sequence[Mapping[str, str]]] = None,
) -> Any:
    """The exact :class:`~changkaixin.report.Aggregate` of a Dask frame.

    One partial aggregate per partition (on the workers), verified by the core and merged on the
    client; suppression is applied once, by :func:`changkaixin.report.city_report`, on the merged table.
    """
    import pandas as pd

    from .report import Aggregate

    columns = {
        "school": school,
        "grade": grade,
        "sex": sex,
        "district": district,
        "tier": tier if tier in ddf.columns else None,
        "instruments": instruments,
    }
    parts = ddf.map_partitions(
        _aggregate_partition, spec, columns, meta=pd.DataFrame({"aggregate": pd.Series([], dtype=object)})
    ).compute()
    total = Aggregate(spec)
    for text in parts["aggregate"]:
        total.merge(Aggregate.from_json(text, spec))
    return total
