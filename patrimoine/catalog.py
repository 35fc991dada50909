"""The declarative dataset catalog: one TOML file per dataset under ``catalog/``.

Adding a dataset means adding a catalog file, a TableSchema and two GX suites (source and
published); flows loop over the catalog and never name a dataset.
"""

from __future__ import annotations

import json
import re
import string
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from patrimoine.errors import CatalogError

_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Column:
    """One published column, as described by the dataset's TableSchema."""

    name: str
    type: str
    title: str
    description: str
    required: bool = False
    constraints: dict[str, Any] = field(default_factory=dict, compare=False)


FACT_KINDS = ("count", "distinct", "sum", "min", "max")
GENERIC_FACTS = ("territoire", "nb_communes", "nb_lignes", "derniers_changements")
"""Placeholders every description may use; the others are declared under [metadata.facts]."""


@dataclass(frozen=True)
class FactSpec:
    """``name = { count = "column", contains = "classé" }``: one figure of the sheet."""

    name: str
    kind: str
    column: str
    equals: str | None = None
    contains: str | None = None


@dataclass(frozen=True)
class Temporal:
    """The sheet's temporal coverage: two facts (first and last year) and what they mean."""

    start: str
    end: str
    description: str


@dataclass(frozen=True)
class Metadata:
    """The French metadata sheet; ``{placeholders}`` are filled from the published data."""

    title: str
    description: str
    licence: str
    licence_id: str
    licence_url: str
    attribution: str
    frequency: str
    frequency_label: str
    keywords: tuple[str, ...] = ()
    facts: tuple[FactSpec, ...] = ()
    temporal: Temporal | None = None


FREQUENCY_DAYS: dict[str, int] = {
    "continuous": 1,
    "hourly": 1,
    "daily": 1,
    "weekly": 7,
    "biweekly": 14,
    "monthly": 31,
    "bimonthly": 62,
    "quarterly": 92,
    "semiannual": 183,
    "annual": 366,
}
"""Longest expected gap between two refreshes, per udata frequency id (``en retard`` beyond)."""


CHART_KINDS = ("count_by_period", "sum_by_period", "count_by_category", "sum_by_category")
"""Generic charts: rows counted or a column summed, per period of a date/year/century
column or per category (list columns split on ``;``), optionally split by a category."""
PERIODS = ("year", "decade", "century")
CHART_STYLES = ("bars", "lines")
CHART_LABELS = ("communes",)
"""``labels = "communes"``: the category values are INSEE codes, shown as commune names."""
_CHART_KEYS = {
    "title",
    "kind",
    "column",
    "period",
    "since",
    "split",
    "label",
    "value",
    "top",
    "labels",
    "style",
    "xlabel",
    "ylabel",
}
_MAP_KEYS = {"category", "popup", "label"}
_NUMERIC = ("integer", "number")


@dataclass(frozen=True)
class ChartSpec:
    """One ``[[visuals.charts]]`` entry: a generic chart over published columns."""

    title: str
    kind: str
    column: str
    period: str | None = None
    since: int | None = None
    split: str | None = None
    label: str | None = None
    value: str | None = None
    top: int | None = None
    labels: str | None = None
    style: str = "bars"
    xlabel: str | None = None
    ylabel: str | None = None


@dataclass(frozen=True)
class MapSpec:
    """``[visuals.map]``: colour by ``category``; ``popup`` = identifier, name, commune, link."""

    popup: tuple[str, ...]
    category: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class Visuals:
    """What the dataset's pictures show (maps and charts), declared in its catalog entry."""

    map: MapSpec | None = None
    charts: tuple[ChartSpec, ...] = ()


@dataclass(frozen=True)
class DatasetEntry:
    """What a dataset is, where it comes from and how it is published."""

    name: str
    source: dict[str, Any]
    transform: str
    business_key: tuple[str, ...]
    schema_path: Path
    source_suite_path: Path
    published_suite_path: Path
    metadata: Metadata
    geometry: dict[str, str] = field(default_factory=dict)
    visuals: Visuals = field(default_factory=Visuals)

    @property
    def table(self) -> str:
        """SQL-safe stem of the staged table name."""
        return self.name.replace("-", "_")

    @property
    def max_age_days(self) -> int | None:
        """How old the last successful refresh may be before the dataset is late."""
        return FREQUENCY_DAYS.get(self.metadata.frequency)

    @cached_property
    def table_schema(self) -> dict[str, Any]:
        try:
            schema: dict[str, Any] = json.loads(self.schema_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CatalogError(f"{self.name} : TableSchema illisible ({exc})") from None
        return schema

    @cached_property
    def columns(self) -> tuple[Column, ...]:
        return tuple(
            Column(
                name=f["name"],
                type=f.get("type", "string"),
                title=f.get("title", f["name"]),
                description=f.get("description", ""),
                required=bool(f.get("constraints", {}).get("required", False)),
                constraints=dict(f.get("constraints", {})),
            )
            for f in self.table_schema["fields"]
        )

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def key_positions(self) -> tuple[int, ...]:
        names = self.column_names
        return tuple(names.index(k) for k in self.business_key)

    def key_text(self, row: Sequence[Any]) -> str:
        """The business key of a published row as one string (`` | ``-joined when composite)."""
        return key_text(row[i] for i in self.key_positions)


def key_text(values: Iterable[Any]) -> str:
    """One printable identifier for a (possibly composite) business key."""
    return " | ".join("" if v is None else str(v) for v in values)


def _require(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise CatalogError(f"{where} : clé obligatoire « {key} » absente")
    return data[key]


def _business_key(raw: Any, where: str) -> tuple[str, ...]:
    keys = (raw,) if isinstance(raw, str) else tuple(raw) if isinstance(raw, list) else ()
    if not keys or not all(isinstance(k, str) and k for k in keys):
        raise CatalogError(f"{where} : « business_key » doit être un nom de colonne ou une liste")
    return keys


def _facts(raw: Any, where: str) -> tuple[FactSpec, ...]:
    if not isinstance(raw, dict):
        raise CatalogError(f'{where} [metadata.facts] : attendu nom = {{ count = "colonne" }}')
    specs = []
    for name, spec in raw.items():
        kinds = [k for k in FACT_KINDS if k in (spec if isinstance(spec, dict) else {})]
        extra = set(spec) - {*FACT_KINDS, "equals", "contains"} if isinstance(spec, dict) else {}
        if len(kinds) != 1 or extra or not isinstance(spec[kinds[0]], str):
            raise CatalogError(
                f"{where} [metadata.facts] {name} : une seule opération parmi "
                f"{', '.join(FACT_KINDS)} (avec equals ou contains pour count)"
            )
        equals, contains = spec.get("equals"), spec.get("contains")
        specs.append(
            FactSpec(
                name,
                kinds[0],
                spec[kinds[0]],
                None if equals is None else str(equals),
                None if contains is None else str(contains),
            )
        )
    return tuple(specs)


def _temporal(raw: Any, where: str) -> Temporal | None:
    if raw is None:
        return None
    try:
        return Temporal(str(raw["start"]), str(raw["end"]), str(raw.get("description", "")))
    except (KeyError, TypeError):
        raise CatalogError(f"{where} [metadata.temporal] : start et end (noms de faits)") from None


def _check_metadata(entry: DatasetEntry, where: str) -> None:
    """Facts name published columns; placeholders and the temporal coverage name facts."""
    meta = entry.metadata
    unknown = sorted({f.column for f in meta.facts} - set(entry.column_names))
    if unknown:
        raise CatalogError(
            f"{where} [metadata.facts] : colonne(s) inconnue(s) {', '.join(unknown)}"
        )
    in_title = {field for _, field, _, _ in string.Formatter().parse(meta.title) if field}
    if in_title - {"territoire"}:
        raise CatalogError(f"{where} : le titre ne peut utiliser que {{territoire}}")
    known = {*GENERIC_FACTS, *(f.name for f in meta.facts)}
    used = {
        field
        for text in (meta.title, meta.description)
        for _, field, _, _ in string.Formatter().parse(text)
        if field
    }
    if meta.temporal is not None:
        used |= {meta.temporal.start, meta.temporal.end}
    undeclared = ", ".join("{" + name + "}" for name in sorted(used - known))
    if undeclared:
        raise CatalogError(f"{where} : {undeclared} non déclaré(s) dans [metadata.facts]")


def _check_geometry(entry: DatasetEntry, where: str) -> None:
    """``[geometry]`` names published columns: points (latitude, longitude), or a ``shape``
    column of TableSchema type ``geojson``; ``suspect`` a flag that keeps rows off the map."""
    types = {c.name: c.type for c in entry.columns}
    for role in ("latitude", "longitude", "suspect", "shape"):
        column = entry.geometry.get(role)
        if column is not None and column not in types:
            raise CatalogError(f"{where} [geometry] {role} : colonne « {column} » inconnue")
    shape = entry.geometry.get("shape")
    if shape is not None and types[shape] != "geojson":
        raise CatalogError(
            f"{where} [geometry] shape : la colonne « {shape} » doit être de type geojson"
        )
    if ("latitude" in entry.geometry) != ("longitude" in entry.geometry):
        raise CatalogError(f"{where} [geometry] : latitude et longitude vont ensemble")


def declared_table(raw: Any, allowed: Iterable[str], where: str, shape: str) -> dict[str, Any]:
    """A catalog declaration that must be a table of known keys (``shape`` shows one)."""
    if not isinstance(raw, dict):
        raise CatalogError(f"{where} : attendu une table {shape}")
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise CatalogError(f"{where} : clé(s) inconnue(s) {', '.join(unknown)}")
    return raw


def _optional_text(spec: dict[str, Any], key: str, where: str) -> str | None:
    value = spec.get(key)
    if value is not None and not (isinstance(value, str) and value):
        raise CatalogError(f"{where} : « {key} » doit être un texte non vide")
    return value


def _chart(raw: Any, where: str) -> ChartSpec:
    raw = declared_table(raw, _CHART_KEYS, where, "(title, kind, column…)")
    title, kind, column = (_require(raw, k, where) for k in ("title", "kind", "column"))
    if kind not in CHART_KINDS:
        raise CatalogError(
            f"{where} : type de graphique « {kind} » inconnu (connus : {', '.join(CHART_KINDS)})"
        )
    for key in ("since", "top"):
        if key in raw and (not isinstance(raw[key], int) or isinstance(raw[key], bool)):
            raise CatalogError(f"{where} : « {key} » doit être un entier")
    if "top" in raw and raw["top"] < 1:
        raise CatalogError(f"{where} : « top » doit être au moins 1")
    spec = ChartSpec(
        title=str(title),
        kind=str(kind),
        column=str(column),
        period=_optional_text(raw, "period", where),
        since=raw.get("since"),
        split=_optional_text(raw, "split", where),
        label=_optional_text(raw, "label", where),
        value=_optional_text(raw, "value", where),
        top=raw.get("top"),
        labels=_optional_text(raw, "labels", where),
        style=_optional_text(raw, "style", where) or "bars",
        xlabel=_optional_text(raw, "xlabel", where),
        ylabel=_optional_text(raw, "ylabel", where),
    )
    by_period = spec.kind.endswith("_by_period")
    if by_period and spec.period not in PERIODS:
        raise CatalogError(f"{where} : « period » attendu parmi {', '.join(PERIODS)}")
    if not by_period and (spec.period is not None or spec.since is not None):
        raise CatalogError(f"{where} : « period » et « since » sont réservés aux *_by_period")
    if spec.kind.startswith("sum_") != (spec.value is not None):
        raise CatalogError(f"{where} : « value » (colonne à additionner) va avec sum_*, seulement")
    if spec.style not in CHART_STYLES:
        raise CatalogError(f"{where} : « style » attendu parmi {', '.join(CHART_STYLES)}")
    if spec.labels is not None and spec.labels not in CHART_LABELS:
        raise CatalogError(f"{where} : « labels » attendu parmi {', '.join(CHART_LABELS)}")
    if spec.label is not None and spec.split is None:
        raise CatalogError(f"{where} : « label » nomme les séries de « split », absent")
    return spec


def _visuals(raw: Any, where: str) -> Visuals:
    """``[visuals.map]`` and ``[[visuals.charts]]``, their shape only (columns checked later)."""
    if raw is None:
        return Visuals()
    if not isinstance(raw, dict) or set(raw) - {"map", "charts"}:
        raise CatalogError(f"{where} [visuals] : seules les sections map et charts sont permises")
    map_spec = None
    if "map" in raw:
        spec = raw["map"]
        if not isinstance(spec, dict) or set(spec) - _MAP_KEYS:
            raise CatalogError(
                f"{where} [visuals.map] : clés permises {', '.join(sorted(_MAP_KEYS))}"
            )
        popup = spec.get("popup")
        if (
            not isinstance(popup, list)
            or not 1 <= len(popup) <= 4
            or not all(isinstance(c, str) and c for c in popup)
        ):
            raise CatalogError(
                f"{where} [visuals.map] popup : liste de 1 à 4 colonnes "
                "(identifiant, nom, commune, lien)"
            )
        map_spec = MapSpec(
            popup=tuple(popup),
            category=_optional_text(spec, "category", f"{where} [visuals.map]"),
            label=_optional_text(spec, "label", f"{where} [visuals.map]"),
        )
    charts = raw.get("charts", [])
    if not isinstance(charts, list):
        raise CatalogError(f"{where} [[visuals.charts]] : attendu une liste de graphiques")
    return Visuals(
        map=map_spec,
        charts=tuple(
            _chart(c, f"{where} [[visuals.charts]] n° {i}") for i, c in enumerate(charts, 1)
        ),
    )


def _check_visuals(entry: DatasetEntry, where: str) -> None:
    """Maps need a geometry; every column a picture names is a published column."""
    types = {c.name: c.type for c in entry.columns}

    def known(column: str | None, what: str) -> None:
        if column is not None and column not in types:
            raise CatalogError(f"{what} : colonne « {column} » inconnue")

    spec = entry.visuals.map
    if spec is not None:
        if not (
            ("latitude" in entry.geometry and "longitude" in entry.geometry)
            or "shape" in entry.geometry
        ):
            raise CatalogError(f"{where} [visuals.map] : pas de carte sans section [geometry]")
        known(spec.category, f"{where} [visuals.map] category")
        for column in spec.popup:
            known(column, f"{where} [visuals.map] popup")
    for i, chart in enumerate(entry.visuals.charts, 1):
        what = f"{where} [[visuals.charts]] n° {i} ({chart.title})"
        for role in ("column", "split", "label", "value"):
            known(getattr(chart, role), f"{what} {role}")
        if chart.value is not None and types[chart.value] not in _NUMERIC:
            raise CatalogError(f"{what} value : la colonne « {chart.value} » n'est pas numérique")
        if chart.period in ("year", "decade") and types[chart.column] not in (
            *_NUMERIC,
            "date",
            "datetime",
        ):
            raise CatalogError(
                f"{what} : « {chart.column} » n'est ni une date ni une année "
                "(period = century lit aussi les siècles écrits en toutes lettres)"
            )


def load_entry(path: Path, project_dir: Path | None = None) -> DatasetEntry:
    """One catalog file; its schema and suite paths are relative to ``project_dir``.

    ``project_dir`` defaults to the folder holding the catalog folder, so a catalog kept
    outside this repository brings its own ``schemas/`` and ``expectations/``.
    """
    project_dir = project_dir or path.parent.parent
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"{where} : {exc}") from None
    name = _require(data, "name", where)
    if not _NAME.match(name) or name != path.stem:
        raise CatalogError(
            f"{where} : le nom « {name} » doit être en kebab-case et égal au nom du fichier"
        )
    meta = _require(data, "metadata", where)
    source = _require(data, "source", where)
    _require(source, "kind", f"{where} [source]")
    suites = _require(data, "suites", where)
    entry = DatasetEntry(
        name=name,
        source=dict(source),
        transform=_require(data, "transform", where),
        business_key=_business_key(_require(data, "business_key", where), where),
        schema_path=project_dir / _require(data, "schema", where),
        source_suite_path=project_dir / _require(suites, "source", f"{where} [suites]"),
        published_suite_path=project_dir / _require(suites, "published", f"{where} [suites]"),
        geometry=dict(data.get("geometry", {})),
        visuals=_visuals(data.get("visuals"), where),
        metadata=Metadata(
            title=_require(meta, "title", where),
            description=_require(meta, "description", where),
            licence=_require(meta, "licence", where),
            licence_id=_require(meta, "licence_id", where),
            licence_url=_require(meta, "licence_url", where),
            attribution=_require(meta, "attribution", where),
            frequency=_require(meta, "frequency", where),
            frequency_label=_require(meta, "frequency_label", where),
            keywords=tuple(meta.get("keywords", ())),
            facts=_facts(meta.get("facts", {}), where),
            temporal=_temporal(meta.get("temporal"), where),
        ),
    )
    missing = [k for k in entry.business_key if k not in entry.column_names]
    if missing:
        raise CatalogError(
            f"{where} : la clé « {', '.join(missing)} » n'est pas une colonne publiée"
        )
    _check_metadata(entry, where)
    _check_geometry(entry, where)
    _check_visuals(entry, where)
    return entry


def load_catalog(catalog_dir: Path, project_dir: Path | None = None) -> dict[str, DatasetEntry]:
    """Every dataset of the catalog, by name, in file-name order."""
    files = sorted(catalog_dir.glob("*.toml"))
    if not files:
        raise CatalogError(f"aucun jeu de données dans {catalog_dir}")
    entries = [load_entry(p, project_dir) for p in files]
    return {e.name: e for e in entries}


def select(catalog: dict[str, DatasetEntry], names: list[str] | None) -> list[DatasetEntry]:
    """The entries asked for on the command line (all when none)."""
    if not names:
        return list(catalog.values())
    unknown = [n for n in names if n not in catalog]
    if unknown:
        raise CatalogError(
            f"jeu(x) inconnu(s) : {', '.join(unknown)} (connus : {', '.join(catalog)})"
        )
    return [catalog[n] for n in names]
