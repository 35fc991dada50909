"""Mérimée (monuments historiques) notices into the published table.

Input: the data.gouv.fr CSV (``|``, capitalised headers) or an ODS export (snake_case,
``;``); headers are read at run time. Output: one row per ``Reference``, typed, in the
order of the dataset's TableSchema.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import date
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from patrimoine.catalog import DatasetEntry
from patrimoine.territory import Territory
from patrimoine.transforms.coordinates import Point, parse_point
from patrimoine.transforms.dates import iso_date, protection_history, protection_status
from patrimoine.transforms.reader import read_columns
from patrimoine.transforms.stats import TransformStats
from patrimoine.transforms.text import clean, join_multi, split_multi, vocabulary

log = logging.getLogger(__name__)

POP_NOTICE_URL = "https://pop.culture.gouv.fr/notice/merimee/{reference}"

# Canonical source field -> accepted header spellings, compared lower-cased; the first one
# is the data.gouv.fr spelling, used in error messages.
FIELDS: dict[str, tuple[str, ...]] = {
    "reference": ("Reference", "reference_de_la_notice_merimee"),
    "titre": ("Titre_editorial_de_la_notice",),
    "denomination": ("denomination_de_l_edifice", "denomination"),
    "domaine": ("domaine",),
    "commune_editoriale": ("commune_forme_editoriale", "commune"),
    "commune_index": ("commune_forme_index",),
    "cog": ("COG_Insee_lors_de_la_protection", "code_insee"),
    "departement": ("Departement_format_numerique",),
    "adresse": ("adresse_forme_editoriale", "adresse"),
    "lieudit": ("lieudit",),
    "cadastre": ("cadastre",),
    "siecles": ("siecle_de_la_campagne_principale_de_construction",),
    "siecles_secondaires": ("siecle_de_campagne_secondaire_de_construction",),
    "datation": ("datation_de_l_edifice",),
    "auteurs": ("auteur_de_l_edifice",),
    "statut_juridique": ("statut_juridique_de_l_edifice", "statut_juridique"),
    "nature_protection": ("nature_de_la_protection",),
    "typologie_protection": ("typologie_de_la_protection",),
    "historique_protection": ("date_et_typologie_de_la_protection",),
    "precision_protection": ("precision_de_la_protection",),
    "coordonnees": ("coordonnees_au_format_wgs84", "geo_point_2d"),
    "precision_localisation": ("precision_de_la_localisation",),
    "date_creation": ("date_de_creation_de_la_notice",),
    "date_maj": ("date_de_la_derniere_mise_a_jour",),
}
REQUIRED = ("reference", "titre", "cog")

_COG_SPLIT = re.compile(r"[,;\s]+")


def _current_status(typology: str, events: tuple[Any, ...]) -> tuple[str, bool]:
    parts = split_multi(typology) or [e.raw for e in events[-1:]]
    statuses = [protection_status(p) for p in parts]
    kinds = {s for s, _ in statuses if s in ("classé", "inscrit")}
    partial = any(p for _, p in statuses)
    if kinds == {"classé", "inscrit"}:
        return "classé et inscrit", partial
    if kinds:
        return kinds.pop(), partial
    return ("autre" if parts else ""), partial


@lru_cache(maxsize=1 << 16)
def _protection_facts(
    history: str, typology: str
) -> tuple[str, bool, int | None, date | None, str]:
    """Status, partial flag, first protection (year, day) and the JSON history of a notice.

    Cached: the national file repeats these strings a lot.
    """
    events = protection_history(history)
    status, partial = _current_status(clean(typology), events)
    first = next((e for e in events if e.year is not None), None)
    # The first *dated* act counts only if it is the first act (not a later one).
    first_day = first.day if first else None
    protections = json.dumps([e.to_json() for e in events], ensure_ascii=False)
    return status, partial, (first.year if first else None), first_day, protections


def _same_departement(departement: str, cog_codes: list[str], declared: str) -> bool:
    """A name match counts only within the commune's département (codes or declared one)."""
    if cog_codes:
        return any(code.startswith(departement) for code in cog_codes)
    declared_codes = [d for d in re.split(r"[;,\s]+", declared or "") if d]
    return not declared_codes or departement in declared_codes


def _assign(
    territory: Territory | None, cog: str, editorial: str, index: str, declared: str
) -> tuple[str, str, str | None] | None:
    """(code, name, note) of the notice's commune in the territory, or None to drop it.

    ``note`` is a data-quality remark: found by name only, or name disagreeing with the code.
    """
    if territory is None:
        return _COG_SPLIT.split(cog.strip(), maxsplit=1)[0], clean(editorial or index), None
    cog_codes = [c for c in _COG_SPLIT.split(cog) if c]
    names = [n for n in (clean(editorial), clean(index)) if n]
    commune = territory.by_codes(cog_codes)
    by_name = territory.by_name(*names)
    if by_name is not None and not _same_departement(by_name.departement, cog_codes, declared):
        by_name = None  # a namesake elsewhere in France (Beaumont 63 / Beaumont 74)
    if commune is None:
        if by_name is None:
            return None
        return by_name.code, by_name.nom, "commune_par_nom"
    note = "nom_commune_divergent" if by_name is None and names else None
    return commune.code, commune.nom, note


def _coordinates(raw: str) -> tuple[float | None, float | None, bool, str | None]:
    """(lat, lon, outside France, note): swapped pairs are put back, foreign ones dropped."""
    point = parse_point(raw)
    if point is None:
        return None, None, False, "sans_coordonnees"
    if point.in_france:
        return point.lat, point.lon, False, None
    swapped = Point(point.lon, point.lat)
    if swapped.in_france:
        return swapped.lat, swapped.lon, False, "coordonnees_inversees"
    return None, None, True, "hors_france"


def _multi(values: list[str]) -> list[str]:
    return [join_multi(split_multi(v)) if v else "" for v in values]


def _keep_latest(
    references: list[str], updates: list[date | None], stats: TransformStats
) -> list[int]:
    """Indexes of one row per reference (the latest update wins), in reference order."""
    best: dict[str, int] = {}
    for i, reference in enumerate(references):
        previous = best.get(reference)
        if previous is None:
            best[reference] = i
            continue
        stats.duplicates += 1
        if (updates[i] or date.min) > (updates[previous] or date.min):
            best[reference] = i
    return [best[r] for r in sorted(best)]


def transform(
    path: Path, entry: DatasetEntry, territory: Territory | None, stats: TransformStats
) -> list[tuple[Any, ...]]:
    """Published rows sorted by reference; ``territory=None`` keeps every notice.

    Works a column at a time with cached helpers: the national file (46,760 notices) repeats
    most values, so each distinct value is normalised once.
    """
    cols = read_columns(path, FIELDS, REQUIRED, stats)
    references = [clean(r).upper() for r in cols["reference"]]
    keep: list[int] = []
    communes: list[tuple[str, str]] = []
    assign = (
        partial(_assign, None)
        if territory is None
        else lru_cache(maxsize=1 << 16)(partial(_assign, territory))
    )
    for i, reference in enumerate(references):
        line = cols.lines[i]
        if not reference:
            stats.problem("reference_vide", line)
            continue
        found = assign(
            cols["cog"][i],
            cols["commune_editoriale"][i],
            cols["commune_index"][i],
            cols["departement"][i],
        )
        if found is None:
            stats.out_of_territory += 1
            continue
        code, nom, note = found
        if note:
            stats.problem(note, line)
            if note == "commune_par_nom":
                log.info(
                    "%s : commune retrouvée par son nom « %s » (code %s)",
                    reference,
                    nom,
                    cols["cog"][i] or "absent",
                )
        keep.append(i)
        communes.append((code, nom))

    def column(name: str) -> list[str]:
        values = cols[name]
        return [values[i] for i in keep]

    updates = [iso_date(v) for v in column("date_maj")]
    chosen = _keep_latest([references[i] for i in keep], updates, stats)
    stats.kept = len(chosen)
    kept_lines = [cols.lines[i] for i in keep]
    facts = [
        _protection_facts(h, t)
        for h, t in zip(
            column("historique_protection"), column("typologie_protection"), strict=True
        )
    ]
    points = [_coordinates(c) for c in column("coordonnees")]
    for line, point in zip(kept_lines, points, strict=True):
        if point[3]:
            stats.problem(point[3], line)
    kept_refs = [references[i] for i in keep]
    published: dict[str, list[Any]] = {
        "reference": kept_refs,
        "titre": [clean(v) for v in column("titre")],
        "denomination": [vocabulary(v) for v in column("denomination")],
        "domaine": [vocabulary(v) for v in column("domaine")],
        "code_insee": [c for c, _ in communes],
        "commune": [n for _, n in communes],
        "adresse": [clean(v) for v in column("adresse")],
        "lieudit": [clean(v) for v in column("lieudit")],
        "cadastre": [clean(v) for v in column("cadastre")],
        "siecles": [
            join_multi(dict.fromkeys(split_multi(a) + split_multi(b)))
            for a, b in zip(column("siecles"), column("siecles_secondaires"), strict=True)
        ],
        "datation": _multi(column("datation")),
        "auteurs": _multi(column("auteurs")),
        "statut_juridique": [vocabulary(v) for v in column("statut_juridique")],
        "nature_protection": [vocabulary(v) for v in column("nature_protection")],
        "statut_protection": [f[0] for f in facts],
        "protection_partielle": [f[1] for f in facts],
        "date_premiere_protection": [f[3] for f in facts],
        "annee_premiere_protection": [f[2] for f in facts],
        "protections": [f[4] for f in facts],
        "precision_protection": [clean(v) for v in column("precision_protection")],
        "latitude": [p[0] for p in points],
        "longitude": [p[1] for p in points],
        "hors_france": [p[2] for p in points],
        "precision_localisation": [clean(v) for v in column("precision_localisation")],
        "date_creation_notice": [iso_date(v) for v in column("date_creation")],
        "date_maj_notice": updates,
        "lien_pop": [POP_NOTICE_URL.format(reference=r) for r in kept_refs],
    }
    rows = list(zip(*(published[name] for name in entry.column_names), strict=True))
    return [rows[i] for i in chosen]
