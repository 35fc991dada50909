"""``patrimoine run`` through the Prefect engine: a private API server unless one is set.

With ``PREFECT_API_URL`` in the environment (a real server, for example the one of
docker-compose.yml) the run is recorded there and visible in its UI. Without it, a
temporary server is started for this process only and dies with it, even when the CLI is
killed (see :mod:`patrimoine.prefect_runtime`). Prefect reads its settings when it is first
imported, so nothing here imports it before the environment is ready.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

from patrimoine.config import Settings
from patrimoine.errors import RunFailed
from patrimoine.pipeline import Outcome
from patrimoine.prefect_runtime import prefect_environment, quiet_engine_logging, temporary_server


@contextlib.contextmanager
def _api(settings: Settings, *, warm_validation: bool = True) -> Iterator[None]:
    home = settings.var_dir / "prefect"
    home.mkdir(parents=True, exist_ok=True)
    for key, value in prefect_environment(home).items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    if os.environ.get("PREFECT_API_URL") or "prefect" in sys.modules:
        yield  # a configured server, or an engine already set up by the caller (tests)
        return
    # The private server stops with the run: an alert must not link to its UI.
    saved_ui = os.environ.get("PREFECT_UI_URL")
    os.environ["PREFECT_UI_URL"] = ""
    try:
        with temporary_server(
            home, while_starting=lambda url: _warm_up(url, validation=warm_validation)
        ) as api_url:
            os.environ["PREFECT_API_URL"] = api_url
            yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        if saved_ui is None:
            os.environ.pop("PREFECT_UI_URL", None)
        else:
            os.environ["PREFECT_UI_URL"] = saved_ui


def _warm_up(api_url: str, *, validation: bool = True) -> None:
    """Import what the run needs while the server boots (its port is known already).

    Prefect and the flows first (about 1 s), with ``PREFECT_API_URL`` set since Prefect
    reads its settings at import; then, only if a dataset will be validated, the
    validation stack (about 2 s of Great Expectations imports).
    """
    os.environ["PREFECT_API_URL"] = api_url
    import flows.refresh  # noqa: F401

    if validation:
        import great_expectations  # noqa: F401
        import pandas  # noqa: F401


def prefect_run(
    settings: Settings,
    names: list[str],
    *,
    dry_run: bool,
    accept_drop: bool,
    verbose: bool,
    warm_validation: bool = True,
) -> list[Outcome]:
    """Run the ``refresh-all`` flow on ``names`` and return every dataset's outcome."""
    with _api(settings, warm_validation=warm_validation):
        from flows.refresh import refresh_all

        quiet_engine_logging(verbose)  # again: Prefect added its handlers at import
        state = refresh_all(
            names,
            offline=settings.offline,
            dry_run=dry_run,
            accept_drop=accept_drop,
            return_state=True,
        )
        result = state.result(raise_on_failure=False)
    if isinstance(result, RunFailed):
        return list(result.outcomes)
    if isinstance(result, BaseException):
        raise result
    return list(result)
