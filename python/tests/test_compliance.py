"""Compliance (issue 11): replay tests/vectors/compliance; check() gives findings and roll-ups as DataFrames."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from conftest import VECTORS, normalise

import changkaixin as ck
import changkaixin.compliance as cc

FILES = sorted((VECTORS / "compliance").glob("*.json"))


def _cases() -> list[Any]:
    out = []
    for f in FILES:
        doc = json.loads(f.read_text(encoding="utf-8"))
        assert doc["format"] == "changkaixin.vectors/1" and doc["kind"] == "compliance"
        for i, case in enumerate(doc["cases"]):
            out.append(pytest.param(doc, case, id=f"{f.stem}[{i}] {case['name']}"))
    return out


CASES = _cases()


def _pack(name: str) -> cc.RequirementPack:
    assert name.startswith("builtin:"), name
    return cc.RequirementPack.builtin(name[len("builtin:") :])


def test_compliance_vectors_exist() -> None:
    assert len(FILES) >= 2 and len(CASES) >= 20
    assert any("expect_error" in c.values[1] for c in CASES)


def _check_expect(report: cc.ComplianceReport, expect: dict[str, Any]) -> None:
    """The hand-written expectations, as tests/tests/compliance_vectors.rs reads them."""
    for rid, want in expect.items():
        f = next((f for f in report.findings if f["requirement"] == rid), None)
        assert f is not None, rid
        if "status" in want:
            assert f["status"] == want["status"], rid
        if "measured" in want:
            assert (f.get("measured") or {}).get("value") == want["measured"], rid
        if "shortfall" in want:
            assert f.get("shortfall") == want["shortfall"], rid
        for key, got in (
            ("failed_units", "failed"),
            ("assessed", "assessed"),
            ("pending", "pending"),
            ("missing_units", "missing"),
        ):
            if key in want:
                assert f["units"][got] == want[key], (rid, key)
        if "missing" in want:
            got_missing = {m["fact"] for m in f.get("missing", [])}
            assert set(want["missing"]) <= got_missing, rid
        if "lacking" in want:
            assert [x for u in f.get("failures", []) for x in u.get("lacking", [])] == want["lacking"], rid


@pytest.mark.parametrize(("doc", "case"), CASES)
def test_compliance_vector(doc: dict[str, Any], case: dict[str, Any]) -> None:
    pack = _pack(doc["pack"])
    if "expect_error" in case:
        with pytest.raises(ck.ChangkaixinError) as e:
            cc.check_school(pack, case["facts"], case["as_of"])
        want = case["expect_error"]
        assert e.value.code == want["code"]
        if "path" in want:
            assert e.value.path == want["path"]
        assert isinstance(e.value, (ck.FactsError, ck.ComplianceError, ck.TimeError))
        return
    report = cc.check_school(pack, case["facts"], case["as_of"])
    assert normalise(report.to_dict()) == normalise(case["report"])
    _check_expect(report, case["expect"])
    # The same through check(): one school, findings rows in pack order.
    res = cc.check(pack, case["facts"], dt.date.fromisoformat(case["as_of"]))
    assert res.reports == [report]
    assert [r["requirement"] for r in res.rows] == [f["requirement"] for f in report.findings]


def _ok_cases(pack_name: str) -> list[dict[str, Any]]:
    return [c.values[1] for c in CASES if c.values[0]["pack"] == pack_name and "expect_error" not in c.values[1]]


def test_many_schools_findings_and_rollup_frames() -> None:
    pd = pytest.importorskip("pandas")
    cases = _ok_cases("builtin:changzhou_2022_2024")
    as_of = cases[0]["as_of"]
    cases = [c for c in cases if c["as_of"] == as_of]
    facts = []
    for i, c in enumerate(cases):
        f = copy.deepcopy(c["facts"])
        f["school"]["id"] = f"school-{i:02d}"
        f["school"]["district"] = ["天宁区", "钟楼区"][i % 2]
        facts.append(f)
    pack = cc.RequirementPack.builtin("changzhou_2022_2024")
    res = cc.check(pack, facts, as_of)
    assert len(res.reports) == len(facts) >= 2
    n_req = len(pack.requirement_ids)
    df = res.findings
    assert isinstance(df, pd.DataFrame)
    assert len(df) == len(facts) * n_req  # one row per school × requirement
    assert list(df["school"].unique()) == [f["school"]["id"] for f in facts]
    assert list(df["status"].cat.categories) == list(cc.STATUS_NAMES)
    assert set(df["status"]) <= set(cc.STATUS_NAMES)
    fails = df[df["status"] == "fail"]
    assert len(fails) and all(isinstance(v, Decimal) for v in fails["measured"])
    assert all(isinstance(v, Decimal) for v in fails["shortfall"])
    # The rows are the reports' findings.
    for r, rep in zip(range(0, len(df), n_req), res.reports):
        assert list(df["status"].iloc[r : r + n_req]) == [f["status"] for f in rep.findings]
    up = res.rollup
    assert list(up["group"].unique()) == ["city", "天宁区", "钟楼区"]
    assert len(up) == 3 * n_req
    city = up[up["group"] == "city"]
    assert (city["schools"] == len(facts)).all()
    counts = city[["pass", "fail", "insufficient_evidence", "not_applicable"]].sum(axis=1)
    assert (counts == len(facts)).all()
    rate = city["compliance_rate"].dropna()
    assert all(isinstance(v, Decimal) and Decimal(0) <= v <= Decimal(100) for v in rate)  # a percentage
    assert res.rollup_dict()["city"]["schools"] == len(facts)
    assert "ComplianceResult" in repr(res)


def test_facts_errors_name_the_school() -> None:
    cases = _ok_cases("builtin:changzhou_2022_2024")
    bad = next(c for c in CASES if c.values[1].get("expect_error", {}).get("code") == "facts.unknown_ref").values[1]
    with pytest.raises(ck.FactsError) as e:
        cc.check("changzhou_2022_2024", [cases[0]["facts"], bad["facts"]], cases[0]["as_of"])
    assert e.value.row == 1 and e.value.code == "facts.unknown_ref"
    with pytest.raises(ck.TimeError):
        cc.check_school("changzhou_2022_2024", cases[0]["facts"], "31/08/2024")
    with pytest.raises(TypeError):
        cc.check_school("changzhou_2022_2024", cases[0]["facts"], dt.datetime(2024, 8, 31))  # type: ignore[arg-type]
    with pytest.raises(ck.ComplianceError) as e2:
        cc.RequirementPack.builtin("nope")
    assert e2.value.code == "compliance.unknown_ref"


def test_packs() -> None:
    for pid in ("changzhou_2022_2024", "national_2023"):
        p = cc.RequirementPack.builtin(pid)
        assert p.id == pid and p.requirement_ids and "RequirementPack" in repr(p)
        assert cc.RequirementPack.lint(p.to_json()) == []
        assert cc.RequirementPack.from_dict(p.to_dict()).requirement_ids == p.requirement_ids
    broken = cc.RequirementPack.builtin("national_2023").to_dict()
    broken["requirements"][0]["check"]["metric"] = "no_such_metric"
    problems = cc.RequirementPack.lint(broken)
    assert problems and all(isinstance(x, ck.ComplianceError) for x in problems)
    with pytest.raises(ck.ComplianceError):
        cc.RequirementPack.from_dict(broken)
    with pytest.raises(ck.ComplianceError) as e:
        cc.RequirementPack.from_json('{"format": "changkaixin.compliance-pack/1", "id": 3}')
    assert (e.value.code, e.value.path) == ("compliance.parse", "/id")


def test_report_accessors() -> None:
    case = _ok_cases("builtin:changzhou_2022_2024")[0]
    r = cc.check_school("changzhou_2022_2024", json.dumps(case["facts"]), case["as_of"])
    assert r.as_of == case["as_of"] and r.pack[0] == "changzhou_2022_2024"
    assert sum(r.counts.values()) == len(r.findings)
    rid = r.findings[0]["requirement"]
    assert r.status(rid) in set(cc.Status)
    assert r.summary.zh and r.summary.en
    with pytest.raises(KeyError):
        r.finding("nope")
    assert "ComplianceReport" in repr(r)
