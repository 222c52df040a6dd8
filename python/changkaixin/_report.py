"""The result of scoring one response: :class:`ScoreReport` and its parts.

A report is built from the core's canonical JSON; ``to_json()`` returns those
exact bytes and ``to_dict()`` their parsed form (decimals stay strings there).
The typed attributes convert decimals to :class:`decimal.Decimal`, exact
fractions to :class:`fractions.Fraction`, and closed sets to ``str`` enums.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Optional

from ._enums import FlagLevel, Severity, ValidityStatus, ValidityVerdict

__all__ = [
    "Band",
    "FlagResult",
    "InstrumentRef",
    "ItemCounts",
    "Localized",
    "ScaleResult",
    "ScoreReport",
    "ScreenPositive",
    "Validity",
    "ValidityReason",
]


def _dec(v: Optional[str]) -> Optional[Decimal]:
    return None if v is None else Decimal(v)


@dataclass(frozen=True)
class Localized:
    """Text in Simplified Chinese (``zh``) and English (``en``); either may be absent."""

    zh: Optional[str]
    en: Optional[str]

    @classmethod
    def _of(cls, d: Any) -> Localized:
        d = d or {}
        return cls(d.get("zh"), d.get("en"))

    def __str__(self) -> str:
        """The Chinese text, else the English."""
        return self.zh or self.en or ""


@dataclass(frozen=True)
class InstrumentRef:
    """Which instrument, spec version and setting options produced a report."""

    id: str
    version: str
    settings: dict[str, str]


@dataclass(frozen=True)
class ValidityReason:
    """One reason behind the validity status (a rule that fired or an unscored scale)."""

    rule: str
    verdict: ValidityVerdict
    message: Localized
    source: Optional[str]


@dataclass(frozen=True)
class Validity:
    """Validity status (the worst verdict among the reasons) and the reasons."""

    status: ValidityStatus
    reasons: list[ValidityReason]


@dataclass(frozen=True)
class ItemCounts:
    """How many items were answered, missing and refused."""

    answered: int
    missing: int
    refused: int


@dataclass(frozen=True)
class Band:
    """The band a scale value fell in, with the rule and source that put it there."""

    id: str
    label: Localized
    index: int
    severity: Severity
    rule: str
    evidence: str
    source: Optional[str]


@dataclass(frozen=True)
class ScaleResult:
    """One scale's result.

    ``raw`` is rounded to the scale's reported decimals; when that rounding lost
    something, ``raw_exact`` is the exact fraction. ``score`` is the standard
    score after norms (equal to ``raw`` without norms). Bands compare the exact value.
    """

    id: str
    scored: bool
    raw: Optional[Decimal]
    raw_exact: Optional[Fraction]
    score: Optional[Decimal]
    answered: int
    of: int
    prorated: bool
    band: Optional[Band]
    unscored_reason: Optional[str]


@dataclass(frozen=True)
class FlagResult:
    """A flag that fired (a critical item or a composite rule), with its evidence."""

    id: str
    level: FlagLevel
    label: Localized
    reason: Localized
    items: list[int]
    evidence: list[str]
    source: str


@dataclass(frozen=True)
class ScreenPositive:
    """The instrument's overall screen-positive verdict."""

    positive: bool
    reason: Localized
    evidence: list[str]
    source: str


class ScoreReport:
    """The result of scoring one response.

    Typed attributes: ``instrument``, ``validity``, ``items``, ``duration_seconds``,
    ``scales``, ``flags``, ``screen_positive``. ``to_json()`` gives the core's
    canonical JSON (same input, same bytes, in every language binding).
    """

    __slots__ = (
        "_json",
        "duration_seconds",
        "flags",
        "instrument",
        "items",
        "scales",
        "screen_positive",
        "validity",
    )

    instrument: InstrumentRef
    validity: Validity
    items: ItemCounts
    duration_seconds: Optional[int]
    scales: list[ScaleResult]
    flags: list[FlagResult]
    screen_positive: Optional[ScreenPositive]

    def __init__(self, report_json: str) -> None:
        """Build a report from the core's canonical report JSON."""
        d = json.loads(report_json)
        self._json = report_json
        ins = d["instrument"]
        self.instrument = InstrumentRef(ins["id"], ins["version"], dict(ins.get("settings", {})))
        v = d["validity"]
        self.validity = Validity(
            ValidityStatus(v["status"]),
            [
                ValidityReason(r["rule"], ValidityVerdict(r["verdict"]), Localized._of(r["message"]), r.get("source"))
                for r in v["reasons"]
            ],
        )
        it = d["items"]
        self.items = ItemCounts(it["answered"], it["missing"], it["refused"])
        self.duration_seconds = d.get("duration_seconds")
        self.scales = [_scale(s) for s in d["scales"]]
        self.flags = [
            FlagResult(
                f["id"],
                FlagLevel(f["level"]),
                Localized._of(f["label"]),
                Localized._of(f["reason"]),
                list(f["items"]),
                list(f["evidence"]),
                f["source"],
            )
            for f in d["flags"]
        ]
        sp = d.get("screen_positive")
        self.screen_positive = (
            None
            if sp is None
            else ScreenPositive(sp["positive"], Localized._of(sp["reason"]), list(sp["evidence"]), sp["source"])
        )

    def scale(self, id: str) -> ScaleResult:
        """The scale with this id (``KeyError`` if the instrument has none)."""
        for s in self.scales:
            if s.id == id:
                return s
        raise KeyError(f"no scale {id!r} in this report (scales: {', '.join(s.id for s in self.scales)})")

    def has_flag(self, id: str) -> bool:
        """Whether the flag with this id fired."""
        return any(f.id == id for f in self.flags)

    def to_json(self) -> str:
        """The core's canonical report JSON (decimals as strings)."""
        return self._json

    def to_dict(self) -> dict[str, Any]:
        """The canonical report as plain dicts and lists (decimals as strings)."""
        result: dict[str, Any] = json.loads(self._json)
        return result

    def __eq__(self, other: object) -> bool:
        """Reports are equal when their canonical JSON is."""
        return isinstance(other, ScoreReport) and other._json == self._json

    def __hash__(self) -> int:
        """Hash of the canonical JSON."""
        return hash(self._json)

    def __repr__(self) -> str:
        """A one-line summary: instrument, validity, scale values and bands, flags."""
        parts = []
        for s in self.scales:
            band = f" {s.band.id}" if s.band else ""
            parts.append(f"{s.id}={s.raw if s.scored else 'unscored'}{band}")
        flags = ",".join(f.id for f in self.flags) or "-"
        return (
            f"<ScoreReport {self.instrument.id} {self.instrument.version} {self.validity.status.value} "
            f"{' '.join(parts)} flags={flags}>"
        )


def _scale(s: dict[str, Any]) -> ScaleResult:
    b = s.get("band")
    band = (
        None
        if b is None
        else Band(
            b["id"],
            Localized._of(b["label"]),
            b["index"],
            Severity(b["severity"]),
            b["rule"],
            b["evidence"],
            b.get("source"),
        )
    )
    exact = s.get("raw_exact")
    return ScaleResult(
        s["id"],
        s["scored"],
        _dec(s.get("raw")),
        None if exact is None else Fraction(exact),
        _dec(s.get("score")),
        s["answered"],
        s["of"],
        s["prorated"],
        band,
        s.get("unscored_reason"),
    )
