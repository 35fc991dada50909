"""A data.gouv.fr dataset as the offline snapshot ships it: API v1 JSON and its file.

Each sample module of a Culture dataset (``tests/samples/<family>.py``) exposes
``snapshot_dataset(communes) -> SnapshotDataset``; ``scripts/make_snapshot.py`` writes the
dataset answer and the file under the mirrored URLs, and tests can serve the same bytes
with ``UpstreamServer.add_datagouv_dataset(dataset_id, [(fmt, filename, content)])``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

ORGANIZATION_ID = "534fff91a3a7292c64a77f73"
ORGANIZATION_SLUG = "ministere-de-la-culture"


@dataclass(frozen=True)
class SnapshotDataset:
    """One dataset with one main file resource, in the real upstream format."""

    dataset_id: str
    slug: str
    title: str
    description: str
    frequency: str
    """udata frequency id (``weekly``, ``daily``, ``annual``…)."""
    resource_id: str
    resource_title: str
    filename: str
    content: bytes
    modified: dt.datetime
    """When the producer last replaced the file (drives the static URL's timestamp)."""
    fmt: str = "csv"
    mime: str = "text/csv"
    license: str = "lov2"
    tags: tuple[str, ...] = ()
    organization_id: str = ORGANIZATION_ID
    organization_name: str = "Ministère de la Culture"
    organization_slug: str = ORGANIZATION_SLUG
    hosted_at: str | None = None
    """The producer's own URL when the file is not hosted by data.gouv.fr (a remote resource)."""

    @property
    def stamp(self) -> str:
        return self.modified.strftime("%Y%m%d-%H%M%S")

    @property
    def file_url(self) -> str:
        if self.hosted_at:
            return self.hosted_at
        return f"https://static.data.gouv.fr/resources/{self.slug}/{self.stamp}/{self.filename}"

    @property
    def file_path(self) -> str:
        """Where the mirror keeps the file, relative to ``snapshot/``."""
        return self.file_url.removeprefix("https://")

    @property
    def api_url(self) -> str:
        return f"https://www.data.gouv.fr/api/1/datasets/{self.dataset_id}/"

    @property
    def api_path(self) -> str:
        return f"www.data.gouv.fr/api/1/datasets/{self.dataset_id}/index.json"

    def served_file(self) -> tuple[str, str, bytes]:
        """``(format, filename, content)`` for :meth:`UpstreamServer.add_datagouv_dataset`."""
        return (self.fmt, self.filename, self.content)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def dataset_json(sample: SnapshotDataset) -> bytes:
    """``GET /api/1/datasets/{id}/`` in the API v1 shape (the fields patrimoine and people
    read: resources in full, organisation, licence, frequency, page)."""
    sha1 = hashlib.sha1(sample.content).hexdigest()
    size = len(sample.content)
    created = dt.datetime.fromtimestamp(int(sample.dataset_id[:8], 16), tz=dt.UTC)
    modified = _iso(sample.modified)
    resource = {
        "checksum": {"type": "sha1", "value": sha1},
        "created_at": _iso(created),
        "description": sample.resource_title,
        "extras": {
            "analysis:checksum": sha1,
            "analysis:content-length": size,
            "analysis:last-modified-at": sample.modified.isoformat(),
            "analysis:mime-type": sample.mime,
            "check:available": True,
            "check:status": 200,
        },
        "filesize": size,
        "filetype": "file",
        "format": sample.fmt,
        "harvest": None,
        "id": sample.resource_id,
        "internal": {"created_at_internal": _iso(created), "last_modified_internal": modified},
        "last_modified": modified,
        "latest": f"https://www.data.gouv.fr/fr/datasets/r/{sample.resource_id}",
        "metrics": {"views": 0},
        "mime": sample.mime,
        "preview_url": None,
        "schema": None,
        "title": sample.resource_title,
        "type": "main",
        "url": sample.file_url,
    }
    slug = sample.organization_slug
    dataset: dict[str, Any] = {
        "acronym": None,
        "archived": None,
        "badges": [],
        "contact_points": [],
        "created_at": _iso(created),
        "deleted": None,
        "description": sample.description
        + "\n\n(Réponse reconstituée pour le mode hors ligne de patrimoine : les "
        "enregistrements du fichier sont des exemples synthétiques.)",
        "description_short": None,
        "extras": {},
        "frequency": sample.frequency,
        "frequency_date": None,
        "harvest": None,
        "id": sample.dataset_id,
        "internal": {"created_at_internal": _iso(created), "last_modified_internal": modified},
        "last_modified": modified,
        "last_update": modified,
        "license": sample.license,
        "metrics": {"discussions": 0, "followers": 0, "resources_downloads": 0, "reuses": 0},
        "organization": {
            "acronym": None,
            "badges": [{"kind": "public-service"}, {"kind": "certified"}],
            "class": "Organization",
            "id": sample.organization_id,
            "logo": None,
            "logo_thumbnail": None,
            "name": sample.organization_name,
            "page": f"https://www.data.gouv.fr/fr/organizations/{slug}/",
            "slug": slug,
            "uri": f"https://www.data.gouv.fr/api/1/organizations/{slug}/",
        },
        "owner": None,
        "page": f"https://www.data.gouv.fr/fr/datasets/{sample.slug}/",
        "private": False,
        "resources": [resource],
        "slug": sample.slug,
        "spatial": {"geom": None, "granularity": "poi", "zones": ["country:fr"]},
        "tags": list(sample.tags),
        "temporal_coverage": None,
        "title": sample.title,
        "uri": f"https://www.data.gouv.fr/api/1/datasets/{sample.slug}/",
    }
    return (json.dumps(dataset, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def http_date(moment: dt.datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def manifest_entries(sample: SnapshotDataset) -> list[dict[str, str]]:
    """The mirror's manifest lines for the dataset answer and its file."""
    return [
        {
            "url": sample.api_url,
            "file": sample.api_path,
            "content_type": "application/json",
            "last_modified": http_date(sample.modified),
        },
        {
            "url": sample.file_url,
            "file": sample.file_path,
            "content_type": sample.mime,
            "last_modified": http_date(sample.modified),
        },
    ]
