"""Registry of transforms by source family; the catalog names one by its key.

Each family is a module of this package exposing ``FIELDS`` (the upstream columns it reads)
and ``transform`` (see :class:`TransformFunction`); it is imported when first asked for, so
a run of one dataset does not import every parser.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

from patrimoine.catalog import DatasetEntry
from patrimoine.errors import CatalogError
from patrimoine.territory import Territory
from patrimoine.transforms.fields import SourceField, with_catalog_aliases
from patrimoine.transforms.result import TransformResult
from patrimoine.transforms.stats import TransformStats


class TransformFunction(Protocol):
    """Clean one raw file into published rows and the territory's raw records.

    ``territory=None`` keeps every record (national export); ``supplements`` are the extra
    files the catalog entry declares under ``[source.supplements]`` (absent when not given).
    """

    def __call__(
        self,
        path: Path,
        entry: DatasetEntry,
        fields: Mapping[str, SourceField],
        territory: Territory | None,
        stats: TransformStats,
        supplements: Mapping[str, Path],
    ) -> TransformResult: ...


@dataclass(frozen=True)
class Transform:
    """A source family: the upstream columns it reads and the function that cleans them."""

    run: TransformFunction
    fields: Mapping[str, SourceField]

    def fields_for(self, entry: DatasetEntry) -> dict[str, SourceField]:
        return with_catalog_aliases(self.fields, entry)

    def __call__(
        self,
        path: Path,
        entry: DatasetEntry,
        territory: Territory | None,
        stats: TransformStats,
        supplements: Mapping[str, Path] | None = None,
    ) -> TransformResult:
        return self.run(path, entry, self.fields_for(entry), territory, stats, supplements or {})


MODULES: dict[str, str] = {
    "merimee": "patrimoine.transforms.merimee",
    "museofile": "patrimoine.transforms.museofile",
    "frequentation": "patrimoine.transforms.frequentation",
    "jardins": "patrimoine.transforms.jardins",
    "acr": "patrimoine.transforms.acr",
    "patrinat": "patrimoine.transforms.patrinat",
    "ens": "patrimoine.transforms.ens",
}
"""Transform key (the catalog's ``transform``) → module."""


@cache
def _load(key: str) -> Transform:
    module = importlib.import_module(MODULES[key])
    return Transform(module.transform, module.FIELDS)


def get_transform(entry: DatasetEntry) -> Transform:
    if entry.transform not in MODULES:
        raise CatalogError(
            f"{entry.name} : transformation inconnue « {entry.transform} » "
            f"(connues : {', '.join(MODULES)})"
        )
    return _load(entry.transform)


__all__ = ["MODULES", "Transform", "TransformFunction", "get_transform"]
