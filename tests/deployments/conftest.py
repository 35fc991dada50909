"""One real Prefect stack for the session: a server, the deployments, a process worker.

Starting it costs a fresh server (database migrations) and a worker; the deployments are
registered once with :func:`patrimoine.deployments.deploy`, as ``patrimoine deploy`` does.
``deployment_worker_env`` is the environment of the worker and so of every flow run it
starts: override or extend it (``PATRIMOINE_SMTP_*`` for alerts) before the stack starts.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.alerts.servers import SmtpServer
from tests.conftest import make_env

WORK_POOL = "patrimoine-test"


@dataclass(frozen=True)
class PrefectStack:
    """A running server with the deployments registered and a worker polling its pool."""

    api_url: str
    work_pool: str
    worker_env: dict[str, str]
    deploy_output: str


STACK_SMTP_USER, STACK_SMTP_PASSWORD = "patrimoine", "mot-de-passe-smtp"
BROKEN_ENS = "/nulle/part/ens-63.geojson"
"""The ENS file the worker's settings name: missing, so a run of that dataset fails."""


@pytest.fixture(scope="session")
def stack_smtp() -> Iterator[SmtpServer]:
    """The real SMTP server the deployed runs send their alerts to."""
    server = SmtpServer(STACK_SMTP_USER, STACK_SMTP_PASSWORD)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def deployment_worker_env(
    tmp_path_factory: pytest.TempPathFactory, stack_smtp: SmtpServer
) -> dict[str, str]:
    """PATRIMOINE_* and Prefect settings of the worker and its flow runs (no API URL yet)."""
    root = tmp_path_factory.mktemp("deployed")
    env = make_env(root)
    env.update(
        {
            "PATRIMOINE_SMTP_HOST": "127.0.0.1",
            "PATRIMOINE_SMTP_PORT": str(stack_smtp.port),
            "PATRIMOINE_SMTP_USER": STACK_SMTP_USER,
            "PATRIMOINE_SMTP_PASSWORD": STACK_SMTP_PASSWORD,
            "PATRIMOINE_ALERT_FROM": "patrimoine@collectivite.test",
            "PATRIMOINE_ALERT_TO": "donnees@collectivite.test",
            "PATRIMOINE_ENS_SOURCES": f"63={BROKEN_ENS}",
            "PREFECT_HOME": str(root / "worker-prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "5",
            "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
            "GX_ANALYTICS_ENABLED": "false",
        }
    )
    return env


def _inherited() -> dict[str, str]:
    """The test process's environment without any Prefect or patrimoine setting."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PREFECT_", "PATRIMOINE_")) and k != "GX_ANALYTICS_ENABLED"
    }


def _group_gone(pgid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        time.sleep(0.1)
    return False


@contextlib.contextmanager
def _worker(api_url: str, env: dict[str, str], log_path: Path) -> Iterator[int]:
    """``prefect worker start`` in its own process group, stopped (group included) at exit."""
    from patrimoine.prefect_runtime import _die_with_parent, _stop

    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "worker", "start", "--pool", WORK_POOL],
            env={**_inherited(), **env, "PREFECT_API_URL": api_url},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent(os.getpid()),
        )
    try:
        yield process.pid
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # the worker's own graceful shutdown
        _stop(process, grace=15)


@pytest.fixture(scope="session")
def prefect_stack(
    deployment_worker_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrefectStack]:
    from patrimoine.config import load_settings
    from patrimoine.deployments import deploy
    from patrimoine.deployments.server import free_port, prefect_server

    home = tmp_path_factory.mktemp("prefect-server")
    settings = load_settings(environ=deployment_worker_env)
    with prefect_server(home, port=free_port(), ui=False) as api_url:
        saved = dict(os.environ)
        out = home / "deploy.out"
        try:
            os.environ["PREFECT_API_URL"] = api_url
            with out.open("w") as sink, contextlib.redirect_stdout(sink):
                code = deploy(settings, work_pool=WORK_POOL)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        output = out.read_text(encoding="utf-8")
        assert code == 0, output
        with _worker(api_url, deployment_worker_env, home / "worker.log") as worker_pgid:
            yield PrefectStack(api_url, WORK_POOL, deployment_worker_env, output)
        assert _group_gone(worker_pgid), "le worker Prefect a laissé des processus"
