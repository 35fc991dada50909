"""Facts of the metadata sheet are declared in the catalog entry, and checked when loaded."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from patrimoine.catalog import FactSpec, load_catalog
from patrimoine.config import PROJECT_DIR
from patrimoine.errors import CatalogError
from patrimoine.publish.facts import compute
from patrimoine.publish.render import render
from tests.publish.test_local import ENTRY, TERRITORY, rows

NAME = "monuments-historiques"


def _copy_project(tmp_path: Path, **replace: str) -> Path:
    for folder in ("catalog", "schemas", "expectations"):
        shutil.copytree(PROJECT_DIR / folder, tmp_path / folder)
    path = tmp_path / "catalog" / f"{NAME}.toml"
    text = path.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return tmp_path / "catalog"


def test_the_monuments_entry_declares_its_counts() -> None:
    facts = {f.name: f for f in ENTRY.metadata.facts}
    assert facts["nb_classes"] == FactSpec(
        "nb_classes", "count", "statut_protection", None, "classé"
    )
    assert ENTRY.metadata.temporal is not None and ENTRY.metadata.temporal.start == "annee_min"


def test_each_kind_of_fact_is_computed_from_the_published_rows() -> None:
    base = rows()
    position = {n: i for i, n in enumerate(ENTRY.column_names)}

    def with_(row: tuple[object, ...], **values: object) -> tuple[object, ...]:
        out = list(row)
        for k, v in values.items():
            out[position[k]] = v
        return tuple(out)

    table = [
        with_(base[0], statut_protection="classé et inscrit", annee_premiere_protection=1840),
        with_(base[1], statut_protection="inscrit", annee_premiere_protection=1927),
        with_(base[1], statut_protection="", latitude=None, annee_premiere_protection=None),
    ]
    specs = (
        FactSpec("n_geo", "count", "latitude"),
        FactSpec("n_inscrit", "count", "statut_protection", contains="inscrit"),
        FactSpec("n_exact", "count", "statut_protection", equals="inscrit"),
        FactSpec("n_status", "distinct", "statut_protection"),
        FactSpec("total", "sum", "annee_premiere_protection"),
        FactSpec("first", "min", "annee_premiere_protection"),
        FactSpec("last", "max", "annee_premiere_protection"),
    )
    entry = replace(ENTRY, metadata=replace(ENTRY.metadata, facts=specs))
    assert compute(entry, table) == {
        "n_geo": 2,
        "n_inscrit": 2,
        "n_exact": 1,
        "n_status": 2,
        "total": 3767,
        "first": 1840,
        "last": 1927,
    }
    empty = compute(entry, [])
    assert empty["first"] is None and empty["n_geo"] == 0 and empty["total"] == 0


def test_the_sheet_uses_the_declared_facts() -> None:
    _, sheet = render(ENTRY, rows(), TERRITORY, {})
    assert "1 édifices sont classés" not in sheet["description"]
    assert "2 notices, dont 2 géolocalisées ; 2 édifices sont classés" in sheet["description"]
    assert sheet["couverture_temporelle"] == {
        "debut": "1840",
        "fin": "1840",
        "description": "Années des actes de protection (première protection de chaque notice)",
    }


def test_a_dataset_without_coordinates_publishes_no_geojson(tmp_path: Path) -> None:
    catalog = _copy_project(
        tmp_path,
        **{
            '[geometry]\nlatitude = "latitude"\nlongitude = "longitude"\n': "[geometry]\n",
            'suspect = "coordonnees_douteuses"\n': "",
            # No coordinates, no map: its declaration goes too (the catalog refuses it).
            '[visuals.map]\ncategory = "statut_protection"\n'
            'popup = ["reference", "titre", "commune", "lien_pop"]\n': "",
        },
    )
    entry = load_catalog(catalog)[NAME]
    files, sheet = render(entry, rows(), TERRITORY, {})
    assert [f.name for f in files] == [f"{NAME}.csv", "changelog.csv"]
    assert [r["fichier"] for r in sheet["ressources"]] == [f"{NAME}.csv", "changelog.csv"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'nb_inscrits = { count = "statut_protection", contains = "inscrit" }',
            'nb_inscrits = { count = "statut" }',
            r"colonne\(s\) inconnue\(s\) statut",
        ),
        (
            'nb_inscrits = { count = "statut_protection", contains = "inscrit" }',
            'nb_inscrits = { count = "latitude", sum = "latitude" }',
            "une seule opération",
        ),
        (
            'nb_inscrits = { count = "statut_protection", contains = "inscrit" }\n',
            "",
            r"\{nb_inscrits\} non déclaré",
        ),
        ('start = "annee_min"', 'start = "premiere_annee"', r"\{premiere_annee\} non déclaré"),
    ],
)
def test_broken_fact_declarations_are_named(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    catalog = _copy_project(tmp_path, **{old: new})
    with pytest.raises(CatalogError, match=message):
        load_catalog(catalog)


def test_a_title_names_only_the_territory(tmp_path: Path) -> None:
    catalog = _copy_project(
        tmp_path,
        **{'title = "Monuments historiques – {territoire}"': 'title = "{nb_lignes} monuments"'},
    )
    with pytest.raises(CatalogError, match=r"titre ne peut utiliser que \{territoire\}"):
        load_catalog(catalog)


def test_a_sum_reads_as_french_writes_it_in_the_description() -> None:
    entry = replace(
        ENTRY,
        metadata=replace(
            ENTRY.metadata,
            description="{total} entrées, {n}",
            facts=(
                FactSpec("total", "sum", "annee_premiere_protection"),
                FactSpec("n", "count", "latitude"),
            ),
        ),
    )
    many = rows() * 600
    _, sheet = render(entry, many, TERRITORY, {})
    assert sheet["description"] == "2\u202f208\u202f000 entrées, 1200"
