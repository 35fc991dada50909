"""Fixtures of the sandbox tests: a running local data.gouv.fr and a client keyed for it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from patrimoine.sandbox.datagouv_portal import DatagouvPortal


@pytest.fixture
def portal(datagouv_portal: DatagouvPortal) -> DatagouvPortal:
    return datagouv_portal


@pytest.fixture
def api(portal: DatagouvPortal) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{portal.url}/api/1", headers={"X-API-KEY": portal.api_key}, timeout=5
    ) as client:
        yield client
