"""HL7 FHIR R4 interoperability: Questionnaire import, QuestionnaireResponse scoring, Observation export."""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Optional, Union

from . import _core
from ._instrument import Instrument
from ._report import ScoreReport

__all__ = [
    "ScoredQuestionnaireResponse",
    "bind_questionnaire",
    "StoredTotal",
    "export_observation",
    "import_questionnaire",
    "score_questionnaire_response",
    "score_questionnaire_response_detailed",
]

Resource = Union[str, bytes, Mapping[str, Any]]


def _text(resource: Resource) -> str:
    if isinstance(resource, bytes):
        return resource.decode("utf-8")
    if isinstance(resource, str):
        return resource
    return json.dumps(resource, ensure_ascii=False)


def import_questionnaire(questionnaire: Resource) -> dict[str, Any]:
    """Import a FHIR ``Questionnaire`` into an instrument spec skeleton (a dict).

    Items, options with their codings and a ``total`` sum scale over weighted items
    are imported; bands, flags and citations are for the author to add. Load the
    result with :meth:`changkaixin.Instrument.from_dict`. Raises :class:`~changkaixin.FhirError`.
    """
    result: dict[str, Any] = json.loads(_core.import_questionnaire(_text(questionnaire)))
    return result


def bind_questionnaire(instrument: Instrument, questionnaire: Resource) -> Instrument:
    r"""Bind a FHIR ``Questionnaire`` to ``instrument`` (e.g. the built-in PHQ-9).

    The result is the same instrument — id, version, bands, flags, screen rule — reading that
    Questionnaire's linkIds and answer codings, so its ``QuestionnaireResponse``\ s get the
    instrument's bands and flags. Items pair by code (else in order), options by weight = scored
    value; anything that does not line up is :class:`~changkaixin.FhirError` ``fhir.incompatible``.
    Pass the file's text: FHIR decimals are read from their literal text.
    """
    return Instrument(_core.bind_questionnaire(instrument._native, _text(questionnaire)))


def score_questionnaire_response(instrument: Instrument, response: Resource) -> ScoreReport:
    """Score a FHIR ``QuestionnaireResponse`` against ``instrument`` by linkId.

    An unknown linkId or an answer coding that is not an option is an error; a stored
    total (a calculated item) is ignored and recomputed.
    """
    return ScoreReport(_core.score_questionnaire_response(instrument._native, _text(response)))


@dataclass(frozen=True)
class StoredTotal:
    """A total stored in a ``QuestionnaireResponse`` (a calculated item's answer), next to the recomputed value.

    It is only ever compared, never used. ``status`` is ``"agrees"``, ``"disagrees"`` or
    ``"not_compared"`` (not a readable number, not linked to a scale, or the scale unscored).
    """

    link_id: str
    path: str
    scale: Optional[str]
    stored: Optional[Decimal]
    recomputed: Optional[Decimal]
    status: str

    def to_dict(self) -> dict[str, Any]:
        """The core's serialised shape (absent fields left out, decimals as their exact strings)."""
        d: dict[str, Any] = {"link_id": self.link_id, "path": self.path}
        if self.scale is not None:
            d["scale"] = self.scale
        if self.stored is not None:
            d["stored"] = str(self.stored)
        if self.recomputed is not None:
            d["recomputed"] = str(self.recomputed)
        d["status"] = self.status
        return d


@dataclass(frozen=True)
class ScoredQuestionnaireResponse:
    """A scored ``QuestionnaireResponse``: the engine's report and every stored total it found."""

    report: ScoreReport
    stored_totals: list[StoredTotal]


def score_questionnaire_response_detailed(instrument: Instrument, response: Resource) -> ScoredQuestionnaireResponse:
    """Like :func:`score_questionnaire_response`, and report each stored total against the recomputed scale."""
    report, stored = _core.score_questionnaire_response_detailed(instrument._native, _text(response))
    totals = [
        StoredTotal(
            s["link_id"],
            s["path"],
            s.get("scale"),
            None if s.get("stored") is None else Decimal(s["stored"]),
            None if s.get("recomputed") is None else Decimal(s["recomputed"]),
            str(s["status"]),
        )
        for s in json.loads(stored)
    ]
    return ScoredQuestionnaireResponse(ScoreReport(report), totals)


def export_observation(
    instrument: Instrument,
    report: ScoreReport,
    scale_id: str,
    subject: str,
    effective: Union[_dt.datetime, str],
) -> dict[str, Any]:
    """Export one scored scale of ``report`` as a FHIR ``Observation`` (a dict).

    The report is verified against ``instrument`` by the core first (an edited report raises
    :class:`~changkaixin.EvidenceError` and is never exported).

    ``subject`` is a reference such as ``"Patient/pseudonym-123"``; ``effective`` a
    timezone-aware datetime or RFC 3339 string. The code is the spec's observation
    code for that scale (LOINC where known, e.g. 44261-6 for the PHQ-9 total).
    """
    eff = effective.isoformat() if isinstance(effective, _dt.datetime) else effective
    result: dict[str, Any] = json.loads(
        _core.export_observation(instrument._native, report.to_json(), scale_id, subject, eff)
    )
    return result
