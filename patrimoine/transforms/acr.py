"""Buildings labelled « Architecture contemporaine remarquable » (ACR) into the published table.

Input: the data.gouv.fr CSV (dataset ``6042fe6ba3ef9e914a7ce5a3``: ``|``, capitalised
headers, about 1 800 notices) or an ODS/Tabular export (snake_case); headers are read at
run time. Output: one row per ``Reference_de_la_notice`` (``ACR`` + 7 digits), typed, in
the order of the dataset's TableSchema, and the territory's raw records for the source
suite.

What the label data needs beyond the shared helpers:

- ``Cadre_de_l_etude`` tells the current stock (« Labellisé ») from the buildings that lost
  the label (« Anciennement labellisé », often because they became monuments historiques):
  only the first are published; the others of the territory are reported by reference.
- ``Date_de_Label`` is free text (``2003``, ``2000 ; 2026``, ``ancien Label XXe 2015``,
  sometimes empty): the year of the first label is read from it, the text is kept as given.
- The file has no update date, so a reference given twice keeps its first copy, and the
  territory's duplicates are reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from patrimoine.catalog import DatasetEntry
from patrimoine.territory import Territory
from patrimoine.transforms.communes import NAMESAKE_REJECTED, Assignment, CommuneMatcher
from patrimoine.transforms.coordinates import Point, locate_point
from patrimoine.transforms.departements import departement_code
from patrimoine.transforms.fields import BLOCKING, REQUIRED, WARNING, SourceField
from patrimoine.transforms.reader import Columns, read_columns
from patrimoine.transforms.result import TransformResult, source_records
from patrimoine.transforms.stats import TransformStats
from patrimoine.transforms.text import clean, fold, join_multi, split_multi, vocabulary

POP_NOTICE_URL = "https://www.pop.culture.gouv.fr/notice/merimee/{reference}"

FIELDS: dict[str, SourceField] = {
    "reference": SourceField(("Reference_de_la_notice", "Reference"), REQUIRED),
    # The INSEE column of the data.gouv.fr CSV is not documented; the ODS export calls it
    # ``insee`` (headers are compared case-insensitively).
    "insee": SourceField(
        ("Insee", "Code_INSEE", "Code_Insee_commune", "COG_Insee", "code_commune"), REQUIRED
    ),
    # Without it the former labels would be published as current ones.
    "cadre": SourceField(("Cadre_de_l_etude",), REQUIRED),
    "titre": SourceField(("Titre_courant",), BLOCKING),
    "denominations": SourceField(("Denominations", "Denomination"), BLOCKING),
    "commune": SourceField(("Commune",), WARNING),
    "commune_editoriale": SourceField(("Commune_forme_editoriale",), WARNING),
    "departement": SourceField(("Numero_departement", "Departement_format_numerique"), WARNING),
    "departement_lettres": SourceField(("Departement_en_lettres",), WARNING),
    "adresse": SourceField(("Adresse_forme_editoriale",), WARNING),
    "coordonnees": SourceField(("Coordonnees", "coordonnees_au_format_WGS84"), BLOCKING),
    "auteurs": SourceField(("Auteur_de_l_edifice",), BLOCKING),
    "datation": SourceField(("Datation_de_l_edifice",), WARNING),
    "siecles": SourceField(("Siecle_de_la_campagne_principale_de_construction",), WARNING),
    "date_label": SourceField(("Date_de_Label",), BLOCKING),
    "statut_juridique": SourceField(("Statut_juridique_du_proprietaire",), WARNING),
    "ancienne_reference": SourceField(("Ancienne_reference_de_la_notice_RENV",), WARNING),
}

FORMER_LABEL = "anciennement_labellise"
UNKNOWN_FRAMEWORK = "cadre_etude_inattendu"
DUPLICATE = "notice_en_double"
LABEL_MISSING = "date_label_absente"
LABEL_FREE_TEXT = "date_label_texte_libre"
LABEL_WITHOUT_YEAR = "date_label_sans_annee"

_SPLIT = re.compile(r"[,;\s]+")
_NAME_SPLIT = re.compile(r"\s*;\s*")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_YEARS_ONLY = re.compile(r"^\d{4}(?:\s*[;,/]\s*\d{4})*$")


def label_status(framework: str) -> str | None:
    """``None`` for a current label, else the remark that keeps the notice out.

    « Labellisé » is the stock; « Anciennement labellisé » lost the label. Anything else
    (empty, a new wording) is not published as if it were labelled: it is reported.
    """
    folded = fold(framework)
    if "ancien" in folded or "retir" in folded:
        return FORMER_LABEL
    if "label" in folded:
        return None
    return UNKNOWN_FRAMEWORK


def label_year(value: str) -> tuple[int | None, str | None]:
    """The year of the first label in ``Date_de_Label`` and a data-quality remark.

    ``2003`` and ``2000 ; 2026`` are the usual shapes (several years: the earliest, the
    first label); a year inside other text (``ancien Label XXe 2015``) is read but noted.
    Every four-digit number counts, so a typo (``2206``) reaches the suite's bounds check.
    """
    text = clean(value)
    if not text:
        return None, LABEL_MISSING
    years = [int(y) for y in _YEAR.findall(text)]
    if not years:
        return None, LABEL_WITHOUT_YEAR
    return min(years), None if _YEARS_ONLY.match(text) else LABEL_FREE_TEXT


def denominations(value: str) -> str:
    """``immeuble;logement`` (or the JSON array of an ODS export) as a clean vocabulary."""
    text = clean(value)
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            items = None
        if isinstance(items, list):
            text = ";".join(str(item) for item in items)
    return vocabulary(text)


def title(value: str) -> str:
    """The building's title with a capital initial (a fifth of the notices start lower-case)."""
    text = clean(value)
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def _list(value: str) -> str:
    """A free-text multi-valued field (authors, dates), kept whole and in order."""
    return join_multi(split_multi(value))


def _references(value: str) -> str:
    """Former references (``PA…``), upper-cased like the keys they join with."""
    return join_multi(part.upper() for part in split_multi(value))


class _Locator:
    """The territory assignment of a notice from its INSEE code, names and point."""

    def __init__(self, territory: Territory) -> None:
        self.matcher = CommuneMatcher(territory)

    def assign(self, cols: Columns, i: int, point: Point | None) -> Assignment:
        codes = [c for c in _SPLIT.split(cols["insee"][i].strip()) if c]
        names = [
            n
            for raw in (cols["commune_editoriale"][i], cols["commune"][i])
            for n in _NAME_SPLIT.split(clean(raw))
            if n
        ]
        departements = [d for d in _SPLIT.split(cols["departement"][i].strip()) if d]
        if not departements:
            named = departement_code(cols["departement_lettres"][i])
            departements = [named] if named else []
        at = (point.lat, point.lon) if point is not None else None
        found = self.matcher.assign(codes, names, departements, at)
        if found.commune is None and not found.notes and self.matcher.by_names(names):
            # A member's name elsewhere (its code or département says so): say it was seen.
            return Assignment(None, notes=(NAMESAKE_REJECTED,))
        return found


def _first_per_reference(references: list[str]) -> tuple[list[int], dict[int, list[int]]]:
    """Row indexes of the first copy of each reference, and the later copies of each."""
    first: dict[str, int] = {}
    later: dict[int, list[int]] = {}
    kept: list[int] = []
    for i, reference in enumerate(references):
        if not reference:
            kept.append(i)  # no key: reported by the source suite, never published
            continue
        if reference in first:
            later.setdefault(first[reference], []).append(i)
            continue
        first[reference] = i
        kept.append(i)
    return kept, later


def transform(
    path: Path,
    entry: DatasetEntry,
    fields: Mapping[str, SourceField],
    territory: Territory | None,
    stats: TransformStats,
    supplements: Mapping[str, Path],
) -> TransformResult:
    """Published rows sorted by reference; ``territory=None`` keeps every labelled notice."""
    cols = read_columns(path, fields, stats)
    references = [clean(r).upper() for r in cols["reference"]]
    candidates, copies = _first_per_reference(references)
    stats.duplicates = sum(len(c) for c in copies.values())
    locator = _Locator(territory) if territory is not None else None

    kept: list[int] = []
    rows: list[dict[str, Any]] = []
    for i in candidates:
        line = cols.lines[i]
        label = references[i] or f"ligne {line}"
        point, point_note = locate_point(cols["coordonnees"][i])
        found = locator.assign(cols, i, point) if locator is not None else None
        if found is not None and found.commune is None:
            stats.out_of_territory += 1
            for note in found.notes:
                stats.problem(note, line, label)
            continue
        excluded = label_status(cols["cadre"][i])
        if excluded is not None:
            stats.problem(excluded, line, label)
            continue
        if found is not None and found.commune is not None:
            for note in found.notes:
                stats.problem(note, line, label)
            if found.method != "code":
                stats.problem(f"commune_par_{found.method}", line, label)
            place = (
                found.commune.code,
                found.commune.nom,
                found.point_suspect or point_note == "hors_france",
            )
        else:
            code = next((c for c in _SPLIT.split(cols["insee"][i].strip()) if c), "")
            name = clean(cols["commune_editoriale"][i]) or clean(cols["commune"][i])
            place = (code, name, point_note == "hors_france")
        if point_note:
            stats.problem(point_note, line, label)
        for later in copies.get(i, []):
            stats.problem(DUPLICATE, cols.lines[later], label)
        year, label_note = label_year(cols["date_label"][i])
        if label_note and references[i]:
            stats.problem(label_note, line, label)
        kept.append(i)
        if references[i]:
            rows.append(_row(cols, i, references[i], place, point, year))

    stats.kept = len(rows)
    rows.sort(key=lambda r: str(r["reference"]))
    return TransformResult(
        rows=[tuple(r[name] for name in entry.column_names) for r in rows],
        source=source_records(cols, kept, references, fields),
    )


def _row(
    cols: Columns,
    i: int,
    reference: str,
    place: tuple[str, str, bool],
    point: Point | None,
    year: int | None,
) -> dict[str, Any]:
    code, commune, suspect = place
    return {
        "reference": reference,
        "titre": title(cols["titre"][i]),
        "denominations": denominations(cols["denominations"][i]),
        "code_insee": code,
        "commune": commune,
        "adresse": clean(cols["adresse"][i]),
        "auteurs": _list(cols["auteurs"][i]),
        "datation": _list(cols["datation"][i]),
        "siecles": join_multi(dict.fromkeys(split_multi(cols["siecles"][i]))),
        "annee_label": year,
        "date_label": clean(cols["date_label"][i]),
        "statut_juridique": vocabulary(cols["statut_juridique"][i]),
        "ancienne_reference": _references(cols["ancienne_reference"][i]),
        "latitude": point.lat if point else None,
        "longitude": point.lon if point else None,
        "coordonnees_douteuses": suspect,
        "lien_pop": POP_NOTICE_URL.format(reference=reference),
    }


__all__: Sequence[str] = [
    "DUPLICATE",
    "FIELDS",
    "FORMER_LABEL",
    "LABEL_FREE_TEXT",
    "LABEL_MISSING",
    "LABEL_WITHOUT_YEAR",
    "POP_NOTICE_URL",
    "UNKNOWN_FRAMEWORK",
    "denominations",
    "label_status",
    "label_year",
    "title",
    "transform",
]
