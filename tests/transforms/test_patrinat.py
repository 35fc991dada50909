"""The patrinat transform on the synthetic sites of ``tests/samples/patrinat.py``.

Each trap is checked by its identifier: what is published, with which communes, areas and
share, and what the run report says of the others.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import shape

from patrimoine.areas import GEOMETRY_EMPTY, GEOMETRY_REPAIRED, geodesic_area
from patrimoine.catalog import DatasetEntry, load_entry
from patrimoine.config import PROJECT_DIR
from patrimoine.errors import SchemaError
from patrimoine.transforms import TransformStats
from patrimoine.transforms.registry import get_transform
from patrimoine.transforms.result import TransformResult
from patrimoine.transforms.stats import REMARKS
from tests.samples import patrinat as samples
from tests.samples.patrinat import (
    BOTH_LAYERS,
    BOWTIE,
    MULTI,
    OUTSIDE,
    PLAIN,
    STRADDLING,
    TOUCHING,
    TWICE,
    ZPS_MULTI,
    ZPS_STRADDLING,
)
from tests.transforms.geo import clermont_territory

CATALOG = PROJECT_DIR / "catalog"
ZNIEFF: DatasetEntry = load_entry(CATALOG / "znieff-type-1.toml", PROJECT_DIR)
NATURA: DatasetEntry = load_entry(CATALOG / "natura-2000.toml", PROJECT_DIR)
TERRITORY = clermont_territory()


def run(
    tmp_path: Path, entry: DatasetEntry, content: bytes, *, territory: bool = True
) -> tuple[dict[str, dict[str, Any]], TransformStats, TransformResult]:
    path = tmp_path / f"{entry.name}.geojson"
    path.write_bytes(content)
    stats = TransformStats()
    result = get_transform(entry)(path, entry, TERRITORY if territory else None, stats)
    rows = {r[0]: dict(zip(entry.column_names, r, strict=True)) for r in result.rows}
    return rows, stats, result


def znieff(tmp_path: Path, features: list[dict[str, Any]] | None = None) -> Any:
    layer = features if features is not None else samples.znieff_layer()
    return run(tmp_path, ZNIEFF, samples.extract_bytes({"znieff1": layer}))


def examples(stats: TransformStats, kind: str) -> list[str]:
    return [e.split(" (ligne")[0] for e in stats.examples.get(kind, [])]


def test_znieff_publishes_exactly_the_sites_inside(tmp_path: Path) -> None:
    rows, stats, result = znieff(tmp_path)
    assert sorted(rows) == sorted(samples.ZNIEFF_PUBLISHED)
    assert [r[0] for r in result.rows] == sorted(rows)  # sorted by identifier
    assert stats.read == 8 and stats.kept == 5
    # Outside and touching are both out; only the touching one is named as such.
    assert stats.out_of_territory == 2
    assert examples(stats, "site_contigu_au_territoire") == [TOUCHING]
    assert OUTSIDE not in str(stats.examples)
    for kind in stats.problems:
        assert kind in REMARKS


def test_straddling_site_has_a_partial_share_and_its_whole_area(tmp_path: Path) -> None:
    rows, _, _ = znieff(tmp_path)
    site = rows[STRADDLING]
    assert 0 < site["part_dans_territoire"] < 1
    assert site["codes_insee"] == "63284" and site["communes"] == "Pont-du-Château"
    assert site["surface_dans_territoire_ha"] < site["surface_ha"]
    assert site["part_dans_territoire"] == pytest.approx(
        site["surface_dans_territoire_ha"] / site["surface_ha"], abs=1e-3
    )
    # Published whole, not clipped: the geometry reaches east of the territory.
    published = shape(json.loads(site["geometrie"]))
    assert published.bounds[2] > max(shape(c.contour).bounds[2] for c in TERRITORY.communes)


def test_site_inside_one_commune(tmp_path: Path) -> None:
    rows, _, _ = znieff(tmp_path)
    site = rows[PLAIN]
    assert site["part_dans_territoire"] == 1.0
    assert site["codes_insee"] == "63263" and site["communes"] == "Orcines"
    assert site["surface_ha"] == site["surface_dans_territoire_ha"]
    assert site["surface_officielle_ha"] == pytest.approx(site["surface_ha"], abs=0.02)
    assert site["nom"].startswith("Site synthétique 830020007")
    assert site["url_fiche"] == "https://inpn.mnhn.fr/zone/znieff/830020007"
    assert site["couche"] == "znieff1"
    assert str(site["date_creation"]) == "2004-06-01"
    assert str(site["date_modification"]) == "2021-11-05"  # latest of modif_adm, modif_geo
    assert site["gestionnaire"] is None


def test_self_intersecting_polygon_is_repaired(tmp_path: Path) -> None:
    rows, stats, _ = znieff(tmp_path)
    assert examples(stats, GEOMETRY_REPAIRED) == [BOWTIE]
    geometry = shape(json.loads(rows[BOWTIE]["geometrie"]))
    assert geometry.is_valid and geometry.geom_type == "MultiPolygon"  # its two triangles
    assert rows[BOWTIE]["surface_ha"] == pytest.approx(geodesic_area(geometry) / 10_000, 0.01)


def test_site_returned_twice_is_published_once(tmp_path: Path) -> None:
    rows, stats, result = znieff(tmp_path)
    assert TWICE in rows
    assert stats.duplicates == 1 and examples(stats, "site_en_double") == [TWICE]
    assert [r[0] for r in result.source.rows].count(TWICE) == 1


def test_latest_copy_of_a_duplicate_wins(tmp_path: Path) -> None:
    shapes = samples.geometries()
    old = samples.znieff_feature(TWICE, shapes[TWICE], nom_site="Ancien nom")
    new = samples.znieff_feature(
        TWICE, shapes[TWICE], nom_site="Nouveau nom", modif_geo="2024-02-01"
    )
    rows, _, _ = znieff(tmp_path, [new, old])
    assert rows[TWICE]["nom"] == "Nouveau nom"
    rows, _, _ = znieff(tmp_path, [old, new])
    assert rows[TWICE]["nom"] == "Nouveau nom"


def test_multipolygon_across_two_communes(tmp_path: Path) -> None:
    rows, _, _ = znieff(tmp_path)
    site = rows[MULTI]
    assert site["codes_insee"] == "63075;63308"
    assert site["communes"] == "Chamalières;Royat"
    assert json.loads(site["geometrie"])["type"] == "MultiPolygon"
    assert site["part_dans_territoire"] == 1.0


def test_geometry_text_is_compact_rfc7946_and_stable(tmp_path: Path) -> None:
    rows, _, _ = znieff(tmp_path)
    text = rows[PLAIN]["geometrie"]
    assert " " not in text
    geometry = json.loads(text)
    ring = geometry["coordinates"][0]
    assert shapely.is_ccw(shapely.linearrings(ring))  # exterior counter-clockwise
    assert all(len(str(v).split(".")[-1]) <= 6 for p in ring for v in p)
    # The same site with its ring reversed and started elsewhere: the same text.
    feature = samples.znieff_layer()[6]
    assert feature["properties"]["id_mnhn"] == PLAIN
    coords = feature["geometry"]["coordinates"][0][:-1][::-1]
    coords = coords[2:] + coords[:2]
    feature["geometry"] = {"type": "Polygon", "coordinates": [[*coords, coords[0]]]}
    again, _, _ = znieff(tmp_path, [feature])
    assert again[PLAIN]["geometrie"] == text
    # A moved vertex changes it.
    feature["geometry"] = samples.moved_vertex(feature["geometry"])
    moved, _, _ = znieff(tmp_path, [feature])
    assert moved[PLAIN]["geometrie"] != text


def test_source_records_hold_the_sites_as_served(tmp_path: Path) -> None:
    shapes = samples.geometries()
    empty = samples.znieff_feature("830020099", {"type": "Polygon", "coordinates": []})
    rows, stats, result = znieff(tmp_path, [*samples.znieff_layer(), empty])
    source = {r[0]: dict(zip(result.source.columns, r, strict=True)) for r in result.source.rows}
    assert set(source) == {*samples.ZNIEFF_PUBLISHED, "830020099"}
    assert source["830020099"]["geometrie"] == ""
    assert source[PLAIN]["geometrie"] == "Polygon"
    assert source[PLAIN]["surf_off"] == str(
        samples.znieff_feature(PLAIN, shapes[PLAIN])["properties"]["surf_off"]
    )
    assert examples(stats, GEOMETRY_EMPTY) == ["830020099"]
    assert "830020099" not in rows


def test_missing_identifier_field_fails_the_transform(tmp_path: Path) -> None:
    features = samples.znieff_layer()
    for feature in features:
        del feature["properties"]["id_mnhn"]
    with pytest.raises(SchemaError, match="id_mnhn"):
        znieff(tmp_path, features)


def test_national_export_publishes_nothing_inside(tmp_path: Path) -> None:
    content = samples.extract_bytes({"znieff1": samples.znieff_layer()})
    rows, _, _ = run(tmp_path, ZNIEFF, content, territory=False)
    assert set(rows) == {STRADDLING, TOUCHING, OUTSIDE, BOWTIE, TWICE, MULTI, PLAIN}
    assert all(r["codes_insee"] is None and r["part_dans_territoire"] == 0.0 for r in rows.values())


def test_natura_directive_per_layer(tmp_path: Path) -> None:
    rows, stats, _ = run(tmp_path, NATURA, samples.extract_bytes(samples.natura_layers()))
    assert sorted(rows) == sorted(samples.NATURA_PUBLISHED)
    assert rows[samples.SIC_PUYS]["directive"] == "Habitats"
    assert rows[samples.SIC_PUYS]["codes_insee"] == "63263;63345"
    assert rows[ZPS_MULTI]["directive"] == "Oiseaux"
    assert rows[ZPS_MULTI]["codes_insee"] == "63019;63193"
    assert 0 < rows[ZPS_STRADDLING]["part_dans_territoire"] < 1
    assert rows[samples.SIC_COURNON]["nom"].startswith("Site synthétique FR8301035")
    assert rows[samples.SIC_COURNON]["gestionnaire"] == "Syndicat mixte synthétique"
    # One code in both layers: one site, both directives.
    assert rows[BOTH_LAYERS]["directive"] == "Habitats;Oiseaux"
    assert examples(stats, "site_deux_directives") == [BOTH_LAYERS]
    assert stats.duplicates == 0 and "site_en_double" not in stats.problems
    assert stats.kept == 5


# --- Protected areas, ZNIEFF 2, geological heritage ----------------------------------------

PROTECTED: DatasetEntry = load_entry(CATALOG / "espaces-proteges.toml", PROJECT_DIR)
ZNIEFF2: DatasetEntry = load_entry(CATALOG / "znieff-type-2.toml", PROJECT_DIR)
GEOLOGY: DatasetEntry = load_entry(CATALOG / "patrimoine-geologique.toml", PROJECT_DIR)


def sample(tmp_path: Path, entry: DatasetEntry) -> Any:
    return run(tmp_path, entry, samples.extract_bytes(samples.dataset_layers(entry.name)))


def test_protected_areas_type_per_layer_and_park_zones_apart(tmp_path: Path) -> None:
    rows, stats, _ = sample(tmp_path, PROTECTED)
    assert sorted(rows) == sorted(samples.PROTECTED_PUBLISHED)
    types = {key: row["type_espace"] for key, row in rows.items()}
    assert types[samples.EP_APB] == "Arrêté de protection de biotope"
    assert types[samples.EP_RNR] == "Réserve naturelle régionale"
    assert types[samples.EP_PNR] == "Parc naturel régional"
    assert types[samples.EP_CEN] == "Site d'un Conservatoire d'espaces naturels"
    # One national-park layer, two sites: the core and the aire d'adhésion around it.
    assert types[samples.EP_PN_CORE] == "Parc national (cœur)"
    assert types[samples.EP_PN_ADHESION] == "Parc national (aire d'adhésion)"
    assert rows[samples.EP_PN_CORE]["couche"] == rows[samples.EP_PN_ADHESION]["couche"] == "pn"
    core = shapely.from_geojson(rows[samples.EP_PN_CORE]["geometrie"])
    ring = shapely.from_geojson(rows[samples.EP_PN_ADHESION]["geometrie"])
    assert core.intersection(ring).area < 1e-9  # the ring's hole is the core
    # One code in two layers: one site with both types, reported by its identifier.
    assert types[samples.EP_APB_CEN] == (
        "Arrêté de protection de biotope;Site d'un Conservatoire d'espaces naturels"
    )
    assert rows[samples.EP_APB_CEN]["couche"] == "apb;cen"
    assert examples(stats, "site_plusieurs_couches") == [samples.EP_APB_CEN]
    assert "site_en_double" not in stats.problems and stats.duplicates == 0
    assert 0 < rows[samples.EP_PNR]["part_dans_territoire"] < 1
    assert rows[samples.EP_RNR]["codes_insee"] == "63014;63032"
    assert "directive" not in PROTECTED.column_names  # a Natura 2000 column only


def test_park_zone_read_from_the_name_when_the_attribute_is_absent(tmp_path: Path) -> None:
    layers = samples.protected_layers()
    for feature in layers["pn"]:
        del feature["properties"]["zone"]
    rows, _, _ = run(tmp_path, PROTECTED, samples.extract_bytes(layers))
    assert rows[samples.EP_PN_ADHESION]["type_espace"] == "Parc national (aire d'adhésion)"
    assert rows[samples.EP_PN_CORE]["type_espace"] == "Parc national (cœur)"


def test_znieff2_wide_site_straddles_and_a_hole_is_not_counted(tmp_path: Path) -> None:
    rows, _, _ = sample(tmp_path, ZNIEFF2)
    assert sorted(rows) == sorted(samples.ZNIEFF2_PUBLISHED)
    west = rows[samples.Z2_WEST]
    assert 0 < west["part_dans_territoire"] < 1 and west["codes_insee"] == "63345"
    holed = rows[samples.Z2_HOLE]
    assert holed["codes_insee"] == "63307"
    outer = shapely.Polygon(shape(samples.geometries()[samples.Z2_HOLE]).exterior)
    assert holed["surface_ha"] < geodesic_area(outer) / 10_000 * 0.95  # 1/9 is the hole
    assert len(json.loads(holed["geometrie"])["coordinates"]) == 2  # exterior and hole


def test_geology_reads_a_french_decimal_and_drops_the_site_outside(tmp_path: Path) -> None:
    rows, stats, _ = sample(tmp_path, GEOLOGY)
    assert sorted(rows) == sorted(samples.INPG_PUBLISHED)
    assert samples.GEO_OUTSIDE not in rows and stats.out_of_territory == 1
    assert rows[samples.GEO_COMMA]["surface_officielle_ha"] == 1.25
    assert rows[samples.GEO_DURTOL]["codes_insee"] == "63141"
    assert rows[samples.GEO_DURTOL]["url_fiche"].endswith(samples.GEO_DURTOL)
