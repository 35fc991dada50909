"""The territory's page at the portal root: every mapped dataset as a layer, and the Leaflet
files the dataset pages share (``static/``), written only when their bytes change.

Drawn from the staged tables (what is published), so a failed dataset keeps its last good
layer and an unchanged night rewrites nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from patrimoine.catalog import DatasetEntry, load_catalog
from patrimoine.config import Settings
from patrimoine.report.html import write_if_changed


def write(settings: Settings) -> list[str]:
    """Write ``territoire.html``, ``carte-territoire.png`` and ``static/``; the names written.

    The page's background tiles come from ``map_tiles_url`` / ``map_tiles_attribution``
    (none by default: the page needs no network); the PNG never uses them."""
    from patrimoine.stages import engine_for, territory_for
    from patrimoine.staging import tables
    from patrimoine.visuals import Tiles, render_territory, static_files

    engine = engine_for(settings)
    territory = territory_for(settings)
    datasets: list[tuple[DatasetEntry, Sequence[Sequence[Any]]]] = []
    for entry in load_catalog(settings.catalog_dir).values():
        name = tables.staged_name(entry)
        if tables.table_exists(engine, name):
            datasets.append((entry, tables.read_rows(engine, entry, name)))
    tiles = Tiles.of(settings.map_tiles_url, settings.map_tiles_attribution)
    written = []
    for file in [*static_files(), *render_territory(datasets, territory, tiles=tiles)]:
        if write_if_changed(settings.portal_dir / file.name, file.content):
            written.append(file.name)
    return written


__all__ = ["write"]
