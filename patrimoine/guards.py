"""Guards against silent loss, between the diff and the publication.

A refresh that would publish nothing, remove a large share of the published records,
empty a column that had values or drop a published column is usually a broken or partial
source, not news. It is held back ("à confirmer"): nothing is staged nor published until
someone runs it again with ``--accept-drop``, which the ledger records. Findings are data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from patrimoine.staging.diff import Diff

ZERO_ROWS = "zero_rows"
MASS_REMOVAL = "mass_removal"
EMPTIED_COLUMN = "emptied_column"
DROPPED_COLUMN = "dropped_column"


@dataclass(frozen=True)
class GuardFinding:
    guard: str
    title: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check(diff: Diff, max_removed_share: float) -> list[GuardFinding]:
    """What in ``diff`` needs a person's confirmation before it is published."""
    findings: list[GuardFinding] = []
    if diff.rows == 0:
        findings.append(GuardFinding(ZERO_ROWS, "aucune ligne à publier"))
    elif diff.previous_rows and diff.removed / diff.previous_rows > max_removed_share:
        # The share, not ``removed > share * previous``: 0.58 * 50 is 28.999999999999996,
        # which would hold back 29 removals of 50, exactly the allowed 58 %.
        findings.append(
            GuardFinding(
                MASS_REMOVAL,
                f"{diff.removed} lignes sur {diff.previous_rows} disparaîtraient "
                f"({diff.removed / diff.previous_rows:.0%}, plus de {max_removed_share:.0%})",
            )
        )
    if diff.rows:
        for column in diff.emptied_columns:
            findings.append(
                GuardFinding(EMPTIED_COLUMN, f"la colonne « {column} » serait entièrement vidée")
            )
    for column in diff.columns_dropped:
        findings.append(
            GuardFinding(DROPPED_COLUMN, f"la colonne publiée « {column} » disparaîtrait")
        )
    return findings


def summary_fr(findings: list[GuardFinding]) -> str:
    return (
        "publication retenue, à confirmer : "
        + " ; ".join(f.title for f in findings)
        + " — la version en ligne est conservée ; si ce changement est voulu, relancez avec "
        "« patrimoine run --dataset <jeu> --accept-drop »"
    )
