"""changkaixin: exact scoring of student mental-health screening instruments (青果·常开心).

A thin Python binding of the Rust core ``changkaixin-core``: every rule (reverse keys,
prorating, rounding, bands, flags, norms) lives in the core and is the same in every
language. Decimals are exact (:class:`decimal.Decimal`); batch scoring reads numpy
arrays in place and releases the GIL.

>>> import changkaixin
>>> phq9 = changkaixin.catalog().instrument("phq9")
>>> report = phq9.score({1: 1, 2: 2, 3: 1, 4: 2, 5: 1, 6: 1, 7: 1, 8: 2, 9: 1})
>>> report.scale("total").raw, report.scale("total").band.id, report.flag_verdict("item9_self_harm")
(Decimal('12'), 'moderate', <Verdict.POSITIVE: 'positive'>)
"""

from __future__ import annotations

from . import archive, arrow, compliance, fhir, report
from ._alert import AlertBatch, AlertDecision, AlertPolicy, Evidence
from ._batch import UNSCORED, VALIDITY_NAMES, BatchResult
from ._core import core_version as _core_version
from ._enums import VERDICT_NAMES, ErrorCode, FlagLevel, Severity, ValidityStatus, ValidityVerdict, Verdict
from ._errors import (
    ArchiveError,
    BatchError,
    CatalogError,
    ChangkaixinError,
    ComplianceError,
    EvidenceError,
    FactsError,
    FhirError,
    PolicyError,
    PrivacyError,
    ReportError,
    ScoreError,
    SpecError,
    TimeError,
)
from ._frame import score_frame
from ._instrument import Answers, Catalog, CodeMap, CodeMapLike, Groups, Instrument, ReportLike, Timestamp, catalog
from ._report import (
    Band,
    FlagResult,
    InstrumentRef,
    ItemCounts,
    Localized,
    ScaleResult,
    ScoreReport,
    ScreenPositive,
    Validity,
    ValidityReason,
)
from .fhir import bind_questionnaire, export_observation, import_questionnaire, score_questionnaire_response

#: Version of the Rust core this package was built from.
__core_version__: str = _core_version()
#: Package version.
__version__: str = __core_version__

__all__ = [
    "UNSCORED",
    "AlertBatch",
    "AlertDecision",
    "AlertPolicy",
    "Evidence",
    "ReportLike",
    "VALIDITY_NAMES",
    "VERDICT_NAMES",
    "Answers",
    "ArchiveError",
    "Band",
    "BatchError",
    "BatchResult",
    "Catalog",
    "CatalogError",
    "CodeMap",
    "CodeMapLike",
    "ChangkaixinError",
    "ComplianceError",
    "ErrorCode",
    "EvidenceError",
    "FactsError",
    "ReportError",
    "FhirError",
    "FlagLevel",
    "FlagResult",
    "Groups",
    "Instrument",
    "InstrumentRef",
    "ItemCounts",
    "Localized",
    "PolicyError",
    "PrivacyError",
    "ScaleResult",
    "ScoreError",
    "ScoreReport",
    "ScreenPositive",
    "Severity",
    "SpecError",
    "TimeError",
    "Timestamp",
    "Validity",
    "ValidityReason",
    "ValidityStatus",
    "ValidityVerdict",
    "Verdict",
    "bind_questionnaire",
    "archive",
    "arrow",
    "catalog",
    "compliance",
    "export_observation",
    "fhir",
    "import_questionnaire",
    "report",
    "score_frame",
    "score_questionnaire_response",
]
