"""bench/run.py must keep working: run it small (performance goals are its job, not pytest's)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.concurrency.conftest import GUNICORN, ROOT

pytestmark = pytest.mark.concurrency


def test_benchmark_script_runs_and_query_counts_do_not_grow(tmp_path):
    if not GUNICORN.exists():
        pytest.skip(f"gunicorn is not installed next to {sys.executable} (pip install gunicorn)")
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["TMPDIR"] = str(tmp_path)  # its temporary SQLite database
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--days", "20", "--seconds", "0.5"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr[-5000:]
    assert "/bench/hello" in result.stdout and "SQL queries" in result.stdout
