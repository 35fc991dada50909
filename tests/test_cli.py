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


# -- the command line people like: terminal, cron, scripts -----------------------------------

ANSI = "\x1b["


def test_plain_output_when_not_a_terminal_has_no_control_codes(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", "--offline", "--no-prefect", "--dataset", NAME])
    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.startswith("Résumé du run (hors ligne, snapshot embarqué)")
    assert f"{NAME} : mis à jour — 128 lignes" in captured.out
    assert ANSI not in captured.out + captured.err
    assert "étape extraction terminée" in captured.err  # the plain progress lines


def test_json_is_one_document_with_every_dataset(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    code = main(["run", "--offline", "--no-prefect", "--json"])
    captured = capsys.readouterr()
    document = json.loads(captured.out)  # nothing else on stdout
    assert code == 0 == document["exit_code"]
    assert [o["dataset"] for o in document["outcomes"]] == sorted(
        (*CULTURE, *NATURAL, "espaces-naturels-sensibles"),
        key=[o["dataset"] for o in document["outcomes"]].index,
    )
    by_name = {o["dataset"]: o for o in document["outcomes"]}
    assert set(by_name) >= {*CULTURE, *NATURAL}
    monuments = by_name[NAME]
    assert monuments["status"] == "updated" and monuments["stage"] == "done"
    assert monuments["rows"] == 128 and monuments["diff"] == {
        "added": 128,
        "removed": 0,
        "changed": 0,
    }
    assert monuments["error"] is None and monuments["duration"] > 0
    assert monuments["location"].endswith(NAME) and monuments["actions"]
    assert by_name["espaces-naturels-sensibles"]["status"] in ("updated", "unconfigured")
    assert document["wall_time"] >= max(o["duration"] for o in document["outcomes"])
    assert "Résumé" not in captured.err and "étape" not in captured.err  # errors only


def test_json_reports_a_failure_and_a_bad_setting(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    monkeypatch.setenv("PATRIMOINE_TERRITORY", "epci:200000000")
    assert main(["run", "--offline", "--no-prefect", "--json", "--dataset", NAME]) == 1
    (outcome,) = json.loads(capsys.readouterr().out)["outcomes"]
    assert outcome["status"] == "failed" and outcome["stage"] == "territory"
    assert "200000000" in outcome["error"]
    monkeypatch.setenv("PATRIMOINE_TERRITORY", "nulle-part")
    assert main(["run", "--offline", "--no-prefect", "--json"]) == 2
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["exit_code"] == 2 and document["outcomes"] == []
    assert "PATRIMOINE_TERRITORY" in document["error"]
    assert captured.err.count("\n") == 1 and "PATRIMOINE_TERRITORY" in captured.err


def test_quiet_prints_only_the_errors_and_the_verdict(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["run", "--offline", "--no-prefect", "-q", "--dataset", NAME]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.splitlines() == [captured.out.strip()]
    assert captured.out.startswith("Run réussi — 1 jeu : 1 mis à jour — ")
    monkeypatch.setenv("PATRIMOINE_TERRITORY", "epci:200000000")
    assert main(["run", "--offline", "--no-prefect", "--quiet", "--dataset", NAME]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith(f"Run en échec — 1 jeu : 1 échec ({NAME}) — ")
    (error,) = captured.err.splitlines()
    assert "ÉCHEC" in error and "étape territoire" in error


def test_a_terminal_shows_live_progress_then_the_table(cli_env: dict[str, str]) -> None:
    from rich.console import Console

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=160, color_system="standard")
    assert main(["run", "--offline", "--no-prefect", "--dataset", NAME], console=console) == 0
    out = screen.getvalue()
    assert ANSI in out  # colours and the live display's cursor moves
    table = out[out.index("Résumé du run") :]
    for heading in ("Jeu", "Statut", "Lignes", "Durée", "Publié dans"):
        assert heading in table, heading
    assert "┃" in table and "mis à jour" in table and "128" in table
    assert "3 lignes en quarantaine" in table  # the details under the table
    # The live per-dataset line, drawn before the table (which state it shows depends on how
    # fast the machine is: waiting, a stage under way, or done).
    live = out[: out.index("Résumé du run")]
    assert NAME in live
    assert any(state in live for state in ("en attente", "démarrage…", "extraction…", "✓"))


def test_the_tracker_follows_stages_failures_and_downloads() -> None:
    import logging

    from patrimoine.cli.display import STAGE_DONE, Tracker

    tracker = Tracker(["a", "b", "c"])

    def record(
        msg: str, *args: object, level: int = logging.INFO, **extra: object
    ) -> logging.LogRecord:
        made = logging.LogRecord("patrimoine.pipeline", level, __file__, 1, msg, args, None)
        made.__dict__.update(extra)
        return made

    assert tracker.rows["a"].stage == "démarrage" and not tracker.rows["b"].started
    tracker.on_download("http://x", 512, 2048, 2.0)
    assert tracker.rows["a"].downloading and tracker.rows["a"].rate == 256
    assert tracker.rows["a"].stage == "extraction"
    tracker.on_record(record(STAGE_DONE, "a", "extraction", 0.1))
    assert tracker.rows["a"].stage == "transformation" and not tracker.rows["a"].downloading
    tracker.on_record(record(STAGE_DONE, "a", "publication", 0.1))
    assert tracker.rows["a"].done and tracker.rows["b"].stage == "extraction"
    failure = "[jeu « b », étape extraction] le serveur a répondu HTTP 503"
    tracker.on_record(record(failure, level=logging.ERROR, patrimoine_summarised=True))
    assert tracker.rows["b"].failed and tracker.rows["c"].started
    tracker.on_record(record(STAGE_DONE, "c", "validation", 0.1))
    assert tracker.rows["c"].stage == "mise en base"


def test_verdict_and_json_record_of_an_outcome() -> None:
    from patrimoine.cli.summary import outcome_record, verdict
    from patrimoine.pipeline import Outcome

    outcomes = [
        Outcome(dataset="a", status="updated", run_id="1", rows_published=3, wall_time=1.25),
        Outcome(dataset="b", status="held", run_id="2", error="baisse", diff={"rows": 2}),
        Outcome(dataset="c", status="unchanged", run_id="3"),
    ]
    assert verdict(outcomes, 4.0) == (
        "Run à confirmer — 3 jeux : 1 mis à jour, 1 inchangé, 1 à confirmer (b) — 4.0 s"
    )
    record = outcome_record(outcomes[0])
    assert record["rows"] == 3 and record["duration"] == 1.25
    assert outcome_record(outcomes[1])["rows"] == 2


def test_version() -> None:
    from patrimoine import __version__

    done = subprocess.run(
        [sys.executable, "-m", "patrimoine.cli", "--version"],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.strip() == f"patrimoine {__version__}"


def test_run_help_is_in_french(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("utilisation : patrimoine run")
    for french in (
        "seulement ce jeu (option répétable)",
        "hors ligne",
        "simulation",
        "garde-fou",
        "sans le moteur Prefect",
        "n'affiche que les erreurs",
        "document JSON",
        "affiche cette aide",
        "codes de sortie",
    ):
        assert french in text, french
    for english in ("show this help", "only this dataset", "usage:", "positional arguments"):
        assert english not in text, english


def test_command_line_errors_are_one_french_line_with_exit_code_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv, expected in (
        (["run", "--bogus"], "option ou argument inconnu : --bogus"),
        ([], "argument obligatoire manquant : COMMANDE"),
        (["run", "--quiet", "--json"], "incompatible avec"),
        (["changes"], "argument obligatoire manquant : JEU"),
    ):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and expected in err, (argv, err)


@pytest.mark.parametrize(
    ("argv", "french"),
    [
        (["serve", "--help"], "planification nocturne"),
        (["deploy", "--help"], "--work-pool NOM"),
    ],
)
def test_serve_and_deploy_parse_and_have_french_help(
    argv: list[str], french: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 0 and french in capsys.readouterr().out
    from patrimoine.cli import build_parser

    assert build_parser().parse_args(["deploy"]).work_pool == "patrimoine"
    args = build_parser().parse_args(["-v", "deploy", "--work-pool", "gros"])
    assert args.work_pool == "gros" and args.verbose
    assert build_parser().parse_args(["serve", "-v"]).command == "serve"


def test_downloads_feed_the_live_display_and_flag_their_log_lines(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    from patrimoine.http.client import _Progress

    seen: list[tuple[str, int, int | None]] = []

    def observer(url: str, received: int, total: int | None, seconds: float) -> None:
        seen.append((url, received, total))

    def broken(url: str, received: int, total: int | None, seconds: float) -> None:
        raise RuntimeError("affichage cassé")

    _Progress.observers.extend([broken, observer])
    try:
        with caplog.at_level(logging.INFO, logger="patrimoine.http.client"):
            progress = _Progress("http://x/f.csv", 1000, enabled=True)
            for received in (150, 600, 1000):
                progress.update(received)
            progress.done(1000)
            _Progress("http://x/g.csv", 10, enabled=False).update(5)  # PATRIMOINE_PROGRESS=false
    finally:
        _Progress.observers.remove(broken)
        _Progress.observers.remove(observer)
    assert seen == [("http://x/f.csv", n, 1000) for n in (150, 600, 1000, 1000)]
    flagged = [r for r in caplog.records if getattr(r, "patrimoine_progress", False)]
    assert flagged and all("Téléchargement" in r.getMessage() for r in flagged)
    assert any(r.getMessage().startswith("Téléchargé") for r in caplog.records)
