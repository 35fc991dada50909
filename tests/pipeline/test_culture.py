"""The Culture datasets refreshed together: each fails alone, and the summary lists all.

The upstream serves, in the real formats, what the offline snapshot ships (the sample
modules' ``snapshot_dataset``) for Clermont Auvergne Métropole with its real contours.
"""

from __future__ import annotations

import csv
import importlib
import io
from pathlib import Path

import pytest

from patrimoine.catalog import load_catalog
from patrimoine.config import PROJECT_DIR, Settings
from patrimoine.pipeline import refresh_many
from patrimoine.transforms.fields import REQUIRED
from patrimoine.transforms.registry import get_transform
from tests.conftest import make_settings
from tests.samples.datagouv import SnapshotDataset
from tests.samples.merimee import Commune, with_contours
from tests.servers import (
    CLERMONT_EPCI_SIREN,
    UpstreamServer,
    clermont_communes,
    real_contours,
    upstream_env,
)

CATALOG = load_catalog(PROJECT_DIR / "catalog")
CULTURE = {
    "musees-de-france": "tests.samples.museofile",
    "frequentation-musees": "tests.samples.frequentation",
    "jardins-remarquables": "tests.samples.jardins",
    "architecture-contemporaine-remarquable": "tests.samples.acr",
}
COMMUNES = with_contours(
    [Commune(c["code"], c["nom"], "63", "84", 0.0, 0.0) for c in clermont_communes()],
    real_contours(),
)
CULTURE_DATASETS = [n for n, e in CATALOG.items() if e.source.get("kind") == "datagouv_resource"]
"""The catalog's Culture datasets (data.gouv.fr files): the natural-heritage ones read a
WFS or a configured file this server does not play (tests/pipeline/test_natural_areas.py
and test_espaces_naturels_sensibles.py cover them)."""
SAMPLES: dict[str, SnapshotDataset] = {
    name: importlib.import_module(module).snapshot_dataset(COMMUNES)
    for name, module in CULTURE.items()
}


def required_label(name: str) -> str:
    """The upstream spelling of the dataset's first required column, as its file has it."""
    entry = CATALOG[name]
    header = SAMPLES[name].content.decode("utf-8-sig").split("\n", 1)[0]
    for field in get_transform(entry).fields_for(entry).values():
        if field.level == REQUIRED:
            spelled = [a for a in field.aliases if a in header]
            if spelled:
                return spelled[0]
    raise AssertionError(f"{name}: no required column in the sample header")


def with_renamed_column(sample: SnapshotDataset, column: str, new: str) -> bytes:
    text = sample.content.decode("utf-8-sig")
    header, rest = text.split("\n", 1)
    assert header.count(column) == 1
    return (header.replace(column, new) + "\n" + rest).encode("utf-8")


@pytest.fixture
def server(upstream: UpstreamServer) -> UpstreamServer:
    upstream.add_epci(CLERMONT_EPCI_SIREN, clermont_communes(), nom="Clermont Auvergne Métropole")
    from tests.pipeline.helpers import MERIMEE_ID, clermont_rows, csv_bytes

    upstream.add_datagouv_dataset(MERIMEE_ID, [("csv", "merimee.csv", csv_bytes(clermont_rows()))])
    for sample in SAMPLES.values():
        upstream.add_datagouv_dataset(sample.dataset_id, [sample.served_file()])
    return upstream


def published_keys(settings: Settings, name: str) -> list[str]:
    entry = CATALOG[name]
    text = (settings.portal_dir / name / f"{name}.csv").read_text(encoding="utf-8")
    return [
        entry.key_text([r[k] for k in entry.business_key])
        for r in csv.DictReader(io.StringIO(text))
    ]


def test_a_broken_file_fails_its_dataset_only(tmp_path: Path, server: UpstreamServer) -> None:
    settings = make_settings(tmp_path, **upstream_env(server))
    broken = {"musees-de-france", "architecture-contemporaine-remarquable"}
    renamed = {name: required_label(name) for name in broken}
    for name, column in renamed.items():
        sample = SAMPLES[name]
        server.replace_file(
            sample.dataset_id, sample.filename, with_renamed_column(sample, column, "Colonne_X")
        )

    outcomes = {o.dataset: o for o in refresh_many(settings, CULTURE_DATASETS)}

    assert set(outcomes) == set(CULTURE_DATASETS) and len(CULTURE_DATASETS) == 5
    for name in broken:
        assert outcomes[name].status == "failed"
        assert outcomes[name].stage == "transform"
        assert renamed[name] in (outcomes[name].error or "")
        assert not (settings.portal_dir / name).exists()
    for name in set(CULTURE_DATASETS) - broken:
        assert outcomes[name].status == "updated", (name, outcomes[name].error)
        assert published_keys(settings, name)

    # The producers fix their files: the two datasets publish, the others are unchanged.
    for name in broken:
        sample = SAMPLES[name]
        server.replace_file(sample.dataset_id, sample.filename, sample.content)
    again = {o.dataset: o.status for o in refresh_many(settings, CULTURE_DATASETS)}
    assert again == {n: "updated" if n in broken else "unchanged" for n in CULTURE_DATASETS}


def test_every_published_folder_holds_its_files(tmp_path: Path, server: UpstreamServer) -> None:
    settings = make_settings(tmp_path, **upstream_env(server))
    outcomes = refresh_many(settings, list(CULTURE))
    assert [o.status for o in outcomes] == ["updated"] * len(CULTURE), [o.error for o in outcomes]
    for name in CULTURE:
        files = sorted(p.name for p in (settings.portal_dir / name).iterdir())
        expected = {f"{name}.csv", "changelog.csv", "metadata.json"}
        if "latitude" in CATALOG[name].geometry:
            expected.add(f"{name}.geojson")
        assert set(files) == expected, (name, files)


def test_another_territory_publishes_exactly_its_own_museums(
    tmp_path: Path, upstream: UpstreamServer
) -> None:
    """The same national Muséofile file, two territories: each gets its museums, no other."""
    from tests.pipeline.helpers import AUBE, AUBE_EPCI
    from tests.samples.museofile import museofile_csv, sample_rows

    clermont = sample_rows(COMMUNES, 1, seed=1, traps=False)
    aube = [
        {**row, "Identifiant": row["Identifiant"].replace("M91", "M81")}
        for row in sample_rows(AUBE, 2, seed=2, traps=False)
    ]
    upstream.add_datagouv_dataset(
        SAMPLES["musees-de-france"].dataset_id,
        [("csv", SAMPLES["musees-de-france"].filename, museofile_csv(clermont + aube))],
    )
    name = "musees-de-france"
    runs = {
        "aube": make_settings(
            tmp_path / "aube", **upstream_env(upstream), PATRIMOINE_TERRITORY=f"epci:{AUBE_EPCI}"
        ),
        "clermont": make_settings(tmp_path / "clermont", **upstream_env(upstream)),
    }
    for settings in runs.values():
        (outcome,) = refresh_many(settings, [name])
        assert outcome.status == "updated", outcome.error

    assert published_keys(runs["aube"], name) == sorted(r["Identifiant"] for r in aube)
    assert published_keys(runs["clermont"], name) == sorted(r["Identifiant"] for r in clermont)
    text = (runs["aube"].portal_dir / name / "metadata.json").read_text(encoding="utf-8")
    assert "Clermont" not in text and "Brienne-le-Château" in text
