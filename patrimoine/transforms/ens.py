"""Espaces naturels sensibles (ENS) from the départements' files, in the AURA exchange schema.

Input: the FeatureCollection :mod:`patrimoine.sources.configured_file` writes (every
configured département's GeoJSON or CSV, in lon/lat, each feature tagged ``_departement``).
Attributes follow the TableSchema ``espace-naturel-sensible`` of the Conseils
départementaux of Auvergne-Rhône-Alpes (sources.md §7.3): ``identifiant``
(``fr-ENS063-000001``), ``nom``, ``date_delib``, ``diffusion_carto``, ``surface_off`` (ha),
``lien``, ``source`` (how the perimeter was drawn), ``millesime``, ``commentaire``.

Geometry, territory filter and duplicates are :mod:`patrimoine.transforms.sites`' (the
copy with the latest deliberation is kept). Values are read as producers write them:
dates ``AAAA-MM-JJ``, ``JJ/MM/AAAA`` or a timestamp, and a bare year becomes ``AAAA-01-01``
as the schema says (reported); booleans ``true``/``false``/``oui``/``non``/``1``/``0``…;
numbers with a comma or a point.

Decision, ``diffusion_carto``: it is the département's wish about the *map*. A site whose
département says ``false`` (or whose value cannot be read: no wish, no map) is published
in the CSV with its attributes, communes and areas, ``hors_carte = true``, and left out of
the GeoJSON (catalog ``[geometry] suspect``); its contour is kept in the staged table only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from patrimoine.catalog import DatasetEntry
from patrimoine.errors import SchemaError
from patrimoine.sources.configured_file import DEPARTEMENT, MISSING, read_merged
from patrimoine.territory import Territory
from patrimoine.transforms import sites
from patrimoine.transforms.fields import BLOCKING, REQUIRED, WARNING, SourceField
from patrimoine.transforms.result import TransformResult
from patrimoine.transforms.stats import TransformStats
from patrimoine.transforms.text import fold

FIELDS: dict[str, SourceField] = {
    "identifiant": SourceField(("identifiant", "id_ens"), REQUIRED),
    "nom": SourceField(("nom", "nom_ens", "nom_site"), BLOCKING),
    "date_delib": SourceField(("date_delib", "date_deliberation"), WARNING),
    "diffusion_carto": SourceField(("diffusion_carto",), BLOCKING),
    "surface_off": SourceField(("surface_off", "surf_off"), WARNING),
    "lien": SourceField(("lien", "url"), WARNING),
    "source": SourceField(("source",), WARNING),
    "millesime": SourceField(("millesime",), WARNING),
    "commentaire": SourceField(("commentaire",), WARNING),
}
"""Feature properties read (AURA schema names first), compared case-insensitively.

``diffusion_carto`` is blocking: without the départements' wish nothing may go on the map.
"""

GEOMETRY = sites.GEOMETRY

YEAR_ONLY = "date_deliberation_annee_seule"
DATE_UNREADABLE = "date_deliberation_illisible"
MAP_REFUSED = "diffusion_carto_refusee"
MAP_UNREADABLE = "diffusion_carto_illisible"
NUMBER_UNREADABLE = "nombre_ens_illisible"
NO_FILE = "departement_sans_fichier"

TRUE = frozenset({"true", "vrai", "oui", "o", "yes", "y", "1", "t"})
FALSE = frozenset({"false", "faux", "non", "n", "no", "0", "f"})
_YEAR = re.compile(r"^(\d{4})(?:\.0+)?$")


def deliberation(value: str) -> tuple[date | None, str | None]:
    """The deliberation day and the note it earns (a bare year is ``AAAA-01-01``)."""
    if not value:
        return None, None
    year = _YEAR.match(value)
    if year:
        return date(int(year.group(1)), 1, 1), YEAR_ONLY
    found = sites.day(value)
    return (found, None) if found is not None else (None, DATE_UNREADABLE)


def boolean(value: str) -> bool | None:
    """``true``/``oui``/``1``… → True, ``false``/``non``/``0``… → False, else None."""
    word = fold(value).strip()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    return None


def year(value: str) -> int | None:
    match = _YEAR.match(value.strip())
    return int(match.group(1)) if match else None


def _updated(values: Mapping[str, str]) -> date | None:
    return deliberation(values.get("date_delib", ""))[0]


def transform(
    path: Path,
    entry: DatasetEntry,
    fields: Mapping[str, SourceField],
    territory: Territory | None,
    stats: TransformStats,
    supplements: Mapping[str, Path],
) -> TransformResult:
    """Published rows sorted by identifier; ``territory=None`` keeps every site."""
    features, notes = read_merged(path)
    if features and "identifiant" in sites.missing_fields(features, fields):
        raise SchemaError(
            f"{entry.name} : aucune entité ne porte d'identifiant "
            f"({' ou '.join(fields['identifiant'].aliases)})"
        )
    for code in notes.get(MISSING) or ():
        stats.problems[NO_FILE] += 1
        stats.examples.setdefault(NO_FILE, []).append(str(code))
    found = sites.collect(features, fields, territory, stats, updated=_updated)
    rows = [_row(entry, site, territory, stats) for site in found.sites]
    rows.sort(key=lambda r: str(r[0]))
    stats.kept = len(rows)
    return TransformResult(rows=rows, source=found.source)


def _number(site: sites.Site, name: str, stats: TransformStats) -> float | None:
    text = site.values.get(name, "")
    value = sites.number(text.replace(" ", "").replace("\u202f", "")) if text else None
    if text and value is None:
        stats.problem(NUMBER_UNREADABLE, site.line, site.key)
    return value


def _row(
    entry: DatasetEntry, site: sites.Site, territory: Territory | None, stats: TransformStats
) -> tuple[Any, ...]:
    values = site.values
    line = site.line
    day, note = deliberation(values.get("date_delib", ""))
    if note:
        stats.problem(note, line, site.key)
    wish = boolean(values.get("diffusion_carto", ""))
    if wish is None:
        stats.problem(MAP_UNREADABLE, line, site.key)
    elif not wish:
        stats.problem(MAP_REFUSED, line, site.key)
    millesime = year(values.get("millesime", ""))
    if values.get("millesime") and millesime is None:
        stats.problem(NUMBER_UNREADABLE, line, site.key)
    row: dict[str, Any] = {
        "identifiant": site.key,
        "nom": values.get("nom") or None,
        "departement": sites.text(site.properties.get(DEPARTEMENT)) or None,
        "date_deliberation": day,
        "diffusion_carto": wish,
        "hors_carte": wish is not True,
        "surface_officielle_ha": _number(site, "surface_off", stats),
        "lien": values.get("lien") or None,
        "source_geometrie": values.get("source") or None,
        "millesime": millesime,
        "commentaire": values.get("commentaire") or None,
        **sites.measured_columns(site, territory),
    }
    return tuple(row[name] for name in entry.column_names)


__all__: Sequence[str] = [
    "FIELDS",
    "GEOMETRY",
    "boolean",
    "deliberation",
    "transform",
    "year",
]
