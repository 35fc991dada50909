"""Natural-area geometry benchmark: a 3 MB PatriNat-like layer through every per-site step.

    python benchmarks/bench_area_memory.py [--megabytes 3] [--budget-mb 200]

Generates (once, under benchmarks/out/) a synthetic GeoJSON layer in Lambert-93, as the
Géoplateforme WFS serves it, in the uniform patrinat attribute schema: irregular polygons
of 0.5 to 15 km across (some with holes, some MultiPolygons, one in 50 with two vertices
swapped, which mostly makes it self-intersecting) over Clermont Auvergne Métropole and
8 km around it, so sites lie inside, across the border and outside. Labelled synthetic in
every ``nom_site``.

Then, in a child process so that peak memory is its own, runs what the pipeline does
with such a layer: parse the file, then for each site ``cleaned`` (reprojection to WGS84,
axis check, repair, grid), ``TerritoryAreas.measure`` (communes, geodesic areas, share)
and, for the sites inside, ``rfc7946`` (simplified at the default tolerance) and
``geometry_fingerprint``, keeping every published row in memory as a publication would.
It prints seconds, peak RSS, the RSS before the file was read (interpreter and
libraries) and the ratio of the peak to the budget.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "out"
BUDGET_MB = 200.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _blob(
    rng: random.Random, cx: float, cy: float, radius: float, vertices: int
) -> list[list[float]]:
    """A closed, star-shaped (so simple) ring around (cx, cy), counter-clockwise."""
    waves = [(rng.randint(2, 7), rng.uniform(0, 2 * math.pi), rng.uniform(0.05, 0.2))]
    ring = []
    for k in range(vertices):
        theta = 2 * math.pi * k / vertices
        r = radius * (1 + sum(a * math.sin(f * theta + p) for f, p, a in waves))
        r *= 1 + rng.uniform(-0.01, 0.01)
        ring.append([round(cx + r * math.cos(theta), 2), round(cy + r * math.sin(theta), 2)])
    ring.append(ring[0])
    return ring


def _feature(rng: random.Random, n: int, bounds: tuple[float, float, float, float]) -> Any:
    west, south, east, north = bounds
    cx, cy = rng.uniform(west, east), rng.uniform(south, north)
    radius = rng.choice([250.0, 500.0, 1000.0, 2000.0, 4000.0, 7500.0]) * rng.uniform(0.8, 1.2)
    vertices = int(min(1200, max(60, radius / 8)))
    shell = _blob(rng, cx, cy, radius, vertices)
    if n % 50 == 7:  # self-intersecting: two vertices swapped
        shell[3], shell[4] = shell[4], shell[3]
    polygon = [shell]
    if radius > 3000 and n % 3 == 0:  # a clockwise hole well inside
        hole = _blob(rng, cx, cy, radius * 0.2, 80)
        polygon.append(hole[::-1])
    coordinates = [polygon]
    if n % 10 == 3:  # a second part, apart from the first
        coordinates.append([_blob(rng, cx + 3 * radius, cy, radius / 3, 60)])
    identifier = f"83{n:07d}"
    return {
        "type": "Feature",
        "id": f"znieff2.{n}",
        "geometry": {"type": "MultiPolygon", "coordinates": coordinates},
        "properties": {
            "id_local": identifier,
            "id_mnhn": identifier,
            "nom_site": f"Site synthétique {n} (données de test)",
            "date_crea": "2015-06-01",
            "modif_adm": None,
            "modif_geo": "2019-03-12",
            "url_fiche": f"https://inpn.mnhn.fr/zone/znieff/{identifier}",
            "surf_off": round(math.pi * radius**2 / 10_000, 2),
            "acte_deb": None,
            "acte_fin": None,
            "gest_site": None,
        },
    }


def generate(path: Path, megabytes: float) -> int:
    from pyproj import Transformer

    from tests.transforms.geo import clermont_territory

    lat_min, lat_max, lon_min, lon_max = clermont_territory().extent()
    to_l93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    west, south = to_l93.transform(lon_min, lat_min)
    east, north = to_l93.transform(lon_max, lat_max)
    margin = 8_000.0
    bounds = (west - margin, south - margin, east + margin, north + margin)
    rng = random.Random(2154)
    target = int(megabytes * 2**20)
    features: list[str] = []
    size = 0
    while size < target:
        text = json.dumps(_feature(rng, len(features), bounds), ensure_ascii=False)
        features.append(text)
        size += len(text.encode()) + 2
    head = (
        '{"type": "FeatureCollection", "crs": {"type": "name", "properties": '
        '{"name": "urn:ogc:def:crs:EPSG::2154"}}, '
        f'"numberMatched": {len(features)}, "numberReturned": {len(features)}, "features": [\n'
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_text(head + ",\n".join(features) + "\n]}\n", encoding="utf-8")
    tmp.replace(path)
    return len(features)


def child(path: Path) -> dict[str, Any]:
    from patrimoine.areas import LAMBERT_93, TerritoryAreas, geometry_fingerprint, rfc7946
    from tests.transforms.geo import clermont_territory

    territory = clermont_territory()
    baseline = peak_rss_mb()
    started = time.perf_counter()
    layer = json.loads(path.read_text(encoding="utf-8"))
    measured = TerritoryAreas(territory)
    published: list[dict[str, Any]] = []
    notes: dict[str, int] = {}
    vertices_in = vertices_out = 0
    for feature in layer["features"]:
        clean = measured.clean(feature["geometry"], LAMBERT_93)
        for note in clean.notes:
            notes[note] = notes.get(note, 0) + 1
        if clean.geometry is None:
            continue
        where = measured.measure(clean.geometry)
        if not where.inside:
            continue
        geometry = rfc7946(clean.geometry)
        vertices_in += sum(len(r) for p in feature["geometry"]["coordinates"] for r in p)
        vertices_out += sum(
            len(r)
            for p in (
                geometry["coordinates"]
                if geometry["type"] == "MultiPolygon"
                else [geometry["coordinates"]]
            )
            for r in p
        )
        published.append(
            {
                "properties": {
                    **feature["properties"],
                    "communes": list(where.communes),
                    "surface_ha": round(where.area_ha, 4),
                    "surface_territoire_ha": round(where.inside_ha, 4),
                    "part_territoire": round(where.share or 0.0, 6),
                    "empreinte_geometrie": geometry_fingerprint(clean.geometry),
                },
                "geometry": geometry,
            }
        )
    seconds = time.perf_counter() - started
    return {
        "features": len(layer["features"]),
        "published": len(published),
        "notes": notes,
        "vertices_in": vertices_in,
        "vertices_out": vertices_out,
        "seconds": seconds,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--megabytes", type=float, default=3.0)
    parser.add_argument("--budget-mb", type=float, default=BUDGET_MB)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(child(args.child)))
        return 0

    path = OUT / f"patrinat-layer-{args.megabytes:g}mb.geojson"
    if not path.exists():
        count = generate(path, args.megabytes)
        print(f"Generated {count} synthetic sites → {path}", file=sys.stderr)
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    size_mb = path.stat().st_size / 2**20
    ratio = result["peak_rss_mb"] / args.budget_mb
    print(f"Layer: {path.name}, {size_mb:.1f} MB, {result['features']} sites (Lambert-93)")
    print(
        f"Published: {result['published']} sites inside the territory, "
        f"{result['vertices_in']} → {result['vertices_out']} vertices; notes {result['notes']}"
    )
    per_site_ms = result["seconds"] / result["features"] * 1e3
    print(f"Seconds: {result['seconds']:.2f} ({per_site_ms:.2f} ms/site)")
    peak, baseline = result["peak_rss_mb"], result["baseline_rss_mb"]
    print(
        f"Peak RSS: {peak:.0f} MB (interpreter and libraries before the file: "
        f"{baseline:.0f} MB, so {peak - baseline:.0f} MB for the layer)"
    )
    verdict = "OK" if ratio <= 1 else "MISSED"
    print(f"Budget {args.budget_mb:.0f} MB: peak/budget = {ratio:.2f} → {verdict}")
    return 0 if ratio <= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
