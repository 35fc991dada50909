"""Alert tests: a real SMTP server and a webhook receiver per module, the local upstream."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from patrimoine.config import Settings
from tests.alerts.servers import SmtpServer, WebhookServer, free_port
from tests.pipeline.helpers import MERIMEE_ID, clermont_rows, csv_bytes, settings_for
from tests.servers import UpstreamServer, clermont_communes

SMTP_USER = "alertes"
SMTP_PASSWORD = "MotDePasse-Tres-Secret-42"
WEBHOOK_TOKEN = "JetonWebhookSecret9876"
RECIPIENTS = ("gestionnaire@example.fr", "dsi@example.fr")


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(SMTP_USER, SMTP_PASSWORD)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def webhook_server() -> Iterator[WebhookServer]:
    server = WebhookServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> SmtpServer:
    smtp_server.mails.clear()
    smtp_server.recorder.logins.clear()
    return smtp_server


@pytest.fixture
def webhook(webhook_server: WebhookServer) -> WebhookServer:
    webhook_server.posts.clear()
    webhook_server.headers.clear()
    return webhook_server


def alert_env(smtp_port: int, webhook_port: int, **extra: str) -> dict[str, str]:
    env = {
        "PATRIMOINE_SMTP_HOST": "127.0.0.1",
        "PATRIMOINE_SMTP_PORT": str(smtp_port),
        "PATRIMOINE_SMTP_USER": SMTP_USER,
        "PATRIMOINE_SMTP_PASSWORD": SMTP_PASSWORD,
        "PATRIMOINE_ALERT_FROM": "patrimoine@example.fr",
        "PATRIMOINE_ALERT_TO": ",".join(RECIPIENTS),
        "PATRIMOINE_ALERT_URLS": f"json://hook:{WEBHOOK_TOKEN}@127.0.0.1:{webhook_port}/alertes",
    }
    env.update(extra)
    return env


@pytest.fixture
def upstream(upstream: UpstreamServer) -> UpstreamServer:
    upstream.add_epci("246300701", clermont_communes(), nom="Clermont Auvergne Métropole")
    upstream.add_datagouv_dataset(MERIMEE_ID, [("csv", "merimee.csv", csv_bytes(clermont_rows()))])
    return upstream


@pytest.fixture
def settings(
    tmp_path: Path, upstream: UpstreamServer, smtp: SmtpServer, webhook: WebhookServer
) -> Settings:
    return settings_for(tmp_path, upstream, **alert_env(smtp.port, webhook.port))


@pytest.fixture
def smtp_down_settings(
    tmp_path: Path, upstream: UpstreamServer, webhook: WebhookServer
) -> Settings:
    env = alert_env(free_port(), webhook.port, PATRIMOINE_ALERT_URLS="")
    return settings_for(tmp_path, upstream, **env)
