"""Issue 9 in Python: three-valued verdicts, option ids, code tables, reports verified (never trusted)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from conftest import FIXTURES, assert_row_matches

import changkaixin as ck

PHQ9 = {1: 1, 2: 2, 3: 1, 4: 2, 5: 1, 6: 1, 7: 1, 8: 2, 9: 1}


def test_verdict_enum() -> None:
    assert [v.value for v in ck.Verdict] == list(ck.VERDICT_NAMES) == ["negative", "positive", "indeterminate"]
    assert [v.code for v in ck.Verdict] == [0, 1, 2]
    assert all(ck.Verdict.from_code(v.code) is v for v in ck.Verdict)
    assert ck.Verdict.INDETERMINATE == "indeterminate" and str(ck.Verdict.POSITIVE) == "positive"
    with pytest.raises(ValueError):
        ck.Verdict.from_code(3)
    # No truth value: neither "indeterminate" nor "negative" can be read as a bool by accident.
    for v in ck.Verdict:
        with pytest.raises(TypeError, match="no truth value"):
            bool(v)
        with pytest.raises(TypeError):
            assert v  # noqa: PT015


def test_incomplete_asq_is_indeterminate_not_negative() -> None:
    """The issue's example: an ASQ whose required items were unanswered must not read as a negative screen."""
    asq = ck.catalog().instrument("asq")
    r = asq.score({})
    assert r.screen_verdict is ck.Verdict.INDETERMINATE
    assert r.screen_positive is not None and r.screen_positive.missing_items
    assert "screen=indeterminate" in repr(r)
    res = asq.score_batch(np.full((1, asq.n_items), -1, dtype=np.int8))
    assert res["screen"].tolist() == [ck.Verdict.INDETERMINATE.code]


def test_phq9_missing_item_still_positive_when_decided() -> None:
    """Kleene evaluation with interval bounds: 12 points without item 3 decide total >= 10."""
    phq9 = ck.catalog().instrument("phq9")
    answers: dict[int, Any] = {**PHQ9, 3: None}
    answers[1] = 2  # keep the others summing to 12
    r = phq9.score(answers)
    assert r.validity.status == ck.ValidityStatus.INCOMPLETE
    assert not r.scale("total").scored
    assert r.screen_verdict is ck.Verdict.POSITIVE


def test_flag_verdicts_and_has_flag() -> None:
    phq9 = ck.catalog().instrument("phq9")
    r = phq9.score({i: 0 for i in range(1, 9)})  # item 9 unanswered
    assert r.flag_verdict("item9_self_harm") is ck.Verdict.INDETERMINATE
    assert not r.has_flag("item9_self_harm")  # has_flag is positive only (documented); the verdict is not negative
    assert r.flag_verdict("item9_unanswered") is ck.Verdict.POSITIVE
    assert r.flag_verdict("mdd_algorithm") is ck.Verdict.NEGATIVE
    f = next(f for f in r.flags if f.id == "item9_self_harm")
    assert f.missing_items == [9] and f.refused_items == []
    refused = phq9.score({**{i: 0 for i in range(1, 9)}, 9: "refused"})
    f = next(f for f in refused.flags if f.id == "item9_self_harm")
    assert f.verdict is ck.Verdict.INDETERMINATE and f.refused_items == [9]
    assert "item9_self_harm?" in repr(r)


def test_batch_verdict_columns() -> None:
    phq9 = ck.catalog().instrument("phq9")
    arr = np.zeros((3, 10), dtype=np.int8)
    arr[1, 8] = -1
    arr[2, :] = 3
    res = phq9.score_batch(arr)
    assert res["flag.item9_self_harm"].dtype == np.uint8
    assert res.flag_verdicts("item9_self_harm").tolist() == [0, 2, 1]
    assert res["flags_indeterminate"].dtype == np.uint64
    assert res["screen"].tolist() == [0, 0, 1] and res.has_screen
    assert res.verdict_labels("flag.item9_self_harm").tolist() == [
        ck.Verdict.NEGATIVE,
        ck.Verdict.INDETERMINATE,
        ck.Verdict.POSITIVE,
    ]
    assert "screen_positive" not in res
    with pytest.raises(KeyError):
        res.flag_verdicts("nope")
    with pytest.raises(KeyError):
        res.verdict_labels("total.raw")
    # An instrument without a screen rule has no screen column.
    no_screen = [i for i in ck.catalog().ids() if ck.catalog().instrument(i).spec().get("screen_positive") is None]
    if no_screen:
        inst = ck.catalog().instrument(no_screen[0])
        opts = inst.option_codes(1)
        out = inst.score_batch(np.full((2, inst.n_items), opts[0], dtype=np.int16))
        assert not out.has_screen and "screen" not in out


def test_answers_by_option_id() -> None:
    phq9 = ck.catalog().instrument("phq9")
    by_code = phq9.score(PHQ9)
    by_id = phq9.score({k: phq9.option_ids(k)[phq9.option_codes(k).index(v)] for k, v in PHQ9.items()})
    assert by_id == by_code
    ids = phq9.option_ids(1)
    assert len(ids) == len(set(ids)) == 4
    with pytest.raises(ck.ScoreError) as e:
        phq9.score({1: "no_such_option"})
    assert (e.value.code, e.value.item) == ("score.unknown_option", 1)
    with pytest.raises(KeyError):
        phq9.option_ids(99)


def test_describe_shows_code_tables() -> None:
    rses = ck.catalog().instrument("rses")
    text = rses.describe()
    assert text.startswith(f"rses {rses.version}")
    assert "code tables" in text and "strongly_agree" in text
    d = rses.description()
    item2 = d["items"][1]
    assert (item2["options"][0]["code"], item2["options"][0]["id"], item2["options"][0]["value"]) == (
        0,
        "strongly_agree",
        0,
    )
    assert text.rstrip() in repr(rses)
    for iid in ck.catalog().ids():
        inst = ck.catalog().instrument(iid)
        desc = inst.description()
        assert [it["number"] for it in desc["items"]] == list(range(1, inst.n_items + 1))
        for it in desc["items"]:
            assert sorted(o["code"] for o in it["options"]) == inst.option_codes(it["number"])


# ---- reports crossing from Python are verified by the core ---------------------------------------


def _tampered(report: ck.ScoreReport, **edit: Any) -> dict[str, Any]:
    d = report.to_dict()
    for path, value in edit.items():
        keys = path.split("__")
        node: Any = d
        for k in keys[:-1]:
            node = node[int(k)] if k.isdigit() else node[k]
        last = keys[-1]
        node[int(last) if last.isdigit() else last] = value
    return d


def test_report_from_dict_is_verified() -> None:
    phq9 = ck.catalog().instrument("phq9")
    good = phq9.score(PHQ9)
    assert ck.ScoreReport.from_dict(good.to_dict()) == good
    assert ck.ScoreReport.from_json(good.to_json(), phq9) == good
    assert ck.catalog().verify_report(good) == good
    assert phq9.verify_report(good.to_dict()) == good
    cases = [
        ({"scales__0__raw": "99", "scales__0__score": "99"}, "evidence.out_of_range", "/scales/0/raw"),
        ({"instrument__id": "phq9_relabelled"}, "evidence.unknown_instrument", "/instrument/id"),
        ({"instrument__version": "0.0.1"}, "evidence.version_mismatch", "/instrument/version"),
    ]
    for edit, code, path in cases:
        with pytest.raises(ck.EvidenceError) as e:
            ck.ScoreReport.from_dict(_tampered(good, **edit))
        assert (e.value.code, e.value.path) == (code, path), edit
        assert isinstance(e.value, ValueError)
    # A band that does not follow from the raw score.
    bad_band = good.to_dict()
    bad_band["scales"][0]["band"]["id"] = "minimal"
    with pytest.raises(ck.EvidenceError) as e:
        phq9.verify_report(bad_band)
    assert e.value.code.startswith("evidence.")
    with pytest.raises(ck.EvidenceError) as e:
        ck.ScoreReport.from_json('{"instrument": 1}')
    assert e.value.code == "evidence.invalid"


def test_tampered_report_is_not_exported_to_fhir() -> None:
    phq9 = ck.catalog().instrument("phq9")
    good = phq9.score(PHQ9)
    forged = ck.ScoreReport(json.dumps(_tampered(good, scales__0__raw="99", scales__0__score="99")))
    with pytest.raises(ck.EvidenceError) as e:
        ck.export_observation(phq9, forged, "total", "Patient/p-1", "2026-03-02T09:00:00+08:00")
    assert e.value.code == "evidence.out_of_range"
    obs = ck.export_observation(phq9, good, "total", "Patient/p-1", "2026-03-02T09:00:00+08:00")
    assert obs["resourceType"] == "Observation"


AT = "2024-03-04T08:00:00Z"


def test_evidence_reports_are_verified_and_answers_are_scored() -> None:
    policy = ck.AlertPolicy.changzhou_default()
    phq9 = ck.catalog().instrument("phq9")
    worst = phq9.score({i: 3 for i in range(1, 10)})
    by_report = policy.evaluate({"student": "s-1", "screenings": [{"at": "2024-03-01T08:00:00Z", "report": worst}]}, AT)
    ans = {"answers": {str(i): 3 for i in range(1, 10)}}
    by_answers = policy.evaluate(
        {"student": "s-1", "screenings": [{"at": "2024-03-01T08:00:00Z", "instrument": phq9, "response": ans}]}, AT
    )
    assert by_answers.tier == by_report.tier and by_answers.tier_index > 0
    assert by_answers.rule_ids == by_report.rule_ids
    # The PHQ-9 total of 99 with band "minimal" of the issue: refused with a path, not tier none.
    forged = _tampered(worst, scales__0__raw="99", scales__0__score="99")
    forged["scales"][0]["band"]["id"] = "minimal"
    with pytest.raises(ck.EvidenceError) as e:
        policy.evaluate({"student": "s-2", "screenings": [{"at": "2024-03-01T08:00:00Z", "report": forged}]}, AT)
    assert e.value.path.startswith("/screenings/0/report/")
    # A relabelled report (unknown instrument id) is an error with a path, not a generic lower tier.
    relabelled = _tampered(worst, instrument__id="phq9_v2")
    with pytest.raises(ck.EvidenceError) as e:
        policy.evaluate({"student": "s-3", "screenings": [{"at": "2024-03-01T08:00:00Z", "report": relabelled}]}, AT)
    assert (e.value.code, e.value.path) == ("evidence.unknown_instrument", "/screenings/0/report/instrument/id")
    # In a batch, refused evidence is listed with its row.
    batch = policy.evaluate_batch(
        [
            {"student": "a", "screenings": [{"at": "2024-03-01T08:00:00Z", "report": worst}]},
            {"student": "b", "screenings": [{"at": "2024-03-01T08:00:00Z", "report": relabelled}]},
        ],
        AT,
    )
    assert [(e.row, e.code) for e in batch.errors] == [(1, "evidence.unknown_instrument")]
    assert batch.tier_column()[1] == -1


def test_new_error_codes_have_classes() -> None:
    for code in (
        "evidence.unknown_instrument",
        "evidence.version_mismatch",
        "evidence.unknown_setting",
        "evidence.out_of_range",
        "evidence.report_inconsistent",
    ):
        assert ck.ErrorCode(code).category == "evidence"
    from changkaixin._errors import _from_core

    assert isinstance(_from_core("evidence.out_of_range", "evidence", "/x", None, None, "m"), ck.EvidenceError)
    assert ck.ErrorCode("fhir.item_type").category == "fhir"


def test_fhir_sdc_quantity_total_is_recomputed() -> None:
    q = (FIXTURES / "fhir" / "sdc_phq9_questionnaire_hl7-sdc.json").read_text(encoding="utf-8")
    qr = (FIXTURES / "fhir" / "sdc_phq9_response_hl7-sdc.json").read_text(encoding="utf-8")
    inst = ck.Instrument.from_dict(ck.import_questionnaire(q))
    scored = ck.fhir.score_questionnaire_response_detailed(inst, qr)
    assert str(scored.report.scale("total").raw) == "10"  # the example stores 13; its answers add up to 10
    assert [(t.stored, t.status) for t in scored.stored_totals] == [(Decimal("13"), "disagrees")]
    assert ck.score_questionnaire_response(inst, qr) == scored.report


# ---- declared recodes ----------------------------------------------------------------------------

AS_TICKED = {"all": {1: "strongly_disagree", 2: "disagree", 3: "agree", 4: "strongly_agree"}}


def test_code_map_single_batch_and_frame_agree() -> None:
    rses = ck.catalog().instrument("rses")
    m = rses.code_map(AS_TICKED)
    assert m.instrument == "rses" and "CodeMap('rses'" in repr(m)
    assert str(rses.score([4] * 10, code_map=m).scale("total").raw) == "15"
    rng = np.random.default_rng(9)
    arr = rng.integers(1, 5, size=(400, 10)).astype(np.int8)
    arr[rng.random(arr.shape) < 0.05] = -1
    for threads in (1, 2):
        res = rses.score_batch(arr, code_map=m, threads=threads)
        for r in range(0, 400, 9):
            answers = {j + 1: (None if c == -1 else int(c)) for j, c in enumerate(arr[r])}
            rep = rses.score(answers, code_map=AS_TICKED)  # the spec dict works as well as the CodeMap
            assert_row_matches(res, r, rep)
    # Without the map the same codes are refused (4 is not an RSES option code), not silently misread.
    with pytest.raises(ck.BatchError) as e:
        rses.score_batch(arr)
    assert e.value.code == "batch.unknown_option"
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(np.where(arr < 0, np.nan, arr), columns=rses.item_ids())
    out = ck.score_frame(df, rses, code_map=m)
    ref = rses.score_batch(arr, code_map=m)
    assert out["total"].isna().tolist() == (ref["total.raw"] == ck.UNSCORED).tolist()


def test_code_map_errors() -> None:
    rses = ck.catalog().instrument("rses")
    with pytest.raises(ck.ScoreError) as e:
        rses.code_map({"all": {1: "strongly_disagree", 2: "strongly_disagree", 3: "agree", 4: "strongly_agree"}})
    assert e.value.code == "score.code_map_not_bijective"
    with pytest.raises(ck.ScoreError) as e:
        rses.code_map({"all": {1: "no_such_option"}})
    assert e.value.code == "score.code_map_invalid"
    with pytest.raises(ck.ScoreError) as e:
        rses.code_map({"items": {"99": {1: 0}}})
    assert e.value.code == "score.code_map_invalid"
    m = rses.code_map(AS_TICKED)
    phq9 = ck.catalog().instrument("phq9")
    with pytest.raises(ck.ScoreError) as e:
        phq9.score(PHQ9, code_map=m)
    assert e.value.code == "score.code_map_mismatch"
    with pytest.raises(ck.ChangkaixinError) as e2:
        rses.score_batch(np.ones((2, 10), dtype=np.int8), missing=1, code_map=m)  # the sentinel is a source code
    assert e2.value.code == "batch.shape"


def test_positional_lists_of_the_scored_items() -> None:
    phq9 = ck.catalog().instrument("phq9")
    nine = [PHQ9[i] for i in range(1, 10)]
    assert phq9.score(nine) == phq9.score(PHQ9)
    assert phq9.score(nine + [None]) == phq9.score(PHQ9)
    timed = phq9.score(nine, started_at="2026-03-02T09:00:00+08:00", finished_at="2026-03-02T09:04:00+08:00")
    assert timed.duration_seconds == 240 and timed.scale("total").raw == Decimal(12)
    with pytest.raises(ck.ScoreError) as e:
        phq9.score(nine[:8])
    assert e.value.code == "score.wrong_item_count"
    with pytest.raises(ck.ScoreError) as e:
        phq9.score(nine[:8], started_at="2026-03-02T09:00:00+08:00")
    assert e.value.code == "score.wrong_item_count"
