"""The French end-of-run summary: one block per dataset, with the real wall time."""

from __future__ import annotations

from collections.abc import Sequence

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
    seconds = outcome.wall_time or sum(outcome.timings.values())
    if outcome.status in ("failed", "skipped", "unconfigured"):
        return f"  {outcome.dataset} : {label} en {seconds:.1f} s — {outcome.error}"
    diff = outcome.diff
    changes = f"+{diff.get('added', 0)} / -{diff.get('removed', 0)} / ~{diff.get('changed', 0)}"
    rows = outcome.rows_published if outcome.rows_published is not None else diff.get("rows")
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


def print_summary(outcomes: Sequence[Outcome], settings: Settings, wall: float) -> None:
    mode = " (hors ligne, snapshot embarqué)" if settings.offline else ""
    print(f"Résumé du run{mode} — territoire {settings.territory.key} — {wall:.1f} s :")
    for outcome in outcomes:
        print(format_outcome(outcome))


def exit_code(outcomes: Sequence[Outcome]) -> int:
    """0 nothing to do (an unconfigured dataset included), 1 a dataset failed, 3 a refresh
    waits for a confirmation."""
    if any(o.status == "failed" for o in outcomes):
        return 1
    if any(o.status == "held" for o in outcomes):
        return 3
    return 0
