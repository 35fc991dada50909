"""The synthetic Mérimée generator, the offline snapshot built from it, and what an offline
run of the real pipeline publishes from that snapshot, trap by trap."""

from __future__ import annotations

import csv
import hashlib
import importlib
import importlib.util
import io
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from shapely.geometry import Point, shape

from patrimoine.http.mirror import MirrorTransport
from patrimoine.pipeline import Outcome, refresh_many
from patrimoine.stages import engine_for
from patrimoine.staging import ledger, quarantine
from patrimoine.territory import name_key
from tests.conftest import make_settings
from tests.samples.datagouv import manifest_entries
from tests.samples.merimee import (
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
CONTOURS_FILE = SNAPSHOT / "inputs" / "contours-clermont-auvergne-metropole.geojson"
DATASET_URL = "https://www.data.gouv.fr/api/1/datasets/5af120e5b595087cfabcde81/"
CSV_URL = (
    "https://static.data.gouv.fr/resources/immeubles-proteges-au-titre-des-monuments-historiques-2"
    "/20261126-060012/merimee.csv"
)
CSV_FILE = SNAPSHOT / CSV_URL.removeprefix("https://")
EPCI_URL = "https://geo.api.gouv.fr/epcis/246300701/communes?format=geojson&geometry=contour"
EPCI_INFO_URL = "https://geo.api.gouv.fr/epcis/246300701?fields=nom"
EPCI_FILE = SNAPSHOT / "geo.api.gouv.fr/epcis/246300701/communes.geojson"
DATASET = "monuments-historiques"
N_TRAP_NOTICES = len(TRAPS) - 1  # every trap but empty_line is carried by a notice

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

AUTHORS = (
    "Jeanneret Charles-Edouard;dit;Le Corbusier (architecte);"
    "Jeanneret Pierre;dit;Pierre Jeanneret (architecte)"
)
MALFORMED_REFERENCE = trap_reference("malformed_reference")[:-1] + "X"
COORDINATE_TRAPS = (
    "zero_coordinates",
    "swapped_coordinates",
    "far_away_coordinates",
    "namesake_without_code_or_departement",
)
"""Trap notices whose raw point is not inside their commune on purpose."""


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


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_snapshot", ROOT / "scripts" / "make_snapshot.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _load_script()


def _contours() -> dict[str, Any]:
    collection = json.loads(CONTOURS_FILE.read_text(encoding="utf-8"))
    return {f["properties"]["code"]: f["geometry"] for f in collection["features"]}


CONTOURS = _contours()
SHAPES = {code: shape(geometry) for code, geometry in CONTOURS.items()}


def _point(raw: str) -> tuple[float, float]:
    lat, lon = (float(v) for v in raw.split(","))
    return lat, lon


def _in_commune(code: str, lat: float, lon: float) -> bool:
    return bool(SHAPES[code].covers(Point(lon, lat)))


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


def _regular(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The regular notices: after the trap notices, before the two late copies."""
    return [r for r in rows[N_TRAP_NOTICES:-2] if r["Reference"]]


def test_regular_values_look_real(rows: list[dict[str, str]], territory: list[Commune]) -> None:
    regular = _regular(rows)
    assert len(regular) == 5 * len(territory)
    assert rows[-2]["Reference"] == trap_reference("duplicate_reference")
    assert rows[-1]["Reference"] == trap_reference("duplicate_newer_elsewhere")
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
            lat, lon = _point(row["coordonnees_au_format_WGS84"])
            assert 45.6 < lat < 45.9 and 2.9 < lon < 3.3
            assert " " not in row["coordonnees_au_format_WGS84"]
    assert sum(r["Date_de_creation_de_la_notice"] == "1993-03-29" for r in regular) > 50
    assert any(";" in r["Date_et_typologie_de_la_protection"] for r in regular)
    assert any(len(r["Copyright"]) > 600 for r in regular)
    assert any(r["Titre_editorial_de_la_notice"] == "Eglise Notre-Dame-du-Port" for r in regular)


RawCheck = Callable[[list[dict[str, str]], Callable[[str], dict[str, str]]], None]
RAW: dict[str, RawCheck] = {}
"""Trap name → what the generated notice carries (rows of a sample, trap → its notice)."""


def raw(trap: str) -> Callable[[RawCheck], RawCheck]:
    def register(check: RawCheck) -> RawCheck:
        RAW[trap] = check
        return check

    return register


def _field_is(trap: str, column: str, value: str) -> None:
    @raw(trap)
    def check(rows: list[dict[str, str]], notice: Callable[[str], dict[str, str]]) -> None:
        assert notice(trap)[column] == value, (trap, column)


@raw("pipe_in_field")
def _(rows: list[dict[str, str]], notice: Callable[[str], dict[str, str]]) -> None:
    assert "|" in notice("pipe_in_field")["Titre_editorial_de_la_notice"]


@raw("multiple_cog_codes")
def _(rows: list[dict[str, str]], notice: Callable[[str], dict[str, str]]) -> None:
    row = notice("multiple_cog_codes")
    assert row["COG_Insee_lors_de_la_protection"] == "63113;63075"
    assert row["Commune_forme_editoriale"] == "Clermont-Ferrand;Chamalières"


@raw("empty_cog_name_fallback")
def _(rows: list[dict[str, str]], notice: Callable[[str], dict[str, str]]) -> None:
    row = notice("empty_cog_name_fallback")
    assert row["COG_Insee_lors_de_la_protection"] == ""
    assert row["Commune_forme_index"] == "Cendre (Le)"
    assert row["Commune_forme_editoriale"] == "Le Cendre"
    assert row["Departement_format_numerique"] == "63"


@raw("cog_outside_name_member")
def _(rows: list[dict[str, str]], notice: Callable[[str], dict[str, str]]) -> None:
    row = notice("cog_outside_name_member")
    assert row["COG_Insee_lors_de_la_protection"] == "63808"
    assert row["Commune_forme_editoriale"] == "Royat"


_field_is("empty_coordinates", "coordonnees_au_format_WGS84", "")
_field_is("zero_coordinates", "coordonnees_au_format_WGS84", "0,0")


@raw("swapped_coordinates")
def _(rows: list[dict[str, str]], notice: Callable[[str], dict[str, str]]) -> None:
    first, second = _point(notice("swapped_coordinates")["coordonnees_au_format_WGS84"])
    assert 2 < first < 4 and 45 < second < 46


_field_is("protection_year_only", "Date_et_typologie_de_la_protection", "1862 : classé MH")
_field_is("protection_without_date", "Date_et_typologie_de_la_protection", "inscrit MH")
_field_is(
    "protection_malformed",
    "Date_et_typologie_de_la_protection",
    "classé MH partiellement:2017/05/10:inscrit MH",
)
_field_is("protection_partial", "Typologie_de_la_protection", "inscrit MH partiellement")


def _statut(trap: str, statut: str, dossier: str) -> None:
    @raw(trap)
    def check(rows: list[dict[str, str]], notice: Callable[[str], dict[str, str]]) -> None:
        row = notice(trap)
        assert row["Statut_juridique_de_l_edifice"].split(" ; ")[0] == statut
        assert row["Typologie_du_dossier"] == dossier


_statut("statut_etat_accent", "propriété de l'État", "Dossier de protection")
_statut("statut_etat_no_accent", "propriété de l'Etat", "dossier de protection")
_statut("statut_etat_typographic", "propriété de l’État", "dossier de protection")
_field_is("denomination_capitalised", "Denomination_de_l_edifice", "Eglise")
_field_is("denomination_lower_case", "Denomination_de_l_edifice", "église")


@raw("duplicate_reference")
def _(rows: list[dict[str, str]], notice: Callable[[str], dict[str, str]]) -> None:
    copies = [r for r in rows if r["Reference"] == trap_reference("duplicate_reference")]
    assert len(copies) == 2
    first, second = copies
    assert second["Date_de_la_derniere_mise_a_jour"] > first["Date_de_la_derniere_mise_a_jour"]
    assert {c for c in MERIMEE_HEADER if first[c] != second[c]} == {
        "Date_de_la_derniere_mise_a_jour"
    }


_field_is(
    "protection_one_digit_month", "Date_et_typologie_de_la_protection", "1926/3/12 : classé MH"
)


@raw("protection_classe_then_partly_inscrit")
def _(rows: list[dict[str, str]], notice: Callable[[str], dict[str, str]]) -> None:
    row = notice("protection_classe_then_partly_inscrit")
    assert row["Typologie_de_la_protection"] == ""
    assert row["Date_et_typologie_de_la_protection"] == (
        "1926/03/12 : classé MH;1994/07/08 : inscrit MH partiellement"
    )


_field_is("authors_with_fragments", "Auteur_de_l_edifice", AUTHORS)


@raw("duplicate_newer_elsewhere")
def _(rows: list[dict[str, str]], notice: Callable[[str], dict[str, str]]) -> None:
    copies = [r for r in rows if r["Reference"] == trap_reference("duplicate_newer_elsewhere")]
    assert len(copies) == 2
    here, elsewhere = copies
    assert elsewhere is rows[-1]  # the last row of the sample
    assert here["COG_Insee_lors_de_la_protection"] != "63300"
    assert (
        elsewhere["COG_Insee_lors_de_la_protection"],
        elsewhere["Commune_forme_editoriale"],
    ) == (
        "63300",
        "Riom",
    )
    assert elsewhere["Date_de_la_derniere_mise_a_jour"] == "2026-11-19"
    assert here["Date_de_la_derniere_mise_a_jour"] < "2026-11-19"
    assert here["Titre_editorial_de_la_notice"] == elsewhere["Titre_editorial_de_la_notice"]


@raw("far_away_coordinates")
def _(rows: list[dict[str, str]], notice: Callable[[str], dict[str, str]]) -> None:
    row = notice("far_away_coordinates")
    assert row["COG_Insee_lors_de_la_protection"] == "63113"
    assert row["coordonnees_au_format_WGS84"] == "-21.1151,55.5364"


@raw("namesake_without_code_or_departement")
def _(rows: list[dict[str, str]], notice: Callable[[str], dict[str, str]]) -> None:
    row = notice("namesake_without_code_or_departement")
    assert row["Commune_forme_editoriale"] == "Beaumont"
    for column in ("COG_Insee_lors_de_la_protection", "Departement_format_numerique", "Region"):
        assert row[column] == "", column
    assert row["coordonnees_au_format_WGS84"] == "46.1134,6.1432"


@raw("code_name_disagree")
def _(rows: list[dict[str, str]], notice: Callable[[str], dict[str, str]]) -> None:
    row = notice("code_name_disagree")
    assert row["COG_Insee_lors_de_la_protection"] == "63113"
    assert (row["Commune_forme_editoriale"], row["Commune_forme_index"]) == ("Royat", "Royat")


@raw("empty_reference")
def _(rows: list[dict[str, str]], notice: Callable[[str], dict[str, str]]) -> None:
    unnamed = [r for r in rows if not r["Reference"] and any(r.values())]
    assert len(unnamed) == 1
    assert unnamed[0]["Titre_editorial_de_la_notice"]
    assert unnamed[0] is rows[TRAPS.index("empty_reference")]


@raw("malformed_reference")
def _(rows: list[dict[str, str]], notice: Callable[[str], dict[str, str]]) -> None:
    references = {r["Reference"] for r in rows}
    assert MALFORMED_REFERENCE in references
    assert trap_reference("malformed_reference") not in references


_field_is("empty_title", "Titre_editorial_de_la_notice", "")
_field_is(
    "implausible_protection_year", "Date_et_typologie_de_la_protection", "2206/03/12 : inscrit MH"
)


@raw("empty_line")
def _(rows: list[dict[str, str]], notice: Callable[[str], dict[str, str]]) -> None:
    empty = [i for i, r in enumerate(rows) if not any(r.values())]
    assert len(empty) == 1
    assert N_TRAP_NOTICES < empty[0] < len(rows) - 2  # among the regular notices


def _snapshot_rows() -> list[dict[str, str]]:
    with CSV_FILE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="|"))


SNAPSHOT_ROWS = _snapshot_rows()
INSIDE, OUTSIDE = SCRIPT.build_rows(SCRIPT.territory_with_contours(TERRITORY_CSV))
"""Part 1 (the territory sample, traps on) and part 2 (notices to drop) of the shipped CSV."""
PART_ONE = SNAPSHOT_ROWS[: len(INSIDE)]


def test_shipped_csv_is_the_territory_sample_then_the_notices_to_drop() -> None:
    assert [{c: r.get(c, "") for c in MERIMEE_HEADER} for r in INSIDE + OUTSIDE] == SNAPSHOT_ROWS
    assert len(OUTSIDE) == SCRIPT.OTHER_PER_COMMUNE * len(OTHER_COMMUNES)
    assert not {r["COG_Insee_lors_de_la_protection"] for r in OUTSIDE} & set(CONTOURS)


def test_every_trap_has_a_generator_check() -> None:
    assert tuple(RAW) == TRAPS


@pytest.mark.parametrize("source", ["generator", "snapshot"])
def test_each_trap_is_present(source: str, rows: list[dict[str, str]]) -> None:
    sample = rows if source == "generator" else PART_ONE
    by_ref = {r["Reference"]: r for r in sample if r["Reference"]}

    def notice(trap: str) -> dict[str, str]:
        if trap == "malformed_reference":
            return by_ref[MALFORMED_REFERENCE]
        return by_ref[trap_reference(trap)]

    for trap in TRAPS:
        RAW[trap](sample, notice)
    dossiers = {r["Typologie_du_dossier"] for r in sample if r["Reference"]}
    assert {"Dossier de protection", "dossier de protection"} <= dossiers


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


def _inside(point: tuple[float, float], ring: list[list[float]]) -> bool:
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def test_points_fall_in_synthetic_contours_without_real_ones(
    rows: list[dict[str, str]], territory: list[Commune]
) -> None:
    """Communes without a contour: points inside the generator's hexagons, none shared."""
    rings = {c.code: synthetic_contour(c, territory) for c in territory}
    checked = 0
    for row in _regular(rows):
        if not row["coordonnees_au_format_WGS84"]:
            continue
        lat, lon = _point(row["coordonnees_au_format_WGS84"])
        code = row["COG_Insee_lors_de_la_protection"]
        assert _inside((lon, lat), rings[code]), row["Reference"]
        assert not any(_inside((lon, lat), r) for c, r in rings.items() if c != code)
        checked += 1
    assert checked > 80


# --- Snapshot ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def manifest() -> dict[str, object]:
    data: dict[str, object] = json.loads((SNAPSHOT / "manifest.json").read_text("utf-8"))
    return data


def test_manifest_files_exist_and_snapshot_is_under_1_mb(manifest: dict[str, object]) -> None:
    entries = manifest["entries"]
    assert isinstance(entries, list)
    territory = SCRIPT.territory_with_contours(TERRITORY_CSV)
    modules = [importlib.import_module(m) for m in SCRIPT.SAMPLE_MODULES]
    culture = {
        e["url"]
        for module in modules
        if hasattr(module, "snapshot_dataset")
        for e in manifest_entries(module.snapshot_dataset(territory))
    }
    assert len(culture) == 8  # four datasets: the API answer and the file of each
    mirrored = {
        url
        for module in modules
        if hasattr(module, "mirror_files")
        for url, _, _, _ in module.mirror_files(territory)
    }
    # The WFS: GetCapabilities, two pages of ZNIEFF 1, one page of each of the other twelve
    # layers (Natura 2000 sic and zps, ZNIEFF 2, INPG, eight protected-area layers).
    assert len(mirrored) == 15
    expected = {DATASET_URL, CSV_URL, EPCI_URL, EPCI_INFO_URL} | culture | mirrored
    assert {e["url"] for e in entries} == expected
    for entry in entries:
        assert (SNAPSHOT / entry["file"]).is_file(), entry["file"]
    total = sum(p.stat().st_size for p in SNAPSHOT.rglob("*") if p.is_file())
    assert total < 1_000_000


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
    assert csv_body.count(b"\n") == len(rows)  # no field spans lines: line = row index + 1


def test_epci_geojson_has_the_real_contours(territory: list[Commune]) -> None:
    transport = MirrorTransport(SNAPSHOT)
    with httpx.Client(transport=transport) as client:
        data = client.get(EPCI_URL).json()
    assert data == json.loads(EPCI_FILE.read_bytes())
    assert data["type"] == "FeatureCollection"
    features = data["features"]
    keys = ["nom", "code", "codeDepartement", "siren", "codeEpci", "codeRegion", "codesPostaux",
            "population"]  # fmt: skip
    assert [f["properties"]["code"] for f in features] == [c.code for c in territory]
    assert [f["properties"]["nom"] for f in features] == [c.nom for c in territory]
    for feature in features:
        assert list(feature["properties"]) == keys
        assert feature["geometry"] == CONTOURS[feature["properties"]["code"]]
        assert feature["geometry"]["type"] == "Polygon"
        assert shape(feature["geometry"]).is_valid
    clermont = next(f["properties"] for f in features if f["properties"]["code"] == "63113")
    assert clermont["codesPostaux"] == ["63000", "63100"]
    assert clermont["population"] == 146351
    assert clermont["siren"] == "216301135" and clermont["codeEpci"] == "246300701"


def test_snapshot_points_lie_in_their_commune_contour() -> None:
    """Part 1 of the shipped CSV: every point is in its commune, unless it is a trap's."""
    codes = set(CONTOURS)
    by_name = {name_key(nom): code for code, nom in _territory_names().items()}
    traps = {trap_reference(t) for t in COORDINATE_TRAPS}
    checked = 0
    for row in PART_ONE:
        if not row["coordonnees_au_format_WGS84"] or row["Reference"] in traps:
            continue
        member = [c for c in row["COG_Insee_lors_de_la_protection"].split(";") if c in codes]
        if row is PART_ONE[-1]:  # the copy of duplicate_newer_elsewhere, in Riom
            assert not member
            continue
        code = member[0] if member else by_name[name_key(row["Commune_forme_editoriale"])]
        lat, lon = _point(row["coordonnees_au_format_WGS84"])
        assert _in_commune(code, lat, lon), (row["Reference"], code)
        assert [c for c in codes if _in_commune(c, lat, lon)] == [code], row["Reference"]
        checked += 1
    assert checked > 100


def _territory_names() -> dict[str, str]:
    with TERRITORY_CSV.open(encoding="utf-8", newline="") as handle:
        return {r["code_insee"]: r["nom"] for r in csv.DictReader(handle)}


def test_snapshot_rebuild_is_byte_identical(tmp_path: Path) -> None:
    written = SCRIPT.build_snapshot(tmp_path, TERRITORY_CSV)
    built = {path.relative_to(tmp_path) for path in written}
    shipped = {
        p.relative_to(SNAPSHOT)
        for p in SNAPSHOT.rglob("*")
        if p.is_file()
        and (p.relative_to(SNAPSHOT).parts[0] != "inputs" or p.relative_to(SNAPSHOT) in built)
    }
    assert built == shipped  # no stale file left in snapshot/
    for path in written:
        relative = path.relative_to(tmp_path)
        assert path.read_bytes() == (SNAPSHOT / relative).read_bytes(), relative


def test_readme_lists_every_trap_and_the_expected_counts() -> None:
    readme = (SNAPSHOT / "README.md").read_text(encoding="utf-8")
    for trap in TRAPS:
        assert f"| `{trap}` |" in readme, trap
    assert "**128 published notices**" in readme


# --- What an offline run publishes ----------------------------------------------------------


@dataclass
class Published:
    """One offline run of the real pipeline on the snapshot, and everything it left behind."""

    outcome: Outcome
    csv: dict[str, dict[str, str]]
    csv_order: list[str]
    geojson: dict[str, Any]
    quarantine: dict[str, list[str]]
    transform: dict[str, Any]

    @property
    def on_map(self) -> set[str]:
        return {f["properties"]["reference"] for f in self.geojson["features"]}

    def noted(self, kind: str, reference: str) -> bool:
        """The transform's stats name the record among the examples of ``kind``."""
        return any(
            e.startswith(f"{reference} (ligne ") for e in self.transform["examples"].get(kind, [])
        )


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    settings = make_settings(tmp_path_factory.mktemp("offline"), PATRIMOINE_OFFLINE="true")
    (outcome,) = refresh_many(settings, [DATASET])
    assert outcome.status == "updated", outcome.error
    folder = settings.portal_dir / DATASET
    with (folder / f"{DATASET}.csv").open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    geojson = json.loads((folder / f"{DATASET}.geojson").read_text(encoding="utf-8"))
    engine = engine_for(settings)
    (run,) = ledger.runs_of(engine, DATASET)
    details = json.loads(run["details"])
    held = {q["record_key"]: q["reasons"] for q in quarantine.of_run(engine, run["run_id"])}
    return Published(
        outcome=outcome,
        csv={r["reference"]: r for r in records},
        csv_order=[r["reference"] for r in records],
        geojson=geojson,
        quarantine=held,
        transform=details["transform"],
    )


def _line_of(predicate: Callable[[dict[str, str]], bool]) -> int:
    """The line of the shipped CSV holding the one row that satisfies ``predicate``."""
    (index,) = [i for i, row in enumerate(SNAPSHOT_ROWS) if predicate(row)]
    return index + 2  # the header is line 1; no field spans lines


def test_the_run_publishes_128_notices_and_quarantines_3(published: Published) -> None:
    outcome = published.outcome
    assert (outcome.rows_published, outcome.rows_quarantined) == (128, 3)
    assert len(published.csv) == len(published.csv_order) == 128
    assert published.csv_order == sorted(published.csv_order)
    assert sorted(published.quarantine) == sorted(
        [f"ligne {_line_of(lambda r: not r['Reference'] and any(r.values()))}",
         MALFORMED_REFERENCE, trap_reference("empty_title")]
    )  # fmt: skip
    assert len(outcome.quarantined) == 3
    assert not {r["Reference"] for r in OUTSIDE} & set(published.csv)  # none of part 2
    assert set(published.csv) <= {r["Reference"] for r in INSIDE}
    assert {r["code_insee"] for r in published.csv.values()} <= set(CONTOURS)
    assert published.transform["read"] == len(SNAPSHOT_ROWS) - 1  # the empty line
    assert published.transform["out_of_territory"] == len(OUTSIDE) + 2  # + the two left out


def test_geojson_holds_the_geolocated_notices_off_suspect_ones(published: Published) -> None:
    expected = {
        ref
        for ref, row in published.csv.items()
        if row["latitude"] and row["coordonnees_douteuses"] == "false"
    }
    assert published.on_map == expected
    for feature in published.geojson["features"]:
        row = published.csv[feature["properties"]["reference"]]
        lon, lat = feature["geometry"]["coordinates"]
        assert (lat, lon) == (float(row["latitude"]), float(row["longitude"]))


def test_published_points_lie_in_the_published_commune(published: Published) -> None:
    checked = 0
    for ref, row in published.csv.items():
        if not row["latitude"] or row["coordonnees_douteuses"] == "true":
            continue
        lat, lon = float(row["latitude"]), float(row["longitude"])
        assert _in_commune(row["code_insee"], lat, lon), ref
        checked += 1
    assert checked > 110
    doubtful = [ref for ref, row in published.csv.items() if row["coordonnees_douteuses"] == "true"]
    assert doubtful == [trap_reference("far_away_coordinates")]


PipelineCheck = Callable[[Published, str], None]
PIPELINE: dict[str, PipelineCheck] = {}
"""Trap name → what the offline run must publish, report or quarantine for it."""


def published_as(trap: str) -> Callable[[PipelineCheck], PipelineCheck]:
    def register(check: PipelineCheck) -> PipelineCheck:
        PIPELINE[trap] = check
        return check

    return register


def _columns(trap: str, **expected: str) -> None:
    @published_as(trap)
    def check(p: Published, ref: str) -> None:
        row = p.csv[ref]
        assert {k: row[k] for k in expected} == expected, trap


def _protections(p: Published, ref: str) -> list[dict[str, Any]]:
    value: list[dict[str, Any]] = json.loads(p.csv[ref]["protections"])
    return value


@published_as("pipe_in_field")
def _(p: Published, ref: str) -> None:
    assert p.csv[ref]["titre"] == "Maison dite du Lion d'or | ancienne auberge"


_columns("multiple_cog_codes", code_insee="63113", commune="Clermont-Ferrand")


@published_as("empty_cog_name_fallback")
def _(p: Published, ref: str) -> None:
    assert (p.csv[ref]["code_insee"], p.csv[ref]["commune"]) == ("63069", "Le Cendre")
    assert p.noted("commune_par_point", ref)  # its point is inside Le Cendre's contour


@published_as("cog_outside_name_member")
def _(p: Published, ref: str) -> None:
    assert (p.csv[ref]["code_insee"], p.csv[ref]["commune"]) == ("63308", "Royat")
    assert p.noted("commune_par_nom", ref)


def _no_point(trap: str) -> None:
    @published_as(trap)
    def check(p: Published, ref: str) -> None:
        assert (p.csv[ref]["latitude"], p.csv[ref]["longitude"]) == ("", "")
        assert ref not in p.on_map
        assert p.noted("sans_coordonnees", ref)


_no_point("empty_coordinates")
_no_point("zero_coordinates")


@published_as("swapped_coordinates")
def _(p: Published, ref: str) -> None:
    raw = next(r for r in PART_ONE if r["Reference"] == ref)["coordonnees_au_format_WGS84"]
    lon, lat = _point(raw)
    row = p.csv[ref]
    assert (float(row["latitude"]), float(row["longitude"])) == (lat, lon)
    assert row["coordonnees_douteuses"] == "false" and ref in p.on_map
    assert _in_commune(row["code_insee"], lat, lon)
    assert p.noted("coordonnees_inversees", ref)


@published_as("protection_year_only")
def _(p: Published, ref: str) -> None:
    row = p.csv[ref]
    assert (row["annee_premiere_protection"], row["date_premiere_protection"]) == ("1862", "")
    assert row["statut_protection"] == "classé"
    assert _protections(p, ref) == [
        {"date": None, "annee": 1862, "statut": "classé", "partiel": False}
    ]


@published_as("protection_without_date")
def _(p: Published, ref: str) -> None:
    row = p.csv[ref]
    assert row["statut_protection"] == "inscrit"
    assert (row["annee_premiere_protection"], row["date_premiere_protection"]) == ("", "")
    assert _protections(p, ref) == [
        {"date": None, "annee": None, "statut": "inscrit", "partiel": False}
    ]


@published_as("protection_malformed")
def _(p: Published, ref: str) -> None:
    row = p.csv[ref]
    assert (row["statut_protection"], row["protection_partielle"]) == ("classé et inscrit", "true")
    assert _protections(p, ref) == [
        {"date": None, "annee": None, "statut": "classé", "partiel": True},
        {"date": "2017-05-10", "annee": 2017, "statut": "inscrit", "partiel": False},
    ]


_columns("protection_partial", statut_protection="inscrit", protection_partielle="true")
for _trap in ("statut_etat_accent", "statut_etat_no_accent", "statut_etat_typographic"):
    _columns(_trap, statut_juridique="propriété de l'État;propriété de la commune")
_columns("denomination_capitalised", denomination="église")
_columns("denomination_lower_case", denomination="église")


@published_as("duplicate_reference")
def _(p: Published, ref: str) -> None:
    assert p.csv_order.count(ref) == 1
    assert p.csv[ref]["date_maj_notice"] == "2026-11-19"  # the later copy
    assert p.transform["duplicates"] == 2  # this one and duplicate_newer_elsewhere


_columns(
    "protection_one_digit_month",
    annee_premiere_protection="1926",
    date_premiere_protection="1926-03-12",
)
_columns(
    "protection_classe_then_partly_inscrit",
    statut_protection="classé et inscrit",
    protection_partielle="true",
    annee_premiere_protection="1926",
)
_columns("authors_with_fragments", auteurs=AUTHORS)


@published_as("duplicate_newer_elsewhere")
def _(p: Published, ref: str) -> None:
    # The newer copy sits in Riom: the notice left the territory, its stale copy is not used.
    assert ref not in p.csv and ref not in p.quarantine
    assert not any(ref in line for line in p.outcome.quarantined)


@published_as("far_away_coordinates")
def _(p: Published, ref: str) -> None:
    row = p.csv[ref]
    assert (row["code_insee"], row["coordonnees_douteuses"]) == ("63113", "true")
    assert (row["latitude"], row["longitude"]) == ("-21.1151", "55.5364")
    assert ref not in p.on_map
    assert p.noted("coordonnees_hors_commune", ref)
    assert ref not in p.quarantine


@published_as("namesake_without_code_or_departement")
def _(p: Published, ref: str) -> None:
    assert ref not in p.csv and ref not in p.quarantine
    assert p.noted("homonyme_ecarte", ref)


@published_as("code_name_disagree")
def _(p: Published, ref: str) -> None:
    assert (p.csv[ref]["code_insee"], p.csv[ref]["commune"]) == ("63113", "Clermont-Ferrand")
    assert p.noted("nom_commune_divergent", ref)


@published_as("empty_reference")
def _(p: Published, ref: str) -> None:
    line = _line_of(lambda r: not r["Reference"] and any(r.values()))
    assert p.quarantine[f"ligne {line}"] == ["Notice sans référence Mérimée (Reference vide)"]
    assert any(f"ligne {line}" in summary for summary in p.outcome.quarantined)
    assert "" not in p.csv


@published_as("malformed_reference")
def _(p: Published, ref: str) -> None:
    (reason,) = p.quarantine[MALFORMED_REFERENCE]
    assert "reference" in reason and "PA" in reason
    assert MALFORMED_REFERENCE not in p.csv and ref not in p.csv


@published_as("empty_title")
def _(p: Published, ref: str) -> None:
    (reason,) = p.quarantine[ref]
    assert "titre" in reason
    assert ref not in p.csv


@published_as("implausible_protection_year")
def _(p: Published, ref: str) -> None:
    assert p.csv[ref]["annee_premiere_protection"] == "2206"  # published, with a warning
    assert [w for w in p.outcome.warnings if ref in w] != []
    assert ref not in p.quarantine


@published_as("empty_line")
def _(p: Published, ref: str) -> None:
    line = _line_of(lambda r: not any(r.values()))
    assert p.transform["empty_rows"] == 1
    assert f"ligne {line}" not in p.quarantine  # dropped as empty, not as a notice


def test_every_trap_has_a_pipeline_check() -> None:
    assert tuple(PIPELINE) == TRAPS


@pytest.mark.parametrize("trap", TRAPS)
def test_trap_in_the_published_data(published: Published, trap: str) -> None:
    if trap in ("empty_line", "empty_reference"):
        reference = ""
    elif trap == "malformed_reference":
        reference = MALFORMED_REFERENCE
    else:
        reference = trap_reference(trap)
    PIPELINE[trap](published, reference)
