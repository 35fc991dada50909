"""Synthetic, format-faithful rows of the ACR CSV published on data.gouv.fr.

The national file "Liste des édifices labellisés « Architecture contemporaine remarquable »
(ACR)" (dataset ``6042fe6ba3ef9e914a7ce5a3``, resource ``80b6ac20-41b1-400c-8860-af201ff7dcb6``,
about 1 824 notices, replaced every Thursday) is a pipe-separated UTF-8 CSV with capitalised
headers. This module writes files in that format, filled with **invented** notices: titles,
authors, dates and texts come from a seeded :class:`random.Random`, so the same arguments
always give the same bytes, and every record says in ``Observations`` that it is synthetic.

What is seen and what is inferred (``shared/reference/sources.md`` §5, §8):

- SEEN: the ``|`` separator, UTF-8, the capitalised spellings ``Reference_de_la_notice``,
  ``Titre_courant``, ``Coordonnees`` (``"lat,lon"``, no space), ``Datation_de_l_edifice``,
  ``Description_historique``, ``Description_de_l_edifice``, ``Auteur_de_l_edifice``,
  ``Commune_forme_editoriale``, ``Commune``, ``Departement_en_lettres``, ``Region``,
  ``Date_de_Label``, ``Siecle_de_la_campagne_principale_de_construction``, ``Denominations``,
  ``Statut_juridique_du_proprietaire``, ``Adresse_forme_editoriale``,
  ``Ancienne_reference_de_la_notice_RENV`` and ``Cadre_de_l_etude`` (« Labellisé » /
  « Anciennement labellisé »); 44 columns in the order of the ODS export; references
  ``ACR`` + 7 digits (``ACR0000683``); ``Date_de_Label`` values ``2003``, ``2000 ; 2026``,
  ``ancien Label XXe 2015`` or empty; multi-valued authors
  ``Dikansky Georges (architecte);Michaut Albert (architecte maître d'œuvre)``.
- [INFERRED] the capitalisation of the other 26 columns (from the ODS snake_case header;
  the INSEE column is written ``Insee``), the quoting (like the Mérimée export of the same
  producer: unquoted header, every data field quoted, ``""`` when empty, LF line ends),
  ``Denominations`` joined with ``;`` (an array in the ODS JSON), ``Commune`` in the index
  form (``Cendre (Le)``) next to the editorial form, ``Numero_departement`` as ``63``.

Trap notices of :func:`sample_rows` (``traps=True``), by reference
-----------------------------------------------------------------------
See :data:`TRAPS` and :data:`TRAP_NOTES`; trap ``k`` has the reference
``ACR{90100 + k:07d}`` (:func:`trap_reference`). Regular notices of the territory follow
(``ACR{91000 + i:07d}``), then notices elsewhere in France that the territory filter must
drop (``ACR{95000 + i:07d}``, one of them « Anciennement labellisé »), then the second copy
of ``duplicate_reference`` (the last row).
"""

from __future__ import annotations

import datetime as dt
import math
import random
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
from tests.samples.writing import DATAGOUV

__all__ = [
    "ACR_HEADER",
    "DATASET_ID",
    "DUPLICATE_TITLE",
    "ELSEWHERE",
    "ELSEWHERE_FORMER",
    "FILENAME",
    "RESOURCE_ID",
    "TRAPS",
    "TRAP_NOTES",
    "csv_bytes",
    "elsewhere_reference",
    "published_references",
    "readme_section",
    "regular_reference",
    "sample_rows",
    "snapshot_dataset",
    "snapshot_inputs",
    "snapshot_rows",
    "trap_reference",
    "write_acr_csv",
]

DATASET_ID = "6042fe6ba3ef9e914a7ce5a3"
RESOURCE_ID = "80b6ac20-41b1-400c-8860-af201ff7dcb6"
SLUG = "liste-des-edifices-labellises-architecture-contemporaine-remarquable-acr"
FILENAME = "liste-des-edifices-labellises-acr.csv"  # [INFERRED]
MODIFIED = dt.datetime(2026, 11, 26, 6, 0, 41, tzinfo=dt.UTC)  # a Thursday, 7h00 in Paris
SNAPSHOT_SEED = 2016
SNAPSHOT_REGULAR = 3
SYNTHETIC = "Notice synthétique : exemple généré par patrimoine, pas une notice réelle."

#: The 44 columns, in the order of the ODS export (see the module docstring for the
#: spellings seen and inferred).
ACR_HEADER: tuple[str, ...] = (
    "Reference_de_la_notice",
    "Ancienne_reference_de_la_notice_RENV",
    "Cadre_de_l_etude",
    "Region",
    "Numero_departement",
    "Commune",
    "Ancien_nom_commune",
    "Insee",
    "Lieudit",
    "Adresse_normalisee",
    "Adresse_forme_editoriale",
    "References_cadastrales",
    "Coordonnees",
    "Titre_courant",
    "Departement_en_lettres",
    "Vocable_pour_les_edifices_cultuels",
    "Denominations",
    "Destination_actuelle_de_l_edifice",
    "Siecle_de_la_campagne_principale_de_construction",
    "Siecle_de_campagne_secondaire_de_construction",
    "Datation_de_l_edifice",
    "Description_historique",
    "Auteur_de_l_edifice",
    "Date_de_Label",
    "Precisions_sur_l_interet",
    "Elements_remarquables_dans_l_edifice",
    "Observations",
    "Statut_juridique_du_proprietaire",
    "Etablissement_affectataire_de_l_edifice",
    "Auteur_de_la_photographie_AUTP",
    "Liens_externes",
    "Acces_Memoire_web",
    "Materiaux_du_gros_oeuvre",
    "Type_de_couverture",
    "Partie_d_elevation_exterieure",
    "Materiaux_de_la_couverture",
    "Typologie_de_plan",
    "Technique_du_decor_porte_de_l_edifice",
    "Indexation_iconographique_normalisee",
    "Description_de_l_elevation_interieure",
    "Emplacement_forme_structure_escalier",
    "Etat_de_conservation",
    "Description_de_l_edifice",
    "Commune_forme_editoriale",
)

# --- Traps --------------------------------------------------------------------------------

#: Trap names in slot order; every trap is carried by the notice ``trap_reference(trap)``.
TRAPS: tuple[str, ...] = (
    "pipe_in_field",
    "anciennement_labellise",
    "empty_insee_name_fallback",
    "empty_insee_point_in_commune",
    "namesake_other_departement",
    "no_coordinates",
    "swapped_coordinates",
    "far_away_coordinates",
    "multi_valued_authors",
    "label_free_text",
    "label_empty",
    "label_two_years",
    "duplicate_reference",
    "former_merimee_reference",
    "title_lower_case",
)

#: What each trap notice carries and what the pipeline must do with it (README table).
TRAP_NOTES: dict[str, tuple[str, str]] = {
    "pipe_in_field": (
        "a literal `\\|` inside the quoted `Titre_courant`",
        "published with the whole title",
    ),
    "anciennement_labellise": (
        "`Cadre_de_l_etude` = « Anciennement labellisé », `Ancienne_reference_de_la_notice_RENV`"
        " = `PA63000900`",
        "not published, not quarantined; reported by reference (`anciennement_labellise`)",
    ),
    "empty_insee_name_fallback": (
        "empty `Insee` and `Coordonnees`, `Commune` = `Cendre (Le)`, editorial `Le Cendre`, "
        "`Numero_departement` = `63`",
        "published in 63069 Le Cendre; reported (`commune_par_nom`)",
    ),
    "empty_insee_point_in_commune": (
        "empty `Insee`, a point inside Aubière's real contour",
        "published in 63014 Aubière; reported (`commune_par_point`)",
    ),
    "namesake_other_departement": (
        "`Insee` = `74031`, `Commune` = `Beaumont` (a member's name), département 74, a point "
        "in Beaumont (Haute-Savoie)",
        "not published; reported (`homonyme_ecarte`)",
    ),
    "no_coordinates": (
        '`Coordonnees` = `""` (4 to 14 % of the national file in 2026)',
        "published without point, off the map; reported (`sans_coordonnees`)",
    ),
    "swapped_coordinates": (
        "`Coordonnees` written `lon,lat`",
        "published in the right order, on the map; reported (`coordonnees_inversees`)",
    ),
    "far_away_coordinates": (
        "Clermont-Ferrand's `Insee`, a point in La Réunion",
        "published with `coordonnees_douteuses` = true, off the map; reported "
        "(`coordonnees_hors_commune`); 1 of 16 buildings trips the published suite's "
        "« more than 5 % doubtful coordinates » warning and the two territory-extent "
        "warnings (latitude, longitude), which name it",
    ),
    "multi_valued_authors": (
        "`Auteur_de_l_edifice` = `Dikansky Georges (architecte);Michaut Albert (architecte "
        "maître d'œuvre)`",
        "published whole, in order",
    ),
    "label_free_text": (
        "`Date_de_Label` = `ancien Label XXe 2015`",
        "`annee_label` = 2015, `date_label` as given; reported (`date_label_texte_libre`)",
    ),
    "label_empty": (
        '`Date_de_Label` = `""`',
        "published with empty `annee_label`; reported (`date_label_absente`)",
    ),
    "label_two_years": (
        "`Date_de_Label` = `2003 ; 2026`",
        "`annee_label` = 2003 (the first label), `date_label` = `2003 ; 2026`",
    ),
    "duplicate_reference": (
        "given twice: the second copy, the last row of the file, has another title and label date",
        "published once, from the first copy; reported (`notice_en_double`)",
    ),
    "former_merimee_reference": (
        "« Labellisé », `Ancienne_reference_de_la_notice_RENV` = `PA63000901`",
        "published with `ancienne_reference` = `PA63000901` (joins monuments-historiques)",
    ),
    "title_lower_case": (
        "`Titre_courant` starting lower-case (`immeuble …`), like a fifth of the real notices",
        "published with a capital initial",
    ),
}

AUTHORS_TRAP = "Dikansky Georges (architecte);Michaut Albert (architecte maître d'œuvre)"
PIPE_TITLE = "Centre commercial des Vergnes | galerie marchande"
LOWER_TITLE = "immeuble dit le Paquebot"
DUPLICATE_TITLE = "Piscine des Cézeaux (copie révisée)"
FORMER_RENV = "PA63000900"
KEPT_RENV = "PA63000901"
FAR_AWAY = "-21.1151,55.5364"
BEAUMONT_74 = (46.1134, 6.1432)

_TRAP_COMMUNES: dict[str, str] = {
    "pipe_in_field": "63113",
    "anciennement_labellise": "63075",
    "empty_insee_name_fallback": "63069",
    "empty_insee_point_in_commune": "63014",
    "no_coordinates": "63124",
    "swapped_coordinates": "63164",
    "far_away_coordinates": "63113",
    "multi_valued_authors": "63308",
    "label_free_text": "63193",
    "label_empty": "63042",
    "label_two_years": "63063",
    "duplicate_reference": "63284",
    "former_merimee_reference": "63307",
    "title_lower_case": "63070",
}

#: Communes outside the territory holding the notices to drop (Puy-de-Dôme first).
ELSEWHERE: tuple[Commune, ...] = tuple(
    c
    for code in (
        "63300", "63430", "63178", "03190", "43157", "69385", "31555", "33063", "2A004",
        "97105",
    )
    for c in OTHER_COMMUNES
    if c.code == code
)  # fmt: skip
ELSEWHERE_FORMER = 5
"""Index in :data:`ELSEWHERE` of the « Anciennement labellisé » notice (Lyon): dropped
with the others, never reported (it is not the territory's)."""


def trap_reference(trap: str) -> str:
    return f"ACR{90100 + TRAPS.index(trap):07d}"


def regular_reference(index: int) -> str:
    return f"ACR{91000 + index:07d}"


def elsewhere_reference(index: int) -> str:
    return f"ACR{95000 + index:07d}"


# --- Vocabulary ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    denominations: str
    titles: tuple[str, ...]
    first_year: int
    last_year: int
    destination: str = ""


_KINDS: tuple[_Kind, ...] = (
    _Kind("immeuble;logement", ("Immeuble {nom}", "Résidence {nom}"), 1950, 1975),
    _Kind("ensemble de logements", ("Ensemble de logements {nom}", "Cité {nom}"), 1948, 1972),
    _Kind("lotissement", ("Lotissement {nom}", "Cité-jardin {nom}"), 1922, 1965),
    _Kind("église", ("Église Saint-{saint}", "Église Notre-Dame-de-{vocable}"), 1930, 1972),
    _Kind("groupe scolaire", ("Groupe scolaire {personne}", "Lycée {personne}"), 1931, 1975,
          "école"),
    _Kind("maison", ("Maison {famille}", "Villa {nom}"), 1924, 1992, "logement"),
    _Kind("piscine", ("Piscine municipale", "Piscine {nom}"), 1960, 1982),
    _Kind("salle de spectacle", ("Maison de la culture", "Salle {nom}"), 1962, 1994),
    _Kind("usine;bureau", ("Usine {famille}", "Siège social de la société {famille}"), 1921, 1968),
    _Kind("cité universitaire", ("Cité universitaire {nom}",), 1956, 1970, "logement étudiant"),
    _Kind("hôtel de ville", ("Hôtel de ville",), 1934, 1978, "mairie"),
)  # fmt: skip
_NOMS = (
    "Les Cèdres", "Le Belvédère", "Les Horizons", "Le Signal", "La Pardieu", "Les Vergnes",
    "Le Phare", "Les Sapins", "Les Érables", "La Gauthière", "Le Parc", "Les Terrasses",
)  # fmt: skip
_SAINTS = ("Joseph", "Pierre", "Jean-Baptiste", "Austremoine", "Thérèse", "Paul")
_VOCABLES = ("Lourdes", "la Paix", "Bon-Secours", "la Rivière")
_PERSONNES = ("Jean-Zay", "Paul-Bert", "Jules-Ferry", "Marie-Curie", "Lafayette")
_FAMILLES = ("Chabrol", "Roche", "Vidal", "Mercier", "Dufraisse", "Amblard")
_AUTEURS = (
    "Valmont Pierre (architecte)",
    "Chauvet Lucien (architecte)",
    "Roux-Delmas Jean (architecte);Faure André (ingénieur)",
    "Berthier Marcel (architecte);Monnet Louise (architecte)",
    "Sablon Henri (architecte);Grange Paul (architecte paysagiste)",
    "Atelier des Volcans (agence d'architecture)",
)
_LABELS = (("2003", 6), ("2000", 1), ("2015", 2), ("2018", 1), ("2023", 2), ("2000 ; 2026", 1))
_STREETS = (
    ("avenue de la Libération", "Libération (avenue de la)"),
    ("rue Blatin", "Blatin (rue)"),
    ("boulevard Lafayette", "Lafayette (boulevard)"),
    ("rue du Pont-Naturel", "Pont-Naturel (rue du)"),
    ("avenue Jean-Jaurès", "Jean-Jaurès (avenue)"),
    ("place de la République", "République (place de la)"),
)
_STATUTS = (
    ("", 74),
    ("propriété de la commune", 12),
    ("propriété privée", 9),
    ("propriété d'une société privée", 3),
    ("propriété d'un établissement public", 2),
)
_HISTORIQUE = (
    "Construit entre {debut} et {fin} sur les plans de l'architecte, l'édifice illustre "
    "l'emploi du béton armé dans la région.",
    "Le programme, lancé en {debut}, répond à la crise du logement de l'après-guerre.",
    "Commandé par la municipalité en {debut}, le bâtiment est inauguré en {fin}.",
)
_DESCRIPTION = (
    "Ossature en béton armé, remplissage de briques et façades rythmées par des brise-soleil.",
    "Volume simple couvert d'une toiture-terrasse, grandes baies vitrées sur le jardin.",
    "Plan en peigne desservi par une galerie ; escalier hélicoïdal en béton.",
)


# --- Generation ---------------------------------------------------------------------------


def _index_form(nom: str) -> str:
    """The index form of a commune name: the article goes last (``Cendre (Le)``)."""
    for article in ("Le ", "La ", "Les "):
        if nom.startswith(article):
            return f"{nom[len(article) :]} ({article.strip()})"
    return nom


def _coordinate(value: float) -> str:
    """Like the real file: up to 14 decimals, no trailing zeros."""
    return f"{value:.14f}".rstrip("0").rstrip(".")


def _pair(lat: float, lon: float) -> str:
    return f"{_coordinate(lat)},{_coordinate(lon)}"


def _point(rng: random.Random, commune: Commune) -> tuple[float, float]:
    """A point inside the commune's contour, or within 1 km of its centre without one."""
    if commune.contour is not None:
        return point_inside(rng, commune.contour)
    distance = math.sqrt(rng.random()) / 111.32
    angle = rng.uniform(0.0, 2 * math.pi)
    return (
        commune.lat + distance * math.sin(angle),
        commune.lon + distance * math.cos(angle) / math.cos(math.radians(commune.lat)),
    )


def _weighted(rng: random.Random, items: Sequence[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in items], weights=[w for _, w in items])[0]


def _notice(
    rng: random.Random, reference: str, commune: Commune, *, geolocated: float = 0.92
) -> dict[str, str]:
    """One labelled notice in ``commune`` (every column of :data:`ACR_HEADER`)."""
    row = dict.fromkeys(ACR_HEADER, "")
    kind = rng.choice(_KINDS)
    title = rng.choice(kind.titles).format(
        nom=rng.choice(_NOMS),
        saint=rng.choice(_SAINTS),
        vocable=rng.choice(_VOCABLES),
        personne=rng.choice(_PERSONNES),
        famille=rng.choice(_FAMILLES),
    )
    start = rng.randrange(kind.first_year, kind.last_year + 1)
    end = start + rng.randrange(1, 6)
    number = rng.randrange(1, 80)
    street, street_index = rng.choice(_STREETS)
    row.update(
        {
            "Reference_de_la_notice": reference,
            "Cadre_de_l_etude": "Labellisé",
            "Region": REGION_NAMES.get(commune.region, ""),
            "Numero_departement": commune.departement,
            "Commune": _index_form(commune.nom),
            "Insee": commune.code,
            "Adresse_normalisee": f"{street_index} {number}",
            "Adresse_forme_editoriale": f"{number} {street}",
            "Titre_courant": title,
            "Departement_en_lettres": DEPARTEMENT_NAMES.get(commune.departement, ""),
            "Denominations": kind.denominations,
            "Destination_actuelle_de_l_edifice": kind.destination,
            "Siecle_de_la_campagne_principale_de_construction": (
                "20e siècle;21e siècle" if end > 2000 else "20e siècle"
            ),
            "Datation_de_l_edifice": f"{start};{end}" if rng.random() < 0.6 else f"{start}",
            "Description_historique": rng.choice(_HISTORIQUE).format(debut=start, fin=end),
            "Auteur_de_l_edifice": rng.choice(_AUTEURS),
            "Date_de_Label": _weighted(rng, _LABELS),
            "Observations": SYNTHETIC,
            "Statut_juridique_du_proprietaire": _weighted(rng, _STATUTS),
            "Description_de_l_edifice": rng.choice(_DESCRIPTION),
            "Commune_forme_editoriale": commune.nom,
        }
    )
    if rng.random() < 0.3:
        row["References_cadastrales"] = f"{rng.randrange(1990, 2020)} {rng.choice('ABDKL')}"
        row["References_cadastrales"] += f"{rng.choice('BCKM')} {rng.randrange(1, 600)}"
    if rng.random() < 0.2:
        row["Materiaux_du_gros_oeuvre"] = "béton armé"
    if rng.random() < geolocated:
        row["Coordonnees"] = _pair(*_point(rng, commune))
    return row


def _pick(communes: Sequence[Commune], code: str, slot: int) -> Commune:
    """The commune ``code`` when the territory has it, else a stable stand-in."""
    return next((c for c in communes if c.code == code), communes[slot % len(communes)])


def _trap(rng: random.Random, trap: str, slot: int, communes: Sequence[Commune]) -> dict[str, str]:
    reference = trap_reference(trap)
    if trap == "namesake_other_departement":
        beaumont = next(c for c in OTHER_COMMUNES if c.code == "74031")
        row = _notice(rng, reference, beaumont)
        row["Coordonnees"] = _pair(*BEAUMONT_74)
        return row
    commune = _pick(communes, _TRAP_COMMUNES[trap], slot)
    row = _notice(rng, reference, commune, geolocated=1.0)
    if trap == "pipe_in_field":
        row["Titre_courant"] = PIPE_TITLE
        row["Denominations"] = "centre commercial"
    elif trap == "anciennement_labellise":
        row["Cadre_de_l_etude"] = "Anciennement labellisé"
        row["Ancienne_reference_de_la_notice_RENV"] = FORMER_RENV
    elif trap == "empty_insee_name_fallback":
        row["Insee"] = ""
        row["Coordonnees"] = ""
    elif trap == "empty_insee_point_in_commune":
        row["Insee"] = ""
    elif trap == "no_coordinates":
        row["Coordonnees"] = ""
    elif trap == "swapped_coordinates":
        lat, lon = (float(v) for v in row["Coordonnees"].split(","))
        row["Coordonnees"] = _pair(lon, lat)
    elif trap == "far_away_coordinates":
        row["Coordonnees"] = FAR_AWAY
    elif trap == "multi_valued_authors":
        row["Auteur_de_l_edifice"] = AUTHORS_TRAP
    elif trap == "label_free_text":
        row["Date_de_Label"] = "ancien Label XXe 2015"
    elif trap == "label_empty":
        row["Date_de_Label"] = ""
    elif trap == "label_two_years":
        row["Date_de_Label"] = "2003 ; 2026"
    elif trap == "duplicate_reference":
        row["Titre_courant"] = "Piscine des Cézeaux"
        row["Denominations"] = "piscine"
    elif trap == "former_merimee_reference":
        row["Ancienne_reference_de_la_notice_RENV"] = KEPT_RENV
    elif trap == "title_lower_case":
        row["Titre_courant"] = LOWER_TITLE
        row["Denominations"] = "immeuble;logement"
    return row


def sample_rows(
    communes: Sequence[Commune],
    *,
    regular: int,
    seed: int = SNAPSHOT_SEED,
    traps: bool = True,
    elsewhere: bool = True,
) -> list[dict[str, str]]:
    """A small, deterministic sample of ACR rows for ``communes``.

    In order: the trap notices when ``traps`` (:data:`TRAPS`), ``regular`` labelled notices
    spread over the communes in turn, the notices of :data:`ELSEWHERE` when ``elsewhere``,
    then the second copy of ``duplicate_reference`` when ``traps``.
    """
    if not communes:
        raise ValueError("sample_rows needs at least one commune")
    rng = random.Random(seed)
    rows = [_trap(rng, trap, slot, communes) for slot, trap in enumerate(TRAPS)] if traps else []
    for index in range(regular):
        rows.append(_notice(rng, regular_reference(index), communes[index % len(communes)]))
    if elsewhere:
        for index, commune in enumerate(ELSEWHERE):
            row = _notice(rng, elsewhere_reference(index), commune)
            if index == ELSEWHERE_FORMER:
                row["Cadre_de_l_etude"] = "Anciennement labellisé"
            rows.append(row)
    if traps:
        first = rows[TRAPS.index("duplicate_reference")]
        rows.append({**first, "Titre_courant": DUPLICATE_TITLE, "Date_de_Label": "2018"})
    return rows


# --- Writing ------------------------------------------------------------------------------


def write_acr_csv(
    rows: Iterable[Mapping[str, str]],
    out: IO[str] | Path,
    header: Sequence[str] = ACR_HEADER,
) -> int:
    """Write ``rows`` in the data.gouv.fr ACR format; return the number of data rows.

    Unquoted ``|``-joined header, every field quoted, LF line ends, UTF-8 without BOM. Columns
    of a row that are not in ``header`` are ignored, so a renamed header simulates drift.
    """
    return DATAGOUV.write(rows, out, header)


def csv_bytes(rows: Iterable[Mapping[str, str]], header: Sequence[str] = ACR_HEADER) -> bytes:
    return DATAGOUV.content(rows, header)


# --- Snapshot contract --------------------------------------------------------------------


def snapshot_rows(communes: Sequence[Commune]) -> list[dict[str, str]]:
    return sample_rows(communes, regular=SNAPSHOT_REGULAR)


def snapshot_dataset(communes: list[Commune]) -> SnapshotDataset:
    """The ACR dataset of the offline snapshot: the national file reduced to SAMPLE rows."""
    return SnapshotDataset(
        dataset_id=DATASET_ID,
        slug=SLUG,
        title=("Liste des édifices labellisés « Architecture contemporaine remarquable » (ACR)"),
        description=(
            "Liste des édifices et ensembles labellisés « Architecture contemporaine "
            "remarquable » (ACR). Le label, créé par la loi du 7 juillet 2016, succède au "
            "label « Patrimoine du XXe siècle » (1999) ; il distingue des réalisations de "
            "moins de cent ans qui ne sont pas protégées au titre des monuments historiques. "
            "Fichier CSV (séparateur « | », encodage UTF-8), mis à jour tous les jeudis à "
            "7h00."
        ),
        frequency="weekly",
        resource_id=RESOURCE_ID,
        resource_title="Liste des édifices labellisés ACR (CSV)",
        filename=FILENAME,
        content=csv_bytes(snapshot_rows(communes)),
        modified=MODIFIED,
        tags=("architecture", "label", "patrimoine", "xxe-siecle"),
    )


def snapshot_inputs(communes: list[Commune]) -> dict[str, bytes]:
    """No extra input: the ACR dataset needs nothing from the collectivité."""
    return {}


def published_references(communes: Sequence[Commune]) -> list[str]:
    """The references an offline run publishes from the snapshot, sorted."""
    excluded = {
        trap_reference("anciennement_labellise"),
        trap_reference("namesake_other_departement"),
    }
    inside = [r["Reference_de_la_notice"] for r in snapshot_rows(communes)]
    outside = {elsewhere_reference(i) for i in range(len(ELSEWHERE))}
    return sorted(set(inside) - excluded - outside)


def readme_section(communes: list[Commune]) -> str:
    """The snapshot README's section on this dataset (Markdown, English)."""
    sample = snapshot_dataset(communes)
    published = published_references(communes)
    rows = len(snapshot_rows(communes))
    lines = [
        "## Architecture contemporaine remarquable (`architecture-contemporaine-remarquable`)",
        "",
        f"- `{sample.file_path}`: the national ACR file (data.gouv.fr dataset "
        f"`{DATASET_ID}`, resource `{RESOURCE_ID}`) reduced to {rows} **synthetic** notices "
        "in the real format: `|` separator, unquoted capitalised header of 44 columns, every "
        "field quoted. Every notice says so in `Observations`.",
        f"- `{sample.api_path}`: the dataset's API v1 answer (one CSV resource).",
        "- Inferred, not seen: the spelling of 26 of the 44 columns (the INSEE column is "
        "written `Insee`), the quoting, `Denominations` joined with `;`, `Commune` in the "
        "index form (`Cendre (Le)`). See `tests/samples/acr.py`.",
        f"- {len(TRAPS)} trap notices (`ACR0090100`…), {SNAPSHOT_REGULAR} regular ones "
        f"(`ACR0091000`…), {len(ELSEWHERE)} elsewhere in France that the territory filter "
        "drops (`ACR0095000`…, among them one « Anciennement labellisé » in Lyon, dropped "
        "silently), then the second copy of the duplicate.",
        f"- An offline run publishes **{len(published)} buildings**, quarantines none and "
        "warns once (doubtful coordinates, see `far_away_coordinates`).",
        "",
        "| reference | trap | what the notice carries | expected outcome |",
        "|---|---|---|---|",
    ]
    for trap in TRAPS:
        what, outcome = TRAP_NOTES[trap]
        lines.append(f"| `{trap_reference(trap)}` | `{trap}` | {what} | {outcome} |")
    return "\n".join(lines) + "\n"
