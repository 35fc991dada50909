"""Synthetic, format-faithful lines of the "Fréquentation des Musées de France" CSV.

The national file (data.gouv.fr dataset ``5af120e7b595087cfabcde82``, resource
``7708e380-e7f8-4b56-936a-5d2a262d852d``, ``frequentation-des-musees-de-france.csv``, hosted
on the Ministry's S3 as ``ENTREES_ET_CATEGORIES_DE_PUBLIC.csv``) has one line per museum
*site* (``IDPatrimostat``) and year, 2014–2024, and the 20 columns of :data:`HEADER`
(sources.md §3.4). This module writes files in that shape, filled with **invented**
museums: names, identifiers and figures come from a seeded :class:`random.Random`, so the
same arguments always give the same bytes. Only the "Grand musée national" line outside
the territory reuses public figures (the Louvre's 2023 and 2024 totals quoted in §3.4; its
2024 paid/free split is invented).

What is documented (sources.md §3.4): the header spelling, one line per site × year,
``dateappellation`` as ``DD/MM/YYYY``, ``ferme`` OUI/NON repeated every year,
``anneefermeture`` with the ``Inconnu`` sentinel, ``ville`` in upper case, 5-character
``codeInseeCommune`` (Paris as ``75056``), the codes ``F``/``NC``/``R`` in the count columns,
sites without ``IDMuseofile`` (nor name), ``lien_avec`` on cumulated sites, Muséofile ids as
``M`` + 4 digits.

[INFERRED] (not documented, chosen for the sample): the separator ``;`` (a Culture-ministry
S3 export; the reader sniffs it anyway), minimal quoting (a field is quoted only when it
holds ``;`` or ``"``), UTF-8 without BOM, LF line ends, the line order (sorted by region,
département, town, site, year), ``IDPatrimostat`` as ``M`` + 5 digits (the only value seen
quoted, ``M01216``), ``region``/``departement`` spelt as names (``Auvergne-Rhône-Alpes``,
``Puy-de-Dôme``), ``ville`` without accents, the wording of ``lien_avec``, and the float
export (``12345.0``) and grouped digits (``12 345``) of the number traps.

Trap lines of :func:`sample_rows` (``traps=True``), by museum identifier
--------------------------------------------------------------------------
See :data:`TRAPS` (identifier → trap → expected outcome) and :func:`readme_section`. The
territory's museums are ``M5001``–``M5011`` (Muséofile-like, reserved for this sample) and
one site without Muséofile id, ``M06310``; the lines the territory filter drops are
``M5011`` (no INSEE code), the ``M09xx`` museums (Paris ``75056``, Riom ``63300``, Nice
``06088``), the site ``M06901`` (Metz, no ``IDMuseofile``) and the Riom annex ``M05007`` of
``M5003``. ``traps=False`` gives the clean sample the suite tests start from.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tests.samples.datagouv import SnapshotDataset
from tests.samples.merimee import Commune
from tests.samples.writing import Layout

__all__ = [
    "DATASET_ID",
    "FILENAME",
    "HEADER",
    "RESOURCE_ID",
    "TRAPS",
    "YEARS",
    "Trap",
    "readme_section",
    "sample_content",
    "sample_rows",
    "snapshot_dataset",
    "snapshot_inputs",
    "write_frequentation_csv",
]

DATASET_ID = "5af120e7b595087cfabcde82"
RESOURCE_ID = "7708e380-e7f8-4b56-936a-5d2a262d852d"
FILENAME = "frequentation-des-musees-de-france.csv"
SLUG = "frequentation-des-musees-de-france-1"
SEPARATOR = ";"  # [INFERRED]
SNAPSHOT_SEED = 2024
MODIFIED = dt.datetime(2026, 11, 4, 9, 30, 0, tzinfo=dt.UTC)

HEADER: tuple[str, ...] = (
    "IDPatrimostat",
    "IDMuseofile",
    "region",
    "departement",
    "dateappellation",
    "ferme",
    "anneefermeture",
    "nom_du_musee",
    "lien_avec",
    "ville",
    "codeInseeCommune",
    "annee",
    "payant",
    "gratuit",
    "total",
    "individuel",
    "scolaires",
    "groupes_hors_scolaires",
    "moins_18_ans_hors_scolaires",
    "_18_25_ans",
)
YEARS: tuple[int, ...] = tuple(range(2014, 2025))
COUNT_COLUMNS = (
    "payant",
    "gratuit",
    "total",
    "individuel",
    "scolaires",
    "groupes_hors_scolaires",
    "moins_18_ans_hors_scolaires",
    "_18_25_ans",
)

_REGIONS = {
    "63": ("Auvergne-Rhône-Alpes", "Puy-de-Dôme"),
    "75": ("Île-de-France", "Paris"),
    "06": ("Provence-Alpes-Côte d'Azur", "Alpes-Maritimes"),
    "57": ("Grand Est", "Moselle"),
}
_COVID = {2020: 0.38, 2021: 0.62}
"""Attendance fell in 2020 and 2021 (closures); the sample follows the national shape."""


@dataclass(frozen=True)
class Trap:
    """One trap of the sample: the identifier carrying it, what it is, what must happen."""

    identifier: str
    trap: str
    outcome: str


TRAPS: tuple[Trap, ...] = (
    Trap(
        "M5001",
        "3 site lines a year (M05001, M05002 in Clermont-Ferrand; M05003 in Chamalières)",
        "one row a year, counts added up, nombre_de_sites 3, code_insee 63113 (most sites); "
        "remarks sites_agreges, sites_plusieurs_communes",
    ),
    Trap(
        "M5002",
        "2 sites; 2020: site M05005 says NC, M05004 a number; 2019: M05005 has an empty "
        "codeInseeCommune",
        "2020: statut partiel, total = M05004's number (frequentation_partielle); 2019: both "
        "sites kept in 63113 (commune_par_musee)",
    ),
    Trap(
        "M5003",
        "lien_avec set on every line; an annex site M05007 in Riom (63300)",
        "lien_avec published as given (sites_cumules); the Riom annex dropped "
        "(site_hors_territoire), nombre_de_sites 1",
    ),
    Trap(
        "M06310",
        "a site without IDMuseofile nor name (Aubière)",
        "published under M06310 (coalesce), identifiant_museofile_manquant true, nom empty; "
        "remarks sans_identifiant_museofile, musee_sans_nom",
    ),
    Trap(
        "M5004",
        "2021: NC in total, payant and gratuit",
        "2021: total empty, statut « non communiqué »",
    ),
    Trap(
        "M5005",
        "open museum (ferme NON); 2018: total, payant and gratuit empty; 2016: IDMuseofile "
        "empty on its only site M05010",
        "2018: total empty, statut « non renseigné » (not « non communiqué »); 2016 published "
        "under M5005 (museofile_par_patrimostat)",
    ),
    Trap(
        "M5006",
        "2020 and 2021: F (fermé); its name holds the separator, quoted",
        "2020–2021: total empty, statut « fermé »; the name read whole",
    ),
    Trap(
        "M5007",
        "2023 and 2024: R (retrait d'appellation)",
        "2023–2024: total empty, statut « retrait d'appellation »",
    ),
    Trap(
        "M5008",
        "ferme OUI on every year, with visitors until 2021, F from 2022; anneefermeture Inconnu",
        "ferme true on every year, 2014–2021 totals published (ferme_avec_entrees); "
        "annee_fermeture empty (annee_fermeture_inconnue)",
    ),
    Trap(
        "M5009",
        "2014–2016 counts written 12345.0 (float export), 2017 written 12 345; ville "
        "MONTFERRAND for code 63113",
        "read as integers (nombre_decimal, nombre_avec_separateurs; source warnings on "
        "total/payant/gratuit); commune Clermont-Ferrand (ville_divergente)",
    ),
    Trap(
        "M5010",
        "2021: its site M05014 appears twice (second line with other figures); 2022: total "
        "≠ payant + gratuit",
        "2021: the first line kept (doublon_site_annee), nombre_de_sites 1; 2022 published as "
        "given (total_different_payant_gratuit)",
    ),
    Trap(
        "M5011",
        "every line has an empty codeInseeCommune, ville LEMPDES (a member's name, and a "
        "namesake's in Haute-Loire)",
        "not published (sans_code_insee_ecarte): a name alone is not verifiable",
    ),
    Trap(
        "M0901",
        "Paris 75056, figures of the Louvre (2023: 8 807 668 = 5 534 435 + 3 273 233; 2024: "
        "8 681 079)",
        "dropped by the territory filter",
    ),
    Trap("M0902", "Riom 63300 (Puy-de-Dôme, outside the EPCI)", "dropped"),
    Trap("M0903", "Nice 06088 (code with a leading zero)", "dropped"),
    Trap("M06901", "Metz 57463, no IDMuseofile nor name", "dropped"),
)
"""Every trap of the snapshot, by identifier (tests assert each one by it)."""


def _ascii_upper(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def _pick(communes: Sequence[Commune], code: str, slot: int) -> Commune:
    """The commune ``code`` when the territory has it, else a stable stand-in."""
    return next((c for c in communes if c.code == code), communes[slot % len(communes)])


def _outside(code: str, nom: str) -> Commune:
    return Commune(code, nom, code[:2], "", 0.0, 0.0)


@dataclass
class _Museum:
    """A museum of the sample and how to draw its lines."""

    museofile: str
    nom: str
    sites: tuple[tuple[str, Commune], ...]
    """(IDPatrimostat, commune) of each site."""
    base: int
    appellation: dt.date
    years: tuple[int, ...] = YEARS
    ferme: str = "NON"
    fermeture: str = ""
    lien: str = ""
    ville: dict[str, str] = field(default_factory=dict)
    """IDPatrimostat → ``ville`` when it is not the commune's name."""


def _counts(rng: random.Random, total: int) -> dict[str, str]:
    """A coherent split of ``total`` (payant + gratuit = total; age columns often empty)."""
    payant = round(total * rng.uniform(0.45, 0.75))
    scolaires = round(total * rng.uniform(0.05, 0.2))
    groupes = round(total * rng.uniform(0.02, 0.1))
    values = {
        "payant": payant,
        "gratuit": total - payant,
        "total": total,
        "individuel": total - scolaires - groupes,
        "scolaires": scolaires,
        "groupes_hors_scolaires": groupes,
    }
    out = {k: str(v) for k, v in values.items()}
    out["moins_18_ans_hors_scolaires"] = (
        str(round(total * rng.uniform(0.05, 0.15))) if rng.random() < 0.55 else ""
    )
    out["_18_25_ans"] = str(round(total * rng.uniform(0.03, 0.1))) if rng.random() < 0.35 else ""
    return out


def _lines(rng: random.Random, museum: _Museum) -> list[dict[str, str]]:
    rows = []
    for patrimostat, commune in museum.sites:
        region, departement = _REGIONS.get(commune.departement, _REGIONS["63"])
        share = rng.uniform(0.3, 1.0)
        for year in museum.years:
            trend = 1 + 0.03 * (year - 2014)
            total = round(
                museum.base * share * trend * _COVID.get(year, 1.0) * rng.uniform(0.9, 1.1)
            )
            rows.append(
                {
                    "IDPatrimostat": patrimostat,
                    "IDMuseofile": museum.museofile,
                    "region": region,
                    "departement": departement,
                    "dateappellation": museum.appellation.strftime("%d/%m/%Y"),
                    "ferme": museum.ferme,
                    "anneefermeture": museum.fermeture,
                    "nom_du_musee": museum.nom,
                    "lien_avec": museum.lien,
                    "ville": museum.ville.get(patrimostat, _ascii_upper(commune.nom)),
                    "codeInseeCommune": commune.code,
                    "annee": str(year),
                    **_counts(rng, total),
                }
            )
    return rows


_NAMES = (
    "Musée d'art et d'archéologie de la Tiretaine",
    "Muséum des volcans et des sources",
    "Maison de la mémoire ouvrière",
    "Musée de la Résistance et de la Déportation",
    "Musée du thermalisme",
    "Musée du costume ; collections textiles",
    "Musée de la vigne et du vin",
    "Musée de l'aviation d'Auvergne",
    "Musée des arts décoratifs de Montferrand",
    "Musée de la céramique",
    "Musée de la batellerie",
)
_APPELLATIONS = (dt.date(2003, 2, 1), dt.date(2002, 1, 6), dt.date(2004, 11, 18))


def _territory_museums(communes: Sequence[Commune], traps: bool) -> list[_Museum]:
    """``M5001``… in the territory; with ``traps`` the shapes listed in :data:`TRAPS`."""
    clermont = _pick(communes, "63113", 0)
    chamalieres = _pick(communes, "63075", 1)
    aubiere = _pick(communes, "63014", 2)
    royat = _pick(communes, "63308", 3)
    cournon = _pick(communes, "63124", 4)
    lempdes = _pick(communes, "63193", 5)
    gerzat = _pick(communes, "63164", 6)
    ceyrat = _pick(communes, "63070", 7)
    places = [clermont, clermont, cournon, chamalieres, royat, clermont, aubiere, lempdes]
    places += [clermont, gerzat, ceyrat]
    if not traps:
        return [
            _Museum(
                f"M{5001 + k}",
                _NAMES[k].replace(" ;", ","),
                ((f"M{5001 + k:05d}", places[k]),),
                8_000 + 9_000 * k,
                _APPELLATIONS[k % 3],
            )
            for k in range(len(places))
        ]
    riom = _outside("63300", "Riom")
    museums = [
        _Museum(
            "M5001",
            _NAMES[0],
            (("M05001", clermont), ("M05002", clermont), ("M05003", chamalieres)),
            60_000,
            _APPELLATIONS[0],
        ),
        _Museum(
            "M5002",
            _NAMES[1],
            (("M05004", clermont), ("M05005", clermont)),
            45_000,
            _APPELLATIONS[1],
        ),
        _Museum(
            "M5003",
            _NAMES[2],
            (("M05006", cournon), ("M05007", riom)),
            12_000,
            _APPELLATIONS[2],
            lien="Entrées cumulées avec la maison natale",
        ),
        _Museum("", "", (("M06310", aubiere),), 9_000, _APPELLATIONS[0]),
        _Museum("M5004", _NAMES[3], (("M05008", chamalieres),), 15_000, _APPELLATIONS[1]),
        _Museum("M5005", _NAMES[4], (("M05010", royat),), 11_000, _APPELLATIONS[2]),
        _Museum("M5006", _NAMES[5], (("M05011", clermont),), 30_000, _APPELLATIONS[0]),
        _Museum("M5007", _NAMES[6], (("M05012", aubiere),), 7_000, _APPELLATIONS[1]),
        _Museum(
            "M5008",
            _NAMES[7],
            (("M05013", lempdes),),
            20_000,
            _APPELLATIONS[2],
            ferme="OUI",
            fermeture="Inconnu",
        ),
        _Museum(
            "M5009",
            _NAMES[8],
            (("M05009", clermont),),
            25_000,
            _APPELLATIONS[0],
            ville={"M05009": "MONTFERRAND"},
        ),
        _Museum("M5010", _NAMES[9], (("M05014", gerzat),), 6_000, _APPELLATIONS[1]),
        _Museum("M5011", _NAMES[10], (("M05015", lempdes),), 5_000, _APPELLATIONS[2]),
    ]
    return museums


def _outside_museums() -> list[_Museum]:
    return [
        _Museum(
            "M0901",
            "Grand musée national",
            (("M00901", _outside("75056", "Paris")),),
            8_000_000,
            dt.date(2003, 2, 1),
        ),
        _Museum(
            "M0902",
            "Musée des Limagnes",
            (("M00902", _outside("63300", "Riom")),),
            14_000,
            _APPELLATIONS[1],
        ),
        _Museum(
            "M0903",
            "Musée des beaux-arts de la Baie",
            (("M00903", _outside("06088", "Nice")),),
            90_000,
            _APPELLATIONS[2],
        ),
        _Museum("", "", (("M06901", _outside("57463", "Metz")),), 300_000, _APPELLATIONS[0]),
    ]


def _find(rows: list[dict[str, str]], site: str, year: int) -> dict[str, str]:
    return next(r for r in rows if r["IDPatrimostat"] == site and r["annee"] == str(year))


def _set_codes(row: dict[str, str], code: str) -> None:
    for column in ("payant", "gratuit", "total"):
        row[column] = code
    for column in COUNT_COLUMNS[3:]:
        row[column] = ""


def _apply_traps(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The value-level traps of :data:`TRAPS` on the drawn lines."""
    _set_codes(_find(rows, "M05005", 2020), "NC")
    _find(rows, "M05005", 2019)["codeInseeCommune"] = ""
    _set_codes(_find(rows, "M05008", 2021), "NC")
    blank = _find(rows, "M05010", 2018)
    for column in COUNT_COLUMNS:
        blank[column] = ""
    _find(rows, "M05010", 2016)["IDMuseofile"] = ""
    for year in (2020, 2021):
        _set_codes(_find(rows, "M05011", year), "F")
    for year in (2023, 2024):
        _set_codes(_find(rows, "M05012", year), "R")
    for year in (2022, 2023, 2024):
        _set_codes(_find(rows, "M05013", year), "F")
    for year in (2014, 2015, 2016):
        row = _find(rows, "M05009", year)
        for column in COUNT_COLUMNS:
            row[column] = f"{row[column]}.0" if row[column] else ""
    grouped = _find(rows, "M05009", 2017)
    for column in ("payant", "gratuit", "total"):
        grouped[column] = f"{int(grouped[column]):,}".replace(",", " ")
    twice = _find(rows, "M05014", 2021)
    again = {
        **twice,
        "total": str(int(twice["total"]) + 500),
        "payant": str(int(twice["payant"]) + 500),
    }
    rows.insert(rows.index(twice) + 1, again)
    off = _find(rows, "M05014", 2022)
    off["total"] = str(int(off["total"]) + 37)
    for row in rows:
        if row["IDPatrimostat"] == "M05015":
            row["codeInseeCommune"] = ""
        if row["IDPatrimostat"] == "M00901" and row["annee"] in ("2023", "2024"):
            total, payant = {"2023": (8_807_668, 5_534_435), "2024": (8_681_079, 5_460_000)}[
                row["annee"]
            ]
            row.update(total=str(total), payant=str(payant), gratuit=str(total - payant))
    return rows


def _order(row: Mapping[str, str]) -> tuple[str, ...]:
    return (row["region"], row["departement"], row["ville"], row["IDPatrimostat"], row["annee"])


def sample_rows(
    communes: Sequence[Commune], *, seed: int = SNAPSHOT_SEED, traps: bool = True
) -> list[dict[str, str]]:
    """The territory's lines (and, with ``traps``, the lines the territory filter drops).

    ``traps=False`` gives a clean sample: one site per museum ``M5001``–``M5011``, every
    count a plain integer, every year 2014–2024, every check of the suites passing.
    """
    rng = random.Random(seed)
    museums = _territory_museums(communes, traps)
    if traps:
        museums += _outside_museums()
    rows = [row for museum in museums for row in _lines(rng, museum)]
    rows.sort(key=_order)  # stable: a duplicated line stays after its first copy
    return _apply_traps(rows) if traps else rows


LAYOUT = Layout(SEPARATOR, csv.QUOTE_MINIMAL, quote_header=True)
"""``;``, minimal quoting, the header quoted like the lines (a spreadsheet's export)."""


def write_frequentation_csv(
    rows: Iterable[Mapping[str, str]], out: IO[str] | Path, header: Sequence[str] = HEADER
) -> int:
    """Write ``rows`` in the file's format; return the number of data lines.

    Columns of a row missing from ``header`` are left out, so a renamed header simulates
    the producer's drift (the renamed column then reads empty).
    """
    return LAYOUT.write(rows, out, header)


def sample_content(rows: Iterable[Mapping[str, str]], header: Sequence[str] = HEADER) -> bytes:
    return LAYOUT.content(rows, header)


# --- Snapshot contract (scripts/make_snapshot.py) ---------------------------------------


def snapshot_dataset(communes: list[Commune]) -> SnapshotDataset:
    """The data.gouv.fr dataset and its CSV, as the offline snapshot serves them."""
    return SnapshotDataset(
        dataset_id=DATASET_ID,
        slug=SLUG,
        title="Fréquentation des Musées de France",
        description=(
            "Fréquentation annuelle des musées de France (enquête Patrimostat) : entrées "
            "totales, payantes et gratuites et catégories de public, une ligne par site et par "
            "année, de 2014 à 2024. Codes : F (fermé), NC (non communiqué), R (retrait "
            "d'appellation)."
        ),
        frequency="annual",
        resource_id=RESOURCE_ID,
        resource_title=FILENAME,
        filename=FILENAME,
        content=sample_content(sample_rows(communes)),
        modified=MODIFIED,
        tags=("culture", "musees", "frequentation"),
        # A remote resource: the ministry hosts the file on its own object storage.
        hosted_at="https://ministere-culture.s3.sbg.io.cloud.ovh.net/FREQ_MUSEES/"
        "ENTREES_ET_CATEGORIES_DE_PUBLIC.csv",
    )


def snapshot_inputs(communes: list[Commune]) -> dict[str, bytes]:
    """No extra input file for this dataset."""
    return {}


def readme_section(communes: list[Commune]) -> str:
    """The snapshot README's section on this file (English)."""
    rows = sample_rows(communes)
    sample = snapshot_dataset(communes)
    codes = {c.code for c in communes}
    inside = sum(1 for r in rows if r["codeInseeCommune"] in codes)
    lines = "\n".join(f"| `{t.identifier}` | {t.trap} | {t.outcome} |" for t in TRAPS)
    return f"""## Fréquentation des Musées de France (`frequentation-musees`)

`{sample.file_path}`: {len(rows)} synthetic lines ({len(sample.content)} bytes) in the shape of
the Ministry's `frequentation-des-musees-de-france.csv` (dataset `{DATASET_ID}`, resource
`{RESOURCE_ID}`): one line per museum site (`IDPatrimostat`) and year, 2014–2024, the 20 columns
of sources.md §3.4, `;`-separated with minimal quoting (the separator is [INFERRED]; the reader
sniffs it). The real file lives on the Ministry's S3 (`ENTREES_ET_CATEGORIES_DE_PUBLIC.csv`); the
mirror serves it under a data.gouv.fr static URL. Museums, names and figures are invented
(Muséofile-like ids `M5001`–`M5011` in the territory; {inside} lines carry a territory code),
except the Louvre's 2023 and 2024 totals reused for `M0901`. Generator:
`tests/samples/frequentation.py`.

| identifier | trap | expected outcome |
|---|---|---|
{lines}
"""
