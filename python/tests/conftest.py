"""Shared fixtures: the repository root and golden-vector helpers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors"
FIXTURES = REPO / "tests" / "fixtures"


def normalise(v: Any) -> str:
    """Canonical JSON, as the Rust replayer compares: keys sorted, no whitespace."""
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@pytest.fixture(scope="session")
def mht_text() -> str:
    return (FIXTURES / "mht_synthetic.json").read_text(encoding="utf-8")
