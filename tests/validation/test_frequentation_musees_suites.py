"""Every check of the frequentation-musees suites, shown failing on a file a producer could send.

The checks are those of ``expectations/frequentation-musees.{source,published}.json``, the
structural ones generated from ``schemas/frequentation-musees.json`` (the ``minimum`` of the
counts) and the column-existence ones generated from the attendance transform's fields.
Each case starts from the clean sample in the file's real shape (``tests/samples/
frequentation.py``, ``traps=False``: 11 museums × 11 years, one site each), alters it the way
a producer does (a truncated identifier, a float export, ISO dates, a renamed column…) and
runs the real transform and validation stages against the local geo.api (real HTTP for the
territory), then checks what the level does: ``row`` → the records are named and listed for
quarantine; ``blocking`` → the report fails; ``warning`` → the report passes and names them.
The whole-refresh behaviour of each level is shown by the Mérimée suites and, for this
dataset, by ``tests/samples/test_frequentation_samples.py``.

``test_every_check_of_the_suites_has_a_failing_case`` fails when a suite gains a check that no
case here shows failing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from patrimoine import stages
from patrimoine.catalog import DatasetEntry
from patrimoine.config import Settings
from patrimoine.errors import SchemaError
from patrimoine.staging import ledger
from patrimoine.transforms import fields as source_fields
from patrimoine.transforms.frequentation import FIELDS
from patrimoine.validation import BLOCKING, ROW, WARNING
from tests.samples.frequentation import HEADER, sample_content, sample_rows
from tests.servers import UpstreamServer
from tests.transforms.geo import sample_communes
from tests.validation.support import (
    Check,
    Validated,
    assert_every_check_covered,
    assert_names,
    assert_new_spelling,
    catalog_entry,
    check,
    copies,
    failed,
    resolved_settings,
    row_count_drop,
    setter,
    suite_checks,
    territory_server,
)
from tests.validation.support import transform_and_validate as run_stages

NAME = "frequentation-musees"
SOURCE = f"{NAME}.source"
PUBLISHED = f"{NAME}.published"
ENTRY: DatasetEntry = catalog_entry(NAME)

COMMUNES = sample_communes()
CLEAN: tuple[dict[str, str], ...] = tuple(sample_rows(COMMUNES, traps=False))
"""121 lines: museums M5001–M5011, one site each, every year 2014–2024."""


# --- What the producer sends ---------------------------------------------------------------


@dataclass
class Upstream:
    """An attendance file as a producer publishes it, and the records a check must name."""

    rows: list[dict[str, str]]
    header: tuple[str, ...] = HEADER
    offending: list[str] = field(default_factory=list)
    """Keys the failed check names (``museum | year``, or ``ligne N``)."""

    def content(self) -> bytes:
        return sample_content(self.rows, self.header)


def clean_rows() -> list[dict[str, str]]:
    return copies(CLEAN)


def key(row: dict[str, str]) -> str:
    """The key a line is published under (a ``2019.0`` year is read as 2019)."""
    return f"{row['IDMuseofile']} | {int(float(row['annee']))}"


def edited(
    museums: Collection[str], years: Collection[int], edit: Callable[[dict[str, str]], None]
) -> Upstream:
    """The clean sample, ``edit`` applied to the lines of ``museums`` in ``years``; those lines
    are offending (named by the key they are published under, after the edit)."""
    rows = clean_rows()
    offending = []
    for row in rows:
        if row["IDMuseofile"] in museums and int(row["annee"]) in years:
            edit(row)
            offending.append(key(row))
    assert offending
    return Upstream(rows, offending=offending)


def grouped(column: str) -> Callable[[dict[str, str]], None]:
    """``12345`` → ``12 345``: a count exported from a French spreadsheet."""

    def edit(row: dict[str, str]) -> None:
        row[column] = f"{int(row[column]):,}".replace(",", " ")

    return edit


def negative(column: str) -> Callable[[dict[str, str]], None]:
    """``12345`` → ``-12345``: a sign slipped in by a correction line."""
    return lambda row: row.update({column: f"-{row[column]}"})


def iso_appellation(row: dict[str, str]) -> None:
    """``01/02/2003`` → ``2003-02-01``."""
    day, month, year = row["dateappellation"].split("/")
    row["dateappellation"] = f"{year}-{month}-{day}"


def without_identifiers() -> Upstream:
    """A line whose IDMuseofile and IDPatrimostat were both lost (line 2 of the file)."""
    rows = clean_rows()
    rows[0].update(IDMuseofile="", IDPatrimostat="")
    return Upstream(rows, offending=["ligne 2"])


def with_paris() -> Upstream:
    """The clean sample plus a Paris museum (kept only when no territory filters)."""
    rows = clean_rows()
    paris = {
        **rows[0],
        "IDPatrimostat": "M00901",
        "IDMuseofile": "M0901",
        "ville": "PARIS",
        "codeInseeCommune": "75056",
        "annee": "2023",
        "total": "8807668",
        "payant": "5534435",
        "gratuit": "3273233",
    }
    return Upstream([*rows, paris], offending=["M0901 | 2023"])


def first_museums(count: int) -> list[str]:
    return sorted({row["IDMuseofile"] for row in CLEAN})[:count]


ALL_YEARS = range(2014, 2025)


# --- Checks and cases ----------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    check: Check
    upstream: Callable[[], Upstream]
    territory_filter: bool = True


CASES = [
    # row: named for the quarantine
    Case(
        "line-without-any-identifier",
        check(SOURCE, "column_values_to_not_match_regex", "_key", ROW),
        without_identifiers,
    ),
    Case(
        "museofile-id-truncated",
        check(SOURCE, "column_values_to_match_regex", "id_museofile", ROW),
        lambda: edited(["M5003"], [2019, 2020], setter(IDMuseofile="M503")),
    ),
    Case(
        "year-typo-2042",
        check(PUBLISHED, "column_values_to_be_between", "annee", ROW),
        lambda: edited(["M5004"], [2024], setter(annee="2042")),
    ),
    Case(
        "national-export-without-territory",
        check(PUBLISHED, "column_values_to_be_in_set", "code_insee", ROW),
        with_paris,
        territory_filter=False,
    ),
    # warning: published and reported
    Case(
        "insee-code-truncated-6311",
        check(SOURCE, "column_values_to_match_regex", "code_insee", WARNING),
        lambda: edited(["M5001"], [2016], setter(codeInseeCommune="6311")),
    ),
    Case(
        "year-as-float-2019.0",
        check(SOURCE, "column_values_to_match_regex", "annee", WARNING),
        lambda: edited(["M5002"], [2019, 2020], lambda r: r.update(annee=f"{r['annee']}.0")),
    ),
    Case(
        "total-with-thousands-separator",
        check(SOURCE, "column_values_to_match_regex", "total", WARNING),
        lambda: edited(["M5005", "M5006"], [2019], grouped("total")),
    ),
    Case(
        "payant-with-thousands-separator",
        check(SOURCE, "column_values_to_match_regex", "payant", WARNING),
        lambda: edited(["M5010"], [2018, 2019], grouped("payant")),
    ),
    Case(
        "gratuit-with-thousands-separator",
        check(SOURCE, "column_values_to_match_regex", "gratuit", WARNING),
        lambda: edited(["M5011"], [2019], grouped("gratuit")),
    ),
    Case(
        "appellation-date-in-iso-format",
        check(SOURCE, "column_values_to_match_regex", "date_appellation", WARNING),
        lambda: edited(["M5007"], ALL_YEARS, iso_appellation),
    ),
    Case(
        "total-negative",
        check(PUBLISHED, "column_values_to_be_between", "total", WARNING),
        lambda: edited(["M5008"], [2017], negative("total")),
    ),
    Case(
        "payant-negative",
        check(PUBLISHED, "column_values_to_be_between", "payant", WARNING),
        lambda: edited(["M5008"], [2018], negative("payant")),
    ),
    Case(
        "gratuit-negative",
        check(PUBLISHED, "column_values_to_be_between", "gratuit", WARNING),
        lambda: edited(["M5009"], [2015, 2016], negative("gratuit")),
    ),
    Case(
        "names-emptied-on-two-museums",
        check(PUBLISHED, "column_values_to_not_be_null", "nom", WARNING),
        lambda: edited(first_museums(2), ALL_YEARS, setter(nom_du_musee="")),
    ),
    Case(
        "totals-not-communicated-by-four-museums",
        check(PUBLISHED, "column_values_to_not_be_null", "total", WARNING),
        lambda: edited(first_museums(4), ALL_YEARS, setter(total="NC")),
    ),
]
ROW_COUNT = check(SOURCE, "table_row_count_to_be_between", None, WARNING)

RENAMED: dict[str, tuple[str, str]] = {
    # canonical field: (the producer's new spelling, level of the existence check)
    "nom": ("nom_musee_de_france", BLOCKING),
    "total": ("total_entrees", BLOCKING),
    "payant": ("entrees_payantes", BLOCKING),
    "gratuit": ("entrees_gratuites", BLOCKING),
    "individuel": ("individuels", WARNING),
    "scolaires": ("scolaire", WARNING),
    "groupes_hors_scolaires": ("groupes", WARNING),
    "moins_18_ans": ("moins_18_ans", WARNING),
    "de_18_a_25_ans": ("18_25", WARNING),
    "ville": ("commune", WARNING),
    "ferme": ("est_ferme", WARNING),
    "annee_fermeture": ("annee_de_fermeture", WARNING),
    "date_appellation": ("date_d_appellation", WARNING),
    "lien_avec": ("lien", WARNING),
}
COLUMN_CHECKS = {
    name: check(SOURCE, "column_to_exist", name, level) for name, (_, level) in RENAMED.items()
}
PUBLISHED_OF = {"nom": "nom", "total": "total", "payant": "payant", "gratuit": "gratuit"}
"""Published columns that empty when their source field goes missing."""


def renamed(*names: str) -> Upstream:
    """The clean sample with upstream columns renamed by the producer."""
    spellings = {FIELDS[n].label: RENAMED[n][0] for n in names}
    return Upstream(clean_rows(), tuple(spellings.get(h, h) for h in HEADER))


# --- Fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[UpstreamServer]:
    with territory_server() as upstream:
        yield upstream


@pytest.fixture(scope="module")
def scratch(server: UpstreamServer, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return resolved_settings(tmp_path_factory.mktemp("scratch"), server)


def transform_and_validate(
    settings: Settings, upstream: Upstream, territory_filter: bool = True
) -> Validated:
    return run_stages(
        settings, NAME, "frequentation.csv", upstream.content(), territory_filter=territory_filter
    )


# --- The clean sample ----------------------------------------------------------------------


def test_a_clean_sample_passes_every_check(scratch: Settings) -> None:
    run = transform_and_validate(scratch, Upstream(clean_rows()))
    assert run.report.problems == []
    assert run.report.evaluated == len(suite_checks(ENTRY))
    assert run.quarantine == {}


# --- Each business and structural check ----------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_check_fails_on_a_producer_file(case: Case, scratch: Settings) -> None:
    upstream = case.upstream()
    run = transform_and_validate(scratch, upstream, case.territory_filter)
    problem = failed(run.report, case.check)
    assert run.report.problems == [problem], "the alteration should trip this check only"
    assert_names(problem, upstream.offending)
    assert run.report.success  # row problems are quarantined, warnings reported
    if case.check.level == ROW:
        assert set(problem.keys) == set(upstream.offending)
        assert run.quarantine == {k: [problem.title] for k in upstream.offending}
    else:
        assert case.check.level == WARNING
        assert run.quarantine == {} and problem.keys == []


def test_the_row_count_check_fails_on_a_shrunk_export(
    server: UpstreamServer, tmp_path: Path
) -> None:
    """After a successful run with the whole sample, a file holding 40 of its 121 lines."""
    settings = resolved_settings(tmp_path, server)
    engine = stages.engine_for(settings)
    now = datetime.now(UTC)
    previous = ledger.RunRecord(
        run_id=uuid.uuid4().hex,
        dataset=NAME,
        started_at=now,
        status="updated",
        ended_at=now,
        rows_kept=len(CLEAN),
    )
    ledger.start(engine, previous)
    run = transform_and_validate(settings, Upstream(clean_rows()[:40]))
    problem, minimum = row_count_drop(
        run.report, ROW_COUNT, kept=40, previous=len(CLEAN), settings=settings
    )
    assert problem.title == (
        f"Nombre de lignes de fréquentation du territoire en forte baisse : 40 contre au moins "
        f"{minimum} attendues d'après le dernier run réussi"
    )
    assert run.report.success and run.quarantine == {}


# --- The column-existence checks generated from the transform's fields ---------------------


@pytest.mark.parametrize("level", [BLOCKING, WARNING])
def test_each_missing_upstream_column_is_reported_at_its_level(
    level: str, scratch: Settings
) -> None:
    """The columns of one level renamed in one file (one run per level keeps this quick)."""
    names = [n for n, (_, lv) in RENAMED.items() if lv == level]
    report = transform_and_validate(scratch, renamed(*names)).report
    for name in names:
        problem = failed(report, COLUMN_CHECKS[name])
        assert f"« {FIELDS[name].label} »" in problem.title
        assert f"[source.aliases] {name}" in problem.title
    assert report.success == (level == WARNING)
    # Anything else the renames trip is about the same fields (checks on them became
    # impossible, their published columns emptied), and never blocking.
    existence = {COLUMN_CHECKS[n].column for n in names}
    others = [p for p in report.problems if p.expectation != "expect_column_to_exist"]
    assert all(p.level != BLOCKING for p in others), others
    assert {p.column for p in others} <= {PUBLISHED_OF.get(n, n) for n in names}, others
    assert {p.column for p in report.problems if p not in others} == existence


@pytest.mark.parametrize(
    "name", [n for n, f in FIELDS.items() if f.level == source_fields.REQUIRED]
)
def test_a_renamed_required_column_fails_the_dataset_naming_it(
    name: str, scratch: Settings
) -> None:
    label = FIELDS[name].label
    upstream = Upstream(clean_rows(), tuple(f"{h}_v2" if h == label else h for h in HEADER))
    path = scratch.var_dir / "renamed.csv"
    path.write_bytes(upstream.content())
    with pytest.raises(SchemaError, match=f"colonne\\(s\\) absente\\(s\\).*{label}"):
        stages.transform_stage(scratch, NAME, path)


# --- Every check has a case ----------------------------------------------------------------


def test_every_check_of_the_suites_has_a_failing_case() -> None:
    covered = [c.check for c in CASES] + [ROW_COUNT, *COLUMN_CHECKS.values()]
    assert_every_check_covered(ENTRY, covered, __file__)
    required = {n for n, f in FIELDS.items() if f.level == source_fields.REQUIRED}
    assert set(RENAMED) == set(FIELDS) - required
    assert {c.level for c in COLUMN_CHECKS.values()} == {BLOCKING, WARNING}


def test_the_renamed_headers_are_new_spellings() -> None:
    for name, (spelling, _) in RENAMED.items():
        assert_new_spelling(spelling, HEADER, FIELDS)
        assert renamed(name).header.count(spelling) == 1
