"""The test servers behave like HTTP servers: routing, conditional GET, faults, shutdown."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime

import httpx
import pytest

from . import (
    CLERMONT_EPCI_SIREN,
    BaseServer,
    Reply,
    Request,
    UpstreamServer,
    clermont_communes,
    http_date,
    make_commune,
    square,
)
from .upstream import express_etag


@pytest.fixture
def server() -> Iterator[BaseServer]:
    with BaseServer() as srv:
        yield srv
    assert not srv.errors, srv.errors


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


def raw_get(url: str, path: str, extra: str = "") -> bytes:
    """Send one GET on a raw socket and return every byte until the server closes."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}\r\n"
        sock.sendall(request.encode("ascii"))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------------------------------
# lifecycle
# ---------------------------------------------------------------------------------------
def test_url_and_clean_shutdown() -> None:
    before = threading.active_count()
    srv = BaseServer()
    assert srv.url == f"http://127.0.0.1:{srv.port}"
    srv.add_json("/ping", {"ok": True})
    with httpx.Client() as client:
        assert client.get(srv.url + "/ping").json() == {"ok": True}
    srv.close()
    srv.close()  # idempotent
    assert threading.active_count() == before
    with pytest.raises(httpx.ConnectError):
        httpx.get(srv.url + "/ping", timeout=2)


def test_close_does_not_wait_for_idle_keep_alive_connections() -> None:
    before = threading.active_count()
    srv = BaseServer()
    srv.add_json("/ping", {"ok": True})
    client = httpx.Client()  # keeps its connection open in its pool
    try:
        assert client.get(srv.url + "/ping").status_code == 200
        started = time.monotonic()
        srv.close()
        assert time.monotonic() - started < 2
        assert threading.active_count() == before
    finally:
        client.close()


def test_close_interrupts_a_delayed_answer() -> None:
    srv = BaseServer()
    srv.add_json("/slow", {}).delay(30)
    failures: list[BaseException] = []

    def call() -> None:
        try:
            httpx.get(srv.url + "/slow", timeout=10)
        except httpx.HTTPError as exc:
            failures.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    while not srv.requests:
        time.sleep(0.01)
    started = time.monotonic()
    srv.close()
    caller.join(timeout=5)
    assert time.monotonic() - started < 3
    assert not caller.is_alive()


def test_many_servers_start_and_stop_quickly() -> None:
    before = threading.active_count()
    started = time.monotonic()
    for _ in range(20):
        with BaseServer() as srv:
            srv.add_json("/", [])
            assert httpx.get(srv.url + "/").status_code == 200
    assert time.monotonic() - started < 5
    assert threading.active_count() == before


# ---------------------------------------------------------------------------------------
# routing and recording
# ---------------------------------------------------------------------------------------
def test_requests_are_recorded_with_query_and_headers(
    server: BaseServer, http: httpx.Client
) -> None:
    server.add_json("/a", {})
    http.get(server.url + "/a?x=1&y=2", headers={"X-Test": "yes"})
    method, path, headers = server.requests[0]
    assert (method, path) == ("GET", "/a?x=1&y=2")
    assert headers["x-test"] == "yes"  # case-insensitive
    assert server.requests[0].path_only == "/a"
    assert server.requests[0].query == (("x", "1"), ("y", "2"))
    assert server.count("/a") == 1
    assert server.count(server.url + "/a", method="POST") == 0
    server.clear_requests()
    assert server.requests == []


def test_query_matching_is_exact_but_order_insensitive(
    server: BaseServer, http: httpx.Client
) -> None:
    server.add_json("/r", {"route": "json"}, query={"format": "json", "fields": "nom"})
    server.add_json("/r", {"route": "any"})
    assert http.get(server.url + "/r?fields=nom&format=json").json() == {"route": "json"}
    assert http.get(server.url + "/r?format=json&fields=nom").json() == {"route": "json"}
    assert http.get(server.url + "/r?format=json").json() == {"route": "any"}
    assert http.get(server.url + "/r").json() == {"route": "any"}
    assert server.route(server.url + "/r?format=json&fields=nom").query is not None


def test_route_with_query_only_does_not_answer_other_queries(
    server: BaseServer, http: httpx.Client
) -> None:
    server.add_json("/only", {"ok": True}, query="a=1")
    assert http.get(server.url + "/only?a=1").status_code == 200
    response = http.get(server.url + "/only?a=2")
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_handler_receives_the_request(server: BaseServer, http: httpx.Client) -> None:
    def echo(request: Request) -> Reply:
        return Reply.json(
            {
                "method": request.method,
                "path": request.path,
                "q": request.query,
                "first": request.arg("q"),
                "body": request.body.decode(),
            }
        )

    server.add_route("/echo", echo, methods=("GET", "POST"))
    answer = http.post(server.url + "/echo?q=1&q=2", content=b"hello").json()
    assert answer == {
        "method": "POST",
        "path": "/echo",
        "q": {"q": ["1", "2"]},
        "first": "1",
        "body": "hello",
    }
    assert http.delete(server.url + "/echo").status_code == 405


def test_handler_crash_is_a_500_and_is_kept(http: httpx.Client) -> None:
    with BaseServer() as srv:
        srv.add_route("/boom", lambda request: 1 / 0)  # type: ignore[arg-type,return-value]
        response = http.get(srv.url + "/boom")
        assert response.status_code == 500
        assert "ZeroDivisionError" in response.text
        assert len(srv.errors) == 1


def test_remove_route(server: BaseServer, http: httpx.Client) -> None:
    server.add_json("/gone", {})
    server.remove_route("/gone")
    assert http.get(server.url + "/gone").status_code == 404
    with pytest.raises(KeyError):
        server.route("/gone")


# ---------------------------------------------------------------------------------------
# static bodies and conditional GET
# ---------------------------------------------------------------------------------------
def test_static_body_has_length_etag_and_last_modified(
    server: BaseServer, http: httpx.Client
) -> None:
    body = b"code;nom\n63113;Clermont-Ferrand\n"
    server.add_static(
        "/f.csv", body, content_type="text/csv", last_modified="Wed, 02 Sep 2026 06:00:00 GMT"
    )
    response = http.get(server.url + "/f.csv")
    assert response.content == body
    assert response.headers["Content-Length"] == str(len(body))
    assert response.headers["Content-Type"] == "text/csv"
    assert response.headers["ETag"] == '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    assert response.headers["Last-Modified"] == "Wed, 02 Sep 2026 06:00:00 GMT"

    head = http.head(server.url + "/f.csv")
    assert head.headers["Content-Length"] == str(len(body)) and head.content == b""


def test_conditional_requests(server: BaseServer, http: httpx.Client) -> None:
    server.add_static("/f", b"abc", last_modified="Wed, 02 Sep 2026 06:00:00 GMT")
    etag = http.get(server.url + "/f").headers["ETag"]

    def status(**headers: str) -> int:
        return http.get(server.url + "/f", headers=headers).status_code

    assert status(**{"If-None-Match": etag}) == 304
    assert status(**{"If-None-Match": f'"other", W/{etag}'}) == 304
    assert status(**{"If-None-Match": '"other"'}) == 200
    assert status(**{"If-Modified-Since": "Wed, 02 Sep 2026 06:00:00 GMT"}) == 304
    assert status(**{"If-Modified-Since": "Thu, 03 Sep 2026 06:00:00 GMT"}) == 304
    assert status(**{"If-Modified-Since": "Tue, 01 Sep 2026 06:00:00 GMT"}) == 200
    assert status(**{"If-Modified-Since": "garbage"}) == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)
    assert (
        status(**{"If-None-Match": '"other"', "If-Modified-Since": "Thu, 03 Sep 2026 06:00:00 GMT"})
        == 200
    )
    not_modified = http.get(server.url + "/f", headers={"If-None-Match": etag})
    assert not_modified.content == b"" and not_modified.headers["ETag"] == etag


def test_set_body_changes_etag_and_date(server: BaseServer, http: httpx.Client) -> None:
    route = server.add_static("/f", b"v1", last_modified="Wed, 02 Sep 2026 06:00:00 GMT")
    old = http.get(server.url + "/f").headers
    route.set_body(b"v2")
    response = http.get(server.url + "/f", headers={"If-None-Match": old["ETag"]})
    assert response.status_code == 200 and response.content == b"v2"
    assert response.headers["ETag"] != old["ETag"]
    new_date = parsedate_to_datetime(response.headers["Last-Modified"])
    assert new_date > parsedate_to_datetime(old["Last-Modified"])


def test_http_date_format() -> None:
    from datetime import datetime

    assert http_date(datetime(2026, 9, 2, 6, 0, 0, 123)) == "Wed, 02 Sep 2026 06:00:00 GMT"


# ---------------------------------------------------------------------------------------
# faults
# ---------------------------------------------------------------------------------------
def test_fail_times_then_normal(server: BaseServer, http: httpx.Client) -> None:
    route = server.add_json("/flaky", {"ok": True}).fail_times(2)
    first = http.get(server.url + "/flaky")
    assert first.status_code == 503
    assert first.json() == {"message": "Service Unavailable"}
    assert http.get(server.url + "/flaky").status_code == 503
    assert http.get(server.url + "/flaky").json() == {"ok": True}
    assert route.hits == 3
    route.fail_times(1, status=429, body={"message": "slow down"}, headers={"Retry-After": "1"})
    limited = http.get(server.url + "/flaky")
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "1")


def test_permanent_status_and_reset(server: BaseServer, http: httpx.Client) -> None:
    route = server.add_json("/down", {"ok": True}).status(423, {"message": "read-only"})
    for _ in range(3):
        response = http.get(server.url + "/down")
        assert (response.status_code, response.json()) == (423, {"message": "read-only"})
    route.reset()
    assert http.get(server.url + "/down").json() == {"ok": True}


def test_truncate_announces_full_length_then_closes(server: BaseServer) -> None:
    body = bytes(range(256)) * 40
    server.add_static("/big", body).truncate(1, 100)
    raw = raw_get(server.url, "/big")
    head, _, received = raw.partition(b"\r\n\r\n")
    assert f"Content-Length: {len(body)}".encode() in head
    assert received == body[:100]
    # the truncation was used up: the next answer is whole
    head, _, received = raw_get(server.url, "/big").partition(b"\r\n\r\n")
    assert received == body


def test_truncate_is_seen_by_httpx_and_can_be_permanent(
    server: BaseServer, http: httpx.Client
) -> None:
    server.add_static("/big", b"x" * 1000).truncate(None, 10)
    for _ in range(3):
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(server.url + "/big")
    server.route("/big").reset()
    assert http.get(server.url + "/big").content == b"x" * 1000


def test_not_modified_is_not_truncated(server: BaseServer, http: httpx.Client) -> None:
    route = server.add_static("/f", b"x" * 100)
    etag = http.get(server.url + "/f").headers["ETag"]
    route.truncate(1, 10)
    assert http.get(server.url + "/f", headers={"If-None-Match": etag}).status_code == 304
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(server.url + "/f")


def test_delay(server: BaseServer) -> None:
    server.add_json("/slow", {}).delay(1)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(server.url + "/slow", timeout=0.2)


# ---------------------------------------------------------------------------------------
# UpstreamServer: data.gouv.fr
# ---------------------------------------------------------------------------------------
CSV = b"Reference;Commune\nPA63000001;Clermont-Ferrand\n"
DATASET_OID = "5b7d2c9b8b4c41277c0a1e3f"


def test_dataset_json_has_the_api_v1_shape(upstream: UpstreamServer, http: httpx.Client) -> None:
    returned = upstream.add_datagouv_dataset(
        DATASET_OID,
        [("CSV", "merimee.csv", CSV), ("json", "merimee.json", b"[]")],
        title="Immeubles protégés au titre des monuments historiques",
    )
    response = http.get(f"{upstream.url}/api/1/datasets/{DATASET_OID}/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    data = response.json()
    assert data == returned
    assert b"\\u00e9" in response.content  # Flask escapes non-ASCII
    assert data["id"] == DATASET_OID
    assert data["slug"] == "immeubles-proteges-au-titre-des-monuments-historiques"
    for key in (
        "title",
        "description",
        "created_at",
        "last_modified",
        "last_update",
        "organization",
        "frequency",
        "license",
        "page",
        "uri",
        "tags",
        "extras",
    ):
        assert key in data
    resource = data["resources"][0]
    assert resource["format"] == "csv"  # lower-cased like udata
    assert resource["title"] == "merimee.csv"
    assert (resource["type"], resource["filetype"], resource["mime"]) == (
        "main",
        "file",
        "text/csv",
    )
    assert resource["checksum"] == {"type": "sha1", "value": hashlib.sha1(CSV).hexdigest()}
    assert resource["filesize"] == len(CSV)
    assert resource["extras"]["analysis:parsing:parsing_table"] is True
    assert resource["latest"] == f"{upstream.url}/fr/datasets/r/{resource['id']}"
    assert resource["url"].startswith(f"{upstream.url}/static/resources/{data['slug']}/")
    assert resource["url"].endswith("/merimee.csv")
    assert len(resource["id"]) == 36 and resource["id"].count("-") == 4

    file = http.get(resource["url"])
    assert file.content == CSV
    assert file.headers["Content-Type"] == "text/csv" and "ETag" in file.headers
    assert "Last-Modified" in file.headers
    assert http.get(resource["latest"], follow_redirects=True).content == CSV
    permalink = http.get(f"{upstream.url}/api/1/datasets/r/{resource['id']}")
    assert (permalink.status_code, permalink.headers["Location"]) == (302, resource["url"])


def test_dataset_by_slug_and_slash_redirect(upstream: UpstreamServer, http: httpx.Client) -> None:
    data = upstream.add_datagouv_dataset("jardins-remarquables", [("csv", "j.csv", b"a\n")])
    assert len(data["id"]) == 24
    by_slug = http.get(f"{upstream.url}/api/1/datasets/jardins-remarquables/").json()
    by_id = http.get(f"{upstream.url}/api/1/datasets/{data['id']}/").json()
    assert by_slug == by_id == data
    redirect = http.get(f"{upstream.url}/api/1/datasets/jardins-remarquables?x=1")
    assert redirect.status_code == 308
    assert redirect.headers["Location"] == "/api/1/datasets/jardins-remarquables/?x=1"


def test_resource_endpoints(upstream: UpstreamServer, http: httpx.Client) -> None:
    data = upstream.add_datagouv_dataset(DATASET_OID, [("csv", "m.csv", CSV)])
    rid = data["resources"][0]["id"]
    v1 = http.get(f"{upstream.url}/api/1/datasets/{DATASET_OID}/resources/{rid}/").json()
    assert v1 == data["resources"][0]
    v2 = http.get(f"{upstream.url}/api/2/datasets/resources/{rid}/").json()
    assert v2 == {"resource": v1, "dataset_id": DATASET_OID}


def test_unknown_and_deleted_datasets(upstream: UpstreamServer, http: httpx.Client) -> None:
    missing = http.get(f"{upstream.url}/api/1/datasets/nope/")
    assert missing.status_code == 404
    assert missing.json()["message"].startswith("The requested URL was not found")
    upstream.add_datagouv_dataset(DATASET_OID, [("csv", "m.csv", CSV)])
    upstream.delete_datagouv_dataset(DATASET_OID)
    gone = http.get(f"{upstream.url}/api/1/datasets/{DATASET_OID}/")
    assert (gone.status_code, gone.json()) == (410, {"message": "Dataset has been deleted"})
    with pytest.raises(KeyError):
        upstream.replace_file("nope", "m.csv", b"")


def test_replace_file_moves_the_file_like_udata(
    upstream: UpstreamServer, http: httpx.Client
) -> None:
    before = upstream.add_datagouv_dataset(DATASET_OID, [("csv", "m.csv", CSV)])
    old = before["resources"][0]
    upstream.replace_file(DATASET_OID, "m.csv", CSV + b"PA63000002;Royat\n")
    after = http.get(f"{upstream.url}/api/1/datasets/{DATASET_OID}/").json()
    new = after["resources"][0]
    assert new["id"] == old["id"]
    assert new["url"] != old["url"]
    assert new["checksum"]["value"] != old["checksum"]["value"]
    assert new["filesize"] == len(CSV) + len(b"PA63000002;Royat\n")
    assert new["last_modified"] > old["last_modified"]
    assert after["last_update"] >= new["last_modified"]
    assert http.get(old["url"]).status_code == 404
    assert http.get(new["url"]).content.endswith(b"Royat\n")
    assert http.get(new["latest"], follow_redirects=True).content.endswith(b"Royat\n")
    assert upstream.resource_url(DATASET_OID, "m.csv") == new["url"]


def test_replace_file_keeping_the_url(upstream: UpstreamServer, http: httpx.Client) -> None:
    data = upstream.add_datagouv_dataset(DATASET_OID, [("csv", "m.csv", CSV)])
    url = data["resources"][0]["url"]
    first = http.get(url)
    upstream.replace_file(DATASET_OID, "m.csv", b"v2", keep_url=True)
    second = http.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and second.content == b"v2"
    assert second.headers["ETag"] != first.headers["ETag"]
    assert upstream.resource(DATASET_OID, "m.csv")["checksum"]["value"] == (
        hashlib.sha1(b"v2").hexdigest()
    )
    third = http.get(url, headers={"If-Modified-Since": second.headers["Last-Modified"]})
    assert third.status_code == 304


def test_fault_injection_on_a_dataset_route(upstream: UpstreamServer, http: httpx.Client) -> None:
    upstream.add_datagouv_dataset(DATASET_OID, [("csv", "m.csv", CSV)])
    upstream.route(f"/api/1/datasets/{DATASET_OID}/").fail_times(1, 502)
    assert http.get(f"{upstream.url}/api/1/datasets/{DATASET_OID}/").status_code == 502
    assert http.get(f"{upstream.url}/api/1/datasets/{DATASET_OID}/").status_code == 200


# ---------------------------------------------------------------------------------------
# UpstreamServer: geo.api.gouv.fr
# ---------------------------------------------------------------------------------------
def test_epci_communes_geojson_contour(upstream: UpstreamServer, http: httpx.Client) -> None:
    communes = clermont_communes()
    upstream.add_epci(CLERMONT_EPCI_SIREN, communes)
    for query in ("format=geojson&geometry=contour", "geometry=contour&format=geojson"):
        response = http.get(f"{upstream.url}/epcis/{CLERMONT_EPCI_SIREN}/communes?{query}")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        collection = response.json()
        assert collection["type"] == "FeatureCollection"
        assert len(collection["features"]) == 21
        feature = collection["features"][9]
        assert feature["type"] == "Feature"
        assert feature["geometry"] == communes[9]["contour"]
        assert feature["properties"] == {
            "nom": "Clermont-Ferrand",
            "code": "63113",
            "codeDepartement": "63",
            "siren": "216301135",
            "codeEpci": CLERMONT_EPCI_SIREN,
            "codeRegion": "84",
            "codesPostaux": ["63000", "63100"],
            "population": 147751,
        }


def test_epci_communes_json_and_fields(upstream: UpstreamServer, http: httpx.Client) -> None:
    upstream.add_epci(CLERMONT_EPCI_SIREN, clermont_communes(), nom="Clermont Auvergne Métropole")
    base = f"{upstream.url}/epcis/{CLERMONT_EPCI_SIREN}/communes"
    plain = http.get(base, params={"format": "json"}).json()
    assert isinstance(plain, list) and len(plain) == 21
    assert "contour" not in plain[0] and plain[0]["code"] == "63014"
    assert http.get(base).json() == plain  # json is the default format
    picked = http.get(base, params={"fields": "population,contour", "limit": "2"}).json()
    assert [sorted(c) for c in picked] == [["code", "contour", "nom", "population"]] * 2
    centres = http.get(base, params={"format": "geojson"}).json()["features"]
    assert centres[0]["geometry"]["type"] == "Point"  # default geometry: centre
    ring = clermont_communes()[0]["contour"]["coordinates"][0][:-1]  # Aubière's real contour
    mean = [round(sum(p[i] for p in ring) / len(ring), 6) for i in (0, 1)]
    assert centres[0]["geometry"]["coordinates"] == mean
    epci = http.get(f"{upstream.url}/epcis/{CLERMONT_EPCI_SIREN}").json()
    assert epci == {
        "nom": "Clermont Auvergne Métropole",
        "code": CLERMONT_EPCI_SIREN,
        "codesDepartements": ["63"],
        "codesRegions": ["84"],
        "population": sum(c["population"] for c in clermont_communes()),
    }


def test_geo_responses_carry_express_etags(upstream: UpstreamServer, http: httpx.Client) -> None:
    upstream.add_epci(CLERMONT_EPCI_SIREN, clermont_communes()[:2])
    url = f"{upstream.url}/epcis/{CLERMONT_EPCI_SIREN}/communes?format=json"
    first = http.get(url)
    assert first.headers["ETag"] == express_etag(first.content)
    assert http.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_unknown_epci_and_commune(upstream: UpstreamServer, http: httpx.Client) -> None:
    response = http.get(f"{upstream.url}/epcis/246300700/communes?format=json")
    assert response.status_code == 404
    assert response.text == "Not Found"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert http.get(f"{upstream.url}/communes/99999").status_code == 404


def test_single_commune(upstream: UpstreamServer, http: httpx.Client) -> None:
    royat = make_commune(
        "63308",
        "Royat",
        siren="216303081",
        codes_postaux=["63130"],
        population=4420,
        code_epci=CLERMONT_EPCI_SIREN,
        contour=square(3.05, 45.76),
    )
    upstream.add_commune(royat)
    url = f"{upstream.url}/communes/63308"
    feature = http.get(url, params={"geometry": "contour", "format": "geojson"}).json()
    assert feature["type"] == "Feature"
    assert feature["geometry"] == royat["contour"]
    assert feature["properties"]["nom"] == "Royat"
    assert "contour" not in feature["properties"]
    assert http.get(url).json()["codesPostaux"] == ["63130"]
    bbox = http.get(url, params={"geometry": "bbox", "format": "geojson"}).json()
    assert bbox["geometry"]["type"] == "Polygon"


def test_clermont_communes_fixture() -> None:
    communes = clermont_communes()
    assert len(communes) == 21
    assert len({c["code"] for c in communes}) == 21
    assert sum(c["population"] for c in communes) == 296677  # EPCI populationMunicipale
    assert all(
        c["contour"]["coordinates"][0][0] == c["contour"]["coordinates"][0][-1] for c in communes
    )
