"""Every declared chart of every catalog dataset, drawn from the offline snapshot's rows."""

from __future__ import annotations

from datetime import date

from patrimoine.catalog import ChartSpec, load_catalog
from patrimoine.config import PROJECT_DIR
from patrimoine.territory import Territory
from patrimoine.visuals.charts import render_chart
from patrimoine.visuals.data import chart_data, period_keys, slug
from tests.visuals.conftest import Datasets, Drawn
from tests.visuals.helpers import assert_non_trivial


def test_every_declared_chart_renders_a_non_trivial_png(
    offline: tuple[Datasets, Territory], drawn: Drawn
) -> None:
    datasets, _ = offline
    declared = 0
    for entry, _rows in datasets:
        files = drawn[entry.name]
        charts = sorted(n for n in files if n.startswith("graphique-"))
        assert len(charts) == len(entry.visuals.charts), entry.name
        for index, spec in enumerate(entry.visuals.charts, 1):
            name = f"graphique-{index}-{slug(spec.title)}.png"
            assert name in files, (entry.name, name)
            assert files[name].title == spec.title
            assert files[name].mime == "image/png"
            assert_non_trivial(files[name].content, min_ink=0.02)
            declared += 1
    assert declared >= 15


def test_every_catalog_dataset_declares_charts() -> None:
    catalog = load_catalog(PROJECT_DIR / "catalog")
    assert all(entry.visuals.charts for entry in catalog.values())


def test_charts_are_identical_bytes_on_two_renders(
    offline: tuple[Datasets, Territory], drawn: Drawn
) -> None:
    datasets, territory = offline
    for entry, rows in datasets:
        for index, spec in enumerate(entry.visuals.charts, 1):
            first = drawn[entry.name][f"graphique-{index}-{slug(spec.title)}.png"].content
            again = render_chart(entry, spec, list(reversed(rows)), territory)
            assert first == again, (entry.name, spec.title)
            assert b"Software" not in first and b"matplotlib" not in first.lower()


def test_protections_per_decade_split_classe_and_inscrit(
    offline: tuple[Datasets, Territory],
) -> None:
    datasets, territory = offline
    entry, rows = next(d for d in datasets if d[0].name == "monuments-historiques")
    spec = entry.visuals.charts[0]
    data = chart_data(entry, spec, rows, territory)
    assert data.labels[0] == "1840"
    assert {name for name, _ in data.series} >= {"classé", "inscrit"}
    assert data.xlabel == "Décennie de la première protection"
    staged = sum(1 for r in rows if r[entry.column_names.index("date_premiere_protection")])
    assert sum(sum(v) for _, v in data.series) <= staged


def test_centuries_are_read_from_merimee_text() -> None:
    assert period_keys("2e moitié 19e siècle;20e siècle", "century") == [1801, 1901]
    assert period_keys("1er quart 12e siècle", "century") == [1101]
    assert period_keys(date(1840, 5, 1), "decade") == [1840]
    assert period_keys(1900, "century") == [1801]
    assert period_keys(2999, "year") == []  # a typing error stays off the axis


def test_list_columns_and_insee_codes_become_categories(
    offline: tuple[Datasets, Territory],
) -> None:
    datasets, territory = offline
    musees, rows = next(d for d in datasets if d[0].name == "musees-de-france")
    data = chart_data(musees, musees.visuals.charts[0], rows, territory)
    assert "Beaux-arts" in data.labels
    assert not any(";" in label for label in data.labels)
    natura, rows = next(d for d in datasets if d[0].name == "natura-2000")
    spec = next(c for c in natura.visuals.charts if c.labels == "communes")
    names = {c.nom for c in territory.communes}
    assert set(chart_data(natura, spec, rows, territory).labels) <= names


def test_attendance_sums_total_per_year_one_series_per_museum(
    offline: tuple[Datasets, Territory],
) -> None:
    datasets, territory = offline
    entry, rows = next(d for d in datasets if d[0].name == "frequentation-musees")
    per_museum, overall = entry.visuals.charts
    data = chart_data(entry, per_museum, rows, territory)
    assert len(data.series) > 1
    total = chart_data(entry, overall, rows, territory)
    names = entry.column_names
    expected = sum(r[names.index("total")] or 0 for r in rows)
    assert sum(total.series[0][1]) == expected
    assert sum(sum(v) for _, v in data.series) == expected


def test_an_empty_dataset_still_draws_a_titled_picture() -> None:
    catalog = load_catalog(PROJECT_DIR / "catalog")
    entry = catalog["monuments-historiques"]
    territory = Territory("epci:0", "Territoire vide", ())
    spec = ChartSpec(title="Rien", kind="count_by_category", column="commune")
    png = render_chart(entry, spec, [], territory)
    assert_non_trivial(png, min_colours=2, min_ink=0.0005)
