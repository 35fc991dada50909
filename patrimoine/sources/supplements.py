"""Extra files a collectivité keeps next to an upstream dataset (museum opening hours…).

A catalog entry declares them under ``[source.supplements.<name>]``::

    [source.supplements.horaires]
    setting = "museum_hours"                 # PATRIMOINE_MUSEUM_HOURS: a path or a URL
    offline = "inputs/horaires-musees.csv"   # the snapshot's sample, for --offline

A supplement is optional: when its setting is empty (and no offline sample applies) the
transform runs without it and says so. One that is configured but cannot be read fails the
dataset, naming the setting, so a typo never silently publishes empty columns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from patrimoine.catalog import DatasetEntry
from patrimoine.config import ENV_PREFIX, Settings
from patrimoine.errors import CatalogError, SourceError
from patrimoine.http import HttpClient


def declared(entry: DatasetEntry) -> dict[str, dict[str, Any]]:
    raw = entry.source.get("supplements", {})
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise CatalogError(f"{entry.name} : [source.supplements.<nom>] attend des tables")
    return raw


def location(settings: Settings, entry: DatasetEntry, name: str, spec: dict[str, Any]) -> str:
    """Where the supplement comes from this run ("" when not given)."""
    setting = spec.get("setting")
    if not isinstance(setting, str) or not hasattr(settings, setting):
        raise CatalogError(
            f"{entry.name} : [source.supplements.{name}] doit nommer un réglage connu "
            f"(« setting », par exemple museum_hours)"
        )
    value = str(getattr(settings, setting) or "")
    if not value and settings.offline and spec.get("offline"):
        value = str(settings.snapshot_dir / str(spec["offline"]))
    return value


def fetch(client: HttpClient, settings: Settings, entry: DatasetEntry) -> dict[str, Path]:
    """The local path of every supplement given for this run."""
    found: dict[str, Path] = {}
    for name, spec in declared(entry).items():
        where = location(settings, entry, name, spec)
        if not where:
            continue
        variable = ENV_PREFIX + str(spec["setting"]).upper()
        path = local_copy(
            client, where, settings.cache_dir / entry.name / "supplements", f"{name}.csv"
        )
        if path is None:
            raise SourceError(
                f"fichier « {name} » introuvable : {Path(where).expanduser()}",
                hint=f"corrigez {variable} (chemin ou URL d'un fichier CSV) ou videz-le",
            )
        found[name] = path
    return found


def is_url(where: str) -> bool:
    return where.startswith(("http://", "https://"))


def local_copy(client: HttpClient, where: str, folder: Path, default_name: str) -> Path | None:
    """A configured path or URL as a local file (None: no such local file).

    A URL is downloaded into ``folder`` (conditional GET, checked cache) under the last
    segment of its path; HTTP and network errors propagate as they are.
    """
    if is_url(where):
        filename = Path(urlsplit(where).path).name or default_name
        return client.download(where, folder / filename).path
    path = Path(where).expanduser()
    return path if path.is_file() else None
