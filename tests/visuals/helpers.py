"""Reading rendered PNGs as a person would look at them: size, and not blank."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"))


def assert_non_trivial(png: bytes, *, min_colours: int = 3, min_ink: float = 0.01) -> None:
    """1200 px wide, several distinct colours, a share of pixels that are not background."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = pixels(png)
    height, width, _ = image.shape
    assert width == 1200
    assert 300 <= height <= 4000
    colours = {tuple(int(c) for c in px) for px in image.reshape(-1, 3)[::7]}
    assert len(colours) >= min_colours, len(colours)
    ink = float((image.sum(axis=2) < 3 * 245).mean())
    assert ink >= min_ink, ink
