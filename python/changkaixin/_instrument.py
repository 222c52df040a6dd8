"""Instruments and the catalog: load, configure and score."""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Optional, Union

import numpy as np
import numpy.typing as npt

from . import _core
from ._batch import BatchResult
from ._report import ScoreReport

__all__ = ["Answers", "Catalog", "CodeMap", "CodeMapLike", "Groups", "Instrument", "ReportLike", "Timestamp", "catalog"]

#: An answer set: ``{item number or item id: code | option id | None | "refused"}``, or a list in item order.
Answers = Union[Mapping[Union[int, str], Union[int, str, None]], Sequence[Union[int, str, None]]]
#: A timestamp: a timezone-aware :class:`datetime.datetime` or an RFC 3339 string.
Timestamp = Union[_dt.datetime, str]
#: Batch norm groups: ``{key: column}`` (e.g. ``{"grade": grades, "sex": sexes}``), or
#: ``(row_group_index_array, [group_dict, ...])``.
Groups = Union[Mapping[str, Any], tuple[Any, Sequence[Mapping[str, str]]]]


def _time(t: Optional[Timestamp]) -> Optional[str]:
    if t is None or isinstance(t, str):
        return t
    if isinstance(t, _dt.datetime):
        # Naive datetimes produce no offset; the core then reports score.invalid_time.
        return t.isoformat()
    raise TypeError(f"expected a datetime or an RFC 3339 string, not {type(t).__name__}")


#: A score report from outside: a :class:`ScoreReport`, a dict in the core's report shape, or its JSON text.
ReportLike = Union[ScoreReport, Mapping[str, Any], str, bytes]


def _report_text(report: ReportLike) -> str:
    if isinstance(report, ScoreReport):
        return report.to_json()
    if isinstance(report, bytes):
        return report.decode("utf-8")
    if isinstance(report, str):
        return report
    return json.dumps(report, ensure_ascii=False)


class CodeMap:
    """A declared recode of an export's answer codes, checked by the core against one instrument.

    Build it with :meth:`Instrument.code_map` from a spec ``{"all": {source: option}, "items":
    {item: {source: option}}}``: a source code maps to an option **code** or, clearer, an option
    **id** (see :meth:`Instrument.describe`); ``items`` (keyed by item number or id) replaces
    ``all`` for that item. For every item it covers the map must be a bijection onto the item's
    options, else :class:`~changkaixin.ScoreError` (``score.code_map_invalid`` /
    ``score.code_map_not_bijective``). Reusable and immutable; answers given by option id are
    never recoded.
    """

    __slots__ = ("_native", "spec")

    spec: dict[str, Any]

    def __init__(self, native: _core.NativeCodeMap, spec: Mapping[str, Any]) -> None:
        """Wrap a checked native map (use :meth:`Instrument.code_map`)."""
        self._native = native
        self.spec = json.loads(json.dumps(spec))

    @property
    def instrument(self) -> str:
        """The id of the instrument the map was checked against."""
        return self._native.instrument

    def __repr__(self) -> str:
        """``CodeMap('rses', {...})``."""
        return f"CodeMap({self.instrument!r}, {self.spec!r})"


#: A recode: a checked :class:`CodeMap`, or its spec as a dict (checked on use).
CodeMapLike = Union[CodeMap, Mapping[str, Any]]


def _settings(settings: Optional[Mapping[str, str]]) -> Optional[dict[str, str]]:
    return None if settings is None else {str(k): str(v) for k, v in settings.items()}


class Instrument:
    """A linted, compiled screening instrument, ready to score (immutable, thread-safe, cheap to share).

    Get one from the catalog (``changkaixin.catalog().instrument("phq9")``) or load a
    spec with :meth:`from_json`. After loading succeeds, scoring cannot meet a dangling
    reference: every rule was checked when the spec was linted.
    """

    __slots__ = ("_native",)

    def __init__(self, native: _core.NativeInstrument) -> None:
        """Wrap a native handle (use :meth:`from_json` or :meth:`Catalog.instrument` instead)."""
        self._native = native

    @classmethod
    def from_json(cls, text: Union[str, bytes], settings: Optional[Mapping[str, str]] = None) -> Instrument:
        """Parse, lint and compile a spec (``changkaixin.instrument/1`` JSON), choosing setting options by id.

        Raises :class:`~changkaixin.SpecError` with the failing rule's code and path.
        """
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return cls(_core.NativeInstrument.from_json(text, _settings(settings)))

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any], settings: Optional[Mapping[str, str]] = None) -> Instrument:
        """Like :meth:`from_json` for a spec already parsed into dicts (decimals as strings, never floats)."""
        return cls.from_json(json.dumps(spec, ensure_ascii=False), settings)

    @classmethod
    def builtin(cls, id: str, settings: Optional[Mapping[str, str]] = None) -> Instrument:
        """A built-in instrument by id (``"phq9"``, ``"gad7"``, ...); same as ``catalog().instrument(id)``."""
        return Catalog.builtin().instrument(id, settings)

    @property
    def id(self) -> str:
        """Instrument id, e.g. ``"phq9"``."""
        return self._native.id

    @property
    def version(self) -> str:
        """Spec version, reported with every score."""
        return self._native.version

    @property
    def settings(self) -> dict[str, str]:
        """The setting options in effect (``setting id -> option id``)."""
        return self._native.settings

    @property
    def n_items(self) -> int:
        """Number of items (the column count of a batch)."""
        return self._native.n_items

    def with_settings(self, settings: Mapping[str, str]) -> Instrument:
        """The same instrument with other setting options (others keep their current choice)."""
        return Instrument(self._native.with_settings(_settings(settings) or {}))

    def describe(self) -> str:
        """What this instrument expects and computes, as the core's stable text (same in every binding).

        Above all each item's **code table**: which code and which stable option id mean which
        answer and which scored value. Check it before scoring an export: RSES and DSRSC, for
        example, number their options in printed order, the reverse of the "as ticked" numbering
        many exports use; declare a ``code_map`` (or answer by option id) when your codes differ.
        Then the scales with their ranges, bands and missing-data rules, the flags and the screen rule.
        """
        return self._native.describe_text()

    def description(self) -> dict[str, Any]:
        """The same description as data (the core's ``InstrumentDescription``).

        ``{"id", "version", "name", "settings"?, "items": [{"number", "id", "scored", "reverse",
        "asked_if"?, "options": [{"code", "id", "value", "label"?}, ...]}, ...], "scales", "flags",
        "screen_positive"?}``.
        """
        result: dict[str, Any] = json.loads(self._native.describe_json())
        return result

    def option_ids(self, item: int) -> list[str]:
        """The stable option ids of item number ``item`` in printed order (answers may give these instead of codes)."""
        for it in self.description()["items"]:
            if it["number"] == item:
                return [str(o["id"]) for o in it["options"]]
        raise KeyError(f"instrument {self.id} has no item {item!r} (items are 1..{self.n_items})")

    def spec_json(self) -> str:
        """The resolved spec (settings applied) as canonical JSON."""
        return self._native.spec_json()

    def spec(self) -> dict[str, Any]:
        """The resolved spec as dicts and lists (decimals as strings)."""
        result: dict[str, Any] = json.loads(self._native.spec_json())
        return result

    def source_spec_json(self) -> str:
        """The spec as written, before settings, as JSON."""
        return self._native.source_spec_json()

    def scale_range(self, scale_id: str) -> tuple[Decimal, Decimal]:
        """The exact ``(min, max)`` a scale's raw value can take when complete (PHQ-9 total: ``(0, 27)``)."""
        r = self._native.scale_range(scale_id)
        if r is None:
            raise KeyError(f"instrument {self.id} has no scale {scale_id!r}")
        return Decimal(r[0]), Decimal(r[1])

    def option_codes(self, item: int) -> list[int]:
        """The option codes of item number ``item`` (1-based), ascending."""
        codes = self._native.option_codes(item)
        if codes is None:
            raise KeyError(f"instrument {self.id} has no item {item!r} (items are 1..{self.n_items})")
        return codes

    def option_value(self, item: int, code: int) -> Optional[int]:
        """The scored value of ``code`` on item ``item`` after reversal (``None`` if it is not an option)."""
        return self._native.option_value(item, code)

    def item_ids(self) -> list[str]:
        """Item ids in printed order (item ``n`` is ``item_ids()[n - 1]``)."""
        return [str(it["id"]) for it in self.spec()["items"]]

    def code_map(self, spec: Mapping[str, Any]) -> CodeMap:
        """Check a declared recode against this instrument (see :class:`CodeMap`) and compile it.

        >>> rses = Instrument.builtin("rses")
        >>> m = rses.code_map({"all": {1: "strongly_disagree", 2: "disagree", 3: "agree", 4: "strongly_agree"}})
        >>> str(rses.score([4] * 10, code_map=m).scale("total").raw)
        '15'
        """
        return CodeMap(self._native.code_map(json.dumps(spec, ensure_ascii=False)), spec)

    def _code_map(self, code_map: Optional[CodeMapLike]) -> Optional[_core.NativeCodeMap]:
        if code_map is None:
            return None
        if isinstance(code_map, CodeMap):
            return code_map._native
        return self.code_map(code_map)._native

    def score(
        self,
        answers: Answers,
        started_at: Optional[Timestamp] = None,
        finished_at: Optional[Timestamp] = None,
        group: Optional[Mapping[str, str]] = None,
        code_map: Optional[CodeMapLike] = None,
    ) -> ScoreReport:
        """Score one response.

        ``answers`` maps item numbers (``9`` or ``"9"``) or item ids to an option code,
        an option id (a ``str`` such as ``"LA6568-5"``, see :meth:`describe`), ``None``
        (missing) or ``"refused"``; absent items are missing. A list gives the answers in
        item order: one per item, or exactly one per *scored* item (nine values for the PHQ-9,
        whose item 10 is the unscored difficulty question). ``started_at``/``finished_at`` feed completion-time
        validity rules; ``group`` gives norm-group keys (``{"grade": "7", "sex": "F"}``);
        ``code_map`` declares the export's own coding (a :class:`CodeMap` or its spec dict).

        Raises :class:`~changkaixin.ScoreError` for an unknown item, a code that is not an
        option (naming the item), a duplicate answer, a missing norm group or bad times.
        """
        g = None if group is None else {str(k): str(v) for k, v in group.items()}
        return ScoreReport(
            self._native.score(answers, _time(started_at), _time(finished_at), g, self._code_map(code_map))
        )

    def verify_report(self, report: ReportLike) -> ScoreReport:
        """Verify a report from outside against this instrument (by the core); returns it as a :class:`ScoreReport`.

        Raises :class:`~changkaixin.EvidenceError` when the report is not one this instrument
        (version, settings) could have produced: a value outside its scale's range, a band,
        flag or verdict that does not follow from the values, an unknown setting, ...
        """
        return ScoreReport(self._native.verify_report(_report_text(report)))

    def score_json(self, text: str) -> ScoreReport:
        """Score a response given as JSON text in the core's ``Response`` shape."""
        return ScoreReport(self._native.score_json(text))

    def score_batch(
        self,
        codes: npt.ArrayLike,
        missing: int = -1,
        refused: Optional[int] = None,
        groups: Optional[Groups] = None,
        durations: Optional[npt.ArrayLike] = None,
        threads: Optional[int] = None,
        code_map: Optional[CodeMapLike] = None,
        compact: bool = False,
    ) -> BatchResult:
        """Score many respondents at once: ``codes`` is a 2-D integer array, rows × items.

        * Any integer dtype. A C-contiguous ``int8/uint8/int16/uint16/int32/uint32/int64/uint64``
          array is read in place (no copy); an F-contiguous one (e.g. ``DataFrame.to_numpy()``)
          is brought into row order by the native module with the GIL released; anything else
          (other strides, non-native byte order) is converted first.
        * ``missing`` / ``refused``: sentinel codes (they must fit the dtype and not be option codes).
        * ``groups``: norm groups, ``{"grade": grades, "sex": sexes}`` (one value per row)
          or ``(row_group_indices, [{"grade": "7", "sex": "F"}, ...])``.
        * ``durations``: completion time per row in whole seconds (negative = unknown).
        * ``threads``: how many threads the core's parallel batch uses for row ranges;
          ``None`` uses every core, ``1`` only the calling thread. The result (row order,
          every byte of every column, the error of a bad batch) is the same either way.
        * ``code_map``: the buffer's own coding (a :class:`CodeMap` or its spec dict), applied by
          the core's decode tables; the sentinels must not be source codes.
        * ``compact``: the same decisions in narrow columns (the core's compact batch): each
          scale's mantissas in the narrowest of ``int16``/``int32``/``int64`` its compiled range
          needs (that type's minimum marks "not scored": :meth:`BatchResult.unscored`), flag
          bitsets in the narrowest unsigned word that holds them, no ``answered`` columns,
          ``score`` the same array as ``raw`` for a scale without norms, ``prorated`` all
          ``False`` for one whose rule never prorates. For PHQ-9 that is 7 bytes a row instead
          of 38 (plus one verdict column per flag), and the fastest way to score a large batch.

        The GIL is released while the core scores, so other Python threads keep running.
        Returns a :class:`BatchResult` (a ``dict`` of numpy columns). Raises
        :class:`~changkaixin.BatchError` naming the row and item of a bad cell.
        Arrow data (a ``pyarrow`` table or batch, or any PyCapsule object) is scored by
        :meth:`score_arrow` with the instrument's item ids as columns and returns Arrow.
        """
        if _is_arrow(codes):
            if groups is not None or durations is not None:
                raise TypeError("for Arrow data, name the group and duration columns: use score_arrow")
            return self.score_arrow(codes, missing=missing, refused=refused, threads=threads, code_map=code_map)  # type: ignore[no-any-return]
        arr = np.asarray(codes)
        if arr.dtype.kind not in "iu":
            raise TypeError(
                f"codes must have an integer dtype, not {arr.dtype} "
                "(use changkaixin.score_frame for pandas frames with NaN for missing)"
            )
        if arr.ndim != 2:
            raise TypeError(f"codes must be 2-D (rows × items), got {arr.ndim}-D")
        if not (arr.flags.c_contiguous or arr.flags.f_contiguous) or not arr.dtype.isnative:
            # C order is read in place and F order converted in Rust (GIL released); any other
            # layout or byte order is converted here first.
            arr = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("="))
        row_group, group_list = _groups(groups, arr.shape[0])
        dur = None if durations is None else np.ascontiguousarray(durations, dtype=np.int64)
        n_threads = 0 if threads is None else int(threads)
        if n_threads < 0:
            raise ValueError(f"threads must be None or at least 1, not {threads}")
        native = _core.score_batch(
            self._native,
            arr,
            int(missing),
            None if refused is None else int(refused),
            row_group,
            group_list,
            dur,
            n_threads,
            self._code_map(code_map),
            bool(compact),
        )
        return BatchResult(native)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the source spec and settings (linted and compiled again when unpickled)."""
        return (_instrument_from_source, (self.source_spec_json(), self.settings))

    def score_arrow(
        self,
        data: Any,
        items: Union[str, Sequence[str], None] = None,
        *,
        missing: Optional[int] = None,
        refused: Optional[int] = None,
        group_columns: Optional[Sequence[str]] = None,
        duration_column: Optional[str] = None,
        keep: Sequence[str] = (),
        prefix: str = "",
        threads: Optional[int] = 1,
        code_map: Optional[CodeMapLike] = None,
    ) -> Any:
        """Score Arrow data; returns Arrow record batches of exact score columns.

        ``data`` is a ``pyarrow.Table`` / ``RecordBatch`` / ``RecordBatchReader`` or any object
        exposing the Arrow PyCapsule interface (Polars, DuckDB, pandas with Arrow, nanoarrow ...).

        * ``items``: one integer column per item, in item order (default: the instrument's item
          ids), or the name of one ``FixedSizeList<int>[n_items]`` column (its child values are
          the core's row-major buffer and are read in place when they hold no null). Item columns
          are gathered into that buffer in one pass with the GIL released.
        * A null answer is missing. ``missing`` / ``refused``: codes in the data that also mean
          missing / refused (e.g. ``-1``, ``-2``); without ``missing`` only nulls are missing.
        * ``group_columns`` name the norm-group keys (read as text), ``duration_column`` the
          completion time in whole seconds (null = unknown); ``keep`` input columns to carry into
          the output first (ids, school, grade); ``prefix`` goes before every score column's name.
        * ``threads``: as in :meth:`score_batch` (default 1: engines run one task per core).

        Returns a ``pyarrow.RecordBatch`` for a record batch, else a ``pyarrow.Table`` with one
        output batch per input batch, columns as :data:`changkaixin.arrow.LAYOUT` documents:
        exact ``decimal128(18, d)`` scores (null where unscored), dictionary-encoded band ids,
        flags as booleans (**null = indeterminate**, never false), ``validity`` and ``screen``
        as ``uint8`` codes. Error rows are rows of the whole input. Requires ``pyarrow``.
        """
        if not hasattr(_core, "score_arrow"):  # pragma: no cover - a build without the feature
            raise ImportError("this build of changkaixin has no Arrow support (the `arrow` feature)")
        if items is None:
            cols = self.item_ids()
        elif isinstance(items, str):
            cols = [items]
        else:
            cols = [str(c) for c in items]
        n_threads = 0 if threads is None else int(threads)
        if n_threads < 0:
            raise ValueError(f"threads must be None or at least 1, not {threads}")
        return _core.score_arrow(
            self._native,
            data,
            cols,
            None if missing is None else int(missing),
            None if refused is None else int(refused),
            list(group_columns or ()),
            duration_column,
            [str(k) for k in keep],
            str(prefix),
            n_threads,
            self._code_map(code_map),
        )

    def arrow_schema(self, prefix: str = "") -> Any:
        """The ``pyarrow.Schema`` of :meth:`score_arrow`'s score columns (without kept columns)."""
        return _core.arrow_score_schema(self._native, str(prefix))

    def __eq__(self, other: object) -> bool:
        """Same resolved spec and settings."""
        return isinstance(other, Instrument) and (self.spec_json(), self.settings) == (
            other.spec_json(),
            other.settings,
        )

    def __hash__(self) -> int:
        """Hash of id, version and settings."""
        return hash((self.id, self.version, tuple(sorted(self.settings.items()))))

    def __repr__(self) -> str:
        """``Instrument('phq9', version='1.1.0')`` followed by :meth:`describe` (the code tables)."""
        s = f", settings={self.settings!r}" if self.settings else ""
        return f"Instrument({self.id!r}, version={self.version!r}{s})\n{self.describe().rstrip()}"


def _instrument_from_source(source: str, settings: Mapping[str, str]) -> Instrument:
    """Unpickle an :class:`Instrument`: the source spec linted and compiled again."""
    return Instrument.from_json(source, settings or None)


def _is_arrow(data: Any) -> bool:
    """Arrow data (PyCapsule interface) that is not a numpy array or a pandas frame."""
    if isinstance(data, np.ndarray) or type(data).__module__.startswith("pandas"):
        return False
    return hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__")


def _factorize(col: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """``np.unique(col, return_inverse=True)`` (sorted distinct values, rank of each row) without the sort.

    Integer columns and short strings (up to three characters, e.g. grades and sexes; packed
    into one int64 that orders like the strings) are factorised natively; anything else by numpy.
    """
    if col.dtype.kind == "i" or (col.dtype.kind == "u" and col.dtype.itemsize < 8):
        keys = col.astype(np.int64)
    elif col.dtype.kind == "U" and 0 < col.dtype.itemsize <= 12:
        width = col.dtype.itemsize // 4
        chars = np.ascontiguousarray(col).view(np.uint32).reshape(len(col), width).astype(np.int64)
        keys = chars[:, 0]
        for j in range(1, width):  # code points < 2^21: the first character is the most significant
            keys = (keys << 21) | chars[:, j]
    else:
        u, ranks = np.unique(col, return_inverse=True)
        return u, ranks
    inv, first = _core.factorize_i64(np.ascontiguousarray(keys))
    return col[first], inv


def _groups(
    groups: Optional[Groups], n_rows: int
) -> tuple[Optional[npt.NDArray[np.uint32]], Optional[list[dict[str, str]]]]:
    """Norm groups → (row index per row, distinct group dicts). Pure type conversion."""
    if groups is None:
        return None, None
    if isinstance(groups, tuple):
        idx, given = groups
        return (
            np.ascontiguousarray(idx, dtype=np.uint32),
            [{str(k): str(v) for k, v in g.items()} for g in given],
        )
    keys = list(groups)
    if not keys:
        return np.zeros(n_rows, dtype=np.uint32), [{}]
    # Factorise each key column, then the combination of keys (mixed radix).
    factors: list[tuple[list[str], npt.NDArray[Any]]] = []
    for k in keys:
        col = np.asarray(groups[k])
        if col.shape != (n_rows,):
            raise TypeError(f"group column {k!r} has shape {col.shape}, expected ({n_rows},)")
        u, inv = _factorize(col)
        factors.append(([str(u[r]) for r in range(len(u))], inv))
    return _combine_groups(keys, factors, n_rows)


def _combine_groups(
    keys: Sequence[str], factors: Sequence[tuple[list[str], npt.NDArray[Any]]], n_rows: int
) -> tuple[npt.NDArray[np.uint32], list[dict[str, str]]]:
    """Per key (sorted distinct values as str, rank of each row) → (row group index, distinct group dicts).

    The groups are numbered in the order of their mixed-radix code, as ``np.unique`` of the combination.
    """
    combined = np.zeros(n_rows, dtype=np.int64)
    for u, inv in factors:
        combined = combined * len(u) + inv.reshape(-1)
    row, first = _core.factorize_i64(np.ascontiguousarray(combined))
    cu = combined[first]
    dicts: list[dict[str, str]] = []
    for c in cu.tolist():
        d: dict[str, str] = {}
        for k, (u, _) in zip(reversed(keys), reversed(factors)):
            c, r = divmod(c, len(u))
            d[k] = u[r]
        dicts.append({k: d[k] for k in keys})
    return np.ascontiguousarray(row.reshape(-1), dtype=np.uint32), dicts


class Catalog:
    """A set of compiled instruments keyed by id (the built-in one, or your own additions)."""

    __slots__ = ("_native",)

    def __init__(self, native: Optional[_core.NativeCatalog] = None) -> None:
        """An empty catalog (or a wrapped native one); see :meth:`builtin`."""
        self._native = native if native is not None else _core.NativeCatalog.empty()

    @classmethod
    def builtin(cls) -> Catalog:
        """The built-in catalog (PHQ-9, GAD-7, ASQ, ... shipped with the core)."""
        return cls(_core.NativeCatalog.builtin())

    def ids(self) -> list[str]:
        """Instrument ids, sorted."""
        return self._native.ids()

    def instrument(self, id: str, settings: Optional[Mapping[str, str]] = None) -> Instrument:
        """The instrument with this id and setting options (:class:`~changkaixin.CatalogError` if unknown)."""
        return Instrument(self._native.instrument(id, _settings(settings)))

    def verify_report(self, report: ReportLike) -> ScoreReport:
        """Verify a report from outside against the catalog (by the core); returns it as a :class:`ScoreReport`.

        The instrument must be in the catalog (``evidence.unknown_instrument`` otherwise) at the
        report's version; see :meth:`Instrument.verify_report` for what else is checked.
        """
        return ScoreReport(self._native.verify_report(_report_text(report)))

    def with_instrument(self, instrument: Instrument) -> Catalog:
        """A copy of this catalog with one more (or a replaced) instrument, e.g. a licensed key."""
        return Catalog(self._native.with_instrument(instrument._native))

    def __contains__(self, id: object) -> bool:
        """Whether an instrument with this id is in the catalog."""
        return id in self.ids()

    def __iter__(self) -> Iterator[str]:
        """Iterate over instrument ids."""
        return iter(self.ids())

    def __len__(self) -> int:
        """Number of instruments."""
        return len(self.ids())

    def __repr__(self) -> str:
        """``Catalog(['asq', 'cesd', ...])``."""
        return f"Catalog({self.ids()!r})"


def catalog() -> Catalog:
    """The built-in catalog."""
    return Catalog.builtin()
