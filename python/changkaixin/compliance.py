"""Compliance checks (常教办〔2021〕90号, 教体艺〔2023〕1号): a school's facts against cited requirements.

A thin wrapper of the core's ``compliance`` module. A *requirement pack* holds the plan's
duties as versioned, cited requirements (document, clause, quoted text, metric, period,
threshold, stages, dates, severity); a school's *facts* (``changkaixin.compliance-facts/1``)
are what it reports for one school year. :func:`check` evaluates facts × pack × day:

* per school, a :class:`ComplianceReport` — per requirement ``pass``, ``fail`` (measured and
  required values, shortfall, failing units, clause), ``not_applicable`` (with the reason) or
  ``insufficient_evidence`` (with the missing facts; a missing fact is never a zero);
* for all schools, ``findings`` (one row per school × requirement) and ``rollup`` (the city and
  each district, per requirement) as pandas DataFrames.

Every rule lives in the core; decimals stay exact (:class:`decimal.Decimal`), days are
``YYYY-MM-DD`` strings or :class:`datetime.date`, and there is no clock: the day is an input.

>>> import changkaixin.compliance as cc
>>> facts = {"format": "changkaixin.compliance-facts/1", "school": {"id": "cz-001"},
...          "profile": {"stage": "junior", "location": "urban"},
...          "staff": [{"id": "t1", "psychology_teacher": "part_time"}]}
>>> r = cc.check_school("changzhou_2022_2024", facts, "2024-03-01")
>>> r.status("cz.staff.full_time_psychology_teacher")
<Status.FAIL: 'fail'>
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Optional, Union

from . import _core
from ._enums import _StrEnum
from ._errors import ChangkaixinError, _from_core
from ._report import Localized

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "STATUS_NAMES",
    "ComplianceReport",
    "ComplianceResult",
    "Day",
    "Facts",
    "RequirementPack",
    "Severity",
    "Status",
    "check",
    "check_school",
]

#: A school's facts: a dict in the core's ``changkaixin.compliance-facts/1`` shape, or its JSON text.
Facts = Union[Mapping[str, Any], str, bytes]
#: A day: a :class:`datetime.date` or ``"YYYY-MM-DD"``.
Day = Union[_dt.date, str]


class Status(_StrEnum):
    """The outcome of one requirement for one school."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence"


class Severity(_StrEnum):
    """How serious a miss is: ``target`` (力争, an aspiration, never a breach) up to ``critical``."""

    TARGET = "target"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


#: The ``status`` categories of the findings DataFrame, in this order.
STATUS_NAMES: tuple[str, ...] = tuple(s.value for s in Status)


def _text(doc: Union[Mapping[str, Any], str, bytes]) -> str:
    if isinstance(doc, bytes):
        return doc.decode("utf-8")
    if isinstance(doc, str):
        return doc
    return json.dumps(doc, ensure_ascii=False)


def _day(d: Day) -> str:
    if isinstance(d, _dt.datetime):
        raise TypeError("as_of is a day: pass a datetime.date or 'YYYY-MM-DD', not a datetime")
    if isinstance(d, _dt.date):
        return d.isoformat()
    if isinstance(d, str):
        return d
    raise TypeError(f"expected a datetime.date or 'YYYY-MM-DD', not {type(d).__name__}")


def _dec(v: Optional[str]) -> Optional[Decimal]:
    return None if v is None else Decimal(v)


class RequirementPack:
    """A linted, compiled requirement pack (``changkaixin.compliance-pack/1``); immutable.

    Built in: ``"changzhou_2022_2024"`` (常教办〔2021〕90号) and ``"national_2023"`` (教体艺〔2023〕1号).
    """

    __slots__ = ("_native",)

    def __init__(self, native: _core.NativePack) -> None:
        """Wrap a native handle (use :meth:`builtin` or :meth:`from_json`)."""
        self._native = native

    @classmethod
    def builtin(cls, id: str) -> RequirementPack:
        """A built-in pack by id; :class:`~changkaixin.ComplianceError` (``compliance.unknown_ref``) otherwise."""
        return cls(_core.NativePack.builtin(id))

    @classmethod
    def from_json(cls, text: Union[str, bytes]) -> RequirementPack:
        """Parse, lint and compile pack JSON; raises :class:`~changkaixin.ComplianceError`."""
        return cls(_core.NativePack.from_json(_text(text)))

    @classmethod
    def from_dict(cls, pack: Mapping[str, Any]) -> RequirementPack:
        """Like :meth:`from_json` for a parsed pack (decimals as strings)."""
        return cls.from_json(_text(pack))

    @staticmethod
    def lint(text: Union[str, bytes, Mapping[str, Any]]) -> list[ChangkaixinError]:
        """Every lint problem of a pack (empty when sound); a parse error raises."""
        return [_from_core(*p) for p in _core.NativePack.lint(_text(text))]

    @property
    def id(self) -> str:
        """Pack id, e.g. ``"changzhou_2022_2024"``."""
        return self._native.id

    @property
    def version(self) -> str:
        """Pack version (reported with every finding)."""
        return self._native.version

    @property
    def requirement_ids(self) -> list[str]:
        """Requirement ids in pack order (a versioned requirement appears once per version)."""
        return self._native.requirement_ids()

    def to_json(self) -> str:
        """The pack as written, canonical JSON."""
        return self._native.pack_json()

    def to_dict(self) -> dict[str, Any]:
        """The pack as dicts and lists."""
        result: dict[str, Any] = json.loads(self._native.pack_json())
        return result

    def __repr__(self) -> str:
        """``RequirementPack('changzhou_2022_2024', version='1.0.0')``."""
        return f"RequirementPack({self.id!r}, version={self.version!r})"


def _pack(pack: Union[RequirementPack, str]) -> RequirementPack:
    return pack if isinstance(pack, RequirementPack) else RequirementPack.builtin(pack)


class ComplianceReport:
    """One school checked against one pack as of one day (the core's canonical report)."""

    __slots__ = ("_d", "_json")

    def __init__(self, report_json: str) -> None:
        """Wrap the core's report JSON (use :func:`check` or :func:`check_school`)."""
        self._json = report_json
        self._d: dict[str, Any] = json.loads(report_json)

    @property
    def school(self) -> dict[str, Any]:
        """``{"id", "name"?, "district"?}``."""
        return dict(self._d["school"])

    @property
    def pack(self) -> tuple[str, str]:
        """``(pack id, version)``."""
        return str(self._d["pack"]["id"]), str(self._d["pack"]["version"])

    @property
    def as_of(self) -> str:
        """The day checked, ``YYYY-MM-DD``."""
        return str(self._d["as_of"])

    @property
    def counts(self) -> dict[str, int]:
        """Requirements by status."""
        return {k: int(v) for k, v in self._d["counts"].items()}

    @property
    def findings(self) -> list[dict[str, Any]]:
        """One finding per requirement, in pack order (status, measured, required, shortfall, clause, ...)."""
        return list(self._d["findings"])

    @property
    def summary(self) -> Localized:
        """Plain-language summary in Chinese and English."""
        return Localized._of(self._d["summary"])

    def finding(self, requirement: str) -> dict[str, Any]:
        """The finding of a requirement (the version in force when several are listed); ``KeyError`` if none."""
        found = [f for f in self._d["findings"] if f["requirement"] == requirement]
        if not found:
            raise KeyError(f"no finding for requirement {requirement!r}")
        applicable = [f for f in found if f["status"] != Status.NOT_APPLICABLE.value]
        result: dict[str, Any] = (applicable or found)[0]
        return result

    def status(self, requirement: str) -> Status:
        """The status of a requirement's finding."""
        return Status(self.finding(requirement)["status"])

    def to_json(self) -> str:
        """The core's canonical report JSON."""
        return self._json

    def to_dict(self) -> dict[str, Any]:
        """The report as dicts and lists (decimals as strings)."""
        result: dict[str, Any] = json.loads(self._json)
        return result

    def __eq__(self, other: object) -> bool:
        """Reports are equal when their canonical JSON is."""
        return isinstance(other, ComplianceReport) and other._json == self._json

    def __hash__(self) -> int:
        """Hash of the canonical JSON."""
        return hash(self._json)

    def __repr__(self) -> str:
        """``<ComplianceReport cz-001 changzhou_2022_2024 as of 2024-03-01 pass=.. fail=..>``."""
        counts = " ".join(f"{k}={v}" for k, v in self.counts.items())
        return f"<ComplianceReport {self.school['id']} {self.pack[0]} as of {self.as_of} {counts}>"


class ComplianceResult:
    """Many schools checked against one pack as of one day: reports, findings rows and the roll-up.

    :attr:`findings` and :attr:`rollup` are pandas DataFrames (pandas is imported when you ask);
    :attr:`rows` and :meth:`rollup_dict` give the same data as plain lists and dicts.
    """

    __slots__ = ("_rollup", "reports", "rows")

    reports: list[ComplianceReport]
    rows: list[dict[str, Any]]

    def __init__(self, reports: list[str], rows_json: str, rollup_json: str) -> None:
        """Wrap the core's outputs (use :func:`check`)."""
        self.reports = [ComplianceReport(r) for r in reports]
        self.rows = list(json.loads(rows_json))
        self._rollup: dict[str, Any] = json.loads(rollup_json)

    def rollup_dict(self) -> dict[str, Any]:
        """The core's roll-up document: ``{"pack", "as_of", "city": {...}, "districts": [...]}``."""
        result: dict[str, Any] = json.loads(json.dumps(self._rollup))  # a copy
        return result

    @property
    def findings(self) -> pd.DataFrame:
        """One row per school × requirement (reports in order, requirements in pack order).

        Columns: ``school``, ``district``, ``requirement``, ``version``, ``clause``,
        ``severity``, ``method``, ``status`` (categorical: pass, fail, not_applicable,
        insufficient_evidence), ``measured``, ``required``, ``shortfall`` (exact
        :class:`~decimal.Decimal`, ``None`` where absent), ``unit``, ``failed_units``, ``missing_units``.
        """
        import pandas as pd

        cols = ["school", "district", "requirement", "version", "clause", "severity", "method", "status"]
        cols += ["measured", "required", "shortfall", "unit", "failed_units", "missing_units"]
        data: dict[str, Any] = {c: [r.get(c) for r in self.rows] for c in cols}
        for c in ("measured", "required", "shortfall"):
            data[c] = pd.array([_dec(v) for v in data[c]], dtype=object)
        data["status"] = pd.Categorical(data["status"], categories=list(STATUS_NAMES))
        data["severity"] = pd.Categorical(data["severity"], categories=[s.value for s in Severity], ordered=True)
        for c in ("failed_units", "missing_units"):
            data[c] = pd.array(data[c], dtype="int64")
        return pd.DataFrame(data, columns=cols)

    @property
    def rollup(self) -> pd.DataFrame:
        """One row per group (``city`` first, then each district) × requirement.

        Columns: ``group``, ``schools``, ``requirement``, ``version``, ``clause``, ``severity``,
        ``method``, ``applicable``, ``pass``, ``fail``, ``insufficient_evidence``,
        ``not_applicable``, ``compliance_rate`` (pass / applicable as a percentage, 1 decimal rounded down, exact;
        ``None`` when nothing applies),
        ``failing_schools``, ``insufficient_schools`` (lists of school ids) and ``worst_gaps``
        (list of ``{"school", "measured", "required", "shortfall", "failed_units"}``).
        """
        import pandas as pd

        counts = ["applicable", "pass", "fail", "insufficient_evidence", "not_applicable"]
        rows = []
        for g in [self._rollup["city"], *self._rollup["districts"]]:
            for r in g["requirements"]:
                row: dict[str, Any] = {"group": g["name"], "schools": g["schools"]}
                for k in ("requirement", "version", "clause", "severity", "method"):
                    row[k] = r[k]
                for k in counts:
                    row[k] = r[k]
                row["compliance_rate"] = _dec(r.get("compliance_rate"))
                for k in ("failing_schools", "insufficient_schools", "worst_gaps"):
                    row[k] = list(r.get(k, []))
                rows.append(row)
        cols = ["group", "schools", "requirement", "version", "clause", "severity", "method", *counts]
        cols += ["compliance_rate", "failing_schools", "insufficient_schools", "worst_gaps"]
        df = pd.DataFrame(rows, columns=cols)
        df["severity"] = pd.Categorical(df["severity"], categories=[s.value for s in Severity], ordered=True)
        return df

    def __repr__(self) -> str:
        """School and row counts."""
        return f"<ComplianceResult {len(self.reports)} schools, {len(self.rows)} findings>"


def check_school(pack: Union[RequirementPack, str], facts: Facts, as_of: Day) -> ComplianceReport:
    """Check one school's facts against ``pack`` (a :class:`RequirementPack` or a built-in id) as of ``as_of``.

    Raises :class:`~changkaixin.FactsError` (``facts.*``, with a JSON pointer) for facts that
    do not parse or contradict themselves, :class:`~changkaixin.TimeError` for a bad day.
    """
    return ComplianceReport(_pack(pack)._native.check(_text(facts), _day(as_of)))


def check(
    pack: Union[RequirementPack, str],
    facts: Union[Facts, Sequence[Facts]],
    as_of: Day,
) -> ComplianceResult:
    """Check one school's facts or many schools' against ``pack`` as of ``as_of``; findings and roll-ups.

    ``facts`` is one facts document (dict or JSON text) or a sequence of them. Returns a
    :class:`ComplianceResult`: ``.reports`` (one :class:`ComplianceReport` per school),
    ``.findings`` (DataFrame, one row per school × requirement) and ``.rollup`` (DataFrame, one
    row per city/district × requirement). Facts that fail raise :class:`~changkaixin.FactsError`
    with ``row`` = the school's index. The GIL is released while the core works.
    """
    many = [facts] if isinstance(facts, (Mapping, str, bytes)) else list(facts)
    reports, rows, rollup = _pack(pack)._native.check_many([_text(f) for f in many], _day(as_of))
    return ComplianceResult(reports, rows, rollup)
