"""The mapped records of a dataset (geometry, category, popup), shared by the static maps and
the interactive pages so that both show the same features."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from patrimoine.catalog import DatasetEntry, MapSpec
from patrimoine.territory import Territory
from patrimoine.visuals.data import MISSING, cell_values


@dataclass(frozen=True)
class Feature:
    """One record on the map: its GeoJSON geometry, category and popup HTML."""

    key: str
    geometry: dict[str, Any]
    category: str
    popup: str


def map_spec(entry: DatasetEntry) -> MapSpec | None:
    """The declared map, or a plain one (popup: the business key) for a mapped dataset."""
    if not (
        ("latitude" in entry.geometry and "longitude" in entry.geometry)
        or "shape" in entry.geometry
    ):
        return None
    return entry.visuals.map or MapSpec(popup=entry.business_key)


def is_polygonal(entry: DatasetEntry) -> bool:
    return "shape" in entry.geometry


def map_label(entry: DatasetEntry, territory: Territory) -> str:
    """Short French name of the dataset's layer: the declared label, else the title's head."""
    spec = entry.visuals.map
    if spec is not None and spec.label:
        return spec.label
    return entry.metadata.title.format(territoire=territory.label).split(" – ")[0]


def _geometry(entry: DatasetEntry, row: Sequence[Any]) -> dict[str, Any] | None:
    names = entry.column_names
    shape = entry.geometry.get("shape")
    if shape:
        text = row[names.index(shape)]
        if not text:
            return None
        parsed: dict[str, Any] = json.loads(text) if isinstance(text, str) else dict(text)
        return parsed
    lat = row[names.index(entry.geometry["latitude"])]
    lon = row[names.index(entry.geometry["longitude"])]
    if lat is None or lon is None:
        return None
    return {"type": "Point", "coordinates": [float(lon), float(lat)]}


def _links(column_type: str, value: Any) -> list[str]:
    return [v for v in cell_values(column_type, value) if v.startswith(("https://", "http://"))]


def popup_html(entry: DatasetEntry, spec: MapSpec, row: Sequence[Any]) -> str:
    """Identifier, name, commune and link of the record, escaped, in French."""
    names = entry.column_names
    columns = {c.name: c for c in entry.columns}
    roles = dict(zip(("identifiant", "nom", "commune", "lien"), spec.popup, strict=False))
    parts: list[str] = []
    if "nom" in roles:
        name = row[names.index(roles["nom"])]
        parts.append(f"<strong>{html.escape(str(name or MISSING))}</strong>")
    if "identifiant" in roles:
        column = columns[roles["identifiant"]]
        value = row[names.index(column.name)]
        parts.append(f"{html.escape(column.title)} : {html.escape(str(value or MISSING))}")
    if "commune" in roles:
        column = columns[roles["commune"]]
        values = cell_values(column.type, row[names.index(column.name)])
        label = "Communes" if len(values) > 1 else "Commune"
        parts.append(f"{label} : {html.escape(', '.join(values))}")
    if "lien" in roles:
        column = columns[roles["lien"]]
        for link in _links(column.type, row[names.index(column.name)])[:2]:
            href = html.escape(link, quote=True)
            parts.append(f'<a href="{href}" target="_blank" rel="noopener">Voir la fiche</a>')
    return "<br>".join(parts)


def features(entry: DatasetEntry, rows: Sequence[Sequence[Any]]) -> list[Feature]:
    """Mapped records in business-key order; rows flagged ``geometry.suspect`` stay off."""
    spec = map_spec(entry)
    if spec is None:
        return []
    names = entry.column_names
    types = {c.name: c.type for c in entry.columns}
    suspect = entry.geometry.get("suspect")
    out = []
    for row in rows:
        if suspect in names and row[names.index(suspect)]:
            continue
        geometry = _geometry(entry, row)
        if geometry is None:
            continue
        category = ""
        if spec.category:
            raw = row[names.index(spec.category)]
            category = "; ".join(cell_values(types[spec.category], raw))
        out.append(Feature(entry.key_text(row), geometry, category, popup_html(entry, spec, row)))
    return sorted(out, key=lambda f: f.key)


def categories(found: Sequence[Feature]) -> list[str]:
    """Categories in a stable order (« non renseigné » last)."""
    return sorted({f.category for f in found}, key=lambda c: (c == MISSING, c))
