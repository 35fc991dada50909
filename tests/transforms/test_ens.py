"""The ENS transform on the synthetic sites of ``tests/samples/ens.py``, every trap by its
identifier, in Lambert-93 GeoJSON, lon/lat GeoJSON and CSV with a WKT column alike."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import shape

from patrimoine.areas import GEOMETRY_REPAIRED
from patrimoine.catalog import DatasetEntry, load_entry
from patrimoine.config import PROJECT_DIR
from patrimoine.errors import SchemaError
from patrimoine.transforms import TransformStats
from patrimoine.transforms.ens import (
    DATE_UNREADABLE,
    MAP_REFUSED,
    MAP_UNREADABLE,
    NO_FILE,
    YEAR_ONLY,
    boolean,
    deliberation,
)
from patrimoine.transforms.registry import get_transform
from patrimoine.transforms.sites import SITE_TOUCHING, SITE_TWICE
from patrimoine.transforms.stats import REMARKS
from tests.samples import ens as samples
from tests.transforms.geo import clermont_territory

ENTRY: DatasetEntry = load_entry(
    PROJECT_DIR / "catalog" / "espaces-naturels-sensibles.toml", PROJECT_DIR
)
TERRITORY = clermont_territory()


def run(
    tmp_path: Path, content: bytes, *, territory: bool = True
) -> tuple[dict[str, dict[str, Any]], TransformStats]:
    path = tmp_path / "ens.geojson"
    path.write_bytes(content)
    stats = TransformStats()
    result = get_transform(ENTRY)(path, ENTRY, TERRITORY if territory else None, stats)
    rows = {r[0]: dict(zip(ENTRY.column_names, r, strict=True)) for r in result.rows}
    return rows, stats


FORMATS = {
    "geojson-lambert93": lambda: samples.ens_geojson(),
    "geojson-wgs84": lambda: samples.ens_geojson(in_lambert=False),
    "csv-wkt-utf8-bom": lambda: samples.ens_csv(),
    "csv-wkt-cp1252-comma": lambda: samples.ens_csv(encoding="cp1252", delimiter=","),
}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_trap_by_identifier(tmp_path: Path, fmt: str) -> None:
    rows, stats = run(tmp_path, samples.extract_bytes(FORMATS[fmt]()))
    # Remarks point into the producer's file: a feature's rank, a CSV's line (header is 1).
    shift = 1 if fmt.startswith("csv") else 0

    def at(identifier: str, rank: int) -> str:
        return f"{identifier} (ligne {rank + shift})"

    assert sorted(rows) == sorted(samples.PUBLISHED)
    assert samples.TOUCHING not in rows and samples.OUTSIDE not in rows
    assert at(samples.TOUCHING, 2) in stats.examples[SITE_TOUCHING]
    assert stats.out_of_territory == 2
    assert 0 < rows[samples.STRADDLING]["part_dans_territoire"] < 1
    assert rows[samples.PLAIN]["part_dans_territoire"] == 1
    assert rows[samples.PLAIN]["codes_insee"] == "63263"
    assert rows[samples.MULTI]["codes_insee"] == "63075;63308"
    assert rows[samples.MULTI]["surface_officielle_ha"] == 12.5  # « 12,5 »
    assert rows[samples.MULTI]["diffusion_carto"] is True  # « oui »
    assert rows[samples.MULTI]["source_geometrie"] == "PCI Vecteur"
    # Self-intersecting: repaired into two triangles, valid, published.
    assert stats.examples[GEOMETRY_REPAIRED] == [at(samples.BOWTIE, 4)]
    bowtie = shape(json.loads(rows[samples.BOWTIE]["geometrie"]))
    assert bowtie.is_valid and bowtie.geom_type == "MultiPolygon"
    # Given twice: published once, reported.
    assert stats.examples[SITE_TWICE] == [at(samples.TWICE, 10)]
    # Only the year: 1 January, as the schema says; reported.
    assert rows[samples.YEAR_ONLY]["date_deliberation"] == date(2009, 1, 1)
    assert stats.examples[YEAR_ONLY] == [at(samples.YEAR_ONLY, 6)]
    assert rows[samples.PLAIN]["date_deliberation"] == date(2013, 11, 22)
    # diffusion_carto false: kept, off the map.
    assert rows[samples.HIDDEN]["diffusion_carto"] is False
    assert rows[samples.HIDDEN]["hors_carte"] is True
    assert stats.examples[MAP_REFUSED] == [at(samples.HIDDEN, 7)]
    assert all(not rows[i]["hors_carte"] for i in samples.MAPPED)
    assert {r["departement"] for r in rows.values()} == {"63"}
    assert all(kind in REMARKS for kind in stats.problems)


def test_lambert93_and_wgs84_files_publish_the_same_polygons(tmp_path: Path) -> None:
    lambert, _ = run(tmp_path, samples.extract_bytes(samples.ens_geojson()))
    wgs84, _ = run(tmp_path, samples.extract_bytes(samples.ens_geojson(in_lambert=False)))
    for key in samples.PUBLISHED:
        a = shape(json.loads(lambert[key]["geometrie"]))
        b = shape(json.loads(wgs84[key]["geometrie"]))
        assert a.symmetric_difference(b).area < 1e-4 * b.area, key
        assert abs(lambert[key]["surface_ha"] - wgs84[key]["surface_ha"]) < 0.01


def test_unreadable_values_are_reported_not_guessed(tmp_path: Path) -> None:
    members = samples.features()
    members[-2]["properties"].update(diffusion_carto="peut-être", date_delib="novembre 2013")
    rows, stats = run(tmp_path, samples.extract_bytes(samples.ens_geojson(members)))
    assert rows[samples.PLAIN]["diffusion_carto"] is None
    assert rows[samples.PLAIN]["hors_carte"] is True  # no wish, no map
    assert rows[samples.PLAIN]["date_deliberation"] is None
    assert stats.examples[MAP_UNREADABLE] == [f"{samples.PLAIN} (ligne 9)"]
    assert stats.examples[DATE_UNREADABLE] == [f"{samples.PLAIN} (ligne 9)"]


def test_a_departement_without_file_is_reported(tmp_path: Path) -> None:
    _, stats = run(tmp_path, samples.extract_bytes(missing=["03"]))
    assert stats.examples[NO_FILE] == ["03"]


def test_no_identifier_at_all_fails(tmp_path: Path) -> None:
    members = samples.features()
    for feature in members:
        feature["properties"].pop("identifiant")
    with pytest.raises(SchemaError, match="identifiant"):
        run(tmp_path, samples.extract_bytes(samples.ens_geojson(members)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2013-11-22", (date(2013, 11, 22), None)),
        ("22/11/2013", (date(2013, 11, 22), None)),
        ("2013-11-22T00:00:00Z", (date(2013, 11, 22), None)),
        ("2009", (date(2009, 1, 1), YEAR_ONLY)),
        ("", (None, None)),
        ("vers 2010", (None, DATE_UNREADABLE)),
    ],
)
def test_deliberation_dates(text: str, expected: tuple[date | None, str | None]) -> None:
    assert deliberation(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("Oui", True),
        ("1", True),
        ("VRAI", True),
        ("false", False),
        ("non", False),
        ("0", False),
        ("Faux", False),
        ("", None),
        ("?", None),
    ],
)
def test_booleans(text: str, expected: bool | None) -> None:
    assert boolean(text) is expected
