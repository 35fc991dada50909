"""One local server playing data.gouv.fr (API v1 + static files) and geo.api.gouv.fr.

Tests point ``PATRIMOINE_DATAGOUV_URL`` and ``PATRIMOINE_GEO_API_URL`` at ``server.url``.
The shapes imitate the real services (see shared/reference/portals.md §1.7–§1.8 and
sources.md §1.3, and datagouv/api-geo ``server.js``):

data.gouv.fr
    ``GET /api/1/datasets/{id-or-slug}/``   dataset, API v1 shape, full ``resources`` objects
    ``GET /api/1/datasets/{id-or-slug}``    308 to the trailing-slash URL (Flask strict slashes)
    ``GET /api/1/datasets/{id}/resources/{rid}/``   one resource
    ``GET /api/2/datasets/resources/{rid}/``        ``{"resource": ..., "dataset_id": ...}``
    ``GET /api/1/datasets/r/{rid}``, ``/fr/datasets/r/{rid}``  302 to the current file URL
    ``GET /static/resources/{slug}/{YYYYMMDD-HHMMSS}/{filename}``  the file, with ETag and
    Last-Modified (304 on If-None-Match / If-Modified-Since)
    ``GET /api/resources/{rid}/profile/`` and ``/data/`` for every CSV resource: the
    Tabular API over the hosted file (``tests/servers/tabular.py``), filters and pages
    unknown ``/api/...`` → 404 ``{"message": "The requested URL was not found ..."}``
    deleted dataset → 410 ``{"message": "Dataset has been deleted"}``

geo.api.gouv.fr (query parameters parsed like api-geo, so their order does not matter)
    ``GET /epcis/{siren}/communes`` with ``format=json|geojson``, ``geometry=centre|contour|
    mairie|bbox`` (geojson only; default ``centre``), ``fields=a,b`` and ``limit=n``
    ``GET /epcis/{siren}``  and  ``GET /communes/{code}`` (a single object or Feature)
    unknown EPCI or commune → 404 ``text/plain`` body ``Not Found`` (Express ``sendStatus``)

Replacing a hosted file (``replace_file``) moves it to a new timestamped URL, as udata does,
and the old URL then answers 404; ``keep_url=True`` keeps the URL instead (new bytes, new
ETag, new Last-Modified), which is what a producer-hosted file looks like.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import mimetypes
import re
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from . import tabular
from .base import BaseServer, Handler, Reply, Request

WERKZEUG_NOT_FOUND = (
    "The requested URL was not found on the server. If you entered the URL manually "
    "please check your spelling and try again."
)
COMMUNE_DEFAULT_FIELDS = (
    "nom",
    "code",
    "codeDepartement",
    "siren",
    "codeEpci",
    "codeRegion",
    "codesPostaux",
    "population",
)
COMMUNE_GEOMETRIES = ("centre", "contour", "mairie", "bbox")
EPCI_DEFAULT_FIELDS = ("nom", "code", "codesDepartements", "codesRegions", "population")
MIME_BY_FORMAT = {
    "csv": "text/csv",
    "json": "application/json",
    "geojson": "application/json",
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "txt": "text/plain",
    "xml": "text/xml",
    "parquet": "application/octet-stream",
    "gz": "application/gzip",
}
ORGANIZATION = {
    "class": "Organization",
    "id": "5a1f0c2b8b4c4154a8e2a001",
    "name": "Ministère de la Culture",
    "slug": "ministere-de-la-culture",
    "acronym": None,
    "badges": [{"kind": "public-service"}, {"kind": "certified"}],
    "logo": None,
    "logo_thumbnail": None,
}
_OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def express_etag(body: bytes) -> str:
    """The weak ETag Express puts on every ``res.send`` body (``etag`` package)."""
    digest = base64.b64encode(hashlib.sha1(body).digest()).decode("ascii")[:27]
    return f'W/"{len(body):x}-{digest}"'


def _express_json(obj: Any) -> Reply:
    reply = Reply.json(obj, content_type="application/json; charset=utf-8")
    reply.headers["ETag"] = express_etag(reply.body)
    return reply


def _express_not_found() -> Reply:
    return Reply.text("Not Found", 404)


def _rings(geometry: Mapping[str, Any] | None) -> list[list[list[float]]]:
    if not geometry:
        return []
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry.get("type") == "MultiPolygon":
        return [polygon[0] for polygon in geometry["coordinates"]]
    return []


def _bbox(contour: Mapping[str, Any] | None) -> dict[str, Any] | None:
    points = [p for ring in _rings(contour) for p in ring]
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    west, east, south, north = min(xs), max(xs), min(ys), max(ys)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def _centre(contour: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Mean of the outer ring's vertices (closing vertex excluded): good enough for tests."""
    rings = _rings(contour)
    if not rings:
        return None
    ring = rings[0][:-1] if len(rings[0]) > 1 and rings[0][0] == rings[0][-1] else rings[0]
    lon = sum(p[0] for p in ring) / len(ring)
    lat = sum(p[1] for p in ring) / len(ring)
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


def _pick(target: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    return {name: target[name] for name in fields if name in target}


@dataclass
class _Dataset:
    data: dict[str, Any]
    deleted: bool = False


class UpstreamServer(BaseServer):
    """One server playing data.gouv.fr (API + static files) and geo.api.gouv.fr at once."""

    def __init__(self) -> None:
        super().__init__()
        self._state_lock = threading.RLock()
        self._datasets: dict[str, _Dataset] = {}  # by id and by slug
        self._resource_paths: dict[str, str] = {}  # resource id -> static path
        self._communes: dict[str, dict[str, Any]] = {}
        self._epcis: dict[str, dict[str, Any]] = {}
        self._last_upload: datetime | None = None
        self.tabular_page_size_max = 200
        """Rows per page the Tabular API accepts (production 200, open-source default 50)."""

    # ====================================================================================
    # data.gouv.fr
    # ====================================================================================
    def add_datagouv_dataset(
        self,
        dataset_id: str,
        files: list[tuple[str, str, bytes]],
        *,
        title: str | None = None,
        slug: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Publish a dataset whose ``files`` are ``(format, filename, content)``.

        ``dataset_id`` may be a 24-hex ObjectId (then the slug is derived from the title)
        or a slug (then a stable ObjectId is derived from it); the dataset answers under
        both. ``extra`` is merged into the dataset JSON (``frequency``, ``tags``...).
        Returns a copy of the dataset JSON as the API serves it.
        """
        if _OBJECT_ID.match(dataset_id):
            oid = dataset_id
            slug = slug or _slugify(title or f"jeu de données {oid[:8]}")
        else:
            oid = hashlib.sha1(dataset_id.encode("utf-8")).hexdigest()[:24]
            slug = slug or dataset_id
        created = datetime.now(UTC)
        data: dict[str, Any] = {
            "id": oid,
            "title": title or f"Jeu de données {slug}",
            "acronym": None,
            "slug": slug,
            "description": "Jeu de données de test servi par UpstreamServer.",
            "description_short": None,
            "created_at": _iso(created),
            "last_modified": _iso(created),
            "last_update": _iso(created),
            "deleted": None,
            "archived": None,
            "private": False,
            "featured": False,
            "frequency": "monthly",
            "frequency_date": None,
            "license": "lov2",
            "tags": [],
            "badges": [],
            "extras": {},
            "harvest": None,
            "organization": {
                **ORGANIZATION,
                "uri": f"{self.url}/api/1/organizations/{ORGANIZATION['slug']}/",
                "page": f"{self.url}/fr/organizations/{ORGANIZATION['slug']}/",
            },
            "owner": None,
            "page": f"{self.url}/fr/datasets/{slug}/",
            "uri": f"{self.url}/api/1/datasets/{slug}/",
            "resources": [],
            "community_resources": [],
            "spatial": None,
            "temporal_coverage": None,
            "contact_points": [],
            "schema": None,
            "metrics": {
                "discussions": 0,
                "followers": 0,
                "reuses": 0,
                "views": 0,
                "resources_downloads": 0,
            },
            "quality": {"score": 0.5},
            "internal": {
                "created_at_internal": _iso(created),
                "last_modified_internal": _iso(created),
            },
            **dict(extra or {}),
        }
        dataset = _Dataset(data)
        with self._state_lock:
            for fmt, filename, content in files:
                data["resources"].append(self._new_resource(slug, fmt, filename, content))
            self._touch(data)
            self._datasets[oid] = dataset
            self._datasets[slug] = dataset
        for key in (oid, slug):
            base = f"/api/1/datasets/{key}"
            self.add_route(base + "/", self._dataset_handler(dataset))
            self.add_route(base, self._slash_redirect)
            for resource in data["resources"]:
                self.add_route(
                    f"{base}/resources/{resource['id']}/",
                    self._resource_handler(resource["id"], api=1),
                )
        for resource in data["resources"]:
            self.add_route(
                f"/api/2/datasets/resources/{resource['id']}/",
                self._resource_handler(resource["id"], api=2),
            )
        return copy.deepcopy(data)

    def replace_file(
        self, dataset_id: str, filename: str, content: bytes, *, keep_url: bool = False
    ) -> None:
        """The producer uploads new bytes for ``filename``: same resource id, new checksum.

        The file moves to a new timestamped URL (the old one answers 404) unless
        ``keep_url``, in which case the same URL serves the new bytes with a new ETag.
        """
        with self._state_lock:
            dataset = self._dataset(dataset_id)
            resource = self._resource_by_filename(dataset, filename)
            stamp = self._upload_time()
            old_path = self._resource_paths[resource["id"]]
            if keep_url:
                self.route(old_path).set_body(content, last_modified=stamp)
            else:
                self.remove_route(old_path)
                path = self._static_path(dataset.data["slug"], stamp, filename)
                self._serve_file(path, content, resource["mime"], stamp)
                self._resource_paths[resource["id"]] = path
                resource["url"] = self.url + path
            self._describe_content(resource, content, stamp)
            self._touch(dataset.data)

    def delete_datagouv_dataset(self, dataset_id: str) -> None:
        """Soft-delete: the dataset then answers 410, as udata does for the public."""
        with self._state_lock:
            dataset = self._dataset(dataset_id)
            dataset.deleted = True
            dataset.data["deleted"] = _iso(datetime.now(UTC))

    def datagouv_dataset(self, dataset_id: str) -> dict[str, Any]:
        """A copy of the dataset JSON as currently served."""
        with self._state_lock:
            return copy.deepcopy(self._dataset(dataset_id).data)

    def resource(self, dataset_id: str, filename: str) -> dict[str, Any]:
        """A copy of the resource whose title is ``filename``."""
        with self._state_lock:
            return copy.deepcopy(self._resource_by_filename(self._dataset(dataset_id), filename))

    def resource_url(self, dataset_id: str, filename: str) -> str:
        """The current static URL of ``filename`` (changes on ``replace_file``)."""
        return str(self.resource(dataset_id, filename)["url"])

    # -- internals ----------------------------------------------------------------------
    def _dataset(self, dataset_id: str) -> _Dataset:
        try:
            return self._datasets[dataset_id]
        except KeyError:
            raise KeyError(f"unknown dataset {dataset_id!r}") from None

    @staticmethod
    def _resource_by_filename(dataset: _Dataset, filename: str) -> dict[str, Any]:
        for resource in dataset.data["resources"]:
            if resource["title"] == filename:
                return resource  # type: ignore[no-any-return]
        raise KeyError(f"no resource {filename!r} in dataset {dataset.data['id']!r}")

    def _upload_time(self) -> datetime:
        """Now, to the second, strictly after the previous upload (unique URLs and dates)."""
        now = datetime.now(UTC).replace(microsecond=0)
        if self._last_upload is not None and now <= self._last_upload:
            now = self._last_upload + timedelta(seconds=1)
        self._last_upload = now
        return now

    @staticmethod
    def _static_path(slug: str, stamp: datetime, filename: str) -> str:
        return f"/static/resources/{slug}/{stamp:%Y%m%d-%H%M%S}/{filename}"

    def _serve_file(self, path: str, content: bytes, mime: str, stamp: datetime) -> None:
        self.add_static(path, content, content_type=mime, last_modified=stamp)

    def _new_resource(self, slug: str, fmt: str, filename: str, content: bytes) -> dict[str, Any]:
        fmt = fmt.strip().lower()
        stamp = self._upload_time()
        rid = str(uuid.uuid4())
        mime = MIME_BY_FORMAT.get(fmt) or mimetypes.guess_type(filename)[0]
        mime = mime or "application/octet-stream"
        path = self._static_path(slug, stamp, filename)
        self._serve_file(path, content, mime, stamp)
        self._resource_paths[rid] = path
        for permalink in (f"/api/1/datasets/r/{rid}", f"/fr/datasets/r/{rid}"):
            self.add_route(permalink, self._permalink_handler(rid))
        if fmt == "csv":
            for route, handler in tabular.handlers(
                self.url, rid, lambda: self._current_bytes(rid), lambda: self.tabular_page_size_max
            ).items():
                self.add_route(route, handler)
        resource: dict[str, Any] = {
            "id": rid,
            "title": filename,
            "description": None,
            "type": "main",
            "filetype": "file",
            "format": fmt,
            "url": self.url + path,
            "latest": f"{self.url}/fr/datasets/r/{rid}",
            "preview_url": None,
            "schema": None,
            "harvest": None,
            "metrics": {"views": 0},
            "created_at": _iso(stamp),
        }
        self._describe_content(resource, content, stamp, fmt=fmt, mime=mime)
        return resource

    def _current_bytes(self, rid: str) -> bytes:
        responder = self.route(self._resource_paths[rid]).responder
        return responder.body if isinstance(responder, Reply) else b""

    def _describe_content(
        self,
        resource: dict[str, Any],
        content: bytes,
        stamp: datetime,
        *,
        fmt: str | None = None,
        mime: str | None = None,
    ) -> None:
        fmt = fmt or resource["format"]
        mime = mime or resource["mime"]
        resource.update(
            {
                "checksum": {"type": "sha1", "value": _sha1(content)},
                "filesize": len(content),
                "mime": mime,
                "last_modified": _iso(stamp),
                "internal": {
                    "created_at_internal": resource["created_at"],
                    "last_modified_internal": _iso(stamp),
                },
            }
        )
        extras: dict[str, Any] = {
            "analysis:checksum": _sha1(content),
            "analysis:content-length": len(content),
            "analysis:last-modified-at": _iso(stamp),
            "analysis:last-modified-detection": "last-modified-header",
            "analysis:mime-type": mime,
            "check:available": True,
            "check:date": _iso(stamp),
            "check:headers:content-type": mime,
            "check:status": 200,
            "check:timeout": False,
        }
        if fmt == "csv":
            extras["analysis:parsing:parsing_table"] = True
        resource["extras"] = extras

    @staticmethod
    def _touch(data: dict[str, Any]) -> None:
        now = _iso(datetime.now(UTC))
        data["last_modified"] = now
        data["internal"]["last_modified_internal"] = now
        dates = [r["last_modified"] for r in data["resources"]]
        data["last_update"] = max(dates) if dates else now

    def _dataset_handler(self, dataset: _Dataset) -> Handler:
        def handler(request: Request) -> Reply:
            with self._state_lock:
                if dataset.deleted:
                    return Reply.json({"message": "Dataset has been deleted"}, 410)
                body = copy.deepcopy(dataset.data)
            return Reply.json(body, ensure_ascii=True)

        return handler

    def _permalink_handler(self, rid: str) -> Handler:
        def handler(request: Request) -> Reply:
            with self._state_lock:
                path = self._resource_paths.get(rid)
            if path is None:
                return Reply.json({"message": "Resource does not exist"}, 404)
            return Reply(
                302, b"", {"Location": self.url + path, "Content-Type": "text/html; charset=utf-8"}
            )

        return handler

    def _resource_handler(self, rid: str, *, api: int) -> Handler:
        def handler(request: Request) -> Reply:
            with self._state_lock:
                found = self._find_resource(rid)
                if found is None:
                    return Reply.json({"message": "Resource does not exist"}, 404)
                dataset, resource = found
                if dataset.deleted:
                    return Reply.json({"message": "Dataset has been deleted"}, 410)
                body = copy.deepcopy(resource)
                dataset_id = dataset.data["id"]
            if api == 2:
                return Reply.json({"resource": body, "dataset_id": dataset_id}, ensure_ascii=True)
            return Reply.json(body, ensure_ascii=True)

        return handler

    @staticmethod
    def _slash_redirect(request: Request) -> Reply:
        location = request.path + "/" + (f"?{request.raw_query}" if request.raw_query else "")
        return Reply(308, b"", {"Location": location, "Content-Type": "text/html; charset=utf-8"})

    def _find_resource(self, rid: str) -> tuple[_Dataset, dict[str, Any]] | None:
        for dataset in self._datasets.values():
            for resource in dataset.data["resources"]:
                if resource["id"] == rid:
                    return dataset, resource
        return None

    # ====================================================================================
    # geo.api.gouv.fr
    # ====================================================================================
    def add_epci(
        self, siren: str, communes: list[dict[str, Any]], *, nom: str | None = None
    ) -> None:
        """Serve the EPCI ``siren`` with these member ``communes``.

        Each commune dict holds ``nom, code, codeDepartement, siren, codeEpci, codeRegion,
        codesPostaux, population`` and ``contour`` (a GeoJSON Polygon or MultiPolygon);
        ``codeEpci`` defaults to ``siren``. The communes are also served by
        ``/communes/{code}``.
        """
        codes = []
        for commune in communes:
            commune = {**commune}
            commune.setdefault("codeEpci", siren)
            self.add_commune(commune)
            codes.append(commune["code"])
        members = [self._communes[c] for c in codes]
        with self._state_lock:
            self._epcis[siren] = {
                "nom": nom or f"EPCI {siren}",
                "code": siren,
                "codesDepartements": sorted({c.get("codeDepartement", "") for c in members}),
                "codesRegions": sorted({c.get("codeRegion", "") for c in members}),
                "population": sum(int(c.get("population") or 0) for c in members),
                "communes": codes,
            }
        self.add_route(f"/epcis/{siren}/communes", self._epci_communes_handler(siren))
        self.add_route(f"/epcis/{siren}", self._epci_handler(siren))

    def add_commune(self, commune: dict[str, Any]) -> None:
        """Serve ``GET /communes/{code}`` (JSON, or a Feature with ``format=geojson``)."""
        stored = copy.deepcopy(commune)
        code = str(stored["code"])
        with self._state_lock:
            self._communes[code] = stored
        self.add_route(f"/communes/{code}", self._commune_handler(code))

    # -- internals ----------------------------------------------------------------------
    def _epci_communes_handler(self, siren: str) -> Handler:
        def handler(request: Request) -> Reply:
            with self._state_lock:
                epci = self._epcis.get(siren)
                if epci is None:
                    return _express_not_found()
                members = [copy.deepcopy(self._communes[c]) for c in epci["communes"]]
            limit = request.arg("limit")
            if limit and limit.isdigit() and int(limit) > 0:
                members = members[: int(limit)]
            shaped = [_format_commune(request, commune) for commune in members]
            if request.arg("format") == "geojson":
                return _express_json({"type": "FeatureCollection", "features": shaped})
            return _express_json(shaped)

        return handler

    def _epci_handler(self, siren: str) -> Handler:
        def handler(request: Request) -> Reply:
            with self._state_lock:
                epci = self._epcis.get(siren)
            if epci is None:
                return _express_not_found()
            fields = _fields(request, EPCI_DEFAULT_FIELDS)
            return _express_json(_pick(epci, fields))

        return handler

    def _commune_handler(self, code: str) -> Handler:
        def handler(request: Request) -> Reply:
            with self._state_lock:
                commune = copy.deepcopy(self._communes.get(code))
            if commune is None:
                return _express_not_found()
            return _express_json(_format_commune(request, commune))

        return handler

    # ====================================================================================
    def not_found(self, request: Request) -> Reply:
        if request.path.startswith("/api/"):
            return Reply.json({"message": WERKZEUG_NOT_FOUND}, 404)
        return _express_not_found()


def _fields(request: Request, defaults: Sequence[str]) -> list[str]:
    raw = request.arg("fields")
    fields = [f for f in raw.split(",") if f] if raw else list(defaults)
    for base in ("nom", "code"):
        if base not in fields:
            fields.append(base)
    return fields


def _format_commune(request: Request, commune: dict[str, Any]) -> dict[str, Any]:
    """api-geo's ``formatOne``: pick the fields; in GeoJSON, one geometry as the geometry."""
    contour = commune.get("contour")
    commune.setdefault("centre", _centre(contour))
    commune.setdefault("bbox", _bbox(contour))
    commune.setdefault("mairie", commune["centre"])
    fields = _fields(request, COMMUNE_DEFAULT_FIELDS)
    if request.arg("format") != "geojson":
        return _pick(commune, fields)
    fields = [f for f in fields if f not in COMMUNE_GEOMETRIES]
    wanted = request.arg("geometry")
    geometry = wanted if wanted in COMMUNE_GEOMETRIES else "centre"
    return {
        "type": "Feature",
        "properties": _pick(commune, fields),
        "geometry": commune.get(geometry),
    }


def _slugify(text: str) -> str:
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "jeu"


__all__ = ["UpstreamServer", "express_etag"]
