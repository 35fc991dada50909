"""Declared charts as PNG (matplotlib, Agg): French text, Okabe–Ito colours and hatching so
the bars also read in greyscale; fixed size and no metadata, so bytes are reproducible."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from patrimoine.catalog import ChartSpec, DatasetEntry
from patrimoine.territory import Territory
from patrimoine.visuals.data import ChartData, chart_data, french_number

WIDTH_PX = 1200
DPI = 100
OKABE_ITO = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
"""Colour-blind-safe palette (Okabe & Ito), strongest contrasts first."""
HATCHES = ("", "//", "..", "xx", "\\\\", "++", "--", "oo", "||", "**")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<")
LINESTYLES = ("-", "--", "-.", ":")
EDGE = "#333333"
_RC: Any = {  # rc_context wants literal keys; typed loosely on purpose
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "axes.titlesize": 15,
    "axes.labelsize": 12,
    "svg.hashsalt": "patrimoine",
}


def style(index: int) -> tuple[str, str]:
    """Colour and hatch of the ``index``-th series: hatches change once colours run out too,
    and from the second series on so that greyscale prints still tell them apart."""
    return OKABE_ITO[index % len(OKABE_ITO)], HATCHES[index % len(HATCHES)]


def new_figure(height_px: int) -> Figure:
    figure = Figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def png_bytes(figure: Figure) -> bytes:
    """PNG without the matplotlib version or a date: the same picture, the same bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _number_axis(ax: Axes, axis: str) -> None:
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(integer=True))
    target.set_major_formatter(FuncFormatter(lambda v, _pos: french_number(v)))


def _empty(ax: Axes) -> None:
    ax.text(0.5, 0.5, "Aucune donnée à représenter", ha="center", va="center", fontsize=14)
    ax.set_axis_off()


def _stacked(ax: Axes, data: ChartData, *, horizontal: bool) -> range:
    """One bar per label, the series stacked, each with its colour and hatch."""
    positions = range(len(data.labels))
    base = [0.0] * len(data.labels)
    for i, (name, values) in enumerate(data.series):
        colour, hatch = style(i)
        look: dict[str, Any] = {
            "label": name or None,
            "color": colour,
            "hatch": hatch,
            "edgecolor": EDGE,
            "linewidth": 0.6,
        }
        if horizontal:
            ax.barh(positions, values, left=base, **look)
        else:
            ax.bar(positions, values, bottom=base, **look)
        base = [b + v for b, v in zip(base, values, strict=True)]
    return positions


def _vertical_bars(ax: Axes, data: ChartData) -> None:
    positions = _stacked(ax, data, horizontal=False)
    ax.set_xticks(list(positions), data.labels)
    if len(data.labels) > 12:
        ax.tick_params(axis="x", labelrotation=60)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    _number_axis(ax, "y")
    ax.set_xlabel(data.xlabel)
    ax.set_ylabel(data.ylabel)
    ax.grid(axis="y", color="#dddddd")
    ax.set_axisbelow(True)


def _horizontal_bars(ax: Axes, data: ChartData) -> None:
    positions = _stacked(ax, data, horizontal=True)
    ax.set_yticks(list(positions), data.labels)
    ax.invert_yaxis()  # the largest first, at the top
    _number_axis(ax, "x")
    ax.set_xlabel(data.ylabel)
    ax.set_ylabel(data.xlabel)
    ax.grid(axis="x", color="#dddddd")
    ax.set_axisbelow(True)


def _lines(ax: Axes, data: ChartData) -> None:
    positions = list(range(len(data.labels)))
    for i, (name, values) in enumerate(data.series):
        colour, _ = style(i)
        ax.plot(
            positions,
            values,
            label=name or None,
            color=colour,
            marker=MARKERS[i % len(MARKERS)],
            linestyle=LINESTYLES[i % len(LINESTYLES)],
            linewidth=2,
            markersize=7,
            markeredgecolor=EDGE,
        )
    ax.set_xticks(positions, data.labels)
    _number_axis(ax, "y")
    ax.set_ylim(bottom=0)
    ax.set_xlabel(data.xlabel)
    ax.set_ylabel(data.ylabel)
    ax.grid(color="#dddddd")


def render_chart(
    entry: DatasetEntry, spec: ChartSpec, rows: Sequence[Sequence[Any]], territory: Territory
) -> bytes:
    """One declared chart as a 1200 px wide PNG."""
    import matplotlib

    data = chart_data(entry, spec, rows, territory)
    horizontal = spec.kind.endswith("_by_category")
    height = max(500, 36 * len(data.labels) + 220) if horizontal else 675
    with matplotlib.rc_context(_RC):
        figure = new_figure(height)
        ax = figure.add_subplot()
        ax.set_title(spec.title, loc="left", fontweight="bold")
        if data.empty:
            _empty(ax)
        elif spec.style == "lines":
            _lines(ax, data)
        elif horizontal:
            _horizontal_bars(ax, data)
        else:
            _vertical_bars(ax, data)
        if not data.empty and any(name for name, _ in data.series):
            ax.legend(
                title=None,
                loc="upper left",
                bbox_to_anchor=(1.01, 1.0),
                frameon=False,
                handleheight=1.6,
                handlelength=2.6,
            )
        ax.spines[["top", "right"]].set_visible(False)
        return png_bytes(figure)
