"""Alert tiers (三级预警, 常教办〔2021〕90号 二(三)9–11): policy, one student, many students.

Thin wrappers over the core's alert engine. Evidence and decisions are open-ended
documents, so they cross as ``dict`` / ``list`` (the core's documented JSON shapes).

A screening carries either the **answers** — ``{"at": ..., "instrument": inst,
"response": {"answers": {...}}}``, scored by the engine with that instrument id and
version (an :class:`~changkaixin.Instrument` may stand for its ``{"id", "version",
"settings"}``) — or a **report** (a :class:`~changkaixin.ScoreReport` or its dict), which
the core verifies against the policy's catalog before using it: a report is never
trusted, whichever way it arrives. Time is always an input: pass timezone-aware
datetimes or RFC 3339 strings.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

import numpy as np
import numpy.typing as npt

from . import _core
from ._errors import ChangkaixinError, _from_core
from ._instrument import Catalog, Instrument, Timestamp
from ._report import Localized, ScoreReport

__all__ = ["AlertBatch", "AlertDecision", "AlertPolicy", "Evidence"]

#: One student's evidence: a dict in the core's ``StudentEvidence`` shape, or its JSON text.
Evidence = Union[Mapping[str, Any], str]


def _default(o: object) -> Any:
    if isinstance(o, ScoreReport):
        return o.to_dict()
    if isinstance(o, Instrument):
        # The instrument of an answers-carrying screening: the engine scores with this id and version.
        ref: dict[str, Any] = {"id": o.id, "version": o.version}
        if o.settings:
            ref["settings"] = o.settings
        return ref
    if isinstance(o, _dt.datetime):
        return o.isoformat()
    raise TypeError(f"{type(o).__name__} is not JSON serialisable in alert evidence")


def _evidence(e: Evidence) -> str:
    return e if isinstance(e, str) else json.dumps(e, ensure_ascii=False, default=_default)


def _at(t: Timestamp) -> str:
    if isinstance(t, _dt.datetime):
        return t.isoformat()
    if isinstance(t, str):
        return t
    raise TypeError(f"expected a datetime or an RFC 3339 string, not {type(t).__name__}")


class AlertDecision:
    """The engine's proposal for one student.

    The tier, every rule that fired with its sources, actions and notifications with due
    times, and a summary. A named person must confirm it or override it with a reason.
    """

    __slots__ = ("_json", "_d")

    def __init__(self, decision_json: str) -> None:
        """Wrap the core's canonical decision JSON."""
        self._json = decision_json
        self._d: dict[str, Any] = json.loads(decision_json)

    @property
    def student(self) -> str:
        """The student's pseudonymous id."""
        return str(self._d["student"])

    @property
    def tier(self) -> str:
        """The proposed tier id, e.g. ``"key"``."""
        return str(self._d["tier"]["id"])

    @property
    def tier_index(self) -> int:
        """The proposed tier's index (0 = lowest)."""
        return int(self._d["tier"]["index"])

    @property
    def change(self) -> str:
        """How the tier moved (``"unchanged"``, ``"raised"``, ...)."""
        return str(self._d["change"])

    @property
    def rule_tier(self) -> str:
        """The tier the rules alone imply now (the proposed tier may be held above it)."""
        return str(self._d["rule_tier"]["id"])

    @property
    def held_by(self) -> Optional[dict[str, Any]]:
        """Why the tier is held above what the rules imply, and its grounds, or ``None``.

        A held (or one-step lowered) tier has no fired rule at its level, so it cites what it
        rests on: ``reason`` (``"awaiting_review"``, ``"review_kept_tier"``, ...), ``raised_by``
        (the rules that raised the tier in force, when, with their sources), ``tier_sources``,
        ``dwell_until`` and ``review_by``.
        """
        h = self._d.get("held_by")
        return None if h is None else dict(h)

    @property
    def hold_reason(self) -> Optional[str]:
        """``held_by["reason"]``, or ``None`` when the tier is not held."""
        h = self._d.get("held_by")
        return None if h is None else str(h["reason"])

    def previous_tier(self, confirmed_by: Optional[Mapping[str, str]] = None) -> dict[str, Any]:
        """The ``previous`` record for the student's next evidence, once a person confirmed this decision.

        ``confirmed_by`` is ``{"name": ..., "role": ...}``. The record keeps the rules that raised
        the tier (and when), so a later decision that holds the tier can still cite them (the
        core's ``PreviousTier::from_decision``).
        """
        by = None if confirmed_by is None else json.dumps(dict(confirmed_by), ensure_ascii=False)
        result: dict[str, Any] = json.loads(_core.previous_tier(self._json, by))
        return result

    @property
    def fired_rules(self) -> list[dict[str, Any]]:
        """Every rule that fired, in policy order, with its evidence and sources."""
        return list(self._d["fired_rules"])

    @property
    def rule_ids(self) -> list[str]:
        """Ids of the rules that fired."""
        return [str(r["rule"]) for r in self._d["fired_rules"]]

    @property
    def actions(self) -> list[dict[str, Any]]:
        """Actions with due times."""
        return list(self._d["actions"])

    @property
    def notifications(self) -> list[dict[str, Any]]:
        """Notifications with due times."""
        return list(self._d["notifications"])

    @property
    def summary(self) -> Localized:
        """Plain-language summary in Chinese and English."""
        s = self._d["summary"]
        return Localized(s.get("zh"), s.get("en"))

    def to_dict(self) -> dict[str, Any]:
        """The canonical decision as dicts and lists."""
        result: dict[str, Any] = json.loads(self._json)
        return result

    def to_json(self) -> str:
        """The core's canonical decision JSON."""
        return self._json

    def __eq__(self, other: object) -> bool:
        """Decisions are equal when their canonical JSON is."""
        return isinstance(other, AlertDecision) and other._json == self._json

    def __hash__(self) -> int:
        """Hash of the canonical JSON."""
        return hash(self._json)

    def __repr__(self) -> str:
        """``<AlertDecision s-0001 key (raised) rules=...>``."""
        held = "" if self.hold_reason is None else f" held_by={self.hold_reason}"
        return (
            f"<AlertDecision {self.student} {self.tier} ({self.change}) rules={','.join(self.rule_ids) or '-'}{held}>"
        )


class AlertBatch:
    """Decisions for many students: tier per row, tier counts, overdue obligations, refused evidence."""

    __slots__ = ("_json", "_d", "decisions")

    decisions: list[AlertDecision]

    def __init__(self, batch_json: str) -> None:
        """Wrap the core's batch JSON."""
        self._json = batch_json
        self._d: dict[str, Any] = json.loads(batch_json)
        self.decisions = [AlertDecision(json.dumps(d, ensure_ascii=False)) for d in self._d.get("decisions", [])]

    @property
    def tiers(self) -> list[str]:
        """Tier ids by index (the legend for :meth:`tier_column`)."""
        return list(self._d["tiers"])

    @property
    def rules(self) -> list[str]:
        """Rule ids by index."""
        return list(self._d["rules"])

    @property
    def rows(self) -> list[Optional[dict[str, Any]]]:
        """One tier outcome per student in input order (``None`` where the evidence was refused)."""
        return list(self._d["rows"])

    @property
    def tier_counts(self) -> dict[str, int]:
        """Students per tier, lowest tier first (refused students are not counted)."""
        return {c["tier"]: int(c["count"]) for c in self._d["tier_counts"]}

    @property
    def obligations(self) -> list[dict[str, Any]]:
        """Obligations by index (the legend for ``overdue[i]["obligation"]``): kind, id, roles."""
        return list(self._d["obligations"])

    @property
    def overdue(self) -> list[dict[str, Any]]:
        """Obligations past their due time (``row``, ``obligation`` index, ``due_at``), sorted by due time and row."""
        return list(self._d["overdue"])

    @property
    def errors(self) -> list[ChangkaixinError]:
        """Refused evidence, as exceptions carrying ``row``."""
        out = []
        for e in self._d["errors"]:
            err = e["error"]
            code = str(err["code"])
            out.append(_from_core(code, code.split(".")[0], err["path"], err.get("item"), e["row"], err["message"]))
        return out

    def tier_column(self) -> npt.NDArray[np.int8]:
        """Proposed tier index per student (``int8``; -1 where the evidence was refused)."""
        return np.array([-1 if r is None else int(r["tier"]) for r in self._d["rows"]], dtype=np.int8)

    def to_dict(self) -> dict[str, Any]:
        """The canonical batch result as dicts and lists."""
        result: dict[str, Any] = json.loads(self._json)
        return result

    def to_json(self) -> str:
        """The core's canonical batch JSON."""
        return self._json

    def __repr__(self) -> str:
        """Tier counts, overdue and refused counts."""
        return f"<AlertBatch {self.tier_counts} overdue={len(self._d['overdue'])} refused={len(self._d['errors'])}>"


class AlertPolicy:
    """A linted, compiled alert policy (``changkaixin.alert-policy/1``).

    Tiers, rules with sources, actions, deadlines and reviews. Immutable and thread-safe.
    """

    __slots__ = ("_native",)

    def __init__(self, native: _core.NativePolicy) -> None:
        """Wrap a native handle (use :meth:`changzhou_default` or :meth:`from_json`)."""
        self._native = native

    @classmethod
    def changzhou_default(cls) -> AlertPolicy:
        """The built-in Changzhou default policy."""
        return cls(_core.NativePolicy.changzhou_default())

    @classmethod
    def from_json(cls, text: str, catalog: Optional[Catalog] = None) -> AlertPolicy:
        """Parse, lint and compile policy JSON against ``catalog`` (default: built-in); raises ``PolicyError``."""
        return cls(_core.NativePolicy.from_json(text, None if catalog is None else catalog._native))

    @classmethod
    def from_dict(cls, policy: Mapping[str, Any], catalog: Optional[Catalog] = None) -> AlertPolicy:
        """Like :meth:`from_json` for a parsed policy."""
        return cls.from_json(json.dumps(policy, ensure_ascii=False), catalog)

    @staticmethod
    def lint(text: str, catalog: Optional[Catalog] = None) -> list[ChangkaixinError]:
        """Every lint problem of a policy (empty when sound); a parse error raises :class:`~changkaixin.PolicyError`."""
        return [_from_core(*p) for p in _core.NativePolicy.lint(text, None if catalog is None else catalog._native)]

    @property
    def id(self) -> str:
        """Policy id."""
        return self._native.id

    @property
    def version(self) -> str:
        """Policy version."""
        return self._native.version

    @property
    def tiers(self) -> list[str]:
        """Tier ids, lowest first."""
        return self._native.tier_ids()

    @property
    def rules(self) -> list[str]:
        """Rule ids in policy order."""
        return self._native.rule_ids()

    def to_json(self) -> str:
        """The policy as written (canonical JSON)."""
        return self._native.policy_json()

    def to_dict(self) -> dict[str, Any]:
        """The policy as dicts and lists."""
        result: dict[str, Any] = json.loads(self._native.policy_json())
        return result

    def evaluate(self, evidence: Evidence, at: Timestamp) -> AlertDecision:
        """Propose a tier for one student at time ``at``; raises :class:`~changkaixin.EvidenceError`."""
        return AlertDecision(self._native.evaluate(_evidence(evidence), _at(at)))

    def evaluate_batch(
        self,
        students: Sequence[Evidence],
        at: Timestamp,
        overdue_at: Optional[Timestamp] = None,
        decisions: str = "none",
    ) -> AlertBatch:
        """Tiers for many students at ``at`` (GIL released), with tier counts and overdue obligations.

        ``decisions`` chooses which full decisions to build: ``"none"`` (fast), ``"flagged"``
        (above the lowest tier or changed) or ``"all"``. Evidence the engine refuses is listed
        in :attr:`AlertBatch.errors`; evidence that is not valid JSON of the right shape raises.
        """
        texts = [_evidence(s) for s in students]
        return AlertBatch(
            self._native.evaluate_batch(texts, _at(at), None if overdue_at is None else _at(overdue_at), decisions)
        )

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the policy's JSON (parsed, linted and compiled again against the built-in catalog)."""
        return (AlertPolicy.from_json, (self.to_json(),))

    def __repr__(self) -> str:
        """``AlertPolicy('changzhou_default', version='1.0.0')``."""
        return f"AlertPolicy({self.id!r}, version={self.version!r})"
