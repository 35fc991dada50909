"""Flow-level tests: the real Prefect engine, in the session-wide harness."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from patrimoine.errors import RunFailed
from patrimoine.pipeline import Outcome
from tests.conftest import make_env
from tests.pipeline.helpers import MERIMEE_ID, aube_rows, clermont_rows, csv_bytes
from tests.servers import UpstreamServer, clermont_communes, upstream_env

pytestmark = pytest.mark.usefixtures("prefect_harness")
NAME = "monuments-historiques"


@pytest.fixture
def patrimoine_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Flows read their settings from the environment, like a deployed worker."""
    env = make_env(tmp_path)
    saved = {k: os.environ.get(k) for k in (*env, "PATRIMOINE_TERRITORY")}
    os.environ.update(env)
    os.environ.pop("PATRIMOINE_TERRITORY", None)
    yield env
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def test_refresh_all_offline_then_unchanged(patrimoine_env: dict[str, str]) -> None:
    from flows.refresh import refresh_all

    state = refresh_all(offline=True, return_state=True)
    assert state.is_completed()
    outcomes = {o.dataset: o for o in state.result()}
    assert len(outcomes) == 11 and {o.status for o in outcomes.values()} == {"updated"}
    first = outcomes[NAME]
    assert first.rows_published == 128
    assert set(first.timings) == {"extract", "transform", "validate", "stage", "publish"}
    for name in outcomes:
        portal = Path(patrimoine_env["PATRIMOINE_PORTAL_DIR"]) / name
        assert (portal / "metadata.json").is_file() and (portal / "changelog.csv").is_file()

    assert {o.status for o in refresh_all(offline=True)} == {"unchanged"}

    # The run's report is attached to the flow run as Prefect artifacts (markdown, table).
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    run_id = state.state_details.flow_run_id
    assert run_id is not None
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    kinds = {a.key: a.type for a in found}
    assert kinds == {"rapport-du-run": "markdown", "bilan-des-jeux": "table"}
    (markdown,) = [a for a in found if a.type == "markdown"]
    assert NAME in str(markdown.data) and "mis à jour" in str(markdown.data)


def test_a_failing_dataset_fails_the_flow_after_running(
    patrimoine_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.refresh import refresh_dataset

    monkeypatch.setenv("PATRIMOINE_TERRITORY", "epci:200000000")  # not in the snapshot
    state = refresh_dataset(NAME, offline=True, return_state=True)
    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, RunFailed)
    (outcome,) = error.outcomes
    assert outcome.status == "failed" and outcome.stage == "territory"
    assert "200000000" in (outcome.error or "")


def _served(upstream: UpstreamServer) -> None:
    upstream.add_epci("246300701", clermont_communes(), nom="Clermont Auvergne Métropole")
    upstream.add_datagouv_dataset(
        MERIMEE_ID, [("csv", "merimee.csv", csv_bytes(clermont_rows() + aube_rows()))]
    )


def _run_flow(
    monkeypatch: pytest.MonkeyPatch, upstream: UpstreamServer
) -> tuple[Outcome, dict[str, int]]:
    """Run the on-demand flow; return the outcome and each task's number of attempts."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.refresh import refresh_dataset

    for key, value in upstream_env(upstream).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PATRIMOINE_TASK_RETRIES", "1")
    monkeypatch.setenv("PATRIMOINE_TASK_RETRY_DELAY", "0")
    state = refresh_dataset(NAME, return_state=True)
    error = state.result(raise_on_failure=False)
    assert isinstance(error, RunFailed)
    (outcome,) = error.outcomes
    assert state.state_details.flow_run_id is not None
    flow_run = FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
    with get_client(sync_client=True) as client:
        task_runs = client.read_task_runs(flow_run_filter=flow_run)
    attempts = {run.name.rsplit("-", 2)[0]: run.run_count for run in task_runs}
    return outcome, attempts


def test_prefect_retries_a_transient_failure(
    patrimoine_env: dict[str, str], upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 503 may heal: the extract task is tried again (HTTP retries inside each attempt)."""
    _served(upstream)
    path = f"/api/1/datasets/{MERIMEE_ID}/"
    upstream.route(path).status(503, {"message": "maintenance"})
    outcome, attempts = _run_flow(monkeypatch, upstream)
    assert outcome.status == "failed" and outcome.stage == "extract"
    assert attempts["extract"] == 2
    assert upstream.count(path) == (2 + 1) * (1 + 1)  # (HTTP retries + 1) × (task retries + 1)


def test_prefect_does_not_retry_what_cannot_heal(
    patrimoine_env: dict[str, str], upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deleted dataset (410), a bad header: one attempt, one French line."""
    _served(upstream)
    upstream.delete_datagouv_dataset(MERIMEE_ID)
    outcome, attempts = _run_flow(monkeypatch, upstream)
    assert outcome.status == "failed" and "HTTP 410" in (outcome.error or "")
    assert attempts["extract"] == 1
    assert upstream.count(f"/api/1/datasets/{MERIMEE_ID}/") == 1


def test_prefect_does_not_retry_an_unwritable_portal(
    patrimoine_env: dict[str, str],
    upstream: UpstreamServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _served(upstream)
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("PATRIMOINE_PORTAL_DIR", str(blocker / "portal"))
    outcome, attempts = _run_flow(monkeypatch, upstream)
    assert outcome.status == "failed" and outcome.stage == "publish"
    assert attempts["publish"] == 1 and attempts["extract"] == 1


def test_retry_condition() -> None:
    from patrimoine.errors import HTTPStatusError, NetworkError, SchemaError
    from tasks import retry_if_transient

    class State:
        def __init__(self, exc: BaseException) -> None:
            self.exc = exc

        def result(self) -> None:
            raise self.exc

    assert retry_if_transient(None, None, State(HTTPStatusError("x", status_code=503)))
    assert retry_if_transient(None, None, State(NetworkError("x", transient=True)))
    assert not retry_if_transient(None, None, State(NetworkError("x", transient=False)))
    assert not retry_if_transient(None, None, State(HTTPStatusError("x", status_code=404)))
    assert not retry_if_transient(None, None, State(SchemaError("x")))
    assert not retry_if_transient(None, None, State(ValueError("x")))


def test_cli_runs_the_prefect_flow(
    patrimoine_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from patrimoine.cli import main

    assert main(["run", "--offline"]) == 0
    assert f"{NAME} : mis à jour" in capsys.readouterr().out


def test_an_unconfigured_dataset_completes_the_flow(patrimoine_env: dict[str, str]) -> None:
    """« non configuré » is not a failure: the task and the flow complete, nothing published."""
    from flows.refresh import refresh_dataset

    name = "espaces-naturels-sensibles"
    os.environ["PATRIMOINE_ENS_SOURCES"] = "01=/nulle/part/ens-01.geojson"  # not the territory's
    try:
        state = refresh_dataset(name, offline=True, return_state=True)
    finally:
        os.environ.pop("PATRIMOINE_ENS_SOURCES", None)
    assert state.is_completed()
    (outcome,) = state.result()
    assert (outcome.dataset, outcome.status, outcome.ok) == (name, "unconfigured", True)
    assert "PATRIMOINE_ENS_SOURCES" in (outcome.error or "")
    assert not (Path(patrimoine_env["PATRIMOINE_PORTAL_DIR"]) / name).exists()


def test_a_flow_stopped_before_its_datasets_sends_a_crash_alert(
    patrimoine_env: dict[str, str], tmp_path: Path
) -> None:
    """The on_failure hook: a catalog that cannot be read stops the flow; one French e-mail."""
    from flows.refresh import refresh_all
    from tests.alerts.servers import SmtpServer

    smtp = SmtpServer("patrimoine", "secret-smtp")
    smtp.start()
    extra = {
        "PATRIMOINE_SMTP_HOST": "127.0.0.1",
        "PATRIMOINE_SMTP_PORT": str(smtp.port),
        "PATRIMOINE_ALERT_TO": "donnees@collectivite.test",
        "PATRIMOINE_CATALOG_DIR": str(tmp_path / "catalogue-absent"),
    }
    os.environ.update(extra)
    try:
        state = refresh_all(offline=True, return_state=True)
    finally:
        for key in extra:
            os.environ.pop(key, None)
        smtp.stop()
    assert state.is_failed()
    (mail,) = smtp.mails
    assert mail.subject == "[patrimoine] Le run « refresh-all » s'est arrêté avant la fin"
    assert "Raison : " in mail.body and "catalogue-absent" in mail.body
    assert "Que faire : " in mail.body
