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


class Publisher(Protocol):
    """A portal: the local folder today, data.gouv.fr and OpenDataSoft next."""

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
