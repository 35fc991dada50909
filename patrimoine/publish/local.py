"""The default portal: a folder per dataset, files replaced atomically."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from patrimoine.catalog import DatasetEntry
from patrimoine.errors import PublishError
from patrimoine.publish.base import PublicationPlan, PublicationResult
from patrimoine.publish.render import RenderedFile

METADATA_FILE = "metadata.json"
UPDATED_KEY = "mise_a_jour"


def _sheet_bytes(metadata: dict[str, Any]) -> bytes:
    return (json.dumps(metadata, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _write_atomic(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)


class LocalPublisher:
    """``<portal_dir>/<dataset>/`` holds the CSV, the GeoJSON and ``metadata.json``."""

    name = "local"

    def __init__(self, portal_dir: Path) -> None:
        self.portal_dir = portal_dir

    def folder(self, entry: DatasetEntry) -> Path:
        return self.portal_dir / entry.name

    def plan(
        self, entry: DatasetEntry, files: list[RenderedFile], metadata: dict[str, Any]
    ) -> PublicationPlan:
        folder = self.folder(entry)
        plan = PublicationPlan(dataset=entry.name, target=str(folder))
        for f in files:
            target = folder / f.name
            if not target.is_file() or target.read_bytes() != f.content:
                plan.actions.append(
                    f"remplacer {f.name}" if target.is_file() else f"créer {f.name}"
                )
        current = folder / METADATA_FILE
        try:
            previous = json.loads(current.read_text(encoding="utf-8"))
            previous.pop(UPDATED_KEY, None)
        except (OSError, ValueError):
            previous = None
        if previous != json.loads(_sheet_bytes(metadata)):
            plan.actions.append(f"mettre à jour {METADATA_FILE}")
        return plan

    def apply(
        self,
        entry: DatasetEntry,
        plan: PublicationPlan,
        files: list[RenderedFile],
        metadata: dict[str, Any],
    ) -> PublicationResult:
        folder = self.folder(entry)
        if plan.unchanged:
            return PublicationResult(entry.name, self.name, True, [], str(folder))
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for f in files:
                _write_atomic(folder / f.name, f.content)
            sheet = {**metadata, UPDATED_KEY: datetime.now(UTC).isoformat(timespec="seconds")}
            _write_atomic(folder / METADATA_FILE, _sheet_bytes(sheet))
        except OSError as exc:
            raise PublishError(f"écriture impossible dans {folder} : {exc}") from exc
        return PublicationResult(entry.name, self.name, False, plan.actions, str(folder))
