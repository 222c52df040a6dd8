"""Columnar batch results: :class:`BatchResult`, a ``dict`` of numpy columns."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

import numpy as np
import numpy.typing as npt

from ._enums import VERDICT_NAMES, Verdict

__all__ = ["UNSCORED", "VALIDITY_NAMES", "BatchResult"]

#: Mantissa sentinel for "not scored" in ``<scale>.raw`` / ``<scale>.score`` columns (``int64`` minimum).
UNSCORED: int = int(np.iinfo(np.int64).min)

#: Names of the ``validity`` column's codes, by code (0, 1, 2).
VALIDITY_NAMES: tuple[str, str, str] = ("valid", "incomplete", "invalid")


class BatchResult(dict[str, "npt.NDArray[Any]"]):
    """The result of :meth:`changkaixin.Instrument.score_batch`: a ``dict`` of numpy columns, one entry per row.

    Columns, for each scale ``s`` (in spec order):

    * ``s.raw`` (``int64``): the exact value as a decimal **mantissa**; the value is
      ``mantissa / 10**decimals[f"{s}.raw"]``. :data:`UNSCORED` where the scale is not scored.
    * ``s.score`` (``int64``): the standard score after norms, same encoding (equal to ``s.raw`` without norms).
    * ``s.band`` (``int8``): the band's ordinal index (``band_ids[s][i]`` is its id), ``-1`` for no band.
    * ``s.answered`` (``uint16``) and ``s.prorated`` (``bool``).

    Per row:

    * ``flag.<id>`` (``uint8``): the flag's **verdict code** — 0 negative, 1 positive,
      2 indeterminate (its items were missing or refused, so the answers cannot decide it).
      Indeterminate is not negative; ``code != 0`` (or ``astype(bool)``) keeps it.
    * ``flags`` (``uint64``): bitset of the **positive** flags (bit ``i`` = ``flag_ids[i]``);
      ``flags_indeterminate`` (``uint64``): bitset of the indeterminate ones. A flag whose bit
      is set in neither is determined negative.
    * ``validity`` (``uint8``): 0 valid, 1 incomplete, 2 invalid.
    * ``screen`` (``uint8``): the screen verdict code (0 negative, 1 positive,
      2 indeterminate); present only when the instrument defines a screen-positive rule
      (:attr:`has_screen`).

    Verdict codes are :attr:`changkaixin.Verdict.code` (names: :data:`changkaixin.VERDICT_NAMES`).

    **Compact results** (``score_batch(..., compact=True)``, :attr:`compact`): the same
    decisions in narrower columns. ``s.raw`` (and ``s.score`` where the scale has norms) is
    ``int16``, ``int32`` or ``int64``, the narrowest the scale's compiled range needs, with that
    type's minimum for "not scored" (:meth:`unscored` gives it per column; :meth:`scored`,
    :meth:`to_float` and :meth:`decimal` read it); without norms ``s.score`` is the same array as
    ``s.raw``; ``s.answered`` is left out; ``s.prorated`` is all ``False`` (a lazily zeroed
    array) for a scale whose rule never prorates; ``flags`` / ``flags_indeterminate`` are the
    narrowest of ``uint8``/``uint16``/``uint32``/``uint64`` holding one bit per flag (bit ``i``
    = ``flag_ids[i]``, as in the wide ``uint64`` words). Every other column is as above.

    Mantissas are exact. :meth:`to_float` converts to ``float64`` only when you ask:
    floats are for plotting and summaries, never for applying cut-offs or rules.
    """

    n_rows: int
    scale_ids: list[str]
    flag_ids: list[str]
    decimals: dict[str, int]
    band_ids: dict[str, list[str]]
    has_screen: bool
    compact: bool

    def __init__(self, native: dict[str, Any]) -> None:
        """Wrap the native module's output (arrays are moved, not copied)."""
        super().__init__()
        self.n_rows = int(native["n_rows"])
        self.compact = bool(native.get("compact", False))
        self.scale_ids = []
        self.decimals = {}
        self.band_ids = {}
        self._unscored: dict[str, int] = {}
        for s in native["scales"]:
            sid = s["id"]
            self.scale_ids.append(sid)
            self.band_ids[sid] = list(s["band_ids"])
            self.decimals[f"{sid}.raw"] = int(s["raw_decimals"])
            self.decimals[f"{sid}.score"] = int(s["score_decimals"])
            if self.compact:
                raw = s["raw"]
                score = raw if s["score"] is None else s["score"]
                prorated = np.zeros(self.n_rows, dtype=np.bool_) if s["prorated"] is None else s["prorated"]
                cols = {"raw": raw, "score": score, "band": s["band"], "prorated": prorated}
            else:
                cols = {c: s[c] for c in ("raw", "score", "band", "answered", "prorated")}
            for col, arr in cols.items():
                self[f"{sid}.{col}"] = arr
            for col in ("raw", "score"):
                self._unscored[f"{sid}.{col}"] = int(np.iinfo(cols[col].dtype).min)
        self.flag_ids = list(native["flag_ids"])
        self["flags"] = native["flags"]
        self["flags_indeterminate"] = native["flags_indeterminate"]
        for fid, col in zip(self.flag_ids, native["flag_columns"]):
            self[f"flag.{fid}"] = col
        self["validity"] = native["validity"]
        screen = native["screen"]
        self.has_screen = screen is not None
        if screen is not None:
            self["screen"] = screen

    def flag_verdicts(self, id: str) -> npt.NDArray[np.uint8]:
        """The verdict codes of flag ``id`` (0 negative, 1 positive, 2 indeterminate); ``KeyError`` if unknown."""
        if id not in self.flag_ids:
            raise KeyError(f"no flag {id!r} (flags: {', '.join(self.flag_ids)})")
        result: npt.NDArray[np.uint8] = self[f"flag.{id}"]
        return result

    def verdict_labels(self, column: str) -> npt.NDArray[np.object_]:
        """A verdict column (``"screen"`` or ``"flag.<id>"``) as an object array of :class:`~changkaixin.Verdict`."""
        if column != "screen" and not (column.startswith("flag.") and column[5:] in self.flag_ids):
            raise KeyError(f"{column!r} is not a verdict column (screen, flag.<id>)")
        members = np.array([Verdict(n) for n in VERDICT_NAMES], dtype=object)
        result: npt.NDArray[np.object_] = members[self[column].astype(np.intp)]
        return result

    def unscored(self, column: str) -> int:
        """The mantissa that marks "not scored" in a ``<scale>.raw`` / ``<scale>.score`` column.

        :data:`UNSCORED` (the ``int64`` minimum) in a wide result; in a compact one the minimum
        of the column's own dtype.
        """
        if column not in self._unscored:
            raise KeyError(f"{column!r} is not a decimal column (decimal columns: {', '.join(self.decimals)})")
        return self._unscored[column]

    def scored(self, scale: str) -> npt.NDArray[np.bool_]:
        """Boolean column: whether ``scale`` was scored in each row."""
        result: npt.NDArray[np.bool_] = self[f"{scale}.raw"] != self.unscored(f"{scale}.raw")
        return result

    def to_float(self, column: str) -> npt.NDArray[np.float64]:
        """A ``<scale>.raw`` or ``<scale>.score`` column as ``float64`` (NaN where unscored).

        For plotting and descriptive statistics only: apply cut-offs and rules to the
        exact mantissas (or use the ``band``, ``flag.*`` and ``screen`` columns),
        never to these floats.
        """
        if column not in self.decimals:
            raise KeyError(f"{column!r} is not a decimal column (decimal columns: {', '.join(self.decimals)})")
        m = self[column]
        out = m.astype(np.float64) / float(10 ** self.decimals[column])
        out[m == self._unscored[column]] = np.nan
        return out

    def decimal(self, column: str, row: int) -> Optional[Decimal]:
        """One cell of a ``<scale>.raw`` / ``<scale>.score`` column as an exact Decimal (``None`` if unscored)."""
        if column not in self.decimals:
            raise KeyError(f"{column!r} is not a decimal column (decimal columns: {', '.join(self.decimals)})")
        m = int(self[column][row])
        if m == self._unscored[column]:
            return None
        return Decimal(m).scaleb(-self.decimals[column])

    def band_labels(self, scale: str) -> npt.NDArray[np.object_]:
        """The band ids of ``scale`` as an object array (``None`` where there is no band)."""
        ids = np.array([*self.band_ids[scale], None], dtype=object)
        idx = self[f"{scale}.band"].astype(np.int64)
        idx[idx < 0] = len(ids) - 1
        result: npt.NDArray[np.object_] = ids[idx]
        return result

    def __repr__(self) -> str:
        """Row count, scales and flags."""
        kind = "compact " if self.compact else ""
        return f"<BatchResult {kind}{self.n_rows} rows, scales {self.scale_ids}, flags {self.flag_ids}>"
