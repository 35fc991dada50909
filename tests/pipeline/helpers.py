"""Shared pieces of the end-to-end refresh tests: a national Mérimée file served by the local
upstream, two territories (Clermont Auvergne Métropole with its real contours, and two
communes of the Aube), and readers of what was staged and published."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

from patrimoine.catalog import DatasetEntry
from patrimoine.config import Settings
from patrimoine.stages import engine_for, entry_for
from patrimoine.staging import ledger, tables
from tests.conftest import make_settings
from tests.samples.merimee import (
    MERIMEE_HEADER,
    Commune,
    sample_rows,
    with_contours,
    write_merimee_csv,
)
from tests.servers import UpstreamServer, real_contours, upstream_env

MERIMEE_ID = "5af120e5b595087cfabcde81"
NAME = "monuments-historiques"
AUBE_EPCI = "241000405"
AUBE = [
    Commune("10064", "Brienne-le-Château", "10", "44", 48.3934, 4.5266),
    Commune("10325", "Saint-Léger-sous-Brienne", "10", "44", 48.4000, 4.4900),
]
CLERMONT = with_contours(
    [
        Commune("63113", "Clermont-Ferrand", "63", "84", 45.7772, 3.0870),
        Commune("63075", "Chamalières", "63", "84", 45.7745, 3.0672),
        Commune("63308", "Royat", "63", "84", 45.7650, 3.0510),
    ],
    real_contours(),
)


def csv_bytes(rows: list[dict[str, str]], header: tuple[str, ...] = MERIMEE_HEADER) -> bytes:
    buffer = io.StringIO(newline="")
    write_merimee_csv(rows, buffer, header)
    return buffer.getvalue().encode("utf-8")


def aube_rows() -> list[dict[str, str]]:
    return sample_rows(AUBE, 3, seed=7, traps=False, ref_start=500)


def clermont_rows(per_commune: int = 4) -> list[dict[str, str]]:
    return sample_rows(CLERMONT, per_commune, seed=3, traps=False)


def shuffled(rows: list[dict[str, str]], seed: int = 1) -> list[dict[str, str]]:
    copy = list(rows)
    random.Random(seed).shuffle(copy)
    return copy


def serve(upstream: UpstreamServer, rows: list[dict[str, str]], **kwargs: Any) -> None:
    """The producer replaces its national file (new URL, as data.gouv.fr does)."""
    upstream.replace_file(MERIMEE_ID, "merimee.csv", csv_bytes(rows, **kwargs))


def settings_for(tmp_path: Path, server: UpstreamServer, **extra: str) -> Settings:
    return make_settings(tmp_path, **upstream_env(server), **extra)


def entry(settings: Settings) -> DatasetEntry:
    return entry_for(settings, NAME)


def published(settings: Settings) -> dict[str, bytes]:
    """Every published file of the dataset, by name (empty before the first publication)."""
    folder = settings.portal_dir / NAME
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def published_csv(settings: Settings) -> list[dict[str, str]]:
    import csv

    text = published(settings)[f"{NAME}.csv"].decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def changelog(settings: Settings) -> list[dict[str, str]]:
    import csv

    text = published(settings)["changelog.csv"].decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def geojson_refs(settings: Settings) -> set[str]:
    collection = json.loads(published(settings)[f"{NAME}.geojson"])
    return {f["properties"]["reference"] for f in collection["features"]}


def staged_refs(settings: Settings) -> list[str]:
    e = entry(settings)
    return [r[0] for r in tables.read_rows(engine_for(settings), e, tables.staged_name(e))]


def last_run(settings: Settings) -> dict[str, Any]:
    runs = ledger.runs_of(engine_for(settings), NAME)
    run = dict(runs[-1])
    run["details"] = json.loads(run["details"] or "{}")
    return run


def mtimes(settings: Settings) -> dict[str, int]:
    folder = settings.portal_dir / NAME
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
