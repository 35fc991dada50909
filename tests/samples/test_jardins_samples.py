"""The jardins remarquables generator, its snapshot file, and what a refresh of the real
pipeline publishes from it (served by the local upstream over HTTP), trap by trap."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from shapely.geometry import Point, shape

from patrimoine.pipeline import Outcome, refresh_many
from patrimoine.stages import engine_for
from patrimoine.staging import quarantine
from tests.conftest import make_settings
from tests.samples.datagouv import dataset_json
from tests.samples.jardins import (
    BEAUMONT_74_POINT,
    DATASET_ID,
    ELSEWHERE_TRAPS,
    JARDINS_HEADER,
    NO_IDENTIFIER_LINE,
    REGULAR_KEYS,
    TERRITORY_TRAPS,
    TRAPS,
    readme_section,
    sample_rows,
    snapshot_dataset,
    snapshot_inputs,
)
from tests.servers import (
    CLERMONT_EPCI_SIREN,
    UpstreamServer,
    clermont_communes,
    real_contours,
    upstream_env,
)
from tests.transforms.geo import sample_communes

NAME = "jardins-remarquables"
CONTOURS = real_contours()
COMMUNES = sample_communes()
TERRITORY_CODES = {c.code for c in COMMUNES}
PUBLISHED_KEYS = {t.key for t in TERRITORY_TRAPS if t.key} | set(REGULAR_KEYS)
ELSEWHERE_KEYS = {t.key for t in ELSEWHERE_TRAPS if t.key}


def records(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline=""), delimiter="|"))


@pytest.fixture(scope="module")
def by_key() -> dict[str, dict[str, str]]:
    rows = records(snapshot_dataset(COMMUNES).content)
    return {r["identifiant_origine"] or r["identifiant_deps"] or "": r for r in rows}


def in_commune(code: str, lat: float, lon: float) -> bool:
    return bool(shape(CONTOURS[code]).covers(Point(lon, lat)))


# --- Generator and file format ---------------------------------------------------------------


def test_deterministic_and_small() -> None:
    first, second = snapshot_dataset(COMMUNES), snapshot_dataset(list(COMMUNES))
    assert first == second
    assert sample_rows(COMMUNES, seed=1) == sample_rows(COMMUNES, seed=1)
    assert sample_rows(COMMUNES, seed=1) != sample_rows(COMMUNES, seed=2)
    assert len(first.content) < 40_000
    assert snapshot_inputs(COMMUNES) == {}


def test_file_format_pipe_unquoted_header_every_field_quoted() -> None:
    content = snapshot_dataset(COMMUNES).content
    assert not content.startswith(b"\xef\xbb\xbf") and b"\r" not in content
    lines = content.decode("utf-8").split("\n")
    assert lines[-1] == ""
    assert lines[0] == "|".join(JARDINS_HEADER) and '"' not in lines[0]
    assert len(JARDINS_HEADER) == 27
    assert all(line.startswith('"') and line.endswith('"') for line in lines[1:-1])
    parsed = list(csv.reader(io.StringIO(content.decode("utf-8"), newline=""), delimiter="|"))
    assert all(len(record) == 27 for record in parsed)
    assert len(parsed) - 1 == len(TRAPS) + len(REGULAR_KEYS)


def test_every_garden_is_marked_synthetic(by_key: dict[str, dict[str, str]]) -> None:
    assert all(r["description"].startswith("[Exemple fictif]") for r in by_key.values())


def test_each_trap_is_in_the_file(by_key: dict[str, dict[str, str]]) -> None:
    assert json.loads(by_key["JR630001"]["types"]) == ["Jardin botanique", "Arboretum"]
    assert by_key["JR630001"]["site_internet_et_autres_liens"].startswith('["https://')
    assert by_key["JR630002"]["types"] == "Parc;Jardin d'agrément"
    assert by_key["JR630002"]["site_internet_et_autres_liens"].startswith("www.")
    empty_code = by_key["JR630003"]
    assert empty_code["code_insee"] == ""
    assert in_commune("63075", float(empty_code["latitude"]), float(empty_code["longitude"]))
    swapped = by_key["JR630004"]
    assert float(swapped["latitude"]) < 10 and float(swapped["longitude"]) > 40
    assert in_commune("63263", float(swapped["longitude"]), float(swapped["latitude"]))
    assert by_key["JARD_63014_00005"]["identifiant_origine"] == ""
    assert "|" in by_key["JR630006"]["nom_du_jardin"]
    assert "|" in by_key["JR630006"]["description"]
    json_only = by_key["JR630007"]
    assert json_only["latitude"] == json_only["longitude"] == ""
    assert set(json.loads(json_only["coordonnees_geographiques"])) == {"lat", "lon"}
    assert by_key["JR630008"]["date_de_maj"] == "03/10/2026"
    no_identifier = by_key[""]
    assert no_identifier["identifiant_deps"] == ""
    rows = records(snapshot_dataset(COMMUNES).content)
    assert rows.index(no_identifier) + 2 == NO_IDENTIFIER_LINE
    for key in REGULAR_KEYS:
        row = by_key[key]
        assert in_commune(row["code_insee"], float(row["latitude"]), float(row["longitude"]))
    for key in ELSEWHERE_KEYS:
        assert by_key[key]["code_insee"] not in TERRITORY_CODES
    assert by_key["JR740107"]["code_insee"] == "74031"
    namesake = by_key["JR740108"]
    assert namesake["commune"] == "Beaumont" and namesake["code_insee"] == ""
    assert namesake["code_insee_departement"] == ""
    lat, lon = float(namesake["latitude"]), float(namesake["longitude"])
    assert abs(lat - BEAUMONT_74_POINT[0]) < 0.01 and abs(lon - BEAUMONT_74_POINT[1]) < 0.01


def test_readme_section_lists_every_trap() -> None:
    section = readme_section(COMMUNES)
    assert section.startswith("## Jardins remarquables")
    for trap in TRAPS:
        assert f"| {trap.key or f'(none: line {NO_IDENTIFIER_LINE})'} | {trap.name}:" in section


def test_dataset_answer_is_the_real_shape() -> None:
    sample = snapshot_dataset(COMMUNES)
    answer = json.loads(dataset_json(sample))
    assert answer["id"] == DATASET_ID == "5ee2fe1cba88d5c5a1179ef2"
    assert answer["frequency"] == "daily" and answer["license"] == "lov2"
    (resource,) = answer["resources"]
    assert resource["format"] == "csv" and resource["url"] == sample.file_url
    assert "« code id » est renommé « identifiant origine »" in answer["description"]


# --- End to end: the snapshot file served over HTTP, one refresh ------------------------------


@dataclass
class Published:
    outcome: Outcome
    rows: dict[str, dict[str, str]]
    features: dict[str, dict[str, Any]]
    metadata: dict[str, Any]
    quarantined: dict[str, list[str]]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    sample = snapshot_dataset(COMMUNES)
    with UpstreamServer() as upstream:
        upstream.add_epci(
            CLERMONT_EPCI_SIREN, clermont_communes(), nom="Clermont Auvergne Métropole"
        )
        upstream.add_datagouv_dataset(sample.dataset_id, [sample.served_file()])
        settings = make_settings(tmp_path_factory.mktemp("jardins"), **upstream_env(upstream))
        (outcome,) = refresh_many(settings, [NAME])
        folder = settings.portal_dir / NAME
        table = (folder / f"{NAME}.csv").read_text(encoding="utf-8")
        geojson = json.loads((folder / f"{NAME}.geojson").read_text(encoding="utf-8"))
        recorded = quarantine.of_run(engine_for(settings), outcome.run_id)
        yield Published(
            outcome,
            {r["identifiant"]: r for r in csv.DictReader(io.StringIO(table))},
            {f["properties"]["identifiant"]: f for f in geojson["features"]},
            json.loads((folder / "metadata.json").read_text(encoding="utf-8")),
            {q["record_key"]: q["reasons"] for q in recorded},
        )
    assert not upstream.errors, upstream.errors


def remark(outcome: Outcome, label: str) -> str:
    (line,) = [r for r in outcome.remarks if r.startswith(label)]
    return line


def test_refresh_publishes_exactly_the_territory_gardens(published: Published) -> None:
    outcome = published.outcome
    assert outcome.status == "updated", outcome.error
    assert outcome.warnings == []
    assert set(published.rows) == PUBLISHED_KEYS
    assert not ELSEWHERE_KEYS & set(published.rows)
    assert {r["code_insee"] for r in published.rows.values()} <= TERRITORY_CODES
    assert set(published.features) == PUBLISHED_KEYS  # every published garden is mapped
    assert published.metadata["attribution"] == "Ministère de la Culture (label Jardin remarquable)"
    assert published.metadata["licence"]["nom"] == "Licence Ouverte 2.0"
    assert (
        f"Ce jeu compte {len(PUBLISHED_KEYS)} jardins, dont {len(PUBLISHED_KEYS)} "
        in (published.metadata["description"])
    )


def test_refresh_handles_each_trap_by_identifier(published: Published) -> None:
    rows, outcome = published.rows, published.outcome
    assert json.loads(rows["JR630001"]["types"]) == ["Jardin botanique", "Arboretum"]
    assert json.loads(rows["JR630002"]["sites_internet"])[0].startswith("https://www.")
    assert json.loads(rows["JR630002"]["types"]) == ["Parc", "Jardin d'agrément"]
    assert (rows["JR630003"]["code_insee"], rows["JR630003"]["rattachement_commune"]) == (
        "63075",
        "coordonnees",
    )
    assert "JR630003 (ligne 4)" in remark(outcome, "commune retrouvée par les coordonnées")
    lon, lat = published.features["JR630004"]["geometry"]["coordinates"]
    assert in_commune("63263", lat, lon)
    assert "JR630004 (ligne 5)" in remark(outcome, "coordonnées inversées")
    assert rows["JARD_63014_00005"]["identifiant_origine"] == ""
    assert "JARD_63014_00005 (ligne 6)" in remark(outcome, "sans identifiant origine")
    assert rows["JR630006"]["nom_du_jardin"] == "Jardin des Sœurs | potager conservatoire"
    assert rows["JR630007"]["latitude"] != ""
    assert (rows["JR630008"]["date_creation"], rows["JR630008"]["date_maj"]) == (
        "2009-05-12",
        "2026-10-03",
    )
    key = f"ligne {NO_IDENTIFIER_LINE}"
    assert published.quarantined == {
        key: ["Jardin sans identifiant (identifiant origine et identifiant DEPS vides)"]
    }
    assert outcome.quarantined == [
        f"Jardin sans identifiant (identifiant origine et identifiant DEPS vides) (1) : {key}"
    ]
    assert "JR740108 (ligne 20)" in remark(outcome, "homonyme d'une commune du territoire")
    assert all(r["coordonnees_douteuses"] == "false" for r in rows.values())
