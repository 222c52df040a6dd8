"""Replay every golden vector in tests/vectors/scoring and compare with the stored Rust results exactly."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, VECTORS, normalise

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
    assert len(CASES) >= 380
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


@pytest.mark.parametrize(("doc", "case"), CASES)
def test_scoring_vector(doc: dict[str, Any], case: dict[str, Any]) -> None:
    try:
        inst = _instrument(doc, case)
    except ck.ChangkaixinError as e:
        assert "expect_error" in case, f"cannot load instrument: {e}"
        _check_error(e, case)
        return
    resp = case["response"]
    try:
        report = inst.score(resp.get("answers", {}), resp.get("started_at"), resp.get("finished_at"), resp.get("group"))
    except ck.ChangkaixinError as e:
        assert "expect_error" in case, f"unexpected error {e}"
        _check_error(e, case)
        # The JSON entry point gives the same error.
        with pytest.raises(type(e)) as again:
            inst.score_json(json.dumps(resp))
        assert again.value.to_dict() == e.to_dict()
        return
    assert "expect_error" not in case, f"expected error {case['expect_error']}, got a report"
    assert normalise(json.loads(report.to_json())) == normalise(case["report"])
    assert normalise(report.to_dict()) == normalise(case["report"])
    _check_typed(report, case["report"])
    # The JSON entry point gives the same bytes.
    assert inst.score_json(json.dumps(resp)).to_json() == report.to_json()


def test_vectors_directory_has_only_known_kinds() -> None:
    kinds = {p.name for p in VECTORS.iterdir() if p.is_dir()}
    assert "scoring" in kinds
    assert all(isinstance(p, Path) for p in VECTORS.iterdir())
