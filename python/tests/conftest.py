"""Shared fixtures: the repository root and golden-vector helpers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import changkaixin as ck

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors"
FIXTURES = REPO / "tests" / "fixtures"


def normalise(v: Any) -> str:
    """Canonical JSON, as the Rust replayer compares: keys sorted, no whitespace."""
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@pytest.fixture(scope="session")
def mht_text() -> str:
    return (FIXTURES / "mht_synthetic.json").read_text(encoding="utf-8")


STATUS = {"valid": 0, "incomplete": 1, "invalid": 2}


def assert_row_matches(res: ck.BatchResult, r: int, rep: ck.ScoreReport) -> None:
    """Row ``r`` of a batch result carries exactly what the single-response report says."""
    for s in rep.scales:
        got = res.decimal(f"{s.id}.raw", r)
        assert (None if got is None else str(got)) == (None if s.raw is None else str(s.raw)), (r, s.id)
        score = res.decimal(f"{s.id}.score", r)
        assert score == s.score, (r, s.id)
        assert int(res[f"{s.id}.band"][r]) == (s.band.index if s.band else -1)
        if not res.compact:  # compact results leave the answered counts out
            assert int(res[f"{s.id}.answered"][r]) == s.answered
        assert bool(res[f"{s.id}.prorated"][r]) == s.prorated
    for i, f in enumerate(res.flag_ids):
        v = rep.flag_verdict(f)
        assert int(res[f"flag.{f}"][r]) == v.code, (r, f)
        assert ck.Verdict.from_code(int(res.flag_verdicts(f)[r])) is v
        assert (int(res["flags"][r]) >> i & 1) == (v is ck.Verdict.POSITIVE)
        assert (int(res["flags_indeterminate"][r]) >> i & 1) == (v is ck.Verdict.INDETERMINATE)
    assert {f.id for f in rep.flags} <= set(res.flag_ids)
    assert int(res["validity"][r]) == STATUS[rep.validity.status.value]
    if rep.screen_positive is None:
        assert not res.has_screen and "screen" not in res
    else:
        assert res.has_screen
        assert int(res["screen"][r]) == rep.screen_positive.verdict.code
