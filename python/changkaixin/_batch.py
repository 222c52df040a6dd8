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

    Mantissas are exact. :meth:`to_float` converts to ``float64`` only when you ask:
    floats are for plotting and summaries, never for applying cut-offs or rules.
    """

    n_rows: int
    scale_ids: list[str]
    flag_ids: list[str]
    decimals: dict[str, int]
    band_ids: dict[str, list[str]]
    has_screen: bool

    def __init__(self, native: dict[str, Any]) -> None:
        """Wrap the native module's output (arrays are moved, not copied)."""
        super().__init__()
        self.n_rows = int(native["n_rows"])
        self.scale_ids = []
        self.decimals = {}
        self.band_ids = {}
        for s in native["scales"]:
            sid = s["id"]
            self.scale_ids.append(sid)
            self.band_ids[sid] = list(s["band_ids"])
            self.decimals[f"{sid}.raw"] = int(s["raw_decimals"])
            self.decimals[f"{sid}.score"] = int(s["score_decimals"])
            for col in ("raw", "score", "band", "answered", "prorated"):
                self[f"{sid}.{col}"] = s[col]
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

    def scored(self, scale: str) -> npt.NDArray[np.bool_]:
        """Boolean column: whether ``scale`` was scored in each row."""
        result: npt.NDArray[np.bool_] = self[f"{scale}.raw"] != UNSCORED
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
        out[m == UNSCORED] = np.nan
        return out

    def decimal(self, column: str, row: int) -> Optional[Decimal]:
        """One cell of a ``<scale>.raw`` / ``<scale>.score`` column as an exact Decimal (``None`` if unscored)."""
        if column not in self.decimals:
            raise KeyError(f"{column!r} is not a decimal column (decimal columns: {', '.join(self.decimals)})")
        m = int(self[column][row])
        if m == UNSCORED:
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
        return f"<BatchResult {self.n_rows} rows, scales {self.scale_ids}, flags {self.flag_ids}>"
