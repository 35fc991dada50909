"""Fixtures for the HTTP client tests: a live UpstreamServer and settings pointing at it.

No ``__init__.py`` in this folder on purpose: as a package named ``http`` it could shadow
the standard library's ``http`` when ``tests/`` is on ``sys.path``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from patrimoine.config import Settings, load_settings
from patrimoine.http import HttpClient
from tests.servers import UpstreamServer, upstream_env

MakeSettings = Callable[..., Settings]


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
