"""What the nightly refresh refuses to publish silently: renamed columns, bad records,
mass removals, emptied or dropped columns, and schema changes that must not break it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from patrimoine.config import PROJECT_DIR, Settings
from patrimoine.pipeline import refresh_many
from patrimoine.stages import engine_for
from patrimoine.staging import history, quarantine
from tests.pipeline.helpers import (
    NAME,
    aube_rows,
    changelog,
    clermont_rows,
    entry,
    geojson_refs,
    last_run,
    published,
    published_csv,
    serve,
    settings_for,
    staged_refs,
)
from tests.samples.merimee import MERIMEE_HEADER
from tests.servers import UpstreamServer


def renamed(old: str, new: str) -> tuple[tuple[str, ...], list[dict[str, str]]]:
    header = tuple(new if h == old else h for h in MERIMEE_HEADER)
    rows = [{(new if k == old else k): v for k, v in r.items()} for r in clermont_rows()]
    return header, rows


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("coordonnees_au_format_WGS84", "coordonnees_WGS84", "coordonnees"),
        ("Date_et_typologie_de_la_protection", "Dates_protection", "historique_protection"),
    ],
    ids=["coordinates-renamed", "protection-history-renamed"],
)
def test_a_renamed_column_blocks_the_dataset(
    first_run: Settings, upstream: UpstreamServer, old: str, new: str, field: str
) -> None:
    """Once, the GeoJSON went from 114 features to 0 and every notice lost its protections."""
    files, refs = published(first_run), staged_refs(first_run)
    header, rows = renamed(old, new)
    serve(upstream, rows + aube_rows(), header=header)
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "failed" and outcome.stage == "validate"
    assert f"Colonne « {old} » absente du fichier source" in (outcome.error or "")
    assert f"[source.aliases] {field}" in (outcome.error or "")
    assert published(first_run) == files and staged_refs(first_run) == refs


def test_a_catalog_alias_adopts_the_renamed_column(
    tmp_path: Path, upstream: UpstreamServer
) -> None:
    project = tmp_path / "project"
    for folder in ("catalog", "schemas", "expectations"):
        shutil.copytree(PROJECT_DIR / folder, project / folder)
    toml = project / "catalog" / f"{NAME}.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            "[source.aliases]\n", '[source.aliases]\ncoordonnees = ["coordonnees_WGS84"]\n'
        ),
        encoding="utf-8",
    )
    header, rows = renamed("coordonnees_au_format_WGS84", "coordonnees_WGS84")
    serve(upstream, rows + aube_rows(), header=header)
    settings = settings_for(tmp_path, upstream, PATRIMOINE_CATALOG_DIR=str(project / "catalog"))
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    assert geojson_refs(settings) == {r["Reference"] for r in rows if r["coordonnees_WGS84"]}


def test_bad_records_are_quarantined_and_the_rest_is_published(
    settings: Settings, upstream: UpstreamServer
) -> None:
    first_run = settings
    serve(upstream, clermont_rows(per_commune=6) + aube_rows())
    assert refresh_many(first_run, [NAME])[0].status == "updated"
    rows = clermont_rows(per_commune=6)  # 18 notices: 3 left out stay under the 20 % guard
    good = [r["Reference"] for r in rows[3:]]
    rows[0] = dict(rows[0], Reference="PA0009208X")
    rows[1] = dict(rows[1], Titre_editorial_de_la_notice="")
    rows[2] = dict(rows[2], Reference="")
    serve(upstream, rows + aube_rows())
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "updated", outcome.error
    assert outcome.rows_quarantined == 3
    assert [r["reference"] for r in published_csv(first_run)] == sorted(good)
    run = last_run(first_run)
    left_out = {
        q["record_key"]: q["reasons"]
        for q in quarantine.of_run(engine_for(first_run), run["run_id"])
    }
    line = next(k for k in left_out if k.startswith("ligne "))
    assert left_out == {
        "PA0009208X": ["« reference » au format invalide (attendu ^PA\\d{8}$)"],
        rows[1]["Reference"]: ["« titre » vide (obligatoire)"],
        line: ["Notice sans référence Mérimée (Reference vide)"],
    }
    assert any("PA0009208X" in q for q in outcome.quarantined)


def test_a_blocking_failure_publishes_nothing_and_keeps_the_last_good_version(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    files, refs = published(first_run), staged_refs(first_run)
    header, rows = renamed("Titre_editorial_de_la_notice", "Titre")
    serve(upstream, rows + aube_rows(), header=header)
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "failed" and outcome.stage == "validate"
    assert "la dernière version valide reste en ligne" in (outcome.error or "")
    assert published(first_run) == files and staged_refs(first_run) == refs
    report = last_run(first_run)["details"]["validation"]
    assert any(p["level"] == "blocking" for p in report["problems"])


@pytest.mark.parametrize(
    ("kept", "held"),
    [(0.6, True), (1 / 7, True), (0.8, False)],
    ids=["40-percent-removed", "shrunk-to-a-seventh", "20-percent-removed"],
)
def test_mass_removal_is_held_back_until_accepted(
    tmp_path: Path, upstream: UpstreamServer, kept: float, held: bool
) -> None:
    settings = settings_for(tmp_path, upstream)
    rows = clermont_rows(per_commune=5)  # 15 notices
    serve(upstream, rows + aube_rows())
    (first,) = refresh_many(settings, [NAME])
    assert first.status == "updated", first.error
    files, refs = published(settings), staged_refs(settings)
    shrunk = rows[: round(len(rows) * kept)]
    serve(upstream, shrunk + aube_rows())
    (outcome,) = refresh_many(settings, [NAME])
    if not held:
        assert outcome.status == "updated", outcome.error
        return
    assert outcome.status == "held" and not outcome.ok
    assert "disparaîtraient" in (outcome.error or "") and "--accept-drop" in (outcome.error or "")
    assert published(settings) == files and staged_refs(settings) == refs
    assert last_run(settings)["status"] == "held"

    (accepted,) = refresh_many(settings, [NAME], accept_drop=True)
    assert accepted.status == "updated", accepted.error
    assert staged_refs(settings) == sorted(r["Reference"] for r in shrunk)
    run = last_run(settings)
    assert run["accept_drop"] is True or run["accept_drop"] == 1
    assert run["details"]["guards"][0]["guard"] == "mass_removal"


def test_a_column_emptied_upstream_is_held_back(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    files = published(first_run)
    rows = [dict(r, coordonnees_au_format_WGS84="") for r in clermont_rows()]
    serve(upstream, rows + aube_rows())
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "held"
    assert "la colonne « latitude » serait entièrement vidée" in (outcome.error or "")
    assert published(first_run) == files
    assert any("géolocalisées" in w for w in outcome.warnings)  # the source suite said so


def test_a_source_without_territory_notices_is_held_back(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    files = published(first_run)
    serve(upstream, aube_rows())
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "held" and "aucune ligne à publier" in (outcome.error or "")
    assert published(first_run) == files


def _project_copy(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    for folder in ("catalog", "schemas", "expectations"):
        shutil.copytree(PROJECT_DIR / folder, project / folder)
    return project


def _without_column(project: Path, column: str) -> None:
    path = project / "schemas" / f"{NAME}.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["fields"] = [f for f in schema["fields"] if f["name"] != column]
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")


def test_a_column_added_to_the_table_schema_is_migrated_not_fatal(
    tmp_path: Path, upstream: UpstreamServer
) -> None:
    project = _project_copy(tmp_path)
    _without_column(project, "lieudit")
    settings = settings_for(tmp_path, upstream, PATRIMOINE_CATALOG_DIR=str(project / "catalog"))
    (first,) = refresh_many(settings, [NAME])
    assert first.status == "updated", first.error
    assert "lieudit" not in published_csv(settings)[0]

    shutil.copy(PROJECT_DIR / "schemas" / f"{NAME}.json", project / "schemas" / f"{NAME}.json")
    (second,) = refresh_many(settings, [NAME])
    assert second.status == "updated", second.error
    assert second.diff["columns_added"] == ["lieudit"] and second.diff["changed"] == 0
    with_place = {r["Reference"]: r["Lieudit"] for r in clermont_rows() if r["Lieudit"]}
    assert with_place  # the sample has some
    assert {
        r["reference"]: r["lieudit"] for r in published_csv(settings) if r["lieudit"]
    } == with_place
    # One line says the column appeared; its first values are not per-record modifications.
    run = last_run(settings)["run_id"]
    newest = history.changes(engine_for(settings), entry(settings), runs=[run])
    assert [(c.key, c.change, c.column) for c in newest] == [("", "colonne ajoutée", "lieudit")]
    lines = changelog(settings)
    assert lines[0]["type_de_changement"] == "colonne ajoutée" and lines[0]["colonne"] == "lieudit"
    assert not [line for line in lines if line["type_de_changement"] == "modification"]
    (third,) = refresh_many(settings, [NAME])
    assert third.status == "unchanged"


def test_a_column_dropped_from_the_table_schema_is_held_back(
    tmp_path: Path, upstream: UpstreamServer
) -> None:
    project = _project_copy(tmp_path)
    settings = settings_for(tmp_path, upstream, PATRIMOINE_CATALOG_DIR=str(project / "catalog"))
    (first,) = refresh_many(settings, [NAME])
    assert first.status == "updated", first.error
    files = published(settings)
    _without_column(project, "cadastre")
    (held,) = refresh_many(settings, [NAME])
    assert held.status == "held" and "« cadastre » disparaîtrait" in (held.error or "")
    assert published(settings) == files
    (accepted,) = refresh_many(settings, [NAME], accept_drop=True)
    assert accepted.status == "updated", accepted.error
    assert "cadastre" not in published_csv(settings)[0]
