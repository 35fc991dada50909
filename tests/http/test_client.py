"""HttpClient against real local servers: retries, conditional GET, complete-or-nothing files."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from patrimoine.config import Settings
from patrimoine.errors import (
    DownloadIncomplete,
    HTTPStatusError,
    NetworkError,
    NotInSnapshot,
    SourceError,
    is_transient,
)
from patrimoine.http import DownloadResult, HttpClient, MirrorTransport, open_client
from tests.http.conftest import ConnectionScript, RawServer, read_head, reset
from tests.servers import CLERMONT_EPCI_SIREN, Reply, Request, UpstreamServer, clermont_communes

MakeSettings = Callable[..., Settings]
StartRawServer = Callable[[ConnectionScript], RawServer]

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
    assert caught.value.transient is False
    assert upstream.count("/api/1/datasets/inconnu/") == 1
    assert sleeps == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 425])
def test_other_client_errors_are_final(
    client: HttpClient, upstream: UpstreamServer, sleeps: list[float], status: int
) -> None:
    upstream.add_json("/x", {}).status(status)
    with pytest.raises(HTTPStatusError) as caught:
        client.get_json(upstream.url + "/x")
    assert caught.value.status_code == status
    assert not is_transient(caught.value)
    assert upstream.count("/x") == 1
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


@pytest.mark.parametrize("status", [408, 429, 500, 502, 504])
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
    assert caught.value.transient is True
    retries = client.settings.http_retries
    assert upstream.count("/down") == retries + 1 == 4
    assert len(sleeps) == retries


def test_408_forever_is_transient(client: HttpClient, upstream: UpstreamServer) -> None:
    upstream.add_json("/x", {}).status(408)
    with pytest.raises(HTTPStatusError) as caught:
        client.get_json(upstream.url + "/x")
    assert caught.value.transient is True
    assert upstream.count("/x") == client.settings.http_retries + 1


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


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_final(
    settings: Settings, sleeps: list[float], downloads: Path
) -> None:
    """No server: trying again in a few seconds cannot help, so it fails at once."""
    port = closed_port()
    url = f"http://127.0.0.1:{port}/api/1/datasets/x/"
    with HttpClient(settings, sleep=sleeps.append) as client:
        with pytest.raises(NetworkError) as caught:
            client.get_json(url)
        with pytest.raises(NetworkError) as on_download:
            client.download(url, downloads / "x.json")
    for error in (caught.value, on_download.value):
        assert error.cause == f"connexion refusée par 127.0.0.1:{port}"
        assert error.url == url and error.transient is False
    assert sleeps == []


def test_unresolvable_host_is_final(client: HttpClient, sleeps: list[float]) -> None:
    url = "http://patrimoine-test.invalid/api/1/datasets/x/"
    with pytest.raises(NetworkError) as caught:
        client.get_json(url)
    assert caught.value.cause == "nom d'hôte introuvable : patrimoine-test.invalid"
    assert caught.value.url == url and caught.value.transient is False
    assert sleeps == []


def test_tls_failure_is_final(
    client: HttpClient, raw_server: StartRawServer, sleeps: list[float]
) -> None:
    """An https URL on a plain-text port (or a bad certificate) will not heal by retrying."""

    def plain_text(conn: socket.socket, index: int) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    server = raw_server(plain_text)
    with pytest.raises(NetworkError) as caught:
        client.get_json(f"https://127.0.0.1:{server.port}/x")
    assert caught.value.cause.startswith("échec de la connexion sécurisée (TLS) avec 127.0.0.1")
    assert caught.value.transient is False
    assert server.connections == 1 and sleeps == []


def test_unsupported_protocol_is_final(client: HttpClient, sleeps: list[float]) -> None:
    with pytest.raises(NetworkError) as caught:
        client.get_json("ftp://example.org/merimee.csv")
    assert caught.value.cause == "protocole non pris en charge : ftp"
    assert caught.value.transient is False and sleeps == []


def test_read_timeout_is_retried(make_settings: MakeSettings, upstream: UpstreamServer) -> None:
    upstream.add_json("/slow", {}).delay(3)
    settings = make_settings(http_timeout="0.2", http_retries="1")
    with HttpClient(settings) as client, pytest.raises(NetworkError) as caught:
        client.get_json(upstream.url + "/slow")
    assert upstream.count("/slow") == 2
    assert caught.value.cause == "délai de réponse dépassé (0.2 s)"
    assert caught.value.url == upstream.url + "/slow"
    assert caught.value.transient is True


def test_connect_timeout_is_retried(make_settings: MakeSettings, unanswered_url: str) -> None:
    sleeps: list[float] = []
    settings = make_settings(http_timeout="0.3", http_retries="2")
    started = time.monotonic()
    with HttpClient(settings, sleep=sleeps.append) as client, pytest.raises(NetworkError) as caught:
        client.get_json(unanswered_url)
    assert len(sleeps) == 2  # three attempts
    assert time.monotonic() - started >= 0.9
    assert caught.value.cause.startswith("délai de connexion dépassé (0.3 s)")
    assert caught.value.transient is True


def test_body_cut_short_is_retried(client: HttpClient, upstream: UpstreamServer) -> None:
    upstream.add_json("/x", {"ok": True, "pad": "x" * 100}).truncate(1, 10)
    assert client.get_json(upstream.url + "/x")["ok"] is True
    assert upstream.count("/x") == 2


def test_connection_reset_before_the_answer_is_retried(
    client: HttpClient, raw_server: StartRawServer, sleeps: list[float]
) -> None:
    def reset_always(conn: socket.socket, index: int) -> None:
        read_head(conn)
        reset(conn)

    server = raw_server(reset_always)
    url = f"http://127.0.0.1:{server.port}/api/1/datasets/x/"
    with pytest.raises(NetworkError) as caught:
        client.get_json(url)
    assert caught.value.cause == "connexion interrompue par le serveur"
    assert caught.value.url == url and caught.value.transient is True
    assert server.connections == client.settings.http_retries + 1
    assert len(sleeps) == client.settings.http_retries


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
    client: HttpClient,
    upstream: UpstreamServer,
    downloads: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An intact cache (size and sha256 as recorded) is reused on a 304."""
    url = publish(upstream)
    dest = downloads / "merimee.csv"
    first = client.download(url, dest)
    os.utime(dest, ns=(PAST_NS, PAST_NS))

    with caplog.at_level(logging.WARNING, logger="patrimoine.http.client"):
        second = client.download(url, dest)

    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []

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
    assert caught.value.cause == f"fichier tronqué : 20 octets reçus sur {len(CSV)} annoncés"
    assert caught.value.transient is True
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


def test_download_final_and_transient_statuses(
    client: HttpClient, upstream: UpstreamServer, downloads: Path, sleeps: list[float]
) -> None:
    url = publish(upstream)
    upstream.route(url).status(403)
    with pytest.raises(HTTPStatusError) as forbidden:
        client.download(url, downloads / "m.csv")
    assert forbidden.value.transient is False and sleeps == []
    upstream.route(url).status(503)
    with pytest.raises(HTTPStatusError) as down:
        client.download(url, downloads / "m.csv")
    assert down.value.transient is True
    assert upstream.count(path_of(url)) == 1 + client.settings.http_retries + 1


def csv_response(body: bytes) -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"Connection: close\r\n\r\n" + body


def reset_mid_body(times: int | None) -> ConnectionScript:
    """Announce the whole CSV, send 40 bytes, then reset; ``times`` connections (None: all)."""

    def script(conn: socket.socket, index: int) -> None:
        read_head(conn)
        if times is not None and index >= times:
            conn.sendall(csv_response(CSV))
            return
        conn.sendall(csv_response(CSV)[: -len(CSV) + 40])
        time.sleep(0.1)  # let the client read the head and start on the body
        reset(conn)

    return script


def test_connection_reset_mid_body_is_retried(
    client: HttpClient, raw_server: StartRawServer, downloads: Path, sleeps: list[float]
) -> None:
    server = raw_server(reset_mid_body(1))
    dest = downloads / "merimee.csv"
    result = client.download(f"http://127.0.0.1:{server.port}/merimee.csv", dest)
    assert (result.sha256, result.not_modified) == (sha256(CSV), False)
    assert dest.read_bytes() == CSV
    assert server.connections == 2 and len(sleeps) == 1
    assert leftovers(downloads) == []


def test_connection_reset_mid_body_always_is_download_incomplete(
    client: HttpClient, raw_server: StartRawServer, downloads: Path
) -> None:
    server = raw_server(reset_mid_body(None))
    url = f"http://127.0.0.1:{server.port}/merimee.csv"
    with pytest.raises(DownloadIncomplete) as caught:
        client.download(url, downloads / "merimee.csv")
    assert caught.value.cause == f"fichier tronqué : 40 octets reçus sur {len(CSV)} annoncés"
    assert caught.value.url == url and caught.value.transient is True
    assert server.connections == client.settings.http_retries + 1
    assert list(downloads.iterdir()) == []


def cut_at_a_line_end(dest: Path, meta: Path) -> None:
    dest.write_bytes(CSV[: CSV.index(b"\n") + 1])


def cut_mid_line(dest: Path, meta: Path) -> None:
    dest.write_bytes(CSV[: len(CSV) - 12])


def flip_one_byte(dest: Path, meta: Path) -> None:
    data = bytearray(dest.read_bytes())
    data[len(data) // 2] ^= 0x01
    dest.write_bytes(bytes(data))


def delete_sidecar(dest: Path, meta: Path) -> None:
    meta.unlink()


def garble_sidecar(dest: Path, meta: Path) -> None:
    meta.write_text('{"url": "http://', encoding="utf-8")


def sidecar_of_another_url(dest: Path, meta: Path) -> None:
    data = json.loads(meta.read_text(encoding="utf-8"))
    meta.write_text(json.dumps({**data, "url": data["url"] + "?v=1"}), encoding="utf-8")


@pytest.mark.parametrize(
    "damage",
    [
        cut_at_a_line_end,
        cut_mid_line,
        flip_one_byte,
        delete_sidecar,
        garble_sidecar,
    ],
)
def test_damaged_cache_is_downloaded_again(
    client: HttpClient,
    upstream: UpstreamServer,
    downloads: Path,
    caplog: pytest.LogCaptureFixture,
    damage: Callable[[Path, Path], None],
) -> None:
    """A cache that is not what its sidecar records is never reused on a 304."""
    url = publish(upstream)
    dest = downloads / "merimee.csv"
    client.download(url, dest)
    damage(dest, downloads / "merimee.csv.http.json")

    with caplog.at_level(logging.WARNING, logger="patrimoine.http.client"):
        again = client.download(url, dest)

    request = upstream.requests_to(url)[-1]
    assert request.headers["If-None-Match"] is None
    assert request.headers["If-Modified-Since"] is None
    assert (again.sha256, again.size, again.not_modified) == (sha256(CSV), len(CSV), False)
    assert dest.read_bytes() == CSV
    (warning,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warning.levelno == logging.WARNING
    assert warning.getMessage().startswith("Fichier en cache ")
    assert warning.getMessage().endswith(f" : nouveau téléchargement de {url}")
    assert client.download(url, dest).not_modified is True  # the sidecar is sound again


def test_a_new_url_is_downloaded_without_a_warning(
    client: HttpClient, upstream: UpstreamServer, downloads: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """data.gouv.fr moves a replaced file to a new URL: a normal night, not a damaged cache."""
    url = publish(upstream)
    dest = downloads / "merimee.csv"
    client.download(url, dest)
    sidecar_of_another_url(dest, downloads / "merimee.csv.http.json")
    with caplog.at_level(logging.INFO, logger="patrimoine.http.client"):
        again = client.download(url, dest)
    assert upstream.requests_to(url)[-1].headers["If-None-Match"] is None
    assert (again.sha256, again.not_modified) == (sha256(CSV), False)
    assert [r.levelno for r in caplog.records if "Nouvelle URL" in r.getMessage()] == [logging.INFO]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_304_to_an_unconditional_request_is_a_server_error(
    client: HttpClient, upstream: UpstreamServer, downloads: Path, sleeps: list[float]
) -> None:
    """A damaged cache sends no validators, so a 304 then cannot mean "reuse it"."""
    url = publish(upstream)
    dest = downloads / "merimee.csv"
    client.download(url, dest)
    cut_at_a_line_end(dest, downloads / "merimee.csv.http.json")
    upstream.route(url).set_responder(Reply(304, b"", {}))

    with pytest.raises(SourceError) as caught:
        client.download(url, dest)

    assert "304" in caught.value.cause and "sans en-tête conditionnel" in caught.value.cause
    assert caught.value.url == url and caught.value.transient is False
    assert upstream.requests_to(url)[-1].headers["If-None-Match"] is None
    assert sleeps == []


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


# --- send: portal API calls (an injected transport records every request) ----------------


def sending(settings: Settings, statuses: list[int]) -> tuple[HttpClient, list[httpx.Request]]:
    """A client whose transport answers ``statuses`` in turn (then 200), and its requests."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status = statuses[len(seen) - 1] if len(seen) <= len(statuses) else 200
        return httpx.Response(status, json={"message": "réponse", "n": len(seen)})

    client = HttpClient(settings, transport=httpx.MockTransport(handler), sleep=lambda _: None)
    return client, seen


def test_send_retries_a_503_then_returns_the_answer(settings: Settings) -> None:
    client, seen = sending(settings, [503])
    response = client.send("POST", "http://portail.test/api/1/datasets/", json={"title": "t"})
    assert response.status_code == 200 and response.json()["n"] == 2
    assert [r.method for r in seen] == ["POST", "POST"]
    assert json.loads(seen[1].content) == {"title": "t"}


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 413, 415, 423])
def test_send_returns_final_statuses_without_retrying(settings: Settings, status: int) -> None:
    client, seen = sending(settings, [status])
    response = client.send("PUT", "http://portail.test/w", json={}, headers={"X-API-KEY": "k"})
    assert response.status_code == status and len(seen) == 1


def test_send_without_retry_raises_the_transient_error_at_once(settings: Settings) -> None:
    client, seen = sending(settings, [502])
    with pytest.raises(HTTPStatusError) as caught:
        client.send("POST", "http://portail.test/upload", retry=False)
    assert caught.value.status_code == 502 and caught.value.transient is True
    assert len(seen) == 1
