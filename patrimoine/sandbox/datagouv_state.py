"""The state and rules of the local data.gouv.fr: what udata's API v1 answers, in memory.

Written from the contract in the project's portal reference (udata is AGPL: nothing here
is copied from it): the status codes, JSON bodies and side effects a publisher relies on.
Every call returns an :class:`Answer`; the HTTP layer (:mod:`.datagouv_portal`) only
parses requests, injects faults and writes answers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import re
import threading
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

ALLOWED_EXTENSIONS = frozenset(
    [
        "csv",
        "txt",
        "json",
        "pdf",
        "xml",
        "rdf",
        "rtf",
        "xsd",
        "ods",
        "odt",
        "odp",
        "odg",
        "xls",
        "xlsx",
        "doc",
        "docx",
        "pps",
        "ppt",
        "tar",
        "gz",
        "tgz",
        "rar",
        "zip",
        "7z",
        "xz",
        "bz2",
        "jpeg",
        "jpg",
        "jpe",
        "gif",
        "png",
        "dwg",
        "svg",
        "tiff",
        "ecw",
        "svgz",
        "jp2",
        "shp",
        "kml",
        "kmz",
        "gpx",
        "shx",
        "ovr",
        "geojson",
        "gpkg",
        "grib2",
        "dbf",
        "prj",
        "sql",
        "epub",
        "sbn",
        "sbx",
        "cpg",
        "lyr",
        "owl",
        "ttl",
        "n3",
    ]
)
LICENSES = {
    "lov2": "Licence Ouverte / Open Licence version 2.0",
    "fr-lo": "Licence Ouverte / Open Licence",
    "odc-odbl": "Open Data Commons Open Database License (ODbL)",
    "odc-by": "Open Data Commons Attribution License",
    "odc-pddl": "Open Data Commons Public Domain Dedication and Licence (PDDL)",
    "cc-by": "Creative Commons Attribution",
    "cc-by-sa": "Creative Commons Attribution Share-Alike",
    "cc-zero": "Creative Commons CCZero",
    "other-at": "Other (Attribution)",
    "other-open": "Other (Open)",
    "other-pd": "Other (Public Domain)",
    "notspecified": "License Not Specified",
}
FREQUENCIES = frozenset(
    [
        "continuous",
        "oneMinute",
        "fiveMinutes",
        "tenMinutes",
        "fifteenMinutes",
        "thirtyMinutes",
        "hourly",
        "bihourly",
        "trihourly",
        "twelveHours",
        "severalTimesADay",
        "threeTimesADay",
        "semidaily",
        "daily",
        "fiveTimesAWeek",
        "threeTimesAWeek",
        "semiweekly",
        "weekly",
        "biweekly",
        "threeTimesAMonth",
        "semimonthly",
        "monthly",
        "bimonthly",
        "quarterly",
        "threeTimesAYear",
        "semiannual",
        "annual",
        "biennial",
        "triennial",
        "quadrennial",
        "quinquennial",
        "decennial",
        "bidecennial",
        "tridecennial",
        "punctual",
        "irregular",
        "never",
        "notPlanned",
        "other",
        "unknown",
    ]
)
FREQUENCY_ALIASES = {
    "realtime": "continuous",
    "fourTimesADay": "severalTimesADay",
    "fourTimesAWeek": "other",
    "fortnighly": "biweekly",
    "biannual": "semiannual",
}
GRANULARITIES = frozenset(
    [
        "country-group",
        "country",
        "country-subset",
        "fr:region",
        "fr:departement",
        "fr:arrondissement",
        "fr:commune",
        "fr:iris",
        "fr:canton",
        "fr:collectivite",
        "fr:epci",
        "poi",
        "other",
    ]
)
ZONE = re.compile(
    r"country:fr|fr:region:\d{2}|fr:departement:(\d{2,3}|2[AB])|fr:epci:\d{9}"
    r"|fr:commune:(\d{5}|2[AB]\d{3})"
)
RESOURCE_TYPES = frozenset({"main", "documentation", "update", "api", "code", "other"})
PROTECTED = ("filetype", "url", "checksum", "filesize", "mime", "format")
"""Ignored on a PUT of a hosted resource: they describe the file actually stored."""
TAG_MIN, TAG_MAX = 3, 96
REUSE_TYPES = {
    "api": "API",
    "application": "Application",
    "idea": "Idea",
    "news_article": "News Article",
    "paper": "Paper",
    "post": "Post",
    "visualization": "Visualization",
    "hardware": "Hardware",
}
REUSE_TOPICS = {
    "health": "Health",
    "transport_and_mobility": "Transport and mobility",
    "housing_and_development": "Housing and development",
    "food_and_agriculture": "Food and agriculture",
    "culture_and_recreation": "Culture and recreation",
    "economy_and_business": "Economy and business",
    "environment_and_energy": "Environment and energy",
    "work_and_training": "Work and training",
    "politics_and_public_life": "Politics and public life",
    "safety_and_security": "Safety and security",
    "education_and_research": "Education and research",
    "society_and_demography": "Society and demography",
    "law_and_justice": "Law and justice",
    "open_data_tools": "Open data tools",
    "others": "Others",
}
IMAGE_MAGIC: tuple[tuple[str, str, Callable[[bytes], bool]], ...] = (
    ("png", "image/png", lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    ("jpg", "image/jpeg", lambda b: b.startswith(b"\xff\xd8\xff")),
    ("webp", "image/webp", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
)
"""Image formats a reuse accepts, told by their first bytes (the file name proves nothing)."""
OBJECT_ID = re.compile(r"[0-9a-f]{24}")
HTTP_URL = re.compile(r"https?://[^\s/?#]+\S*")
REUSE_DELETED = "This reuse has been deleted"
BAD_IMAGE = "Unsupported image format: expected PNG, JPEG or WEBP"
NO_EDIT = "You do not have the permission to modify that object."
READ_ONLY_MESSAGE = "Due to security reasons, the creation of new content is currently disabled."


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class Refused(Exception):
    """A call the portal refuses; carries the exact answer."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.answer = Answer(status, body, headers or {})


TRANSLITERATE = str.maketrans({"µ": "u", "μ": "u", "ß": "ss", "æ": "ae", "œ": "oe"})
"""Letters NFKD does not reduce to ASCII (what a transliterating slugifier does)."""


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def slugify(text: str) -> str:
    ascii_text = (
        unicodedata.normalize("NFKD", text.translate(TRANSLITERATE))
        .encode("ascii", "ignore")
        .decode()
    )
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def file_slug(name: str) -> str:
    """A stored file name: slugified stem, extension kept (``a_b.txt`` → ``a-b.txt``)."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        return slugify(name)
    return f"{slugify(stem)}.{ext.lower()}"


def extension(name: str) -> str:
    lowered = name.lower()
    for double in ("csv.gz", "csv.tar.gz", "tar.gz"):
        if lowered.endswith("." + double):
            return double
    return lowered.rpartition(".")[2] if "." in lowered else ""


def parse_form(
    content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """Fields and files of a ``multipart/form-data`` or urlencoded body."""
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    header = Message()
    header["content-type"] = content_type
    if header.get_content_type() == "multipart/form-data":
        boundary = header.get_param("boundary")
        if not isinstance(boundary, str):
            return fields, files
        for chunk in body.split(b"--" + boundary.encode("latin-1"))[1:]:
            if chunk.startswith(b"--"):
                break
            head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
            data = data.removesuffix(b"\r\n")
            part = Message()
            for line in head.decode("utf-8", "replace").split("\r\n"):
                name, _, value = line.partition(":")
                if value:
                    part[name.strip()] = value.strip()
            field_name = part.get_param("name", header="content-disposition")
            if not isinstance(field_name, str):
                continue
            filename = part.get_filename()
            if filename is None:
                fields[field_name] = data.decode("utf-8", "replace")
            else:
                files[field_name] = (filename, data)
    elif header.get_content_type() == "application/x-www-form-urlencoded":
        fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return fields, files


def looks_like_html(content: bytes) -> bool:
    head = content[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def page_args(query: dict[str, str]) -> tuple[int, int]:
    try:
        page, size = int(query.get("page", "1")), int(query.get("page_size", "20"))
    except ValueError:
        raise Refused(400, {"message": "page and page_size must be integers"}) from None
    if page < 1 or size < 1:
        raise Refused(400, {"message": "page and page_size must be at least 1"})
    return page, size


def paged(found: list[dict[str, Any]], page: int, size: int) -> Answer:
    """udata's pager: one page of ``found`` and the links to its neighbours."""
    start = (page - 1) * size
    more = start + size < len(found)
    return Answer(
        200,
        {
            "data": found[start : start + size],
            "page": page,
            "page_size": size,
            "total": len(found),
            "next_page": f"?page={page + 1}&page_size={size}" if more else None,
            "previous_page": f"?page={page - 1}&page_size={size}" if page > 1 else None,
        },
    )


def image_kind(content: bytes) -> tuple[str, str] | None:
    """Extension and MIME type of a PNG, JPEG or WEBP image, None for anything else."""
    for ext, mime, test in IMAGE_MAGIC:
        if test(content):
            return ext, mime
    return None


class PortalState:
    """Users, organizations, datasets (with their resources), stored files, upload parts.

    Thread-safe (one lock); persisted to ``path`` after each change when one is given.
    """

    def __init__(self, base_url: str, path: Path | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.path = path
        self.lock = threading.RLock()
        self.users: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, str] = {}
        self.organizations: dict[str, dict[str, Any]] = {}
        self.datasets: dict[str, dict[str, Any]] = {}
        self.slugs: dict[str, str] = {}
        self.reuses: dict[str, dict[str, Any]] = {}
        """Stored with dataset ids in ``datasets``; :meth:`reuse_view` renders the references."""
        self.reuse_slugs: dict[str, str] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        self.parts: dict[str, dict[int, bytes]] = {}
        self.schema_catalog: set[str] | None = None
        """Known schema names; ``None``: no validation (udata without ``SCHEMA_CATALOG_URL``)."""
        if path is not None and path.is_file():
            self._load(path)

    # -- accounts ---------------------------------------------------------------------
    def add_user(self, name: str, api_key: str | None = None) -> tuple[str, str]:
        """A user and its API key (``udata_`` + random when not given)."""
        with self.lock:
            user_id = uuid.uuid4().hex[:24]
            key = api_key or f"udata_{uuid.uuid4().hex}"
            self.users[user_id] = {"id": user_id, "first_name": name, "slug": slugify(name)}
            self.keys[key] = user_id
            self._persist()
            return user_id, key

    def add_organization(self, name: str, members: list[str]) -> str:
        with self.lock:
            org_id = uuid.uuid4().hex[:24]
            self.organizations[org_id] = {
                "id": org_id,
                "name": name,
                "slug": slugify(name),
                "members": [{"user": m, "role": "admin"} for m in members],
            }
            self._persist()
            return org_id

    def user_for(self, api_key: str | None) -> str | None:
        """The key's user; a key that is present but unknown is a 401."""
        if api_key is None:
            return None
        user = self.keys.get(api_key)
        if user is None:
            raise Refused(
                401, {"message": "Invalid API token"}, {"WWW-Authenticate": 'Bearer realm="uData"'}
            )
        return user

    @staticmethod
    def require(user: str | None) -> str:
        if user is None:
            raise Refused(
                401,
                {"message": "Unauthorized"},
                {"WWW-Authenticate": 'Bearer realm="uData"'},
            )
        return user

    def is_member(self, user: str | None, org_id: str | None) -> bool:
        org = self.organizations.get(org_id or "")
        return bool(user and org and any(m["user"] == user for m in org["members"]))

    def can_edit(self, user: str | None, dataset: dict[str, Any]) -> bool:
        org = dataset.get("organization") or {}
        owner = dataset.get("owner") or {}
        return self.is_member(user, org.get("id")) or bool(user and owner.get("id") == user)

    @staticmethod
    def _org_ref(org: dict[str, Any] | None) -> dict[str, Any] | None:
        if org is None:
            return None
        return {"class": "Organization", "id": org["id"], "name": org["name"], "slug": org["slug"]}

    def _publisher(self, body: dict[str, Any], user: str) -> dict[str, Any] | None:
        """The organization a new object is published as; the caller must be a member."""
        org_id = body.get("organization")
        if isinstance(org_id, dict):
            org_id = org_id.get("id")
        if org_id is not None and not self.is_member(user, org_id):
            raise Refused(
                400, {"errors": {"organization": ["Permission denied for this organization"]}}
            )
        return self.organizations.get(org_id or "")

    @staticmethod
    def _same_owner(body: dict[str, Any], current: dict[str, Any]) -> None:
        """An update may not move an object to another organization (udata has transfers)."""
        org_id = body.get("organization")
        if isinstance(org_id, dict):
            org_id = org_id.get("id")
        if org_id is not None and org_id != (current.get("organization") or {}).get("id"):
            raise Refused(
                400,
                {
                    "errors": {
                        "organization": [
                            "Cannot change owner after creation. Please use transfer feature."
                        ]
                    }
                },
            )

    # -- datasets ---------------------------------------------------------------------
    def _urls(self, dataset: dict[str, Any]) -> None:
        dataset["uri"] = f"{self.base_url}/api/1/datasets/{dataset['slug']}/"
        dataset["page"] = f"{self.base_url}/datasets/{dataset['slug']}/"

    def _unique_slug(
        self, title: str, own: str | None = None, slugs: dict[str, str] | None = None
    ) -> str:
        """A free slug of ``title`` among ``slugs`` (datasets' by default; reuses have theirs)."""
        taken = self.slugs if slugs is None else slugs
        base = slugify(title) or ("jeu" if slugs is None else "reutilisation")
        slug, n = base, 1
        while slug in taken and taken[slug] != own:
            n += 1
            slug = f"{base}-{n}"
        return slug

    def find(self, ident: str, user: str | None) -> dict[str, Any]:
        """Dataset by id or slug: a former slug is a 308, deleted 410 (non-editors), private 404."""
        dataset = self.datasets.get(ident)
        if dataset is None:
            did = self.slugs.get(ident)
            dataset = self.datasets.get(did or "")
            if dataset is not None and dataset["slug"] != ident:
                raise Refused(308, None, {"Location": dataset["slug"]})
        if dataset is None:
            raise Refused(404, {"message": "Not found"})
        editor = self.can_edit(user, dataset)
        if dataset["deleted"] and not editor:
            raise Refused(410, {"message": "Dataset has been deleted"})
        if dataset["private"] and not editor:
            raise Refused(404, {"message": "Not found"})
        return dataset

    def editable(self, ident: str, user: str | None) -> dict[str, Any]:
        user = self.require(user)
        dataset = self.find(ident, user)
        if not self.can_edit(user, dataset):
            raise Refused(403, {"message": NO_EDIT})
        return dataset

    def _validated(self, body: Any, *, creating: bool) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise Refused(400, {"message": "Wrong payload format, dict expected"})
        errors: dict[str, Any] = {}
        clean: dict[str, Any] = {}
        for name in ("title", "description"):
            if name in body or creating:
                value = body.get(name)
                if not isinstance(value, str) or not value.strip():
                    errors[name] = ["This field is required."]
                else:
                    clean[name] = value
        if isinstance(clean.get("title"), str) and len(clean["title"]) > 350:
            errors["title"] = ["Field cannot be longer than 350 characters."]
        if "license" in body:
            if body["license"] not in LICENSES and body["license"] not in ("", None):
                errors["license"] = [f"Unknown license: {body['license']}"]
            clean["license"] = body["license"] or "notspecified"
        if "frequency" in body:
            frequency = FREQUENCY_ALIASES.get(body["frequency"], body["frequency"])
            if frequency not in FREQUENCIES:
                raise Refused(
                    400, {"message": f"'{body['frequency']}' is not a valid UpdateFrequency"}
                )
            clean["frequency"] = frequency
        if "tags" in body:
            tags = [slugify(str(t)) for t in body["tags"] or []]
            if any(not TAG_MIN <= len(t) <= TAG_MAX for t in tags):
                errors["tags"] = [f"Tag length must be between {TAG_MIN} and {TAG_MAX}"]
            clean["tags"] = list(dict.fromkeys(tags))
        if "temporal_coverage" in body:
            clean["temporal_coverage"] = self._coverage(body["temporal_coverage"], errors)
        if "spatial" in body:
            clean["spatial"] = self._spatial(body["spatial"], errors)
        if "private" in body:
            clean["private"] = bool(body["private"])
        if "extras" in body:
            if not isinstance(body["extras"], dict):
                errors["extras"] = ["Wrong payload format, dict expected"]
            else:
                clean["extras"] = body["extras"]
        for name in ("description_short", "acronym"):
            if name in body:
                clean[name] = body[name]
        if errors:
            raise Refused(400, {"errors": errors})
        return clean

    @staticmethod
    def _coverage(value: Any, errors: dict[str, Any]) -> dict[str, Any] | None:
        if value is None:
            return None
        if isinstance(value, str) and " - " in value:
            start, _, end = value.partition(" - ")
            value = {"start": start, "end": end}
        try:
            start_at = datetime.fromisoformat(value["start"]).replace(tzinfo=UTC)
            end = value.get("end")
            end_at = None if end is None else datetime.fromisoformat(end).replace(tzinfo=UTC)
        except (TypeError, KeyError, ValueError):
            errors["temporal_coverage"] = ["Invalid date range"]
            return None
        return {"start": iso(start_at), "end": None if end_at is None else iso(end_at)}

    @staticmethod
    def _spatial(value: Any, errors: dict[str, Any]) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            errors["spatial"] = ["Wrong payload format, dict expected"]
            return None
        zones = list(value.get("zones") or [])
        unknown = [z for z in zones if not (isinstance(z, str) and ZONE.fullmatch(z))]
        granularity = value.get("granularity") or "other"
        spatial_errors = {}
        if unknown:
            spatial_errors["zones"] = [f"Unknown geoid(s): {', '.join(map(str, unknown))}"]
        if granularity not in GRANULARITIES:
            spatial_errors["granularity"] = [f"Unknown granularity: {granularity}"]
        if spatial_errors:
            errors["spatial"] = spatial_errors
            return None
        return {"zones": zones, "granularity": granularity, "geom": value.get("geom")}

    def create_dataset(self, body: Any, user: str | None) -> Answer:
        with self.lock:
            user = self.require(user)
            clean = self._validated(body, creating=True)
            org = self._publisher(body, user)
            moment = iso(now())
            dataset_id = uuid.uuid4().hex[:24]
            dataset: dict[str, Any] = {
                "id": dataset_id,
                "slug": self._unique_slug(clean["title"]),
                "title": clean["title"],
                "description": clean["description"],
                "description_short": clean.get("description_short"),
                "acronym": clean.get("acronym"),
                "license": clean.get("license", "notspecified"),
                "frequency": clean.get("frequency", "unknown"),
                "temporal_coverage": clean.get("temporal_coverage"),
                "spatial": clean.get("spatial"),
                "tags": clean.get("tags", []),
                "private": clean.get("private", False),
                "extras": clean.get("extras", {}),
                "organization": self._org_ref(org),
                "owner": None if org is not None else {"class": "User", "id": user},
                "resources": [],
                "created_at": moment,
                "last_modified": moment,
                "last_update": moment,
                "deleted": None,
                "archived": None,
            }
            self.slugs[dataset["slug"]] = dataset_id
            self._urls(dataset)
            self.datasets[dataset_id] = dataset
            self._persist()
            return Answer(201, dataset)

    def update_dataset(self, ident: str, body: Any, user: str | None) -> Answer:
        with self.lock:
            dataset = self.editable(ident, user)
            if dataset["deleted"]:
                if isinstance(body, dict) and "deleted" in body and body["deleted"] is None:
                    dataset["deleted"] = None
                else:
                    raise Refused(410, {"message": "Dataset has been deleted"})
            clean = self._validated(body, creating=False)
            self._same_owner(body, dataset)
            if "title" in clean and clean["title"] != dataset["title"]:
                dataset["slug"] = self._unique_slug(clean["title"], own=dataset["id"])
                self.slugs[dataset["slug"]] = dataset["id"]
            dataset.update(clean)
            dataset["last_modified"] = iso(now())
            self._urls(dataset)
            self._persist()
            return Answer(200, dataset)

    def delete_dataset(self, ident: str, user: str | None) -> Answer:
        with self.lock:
            dataset = self.editable(ident, user)
            if dataset["deleted"]:
                raise Refused(410, {"message": "Dataset has been deleted"})
            dataset["deleted"] = iso(now())
            for reuse in self.reuses.values():  # udata's reverse delete rule PULL
                if dataset["id"] in reuse["datasets"]:
                    reuse["datasets"].remove(dataset["id"])
            self._persist()
            return Answer(204)

    def archive(self, dataset_id: str) -> None:
        """What an administrator does in the web interface (no API call for it here)."""
        with self.lock:
            self.datasets[dataset_id]["archived"] = iso(now())
            self._persist()

    def listing(
        self, user: str | None, query: dict[str, str], organization: str | None = None
    ) -> Answer:
        page, size = page_args(query)
        organization = organization or query.get("organization")
        if organization is not None and organization not in self.organizations:
            raise Refused(400, {"message": "Organization arg must be an identifier"})
        with self.lock:
            found = [
                d
                for d in self.datasets.values()
                if not d["deleted"]
                and (not d["private"] or self.can_edit(user, d))
                and (organization is None or (d["organization"] or {}).get("id") == organization)
            ]
        return paged(found, page, size)

    # -- resources --------------------------------------------------------------------
    @staticmethod
    def resource_in(dataset: dict[str, Any], rid: str) -> dict[str, Any]:
        for resource in dataset["resources"]:
            if resource["id"] == rid:
                found: dict[str, Any] = resource
                return found
        raise Refused(404, {"message": "Resource does not exist"})

    def find_resource(self, rid: str) -> dict[str, Any] | None:
        for dataset in self.datasets.values():
            for resource in dataset["resources"]:
                if resource["id"] == rid:
                    found: dict[str, Any] = resource
                    return found
        return None

    def _touch(self, dataset: dict[str, Any]) -> None:
        moment = iso(now())
        dataset["last_modified"] = dataset["last_update"] = moment

    def _store(self, dataset: dict[str, Any], filename: str, content: bytes) -> dict[str, Any]:
        """Check and keep an uploaded file; the fields udata computes while streaming it."""
        ext = extension(filename)
        if ext not in ALLOWED_EXTENSIONS:
            raise Refused(
                400,
                {
                    "message": "This file type is not allowed."
                    f"The allowed file type list is available at {self.base_url}"
                    "/api/1/datasets/extensions/"
                },
            )
        if looks_like_html(content):
            raise Refused(415, {"message": "Incorrect file content type: HTML"})
        stored = file_slug(filename)
        key = f"{dataset['slug']}/{now():%Y%m%d-%H%M%S}/{stored}"
        if key in self.files:
            raise Refused(500, {"message": f"File already exists: {key}"})
        mime = mimetypes.guess_type(stored)[0] or "application/octet-stream"
        self.files[key] = (mime, content)
        return {
            "title": stored,
            "url": f"{self.base_url}/files/{key}",
            "checksum": {"type": "sha1", "value": hashlib.sha1(content).hexdigest()},
            "filesize": len(content),
            "mime": mime,
            "format": ext,
        }

    def _received(
        self, fields: dict[str, str], files: dict[str, tuple[str, bytes]]
    ) -> tuple[str, bytes] | Answer:
        """The whole file of an upload, or the answer to one chunk of a chunked upload."""
        token = fields.get("uuid")
        upload = files.get("file")
        total = int(fields.get("totalparts") or 1)
        if token and total > 1 and upload is not None:
            if int(fields.get("chunksize") or -1) != len(upload[1]):
                raise Refused(400, {"success": False, "error": "Chunk size mismatch"})
            self.parts.setdefault(token, {})[int(fields.get("partindex") or 0)] = upload[1]
            return Answer(200, {"success": True})
        if token and upload is None:
            parts = self.parts.get(token, {})
            if sorted(parts) != list(range(total)):
                raise Refused(400, {"success": False, "error": "Missing chunk(s)"})
            content = b"".join(parts[i] for i in range(total))
            return fields.get("filename") or "file", content
        if upload is None:
            raise Refused(400, {"success": False, "error": "Missing file parameter"})
        return upload

    def upload(
        self,
        ident: str,
        fields: dict[str, str],
        files: dict[str, tuple[str, bytes]],
        user: str | None,
        rid: str | None = None,
    ) -> Answer:
        """``POST …/upload/`` (new resource, 201) or ``…/resources/{rid}/upload/`` (200)."""
        with self.lock:
            dataset = self.editable(ident, user)
            if dataset["deleted"]:
                raise Refused(410, {"message": "Dataset has been deleted"})
            existing = self.resource_in(dataset, rid) if rid is not None else None
            received = self._received(fields, files)
            if isinstance(received, Answer):
                return received
            filename, content = received
            old, previous = None, None
            if existing is not None and existing.get("url"):
                old = str(existing["url"]).removeprefix(f"{self.base_url}/files/")
                previous = self.files.pop(old, None)  # the replaced file makes room for its heir
            try:
                computed = self._store(dataset, filename, content)
            except Refused:
                if old is not None and previous is not None:
                    self.files[old] = previous
                raise
            self.parts.pop(fields.get("uuid") or "", None)
            moment = iso(now())
            if existing is not None:
                existing.update(computed)
                existing["last_modified"] = moment
                existing["internal"]["last_modified_internal"] = moment
                self._touch(dataset)
                self._persist()
                return Answer(200, {**existing, "success": True})
            resource = self._new_resource(dataset, {"filetype": "file", "type": "main", **computed})
            self._persist()
            return Answer(201, {**resource, "success": True})

    def _new_resource(self, dataset: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        rid = str(uuid.uuid4())
        moment = iso(now())
        resource: dict[str, Any] = {
            "id": rid,
            "title": values.get("title"),
            "description": values.get("description"),
            "filetype": values["filetype"],
            "type": values.get("type") or "main",
            "url": values.get("url"),
            "format": (values.get("format") or "").strip().lower() or None,
            "mime": values.get("mime"),
            "filesize": values.get("filesize"),
            "checksum": values.get("checksum"),
            "schema": values.get("schema"),
            "extras": values.get("extras") or {},
            "created_at": moment,
            "last_modified": moment,
            "internal": {"created_at_internal": moment, "last_modified_internal": moment},
            "latest": f"{self.base_url}/api/1/datasets/r/{rid}",
            "harvest": None,
            "metrics": {"views": 0},
        }
        dataset["resources"].insert(0, resource)  # udata pushes at position 0
        self._touch(dataset)
        return resource

    def create_remote(self, ident: str, body: Any, user: str | None) -> Answer:
        with self.lock:
            dataset = self.editable(ident, user)
            if not isinstance(body, dict) or body.get("filetype") != "remote":
                raise Refused(400, {"message": "This endpoint only supports remote resources"})
            errors = {n: ["This field is required."] for n in ("title", "url") if not body.get(n)}
            if errors:
                raise Refused(400, {"errors": errors})
            values = self._resource_fields(body, {})
            resource = self._new_resource(dataset, {**body, **values, "filetype": "remote"})
            self._persist()
            return Answer(201, resource)

    def _resource_fields(self, body: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        clean: dict[str, Any] = {}
        if "title" in body:
            if not isinstance(body["title"], str) or not body["title"].strip():
                errors["title"] = ["This field is required."]
            else:
                clean["title"] = body["title"]
        if "description" in body:
            clean["description"] = body["description"]
        if "type" in body:
            if body["type"] not in RESOURCE_TYPES:
                errors["type"] = [f"'{body['type']}' is not a valid choice"]
            else:
                clean["type"] = body["type"]
        if "schema" in body:
            clean["schema"] = self._schema(body["schema"], errors)
        if "extras" in body and isinstance(body["extras"], dict):
            clean["extras"] = body["extras"]
        for name in ("url", "checksum", "filesize", "mime"):
            if name in body:
                clean[name] = body[name]
        if "format" in body:
            clean["format"] = (body["format"] or "").strip().lower() or None
        if errors:
            raise Refused(400, {"errors": errors})
        return clean

    def _schema(self, value: Any, errors: dict[str, Any]) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            errors["schema"] = ["Wrong payload format, dict expected"]
            return None
        url, name = value.get("url"), value.get("name")
        if url is not None and not re.match(r"https?://[^\s/]+", str(url)):
            errors["schema"] = {"url": [f'Invalid URL "{url}"']}
            return None
        if url is None and name is None:
            errors["schema"] = {"name": ["A schema must have a name or an URL"]}
            return None
        known = self.schema_catalog
        if name is not None and known is not None and url is None and name not in known:
            allowed = ", ".join(sorted(known))
            errors["schema"] = {
                "name": [f'Schema name "{name}" is not an allowed value. Allowed values: {allowed}']
            }
            return None
        return {"name": name, "version": value.get("version"), "url": url}

    def update_resource(self, ident: str, rid: str, body: Any, user: str | None) -> Answer:
        with self.lock:
            dataset = self.editable(ident, user)
            if dataset["deleted"]:
                raise Refused(410, {"message": "Dataset has been deleted"})
            resource = self.resource_in(dataset, rid)
            if not isinstance(body, dict):
                raise Refused(400, {"message": "Wrong payload format, dict expected"})
            if "filetype" in body and body["filetype"] != resource["filetype"]:
                raise Refused(400, {"message": "Cannot modify filetype after creation"})
            clean = self._resource_fields(body, resource)
            if resource["filetype"] == "file" and resource.get("url"):
                for name in PROTECTED:
                    clean.pop(name, None)
            resource.update(clean)
            moment = iso(now())
            resource["last_modified"] = moment
            resource["internal"]["last_modified_internal"] = moment
            self._touch(dataset)
            self._persist()
            return Answer(200, resource)

    def delete_resource(self, ident: str, rid: str, user: str | None) -> Answer:
        with self.lock:
            dataset = self.editable(ident, user)
            resource = self.resource_in(dataset, rid)
            dataset["resources"].remove(resource)
            if resource["filetype"] == "file" and resource.get("url"):
                self.files.pop(resource["url"].removeprefix(f"{self.base_url}/files/"), None)
            self._touch(dataset)
            self._persist()
            return Answer(204)

    # -- reuses -----------------------------------------------------------------------
    def reuse_view(self, reuse: dict[str, Any]) -> dict[str, Any]:
        """A reuse as the API answers it: references of its (live) datasets, its metrics."""
        refs = []
        for dataset_id in reuse["datasets"]:
            dataset = self.datasets.get(dataset_id)
            if dataset is None or dataset["deleted"]:
                continue
            refs.append({k: dataset[k] for k in ("id", "title", "slug", "uri", "page")})
        metrics = {"datasets": len(refs), "views": 0, "followers": 0, "discussions": 0}
        return {**reuse, "datasets": refs, "metrics": metrics}

    def _reuse_urls(self, reuse: dict[str, Any]) -> None:
        reuse["uri"] = f"{self.base_url}/api/1/reuses/{reuse['id']}/"
        reuse["page"] = f"{self.base_url}/reuses/{reuse['slug']}/"

    def find_reuse(self, ident: str, user: str | None) -> dict[str, Any]:
        """Reuse by id or slug: a former slug is a 308, deleted 410 (non-editors), private 404."""
        reuse = self.reuses.get(ident)
        if reuse is None:
            reuse = self.reuses.get(self.reuse_slugs.get(ident) or "")
            if reuse is not None and reuse["slug"] != ident:
                raise Refused(308, None, {"Location": reuse["slug"]})
        if reuse is None:
            raise Refused(404, {"message": "Not found"})
        editor = self.can_edit(user, reuse)
        if reuse["deleted"] and not editor:
            raise Refused(410, {"message": REUSE_DELETED})
        if reuse["private"] and not editor:
            raise Refused(404, {"message": "Not found"})
        return reuse

    def editable_reuse(self, ident: str, user: str | None) -> dict[str, Any]:
        user = self.require(user)
        reuse = self.find_reuse(ident, user)
        if not self.can_edit(user, reuse):
            raise Refused(403, {"message": NO_EDIT})
        return reuse

    def _reuse_fields(self, body: Any, *, own: str | None) -> dict[str, Any]:
        """Checked fields of a reuse write; ``own`` (the reuse updated) None on creation."""
        if not isinstance(body, dict):
            raise Refused(400, {"message": "Wrong payload format, dict expected"})
        creating = own is None
        errors: dict[str, Any] = {}
        clean: dict[str, Any] = {}
        for name, limit in (("title", 350), ("description", 100_000)):
            if name in body or creating:
                value = body.get(name)
                if not isinstance(value, str) or not value.strip():
                    errors[name] = ["This field is required."]
                elif len(value) > limit:
                    errors[name] = [f"Field cannot be longer than {limit} characters."]
                else:
                    clean[name] = value
        for name, choices in (("type", REUSE_TYPES), ("topic", REUSE_TOPICS)):
            if name in body or creating:
                value = body.get(name)
                if value in (None, ""):
                    errors[name] = ["This field is required."]
                elif not isinstance(value, str) or value not in choices:
                    errors[name] = [f"'{value}' is not a valid choice"]
                else:
                    clean[name] = value
        if "url" in body or creating:
            url = body.get("url")
            if not isinstance(url, str) or not url.strip():
                errors["url"] = ["This field is required."]
            elif not HTTP_URL.fullmatch(url):
                errors["url"] = [f'Invalid URL "{url}"']
            elif any(
                r["url"] == url and not r["deleted"] and r["id"] != own
                for r in self.reuses.values()
            ):
                errors["url"] = ["This URL is already registered"]
            else:
                clean["url"] = url
        if "datasets" in body:
            clean["datasets"] = self._reuse_datasets(body["datasets"], errors)
        if "tags" in body:
            tags = [slugify(str(t)) for t in body["tags"] or []]
            if any(not TAG_MIN <= len(t) <= TAG_MAX for t in tags):
                errors["tags"] = [f"Tag length must be between {TAG_MIN} and {TAG_MAX}"]
            clean["tags"] = list(dict.fromkeys(tags))
        if "private" in body:
            clean["private"] = bool(body["private"])
        if errors:
            raise Refused(400, {"errors": errors})
        return clean

    def _reuse_datasets(self, value: Any, errors: dict[str, Any]) -> list[str]:
        """Dataset ids (strings or ``{"id": ...}``) of live datasets, in order, once each."""
        if value is None:
            return []
        if not isinstance(value, list):
            errors["datasets"] = ["Expect a list of dataset identifiers"]
            return []
        ids: list[str] = []
        problems: list[str] = []
        for item in value:
            ident = item.get("id") if isinstance(item, dict) else item
            key = ident if isinstance(ident, str) else ""
            dataset = self.datasets.get(key)
            if dataset is None:
                problems.append(f"Unknown dataset: {ident}")
            elif dataset["deleted"]:
                problems.append(f"Dataset {ident} has been deleted")
            elif key not in ids:
                ids.append(key)
        if problems:
            errors["datasets"] = problems
        return ids

    def create_reuse(self, body: Any, user: str | None) -> Answer:
        with self.lock:
            user = self.require(user)
            clean = self._reuse_fields(body, own=None)
            org = self._publisher(body, user)
            moment = iso(now())
            reuse_id = uuid.uuid4().hex[:24]
            reuse: dict[str, Any] = {
                "id": reuse_id,
                "slug": self._unique_slug(clean["title"], slugs=self.reuse_slugs),
                "title": clean["title"],
                "description": clean["description"],
                "type": clean["type"],
                "topic": clean["topic"],
                "url": clean["url"],
                "tags": clean.get("tags", []),
                "private": clean.get("private", False),
                "datasets": clean.get("datasets", []),
                "organization": self._org_ref(org),
                "owner": None if org is not None else {"class": "User", "id": user},
                "image": None,
                "image_thumbnail": None,
                "created_at": moment,
                "last_modified": moment,
                "deleted": None,
            }
            self.reuse_slugs[reuse["slug"]] = reuse_id
            self._reuse_urls(reuse)
            self.reuses[reuse_id] = reuse
            self._persist()
            return Answer(201, self.reuse_view(reuse))

    def update_reuse(self, ident: str, body: Any, user: str | None) -> Answer:
        with self.lock:
            reuse = self.editable_reuse(ident, user)
            restoring = isinstance(body, dict) and "deleted" in body and body["deleted"] is None
            if reuse["deleted"] and not restoring:
                raise Refused(410, {"message": REUSE_DELETED})
            clean = self._reuse_fields(body, own=reuse["id"])
            self._same_owner(body, reuse)
            changed = bool(reuse["deleted"]) or any(reuse[k] != v for k, v in clean.items())
            reuse["deleted"] = None
            if "title" in clean and clean["title"] != reuse["title"]:
                reuse["slug"] = self._unique_slug(
                    clean["title"], own=reuse["id"], slugs=self.reuse_slugs
                )
                self.reuse_slugs[reuse["slug"]] = reuse["id"]
            reuse.update(clean)
            if changed:  # udata saves (and dates) only a modified document
                reuse["last_modified"] = iso(now())
            self._reuse_urls(reuse)
            self._persist()
            return Answer(200, self.reuse_view(reuse))

    def delete_reuse(self, ident: str, user: str | None) -> Answer:
        with self.lock:
            reuse = self.editable_reuse(ident, user)
            if reuse["deleted"]:
                raise Refused(410, {"message": REUSE_DELETED})
            reuse["deleted"] = iso(now())
            self._persist()
            return Answer(204)

    def reuse_listing(self, user: str | None, query: dict[str, str]) -> Answer:
        page, size = page_args(query)
        for arg in ("organization", "owner"):
            value = query.get(arg)
            if value is not None and not OBJECT_ID.fullmatch(value):
                raise Refused(400, {"message": f"{arg.capitalize()} arg must be an identifier"})
        organization, owner = query.get("organization"), query.get("owner")
        words = [w for w in slugify(query.get("q") or "").split("-") if w]
        with self.lock:
            found = [
                self.reuse_view(r)
                for r in self.reuses.values()
                if not r["deleted"]
                and (not r["private"] or self.can_edit(user, r))
                and (organization is None or (r["organization"] or {}).get("id") == organization)
                and (owner is None or (r["owner"] or {}).get("id") == owner)
                and all(
                    w in slugify(" ".join([r["title"], r["description"], *r["tags"]]))
                    for w in words
                )
            ]
        return paged(found, page, size)

    def add_reuse_dataset(self, ident: str, body: Any, user: str | None) -> Answer:
        """``POST …/reuses/{id}/datasets/``: 201 when added, 200 when it was already there."""
        with self.lock:
            reuse = self.editable_reuse(ident, user)
            if reuse["deleted"]:
                raise Refused(410, {"message": REUSE_DELETED})
            if not isinstance(body, dict) or not isinstance(body.get("id"), str):
                raise Refused(400, {"message": "Expect a dataset identifier"})
            dataset = self.datasets.get(body["id"])
            if dataset is None:
                raise Refused(404, {"message": "Not found"})
            if dataset["deleted"]:
                raise Refused(410, {"message": "Dataset has been deleted"})
            if dataset["id"] in reuse["datasets"]:
                return Answer(200, self.reuse_view(reuse))
            reuse["datasets"].append(dataset["id"])
            reuse["last_modified"] = iso(now())
            self._persist()
            return Answer(201, self.reuse_view(reuse))

    def reuse_image(
        self, ident: str, files: dict[str, tuple[str, bytes]], user: str | None
    ) -> Answer:
        """``POST …/reuses/{id}/image/``: keep the image (and its thumbnail), new URLs."""
        with self.lock:
            reuse = self.editable_reuse(ident, user)
            if reuse["deleted"]:
                raise Refused(410, {"message": REUSE_DELETED})
            upload = files.get("file")
            if upload is None:
                raise Refused(
                    400,
                    {
                        "errors": {"file": "Missing required parameter in an uploaded file"},
                        "message": "Input payload validation failed",
                    },
                )
            kind = image_kind(upload[1])
            if kind is None:
                raise Refused(
                    400,
                    {
                        "errors": {"file": [BAD_IMAGE]},
                        "message": "Input payload validation failed",
                    },
                )
            ext, mime = kind
            for old in (reuse["image"], reuse["image_thumbnail"]):
                if old:
                    self.files.pop(str(old).removeprefix(f"{self.base_url}/files/"), None)
            stem = f"images/reuses/{reuse['id']}/{now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}"
            # No image library here: the thumbnail is the same picture, not a 500 px one.
            for name, key in (("image", f"{stem}.{ext}"), ("image_thumbnail", f"{stem}-500.{ext}")):
                self.files[key] = (mime, upload[1])
                reuse[name] = f"{self.base_url}/files/{key}"
            reuse["last_modified"] = iso(now())
            self._persist()
            return Answer(200, {"success": True, "image": reuse["image"]})

    # -- persistence ------------------------------------------------------------------
    def _persist(self) -> None:
        if self.path is None:
            return
        data = {
            "base_url": self.base_url,
            "users": self.users,
            "keys": self.keys,
            "organizations": self.organizations,
            "datasets": self.datasets,
            "slugs": self.slugs,
            "reuses": self.reuses,
            "reuse_slugs": self.reuse_slugs,
            "files": {
                k: [mime, base64.b64encode(content).decode()]
                for k, (mime, content) in self.files.items()
            },
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.path)

    def _load(self, path: Path) -> None:
        """Read the saved state; URLs of a former address (another port) are moved here."""
        text = path.read_text(encoding="utf-8")
        former = json.loads(text).get("base_url")
        if former and former != self.base_url:
            text = text.replace(json.dumps(former)[1:-1], json.dumps(self.base_url)[1:-1])
        data = json.loads(text)
        data["base_url"] = self.base_url
        self.users, self.keys = data["users"], data["keys"]
        self.organizations, self.datasets = data["organizations"], data["datasets"]
        self.slugs = data["slugs"]
        self.reuses = data.get("reuses", {})  # state files written before reuses existed
        self.reuse_slugs = data.get("reuse_slugs", {})
        self.files = {k: (m, base64.b64decode(c)) for k, (m, c) in data["files"].items()}


Call = Callable[..., Answer]

__all__ = [
    "REUSE_TOPICS",
    "REUSE_TYPES",
    "Answer",
    "PortalState",
    "Refused",
    "parse_form",
    "slugify",
]
