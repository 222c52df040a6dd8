"""String-valued enums for closed sets of the core (error codes, statuses, levels).

Each member *is* its wire string (``ErrorCode.SCORE_UNKNOWN_OPTION == "score.unknown_option"``),
so they compare equal to the strings in JSON reports and golden vectors.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["ErrorCode", "FlagLevel", "Severity", "ValidityStatus", "ValidityVerdict"]


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
