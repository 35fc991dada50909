"""Mérimée (monuments historiques) notices into the published table.

Input: the data.gouv.fr CSV (``|``, capitalised headers) or an ODS export (snake_case,
``;``); headers are read at run time. Output: one row per ``Reference``, typed, in the
order of the dataset's TableSchema.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from patrimoine.catalog import DatasetEntry
from patrimoine.territory import Territory
from patrimoine.transforms.coordinates import Point, parse_point
from patrimoine.transforms.dates import iso_date, protection_history, protection_status
from patrimoine.transforms.reader import read_records
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


def transform(
    path: Path, entry: DatasetEntry, territory: Territory | None, stats: TransformStats
) -> Iterator[list[Any]]:
    """Yield published rows; ``territory=None`` keeps every notice (national benchmark)."""
    columns = entry.column_names
    kept: dict[str, list[Any]] = {}
    updated: dict[str, date | None] = {}
    records = read_records(path, FIELDS, REQUIRED, stats)
    for line, rec in records:
        reference = clean(rec["reference"]).upper()
        if not reference:
            stats.problem("reference_vide", line)
            continue
        cog_codes = [c for c in _COG_SPLIT.split(rec["cog"] or "") if c]
        names = (clean(rec["commune_editoriale"]), clean(rec["commune_index"]))
        if territory is None:
            code, nom = (cog_codes[0] if cog_codes else ""), names[0]
        else:
            commune = territory.by_codes(cog_codes)
            by_name = territory.by_name(*[n for n in names if n])
            if by_name is not None and not _same_departement(
                by_name.departement, cog_codes, rec["departement"]
            ):
                by_name = None  # a namesake elsewhere in France (Beaumont 63 / Beaumont 74)
            if commune is None and by_name is not None:
                log.info(
                    "%s : commune retrouvée par son nom « %s » (code %s)",
                    reference,
                    by_name.nom,
                    rec["cog"] or "absent",
                )
                stats.problem("commune_par_nom", line)
                commune = by_name
            elif commune is not None and by_name is None and any(names):
                stats.problem("nom_commune_divergent", line)
            if commune is None:
                stats.out_of_territory += 1
                continue
            code, nom = commune.code, commune.nom
        status, partial, first_year, first_day, protections = _protection_facts(
            rec["historique_protection"], rec["typologie_protection"]
        )
        point, outside = parse_point(rec["coordonnees"]), False
        if point is not None and not point.in_france:
            swapped = Point(point.lon, point.lat)
            if swapped.in_france:
                stats.problem("coordonnees_inversees", line)
                point = swapped
            else:
                stats.problem("hors_france", line)
                point, outside = None, True
        if point is None and not outside:
            stats.problem("sans_coordonnees", line)
        row: dict[str, Any] = {
            "reference": reference,
            "titre": clean(rec["titre"]),
            "denomination": vocabulary(rec["denomination"]),
            "domaine": vocabulary(rec["domaine"]),
            "code_insee": code,
            "commune": nom,
            "adresse": clean(rec["adresse"]),
            "lieudit": clean(rec["lieudit"]),
            "cadastre": clean(rec["cadastre"]),
            "siecles": join_multi(
                dict.fromkeys(split_multi(rec["siecles"]) + split_multi(rec["siecles_secondaires"]))
            ),
            "datation": join_multi(split_multi(rec["datation"])),
            "auteurs": join_multi(split_multi(rec["auteurs"])),
            "statut_juridique": vocabulary(rec["statut_juridique"]),
            "nature_protection": vocabulary(rec["nature_protection"]),
            "statut_protection": status,
            "protection_partielle": partial,
            "date_premiere_protection": first_day,
            "annee_premiere_protection": first_year,
            "protections": protections,
            "precision_protection": clean(rec["precision_protection"]),
            "latitude": point.lat if point else None,
            "longitude": point.lon if point else None,
            "hors_france": outside,
            "precision_localisation": clean(rec["precision_localisation"]),
            "date_creation_notice": iso_date(rec["date_creation"]),
            "date_maj_notice": iso_date(rec["date_maj"]),
            "lien_pop": POP_NOTICE_URL.format(reference=reference),
        }
        if reference in kept:
            stats.duplicates += 1
            previous = updated[reference]
            if previous is not None and (row["date_maj_notice"] or date.min) <= previous:
                continue
        kept[reference] = [row[c] for c in columns]
        updated[reference] = row["date_maj_notice"]
    stats.kept = len(kept)
    for reference in sorted(kept):
        yield kept[reference]
