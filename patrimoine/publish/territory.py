"""After the datasets: the territory page, and its declaration on data.gouv.fr.

Runs once per run, after every dataset (the page draws what they staged) and before the
run report (which tells what happened here). Never raises: a page or a portal problem
leaves the datasets' outcomes as they are, and is reported as one French line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from patrimoine.catalog import load_catalog
from patrimoine.config import Settings
from patrimoine.errors import PatrimoineError

log = logging.getLogger(__name__)

LABELS = {
    "updated": "mise à jour",
    "unchanged": "inchangée",
    "waiting": "en attente",
    "failed": "en échec",
    "dry-run": "simulation",
}
"""French words of each status, for the report and the command line."""


@dataclass
class TerritoryOutcome:
    """How one territory-wide publication went (``status`` is a key of :data:`LABELS`)."""

    target: str
    status: str
    actions: list[str] = field(default_factory=list)
    location: str | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        return LABELS[self.status]


def publish(settings: Settings, *, dry_run: bool = False) -> list[TerritoryOutcome]:
    """Write the page, then declare it; what each did (empty when pictures are off)."""
    if not settings.pictures:
        return []
    outcomes = [] if dry_run else [_page(settings)]
    from patrimoine.publish.datagouv import reuse

    if reuse.wanted(settings):
        outcomes.append(_reuse(settings, dry_run=dry_run))
    return outcomes


def _page(settings: Settings) -> TerritoryOutcome:
    from patrimoine.report import territory_page

    target = "page du territoire"
    location = str(settings.portal_dir / "territoire.html")
    try:
        written = territory_page.write(settings)
    except Exception as exc:
        return _failed(target, exc)
    if not written:
        return TerritoryOutcome(target, "unchanged", location=location)
    return TerritoryOutcome(
        target, "updated", [f"écrire {name}" for name in written], location=location
    )


def _reuse(settings: Settings, *, dry_run: bool) -> TerritoryOutcome:
    from patrimoine.publish.datagouv import reuse
    from patrimoine.stages import engine_for, territory_for

    target = "réutilisation data.gouv.fr"
    try:
        engine = engine_for(settings)
        entries = list(load_catalog(settings.catalog_dir).values())
        datasets = reuse.published_datasets(settings, engine, entries)
        if not datasets:
            return TerritoryOutcome(
                target,
                "waiting",
                ["aucun jeu encore publié sur data.gouv.fr : déclaration au prochain run"],
            )
        body = reuse.payload(settings, territory_for(settings).label, datasets)
        publisher = reuse.ReusePublisher(settings, engine)
        key = settings.territory.key
        plan = publisher.plan(key, body, settings.portal_dir / reuse.IMAGE)
        if dry_run:
            return TerritoryOutcome(target, "dry-run", plan.actions, location=body["url"])
        record = publisher.apply(key, plan)
    except Exception as exc:
        return _failed(target, exc)
    page = (record.state.get("page") if record else None) or body["url"]
    status = "updated" if plan.actions else "unchanged"
    return TerritoryOutcome(target, status, plan.actions, location=page)


def _failed(target: str, exc: Exception) -> TerritoryOutcome:
    if isinstance(exc, PatrimoineError):
        message = str(exc)
    else:
        message = f"erreur inattendue ({type(exc).__name__}: {exc})"
    log.error("%s : %s", target, message)
    return TerritoryOutcome(target, "failed", error=message)


__all__ = ["LABELS", "TerritoryOutcome", "publish"]
