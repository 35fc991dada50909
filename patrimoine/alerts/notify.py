"""The entry points: after every run (:func:`after_run`) and when a flow crashed
(:func:`flow_crashed`). Neither ever raises: alerting must not change a run's outcome."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from patrimoine.alerts import channels, links, messages, state
from patrimoine.alerts.facts import DatasetFacts, facts_for
from patrimoine.alerts.redact import redact
from patrimoine.alerts.state import Clock, utc_now
from patrimoine.config import Settings
from patrimoine.pipeline import Outcome

log = logging.getLogger(__name__)


def _safe(message: messages.Message, settings: Settings) -> messages.Message:
    """No secret in any message, whatever an error line quoted."""
    return messages.Message(
        redact(message.subject, settings),
        redact(message.body, settings),
        redact(message.short, settings),
        message.kind,
    )


def _send(settings: Settings, message: messages.Message) -> bool:
    return channels.deliver(settings, _safe(message, settings))


GROUP_FROM = 3
"""From this many datasets to tell in one run, one message lists them all: a cause shared by
every dataset (the territory service down, a database refused) must not send eleven e-mails."""


@dataclass
class _Pending:
    """A dataset's alert of this run, sent alone or in the run's grouped message."""

    dataset: str
    message: messages.Message
    save: Callable[[bool], None]
    """Record the new state; True when the message was delivered."""


def _alert_dataset(
    settings: Settings,
    outcome: Outcome,
    clock: Clock,
    run_url: str | None,
    report: str | None = None,
) -> _Pending | None:
    """The dataset's alert to send (if any); its state is saved by ``save`` or now."""
    from patrimoine.stages import engine_for

    now = clock()
    territory = settings.territory.key
    if not outcome.run_id:  # the database itself failed: no state to keep, tell every run
        if outcome.status in state.ATTENTION:
            message = messages.failure(
                outcome,
                DatasetFacts(),
                territory=territory,
                run_url=run_url,
                reminder_days=0,
                report=report,
            )
            return _Pending(outcome.dataset, message, lambda sent: None)
        return None
    engine = engine_for(settings)
    previous = state.load(engine, outcome.dataset)
    cause = messages.split_error(outcome.error)[0] if outcome.error else None
    decision = state.decide(previous, outcome.status, cause, now, settings.alert_reminder_days)
    kept = decision.state
    if decision.kind is None or not channels.enabled(settings):
        if kept is not previous:
            state.save(engine, kept, now)
        return None
    facts = facts_for(engine, outcome.dataset, outcome.run_id)
    if decision.kind == "recovered":
        message = messages.recovered(
            outcome,
            facts,
            territory=territory,
            since=decision.since,
            run_url=run_url,
            report=report,
        )
    else:
        message = messages.failure(
            outcome,
            facts,
            territory=territory,
            run_url=run_url,
            since=decision.since,
            reminder=decision.kind == "reminder",
            reminder_days=settings.alert_reminder_days,
            report=report,
        )

    def save(sent: bool) -> None:
        if sent:
            kept.last_alert_at = now
            log.info("%s : alerte envoyée (%s)", outcome.dataset, message.subject)
        if kept is not previous:
            state.save(engine, kept, now)

    return _Pending(outcome.dataset, message, save)


def _deliver(settings: Settings, pending: Sequence[_Pending], territory: str) -> None:
    """One message per dataset, or one for all from :data:`GROUP_FROM` datasets on."""
    if len(pending) >= GROUP_FROM:
        grouped = messages.grouped([p.message for p in pending], territory=territory)
        sent = _send(settings, grouped)
        for item in pending:
            item.save(sent)
        return
    for item in pending:
        item.save(_send(settings, item.message))


def after_run(
    settings: Settings,
    outcomes: Sequence[Outcome],
    *,
    nightly: bool | None = None,
    dry_run: bool = False,
    clock: Clock | None = None,
    report: Path | None = None,
) -> None:
    """Alert about the datasets of a finished run, then the nightly digest if asked.

    ``nightly`` None: read from ``prefect.runtime`` (a run of the ``nightly`` deployment).
    ``report``: the run report's file, named in every message's footer.
    A dry run alerts nothing and leaves the state alone: it published nothing.
    """
    if dry_run:
        return
    clock = clock or utc_now
    run_url = links.flow_run_url()
    shown = str(report) if report is not None else None
    pending: list[_Pending] = []
    for outcome in outcomes:
        try:
            found = _alert_dataset(settings, outcome, clock, run_url, shown)
        except Exception as exc:
            log.error(
                "%s : alertes indisponibles pour ce run : %s",
                outcome.dataset,
                redact(str(exc) or type(exc).__name__, settings),
            )
            continue
        if found is not None:
            pending.append(found)
    try:
        _deliver(settings, pending, settings.territory.key)
    except Exception as exc:
        log.error("alertes du run non envoyées : %s", redact(str(exc), settings))
    if nightly is None:
        nightly = links.is_nightly_run()
    if settings.alert_digest and nightly and outcomes and channels.enabled(settings):
        try:
            _send(
                settings,
                messages.digest(
                    outcomes,
                    territory=settings.territory.key,
                    when=clock(),
                    run_url=run_url,
                    report=shown,
                ),
            )
        except Exception as exc:
            log.error("bilan du run non envoyé : %s", redact(str(exc), settings))


def flow_crashed(
    settings: Settings,
    reason: str,
    run_url: str | None = None,
    *,
    flow_name: str | None = None,
) -> bool:
    """Tell the data manager the whole flow stopped; True when a channel delivered it."""
    try:
        if not channels.enabled(settings):
            return False
        message = messages.crashed(
            reason, territory=settings.territory.key, flow_name=flow_name, run_url=run_url
        )
        return _send(settings, message)
    except Exception as exc:
        log.error("alerte d'arrêt du run non envoyée : %s", redact(str(exc), settings))
        return False
