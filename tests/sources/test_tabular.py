"""The territory's rows through the Tabular API, against the local upstream's emulation."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest

from patrimoine.config import Settings
from patrimoine.errors import SourceError
from patrimoine.http import HttpClient
from patrimoine.sources.datagouv_resource import extract
from patrimoine.sources.tabular import fetch_rows
from patrimoine.stages import entry_for
from patrimoine.territory import Commune, Territory
from tests.conftest import make_settings
from tests.servers import UpstreamServer, upstream_env

DATASET = "5af120e7b595087cfabcde82"
TERRITORY = Territory(
    "communes:63113,63075",
    "Deux communes",
    (Commune("63113", "Clermont-Ferrand", "63"), Commune("63075", "Chamalières", "63")),
)


def national_csv(per_commune: int = 130) -> bytes:
    """`;` CSV: 130 rows in each of three communes, one of them outside the territory."""
    lines = ["IDMuseofile;codeInseeCommune;annee;total;ville"]
    for code in ("63113", "63075", "06088"):
        for n in range(per_commune):
            total = "" if n == 0 else ("NC" if code == "63075" and n == 1 else str(n * 10))
            lines.append(f"M{n:04d};{code};{2014 + n % 11};{total};Ville {code}")
    return ("\n".join(lines) + "\n").encode()


def served(tmp_path: Path, upstream: UpstreamServer) -> tuple[str, Settings]:
    data = upstream.add_datagouv_dataset(DATASET, [("csv", "frequentation.csv", national_csv())])
    settings = make_settings(tmp_path, **upstream_env(upstream))
    return data["resources"][0]["id"], settings


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def test_only_the_territory_rows_are_fetched_page_by_page(
    tmp_path: Path, upstream: UpstreamServer
) -> None:
    rid, settings = served(tmp_path, upstream)
    dest = tmp_path / "rows.csv"
    with HttpClient(settings) as client:
        count, sha = fetch_rows(client, settings, rid, "codeInseeCommune", ["63113", "63075"], dest)
    rows = read(dest)
    assert count == len(rows) == 260
    assert {r["codeInseeCommune"] for r in rows} == {"63113", "63075"}
    assert list(rows[0]) == ["IDMuseofile", "codeInseeCommune", "annee", "total", "ville"]
    # Integers come back as JSON numbers and are written back as plain text; nulls as "".
    assert rows[1]["total"] == "10" and rows[0]["total"] == ""
    assert any(r["total"] == "NC" for r in rows)
    pages = upstream.requests_to(f"/api/resources/{rid}/data/")
    assert len(pages) == 2  # 200 + 60 rows, following links.next
    assert all(dict(q.query)["codeInseeCommune__in"] == "63113,63075" for q in pages)
    assert len(sha) == 64


def test_a_server_refusing_200_rows_per_page_is_asked_50(
    tmp_path: Path, upstream: UpstreamServer
) -> None:
    rid, settings = served(tmp_path, upstream)
    upstream.tabular_page_size_max = 50
    with HttpClient(settings) as client:
        count, _ = fetch_rows(
            client, settings, rid, "codeInseeCommune", ["63113"], tmp_path / "r.csv"
        )
    assert count == 130
    sizes = [
        dict(r.query)["page_size"] for r in upstream.requests_to(f"/api/resources/{rid}/data/")
    ]
    assert sizes == ["200", "50", "50", "50"]


def test_a_filter_column_missing_from_the_profile_is_named(
    tmp_path: Path, upstream: UpstreamServer
) -> None:
    rid, settings = served(tmp_path, upstream)
    with HttpClient(settings) as client, pytest.raises(SourceError) as caught:
        fetch_rows(client, settings, rid, "code_insee", ["63113"], tmp_path / "r.csv")
    assert "colonne « code_insee » absente du profil" in str(caught.value)
    assert "codeInseeCommune" in str(caught.value)


def test_the_catalog_entry_chooses_tabular_when_the_resource_is_parsed(
    tmp_path: Path, upstream: UpstreamServer
) -> None:
    rid, settings = served(tmp_path, upstream)
    base = entry_for(settings, "monuments-historiques")
    entry = replace(
        base,
        source={
            "kind": "datagouv_resource",
            "dataset_id": DATASET,
            "format": "csv",
            "tabular": {"column": "codeInseeCommune", "values": "communes"},
        },
    )
    with HttpClient(settings) as client:
        result = extract(client, settings, entry, TERRITORY)
    assert result.url.endswith(f"/api/resources/{rid}/data/")
    assert len(read(result.path)) == 260
    static_path = upstream.resource_url(DATASET, "frequentation.csv").removeprefix(upstream.url)
    assert upstream.count(static_path) == 0  # the national file was not downloaded

    # A resource data.gouv.fr has not parsed (too big, new format): the whole file.
    dataset = upstream.datagouv_dataset(DATASET)
    resource = dataset["resources"][0]
    resource["extras"].pop("analysis:parsing:parsing_table")
    upstream.add_json(f"/api/1/datasets/{DATASET}/", dataset)
    with HttpClient(settings) as client:
        whole = extract(client, settings, entry, TERRITORY)
    assert whole.url == resource["url"]
    assert whole.path.read_bytes() == national_csv()
