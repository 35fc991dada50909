"""The synthetic ACR generator, the snapshot dataset built from it, and what one refresh of
the real pipeline publishes from those bytes (served by the local upstream), trap by trap."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Point, shape

from patrimoine.pipeline import Outcome, refresh_many
from patrimoine.stages import engine_for
from patrimoine.staging import ledger, quarantine
from tests.conftest import make_settings
from tests.samples import acr
from tests.samples.acr import (
    ACR_HEADER,
    DATASET_ID,
    ELSEWHERE,
    ELSEWHERE_FORMER,
    RESOURCE_ID,
    TRAPS,
    csv_bytes,
    elsewhere_reference,
    published_references,
    readme_section,
    sample_rows,
    snapshot_dataset,
    snapshot_inputs,
    snapshot_rows,
    trap_reference,
)
from tests.samples.datagouv import dataset_json
from tests.servers import (
    CLERMONT_EPCI_SIREN,
    UpstreamServer,
    clermont_communes,
    real_contours,
    upstream_env,
)
from tests.transforms.geo import sample_communes

NAME = "architecture-contemporaine-remarquable"
CONTOURS = real_contours()
SHAPES = {code: shape(geometry) for code, geometry in CONTOURS.items()}
COMMUNES = sample_communes()
"""The 21 communes as scripts/make_snapshot.py passes them: real contours, centres inside."""
SAMPLE = snapshot_dataset(COMMUNES)
ROWS = snapshot_rows(COMMUNES)

#: The header line of the ODS export (sources.md §5, S14): the data.gouv.fr columns,
#: lower-cased, in the same order.
ODS_HEADER_LINE = (
    "reference_de_la_notice;ancienne_reference_de_la_notice_renv;cadre_de_l_etude;region;"
    "numero_departement;commune;ancien_nom_commune;insee;lieudit;adresse_normalisee;"
    "adresse_forme_editoriale;references_cadastrales;coordonnees;titre_courant;"
    "departement_en_lettres;vocable_pour_les_edifices_cultuels;denominations;"
    "destination_actuelle_de_l_edifice;siecle_de_la_campagne_principale_de_construction;"
    "siecle_de_campagne_secondaire_de_construction;datation_de_l_edifice;description_historique;"
    "auteur_de_l_edifice;date_de_label;precisions_sur_l_interet;"
    "elements_remarquables_dans_l_edifice;observations;statut_juridique_du_proprietaire;"
    "etablissement_affectataire_de_l_edifice;auteur_de_la_photographie_autp;liens_externes;"
    "acces_memoire_web;materiaux_du_gros_oeuvre;type_de_couverture;"
    "partie_d_elevation_exterieure;materiaux_de_la_couverture;typologie_de_plan;"
    "technique_du_decor_porte_de_l_edifice;indexation_iconographique_normalisee;"
    "description_de_l_elevation_interieure;emplacement_forme_structure_escalier;"
    "etat_de_conservation;description_de_l_edifice;commune_forme_editoriale"
)
ODS_HEADER = ODS_HEADER_LINE.split(";")
SEEN_COLUMNS = (
    "Reference_de_la_notice", "Titre_courant", "Coordonnees", "Datation_de_l_edifice",
    "Description_historique", "Description_de_l_edifice", "Auteur_de_l_edifice",
    "Commune_forme_editoriale", "Commune", "Departement_en_lettres", "Region", "Date_de_Label",
    "Siecle_de_la_campagne_principale_de_construction", "Denominations",
    "Statut_juridique_du_proprietaire", "Adresse_forme_editoriale",
    "Ancienne_reference_de_la_notice_RENV", "Cadre_de_l_etude",
)  # fmt: skip
COORDINATE_TRAPS = {
    "swapped_coordinates",
    "far_away_coordinates",
    "namesake_other_departement",
}


def _parsed(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter="|"))


def _by_reference(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    """Rows by reference; the first copy of a duplicated one."""
    found: dict[str, dict[str, str]] = {}
    for row in rows:
        found.setdefault(row["Reference_de_la_notice"], row)
    return found


def _in_commune(code: str, raw: str) -> bool:
    lat, lon = (float(v) for v in raw.split(","))
    return bool(SHAPES[code].covers(Point(lon, lat)))


# --- Header and file format ---------------------------------------------------------------


def test_header_is_the_ods_header_capitalised() -> None:
    assert len(ACR_HEADER) == len(set(ACR_HEADER)) == 44
    assert [h.lower() for h in ACR_HEADER] == ODS_HEADER
    assert set(SEEN_COLUMNS) <= set(ACR_HEADER)
    assert "Insee" in ACR_HEADER  # the [INFERRED] spelling the transform's aliases accept


def test_file_format_pipe_unquoted_header_quoted_fields() -> None:
    data = SAMPLE.content
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data and data.endswith(b"\n")
    lines = data.decode("utf-8").split("\n")[:-1]
    assert lines[0] == "|".join(ACR_HEADER) and '"' not in lines[0]
    assert len(lines) == len(ROWS) + 1
    assert all(line.startswith('"') and line.endswith('"') for line in lines[1:])
    parsed = _parsed(data)
    assert all(len(record) == 44 for record in parsed)
    header, records = parsed[0], parsed[1:]
    assert [dict(zip(header, r, strict=True)) for r in records] == ROWS


def test_quoted_pipe_defeats_a_naive_split() -> None:
    ref = trap_reference("pipe_in_field")
    line = next(ln for ln in SAMPLE.content.decode().splitlines() if ln.startswith(f'"{ref}"'))
    assert len(line.split("|")) == 45
    record = next(r for r in _parsed(SAMPLE.content) if r[0] == ref)
    assert record[ACR_HEADER.index("Titre_courant")] == acr.PIPE_TITLE


def test_same_seed_same_bytes_and_small() -> None:
    assert snapshot_dataset(COMMUNES).content == SAMPLE.content
    again = csv_bytes(sample_rows(COMMUNES, regular=5, seed=1))
    assert again == csv_bytes(sample_rows(COMMUNES, regular=5, seed=1))
    assert again != csv_bytes(sample_rows(COMMUNES, regular=5, seed=2))
    assert len(SAMPLE.content) < 40_000


def test_every_notice_is_marked_synthetic_and_well_referenced() -> None:
    assert all(r["Observations"] == acr.SYNTHETIC for r in ROWS)
    references = [r["Reference_de_la_notice"] for r in ROWS]
    assert all(re.fullmatch(r"ACR\d{7}", ref) for ref in references)
    assert len(references) == len(set(references)) + 1  # the duplicate trap only
    assert len(ROWS) == len(TRAPS) + acr.SNAPSHOT_REGULAR + len(ELSEWHERE) + 1


def test_regular_points_lie_in_their_commune() -> None:
    traps = {trap_reference(t) for t in COORDINATE_TRAPS}
    checked = 0
    for row in ROWS:
        code = row["Insee"]
        if not row["Coordonnees"] or code not in SHAPES or row["Reference_de_la_notice"] in traps:
            continue
        assert _in_commune(code, row["Coordonnees"]), row["Reference_de_la_notice"]
        assert " " not in row["Coordonnees"]
        checked += 1
    assert checked >= 10


def test_elsewhere_notices_are_outside_the_territory() -> None:
    elsewhere = [_by_reference(ROWS)[elsewhere_reference(i)] for i in range(len(ELSEWHERE))]
    assert {r["Insee"] for r in elsewhere} == {c.code for c in ELSEWHERE}
    assert not {r["Insee"] for r in elsewhere} & set(CONTOURS)
    assert [r["Cadre_de_l_etude"] for r in elsewhere].count("Anciennement labellisé") == 1
    assert elsewhere[ELSEWHERE_FORMER]["Insee"] == "69385"  # Lyon
    assert sum(r["Insee"].startswith("63") for r in elsewhere) == 3  # same département


# --- Each trap, as generated --------------------------------------------------------------

RawCheck = Callable[[dict[str, str]], None]
RAW: dict[str, RawCheck] = {}
"""Trap name → what its notice carries."""


def raw(trap: str) -> Callable[[RawCheck], RawCheck]:
    def register(check: RawCheck) -> RawCheck:
        RAW[trap] = check
        return check

    return register


@raw("pipe_in_field")
def _(row: dict[str, str]) -> None:
    assert row["Titre_courant"] == "Centre commercial des Vergnes | galerie marchande"


@raw("anciennement_labellise")
def _(row: dict[str, str]) -> None:
    assert row["Cadre_de_l_etude"] == "Anciennement labellisé"
    assert row["Ancienne_reference_de_la_notice_RENV"] == "PA63000900"
    assert row["Insee"] == "63075"


@raw("empty_insee_name_fallback")
def _(row: dict[str, str]) -> None:
    assert (row["Insee"], row["Coordonnees"]) == ("", "")
    assert (row["Commune"], row["Commune_forme_editoriale"]) == ("Cendre (Le)", "Le Cendre")
    assert row["Numero_departement"] == "63"


@raw("empty_insee_point_in_commune")
def _(row: dict[str, str]) -> None:
    assert row["Insee"] == "" and row["Commune_forme_editoriale"] == "Aubière"
    assert _in_commune("63014", row["Coordonnees"])


@raw("namesake_other_departement")
def _(row: dict[str, str]) -> None:
    assert (row["Insee"], row["Commune"], row["Numero_departement"]) == ("74031", "Beaumont", "74")
    assert row["Departement_en_lettres"] == "Haute-Savoie"
    assert row["Coordonnees"] == "46.1134,6.1432"


@raw("no_coordinates")
def _(row: dict[str, str]) -> None:
    assert row["Coordonnees"] == "" and row["Insee"] == "63124"


@raw("swapped_coordinates")
def _(row: dict[str, str]) -> None:
    first, second = (float(v) for v in row["Coordonnees"].split(","))
    assert 2 < first < 4 and 45 < second < 46
    assert _in_commune(row["Insee"], f"{second},{first}")


@raw("far_away_coordinates")
def _(row: dict[str, str]) -> None:
    assert (row["Insee"], row["Coordonnees"]) == ("63113", "-21.1151,55.5364")


@raw("multi_valued_authors")
def _(row: dict[str, str]) -> None:
    assert row["Auteur_de_l_edifice"] == (
        "Dikansky Georges (architecte);Michaut Albert (architecte maître d'œuvre)"
    )


@raw("label_free_text")
def _(row: dict[str, str]) -> None:
    assert row["Date_de_Label"] == "ancien Label XXe 2015"


@raw("label_empty")
def _(row: dict[str, str]) -> None:
    assert row["Date_de_Label"] == ""


@raw("label_two_years")
def _(row: dict[str, str]) -> None:
    assert row["Date_de_Label"] == "2003 ; 2026"


@raw("duplicate_reference")
def _(row: dict[str, str]) -> None:
    copies = [r for r in ROWS if r["Reference_de_la_notice"] == row["Reference_de_la_notice"]]
    assert len(copies) == 2 and copies[1] is ROWS[-1]
    assert copies[0]["Titre_courant"] == "Piscine des Cézeaux"
    assert copies[1]["Titre_courant"] == acr.DUPLICATE_TITLE
    assert {c for c in ACR_HEADER if copies[0][c] != copies[1][c]} == {
        "Titre_courant",
        "Date_de_Label",
    }


@raw("former_merimee_reference")
def _(row: dict[str, str]) -> None:
    assert row["Cadre_de_l_etude"] == "Labellisé"
    assert row["Ancienne_reference_de_la_notice_RENV"] == "PA63000901"


@raw("title_lower_case")
def _(row: dict[str, str]) -> None:
    assert row["Titre_courant"] == "immeuble dit le Paquebot"


def test_every_trap_has_a_generator_check() -> None:
    assert tuple(RAW) == TRAPS


@pytest.mark.parametrize("trap", TRAPS)
def test_each_trap_is_in_the_snapshot_file(trap: str) -> None:
    records = [dict(zip(ACR_HEADER, r, strict=True)) for r in _parsed(SAMPLE.content)[1:]]
    RAW[trap](_by_reference(records)[trap_reference(trap)])


def test_traps_and_elsewhere_can_be_switched_off() -> None:
    plain = sample_rows(COMMUNES, regular=42, traps=False, elsewhere=False, seed=3)
    assert len(plain) == 42 and all(r["Insee"] in CONTOURS for r in plain)
    assert all(r["Cadre_de_l_etude"] == "Labellisé" and r["Date_de_Label"] for r in plain)
    assert len({r["Reference_de_la_notice"] for r in plain}) == 42


# --- The snapshot contract ----------------------------------------------------------------


def test_snapshot_dataset_answers_like_data_gouv() -> None:
    assert (SAMPLE.dataset_id, SAMPLE.resource_id) == (DATASET_ID, RESOURCE_ID)
    assert (SAMPLE.frequency, SAMPLE.license, SAMPLE.fmt) == ("weekly", "lov2", "csv")
    assert SAMPLE.modified.year == 2026 and SAMPLE.modified.month == 11
    assert SAMPLE.modified.utcoffset() is not None and not SAMPLE.modified.utcoffset()
    answer = json.loads(dataset_json(SAMPLE))
    assert answer["id"] == DATASET_ID and answer["frequency"] == "weekly"
    (resource,) = answer["resources"]
    assert resource["id"] == RESOURCE_ID and resource["url"] == SAMPLE.file_url
    assert resource["filesize"] == len(SAMPLE.content)
    assert "synthétiques" in answer["description"]
    assert snapshot_inputs(COMMUNES) == {}


def test_readme_section_lists_every_trap_by_reference() -> None:
    text = readme_section(COMMUNES)
    for trap in TRAPS:
        assert f"| `{trap_reference(trap)}` | `{trap}` |" in text, trap
    assert f"**{len(published_references(COMMUNES))} buildings**" in text
    assert SAMPLE.file_path in text


# --- What one refresh publishes from the snapshot bytes -----------------------------------


@dataclass
class Published:
    outcome: Outcome
    csv: dict[str, dict[str, str]]
    order: list[str]
    geojson: dict[str, Any]
    sheet: dict[str, Any]
    quarantine: dict[str, list[str]]
    transform: dict[str, Any]
    files: set[str]

    @property
    def on_map(self) -> set[str]:
        return {f["properties"]["reference"] for f in self.geojson["features"]}

    def noted(self, kind: str, reference: str) -> bool:
        """The transform's stats name the record among the examples of ``kind``."""
        examples = self.transform["examples"].get(kind, [])
        return any(e.startswith(f"{reference} (ligne ") for e in examples)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    with UpstreamServer() as server:
        server.add_epci(CLERMONT_EPCI_SIREN, clermont_communes(), nom="Clermont Auvergne Métropole")
        server.add_datagouv_dataset(SAMPLE.dataset_id, [SAMPLE.served_file()])
        settings = make_settings(tmp_path_factory.mktemp("acr"), **upstream_env(server))
        (outcome,) = refresh_many(settings, [NAME])
        assert outcome.status == "updated", outcome.error
        folder = settings.portal_dir / NAME
        with (folder / f"{NAME}.csv").open(encoding="utf-8", newline="") as handle:
            records = list(csv.DictReader(handle))
        engine = engine_for(settings)
        (run,) = ledger.runs_of(engine, NAME)
        held = {q["record_key"]: q["reasons"] for q in quarantine.of_run(engine, run["run_id"])}
        yield Published(
            outcome=outcome,
            csv={r["reference"]: r for r in records},
            order=[r["reference"] for r in records],
            geojson=json.loads((folder / f"{NAME}.geojson").read_text(encoding="utf-8")),
            sheet=json.loads((folder / "metadata.json").read_text(encoding="utf-8")),
            quarantine=held,
            transform=json.loads(run["details"])["transform"],
            files={p.name for p in Path(folder).iterdir()},
        )
    assert not server.errors, server.errors


def test_the_run_publishes_the_territory_labels_only(published: Published) -> None:
    expected = published_references(COMMUNES)
    assert published.order == expected  # sorted by reference, each once
    assert published.outcome.rows_published == len(expected) == 16
    assert published.quarantine == {} and published.outcome.quarantined == []
    # 1 doubtful point in 16 buildings is over the suite's 5 %, and it lies outside the
    # territory's extent (La Réunion): the three warnings name it.
    far = trap_reference("far_away_coordinates")
    share, latitude, longitude = published.outcome.warnings
    assert share.startswith("Plus de 5 % des édifices ont des coordonnées douteuses")
    assert latitude.startswith("Latitude hors de l'étendue du territoire")
    assert longitude.startswith("Longitude hors de l'étendue du territoire")
    assert all(w.endswith(f"(1) : {far}") for w in (share, latitude, longitude))
    assert not {elsewhere_reference(i) for i in range(len(ELSEWHERE))} & set(published.csv)
    assert {r["code_insee"] for r in published.csv.values()} <= set(CONTOURS)
    assert published.transform["read"] == len(ROWS)
    # The elsewhere notices and the namesake; the former label is not "out of territory".
    assert published.transform["out_of_territory"] == len(ELSEWHERE) + 1
    assert published.files == {f"{NAME}.csv", f"{NAME}.geojson", "changelog.csv", "metadata.json"}


def test_the_metadata_sheet_counts_the_published_rows(published: Published) -> None:
    sheet = published.sheet
    rows = published.csv.values()
    years = sorted(int(r["annee_label"]) for r in rows if r["annee_label"])
    located = sum(1 for r in rows if r["latitude"])
    assert sheet["licence"]["nom"] == "Licence Ouverte 2.0" and sheet["licence"]["id"] == "lov2"
    assert sheet["attribution"].startswith("Ministère de la Culture")
    assert sheet["frequence"] == {"id": "weekly", "libelle": "hebdomadaire"}
    assert f"Ce jeu compte 16 édifices, dont {located} géolocalisés" in sheet["description"]
    assert f"attribués de {years[0]} à {years[-1]}" in sheet["description"]
    assert sheet["couverture_temporelle"]["debut"] == str(years[0]) == "2000"
    assert sheet["titre"] == "Architecture contemporaine remarquable – Clermont Auvergne Métropole"


def test_the_map_holds_the_geolocated_notices_off_suspect_ones(published: Published) -> None:
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
        assert SHAPES[row["code_insee"]].covers(Point(lon, lat))


PipelineCheck = Callable[[Published, str], None]
PIPELINE: dict[str, PipelineCheck] = {}


def published_as(trap: str) -> Callable[[PipelineCheck], PipelineCheck]:
    def register(check: PipelineCheck) -> PipelineCheck:
        PIPELINE[trap] = check
        return check

    return register


def _columns(trap: str, **expected: str) -> None:
    @published_as(trap)
    def check(p: Published, ref: str) -> None:
        assert {k: p.csv[ref][k] for k in expected} == expected, trap


_columns("pipe_in_field", titre="Centre commercial des Vergnes | galerie marchande")


@published_as("anciennement_labellise")
def _(p: Published, ref: str) -> None:
    assert ref not in p.csv and ref not in p.quarantine
    assert p.noted("anciennement_labellise", ref)
    assert any(
        line.startswith("édifice anciennement labellisé, non publié (1)") and ref in line
        for line in p.outcome.remarks
    ), p.outcome.remarks
    # Lyon's former label is dropped as out of territory, never reported here.
    assert not p.noted("anciennement_labellise", elsewhere_reference(ELSEWHERE_FORMER))


@published_as("empty_insee_name_fallback")
def _(p: Published, ref: str) -> None:
    row = p.csv[ref]
    assert (row["code_insee"], row["commune"], row["latitude"]) == ("63069", "Le Cendre", "")
    assert p.noted("commune_par_nom", ref)


@published_as("empty_insee_point_in_commune")
def _(p: Published, ref: str) -> None:
    assert (p.csv[ref]["code_insee"], p.csv[ref]["commune"]) == ("63014", "Aubière")
    assert p.noted("commune_par_point", ref) and ref in p.on_map


@published_as("namesake_other_departement")
def _(p: Published, ref: str) -> None:
    assert ref not in p.csv and ref not in p.quarantine
    assert p.noted("homonyme_ecarte", ref)


@published_as("no_coordinates")
def _(p: Published, ref: str) -> None:
    row = p.csv[ref]
    assert (row["latitude"], row["longitude"], row["coordonnees_douteuses"]) == ("", "", "false")
    assert ref not in p.on_map and p.noted("sans_coordonnees", ref)


@published_as("swapped_coordinates")
def _(p: Published, ref: str) -> None:
    first, second = (float(v) for v in _by_reference(ROWS)[ref]["Coordonnees"].split(","))
    row = p.csv[ref]
    assert (float(row["latitude"]), float(row["longitude"])) == (round(second, 7), round(first, 7))
    assert row["coordonnees_douteuses"] == "false" and ref in p.on_map
    assert p.noted("coordonnees_inversees", ref)


@published_as("far_away_coordinates")
def _(p: Published, ref: str) -> None:
    row = p.csv[ref]
    assert (row["code_insee"], row["coordonnees_douteuses"]) == ("63113", "true")
    assert (row["latitude"], row["longitude"]) == ("-21.1151", "55.5364")
    assert ref not in p.on_map and p.noted("coordonnees_hors_commune", ref)


_columns(
    "multi_valued_authors",
    auteurs="Dikansky Georges (architecte);Michaut Albert (architecte maître d'œuvre)",
)


@published_as("label_free_text")
def _(p: Published, ref: str) -> None:
    row = p.csv[ref]
    assert (row["annee_label"], row["date_label"]) == ("2015", "ancien Label XXe 2015")
    assert p.noted("date_label_texte_libre", ref)


@published_as("label_empty")
def _(p: Published, ref: str) -> None:
    assert (p.csv[ref]["annee_label"], p.csv[ref]["date_label"]) == ("", "")
    assert p.noted("date_label_absente", ref)


_columns("label_two_years", annee_label="2003", date_label="2003 ; 2026")


@published_as("duplicate_reference")
def _(p: Published, ref: str) -> None:
    assert p.order.count(ref) == 1
    assert p.csv[ref]["titre"] == "Piscine des Cézeaux"  # the first copy
    assert p.transform["duplicates"] == 1
    assert p.transform["examples"]["notice_en_double"] == [f"{ref} (ligne {len(ROWS) + 1})"]


_columns("former_merimee_reference", ancienne_reference="PA63000901")
_columns("title_lower_case", titre="Immeuble dit le Paquebot")


def test_every_trap_has_a_pipeline_check() -> None:
    assert tuple(PIPELINE) == TRAPS


@pytest.mark.parametrize("trap", TRAPS)
def test_trap_in_the_published_data(published: Published, trap: str) -> None:
    PIPELINE[trap](published, trap_reference(trap))
