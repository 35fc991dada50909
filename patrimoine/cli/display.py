"""How ``patrimoine run`` shows itself: live on a terminal, plain lines otherwise.

Four modes. ``rich`` on a terminal: one live line per dataset with its stage under way and,
during a download, bytes and rate; then a summary table. ``plain`` when the output is piped,
under cron, with ``NO_COLOR`` or ``TERM=dumb``: timestamped log lines and the text summary,
without colour or control codes. ``quiet`` (``--quiet``): errors and a one-line verdict.
``json`` (``--json``): one JSON document on stdout, errors on stderr.

The progress comes from what the pipeline already says, not from hooks in it: its log
records (each stage's « étape … terminée », the failure lines the summary repeats) and the
download observers of :class:`patrimoine.http.client._Progress`. Rich is imported only in
``rich`` mode.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from patrimoine.cli.logs import SUMMARISED, own_line
from patrimoine.cli.summary import (
    STATUS_FR,
    duration_of,
    format_outcome,
    rows_of,
    summary_title,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, Task, TaskID
    from rich.text import Text

    from patrimoine.config import Settings
    from patrimoine.pipeline import Outcome

PLAIN, RICH, QUIET, JSON = "plain", "rich", "quiet", "json"

STAGE_DONE = "%s : étape %s terminée en %.2f s"
"""The pipeline's end-of-stage line (:meth:`patrimoine.pipeline.Timer.mark`)."""
NEXT_STAGE = {
    "extraction": "transformation",
    "transformation": "validation",
    "validation": "mise en base",
    "mise en base": "publication",
}
"""What follows each stage, as the stage lines name them."""


def choose_mode(quiet: bool, as_json: bool, console: Console | None = None) -> str:
    """``json`` > ``quiet`` > ``rich`` on a real, colour-capable terminal > ``plain``."""
    if as_json:
        return JSON
    if quiet:
        return QUIET
    if console is None and (os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb"):
        return PLAIN
    if console is None:
        import sys

        if not (hasattr(sys.stdout, "isatty") and sys.stdout.isatty()) and not os.environ.get(
            "FORCE_COLOR"
        ):
            return PLAIN  # piped or under cron: do not even import Rich
        console = make_console()
    if console.is_terminal and not console.is_dumb_terminal and not console.no_color:
        return RICH
    return PLAIN


def make_console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


@dataclass
class _Row:
    """What the live display knows about one dataset."""

    name: str
    stage: str = "en attente"
    started: bool = False
    done: bool = False
    failed: bool = False
    downloading: bool = False
    received: int = 0
    total: int | None = None
    rate: float = 0.0


class Tracker:
    """Turns the pipeline's log records and download chunks into per-dataset progress.

    Datasets run one after the other in the order given, so a line about a dataset means
    every earlier one is over, and a download belongs to the first one not over.
    """

    def __init__(self, names: Sequence[str]) -> None:
        self.rows = {name: _Row(name) for name in names}
        self.order = list(names)
        self.lock = threading.Lock()
        self._start(self._current())
        first = self._current()
        if first is not None:
            first.stage = "démarrage"  # the engine and the territory, before any dataset

    def _current(self) -> _Row | None:
        return next((self.rows[n] for n in self.order if not self.rows[n].done), None)

    def _start(self, row: _Row | None) -> None:
        if row is not None and not row.started:
            row.started, row.stage = True, "extraction"

    def _reach(self, name: str) -> _Row:
        """``name`` is under way: every dataset before it is over."""
        for earlier in self.order[: self.order.index(name)]:
            row = self.rows[earlier]
            if not row.done:
                row.done, row.downloading = True, False
                row.stage = "terminé" if not row.failed else row.stage
        row = self.rows[name]
        self._start(row)
        return row

    def _begun(self) -> None:
        """patrimoine speaks: the engine is up, the first dataset's extraction under way."""
        first = self.rows[self.order[0]] if self.order else None
        if first is not None and first.stage == "démarrage":
            first.stage = "extraction"

    def on_record(self, record: logging.LogRecord) -> None:
        with self.lock:
            self._begun()
            if record.msg == STAGE_DONE and isinstance(record.args, tuple):
                name, label = str(record.args[0]), str(record.args[1])
                if name not in self.rows:
                    return
                row = self._reach(name)
                row.downloading = False
                if label in NEXT_STAGE:
                    row.stage = NEXT_STAGE[label]
                else:
                    row.done, row.stage = True, "terminé"
                    self._start(self._current())
                return
            if getattr(record, SUMMARISED, False):
                message = record.getMessage()
                named = next((n for n in self.order if f"« {n} »" in message), None)
                if named is None:
                    return
                row = self._reach(named)
                row.done, row.downloading = True, False
                row.failed = record.levelno >= logging.ERROR
                row.stage = "ÉCHEC" if row.failed else "laissé de côté"
                self._start(self._current())

    def on_download(self, url: str, received: int, total: int | None, seconds: float) -> None:
        with self.lock:
            self._begun()
            row = self._current()
            if row is None:
                return
            row.downloading = received != total or total is None
            row.received, row.total = received, total
            row.rate = received / seconds if seconds > 0 else 0.0


def _megabytes(count: float) -> str:
    return f"{count / 2**20:.1f}"


class RichProgress:
    """The live display: one line per dataset, refreshed from a :class:`Tracker`."""

    def __init__(self, console: Console, names: Sequence[str]) -> None:
        from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn
        from rich.text import Text

        tracker = Tracker(names)

        class _Bytes(ProgressColumn):
            """``12,3 / 54,5 Mo · 3,1 Mo/s`` while the dataset downloads."""

            def render(self, task: Task) -> Text:
                row = tracker.rows[str(task.fields["name"])]
                if not row.downloading:
                    return Text("")
                of = f" / {_megabytes(row.total)}" if row.total else ""
                rate = f" · {_megabytes(row.rate)} Mo/s"
                return Text(f"{_megabytes(row.received)}{of} Mo{rate}", style="cyan")

        class _Elapsed(ProgressColumn):
            def render(self, task: Task) -> Text:
                elapsed = task.finished_time if task.finished else task.elapsed
                if not task.started or elapsed is None:
                    return Text("")
                return Text(f"{elapsed:.1f} s", style="dim")

        self.tracker = tracker
        self.progress: Progress = Progress(
            TextColumn("{task.fields[mark]}"),
            TextColumn("{task.fields[name]}", style="bold"),
            TextColumn("{task.fields[stage]}"),
            BarColumn(bar_width=24),
            _Bytes(),
            _Elapsed(),
            console=console,
            transient=True,
            refresh_per_second=8,
        )
        self.tasks: dict[str, TaskID] = {
            name: self.progress.add_task(
                name, start=False, total=1, name=name, stage="en attente", mark=" "
            )
            for name in names
        }
        self._stopped = threading.Event()

    def refresh(self) -> None:
        """Copy the tracker's state into the Rich tasks (called by a small ticker thread)."""
        with self.tracker.lock:
            tasks = {task.id: task for task in self.progress.tasks}
            for name, task_id in self.tasks.items():
                row = self.tracker.rows[name]
                task = tasks[task_id]
                if row.started and not task.started:
                    self.progress.start_task(task_id)
                if row.done:
                    mark = "[red]✗[/]" if row.failed else "[green]✓[/]"
                    self.progress.update(task_id, total=1, completed=1, stage=row.stage, mark=mark)
                    if not task.finished:
                        self.progress.stop_task(task_id)
                elif row.downloading:
                    self.progress.update(
                        task_id,
                        total=row.total,
                        completed=row.received,
                        stage="téléchargement",
                        mark="[cyan]↓[/]",
                    )
                elif row.started:
                    self.progress.update(
                        task_id, total=None, completed=0, stage=f"{row.stage}…", mark="[cyan]•[/]"
                    )

    def _tick(self) -> None:
        while not self._stopped.wait(0.125):
            self.refresh()

    @contextlib.contextmanager
    def live(self) -> Iterator[None]:
        from patrimoine.http.client import _Progress

        ticker = threading.Thread(target=self._tick, name="patrimoine-progress", daemon=True)
        _Progress.observers.append(self.tracker.on_download)
        try:
            with self.progress:
                self.refresh()
                ticker.start()
                yield
        finally:
            self._stopped.set()
            if ticker.is_alive():
                ticker.join(timeout=1)
            with contextlib.suppress(ValueError):
                _Progress.observers.remove(self.tracker.on_download)


class ConsoleLogHandler(logging.Handler):
    """Log lines printed through the Rich console (above the live display), and fed to the
    tracker. Named without a leading underscore: Prefect keeps such root handlers."""

    def __init__(self, console: Console, verbose: bool) -> None:
        super().__init__()
        self.console, self.verbose = console, verbose
        self.tracker: Tracker | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self.tracker is not None and record.name.startswith("patrimoine"):
                self.tracker.on_record(record)
            if not self.verbose and (
                not own_line(record)
                or record.msg == STAGE_DONE  # the live line shows the stage
                or getattr(record, "patrimoine_progress", False)  # and the download
            ):
                return
            from rich.text import Text

            style = "red" if record.levelno >= logging.ERROR else None
            if record.levelno == logging.WARNING:
                style = "yellow"
            self.console.print(Text(self.format(record), style=style or ""))
        except Exception:
            self.handleError(record)


_STATUS_STYLE = {
    "updated": "green",
    "unchanged": "dim",
    "failed": "bold red",
    "held": "bold yellow",
    "dry-run": "cyan",
    "skipped": "yellow",
    "unconfigured": "dim",
}


def print_table(
    console: Console, outcomes: Sequence[Outcome], settings: Settings, wall: float
) -> None:
    """The summary as a table, then each dataset's details (causes, quarantine, remarks)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=summary_title(settings, wall), title_justify="left", expand=False)
    table.add_column("Jeu", style="bold", no_wrap=True)
    table.add_column("Statut", no_wrap=True)
    table.add_column("Lignes", justify="right")
    table.add_column("+", justify="right", style="green")
    table.add_column("−", justify="right", style="red")
    table.add_column("~", justify="right", style="yellow")
    table.add_column("Durée", justify="right", no_wrap=True)
    table.add_column("Publié dans", overflow="fold")
    for outcome in outcomes:
        diff = outcome.diff
        rows = rows_of(outcome)
        counted = outcome.status not in ("failed", "skipped", "unconfigured")
        table.add_row(
            outcome.dataset,
            Text(
                STATUS_FR.get(outcome.status, outcome.status),
                style=_STATUS_STYLE.get(outcome.status, ""),
            ),
            "" if rows is None else str(rows),
            str(diff.get("added", 0)) if counted else "",
            str(diff.get("removed", 0)) if counted else "",
            str(diff.get("changed", 0)) if counted else "",
            f"{duration_of(outcome):.1f} s",
            outcome.location if outcome.status == "updated" and outcome.location else "",
        )
    console.print(table)
    for outcome in outcomes:
        if outcome.status in ("failed", "skipped", "unconfigured"):
            details = [f"    {outcome.error}"] if outcome.error else []
        else:
            details = format_outcome(outcome).splitlines()[1:]
        if details:
            style = "red" if outcome.status == "failed" else ""
            console.print(Text(f"  {outcome.dataset} :", style=f"bold {style}".strip()))
            for line in details:
                console.print(Text(line, style=style))
