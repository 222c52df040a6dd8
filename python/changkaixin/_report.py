"""The result of scoring one response: :class:`ScoreReport` and its parts.

A report is built from the core's canonical JSON; ``to_json()`` returns those
exact bytes and ``to_dict()`` their parsed form (decimals stay strings there).
The typed attributes convert decimals to :class:`decimal.Decimal`, exact
fractions to :class:`fractions.Fraction`, and closed sets to ``str`` enums.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Optional, Union

from . import _core
from ._enums import FlagLevel, Severity, ValidityStatus, ValidityVerdict, Verdict

if TYPE_CHECKING:  # pragma: no cover
    from ._instrument import Catalog, Instrument

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
    """A flag whose verdict is positive **or indeterminate**, with its evidence.

    ``verdict`` is :attr:`Verdict.POSITIVE` (the rule held) or
    :attr:`Verdict.INDETERMINATE` (the answers given cannot decide it; ``missing_items`` /
    ``refused_items`` name the items whose answers would). A flag of the instrument that is
    not listed in :attr:`ScoreReport.flags` is determined negative.
    """

    id: str
    verdict: Verdict
    level: FlagLevel
    label: Localized
    reason: Localized
    items: list[int]
    missing_items: list[int]
    refused_items: list[int]
    evidence: list[str]
    source: str


@dataclass(frozen=True)
class ScreenPositive:
    """The instrument's overall screen verdict (three-valued; there is no ``bool`` to misread).

    ``verdict`` is :attr:`Verdict.POSITIVE`, :attr:`Verdict.NEGATIVE` or
    :attr:`Verdict.INDETERMINATE`; when indeterminate, ``missing_items`` / ``refused_items``
    name the items whose answers would decide it.
    """

    verdict: Verdict
    missing_items: list[int]
    refused_items: list[int]
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
        """Wrap canonical report JSON that the engine produced (no checks).

        For a report that comes from anywhere else (a file, a request, a dict someone
        built), use :meth:`from_json` or :meth:`from_dict`: they verify it against the
        catalog first. Whatever the route, a report given to the core again (alert
        evidence, FHIR export) is verified there; it is never trusted.
        """
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
                Verdict(f["verdict"]),
                FlagLevel(f["level"]),
                Localized._of(f["label"]),
                Localized._of(f["reason"]),
                list(f["items"]),
                list(f.get("missing_items", [])),
                list(f.get("refused_items", [])),
                list(f["evidence"]),
                f["source"],
            )
            for f in d["flags"]
        ]
        sp = d.get("screen_positive")
        self.screen_positive = (
            None
            if sp is None
            else ScreenPositive(
                Verdict(sp["verdict"]),
                list(sp.get("missing_items", [])),
                list(sp.get("refused_items", [])),
                Localized._of(sp["reason"]),
                list(sp["evidence"]),
                sp["source"],
            )
        )

    @classmethod
    def from_json(cls, text: Union[str, bytes], catalog: Union[Catalog, Instrument, None] = None) -> ScoreReport:
        """Parse a report from outside and **verify** it (by the core) against ``catalog``.

        ``catalog`` is a :class:`~changkaixin.Catalog` (default: the built-in one) or the
        :class:`~changkaixin.Instrument` that claims to have produced it. Verification checks
        the instrument id, version and settings, that every value is within its scale's range,
        that bands follow from the values and that flags and verdicts agree with them. Raises
        :class:`~changkaixin.EvidenceError` (``evidence.*`` codes, path into the report).
        """
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        if catalog is None:
            return cls(_core.NativeCatalog.builtin().verify_report(text))
        return cls(catalog._native.verify_report(text))

    @classmethod
    def from_dict(cls, report: Mapping[str, Any], catalog: Union[Catalog, Instrument, None] = None) -> ScoreReport:
        """Like :meth:`from_json` for a report already parsed into dicts (decimals as strings)."""
        return cls.from_json(json.dumps(report, ensure_ascii=False), catalog)

    def scale(self, id: str) -> ScaleResult:
        """The scale with this id (``KeyError`` if the instrument has none)."""
        for s in self.scales:
            if s.id == id:
                return s
        raise KeyError(f"no scale {id!r} in this report (scales: {', '.join(s.id for s in self.scales)})")

    def has_flag(self, id: str) -> bool:
        """Whether the flag with this id is **positive**.

        An indeterminate flag gives ``False`` here although it is not negative: use
        :meth:`flag_verdict` wherever "cannot tell" must not read as "no".
        """
        return any(f.id == id and f.verdict is Verdict.POSITIVE for f in self.flags)

    def flag_verdict(self, id: str) -> Verdict:
        """The three-valued verdict of the flag with this id.

        Positive or indeterminate when it is listed in :attr:`flags`, otherwise negative
        (also for an id the instrument does not define, as in the core).
        """
        for f in self.flags:
            if f.id == id:
                return f.verdict
        return Verdict.NEGATIVE

    @property
    def screen_verdict(self) -> Optional[Verdict]:
        """The screen verdict, or ``None`` when the instrument defines no screen-positive rule."""
        return None if self.screen_positive is None else self.screen_positive.verdict

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
        flags = ",".join(f.id if f.verdict is Verdict.POSITIVE else f"{f.id}?" for f in self.flags) or "-"
        screen = "" if self.screen_positive is None else f" screen={self.screen_positive.verdict.value}"
        return (
            f"<ScoreReport {self.instrument.id} {self.instrument.version} {self.validity.status.value} "
            f"{' '.join(parts)} flags={flags}{screen}>"
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
