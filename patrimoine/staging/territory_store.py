"""Keep the resolved territory in the database so a run works when geo.api is down."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import Engine, text

from patrimoine.territory import Commune, Territory


def save(engine: Engine, territory: Territory) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            text("DELETE FROM territory_communes WHERE territory = :t"), {"t": territory.key}
        )
        conn.execute(
            text(
                "INSERT INTO territory_communes (territory, territory_label, code, nom, "
                "departement, codes_postaux, population, contour, fetched_at) VALUES "
                "(:territory, :label, :code, :nom, :departement, :codes_postaux, :population, "
                ":contour, :fetched_at)"
            ),
            [
                {
                    "territory": territory.key,
                    "label": territory.label,
                    "code": c.code,
                    "nom": c.nom,
                    "departement": c.departement,
                    "codes_postaux": json.dumps(list(c.codes_postaux)),
                    "population": c.population,
                    "contour": json.dumps(c.contour) if c.contour else None,
                    "fetched_at": now,
                }
                for c in territory.communes
            ],
        )


def load(engine: Engine, key: str) -> Territory | None:
    with engine.connect() as conn:
        rows = list(
            conn.execute(
                text("SELECT * FROM territory_communes WHERE territory = :t ORDER BY code"),
                {"t": key},
            )
        )
    if not rows:
        return None
    communes = tuple(
        Commune(
            code=r.code,
            nom=r.nom,
            departement=r.departement,
            codes_postaux=tuple(json.loads(r.codes_postaux)),
            population=r.population,
            contour=json.loads(r.contour) if r.contour else None,
        )
        for r in rows
    )
    return Territory(key=key, label=rows[0].territory_label, communes=communes)
