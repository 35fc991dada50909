"""The run report and the home page, from the offline snapshot (no browser needed)."""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from patrimoine import report as report_pkg
from patrimoine.config import PROJECT_DIR
from patrimoine.pipeline import Outcome, refresh_many
from patrimoine.report import artifacts, home, run_report
from patrimoine.stages import engine_for
from patrimoine.staging import ledger
from patrimoine.validation.report import ValidationReport
from tests.report.conftest import OfflineRun, copied_run, offline_run

SMALL = "jardins-remarquables"
"""One quick dataset, for what a single refresh shows as well as eleven."""
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root`` (links followed), with its bytes and modification time."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            found[str(path.relative_to(root))] = (path.read_bytes(), path.stat().st_mtime_ns)
    return found


def test_an_unchanged_night_rewrites_nothing_in_the_portal(
    snapshot_run: OfflineRun, tmp_path: Path
) -> None:
    first = copied_run(snapshot_run, tmp_path)
    before = _tree(first.portal)
    assert "index.html" in before
    reports = sorted((tmp_path / "rapports").glob("run-*.html"))
    second = offline_run(tmp_path)
    assert {o.status for o in second.outcomes} == {"unchanged"}
    assert _tree(second.portal) == before
    after = sorted((tmp_path / "rapports").glob("run-*.html"))
    assert len(after) == len(reports) + 1
    assert second.latest_report.read_bytes() == after[-1].read_bytes()
    assert "inchangé" in second.latest_report.read_text("utf-8")


def test_the_report_names_the_quarantined_records_and_every_change(
    snapshot_run: OfflineRun,
) -> None:
    html = snapshot_run.latest_report.read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="fr">' in html
    assert "http://" not in html and "https://" not in html.split("<main>")[0]
    engine = engine_for(snapshot_run.settings)
    quarantined = [o for o in snapshot_run.outcomes if o.rows_quarantined]
    assert quarantined
    for outcome in quarantined:
        record = ledger.run(engine, outcome.run_id)
        assert record is not None
        stored = ValidationReport.from_dict(record["details"]["validation"])
        section = html.split(f'id="{outcome.dataset}"', 1)[1].split("</section>", 1)[0]
        assert f"en quarantaine : {outcome.rows_quarantined}" in section
        for key in stored.quarantine():
            assert key in section, (outcome.dataset, key)
    for outcome in snapshot_run.outcomes:
        section = html.split(f'id="{outcome.dataset}"', 1)[1].split("</section>", 1)[0]
        added = outcome.diff["added"]
        assert f"Ce qui a changé ({added} ligne(s) du journal)" in section
        assert section.count("<td>ajout</td>") == min(added, run_report.MAX_CHANGES)


def test_pictures_are_carried_by_the_report_and_shown_on_the_home_page(
    snapshot_run: OfflineRun, tmp_path: Path
) -> None:
    run = copied_run(snapshot_run, tmp_path)
    folder = (run.portal / "monuments-historiques").resolve()
    (folder / "carte.png").write_bytes(PNG)
    (folder / "graphique-protections-par-decennie.png").write_bytes(PNG)
    built = run_report.build(run.settings, run.outcomes)
    html = built.html()
    assert html.count(f"data:image/png;base64,{base64.b64encode(PNG).decode()}") == 2
    assert "Graphique : protections par decennie" in html
    page = home.render(run.settings)
    assert 'src="monuments-historiques/carte.png"' in page
    assert 'src="monuments-historiques/graphique-protections-par-decennie.png"' in page


def test_the_home_page_links_the_latest_report_relatively(snapshot_run: OfflineRun) -> None:
    page = (snapshot_run.portal / "index.html").read_text("utf-8")
    rel = os.path.relpath(snapshot_run.latest_report, snapshot_run.portal)
    assert f'href="{rel}"' in page and rel == "../rapports/dernier.html"
    assert "territoire.html" not in page or (snapshot_run.portal / "territoire.html").is_file()
    assert home.render(snapshot_run.settings) == page  # a pure function of what is published


def test_a_dry_run_report_is_a_simulation_and_changes_nothing_else(
    snapshot_run: OfflineRun, tmp_path: Path
) -> None:
    run = copied_run(snapshot_run, tmp_path)
    latest, index = run.latest_report.read_bytes(), (run.portal / "index.html").read_bytes()
    outcomes = refresh_many(run.settings, ["monuments-historiques"], dry_run=True)
    assert outcomes[0].status == "dry-run"
    (simulation,) = (tmp_path / "rapports").glob("simulation-*.html")
    text = simulation.read_text("utf-8")
    assert "<title>Simulation du " in text and "ce run n'a rien publié" in text
    assert run.latest_report.read_bytes() == latest
    assert (run.portal / "index.html").read_bytes() == index


def test_a_report_problem_never_changes_the_outcomes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disque plein")

    monkeypatch.setattr(run_report, "build", broken)
    monkeypatch.setattr(home, "render", broken)
    with caplog.at_level(logging.ERROR):
        run = offline_run(tmp_path, [SMALL])
    assert {o.status for o in run.outcomes} == {"updated"}
    assert "rapport du run non écrit" in caplog.text
    assert "page d'accueil du portail non écrite" in caplog.text


def test_old_reports_are_pruned(
    snapshot_run: OfflineRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_report, "KEEP_REPORTS", 2)
    settings = copied_run(snapshot_run, tmp_path).settings
    for _ in range(3):
        report_pkg.after_run(settings, [Outcome("monuments-historiques", "unchanged", "")])
    assert len(list((tmp_path / "rapports").glob("run-*.html"))) == 2


def test_prefect_artifacts_carry_the_summary(
    snapshot_run: OfflineRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    import prefect.artifacts

    made: dict[str, Any] = {}
    monkeypatch.setattr(artifacts, "in_flow_run", lambda: True)
    monkeypatch.setattr(
        prefect.artifacts, "create_markdown_artifact", lambda **kw: made.update(md=kw)
    )
    monkeypatch.setattr(prefect.artifacts, "create_table_artifact", lambda **kw: made.update(t=kw))
    built = run_report.build(snapshot_run.settings, snapshot_run.outcomes)
    assert artifacts.publish(built, snapshot_run.latest_report)
    markdown = made["md"]["markdown"]
    assert markdown.startswith("# Rapport du run du ")
    assert "| monuments-historiques | mis à jour |" in markdown
    assert str(snapshot_run.latest_report) in markdown
    table = made["t"]["table"]
    assert [row["jeu"] for row in table] == [o.dataset for o in snapshot_run.outcomes]
    assert {row["statut"] for row in table} == {"mis à jour"}


def test_a_run_without_prefect_does_not_import_it(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from tests.report.conftest import offline_run; "
        f"run = offline_run(Path({str(tmp_path)!r}), [{SMALL!r}]); "
        "assert run.latest_report.is_file(); "
        "assert 'prefect' not in sys.modules, 'prefect imported'"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
