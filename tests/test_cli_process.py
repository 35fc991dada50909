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
from tests.alerts.servers import SmtpServer
from tests.conftest import make_env


@pytest.fixture(scope="module")
def prefect_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine-home")  # no "prefect" in the paths logged


def _env(tmp_path: Path, prefect_home: Path, **extra: str) -> dict[str, str]:
    """The temporary server's home is ``var/prefect`` next to the cache (not
    ``PREFECT_HOME``): a shared cache folder is what makes the two tests share it."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PREFECT_HOME": str(prefect_home / "var" / "prefect"),
        **make_env(tmp_path),
        "PATRIMOINE_CACHE_DIR": str(prefect_home / "var" / "cache"),
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
    smtp = SmtpServer("patrimoine", "secret-smtp")
    smtp.start()
    env = _env(
        tmp_path,
        prefect_home,
        PATRIMOINE_TERRITORY="epci:200000000",
        PATRIMOINE_SMTP_HOST="127.0.0.1",
        PATRIMOINE_SMTP_PORT=str(smtp.port),
        PATRIMOINE_ALERT_TO="donnees@collectivite.test",
    )
    try:
        done = subprocess.run(
            [sys.executable, "-m", "patrimoine.cli", "run", "--offline"],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        smtp.stop()
    # One alert for the eleven datasets (one cause), and no link to the private server
    # that stopped with the run.
    (mail,) = smtp.mails
    assert mail.subject.startswith("[patrimoine] 11 jeux à signaler")
    assert "Voir le run dans Prefect" not in mail.body
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    for noise in ("Traceback", "Finished in state", "Task run", "Flow run", "prefect", "INFO"):
        assert noise not in output, output
    failures = [line for line in output.splitlines() if "ÉCHEC" in line]
    assert len(failures) == 11  # one line per dataset of the catalog, each with the cause
    for failure in failures:
        assert "étape territoire" in failure and "200000000" in failure
        assert "retirez --offline" in failure  # what to do: the snapshot has one territory


JARDINS = ("--dataset", "jardins-remarquables")


def _no_prefect_run(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        **make_env(tmp_path),
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "patrimoine.cli", "run", "--offline", "--no-prefect", *JARDINS],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_terminal_gets_the_live_display_and_the_table(tmp_path: Path) -> None:
    done = _no_prefect_run(tmp_path, FORCE_COLOR="1", COLUMNS="140", TERM="xterm-256color")
    assert done.returncode == 0, done.stderr
    assert "\x1b[" in done.stdout  # colours and cursor moves
    table = done.stdout[done.stdout.index("Résumé du run") :]
    assert "┃" in table and "Publié dans" in table and "jardins-remarquables" in table


@pytest.mark.parametrize("plain", [{"NO_COLOR": "1"}, {"TERM": "dumb"}, {}])
def test_cron_no_color_and_dumb_terminals_get_plain_lines(
    tmp_path: Path, plain: dict[str, str]
) -> None:
    extra = {"FORCE_COLOR": "1", **plain} if plain else {}  # a terminal that wants no colour
    done = _no_prefect_run(tmp_path, **extra)
    assert done.returncode == 0, done.stderr
    assert "\x1b[" not in done.stdout + done.stderr
    assert done.stdout.startswith("Résumé du run (hors ligne, snapshot embarqué)")
    assert "jardins-remarquables : mis à jour — 10 lignes" in done.stdout
