"""``patrimoine``: refresh the datasets, and see where they stand and what changed.

Exit codes: 0 every selected dataset updated, unchanged, skipped or not configured (its
source setting is empty), 1 a dataset failed, 2 bad settings or command line, 3 a refresh
is held back and waits for ``--accept-drop``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from patrimoine import __version__
from patrimoine.cli import logs
from patrimoine.cli.summary import STATUS_FR, exit_code, format_outcome, print_summary
from patrimoine.errors import CatalogError, PatrimoineError, RunFailed, SettingsError
from patrimoine.times import paris

if TYPE_CHECKING:
    from rich.console import Console

    from patrimoine.catalog import DatasetEntry
    from patrimoine.config import Settings
    from patrimoine.pipeline import Outcome

# The pipeline, Prefect, Rich and the validation stack are imported where a command needs
# them: ``--help``, ``--version`` and ``status`` start in a fraction of a second.


def paris_time(moment: datetime) -> datetime:
    """Ledger times are UTC (naive when SQLite returns them); people read Paris time."""
    return paris(moment)


def _needs_validation(entries: Sequence[DatasetEntry], settings: Settings) -> bool:
    """False only when every selected dataset is a configured file nobody configured: they
    end « non configuré » before validation, so a run of them need not load GX."""
    for entry in entries:
        setting = str(entry.source.get("setting", ""))
        if entry.source.get("kind") != "configured_file" or settings.offline:
            return True
        if getattr(settings, setting, None):
            return True
    return False


def _run_with_prefect(
    args: argparse.Namespace, settings: Settings, entries: Sequence[DatasetEntry]
) -> list[Outcome]:
    from patrimoine.cli.engine import prefect_run

    return prefect_run(
        settings,
        [e.name for e in entries],
        dry_run=args.dry_run,
        accept_drop=args.accept_drop,
        verbose=args.verbose,
        warm_validation=_needs_validation(entries, settings),
    )


def _refresh(args: argparse.Namespace, settings: Settings, entries: Sequence[DatasetEntry]) -> Any:
    if args.no_prefect:
        from patrimoine.pipeline import refresh_many

        names = [e.name for e in entries]
        return refresh_many(settings, names, dry_run=args.dry_run, accept_drop=args.accept_drop)
    return _run_with_prefect(args, settings, entries)


def _run(
    args: argparse.Namespace,
    settings: Settings,
    started: float,
    mode: str,
    console: Console | None,
) -> int:
    from patrimoine.catalog import load_catalog, select

    entries = select(load_catalog(settings.catalog_dir), args.dataset)
    if args.accept_drop and not args.dataset:
        raise SettingsError(
            "--accept-drop",
            "à confirmer jeu par jeu : ajoutez --dataset <jeu> (voir patrimoine status)",
        )
    if mode == "rich" and console is not None:
        from patrimoine.cli.display import ConsoleLogHandler, RichProgress, print_table

        live = RichProgress(console, [e.name for e in entries])
        handler = next((h for h in _root_handlers() if isinstance(h, ConsoleLogHandler)), None)
        if handler is not None:
            handler.tracker = live.tracker
        with live.live():
            outcomes = _refresh(args, settings, entries)
        code = exit_code(outcomes)
        print_table(console, outcomes, settings, time.perf_counter() - started)
        return code
    outcomes = _refresh(args, settings, entries)
    code = exit_code(outcomes)
    wall = time.perf_counter() - started
    if mode == "json":
        from patrimoine.cli.summary import run_document

        _print_json(run_document(outcomes, settings, wall, code))
    elif mode == "quiet":
        from patrimoine.cli.summary import verdict

        for outcome in outcomes:
            if outcome.status == "failed":
                print(format_outcome(outcome).strip(), file=sys.stderr)
            elif outcome.status == "held":
                print(f"{outcome.dataset} : À CONFIRMER — {outcome.error}", file=sys.stderr)
        print(verdict(outcomes, wall))
    else:
        print_summary(outcomes, settings, wall)
    return code


def _root_handlers() -> list[Any]:
    import logging

    return list(logging.getLogger().handlers)


def _print_json(document: dict[str, Any]) -> None:
    print(json.dumps(document, ensure_ascii=False, indent=2, default=str))


_ARGPARSE_FR = (
    (r"^unrecognized arguments: (.*)$", r"option ou argument inconnu : \1"),
    (r"^the following arguments are required: (.*)$", r"argument obligatoire manquant : \1"),
    (
        r"^argument (.*?): invalid choice: (.*?) \(choose from (.*)\)$",
        r"argument \1 : choix invalide : \2 (possibles : \3)",
    ),
    (r"^argument (.*?): expected one argument$", r"argument \1 : une valeur est attendue"),
    (r"^argument (.*?): invalid (\w+) value: (.*)$", r"argument \1 : valeur invalide : \3"),
    (r"^argument (.*?): not allowed with argument (.*)$", r"argument \1 : incompatible avec \2"),
    (
        r"^argument (.*?): ignored explicit argument (.*)$",
        r"argument \1 : valeur inattendue : \2",
    ),
    (r"^ambiguous option: (.*?) could match (.*)$", r"option ambiguë : \1 (\2 ?)"),
)
"""argparse's English error messages, in French (it has no French catalogue of its own)."""


def french_error(message: str) -> str:
    for pattern, replacement in _ARGPARSE_FR:
        if re.match(pattern, message):
            return re.sub(pattern, replacement, message)
    return message


class _FrenchHelp(argparse.RawDescriptionHelpFormatter):
    """French usage prefix; descriptions and epilogs kept as written (line breaks included)."""

    def add_usage(
        self,
        usage: str | None,
        actions: Any,
        groups: Any,
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, "utilisation : " if prefix is None else prefix)


class FrenchParser(argparse.ArgumentParser):
    """argparse in French: headings, ``-h``, and one-line errors (exit code 2)."""

    def __init__(self, *args: Any, help_option: bool = True, **kwargs: Any) -> None:
        kwargs["add_help"] = False
        kwargs.setdefault("formatter_class", _FrenchHelp)
        super().__init__(*args, **kwargs)
        self._positionals.title = "arguments"
        self._optionals.title = "options"
        if help_option:
            self.add_argument(
                "-h", "--help", action="help", default=argparse.SUPPRESS, help="affiche cette aide"
            )

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog} : {french_error(message)} (voir « {self.prog} --help »)\n")


def _common() -> FrenchParser:
    """Options every command takes, before or after its name (``-v run`` and ``run -v``)."""
    common = FrenchParser(help_option=False)
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="journal détaillé : messages du moteur et des bibliothèques, traces des erreurs",
    )
    return common


RUN_EPILOG = """\
codes de sortie : 0 tout est à jour (ou inchangé, ignoré, non configuré), 1 un jeu a échoué,
2 réglage ou ligne de commande invalide, 3 un rafraîchissement attend une confirmation
(patrimoine run --dataset JEU --accept-drop)"""


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = FrenchParser(
        prog="patrimoine",
        description="Rafraîchit les jeux de données du patrimoine d'un territoire,\n"
        "et montre où ils en sont et ce que les publications ont changé.",
        parents=[common],
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"patrimoine {__version__}",
        help="affiche la version et quitte",
    )
    sub: Any = parser.add_subparsers(
        dest="command",
        required=True,
        title="commandes",
        metavar="COMMANDE",
        parser_class=FrenchParser,
    )

    def command(name: str, help: str, **kwargs: Any) -> FrenchParser:
        kwargs.setdefault("description", _sentence(help))
        made: FrenchParser = sub.add_parser(name, help=help, parents=[common], **kwargs)
        return made

    run = command(
        "run",
        help="rafraîchit les jeux de données",
        description="Rafraîchit les jeux de données : extraction, transformation, validation, "
        "mise en base, publication.",
        epilog=RUN_EPILOG,
    )
    run.add_argument(
        "--dataset", action="append", metavar="JEU", help="seulement ce jeu (option répétable)"
    )
    run.add_argument(
        "--offline",
        action="store_true",
        help="hors ligne : répond aux requêtes amont avec le snapshot embarqué",
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="simulation : extrait, transforme, valide et montre ce qui changerait, "
        "sans rien mettre en base ni publier",
    )
    run.add_argument(
        "--accept-drop",
        action="store_true",
        help="publie un rafraîchissement retenu par un garde-fou (avec --dataset) ; "
        "noté dans l'historique des runs",
    )
    run.add_argument(
        "--no-prefect",
        action="store_true",
        help="mêmes étapes sans le moteur Prefect (démarre plus vite, run non visible "
        "dans l'interface Prefect)",
    )
    output = run.add_mutually_exclusive_group()
    output.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="n'affiche que les erreurs et une ligne de bilan (pour cron) ; mêmes codes de sortie",
    )
    output.add_argument(
        "--json",
        action="store_true",
        help="écrit sur la sortie standard un seul document JSON avec le résultat de chaque "
        "jeu (pour les scripts)",
    )
    status = command(
        "status",
        help="où en est chaque jeu",
        description="Où en est chaque jeu : dernier run et sa raison, dernière publication "
        "réussie,\nlignes publiées et en quarantaine, EN RETARD si la fréquence déclarée "
        "est dépassée.",
    )
    status.add_argument(
        "dataset",
        metavar="JEU",
        nargs="?",
        help="seulement ce jeu, avec toutes les remarques de qualité de son dernier run",
    )
    command("datasets", help="le catalogue, avec le dernier run de chaque jeu")
    changes = command("changes", help="ce que les publications ont changé")
    changes.add_argument("dataset", metavar="JEU", help="le jeu de données")
    changes.add_argument(
        "--run", metavar="RUN", help="seulement ce run (son identifiant ou ses premiers caractères)"
    )
    changes.add_argument(
        "--since", metavar="DATE", help="seulement les changements depuis cette date (AAAA-MM-JJ)"
    )
    command(
        "serve",
        help="lance la planification nocturne dans ce processus (Prefect serve, jusqu'à Ctrl-C)",
    )
    deploy = command(
        "deploy",
        help="enregistre les déploiements (nocturne, à la demande) sur le serveur Prefect",
    )
    deploy.add_argument(
        "--work-pool",
        metavar="NOM",
        default="patrimoine",
        help="file de travail (work pool) Prefect des workers (par défaut : patrimoine)",
    )
    sandbox = command(
        "portal-sandbox",
        help="un data.gouv.fr local pour répéter une publication (jusqu'à Ctrl-C)",
    )
    sandbox.add_argument("--port", type=int, default=8765, help="port sur 127.0.0.1 (8765)")
    sandbox.add_argument(
        "--data", type=Path, metavar="DIR", help="dossier où garder l'état entre deux lancements"
    )
    return parser


def _deploy_command(args: argparse.Namespace, settings: Settings) -> int:
    """``serve`` and ``deploy``: patrimoine.deploy is imported only when asked for."""
    if args.command == "serve":
        from patrimoine.deploy import serve

        return int(serve(settings))
    from patrimoine.deploy import deploy

    return int(deploy(settings, work_pool=args.work_pool))


def main(argv: Sequence[str] | None = None, *, console: Console | None = None) -> int:
    """Run one command; ``console`` stands for the terminal (tests force one)."""
    started = time.perf_counter()  # the summary's wall time: everything after the start
    args = build_parser().parse_args(argv)
    args.verbose = getattr(args, "verbose", False)
    mode = "plain"
    if args.command == "run":
        from patrimoine.cli.display import ConsoleLogHandler, choose_mode, make_console

        mode = choose_mode(args.quiet, args.json, console)
        if mode == "rich":
            console = console or make_console()
            logs.configure(args.verbose, handler=ConsoleLogHandler(console, args.verbose))
        else:
            logs.configure(args.verbose, errors_only=mode in ("quiet", "json"))
    else:
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
    settings: Settings | None = None

    def failed(code: int, message: str) -> int:
        print(f"patrimoine : {message}", file=sys.stderr)
        if mode == "json":
            from patrimoine.cli.summary import run_document

            wall = time.perf_counter() - started
            _print_json(run_document([], settings, wall, code, error=message))
        return code

    try:
        from patrimoine.config import load_settings

        settings = load_settings()
        if getattr(args, "offline", False):
            settings = settings.with_overrides(offline=True)
        if args.command == "run":
            return _run(args, settings, started, mode, console)
        if args.command in ("serve", "deploy"):
            return _deploy_command(args, settings)
        if args.command == "changes":
            from patrimoine.cli.changes import run_changes

            return run_changes(settings, args.dataset, args.run, args.since)
        from patrimoine.cli.status import run_datasets, run_status

        if args.command == "status":
            return run_status(settings, args.dataset)
        return run_datasets(settings)
    except (SettingsError, CatalogError) as exc:
        return failed(2, str(exc))
    except RunFailed as exc:  # pragma: no cover - prefect_run returns outcomes
        return failed(1, str(exc))
    except PatrimoineError as exc:
        return failed(1, str(exc))
    except KeyboardInterrupt:
        print("patrimoine : interrompu", file=sys.stderr)
        return 130


__all__ = ["STATUS_FR", "build_parser", "format_outcome", "main", "paris_time"]
