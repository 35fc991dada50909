"""Where alerts go: e-mail (smtplib) to ``alert_to`` and Apprise URLs (chat, webhooks).

A channel that fails is logged in French, without its secrets, and the others are still
tried; nothing here raises, so an alert can never hide the outcome it is about.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from patrimoine.alerts.messages import Message
from patrimoine.alerts.redact import describe_url, redact
from patrimoine.config import Settings

log = logging.getLogger(__name__)

SMTP_TIMEOUT = 30.0
"""Seconds to wait for the SMTP server: an alert must not hold a run for long."""

_NOTIFY_TYPE = {"recovered": "success", "digest": "info", "reminder": "warning"}


def email_enabled(settings: Settings) -> bool:
    return bool(settings.smtp_host and settings.alert_to)


def enabled(settings: Settings) -> bool:
    """True when at least one channel is configured."""
    return email_enabled(settings) or bool(settings.alert_urls)


def _email(settings: Settings, message: Message) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = settings.alert_from
    mail["To"] = ", ".join(settings.alert_to)
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain=settings.alert_from.rpartition("@")[2] or None)
    mail.set_content(message.body)
    return mail


def send_email(settings: Settings, message: Message) -> None:
    """Send ``message`` to ``alert_to``; raises on failure (see :func:`deliver`)."""
    context = ssl.create_default_context()
    host, port = settings.smtp_host, settings.smtp_port
    smtp: smtplib.SMTP
    if settings.smtp_security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
    with smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=context)
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(_email(settings, message), settings.alert_from, list(settings.alert_to))


def send_apprise(url: str, message: Message) -> bool:
    """Notify one Apprise URL; False when Apprise refused the URL or the service failed."""
    import apprise  # imported only when a chat or webhook alert is configured

    notifier = apprise.Apprise()
    if not notifier.add(url):
        return False
    return bool(
        notifier.notify(
            body=message.short,
            title=message.subject,
            notify_type=_NOTIFY_TYPE.get(message.kind, "failure"),
        )
    )


def deliver(settings: Settings, message: Message) -> bool:
    """Send ``message`` on every configured channel; True when at least one delivered it."""
    delivered = False
    subject = redact(message.subject, settings)
    if email_enabled(settings):
        try:
            send_email(settings, message)
            delivered = True
        except Exception as exc:
            log.error(
                "alerte « %s » non envoyée par e-mail (serveur SMTP %s:%s) : %s",
                subject,
                settings.smtp_host,
                settings.smtp_port,
                redact(str(exc) or type(exc).__name__, settings),
            )
    elif settings.smtp_host:
        log.warning("alerte non envoyée par e-mail : PATRIMOINE_ALERT_TO est vide")
    for index, url in enumerate(settings.alert_urls, start=1):
        try:
            sent = send_apprise(url, message)
            problem = "" if sent else "le service a refusé l'adresse ou le message"
        except Exception as exc:
            sent, problem = False, redact(str(exc) or type(exc).__name__, settings)
        if sent:
            delivered = True
        else:
            log.error(
                "alerte « %s » non envoyée à %s : %s",
                subject,
                describe_url(index, url),
                problem,
            )
    return delivered
