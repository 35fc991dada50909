"""The French texts, from outcomes and ledger facts (no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime

from patrimoine.alerts import messages
from patrimoine.alerts.facts import DatasetFacts, Published
from patrimoine.pipeline import Outcome
from patrimoine.validation.report import Problem

ERROR = (
    "[jeu « monuments-historiques », étape validation] 1 contrôle bloquant en échec : … — "
    "rien n'a été publié, la dernière version valide reste en ligne ; corrigez la source"
)


def _problem() -> Problem:
    return Problem(
        suite="monuments-historiques.published",
        expectation="expect_column_values_to_be_unique",
        column="reference",
        level="blocking",
        title="Référence Mérimée en double",
        unexpected_count=14,
        sample_values=[],
        sample_keys=[f"PA000910{i:02d}" for i in range(14)],
    )


def test_a_validation_failure_lists_checks_with_counts_and_sample_ids() -> None:
    outcome = Outcome("monuments-historiques", "failed", "r1", stage="validate", error=ERROR)
    published = Published(datetime(2026, 12, 1, 1, 31, tzinfo=UTC), 128, None)
    message = messages.failure(
        outcome,
        DatasetFacts(published, [_problem()]),
        territory="epci:246300701",
        run_url="http://prefect.example:4200/runs/flow-run/abc",
    )
    assert message.subject == "[patrimoine] Échec : monuments-historiques (étape validation)"
    samples = ", ".join(f"PA000910{i:02d}" for i in range(10))
    assert (
        "Contrôles en échec :\n  - Référence Mérimée en double [colonne reference] : 14 ligne(s)"
        f" — exemples : {samples}…"
    ) in message.body
    assert "Cause : 1 contrôle bloquant en échec : …" in message.body
    assert "Ce qui reste publié : la version publiée le 01/12/2026 à 02:31 (128 lignes)" in (
        message.body
    )
    assert "Que faire : rien n'a été publié, la dernière version valide reste en ligne" in (
        message.body
    )
    assert "Voir le run dans Prefect : http://prefect.example:4200/runs/flow-run/abc" in (
        message.body
    )
    assert "Run : http://prefect.example:4200/runs/flow-run/abc" in message.short


def test_split_error_gives_the_cause_and_the_hint() -> None:
    assert messages.split_error("[jeu « x », étape extraction] HTTP 503 — relancez plus tard") == (
        "HTTP 503",
        "relancez plus tard",
    )
    assert messages.split_error("3 notices disparaîtraient") == ("3 notices disparaîtraient", None)


def test_crash_message_gives_the_reason_and_what_to_do() -> None:
    message = messages.crashed(
        "Execution was interrupted", territory="epci:246300701", flow_name="refresh-all"
    )
    assert message.subject == "[patrimoine] Le run « refresh-all » s'est arrêté avant la fin"
    assert "Raison : Execution was interrupted" in message.body
    assert "Que faire : consultez les journaux du run dans Prefect" in message.body
    assert "Voir le run" not in message.body


def test_the_footer_names_the_run_report_when_there_is_one() -> None:
    outcome = Outcome("monuments-historiques", "failed", "r1", stage="validate", error=ERROR)
    facts = DatasetFacts(Published(None, None, None), [])
    report = "/srv/patrimoine/var/rapports/run-20261201-023000.html"
    with_report = messages.failure(outcome, facts, territory="epci:246300701", report=report)
    assert f"Rapport du run : {report}" in with_report.body
    without = messages.failure(outcome, facts, territory="epci:246300701")
    assert "Rapport du run" not in without.body
    digest = messages.digest(
        [outcome], territory="epci:246300701", when=datetime(2026, 12, 1, tzinfo=UTC), report=report
    )
    assert f"Rapport du run : {report}" in digest.body
