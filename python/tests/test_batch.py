"""Batch scoring: equals single scoring, every integer dtype, zero-copy input, errors, threads, GIL release."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from conftest import assert_row_matches

import changkaixin as ck
from changkaixin import _core


def option_codes(inst: ck.Instrument) -> list[list[int]]:
    spec = inst.spec()
    out = []
    for it in spec["items"]:
        opts = it["options"]
        opts = spec["option_sets"][opts] if isinstance(opts, str) else opts
        out.append([int(o["code"]) for o in opts])
    return out


def random_codes(inst: ck.Instrument, n: int, seed: int, missing_rate: float = 0.05) -> np.ndarray:
    rng = np.random.default_rng(seed)
    codes = option_codes(inst)
    arr = np.empty((n, len(codes)), dtype=np.int16)
    for j, c in enumerate(codes):
        arr[:, j] = rng.choice(c, size=n)
    arr[rng.random(arr.shape) < missing_rate] = -1
    # Some rows fully answered at the extremes, so high bands and flags occur.
    arr[: n // 10] = np.array([max(c) for c in codes])
    return arr


@pytest.mark.parametrize("iid", ck.catalog().ids())
def test_batch_equals_single(iid: str) -> None:
    inst = ck.catalog().instrument(iid)
    arr = random_codes(inst, 300, seed=len(iid))
    res = inst.score_batch(arr, missing=-1)
    assert res.n_rows == 300
    for r in range(arr.shape[0]):
        answers = {j + 1: (None if c == -1 else int(c)) for j, c in enumerate(arr[r])}
        assert_row_matches(res, r, inst.score(answers))


def mht(mht_text: str) -> ck.Instrument:
    return ck.Instrument.from_json(mht_text)


def mht_cohort(inst: ck.Instrument, n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    codes = (rng.random((n, inst.n_items)) < 0.3).astype(np.uint8)
    grade = rng.integers(4, 13, size=n)
    sex = rng.choice(np.array(["M", "F"]), size=n)
    return codes, grade, sex


def test_batch_with_norm_groups_equals_single(mht_text: str) -> None:
    inst = mht(mht_text)
    codes, grade, sex = mht_cohort(inst, 400)
    res = inst.score_batch(codes, missing=255, groups={"grade": grade, "sex": sex})
    for r in range(0, 400, 7):
        answers = [int(c) for c in codes[r]]
        rep = inst.score(answers, group={"grade": str(grade[r]), "sex": str(sex[r])})
        assert_row_matches(res, r, rep)
    # The explicit (index, groups) form gives the same columns.
    keys = sorted({(str(g), str(s)) for g, s in zip(grade, sex)})
    index = np.array([keys.index((str(g), str(s))) for g, s in zip(grade, sex)], dtype=np.uint32)
    res2 = inst.score_batch(codes, missing=255, groups=(index, [{"grade": g, "sex": s} for g, s in keys]))
    for k in res:
        assert np.array_equal(res[k], res2[k]), k
    with pytest.raises(ck.ScoreError) as e:
        inst.score_batch(codes, missing=255)
    assert e.value.code == "score.norm_group_not_found"


DTYPES = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64]


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_integer_dtype(dtype: Any) -> None:
    inst = ck.catalog().instrument("phq9")
    base = random_codes(inst, 500, seed=3)
    missing = -1 if np.issubdtype(dtype, np.signedinteger) else int(np.iinfo(dtype).max)
    arr = np.where(base == -1, missing, base).astype(dtype)
    res = inst.score_batch(arr, missing=missing)
    ref = inst.score_batch(base, missing=-1)
    for k in ref:
        assert np.array_equal(res[k], ref[k]), (dtype, k)
    # Non-contiguous views and big-endian arrays are converted, not refused.
    res_f = inst.score_batch(np.asfortranarray(arr), missing=missing)
    assert np.array_equal(res_f["total.raw"], ref["total.raw"])
    res_be = inst.score_batch(arr.astype(np.dtype(dtype).newbyteorder(">")), missing=missing)
    assert np.array_equal(res_be["total.raw"], ref["total.raw"])


def test_batch_errors() -> None:
    inst = ck.catalog().instrument("phq9")
    arr = np.zeros((5, 10), dtype=np.int8)
    arr[3, 6] = 9
    with pytest.raises(ck.BatchError) as e:
        inst.score_batch(arr)
    assert (e.value.code, e.value.row, e.value.item) == ("batch.unknown_option", 3, 7)
    assert isinstance(e.value, ValueError)
    with pytest.raises(ck.BatchError) as e:
        inst.score_batch(np.zeros((5, 9), dtype=np.int8))
    assert e.value.code == "batch.shape"
    with pytest.raises(ck.BatchError) as e:
        inst.score_batch(np.zeros((5, 10), dtype=np.uint8), missing=-1)
    assert e.value.code == "batch.shape" and "uint8" in e.value.message
    with pytest.raises(ck.BatchError) as e:
        inst.score_batch(np.zeros((5, 10), dtype=np.int8), missing=0)  # 0 is an option code
    assert e.value.code == "batch.shape"
    with pytest.raises(TypeError):
        inst.score_batch(np.zeros((5, 10), dtype=np.float64))
    with pytest.raises(TypeError):
        inst.score_batch(np.zeros(10, dtype=np.int8))


def test_refused_and_durations() -> None:
    inst = ck.catalog().instrument("phq9")
    arr = np.zeros((3, 10), dtype=np.int8)
    arr[1, 8] = 9
    res = inst.score_batch(arr, missing=-1, refused=9, durations=[60, -1, 120])
    assert res["flag.item9_unanswered"].tolist() == [0, 1, 0]  # verdict codes
    assert res["flag.item9_self_harm"].tolist() == [0, 2, 0]  # refused item 9: indeterminate, not negative
    rep = inst.score({**{i: 0 for i in range(1, 11)}, 9: "refused"})
    assert_row_matches(res, 1, rep)


def test_float_conversion_is_explicit() -> None:
    inst = ck.catalog().instrument("phq9")
    arr = np.zeros((2, 10), dtype=np.int8)
    arr[1, :] = -1
    res = inst.score_batch(arr)
    assert res["total.raw"].dtype == np.int64
    assert res["total.raw"][1] == ck.UNSCORED
    f = res.to_float("total.raw")
    assert f[0] == 0.0 and np.isnan(f[1])
    assert res.decimal("total.raw", 0) == Decimal(0) and res.decimal("total.raw", 1) is None
    assert res.scored("total").tolist() == [True, False]
    assert res.band_labels("total").tolist() == ["minimal", None]
    with pytest.raises(KeyError):
        res.to_float("total.band")


def test_empty_batch() -> None:
    res = ck.catalog().instrument("gad7").score_batch(np.zeros((0, 7), dtype=np.int8))
    assert res.n_rows == 0 and res["total.raw"].shape == (0,)


def test_input_is_not_copied() -> None:
    """C- and F-contiguous int64 arrays are not copied by numpy (C order is read in place, F order
    brought into row order in Rust): tracemalloc (sees numpy allocations) stays far below their size;
    a strided view is converted by numpy first."""
    inst = ck.catalog().instrument("phq9")
    arr = np.zeros((400_000, 10), dtype=np.int64)  # 32 MB
    fortran = np.asfortranarray(arr)
    strided = np.zeros((800_000, 10), dtype=np.int64)[::2]
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        inst.score_batch(arr)
        _, peak_inplace = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        inst.score_batch(fortran)
        _, peak_fortran = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        inst.score_batch(strided)  # this one must be copied first
        _, peak_copy = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak_inplace < arr.nbytes // 8, peak_inplace
    assert peak_fortran < arr.nbytes // 8, peak_fortran
    assert peak_copy >= arr.nbytes, peak_copy


@pytest.mark.parametrize("dtype", [np.int8, np.uint16, np.int64])
@pytest.mark.parametrize("threads", [1, 3])
def test_layouts_give_identical_columns(dtype: Any, threads: int) -> None:
    """C order, F order, a strided view and a transposed view of the same codes give identical columns,
    on one thread and on several (batches above the per-thread minimum, so threads really start)."""
    inst = ck.catalog().instrument("phq9")
    base = random_codes(inst, 70_001, seed=11)
    missing = -1 if np.issubdtype(dtype, np.signedinteger) else int(np.iinfo(dtype).max)
    arr = np.where(base == -1, missing, base).astype(dtype)
    ref = inst.score_batch(arr, missing=missing, threads=1)
    wide = np.zeros((arr.shape[0], 13), dtype=dtype)
    wide[:, 2:12] = arr
    layouts = {
        "F": np.asfortranarray(arr),
        "strided": wide[:, 2:12],
        "transposed": np.ascontiguousarray(arr.T).T,
        "C": arr,
    }
    for name, a in layouts.items():
        res = inst.score_batch(a, missing=missing, threads=threads)
        assert list(res) == list(ref), name
        for k in ref:
            assert res[k].dtype == ref[k].dtype and np.array_equal(res[k], ref[k]), (name, k)
    # An unknown option is reported at the same row and item whatever the layout.
    bad = arr.copy()
    bad[54_321, 6] = 9
    for a in (bad, np.asfortranarray(bad)):
        with pytest.raises(ck.BatchError) as e:
            inst.score_batch(a, missing=missing, threads=threads)
        assert (e.value.code, e.value.row, e.value.item) == ("batch.unknown_option", 54_321, 7)


def test_thread_safety(mht_text: str) -> None:
    """Several threads score different batches at once with shared instruments; results equal serial ones."""
    phq9 = ck.catalog().instrument("phq9")
    inst = mht(mht_text)
    jobs: list[tuple[ck.Instrument, np.ndarray, Any]] = []
    for seed in range(8):
        if seed % 2:
            jobs.append((phq9, random_codes(phq9, 20_000, seed), None))
        else:
            codes, grade, sex = mht_cohort(inst, 5_000, seed)
            jobs.append((inst, codes, {"grade": grade, "sex": sex}))

    def run(job: tuple[ck.Instrument, np.ndarray, Any]) -> ck.BatchResult:
        i, codes, groups = job
        return i.score_batch(codes, missing=-1 if codes.dtype.kind == "i" else 255, groups=groups)

    serial = [run(j) for j in jobs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            parallel = list(pool.map(run, jobs))
            for a, b in zip(serial, parallel):
                for k in a:
                    assert np.array_equal(a[k], b[k]), k


def test_gil_is_released_during_batch(mht_text: str) -> None:
    """Another Python thread makes progress while the native batch call runs."""
    inst = mht(mht_text)
    codes, grade, sex = mht_cohort(inst, 150_000, 5)
    from changkaixin._instrument import _groups

    row_group, groups = _groups({"grade": grade, "sex": sex}, codes.shape[0])
    counter = [0]
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            counter[0] += 1

    old = sys.getswitchinterval()
    sys.setswitchinterval(0.2)  # while this thread holds the GIL, the spinner cannot run for long
    t = threading.Thread(target=spin)
    t.start()
    try:
        time.sleep(0.05)
        c0 = counter[0]
        _core.score_batch(inst._native, codes, 255, None, row_group, groups, None)
        c1 = counter[0]
    finally:
        stop.set()
        t.join()
        sys.setswitchinterval(old)
    assert c1 > c0, "no progress in another thread: the GIL was held during the batch"


@pytest.mark.parametrize("threads", [None, 2, 3, 5])
def test_row_ranges_on_threads_equal_one_thread(mht_text: str, threads: Any) -> None:
    phq9 = ck.catalog().instrument("phq9")
    arr = random_codes(phq9, 400_000, seed=11)
    one = phq9.score_batch(arr, threads=1)
    many = phq9.score_batch(arr, threads=threads)
    assert one.keys() == many.keys()
    for k in one:
        assert np.array_equal(one[k], many[k]), k
    inst = mht(mht_text)
    codes, grade, sex = mht_cohort(inst, 200_000, 9)
    durations = np.arange(200_000, dtype=np.int64) % 900 - 1
    groups = {"grade": grade, "sex": sex}
    one = inst.score_batch(codes, missing=255, groups=groups, durations=durations, threads=1)
    many = inst.score_batch(codes, missing=255, groups=groups, durations=durations, threads=threads)
    for k in one:
        assert np.array_equal(one[k], many[k]), k


def test_error_in_a_late_row_range_is_the_whole_batch_error() -> None:
    phq9 = ck.catalog().instrument("phq9")
    arr = np.zeros((300_000, 10), dtype=np.int8)
    arr[299_990, 4] = 7
    arr[250_000, 2] = 8
    with pytest.raises(ck.BatchError) as one:
        phq9.score_batch(arr, threads=1)
    with pytest.raises(ck.BatchError) as many:
        phq9.score_batch(arr, threads=4)
    assert many.value.to_dict() == one.value.to_dict()
    assert (many.value.row, many.value.item) == (250_000, 3)


def test_group_key_factorisation_equals_np_unique() -> None:
    """Norm-group key columns are factorised natively exactly as np.unique numbers them."""
    from changkaixin._instrument import _factorize

    rng = np.random.default_rng(17)
    n = 5000
    words = np.array(["M", "F", "10", "9", "1", "", "女", "男", "𝔸b", "abc", "ab"])
    columns = [
        rng.integers(4, 13, size=n).astype(np.int8),
        rng.integers(-5, 5, size=n).astype(np.int64),
        rng.integers(0, 2**40, size=8).astype(np.int64)[rng.integers(0, 8, size=n)],  # hash-map path
        rng.integers(0, 3, size=n).astype(np.uint16),
        rng.integers(0, 3, size=n).astype(np.uint64),  # numpy fallback
        words[rng.integers(0, len(words), size=n)],
        np.array(["grade-1", "grade-2"])[rng.integers(0, 2, size=n)],  # wider than 3: numpy fallback
        words[rng.integers(0, len(words), size=n)].astype(object),  # numpy fallback
        np.zeros(0, dtype=np.int8),
    ]
    for col in columns:
        u, inv = _factorize(col)
        want_u, want_inv = np.unique(col, return_inverse=True)
        assert u.tolist() == want_u.tolist(), col.dtype
        assert np.array_equal(inv.reshape(-1), want_inv.reshape(-1)), col.dtype


def test_group_key_columns_match_explicit_index(mht_text: str) -> None:
    inst = mht(mht_text)
    codes, grade, sex = mht_cohort(inst, 3000, 23)
    keyed = inst.score_batch(codes, missing=255, groups={"grade": grade, "sex": sex})
    pairs = sorted({(str(g), str(s)) for g, s in zip(grade.tolist(), sex.tolist())})
    index = np.array([pairs.index((str(g), str(s))) for g, s in zip(grade.tolist(), sex.tolist())], dtype=np.uint32)
    explicit = inst.score_batch(codes, missing=255, groups=(index, [{"grade": g, "sex": s} for g, s in pairs]))
    for k in explicit:
        assert np.array_equal(keyed[k], explicit[k]), k


def assert_compact_equals_wide(compact: ck.BatchResult, wide: ck.BatchResult) -> None:
    """Every column a compact result keeps holds the wide result's values (widened), the unscored
    marker included; only the answered counts are left out."""
    assert compact.compact and not wide.compact
    assert compact.n_rows == wide.n_rows and compact.flag_ids == wide.flag_ids
    assert compact.scale_ids == wide.scale_ids and compact.decimals == wide.decimals
    assert set(compact) == {k for k in wide if not k.endswith(".answered")}
    for k in compact:
        c, w = compact[k], wide[k]
        if k.endswith((".raw", ".score")):
            assert c.dtype.itemsize <= 8 and compact.unscored(k) == int(np.iinfo(c.dtype).min)
            assert np.array_equal(np.where(c == compact.unscored(k), ck.UNSCORED, c.astype(np.int64)), w), k
            assert np.array_equal(compact.scored(k.rsplit(".", 1)[0]), wide.scored(k.rsplit(".", 1)[0]))
        else:
            assert np.array_equal(c.astype(w.dtype), w), k


@pytest.mark.parametrize("iid", ck.catalog().ids())
@pytest.mark.parametrize("threads", [1, 3])
def test_compact_equals_wide(iid: str, threads: int) -> None:
    """``compact=True`` gives the wide result's decisions in narrow columns, for every built-in
    instrument, with gaps, refused cells, on one and several threads, int8 and int16 buffers."""
    inst = ck.catalog().instrument(iid)
    base = random_codes(inst, 70_000, seed=len(iid) + threads, missing_rate=0.02)
    base[5::97, 0] = -2
    for arr in (base, base.astype(np.int8)):
        wide = inst.score_batch(arr, missing=-1, refused=-2, threads=threads)
        compact = inst.score_batch(arr, missing=-1, refused=-2, threads=threads, compact=True)
        assert_compact_equals_wide(compact, wide)
    for r in range(0, 300, 7):
        answers = {j + 1: (None if c == -1 else "refused" if c == -2 else int(c)) for j, c in enumerate(base[r])}
        assert_row_matches(compact, r, inst.score(answers))


def test_compact_columns_are_narrow(mht_text: str) -> None:
    """PHQ-9's total is int16 with int16's minimum for unscored; its two flags fit one uint8; an
    unscored row reads None / NaN / False through the result's methods; a norm scale keeps its own score column."""
    phq9 = ck.catalog().instrument("phq9")
    arr = np.zeros((4, 10), dtype=np.int8)
    arr[1] = 3
    arr[2, 4] = -1
    res = phq9.score_batch(arr, compact=True)
    assert res["total.raw"].dtype == np.int16 and res["total.score"] is res["total.raw"]
    assert res.unscored("total.raw") == -32768 and int(res["total.raw"][2]) == -32768
    assert res.decimal("total.raw", 2) is None and np.isnan(res.to_float("total.raw")[2])
    assert res.scored("total").tolist() == [True, True, False, True]
    assert res.decimal("total.raw", 1) == Decimal(27)
    assert res["flags"].dtype == np.uint8 and "total.answered" not in res
    assert res["validity"].tolist() == [0, 0, 1, 0]
    assert "compact" in repr(res)
    with pytest.raises(KeyError):
        res.unscored("total.band")
    inst = mht(mht_text)
    codes, grade, sex = mht_cohort(inst, 3_000)
    groups = {"grade": grade, "sex": sex}
    wide = inst.score_batch(codes, missing=255, groups=groups)
    compact = inst.score_batch(codes, missing=255, groups=groups, compact=True)
    assert_compact_equals_wide(compact, wide)
    normed = [s for s in compact.scale_ids if compact[f"{s}.score"] is not compact[f"{s}.raw"]]
    assert normed, "the MHT fixture's norm scales keep a score column of their own"
    assert compact["flags"].dtype == np.uint16  # 9 flags: two bytes a row, one little-endian word


def test_compact_errors_equal_wide() -> None:
    """A bad cell gives the same error, row and item in both layouts."""
    inst = ck.catalog().instrument("gad7")
    arr = np.zeros((200_000, inst.n_items), dtype=np.int8)
    arr[150_001, 3] = 9
    with pytest.raises(ck.BatchError) as wide:
        inst.score_batch(arr, threads=2)
    with pytest.raises(ck.BatchError) as compact:
        inst.score_batch(arr, threads=2, compact=True)
    assert compact.value.to_dict() == wide.value.to_dict()
    assert (compact.value.row, compact.value.item) == (150_001, 4)


def _thp_mode() -> str:
    """The kernel's transparent huge page mode (`always`, `madvise`, `never`), or `""` off Linux."""
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            text = f.read()
    except OSError:
        return ""
    return text.split("[", 1)[1].split("]", 1)[0] if "[" in text else ""


@pytest.mark.skipif(_thp_mode() != "madvise", reason="needs Linux with transparent huge pages on request (madvise)")
def test_large_output_columns_ask_for_huge_pages() -> None:
    """The module's allocator hints huge pages for blocks of 4 MiB and more, as numpy does for its
    own arrays: a million-row batch's 8 MB output columns are then backed (mostly) by 2 MiB pages
    instead of being faulted in 4 KiB at a time. With the hint gone, `AnonHugePages` stays where
    it was (`madvise` mode gives huge pages only where asked)."""
    # A fresh interpreter: earlier tests' freed blocks (already on huge pages) are not reused.
    script = """
import numpy as np, changkaixin as ck
def huge():
    with open("/proc/self/smaps_rollup") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("AnonHugePages:"))
inst = ck.catalog().instrument("phq9")
codes = np.ones((1_000_000, inst.n_items), dtype=np.int8)  # numpy's own hint happens here
before = huge()
res = inst.score_batch(codes, threads=1)
print(huge() - before, int(res["total.raw"][0]))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    grown, total = (int(x) for x in out.stdout.split())
    # Four int64/uint64 columns of 8 MB: at least one whole 2 MiB page each.
    assert grown >= 4 * 2048, out.stdout
    assert total == 9
