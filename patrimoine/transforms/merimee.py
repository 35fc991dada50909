"""Mérimée (monuments historiques) notices into the published table.

Input: the data.gouv.fr CSV (``|``, capitalised headers) or an ODS export (snake_case,
``;``); headers are read at run time. Output: one row per ``Reference``, typed, in the
order of the dataset's TableSchema, and the territory's raw records for the source suite.

Order matters: duplicates are resolved on the whole national file first (the latest update
wins, wherever it sits), then the territory is selected, so a notice whose newer copy moved
to another commune is not published from its stale copy.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from patrimoine.catalog import DatasetEntry
from patrimoine.territory import Territory
from patrimoine.transforms.communes import NAME_DISAGREES, Assignment, CommuneMatcher
from patrimoine.transforms.coordinates import Point, locate_point
from patrimoine.transforms.dates import current_status, iso_date, protection_history
from patrimoine.transforms.dedupe import latest_per_key
from patrimoine.transforms.fields import BLOCKING, REQUIRED, WARNING, SourceField
from patrimoine.transforms.reader import Columns, read_columns
from patrimoine.transforms.result import TransformResult, source_records
from patrimoine.transforms.stats import TransformStats
from patrimoine.transforms.text import clean, join_multi, split_multi, vocabulary

log = logging.getLogger(__name__)

POP_NOTICE_URL = "https://pop.culture.gouv.fr/notice/merimee/{reference}"

FIELDS: dict[str, SourceField] = {
    "reference": SourceField(("Reference", "reference_de_la_notice_merimee"), REQUIRED),
    "cog": SourceField(("COG_Insee_lors_de_la_protection", "code_insee"), REQUIRED),
    "titre": SourceField(("Titre_editorial_de_la_notice",), BLOCKING),
    "denomination": SourceField(("Denomination_de_l_edifice", "denomination"), BLOCKING),
    "domaine": SourceField(("Domaine",), WARNING),
    "commune_editoriale": SourceField(("Commune_forme_editoriale", "commune"), BLOCKING),
    "commune_index": SourceField(("Commune_forme_index",), WARNING),
    "departement": SourceField(("Departement_format_numerique",), WARNING),
    "adresse": SourceField(("Adresse_forme_editoriale", "adresse"), WARNING),
    "lieudit": SourceField(("Lieudit",), WARNING),
    "cadastre": SourceField(("Cadastre",), WARNING),
    "siecles": SourceField(("Siecle_de_la_campagne_principale_de_construction",), WARNING),
    "siecles_secondaires": SourceField(("Siecle_de_campagne_secondaire_de_construction",), WARNING),
    "datation": SourceField(("Datation_de_l_edifice",), WARNING),
    "auteurs": SourceField(("Auteur_de_l_edifice",), WARNING),
    "statut_juridique": SourceField(
        ("Statut_juridique_de_l_edifice", "statut_juridique"), BLOCKING
    ),
    "nature_protection": SourceField(("Nature_de_la_protection",), WARNING),
    "typologie_protection": SourceField(("Typologie_de_la_protection",), BLOCKING),
    "historique_protection": SourceField(("Date_et_typologie_de_la_protection",), BLOCKING),
    "precision_protection": SourceField(("Precision_de_la_protection",), WARNING),
    "coordonnees": SourceField(("coordonnees_au_format_WGS84", "geo_point_2d"), BLOCKING),
    "precision_localisation": SourceField(("Precision_de_la_localisation",), WARNING),
    "date_creation": SourceField(("Date_de_creation_de_la_notice",), WARNING),
    "date_maj": SourceField(("Date_de_la_derniere_mise_a_jour",), BLOCKING),
}

_SPLIT = re.compile(r"[,;\s]+")
_NAME_SPLIT = re.compile(r"\s*;\s*")


@lru_cache(maxsize=1 << 16)
def _protection_facts(
    history: str, typology: str
) -> tuple[str, bool, int | None, date | None, str]:
    """Status, partial flag, first protection (year, day) and the JSON history of a notice.

    Cached: the national file repeats these strings a lot.
    """
    events = protection_history(history)
    status, partial = current_status(clean(typology), events)
    first = next((e for e in events if e.year is not None), None)
    protections = json.dumps([e.to_json() for e in events], ensure_ascii=False) if events else ""
    return (
        status,
        partial,
        (first.year if first else None),
        (first.day if first else None),
        protections,
    )


class _Assigner:
    """Territory assignment of notices, cached on the distinct location inputs."""

    def __init__(self, territory: Territory) -> None:
        self.matcher = CommuneMatcher(territory)
        self.assign = lru_cache(maxsize=1 << 16)(self._assign)

    def _assign(
        self, cog: str, editorial: str, index: str, declared: str, point: Point | None
    ) -> Assignment:
        codes = [c for c in _SPLIT.split(cog.strip()) if c]
        names = [n for raw in (editorial, index) for n in _NAME_SPLIT.split(clean(raw)) if n]
        departements = [d for d in _SPLIT.split(declared.strip()) if d]
        at = (point.lat, point.lon) if point is not None else None
        return self.matcher.assign(codes, names, departements, at)


@lru_cache(maxsize=1 << 16)
def _list(value: str) -> str:
    """A free-text multi-valued field, kept whole and in order (authors' ``dit`` included)."""
    return join_multi(split_multi(value))


@lru_cache(maxsize=1 << 16)
def _centuries(main: str, secondary: str) -> str:
    """Main then secondary construction centuries, each once."""
    return join_multi(dict.fromkeys([*split_multi(main), *split_multi(secondary)]))


def transform(
    path: Path,
    entry: DatasetEntry,
    fields: Mapping[str, SourceField],
    territory: Territory | None,
    stats: TransformStats,
    supplements: Mapping[str, Path],
) -> TransformResult:
    """Published rows sorted by reference; ``territory=None`` keeps every notice.

    Works a column at a time with cached helpers: the national file (46,760 notices) repeats
    most values, so each distinct value is normalised once.
    """
    cols = read_columns(path, fields, stats)
    references = [clean(r).upper() for r in cols["reference"]]
    updates = [iso_date(v) for v in cols["date_maj"]]
    candidates, _ = latest_per_key(references, updates, stats)

    points = {i: locate_point(cols["coordonnees"][i]) for i in candidates}
    assigner = _Assigner(territory) if territory is not None else None
    kept: list[int] = []
    places: list[tuple[str, str, bool]] = []
    for i in candidates:
        point, point_note = points[i]
        if assigner is None:
            code = _SPLIT.split(cols["cog"][i].strip(), maxsplit=1)[0]
            kept.append(i)
            places.append((code, clean(cols["commune_editoriale"][i]), point_note == "hors_france"))
            continue
        found = assigner.assign(
            cols["cog"][i],
            cols["commune_editoriale"][i],
            cols["commune_index"][i],
            cols["departement"][i],
            point,
        )
        label = references[i] or f"ligne {cols.lines[i]}"
        for note in found.notes:
            stats.problem(note, cols.lines[i], label)
        if found.commune is None:
            stats.out_of_territory += 1
            continue
        if found.method != "code":
            stats.problem(f"commune_par_{found.method}", cols.lines[i], label)
            if NAME_DISAGREES not in found.notes:
                log.debug(
                    "%s : commune « %s » retrouvée par %s (code %s)",
                    label,
                    found.commune.nom,
                    "son nom" if found.method == "nom" else "ses coordonnées",
                    cols["cog"][i] or "absent",
                )
        if point_note:
            stats.problem(point_note, cols.lines[i], label)
        kept.append(i)
        places.append(
            (
                found.commune.code,
                found.commune.nom,
                found.point_suspect or point_note == "hors_france",
            )
        )

    source = source_records(cols, kept, references, fields)
    published = [(i, place) for i, place in zip(kept, places, strict=True) if references[i]]
    stats.kept = len(published)
    rows = _rows(entry, cols, published, references, updates, points)
    rows.sort(key=lambda r: r[0])
    return TransformResult(rows=rows, source=source)


def _rows(
    entry: DatasetEntry,
    cols: Columns,
    published: list[tuple[int, tuple[str, str, bool]]],
    references: list[str],
    updates: list[date | None],
    points: dict[int, tuple[Point | None, str | None]],
) -> list[tuple[Any, ...]]:
    """The published rows, built a column at a time (each distinct value normalised once)."""
    index = [i for i, _ in published]

    def column(name: str) -> list[str]:
        values = cols[name]
        return [values[i] for i in index]

    facts = [
        _protection_facts(h, t)
        for h, t in zip(
            column("historique_protection"), column("typologie_protection"), strict=True
        )
    ]
    kept_points = [points[i][0] for i in index]
    kept_refs = [references[i] for i in index]
    values: dict[str, list[Any]] = {
        "reference": kept_refs,
        "titre": [clean(v) for v in column("titre")],
        "denomination": [vocabulary(v) for v in column("denomination")],
        "domaine": [vocabulary(v) for v in column("domaine")],
        "code_insee": [place[0] for _, place in published],
        "commune": [place[1] for _, place in published],
        "adresse": [clean(v) for v in column("adresse")],
        "lieudit": [clean(v) for v in column("lieudit")],
        "cadastre": [clean(v) for v in column("cadastre")],
        "siecles": [
            _centuries(a, b)
            for a, b in zip(column("siecles"), column("siecles_secondaires"), strict=True)
        ],
        "datation": [_list(v) for v in column("datation")],
        "auteurs": [_list(v) for v in column("auteurs")],
        "statut_juridique": [vocabulary(v) for v in column("statut_juridique")],
        "nature_protection": [vocabulary(v) for v in column("nature_protection")],
        "statut_protection": [f[0] for f in facts],
        "protection_partielle": [f[1] for f in facts],
        "date_premiere_protection": [f[3] for f in facts],
        "annee_premiere_protection": [f[2] for f in facts],
        "protections": [f[4] for f in facts],
        "precision_protection": [clean(v) for v in column("precision_protection")],
        "latitude": [p.lat if p else None for p in kept_points],
        "longitude": [p.lon if p else None for p in kept_points],
        "coordonnees_douteuses": [place[2] for _, place in published],
        "precision_localisation": [clean(v) for v in column("precision_localisation")],
        "date_creation_notice": [iso_date(v) for v in column("date_creation")],
        "date_maj_notice": [updates[i] for i in index],
        "lien_pop": [POP_NOTICE_URL.format(reference=r) for r in kept_refs],
    }
    return list(zip(*(values[name] for name in entry.column_names), strict=True))


__all__: Sequence[str] = ["FIELDS", "POP_NOTICE_URL", "transform"]
