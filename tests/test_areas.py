"""Natural-area geometry on the real contours of Clermont Auvergne Métropole.

Sites are drawn from the simplified IGN contours the offline snapshot ships (see
``tests/transforms/geo.py``): across the territory's border, inside one commune, over a
border two communes share, against the border from outside. Areas are checked against
independent references: the Lambert azimuthal equal-area projection (EPSG:3035, planar
areas equal to ellipsoidal ones) and squares laid out with geodesic distances.
"""

from __future__ import annotations

import json
import random
from typing import Any

import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import MultiPolygon, Point, Polygon, box, mapping, shape
from shapely.geometry.base import BaseGeometry

from patrimoine import areas
from patrimoine.areas import (
    AXES_SWAPPED,
    GEOMETRY_EMPTY,
    GEOMETRY_REPAIRED,
    GEOMETRY_UNREADABLE,
    LAMBERT_93,
    OUTSIDE_FRANCE,
    OVERLAP_MIN_M2,
    WGS84,
    TerritoryAreas,
    cleaned,
    detect_swapped_axes,
    geodesic_area,
    geometry_fingerprint,
    in_lonlat,
    repaired,
    rfc7946,
    to_wgs84,
)
from patrimoine.territory import Commune, Territory
from patrimoine.transforms.stats import REMARKS
from tests.transforms.geo import (
    CHAMALIERES,
    CLERMONT,
    CONTOURS,
    PONT_DU_CHATEAU,
    clermont_territory,
    shared_vertices,
)

TERRITORY = clermont_territory()
AREAS = TerritoryAreas(TERRITORY)
UNION = shapely.unary_union([shape(c) for c in CONTOURS.values()])
JAUDE = (3.0822, 45.7772)
"""(lon, lat) of place de Jaude, Clermont-Ferrand."""
GEOD = Geod(ellps="WGS84")
TO_LAEA = Transformer.from_crs("EPSG:4326", "EPSG:3035", always_xy=True)


def projected(geometry: BaseGeometry, transformer: Transformer) -> BaseGeometry:
    return shapely.transform(geometry, lambda xy: np.column_stack(transformer.transform(*xy.T)))


def laea_area(geometry: BaseGeometry) -> float:
    """m² in the equal-area projection: a reference independent of pyproj.Geod."""
    return float(projected(geometry, TO_LAEA).area)


def geodesic_square(lon: float, lat: float, side_m: float) -> Polygon:
    """A side_m x side_m square laid out on the ellipsoid from its south-west corner."""
    se_lon, se_lat, _ = GEOD.fwd(lon, lat, 90, side_m)
    nw_lon, nw_lat, _ = GEOD.fwd(lon, lat, 0, side_m)
    ne_lon, ne_lat, _ = GEOD.fwd(nw_lon, nw_lat, 90, side_m)
    return Polygon([(lon, lat), (se_lon, se_lat), (ne_lon, ne_lat), (nw_lon, nw_lat)])


def easternmost_edge() -> tuple[tuple[float, float], tuple[float, float]]:
    """The territory's border edge leaving its easternmost vertex (Pont-du-Château)."""
    coords = list(UNION.exterior.coords)
    i = max(range(len(coords) - 1), key=lambda k: coords[k][0])
    return coords[i], coords[i + 1]


# --- where a site lies ------------------------------------------------------------------


def test_site_across_the_territory_border() -> None:
    (lon, lat), _ = easternmost_edge()
    site = box(lon - 0.005, lat - 0.003, lon + 0.005, lat + 0.003)
    found = AREAS.measure(site)
    assert found.communes == (PONT_DU_CHATEAU,)
    assert found.share is not None and 0 < found.share < 1
    reference = laea_area(site.intersection(UNION)) / laea_area(site)
    assert found.share == pytest.approx(reference, rel=1e-3)
    assert found.area_m2 == pytest.approx(laea_area(site), rel=1e-3)
    assert found.inside_m2 == pytest.approx(found.area_m2 * found.share)


def test_site_inside_one_commune() -> None:
    point = shape(CONTOURS[CLERMONT]).representative_point()
    site = Point(point.x, point.y).buffer(0.002)
    found = AREAS.measure(site)
    assert found.communes == (CLERMONT,)
    assert found.share == 1.0
    assert found.inside_m2 == found.area_m2


def test_site_touching_the_border_from_outside_is_not_counted() -> None:
    a, b = easternmost_edge()
    apex = (max(a[0], b[0]) + 0.01, (a[1] + b[1]) / 2)
    site = Polygon([a, b, apex])
    assert site.touches(UNION)  # shares the border edge, no surface
    found = AREAS.measure(site)
    assert (found.communes, found.inside_m2, found.share, found.inside) == ((), 0.0, None, False)
    assert found.area_m2 > 100_000


def test_sliver_below_the_threshold_is_not_counted() -> None:
    a, b = easternmost_edge()
    apex = (max(a[0], b[0]) + 0.01, (a[1] + b[1]) / 2)
    # 2e-6 degree (15 cm) west: the site now overlaps the territory by a thin sliver.
    site = shapely.transform(Polygon([a, b, apex]), lambda xy: xy - [2e-6, 0.0])
    sliver = geodesic_area(site.intersection(UNION))
    assert 0 < sliver < OVERLAP_MIN_M2
    assert AREAS.measure(site).share is None


def test_site_over_two_communes() -> None:
    vertices = shared_vertices(CLERMONT, CHAMALIERES)
    lat, lon = vertices[len(vertices) // 2]
    vertex = Point(lon, lat)
    others = [shape(c) for code, c in CONTOURS.items() if code not in (CLERMONT, CHAMALIERES)]
    half = min(vertex.distance(other) for other in others) / 3
    site = box(lon - half, lat - half, lon + half, lat + half)
    found = AREAS.measure(site)
    assert found.communes == (CHAMALIERES, CLERMONT)
    assert found.share == 1.0


def test_site_covering_the_whole_territory() -> None:
    found = AREAS.measure(UNION.buffer(0.05))
    assert len(found.communes) == 21
    assert found.inside_m2 == pytest.approx(AREAS.area_m2)
    assert AREAS.area_m2 == pytest.approx(laea_area(UNION), rel=1e-3)  # CAM: about 301 km²
    assert 295e6 < AREAS.area_m2 < 310e6


def test_site_elsewhere_in_france_is_outside_not_refused() -> None:
    paris = box(2.33, 48.85, 2.36, 48.87)
    geometry, note = in_lonlat(paris, AREAS.envelope)
    assert note is None and geometry is not None
    found = AREAS.measure(geometry)
    assert (found.communes, found.inside_m2, found.share) == ((), 0.0, None)
    assert found.area_m2 == pytest.approx(laea_area(paris), rel=1e-3)


# --- geodesic areas ---------------------------------------------------------------------


def test_geodesic_area_of_a_square_kilometre_at_45_north() -> None:
    square = geodesic_square(3.0, 45.0, 1000.0)
    assert geodesic_area(square) == pytest.approx(1e6, rel=0.01)
    assert geodesic_area(shapely.reverse(square)) == geodesic_area(square)  # orientation


def test_geodesic_area_subtracts_holes_whatever_their_orientation() -> None:
    outer = geodesic_square(3.0, 45.0, 1000.0)
    hole = outer.centroid.buffer(0.001)
    for exterior, interior in ((outer, hole), (shapely.reverse(outer), shapely.reverse(hole))):
        donut = Polygon(exterior.exterior.coords, [interior.exterior.coords])
        expected = geodesic_area(outer) - geodesic_area(hole)
        assert geodesic_area(donut) == pytest.approx(expected)


def test_geodesic_area_in_la_reunion() -> None:
    square = geodesic_square(55.45, -20.90, 1000.0)
    assert geodesic_area(square) == pytest.approx(1e6, rel=0.01)


def test_overseas_territory() -> None:
    # Two square communes near Saint-Denis; the site covers half of them, in longitude.
    def commune(code: str, west: float) -> Commune:
        contour = json.loads(json.dumps(mapping(box(west, -20.92, west + 0.02, -20.88))))
        return Commune(code, code, "974", contour=contour)

    reunion = Territory("communes:97411,97415", "La Réunion", (commune("97411", 55.40),))
    measured = TerritoryAreas(reunion)
    assert measured.envelope == (-21.5, -20.8, 55.1, 55.9)
    site = box(55.41, -20.92, 55.43, -20.88)
    found = measured.measure(site)
    assert found.communes == ("97411",)
    # Between two meridians the area is proportional to the longitude span (geodesic edges
    # bulge a little off the parallels: hence 1e-6).
    assert found.share == pytest.approx(0.5, abs=1e-6)
    assert found.area_m2 == pytest.approx(laea_area(site), rel=0.01)
    # A lat/lon answer is recognised overseas too.
    geometry, note = in_lonlat(areas.swapped_xy(site), measured.envelope)
    assert note == AXES_SWAPPED and geometry is not None
    assert geometry.equals(site)


# --- coordinates --------------------------------------------------------------------------


def lambert93(lon: float, lat: float) -> tuple[float, float]:
    x, y = Transformer.from_crs(WGS84, LAMBERT_93, always_xy=True).transform(lon, lat)
    return float(x), float(y)


def test_lambert93_is_reprojected() -> None:
    x, y = lambert93(*JAUDE)
    assert 700_000 < x < 712_000 and 6_512_000 < y < 6_525_000  # about (706 400, 6 519 700)
    served = box(x - 500, y - 500, x + 500, y + 500)
    lonlat = to_wgs84(served, LAMBERT_93)
    assert lonlat.centroid.x == pytest.approx(JAUDE[0], abs=1e-5)
    assert lonlat.centroid.y == pytest.approx(JAUDE[1], abs=1e-5)
    for crs in ("urn:ogc:def:crs:EPSG::2154", "http://www.opengis.net/def/crs/EPSG/0/2154", 2154):
        assert to_wgs84(served, crs).equals_exact(lonlat, 1e-9)
    found = AREAS.measure(lonlat)
    assert (found.communes, found.share) == ((CLERMONT,), 1.0)
    # Lambert-93 is conformal, not equal-area: its 1 km² is 1.0015 km² on the ground here.
    assert found.area_m2 == pytest.approx(1e6, rel=0.01)


def test_wgs84_is_left_as_is() -> None:
    site = box(3.08, 45.77, 3.09, 45.78)
    assert to_wgs84(site, WGS84) is site
    assert to_wgs84(site, "urn:ogc:def:crs:OGC:1.3:CRS84") is site


def test_lat_lon_order_is_detected_and_put_back() -> None:
    site = box(3.08, 45.77, 3.09, 45.78)
    served = areas.swapped_xy(site)  # what an EPSG:4326 answer in the EPSG axis order holds
    assert detect_swapped_axes(served, AREAS.envelope) is True
    assert detect_swapped_axes(site, AREAS.envelope) is False
    geometry, note = in_lonlat(served, AREAS.envelope)
    assert note == AXES_SWAPPED and geometry is not None and geometry.equals(site)
    assert AREAS.measure(geometry).communes == (CLERMONT,)


def test_lambert93_with_swapped_axes() -> None:
    x, y = lambert93(*JAUDE)
    served = box(y - 500, x - 500, y + 500, x + 500)  # (northing, easting)
    found = cleaned(served, AREAS.envelope, LAMBERT_93)
    assert found.notes == (AXES_SWAPPED,)
    assert found.geometry is not None
    assert found.geometry.centroid.distance(Point(JAUDE)) < 1e-4


def test_polygon_in_the_sea_either_way_is_refused() -> None:
    atlantic = box(-30.0, 40.0, -29.9, 40.1)  # lat/lon swapped: Antarctic ocean
    assert detect_swapped_axes(atlantic, AREAS.envelope) is None
    assert in_lonlat(atlantic, AREAS.envelope) == (None, OUTSIDE_FRANCE)
    assert cleaned(atlantic, AREAS.envelope, WGS84) == areas.CleanGeometry(None, (OUTSIDE_FRANCE,))
    assert "hors de France" in REMARKS[OUTSIDE_FRANCE]


# --- repair ------------------------------------------------------------------------------


def clermont_box(half: float = 0.002) -> Polygon:
    point = shape(CONTOURS[CLERMONT]).representative_point()
    return box(point.x - half, point.y - half, point.x + half, point.y + half)


def test_self_intersecting_polygon_is_repaired() -> None:
    w, s, e, n = clermont_box().bounds
    bow_tie = Polygon([(w, s), (e, n), (e, s), (w, n)])
    assert not bow_tie.is_valid
    geometry, note = repaired(bow_tie)
    assert note == GEOMETRY_REPAIRED
    assert isinstance(geometry, MultiPolygon) and geometry.is_valid
    assert len(geometry.geoms) == 2
    assert geometry.area == pytest.approx(clermont_box().area / 2)
    assert AREAS.measure(geometry).communes == (CLERMONT,)


def test_overlapping_parts_are_united_not_holed() -> None:
    a = clermont_box()
    b = shapely.transform(a, lambda xy: xy + 0.002)
    geometry, note = repaired(MultiPolygon([a, b]))
    assert note == GEOMETRY_REPAIRED
    assert geometry is not None and geometry.is_valid
    assert geometry.area == pytest.approx(a.union(b).area)


def test_spike_and_stray_lines_are_dropped() -> None:
    w, s, e, n = clermont_box().bounds
    spike = Polygon([(w, s), (e, s), (e, n), (e + 0.01, n + 0.01), (e, n), (w, n)])
    geometry, note = repaired(spike)
    assert note == GEOMETRY_REPAIRED and isinstance(geometry, Polygon)
    assert geometry.equals(clermont_box())
    collection = shapely.GeometryCollection([clermont_box(), Point(w, s).buffer(0.0001).exterior])
    geometry, note = repaired(collection)
    assert note == GEOMETRY_REPAIRED and isinstance(geometry, Polygon)


def test_valid_input_passes_without_note() -> None:
    site = clermont_box()
    assert repaired(site) == (site, None)
    duplicated = Polygon([*site.exterior.coords[:2], *site.exterior.coords[1:]])
    geometry, note = repaired(duplicated)  # a repeated vertex is valid (GEOS)
    assert note is None and geometry is not None and geometry.equals(site)


def test_unclosed_ring_is_read() -> None:
    w, s, e, n = clermont_box().bounds
    served = {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n]]]}
    geometry, note = repaired(served)
    assert note is None and geometry is not None and geometry.equals(clermont_box())


@pytest.mark.parametrize(
    ("value", "note"),
    [
        (None, GEOMETRY_EMPTY),
        ({}, GEOMETRY_EMPTY),
        ({"type": "Polygon", "coordinates": []}, GEOMETRY_EMPTY),
        ({"type": "MultiPolygon", "coordinates": []}, GEOMETRY_EMPTY),
        (
            {"type": "Polygon", "coordinates": [[[3.0, 45.0], [3.1, 45.0], [3.2, 45.0]]]},
            GEOMETRY_EMPTY,
        ),
        ({"type": "Point", "coordinates": [3.08, 45.77]}, GEOMETRY_EMPTY),
        ({"type": "LineString", "coordinates": [[3.08, 45.77], [3.09, 45.78]]}, GEOMETRY_EMPTY),
        ({"type": "Polygon", "coordinates": [[[3.0, 45.0], [3.1, 45.0]]]}, GEOMETRY_UNREADABLE),
        ({"type": "Polygon", "coordinates": "3 45"}, GEOMETRY_UNREADABLE),
        ({"type": "Cercle", "coordinates": [3.08, 45.77]}, GEOMETRY_UNREADABLE),
    ],
)
def test_empty_or_degenerate_geometry_is_reported(value: Any, note: str) -> None:
    assert repaired(value) == (None, note)
    assert cleaned(value, AREAS.envelope, WGS84) == areas.CleanGeometry(None, (note,))
    assert REMARKS[note].startswith("géométrie")


def test_polygon_vanishing_on_the_published_grid_is_reported() -> None:
    w, s, _, _ = clermont_box().bounds
    tiny = box(w, s, w + 1e-7, s + 1e-7)  # 1 cm: nothing left at 6 decimals
    assert repaired(tiny) == (tiny, None)
    assert cleaned(tiny, AREAS.envelope, WGS84) == areas.CleanGeometry(None, (GEOMETRY_EMPTY,))
    with pytest.raises(ValueError, match="géométrie vide"):
        rfc7946(tiny)


def test_cleaned_from_a_lambert93_feature() -> None:
    x, y = lambert93(*JAUDE)
    w, s, e, n = x - 500, y - 500, x + 500, y + 500
    bow_tie = {"type": "Polygon", "coordinates": [[[w, s], [e, n], [e, s], [w, n], [w, s]]]}
    found = cleaned(bow_tie, AREAS.envelope)  # Lambert-93 by default, as the WFS serves
    assert found.notes == (GEOMETRY_REPAIRED,)
    assert found.geometry is not None and found.geometry.is_valid
    assert AREAS.measure(found.geometry).area_m2 == pytest.approx(0.5e6, rel=0.01)


# --- publication -------------------------------------------------------------------------


def decimals(value: float) -> int:
    text = repr(value)
    return len(text.split(".")[1]) if "." in text else 0


def rings(geojson: dict[str, Any]) -> list[list[list[list[float]]]]:
    if geojson["type"] == "Polygon":
        return [geojson["coordinates"]]
    polygons: list[list[list[list[float]]]] = geojson["coordinates"]
    return polygons


def precise_donut() -> Polygon:
    """A clockwise shell with a counter-clockwise hole, coordinates with 12 decimals."""
    shell = shapely.reverse(clermont_box(0.003123456789))
    hole = shapely.reverse(clermont_box(0.001098765432)).exterior.coords
    return Polygon(shell.exterior.coords, [list(reversed(hole))])


def test_rfc7946_orientation_and_decimals() -> None:
    donut = precise_donut()
    assert not donut.exterior.is_ccw and donut.interiors[0].is_ccw
    for geometry in (donut, MultiPolygon([donut, shapely.transform(donut, lambda xy: xy + 0.01)])):
        published = rfc7946(geometry, simplify_tolerance_m=None)
        parsed = json.loads(json.dumps(published))
        for polygon in rings(parsed):
            exterior, *holes = polygon
            assert shapely.LinearRing(exterior).is_ccw
            assert holes and all(not shapely.LinearRing(h).is_ccw for h in holes)
            assert exterior[0] == exterior[-1]
        assert all(
            decimals(v) <= 6
            for polygon in rings(parsed)
            for ring in polygon
            for pt in ring
            for v in pt
        )
        back = shape(parsed)
        assert back.is_valid and back.geom_type == geometry.geom_type
        assert back.hausdorff_distance(geometry) < 1e-6


def test_simplification_keeps_validity_within_the_tolerance() -> None:
    rng = random.Random(7)
    contour = shapely.segmentize(shape(CONTOURS["63345"]), 1e-4)  # a vertex every ~10 m
    ring = [
        (x + rng.uniform(-3e-6, 3e-6), y + rng.uniform(-3e-6, 3e-6))
        for x, y in contour.exterior.coords[:-1]
    ]
    noisy = Polygon(ring)  # 30 cm of noise: no vertex is redundant any more
    assert noisy.is_valid
    published = shape(rfc7946(noisy, simplify_tolerance_m=2.0))
    assert published.is_valid and not published.is_empty
    assert shapely.get_num_coordinates(published) < shapely.get_num_coordinates(noisy) / 3
    to_l93 = Transformer.from_crs(WGS84, LAMBERT_93, always_xy=True)

    def metric(geometry: BaseGeometry) -> BaseGeometry:
        return projected(geometry, to_l93)

    assert metric(published).hausdorff_distance(metric(noisy)) < 2.0 + 0.2  # + the grid
    assert geodesic_area(published) == pytest.approx(geodesic_area(noisy), rel=1e-4)
    unsimplified = shape(rfc7946(noisy, simplify_tolerance_m=None))
    assert shapely.get_num_coordinates(unsimplified) > shapely.get_num_coordinates(published)


def test_simplification_keeps_a_hole_near_the_shell() -> None:
    site = clermont_box(0.003)
    w, s, e, n = site.bounds
    hole = box(w + 0.00002, s + 0.0005, e - 0.0005, n - 0.0005)  # 1.5 m from the shell
    donut = Polygon(site.exterior.coords, [hole.exterior.coords])
    published = shape(rfc7946(donut, simplify_tolerance_m=50.0))
    assert published.is_valid and len(published.interiors) == 1


def test_simplification_that_breaks_the_geometry_falls_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(areas, "simplified", lambda geometry, tolerance_m: Polygon())
    donut = precise_donut()
    assert rfc7946(donut) == rfc7946(donut, simplify_tolerance_m=None)


def test_fingerprint_ignores_ring_start_orientation_and_part_order() -> None:
    donut = precise_donut()
    key = geometry_fingerprint(donut)
    coords = list(donut.exterior.coords)[:-1]
    rotated = Polygon(coords[2:] + coords[:2], [donut.interiors[0].coords])
    assert geometry_fingerprint(rotated) == key
    assert geometry_fingerprint(areas.oriented(donut)) == key
    assert geometry_fingerprint(shapely.reverse(donut)) == key
    assert geometry_fingerprint(MultiPolygon([donut])) == key
    other = shapely.transform(donut, lambda xy: xy + 0.01)
    assert geometry_fingerprint(MultiPolygon([donut, other])) == geometry_fingerprint(
        MultiPolygon([other, donut])
    )
    # A re-export of what was published, and sub-grid noise, keep the key.
    assert geometry_fingerprint(shape(rfc7946(donut, simplify_tolerance_m=None))) == key
    assert geometry_fingerprint(shapely.transform(donut, lambda xy: xy + 1e-9)) == key


def test_fingerprint_changes_when_a_vertex_moves() -> None:
    donut = precise_donut()
    coords = list(donut.exterior.coords)
    coords[1] = (coords[1][0] + 1e-5, coords[1][1])  # about 80 cm east
    moved = Polygon(coords, [donut.interiors[0].coords])
    assert moved.is_valid
    assert geometry_fingerprint(moved) != geometry_fingerprint(donut)
    assert len(geometry_fingerprint(donut)) == 64
