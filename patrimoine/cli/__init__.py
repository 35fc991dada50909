"""``patrimoine``: refresh the datasets, and see where they stand and what changed.

Exit codes: 0 every selected dataset updated, unchanged, skipped or not configured (its
source setting is empty), 1 a dataset failed, 2 bad settings or command line, 3 a refresh
is held back and waits for ``--accept-drop``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from patrimoine.catalog import load_catalog, select
from patrimoine.cli import logs
from patrimoine.cli.summary import STATUS_FR, exit_code, format_outcome, print_summary
from patrimoine.config import Settings, load_settings
from patrimoine.errors import CatalogError, PatrimoineError, RunFailed, SettingsError
from patrimoine.pipeline import Outcome, refresh_many
from patrimoine.times import paris


def paris_time(moment: datetime) -> datetime:
    """Ledger times are UTC (naive when SQLite returns them); people read Paris time."""
    return paris(moment)


def _run_with_prefect(
    args: argparse.Namespace, settings: Settings, names: list[str]
) -> list[Outcome]:
    from patrimoine.cli.engine import prefect_run

    return prefect_run(
        settings,
        names,
        dry_run=args.dry_run,
        accept_drop=args.accept_drop,
        verbose=args.verbose,
    )


def _run(args: argparse.Namespace, settings: Settings) -> int:
    started = time.perf_counter()
    entries = select(load_catalog(settings.catalog_dir), args.dataset)
    names = [e.name for e in entries]
    if args.accept_drop and not args.dataset:
        raise SettingsError(
            "--accept-drop",
            "à confirmer jeu par jeu : ajoutez --dataset <jeu> (voir patrimoine status)",
        )
    if args.no_prefect:
        outcomes = refresh_many(settings, names, dry_run=args.dry_run, accept_drop=args.accept_drop)
    else:
        outcomes = _run_with_prefect(args, settings, names)
    print_summary(outcomes, settings, time.perf_counter() - started)
    return exit_code(outcomes)


def _common() -> argparse.ArgumentParser:
    """Options every command takes, before or after its name (``-v run`` and ``run -v``)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="detailed logs, engine messages and tracebacks",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="patrimoine", description=(__doc__ or "").splitlines()[0], parents=[common]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="refresh the datasets", parents=[common])
    run.add_argument(
        "--dataset", action="append", metavar="NAME", help="only this dataset (repeatable)"
    )
    run.add_argument(
        "--offline", action="store_true", help="answer upstream requests from the bundled snapshot"
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="extract, transform and validate, show what would change; stage and publish nothing",
    )
    run.add_argument(
        "--accept-drop",
        action="store_true",
        help="publish a refresh held back by a guard (with --dataset); recorded in the ledger",
    )
    run.add_argument(
        "--no-prefect", action="store_true", help="run the same stages without the Prefect engine"
    )
    status = sub.add_parser("status", help="where each dataset stands", parents=[common])
    status.add_argument(
        "dataset",
        metavar="DATASET",
        nargs="?",
        help="only this dataset, with every data-quality remark of its last run",
    )
    sub.add_parser(
        "datasets", help="list the catalog with the last run of each dataset", parents=[common]
    )
    changes = sub.add_parser("changes", help="what the publications changed", parents=[common])
    changes.add_argument("dataset", metavar="DATASET")
    changes.add_argument("--run", metavar="RUN", help="only this run (id or its first characters)")
    changes.add_argument(
        "--since", metavar="DATE", help="only changes since this date (YYYY-MM-DD)"
    )
    sandbox = sub.add_parser(
        "portal-sandbox",
        help="un data.gouv.fr local pour répéter une publication (jusqu'à Ctrl-C)",
        parents=[common],
    )
    sandbox.add_argument("--port", type=int, default=8765, help="port sur 127.0.0.1 (8765)")
    sandbox.add_argument(
        "--data", type=Path, metavar="DIR", help="dossier où garder l'état entre deux lancements"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.verbose = getattr(args, "verbose", False)
    logs.configure(args.verbose)
    from patrimoine.prefect_runtime import quiet_engine_logging

    quiet_engine_logging(args.verbose)
    if args.command == "portal-sandbox":
        from patrimoine.cli.sandbox import run_portal_sandbox

        try:
            return run_portal_sandbox(args.port, args.data)
        except OSError as exc:
            print(f"patrimoine : port {args.port} indisponible : {exc}", file=sys.stderr)
            return 2
    try:
        settings = load_settings()
        if getattr(args, "offline", False):
            settings = settings.with_overrides(offline=True)
        if args.command == "run":
            return _run(args, settings)
        if args.command == "changes":
            from patrimoine.cli.changes import run_changes

            return run_changes(settings, args.dataset, args.run, args.since)
        from patrimoine.cli.status import run_datasets, run_status

        if args.command == "status":
            return run_status(settings, args.dataset)
        return run_datasets(settings)
    except (SettingsError, CatalogError) as exc:
        print(f"patrimoine : {exc}", file=sys.stderr)
        return 2
    except RunFailed as exc:  # pragma: no cover - prefect_run returns outcomes
        print(f"patrimoine : {exc}", file=sys.stderr)
        return 1
    except PatrimoineError as exc:
        print(f"patrimoine : {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("patrimoine : interrompu", file=sys.stderr)
        return 130


__all__ = ["STATUS_FR", "build_parser", "format_outcome", "main", "paris_time"]
