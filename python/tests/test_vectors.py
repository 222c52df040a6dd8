"""Replay every golden vector in tests/vectors/scoring and compare with the stored Rust results exactly."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from conftest import REPO, VECTORS, assert_row_matches, normalise

import changkaixin as ck

FILES = sorted((VECTORS / "scoring").glob("*.json"))


def _cases() -> list[Any]:
    out = []
    for f in FILES:
        doc = json.loads(f.read_text(encoding="utf-8"))
        assert doc["format"] == "changkaixin.vectors/1"
        assert doc["kind"] == "score"
        for i, case in enumerate(doc["cases"]):
            out.append(pytest.param(doc, case, id=f"{f.stem}[{i}] {case['name']}"))
    return out


CASES = _cases()


def test_vector_files_exist() -> None:
    assert len(FILES) >= 17
    assert len(CASES) >= 411
    assert sum("code_map" in c.values[1] for c in CASES) >= 9
    assert sum("answers_list" in c.values[1] for c in CASES) >= 6
    builtin = set(ck.catalog().ids())
    assert builtin <= {f.stem for f in FILES}


def _instrument(doc: dict[str, Any], case: dict[str, Any]) -> ck.Instrument:
    settings = case.get("settings")
    if "spec_file" in doc:
        text = (REPO / doc["spec_file"]).read_text(encoding="utf-8")
        return ck.Instrument.from_json(text, settings)
    return ck.catalog().instrument(doc["instrument"], settings)


def _check_error(e: ck.ChangkaixinError, case: dict[str, Any]) -> None:
    want = case["expect_error"]
    assert e.code == want["code"]
    assert isinstance(e.code, ck.ErrorCode)
    assert e.code.category == want["code"].split(".")[0]
    if "item" in want:
        assert e.item == want["item"]
    if "error" in case:
        assert normalise(e.to_dict()) == normalise(case["error"])
    assert isinstance(e, ValueError) or isinstance(e, LookupError)


def _check_typed(report: ck.ScoreReport, want: dict[str, Any]) -> None:
    """The typed attributes carry the same values as the canonical JSON."""
    assert report.validity.status == want["validity"]["status"]
    assert report.items.answered == want["items"]["answered"]
    for s, w in zip(report.scales, want["scales"]):
        assert s.id == w["id"]
        assert s.scored == w["scored"]
        for key in ("raw", "score"):
            got = getattr(s, key)
            if key in w:
                assert isinstance(got, Decimal)
                assert str(got) == w[key]
            else:
                assert got is None
        assert (s.band.id if s.band else None) == (w.get("band") or {}).get("id")
    assert [f.id for f in report.flags] == [f["id"] for f in want["flags"]]
    for f, w in zip(report.flags, want["flags"]):
        assert isinstance(f.verdict, ck.Verdict) and f.verdict == w["verdict"]
        assert f.missing_items == w.get("missing_items", []) and f.refused_items == w.get("refused_items", [])
        assert report.flag_verdict(f.id) is f.verdict
        assert report.has_flag(f.id) == (f.verdict is ck.Verdict.POSITIVE)
    sp = want.get("screen_positive")
    if sp is None:
        assert report.screen_positive is None and report.screen_verdict is None
    else:
        assert report.screen_positive is not None
        assert report.screen_verdict is ck.Verdict(sp["verdict"])
        assert report.screen_positive.missing_items == sp.get("missing_items", [])
        assert report.screen_positive.refused_items == sp.get("refused_items", [])


def _check_expect(report: ck.ScoreReport, expect: dict[str, Any]) -> None:
    """The vector's hand-written ``expect`` block (as tests/src/lib.rs reads it), through the typed API."""
    if "validity" in expect:
        assert report.validity.status == expect["validity"]
    for sid, w in expect.get("scales", {}).items():
        s = report.scale(sid)
        if "scored" in w:
            assert s.scored == w["scored"]
        for key in ("raw", "score"):
            if key in w:
                got = getattr(s, key)
                assert (None if got is None else str(got)) == w[key], (sid, key)
        if "band" in w:
            assert (s.band.id if s.band else None) == w["band"]
        if "prorated" in w:
            assert s.prorated == w["prorated"]
    if "flags" in expect or "flags_indeterminate" in expect:
        for key, verdict in (("flags", ck.Verdict.POSITIVE), ("flags_indeterminate", ck.Verdict.INDETERMINATE)):
            assert sorted(f.id for f in report.flags if f.verdict is verdict) == sorted(expect.get(key, [])), key
    if "screen_positive" in expect:
        assert isinstance(expect["screen_positive"], str)
        assert report.screen_verdict == expect["screen_positive"]
    for key, attr in (("screen_missing_items", "missing_items"), ("screen_refused_items", "refused_items")):
        if key in expect:
            assert report.screen_positive is not None
            assert getattr(report.screen_positive, attr) == expect[key]


def _score(inst: ck.Instrument, case: dict[str, Any]) -> ck.ScoreReport:
    """Score a case as the vector format says: ``response`` or positional ``answers_list``, optional ``code_map``."""
    code_map = case.get("code_map")
    if "answers_list" in case:
        return inst.score(case["answers_list"], code_map=code_map)
    resp = case["response"]
    return inst.score(
        resp.get("answers", {}), resp.get("started_at"), resp.get("finished_at"), resp.get("group"), code_map=code_map
    )


@pytest.mark.parametrize(("doc", "case"), CASES)
def test_scoring_vector(doc: dict[str, Any], case: dict[str, Any]) -> None:
    try:
        inst = _instrument(doc, case)
    except ck.ChangkaixinError as e:
        assert "expect_error" in case, f"cannot load instrument: {e}"
        _check_error(e, case)
        return
    plain = "response" in case and "code_map" not in case  # the core's Response JSON alone describes it
    try:
        report = _score(inst, case)
    except ck.ChangkaixinError as e:
        assert "expect_error" in case, f"unexpected error {e}"
        _check_error(e, case)
        if plain:
            # The JSON entry point gives the same error.
            with pytest.raises(type(e)) as again:
                inst.score_json(json.dumps(case["response"]))
            assert again.value.to_dict() == e.to_dict()
        return
    assert "expect_error" not in case, f"expected error {case['expect_error']}, got a report"
    assert normalise(json.loads(report.to_json())) == normalise(case["report"])
    assert normalise(report.to_dict()) == normalise(case["report"])
    _check_typed(report, case["report"])
    if "expect" in case:
        _check_expect(report, case["expect"])
    if plain:
        # The JSON entry point gives the same bytes.
        assert inst.score_json(json.dumps(case["response"])).to_json() == report.to_json()
    if "code_map" in case:
        # A checked CodeMap object gives the same bytes as the spec dict.
        checked = inst.code_map(case["code_map"])
        assert checked.instrument == inst.id
        assert _score(inst, {**case, "code_map": checked}).to_json() == report.to_json()
    if "answers_list" in case and len(case["answers_list"]) < inst.n_items:
        # Values for the scored items only, with a completion time: the same items are answered.
        timed = inst.score(
            case["answers_list"],
            started_at="2026-03-02T09:00:00+08:00",
            finished_at="2026-03-02T09:05:00+08:00",
            code_map=case.get("code_map"),
        )
        assert timed.duration_seconds == 300
        assert [s.raw for s in timed.scales] == [s.raw for s in report.scales]
        assert timed.items == report.items


def _batch_row(inst: ck.Instrument, answers: Any) -> list[int]:
    """One batch row (-1 missing, -2 refused) from a vector's answers (numbers, ids, option ids)."""
    desc = inst.description()["items"]
    ids = [it["id"] for it in desc]
    row = [-1] * len(desc)
    items = answers.items() if isinstance(answers, dict) else enumerate(answers, 1)
    for k, v in items:
        i = int(k) - 1 if str(k).isdigit() else ids.index(k)
        if v is None or v == "missing":
            continue
        if v == "refused":
            row[i] = -2
        elif isinstance(v, str):
            row[i] = next(o["code"] for o in desc[i]["options"] if o["id"] == v)
        else:
            row[i] = int(v)
    return row


def _batchable(case: dict[str, Any]) -> bool:
    if "report" not in case:
        return False
    answers = case["answers_list"] if "answers_list" in case else case["response"].get("answers", {})
    if isinstance(answers, list):
        return False  # positional lists of the scored items only: the batch takes whole rows
    by_id = any(isinstance(v, str) and v not in ("refused", "missing") for v in answers.values())
    return not (by_id and "code_map" in case)  # option ids are never recoded; a batch cell is a code


BATCHABLE = [c for c in CASES if _batchable(c.values[1])]


@pytest.mark.parametrize("compact", [False, True], ids=["wide", "compact"])
@pytest.mark.parametrize(("doc", "case"), BATCHABLE)
def test_scoring_vector_in_batch(doc: dict[str, Any], case: dict[str, Any], compact: bool) -> None:
    """The same case as one batch row, wide and compact: every column (verdict codes too) agrees with the report."""
    inst = _instrument(doc, case)
    resp = case["response"]
    report = ck.ScoreReport(json.dumps(case["report"]))
    arr = np.array([_batch_row(inst, resp.get("answers", {}))], dtype=np.int16)
    groups = None if "group" not in resp else (np.zeros(1, dtype=np.uint32), [resp["group"]])
    durations = None if report.duration_seconds is None else [report.duration_seconds]
    res = inst.score_batch(
        arr,
        missing=-1,
        refused=-2,
        groups=groups,
        durations=durations,
        code_map=case.get("code_map"),
        compact=compact,
    )
    assert res.compact is compact
    assert_row_matches(res, 0, report)
