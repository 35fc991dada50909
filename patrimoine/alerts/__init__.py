"""Failure alerts in French to the data manager, by e-mail and chat (Apprise).

:func:`after_run` runs at the end of every run (schedule, Prefect UI, ``patrimoine run``);
:func:`flow_crashed` from the flows' crash and failure hooks. Modules: ``messages`` (the
texts), ``facts`` (what the ledger says), ``state`` (the no-flood rule), ``channels`` (SMTP
and Apprise), ``links`` (the Prefect UI), ``redact`` (no secret in any text).
"""

from __future__ import annotations

from patrimoine.alerts.notify import after_run, flow_crashed

__all__ = ["after_run", "flow_crashed"]
