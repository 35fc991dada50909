"""The default portal: a folder per dataset whose files are replaced as a set.

``<portal_dir>/<dataset>`` is a symbolic link to a complete version folder under
``<portal_dir>/.versions/<dataset>/``. A publication writes every file of the new version
into a fresh folder, then swaps the link in one atomic rename: a reader (a web server, a
reuser's script) sees the old set or the new one, never a new CSV next to an old metadata
sheet, and a crash mid-write leaves the published version untouched.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from patrimoine.catalog import DatasetEntry
from patrimoine.errors import PublishError
from patrimoine.publish.base import PublicationPlan, PublicationResult
from patrimoine.publish.render import RenderedFile

METADATA_FILE = "metadata.json"
UPDATED_KEY = "mise_a_jour"
VERSIONS_DIR = ".versions"
KEEP_VERSIONS = 2
"""The current version and the one before (a reader may still be reading it)."""


def _sheet_bytes(metadata: dict[str, Any]) -> bytes:
    return (json.dumps(metadata, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _write(path: Path, content: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


class LocalPublisher:
    """``<portal_dir>/<dataset>/`` holds the CSV, the GeoJSON, the changelog and the sheet."""

    name = "local"

    def __init__(self, portal_dir: Path) -> None:
        self.portal_dir = portal_dir

    def folder(self, entry: DatasetEntry) -> Path:
        return self.portal_dir / entry.name

    def versions(self, entry: DatasetEntry) -> Path:
        return self.portal_dir / VERSIONS_DIR / entry.name

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
        now = datetime.now(UTC)
        versions = self.versions(entry)
        version = versions / f"{now:%Y%m%dT%H%M%S%fZ}"
        try:
            version.mkdir(parents=True)
            for f in files:
                target = version / f.name
                target.parent.mkdir(parents=True, exist_ok=True)  # a page's assets: static/…
                _write(target, f.content)
            sheet = {**metadata, UPDATED_KEY: now.isoformat(timespec="seconds")}
            _write(version / METADATA_FILE, _sheet_bytes(sheet))
            self._adopt_legacy_folder(folder, versions)
            link = folder.with_name(f".{folder.name}.link")
            with contextlib.suppress(FileNotFoundError):
                link.unlink()
            link.symlink_to(os.path.relpath(version, folder.parent))
            os.replace(link, folder)
        except OSError as exc:
            shutil.rmtree(version, ignore_errors=True)
            raise PublishError(f"écriture impossible dans {self.portal_dir} : {exc}") from exc
        self._prune(versions, keep=version)
        return PublicationResult(entry.name, self.name, False, plan.actions, str(folder))

    @staticmethod
    def _adopt_legacy_folder(folder: Path, versions: Path) -> None:
        """A plain folder left by 0.1.0 becomes a version, so the link can take its place."""
        if folder.is_dir() and not folder.is_symlink():
            folder.rename(versions / "legacy")

    @staticmethod
    def _prune(versions: Path, keep: Path) -> None:
        older = sorted(
            (p for p in versions.iterdir() if p.is_dir() and p != keep),
            key=lambda p: p.stat().st_mtime_ns,
        )
        for stale in older[: max(len(older) - (KEEP_VERSIONS - 1), 0)]:
            shutil.rmtree(stale, ignore_errors=True)
