from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from patrimoine.catalog import load_catalog
from patrimoine.config import PROJECT_DIR
from patrimoine.errors import PublishError
from patrimoine.publish.local import LocalPublisher
from patrimoine.publish.render import render
from patrimoine.territory import Commune, Territory

ENTRY = load_catalog(PROJECT_DIR / "catalog")["monuments-historiques"]
TERRITORY = Territory(
    "communes:63113", "Clermont-Ferrand", (Commune("63113", "Clermont-Ferrand", "63"),)
)


def rows(titre: str = "Maison") -> list[tuple[object, ...]]:
    base: dict[str, object] = dict.fromkeys(ENTRY.column_names)
    base.update(
        reference="PA00092083",
        titre=titre,
        code_insee="63113",
        commune="Clermont-Ferrand",
        statut_protection="classé",
        protection_partielle=True,
        coordonnees_douteuses=False,
        latitude=45.78,
        longitude=3.09,
        annee_premiere_protection=1840,
        date_maj_notice=date(2026, 7, 24),
        protections='[{"date": null, "annee": 1840, "statut": "classé", "partiel": true}]',
        lien_pop="https://pop.culture.gouv.fr/notice/merimee/PA00092083",
    )
    outside = dict(
        base, reference="PA00092084", latitude=-21.1, longitude=55.5, coordonnees_douteuses=True
    )
    return [tuple(base.values()), tuple(outside.values())]


def test_rendered_csv_geojson_and_sheet() -> None:
    files, sheet = render(ENTRY, rows(), TERRITORY, {"url": "https://example/merimee.csv"})
    csv_text = files[0].content.decode("utf-8")
    header, first, _ = csv_text.splitlines()
    assert header.split(",") == ENTRY.column_names
    assert ",true," in first and ",2026-07-24," in first and ",45.78,3.09," in first
    # The suspect point stays in the CSV for checking, but off the map.
    assert ",-21.1,55.5,true," in csv_text.splitlines()[2]
    geo = json.loads(files[1].content)
    assert [f["properties"]["reference"] for f in geo["features"]] == ["PA00092083"]
    assert geo["features"][0]["geometry"]["coordinates"] == [3.09, 45.78]
    assert geo["features"][0]["properties"]["protections"][0]["annee"] == 1840
    assert sheet["titre"] == "Monuments historiques – Clermont-Ferrand"
    assert "2 notices, dont 2 géolocalisées" in sheet["description"]
    assert sheet["couverture_temporelle"]["debut"] == "1840"
    assert [c["nom"] for c in sheet["colonnes"]] == ENTRY.column_names
    assert sheet["ressources"][0]["sha256"] == files[0].sha256
    assert [f.name for f in files] == [
        f"{ENTRY.name}.csv",
        f"{ENTRY.name}.geojson",
        "changelog.csv",
    ]
    assert files[2].content.decode() == (
        "date,identifiant,type_de_changement,colonne,ancienne_valeur,nouvelle_valeur\n"
    )
    assert sheet["derniers_changements"] is None


def test_changelog_and_last_changes_from_the_history() -> None:
    from datetime import UTC, datetime

    from patrimoine.staging.history import Change

    at = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
    changes = [
        Change(at, "r2", "PA00092083", "modification", "titre", "Maison", "Maison natale"),
        Change(at, "r2", "PA00092085", "ajout"),
        Change(datetime(2026, 11, 1, tzinfo=UTC), "r1", "PA00092084", "suppression"),
    ]
    files, sheet = render(ENTRY, rows(), TERRITORY, {}, changes)
    assert files[2].content.decode().splitlines() == [
        "date,identifiant,type_de_changement,colonne,ancienne_valeur,nouvelle_valeur",
        "2026-12-01T02:30:00+01:00,PA00092083,modification,titre,Maison,Maison natale",
        "2026-12-01T02:30:00+01:00,PA00092085,ajout,,,",
        "2026-11-01T01:00:00+01:00,PA00092084,suppression,,,",
    ]
    assert sheet["derniers_changements"] == {
        "date": "2026-12-01T02:30:00+01:00",
        "ajouts": 1,
        "suppressions": 0,
        "modifications": 1,
        "colonnes_modifiees": ["titre"],
        "identifiants": ["PA00092083", "PA00092085"],
    }
    assert (
        "Derniers changements le 01/12/2026 : 1 ajout, 1 modification (colonnes : titre)"
        in (sheet["description"])
    )


def test_files_are_replaced_as_a_set(tmp_path: Path) -> None:
    """The dataset folder is a link swapped in one rename to a complete version folder."""
    publisher = LocalPublisher(tmp_path)
    files, sheet = render(ENTRY, rows(), TERRITORY, {})
    publisher.apply(ENTRY, publisher.plan(ENTRY, files, sheet), files, sheet)
    folder = tmp_path / ENTRY.name
    assert folder.is_symlink()
    first_version = folder.resolve()
    reader = os.open(folder, os.O_RDONLY)  # a reader that opened the folder before the swap
    try:
        files2, sheet2 = render(ENTRY, rows("Maison natale"), TERRITORY, {})
        publisher.apply(ENTRY, publisher.plan(ENTRY, files2, sheet2), files2, sheet2)
        assert folder.resolve() != first_version
        old_csv = os.open(f"{ENTRY.name}.csv", os.O_RDONLY, dir_fd=reader)
        with os.fdopen(old_csv, "rb") as handle:
            assert handle.read() == files[0].content  # the old set, whole
        old_sheet = json.loads(Path(first_version, "metadata.json").read_text())
        assert old_sheet["ressources"][0]["sha256"] == files[0].sha256
    finally:
        os.close(reader)
    new_sheet = json.loads((folder / "metadata.json").read_text())
    assert (folder / f"{ENTRY.name}.csv").read_bytes() == files2[0].content
    assert new_sheet["ressources"][0]["sha256"] == files2[0].sha256
    # Older versions are pruned; the current and the previous one stay.
    for title in ("Maison 3", "Maison 4"):
        files3, sheet3 = render(ENTRY, rows(title), TERRITORY, {})
        publisher.apply(ENTRY, publisher.plan(ENTRY, files3, sheet3), files3, sheet3)
    assert len(list((tmp_path / ".versions" / ENTRY.name).iterdir())) == 2


def test_a_folder_left_by_0_1_0_becomes_a_version(tmp_path: Path) -> None:
    legacy = tmp_path / ENTRY.name
    legacy.mkdir()
    (legacy / "metadata.json").write_text("{}")
    publisher = LocalPublisher(tmp_path)
    files, sheet = render(ENTRY, rows(), TERRITORY, {})
    publisher.apply(ENTRY, publisher.plan(ENTRY, files, sheet), files, sheet)
    assert legacy.is_symlink()
    assert (tmp_path / ".versions" / ENTRY.name / "legacy" / "metadata.json").read_text() == "{}"


def test_a_write_failing_midway_leaves_the_published_set(tmp_path: Path) -> None:
    from dataclasses import replace

    publisher = LocalPublisher(tmp_path)
    files, sheet = render(ENTRY, rows(), TERRITORY, {})
    publisher.apply(ENTRY, publisher.plan(ENTRY, files, sheet), files, sheet)
    before = {p.name: p.read_bytes() for p in (tmp_path / ENTRY.name).iterdir()}
    files2, sheet2 = render(ENTRY, rows("Autre"), TERRITORY, {})
    # Under a name already written as a file: fails after 2 files (a folder of assets is fine).
    files2[-1] = replace(files2[-1], name=f"{files2[0].name}/changelog.csv")
    with pytest.raises(PublishError, match="écriture impossible"):
        publisher.apply(ENTRY, publisher.plan(ENTRY, files2, sheet2), files2, sheet2)
    assert {p.name: p.read_bytes() for p in (tmp_path / ENTRY.name).iterdir()} == before
    assert len(list((tmp_path / ".versions" / ENTRY.name).iterdir())) == 1  # no half version


def test_plan_apply_then_unchanged(tmp_path: Path) -> None:
    publisher = LocalPublisher(tmp_path)
    files, sheet = render(ENTRY, rows(), TERRITORY, {})
    plan = publisher.plan(ENTRY, files, sheet)
    assert len(plan.actions) == 4
    result = publisher.apply(ENTRY, plan, files, sheet)
    assert not result.unchanged
    written = json.loads((tmp_path / ENTRY.name / "metadata.json").read_text())
    assert "mise_a_jour" in written
    assert publisher.plan(ENTRY, files, sheet).unchanged
    files2, sheet2 = render(ENTRY, rows("Maison natale"), TERRITORY, {})
    replan = publisher.plan(ENTRY, files2, sheet2)
    assert "remplacer monuments-historiques.csv" in replan.actions
    assert not list((tmp_path / ENTRY.name).glob(".*.tmp"))
