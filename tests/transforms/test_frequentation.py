"""The attendance transform, through the registry, on lines in the file's real shape.

Most tests write a few site lines (the 20 columns of sources.md §3.4, ``;``-separated)
and read the published museum × year rows; the last ones run the snapshot's file
(``tests/samples/frequentation.py``) and check each of its traps by identifier. The
territory is Clermont Auvergne Métropole as the pipeline builds it from geo.api.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from patrimoine.catalog import load_catalog
from patrimoine.config import PROJECT_DIR
from patrimoine.errors import SchemaError
from patrimoine.publish.render import rows_to_csv
from patrimoine.territory import Territory
from patrimoine.transforms import TransformStats
from patrimoine.transforms.frequentation import STATUSES, Count, read_count
from patrimoine.transforms.registry import get_transform
from patrimoine.transforms.result import KEY, LINE, TransformResult
from patrimoine.transforms.stats import REMARKS
from tests.samples import frequentation as sample
from tests.samples.merimee import Commune, with_contours
from tests.servers import clermont_communes, real_contours
from tests.transforms.geo import CHAMALIERES, CLERMONT, ROYAT, clermont_territory

ENTRY = load_catalog(PROJECT_DIR / "catalog")["frequentation-musees"]
TERRITORY = clermont_territory()
AUBIERE, LEMPDES, COURNON = "63014", "63193", "63124"


def site(
    museofile: str, patrimostat: str, annee: int | str = 2024, **values: str
) -> dict[str, str]:
    """One site × year line (data.gouv.fr column → value); a Clermont-Ferrand site by default."""
    total = int(values.pop("n", "1000"))
    line = {
        "IDPatrimostat": patrimostat,
        "IDMuseofile": museofile,
        "region": "Auvergne-Rhône-Alpes",
        "departement": "Puy-de-Dôme",
        "dateappellation": "01/02/2003",
        "ferme": "NON",
        "anneefermeture": "",
        "nom_du_musee": f"Musée {museofile or patrimostat}",
        "lien_avec": "",
        "ville": "CLERMONT-FERRAND",
        "codeInseeCommune": CLERMONT,
        "annee": str(annee),
        "payant": str(total * 6 // 10),
        "gratuit": str(total - total * 6 // 10),
        "total": str(total),
        "individuel": str(total - 100),
        "scolaires": "60",
        "groupes_hors_scolaires": "40",
        "moins_18_ans_hors_scolaires": "",
        "_18_25_ans": "",
    }
    line.update(values)
    return line


@dataclass
class Run:
    rows: list[dict[str, Any]]
    stats: TransformStats
    result: TransformResult

    def row(self, key: str, annee: int = 2024) -> dict[str, Any]:
        (found,) = [
            r for r in self.rows if (r["identifiant_museofile"], r["annee"]) == (key, annee)
        ]
        return found

    @property
    def keys(self) -> list[tuple[str, int]]:
        return [(r["identifiant_museofile"], r["annee"]) for r in self.rows]

    def examples(self, kind: str) -> list[str]:
        assert kind in REMARKS, kind  # every remark has its French label
        return self.stats.examples.get(kind, [])

    @property
    def source(self) -> list[dict[str, str]]:
        columns = self.result.source.columns
        return [dict(zip(columns, r, strict=True)) for r in self.result.source.rows]


def write(
    path: Path,
    lines: list[dict[str, str]],
    header: tuple[str, ...] = sample.HEADER,
    delimiter: str = ";",
    bom: bool = False,
) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[line.get(c, "") for c in header] for line in lines])
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))
    return path


def transform(path: Path, territory: Territory | None = TERRITORY) -> Run:
    stats = TransformStats()
    result = get_transform(ENTRY)(path, ENTRY, territory, stats)
    rows = [dict(zip(ENTRY.column_names, r, strict=True)) for r in result.rows]
    return Run(rows, stats, result)


def run(tmp_path: Path, lines: list[dict[str, str]], **kwargs: Any) -> Run:
    return transform(write(tmp_path / "frequentation.csv", lines, **kwargs))


# --- Counts and statuses ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12345", Count(12345, "communiqué")),
        ("0", Count(0, "communiqué")),
        (" 8807668 ", Count(8807668, "communiqué")),
        ("12345.0", Count(12345, "communiqué", "nombre_decimal")),
        ("12345,00", Count(12345, "communiqué", "nombre_decimal")),
        ("12 345", Count(12345, "communiqué", "nombre_avec_separateurs")),
        ("8\u00a0807\u00a0668", Count(8807668, "communiqué", "nombre_avec_separateurs")),
        ("1.234", Count(1234, "communiqué", "nombre_avec_separateurs")),
        ("-12", Count(-12, "communiqué")),
        ("F", Count(None, "fermé")),
        ("NC", Count(None, "non communiqué")),
        (" nc ", Count(None, "non communiqué")),
        ("R", Count(None, "retrait d'appellation")),
        ("", Count(None, "non renseigné")),
        ("12.5", Count(None, "non renseigné", "valeur_source_illisible")),
        ("n.d.", Count(None, "non renseigné", "valeur_source_illisible")),
        ("12 34", Count(None, "non renseigné", "valeur_source_illisible")),
    ],
)
def test_a_count_cell_is_a_number_a_status_or_illegible(raw: str, expected: Count) -> None:
    assert read_count(raw) == expected
    assert expected.status in STATUSES


def test_nc_in_total_and_an_empty_total_of_an_open_museum_stay_distinct(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        [
            site("M5004", "M05008", total="NC", payant="NC", gratuit="NC"),
            site("M5005", "M05010", ferme="NON", total="", payant="", gratuit=""),
        ],
    )
    nc, empty = out.row("M5004"), out.row("M5005")
    assert nc["total"] is None and empty["total"] is None
    assert nc["statut_frequentation"] == "non communiqué"
    assert empty["statut_frequentation"] == "non renseigné"
    assert empty["ferme"] is False
    assert (nc["payant"], nc["gratuit"], empty["payant"]) == (None, None, None)
    # Published, the two rows still say different things.
    lines = rows_to_csv(ENTRY, out.result.rows).decode().splitlines()
    assert ",non communiqué," in lines[1] and ",non renseigné," in lines[2]


def test_the_codes_are_statuses_never_numbers(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        [
            site("M5006", "M05011", 2020, total="F", payant="F", gratuit="F"),
            site("M5007", "M05012", 2023, total="R", payant="R", gratuit="R", scolaires="R"),
            site("M5004", "M05008", 2021, total="NC", payant="120", gratuit="NC"),
            site("M5009", "M05009", 2019, n="4200"),
        ],
    )
    closed, withdrawn = out.row("M5006", 2020), out.row("M5007", 2023)
    assert (closed["statut_frequentation"], closed["total"]) == ("fermé", None)
    assert (withdrawn["statut_frequentation"], withdrawn["total"]) == (
        "retrait d'appellation",
        None,
    )
    assert withdrawn["scolaires"] is None
    # A number beside a code is kept; the status follows the total.
    partial = out.row("M5004", 2021)
    assert (partial["statut_frequentation"], partial["total"], partial["payant"]) == (
        "non communiqué",
        None,
        120,
    )
    counted = out.row("M5009", 2019)
    assert (counted["statut_frequentation"], counted["total"]) == ("communiqué", 4200)
    assert (counted["payant"], counted["gratuit"]) == (2520, 1680)
    assert out.stats.problems == {}


def test_numbers_with_decimals_or_separators_are_read_and_reported(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        [
            site("M5009", "M05009", 2014, total="19016.0", payant="10628.0", gratuit="8388.0"),
            site("M5009", "M05009", 2017, total="21 571", payant="15 516", gratuit="6 055"),
            site("M5009", "M05009", 2018, total="12.5", payant="", gratuit=""),
        ],
    )
    assert (out.row("M5009", 2014)["total"], out.row("M5009", 2014)["gratuit"]) == (19016, 8388)
    assert out.row("M5009", 2017)["total"] == 21571
    odd = out.row("M5009", 2018)
    assert (odd["total"], odd["statut_frequentation"]) == (None, "non renseigné")
    assert out.examples("nombre_decimal") == ["M5009 | 2014, total « 19016.0 » (ligne 2)"]
    assert out.examples("nombre_avec_separateurs") == ["M5009 | 2017, total « 21 571 » (ligne 3)"]
    assert out.examples("valeur_source_illisible") == ["M5009 | 2018, total « 12.5 » (ligne 4)"]


def test_a_total_other_than_paid_plus_free_is_published_and_reported(tmp_path: Path) -> None:
    out = run(tmp_path, [site("M5010", "M05014", 2022, total="1037", payant="600", gratuit="400")])
    assert out.row("M5010", 2022)["total"] == 1037
    assert out.examples("total_different_payant_gratuit") == ["M5010 | 2022 (ligne 2)"]


# --- Sites into museums --------------------------------------------------------------------


def test_the_sites_of_a_museum_are_added_up(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        [
            site("M5001", "M05001", n="1000", scolaires="10", _18_25_ans="5"),
            site("M5001", "M05003", n="300", ville="CHAMALIERES", codeInseeCommune=CHAMALIERES),
            site("M5001", "M05002", n="200", scolaires="", nom_du_musee=""),
        ],
    )
    (row,) = out.rows
    assert row["identifiant_museofile"] == "M5001" and row["nombre_de_sites"] == 3
    assert (row["total"], row["payant"], row["gratuit"]) == (
        1500,
        600 + 180 + 120,
        400 + 120 + 80,
    )
    assert row["scolaires"] == 10 + 60  # an empty cell adds nothing
    assert row["de_18_a_25_ans"] == 5  # the only site that gives it
    assert row["moins_18_ans_hors_scolaires"] is None  # no site gives it
    assert row["identifiants_patrimostat"] == "M05001;M05002;M05003"
    assert row["statut_frequentation"] == "communiqué"
    # Two sites of three in Clermont-Ferrand: the museum is published there.
    assert (row["code_insee"], row["commune"]) == (CLERMONT, "Clermont-Ferrand")
    assert row["nom"] == "Musée M5001"
    assert out.examples("sites_agreges") == ["M5001 (ligne 2)"]
    assert out.examples("sites_plusieurs_communes") == ["M5001 (ligne 2)"]
    # The source suite sees the three lines, each under the key it was published with.
    assert [(r[KEY], r[LINE]) for r in out.source] == [("M5001 | 2024", str(n)) for n in (2, 3, 4)]


def test_sites_that_disagree_give_a_partial_total(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        [
            site("M5002", "M05004", 2020, n="2000"),
            site("M5002", "M05005", 2020, total="NC", payant="NC", gratuit="NC"),
            site("M5003", "M05006", 2020, total="F"),
            site("M5003", "M05016", 2020, total="NC"),
        ],
    )
    partial = out.row("M5002", 2020)
    assert (partial["statut_frequentation"], partial["total"]) == ("partiel", 2000)
    assert partial["payant"] == 1200
    no_number = out.row("M5003", 2020)
    assert (no_number["statut_frequentation"], no_number["total"]) == ("partiel", None)
    assert out.examples("frequentation_partielle") == [
        "M5002 | 2020 (ligne 2)",
        "M5003 | 2020 (ligne 4)",
    ]


def test_a_site_without_museofile_id_is_published_under_its_patrimostat_id(
    tmp_path: Path,
) -> None:
    out = run(
        tmp_path, [site("", "M06310", nom_du_musee="", ville="AUBIERE", codeInseeCommune=AUBIERE)]
    )
    row = out.row("M06310")
    assert row["identifiant_museofile_manquant"] is True
    assert row["nom"] == "" and row["identifiants_patrimostat"] == "M06310"
    assert out.examples("sans_identifiant_museofile") == ["M06310 (ligne 2)"]
    assert out.examples("musee_sans_nom") == ["M06310 (ligne 2)"]


def test_an_empty_museofile_id_is_taken_from_the_sites_other_years(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        [
            site("M5005", "M05010", 2015, ville="ROYAT", codeInseeCommune=ROYAT),
            site("", "M05010", 2016, ville="ROYAT", codeInseeCommune=ROYAT),
        ],
    )
    assert out.keys == [("M5005", 2015), ("M5005", 2016)]
    assert out.row("M5005", 2016)["identifiant_museofile_manquant"] is False
    assert out.examples("museofile_par_patrimostat") == ["M5005 | 2016 (ligne 3)"]
    assert "sans_identifiant_museofile" not in out.stats.problems


def test_a_site_twice_the_same_year_counts_once(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        [site("M5010", "M05014", 2021, n="900"), site("M5010", "M05014", 2021, n="1400")],
    )
    row = out.row("M5010", 2021)
    assert (row["total"], row["nombre_de_sites"]) == (900, 1)
    assert out.stats.duplicates == 1
    assert out.examples("doublon_site_annee") == ["M5010 | 2021 (ligne 3)"]
    assert len(out.source) == 1


# --- The territory -------------------------------------------------------------------------


def test_sites_are_chosen_on_their_insee_code(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        [
            site("M0901", "M00901", 2023, ville="PARIS", codeInseeCommune="75056", n="8807668"),
            site("M0903", "M00903", ville="NICE", codeInseeCommune="06088"),
            site("M5003", "M05006", ville="COURNON-D'AUVERGNE", codeInseeCommune=COURNON),
            site("M5003", "M05007", ville="RIOM", codeInseeCommune="63300", n="99999"),
            site("M5002", "M05005", 2018, codeInseeCommune=CLERMONT),
            site("M5002", "M05005", 2019, codeInseeCommune=""),
            site("M5002", "M05004", 2019, codeInseeCommune="6311"),
            site("M5011", "M05015", ville="LEMPDES", codeInseeCommune=""),
        ],
    )
    assert out.keys == [("M5002", 2018), ("M5002", 2019), ("M5003", 2024)]
    assert out.stats.out_of_territory == 4
    # A territory museum's annex elsewhere is left out, not added to its total.
    cournon = out.row("M5003")
    assert (cournon["total"], cournon["nombre_de_sites"], cournon["code_insee"]) == (
        1000,
        1,
        COURNON,
    )
    assert out.examples("site_hors_territoire") == ["M5003 (ligne 5)"]
    # Empty or malformed codes take the commune of the museum's (or site's) other lines.
    both = out.row("M5002", 2019)
    assert (both["nombre_de_sites"], both["code_insee"]) == (2, CLERMONT)
    assert out.examples("commune_par_musee") == ["M5002 | 2019 (ligne 7)", "M5002 | 2019 (ligne 8)"]
    # A member's name alone is not verifiable (Lempdes-sur-Allagnon, 43): reported, not kept.
    assert out.examples("sans_code_insee_ecarte") == ["M5011 (ligne 9)"]
    # Paris and Nice are silent: nothing ties them to the territory.
    assert set(out.stats.problems) == {
        "site_hors_territoire",
        "commune_par_musee",
        "sans_code_insee_ecarte",
        "sites_agreges",  # M5002 in 2019: its two sites
    }
    assert {r["code_insee"] for r in out.source} == {COURNON, CLERMONT, "", "6311"}


def test_the_commune_is_the_official_name_not_the_upper_case_town(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        [
            site("M5007", "M05012", ville="CHAMALIERES", codeInseeCommune=CHAMALIERES),
            site("M5009", "M05009", ville="MONTFERRAND", codeInseeCommune=CLERMONT),
        ],
    )
    assert out.row("M5007")["commune"] == "Chamalières"
    assert out.row("M5009")["commune"] == "Clermont-Ferrand"
    assert out.examples("ville_divergente") == [
        "M5009 (ligne 3)"
    ]  # accents alone are no divergence


def test_without_territory_every_site_is_kept_with_its_own_code(tmp_path: Path) -> None:
    path = write(
        tmp_path / "f.csv",
        [site("M0901", "M00901", ville="PARIS", codeInseeCommune="75056"), site("M5001", "M05001")],
    )
    out = transform(path, territory=None)
    assert out.keys == [("M0901", 2024), ("M5001", 2024)]
    assert (out.row("M0901")["code_insee"], out.row("M0901")["commune"]) == ("75056", "PARIS")


# --- Museum attributes ---------------------------------------------------------------------


def test_dates_closure_and_links(tmp_path: Path) -> None:
    closed = {"ferme": "OUI", "anneefermeture": "Inconnu", "ville": "LEMPDES"}
    out = run(
        tmp_path,
        [
            site("M5008", "M05013", 2019, codeInseeCommune=LEMPDES, **closed),
            site("M5008", "M05013", 2020, codeInseeCommune=LEMPDES, **closed),
            site(
                "M5012", "M05017", ferme="oui", anneefermeture="2023", dateappellation="2003-02-01"
            ),
            site("M5013", "M05018", ferme="", dateappellation="31/02/2003"),
            site("M5003", "M05006", lien_avec="Entrées cumulées avec la maison natale"),
            site(
                "M5003",
                "M05019",
                lien_avec="Entrées cumulées avec la maison natale",
                dateappellation="06/01/2002",
            ),
        ],
    )
    for annee in (2019, 2020):
        row = out.row("M5008", annee)
        assert row["ferme"] is True and row["annee_fermeture"] is None
        assert row["total"] == 1000  # closed today, it had visitors then
        assert row["date_appellation"] == date(2003, 2, 1)
    assert out.examples("ferme_avec_entrees") == ["M5008 (ligne 2)", "M5012 (ligne 4)"]
    assert out.examples("annee_fermeture_inconnue") == ["M5008 (ligne 2)"]
    later = out.row("M5012")
    assert (later["ferme"], later["annee_fermeture"]) == (True, 2023)
    assert later["date_appellation"] == date(2003, 2, 1)  # ISO read too
    unknown = out.row("M5013")
    assert (unknown["ferme"], unknown["date_appellation"]) == (None, None)
    assert out.examples("valeur_source_illisible") == [
        "M5013 | 2024, dateappellation « 31/02/2003 » (ligne 5)"
    ]
    linked = out.row("M5003")
    assert linked["lien_avec"] == "Entrées cumulées avec la maison natale"
    assert linked["date_appellation"] == date(2002, 1, 6)  # the earliest of its sites
    assert out.examples("sites_cumules") == ["M5003 (ligne 6)"]


# --- The file ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delimiter", "bom"), [(";", False), (";", True), (",", False), ("|", False)]
)
def test_the_separator_is_sniffed_and_a_quoted_separator_kept(
    tmp_path: Path, delimiter: str, bom: bool
) -> None:
    name = f"Musée du costume {delimiter} collections textiles"
    path = write(
        tmp_path / "f.csv",
        [site("M5006", "M05011", nom_du_musee=name)],
        delimiter=delimiter,
        bom=bom,
    )
    assert transform(path).row("M5006")["nom"] == name


def test_a_renamed_required_column_fails_naming_it(tmp_path: Path) -> None:
    header = tuple("code_commune_insee" if h == "codeInseeCommune" else h for h in sample.HEADER)
    with pytest.raises(SchemaError, match="codeInseeCommune"):
        run(tmp_path, [site("M5001", "M05001")], header=header)


def test_a_line_without_key_reaches_the_source_suite_only(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        [
            site("", "", nom_du_musee="Musée sans identifiants"),
            site("M5001", "M05001", annee="2O24"),
        ],
    )
    assert out.rows == []
    assert [(r[KEY], r[LINE]) for r in out.source] == [("ligne 2", "2"), ("ligne 3", "3")]
    assert out.source[1]["annee"] == "2O24"


def test_a_float_year_is_read(tmp_path: Path) -> None:
    out = run(tmp_path, [site("M5001", "M05001", annee="2024.0")])
    assert out.keys == [("M5001", 2024)]
    assert out.source[0]["annee"] == "2024.0"  # the source suite sees it as sent


# --- The snapshot's traps, by identifier ---------------------------------------------------


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Run:
    communes = with_contours(
        [Commune(c["code"], c["nom"], "63", "84", 0.0, 0.0) for c in clermont_communes()],
        real_contours(),
    )
    path = tmp_path_factory.mktemp("snapshot") / sample.FILENAME
    path.write_bytes(sample.snapshot_dataset(communes).content)
    return transform(path)


def test_snapshot_museums(snapshot: Run) -> None:
    museums = {r["identifiant_museofile"] for r in snapshot.rows}
    assert museums == {f"M{5001 + k}" for k in range(10)} | {"M06310"}
    assert not museums & {"M5011", "M0901", "M0902", "M0903", "M06901"}
    years = {k: {a for m, a in snapshot.keys if m == k} for k in museums}
    assert all(v == set(sample.YEARS) for v in years.values())


def test_snapshot_traps(snapshot: Run) -> None:
    s = snapshot
    m5001 = s.row("M5001", 2019)
    assert (m5001["nombre_de_sites"], m5001["code_insee"]) == (3, CLERMONT)
    assert m5001["identifiants_patrimostat"] == "M05001;M05002;M05003"
    assert s.examples("sites_plusieurs_communes") == ["M5001 (ligne 24)"]
    m5002 = s.row("M5002", 2020)
    assert m5002["statut_frequentation"] == "partiel" and m5002["total"] is not None
    assert s.row("M5002", 2019)["nombre_de_sites"] == 2
    assert s.examples("commune_par_musee")[0].startswith("M5002 | 2019")
    m5003 = s.row("M5003")
    assert m5003["nombre_de_sites"] == 1 and m5003["lien_avec"] != ""
    assert [e.split(" ")[0] for e in s.examples("site_hors_territoire")] == ["M5003"]
    assert [e.split(" ")[0] for e in s.examples("sites_cumules")] == ["M5003"]
    orphan = s.row("M06310")
    assert orphan["identifiant_museofile_manquant"] is True and orphan["nom"] == ""
    assert (s.row("M5004", 2021)["statut_frequentation"], s.row("M5004", 2021)["total"]) == (
        "non communiqué",
        None,
    )
    assert (s.row("M5005", 2018)["statut_frequentation"], s.row("M5005", 2018)["total"]) == (
        "non renseigné",
        None,
    )
    assert s.row("M5005", 2016)["identifiant_museofile_manquant"] is False
    assert {s.row("M5006", a)["statut_frequentation"] for a in (2020, 2021)} == {"fermé"}
    assert s.row("M5006")["nom"] == "Musée du costume ; collections textiles"
    assert {s.row("M5007", a)["statut_frequentation"] for a in (2023, 2024)} == {
        "retrait d'appellation"
    }
    m5008 = [s.row("M5008", a) for a in sample.YEARS]
    assert all(r["ferme"] is True and r["annee_fermeture"] is None for r in m5008)
    assert all(r["total"] for r in m5008[:8]) and {
        r["statut_frequentation"] for r in m5008[8:]
    } == {"fermé"}
    assert s.row("M5009", 2014)["total"] and s.row("M5009", 2017)["total"]
    assert s.row("M5009")["commune"] == "Clermont-Ferrand"
    assert s.row("M5010", 2021)["nombre_de_sites"] == 1
    assert s.stats.duplicates == 1
    by_kind = {kind: [e.split(" ")[0] for e in s.examples(kind)] for kind in s.stats.examples}
    assert by_kind == {
        "museofile_par_patrimostat": ["M5005"],
        "doublon_site_annee": ["M5010"],
        "commune_par_musee": ["M5002"],
        "sans_code_insee_ecarte": ["M5011"],
        "site_hors_territoire": ["M5003"],
        "sans_identifiant_museofile": ["M06310"],
        "musee_sans_nom": ["M06310"],
        "sites_agreges": ["M5001", "M5002"],
        "sites_plusieurs_communes": ["M5001"],
        "frequentation_partielle": ["M5002"],
        "sites_cumules": ["M5003"],
        "ferme_avec_entrees": ["M5008"],
        "annee_fermeture_inconnue": ["M5008"],
        "nombre_decimal": ["M5009", "M5009", "M5009"],
        "ville_divergente": ["M5009"],
        "nombre_avec_separateurs": ["M5009"],
        "total_different_payant_gratuit": ["M5010"],
    }
