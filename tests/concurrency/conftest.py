"""A real gunicorn server on the test database, for races (``@pytest.mark.concurrency``).

The server is started from the same virtualenv as the tests, with several sync workers (so
several processes really compete for the database), and stopped when the module is done.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.config import TEST_CONFIG

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
SECRET_KEY = "concurrency-tests-secret-key"
STARTUP_SECONDS = 90  # four workers importing the app on a busy CI machine
LISTENING = re.compile(r"Listening at: (http://\S+)")


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        """What gunicorn and the app wrote on stderr (tracebacks of 500s land here)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _gunicorn_options() -> list[str]:
    # gunicorn >= 25 opens a control socket at one fixed path per user; two servers
    # (two test runs at once) would fight over it.
    from gunicorn.config import KNOWN_SETTINGS

    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        return ["--no-control-socket"]
    return []


def _wait_until_ready(process: subprocess.Popen, log_path: Path) -> str:
    import requests

    deadline = time.monotonic() + STARTUP_SECONDS
    url = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = log_path.read_text(encoding="utf-8", errors="replace")
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log}")
        if url is None:
            match = LISTENING.search(log_path.read_text(encoding="utf-8", errors="replace"))
            url = match.group(1) if match else None
        if url is not None:
            with contextlib.suppress(requests.RequestException):
                if requests.get(url + "/healthz", timeout=2).status_code == 200:
                    return url
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer /healthz in time:\n{log_path.read_text()}")


@contextlib.contextmanager
def run_gunicorn(database_url: str, log_path: Path, *, workers: int = 4) -> Iterator[Server]:
    """``gunicorn wsgi:app`` on a free port of 127.0.0.1, answering /healthz when yielded."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "FLASK_DEV": "1",
        # 50 logins from one IP would be throttled.
        "FLASK_RATELIMIT_ENABLED": "false",
        # The test users' hashes are cheap; with the same parameters the server does not
        # re-hash them (with costly ones) at login.
        "FLASK_ARGON2_PARAMS": json.dumps(TEST_CONFIG["ARGON2_PARAMS"]),
    }
    env.pop("FLASK_BENCHMARK", None)
    command = [
        str(GUNICORN),
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        "127.0.0.1:0",
        "--chdir",
        str(ROOT),
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        *_gunicorn_options(),
        "wsgi:app",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own command line
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            url = _wait_until_ready(process, log_path)
            yield Server(url, process, log_path)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def gunicorn_server(database_url, tmp_path_factory) -> Iterator[Server]:
    if not GUNICORN.exists():
        pytest.skip(f"gunicorn is not installed next to {sys.executable} (pip install gunicorn)")
    pytest.importorskip("requests", reason="the race tests need requests (pip install requests)")
    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with run_gunicorn(database_url, log_path) as server:
        yield server
