"""Flow-level tests: the real Prefect engine, in the session-wide harness."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from patrimoine.errors import RunFailed
from tests.conftest import make_env

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def patrimoine_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Flows read their settings from the environment, like a deployed worker."""
    env = make_env(tmp_path)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
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
    (first,) = state.result()
    assert first.status == "updated" and first.rows_published and first.rows_published > 0
    assert set(first.timings) == {"extract", "transform", "validate", "stage", "publish"}
    portal = Path(patrimoine_env["PATRIMOINE_PORTAL_DIR"]) / "monuments-historiques"
    assert (portal / "metadata.json").is_file()

    (second,) = refresh_all(offline=True)
    assert second.status == "unchanged"


def test_a_failing_dataset_fails_the_flow_after_running(
    patrimoine_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.refresh import refresh_dataset

    monkeypatch.setenv("PATRIMOINE_TERRITORY", "epci:200000000")  # not in the snapshot
    state = refresh_dataset("monuments-historiques", offline=True, return_state=True)
    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, RunFailed)
    (outcome,) = error.outcomes
    assert outcome.status == "failed" and outcome.stage == "territory"
    assert "200000000" in (outcome.error or "")


def test_cli_runs_the_prefect_flow(
    patrimoine_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from patrimoine.cli import main

    assert main(["run", "--offline"]) == 0
    assert "monuments-historiques : mis à jour" in capsys.readouterr().out
