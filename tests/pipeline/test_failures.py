"""Refreshes that fail: each names the dataset, the stage and what to do, and leaves the
staged table and the published files exactly as they were."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from patrimoine import stages
from patrimoine.config import Settings
from patrimoine.pipeline import Steps, refresh, refresh_many
from patrimoine.stages import engine_for
from patrimoine.staging import ledger
from tests.pipeline.helpers import (
    MERIMEE_ID,
    NAME,
    aube_rows,
    clermont_rows,
    csv_bytes,
    last_run,
    mtimes,
    published,
    published_csv,
    serve,
    settings_for,
    staged_refs,
)
from tests.samples.merimee import MERIMEE_HEADER
from tests.servers import UpstreamServer, clermont_communes


def assert_untouched(settings: Settings, files: dict[str, bytes], refs: list[str]) -> None:
    assert published(settings) == files
    assert staged_refs(settings) == refs


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        (tuple(h for h in MERIMEE_HEADER if h != "Reference"), "Reference"),
        (tuple(h.upper() + "_X" for h in MERIMEE_HEADER), "en-tête non reconnu"),
    ],
    ids=["reference-column-missing", "unrecognised-header"],
)
def test_a_broken_header_fails_at_the_transform_and_keeps_previous_data(
    first_run: Settings, upstream: UpstreamServer, header: tuple[str, ...], missing: str
) -> None:
    files, refs = published(first_run), staged_refs(first_run)
    serve(upstream, clermont_rows(), header=header)
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "failed" and outcome.stage == "transform"
    error = outcome.error or ""
    assert f"jeu « {NAME} », étape transformation" in error and missing in error
    assert "[source.aliases]" in error or "format" in error  # says what to do
    assert_untouched(first_run, files, refs)
    assert last_run(first_run)["stage"] == "transform"  # the real stage, not "extract"


def test_truncated_download_is_retried_then_fails_without_damage(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    files, refs = published(first_run), staged_refs(first_run)
    new = csv_bytes(clermont_rows()[:2])
    upstream.replace_file(MERIMEE_ID, "merimee.csv", new, keep_url=True)
    route = upstream.route(upstream.resource_url(MERIMEE_ID, "merimee.csv"))
    route.truncate(None, len(new) // 2)
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "failed" and outcome.stage == "extract"
    assert "tronqué" in (outcome.error or "")
    assert route.hits == first_run.http_retries + 1 + 1  # first run's download, then retries
    assert_untouched(first_run, files, refs)
    assert not list((first_run.cache_dir / NAME).glob("*.part"))


@pytest.mark.parametrize("cut", ["line-end", "mid-line"])
def test_a_damaged_cache_is_downloaded_again_not_published(
    first_run: Settings, upstream: UpstreamServer, cut: str
) -> None:
    """A cache cut at a line end once published 33 removals with exit 0."""
    before = mtimes(first_run)
    (cached,) = (first_run.cache_dir / NAME).glob("*.csv")
    data = cached.read_bytes()
    middle = data.index(b"\n", len(data) // 2)
    cached.write_bytes(data[: middle + 1] if cut == "line-end" else data[: middle - 10])
    upstream.clear_requests()
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "unchanged", outcome.error
    assert outcome.diff["removed"] == 0
    assert mtimes(first_run) == before
    (download,) = [r for r in upstream.requests if r.path_only.endswith("merimee.csv")]
    assert "If-None-Match" not in download.headers
    assert cached.read_bytes() == data


def test_server_error_is_retried_then_named(first_run: Settings, upstream: UpstreamServer) -> None:
    path = f"/api/1/datasets/{MERIMEE_ID}/"
    upstream.route(path).status(503, {"message": "maintenance"})
    upstream.clear_requests()
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "failed" and outcome.stage == "extract"
    assert "HTTP 503" in (outcome.error or "") and upstream.url in (outcome.error or "")
    assert "relancez plus tard" in (outcome.error or "")
    assert upstream.count(path) == first_run.http_retries + 1


def test_a_404_is_not_retried(first_run: Settings, upstream: UpstreamServer) -> None:
    upstream.delete_datagouv_dataset(MERIMEE_ID)
    upstream.clear_requests()
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "failed" and "HTTP 410" in (outcome.error or "")
    assert "identifiant de la source" in (outcome.error or "")
    assert upstream.count(f"/api/1/datasets/{MERIMEE_ID}/") == 1


def test_unknown_epci_is_a_clear_territory_error(tmp_path: Path, upstream: UpstreamServer) -> None:
    settings = settings_for(tmp_path, upstream, PATRIMOINE_TERRITORY="epci:200000000")
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "failed" and outcome.stage == "territory"
    assert "EPCI inconnu" in (outcome.error or "") and "200000000" in (outcome.error or "")
    assert "PATRIMOINE_TERRITORY" in (outcome.error or "")
    assert published(settings) == {}
    assert last_run(settings)["stage"] == "territory"


def test_territory_comes_from_the_database_when_geo_api_is_down(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    upstream.route("/epcis/246300701/communes").status(502)
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "unchanged", outcome.error


def _features(**change: Any) -> dict[str, Any]:
    communes = clermont_communes()
    features = [
        {
            "type": "Feature",
            "properties": {k: v for k, v in c.items() if k != "contour"},
            "geometry": c["contour"],
        }
        for c in communes
    ]
    return {"type": "FeatureCollection", "features": features, **change}


@pytest.mark.parametrize(
    "answer",
    [
        [{"nom": "Clermont-Ferrand", "code": "63113"}],
        _features(features=[{"type": "Feature", "properties": {"nom": "X"}, "geometry": None}]),
        _features(features=_features()["features"][:1]),
    ],
    ids=["a-list", "a-feature-without-code", "one-commune-of-21"],
)
def test_a_malformed_or_partial_territory_is_refused_and_the_cached_one_used(
    first_run: Settings, upstream: UpstreamServer, answer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    files = published(first_run)
    upstream.add_json("/epcis/246300701/communes", answer)
    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "unchanged", outcome.error
    assert published(first_run) == files
    assert any("réponse de geo.api.gouv.fr refusée" in r.getMessage() for r in caplog.records)
    territory = stages.territory_for(first_run)
    assert len(territory.communes) == 21


def test_a_malformed_territory_without_cache_fails_with_a_ledger_row(
    tmp_path: Path, upstream: UpstreamServer
) -> None:
    upstream.add_json("/epcis/246300701/communes", [{"nom": "Clermont-Ferrand"}])
    settings = settings_for(tmp_path, upstream)
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "failed" and outcome.stage == "territory"
    assert "réponse inattendue" in (outcome.error or "")
    assert last_run(settings)["status"] == "failed"


def test_an_unreachable_database_is_an_outcome_not_an_exception(
    tmp_path: Path, upstream: UpstreamServer
) -> None:
    settings = settings_for(
        tmp_path,
        upstream,
        PATRIMOINE_DATABASE_URL="postgresql+psycopg://patrimoine:secret@127.0.0.1:1/absente",
    )
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "failed" and outcome.stage == "database"
    error = outcome.error or ""
    assert "base de données injoignable" in error and "PATRIMOINE_DATABASE_URL" in error
    assert "secret" not in error


def test_an_unwritable_portal_fails_the_publication_and_keeps_the_staged_data(
    first_run: Settings, upstream: UpstreamServer, tmp_path: Path
) -> None:
    rows = clermont_rows()
    rows[0] = dict(rows[0], Titre_editorial_de_la_notice="Titre corrigé")
    serve(upstream, rows + aube_rows())
    files = published(first_run)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the portal folder should be")
    unwritable = replace(first_run, portal_dir=blocker / "portal")  # fails even for root
    (outcome,) = refresh_many(unwritable, [NAME])
    assert outcome.status == "failed" and outcome.stage == "publish"
    assert "écriture impossible" in (outcome.error or "")
    assert "droits d'écriture" in (outcome.error or "")
    assert published(first_run) == files
    # The next run completes the publication of what was staged.
    (again,) = refresh_many(first_run, [NAME])
    assert again.status == "updated" and again.diff["changed"] == 0
    assert published_csv(first_run)[0]["titre"] == "Titre corrigé"


class Killed(BaseException):
    """Stands for the process being killed: nothing in the pipeline catches it."""


def test_a_run_killed_between_stage_and_publish_is_completed_by_the_next_run(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    rows = clermont_rows()
    rows[0] = dict(rows[0], Titre_editorial_de_la_notice="Titre corrigé")
    serve(upstream, rows + aube_rows())
    files = published(first_run)

    def killed(*args: Any, **kwargs: Any) -> Any:
        raise Killed

    with pytest.raises(Killed):
        refresh(first_run, NAME, steps=Steps(publish=killed))
    assert published(first_run) == files  # staged, not published
    assert last_run(first_run)["status"] == "running"

    (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "updated", outcome.error
    assert published_csv(first_run)[0]["titre"] == "Titre corrigé"
    statuses = [r["status"] for r in ledger.runs_of(engine_for(first_run), NAME)]
    assert statuses == ["updated", "interrupted", "updated"]
    (third,) = refresh_many(first_run, [NAME])
    assert third.status == "unchanged"


def test_a_concurrent_run_of_the_same_dataset_is_skipped_not_failed(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    from patrimoine.staging.locks import dataset_lock
    from patrimoine.status import dataset_status

    with dataset_lock(engine_for(first_run), NAME):
        (outcome,) = refresh_many(first_run, [NAME])
    assert outcome.status == "skipped" and outcome.ok
    assert "un autre run" in (outcome.error or "")
    status = dataset_status(engine_for(first_run), stages.entry_for(first_run, NAME))
    assert status.last_run is not None and status.last_run["status"] == "updated"
    (again,) = refresh_many(first_run, [NAME])
    assert again.status == "unchanged"


def test_an_unexpected_error_is_recorded_at_its_stage(
    first_run: Settings, upstream: UpstreamServer
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("boom")

    (outcome,) = refresh_many(first_run, [NAME], steps=Steps(validate=broken))
    assert outcome.status == "failed" and outcome.stage == "validate"
    assert "erreur inattendue" in (outcome.error or "") and "-v" in (outcome.error or "")
    run = last_run(first_run)
    assert (run["status"], run["stage"]) == ("failed", "validate")
    assert json.dumps(run["details"])  # the ledger row was finished
