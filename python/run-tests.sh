#!/usr/bin/env bash
# Python package tests: fresh (or reused) venv in <repo>/.cache/venv-py, build and install
# `pip install ./python` (release), then ruff, mypy stubtest and pytest. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.cache/venv-py"
PY="$VENV/bin/python"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
step() { printf '\n--> python: %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

step "virtual environment $VENV"
if ! "$PY" -c 'import sys; assert sys.version_info >= (3, 9)' 2>/dev/null; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
fi
# Tools from PyPI (pip skips what is already installed at a matching version). jsonschema: the
# independent JSON Schema validator the archive fixtures are checked with (tests/test_archive.py).
"$PY" -m pip install -q "maturin>=1.16,<2" "pytest>=8" "numpy>=1.21" "pandas>=1.5" "mypy>=1.10" "pandas-stubs" "ruff>=0.6" "jsonschema>=4.18"

# Arrow and the engines (issue 14): pyarrow, Polars (the PyCapsule path), PySpark (local[2]) and Dask (a two-process
# LocalCluster). pandas < 3: PySpark 4.3 does not support pandas 3 yet. PySpark ships as an
# sdist (pip builds its wheel: ~70 s cold; pip's cache is kept under .cache/pip).
step "pyarrow, PySpark, Dask"
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$ROOT/.cache/pip}"
"$PY" -m pip install -q "pyarrow>=14" "polars>=1.0" "pyspark>=4.0" "pandas>=2.2,<3" "dask[dataframe]>=2024.1" "distributed>=2024.1"
# Spark needs Java 17 or 21: Debian's headless JRE when the machine has no java.
if ! command -v java >/dev/null 2>&1; then
  step "Java for Spark (Debian openjdk-17-jre-headless)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q openjdk-17-jre-headless
fi
java -version 2>&1 | head -n 1
# Spark's workers run the venv's python (else they take the system one and miss pyarrow).
export PYSPARK_PYTHON="$PY" PYSPARK_DRIVER_PYTHON="$PY" SPARK_LOCAL_IP=127.0.0.1

step "build and install the package (pip install ./python, release)"
"$PY" -m pip install -q --force-reinstall --no-deps ./python
(cd /tmp && "$PY" -c 'import changkaixin; print("changkaixin", changkaixin.__version__, "imported from", changkaixin.__file__)')

step "ruff"
(cd python && "$VENV/bin/ruff" check changkaixin tests benches && "$VENV/bin/ruff" format --check changkaixin tests benches)

step "stub check (mypy.stubtest)"
(cd /tmp && "$PY" -m mypy.stubtest changkaixin --concise --allowlist "$ROOT/python/stubtest-allowlist.txt" --mypy-config-file "$ROOT/python/pyproject.toml")
(cd python && "$PY" -m mypy --strict changkaixin --no-incremental)

step "pytest"
set +e
# From the repository root, so the source tree python/changkaixin cannot shadow the installed package.
"$PY" -m pytest -q -p no:cacheprovider python/tests
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: treating as failure" >&2
  exit 1
fi
[ "$rc" -eq 0 ] || exit "$rc"

step "first-call bench (smoke: one fresh process per case, 20,000 rows)"
(cd /tmp && "$PY" "$ROOT/python/benches/bench_first_call.py" --runs 1 --rows 20000 | tail -n 4)

step "demo"
(cd /tmp && "$PY" -m changkaixin demo --students 2000 | tail -n 3)
step "python suite passed"
