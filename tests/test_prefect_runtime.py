"""The private Prefect server dies with its parent; engine logs stay off the console.

Three real server starts in all (one cold, shared by the module; two warm, on a copy of
its database), about 35 s on the 2-core machine.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from patrimoine.config import PROJECT_DIR
from patrimoine.prefect_runtime import (
    SERVER_LOG_NAME,
    PrefectServerError,
    temporary_server,
)

URL = re.compile(r"^http://127\.0\.0\.1:(\d+)/api$")


def _port(api_url: str) -> int:
    match = URL.match(api_url)
    assert match, api_url
    return int(match.group(1))


def _listener_pid(port: int) -> int | None:
    """The process listening on 127.0.0.1:port, from /proc (no psutil here)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            inodes.add(f"socket:[{inode}]")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in inodes:
                    return int(proc.name)
        except OSError:
            continue
    return None


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper is dead: no socket, no memory)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _refuses(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


def _eventually(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def _child_env(**extra: str) -> dict[str, str]:
    """Our environment without the PREFECT_* of other tests (harness, API URL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PYTHONPATH"] = str(PROJECT_DIR)
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("prefect-home")


@pytest.fixture(scope="module")
def shared_server(shared_home: Path) -> Iterator[str]:
    """One server for the module (the cold start: it creates the database)."""
    with temporary_server(shared_home) as api_url:
        yield api_url


@pytest.fixture
def warm_home(shared_server: str, shared_home: Path, tmp_path: Path) -> Path:
    """A home holding a copy of the shared database: the start skips the migrations."""
    home = tmp_path / "prefect"
    home.mkdir()
    with (
        sqlite3.connect(shared_home / "prefect.db") as source,
        sqlite3.connect(home / "prefect.db") as copy,
    ):
        source.backup(copy)
    memo = shared_home / "memo_store.toml"
    if memo.exists():
        (home / memo.name).write_bytes(memo.read_bytes())
    return home


def test_server_listens_on_localhost_in_its_own_session(
    shared_server: str, shared_home: Path
) -> None:
    port = _port(shared_server)
    assert httpx.get(f"{shared_server}/health", timeout=5).json() is True
    pid = _listener_pid(port)
    assert pid is not None and pid != os.getpid()
    assert os.getsid(pid) == pid  # own session: a terminal's Ctrl-C does not reach it
    assert os.readlink(f"/proc/{pid}/cwd") == str(shared_home.resolve())
    assert (shared_home / SERVER_LOG_NAME).exists()


def test_server_dies_when_its_parent_is_sigkilled(warm_home: Path) -> None:
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                """
                import sys, time
                from pathlib import Path
                from patrimoine.prefect_runtime import temporary_server

                with temporary_server(Path(sys.argv[1])) as api_url:
                    print(api_url, flush=True)
                    time.sleep(300)
                """
            ),
            str(warm_home),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=_child_env(),
        cwd=PROJECT_DIR,
    )
    try:
        assert child.stdout is not None
        api_url = child.stdout.readline().strip()
        port = _port(api_url)
        pid = _listener_pid(port)
        assert pid is not None and pid != child.pid and _alive(pid)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        assert _eventually(lambda: not _alive(pid)), f"orphan server {pid} survived"
        assert _eventually(lambda: _refuses(port))
    finally:
        child.kill()
        child.wait()


def test_leaving_the_block_stops_the_server(warm_home: Path) -> None:
    seen: list[str] = []
    with temporary_server(warm_home, while_starting=seen.append) as api_url:
        assert seen == [api_url]
        port = _port(api_url)
        pid = _listener_pid(port)
        assert pid is not None and _alive(pid)
        assert httpx.get(f"{api_url}/health", timeout=5).status_code == 200
    # No waiting: the block returns once the server is gone (and reaped).
    assert not _alive(pid)
    assert _refuses(port)


def test_server_not_ready_in_time_is_a_french_error_and_leaves_nothing(tmp_path: Path) -> None:
    with (
        pytest.raises(PrefectServerError, match="ne répond pas à temps") as caught,
        temporary_server(tmp_path, startup_timeout=0.2),
    ):
        pass  # pragma: no cover
    message = str(caught.value)
    assert str(tmp_path / SERVER_LOG_NAME) in message
    port = _port(re.search(r"\((http://\S+)/health\)", message).group(1))  # type: ignore[union-attr]
    assert _refuses(port)
    assert _listener_pid(port) is None


FLOW_SCRIPT = textwrap.dedent(
    """
    import logging, os, sys
    from pathlib import Path
    from patrimoine.prefect_runtime import prefect_environment, quiet_engine_logging

    verbose = sys.argv[1] == "verbose"
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("patrimoine").setLevel(logging.INFO)
    quiet_engine_logging(verbose)
    os.environ.update(prefect_environment(Path(sys.argv[2]), api_url=sys.argv[3]))

    from prefect import flow, task

    log = logging.getLogger("patrimoine.essai")

    @task
    def charger() -> None:
        log.info("Chargement des notices : 3 lignes lues")
        try:
            raise ValueError("source illisible")
        except ValueError:
            log.exception("Lecture impossible de la source")
            raise

    @flow(name="essai-silencieux")
    def essai() -> None:
        charger()

    state = essai(return_state=True)
    print(f"flow_run_id={state.state_details.flow_run_id}")
    print("Résumé du run : ÉCHEC")
    """
)


def test_engine_lines_stay_off_the_console_but_reach_the_api(
    shared_server: str, tmp_path: Path
) -> None:
    runs = {
        mode: subprocess.Popen(
            [sys.executable, "-c", FLOW_SCRIPT, mode, str(tmp_path / mode), shared_server],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=_child_env(),
            cwd=PROJECT_DIR,
        )
        for mode in ("quiet", "verbose")
    }
    output = {mode: run.communicate(timeout=60)[0] for mode, run in runs.items()}
    assert all(run.returncode == 0 for run in runs.values()), output

    quiet = output["quiet"]
    assert "INFO patrimoine.essai: Chargement des notices : 3 lignes lues" in quiet
    assert "ERROR patrimoine.essai: Lecture impossible de la source" in quiet  # not its traceback
    assert "Résumé du run : ÉCHEC" in quiet
    for engine_line in (
        "Traceback",
        "Finished in state",
        "Encountered exception",
        "Task run",
        "prefect",
        "ValueError",
    ):
        assert engine_line not in quiet, quiet
    # The same lines are there when asked for: the quiet run's silence is not an accident.
    assert "Finished in state Failed" in output["verbose"]
    assert "Traceback" in output["verbose"]

    # Handler-level filtering: the API still received the engine's lines and ours.
    flow_run_id = re.search(r"flow_run_id=(\S+)", quiet).group(1)  # type: ignore[union-attr]

    def api_messages() -> list[str]:
        response = httpx.post(
            f"{shared_server}/logs/filter",
            json={"logs": {"flow_run_id": {"any_": [flow_run_id]}}, "limit": 200},
            timeout=10,
        )
        response.raise_for_status()
        return [entry["message"] for entry in response.json()]

    def complete() -> bool:
        messages = api_messages()
        return (
            any("Chargement des notices" in m for m in messages)
            and any("Lecture impossible" in m and "Traceback" in m for m in messages)
            and any("Finished in state Failed" in m for m in messages)
        )

    assert _eventually(complete, seconds=10), api_messages()
