"""Fixtures of the publication tests: the local data.gouv.fr as ``portal``."""

from __future__ import annotations

import pytest

from patrimoine.sandbox.datagouv_portal import DatagouvPortal


@pytest.fixture
def portal(datagouv_portal: DatagouvPortal) -> DatagouvPortal:
    return datagouv_portal
