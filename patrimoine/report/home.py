"""The local portal's home page: ``index.html`` at the root of the portal folder.

Each catalog dataset with its title, description, downloads, map, charts and last update,
and links to the latest run report and the territory page. Everything on it derives from
the published files and the ledger (no "generated at" time), and it is replaced only when
its bytes change: an unchanged night leaves it untouched.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from patrimoine.catalog import DatasetEntry, load_catalog
from patrimoine.config import Settings
from patrimoine.report.html import e, page, write_if_changed
from patrimoine.report.run_report import (
    CHART_GLOB,
    MAP_FILE,
    chart_label,
    latest_path,
    territory_label,
)
from patrimoine.staging import ledger
from patrimoine.times import paris_text

INDEX = "index.html"
TERRITORY_PAGE = "territoire.html"
TERRITORY_MAP = "carte-territoire.png"
MAP_PAGE = "carte.html"


def _sheet(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / "metadata.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _downloads(entry: DatasetEntry, folder: Path) -> list[tuple[str, str]]:
    """(file name, French label) of the published files, only those that exist."""
    candidates = [
        (f"{entry.name}.csv", "Données (CSV)"),
        (f"{entry.name}.geojson", "Données géographiques (GeoJSON)"),
        ("changelog.csv", "Journal des changements (CSV)"),
        ("metadata.json", "Fiche de métadonnées (JSON)"),
    ]
    return [(name, label) for name, label in candidates if (folder / name).is_file()]


def _last_update(engine: Any, name: str) -> datetime | None:
    """When the published data last changed (the last ``updated`` run)."""
    if engine is None:
        return None
    last = ledger.last_run(engine, name, statuses=("updated",))
    if last is None:
        return None
    moment = last.get("ended_at") or last.get("started_at")
    return moment if isinstance(moment, datetime) else None


def _territory_label(settings: Settings, engine: Any, sheets: list[dict[str, Any]]) -> str:
    for sheet in sheets:
        cover = sheet.get("couverture_spatiale")
        if isinstance(cover, dict) and isinstance(cover.get("territoire"), str):
            return str(cover["territoire"])
    return territory_label(settings, engine)


def _dataset_html(entry: DatasetEntry, folder: Path, sheet: dict[str, Any], engine: Any) -> str:
    name = entry.name
    title = sheet.get("titre") or entry.metadata.title.split(" – {")[0]
    description = str(sheet.get("description") or "").strip()
    parts = [f'<section class="jeu" id="{e(name)}">', f"<h2>{e(title)}</h2>"]
    if description:
        parts += [f"<p>{e(p.strip())}</p>" for p in description.split("\n\n") if p.strip()]
    updated = _last_update(engine, name)
    parts.append(
        f"<p>Dernière mise à jour des données : {e(paris_text(updated))}</p>"
        if updated
        else "<p>Pas encore publié.</p>"
    )
    downloads = _downloads(entry, folder)
    if downloads:
        lis = "".join(
            f'<li><a href="{e(name)}/{e(file)}">{e(label)}</a> <code>{e(file)}</code></li>'
            for file, label in downloads
        )
        parts.append(f'<h3>Téléchargements</h3><ul class="liens">{lis}</ul>')
    if (folder / MAP_PAGE).is_file():
        parts.append(f'<p><a href="{e(name)}/{MAP_PAGE}">Carte interactive</a></p>')
    if (folder / MAP_FILE).is_file():
        parts.append(
            f'<a href="{e(name)}/{MAP_FILE}"><img class="carte" src="{e(name)}/{MAP_FILE}" '
            f'alt="Carte : {e(title)}"></a>'
        )
    charts = sorted(folder.glob(CHART_GLOB))
    if charts:
        parts.append("<h3>Graphiques</h3>")
        for chart in charts:
            label = chart_label(chart)
            parts.append(
                f'<figure><img class="graphique" src="{e(name)}/{e(chart.name)}" '
                f'alt="Graphique : {e(label)}">'
                f"<figcaption>{e(label)}</figcaption></figure>"
            )
    parts.append("</section>")
    return "".join(parts)


def render(settings: Settings) -> str:
    """The page's text, a pure function of the catalog, the portal folder and the ledger."""
    portal = settings.portal_dir
    catalog = load_catalog(settings.catalog_dir)
    try:
        from patrimoine.stages import engine_for

        engine: Any = engine_for(settings)
    except Exception:
        engine = None
    entries = [catalog[n] for n in sorted(catalog)]
    sheets = [_sheet(portal / entry.name) for entry in entries]
    territory = _territory_label(settings, engine, sheets)
    title = f"Patrimoine du territoire — {territory}"
    nav = []
    if (portal / TERRITORY_PAGE).is_file():
        nav.append(f'<a href="{TERRITORY_PAGE}">Carte du territoire</a>')
    report = latest_path(settings)
    if report.is_file():
        rel = Path(os.path.relpath(report, portal)).as_posix()
        nav.append(f'<a href="{e(rel)}">Rapport du dernier run</a>')
    toc = "".join(
        f'<li><a href="#{e(entry.name)}">{e(sheet.get("titre") or entry.name)}</a></li>'
        for entry, sheet in zip(entries, sheets, strict=True)
    )
    body = [
        "<header>",
        f"<h1>{e(title)}</h1>",
        "<p>Les jeux de données du patrimoine du territoire, publiés et mis à jour chaque "
        "nuit à partir des sources publiques.</p>",
        f"<nav><p>{' · '.join(nav)}</p></nav>" if nav else "",
        (
            f'<a href="{TERRITORY_PAGE if (portal / TERRITORY_PAGE).is_file() else TERRITORY_MAP}">'
            f'<img class="carte" src="{TERRITORY_MAP}" alt="Carte du territoire"></a>'
            if (portal / TERRITORY_MAP).is_file()
            else ""
        ),
        "</header>",
        "<main>",
        f'<h2>Jeux de données</h2><ul class="liens">{toc}</ul>',
        *(
            _dataset_html(entry, portal / entry.name, sheet, engine)
            for entry, sheet in zip(entries, sheets, strict=True)
        ),
        "</main>",
    ]
    return page(title, "\n".join(b for b in body if b))


def write(settings: Settings) -> Path:
    """Write ``index.html`` when its bytes changed; its path either way."""
    path = settings.portal_dir / INDEX
    write_if_changed(path, render(settings).encode("utf-8"))
    return path
