"""Secrets out of every alert and log line: passwords, API keys, Apprise tokens."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from patrimoine.config import Settings

MASK = "***"


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value a message could quote by accident, longest first."""
    found = [settings.smtp_password, settings.datagouv_api_key, settings.ods_api_key]
    for url in settings.alert_urls:
        found.append(url)
        # An Apprise URL carries its secrets in the user info, the host (slack://TokenA/…)
        # and the path: mask each part long enough to be a token (host names and
        # addresses, which have dots, stay readable).
        parts = urlsplit(url)
        pieces = re.split(r"[/:@?&=]", url.split("://", 1)[-1])
        found.extend(p for p in pieces if len(p) >= 8 and "." not in p)
        if parts.password:
            found.append(parts.password)
    password = urlsplit(settings.database_url.replace("+psycopg", "")).password
    if password:
        found.append(password)
    return sorted({s for s in found if s and len(s) >= 3}, key=len, reverse=True)


def redact(text: str, settings: Settings) -> str:
    """``text`` with every secret of ``settings`` replaced by ``***``."""
    for secret in secrets_of(settings):
        text = text.replace(secret, MASK)
    return text


def describe_url(index: int, url: str) -> str:
    """How a log names an Apprise URL: its position and scheme, never its tokens."""
    return f"adresse d'alerte n°{index} ({url.split('://', 1)[0]}://…)"
