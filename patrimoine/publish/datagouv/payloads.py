"""What patrimoine sends to data.gouv.fr, built from the metadata sheet and the rendered files.

Every payload is a pure function of its inputs, so its hash tells whether the portal
already has it (``state`` of :class:`~patrimoine.staging.portal_store.PortalDataset`).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from patrimoine.catalog import DatasetEntry
from patrimoine.publish.datagouv.sheet_markdown import dataset_description, documentation
from patrimoine.publish.render import RenderedFile

MARKER = "patrimoine:jeu"
"""Extra naming the catalog dataset: how an interrupted creation is recognised (not a title)."""
TAG_MIN, TAG_MAX = 3, 96
TITLE_LIMIT = 350
DOCUMENTATION = "documentation"


@dataclass(frozen=True)
class Resource:
    """One file with its stable role (``donnees-csv``…) and the metadata put after upload."""

    role: str
    file: RenderedFile
    kind: str
    """udata resource ``type``: ``main``, ``update`` (the changelog) or ``documentation``."""
    description: str
    schema: dict[str, Any] | None = None
    main_data: bool = False

    @property
    def sha1(self) -> str:
        return hashlib.sha1(self.file.content).hexdigest()

    def metadata(self) -> dict[str, Any]:
        """Sent after every upload (an upload resets the title to the file name)."""
        payload: dict[str, Any] = {
            "title": self.file.title[:TITLE_LIMIT],
            "description": self.description,
            "type": self.kind,
        }
        if self.main_data:
            payload["schema"] = self.schema  # None clears a schema set before
        return payload


TRANSLITERATE = str.maketrans({"µ": "u", "μ": "u", "ß": "ss", "æ": "ae", "œ": "oe"})
"""Letters NFKD does not reduce to ASCII (what a transliterating slugifier does)."""


def digest(payload: Any) -> str:
    """A stable hash of a JSON payload, kept to skip sending it again."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def slug_tag(word: str) -> str:
    """A tag as udata stores it (lower case, ASCII, dashes)."""
    ascii_text = (
        unicodedata.normalize("NFKD", word.translate(TRANSLITERATE))
        .encode("ascii", "ignore")
        .decode()
    )
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def tags(keywords: list[str]) -> list[str]:
    seen: list[str] = []
    for word in keywords:
        tag = slug_tag(word)
        if TAG_MIN <= len(tag) <= TAG_MAX and tag not in seen:
            seen.append(tag)
    return seen


def _date(value: Any, *, end: bool) -> str | None:
    """An ISO date from the sheet's bound: ``1840``, ``2024-05-01`` or ``01/05/2024``."""
    text = "" if value is None else str(value).strip()
    if re.fullmatch(r"\d{4}", text):
        return f"{text}-12-31" if end else f"{text}-01-01"
    if re.match(r"\d{4}-\d{2}-\d{2}", text):
        return text[:10]
    found = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", text)
    if found:
        return f"{found[3]}-{found[2]}-{found[1]}"
    return None


def temporal_coverage(sheet: dict[str, Any]) -> dict[str, Any] | None:
    coverage = sheet.get("couverture_temporelle") or {}
    start = _date(coverage.get("debut"), end=False)
    if start is None:
        return None
    return {"start": start, "end": _date(coverage.get("fin"), end=True)}


def spatial(sheet: dict[str, Any]) -> dict[str, Any]:
    """``fr:epci:<siren>`` for an EPCI territory, else its communes ``fr:commune:<insee>``."""
    coverage = sheet["couverture_spatiale"]
    key = str(coverage.get("identifiant") or "")
    if key.startswith("epci:"):
        zones = [f"fr:{key}"]
    else:
        zones = [f"fr:commune:{c['code_insee']}" for c in coverage["communes"]]
    return {"zones": zones, "granularity": "fr:commune"}


def dataset_payload(entry: DatasetEntry, sheet: dict[str, Any], *, private: bool) -> dict[str, Any]:
    """The dataset's metadata (``organization`` is added on creation only)."""
    payload: dict[str, Any] = {
        "title": sheet["titre"][:TITLE_LIMIT],
        "description": dataset_description(sheet),
        "license": sheet["licence"]["id"],
        "frequency": sheet["frequence"]["id"],
        "spatial": spatial(sheet),
        "tags": tags(list(sheet.get("mots_cles") or [])),
        "private": private,  # always explicit: an omitted flag has meant « public » before
        "extras": {MARKER: entry.name},
    }
    coverage = temporal_coverage(sheet)
    if coverage is not None:
        payload["temporal_coverage"] = coverage
    return payload


PUBLISHED_FORMATS = frozenset({"csv", "geojson", "png"})
"""What goes to data.gouv.fr: the data, the changelog, the maps and charts as pictures. Not
the interactive pages and their assets (udata refuses HTML uploads: 415), which the local
portal serves."""


def publishable(file: RenderedFile) -> bool:
    return file.format.lower() in PUBLISHED_FORMATS and "/" not in file.name


def role_of(entry: DatasetEntry, file: RenderedFile) -> str:
    if file.name == "changelog.csv":
        return "changelog"
    if file.name.endswith(".geojson"):
        return "donnees-geojson"
    if file.name.endswith(".csv"):
        return "donnees-csv"
    return file.name.rsplit(".", 1)[0]


_DESCRIPTIONS = {
    "donnees-csv": "Les données, une ligne par enregistrement (CSV UTF-8, séparateur virgule).",
    "donnees-geojson": "Les données localisées (GeoJSON RFC 7946, WGS84).",
    "changelog": "L'historique des changements de chaque publication (CSV).",
    DOCUMENTATION: "La fiche de métadonnées : colonnes, communes, sources, fichiers (markdown).",
}


def resources(
    entry: DatasetEntry,
    files: list[RenderedFile],
    sheet: dict[str, Any],
    schema_base_url: str,
) -> list[Resource]:
    """The dataset's resources in publication order, the documentation last."""
    base = schema_base_url.rstrip("/")
    schema = {"url": f"{base}/{entry.name}.json"} if base else None
    result = []
    for file in files:
        if not publishable(file):
            continue
        role = role_of(entry, file)
        picture = file.format.lower() == "png"
        result.append(
            Resource(
                role,
                file,
                "update" if role == "changelog" else "documentation" if picture else "main",
                _DESCRIPTIONS.get(role, file.title),
                schema=schema if role == "donnees-csv" else None,
                main_data=role == "donnees-csv",
            )
        )
    doc = RenderedFile(
        f"{entry.name}-documentation.txt",
        f"{sheet['titre']} (documentation)",
        "txt",
        "text/plain",
        documentation(sheet).encode("utf-8"),
    )
    result.append(Resource(DOCUMENTATION, doc, "documentation", _DESCRIPTIONS[DOCUMENTATION]))
    return result


__all__ = [
    "MARKER",
    "Resource",
    "dataset_payload",
    "digest",
    "publishable",
    "resources",
    "role_of",
    "spatial",
    "tags",
    "temporal_coverage",
]
