"""Synthetic, format-faithful rows of the Muséofile CSV published on data.gouv.fr, and a sample
of the collectivité's museum-hours file.

The national file "Musées de France : base Muséofile" (dataset ``5d12ee8206e3e762c0c89a4c``,
resource ``5ccd6238-4fb0-4b2c-b14a-581909489320``, about 1 216 museums, weekly) is a
pipe-separated CSV (sources.md §3.1). This module writes files in that format, filled with
**invented** museums of the territory whose values look like the real ones (identifiers
``M`` + 4 digits, official names with a lower-case initial, ``"lat, lon"`` coordinates with a
space, ``;``-separated thematic domains, URLs without scheme, ``Refmer`` lists of Mérimée
references, telephones in pairs). Names such as "musée d'art Roger-Quilliot" are those of real
institutions, but every record (address, dates, coordinates, texts, identifiers M9…) is
synthetic. Two records elsewhere in France are real ones seen in stored documents (§3.1:
``M1128`` in Lyon; an ODS answer: ``M0477`` in Montpellier); they must be dropped.

What is seen and what is [INFERRED]:

- SEEN: the separator ``|``; the columns ``Identifiant``, ``Nom_officiel``, ``Ville``, ``URL``,
  ``Domaine_thematique``, ``Coordonnees``, ``Protection_batiment``, ``Refmer``, ``Categorie``;
  the value shapes above; the lower-case ODS names (``identifiant``, ``code_postal``,
  ``departement``… in the order used here); ``Departement`` as a name (``Hérault``);
  ISO ``date_de_mise_a_jour``; ``Refmer`` mixing ``PA…``, ``MI…`` and ``SPR…`` references.
- [INFERRED]: the capitalisation of the other CSV headers (``Adresse``, ``Lieu``,
  ``Code_Postal``, ``Region``, ``Departement``, ``Telephone``, ``Histoire``, ``Atout``,
  ``Themes``, ``Artiste``, ``Personnage_phare``, ``Interet``, ``Protection_espace``,
  ``Annee_creation``, ``Date_de_mise_a_jour``) and their order (that of the ODS records);
  minimal quoting (only a field holding ``|`` or ``"`` is quoted, as in the stored test
  fixtures), an unquoted header, UTF-8 without BOM, LF line ends; the file name.

Trap records of :func:`sample_rows` (``traps=True``) are listed in :data:`TRAPS`
(identifier, trap, expected outcome); the records elsewhere in France in
:data:`ELSEWHERE_TRAPS`. The hours file of :func:`hours_csv` is described in
:data:`HOURS_TRAPS`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO

from patrimoine.transforms.departements import DEPARTEMENTS
from tests.samples.datagouv import SnapshotDataset
from tests.samples.merimee import REGION_NAMES, Commune, point_inside
from tests.samples.writing import Layout

__all__ = [
    "DATASET_ID",
    "ELSEWHERE_TRAPS",
    "HOURS",
    "HOURS_FILENAME",
    "HOURS_TRAPS",
    "MUSEOFILE_HEADER",
    "RESOURCE_ID",
    "TRAPS",
    "elsewhere_rows",
    "hours_csv",
    "museofile_csv",
    "readme_section",
    "sample_rows",
    "snapshot_dataset",
    "snapshot_inputs",
    "write_museofile_csv",
]

DATASET_ID = "5d12ee8206e3e762c0c89a4c"
RESOURCE_ID = "5ccd6238-4fb0-4b2c-b14a-581909489320"
SLUG = "musees-de-france-base-museofile"
FILENAME = "musees-de-france-base-museofile.csv"  # [INFERRED]
HOURS_FILENAME = "horaires-musees.csv"
MODIFIED = dt.datetime(2026, 11, 23, 5, 12, 7, tzinfo=dt.UTC)

#: The 24 columns, in the order of the ODS records (sources.md §3.1), capitalised like the
#: columns seen in the data.gouv.fr CSV.
MUSEOFILE_HEADER: tuple[str, ...] = (
    "Identifiant",
    "Nom_officiel",
    "Adresse",
    "Lieu",
    "Code_Postal",
    "Ville",
    "Region",
    "Departement",
    "URL",
    "Telephone",
    "Categorie",
    "Domaine_thematique",
    "Histoire",
    "Atout",
    "Themes",
    "Artiste",
    "Personnage_phare",
    "Interet",
    "Protection_batiment",
    "Protection_espace",
    "Refmer",
    "Annee_creation",
    "Date_de_mise_a_jour",
    "Coordonnees",
)

# --- Traps ---------------------------------------------------------------------------------

#: (identifier, trap, expected outcome) of the territory's trap records, in file order.
#: ``(ligne N)`` marks the record without identifier (its line depends on the file).
TRAPS: tuple[tuple[str, str, str], ...] = (
    ("M9001", "pipe_in_quoted_name", "`|` inside the quoted `Nom_officiel`: read whole, published"),
    (
        "M9002",
        "coordinates_in_another_departement",
        "Clermont-Ferrand, 63000, point in Lyon: published in Clermont-Ferrand with "
        "`coordonnees_douteuses`, off the map, remark `coordonnees_hors_commune`",
    ),
    (
        "M9003",
        "swapped_coordinates",
        "`lon, lat`: put back, on the map, remark `coordonnees_inversees`",
    ),
    (
        "M9004",
        "no_coordinates_known_town",
        "Royat, 63130, no point: published in Royat, off the map, remarks `commune_par_nom`, "
        "`sans_coordonnees`",
    ),
    (
        "M9005",
        "no_coordinates_unverifiable_town",
        "`Beaumont` with no point, postal code nor département: not published, remark "
        "`commune_non_verifiable`",
    ),
    (
        "M9006",
        "no_coordinates_unknown_town",
        "`Clermont-Fd`, 63000, no point: not published, remark `ville_non_reconnue`",
    ),
    ("M9007", "url_without_scheme", "published with `https://` added"),
    ("M9008", "invalid_url", "`url` empty, remark `url_invalide`"),
    (
        "M9009",
        "several_merimee_references",
        "`PA00091901;PA63000415, MI184`: published `PA00091901;PA63000415;MI184`",
    ),
    (
        "M9010",
        "malformed_merimee_reference",
        "`PA0009190;PA00091902`: published `PA00091902`, remark `reference_merimee_invalide`",
    ),
    (
        "M9011",
        "thematic_domains_list",
        "`Beaux-arts ; Arts décoratifs;Beaux-arts;Archéologie nationale`: published "
        "`Beaux-arts;Arts décoratifs;Archéologie nationale`",
    ),
    (
        "M9012",
        "duplicate_identifier",
        "twice; the later copy (last territory row, newer `Date_de_mise_a_jour`, new "
        "telephone) is published, remark `identifiant_en_double`",
    ),
    (
        "M9013",
        "protection_with_link",
        "`Protection_batiment` ending in a URL: published without it",
    ),
    (
        "M9014",
        "french_update_date",
        "`Date_de_mise_a_jour` = `12/03/2025`: published `2025-03-12`; source warning",
    ),
    (
        "M9015",
        "lower_case_identifier",
        "` m9015 `: published as `M9015`",
    ),
    (
        "M9016",
        "point_in_neighbour_commune",
        "`Ville` Clermont-Ferrand, point inside Chamalières: published in Chamalières (the "
        "point decides), remark `nom_commune_divergent`",
    ),
    ("M901", "malformed_identifier", "quarantined (TableSchema pattern `^M\\d{4}$`)"),
    ("(ligne N)", "empty_identifier", "quarantined as `ligne N` (source suite), never published"),
)
TRAP_IDS: dict[str, str] = {trap: identifier for identifier, trap, _ in TRAPS}

#: (identifier, trap, expected outcome) of the records elsewhere in France.
ELSEWHERE_TRAPS: tuple[tuple[str, str, str], ...] = (
    ("M1128", "lyon_real_record", "Lyon (real record of §3.1): dropped, silent"),
    ("M0477", "montpellier_real_record", "Montpellier (ODS record): dropped, silent"),
    (
        "M9050",
        "beaumont_haute_savoie",
        "Beaumont, 74160, Haute-Savoie, point there: namesake of Beaumont (63), dropped, silent",
    ),
    (
        "M9051",
        "beaumont_dordogne_no_point",
        "Beaumont, 24440, no point: namesake in another département, dropped, silent",
    ),
    ("M9052", "riom_same_departement", "Riom (63, not a member): dropped, silent"),
)

_POSTCODES: dict[str, str] = {
    "63014": "63170", "63019": "63510", "63032": "63110", "63042": "63112", "63063": "63118",
    "63069": "63670", "63070": "63122", "63075": "63400", "63099": "63119", "63113": "63000",
    "63124": "63800", "63141": "63830", "63164": "63360", "63193": "63370", "63254": "63830",
    "63263": "63870", "63272": "63170", "63284": "63430", "63307": "63540", "63308": "63130",
    "63345": "63122",
}  # fmt: skip
"""Postal codes of the 21 member communes (sources.md §1.2; Clermont-Ferrand also 63100)."""
_DEPARTEMENT_NAMES = {
    code: name for name, code in DEPARTEMENTS.items() if name != "Métropole de Lyon"
}
_LYON_POINT = (45.764043, 4.835659)  # place Bellecour, Lyon (69)
_BEAUMONT_74_POINT = (46.113400, 6.143200)

_SNAPSHOT_COMMUNES = ("63113", "63075", "63308", "63124", "63284", "63263")
"""Where the regular museums of the snapshot are (two each)."""

_MUSEUMS: dict[str, tuple[str, ...]] = {
    "63113": (
        "musée d'art Roger-Quilliot",
        "musée Bargoin",
        "musée de la Résistance, de l'Internement et de la Déportation",
    ),
    "63075": ("musée de la Céramique de Chamalières", "maison des Arts de Chamalières"),
    "63308": ("musée des Thermes de Royat", "musée de la Source"),
    "63124": ("musée de la Vigne et du Vin de Cournon", "maison du Patrimoine de Cournon"),
    "63284": ("musée de la Batellerie", "musée du Pont-du-Château"),
    "63263": ("musée du Temple de Mercure", "maison des Volcans d'Orcines"),
}
_NAME_PATTERNS = (
    "musée municipal de {commune}",
    "musée d'histoire locale de {commune}",
    "maison du patrimoine de {commune}",
    "musée de l'école de {commune}",
)
_DOMAINES = (
    "Beaux-arts",
    "Arts décoratifs",
    "Archéologie nationale",
    "Histoire",
    "Ethnologie",
    "Sciences de la nature",
    "Technique et industrie",
    "Art moderne et contemporain",
)
_STREETS = (
    "place de la Victoire",
    "rue des Gras",
    "boulevard Lafayette",
    "rue Bardoux",
    "avenue de la République",
    "rue du Port",
    "place de l'Eglise",
    "rue Pascal",
)
_HISTOIRES = (
    "Le musée est créé à la suite d'un legs à la commune.",
    "Installé dans une ancienne demeure bourgeoise, le musée présente les collections réunies "
    "par la société savante locale.",
    "Les collections, constituées au XIXe siècle, ont été réorganisées lors de la rénovation "
    "du bâtiment.",
)
_ATOUTS = (
    "Parcours permanent rénové et expositions temporaires.",
    "Collections de référence pour l'histoire de la région.",
    "Ateliers pour les scolaires et les familles.",
)


def _pick(communes: Sequence[Commune], preferred: str, default: int) -> Commune:
    for commune in communes:
        if commune.code == preferred:
            return commune
    return communes[default % len(communes)]


def _postcode(commune: Commune) -> str:
    return _POSTCODES.get(commune.code) or f"{commune.departement[:2]}{commune.code[-3:]}"


def _format_point(lat: float, lon: float) -> str:
    """``"lat, lon"`` with a space, six decimals (``45.790491, 4.797411``)."""
    return f"{lat:.6f}, {lon:.6f}"


def _point_in(rng: random.Random, commune: Commune) -> tuple[float, float]:
    if commune.contour is not None:
        return point_inside(rng, commune.contour)
    return commune.lat + rng.uniform(-0.003, 0.003), commune.lon + rng.uniform(-0.003, 0.003)


def _slug(text: str) -> str:
    """An ASCII host label from a museum name (``musée d'art X`` → ``art-x``)."""
    plain = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    keep = "".join(c if c.isalnum() else "-" for c in plain)
    parts = [
        p for p in keep.split("-") if p and p not in ("musee", "museum", "maison", "d", "de", "l")
    ]
    return "-".join(parts)[:40].strip("-")


def _museum(
    rng: random.Random, identifier: str, name: str, commune: Commune, ordinal: int
) -> dict[str, str]:
    """One regular record: every column filled the way Muséofile fills it."""
    lat, lon = _point_in(rng, commune)
    domaines = rng.sample(_DOMAINES, rng.choice((1, 2, 2, 3)))
    updated = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(0, 1300))
    protected = ordinal % 3 == 0
    return {
        "Identifiant": identifier,
        "Nom_officiel": name,
        "Adresse": f"{rng.randrange(1, 60)} {rng.choice(_STREETS)}",
        "Lieu": "" if ordinal % 4 else "Hôtel de ville",
        "Code_Postal": _postcode(commune),
        "Ville": commune.nom,
        "Region": REGION_NAMES.get(commune.region, ""),
        "Departement": _DEPARTEMENT_NAMES.get(commune.departement, ""),
        "URL": "" if ordinal % 5 == 4 else f"https://www.{_slug(name)}.example.fr/",
        "Telephone": f"04 73 {rng.randrange(10, 99)} {rng.randrange(10, 99)} "
        f"{rng.randrange(10, 99)}",
        "Categorie": "Maison des Illustres." if ordinal % 7 == 6 else "",
        "Domaine_thematique": ";".join(domaines),
        "Histoire": rng.choice(_HISTOIRES),
        "Atout": rng.choice(_ATOUTS),
        "Themes": f"{domaines[0]} : collections permanentes",
        "Artiste": "",
        "Personnage_phare": "",
        "Interet": "Bâtiment du XIXe siècle." if protected else "",
        "Protection_batiment": "Monument historique inscrit." if protected else "",
        "Protection_espace": "",
        "Refmer": f"PA{63000100 + ordinal:08d}" if protected else "",
        "Annee_creation": str(rng.randrange(1850, 1990)) if ordinal % 2 else "",
        "Date_de_mise_a_jour": updated.isoformat(),
        "Coordonnees": _format_point(lat, lon),
    }


def _regular_name(commune: Commune, slot: int) -> str:
    names = _MUSEUMS.get(commune.code, ())
    if slot < len(names):
        return names[slot]
    return _NAME_PATTERNS[slot % len(_NAME_PATTERNS)].format(commune=commune.nom)


def _trap_rows(rng: random.Random, communes: Sequence[Commune]) -> list[dict[str, str]]:
    clermont = _pick(communes, "63113", 0)
    others = [c for c in communes if c.code != clermont.code] or [clermont]
    chamalieres = _pick(others, "63075", 0)
    royat = _pick(others, "63308", 1)
    rows: list[dict[str, str]] = []

    def add(trap: str, commune: Commune, name: str, **values: str) -> dict[str, str]:
        row = _museum(rng, TRAP_IDS[trap], name, commune, len(rows) + 1)
        row.update(values)
        rows.append(row)
        return row

    add("pipe_in_quoted_name", clermont, "muséum Henri-Lecoq | jardin Lecoq")
    add(
        "coordinates_in_another_departement",
        clermont,
        "musée des Beaux-Arts de Montferrand",
        Coordonnees=_format_point(*_LYON_POINT),
    )
    lat, lon = _point_in(rng, chamalieres)
    add(
        "swapped_coordinates",
        chamalieres,
        "musée d'Histoire de Chamalières",
        Coordonnees=_format_point(lon, lat),
    )
    add("no_coordinates_known_town", royat, "musée de la Vie thermale", Coordonnees="")
    add(
        "no_coordinates_unverifiable_town",
        _pick(communes, "63032", 2),
        "musée de l'Abbaye",
        Coordonnees="",
        Code_Postal="",
        Departement="",
        Region="",
    )
    add(
        "no_coordinates_unknown_town",
        clermont,
        "musée du Ranquet",
        Coordonnees="",
        Ville="Clermont-Fd",
    )
    add(
        "url_without_scheme",
        clermont,
        "musée Bargoin (annexe)",
        URL=" musee-bargoin.clermont.example.fr/collections ",
    )
    add("invalid_url", clermont, "musée du Tapis", URL="voir le site de la mairie")
    add(
        "several_merimee_references",
        clermont,
        "musée de l'Hôtel de Chazerat",
        Refmer="PA00091901;PA63000415, MI184",
        Protection_batiment="Monument historique classé.",
    )
    add(
        "malformed_merimee_reference",
        clermont,
        "musée de la Maison des Architectes",
        Refmer="PA0009190;PA00091902",
        Protection_batiment="Monument historique inscrit.",
    )
    add(
        "thematic_domains_list",
        clermont,
        "musée des Collections régionales",
        Domaine_thematique="Beaux-arts ; Arts décoratifs;Beaux-arts;Archéologie nationale",
    )
    duplicate = add(
        "duplicate_identifier",
        clermont,
        "musée de la Poste",
        Date_de_mise_a_jour="2024-05-02",
        Telephone="04 73 10 20 30",
    )
    add(
        "protection_with_link",
        clermont,
        "musée de l'Oratoire",
        Protection_batiment="Monument historique classé : "
        "https://pop.culture.gouv.fr/notice/merimee/PA00091903",
        Refmer="PA00091903",
    )
    add(
        "french_update_date",
        clermont,
        "musée de la Photographie",
        Date_de_mise_a_jour="12/03/2025",
    )
    add("lower_case_identifier", clermont, "musée de la Monnaie", Identifiant=" m9015 ")
    lat, lon = _point_in(rng, chamalieres)
    add(
        "point_in_neighbour_commune",
        clermont,
        "musée de la Résistance (réserves)",
        Coordonnees=_format_point(lat, lon),
    )
    add("malformed_identifier", clermont, "musée de l'Automobile")
    add("empty_identifier", clermont, "musée des Jouets", Identifiant="")
    # The newer copy of the duplicate comes last among the territory's records.
    newer = dict(duplicate, Date_de_mise_a_jour="2026-11-02", Telephone="04.73.10.20.31")
    return [*rows, newer]


def sample_rows(
    communes: Sequence[Commune],
    per_commune: int,
    *,
    seed: int = 0,
    traps: bool = True,
    only: Sequence[str] | None = None,
) -> list[dict[str, str]]:
    """A deterministic territory sample: the trap records (:data:`TRAPS`, then the newer copy
    of the duplicate) when ``traps``, then ``per_commune`` regular museums in each commune
    (or in the communes whose codes are in ``only``), identifiers ``M9101`` onwards."""
    if not communes:
        raise ValueError("sample_rows needs at least one commune")
    rng = random.Random(seed)
    rows = _trap_rows(rng, communes) if traps else []
    chosen = [c for c in communes if only is None or c.code in only]
    number = 9101
    for commune in chosen:
        for slot in range(per_commune):
            name = _regular_name(commune, slot)
            rows.append(_museum(rng, f"M{number}", name, commune, number))
            number += 1
    return rows


def elsewhere_rows(seed: int = 1) -> list[dict[str, str]]:
    """Museums elsewhere in France (:data:`ELSEWHERE_TRAPS`), that the territory must drop."""
    rng = random.Random(seed)
    riom = Commune("63300", "Riom", "63", "84", 45.8936, 3.1128)
    beaumont_74 = Commune("74031", "Beaumont", "74", "84", *_BEAUMONT_74_POINT)
    beaumont_24 = Commune("24026", "Beaumont", "24", "75", 44.7744, 0.7672)
    lyon = {
        **dict.fromkeys(MUSEOFILE_HEADER, ""),
        "Identifiant": "M1128",
        "Nom_officiel": "musée des sapeurs-pompiers de Lyon",
        "Ville": "Lyon",
        "Code_Postal": "69009",
        "Departement": "Rhône",
        "Region": "Auvergne-Rhône-Alpes",
        "URL": "museepompiers.com/",
        "Domaine_thematique": "Ethnologie;Histoire;Technique et industrie",
        "Coordonnees": "45.790491, 4.797411",
        "Date_de_mise_a_jour": "2025-06-30",
    }
    montpellier = {
        **dict.fromkeys(MUSEOFILE_HEADER, ""),
        "Identifiant": "M0477",
        "Nom_officiel": "musée de l’hôtel d'Espeyran",
        "Adresse": "6 bis rue Montpelliéret",
        "Code_Postal": "34000",
        "Ville": "Montpellier",
        "Region": "Occitanie",
        "Departement": "Hérault",
        "URL": "www.montpellier3m.fr/equipement/musee-des-arts-decoratifs-sabatier-despeyran",
        "Telephone": "04 67 66 83 00",
        "Categorie": "Maison des Illustres.",
        "Domaine_thematique": "Arts décoratifs",
        "Themes": "Mobilier, Orfèvrerie;Beaux-Arts : Peinture",
        "Protection_espace": "Site patrimonial remarquable.",
        "Refmer": "MI184;SPR7600054;SPR7600055;SPR7600056;SPR7600053",
        "Date_de_mise_a_jour": "2023-04-12",
        "Coordonnees": "43.611112, 3.880183",
    }
    beaumont = _museum(rng, "M9050", "musée de la Vallée du Foron", beaumont_74, 1)
    beaumont.update(Code_Postal="74160", Coordonnees=_format_point(*_BEAUMONT_74_POINT))
    dordogne = _museum(rng, "M9051", "musée de la Bastide", beaumont_24, 2)
    dordogne.update(Code_Postal="24440", Coordonnees="")
    riom_row = _museum(rng, "M9052", "musée Mandet", riom, 3)
    riom_row.update(Code_Postal="63200")
    return [lyon, montpellier, beaumont, dordogne, riom_row]


# --- Writing -------------------------------------------------------------------------------


LAYOUT = Layout(quoting=csv.QUOTE_MINIMAL)
"""Unquoted ``|`` header, fields quoted only when they must be."""


def write_museofile_csv(
    rows: Iterable[Mapping[str, str]],
    out: IO[str] | Path,
    header: Sequence[str] = MUSEOFILE_HEADER,
) -> int:
    """Write ``rows`` in the data.gouv.fr Muséofile format; return the number of data rows.

    Unquoted ``|``-joined header, minimal quoting, LF line ends; a :class:`~pathlib.Path` is
    written in UTF-8 without BOM. Columns of a row that are not in ``header`` are ignored,
    so a reduced or renamed header simulates schema drift.
    """
    return LAYOUT.write(rows, out, header)


def museofile_csv(
    rows: Iterable[Mapping[str, str]], header: Sequence[str] = MUSEOFILE_HEADER
) -> bytes:
    return LAYOUT.content(rows, header)


# --- The collectivité's hours file ---------------------------------------------------------

#: (identifier, hours as the collectivité typed them) of the sample hours file, in order.
HOURS: tuple[tuple[str, str], ...] = (
    ("M9001", "Du mardi au dimanche de 10h à 18h, fermé le lundi et les jours fériés"),
    ("M9002", "Tous les jours 10h-12h et 14h-18h"),
    ("M9003", "Tu-Su 10:00-18:00; PH off"),
    ("M9004", "Sur rendez-vous"),
    ("M9007", "D'avril à octobre : tous les jours de 10 h à 18 h 30"),
    ("M9011", "du mercredi au dimanche de 14h à 18h"),
    ("M9999", "du mardi au samedi de 14 h à 17 h"),
    ("M9101", "du lundi au vendredi 9h-12h et 14h-17h, sauf le mardi"),
)
#: (identifier, trap, expected outcome) of the hours file.
HOURS_TRAPS: tuple[tuple[str, str, str], ...] = (
    ("(file)", "bom_and_semicolons", "UTF-8 BOM, `;` separator, CRLF line ends: read"),
    ("M9003", "already_osm", "kept as given in `horaires_osm`"),
    (
        "M9004",
        "unparseable",
        "`Sur rendez-vous`: `horaires_texte` kept, `horaires_osm` empty, remark "
        "`horaires_non_reconnus`",
    ),
    ("M9999", "unknown_identifier", "no such museum: remark `horaires_identifiant_inconnu`"),
    (
        "M9001, M9002, M9007, M9011, M9101",
        "french_free_text",
        "day ranges, closed days, holidays, two intervals, months: normalised to OSM",
    ),
)


def hours_csv(lines: Sequence[tuple[str, str]] = HOURS) -> bytes:
    """The hours file as a collectivité's spreadsheet exports it: BOM, ``;``, CRLF."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(["identifiant", "horaires"])
    writer.writerows(lines)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


# --- Snapshot contract ---------------------------------------------------------------------


def snapshot_rows(communes: Sequence[Commune]) -> list[dict[str, str]]:
    """The snapshot file's records: the territory's (traps first), then elsewhere's."""
    inside = sample_rows(communes, 2, seed=63, only=_SNAPSHOT_COMMUNES)
    return [*inside, *elsewhere_rows()]


def snapshot_dataset(communes: list[Commune]) -> SnapshotDataset:
    return SnapshotDataset(
        dataset_id=DATASET_ID,
        slug=SLUG,
        title="Musées de France : base Muséofile",
        description=(
            "Le répertoire Muséofile recense les musées bénéficiant de l'appellation « Musée "
            "de France » : identifiant, nom officiel, adresse, site web, téléphone, domaines "
            "thématiques, protection du bâtiment, références Mérimée et coordonnées."
        ),
        frequency="weekly",
        resource_id=RESOURCE_ID,
        resource_title="Musées de France : base Muséofile",
        filename=FILENAME,
        content=museofile_csv(snapshot_rows(communes)),
        modified=MODIFIED,
        tags=("musees", "musees-de-france", "museofile", "culture"),
    )


def snapshot_inputs(communes: list[Commune]) -> dict[str, bytes]:
    return {HOURS_FILENAME: hours_csv()}


def readme_section(communes: list[Commune]) -> str:
    rows = snapshot_rows(communes)
    counted = sum(1 for r in rows if r["Identifiant"] not in {i for i, _, _ in ELSEWHERE_TRAPS})

    def line(identifier: str, trap: str, outcome: str) -> str:
        return f"| {identifier} | `{trap}` | {outcome.replace('|', chr(92) + '|')} |"

    table = "\n".join(line(*trap) for trap in (*TRAPS, *ELSEWHERE_TRAPS))
    hours = "\n".join(line(*trap) for trap in HOURS_TRAPS)
    return f"""## Musées de France (Muséofile)

`static.data.gouv.fr/resources/{SLUG}/{MODIFIED:%Y%m%d-%H%M%S}/{FILENAME}`: the Muséofile CSV
(dataset `{DATASET_ID}`) in its data.gouv.fr format (`|`, unquoted header, minimal quoting).
It holds {counted} records naming a town of the territory (traps included) and
{len(ELSEWHERE_TRAPS)} elsewhere in France, that the territory filter drops.
Every territory record is **synthetic** (identifiers `M9…`, addresses, dates, points inside the
communes' real contours), even when it borrows a real museum's name; `M1128` (Lyon) and `M0477`
(Montpellier) are real records seen in stored documents. Generated by
`tests/samples/museofile.py`.

| identifier | trap | expected outcome |
|---|---|---|
{table}

`inputs/{HOURS_FILENAME}`: a sample of the hours file the collectivité keeps
(`PATRIMOINE_MUSEUM_HOURS`; `--offline` uses this one), synthetic.

| identifier | trap | expected outcome |
|---|---|---|
{hours}
"""
