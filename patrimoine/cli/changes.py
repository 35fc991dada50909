"""``patrimoine changes``: what the publications changed, record by record."""

from __future__ import annotations

from datetime import datetime

from patrimoine.catalog import load_catalog, select
from patrimoine.config import Settings
from patrimoine.errors import SettingsError
from patrimoine.publish.render import cell_text
from patrimoine.staging import history, ledger
from patrimoine.times import PARIS, paris


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        day = datetime.fromisoformat(text)
    except ValueError:
        raise SettingsError("--since", f"« {text} » : attendu une date AAAA-MM-JJ") from None
    return day.replace(tzinfo=PARIS) if day.tzinfo is None else day


def run_changes(settings: Settings, dataset: str, run: str | None, since: str | None) -> int:
    from patrimoine.stages import engine_for

    (entry,) = select(load_catalog(settings.catalog_dir), [dataset])
    engine = engine_for(settings)
    runs = None
    if run is not None:
        matches = [
            r["run_id"] for r in ledger.runs_of(engine, dataset) if r["run_id"].startswith(run)
        ]
        if len(matches) != 1:
            raise SettingsError(
                "--run", f"« {run} » ne désigne pas un run de {dataset} ({len(matches)} trouvés)"
            )
        runs = matches
    found = history.changes(engine, entry, runs=runs, since=_since(since))
    if not found:
        print(f"Aucun changement enregistré pour {dataset}.")
        return 0
    print(f"Changements de {dataset} ({len(found)}), du plus récent au plus ancien :")
    for change in found:
        when = f"{paris(change.at):%d/%m/%Y %H:%M}"
        line = f"  {when}  run {change.run_id[:8]}  {change.change:<13} {change.key}"
        if change.change == history.MODIFIED:
            line += f"  {change.column} : « {cell_text(change.old)} » → « {cell_text(change.new)} »"
        elif change.column:
            line += f"  {change.column}"
        print(line)
    return 0
