"""Single scoring, the catalog, specs, settings, FHIR and the error hierarchy."""

from __future__ import annotations

import datetime as dt
import json
import pickle
from decimal import Decimal
from fractions import Fraction

import pytest
from conftest import FIXTURES, VECTORS

import changkaixin as ck
from changkaixin import _core

PHQ9_ANSWERS = {1: 1, 2: 2, 3: 1, 4: 2, 5: 1, 6: 1, 7: 1, 8: 2, 9: 1}


def test_catalog() -> None:
    cat = ck.catalog()
    assert len(cat.ids()) == 16
    assert "phq9" in cat and "nope" not in cat
    assert list(cat) == cat.ids() == sorted(cat.ids())
    assert _core.NativeCatalog.builtin().load_errors() == []
    with pytest.raises(ck.CatalogError) as e:
        cat.instrument("nope")
    assert e.value.code == ck.ErrorCode.CATALOG_UNKNOWN_INSTRUMENT
    assert isinstance(e.value, LookupError)
    assert isinstance(e.value, ck.ChangkaixinError)


def test_score_dict_list_ids_and_repr() -> None:
    phq9 = ck.Instrument.builtin("phq9")
    r = phq9.score(PHQ9_ANSWERS)
    t = r.scale("total")
    assert t.raw == Decimal(12) and isinstance(t.raw, Decimal)
    assert t.band is not None and t.band.id == "moderate" and t.band.severity == ck.Severity.MODERATE
    assert r.has_flag("item9_self_harm")
    assert r.flags[0].level == ck.FlagLevel.CRITICAL
    assert r.validity.status == ck.ValidityStatus.VALID
    assert "phq9" in repr(r) and "moderate" in repr(r)
    # Same answers by string number, by item id, positionally and as JSON.
    ids = phq9.item_ids()
    assert phq9.score({str(k): v for k, v in PHQ9_ANSWERS.items()}) == r
    assert phq9.score({ids[k - 1]: v for k, v in PHQ9_ANSWERS.items()}) == r
    assert phq9.score([PHQ9_ANSWERS.get(i, None) for i in range(1, 11)]) == r
    assert phq9.score_json(json.dumps({"answers": {str(k): v for k, v in PHQ9_ANSWERS.items()}})) == r
    assert repr(phq9).startswith(f"Instrument('phq9', version={phq9.version!r})\n")
    assert phq9.describe().rstrip() in repr(phq9)
    with pytest.raises(KeyError):
        r.scale("nope")


def test_refused_missing_and_numpy_ints() -> None:
    import numpy as np

    phq9 = ck.Instrument.builtin("phq9")
    r = phq9.score({1: np.int8(1), 2: "refused", 3: None, 4: "missing"})
    assert (r.items.answered, r.items.refused, r.items.missing) == (1, 1, 8)


def test_times_and_duration() -> None:
    phq9 = ck.Instrument.builtin("phq9")
    tz = dt.timezone(dt.timedelta(hours=8))
    start = dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=tz)
    r = phq9.score(PHQ9_ANSWERS, started_at=start, finished_at=start + dt.timedelta(minutes=3))
    assert r.duration_seconds == 180
    with pytest.raises(ck.ScoreError) as e:
        phq9.score(PHQ9_ANSWERS, started_at=start, finished_at=start - dt.timedelta(minutes=3))
    assert e.value.code == "score.invalid_time"
    with pytest.raises(ck.ScoreError) as e:
        phq9.score(PHQ9_ANSWERS, started_at=dt.datetime(2026, 3, 2, 9, 0), finished_at="2026-03-02T09:03:00+08:00")
    assert e.value.code == "score.invalid_time"  # a naive datetime has no offset: refused, not guessed


@pytest.mark.parametrize(
    ("answers", "code", "item"),
    [
        ({1: 7}, "score.unknown_option", 1),
        ({99: 0}, "score.unknown_item", 99),
        ({1: 0, "phq9_interest": 0}, "score.duplicate_answer", 1),
        ([0, 0, 0], "score.wrong_item_count", None),
        ({1: 1.5}, "score.parse", None),
        ({1: True}, "score.parse", None),
        ({1: "often"}, "score.unknown_option", 1),  # a string is an option id: unknown here
    ],
)
def test_score_errors(answers: object, code: str, item: object) -> None:
    phq9 = ck.Instrument.builtin("phq9")
    with pytest.raises(ck.ScoreError) as e:
        phq9.score(answers)  # type: ignore[arg-type]
    assert e.value.code == code
    assert e.value.item == item
    assert isinstance(e.value, ValueError)
    assert e.value.path.startswith("/answers")


def test_type_errors_are_type_errors() -> None:
    phq9 = ck.Instrument.builtin("phq9")
    with pytest.raises(TypeError):
        phq9.score(12)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        phq9.score({1.0: 1})  # type: ignore[dict-item]


def test_spec_errors_and_access() -> None:
    with pytest.raises(ck.SpecError) as e:
        ck.Instrument.from_json('{"format": "nope"}')
    assert e.value.code == ck.ErrorCode.SPEC_PARSE
    phq9 = ck.Instrument.builtin("phq9")
    spec = phq9.spec()
    assert spec["id"] == "phq9" and phq9.id == "phq9" and phq9.version == spec["version"]
    again = ck.Instrument.from_json(phq9.spec_json())
    assert again.score(PHQ9_ANSWERS) == phq9.score(PHQ9_ANSWERS)
    assert ck.Instrument.from_dict(spec) == again
    assert json.loads(phq9.source_spec_json())["id"] == "phq9"


def test_settings() -> None:
    cat = ck.catalog()
    with_settings = [i for i in cat.ids() if cat.instrument(i).settings]
    assert with_settings, "some built-in instrument has settings"
    inst = cat.instrument(with_settings[0])
    spec = json.loads(inst.source_spec_json())
    setting = spec["settings"][0]
    other = next(o["id"] for o in setting["options"] if o["id"] != setting["default"])
    changed = inst.with_settings({setting["id"]: other})
    assert changed.settings[setting["id"]] == other
    assert cat.instrument(inst.id, {setting["id"]: other}).settings == changed.settings
    with pytest.raises(ck.SpecError) as e:
        cat.instrument(inst.id, {"no_such_setting": "x"})
    assert e.value.code == "spec.unknown_setting"


def test_exact_means_are_decimal_and_fraction() -> None:
    """A mean that 2 decimals cannot show exactly keeps its exact fraction beside the rounded Decimal."""
    doc = json.loads((VECTORS / "scoring" / "mssmhs.json").read_text(encoding="utf-8"))
    seen = 0
    for case in doc["cases"]:
        for s in case.get("report", {}).get("scales", []):
            if "raw_exact" in s:
                inst = ck.catalog().instrument("mssmhs", case.get("settings"))
                got = inst.score(case["response"]["answers"]).scale(s["id"])
                assert got.raw_exact == Fraction(s["raw_exact"])
                assert got.raw == Decimal(s["raw"]) and str(got.raw) == s["raw"]
                seen += 1
    assert seen > 0


def test_error_code_enum_matches_core() -> None:
    core = _core.error_codes()
    assert [c for c, _ in core] == [c.value for c in ck.ErrorCode]
    for code, category in core:
        assert ck.ErrorCode(code).category == category
    assert str(ck.ErrorCode.SCORE_UNKNOWN_OPTION) == "score.unknown_option"
    assert ck.ErrorCode.SCORE_UNKNOWN_OPTION == "score.unknown_option"


@pytest.mark.parametrize(
    ("cls", "base"),
    [
        (ck.SpecError, ValueError),
        (ck.ScoreError, ValueError),
        (ck.BatchError, ValueError),
        (ck.FhirError, ValueError),
        (ck.PolicyError, ValueError),
        (ck.EvidenceError, ValueError),
        (ck.TimeError, ValueError),
        (ck.CatalogError, LookupError),
        (ck.ComplianceError, ValueError),
        (ck.FactsError, ValueError),
        (ck.ReportError, ValueError),
    ],
)
def test_hierarchy(cls: type[ck.ChangkaixinError], base: type) -> None:
    assert issubclass(cls, ck.ChangkaixinError) and issubclass(cls, base)
    assert not issubclass(cls, RuntimeError)


def test_every_category_maps_to_its_class() -> None:
    from changkaixin._errors import _BY_CATEGORY, _from_core

    for code, category in _core.error_codes():
        e = _from_core(code, category, "/x", 3, 4, "msg")
        assert type(e) is _BY_CATEGORY[category]
        assert (e.code, e.path, e.item, e.row, e.message) == (code, "/x", 3, 4, "msg")


def test_exceptions_pickle() -> None:
    phq9 = ck.Instrument.builtin("phq9")
    with pytest.raises(ck.ScoreError) as e:
        phq9.score({1: 7})
    back = pickle.loads(pickle.dumps(e.value))
    assert type(back) is ck.ScoreError and back.to_dict() == e.value.to_dict()


def test_fhir_round_trip() -> None:
    q = (FIXTURES / "fhir" / "phq9_loinc_44249-1_lhncbc_lforms-fhir-app.json").read_text(encoding="utf-8")
    spec = ck.import_questionnaire(q)
    assert len(spec["items"]) == 10
    imported = ck.Instrument.from_dict(spec)
    assert imported.spec()["scales"][0]["id"] == "total"
    phq9 = ck.Instrument.builtin("phq9")
    qr = json.loads((FIXTURES / "fhir" / "phq9_response_synthetic.json").read_text(encoding="utf-8"))
    report = ck.score_questionnaire_response(phq9, qr)
    assert report.scale("total").scored
    obs = ck.export_observation(phq9, report, "total", "Patient/pseudonym-1", "2026-03-02T09:00:00+08:00")
    assert obs["resourceType"] == "Observation"
    assert any(c.get("code") == "44261-6" for c in obs["code"]["coding"])
    with pytest.raises(ck.FhirError) as e:
        ck.import_questionnaire('{"resourceType": "Patient"}')
    assert e.value.code.startswith("fhir.")
    with pytest.raises(ck.ChangkaixinError):
        ck.export_observation(phq9, report, "nope", "Patient/x", "2026-03-02T09:00:00+08:00")


def test_demo_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from changkaixin._demo import main

    assert main(["demo", "--students", "2000"]) == 0
    out = capsys.readouterr().out
    assert "phq9" in out and "gad7" in out and "SYNTHETIC" in out


def test_instrument_accessors() -> None:
    phq9 = ck.Instrument.builtin("phq9")
    assert phq9.scale_range("total") == (Decimal(0), Decimal(27))
    assert phq9.option_codes(1) == [0, 1, 2, 3]
    assert phq9.option_value(1, 2) == 2 and phq9.option_value(1, 9) is None
    assert phq9.n_items == 10
    with pytest.raises(KeyError):
        phq9.scale_range("nope")
    with pytest.raises(KeyError):
        phq9.option_codes(11)
