"""The synthetic Mérimée generator and the offline snapshot built from it."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from patrimoine.http.mirror import MirrorTransport
from patrimoine.samples.merimee import (
    MERIMEE_HEADER,
    OTHER_COMMUNES,
    TRAPS,
    Commune,
    communes_from_territory_csv,
    national_rows,
    sample_rows,
    synthetic_contour,
    trap_reference,
    write_merimee_csv,
)

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "snapshot"
TERRITORY_CSV = SNAPSHOT / "inputs" / "territory-clermont-auvergne-metropole.csv"
DATASET_URL = "https://www.data.gouv.fr/api/1/datasets/5af120e5b595087cfabcde81/"
CSV_URL = (
    "https://static.data.gouv.fr/resources/immeubles-proteges-au-titre-des-monuments-historiques-2"
    "/20261126-060012/merimee.csv"
)
EPCI_URL = "https://geo.api.gouv.fr/epcis/246300701/communes?format=geojson&geometry=contour"
EPCI_INFO_URL = "https://geo.api.gouv.fr/epcis/246300701?fields=nom"

FIRST_COLUMNS = (
    "Reference", "Titre_editorial_de_la_notice", "Denomination_de_l_edifice", "Domaine",
    "Commune_forme_editoriale", "Commune_forme_index", "COG_Insee_lors_de_la_protection",
    "Departement_format_numerique", "Departement_en_lettres", "Region",
    "coordonnees_au_format_WGS84", "Precision_de_la_localisation", "Adresse_forme_editoriale",
    "Adresse_forme_index", "Lieudit", "Cadastre",
    "Siecle_de_la_campagne_principale_de_construction",
    "Siecle_de_campagne_secondaire_de_construction", "Format_abrege_du_siecle_de_construction",
    "Datation_de_l_edifice", "Nature_de_la_protection", "Typologie_de_la_protection",
    "Date_et_typologie_de_la_protection", "Precision_de_la_protection",
    "Typologie_de_la_zone_de_protection", "Statut_juridique_de_l_edifice",
    "Precision_sur_le_statut_de_l_edifice", "Auteur_de_l_edifice", "Typologie_du_dossier",
    "Cadre_de_l_etude", "Identifiant_Agregee", "Historique", "Observations",
    "Description_de_l_edifice", "Technique_du_decor_porte_de_l_edifice",
    "Lien_vers_la_base_Archiv_MH", "Liens_externes", "Lien_vers_la_base_Palissy",
    "Lien_vers_la_base_Joconde", "Renvoi_vers_une_notice_de_la_base_Merimee_ou_Palissy",
    "Date_de_creation_de_la_notice", "Date_de_la_derniere_mise_a_jour", "Date_de_Label",
    "Copyright", "Producteur", "etat_de_conservation", "Destination_actuelle_de_l_edifice",
    "Etablissement_affectataire_de_l_edifice", "Autre_appellation_de_l_edifice",
    "Personnes_liees_a_l_edifice",
)  # fmt: skip


@pytest.fixture(scope="module")
def territory() -> list[Commune]:
    return communes_from_territory_csv(TERRITORY_CSV)


@pytest.fixture(scope="module")
def rows(territory: list[Commune]) -> list[dict[str, str]]:
    return sample_rows(territory, 5)


@pytest.fixture(scope="module")
def by_reference(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["Reference"]: row for row in rows if row["Reference"]}


def _csv_bytes(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO(newline="")
    write_merimee_csv(rows, buffer)
    return buffer.getvalue().encode("utf-8")


def _read(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter="|"))


# --- Header and file format ---------------------------------------------------------------


def test_header_has_78_columns_in_the_real_order() -> None:
    assert len(MERIMEE_HEADER) == 78
    assert len(set(MERIMEE_HEADER)) == 78
    assert MERIMEE_HEADER[: len(FIRST_COLUMNS)] == tuple(FIRST_COLUMNS)
    for sparse in (
        "Materiaux_du_gros_oeuvre",
        "Typologie_de_plan",
        "Vocable___pour_les_edifices_cultuels",
        "Emplacement__forme_et_structure_de_l_escalier",
        "Nom_du_redacteur",
    ):
        assert sparse in MERIMEE_HEADER[len(FIRST_COLUMNS) :]


def test_file_format_pipe_unquoted_header_quoted_fields(rows: list[dict[str, str]]) -> None:
    data = _csv_bytes(rows)
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in data
    assert data.endswith(b"\n")
    lines = data.decode("utf-8").split("\n")[:-1]
    assert lines[0] == "|".join(MERIMEE_HEADER)
    assert '"' not in lines[0]
    assert len(lines) == len(rows) + 1
    for line in lines[1:]:
        assert line.startswith('"') and line.endswith('"')
    empty = "|".join(['""'] * 78)
    assert empty in lines
    parsed = _read(data)
    assert all(len(record) == 78 for record in parsed)


def test_write_returns_row_count_and_accepts_a_path(
    tmp_path: Path, rows: list[dict[str, str]]
) -> None:
    path = tmp_path / "merimee.csv"
    assert write_merimee_csv(rows, path) == len(rows)
    assert path.read_bytes() == _csv_bytes(rows)


def test_quoted_pipe_survives_a_csv_round_trip(rows: list[dict[str, str]]) -> None:
    data = _csv_bytes(rows)
    parsed = _read(data)
    header, records = parsed[0], parsed[1:]
    title = header.index("Titre_editorial_de_la_notice")
    pipe_ref = trap_reference("pipe_in_field")
    record = next(r for r in records if r[0] == pipe_ref)
    assert len(record) == 78
    assert "|" in record[title]
    line = next(ln for ln in data.decode("utf-8").splitlines() if ln.startswith(f'"{pipe_ref}"'))
    assert len(line.split("|")) == 79  # what a naive split gets wrong
    reread = [dict(zip(header, r, strict=True)) for r in records]
    assert reread == [{c: row.get(c, "") for c in MERIMEE_HEADER} for row in rows]


def test_same_seed_same_bytes(territory: list[Commune]) -> None:
    first = _csv_bytes(sample_rows(territory, 3, seed=7))
    assert first == _csv_bytes(sample_rows(territory, 3, seed=7))
    assert first != _csv_bytes(sample_rows(territory, 3, seed=8))
    national = _csv_bytes(list(national_rows(300, seed=1)))
    assert national == _csv_bytes(list(national_rows(300, seed=1)))


# --- Values and traps --------------------------------------------------------------------


def test_regular_values_look_real(rows: list[dict[str, str]], territory: list[Commune]) -> None:
    regular = [r for r in rows[len(TRAPS) - 1 :] if r["Reference"]]
    assert len(regular) == 5 * len(territory) + 1  # + the duplicate's second copy
    refs = [r["Reference"] for r in regular]
    assert any(ref.startswith("PA00") for ref in refs)
    assert any(ref.startswith("PA63") for ref in refs)
    assert all(len(ref) == 10 for ref in refs)
    for row in regular:
        assert row["Denomination_de_l_edifice"] == row["Denomination_de_l_edifice"].lower()
        assert row["Date_de_la_derniere_mise_a_jour"] <= "2026-11-26"
        acts = re.findall(r"\d{4}/\d{2}/\d{2}", row["Date_et_typologie_de_la_protection"])
        assert all(act.replace("/", "-") <= row["Date_de_la_derniere_mise_a_jour"] for act in acts)
        assert row["Date_de_creation_de_la_notice"] <= row["Date_de_la_derniere_mise_a_jour"]
        assert row["Departement_format_numerique"] == "63"
        assert row["Region"] == "Auvergne-Rhône-Alpes"
        if row["coordonnees_au_format_WGS84"]:
            lat, lon = (float(v) for v in row["coordonnees_au_format_WGS84"].split(","))
            assert 45.6 < lat < 45.9 and 2.9 < lon < 3.3
            assert " " not in row["coordonnees_au_format_WGS84"]
    assert sum(r["Date_de_creation_de_la_notice"] == "1993-03-29" for r in regular) > 50
    assert any(";" in r["Date_et_typologie_de_la_protection"] for r in regular)
    assert any(len(r["Copyright"]) > 600 for r in regular)
    assert any(r["Titre_editorial_de_la_notice"] == "Eglise Notre-Dame-du-Port" for r in regular)


def test_each_trap_is_present(
    rows: list[dict[str, str]], by_reference: dict[str, dict[str, str]]
) -> None:
    def trap(name: str) -> dict[str, str]:
        return by_reference[trap_reference(name)]

    assert "|" in trap("pipe_in_field")["Titre_editorial_de_la_notice"]
    assert trap("multiple_cog_codes")["COG_Insee_lors_de_la_protection"] == "63113;63075"
    fallback = trap("empty_cog_name_fallback")
    assert fallback["COG_Insee_lors_de_la_protection"] == ""
    assert fallback["Commune_forme_index"] == "Cendre (Le)"
    assert fallback["Commune_forme_editoriale"] == "Le Cendre"
    outside = trap("cog_outside_name_member")
    assert outside["COG_Insee_lors_de_la_protection"] == "63808"
    assert outside["Commune_forme_editoriale"] == "Royat"
    assert trap("empty_coordinates")["coordonnees_au_format_WGS84"] == ""
    assert trap("zero_coordinates")["coordonnees_au_format_WGS84"] == "0,0"
    first, second = trap("swapped_coordinates")["coordonnees_au_format_WGS84"].split(",")
    assert 2 < float(first) < 4 and 45 < float(second) < 46
    assert trap("protection_year_only")["Date_et_typologie_de_la_protection"] == "1862 : classé MH"
    assert trap("protection_without_date")["Date_et_typologie_de_la_protection"] == "inscrit MH"
    assert (
        trap("protection_malformed")["Date_et_typologie_de_la_protection"]
        == "classé MH partiellement:2017/05/10:inscrit MH"
    )
    assert trap("protection_partial")["Typologie_de_la_protection"] == "inscrit MH partiellement"
    statuts = [
        trap(name)["Statut_juridique_de_l_edifice"].split(" ; ")[0]
        for name in ("statut_etat_accent", "statut_etat_no_accent", "statut_etat_typographic")
    ]
    assert statuts == ["propriété de l'État", "propriété de l'Etat", "propriété de l’État"]
    dossiers = {r["Typologie_du_dossier"] for r in rows if r["Reference"]}
    assert {"Dossier de protection", "dossier de protection"} <= dossiers
    assert trap("denomination_capitalised")["Denomination_de_l_edifice"] == "Eglise"
    assert trap("denomination_lower_case")["Denomination_de_l_edifice"] == "église"

    duplicate = trap_reference("duplicate_reference")
    copies = [r for r in rows if r["Reference"] == duplicate]
    assert len(copies) == 2
    assert (
        copies[1]["Date_de_la_derniere_mise_a_jour"] > copies[0]["Date_de_la_derniere_mise_a_jour"]
    )
    differing = {c for c in MERIMEE_HEADER if copies[0][c] != copies[1][c]}
    assert differing == {"Date_de_la_derniere_mise_a_jour"}
    assert sum(not any(r.values()) for r in rows) == 1  # the empty line


def test_traps_can_be_switched_off(territory: list[Commune]) -> None:
    plain = sample_rows(territory, 2, traps=False)
    assert len(plain) == 2 * len(territory)
    assert all(r["Reference"] for r in plain)
    assert len({r["Reference"] for r in plain}) == len(plain)
    assert all(r["COG_Insee_lors_de_la_protection"] == r["COG_Insee_lors_de_la_protection"][:5]
               for r in plain)  # fmt: skip


def test_references_do_not_collide_between_calls(territory: list[Commune]) -> None:
    inside = sample_rows(territory, 5)
    outside = sample_rows(OTHER_COMMUNES, 2, ref_start=500, traps=False)
    refs_in = {r["Reference"] for r in inside if r["Reference"]}
    refs_out = {r["Reference"] for r in outside}
    assert not refs_in & refs_out


def test_communes_from_territory_csv(tmp_path: Path, territory: list[Commune]) -> None:
    assert len(territory) == 21
    cendre = next(c for c in territory if c.code == "63069")
    assert cendre.nom == "Le Cendre" and cendre.departement == "63" and cendre.region == "84"
    assert abs(cendre.lat - 45.72) < 0.05 and abs(cendre.lon - 3.19) < 0.05
    other = tmp_path / "territory.csv"
    other.write_text(
        "code_insee,nom,siren_commune,codes_postaux,code_departement,code_region\n"
        "99999,Inconnue,000000000,00000,99,99\n",
        encoding="utf-8",
    )
    unknown = communes_from_territory_csv(other)[0]
    assert unknown == communes_from_territory_csv(other)[0]
    assert 42.5 < unknown.lat < 51 and -4.5 < unknown.lon < 7.5


def test_national_rows_size_and_pipes() -> None:
    generated = list(national_rows(2500))
    size = len(_csv_bytes(generated[:2000])) / 2000
    assert 45e6 <= size * 46_760 <= 60e6
    departements = {r["Departement_format_numerique"] for r in generated}
    assert len(departements) >= 25
    assert any(r["Departement_format_numerique"] == "63" for r in generated)
    with_pipe = [i for i, r in enumerate(generated) if any("|" in v for v in r.values())]
    assert with_pipe == [2499]
    assert len({r["Reference"] for r in generated}) == 2500
    assert sum(len(r["Historique"]) > 600 for r in generated) > 20


def test_national_rows_is_lazy() -> None:
    stream = national_rows(10**9)
    assert isinstance(stream, Iterator)
    assert len(list(itertools.islice(stream, 3))) == 3


# --- Snapshot ---------------------------------------------------------------------------


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_snapshot", ROOT / "scripts" / "make_snapshot.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def manifest() -> dict[str, object]:
    data: dict[str, object] = json.loads((SNAPSHOT / "manifest.json").read_text("utf-8"))
    return data


def test_manifest_files_exist_and_snapshot_is_small(manifest: dict[str, object]) -> None:
    entries = manifest["entries"]
    assert isinstance(entries, list)
    assert {e["url"] for e in entries} == {DATASET_URL, CSV_URL, EPCI_URL, EPCI_INFO_URL}
    for entry in entries:
        assert (SNAPSHOT / entry["file"]).is_file(), entry["file"]
    total = sum(p.stat().st_size for p in SNAPSHOT.rglob("*") if p.is_file())
    assert total < 300_000


def test_dataset_json_matches_the_shipped_csv() -> None:
    transport = MirrorTransport(SNAPSHOT)
    with httpx.Client(transport=transport) as client:
        dataset = client.get(DATASET_URL).json()
        csv_body = client.get(CSV_URL).content
    assert dataset["id"] == "5af120e5b595087cfabcde81"
    assert dataset["organization"]["id"] == "534fff91a3a7292c64a77f73"
    assert dataset["frequency"] == "weekly" and dataset["license"] == "lov2"
    resources = dataset["resources"]
    assert [r["format"] for r in resources] == ["geojson", "csv"]
    resource = resources[1]
    assert resource["url"] == CSV_URL
    assert resource["type"] == "main" and resource["filetype"] == "file"
    assert resource["checksum"] == {"type": "sha1", "value": hashlib.sha1(csv_body).hexdigest()}
    assert resource["filesize"] == len(csv_body)
    rows = _read(csv_body)
    assert tuple(rows[0]) == MERIMEE_HEADER
    assert all(len(r) == 78 for r in rows)


def test_epci_geojson(territory: list[Commune]) -> None:
    data = json.loads((SNAPSHOT / "geo.api.gouv.fr/epcis/246300701/communes.geojson").read_bytes())
    assert data["type"] == "FeatureCollection"
    features = data["features"]
    assert len(features) == 21
    keys = ["nom", "code", "codeDepartement", "siren", "codeEpci", "codeRegion", "codesPostaux",
            "population"]  # fmt: skip
    for feature in features:
        assert list(feature["properties"]) == keys
        assert feature["geometry"]["type"] == "Polygon"
        ring = feature["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) == 7
    clermont = next(f["properties"] for f in features if f["properties"]["code"] == "63113")
    assert clermont["codesPostaux"] == ["63000", "63100"]
    assert clermont["population"] == 146351
    assert clermont["siren"] == "216301135" and clermont["codeEpci"] == "246300701"


def _inside(point: tuple[float, float], ring: list[list[float]]) -> bool:
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def test_sample_points_fall_in_their_commune_contour(
    rows: list[dict[str, str]], territory: list[Commune]
) -> None:
    rings = {c.code: synthetic_contour(c, territory) for c in territory}
    checked = 0
    for row in rows[len(TRAPS) - 1 :]:
        if not row["coordonnees_au_format_WGS84"]:
            continue
        lat, lon = (float(v) for v in row["coordonnees_au_format_WGS84"].split(","))
        code = row["COG_Insee_lors_de_la_protection"]
        assert _inside((lon, lat), rings[code]), row["Reference"]
        assert not any(_inside((lon, lat), r) for c, r in rings.items() if c != code)
        checked += 1
    assert checked > 80


def test_snapshot_rebuild_is_byte_identical(tmp_path: Path) -> None:
    script = _load_script()
    written = script.build_snapshot(tmp_path, TERRITORY_CSV)
    assert written
    for path in written:
        relative = path.relative_to(tmp_path)
        assert path.read_bytes() == (SNAPSHOT / relative).read_bytes(), relative
