"""Every check of the jardins-remarquables suites, shown failing on a file a producer could send.

The checks are those of ``expectations/jardins-remarquables.{source,published}.json``, the
structural ones generated from ``schemas/jardins-remarquables.json`` and the
column-existence ones generated from the jardins transform's fields. Each case starts from a
clean sample in the upstream format (``tests/samples/jardins.py``: 42 gardens, two in each
commune, points inside the real contours), alters it the way a producer does (a renamed
column, a truncated code, French decimals, a typo in a year, a national export…) and drives
it through the transform and validation stages, on the database of a first successful
refresh (so the row count has a previous run to compare with). What each level does to the
publication is the runner's business, tested once with Mérimée; here every check must trip
at its level, name the records it should, and trip alone.

Two whole refreshes only: the baseline, and a renamed required column, which fails the
dataset at the transform with a French message naming the column while the last good
version stays online.

``test_every_check_of_the_suites_has_a_failing_case`` fails when a suite gains a check that no
case here shows failing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from patrimoine.catalog import DatasetEntry
from patrimoine.config import Settings
from patrimoine.errors import SchemaError
from patrimoine.transforms import fields as source_fields
from patrimoine.transforms.jardins import FIELDS
from patrimoine.validation import BLOCKING, ROW, WARNING, Problem, ValidationReport
from tests.samples.jardins import (
    DATASET_ID,
    FILENAME,
    JARDINS_HEADER,
    LATER_MODEL,
    OLD_MODEL,
    clean_rows,
    csv_bytes,
)
from tests.servers import UpstreamServer
from tests.transforms.geo import sample_communes
from tests.validation.support import (
    Check,
    Validated,
    assert_every_check_covered,
    catalog_entry,
    check,
    copies,
    copy_run,
    edit_rows,
    failed,
    published_files,
    refresh,
    row_count_drop,
    run_report,
    setter,
    settings_for,
    suite_checks,
    territory_server,
)
from tests.validation.support import transform_and_validate as run_stages

NAME = "jardins-remarquables"
SOURCE = f"{NAME}.source"
PUBLISHED = f"{NAME}.published"
RESOURCE = (DATASET_ID, FILENAME)
ENTRY: DatasetEntry = catalog_entry(NAME)

COMMUNES = sample_communes()
CLEAN: tuple[dict[str, str], ...] = tuple(clean_rows(COMMUNES, per_commune=2, seed=5))
"""42 gardens, two in each of the 21 communes."""
ELSEWHERE = (
    ("JR630901", "63300", "Riom", "63"),
    ("JR030902", "03190", "Moulins", "03"),
)


# --- What the producer sends ---------------------------------------------------------------


@dataclass
class Upstream:
    """A jardins file as a producer publishes it, and the records a check must name."""

    rows: list[dict[str, str]]
    rename: dict[str, str] = field(default_factory=dict)
    offending: list[str] = field(default_factory=list)
    """Business keys the failed check names (identifiers, or ``ligne N``)."""
    territory_filter: bool = True

    def content(self) -> bytes:
        return csv_bytes(self.rows, rename=self.rename)

    def with_edit(self, index: int, edit: Callable[[dict[str, str]], None]) -> Upstream:
        """Also ``edit`` the row at ``index``, which becomes offending too."""
        edit(self.rows[index])
        self.offending.append(self.rows[index]["identifiant_origine"])
        return self


def clean() -> list[dict[str, str]]:
    return copies(CLEAN)


def edited(indexes: Any, edit: Callable[[dict[str, str]], None]) -> Upstream:
    """The clean sample with ``edit`` applied to the rows at ``indexes``; those are offending."""
    rows, offending = edit_rows(CLEAN, indexes, edit, "identifiant_origine")
    return Upstream(rows, offending=offending)


def no_identifier() -> Upstream:
    rows = clean()
    rows[5].update(identifiant_origine="", identifiant_deps="")
    return Upstream(rows, offending=["ligne 7"])  # header on line 1, rows[0] on line 2


def trailing_space_in_deps(row: dict[str, str]) -> None:
    """``JARD_63042_01008`` → ``JARD_63042_01008 ``: a stray space left by a hand edit."""
    row["identifiant_deps"] += " "


def truncated_code(row: dict[str, str]) -> None:
    """``63113`` → ``6311``: a code cut by a fixed-width export."""
    row["code_insee"] = row["code_insee"][:4]


def french_latitude(row: dict[str, str]) -> None:
    row["latitude"] = row["latitude"].replace(".", ",")


def lambert_longitude(row: dict[str, str]) -> None:
    """A longitude exported in Lambert-93 metres (the point stays in coordonnees_geographiques)."""
    row["longitude"] = "706521.42"


def degrees_minutes(row: dict[str, str]) -> None:
    row["coordonnees_geographiques"] = "45°46'38\"N, 3°05'12\"E"


def national_export() -> Upstream:
    """The whole national file, transformed without the territory filter."""
    rows = clean()
    for origine, code, commune, departement in ELSEWHERE:
        row = dict(rows[0])
        row.update(
            identifiant_origine=origine,
            identifiant_deps=f"JARD_{code}_00900",
            code_insee=code,
            commune=commune,
            code_insee_departement=departement,
            latitude="",
            longitude="",
            coordonnees_geographiques="",
        )
        rows.append(row)
    return Upstream(rows, offending=sorted(o for o, *_ in ELSEWHERE), territory_filter=False)


def shrunk_export() -> Upstream:
    """A partial export: 15 of the 42 gardens of the territory."""
    return Upstream(clean()[:15])


# --- Checks and cases ----------------------------------------------------------------------


def same_garden_twice() -> Upstream:
    """A garden back under a second identifier (the 2023 model change), the old line kept."""
    rows = [dict(r) for r in CLEAN]
    first, second = rows[0], rows[1]  # two gardens of the first commune
    assert first["code_insee"] == second["code_insee"]
    second["nom_du_jardin"] = first["nom_du_jardin"]
    return Upstream(rows, offending=[first["identifiant_origine"], second["identifiant_origine"]])


@dataclass(frozen=True)
class Case:
    id: str
    check: Check
    upstream: Callable[[], Upstream]


IDENTIFIER = check(SOURCE, "column_values_to_not_be_null", "identifiant_origine", ROW)
CASES = [
    # row: the records are named for the quarantine
    Case("no-identifier-at-all", IDENTIFIER, no_identifier),
    Case(
        "name-emptied",
        check(PUBLISHED, "column_values_to_not_be_null", "nom_du_jardin", ROW),
        lambda: edited([4, 30], setter(nom_du_jardin="")),
    ),
    Case(
        "national-export-not-filtered",
        check(PUBLISHED, "column_values_to_be_in_set", "code_insee", ROW),
        national_export,
    ),
    # warning: reported, published
    Case(
        "same-garden-under-two-identifiers",
        check(PUBLISHED, "compound_columns_to_be_unique", None, WARNING),
        same_garden_twice,
    ),
    Case(
        "two-identifiers-pasted-in-one-cell",
        check(SOURCE, "column_values_to_match_regex", "identifiant_origine", WARNING),
        lambda: edited([3], setter(identifiant_origine="JR631003;JR631004")),
    ),
    Case(
        "deps-identifier-with-a-trailing-space",
        check(SOURCE, "column_values_to_match_regex", "identifiant_deps", WARNING),
        lambda: edited([8, 9], trailing_space_in_deps),
    ),
    Case(
        "code-insee-truncated-6311",
        check(SOURCE, "column_values_to_match_regex", "code_insee", WARNING),
        lambda: edited([18, 19], truncated_code),  # Clermont-Ferrand's two gardens
    ),
    Case(
        "latitude-comma-decimals",
        check(SOURCE, "column_values_to_match_regex", "latitude", WARNING),
        lambda: edited([0, 7, 11], french_latitude),
    ),
    Case(
        "longitude-in-lambert-93",
        check(SOURCE, "column_values_to_match_regex", "longitude", WARNING),
        lambda: edited([2, 3], lambert_longitude),
    ),
    Case(
        "coordinates-in-degrees-minutes",
        check(SOURCE, "column_values_to_match_regex", "coordonnees_geographiques", WARNING),
        lambda: edited([9], degrees_minutes),
    ),
    Case(
        "label-year-as-a-date",
        check(SOURCE, "column_values_to_match_regex", "annee_obtention", WARNING),
        lambda: edited([12, 13], setter(annee_d_obtention="12/06/2015")),
    ),
    Case(
        "label-year-typo-2104-and-1998",
        check(PUBLISHED, "column_values_to_be_between", "annee_obtention", WARNING),
        lambda: edited([14, 15], setter(annee_d_obtention="2104")).with_edit(
            16, setter(annee_d_obtention="1998")
        ),
    ),
    Case(
        "point-north-of-the-territory",
        check(PUBLISHED, "column_values_to_be_between", "latitude", WARNING),
        lambda: edited([20], setter(latitude="46.2", coordonnees_geographiques="")),
    ),
    Case(
        "point-east-of-the-territory",
        check(PUBLISHED, "column_values_to_be_between", "longitude", WARNING),
        lambda: edited([21], setter(longitude="3.6", coordonnees_geographiques="")),
    ),
]
ROW_COUNT = check(SOURCE, "table_row_count_to_be_between", None, WARNING)

RENAMED: dict[str, str] = {
    # canonical field: the producer's new spelling (matching no accepted one)
    "identifiant_deps": "id_deps_2024",
    "nom_du_jardin": "nom_usuel",
    "commune": "ville",
    "code_departement": "num_departement",
    "code_postal": "cp",
    "adresse_complete": "adresse_postale",
    "voie": "voie_et_numero",
    "latitude": "lat_wgs84",
    "longitude": "lon_wgs84",
    "coordonnees_geographiques": "geo_point",
    "sites_internet": "liens_web",
    "types": "typologie",
    "annee_obtention": "millesime_label",
    "description": "presentation",
    "auteur": "createur",
    "accessible_au_public": "ouverture_au_public",
    "conditions_ouverture": "horaires",
    "date_creation": "cree_le",
    "date_maj": "modifie_le",
}
SOURCE_NAMES = {canonical: FIELDS[canonical].label for canonical in FIELDS}
COLUMN_CHECKS = {
    name: check(SOURCE, "column_to_exist", name, FIELDS[name].level) for name in RENAMED
}
ALSO_TRIPPED: dict[str, set[tuple[str, str, str | None, str]]] = {
    # A rename also trips the checks fed by that column (nothing else).
    "identifiant_deps": {(SOURCE, IDENTIFIER.expectation, "identifiant_origine", BLOCKING)},
    "nom_du_jardin": {(PUBLISHED, "expect_column_values_to_not_be_null", "nom_du_jardin", ROW)},
}


def renamed(name: str) -> Upstream:
    """The clean sample with one upstream column renamed by the producer."""
    return Upstream(clean(), rename={SOURCE_NAMES[name]: RENAMED[name]})


# --- Fixtures ------------------------------------------------------------------------------


@dataclass
class Baseline:
    """A successful first refresh on the clean sample."""

    root: Path
    settings: Settings
    files: dict[str, bytes]
    report: ValidationReport


@pytest.fixture(scope="module")
def server() -> Iterator[UpstreamServer]:
    with territory_server() as upstream:
        upstream.add_datagouv_dataset(DATASET_ID, [("csv", FILENAME, Upstream(clean()).content())])
        yield upstream


@pytest.fixture(scope="module")
def baseline(server: UpstreamServer, tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    root = tmp_path_factory.mktemp("baseline")
    settings = settings_for(root, server)
    outcome = refresh(settings, server, NAME, RESOURCE, Upstream(clean()).content())
    assert outcome.status == "updated", outcome.error
    assert outcome.warnings == [] and outcome.quarantined == [] and outcome.remarks == []
    assert outcome.rows_published == len(CLEAN)
    report = run_report(settings, outcome)
    return Baseline(root, settings, published_files(settings, NAME), report)


def transform_and_validate(settings: Settings, upstream: Upstream) -> Validated:
    """The transform and validation stages on ``upstream``, as a refresh runs them."""
    return run_stages(
        settings,
        NAME,
        f"cases/{FILENAME}",
        upstream.content(),
        territory_filter=upstream.territory_filter,
    )


# --- Assertions ----------------------------------------------------------------------------


def identity(problem: Problem) -> tuple[str, str, str | None, str]:
    return (problem.suite, problem.expectation, problem.column, problem.level)


# --- The clean sample ----------------------------------------------------------------------


def test_a_clean_sample_passes_every_check(baseline: Baseline) -> None:
    assert baseline.report.problems == []
    assert baseline.report.evaluated == len(suite_checks(ENTRY))
    text = baseline.files[f"{NAME}.csv"].decode("utf-8")
    keys = [r["identifiant"] for r in csv.DictReader(io.StringIO(text))]
    assert keys == sorted(r["identifiant_origine"] for r in CLEAN)


# --- Each business and structural check ----------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_check_fails_on_a_producer_file(case: Case, baseline: Baseline) -> None:
    upstream = case.upstream()
    validated = transform_and_validate(baseline.settings, upstream)
    report = validated.report
    problem = failed(report, case.check)
    assert report.problems == [problem], "the alteration should trip this check only"
    assert problem.unexpected_count == len(upstream.offending)
    assert problem.sample_keys == upstream.offending
    assert report.success  # neither row nor warning holds the dataset
    if case.check.level == ROW:
        assert problem.keys == upstream.offending
        assert validated.quarantined_keys == upstream.offending
    else:
        assert problem.keys == [] and validated.quarantined_keys == []


def test_the_row_count_check_fails_on_a_shrunk_export(baseline: Baseline) -> None:
    validated = transform_and_validate(baseline.settings, shrunk_export())
    problem, minimum = row_count_drop(
        validated.report, ROW_COUNT, kept=15, previous=len(CLEAN), settings=baseline.settings
    )
    assert problem.title == (
        f"Nombre de jardins du territoire en forte baisse : 15 contre au moins {minimum} "
        "attendus d'après le dernier run réussi"
    )


# --- The column-existence checks generated from the transform's fields ---------------------


BLOCKING_COLUMNS = [n for n in RENAMED if FIELDS[n].level == BLOCKING]
WARNING_COLUMNS = [n for n in RENAMED if FIELDS[n].level == WARNING]


def assert_column_check(report: ValidationReport, name: str) -> Problem:
    """The existence check of ``name`` failed at its level, titled in French with its fix."""
    problem = failed(report, COLUMN_CHECKS[name])
    assert problem.title == (
        f"Colonne « {SOURCE_NAMES[name]} » absente du fichier source (renommée ou retirée par "
        f"le producteur ? ajoutez son nouveau nom à [source.aliases] {name} dans le catalogue)"
    )
    return problem


def unexplained(report: ValidationReport, names: list[str], explained: list[Problem]) -> set[Any]:
    """Problems that are neither the columns' existence checks, nor checks of the same
    columns (now impossible, at their own level), nor checks fed by them."""
    others = {identity(p) for p in report.problems if p not in explained}
    same_column = {i for i in others if i[0] == SOURCE and i[2] in names and i[3] != BLOCKING}
    fed = set().union(*(ALSO_TRIPPED.get(n, set()) for n in names))
    return others - same_column - fed


@pytest.mark.parametrize(
    ("names", "level"), [(BLOCKING_COLUMNS, BLOCKING), (WARNING_COLUMNS, WARNING)]
)
def test_each_missing_upstream_column_is_reported_at_its_level(
    names: list[str], level: str, baseline: Baseline
) -> None:
    """One file losing every main (then every secondary) column at once: each is named at
    its level; a main one holds the dataset, a secondary one only warns."""
    upstream = Upstream(clean(), rename={SOURCE_NAMES[n]: RENAMED[n] for n in names})
    report = transform_and_validate(baseline.settings, upstream).report
    problems = [assert_column_check(report, name) for name in names]
    assert {p.level for p in problems} == {level}
    assert report.success == (level == WARNING)
    assert unexplained(report, names, problems) == set(), report.problems
    fed = set().union(*(ALSO_TRIPPED.get(n, set()) for n in names))
    assert {identity(p) for p in report.problems} >= fed  # the checks fed by them do trip


def test_the_renamed_headers_are_new_spellings() -> None:
    from patrimoine.transforms.reader import header_key

    accepted = {header_key(a) for f in FIELDS.values() for a in f.aliases}
    models = (JARDINS_HEADER, OLD_MODEL.values(), LATER_MODEL.values())
    known = {header_key(h) for model in models for h in model}
    for name, spelling in RENAMED.items():
        assert header_key(spelling) not in accepted | known, spelling
        assert renamed(name).content().split(b"\n", 1)[0].decode().split("|").count(spelling) == 1


# --- A renamed required column fails the dataset -------------------------------------------


@pytest.mark.parametrize("column", ["identifiant_origine", "code_insee"])
def test_a_renamed_required_column_stops_the_transform_naming_it(
    column: str, baseline: Baseline
) -> None:
    upstream = Upstream(clean(), rename={column: "colonne_renommee"})
    with pytest.raises(SchemaError) as error:
        transform_and_validate(baseline.settings, upstream)
    assert f"colonne(s) absente(s) du fichier source : {column}" in str(error.value)


def test_a_renamed_required_column_fails_the_refresh_and_keeps_the_last_version(
    baseline: Baseline, server: UpstreamServer, tmp_path: Path
) -> None:
    copy_run(baseline.root, baseline.settings.portal_dir, tmp_path)
    settings = settings_for(tmp_path, server)
    renamed_file = Upstream(clean(), rename={"identifiant_origine": "ident_jardin"})
    try:
        outcome = refresh(settings, server, NAME, RESOURCE, renamed_file.content())
    finally:
        server.replace_file(DATASET_ID, FILENAME, Upstream(clean()).content())
    assert (outcome.status, outcome.stage) == ("failed", "transform")
    assert "colonne(s) absente(s) du fichier source : identifiant_origine" in (outcome.error or "")
    assert published_files(settings, NAME) == baseline.files


# --- Every check has a case ----------------------------------------------------------------


def test_every_check_of_the_suites_has_a_failing_case() -> None:
    covered = [c.check for c in CASES] + [ROW_COUNT, *COLUMN_CHECKS.values()]
    assert_every_check_covered(ENTRY, covered, __file__)
    required = {n for n, f in FIELDS.items() if f.level == source_fields.REQUIRED}
    assert required == {"identifiant_origine", "code_insee"}
    assert set(RENAMED) == set(FIELDS) - required
    assert {c.level for c in COLUMN_CHECKS.values()} == {BLOCKING, WARNING}
