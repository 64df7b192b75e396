"""bench/run.py must keep working: run it small. Speed is reported, not checked (CI machines are
noisy: that is the full benchmark's job); its query checks do count (answers 200, no query per
booking or registration, at most 2 queries before the view and 10 in all)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.concurrency.conftest import GUNICORN, ROOT

pytestmark = pytest.mark.concurrency


def test_benchmark_script_runs_and_query_checks_pass(tmp_path):
    if os.environ.get("TEST_DATABASE_URL"):
        # It makes its own SQLite database whatever the suite's: on PostgreSQL it would run
        # exactly what the SQLite suite has run (45 s of CI's 20 minutes).
        pytest.skip("bench/run.py uses its own SQLite database: the SQLite suite runs it")
    if not GUNICORN.exists():
        pytest.skip(f"gunicorn is not installed next to {sys.executable} (pip install gunicorn)")
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["TMPDIR"] = str(tmp_path)  # its temporary SQLite database
    command = [sys.executable, str(ROOT / "bench" / "run.py")]
    command += ["--days", "20", "--seconds", "0.5", "--rounds", "1", "--no-speed-check"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr[-5000:]
    assert "bare hello" in result.stdout
    assert "queries before the view" in result.stdout and "X-Query-Count" in result.stdout
    assert "| `/healthz` | anonymous |" in result.stdout  # the Markdown table
    assert "| `/activities` | coordinator |" in result.stdout  # a year of activities
