"""The layers of docs/architecture.md hold: import-linter's contracts (pyproject.toml) pass
on the code, and fail as soon as a lower layer imports a higher one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(project / "pyproject.toml"), "--no-cache"],
        cwd=project,
        env={"PYTHONPATH": str(project), "PATH": str(Path(sys.executable).parent)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project_copy(tmp_path):
    if not LINT_IMPORTS.exists():
        pytest.skip("import-linter is not installed next to the tests' Python")
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "app", copy / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def test_the_contracts_are_kept(project_copy):
    result = _lint(project_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("rooms/models.py", "import app.bookings.models  # noqa"),
        ("core/htmx.py", "import app.rooms.services  # noqa"),
        ("bookings/services.py", "import app.pages.views  # noqa"),
        ("bookings/views.py", "import app.activities.services  # noqa"),
        ("activities/services.py", "import app.calendars.services  # noqa"),
    ],
)
def test_an_import_against_the_layers_breaks_them(project_copy, module, line):
    path = project_copy / "app" / module
    path.write_text(path.read_text() + f"\n{line}\n")
    result = _lint(project_copy)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout or "broken" in result.stdout


def test_views_never_commit_roll_back_or_lock():
    """One commit per request, by the action runner (core/actions.py)."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "app").glob("*/views.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if any(word in line for word in (".commit(", ".rollback(", "write_lock", "BEGIN"))
    ]
    assert offenders == []
