from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from patrimoine.catalog import load_catalog
from patrimoine.config import PROJECT_DIR
from patrimoine.errors import SchemaError
from patrimoine.territory import Commune, Territory
from patrimoine.transforms import TransformStats
from patrimoine.transforms.merimee import transform

ENTRY = load_catalog(PROJECT_DIR / "catalog")["monuments-historiques"]
# A reduced header in the data.gouv.fr spelling: the transform must not need the other columns.
FIELDS = {
    "ref": "Reference",
    "titre": "Titre_editorial_de_la_notice",
    "deno": "Denomination_de_l_edifice",
    "commune": "Commune_forme_editoriale",
    "index": "Commune_forme_index",
    "cog": "COG_Insee_lors_de_la_protection",
    "coords": "coordonnees_au_format_WGS84",
    "typologie": "Typologie_de_la_protection",
    "historique": "Date_et_typologie_de_la_protection",
    "statut": "Statut_juridique_de_l_edifice",
    "maj": "Date_de_la_derniere_mise_a_jour",
    "copyright": "Copyright",
}
HEADER = "|".join(FIELDS.values())
TERRITORY = Territory(
    key="communes:63113,63069",
    label="Test",
    communes=(
        Commune("63113", "Clermont-Ferrand", "63"),
        Commune("63069", "Le Cendre", "63"),
    ),
)


def notice(ref: str, **values: str) -> str:
    """One quoted data line; fields not given are empty, Clermont-Ferrand by default."""
    defaults = {"titre": "Maison", "commune": "Clermont-Ferrand", "cog": "63113"}
    fields = {**defaults, "ref": ref, **values}
    return "|".join(f'"{fields.get(key, "")}"' for key in FIELDS)


EMPTY_LINE = "|".join('""' for _ in FIELDS)


def run(
    tmp_path: Path, lines: list[str], territory: Territory | None = TERRITORY
) -> tuple[list[dict[str, Any]], TransformStats]:
    path = tmp_path / "merimee.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    stats = TransformStats()
    rows = list(transform(path, ENTRY, territory, stats))
    return [dict(zip(ENTRY.column_names, r, strict=True)) for r in rows], stats


def test_keeps_territory_notices_and_types_fields(tmp_path: Path) -> None:
    rows, stats = run(tmp_path, [
        notice("PA00092083", titre="Basilique Notre-Dame-du-Port", deno="Eglise;basilique",
               index="Clermont-Ferrand", coords="45.7806,3.0905", typologie="classé MH",
               historique="1840 : classé MH;1926/03/12 : classé MH",
               statut="propriété de la commune ; Etat", maj="2026-07-24", copyright="© Ministère"),
        notice("PA00078066", titre="Halles (vieilles)", deno="halle", commune="Brienne-le-Château",
               index="Brienne", cog="10064", coords="48.39,4.52", typologie="classé MH",
               historique="1930/11/30 : classé MH", maj="2026-07-24"),
    ])  # fmt: skip
    assert stats.read == 2 and stats.out_of_territory == 1 and stats.kept == 1
    (row,) = rows
    assert row["reference"] == "PA00092083"
    assert row["code_insee"] == "63113" and row["commune"] == "Clermont-Ferrand"
    assert row["denomination"] == "église;basilique"
    assert row["statut_juridique"] == "propriété de la commune;État"
    assert (row["latitude"], row["longitude"], row["hors_france"]) == (45.7806, 3.0905, False)
    assert row["statut_protection"] == "classé" and row["protection_partielle"] is False
    assert row["annee_premiere_protection"] == 1840
    assert row["date_premiere_protection"] is None  # the first act is dated by year only
    assert row["date_maj_notice"] == date(2026, 7, 24)
    assert json.loads(row["protections"])[1] == {
        "date": "1926-03-12",
        "annee": 1926,
        "statut": "classé",
        "partiel": False,
    }
    assert row["lien_pop"] == "https://pop.culture.gouv.fr/notice/merimee/PA00092083"


def test_commune_name_fallback_and_multi_codes(tmp_path: Path) -> None:
    rows, stats = run(tmp_path, [
        notice("PA00092001", titre="Château", commune="Le Cendre", index="Cendre (Le)", cog="",
               typologie="inscrit MH", historique="1990/01/02 : inscrit MH"),
        notice("PA00092002", titre="Pont", index="Clermont-Ferrand", cog="63999;63113",
               typologie="inscrit MH partiellement",
               historique="1991/01/02 : inscrit MH partiellement"),
    ])  # fmt: skip
    by_ref = {r["reference"]: r for r in rows}
    assert by_ref["PA00092001"]["code_insee"] == "63069"
    assert by_ref["PA00092002"]["code_insee"] == "63113"
    assert by_ref["PA00092002"]["protection_partielle"] is True
    assert by_ref["PA00092002"]["date_premiere_protection"] == date(1991, 1, 2)
    assert stats.problems["commune_par_nom"] == 1
    assert stats.problems["sans_coordonnees"] == 2


def test_quoted_pipe_empty_rows_duplicates_and_bad_points(tmp_path: Path) -> None:
    rows, stats = run(tmp_path, [
        notice("PA00092003", titre="Maison | annexe", coords="0,0", maj="2020-01-01"),
        EMPTY_LINE,
        notice("PA00092004", titre="Hôtel", coords="3.08,45.77",
               typologie="classé MH;inscrit MH", maj="2020-01-01"),
        notice("PA00092004", titre="Hôtel de ville", coords="3.08,45.77",
               typologie="classé MH;inscrit MH", maj="2024-01-01"),
    ])  # fmt: skip
    by_ref = {r["reference"]: r for r in rows}
    assert by_ref["PA00092003"]["titre"] == "Maison | annexe"
    assert by_ref["PA00092003"]["latitude"] is None
    assert by_ref["PA00092004"]["titre"] == "Hôtel de ville"  # latest update wins
    assert by_ref["PA00092004"]["statut_protection"] == "classé et inscrit"
    assert stats.empty_rows == 1 and stats.duplicates == 1


def test_swapped_points_are_put_back_and_foreign_ones_flagged(tmp_path: Path) -> None:
    rows, stats = run(tmp_path, [
        notice("PA00092010", coords="3.08,45.77"),
        notice("PA00092011", coords="40.71,-74.0"),
    ])  # fmt: skip
    swapped, foreign = rows
    assert (swapped["latitude"], swapped["longitude"], swapped["hors_france"]) == (
        45.77,
        3.08,
        False,
    )
    assert (foreign["latitude"], foreign["longitude"], foreign["hors_france"]) == (
        None,
        None,
        True,
    )
    assert stats.problems["coordonnees_inversees"] == 1 and stats.problems["hors_france"] == 1


def test_namesake_in_another_departement_is_not_kept(tmp_path: Path) -> None:
    rows, stats = run(tmp_path, [
        notice("PA74000001", commune="Le Cendre", index="Cendre (Le)", cog="74031"),
        notice("PA63000002", commune="Le Cendre", index="Cendre (Le)", cog="63999"),
    ])  # fmt: skip
    assert [r["reference"] for r in rows] == ["PA63000002"]
    assert stats.out_of_territory == 1


def test_no_territory_keeps_everything(tmp_path: Path) -> None:
    rows, _ = run(tmp_path, [notice("PA00078066", commune="Brienne", cog="10064")], None)
    assert rows[0]["code_insee"] == "10064"


def test_missing_reference_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('Titre_editorial_de_la_notice|COG_Insee_lors_de_la_protection\n"a"|"1"\n')
    with pytest.raises(SchemaError, match="Reference"):
        list(transform(path, ENTRY, TERRITORY, TransformStats()))


def test_unrecognised_header(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("<html><body>Maintenance</body></html>\n")
    with pytest.raises(SchemaError, match="en-tête non reconnu"):
        list(transform(path, ENTRY, TERRITORY, TransformStats()))


def test_row_of_wrong_width_fails_the_file(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="ligne 3"):
        run(tmp_path, [notice("PA00092003"), '"PA00092005"|"Mais'])


def test_ods_snake_case_export_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "ods.csv"
    path.write_text(
        "\ufeffreference;titre_editorial_de_la_notice;cog_insee_lors_de_la_protection;"
        "coordonnees_au_format_wgs84\nPA00092006;Fontaine;63113;45.77,3.08\n",
        encoding="utf-8",
    )
    (row,) = transform(path, ENTRY, TERRITORY, TransformStats())
    assert row[0] == "PA00092006"
