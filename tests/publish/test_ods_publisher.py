"""The offline snapshot published to a local OpenDataSoft through the Automation API."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from patrimoine.catalog import DatasetEntry
from patrimoine.config import Settings
from patrimoine.http.client import HttpClient
from patrimoine.pipeline import Steps, refresh_many
from patrimoine.publish.base import PublicationResult
from patrimoine.publish.ods.client import OdsClient
from patrimoine.publish.ods.errors import OdsError
from patrimoine.publish.ods.publisher import ATTACHMENTS, DATA_ROLE, TO_DELETE, OdsPublisher
from patrimoine.publish.render import RenderedFile, metadata_sheet, render
from patrimoine.publish.render import facts as render_facts
from patrimoine.stages import engine_for, entry_for, publish_stage, territory_for
from patrimoine.staging import history, portal_store, tables
from patrimoine.visuals.charts import render_chart
from patrimoine.visuals.render import chart_file_name
from tests.conftest import make_settings
from tests.servers.ods import OdsServer

NAME = "monuments-historiques"
POLYGONS = "natura-2000"
KEY = "cle-secrete-ods-0123456789"
MERIMEE = (
    "static.data.gouv.fr/resources/immeubles-proteges-au-titre-des-monuments-historiques-2/"
    "20261126-060012/merimee.csv"
)


@pytest.fixture
def ods() -> Iterator[OdsServer]:
    with OdsServer(api_key=KEY, processing_polls=2) as server:
        yield server
    assert not server.errors, server.errors


@pytest.fixture
def snapshot(snapshot_copy: Path) -> Path:
    return snapshot_copy


def settings_for(tmp_path: Path, ods: OdsServer, **extra: str) -> Settings:
    env = {
        "PATRIMOINE_OFFLINE": "true",
        "PATRIMOINE_PORTAL": "ods",
        "PATRIMOINE_ODS_URL": ods.url,
        "PATRIMOINE_ODS_API_KEY": KEY,
        "PATRIMOINE_HTTP_BACKOFF": "0",
        "PATRIMOINE_HTTP_TIMEOUT": "5",
        "PATRIMOINE_ODS_STATUS_TIMEOUT": "5",
        "PATRIMOINE_ODS_LICENCE": "licence-ouverte-v2-0",
        **extra,
    }
    return make_settings(tmp_path, **env)


def record(settings: Settings, ods: OdsServer, name: str = NAME) -> portal_store.PortalDataset:
    found = portal_store.load(create_engine(settings.database_url), "ods", ods.url, name)
    assert found is not None
    return found


def published_csv(ods: OdsServer, name: str = NAME) -> bytes:
    ds = ods.by_dataset_id(name)
    (resource,) = ds.resources.values()
    return ods.file_content(ds.uid, resource["datasource"]["file"]["uid"])


def rename_a_monument(snapshot: Path) -> None:
    """An upstream change: the producer corrects one monument's title."""
    source = snapshot / MERIMEE
    header, *lines = source.read_text(encoding="utf-8").splitlines()
    fields = header.split("|")
    rows = list(csv.reader(lines, delimiter="|"))
    ref, title = fields.index("Reference"), fields.index("Titre_editorial_de_la_notice")
    next(r for r in rows if r[ref] == "PA00091004")[title] = "Titre corrigé par le producteur"
    body = ["|".join(f'"{v}"' for v in r) for r in rows]
    source.write_text("\n".join([header, *body]) + "\n", encoding="utf-8")


def test_first_run_creates_then_second_run_uploads_nothing(tmp_path: Path, ods: OdsServer) -> None:
    settings = settings_for(tmp_path, ods)
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    ds = ods.by_dataset_id(NAME)
    assert ds.uid.startswith("da_") and ds.is_published and ds.status == "idle"
    default = ds.metadata["default"]
    assert default["language"] == {"value": "fr"}
    assert default["title"]["value"].startswith("Monuments historiques")
    assert default["attributions"] == {"value": ["Ministère de la Culture (base Mérimée)"]}
    assert "<p>" in default["description"]["value"]
    assert "Licence Ouverte 2.0" in default["description"]["value"]
    # The portal's own id for Licence Ouverte 2.0 (PATRIMOINE_ODS_LICENCE), not data.gouv.fr's.
    assert ds.metadata["internal"]["license_id"] == {"value": "licence-ouverte-v2-0"}
    (resource,) = ds.resources.values()
    assert resource["type"] == "csvfile" and resource["params"]["separator"] == ","
    assert resource["datasource"]["type"] == "uploaded_file"
    assert published_csv(ods).startswith(b"reference,")
    stored = record(settings, ods)
    assert stored.remote_id == ds.uid and stored.resources == {DATA_ROLE: resource["uid"]}
    assert "pending_publish" not in stored.state
    assert ods.count_writes(r"/publish/$") == 1

    ods.calls.clear()
    (again,) = refresh_many(settings, [NAME])
    assert again.status == "unchanged", again.error
    assert ods.count_writes() == 0
    assert len(ods.datasets) == 1


def test_an_upstream_change_replaces_only_the_file(
    tmp_path: Path, ods: OdsServer, snapshot: Path
) -> None:
    settings = settings_for(tmp_path, ods, PATRIMOINE_SNAPSHOT_DIR=str(snapshot))
    (first,) = refresh_many(settings, [NAME])
    assert first.status == "updated", first.error
    ds = ods.by_dataset_id(NAME)
    (before,) = ds.resources.values()
    old_file = before["datasource"]["file"]["uid"]
    rename_a_monument(snapshot)

    ods.calls.clear()
    (second,) = refresh_many(settings, [NAME])
    assert second.status == "updated", second.error
    assert len(ods.datasets) == 1 and ods.by_dataset_id(NAME).uid == ds.uid
    (after,) = ds.resources.values()
    assert after["uid"] == before["uid"]
    new_file = after["datasource"]["file"]["uid"]
    assert new_file != old_file  # the stand-in renames a second upload: the returned uid is used
    # The description carries the last changes, so it is the only metadata sent again.
    assert [c.path for c in ods.writes()] == [
        f"/datasets/{ds.uid}/resources/files/",
        f"/datasets/{ds.uid}/resources/{before['uid']}/",
        f"/datasets/{ds.uid}/metadata/default/description/",
        f"/datasets/{ds.uid}/publish/",
    ]
    put = ods.writes(r"/resources/re_")[0].body
    assert put["type"] == "csvfile" and put["title"] == before["title"]
    assert "uid" not in put and "display_name" not in put  # read-only fields not sent back
    rows = {r["reference"]: r for r in csv.DictReader(io.StringIO(published_csv(ods).decode()))}
    assert rows["PA00091004"]["titre"] == "Titre corrigé par le producteur"
    assert ds.published_files[-1] == new_file


def test_polygon_dataset_publishes_its_csv(tmp_path: Path, ods: OdsServer) -> None:
    settings = settings_for(tmp_path, ods)
    (outcome,) = refresh_many(settings, [POLYGONS])
    assert outcome.status == "updated", outcome.error
    content = published_csv(ods, POLYGONS).decode("utf-8")
    assert "identifiant" in content.splitlines()[0]
    assert '"type": "Polygon"' not in content and "coordinates" not in content


def test_a_refused_key_stops_with_the_french_message_and_is_never_written(
    tmp_path: Path, ods: OdsServer, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "cle-refusee-secrete-987654"
    settings = settings_for(tmp_path, ods, PATRIMOINE_ODS_API_KEY=wrong)
    caplog.set_level(logging.DEBUG)
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "failed"
    assert outcome.error is not None
    assert (
        "clé d'API refusée par le portail OpenDataSoft : vérifiez PATRIMOINE_ODS_API_KEY"
        in outcome.error
    )
    assert ods.count_writes() == 0
    assert wrong not in caplog.text and wrong not in outcome.error
    with create_engine(settings.database_url).connect() as conn:
        rows = [str(tuple(r)) for r in conn.execute(text("SELECT * FROM runs"))]
        rows += [str(tuple(r)) for r in conn.execute(text("SELECT * FROM portal_datasets"))]
    assert rows and not any(wrong in r for r in rows)
    for path in tmp_path.rglob("*"):
        if path.is_file() and "snapshot" not in path.parts:
            assert wrong.encode() not in path.read_bytes(), path


def test_a_read_only_key_gets_403_and_the_same_message(tmp_path: Path) -> None:
    with OdsServer(api_key=KEY, read_only_keys=("lecture",)) as ods:
        settings = settings_for(tmp_path, ods, PATRIMOINE_ODS_API_KEY="lecture")
        (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "failed" and outcome.error is not None
    assert "vérifiez PATRIMOINE_ODS_API_KEY" in outcome.error and "HTTP 403" in outcome.error
    assert not ods.datasets


def test_a_503_then_200_succeeds_after_a_retry(tmp_path: Path, ods: OdsServer) -> None:
    settings = settings_for(tmp_path, ods)
    ods.fail_next(1, 503, method="POST", path=r"/resources/files/$")
    ods.fail_next(1, 429, method="GET", path=r"/status/$")
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    assert ods.count_writes(r"/resources/files/$") == 2
    assert len(ods.by_dataset_id(NAME).resources) == 1


def test_a_timeout_is_retried(tmp_path: Path, ods: OdsServer) -> None:
    settings = settings_for(tmp_path, ods, PATRIMOINE_HTTP_TIMEOUT="0.5")
    ods.delay_next(1.5, method="PUT", path=r"/metadata/")
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    (again,) = refresh_many(settings, [NAME])
    assert again.status == "unchanged", again.error


def test_a_busy_dataset_is_waited_for_before_any_write(tmp_path: Path, ods: OdsServer) -> None:
    settings = settings_for(tmp_path, ods)
    assert refresh_many(settings, [NAME])[0].status == "updated"
    ds = ods.by_dataset_id(NAME)
    ds.metadata["default"]["title"] = {"value": "Titre modifié à la main"}
    stored = record(settings, ods)
    stored.state["metadata"]["default/title"] = "ancien"
    portal_store.save(create_engine(settings.database_url), stored)
    ods.make_busy(ds.uid, polls=3)
    ods.calls.clear()
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    assert not any(c.body and c.body.get("error_code") for c in ods.calls)
    status_reads = [i for i, c in enumerate(ods.calls) if c.path.endswith("/status/")]
    first_write = next(i for i, c in enumerate(ods.calls) if c.method != "GET")
    assert len([i for i in status_reads if i < first_write]) >= 4  # waited for idle first
    assert [c.path for c in ods.writes()] == [
        f"/datasets/{ds.uid}/metadata/default/title/",
        f"/datasets/{ds.uid}/publish_metadata/",
    ]
    assert ds.metadata["default"]["title"]["value"].startswith("Monuments historiques")


def test_a_dataset_busy_beyond_the_timeout_fails_untouched(tmp_path: Path, ods: OdsServer) -> None:
    settings = settings_for(tmp_path, ods, PATRIMOINE_ODS_STATUS_TIMEOUT="0.3")
    assert refresh_many(settings, [NAME])[0].status == "updated"
    stored = record(settings, ods)
    stored.state["csv_sha1"] = "autre"
    portal_store.save(create_engine(settings.database_url), stored)
    ds = ods.by_dataset_id(NAME)
    ods.make_busy(ds.uid, polls=10_000)
    ods.calls.clear()
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "failed" and outcome.error is not None
    assert "est resté occupé" in outcome.error and "rien n'a été modifié" in outcome.error
    assert ods.count_writes() == 0


def test_a_failed_processing_names_the_dataset_and_the_portal_message(
    tmp_path: Path, ods: OdsServer
) -> None:
    settings = settings_for(tmp_path, ods)
    ods.fail_processing("Valeur invalide pour le champ reference", record_errors=7)
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "failed" and outcome.error is not None
    assert f"« {NAME} »" in outcome.error and "a échoué" in outcome.error
    assert "Valeur invalide pour le champ reference" in outcome.error
    assert "rec1 : Valeur invalide" in outcome.error and "(et 2 autres)" in outcome.error
    assert record(settings, ods).state["pending_publish"] == "data"
    # Next run: nothing to upload, but the publication is retried and succeeds.
    ods.calls.clear()
    (again,) = refresh_many(settings, [NAME])
    assert again.status == "updated", again.error
    assert [c.path.rsplit("/", 2)[-2] for c in ods.writes()] == ["publish"]
    assert "pending_publish" not in record(settings, ods).state


def test_a_processing_longer_than_the_timeout_fails_clearly(
    tmp_path: Path,
) -> None:
    with OdsServer(api_key=KEY, processing_polls=10_000) as ods:
        settings = settings_for(tmp_path, ods, PATRIMOINE_ODS_STATUS_TIMEOUT="0.3")
        (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "failed" and outcome.error is not None
    assert "n'a pas fini de traiter le jeu « monuments-historiques »" in outcome.error
    assert "PATRIMOINE_ODS_STATUS_TIMEOUT" in outcome.error


def test_dry_run_calls_no_write_endpoint(tmp_path: Path, ods: OdsServer) -> None:
    settings = settings_for(tmp_path, ods)
    (planned,) = refresh_many(settings, [NAME], dry_run=True)
    assert planned.error is None, planned.error
    assert any("créer le jeu" in a for a in planned.actions), planned.actions
    assert ods.count_writes() == 0 and not ods.datasets


def test_unchanged_metadata_is_not_sent_again(
    tmp_path: Path, ods: OdsServer, snapshot: Path
) -> None:
    settings = settings_for(tmp_path, ods, PATRIMOINE_SNAPSHOT_DIR=str(snapshot))
    assert refresh_many(settings, [NAME])[0].status == "updated"
    rename_a_monument(snapshot)
    ods.calls.clear()
    assert refresh_many(settings, [NAME])[0].status == "updated"
    sent = {c.path.split("/metadata/")[1] for c in ods.writes(r"/metadata/")}
    # Only the figures the description and title carry can change with the rows.
    assert sent <= {"default/title/", "default/description/"}
    assert "default/keyword/" not in sent and "internal/license_id/" not in sent


def test_a_crash_after_upload_reuses_the_file_and_the_resource(
    tmp_path: Path, ods: OdsServer
) -> None:
    settings = settings_for(tmp_path, ods)
    ods.fail_next(
        1, 400, method="POST", path=r"/resources/$", body={"error_code": "x", "message": "y"}
    )
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "failed"
    assert ods.count_writes(r"/resources/files/$") == 1
    ods.calls.clear()
    (again,) = refresh_many(settings, [NAME])
    assert again.status == "updated", again.error
    assert ods.count_writes(r"/resources/files/$") == 0  # the uploaded file is reused
    assert len(ods.datasets) == 1 and len(ods.by_dataset_id(NAME).resources) == 1


def test_a_lost_database_adopts_the_dataset_by_its_dataset_id(
    tmp_path: Path, ods: OdsServer
) -> None:
    settings = settings_for(tmp_path, ods)
    assert refresh_many(settings, [NAME])[0].status == "updated"
    ds = ods.by_dataset_id(NAME)
    (resource,) = ds.resources.values()
    portal_store.forget(create_engine(settings.database_url), "ods", ods.url, NAME)
    (again,) = refresh_many(settings, [NAME])
    assert again.status == "updated", again.error
    assert len(ods.datasets) == 1 and list(ds.resources) == [resource["uid"]]
    assert record(settings, ods).resources == {DATA_ROLE: resource["uid"]}


def test_a_dataset_deleted_on_the_portal_is_reported(tmp_path: Path, ods: OdsServer) -> None:
    settings = settings_for(tmp_path, ods)
    assert refresh_many(settings, [NAME])[0].status == "updated"
    ods.datasets.clear()
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "failed" and outcome.error is not None
    assert "n'existe plus sur le portail OpenDataSoft" in outcome.error
    assert not ods.datasets


def test_without_the_portals_licence_id_no_licence_field_is_sent(
    tmp_path: Path, ods: OdsServer
) -> None:
    settings = settings_for(tmp_path, ods, PATRIMOINE_ODS_LICENCE="")
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    ds = ods.by_dataset_id(NAME)
    assert "license_id" not in ds.metadata.get("internal", {})
    assert "Licence Ouverte 2.0" in ds.metadata["default"]["description"]["value"]


# -- maps and charts as attachments ------------------------------------------------------
CARTE = "carte.png"
CHART_1 = "graphique-1-protections-par-decennie-depuis-1840.png"
CHART_2 = "graphique-2-monuments-par-siecle-de-construction.png"
CHART_3 = "graphique-3-monuments-historiques-par-commune.png"
PICTURES = [CARTE, CHART_1, CHART_2, CHART_3]
ATTACHMENT_PATH = r"/attachments/"


@dataclass(frozen=True)
class Rendered:
    """The monuments' files and sheet, rendered once from the rows the pipeline staged."""

    entry: DatasetEntry
    files: list[RenderedFile]
    """The CSV, GeoJSON, changelog, the map page and the four pictures (maps and charts)."""
    relabelled_chart_1: bytes
    """The first chart drawn again with another axis label: same name, another picture."""
    without_pictures: list[RenderedFile]
    """What a night with ``PATRIMOINE_PICTURES=false`` renders."""
    sheet: Callable[[list[RenderedFile]], dict[str, Any]]
    """The metadata sheet of another list of files (its ``ressources`` follow the files)."""

    def changed_chart_1(self) -> list[RenderedFile]:
        """The data manager relabelled the first chart's axis: the new picture, same name."""
        return [
            replace(f, content=self.relabelled_chart_1) if f.name == CHART_1 else f
            for f in self.files
        ]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """One offline refresh (pictures off, to a local portal folder), then the render stage
    with pictures on over the staged rows, as ``publish_stage`` calls it."""
    tmp = tmp_path_factory.mktemp("ods-pictures")
    settings = make_settings(tmp, PATRIMOINE_OFFLINE="true")
    sources: list[dict[str, Any]] = []

    def keep_source(settings: Settings, name: str, source: dict[str, Any], **kw: Any) -> Any:
        sources.append(source)
        return publish_stage(settings, name, source, **kw)

    (outcome,) = refresh_many(settings, [NAME], steps=Steps(publish=keep_source))
    assert outcome.status == "updated", outcome.error
    (source,) = sources
    entry = entry_for(settings, NAME)
    engine = engine_for(settings)
    rows = tables.read_rows(engine, entry, tables.staged_name(entry))
    territory = territory_for(settings)
    changes = history.changes(engine, entry)
    files, metadata = render(entry, rows, territory, source, changes, pictures=True)
    assert sorted(f.name for f in files if f.format == "PNG") == sorted(PICTURES)
    plain, plain_metadata = render(entry, rows, territory, source, changes)
    assert not any(f.format == "PNG" for f in plain)
    chart = entry.visuals.charts[0]
    assert chart_file_name(1, chart.title) == CHART_1
    assert chart.ylabel == "Nombre de monuments protégés"
    relabelled = render_chart(entry, replace(chart, ylabel="Monuments"), rows, territory)
    assert relabelled.startswith(b"\x89PNG")
    assert relabelled != next(f.content for f in files if f.name == CHART_1)
    figures = render_facts(entry, rows, territory, changes)

    def sheet(some: list[RenderedFile]) -> dict[str, Any]:
        return metadata_sheet(entry, territory, figures, some, source, changes)

    assert sheet(files) == metadata and sheet(plain) == plain_metadata  # as render makes them
    return Rendered(entry, files, relabelled, plain, sheet)


def on_portal(ods: OdsServer, name: str = NAME) -> dict[str, str]:
    """Attachment uid → file name, as the portal has them."""
    ds = ods.by_dataset_id(name)
    return {uid: meta["filename"] for uid, (meta, _) in ds.attachments.items()}


def ours(settings: Settings, ods: OdsServer) -> dict[str, str]:
    """File name → attachment uid, as patrimoine remembers them."""
    return {n: a["uid"] for n, a in record(settings, ods).state.get(ATTACHMENTS, {}).items()}


class Nights:
    """Nights of publication to one stand-in portal, each as ``publish_stage`` runs it
    after the render: plan, then apply (or plan only for a dry run)."""

    def __init__(self, settings: Settings, rendered: Rendered) -> None:
        self.settings = settings
        self.rendered = rendered
        self.http = HttpClient(settings)
        # The publisher ``make_publishers`` builds, with a short status poll (the stand-in
        # finishes processing after two reads). It keeps no state but its connection.
        self.publisher = OdsPublisher(
            settings,
            engine_for(settings),
            client=OdsClient(self.http, settings.ods_url, settings.ods_api_key),
            poll_interval=0.01,
            license_ids={"lov2": settings.ods_licence},
        )

    def publish(self, files: list[RenderedFile] | None = None) -> PublicationResult:
        """A night rendering ``files`` (all the pictures by default) and their sheet."""
        files = self.rendered.files if files is None else files
        metadata = self.rendered.sheet(files)
        plan = self.publisher.plan(self.rendered.entry, files, metadata)
        return self.publisher.apply(self.rendered.entry, plan, files, metadata)

    def dry_run(self, files: list[RenderedFile]) -> list[str]:
        """A ``--dry-run`` night: the planned actions."""
        return self.publisher.plan(self.rendered.entry, files, self.rendered.sheet(files)).actions


@pytest.fixture
def nights(tmp_path: Path, ods: OdsServer, rendered: Rendered) -> Iterator[Nights]:
    """This test's own stand-in portal and database, fed with the module's rendered files."""
    made = Nights(settings_for(tmp_path, ods), rendered)
    yield made
    made.http.close()


def without(files: list[RenderedFile], name: str) -> list[RenderedFile]:
    """The files of a night whose catalog no longer declares the picture ``name``."""
    assert any(f.name == name for f in files)
    return [f for f in files if f.name != name]


def add_by_hand(ods: OdsServer, filename: str = "reglement-de-visite.pdf") -> str:
    """What a data manager does in the back-office: an attachment of their own."""
    ds = ods.by_dataset_id(NAME)
    made = httpx.post(
        f"{ods.api_url}datasets/{ds.uid}/attachments/",
        headers={"Authorization": f"apikey {KEY}"},
        files={"file": (filename, b"%PDF-1.4 consignes", "application/pdf")},
    )
    assert made.status_code == 201
    uid: str = made.json()["uid"]
    return uid


def test_the_first_publish_attaches_every_picture_then_a_same_night_writes_nothing(
    tmp_path: Path, ods: OdsServer
) -> None:
    """The real nightly run with pictures on: the rendered PNGs reach the portal."""
    settings = settings_for(tmp_path, ods, PATRIMOINE_PICTURES="true")
    results: list[PublicationResult] = []

    def publish(*args: Any, **kwargs: Any) -> PublicationResult:
        result = publish_stage(*args, **kwargs)
        results.append(result)
        return result

    (outcome,) = refresh_many(settings, [NAME], steps=Steps(publish=publish))
    assert outcome.status == "updated", outcome.error
    ds = ods.by_dataset_id(NAME)
    assert sorted(on_portal(ods).values()) == sorted(PICTURES)  # no CSV, GeoJSON, page
    assert set(ours(settings, ods).values()) == set(on_portal(ods))
    for name, memo in record(settings, ods).state[ATTACHMENTS].items():
        content = ods.attachment_content(ds.uid, memo["uid"])
        assert content.startswith(b"\x89PNG") and hashlib.sha1(content).hexdigest() == memo["sha1"]
        assert ds.attachments[memo["uid"]][0]["mimetype"] == "image/png", name
    assert all(uid != name for uid, name in on_portal(ods).items())
    assert f"joindre {CARTE}" in outcome.actions and f"joindre {CHART_3}" in outcome.actions
    # Attached before the publication, so the first publication shows them.
    paths = [c.path for c in ods.writes()]
    assert paths.index(f"/datasets/{ds.uid}/publish/") > max(
        i for i, p in enumerate(paths) if p.endswith("/attachments/")
    )
    (result,) = results
    assert result.details["attachment_uids"] == ours(settings, ods)

    ods.calls.clear()
    (again,) = refresh_many(settings, [NAME])
    assert again.status == "unchanged", again.error
    assert ods.count_writes() == 0
    assert len(on_portal(ods)) == len(PICTURES)


def test_a_changed_chart_replaces_exactly_its_attachment(ods: OdsServer, nights: Nights) -> None:
    settings = nights.settings
    assert not nights.publish().unchanged
    ds = ods.by_dataset_id(NAME)
    before = ours(settings, ods)
    old_picture = ods.attachment_content(ds.uid, before[CHART_1])

    ods.calls.clear()
    outcome = nights.publish(nights.rendered.changed_chart_1())
    assert not outcome.unchanged
    assert outcome.actions == [f"remplacer la pièce jointe {CHART_1}", "publier le jeu"]
    after = ours(settings, ods)
    assert after[CHART_1] != before[CHART_1]
    assert {n: u for n, u in after.items() if n != CHART_1} == {
        n: u for n, u in before.items() if n != CHART_1
    }
    # The new one is attached first, then the old one deleted; only the metadata published.
    assert [(c.method, c.path) for c in ods.writes()] == [
        ("POST", f"/datasets/{ds.uid}/attachments/"),
        ("DELETE", f"/datasets/{ds.uid}/attachments/{before[CHART_1]}/"),
        ("POST", f"/datasets/{ds.uid}/publish_metadata/"),
    ]
    assert before[CHART_1] not in ds.attachments
    assert set(on_portal(ods)) == set(after.values())
    assert ods.attachment_content(ds.uid, after[CHART_1]) == nights.rendered.relabelled_chart_1
    assert ods.attachment_content(ds.uid, after[CHART_1]) != old_picture
    assert TO_DELETE not in record(settings, ods).state


def test_a_crash_between_attach_and_delete_is_repaired_next_run(
    ods: OdsServer, nights: Nights
) -> None:
    settings = nights.settings
    assert not nights.publish().unchanged
    ds = ods.by_dataset_id(NAME)
    old = ours(settings, ods)[CHART_1]
    changed = nights.rendered.changed_chart_1()
    ods.fail_next(
        1,
        400,
        method="DELETE",
        path=ATTACHMENT_PATH,
        body={"error_code": "internal", "message": "panne"},
    )
    with pytest.raises(OdsError) as crashed:
        nights.publish(changed)
    assert "suppression de la pièce jointe" in str(crashed.value)
    assert sorted(on_portal(ods).values()).count(CHART_1) == 2  # the old one is still there
    state = record(settings, ods).state
    assert state[TO_DELETE] == [old] and state[ATTACHMENTS][CHART_1]["uid"] != old
    assert state["pending_publish"] == "metadata"

    ods.calls.clear()
    repaired = nights.publish(changed)
    assert not repaired.unchanged
    assert [(c.method, c.path) for c in ods.writes()] == [
        ("DELETE", f"/datasets/{ds.uid}/attachments/{old}/"),
        ("POST", f"/datasets/{ds.uid}/publish_metadata/"),
    ]
    assert sorted(on_portal(ods).values()) == sorted(PICTURES)  # one attachment per picture
    assert set(on_portal(ods)) == set(ours(settings, ods).values())
    assert TO_DELETE not in record(settings, ods).state
    assert nights.publish(changed).unchanged


def test_an_attachment_whose_answer_was_lost_is_removed_next_run(
    ods: OdsServer, nights: Nights
) -> None:
    settings = nights.settings
    ods.lose_answer_next(method="POST", path=r"/attachments/$")
    with pytest.raises(OdsError) as lost:
        nights.publish()
    assert f"ajout de la pièce jointe {CARTE}" in str(lost.value)
    assert ods.count_writes(r"/attachments/$") == 1  # never sent twice blindly
    (orphan,) = on_portal(ods)
    assert on_portal(ods)[orphan] == CARTE and CARTE not in ours(settings, ods)

    ods.calls.clear()
    again = nights.publish()
    assert not again.unchanged
    assert orphan not in on_portal(ods)
    assert sorted(on_portal(ods).values()) == sorted(PICTURES)
    assert set(on_portal(ods)) == set(ours(settings, ods).values())
    assert ods.count_writes(rf"/attachments/{orphan}/$") == 1
    assert any("laissée par un envoi interrompu" in a for a in again.actions), again.actions


def test_an_attachment_added_by_hand_is_kept(ods: OdsServer, nights: Nights) -> None:
    settings = nights.settings
    assert not nights.publish().unchanged
    hand = add_by_hand(ods)
    ods.calls.clear()
    again = nights.publish()
    assert again.unchanged and again.actions == []
    assert ods.count_writes() == 0
    assert on_portal(ods)[hand] == "reglement-de-visite.pdf"
    assert hand not in ours(settings, ods).values()


def test_pictures_turned_off_remove_our_attachments_only(ods: OdsServer, nights: Nights) -> None:
    settings = nights.settings
    assert not nights.publish().unchanged
    ds = ods.by_dataset_id(NAME)
    ours_before = set(ours(settings, ods).values())
    hand = add_by_hand(ods)

    off = nights.rendered.without_pictures
    ods.calls.clear()
    outcome = nights.publish(off)
    assert not outcome.unchanged
    assert f"retirer la pièce jointe {CARTE}" in outcome.actions
    assert on_portal(ods) == {hand: "reglement-de-visite.pdf"}
    deleted = {c.path.rsplit("/", 2)[-2] for c in ods.writes() if c.method == "DELETE"}
    assert deleted == ours_before
    assert ods.writes()[-1].path == f"/datasets/{ds.uid}/publish_metadata/"
    assert ATTACHMENTS not in record(settings, ods).state

    ods.calls.clear()
    again = nights.publish(off)
    assert again.unchanged, again.actions
    assert not any(ATTACHMENT_PATH in c.path for c in ods.calls)  # nothing ours to look for


def test_dry_run_lists_the_attachment_actions_and_writes_nothing(
    ods: OdsServer, nights: Nights
) -> None:
    settings = nights.settings
    fresh = nights.dry_run(nights.rendered.files)
    assert {f"joindre {p}" for p in PICTURES} <= set(fresh)
    assert fresh[-1] == "publier le jeu"
    assert not ods.datasets and ods.count_writes() == 0

    assert not nights.publish().unchanged
    before = dict(on_portal(ods))
    tonight = without(nights.rendered.changed_chart_1(), CHART_3)
    ods.calls.clear()
    planned = nights.dry_run(tonight)
    assert planned == [
        f"remplacer la pièce jointe {CHART_1}",
        f"retirer la pièce jointe {CHART_3}",
        "publier le jeu",
    ]
    assert ods.count_writes() == 0 and on_portal(ods) == before

    done = nights.publish(tonight)
    assert not done.unchanged and done.actions == planned
    assert sorted(on_portal(ods).values()) == sorted([CARTE, CHART_1, CHART_2])
    assert CHART_3 not in ours(settings, ods)
