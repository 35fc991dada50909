"""The local data.gouv.fr answers like udata's API v1 (portals.md §1 and the §4 checklist).

Fixtures (``portal``, ``api``) are in this directory's conftest.
"""

from __future__ import annotations

import hashlib
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from patrimoine.sandbox.datagouv_portal import DatagouvPortal

TEST_TXT_SHA1 = "7e240de74fb1ed08fa08d38063f6a6a91462a815"
CHUNKS_SHA1 = "81fe8bfe87576c3ecb22426f8e57847382917acf"


def new_dataset(api: httpx.Client, portal: DatagouvPortal, **extra: Any) -> dict[str, Any]:
    body = {"title": "Mon jeu", "description": "Desc", "organization": portal.organization}
    response = api.post("/datasets/", json={**body, **extra})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_sha1_test_vectors_of_single_and_chunked_uploads(
    api: httpx.Client, portal: DatagouvPortal
) -> None:
    ds = new_dataset(api, portal)
    single = api.post(f"/datasets/{ds['id']}/upload/", files={"file": ("test.txt", b"aaa")})
    assert single.status_code == 201
    body = single.json()
    assert body["success"] is True and body["filetype"] == "file"
    assert body["title"] == "test.txt" and body["filesize"] == 3 and body["mime"] == "text/plain"
    assert body["checksum"] == {"type": "sha1", "value": TEST_TXT_SHA1}
    assert re.search(rf"/files/{ds['slug']}/\d{{8}}-\d{{6}}/test\.txt$", body["url"])
    for index, letter in enumerate(b"abcd"):
        part = api.post(
            f"/datasets/{ds['id']}/upload/",
            files={"file": ("chunks.txt", bytes([letter]))},
            data={
                "uuid": "u-1",
                "filename": "chunks.txt",
                "partindex": str(index),
                "partbyteoffset": str(index),
                "totalparts": "4",
                "chunksize": "1",
            },
        )
        assert part.status_code == 200 and part.json() == {"success": True}
    final = api.post(
        f"/datasets/{ds['id']}/upload/",
        data={"uuid": "u-1", "filename": "chunks.txt", "totalparts": "4"},
    )
    assert final.status_code == 201
    assert final.json()["checksum"]["value"] == CHUNKS_SHA1 == hashlib.sha1(b"abcd").hexdigest()
    listed = api.get(f"/datasets/{ds['id']}/").json()["resources"]
    assert [r["title"] for r in listed] == ["chunks.txt", "test.txt"]  # newest first
    permalink = httpx.get(listed[1]["latest"], follow_redirects=True)
    assert permalink.content == b"aaa"


def test_chunk_size_mismatch_missing_file_disallowed_and_html(
    api: httpx.Client, portal: DatagouvPortal
) -> None:
    ds = new_dataset(api, portal)
    url = f"/datasets/{ds['id']}/upload/"
    mismatch = api.post(
        url,
        files={"file": ("a.csv", b"ab")},
        data={"uuid": "x", "partindex": "0", "totalparts": "2", "chunksize": "5"},
    )
    assert (mismatch.status_code, mismatch.json()) == (
        400,
        {"success": False, "error": "Chunk size mismatch"},
    )
    missing = api.post(url, data={"other": "1"})
    assert missing.json() == {"success": False, "error": "Missing file parameter"}
    parquet = api.post(url, files={"file": ("a.parquet", b"PAR1")})
    assert parquet.status_code == 400 and "not allowed" in parquet.json()["message"]
    listed = httpx.get(parquet.json()["message"].rpartition(" ")[2]).json()
    assert "csv" in listed and "parquet" not in listed
    page = api.post(url, files={"file": ("a.csv", b"<!DOCTYPE html><html></html>")})
    assert page.status_code == 415
    assert page.json() == {"message": "Incorrect file content type: HTML"}


def test_auth_organization_and_content_type(api: httpx.Client, portal: DatagouvPortal) -> None:
    anonymous = httpx.post(f"{portal.url}/api/1/datasets/", json={"title": "t"})
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Bearer realm="uData"'
    wrong = httpx.get(f"{portal.url}/api/1/me/", headers={"X-API-KEY": "nope"})
    assert (wrong.status_code, wrong.json()) == (401, {"message": "Invalid API token"})
    assert api.get("/me/").json()["organizations"][0]["id"] == portal.organization
    text = api.post("/datasets/", content=b"{}", headers={"Content-Type": "text/plain"})
    assert text.json() == {"errors": {"Content-Type": "expecting application/json"}}
    _, other_key = portal.state.add_user("Autre")
    foreign = httpx.post(
        f"{portal.url}/api/1/datasets/",
        json={"title": "t", "description": "d", "organization": portal.organization},
        headers={"X-API-KEY": other_key},
    )
    assert foreign.status_code == 400 and "organization" in foreign.json()["errors"]
    required = api.post("/datasets/", json={"title": "t"})
    assert required.status_code == 400 and "description" in required.json()["errors"]


def test_create_defaults_validation_slugs_and_redirect(
    api: httpx.Client, portal: DatagouvPortal
) -> None:
    ds = new_dataset(api, portal)
    assert ds["slug"] == "mon-jeu" and ds["resources"] == []
    assert (ds["license"], ds["frequency"], ds["private"]) == ("notspecified", "unknown", False)
    assert new_dataset(api, portal)["slug"] == "mon-jeu-2"
    bad = api.put(f"/datasets/{ds['id']}/", json={"frequency": "foo"})
    assert bad.json() == {"message": "'foo' is not a valid UpdateFrequency"}
    zones = api.put(f"/datasets/{ds['id']}/", json={"spatial": {"zones": ["fr:commune:xx"]}})
    assert "Unknown geoid" in str(zones.json()["errors"])
    alias = api.put(
        f"/datasets/{ds['id']}/",
        json={"frequency": "fortnighly", "tags": [" Aaa bBB $$ $$-µ  "], "private": True},
    )
    assert alias.json()["frequency"] == "biweekly" and alias.json()["tags"] == ["aaa-bbb-u"]
    kept = api.put(f"/datasets/{ds['id']}/", json={"title": "Nouveau titre"}).json()
    assert kept["private"] is True and kept["slug"] == "nouveau-titre"
    moved = api.get("/datasets/mon-jeu/")
    assert moved.status_code == 308 and moved.headers["Location"].endswith("/nouveau-titre/")
    assert api.get("/datasets/mon-jeu/", follow_redirects=True).json()["id"] == ds["id"]
    assert api.get("/datasets/inconnu/").status_code == 404
    private = httpx.get(f"{portal.url}/api/1/datasets/{ds['id']}/")
    assert private.status_code == 404  # a draft is invisible to others


def test_replace_keeps_id_resets_title_and_protects_hosted_fields(
    api: httpx.Client, portal: DatagouvPortal
) -> None:
    ds = new_dataset(api, portal)
    first = api.post(f"/datasets/{ds['id']}/upload/", files={"file": ("data.csv", b"a\n1\n")})
    rid = first.json()["id"]
    described = api.put(
        f"/datasets/{ds['id']}/resources/{rid}/",
        json={"title": "Données", "type": "main", "checksum": {"type": "sha1", "value": "x"}},
    ).json()
    assert described["title"] == "Données"
    assert described["checksum"] == first.json()["checksum"]  # protected on hosted files
    replaced = api.post(
        f"/datasets/{ds['id']}/resources/{rid}/upload/", files={"file": ("data.csv", b"a\n2\n")}
    )
    assert replaced.status_code == 200 and replaced.json()["id"] == rid
    assert replaced.json()["title"] == "data.csv"  # an upload resets the title
    assert replaced.json()["checksum"]["value"] == hashlib.sha1(b"a\n2\n").hexdigest()
    filetype = api.put(f"/datasets/{ds['id']}/resources/{rid}/", json={"filetype": "remote"})
    assert filetype.json() == {"message": "Cannot modify filetype after creation"}
    schema = api.put(f"/datasets/{ds['id']}/resources/{rid}/", json={"schema": {"url": "test"}})
    assert schema.json() == {"errors": {"schema": {"url": ['Invalid URL "test"']}}}
    portal.state.schema_catalog = {"etalab/schema-irve-statique"}
    unknown = api.put(f"/datasets/{ds['id']}/resources/{rid}/", json={"schema": {"name": "x"}})
    assert "is not an allowed value" in str(unknown.json()["errors"]["schema"]["name"])
    by_url = {"url": "https://schemas.example.org/x.json"}
    attached = api.put(f"/datasets/{ds['id']}/resources/{rid}/", json={"schema": by_url})
    assert attached.json()["schema"]["url"] == by_url["url"]
    cleared = api.put(f"/datasets/{ds['id']}/resources/{rid}/", json={"schema": None})
    assert cleared.json()["schema"] is None
    remote = api.post(f"/datasets/{ds['id']}/resources/", json={"title": "t", "url": "http://x"})
    assert remote.json() == {"message": "This endpoint only supports remote resources"}
    ok = api.post(
        f"/datasets/{ds['id']}/resources/",
        json={"title": "t", "url": "http://x/y.csv", "filetype": "remote", "format": " CSV "},
    )
    assert ok.status_code == 201 and ok.json()["format"] == "csv"
    missing = api.post(
        f"/datasets/{ds['id']}/resources/nope/upload/", files={"file": ("a.csv", b"")}
    )
    assert missing.json() == {"message": "Resource does not exist"}


def test_two_new_files_of_one_name_in_one_second_collide(
    api: httpx.Client, portal: DatagouvPortal
) -> None:
    """What data.gouv.fr#1274 reports (``FileExists``); a replacement frees its own name."""
    ds = new_dataset(api, portal)
    for _ in range(5):  # until both land in the same second
        started = int(time.time())
        first = api.post(f"/datasets/{ds['id']}/upload/", files={"file": ("same.csv", b"1\n")})
        second = api.post(f"/datasets/{ds['id']}/upload/", files={"file": ("same.csv", b"2\n")})
        if int(time.time()) == started:
            break
    assert first.status_code == 201
    assert second.status_code == 500 and "already exists" in second.json()["message"]


def test_deleted_and_archived(api: httpx.Client, portal: DatagouvPortal) -> None:
    ds = new_dataset(api, portal)
    assert api.delete(f"/datasets/{ds['id']}/").status_code == 204
    anonymous = httpx.get(f"{portal.url}/api/1/datasets/{ds['id']}/")
    assert (anonymous.status_code, anonymous.json()) == (
        410,
        {"message": "Dataset has been deleted"},
    )
    assert api.get(f"/datasets/{ds['id']}/").json()["deleted"]  # its editors still see it
    assert api.put(f"/datasets/{ds['id']}/", json={"title": "x"}).status_code == 410
    other = new_dataset(api, portal)
    portal.state.archive(other["id"])
    assert api.get(f"/datasets/{other['id']}/").json()["archived"]
    listed = api.get(f"/organizations/{portal.organization}/datasets/").json()
    assert [d["id"] for d in listed["data"]] == [other["id"]] and listed["total"] == 1


def test_injected_faults(api: httpx.Client, portal: DatagouvPortal) -> None:
    portal.fail("GET", r"/api/1/me/", 503)
    unavailable = api.get("/me/")
    assert unavailable.status_code == 503 and unavailable.headers["X-Sentry-ID"]
    assert api.get("/me/").status_code == 200  # one time only
    portal.fail("POST", r"/api/1/datasets/", 413)
    too_big = api.post("/datasets/", json={})
    assert too_big.status_code == 413 and too_big.text.startswith("<html>")
    portal.fail("POST", r"/api/1/datasets/", 423)
    assert "disabled" in api.post("/datasets/", json={}).json()["message"]
    portal.fail(None, r"/api/1/me/", 429)
    assert api.get("/me/").headers["Retry-After"] == "0"
    portal.drop("POST", r"/api/1/datasets/", after=True)
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/datasets/", json={"title": "Coupé", "description": "d"})
    assert [d["title"] for d in portal.state.datasets.values()] == ["Coupé"]  # done anyway
    portal.delay("GET", r"/api/1/me/", 1.0, skip=1)
    assert api.get("/me/").status_code == 200  # the first one passes
    with pytest.raises(httpx.ReadTimeout):
        api.get("/me/", timeout=0.2)
    assert [r.method for r in portal.writes()] == ["POST"] * 3


def test_state_survives_a_restart_and_the_page_lists_ids(tmp_path: Path) -> None:
    with DatagouvPortal(data_dir=tmp_path) as first:
        key, org = first.api_key, first.organization
        created = httpx.post(
            f"{first.url}/api/1/datasets/",
            json={"title": "Gardé", "description": "d", "organization": org},
            headers={"X-API-KEY": key},
        ).json()
        httpx.post(
            f"{first.url}/api/1/datasets/{created['id']}/upload/",
            files={"file": ("g.csv", b"x\n")},
            headers={"X-API-KEY": key},
        )
    with DatagouvPortal(data_dir=tmp_path) as second:
        assert (second.api_key, second.organization) == (key, org)
        page = httpx.get(f"{second.url}/").text
        assert "Gardé" in page and created["id"] in page and "/api/1/datasets/r/" in page
        resource = second.state.datasets[created["id"]]["resources"][0]
        assert httpx.get(resource["latest"], follow_redirects=True).content == b"x\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_portal_sandbox_command_serves_until_interrupted(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "patrimoine.cli", "portal-sandbox", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "Ctrl-C" in line or not line:
                break
        out = "".join(lines)
        assert f"http://127.0.0.1:{port}" in out, (
            out,
            process.stderr.read() if process.stderr else "",
        )
        assert "PATRIMOINE_DATAGOUV_API_KEY=udata_" in out
        assert "PATRIMOINE_DATAGOUV_ORGANIZATION=" in out
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 200 and "Aucun jeu de données" in page.text
    finally:
        process.send_signal(subprocess.signal.SIGINT)  # type: ignore[attr-defined]
        code = process.wait(timeout=15)
    assert code == 0
