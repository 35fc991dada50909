"""The validation report: what a suite found wrong in a table, as plain data.

Validation problems are *data*, not exceptions: a failed expectation becomes a
:class:`Problem` in a :class:`ValidationReport`, which the gate reads (quarantine the
``row`` failures, hold the dataset on a ``blocking`` one, report the ``warning`` ones), the
pipeline stores in the run ledger and the summary prints. Exceptions are kept for failures
of the tool itself (a bad suite file).

This module imports neither Great Expectations nor pandas, so reading a stored report is
cheap. Every field is JSON-serialisable: ``ValidationReport.from_dict(r.to_dict()) == r``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ROW = "row"
"""Failing rows are quarantined (left out of the publication); the rest is published."""
BLOCKING = "blocking"
"""The dataset is not published; the last good version stays online."""
WARNING = "warning"
"""Published and reported."""
LEVELS = (ROW, BLOCKING, WARNING)
LEVEL_LABELS = {ROW: "quarantaine", BLOCKING: "bloquant", WARNING: "avertissement"}

GX_SEVERITY = {ROW: "critical", BLOCKING: "critical", WARNING: "warning"}
"""The GX 1.x ``severity`` written next to each level, so GX tools read the suites sensibly."""

MAX_SAMPLES = 20
"""How many unexpected values and business keys a problem shows."""


@dataclass(frozen=True)
class Problem:
    """One failed expectation.

    ``sample_keys`` names up to 20 offending records by their business key (e.g. Mérimée
    references) so a data manager can look them up; a record without a key is named by its
    1-based position (``"ligne 12"``). ``keys`` lists every offending key of a ``row``
    problem: those records are quarantined.
    """

    suite: str
    """Suite name (``<dataset>.source`` or ``<dataset>.published``)."""
    expectation: str
    """GX expectation type, e.g. ``"expect_column_values_to_match_regex"``."""
    column: str | None
    """The column the expectation is about, ``None`` for table-level expectations."""
    level: str
    """``"row"``, ``"blocking"`` or ``"warning"``."""
    title: str
    """French one-liner for the data manager."""
    unexpected_count: int
    """Number of offending rows (0 for table-level expectations and unevaluable checks)."""
    sample_values: list[Any]
    """Up to 20 distinct unexpected values (or the observed value of a table-level check)."""
    sample_keys: list[str]
    """Business keys of up to 20 distinct offending rows."""
    keys: list[str] = field(default_factory=list)
    """Every offending key, for ``row`` problems (what the quarantine takes)."""

    @property
    def blocking(self) -> bool:
        """True when this problem prevents staging and publication."""
        return self.level == BLOCKING

    @property
    def summary(self) -> str:
        count = f" ({self.unexpected_count})" if self.unexpected_count else ""
        keys = f" : {', '.join(self.sample_keys[:5])}" if self.sample_keys else ""
        more = "…" if len(self.sample_keys) > 5 or self.unexpected_count > 5 else ""
        return f"{self.title}{count}{keys}{more}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        """Inverse of :meth:`to_dict`."""
        return cls(
            suite=str(data.get("suite", "")),
            expectation=str(data["expectation"]),
            column=None if data.get("column") is None else str(data["column"]),
            level=str(data["level"]),
            title=str(data["title"]),
            unexpected_count=int(data.get("unexpected_count", 0)),
            sample_values=list(data.get("sample_values", [])),
            sample_keys=[str(k) for k in data.get("sample_keys", [])],
            keys=[str(k) for k in data.get("keys", [])],
        )


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of running one or more expectation suites on a dataset's tables."""

    suite: str
    """Suite name(s), as written in the suite files."""
    evaluated: int
    """Number of expectations run."""
    row_count: int
    """Number of rows of the validated table (the published candidate when merged)."""
    problems: list[Problem]
    """Failed expectations only: blocking first, then row, then warnings, in suite order."""

    @property
    def success(self) -> bool:
        """True when no blocking expectation failed (row problems are quarantined)."""
        return not self.blocking

    @property
    def blocking(self) -> list[Problem]:
        return [p for p in self.problems if p.level == BLOCKING]

    @property
    def row_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.level == ROW]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == WARNING]

    def quarantine(self) -> dict[str, list[str]]:
        """Business key → French reasons, for every record a ``row`` problem names."""
        reasons: dict[str, list[str]] = {}
        for problem in self.row_problems:
            for key in problem.keys:
                reasons.setdefault(key, []).append(problem.title)
        return reasons

    def merged(self, other: ValidationReport) -> ValidationReport:
        """Both reports as one (source suite, then published suite)."""
        problems = sorted([*self.problems, *other.problems], key=lambda p: _LEVEL_ORDER[p.level])
        return ValidationReport(
            suite=f"{self.suite} + {other.suite}",
            evaluated=self.evaluated + other.evaluated,
            row_count=other.row_count,
            problems=problems,
        )

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
            evaluated=int(data["evaluated"]),
            row_count=int(data["row_count"]),
            problems=[Problem.from_dict(p) for p in data.get("problems", [])],
        )

    def summary_fr(self) -> str:
        """Short French text for the run summary and alert e-mails.

        >>> ValidationReport("s", 12, 200, []).summary_fr()
        'Tous les contrôles sont passés (12 contrôles, 200 lignes).'
        """
        if not self.problems:
            return (
                f"Tous les contrôles sont passés ({_plural(self.evaluated, 'contrôle')}, "
                f"{_plural(self.row_count, 'ligne')})."
            )
        parts: list[str] = []
        groups = (
            (self.blocking, "contrôle bloquant en échec", "contrôles bloquants en échec"),
            (self.row_problems, "contrôle de ligne en échec", "contrôles de ligne en échec"),
            (self.warnings, "avertissement", "avertissements"),
        )
        for problems, one, many in groups:
            if problems:
                label = one if len(problems) == 1 else many
                parts.append(f"{len(problems)} {label} : " + ", ".join(p.summary for p in problems))
        return " ; ".join(parts) + "."


_LEVEL_ORDER = {BLOCKING: 0, ROW: 1, WARNING: 2}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count in (0, 1) else 's'}"
