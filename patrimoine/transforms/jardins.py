"""Jardins remarquables (label of the Ministère de la Culture) into the published table.

Input: the national list on data.gouv.fr (dataset ``5ee2fe1cba88d5c5a1179ef2``, about 500
gardens, refreshed daily). Its shape has drifted and will again, so nothing is assumed
about it beyond the field names below:

- the separator is sniffed (``|`` ``;`` ``,`` tab) by the shared reader;
- the header is matched at run time ignoring case, accents, spaces, underscores and
  punctuation (``code id`` = ``code_id``, ``Année d'obtention`` = ``annee_d_obtention``),
  and each field accepts the spellings of every model seen: the ODS export (``code_id``,
  then ``identifiant_origine`` since the model change of 1 February 2023) and the later
  "base des lieux" model (``annee_obtention``, ``sites_internet`` seen in a jardins JSON;
  ``conditions_ouverture``, ``date_modification``, ``code_commune``… from the sister base
  des lieux culturels file);
- the list fields (types, links, accessibility, opening conditions) come as JSON text
  (``["…","…"]``) or ``;``-separated text, and are published as JSON lists;
- coordinates come as ``latitude``/``longitude`` strings, or in ``coordonnees_geographiques``
  as ``"lat, lon"`` or JSON ``{"lat": …, "lon": …}``; swapped pairs are put back.

Output: one row per garden, keyed on ``identifiant_origine`` or, when the source leaves it
empty, ``identifiant_deps`` (reported). Duplicates are resolved on the whole national file
first (the latest update wins), then the territory is selected by ``code_insee``, else by the
point in a commune's contour, else by the name inside the declared département (the shared
:class:`CommuneMatcher`); ``rattachement_commune`` says which, so a garden placed by its
point is never published as if the source had given its code.
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

from patrimoine.catalog import DatasetEntry
from patrimoine.territory import Territory
from patrimoine.transforms.communes import BY_CODE, BY_NAME, BY_POINT, Assignment, CommuneMatcher
from patrimoine.transforms.coordinates import Point, checked, parse_point
from patrimoine.transforms.dates import iso_date
from patrimoine.transforms.dedupe import latest_per_key
from patrimoine.transforms.fields import BLOCKING, REQUIRED, WARNING, SourceField
from patrimoine.transforms.reader import Columns, read_columns
from patrimoine.transforms.result import TransformResult, source_records
from patrimoine.transforms.stats import TransformStats
from patrimoine.transforms.text import clean, split_multi

FIELDS: dict[str, SourceField] = {
    "identifiant_origine": SourceField(("identifiant_origine", "code_id"), REQUIRED),
    "identifiant_deps": SourceField(("identifiant_deps",), BLOCKING),
    "nom_du_jardin": SourceField(("nom_du_jardin",), BLOCKING),
    "code_insee": SourceField(("code_insee", "code_commune"), REQUIRED),
    "commune": SourceField(("commune",), BLOCKING),
    "code_departement": SourceField(("code_insee_departement", "code_departement"), WARNING),
    "code_postal": SourceField(("code_postal",), WARNING),
    "adresse_complete": SourceField(("adresse_complete",), WARNING),
    "voie": SourceField(("numero_et_libelle_de_la_voie", "numero_et_libelle_voie"), WARNING),
    "latitude": SourceField(("latitude",), BLOCKING),
    "longitude": SourceField(("longitude",), BLOCKING),
    "coordonnees_geographiques": SourceField(
        ("coordonnees_geographiques", "coordonnees_geographiques_lieu"), WARNING
    ),
    "sites_internet": SourceField(("site_internet_et_autres_liens", "sites_internet"), WARNING),
    "types": SourceField(("types",), WARNING),
    "annee_obtention": SourceField(("annee_d_obtention", "annee_obtention"), WARNING),
    "description": SourceField(("description",), WARNING),
    "auteur": SourceField(("auteur_nom_de_l_illustre", "auteur_nom_illustre"), WARNING),
    "accessible_au_public": SourceField(("accessible_au_public",), WARNING),
    "conditions_ouverture": SourceField(
        ("conditions_d_ouverture", "conditions_ouverture"), WARNING
    ),
    "date_creation": SourceField(("date_de_creation", "date_creation"), WARNING),
    "date_maj": SourceField(("date_de_maj", "date_maj", "date_modification"), WARNING),
}

METHODS = {BY_CODE: "code_insee", BY_POINT: "coordonnees", BY_NAME: "nom"}
"""Published ``rattachement_commune`` for each way the matcher decided."""

LIST_FIELDS = ("types", "accessible_au_public", "conditions_ouverture", "sites_internet")

_NUMBER = re.compile(r"^\s*(-?\d{1,3}(?:[.,]\d+)?)\s*$")
_YEAR = re.compile(r"^(\d{4})(?:\.0+)?$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_BARE_HOST = re.compile(r"^(?:www\.)?[\w-]+(?:\.[\w-]+)+(?:[/?#]\S*)?$")


# --- Header ------------------------------------------------------------------------------


# --- Values ------------------------------------------------------------------------------


def _number(value: str) -> float | None:
    match = _NUMBER.match(value)
    return float(match.group(1).replace(",", ".")) if match else None


@lru_cache(maxsize=4096)
def parse_location(latitude: str, longitude: str, geo: str) -> Point | None:
    """The garden's point from ``latitude``/``longitude``, else ``coordonnees_geographiques``
    (``"lat, lon"`` or JSON ``{"lat", "lon"}``); no order is corrected here."""
    lat, lon = _number(latitude), _number(longitude)
    if lat is not None and lon is not None:
        return parse_point({"lat": lat, "lon": lon})
    text = geo.strip()
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError:
            return None
        return parse_point(value) if isinstance(value, dict) else None
    return parse_point(text)


@lru_cache(maxsize=4096)
def locate(latitude: str, longitude: str, geo: str) -> tuple[Point | None, str | None]:
    """The point (swapped pairs put back) and a data-quality note, as every dataset does."""
    return checked(parse_location(latitude, longitude, geo))


@lru_cache(maxsize=4096)
def parse_list(value: str) -> tuple[tuple[str, ...], bool]:
    """Items of a list field and whether its JSON was malformed.

    ``["a","b"]`` is JSON text; anything else is split on ``;``. A value that opens a JSON
    list but does not parse as a list of texts is kept whole as one item (and reported),
    rather than cut where a guess says.
    """
    text = clean(value)
    if not text:
        return (), False
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            return (text,), True
        if not isinstance(parsed, list) or not all(
            isinstance(v, str | int | float) or v is None for v in parsed
        ):
            return (text,), True
        items = (clean(str(v)) for v in parsed if v is not None)
        return tuple(dict.fromkeys(i for i in items if i)), False
    return tuple(dict.fromkeys(split_multi(text))), False


def normalise_url(value: str) -> str:
    """``www.jardin.fr`` → ``https://www.jardin.fr``; anything with a scheme, or that is not
    a bare host name, is kept as given."""
    if _SCHEME.match(value) or not _BARE_HOST.match(value):
        return value
    return f"https://{value}"


def parse_year(value: str) -> tuple[int | None, bool]:
    """The label year and whether a non-empty value could not be read."""
    text = clean(value)
    if not text:
        return None, False
    match = _YEAR.match(text)
    return (int(match.group(1)), False) if match else (None, True)


def _json_list(items: Sequence[str]) -> str | None:
    return json.dumps(list(items), ensure_ascii=False, separators=(",", ":")) if items else None


# --- Records -----------------------------------------------------------------------------


class _Assigner:
    """Territory assignment, cached on the distinct location inputs."""

    def __init__(self, territory: Territory) -> None:
        self.matcher = CommuneMatcher(territory)
        self.assign = lru_cache(maxsize=4096)(self._assign)

    def _assign(self, code: str, name: str, departement: str, point: Point | None) -> Assignment:
        at = (point.lat, point.lon) if point is not None else None
        return self.matcher.assign(
            [code] if code else [], [name] if name else [], [departement] if departement else [], at
        )


@dataclass(frozen=True)
class _Place:
    """Where a kept garden is published: its commune and how it was found."""

    code: str
    nom: str
    method: str | None
    suspect: bool


def transform(
    path: Path,
    entry: DatasetEntry,
    fields: Mapping[str, SourceField],
    territory: Territory | None,
    stats: TransformStats,
    supplements: Mapping[str, Path],
) -> TransformResult:
    """Published rows sorted by identifier; ``territory=None`` keeps every garden."""
    cols = read_columns(path, fields, stats)
    origine = [clean(v) for v in cols["identifiant_origine"]]
    deps = [clean(v) for v in cols["identifiant_deps"]]
    keys = [o or d for o, d in zip(origine, deps, strict=True)]
    updates = [iso_date(v) for v in cols["date_maj"]]
    candidates, displaced = latest_per_key(keys, updates, stats)
    for winner, copies in displaced.items():
        for copy in copies:
            stats.problem("jardin_en_double", cols.lines[copy], keys[winner])

    assigner = _Assigner(territory) if territory is not None else None
    kept: list[int] = []
    places: list[_Place] = []
    points: dict[int, Point | None] = {}
    for i in candidates:
        point, point_note = locate(
            cols["latitude"][i], cols["longitude"][i], cols["coordonnees_geographiques"][i]
        )
        code, name = clean(cols["code_insee"][i]), clean(cols["commune"][i])
        label = keys[i] or f"ligne {cols.lines[i]}"
        line = cols.lines[i]
        if assigner is None:
            method = METHODS[BY_CODE] if code else None
            place = _Place(code, name, method, point_note == "hors_france")
        else:
            found = assigner.assign(code, name, clean(cols["code_departement"][i]), point)
            for note in found.notes:
                stats.problem(note, line, label)
            if found.commune is None:
                stats.out_of_territory += 1
                continue
            method = found.method or ""
            if method != BY_CODE:
                stats.problem(f"commune_par_{method}", line, label)
            place = _Place(
                found.commune.code,
                found.commune.nom,
                METHODS.get(method),
                found.point_suspect or point_note == "hors_france",
            )
        if point_note:
            stats.problem(point_note, line, label)
        if not origine[i] and deps[i]:
            stats.problem("identifiant_origine_absent", line, label)
        kept.append(i)
        places.append(place)
        points[i] = point

    source = source_records(cols, kept, keys, fields)
    published = [(i, p) for i, p in zip(kept, places, strict=True) if keys[i]]
    stats.kept = len(published)
    rows = _rows(entry, cols, published, keys, origine, deps, updates, points, stats)
    rows.sort(key=lambda r: str(r[0]))
    return TransformResult(rows=rows, source=source)


def _rows(
    entry: DatasetEntry,
    cols: Columns,
    published: list[tuple[int, _Place]],
    keys: list[str],
    origine: list[str],
    deps: list[str],
    updates: list[date | None],
    points: dict[int, Point | None],
    stats: TransformStats,
) -> list[tuple[Any, ...]]:
    """The published rows, in the TableSchema's column order; unreadable values reported."""
    rows: list[tuple[Any, ...]] = []
    for i, place in published:
        line, key = cols.lines[i], keys[i]
        lists: dict[str, tuple[str, ...]] = {}
        for name in LIST_FIELDS:
            items, malformed = parse_list(cols[name][i])
            if malformed:
                stats.problem("liste_json_mal_formee", line, f"{key} ({name})")
            lists[name] = items
        year, unreadable = parse_year(cols["annee_obtention"][i])
        if unreadable:
            stats.problem("annee_obtention_illisible", line, key)
        created = iso_date(cols["date_creation"][i])
        if (created is None and clean(cols["date_creation"][i])) or (
            updates[i] is None and clean(cols["date_maj"][i])
        ):
            stats.problem("date_jardin_illisible", line, key)
        point = points[i]
        values: dict[str, Any] = {
            "identifiant": key,
            "identifiant_origine": origine[i] or None,
            "identifiant_deps": deps[i] or None,
            "nom_du_jardin": clean(cols["nom_du_jardin"][i]),
            "code_insee": place.code,
            "commune": place.nom,
            "rattachement_commune": place.method,
            "code_postal": clean(cols["code_postal"][i]),
            "adresse": clean(cols["adresse_complete"][i]) or clean(cols["voie"][i]),
            "types": _json_list(lists["types"]),
            "annee_obtention": year,
            "description": clean(cols["description"][i]),
            "auteur": clean(cols["auteur"][i]),
            "accessible_au_public": _json_list(lists["accessible_au_public"]),
            "conditions_ouverture": _json_list(lists["conditions_ouverture"]),
            "sites_internet": _json_list([normalise_url(u) for u in lists["sites_internet"]]),
            "latitude": point.lat if point else None,
            "longitude": point.lon if point else None,
            "coordonnees_douteuses": place.suspect,
            "date_creation": created,
            "date_maj": updates[i],
        }
        rows.append(tuple(values[name] for name in entry.column_names))
    return rows


__all__: Sequence[str] = [
    "FIELDS",
    "LIST_FIELDS",
    "METHODS",
    "locate",
    "normalise_url",
    "parse_list",
    "parse_location",
    "parse_year",
    "transform",
]
