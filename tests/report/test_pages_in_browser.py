"""The pages as a person opens them: headless Chromium (Debian's package), no network.

One browser for the module. Every page is opened from ``file://``; a route counts every
request and refuses any that leaves ``file://`` or 127.0.0.1, console errors are collected,
and a screenshot of each page is checked for real content. Chromium missing skips the
module, except under ``CI=true`` where it fails. The map pages come from
``patrimoine.visuals``: their checks skip only while that module cannot be imported, and
run (so fail if the pages are missing) under ``CI=true``. Background tiles, when set, come
from a tile server on 127.0.0.1 (``tests/report/conftest.py``).
"""

from __future__ import annotations

import csv
import importlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from PIL import Image, ImageStat

from patrimoine.catalog import load_catalog
from patrimoine.config import Settings
from tests.report.conftest import OfflineRun, TileServer

CHROMIUM = Path("/usr/bin/chromium")
UNDER_CI = os.environ.get("CI") == "true"
LOCAL_SCHEMES = {"file", "data", "blob", "about"}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

if TYPE_CHECKING := False:
    from playwright.sync_api import Browser, Page


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        reason = f"{CHROMIUM} absent (apt-get install -y chromium)"
        if UNDER_CI:
            pytest.fail(f"Chromium required under CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@dataclass
class Visit:
    page: Page
    requests: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def clean(self) -> None:
        """Nothing left the machine, nothing went wrong in the console."""
        assert self.requests, "the route saw no request"
        assert not self.outside, f"requests leaving file:// and 127.0.0.1: {self.outside}"
        assert not self.errors, f"console errors: {self.errors}"


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or (parts.hostname or "") in LOCAL_HOSTS


@pytest.fixture
def visit(browser: Browser) -> Iterator[Any]:
    """``visit(path)`` opens a file in a fresh page that can reach nothing outside."""
    contexts = []

    def open_page(path: Path) -> Visit:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        seen = Visit(page)

        def route(r: Any) -> None:
            url = r.request.url
            seen.requests.append(url)
            if _is_local(url):
                r.continue_()
            else:
                seen.outside.append(url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: seen.errors.append(str(exc)))
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_load_state("networkidle")
        return seen

    yield open_page
    for context in contexts:
        context.close()


def _screenshot_ok(page: Page, where: Path) -> None:
    """A real picture: the expected size, and not one flat colour."""
    shot = page.screenshot(path=str(where), full_page=False)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(shot)).convert("L")
    assert image.size == (1280, 900)
    assert ImageStat.Stat(image).stddev[0] > 5, f"{where.name} looks blank"
    assert len(shot) > 10_000


def _local_target(base: Path, href: str) -> Path | None:
    """The file a link of a page at ``base`` points to (None for an in-page anchor)."""
    parts = urlsplit(href)
    if not parts.path and parts.fragment:
        return None
    assert parts.scheme == "file", f"link leaving file://: {href}"
    return Path(unquote(parts.path))


def test_home_page_lists_every_dataset_in_french(
    snapshot_run: OfflineRun, visit: Any, tmp_path: Path
) -> None:
    seen = visit(snapshot_run.portal / "index.html")
    page = seen.page
    assert page.title().startswith("Patrimoine du territoire — ")
    assert page.locator("html").get_attribute("lang") == "fr"
    catalog = load_catalog(snapshot_run.settings.catalog_dir)
    sections = page.locator("section.jeu")
    assert sections.count() == len(catalog)
    for name in catalog:
        section = page.locator(f"section#{name}")
        assert section.locator("h2").inner_text().strip()
        assert "Dernière mise à jour des données" in section.inner_text()
        assert section.get_by_text("Données (CSV)").count() == 1
        assert section.get_by_text("Journal des changements (CSV)").count() == 1
        assert section.get_by_text("Fiche de métadonnées (JSON)").count() == 1
    assert page.get_by_text("Téléchargements").count() == len(catalog)
    assert page.get_by_role("link", name="Rapport du dernier run").count() == 1
    _screenshot_ok(page, tmp_path / "accueil.png")
    seen.clean()


def test_every_link_of_the_home_page_points_to_a_file_that_exists(
    snapshot_run: OfflineRun, visit: Any
) -> None:
    seen = visit(snapshot_run.portal / "index.html")
    hrefs: list[str] = seen.page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")
    sources: list[str] = seen.page.eval_on_selector_all("img[src]", "els => els.map(i => i.src)")
    files = [t for t in (_local_target(snapshot_run.portal, h) for h in hrefs) if t is not None]
    assert len(files) >= 4 * len(load_catalog(snapshot_run.settings.catalog_dir))
    missing = [str(f) for f in files + [Path(unquote(urlsplit(s).path)) for s in sources]]
    missing = [f for f in missing if not Path(f).is_file()]
    assert not missing, missing
    assert snapshot_run.latest_report.resolve() in {f.resolve() for f in files}
    broken = seen.page.eval_on_selector_all(
        "img", "els => els.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    assert not broken, broken
    seen.clean()


def test_latest_run_report_tells_each_dataset_in_french(
    snapshot_run: OfflineRun, visit: Any, tmp_path: Path
) -> None:
    seen = visit(snapshot_run.latest_report)
    page = seen.page
    assert page.title().startswith("Rapport du run du ")
    assert page.locator("table.bilan tr").count() == 1 + len(snapshot_run.outcomes)
    assert page.locator("section.jeu").count() == len(snapshot_run.outcomes)
    text = page.locator("main").inner_text()
    assert "Bilan par jeu de données" in text
    assert "Ce qui a changé" in text
    assert text.count("mis à jour") >= len(snapshot_run.outcomes)
    quarantined = [o for o in snapshot_run.outcomes if o.rows_quarantined]
    assert quarantined, "the snapshot has quarantined rows to show"
    for outcome in quarantined:
        cells = page.locator(f"section#{outcome.dataset} td.identifiants")
        assert cells.count() >= 1 and cells.first.inner_text().strip()
    # Pictures are carried inside the page: no file next to it is needed.
    outside = page.eval_on_selector_all(
        "img", "els => els.map(i => i.src).filter(s => !s.startsWith('data:'))"
    )
    assert not outside, outside
    _screenshot_ok(page, tmp_path / "rapport.png")
    seen.clean()


# --- The maps, drawn by patrimoine.visuals ---------------------------------------------------
def _need_visuals() -> None:
    try:
        importlib.import_module("patrimoine.visuals")
    except ImportError as exc:
        if UNDER_CI:
            raise
        pytest.skip(f"patrimoine.visuals cannot be imported yet ({exc}): no map page to open")


def _identifiers(snapshot_run: OfflineRun, name: str) -> set[str]:
    entry = load_catalog(snapshot_run.settings.catalog_dir)[name]
    text = (snapshot_run.portal / name / f"{name}.csv").read_text("utf-8-sig")
    rows = csv.DictReader(io.StringIO(text))
    return {" | ".join(row[k] for k in entry.business_key) for row in rows}


def _images_loaded(page: Page) -> None:
    broken = page.eval_on_selector_all(
        "img", "els => els.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    assert not broken, f"pictures that do not load: {broken}"


def _open_a_popup(page: Page) -> str:
    """Click the features from the top of the drawing (the communes lie underneath, with
    tooltips only) until one opens its popup; the popup's text."""
    drawn = page.locator(".leaflet-interactive, .leaflet-marker-icon")
    count = drawn.count()
    for index in range(count - 1, max(count - 30, -1), -1):
        drawn.nth(index).dispatch_event("click")
        popup = page.locator(".leaflet-popup-content")
        if popup.count():
            return str(popup.first.inner_text())
    raise AssertionError("no feature opened a popup")


def _check_map(seen: Visit, identifiers: set[str], shot: Path) -> None:
    page = seen.page
    try:
        page.wait_for_selector(".leaflet-container", timeout=5000)
    except Exception as exc:
        raise AssertionError(f"no Leaflet map on {page.url}; console: {seen.errors}") from exc
    drawn = page.locator(".leaflet-interactive, .leaflet-marker-icon")
    assert drawn.count() > 0, "the map drew no feature"
    assert page.locator(".leaflet-control-layers").count() >= 1, "no layer switcher"
    assert page.locator(".leaflet-control-layers-overlays input").count() >= 2
    popup = _open_a_popup(page)
    if identifiers:
        assert any(i and i in popup for i in identifiers), f"no identifier in popup: {popup!r}"
    _images_loaded(page)
    _screenshot_ok(page, shot)
    seen.clean()


def test_dataset_map_pages_draw_features_with_popups(
    snapshot_run: OfflineRun, visit: Any, tmp_path: Path
) -> None:
    _need_visuals()
    pages = sorted(snapshot_run.portal.glob("*/carte.html"))
    assert pages, "no dataset has a carte.html page"
    for path in pages:
        name = path.parent.name
        seen = visit(path)
        assert seen.page.title().strip() and seen.page.locator("h1").count() == 1
        if (path.parent / f"{name}.geojson").is_file():
            _check_map(seen, _identifiers(snapshot_run, name), tmp_path / f"{name}.png")
        else:  # no geometry: the page still shows its charts
            _images_loaded(seen.page)
            _screenshot_ok(seen.page, tmp_path / f"{name}.png")
            seen.clean()


def test_territory_page_draws_every_layer(
    snapshot_run: OfflineRun, visit: Any, tmp_path: Path
) -> None:
    _need_visuals()
    path = snapshot_run.portal / "territoire.html"
    assert path.is_file(), "territoire.html missing from the portal"
    identifiers: set[str] = set()
    for name in load_catalog(snapshot_run.settings.catalog_dir):
        if (snapshot_run.portal / name / f"{name}.csv").is_file():
            identifiers |= _identifiers(snapshot_run, name)
    seen = visit(path)
    assert seen.page.title().strip()
    _check_map(seen, identifiers, tmp_path / "territoire.png")


# --- Background tiles (PATRIMOINE_MAP_TILES_URL) ---------------------------------------------
TILES_ATTRIBUTION = "© Tuiles d'essai <locales> & co"
TILES_DATASET = "monuments-historiques"


def _pages_with_tiles(run: OfflineRun, settings: Settings) -> tuple[Path, Path]:
    """The territory page and one dataset page rendered with ``settings``' tiles, through
    the same calls as the nightly run (``territory_page.write``, ``publish.render``)."""
    from patrimoine.publish.render import render
    from patrimoine.report import territory_page
    from patrimoine.stages import engine_for, territory_for
    from patrimoine.staging import tables

    territory_page.write(settings)
    entry = load_catalog(settings.catalog_dir)[TILES_DATASET]
    rows = tables.read_rows(engine_for(settings), entry, tables.staged_name(entry))
    files, _ = render(
        entry,
        rows,
        territory_for(settings),
        {},
        pictures=True,
        map_tiles_url=settings.map_tiles_url,
        map_tiles_attribution=settings.map_tiles_attribution,
    )
    folder = settings.portal_dir / TILES_DATASET
    folder.mkdir(parents=True, exist_ok=True)
    for file in files:
        (folder / file.name).write_bytes(file.content)
    return settings.portal_dir / "territoire.html", folder / "carte.html"


def _tiles_shown(seen: Visit, tiles: TileServer, credit: str) -> None:
    """Tiles fetched from the local server and drawn in Leaflet's tile pane, under the
    features; the credit visible; the background listed as a base layer one can drop."""
    page = seen.page
    page.wait_for_selector(".leaflet-tile-pane img.leaflet-tile-loaded", timeout=5000)
    assert tiles.tile_requests(), "no tile request reached the tile server"
    assert any(u.startswith(tiles.url + "/") for u in seen.requests), seen.requests
    assert page.locator(".leaflet-tile-pane img.leaflet-tile").count() > 0
    assert page.locator(".leaflet-overlay-pane .leaflet-interactive").count() > 0
    attribution = page.locator(".leaflet-control-attribution")
    assert attribution.is_visible()
    assert credit in attribution.inner_text(), attribution.inner_text()
    bases = page.locator(".leaflet-control-layers-base label")
    assert [t.strip() for t in bases.all_inner_texts()] == ["Fond de carte", "Sans fond de carte"]
    page.get_by_label("Sans fond de carte").check()
    assert page.locator(".leaflet-tile-pane img").count() == 0, "the background stayed"
    assert credit not in attribution.inner_text()
    page.get_by_label("Fond de carte", exact=True).check()
    page.wait_for_selector(".leaflet-tile-pane img.leaflet-tile-loaded", timeout=5000)
    assert credit in attribution.inner_text()


def test_pages_draw_background_tiles_when_configured(
    snapshot_run: OfflineRun, visit: Any, tile_server: TileServer, tmp_path: Path
) -> None:
    _need_visuals()
    settings = snapshot_run.with_tiles(
        tmp_path / "portail", tile_server.template, TILES_ATTRIBUTION
    )
    assert settings.map_tiles_url == tile_server.template
    territory, dataset = _pages_with_tiles(snapshot_run, settings)
    seen = visit(territory)
    # The escaped attribution reads as plain text: « <locales> » is not taken for HTML.
    _tiles_shown(seen, tile_server, TILES_ATTRIBUTION)
    _check_map(seen, set(), tmp_path / "territoire-fond.png")

    tile_server.clear_requests()
    seen = visit(dataset)
    _tiles_shown(seen, tile_server, TILES_ATTRIBUTION)
    _check_map(seen, _identifiers(snapshot_run, TILES_DATASET), tmp_path / "jeu-fond.png")


def test_tiles_without_attribution_credit_the_tile_server(
    snapshot_run: OfflineRun, visit: Any, tile_server: TileServer, tmp_path: Path
) -> None:
    _need_visuals()
    settings = snapshot_run.with_tiles(tmp_path / "portail", tile_server.template, "")
    territory, _ = _pages_with_tiles(snapshot_run, settings)
    seen = visit(territory)
    _tiles_shown(seen, tile_server, "Fond de carte : 127.0.0.1")
    seen.clean()


def test_default_pages_ask_for_no_tile(
    snapshot_run: OfflineRun, visit: Any, tile_server: TileServer
) -> None:
    _need_visuals()
    assert not snapshot_run.settings.map_tiles_url
    for path in [
        snapshot_run.portal / "territoire.html",
        snapshot_run.portal / TILES_DATASET / "carte.html",
    ]:
        seen = visit(path)
        seen.page.wait_for_selector(".leaflet-container", timeout=5000)
        assert seen.page.locator(".leaflet-tile-pane img").count() == 0
        assert seen.page.locator(".leaflet-control-layers-base label").count() == 0
        assert all(urlsplit(u).scheme == "file" for u in seen.requests), seen.requests
        seen.clean()
    assert tile_server.requests == []
