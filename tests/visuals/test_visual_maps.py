"""Static maps: over the commune contours, readable at 1200 px, reproducible bytes."""

from __future__ import annotations

from patrimoine.territory import Territory
from patrimoine.visuals import render_dataset, render_territory
from patrimoine.visuals.features import features
from patrimoine.visuals.maps import share_of_territory, territory_shape
from tests.visuals.conftest import Datasets, Drawn
from tests.visuals.helpers import assert_non_trivial, pixels


def test_each_mapped_dataset_has_a_non_trivial_map(
    offline: tuple[Datasets, Territory], drawn: Drawn
) -> None:
    datasets, _ = offline
    for entry, _rows in datasets:
        files = drawn[entry.name]
        has_geometry = "shape" in entry.geometry or "latitude" in entry.geometry
        assert ("carte.png" in files) == has_geometry, entry.name
        assert "carte.html" in files
        if has_geometry:
            assert_non_trivial(files["carte.png"].content, min_colours=5, min_ink=0.1)


def test_points_are_coloured_by_category(drawn: Drawn) -> None:
    png = drawn["monuments-historiques"]["carte.png"]
    image = pixels(png.content).reshape(-1, 3).astype(int)
    # Okabe–Ito blue, orange and green of classé, classé et inscrit, inscrit.
    for rgb in ((0x00, 0x72, 0xB2), (0xE6, 0x9F, 0x00), (0x00, 0x9E, 0x73)):
        assert (abs(image - rgb).sum(axis=1) < 30).sum() > 50, rgb


def test_polygon_shares_are_a_part_of_the_territory(offline: tuple[Datasets, Territory]) -> None:
    datasets, territory = offline
    land = territory_shape(territory)
    for entry, rows in datasets:
        if "shape" not in entry.geometry:
            continue
        share = share_of_territory(features(entry, rows), land)
        assert share is not None and 0 < share <= 1, entry.name


def test_maps_are_identical_bytes_on_two_renders(
    offline: tuple[Datasets, Territory], drawn: Drawn
) -> None:
    datasets, territory = offline
    for entry, rows in datasets:
        first = {name: f.content for name, f in drawn[entry.name].items()}
        again = {f.name: f.content for f in render_dataset(entry, list(reversed(rows)), territory)}
        assert first == again, entry.name
    assert render_territory(datasets, territory) == render_territory(
        list(reversed(datasets)), territory
    )


def test_the_territory_map_shows_every_mapped_dataset(offline: tuple[Datasets, Territory]) -> None:
    datasets, territory = offline
    files = {f.name: f for f in render_territory(datasets, territory)}
    assert set(files) == {"territoire.html", "carte-territoire.png"}
    assert_non_trivial(files["carte-territoire.png"].content, min_colours=8, min_ink=0.1)
