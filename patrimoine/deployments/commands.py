"""``patrimoine serve`` and ``patrimoine deploy``: the schedule on one machine or a server.

Both print French lines for the people who run them; Prefect's own English start-up
banner is switched off. Neither imports Prefect before its environment is set: Prefect
reads its settings when first imported.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from patrimoine.config import Settings
from patrimoine.deployments.definitions import (
    ON_DEMAND,
    WORK_POOL,
    DeploymentSpec,
    build_deployments,
    describe,
    specs,
)
from patrimoine.prefect_runtime import PrefectServerError, prefect_environment

PROG = "patrimoine"


def _error(message: str) -> None:
    print(f"{PROG} : {message}", file=sys.stderr)


def _prepare_environment(settings: Settings, home: Path) -> None:
    """Prefect's home and quiet defaults, and the run timeout for the runs' processes."""
    home.mkdir(parents=True, exist_ok=True)
    for key, value in prefect_environment(home).items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    # The flow runs are child processes that load their settings from the environment:
    # give them the timeout this command was given (command-line overrides included).
    os.environ["PATRIMOINE_RUN_TIMEOUT"] = str(settings.run_timeout)


@contextlib.contextmanager
def _api(api_url: str) -> Iterator[None]:
    """Point this process (settings context) and its children (environment) at ``api_url``."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    saved = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = api_url
    try:
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            yield
    finally:
        if saved is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = saved


def _reachable(api_url: str) -> bool:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.api_healthcheck() is None


def _manual_run_lines(on_demand: DeploymentSpec, api_url: str) -> list[str]:
    return [
        "Lancer un run à la main :",
        f"  - dans l'interface : Deployments → {on_demand.full_name} → Run → Custom run ;",
        f"  - en ligne de commande (avec PREFECT_API_URL={api_url}) :",
        f"    prefect deployment run '{on_demand.full_name}' "
        "-p datasets='[\"monuments-historiques\"]' -p dry_run=true",
    ]


def _ui_url(api_url: str) -> str:
    return api_url.removesuffix("/api")


def serve(settings: Settings) -> int:
    """Run the schedule and the manual runs in this long-lived process (Prefect ``serve``).

    Uses the server at ``PREFECT_API_URL`` if set; otherwise starts a full local Prefect
    server (UI on http://127.0.0.1:4200, scheduler, history kept in ``var/prefect-serve``)
    that stops with this process. Returns 0 when stopped by Ctrl-C or SIGTERM, 2 when no
    server can be used.
    """
    home = settings.var_dir / "prefect-serve"
    _prepare_environment(settings, home)
    configured = os.environ.get("PREFECT_API_URL", "")
    try:
        with contextlib.ExitStack() as stack:
            if configured:
                api_url = configured
            else:
                from patrimoine.deployments.server import prefect_server

                print("Démarrage d'un serveur Prefect local (interface et planificateur)…")
                api_url = stack.enter_context(prefect_server(home))
            stack.enter_context(_api(api_url))
            if not _reachable(api_url):
                _error(
                    f"le serveur Prefect {api_url} ne répond pas : démarrez-le "
                    "(prefect server start, ou docker compose up -d) ou retirez "
                    "PREFECT_API_URL pour que patrimoine serve démarre le sien"
                )
                return 2
            return _serve_on(settings, api_url)
    except PrefectServerError as exc:
        _error(str(exc))
        return 2


def _serve_on(settings: Settings, api_url: str) -> int:
    from prefect import serve as prefect_serve

    deployments = build_deployments(settings)
    now = datetime.now(UTC)
    definitions = specs(settings)
    print(f"Serveur Prefect : {api_url} (interface : {_ui_url(api_url)})")
    print("Déploiements servis par ce processus :")
    for spec in definitions:
        print("\n".join(describe(spec, now)))
    print("\n".join(_manual_run_lines(_on_demand(definitions), api_url)))
    print("Ce processus exécute les runs : laissez-le tourner (Ctrl-C pour l'arrêter).")
    sys.stdout.flush()
    prefect_serve(*deployments, print_starting_message=False)
    print("Arrêt : la planification est suspendue jusqu'au prochain patrimoine serve.")
    return 0


def _on_demand(definitions: list[DeploymentSpec]) -> DeploymentSpec:
    return next(s for s in definitions if s.name == ON_DEMAND)


def _ensure_work_pool(work_pool: str) -> bool:
    """Create the process work pool if missing; True if it was created."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            pool = client.read_work_pool(work_pool)
        except ObjectNotFound:
            client.create_work_pool(
                WorkPoolCreate(
                    name=work_pool,
                    type=ProcessWorker.type,
                    description="Runs de patrimoine (processus locaux du worker).",
                    base_job_template=ProcessWorker.get_default_base_job_template(),
                )
            )
            return True
    if pool.type != ProcessWorker.type:
        print(
            f"Attention : le pool de travail {work_pool} est de type {pool.type}, "
            f"pas {ProcessWorker.type} ; ses workers doivent avoir patrimoine installé."
        )
    return False


def deploy(settings: Settings, work_pool: str = WORK_POOL) -> int:
    """Register both deployments on the Prefect server at ``PREFECT_API_URL``.

    Creates the ``process`` work pool if missing. Returns 0 once registered, 2 without a
    reachable server (French message saying what to do), 1 if the server refused.
    """
    _prepare_environment(settings, settings.var_dir / "prefect")
    api_url = os.environ.get("PREFECT_API_URL", "")
    if not api_url:
        from prefect.settings import PREFECT_API_URL

        api_url = PREFECT_API_URL.value() or ""
    if not api_url:
        _error(
            "aucun serveur Prefect : définissez PREFECT_API_URL (par exemple "
            "http://localhost:4200/api pour celui de docker compose), ou utilisez "
            "patrimoine serve sur une seule machine"
        )
        return 2
    with _api(api_url):
        if not _reachable(api_url):
            _error(
                f"le serveur Prefect {api_url} ne répond pas : vérifiez qu'il est démarré "
                "(docker compose ps, ou prefect server start) et l'adresse PREFECT_API_URL"
            )
            return 2
        from prefect.exceptions import PrefectHTTPStatusError

        try:
            created = _ensure_work_pool(work_pool)
            for deployment in build_deployments(settings, work_pool):
                deployment.apply(work_pool_name=work_pool)
        except PrefectHTTPStatusError as exc:
            _error(f"le serveur Prefect {api_url} a refusé l'enregistrement : {exc}")
            return 1
    definitions = specs(settings)
    now = datetime.now(UTC)
    if created:
        print(f"Pool de travail créé : {work_pool} (type process).")
    print(f"Déploiements enregistrés sur {api_url} (interface : {_ui_url(api_url)}) :")
    for spec in definitions:
        print("\n".join(describe(spec, now)))
    print(f"Les runs sont exécutés par un worker : prefect worker start --pool {work_pool}")
    print("\n".join(_manual_run_lines(_on_demand(definitions), api_url)))
    return 0
