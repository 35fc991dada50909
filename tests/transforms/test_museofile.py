"""The Muséofile transform, through the registry, on files in the real data.gouv.fr format.

The territory is Clermont Auvergne Métropole with its real contours (``tests/transforms/
geo.py``), so point in polygon decides on real borders. The snapshot's file
(``tests/samples/museofile.py``) is transformed once; each of its traps is then checked by
identifier. Smaller files written here cover the parsers, header drift and failures.
"""

from __future__ import annotations

import dataclasses
import io
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
from patrimoine.transforms.coordinates import locate_point
from patrimoine.transforms.museofile import (
    declared_departements,
    merimee_references,
    normalise_url,
    protection_text,
    telephone,
    themes,
)
from patrimoine.transforms.result import LINE
from patrimoine.transforms.stats import REMARKS
from tests.samples.museofile import (
    ELSEWHERE_TRAPS,
    HOURS,
    MUSEOFILE_HEADER,
    TRAPS,
    hours_csv,
    museofile_csv,
    snapshot_rows,
)
from tests.transforms.geo import (
    BEAUMONT_74,
    CHAMALIERES,
    CLERMONT,
    ROYAT,
    clermont_territory,
    inside,
    sample_communes,
    south_of,
)
from tests.transforms.support import Run as BaseRun
from tests.transforms.support import transform as run_transform

ENTRY = load_catalog(PROJECT_DIR / "catalog")["musees-de-france"]
TERRITORY = clermont_territory()
COMMUNES = sample_communes()


class Run(BaseRun):
    @property
    def by_id(self) -> dict[str, dict[str, Any]]:
        return {r["identifiant_museofile"]: r for r in self.rows}

    def named(self, kind: str) -> list[str]:
        """Identifiers the report names under a remark (``M9002 (ligne 3)`` → ``M9002``)."""
        return [e.split(" ")[0] for e in self.stats.examples.get(kind, [])]


def transform(
    path: Path,
    territory: Territory | None = TERRITORY,
    entry: Any = ENTRY,
    supplements: dict[str, Path] | None = None,
) -> Run:
    return run_transform(Run, path, entry, territory, supplements)


def museum(identifier: str, **values: str) -> dict[str, str]:
    """One record of Clermont-Ferrand (data.gouv.fr column → value), geolocated inside it."""
    lat, lon = inside(CLERMONT)
    return {
        "Identifiant": identifier,
        "Nom_officiel": "musée d'essai",
        "Code_Postal": "63000",
        "Ville": "Clermont-Ferrand",
        "Departement": "Puy-de-Dôme",
        "Coordonnees": f"{lat:.6f}, {lon:.6f}",
        "Date_de_mise_a_jour": "2026-01-15",
        **values,
    }


def run(tmp_path: Path, rows: list[dict[str, str]], **kwargs: Any) -> Run:
    path = tmp_path / "museofile.csv"
    path.write_bytes(museofile_csv(rows))
    return transform(path, **kwargs)


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The snapshot's Muséofile file and hours file, transformed for the territory."""
    folder = tmp_path_factory.mktemp("museofile")
    path = folder / "museofile.csv"
    path.write_bytes(museofile_csv(snapshot_rows(COMMUNES)))
    hours = folder / "horaires.csv"
    hours.write_bytes(hours_csv())
    return transform(path, supplements={"horaires": hours})


# --- The snapshot's traps, by identifier ---------------------------------------------------


def test_every_trap_of_the_snapshot_is_checked_here() -> None:
    """The trap table and this file agree (a new trap needs its test)."""
    source = Path(__file__).read_text(encoding="utf-8")
    for identifier, trap, _ in (*TRAPS, *ELSEWHERE_TRAPS):
        assert f"def test_{trap}" in source, (identifier, trap)


def test_pipe_in_quoted_name(snapshot: Run) -> None:
    assert snapshot.by_id["M9001"]["nom_officiel"] == "muséum Henri-Lecoq | jardin Lecoq"
    assert snapshot.by_id["M9001"]["commune"] == "Clermont-Ferrand"


def test_coordinates_in_another_departement(snapshot: Run) -> None:
    """A museum of Clermont-Ferrand (63000, Puy-de-Dôme) geocoded in Lyon stays in its town,
    its coordinates published for checking but kept off the map."""
    row = snapshot.by_id["M9002"]
    assert (row["commune"], row["code_insee"], row["departement"]) == (
        "Clermont-Ferrand",
        CLERMONT,
        "63",
    )
    assert (row["latitude"], row["longitude"]) == (45.764043, 4.835659)
    assert row["coordonnees_douteuses"] is True
    assert snapshot.named("coordonnees_hors_commune") == ["M9002"]
    assert "M9002" not in snapshot.named("commune_par_nom")
    mapped = json.loads(rows_to_geojson(ENTRY, [tuple(r.values()) for r in snapshot.rows]))
    on_map = {f["properties"]["identifiant_museofile"] for f in mapped["features"]}
    assert "M9002" not in on_map and "M9001" in on_map


def test_swapped_coordinates(snapshot: Run) -> None:
    row = snapshot.by_id["M9003"]
    assert 45.7 < row["latitude"] < 45.8 and 3.0 < row["longitude"] < 3.1
    assert (row["code_insee"], row["coordonnees_douteuses"]) == (CHAMALIERES, False)
    assert snapshot.named("coordonnees_inversees") == ["M9003"]


def test_no_coordinates_known_town(snapshot: Run) -> None:
    row = snapshot.by_id["M9004"]
    assert (row["code_insee"], row["latitude"], row["longitude"]) == (ROYAT, None, None)
    assert row["coordonnees_douteuses"] is False
    assert snapshot.named("commune_par_nom") == ["M9004"]
    assert snapshot.named("sans_coordonnees") == ["M9004"]


def test_no_coordinates_unverifiable_town(snapshot: Run) -> None:
    """ "Beaumont" with neither point, postal code nor département: there are Beaumonts all
    over France, so it is reported and not published."""
    assert "M9005" not in snapshot.by_id and "M9005" not in snapshot.source
    assert snapshot.named("commune_non_verifiable") == ["M9005"]


def test_no_coordinates_unknown_town(snapshot: Run) -> None:
    assert "M9006" not in snapshot.by_id
    assert snapshot.named("ville_non_reconnue") == ["M9006"]


def test_url_without_scheme(snapshot: Run) -> None:
    url = snapshot.by_id["M9007"]["url"]
    assert url == "https://musee-bargoin.clermont.example.fr/collections"


def test_invalid_url(snapshot: Run) -> None:
    assert snapshot.by_id["M9008"]["url"] == ""
    assert snapshot.named("url_invalide") == ["M9008"]


def test_several_merimee_references(snapshot: Run) -> None:
    assert snapshot.by_id["M9009"]["references_merimee"] == "PA00091901;PA63000415;MI184"


def test_malformed_merimee_reference(snapshot: Run) -> None:
    assert snapshot.by_id["M9010"]["references_merimee"] == "PA00091902"
    (example,) = snapshot.stats.examples["reference_merimee_invalide"]
    assert example.startswith("M9010 : PA0009190 (ligne ")


def test_thematic_domains_list(snapshot: Run) -> None:
    assert snapshot.by_id["M9011"]["domaines_thematiques"] == (
        "Beaux-arts;Arts décoratifs;Archéologie nationale"
    )


def test_duplicate_identifier(snapshot: Run) -> None:
    """The newer copy (last territory row) wins; the older one is named by its line."""
    assert [r["identifiant_museofile"] for r in snapshot.rows].count("M9012") == 1
    row = snapshot.by_id["M9012"]
    assert (row["telephone"], row["date_maj_notice"]) == ("04 73 10 20 31", date(2026, 11, 2))
    assert snapshot.stats.duplicates == 1
    assert snapshot.named("identifiant_en_double") == ["M9012"]
    older_line = int(snapshot.stats.examples["identifiant_en_double"][0].split("ligne ")[1][:-1])
    assert older_line < int(snapshot.source["M9012"][LINE])


def test_protection_with_link(snapshot: Run) -> None:
    assert snapshot.by_id["M9013"]["protection_batiment"] == "Monument historique classé"
    assert snapshot.by_id["M9013"]["references_merimee"] == "PA00091903"


def test_french_update_date(snapshot: Run) -> None:
    assert snapshot.by_id["M9014"]["date_maj_notice"] == date(2025, 3, 12)
    assert snapshot.source["M9014"]["date_maj"] == "12/03/2025"  # the source suite sees it


def test_lower_case_identifier(snapshot: Run) -> None:
    assert "M9015" in snapshot.by_id
    assert snapshot.by_id["M9015"]["lien_pop"] == "https://pop.culture.gouv.fr/notice/museo/M9015"


def test_point_in_neighbour_commune(snapshot: Run) -> None:
    """The point decides over the town name; the disagreement is reported."""
    assert snapshot.by_id["M9016"]["code_insee"] == CHAMALIERES
    assert snapshot.by_id["M9016"]["coordonnees_douteuses"] is False
    assert snapshot.named("nom_commune_divergent") == ["M9016"]


def test_malformed_identifier(snapshot: Run) -> None:
    """Published by the transform as given: the TableSchema pattern quarantines it."""
    assert snapshot.by_id["M901"]["commune"] == "Clermont-Ferrand"


def test_empty_identifier(snapshot: Run) -> None:
    keys = [k for k in snapshot.source if k.startswith("ligne ")]
    assert len(keys) == 1
    assert snapshot.source[keys[0]]["nom"] == "musée des Jouets"
    assert all(r["nom_officiel"] != "musée des Jouets" for r in snapshot.rows)


def test_lyon_real_record(snapshot: Run) -> None:
    assert_dropped_silently(snapshot, "M1128")


def test_montpellier_real_record(snapshot: Run) -> None:
    assert_dropped_silently(snapshot, "M0477")


def test_beaumont_haute_savoie(snapshot: Run) -> None:
    assert_dropped_silently(snapshot, "M9050")


def test_beaumont_dordogne_no_point(snapshot: Run) -> None:
    assert_dropped_silently(snapshot, "M9051")


def test_riom_same_departement(snapshot: Run) -> None:
    assert_dropped_silently(snapshot, "M9052")


def assert_dropped_silently(snapshot: Run, identifier: str) -> None:
    assert identifier not in snapshot.by_id and identifier not in snapshot.source
    named = {e.split(" ")[0] for examples in snapshot.stats.examples.values() for e in examples}
    assert identifier not in named


def test_snapshot_counts_and_remark_labels(snapshot: Run) -> None:
    published = {i for i, _, _ in TRAPS} - {"M9005", "M9006", "(ligne N)"}
    regular = {f"M{n}" for n in range(9101, 9113)}
    assert set(snapshot.by_id) == published | regular
    assert snapshot.stats.kept == len(published | regular)
    assert snapshot.stats.out_of_territory == len(ELSEWHERE_TRAPS) + 2  # + M9005, M9006
    assert [r["identifiant_museofile"] for r in snapshot.rows] == sorted(snapshot.by_id)
    assert all(kind in REMARKS for kind in snapshot.stats.problems)


# --- Opening hours --------------------------------------------------------------------------


def test_hours_are_attached_by_identifier(snapshot: Run) -> None:
    given = dict(HOURS)
    for identifier, row in snapshot.by_id.items():
        assert row["horaires_texte"] == given.get(identifier, ""), identifier
        if not row["horaires_texte"]:
            assert row["horaires_osm"] == ""
    assert snapshot.by_id["M9003"]["horaires_osm"] == "Tu-Su 10:00-18:00; PH off"
    # Free French text becomes OSM syntax (the parser itself is tested in test_hours.py).
    for identifier in ("M9001", "M9002", "M9007", "M9011", "M9101"):
        assert snapshot.by_id[identifier]["horaires_osm"], identifier


def test_unreadable_hours_and_unknown_museums_are_reported(snapshot: Run) -> None:
    assert snapshot.by_id["M9004"]["horaires_texte"] == "Sur rendez-vous"
    assert snapshot.by_id["M9004"]["horaires_osm"] == ""
    assert snapshot.named("horaires_non_reconnus") == ["M9004"]
    assert snapshot.named("horaires_identifiant_inconnu") == ["M9999"]


def test_without_hours_file_the_columns_stay_empty(tmp_path: Path) -> None:
    out = run(tmp_path, [museum("M9301")])
    assert (out.rows[0]["horaires_texte"], out.rows[0]["horaires_osm"]) == ("", "")


# --- Parsers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("museepompiers.com/", ("https://museepompiers.com/", True)),
        ("  www.musee.example.fr ", ("https://www.musee.example.fr", True)),
        ("http://www.musee.example.fr/a?b=1", ("http://www.musee.example.fr/a?b=1", True)),
        ("HTTPS://Musee.example.fr", ("HTTPS://Musee.example.fr", True)),
        ("//musee.example.fr/x", ("https://musee.example.fr/x", True)),
        ("", ("", True)),
        ("voir le site de la mairie", ("", False)),
        ("www.a.fr www.b.fr", ("", False)),
        ("ftp://musee.example.fr", ("", False)),
        ("musee", ("", False)),
    ],
)
def test_urls(raw: str, expected: tuple[str, bool]) -> None:
    assert normalise_url(raw) == expected


def test_merimee_references_in_every_separator() -> None:
    assert merimee_references("PA00091901;PA63000415, MI184 SPR7600054") == (
        ("PA00091901", "PA63000415", "MI184", "SPR7600054"),
        (),
    )
    assert merimee_references(" pa00091901 ; PA00091901;") == (("PA00091901",), ())
    assert merimee_references("PA0009190;PA2A000012;IA63000001;PA000919011;15") == (
        ("PA2A000012", "IA63000001"),
        ("PA0009190", "PA000919011", "15"),
    )
    assert merimee_references("") == ((), ())


def test_themes_from_csv_and_ods_json() -> None:
    assert themes("Ethnologie;Histoire;Technique et industrie") == (
        "Ethnologie;Histoire;Technique et industrie"
    )
    assert themes(' ["Arts décoratifs", "Histoire"] ') == "Arts décoratifs;Histoire"
    assert themes("[Beaux-arts];Histoire") == "[Beaux-arts];Histoire"  # not JSON: split as is
    assert themes("") == ""


@pytest.mark.parametrize(
    ("departement", "postcode", "expected"),
    [
        ("Puy-de-Dôme", "63000", ("63",)),
        ("puy de dome", "", ("63",)),
        ("Hérault", "34000", ("34",)),
        ("63", "69009", ("63", "69")),
        ("", "20000", ("2A", "2B")),
        ("2a", "", ("2A",)),
        ("La Réunion", "97400", ("974",)),
        ("Réunion", "", ("974",)),
        ("", "6300", ()),
        ("Atlantide", "", ()),
        ("", "63 000", ("63",)),
    ],
)
def test_declared_departements(departement: str, postcode: str, expected: tuple[str, ...]) -> None:
    assert declared_departements(departement, postcode) == expected


def test_coordinates() -> None:
    assert locate_point("45.790491, 4.797411")[1] is None
    point, note = locate_point("4.797411, 45.790491")
    assert note == "coordonnees_inversees" and point is not None and point.lat == 45.790491
    assert locate_point("")[1] == "sans_coordonnees"
    assert locate_point("0, 0")[1] == "sans_coordonnees"
    assert locate_point("40.71, -74.0")[1] == "hors_france"


def test_protection_text_and_telephone() -> None:
    assert protection_text("Monument historique inscrit : http://x.fr/a http://y.fr") == (
        "Monument historique inscrit"
    )
    assert protection_text("Monument historique classé. www.pop.fr") == (
        "Monument historique classé."
    )
    assert protection_text("Site patrimonial remarquable.") == "Site patrimonial remarquable."
    assert telephone("04.73.10.20.31") == "04 73 10 20 31"
    assert telephone("0473102031") == "04 73 10 20 31"
    assert telephone("+33 4 73 10 20 31") == "+33 4 73 10 20 31"


# --- Assignment on real contours ---------------------------------------------------------------


def test_point_far_outside_with_a_namesake_departement_is_not_ours(tmp_path: Path) -> None:
    """Beaumont (74160) placed in Beaumont (74): a namesake, silent."""
    out = run(tmp_path, [
        museum("M9302", Ville="Beaumont", Code_Postal="74160", Departement="Haute-Savoie",
               Coordonnees=f"{BEAUMONT_74[0]}, {BEAUMONT_74[1]}"),
    ])  # fmt: skip
    assert out.rows == [] and out.stats.problems == {}


def test_point_outside_without_departement_is_a_rejected_namesake(tmp_path: Path) -> None:
    """ "Beaumont", no postal code nor département, point in Haute-Savoie: not kept (nothing
    says the address is ours), reported as a namesake."""
    out = run(tmp_path, [
        museum("M9303", Ville="Beaumont", Code_Postal="", Departement="",
               Coordonnees=f"{BEAUMONT_74[0]}, {BEAUMONT_74[1]}"),
    ])  # fmt: skip
    assert out.rows == []
    assert out.named("homonyme_ecarte") == ["M9303"]


def test_point_just_outside_its_commune_is_kept_and_trusted(tmp_path: Path) -> None:
    """300 m south of Le Cendre's contour (outside the territory): the name, the département
    and a point within the tolerance agree."""
    lat, lon = south_of("63069", 300)
    out = run(tmp_path, [
        museum("M9304", Ville="Le Cendre", Code_Postal="63670", Coordonnees=f"{lat}, {lon}"),
    ])  # fmt: skip
    (row,) = out.rows
    assert (row["code_insee"], row["coordonnees_douteuses"]) == ("63069", False)
    assert out.named("commune_par_nom") == ["M9304"]


def test_point_outside_france_keeps_the_museum_in_its_town(tmp_path: Path) -> None:
    out = run(tmp_path, [museum("M9305", Coordonnees="40.71, -74.0")])
    (row,) = out.rows
    assert (row["code_insee"], row["coordonnees_douteuses"]) == (CLERMONT, True)
    assert out.named("hors_france") == ["M9305"]


def test_postal_code_alone_gives_the_departement(tmp_path: Path) -> None:
    out = run(tmp_path, [museum("M9306", Departement="", Coordonnees="", Code_Postal="63 000")])
    (row,) = out.rows
    assert (row["code_insee"], row["code_postal"]) == (CLERMONT, "63000")


def test_no_territory_keeps_everything(tmp_path: Path) -> None:
    lyon = {"Ville": "Lyon", "Code_Postal": "69009", "Departement": "Rhône"}
    rows = [museum("M9307"), museum("M1128", Coordonnees="45.790491, 4.797411", **lyon)]
    out = run(tmp_path, rows, territory=None)
    assert [r["identifiant_museofile"] for r in out.rows] == ["M1128", "M9307"]
    assert (out.by_id["M1128"]["commune"], out.by_id["M1128"]["code_insee"]) == ("Lyon", "")
    assert out.by_id["M1128"]["departement"] == "69"


# --- Header drift and failures ----------------------------------------------------------------


def test_ods_lower_case_export_with_bom_and_semicolons(tmp_path: Path) -> None:
    """An ODS export: lower-case names, ``;``, BOM, JSON domain lists."""
    lat, lon = inside(CLERMONT)
    path = tmp_path / "ods.csv"
    path.write_text(
        "\ufeffidentifiant;nom_officiel;code_postal;ville;departement;url;domaine_thematique;"
        "refmer;date_de_mise_a_jour;coordonnees\n"
        f"M9308;musée Bargoin;63000;Clermont-Ferrand;Puy-de-Dôme;www.example.fr;"
        f'"[""Archéologie nationale"", ""Arts décoratifs""]";PA00091904;2026-02-01;'
        f"{lat}, {lon}\n",
        encoding="utf-8",
    )
    out = transform(path)
    (row,) = out.rows
    assert row["identifiant_museofile"] == "M9308" and row["code_insee"] == CLERMONT
    assert row["domaines_thematiques"] == "Archéologie nationale;Arts décoratifs"
    assert (row["url"], row["references_merimee"]) == ("https://www.example.fr", "PA00091904")


def test_reduced_header_is_enough(tmp_path: Path) -> None:
    """The header of the stored test fixtures (six columns): the rest reads as empty."""
    header = ("Identifiant", "Nom_officiel", "Ville", "URL", "Domaine_thematique", "Coordonnees")
    lat, lon = inside(CLERMONT)
    path = tmp_path / "reduced.csv"
    path.write_text(
        "|".join(header) + f"\nM9309|musée|Clermont-Ferrand|a.fr|Histoire|{lat}, {lon}\n",
        encoding="utf-8",
    )
    out = transform(path)
    assert out.rows[0]["code_insee"] == CLERMONT and out.rows[0]["date_maj_notice"] is None


def test_catalog_aliases_reach_the_transform(tmp_path: Path) -> None:
    renamed = tuple("Nom_du_musee" if c == "Nom_officiel" else c for c in MUSEOFILE_HEADER)
    entry = dataclasses.replace(
        ENTRY, source={**ENTRY.source, "aliases": {"nom": ["Nom_du_musee"]}}
    )
    path = tmp_path / "renamed.csv"
    row = {**museum("M9310"), "Nom_du_musee": "musée Bargoin"}
    path.write_bytes(museofile_csv([row], header=renamed))
    assert transform(path, entry=entry).rows[0]["nom_officiel"] == "musée Bargoin"
    assert transform(path).rows[0]["nom_officiel"] == ""  # blocking column gone: not invented


@pytest.mark.parametrize("column", ["Identifiant", "Ville"])
def test_missing_required_column_is_named_in_french(tmp_path: Path, column: str) -> None:
    header = tuple(f"{c}_v2" if c == column else c for c in MUSEOFILE_HEADER)
    path = tmp_path / "renamed.csv"
    path.write_bytes(museofile_csv([museum("M9311")], header=header))
    with pytest.raises(SchemaError) as raised:
        transform(path)
    assert raised.value.cause == f"colonne(s) absente(s) du fichier source : {column}"


def test_row_of_wrong_width_fails_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    buffer = io.BytesIO(museofile_csv([museum("M9312")]))
    path.write_bytes(buffer.getvalue() + b"M9313|mus\xc3\xa9e|Clermont\n")
    with pytest.raises(SchemaError, match="ligne 3"):
        transform(path)
