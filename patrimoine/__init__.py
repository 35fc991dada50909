"""patrimoine: keep a territory's heritage open data published and fresh, every night."""

__version__ = "0.1.0"
