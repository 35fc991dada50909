"""The synthetic Muséofile generator and what a refresh of the real pipeline publishes from
the snapshot it makes, trap by trap (served by the local upstream, hours file included)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Point, shape

from patrimoine.config import Settings
from patrimoine.pipeline import Outcome, refresh_many
from patrimoine.stages import engine_for
from patrimoine.staging import quarantine
from patrimoine.transforms.stats import REMARKS
from tests.conftest import make_settings
from tests.samples.museofile import (
    DATASET_ID,
    ELSEWHERE_TRAPS,
    HOURS,
    HOURS_FILENAME,
    HOURS_TRAPS,
    MUSEOFILE_HEADER,
    RESOURCE_ID,
    TRAPS,
    museofile_csv,
    readme_section,
    snapshot_dataset,
    snapshot_inputs,
    snapshot_rows,
    write_museofile_csv,
)
from tests.servers import (
    CLERMONT_EPCI_SIREN,
    UpstreamServer,
    clermont_communes,
    real_contours,
    upstream_env,
)
from tests.transforms.geo import sample_communes

NAME = "musees-de-france"
CONTOURS = real_contours()
COMMUNES = sample_communes()


def rows_by_id() -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {}
    for row in snapshot_rows(COMMUNES):
        found.setdefault(row["Identifiant"], []).append(row)
    return found


def point(raw: str) -> tuple[float, float]:
    a, b = raw.split(", ")
    return float(a), float(b)


def in_commune(code: str, lat: float, lon: float) -> bool:
    return bool(shape(CONTOURS[code]).contains(Point(lon, lat)))


# --- The generator ---------------------------------------------------------------------------


def test_snapshot_is_deterministic_and_small() -> None:
    first, again = snapshot_dataset(COMMUNES), snapshot_dataset(COMMUNES)
    assert first.content == again.content
    assert snapshot_inputs(COMMUNES) == snapshot_inputs(COMMUNES)
    assert len(first.content) < 40_000
    assert (first.dataset_id, first.resource_id, first.frequency) == (
        DATASET_ID,
        RESOURCE_ID,
        "weekly",
    )
    assert (first.modified.year, first.modified.month) == (2026, 11)
    assert first.modified.utcoffset() == dt.timedelta(0)


def test_file_format_pipe_unquoted_header_minimal_quoting() -> None:
    content = snapshot_dataset(COMMUNES).content
    assert not content.startswith(b"\xef\xbb\xbf") and b"\r" not in content
    text = content.decode("utf-8")
    lines = text.split("\n")
    assert lines[0] == "|".join(MUSEOFILE_HEADER) and '"' not in lines[0]
    records = list(csv.reader(io.StringIO(text), delimiter="|"))
    assert all(len(r) == len(MUSEOFILE_HEADER) for r in records)
    # The §8bis trap: one quoted field holding the separator breaks a naive split.
    pipe_line = next(line for line in lines if line.startswith("M9001|"))
    assert '|"muséum Henri-Lecoq | jardin Lecoq"|' in pipe_line
    assert len(pipe_line.split("|")) == len(MUSEOFILE_HEADER) + 1
    assert sum(line.count('"') for line in lines[1:]) == 2  # nothing else is quoted


def test_write_accepts_a_path_and_a_reduced_header(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    rows = snapshot_rows(COMMUNES)
    assert write_museofile_csv(rows, path) == len(rows)
    assert path.read_bytes() == museofile_csv(rows)
    reduced = museofile_csv(rows[:1], header=("Identifiant", "Ville")).decode()
    assert reduced == "Identifiant|Ville\nM9001|Clermont-Ferrand\n"


def test_each_trap_is_in_the_file() -> None:
    by_id = rows_by_id()
    assert by_id["M9001"][0]["Nom_officiel"] == "muséum Henri-Lecoq | jardin Lecoq"
    assert by_id["M9002"][0]["Coordonnees"] == "45.764043, 4.835659"
    assert (by_id["M9002"][0]["Ville"], by_id["M9002"][0]["Code_Postal"]) == (
        "Clermont-Ferrand",
        "63000",
    )
    lon, lat = point(by_id["M9003"][0]["Coordonnees"])
    assert in_commune("63075", lat, lon)  # written lon first
    assert (by_id["M9004"][0]["Coordonnees"], by_id["M9004"][0]["Ville"]) == ("", "Royat")
    beaumont = by_id["M9005"][0]
    assert (beaumont["Ville"], beaumont["Code_Postal"], beaumont["Departement"]) == (
        "Beaumont",
        "",
        "",
    )
    assert beaumont["Coordonnees"] == ""
    assert (by_id["M9006"][0]["Ville"], by_id["M9006"][0]["Coordonnees"]) == ("Clermont-Fd", "")
    assert by_id["M9007"][0]["URL"] == " musee-bargoin.clermont.example.fr/collections "
    assert by_id["M9008"][0]["URL"] == "voir le site de la mairie"
    assert by_id["M9009"][0]["Refmer"] == "PA00091901;PA63000415, MI184"
    assert by_id["M9010"][0]["Refmer"] == "PA0009190;PA00091902"
    assert ";" in by_id["M9011"][0]["Domaine_thematique"]
    older, newer = by_id["M9012"]
    assert older["Date_de_mise_a_jour"] < newer["Date_de_mise_a_jour"]
    assert older["Telephone"] != newer["Telephone"]
    assert "https://" in by_id["M9013"][0]["Protection_batiment"]
    assert by_id["M9014"][0]["Date_de_mise_a_jour"] == "12/03/2025"
    assert " m9015 " in by_id
    lat, lon = point(by_id["M9016"][0]["Coordonnees"])
    assert by_id["M9016"][0]["Ville"] == "Clermont-Ferrand" and in_commune("63075", lat, lon)
    assert "M901" in by_id and len(by_id[""]) == 1
    for identifier, _, _ in ELSEWHERE_TRAPS:
        assert identifier in by_id
    # Regular museums sit inside the contour of their commune.
    codes = {c.nom: c.code for c in COMMUNES}
    for identifier, (row, *_) in by_id.items():
        if identifier.startswith("M91") and len(identifier) == 5:
            assert in_commune(codes[row["Ville"]], *point(row["Coordonnees"])), identifier


def test_hours_file_bom_semicolons_and_traps() -> None:
    data = snapshot_inputs(COMMUNES)[HOURS_FILENAME]
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.startswith("identifiant;horaires\r\n")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert [tuple(line) for line in lines[1:]] == list(HOURS)
    given = dict(HOURS)
    assert given["M9004"] == "Sur rendez-vous" and given["M9003"].startswith("Tu-Su")
    assert "M9999" not in rows_by_id()


def test_readme_names_every_trap() -> None:
    section = readme_section(COMMUNES)
    assert section.startswith("## Musées de France (Muséofile)")
    for identifier, trap, _ in (*TRAPS, *ELSEWHERE_TRAPS, *HOURS_TRAPS):
        assert f"| {identifier} | `{trap}` |" in section
    assert "synthetic" in section


# --- What an offline-like refresh publishes --------------------------------------------------


@dataclass
class Published:
    outcome: Outcome
    rows: dict[str, dict[str, str]]
    mapped: set[str]
    metadata: dict[str, Any]
    quarantined: dict[str, list[str]]


def serve(server: UpstreamServer, content: bytes) -> None:
    sample = snapshot_dataset(COMMUNES)
    server.add_epci(CLERMONT_EPCI_SIREN, clermont_communes(), nom="Clermont Auvergne Métropole")
    server.add_datagouv_dataset(DATASET_ID, [(sample.fmt, sample.filename, content)])


def settings(root: Path, server: UpstreamServer) -> Settings:
    hours = root / HOURS_FILENAME
    hours.write_bytes(snapshot_inputs(COMMUNES)[HOURS_FILENAME])
    return make_settings(root, PATRIMOINE_MUSEUM_HOURS=str(hours), **upstream_env(server))


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    with UpstreamServer() as server:
        serve(server, snapshot_dataset(COMMUNES).content)
        config = settings(tmp_path_factory.mktemp("museofile"), server)
        (outcome,) = refresh_many(config, [NAME])
        folder = config.portal_dir / NAME
        text = (folder / f"{NAME}.csv").read_text(encoding="utf-8")
        rows = {r["identifiant_museofile"]: r for r in csv.DictReader(io.StringIO(text))}
        geojson = json.loads((folder / f"{NAME}.geojson").read_text(encoding="utf-8"))
        mapped = {f["properties"]["identifiant_museofile"] for f in geojson["features"]}
        metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
        recorded = quarantine.of_run(engine_for(config), outcome.run_id)
        quarantined = {q["record_key"]: q["reasons"] for q in recorded}
        yield Published(outcome, rows, mapped, metadata, quarantined)
    assert not server.errors, server.errors


def test_the_refresh_publishes_the_territory_museums(published: Published) -> None:
    outcome = published.outcome
    assert outcome.status == "updated", outcome.error
    expected = {i for i, _, _ in TRAPS} - {"M9005", "M9006", "M901", "(ligne N)"}
    expected |= {f"M{n}" for n in range(9101, 9113)}
    assert set(published.rows) == expected
    assert outcome.rows_published == len(expected)
    for identifier, _, _ in ELSEWHERE_TRAPS:
        assert identifier not in published.rows
    files = {f"{NAME}.csv", f"{NAME}.geojson", "changelog.csv"}
    assert {r["fichier"] for r in published.metadata["ressources"]} >= files


def test_traps_in_the_published_files(published: Published) -> None:
    rows = published.rows
    assert rows["M9001"]["nom_officiel"] == "muséum Henri-Lecoq | jardin Lecoq"
    assert (rows["M9002"]["commune"], rows["M9002"]["coordonnees_douteuses"]) == (
        "Clermont-Ferrand",
        "true",
    )
    assert "M9002" not in published.mapped and "M9003" in published.mapped
    assert rows["M9003"]["code_insee"] == "63075"
    assert (rows["M9004"]["code_insee"], rows["M9004"]["latitude"]) == ("63308", "")
    assert "M9004" not in published.mapped
    assert rows["M9007"]["url"] == "https://musee-bargoin.clermont.example.fr/collections"
    assert rows["M9008"]["url"] == ""
    assert rows["M9009"]["references_merimee"] == "PA00091901;PA63000415;MI184"
    assert rows["M9010"]["references_merimee"] == "PA00091902"
    assert rows["M9011"]["domaines_thematiques"] == (
        "Beaux-arts;Arts décoratifs;Archéologie nationale"
    )
    assert (rows["M9012"]["telephone"], rows["M9012"]["date_maj_notice"]) == (
        "04 73 10 20 31",
        "2026-11-02",
    )
    assert rows["M9013"]["protection_batiment"] == "Monument historique classé"
    assert rows["M9014"]["date_maj_notice"] == "2025-03-12"
    assert rows["M9015"]["lien_pop"] == "https://pop.culture.gouv.fr/notice/museo/M9015"
    assert rows["M9016"]["commune"] == "Chamalières"


def test_quarantine_holds_the_records_without_a_valid_identifier(published: Published) -> None:
    (empty,) = [k for k in published.quarantined if k.startswith("ligne ")]
    assert set(published.quarantined) == {"M901", empty}
    assert published.quarantined["M901"] == [
        "« identifiant_museofile » au format invalide (attendu ^M\\d{4}$)"
    ]
    assert published.quarantined[empty] == ["Musée sans identifiant Muséofile (Identifiant vide)"]
    assert len(published.outcome.quarantined) == 2


def test_hours_are_published_and_their_problems_reported(published: Published) -> None:
    rows = published.rows
    for identifier, text in HOURS:
        if identifier in rows:
            assert rows[identifier]["horaires_texte"] == text
    assert rows["M9003"]["horaires_osm"] == "Tu-Su 10:00-18:00; PH off"
    assert (rows["M9004"]["horaires_texte"], rows["M9004"]["horaires_osm"]) == (
        "Sur rendez-vous",
        "",
    )
    for identifier in ("M9001", "M9002", "M9007", "M9011", "M9101"):
        assert rows[identifier]["horaires_osm"], identifier
    assert rows["M9102"]["horaires_texte"] == rows["M9102"]["horaires_osm"] == ""
    remarks = "\n".join(published.outcome.remarks)
    assert f"{REMARKS['horaires_non_reconnus']} (1) : M9004" in remarks
    assert f"{REMARKS['horaires_identifiant_inconnu']} (1) : M9999" in remarks


def test_remarks_and_warnings_name_the_museums(published: Published) -> None:
    remarks = published.outcome.remarks
    expected = {
        "coordonnees_hors_commune": "M9002",
        "coordonnees_inversees": "M9003",
        "commune_par_nom": "M9004",
        "commune_non_verifiable": "M9005",
        "ville_non_reconnue": "M9006",
        "url_invalide": "M9008",
        "reference_merimee_invalide": "M9010 : PA0009190",
        "identifiant_en_double": "M9012",
        "nom_commune_divergent": "M9016",
    }
    for kind, named in expected.items():
        line = next(r for r in remarks if r.startswith(f"{REMARKS[kind]} (1) : "))
        assert f" : {named} (ligne " in line, line
    warnings = "\n".join(published.outcome.warnings)
    for title in (
        "Longitude hors de l'étendue du territoire",
        "Date de mise à jour hors du format ISO",
        "Référence Mérimée mal formée dans Refmer",
        "Adresse de site web invalide",
    ):
        assert title in warnings
    assert "M9002" in warnings and "M9014" in warnings


def test_metadata_sheet(published: Published) -> None:
    sheet = published.metadata
    assert sheet["titre"] == "Musées de France – Clermont Auvergne Métropole"
    assert sheet["attribution"] == "Ministère de la Culture (Muséofile)"
    assert sheet["licence"]["id"] == "lov2"
    rows = published.rows
    geolocated = sum(1 for r in rows.values() if r["latitude"])
    monuments = sum(1 for r in rows.values() if "PA" in r["references_merimee"])
    with_osm = sum(1 for r in rows.values() if r["horaires_osm"])
    assert (
        f"Ce jeu compte {len(rows)} musées, dont {geolocated} géolocalisés"
        in (sheet["description"])
    )
    assert f"{monuments} occupent un édifice protégé" in sheet["description"]
    assert f"{with_osm} ont des horaires au format OpenStreetMap" in sheet["description"]


def test_a_renamed_identifier_column_fails_the_dataset_naming_it(tmp_path: Path) -> None:
    header = tuple("Identifiant_musee" if c == "Identifiant" else c for c in MUSEOFILE_HEADER)
    with UpstreamServer() as server:
        serve(server, museofile_csv(snapshot_rows(COMMUNES), header))
        (outcome,) = refresh_many(settings(tmp_path, server), [NAME])
    assert (outcome.status, outcome.stage) == ("failed", "transform")
    assert "colonne(s) absente(s) du fichier source : Identifiant" in (outcome.error or "")
    assert not (tmp_path / "portal" / NAME).exists()
