"""Refreshes that should publish, or publish nothing because nothing changed."""

from __future__ import annotations

import json
from pathlib import Path

from patrimoine.config import Settings
from patrimoine.pipeline import refresh_many
from patrimoine.stages import engine_for
from patrimoine.staging import history, ledger
from tests.pipeline.helpers import (
    AUBE_EPCI,
    CLERMONT,
    MERIMEE_ID,
    NAME,
    aube_rows,
    changelog,
    clermont_rows,
    entry,
    geojson_refs,
    last_run,
    mtimes,
    published,
    published_csv,
    serve,
    settings_for,
    shuffled,
    staged_refs,
)
from tests.samples.merimee import MERIMEE_HEADER, sample_rows
from tests.servers import UpstreamServer, clermont_communes

FILES = {f"{NAME}.csv", f"{NAME}.geojson", "changelog.csv", "metadata.json"}


def test_another_territory_publishes_exactly_its_notices(
    tmp_path: Path, upstream: UpstreamServer
) -> None:
    settings = settings_for(tmp_path, upstream, PATRIMOINE_TERRITORY=f"epci:{AUBE_EPCI}")
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    expected = sorted(r["Reference"] for r in aube_rows())
    assert set(published(settings)) == FILES  # PATRIMOINE_PICTURES=false in tests
    assert [r["reference"] for r in published_csv(settings)] == expected
    sheet = json.loads(published(settings)["metadata.json"])
    assert sheet["titre"] == "Monuments historiques – CC de Brienne (test)"
    assert f"{len(expected)} notices" in sheet["description"]
    assert sheet["licence"]["nom"] == "Licence Ouverte 2.0"
    assert {c["code_insee"] for c in sheet["couverture_spatiale"]["communes"]} == {"10064", "10325"}
    assert geojson_refs(settings) <= set(expected)
    assert {r["code_insee"] for r in published_csv(settings)} <= {"10064", "10325"}


def test_clermont_notices_are_placed_in_their_real_communes(first_run: Settings) -> None:
    rows = published_csv(first_run)
    assert sorted(r["reference"] for r in rows) == sorted(r["Reference"] for r in clermont_rows())
    assert all(r["coordonnees_douteuses"] == "false" for r in rows)
    geolocated = {r["reference"] for r in rows if r["latitude"]}
    assert geojson_refs(first_run) == geolocated


def test_second_run_is_unchanged_and_writes_nothing(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    before = mtimes(first_run)
    upstream.clear_requests()
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "unchanged", outcome.error
    assert outcome.diff["added"] == outcome.diff["removed"] == outcome.diff["changed"] == 0
    assert mtimes(first_run) == before
    csv_requests = [r for r in upstream.requests if r.path_only.endswith("merimee.csv")]
    assert csv_requests and all(r.headers.get("If-None-Match") for r in csv_requests)
    runs = ledger.runs_of(engine_for(first_run), NAME)
    assert [r["status"] for r in runs] == ["updated", "unchanged"]
    assert runs[1]["output_checksum"] == runs[0]["output_checksum"]


def test_a_shuffled_re_export_is_unchanged(first_run: Settings, upstream: UpstreamServer) -> None:
    before = published(first_run)
    serve(upstream, shuffled(clermont_rows() + aube_rows()))
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "unchanged", outcome.error
    assert published(first_run) == before
    runs = ledger.runs_of(engine_for(first_run), NAME)
    assert runs[-1]["source_checksum"] != runs[0]["source_checksum"]


def test_an_ods_style_re_export_of_the_same_content_is_unchanged(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    """Lower-case headers, ``;`` separator and a BOM (an OpenDataSoft export): same content."""
    before = published(first_run)
    rows = clermont_rows() + aube_rows()
    lines = [";".join(h.lower() for h in MERIMEE_HEADER)]
    for row in rows:
        lines.append(";".join('"' + row[h].replace('"', '""') + '"' for h in MERIMEE_HEADER))
    upstream.replace_file(
        MERIMEE_ID, "merimee.csv", ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")
    )
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "unchanged", outcome.error
    assert published(first_run) == before


def test_one_notice_added_and_one_modified_are_in_the_changelog(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    rows = clermont_rows()
    modified = rows[0]["Reference"]
    rows[0] = dict(rows[0], Titre_editorial_de_la_notice="Titre corrigé", Lieudit="Les Salins")
    (extra,) = sample_rows(CLERMONT[:1], 1, seed=99, traps=False, ref_start=900)
    serve(upstream, [*rows, extra, *aube_rows()])
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "updated", outcome.error
    assert (outcome.diff["added"], outcome.diff["removed"], outcome.diff["changed"]) == (1, 0, 1)

    run_id = last_run(first_run)["run_id"]
    found = history.changes(engine_for(first_run), entry(first_run), runs=[run_id])
    assert {(c.key, c.change, c.column) for c in found} == {
        (extra["Reference"], "ajout", ""),
        (modified, "modification", "titre"),
        (modified, "modification", "lieudit"),
    }
    lines = changelog(first_run)  # newest first: this publication's 3 lines, then the first
    assert [
        (line["identifiant"], line["type_de_changement"], line["colonne"]) for line in lines[:3]
    ] == [
        (modified, "modification", "titre"),
        (modified, "modification", "lieudit"),
        (extra["Reference"], "ajout", ""),
    ]
    assert lines[0]["nouvelle_valeur"] == "Titre corrigé" and lines[0]["ancienne_valeur"]
    assert lines[1]["ancienne_valeur"] == "" and lines[1]["nouvelle_valeur"] == "Les Salins"
    assert [line["type_de_changement"] for line in lines[3:]] == ["ajout"] * len(rows)
    sheet = json.loads(published(first_run)["metadata.json"])
    assert sheet["derniers_changements"]["ajouts"] == 1
    assert sheet["derniers_changements"]["modifications"] == 1
    assert sheet["derniers_changements"]["colonnes_modifiees"] == ["lieudit", "titre"]
    assert "1 ajout, 1 modification (colonnes : lieudit, titre)" in sheet["description"]


def test_a_removed_notice_is_in_history_and_changelog(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    rows = clermont_rows()
    removed = rows.pop(1)["Reference"]
    serve(upstream, rows + aube_rows())
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "updated" and outcome.diff["removed"] == 1
    assert removed not in staged_refs(first_run)
    assert changelog(first_run)[0] == {
        "date": changelog(first_run)[0]["date"],
        "identifiant": removed,
        "type_de_changement": "suppression",
        "colonne": "",
        "ancienne_valeur": "",
        "nouvelle_valeur": "",
    }


def test_changes_elsewhere_in_france_do_not_republish(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    before = mtimes(first_run)
    elsewhere = [dict(r, Titre_editorial_de_la_notice="Autre titre") for r in aube_rows()]
    serve(upstream, clermont_rows() + elsewhere)
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "unchanged", outcome.error
    assert mtimes(first_run) == before


def test_dry_run_shows_the_identifiers_and_changes_nothing(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    before, refs = published(first_run), staged_refs(first_run)
    rows = clermont_rows()
    rows[2] = dict(rows[2], Titre_editorial_de_la_notice="Autre")
    serve(upstream, rows + aube_rows())
    (outcome,) = refresh_many(first_run, [NAME], dry_run=True)
    assert outcome.status == "dry-run" and outcome.diff["changed"] == 1
    assert outcome.diff["samples"]["changed"] == [rows[2]["Reference"]]
    assert published(first_run) == before and staged_refs(first_run) == refs


def test_a_list_of_communes_is_a_territory_too(tmp_path: Path, upstream: UpstreamServer) -> None:
    for commune in clermont_communes():
        upstream.add_commune(commune)
    settings = settings_for(tmp_path, upstream, PATRIMOINE_TERRITORY="communes:63075")
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    expected = sorted(
        r["Reference"] for r in clermont_rows() if r["Commune_forme_editoriale"] == "Chamalières"
    )
    assert expected and staged_refs(settings) == expected
    sheet = json.loads(published(settings)["metadata.json"])
    assert sheet["titre"] == "Monuments historiques – Chamalières"


def test_postgres_staging_end_to_end(
    tmp_path: Path, upstream: UpstreamServer, pg_schema_url: str
) -> None:
    settings = settings_for(tmp_path, upstream, PATRIMOINE_DATABASE_URL=pg_schema_url)
    first, second = refresh_many(settings, [NAME]), refresh_many(settings, [NAME])
    assert (first[0].status, second[0].status) == ("updated", "unchanged"), first[0].error
    assert staged_refs(settings) == sorted(r["Reference"] for r in clermont_rows())
    rows = clermont_rows()
    rows[0] = dict(rows[0], Titre_editorial_de_la_notice="Titre corrigé")
    serve(upstream, rows + aube_rows())
    (third,) = refresh_many(settings, [NAME])
    assert third.status == "updated" and third.diff["changed"] == 1
    assert changelog(settings)[0]["colonne"] == "titre"
