"""Static PNG maps over the territory's commune contours (no tiles, so no network): points
by category (colour and marker shape), polygons by category (colour and hatching) with the
share of the territory each category covers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import shapely
from matplotlib.axes import Axes
from matplotlib.patches import PathPatch
from matplotlib.path import Path
from shapely.geometry import shape

from patrimoine.areas import geodesic_area, polygonal
from patrimoine.territory import Territory, geometry_points
from patrimoine.visuals.charts import _RC, EDGE, MARKERS, new_figure, png_bytes, style
from patrimoine.visuals.data import french_number
from patrimoine.visuals.features import Feature

MAP_HEIGHT_PX = 900
COMMUNE_FILL = "#f4f4f4"
COMMUNE_EDGE = "#7a7a7a"
MAX_COMMUNE_NAMES = 40
"""Above this many communes the names would clutter the map: contours only."""


@dataclass(frozen=True)
class Layer:
    """Features drawn with one colour, marker or hatch, and one legend entry."""

    label: str
    features: tuple[Feature, ...]
    polygons: bool


def _path(geometry: Any) -> Path | None:
    """A compound matplotlib path (holes included) of a polygonal shapely geometry."""
    found = polygonal(geometry)
    if found is None:
        return None
    parts = list(getattr(found, "geoms", [found]))
    vertices: list[tuple[float, float]] = []
    codes: list[Any] = []
    for polygon in parts:
        for ring in (polygon.exterior, *polygon.interiors):
            coords = list(ring.coords)
            if len(coords) < 3:
                continue
            vertices.extend((x, y) for x, y, *_ in coords)
            codes.extend([Path.MOVETO, *[Path.LINETO] * (len(coords) - 2), Path.CLOSEPOLY])
    return Path(vertices, codes) if vertices else None


def territory_shape(territory: Territory) -> Any:
    """Union of the communes' contours (None without contours)."""
    shapes = [shape(c.contour) for c in territory.communes if c.contour]
    return shapely.union_all(shapes) if shapes else None


def share_of_territory(found: Sequence[Feature], land: Any) -> float | None:
    """Part of the territory's area the features cover (overlaps counted once)."""
    if land is None or not found:
        return None
    total = geodesic_area(land)
    if total <= 0:
        return None
    union = shapely.union_all([shape(f.geometry).buffer(0) for f in found])
    return geodesic_area(shapely.intersection(union, land)) / total


def share_text(share: float | None) -> str:
    if share is None:
        return ""
    if 0 < share < 0.001:
        return " – moins de 0,1 % du territoire"
    return f" – {french_number(100 * share, 1)} % du territoire"


def _extent(territory: Territory, layers: Sequence[Layer]) -> tuple[float, float, float, float]:
    if any(c.contour for c in territory.communes):
        return territory.extent()
    points = [pt for layer in layers for f in layer.features for pt in geometry_points(f.geometry)]
    if not points:
        return territory.envelope()
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    margin = 0.01
    return (min(lats) - margin, max(lats) + margin, min(lons) - margin, max(lons) + margin)


def _communes(ax: Axes, territory: Territory) -> None:
    named = len(territory.communes) <= MAX_COMMUNE_NAMES
    for commune in sorted(territory.communes, key=lambda c: c.code):
        if not commune.contour:
            continue
        geometry = shape(commune.contour)
        path = _path(geometry)
        if path is None:
            continue
        ax.add_patch(
            PathPatch(path, facecolor=COMMUNE_FILL, edgecolor=COMMUNE_EDGE, linewidth=0.7, zorder=1)
        )
        if named:
            point = geometry.representative_point()
            ax.text(
                point.x,
                point.y,
                commune.nom,
                fontsize=7,
                color="#555555",
                ha="center",
                va="center",
                zorder=2,
            )


def _draw_layer(ax: Axes, index: int, layer: Layer, label: str) -> None:
    colour, hatch = style(index)
    if layer.polygons:
        first = True
        for feature in layer.features:
            path = _path(shape(feature.geometry).buffer(0))
            if path is None:
                continue
            ax.add_patch(
                PathPatch(
                    path,
                    facecolor=matplotlib.colors.to_rgba(colour, 0.45),
                    edgecolor=colour,
                    hatch=hatch or None,
                    linewidth=1.2,
                    zorder=3,
                    label=label if first else None,
                )
            )
            first = False
        return
    xs = [float(f.geometry["coordinates"][0]) for f in layer.features]
    ys = [float(f.geometry["coordinates"][1]) for f in layer.features]
    ax.scatter(
        xs,
        ys,
        s=55,
        c=colour,
        marker=MARKERS[index % len(MARKERS)],
        edgecolors=EDGE,
        linewidths=0.7,
        zorder=4 + index,
        label=label,
    )


def render_map(title: str, territory: Territory, layers: Sequence[Layer]) -> bytes:
    """The layers over the communes, legend at the right: a 1200 px wide PNG."""
    land = territory_shape(territory)
    lat_min, lat_max, lon_min, lon_max = _extent(territory, layers)
    with matplotlib.rc_context(_RC):
        entries = sum(1 for layer in layers if layer.features)
        figure = new_figure(MAP_HEIGHT_PX + 26 * entries)
        ax = figure.add_subplot()
        ax.set_title(title, loc="left", fontweight="bold")
        _communes(ax, territory)
        drawn = 0
        for index, layer in enumerate(layers):
            if not layer.features:
                continue
            count = len(layer.features)
            label = f"{layer.label} ({count})"
            if layer.polygons:
                label += share_text(share_of_territory(layer.features, land))
            _draw_layer(ax, index, layer, label)
            drawn += 1
        ax.set_xlim(lon_min, lon_max)
        ax.set_ylim(lat_min, lat_max)
        ax.set_aspect(1 / math.cos(math.radians((lat_min + lat_max) / 2)))
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_edgecolor("#bbbbbb")
        if drawn:
            # Under the map: long French labels (with the shares) never squeeze it.
            ax.legend(
                loc="upper left",
                bbox_to_anchor=(0.0, -0.01),
                frameon=False,
                fontsize=10,
                handleheight=1.8,
                handlelength=2.4,
            )
        else:
            ax.text(
                0.5,
                0.04,
                "Aucun élément cartographié",
                transform=ax.transAxes,
                ha="center",
                fontsize=12,
            )
        return png_bytes(figure)
