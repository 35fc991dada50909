"""``patrimoine status`` and ``patrimoine datasets``: where each dataset stands."""

from __future__ import annotations

from typing import Any

from patrimoine.catalog import load_catalog, select
from patrimoine.cli.summary import STATUS_FR
from patrimoine.config import Settings
from patrimoine.status import DatasetStatus, dataset_status
from patrimoine.times import paris_text
from patrimoine.transforms.stats import MAX_EXAMPLES, remarks_fr


def _run_line(run: dict[str, Any] | None) -> str:
    if run is None:
        return "jamais exécuté"
    status = str(run["status"])
    text = f"{paris_text(run['started_at'])} : {STATUS_FR.get(status, status)}"
    if run.get("error") and status not in ("updated", "unchanged"):
        text += f" — {run['error']}"
    return text


def format_status(status: DatasetStatus, title: str) -> list[str]:
    success = status.last_success
    update = status.last_update
    lines = [f"{status.name} — {title}" + ("  [EN RETARD]" if status.late else "")]
    lines.append(f"  dernier run : {_run_line(status.last_run)}")
    if status.running:
        lines.append(f"  run en cours depuis le {paris_text(status.running['started_at'])}")
    lines.append(
        "  dernière publication réussie : "
        + (
            f"{paris_text(success['started_at'])} ({STATUS_FR[str(success['status'])]})"
            if success
            else "aucune"
        )
    )
    if update and update is not success:
        lines.append(f"  dernière modification publiée : {paris_text(update['started_at'])}")
    if success:
        published = "?" if status.rows_published is None else status.rows_published
        lines.append(
            f"  lignes publiées : {published}, en quarantaine : {status.rows_quarantined or 0}"
        )
    if status.validation:
        lines.append(f"  validation : {status.validation}")
    for portal in status.portals:
        count = len(portal.resources)
        lines.append(
            f"  sur le portail {portal.portal} ({portal.base_url}) : jeu {portal.remote_id}, "
            f"{count} ressource{'s' if count > 1 else ''}"
        )
    if status.late:
        lines.append(
            f"  en retard : aucune publication réussie depuis plus de {status.max_age_days} jours "
            "(fréquence déclarée du jeu)"
        )
    return lines


def remark_lines(status: DatasetStatus) -> list[str]:
    """Every data-quality remark of the last run, with up to 20 identifiers each."""
    details = (status.last_run or {}).get("details") or {}
    remarks = remarks_fr(details.get("transform") or {}, examples=MAX_EXAMPLES)
    if not remarks:
        return []
    return ["  remarques du dernier run :", *(f"    {remark}" for remark in remarks)]


def run_status(settings: Settings, name: str | None = None) -> int:
    from patrimoine.stages import engine_for
    from patrimoine.staging import territory_store

    catalog = load_catalog(settings.catalog_dir)
    entries = select(catalog, [name] if name else None)
    engine = engine_for(settings)
    territory = territory_store.load(engine, settings.territory.key)
    label = territory.label if territory else settings.territory.key
    print(f"État des jeux — territoire {label} :")
    for entry in entries:
        title = entry.metadata.title.format(territoire=label)
        status = dataset_status(engine, entry)
        lines = format_status(status, title) + (remark_lines(status) if name else [])
        for line in lines:
            print(f"  {line}")
    return 0


def run_datasets(settings: Settings) -> int:
    from patrimoine.stages import engine_for
    from patrimoine.staging import territory_store

    catalog = load_catalog(settings.catalog_dir)
    engine = engine_for(settings)
    territory = territory_store.load(engine, settings.territory.key)
    label = territory.label if territory else settings.territory.key
    print("Jeux de données du catalogue :")
    for name, entry in catalog.items():
        status = dataset_status(engine, entry)
        success = status.last_success
        print(
            f"  {name} — {entry.metadata.title.format(territoire=label)} — "
            f"source {entry.source['kind']} — dernier run : {_run_line(status.last_run)} — "
            "dernière publication réussie : "
            + (paris_text(success["started_at"]) if success else "aucune")
            + (" [EN RETARD]" if status.late else "")
        )
    return 0
