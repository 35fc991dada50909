"""A site's geometry (TableSchema ``geojson``) is staged as text: history and diff see it.

On PostgreSQL with PostGIS, the staged and history tables also get ``<field>_geom``, a
generated geometry a GIS user queries, never compared nor written by patrimoine.
"""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, make_url, text

from patrimoine.catalog import DatasetEntry
from patrimoine.errors import CatalogError
from patrimoine.staging import history, postgis, tables
from patrimoine.staging.db import make_engine, migrate
from tests.staging.support import at, stage, staged, versions, write_entry

FIELDS: list[dict[str, Any]] = [
    {"name": "identifiant", "type": "string"},
    {"name": "nom", "type": "string"},
    {"name": "geometrie", "type": "geojson"},
]


def square(lon: float, lat: float) -> str:
    ring = [[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01]]
    geometry = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    return json.dumps(geometry, separators=(",", ":"))


def sites(project: Path) -> DatasetEntry:
    return write_entry(project, "znieff", FIELDS, ["identifiant"], {"shape": "geometrie"})


def test_a_moved_vertex_is_a_modification_and_an_identical_export_is_not(
    engine: Engine, project: Path
) -> None:
    entry = sites(project)
    # A missing geometry is "" like any missing text (the site is then off the map).
    first: list[list[Any]] = [
        ["830000001", "Puy de Dôme", square(2.96, 45.77)],
        ["830000002", "Gergovie", ""],
    ]
    assert stage(engine, entry, first, "r1", at(0)).added == 2
    assert stage(engine, entry, first, "r2", at(1)).is_empty
    moved = [[*first[0][:2], square(2.961, 45.77)], first[1]]
    diff = stage(engine, entry, moved, "r3", at(2))
    assert (diff.added, diff.removed, diff.changed) == (0, 0, 1)
    assert [r[2] for r in staged(engine, entry)] == [moved[0][2], ""]
    history = [v for v in versions(engine, entry) if v["identifiant"] == "830000001"]
    assert [json.loads(v["geometrie"])["coordinates"][0][0] for v in history] == [
        [2.96, 45.77],
        [2.961, 45.77],
    ]


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"shape": "nom"}, "doit être de type geojson"),
        ({"shape": "contour"}, "colonne « contour » inconnue"),
        ({"latitude": "nom"}, "latitude et longitude vont ensemble"),
    ],
)
def test_the_geometry_section_names_fitting_columns(
    tmp_path: Path, geometry: dict[str, str], message: str
) -> None:
    with pytest.raises(CatalogError, match=message):
        write_entry(tmp_path, "znieff", FIELDS, ["identifiant"], geometry)


# --- PostgreSQL with PostGIS: a geometry column a GIS user can query ------------------------

INSIDE_FIRST = "POINT(2.965 45.775)"  # inside square(2.96, 45.77), outside square(2.98, 45.77)


def geometry_facts(engine: Engine, table: str) -> list[tuple[Any, ...]]:
    """What a GIS user reads from ``<table>.geometrie_geom``, by site."""
    with engine.connect() as conn:
        ext = postgis.extension_schema(conn)
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    f"SELECT identifiant, {ext}.ST_IsValid(geometrie_geom),"
                    f" {ext}.ST_GeometryType(geometrie_geom), {ext}.ST_SRID(geometrie_geom)"
                    f" FROM {table} ORDER BY identifiant"
                )
            )
        ]


def intersecting(engine: Engine, table: str, wkt: str, *, current: bool = False) -> list[str]:
    with engine.connect() as conn:
        ext = postgis.extension_schema(conn)
        where = " AND valid_to_run IS NULL" if current else ""
        query = (
            f"SELECT identifiant FROM {table} WHERE {ext}.ST_Intersects(geometrie_geom,"
            f" {ext}.ST_GeomFromText(:wkt, 4326)){where} ORDER BY identifiant"
        )
        return [str(r[0]) for r in conn.execute(text(query), {"wkt": wkt})]


def geometry_columns(engine: Engine, table: str) -> dict[str, str]:
    """The table's generated columns with their type, and its GiST indexes."""
    with engine.connect() as conn:
        columns = conn.execute(
            text(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
                " WHERE a.attrelid = to_regclass(:t) AND a.attgenerated = 's'"
            ),
            {"t": table},
        )
        # format_type() qualifies the type when PostGIS is not on the search path.
        found = {str(name): str(kind).rsplit(".", 1)[-1] for name, kind in columns}
        indexes = conn.execute(
            text(
                "SELECT indexname FROM pg_indexes WHERE tablename = :t"
                " AND schemaname = current_schema() AND indexdef LIKE '%USING gist%'"
            ),
            {"t": table},
        )
        found.update({str(r[0]): "gist" for r in indexes})
        return found


@pytest.mark.postgres
def test_postgis_gives_the_staged_and_history_tables_a_queryable_geometry(
    postgis_engine: Engine, project: Path
) -> None:
    engine, entry = postgis_engine, sites(project)
    rows: list[list[Any]] = [
        ["830000001", "Puy de Dôme", square(2.96, 45.77)],
        ["830000002", "Gergovie", square(2.98, 45.77)],
        ["830000003", "Sans contour", ""],
    ]
    assert stage(engine, entry, rows, "r1", at(0)).added == 3
    for table in (tables.staged_name(entry), tables.history_name(entry)):
        assert geometry_columns(engine, table) == {
            "geometrie_geom": "geometry(Geometry,4326)",
            f"ix_{table}_geometrie_geom": "gist",
        }
        assert geometry_facts(engine, table) == [
            ("830000001", True, "ST_Polygon", 4326),
            ("830000002", True, "ST_Polygon", 4326),
            ("830000003", None, None, None),  # no geometry: off the map, not an error
        ]
        assert intersecting(engine, table, INSIDE_FIRST) == ["830000001"]
    # Readers and the diff see the published columns only: the text is the geometry.
    assert tables.existing_columns(engine, tables.staged_name(entry)) == entry.column_names
    assert staged(engine, entry) == [tuple(r) for r in rows]
    assert stage(engine, entry, rows, "r2", at(1)).is_empty


@pytest.mark.postgres
def test_a_moved_site_restages_and_its_generated_geometry_follows(
    postgis_engine: Engine, project: Path
) -> None:
    engine, entry = postgis_engine, sites(project)
    first: list[list[Any]] = [
        ["830000001", "Puy de Dôme", square(2.96, 45.77)],
        ["830000002", "Gergovie", square(2.98, 45.77)],
    ]
    stage(engine, entry, first, "r1", at(0))
    moved = [first[0], [*first[1][:2], square(2.96, 45.775)]]  # now covers the point too
    diff = stage(engine, entry, moved, "r2", at(1))
    assert (diff.added, diff.removed, diff.changed) == (0, 0, 1)
    staged_table = tables.staged_name(entry)
    assert intersecting(engine, staged_table, INSIDE_FIRST) == ["830000001", "830000002"]
    history_table = tables.history_name(entry)
    assert intersecting(engine, history_table, INSIDE_FIRST, current=True) == [
        "830000001",
        "830000002",
    ]
    assert intersecting(engine, history_table, INSIDE_FIRST) == [
        "830000001",
        "830000002",
    ]  # the superseded version of 830000002 kept its own geometry, away from the point
    with engine.connect() as conn:
        ext = postgis.extension_schema(conn)
        old = conn.execute(
            text(
                f"SELECT {ext}.ST_Intersects(geometrie_geom, {ext}.ST_GeomFromText(:p, 4326))"
                f" FROM {history_table} WHERE identifiant = '830000002' AND valid_to_run = 'r2'"
            ),
            {"p": INSIDE_FIRST},
        ).scalar_one()
    assert old is False
    # The changelog compares the GeoJSON text: one modification, of geometrie only.
    changes = history.changes(engine, entry, runs=["r2"])
    assert [(c.key, c.change, c.column) for c in changes] == [
        ("830000002", history.MODIFIED, "geometrie")
    ]
    assert changes[0].new == moved[1][2]


@pytest.mark.postgres
def test_without_postgis_the_geometry_stays_text_and_gains_its_column_later(
    postgis_engine: Engine, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, entry = postgis_engine, sites(project)
    rows: list[list[Any]] = [["830000001", "Puy de Dôme", square(2.96, 45.77)]]
    with monkeypatch.context() as patched:
        patched.setattr(postgis, "extension_schema", lambda conn: None)
        stage(engine, entry, rows, "r1", at(0))
        assert geometry_columns(engine, tables.staged_name(entry)) == {}
        assert geometry_columns(engine, tables.history_name(entry)) == {}
    # The server has PostGIS now: the next promotion adds the column to the existing rows.
    rows.append(["830000002", "Gergovie", square(2.98, 45.77)])
    assert stage(engine, entry, rows, "r2", at(1)).added == 1
    assert intersecting(engine, tables.staged_name(entry), INSIDE_FIRST) == ["830000001"]
    assert intersecting(engine, tables.history_name(entry), INSIDE_FIRST) == ["830000001"]


@pytest.mark.postgres
def test_a_geometry_field_removed_from_the_schema_takes_its_column_with_it(
    postgis_engine: Engine, project: Path
) -> None:
    engine, entry = postgis_engine, sites(project)
    stage(engine, entry, [["830000001", "Puy de Dôme", square(2.96, 45.77)]], "r1", at(0))
    without = write_entry(project, "znieff", FIELDS[:2], ["identifiant"])
    diff = stage(engine, without, [["830000001", "Puy de Dôme"]], "r2", at(1))
    assert diff.columns_dropped == ["geometrie"]
    assert tables.existing_columns(engine, tables.staged_name(entry)) == ["identifiant", "nom"]
    assert geometry_columns(engine, tables.staged_name(entry)) == {}
    # The history keeps every old value, its geometry column included.
    assert intersecting(engine, tables.history_name(entry), INSIDE_FIRST) == ["830000001"]


@pytest.mark.postgres
def test_without_the_privilege_postgis_is_not_enabled_and_a_warning_says_so(
    postgres_url: str, project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A role that may not create extensions, on a database without PostGIS."""
    suffix = uuid.uuid4().hex[:10]
    role, database = f"patrimoine_t_{suffix}", f"patrimoine_t_{suffix}"
    admin = postgres_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER')
        conn.execute(f'CREATE DATABASE "{database}" OWNER "{role}"')
    engine = make_engine(
        make_url(postgres_url)
        .set(username=role, database=database)
        .render_as_string(hide_password=False)
    )
    try:
        with caplog.at_level(logging.WARNING, logger="patrimoine.staging.postgis"):
            migrate(engine)
        assert "PostGIS est disponible sur le serveur mais n'a pas pu être activé" in caplog.text
        entry = sites(project)
        rows = [("830000001", "Puy de Dôme", square(2.96, 45.77))]
        assert stage(engine, entry, rows, "r1", at(0)).added == 1
        assert staged(engine, entry) == rows
        assert geometry_columns(engine, tables.staged_name(entry)) == {}
    finally:
        engine.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')
