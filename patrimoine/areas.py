"""Natural-area polygons, from what the WFS serves to what is published.

Pure functions for the INPN / PatriNat sites (protected areas, ZNIEFF, Natura 2000, INPG,
ENS), in the order the pipeline applies them:

1. :func:`to_wgs84` and :func:`in_lonlat`: the layers are served in Lambert-93 and a
   ``EPSG:4326`` answer may come in lat/lon order (the EPSG axis order). A geometry is
   only accepted where it lands in the France envelope holding the territory; one that
   lands there once its axes are swapped is put back (and noted), one that lands there in
   neither order is refused (noted) rather than published in the sea;
2. :func:`repaired`: ``make_valid``, polygonal parts only, empty or flat ones reported;
3. :class:`TerritoryAreas`: the communes a site really overlaps, its geodesic area, its
   geodesic area inside the territory and the share inside;
4. :func:`rfc7946` and :func:`geometry_fingerprint`: the published GeoJSON geometry and a
   stable key for history and diff.

Set operations run in lon/lat, the coordinates that are published (GeoJSON edges are
straight in lon/lat); areas are geodesic (``pyproj.Geod`` on WGS84), so they are right in
La Réunion as in Clermont-Ferrand with no projection to choose per territory.

Decision, clip or not: the **full** site geometry is published with its share inside the
territory, not the part inside. Reusers compare with the official perimeter (``surf_off``,
the INPN sheet) and join on the identifier; a clipped polygon would invent a boundary
that no authority drew, and its area would no longer be the site's.

Notes are data-quality codes (French, like the transforms' ones);
:data:`patrimoine.transforms.stats.REMARKS` holds their French labels for the run report.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Geod, Transformer
from shapely import STRtree
from shapely.errors import ShapelyError
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from patrimoine.territory import Territory

WGS84 = "EPSG:4326"
LAMBERT_93 = "EPSG:2154"
PRECISION = 6
"""Decimals published (RFC 7946 §11.2): 1e-6 degree is about 0.1 m."""
SIMPLIFY_TOLERANCE_M = 2.0
"""Default simplification of published polygons: no vertex moves by more than 2 m.

Well under the drawing precision of the PatriNat layers (digitised around 1:25,000, so
several metres), yet it drops the densified vertices of arcs and reprojected edges.
"""
OVERLAP_MIN_M2 = 100.0
"""Overlap (a 10 m x 10 m square) below which a site does not count as in a commune.

A site that only touches a border overlaps by zero, or by floating-point noise; sites and
commune contours drawn by different producers also meet in thin slivers. Neither makes a
site part of a commune.
"""
OVERLAP_MIN_SHARE = 0.001
"""For sites under 10 ha, the threshold is 0.1 % of the site instead, so small sites count."""

GEOMETRY_REPAIRED = "geometrie_reparee"
GEOMETRY_EMPTY = "geometrie_vide"
GEOMETRY_UNREADABLE = "geometrie_illisible"
AXES_SWAPPED = "axes_inverses"
OUTSIDE_FRANCE = "geometrie_hors_france"


GEOD = Geod(ellps="WGS84")
_EARTH_RADIUS_M = 6_371_008.8  # mean radius: the local scale for tolerances, within 1 %


# -- coordinates ----------------------------------------------------------------------------
@lru_cache(maxsize=16)
def _transformer(source_crs: str) -> Transformer | None:
    """The transformer to lon/lat, None when ``source_crs`` already is WGS84 lon/lat.

    ``always_xy``: EPSG:4326 is lat/lon by definition, the pipeline never wants that
    order. pyproj transformers are thread-safe (3.1+), so one per CRS is cached.
    """
    crs = CRS.from_user_input(source_crs)
    if crs.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return None
    return Transformer.from_crs(crs, WGS84, always_xy=True)


def to_wgs84(geometry: BaseGeometry, source_crs: str | int = LAMBERT_93) -> BaseGeometry:
    """``geometry`` (x, y in ``source_crs``: EPSG code or OGC URN/URI) in lon/lat WGS84."""
    transformer = _transformer(f"EPSG:{source_crs}" if isinstance(source_crs, int) else source_crs)
    if transformer is None:
        return geometry
    # Interleaved (N, 2) arrays: ``interleaved=False`` needs shapely 2.1, the floor is 2.0.
    return shapely.transform(
        geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )


def swapped_xy(geometry: BaseGeometry) -> BaseGeometry:
    """The geometry with x and y exchanged (lat/lon ↔ lon/lat)."""
    return shapely.transform(geometry, lambda xy: xy[:, ::-1])


def lands_in(geometry: BaseGeometry, envelope: tuple[float, float, float, float]) -> bool:
    """Whether a lon/lat geometry meets ``envelope`` (lat_min, lat_max, lon_min, lon_max).

    Meets rather than lies within: a marine site may reach beyond the generous France
    envelopes, while a lat/lon one lands thousands of kilometres away.
    """
    if geometry.is_empty:
        return False
    lon_min, lat_min, lon_max, lat_max = (float(v) for v in geometry.bounds)
    if not all(math.isfinite(v) for v in (lon_min, lat_min, lon_max, lat_max)):
        return False
    if lon_min < -180 or lon_max > 180 or lat_min < -90 or lat_max > 90:
        return False
    e_lat_min, e_lat_max, e_lon_min, e_lon_max = envelope
    overlaps_lon = lon_min <= e_lon_max and lon_max >= e_lon_min
    overlaps_lat = lat_min <= e_lat_max and lat_max >= e_lat_min
    return overlaps_lon and overlaps_lat


def _placed(
    geometry: BaseGeometry,
    envelope: tuple[float, float, float, float],
    source_crs: str | int,
) -> tuple[BaseGeometry | None, bool | None]:
    """The lon/lat geometry and whether its axes had to be swapped (None: neither order)."""
    as_given = to_wgs84(geometry, source_crs)
    if lands_in(as_given, envelope):
        return as_given, False
    swapped = to_wgs84(swapped_xy(geometry), source_crs)
    if lands_in(swapped, envelope):
        return swapped, True
    return None, None


def detect_swapped_axes(
    geometry: BaseGeometry,
    envelope: tuple[float, float, float, float],
    source_crs: str | int = WGS84,
) -> bool | None:
    """False when ``geometry`` lands in ``envelope`` as given, True when it does with its
    axes swapped, None when it does in neither order (not ours, or not in that CRS)."""
    return _placed(geometry, envelope, source_crs)[1]


def in_lonlat(
    geometry: BaseGeometry,
    envelope: tuple[float, float, float, float],
    source_crs: str | int = WGS84,
) -> tuple[BaseGeometry | None, str | None]:
    """``geometry`` in lon/lat WGS84, its axes put back if needed, and the note it earns.

    ``envelope`` is :meth:`Territory.envelope` (the France envelope holding the territory),
    not its extent: a site elsewhere in France is in the right order and simply outside;
    only one in France in neither order is refused.
    """
    placed, swapped = _placed(geometry, envelope, source_crs)
    if placed is None:
        return None, OUTSIDE_FRANCE
    return placed, AXES_SWAPPED if swapped else None


# -- validity ---------------------------------------------------------------------------------
def _polygons(geometry: BaseGeometry) -> Iterator[Polygon]:
    """The non-empty polygons of any geometry, collections included."""
    for part in shapely.get_parts(geometry):
        if isinstance(part, Polygon):
            if not part.is_empty:
                yield part
        elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
            yield from _polygons(part)


def polygonal(geometry: BaseGeometry | None) -> Polygon | MultiPolygon | None:
    """The polygonal part of ``geometry`` (stray lines and points dropped), None if none."""
    if geometry is None:
        return None
    parts = [p for p in _polygons(geometry) if p.area > 0]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return MultiPolygon(parts)


def read_geometry(value: Mapping[str, Any] | None) -> tuple[BaseGeometry | None, str | None]:
    """A GeoJSON geometry as shapely, or None and the note saying why not."""
    if not value:
        return None, GEOMETRY_EMPTY
    try:
        geometry = shape(value)
    except (AttributeError, IndexError, KeyError, TypeError, ValueError, ShapelyError):
        return None, GEOMETRY_UNREADABLE
    return geometry, None


def repaired(
    geometry: BaseGeometry | Mapping[str, Any] | None,
) -> tuple[Polygon | MultiPolygon | None, str | None]:
    """A valid (Multi)Polygon for ``geometry`` and the note it earns (None: nothing to say).

    Each polygon is made valid on its own, then the parts are united: GEOS's default
    ``make_valid`` ("linework") turns the overlap of two parts of a MultiPolygon into a
    hole, and a site is the union of its parts. A bow-tie becomes its two triangles;
    spikes, lines and points left by the repair are dropped; nothing with a surface left
    gives None and ``geometrie_vide``.
    """
    if geometry is None or isinstance(geometry, Mapping):
        read, note = read_geometry(geometry)
        return (None, note) if read is None else repaired(read)
    flat: BaseGeometry = shapely.force_2d(geometry)
    if flat.is_valid and isinstance(flat, Polygon | MultiPolygon):
        found = polygonal(flat)
        return (None, GEOMETRY_EMPTY) if found is None else (found, None)
    if not isinstance(flat, Polygon | MultiPolygon | shapely.GeometryCollection):
        return None, GEOMETRY_EMPTY  # a point or a line: no surface to publish
    # Invalid, or a collection (whose members may overlap, or be lines): part by part.
    parts = [polygonal(shapely.make_valid(p)) for p in shapely.get_parts(flat)]
    valid = [p for p in parts if p is not None]
    found = polygonal(shapely.unary_union(valid)) if valid else None
    if found is None:
        return None, GEOMETRY_EMPTY
    return found, GEOMETRY_REPAIRED


def on_grid(
    geometry: Polygon | MultiPolygon, precision: int = PRECISION
) -> Polygon | MultiPolygon | None:
    """``geometry`` snapped to the published decimals, still valid (None if it vanished).

    ``set_precision`` snap-rounds while keeping the result valid, which rounding each
    coordinate on its own does not promise.
    """
    return polygonal(shapely.set_precision(geometry, 10.0**-precision))


@dataclass(frozen=True)
class CleanGeometry:
    """A site's geometry ready for measuring and publishing, and what was done to it."""

    geometry: Polygon | MultiPolygon | None
    notes: tuple[str, ...] = ()


def cleaned(
    value: BaseGeometry | Mapping[str, Any] | None,
    envelope: tuple[float, float, float, float],
    source_crs: str | int = LAMBERT_93,
    precision: int = PRECISION,
) -> CleanGeometry:
    """A served geometry in lon/lat, valid, polygonal and on the published grid.

    Reprojected before the repair: validity is decided in the coordinates that are
    measured and published. None (with the notes) when there is nothing to publish.
    """
    if value is None or isinstance(value, Mapping):
        value, note = read_geometry(value)
        if value is None:
            return CleanGeometry(None, (note,) if note else ())
    if value.is_empty:
        return CleanGeometry(None, (GEOMETRY_EMPTY,))
    notes: list[str] = []
    lonlat, note = in_lonlat(shapely.force_2d(value), envelope, source_crs)
    if note:
        notes.append(note)
    if lonlat is None:
        return CleanGeometry(None, tuple(notes))
    geometry, note = repaired(lonlat)
    if note:
        notes.append(note)
    snapped = on_grid(geometry, precision) if geometry is not None else None
    if snapped is None and GEOMETRY_EMPTY not in notes:
        notes.append(GEOMETRY_EMPTY)
    return CleanGeometry(snapped, tuple(notes))


# -- areas ----------------------------------------------------------------------------------
def oriented(geometry: Polygon | MultiPolygon) -> Polygon | MultiPolygon:
    """Exterior rings counter-clockwise, holes clockwise (RFC 7946 §3.1.6, and the sign
    convention ``Geod.geometry_area_perimeter`` relies on to subtract holes)."""
    if isinstance(geometry, Polygon):
        return orient(geometry, 1.0)
    return MultiPolygon([orient(p, 1.0) for p in geometry.geoms])


def geodesic_area(geometry: BaseGeometry | None) -> float:
    """Area in m² on the WGS84 ellipsoid of the polygonal part of a lon/lat geometry."""
    found = polygonal(geometry)
    if found is None:
        return 0.0
    area, _ = GEOD.geometry_area_perimeter(oriented(found))
    return abs(float(area))


def overlap_threshold(site_area_m2: float) -> float:
    """Overlap, in m², a site needs to count as in a commune or in the territory."""
    return min(OVERLAP_MIN_M2, OVERLAP_MIN_SHARE * site_area_m2)


@dataclass(frozen=True)
class AreaInTerritory:
    """Where one site lies in the territory (areas geodesic, in m²)."""

    communes: tuple[str, ...]
    """INSEE codes of the communes the site overlaps by more than the threshold, sorted."""
    area_m2: float
    """The whole site's area, inside the territory or not."""
    inside_m2: float
    """Its area inside the territory (0 below the threshold: touching is not overlapping)."""

    @property
    def share(self) -> float | None:
        """Share of the site inside the territory, in ]0, 1]; None when it is not inside."""
        if self.inside_m2 <= 0 or self.area_m2 <= 0:
            return None
        return min(self.inside_m2 / self.area_m2, 1.0)

    @property
    def inside(self) -> bool:
        return self.share is not None

    @property
    def area_ha(self) -> float:
        """Hectares, the unit of the official surface (``surf_off``)."""
        return self.area_m2 / 10_000

    @property
    def inside_ha(self) -> float:
        return self.inside_m2 / 10_000


class TerritoryAreas:
    """The territory's commune shapes, indexed once, to measure any number of sites.

    An STRtree finds the few communes a site may overlap; the communes and their union
    are prepared, so a site inside one commune (the common case) costs a ``covers`` test
    and one geodesic area, no intersection.
    """

    def __init__(self, territory: Territory) -> None:
        self.territory = territory
        self.envelope = territory.envelope()
        codes: list[str] = []
        shapes: list[Polygon | MultiPolygon] = []
        for commune in territory.communes:
            found, _ = repaired(commune.contour) if commune.contour else (None, None)
            if found is not None:
                codes.append(commune.code)
                shapes.append(found)
        self._codes = codes
        self._shapes = shapes
        self._tree = STRtree(shapes)
        self._union = polygonal(shapely.unary_union(shapes)) if shapes else None
        shapely.prepare(shapes)
        if self._union is not None:
            shapely.prepare(self._union)
        self.area_m2 = geodesic_area(self._union)

    def clean(
        self, value: BaseGeometry | Mapping[str, Any] | None, source_crs: str | int = LAMBERT_93
    ) -> CleanGeometry:
        """:func:`cleaned` against this territory's France envelope."""
        return cleaned(value, self.envelope, source_crs)

    def measure(self, site: BaseGeometry) -> AreaInTerritory:
        """Communes, areas and share inside of a valid lon/lat site (see :func:`cleaned`)."""
        area = geodesic_area(site)
        if area <= 0 or self._union is None:
            return AreaInTerritory((), area, 0.0)
        threshold = overlap_threshold(area)
        overlaps: dict[str, float] = {}
        for i in sorted(int(i) for i in self._tree.query(site, predicate="intersects")):
            commune = self._shapes[i]
            if commune.covers(site):
                overlaps[self._codes[i]] = area
            else:
                overlaps[self._codes[i]] = geodesic_area(shapely.intersection(site, commune))
        if not overlaps:
            return AreaInTerritory((), area, 0.0)
        if self._union.covers(site):
            inside = area
        elif len(overlaps) == 1:
            inside = next(iter(overlaps.values()))
        else:
            inside = geodesic_area(shapely.intersection(site, self._union))
        if inside <= threshold:
            return AreaInTerritory((), area, 0.0)
        communes = sorted(code for code, a in overlaps.items() if a > threshold)
        if not communes:
            # Inside by more than the threshold, split in slivers at a tripoint: the
            # commune holding most of it, so a site inside always names a commune.
            communes = [max(overlaps, key=lambda code: overlaps[code])]
        return AreaInTerritory(tuple(communes), area, min(inside, area))


# -- publication ----------------------------------------------------------------------------
def _local_metres(lat: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude at ``lat`` (sphere, within 1 %)."""
    per_degree = math.radians(_EARTH_RADIUS_M)
    return per_degree * math.cos(math.radians(lat)), per_degree


def simplified(geometry: Polygon | MultiPolygon, tolerance_m: float) -> BaseGeometry:
    """Topology-preserving simplification, no vertex moved by more than ``tolerance_m``.

    Degrees are not metres, and a degree of longitude shrinks with latitude: the geometry
    is scaled to metres at its own latitude (local equirectangular), simplified there,
    scaled back.
    """
    kx, ky = _local_metres(geometry.centroid.y)
    scale = np.array([kx, ky])
    metric = shapely.transform(geometry, lambda xy: xy * scale)
    simple = shapely.simplify(metric, tolerance_m, preserve_topology=True)
    return shapely.transform(simple, lambda xy: xy / scale)


def _ring(coords: Any, precision: int) -> list[list[float]]:
    # round() on the grid values drops the float noise (3.0822000000000003); + 0.0 turns
    # -0.0 (west of Greenwich, rounded) into 0.0.
    return [[round(x, precision) + 0.0, round(y, precision) + 0.0] for x, y in coords]


def _polygon_coords(polygon: Polygon, precision: int) -> list[list[list[float]]]:
    rings = [polygon.exterior, *polygon.interiors]
    return [_ring(ring.coords, precision) for ring in rings]


def rfc7946(
    geometry: Polygon | MultiPolygon,
    *,
    precision: int = PRECISION,
    simplify_tolerance_m: float | None = SIMPLIFY_TOLERANCE_M,
) -> dict[str, Any]:
    """The GeoJSON geometry published for a lon/lat site (RFC 7946).

    Exterior rings counter-clockwise and holes clockwise, at most ``precision`` decimals,
    simplified within ``simplify_tolerance_m`` metres (None or 0: not simplified). The
    result is valid and non-empty: when simplifying would break that, the site is
    published unsimplified. Raises ``ValueError`` when even that vanishes on the grid
    (a site under a few square decimetres: :func:`cleaned` reports those first).
    """
    candidates: list[BaseGeometry] = [geometry]
    if simplify_tolerance_m:
        candidates.insert(0, simplified(geometry, simplify_tolerance_m))
    for candidate in candidates:
        found = on_grid(candidate, precision) if not candidate.is_empty else None
        if found is None or not found.is_valid:
            continue
        found = oriented(found)
        if isinstance(found, Polygon):
            return {"type": "Polygon", "coordinates": _polygon_coords(found, precision)}
        return {
            "type": "MultiPolygon",
            "coordinates": [_polygon_coords(p, precision) for p in found.geoms],
        }
    raise ValueError(f"géométrie vide une fois arrondie à {precision} décimales")


def geometry_fingerprint(geometry: BaseGeometry, precision: int = PRECISION) -> str:
    """A stable key of a geometry: equal for the same surface on the published grid.

    Snapped to the grid, then ``shapely.normalize`` (ring start, ring orientation, order
    of parts), a one-part MultiPolygon taken as its Polygon, hashed (SHA-256) from its
    WKB. So a re-export that rotates rings, reverses them or reorders its parts keeps its
    key, as does float noise that snaps to the same grid points; a move that changes a
    published coordinate changes it. Empty or not polygonal: the key of ``EMPTY``.
    """
    found = polygonal(geometry)
    snapped = on_grid(found, precision) if found is not None else None
    if snapped is None:
        return hashlib.sha256(b"EMPTY").hexdigest()
    if isinstance(snapped, MultiPolygon) and len(snapped.geoms) == 1:
        snapped = snapped.geoms[0]
    normal = shapely.normalize(snapped)
    normal = shapely.transform(normal, lambda xy: np.round(xy, precision) + 0.0)
    wkb = shapely.to_wkb(normal, output_dimension=2, byte_order=1, include_srid=False)
    return hashlib.sha256(wkb).hexdigest()
