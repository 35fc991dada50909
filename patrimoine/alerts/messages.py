"""The French alerts: a subject, a plain-text body for e-mail and a short text for chat.

Pure functions of the outcome and the facts read from the ledger, so every wording is
tested without a server. The error line of an outcome (« [jeu …, étape …] cause (URL : …)
— que faire ») is split back into its cause and its hint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from patrimoine.alerts.facts import DatasetFacts, Published
from patrimoine.pipeline import STAGE_LABELS, Outcome
from patrimoine.status import STATUS_LABELS
from patrimoine.times import paris_text

PREFIX = "[patrimoine]"
MAX_CHECK_SAMPLES = 10
"""Sample identifiers listed per failed check (the ledger keeps up to 20)."""


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    """Plain text, for e-mail."""
    short: str
    """A few lines, for chat and webhooks."""
    kind: str
    """failure, reminder, recovered, crashed or digest (Apprise: failure, success, info)."""


_WHERE = re.compile(r"^\[[^\]]*\]\s*")


def split_error(error: str | None) -> tuple[str, str | None]:
    """The cause and the hint of an outcome's error line."""
    text = _WHERE.sub("", (error or "").strip())
    cause, sep, hint = text.rpartition(" — ")
    if not sep:
        return text or "cause inconnue", None
    return cause, hint


def stage_fr(stage: str | None) -> str:
    return STAGE_LABELS.get(stage or "", stage or "inconnue")


def _held_hint(dataset: str) -> str:
    return (
        "vérifiez la source ; si la baisse est voulue, confirmez-la avec "
        f"« patrimoine run --dataset {dataset} --accept-drop » (ou le paramètre accept_drop "
        "du déploiement on-demand dans l'interface Prefect) ; sinon attendez que la source "
        "soit corrigée"
    )


def published_fr(published: Published) -> str:
    """What stays online, in one sentence."""
    if published.published_at is None:
        return "rien n'a encore été publié pour ce jeu."
    rows = f" ({published.rows} lignes)" if published.rows is not None else ""
    text = f"la version publiée le {paris_text(published.published_at)}{rows} reste en ligne"
    if published.confirmed_at and published.confirmed_at > published.published_at:
        text += f", confirmée par la source le {paris_text(published.confirmed_at)}"
    return text + "."


def _checks_fr(facts: DatasetFacts) -> list[str]:
    lines = []
    for problem in facts.failed_checks:
        count = f" : {problem.unexpected_count} ligne(s)" if problem.unexpected_count else ""
        samples = problem.sample_keys[:MAX_CHECK_SAMPLES]
        more = "…" if len(problem.sample_keys) > len(samples) else ""
        shown = f" — exemples : {', '.join(samples)}{more}" if samples else ""
        column = f" [colonne {problem.column}]" if problem.column else ""
        lines.append(f"  - {problem.title}{column}{count}{shown}")
    return lines


def _footer(
    run_url: str | None, territory: str, run_id: str | None, report: str | None = None
) -> list[str]:
    lines = [""]
    if report:
        lines.append(f"Rapport du run : {report}")
    if run_url:
        lines.append(f"Voir le run dans Prefect : {run_url}")
    ident = f" — run {run_id}" if run_id else ""
    lines.append(f"Territoire : {territory}{ident}")
    return lines


def failure(
    outcome: Outcome,
    facts: DatasetFacts,
    *,
    territory: str,
    run_url: str | None = None,
    since: datetime | None = None,
    reminder: bool = False,
    reminder_days: float = 7.0,
    report: str | None = None,
) -> Message:
    """A dataset needs attention: it failed, or a guard held its refresh back."""
    held = outcome.status == "held"
    cause, hint = split_error(outcome.error)
    if held:
        hint = _held_hint(outcome.dataset)
        what = "publication retenue"
        headline = f"La mise à jour du jeu « {outcome.dataset} » est retenue avant publication."
    else:
        what = f"étape {stage_fr(outcome.stage)}"
        headline = f"Le jeu « {outcome.dataset} » n'a pas pu être rafraîchi."
    if reminder:
        subject = (
            f"{PREFIX} Rappel : {outcome.dataset} toujours {'retenu' if held else 'en échec'}"
            f" depuis le {paris_text(since)}"
        )
    else:
        label = "À confirmer" if held else "Échec"
        subject = f"{PREFIX} {label} : {outcome.dataset} ({what})"
    lines = [headline, ""]
    if reminder and since:
        lines += [f"Rappel : le problème dure depuis le {paris_text(since)}.", ""]
    lines += [
        f"Jeu de données : {outcome.dataset}",
        f"Étape : {stage_fr(outcome.stage)}",
        f"Cause : {cause}",
    ]
    checks = _checks_fr(facts)
    if checks:
        lines += ["Contrôles en échec :", *checks]
    lines += [
        f"Ce qui reste publié : {published_fr(facts.published)}",
        f"Que faire : {hint or 'relancez avec -v et signalez l’anomalie'}",
    ]
    if reminder_days:
        lines += [
            "",
            f"Un rappel sera envoyé tous les {reminder_days:g} jours tant que le problème "
            "dure, et un message quand le jeu sera revenu à la normale.",
        ]
    lines += _footer(run_url, territory, outcome.run_id, report)
    short = [f"{subject}", f"Cause : {cause}", f"Que faire : {hint or '—'}"]
    if run_url:
        short.append(f"Run : {run_url}")
    return Message(
        subject, "\n".join(lines), "\n".join(short), "reminder" if reminder else "failure"
    )


def recovered(
    outcome: Outcome,
    facts: DatasetFacts,
    *,
    territory: str,
    since: datetime | None,
    run_url: str | None = None,
    report: str | None = None,
) -> Message:
    """The dataset that needed attention is fine again."""
    state = "mis à jour" if outcome.status == "updated" else "à jour (source inchangée)"
    subject = f"{PREFIX} Retour à la normale : {outcome.dataset}"
    lines = [
        f"Retour à la normale : le jeu « {outcome.dataset} » est de nouveau {state}.",
        "",
        f"Jeu de données : {outcome.dataset}",
        f"En échec depuis : {paris_text(since)}",
        f"Ce qui est publié : {published_fr(facts.published)}",
        "Rien à faire.",
        *_footer(run_url, territory, outcome.run_id, report),
    ]
    short = f"{subject} — de nouveau {state} (en échec depuis le {paris_text(since)})."
    return Message(subject, "\n".join(lines), short, "recovered")


def crashed(
    reason: str, *, territory: str, flow_name: str | None = None, run_url: str | None = None
) -> Message:
    """The whole flow stopped (crash, timeout, cancellation or an error before the datasets)."""
    name = f" « {flow_name} »" if flow_name else ""
    subject = f"{PREFIX} Le run{name} s'est arrêté avant la fin"
    lines = [
        f"Le run{name} de patrimoine s'est arrêté avant d'avoir traité tous les jeux.",
        "",
        f"Raison : {reason or 'inconnue'}",
        "Ce qui reste publié : les dernières versions publiées restent en ligne ; un jeu "
        "interrompu entre la mise en base et la publication est terminé par le run suivant.",
        "Que faire : consultez les journaux du run dans Prefect (ou la sortie de « patrimoine "
        "run -v »), corrigez la cause (machine, base de données, réglages) puis relancez le run.",
        *_footer(run_url, territory, None),
    ]
    short = f"{subject}\nRaison : {reason or 'inconnue'}" + (
        f"\nRun : {run_url}" if run_url else ""
    )
    return Message(subject, "\n".join(lines), short, "crashed")


def digest(
    outcomes: Sequence[Outcome],
    *,
    territory: str,
    when: datetime,
    run_url: str | None = None,
    report: str | None = None,
) -> Message:
    """After a nightly run: per dataset, what changed and what was published."""
    counts: dict[str, int] = {}
    for outcome in outcomes:
        label = STATUS_LABELS.get(outcome.status, outcome.status)
        counts[label] = counts.get(label, 0) + 1
    tally = ", ".join(f"{n} {label}" for label, n in counts.items())
    subject = f"{PREFIX} Bilan du run nocturne du {paris_text(when)} : {tally}"
    lines = [f"Bilan du run nocturne du {paris_text(when)} ({len(outcomes)} jeux) :", ""]
    for outcome in outcomes:
        label = STATUS_LABELS.get(outcome.status, outcome.status)
        line = f"- {outcome.dataset} : {label}"
        diff = outcome.diff
        if outcome.status in ("updated", "unchanged", "held") and diff:
            rows = outcome.rows_published
            line += (
                f" — {rows if rows is not None else diff.get('rows', '?')}"
                f" lignes (+{diff.get('added', 0)} / -{diff.get('removed', 0)}"
                f" / ~{diff.get('changed', 0)})"
            )
        if outcome.status == "updated" and outcome.location:
            line += f", publié : {outcome.location}"
        if outcome.status in ("failed", "held", "unconfigured") and outcome.error:
            line += f" — {split_error(outcome.error)[0]}"
        lines.append(line)
    lines += _footer(run_url, territory, None, report)
    return Message(subject, "\n".join(lines), subject, "digest")


def grouped(items: Sequence[Message], *, territory: str) -> Message:
    """Several datasets to tell in one run: one message, each dataset's own text in turn.

    The subject counts them by kind; the body opens with one line per dataset (its own
    subject, without the prefix), then every full message, so nothing is lost by grouping.
    """
    counts: dict[str, int] = {}
    for item in items:
        label = _GROUP_LABELS.get(item.kind, "à traiter")
        counts[label] = counts.get(label, 0) + 1
    tally = ", ".join(f"{n} {label}" for label, n in counts.items())
    subject = f"{PREFIX} {len(items)} jeux à signaler : {tally}"
    heads = [f"- {_WHERE.sub('', item.subject)}" for item in items]
    separator = "\n\n" + "-" * 60 + "\n\n"
    body = (
        f"Ce run de patrimoine a {len(items)} jeux à signaler (territoire {territory}) :\n\n"
        + "\n".join(heads)
        + separator
        + separator.join(item.body for item in items)
    )
    short = "\n".join([subject, *heads])
    kinds = {item.kind for item in items}
    kind = kinds.pop() if len(kinds) == 1 else "failure"
    return Message(subject, body, short, kind)


_GROUP_LABELS = {
    "failure": "en échec ou à confirmer",
    "reminder": "toujours en échec (rappel)",
    "recovered": "revenus à la normale",
}
