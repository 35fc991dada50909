"""The validation report: what a suite found wrong in a table, as plain data.

Validation problems are *data*, not exceptions: a failed expectation becomes a
:class:`Problem` in a :class:`ValidationReport`, which the pipeline stores in the run
ledger, renders in the summary e-mail and attaches to ``ValidationFailed`` when a blocking
expectation failed. Exceptions are kept for failures of the tool itself (a bad suite file).

This module imports neither Great Expectations nor pandas, so reading a stored report is
cheap. Every field is JSON-serialisable: ``ValidationReport.from_dict(r.to_dict()) == r``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

CRITICAL = "critical"
"""Severity of a blocking expectation: the dataset is neither staged nor published."""
WARNING = "warning"
"""Severity of a non-blocking expectation: reported, the dataset is still published."""
INFO = "info"
"""Severity of an informative expectation: reported, never blocking."""
SEVERITIES = (CRITICAL, WARNING, INFO)

MAX_SAMPLES = 20
"""How many unexpected values and business keys a problem keeps."""


@dataclass(frozen=True)
class Problem:
    """One failed expectation.

    ``sample_keys`` holds the business keys (e.g. Mérimée references) of the offending
    rows, so a data manager can look the records up; a row whose key is itself missing
    is named by its 1-based position in the validated table (``"ligne 12"``).
    """

    expectation: str
    """GX expectation type, e.g. ``"expect_column_values_to_be_unique"``."""
    column: str | None
    """The column the expectation is about, ``None`` for table-level expectations."""
    severity: str
    """``"critical"`` (blocking), ``"warning"`` or ``"info"``."""
    title: str
    """French one-liner for the data manager, e.g. « Valeurs en double dans « reference » »."""
    unexpected_count: int
    """Number of offending rows (0 for table-level expectations and unevaluable checks)."""
    sample_values: list[Any]
    """Up to 20 distinct unexpected values (or the observed value of a table-level check)."""
    sample_keys: list[str]
    """Business keys of up to 20 distinct offending rows."""

    @property
    def blocking(self) -> bool:
        """True when this problem prevents staging and publication."""
        return self.severity == CRITICAL

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        """Inverse of :meth:`to_dict`."""
        return cls(
            expectation=str(data["expectation"]),
            column=None if data.get("column") is None else str(data["column"]),
            severity=str(data["severity"]),
            title=str(data["title"]),
            unexpected_count=int(data.get("unexpected_count", 0)),
            sample_values=list(data.get("sample_values", [])),
            sample_keys=[str(k) for k in data.get("sample_keys", [])],
        )


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of running one expectation suite on one table."""

    suite: str
    """Suite name, as written in the suite file."""
    success: bool
    """True when no critical (blocking) expectation failed."""
    evaluated: int
    """Number of expectations run."""
    row_count: int
    """Number of rows of the validated table."""
    problems: list[Problem]
    """Failed expectations only, blocking ones first, then in suite order."""

    @property
    def blocking(self) -> list[Problem]:
        """Problems that prevent staging and publication."""
        return [p for p in self.problems if p.blocking]

    @property
    def warnings(self) -> list[Problem]:
        """Problems that are reported but do not block (severity warning or info)."""
        return [p for p in self.problems if not p.blocking]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict (for the run ledger and the summary)."""
        return {
            "suite": self.suite,
            "success": self.success,
            "evaluated": self.evaluated,
            "row_count": self.row_count,
            "problems": [p.to_dict() for p in self.problems],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationReport:
        """Inverse of :meth:`to_dict`."""
        return cls(
            suite=str(data["suite"]),
            success=bool(data["success"]),
            evaluated=int(data["evaluated"]),
            row_count=int(data["row_count"]),
            problems=[Problem.from_dict(p) for p in data.get("problems", [])],
        )

    def summary_fr(self) -> str:
        """Short French text for the run summary and alert e-mails.

        >>> ValidationReport("s", True, 12, 200, []).summary_fr()
        'Tous les contrôles sont passés (12 contrôles, 200 lignes).'
        """
        if not self.problems:
            return (
                f"Tous les contrôles sont passés ({_plural(self.evaluated, 'contrôle')}, "
                f"{_plural(self.row_count, 'ligne')})."
            )
        parts: list[str] = []
        blocking, warnings = self.blocking, self.warnings
        if blocking:
            label = "contrôle bloquant" if len(blocking) == 1 else "contrôles bloquants"
            parts.append(f"{len(blocking)} {label} en échec : {_titles(blocking)}")
        if warnings:
            label = "avertissement" if len(warnings) == 1 else "avertissements"
            parts.append(f"{len(warnings)} {label} : {_titles(warnings)}")
        return " ; ".join(parts) + "."


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count in (0, 1) else 's'}"


def _titles(problems: list[Problem]) -> str:
    return ", ".join(
        f"{p.title} ({p.unexpected_count})" if p.unexpected_count else p.title for p in problems
    )
