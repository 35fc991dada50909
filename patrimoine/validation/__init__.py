"""Validation stage: run a dataset's GX suites and report problems as data.

``validate_frame`` imports Great Expectations lazily, so importing this package is cheap.
"""

from patrimoine.validation.gx import load_suite_json, suite_parameters, validate_frame
from patrimoine.validation.report import (
    BLOCKING,
    LEVELS,
    ROW,
    WARNING,
    Problem,
    ValidationReport,
)
from patrimoine.validation.structural import published_suite, schema_expectations

__all__ = [
    "BLOCKING",
    "LEVELS",
    "ROW",
    "WARNING",
    "Problem",
    "ValidationReport",
    "load_suite_json",
    "published_suite",
    "schema_expectations",
    "suite_parameters",
    "validate_frame",
]
