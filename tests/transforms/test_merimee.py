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
HEADER = (
    "Reference|Titre_editorial_de_la_notice|Denomination_de_l_edifice|Commune_forme_editoriale|"
    "Commune_forme_index|COG_Insee_lors_de_la_protection|coordonnees_au_format_WGS84|"
    "Typologie_de_la_protection|Date_et_typologie_de_la_protection|"
    "Statut_juridique_de_l_edifice|Date_de_la_derniere_mise_a_jour|Copyright"
)
TERRITORY = Territory(
    key="communes:63113,63069",
    label="Test",
    communes=(
        Commune("63113", "Clermont-Ferrand", "63"),
        Commune("63069", "Le Cendre", "63"),
    ),
)


def line(*fields: str) -> str:
    return "|".join(f'"{f}"' for f in fields)


def run(
    tmp_path: Path, lines: list[str], territory: Territory | None = TERRITORY
) -> tuple[list[dict[str, Any]], TransformStats]:
    path = tmp_path / "merimee.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    stats = TransformStats()
    rows = list(transform(path, ENTRY, territory, stats))
    return [dict(zip(ENTRY.column_names, r, strict=True)) for r in rows], stats


def test_keeps_territory_notices_and_types_fields(tmp_path: Path) -> None:
    rows, stats = run(
        tmp_path,
        [
            line(
                "PA00092083",
                "Basilique Notre-Dame-du-Port",
                "Eglise;basilique",
                "Clermont-Ferrand",
                "Clermont-Ferrand",
                "63113",
                "45.7806,3.0905",
                "classé MH",
                "1840 : classé MH;1926/03/12 : classé MH",
                "propriété de la commune ; Etat",
                "2026-07-24",
                "© Ministère",
            ),
            line(
                "PA00078066",
                "Halles (vieilles)",
                "halle",
                "Brienne-le-Château",
                "Brienne",
                "10064",
                "48.39,4.52",
                "classé MH",
                "1930/11/30 : classé MH",
                "",
                "2026-07-24",
                "",
            ),
        ],
    )
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
    rows, stats = run(
        tmp_path,
        [
            line(
                "PA00092001",
                "Château",
                "château",
                "Le Cendre",
                "Cendre (Le)",
                "",
                "",
                "inscrit MH",
                "1990/01/02 : inscrit MH",
                "",
                "",
                "",
            ),
            line(
                "PA00092002",
                "Pont",
                "pont",
                "Clermont-Ferrand",
                "Clermont-Ferrand",
                "63999;63113",
                "",
                "inscrit MH partiellement",
                "1991/01/02 : inscrit MH partiellement",
                "",
                "",
                "",
            ),
        ],
    )
    by_ref = {r["reference"]: r for r in rows}
    assert by_ref["PA00092001"]["code_insee"] == "63069"
    assert by_ref["PA00092002"]["code_insee"] == "63113"
    assert by_ref["PA00092002"]["protection_partielle"] is True
    assert by_ref["PA00092002"]["date_premiere_protection"] == date(1991, 1, 2)
    assert stats.problems["commune_par_nom"] == 1
    assert stats.problems["sans_coordonnees"] == 2


def test_quoted_pipe_empty_rows_duplicates_and_bad_points(tmp_path: Path) -> None:
    rows, stats = run(
        tmp_path,
        [
            line(
                "PA00092003",
                "Maison | annexe",
                "maison",
                "Clermont-Ferrand",
                "",
                "63113",
                "0,0",
                "",
                "",
                "",
                "2020-01-01",
                "",
            ),
            line(*[""] * 12),
            line(
                "PA00092004",
                "Hôtel",
                "hôtel",
                "Clermont-Ferrand",
                "",
                "63113",
                "3.08,45.77",
                "classé MH;inscrit MH",
                "",
                "",
                "2020-01-01",
                "",
            ),
            line(
                "PA00092004",
                "Hôtel de ville",
                "hôtel",
                "Clermont-Ferrand",
                "",
                "63113",
                "3.08,45.77",
                "classé MH;inscrit MH",
                "",
                "",
                "2024-01-01",
                "",
            ),
        ],
    )
    by_ref = {r["reference"]: r for r in rows}
    assert by_ref["PA00092003"]["titre"] == "Maison | annexe"
    assert by_ref["PA00092003"]["latitude"] is None
    assert by_ref["PA00092004"]["titre"] == "Hôtel de ville"  # latest update wins
    assert by_ref["PA00092004"]["statut_protection"] == "classé et inscrit"
    assert stats.empty_rows == 1 and stats.duplicates == 1


def test_swapped_points_are_put_back_and_foreign_ones_flagged(tmp_path: Path) -> None:
    rows, stats = run(
        tmp_path,
        [
            line(
                "PA00092010",
                "A",
                "",
                "Clermont-Ferrand",
                "",
                "63113",
                "3.08,45.77",
                "",
                "",
                "",
                "",
                "",
            ),
            line(
                "PA00092011",
                "B",
                "",
                "Clermont-Ferrand",
                "",
                "63113",
                "40.71,-74.0",
                "",
                "",
                "",
                "",
                "",
            ),
        ],
    )
    swapped, foreign = rows
    assert (swapped["latitude"], swapped["longitude"], swapped["hors_france"]) == (
        45.77,
        3.08,
        False,
    )
    assert (foreign["latitude"], foreign["longitude"], foreign["hors_france"]) == (None, None, True)
    assert stats.problems["coordonnees_inversees"] == 1 and stats.problems["hors_france"] == 1


def test_namesake_in_another_departement_is_not_kept(tmp_path: Path) -> None:
    rows, stats = run(
        tmp_path,
        [
            line(
                "PA74000001",
                "Chapelle",
                "",
                "Le Cendre",
                "Cendre (Le)",
                "74031",
                "",
                "",
                "",
                "",
                "",
                "",
            ),
            line(
                "PA63000002",
                "Croix",
                "",
                "Le Cendre",
                "Cendre (Le)",
                "63999",
                "",
                "",
                "",
                "",
                "",
                "",
            ),
        ],
    )
    assert [r["reference"] for r in rows] == ["PA63000002"]
    assert stats.out_of_territory == 1


def test_no_territory_keeps_everything(tmp_path: Path) -> None:
    rows, _ = run(
        tmp_path,
        [
            line("PA00078066", "Halles", "halle", "Brienne", "", "10064", "", "", "", "", "", ""),
        ],
        territory=None,
    )
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
        run(
            tmp_path,
            [
                line(
                    "PA00092003",
                    "Maison",
                    "maison",
                    "Clermont-Ferrand",
                    "",
                    "63113",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ),
                '"PA00092005"|"Mais',
            ],
        )


def test_ods_snake_case_export_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "ods.csv"
    path.write_text(
        "\ufeffreference;titre_editorial_de_la_notice;cog_insee_lors_de_la_protection;"
        "coordonnees_au_format_wgs84\nPA00092006;Fontaine;63113;45.77,3.08\n",
        encoding="utf-8",
    )
    (row,) = transform(path, ENTRY, TERRITORY, TransformStats())
    assert row[0] == "PA00092006"
