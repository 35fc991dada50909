"""Validation stage: run a dataset's GX suite and report problems as data.

``validate_frame`` imports Great Expectations lazily, so importing this package is cheap.
"""

from patrimoine.validation.gx import load_suite_json, suite_parameters, validate_frame
from patrimoine.validation.report import (
    CRITICAL,
    INFO,
    SEVERITIES,
    WARNING,
    Problem,
    ValidationReport,
)

__all__ = [
    "CRITICAL",
    "INFO",
    "SEVERITIES",
    "WARNING",
    "Problem",
    "ValidationReport",
    "load_suite_json",
    "suite_parameters",
    "validate_frame",
]
