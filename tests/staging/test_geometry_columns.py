"""A site's geometry (TableSchema ``geojson``) is staged as text: history and diff see it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from patrimoine.catalog import DatasetEntry
from patrimoine.errors import CatalogError
from tests.staging.support import at, stage, staged, versions, write_entry

FIELDS: list[dict[str, Any]] = [
    {"name": "identifiant", "type": "string"},
    {"name": "nom", "type": "string"},
    {"name": "geometrie", "type": "geojson"},
]


def square(lon: float, lat: float) -> str:
    ring = [[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01]]
    geometry = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    return json.dumps(geometry, separators=(",", ":"))


def sites(project: Path) -> DatasetEntry:
    return write_entry(project, "znieff", FIELDS, ["identifiant"], {"shape": "geometrie"})


def test_a_moved_vertex_is_a_modification_and_an_identical_export_is_not(
    engine: Engine, project: Path
) -> None:
    entry = sites(project)
    # A missing geometry is "" like any missing text (the site is then off the map).
    first: list[list[Any]] = [
        ["830000001", "Puy de Dôme", square(2.96, 45.77)],
        ["830000002", "Gergovie", ""],
    ]
    assert stage(engine, entry, first, "r1", at(0)).added == 2
    assert stage(engine, entry, first, "r2", at(1)).is_empty
    moved = [[*first[0][:2], square(2.961, 45.77)], first[1]]
    diff = stage(engine, entry, moved, "r3", at(2))
    assert (diff.added, diff.removed, diff.changed) == (0, 0, 1)
    assert [r[2] for r in staged(engine, entry)] == [moved[0][2], ""]
    history = [v for v in versions(engine, entry) if v["identifiant"] == "830000001"]
    assert [json.loads(v["geometrie"])["coordinates"][0][0] for v in history] == [
        [2.96, 45.77],
        [2.961, 45.77],
    ]


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"shape": "nom"}, "doit être de type geojson"),
        ({"shape": "contour"}, "colonne « contour » inconnue"),
        ({"latitude": "nom"}, "latitude et longitude vont ensemble"),
    ],
)
def test_the_geometry_section_names_fitting_columns(
    tmp_path: Path, geometry: dict[str, str], message: str
) -> None:
    with pytest.raises(CatalogError, match=message):
        write_entry(tmp_path, "znieff", FIELDS, ["identifiant"], geometry)
