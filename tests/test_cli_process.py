"""``patrimoine run`` as a process, through the Prefect engine as a user runs it: killed in
the middle it leaves no process behind; failing, it prints French lines only.

Both tests share one Prefect home, so the engine's database is created once (~15 s).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from patrimoine.config import PROJECT_DIR
from tests.conftest import make_env


@pytest.fixture(scope="module")
def prefect_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("prefect-home")


def _env(tmp_path: Path, prefect_home: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PREFECT_HOME": str(prefect_home),
        **make_env(tmp_path),
        **extra,
    }


def _children(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(proc.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_a_killed_run_leaves_no_engine_server_running(tmp_path: Path, prefect_home: Path) -> None:
    env = _env(tmp_path, prefect_home)
    cli = subprocess.Popen(
        [sys.executable, "-m", "patrimoine.cli", "run", "--offline"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert cli.stderr is not None
        for line in cli.stderr:  # the flow runs: the server is up and serving it
            if "Territoire" in line:
                break
        server = next((p for p in _children(cli.pid) if "uvicorn" in _cmdline(p)), None)
        assert server is not None, "the temporary Prefect server is not a child of the CLI"
        cli.send_signal(signal.SIGKILL)
        cli.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _alive(server) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(server), f"orphan engine server {server}: {_cmdline(server)}"
    finally:
        if cli.poll() is None:
            cli.kill()


def test_a_failing_run_through_the_engine_prints_french_lines_only(
    tmp_path: Path, prefect_home: Path
) -> None:
    env = _env(tmp_path, prefect_home, PATRIMOINE_TERRITORY="epci:200000000")
    done = subprocess.run(
        [sys.executable, "-m", "patrimoine.cli", "run", "--offline"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    for noise in ("Traceback", "Finished in state", "Task run", "Flow run", "prefect", "INFO"):
        assert noise not in output, output
    failures = [line for line in output.splitlines() if "ÉCHEC" in line]
    assert len(failures) == 11  # one line per dataset of the catalog, each with the cause
    for failure in failures:
        assert "étape territoire" in failure and "200000000" in failure
        assert "retirez --offline" in failure  # what to do: the snapshot has one territory
