"""Synthetic sample records in the real upstream formats (for tests, demos and benchmarks).

Nothing in this package is real upstream data: the generators invent records whose
*format* (separators, quoting, column names, value shapes and known defects) follows the
real files, so that parsers and pipelines can be exercised offline.
"""

from patrimoine.samples.merimee import (
    MERIMEE_HEADER,
    TRAPS,
    Commune,
    communes_from_territory_csv,
    national_rows,
    sample_rows,
    trap_reference,
    write_merimee_csv,
)

__all__ = [
    "MERIMEE_HEADER",
    "TRAPS",
    "Commune",
    "communes_from_territory_csv",
    "national_rows",
    "sample_rows",
    "trap_reference",
    "write_merimee_csv",
]
