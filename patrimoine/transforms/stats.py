"""Counters a transform fills in; they end up in the run ledger and the summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

MAX_EXAMPLES = 20
REMARKS = {
    "sans_coordonnees": "sans coordonnées",
    "coordonnees_inversees": "coordonnées inversées remises dans l'ordre",
    "hors_france": "coordonnées hors de France (non cartographiées)",
    "coordonnees_hors_commune": "coordonnées loin de leur commune (non cartographiées)",
    "commune_par_point": "commune retrouvée par les coordonnées",
    "commune_par_nom": "commune retrouvée par son nom",
    "nom_commune_divergent": "nom de commune différent de celui du code ou du point",
    "homonyme_ecarte": "homonyme d'une commune du territoire, écarté",
    "commune_non_verifiable": "nom d'une commune du territoire sans code ni coordonnées, écarté",
}
"""French labels of the data-quality remarks, for the summary and the report."""


@dataclass
class TransformStats:
    """What happened to the source rows. ``problems`` holds data-quality notes, not errors.

    Each note keeps up to 20 examples (the record's identifier and its line upstream), so
    the report can name them.
    """

    read: int = 0
    kept: int = 0
    empty_rows: int = 0
    out_of_territory: int = 0
    duplicates: int = 0
    problems: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def problem(self, kind: str, line: int, label: str | None = None) -> None:
        self.problems[kind] += 1
        examples = self.examples.setdefault(kind, [])
        if len(examples) < MAX_EXAMPLES:
            examples.append(f"{label} (ligne {line})" if label else f"ligne {line}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "kept": self.kept,
            "empty_rows": self.empty_rows,
            "out_of_territory": self.out_of_territory,
            "duplicates": self.duplicates,
            "problems": dict(self.problems),
            "examples": self.examples,
        }


def remarks_fr(stats: dict[str, Any], examples: int = 3) -> list[str]:
    """« label (count) : identifiers… » for each remark of a transform's stats."""
    lines = []
    for kind, count in sorted(stats.get("problems", {}).items()):
        named = stats.get("examples", {}).get(kind, [])[:examples]
        more = "…" if count > len(named) else ""
        detail = f" : {', '.join(named)}{more}" if named else ""
        lines.append(f"{REMARKS.get(kind, kind)} ({count}){detail}")
    return lines
