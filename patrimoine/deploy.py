"""The names the CLI imports (``patrimoine.deploy``); the code is in ``patrimoine.deployments``."""

from __future__ import annotations

from patrimoine.deployments import deploy, serve

__all__ = ["deploy", "serve"]
