"""Counters a transform fills in; they end up in the run ledger and the summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

MAX_LINES_KEPT = 20


@dataclass
class TransformStats:
    """What happened to the source rows. ``problems`` holds data-quality notes, not errors."""

    read: int = 0
    kept: int = 0
    empty_rows: int = 0
    out_of_territory: int = 0
    duplicates: int = 0
    problems: Counter[str] = field(default_factory=Counter)
    problem_lines: dict[str, list[int]] = field(default_factory=dict)

    def problem(self, kind: str, line: int) -> None:
        self.problems[kind] += 1
        lines = self.problem_lines.setdefault(kind, [])
        if len(lines) < MAX_LINES_KEPT:
            lines.append(line)

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "kept": self.kept,
            "empty_rows": self.empty_rows,
            "out_of_territory": self.out_of_territory,
            "duplicates": self.duplicates,
            "problems": dict(self.problems),
            "problem_lines": self.problem_lines,
        }
