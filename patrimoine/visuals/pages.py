"""Interactive HTML pages (Leaflet shipped in the package, no network unless background tiles
are configured): the commune contours, one switchable layer per category (or per dataset on
the territory page), a popup per record, and the charts below."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from string import Template
from typing import Any
from urllib.parse import urlsplit

from patrimoine.territory import Territory
from patrimoine.visuals.charts import HATCHES, OKABE_ITO
from patrimoine.visuals.features import Feature

COMMUNES_LAYER = "Communes"
TILES_LAYER = "Fond de carte"
NO_TILES_LAYER = "Sans fond de carte"


@dataclass(frozen=True)
class PageLayer:
    """One entry of the layer switcher."""

    label: str
    features: tuple[Feature, ...]
    polygons: bool


@dataclass(frozen=True)
class Figure:
    """A chart shown under the map: its PNG file (relative) and French title."""

    src: str
    title: str


@dataclass(frozen=True)
class Tiles:
    """A background tile server for the interactive pages (never for the PNG maps, which
    stay deterministic and offline): a Leaflet URL template and its attribution."""

    url: str
    attribution: str = ""

    @classmethod
    def of(cls, url: str | None, attribution: str | None = None) -> Tiles | None:
        """The settings' pair as page input; None when no URL is set (no tiles, no network)."""
        if not url or not url.strip():
            return None
        return cls(url.strip(), (attribution or "").strip())

    @property
    def host(self) -> str:
        """The tile server's host name (a ``{s}.`` subdomain placeholder left out)."""
        return urlsplit(self.url.replace("{s}.", "")).hostname or self.url

    @property
    def credit(self) -> str:
        """The attribution shown on the map: the declared one, else the server's host name,
        so that the origin of the background is always credited."""
        return self.attribution or f"{TILES_LAYER} : {self.host}"


# A template whose default substitution (no tiles) gives back the page's historical script,
# byte for byte: pages without tiles stay unchanged.
_SCRIPT = Template("""
(function () {
  var data = JSON.parse(document.getElementById("donnees-carte").textContent);
  var map = L.map("carte", { preferCanvas: false, zoomSnap: 0.25 });
  map.attributionControl.setPrefix("Leaflet");
  if (data.attribution) { map.attributionControl.addAttribution(data.attribution); }
${tiles}  var overlays = {};
  var communes = L.geoJSON(data.communes, {
    style: { color: "#7a7a7a", weight: 1, fillColor: "#f4f4f4", fillOpacity: ${fill} },
    onEachFeature: function (feature, layer) { layer.bindTooltip(feature.properties.nom); }
  }).addTo(map);
  overlays[data.communesLabel] = communes;
  data.layers.forEach(function (spec) {
    var layer = L.geoJSON(spec.features, {
      style: { color: spec.color, weight: 2, fillColor: spec.color, fillOpacity: 0.35,
               dashArray: spec.dash },
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { radius: 7, color: "#333333", weight: 1,
                                        fillColor: spec.color, fillOpacity: 0.9 });
      },
      onEachFeature: function (feature, layer) { layer.bindPopup(feature.properties.popup); }
    }).addTo(map);
    overlays[spec.label] = layer;
  });
  L.control.layers(${bases}, overlays, { collapsed: false }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  var bounds = communes.getBounds();
  if (!bounds.isValid()) {
    var all = L.featureGroup(Object.keys(overlays).map(function (k) { return overlays[k]; }));
    bounds = all.getBounds();
  }
  if (bounds.isValid()) { map.fitBounds(bounds); } else { map.setView([46.6, 2.4], 6); }
})();
""")

# The background goes to Leaflet's tile pane, under the contours and the features; a second
# base layer (empty) lets a reader switch the background off in the layer switcher.
_TILES_SCRIPT = """  var bases = {};
  bases[data.tiles.label] = L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution })
    .addTo(map);
  bases[data.tiles.none] = L.layerGroup();
"""


def _script(tiles: Tiles | None) -> str:
    """The map's script; without tiles, exactly the historical one."""
    if tiles is None:
        return _SCRIPT.substitute(tiles="", fill="0.6", bases="null")
    # Lighter communes over a background, so that the tiles show through.
    return _SCRIPT.substitute(tiles=_TILES_SCRIPT, fill="0.25", bases="bases")


_STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 0 auto; max-width: 1240px;
       padding: 0 1em 2em; color: #222; }
h1 { font-size: 1.6em; }
#carte { height: 640px; border: 1px solid #bbb; background: #ffffff; }
.leaflet-control-layers-overlays label { line-height: 1.5; }
figure { margin: 2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-weight: bold; margin-bottom: .5em; }
nav ul { padding-left: 1.2em; }
"""

_DASHES = {"": None, "//": "6 3", "..": "2 4", "xx": "8 3 2 3", "\\\\": "4 4"}


def _dash(index: int) -> str | None:
    """Line pattern of the ``index``-th layer, as the PNG hatches it (greyscale readers)."""
    return _DASHES.get(HATCHES[index % len(HATCHES)], "10 4")


def _script_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element (no ``</`` that would close it)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def communes_geojson(territory: Territory) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": c.contour,
                "properties": {"code": c.code, "nom": c.nom},
            }
            for c in sorted(territory.communes, key=lambda c: c.code)
            if c.contour
        ],
    }


def _layer_json(index: int, layer: PageLayer) -> dict[str, Any]:
    return {
        "label": f"{layer.label} ({len(layer.features)})",
        "color": OKABE_ITO[index % len(OKABE_ITO)],
        "dash": _dash(index),
        "features": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": f.geometry,
                    "properties": {"identifiant": f.key, "popup": f.popup},
                }
                for f in layer.features
            ],
        },
    }


def page(
    *,
    title: str,
    intro: str,
    territory: Territory,
    layers: Sequence[PageLayer] | None,
    figures: Sequence[Figure] = (),
    links: Sequence[tuple[str, str]] = (),
    static_url: str,
    attribution: str = "",
    tiles: Tiles | None = None,
) -> bytes:
    """A self-contained French page; ``layers`` None: no map (a dataset without geometry);
    ``tiles`` None: no background, the page needs no network."""
    esc = html.escape
    static = static_url.rstrip("/")
    body: list[str] = [f"<h1>{esc(title)}</h1>", f"<p>{esc(intro)}</p>"]
    head_extra = ""
    if layers is not None:
        data = {
            "attribution": esc(attribution),
            "communes": communes_geojson(territory),
            "communesLabel": f"{COMMUNES_LAYER} ({len(territory.communes)})",
            "layers": [_layer_json(i, layer) for i, layer in enumerate(layers)],
        }
        if tiles is not None:
            # Leaflet writes attributions as HTML: the text is escaped, as the data's is.
            data["tiles"] = {
                "attribution": esc(tiles.credit),
                "label": TILES_LAYER,
                "none": NO_TILES_LAYER,
                "url": tiles.url,
            }
        head_extra = f'<link rel="stylesheet" href="{esc(static)}/leaflet/leaflet.css">\n'
        body += [
            f'<div id="carte" role="region" aria-label="Carte : {esc(title)}"></div>',
            f'<script type="application/json" id="donnees-carte">{_script_json(data)}</script>',
            f'<script src="{esc(static)}/leaflet/leaflet.js"></script>',
            f"<script>{_script(tiles)}</script>",
        ]
    if figures:
        body.append("<h2>Graphiques</h2>")
        for fig in figures:
            body.append(
                f"<figure><figcaption>{esc(fig.title)}</figcaption>"
                f'<img src="{esc(fig.src)}" alt="{esc(fig.title)}" width="1200"></figure>'
            )
    if links:
        body.append("<nav><h2>Jeux de données</h2><ul>")
        body += [f'<li><a href="{esc(href)}">{esc(text)}</a></li>' for href, text in links]
        body.append("</ul></nav>")
    text = (
        "<!DOCTYPE html>\n"
        '<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n{head_extra}<style>{_STYLE}</style>\n</head>\n"
        "<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )
    return text.encode("utf-8")
