"""Registry of transforms by source family; the catalog names one by its key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from patrimoine.catalog import DatasetEntry
from patrimoine.errors import CatalogError
from patrimoine.territory import Territory
from patrimoine.transforms import merimee
from patrimoine.transforms.stats import TransformStats

Transform = Callable[[Path, DatasetEntry, Territory | None, TransformStats], list[tuple[Any, ...]]]

TRANSFORMS: dict[str, Transform] = {
    "merimee": merimee.transform,
}


def get_transform(entry: DatasetEntry) -> Transform:
    try:
        return TRANSFORMS[entry.transform]
    except KeyError:
        raise CatalogError(
            f"{entry.name} : transformation inconnue « {entry.transform} »"
        ) from None


__all__ = ["TRANSFORMS", "Transform", "get_transform"]
