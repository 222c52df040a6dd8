"""The exception hierarchy: one root, one class per error category.

Every exception raised for bad input carries the core's stable ``code`` (an
:class:`~changkaixin.ErrorCode`, which is a ``str``), a ``path`` saying where the
problem is, and where it applies the ``item`` number and batch ``row``.
Validation errors also subclass :class:`ValueError`; an unknown catalog id also
subclasses :class:`LookupError`.
"""

from __future__ import annotations

from typing import Optional, Union

from ._enums import ErrorCode

__all__ = [
    "BatchError",
    "CatalogError",
    "ChangkaixinError",
    "ComplianceError",
    "EvidenceError",
    "FactsError",
    "ReportError",
    "FhirError",
    "PolicyError",
    "ScoreError",
    "SpecError",
    "TimeError",
]


class ChangkaixinError(Exception):
    """Root of every error raised by changkaixin for bad input.

    Attributes:
        code: the stable error code, e.g. ``ErrorCode.SCORE_UNKNOWN_OPTION`` (equal to ``"score.unknown_option"``).
        path: where the problem is (a JSON pointer such as ``/answers/9``, or ``row 17 / item 9``).
        item: the item number the error is about, if any.
        row: the batch row the error is about, if any.
        message: the human-readable message (also ``str(exc)``, prefixed by the code).

    """

    code: Union[ErrorCode, str]
    path: str
    item: Optional[int]
    row: Optional[int]
    message: str

    def __init__(
        self,
        message: str,
        code: Union[ErrorCode, str],
        path: str = "",
        item: Optional[int] = None,
        row: Optional[int] = None,
    ) -> None:
        super().__init__(f"{code}: {message} (at {path})")
        self.code = code
        self.path = path
        self.item = item
        self.row = row
        self.message = message

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle support (exceptions cross process pools in notebooks)."""
        return (type(self), (self.message, str(self.code), self.path, self.item, self.row))

    def to_dict(self) -> dict[str, object]:
        """The core's serialized error shape: ``{code, path, item?, row?, message}``."""
        d: dict[str, object] = {"code": str(self.code), "path": self.path, "message": self.message}
        if self.item is not None:
            d["item"] = self.item
        if self.row is not None:
            d["row"] = self.row
        return d


class SpecError(ChangkaixinError, ValueError):
    """An instrument spec is malformed or fails lint (codes ``spec.*``)."""


class ScoreError(ChangkaixinError, ValueError):
    """A response does not fit the instrument (codes ``score.*``)."""


class BatchError(ChangkaixinError, ValueError):
    """Batch buffers are malformed or hold a code that is not an option (codes ``batch.*``)."""


class CatalogError(ChangkaixinError, LookupError):
    """No instrument with this id in the catalog (codes ``catalog.*``)."""


class FhirError(ChangkaixinError, ValueError):
    """FHIR import or export failed (codes ``fhir.*``)."""


class PolicyError(ChangkaixinError, ValueError):
    """An alert policy is malformed or fails lint (codes ``policy.*``)."""


class EvidenceError(ChangkaixinError, ValueError):
    """Evidence given to the alert engine is malformed (codes ``evidence.*``)."""


class TimeError(ChangkaixinError, ValueError):
    """A timestamp or ISO-8601 duration is malformed (codes ``time.*``)."""


class ComplianceError(ChangkaixinError, ValueError):
    """A compliance requirement pack is malformed or fails lint, or reports do not roll up (codes ``compliance.*``)."""


class FactsError(ChangkaixinError, ValueError):
    """School facts given to a compliance check are malformed or inconsistent (codes ``facts.*``)."""


class ReportError(ChangkaixinError, ValueError):
    """City report inputs do not fit together, or disclosure control failed (codes ``report.*``)."""


_BY_CATEGORY: dict[str, type[ChangkaixinError]] = {
    "spec": SpecError,
    "score": ScoreError,
    "batch": BatchError,
    "catalog": CatalogError,
    "fhir": FhirError,
    "policy": PolicyError,
    "evidence": EvidenceError,
    "time": TimeError,
    "compliance": ComplianceError,
    "facts": FactsError,
    "report": ReportError,
}


def _from_core(
    code: str, category: str, path: str, item: Optional[int], row: Optional[int], message: str
) -> ChangkaixinError:
    """Build the exception for a core error (called by the native module)."""
    cls = _BY_CATEGORY.get(category, ChangkaixinError)
    try:
        typed: Union[ErrorCode, str] = ErrorCode(code)
    except ValueError:  # a code newer than this Python layer: keep the string
        typed = code
    return cls(message, typed, path, item, row)
