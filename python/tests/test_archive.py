"""Archive and privacy (issue 12): replay tests/vectors/archive, check the golden fixtures with the
independent ``jsonschema`` validator against schemas/, role views, pseudonyms, the ledger."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from conftest import REPO, VECTORS, normalise

import changkaixin as ck
import changkaixin.archive as ca

FILES = sorted((VECTORS / "archive").glob("*.json"))


def _cases() -> list[Any]:
    out = []
    for f in FILES:
        doc = json.loads(f.read_text(encoding="utf-8"))
        assert doc["format"] == "changkaixin.vectors/1" and doc["kind"] == "archive"
        for i, case in enumerate(doc["cases"]):
            out.append(pytest.param(doc["record_kind"], case, id=f"{f.stem}[{i}] {case['name']}"))
    return out


CASES = _cases()


def test_every_kind_has_vectors() -> None:
    assert {f.stem for f in FILES} == set(ca.KINDS)
    assert len(CASES) > 100


@pytest.mark.parametrize(("kind", "case"), CASES)
def test_archive_vector(kind: str, case: dict[str, Any]) -> None:
    r = ca.validate(case["record"])
    if case.get("expect") == "valid":
        assert r.ok, r.problems
        assert r.kind == kind
        assert normalise(r.record) == normalise(case["canonical"])
        # Round trip: the canonical form validates to itself.
        again = ca.validate(r.record)  # type: ignore[arg-type]
        assert again.ok and again.record == r.record
        return
    assert not r.ok
    got = {(p.code, p.path) for p in r.problems}
    for p in r.problems:
        assert p.category == p.code.split(".")[0] and p.message
    if "expect_errors" in case:
        assert got == {(e["code"], e["path"]) for e in case["expect_errors"]}
    if "expect_errors_include" in case:
        assert {(e["code"], e["path"]) for e in case["expect_errors_include"]} <= got


# ---------------------------------------------------------------- independent JSON Schema check

jsonschema = pytest.importorskip("jsonschema")

_YEAR_MONTH = re.compile(r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _format_checker() -> Any:
    fc = jsonschema.FormatChecker(formats=())

    @fc.checks("date-time", raises=ValueError)
    def _dt(v: object) -> bool:
        if not isinstance(v, str):
            return True
        if not _RFC3339.match(v):
            return False
        dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
        return True

    @fc.checks("date", raises=ValueError)
    def _date(v: object) -> bool:
        if not isinstance(v, str):
            return True
        return bool(re.match(r"^\d{4}-\d{2}-\d{2}$", v)) and dt.date.fromisoformat(v) is not None

    @fc.checks("year-month")
    def _ym(v: object) -> bool:
        return not isinstance(v, str) or bool(_YEAR_MONTH.match(v))

    return fc


def _schema_file(kind: str, version: int) -> Any:
    path = REPO / "schemas" / f"{kind}.v{version}.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("kind", "case"), [c for c in CASES if c.values[1].get("schema_valid") is not None])
def test_fixture_against_exported_schema(kind: str, case: dict[str, Any]) -> None:
    schema = _schema_file(kind, case["record"]["schema_version"])
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema, format_checker=_format_checker())
    errors = list(v.iter_errors(case["record"]))
    assert (not errors) == case["schema_valid"], [e.message for e in errors]


def test_exported_schemas_match_the_library() -> None:
    for kind, (_sid, version) in ca.KINDS.items():
        assert ca.schema(kind) == _schema_file(kind, version)
    assert ca.schema("counselling_record", 1) == _schema_file("counselling_record", 1)
    with pytest.raises(ck.ArchiveError):
        ca.schema("counselling_record", 3)


# ---------------------------------------------------------------- views, pseudonyms, ledger


def _record(kind: str, name: str) -> dict[str, Any]:
    doc = json.loads((VECTORS / "archive" / f"{kind}.json").read_text(encoding="utf-8"))
    return next(c["record"] for c in doc["cases"] if c["name"] == name)


SUBJECT = {"school": "sch-01", "class": "c-8-2", "district": "d-01"}


def test_views_by_role() -> None:
    alert = _record("alert_record", "watch tier confirmed and reviewed")
    ht = ca.Viewer(ca.Role.HEAD_TEACHER, "staff-03", school="sch-01", class_="c-8-2")
    v = ca.view(alert, ht, SUBJECT)
    assert v["decision"]["tier"]["id"] == "watch"
    assert "fired_rules" not in v["decision"]
    counselling = _record("counselling_record", "confidentiality broken, two parties informed")
    with pytest.raises(ck.PrivacyError) as e:
        ca.view(counselling, ht, SUBJECT)
    assert e.value.code == "privacy.out_of_scope"
    pr = ca.view(counselling, {"role": "principal", "staff_id": "staff-01", "school": "sch-01"}, SUBJECT)
    assert "parts" not in pr and pr["confidentiality_break"]["informed"][0]["party"] == "guardian"
    assert "risk" not in pr["confidentiality_break"]
    pt = ca.view(counselling, ca.Viewer("psychology_teacher", "staff-07", school="sch-01"), SUBJECT)
    assert pt["parts"]["main_problem"]
    for role in ("district", "city"):
        with pytest.raises(ck.PrivacyError):
            ca.view(alert, ca.Viewer(role, district="d-01"), SUBJECT)
    classes = ca.field_classes(counselling)
    assert classes["/parts/main_problem"] == "sensitive_health" and classes["/student"] == "direct_identifier"


def test_aggregate_suppresses_small_cells() -> None:
    alert = _record("alert_record", "watch tier confirmed and reviewed")
    cells = ca.aggregate(ca.Viewer("city"), [(SUBJECT, alert)] * 11 + [({**SUBJECT, "district": "d-02"}, alert)])
    assert [(c["unit"], c["tier"], c["count"]) for c in cells] == [("d-01", "watch", 11), ("d-02", "watch", None)]


def test_pseudonymise_lists_series_and_frames() -> None:
    pd = pytest.importorskip("pandas")
    key = b"synthetic-key-0123456789abcdef"
    ids = ["stu-0001", "stu-0002", None, "stu-0001"]
    p = ca.pseudonymise(ids, key)
    assert p[0] == p[3] != p[1] and p[2] is None and p[0].startswith("p-") and len(p[0]) == 34
    assert ca.pseudonymise(ids, b"another-synthetic-key-98765")[0] != p[0]
    s = pd.Series(ids, index=[10, 11, 12, 13], name="student")
    ps = ca.pseudonymise(s, key)
    assert list(ps.index) == [10, 11, 12, 13] and ps.tolist() == p
    df = pd.DataFrame({"student": ids, "score": [1, 2, 3, 4]})
    out = ca.pseudonymise_column(df, "student", key)
    assert out["student"].tolist() == p and df["student"].iloc[0] == "stu-0001"
    assert key.decode() not in out.to_csv()
    with pytest.raises(ck.PrivacyError):
        ca.pseudonymise(ids, b"short")


def test_ledger_records_and_refuses_with_the_reason() -> None:
    file = _record("student_file", "valid file with a withdrawn consent")
    req = {
        "student": "stu-0001",
        "recipient": "hospital",
        "recipient_id": "hosp-01",
        "purpose": "synthetic: referral",
        "legal_basis": "consent",
        "consent_id": "con-2",
        "purpose_version": "2024-1",
        "categories": ["referral"],
        "records": ["ref-0001"],
        "at": "2024-03-10T08:00:00Z",
    }
    ledger = ca.Ledger()
    d = ledger.share(file, req)
    assert d["id"] == "dis-1" and not d["confidentiality_flag"]
    with pytest.raises(ck.PrivacyError) as e:
        ledger.share(file, {**req, "at": "2024-03-21T08:00:00Z"})
    assert e.value.code == "privacy.share_refused" and "withdrawn" in e.value.message
    with pytest.raises(ck.PrivacyError) as e:
        ca.check_share(file, {**req, "categories": ["referral", "counselling"]})
    assert e.value.path == "/categories"
    police = {**req, "recipient": "police", "legal_basis": "vital_interest", "rationale": "synthetic: risk to life"}
    police.pop("consent_id")
    assert ledger.share(file, {**police, "at": "2024-03-22T08:00:00Z"})["confidentiality_flag"] is True
    assert len(ledger) == 2
    back = ca.Ledger.from_json(ledger.to_json())
    assert back.entries == ledger.entries
    frame = ledger.to_frame()
    assert list(frame["recipient"]) == ["hospital", "police"]


def test_validate_many_and_problems_frame() -> None:
    pytest.importorskip("pandas")
    good = _record("referral", "green channel, urgent, accepted")
    bad = {**good, "urgency": "asap", "reason": ""}
    rs = ca.validate_many([good, json.dumps(bad)])
    assert [r.ok for r in rs] == [True, False]
    frame = ca.problems_frame([good, bad])
    assert list(frame["row"]) == [1] and list(frame["code"]) == ["archive.invalid_value"]
