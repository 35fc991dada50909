"""Synthetic, format-faithful rows of the "Liste des jardins remarquables" file on data.gouv.fr.

The national list (dataset ``5ee2fe1cba88d5c5a1179ef2``, about 500 gardens, refreshed
daily, Licence Ouverte 2.0) is written here the way ``shared/reference/sources.md`` §4 and
§8 describe it. What is seen and what is inferred:

- **[SEEN]** the 27 columns and their order (:data:`JARDINS_HEADER`, the ODS export model
  since the change of 1 February 2023, when ``code id`` became ``identifiant origine``);
  ``site_internet_et_autres_liens``, ``types``, ``accessible_au_public`` and
  ``conditions_d_ouverture`` are lists; ``coordonnees_geographiques`` is a ``{lat, lon}``
  point; ``latitude``/``longitude`` are strings; ``code_insee`` is filled.
- **[SEEN]** older copies name the identifier ``code_id`` / ``code id`` (:data:`OLD_MODEL`);
  a 2026 script reading the jardins JSON uses a later model's ``annee_obtention`` and
  ``sites_internet``. **[INFERRED]** the rest of :data:`LATER_MODEL` (``auteur_nom_illustre``,
  ``conditions_ouverture``, ``date_creation``, ``date_modification``, ``code_commune``…),
  taken from the header of the sister "base des lieux culturels ouverts" CSV (same DEPS
  model, seen in a public repository), not from a jardins file.
- **[INFERRED]** the separator of the current data.gouv.fr CSV (``|``, "like the other
  Culture exports"), the unquoted header and every data field quoted (as in the Mérimée
  file), UTF-8 without BOM, LF line ends; the list fields as JSON text (``["…","…"]``, as
  the base des lieux serialises them) or ``;``-separated; ``coordonnees_geographiques`` as
  ``"lat, lon"`` (or JSON for one trap); ISO dates; the shape of the identifiers
  (``JR`` + département + 4 digits for ``identifiant_origine``, ``JARD_<insee>_<n>`` for
  ``identifiant_deps`` by analogy with the base des lieux); the vocabulary of ``types``
  and ``accessible_au_public``.

Every garden is **invented** (names, texts, links, identifiers), and its description says
so (``[Exemple fictif]``); only the commune codes, names and contours are real. The same
arguments always give the same bytes (seeded :class:`random.Random`, points drawn inside
the real contours when the communes carry them).

Traps (territory gardens first, then gardens elsewhere that the territory filter drops):
see :data:`TRAPS` and :func:`readme_section`.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tests.samples.datagouv import SnapshotDataset
from tests.samples.merimee import (
    DEPARTEMENT_NAMES,
    OTHER_COMMUNES,
    REGION_NAMES,
    Commune,
    point_inside,
)
from tests.samples.writing import Layout

__all__ = [
    "DATASET_ID",
    "FILENAME",
    "JARDINS_HEADER",
    "LATER_MODEL",
    "NO_IDENTIFIER_LINE",
    "OLD_MODEL",
    "REGULAR_KEYS",
    "TRAPS",
    "Trap",
    "clean_rows",
    "csv_bytes",
    "deps_id",
    "readme_section",
    "sample_rows",
    "snapshot_dataset",
    "snapshot_inputs",
    "write_jardins_csv",
]

DATASET_ID = "5ee2fe1cba88d5c5a1179ef2"
SLUG = "liste-des-jardins-remarquables"
FILENAME = "liste-des-jardins-remarquables.csv"
RESOURCE_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, f"patrimoine-snapshot:{SLUG}:csv"))
"""[INFERRED] the real resource id was not seen; the extractor resolves it by dataset id."""
MODIFIED = dt.datetime(2026, 11, 26, 4, 30, 7, tzinfo=dt.UTC)
SEPARATOR = "|"

#: The ODS export's columns, in its order (sources.md §4), new model (``identifiant_origine``).
JARDINS_HEADER: tuple[str, ...] = (
    "nom_du_jardin",
    "code_postal",
    "region",
    "departement",
    "adresse_complete",
    "adresse_de_l_entree_du_public",
    "numero_et_libelle_de_la_voie",
    "complement_d_adresse",
    "commune",
    "code_insee",
    "code_insee_departement",
    "code_insee_region",
    "latitude",
    "longitude",
    "site_internet_et_autres_liens",
    "types",
    "annee_d_obtention",
    "description",
    "auteur_nom_de_l_illustre",
    "identifiant_deps",
    "identifiant_origine",
    "accessible_au_public",
    "conditions_d_ouverture",
    "equipement_precision",
    "date_de_creation",
    "date_de_maj",
    "coordonnees_geographiques",
)

OLD_MODEL: dict[str, str] = {"identifiant_origine": "code_id"}
"""Before 1 February 2023: the identifier was ``code id`` (``code_id`` in ODS copies)."""

LATER_MODEL: dict[str, str] = {
    "annee_d_obtention": "annee_obtention",
    "site_internet_et_autres_liens": "sites_internet",
    "auteur_nom_de_l_illustre": "auteur_nom_illustre",
    "conditions_d_ouverture": "conditions_ouverture",
    "date_de_creation": "date_creation",
    "date_de_maj": "date_modification",
    "code_insee": "code_commune",
    "code_insee_departement": "code_departement",
    "numero_et_libelle_de_la_voie": "numero_et_libelle_voie",
    "adresse_de_l_entree_du_public": "adresse_entree_public",
    "complement_d_adresse": "complement_adresse",
    "coordonnees_geographiques": "coordonnees_geographiques_lieu",
}
"""The later "base des lieux" model's spellings of the same columns."""

_POSTAL: dict[str, str] = {
    "63014": "63170", "63019": "63510", "63032": "63110", "63042": "63112", "63063": "63118",
    "63069": "63670", "63070": "63122", "63075": "63400", "63099": "63119", "63113": "63000",
    "63124": "63800", "63141": "63830", "63164": "63360", "63193": "63370", "63254": "63830",
    "63263": "63870", "63272": "63170", "63284": "63430", "63307": "63540", "63308": "63130",
    "63345": "63122", "63300": "63200", "63178": "63500", "03190": "03000", "69385": "69005",
    "33063": "33000", "97105": "97100", "74031": "74160",
}  # fmt: skip

_STREETS = (
    "rue du Parc", "allée des Tilleuls", "chemin de la Source", "avenue du Château",
    "rue des Jardins", "place de l'Église", "route de la Montagne", "impasse du Verger",
)  # fmt: skip
_NAMES = (
    "Jardin de la Treille", "Parc du Manoir", "Jardin des Simples", "Parc de la Source",
    "Potager du Prieuré", "Jardin de la Tour", "Arboretum des Côtes", "Parc des Sources",
    "Jardin du Presbytère", "Roseraie du Moulin", "Jardin d'altitude", "Parc du Château",
)  # fmt: skip
_TYPES = (
    ("Parc",), ("Jardin d'agrément",), ("Jardin botanique", "Arboretum"),
    ("Potager", "Verger"), ("Parc", "Jardin à la française"), ("Roseraie",),
)  # fmt: skip
_CONDITIONS = (
    ("Du 1er avril au 31 octobre : tous les jours de 10h à 18h",),
    ("Ouvert les week-ends et jours fériés de mai à septembre", "Visites guidées sur réservation"),
    ("Toute l'année, du mardi au dimanche de 9h à 17h", "Fermé le lundi"),
)


@dataclass(frozen=True)
class Trap:
    """One data-quality trap of the snapshot, named by the identifier it is reported under."""

    name: str
    key: str | None
    """The published identifier (or the one in the report); None when the garden has none."""
    what: str
    outcome: str


TERRITORY_TRAPS: tuple[Trap, ...] = (
    Trap(
        "json_arrays",
        "JR630001",
        'list fields as JSON text (`["Jardin botanique","Arboretum"]`, two links)',
        "published as JSON lists, items intact",
    ),
    Trap(
        "semicolon_arrays",
        "JR630002",
        "list fields `;`-separated, one link without scheme (`www.…`)",
        "published as JSON lists; `https://` added to the bare link",
    ),
    Trap(
        "empty_code_insee",
        "JR630003",
        "`code_insee` empty, point inside Chamalières",
        "assigned to 63075 by its point, `rattachement_commune` = `coordonnees`, "
        "remark `commune_par_point`",
    ),
    Trap(
        "swapped_coordinates",
        "JR630004",
        "`latitude` holds the longitude and vice versa (Orcines)",
        "put back in order, on the map, remark `coordonnees_inversees`",
    ),
    Trap(
        "missing_identifiant_origine",
        "JARD_63014_00005",
        "`identifiant_origine` empty, `identifiant_deps` filled (Aubière)",
        "published under its `identifiant_deps`, remark `identifiant_origine_absent`",
    ),
    Trap(
        "separator_in_quoted_field",
        "JR630006",
        "a literal pipe (the separator) inside the quoted name and description "
        "(Cournon-d'Auvergne)",
        "read as one field, published intact",
    ),
    Trap(
        "coordinates_json_only",
        "JR630007",
        '`latitude`/`longitude` empty, `coordonnees_geographiques` = JSON `{"lat", "lon"}`',
        "point read from the JSON, on the map",
    ),
    Trap(
        "dates_dd_mm_yyyy",
        "JR630008",
        "`date_de_creation`/`date_de_maj` written `DD/MM/YYYY` (Romagnat)",
        "published as ISO dates",
    ),
    Trap(
        "no_identifier",
        None,
        "both identifiers empty (Lempdes)",
        "quarantined by the source suite, named `ligne N`; never published",
    ),
)
"""Gardens of the territory with a trap, in file order (the first rows)."""

NO_IDENTIFIER_LINE = [t.name for t in TERRITORY_TRAPS].index("no_identifier") + 2
"""The file line of the garden with no identifier (the header is line 1)."""

REGULAR_KEYS = ("JR630010", "JR630011")
"""Plain gardens of the territory (Ceyrat, Saint-Genès-Champanelle), after the traps."""

ELSEWHERE_TRAPS: tuple[Trap, ...] = (
    Trap("same_departement_riom", "JR630101", "Riom (63300)", "dropped"),
    Trap("same_departement_issoire", "JR630102", "Issoire (63178)", "dropped"),
    Trap("other_departement_allier", "JR030103", "Moulins (03190)", "dropped"),
    Trap("other_region_lyon", "JR690104", "Lyon 5e (69385)", "dropped"),
    Trap("other_region_bordeaux", "JR330105", "Bordeaux (33063)", "dropped"),
    Trap("overseas_basse_terre", "JR9710106", "Basse-Terre (97105)", "dropped"),
    Trap(
        "namesake_with_code",
        "JR740107",
        "Beaumont, code 74031 (Haute-Savoie): namesake of Beaumont 63032",
        "dropped (its code is not a member)",
    ),
    Trap(
        "namesake_without_code",
        "JR740108",
        "Beaumont with empty `code_insee` and département, point in Haute-Savoie",
        "dropped, remark `homonyme_ecarte`",
    ),
)
"""Gardens elsewhere in France, after the territory's."""

TRAPS: tuple[Trap, ...] = (*TERRITORY_TRAPS, *ELSEWHERE_TRAPS)

BEAUMONT_74_POINT = (46.1134, 6.1432)
_BEAUMONT_74 = Commune("74031", "Beaumont", "74", "84", *BEAUMONT_74_POINT)
_ELSEWHERE_COMMUNES: dict[str, Commune] = {
    c.code: c for c in (*OTHER_COMMUNES, _BEAUMONT_74) if c.code in _POSTAL
}


def deps_id(code: str, number: int) -> str:
    """[INFERRED] a DEPS identifier: ``JARD_<insee>_<5 digits>`` (base des lieux style)."""
    return f"JARD_{code}_{number:05d}"


def _pick(communes: Sequence[Commune], code: str, slot: int) -> Commune:
    return next((c for c in communes if c.code == code), communes[slot % len(communes)])


def _point(rng: random.Random, commune: Commune) -> tuple[float, float]:
    if commune.contour is not None:
        return point_inside(rng, commune.contour)
    return commune.lat + rng.uniform(-0.002, 0.002), commune.lon + rng.uniform(-0.002, 0.002)


def _coordinate(value: float) -> str:
    return f"{value:.6f}"


def _json(items: Sequence[str]) -> str:
    return json.dumps(list(items), ensure_ascii=False, separators=(",", ":"))


def _garden(
    rng: random.Random, commune: Commune, origine: str, number: int, name: str
) -> dict[str, str]:
    """One regular garden of ``commune`` in the file's format (lists as JSON text)."""
    lat, lon = _point(rng, commune)
    postal = _POSTAL.get(commune.code, f"{commune.departement}000"[:5])
    street = f"{rng.randint(1, 40)} {rng.choice(_STREETS)}"
    slug = origine.lower()
    created = dt.date(2023, 2, 1) + dt.timedelta(days=rng.randint(0, 700))
    updated = dt.date(2026, 9, 1) + dt.timedelta(days=rng.randint(0, 80))
    return {
        "nom_du_jardin": name,
        "code_postal": postal,
        "region": REGION_NAMES.get(commune.region, ""),
        "departement": DEPARTEMENT_NAMES.get(commune.departement, ""),
        "adresse_complete": f"{street} {postal} {commune.nom}",
        "adresse_de_l_entree_du_public": "",
        "numero_et_libelle_de_la_voie": street,
        "complement_d_adresse": "",
        "commune": commune.nom,
        "code_insee": commune.code,
        "code_insee_departement": commune.departement,
        "code_insee_region": commune.region,
        "latitude": _coordinate(lat),
        "longitude": _coordinate(lon),
        "site_internet_et_autres_liens": _json([f"https://jardin-{slug}.example.fr"]),
        "types": _json(rng.choice(_TYPES)),
        "annee_d_obtention": str(rng.randint(2004, 2025)),
        "description": (
            f"[Exemple fictif] {name} : jardin inventé pour les tests de patrimoine, "
            "ses textes et liens ne décrivent aucun lieu réel."
        ),
        "auteur_nom_de_l_illustre": "",
        "identifiant_deps": deps_id(commune.code, number),
        "identifiant_origine": origine,
        "accessible_au_public": _json(["Ouvert au public"]),
        "conditions_d_ouverture": _json(rng.choice(_CONDITIONS)),
        "equipement_precision": rng.choice(("", "Toilettes;Parking", "Boutique")),
        "date_de_creation": created.isoformat(),
        "date_de_maj": updated.isoformat(),
        "coordonnees_geographiques": f"{_coordinate(lat)}, {_coordinate(lon)}",
    }


def _apply_trap(trap: str, row: dict[str, str]) -> None:
    if trap == "json_arrays":
        row["types"] = _json(["Jardin botanique", "Arboretum"])
        row["site_internet_et_autres_liens"] = _json(
            ["https://jardin-jr630001.example.fr", "https://www.example.org/jardin-jr630001"]
        )
        row["conditions_d_ouverture"] = _json(_CONDITIONS[1])
        row["auteur_nom_de_l_illustre"] = "Martin Joseph (paysagiste)"
    elif trap == "semicolon_arrays":
        row["types"] = "Parc;Jardin d'agrément"
        row["site_internet_et_autres_liens"] = (
            "www.parc-jr630002.example.fr;https://www.example.org/parc-jr630002"
        )
        row["accessible_au_public"] = "Ouvert au public"
        row["conditions_d_ouverture"] = "Visites guidées sur rendez-vous;Ouvert de mai à septembre"
    elif trap == "empty_code_insee":
        row["code_insee"] = ""
    elif trap == "swapped_coordinates":
        row["latitude"], row["longitude"] = row["longitude"], row["latitude"]
        lat, lon = row["coordonnees_geographiques"].split(", ")
        row["coordonnees_geographiques"] = f"{lon}, {lat}"
    elif trap == "missing_identifiant_origine":
        row["identifiant_origine"] = ""
    elif trap == "separator_in_quoted_field":
        row["nom_du_jardin"] = "Jardin des Sœurs | potager conservatoire"
        row["description"] = "[Exemple fictif] Deux parties : le parc | le potager."
    elif trap == "coordinates_json_only":
        lat, lon = row["latitude"], row["longitude"]
        row["latitude"] = row["longitude"] = ""
        row["coordonnees_geographiques"] = f'{{"lat": {lat}, "lon": {lon}}}'
    elif trap == "dates_dd_mm_yyyy":
        row["date_de_creation"] = "12/05/2009"
        row["date_de_maj"] = "03/10/2026"
    elif trap == "no_identifier":
        row["identifiant_origine"] = row["identifiant_deps"] = ""
    elif trap == "namesake_without_code":
        row["code_insee"] = row["code_insee_departement"] = row["code_insee_region"] = ""
        row["departement"] = row["region"] = ""


_TRAP_COMMUNES = {
    "json_arrays": "63113",
    "semicolon_arrays": "63308",
    "empty_code_insee": "63075",
    "swapped_coordinates": "63263",
    "missing_identifiant_origine": "63014",
    "separator_in_quoted_field": "63124",
    "coordinates_json_only": "63284",
    "dates_dd_mm_yyyy": "63307",
    "no_identifier": "63193",
}
_REGULAR_COMMUNES = ("63070", "63345")
_ELSEWHERE_CODES = {
    "same_departement_riom": "63300",
    "same_departement_issoire": "63178",
    "other_departement_allier": "03190",
    "other_region_lyon": "69385",
    "other_region_bordeaux": "33063",
    "overseas_basse_terre": "97105",
    "namesake_with_code": "74031",
    "namesake_without_code": "74031",
}


def _number(origine: str | None, slot: int) -> int:
    return int(origine[-4:]) if origine and origine[-4:].isdigit() else slot + 1


def sample_rows(communes: Sequence[Commune], *, seed: int = 0) -> list[dict[str, str]]:
    """The snapshot's rows: the territory's trap gardens, two plain ones, then elsewhere."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    for slot, trap in enumerate(TERRITORY_TRAPS):
        commune = _pick(communes, _TRAP_COMMUNES[trap.name], slot)
        origine = trap.key if trap.key and trap.key.startswith("JR") else ""
        number = _number(origine, slot)
        row = _garden(rng, commune, origine or f"JR63{number:04d}", number, _NAMES[slot])
        _apply_trap(trap.name, row)
        if trap.name == "missing_identifiant_origine":
            row["identifiant_deps"] = trap.key or ""
        rows.append(row)
    for slot, (key, code) in enumerate(zip(REGULAR_KEYS, _REGULAR_COMMUNES, strict=True)):
        commune = _pick(communes, code, slot)
        rows.append(_garden(rng, commune, key, _number(key, slot), _NAMES[9 + slot]))
    for slot, trap in enumerate(ELSEWHERE_TRAPS):
        commune = _ELSEWHERE_COMMUNES[_ELSEWHERE_CODES[trap.name]]
        key = trap.key or ""
        row = _garden(rng, commune, key, _number(key, slot), _NAMES[slot % len(_NAMES)])
        _apply_trap(trap.name, row)
        rows.append(row)
    return rows


def clean_rows(
    communes: Sequence[Commune], *, per_commune: int = 1, seed: int = 0
) -> list[dict[str, str]]:
    """Trap-free gardens, ``per_commune`` in each commune (identifiers ``JR63`` + 4 digits)."""
    rng = random.Random(seed)
    rows = []
    for c, commune in enumerate(communes):
        for k in range(per_commune):
            number = 1000 + c * per_commune + k
            name = f"{_NAMES[(c + k) % len(_NAMES)]} ({commune.nom})"
            rows.append(_garden(rng, commune, f"JR63{number:04d}", number, name))
    return rows


def write_jardins_csv(
    rows: Iterable[Mapping[str, str]],
    out: IO[str] | Path,
    *,
    columns: Sequence[str] = JARDINS_HEADER,
    rename: Mapping[str, str] | None = None,
    delimiter: str = SEPARATOR,
    bom: bool = False,
) -> int:
    """Write ``rows`` (keyed by :data:`JARDINS_HEADER` names); return the data row count.

    Unquoted header (``rename`` gives another model's spellings of some columns), every data
    field quoted, LF line ends. ``columns`` keeps a subset or another order; ``bom`` starts
    the file with a UTF-8 BOM (ODS exports do).
    """
    header = [(rename or {}).get(c, c) for c in columns]
    return Layout(delimiter, bom=bom).write(rows, out, columns, header)


def csv_bytes(
    rows: Iterable[Mapping[str, str]],
    *,
    columns: Sequence[str] = JARDINS_HEADER,
    rename: Mapping[str, str] | None = None,
    delimiter: str = SEPARATOR,
    bom: bool = False,
) -> bytes:
    """:func:`write_jardins_csv` into bytes (UTF-8)."""
    header = [(rename or {}).get(c, c) for c in columns]
    return Layout(delimiter, bom=bom).content(rows, columns, header)


def snapshot_dataset(communes: list[Commune]) -> SnapshotDataset:
    """The dataset as the offline snapshot serves it (one CSV resource)."""
    return SnapshotDataset(
        dataset_id=DATASET_ID,
        slug=SLUG,
        title="Liste des jardins remarquables",
        description=(
            "Liste des parcs et jardins labellisés « Jardin remarquable » par le Ministère de "
            "la Culture. Le label, créé en 2004, est attribué pour cinq ans renouvelables.\n\n"
            "NB : le modèle de données évolue à partir du 1er février 2023. Le code "
            "identifiant du jardin anciennement nommé « code id » est renommé « identifiant "
            "origine »."
        ),
        frequency="daily",
        resource_id=RESOURCE_ID,
        resource_title="Liste des jardins remarquables",
        filename=FILENAME,
        content=csv_bytes(sample_rows(communes)),
        modified=MODIFIED,
        tags=("jardins", "jardins-remarquables", "label", "patrimoine"),
    )


def snapshot_inputs(communes: list[Commune]) -> dict[str, bytes]:
    """No extra input file for this dataset."""
    return {}


def readme_section(communes: list[Commune]) -> str:
    """The snapshot README's section on this file (English, traps by identifier)."""
    line = NO_IDENTIFIER_LINE
    rows = [
        f"| {t.key or f'(none: line {line})'} | {t.name}: {t.what} | {t.outcome} |" for t in TRAPS
    ]
    regular = ", ".join(f"`{k}`" for k in REGULAR_KEYS)
    return "\n".join(
        [
            "## Jardins remarquables (`jardins-remarquables`)",
            "",
            f"`static.data.gouv.fr/resources/{SLUG}/{MODIFIED:%Y%m%d-%H%M%S}/{FILENAME}`, "
            f"answered for data.gouv.fr dataset `{DATASET_ID}`: {len(TRAPS) + 2} invented "
            f"gardens (descriptions start with `[Exemple fictif]`) in the 27-column model of "
            "the ODS export (`identifiant_origine`, since February 2023), `|`-separated, "
            "unquoted header, every field quoted. The separator, quoting, identifier shapes "
            "and list vocabularies are inferred (sources.md §4: the current CSV was not seen). "
            f"Territory gardens: {len(TERRITORY_TRAPS)} with a trap, then {regular} (plain); "
            f"then {len(ELSEWHERE_TRAPS)} gardens elsewhere that the territory filter drops.",
            "",
            "| identifier | trap | expected outcome |",
            "|---|---|---|",
            *rows,
            "",
        ]
    )
