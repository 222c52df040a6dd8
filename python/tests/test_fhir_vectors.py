"""Replay tests/vectors/fhir (kind "fhir"): import, bind, score, export, as docs/golden-vectors.md says.

FHIR files are passed as their text, unchanged (FHIR decimals are read from their literal text).
"""

from __future__ import annotations

import json
from typing import Any, Optional

import pytest
from conftest import REPO, VECTORS, normalise

import changkaixin as ck

FILES = sorted((VECTORS / "fhir").glob("*.json"))


def _cases() -> list[Any]:
    out = []
    for f in FILES:
        doc = json.loads(f.read_text(encoding="utf-8"))
        assert doc["format"] == "changkaixin.vectors/1" and doc["kind"] == "fhir"
        for i, case in enumerate(doc["cases"]):
            out.append(pytest.param(case, id=f"{f.stem}[{i}] {case['name']}"))
    return out


CASES = _cases()


def test_fhir_vectors_exist() -> None:
    assert len(FILES) >= 4 and len(CASES) >= 52
    # Every fhir.* error code has a vector (as the Rust replay requires).
    codes = {c.values[0]["expect_error"]["code"] for c in CASES if "expect_error" in c.values[0]}
    fhir_codes = {c.value for c in ck.ErrorCode if c.category == "fhir"}
    assert fhir_codes - codes <= {"fhir.parse", "fhir.unsupported"}, fhir_codes - codes


def _text(path: str) -> str:
    return (REPO / path).read_text(encoding="utf-8")


def _check_expect_spec(spec: dict[str, Any], want: dict[str, Any]) -> None:
    assert len(spec["items"]) == want["items"]
    assert sum(1 for it in spec["items"] if it.get("scored", True)) == want["scored_items"]
    f = spec.get("fhir") or {}
    for key in ("calculated_link_ids", "calculated_scales", "ignored_link_ids"):
        if key in want:
            assert f.get(key, {} if key == "calculated_scales" else []) == want[key], key
    if "total_code" in want:
        assert ((f.get("observation_codes") or {}).get("total") or {}).get("code") == want["total_code"]


def _check_expect_report(scored: ck.fhir.ScoredQuestionnaireResponse, want: dict[str, Any]) -> None:
    r = scored.report
    total = r.scale("total")
    if "total" in want:
        assert (None if total.raw is None else str(total.raw)) == want["total"]
    if "band" in want:
        assert (None if total.band is None else total.band.id) == want["band"]
    if "validity" in want:
        assert r.validity.status == want["validity"]
    if "item9_flag" in want:
        assert (r.flag_verdict("item9_self_harm") is ck.Verdict.POSITIVE) == want["item9_flag"]
    if "answered" in want:
        assert r.items.answered == want["answered"]
    if "stored_totals" in want:
        got = [{k: t.to_dict().get(k) for k in w} for t, w in zip(scored.stored_totals, want["stored_totals"])]
        assert len(scored.stored_totals) == len(want["stored_totals"]) and got == want["stored_totals"]


@pytest.mark.parametrize("case", CASES)
def test_fhir_vector(case: dict[str, Any]) -> None:
    stage = "import"
    want_err: Optional[dict[str, Any]] = case.get("expect_error")
    expect = case.get("expect", {})
    try:
        q_text = _text(case["questionnaire_file"]) if "questionnaire_file" in case else None
        spec = None
        if q_text is not None:
            spec = ck.import_questionnaire(q_text)
            assert normalise(spec) == normalise(case["spec"])
            if "spec" in expect:
                _check_expect_spec(spec, expect["spec"])
        name = case["instrument"]
        if name == "import":
            assert spec is not None
            inst = ck.Instrument.from_dict(spec)
        elif name.startswith("bind:"):
            stage = "bind"
            assert q_text is not None
            inst = ck.bind_questionnaire(ck.catalog().instrument(name[5:]), q_text)
        else:
            inst = ck.catalog().instrument(name)
        report = None
        if "response_file" in case:
            stage = "score"
            qr = _text(case["response_file"])
            scored = ck.fhir.score_questionnaire_response_detailed(inst, qr)
            report = scored.report
            assert normalise(report.to_dict()) == normalise(case["report"])
            assert normalise([t.to_dict() for t in scored.stored_totals]) == normalise(case["stored_totals"])
            assert ck.score_questionnaire_response(inst, qr) == report
            _check_expect_report(scored, expect)
        if "export" in case:
            stage = "export"
            assert report is not None
            ex = case["export"]
            obs = ck.export_observation(inst, report, ex["scale"], ex["subject"], ex["effective"])
            assert normalise(obs) == normalise(case["observation"])
            if "observation" in expect:
                assert obs["code"]["coding"][0]["code"] == expect["observation"]["code"]
                value = obs.get("valueInteger", (obs.get("valueQuantity") or {}).get("value"))
                assert str(value) == expect["observation"]["value"]
    except ck.ChangkaixinError as e:
        assert want_err is not None, f"unexpected error at {stage}: {e}"
        assert (stage, e.code) == (want_err["stage"], want_err["code"])
        if "path" in want_err:
            assert e.path == want_err["path"]
        if "item" in want_err:
            assert e.item == want_err["item"]
        assert normalise(e.to_dict()) == normalise(case["error"])
        assert isinstance(e, ValueError)
        return
    assert want_err is None, f"expected {want_err}, got no error"
