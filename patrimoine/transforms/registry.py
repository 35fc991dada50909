"""Registry of transforms by source family; the catalog names one by its key."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from patrimoine.catalog import DatasetEntry
from patrimoine.errors import CatalogError
from patrimoine.territory import Territory
from patrimoine.transforms import merimee
from patrimoine.transforms.fields import SourceField, with_catalog_aliases
from patrimoine.transforms.result import TransformResult
from patrimoine.transforms.stats import TransformStats

TransformFunction = Callable[
    [Path, DatasetEntry, Mapping[str, SourceField], Territory | None, TransformStats],
    TransformResult,
]


@dataclass(frozen=True)
class Transform:
    """A source family: the upstream columns it reads and the function that cleans them."""

    run: TransformFunction
    fields: Mapping[str, SourceField]

    def fields_for(self, entry: DatasetEntry) -> dict[str, SourceField]:
        return with_catalog_aliases(self.fields, entry)

    def __call__(
        self, path: Path, entry: DatasetEntry, territory: Territory | None, stats: TransformStats
    ) -> TransformResult:
        return self.run(path, entry, self.fields_for(entry), territory, stats)


TRANSFORMS: dict[str, Transform] = {
    "merimee": Transform(merimee.transform, merimee.FIELDS),
}


def get_transform(entry: DatasetEntry) -> Transform:
    try:
        return TRANSFORMS[entry.transform]
    except KeyError:
        raise CatalogError(
            f"{entry.name} : transformation inconnue « {entry.transform} »"
        ) from None


__all__ = ["TRANSFORMS", "Transform", "TransformFunction", "get_transform"]
