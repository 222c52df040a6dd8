"""Arrow in and out (``Instrument.score_arrow``): the same results as the numpy batch, cell by cell."""

from __future__ import annotations

import pickle
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa  # required (python/run-tests.sh installs it): a missing pyarrow fails, never skips
import pytest
from test_batch import mht, mht_cohort, random_codes

import changkaixin as ck
import changkaixin.arrow as cka
from changkaixin import report as cr


def arrow_table(inst: ck.Instrument, codes: np.ndarray, missing: int = -1, **extra: Any) -> Any:
    """One nullable column per item (a cell equal to ``missing`` is null)."""
    cols = {iid: pa.array(codes[:, j], mask=codes[:, j] == missing) for j, iid in enumerate(inst.item_ids())}
    return pa.table({**extra, **cols})


def assert_same_as_numpy(out: Any, res: ck.BatchResult, prefix: str = "") -> None:
    """Every Arrow column carries exactly the numpy batch's values."""
    assert out.num_rows == res.n_rows
    for s in res.scale_ids:
        for arrow_name, col in ((f"{prefix}{s}", f"{s}.raw"), (f"{prefix}{s}_score", f"{s}.score")):
            f = out.schema.field(arrow_name)
            assert f.type == pa.decimal128(18, res.decimals[col])
            want = [None if m == ck.UNSCORED else Decimal(int(m)).scaleb(-res.decimals[col]) for m in res[col]]
            assert out.column(arrow_name).to_pylist() == want, arrow_name
        ids = res.band_ids[s]
        want_band = [None if b < 0 else ids[b] for b in res[f"{s}.band"]]
        assert out.column(f"{prefix}{s}_band").to_pylist() == want_band
        assert out.column(f"{prefix}{s}_answered").to_pylist() == res[f"{s}.answered"].tolist()
        assert out.column(f"{prefix}{s}_prorated").to_pylist() == res[f"{s}.prorated"].tolist()
    for fid in res.flag_ids:
        codes = res[f"flag.{fid}"]
        want_flag = [{0: False, 1: True, 2: None}[int(c)] for c in codes]
        assert out.column(f"{prefix}flag_{fid}").to_pylist() == want_flag, fid
    assert out.column(f"{prefix}flags").to_pylist() == res["flags"].tolist()
    assert out.column(f"{prefix}flags_indeterminate").to_pylist() == res["flags_indeterminate"].tolist()
    assert out.column(f"{prefix}validity").to_pylist() == res["validity"].tolist()
    if res.has_screen:
        assert out.column(f"{prefix}screen").to_pylist() == res["screen"].tolist()
    else:
        assert f"{prefix}screen" not in out.schema.names


@pytest.mark.parametrize("iid", ck.catalog().ids())
def test_arrow_equals_numpy_for_every_instrument(iid: str) -> None:
    inst = ck.catalog().instrument(iid)
    codes = random_codes(inst, 400, seed=3 + len(iid))
    res = inst.score_batch(codes, missing=-1)
    out = inst.score_arrow(arrow_table(inst, codes))
    assert isinstance(out, pa.Table)
    assert_same_as_numpy(out, res)
    assert out.schema.remove_metadata() == inst.arrow_schema().remove_metadata()


def test_batches_chunks_keep_and_prefix() -> None:
    inst = ck.Instrument.builtin("phq9")
    codes = random_codes(inst, 1000, seed=11)
    res = inst.score_batch(codes, missing=-1)
    table = arrow_table(inst, codes, student=pa.array([f"s{i:04d}" for i in range(1000)]))
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=137))
    out = inst.score_arrow(chunked, keep=["student"], prefix="phq9_")
    assert [b.num_rows for b in out.to_batches()] == [b.num_rows for b in chunked.to_batches()]
    assert out.column("student").to_pylist() == table.column("student").to_pylist()
    assert out.schema.names[0] == "student"
    assert_same_as_numpy(out, res, prefix="phq9_")
    # One record batch in, one record batch out.
    one = inst.score_arrow(table.to_batches()[0])
    assert isinstance(one, pa.RecordBatch)
    assert_same_as_numpy(pa.Table.from_batches([one]), res)


def test_fixed_size_list_is_read_in_place_and_equal() -> None:
    inst = ck.Instrument.builtin("gad7")
    codes = random_codes(inst, 500, seed=5)
    res = inst.score_batch(codes, missing=-1)
    flat = pa.array(codes.ravel())
    lists = pa.FixedSizeListArray.from_arrays(flat, inst.n_items)
    out = inst.score_arrow(pa.table({"answers": lists}), "answers", missing=-1)
    assert_same_as_numpy(out, res)
    # The same with nulls in the child values instead of -1 (gathered).
    masked = pa.FixedSizeListArray.from_arrays(pa.array(codes.ravel(), mask=codes.ravel() == -1), inst.n_items)
    assert inst.score_arrow(pa.table({"answers": masked}), "answers").equals(out)
    # A sliced list column reads the slice's own rows.
    part = inst.score_arrow(pa.table({"answers": lists.slice(100, 50)}), "answers", missing=-1)
    assert part.equals(out.slice(100, 50))


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64])
def test_every_integer_type_and_mixed_types(dtype: Any) -> None:
    inst = ck.Instrument.builtin("phq9")
    codes = random_codes(inst, 300, seed=7)
    res = inst.score_batch(codes, missing=-1)
    mask = codes == -1
    safe = np.where(mask, 0, codes).astype(dtype)
    cols = {iid: pa.array(safe[:, j], mask=mask[:, j]) for j, iid in enumerate(inst.item_ids())}
    assert_same_as_numpy(inst.score_arrow(pa.table(cols)), res)
    # Mixed types: widened, same result.
    first = inst.item_ids()[0]
    cols[first] = pa.array(np.where(mask[:, 0], 0, codes[:, 0]).astype(np.int64), mask=mask[:, 0])
    assert_same_as_numpy(inst.score_arrow(pa.table(cols)), res)


def test_missing_sentinel_never_collides_with_data() -> None:
    """A cell holding a would-be sentinel is an invalid code (an error), never read as missing."""
    inst = ck.Instrument.builtin("phq9")
    codes = np.zeros((4, inst.n_items), dtype=np.int8)
    cols = {iid: pa.array(codes[:, j]) for j, iid in enumerate(inst.item_ids())}
    first = inst.item_ids()[0]
    for bad in (-128, 127, -127, 126):
        cols[first] = pa.array([0, None, bad, 1], pa.int8())
        with pytest.raises(ck.BatchError) as e:
            inst.score_arrow(pa.table(cols))
        assert e.value.row == 2 and e.value.item == 1
    # Every candidate taken (and nulls): widened, still an error at the right cell.
    cols[first] = pa.array([-128, 127, -127, 126], pa.int8())
    second = inst.item_ids()[1]
    cols[second] = pa.array([None, 0, 0, 0], pa.int8())
    with pytest.raises(ck.BatchError) as e:
        inst.score_arrow(pa.table(cols))
    assert e.value.row == 0 and e.value.item == 1


def test_refused_and_missing_codes_and_durations() -> None:
    inst = ck.Instrument.builtin("phq9")
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 4, (200, inst.n_items)).astype(np.int16)
    codes[rng.random(codes.shape) < 0.05] = -2
    codes[rng.random(codes.shape) < 0.05] = -1
    durations = rng.integers(-1, 600, 200)
    res = inst.score_batch(codes, missing=-1, refused=-2, durations=durations)
    table = pa.table(
        {**{iid: pa.array(codes[:, j]) for j, iid in enumerate(inst.item_ids())}, "secs": pa.array(durations)}
    )
    out = inst.score_arrow(table, missing=-1, refused=-2, duration_column="secs")
    assert_same_as_numpy(out, res)
    # Null durations are unknown (-1).
    nul = table.set_column(
        table.schema.get_field_index("secs"), "secs", pa.array(np.where(durations < 0, None, durations))
    )
    assert inst.score_arrow(nul, missing=-1, refused=-2, duration_column="secs").equals(out)


def test_norm_groups_from_columns(mht_text: str) -> None:
    inst = mht(mht_text)
    codes, grade, sex = mht_cohort(inst, 2000, 4)
    res = inst.score_batch(codes, missing=255, groups={"grade": grade, "sex": sex})
    cols = {iid: pa.array(codes[:, j]) for j, iid in enumerate(inst.item_ids())}
    table = pa.table({**cols, "grade": pa.array(grade), "sex": pa.array(sex)})
    out = inst.score_arrow(table, missing=255, group_columns=["grade", "sex"])
    assert_same_as_numpy(out, res)
    with pytest.raises(ck.BatchError) as e:
        inst.score_arrow(
            table.set_column(table.schema.get_field_index("sex"), "sex", pa.array(["M"] * 1999 + [None])),
            missing=255,
            group_columns=["grade", "sex"],
        )
    assert e.value.row == 1999


def test_errors_name_the_row_of_the_whole_input() -> None:
    inst = ck.Instrument.builtin("phq9")
    codes = random_codes(inst, 300, seed=9)
    codes[250, 3] = 7
    table = pa.Table.from_batches(arrow_table(inst, codes).to_batches(max_chunksize=100))
    with pytest.raises(ck.BatchError) as e:
        inst.score_arrow(table)
    assert (e.value.row, e.value.item, e.value.code) == (250, 4, ck.ErrorCode.BATCH_UNKNOWN_OPTION.value)
    with pytest.raises(KeyError, match="phq9_q1|q1|not in the Arrow data"):
        inst.score_arrow(table.drop_columns([inst.item_ids()[0]]))
    with pytest.raises(TypeError, match="integer"):
        inst.score_arrow(table.set_column(0, inst.item_ids()[0], pa.array(np.zeros(300))))
    with pytest.raises(ck.BatchError):
        inst.score_arrow(table, inst.item_ids()[:3])


def test_pycapsule_objects_and_dispatch() -> None:
    """Anything with ``__arrow_c_stream__`` is read (Polars, DuckDB, ...); score_batch / score_frame dispatch."""
    inst = ck.Instrument.builtin("phq9")
    codes = random_codes(inst, 200, seed=13)
    table = arrow_table(inst, codes)

    class Stream:
        def __init__(self, t: Any) -> None:
            self.t = t

        def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
            return self.t.__arrow_c_stream__(requested_schema)

    want = inst.score_arrow(table)
    assert inst.score_arrow(Stream(table)).equals(want)
    assert inst.score_batch(table).equals(want)
    assert ck.score_frame(table, inst).equals(want)
    # pandas frames keep the pandas path (numpy columns in, pandas out).
    assert not isinstance(ck.score_frame(table.to_pandas(), inst), pa.Table)


def test_engine_form_keeps_every_value() -> None:
    inst = ck.Instrument.builtin("phq9")
    codes = random_codes(inst, 300, seed=17)
    out = inst.score_arrow(arrow_table(inst, codes))
    eng = cka.for_engine(out)
    assert eng.schema.field("total_band").type == pa.string()
    assert eng.schema.field("validity").type == pa.int8()
    assert eng.schema.field("flags").type == pa.int64()
    for name in out.schema.names:
        a, b = out.column(name), eng.column(name)
        if name in ("flags", "flags_indeterminate"):
            continue  # same bits, checked below
        assert a.to_pylist() == b.to_pylist(), name
    back = eng.column("flags").cast(pa.uint64(), safe=False)
    assert back.equals(out.column("flags"))


def test_pickling_instrument_and_policy() -> None:
    inst = ck.Instrument.builtin("scared", None) if "scared" in ck.catalog() else ck.Instrument.builtin("gad7")
    again = pickle.loads(pickle.dumps(inst))
    assert again == inst and again.version == inst.version
    pol = ck.AlertPolicy.changzhou_default()
    p2 = pickle.loads(pickle.dumps(pol))
    assert p2.to_json() == pol.to_json() and p2.rules == pol.rules


def test_tiers_arrow_equals_evaluate_batch() -> None:
    import json

    policy = ck.AlertPolicy.changzhou_default()
    phq = ck.Instrument.builtin("phq9")
    rng = np.random.default_rng(3)
    evid = []
    for i in range(60):
        answers = [int(x) for x in rng.integers(0, 4, phq.n_items)]
        rep = phq.score(answers)
        evid.append(
            json.dumps({"student": f"s{i}", "screenings": [{"at": "2026-03-01T08:00:00Z", "report": rep.to_dict()}]})
        )
    evid[7] = json.dumps(
        {
            "student": "s7",
            "screenings": [
                {
                    "at": "2026-03-01T08:00:00Z",
                    "instrument": {"id": "nope", "version": "1"},
                    "response": {"answers": {}},
                }
            ],
        }
    )
    at = "2026-03-04T08:00:00Z"
    batch = pa.record_batch({"sid": pa.array(range(60)), "evidence": pa.array(evid)})
    out = cka.tiers_arrow(policy, batch, at, keep=["sid"])
    ref = policy.evaluate_batch(evid, at)
    tiers = ref.tier_column()
    assert out.column("tier_index").to_pylist() == [None if t < 0 else int(t) for t in tiers]
    assert out.column("tier").to_pylist() == [None if t < 0 else ref.tiers[t] for t in tiers]
    assert out.column("sid").to_pylist() == list(range(60))
    errs = {e.row: e.code for e in ref.errors}
    assert errs and out.column("error").to_pylist() == [errs.get(i) for i in range(60)]
    assert out.column("tier").to_pylist()[7] is None and out.column("tier").to_pylist()[8] is not None
    with pytest.raises(ValueError, match="rename"):
        cka.tiers_arrow(policy, batch.rename_columns(["tier", "evidence"]), at, keep=["tier"])
    rows = ref.rows
    assert out.column("rules").to_pylist() == [None if r is None else [ref.rules[j] for j in r["rules"]] for r in rows]


def test_aggregate_arrow_equals_numpy_aggregate() -> None:
    spec = cr.ReportSpec.from_dict(
        {
            "layout": {
                "districts": [{"id": "d1", "zh": "一区", "en": "D1"}],
                "schools": [{"id": f"s{i}", "zh": f"校{i}", "en": f"S{i}", "district": 0} for i in range(3)],
                "grades": [{"id": "7", "zh": "七", "en": "7"}, {"id": "8", "zh": "八", "en": "8"}],
                "sexes": [{"id": "M", "zh": "男", "en": "M"}, {"id": "F", "zh": "女", "en": "F"}],
            },
            "measures": [
                {
                    "id": "tier",
                    "zh": "预警等级",
                    "en": "tier",
                    "source": {"kind": "tier"},
                    "categories": [{"id": t, "zh": t, "en": t} for t in ("none", "watch", "key", "crisis")],
                }
            ],
        }
    )
    rng = np.random.default_rng(8)
    n = 3000
    cols = {
        "school": rng.integers(0, 3, n).astype(np.uint32),
        "grade": rng.integers(0, 2, n).astype(np.uint8),
        "sex": rng.integers(0, 2, n).astype(np.uint8),
        "tier": rng.integers(0, 4, n).astype(np.uint8),
    }
    ref = cr.Aggregate(spec)
    ref.add(school=cols["school"], grade=cols["grade"], sex=cols["sex"], tiers=cols["tier"])
    table = pa.table(cols)
    agg = cka.aggregate_arrow(spec, table.to_batches(max_chunksize=700))
    assert agg.to_json() == ref.to_json()
    # Ids instead of codes, in parts merged in another order: the same aggregate.
    ids = pa.table(
        {
            "school": pa.array([f"s{i}" for i in cols["school"]]),
            "grade": pa.array(["7", "8"]).take(pa.array(cols["grade"])),
            "sex": pa.array(["M", "F"]).take(pa.array(cols["sex"])),
            "tier": pa.array(["none", "watch", "key", "crisis"]).take(pa.array(cols["tier"])),
        }
    )
    parts = [cka.aggregate_arrow(spec, [b]) for b in ids.to_batches(max_chunksize=1000)]
    total = cr.Aggregate(spec)
    for p in reversed(parts):
        total.merge(p)
    assert total.to_json() == ref.to_json()


def test_evidence_json_from_answer_columns() -> None:
    import json

    phq = ck.Instrument.builtin("phq9")
    codes = random_codes(phq, 50, seed=21)
    table = arrow_table(phq, codes, student=pa.array([f'stu"{i}\\x' for i in range(50)]))
    ev = cka.evidence_json(table, phq, "2026-11-20T08:00:00+08:00")
    docs = [json.loads(t) for t in ev.to_pylist()]
    assert docs[5]["student"] == 'stu"5\\x'
    answers = docs[5]["screenings"][0]["response"]["answers"]
    assert answers == {str(j + 1): (None if c == -1 else int(c)) for j, c in enumerate(codes[5])}
    policy = ck.AlertPolicy.changzhou_default()
    at = "2026-11-21T08:00:00+08:00"
    by_json = policy.evaluate_batch(ev.to_pylist(), at).tier_column()
    singles = [policy.evaluate(d, at).tier_index for d in docs]
    assert by_json.tolist() == singles


def test_polars_frames_are_read_through_the_capsule_interface() -> None:
    import polars as pl

    inst = ck.Instrument.builtin("phq9")
    codes = random_codes(inst, 300, seed=23)
    table = arrow_table(inst, codes, student=pa.array([f"s{i}" for i in range(300)]))
    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    want = inst.score_arrow(table, keep=["student"])
    got = inst.score_arrow(df, keep=["student"])
    assert got.cast(want.schema).combine_chunks().equals(want.combine_chunks())
    back = pl.from_arrow(got)
    assert back["total"].dtype == pl.Decimal(18, 0)
    # The README's follow-up list: positive or indeterminate.
    import pyarrow.compute as pc

    follow = want.filter(pc.fill_null(want["flag_item9_self_harm"], True))
    n_follow = sum(1 for v in want["flag_item9_self_harm"].to_pylist() if v is not False)
    assert follow.num_rows == n_follow


def _vector_params() -> list[Any]:
    from test_vectors import BATCHABLE

    return BATCHABLE


@pytest.mark.parametrize(("doc", "case"), _vector_params())
def test_scoring_vectors_through_arrow(doc: dict[str, Any], case: dict[str, Any]) -> None:
    """Every batchable golden vector as one Arrow row (nulls for missing, -2 refused): the stored report."""
    import json

    from test_vectors import _batch_row, _instrument

    inst = _instrument(doc, case)
    resp = case["response"]
    report = ck.ScoreReport(json.dumps(case["report"]))
    row = _batch_row(inst, resp.get("answers", {}))
    cols: dict[str, Any] = {iid: pa.array([None if v == -1 else v], pa.int16()) for iid, v in zip(inst.item_ids(), row)}
    group = resp.get("group") or {}
    for k, v in group.items():
        cols[f"g_{k}"] = pa.array([v])
    if report.duration_seconds is not None:
        cols["secs"] = pa.array([report.duration_seconds], pa.int64())
    table = pa.table(cols).rename_columns([c[2:] if c.startswith("g_") else c for c in cols])
    out = inst.score_arrow(
        table,
        refused=-2,
        group_columns=list(group),
        duration_column="secs" if "secs" in cols else None,
        code_map=case.get("code_map"),
    )
    got = out.to_pylist()[0]
    for s in report.scales:
        assert got[s.id] == s.raw and got[f"{s.id}_score"] == s.score, s.id
        assert got[f"{s.id}_band"] == (s.band.id if s.band else None)
        assert got[f"{s.id}_answered"] == s.answered and got[f"{s.id}_prorated"] == s.prorated
    for name in out.schema.names:
        if name.startswith("flag_"):
            v = report.flag_verdict(name[5:])
            assert got[name] == {"positive": True, "negative": False, "indeterminate": None}[v.value], name
    assert got["validity"] == {"valid": 0, "incomplete": 1, "invalid": 2}[report.validity.status.value]


def _answers_json(inst: ck.Instrument, row: np.ndarray, at: str) -> dict[str, Any]:
    ref: dict[str, Any] = {"id": inst.id, "version": inst.version}
    if inst.settings:
        ref["settings"] = dict(inst.settings)
    answers = {str(j + 1): (None if c == -1 else int(c)) for j, c in enumerate(row)}
    return {"at": at, "instrument": ref, "response": {"answers": answers}}


@pytest.mark.parametrize("ids", [("phq9",), ("phq9", "gad7", "asq")])
def test_tiers_from_answers_equal_the_evidence_path(ids: tuple[str, ...]) -> None:
    """Columnar tiers from answer columns = tiers_arrow over each student's evidence JSON."""
    import json

    policy = ck.AlertPolicy.changzhou_default()
    insts = [ck.Instrument.builtin(i) for i in ids]
    n = 900
    screened = "2026-11-20T08:00:00+08:00"
    at = "2026-11-24T08:00:00+08:00"
    cols: dict[str, Any] = {
        "student": pa.array([f"stu{i:04d}" for i in range(n)]),
        "school": pa.array([i % 7 for i in range(n)]),
    }
    codes = {}
    for k, inst in enumerate(insts):
        c = random_codes(inst, n, seed=40 + k, missing_rate=0.04)
        np.random.default_rng(k).shuffle(c)  # extremes spread over the rows, not all in the first tenth
        codes[inst.id] = c
        for j, iid in enumerate(inst.item_ids()):
            cols[f"{inst.id}_{iid}"] = pa.array(c[:, j], mask=c[:, j] == -1)
    table = pa.table(cols)
    screenings = [(inst, [f"{inst.id}_{iid}" for iid in inst.item_ids()]) for inst in insts]
    got = cka.tiers_from_answers(policy, table, at, screenings, screened_at=screened, keep=["student", "school"])
    docs = [
        json.dumps(
            {
                "student": f"stu{i:04d}",
                "screenings": [_answers_json(inst, codes[inst.id][i], screened) for inst in insts],
            }
        )
        for i in range(n)
    ]
    ev = pa.table({"student": table["student"], "school": table["school"], "evidence": pa.array(docs)})
    for overdue_at in (None, "2026-12-20T08:00:00+08:00"):
        got = cka.tiers_from_answers(
            policy, table, at, screenings, screened_at=screened, keep=["student", "school"], overdue_at=overdue_at
        )
        want = cka.tiers_arrow(policy, ev.to_batches()[0], at, keep=["student", "school"], overdue_at=overdue_at)
        assert got.schema.equals(want.schema)
        assert got.combine_chunks().to_pylist() == pa.Table.from_batches([want]).to_pylist()
    tiers = got.column("tier").to_pylist()
    assert len(set(tiers)) >= 3, tiers  # the cohort reaches several tiers
    assert sum(got.column("overdue").to_pylist()) > 0
    # Several batches: the same rows, and an error row counts from the whole input.
    batches = table.to_batches(max_chunksize=256)
    assert len(batches) > 1
    chunked = cka.tiers_from_answers(
        policy, pa.Table.from_batches(batches), at, screenings, screened_at=screened, keep=["student"]
    )
    assert chunked.column("tier").to_pylist() == tiers


def test_tiers_from_answers_refuse_future_evidence_and_reject_bad_codes() -> None:
    policy = ck.AlertPolicy.changzhou_default()
    phq = ck.Instrument.builtin("phq9")
    codes = random_codes(phq, 40, seed=5)
    table = arrow_table(phq, codes, student=pa.array([f"s{i}" for i in range(40)]))
    at = "2026-11-24T08:00:00+08:00"
    # Screened a year after `at`: every row refused with the row path's error, never "none".
    future = "2027-11-24T08:00:00+08:00"
    out = cka.tiers_from_answers(policy, table, at, [phq], screened_at=future, keep=["student"])
    assert out.column("tier").to_pylist() == [None] * 40
    assert all(e is not None for e in out.column("error").to_pylist())
    assert all(r is None for r in out.column("rules").to_pylist())
    ev = cka.evidence_json(table, phq, future).combine_chunks()
    want = cka.tiers_arrow(
        policy, pa.record_batch({"student": table["student"].combine_chunks(), "evidence": ev}), at, keep=["student"]
    )
    assert out.to_pylist() == want.to_pylist()
    bad = codes.copy()
    bad[33, 4] = 9
    with pytest.raises(ck.ChangkaixinError) as ei:
        cka.tiers_from_answers(
            policy, arrow_table(phq, bad, student=pa.array([f"s{i}" for i in range(40)])), at, [phq], screened_at=at
        )
    assert ei.value.row == 33 and ei.value.item == 5
    with pytest.raises(ValueError, match="null at row 2"):
        ids = pa.array([None if i == 2 else f"s{i}" for i in range(40)])
        cka.tiers_from_answers(policy, arrow_table(phq, codes, student=ids), at, [phq], screened_at=at)
    with pytest.raises(TypeError, match="rename"):
        cka.tiers_from_answers(
            policy, table.append_column("tier", table["student"]), at, [phq], screened_at=at, keep=["tier"]
        )
    with pytest.raises(KeyError):
        cka.tiers_from_answers(policy, table.drop_columns(["1"]), at, [phq], screened_at=at)
