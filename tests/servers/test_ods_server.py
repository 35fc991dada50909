"""The local OpenDataSoft answers as the Automation API v1.0 spec says."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.servers.ods import OdsServer

KEY = "cle-de-test"
META = {
    "default": {
        "title": {"value": "Jeu"},
        "modified": {"value": "2026-01-01T00:00:00Z"},
        "language": {"value": "fr"},
    }
}


@pytest.fixture
def ods() -> Iterator[OdsServer]:
    with OdsServer(api_key=KEY, processing_polls=1, read_only_keys=("lecture",)) as server:
        yield server
    assert not server.errors, server.errors


@pytest.fixture
def api(ods: OdsServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"ApiKey {KEY}"}  # the scheme word is case-insensitive
    with httpx.Client(base_url=ods.api_url, headers=headers) as client:
        yield client


def test_authentication_errors_use_the_error_shape(ods: OdsServer) -> None:
    anonymous = httpx.get(ods.api_url + "datasets/")
    assert anonymous.status_code == 401 and anonymous.json()["error_code"] == "unauthorized"
    wrong = httpx.get(ods.api_url + "datasets/", headers={"Authorization": "apikey autre"})
    assert wrong.status_code == 401 and set(wrong.json()) == {"error_code", "message"}
    reader = httpx.post(ods.api_url + "datasets/", params={"apikey": "lecture"}, json={})
    assert reader.status_code == 403 and reader.json()["error_code"] == "permission_denied"


def test_create_find_upload_resource_publish(ods: OdsServer, api: httpx.Client) -> None:
    missing = api.post("datasets/", json={"dataset_id": "jeu", "metadata": {"default": {}}})
    assert missing.status_code == 400 and missing.json()["error_code"] == "validation_error"
    assert "default.modified" in missing.json()["detail"]
    made = api.post("datasets/", json={"dataset_id": "jeu", "metadata": META})
    assert made.status_code == 201 and made.json()["uid"].startswith("da_")
    uid = made.json()["uid"]
    again = api.post("datasets/", json={"dataset_id": "jeu", "metadata": META})
    assert again.status_code == 400 and "dataset_id" in again.json()["detail"]
    page = api.get("datasets/", params={"dataset_id": "jeu"}).json()
    assert page["total_count"] == 1 and page["results"][0]["uid"] == uid
    first = api.post(f"datasets/{uid}/resources/files/", files={"file": ("a.csv", b"x\n1\n")})
    second = api.post(f"datasets/{uid}/resources/files/", files={"file": ("a.csv", b"x\n2\n")})
    assert first.json()["uid"] == "a.csv" and second.json()["uid"] == "a-2.csv"
    bad = api.post(
        f"datasets/{uid}/resources/",
        json={
            "type": "csvfile",
            "title": "A",
            "datasource": {"type": "uploaded_file", "file": {"uid": "z"}},
        },
    )
    assert bad.status_code == 400
    resource = {
        "type": "csvfile",
        "title": "A",
        "datasource": {"type": "uploaded_file", "file": {"uid": "a.csv"}},
    }
    created = api.post(f"datasets/{uid}/resources/", json=resource)
    assert created.status_code == 201 and created.json()["uid"].startswith("re_")
    re_uid = created.json()["uid"]
    resource["datasource"] = {"type": "uploaded_file", "file": {"uid": "a-2.csv"}}
    assert api.put(f"datasets/{uid}/resources/{re_uid}/", json=resource).status_code == 200
    assert api.post(f"datasets/{uid}/publish/").json() == {"detail": "ok"}
    busy = api.put(f"datasets/{uid}/metadata/default/title/", json={"value": "B"})
    assert busy.status_code == 400 and busy.json()["error_code"] == "invalid_dataset_status"
    states = [api.get(f"datasets/{uid}/status/").json()["status"] for _ in range(3)]
    assert states == ["processing", "idle", "idle"]
    assert ods.datasets[uid].is_published and ods.datasets[uid].published_files == ["a-2.csv"]
    assert (
        api.put(f"datasets/{uid}/metadata/default/language/", json={"value": "xx"}).status_code
        == 400
    )
    assert (
        api.put(f"datasets/{uid}/metadata/default/title/", json={"value": "B"}).status_code == 200
    )
    assert api.get(f"datasets/{uid}/metadata/").json()["default"]["title"] == {"value": "B"}
    assert ods.count_writes(r"/publish/$") == 1


def test_processing_failure_and_faults(ods: OdsServer, api: httpx.Client) -> None:
    uid = api.post("datasets/", json={"dataset_id": "jeu", "metadata": META}).json()["uid"]
    api.post(f"datasets/{uid}/resources/files/", files={"file": ("a.csv", b"x\n")})
    resource = {
        "type": "csvfile",
        "title": "A",
        "datasource": {"type": "uploaded_file", "file": {"uid": "a.csv"}},
    }
    api.post(f"datasets/{uid}/resources/", json=resource)
    ods.fail_processing("Valeur invalide", record_errors=1)
    api.post(f"datasets/{uid}/publish/")
    api.get(f"datasets/{uid}/status/")
    status = api.get(f"datasets/{uid}/status/").json()
    assert status["status"] == "error" and status["message"] == "Valeur invalide"
    assert status["records_errors"][0]["message"] == "Valeur invalide"
    ods.fail_next(1, 503, method="GET", path=r"/status/$")
    assert api.get(f"datasets/{uid}/status/").status_code == 503
    assert api.get(f"datasets/{uid}/status/").status_code == 200
    unknown = api.get("datasets/da_zzzzzz/")
    assert unknown.status_code == 404 and unknown.json() == {
        "error_code": "not_found",
        "message": "Not found.",
    }


def test_attachments_follow_the_contract(ods: OdsServer, api: httpx.Client) -> None:
    uid = api.post("datasets/", json={"dataset_id": "jeu", "metadata": META}).json()["uid"]
    anonymous = httpx.get(ods.api_url + f"datasets/{uid}/attachments/")
    assert anonymous.status_code == 401 and anonymous.json()["error_code"] == "unauthorized"
    reader = httpx.post(
        ods.api_url + f"datasets/{uid}/attachments/",
        params={"apikey": "lecture"},
        files={"file": ("carte.png", b"\x89PNG")},
    )
    assert reader.status_code == 403 and reader.json()["error_code"] == "permission_denied"
    missing = api.post(f"datasets/{uid}/attachments/", data={"autre": "x"})
    assert missing.status_code == 400 and missing.json()["error_code"] == "validation_error"
    assert "file" in missing.json()["detail"]
    unknown_ds = api.post("datasets/da_zzzzzz/attachments/", files={"file": ("a.png", b"x")})
    assert unknown_ds.status_code == 404 and unknown_ds.json()["error_code"] == "not_found"

    made = [
        api.post(
            f"datasets/{uid}/attachments/",
            files={"file": (f"graphique-{n}.png", b"\x89PNG" + bytes([n]), "image/png")},
        )
        for n in range(3)
    ]
    assert [r.status_code for r in made] == [201, 201, 201]
    first = made[0].json()
    assert set(first) == {"uid", "filename", "mimetype", "created_at"}
    assert re.fullmatch(r"at_[a-z0-9]{6}", first["uid"]) and first["filename"] == "graphique-0.png"
    assert first["mimetype"] == "image/png"
    assert len({r.json()["uid"] for r in made}) == 3  # random, never the file name
    page = api.get(f"datasets/{uid}/attachments/", params={"limit": "2"}).json()
    assert page["total_count"] == 3 and len(page["results"]) == 2 and page["next"]
    rest = api.get(f"datasets/{uid}/attachments/", params={"limit": "2", "offset": "2"}).json()
    assert [a["uid"] for a in rest["results"]] == [made[2].json()["uid"]]
    assert rest["next"] is None
    assert api.get(f"datasets/{uid}/attachments/{first['uid']}/").json() == first
    download = api.get(f"datasets/{uid}/attachments/{first['uid']}/download/")
    assert download.status_code == 200 and download.content == b"\x89PNG\x00"
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert 'filename="graphique-0.png"' in download.headers["Content-Disposition"]

    gone = api.delete(f"datasets/{uid}/attachments/{first['uid']}/")
    assert gone.status_code == 204 and gone.content == b""
    again = api.delete(f"datasets/{uid}/attachments/{first['uid']}/")
    assert again.status_code == 404 and again.json()["error_code"] == "not_found"
    assert api.get(f"datasets/{uid}/attachments/at_zzzzzz/download/").status_code == 404
    assert ods.attachment_names(uid) == ["graphique-1.png", "graphique-2.png"]


def test_a_lost_answer_is_carried_out_but_never_read(ods: OdsServer, api: httpx.Client) -> None:
    uid = api.post("datasets/", json={"dataset_id": "jeu", "metadata": META}).json()["uid"]
    ods.lose_answer_next(method="POST", path=r"/attachments/$")
    with pytest.raises(httpx.RemoteProtocolError):
        api.post(f"datasets/{uid}/attachments/", files={"file": ("carte.png", b"\x89PNG")})
    assert ods.attachment_names(uid) == ["carte.png"]
    answered = api.post(f"datasets/{uid}/attachments/", files={"file": ("carte.png", b"x")})
    assert answered.status_code == 201
    assert ods.attachment_names(uid) == ["carte.png", "carte.png"]
