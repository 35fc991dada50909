"""Maps and charts of the published data (issue 10): PNG and interactive HTML pages.

Everything a picture shows is declared in the dataset's catalog entry (``[visuals]``); the
files are pure functions of the rows, so an unchanged night renders identical bytes.
"""

from __future__ import annotations

from patrimoine.visuals.pages import Tiles
from patrimoine.visuals.render import render_dataset, render_territory, static_files

__all__ = ["Tiles", "render_dataset", "render_territory", "static_files"]
