"""Columnar batch results: :class:`BatchResult`, a ``dict`` of numpy columns."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

import numpy as np
import numpy.typing as npt

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

    Per row: ``flags`` (``uint64`` bitset, bit ``i`` = ``flag_ids[i]``), ``flag.<id>`` (``bool``),
    ``validity`` (``uint8``: 0 valid, 1 incomplete, 2 invalid) and ``screen_positive``
    (``int8``: 1, 0, or -1 when the instrument defines no such rule).

    Mantissas are exact. :meth:`to_float` converts to ``float64`` only when you ask:
    floats are for plotting and summaries, never for applying cut-offs or rules.
    """

    n_rows: int
    scale_ids: list[str]
    flag_ids: list[str]
    decimals: dict[str, int]
    band_ids: dict[str, list[str]]

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
        flags = native["flags"]
        self["flags"] = flags
        for fid, col in zip(self.flag_ids, native["flag_columns"]):
            self[f"flag.{fid}"] = col
        self["validity"] = native["validity"]
        self["screen_positive"] = native["screen_positive"]

    def scored(self, scale: str) -> npt.NDArray[np.bool_]:
        """Boolean column: whether ``scale`` was scored in each row."""
        result: npt.NDArray[np.bool_] = self[f"{scale}.raw"] != UNSCORED
        return result

    def to_float(self, column: str) -> npt.NDArray[np.float64]:
        """A ``<scale>.raw`` or ``<scale>.score`` column as ``float64`` (NaN where unscored).

        For plotting and descriptive statistics only: apply cut-offs and rules to the
        exact mantissas (or use the ``band``, ``flag.*`` and ``screen_positive`` columns),
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
