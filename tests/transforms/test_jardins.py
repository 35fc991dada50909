"""The jardins remarquables transform, through the registry, on files in the upstream format.

Files are written by ``tests/samples/jardins.py`` (27 columns of the ODS model, ``|``,
unquoted header, every field quoted) unless a test writes another model, separator or
header spelling on purpose. The territory is Clermont Auvergne Métropole with its real
contours (``tests/transforms/geo.py``), so the commune matcher decides on real borders.
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
from patrimoine.transforms.jardins import (
    FIELDS,
    normalise_url,
    parse_list,
    parse_location,
)
from patrimoine.transforms.reader import header_key, resolve_header
from patrimoine.transforms.result import KEY, LINE
from tests.samples.jardins import (
    JARDINS_HEADER,
    LATER_MODEL,
    NO_IDENTIFIER_LINE,
    OLD_MODEL,
    REGULAR_KEYS,
    csv_bytes,
    sample_rows,
)
from tests.transforms.geo import (
    BEAUMONT_74,
    CHAMALIERES,
    CLERMONT,
    LA_REUNION,
    LE_CENDRE,
    ROYAT,
    clermont_territory,
    inside,
    sample_communes,
)
from tests.transforms.support import Run as BaseRun
from tests.transforms.support import transform

ENTRY = load_catalog(PROJECT_DIR / "catalog")["jardins-remarquables"]
TERRITORY = clermont_territory()
COMMUNES = sample_communes()
NAMES = {c.code: c.nom for c in COMMUNES}


def garden(origine: str, code: str = CLERMONT, **values: str) -> dict[str, str]:
    """One garden (ODS column → value) in commune ``code``, its point inside the contour."""
    lat, lon = inside(code) if code in NAMES else (45.9, 3.1)
    row = {
        "nom_du_jardin": f"Jardin {origine}",
        "commune": NAMES.get(code, "Ailleurs"),
        "code_insee": code,
        "code_insee_departement": code[:2],
        "latitude": f"{lat:.6f}",
        "longitude": f"{lon:.6f}",
        "coordonnees_geographiques": f"{lat:.6f}, {lon:.6f}",
        "identifiant_origine": origine,
        "identifiant_deps": f"JARD_{code}_{origine[-4:]}",
        "types": '["Parc"]',
        "annee_d_obtention": "2012",
        "date_de_creation": "2023-02-01",
        "date_de_maj": "2026-10-01",
    }
    row.update(values)
    return row


class Run(BaseRun):
    @property
    def by_key(self) -> dict[str, dict[str, Any]]:
        return {r["identifiant"]: r for r in self.rows}

    def examples(self, kind: str) -> list[str]:
        return self.stats.examples.get(kind, [])


def run_bytes(
    tmp_path: Path, content: bytes, territory: Territory | None = TERRITORY, entry: Any = ENTRY
) -> Run:
    path = tmp_path / "jardins.csv"
    path.write_bytes(content)
    return transform(Run, path, entry, territory)


def run(
    tmp_path: Path,
    rows: list[dict[str, str]],
    territory: Territory | None = TERRITORY,
    **options: Any,
) -> Run:
    return run_bytes(tmp_path, csv_bytes(rows, **options), territory)


def spaced(name: str) -> str:
    return name.replace("_", " ")


# --- Header drift ---------------------------------------------------------------------------

ROWS = [
    garden("JR639001", site_internet_et_autres_liens='["https://a.example.fr"]'),
    garden("JR639002", ROYAT, auteur_nom_de_l_illustre="Martin Joseph (paysagiste)"),
]
HEADER_MODELS: dict[str, dict[str, Any]] = {
    "new-ods-pipe": {},
    "old-code_id-semicolon-bom": {"rename": OLD_MODEL, "delimiter": ";", "bom": True},
    "old-label-code-id-with-space-tab": {
        "rename": {h: spaced(OLD_MODEL.get(h, h)) for h in JARDINS_HEADER},
        "delimiter": "\t",
    },
    "new-label-identifiant-origine-comma": {
        "rename": {h: spaced(h).capitalize() for h in JARDINS_HEADER},
        "delimiter": ",",
    },
    "later-model": {"rename": LATER_MODEL},
    "accents-and-apostrophes": {
        "rename": {
            "annee_d_obtention": "Année d'obtention",
            "identifiant_origine": "IDENTIFIANT ORIGINE",
            "auteur_nom_de_l_illustre": "Auteur / nom de l'illustre",
            "date_de_maj": "Date de MàJ",
        }
    },
}


@pytest.mark.parametrize("model", list(HEADER_MODELS))
def test_old_and_new_headers_read_the_same(tmp_path: Path, model: str) -> None:
    options = HEADER_MODELS[model]
    reference = run(tmp_path, ROWS)
    out = run(tmp_path, ROWS, **options)
    assert out.rows == reference.rows
    assert sorted(out.by_key) == ["JR639001", "JR639002"]
    first, second = out.by_key["JR639001"], out.by_key["JR639002"]
    assert first["identifiant_origine"] == "JR639001"
    assert first["sites_internet"] == '["https://a.example.fr"]'
    assert first["annee_obtention"] == 2012 and first["date_maj"] == date(2026, 10, 1)
    assert second["auteur"] == "Martin Joseph (paysagiste)"
    assert second["code_insee"] == ROYAT and second["rattachement_commune"] == "code_insee"
    # Every field the file has was found, whatever the model's spelling.
    assert out.result.source.columns == reference.result.source.columns


def test_the_old_header_code_id_is_the_identifier(tmp_path: Path) -> None:
    header = "|".join(OLD_MODEL.get(h, h) for h in JARDINS_HEADER)
    assert "code_id" in header.split("|") and "identifiant_origine" not in header
    out = run(tmp_path, ROWS, rename={"identifiant_origine": "code id"})
    assert sorted(out.by_key) == ["JR639001", "JR639002"]


def test_headers_match_their_aliases_whatever_the_spelling() -> None:
    header = [
        "Code id",
        "identifiant_deps",
        "code_insee",
        "Année d'obtention",
        "identifiant origine",
    ]
    found = resolve_header(header, FIELDS)
    assert found["identifiant_origine"] == 4  # the declared alias beats a looser match
    assert found["annee_obtention"] == 3 and found["code_insee"] == 2
    assert resolve_header(header[:4], FIELDS)["identifiant_origine"] == 0  # `code id`
    assert header_key(" Auteur / nom de l'illustre ") == "auteur_nom_de_l_illustre"


@pytest.mark.parametrize(
    ("column", "label"),
    [("identifiant_origine", "identifiant_origine"), ("code_insee", "code_insee")],
)
def test_a_missing_required_column_is_named_in_french(
    tmp_path: Path, column: str, label: str
) -> None:
    with pytest.raises(SchemaError) as error:
        run(tmp_path, ROWS, rename={column: "ident_jardin"})
    message = str(error.value)
    assert message.startswith(f"colonne(s) absente(s) du fichier source : {label} ")
    other = ({"identifiant_origine", "code_insee"} - {label}).pop()
    assert other not in message


def test_catalog_aliases_reach_the_transform(tmp_path: Path) -> None:
    entry = dataclasses.replace(
        ENTRY, source={**ENTRY.source, "aliases": {"identifiant_origine": ["ref_jardin"]}}
    )
    content = csv_bytes(ROWS, rename={"identifiant_origine": "ref_jardin"})
    out = run_bytes(tmp_path, content, entry=entry)
    assert sorted(out.by_key) == ["JR639001", "JR639002"]


def test_reduced_later_model_is_enough(tmp_path: Path) -> None:
    """A file with fewer columns (the later model drops some) still reads; absent ones are
    left to the source suite's column checks."""
    columns = [
        *("nom_du_jardin", "commune", "code_insee", "latitude", "longitude", "types"),
        *("annee_d_obtention", "identifiant_deps", "identifiant_origine", "date_de_maj"),
    ]
    out = run(tmp_path, ROWS, columns=columns, rename=LATER_MODEL)
    assert sorted(out.by_key) == ["JR639001", "JR639002"]
    assert "description" not in out.result.source.columns
    assert out.by_key["JR639001"]["description"] == ""


# --- Lists ---------------------------------------------------------------------------------


def test_list_fields_as_json_text_or_semicolons(tmp_path: Path) -> None:
    out = run(tmp_path, [
        garden("JR639010", types='["Jardin botanique","Arboretum"]',
               conditions_d_ouverture='["Du 1er avril au 31 octobre ; fermé le lundi"]',
               accessible_au_public='["Ouvert au public"]',
               site_internet_et_autres_liens='["https://a.example.fr", "www.b.example.fr"]'),
        garden("JR639011", types="Parc;Jardin d'agrément ; Parc",
               conditions_d_ouverture="Sur rendez-vous;Journées du patrimoine",
               accessible_au_public="Ouvert au public",
               site_internet_et_autres_liens="www.c.example.fr;https://d.example.fr/page"),
        garden("JR639012", types="", conditions_d_ouverture="[]"),
    ])  # fmt: skip
    json_row, semicolons, empty = (out.by_key[k] for k in ("JR639010", "JR639011", "JR639012"))
    assert json.loads(json_row["types"]) == ["Jardin botanique", "Arboretum"]
    # A ";" inside a JSON item is text, not a separator.
    assert json.loads(json_row["conditions_ouverture"]) == [
        "Du 1er avril au 31 octobre ; fermé le lundi"
    ]
    assert json.loads(json_row["accessible_au_public"]) == ["Ouvert au public"]
    assert json.loads(json_row["sites_internet"]) == [
        "https://a.example.fr",
        "https://www.b.example.fr",
    ]
    assert json.loads(semicolons["types"]) == ["Parc", "Jardin d'agrément"]
    assert json.loads(semicolons["conditions_ouverture"]) == [
        "Sur rendez-vous",
        "Journées du patrimoine",
    ]
    assert json.loads(semicolons["sites_internet"]) == [
        "https://www.c.example.fr",
        "https://d.example.fr/page",
    ]
    assert empty["types"] is None and empty["conditions_ouverture"] is None
    assert not out.stats.problems.get("liste_json_mal_formee")
    # The source suite sees the text as sent.
    assert out.source["JR639011"]["types"] == "Parc;Jardin d'agrément ; Parc"


def test_malformed_json_list_is_kept_whole_and_reported(tmp_path: Path) -> None:
    out = run(tmp_path, [garden("JR639013", types='["Parc", "Potag')])
    assert json.loads(out.by_key["JR639013"]["types"]) == ['["Parc", "Potag']
    assert out.examples("liste_json_mal_formee") == ["JR639013 (types) (ligne 2)"]


def test_parse_list_and_urls() -> None:
    assert parse_list('["a", null, "", "a", 3]') == (("a", "3"), False)
    assert parse_list('{"a": 1}') == (('{"a": 1}',), False)  # not a list opener: one item
    assert parse_list('[{"a": 1}]') == (('[{"a": 1}]',), True)
    assert normalise_url("www.jardin.example.fr/visite") == "https://www.jardin.example.fr/visite"
    assert normalise_url("jardin.example.fr") == "https://jardin.example.fr"
    assert normalise_url("http://jardin.example.fr") == "http://jardin.example.fr"
    assert normalise_url("mailto:contact@jardin.fr") == "mailto:contact@jardin.fr"
    assert normalise_url("voir le site de la mairie") == "voir le site de la mairie"


# --- Commune assignment ----------------------------------------------------------------------


def test_empty_code_insee_is_assigned_by_its_point_and_says_so(tmp_path: Path) -> None:
    out = run(tmp_path, [garden("JR639020", CHAMALIERES, code_insee="")])
    row = out.by_key["JR639020"]
    assert (row["code_insee"], row["commune"]) == (CHAMALIERES, "Chamalières")
    assert row["rattachement_commune"] == "coordonnees"
    assert row["coordonnees_douteuses"] is False
    assert out.examples("commune_par_point") == ["JR639020 (ligne 2)"]
    # The raw record keeps the empty code: nothing pretends the source gave it.
    assert out.source["JR639020"]["code_insee"] == ""


def test_no_code_and_no_point_falls_back_to_the_name_in_its_departement(tmp_path: Path) -> None:
    out = run(tmp_path, [
        garden("JR639021", LE_CENDRE, code_insee="", latitude="", longitude="",
               coordonnees_geographiques=""),
        garden("JR639022", LE_CENDRE, code_insee="", code_insee_departement="", latitude="",
               longitude="", coordonnees_geographiques=""),
    ])  # fmt: skip
    row = out.by_key["JR639021"]
    assert (row["code_insee"], row["rattachement_commune"]) == (LE_CENDRE, "nom")
    assert out.examples("commune_par_nom") == ["JR639021 (ligne 2)"]
    # Without a département the name alone is not trusted: reported, not published.
    assert "JR639022" not in out.by_key
    assert out.examples("commune_non_verifiable") == ["JR639022 (ligne 3)"]


def test_other_departements_and_namesakes_are_dropped(tmp_path: Path) -> None:
    beaumont = {"latitude": f"{BEAUMONT_74[0]}", "longitude": f"{BEAUMONT_74[1]}"}
    out = run(tmp_path, [
        garden("JR639030"),
        garden("JR639031", "63300", commune="Riom"),
        garden("JR639032", "03190", commune="Moulins"),
        garden("JR639033", "74031", commune="Beaumont", **beaumont),
        garden("JR639034", "74031", commune="Beaumont", code_insee="",
               code_insee_departement="", coordonnees_geographiques="", **beaumont),
    ])  # fmt: skip
    assert list(out.by_key) == ["JR639030"]
    assert out.stats.out_of_territory == 4
    assert out.examples("homonyme_ecarte") == ["JR639034 (ligne 6)"]
    assert set(out.source) == {"JR639030"}


def test_without_territory_every_garden_is_kept_as_given(tmp_path: Path) -> None:
    out = run(tmp_path, [garden("JR639035", "03190", commune="Moulins"),
                         garden("JR639036", code_insee="")], territory=None)  # fmt: skip
    assert out.by_key["JR639035"]["code_insee"] == "03190"
    assert out.by_key["JR639035"]["rattachement_commune"] == "code_insee"
    assert out.by_key["JR639036"]["code_insee"] == ""
    assert out.by_key["JR639036"]["rattachement_commune"] is None


# --- Coordinates -----------------------------------------------------------------------------


def test_coordinate_forms(tmp_path: Path) -> None:
    lat, lon = inside(CLERMONT)
    out = run(tmp_path, [
        garden("JR639040", latitude=f"{lat:.5f}".replace(".", ","),
               longitude=f"{lon:.5f}".replace(".", ",")),
        garden("JR639041", latitude="", longitude="",
               coordonnees_geographiques=f"{lat:.5f}, {lon:.5f}"),
        garden("JR639042", latitude="", longitude="",
               coordonnees_geographiques=f'{{"lon": {lon:.5f}, "lat": {lat:.5f}}}'),
        garden("JR639043", latitude="0", longitude="0", coordonnees_geographiques="0, 0"),
        garden("JR639044", latitude="N/A", longitude="",
               coordonnees_geographiques='{"lat": "x"'),
    ])  # fmt: skip
    expected = (round(lat, 5), round(lon, 5))
    for key in ("JR639040", "JR639041", "JR639042"):
        row = out.by_key[key]
        assert (row["latitude"], row["longitude"]) == expected, key
    for key in ("JR639043", "JR639044"):
        assert out.by_key[key]["latitude"] is None
    assert out.examples("sans_coordonnees") == ["JR639043 (ligne 5)", "JR639044 (ligne 6)"]


def test_swapped_coordinates_are_put_back_and_mapped(tmp_path: Path) -> None:
    lat, lon = inside(ROYAT)
    out = run(tmp_path, [
        garden("JR639045", ROYAT, latitude=f"{lon:.6f}", longitude=f"{lat:.6f}"),
        garden("JR639046", ROYAT, latitude="", longitude="",
               coordonnees_geographiques=f"{lon:.6f}, {lat:.6f}"),
    ])  # fmt: skip
    for key in ("JR639045", "JR639046"):
        row = out.by_key[key]
        assert (row["latitude"], row["longitude"]) == (round(lat, 6), round(lon, 6))
        assert row["coordonnees_douteuses"] is False
    assert out.examples("coordonnees_inversees") == ["JR639045 (ligne 2)", "JR639046 (ligne 3)"]
    features = json.loads(rows_to_geojson(ENTRY, out.result.rows))["features"]
    assert {f["properties"]["identifiant"] for f in features} == {"JR639045", "JR639046"}


def test_far_away_point_is_published_but_kept_off_the_map(tmp_path: Path) -> None:
    out = run(tmp_path, [
        garden("JR639047", latitude=f"{LA_REUNION[0]}", longitude=f"{LA_REUNION[1]}"),
        garden("JR639048"),
    ])  # fmt: skip
    far = out.by_key["JR639047"]
    assert far["code_insee"] == CLERMONT and far["coordonnees_douteuses"] is True
    assert (far["latitude"], far["longitude"]) == LA_REUNION
    assert out.examples("coordonnees_hors_commune") == ["JR639047 (ligne 2)"]
    features = json.loads(rows_to_geojson(ENTRY, out.result.rows))["features"]
    assert [f["properties"]["identifiant"] for f in features] == ["JR639048"]


def test_parse_location_prefers_latitude_longitude() -> None:
    point = parse_location("45.5", "3.5", "46.0, 4.0")
    assert point is not None and (point.lat, point.lon) == (45.5, 3.5)
    fallback = parse_location("", "3.5", "46.0, 4.0")
    assert fallback is not None and (fallback.lat, fallback.lon) == (46.0, 4.0)
    assert parse_location("", "", "[46.0, 4.0]") is None


# --- Identifiers -------------------------------------------------------------------------------


def test_identifiant_deps_is_the_key_when_identifiant_origine_is_missing(tmp_path: Path) -> None:
    out = run(tmp_path, [
        garden("", identifiant_deps="JARD_63113_00050"),
        garden("", identifiant_deps=""),
        garden("JR639051"),
    ])  # fmt: skip
    assert sorted(out.by_key) == ["JARD_63113_00050", "JR639051"]
    fallback = out.by_key["JARD_63113_00050"]
    assert fallback["identifiant_origine"] is None
    assert fallback["identifiant_deps"] == "JARD_63113_00050"
    assert out.examples("identifiant_origine_absent") == ["JARD_63113_00050 (ligne 2)"]
    # The garden with no identifier at all reaches the source suite (named by its line),
    # never the published table.
    record = out.source["ligne 3"]
    assert (record[KEY], record[LINE], record["identifiant_origine"]) == ("ligne 3", "3", "")
    assert out.stats.kept == 2 and len(out.result.source.rows) == 3


def test_duplicates_are_resolved_nationally_latest_update_wins(tmp_path: Path) -> None:
    out = run(tmp_path, [
        garden("JR639060", nom_du_jardin="Ancien nom", date_de_maj="2025-01-01"),
        garden("JR639060", nom_du_jardin="Nouveau nom", date_de_maj="2026-01-01"),
        garden("JR639061", date_de_maj="2025-01-01"),
        garden("JR639061", "63300", commune="Riom", date_de_maj="2026-03-01"),
    ])  # fmt: skip
    assert out.by_key["JR639060"]["nom_du_jardin"] == "Nouveau nom"
    # Its latest copy moved out of the territory: the stale copy is not published.
    assert "JR639061" not in out.by_key
    assert out.stats.duplicates == 2
    assert out.examples("jardin_en_double") == ["JR639060 (ligne 2)", "JR639061 (ligne 4)"]


# --- Values ------------------------------------------------------------------------------------


def test_years_dates_and_quoted_separators(tmp_path: Path) -> None:
    out = run(tmp_path, [
        garden("JR639070", annee_d_obtention="2005.0", date_de_creation="12/05/2009",
               date_de_maj="2023-02-01T10:00:00+01:00", nom_du_jardin="Parc | potager"),
        garden("JR639071", annee_d_obtention="vers 2005", date_de_maj="hier"),
    ])  # fmt: skip
    good, bad = out.by_key["JR639070"], out.by_key["JR639071"]
    assert good["annee_obtention"] == 2005
    assert (good["date_creation"], good["date_maj"]) == (date(2009, 5, 12), date(2023, 2, 1))
    assert good["nom_du_jardin"] == "Parc | potager"
    assert bad["annee_obtention"] is None and bad["date_maj"] is None
    assert out.examples("annee_obtention_illisible") == ["JR639071 (ligne 3)"]
    assert out.examples("date_jardin_illisible") == ["JR639071 (ligne 3)"]
    semicolon = run(tmp_path, [garden("JR639072", nom_du_jardin="Parc ; potager")],
                    delimiter=";")  # fmt: skip
    assert semicolon.by_key["JR639072"]["nom_du_jardin"] == "Parc ; potager"


def test_published_columns_follow_the_table_schema(tmp_path: Path) -> None:
    out = run(tmp_path, [garden("JR639080", adresse_complete="", numero_et_libelle_de_la_voie=
                                "3 rue du Parc", code_postal="63000")])  # fmt: skip
    assert list(out.rows[0]) == ENTRY.column_names
    assert out.rows[0]["adresse"] == "3 rue du Parc"
    assert out.rows[0]["code_postal"] == "63000"


# --- The snapshot's traps, by identifier ----------------------------------------------------------


def test_the_snapshot_traps(tmp_path: Path) -> None:
    out = run(tmp_path, sample_rows(COMMUNES))
    rows = out.by_key
    assert sorted(rows) == sorted([
        "JR630001", "JR630002", "JR630003", "JR630004", "JARD_63014_00005", "JR630006",
        "JR630007", "JR630008", *REGULAR_KEYS,
    ])  # fmt: skip
    assert json.loads(rows["JR630001"]["types"]) == ["Jardin botanique", "Arboretum"]
    assert len(json.loads(rows["JR630001"]["sites_internet"])) == 2
    assert json.loads(rows["JR630002"]["types"]) == ["Parc", "Jardin d'agrément"]
    assert json.loads(rows["JR630002"]["sites_internet"])[0] == (
        "https://www.parc-jr630002.example.fr"
    )
    assert rows["JR630003"]["code_insee"] == CHAMALIERES
    assert rows["JR630003"]["rattachement_commune"] == "coordonnees"
    lat, lon = rows["JR630004"]["latitude"], rows["JR630004"]["longitude"]
    assert 45 < lat < 46 and 2.9 < lon < 3.3
    assert rows["JARD_63014_00005"]["identifiant_origine"] is None
    assert rows["JR630006"]["nom_du_jardin"] == "Jardin des Sœurs | potager conservatoire"
    assert rows["JR630007"]["latitude"] is not None
    assert rows["JR630008"]["date_creation"] == date(2009, 5, 12)
    assert rows["JR630008"]["date_maj"] == date(2026, 10, 3)
    assert f"ligne {NO_IDENTIFIER_LINE}" in out.source
    assert out.examples("commune_par_point") == ["JR630003 (ligne 4)"]
    assert out.examples("coordonnees_inversees") == ["JR630004 (ligne 5)"]
    assert out.examples("identifiant_origine_absent") == ["JARD_63014_00005 (ligne 6)"]
    assert out.examples("homonyme_ecarte") == ["JR740108 (ligne 20)"]
    assert out.stats.out_of_territory == 8
    assert all(not r["coordonnees_douteuses"] for r in out.rows)
