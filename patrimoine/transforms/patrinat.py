"""PatriNat natural areas (protected areas, ZNIEFF, Natura 2000, INPG) from the WFS extract.

Input: the GeoJSON FeatureCollection :mod:`patrimoine.sources.wfs` writes, one feature per
site and layer, in lon/lat WGS84, each tagged with ``_couche`` (the catalog's layer key) and
``_type_wfs``. Attributes follow the uniform PatriNat schema (sources.md §7.1): ``id_mnhn``,
``nom_site``, ``date_crea``, ``modif_adm``, ``modif_geo``, ``url_fiche``, ``surf_off``,
``gest_site``; the Natura 2000 layers name their sites ``sitecode`` / ``sitename``.

Geometry, territory filter and duplicates are :mod:`patrimoine.transforms.sites`' (the
copy with the latest ``modif_geo``/``modif_adm`` is kept). Natura 2000 SIC/ZSC and ZPS have
distinct site codes (FR83 01… / FR83 10…); should one code come from both layers, it is
still one site: published once with ``directive = "Habitats;Oiseaux"`` (reported
``site_deux_directives``), never twice under one key.

Type of area: each catalog layer may carry a French ``label`` (``type_espace`` column) and
``zones``, a map from a word of the site's ``zone`` attribute or name to another label:
national parks are one layer whose core and aire d'adhésion are distinct sites
(``FR33…`` core, ``FR34…`` "[Aire D'Adhésion]", sources.md §7.2), published apart.

``territory=None`` (national export) keeps every site, with no commune and a share of 0:
the published suite then quarantines them all, as it should outside any territory.

Identifier: ``sitecode`` when the feature has one (Natura 2000), else ``id_mnhn``.
The geometry is published whole (not clipped, see :mod:`patrimoine.areas`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from patrimoine.catalog import DatasetEntry
from patrimoine.errors import SchemaError
from patrimoine.sources.wfs import LayerSpec, layer_specs
from patrimoine.territory import Territory
from patrimoine.transforms import sites
from patrimoine.transforms.fields import BLOCKING, REQUIRED, WARNING, SourceField
from patrimoine.transforms.result import TransformResult
from patrimoine.transforms.stats import TransformStats
from patrimoine.transforms.text import fold

FIELDS: dict[str, SourceField] = {
    "identifiant": SourceField(("sitecode", "id_mnhn"), REQUIRED),
    "nom": SourceField(("nom_site", "sitename", "nom"), BLOCKING),
    "url_fiche": SourceField(("url_fiche", "url"), WARNING),
    "surf_off": SourceField(("surf_off",), WARNING),
    "date_crea": SourceField(("date_crea",), WARNING),
    "modif_adm": SourceField(("modif_adm",), WARNING),
    "modif_geo": SourceField(("modif_geo",), WARNING),
    "gest_site": SourceField(("gest_site",), WARNING),
}
"""Feature properties read, by canonical name (compared case-insensitively)."""

GEOMETRY = sites.GEOMETRY

DIRECTIVES = {"sic": "Habitats", "zsc": "Habitats", "zps": "Oiseaux"}
"""Natura 2000 layer key → directive (Habitats: SIC/ZSC, Oiseaux: ZPS)."""

ZONE = "zone"
"""National parks' attribute telling the core from the aire d'adhésion (sources.md §7.1)."""
TWO_DIRECTIVES = "site_deux_directives"


def _last_modified(values: Mapping[str, str]) -> date | None:
    """The latest of the administrative and geometric modification dates."""
    days = [sites.day(values.get(name, "")) for name in ("modif_adm", "modif_geo")]
    return max((d for d in days if d is not None), default=None)


def _layer_note(kept: Sequence[str], layer: str) -> str:
    """A code in a second Natura 2000 directive is one site with two; else several layers."""
    directives = {DIRECTIVES.get(x) for x in kept}
    if DIRECTIVES.get(layer) and DIRECTIVES.get(layer) not in directives:
        return TWO_DIRECTIVES
    return sites.SITE_SEVERAL_LAYERS


def transform(
    path: Path,
    entry: DatasetEntry,
    fields: Mapping[str, SourceField],
    territory: Territory | None,
    stats: TransformStats,
    supplements: Mapping[str, Path],
) -> TransformResult:
    """Published rows sorted by identifier; ``territory=None`` keeps every site."""
    features = sites.read_collection(path)
    if features and "identifiant" in sites.missing_fields(features, fields):
        raise SchemaError(
            f"{entry.name} : aucune entité ne porte d'identifiant "
            f"({' ou '.join(fields['identifiant'].aliases)})"
        )
    found = sites.collect(
        features, fields, territory, stats, updated=_last_modified, layer_note=_layer_note
    )
    specs = {spec.key: spec for spec in layer_specs(entry)}
    rows = [_row(entry, site, territory, specs) for site in found.sites]
    rows.sort(key=lambda r: str(r[0]))
    stats.kept = len(rows)
    return TransformResult(rows=rows, source=found.source)


def area_type(site: sites.Site, spec: LayerSpec | None) -> str | None:
    """The French type of area of the site in one layer (a zone's label when it says so)."""
    if spec is None:
        return None
    folded = {str(k).lower(): v for k, v in site.properties.items()}
    said = fold(f"{sites.text(folded.get(ZONE))} {site.values.get('nom', '')}")
    words = re.findall(r"\w+", said)
    for prefix, label in spec.zones:
        if any(w.startswith(fold(prefix)) for w in words):
            return label
    return spec.label


def _row(
    entry: DatasetEntry,
    site: sites.Site,
    territory: Territory | None,
    specs: Mapping[str, LayerSpec],
) -> tuple[Any, ...]:
    values = site.values
    directives = sorted({DIRECTIVES[x] for x in site.layers if x in DIRECTIVES})
    types = sorted({t for x in site.layers if (t := area_type(site, specs.get(x)))})
    row: dict[str, Any] = {
        "identifiant": site.key,
        "nom": values.get("nom") or None,
        "type_espace": ";".join(types) or None,
        "couche": ";".join(sorted(site.layers)) or None,
        "directive": ";".join(directives) or None,
        "url_fiche": values.get("url_fiche") or None,
        "surface_officielle_ha": sites.number(values.get("surf_off", "")),
        "date_creation": sites.day(values.get("date_crea", "")),
        "date_modification": _last_modified(values),
        "gestionnaire": values.get("gest_site") or None,
        **sites.measured_columns(site, territory),
    }
    return tuple(row[name] for name in entry.column_names)


__all__: Sequence[str] = ["DIRECTIVES", "FIELDS", "GEOMETRY", "area_type", "transform"]
