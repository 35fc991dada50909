"""The local data.gouv.fr's reuses answer like udata 17's API v1, over real HTTP.

Fixtures (``portal``, ``api``) are in this directory's conftest.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from patrimoine.sandbox.datagouv_portal import DatagouvPortal

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8
GIF = b"GIF89a" + b"\x00" * 16


def dataset(api: httpx.Client, portal: DatagouvPortal, title: str = "Mon jeu") -> dict[str, Any]:
    body = {"title": title, "description": "Desc", "organization": portal.organization}
    response = api.post("/datasets/", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def reuse_body(portal: DatagouvPortal, **extra: Any) -> dict[str, Any]:
    return {
        "title": "Ma carte",
        "description": "Une carte des équipements",
        "type": "visualization",
        "topic": "culture_and_recreation",
        "url": "https://example.org/carte",
        "organization": portal.organization,
        **extra,
    }


def new_reuse(api: httpx.Client, portal: DatagouvPortal, **extra: Any) -> dict[str, Any]:
    response = api.post("/reuses/", json=reuse_body(portal, **extra))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def other_client(portal: DatagouvPortal) -> httpx.Client:
    """A client keyed for a second user, member of no organization."""
    _, key = portal.state.add_user("Autre")
    return httpx.Client(base_url=f"{portal.url}/api/1", headers={"X-API-KEY": key}, timeout=5)


def test_create_answers_201_with_the_reuse_shape(api: httpx.Client, portal: DatagouvPortal) -> None:
    first, second = dataset(api, portal, "Jeu un"), dataset(api, portal, "Jeu deux")
    created = new_reuse(
        api, portal, datasets=[first["id"], {"id": second["id"]}], tags=[" Carte Vélo "]
    )
    assert re.fullmatch(r"[0-9a-f]{24}", created["id"])
    assert created["slug"] == "ma-carte" and created["tags"] == ["carte-velo"]
    assert (created["type"], created["topic"], created["private"]) == (
        "visualization",
        "culture_and_recreation",
        False,
    )
    assert created["datasets"] == [
        {k: d[k] for k in ("id", "title", "slug", "uri", "page")} for d in (first, second)
    ]
    assert created["organization"]["id"] == portal.organization and created["owner"] is None
    assert created["image"] is None and created["image_thumbnail"] is None
    assert created["deleted"] is None and created["created_at"] == created["last_modified"]
    assert created["page"] == f"{portal.url}/reuses/ma-carte/"
    assert created["uri"] == f"{portal.url}/api/1/reuses/{created['id']}/"
    assert created["metrics"] == {"datasets": 2, "views": 0, "followers": 0, "discussions": 0}
    anonymous = httpx.get(created["uri"])
    assert anonymous.status_code == 200 and anonymous.json() == created
    assert api.get("/reuses/ma-carte/").json()["id"] == created["id"]
    assert api.get("/reuses/inconnue/").status_code == 404
    assert new_reuse(api, portal, url="https://example.org/2")["slug"] == "ma-carte-2"


def test_types_and_topics_lists(api: httpx.Client) -> None:
    types = api.get("/reuses/types/").json()
    assert {t["id"] for t in types} == {
        "api",
        "application",
        "idea",
        "news_article",
        "paper",
        "post",
        "visualization",
        "hardware",
    }
    topics = api.get("/reuses/topics/").json()
    assert len(topics) == 15 and {"id": "others", "label": "Others"} in topics
    assert all(set(t) == {"id", "label"} for t in types + topics)


def test_create_validation_errors(api: httpx.Client, portal: DatagouvPortal) -> None:
    empty = api.post("/reuses/", json={})
    assert empty.status_code == 400
    assert set(empty.json()["errors"]) == {"title", "description", "type", "topic", "url"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"title": "t" * 351}, "title"),
        ({"description": "d" * 100_001}, "description"),
        ({"type": "movie"}, "type"),
        ({"topic": "sport"}, "topic"),
        ({"url": "ftp://example.org/x"}, "url"),
        ({"url": "pas une url"}, "url"),
        ({"tags": ["ab"]}, "tags"),
        ({"datasets": ["0" * 24]}, "datasets"),
        ({"datasets": "pas une liste"}, "datasets"),
    ]
    for extra, name in cases:
        refused = api.post("/reuses/", json=reuse_body(portal, **extra))
        assert refused.status_code == 400, extra
        assert list(refused.json()["errors"]) == [name], (extra, refused.json())
    assert api.post("/reuses/", json=reuse_body(portal, title="t" * 350)).status_code == 201
    gone = dataset(api, portal)
    assert api.delete(f"/datasets/{gone['id']}/").status_code == 204
    deleted = api.post("/reuses/", json=reuse_body(portal, datasets=[gone["id"]], url="http://a"))
    assert deleted.status_code == 400 and "deleted" in deleted.json()["errors"]["datasets"][0]
    assert api.post("/reuses/", json=[]).status_code == 400


def test_a_url_is_registered_once(api: httpx.Client, portal: DatagouvPortal) -> None:
    first = new_reuse(api, portal)
    twice = api.post("/reuses/", json=reuse_body(portal, title="Autre"))
    assert (twice.status_code, twice.json()) == (
        400,
        {"errors": {"url": ["This URL is already registered"]}},
    )
    assert api.delete(f"/reuses/{first['id']}/").status_code == 204
    assert api.post("/reuses/", json=reuse_body(portal)).status_code == 201  # freed by deletion


def test_auth_content_type_and_organization(api: httpx.Client, portal: DatagouvPortal) -> None:
    anonymous = httpx.post(f"{portal.url}/api/1/reuses/", json=reuse_body(portal))
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Bearer realm="uData"'
    text = api.post("/reuses/", content=b"{}", headers={"Content-Type": "text/plain"})
    assert text.json() == {"errors": {"Content-Type": "expecting application/json"}}
    with other_client(portal) as other:
        foreign = other.post("/reuses/", json=reuse_body(portal))
        assert foreign.json() == {
            "errors": {"organization": ["Permission denied for this organization"]}
        }
        mine = other.post("/reuses/", json=reuse_body(portal, organization=None))
        assert mine.status_code == 201
        me = other.get("/me/").json()["id"]
        assert mine.json()["owner"] == {"class": "User", "id": me}
        assert mine.json()["organization"] is None


def test_update_is_partial_reslugs_and_dates_real_changes(
    api: httpx.Client, portal: DatagouvPortal
) -> None:
    reuse = new_reuse(api, portal, tags=["carte"], private=True)
    url = f"/reuses/{reuse['id']}/"
    same = api.put(url, json={"url": reuse["url"], "title": reuse["title"]})
    assert same.status_code == 200  # its own URL is no duplicate
    assert same.json()["last_modified"] == reuse["last_modified"]  # nothing changed
    renamed = api.put(url, json={"title": "Nouvelle carte"}).json()
    assert renamed["slug"] == "nouvelle-carte" and renamed["tags"] == ["carte"]
    assert renamed["private"] is True and renamed["type"] == "visualization"
    assert renamed["last_modified"] > reuse["last_modified"]
    assert renamed["page"].endswith("/reuses/nouvelle-carte/")
    moved = api.get("/reuses/ma-carte/")
    assert moved.status_code == 308 and moved.headers["Location"].endswith("/nouvelle-carte/")
    assert api.get("/reuses/ma-carte/", follow_redirects=True).json()["id"] == reuse["id"]
    other = new_reuse(api, portal, url="https://example.org/autre")
    taken = api.put(f"/reuses/{other['id']}/", json={"url": reuse["url"]})
    assert taken.json() == {"errors": {"url": ["This URL is already registered"]}}
    assert "type" in api.put(url, json={"type": "movie"}).json()["errors"]
    assert "title" in api.put(url, json={"title": ""}).json()["errors"]
    move = api.put(url, json={"organization": "0" * 24})
    assert move.status_code == 400 and "organization" in move.json()["errors"]
    text = api.put(url, content=b"{}", headers={"Content-Type": "text/plain"})
    assert text.json() == {"errors": {"Content-Type": "expecting application/json"}}
    assert httpx.put(f"{portal.url}/api/1{url}", json={}).status_code == 401


def test_only_editors_write_and_see_private_reuses(
    api: httpx.Client, portal: DatagouvPortal
) -> None:
    public = new_reuse(api, portal)
    private = new_reuse(api, portal, url="https://example.org/brouillon", private=True)
    with other_client(portal) as other:
        refused = other.put(f"/reuses/{public['id']}/", json={"title": "Volée"})
        assert refused.status_code == 403
        assert refused.json() == {
            "message": "You do not have the permission to modify that object."
        }
        assert other.delete(f"/reuses/{public['id']}/").status_code == 403
        image = other.post(f"/reuses/{public['id']}/image/", files={"file": ("a.png", PNG)})
        assert image.status_code == 403
        assert other.get(f"/reuses/{private['id']}/").status_code == 404
        assert [r["id"] for r in other.get("/reuses/").json()["data"]] == [public["id"]]
    assert httpx.get(f"{portal.url}/api/1/reuses/{private['id']}/").status_code == 404
    assert api.get(f"/reuses/{private['id']}/").status_code == 200
    assert {r["id"] for r in api.get("/reuses/").json()["data"]} == {public["id"], private["id"]}


def test_delete_is_soft_and_restored_by_deleted_null(
    api: httpx.Client, portal: DatagouvPortal
) -> None:
    reuse = new_reuse(api, portal)
    url = f"/reuses/{reuse['id']}/"
    assert api.delete(url).status_code == 204
    anonymous = httpx.get(f"{portal.url}/api/1{url}")
    assert (anonymous.status_code, anonymous.json()) == (
        410,
        {"message": "This reuse has been deleted"},
    )
    assert api.delete(url).json() == {"message": "This reuse has been deleted"}
    assert api.put(url, json={"title": "x"}).status_code == 410
    assert api.post(f"{url}datasets/", json={"id": "x"}).status_code == 410
    assert api.get("/reuses/").json()["total"] == 0
    restored = api.put(url, json={"deleted": None})
    assert restored.status_code == 200 and restored.json()["deleted"] is None
    assert httpx.get(f"{portal.url}/api/1{url}").status_code == 200


def test_listing_filters_and_pages(api: httpx.Client, portal: DatagouvPortal) -> None:
    org_reuse = new_reuse(api, portal, title="Carte des musées")
    with other_client(portal) as other:
        own = other.post(
            "/reuses/",
            json=reuse_body(portal, organization=None, url="http://b", title="Graphe vélo"),
        ).json()
    by_org = api.get("/reuses/", params={"organization": portal.organization}).json()
    assert [r["id"] for r in by_org["data"]] == [org_reuse["id"]]
    by_owner = api.get("/reuses/", params={"owner": own["owner"]["id"]}).json()
    assert [r["id"] for r in by_owner["data"]] == [own["id"]]
    assert api.get("/reuses/", params={"q": "musees"}).json()["total"] == 1
    assert api.get("/reuses/", params={"q": "VÉLO graphe"}).json()["data"][0]["id"] == own["id"]
    first = api.get("/reuses/", params={"page_size": 1}).json()
    assert (first["total"], first["page"], first["page_size"], len(first["data"])) == (2, 1, 1, 1)
    assert first["next_page"] and first["previous_page"] is None
    second = api.get("/reuses/", params={"page_size": 1, "page": 2}).json()
    assert second["next_page"] is None and second["previous_page"]
    bad_org = api.get("/reuses/", params={"organization": "collectivite"})
    assert (bad_org.status_code, bad_org.json()) == (
        400,
        {"message": "Organization arg must be an identifier"},
    )
    bad_owner = api.get("/reuses/", params={"owner": "moi"})
    assert bad_owner.status_code == 400 and "identifier" in bad_owner.json()["message"]
    assert api.get("/reuses/", params={"page": 0}).status_code == 400


def test_add_a_dataset_to_a_reuse(api: httpx.Client, portal: DatagouvPortal) -> None:
    reuse = new_reuse(api, portal)
    ds = dataset(api, portal)
    url = f"/reuses/{reuse['id']}/datasets/"
    added = api.post(url, json={"id": ds["id"]})
    assert added.status_code == 201 and [d["id"] for d in added.json()["datasets"]] == [ds["id"]]
    assert added.json()["metrics"]["datasets"] == 1
    again = api.post(url, json={"id": ds["id"]})
    assert again.status_code == 200 and len(again.json()["datasets"]) == 1
    missing = api.post(url, json={})
    assert (missing.status_code, missing.json()) == (
        400,
        {"message": "Expect a dataset identifier"},
    )
    assert api.post(url, json={"id": "0" * 24}).status_code == 404
    assert httpx.post(f"{portal.url}/api/1{url}", json={"id": ds["id"]}).status_code == 401


def test_deleting_a_dataset_pulls_it_from_reuses(api: httpx.Client, portal: DatagouvPortal) -> None:
    kept, gone = dataset(api, portal, "Gardé"), dataset(api, portal, "Parti")
    reuse = new_reuse(api, portal, datasets=[kept["id"], gone["id"]])
    assert api.delete(f"/datasets/{gone['id']}/").status_code == 204
    after = api.get(f"/reuses/{reuse['id']}/").json()
    assert [d["id"] for d in after["datasets"]] == [kept["id"]]
    assert after["metrics"]["datasets"] == 1
    assert api.put(f"/datasets/{gone['id']}/", json={"deleted": None}).status_code == 200
    assert len(api.get(f"/reuses/{reuse['id']}/").json()["datasets"]) == 1  # pulled for good


def test_image_upload_serves_and_replaces(api: httpx.Client, portal: DatagouvPortal) -> None:
    reuse = new_reuse(api, portal)
    url = f"/reuses/{reuse['id']}/image/"
    png = api.post(url, files={"file": ("logo.png", PNG)})
    assert png.status_code == 200
    assert png.json() == {"success": True, "image": png.json()["image"]}
    shown = api.get(f"/reuses/{reuse['id']}/").json()
    assert shown["image"] == png.json()["image"] and shown["image_thumbnail"]
    served = httpx.get(shown["image"])
    assert served.content == PNG and served.headers["Content-Type"] == "image/png"
    assert httpx.get(shown["image_thumbnail"]).headers["Content-Type"] == "image/png"
    jpeg = api.post(url, files={"file": ("photo.png", JPEG)})  # the bytes tell, not the name
    assert jpeg.status_code == 200 and jpeg.json()["image"] != png.json()["image"]
    assert httpx.get(jpeg.json()["image"]).headers["Content-Type"] == "image/jpeg"
    assert httpx.get(shown["image"]).status_code == 404  # the former image is gone
    webp = api.post(url, files={"file": ("a.webp", WEBP)})
    assert httpx.get(webp.json()["image"]).headers["Content-Type"] == "image/webp"
    gif = api.post(url, files={"file": ("a.png", GIF)})
    assert gif.status_code == 400 and list(gif.json()["errors"]) == ["file"]
    assert api.get(f"/reuses/{reuse['id']}/").json()["image"] == webp.json()["image"]
    missing = api.post(url, data={"other": "1"})
    assert missing.status_code == 400 and "file" in missing.json()["errors"]
    assert httpx.post(f"{portal.url}/api/1{url}", files={"file": ("a.png", PNG)}).status_code == 401


def test_faults_and_recorded_writes_on_reuse_routes(
    api: httpx.Client, portal: DatagouvPortal
) -> None:
    portal.fail("POST", r"/api/1/reuses/", 503)
    unavailable = api.post("/reuses/", json=reuse_body(portal))
    assert unavailable.status_code == 503 and unavailable.headers["X-Sentry-ID"]
    assert not portal.state.reuses  # refused before the work
    portal.drop("POST", r"/api/1/reuses/", after=True)
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/reuses/", json=reuse_body(portal))
    assert [r["title"] for r in portal.state.reuses.values()] == ["Ma carte"]  # done anyway
    reuse_id = next(iter(portal.state.reuses))
    portal.delay("GET", r"/api/1/reuses/[^/]+/", 1.0)
    with pytest.raises(httpx.ReadTimeout):
        api.get(f"/reuses/{reuse_id}/", timeout=0.2)
    portal.fail("PUT", r"/api/1/reuses/[^/]+/", 429)
    assert api.put(f"/reuses/{reuse_id}/", json={}).headers["Retry-After"] == "0"
    assert api.put(f"/reuses/{reuse_id}/", json={}).status_code == 200
    portal.fail("DELETE", r"/api/1/reuses/[^/]+/", 410)
    assert api.delete(f"/reuses/{reuse_id}/").json() == {"message": "This reuse has been deleted"}
    assert portal.state.reuses[reuse_id]["deleted"] is None  # answered in place of the portal
    assert [(r.method, r.path) for r in portal.writes()] == [
        ("POST", "/api/1/reuses/"),
        ("POST", "/api/1/reuses/"),
        ("PUT", f"/api/1/reuses/{reuse_id}/"),
        ("PUT", f"/api/1/reuses/{reuse_id}/"),
        ("DELETE", f"/api/1/reuses/{reuse_id}/"),
    ]


def test_page_lists_reuses_and_state_survives_a_restart(tmp_path: Path) -> None:
    with DatagouvPortal(data_dir=tmp_path) as first:
        client = httpx.Client(
            base_url=f"{first.url}/api/1", headers={"X-API-KEY": first.api_key}, timeout=5
        )
        with client:
            ds = dataset(client, first, "Équipements")
            reuse = new_reuse(client, first, datasets=[ds["id"]])
            client.post(f"/reuses/{reuse['id']}/image/", files={"file": ("a.png", PNG)})
    with DatagouvPortal(data_dir=tmp_path) as second:
        page = httpx.get(f"{second.url}/").text
        assert "Réutilisations" in page and "Ma carte" in page and reuse["id"] in page
        web = httpx.get(f"{second.url}/reuses/ma-carte/")
        assert web.status_code == 302 and web.headers["Location"] == f"/#{reuse['id']}"
        kept = httpx.get(f"{second.url}/api/1/reuses/{reuse['id']}/").json()
        assert kept["datasets"][0]["id"] == ds["id"]
        assert kept["uri"].startswith(second.url)
        assert httpx.get(kept["image"]).content == PNG
