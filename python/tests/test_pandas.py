"""The pandas path: score_frame on frames with NaN, nullable ints, norm groups and durations."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import numpy as np
import pytest

import changkaixin as ck

pd = pytest.importorskip("pandas")


def test_score_frame_phq9_with_nan_and_item_ids() -> None:
    phq9 = ck.catalog().instrument("phq9")
    ids = phq9.item_ids()
    rows = [
        [1, 2, 1, 2, 1, 1, 1, 2, 1, np.nan],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        [np.nan] * 10,
        [3, 3, 3, 3, 3, 3, 3, 3, 3, 3],
    ]
    df = pd.DataFrame(rows, columns=ids, index=["s1", "s2", "s3", "s4"])
    out = ck.score_frame(df, "phq9")
    assert list(out.index) == ["s1", "s2", "s3", "s4"]
    assert out["total"].tolist()[:2] == [12, 0] and out["total"].isna().tolist() == [False, False, True, False]
    assert str(out["total"].dtype) == "Int64"
    assert out["total_band"].tolist()[0] == "moderate" and pd.isna(out["total_band"].iloc[2])
    assert out["total_band"].cat.ordered
    # Verdicts are categoricals, never booleans: the unanswered row is indeterminate, not negative.
    flag = out["flag_item9_self_harm"]
    assert flag.tolist() == ["positive", "negative", "indeterminate", "positive"]
    assert list(flag.cat.categories) == list(ck.VERDICT_NAMES) and not flag.cat.ordered
    assert flag.cat.codes.tolist() == [1, 0, 2, 1]
    assert (flag != "negative").tolist() == [True, False, True, True]
    with pytest.raises((TypeError, ValueError, KeyError)):
        df[flag]  # a categorical is not a boolean mask: no silent reading of indeterminate as False
    assert out["validity"].tolist() == ["valid", "valid", "incomplete", "valid"]
    assert out["screen"].tolist() == ["positive", "negative", "indeterminate", "positive"]
    assert "screen_positive" not in out
    for r, row in enumerate(rows):
        rep = phq9.score([None if np.isnan(v) else int(v) for v in row])
        t = rep.scale("total")
        assert (None if pd.isna(out["total"].iloc[r]) else Decimal(int(out["total"].iloc[r]))) == t.raw


def test_score_frame_nullable_and_explicit_columns() -> None:
    gad7 = ck.catalog().instrument("gad7")
    df = pd.DataFrame({f"q{i}": pd.array([1, None, 2], dtype="Int64") for i in range(1, 8)})
    df["name"] = ["a", "b", "c"]
    out = ck.score_frame(df, gad7, columns=[f"q{i}" for i in range(1, 8)])
    assert out["total"].tolist()[0] == 7 and pd.isna(out["total"].iloc[1]) and out["total"].iloc[2] == 14
    assert "screen" in out and out["screen"].tolist() == ["negative", "indeterminate", "positive"]


def test_score_frame_errors() -> None:
    df = pd.DataFrame({"a": [1.5]})
    with pytest.raises(KeyError):
        ck.score_frame(df, "phq9")
    phq9 = ck.catalog().instrument("phq9")
    df = pd.DataFrame([[1.5] + [0] * 9], columns=phq9.item_ids())
    with pytest.raises(ValueError, match="not an integer code"):
        ck.score_frame(df, phq9)
    df = pd.DataFrame([[7] + [0] * 9], columns=phq9.item_ids())
    with pytest.raises(ck.BatchError) as e:
        ck.score_frame(df, phq9)
    assert (e.value.code, e.value.row, e.value.item) == ("batch.unknown_option", 0, 1)


def test_float_frames_convert_in_rust_like_numpy() -> None:
    """Float frames (NaN = missing) are converted natively: same columns as the integer frame,
    int8 when the codes fit, wider otherwise, and the first bad cell in row order named."""
    phq9 = ck.catalog().instrument("phq9")
    ids = phq9.item_ids()
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 4, size=(3000, 10)).astype(np.int64)
    codes[rng.random(codes.shape) < 0.05] = -1
    want = ck.score_frame(pd.DataFrame(codes, columns=ids), phq9)
    floats = np.where(codes < 0, np.nan, codes.astype(np.float64))
    for values in (floats, np.asfortranarray(floats)):
        got = ck.score_frame(pd.DataFrame(values, columns=ids), phq9)
        pd.testing.assert_frame_equal(got, want)
    from changkaixin import _core

    for values in (floats, np.asfortranarray(floats)):
        out, bad = _core.codes_from_float(values, -1)
        assert bad is None and out is not None and out.dtype == np.int8 and out.flags.c_contiguous
        assert np.array_equal(out, codes)
        out, bad = _core.codes_from_float(values, 1000)  # the sentinel decides the dtype too
        assert out is not None and out.dtype == np.int16 and np.array_equal(out, np.where(codes < 0, 1000, codes))
    wide = floats.copy()
    wide[7, 3] = 70000.0
    out, _ = _core.codes_from_float(wide, -1)
    assert out is not None and out.dtype == np.int32 and out[7, 3] == 70000
    # The first non-integer cell in row-major order, whatever the layout.
    bad_values = floats.copy()
    bad_values[900, 8] = 2.5
    bad_values[901, 0] = np.inf
    bad_values[1200, 2] = 1e300
    for values in (bad_values, np.asfortranarray(bad_values)):
        out, bad = _core.codes_from_float(values, -1)
        assert out is None and bad == (900, 8)
    with pytest.raises(ValueError, match=r"column 'q9' row 900 holds 2.5, not an integer code"):
        ck.score_frame(
            pd.DataFrame(bad_values, columns=[f"q{i}" for i in range(1, 11)]),
            phq9,
            columns=[f"q{i}" for i in range(1, 11)],
        )
    # An empty frame converts to an empty batch.
    assert ck.score_frame(pd.DataFrame(np.zeros((0, 10)), columns=ids), phq9).shape[0] == 0


def test_score_frame_norm_groups_and_durations(mht_text: str) -> None:
    inst = ck.Instrument.from_json(mht_text)
    rng = np.random.default_rng(7)
    n = 200
    cols = [f"i{k}" for k in range(1, 101)]
    df = pd.DataFrame((rng.random((n, 100)) < 0.3).astype(np.int8), columns=cols)
    df["grade"] = rng.integers(4, 13, size=n)
    df["sex"] = rng.choice(["M", "F"], size=n)
    df["secs"] = rng.integers(100, 2000, size=n).astype(float)
    df.loc[3, "secs"] = np.nan
    out = ck.score_frame(df, inst, columns=cols, group_columns=["grade", "sex"], duration_column="secs")
    for r in range(0, n, 17):
        rep = inst.score(
            [int(v) for v in df.loc[r, cols]], group={"grade": str(df.loc[r, "grade"]), "sex": df.loc[r, "sex"]}
        )
        for s in rep.scales:
            got = out[f"{s.id}_score"].iloc[r]
            assert (None if pd.isna(got) else Decimal(int(got))) == s.score
        assert out["validity"].iloc[r] == rep.validity.status.value


def test_core_module_works_without_pandas() -> None:
    code = (
        "import sys; sys.modules['pandas'] = None\n"
        "import changkaixin, numpy as np\n"
        "r = changkaixin.catalog().instrument('phq9').score_batch(np.zeros((2, 10), dtype=np.int8))\n"
        "assert r['total.raw'].tolist() == [0, 0]\n"
        "try:\n    changkaixin.score_frame(None, 'phq9')\nexcept ImportError:\n    print('lazy')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "lazy"


def test_frame_group_columns_number_groups_as_before() -> None:
    """score_frame's group columns give the same index and group dicts as np.unique of their str form."""
    from changkaixin._frame import _frame_groups
    from changkaixin._instrument import _groups

    rng = np.random.default_rng(3)
    n = 4000
    df = pd.DataFrame(
        {
            "grade": rng.integers(4, 13, size=n),  # ints: "10" sorts before "4" as strings
            "sex": np.array(["M", "F"])[rng.integers(0, 2, size=n)],
            "school": np.array(["north-12", "south-3", "east"])[rng.integers(0, 3, size=n)],
            "band": rng.integers(0, 3, size=n).astype(np.float64),
            "opt": pd.array(rng.integers(0, 2, size=n), dtype="Int64"),
        }
    )
    for keys in (["grade", "sex"], ["sex", "grade", "school"], ["band", "opt"], ["school"]):
        got = _frame_groups(df, keys)
        want = _groups({k: df[k].astype(str).to_numpy() for k in keys}, n)
        assert got[1] == want[1], keys
        assert np.array_equal(got[0], want[0]), keys
