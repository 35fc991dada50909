"""A full local Prefect server (UI and scheduler) for ``patrimoine serve`` and the tests.

The temporary server of :mod:`patrimoine.prefect_runtime` is started as Prefect's
ephemeral one (no UI, no scheduler service), so schedules would never fire on it. This one
is ``prefect server start``: UI, scheduler, its SQLite database kept in ``home`` so the
history survives a restart; it dies with this process like the temporary one
(``PR_SET_PDEATHSIG``, own process group).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from patrimoine.prefect_runtime import (
    PrefectServerError,
    _die_with_parent,
    _stop,
    _wait_until_healthy,
    server_environment,
)

SERVE_PORT = 4200
SERVER_LOG_NAME = "prefect-server.log"


def free_port() -> int:
    """A port of 127.0.0.1 free right now (tests; a race is possible but harmless there)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_taken(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


@contextlib.contextmanager
def prefect_server(
    home: Path,
    *,
    host: str = "127.0.0.1",
    port: int = SERVE_PORT,
    ui: bool = True,
    startup_timeout: float = 180.0,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Run ``prefect server start`` for this process; yield its API URL once healthy.

    Raises :class:`PrefectServerError` (French message) if the port is taken or the server
    is not healthy within ``startup_timeout`` seconds (a fresh ``home`` migrates its
    database first: 15-30 s on the 2-core machine).
    """
    home = Path(home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    api_url = f"http://{host}:{port}/api"
    if _port_taken(host, port):
        raise PrefectServerError(
            f"le port {port} de {host} est déjà pris : un serveur Prefect y tourne peut-être "
            f"déjà ; dans ce cas, définissez PREFECT_API_URL={api_url} et relancez"
        )
    log_path = home / SERVER_LOG_NAME
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", host]
    command += ["--port", str(port), "--analytics-off", "--log-level", "WARNING"]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=server_environment(
                home, {"PREFECT_SERVER_UI_ENABLED": str(ui).lower(), **(extra_env or {})}
            ),
            cwd=home,
            start_new_session=True,
            preexec_fn=_die_with_parent(os.getpid()),
        )
    try:
        _wait_until_healthy(process, api_url, log_path, time.monotonic() + startup_timeout)
        yield api_url
    finally:
        _stop(process)
