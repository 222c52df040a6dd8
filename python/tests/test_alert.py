"""Alert tiers: replay every alert golden vector; policy load and lint; batch tiers with counts and overdue items."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from conftest import VECTORS, normalise

import changkaixin as ck

FILES = sorted((VECTORS / "alert").glob("*.json"))


def _cases() -> list[Any]:
    out = []
    for f in FILES:
        doc = json.loads(f.read_text(encoding="utf-8"))
        assert doc["format"] == "changkaixin.vectors/1" and doc["kind"] == "alert"
        for i, case in enumerate(doc["cases"]):
            out.append(pytest.param(doc, case, id=f"{f.stem}[{i}] {case['name']}"))
    return out


CASES = _cases()


def _policy(name: str) -> ck.AlertPolicy:
    assert name == "builtin:changzhou_default", name
    return ck.AlertPolicy.changzhou_default()


def test_alert_vectors_exist() -> None:
    assert FILES and len(CASES) >= 99
    errors = {c.values[1]["expect_error"]["code"] for c in CASES if "expect_error" in c.values[1]}
    # The verification and held-tier cases of issue 9 are among them.
    assert {"evidence.unknown_instrument", "evidence.out_of_range", "evidence.report_inconsistent"} <= errors
    assert any("held_by" in c.values[1].get("expect", {}) for c in CASES)
    assert any("response" in s for c in CASES for s in c.values[1]["evidence"].get("screenings", []))


def _cites_its_grounds(d: ck.AlertDecision) -> bool:
    """As the Rust replay: a fired rule at the tier with sources, or a hold naming its grounds."""
    if d.tier_index == 0:
        return True
    if any(r["tier"] == d.tier and r["sources"] for r in d.fired_rules):
        return True
    h = d.held_by
    return h is not None and (any(r["sources"] for r in h.get("raised_by", [])) or bool(h["tier_sources"]))


@pytest.mark.parametrize(("doc", "case"), CASES)
def test_alert_vector(doc: dict[str, Any], case: dict[str, Any]) -> None:
    policy = _policy(doc["policy"])
    if "expect_error" in case:
        with pytest.raises(ck.ChangkaixinError) as e:
            policy.evaluate(case["evidence"], case["at"])
        want = case["expect_error"]
        assert e.value.code == want["code"]
        if "path" in want:
            assert e.value.path == want["path"]
        assert isinstance(e.value, ValueError)
        return
    d = policy.evaluate(case["evidence"], case["at"])
    assert normalise(d.to_dict()) == normalise(case["decision"])
    want = case["expect"]
    assert d.tier == want["tier"]
    assert set(d.rule_ids) == set(want["rules"])
    if "change" in want:
        assert d.change == want["change"]
    assert d.hold_reason == want.get("held_by")
    # Every tier above the lowest cites its grounds, and its summary never says no rule fired.
    assert _cites_its_grounds(d), d
    if d.tier_index > 0:
        assert "No rule fired" not in (d.summary.en or "") and "未触发任何规则" not in (d.summary.zh or "")


def _plain_sources() -> list[Any]:
    """Report-form screenings whose report is the engine's own (no edits, marks or external key)."""
    out = []
    for c in CASES:
        case = c.values[1]
        for src in case.get("report_sources", []):
            if not ({"spec_file", "as_external", "indeterminate", "edits"} & set(src)):
                out.append(pytest.param(case, src, id=f"{case['name']}#{src['screening']}"))
    return out


@pytest.mark.parametrize(("case", "src"), _plain_sources())
def test_embedded_reports_are_what_python_scores(case: dict[str, Any], src: dict[str, Any]) -> None:
    """A vector's embedded report equals the report the Python binding scores from its sources."""
    ref = src["instrument"]
    inst = ck.catalog().instrument(ref["id"], ref.get("settings"))
    assert inst.version == ref["version"]
    r = src["response"]
    report = inst.score(r.get("answers", {}), r.get("started_at"), r.get("finished_at"), r.get("group"))
    embedded = case["evidence"]["screenings"][src["screening"]]["report"]
    assert normalise(report.to_dict()) == normalise(embedded)
    assert ck.ScoreReport.from_dict(embedded) == report  # and it verifies


def test_batch_equals_one_by_one() -> None:
    policy = ck.AlertPolicy.changzhou_default()
    ok = [c.values[1] for c in CASES if "expect_error" not in c.values[1]]
    at = ok[0]["at"]
    evidences = [c["evidence"] for c in ok if c["at"] == at]
    batch = policy.evaluate_batch(evidences, at, decisions="all")
    singles = [policy.evaluate(e, at) for e in evidences]
    assert [d.to_dict() for d in batch.decisions] == [d.to_dict() for d in singles]
    tiers = batch.tier_column()
    assert tiers.dtype == np.int8
    assert [batch.tiers[t] for t in tiers] == [d.tier for d in singles]
    counts = batch.tier_counts
    assert list(counts) == policy.tiers
    assert sum(counts.values()) == len(evidences)
    assert "AlertBatch" in repr(batch)
    for o in batch.overdue:
        assert 0 <= o["obligation"] < len(batch.obligations)
    late = policy.evaluate_batch(evidences, at, overdue_at="2030-01-01T00:00:00Z")
    assert late.tier_counts == counts
    assert len(late.overdue) >= len(batch.overdue)


def test_policy_access_and_lint() -> None:
    policy = ck.AlertPolicy.changzhou_default()
    assert policy.tiers == ["none", "watch", "key", "crisis"]
    assert policy.rules and policy.id == "changzhou_default"
    text = policy.to_json()
    assert ck.AlertPolicy.lint(text) == []
    again = ck.AlertPolicy.from_json(text)
    assert again.tiers == policy.tiers
    with pytest.raises(ck.PolicyError) as e:
        ck.AlertPolicy.from_json('{"format": 1')
    assert e.value.code == "policy.parse"
    broken = policy.to_dict()
    broken["rules"][0]["tier"] = "no_such_tier"
    problems = ck.AlertPolicy.lint(json.dumps(broken))
    assert problems and all(isinstance(p, ck.PolicyError) for p in problems)
    with pytest.raises(ck.PolicyError):
        ck.AlertPolicy.from_dict(broken)


def test_evidence_errors() -> None:
    policy = ck.AlertPolicy.changzhou_default()
    with pytest.raises(ck.EvidenceError):
        policy.evaluate({"student": "s-1", "nonsense": 1}, "2024-03-04T08:00:00Z")
    with pytest.raises(ck.ChangkaixinError) as e:
        policy.evaluate({"student": "s-1"}, "yesterday")
    assert e.value.code.startswith("time.") or e.value.code.startswith("evidence.")
    with pytest.raises(ck.EvidenceError) as e2:
        policy.evaluate_batch([{"student": "a"}, {"student": "b", "x": 1}], "2024-03-04T08:00:00Z")
    assert e2.value.row == 1


def test_previous_tier_record_keeps_the_grounds() -> None:
    """A confirmed decision becomes the next evidence's ``previous``; a later hold cites the rules that raised it."""
    policy = ck.AlertPolicy.changzhou_default()
    phq9 = ck.Instrument.builtin("phq9")
    ev: dict[str, Any] = {
        "student": "s-7",
        "screenings": [
            {
                "at": "2024-03-01T08:00:00Z",
                "instrument": phq9,
                "response": {"answers": {str(i): 3 for i in range(1, 10)}},
            }
        ],
    }
    first = policy.evaluate(ev, "2024-03-01T09:00:00Z")
    assert first.tier_index > 0 and first.held_by is None
    prev = first.previous_tier({"name": "周老师", "role": "psychology_teacher"})
    assert prev["tier"] == first.tier and prev["raised_by"]
    assert {r["rule"] for r in prev["raised_by"]} <= set(first.rule_ids)
    # Later, with no screening at all: the tier is held, and the hold names the rules that raised it.
    later = policy.evaluate({"student": "s-7", "previous": prev}, "2024-03-05T09:00:00Z")
    assert later.tier == first.tier and later.hold_reason is not None
    assert later.held_by is not None
    assert {r["rule"] for r in later.held_by["raised_by"]} == {r["rule"] for r in prev["raised_by"]}
    assert "held_by=" in repr(later)
    with pytest.raises(ck.EvidenceError):
        first.previous_tier({"name": "x"})


def test_score_report_inside_evidence() -> None:
    """A ScoreReport object can be used directly inside evidence."""
    policy = ck.AlertPolicy.changzhou_default()
    phq9 = ck.Instrument.builtin("phq9")
    report = phq9.score({i: 3 for i in range(1, 10)})
    ev = {"student": "s-9", "screenings": [{"at": "2024-03-01T08:00:00Z", "report": report}]}
    d = policy.evaluate(ev, "2024-03-04T08:00:00Z")
    assert d.tier_index > 0
    assert d.summary.zh
