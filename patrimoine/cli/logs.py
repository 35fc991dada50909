"""Console logging of the command line: French lines only, unless ``-v``.

Without ``-v`` the console shows patrimoine's own messages (progress, remarks) as
``HH:MM:SS message``, and nothing from the engine or the libraries; the failure lines the
summary repeats are not printed twice. With ``-v`` everything is shown, tracebacks included.
"""

from __future__ import annotations

import logging

QUIET_LIBRARIES = ("great_expectations", "alembic", "httpx", "httpcore")
"""Loggers kept quiet entirely (Prefect's are filtered at the console handlers only, so that
its records still reach the API: see :mod:`patrimoine.prefect_runtime`)."""
SUMMARISED = "patrimoine_summarised"
"""``extra`` flag of log records whose content the end-of-run summary prints again
(see :data:`patrimoine.pipeline.SUMMARISED`)."""


def own_line(record: logging.LogRecord) -> bool:
    """A line of patrimoine's own that the summary does not print again."""
    own = record.name == "patrimoine" or record.name.startswith("patrimoine.")
    return own and not getattr(record, SUMMARISED, False)


class _OwnLinesOnce(logging.Filter):
    """patrimoine's own messages only, minus those the summary repeats."""

    def filter(self, record: logging.LogRecord) -> bool:
        return own_line(record)


def configure(
    verbose: bool,
    *,
    handler: logging.Handler | None = None,
    errors_only: bool = False,
) -> None:
    """Route the console log to stderr, or to ``handler`` (the live display's, which sees
    every record and filters what it prints itself); ``errors_only`` for ``--quiet`` and
    ``--json`` (ignored with ``-v``)."""
    self_filtering = handler is not None
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler = handler or logging.StreamHandler()
    if errors_only and not verbose:
        handler.setLevel(logging.ERROR)
    if verbose:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.setLevel(logging.INFO)
        logging.getLogger("patrimoine").setLevel(logging.DEBUG)
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
        if not self_filtering:
            handler.addFilter(_OwnLinesOnce())
        root.setLevel(logging.WARNING)
        logging.getLogger("patrimoine").setLevel(logging.INFO)
        for name in QUIET_LIBRARIES:
            logging.getLogger(name).setLevel(logging.CRITICAL)
    root.addHandler(handler)
