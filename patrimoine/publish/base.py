"""The publisher interface every portal implements: plan, then apply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from patrimoine.catalog import DatasetEntry
from patrimoine.publish.render import RenderedFile


@dataclass
class PublicationPlan:
    """What a publication would do; ``actions`` is empty when nothing changed."""

    dataset: str
    target: str
    actions: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not self.actions


@dataclass
class PublicationResult:
    dataset: str
    target: str
    unchanged: bool
    actions: list[str]
    location: str
    details: dict[str, Any] = field(default_factory=dict)


def combined(results: list[tuple[str, PublicationResult]]) -> PublicationResult:
    """One result for several portals (by name): unchanged only when every portal was."""
    if len(results) == 1:
        return results[0][1]
    first = results[0][1]
    actions = [f"{name} : {a}" for name, r in results for a in r.actions]
    details: dict[str, Any] = {"portails": {name: r.details for name, r in results}}
    named = [r for _, r in results]
    return PublicationResult(
        first.dataset,
        ",".join(name for name, _ in results),
        all(r.unchanged for r in named),
        actions,
        " ; ".join(r.location for r in named if r.location),
        details,
    )


class Publisher(Protocol):
    """A portal: the local folder, data.gouv.fr, OpenDataSoft.

    ``plan`` only reads (the portal's current state, our stored ids) and lists the actions
    in French (``créer le jeu``, ``remplacer la ressource X``, ``ignorer Y inchangée``…);
    ``apply`` performs them. ``--dry-run`` calls ``plan`` only: no write endpoint.
    """

    name: str

    def plan(
        self, entry: DatasetEntry, files: list[RenderedFile], metadata: dict[str, Any]
    ) -> PublicationPlan: ...

    def apply(
        self,
        entry: DatasetEntry,
        plan: PublicationPlan,
        files: list[RenderedFile],
        metadata: dict[str, Any],
    ) -> PublicationResult: ...
