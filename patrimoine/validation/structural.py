"""Structural expectations generated from declarations: TableSchema and source fields.

The TableSchema already says which published columns are required, unique, patterned,
enumerated or bounded; writing those rules again in the suite files would let the two
drift. They are turned into GX expectations here and run before the business checks of
the published suite. A constraint's level is its kind's default below, or the field's
``"x-patrimoine-levels": {"pattern": "warning"}`` when the schema says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from patrimoine.catalog import Column, DatasetEntry
from patrimoine.errors import CatalogError
from patrimoine.transforms.fields import REQUIRED, SourceField
from patrimoine.validation.report import BLOCKING, GX_SEVERITY, LEVELS, ROW, WARNING

DEFAULT_LEVELS = {
    "required": ROW,
    "unique": BLOCKING,
    "pattern": ROW,
    "enum": ROW,
    "minimum": WARNING,
    "maximum": WARNING,
}
"""A missing or malformed value spoils one record (quarantine it); a duplicate key spoils
the table (hold it); an out-of-range number is more often a typo upstream (report it)."""

LEVELS_PROPERTY = "x-patrimoine-levels"


def _expectation(
    kind: str, column: Column, levels: dict[str, str], title: str, **kwargs: Any
) -> dict[str, Any]:
    level = levels.get(kind, DEFAULT_LEVELS[kind])
    if level not in LEVELS:
        raise CatalogError(f"TableSchema, colonne « {column.name} » : niveau « {level} » inconnu")
    gx_type = {
        "required": "expect_column_values_to_not_be_null",
        "unique": "expect_column_values_to_be_unique",
        "pattern": "expect_column_values_to_match_regex",
        "enum": "expect_column_values_to_be_in_set",
        "minimum": "expect_column_values_to_be_between",
        "maximum": "expect_column_values_to_be_between",
    }[kind]
    return {
        "type": gx_type,
        "kwargs": {"column": column.name, **kwargs},
        "meta": {"level": level, "title": title, "origin": f"TableSchema:{kind}"},
        "severity": GX_SEVERITY[level],
        "description": f"Contrainte « {kind} » du TableSchema sur « {column.name} ».",
    }


def _levels(entry: DatasetEntry, column: Column, raw: Mapping[str, Any]) -> dict[str, str]:
    """The field's level overrides, checked: a typo must not silently keep the default."""
    levels = raw.get(LEVELS_PROPERTY, {})
    where = f"TableSchema de {entry.name}, colonne « {column.name} »"
    if not isinstance(levels, dict):
        raise CatalogError(
            f"{where} : « {LEVELS_PROPERTY} » doit associer une contrainte à un niveau"
        )
    for kind in levels:
        if kind not in DEFAULT_LEVELS:
            raise CatalogError(
                f"{where} : « {LEVELS_PROPERTY} » nomme une contrainte inconnue « {kind} » "
                f"(connues : {', '.join(DEFAULT_LEVELS)})"
            )
        declared = column.constraints.get(kind)
        if declared is None or declared is False:
            raise CatalogError(
                f"{where} : « {LEVELS_PROPERTY} » donne un niveau à la contrainte « {kind} », "
                "que la colonne ne déclare pas"
            )
    return {str(k): str(v) for k, v in levels.items()}


def schema_expectations(entry: DatasetEntry) -> list[dict[str, Any]]:
    """One expectation per constraint of the published TableSchema, in field order.

    A TableSchema ``pattern`` must match the whole value (XML Schema semantics), while GX
    searches the regex anywhere in it: the generated regex is anchored.
    """
    expectations: list[dict[str, Any]] = []
    raw_fields = {f["name"]: f for f in entry.table_schema["fields"]}
    for column in entry.columns:
        constraints = column.constraints
        levels = _levels(entry, column, raw_fields[column.name])
        name = column.name
        if constraints.get("required"):
            expectations.append(
                _expectation("required", column, levels, f"« {name} » vide (obligatoire)")
            )
        if constraints.get("unique"):
            expectations.append(
                _expectation("unique", column, levels, f"Valeurs en double dans « {name} »")
            )
        if "pattern" in constraints:
            pattern = str(constraints["pattern"])
            expectations.append(
                _expectation(
                    "pattern",
                    column,
                    levels,
                    f"« {name} » au format invalide (attendu {pattern})",
                    regex=f"^(?:{pattern})$",
                )
            )
        if "enum" in constraints:
            expectations.append(
                _expectation(
                    "enum",
                    column,
                    levels,
                    f"« {name} » hors de la liste des valeurs du schéma",
                    value_set=list(constraints["enum"]),
                )
            )
        for kind, bound in (("minimum", "min_value"), ("maximum", "max_value")):
            if kind in constraints:
                if column.type not in ("integer", "number"):
                    raise CatalogError(
                        f"TableSchema de {entry.name}, colonne « {name} » : « {kind} » n'est "
                        "géré que sur les colonnes numériques"
                    )
                word = "inférieure au minimum" if kind == "minimum" else "supérieure au maximum"
                expectations.append(
                    _expectation(
                        kind,
                        column,
                        levels,
                        f"« {name} » {word} du schéma ({constraints[kind]})",
                        **{bound: constraints[kind]},
                    )
                )
    return expectations


def published_suite(entry: DatasetEntry, business: dict[str, Any]) -> dict[str, Any]:
    """The published suite as run: the schema's structural checks, then the file's."""
    return {
        **business,
        "expectations": [*schema_expectations(entry), *business.get("expectations", [])],
    }


def column_expectations(fields: Mapping[str, SourceField]) -> list[dict[str, Any]]:
    """One existence check per upstream column the transform reads (required ones aside:
    without them the transform stops before any suite runs)."""
    expectations = []
    for name, spec in fields.items():
        if spec.level == REQUIRED:
            continue
        level = BLOCKING if spec.level == BLOCKING else WARNING
        expectations.append(
            {
                "type": "expect_column_to_exist",
                "kwargs": {"column": name},
                "meta": {
                    "level": level,
                    "title": (
                        f"Colonne « {spec.label} » absente du fichier source (renommée ou "
                        f"retirée par le producteur ? ajoutez son nouveau nom à "
                        f"[source.aliases] {name} dans le catalogue)"
                    ),
                    "origin": "transform:fields",
                },
                "severity": GX_SEVERITY[level],
                "description": f"Le fichier source a la colonne « {spec.label} » ({name}).",
            }
        )
    return expectations


def source_suite(fields: Mapping[str, SourceField], business: dict[str, Any]) -> dict[str, Any]:
    """The source suite as run: the columns the transform reads, then the file's checks."""
    return {
        **business,
        "expectations": [*column_expectations(fields), *business.get("expectations", [])],
    }
