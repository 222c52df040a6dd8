"""The pandas path: :func:`score_frame` (pandas is imported lazily; the package works without it)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from . import _core
from ._batch import UNSCORED, VALIDITY_NAMES
from ._enums import VERDICT_NAMES
from ._instrument import Catalog, CodeMapLike, Instrument, _combine_groups, _factorize, _is_arrow

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["score_frame"]


def _codes(frame: pd.DataFrame, missing: int) -> np.ndarray[Any, Any]:
    """DataFrame columns → one 2-D int array; NaN / NA become the missing sentinel.

    Integer columns of numpy dtypes are handed over as they are (one dtype gives an F-order
    array, which the native module reads without a numpy copy). Anything else goes through
    float64 and the native conversion: one pass in Rust, GIL released, that checks every cell
    is an integer code (or NaN) and picks the narrowest integer dtype (int8 for most exports).
    """
    if all(isinstance(dt, np.dtype) and dt.kind in "iu" for dt in frame.dtypes):
        return frame.to_numpy()
    values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    if not (values.flags.c_contiguous or values.flags.f_contiguous):
        values = np.ascontiguousarray(values)
    out, bad = _core.codes_from_float(values, int(missing))
    if bad is not None or out is None:
        r, c = bad if bad is not None else (0, 0)
        raise ValueError(
            f"column {frame.columns[c]!r} row {frame.index[r]!r} holds {float(values[r, c])!r}, not an integer code"
        )
    return out


def _nullable_int(m: np.ndarray[Any, Any]) -> Any:
    """An ``int64`` mantissa column as a pandas ``Int64`` array (NA where unscored), without a copy of the values."""
    import pandas as pd

    return pd.arrays.IntegerArray(m, m == UNSCORED)


def _frame_key(series: pd.Series) -> tuple[list[str], np.ndarray[Any, Any]]:
    """One group key column → (its distinct values as str, in str order; rank of each row).

    The same numbering as ``np.unique(series.astype(str).to_numpy(), return_inverse=True)``,
    without building a million Python strings: integer columns are factorised on the integers
    and only the distinct values are turned into strings; others become a numpy str array.
    """
    raw = series.to_numpy()
    if isinstance(raw.dtype, np.dtype) and raw.dtype.kind in "iu":
        u, inv = _factorize(raw)
        names = [str(x) for x in u.tolist()]
        order = sorted(range(len(names)), key=names.__getitem__)
        rank = np.empty(len(names), dtype=np.int64)
        rank[order] = np.arange(len(names))
        return [names[i] for i in order], rank[inv.reshape(-1)]
    col = series.astype(str).to_numpy(dtype=str)
    u, inv = _factorize(col)
    return [str(x) for x in u.tolist()], inv


def _frame_groups(df: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray[Any, Any], list[dict[str, str]]]:
    """``group_columns`` → ``(row group index, group dicts)`` for :meth:`Instrument.score_batch`."""
    if not keys:
        return np.zeros(len(df), dtype=np.uint32), [{}]
    return _combine_groups(keys, [_frame_key(df[k]) for k in keys], len(df))


def score_frame(
    df: pd.DataFrame,
    instrument: Union[Instrument, str],
    columns: Optional[Sequence[Any]] = None,
    *,
    missing: int = -1,
    refused: Optional[int] = None,
    group_columns: Optional[Sequence[str]] = None,
    duration_column: Optional[str] = None,
    code_map: Optional[CodeMapLike] = None,
    threads: Optional[int] = None,
) -> pd.DataFrame:
    """Score every row of a pandas DataFrame; returns a DataFrame with the same index.

    ``columns`` lists the answer columns in item order (default: the instrument's item
    ids). Integer columns are used as they are; float or nullable columns may hold
    NaN/NA for missing answers. ``group_columns`` name the norm-group keys (e.g.
    ``["grade", "sex"]``), ``duration_column`` the completion time in seconds.
    ``code_map`` declares the export's own answer coding (see
    :meth:`~changkaixin.Instrument.code_map`), e.g. ``{"all": {1: "strongly_disagree", ...}}``
    for an RSES export numbered 1..4 "as ticked"; ``threads`` as in
    :meth:`~changkaixin.Instrument.score_batch`.

    Output columns per scale ``s``: ``s`` (nullable ``Int64`` for integer scales, exact
    :class:`~decimal.Decimal` objects otherwise), ``s_score`` (the same for the standard
    score), ``s_band`` (ordered categorical of band ids), ``s_answered``, ``s_prorated``;
    then ``flag_<id>`` (bool) per flag, ``validity`` (categorical) and ``screen_positive``
    (nullable boolean; NA when the instrument defines no such rule).

    Arrow data instead of a pandas frame (a ``pyarrow.Table``, a Polars frame, anything with
    ``__arrow_c_stream__``) is scored by :meth:`~changkaixin.Instrument.score_arrow` and the
    result is Arrow (``missing`` still names a code that also means missing; nulls always do).
    """
    inst = instrument if isinstance(instrument, Instrument) else Catalog.builtin().instrument(instrument)
    if _is_arrow(df):
        return inst.score_arrow(  # type: ignore[no-any-return]
            df,
            None if columns is None else [str(c) for c in columns],
            missing=missing,
            refused=refused,
            group_columns=group_columns,
            duration_column=duration_column,
            code_map=code_map,
            threads=threads,
        )
    import pandas as pd

    cols = list(columns) if columns is not None else inst.item_ids()
    absent = [c for c in cols if c not in df.columns]
    if absent:
        raise KeyError(f"answer columns not in the frame: {absent!r}")
    codes = _codes(df[cols], missing)
    groups = None if not group_columns else _frame_groups(df, list(group_columns))
    durations = None
    if duration_column is not None:
        durations = df[duration_column].to_numpy(dtype=np.float64, na_value=np.nan)
        durations = np.where(np.isnan(durations), -1, durations).astype(np.int64)
    res = inst.score_batch(
        codes,
        missing=missing,
        refused=refused,
        groups=groups,
        durations=durations,
        threads=threads,
        code_map=code_map,
    )

    out: dict[str, Any] = {}
    for s in res.scale_ids:
        for name, col in ((s, f"{s}.raw"), (f"{s}_score", f"{s}.score")):
            m = res[col]
            dec = res.decimals[col]
            if dec == 0:
                out[name] = _nullable_int(m)
            else:
                out[name] = np.array(
                    [None if v == UNSCORED else Decimal(v).scaleb(-dec) for v in m.tolist()], dtype=object
                )
        cats = res.band_ids[s]
        out[f"{s}_band"] = (
            pd.Categorical.from_codes(res[f"{s}.band"], categories=pd.Index(cats), ordered=True)
            if cats
            else pd.Categorical([None] * res.n_rows)
        )
        out[f"{s}_answered"] = res[f"{s}.answered"]
        out[f"{s}_prorated"] = res[f"{s}.prorated"]
    verdicts = pd.Index(list(VERDICT_NAMES))
    for f in res.flag_ids:
        out[f"flag_{f}"] = pd.Categorical.from_codes(res[f"flag.{f}"], categories=verdicts)
    if res.has_screen:
        out["screen"] = pd.Categorical.from_codes(res["screen"], categories=verdicts)
    out["validity"] = pd.Categorical.from_codes(res["validity"], categories=pd.Index(list(VALIDITY_NAMES)))
    return pd.DataFrame(out, index=df.index)
