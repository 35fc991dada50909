"""End to end: runs of ``refresh_many`` against the local upstream send their alerts to a
real SMTP server and a real webhook, once per episode, with reminders and recovery."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from patrimoine.config import Settings
from patrimoine.pipeline import refresh_many
from tests.alerts.conftest import RECIPIENTS, SMTP_PASSWORD, SMTP_USER, WEBHOOK_TOKEN
from tests.alerts.servers import SmtpServer, WebhookServer
from tests.pipeline.helpers import NAME, clermont_rows, serve
from tests.samples.merimee import MERIMEE_HEADER
from tests.servers import UpstreamServer

START = datetime(2026, 12, 2, 1, 30, tzinfo=UTC)


class Clock:
    """The simulated time of the alert state."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def break_header(upstream: UpstreamServer) -> None:
    """The producer renames its key column: the transform fails."""
    header = tuple(h for h in MERIMEE_HEADER if h != "Reference")
    serve(upstream, clermont_rows(), header=header)


def no_secret(*texts: str) -> None:
    for text in texts:
        assert SMTP_PASSWORD not in text and WEBHOOK_TOKEN not in text


def test_one_alert_then_silence_then_a_reminder_then_back_to_normal(
    settings: Settings,
    upstream: UpstreamServer,
    smtp: SmtpServer,
    webhook: WebhookServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = Clock(START)
    (first,) = refresh_many(settings, [NAME], alert_clock=clock)
    assert first.status == "updated", first.error
    assert smtp.mails == [] and webhook.posts == []  # nothing to say

    break_header(upstream)
    clock.advance(days=1)
    (failed,) = refresh_many(settings, [NAME], alert_clock=clock)
    assert failed.status == "failed" and failed.stage == "transform"

    (mail,) = smtp.mails
    assert mail.sender == "patrimoine@example.fr"
    assert mail.recipients == list(RECIPIENTS)
    assert mail.message["To"] == ", ".join(RECIPIENTS)
    assert smtp.recorder.logins == [SMTP_USER]
    assert mail.subject == f"[patrimoine] Échec : {NAME} (étape transformation)"
    body = mail.body
    assert f"Le jeu « {NAME} » n'a pas pu être rafraîchi." in body
    assert f"Jeu de données : {NAME}" in body
    assert "Étape : transformation" in body
    assert "Cause : " in body and "Reference" in body
    published = r"Ce qui reste publié : la version publiée le \d\d/\d\d/\d{4} à \d\d:\d\d"
    assert re.search(published + r" \(12 lignes\) reste en ligne\.", body)
    assert "Que faire : le format du fichier source a changé" in body
    assert "Territoire : epci:246300701" in body
    assert "Voir le run dans Prefect" not in body  # no Prefect server in this run

    (post,) = webhook.posts
    assert post["version"] == "1.0" and post["type"] == "failure"
    assert post["title"] == mail.subject
    assert post["message"].startswith(mail.subject)
    assert "Que faire : le format du fichier source a changé" in post["message"]
    assert webhook.headers[0]["Authorization"].startswith("Basic ")  # the token went as auth

    # The same failure the next night: nothing.
    clock.advance(days=1)
    (again,) = refresh_many(settings, [NAME], alert_clock=clock)
    assert again.status == "failed"
    assert len(smtp.mails) == 1 and len(webhook.posts) == 1

    # Seven days after the alert: one reminder.
    clock.advance(days=6)
    refresh_many(settings, [NAME], alert_clock=clock)
    assert len(smtp.mails) == 2 and len(webhook.posts) == 2
    reminder = smtp.mails[1]
    assert reminder.subject == (
        f"[patrimoine] Rappel : {NAME} toujours en échec depuis le 03/12/2026 à 02:30"
    )
    assert "Rappel : le problème dure depuis le 03/12/2026 à 02:30." in reminder.body
    assert webhook.posts[1]["type"] == "warning"
    clock.advance(days=1)
    refresh_many(settings, [NAME], alert_clock=clock)
    assert len(smtp.mails) == 2  # the next reminder is a week away

    # Fixed upstream: « retour à la normale », once.
    serve(upstream, clermont_rows())
    clock.advance(days=1)
    (back,) = refresh_many(settings, [NAME], alert_clock=clock)
    assert back.status == "unchanged", back.error
    assert len(smtp.mails) == 3 and len(webhook.posts) == 3
    recovered = smtp.mails[2]
    assert recovered.subject == f"[patrimoine] Retour à la normale : {NAME}"
    assert "Retour à la normale" in recovered.body
    assert "En échec depuis : 03/12/2026 à 02:30" in recovered.body
    assert webhook.posts[2]["type"] == "success"
    refresh_many(settings, [NAME], alert_clock=clock)
    assert len(smtp.mails) == 3 and len(webhook.posts) == 3

    texts = [m.message.as_string() for m in smtp.mails] + [str(p) for p in webhook.posts]
    no_secret(*texts, *(r.getMessage() for r in caplog.records))


def test_smtp_down_keeps_the_failure_and_logs_the_alert_failure(
    smtp_down_settings: Settings,
    upstream: UpstreamServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    break_header(upstream)
    (outcome,) = refresh_many(smtp_down_settings, [NAME])
    assert outcome.status == "failed" and outcome.stage == "transform"
    assert "étape transformation" in (outcome.error or "")
    messages = [r.getMessage() for r in caplog.records]
    assert any(outcome.error == m for m in messages)  # the dataset failure is still logged
    (alert_failure,) = [m for m in messages if "non envoyée par e-mail" in m]
    assert f"Échec : {NAME}" in alert_failure and "127.0.0.1" in alert_failure
    no_secret(*messages)


def test_a_validation_failure_lists_the_failed_checks(
    settings: Settings, upstream: UpstreamServer, smtp: SmtpServer
) -> None:
    (first,) = refresh_many(settings, [NAME])
    assert first.status == "updated", first.error
    old, new = "Titre_editorial_de_la_notice", "Titre"
    header = tuple(new if h == old else h for h in MERIMEE_HEADER)
    rows = [{(new if k == old else k): v for k, v in r.items()} for r in clermont_rows()]
    serve(upstream, rows, header=header)
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "failed" and outcome.stage == "validate"
    (mail,) = smtp.mails
    assert mail.subject == f"[patrimoine] Échec : {NAME} (étape validation)"
    body = mail.body
    assert "Contrôles en échec :" in body
    checks = body.split("Contrôles en échec :\n", 1)[1].split("Ce qui reste publié", 1)[0]
    assert checks.startswith("  - Colonne « Titre_editorial_de_la_notice » absente")
    assert "la dernière version valide reste en ligne" in body
    report = body.split("Rapport du run : ", 1)[1].split("\n", 1)[0]
    assert Path(report).is_file() and Path(report).name.startswith("run-")


def test_a_held_refresh_alerts_with_what_to_confirm(
    settings: Settings, upstream: UpstreamServer, smtp: SmtpServer, webhook: WebhookServer
) -> None:
    (first,) = refresh_many(settings, [NAME])
    assert first.status == "updated", first.error
    serve(upstream, clermont_rows()[:3])  # three quarters of the notices disappear
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "held"
    (mail,) = smtp.mails
    assert mail.subject == f"[patrimoine] À confirmer : {NAME} (publication retenue)"
    assert "est retenue avant publication" in mail.body
    assert "disparaîtraient" in mail.body
    assert f"patrimoine run --dataset {NAME} --accept-drop" in mail.body
    assert "reste en ligne" in mail.body
    (post,) = webhook.posts
    assert post["type"] == "failure" and "--accept-drop" in post["message"]


def test_an_unconfigured_dataset_never_alerts(
    settings: Settings, smtp: SmtpServer, webhook: WebhookServer
) -> None:
    for _ in range(2):
        (outcome,) = refresh_many(settings, ["espaces-naturels-sensibles"])
        assert outcome.status == "unconfigured"
    assert smtp.mails == [] and webhook.posts == []


def test_a_dry_run_never_alerts(
    settings: Settings, upstream: UpstreamServer, smtp: SmtpServer
) -> None:
    break_header(upstream)
    (outcome,) = refresh_many(settings, [NAME], dry_run=True)
    assert outcome.status == "failed"
    assert smtp.mails == []
    (real,) = refresh_many(settings, [NAME])  # the real run still alerts: state untouched
    assert real.status == "failed" and len(smtp.mails) == 1


def test_a_first_run_that_fails_says_nothing_was_published(
    settings: Settings, upstream: UpstreamServer, smtp: SmtpServer
) -> None:
    break_header(upstream)
    refresh_many(settings, [NAME])
    (mail,) = smtp.mails
    assert "Ce qui reste publié : rien n'a encore été publié pour ce jeu." in mail.body


def test_the_nightly_digest_lists_each_dataset(
    tmp_path: object, settings: Settings, smtp: SmtpServer
) -> None:
    from dataclasses import replace

    from patrimoine import alerts

    digest_settings = replace(settings, alert_digest=True)
    outcomes = refresh_many(digest_settings, [NAME])  # not nightly: no digest
    assert smtp.mails == []
    alerts.after_run(digest_settings, outcomes, nightly=True)
    (mail,) = smtp.mails
    assert mail.subject.startswith("[patrimoine] Bilan du run nocturne du ")
    assert mail.subject.endswith(": 1 mis à jour")
    assert f"- {NAME} : mis à jour — 12 lignes (+12 / -0 / ~0), publié : " in mail.body
    alerts.after_run(settings, outcomes, nightly=True)  # alert_digest off: nothing
    assert len(smtp.mails) == 1


def test_one_cause_for_many_datasets_sends_one_grouped_alert(
    settings: Settings, smtp: SmtpServer, webhook: WebhookServer
) -> None:
    """The territory service refuses the EPCI: every dataset fails, one e-mail lists them."""
    from dataclasses import replace

    from patrimoine.config import TerritorySpec

    names = ["monuments-historiques", "musees-de-france", "jardins-remarquables"]
    broken = replace(settings, territory=TerritorySpec("epci", ("200000000",)))
    outcomes = refresh_many(broken, names)
    assert [o.status for o in outcomes] == ["failed"] * 3
    (mail,) = smtp.mails
    assert mail.subject == "[patrimoine] 3 jeux à signaler : 3 en échec ou à confirmer"
    for name in names:
        assert f"- Échec : {name} (étape territoire)" in mail.body
        assert f"Le jeu « {name} » n'a pas pu être rafraîchi." in mail.body  # each one whole
    (post,) = webhook.posts
    assert post["title"] == mail.subject
    # Each dataset's state was kept: the same failure on the next run sends nothing.
    refresh_many(broken, names)
    assert len(smtp.mails) == 1 and len(webhook.posts) == 1
