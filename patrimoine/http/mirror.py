"""Offline mode: upstream responses answered from files bundled in ``snapshot/``.

The mirror is an httpx transport, so an offline run sends the very same requests and
parses the very same bytes as a live run; only the socket is replaced. ``manifest.json``
maps each absolute URL (query included) to a file and its response headers.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

MIRROR_HEADER = "X-Patrimoine-Mirror"


def canonical_url(url: str) -> str:
    """Sort the query so that equivalent URLs find the same snapshot file."""
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    path = parts.path or "/"
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, query, ""))


class MirrorTransport(httpx.BaseTransport):
    """Serve GET requests from a snapshot folder, honouring conditional requests."""

    def __init__(self, snapshot_dir: Path) -> None:
        self.snapshot_dir = snapshot_dir
        manifest_path = snapshot_dir / "manifest.json"
        manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
        self._entries: dict[str, dict[str, Any]] = {
            canonical_url(entry["url"]): entry for entry in manifest["entries"]
        }

    def urls(self) -> list[str]:
        return sorted(self._entries)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        entry = self._entries.get(canonical_url(str(request.url)))
        if request.method not in ("GET", "HEAD"):
            return httpx.Response(405, headers={MIRROR_HEADER: "read-only"})
        if entry is None:
            return httpx.Response(
                404,
                headers={MIRROR_HEADER: "miss", "Content-Type": "application/json"},
                content=b'{"message": "Not found in the offline snapshot"}',
            )
        status = int(entry.get("status", 200))
        body = (self.snapshot_dir / entry["file"]).read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {
            MIRROR_HEADER: "hit",
            "Content-Type": entry.get("content_type", "application/octet-stream"),
            "ETag": etag,
        }
        if entry.get("last_modified"):
            headers["Last-Modified"] = entry["last_modified"]
        if status == 200 and request.headers.get("If-None-Match") == etag:
            return httpx.Response(304, headers=headers)
        headers["Content-Length"] = str(len(body))
        content = b"" if request.method == "HEAD" else body
        return httpx.Response(status, headers=headers, content=content)
