"""HttpClient against real local servers: retries, conditional GET, complete-or-nothing files."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from patrimoine.config import Settings
from patrimoine.errors import DownloadIncomplete, HTTPStatusError, NotInSnapshot, SourceError
from patrimoine.http import DownloadResult, HttpClient, MirrorTransport, open_client
from tests.servers import CLERMONT_EPCI_SIREN, Reply, Request, UpstreamServer, clermont_communes

MakeSettings = Callable[..., Settings]

CSV = (
    "Reference;Titre_editorial_de_la_notice;Commune_forme_editoriale\n"
    "PA00091927;Cathédrale Notre-Dame-de-l'Assomption;Clermont-Ferrand\n"
    "PA00091926;Basilique Notre-Dame-du-Port;Clermont-Ferrand\n"
).encode()
DATASET = "5b7d2c9b8b4c41277c0a1e3f"
PAST_NS = 1_600_000_000_000_000_000  # 2020-09-13: an mtime no download can produce


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def publish(upstream: UpstreamServer, content: bytes = CSV) -> str:
    """A dataset with one CSV; returns the file URL."""
    upstream.add_datagouv_dataset(DATASET, [("csv", "merimee.csv", content)])
    return upstream.resource_url(DATASET, "merimee.csv")


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    """Where the tests download (tmp_path also holds the config file)."""
    return tmp_path / "downloads"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".part", ".tmp")))


# ---------------------------------------------------------------------------------------
# get_json
# ---------------------------------------------------------------------------------------
def test_get_json_ok(client: HttpClient, upstream: UpstreamServer, sleeps: list[float]) -> None:
    dataset = upstream.add_datagouv_dataset(DATASET, [("csv", "merimee.csv", CSV)])
    assert client.get_json(f"{upstream.url}/api/1/datasets/{DATASET}/") == dataset
    assert sleeps == []
    (request,) = upstream.requests
    assert request.headers["User-Agent"].startswith("patrimoine/")


def test_get_json_with_params(client: HttpClient, upstream: UpstreamServer) -> None:
    upstream.add_epci(CLERMONT_EPCI_SIREN, clermont_communes())
    url = f"{client.settings.geo_api_url}/epcis/{CLERMONT_EPCI_SIREN}/communes"
    collection = client.get_json(url, params={"format": "geojson", "geometry": "contour"})
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 21
    assert collection["features"][0]["geometry"]["type"] == "Polygon"


def test_get_json_follows_the_slash_redirect(client: HttpClient, upstream: UpstreamServer) -> None:
    upstream.add_datagouv_dataset(DATASET, [("csv", "merimee.csv", CSV)])
    assert client.get_json(f"{upstream.url}/api/1/datasets/{DATASET}")["id"] == DATASET


def test_404_is_final(client: HttpClient, upstream: UpstreamServer, sleeps: list[float]) -> None:
    url = f"{upstream.url}/api/1/datasets/inconnu/"
    with pytest.raises(HTTPStatusError) as caught:
        client.get_json(url)
    assert caught.value.status_code == 404
    assert "404" in str(caught.value) and url in str(caught.value)
    assert caught.value.url == url
    assert upstream.count("/api/1/datasets/inconnu/") == 1
    assert sleeps == []


def test_unknown_epci_is_a_404(client: HttpClient, upstream: UpstreamServer) -> None:
    with pytest.raises(HTTPStatusError) as caught:
        client.get_json(f"{upstream.url}/epcis/246300700/communes", params={"format": "json"})
    assert caught.value.status_code == 404


def test_503_twice_then_ok(
    client: HttpClient, upstream: UpstreamServer, sleeps: list[float]
) -> None:
    dataset = upstream.add_datagouv_dataset(DATASET, [("csv", "merimee.csv", CSV)])
    path = f"/api/1/datasets/{DATASET}/"
    upstream.route(path).fail_times(2, status=503)
    assert client.get_json(upstream.url + path) == dataset
    assert upstream.count(path) == 3
    assert sleeps == [0, 0]


@pytest.mark.parametrize("status", [429, 500, 502, 504])
def test_other_transient_statuses_are_retried(
    client: HttpClient, upstream: UpstreamServer, status: int
) -> None:
    upstream.add_json("/x", {"ok": True}).fail_times(1, status=status)
    assert client.get_json(upstream.url + "/x") == {"ok": True}
    assert upstream.count("/x") == 2


def test_503_forever(client: HttpClient, upstream: UpstreamServer, sleeps: list[float]) -> None:
    upstream.add_json("/down", {}).status(503)
    with pytest.raises(HTTPStatusError) as caught:
        client.get_json(upstream.url + "/down")
    assert caught.value.status_code == 503
    retries = client.settings.http_retries
    assert upstream.count("/down") == retries + 1 == 4
    assert len(sleeps) == retries


def test_backoff_doubles(make_settings: MakeSettings, upstream: UpstreamServer) -> None:
    upstream.add_json("/down", {}).status(502)
    delays: list[float] = []
    settings = make_settings(http_backoff="1.5", http_retries="3")
    with HttpClient(settings, sleep=delays.append) as client, pytest.raises(HTTPStatusError):
        client.get_json(upstream.url + "/down")
    assert delays == [1.5, 3.0, 6.0]


def test_retry_after_is_honoured_up_to_a_cap(
    make_settings: MakeSettings, upstream: UpstreamServer
) -> None:
    upstream.add_json("/busy", {"ok": True}).fail_times(2, status=429, headers={"Retry-After": "7"})
    upstream.add_json("/closed", {}).fail_times(1, status=503, headers={"Retry-After": "3600"})
    delays: list[float] = []
    with HttpClient(make_settings(http_backoff="1"), sleep=delays.append) as client:
        assert client.get_json(upstream.url + "/busy") == {"ok": True}
        assert client.get_json(upstream.url + "/closed") == {}
    assert delays == [7.0, 7.0, 120.0]


def test_zero_retries_means_one_attempt(
    make_settings: MakeSettings, upstream: UpstreamServer
) -> None:
    upstream.add_json("/down", {}).status(503)
    with HttpClient(make_settings(http_retries="0")) as client, pytest.raises(HTTPStatusError):
        client.get_json(upstream.url + "/down")
    assert upstream.count("/down") == 1


def test_invalid_json_is_a_source_error(client: HttpClient, upstream: UpstreamServer) -> None:
    upstream.add_route("/html", Reply.text("<html>maintenance</html>", 200, "text/html"))
    with pytest.raises(SourceError) as caught:
        client.get_json(upstream.url + "/html")
    assert not isinstance(caught.value, HTTPStatusError)
    assert "JSON" in str(caught.value)
    assert upstream.count("/html") == 1


def test_connection_refused_is_retried_then_source_error(
    settings: Settings, sleeps: list[float]
) -> None:
    with UpstreamServer() as gone:
        url = gone.url + "/api/1/datasets/x/"
    with HttpClient(settings, sleep=sleeps.append) as client, pytest.raises(SourceError) as caught:
        client.get_json(url)
    assert "réseau" in caught.value.cause and caught.value.url == url
    assert len(sleeps) == settings.http_retries


def test_read_timeout_is_retried(make_settings: MakeSettings, upstream: UpstreamServer) -> None:
    upstream.add_json("/slow", {}).delay(3)
    settings = make_settings(http_timeout="0.2", http_retries="1")
    with HttpClient(settings) as client, pytest.raises(SourceError):
        client.get_json(upstream.url + "/slow")
    assert upstream.count("/slow") == 2


# ---------------------------------------------------------------------------------------
# download
# ---------------------------------------------------------------------------------------
def test_download_streams_to_disk(
    client: HttpClient, upstream: UpstreamServer, downloads: Path
) -> None:
    url = publish(upstream)
    dest = downloads / "raw" / "merimee" / "merimee.csv"  # parents are created
    result = client.download(url, dest)
    assert isinstance(result, DownloadResult)
    assert dest.read_bytes() == CSV
    assert (result.path, result.url) == (dest, url)
    assert (result.sha256, result.size, result.not_modified) == (sha256(CSV), len(CSV), False)
    served = upstream.route(url).responder
    assert isinstance(served, Reply)
    assert result.etag == served.headers["ETag"]
    assert result.last_modified == served.headers["Last-Modified"]
    assert leftovers(dest.parent) == []


def test_second_download_is_conditional(
    client: HttpClient, upstream: UpstreamServer, downloads: Path
) -> None:
    url = publish(upstream)
    dest = downloads / "merimee.csv"
    first = client.download(url, dest)
    os.utime(dest, ns=(PAST_NS, PAST_NS))

    second = client.download(url, dest)

    request = upstream.requests_to(url)[-1]
    assert request.headers["If-None-Match"] == first.etag
    assert request.headers["If-Modified-Since"] == first.last_modified
    assert second.not_modified is True
    assert (second.sha256, second.size, second.path) == (first.sha256, first.size, dest)
    assert dest.stat().st_mtime_ns == PAST_NS  # not rewritten
    assert dest.read_bytes() == CSV


def test_replaced_file_on_the_same_url_is_downloaded_again(
    client: HttpClient, upstream: UpstreamServer, downloads: Path
) -> None:
    url = publish(upstream)
    dest = downloads / "merimee.csv"
    first = client.download(url, dest)
    new_content = CSV + "PA00092123;Église Saint-Pierre-les-Minimes;Clermont-Ferrand\n".encode()
    upstream.replace_file(DATASET, "merimee.csv", new_content, keep_url=True)

    second = client.download(url, dest)

    assert upstream.requests_to(url)[-1].headers["If-None-Match"] == first.etag
    assert second.not_modified is False
    assert (second.sha256, second.size) == (sha256(new_content), len(new_content))
    assert second.etag != first.etag
    assert dest.read_bytes() == new_content
    assert client.download(url, dest).not_modified is True


def test_replaced_file_through_the_permalink(
    client: HttpClient, upstream: UpstreamServer, downloads: Path
) -> None:
    """udata moves a replaced file to a new URL; the ``latest`` permalink follows it."""
    publish(upstream)
    latest = upstream.resource(DATASET, "merimee.csv")["latest"]
    dest = downloads / "merimee.csv"
    assert client.download(latest, dest).sha256 == sha256(CSV)
    assert client.download(latest, dest).not_modified is True
    upstream.replace_file(DATASET, "merimee.csv", b"Reference\nPA1\n")
    third = client.download(latest, dest)
    assert third.not_modified is False
    assert dest.read_bytes() == b"Reference\nPA1\n"


def test_download_404_leaves_nothing(
    client: HttpClient, upstream: UpstreamServer, downloads: Path, sleeps: list[float]
) -> None:
    dest = downloads / "missing.csv"
    with pytest.raises(HTTPStatusError) as caught:
        client.download(f"{upstream.url}/static/resources/x/20260101-000000/missing.csv", dest)
    assert caught.value.status_code == 404
    assert sleeps == []
    assert list(downloads.iterdir()) == []


def test_truncated_once_is_retried(
    client: HttpClient, upstream: UpstreamServer, downloads: Path, sleeps: list[float]
) -> None:
    url = publish(upstream)
    upstream.route(url).truncate(1, 20)
    dest = downloads / "merimee.csv"
    result = client.download(url, dest)
    assert dest.read_bytes() == CSV and result.sha256 == sha256(CSV)
    assert upstream.count(path_of(url)) == 2
    assert len(sleeps) == 1
    assert leftovers(downloads) == []


def test_truncated_always_leaves_no_file(
    client: HttpClient, upstream: UpstreamServer, downloads: Path
) -> None:
    url = publish(upstream)
    upstream.route(url).truncate(None, 20)
    dest = downloads / "merimee.csv"
    with pytest.raises(DownloadIncomplete) as caught:
        client.download(url, dest)
    assert caught.value.url == url
    assert upstream.count(path_of(url)) == client.settings.http_retries + 1
    assert list(downloads.iterdir()) == []


def test_truncated_always_keeps_the_previous_complete_file(
    client: HttpClient, upstream: UpstreamServer, downloads: Path
) -> None:
    url = publish(upstream)
    dest = downloads / "merimee.csv"
    first = client.download(url, dest)
    meta = (downloads / "merimee.csv.http.json").read_bytes()
    upstream.replace_file(DATASET, "merimee.csv", CSV * 50, keep_url=True)
    upstream.route(url).truncate(None, len(CSV) + 7)

    with pytest.raises(DownloadIncomplete):
        client.download(url, dest)

    assert dest.read_bytes() == CSV
    assert (downloads / "merimee.csv.http.json").read_bytes() == meta
    assert leftovers(downloads) == []
    upstream.route(url).reset()
    again = client.download(url, dest)
    assert again.not_modified is False and again.sha256 == sha256(CSV * 50) != first.sha256


def test_failed_attempts_then_success_on_a_file(
    client: HttpClient, upstream: UpstreamServer, downloads: Path
) -> None:
    url = publish(upstream)
    upstream.route(url).fail_times(1, 502).truncate(1, 5)
    result = client.download(url, downloads / "m.csv")
    assert result.sha256 == sha256(CSV)
    assert upstream.count(path_of(url)) == 3


def test_download_of_a_gzip_encoded_response_is_decoded(
    client: HttpClient, upstream: UpstreamServer, downloads: Path
) -> None:
    """Servers (nginx gzip_types text/csv...) compress when the client accepts it."""

    def maybe_gzip(request: Request) -> Reply:
        if "gzip" in (request.headers.get("Accept-Encoding") or ""):
            return Reply(
                200,
                gzip.compress(CSV),
                {
                    "Content-Type": "text/csv",
                    "Content-Encoding": "gzip",
                    "Vary": "Accept-Encoding",
                },
            )
        return Reply(200, CSV, {"Content-Type": "text/csv"})

    upstream.add_route("/compressed.csv", maybe_gzip)
    dest = downloads / "compressed.csv"
    result = client.download(upstream.url + "/compressed.csv", dest)
    assert dest.read_bytes() == CSV
    assert result.sha256 == sha256(CSV)


def test_get_json_params_are_merged_with_the_url_query(
    client: HttpClient, upstream: UpstreamServer
) -> None:
    upstream.add_epci(CLERMONT_EPCI_SIREN, clermont_communes())
    url = f"{upstream.url}/epcis/{CLERMONT_EPCI_SIREN}/communes?format=geojson"
    collection = client.get_json(url, params={"geometry": "contour"})
    assert isinstance(collection, dict) and collection["type"] == "FeatureCollection"


# ---------------------------------------------------------------------------------------
# offline mirror
# ---------------------------------------------------------------------------------------
DATASET_URL = "https://www.data.gouv.fr/api/1/datasets/merimee/"
FILE_URL = "https://static.data.gouv.fr/resources/merimee/20260902-060000/merimee.csv"
GEO_URL = "https://geo.api.gouv.fr/epcis/246300701/communes?format=geojson&geometry=contour"


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    folder = tmp_path / "snapshot"
    (folder / "files").mkdir(parents=True)
    (folder / "files" / "dataset.json").write_text(json.dumps({"id": "merimee"}))
    (folder / "files" / "merimee.csv").write_bytes(CSV)
    (folder / "files" / "communes.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": []})
    )
    manifest = {
        "entries": [
            {"url": DATASET_URL, "file": "files/dataset.json", "content_type": "application/json"},
            {
                "url": FILE_URL,
                "file": "files/merimee.csv",
                "content_type": "text/csv",
                "last_modified": "Wed, 02 Sep 2026 06:00:00 GMT",
            },
            {
                "url": GEO_URL,
                "file": "files/communes.geojson",
                "content_type": "application/json; charset=utf-8",
            },
        ]
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


@pytest.fixture
def offline_settings(make_settings: MakeSettings, snapshot: Path) -> Settings:
    return make_settings(offline="true", snapshot_dir=str(snapshot))


def test_offline_hit(offline_settings: Settings) -> None:
    with open_client(offline_settings) as client:
        assert client.get_json(DATASET_URL) == {"id": "merimee"}
        geo = client.get_json(
            "https://geo.api.gouv.fr/epcis/246300701/communes",
            params={"geometry": "contour", "format": "geojson"},  # other order: same entry
        )
        assert geo["type"] == "FeatureCollection"


def test_offline_download_then_304_on_etag(offline_settings: Settings, downloads: Path) -> None:
    dest = downloads / "offline" / "merimee.csv"
    with open_client(offline_settings) as client:
        first = client.download(FILE_URL, dest)
        assert (first.sha256, first.not_modified) == (sha256(CSV), False)
        assert first.last_modified == "Wed, 02 Sep 2026 06:00:00 GMT"
        os.utime(dest, ns=(PAST_NS, PAST_NS))
        second = client.download(FILE_URL, dest)
    assert second.not_modified is True and second.sha256 == first.sha256
    assert dest.stat().st_mtime_ns == PAST_NS


def test_offline_miss_is_not_in_snapshot(settings: Settings, snapshot: Path) -> None:
    sleeps: list[float] = []
    transport = MirrorTransport(snapshot)
    with HttpClient(settings, transport=transport, sleep=sleeps.append) as client:
        with pytest.raises(NotInSnapshot) as caught:
            client.get_json("https://www.data.gouv.fr/api/1/datasets/inconnu/")
        assert caught.value.url == "https://www.data.gouv.fr/api/1/datasets/inconnu/"
        with pytest.raises(NotInSnapshot):
            client.download(FILE_URL + "?v=2", Path(settings.cache_dir) / "x.csv")
    assert sleeps == []  # a miss is final, never retried
    assert not Path(settings.cache_dir).exists() or not any(Path(settings.cache_dir).iterdir())


def test_download_progress_is_logged(
    make_settings: MakeSettings,
    upstream: UpstreamServer,
    downloads: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = b"x" * (2 * 1024 * 1024)
    upstream.add_static("/static/big.csv", body, content_type="text/csv")
    caplog.set_level(logging.INFO, logger="patrimoine.http.client")
    with HttpClient(make_settings(progress="true")) as client:
        client.download(f"{upstream.url}/static/big.csv", downloads / "big.csv")
    percents = [r.getMessage() for r in caplog.records if "%" in r.getMessage()]
    assert len(percents) >= 5 and percents[0].startswith("Téléchargement ")
    assert any(r.getMessage().startswith("Téléchargé 2.0 Mo") for r in caplog.records)
