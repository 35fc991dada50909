"""Channels against the real servers: the crash alert, unreachable services, no secrets."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from patrimoine import alerts
from patrimoine.alerts import channels
from patrimoine.alerts.messages import Message
from tests.alerts.conftest import RECIPIENTS, SMTP_PASSWORD, WEBHOOK_TOKEN, alert_env
from tests.alerts.servers import SmtpServer, WebhookServer, free_port
from tests.conftest import make_settings


def test_the_crash_alert_goes_to_every_channel(
    tmp_path: Path, smtp: SmtpServer, webhook: WebhookServer
) -> None:
    settings = make_settings(tmp_path, **alert_env(smtp.port, webhook.port))
    url = "http://prefect.example:4200/runs/flow-run/0b5e"
    assert alerts.flow_crashed(settings, "Flow run exceeded timeout", url, flow_name="refresh-all")
    (mail,) = smtp.mails
    assert mail.recipients == list(RECIPIENTS)
    assert mail.subject == "[patrimoine] Le run « refresh-all » s'est arrêté avant la fin"
    assert "Raison : Flow run exceeded timeout" in mail.body
    assert f"Voir le run dans Prefect : {url}" in mail.body
    (post,) = webhook.posts
    assert post["type"] == "failure" and post["title"] == mail.subject
    assert "Raison : Flow run exceeded timeout" in post["message"]


def test_unreachable_channels_are_logged_without_secrets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    env = alert_env(free_port(), free_port(), PATRIMOINE_SMTP_SECURITY="starttls")
    settings = make_settings(tmp_path, **env)
    message = Message(f"sujet {SMTP_PASSWORD}", "corps", "court", "failure")
    assert channels.deliver(settings, message) is False
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("patrimoine")]
    assert any("non envoyée par e-mail (serveur SMTP 127.0.0.1:" in m for m in ours)
    assert any("non envoyée à adresse d'alerte n°1 (json://…)" in m for m in ours)
    every = [r.getMessage() for r in caplog.records]
    assert not [m for m in every if WEBHOOK_TOKEN in m]
    assert not [m for m in ours if SMTP_PASSWORD in m]
    # A secret quoted by a crash reason is masked in what is sent and logged.
    caplog.clear()
    assert not alerts.flow_crashed(settings, f"mot de passe {SMTP_PASSWORD} refusé")
    assert caplog.records
    assert not [r for r in caplog.records if SMTP_PASSWORD in r.getMessage()]


def test_no_channel_configured_sends_nothing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    assert not channels.enabled(settings)
    assert alerts.flow_crashed(settings, "raison") is False
