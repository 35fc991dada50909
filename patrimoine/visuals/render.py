"""Entry points: the pictures of one dataset, of the whole territory, and the shipped Leaflet
files the pages load by relative path."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from typing import Any

from patrimoine.catalog import DatasetEntry
from patrimoine.publish.render import RenderedFile
from patrimoine.territory import Territory
from patrimoine.visuals import features as feats
from patrimoine.visuals.charts import render_chart
from patrimoine.visuals.data import slug
from patrimoine.visuals.maps import Layer, render_map
from patrimoine.visuals.pages import Figure, PageLayer, Tiles, page

PNG = ("PNG", "image/png")
HTML = ("HTML", "text/html")
_STATIC_MIME = {
    ".js": ("JS", "text/javascript"),
    ".css": ("CSS", "text/css"),
    ".png": PNG,
    "": ("TXT", "text/plain"),
}


def chart_file_name(index: int, title: str) -> str:
    return f"graphique-{index}-{slug(title)}.png"


def _layers(
    entry: DatasetEntry, found: Sequence[feats.Feature], territory: Territory
) -> list[Layer]:
    """One layer per category, or the whole dataset as one when no category is declared."""
    polygons = feats.is_polygonal(entry)
    spec = feats.map_spec(entry)
    if spec is None or spec.category is None:
        return [Layer(feats.map_label(entry, territory), tuple(found), polygons)]
    return [
        Layer(c, tuple(f for f in found if f.category == c), polygons)
        for c in feats.categories(found)
    ]


def _title(entry: DatasetEntry, territory: Territory) -> str:
    return entry.metadata.title.format(territoire=territory.label)


def render_dataset(
    entry: DatasetEntry,
    rows: Sequence[Sequence[Any]],
    territory: Territory,
    *,
    static_url: str = "../static",
    tiles: Tiles | None = None,
) -> list[RenderedFile]:
    """``carte.png`` (mapped datasets), ``carte.html`` and ``graphique-<n>-<slug>.png`` per
    declared chart; ``static_url`` is where the page finds ``leaflet/`` (relative);
    ``tiles`` is the page's background only: the PNG files never use tiles."""
    title = _title(entry, territory)
    out: list[RenderedFile] = []
    layers: list[Layer] | None = None
    if feats.map_spec(entry) is not None:
        found = feats.features(entry, rows)
        layers = _layers(entry, found, territory)
        out.append(
            RenderedFile(
                "carte.png",
                f"Carte – {title}",
                *PNG,
                render_map(f"Carte – {title}", territory, layers),
            )
        )
    figures = []
    charts = []
    for index, spec in enumerate(entry.visuals.charts, 1):
        name = chart_file_name(index, spec.title)
        figures.append(Figure(name, spec.title))
        charts.append(
            RenderedFile(name, spec.title, *PNG, render_chart(entry, spec, rows, territory))
        )
    mapped = sum(len(layer.features) for layer in layers or [])
    intro = (
        f"{len(rows)} enregistrement(s), dont {mapped} sur la carte. "
        "Cliquez sur un élément pour afficher sa fiche ; le sélecteur de couches, en haut à "
        "droite, affiche ou masque chaque catégorie et les communes."
        if layers is not None
        else f"{len(rows)} enregistrement(s) ; ce jeu de données n'a pas de géométrie."
    )
    out.append(
        RenderedFile(
            "carte.html",
            title,
            *HTML,
            page(
                title=title,
                intro=intro,
                territory=territory,
                layers=None
                if layers is None
                else [PageLayer(la.label, la.features, la.polygons) for la in layers],
                figures=figures,
                static_url=static_url,
                attribution=entry.metadata.attribution,
                tiles=tiles,
            ),
        )
    )
    return out + charts


def render_territory(
    datasets: Sequence[tuple[DatasetEntry, Sequence[Sequence[Any]]]],
    territory: Territory,
    *,
    static_url: str = "static",
    tiles: Tiles | None = None,
) -> list[RenderedFile]:
    """``territoire.html`` (every mapped dataset as a switchable layer, links to each
    dataset's page, over ``tiles`` if given) and ``carte-territoire.png`` (never tiles)."""
    ordered = sorted(datasets, key=lambda d: d[0].name)
    mapped = [(e, rows) for e, rows in ordered if feats.map_spec(e) is not None]
    # Areas under points: polygons first, so that the points stay on top and visible.
    mapped.sort(key=lambda d: (not feats.is_polygonal(d[0]), d[0].name))
    layers = [
        Layer(feats.map_label(e, territory), tuple(feats.features(e, rows)), feats.is_polygonal(e))
        for e, rows in mapped
    ]
    title = f"Patrimoine de {territory.label}"
    links = [(f"{e.name}/carte.html", _title(e, territory)) for e, _ in ordered]
    html_page = page(
        title=title,
        intro=(
            f"Les jeux de données du territoire ({len(territory.communes)} communes) sur une "
            "même carte : le sélecteur de couches affiche ou masque chacun d'eux."
        ),
        territory=territory,
        layers=[PageLayer(la.label, la.features, la.polygons) for la in layers],
        links=links,
        static_url=static_url,
        attribution="; ".join(sorted({e.metadata.attribution for e, _ in mapped})),
        tiles=tiles,
    )
    return [
        RenderedFile("territoire.html", title, *HTML, html_page),
        RenderedFile(
            "carte-territoire.png",
            f"Carte – {title}",
            *PNG,
            render_map(f"Carte – {title}", territory, layers),
        ),
    ]


def static_files() -> list[RenderedFile]:
    """The shipped Leaflet files, named ``static/leaflet/…`` (copy them next to the pages)."""
    root = resources.files("patrimoine.visuals") / "static"
    out: list[RenderedFile] = []

    def walk(node: Any, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            path = f"{prefix}/{child.name}"
            if child.is_dir():
                walk(child, path)
                continue
            suffix = "." + child.name.rsplit(".", 1)[1] if "." in child.name else ""
            fmt, mime = _STATIC_MIME.get(suffix, ("", "application/octet-stream"))
            out.append(RenderedFile(path, child.name, fmt, mime, child.read_bytes()))

    walk(root, "static")
    return out
