"""Coordinates as found upstream ("lat,lon", "lat, lon", {lat, lon}) into WGS84 numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# Generous envelopes of metropolitan France and of the overseas départements (lat, lon).
FRANCE_ENVELOPES: tuple[tuple[float, float, float, float], ...] = (
    (41.2, 51.2, -5.3, 9.7),  # métropole et Corse
    (15.8, 16.6, -61.9, -60.9),  # Guadeloupe
    (14.3, 14.9, -61.3, -60.7),  # Martinique
    (2.0, 6.0, -54.7, -51.5),  # Guyane
    (-21.5, -20.8, 55.1, 55.9),  # La Réunion
    (-13.1, -12.5, 44.9, 45.4),  # Mayotte
)
_PAIR = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[,;]\s*(-?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float

    @property
    def in_france(self) -> bool:
        return any(
            lat_min <= self.lat <= lat_max and lon_min <= self.lon <= lon_max
            for lat_min, lat_max, lon_min, lon_max in FRANCE_ENVELOPES
        )


def parse_point(value: Any) -> Point | None:
    """Read a point; empty, unparsable and (0, 0) are missing (POP's "no location")."""
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        try:
            lat, lon = float(value["lat"]), float(value["lon"])
        except (KeyError, TypeError, ValueError):
            return None
    else:
        match = _PAIR.match(str(value))
        if not match:
            return None
        lat, lon = float(match.group(1)), float(match.group(2))
    if lat == 0 and lon == 0:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return Point(round(lat, 7), round(lon, 7))


NO_POINT = "sans_coordonnees"
SWAPPED = "coordonnees_inversees"
OUTSIDE_FRANCE = "hors_france"


def checked(point: Point | None) -> tuple[Point | None, str | None]:
    """A record's point with a swapped pair put back, and the data-quality note it earns.

    Upstream geocoders sometimes write ``lon,lat``: a pair outside France that lands in
    France once swapped is taken swapped (and reported); one outside France either way is
    kept as given and reported, so the caller can keep it off the map.
    """
    if point is None:
        return None, NO_POINT
    if point.in_france:
        return point, None
    swapped = Point(point.lon, point.lat)
    if swapped.in_france:
        return swapped, SWAPPED
    return point, OUTSIDE_FRANCE


@lru_cache(maxsize=1 << 16)
def locate_point(raw: str) -> tuple[Point | None, str | None]:
    """:func:`checked` of a ``"lat,lon"`` text (cached: files repeat their points)."""
    return checked(parse_point(raw))
