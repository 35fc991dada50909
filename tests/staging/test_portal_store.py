"""The portal ids kept in the staging database, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine

from patrimoine.staging import portal_store
from patrimoine.staging.portal_store import PortalDataset

WWW, DEMO = "https://www.data.gouv.fr", "https://demo.data.gouv.fr"


def test_saved_ids_are_found_again_per_portal_and_address(engine: Engine) -> None:
    assert portal_store.load(engine, "datagouv", WWW, "znieff-type-1") is None
    record = PortalDataset("datagouv", WWW, "znieff-type-1", "6751a0c3e1b2f0a1b2c3d4e5")
    portal_store.save(engine, record)
    record.resources["donnees-csv"] = "0b7e8c1a-2222-4c1e-9d7f-3c2b1a0f9e8d"
    record.state = {"metadonnees": "sha1:abc", "titre": "ZNIEFF de type 1 – Clermont"}
    portal_store.save(engine, record)  # an update, not a second row

    found = portal_store.load(engine, "datagouv", WWW, "znieff-type-1")
    assert found == record
    # Rehearsing on demo never reuses the ids of www, nor another portal kind's.
    assert portal_store.load(engine, "datagouv", DEMO, "znieff-type-1") is None
    assert portal_store.load(engine, "ods", WWW, "znieff-type-1") is None

    portal_store.forget(engine, "datagouv", WWW, "znieff-type-1")
    assert portal_store.load(engine, "datagouv", WWW, "znieff-type-1") is None


def test_status_says_where_a_dataset_is_published(engine: Engine) -> None:
    from patrimoine.catalog import load_entry
    from patrimoine.cli.status import format_status
    from patrimoine.config import PROJECT_DIR
    from patrimoine.status import dataset_status

    entry = load_entry(PROJECT_DIR / "catalog" / "znieff-type-1.toml", PROJECT_DIR)
    assert not any("portail" in line for line in format_status(dataset_status(engine, entry), "t"))
    record = PortalDataset("datagouv", DEMO, entry.name, "6751a0c3e1b2f0a1b2c3d4e5")
    record.resources = {"donnees-csv": "rid-1", "changelog": "rid-2"}
    portal_store.save(engine, record)
    lines = format_status(dataset_status(engine, entry), "t")
    assert (
        f"  sur le portail datagouv ({DEMO}) : jeu 6751a0c3e1b2f0a1b2c3d4e5, 2 ressources" in lines
    )
