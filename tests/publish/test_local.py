from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from patrimoine.catalog import load_catalog
from patrimoine.config import PROJECT_DIR
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
        hors_france=False,
        latitude=45.78,
        longitude=3.09,
        annee_premiere_protection=1840,
        date_maj_notice=date(2026, 7, 24),
        protections='[{"date": null, "annee": 1840, "statut": "classé", "partiel": true}]',
        lien_pop="https://pop.culture.gouv.fr/notice/merimee/PA00092083",
    )
    outside = dict(base, reference="PA00092084", latitude=3.09, longitude=45.78, hors_france=True)
    return [tuple(base.values()), tuple(outside.values())]


def test_rendered_csv_geojson_and_sheet() -> None:
    files, sheet = render(ENTRY, rows(), TERRITORY, {"url": "https://example/merimee.csv"})
    csv_text = files[0].content.decode("utf-8")
    header, first, _ = csv_text.splitlines()
    assert header.split(",") == ENTRY.column_names
    assert ",true," in first and ",2026-07-24," in first and ",45.78,3.09," in first
    geo = json.loads(files[1].content)
    assert [f["properties"]["reference"] for f in geo["features"]] == ["PA00092083"]
    assert geo["features"][0]["geometry"]["coordinates"] == [3.09, 45.78]
    assert geo["features"][0]["properties"]["protections"][0]["annee"] == 1840
    assert sheet["titre"] == "Monuments historiques – Clermont-Ferrand"
    assert "2 notices, dont 2 géolocalisées" in sheet["description"]
    assert sheet["couverture_temporelle"]["debut"] == "1840"
    assert [c["nom"] for c in sheet["colonnes"]] == ENTRY.column_names
    assert sheet["ressources"][0]["sha256"] == files[0].sha256


def test_plan_apply_then_unchanged(tmp_path: Path) -> None:
    publisher = LocalPublisher(tmp_path)
    files, sheet = render(ENTRY, rows(), TERRITORY, {})
    plan = publisher.plan(ENTRY, files, sheet)
    assert len(plan.actions) == 3
    result = publisher.apply(ENTRY, plan, files, sheet)
    assert not result.unchanged
    written = json.loads((tmp_path / ENTRY.name / "metadata.json").read_text())
    assert "mise_a_jour" in written
    assert publisher.plan(ENTRY, files, sheet).unchanged
    files2, sheet2 = render(ENTRY, rows("Maison natale"), TERRITORY, {})
    replan = publisher.plan(ENTRY, files2, sheet2)
    assert "remplacer monuments-historiques.csv" in replan.actions
    assert not list((tmp_path / ENTRY.name).glob(".*.tmp"))
