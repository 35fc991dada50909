"""The data.gouv.fr Tabular API (api-tabular) over a CSV the local upstream hosts.

Shapes from shared/reference/sources.md §0.2 (datagouv/api-tabular README):

``GET /api/resources/{rid}/profile/``
    ``{"profile": {"header": [...], "columns": {name: {"python_type": ...}}}, ...}``
``GET /api/resources/{rid}/data/?col__in=a,b&col__exact=v&page=n&page_size=k``
    ``{"data": [{"__id": 1, ...}], "links": {"profile", "swagger", "next", "prev"},
    "meta": {"page", "page_size", "total"}}``; a ``page_size`` above the maximum answers
    400 (production accepts 200, the open-source default configuration 50).

Types are inferred as the API does it, roughly: a column whose non-empty values are all
integers without a leading zero is served as JSON integers; everything else as strings,
empty cells as ``null``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from .base import Reply, Request

_INT = re.compile(r"^(0|-?[1-9]\d*)$")
DELIMITERS = "|;,\t"


def _table(content: bytes) -> tuple[list[str], list[dict[str, Any]]]:
    text = content.decode("utf-8-sig")
    first = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, [])
    raw = [r for r in reader if any(r)]
    ints = {
        name
        for i, name in enumerate(header)
        if any(r[i] for r in raw) and all(_INT.match(r[i]) for r in raw if r[i])
    }

    def typed(name: str, value: str) -> Any:
        if value == "":
            return None
        return int(value) if name in ints else value

    rows = [
        {"__id": n, **{h: typed(h, v) for h, v in zip(header, r, strict=True)}}
        for n, r in enumerate(raw, start=1)
    ]
    return header, rows


def _matches(row: dict[str, Any], request: Request, header: list[str]) -> bool:
    for key, values in request.query.items():
        column, _, op = key.rpartition("__")
        if column not in header:
            continue
        cell = "" if row[column] is None else str(row[column])
        if op == "in" and cell not in values[0].split(","):
            return False
        if op == "exact" and cell != values[0]:
            return False
    return True


def handlers(
    base_url: str, rid: str, content: Callable[[], bytes], page_size_max: Callable[[], int]
) -> dict[str, Callable[[Request], Reply]]:
    """Path → handler for one resource; ``content`` gives the file's current bytes."""
    prefix = f"/api/resources/{rid}"

    def links(page: int | None, request: Request) -> str | None:
        if page is None:
            return None
        params = {k: v[0] for k, v in request.query.items()}
        params["page"] = str(page)
        return f"{base_url}{prefix}/data/?{urlencode(params)}"

    def profile(request: Request) -> Reply:
        header, rows = _table(content())
        columns = {
            h: {"python_type": "int" if rows and isinstance(rows[0].get(h), int) else "string"}
            for h in header
        }
        return Reply.json({"profile": {"header": header, "columns": columns}})

    def data(request: Request) -> Reply:
        size = int(request.arg("page_size", "20") or 20)
        if size > page_size_max():
            return Reply.json(
                {"errors": [{"title": "Invalid query string", "detail": "page_size too large"}]},
                400,
            )
        page = int(request.arg("page", "1") or 1)
        header, rows = _table(content())
        selected = [r for r in rows if _matches(r, request, header)]
        chunk = selected[(page - 1) * size : page * size]
        last = page * size >= len(selected)
        return Reply.json(
            {
                "data": chunk,
                "links": {
                    "profile": f"{base_url}{prefix}/profile/",
                    "swagger": f"{base_url}{prefix}/swagger/",
                    "next": None if last else links(page + 1, request),
                    "prev": links(page - 1, request) if page > 1 else None,
                },
                "meta": {"page": page, "page_size": size, "total": len(selected)},
            }
        )

    return {f"{prefix}/profile/": profile, f"{prefix}/data/": data}
