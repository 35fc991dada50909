"""What the per-dataset suite tests share: check identities, runs, assertions, the meta-test.

Each ``test_*_suites.py`` keeps its own producer alterations and cases; this module holds
the harness they all drive them through, so a fix to it reaches every dataset at once.
"""

from __future__ import annotations

import math
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patrimoine import stages
from patrimoine.catalog import DatasetEntry, load_catalog
from patrimoine.config import PROJECT_DIR, Settings
from patrimoine.pipeline import Outcome, refresh_many
from patrimoine.staging import ledger
from patrimoine.transforms.registry import get_transform
from patrimoine.validation import Problem, ValidationReport
from patrimoine.validation.gx import load_suite_json
from patrimoine.validation.structural import column_expectations, schema_expectations
from tests.conftest import make_settings
from tests.servers import CLERMONT_EPCI_SIREN, UpstreamServer, clermont_communes, upstream_env

# --- The dataset and its territory ----------------------------------------------------------


def catalog_entry(name: str) -> DatasetEntry:
    return load_catalog(PROJECT_DIR / "catalog")[name]


def add_territory(server: UpstreamServer) -> None:
    server.add_epci(CLERMONT_EPCI_SIREN, clermont_communes(), nom="Clermont Auvergne Métropole")


@contextmanager
def territory_server() -> Iterator[UpstreamServer]:
    """A local upstream serving the EPCI; it must end without errors."""
    with UpstreamServer() as upstream:
        add_territory(upstream)
        yield upstream
    assert not upstream.errors, upstream.errors


def settings_for(root: Path, server: UpstreamServer) -> Settings:
    return make_settings(root, **upstream_env(server))


def resolved_settings(root: Path, server: UpstreamServer) -> Settings:
    """Settings with the territory resolved, for the transform and validate stages alone."""
    settings = settings_for(root, server)
    stages.resolve_territory_stage(settings)
    return settings


# --- Producer files -------------------------------------------------------------------------


def copies(rows: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    """Fresh copies, so a case never alters the clean sample other cases start from."""
    return [dict(row) for row in rows]


def setter(**values: str) -> Callable[[dict[str, str]], None]:
    return lambda row: row.update(values)


def edit_rows(
    clean: Iterable[dict[str, str]],
    indexes: Iterable[int],
    edit: Callable[[dict[str, str]], None],
    key: str,
) -> tuple[list[dict[str, str]], list[str]]:
    """Copies of ``clean`` with ``edit`` applied at ``indexes``, and those rows' ``key`` (read
    after the edit: what the failed check names)."""
    rows = copies(clean)
    indexes = list(indexes)
    for i in indexes:
        edit(rows[i])
    return rows, [rows[i][key] for i in indexes]


# --- Runs -----------------------------------------------------------------------------------


def published_files(settings: Settings, name: str) -> dict[str, bytes]:
    folder = settings.portal_dir / name
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def run_report(settings: Settings, outcome: Outcome) -> ValidationReport:
    """The validation report the run recorded in the ledger."""
    run = ledger.run(stages.engine_for(settings), outcome.run_id)
    assert run is not None
    return ValidationReport.from_dict(run["details"]["validation"])


def refresh(
    settings: Settings,
    server: UpstreamServer,
    name: str,
    resource: tuple[str, str],
    content: bytes,
    *,
    accept_drop: bool = False,
) -> Outcome:
    """Serve ``content`` as the dataset's file (``resource``: dataset id, file name) and
    refresh the dataset alone."""
    server.replace_file(*resource, content)
    (outcome,) = refresh_many(settings, [name], accept_drop=accept_drop)
    return outcome


def copy_run(source_root: Path, source_portal: Path, root: Path) -> None:
    """Copy a previous run's database and portal under ``root``, to start a case from it."""
    with (
        closing(sqlite3.connect(source_root / "patrimoine.db")) as source,
        closing(sqlite3.connect(root / "patrimoine.db")) as target,
    ):
        source.backup(target)  # a consistent copy, what the WAL holds included
    shutil.copytree(source_portal, root / "portal")


@dataclass
class Validated:
    """What the transform and validate stages say of a file, before any staging."""

    report: ValidationReport
    entries: list[dict[str, Any]] = field(default_factory=list)
    """The validation's quarantine, in its order."""

    @property
    def quarantine(self) -> dict[str, list[str]]:
        """Key → reasons, as the validate stage hands them to the stage step."""
        return {q["key"]: q["reasons"] for q in self.entries}

    @property
    def quarantined_keys(self) -> list[str]:
        return [q["key"] for q in self.entries]


def transform_and_validate(
    settings: Settings,
    name: str,
    filename: str,
    content: bytes,
    *,
    territory_filter: bool = True,
) -> Validated:
    """The transform and validation stages on ``content``, as a refresh runs them."""
    path = settings.var_dir / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    output = stages.transform_stage(settings, name, path, territory_filter=territory_filter)
    validated = stages.validate_stage(settings, name, output)
    return Validated(ValidationReport.from_dict(validated.report), validated.quarantine)


# --- Checks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """A check's identity: its suite, GX type, column and level."""

    suite: str
    expectation: str
    column: str | None
    level: str


def check(suite: str, kind: str, column: str | None, level: str) -> Check:
    return Check(suite, f"expect_{kind}", column, level)


def identity(problem: Problem) -> Check:
    return Check(problem.suite, problem.expectation, problem.column, problem.level)


def failed(report: ValidationReport, expected: Check) -> Problem:
    """The one problem of ``report`` with this identity (its level included)."""
    found = [
        p
        for p in report.problems
        if (p.suite, p.expectation, p.column)
        == (expected.suite, expected.expectation, expected.column)
    ]
    assert len(found) == 1, report.problems
    assert found[0].level == expected.level, found[0]
    return found[0]


def assert_names(problem: Problem, offending: list[str]) -> None:
    """The problem counts exactly the offending records and samples only among them."""
    assert offending
    assert problem.unexpected_count == len(offending)
    assert set(problem.sample_keys) <= set(offending)
    assert len(problem.sample_keys) == min(len(offending), 20)


def row_count_drop(
    report: ValidationReport, expected: Check, *, kept: int, previous: int, settings: Settings
) -> tuple[Problem, int]:
    """The row-count check failed alone on a file of ``kept`` rows after a run that kept
    ``previous``; return it and the floor it compared with (for its title)."""
    problem = failed(report, expected)
    assert report.problems == [problem]
    # At least what the last successful run kept, less the share of removals tolerated.
    minimum = math.floor(previous * (1 - settings.max_removed_share))
    assert kept < minimum < previous
    assert problem.sample_values == [kept]
    return problem, minimum


def suite_checks(entry: DatasetEntry) -> list[Check]:
    """Every check run on the dataset: suite files plus generated ones."""
    source = load_suite_json(entry.source_suite_path)
    published = load_suite_json(entry.published_suite_path)
    fields = get_transform(entry).fields_for(entry)
    runs: list[tuple[str, list[dict[str, Any]]]] = [
        (source["name"], [*column_expectations(fields), *source["expectations"]]),
        (published["name"], [*schema_expectations(entry), *published["expectations"]]),
    ]
    return [
        Check(name, e["type"], e["kwargs"].get("column"), e["meta"]["level"])
        for name, expectations in runs
        for e in expectations
    ]


def assert_every_check_covered(
    entry: DatasetEntry, covered: Iterable[Check], test_file: str
) -> None:
    """The body of each file's meta-test: the checks the suites run and those its cases
    show failing are the same, so a new check without a case fails that file."""
    checks = suite_checks(entry)
    assert len(set(checks)) == len(checks), "two checks share an identity: tell them apart"
    covered = list(covered)
    assert len(set(covered)) == len(covered)
    missing = set(checks) - set(covered)
    assert not missing, f"checks without a failing case in {Path(test_file).name}: {missing}"
    stale = set(covered) - set(checks)
    assert not stale, f"cases for checks the suites no longer have: {stale}"


def assert_new_spelling(spelling: str, header: Iterable[str], fields: dict[str, Any]) -> None:
    """A renamed column's spelling is neither in the file's header nor an accepted alias,
    so the rename really loses the column."""
    assert spelling.lower() not in {h.lower() for h in header}, spelling
    assert all(spelling.lower() != a.lower() for f in fields.values() for a in f.aliases)
