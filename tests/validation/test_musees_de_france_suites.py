"""Every check of the musees-de-france suites, shown failing on a file a producer could send.

The checks are those of ``expectations/musees-de-france.{source,published}.json``, the
structural ones generated from ``schemas/musees-de-france.json`` and the column-existence
ones generated from the Muséofile transform's fields. Each case starts from a clean sample
in the real data.gouv.fr format (``tests/samples/museofile.py``: 42 museums, two in each of
the 21 communes, points inside their real contours), alters it the way a producer does (an
emptied identifier, French decimals, a museum geocoded in Lyon…) and drives it through the
real stages (transform then validate, against the territory resolved from the local
geo.api), checking the check's identity, level and the records it names (what a ``row``
level does to the publication is shown on the snapshot, in ``tests/samples/
test_museofile_samples.py``). Two cases go through a whole refresh from a copy of a first
successful run, for what only the pipeline shows: the row count against the last run, and a
blocking column loss leaving the published files untouched. The territory check is shown
failing when a commune leaves the EPCI between the transform and the validation.

``test_every_check_of_the_suites_has_a_failing_case`` fails when a suite gains a check that
no case here shows failing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from patrimoine import stages
from patrimoine.catalog import DatasetEntry
from patrimoine.config import Settings
from patrimoine.errors import SchemaError
from patrimoine.pipeline import Outcome
from patrimoine.staging import tables
from patrimoine.transforms import fields as source_fields
from patrimoine.transforms.museofile import FIELDS
from patrimoine.validation import BLOCKING, ROW, WARNING, ValidationReport
from tests.samples.museofile import DATASET_ID, MUSEOFILE_HEADER, museofile_csv, sample_rows
from tests.servers import CLERMONT_EPCI_SIREN, UpstreamServer, clermont_communes
from tests.transforms.geo import sample_communes
from tests.validation.support import (
    Check,
    Validated,
    add_territory,
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
)
from tests.validation.support import transform_and_validate as run_stages

NAME = "musees-de-france"
SOURCE = f"{NAME}.source"
PUBLISHED = f"{NAME}.published"
FILENAME = "musees-de-france-base-museofile.csv"
RESOURCE = (DATASET_ID, FILENAME)
ENTRY: DatasetEntry = catalog_entry(NAME)

COMMUNES = sample_communes()
CLEAN: tuple[dict[str, str], ...] = tuple(sample_rows(COMMUNES, 2, seed=5, traps=False))
"""42 museums, two in each of the 21 communes, every field well formed."""

LYON = "45.764043, 4.835659"
NORTH = "46.566000, 3.087000"
"""90 km due north of Clermont-Ferrand (Allier): inside the territory's longitudes."""
ROYAT = "63308"


# --- What the producer sends -----------------------------------------------------------------


@dataclass
class Upstream:
    """A Muséofile file as the producer publishes it, and the records a check must name."""

    rows: list[dict[str, str]]
    header: tuple[str, ...] = MUSEOFILE_HEADER
    offending: list[str] = field(default_factory=list)
    """Business keys the failed checks name (identifiers, or ``ligne N``)."""

    def content(self) -> bytes:
        return museofile_csv(self.rows, self.header)


def clean_rows() -> list[dict[str, str]]:
    return copies(CLEAN)


def edited(indexes: Any, edit: Callable[[dict[str, str]], None]) -> Upstream:
    """The clean sample with ``edit`` applied to the rows at ``indexes``; those are offending."""
    rows, offending = edit_rows(CLEAN, indexes, edit, "Identifiant")
    return Upstream(rows, offending=offending)


def french_decimals(row: dict[str, str]) -> None:
    """``45.77, 3.08`` → ``45,77;3,08``: an export made with a French locale."""
    lat, lon = row["Coordonnees"].split(", ")
    row["Coordonnees"] = f"{lat.replace('.', ',')};{lon.replace('.', ',')}"


def spaced_postcode(row: dict[str, str]) -> None:
    row["Code_Postal"] = f"{row['Code_Postal'][:2]} {row['Code_Postal'][2:]}"


def empty_identifier() -> Upstream:
    rows = clean_rows()
    rows[5]["Identifiant"] = ""
    return Upstream(rows, offending=["ligne 7"])  # header on line 1, rows[0] on line 2


def coordinates_dropped() -> Upstream:
    """A quarter of the museums lose their point (they stay published, by town name)."""
    return edited(range(0, len(CLEAN), 4), setter(Coordonnees=""))


def same_museum_twice() -> Upstream:
    """The museum re-registered under a second identifier, its old fiche still online."""
    rows = clean_rows()
    first, second = rows[0], rows[1]  # the two museums of the first commune
    assert first["Ville"] == second["Ville"]
    second["Nom_officiel"] = first["Nom_officiel"]
    return Upstream(rows, offending=[first["Identifiant"], second["Identifiant"]])


def shrunk_export() -> Upstream:
    """A partial export: 15 of the 42 museums of the territory."""
    return Upstream(clean_rows()[:15])


# --- Checks and cases ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    checks: tuple[Check, ...]
    """Every check the alteration trips (all naming the same records)."""
    upstream: Callable[[], Upstream]


ID_PATTERN = check(PUBLISHED, "column_values_to_match_regex", "identifiant_museofile", ROW)
NAME_REQUIRED = check(PUBLISHED, "column_values_to_not_be_null", "nom_officiel", ROW)
LONGITUDE = check(PUBLISHED, "column_values_to_be_between", "longitude", WARNING)
SUSPECT = check(PUBLISHED, "column_values_to_not_be_in_set", "coordonnees_douteuses", WARNING)
CASES = [
    # row: quarantined
    Case(
        "identifier-empty",
        (check(SOURCE, "column_values_to_not_be_null", "identifiant", ROW),),
        empty_identifier,
    ),
    Case(
        "identifier-three-digits",
        (ID_PATTERN,),
        lambda: edited([3], setter(Identifiant="M912")),
    ),
    Case("name-empty", (NAME_REQUIRED,), lambda: edited([4], setter(Nom_officiel=""))),
    # warning: published and reported
    Case(
        "coordinates-dropped-on-a-quarter",
        (check(SOURCE, "column_values_to_not_be_null", "coordonnees", WARNING),),
        coordinates_dropped,
    ),
    Case(
        "coordinates-comma-decimals",
        (check(SOURCE, "column_values_to_match_regex", "coordonnees", WARNING),),
        lambda: edited([1, 2, 30], french_decimals),
    ),
    Case(
        "postcode-with-a-space",
        (check(SOURCE, "column_values_to_match_regex", "code_postal", WARNING),),
        lambda: edited([6, 7], spaced_postcode),
    ),
    Case(
        "url-free-text",
        (check(SOURCE, "column_values_to_match_regex", "url", WARNING),),
        lambda: edited([8], setter(URL="voir le site de la mairie")),
    ),
    Case(
        "merimee-reference-truncated",
        (check(SOURCE, "column_values_to_match_regex", "refmer", WARNING),),
        lambda: edited([9, 12], setter(Refmer="PA0009190;PA00091902")),
    ),
    Case(
        "update-day-in-french-format",
        (check(SOURCE, "column_values_to_match_regex", "date_maj", WARNING),),
        lambda: edited([10], setter(Date_de_mise_a_jour="12/03/2025")),
    ),
    Case(
        "geocoded-90-km-north",
        (check(PUBLISHED, "column_values_to_be_between", "latitude", WARNING),),
        lambda: edited([11], setter(Coordonnees=NORTH)),
    ),
    Case(
        "same-museum-under-two-identifiers",
        (check(PUBLISHED, "compound_columns_to_be_unique", None, WARNING),),
        same_museum_twice,
    ),
    Case(
        "geocoded-in-lyon-on-several-museums",
        (SUSPECT, LONGITUDE),
        lambda: edited(range(0, len(CLEAN), 8), setter(Coordonnees=LYON)),
    ),
]
ROW_COUNT = check(SOURCE, "table_row_count_to_be_between", None, WARNING)
TERRITORY = check(PUBLISHED, "column_values_to_be_in_set", "code_insee", BLOCKING)

RENAMED: dict[str, tuple[str, str]] = {
    # canonical field: (the producer's new spelling, level of the existence check)
    "nom": ("Nom_du_musee", BLOCKING),
    "adresse": ("Adresse_l1", WARNING),
    "lieu": ("Adresse_l2", WARNING),
    "code_postal": ("CP", WARNING),
    "departement": ("Nom_departement", WARNING),
    "url": ("Lien_site", WARNING),
    "telephone": ("Tel", WARNING),
    "categorie": ("Categorie_musee", WARNING),
    "domaine_thematique": ("Domaines", WARNING),
    "protection_batiment": ("Protection_du_batiment", WARNING),
    "refmer": ("References_Merimee", WARNING),
    "date_maj": ("Date_maj", WARNING),
    "coordonnees": ("Coordonnees_WGS84", BLOCKING),
}
COLUMN_CHECKS = {
    name: check(SOURCE, "column_to_exist", name, level) for name, (_, level) in RENAMED.items()
}
REFRESHED_COLUMN = "coordonnees"
"""The blocking column-existence check driven through a whole refresh (the other, ``nom``,
at the stage level; the warning ones at once, at the stage level)."""


def renamed(*names: str) -> Upstream:
    """The clean sample with upstream columns renamed by the producer."""
    spelling = {FIELDS[name].label: RENAMED[name][0] for name in names}
    return Upstream(clean_rows(), tuple(spelling.get(h, h) for h in MUSEOFILE_HEADER))


# --- Fixtures ---------------------------------------------------------------------------------


@dataclass
class Baseline:
    """A successful first run on the clean sample."""

    root: Path
    settings: Settings
    outcome: Outcome
    report: ValidationReport
    files: dict[str, bytes]


def serve(server: UpstreamServer, rows: list[dict[str, Any]] | None = None) -> None:
    add_territory(server)
    server.add_datagouv_dataset(DATASET_ID, [("csv", FILENAME, museofile_csv(rows or CLEAN))])


@pytest.fixture(scope="module")
def server() -> Iterator[UpstreamServer]:
    with UpstreamServer() as upstream:
        serve(upstream)
        yield upstream
    assert not upstream.errors, upstream.errors


@pytest.fixture(scope="module")
def baseline(server: UpstreamServer, tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    root = tmp_path_factory.mktemp("baseline")
    settings = settings_for(root, server)
    outcome = refresh(settings, server, NAME, RESOURCE, Upstream(clean_rows()).content())
    assert outcome.status == "updated", outcome.error
    return Baseline(
        root, settings, outcome, run_report(settings, outcome), published_files(settings, NAME)
    )


def copy_of(baseline: Baseline, root: Path, server: UpstreamServer) -> Settings:
    """Settings on a copy of the baseline's database and portal."""
    copy_run(baseline.root, baseline.settings.portal_dir, root)
    return settings_for(root, server)


@pytest.fixture(scope="module")
def scratch(server: UpstreamServer, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return resolved_settings(tmp_path_factory.mktemp("scratch"), server)


def transform_and_validate(settings: Settings, upstream: Upstream) -> Validated:
    return run_stages(settings, NAME, "museofile.csv", upstream.content())


# --- The clean sample -------------------------------------------------------------------------


def test_a_clean_sample_passes_every_check(baseline: Baseline) -> None:
    assert baseline.report.problems == []
    assert baseline.report.evaluated == len(suite_checks(ENTRY))
    assert baseline.outcome.warnings == [] and baseline.outcome.quarantined == []
    assert baseline.outcome.rows_published == len(CLEAN)
    assert f"{NAME}.csv" in baseline.files and f"{NAME}.geojson" in baseline.files


# --- Each business and structural check, at the stage level -----------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_check_fails_on_a_producer_file(case: Case, scratch: Settings) -> None:
    upstream = case.upstream()
    run = transform_and_validate(scratch, upstream)
    problems = [failed(run.report, expected) for expected in case.checks]
    assert len(run.report.problems) == len(problems), "the alteration should trip these only"
    for problem in problems:
        assert_names(problem, upstream.offending)
    levels = {c.level for c in case.checks}
    if ROW in levels:
        assert levels == {ROW}
        (problem,) = problems
        assert run.report.success
        assert run.quarantine == {key: [problem.title] for key in upstream.offending}
        assert problem.keys == upstream.offending
    else:
        assert levels == {WARNING}
        assert run.report.success and run.quarantine == {}
        assert all(p.keys == [] for p in problems)


def test_a_museum_geocoded_in_lyon_stays_in_its_commune_flagged(scratch: Settings) -> None:
    """The longitude check names it; the candidate keeps it in its town, off the map."""
    upstream = edited([13], setter(Coordonnees=LYON))
    run = transform_and_validate(scratch, upstream)
    problem = failed(run.report, LONGITUDE)
    assert run.report.problems == [problem] and run.report.success
    assert_names(problem, upstream.offending)
    assert problem.sample_values == [4.835659]
    entry = stages.entry_for(scratch, NAME)
    rows = tables.read_rows(stages.engine_for(scratch), entry, tables.candidate_name(entry))
    by_id = {r[0]: dict(zip(entry.column_names, r, strict=True)) for r in rows}
    row = by_id[upstream.offending[0]]
    assert row["code_insee"] == COMMUNES[13 // 2].code
    assert row["coordonnees_douteuses"] is True and row["longitude"] == 4.835659


# --- Through a whole refresh ------------------------------------------------------------------


def test_the_row_count_check_fails_on_a_shrunk_export(
    baseline: Baseline, server: UpstreamServer, tmp_path: Path
) -> None:
    settings = copy_of(baseline, tmp_path, server)
    outcome = refresh(settings, server, NAME, RESOURCE, shrunk_export().content())
    report = run_report(settings, outcome)
    problem, minimum = row_count_drop(
        report, ROW_COUNT, kept=15, previous=len(CLEAN), settings=settings
    )
    assert problem.title == (
        f"Nombre de musées du territoire en forte baisse : 15 contre au moins {minimum} "
        "attendus d'après le dernier run réussi"
    )
    # A warning: validation passes, and the mass-removal guard holds the publication.
    assert outcome.warnings == [problem.summary]
    assert (outcome.status, outcome.stage) == ("held", "stage")
    assert published_files(settings, NAME) == baseline.files


def test_a_blocking_column_loss_keeps_the_last_good_version(
    baseline: Baseline, server: UpstreamServer, tmp_path: Path
) -> None:
    settings = copy_of(baseline, tmp_path, server)
    outcome = refresh(settings, server, NAME, RESOURCE, renamed(REFRESHED_COLUMN).content())
    problem = failed(run_report(settings, outcome), COLUMN_CHECKS[REFRESHED_COLUMN])
    assert (outcome.status, outcome.stage) == ("failed", "validate")
    assert problem.title in (outcome.error or "")
    assert "« Coordonnees »" in problem.title
    assert published_files(settings, NAME) == baseline.files  # byte for byte


def test_the_territory_check_fails_when_a_commune_leaves_mid_run(tmp_path: Path) -> None:
    """Royat leaves the EPCI between the transform and the validation (the territory is
    resolved again, by another run sharing the database): its museums are not the
    territory's any more, and the candidate is held rather than published."""
    with UpstreamServer() as upstream:
        serve(upstream)
        settings = settings_for(tmp_path, upstream)
        stages.resolve_territory_stage(settings)
        path = tmp_path / "museofile.csv"
        path.write_bytes(museofile_csv(CLEAN))
        output = stages.transform_stage(settings, NAME, path)
        smaller = [c for c in clermont_communes() if c["code"] != ROYAT]
        upstream.add_epci(CLERMONT_EPCI_SIREN, smaller, nom="Clermont Auvergne Métropole")
        assert len(stages.resolve_territory_stage(settings).communes) == 20
        validation = stages.validate_stage(settings, NAME, output)
    assert not upstream.errors, upstream.errors
    report = ValidationReport.from_dict(validation.report)
    problem = failed(report, TERRITORY)
    assert report.problems == [problem] and not report.success
    royat = [r["Identifiant"] for r in CLEAN if r["Ville"] == "Royat"]
    assert_names(problem, royat)
    assert set(problem.sample_values) == {ROYAT}


# --- The column-existence checks generated from the transform's fields ------------------------


def test_missing_secondary_columns_are_warnings(scratch: Settings) -> None:
    """The producer drops every secondary column at once: one warning each, naming it and
    the alias to add; the museums are still published."""
    warned = [name for name, (_, level) in RENAMED.items() if level == WARNING]
    report = transform_and_validate(scratch, renamed(*warned)).report
    problems = [failed(report, COLUMN_CHECKS[name]) for name in warned]
    for name, problem in zip(warned, problems, strict=True):
        assert f"« {FIELDS[name].label} »" in problem.title
        assert f"[source.aliases] {name}" in problem.title
    assert report.success
    # Anything else is a check on one of those columns that became impossible.
    others = [p for p in report.problems if p not in problems]
    assert all(p.suite == SOURCE and p.column in warned for p in others), others


def test_a_missing_blocking_column_holds_the_dataset(scratch: Settings) -> None:
    report = transform_and_validate(scratch, renamed("nom")).report
    problem = failed(report, COLUMN_CHECKS["nom"])
    assert "« Nom_officiel »" in problem.title and "[source.aliases] nom" in problem.title
    assert not report.success
    # The published names are all empty, hence the row check too: about the same field.
    others = [p for p in report.problems if p is not problem]
    assert [(p.suite, p.column) for p in others] == [(PUBLISHED, "nom_officiel")]


@pytest.mark.parametrize("column", ["Identifiant", "Ville"])
def test_a_missing_required_column_fails_the_transform_naming_it(
    column: str, scratch: Settings
) -> None:
    header = tuple(f"{c}_v2" if c == column else c for c in MUSEOFILE_HEADER)
    with pytest.raises(SchemaError) as raised:
        transform_and_validate(scratch, Upstream(clean_rows(), header))
    assert raised.value.cause == f"colonne(s) absente(s) du fichier source : {column}"


# --- Every check has a case -------------------------------------------------------------------


def test_every_check_of_the_suites_has_a_failing_case() -> None:
    covered = {c for case in CASES for c in case.checks} | {ROW_COUNT, TERRITORY}
    covered |= set(COLUMN_CHECKS.values())
    assert_every_check_covered(ENTRY, covered, __file__)
    required = {n for n, f in FIELDS.items() if f.level == source_fields.REQUIRED}
    assert required == {"identifiant", "ville"}
    assert set(RENAMED) == set(FIELDS) - required
    assert COLUMN_CHECKS[REFRESHED_COLUMN].level == BLOCKING


def test_the_renamed_headers_are_new_spellings() -> None:
    for name, (spelling, _) in RENAMED.items():
        assert_new_spelling(spelling, MUSEOFILE_HEADER, FIELDS)
        assert renamed(name).header.count(spelling) == 1
