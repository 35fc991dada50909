"""Commune assignment shared by every transform: code, then point, then name.

Upstream records locate themselves in three ways that disagree now and then: INSEE codes
(historic ones in Mérimée), coordinates (geocoded from addresses, sometimes far off) and
commune names (several spellings, namesakes across France). :class:`CommuneMatcher` decides
with the territory's real contours (an STRtree of shapely polygons) and says how it
decided, so disagreements are reported with the record's identifier instead of guessed:

1. a code of the territory wins (among several, the commune holding the point);
2. no code: the commune whose polygon holds the point (on a shared border, the one the
   record names);
3. otherwise the name of a member commune, only inside the département the record
   declares (its codes or its département) and, when it has coordinates, only if the point
   lies in or near that commune. A name that cannot be verified (no département, and no
   point or no contour to check the point against) is not taken.

Distances are computed in a local equirectangular projection (metres), accurate to well
under 1 % across an EPCI, so no projection library is needed for this.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from patrimoine.territory import Commune, Territory, geometry_points, name_key

DEFAULT_TOLERANCE_M = 1000.0
"""How far outside its commune's contour a point may lie and still count as in it."""
_M_PER_DEGREE_LAT = 110_574.0
_M_PER_DEGREE_LON_EQUATOR = 111_320.0

BY_CODE, BY_POINT, BY_NAME = "code", "point", "nom"
NAME_DISAGREES = "nom_commune_divergent"
POINT_OUTSIDE_COMMUNE = "coordonnees_hors_commune"
NAMESAKE_REJECTED = "homonyme_ecarte"
NOT_VERIFIABLE = "commune_non_verifiable"


@dataclass(frozen=True)
class Assignment:
    """Where a record belongs, how that was decided and what disagreed."""

    commune: Commune | None
    method: str | None = None
    notes: tuple[str, ...] = ()
    point_suspect: bool = False
    """The record's point lies neither in nor near its commune (keep it off the map)."""

    @property
    def reported(self) -> bool:
        """A record outside the territory is silent unless it looked like a member."""
        return self.commune is not None or bool(self.notes)


class CommuneMatcher:
    """Assign records to the communes of one territory."""

    def __init__(self, territory: Territory, tolerance_m: float = DEFAULT_TOLERANCE_M) -> None:
        self.territory = territory
        self.tolerance_m = tolerance_m
        self._by_name: dict[str, list[Commune]] = {}
        for commune in territory.communes:
            self._by_name.setdefault(name_key(commune.nom), []).append(commune)
        contours = [(c, c.contour) for c in territory.communes if c.contour]
        lats = [lat for _, contour in contours for _, lat in geometry_points(contour)]
        lat0 = math.radians(sum(lats) / len(lats)) if lats else 0.0
        # One scale for contours and points alike, so a point on a vertex stays on it.
        self._scale_x = _M_PER_DEGREE_LON_EQUATOR * math.cos(lat0)
        self._shapes: dict[str, BaseGeometry] = {}
        for commune, contour in contours:
            geometry = shapely.make_valid(self._project_geometry(shape(contour)))
            self._shapes[commune.code] = geometry
        self._codes = list(self._shapes)
        self._tree = STRtree([self._shapes[c] for c in self._codes]) if self._codes else None

    # -- geometry -----------------------------------------------------------------------
    def _xy(self, lat: float, lon: float) -> tuple[float, float]:
        return lon * self._scale_x, lat * _M_PER_DEGREE_LAT

    def _project_geometry(self, geometry: BaseGeometry) -> BaseGeometry:
        scale = [self._scale_x, _M_PER_DEGREE_LAT]
        return shapely.transform(geometry, lambda xy: xy * scale)

    def locate_all(self, lat: float, lon: float) -> list[Commune]:
        """Every commune whose contour holds the point, in territory order.

        Several only on a shared border (the contours have a common topology); the STRtree
        answers in no guaranteed order, so the territory's order keeps the choice stable.
        """
        if self._tree is None:
            return []
        point = Point(self._xy(lat, lon))
        indexes = sorted(int(i) for i in self._tree.query(point, predicate="intersects"))
        found = (self.territory.commune(self._codes[i]) for i in indexes)
        return [commune for commune in found if commune is not None]

    def locate(self, lat: float, lon: float) -> Commune | None:
        """The commune whose contour holds the point (None outside the territory)."""
        found = self.locate_all(lat, lon)
        return found[0] if found else None

    def distance_m(self, commune: Commune, lat: float, lon: float) -> float | None:
        """Metres from the point to the commune's contour (0 inside; None without contour)."""
        geometry = self._shapes.get(commune.code)
        if geometry is None:
            return None
        return float(geometry.distance(Point(self._xy(lat, lon))))

    def near(self, commune: Commune, lat: float, lon: float) -> bool:
        distance = self.distance_m(commune, lat, lon)
        return distance is None or distance <= self.tolerance_m

    # -- lookups ------------------------------------------------------------------------
    def by_names(self, names: Sequence[str]) -> list[Commune]:
        found: list[Commune] = []
        for name in names:
            for commune in self._by_name.get(name_key(name), []):
                if commune not in found:
                    found.append(commune)
        return found

    # -- the decision ---------------------------------------------------------------------
    def assign(
        self,
        codes: Sequence[str],
        names: Sequence[str],
        departements: Sequence[str] = (),
        point: tuple[float, float] | None = None,
    ) -> Assignment:
        """Assign a record from its codes, names, declared départements and point (lat, lon)."""
        names = [n for n in names if n]
        members = [c for c in (self.territory.commune(code) for code in codes) if c is not None]
        if members:
            return self._by_code(members, names, point)
        if codes:
            # Codes from elsewhere: a historic code of a member (same département) or not ours.
            departements = [*departements, *(_departement(code) for code in codes)]
            return self._by_name_checked(names, departements, point)
        if point is not None:
            located = self.locate_all(*point)
            if located:
                # On a shared border the point is in both communes: the named one is meant.
                named = [c for c in located if c in self.by_names(names)]
                notes = (NAME_DISAGREES,) if names and not named else ()
                return Assignment((named or located)[0], BY_POINT, notes)
        return self._by_name_checked(names, departements, point)

    def _by_code(
        self, members: list[Commune], names: Sequence[str], point: tuple[float, float] | None
    ) -> Assignment:
        commune = members[0]
        if point is not None and len(members) > 1:
            commune = min(members, key=lambda c: self.distance_m(c, *point) or 0.0)
        notes: list[str] = []
        if names and not {c.code for c in self.by_names(names)} & {c.code for c in members}:
            notes.append(NAME_DISAGREES)
        suspect = point is not None and not self.near(commune, *point)
        if suspect:
            notes.append(POINT_OUTSIDE_COMMUNE)
        return Assignment(commune, BY_CODE, tuple(notes), suspect)

    def _by_name_checked(
        self,
        names: Sequence[str],
        departements: Sequence[str],
        point: tuple[float, float] | None,
    ) -> Assignment:
        named = self.by_names(names)
        if not named:
            return Assignment(None)
        declared = {d.strip() for d in departements if d and d.strip()}
        if declared:
            named = [c for c in named if c.departement in declared]
            if not named:
                return Assignment(None)  # a namesake in another département
        elif point is None:
            return Assignment(None, notes=(NOT_VERIFIABLE,))
        if point is not None:
            distances = [(c, self.distance_m(c, *point)) for c in named]
            close = [c for c, d in distances if d is not None and d <= self.tolerance_m]
            unknown = [c for c, d in distances if d is None]
            if close:
                named = close
            elif unknown and declared:
                named = unknown  # no contour to check the point: the département decides
            elif unknown and len(unknown) == len(named):
                # Without a contour the point verifies nothing (Beaumont 74's point would
                # pass for Beaumont 63): as unverifiable as a name alone.
                return Assignment(None, notes=(NOT_VERIFIABLE,))
            else:
                return Assignment(None, notes=(NAMESAKE_REJECTED,))
        return Assignment(named[0], BY_NAME)


def _departement(code: str) -> str:
    """The département of an INSEE commune code (three digits overseas)."""
    return code[:3] if code.startswith("97") else code[:2]
