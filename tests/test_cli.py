from __future__ import annotations

from pathlib import Path

import pytest

from patrimoine.cli import main
from tests.conftest import make_env


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = make_env(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PATRIMOINE_TERRITORY", raising=False)
    return env


def test_offline_run_then_unchanged_then_datasets(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--offline", "--no-prefect"]) == 0
    first = capsys.readouterr().out
    assert "monuments-historiques : mis à jour — 122 lignes (+122 / -0 / ~0)" in first
    portal = Path(cli_env["PATRIMOINE_PORTAL_DIR"]) / "monuments-historiques"
    assert sorted(p.name for p in portal.iterdir()) == [
        "metadata.json",
        "monuments-historiques.csv",
        "monuments-historiques.geojson",
    ]
    assert main(["run", "--offline", "--no-prefect", "--dataset", "monuments-historiques"]) == 0
    assert "monuments-historiques : inchangé — 122 lignes (+0 / -0 / ~0)" in capsys.readouterr().out
    assert main(["datasets"]) == 0
    listing = capsys.readouterr().out
    assert "monuments-historiques" in listing and "inchangé" in listing


def test_dry_run_reports_without_publishing(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--offline", "--no-prefect", "--dry-run"]) == 0
    assert "simulation (rien publié) — 122 lignes (+122 / -0 / ~0)" in capsys.readouterr().out
    assert not (Path(cli_env["PATRIMOINE_PORTAL_DIR"]) / "monuments-historiques").exists()


def test_failed_dataset_exits_1_with_the_cause(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATRIMOINE_TERRITORY", "epci:200000000")
    assert main(["run", "--offline", "--no-prefect"]) == 1
    out = capsys.readouterr().out
    assert "ÉCHEC" in out and "étape territory" in out and "200000000" in out


def test_unknown_dataset_exits_2(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--offline", "--no-prefect", "--dataset", "musees"]) == 2
    assert "jeu(x) inconnu(s) : musees" in capsys.readouterr().err


def test_ledger_times_are_shown_in_paris_time() -> None:
    from datetime import UTC, datetime

    from patrimoine.cli import paris_time

    assert paris_time(datetime(2026, 7, 1, 0, 30)).hour == 2  # naive = UTC, summer time
    assert paris_time(datetime(2026, 12, 1, 0, 30, tzinfo=UTC)).hour == 1


def test_summary_lists_validation_warnings() -> None:
    from patrimoine.cli import format_outcome
    from patrimoine.pipeline import Outcome

    outcome = Outcome(
        dataset="monuments-historiques",
        status="updated",
        run_id="r",
        rows_published=3,
        diff={"added": 3},
        timings={"extract": 0.5},
        location="var/portal/x",
        warnings=["Valeurs hors de la liste attendue dans « statut_protection »"],
    )
    text = format_outcome(outcome)
    assert text.splitlines() == [
        "  monuments-historiques : mis à jour — 3 lignes (+3 / -0 / ~0) en 0.5 s → var/portal/x",
        "    1 avertissement : Valeurs hors de la liste attendue dans « statut_protection »",
    ]
