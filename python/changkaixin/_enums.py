"""String-valued enums for closed sets of the core (error codes, statuses, levels).

Each member *is* its wire string (``ErrorCode.SCORE_UNKNOWN_OPTION == "score.unknown_option"``),
so they compare equal to the strings in JSON reports and golden vectors.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["VERDICT_NAMES", "ErrorCode", "FlagLevel", "Severity", "ValidityStatus", "ValidityVerdict", "Verdict"]


class _StrEnum(str, Enum):
    """A ``str`` enum whose ``str()`` is the wire value."""

    def __str__(self) -> str:
        """The wire value."""
        return str(self.value)


class ErrorCode(_StrEnum):
    """Every stable error code of the core (``changkaixin_core::ErrorCode::ALL``).

    Codes never change meaning once published; new ones are only added. The part
    before the dot is the category, which picks the exception class.
    """

    SPEC_PARSE = "spec.parse"
    SPEC_UNSUPPORTED_FORMAT = "spec.unsupported_format"
    SPEC_DUPLICATE_ID = "spec.duplicate_id"
    SPEC_UNKNOWN_ITEM = "spec.unknown_item"
    SPEC_UNKNOWN_SCALE = "spec.unknown_scale"
    SPEC_UNKNOWN_FLAG = "spec.unknown_flag"
    SPEC_BAD_OPTIONS = "spec.bad_options"
    SPEC_REVERSE_OUTSIDE_OPTIONS = "spec.reverse_outside_options"
    SPEC_BAND_OVERLAP = "spec.band_overlap"
    SPEC_BAND_GAP = "spec.band_gap"
    SPEC_BAND_INDEX = "spec.band_index"
    SPEC_NORMS_NOT_MONOTONIC = "spec.norms_not_monotonic"
    SPEC_NORMS_INCOMPLETE = "spec.norms_incomplete"
    SPEC_INVALID_VALUE = "spec.invalid_value"
    SPEC_BAD_SCALE = "spec.bad_scale"
    SPEC_UNKNOWN_SETTING = "spec.unknown_setting"
    SPEC_LIMIT_EXCEEDED = "spec.limit_exceeded"
    SCORE_PARSE = "score.parse"
    SCORE_UNKNOWN_ITEM = "score.unknown_item"
    SCORE_UNKNOWN_OPTION = "score.unknown_option"
    SCORE_WRONG_ITEM_COUNT = "score.wrong_item_count"
    SCORE_DUPLICATE_ANSWER = "score.duplicate_answer"
    SCORE_NORM_GROUP_NOT_FOUND = "score.norm_group_not_found"
    SCORE_INVALID_TIME = "score.invalid_time"
    SCORE_CODE_MAP_INVALID = "score.code_map_invalid"
    SCORE_CODE_MAP_NOT_BIJECTIVE = "score.code_map_not_bijective"
    SCORE_CODE_MAP_MISMATCH = "score.code_map_mismatch"
    BATCH_SHAPE = "batch.shape"
    BATCH_UNKNOWN_OPTION = "batch.unknown_option"
    BATCH_UNKNOWN_GROUP = "batch.unknown_group"
    CATALOG_UNKNOWN_INSTRUMENT = "catalog.unknown_instrument"
    FHIR_PARSE = "fhir.parse"
    FHIR_UNSUPPORTED = "fhir.unsupported"
    FHIR_UNKNOWN_LINK_ID = "fhir.unknown_link_id"
    FHIR_UNKNOWN_ANSWER = "fhir.unknown_answer"
    FHIR_ITEM_TYPE = "fhir.item_type"
    FHIR_ENABLE_WHEN = "fhir.enable_when"
    FHIR_REPEATS = "fhir.repeats"
    FHIR_NESTED_ITEM = "fhir.nested_item"
    FHIR_VALUE_SET = "fhir.value_set"
    FHIR_INVALID_WEIGHT = "fhir.invalid_weight"
    FHIR_PARTIAL_WEIGHTS = "fhir.partial_weights"
    FHIR_NO_SCORED_ITEMS = "fhir.no_scored_items"
    FHIR_UNBOUNDED_NUMERIC = "fhir.unbounded_numeric"
    FHIR_DUPLICATE_LINK_ID = "fhir.duplicate_link_id"
    FHIR_MULTIPLE_ANSWERS = "fhir.multiple_answers"
    FHIR_ANSWER_TYPE = "fhir.answer_type"
    FHIR_INVALID_VALUE = "fhir.invalid_value"
    FHIR_RESPONSE_STATUS = "fhir.response_status"
    FHIR_LIMIT = "fhir.limit"
    FHIR_INCOMPATIBLE = "fhir.incompatible"
    POLICY_PARSE = "policy.parse"
    POLICY_LINT = "policy.lint"
    POLICY_UNSUPPORTED_FORMAT = "policy.unsupported_format"
    POLICY_UNKNOWN_INSTRUMENT = "policy.unknown_instrument"
    POLICY_UNKNOWN_SCALE = "policy.unknown_scale"
    POLICY_UNKNOWN_BAND = "policy.unknown_band"
    POLICY_UNKNOWN_FLAG = "policy.unknown_flag"
    POLICY_UNKNOWN_REF = "policy.unknown_ref"
    POLICY_UNREACHABLE_TIER = "policy.unreachable_tier"
    POLICY_MISSING_DEADLINE = "policy.missing_deadline"
    POLICY_MISSING_SOURCE = "policy.missing_source"
    POLICY_DUPLICATE_ID = "policy.duplicate_id"
    POLICY_INVALID_VALUE = "policy.invalid_value"
    POLICY_LIMIT_EXCEEDED = "policy.limit_exceeded"
    POLICY_UNREVIEWABLE_RULE = "policy.unreviewable_rule"
    EVIDENCE_INVALID = "evidence.invalid"
    EVIDENCE_UNKNOWN_INSTRUMENT = "evidence.unknown_instrument"
    EVIDENCE_VERSION_MISMATCH = "evidence.version_mismatch"
    EVIDENCE_UNKNOWN_SETTING = "evidence.unknown_setting"
    EVIDENCE_OUT_OF_RANGE = "evidence.out_of_range"
    EVIDENCE_REPORT_INCONSISTENT = "evidence.report_inconsistent"
    TIME_INVALID = "time.invalid"
    COMPLIANCE_PARSE = "compliance.parse"
    COMPLIANCE_UNSUPPORTED_FORMAT = "compliance.unsupported_format"
    COMPLIANCE_UNKNOWN_METRIC = "compliance.unknown_metric"
    COMPLIANCE_BAD_CHECK = "compliance.bad_check"
    COMPLIANCE_IMPOSSIBLE_THRESHOLD = "compliance.impossible_threshold"
    COMPLIANCE_MISSING_SOURCE = "compliance.missing_source"
    COMPLIANCE_OVERLAPPING_VERSIONS = "compliance.overlapping_versions"
    COMPLIANCE_UNKNOWN_REF = "compliance.unknown_ref"
    COMPLIANCE_DUPLICATE_ID = "compliance.duplicate_id"
    COMPLIANCE_INVALID_VALUE = "compliance.invalid_value"
    COMPLIANCE_ROLLUP_MISMATCH = "compliance.rollup_mismatch"
    FACTS_PARSE = "facts.parse"
    FACTS_UNSUPPORTED_FORMAT = "facts.unsupported_format"
    FACTS_INVALID = "facts.invalid"
    FACTS_UNKNOWN_REF = "facts.unknown_ref"
    FACTS_DUPLICATE_ID = "facts.duplicate_id"
    ARCHIVE_PARSE = "archive.parse"
    ARCHIVE_UNKNOWN_SCHEMA = "archive.unknown_schema"
    ARCHIVE_UNSUPPORTED_VERSION = "archive.unsupported_version"
    ARCHIVE_MISSING_FIELD = "archive.missing_field"
    ARCHIVE_UNKNOWN_FIELD = "archive.unknown_field"
    ARCHIVE_INVALID_TYPE = "archive.invalid_type"
    ARCHIVE_INVALID_VALUE = "archive.invalid_value"
    ARCHIVE_EMPTY = "archive.empty"
    ARCHIVE_TIME_ORDER = "archive.time_order"
    ARCHIVE_REQUIRED_WHEN = "archive.required_when"
    ARCHIVE_INCONSISTENT = "archive.inconsistent"
    ARCHIVE_BAD_REFERENCE = "archive.bad_reference"
    ARCHIVE_REPORT_MISMATCH = "archive.report_mismatch"
    PRIVACY_INVALID = "privacy.invalid"
    PRIVACY_OUT_OF_SCOPE = "privacy.out_of_scope"
    PRIVACY_SHARE_REFUSED = "privacy.share_refused"
    REPORT_PARSE = "report.parse"
    REPORT_SHAPE = "report.shape"
    REPORT_INVALID_CODE = "report.invalid_code"
    REPORT_OVERFLOW = "report.overflow"
    REPORT_UNPROTECTABLE = "report.unprotectable"

    @property
    def category(self) -> str:
        """The family of the code (the part before the dot), e.g. ``"score"``."""
        return str(self.value).split(".", 1)[0]


class ValidityStatus(_StrEnum):
    """Overall validity of a scored response."""

    VALID = "valid"
    INCOMPLETE = "incomplete"
    INVALID = "invalid"


class ValidityVerdict(_StrEnum):
    """The verdict of one validity reason."""

    NOTE = "note"
    INCOMPLETE = "incomplete"
    INVALID = "invalid"


class Severity(_StrEnum):
    """Coarse cross-instrument severity of a band (for dashboards; rules use band ids and indices)."""

    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    HIGH = "high"
    SEVERE = "severe"


class FlagLevel(_StrEnum):
    """How urgent a flag is."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Verdict(_StrEnum):
    """A three-valued screen or flag verdict: ``"negative"``, ``"positive"`` or ``"indeterminate"``.

    *Indeterminate* means the answers given cannot decide it (an item it depends on is
    missing or refused; the report names them in ``missing_items`` / ``refused_items``).
    It is **not** negative: treat it as "ask again / follow up", never as "no".

    Batch columns carry the codes (:attr:`code`): **0 negative, 1 positive,
    2 indeterminate**, the same in every binding (``Verdict.from_code``). Note that
    ``bool(code)`` is true for indeterminate, the safe direction.

    A verdict has no truth value: ``if verdict:`` raises :class:`TypeError` (as a non-empty
    ``str`` it would otherwise read *true* even for ``"negative"``). Compare explicitly:
    ``verdict is Verdict.POSITIVE`` or ``verdict != Verdict.NEGATIVE``.
    """

    NEGATIVE = "negative"
    POSITIVE = "positive"
    INDETERMINATE = "indeterminate"

    @property
    def code(self) -> int:
        """The batch code: 0 negative, 1 positive, 2 indeterminate."""
        return VERDICT_NAMES.index(self.value)

    @classmethod
    def from_code(cls, code: int) -> Verdict:
        """The verdict with batch code ``code`` (0, 1 or 2); ``ValueError`` otherwise."""
        c = int(code)
        if not 0 <= c < len(VERDICT_NAMES):
            raise ValueError(f"{code!r} is not a verdict code (0 negative, 1 positive, 2 indeterminate)")
        return cls(VERDICT_NAMES[c])

    def __bool__(self) -> bool:
        """Refused: a verdict is three-valued; compare it with a member instead."""
        raise TypeError(
            f"a Verdict has no truth value ({self.value!r}); compare it explicitly, "
            "e.g. `v is Verdict.POSITIVE` or `v != Verdict.NEGATIVE` (indeterminate is not negative)"
        )


#: Verdict names by batch code: ``VERDICT_NAMES[code]`` (0 negative, 1 positive, 2 indeterminate).
VERDICT_NAMES: tuple[str, str, str] = ("negative", "positive", "indeterminate")
