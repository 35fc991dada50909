"""A file resource of a data.gouv.fr dataset, resolved by dataset id at every run.

Producers replace their files and resource ids can change, so the catalog names the
dataset and the format; the current resource comes from ``/api/1/datasets/{id}/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from patrimoine.catalog import DatasetEntry
from patrimoine.config import Settings
from patrimoine.errors import CatalogError, SourceError
from patrimoine.http import HttpClient
from patrimoine.sources import tabular
from patrimoine.territory import Territory

DATASET_PATH = "/api/1/datasets/{dataset_id}/"


@dataclass(frozen=True)
class ExtractResult:
    """The raw file of a dataset, on disk and complete."""

    path: Path
    url: str
    sha256: str
    size: int
    not_modified: bool
    resource_id: str | None = None
    resource_modified: str | None = None
    page: str | None = None
    permalink: str | None = None
    """Stable link to the resource's current file (``/datasets/r/{id}``), unlike ``url``."""
    supplements: dict[str, Path] = field(default_factory=dict)
    """Extra files of the collectivité declared by the catalog entry (see ``supplements``)."""


def pick_resource(dataset: dict[str, Any], fmt: str, url: str) -> dict[str, Any]:
    """The main resource of the wanted format (not simply the first resource)."""
    resources = [
        r for r in dataset.get("resources", []) if str(r.get("format", "")).lower().strip() == fmt
    ]
    if not resources:
        raise SourceError(f"aucune ressource au format {fmt} dans le jeu data.gouv.fr", url=url)
    mains = [r for r in resources if r.get("type", "main") == "main"]
    chosen: dict[str, Any] = (mains or resources)[0]
    return chosen


def extract(
    client: HttpClient, settings: Settings, entry: DatasetEntry, territory: Territory
) -> ExtractResult:
    """The whole national file: the Culture files are small enough, and filtering locally
    keeps the records whose location disagrees with their commune code visible."""
    try:
        dataset_id = entry.source["dataset_id"]
    except KeyError:
        raise CatalogError(f"{entry.name} : source.dataset_id manquant") from None
    fmt = str(entry.source.get("format", "csv")).lower()
    api_url = settings.datagouv_url + DATASET_PATH.format(dataset_id=dataset_id)
    dataset = client.get_json(api_url)
    resource = pick_resource(dataset, fmt, api_url)
    url = resource.get("url") or resource.get("latest")
    if not url:
        raise SourceError("la ressource n'a pas d'URL de téléchargement", url=api_url)
    spec = entry.source.get("tabular")
    if isinstance(spec, dict) and tabular.parsed(resource):
        return _from_tabular(client, settings, entry, territory, dataset, resource, spec)
    filename = Path(urlsplit(url).path).name or f"{entry.name}.{fmt}"
    download = client.download(url, settings.cache_dir / entry.name / filename)
    return ExtractResult(
        path=download.path,
        url=url,
        sha256=download.sha256,
        size=download.size,
        not_modified=download.not_modified,
        resource_id=resource.get("id"),
        resource_modified=resource.get("last_modified"),
        page=dataset.get("page"),
        permalink=resource.get("latest"),
    )


def _from_tabular(
    client: HttpClient,
    settings: Settings,
    entry: DatasetEntry,
    territory: Territory,
    dataset: dict[str, Any],
    resource: dict[str, Any],
    spec: dict[str, Any],
) -> ExtractResult:
    """Only the territory's rows: the resource is parsed and the entry says how to filter."""
    where = f"{entry.name} [source.tabular]"
    column = spec.get("column")
    if not isinstance(column, str) or not column:
        raise CatalogError(f"{where} : « column » (nom exact de la colonne filtrée) manquant")
    values = tabular.filter_values(spec, territory, where)
    dest = settings.cache_dir / entry.name / "tabular.csv"
    _, sha256 = tabular.fetch_rows(client, settings, resource["id"], column, values, dest)
    return ExtractResult(
        path=dest,
        url=f"{settings.tabular_url}/api/resources/{resource['id']}/data/",
        sha256=sha256,
        size=dest.stat().st_size,
        not_modified=False,
        resource_id=resource.get("id"),
        resource_modified=resource.get("last_modified"),
        page=dataset.get("page"),
        permalink=resource.get("latest"),
    )
