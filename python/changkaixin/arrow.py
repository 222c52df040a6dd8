"""Arrow in and out, and the per-partition work the Spark and Dask bridges run.

:meth:`changkaixin.Instrument.score_arrow` reads Arrow data through the Arrow C data interface
(any object with ``__arrow_c_array__`` / ``__arrow_c_stream__``: pyarrow, Polars, DuckDB,
pandas with Arrow), scores it with the core's batch engine and returns pyarrow record batches
whose columns are :data:`LAYOUT`. This module adds what an engine needs around it:

* :func:`for_engine`: the same columns in types Spark and pandas can hold (band ids as strings,
  unsigned integers widened, bitsets reinterpreted as signed 64-bit integers: the same bits);
* :func:`tiers_arrow`: alert tiers for a column of per-student evidence (JSON text), and
  :func:`evidence_json`, that evidence built in Arrow from answer columns;
* :func:`aggregate_arrow`: a partial report :class:`~changkaixin.report.Aggregate` of Arrow
  batches. Partial aggregates merge exactly, so an engine counts partitions in parallel and the
  disclosure control (cell suppression) is applied once, on the merged table.

Exactness: every score is ``decimal128(18, d)`` where ``d`` is the scale's decimals
(:meth:`~changkaixin.Instrument.scale_range` and the spec give it; PHQ-9 totals have ``d = 0``,
prorated means and T-scores carry theirs). The core's limits keep every value within
``±10**9`` with at most 6 decimals, so 18 digits always hold it; no value is a float.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Optional

from . import _core
from ._alert import AlertPolicy, _at, _evidence
from ._instrument import Instrument, Timestamp

__all__ = [
    "LAYOUT",
    "TIER_COLUMNS",
    "aggregate_arrow",
    "evidence_json",
    "for_engine",
    "screening_columns",
    "tiers_arrow",
    "tiers_from_answers",
]

#: The columns of :meth:`~changkaixin.Instrument.score_arrow` (``{p}`` is the ``prefix``;
#: kept input columns come first).
LAYOUT: dict[str, str] = {
    "{p}{scale}": "decimal128(18, d): the exact raw value; null where the scale is not scored",
    "{p}{scale}_score": "decimal128(18, d): the standard score after norms (the raw value without norms)",
    "{p}{scale}_band": "dictionary<int8, string>: the band id; null for no band",
    "{p}{scale}_answered": "uint16: items (or component scales) answered",
    "{p}{scale}_prorated": "bool: whether the value was prorated",
    "{p}flag_{id}": "bool: true positive, false determined negative, null INDETERMINATE (never read as false)",
    "{p}flags": "uint64: bitset of the positive flags (bit i = the i-th flag in spec order)",
    "{p}flags_indeterminate": "uint64: bitset of the indeterminate flags",
    "{p}validity": "uint8: 0 valid, 1 incomplete, 2 invalid",
    "{p}screen": "uint8 verdict code: 0 negative, 1 positive, 2 indeterminate (only with a screen-positive rule)",
}

#: The columns of :func:`tiers_arrow` after the kept ones.
TIER_COLUMNS: dict[str, str] = {
    "tier": "string: the proposed tier id (null where refused)",
    "tier_index": "int8: its index in the policy's tiers, 0 = lowest (null where refused)",
    "rule_tier": "string: the tier the rules alone give, before holds",
    "change": "string: raised / lowered / unchanged / held",
    "rules": "list<string>: the fired rules' ids, in policy order",
    "overdue": "int32: obligations past due at overdue_at",
    "error": "string: the error code of refused evidence (null when tiered)",
    "error_message": "string: the refusal's message and path",
}


def _pa() -> Any:
    try:
        import pyarrow as pa
    except ImportError as e:  # pragma: no cover - pyarrow is the Arrow extra
        raise ImportError("changkaixin.arrow needs pyarrow (pip install 'changkaixin[arrow]')") from e
    return pa


def engine_type(t: Any) -> Any:
    """The type a score column takes in an engine (Spark, pandas): see :func:`for_engine`."""
    pa = _pa()
    if pa.types.is_dictionary(t):
        return pa.string()
    if t == pa.uint8():
        return pa.int8()
    if t == pa.uint16():
        return pa.int32()
    if t in (pa.uint32(), pa.uint64()):
        return pa.int64()
    return t


def engine_schema(schema: Any) -> Any:
    """:func:`engine_type` of every field (names, nullability and metadata kept)."""
    pa = _pa()
    return pa.schema([pa.field(f.name, engine_type(f.type), f.nullable) for f in schema], metadata=schema.metadata)


def for_engine(data: Any) -> Any:
    """Score columns in types every engine holds, values unchanged.

    Band ids become plain strings; ``uint8`` codes ``int8``, ``uint16`` ``int32``; the ``uint64``
    bitsets ``int64`` with the same bits (bit 63 reads as the sign: test bits, not signs).
    Takes and returns a ``pyarrow.RecordBatch`` or ``Table``.
    """
    pa = _pa()
    target = engine_schema(data.schema)
    cols = []
    for col, f in zip(data.columns, target):
        if col.type == f.type:
            cols.append(col)
        elif pa.types.is_dictionary(col.type):
            cols.append(col.cast(f.type))
        else:
            # Lossless: the codes fit; the bitsets keep their bits (two's complement).
            cols.append(col.cast(f.type, safe=f.type != pa.int64()))
    if isinstance(data, pa.RecordBatch):
        return pa.RecordBatch.from_arrays(cols, schema=target)
    return pa.Table.from_arrays(cols, schema=target)


def tier_schema(keep_fields: Sequence[Any] = ()) -> Any:
    """The ``pyarrow.Schema`` of :func:`tiers_arrow` (``keep_fields`` first)."""
    pa = _pa()
    return pa.schema(
        list(keep_fields)
        + [
            pa.field("tier", pa.string()),
            pa.field("tier_index", pa.int8()),
            pa.field("rule_tier", pa.string()),
            pa.field("change", pa.string()),
            pa.field("rules", pa.list_(pa.string())),
            pa.field("overdue", pa.int32()),
            pa.field("error", pa.string()),
            pa.field("error_message", pa.string()),
        ]
    )


def tiers_arrow(
    policy: AlertPolicy,
    batch: Any,
    at: Timestamp,
    *,
    evidence: str = "evidence",
    keep: Sequence[str] = (),
    overdue_at: Optional[Timestamp] = None,
) -> Any:
    """Alert tiers for one ``pyarrow.RecordBatch`` of per-student evidence.

    The ``evidence`` column holds one student's evidence JSON per row (the core's
    ``StudentEvidence``); returns a record batch of :data:`TIER_COLUMNS` (after the ``keep``
    columns: keep the student's id), one row per input row, in order.

    Evidence the engine refuses (an unknown instrument, a report that does not verify, ...)
    gets a null tier and its error code: refused is not "no risk". Evidence that is not JSON
    of the evidence shape raises, as :meth:`~changkaixin.AlertPolicy.evaluate_batch` does.
    """
    import json

    pa = _pa()
    clash = sorted(set(keep) & set(TIER_COLUMNS))
    if clash:
        raise ValueError(f"kept columns {clash!r} have the names of tier columns: rename them first")
    texts = batch.column(evidence).to_pylist()
    if any(t is None for t in texts):
        r = next(i for i, t in enumerate(texts) if t is None)
        raise ValueError(f"evidence column {evidence!r} is null at row {r}: every student needs evidence")
    n = len(texts)
    tier: list[Optional[str]] = [None] * n
    tier_index: list[Optional[int]] = [None] * n
    rule_tier: list[Optional[str]] = [None] * n
    change: list[Optional[str]] = [None] * n
    rules: list[Optional[list[str]]] = [None] * n
    overdue = [0] * n
    error: list[Optional[str]] = [None] * n
    message: list[Optional[str]] = [None] * n
    if n:
        # The core's batch JSON, read once (AlertPolicy.evaluate_batch's own, without its wrappers).
        d = json.loads(
            policy._native.evaluate_batch(
                [t if isinstance(t, str) else _evidence(t) for t in texts],
                _at(at),
                None if overdue_at is None else _at(overdue_at),
                "none",
            )
        )
        tiers, rule_ids = d["tiers"], d["rules"]
        for i, row in enumerate(d["rows"]):
            if row is None:
                continue
            tier[i] = tiers[row["tier"]]
            tier_index[i] = row["tier"]
            rule_tier[i] = tiers[row["rule_tier"]]
            change[i] = row["change"]
            rules[i] = [rule_ids[j] for j in row["rules"]]
        for o in d["overdue"]:
            overdue[o["row"]] += 1
        for e in d["errors"]:
            error[e["row"]] = e["error"]["code"]
            message[e["row"]] = f"{e['error']['message']} (at {e['error']['path']})"
    keep_fields = [batch.schema.field(k) for k in keep]
    schema = tier_schema(keep_fields)
    arrays = [batch.column(k) for k in keep] + [
        pa.array(tier, pa.string()),
        pa.array(tier_index, pa.int8()),
        pa.array(rule_tier, pa.string()),
        pa.array(change, pa.string()),
        pa.array(rules, pa.list_(pa.string())),
        pa.array(overdue, pa.int32()),
        pa.array(error, pa.string()),
        pa.array(message, pa.string()),
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def screening_columns(screenings: Sequence[Any]) -> list[tuple[Instrument, list[str]]]:
    """``(instrument, answer columns)`` pairs from :func:`tiers_from_answers`' ``screenings``.

    An :class:`~changkaixin.Instrument` alone stands for its item ids as column names.
    """
    pairs = []
    for s in screenings:
        inst, cols = (s, None) if isinstance(s, Instrument) else s
        if not isinstance(inst, Instrument):
            raise TypeError(f"a screening is an Instrument or (Instrument, columns), not {type(s).__name__}")
        pairs.append((inst, list(cols) if cols is not None else inst.item_ids()))
    return pairs


def _answers_call(
    screenings: Sequence[Any],
    screened_at: Timestamp,
    student: str,
    keep: Sequence[str],
    overdue_at: Optional[Timestamp],
    missing: Optional[int],
    refused: Optional[int],
) -> tuple[list[str], dict[str, Any]]:
    """The columns a partition needs and the keyword arguments of :func:`tiers_from_answers` (Spark, Dask)."""
    pairs = screening_columns(screenings)
    cols = list(dict.fromkeys([*keep, student, *(c for _, cs in pairs for c in cs)]))
    kwargs = {
        "screenings": pairs,
        "screened_at": _at(screened_at),
        "student": student,
        "keep": list(keep),
        "overdue_at": None if overdue_at is None else _at(overdue_at),
        "missing": missing,
        "refused": refused,
    }
    return cols, kwargs


def tiers_from_answers(
    policy: AlertPolicy,
    data: Any,
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
    """Alert tiers straight from answer columns, through the core's columnar alert entry.

    ``data`` is Arrow (a ``pyarrow`` RecordBatch or Table, or anything with the Arrow PyCapsule
    interface), one row per student: a ``student`` id column and, for each screening, the
    instrument's answer columns (a null is missing). ``screenings`` lists the instruments — an
    :class:`~changkaixin.Instrument` (its item ids are the column names) or ``(instrument,
    columns)`` with the answer columns in item order — all completed at ``screened_at``.

    Returns :data:`TIER_COLUMNS` after the ``keep`` columns, one row per input row: exactly what
    :func:`tiers_arrow` gives for each student's :func:`evidence_json` (the engine scores the
    answers itself; the same tiers, rules, changes and overdue counts), without building JSON or
    a Python object per student. Evidence dated after ``at`` beyond the policy's tolerance gets
    a null tier and its error code, as on the row path. Unlike the row path, an answer code no
    option has fails the call (naming its row and item) instead of refusing that student.
    """
    _pa()  # a clear ImportError without pyarrow
    pairs = screening_columns(screenings)
    return _core.tiers_answers_arrow(
        policy._native,
        data,
        [(inst._native, cols) for inst, cols in pairs],
        _at(screened_at),
        _at(at),
        student,
        list(keep),
        None if overdue_at is None else _at(overdue_at),
        missing,
        refused,
    )


def evidence_json(
    batch: Any,
    instrument: Instrument,
    at: Timestamp,
    *,
    student: str = "student",
    items: Optional[Sequence[str]] = None,
) -> Any:
    """Per-student evidence JSON (a ``pyarrow.StringArray``) from answer columns, built in Arrow.

    Each row becomes ``{"student": id, "screenings": [{"at": at, "instrument": {"id", "version",
    "settings"}, "response": {"answers": {"1": code, ...}}}]}``: the engine scores the answers
    itself (a null answer is missing), so the tier rests on no score from outside. ``items`` are
    the answer columns in item order (default: the instrument's item ids).
    """
    import json

    import pyarrow.compute as pc

    pa = _pa()
    cols = list(items) if items is not None else instrument.item_ids()
    ids = batch.column(student).cast(pa.string())
    if pc.any(pc.match_substring_regex(ids, r"[\x00-\x1f]")).as_py():
        ids = pa.array([None if v is None else json.dumps(v)[1:-1] for v in ids.to_pylist()], pa.string())
    else:
        ids = pc.replace_substring(pc.replace_substring(ids, "\\", "\\\\"), '"', '\\"')
    if ids.null_count:
        raise ValueError(f"student column {student!r} has nulls: every evidence needs a student id")
    ref: dict[str, Any] = {"id": instrument.id, "version": instrument.version}
    if instrument.settings:
        ref["settings"] = instrument.settings
    parts: list[Any] = ['{"student":"', ids]
    parts.append(
        '","screenings":[{"at":'
        + json.dumps(_at(at))
        + ',"instrument":'
        + json.dumps(ref, ensure_ascii=False, separators=(",", ":"))
        + ',"response":{"answers":{'
    )
    for j, name in enumerate(cols):
        col = batch.column(name)
        if not pa.types.is_integer(col.type):
            raise TypeError(f"answer column {name!r} must hold integer codes, not {col.type}")
        parts.append(("," if j else "") + f'"{j + 1}":')
        parts.append(pc.fill_null(col.cast(pa.string()), "null"))
    parts.append("}}}]}")
    return pc.binary_join_element_wise(*parts, "")


def aggregate_arrow(
    spec: Any,
    batches: Iterable[Any],
    *,
    school: str = "school",
    grade: str = "grade",
    sex: str = "sex",
    district: Optional[str] = None,
    tier: Optional[str] = "tier",
    instruments: Optional[Sequence[Mapping[str, str]]] = None,
) -> Any:
    """A partial :class:`~changkaixin.report.Aggregate` of ``spec`` counting Arrow record batches.

    One row per screened student; columns as :meth:`~changkaixin.report.Aggregate.add_frame`
    (integer codes or the spec's ids; bitsets as ``uint64`` or their ``int64`` engine form).
    """
    from .report import Aggregate

    pa = _pa()
    agg = Aggregate(spec)
    flag_cols = {c for m in instruments or () for r, c in m.items() if r in ("flags", "flags_indeterminate")}
    for b in batches:
        if b.num_rows == 0:
            continue
        cols = {}
        for name in b.schema.names:
            col = b.column(name)
            if name in flag_cols and col.type == pa.int64():
                col = col.cast(pa.uint64(), safe=False)  # the engine form: same bits
            cols[name] = col
        frame = pa.RecordBatch.from_arrays(list(cols.values()), names=list(cols)).to_pandas()
        agg.add_frame(
            frame,
            school=school,
            grade=grade,
            sex=sex,
            district=district,
            tier=tier if tier is not None and tier in frame.columns else None,
            instruments=instruments,
        )
    return agg


def _batches(data: Any) -> Iterator[Any]:
    """Record batches of a pyarrow Table / RecordBatch / reader."""
    pa = _pa()
    if isinstance(data, pa.RecordBatch):
        yield data
    elif isinstance(data, pa.Table):
        yield from data.to_batches()
    else:
        yield from pa.RecordBatchReader.from_stream(data)


def _timestamp(at: Timestamp) -> str:
    return _at(at)
