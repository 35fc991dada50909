"""Sources by protocol; the catalog's ``source.kind`` selects one."""

from __future__ import annotations

from collections.abc import Callable

from patrimoine.catalog import DatasetEntry
from patrimoine.config import Settings
from patrimoine.errors import CatalogError
from patrimoine.http import HttpClient
from patrimoine.sources import configured_file, datagouv_resource, wfs
from patrimoine.sources.datagouv_resource import ExtractResult
from patrimoine.territory import Territory

Extractor = Callable[[HttpClient, Settings, DatasetEntry, Territory], ExtractResult]
"""Download one dataset's raw file; the territory lets a source filter upstream (a bounding
box, a ``where``, a département) instead of downloading everything."""

SOURCES: dict[str, Extractor] = {
    "datagouv_resource": datagouv_resource.extract,
    "configured_file": configured_file.extract,
    "wfs": wfs.extract,
}


def get_extractor(entry: DatasetEntry) -> Extractor:
    kind = entry.source.get("kind")
    try:
        return SOURCES[str(kind)]
    except KeyError:
        raise CatalogError(
            f"{entry.name} : type de source inconnu « {kind} » (connus : {', '.join(SOURCES)})"
        ) from None


__all__ = ["SOURCES", "ExtractResult", "Extractor", "get_extractor"]
