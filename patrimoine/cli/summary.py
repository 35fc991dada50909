"""The French end-of-run summary: one block per dataset, with the real wall time.

Also its two script-friendly forms: the one-line verdict of ``--quiet`` and the JSON
document of ``--json``. The pipeline is imported for types only, so that ``--help`` and
``--version`` do not pay for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from patrimoine import __version__

if TYPE_CHECKING:
    from patrimoine.config import Settings
    from patrimoine.pipeline import Outcome

STATUS_FR = {
    "updated": "mis à jour",
    "unchanged": "inchangé",
    "held": "À CONFIRMER",
    "dry-run": "simulation (rien publié)",
    "failed": "ÉCHEC",
    "skipped": "ignoré",
    "unconfigured": "non configuré",
    "interrupted": "interrompu",
    "running": "en cours",
}


MAX_REMARKS = 5
"""Kinds of data-quality remarks a summary block lists; ``patrimoine status`` has them all."""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count > 1 else ''}"


def format_outcome(outcome: Outcome) -> str:
    label = STATUS_FR.get(outcome.status, outcome.status)
    seconds = duration_of(outcome)
    if outcome.status in ("failed", "skipped", "unconfigured"):
        return f"  {outcome.dataset} : {label} en {seconds:.1f} s — {outcome.error}"
    diff = outcome.diff
    changes = f"+{diff.get('added', 0)} / -{diff.get('removed', 0)} / ~{diff.get('changed', 0)}"
    rows = rows_of(outcome)
    where = f" → {outcome.location}" if outcome.status == "updated" and outcome.location else ""
    lines = [f"  {outcome.dataset} : {label} — {rows} lignes ({changes}) en {seconds:.1f} s{where}"]
    if outcome.status == "held":
        lines.append(f"    {outcome.error}")
    if outcome.accept_drop and diff.get("removed"):
        lines.append("    baisse acceptée (--accept-drop), enregistrée dans l'historique des runs")
    if outcome.status == "dry-run":
        for key, sign in (("added", "+"), ("removed", "-"), ("changed", "~")):
            sample = diff.get("samples", {}).get(key) or []
            if sample:
                more = "…" if diff.get(key, 0) > len(sample) else ""
                lines.append(f"    {sign} {', '.join(sample)}{more}")
        planned = outcome.actions or ["rien à publier (contenu inchangé)"]
        lines.append("    publication prévue : " + " ; ".join(planned))
    if outcome.quarantined:
        count = outcome.rows_quarantined or 0
        left_out = f"non publiée{'s' if count > 1 else ''}"
        lines.append(
            f"    {_plural(count, 'ligne')} en quarantaine ({left_out}) : "
            + " ; ".join(outcome.quarantined)
        )
    if outcome.remarks:
        shown = outcome.remarks[:MAX_REMARKS]
        hidden = len(outcome.remarks) - len(shown)
        tail = f" ; … et {hidden} autre(s) (patrimoine status {outcome.dataset})" if hidden else ""
        lines.append("    remarques : " + " ; ".join(shown) + tail)
    if outcome.warnings:
        lines.append(
            f"    {_plural(len(outcome.warnings), 'avertissement')} : "
            + " ; ".join(outcome.warnings)
        )
    return "\n".join(lines)


def summary_title(settings: Settings, wall: float) -> str:
    mode = " (hors ligne, snapshot embarqué)" if settings.offline else ""
    return f"Résumé du run{mode} — territoire {settings.territory.key} — {wall:.1f} s"


def print_summary(outcomes: Sequence[Outcome], settings: Settings, wall: float) -> None:
    print(f"{summary_title(settings, wall)} :")
    for outcome in outcomes:
        print(format_outcome(outcome))


def rows_of(outcome: Outcome) -> int | None:
    """The rows the summary shows: published, else those the diff counted (dry run, held)."""
    if outcome.rows_published is not None:
        return outcome.rows_published
    rows = outcome.diff.get("rows")
    return rows if isinstance(rows, int) else None


def duration_of(outcome: Outcome) -> float:
    """The dataset's real wall time (the sum of its stages when none was measured)."""
    return outcome.wall_time or sum(outcome.timings.values())


VERDICT_ORDER = ("updated", "unchanged", "dry-run", "skipped", "unconfigured", "held", "failed")


def verdict(outcomes: Sequence[Outcome], wall: float) -> str:
    """One French line for ``--quiet``: how the run ended, and which datasets need someone."""
    failed = [o.dataset for o in outcomes if o.status == "failed"]
    held = [o.dataset for o in outcomes if o.status == "held"]
    head = "Run en échec" if failed else "Run à confirmer" if held else "Run réussi"
    counts = []
    for status in (*VERDICT_ORDER, *sorted({o.status for o in outcomes} - set(VERDICT_ORDER))):
        names = [o.dataset for o in outcomes if o.status == status]
        if names:
            label = STATUS_FR.get(status, status).lower()
            text = f"{len(names)} {label}"
            if status in ("failed", "held"):
                text += f" ({', '.join(names)})"
            counts.append(text)
    jeux = f"{len(outcomes)} jeu{'x' if len(outcomes) > 1 else ''}"
    return f"{head} — {jeux} : {', '.join(counts) or 'aucun'} — {wall:.1f} s"


def outcome_record(outcome: Outcome) -> dict[str, Any]:
    """Every fact of one outcome, for ``--json`` (keys in English, texts in French)."""
    diff = outcome.diff
    return {
        "dataset": outcome.dataset,
        "status": outcome.status,
        "status_fr": STATUS_FR.get(outcome.status, outcome.status),
        "stage": outcome.stage,
        "error": outcome.error,
        "rows": rows_of(outcome),
        "rows_read": outcome.rows_read,
        "rows_kept": outcome.rows_kept,
        "rows_quarantined": outcome.rows_quarantined,
        "rows_published": outcome.rows_published,
        "diff": {key: int(diff.get(key, 0)) for key in ("added", "removed", "changed")},
        "samples": diff.get("samples") or {},
        "duration": round(duration_of(outcome), 3),
        "timings": dict(outcome.timings),
        "actions": list(outcome.actions),
        "location": outcome.location,
        "run_id": outcome.run_id,
        "accept_drop": outcome.accept_drop,
        "quarantined": list(outcome.quarantined),
        "remarks": list(outcome.remarks),
        "warnings": list(outcome.warnings),
    }


def run_document(
    outcomes: Sequence[Outcome],
    settings: Settings | None,
    wall: float,
    code: int,
    error: str | None = None,
) -> dict[str, Any]:
    """The single JSON document ``patrimoine run --json`` writes on stdout."""
    return {
        "version": __version__,
        "territory": settings.territory.key if settings else None,
        "offline": settings.offline if settings else None,
        "wall_time": round(wall, 3),
        "exit_code": code,
        "error": error,
        "outcomes": [outcome_record(o) for o in outcomes],
    }


def exit_code(outcomes: Sequence[Outcome]) -> int:
    """0 nothing to do (an unconfigured dataset included), 1 a dataset failed, 3 a refresh
    waits for a confirmation."""
    if any(o.status == "failed" for o in outcomes):
        return 1
    if any(o.status == "held" for o in outcomes):
        return 3
    return 0
