"""The offline snapshot refreshed once per module: the pages a person would open; and a
local tile server for the pages' optional background."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from patrimoine.catalog import load_catalog
from patrimoine.config import Settings, load_settings
from patrimoine.pipeline import Outcome, refresh_many
from tests.conftest import make_env, make_settings
from tests.servers.base import BaseServer, Reply, Request


@dataclass(frozen=True)
class OfflineRun:
    settings: Settings
    outcomes: list[Outcome]

    @property
    def portal(self) -> Path:
        return self.settings.portal_dir

    @property
    def latest_report(self) -> Path:
        return self.settings.var_dir / "rapports" / "dernier.html"

    def with_tiles(self, portal: Path, url: str, attribution: str) -> Settings:
        """The same database and catalog, another portal folder, background tiles set as
        an operator sets them (environment variables, parsed and validated)."""
        root = self.settings.portal_dir.parent
        env = make_env(
            root,
            PATRIMOINE_OFFLINE="true",
            PATRIMOINE_PICTURES="true",
            PATRIMOINE_PORTAL_DIR=str(portal),
            PATRIMOINE_MAP_TILES_URL=url,
            PATRIMOINE_MAP_TILES_ATTRIBUTION=attribution,
        )
        return load_settings(environ=env)


def offline_settings(root: Path) -> Settings:
    return make_settings(root, PATRIMOINE_OFFLINE="true", PATRIMOINE_PICTURES="true")


def offline_run(root: Path, names: list[str] | None = None) -> OfflineRun:
    settings = offline_settings(root)
    names = names or sorted(load_catalog(settings.catalog_dir))
    return OfflineRun(settings, refresh_many(settings, names))


def copied_run(run: OfflineRun, root: Path) -> OfflineRun:
    """``run``'s database, portal and reports copied under ``root`` (times kept): the state
    after that run, for a test that goes on from it, without refreshing everything again."""
    shutil.copytree(run.settings.portal_dir.parent, root, dirs_exist_ok=True)
    return OfflineRun(offline_settings(root), run.outcomes)


@pytest.fixture(scope="module")
def snapshot_run(tmp_path_factory: pytest.TempPathFactory) -> OfflineRun:
    """Every catalog dataset refreshed from the bundled snapshot, as ``make run`` does."""
    run = offline_run(tmp_path_factory.mktemp("offline"))
    assert all(o.status == "updated" for o in run.outcomes), [
        (o.dataset, o.status, o.error) for o in run.outcomes
    ]
    return run


TILE_PATH = re.compile(r"/\d+/\d+/\d+\.png")


def tile_png() -> bytes:
    """One 256×256 tile, a light checkerboard with a frame: visibly not blank."""
    image = Image.new("RGB", (256, 256), (214, 232, 214))
    draw = ImageDraw.Draw(image)
    for x in range(0, 256, 64):
        for y in range(0, 256, 64):
            if (x + y) // 64 % 2:
                draw.rectangle((x, y, x + 63, y + 63), fill=(190, 214, 236))
    draw.rectangle((0, 0, 255, 255), outline=(120, 120, 120))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class TileServer(BaseServer):
    """A tile server on 127.0.0.1: the same PNG for any ``/{z}/{x}/{y}.png``."""

    def __init__(self) -> None:
        self.tile = tile_png()  # before the server starts answering
        super().__init__()

    @property
    def template(self) -> str:
        """The Leaflet URL template of this server."""
        return f"{self.url}/{{z}}/{{x}}/{{y}}.png"

    def not_found(self, request: Request) -> Reply:
        if request.method in ("GET", "HEAD") and TILE_PATH.fullmatch(request.path):
            return Reply(200, self.tile, {"Content-Type": "image/png"})
        return super().not_found(request)

    def tile_requests(self) -> list[str]:
        """Paths of the tiles asked for so far."""
        return [r.path_only for r in self.requests if TILE_PATH.fullmatch(r.path_only)]


@pytest.fixture
def tile_server() -> Iterator[TileServer]:
    with TileServer() as server:
        yield server
