"""Fréquentation des Musées de France: site rows into one published row per museum × year.

Input: the data.gouv.fr CSV (``frequentation-des-musees-de-france.csv``), one line per site
(``IDPatrimostat``) and year; the separator is sniffed. Output: one row per
``coalesce(IDMuseofile, IDPatrimostat)`` × ``annee``, the sites' counts added up, in the
order of the dataset's TableSchema, and the territory's site rows for the source suite.

The file's quirks decide the order of the steps:

1. a site row without ``IDMuseofile`` takes the one its other years give (a museum's series
   must not split over two keys), else its ``IDPatrimostat`` stands in;
2. a site appearing twice the same year keeps its first line (adding both would count its
   visitors twice);
3. the territory is chosen site by site on ``codeInseeCommune``: a site with an empty or
   malformed code takes the commune of its other lines (same site, else same museum) when
   they name exactly one commune of the territory; a site whose code is another commune's
   is left out, and reported when its museum is otherwise in the territory;
4. the codes ``F``, ``NC`` and ``R`` are statuses, never numbers: the published
   ``statut_frequentation`` keeps them apart from an empty count.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from patrimoine.catalog import DatasetEntry, key_text
from patrimoine.territory import Territory, name_key
from patrimoine.transforms.dates import iso_date
from patrimoine.transforms.fields import BLOCKING, REQUIRED, WARNING, SourceField
from patrimoine.transforms.reader import Columns, read_columns
from patrimoine.transforms.result import TransformResult, source_records
from patrimoine.transforms.stats import TransformStats
from patrimoine.transforms.text import clean, join_multi

FIELDS: dict[str, SourceField] = {
    "id_museofile": SourceField(("IDMuseofile", "id_museofile", "identifiant_museofile"), REQUIRED),
    "id_patrimostat": SourceField(("IDPatrimostat", "id_patrimostat"), REQUIRED),
    "code_insee": SourceField(("codeInseeCommune", "code_insee_commune", "code_insee"), REQUIRED),
    "annee": SourceField(("annee",), REQUIRED),
    "nom": SourceField(("nom_du_musee", "nom_musee"), BLOCKING),
    "total": SourceField(("total",), BLOCKING),
    "payant": SourceField(("payant",), BLOCKING),
    "gratuit": SourceField(("gratuit",), BLOCKING),
    "individuel": SourceField(("individuel",), WARNING),
    "scolaires": SourceField(("scolaires",), WARNING),
    "groupes_hors_scolaires": SourceField(("groupes_hors_scolaires",), WARNING),
    "moins_18_ans": SourceField(("moins_18_ans_hors_scolaires",), WARNING),
    "de_18_a_25_ans": SourceField(("_18_25_ans", "18_25_ans"), WARNING),
    "ville": SourceField(("ville",), WARNING),
    "ferme": SourceField(("ferme",), WARNING),
    "annee_fermeture": SourceField(("anneefermeture", "annee_fermeture"), WARNING),
    "date_appellation": SourceField(("dateappellation", "date_appellation"), WARNING),
    "lien_avec": SourceField(("lien_avec",), WARNING),
}

COUNTS: tuple[tuple[str, str], ...] = (
    ("total", "total"),
    ("payant", "payant"),
    ("gratuit", "gratuit"),
    ("individuel", "individuel"),
    ("scolaires", "scolaires"),
    ("groupes_hors_scolaires", "groupes_hors_scolaires"),
    ("moins_18_ans_hors_scolaires", "moins_18_ans"),
    ("de_18_a_25_ans", "de_18_a_25_ans"),
)
"""(published column, source field) of the attendance counts, added up over the sites."""

COMMUNIQUE = "communiqué"
FERME = "fermé"
NON_COMMUNIQUE = "non communiqué"
RETRAIT = "retrait d'appellation"
NON_RENSEIGNE = "non renseigné"
PARTIEL = "partiel"
STATUSES = (COMMUNIQUE, FERME, NON_COMMUNIQUE, RETRAIT, NON_RENSEIGNE, PARTIEL)
"""Values of ``statut_frequentation`` (see the TableSchema's description)."""
CODES = {"F": FERME, "NC": NON_COMMUNIQUE, "R": RETRAIT}
"""The producer's descriptive codes in the count columns."""

_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
_INTEGER = re.compile(r"^-?\d+$")
_ZERO_DECIMALS = re.compile(r"^(-?\d+)[.,]0{1,2}$")
_GROUPED = re.compile(r"^-?\d{1,3}(?P<sep>[ .,'])\d{3}(?:(?P=sep)\d{3})*$")
_YEAR = re.compile(r"^\d{4}$")
_UNKNOWN_YEAR = "inconnu"


@dataclass(frozen=True)
class Count:
    """One count cell read: its number, the status it says, and an oddity worth a remark."""

    value: int | None
    status: str
    oddity: str | None = None


@lru_cache(maxsize=1 << 14)
def read_count(raw: str) -> Count:
    """``12345``, ``12 345``, ``12345.0``, ``F``/``NC``/``R`` or empty; anything else is
    illegible (no number, "non renseigné")."""
    text = clean(raw)
    if not text:
        return Count(None, NON_RENSEIGNE)
    if _INTEGER.match(text):
        return Count(int(text), COMMUNIQUE)
    code = CODES.get(text.upper())
    if code is not None:
        return Count(None, code)
    decimals = _ZERO_DECIMALS.match(text)
    if decimals:
        return Count(int(decimals.group(1)), COMMUNIQUE, "nombre_decimal")
    if _GROUPED.match(text):
        return Count(int(re.sub(r"[ .,']", "", text)), COMMUNIQUE, "nombre_avec_separateurs")
    return Count(None, NON_RENSEIGNE, "valeur_source_illisible")


@lru_cache(maxsize=4096)
def read_year(raw: str) -> int | None:
    """A year: ``2024``, or ``2024.0`` from a float export; None otherwise."""
    count = read_count(raw)
    return count.value if count.value is not None and count.value > 0 else None


def read_closed(raw: str) -> bool | None:
    """``ferme``: OUI/NON (any case); None when empty or anything else."""
    return {"OUI": True, "NON": False}.get(clean(raw).upper())


@dataclass
class _Site:
    """One site × year line kept for the territory."""

    index: int
    line: int
    key: str
    annee: int
    patrimostat: str
    code: str


class _Reporter:
    """Remarks on a museum (once per museum) or on a museum × year."""

    def __init__(self, stats: TransformStats) -> None:
        self.stats = stats
        self.seen: set[tuple[str, str]] = set()

    def museum(self, kind: str, key: str, line: int) -> None:
        if (kind, key) not in self.seen:
            self.seen.add((kind, key))
            self.stats.problem(kind, line, key)

    def row(self, kind: str, label: str, line: int) -> None:
        self.stats.problem(kind, line, label)


def _museum_keys(
    museofile: list[str],
    patrimostat: list[str],
    years: list[int | None],
    lines: list[int],
    report: _Reporter,
) -> tuple[list[str], list[str]]:
    """``coalesce(IDMuseofile, IDPatrimostat)`` per line, and the line's Muséofile id: an
    empty IDMuseofile is first taken from the site's other lines when they agree on one."""
    by_site: dict[str, set[str]] = {}
    for m, p in zip(museofile, patrimostat, strict=True):
        if m and p:
            by_site.setdefault(p, set()).add(m)
    keys, effective = [], []
    for i, (m, p) in enumerate(zip(museofile, patrimostat, strict=True)):
        known = by_site.get(p, set()) if p and not m else set()
        if len(known) == 1:
            m = next(iter(known))
            report.row("museofile_par_patrimostat", key_text([m, years[i]]), lines[i])
        keys.append(m or p)
        effective.append(m)
    return keys, effective


def _first_per_site_year(
    keys: list[str],
    patrimostat: list[str],
    years: list[int | None],
    report: _Reporter,
    cols: Columns,
) -> list[int]:
    """Line indexes, each site × year once (its first line)."""
    seen: set[tuple[str, int]] = set()
    kept = []
    for i, (p, year) in enumerate(zip(patrimostat, years, strict=True)):
        if p and year is not None:
            if (p, year) in seen:
                report.stats.duplicates += 1
                report.row("doublon_site_annee", key_text([keys[i] or p, year]), cols.lines[i])
                continue
            seen.add((p, year))
        kept.append(i)
    return kept


def _territory_codes(
    rows: list[int],
    keys: list[str],
    patrimostat: list[str],
    codes: list[str],
    territory: Territory,
) -> dict[int, str | None]:
    """The territory commune code of each line, or None when the line is not in it."""
    members = set(territory.codes)
    by_site: dict[str, set[str]] = {}
    by_museum: dict[str, set[str]] = {}
    for i in rows:
        if codes[i] in members:
            if patrimostat[i]:
                by_site.setdefault(patrimostat[i], set()).add(codes[i])
            if keys[i]:
                by_museum.setdefault(keys[i], set()).add(codes[i])
    placed: dict[int, str | None] = {}
    for i in rows:
        code = codes[i]
        if code in members:
            placed[i] = code
        elif _CODE.match(code):
            placed[i] = None  # another commune's code: not ours
        else:
            siblings = by_site.get(patrimostat[i]) or by_museum.get(keys[i]) or set()
            placed[i] = next(iter(siblings)) if len(siblings) == 1 else None
    return placed


def transform(
    path: Path,
    entry: DatasetEntry,
    fields: Mapping[str, SourceField],
    territory: Territory | None,
    stats: TransformStats,
    supplements: Mapping[str, Path],
) -> TransformResult:
    """Published rows sorted by museum and year; ``territory=None`` keeps every site."""
    cols = read_columns(path, fields, stats)
    report = _Reporter(stats)
    museofile = [clean(v).upper() for v in cols["id_museofile"]]
    patrimostat = [clean(v).upper() for v in cols["id_patrimostat"]]
    years = [read_year(v) for v in cols["annee"]]
    keys, museofile = _museum_keys(museofile, patrimostat, years, cols.lines, report)
    codes = [clean(v).upper() for v in cols["code_insee"]]
    candidates = _first_per_site_year(keys, patrimostat, years, report, cols)

    labels = [
        key_text([k, y]) if k and y is not None else f"ligne {line}"
        for k, y, line in zip(keys, years, cols.lines, strict=True)
    ]
    if territory is None:
        kept = candidates
        places = {i: codes[i] for i in kept}
    else:
        placed = _territory_codes(candidates, keys, patrimostat, codes, territory)
        kept, places = [], {}
        in_territory = {keys[i] for i in candidates if placed[i] is not None and keys[i]}
        for i in candidates:
            code = placed[i]
            if code is None:
                stats.out_of_territory += 1
                if keys[i] in in_territory:
                    report.museum("site_hors_territoire", keys[i], cols.lines[i])
                elif not _CODE.match(codes[i]) and territory.by_name(cols["ville"][i]):
                    report.museum("sans_code_insee_ecarte", keys[i] or labels[i], cols.lines[i])
                continue
            if code != codes[i]:
                report.row("commune_par_musee", labels[i], cols.lines[i])
            kept.append(i)
            places[i] = code

    source = source_records(cols, kept, labels, fields)
    sites: dict[tuple[str, int], list[_Site]] = {}
    for i in kept:
        year = years[i]
        if not keys[i] or year is None:
            continue  # no key: named by the source suite, never published
        site = _Site(i, cols.lines[i], keys[i], year, patrimostat[i], places[i])
        sites.setdefault((keys[i], year), []).append(site)
    rows = [
        _row(entry, cols, group, museofile, territory, report) for _, group in sorted(sites.items())
    ]
    stats.kept = len(rows)
    return TransformResult(rows=rows, source=source)


def _row(
    entry: DatasetEntry,
    cols: Columns,
    group: list[_Site],
    museofile: list[str],
    territory: Territory | None,
    report: _Reporter,
) -> tuple[Any, ...]:
    """One museum × year from its site lines."""
    first = group[0]
    key, year = first.key, first.annee
    label = key_text([key, year])
    line = first.line

    def values(name: str) -> list[str]:
        return [cols[name][s.index] for s in group]

    if len(group) > 1:
        report.museum("sites_agreges", key, line)
    without_museofile = not any(museofile[s.index] for s in group)
    if without_museofile:
        report.museum("sans_identifiant_museofile", key, line)

    counts: dict[str, int | None] = {}
    statuses: list[str] = []
    odd: set[tuple[str, int]] = set()  # one remark per line and kind, naming its first cell
    for column, name in COUNTS:
        cells = [read_count(v) for v in values(name)]
        for site, cell in zip(group, cells, strict=True):
            if cell.oddity and (cell.oddity, site.line) not in odd:
                odd.add((cell.oddity, site.line))
                detail = f"{label}, {FIELDS[name].label} « {clean(cols[name][site.index])} »"
                report.row(cell.oddity, detail, site.line)
        numbers = [c.value for c in cells if c.value is not None]
        counts[column] = sum(numbers) if numbers else None
        if column == "total":
            statuses = [c.status for c in cells]
    status = statuses[0] if len(set(statuses)) == 1 else PARTIEL
    if status == PARTIEL:
        report.row("frequentation_partielle", label, line)
    total, paid, free = counts["total"], counts["payant"], counts["gratuit"]
    if status == COMMUNIQUE and paid is not None and free is not None and total != paid + free:
        report.row("total_different_payant_gratuit", label, line)

    closed_values = [read_closed(v) for v in values("ferme")]
    for site, raw, value in zip(group, values("ferme"), closed_values, strict=True):
        if value is None and clean(raw):
            report.row("valeur_source_illisible", f"{label}, ferme « {clean(raw)} »", site.line)
    known = [v for v in closed_values if v is not None]
    closed = all(known) if known else None
    if closed and (total or 0) > 0:
        report.museum("ferme_avec_entrees", key, line)

    closing_years: list[int] = []
    for site, raw in zip(group, values("annee_fermeture"), strict=True):
        text = clean(raw)
        if not text:
            continue
        if text.casefold() == _UNKNOWN_YEAR:
            report.museum("annee_fermeture_inconnue", key, site.line)
        elif (found := read_year(text)) is not None and _YEAR.match(str(found)):
            closing_years.append(found)
        else:
            report.row("valeur_source_illisible", f"{label}, anneefermeture « {text} »", site.line)

    appellations: list[date] = []
    for site, raw in zip(group, values("date_appellation"), strict=True):
        day = iso_date(raw)
        if day is not None:
            appellations.append(day)
        elif clean(raw):
            report.row(
                "valeur_source_illisible", f"{label}, dateappellation « {clean(raw)} »", site.line
            )

    links = list(dict.fromkeys(v for v in (clean(x) for x in values("lien_avec")) if v))
    if links:
        report.museum("sites_cumules", key, line)
    name = next((n for n in (clean(x) for x in values("nom")) if n), "")
    if not name:
        report.museum("musee_sans_nom", key, line)

    code, commune = _commune(group, cols, territory, report, key)
    published: dict[str, Any] = {
        "identifiant_museofile": key,
        "annee": year,
        "nom": name,
        "code_insee": code,
        "commune": commune,
        "statut_frequentation": status,
        **counts,
        "nombre_de_sites": len(group),
        "identifiants_patrimostat": join_multi(sorted({s.patrimostat for s in group} - {""})),
        "identifiant_museofile_manquant": without_museofile,
        "lien_avec": join_multi(links),
        "ferme": closed,
        "annee_fermeture": max(closing_years) if closing_years else None,
        "date_appellation": min(appellations) if appellations else None,
    }
    return tuple(published[name] for name in entry.column_names)


def _commune(
    group: Sequence[_Site],
    cols: Columns,
    territory: Territory | None,
    report: _Reporter,
    key: str,
) -> tuple[str, str]:
    """The code and official name of the commune holding most of the museum's sites."""
    tally = Counter(s.code for s in group)
    code = max(tally, key=lambda c: tally[c])  # ties: the first site's (Counter keeps order)
    if len(tally) > 1:
        report.museum("sites_plusieurs_communes", key, group[0].line)
    if territory is None:
        return code, clean(next((cols["ville"][s.index] for s in group if s.code == code), ""))
    commune = territory.commune(code)
    assert commune is not None  # placed in the territory by transform()
    for site in group:
        town = clean(cols["ville"][site.index])
        member = territory.commune(site.code)
        if town and member is not None and name_key(town) != name_key(member.nom):
            report.museum("ville_divergente", key, site.line)
    return code, commune.nom


__all__: Sequence[str] = ["COUNTS", "FIELDS", "STATUSES", "read_count", "transform"]
