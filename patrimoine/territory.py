"""The territory a run covers: its communes, their names and contours."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from patrimoine.transforms.coordinates import FRANCE_ENVELOPES
from patrimoine.transforms.text import fold

_INDEX_ARTICLE = re.compile(r"^(?P<name>.+?)\s*\((?P<article>les|le|la|l')\)$", re.IGNORECASE)


def name_key(name: str) -> str:
    """Key for matching commune names: "Cendre (Le)" and "Le Cendre" meet here."""
    text = name.strip()
    match = _INDEX_ARTICLE.match(text)
    if match:
        article = match.group("article")
        text = f"{article}{'' if article.endswith(chr(39)) else ' '}{match.group('name')}"
    text = re.sub(r"\s+\d+$", "", text)  # forme index may end with a département number
    return fold(text)


@dataclass(frozen=True)
class Commune:
    """A current commune (COG) of the territory."""

    code: str
    nom: str
    departement: str
    codes_postaux: tuple[str, ...] = ()
    population: int | None = None
    contour: dict[str, Any] | None = None


@dataclass(frozen=True)
class Territory:
    """Communes of an EPCI (or of a commune list), with lookup helpers."""

    key: str
    label: str
    communes: tuple[Commune, ...]
    _by_code: dict[str, Commune] = field(init=False, repr=False, compare=False)
    _by_name: dict[str, Commune] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {c.code: c for c in self.communes})
        object.__setattr__(self, "_by_name", {name_key(c.nom): c for c in self.communes})

    @property
    def codes(self) -> list[str]:
        return sorted(self._by_code)

    @property
    def departements(self) -> list[str]:
        return sorted({c.departement for c in self.communes})

    def commune(self, code: str) -> Commune | None:
        return self._by_code.get(code)

    def by_codes(self, codes: Iterable[str]) -> Commune | None:
        """The first of ``codes`` that belongs to the territory."""
        return next((self._by_code[c] for c in codes if c in self._by_code), None)

    def by_name(self, *names: str) -> Commune | None:
        return next((self._by_name[k] for k in map(name_key, names) if k in self._by_name), None)

    def extent(self) -> tuple[float, float, float, float]:
        """(lat_min, lat_max, lon_min, lon_max) of the communes' contours, with a margin.

        Suites check published points against it: a point outside cannot be in a commune of
        the territory. Without contours, the France envelope holding the territory.
        """
        return _extent(self)

    def envelope(self, margin: float = 0.5) -> tuple[float, float, float, float]:
        """(lat_min, lat_max, lon_min, lon_max): the France envelope holding the communes.

        Validation checks coordinates against it, so a metropolitan EPCI accepts any point of
        metropolitan France and an overseas one its own island.
        """
        points = [pt for c in self.communes for pt in geometry_points(c.contour)]
        if not points:
            return FRANCE_ENVELOPES[0]
        for env in FRANCE_ENVELOPES:
            lat_min, lat_max, lon_min, lon_max = env
            if all(lat_min <= lat <= lat_max and lon_min <= lon <= lon_max for lon, lat in points):
                return env
        lons = [p[0] for p in points]
        lats = [p[1] for p in points]
        return (min(lats) - margin, max(lats) + margin, min(lons) - margin, max(lons) + margin)


EXTENT_MARGIN_DEGREES = 0.015
"""About 1.2 km: the commune assignment's tolerance around the contours, and a bit more."""


def _extent(territory: Territory) -> tuple[float, float, float, float]:
    points = [pt for c in territory.communes for pt in geometry_points(c.contour)]
    if not points:
        return territory.envelope()
    m = EXTENT_MARGIN_DEGREES
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    return (min(lats) - m, max(lats) + m, min(lons) - m, max(lons) + m)


def geometry_points(geometry: dict[str, Any] | None) -> list[tuple[float, float]]:
    """Every (lon, lat) position of a GeoJSON geometry."""
    if not geometry:
        return []
    out: list[tuple[float, float]] = []

    def walk(node: Any) -> None:
        if (
            isinstance(node, list)
            and len(node) >= 2
            and all(isinstance(v, int | float) for v in node[:2])
        ):
            out.append((float(node[0]), float(node[1])))
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(geometry.get("coordinates"))
    return out


def commune_from_feature(feature: dict[str, Any]) -> Commune:
    """A geo.api.gouv.fr commune Feature (or plain JSON object) as a :class:`Commune`."""
    props = feature.get("properties", feature)
    return Commune(
        code=str(props["code"]),
        nom=str(props["nom"]),
        departement=str(props.get("codeDepartement") or props["code"][:2]),
        codes_postaux=tuple(props.get("codesPostaux") or ()),
        population=props.get("population"),
        contour=feature.get("geometry") if "properties" in feature else None,
    )
