"""Every check of the ACR suites, shown failing on a file a producer could send.

The checks are those of ``expectations/architecture-contemporaine-remarquable.{source,
published}.json``, the structural ones generated from the TableSchema and the
column-existence ones generated from the ACR transform's fields. Each case starts from a
clean sample in the real data.gouv.fr format (``tests/samples/acr.py``), alters it the way a
producer does (a renamed column, truncated INSEE codes, French decimals, an empty title…)
and drives it through the transform and validation stages, after one successful refresh
against the local upstream (real HTTP) so the row count has a last run to compare with.
What each level then does downstream (quarantine, hold, publish) is the pipeline's, tested
with Mérimée's suites; here the stage outputs say it: ``row`` → the records are in the
validation's quarantine with the check's title, ``warning`` → reported, nothing left out.

One more refresh shows a renamed *required* column failing this dataset alone, with a
French message naming the column, while monuments historiques publishes in the same run.

``test_every_check_of_the_suites_has_a_failing_case`` fails when a suite gains a check that
no case here shows failing.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from patrimoine import stages
from patrimoine.catalog import DatasetEntry
from patrimoine.config import Settings
from patrimoine.pipeline import refresh_many
from patrimoine.staging import tables
from patrimoine.transforms import fields as source_fields
from patrimoine.transforms.acr import FIELDS
from patrimoine.validation import BLOCKING, ROW, WARNING, ValidationReport
from tests.samples import merimee
from tests.samples.acr import (
    ACR_HEADER,
    DATASET_ID,
    ELSEWHERE,
    FILENAME,
    csv_bytes,
    elsewhere_reference,
    sample_rows,
)
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
    edit_rows,
    failed,
    identity,
    refresh,
    row_count_drop,
    run_report,
    setter,
    settings_for,
    suite_checks,
    territory_server,
)
from tests.validation.support import transform_and_validate as run_stages

NAME = "architecture-contemporaine-remarquable"
SOURCE = f"{NAME}.source"
PUBLISHED = f"{NAME}.published"
ENTRY: DatasetEntry = catalog_entry(NAME)
MERIMEE_ID = "5af120e5b595087cfabcde81"

COMMUNES = sample_communes()
CLEAN: tuple[dict[str, str], ...] = tuple(
    sample_rows(COMMUNES, regular=42, seed=5, traps=False, elsewhere=False)
)
"""42 labelled notices, two in each of the 21 communes, points inside their real contours."""

REFERENCE = "Reference_de_la_notice"
COORDINATES = "Coordonnees"
LABEL = "Date_de_Label"


# --- What the producer sends ---------------------------------------------------------------


@dataclass
class Upstream:
    """An ACR file as a producer publishes it, and the records a check must name."""

    rows: list[dict[str, str]]
    renamed: dict[str, str] = field(default_factory=dict)
    """Upstream column → the producer's new spelling (values unchanged)."""
    offending: list[str] = field(default_factory=list)
    """Business keys the failed check names (references, or ``ligne N``)."""

    def content(self) -> bytes:
        data = csv_bytes(self.rows)
        header, rest = data.split(b"\n", 1)
        names = [self.renamed.get(h, h) for h in header.decode().split("|")]
        return "|".join(names).encode() + b"\n" + rest


def clean_rows() -> list[dict[str, str]]:
    return copies(CLEAN)


def edited(indexes: Any, edit: Callable[[dict[str, str]], None]) -> Upstream:
    """The clean sample with ``edit`` applied to the rows at ``indexes``; those are offending."""
    rows, offending = edit_rows(CLEAN, indexes, edit, REFERENCE)
    return Upstream(rows, offending=offending)


def with_coordinates(count: int) -> list[int]:
    return [i for i, row in enumerate(CLEAN) if row[COORDINATES]][:count]


def french_decimals(row: dict[str, str]) -> None:
    """``45.77,3.08`` → ``45,77;3,08``: an export made with a French locale."""
    lat, lon = row[COORDINATES].split(",")
    row[COORDINATES] = f"{lat.replace('.', ',')};{lon.replace('.', ',')}"


def truncated_code(row: dict[str, str]) -> None:
    """``63113`` → ``6311``: a code cut by a fixed-width export."""
    row["Insee"] = row["Insee"][:4]


def lower_case_reference() -> Upstream:
    """References re-typed in lower case with a trailing space: cleaning would hide it."""
    rows = clean_rows()
    offending = []
    for i in (3, 17):
        offending.append(rows[i][REFERENCE])
        rows[i][REFERENCE] = rows[i][REFERENCE].lower() + " "
    return Upstream(rows, offending=offending)


def malformed_reference() -> Upstream:
    rows = clean_rows()
    rows[3][REFERENCE] = rows[3][REFERENCE][:-1] + "X"  # ACR0091003 → ACR009100X
    return Upstream(rows, offending=[rows[3][REFERENCE]])


def empty_reference() -> Upstream:
    rows = clean_rows()
    rows[5][REFERENCE] = ""
    return Upstream(rows, offending=["ligne 7"])  # header on line 1, rows[0] on line 2


def coordinates_dropped() -> Upstream:
    """A third of the notices lose their point (plus those the sample leaves without)."""
    upstream = edited(range(0, len(CLEAN), 3), setter(**{COORDINATES: ""}))
    upstream.offending = [r[REFERENCE] for r in upstream.rows if not r[COORDINATES]]
    return upstream


def shrunk_export() -> Upstream:
    """A partial export: 15 of the 42 notices of the territory."""
    return Upstream(clean_rows()[:15])


def label_years_out_of_bounds() -> Upstream:
    """A typo in the future (2206 for 2006) and a year before the first labels (1998)."""
    rows = clean_rows()
    rows[9][LABEL] = "2206"
    rows[11][LABEL] = "ancien Label XXe 1998"
    return Upstream(rows, offending=[rows[9][REFERENCE], rows[11][REFERENCE]])


def national_export() -> Upstream:
    """The clean sample and three labelled notices elsewhere in the Puy-de-Dôme."""
    others = sample_rows(COMMUNES, regular=0, seed=9, traps=False)[:3]
    assert [r[REFERENCE] for r in others] == [elsewhere_reference(i) for i in range(3)]
    assert {r["Insee"] for r in others} == {c.code for c in ELSEWHERE[:3]}
    return Upstream(clean_rows() + others, offending=[r[REFERENCE] for r in others])


# --- Checks and cases ----------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    check: Check
    upstream: Callable[[], Upstream]
    also: tuple[Check, ...] = ()
    """Other checks the same alteration trips, by design (their records are the same)."""
    national: bool = False
    """Run the transform without the territory filter (a national export)."""


LATITUDE = check(PUBLISHED, "column_values_to_be_between", "latitude", WARNING)
LONGITUDE = check(PUBLISHED, "column_values_to_be_between", "longitude", WARNING)
REFERENCE_WRITTEN = check(SOURCE, "column_values_to_match_regex", "reference", WARNING)
CASES = [
    # row: quarantined
    Case(
        "reference-empty",
        check(SOURCE, "column_values_to_not_be_null", "reference", ROW),
        empty_reference,
    ),
    Case(
        "reference-malformed",
        check(PUBLISHED, "column_values_to_match_regex", "reference", ROW),
        malformed_reference,
        also=(REFERENCE_WRITTEN,),
    ),
    Case(
        "titre-empty",
        check(PUBLISHED, "column_values_to_not_be_null", "titre", ROW),
        lambda: edited([4], setter(Titre_courant="")),
    ),
    Case(
        "commune-outside-the-territory",
        check(PUBLISHED, "column_values_to_be_in_set", "code_insee", ROW),
        national_export,
        also=(LATITUDE, LONGITUDE),  # Riom, Issoire, Thiers lie outside its extent too
        national=True,
    ),
    # warning: published and reported
    Case("reference-lower-case", REFERENCE_WRITTEN, lower_case_reference),
    Case(
        "insee-truncated-6311",
        check(SOURCE, "column_values_to_match_regex", "insee", WARNING),
        lambda: edited([6, 30], truncated_code),
    ),
    Case(
        "coordinates-comma-decimals",
        check(SOURCE, "column_values_to_match_regex", "coordonnees", WARNING),
        lambda: edited(with_coordinates(3), french_decimals),
    ),
    Case(
        "coordinates-dropped-on-a-third",
        check(SOURCE, "column_values_to_not_be_null", "coordonnees", WARNING),
        coordinates_dropped,
    ),
    Case(
        "label-year-typo-2206-and-1998",
        check(PUBLISHED, "column_values_to_be_between", "annee_label", WARNING),
        label_years_out_of_bounds,
    ),
    Case(
        "points-far-away-on-several-notices",
        check(PUBLISHED, "column_values_to_not_be_in_set", "coordonnees_douteuses", WARNING),
        lambda: edited(with_coordinates(42)[::7], setter(**{COORDINATES: "-21.1151,55.5364"})),
        also=(LATITUDE, LONGITUDE),
    ),
    Case(
        "geocoded-90-km-north",
        LATITUDE,
        lambda: edited(with_coordinates(42)[:1], setter(**{COORDINATES: "46.566,3.087"})),
    ),
    Case(
        "geocoded-in-lyon",
        LONGITUDE,
        lambda: edited(with_coordinates(42)[1:2], setter(**{COORDINATES: "45.764043,4.835659"})),
    ),
]
ROW_COUNT = check(SOURCE, "table_row_count_to_be_between", None, WARNING)

RENAMED: dict[str, tuple[str, str]] = {
    # canonical field: (the producer's new spelling, level of the existence check)
    "titre": ("Titre", BLOCKING),
    "denominations": ("Denomination_de_l_edifice", BLOCKING),
    "commune": ("Nom_commune", WARNING),
    "commune_editoriale": ("Commune_editoriale", WARNING),
    "departement": ("Code_departement", WARNING),
    "departement_lettres": ("Departement", WARNING),
    "adresse": ("Adresse", WARNING),
    "coordonnees": ("Coordonnees_WGS84", BLOCKING),
    "auteurs": ("Auteurs", BLOCKING),
    "datation": ("Datation", WARNING),
    "siecles": ("Siecle_de_construction", WARNING),
    "date_label": ("Date_du_label", BLOCKING),
    "statut_juridique": ("Statut_juridique", WARNING),
    "ancienne_reference": ("Ancienne_reference", WARNING),
}
COLUMN_CHECKS = {
    name: check(SOURCE, "column_to_exist", name, level) for name, (_, level) in RENAMED.items()
}


RENAME_GROUPS: list[tuple[str, ...]] = [
    *((name,) for name, (_, level) in RENAMED.items() if level == BLOCKING),
    tuple(name for name, (_, level) in RENAMED.items() if level == WARNING),
]
"""Each blocking column renamed alone; the secondary ones all at once (a new export model),
which keeps this file fast while every existence check still fails on its own column."""


def renamed(*names: str) -> Upstream:
    """The clean sample with upstream columns renamed by the producer."""
    return Upstream(clean_rows(), renamed={FIELDS[n].label: RENAMED[n][0] for n in names})


# --- Fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[UpstreamServer]:
    with territory_server() as upstream:
        upstream.add_datagouv_dataset(
            DATASET_ID, [("csv", FILENAME, Upstream(clean_rows()).content())]
        )
        buffer = io.StringIO(newline="")
        merimee.write_merimee_csv(merimee.sample_rows(COMMUNES, 1, traps=False), buffer)
        upstream.add_datagouv_dataset(
            MERIMEE_ID, [("csv", "merimee.csv", buffer.getvalue().encode("utf-8"))]
        )
        yield upstream


@dataclass
class Baseline:
    settings: Settings
    report: ValidationReport


@pytest.fixture(scope="module")
def baseline(server: UpstreamServer, tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    """One successful refresh of the clean sample: the run the row count compares with."""
    settings = settings_for(tmp_path_factory.mktemp("baseline"), server)
    outcome = refresh(
        settings, server, NAME, (DATASET_ID, FILENAME), Upstream(clean_rows()).content()
    )
    assert outcome.status == "updated", outcome.error
    return Baseline(settings, run_report(settings, outcome))


@dataclass
class Candidate(Validated):
    published: list[str] = field(default_factory=list)
    """References of the candidate table."""


def transform_and_validate(
    settings: Settings, upstream: Upstream, *, national: bool = False
) -> Candidate:
    run = run_stages(settings, NAME, "acr.csv", upstream.content(), territory_filter=not national)
    rows = tables.read_rows(stages.engine_for(settings), ENTRY, tables.candidate_name(ENTRY))
    return Candidate(run.report, run.entries, sorted(str(r[0]) for r in rows))


# --- The clean sample ----------------------------------------------------------------------


def test_a_clean_sample_passes_every_check(baseline: Baseline) -> None:
    assert baseline.report.problems == []
    assert baseline.report.evaluated == len(suite_checks(ENTRY))
    assert sum(1 for r in CLEAN if r[COORDINATES]) >= 0.8 * len(CLEAN)


# --- Each business and structural check ------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_check_fails_on_a_producer_file(case: Case, baseline: Baseline) -> None:
    upstream = case.upstream()
    run = transform_and_validate(baseline.settings, upstream, national=case.national)
    problem = failed(run.report, case.check)
    assert {identity(p) for p in run.report.problems} == {case.check, *case.also}
    assert_names(problem, upstream.offending)
    assert run.report.success  # nothing here holds the dataset
    if case.check.level == ROW:
        assert problem.keys == upstream.offending
        assert set(run.quarantine) == set(upstream.offending)
        assert all(problem.title in run.quarantine[k] for k in upstream.offending)
    else:
        assert case.check.level == WARNING
        assert run.quarantine == {} and problem.keys == []
        kept = {r[REFERENCE].strip().upper() for r in upstream.rows}
        assert set(run.published) == kept  # every notice is published


def test_the_row_count_check_fails_on_a_shrunk_export(baseline: Baseline) -> None:
    run = transform_and_validate(baseline.settings, shrunk_export())
    problem, minimum = row_count_drop(
        run.report, ROW_COUNT, kept=15, previous=len(CLEAN), settings=baseline.settings
    )
    assert problem.title == (
        f"Nombre d'édifices labellisés du territoire en forte baisse : 15 contre au moins "
        f"{minimum} attendus d'après le dernier run réussi"
    )


# --- The column-existence checks generated from the transform's fields ---------------------


@pytest.mark.parametrize("names", RENAME_GROUPS, ids=["+".join(g) for g in RENAME_GROUPS])
def test_each_missing_upstream_column_is_reported_at_its_level(
    names: tuple[str, ...], baseline: Baseline
) -> None:
    run = transform_and_validate(baseline.settings, renamed(*names))
    problems = [failed(run.report, COLUMN_CHECKS[name]) for name in names]
    for name, problem in zip(names, problems, strict=True):
        assert f"« {FIELDS[name].label} »" in problem.title
        assert f"[source.aliases] {name}" in problem.title
    assert run.report.success == all(RENAMED[n][1] == WARNING for n in names)
    # Anything else the rename trips is about the same fields: checks on them became
    # impossible, or the published column they feed was emptied (titre → titre).
    others = [p for p in run.report.problems if p not in problems]
    assert all(p.column in names for p in others), others


# --- A missing required column fails the dataset, alone ------------------------------------


def test_a_renamed_required_column_fails_this_dataset_alone(
    server: UpstreamServer, tmp_path: Path
) -> None:
    upstream = Upstream(clean_rows(), renamed={"Insee": "Code_commune_INSEE"})
    server.replace_file(DATASET_ID, FILENAME, upstream.content())
    settings = settings_for(tmp_path, server)
    acr_outcome, merimee_outcome = refresh_many(settings, [NAME, "monuments-historiques"])
    assert (acr_outcome.status, acr_outcome.stage) == ("failed", "transform")
    assert "colonne(s) absente(s) du fichier source : Insee" in (acr_outcome.error or "")
    assert "alias du catalogue" in (acr_outcome.error or "")
    assert not (settings.portal_dir / NAME).exists()  # nothing published
    assert merimee_outcome.status == "updated", merimee_outcome.error


# --- Every check has a case ----------------------------------------------------------------


def test_every_check_of_the_suites_has_a_failing_case() -> None:
    covered = {c.check for c in CASES} | {ROW_COUNT, *COLUMN_CHECKS.values()}
    assert_every_check_covered(ENTRY, covered, __file__)
    required = {n for n, f in FIELDS.items() if f.level == source_fields.REQUIRED}
    assert required == {"reference", "insee", "cadre"}
    assert set(RENAMED) == set(FIELDS) - required


def test_the_renamed_headers_are_new_spellings() -> None:
    for name, (spelling, _) in RENAMED.items():
        assert_new_spelling(spelling, ACR_HEADER, FIELDS)
        header = renamed(name).content().split(b"\n", 1)[0].decode().split("|")
        assert header.count(spelling) == 1 and FIELDS[name].label not in header
