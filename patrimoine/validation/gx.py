"""Run a Great Expectations suite (a JSON file in ``expectations/``) on a pandas frame.

The suite file is the JSON GX itself writes (``suite.to_json_dict()``)::

    {"name": …, "id": …, "expectations": [{"type", "kwargs", "meta", "severity", …}],
     "meta": …, "notes": …}

Each expectation's ``meta.level`` says what its failure does (``row``: quarantine the
failing records; ``blocking``: hold the dataset; ``warning``: report), and ``meta.title``,
when present, is the French line a data manager reads when it fails. Values that depend on
the territory or on the last run are written ``{"$PARAMETER": "name"}`` and supplied at
run time through ``parameters``.

GX decisions, measured on great_expectations 1.24 (see the stack notes):

- GX is imported inside :func:`validate_frame` only: the import costs 3–5 s.
- ``get_context(mode="ephemeral")``: any other mode may pick up a ``gx/`` folder and write.
- ``ExpectationSuite(**data)`` *logs and drops* an expectation whose type or severity is
  invalid instead of raising, so every expectation is first built on its own
  (``ExpectationConfiguration(**e).to_domain_obj()``) and any error becomes a
  ``CatalogError`` naming the file.
- GX returns the results of expectations whose metrics raised (e.g. a missing column)
  *first*, not in suite order; each expectation is tagged with its position in ``meta``
  so problems come back in suite order within each level (blocking, row, warning).
- The frame is validated with a fresh ``RangeIndex``: with ``result_format="COMPLETE"``
  the ``unexpected_index_list`` then holds every failing row position, mapped back to the
  business keys (all of them for ``row`` expectations: the quarantine needs them).
"""

from __future__ import annotations

import copy
import json
import logging
import operator
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from patrimoine.errors import CatalogError
from patrimoine.validation.report import (
    BLOCKING,
    GX_SEVERITY,
    LEVELS,
    MAX_SAMPLES,
    ROW,
    WARNING,
    Problem,
    ValidationReport,
)

if TYPE_CHECKING:
    import pandas as pd

_PARAMETER = "$PARAMETER"
_EXISTS = "expect_column_to_exist"
_LEVEL_ORDER = {BLOCKING: 0, ROW: 1, WARNING: 2}
_POSITION = "patrimoine_position"
"""Key added (in memory only) to each expectation's meta to restore the suite order."""


# --- Suite file ---------------------------------------------------------------------------


def load_suite_json(path: Path) -> dict[str, Any]:
    """Read a suite file and check its shape (without importing GX).

    Raises:
        CatalogError: the file is missing, is not JSON, or is not a GX 1.x suite
            (``name``, a list of ``expectations`` each with a ``type``, ``kwargs`` and a
            known ``meta.level``). The message names the file.
    """
    try:
        with path.open(encoding="utf-8") as f:
            data = json.load(f)
    except OSError as exc:
        raise CatalogError(f"Suite d'attentes illisible {path} : {exc}") from exc
    except json.JSONDecodeError as exc:
        raise CatalogError(f"Suite d'attentes {path} : JSON invalide ({exc})") from exc
    problem = _shape_problem(data)
    if problem:
        raise CatalogError(f"Suite d'attentes {path} : {problem}")
    assert isinstance(data, dict)
    return data


def _shape_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "un objet JSON est attendu"
    if not isinstance(data.get("name"), str) or not data["name"]:
        return "clé « name » manquante"
    expectations = data.get("expectations")
    if not isinstance(expectations, list):
        return "clé « expectations » manquante ou qui n'est pas une liste"
    for i, exp in enumerate(expectations):
        if not isinstance(exp, dict):
            return f"attente n° {i + 1} : un objet JSON est attendu"
        if not isinstance(exp.get("type"), str):
            return f"attente n° {i + 1} : clé « type » manquante"
        if not isinstance(exp.get("kwargs", {}), dict):
            return f"attente n° {i + 1} : « kwargs » doit être un objet"
        level = (exp.get("meta") or {}).get("level")
        if level not in LEVELS:
            return (
                f"attente n° {i + 1} ({exp['type']}) : niveau meta.level « {level} » "
                f"inconnu (attendu : {', '.join(LEVELS)})"
            )
        if exp.get("severity", GX_SEVERITY[level]) != GX_SEVERITY[level]:
            return (
                f"attente n° {i + 1} ({exp['type']}) : la sévérité GX « {exp['severity']} » "
                f"ne correspond pas au niveau « {level} » ({GX_SEVERITY[level]})"
            )
    return None


def suite_parameters(data: Mapping[str, Any]) -> set[str]:
    """Names of the ``{"$PARAMETER": name}`` placeholders a suite needs."""
    names: set[str] = set()
    for exp in data.get("expectations", []):
        names.update(_parameter_names(exp.get("kwargs", {})))
    return names


def _parameter_names(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if set(value) == {_PARAMETER}:
            yield str(value[_PARAMETER])
            return
        for item in value.values():
            yield from _parameter_names(item)
    elif isinstance(value, list):
        for item in value:
            yield from _parameter_names(item)


# --- Validation ---------------------------------------------------------------------------


def validate_frame(
    frame: pd.DataFrame,
    suite: Mapping[str, Any],
    *,
    key: str,
    parameters: Mapping[str, Any] | None = None,
    where: str = "",
) -> ValidationReport:
    """Run ``suite`` (a loaded suite dict) on ``frame`` and report the failed expectations.

    Args:
        frame: the table to validate (never modified).
        suite: a GX 1.x suite dict, as :func:`load_suite_json` returns it.
        key: the column holding each row's business key; offending rows are named by it.
        parameters: values for the suite's ``{"$PARAMETER": name}`` placeholders
            (sets and tuples are passed to GX as sorted lists).
        where: the suite's file, for error messages.

    Returns:
        The report. An empty frame or a missing column gives failed expectations, not an
        exception.

    Raises:
        CatalogError: the suite is bad, or a parameter it needs was not supplied.
    """
    data = dict(suite)
    where = where or str(data.get("name"))
    problem = _shape_problem(data)  # a suite built in memory has not been through the loader
    if problem:
        raise CatalogError(f"Suite d'attentes {where} : {problem}")
    params = {name: _gx_parameter(value) for name, value in (parameters or {}).items()}
    missing = sorted(suite_parameters(data) - set(params))
    if missing:
        raise CatalogError(
            f"Suite d'attentes {where} : paramètre(s) non fourni(s) : {', '.join(missing)}"
        )

    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.exceptions.exceptions import GreatExpectationsError

    gx_suite = ExpectationSuite(**_tagged_suite(data, where))
    levels = [exp["meta"]["level"] for exp in data["expectations"]]
    titles = [(exp.get("meta") or {}).get("title") for exp in data["expectations"]]

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    table = frame.reset_index(drop=True)
    batch = (
        context.data_sources.add_pandas("patrimoine")
        .add_dataframe_asset(str(data["name"]))
        .add_batch_definition_whole_dataframe("frame")
        .get_batch(batch_parameters={"dataframe": table})
    )
    try:
        result = batch.validate(
            gx_suite, result_format="COMPLETE", expectation_parameters=params or None
        )
    except (GreatExpectationsError, ValueError, TypeError) as exc:
        # Raised when parameters do not fit the suite (pydantic errors are ValueErrors);
        # failures on the data itself come back as failed results, not exceptions.
        raise CatalogError(
            f"Suite d'attentes {where} : paramètres invalides ({_shorten(str(exc))})"
        ) from exc

    keys = table[key] if key in table.columns else None
    columns = set(table.columns)
    failed = [(r.expectation_config, r) for r in result.results if not r.success]
    problems = []
    for config, r in sorted(failed, key=lambda item: _position(item[0])):
        if config is None:
            continue
        position = _position(config)
        problems.append(
            _problem(
                str(data["name"]),
                config,
                levels[position],
                titles[position],
                params,
                r.result,
                r.exception_info,
                keys,
                columns,
            )
        )
    # The report's order: blocking first, then row, then warnings, each in suite order (the
    # sort is stable, and comes after a row check that cannot name its rows became blocking).
    problems.sort(key=lambda p: _LEVEL_ORDER[p.level])
    return ValidationReport(
        suite=str(data["name"]),
        evaluated=len(result.results),
        row_count=len(table),
        problems=problems,
    )


def _position(config: Any) -> int:
    meta = getattr(config, "meta", None) or {}
    return int(meta.get(_POSITION, 0))


def _gx_parameter(value: Any) -> Any:
    if isinstance(value, set | frozenset | tuple):
        try:
            return sorted(value)
        except TypeError:  # mixed types: any stable order will do
            return sorted(value, key=repr)
    return value


def _tagged_suite(data: dict[str, Any], where: str) -> dict[str, Any]:
    """A copy of the suite dict, each expectation checked by GX and tagged with its position."""
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    tagged = copy.deepcopy(data)
    for i, exp in enumerate(tagged["expectations"]):
        level = exp["meta"]["level"]
        exp["meta"] = {**exp["meta"], _POSITION: i}
        exp.setdefault("severity", GX_SEVERITY[level])
        try:
            ExpectationConfiguration(**exp).to_domain_obj()
        except Exception as exc:  # GX raises GX, pydantic and TypeError errors here
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise CatalogError(
                f"Suite d'attentes {where} : attente n° {i + 1} ({exp['type']}) invalide : "
                f"{message}"
            ) from exc
    return tagged


# --- From GX results to problems ----------------------------------------------------------


_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _fill(title: str, fields: Mapping[str, Any]) -> str:
    """Put ``{name}`` fields of a suite's ``meta.title``; anything else (``{8}``) stays."""
    return _FIELD.sub(lambda m: str(fields.get(m.group(1), m.group(0))), title)


def _problem(
    suite: str,
    config: Any,
    level: str,
    title: str | None,
    params: Mapping[str, Any],
    result: Mapping[str, Any],
    exception_info: Mapping[str, Any] | None,
    keys: pd.Series | None,
    columns: set[str],
) -> Problem:
    kwargs: Mapping[str, Any] = config.kwargs
    column = kwargs.get("column")
    column = None if column is None else str(column)
    error = _exception_message(exception_info)
    values = result.get("unexpected_list")
    if values is None and "observed_value" in result:
        values = [result["observed_value"]]
    indexes = result.get("unexpected_index_list") or []
    all_keys = _keys(indexes, keys)
    # A missing column makes a check on it impossible, except the check that it exists: for
    # that one the absence *is* the failure, and the suite's title (which names the upstream
    # spelling and how to fix it) is what the data manager must read.
    missing = column is not None and column not in columns and config.type != _EXISTS
    unevaluable = error is not None or missing
    if level == ROW and (unevaluable or keys is None or "unexpected_index_list" not in result):
        level = BLOCKING  # rows that cannot be named cannot be quarantined: hold the dataset
    generic = _title(str(config.type), column, kwargs, result, error, columns)
    if title and not unevaluable:
        title = _fill(title, {"observed": result.get("observed_value"), **params})
    return Problem(
        suite=suite,
        expectation=str(config.type),
        column=column,
        level=level,
        title=title if title and not unevaluable else generic,
        unexpected_count=int(result.get("unexpected_count") or 0),
        sample_values=_distinct(_json_value(v) for v in values or []),
        sample_keys=all_keys[:MAX_SAMPLES],
        keys=all_keys if level == ROW else [],
    )


def _exception_message(info: Mapping[str, Any] | None) -> str | None:
    """The first exception message, whatever the shape GX used.

    GX gives ``{"raised_exception": bool, "exception_message": …}`` or, when a metric
    failed, ``{"MetricConfigurationID(…)": {"raised_exception": …, …}, …}``.
    """
    if not info:
        return None
    if "raised_exception" in info:
        return str(info.get("exception_message") or "") if info["raised_exception"] else None
    for value in info.values():
        if isinstance(value, Mapping):
            message = _exception_message(value)
            if message is not None:
                return message
    return None


def _keys(indexes: Iterable[Any], keys: pd.Series | None) -> list[str]:
    """Distinct business keys of the offending row positions, in row order."""
    if keys is None:
        return []
    found: dict[str, None] = {}
    for index in indexes:
        try:
            position = operator.index(index)
        except TypeError:  # GX gives dicts when index columns are configured
            continue
        value = _json_value(keys.iat[position])
        found.setdefault(f"ligne {position + 1}" if value is None or value == "" else str(value))
    return list(found)


def _distinct(values: Iterable[Any]) -> list[Any]:
    seen: set[str] = set()
    found: list[Any] = []
    for value in values:
        marker = json.dumps(value, sort_keys=True, default=str)
        if marker not in seen:
            seen.add(marker)
            found.append(value)
            if len(found) == MAX_SAMPLES:
                break
    return found


def _json_value(value: Any) -> Any:
    """A JSON-serialisable version of a cell value (NaN, NA and NaT become None)."""
    import pandas as pd

    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):  # array-likes
        pass
    if isinstance(value, bool | int | float | str):
        return value
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return _json_value(item())
        except (TypeError, ValueError):
            pass
    isoformat = getattr(value, "isoformat", None)  # dates, Timestamps
    if callable(isoformat):
        return str(isoformat())
    return str(value)


# --- French titles ------------------------------------------------------------------------

_TITLES = {
    "expect_column_values_to_not_be_null": "Valeurs manquantes dans « {column} »",
    "expect_column_values_to_be_unique": "Valeurs en double dans « {column} »",
    "expect_column_values_to_match_regex": "Valeurs au format invalide dans « {column} »",
    "expect_column_values_to_be_in_set": "Valeurs hors de la liste attendue dans « {column} »",
    "expect_column_values_to_be_between": "Valeurs hors de l'intervalle attendu dans « {column} »",
    "expect_column_values_to_match_strftime_format": "Dates au format invalide dans « {column} »",
}
_CHECK_NAMES = {
    "expect_column_values_to_not_be_null": "valeurs obligatoires",
    "expect_column_values_to_be_unique": "unicité",
    "expect_column_values_to_match_regex": "format",
    "expect_column_values_to_be_in_set": "liste de valeurs",
    "expect_column_values_to_be_between": "intervalle",
    "expect_column_values_to_match_strftime_format": "format de date",
}


def _title(
    expectation: str,
    column: str | None,
    kwargs: Mapping[str, Any],
    result: Mapping[str, Any],
    error: str | None,
    columns: set[str],
) -> str:
    """The French one-liner a data manager reads in the summary."""
    if column is not None and column not in columns:
        if expectation == "expect_column_to_exist":
            return f"Colonne « {column} » absente"
        check = _CHECK_NAMES.get(expectation, expectation)
        return f"Colonne « {column} » absente : contrôle impossible ({check})"
    if error is not None:
        where = f" sur « {column} »" if column else ""
        check = _CHECK_NAMES.get(expectation, expectation)
        return f"Contrôle impossible ({check}){where} : {_shorten(error)}"
    if expectation == "expect_table_row_count_to_be_between":
        observed = result.get("observed_value")
        if observed == 0:
            return "Table vide : aucune ligne"
        return f"Nombre de lignes inattendu : {observed} ({_bounds(kwargs)})"
    if expectation in _TITLES:
        return _TITLES[expectation].format(column=column)
    where = f" sur « {column} »" if column else ""
    return f"Contrôle « {expectation} » en échec{where}"


def _bounds(kwargs: Mapping[str, Any]) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None and high is not None:
        return f"attendu entre {low} et {high}"
    if low is not None:
        return f"attendu au moins {low}"
    return f"attendu au plus {high}"


def _shorten(text: str, limit: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "erreur inconnue"
    return line if len(line) <= limit else line[: limit - 1] + "…"
