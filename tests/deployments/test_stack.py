"""A real Prefect server and process worker run the deployed on-demand refresh.

The deployments were registered by ``patrimoine.deployments.deploy`` (see conftest.py);
this triggers ``refresh-all/on-demand`` for one dataset, offline, as a data manager would
from the UI, and waits until the worker has run it to completion.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.alerts.servers import SmtpServer
from tests.deployments.conftest import STACK_SMTP_PASSWORD, PrefectStack

pytestmark = pytest.mark.prefect
DATASET = "frequentation-musees"


@pytest.fixture(autouse=True)
def _environment_restored() -> Iterator[None]:
    """``serve`` and ``deploy`` set Prefect defaults in the environment for their runs."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_deploy_registered_both_deployments(prefect_stack: PrefectStack) -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    assert "refresh-all/nightly" in prefect_stack.deploy_output
    assert "prochain run" in prefect_stack.deploy_output
    with (
        temporary_settings(updates={PREFECT_API_URL: prefect_stack.api_url}),
        get_client(sync_client=True) as client,
    ):
        nightly = client.read_deployment_by_name("refresh-all/nightly")
        on_demand = client.read_deployment_by_name("refresh-all/on-demand")
        pool = client.read_work_pool(prefect_stack.work_pool)
    assert pool.type == "process"
    from prefect.client.schemas.schedules import CronSchedule

    (schedule,) = nightly.schedules
    assert isinstance(schedule.schedule, CronSchedule)
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("30 2 * * *", "Europe/Paris")
    assert on_demand.schedules == [] and on_demand.work_pool_name == prefect_stack.work_pool
    for deployment, strategy in ((nightly, "CANCEL_NEW"), (on_demand, "ENQUEUE")):
        assert deployment.global_concurrency_limit is not None
        assert deployment.global_concurrency_limit.limit == 1
        assert deployment.concurrency_options is not None
        assert deployment.concurrency_options.collision_strategy.value == strategy


def test_on_demand_run_is_executed_by_the_worker(prefect_stack: PrefectStack) -> None:
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_stack.api_url}):
        flow_run = run_deployment(
            "refresh-all/on-demand",
            parameters={"datasets": [DATASET], "offline": True},
            timeout=240,
            poll_interval=1,
        )
    assert isinstance(flow_run, FlowRun) and flow_run.state is not None
    assert flow_run.state.is_completed(), (flow_run.state, flow_run.state.message)
    portal = Path(prefect_stack.worker_env["PATRIMOINE_PORTAL_DIR"]) / DATASET
    assert (portal / "metadata.json").is_file()


def test_a_failing_deployed_run_sends_its_french_alert(
    prefect_stack: PrefectStack, stack_smtp: SmtpServer
) -> None:
    """Started from the deployment (as from the UI): the worker's run fails, the e-mail comes."""
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    name = "espaces-naturels-sensibles"
    before = len(stack_smtp.mails)
    with temporary_settings(updates={PREFECT_API_URL: prefect_stack.api_url}):
        flow_run = run_deployment(
            "refresh-all/on-demand",
            parameters={"datasets": [name], "offline": True},
            timeout=240,
            poll_interval=1,
        )
    assert isinstance(flow_run, FlowRun) and flow_run.state is not None
    assert flow_run.state.is_failed(), (flow_run.state, flow_run.state.message)
    deadline = time.monotonic() + 10
    while len(stack_smtp.mails) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    (mail,) = stack_smtp.mails[before:]
    assert mail.recipients == ["donnees@collectivite.test"]
    assert name in mail.subject
    assert "PATRIMOINE_ENS_SOURCES" in mail.body and "63" in mail.body
    assert STACK_SMTP_PASSWORD not in mail.body
    # A real server: the alert links to the run in its UI.
    assert f"/runs/flow-run/{flow_run.id}" in mail.body


def test_serve_announces_schedule_and_manual_run_in_french(
    prefect_stack: PrefectStack,
    deployment_worker_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``serve`` on a configured server: the French lines, then Prefect's serve loop."""
    import prefect

    from patrimoine.config import load_settings
    from patrimoine.deployments import serve

    served: list[str] = []
    monkeypatch.setattr(prefect, "serve", lambda *ds, **kw: served.extend(d.name for d in ds))
    monkeypatch.setenv("PREFECT_API_URL", prefect_stack.api_url)
    assert serve(load_settings(environ=deployment_worker_env)) == 0
    out = capsys.readouterr().out
    assert served == ["nightly", "on-demand"]
    assert "refresh-all/nightly" in out and "(heure de Paris)" in out
    assert "prefect deployment run 'refresh-all/on-demand'" in out
    assert "Ctrl-C" in out


def test_deploy_without_a_reachable_server_says_so_in_french(
    deployment_worker_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from patrimoine.config import load_settings
    from patrimoine.deployments import deploy
    from patrimoine.deployments.server import free_port

    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")
    assert deploy(load_settings(environ=deployment_worker_env)) == 2
    assert "ne répond pas" in capsys.readouterr().err
