"""The guards between the diff and the publication."""

from __future__ import annotations

import pytest

from patrimoine import guards
from patrimoine.staging.diff import Diff


def kinds(diff: Diff, share: float = 0.5) -> list[str]:
    return [f.guard for f in guards.check(diff, share)]


def test_an_ordinary_refresh_passes() -> None:
    assert guards.check(Diff(added=3, removed=1, changed=2, rows=12, previous_rows=10), 0.5) == []


def test_a_first_run_without_previous_rows_passes() -> None:
    assert kinds(Diff(added=122, rows=122, previous_rows=0)) == []


def test_zero_rows() -> None:
    (finding,) = guards.check(Diff(rows=0, previous_rows=0), 0.5)  # first run, empty source
    assert finding.guard == guards.ZERO_ROWS and "aucune ligne" in finding.title
    # Everything removed is reported once, as zero rows, not also as a mass removal.
    assert kinds(Diff(removed=10, rows=0, previous_rows=10)) == [guards.ZERO_ROWS]
    assert kinds(Diff(rows=1, previous_rows=10, removed=9), share=0.95) == []


@pytest.mark.parametrize(
    ("share", "previous", "at_limit"),
    [(0.5, 10, 5), (0.5, 122, 61), (0.58, 50, 29), (0.57, 100, 57), (0.7, 90, 63), (0.0, 10, 0)],
)
def test_mass_removal_boundary(share: float, previous: int, at_limit: int) -> None:
    """Removing exactly the allowed share passes; one record more is held back."""
    at = Diff(removed=at_limit, rows=previous - at_limit + 1, previous_rows=previous)
    assert kinds(at, share) == []
    above = Diff(removed=at_limit + 1, rows=previous - at_limit, previous_rows=previous)
    (finding,) = guards.check(above, share)
    assert finding.guard == guards.MASS_REMOVAL
    assert f"{at_limit + 1} lignes sur {previous}" in finding.title
    assert f"plus de {share:.0%}" in finding.title


def test_mass_removal_counts_removals_not_the_row_count() -> None:
    # As many rows as before, but 6 of 10 replaced: that is a mass removal.
    assert kinds(Diff(added=6, removed=6, rows=10, previous_rows=10)) == [guards.MASS_REMOVAL]


def test_emptied_columns() -> None:
    diff = Diff(changed=10, rows=10, previous_rows=10, emptied_columns=["latitude", "titre"])
    findings = guards.check(diff, 0.5)
    assert [f.guard for f in findings] == [guards.EMPTIED_COLUMN] * 2
    assert "« latitude »" in findings[0].title and "« titre »" in findings[1].title
    assert kinds(Diff(rows=10, previous_rows=10)) == []
    # With nothing left to publish every column is empty: only zero rows is reported.
    assert kinds(Diff(removed=10, rows=0, previous_rows=10, emptied_columns=["titre"])) == [
        guards.ZERO_ROWS
    ]


def test_dropped_columns() -> None:
    diff = Diff(rows=10, previous_rows=10, columns_dropped=["hors_france"])
    (finding,) = guards.check(diff, 0.5)
    assert finding.guard == guards.DROPPED_COLUMN and "« hors_france »" in finding.title
    assert kinds(Diff(rows=10, previous_rows=10, columns_added=["coordonnees_douteuses"])) == []


def test_findings_add_up() -> None:
    diff = Diff(
        removed=8,
        rows=2,
        previous_rows=10,
        emptied_columns=["titre"],
        columns_dropped=["hors_france"],
    )
    assert kinds(diff) == [guards.MASS_REMOVAL, guards.EMPTIED_COLUMN, guards.DROPPED_COLUMN]


def test_summary_and_findings_as_data() -> None:
    findings = guards.check(Diff(rows=0, previous_rows=3, columns_dropped=["titre"]), 0.5)
    summary = guards.summary_fr(findings)
    assert summary.startswith("publication retenue, à confirmer : ")
    assert "aucune ligne à publier ; la colonne publiée « titre » disparaîtrait" in summary
    assert "--accept-drop" in summary and "version en ligne est conservée" in summary
    assert findings[0].to_dict() == {"guard": guards.ZERO_ROWS, "title": "aucune ligne à publier"}
