"""The city screening report (全市中小学生心理普测测评报告; 常教办〔2021〕90号 二(三)8).

A thin wrapper of the core's ``report`` module and its JSON façade: every count, rate, Wilson
interval, suppression decision and HTML byte comes from the core, the same as in every binding.

* :class:`ReportSpec`: the layout (districts, schools, grades, sexes) and the measures counted.
* :class:`Aggregate`: exact counts per school × grade × sex. :meth:`Aggregate.add` counts numpy
  columns (read in place when they have the core's dtype, else converted with a range check;
  the GIL is released), :meth:`Aggregate.add_frame` a pandas DataFrame (codes or spec ids).
  Partial aggregates :meth:`~Aggregate.merge` (or ``a + b``) in any order to the same result,
  travel as JSON (:meth:`~Aggregate.to_json` / :meth:`~Aggregate.from_json`, verified by the
  core) and pickle (through that JSON), so process pools can ship them.
* :func:`city_report` builds the published :class:`CityReport` (suppressed cells carry no
  count, rate, interval or change); :func:`city_report_json` gives the core's canonical JSON
  bytes; :func:`report_html` the self-contained HTML page; :meth:`CityReport.table_frame` one
  tidy row per cell, suppressed cells as ``NA`` (never 0).

Rates and bounds are exact decimals (:class:`decimal.Decimal`, strings in the JSON).

>>> import numpy as np, changkaixin.report as cr
>>> spec = cr.ReportSpec.from_dict({
...     "layout": {"districts": [{"id": "d1", "zh": "d1", "en": "d1"}],
...                "schools": [{"id": "s1", "zh": "一中", "en": "No. 1", "district": 0}],
...                "grades": [{"id": "7", "zh": "7", "en": "7"}],
...                "sexes": [{"id": "M", "zh": "男", "en": "M"}, {"id": "F", "zh": "女", "en": "F"}]},
...     "measures": [{"id": "tier", "zh": "预警等级", "en": "alert tier", "source": {"kind": "tier"},
...                   "categories": [{"id": "none", "zh": "无", "en": "none"},
...                                  {"id": "watch", "zh": "关注", "en": "watch"}]}]})
>>> agg = cr.Aggregate(spec)
>>> agg.add(school=np.zeros(4, np.uint32), grade=np.zeros(4, np.uint8), sex=np.array([0, 1, 0, 1], np.uint8),
...         tiers=np.array([0, 0, 1, 0], np.uint8))
>>> rep = cr.city_report(spec, agg, round={"id": "r", "zh": "r", "en": "r"})
>>> rep.screened, rep.cell("tier", "grade_sex", "total", "total", "watch")["state"]
(4, 'suppressed')
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from . import _core
from ._batch import BatchResult
from ._enums import VERDICT_NAMES, ErrorCode
from ._errors import ReportError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "TABLES",
    "Aggregate",
    "CityReport",
    "ReportSpec",
    "RoundLike",
    "aggregate_frame",
    "city_report",
    "city_report_json",
    "instrument_columns",
    "report_html",
]

#: The linked tables of every measure, in report order.
TABLES: tuple[str, ...] = ("district_grade", "school_grade", "grade_sex")
#: The columns of :meth:`CityReport.table_frame`, in order.
FRAME_COLUMNS: tuple[str, ...] = (
    "measure",
    "table",
    "unit",
    "column",
    "category",
    "state",
    "screened",
    "count",
    "pct",
    "lo",
    "hi",
    "change",
    "change_pct",
    "previous_pct",
)
#: A round: ``{"id", "zh", "en"}``, or one string used for all three.
RoundLike = Union[Mapping[str, str], str]
#: Column roles of one instrument in :meth:`Aggregate.add` / :meth:`Aggregate.add_frame`.
_ROLES: tuple[str, ...] = ("band", "screen", "flags", "flags_indeterminate")
#: The band code of "no band" (unscored or incomplete): counted in the measure's last category.
NO_BAND = 255


def _text(x: Union[str, bytes, Mapping[str, Any]]) -> str:
    if isinstance(x, bytes):
        return x.decode("utf-8")
    if isinstance(x, str):
        return x
    return json.dumps(x, ensure_ascii=False)


class ReportSpec:
    """What a report counts: its units (``layout``) and its ``measures`` (validated by the core)."""

    __slots__ = ("_dict", "_native")

    def __init__(self, _native: _core.NativeReportSpec) -> None:
        self._native = _native
        self._dict: dict[str, Any] = json.loads(_native.to_json())

    @classmethod
    def from_json(cls, text: Union[str, bytes]) -> ReportSpec:
        """Parse and validate spec JSON (:class:`~changkaixin.ReportError` ``report.parse`` / ``report.shape``)."""
        return cls(_core.NativeReportSpec.from_json(_text(text)))

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> ReportSpec:
        """Validate a spec given as a dict."""
        return cls.from_json(_text(spec))

    def to_json(self) -> str:
        """Canonical JSON."""
        return self._native.to_json()

    def to_dict(self) -> dict[str, Any]:
        """The spec as a fresh dict."""
        return json.loads(self._native.to_json())  # type: ignore[no-any-return]

    def ids(self, unit: str) -> list[str]:
        """The ids of ``"districts"``, ``"schools"``, ``"grades"`` or ``"sexes"``, in code order."""
        return [u["id"] for u in self._dict["layout"][unit]]

    @property
    def measure_ids(self) -> list[str]:
        """The measures' ids, in report order."""
        return [m["id"] for m in self._dict["measures"]]

    @property
    def measures(self) -> list[dict[str, Any]]:
        """The measures (id, names, source, categories)."""
        return [dict(m) for m in self._dict["measures"]]

    @property
    def n_instruments(self) -> int:
        """How many instruments the measures read (one more than the highest index)."""
        idx = [m["source"]["instrument"] for m in self._dict["measures"] if "instrument" in m["source"]]
        return max(idx) + 1 if idx else 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ReportSpec) and self._native.same(other._native)

    def __hash__(self) -> int:
        return hash(self.to_json())

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as canonical JSON (validated again when unpickled)."""
        return (ReportSpec.from_json, (self.to_json(),))

    def __repr__(self) -> str:
        lay = self._dict["layout"]
        return (
            f"ReportSpec({len(lay['districts'])} districts, {len(lay['schools'])} schools, "
            f"{len(lay['grades'])} grades, {len(lay['sexes'])} sexes; measures {self.measure_ids})"
        )


def _column(x: Any, name: str) -> Optional[np.ndarray[Any, Any]]:
    """A 1-D C-contiguous native-order integer array (values are range-checked by the native module)."""
    if x is None:
        return None
    a = np.asarray(x)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer codes (got dtype {a.dtype}); convert explicitly or use add_frame")
    if a.ndim != 1:
        raise TypeError(f"{name} must be 1-D (got shape {a.shape})")
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    return np.ascontiguousarray(a)


def instrument_columns(result: BatchResult, scale: Optional[str] = None) -> dict[str, np.ndarray[Any, Any]]:
    """One instrument's columns for :meth:`Aggregate.add` from a :class:`~changkaixin.BatchResult`.

    ``band``: the band codes of ``scale`` as ``uint8`` with "no band" (``-1`` in the batch) as 255,
    as the core's ``report::band_codes`` reads them (only when ``scale`` is given); ``screen``
    (only when the instrument has a screen rule); ``flags`` and ``flags_indeterminate`` (bit ``i``
    = ``result.flag_ids[i]``, the bit a flag measure names). The columns are the batch's own
    arrays where their dtype is already the report's (no copy).
    """
    out: dict[str, np.ndarray[Any, Any]] = {}
    if scale is not None:
        b = result[f"{scale}.band"]
        band = b.astype(np.uint8)
        band[b < 0] = NO_BAND
        out["band"] = band
    if result.has_screen:
        out["screen"] = result["screen"]
    # A compact result's bitsets are narrower words with the same bits: widened for the report.
    out["flags"] = result["flags"].astype(np.uint64, copy=False)
    out["flags_indeterminate"] = result["flags_indeterminate"].astype(np.uint64, copy=False)
    return out


def _aggregate_from_json(spec_json: str, aggregate_json: str) -> Aggregate:
    """Unpickle: both re-read and verified by the core."""
    return Aggregate.from_json(aggregate_json, ReportSpec.from_json(spec_json))


class Aggregate:
    """Exact counts of one :class:`ReportSpec`: per school × grade × sex, screened and per category."""

    __slots__ = ("_native", "_spec")

    def __init__(self, spec: ReportSpec, _native: Optional[_core.NativeAggregate] = None) -> None:
        self._spec = spec
        self._native = _native if _native is not None else _core.NativeAggregate(spec._native)

    @classmethod
    def from_json(cls, text: Union[str, bytes], spec: ReportSpec) -> Aggregate:
        """Read an aggregate from outside and **verify** it against ``spec`` in the core.

        It must fit the spec, count at most the core's ``MAX_N`` students, and in every group every
        measure's categories must add up to the number screened (``report.shape`` /
        ``report.overflow`` / ``report.parse``); a forged or corrupted aggregate never reaches a report.
        """
        return cls(spec, _core.NativeAggregate.from_json(_text(text), spec._native))

    @property
    def spec(self) -> ReportSpec:
        """The spec it counts for."""
        return self._spec

    @property
    def total(self) -> int:
        """Students counted."""
        return self._native.total()

    def add(
        self,
        *,
        school: Any,
        grade: Any,
        sex: Any,
        district: Any = None,
        tiers: Any = None,
        instruments: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Count one chunk of rows (one row per screened student); on an error nothing is counted.

        Every column is a 1-D integer array (numpy, or anything ``np.asarray`` makes one of) as
        long as ``school``: ``district`` (``uint16``; the school's district when omitted),
        ``school`` (``uint32``), ``grade``, ``sex``, ``tiers`` (``uint8``: the policy tier index,
        0 = none), and per instrument a mapping ``{"band": uint8 (255 = no band), "screen":
        uint8 verdict codes, "flags": uint64, "flags_indeterminate": uint64}`` with the columns
        its measures need (:func:`instrument_columns` takes them from a ``BatchResult``). Arrays of these dtypes
        are read in place; any other integer dtype is converted, and a value that does not fit
        is ``report.invalid_code`` at its ``row``, never truncated. Codes outside the spec are
        refused by the core (``report.invalid_code`` with the row, ``report.shape`` for lengths). ``row`` is
        the position within this call's arrays (add the chunk's first row when you count in chunks).
        Counting runs with the GIL released.
        """
        sch = _column(school, "school")
        if district is None and sch is not None:
            district = _district_of(self._spec, sch.astype(np.int64, copy=False))
        inst = []
        for i, m in enumerate(instruments):
            unknown = set(m) - set(_ROLES)
            if unknown:
                raise TypeError(f"instruments[{i}]: unknown column roles {sorted(unknown)} (expected {list(_ROLES)})")
            inst.append(tuple(_column(m.get(r), f"instruments[{i}].{r}") for r in _ROLES))
        self._native.add(
            _column(district, "district"),
            sch,
            _column(grade, "grade"),
            _column(sex, "sex"),
            _column(tiers, "tier"),
            inst,  # type: ignore[arg-type]
        )

    def add_frame(
        self,
        frame: pd.DataFrame,
        *,
        school: str = "school",
        grade: str = "grade",
        sex: str = "sex",
        district: Optional[str] = "district",
        tier: Optional[str] = "tier",
        instruments: Optional[Sequence[Mapping[str, str]]] = None,
    ) -> None:
        """Count a pandas DataFrame, one row per screened student (see :meth:`add`).

        Column arguments name the frame's columns. ``district`` may be absent from the frame (or
        ``None``): the school's district is used. ``instruments`` maps roles to column names per
        instrument (``[{"band": "phq9_band", "screen": "phq9_screen"}]``); by default, for a spec
        reading one instrument, the columns ``band``, ``screen``, ``flags``,
        ``flags_indeterminate`` that the frame has.

        Unit, tier, band and screen columns hold integer codes **or** the spec's ids (strings or a
        ``Categorical``: ``"d1"``, ``"grade7"``, ``"watch"``, ``"moderate"`` / ``"no_band"``,
        ``"positive"``). A missing value is ``report.invalid_code`` at its row, except in a band
        column, where it is "no band". ``row`` is the position in the frame (``frame.index[row]``).
        """
        spec = self._spec
        lay = spec._dict["layout"]
        sch = _frame_codes(frame, school, [u["id"] for u in lay["schools"]])
        cols: dict[str, Any] = {
            "school": sch,
            "grade": _frame_codes(frame, grade, [u["id"] for u in lay["grades"]]),
            "sex": _frame_codes(frame, sex, [u["id"] for u in lay["sexes"]]),
        }
        if district is not None and district in frame.columns:
            cols["district"] = _frame_codes(frame, district, [u["id"] for u in lay["districts"]])
        tier_measure = next((m for m in spec._dict["measures"] if m["source"]["kind"] == "tier"), None)
        if tier is not None and tier in frame.columns:
            ids = [c["id"] for c in tier_measure["categories"]] if tier_measure else None
            cols["tiers"] = _frame_codes(frame, tier, ids)
        if instruments is None:
            k = spec.n_instruments
            if k > 1:
                raise TypeError(f"the spec reads {k} instruments: name their columns with instruments=[...]")
            instruments = [{r: r for r in _ROLES if r in frame.columns}] if k == 1 else []
        inst = []
        for i, m in enumerate(instruments):
            unknown = set(m) - set(_ROLES)
            if unknown:
                raise TypeError(f"instruments[{i}]: unknown column roles {sorted(unknown)} (expected {list(_ROLES)})")
            band_measure = next(
                (x for x in spec._dict["measures"] if x["source"]["kind"] == "band" and x["source"]["instrument"] == i),
                None,
            )
            d: dict[str, Any] = {}
            for role, col in m.items():
                if role == "band":
                    ids = [c["id"] for c in band_measure["categories"]] if band_measure else None
                    d[role] = _frame_codes(frame, col, ids, missing=NO_BAND, last_is_missing=True)
                elif role == "screen":
                    d[role] = _frame_codes(frame, col, list(VERDICT_NAMES))
                else:
                    d[role] = _frame_codes(frame, col, None)
            inst.append(d)
        self.add(instruments=inst, **cols)

    def merge(self, other: Aggregate) -> None:
        """Add another partial aggregate of the same spec (checked; ``report.overflow`` never wraps)."""
        if not isinstance(other, Aggregate):
            raise TypeError(f"merge takes an Aggregate, not {type(other).__name__}")
        self._native.merge(other._native)

    def copy(self) -> Aggregate:
        """An independent copy."""
        return Aggregate(self._spec, self._native.copy())

    def __add__(self, other: Aggregate) -> Aggregate:
        """A new aggregate: both merged (``sum(parts, Aggregate(spec))`` / ``functools.reduce`` work)."""
        out = self.copy()
        out.merge(other)
        return out

    def to_json(self) -> str:
        """Canonical JSON (``changkaixin.report-aggregate/1``; what :meth:`from_json` reads back)."""
        return self._native.to_json()

    def to_dict(self) -> dict[str, Any]:
        """The aggregate as a dict (``format``, ``dims``, ``categories``, ``screened``, ``counts``)."""
        return json.loads(self._native.to_json())  # type: ignore[no-any-return]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Aggregate) and self._native.same(other._native)

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle through JSON; unpickling verifies the aggregate against its spec in the core."""
        return (_aggregate_from_json, (self._spec.to_json(), self.to_json()))

    def __repr__(self) -> str:
        return f"Aggregate({self.total} students; {self._spec!r})"


def _district_of(spec: ReportSpec, school: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Each row's school's district (rows with a school code outside the spec get 0: the core refuses the school)."""
    table = np.array([s["district"] for s in spec._dict["layout"]["schools"]], dtype=np.uint16)
    ok = (school >= 0) & (school < len(table))
    out = np.zeros(len(school), dtype=np.uint16)
    out[ok] = table[school[ok]]
    return out


def _invalid(column: str, row: int, message: str) -> ReportError:
    return ReportError(message, ErrorCode.REPORT_INVALID_CODE, column, None, row)


def _frame_codes(
    frame: pd.DataFrame,
    column: str,
    ids: Optional[list[str]],
    *,
    missing: Optional[int] = None,
    last_is_missing: bool = False,
) -> np.ndarray[Any, Any]:
    """A frame column as integer codes: integers as they are, ids through ``ids``, missing → ``missing`` or an error."""
    import pandas as pd

    if column not in frame.columns:
        raise KeyError(f"the frame has no column {column!r}")
    s = frame[column]
    dtype = s.dtype
    if (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
    ):
        if ids is None:
            raise TypeError(f"column {column!r} holds labels, but the spec names no ids for it: give integer codes")
        lookup: dict[Any, int] = {v: i for i, v in enumerate(ids)}
        if last_is_missing and ids:
            lookup[ids[-1]] = NO_BAND
        mapped = s.map(lookup)
        bad = mapped.isna().to_numpy()
        if bad.any():
            na = s.isna().to_numpy()
            unknown = bad & ~na
            if unknown.any():
                r = int(np.flatnonzero(unknown)[0])
                raise _invalid(column, r, f"{column} {str(s.iloc[r])!r} is not one of the spec's ids {ids[:8]}")
            if missing is None:
                r = int(np.flatnonzero(na)[0])
                raise _invalid(column, r, f"{column} is missing")
            mapped = mapped.fillna(missing)
        return mapped.to_numpy(dtype=np.int64)
    if pd.api.types.is_bool_dtype(dtype):
        raise TypeError(f"column {column!r} is boolean: give integer codes")
    if pd.api.types.is_integer_dtype(dtype) and isinstance(dtype, np.dtype):
        return s.to_numpy()
    if pd.api.types.is_numeric_dtype(dtype):
        na = s.isna().to_numpy()
        if na.any():
            if missing is None:
                raise _invalid(column, int(np.flatnonzero(na)[0]), f"{column} is missing")
            s = s.fillna(missing)
        if pd.api.types.is_integer_dtype(s.dtype):  # nullable integers without NA
            return s.to_numpy(dtype=np.int64)
        v = s.to_numpy(dtype=np.float64)
        frac = v != np.floor(v)
        if frac.any():
            r = int(np.flatnonzero(frac)[0])
            raise _invalid(column, r, f"{column} value {v[r]!r} is not an integer code")
        big = np.abs(v) >= 2.0**63
        if big.any():
            r = int(np.flatnonzero(big)[0])
            raise _invalid(column, r, f"{column} value {v[r]!r} does not fit any code")
        return v.astype(np.int64)
    raise TypeError(f"column {column!r} has dtype {dtype}: give integer codes or the spec's ids")


def aggregate_frame(spec: ReportSpec, frame: pd.DataFrame, **columns: Any) -> Aggregate:
    """A new aggregate of ``spec`` counting ``frame`` (keyword arguments as :meth:`Aggregate.add_frame`)."""
    agg = Aggregate(spec)
    agg.add_frame(frame, **columns)
    return agg


def _round(r: RoundLike) -> dict[str, str]:
    if isinstance(r, str):
        return {"id": r, "zh": r, "en": r}
    return dict(r)


def _request(
    round: RoundLike,
    settings: Optional[Mapping[str, Any]],
    enrolment: Any,
    previous: Any,
) -> str:
    """The core's ``ReportRequest`` JSON (the previous aggregate embedded as its JSON, re-verified by the core)."""
    parts = ['"round":' + json.dumps(_round(round), ensure_ascii=False)]
    if settings is not None:
        parts.append('"settings":' + json.dumps(dict(settings), ensure_ascii=False))
    if enrolment is not None:
        e = np.asarray(enrolment)
        if e.dtype.kind not in "iu" or e.ndim != 1:
            raise TypeError(f"enrolment must be a 1-D sequence of integers (got dtype {e.dtype}, shape {e.shape})")
        parts.append('"enrolment":' + json.dumps(e.tolist()))
    if previous is not None:
        if isinstance(previous, Mapping):
            p_round, p_agg = previous["round"], previous["aggregate"]
        else:
            p_round, p_agg = previous
        if isinstance(p_agg, Aggregate):
            agg_json = p_agg.to_json()
        else:
            agg_json = _text(p_agg)
        parts.append(
            '"previous":{"round":' + json.dumps(_round(p_round), ensure_ascii=False) + ',"aggregate":' + agg_json + "}"
        )
    return "{" + ",".join(parts) + "}"


def city_report_json(
    spec: ReportSpec,
    aggregate: Aggregate,
    round: RoundLike,
    settings: Optional[Mapping[str, Any]] = None,
    enrolment: Any = None,
    previous: Any = None,
) -> str:
    """The published report as the core's canonical JSON (the same bytes in every binding).

    ``round`` is ``{"id", "zh", "en"}`` (or one string); ``settings`` the disclosure-control
    settings (``threshold``, ``small_group``, ``protection_width``, ``dominance``, ``near_total``;
    the core's defaults when omitted); ``enrolment`` students enrolled per school × grade × sex
    (row-major, integers); ``previous`` the previous round as ``(round, aggregate)`` or
    ``{"round", "aggregate"}`` (an :class:`Aggregate` or its JSON, verified by the core).
    The aggregate must have been counted for ``spec`` (``report.shape`` otherwise).
    """
    if not isinstance(aggregate, Aggregate) or not isinstance(spec, ReportSpec):
        raise TypeError("city_report takes a ReportSpec and an Aggregate")
    return _core.report_city_json(spec._native, aggregate._native, _request(round, settings, enrolment, previous))


def city_report(
    spec: ReportSpec,
    aggregate: Aggregate,
    round: RoundLike,
    settings: Optional[Mapping[str, Any]] = None,
    enrolment: Any = None,
    previous: Any = None,
) -> CityReport:
    """The published :class:`CityReport` (arguments as :func:`city_report_json`)."""
    return CityReport(city_report_json(spec, aggregate, round, settings, enrolment, previous))


def _dec(v: Any) -> Any:
    return Decimal(v) if v is not None else None


class CityReport(Mapping[str, Any]):
    """A published city report: a read-only mapping of the core's JSON (``rep["measures"]`` …).

    :meth:`to_json` is the core's canonical text, byte for byte. Suppressed cells have
    ``state == "suppressed"`` and no ``count``, ``pct``, ``lo``, ``hi`` or change.
    """

    __slots__ = ("_dict", "_json")

    def __init__(self, text: str) -> None:
        self._json = text
        self._dict: dict[str, Any] = json.loads(text)

    def __getitem__(self, key: str) -> Any:
        return self._dict[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def to_json(self) -> str:
        """The core's canonical JSON."""
        return self._json

    def to_dict(self) -> dict[str, Any]:
        """A fresh dict of the report."""
        return json.loads(self._json)  # type: ignore[no-any-return]

    def to_html(self) -> str:
        """The report as one self-contained HTML page (built by the core)."""
        return _core.report_html_from_json(self._json)

    @property
    def screened(self) -> int:
        """Students screened."""
        return int(self._dict["screened"])

    @property
    def measure_ids(self) -> list[str]:
        """The measures, in report order."""
        return [m["id"] for m in self._dict["measures"]]

    def measure(self, measure_id: str) -> dict[str, Any]:
        """One measure's entry (categories and its three tables)."""
        for m in self._dict["measures"]:
            if m["id"] == measure_id:
                return m  # type: ignore[no-any-return]
        raise KeyError(f"no measure {measure_id!r} in the report (has {self.measure_ids})")

    def cell(self, measure: str, table: str, row: str, col: str, category: str) -> dict[str, Any]:
        """The cell of ``category`` in group (``row``, ``col``) of a measure's table (heads by id, e.g. ``"total"``)."""
        m = self.measure(measure)
        t = m[table]
        r = _index([h["id"] for h in t["rows"]], row, "row")
        c = _index([h["id"] for h in t["cols"]], col, "column")
        cats = [k["id"] for k in m["categories"]]
        k = _index(cats, category, "category")
        return t["cells"][(r * len(t["cols"]) + c) * len(cats) + k]  # type: ignore[no-any-return]

    def table_frame(self, measure: Optional[str] = None, table: Optional[str] = None) -> pd.DataFrame:
        """One tidy row per published, suppressed or empty cell.

        Columns: ``measure``, ``table``, ``unit`` (row head id), ``column`` (column head id),
        ``category``, ``state`` (categorical ``published`` / ``suppressed`` / ``empty``),
        ``screened`` (group size, published), ``count`` (nullable ``Int64``), ``pct``, ``lo``,
        ``hi`` (exact :class:`~decimal.Decimal`, percent), ``change`` (``Int64``),
        ``change_pct``, ``previous_pct``. Every suppressed cell is ``NA`` in every value column —
        never 0. Optionally only one measure and/or one table.
        """
        import pandas as pd

        cols: dict[str, list[Any]] = {k: [] for k in FRAME_COLUMNS}
        for m in self._dict["measures"]:
            if measure is not None and m["id"] != measure:
                continue
            cats = [k["id"] for k in m["categories"]]
            for name in TABLES:
                if table is not None and name != table:
                    continue
                t = m[name]
                heads_c = [h["id"] for h in t["cols"]]
                cells = iter(t["cells"])
                for ri, rh in enumerate(t["rows"]):
                    for ci, ch in enumerate(heads_c):
                        n = t["screened"][ri * len(heads_c) + ci]
                        for cat in cats:
                            cell = next(cells)
                            cols["measure"].append(m["id"])
                            cols["table"].append(name)
                            cols["unit"].append(rh["id"])
                            cols["column"].append(ch)
                            cols["category"].append(cat)
                            cols["state"].append(cell["state"])
                            cols["screened"].append(n)
                            cols["count"].append(cell.get("count"))
                            cols["change"].append(cell.get("change"))
                            for k in ("pct", "lo", "hi", "change_pct", "previous_pct"):
                                cols[k].append(_dec(cell.get(k)))
        out = pd.DataFrame(
            {
                "measure": cols["measure"],
                "table": cols["table"],
                "unit": cols["unit"],
                "column": cols["column"],
                "category": cols["category"],
                "state": pd.Categorical(cols["state"], categories=["published", "suppressed", "empty"]),
                "screened": np.asarray(cols["screened"], dtype=np.int64),
                "count": pd.array(cols["count"], dtype="Int64"),
                "change": pd.array(cols["change"], dtype="Int64"),
            }
        )
        for k in ("pct", "lo", "hi", "change_pct", "previous_pct"):
            out[k] = pd.Series([pd.NA if v is None else v for v in cols[k]], dtype=object)
        return out[list(FRAME_COLUMNS)]

    def __repr__(self) -> str:
        r = self._dict["round"]
        return f"CityReport({r['id']!r}: {self.screened} screened, measures {self.measure_ids})"


def _index(ids: list[str], want: str, what: str) -> int:
    try:
        return ids.index(want)
    except ValueError:
        raise KeyError(f"no {what} {want!r} (has {ids[:8]}{' …' if len(ids) > 8 else ''})") from None


def report_html(report: Union[CityReport, str, bytes, Mapping[str, Any]]) -> str:
    """A published report (a :class:`CityReport`, its JSON or dict) as its self-contained HTML page.

    The core re-reads the report (``report.parse`` when it is not one) and escapes every text.
    """
    if isinstance(report, CityReport):
        return report.to_html()
    return _core.report_html_from_json(_text(report))
