"""``patrimoine``: run the refresh, list the catalog.

Exit codes: 0 every selected dataset updated or unchanged, 1 a dataset failed,
2 bad settings or command line.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from patrimoine.catalog import load_catalog, select
from patrimoine.config import Settings, load_settings
from patrimoine.errors import CatalogError, PatrimoineError, RunFailed, SettingsError
from patrimoine.pipeline import Outcome, refresh_many

STATUS_FR = {
    "updated": "mis à jour",
    "unchanged": "inchangé",
    "dry-run": "simulation (rien publié)",
    "failed": "ÉCHEC",
    "interrupted": "interrompu",
    "running": "en cours",
}


def _prefect_environment(settings: Settings) -> None:
    """Quiet, local Prefect defaults, set before prefect is imported."""
    defaults = {
        "PREFECT_HOME": str(settings.var_dir / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_LOGGING_EXTRA_LOGGERS": "patrimoine",
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
        "GX_ANALYTICS_ENABLED": "false",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)


def paris_time(moment: datetime) -> datetime:
    """Ledger times are UTC (naive when SQLite returns them); people read Paris time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo("Europe/Paris"))


def format_outcome(outcome: Outcome) -> str:
    label = STATUS_FR.get(outcome.status, outcome.status)
    seconds = sum(outcome.timings.values())
    if outcome.status == "failed":
        return f"  {outcome.dataset} : {label} — {outcome.error}"
    diff = outcome.diff
    changes = f"+{diff.get('added', 0)} / -{diff.get('removed', 0)} / ~{diff.get('changed', 0)}"
    rows = outcome.rows_published if outcome.rows_published is not None else outcome.rows_kept
    where = f" → {outcome.location}" if outcome.status == "updated" and outcome.location else ""
    line = f"  {outcome.dataset} : {label} — {rows} lignes ({changes}) en {seconds:.1f} s{where}"
    if outcome.warnings:
        count = len(outcome.warnings)
        line += f"\n    {count} avertissement{'s' if count > 1 else ''} : " + " ; ".join(
            outcome.warnings
        )
    return line


def print_summary(outcomes: Sequence[Outcome], settings: Settings) -> None:
    mode = " (hors ligne, snapshot embarqué)" if settings.offline else ""
    print(f"Résumé du run{mode} — territoire {settings.territory.key} :")
    for outcome in outcomes:
        print(format_outcome(outcome))


def _run(args: argparse.Namespace, settings: Settings) -> int:
    entries = select(load_catalog(settings.catalog_dir), args.dataset)
    names = [e.name for e in entries]
    if args.no_prefect:
        outcomes = refresh_many(settings, names, dry_run=args.dry_run)
    else:
        _prefect_environment(settings)
        from flows.refresh import refresh_all

        state = refresh_all(
            names, offline=settings.offline, dry_run=args.dry_run, return_state=True
        )
        result = state.result(raise_on_failure=False)
        if isinstance(result, RunFailed):
            outcomes = result.outcomes
        elif isinstance(result, BaseException):
            raise result
        else:
            outcomes = result
    print_summary(outcomes, settings)
    return 0 if all(o.ok for o in outcomes) else 1


def _datasets(settings: Settings) -> int:
    from patrimoine.stages import engine_for
    from patrimoine.staging import territory_store
    from patrimoine.staging.ledger import last_runs

    catalog = load_catalog(settings.catalog_dir)
    engine = engine_for(settings)
    runs = last_runs(engine)
    territory = territory_store.load(engine, settings.territory.key)
    label = territory.label if territory else settings.territory.key
    print("Jeux de données du catalogue :")
    for name, entry in catalog.items():
        run = runs.get(name)
        last = (
            f"dernier run le {paris_time(run['started_at']):%d/%m/%Y à %H:%M} : "
            f"{STATUS_FR.get(run['status'], run['status'])}"
            if run
            else "jamais exécuté"
        )
        print(
            f"  {name} — {entry.metadata.title.format(territoire=label)} — "
            f"source {entry.source['kind']} — {last}"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="patrimoine", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="detailed logs")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="refresh the datasets")
    run.add_argument(
        "--dataset", action="append", metavar="NAME", help="only this dataset (repeatable)"
    )
    run.add_argument(
        "--offline", action="store_true", help="answer upstream requests from the bundled snapshot"
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="extract, transform and validate; stage and publish nothing",
    )
    run.add_argument(
        "--no-prefect", action="store_true", help="run the same stages without the Prefect engine"
    )
    sub.add_parser("datasets", help="list the catalog with the last run of each dataset")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("patrimoine").setLevel(logging.INFO)
    try:
        settings = load_settings()
        if getattr(args, "offline", False):
            settings = settings.with_overrides(offline=True)
        if args.command == "run":
            return _run(args, settings)
        return _datasets(settings)
    except (SettingsError, CatalogError) as exc:
        print(f"patrimoine : {exc}", file=sys.stderr)
        return 2
    except PatrimoineError as exc:
        print(f"patrimoine : {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
