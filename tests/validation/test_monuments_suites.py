"""Every check of the monuments-historiques suites, shown failing on a file a producer could send.

The checks are those of ``expectations/monuments-historiques.{source,published}.json``, the
structural ones generated from ``schemas/monuments-historiques.json`` and the column-existence
ones generated from the Mérimée transform's fields. Each case starts from a clean sample in the
real data.gouv.fr format (``tests/samples/merimee.py``), alters it the way a producer does
(a renamed column, truncated COG codes, French decimals, an empty title…) and drives it through
the real code path:

- most cases refresh the dataset against the local upstream (real HTTP), from a copy of a
  previous successful run, and check what the level does: ``row`` → the record is absent from
  the published CSV and kept in the quarantine with its reason; ``blocking`` → nothing is
  published, the previous files stay byte-identical; ``warning`` → published and listed in the
  outcome's warnings;
- the column-existence checks of the 22 non-required fields run the transform and validation
  stages only (two of them, one per level, also go through a whole refresh).

``test_every_check_of_the_suites_has_a_failing_case`` fails when a suite gains a check that no
case here shows failing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from patrimoine import stages
from patrimoine.catalog import DatasetEntry
from patrimoine.config import Settings
from patrimoine.pipeline import Outcome
from patrimoine.staging import quarantine, tables
from patrimoine.transforms import fields as source_fields
from patrimoine.transforms.merimee import FIELDS
from patrimoine.validation import BLOCKING, ROW, WARNING, ValidationReport
from tests.samples.merimee import MERIMEE_HEADER, sample_rows, write_merimee_csv
from tests.servers import UpstreamServer
from tests.transforms.geo import sample_communes
from tests.validation.support import (
    Check,
    assert_every_check_covered,
    assert_names,
    assert_new_spelling,
    catalog_entry,
    check,
    copies,
    copy_run,
    edit_rows,
    failed,
    published_files,
    refresh,
    resolved_settings,
    row_count_drop,
    run_report,
    setter,
    settings_for,
    suite_checks,
    territory_server,
)
from tests.validation.support import transform_and_validate as run_stages

NAME = "monuments-historiques"
MERIMEE_ID = "5af120e5b595087cfabcde81"
RESOURCE = (MERIMEE_ID, "merimee.csv")
SOURCE = f"{NAME}.source"
PUBLISHED = f"{NAME}.published"
ENTRY: DatasetEntry = catalog_entry(NAME)

COMMUNES = sample_communes()
CLEAN: tuple[dict[str, str], ...] = tuple(sample_rows(COMMUNES, 2, seed=5, traps=False))
"""42 notices, two in each of the 21 communes, points inside their real contours."""

COG = "COG_Insee_lors_de_la_protection"
COORDINATES = "coordonnees_au_format_WGS84"
HISTORY = "Date_et_typologie_de_la_protection"
TYPOLOGY = "Typologie_de_la_protection"
UPDATED = "Date_de_la_derniere_mise_a_jour"


# --- What the producer sends ---------------------------------------------------------------


@dataclass
class Upstream:
    """A Mérimée file as a producer publishes it, and the records a check must name."""

    rows: list[dict[str, str]]
    header: tuple[str, ...] = MERIMEE_HEADER
    offending: list[str] = field(default_factory=list)
    """Business keys the failed check names (Mérimée references, or ``ligne N``)."""

    def content(self) -> bytes:
        buffer = io.StringIO(newline="")
        write_merimee_csv(self.rows, buffer, self.header)
        return buffer.getvalue().encode("utf-8")


def clean_rows() -> list[dict[str, str]]:
    return copies(CLEAN)


def edited(indexes: Any, edit: Callable[[dict[str, str]], None]) -> Upstream:
    """The clean sample with ``edit`` applied to the rows at ``indexes``; those are offending."""
    rows, offending = edit_rows(CLEAN, indexes, edit, "Reference")
    return Upstream(rows, offending=offending)


def with_coordinates(count: int) -> list[int]:
    return [i for i, row in enumerate(CLEAN) if row[COORDINATES]][:count]


def french_decimals(row: dict[str, str]) -> None:
    """``45.77,3.08`` → ``45,77;3,08``: an export made with a French locale."""
    lat, lon = row[COORDINATES].split(",")
    row[COORDINATES] = f"{lat.replace('.', ',')};{lon.replace('.', ',')}"


def french_history(row: dict[str, str]) -> None:
    """``1926/03/12 : classé MH`` → ``12/03/1926 : classé MH``."""
    row[HISTORY] = re.sub(r"(\d{4})/(\d{2})/(\d{2})", r"\3/\2/\1", row[HISTORY])


def french_update_day(row: dict[str, str]) -> None:
    """``2026-11-19`` → ``19/11/2026``."""
    year, month, day = row[UPDATED].split("-")
    row[UPDATED] = f"{day}/{month}/{year}"


def truncated_code(row: dict[str, str]) -> None:
    """``63113`` → ``6311``: a code cut by a fixed-width export."""
    row[COG] = row[COG][:4]


def malformed_reference() -> Upstream:
    rows = clean_rows()
    rows[3]["Reference"] = rows[3]["Reference"][:-1] + "X"  # PA00091003 → PA0009100X
    return Upstream(rows, offending=[rows[3]["Reference"]])


def empty_reference() -> Upstream:
    rows = clean_rows()
    rows[5]["Reference"] = ""
    return Upstream(rows, offending=["ligne 7"])  # header on line 1, rows[0] on line 2


def coordinates_dropped() -> Upstream:
    """A quarter of the notices lose their point (plus those the sample leaves without)."""
    upstream = edited(range(0, len(CLEAN), 4), setter(**{COORDINATES: ""}))
    upstream.offending = [r["Reference"] for r in upstream.rows if not r[COORDINATES]]
    return upstream


def shrunk_export() -> Upstream:
    """A partial export: 15 of the 42 notices of the territory."""
    return Upstream(clean_rows()[:15])


# --- Checks and cases ----------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    check: Check
    upstream: Callable[[], Upstream]


CASES = [
    # row: quarantined
    Case(
        "reference-malformed",
        check(PUBLISHED, "column_values_to_match_regex", "reference", ROW),
        malformed_reference,
    ),
    Case(
        "titre-empty",
        check(PUBLISHED, "column_values_to_not_be_null", "titre", ROW),
        lambda: edited([4], setter(Titre_editorial_de_la_notice="")),
    ),
    Case(
        "reference-empty",
        check(SOURCE, "column_values_to_not_be_null", "reference", ROW),
        empty_reference,
    ),
    # warning: published and reported
    Case(
        "cog-truncated-6311",
        check(SOURCE, "column_values_to_match_regex", "cog", WARNING),
        lambda: edited([6, 30], truncated_code),
    ),
    Case(
        "coordinates-comma-decimals",
        check(SOURCE, "column_values_to_match_regex", "coordonnees", WARNING),
        lambda: edited(with_coordinates(3), french_decimals),
    ),
    Case(
        "coordinates-dropped-on-a-quarter",
        check(SOURCE, "column_values_to_not_be_null", "coordonnees", WARNING),
        coordinates_dropped,
    ),
    Case(
        "history-in-french-date-order",
        check(SOURCE, "column_values_to_match_regex", "historique_protection", WARNING),
        lambda: edited(range(1, len(CLEAN), 8), french_history),
    ),
    Case(
        "update-day-in-french-format",
        check(SOURCE, "column_values_to_match_regex", "date_maj", WARNING),
        lambda: edited([1, 2], french_update_day),
    ),
    Case(
        "protection-year-typo-2206",
        check(PUBLISHED, "column_values_to_be_between", "annee_premiere_protection", WARNING),
        lambda: edited([9], setter(**{HISTORY: "2206/03/12 : inscrit MH", TYPOLOGY: "inscrit MH"})),
    ),
    Case(
        "points-far-away-on-several-notices",
        check(PUBLISHED, "column_values_to_not_be_in_set", "coordonnees_douteuses", WARNING),
        lambda: edited(with_coordinates(42)[::7], setter(**{COORDINATES: "-21.1151,55.5364"})),
    ),
    Case(
        "protection-emptied-on-many-notices",
        check(PUBLISHED, "column_values_to_not_be_null", "statut_protection", WARNING),
        lambda: edited(range(0, len(CLEAN), 6), setter(**{HISTORY: "", TYPOLOGY: ""})),
    ),
]
ROW_COUNT = check(SOURCE, "table_row_count_to_be_between", None, WARNING)

RENAMED: dict[str, tuple[str, str]] = {
    # canonical field: (the producer's new spelling, level of the existence check)
    "titre": ("Titre_editorial", BLOCKING),
    "denomination": ("Denomination_edifice", BLOCKING),
    "domaine": ("Domaines", WARNING),
    "commune_editoriale": ("Nom_de_la_commune", BLOCKING),
    "commune_index": ("Commune_index", WARNING),
    "departement": ("Departement", WARNING),
    "adresse": ("Adresse_editoriale", WARNING),
    "lieudit": ("Lieu_dit", WARNING),
    "cadastre": ("References_cadastrales", WARNING),
    "siecles": ("Siecle_de_construction", WARNING),
    "siecles_secondaires": ("Siecle_secondaire_de_construction", WARNING),
    "datation": ("Datation", WARNING),
    "auteurs": ("Auteurs", WARNING),
    "statut_juridique": ("Statut_juridique_edifice", BLOCKING),
    "nature_protection": ("Nature_protection", WARNING),
    "typologie_protection": ("Typologie_protection", BLOCKING),
    "historique_protection": ("Historique_de_la_protection", BLOCKING),
    "precision_protection": ("Precisions_sur_la_protection", WARNING),
    "coordonnees": ("Coordonnees_WGS84", BLOCKING),
    "precision_localisation": ("Precision_localisation", WARNING),
    "date_creation": ("Date_creation", WARNING),
    "date_maj": ("Date_derniere_mise_a_jour", BLOCKING),
}
COLUMN_CHECKS = {
    name: check(SOURCE, "column_to_exist", name, level) for name, (_, level) in RENAMED.items()
}
REFRESHED_COLUMNS = ["coordonnees", "commune_index"]
"""Column-existence checks also driven through a whole refresh (one blocking, one warning)."""


def renamed(name: str) -> Upstream:
    """The clean sample with one upstream column renamed by the producer."""
    old, new = FIELDS[name].label, RENAMED[name][0]
    return Upstream(clean_rows(), tuple(new if h == old else h for h in MERIMEE_HEADER))


# --- Fixtures ------------------------------------------------------------------------------


@dataclass
class Baseline:
    """A successful first run on the clean sample, copied before each case."""

    root: Path
    settings: Settings
    outcome: Outcome
    report: ValidationReport
    files: dict[str, bytes]
    staged: list[str]


@dataclass
class Refreshed:
    settings: Settings
    outcome: Outcome
    report: ValidationReport
    files: dict[str, bytes]
    published: list[str]
    """References in the published CSV."""
    quarantined: dict[str, list[str]]
    """Key → reasons, as the run recorded them in the quarantine table."""


def published_references(files: dict[str, bytes]) -> list[str]:
    text = files[f"{NAME}.csv"].decode("utf-8")
    return [row["reference"] for row in csv.DictReader(io.StringIO(text))]


def staged_references(settings: Settings) -> list[str]:
    engine = stages.engine_for(settings)
    return [str(r[0]) for r in tables.read_rows(engine, ENTRY, tables.staged_name(ENTRY))]


@pytest.fixture(scope="module")
def server() -> Iterator[UpstreamServer]:
    with territory_server() as upstream:
        upstream.add_datagouv_dataset(
            MERIMEE_ID, [("csv", "merimee.csv", Upstream(clean_rows()).content())]
        )
        yield upstream


@pytest.fixture(scope="module")
def baseline(server: UpstreamServer, tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    root = tmp_path_factory.mktemp("baseline")
    settings = settings_for(root, server)
    outcome = refresh(settings, server, NAME, RESOURCE, Upstream(clean_rows()).content())
    assert outcome.status == "updated", outcome.error
    files = published_files(settings, NAME)
    return Baseline(
        root, settings, outcome, run_report(settings, outcome), files, staged_references(settings)
    )


def refresh_from_baseline(
    baseline: Baseline,
    server: UpstreamServer,
    root: Path,
    upstream: Upstream,
    *,
    accept_drop: bool = False,
    copy: bool = True,
) -> Refreshed:
    """Serve ``upstream`` and refresh, from a copy of the baseline's database and portal."""
    if copy:
        copy_run(baseline.root, baseline.settings.portal_dir, root)
    settings = settings_for(root, server)
    outcome = refresh(settings, server, NAME, RESOURCE, upstream.content(), accept_drop=accept_drop)
    files = published_files(settings, NAME)
    recorded = quarantine.of_run(stages.engine_for(settings), outcome.run_id)
    return Refreshed(
        settings,
        outcome,
        run_report(settings, outcome),
        files,
        published_references(files),
        {q["record_key"]: q["reasons"] for q in recorded},
    )


@pytest.fixture(scope="module")
def scratch(server: UpstreamServer, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return resolved_settings(tmp_path_factory.mktemp("scratch"), server)


def transform_and_validate(settings: Settings, upstream: Upstream) -> ValidationReport:
    return run_stages(settings, NAME, "merimee.csv", upstream.content()).report


# --- The clean sample ----------------------------------------------------------------------


def test_a_clean_sample_passes_every_check(baseline: Baseline) -> None:
    report = baseline.report
    assert report.problems == []
    assert report.evaluated == len(suite_checks(ENTRY))
    assert baseline.outcome.warnings == [] and baseline.outcome.quarantined == []
    assert baseline.staged == sorted(r["Reference"] for r in CLEAN)
    assert published_references(baseline.files) == baseline.staged


# --- Each business and structural check, through a whole refresh ---------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_check_fails_on_a_producer_file(
    case: Case, baseline: Baseline, server: UpstreamServer, tmp_path: Path
) -> None:
    upstream = case.upstream()
    run = refresh_from_baseline(baseline, server, tmp_path, upstream)
    problem = failed(run.report, case.check)
    assert run.report.problems == [problem], "the alteration should trip this check only"
    assert_names(problem, upstream.offending)

    if case.check.level == ROW:
        assert run.outcome.status == "updated", run.outcome.error
        assert run.outcome.quarantined == [problem.summary]
        assert run.quarantined == {key: [problem.title] for key in upstream.offending}
        assert not set(upstream.offending) & set(run.published)
        # The rest is published: every other notice of the sample is there.
        kept = {r["Reference"] for r in upstream.rows} - set(upstream.offending) - {""}
        assert set(run.published) == kept
        assert problem.keys == upstream.offending
    else:
        assert case.check.level == WARNING
        assert run.outcome.status in ("updated", "unchanged"), run.outcome.error
        assert run.outcome.warnings == [problem.summary]
        assert run.quarantined == {} and problem.keys == []
        assert set(upstream.offending) <= set(run.published)
        assert set(run.published) == {r["Reference"] for r in upstream.rows}


def test_the_row_count_check_fails_on_a_shrunk_export(
    baseline: Baseline, server: UpstreamServer, tmp_path: Path
) -> None:
    upstream = shrunk_export()
    run = refresh_from_baseline(baseline, server, tmp_path, upstream)
    problem, minimum = row_count_drop(
        run.report, ROW_COUNT, kept=15, previous=len(CLEAN), settings=baseline.settings
    )
    assert problem.title == (
        f"Nombre de notices du territoire en forte baisse : 15 contre au moins {minimum} "
        "attendues d'après le dernier run réussi"
    )
    # A warning does not stop the run: validation passed, and it is the mass-removal guard
    # that holds the publication until someone confirms.
    assert run.outcome.warnings == [problem.summary]
    assert (run.outcome.status, run.outcome.stage) == ("held", "stage")
    assert run.files == baseline.files
    # Confirmed, the shrunk table is published, the warning still listed.
    again = refresh_from_baseline(
        baseline, server, tmp_path, upstream, accept_drop=True, copy=False
    )
    assert again.outcome.status == "updated", again.outcome.error
    assert again.outcome.warnings == [problem.summary]
    assert again.published == sorted(r["Reference"] for r in upstream.rows)


# --- The column-existence checks generated from the transform's fields ---------------------


@pytest.mark.parametrize("name", list(RENAMED))
def test_each_missing_upstream_column_is_reported_at_its_level(
    name: str, scratch: Settings
) -> None:
    expected = COLUMN_CHECKS[name]
    report = transform_and_validate(scratch, renamed(name))
    problem = failed(report, expected)
    assert f"« {FIELDS[name].label} »" in problem.title
    assert f"[source.aliases] {name}" in problem.title
    assert report.success == (expected.level == WARNING)
    # Anything else the rename trips is about the same field (checks on it became impossible).
    others = [p for p in report.problems if p is not problem]
    assert all(p.column in (name, None) or p.level != BLOCKING for p in others), others
    assert [p for p in others if p.suite == SOURCE and p.column != name] == []


@pytest.mark.parametrize("name", REFRESHED_COLUMNS)
def test_a_missing_upstream_column_does_what_its_level_says(
    name: str, baseline: Baseline, server: UpstreamServer, tmp_path: Path
) -> None:
    expected = COLUMN_CHECKS[name]
    run = refresh_from_baseline(baseline, server, tmp_path, renamed(name))
    problem = failed(run.report, expected)
    if expected.level == BLOCKING:
        assert (run.outcome.status, run.outcome.stage) == ("failed", "validate")
        assert problem.title in (run.outcome.error or "")
        assert run.files == baseline.files  # the last good version stays online, byte for byte
        assert staged_references(run.settings) == baseline.staged
    else:
        assert run.outcome.status in ("updated", "unchanged"), run.outcome.error
        assert run.outcome.warnings == [problem.summary]
        assert run.published == baseline.staged


# --- Every check has a case ----------------------------------------------------------------


def test_every_check_of_the_suites_has_a_failing_case() -> None:
    covered = [c.check for c in CASES] + [ROW_COUNT, *COLUMN_CHECKS.values()]
    assert_every_check_covered(ENTRY, covered, __file__)
    required = {n for n, f in FIELDS.items() if f.level == source_fields.REQUIRED}
    assert set(RENAMED) == set(FIELDS) - required
    assert {COLUMN_CHECKS[n].level for n in REFRESHED_COLUMNS} == {BLOCKING, WARNING}


def test_the_renamed_headers_are_new_spellings() -> None:
    for name, (spelling, _) in RENAMED.items():
        assert_new_spelling(spelling, MERIMEE_HEADER, FIELDS)
        assert renamed(name).header.count(spelling) == 1
