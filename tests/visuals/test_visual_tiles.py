"""Background tiles under the interactive maps, by setting: only the HTML pages change, and
without the setting they are the pages of old, with no tile server named anywhere."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from patrimoine.pipeline import refresh_many
from patrimoine.territory import Territory
from patrimoine.visuals import Tiles, render_dataset, render_territory
from patrimoine.visuals.pages import NO_TILES_LAYER, TILES_LAYER
from tests.conftest import make_settings
from tests.visuals.conftest import Datasets

URL = "https://{s}.tuiles.exemple.fr/plan/{z}/{x}/{y}.png"
ATTRIBUTION = "© Tuiles d'essai <b>gras</b> & co"
TILES = Tiles(URL, ATTRIBUTION)
DATASET = "monuments-historiques"
SAMPLED = (DATASET, "natura-2000")
_DATA = re.compile(r'<script type="application/json" id="donnees-carte">(.*?)</script>', re.S)


def _map_data(text: str) -> dict[str, Any]:
    match = _DATA.search(text)
    assert match
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def _files(datasets: Datasets, territory: Territory, tiles: Tiles | None) -> dict[str, bytes]:
    out = {
        f"{entry.name}/{f.name}": f.content
        for entry, rows in datasets
        for f in render_dataset(entry, rows, territory, tiles=tiles)
    }
    out |= {f.name: f.content for f in render_territory(datasets, territory, tiles=tiles)}
    return out


Rendered = tuple[dict[str, bytes], dict[str, bytes]]


@pytest.fixture(scope="module")
def rendered(offline: tuple[Datasets, Territory]) -> Rendered:
    """Every file of a point and a polygon dataset and of their territory page, without
    then with tiles (two kinds of map are enough; every dataset would cost 20 s)."""
    datasets, territory = offline
    some = [d for d in datasets if d[0].name in SAMPLED]
    assert len(some) == len(SAMPLED)
    return _files(some, territory, None), _files(some, territory, TILES)


def test_settings_without_a_url_give_no_tiles() -> None:
    assert Tiles.of("", "© quelqu'un") is None
    assert Tiles.of("   ") is None
    assert Tiles.of(None, None) is None
    assert Tiles.of(f" {URL} ", " © X ") == Tiles(URL, "© X")


def test_the_page_with_tiles_carries_the_template_and_the_escaped_attribution(
    offline: tuple[Datasets, Territory],
) -> None:
    datasets, territory = offline
    entry, rows = next(d for d in datasets if d[0].name == DATASET)
    page = next(
        f for f in render_dataset(entry, rows, territory, tiles=TILES) if f.name == "carte.html"
    )
    text = page.content.decode("utf-8")
    tiles = _map_data(text)["tiles"]
    assert tiles == {
        "url": URL,
        "attribution": html.escape(ATTRIBUTION),
        "label": TILES_LAYER,
        "none": NO_TILES_LAYER,
    }
    assert "<b>gras</b>" not in text, "the attribution reaches Leaflet's HTML unescaped"
    assert "L.tileLayer(data.tiles.url" in text
    assert "L.control.layers(bases, overlays" in text


def test_tiles_without_attribution_credit_the_tile_server(
    offline: tuple[Datasets, Territory],
) -> None:
    datasets, territory = offline
    page = next(
        f
        for f in render_territory(datasets, territory, tiles=Tiles(URL))
        if f.name.endswith("html")
    )
    credit = _map_data(page.content.decode("utf-8"))["tiles"]["attribution"]
    assert credit == "Fond de carte : tuiles.exemple.fr"
    assert Tiles("http://127.0.0.1:8080/{z}/{x}/{y}.png").credit == "Fond de carte : 127.0.0.1"


def test_default_pages_are_unchanged_and_name_no_tile_server(
    offline: tuple[Datasets, Territory], rendered: Rendered
) -> None:
    datasets, territory = offline
    default, _ = rendered
    # No argument is the same as no tiles (``default`` was rendered with ``tiles=None``).
    entry, rows = next(d for d in datasets if d[0].name == DATASET)
    page = next(f for f in render_dataset(entry, rows, territory) if f.name == "carte.html")
    assert page.content == default[f"{DATASET}/carte.html"]
    for name, content in default.items():
        if not name.endswith(".html"):
            continue
        text = content.decode("utf-8")
        assert "tileLayer" not in text and "{z}" not in text, name
        assert TILES_LAYER not in text, name
        if "donnees-carte" in text:
            assert "tiles" not in _map_data(text), name
            assert "L.control.layers(null, overlays" in text and "fillOpacity: 0.6" in text


def test_png_files_are_the_same_bytes_with_or_without_tiles(rendered: Rendered) -> None:
    plain, tiled = rendered
    assert plain.keys() == tiled.keys()
    pngs = [name for name in plain if name.endswith(".png")]
    assert len(pngs) >= 4
    for name in pngs:
        assert plain[name] == tiled[name], name
    changed = {name for name in plain if plain[name] != tiled[name]}
    mapped = {n for n in plain if n.endswith(".html") and b"donnees-carte" in plain[n]}
    assert changed == mapped, "only the interactive maps take the background"


def test_a_run_draws_the_tiles_it_is_configured_with(tmp_path: Path, snapshot_copy: Path) -> None:
    """From the setting to the published page, through the real stages."""
    settings = make_settings(
        tmp_path,
        PATRIMOINE_OFFLINE="true",
        PATRIMOINE_SNAPSHOT_DIR=str(snapshot_copy),
        PATRIMOINE_PICTURES="true",
        PATRIMOINE_MAP_TILES_URL=URL,
        PATRIMOINE_MAP_TILES_ATTRIBUTION=ATTRIBUTION,
    )
    (outcome,) = refresh_many(settings, ["jardins-remarquables"])
    assert outcome.status == "updated", outcome.error
    for page in (
        settings.portal_dir / "jardins-remarquables" / "carte.html",
        settings.portal_dir / "territoire.html",
    ):
        text = page.read_text(encoding="utf-8")
        assert _map_data(text)["tiles"]["url"] == URL, page.name
