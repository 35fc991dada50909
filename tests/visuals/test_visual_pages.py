"""The interactive pages: local files only, French titles, one popup per mapped record."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from patrimoine.territory import Territory
from patrimoine.visuals import render_territory, static_files
from patrimoine.visuals.features import features
from tests.visuals.conftest import Datasets, Drawn

_DATA = re.compile(r'<script type="application/json" id="donnees-carte">(.*?)</script>', re.S)
_URL = re.compile(r"""(?:src|href)="([^"]*)\"""")


def _map_data(text: str) -> dict[str, Any]:
    match = _DATA.search(text)
    assert match
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def _without_popups(text: str) -> str:
    return _DATA.sub("", text)


def test_dataset_pages_reference_local_files_only(
    offline: tuple[Datasets, Territory], drawn: Drawn
) -> None:
    datasets, territory = offline
    for entry, _rows in datasets:
        files = drawn[entry.name]
        text = files["carte.html"].content.decode("utf-8")
        assert '<html lang="fr">' in text
        assert entry.metadata.title.format(territoire=territory.label) in text
        outside = _without_popups(text)
        assert "http://" not in outside and "https://" not in outside, entry.name
        for url in _URL.findall(outside):
            assert not url.startswith("//"), url
            if url.startswith("../static/"):
                assert any(s.name == url[3:] for s in static_files()), url
            else:
                assert url in files, (entry.name, url)
        for spec in entry.visuals.charts:
            assert f"<figcaption>{spec.title}</figcaption>".replace("'", "&#x27;") in text


def test_one_popup_per_mapped_record(offline: tuple[Datasets, Territory], drawn: Drawn) -> None:
    datasets, territory = offline
    for entry, rows in datasets:
        page = drawn[entry.name]["carte.html"]
        text = page.content.decode("utf-8")
        mapped = features(entry, rows)
        if not ("shape" in entry.geometry or "latitude" in entry.geometry):
            assert "donnees-carte" not in text
            continue
        data = _map_data(text)
        shown = [f for layer in data["layers"] for f in layer["features"]["features"]]
        assert len(shown) == len(mapped) > 0, entry.name
        assert sorted(f["properties"]["identifiant"] for f in shown) == [f.key for f in mapped]
        for feature in shown:
            popup = feature["properties"]["popup"]
            assert "<strong>" in popup and "Commune" in popup, popup
            for link in re.findall(r'href="([^"]+)"', popup):
                assert link.startswith("https://"), link
        assert data["communesLabel"].startswith("Communes")
        assert len(data["communes"]["features"]) == len(territory.communes)


def test_layers_follow_the_declared_category(drawn: Drawn) -> None:
    page = drawn["monuments-historiques"]["carte.html"]
    labels = [layer["label"] for layer in _map_data(page.content.decode())["layers"]]
    assert [label.split(" (")[0] for label in labels] == ["classé", "classé et inscrit", "inscrit"]


def test_the_territory_page_has_a_layer_per_mapped_dataset(
    offline: tuple[Datasets, Territory],
) -> None:
    datasets, territory = offline
    page = next(f for f in render_territory(datasets, territory) if f.name == "territoire.html")
    text = page.content.decode("utf-8")
    data = _map_data(text)
    mapped = [e for e, _ in datasets if "shape" in e.geometry or "latitude" in e.geometry]
    assert len(data["layers"]) == len(mapped) == 10
    assert f"Patrimoine de {territory.label}" in text
    outside = _without_popups(text)
    assert "http://" not in outside and "https://" not in outside
    assert 'href="static/leaflet/leaflet.css"' in outside
    assert 'src="static/leaflet/leaflet.js"' in outside
    for entry, _ in datasets:
        assert f'href="{entry.name}/carte.html"' in text


def test_leaflet_is_shipped_inside_the_package() -> None:
    files = {f.name: f for f in static_files()}
    assert {
        "static/leaflet/leaflet.js",
        "static/leaflet/leaflet.css",
        "static/leaflet/LICENSE",
        "static/leaflet/images/layers.png",
        "static/leaflet/images/marker-icon.png",
    } <= set(files)
    assert b"1.9.4" in files["static/leaflet/leaflet.js"].content
    assert files["static/leaflet/leaflet.js"].mime == "text/javascript"
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"visuals/static/leaflet/*"' in pyproject
