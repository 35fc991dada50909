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
import math
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from patrimoine import stages
from patrimoine.catalog import DatasetEntry, load_catalog
from patrimoine.config import PROJECT_DIR, Settings
from patrimoine.errors import SchemaError
from patrimoine.pipeline import refresh_many
from patrimoine.staging import ledger
from patrimoine.transforms import fields as source_fields
from patrimoine.transforms.jardins import FIELDS
from patrimoine.transforms.registry import get_transform
from patrimoine.validation import BLOCKING, ROW, WARNING, Problem, ValidationReport
from patrimoine.validation.gx import load_suite_json
from patrimoine.validation.structural import column_expectations, schema_expectations
from tests.conftest import make_settings
from tests.samples.jardins import (
    DATASET_ID,
    FILENAME,
    JARDINS_HEADER,
    LATER_MODEL,
    OLD_MODEL,
    clean_rows,
    csv_bytes,
)
from tests.samples.merimee import Commune, with_contours
from tests.servers import (
    CLERMONT_EPCI_SIREN,
    UpstreamServer,
    clermont_communes,
    real_contours,
    upstream_env,
)

NAME = "jardins-remarquables"
SOURCE = f"{NAME}.source"
PUBLISHED = f"{NAME}.published"
ENTRY: DatasetEntry = load_catalog(PROJECT_DIR / "catalog")[NAME]

COMMUNES = with_contours(
    [Commune(c["code"], c["nom"], "63", "84", 0.0, 0.0) for c in clermont_communes()],
    real_contours(),
)
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
    return [dict(row) for row in CLEAN]


def edited(indexes: Any, edit: Callable[[dict[str, str]], None]) -> Upstream:
    """The clean sample with ``edit`` applied to the rows at ``indexes``; those are offending."""
    rows = clean()
    for i in indexes:
        edit(rows[i])
    return Upstream(rows, offending=[rows[i]["identifiant_origine"] for i in indexes])


def setter(**values: str) -> Callable[[dict[str, str]], None]:
    return lambda row: row.update(values)


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


@dataclass(frozen=True)
class Check:
    """A check's identity: its suite, GX type, column and level."""

    suite: str
    expectation: str
    column: str | None
    level: str


@dataclass(frozen=True)
class Case:
    id: str
    check: Check
    upstream: Callable[[], Upstream]


def check(suite: str, kind: str, column: str | None, level: str) -> Check:
    return Check(suite, f"expect_{kind}", column, level)


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


def published_files(settings: Settings) -> dict[str, bytes]:
    folder = settings.portal_dir / NAME
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


@pytest.fixture(scope="module")
def server() -> Iterator[UpstreamServer]:
    with UpstreamServer() as upstream:
        upstream.add_epci(
            CLERMONT_EPCI_SIREN, clermont_communes(), nom="Clermont Auvergne Métropole"
        )
        upstream.add_datagouv_dataset(DATASET_ID, [("csv", FILENAME, Upstream(clean()).content())])
        yield upstream
    assert not upstream.errors, upstream.errors


@pytest.fixture(scope="module")
def baseline(server: UpstreamServer, tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    root = tmp_path_factory.mktemp("baseline")
    settings = make_settings(root, **upstream_env(server))
    server.replace_file(DATASET_ID, FILENAME, Upstream(clean()).content())
    (outcome,) = refresh_many(settings, [NAME])
    assert outcome.status == "updated", outcome.error
    assert outcome.warnings == [] and outcome.quarantined == [] and outcome.remarks == []
    assert outcome.rows_published == len(CLEAN)
    run = ledger.run(stages.engine_for(settings), outcome.run_id)
    assert run is not None
    report = ValidationReport.from_dict(run["details"]["validation"])
    return Baseline(root, settings, published_files(settings), report)


@dataclass
class Validated:
    report: ValidationReport
    quarantined: list[str]


def transform_and_validate(settings: Settings, upstream: Upstream) -> Validated:
    """The transform and validation stages on ``upstream``, as a refresh runs them."""
    path = settings.var_dir / "cases" / FILENAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(upstream.content())
    output = stages.transform_stage(
        settings, NAME, path, territory_filter=upstream.territory_filter
    )
    validated = stages.validate_stage(settings, NAME, output)
    return Validated(
        ValidationReport.from_dict(validated.report), [q["key"] for q in validated.quarantine]
    )


# --- Assertions ----------------------------------------------------------------------------


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


def identity(problem: Problem) -> tuple[str, str, str | None, str]:
    return (problem.suite, problem.expectation, problem.column, problem.level)


# --- The clean sample ----------------------------------------------------------------------


def test_a_clean_sample_passes_every_check(baseline: Baseline) -> None:
    assert baseline.report.problems == []
    assert baseline.report.evaluated == len(suite_checks())
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
        assert validated.quarantined == upstream.offending
    else:
        assert problem.keys == [] and validated.quarantined == []


def test_the_row_count_check_fails_on_a_shrunk_export(baseline: Baseline) -> None:
    validated = transform_and_validate(baseline.settings, shrunk_export())
    problem = failed(validated.report, ROW_COUNT)
    assert validated.report.problems == [problem]
    minimum = math.floor(len(CLEAN) * (1 - baseline.settings.max_removed_share))
    assert 15 < minimum < len(CLEAN)
    assert problem.sample_values == [15]
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
    with (
        closing(sqlite3.connect(baseline.root / "patrimoine.db")) as source,
        closing(sqlite3.connect(tmp_path / "patrimoine.db")) as target,
    ):
        source.backup(target)
    shutil.copytree(baseline.settings.portal_dir, tmp_path / "portal")
    settings = make_settings(tmp_path, **upstream_env(server))
    renamed_file = Upstream(clean(), rename={"identifiant_origine": "ident_jardin"})
    server.replace_file(DATASET_ID, FILENAME, renamed_file.content())
    try:
        (outcome,) = refresh_many(settings, [NAME])
    finally:
        server.replace_file(DATASET_ID, FILENAME, Upstream(clean()).content())
    assert (outcome.status, outcome.stage) == ("failed", "transform")
    assert "colonne(s) absente(s) du fichier source : identifiant_origine" in (outcome.error or "")
    assert published_files(settings) == baseline.files


# --- Every check has a case ----------------------------------------------------------------


def suite_checks() -> list[Check]:
    """Every check run on the dataset: suite files plus generated ones."""
    source = load_suite_json(ENTRY.source_suite_path)
    published = load_suite_json(ENTRY.published_suite_path)
    fields = get_transform(ENTRY).fields_for(ENTRY)
    runs = [
        (source["name"], [*column_expectations(fields), *source["expectations"]]),
        (published["name"], [*schema_expectations(ENTRY), *published["expectations"]]),
    ]
    return [
        Check(name, e["type"], e["kwargs"].get("column"), e["meta"]["level"])
        for name, expectations in runs
        for e in expectations
    ]


def test_every_check_of_the_suites_has_a_failing_case() -> None:
    checks = suite_checks()
    assert len(set(checks)) == len(checks), "two checks share an identity: tell them apart"
    covered = [c.check for c in CASES] + [ROW_COUNT, *COLUMN_CHECKS.values()]
    assert len(set(covered)) == len(covered)
    missing = set(checks) - set(covered)
    assert not missing, f"checks without a failing case in {Path(__file__).name}: {missing}"
    stale = set(covered) - set(checks)
    assert not stale, f"cases for checks the suites no longer have: {stale}"
    required = {n for n, f in FIELDS.items() if f.level == source_fields.REQUIRED}
    assert required == {"identifiant_origine", "code_insee"}
    assert set(RENAMED) == set(FIELDS) - required
    assert {c.level for c in COLUMN_CHECKS.values()} == {BLOCKING, WARNING}
