"""Build the offline snapshot (``snapshot/``): an upstream mirror filled with SAMPLE data.

Usage::

    .venv/bin/python scripts/make_snapshot.py            # rewrite snapshot/
    .venv/bin/python scripts/make_snapshot.py --out DIR  # build elsewhere (tests compare)

Everything is derived from the seeded generator :mod:`tests.samples.merimee`, from the
territory reference ``snapshot/inputs/territory-clermont-auvergne-metropole.csv`` and from
the real commune contours ``snapshot/inputs/contours-clermont-auvergne-metropole.geojson``
(copies of the shared reference files), so re-running the script reproduces byte-identical
files. The snapshot answers, through :class:`patrimoine.http.mirror.MirrorTransport`:

- the data.gouv.fr API v1 dataset of the Mérimée file (real shape, GeoJSON resource first);
- the Mérimée CSV itself (sample notices, real format, data-quality traps included);
- geo.api.gouv.fr's communes of the EPCI 246300701 with their real (simplified) contours;
- the other sample modules' datasets and any upstream answers they record
  (``mirror_files``, e.g. the Géoplateforme WFS of the natural-heritage datasets).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import importlib
import json
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the generator lives with the tests, not in the package

from tests.samples.datagouv import SnapshotDataset, dataset_json, manifest_entries  # noqa: E402
from tests.samples.merimee import (  # noqa: E402
    MERIMEE_HEADER,
    OTHER_COMMUNES,
    TRAPS,
    Commune,
    communes_from_territory_csv,
    sample_rows,
    trap_reference,
    with_contours,
    write_merimee_csv,
)

DEFAULT_OUT = ROOT / "snapshot"

SAMPLE_MODULES = (
    "tests.samples.museofile",
    "tests.samples.frequentation",
    "tests.samples.jardins",
    "tests.samples.acr",
    "tests.samples.patrinat",
    "tests.samples.ens",
)
"""The other datasets' generators. Each exposes ``readme_section(communes)`` (Markdown listing
its traps by identifier) and optionally ``snapshot_dataset(communes)`` (a data.gouv.fr
:class:`SnapshotDataset`), ``snapshot_inputs(communes)`` (extra files under ``inputs/``, e.g.
the collectivité's museum hours) and ``mirror_files(communes)`` (``(url, relative_path,
content_type, bytes)`` of other upstream answers, the URL's query included)."""
TERRITORY_CSV = DEFAULT_OUT / "inputs" / "territory-clermont-auvergne-metropole.csv"
CONTOURS = DEFAULT_OUT / "inputs" / "contours-clermont-auvergne-metropole.geojson"

EPCI = "246300701"
DATASET_ID = "5af120e5b595087cfabcde81"
SLUG = "immeubles-proteges-au-titre-des-monuments-historiques-2"
ORGANIZATION_ID = "534fff91a3a7292c64a77f73"
CSV_RESOURCE_ID = "3a52af4a-f9da-4dcc-8110-b07774dfb3bc"
GEOJSON_RESOURCE_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, f"patrimoine-snapshot:{SLUG}:geojson"))

CSV_STAMP = "20261126-060012"
GEOJSON_STAMP = "20261126-060105"
CSV_URL = f"https://static.data.gouv.fr/resources/{SLUG}/{CSV_STAMP}/merimee.csv"
GEOJSON_URL = f"https://static.data.gouv.fr/resources/{SLUG}/{GEOJSON_STAMP}/merimee.geojson"
DATASET_URL = f"https://www.data.gouv.fr/api/1/datasets/{DATASET_ID}/"
EPCI_URL = f"https://geo.api.gouv.fr/epcis/{EPCI}/communes?format=geojson&geometry=contour"

CSV_FILE = f"static.data.gouv.fr/resources/{SLUG}/{CSV_STAMP}/merimee.csv"
DATASET_FILE = f"www.data.gouv.fr/api/1/datasets/{DATASET_ID}/index.json"
EPCI_FILE = f"geo.api.gouv.fr/epcis/{EPCI}/communes.geojson"
EPCI_INFO_URL = f"https://geo.api.gouv.fr/epcis/{EPCI}?fields=nom"
EPCI_INFO_FILE = f"geo.api.gouv.fr/epcis/{EPCI}/index.json"
EPCI_NAME = "Clermont Auvergne Métropole"

# Generator parameters: change them here, then re-run the script.
TERRITORY_PER_COMMUNE = 5
TERRITORY_SEED = 2026
OTHER_PER_COMMUNE = 2
OTHER_SEED = 63
OTHER_REF_START = 500

CSV_LAST_MODIFIED = dt.datetime(2026, 11, 26, 6, 0, 12, tzinfo=dt.UTC)
DATASET_LAST_MODIFIED = dt.datetime(2026, 11, 26, 6, 2, 41, 905000, tzinfo=dt.UTC)

MANIFEST_NOTE = (
    "Offline mirror of the upstream services used by patrimoine. SAMPLE data in the real "
    "upstream formats: the Mérimée notices are synthetic, not real records. Built by "
    "scripts/make_snapshot.py; see README.md."
)


def _http_date(moment: dt.datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def _territory_records(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_contours(path: Path = CONTOURS) -> dict[str, dict[str, Any]]:
    """INSEE code → real commune contour (GeoJSON geometry)."""
    collection = json.loads(path.read_text(encoding="utf-8"))
    return {f["properties"]["code"]: f["geometry"] for f in collection["features"]}


def territory_with_contours(territory_csv: Path, contours_path: Path = CONTOURS) -> list[Commune]:
    """The territory's communes, centred on and sampled inside their real contours."""
    return with_contours(communes_from_territory_csv(territory_csv), load_contours(contours_path))


# --- Mérimée CSV --------------------------------------------------------------------------


def build_rows(territory: list[Commune]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The territory sample (traps on), and the notices the territory filter must drop."""
    inside = sample_rows(territory, TERRITORY_PER_COMMUNE, seed=TERRITORY_SEED)
    outside = sample_rows(
        OTHER_COMMUNES,
        OTHER_PER_COMMUNE,
        seed=OTHER_SEED,
        ref_start=OTHER_REF_START,
        traps=False,
    )
    return inside, outside


# --- geo.api.gouv.fr -----------------------------------------------------------------------


def build_epci_geojson(records: list[dict[str, str]], territory: list[Commune]) -> bytes:
    """``/epcis/{code}/communes?format=geojson&geometry=contour`` with default fields."""
    by_code = {commune.code: commune for commune in territory}
    features: list[dict[str, Any]] = []
    for record in records:
        commune = by_code[record["code_insee"]]
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "nom": record["nom"],
                    "code": record["code_insee"],
                    "codeDepartement": record["code_departement"],
                    "siren": record["siren_commune"],
                    "codeEpci": record["code_epci"],
                    "codeRegion": record["code_region"],
                    "codesPostaux": record["codes_postaux"].split(),
                    "population": int(record["population_communes_json"]),
                },
                "geometry": commune.contour,
            }
        )
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- data.gouv.fr dataset --------------------------------------------------------------


def _organization() -> dict[str, Any]:
    slug = "ministere-de-la-culture"
    return {
        "acronym": None,
        "badges": [{"kind": "public-service"}, {"kind": "certified"}],
        "class": "Organization",
        "id": ORGANIZATION_ID,
        "logo": f"https://static.data.gouv.fr/avatars/0b/{ORGANIZATION_ID}-original.png",
        "logo_thumbnail": f"https://static.data.gouv.fr/avatars/0b/{ORGANIZATION_ID}-100.png",
        "name": "Ministère de la Culture",
        "page": f"https://www.data.gouv.fr/fr/organizations/{slug}/",
        "slug": slug,
        "uri": f"https://www.data.gouv.fr/api/1/organizations/{slug}/",
    }


def _csv_resource(sha1: str, size: int) -> dict[str, Any]:
    modified = _iso(CSV_LAST_MODIFIED)
    created = "2025-01-09T10:14:22.517000+00:00"
    return {
        "checksum": {"type": "sha1", "value": sha1},
        "created_at": created,
        "description": (
            "Liste des immeubles protégés au titre des monuments historiques, au format CSV "
            "(séparateur « | », encodage UTF-8). Mise à jour tous les jeudis à 6h00."
        ),
        "extras": {
            "analysis:checksum": sha1,
            "analysis:content-length": size,
            "analysis:last-modified-at": CSV_LAST_MODIFIED.isoformat(),
            "analysis:last-modified-detection": "last-modified-header",
            "analysis:mime-type": "text/csv",
            "analysis:parsing:finished_at": "2026-11-26T06:14:03.118000+00:00",
            "analysis:parsing:parsing_table": hashlib.md5(CSV_URL.encode()).hexdigest(),
            "analysis:parsing:started_at": "2026-11-26T06:12:47.402000+00:00",
            "check:available": True,
            "check:date": "2026-11-26T06:05:31.442000",
            "check:headers:content-type": "text/csv",
            "check:status": 200,
            "check:timeout": False,
        },
        "filesize": size,
        "filetype": "file",
        "format": "csv",
        "harvest": None,
        "id": CSV_RESOURCE_ID,
        "internal": {"created_at_internal": created, "last_modified_internal": modified},
        "last_modified": modified,
        "latest": f"https://www.data.gouv.fr/fr/datasets/r/{CSV_RESOURCE_ID}",
        "metrics": {"views": 4821},
        "mime": "text/csv",
        "preview_url": f"https://explore.data.gouv.fr/fr/resources/{CSV_RESOURCE_ID}",
        "schema": None,
        "title": "Immeubles protégés au titre des monuments historiques (CSV)",
        "type": "main",
        "url": CSV_URL,
    }


def _geojson_resource() -> dict[str, Any]:
    """The GeoJSON resource (listed first, file NOT shipped: size and checksum invented)."""
    modified = "2026-11-26T06:01:05.000000+00:00"
    created = "2025-01-09T10:16:40.031000+00:00"
    size = 212_614_387
    sha1 = hashlib.sha1(b"patrimoine snapshot: merimee.geojson is not shipped").hexdigest()
    return {
        "checksum": {"type": "sha1", "value": sha1},
        "created_at": created,
        "description": (
            "Liste des immeubles protégés au titre des monuments historiques, au format "
            "GeoJSON. Mise à jour tous les jeudis à 6h00."
        ),
        "extras": {
            "analysis:checksum": sha1,
            "analysis:content-length": size,
            "analysis:last-modified-at": "2026-11-26T06:01:05+00:00",
            "analysis:last-modified-detection": "last-modified-header",
            "analysis:mime-type": "application/json",
            "check:available": True,
            "check:date": "2026-11-26T06:05:33.918000",
            "check:headers:content-type": "application/geo+json",
            "check:status": 200,
            "check:timeout": False,
        },
        "filesize": size,
        "filetype": "file",
        "format": "geojson",
        "harvest": None,
        "id": GEOJSON_RESOURCE_ID,
        "internal": {"created_at_internal": created, "last_modified_internal": modified},
        "last_modified": modified,
        "latest": f"https://www.data.gouv.fr/fr/datasets/r/{GEOJSON_RESOURCE_ID}",
        "metrics": {"views": 2107},
        "mime": "application/geo+json",
        "preview_url": None,
        "schema": None,
        "title": "Immeubles protégés au titre des monuments historiques (GeoJSON)",
        "type": "main",
        "url": GEOJSON_URL,
    }


def build_dataset_json(csv_sha1: str, csv_size: int) -> bytes:
    """``GET /api/1/datasets/{id}/``: a dataset in the API v1 shape, resources in full."""
    created = dt.datetime.fromtimestamp(int(DATASET_ID[:8], 16), tz=dt.UTC)
    dataset: dict[str, Any] = {
        "acronym": None,
        "archived": None,
        "badges": [],
        "contact_points": [],
        "created_at": _iso(created),
        "deleted": None,
        "description": (
            "Liste des immeubles protégés au titre des monuments historiques (classés ou "
            "inscrits), issue de la base Mérimée de la plateforme ouverte du patrimoine (POP) "
            "du Ministère de la Culture.\n\nLe jeu de données est mis à jour tous les jeudis "
            "à 6h00.\n\n(Réponse reconstituée pour le mode hors ligne de patrimoine : les "
            "notices du fichier CSV sont des exemples synthétiques.)"
        ),
        "description_short": "Liste des immeubles protégés au titre des monuments historiques.",
        "extras": {},
        "frequency": "weekly",
        "frequency_date": "2026-12-03T06:00:00+00:00",
        "harvest": None,
        "id": DATASET_ID,
        "internal": {
            "created_at_internal": _iso(created),
            "last_modified_internal": _iso(DATASET_LAST_MODIFIED),
        },
        "last_modified": _iso(DATASET_LAST_MODIFIED),
        "last_update": _iso(CSV_LAST_MODIFIED),
        "license": "lov2",
        "metrics": {
            "discussions": 4,
            "followers": 57,
            "resources_downloads": 91234,
            "reuses": 14,
            "views": 128733,
        },
        "organization": _organization(),
        "owner": None,
        "page": f"https://www.data.gouv.fr/fr/datasets/{SLUG}/",
        "private": False,
        "quality": {
            "all_resources_available": True,
            "dataset_description_quality": True,
            "has_open_format": True,
            "has_resources": True,
            "license": True,
            "resources_documentation": True,
            "score": 0.89,
            "spatial": True,
            "temporal_coverage": False,
            "update_frequency": True,
            "update_fulfilled_in_time": True,
        },
        "resources": [_geojson_resource(), _csv_resource(csv_sha1, csv_size)],
        "slug": SLUG,
        "spatial": {"geom": None, "granularity": "fr:commune", "zones": ["country:fr"]},
        "tags": ["culture", "merimee", "monuments-historiques", "patrimoine"],
        "temporal_coverage": None,
        "title": "Immeubles protégés au titre des Monuments Historiques",
        "uri": f"https://www.data.gouv.fr/api/1/datasets/{SLUG}/",
    }
    return (json.dumps(dataset, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --- Manifest and README ------------------------------------------------------------------


def build_manifest(extra: Sequence[dict[str, str]] = ()) -> bytes:
    entries = [
        {
            "url": DATASET_URL,
            "file": DATASET_FILE,
            "content_type": "application/json",
            "last_modified": _http_date(DATASET_LAST_MODIFIED),
        },
        {
            "url": EPCI_URL,
            "file": EPCI_FILE,
            "content_type": "application/json; charset=utf-8",
        },
        {
            "url": EPCI_INFO_URL,
            "file": EPCI_INFO_FILE,
            "content_type": "application/json; charset=utf-8",
        },
        {
            "url": CSV_URL,
            "file": CSV_FILE,
            "content_type": "text/csv",
            "last_modified": _http_date(CSV_LAST_MODIFIED),
        },
        *extra,
    ]
    manifest = {"note": MANIFEST_NOTE, "entries": entries}
    return (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


_TRAP_TEXT = {
    "pipe_in_field": "a literal pipe (`\\|`) inside the quoted `Titre_editorial_de_la_notice`",
    "multiple_cog_codes": "two COG codes joined: `63113;63075` (communes joined likewise)",
    "empty_cog_name_fallback": "empty COG code; `Commune_forme_index` = `Cendre (Le)`, "
    "`Commune_forme_editoriale` = `Le Cendre`",
    "cog_outside_name_member": "COG code `63808` (not a member) with the name `Royat`",
    "empty_coordinates": "`coordonnees_au_format_WGS84` empty",
    "zero_coordinates": 'coordinates `0,0` (POP\'s "no position")',
    "swapped_coordinates": "coordinates written `lon,lat` (outside France once parsed)",
    "protection_year_only": "`1862 : classé MH`",
    "protection_without_date": "`inscrit MH` (no date)",
    "protection_malformed": "`classé MH partiellement:2017/05/10:inscrit MH`",
    "protection_partial": "`Typologie_de_la_protection` = `inscrit MH partiellement`",
    "statut_etat_accent": "`propriété de l'État ; …`, `Dossier de protection`",
    "statut_etat_no_accent": "`propriété de l'Etat ; …`, `dossier de protection`",
    "statut_etat_typographic": "`propriété de l’État ; …` (typographic apostrophe)",
    "denomination_capitalised": "`Denomination_de_l_edifice` = `Eglise`",
    "denomination_lower_case": "`Denomination_de_l_edifice` = `église`",
    "duplicate_reference": "appears twice; the second copy differs only by a later "
    "`Date_de_la_derniere_mise_a_jour` (2026-11-19, later than the first copy's)",
    "protection_one_digit_month": "`1926/3/12 : classé MH` (one-digit month): "
    "first protection 1926",
    "protection_classe_then_partly_inscrit": "empty `Typologie_de_la_protection`, history "
    "`1926/03/12 : classé MH;1994/07/08 : inscrit MH partiellement`: « classé et inscrit », "
    "partial",
    "authors_with_fragments": "`Auteur_de_l_edifice` with two `dit` fragments, kept whole "
    "and in order",
    "duplicate_newer_elsewhere": "its newer copy (2026-11-19) sits in Riom (63300), the last "
    "row of the file: resolved nationally, the notice left the territory and is **not published**",
    "far_away_coordinates": "Clermont-Ferrand's code with a point in La Réunion: published with "
    "`coordonnees_douteuses = true`, left out of the GeoJSON",
    "namesake_without_code_or_departement": "`Beaumont` with no code nor département and a "
    "point in Beaumont (Haute-Savoie): **not published**, reported as `homonyme_ecarte`",
    "code_name_disagree": "Clermont-Ferrand's code with the name `Royat`: published in "
    "Clermont-Ferrand, reported as `nom_commune_divergent`",
    "empty_reference": "a full notice with an empty `Reference`: **quarantined** by the source "
    "suite, named by its line",
    "malformed_reference": "reference `PA0009102X`: **quarantined** (TableSchema pattern)",
    "empty_title": "empty `Titre_editorial_de_la_notice`: **quarantined** (TableSchema required)",
    "implausible_protection_year": "`2206/03/12 : inscrit MH`: published, reported by a warning "
    "(year after the current one)",
    "empty_line": 'a row whose 78 fields are all `""` (no reference), halfway through the '
    "territory's regular notices",
}
LEFT_OUT = (
    "duplicate_newer_elsewhere",
    "namesake_without_code_or_departement",
    "malformed_reference",
    "empty_title",
)
"""Trap notices of part 1 that the run does not publish (the empty reference has no key)."""


def build_readme(
    inside: list[dict[str, str]],
    outside: list[dict[str, str]],
    territory: list[Commune],
    sections: Sequence[str] = (),
) -> bytes:
    rows = inside + outside
    references = [row["Reference"] for row in rows if row["Reference"]]
    territory_codes = {commune.code for commune in territory}
    in_part_one = {row["Reference"] for row in inside if row["Reference"]}
    left_out = {trap_reference(t) for t in LEFT_OUT if t != "malformed_reference"} | {
        r for r in in_part_one if r.endswith("X")
    }
    published = sorted(r for r in in_part_one if r not in left_out)
    trap_lines = []
    for trap in TRAPS:
        if trap in ("empty_line", "empty_reference"):
            reference = "(none)"
        elif trap == "malformed_reference":
            reference = f"`{trap_reference(trap)[:-1]}X`"
        else:
            reference = f"`{trap_reference(trap)}`"
        trap_lines.append(f"| {reference} | `{trap}` | {_TRAP_TEXT[trap]} |")
    others = ", ".join(f"{c.nom} ({c.code})" for c in OTHER_COMMUNES)
    text = f"""# Offline snapshot: SAMPLE data in the real upstream formats

**Every record of the data files in this folder is a SAMPLE record, not a real one**:
the Mérimée notices, the Muséofile museums and the collectivité's museum hours, the museum
attendance, the remarkable gardens, the ACR buildings and the natural sites (ZNIEFF, Natura
2000) are invented by the seeded generators of `tests/samples/` (one module per source
family). Each dataset's section below
lists its traps by identifier and what a run does with each. The two museum files are drawn
independently: the attendance sample's museum identifiers (`M50xx`) are not those of the
Muséofile sample (`M90xx`, `M91xx`).

The Mérimée notices are invented by `tests/samples/merimee.py`; only their *format*
(separator, quoting, column names and order, value shapes, known data-quality defects)
follows the real file published on data.gouv.fr. Titles of a few well-known monuments are
reused, but every date, protection, owner, text and coordinate is made up. The other
responses (data.gouv.fr dataset metadata, geo.api.gouv.fr communes) follow the real API
shapes; their identifiers and territory values are real (dataset, organisation and CSV
resource ids, INSEE codes, SIREN, postal codes, populations), while counters, checksums of
files not shipped, logos and similar details are invented.

`manifest.json` maps each absolute URL (query included) to a file; the offline mode
answers GET requests from it through `patrimoine/http/mirror.py` (`MirrorTransport`), so
an offline run parses exactly what a live run would.

- `{DATASET_URL}`
  → `{DATASET_FILE}`: data.gouv.fr API v1 dataset `{DATASET_ID}`, resources in full.
  The **GeoJSON resource comes first** (its file is not shipped: its size and checksum
  are invented), then the CSV resource `{CSV_RESOURCE_ID}`, whose `checksum` (sha1) and
  `filesize` are those of the shipped CSV.
- `{CSV_URL}`
  → `{CSV_FILE}`: the Mérimée CSV, {len(rows)} data rows ({len(set(references))} distinct
  references).
- `{EPCI_URL}`
  → `{EPCI_FILE}`: the {len(territory)} communes of Clermont Auvergne Métropole (EPCI
  {EPCI}) with geo.api's default fields and their **real contours** (IGN Admin Express
  COG, simplified: `inputs/contours-clermont-auvergne-metropole.geojson`, whose `source`
  field says how), so point in polygon runs on real borders. The sample notices'
  coordinates are drawn inside their commune's real contour.
- `{EPCI_INFO_URL}`
  → `{EPCI_INFO_FILE}`: the EPCI's name, as geo.api answers `fields=nom`
  (used in dataset titles).

`inputs/territory-clermont-auvergne-metropole.csv` and
`inputs/contours-clermont-auvergne-metropole.geojson` are the territory references the
script reads (copies of the shared reference files); the mirror does not serve them.

## The Mérimée CSV

Format of the real file: `|` separator, UTF-8 without BOM, LF line ends, unquoted header,
every data field quoted, empty values `""`, {len(MERIMEE_HEADER)} columns.

Rows, in order:

1. the territory sample: `sample_rows(<{len(territory)} communes>, {TERRITORY_PER_COMMUNE}, \
seed={TERRITORY_SEED})`, i.e. {len(TRAPS) - 1} trap notices, then {TERRITORY_PER_COMMUNE} \
notices per commune (an all-empty row halfway through them), then the second copy of the \
duplicated reference and the newer copy of `duplicate_newer_elsewhere` (in Riom);
2. notices the territory filter must drop: `sample_rows(OTHER_COMMUNES, {OTHER_PER_COMMUNE}, \
seed={OTHER_SEED}, ref_start={OTHER_REF_START}, traps=False)`, {OTHER_PER_COMMUNE} notices \
in each of: {others}. They include other communes of the Puy-de-Dôme, a commune whose name
is a member's name in another département (Beaumont, 74) and a near-homonym
(Lempdes-sur-Allagnon, 43).

Expected result: **{len(published)} published notices**: the {len(in_part_one)} distinct
references of part 1 (the duplicate counted once, the empty row dropped), minus the
{len(left_out)} trap notices marked **not published** or **quarantined** below; none of
part 2. The notice without a reference is quarantined too (it has no key).
Territory codes: {", ".join(sorted(territory_codes))}.

### Trap notices

| Reference | Trap | What the notice carries |
|---|---|---|
{chr(10).join(trap_lines)}

{chr(10).join(sections)}
## Regenerate

    .venv/bin/python scripts/make_snapshot.py

The script is deterministic: re-running it reproduces byte-identical files (a test checks
that the committed snapshot matches a fresh build). Change the generator or the parameters
at the top of the script, re-run it, and commit the result.
"""
    return text.encode("utf-8")


# --- Entry point -----------------------------------------------------------------------------


def build_snapshot(out_dir: Path, territory_csv: Path = TERRITORY_CSV) -> list[Path]:
    """Write every snapshot file under ``out_dir``; return the paths written."""
    records = _territory_records(territory_csv)
    territory = territory_with_contours(territory_csv)
    inside, outside = build_rows(territory)

    csv_path = out_dir / CSV_FILE
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    write_merimee_csv(inside + outside, csv_path)
    csv_bytes = csv_path.read_bytes()

    samples: list[SnapshotDataset] = []
    inputs: dict[str, bytes] = {}
    sections: list[str] = []
    mirrored: list[dict[str, str]] = []
    mirrored_files: dict[str, bytes] = {}
    for module_name in SAMPLE_MODULES:
        module = importlib.import_module(module_name)
        if hasattr(module, "snapshot_dataset"):
            samples.append(module.snapshot_dataset(territory))
        if hasattr(module, "snapshot_inputs"):
            inputs.update({f"inputs/{k}": v for k, v in module.snapshot_inputs(territory).items()})
        if hasattr(module, "mirror_files"):
            for url, relative, content_type, content in module.mirror_files(territory):
                mirrored.append({"url": url, "file": relative, "content_type": content_type})
                mirrored_files[relative] = content
        sections.append(module.readme_section(territory))

    outputs: dict[str, bytes] = {
        DATASET_FILE: build_dataset_json(hashlib.sha1(csv_bytes).hexdigest(), len(csv_bytes)),
        EPCI_FILE: build_epci_geojson(records, territory),
        # geo.api answers /epcis/{code}?fields=nom with the requested field and the code.
        EPCI_INFO_FILE: (
            json.dumps({"nom": EPCI_NAME, "code": EPCI}, ensure_ascii=False) + "\n"
        ).encode("utf-8"),
        "manifest.json": build_manifest(
            [*(e for s in samples for e in manifest_entries(s)), *mirrored]
        ),
        "README.md": build_readme(inside, outside, territory, sections),
        **{s.api_path: dataset_json(s) for s in samples},
        **{s.file_path: s.content for s in samples},
        **inputs,
        **mirrored_files,
    }
    written = [csv_path]
    for relative, content in outputs.items():
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument(
        "--territory", type=Path, default=TERRITORY_CSV, help="territory reference CSV"
    )
    args = parser.parse_args(argv)
    written = build_snapshot(args.out, args.territory)
    total = sum(path.stat().st_size for path in written)
    for path in written:
        print(f"{path.stat().st_size:>8}  {path.relative_to(args.out)}")
    print(f"{total:>8}  total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
