"""Muséofile (musées de France) records into the published table, with the collectivité's hours.

Input: the data.gouv.fr CSV (``|``, capitalised headers such as ``Identifiant``,
``Nom_officiel``, ``Ville``, ``Coordonnees``) or an ODS export (lower-case names, ``;``);
headers are read at run time. Output: one row per ``Identifiant``, typed, in the order of the
dataset's TableSchema, and the territory's raw records for the source suite.

Muséofile has no INSEE column, so the commune comes from the point first (the commune whose
contour holds it), then from the town name inside the département the address declares
(``Departement``, else the postal code). A town name alone proves nothing (there are
Beaumonts all over France), and a point far from the town the address names is a geocoding
error: the museum stays in its town, its point off the map. As in Mérimée, duplicates are
resolved on the whole national file before the territory is selected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from patrimoine.catalog import DatasetEntry
from patrimoine.territory import Commune, Territory
from patrimoine.transforms.communes import (
    BY_NAME,
    NAMESAKE_REJECTED,
    POINT_OUTSIDE_COMMUNE,
    Assignment,
    CommuneMatcher,
)
from patrimoine.transforms.coordinates import Point, locate_point
from patrimoine.transforms.dates import iso_date
from patrimoine.transforms.dedupe import latest_per_key
from patrimoine.transforms.departements import departement_code
from patrimoine.transforms.fields import BLOCKING, REQUIRED, WARNING, SourceField
from patrimoine.transforms.hours import attach_hours
from patrimoine.transforms.reader import Columns, read_columns
from patrimoine.transforms.result import TransformResult, source_records
from patrimoine.transforms.stats import TransformStats
from patrimoine.transforms.text import clean, join_multi, split_multi

POP_NOTICE_URL = "https://pop.culture.gouv.fr/notice/museo/{identifiant}"
HOURS_SUPPLEMENT = "horaires"
"""The catalog's ``[source.supplements.horaires]``: the collectivité's opening hours."""

FIELDS: dict[str, SourceField] = {
    "identifiant": SourceField(("Identifiant", "identifiant", "ref"), REQUIRED),
    "nom": SourceField(("Nom_officiel", "nom_officiel", "nomoff"), BLOCKING),
    "adresse": SourceField(("Adresse", "adresse", "adrl1_m"), WARNING),
    "lieu": SourceField(("Lieu", "lieu", "lieu_m"), WARNING),
    "code_postal": SourceField(("Code_Postal", "code_postal", "cp_m"), WARNING),
    "ville": SourceField(("Ville", "ville", "ville_m"), REQUIRED),
    "departement": SourceField(("Departement", "departement", "dpt"), WARNING),
    "url": SourceField(("URL", "url", "url_m", "site_web"), WARNING),
    "telephone": SourceField(("Telephone", "telephone", "tel_m"), WARNING),
    "categorie": SourceField(("Categorie", "categorie", "categ"), WARNING),
    "domaine_thematique": SourceField(("Domaine_thematique", "dompal"), WARNING),
    "protection_batiment": SourceField(("Protection_batiment", "protection_batiment"), WARNING),
    "refmer": SourceField(("Refmer", "refmer"), WARNING),
    "date_maj": SourceField(("Date_de_mise_a_jour", "date_de_mise_a_jour", "dmaj"), WARNING),
    "coordonnees": SourceField(("Coordonnees", "coordonnees", "geolocalisation"), BLOCKING),
}

# Remarks this transform adds to the shared ones (labels in patrimoine/transforms/stats.py).
DUPLICATE_ID = "identifiant_en_double"
INVALID_URL = "url_invalide"
INVALID_MERIMEE_REF = "reference_merimee_invalide"
UNKNOWN_TOWN = "ville_non_reconnue"

_REF_SPLIT = re.compile(r"[;,\s]+")
# PA… (monuments historiques) and IA… (Inventaire) have 8 characters after the prefix
# (2A/2B for Corsica); the other Mérimée producers (MI184, SPR7600054…) use shorter numbers.
_MERIMEE_REF = re.compile(r"^(?:(?:PA|IA)(?:\d{8}|2[AB]\d{6})|(?!PA|IA)[A-Z]{2,4}\d{1,10})$")
_HOST = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?::\d{1,5})?$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_TRAILING_URL = re.compile(r"\s*(?:https?://|www\.)\S*\s*$", re.IGNORECASE)
_POSTCODE = re.compile(r"^(\d{2})\s?(\d{3})$")
_DEPARTEMENT_CODE = re.compile(r"^(?:\d{2,3}|2[AB])$", re.IGNORECASE)


@lru_cache(maxsize=4096)
def declared_departements(departement: str, postcode: str) -> tuple[str, ...]:
    """Départements the address declares: the ``Departement`` column (name or code), then
    the postal code's (``63000`` → 63; ``20…`` → 2A and 2B; ``97…`` → three digits)."""
    found: list[str] = []
    text = clean(departement)
    if _DEPARTEMENT_CODE.match(text):
        found.append(text.upper().zfill(2))
    elif text:
        code = departement_code(text)
        if code:
            found.append(code)
    match = _POSTCODE.match(clean(postcode))
    if match:
        digits = match.group(1) + match.group(2)
        if digits.startswith("20"):
            found.extend(["2A", "2B"])
        elif digits.startswith(("97", "98")):
            found.append(digits[:3])
        elif digits[:2] != "00":
            found.append(digits[:2])
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=1 << 12)
def normalise_url(raw: str) -> tuple[str, bool]:
    """(published URL, valid): ``https://`` added when the scheme is missing; "" if invalid."""
    text = clean(raw)
    if not text:
        return "", True
    candidate = text if _SCHEME.match(text) else f"https://{text.removeprefix('//')}"
    parts = urlsplit(candidate)
    if (
        any(c.isspace() for c in candidate)
        or parts.scheme.lower() not in ("http", "https")
        or not _HOST.match(parts.netloc)
    ):
        return "", False
    return candidate, True


@lru_cache(maxsize=1 << 12)
def merimee_references(raw: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(well-formed Mérimée references in order, malformed ones) of a ``Refmer`` value."""
    good: list[str] = []
    bad: list[str] = []
    for part in _REF_SPLIT.split(clean(raw).upper()):
        if not part:
            continue
        (good if _MERIMEE_REF.match(part) else bad).append(part)
    return tuple(dict.fromkeys(good)), tuple(bad)


@lru_cache(maxsize=1 << 12)
def themes(raw: str) -> str:
    """``Domaine_thematique`` as a ``;`` list: the CSV's ``a;b`` or an ODS JSON array."""
    text = clean(raw)
    values: list[str] = []
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            values = [clean(str(v)) for v in parsed if clean(str(v))]
    if not values:
        values = split_multi(text)
    return join_multi(dict.fromkeys(values))


@lru_cache(maxsize=1 << 12)
def protection_text(raw: str) -> str:
    """``Protection_batiment`` without the link some records end with."""
    text = clean(raw)
    while True:
        stripped = _TRAILING_URL.sub("", text).rstrip(" :;,-–")
        if stripped == text:
            return text
        text = stripped


@lru_cache(maxsize=1 << 12)
def telephone(raw: str) -> str:
    """A French 10-digit number written in pairs; anything else as given (cleaned)."""
    text = clean(raw)
    digits = re.sub(r"[\s.\-/]", "", text)
    if re.fullmatch(r"0\d{9}", digits):
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return text


def postcode(raw: str) -> str:
    text = clean(raw)
    match = _POSTCODE.match(text)
    return match.group(1) + match.group(2) if match else text


@dataclass(frozen=True)
class Place:
    """Where a museum is published: its commune and whether its point is trustworthy."""

    commune: Commune
    suspect: bool


class _Locator:
    """The territory assignment of museums, cached on the distinct location inputs."""

    def __init__(self, territory: Territory) -> None:
        self.matcher = CommuneMatcher(territory)
        self.postcodes = {p for c in territory.communes for p in c.codes_postaux}
        self.locate = lru_cache(maxsize=1 << 12)(self._locate)

    def _locate(self, ville: str, departements: tuple[str, ...], point: Point | None) -> Assignment:
        names = [ville] if ville else []
        at = (point.lat, point.lon) if point is not None else None
        found = self.matcher.assign([], names, departements, at)
        if found.commune is not None or NAMESAKE_REJECTED not in found.notes:
            return found
        # The point is far from the town the address names. With the département agreeing,
        # the address is right and the geocoding wrong (a museum of Clermont placed in Lyon):
        # keep the museum in its town, its point off the map.
        named = [c for c in self.matcher.by_names(names) if c.departement in departements]
        if len(named) == 1:
            return Assignment(named[0], BY_NAME, (POINT_OUTSIDE_COMMUNE,), point_suspect=True)
        return found


def transform(
    path: Path,
    entry: DatasetEntry,
    fields: Mapping[str, SourceField],
    territory: Territory | None,
    stats: TransformStats,
    supplements: Mapping[str, Path],
) -> TransformResult:
    """Published rows sorted by identifier; ``territory=None`` keeps every museum."""
    cols = read_columns(path, fields, stats)
    identifiers = [clean(v).upper() for v in cols["identifiant"]]
    updates = [iso_date(v) for v in cols["date_maj"]]
    candidates, displaced = latest_per_key(identifiers, updates, stats)
    points = {i: locate_point(cols["coordonnees"][i]) for i in candidates}
    locator = _Locator(territory) if territory is not None else None

    kept: list[int] = []
    places: dict[int, Place | None] = {}
    for i in candidates:
        label = identifiers[i] or f"ligne {cols.lines[i]}"
        line = cols.lines[i]
        point, point_note = points[i]
        if locator is None:
            kept.append(i)
            places[i] = None
            continue
        ville = clean(cols["ville"][i])
        departements = declared_departements(cols["departement"][i], cols["code_postal"][i])
        usable = point if point_note != "hors_france" else None
        found = locator.locate(ville, departements, usable)
        if found.commune is None:
            stats.out_of_territory += 1
            for note in found.notes:
                stats.problem(note, line, label)
            if (
                usable is None
                and not found.notes
                and postcode(cols["code_postal"][i]) in locator.postcodes
                and not locator.matcher.by_names([ville] if ville else [])
            ):
                # An address of the territory whose town is no commune of it ("Clermont-Fd"):
                # without a point, only a person can tell where it is.
                stats.problem(UNKNOWN_TOWN, line, label)
            continue
        for note in found.notes:
            stats.problem(note, line, label)
        if found.method == BY_NAME and POINT_OUTSIDE_COMMUNE not in found.notes:
            stats.problem("commune_par_nom", line, label)
        if point_note:
            stats.problem(point_note, line, label)
        for j in displaced.get(i, []):
            stats.problem(DUPLICATE_ID, cols.lines[j], label)
        kept.append(i)
        places[i] = Place(found.commune, found.point_suspect or point_note == "hors_france")

    source = source_records(cols, kept, identifiers, fields)
    published = [i for i in kept if identifiers[i]]
    stats.kept = len(published)
    rows = _rows(entry, cols, published, identifiers, updates, points, places, stats, supplements)
    rows.sort(key=lambda r: r[0])
    return TransformResult(rows=rows, source=source)


def _rows(
    entry: DatasetEntry,
    cols: Columns,
    index: list[int],
    identifiers: list[str],
    updates: list[date | None],
    points: dict[int, tuple[Point | None, str | None]],
    places: dict[int, Place | None],
    stats: TransformStats,
    supplements: Mapping[str, Path],
) -> list[tuple[Any, ...]]:
    """The published rows, a column at a time; the hours are attached last, by identifier."""

    def column(name: str) -> list[str]:
        values = cols[name]
        return [values[i] for i in index]

    ids = [identifiers[i] for i in index]
    urls: list[str] = []
    for i, raw in zip(index, column("url"), strict=True):
        url, valid = normalise_url(raw)
        if not valid:
            stats.problem(INVALID_URL, cols.lines[i], identifiers[i])
        urls.append(url)
    references: list[str] = []
    for i, raw in zip(index, column("refmer"), strict=True):
        good, bad = merimee_references(raw)
        if bad:
            label = f"{identifiers[i]} : {', '.join(bad)}"
            stats.problem(INVALID_MERIMEE_REF, cols.lines[i], label)
        references.append(join_multi(good))
    kept_points = [points[i][0] for i in index]
    kept_places = [places[i] for i in index]
    hours = attach_hours(ids, supplements.get(HOURS_SUPPLEMENT), stats)
    values: dict[str, list[Any]] = {
        "identifiant_museofile": ids,
        "nom_officiel": [clean(v) for v in column("nom")],
        "adresse": [clean(v) for v in column("adresse")],
        "lieu": [clean(v) for v in column("lieu")],
        "code_postal": [postcode(v) for v in column("code_postal")],
        "commune": [
            p.commune.nom if p else clean(v)
            for p, v in zip(kept_places, column("ville"), strict=True)
        ],
        "code_insee": [p.commune.code if p else "" for p in kept_places],
        "departement": [
            p.commune.departement if p else next(iter(declared_departements(d, c)), "")
            for p, d, c in zip(
                kept_places, column("departement"), column("code_postal"), strict=True
            )
        ],
        "url": urls,
        "telephone": [telephone(v) for v in column("telephone")],
        "categorie": [clean(v) for v in column("categorie")],
        "domaines_thematiques": [themes(v) for v in column("domaine_thematique")],
        "protection_batiment": [protection_text(v) for v in column("protection_batiment")],
        "references_merimee": references,
        "horaires_texte": [h[0] for h in hours],
        "horaires_osm": [h[1] for h in hours],
        "latitude": [p.lat if p else None for p in kept_points],
        "longitude": [p.lon if p else None for p in kept_points],
        "coordonnees_douteuses": [
            (p.suspect if p else points[i][1] == "hors_france")
            for p, i in zip(kept_places, index, strict=True)
        ],
        "date_maj_notice": [updates[i] for i in index],
        "lien_pop": [POP_NOTICE_URL.format(identifiant=v) for v in ids],
    }
    return list(zip(*(values[name] for name in entry.column_names), strict=True))


__all__: Sequence[str] = [
    "FIELDS",
    "POP_NOTICE_URL",
    "declared_departements",
    "merimee_references",
    "normalise_url",
    "protection_text",
    "themes",
    "transform",
]
