"""On PostgreSQL with PostGIS, a geometry a GIS user can query next to each GeoJSON column.

The GeoJSON text stays the column patrimoine writes, compares (diff, history) and
publishes. Beside it, ``<field>_geom`` is a STORED generated column,
``geometry(Geometry, 4326)`` computed by ``ST_GeomFromGeoJSON`` (IMMUTABLE in PostGIS 3, so
PostgreSQL accepts it in a generated column): COPY and INSERT never name it, it cannot
drift from the text, and QGIS or ``ST_Intersects`` read it through its GiST index. A view
computing the geometry could not be indexed, and a trigger is one more thing to keep in step.

Without PostGIS, or on SQLite, nothing here does anything: the text column is the geometry.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

EXTENSION = "postgis"
SUFFIX = "_geom"
SRID = 4326


def geometry_name(field: str) -> str:
    return f"{field}{SUFFIX}"


def extension_schema(conn: Connection) -> str | None:
    """The schema PostGIS is installed in, or None (not installed, or not PostgreSQL)."""
    if conn.dialect.name != "postgresql":
        return None
    found = conn.execute(
        text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
            " WHERE e.extname = :name"
        ),
        {"name": EXTENSION},
    ).scalar_one_or_none()
    return str(found) if found is not None else None


def enable(conn: Connection) -> str | None:
    """Install PostGIS when the server offers it; return its schema, or None.

    The extension is database-wide: it goes to ``public`` when that schema exists, so that
    dropping the schema of one staging database (tests use one per run) cannot take PostGIS,
    and every geometry column of the other schemas, with it. Lacking the privilege is not an
    error: the geometries stay GeoJSON text. Runs in a savepoint of the caller's transaction.
    """
    if conn.dialect.name != "postgresql":
        return None
    schema = extension_schema(conn)
    if schema is not None:
        return schema
    available = conn.execute(
        text("SELECT 1 FROM pg_available_extensions WHERE name = :name"), {"name": EXTENSION}
    ).first()
    if available is None:
        log.debug("PostGIS absent du serveur : géométries en texte GeoJSON seulement")
        return None
    public = conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = 'public'")).first()
    statement = "CREATE EXTENSION IF NOT EXISTS postgis" + (" SCHEMA public" if public else "")
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(statement)
    except SQLAlchemyError as exc:
        log.warning(
            "PostGIS est disponible sur le serveur mais n'a pas pu être activé (%s) : les "
            "géométries restent en texte GeoJSON, sans colonne géométrique ; un "
            "administrateur peut exécuter « CREATE EXTENSION postgis » dans la base",
            _first_line(exc),
        )
        return None
    schema = extension_schema(conn)
    log.info("Extension PostGIS activée (schéma %s)", schema)
    return schema


def generated_columns(conn: Connection, table: str) -> set[str]:
    """Generated columns of ``table`` as the search path finds it (none on SQLite)."""
    if conn.dialect.name != "postgresql":
        return set()
    rows = conn.execute(
        text(
            "SELECT a.attname FROM pg_attribute a"
            " WHERE a.attrelid = to_regclass(quote_ident(:table))"
            " AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated <> ''"
        ),
        {"table": table},
    )
    return {str(r[0]) for r in rows}


def add_geometry_columns(
    conn: Connection, table: str, fields: Iterable[str], present: Iterable[str]
) -> list[str]:
    """Give ``table`` a ``<field>_geom`` column and its GiST index per GeoJSON field it has.

    ``present`` are the table's columns. Returns the columns added. A stored value PostGIS
    rejects leaves that table without the column (a French warning says why) rather than
    failing the promotion: the GeoJSON text is still published.
    """
    wanted = [f for f in fields if f in set(present)]
    if not wanted:
        return []
    schema = extension_schema(conn)
    if schema is None:
        return []
    existing = generated_columns(conn, table)
    quote = conn.dialect.identifier_preparer.quote
    ext = quote(schema)
    added: list[str] = []
    for field in wanted:
        column = geometry_name(field)
        if column in existing:
            continue
        # "" is a missing geometry (as for any text): NULL on the map, not a parse error.
        # ST_Force2D: an altitude must not break the 2D column type.
        expression = (
            f"{ext}.ST_SetSRID({ext}.ST_Force2D({ext}.ST_GeomFromGeoJSON("
            f"NULLIF({quote(field)}, ''))), {SRID})"
        )
        try:
            with conn.begin_nested():
                conn.exec_driver_sql(
                    f"ALTER TABLE {quote(table)} ADD COLUMN {quote(column)} "
                    f"{ext}.geometry(Geometry, {SRID}) GENERATED ALWAYS AS ({expression}) STORED"
                )
                conn.exec_driver_sql(
                    f"CREATE INDEX {quote(f'ix_{table}_{column}'[:63])} "
                    f"ON {quote(table)} USING gist ({quote(column)})"
                )
        except SQLAlchemyError as exc:
            log.warning(
                "%s : colonne géométrique %s non créée, une géométrie GeoJSON est refusée "
                "par PostGIS (%s) ; la colonne texte %s reste seule",
                table,
                column,
                _first_line(exc),
                field,
            )
            continue
        added.append(column)
    if added:
        log.info("%s : colonnes géométriques PostGIS ajoutées %s", table, added)
    return added


def drop_geometry_column(conn: Connection, table: str, field: str) -> None:
    """Drop ``<field>_geom`` before ``field`` itself, which PostgreSQL would otherwise refuse."""
    column = geometry_name(field)
    if column in generated_columns(conn, table):
        quote = conn.dialect.identifier_preparer.quote
        conn.exec_driver_sql(f"ALTER TABLE {quote(table)} DROP COLUMN {quote(column)}")


def _first_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else repr(cause)
