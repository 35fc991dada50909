"""Prefect deployments of patrimoine: the nightly schedule and the on-demand run.

Built from code (:mod:`.definitions`) so the schedule follows ``nightly_time`` and the
timeout follows ``run_timeout``; ``deployments/prefect.yaml`` mirrors them with the default
settings for ``prefect deploy`` users (a test keeps both in step). Importing this package
does not import Prefect: the CLI sets Prefect's environment first.
"""

from __future__ import annotations

from patrimoine.deployments.commands import deploy, serve

__all__ = ["deploy", "serve"]
