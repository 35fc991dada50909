"""The Prefect engine as ``patrimoine run`` needs it: a private API server, quiet logs.

Why our own server: without ``PREFECT_API_URL``, Prefect 3 starts a temporary server
itself (``prefect.server.api.server.SubprocessASGIServer``), a plain ``Popen`` of uvicorn
stopped only by an ``atexit`` hook, so a CLI killed by SIGKILL (or by SIGTERM, whose
default action skips ``atexit``) leaves an orphan uvicorn behind. Prefect 3.9 has no
setting to tie that server to its parent, and patching its private class would break on
upgrades; so :func:`temporary_server` runs the same uvicorn application
(``prefect.server.api.server:create_app`` with Prefect's own ephemeral flags) under our
control: ``PR_SET_PDEATHSIG`` makes the kernel kill it when this process dies, whatever
the cause, and its own session means that stopping it kills its whole process group and
that a terminal's Ctrl-C reaches only the CLI, which then stops it in order. Point
Prefect at it with ``PREFECT_API_URL`` before ``import prefect`` (Prefect reads its
settings once, at import).

Why handler filters: :func:`quiet_engine_logging` keeps Prefect's English engine lines
and tracebacks off the console while they still reach the API (so a real server's UI
shows them). The cut is made on the console *handlers*, never with logger levels,
because Prefect's API handler hangs on the same ``prefect.flow_runs`` /
``prefect.task_runs`` / ``patrimoine`` loggers: a logger level would starve it too.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from pathlib import Path

from patrimoine.errors import PatrimoineError

_log = logging.getLogger(__name__)

SERVER_LOG_NAME = "prefect-server.log"
STOP_GRACE_SECONDS = 5.0
_POLL_SECONDS = 0.1
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

# Prefect's own console handlers (on root when nothing configured it before, on
# ``prefect._internal``, uvicorn, fastapi): silent even if Prefect configures them again.
QUIET_ENVIRONMENT = {
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_HANDLERS_DEBUG_LEVEL": "CRITICAL",
}

# Health probes go straight to 127.0.0.1, never through an HTTP(S)_PROXY of the machine.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class PrefectServerError(PatrimoineError):
    """The private Prefect API server did not start in time, or died while starting."""


def prefect_environment(home: Path, *, api_url: str | None = None) -> dict[str, str]:
    """Prefect settings of the CLI, to put in ``os.environ`` before ``import prefect``.

    ``PREFECT_HOME`` keeps Prefect out of ``~/.prefect``; the extra logger sends
    ``patrimoine`` records to the API inside flows; records logged outside a flow are
    simply not sent (no warning).
    """
    env = {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_EXTRA_LOGGERS": "patrimoine",
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    }
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def server_environment(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Our environment minus any API URL and console silencing, plus its home and database."""
    env = {
        k: v for k, v in os.environ.items() if k != "PREFECT_API_URL" and k not in QUIET_ENVIRONMENT
    }
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }
    )
    env.update(extra or {})
    return env


def _server_environment(home: Path) -> dict[str, str]:
    """The temporary server's: what Prefect sets for its own ephemeral one (no UI, only the
    services an ephemeral server needs, one app per process)."""
    return server_environment(
        home,
        {
            "PREFECT_UI_ENABLED": "false",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
        },
    )


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to SIGKILL the child when ``parent`` dies.

    SIGKILL rather than SIGTERM: nobody is left to talk to the server, and a graceful
    shutdown that hangs would be the very orphan this avoids (SQLite survives a kill).
    The libc function is looked up here, before the fork, so the child only calls it.
    ``getppid()`` is checked afterwards: had the parent died between fork and prctl, the
    signal would never come, so the child exits at once. Linux sends the signal when the
    *thread* that forked ends: enter :func:`temporary_server` from the main thread.
    Returns None off Linux (no such guarantee there).
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
    prctl.restype = ctypes.c_int
    kill = int(signal.SIGKILL)

    def preexec() -> None:
        if prctl(_PR_SET_PDEATHSIG, kill, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) a échoué")
        if os.getppid() != parent:
            os._exit(1)

    return preexec


def _listening_socket() -> socket.socket:
    """A socket bound to a free port of 127.0.0.1, handed to uvicorn: no race on the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def _healthy(api_url: str, timeout: float) -> bool:
    """One health probe.

    Connections queue on the socket we bound until uvicorn accepts them, so a probe sent
    while the server boots is answered as soon as it is up.
    """
    try:
        with _DIRECT.open(f"{api_url}/health", timeout=timeout) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def _wait_until_healthy(
    process: subprocess.Popen[bytes], api_url: str, log_path: Path, deadline: float
) -> None:
    while not _healthy(api_url, timeout=min(5.0, max(0.05, deadline - time.monotonic()))):
        code = process.poll()
        if code is not None or time.monotonic() > deadline:
            what = f"s'est arrêté (code {code})" if code is not None else "ne répond pas à temps"
            tail = _tail(log_path)
            raise PrefectServerError(
                f"le serveur Prefect temporaire {what} ({api_url}/health) ; "
                f"journal {log_path}" + (f", dernières lignes :\n{tail}" if tail else " (vide)")
            )
        time.sleep(_POLL_SECONDS)


def _exited(pid: int) -> bool:
    """True once ``pid`` exited; it stays a zombie (its pid not reusable) until reaped."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


def _stop(process: subprocess.Popen[bytes], grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM to the server's process group, SIGKILL to the group after ``grace`` seconds.

    The leader is reaped last, so its pid (the group id) cannot be reused by an unrelated
    process while the group is signalled.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while not _exited(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # the leader if it lingers, and its group
    process.wait()


def _drain_prefect_workers(timeout: float = 10.0) -> None:
    """Send the logs and events Prefect still queues in this process, while the server lives."""
    if "prefect" not in sys.modules:
        return
    try:
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=timeout)
        EventsWorker.drain_all(timeout=timeout)
    except Exception:  # best effort: the run itself is over and recorded
        _log.debug("envoi des derniers journaux Prefect incomplet", exc_info=True)


@contextlib.contextmanager
def temporary_server(
    home: Path,
    *,
    startup_timeout: float = 120.0,
    while_starting: Callable[[str], object] | None = None,
) -> Iterator[str]:
    """Run a Prefect API server for this process only; yield its API URL once healthy.

    It listens on a free port of 127.0.0.1, keeps its SQLite database and memo store in
    ``home`` (reuse it between runs: migrations and block registration are then skipped,
    up in 5-7 s instead of 13-20 s on the 2-core machine), writes its output to
    ``home/prefect-server.log`` and dies with this process, even on SIGKILL (Linux).
    ``while_starting(api_url)`` runs while the server boots, e.g. to set
    ``PREFECT_API_URL`` and import the flows in the meantime (the port is known already).
    On exit, Prefect's queued logs are sent, then the server's process group is stopped.
    Raises :class:`PrefectServerError` if the server is not healthy within
    ``startup_timeout`` seconds.
    """
    home = Path(home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / SERVER_LOG_NAME
    with _listening_socket() as sock, log_path.open("wb") as log_file:
        api_url = f"http://127.0.0.1:{sock.getsockname()[1]}/api"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "prefect.server.api.server:create_app",
                "--fd",
                str(sock.fileno()),
                "--log-level",
                "error",
                "--lifespan",
                "on",
                "--timeout-graceful-shutdown",
                "3",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=_server_environment(home),
            cwd=home,
            pass_fds=(sock.fileno(),),
            start_new_session=True,
            preexec_fn=_die_with_parent(os.getpid()),
        )
    # Our copy of the socket is closed: once the server is gone, the port refuses.
    deadline = time.monotonic() + startup_timeout
    try:
        if while_starting is not None:
            while_starting(api_url)
        _wait_until_healthy(process, api_url, log_path, deadline)
        _log.debug("serveur Prefect temporaire prêt : %s (pid %s)", api_url, process.pid)
        yield api_url
    finally:
        if process.poll() is None:
            _drain_prefect_workers()
        _stop(process)


class ProjectOnly(logging.Filter):
    """Console filter: only records of ``patrimoine`` loggers go through."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name == "patrimoine" or record.name.startswith("patrimoine.")


class WithoutTraceback(logging.Formatter):
    """Wraps a console formatter and leaves tracebacks out (they still reach the API)."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return self.inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def _console_handlers() -> Iterator[logging.Handler]:
    """Every handler of every logger writing to a stream, except files (API handlers are not)."""
    loggers = [logging.getLogger()] + [
        logger
        for logger in list(logging.Logger.manager.loggerDict.values())
        if isinstance(logger, logging.Logger)
    ]
    seen: set[int] = set()
    for logger in loggers:
        for handler in logger.handlers:
            if id(handler) in seen:
                continue
            seen.add(id(handler))
            if isinstance(handler, logging.StreamHandler) and not isinstance(
                handler, logging.FileHandler
            ):
                yield handler


def quiet_engine_logging(verbose: bool, environ: MutableMapping[str, str] | None = None) -> None:
    """Unless ``verbose``, the console shows only ``patrimoine`` records, without tracebacks.

    Call it after ``logging.basicConfig`` and before ``import prefect``: it filters the
    console handlers that exist, routes Python warnings through them, and puts
    :data:`QUIET_ENVIRONMENT` in ``environ`` (``os.environ`` by default) for the handlers
    Prefect creates at import. Calling it again later is harmless and also covers
    handlers added since. Nothing changes for the API handlers: Prefect's records and
    ours still reach the server.
    """
    if verbose:
        return
    target = os.environ if environ is None else environ
    for key, value in QUIET_ENVIRONMENT.items():
        target.setdefault(key, value)
    logging.captureWarnings(True)
    for handler in _console_handlers():
        if not any(isinstance(f, ProjectOnly) for f in handler.filters):
            handler.addFilter(ProjectOnly())
        if not isinstance(handler.formatter, WithoutTraceback):
            handler.setFormatter(WithoutTraceback(handler.formatter))
