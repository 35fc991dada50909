"""The synthetic attendance file, and what a refresh of the real pipeline publishes from it.

The generator is checked for determinism, for the file's shape (``;``, minimal quoting,
the 20 columns) and for each trap of :data:`tests.samples.frequentation.TRAPS`, by
identifier. Then the snapshot's bytes are served by the local upstream (real HTTP), the
dataset is refreshed once, and each trap's outcome is read back by identifier from the
published CSV, the run's remarks and warnings; a second refresh shows a renamed required
column failing the dataset with a message naming it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from patrimoine.pipeline import Outcome, refresh_many
from tests.conftest import make_settings
from tests.samples import frequentation as sample
from tests.servers import (
    CLERMONT_EPCI_SIREN,
    UpstreamServer,
    clermont_communes,
    upstream_env,
)
from tests.transforms.geo import sample_communes

NAME = "frequentation-musees"
COMMUNES = sample_communes()
CODES = {c.code for c in COMMUNES}
SNAPSHOT = sample.snapshot_dataset(COMMUNES)


def parsed(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8")), delimiter=";"))


ROWS = parsed(SNAPSHOT.content)


def lines_of(site: str, year: int | None = None) -> list[dict[str, str]]:
    return [
        r for r in ROWS if r["IDPatrimostat"] == site and (year is None or r["annee"] == str(year))
    ]


def line(site: str, year: int) -> dict[str, str]:
    (found,) = lines_of(site, year)
    return found


# --- The generator -------------------------------------------------------------------------


def test_the_generator_is_deterministic() -> None:
    again = sample.snapshot_dataset(COMMUNES)
    assert again.content == SNAPSHOT.content
    assert sample.sample_rows(COMMUNES, seed=1) != sample.sample_rows(COMMUNES, seed=2)
    assert sample.readme_section(COMMUNES) == sample.readme_section(COMMUNES)


def test_the_dataset_answer_describes_the_real_resource() -> None:
    assert (SNAPSHOT.dataset_id, SNAPSHOT.resource_id) == (
        "5af120e7b595087cfabcde82",
        "7708e380-e7f8-4b56-936a-5d2a262d852d",
    )
    assert SNAPSHOT.filename == "frequentation-des-musees-de-france.csv"
    assert SNAPSHOT.frequency == "annual" and SNAPSHOT.fmt == "csv"
    assert SNAPSHOT.modified.tzinfo == dt.UTC and SNAPSHOT.modified.strftime("%Y-%m") == "2026-11"
    assert sample.snapshot_inputs(COMMUNES) == {}
    assert len(SNAPSHOT.content) < 40_000


def test_the_file_format() -> None:
    text = SNAPSHOT.content.decode("utf-8")
    assert not text.startswith("\ufeff") and "\r" not in text and text.endswith("\n")
    header, *body = text.splitlines()
    assert header == ";".join(sample.HEADER)  # unquoted, the 20 columns of sources.md §3.4
    assert len(sample.HEADER) == 20
    assert all(len(r) == 20 for r in csv.reader(body, delimiter=";"))
    # Minimal quoting: only the name holding the separator is quoted.
    quoted = [b for b in body if '"' in b]
    assert len(quoted) == len(sample.YEARS)
    assert all('"Musée du costume ; collections textiles"' in b for b in quoted)
    assert all(re.fullmatch(r"\d{2}/\d{2}/\d{4}", r["dateappellation"]) for r in ROWS)
    assert {r["annee"] for r in ROWS} == {str(y) for y in sample.YEARS}
    assert all(r["ville"] == r["ville"].upper() for r in ROWS)
    assert {r["ferme"] for r in ROWS} == {"OUI", "NON"}
    assert {r["codeInseeCommune"] for r in ROWS} >= {"75056", "06088", "63300", ""}


def test_the_clean_sample_has_no_trap() -> None:
    rows = sample.sample_rows(COMMUNES, traps=False)
    assert len(rows) == 11 * len(sample.YEARS)
    assert {r["IDMuseofile"] for r in rows} == {f"M{5001 + k}" for k in range(11)}
    assert all(r["codeInseeCommune"] in CODES for r in rows)
    counts = [r[c] for r in rows for c in ("total", "payant", "gratuit")]
    assert all(v.isdigit() for v in counts)
    assert all(int(r["payant"]) + int(r["gratuit"]) == int(r["total"]) for r in rows)


def test_each_trap_is_in_the_file() -> None:
    identifiers = {t.identifier for t in sample.TRAPS}
    assert identifiers == {f"M{5001 + k}" for k in range(11)} | {
        "M06310",
        "M0901",
        "M0902",
        "M0903",
        "M06901",
    }
    # M5001: three sites a year, one of them in Chamalières.
    m5001 = [r for r in ROWS if r["IDMuseofile"] == "M5001" and r["annee"] == "2019"]
    assert sorted((r["IDPatrimostat"], r["codeInseeCommune"]) for r in m5001) == [
        ("M05001", "63113"),
        ("M05002", "63113"),
        ("M05003", "63075"),
    ]
    assert line("M05005", 2020)["total"] == "NC" and line("M05004", 2020)["total"].isdigit()
    assert line("M05005", 2019)["codeInseeCommune"] == ""
    assert {r["lien_avec"] for r in ROWS if r["IDMuseofile"] == "M5003"} == {
        "Entrées cumulées avec la maison natale"
    }
    assert {r["codeInseeCommune"] for r in lines_of("M05007")} == {"63300"}
    orphan = lines_of("M06310")
    assert {(r["IDMuseofile"], r["nom_du_musee"]) for r in orphan} == {("", "")}
    assert line("M05008", 2021)["total"] == "NC"
    blank = line("M05010", 2018)
    assert (blank["ferme"], blank["total"], blank["payant"], blank["gratuit"]) == (
        "NON",
        "",
        "",
        "",
    )
    assert line("M05010", 2016)["IDMuseofile"] == ""
    assert [line("M05011", y)["total"] for y in (2020, 2021)] == ["F", "F"]
    assert [line("M05012", y)["total"] for y in (2023, 2024)] == ["R", "R"]
    m5008 = lines_of("M05013")
    assert {(r["ferme"], r["anneefermeture"]) for r in m5008} == {("OUI", "Inconnu")}
    assert all(int(r["total"]) > 0 for r in m5008 if int(r["annee"]) <= 2021)
    assert re.fullmatch(r"\d+\.0", line("M05009", 2014)["total"])
    assert re.fullmatch(r"\d{1,3} \d{3}", line("M05009", 2017)["total"])
    assert {r["ville"] for r in lines_of("M05009")} == {"MONTFERRAND"}
    twice = lines_of("M05014", 2021)
    assert len(twice) == 2 and twice[0]["total"] != twice[1]["total"]
    off = line("M05014", 2022)
    assert int(off["payant"]) + int(off["gratuit"]) != int(off["total"])
    assert {(r["codeInseeCommune"], r["ville"]) for r in lines_of("M05015")} == {("", "LEMPDES")}
    louvre = {r["annee"]: r for r in lines_of("M00901")}
    assert (louvre["2023"]["total"], louvre["2023"]["payant"], louvre["2023"]["gratuit"]) == (
        "8807668",
        "5534435",
        "3273233",
    )
    assert louvre["2024"]["total"] == "8681079" and louvre["2024"]["codeInseeCommune"] == "75056"
    assert {r["codeInseeCommune"] for r in lines_of("M00902")} == {"63300"}
    assert {r["codeInseeCommune"] for r in lines_of("M00903")} == {"06088"}
    assert {(r["IDMuseofile"], r["codeInseeCommune"]) for r in lines_of("M06901")} == {
        ("", "57463")
    }


def test_the_readme_section_lists_every_trap() -> None:
    section = sample.readme_section(COMMUNES)
    assert section.startswith("## Fréquentation des Musées de France")
    assert "[INFERRED]" in section
    assert SNAPSHOT.file_path in section
    for trap in sample.TRAPS:
        assert f"| `{trap.identifier}` |" in section


# --- A refresh from the snapshot's bytes -----------------------------------------------------


@dataclass
class Refreshed:
    outcome: Outcome
    folder: Path

    @property
    def published(self) -> dict[tuple[str, str], dict[str, str]]:
        text = (self.folder / f"{NAME}.csv").read_text(encoding="utf-8")
        rows = csv.DictReader(io.StringIO(text))
        return {(r["identifiant_museofile"], r["annee"]): r for r in rows}

    def remark(self, start: str) -> str:
        (found,) = [r for r in self.outcome.remarks if r.startswith(start)]
        return found


@pytest.fixture(scope="module")
def server() -> Iterator[UpstreamServer]:
    with UpstreamServer() as upstream:
        upstream.add_epci(
            CLERMONT_EPCI_SIREN, clermont_communes(), nom="Clermont Auvergne Métropole"
        )
        upstream.add_datagouv_dataset(SNAPSHOT.dataset_id, [SNAPSHOT.served_file()])
        yield upstream
    assert not upstream.errors, upstream.errors


@pytest.fixture(scope="module")
def refreshed(server: UpstreamServer, tmp_path_factory: pytest.TempPathFactory) -> Refreshed:
    settings = make_settings(tmp_path_factory.mktemp("refresh"), **upstream_env(server))
    (outcome,) = refresh_many(settings, [NAME])
    return Refreshed(outcome, settings.portal_dir / NAME)


def test_the_refresh_publishes_one_row_per_museum_and_year(refreshed: Refreshed) -> None:
    outcome = refreshed.outcome
    assert outcome.status == "updated", outcome.error
    assert (outcome.rows_read, outcome.rows_kept, outcome.rows_published) == (221, 154, 121)
    assert outcome.quarantined == []
    assert sorted(p.name for p in refreshed.folder.iterdir()) == [
        "changelog.csv",
        f"{NAME}.csv",
        "metadata.json",
    ]  # no coordinates, no GeoJSON
    museums = Counter(m for m, _ in refreshed.published)
    assert museums == {m: 11 for m in [f"M{5001 + k}" for k in range(10)] + ["M06310"]}
    metadata = json.loads((refreshed.folder / "metadata.json").read_text(encoding="utf-8"))
    assert "121 lignes" in metadata["description"] and "pour 11 musées" in metadata["description"]
    assert metadata["couverture_temporelle"]["debut"] == "2014"
    assert metadata["attribution"].startswith("Ministère de la Culture")


def test_the_refresh_outcome_of_each_trap(refreshed: Refreshed) -> None:
    rows = refreshed.published

    def row(museum: str, year: int = 2024) -> dict[str, str]:
        return rows[(museum, str(year))]

    m5001 = row("M5001", 2019)
    assert (m5001["nombre_de_sites"], m5001["code_insee"], m5001["commune"]) == (
        "3",
        "63113",
        "Clermont-Ferrand",
    )
    sites = {r["IDPatrimostat"]: int(r["total"]) for r in ROWS if r["IDMuseofile"] == "M5001"}
    assert sites.keys() == {"M05001", "M05002", "M05003"}
    assert int(m5001["total"]) == sum(
        int(line(s, 2019)["total"]) for s in ("M05001", "M05002", "M05003")
    )
    partial = row("M5002", 2020)
    assert partial["statut_frequentation"] == "partiel"
    assert partial["total"] == line("M05004", 2020)["total"]
    assert row("M5002", 2019)["nombre_de_sites"] == "2"
    m5003 = row("M5003")
    assert (m5003["nombre_de_sites"], m5003["lien_avec"], m5003["code_insee"]) == (
        "1",
        "Entrées cumulées avec la maison natale",
        "63124",
    )
    orphan = row("M06310")
    assert (orphan["identifiant_museofile_manquant"], orphan["nom"]) == ("true", "")
    nc, empty = row("M5004", 2021), row("M5005", 2018)
    assert (nc["total"], nc["statut_frequentation"]) == ("", "non communiqué")
    assert (empty["total"], empty["statut_frequentation"], empty["ferme"]) == (
        "",
        "non renseigné",
        "false",
    )
    assert row("M5005", 2016)["identifiant_museofile_manquant"] == "false"
    assert [row("M5006", y)["statut_frequentation"] for y in (2020, 2021)] == ["fermé", "fermé"]
    assert row("M5006")["nom"] == "Musée du costume ; collections textiles"
    assert [row("M5007", y)["statut_frequentation"] for y in (2023, 2024)] == [
        "retrait d'appellation"
    ] * 2
    m5008 = [row("M5008", y) for y in sample.YEARS]
    assert {(r["ferme"], r["annee_fermeture"]) for r in m5008} == {("true", "")}
    assert all(int(r["total"]) > 0 for r in m5008[:8])
    assert row("M5009", 2014)["total"] == line("M05009", 2014)["total"].removesuffix(".0")
    assert row("M5009", 2017)["total"] == line("M05009", 2017)["total"].replace(" ", "")
    assert row("M5009")["commune"] == "Clermont-Ferrand"
    assert row("M5010", 2021)["total"] == lines_of("M05014", 2021)[0]["total"]
    assert row("M5010", 2022)["total"] == line("M05014", 2022)["total"]
    assert row("M5001")["date_appellation"] == "2003-02-01"
    assert not {k for k, _ in rows} & {"M5011", "M0901", "M0902", "M0903", "M06901"}


def test_the_refresh_reports_each_trap_by_identifier(refreshed: Refreshed) -> None:
    r = refreshed.remark
    assert r("musée à plusieurs sites").endswith(": M5001 (ligne 24), M5002 (ligne 68)")
    assert "M5001" in r("sites d'un musée dans plusieurs communes")
    assert "M5002 | 2020" in r("sites d'un musée aux statuts différents")
    assert "M5002 | 2019" in r("code INSEE vide ou mal formé")
    assert "M5003" in r("site d'un musée du territoire situé hors du territoire")
    assert "M5003" in r("sites cumulés (lien_avec)")
    assert "M06310" in r("site sans identifiant Muséofile")
    assert "M06310" in r("musée sans nom")
    assert "M5005 | 2016" in r("identifiant Muséofile vide, repris")
    assert "M5008" in r("musée fermé (état actuel) qui déclare des entrées")
    assert "M5008" in r("année de fermeture « Inconnu »")
    assert "M5009 | 2014" in r("nombre écrit avec des décimales")
    assert "M5009 | 2017" in r("nombre avec séparateur de milliers")
    assert "M5009" in r("ville de la source différente")
    assert "M5010 | 2021" in r("site présent deux fois la même année")
    assert "M5010 | 2022" in r("total différent de payant + gratuit")
    assert "M5011" in r("site sans code INSEE au nom d'une commune")
    assert len(refreshed.outcome.remarks) == 17
    # The float and grouped numbers also trip the source suite's format checks (warnings).
    warnings = refreshed.outcome.warnings
    assert [w.split(" (")[0] for w in warnings] == [
        f"Valeur de « {c} » ni entier ni code F, NC ou R" for c in ("total", "payant", "gratuit")
    ]
    assert all(
        w.endswith(": M5009 | 2014, M5009 | 2015, M5009 | 2016, M5009 | 2017") for w in warnings
    )


def test_a_renamed_required_column_fails_the_dataset_naming_it(
    server: UpstreamServer, tmp_path: Path
) -> None:
    renamed = tuple("code_commune" if h == "codeInseeCommune" else h for h in sample.HEADER)
    server.replace_file(
        SNAPSHOT.dataset_id, SNAPSHOT.filename, sample.sample_content(ROWS, renamed)
    )
    try:
        settings = make_settings(tmp_path, **upstream_env(server))
        (outcome,) = refresh_many(settings, [NAME])
    finally:
        server.replace_file(SNAPSHOT.dataset_id, SNAPSHOT.filename, SNAPSHOT.content)
    assert (outcome.status, outcome.stage) == ("failed", "transform")
    assert "codeInseeCommune" in (outcome.error or "")
    assert not (settings.portal_dir / NAME).exists()
