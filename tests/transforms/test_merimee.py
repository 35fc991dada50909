"""The Mérimée transform, through the registry, on CSV lines in the real data.gouv.fr format.

The territory is Clermont Auvergne Métropole with its real contours (``tests/transforms/
geo.py``), so the commune matcher decides on real borders. Unless a test says otherwise,
lines carry the 78 columns of the national file (unquoted ``|`` header, every field
quoted); one test keeps a reduced header, since the transform must not need the others.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from patrimoine.catalog import load_catalog
from patrimoine.config import PROJECT_DIR
from patrimoine.errors import SchemaError
from patrimoine.publish.render import rows_to_geojson
from patrimoine.territory import Territory
from patrimoine.transforms import TransformStats
from patrimoine.transforms.registry import get_transform
from patrimoine.transforms.result import KEY, LINE
from tests.samples.merimee import MERIMEE_HEADER
from tests.transforms.geo import (
    BEAUMONT,
    BEAUMONT_74,
    CLERMONT,
    LA_REUNION,
    LE_CENDRE,
    clermont_territory,
    inside,
    south_of,
    wgs84,
)
from tests.transforms.support import Run as BaseRun
from tests.transforms.support import quoted_line, transform, write_lines

ENTRY = load_catalog(PROJECT_DIR / "catalog")["monuments-historiques"]
TERRITORY = clermont_territory()

# Short names for the columns the tests fill, in the data.gouv.fr spelling.
COLUMNS = {
    "ref": "Reference",
    "titre": "Titre_editorial_de_la_notice",
    "deno": "Denomination_de_l_edifice",
    "commune": "Commune_forme_editoriale",
    "index": "Commune_forme_index",
    "cog": "COG_Insee_lors_de_la_protection",
    "dep": "Departement_format_numerique",
    "coords": "coordonnees_au_format_WGS84",
    "auteurs": "Auteur_de_l_edifice",
    "typologie": "Typologie_de_la_protection",
    "historique": "Date_et_typologie_de_la_protection",
    "statut": "Statut_juridique_de_l_edifice",
    "maj": "Date_de_la_derniere_mise_a_jour",
    "copyright": "Copyright",
}
REDUCED_HEADER = tuple(COLUMNS.values())


def notice(ref: str, **values: str) -> dict[str, str]:
    """One notice (data.gouv.fr column → value); Clermont-Ferrand by default."""
    defaults = {
        "titre": "Maison",
        "commune": "Clermont-Ferrand",
        "index": "Clermont-Ferrand",
        "cog": CLERMONT,
        "dep": "63",
        "maj": "2026-07-24",
    }
    short = {**defaults, "ref": ref, **values}
    return {COLUMNS[key]: value for key, value in short.items()}


def line(row: dict[str, str], header: tuple[str, ...] = MERIMEE_HEADER) -> str:
    """The row as a data line of the real file: every field quoted, ``""`` when empty."""
    return quoted_line(row, header)


class Run(BaseRun):
    @property
    def by_ref(self) -> dict[str, dict[str, Any]]:
        return {r["reference"]: r for r in self.rows}


def run(
    tmp_path: Path,
    lines: list[dict[str, str] | str],
    territory: Territory | None = TERRITORY,
    header: tuple[str, ...] = MERIMEE_HEADER,
    entry: Any = ENTRY,
) -> Run:
    """Write the file (unquoted header, then the lines) and transform it like the pipeline."""
    path = write_lines(tmp_path / "merimee.csv", header, lines)
    return transform(Run, path, entry, territory)


EMPTY_LINE = "|".join('""' for _ in MERIMEE_HEADER)


# --- the published table ----------------------------------------------------------------


def test_keeps_territory_notices_and_types_fields(tmp_path: Path) -> None:
    out = run(tmp_path, [
        notice("PA00092083", titre="Basilique Notre-Dame-du-Port", deno="Eglise;basilique",
               coords="45.7806,3.0905", typologie="classé MH",
               historique="1840 : classé MH;1926/03/12 : classé MH",
               statut="propriété de la commune ; Etat", copyright="© Ministère"),
        notice("PA00078066", titre="Halles (vieilles)", deno="halle", commune="Brienne-le-Château",
               index="Brienne-le-Château", cog="10064", dep="10", coords="48.39,4.52",
               typologie="classé MH", historique="1930/11/30 : classé MH"),
    ])  # fmt: skip
    assert (out.stats.read, out.stats.out_of_territory, out.stats.kept) == (2, 1, 1)
    (row,) = out.rows
    assert row["reference"] == "PA00092083"
    assert row["code_insee"] == CLERMONT and row["commune"] == "Clermont-Ferrand"
    assert row["denomination"] == "église;basilique"
    assert row["statut_juridique"] == "propriété de la commune;État"
    assert (row["latitude"], row["longitude"]) == (45.7806, 3.0905)
    assert row["coordonnees_douteuses"] is False
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
    # The source suite sees the territory's records as sent (raw text, line, key).
    (record,) = out.source.values()
    assert (record[KEY], record[LINE]) == ("PA00092083", "2")
    assert record["statut_juridique"] == "propriété de la commune ; Etat"
    assert record["denomination"] == "Eglise;basilique"


def test_commune_name_fallback_and_multi_codes(tmp_path: Path) -> None:
    out = run(tmp_path, [
        notice("PA00092001", titre="Château", commune="Le Cendre", index="Cendre (Le)", cog="",
               typologie="inscrit MH", historique="1990/01/02 : inscrit MH"),
        notice("PA00092002", titre="Pont", cog="63999;63113",
               typologie="inscrit MH partiellement",
               historique="1991/01/02 : inscrit MH partiellement"),
    ])  # fmt: skip
    by_ref = out.by_ref
    assert by_ref["PA00092001"]["code_insee"] == LE_CENDRE
    assert by_ref["PA00092001"]["commune"] == "Le Cendre"
    assert by_ref["PA00092002"]["code_insee"] == CLERMONT
    assert by_ref["PA00092002"]["protection_partielle"] is True
    assert by_ref["PA00092002"]["date_premiere_protection"] == date(1991, 1, 2)
    assert out.stats.problems["commune_par_nom"] == 1
    assert out.stats.examples["commune_par_nom"] == ["PA00092001 (ligne 2)"]
    assert out.stats.problems["sans_coordonnees"] == 2


def test_quoted_pipe_empty_rows_duplicates_and_bad_points(tmp_path: Path) -> None:
    out = run(tmp_path, [
        notice("PA00092003", titre="Maison | annexe", coords="0,0", maj="2020-01-01"),
        EMPTY_LINE,
        notice("PA00092004", titre="Hôtel", coords="3.08,45.77",
               typologie="classé MH;inscrit MH", maj="2020-01-01"),
        notice("PA00092004", titre="Hôtel de ville", coords="3.08,45.77",
               typologie="classé MH;inscrit MH", maj="2024-01-01"),
    ])  # fmt: skip
    by_ref = out.by_ref
    assert by_ref["PA00092003"]["titre"] == "Maison | annexe"
    assert by_ref["PA00092003"]["latitude"] is None
    assert by_ref["PA00092004"]["titre"] == "Hôtel de ville"  # latest update wins
    assert by_ref["PA00092004"]["statut_protection"] == "classé et inscrit"
    assert out.stats.empty_rows == 1 and out.stats.duplicates == 1
    assert [r["reference"] for r in out.rows] == ["PA00092003", "PA00092004"]


def test_swapped_points_are_put_back_and_foreign_ones_flagged(tmp_path: Path) -> None:
    out = run(tmp_path, [
        notice("PA00092010", coords="3.08,45.77"),
        notice("PA00092011", coords="40.71,-74.0"),
    ])  # fmt: skip
    swapped, foreign = out.rows
    assert (swapped["latitude"], swapped["longitude"]) == (45.77, 3.08)
    assert swapped["coordonnees_douteuses"] is False
    # Kept in the CSV for the record, flagged so that it stays off the map.
    assert (foreign["latitude"], foreign["longitude"]) == (40.71, -74.0)
    assert foreign["coordonnees_douteuses"] is True
    assert out.stats.problems["coordonnees_inversees"] == 1
    assert out.stats.problems["hors_france"] == 1
    assert out.stats.examples["hors_france"] == ["PA00092011 (ligne 3)"]


def test_namesake_in_another_departement_is_not_kept(tmp_path: Path) -> None:
    out = run(tmp_path, [
        notice("PA74000001", commune="Le Cendre", index="Cendre (Le)", cog="74031", dep="74"),
        notice("PA63000002", commune="Le Cendre", index="Cendre (Le)", cog="63999"),
    ])  # fmt: skip
    assert [r["reference"] for r in out.rows] == ["PA63000002"]
    assert out.rows[0]["code_insee"] == LE_CENDRE
    assert out.stats.out_of_territory == 1
    assert "homonyme_ecarte" not in out.stats.problems  # another département: silent


def test_no_territory_keeps_everything(tmp_path: Path) -> None:
    out = run(tmp_path, [
        notice("PA00078066", commune="Brienne", cog="10064", coords="48.39,4.52"),
        notice("PA00078067", commune="Ailleurs", cog="10065", coords="40.71,-74.0"),
    ], territory=None)  # fmt: skip
    assert [r["code_insee"] for r in out.rows] == ["10064", "10065"]
    assert [r["coordonnees_douteuses"] for r in out.rows] == [False, True]


def test_reduced_header_is_enough(tmp_path: Path) -> None:
    out = run(tmp_path, [notice("PA00092005", coords="45.77,3.08")], header=REDUCED_HEADER)
    assert out.rows[0]["code_insee"] == CLERMONT
    assert out.rows[0]["adresse"] == "" and out.rows[0]["siecles"] == ""


def test_catalog_aliases_reach_the_transform(tmp_path: Path) -> None:
    """A column the producer renamed is read once the catalog lists its new spelling."""
    renamed = tuple("Titre_de_la_notice" if c == COLUMNS["titre"] else c for c in MERIMEE_HEADER)
    entry = dataclasses.replace(
        ENTRY, source={**ENTRY.source, "aliases": {"titre": ["Titre_de_la_notice"]}}
    )
    row = {**notice("PA00092007"), "Titre_de_la_notice": "Fontaine d'Amboise"}
    out = run(tmp_path, [row], header=renamed, entry=entry)
    assert out.rows[0]["titre"] == "Fontaine d'Amboise"
    unaliased = run(tmp_path, [row], header=renamed)
    assert unaliased.rows[0]["titre"] == ""  # a blocking column gone: empty, not invented


def test_empty_reference_is_a_source_record_never_a_row(tmp_path: Path) -> None:
    out = run(tmp_path, [
        notice("PA00092020"),
        notice("", titre="Croix de chemin"),
        notice("", titre="Croix de Beaumont", cog="74031", dep="74"),  # not ours
    ])  # fmt: skip
    assert [r["reference"] for r in out.rows] == ["PA00092020"]
    assert out.stats.kept == 1
    assert sorted(out.source) == ["PA00092020", "ligne 3"]
    assert out.source["ligne 3"]["titre"] == "Croix de chemin"
    assert out.source["ligne 3"]["reference"] == ""


def test_lines_are_physical_lines_of_the_file(tmp_path: Path) -> None:
    """A quoted field spanning two lines: "ligne N" still names the line people find."""
    out = run(tmp_path, [
        notice("PA00092021", titre="Maison\ndite du Lion d'or"),
        notice("", titre="Croix de chemin"),
        notice("PA00092022", coords="40.71,-74.0"),
    ])  # fmt: skip
    assert sorted(out.source) == ["PA00092021", "PA00092022", "ligne 4"]
    assert out.source["PA00092022"][LINE] == "5"
    assert out.stats.examples["hors_france"] == ["PA00092022 (ligne 5)"]


def test_missing_reference_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('Titre_editorial_de_la_notice|COG_Insee_lors_de_la_protection\n"a"|"1"\n')
    with pytest.raises(SchemaError, match="Reference"):
        get_transform(ENTRY)(path, ENTRY, TERRITORY, TransformStats())


def test_unrecognised_header(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("<html><body>Maintenance</body></html>\n")
    with pytest.raises(SchemaError, match="en-tête non reconnu"):
        get_transform(ENTRY)(path, ENTRY, TERRITORY, TransformStats())


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
    result = get_transform(ENTRY)(path, ENTRY, TERRITORY, TransformStats())
    (row,) = result.rows
    assert row[0] == "PA00092006"


# --- the defects of the issue (each of these failed on 74a359f) ---------------------------


def test_namesake_without_code_or_departement_is_judged_by_its_point(tmp_path: Path) -> None:
    """Beaumont (74)'s notice, no code, no département: its point says it is not ours."""
    beaumont = {"commune": "Beaumont", "index": "Beaumont", "cog": "", "dep": ""}
    out = run(tmp_path, [
        notice("PA74000010", titre="Eglise Saint-Etienne", coords=wgs84(BEAUMONT_74), **beaumont),
        notice("PA74000011", titre="Chapelle", **beaumont),  # nothing to check it against
        notice("PA00092030", titre="Maison", coords=wgs84(inside(BEAUMONT)), **beaumont),
    ])  # fmt: skip
    assert [r["reference"] for r in out.rows] == ["PA00092030"]
    assert out.rows[0]["code_insee"] == BEAUMONT
    assert out.stats.examples["homonyme_ecarte"] == ["PA74000010 (ligne 2)"]
    assert out.stats.examples["commune_non_verifiable"] == ["PA74000011 (ligne 3)"]
    assert out.stats.out_of_territory == 2
    assert sorted(out.source) == ["PA00092030"]


def test_code_disagreeing_with_the_name_is_reported(tmp_path: Path) -> None:
    """Clermont-Ferrand's code, Royat's name: the code wins and the disagreement is named."""
    out = run(tmp_path, [
        notice("PA00092031", commune="Royat", index="Royat", coords=wgs84(inside(CLERMONT))),
    ])  # fmt: skip
    assert out.stats.problems["nom_commune_divergent"] == 1
    assert out.stats.examples["nom_commune_divergent"] == ["PA00092031 (ligne 2)"]
    (row,) = out.rows
    assert (row["code_insee"], row["commune"]) == (CLERMONT, "Clermont-Ferrand")
    assert row["coordonnees_douteuses"] is False  # the point is in Clermont-Ferrand


def test_one_digit_month_keeps_its_year(tmp_path: Path) -> None:
    out = run(tmp_path, [
        notice("PA00092032", typologie="classé MH", historique="1926/3/12 : classé MH"),
    ])  # fmt: skip
    (row,) = out.rows
    assert row["annee_premiere_protection"] == 1926
    assert row["date_premiere_protection"] == date(1926, 3, 12)
    assert json.loads(row["protections"]) == [
        {"date": "1926-03-12", "annee": 1926, "statut": "classé", "partiel": False}
    ]


@pytest.mark.parametrize("typology", ["classé MH partiellement;inscrit MH", ""])
def test_glued_acts_keep_both_acts_and_the_partial_flag(tmp_path: Path, typology: str) -> None:
    out = run(tmp_path, [
        notice("PA00092033", typologie=typology,
               historique="classé MH partiellement:2017/05/10:inscrit MH"),
    ])  # fmt: skip
    (row,) = out.rows
    # The undated act glued before the 2017 one happened before it.
    assert json.loads(row["protections"]) == [
        {"date": None, "annee": None, "statut": "classé", "partiel": True},
        {"date": "2017-05-10", "annee": 2017, "statut": "inscrit", "partiel": False},
    ]
    assert row["statut_protection"] == "classé et inscrit"
    assert row["protection_partielle"] is True
    assert row["annee_premiere_protection"] == 2017


def test_empty_typology_replays_every_act(tmp_path: Path) -> None:
    """Classé in 1926, partly inscrit in 1994: still classé, not merely "inscrit"."""
    out = run(tmp_path, [
        notice("PA00092034", typologie="",
               historique="1926/03/12 : classé MH;1994/07/08 : inscrit MH partiellement"),
    ])  # fmt: skip
    (row,) = out.rows
    assert row["statut_protection"] == "classé et inscrit"
    assert row["protection_partielle"] is True
    assert row["date_premiere_protection"] == date(1926, 3, 12)


def test_author_fragments_are_kept_whole_and_in_order(tmp_path: Path) -> None:
    authors = (
        "Jeanneret Charles-Edouard;dit;Le Corbusier (architecte);"
        "Jeanneret Pierre;dit;Pierre Jeanneret (architecte)"
    )
    out = run(tmp_path, [notice("PA00092035", auteurs=authors)])
    (row,) = out.rows
    assert row["auteurs"] == authors
    assert row["auteurs"].split(";").count("dit") == 2


def test_duplicates_are_resolved_before_the_territory_filter(tmp_path: Path) -> None:
    """The newer copy of a notice moved to Riom: the stale Clermont copy is not published."""
    out = run(tmp_path, [
        notice("PA00092036", titre="Maison", coords=wgs84(inside(CLERMONT)), maj="2025-03-01"),
        notice("PA00092037", titre="Ancien nom", commune="Riom", index="Riom", cog="63300",
               coords="45.8936,3.1128", maj="2025-03-01"),
        notice("PA00092036", titre="Maison", commune="Riom", index="Riom", cog="63300",
               coords="45.8936,3.1128", maj="2026-11-19"),
        notice("PA00092037", titre="Nouveau nom", coords=wgs84(inside(CLERMONT)),
               maj="2026-11-19"),
    ])  # fmt: skip
    assert [r["reference"] for r in out.rows] == ["PA00092037"]
    assert out.rows[0]["titre"] == "Nouveau nom"  # the newer copy, which moved in
    assert out.stats.duplicates == 2
    assert sorted(out.source) == ["PA00092037"]
    assert out.source["PA00092037"][LINE] == "5"


def test_far_away_coordinates_are_flagged_and_the_notice_stays(tmp_path: Path) -> None:
    """An overseas point on a Clermont notice: published, flagged, kept off the map."""
    out = run(tmp_path, [
        notice("PA00092038", titre="Fontaine", coords=wgs84(LA_REUNION)),
        notice("PA00092039", titre="Hôtel", coords=wgs84(inside(CLERMONT))),
    ])  # fmt: skip
    far, near = out.rows
    assert far["reference"] == "PA00092038" and far["code_insee"] == CLERMONT
    assert (far["latitude"], far["longitude"]) == LA_REUNION  # kept in the CSV
    assert far["coordonnees_douteuses"] is True
    assert near["coordonnees_douteuses"] is False
    assert out.stats.examples["coordonnees_hors_commune"] == ["PA00092038 (ligne 2)"]
    assert "hors_france" not in out.stats.problems  # La Réunion is in France
    geojson = json.loads(rows_to_geojson(ENTRY, out.result.rows))
    assert [f["properties"]["reference"] for f in geojson["features"]] == ["PA00092039"]


def test_name_fallback_checks_the_point_against_the_commune(tmp_path: Path) -> None:
    """No code: the name counts in its département, if the point is in or near the commune."""
    cendre = {"commune": "Le Cendre", "index": "Cendre (Le)", "cog": ""}
    out = run(tmp_path, [
        notice("PA00092040", coords=wgs84(south_of(LE_CENDRE, 500)), **cendre),
        notice("PA00092041", coords=wgs84(south_of(LE_CENDRE, 3000)), **cendre),
        notice("PA00092042", **{**cendre, "dep": "43"}),
        notice("PA00092043", **cendre),  # département 63, no point: the name decides
    ])  # fmt: skip
    assert [(r["reference"], r["code_insee"]) for r in out.rows] == [
        ("PA00092040", LE_CENDRE),
        ("PA00092043", LE_CENDRE),
    ]
    assert out.rows[0]["coordonnees_douteuses"] is False  # 500 m off: within the tolerance
    assert out.stats.examples["homonyme_ecarte"] == ["PA00092041 (ligne 3)"]
    assert out.stats.examples["commune_par_nom"] == ["PA00092040 (ligne 2)", "PA00092043 (ligne 5)"]
    assert out.stats.out_of_territory == 2
