"""Territories and points built from the real (simplified IGN) contours of the 21 communes.

Points are derived from the contours the offline snapshot ships
(``tests.servers.real_contours()``): inside a commune, on a border two communes share, or
a known distance outside a commune's contour.
"""

from __future__ import annotations

import math
from typing import Any

from shapely.geometry import shape

from patrimoine.territory import Territory, commune_from_feature
from tests.samples.merimee import Commune, with_contours
from tests.servers import clermont_communes, real_contours

CLERMONT, CHAMALIERES, LE_CENDRE, ROYAT = "63113", "63075", "63069", "63308"
BEAUMONT, CEYRAT, PONT_DU_CHATEAU = "63032", "63070", "63284"
BEAUMONT_74 = (46.1134, 6.1432)
"""(lat, lon) of a point in Beaumont (Haute-Savoie, 74031), namesake of Beaumont (63032)."""
LA_REUNION = (-21.1151, 55.5364)
"""(lat, lon) of a point in La Réunion: in France, 9,400 km from any member commune."""

_M_PER_DEGREE = 111_195.0  # mean great-circle metres per degree of latitude

CONTOURS: dict[str, Any] = real_contours()


def clermont_territory() -> Territory:
    """The 21 communes as the pipeline builds them from geo.api's GeoJSON answer."""
    features = [
        {
            "type": "Feature",
            "properties": {k: v for k, v in commune.items() if k != "contour"},
            "geometry": commune["contour"],
        }
        for commune in clermont_communes()
    ]
    communes = tuple(commune_from_feature(f) for f in features)
    return Territory(key="epci:246300701", label="Clermont Auvergne Métropole", communes=communes)


def sample_communes() -> list[Commune]:
    """The 21 communes as the sample generators take them, with their real contours, so
    generated points fall inside the territory the local geo.api serves."""
    return with_contours(
        [Commune(c["code"], c["nom"], "63", "84", 0.0, 0.0) for c in clermont_communes()],
        real_contours(),
    )


def inside(code: str) -> tuple[float, float]:
    """(lat, lon) of a point surely inside the commune's real contour."""
    point = shape(CONTOURS[code]).representative_point()
    return point.y, point.x


def east_of(code: str, metres: float) -> tuple[float, float]:
    """(lat, lon) ``metres`` due east of the easternmost vertex of the commune's contour.

    Every point of the contour lies west of that vertex, so the point is ``metres`` from it.
    """
    lon, lat = max(shape(CONTOURS[code]).exterior.coords, key=lambda xy: xy[0])
    return lat, lon + metres / (_M_PER_DEGREE * math.cos(math.radians(lat)))


def south_of(code: str, metres: float) -> tuple[float, float]:
    """(lat, lon) ``metres`` due south of the southernmost vertex of the commune's contour."""
    lon, lat = min(shape(CONTOURS[code]).exterior.coords, key=lambda xy: xy[1])
    return lat - metres / _M_PER_DEGREE, lon


def shared_vertices(a: str, b: str) -> list[tuple[float, float]]:
    """(lat, lon) of the vertices two neighbouring contours, and no third one, have in common."""
    rings = {code: set(shape(contour).exterior.coords) for code, contour in CONTOURS.items()}
    others = set().union(*(ring for code, ring in rings.items() if code not in (a, b)))
    return sorted((lat, lon) for lon, lat in (rings[a] & rings[b]) - others)


def wgs84(point: tuple[float, float]) -> str:
    """A point as Mérimée writes it: ``lat,lon``, no space."""
    return f"{point[0]:.7f},{point[1]:.7f}"
