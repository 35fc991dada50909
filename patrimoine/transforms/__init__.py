"""Transforms per source family, built from shared helpers (text, dates, coordinates).

The registry lives in :mod:`patrimoine.transforms.registry`.
"""

from patrimoine.transforms.stats import TransformStats

__all__ = ["TransformStats"]
