"""Upstream columns a transform reads: canonical name, accepted spellings, what a loss means.

Declared once per source family (next to its transform); the catalog entry may add
spellings under ``[source.aliases]`` when the producer renames a column, and the source
suite's column checks are generated from these declarations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from patrimoine.catalog import DatasetEntry
from patrimoine.errors import CatalogError

REQUIRED = "required"
"""The transform cannot run without it (key, territory): the run fails at once."""
BLOCKING = "blocking"
"""Published content depends on it: its absence holds the dataset."""
WARNING = "warning"
"""A secondary column: its absence is reported."""


@dataclass(frozen=True)
class SourceField:
    aliases: tuple[str, ...]
    """Accepted header spellings, compared case-insensitively; the first names it in messages."""
    level: str = BLOCKING

    @property
    def label(self) -> str:
        return self.aliases[0]


def with_catalog_aliases(
    fields: Mapping[str, SourceField], entry: DatasetEntry
) -> dict[str, SourceField]:
    """The transform's fields, with the spellings the catalog entry adds first."""
    extra = entry.source.get("aliases", {})
    if not isinstance(extra, dict):
        raise CatalogError(f"{entry.name} : [source.aliases] doit associer un champ à des noms")
    unknown = sorted(set(extra) - set(fields))
    if unknown:
        raise CatalogError(
            f"{entry.name} : [source.aliases] nomme des champs inconnus : {', '.join(unknown)} "
            f"(connus : {', '.join(fields)})"
        )
    merged: dict[str, SourceField] = {}
    for name, field in fields.items():
        added = extra.get(name, [])
        names = [added] if isinstance(added, str) else list(added)
        merged[name] = SourceField((*field.aliases, *names), field.level)
    return merged
