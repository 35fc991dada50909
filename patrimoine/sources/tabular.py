"""The territory's rows of a data.gouv.fr file through the Tabular API, instead of the file.

When a catalog entry declares ``[source.tabular]`` and data.gouv.fr has parsed the resource
(``extras["analysis:parsing:parsing_table"]``), only the territory's rows are fetched::

    [source.tabular]
    column = "codeInseeCommune"   # column name, verbatim and case-sensitive
    values = "communes"           # the territory's INSEE codes (or "departements")

Pages of 200 rows are followed through ``links.next`` (a server that refuses 200 is asked
50, the open-source default maximum), and the rows are written to a ``;`` CSV in the
profile's column order, so the transform reads them exactly like the downloaded file.
Tabular infers types: numbers come back as JSON numbers and are written back as text
without a decimal part when they are integers (the transform casts everything itself).
"""

from __future__ import annotations

import csv
import hashlib
import logging
from pathlib import Path
from typing import Any

from patrimoine.config import Settings
from patrimoine.errors import CatalogError, HTTPStatusError, SourceError
from patrimoine.http import HttpClient
from patrimoine.territory import Territory

log = logging.getLogger(__name__)

PAGE_SIZES = (200, 50)
"""Production accepts 200 rows per page; the open-source default configuration 50."""
PARSED = "analysis:parsing:parsing_table"
MAX_PAGES = 10_000


def parsed(resource: dict[str, Any]) -> bool:
    """Whether data.gouv.fr serves this resource through the Tabular API."""
    return bool((resource.get("extras") or {}).get(PARSED))


def filter_values(spec: dict[str, Any], territory: Territory, where: str) -> list[str]:
    choice = spec.get("values", "communes")
    if choice == "communes":
        return list(territory.codes)
    if choice == "departements":
        return list(territory.departements)
    raise CatalogError(f"{where} [source.tabular] : values = « communes » ou « departements »")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _first_page(
    client: HttpClient, url: str, params: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    for size in PAGE_SIZES:
        attempt = {**params, "page_size": str(size)}
        try:
            return client.get_json(url, attempt), attempt
        except HTTPStatusError as exc:
            if exc.status_code != 400 or size == PAGE_SIZES[-1]:
                raise
            log.info("API tabulaire : %s lignes par page refusées, essai avec moins", size)
    raise AssertionError("unreachable")


def fetch_rows(
    client: HttpClient,
    settings: Settings,
    resource_id: str,
    column: str,
    values: list[str],
    dest: Path,
) -> tuple[int, str]:
    """Write the filtered rows to ``dest``; return the row count and the file's sha256."""
    base = f"{settings.tabular_url}/api/resources/{resource_id}"
    profile = client.get_json(f"{base}/profile/")
    header = list((profile.get("profile") or {}).get("header") or [])
    if column not in header:
        raise SourceError(
            f"colonne « {column} » absente du profil de la ressource (colonnes : "
            f"{', '.join(header) or 'aucune'})",
            url=f"{base}/profile/",
            hint="corrigez [source.tabular] column dans le catalogue (nom exact, casse comprise)",
        )
    page, params = _first_page(client, f"{base}/data/", {f"{column}__in": ",".join(values)})
    rows: list[dict[str, Any]] = []
    expected = int((page.get("meta") or {}).get("total", 0))
    for _ in range(MAX_PAGES):
        rows.extend(page.get("data") or [])
        following = (page.get("links") or {}).get("next")
        if not following:
            break
        page = client.get_json(str(following))
    if len(rows) != expected:
        raise SourceError(
            f"API tabulaire : {len(rows)} lignes reçues au lieu des {expected} annoncées",
            url=f"{base}/data/",
            transient=True,
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    with part.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([_text(row.get(name)) for name in header])
    part.replace(dest)
    log.debug("API tabulaire : %d lignes (%s)", len(rows), params)
    return len(rows), hashlib.sha256(dest.read_bytes()).hexdigest()
