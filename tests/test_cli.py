"""The command line as the data manager uses it, on the bundled offline snapshot."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from patrimoine.cli import main
from patrimoine.config import PROJECT_DIR
from tests.conftest import make_env

NAME = "monuments-historiques"
CSV_IN_SNAPSHOT = (
    "static.data.gouv.fr/resources/immeubles-proteges-au-titre-des-monuments-historiques-2/"
    "20261126-060012/merimee.csv"
)


CULTURE = (
    "monuments-historiques",
    "musees-de-france",
    "frequentation-musees",
    "jardins-remarquables",
    "architecture-contemporaine-remarquable",
)
NATURAL = (
    "espaces-proteges",
    "znieff-type-1",
    "znieff-type-2",
    "natura-2000",
    "patrimoine-geologique",
)


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = make_env(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PATRIMOINE_TERRITORY", raising=False)
    return env


@pytest.fixture
def snapshot(snapshot_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The snapshot copy, pointed at by PATRIMOINE_SNAPSHOT_DIR."""
    monkeypatch.setenv("PATRIMOINE_SNAPSHOT_DIR", str(snapshot_copy))
    return snapshot_copy


def portal(env: dict[str, str]) -> Path:
    return Path(env["PATRIMOINE_PORTAL_DIR"]) / NAME


def published(env: dict[str, str]) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(portal(env).iterdir())}


def source_lines(snapshot: Path) -> tuple[str, list[str]]:
    header, *lines = (snapshot / CSV_IN_SNAPSHOT).read_text(encoding="utf-8").splitlines()
    return header, lines


def write_source(snapshot: Path, header: str, lines: list[str]) -> None:
    (snapshot / CSV_IN_SNAPSHOT).write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")


def run(capsys: pytest.CaptureFixture[str], *args: str, every: bool = False) -> tuple[int, str]:
    """An offline run of the monuments (the tests' subject), or of ``every`` dataset."""
    only = [] if every or "--dataset" in args else ["--dataset", NAME]
    code = main(["run", "--offline", "--no-prefect", *args, *only])
    return code, capsys.readouterr().out


def test_offline_run_then_unchanged_then_status(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, first = run(capsys, every=True)
    assert code == 0
    assert f"{NAME} : mis à jour — 128 lignes (+128 / -0 / ~0)" in first
    assert "3 lignes en quarantaine" in first and "PA0009102X" in first
    assert sorted(published(cli_env)) == [
        "changelog.csv",
        "metadata.json",
        f"{NAME}.csv",
        f"{NAME}.geojson",
    ]
    before = {p.name: p.stat().st_mtime_ns for p in portal(cli_env).iterdir()}
    code, second = run(capsys, "--dataset", NAME)
    assert code == 0 and f"{NAME} : inchangé — 128 lignes (+0 / -0 / ~0)" in second
    assert {p.name: p.stat().st_mtime_ns for p in portal(cli_env).iterdir()} == before
    assert main(["status"]) == 0
    status = capsys.readouterr().out
    assert "dernier run" in status and "inchangé" in status
    assert "lignes publiées : 128, en quarantaine : 3" in status
    assert "validation : réussie (3 ligne(s) en quarantaine, 1 avertissement(s))" in status
    assert "EN RETARD" not in status
    assert main(["datasets"]) == 0
    listed = capsys.readouterr().out
    for name in (*CULTURE, *NATURAL):
        assert f"{name} : mis à jour" in first, name
        assert f"  {name} — " in listed and f"  {name} — " in status, name
        assert (Path(cli_env["PATRIMOINE_PORTAL_DIR"]) / name / f"{name}.csv").is_file()
    assert main(["status", "musees-de-france"]) == 0
    one = capsys.readouterr().out
    assert "monuments-historiques" not in one and "remarques du dernier run :" in one
    # Every remark of the last run, not only those the end-of-run summary had room for.
    assert "horaires non reconnus (texte publié, horaires_osm laissé vide) (1) : M9004" in one
    assert "identifiant du fichier des horaires absent des musées (1) : M9999 (ligne 8)" in one


def test_the_summary_lists_a_few_remarks_and_points_to_status() -> None:
    from patrimoine.cli import format_outcome
    from patrimoine.pipeline import Outcome

    remarks = [f"remarque {n} (1) : M900{n} (ligne {n + 1})" for n in range(8)]
    outcome = Outcome(dataset="musees-de-france", status="unchanged", run_id="r", remarks=remarks)
    line = format_outcome(outcome).splitlines()[1]
    assert line.startswith("    remarques : remarque 0 (1) : M9000 (ligne 1) ; remarque 1")
    assert "remarque 4" in line and "remarque 5" not in line
    assert line.endswith("… et 3 autre(s) (patrimoine status musees-de-france)")


def test_offline_snapshot_added_and_modified_notices_show_in_changes_and_changelog(
    cli_env: dict[str, str], snapshot: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys)[0] == 0
    header, lines = source_lines(snapshot)
    fields = header.split("|")
    rows = list(csv.reader(lines, delimiter="|"))
    ref, title = fields.index("Reference"), fields.index("Titre_editorial_de_la_notice")
    modified = next(r for r in rows if r[ref] == "PA00091004")
    added = list(modified)
    added[ref], added[title] = "PA00091900", "Fontaine (nouvelle notice)"
    modified[title] = "Titre corrigé par le producteur"

    def line(row: list[str]) -> str:
        return "|".join(f'"{v}"' for v in row)

    write_source(snapshot, header, [line(r) for r in rows] + [line(added)])
    code, out = run(capsys)
    assert code == 0 and "mis à jour — 129 lignes (+1 / -0 / ~1)" in out

    assert main(["changes", NAME, "--since", "2026-01-01"]) == 0
    changes = capsys.readouterr().out
    assert "ajout         PA00091900" in changes
    assert "modification  PA00091004  titre : «" in changes
    assert "» → « Titre corrigé par le producteur »" in changes
    text = published(cli_env)["changelog.csv"].decode("utf-8")
    newest = list(csv.DictReader(io.StringIO(text)))[:2]
    assert [(c["identifiant"], c["type_de_changement"], c["colonne"]) for c in newest] == [
        ("PA00091004", "modification", "titre"),
        ("PA00091900", "ajout", ""),
    ]
    assert newest[0]["nouvelle_valeur"] == "Titre corrigé par le producteur"


def test_offline_snapshot_shrunk_to_a_seventh_is_held_then_accepted(
    cli_env: dict[str, str], snapshot: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys)[0] == 0
    files = published(cli_env)
    header, lines = source_lines(snapshot)
    write_source(snapshot, header, lines[: len(lines) // 7])
    code, out = run(capsys)
    assert code == 3
    assert "À CONFIRMER" in out and "disparaîtraient" in out and "--accept-drop" in out
    assert published(cli_env) == files
    assert main(["status"]) == 0 and "à confirmer" in capsys.readouterr().out.lower()

    assert main(["run", "--offline", "--no-prefect", "--accept-drop"]) == 2
    assert "--dataset" in capsys.readouterr().err
    code, out = run(capsys, "--dataset", NAME, "--accept-drop")
    assert code == 0 and "mis à jour" in out and "baisse acceptée (--accept-drop)" in out
    assert published(cli_env) != files


def test_offline_snapshot_shuffled_is_unchanged(
    cli_env: dict[str, str], snapshot: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys)[0] == 0
    files = published(cli_env)
    header, lines = source_lines(snapshot)
    write_source(snapshot, header, list(reversed(lines)))
    code, out = run(capsys)
    assert code == 0 and "inchangé" in out
    assert published(cli_env) == files


def test_dry_run_reports_without_publishing(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "--dry-run")
    assert code == 0 and "simulation (rien publié) — 128 lignes (+128 / -0 / ~0)" in out
    assert "+ PA00091000, PA00091001" in out
    assert not portal(cli_env).exists()


def test_failed_dataset_exits_1_with_the_cause(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATRIMOINE_TERRITORY", "epci:200000000")
    code, out = run(capsys)
    assert code == 1
    assert "ÉCHEC" in out and "étape territoire" in out and "200000000" in out


def test_unknown_dataset_exits_2(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--offline", "--no-prefect", "--dataset", "musees"]) == 2
    assert "jeu(x) inconnu(s) : musees" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [["-v", "datasets"], ["datasets", "-v"], ["--verbose", "status"], ["status", "--verbose"]],
)
def test_verbose_works_before_and_after_the_command(
    cli_env: dict[str, str], argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full_env = {"PATH": "/usr/bin:/bin", "HOME": env["PATRIMOINE_CACHE_DIR"], **env}
    return subprocess.run(
        [sys.executable, "-m", "patrimoine.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=PROJECT_DIR,
        timeout=120,
    )


def test_a_failure_is_one_french_line_without_a_traceback(
    cli_env: dict[str, str],
) -> None:
    env = dict(cli_env, PATRIMOINE_DATABASE_URL="postgresql+psycopg://u:motdepasse@127.0.0.1:1/x")
    quiet = _cli(env, "run", "--offline", "--no-prefect", "--dataset", NAME)
    assert quiet.returncode == 1
    output = quiet.stdout + quiet.stderr
    assert "Traceback" not in output and "motdepasse" not in output
    failures = [line for line in output.splitlines() if "ÉCHEC" in line]
    assert len(failures) == 1
    assert "étape base de données" in failures[0] and "PATRIMOINE_DATABASE_URL" in failures[0]
    assert output.count("base de données injoignable") == 1  # not repeated by the logs
    verbose = _cli(env, "run", "--offline", "--no-prefect", "-v")
    assert verbose.returncode == 1 and "motdepasse" not in verbose.stdout + verbose.stderr
    assert "INFO" in verbose.stderr or "ERROR" in verbose.stderr  # the detailed log format


def test_status_on_postgres(
    tmp_path: Path,
    pg_schema_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in make_env(tmp_path, PATRIMOINE_DATABASE_URL=pg_schema_url).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PATRIMOINE_TERRITORY", raising=False)
    assert main(["status"]) == 0
    assert "jamais exécuté" in capsys.readouterr().out
    assert run(capsys)[0] == 0
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "lignes publiées : 128, en quarantaine : 3" in out and "mis à jour" in out


def test_status_says_late_when_the_last_success_is_too_old(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from patrimoine.config import load_settings
    from patrimoine.stages import engine_for
    from patrimoine.staging.ledger import runs

    assert run(capsys)[0] == 0
    engine = engine_for(load_settings())
    with engine.begin() as conn:
        conn.execute(update(runs).values(started_at=datetime.now(UTC) - timedelta(days=8)))
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "[EN RETARD]" in out and "plus de 7 jours" in out


def test_ledger_times_are_shown_in_paris_time() -> None:
    from datetime import UTC, datetime

    from patrimoine.cli import paris_time

    assert paris_time(datetime(2026, 7, 1, 0, 30)).hour == 2  # naive = UTC, summer time
    assert paris_time(datetime(2026, 12, 1, 0, 30, tzinfo=UTC)).hour == 1


def test_summary_lists_quarantine_and_warnings() -> None:
    from patrimoine.cli import format_outcome
    from patrimoine.pipeline import Outcome

    outcome = Outcome(
        dataset=NAME,
        status="updated",
        run_id="r",
        rows_published=3,
        rows_quarantined=1,
        diff={"added": 3},
        timings={"extract": 0.5},
        wall_time=0.7,
        location="var/portal/x",
        quarantined=["« titre » vide (obligatoire) (1) : PA00091026"],
        warnings=["Année de première protection invraisemblable (1) : PA00091027"],
    )
    assert format_outcome(outcome).splitlines() == [
        f"  {NAME} : mis à jour — 3 lignes (+3 / -0 / ~0) en 0.7 s → var/portal/x",
        "    1 ligne en quarantaine (non publiée) : « titre » vide (obligatoire) (1) : PA00091026",
        "    1 avertissement : Année de première protection invraisemblable (1) : PA00091027",
    ]
