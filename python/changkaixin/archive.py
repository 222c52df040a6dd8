"""Archive records and privacy (一人一档、一人一策、一人一帮; 常教办〔2021〕90号 二(三)7, 9, 二(四)12, 二(五)16).

A thin wrapper of the core's ``archive`` and ``privacy`` modules. Every rule lives in the core.

* :func:`validate` checks one record (a dict or JSON text) and returns **every** problem at once,
  each with a stable code and a JSON pointer; :func:`validate_many` does a list (or a pandas
  Series of JSON texts) and :func:`problems_frame` gives one row per problem. A screening record's
  stored report is re-derived from its answers, and a disagreement names both values.
* :func:`schema` gives the exported JSON Schema of a record type (also under ``schemas/``).
* :func:`view` shows a record to one role (head teacher, psychology teacher, principal, receiving
  school); district and city roles get :func:`aggregate` only.
* :func:`pseudonymise` maps ids (a list, or a pandas Series / DataFrame column) to HMAC-SHA-256
  pseudonyms under a key that never leaves the call.
* :class:`Ledger` / :func:`check_share`: the consent and disclosure ledger; a share beyond the
  consent on file raises :class:`~changkaixin.PrivacyError` (``privacy.share_refused``) with the reason.

>>> import changkaixin.archive as ca
>>> r = ca.validate({"schema": "changkaixin.archive.referral", "schema_version": 1, "record_id": "ref-1",
...     "student": "stu-0001", "from": {"kind": "school", "id": "sch-01"},
...     "to": {"kind": "medical_institution", "id": "hosp-01"}, "reason": "synthetic",
...     "green_channel": True, "referred_at": "2024-03-04T09:00:00+08:00"})
>>> r.ok, [(p.code, p.path) for p in r.problems]
(False, [('archive.required_when', '/urgency')])
>>> ca.pseudonymise(["stu-0001", None], key=b"synthetic-key-0123456789")[1] is None
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Union

from . import _core
from ._enums import _StrEnum

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "KINDS",
    "Ledger",
    "Problem",
    "RecordLike",
    "Role",
    "ValidationResult",
    "Viewer",
    "aggregate",
    "check_share",
    "field_classes",
    "problems_frame",
    "pseudonymise",
    "pseudonymise_column",
    "schema",
    "validate",
    "validate_many",
    "view",
]

#: A record: a dict in the documented shape, or its JSON text.
RecordLike = Union[Mapping[str, Any], str, bytes]

#: Every record kind as ``name -> (schema id, current version)``.
KINDS: dict[str, tuple[str, int]] = {name: (sid, ver) for name, sid, ver in _core.archive_kinds()}


class Role(_StrEnum):
    """The audiences of archive data."""

    HEAD_TEACHER = "head_teacher"
    PSYCHOLOGY_TEACHER = "psychology_teacher"
    PRINCIPAL = "principal"
    DISTRICT = "district"
    CITY = "city"
    RECEIVING_SCHOOL = "receiving_school"


def _text(x: Union[RecordLike, Mapping[str, Any], Sequence[Any]]) -> str:
    if isinstance(x, bytes):
        return x.decode("utf-8")
    if isinstance(x, str):
        return x
    return json.dumps(x, ensure_ascii=False)


@dataclass(frozen=True)
class Problem:
    """One validation problem: stable ``code``, its ``category``, JSON-pointer ``path``, ``message``."""

    code: str
    category: str
    path: str
    message: str


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of :func:`validate`: ``record`` (canonical, current version) when ``ok``, else ``problems``."""

    record: Optional[dict[str, Any]]
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the record is valid."""
        return self.record is not None

    @property
    def kind(self) -> Optional[str]:
        """The record kind (``counselling_record`` …), when valid."""
        if self.record is None:
            return None
        return str(self.record["schema"]).rsplit(".", 1)[-1]


def _result(canonical: Optional[str], problems: Iterable[tuple[str, str, str, str]]) -> ValidationResult:
    return ValidationResult(
        record=None if canonical is None else json.loads(canonical),
        problems=[Problem(*p) for p in problems],
    )


def validate(record: RecordLike) -> ValidationResult:
    """Validate one record (an older ``schema_version`` is migrated to the current one)."""
    return _result(*_core.archive_validate(_text(record)))


def validate_many(records: Union[Iterable[RecordLike], pd.Series]) -> list[ValidationResult]:
    """Validate many records (a list, or a pandas Series of dicts / JSON texts); the GIL is released."""
    return [_result(c, p) for c, p in _core.archive_validate_many([_text(r) for r in records])]


def problems_frame(records: Union[Iterable[RecordLike], pd.Series]) -> pd.DataFrame:
    """One row per problem: ``row`` (position of the record), ``code``, ``category``, ``path``, ``message``."""
    import pandas as pd

    rows = [
        {"row": i, "code": p.code, "category": p.category, "path": p.path, "message": p.message}
        for i, r in enumerate(validate_many(records))
        for p in r.problems
    ]
    return pd.DataFrame(rows, columns=["row", "code", "category", "path", "message"])


def schema(kind: str, version: Optional[int] = None) -> dict[str, Any]:
    """The JSON Schema of a record kind (the current version unless ``version`` is given)."""
    return json.loads(_core.archive_schema(kind, version))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Viewer:
    """Who is looking: role, pseudonymous staff id, and school / class / district as the role needs."""

    role: Union[Role, str]
    staff_id: str = ""
    school: Optional[str] = None
    class_: Optional[str] = None
    district: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        """The core's ``Viewer`` shape."""
        d: dict[str, Any] = {"role": str(Role(self.role)), "staff_id": self.staff_id}
        for k, v in (("school", self.school), ("class", self.class_), ("district", self.district)):
            if v is not None:
                d[k] = v
        return d


def _viewer(v: Union[Viewer, Mapping[str, Any]]) -> str:
    return json.dumps(v.to_dict() if isinstance(v, Viewer) else dict(v), ensure_ascii=False)


def view(
    record: RecordLike, viewer: Union[Viewer, Mapping[str, Any]], subject: Optional[Mapping[str, Any]] = None
) -> dict[str, Any]:
    """The record as ``viewer`` may see it (fields above the role's clearance removed).

    ``subject`` is ``{"school", "class", "district"?}`` of the student (from the student file).
    Raises :class:`~changkaixin.PrivacyError` (``privacy.out_of_scope``) outside the role's scope.
    """
    sub = None if subject is None else json.dumps(dict(subject), ensure_ascii=False)
    return json.loads(_core.archive_view(_viewer(viewer), _text(record), sub))  # type: ignore[no-any-return]


def field_classes(record: RecordLike) -> dict[str, Optional[str]]:
    """The sensitivity class of every leaf of a record, by JSON pointer."""
    return dict(_core.archive_field_classes(_text(record)))


def aggregate(
    viewer: Union[Viewer, Mapping[str, Any]],
    items: Iterable[tuple[Mapping[str, Any], RecordLike]],
    min_cell: int = 10,
) -> list[dict[str, Any]]:
    """Counts per school (district viewer) or district (city viewer); cells below ``min_cell`` are ``None``."""
    pairs = [[dict(s), json.loads(_text(r))] for s, r in items]
    return json.loads(_core.archive_aggregate(_viewer(viewer), json.dumps(pairs, ensure_ascii=False), min_cell))  # type: ignore[no-any-return]


def pseudonymise(ids: Union[Iterable[Optional[str]], pd.Series], key: bytes) -> Any:
    """HMAC-SHA-256 pseudonyms (``p-`` + 32 hex digits) of ids under ``key`` (≥ 16 bytes).

    A pandas Series gives a Series with the same index; any other iterable gives a list.
    ``None`` / NaN stays ``None``. The same id gets the same pseudonym under one key.
    """
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        pd = None  # type: ignore[assignment]
    if pd is not None and isinstance(ids, pd.Series):
        values = [None if v is None or (isinstance(v, float) and v != v) else str(v) for v in ids.tolist()]
        return pd.Series(_core.pseudonymise(bytes(key), values), index=ids.index, name=ids.name, dtype="object")
    return _core.pseudonymise(bytes(key), [None if v is None else str(v) for v in ids])


def pseudonymise_column(frame: pd.DataFrame, column: str, key: bytes, into: Optional[str] = None) -> pd.DataFrame:
    """A copy of ``frame`` with ``column`` replaced by its pseudonyms (or written to ``into``)."""
    out = frame.copy()
    out[into or column] = pseudonymise(frame[column], key)
    return out


def check_share(file: RecordLike, request: Mapping[str, Any], utc_offset_seconds: int = 8 * 3600) -> dict[str, Any]:
    """Check a share against the student file; the disclosure, or :class:`~changkaixin.PrivacyError`."""
    return json.loads(_core.check_share(_text(file), json.dumps(dict(request), ensure_ascii=False), utc_offset_seconds))  # type: ignore[no-any-return]


class Ledger:
    """The append-only consent and disclosure ledger (``changkaixin.disclosure-ledger/1``)."""

    def __init__(self, _native: Optional[_core.NativeLedger] = None) -> None:
        self._native = _native if _native is not None else _core.NativeLedger()

    @classmethod
    def from_json(cls, text: Union[str, bytes]) -> Ledger:
        """Read a serialised ledger."""
        return cls(_core.NativeLedger.from_json(text.decode("utf-8") if isinstance(text, bytes) else text))

    def share(self, file: RecordLike, request: Mapping[str, Any], utc_offset_seconds: int = 8 * 3600) -> dict[str, Any]:
        """Check a share and record it; the recorded disclosure (raises when refused)."""
        req = json.dumps(dict(request), ensure_ascii=False)
        return json.loads(self._native.share(_text(file), req, utc_offset_seconds))  # type: ignore[no-any-return]

    @property
    def entries(self) -> list[dict[str, Any]]:
        """The disclosures, in the order recorded."""
        return list(json.loads(self._native.to_json())["entries"])

    def to_json(self) -> str:
        """Canonical JSON."""
        return self._native.to_json()

    def to_frame(self) -> pd.DataFrame:
        """One row per disclosure: id, student, recipient, recipient_id, purpose, legal_basis, categories, at, flags."""
        import pandas as pd

        rows = [
            {
                "id": d["id"],
                "student": d["request"]["student"],
                "recipient": d["request"]["recipient"],
                "recipient_id": d["request"]["recipient_id"],
                "purpose": d["request"]["purpose"],
                "legal_basis": d["request"]["legal_basis"],
                "categories": ",".join(d["request"]["categories"]),
                "at": d["request"]["at"],
                "confidentiality_flag": d["confidentiality_flag"],
                "post_hoc_notice_due": d["post_hoc_notice_due"],
            }
            for d in self.entries
        ]
        return pd.DataFrame(rows)

    def __len__(self) -> int:
        return len(self._native)
