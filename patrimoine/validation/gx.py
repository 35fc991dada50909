"""Run a Great Expectations suite (a JSON file in ``expectations/``) on a pandas frame.

The suite file is the JSON GX itself writes (``suite.to_json_dict()``)::

    {"name": …, "id": …, "expectations": [{"type", "kwargs", "meta", "severity", …}],
     "meta": …, "notes": …}

Values that depend on the territory are written ``{"$PARAMETER": "name"}`` in the kwargs
and supplied at run time through ``parameters``. An expectation's ``severity`` decides
whether its failure blocks publication (``critical``) or is only reported (``warning``,
``info``).

GX decisions, measured on great_expectations 1.24 (see ``docs``/stack notes):

- GX is imported inside :func:`validate_frame` only: the import costs 3–5 s.
- ``get_context(mode="ephemeral")``: any other mode may pick up a ``gx/`` folder and write.
- ``ExpectationSuite(**data)`` *logs and drops* an expectation whose type or severity is
  invalid instead of raising, so every expectation is first built on its own
  (``ExpectationConfiguration(**e).to_domain_obj()``) and any error becomes a
  ``CatalogError`` naming the file.
- GX returns the results of expectations whose metrics raised (e.g. a missing column)
  *first*, not in suite order; each expectation is tagged with its position in ``meta``
  so problems come back in suite order.
- The frame is validated with a fresh ``RangeIndex``: with ``result_format="COMPLETE"``
  the ``unexpected_index_list`` then holds row positions, mapped back to ``frame[key]``.
"""

from __future__ import annotations

import copy
import json
import operator
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from patrimoine.errors import CatalogError
from patrimoine.validation.report import (
    CRITICAL,
    MAX_SAMPLES,
    SEVERITIES,
    Problem,
    ValidationReport,
)

if TYPE_CHECKING:
    import pandas as pd

_PARAMETER = "$PARAMETER"
_POSITION = "patrimoine_position"
"""Key added (in memory only) to each expectation's meta to restore the suite order."""


# --- Suite file ---------------------------------------------------------------------------


def load_suite_json(path: Path) -> dict[str, Any]:
    """Read a suite file and check its shape (without importing GX).

    Raises:
        CatalogError: the file is missing, is not JSON, or is not a GX 1.x suite
            (``name``, a list of ``expectations`` each with a ``type`` and ``kwargs``, a
            known ``severity``). The message names the file.
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
        if exp.get("severity", CRITICAL) not in SEVERITIES:
            return (
                f"attente n° {i + 1} ({exp['type']}) : sévérité « {exp.get('severity')} » "
                f"inconnue (attendu : {', '.join(SEVERITIES)})"
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
    suite_path: Path,
    *,
    key: str,
    parameters: Mapping[str, Any] | None = None,
) -> ValidationReport:
    """Run the suite at ``suite_path`` on ``frame`` and report the failed expectations.

    Args:
        frame: the table to validate (never modified).
        suite_path: a GX 1.x suite JSON file.
        key: the business-key column; offending rows are reported by its values.
        parameters: values for the suite's ``{"$PARAMETER": name}`` placeholders
            (sets and tuples are passed to GX as sorted lists).

    Returns:
        The report; ``report.success`` is False when a critical expectation failed. An
        empty frame or a missing column gives failed expectations, not an exception.

    Raises:
        CatalogError: the suite file is bad, or a parameter it needs was not supplied.
    """
    data = load_suite_json(suite_path)
    params = {name: _gx_parameter(value) for name, value in (parameters or {}).items()}
    missing = sorted(suite_parameters(data) - set(params))
    if missing:
        raise CatalogError(
            f"Suite d'attentes {suite_path} : paramètre(s) non fourni(s) : {', '.join(missing)}"
        )

    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.exceptions.exceptions import GreatExpectationsError

    suite = ExpectationSuite(**_tagged_suite(data, suite_path))

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    table = frame.reset_index(drop=True)
    batch = (
        context.data_sources.add_pandas("patrimoine")
        .add_dataframe_asset(data["name"])
        .add_batch_definition_whole_dataframe("frame")
        .get_batch(batch_parameters={"dataframe": table})
    )
    try:
        result = batch.validate(
            suite, result_format="COMPLETE", expectation_parameters=params or None
        )
    except (GreatExpectationsError, ValueError, TypeError) as exc:
        # Raised when parameters do not fit the suite (pydantic errors are ValueErrors);
        # failures on the data itself come back as failed results, not exceptions.
        raise CatalogError(
            f"Suite d'attentes {suite_path} : paramètres invalides ({_shorten(str(exc))})"
        ) from exc

    keys = table[key] if key in table.columns else None
    columns = set(table.columns)
    failed = [(r.expectation_config, r) for r in result.results if not r.success]
    problems = [
        _problem(config, r.result, r.exception_info, keys, columns)
        for config, r in sorted(failed, key=lambda item: _position(item[0]))
        if config is not None
    ]
    problems.sort(key=lambda p: not p.blocking)  # stable: suite order within each group
    return ValidationReport(
        suite=str(data["name"]),
        success=not any(p.blocking for p in problems),
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


def _tagged_suite(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """A copy of the suite dict, each expectation checked by GX and tagged with its position."""
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    tagged = copy.deepcopy(data)
    for i, exp in enumerate(tagged["expectations"]):
        exp["meta"] = {**(exp.get("meta") or {}), _POSITION: i}
        try:
            ExpectationConfiguration(**exp).to_domain_obj()
        except Exception as exc:  # GX raises GX, pydantic and TypeError errors here
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise CatalogError(
                f"Suite d'attentes {path} : attente n° {i + 1} ({exp['type']}) invalide : {message}"
            ) from exc
    return tagged


# --- From GX results to problems ----------------------------------------------------------


def _problem(
    config: Any,
    result: Mapping[str, Any],
    exception_info: Mapping[str, Any] | None,
    keys: pd.Series | None,
    columns: set[str],
) -> Problem:
    kwargs: Mapping[str, Any] = config.kwargs
    column = kwargs.get("column")
    column = None if column is None else str(column)
    severity = getattr(config.severity, "value", config.severity) or CRITICAL
    error = _exception_message(exception_info)
    values = result.get("unexpected_list")
    if values is None and "observed_value" in result:
        values = [result["observed_value"]]
    return Problem(
        expectation=str(config.type),
        column=column,
        severity=str(severity),
        title=_title(str(config.type), column, kwargs, result, error, columns),
        unexpected_count=int(result.get("unexpected_count") or 0),
        sample_values=_distinct(_json_value(v) for v in values or []),
        sample_keys=_sample_keys(result.get("unexpected_index_list") or [], keys),
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


def _sample_keys(indexes: Iterable[Any], keys: pd.Series | None) -> list[str]:
    if keys is None:
        return []
    found: list[str] = []
    for index in indexes:
        try:
            position = operator.index(index)
        except TypeError:  # GX gives dicts when index columns are configured
            continue
        value = _json_value(keys.iat[position])
        label = f"ligne {position + 1}" if value is None or value == "" else str(value)
        if label not in found:
            found.append(label)
            if len(found) == MAX_SAMPLES:
                break
    return found


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
