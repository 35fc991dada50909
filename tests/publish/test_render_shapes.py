"""Datasets of areas: the GeoJSON carries each site's polygons, the CSV leaves them out."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from patrimoine.publish.render import render
from tests.publish.test_local import TERRITORY
from tests.staging.support import write_entry
from tests.staging.test_geometry_columns import FIELDS, square


def test_polygons_go_to_the_geojson_and_not_to_the_csv(tmp_path: Path) -> None:
    entry = write_entry(tmp_path, "znieff", FIELDS, ["identifiant"], {"shape": "geometrie"})
    rows = [("830000001", "Puy de Dôme", square(2.96, 45.77)), ("830000002", "Gergovie", "")]
    files, sheet = render(entry, rows, TERRITORY, {})
    by_name = {f.name: f for f in files}
    assert list(by_name) == ["znieff.csv", "znieff.geojson", "changelog.csv"]
    table = list(csv.reader(io.StringIO(by_name["znieff.csv"].content.decode())))
    assert table == [
        ["identifiant", "nom"],
        ["830000001", "Puy de Dôme"],
        ["830000002", "Gergovie"],
    ]
    (feature,) = json.loads(by_name["znieff.geojson"].content)["features"]  # no geometry: off
    assert feature["geometry"] == json.loads(square(2.96, 45.77))
    assert feature["properties"] == {"identifiant": "830000001", "nom": "Puy de Dôme"}
    assert [c["nom"] for c in sheet["colonnes"]] == ["identifiant", "nom", "geometrie"]
