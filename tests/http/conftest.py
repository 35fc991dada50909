"""Fixtures for the HTTP client tests: a live UpstreamServer and settings pointing at it.

No ``__init__.py`` in this folder on purpose: as a package named ``http`` it could shadow
the standard library's ``http`` when ``tests/`` is on ``sys.path``.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from patrimoine.config import Settings, load_settings
from patrimoine.http import HttpClient
from tests.servers import UpstreamServer, upstream_env

MakeSettings = Callable[..., Settings]
ConnectionScript = Callable[[socket.socket, int], None]


@pytest.fixture
def make_settings(tmp_path: Path, upstream: UpstreamServer) -> MakeSettings:
    """Settings from an isolated environment; keyword arguments add ``PATRIMOINE_*`` values.

    An empty TOML file is passed so that a ``patrimoine.toml`` lying in the working
    directory cannot leak into the tests.
    """
    config = tmp_path / "config" / "empty.toml"
    config.parent.mkdir()
    config.write_text("", encoding="utf-8")

    def make(**overrides: str) -> Settings:
        environ = {
            **upstream_env(upstream),
            "PATRIMOINE_CACHE_DIR": str(tmp_path / "cache"),
            "PATRIMOINE_HTTP_BACKOFF": "0",
            "PATRIMOINE_HTTP_RETRIES": "3",
            "PATRIMOINE_HTTP_TIMEOUT": "5",
            "PATRIMOINE_PROGRESS": "false",
            **{f"PATRIMOINE_{name.upper()}": value for name, value in overrides.items()},
        }
        return load_settings(environ=environ, config_file=config)

    return make


@pytest.fixture
def settings(make_settings: MakeSettings) -> Settings:
    return make_settings()


@pytest.fixture
def sleeps() -> list[float]:
    """The back-off delays the client asked for (its ``sleep`` records instead of waiting)."""
    return []


@pytest.fixture
def client(settings: Settings, sleeps: list[float]) -> Iterator[HttpClient]:
    with HttpClient(settings, sleep=sleeps.append) as http_client:
        yield http_client


class RawServer:
    """A TCP server on 127.0.0.1 that runs ``script(connection, index)`` per connection.

    For what :class:`tests.servers.BaseServer` cannot do because it always speaks
    well-formed HTTP and closes cleanly: reset a connection (RST) mid-body, or answer
    a TLS handshake with plain text. ``index`` counts connections from 0.
    """

    def __init__(self, script: ConnectionScript) -> None:
        self.connections = 0
        self._script = script
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = int(self._listener.getsockname()[1])
        self._thread = threading.Thread(target=self._serve, name="RawServer", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            index, self.connections = self.connections, self.connections + 1
            with contextlib.suppress(OSError):
                conn.settimeout(5)
                self._script(conn, index)
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()


def read_head(conn: socket.socket) -> bytes:
    """Read a request up to the blank line that ends its headers."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def reset(conn: socket.socket) -> None:
    """Close with SO_LINGER 0: the kernel sends RST, the client sees ECONNRESET."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[[ConnectionScript], RawServer]]:
    """Factory of :class:`RawServer`, all closed at the end of the test."""
    started: list[RawServer] = []

    def start(script: ConnectionScript) -> RawServer:
        server = RawServer(script)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def unanswered_url() -> Iterator[str]:
    """A URL whose TCP connect never completes, for connect-timeout tests.

    A listener with a backlog of 0 that never accepts, its queue filled by a first
    connection: Linux then drops the SYNs of later ones, as a black-holing firewall does.
    """
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(2):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/lent"
    for sock in (*fillers, listener):
        sock.close()
