"""Real local HTTP servers standing in for the upstream services in tests.

    from tests.servers import UpstreamServer, clermont_communes

    with UpstreamServer() as upstream:
        upstream.add_epci("246300701", clermont_communes())
        env = upstream_env(upstream)   # PATRIMOINE_DATAGOUV_URL / _GEO_API_URL -> upstream.url

Plain helper functions live here (no pytest fixtures: ``tests/conftest.py`` belongs to the
suite); the fixtures built on them for the HTTP client tests are in ``tests/http/conftest.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .base import BaseServer, RecordedRequest, Reply, Request, Route, http_date, query_key
from .upstream import UpstreamServer

__all__ = [
    "CLERMONT_EPCI_SIREN",
    "BaseServer",
    "RecordedRequest",
    "Reply",
    "Request",
    "Route",
    "UpstreamServer",
    "clermont_communes",
    "http_date",
    "make_commune",
    "query_key",
    "real_contours",
    "square",
    "upstream_env",
]

CLERMONT_EPCI_SIREN = "246300701"

# INSEE code, name, commune SIREN, postal codes, municipal population (EPCI members file):
# the 21 communes of Clermont Auvergne Métropole (INSEE COG via @etalab/decoupage-administratif,
# shared/reference/territory-clermont-auvergne-metropole.csv).
_CLERMONT = (
    ("63014", "Aubière", "216300145", ("63170",), 10273),
    ("63019", "Aulnat", "216300194", ("63510",), 4127),
    ("63032", "Beaumont", "216300327", ("63110",), 10787),
    ("63042", "Blanzat", "216300426", ("63112",), 3729),
    ("63063", "Cébazat", "216300632", ("63118",), 8949),
    ("63069", "Le Cendre", "216300699", ("63670",), 5455),
    ("63070", "Ceyrat", "216300707", ("63122",), 6548),
    ("63075", "Chamalières", "216300756", ("63400",), 17591),
    ("63099", "Châteaugay", "216300996", ("63119",), 3143),
    ("63113", "Clermont-Ferrand", "216301135", ("63000", "63100"), 147751),
    ("63124", "Cournon-d'Auvergne", "216301242", ("63800",), 20020),
    ("63141", "Durtol", "216301416", ("63830",), 1964),
    ("63164", "Gerzat", "216301648", ("63360",), 10268),
    ("63193", "Lempdes", "216301937", ("63370",), 8646),
    ("63254", "Nohanent", "216302547", ("63830",), 2246),
    ("63263", "Orcines", "216302638", ("63870",), 3584),
    ("63272", "Pérignat-lès-Sarliève", "216302729", ("63170",), 2875),
    ("63284", "Pont-du-Château", "216302844", ("63430",), 12422),
    ("63307", "Romagnat", "216303073", ("63540",), 7905),
    ("63308", "Royat", "216303081", ("63130",), 4420),
    ("63345", "Saint-Genès-Champanelle", "216303453", ("63122",), 3974),
)


def square(lon: float, lat: float, half_side: float = 0.01) -> dict[str, Any]:
    """A closed square GeoJSON Polygon centred on (lon, lat), in degrees."""
    w, e, s, n = lon - half_side, lon + half_side, lat - half_side, lat + half_side
    ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def make_commune(
    code: str,
    nom: str,
    *,
    siren: str = "",
    codes_postaux: tuple[str, ...] | list[str] = (),
    population: int = 0,
    code_epci: str | None = None,
    code_departement: str | None = None,
    code_region: str = "84",
    contour: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A commune dict in the geo.api.gouv.fr shape (``contour`` defaults to a small square)."""
    commune: dict[str, Any] = {
        "nom": nom,
        "code": code,
        "codeDepartement": code_departement or code[:2],
        "siren": siren,
        "codeRegion": code_region,
        "codesPostaux": list(codes_postaux),
        "population": population,
        "contour": contour or square(3.08, 45.78),
    }
    if code_epci is not None:
        commune["codeEpci"] = code_epci
    return commune


CONTOURS_FILE = (
    Path(__file__).resolve().parents[2]
    / "snapshot"
    / "inputs"
    / "contours-clermont-auvergne-metropole.geojson"
)


def real_contours() -> dict[str, dict[str, Any]]:
    """INSEE code → the real (simplified IGN Admin Express) contour of each member commune."""
    collection = json.loads(CONTOURS_FILE.read_text(encoding="utf-8"))
    return {f["properties"]["code"]: f["geometry"] for f in collection["features"]}


def clermont_communes() -> list[dict[str, Any]]:
    """The 21 member communes, with real codes and real (simplified) contours."""
    contours = real_contours()
    communes = []
    for code, nom, siren, postaux, population in _CLERMONT:
        communes.append(
            make_commune(
                code,
                nom,
                siren=siren,
                codes_postaux=postaux,
                population=population,
                code_epci=CLERMONT_EPCI_SIREN,
                contour=contours[code],
            )
        )
    return communes


def upstream_env(server: BaseServer) -> dict[str, str]:
    """The ``PATRIMOINE_*`` variables that point the pipeline at ``server``."""
    return {
        "PATRIMOINE_DATAGOUV_URL": server.url,
        "PATRIMOINE_GEO_API_URL": server.url,
        "PATRIMOINE_TABULAR_URL": server.url,
    }
