"""Synthetic, format-faithful rows of the Mérimée CSV published on data.gouv.fr.

The national file "Immeubles protégés au titre des monuments historiques" (dataset
``5af120e5b595087cfabcde81``) is a pipe-separated CSV: UTF-8 without BOM, LF line ends,
an *unquoted* header, every data field quoted with ``"``, empty values as ``""`` and
78 columns. This module writes files in exactly that format, filled with **invented**
notices whose values look like the real ones (references ``PA00…``/``PA63…``, lower-case
multi-valued denominations, ``"lat,lon"`` coordinates, ``YYYY/MM/DD : classé MH``
protections, ISO notice dates, ~627 characters of copyright boilerplate…). None of the
notices is a real Mérimée record: titles, dates and texts are generated from a seeded
:class:`random.Random`, so the same arguments always give the same bytes.

Two generators:

- :func:`sample_rows` builds a small territory sample (a few notices per commune) with,
  by default, one notice per known data-quality trap of the real file (see below);
- :func:`national_rows` streams a national-size benchmark file (46 760 rows ≈ 57 MB).

Trap notices of :func:`sample_rows` (``traps=True``)
----------------------------------------------------
The trap notices come first, in the order of :data:`TRAPS`; trap number ``k`` has the
reference ``PA00{91000 + ref_start + k:06d}`` (see :func:`trap_reference`). With the
default ``ref_start=0`` and the 21 communes of Clermont Auvergne Métropole:

=============  ===========================  ==================================================
Reference      Trap                         What the notice carries
=============  ===========================  ==================================================
PA00091000     ``pipe_in_field``            a literal ``|`` inside the quoted title
PA00091001     ``multiple_cog_codes``       ``COG_Insee_lors_de_la_protection`` = ``63113;63075``
PA00091002     ``empty_cog_name_fallback``  empty COG code, ``Commune_forme_index`` =
                                            ``Cendre (Le)``, editorial ``Le Cendre``
PA00091003     ``cog_outside_name_member``  COG ``63808`` (not a member) for ``Royat``
PA00091004     ``empty_coordinates``        ``coordonnees_au_format_WGS84`` = ``""``
PA00091005     ``zero_coordinates``         coordinates ``0,0``
PA00091006     ``swapped_coordinates``      coordinates ``lon,lat`` (outside France)
PA00091007     ``protection_year_only``     ``1862 : classé MH``
PA00091008     ``protection_without_date``  ``inscrit MH``
PA00091009     ``protection_malformed``     ``classé MH partiellement:2017/05/10:inscrit MH``
PA00091010     ``protection_partial``       ``inscrit MH partiellement``
PA00091011     ``statut_etat_accent``       ``propriété de l'État``, ``Dossier de protection``
PA00091012     ``statut_etat_no_accent``    ``propriété de l'Etat``, ``dossier de protection``
PA00091013     ``statut_etat_typographic``  ``propriété de l’État`` (typographic apostrophe)
PA00091014     ``denomination_capitalised`` denomination ``Eglise`` (capital, no accent)
PA00091015     ``denomination_lower_case``  denomination ``église``
PA00091016     ``duplicate_reference``      appears twice: the second copy, the last row of
                                            the sample, differs only by a later
                                            ``Date_de_la_derniere_mise_a_jour``
                                            (``2026-11-19``)
PA00091017     ``protection_one_digit_month`` ``1926/3/12 : classé MH``
PA00091018     ``protection_classe_then_``  empty typology, ``1926/03/12 : classé MH;
               ``partly_inscrit``           1994/07/08 : inscrit MH partiellement``
PA00091019     ``authors_with_fragments``   ``Jeanneret Charles-Edouard;dit;Le Corbusier
                                            (architecte);Jeanneret Pierre;dit;…``
PA00091020     ``duplicate_newer_elsewhere`` a newer copy (``2026-11-19``) sits in Riom
                                            (63300), at the very end of the sample
PA00091021     ``far_away_coordinates``     Clermont-Ferrand's code, a point in La Réunion
PA00091022     ``namesake_without_code_``   ``Beaumont`` without code nor département, a
               ``or_departement``           point in Beaumont (Haute-Savoie)
PA00091023     ``code_name_disagree``       Clermont-Ferrand's code, the name ``Royat``
(none)         ``empty_reference``          a full notice whose ``Reference`` is ``""``
PA0009102X     ``malformed_reference``      ``PA0009102`` + ``X`` (fails ``^PA\\d{8}$``)
PA00091026     ``empty_title``              ``Titre_editorial_de_la_notice`` = ``""``
PA00091027     ``implausible_protection_``  ``2206/03/12 : inscrit MH`` (a typo of the year)
               ``year``
(none)         ``empty_line``               a row whose 78 fields are all ``""``, inserted
                                            in the middle of the regular notices
=============  ===========================  ==================================================

With other communes the same slots apply: the multi-code trap joins the first two
communes (Clermont-Ferrand and Chamalières when present), the name-fallback trap uses a
commune whose name starts with an article (Le Cendre when present), the out-of-territory
code trap uses Royat when present (code: département + ``(last three digits + 500) mod
1000``); every other trap ``k`` sits in commune ``communes[k % len(communes)]``.

Regular notices follow the trap notices (``per_commune`` notices per commune, commune by
commune), with references from :func:`reference_for` (mostly ``PA00…``, every third one
in the newer ``PA<dd>…`` form).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import math
import random
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from tests.samples.writing import DATAGOUV

__all__ = [
    "CAM_CODES",
    "COMMUNE_CENTRES",
    "DEPARTEMENT_NAMES",
    "MERIMEE_HEADER",
    "OTHER_COMMUNES",
    "REGION_NAMES",
    "TRAPS",
    "Commune",
    "communes_from_territory_csv",
    "contour_radius_km",
    "national_rows",
    "reference_for",
    "sample_rows",
    "synthetic_contour",
    "trap_reference",
    "with_contours",
    "write_merimee_csv",
]

# --- Header -----------------------------------------------------------------------------

#: The 78 columns of the data.gouv.fr file: the first 50 in the order of sources.md §2.2,
#: then the sparsely filled ones (under 5 %), most filled first as in the 2026-09 profile.
MERIMEE_HEADER: tuple[str, ...] = (
    "Reference",
    "Titre_editorial_de_la_notice",
    "Denomination_de_l_edifice",
    "Domaine",
    "Commune_forme_editoriale",
    "Commune_forme_index",
    "COG_Insee_lors_de_la_protection",
    "Departement_format_numerique",
    "Departement_en_lettres",
    "Region",
    "coordonnees_au_format_WGS84",
    "Precision_de_la_localisation",
    "Adresse_forme_editoriale",
    "Adresse_forme_index",
    "Lieudit",
    "Cadastre",
    "Siecle_de_la_campagne_principale_de_construction",
    "Siecle_de_campagne_secondaire_de_construction",
    "Format_abrege_du_siecle_de_construction",
    "Datation_de_l_edifice",
    "Nature_de_la_protection",
    "Typologie_de_la_protection",
    "Date_et_typologie_de_la_protection",
    "Precision_de_la_protection",
    "Typologie_de_la_zone_de_protection",
    "Statut_juridique_de_l_edifice",
    "Precision_sur_le_statut_de_l_edifice",
    "Auteur_de_l_edifice",
    "Typologie_du_dossier",
    "Cadre_de_l_etude",
    "Identifiant_Agregee",
    "Historique",
    "Observations",
    "Description_de_l_edifice",
    "Technique_du_decor_porte_de_l_edifice",
    "Lien_vers_la_base_Archiv_MH",
    "Liens_externes",
    "Lien_vers_la_base_Palissy",
    "Lien_vers_la_base_Joconde",
    "Renvoi_vers_une_notice_de_la_base_Merimee_ou_Palissy",
    "Date_de_creation_de_la_notice",
    "Date_de_la_derniere_mise_a_jour",
    "Date_de_Label",
    "Copyright",
    "Producteur",
    "etat_de_conservation",
    "Destination_actuelle_de_l_edifice",
    "Etablissement_affectataire_de_l_edifice",
    "Autre_appellation_de_l_edifice",
    "Personnes_liees_a_l_edifice",
    "Genre_du_destinataire",
    "Precision_sur_la_denomination",
    "Nom_du_cours_d_eau_traversant_ou_bordant_l_edifice",
    "Precision_affectataire",
    "Source_de_l_energie_utilisee_par_l_edifice",
    "Emplacement__forme_et_structure_de_l_escalier",
    "Typologie_de_plan",
    "Materiaux_du_gros_oeuvre",
    "Description_de_l_iconographie",
    "Materiaux_de_la_couverture",
    "Type_de_couverture",
    "Typologie_du_couvrement",
    "Couverts_ou_decouverts_du_jardin_de_l_edifice",
    "Reference_a_un_ensemble",
    "Partie_constituante",
    "Lieu_de_conservation_d_un_element_architectural_deplace",
    "Vocable___pour_les_edifices_cultuels",
    "Description_de_l_elevation_interieure",
    "Justification_de_la_datation",
    "Indexation_iconographique_normalisee",
    "Justification_attribution",
    "Elements_remarquables_dans_l_edifice",
    "Nom_du_redacteur",
    "Partie_d_elevation_exterieure",
    "References_des_parties_constituantes_etudiees",
    "Dimensions_normalisees_des_edicules_uniquement",
    "Remploi",
    "Partie_constituante_non_etudiee",
)

# --- Territory --------------------------------------------------------------------------


@dataclass(frozen=True)
class Commune:
    """One commune of a territory.

    ``departement`` and ``region`` are INSEE *codes* (``"63"``, ``"84"``); their names
    are in :data:`DEPARTEMENT_NAMES` and :data:`REGION_NAMES`. ``lat``/``lon`` are an
    approximate centre in WGS84.
    """

    code: str
    nom: str
    departement: str
    region: str
    lat: float
    lon: float
    contour: Mapping[str, Any] | None = field(default=None, compare=False, hash=False, repr=False)
    """A GeoJSON (Multi)Polygon: when given, generated points fall inside it."""


REGION_NAMES: dict[str, str] = {
    "01": "Guadeloupe",
    "04": "La Réunion",
    "11": "Île-de-France",
    "24": "Centre-Val de Loire",
    "27": "Bourgogne-Franche-Comté",
    "28": "Normandie",
    "32": "Hauts-de-France",
    "44": "Grand Est",
    "52": "Pays de la Loire",
    "53": "Bretagne",
    "75": "Nouvelle-Aquitaine",
    "76": "Occitanie",
    "84": "Auvergne-Rhône-Alpes",
    "93": "Provence-Alpes-Côte d'Azur",
    "94": "Corse",
}


@dataclass(frozen=True)
class _Departement:
    code: str
    nom: str
    region: str
    old_region: str  # region before the 2016 merger ("" when unchanged)
    lat: float
    lon: float
    weight: int  # share of the national file


_DEPARTEMENTS: tuple[_Departement, ...] = (
    _Departement("03", "Allier", "84", "Auvergne", 46.566, 3.333, 480),
    _Departement("10", "Aube", "44", "Champagne-Ardenne", 48.297, 4.074, 380),
    _Departement("13", "Bouches-du-Rhône", "93", "", 43.296, 5.370, 520),
    _Departement("14", "Calvados", "28", "Basse-Normandie", 49.183, -0.370, 978),
    _Departement("15", "Cantal", "84", "Auvergne", 44.926, 2.440, 330),
    _Departement("17", "Charente-Maritime", "75", "Poitou-Charentes", 45.900, -0.600, 858),
    _Departement("21", "Côte-d'Or", "27", "Bourgogne", 47.322, 5.041, 860),
    _Departement("22", "Côtes-d'Armor", "53", "", 48.514, -2.765, 847),
    _Departement("24", "Dordogne", "75", "Aquitaine", 45.184, 0.721, 903),
    _Departement("25", "Doubs", "27", "Franche-Comté", 47.238, 6.024, 420),
    _Departement("29", "Finistère", "53", "", 48.200, -4.100, 796),
    _Departement("2A", "Corse-du-Sud", "94", "", 41.919, 8.739, 160),
    _Departement("31", "Haute-Garonne", "76", "Midi-Pyrénées", 43.604, 1.444, 620),
    _Departement("33", "Gironde", "75", "Aquitaine", 44.838, -0.579, 1091),
    _Departement("34", "Hérault", "76", "Languedoc-Roussillon", 43.611, 3.877, 560),
    _Departement("37", "Indre-et-Loire", "24", "", 47.394, 0.685, 883),
    _Departement("43", "Haute-Loire", "84", "Auvergne", 45.043, 3.886, 290),
    _Departement("44", "Loire-Atlantique", "52", "", 47.218, -1.554, 410),
    _Departement("51", "Marne", "44", "Champagne-Ardenne", 48.957, 4.364, 520),
    _Departement("56", "Morbihan", "53", "", 47.750, -2.760, 996),
    _Departement("57", "Moselle", "44", "Lorraine", 49.120, 6.176, 470),
    _Departement("59", "Nord", "32", "Nord-Pas-de-Calais", 50.629, 3.057, 832),
    _Departement("63", "Puy-de-Dôme", "84", "Auvergne", 45.777, 3.087, 875),
    _Departement("67", "Bas-Rhin", "44", "Alsace", 48.573, 7.752, 885),
    _Departement("69", "Rhône", "84", "Rhône-Alpes", 45.764, 4.836, 620),
    _Departement("74", "Haute-Savoie", "84", "Rhône-Alpes", 45.900, 6.129, 250),
    _Departement("75", "Paris", "11", "", 48.857, 2.352, 1893),
    _Departement("76", "Seine-Maritime", "28", "Haute-Normandie", 49.443, 1.099, 700),
    _Departement("80", "Somme", "32", "Picardie", 49.894, 2.296, 480),
    _Departement("87", "Haute-Vienne", "75", "Limousin", 45.834, 1.261, 300),
    _Departement("971", "Guadeloupe", "01", "", 16.000, -61.726, 120),
    _Departement("974", "La Réunion", "04", "", -21.115, 55.536, 206),
)
_DEPARTEMENT_BY_CODE: dict[str, _Departement] = {d.code: d for d in _DEPARTEMENTS}

DEPARTEMENT_NAMES: dict[str, str] = {d.code: d.nom for d in _DEPARTEMENTS}

#: INSEE codes of the 21 communes of Clermont Auvergne Métropole (EPCI 246300701).
CAM_CODES: frozenset[str] = frozenset(
    {
        "63014", "63019", "63032", "63042", "63063", "63069", "63070",
        "63075", "63099", "63113", "63124", "63141", "63164", "63193",
        "63254", "63263", "63272", "63284", "63307", "63308", "63345",
    }
)  # fmt: skip

_CAM_COMMUNES: tuple[Commune, ...] = (
    Commune("63014", "Aubière", "63", "84", 45.7508, 3.1106),
    Commune("63019", "Aulnat", "63", "84", 45.7944, 3.1669),
    Commune("63032", "Beaumont", "63", "84", 45.7519, 3.0836),
    Commune("63042", "Blanzat", "63", "84", 45.8292, 3.0786),
    Commune("63063", "Cébazat", "63", "84", 45.8317, 3.1006),
    Commune("63069", "Le Cendre", "63", "84", 45.7222, 3.1883),
    Commune("63070", "Ceyrat", "63", "84", 45.7331, 3.0636),
    Commune("63075", "Chamalières", "63", "84", 45.7744, 3.0672),
    Commune("63099", "Châteaugay", "63", "84", 45.8522, 3.0867),
    Commune("63113", "Clermont-Ferrand", "63", "84", 45.7772, 3.0870),
    Commune("63124", "Cournon-d'Auvergne", "63", "84", 45.7358, 3.1961),
    Commune("63141", "Durtol", "63", "84", 45.7975, 3.0528),
    Commune("63164", "Gerzat", "63", "84", 45.8247, 3.1447),
    Commune("63193", "Lempdes", "63", "84", 45.7714, 3.1936),
    Commune("63254", "Nohanent", "63", "84", 45.8078, 3.0594),
    Commune("63263", "Orcines", "63", "84", 45.7833, 3.0128),
    Commune("63272", "Pérignat-lès-Sarliève", "63", "84", 45.7369, 3.1394),
    Commune("63284", "Pont-du-Château", "63", "84", 45.7983, 3.2483),
    Commune("63307", "Romagnat", "63", "84", 45.7294, 3.1003),
    Commune("63308", "Royat", "63", "84", 45.7658, 3.0511),
    Commune("63345", "Saint-Genès-Champanelle", "63", "84", 45.7208, 3.0189),
)

#: Communes *outside* Clermont Auvergne Métropole, for notices a territory filter must
#: drop: other communes of the Puy-de-Dôme (one, La Roche-Blanche, with an article),
#: homonyms or near-homonyms of member communes in other départements (Beaumont, 74;
#: Lempdes-sur-Allagnon, 43), Paris-style arrondissement codes (Lyon 5e), Corsica (2A)
#: and an overseas département (971). Positions are approximate.
OTHER_COMMUNES: tuple[Commune, ...] = (
    Commune("63300", "Riom", "63", "84", 45.8936, 3.1128),
    Commune("63178", "Issoire", "63", "84", 45.5442, 3.2492),
    Commune("63430", "Thiers", "63", "84", 45.8564, 3.5475),
    Commune("63470", "Volvic", "63", "84", 45.8717, 3.0383),
    Commune("63264", "Orcival", "63", "84", 45.6833, 2.8436),
    Commune("63380", "Saint-Nectaire", "63", "84", 45.5883, 2.9978),
    Commune("63040", "Billom", "63", "84", 45.7225, 3.3389),
    Commune("63245", "Mozac", "63", "84", 45.8856, 3.0931),
    Commune("63003", "Ambert", "63", "84", 45.5497, 3.7417),
    Commune("63302", "La Roche-Blanche", "63", "84", 45.7014, 3.1297),
    Commune("03190", "Moulins", "03", "84", 46.5660, 3.3331),
    Commune("15014", "Aurillac", "15", "84", 44.9264, 2.4397),
    Commune("15187", "Saint-Flour", "15", "84", 45.0339, 3.0931),
    Commune("43157", "Le Puy-en-Velay", "43", "84", 45.0434, 3.8855),
    Commune("43120", "Lempdes-sur-Allagnon", "43", "84", 45.3861, 3.2711),
    Commune("74031", "Beaumont", "74", "84", 46.0967, 6.1264),
    Commune("69385", "Lyon 5e Arrondissement", "69", "84", 45.7597, 4.8270),
    Commune("10064", "Brienne-le-Château", "10", "44", 48.3917, 4.5248),
    Commune("31555", "Toulouse", "31", "76", 43.6045, 1.4440),
    Commune("33063", "Bordeaux", "33", "75", 44.8378, -0.5792),
    Commune("2A004", "Ajaccio", "2A", "94", 41.9192, 8.7386),
    Commune("97105", "Basse-Terre", "971", "01", 15.9972, -61.7261),
)

ELSEWHERE = next(c for c in OTHER_COMMUNES if c.code == "63300")
"""Riom: where the newer copy of ``duplicate_newer_elsewhere`` sits, outside the territory."""

#: Approximate centres of the communes this module knows, by INSEE code.
COMMUNE_CENTRES: dict[str, tuple[float, float]] = {
    c.code: (c.lat, c.lon) for c in (*_CAM_COMMUNES, *OTHER_COMMUNES)
}


def _unit_floats(key: str, count: int) -> list[float]:
    """``count`` deterministic floats in [0, 1) derived from ``key`` (not from hash())."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return [int.from_bytes(digest[4 * i : 4 * i + 4], "big") / 2**32 for i in range(count)]


def _fallback_position(code: str) -> tuple[float, float]:
    """A deterministic point inside metropolitan France for an unknown commune code."""
    u, v = _unit_floats(f"commune:{code}", 2)
    return round(43.6 + 5.4 * u, 4), round(-0.5 + 6.0 * v, 4)


def communes_from_territory_csv(path: Path) -> list[Commune]:
    """Read the shared territory reference CSV (``code_insee,nom,…,code_region,…``).

    Known communes get their approximate real centre (:data:`COMMUNE_CENTRES`); unknown
    codes get a deterministic position inside metropolitan France.
    """
    communes: list[Commune] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for record in csv.DictReader(handle):
            code = record["code_insee"].strip()
            lat, lon = COMMUNE_CENTRES.get(code) or _fallback_position(code)
            communes.append(
                Commune(
                    code=code,
                    nom=record["nom"].strip(),
                    departement=record["code_departement"].strip(),
                    region=record["code_region"].strip(),
                    lat=lat,
                    lon=lon,
                )
            )
    return communes


# --- Geometry helpers (also used to build the synthetic geo.api contours) ---------------

_KM_PER_DEGREE = 111.32


def _distance_km(a: Commune, b: Commune) -> float:
    mean_lat = math.radians((a.lat + b.lat) / 2)
    dx = (a.lon - b.lon) * _KM_PER_DEGREE * math.cos(mean_lat)
    dy = (a.lat - b.lat) * _KM_PER_DEGREE
    return math.hypot(dx, dy)


def contour_radius_km(commune: Commune, communes: Sequence[Commune]) -> float:
    """Radius of the synthetic hexagon of ``commune``: 2 km, or less near a neighbour.

    Half the distance to the nearest other commune, so that the hexagons never overlap.
    """
    distances = [_distance_km(commune, other) for other in communes if other.code != commune.code]
    return min([2.0, *(d / 2 for d in distances)])


def synthetic_contour(commune: Commune, communes: Sequence[Commune]) -> list[list[float]]:
    """A closed, counter-clockwise hexagon ring ``[[lon, lat], …]`` around the centre."""
    radius = contour_radius_km(commune, communes)
    dlat = radius / _KM_PER_DEGREE
    dlon = radius / (_KM_PER_DEGREE * math.cos(math.radians(commune.lat)))
    ring = [
        [
            round(commune.lon + dlon * math.cos(math.radians(60 * i)), 6),
            round(commune.lat + dlat * math.sin(math.radians(60 * i)), 6),
        ]
        for i in range(6)
    ]
    return [*ring, ring[0]]


def _point_near(rng: random.Random, commune: Commune, radius_km: float) -> tuple[float, float]:
    """A random point within ``radius_km`` of the commune centre (inside its contour if any)."""
    if commune.contour is not None:
        return point_inside(rng, commune.contour)
    distance = radius_km * math.sqrt(rng.random())
    angle = rng.uniform(0.0, 2 * math.pi)
    lat = commune.lat + distance * math.sin(angle) / _KM_PER_DEGREE
    lon = commune.lon + distance * math.cos(angle) / (
        _KM_PER_DEGREE * math.cos(math.radians(commune.lat))
    )
    return lat, lon


def point_inside(rng: random.Random, contour: Mapping[str, Any]) -> tuple[float, float]:
    """A random point of a polygon, at least ~150 m inside its border (rejection sampling)."""
    from shapely.geometry import Point, shape

    polygon = shape(contour)
    inner = polygon.buffer(-0.002) if not polygon.buffer(-0.002).is_empty else polygon
    west, south, east, north = polygon.bounds
    for _ in range(10_000):
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        if inner.contains(Point(lon, lat)):
            return lat, lon
    point = polygon.representative_point()
    return point.y, point.x


def with_contours(
    communes: Iterable[Commune], contours: Mapping[str, Mapping[str, Any]]
) -> list[Commune]:
    """The communes centred on, and sampled inside, their real contours (when known)."""
    placed = []
    for commune in communes:
        contour = contours.get(commune.code)
        if contour is None:
            placed.append(commune)
            continue
        lat, lon = commune_centre(contour)
        placed.append(replace(commune, lat=lat, lon=lon, contour=contour))
    return placed


def commune_centre(contour: Mapping[str, Any]) -> tuple[float, float]:
    """(lat, lon) of a point surely inside the contour (not the centroid of a crescent)."""
    from shapely.geometry import shape

    point = shape(contour).representative_point()
    return round(point.y, 5), round(point.x, 5)


def _format_coordinate(value: float) -> str:
    """Like the real file: up to 14 decimals, no trailing zeros (``48.3916559789157``)."""
    return f"{value:.14f}".rstrip("0").rstrip(".")


# --- Vocabulary -------------------------------------------------------------------------

_SAINTS = (
    "Pierre", "Martin", "Julien", "Jean-Baptiste", "Austremoine", "Genès", "Vénérand",
    "Saturnin", "Eutrope", "Léger", "Marcel", "Amable", "Hilaire", "Barthélemy", "Georges",
    "Roch", "Blaise", "Priest", "Loup", "Etienne",
)  # fmt: skip
_FAMILLES = (
    "Fontfreyde", "Chazerat", "Savaron", "Jussat", "Lastic", "Montrodeix", "Ribeyre",
    "Beaufort-Canillac", "Sirmond", "Combes", "Riberolles", "Chabannes", "Vichy", "Féligonde",
    "Pélissier", "Bonnefoy",
)  # fmt: skip
_LIEUX = (
    "la Mothe", "Bellevue", "Montrognon", "Crouël", "Bien-Assis", "Sarliève", "Opme",
    "Saint-Hérem", "la Tour", "Chazeron", "Villars", "la Roche", "Montjoly", "Theix",
    "la Varenne", "Beauregard",
)  # fmt: skip
_MAISONS = (
    "des Architectes", "de l'Annonciation", "du Lion d'or", "des Consuls", "du Bailli",
    "des Chanoines", "de la Treille", "aux Cariatides",
)  # fmt: skip
_VOCABLES = ("Lorette", "Pitié", "Bon-Secours", "Prospérité", "Bon-Retour")
_RIVIERES = ("Allier", "Tiretaine", "Artière", "Bédat", "Auzon")
_STREETS = (
    ("rue des Gras", "Gras (rue des)"),
    ("rue Pascal", "Pascal (rue)"),
    ("place de la Victoire", "Victoire (place de la)"),
    ("rue du Port", "Port (rue du)"),
    ("rue Savaron", "Savaron (rue)"),
    ("rue des Chaussetiers", "Chaussetiers (rue des)"),
    ("rue de l'Oratoire", "Oratoire (rue de l')"),
    ("place de l'Eglise", "Eglise (place de l')"),
    ("rue de la Mairie", "Mairie (rue de la)"),
    ("Grande Rue", "Grande Rue"),
    ("avenue de la Gare", "Gare (avenue de la)"),
    ("rue du Château", "Château (rue du)"),
)
_LIEUDITS = ("le Bourg", "les Côtes", "la Garenne", "le Moulin", "Champ Gaillard", "Puy Long")
_AUTEURS = (
    "Mallay Aymon-Gilbert (architecte)",
    "Viollet-le-Duc Eugène (architecte)",
    "Ledru Hugues (architecte)",
    "Jarrier Pierre (architecte)",
    "Teillard Jean (architecte);Bardon Antoine (maître d'oeuvre)",
    "Anglada Jean (sculpteur)",
    "Gabriel Jacques (architecte)",
    "Guimard Hector (architecte)",
    "Mallet Louis;dit;Le Grand Mallet (maître maçon)",
)
_DECORS = (
    "sculpture", "peinture", "vitrail", "ferronnerie", "menuiserie", "décor stuqué",
    "Sculpture", "sculpture;peinture", "menuiserie;ferronnerie",
)  # fmt: skip
_ZONES = ("site inscrit", "secteur sauvegardé", "abords d'un MH", "site classé", "ZPPAUP")
_ETATS = ("vestiges", "désaffecté", "restauré", "fragment", "mauvais état")
_DESTINATIONS = ("musée", "mairie", "logement", "salle d'exposition", "école")
_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
)  # fmt: skip
_STATUTS = (
    ("propriété de la commune", 40),
    ("propriété privée", 38),
    ("propriété d'une société privée", 5),
    ("propriété de l'État", 3),
    ("propriété d'une association", 2),
    ("propriété du département", 2),
    ("propriété d'un établissement public", 1),
)


@dataclass(frozen=True)
class _Kind:
    """A family of buildings: denomination, domain, title patterns, usual centuries."""

    denomination: str
    domaine: str
    titles: tuple[str, ...]
    centuries: tuple[int, ...]
    weight: int
    parts: str  # what a partial protection usually covers


_KINDS: tuple[_Kind, ...] = (
    _Kind(
        "église", "architecture religieuse",
        ("Eglise Saint-{saint}", "Eglise Notre-Dame", "Eglise paroissiale Saint-{saint}"),
        (11, 12, 13, 15, 19), 22, "Clocher ; portail ; choeur",
    ),
    _Kind(
        "chapelle", "architecture religieuse",
        ("Chapelle Saint-{saint}", "Chapelle Notre-Dame-de-{vocable}"), (12, 15, 17), 5,
        "Chapelle et son enclos",
    ),
    _Kind(
        "château", "architecture domestique",
        ("Château de {lieu}", "Château", "Ancien château des {famille}"), (13, 15, 16, 18), 13,
        "Façades et toitures ; tour d'escalier ; salon avec son décor",
    ),
    _Kind(
        "maison", "architecture domestique",
        ("Maison", "Maison dite {maison}", "Maison Renaissance", "Maison à colombages"),
        (15, 16, 17, 18), 14, "Façade sur rue et toiture correspondante",
    ),
    _Kind(
        "hôtel", "architecture domestique",
        ("Hôtel de {famille}", "Hôtel {famille}", "Ancien hôtel de {famille}"), (16, 17, 18),
        7, "Façades et toitures ; escalier ; cour",
    ),
    _Kind(
        "immeuble", "architecture domestique", ("Immeuble", "Immeuble {famille}"), (18, 19, 20),
        5, "Façades et toitures sur rue",
    ),
    _Kind(
        "fontaine", "génie civil", ("Fontaine {maison}", "Fontaine de la place", "Fontaine"),
        (16, 17, 18), 3, "Fontaine",
    ),
    _Kind(
        "croix monumentale", "architecture funéraire, commémorative ou votive",
        ("Croix de {lieu}", "Croix du cimetière", "Croix de chemin"), (15, 16), 3, "Croix",
    ),
    _Kind(
        "site archéologique", "site archéologique",
        ("Oppidum de {lieu}", "Villa gallo-romaine", "Nécropole de {lieu}"), (1, 2, 5), 2,
        "Vestiges",
    ),
    _Kind(
        "église;cimetière", "architecture religieuse;architecture funéraire, commémorative ou "
        "votive", ("Eglise Saint-{saint} et cimetière",), (12, 19), 2, "Eglise ; mur du cimetière",
    ),
    _Kind(
        "château;chapelle", "architecture domestique;architecture religieuse",
        ("Château de {lieu} et sa chapelle",), (15, 17), 2, "Chapelle ; façades et toitures",
    ),
    _Kind(
        "hôtel de ville", "architecture de l'administration ou de la vie publique",
        ("Hôtel de ville", "Ancien hôtel de ville"), (17, 18, 19), 2,
        "Façades et toitures ; salle du conseil",
    ),
    _Kind(
        "pont", "génie civil", ("Pont sur l'{riviere}", "Vieux pont"), (13, 18), 1, "Pont",
    ),
)  # fmt: skip

# Well-known monuments used for the first notices of some member communes (titles only:
# the rest of each notice is generated like any other).
_LANDMARKS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "63113": (
        ("Eglise Notre-Dame-du-Port", "église", "architecture religieuse"),
        ("Cathédrale Notre-Dame-de-l'Assomption", "cathédrale", "architecture religieuse"),
        ("Fontaine d'Amboise", "fontaine", "génie civil"),
        ("Hôtel de Fontfreyde", "hôtel", "architecture domestique"),
        ("Maison dite des Architectes", "maison", "architecture domestique"),
    ),
    "63308": (
        ("Eglise Saint-Léger", "église", "architecture religieuse"),
        ("Etablissement thermal", "établissement thermal",
         "architecture hospitalière, d'assistance ou de protection sociale"),
    ),
    "63263": (("Temple de Mercure", "temple", "site archéologique"),),
    "63307": (("Château d'Opme", "château", "architecture domestique"),),
    "63284": (("Eglise Sainte-Martine", "église", "architecture religieuse"),),
    "63193": (("Eglise Saint-Géraud", "église", "architecture religieuse"),),
    "63124": (("Eglise Saint-Martin", "église", "architecture religieuse"),),
    "63075": (("Eglise Notre-Dame", "église", "architecture religieuse"),),
}  # fmt: skip

_HISTORIQUE_SENTENCES = (
    "L'édifice est mentionné pour la première fois dans une charte de {year1}.",
    "Construit au {century}e siècle pour la famille de {famille}, il est agrandi au siècle "
    "suivant.",
    "Le choeur est reconstruit vers {year2} à la suite d'un incendie qui avait ruiné les "
    "parties orientales.",
    "Les parties hautes sont remaniées au {century2}e siècle, lors d'une campagne de travaux "
    "confiée à un maître maçon de la ville.",
    "La façade principale, en pierre de Volvic, conserve un portail orné de sculptures "
    "représentant des scènes de la vie de la Vierge.",
    "Vendu comme bien national en 1793, l'ensemble est transformé en grange puis divisé en "
    "logements au cours du 19e siècle.",
    "Au {century2}e siècle, les propriétaires font aménager un grand escalier rampe sur rampe "
    "et des salons à décor de gypseries.",
    "Une restauration importante est menée entre {year3} et {year4} sous la direction de "
    "l'architecte en chef des monuments historiques.",
    "Les fouilles réalisées en {year3} ont mis au jour les vestiges d'un premier édifice, "
    "ainsi que plusieurs sépultures en coffre de pierre.",
    "La toiture en tuiles creuses a été refaite à l'identique au cours de la seconde moitié du "
    "20e siècle, sans modification de la charpente.",
    "L'intérieur conserve des peintures murales du {century}e siècle découvertes lors de "
    "travaux de décrépissage.",
    "Le bâtiment abrite aujourd'hui des services municipaux et accueille régulièrement des "
    "expositions temporaires.",
    "Plusieurs éléments du décor ont été déposés et sont conservés au musée d'art Roger-Quilliot.",
    "L'enclos, la croix et le mur de clôture forment un ensemble cohérent, caractéristique "
    "des villages de la Limagne.",
    "Le plan, d'une grande régularité, s'organise autour d'une cour centrale fermée par un "
    "portail charretier.",
    "Les archives communales mentionnent des réparations au clocher en {year2}, puis de "
    "nouveau en {year3}.",
)
_DESCRIPTION_SENTENCES = (
    "Edifice en moellons de basalte et pierre de taille de Volvic, couvert de tuiles creuses.",
    "Le corps de logis, de plan rectangulaire, est flanqué de deux tours rondes coiffées en "
    "poivrière.",
    "La nef unique, voûtée en berceau brisé, ouvre sur un choeur à chevet plat éclairé par un "
    "triplet.",
    "L'escalier en vis, logé dans une tourelle hors-oeuvre, dessert les trois niveaux.",
    "Les baies à meneaux du premier étage conservent leurs moulurations d'origine.",
    "Le décor intérieur comprend des cheminées monumentales, des plafonds à la française et "
    "des boiseries du 18e siècle.",
    "Le portail en arc brisé est surmonté d'une niche abritant une statue de saint.",
    "Les façades enduites sont rythmées par des chaînes d'angle en pierre de taille.",
)
_OBSERVATIONS = (
    "Voir aussi la notice de l'ensemble urbain.",
    "Fait partie d'un ensemble de maisons à pans de bois.",
    "Arrêté de protection modifié en 1994.",
    "Notice mise à jour à partir du dossier de protection.",
    "Edifice situé en secteur sauvegardé.",
)


def _copyright_variants(*, abridged: bool = False) -> tuple[str, ...]:
    """26 variants of the boilerplate of the ``Copyright`` column (~627 characters).

    The wording is a synthetic paraphrase, not the ministry's text; the variants differ
    the way the real ones do (``©``/``(c)``, year or not, ``immeubles``/``édifices``,
    straight or typographic apostrophes). ``abridged`` drops the two middle sentences
    (~330 characters), for :func:`national_rows`.
    """
    variants: list[str] = []
    for tail in (".", ", sauf mention contraire."):
        for noun in ("immeubles", "édifices"):
            for a in ("'", "’"):
                for year in (" 2026", ""):
                    for symbol in ("©", "(c)"):
                        sentences = [
                            f"{symbol} Monuments historiques{year}.",
                            f"Les notices de la liste des {noun} protégés au titre des "
                            "monuments historiques reprennent les termes des arrêtés de "
                            "protection : elles sont opposables et font foi.",
                            f"Elles sont établies par les services de l{a}État (directions "
                            "régionales des affaires culturelles) et diffusées par la "
                            "Médiathèque du patrimoine et de la photographie.",
                            "La réutilisation des notices est libre sous réserve de mentionner "
                            "la source : « Ministère de la Culture, base Mérimée, plateforme "
                            "ouverte du patrimoine (POP) ».",
                            "Les textes éditoriaux, historiques et photographies associés "
                            f"restent soumis au droit d{a}auteur{tail}",
                        ]
                        if abridged:
                            sentences = [sentences[0], sentences[1], sentences[4]]
                        variants.append(" ".join(sentences))
    return tuple(variants[:26])


_COPYRIGHTS = _copyright_variants()
_COPYRIGHTS_ABRIDGED = _copyright_variants(abridged=True)

#: Trap names, in slot order (see the module docstring); ``empty_line`` has no reference.
TRAPS: tuple[str, ...] = (
    "pipe_in_field",
    "multiple_cog_codes",
    "empty_cog_name_fallback",
    "cog_outside_name_member",
    "empty_coordinates",
    "zero_coordinates",
    "swapped_coordinates",
    "protection_year_only",
    "protection_without_date",
    "protection_malformed",
    "protection_partial",
    "statut_etat_accent",
    "statut_etat_no_accent",
    "statut_etat_typographic",
    "denomination_capitalised",
    "denomination_lower_case",
    "duplicate_reference",
    "protection_one_digit_month",
    "protection_classe_then_partly_inscrit",
    "authors_with_fragments",
    "duplicate_newer_elsewhere",
    "far_away_coordinates",
    "namesake_without_code_or_departement",
    "code_name_disagree",
    "empty_reference",
    "malformed_reference",
    "empty_title",
    "implausible_protection_year",
    "empty_line",
)
_TRAP_NOTICES = TRAPS[:-1]  # the ones carried by a notice with a reference

_SNAPSHOT_DAY = dt.date(2026, 11, 26)
_LAST_PROTECTION_DAY = dt.date(2026, 10, 30)
_DUPLICATE_UPDATE_DAY = dt.date(2026, 11, 19)  # later than any generated update date

# Buildings of the trap notices whose title or denomination matters.
_TRAP_BUILDINGS: dict[str, tuple[str, str, str]] = {
    "pipe_in_field": (
        "Maison dite du Lion d'or | ancienne auberge",
        "maison",
        "architecture domestique",
    ),
    "multiple_cog_codes": ("Aqueduc (vestiges)", "aqueduc", "génie civil"),
    "protection_malformed": ("Château de la Mothe", "château", "architecture domestique"),
    "protection_partial": ("Hôtel de Chazerat", "hôtel", "architecture domestique"),
    "denomination_capitalised": ("Eglise Saint-Pierre", "Eglise", "architecture religieuse"),
    "denomination_lower_case": ("Eglise Saint-Julien", "église", "architecture religieuse"),
}


def reference_for(ordinal: int, departement: str) -> str:
    """The ``Reference`` of regular notice number ``ordinal``.

    Two generations like the real file: ``PA00`` + 6 digits, and one notice in three in
    the newer ``PA<département>`` + 6 digits form (two-character départements only).
    The two forms never collide.
    """
    if len(departement) == 2 and ordinal % 3 == 2:
        return f"PA{departement}{ordinal:06d}"
    return f"PA00{91000 + ordinal:06d}"


def trap_reference(trap: str, ref_start: int = 0) -> str:
    """The ``Reference`` of the notice carrying ``trap`` in :func:`sample_rows`."""
    if trap not in _TRAP_NOTICES:
        raise ValueError(f"{trap!r} is not a trap carried by a notice")
    return f"PA00{91000 + ref_start + _TRAP_NOTICES.index(trap):06d}"


# --- Notice generation -------------------------------------------------------------------


def _index_form(nom: str) -> str:
    """Mérimée "forme index" of a commune name: the article goes last (``Cendre (Le)``)."""
    for article in ("Le ", "La ", "Les "):
        if nom.startswith(article):
            return f"{nom[len(article) :]} ({article.strip()})"
    if nom.startswith("L'"):
        return f"{nom[2:]} (L')"
    return nom


def _weighted(rng: random.Random, items: Sequence[tuple[str, int]]) -> str:
    return rng.choices([item for item, _ in items], weights=[w for _, w in items])[0]


def _protection_year(rng: random.Random) -> int:
    decades = (
        (1840, 7), (1860, 6), (1880, 7), (1900, 11), (1910, 16), (1920, 80), (1930, 40),
        (1940, 40), (1950, 19), (1960, 27), (1970, 45), (1980, 60), (1990, 68), (2000, 40),
        (2010, 31), (2020, 15),
    )  # fmt: skip
    decade = rng.choices([d for d, _ in decades], weights=[w for _, w in decades])[0]
    return min(decade + rng.randrange(10), 2026)


def _french_date(day: dt.date) -> str:
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {_MONTHS[day.month - 1]} {day.year}"


def _fold(text: str) -> str:
    """Lower-case, accent-free form used to match denominations."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _kind_of(denomination: str) -> _Kind | None:
    """The building family of a (possibly odd-cased) denomination, if there is one."""
    folded = _fold(denomination)
    return next((k for k in _KINDS if _fold(k.denomination) == folded), None)


def _random_day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


def _century_label(century: int) -> str:
    return "1er" if century == 1 else f"{century}e"


def _text(rng: random.Random, sentences: Sequence[str], count: int, century: int) -> str:
    year1 = 100 * (century - 1) + rng.randrange(100)
    values = {
        "year1": year1,
        "year2": min(year1 + rng.randrange(20, 200), 1990),
        "year3": rng.randrange(1950, 2000),
        "year4": rng.randrange(2000, 2024),
        "century": century,
        "century2": min(century + rng.randrange(1, 4), 20),
        "famille": rng.choice(_FAMILLES),
    }
    picked = rng.sample(range(len(sentences)), min(count, len(sentences)))
    return " ".join(sentences[i].format(**values) for i in sorted(picked))


def _identifiant_agregee(rng: random.Random) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return rng.choice("IS") + "".join(rng.choice(alphabet) for _ in range(5))


def _notice(
    rng: random.Random,
    reference: str,
    commune: Commune,
    *,
    slot: int,
    jitter_km: float,
    long_text: bool = False,
    building: tuple[str, str, str] | None = None,
) -> dict[str, str]:
    """One regular notice (every column of :data:`MERIMEE_HEADER`, most of them empty).

    ``building`` (title, denomination, domain) replaces the random building; the first
    ``slot`` notices of some communes use well-known titles (:data:`_LANDMARKS`).
    """
    row = dict.fromkeys(MERIMEE_HEADER, "")
    departement = _DEPARTEMENT_BY_CODE.get(commune.departement)
    dep_code = commune.departement
    landmarks = _LANDMARKS.get(commune.code, ())
    kind = rng.choices(_KINDS, weights=[k.weight for k in _KINDS])[0]
    century = rng.choice(kind.centuries)
    if building is None and slot < len(landmarks):
        building = landmarks[slot]
    if building is not None:
        title, denomination, domaine = building
        kind = _kind_of(denomination) or kind
    else:
        title = rng.choice(kind.titles).format(
            saint=rng.choice(_SAINTS),
            famille=rng.choice(_FAMILLES),
            lieu=rng.choice(_LIEUX),
            vocable=rng.choice(_VOCABLES),
            maison=rng.choice(_MAISONS),
            riviere=rng.choice(_RIVIERES),
        )
        denomination, domaine = kind.denomination, kind.domaine

    row["Reference"] = reference
    row["Titre_editorial_de_la_notice"] = title
    row["Denomination_de_l_edifice"] = denomination
    row["Domaine"] = domaine if rng.random() < 0.96 else ""
    row["Commune_forme_editoriale"] = commune.nom
    row["Commune_forme_index"] = _index_form(commune.nom)
    row["COG_Insee_lors_de_la_protection"] = commune.code
    row["Departement_format_numerique"] = dep_code
    row["Departement_en_lettres"] = DEPARTEMENT_NAMES.get(dep_code, "")
    row["Region"] = REGION_NAMES.get(commune.region, "")
    if rng.random() < 0.93:
        lat, lon = _point_near(rng, commune, jitter_km)
        row["coordonnees_au_format_WGS84"] = f"{_format_coordinate(lat)},{_format_coordinate(lon)}"
    if departement is not None and departement.old_region and rng.random() < 0.9:
        row["Precision_de_la_localisation"] = f"Anciennement région de : {departement.old_region}"
    if rng.random() < 0.4:
        number = rng.randrange(1, 60)
        street, street_index = rng.choice(_STREETS)
        if street_index == "Grande Rue":
            row["Adresse_forme_editoriale"] = f"{number} Grande Rue"
            row["Adresse_forme_index"] = f"Grande Rue {number}"
        else:
            row["Adresse_forme_editoriale"] = f"{number} {street}"
            row["Adresse_forme_index"] = f"{street_index} {number}"
    if rng.random() < 0.12:
        row["Lieudit"] = rng.choice(_LIEUDITS)
    cadastre = ""
    if rng.random() < 0.65:
        section = rng.choice("ABCDEHKL") + rng.choice(["", "B", "C", "K", "M"])
        parcels = ", ".join(str(p) for p in sorted(rng.sample(range(1, 900), rng.randint(1, 3))))
        year = f"{rng.randrange(1975, 2020)} " if rng.random() < 0.5 else ""
        cadastre = f"{year}{section} {parcels}"
        row["Cadastre"] = cadastre

    # Centuries.
    if rng.random() < 0.85:
        prefix = rng.choice(["", "", "", "1er quart ", "2e moitié ", "milieu "])
        centuries = sorted({century, *([min(century + 2, 20)] if rng.random() < 0.35 else [])})
        row["Siecle_de_la_campagne_principale_de_construction"] = ";".join(
            f"{prefix if i == 0 else ''}{_century_label(c)} siècle" for i, c in enumerate(centuries)
        )
        row["Format_abrege_du_siecle_de_construction"] = ";".join(
            f"{_century_label(c)} s." for c in centuries
        )
        if rng.random() < 0.05:
            row["Siecle_de_campagne_secondaire_de_construction"] = "19e siècle"
        if rng.random() < 0.24 and century >= 11:
            start = 100 * (century - 1) + rng.randrange(100)
            row["Datation_de_l_edifice"] = (
                f"{start};{start + rng.randrange(3, 40)}" if rng.random() < 0.5 else str(start)
            )

    # Protection.
    first_year = _protection_year(rng)
    first_day = min(
        dt.date(first_year, rng.randint(1, 12), rng.randint(1, 28)), _LAST_PROTECTION_DAY
    )
    # Inscription (inventaire supplémentaire) only exists since the law of 1913.
    first_type = "classé MH" if first_year < 1914 or rng.random() < 0.3 else "inscrit MH"
    partial = rng.random() < 0.45
    events = [(first_day, first_type)]
    if rng.random() < 0.12 and first_year < 2015:
        second = min(
            dt.date(
                rng.randrange(max(first_year + 1, 1914), 2026),
                rng.randint(1, 12),
                rng.randint(1, 28),
            ),
            _LAST_PROTECTION_DAY,
        )
        second_type = "inscrit MH" if first_type == "classé MH" else "classé MH"
        events.append((second, second_type))
    row["Date_et_typologie_de_la_protection"] = ";".join(
        f"{day:%Y/%m/%d} : {kind_}" for day, kind_ in events
    )
    typologies = [f"{kind_}{' partiellement' if partial and i == 0 else ''}"
                  for i, (_, kind_) in enumerate(events)]  # fmt: skip
    row["Typologie_de_la_protection"] = ";".join(typologies)
    nature = (
        "décret"
        if first_type == "classé MH" and first_year < 1930 and rng.random() < 0.3
        else "arrêté"
    )
    row["Nature_de_la_protection"] = nature
    what = kind.parts if partial or "|" in title else title
    cad = f" (cad. {cadastre})" if cadastre and rng.random() < 0.6 else ""
    row["Precision_de_la_protection"] = " ; ".join(
        f"{what}{cad} : {'classement' if kind_ == 'classé MH' else 'inscription'} par "
        f"{nature if i == 0 else 'arrêté'} du {_french_date(day)}"
        for i, (day, kind_) in enumerate(events)
    )
    if rng.random() < 0.08:
        row["Typologie_de_la_zone_de_protection"] = rng.choice(_ZONES)

    # Ownership and file.
    if rng.random() < 0.965:
        statuts = [_weighted(rng, _STATUTS)]
        if rng.random() < 0.05:
            statuts.append(_weighted(rng, _STATUTS))
        row["Statut_juridique_de_l_edifice"] = " ; ".join(dict.fromkeys(statuts))
        if len(statuts) > 1 and rng.random() < 0.5:
            row["Precision_sur_le_statut_de_l_edifice"] = (
                "propriété de la commune (église) ; propriété privée (presbytère)"
            )
    if rng.random() < 0.13:
        row["Auteur_de_l_edifice"] = rng.choice(_AUTEURS)
    row["Typologie_du_dossier"] = (
        "dossier de protection" if rng.random() < 0.6 else "Dossier de protection"
    )
    row["Cadre_de_l_etude"] = "recensement immeubles MH"
    if rng.random() < 0.97:
        row["Identifiant_Agregee"] = _identifiant_agregee(rng)

    # Texts.
    if long_text:
        if rng.random() < 0.09:
            row["Historique"] = _text(rng, _HISTORIQUE_SENTENCES, rng.randint(4, 10), century)
        if rng.random() < 0.02:
            row["Description_de_l_edifice"] = _text(
                rng, _DESCRIPTION_SENTENCES, rng.randint(3, 8), century
            )
    else:
        if rng.random() < 0.35:
            row["Historique"] = _text(rng, _HISTORIQUE_SENTENCES, rng.randint(1, 3), century)
        if rng.random() < 0.05:
            row["Description_de_l_edifice"] = _text(rng, _DESCRIPTION_SENTENCES, 2, century)
    if rng.random() < 0.2:
        row["Observations"] = rng.choice(_OBSERVATIONS)
    if rng.random() < 0.23:
        row["Technique_du_decor_porte_de_l_edifice"] = rng.choice(_DECORS)

    # Links.
    if rng.random() < 0.98:
        row["Lien_vers_la_base_Archiv_MH"] = (
            f"https://archives-map.culture.gouv.fr/archive/results?RECH_S={reference}"
        )
    if rng.random() < 0.2:
        row["Liens_externes"] = (
            f"https://www.culture.gouv.fr/Wave/image/merimee/PDF/{reference}.pdf"
        )
    if rng.random() < 0.2:
        objects = sorted(rng.sample(range(1, 2000), rng.randint(1, 3)))
        row["Lien_vers_la_base_Palissy"] = ";".join(
            f"https://pop.culture.gouv.fr/notice/palissy/PM{dep_code[:2]}{o:06d}" for o in objects
        )
    if rng.random() < 0.15:
        row["Renvoi_vers_une_notice_de_la_base_Merimee_ou_Palissy"] = (
            f"IA{dep_code[:2]}{rng.randrange(1, 9999):06d}"
        )

    # Notice metadata.
    if rng.random() < 0.79:
        row["Date_de_creation_de_la_notice"] = "1993-03-29"
    else:
        created = _random_day(rng, dt.date(1995, 1, 1), dt.date(2024, 12, 31))
        row["Date_de_creation_de_la_notice"] = created.isoformat()
    last_update = _DUPLICATE_UPDATE_DAY - dt.timedelta(days=7)
    updated = _random_day(rng, dt.date(2025, 1, 6), last_update)
    latest_act = max(day for day, _ in events)
    if updated < latest_act:
        updated = _random_day(rng, latest_act, last_update)
    row["Date_de_la_derniere_mise_a_jour"] = updated.isoformat()
    row["Copyright"] = rng.choice(_COPYRIGHTS_ABRIDGED if long_text else _COPYRIGHTS)

    # Sparse columns.
    if rng.random() < 0.05:
        row["etat_de_conservation"] = rng.choice(_ETATS)
    if rng.random() < 0.04:
        row["Destination_actuelle_de_l_edifice"] = rng.choice(_DESTINATIONS)
    if "propriété de l'État" in row["Statut_juridique_de_l_edifice"] and rng.random() < 0.5:
        row["Etablissement_affectataire_de_l_edifice"] = "ministère de la Culture"
    if rng.random() < 0.02:
        row["Autre_appellation_de_l_edifice"] = f"dite {rng.choice(_MAISONS)}"
    if rng.random() < 0.02:
        row["Personnes_liees_a_l_edifice"] = "Pascal Blaise (personnage célèbre)"
    if "religieuse" in domaine and rng.random() < 0.08:
        row["Genre_du_destinataire"] = rng.choice(["de bénédictins", "de chanoines réguliers"])
        row["Precision_sur_la_denomination"] = "église paroissiale"
    if rng.random() < 0.014:
        row["Nom_du_cours_d_eau_traversant_ou_bordant_l_edifice"] = rng.choice(_RIVIERES)
    if rng.random() < 0.005:
        row["Materiaux_du_gros_oeuvre"] = "pierre de Volvic;basalte"
    if rng.random() < 0.005:
        row["Typologie_de_plan"] = "plan allongé"
    if denomination == "église" and rng.random() < 0.01:
        row["Vocable___pour_les_edifices_cultuels"] = f"Saint-{rng.choice(_SAINTS)}"
    return row


def _historic_code(code: str) -> str:
    """A plausible code that is *not* the commune's (département + shifted number)."""
    digits = code[-3:]
    if not digits.isdigit():
        return f"{code[:2]}999"
    return f"{code[:-3]}{(int(digits) + 500) % 1000:03d}"


def _pick(communes: Sequence[Commune], preferred: str, default: int) -> Commune:
    for commune in communes:
        if commune.code == preferred:
            return commune
    return communes[default % len(communes)]


def _apply_trap(
    trap: str, row: dict[str, str], commune: Commune, communes: Sequence[Commune]
) -> None:
    """Turn a regular notice into the notice carrying ``trap`` (in place)."""
    # pipe_in_field and the denomination traps are set through _TRAP_BUILDINGS.
    if trap == "multiple_cog_codes":
        second = _pick([c for c in communes if c.code != commune.code] or [commune], "63075", 0)
        second_code = second.code if second.code != commune.code else _historic_code(commune.code)
        row["COG_Insee_lors_de_la_protection"] = f"{commune.code};{second_code}"
        if second.code != commune.code:
            row["Commune_forme_editoriale"] = f"{commune.nom};{second.nom}"
            row["Commune_forme_index"] = f"{_index_form(commune.nom)};{_index_form(second.nom)}"
    elif trap == "empty_cog_name_fallback":
        row["COG_Insee_lors_de_la_protection"] = ""
    elif trap == "cog_outside_name_member":
        row["COG_Insee_lors_de_la_protection"] = _historic_code(commune.code)
    elif trap == "empty_coordinates":
        row["coordonnees_au_format_WGS84"] = ""
    elif trap == "zero_coordinates":
        row["coordonnees_au_format_WGS84"] = "0,0"
    elif trap == "swapped_coordinates":
        lon = _format_coordinate(commune.lon + 0.0012)
        lat = _format_coordinate(commune.lat - 0.0009)
        row["coordonnees_au_format_WGS84"] = f"{lon},{lat}"
    elif trap == "protection_year_only":
        row["Date_et_typologie_de_la_protection"] = "1862 : classé MH"
        row["Typologie_de_la_protection"] = "classé MH"
        row["Nature_de_la_protection"] = "liste"
        row["Precision_de_la_protection"] = (
            f"{row['Titre_editorial_de_la_notice']} : classement par liste de 1862"
        )
    elif trap == "protection_without_date":
        row["Date_et_typologie_de_la_protection"] = "inscrit MH"
        row["Typologie_de_la_protection"] = "inscrit MH"
        row["Precision_de_la_protection"] = f"{row['Titre_editorial_de_la_notice']} : inscription"
    elif trap == "protection_malformed":
        row["Date_et_typologie_de_la_protection"] = "classé MH partiellement:2017/05/10:inscrit MH"
        row["Typologie_de_la_protection"] = "classé MH partiellement;inscrit MH"
        row["Precision_de_la_protection"] = (
            "Façades et toitures : inscription par arrêté du 10 mai 2017"
        )
    elif trap == "protection_partial":
        row["Date_et_typologie_de_la_protection"] = "1990/05/14 : inscrit MH"
        row["Typologie_de_la_protection"] = "inscrit MH partiellement"
        row["Nature_de_la_protection"] = "arrêté"
        row["Precision_de_la_protection"] = (
            "Façades et toitures sur rue ; escalier : inscription par arrêté du 14 mai 1990"
        )
    elif trap == "protection_one_digit_month":
        row["Date_et_typologie_de_la_protection"] = "1926/3/12 : classé MH"
        row["Typologie_de_la_protection"] = "classé MH"
    elif trap == "protection_classe_then_partly_inscrit":
        row["Date_et_typologie_de_la_protection"] = (
            "1926/03/12 : classé MH;1994/07/08 : inscrit MH partiellement"
        )
        row["Typologie_de_la_protection"] = ""
    elif trap == "authors_with_fragments":
        row["Auteur_de_l_edifice"] = (
            "Jeanneret Charles-Edouard;dit;Le Corbusier (architecte);"
            "Jeanneret Pierre;dit;Pierre Jeanneret (architecte)"
        )
    elif trap == "far_away_coordinates":
        row["coordonnees_au_format_WGS84"] = "-21.1151,55.5364"  # La Réunion
    elif trap == "namesake_without_code_or_departement":
        row["COG_Insee_lors_de_la_protection"] = ""
        row["Departement_format_numerique"] = ""
        row["Departement_en_lettres"] = ""
        row["Region"] = ""
        row["coordonnees_au_format_WGS84"] = "46.1134,6.1432"  # Beaumont, Haute-Savoie
    elif trap == "code_name_disagree":
        other = _pick([c for c in communes if c.code != commune.code] or [commune], "63308", 0)
        row["Commune_forme_editoriale"] = other.nom
        row["Commune_forme_index"] = _index_form(other.nom)
    elif trap == "empty_reference":
        row["Reference"] = ""
    elif trap == "malformed_reference":
        row["Reference"] = row["Reference"][:-1] + "X"
    elif trap == "empty_title":
        row["Titre_editorial_de_la_notice"] = ""
    elif trap == "implausible_protection_year":
        row["Date_et_typologie_de_la_protection"] = "2206/03/12 : inscrit MH"
        row["Typologie_de_la_protection"] = "inscrit MH"
    elif trap.startswith("statut_etat_"):
        statut = {
            "statut_etat_accent": "propriété de l'État",
            "statut_etat_no_accent": "propriété de l'Etat",
            "statut_etat_typographic": "propriété de l’État",
        }[trap]
        row["Statut_juridique_de_l_edifice"] = f"{statut} ; propriété de la commune"
        row["Typologie_du_dossier"] = {
            "statut_etat_accent": "Dossier de protection",
            "statut_etat_no_accent": "dossier de protection",
            "statut_etat_typographic": "dossier de protection",
        }[trap]


def _trap_commune(trap: str, slot: int, communes: Sequence[Commune]) -> Commune:
    if trap == "multiple_cog_codes":
        return _pick(communes, "63113", 0)
    if trap == "empty_cog_name_fallback":
        with_article = [c for c in communes if _index_form(c.nom) != c.nom]
        return _pick(with_article or communes, "63069", 0)
    if trap == "cog_outside_name_member":
        return _pick(communes, "63308", slot)
    if trap == "namesake_without_code_or_departement":
        return _pick(communes, "63032", slot)  # Beaumont (63), namesake of Beaumont (74)
    if trap in ("code_name_disagree", "far_away_coordinates"):
        return _pick(communes, "63113", slot)
    return communes[slot % len(communes)]


def sample_rows(
    communes: Sequence[Commune],
    per_commune: int,
    *,
    seed: int = 0,
    ref_start: int = 0,
    traps: bool = True,
) -> list[dict[str, str]]:
    """A small, deterministic sample of Mérimée rows for ``communes``.

    Returns, in order: the trap notices when ``traps`` is true (references
    ``PA00{91000 + ref_start + k:06d}`` for trap ``k``, see the module docstring), then
    ``per_commune`` regular notices per commune with ordinals following the traps (the
    all-empty row is inserted halfway through them), then the second copy of the
    ``duplicate_reference`` notice. Every row has every column of :data:`MERIMEE_HEADER`.
    """
    if not communes:
        raise ValueError("sample_rows needs at least one commune")
    rng = random.Random(seed)
    radius = {c.code: 0.6 * contour_radius_km(c, communes) for c in communes}
    trap_rows: list[dict[str, str]] = []
    elsewhere: list[dict[str, str]] = []
    duplicate: dict[str, str] | None = None
    if traps:
        for slot, trap in enumerate(_TRAP_NOTICES):
            commune = _trap_commune(trap, slot, communes)
            row = _notice(
                rng,
                trap_reference(trap, ref_start),
                commune,
                slot=10_000,  # never a landmark title
                jitter_km=radius[commune.code],
                building=_TRAP_BUILDINGS.get(trap),
            )
            _apply_trap(trap, row, commune, communes)
            trap_rows.append(row)
            if trap == "duplicate_reference":
                duplicate = dict(
                    row, Date_de_la_derniere_mise_a_jour=_DUPLICATE_UPDATE_DAY.isoformat()
                )
            if trap == "duplicate_newer_elsewhere":
                moved = _notice(rng, row["Reference"], ELSEWHERE, slot=10_000, jitter_km=2.0)
                moved["Titre_editorial_de_la_notice"] = row["Titre_editorial_de_la_notice"]
                moved["Date_de_la_derniere_mise_a_jour"] = _DUPLICATE_UPDATE_DAY.isoformat()
                elsewhere.append(moved)

    regular: list[dict[str, str]] = []
    ordinal = ref_start + (len(_TRAP_NOTICES) if traps else 0)
    for commune in communes:
        for slot in range(per_commune):
            reference = reference_for(ordinal, commune.departement)
            regular.append(
                _notice(rng, reference, commune, slot=slot, jitter_km=radius[commune.code])
            )
            ordinal += 1
    if traps:
        regular.insert(len(regular) // 2, dict.fromkeys(MERIMEE_HEADER, ""))
    rows = trap_rows + regular
    if duplicate is not None:
        rows.append(duplicate)
    return rows + elsewhere


def national_rows(n: int, *, seed: int = 0) -> Iterator[dict[str, str]]:
    """Stream ``n`` notices spread over 32 départements, sized like the national file.

    Meant for benchmarks: 46 760 rows written by :func:`write_merimee_csv` make about
    57 MB (the real file, with its Palissy link lists, is about 100 MB). Some notices have
    long ``Historique`` (up to ~1 000 characters) or ``Description`` texts. The
    ``Copyright`` is an *abridged* variant (~300 characters) of the ~627-character
    boilerplate of :func:`sample_rows`: 78 quoted columns of realistic values already take
    ~900 bytes a row, and the full boilerplate would push the file to ~73 MB, beyond the
    45-60 MB wanted for the benchmark.

    About 4 % of the notices are in the Puy-de-Dôme, a good half of them in the 21
    communes of Clermont Auvergne Métropole; the other communes are invented (codes
    ``<dép><3 digits>``, names built from the code). Row ``i`` with ``i % 5000 == 2499``
    has a literal ``|`` inside its quoted ``Titre_editorial_de_la_notice``.
    """
    rng = random.Random(seed)
    weights = [d.weight for d in _DEPARTEMENTS]
    for ordinal in range(n):
        departement = rng.choices(_DEPARTEMENTS, weights=weights)[0]
        if departement.code == "63" and rng.random() < 0.55:
            commune = rng.choice(_CAM_COMMUNES)
        else:
            commune = _invented_commune(departement, rng.randrange(1, 600))
        row = _notice(
            rng,
            reference_for(ordinal, departement.code),
            commune,
            slot=rng.randrange(3),
            jitter_km=1.0,
            long_text=True,
        )
        if ordinal % 5000 == 2499:
            row["Titre_editorial_de_la_notice"] += " | ancienne auberge"
        yield row


_NAME_STARTS = (
    "Saint-Martin", "Villeneuve", "Montferrand", "Beaulieu", "Sainte-Marie", "Châteauneuf",
    "Fontaine", "Mont", "Villefranche", "Saint-Julien", "Bourg", "La Chapelle", "Le Mesnil",
    "Saint-Pierre", "Roche", "Vieille-Brioude",
)  # fmt: skip
_NAME_ENDS = (
    "", "", "-sur-Loire", "-en-Val", "-le-Château", "-lès-Bains", "-d'Allier", "-la-Forêt",
    "-de-Comminges", "-sur-Mer", "-le-Vieux", "-en-Montagne",
)  # fmt: skip


def _invented_commune(departement: _Departement, number: int) -> Commune:
    """A deterministic invented commune of ``departement`` (never a member of the CAM)."""
    if departement.code == "75":
        arrondissement = 1 + number % 20
        label = "1er" if arrondissement == 1 else f"{arrondissement}e"
        return Commune(
            f"751{arrondissement:02d}", f"Paris {label} Arrondissement", "75", "11",
            48.857 + 0.02 * math.sin(arrondissement), 2.352 + 0.03 * math.cos(arrondissement),
        )  # fmt: skip
    width = 3 if len(departement.code) == 2 else 2
    code = f"{departement.code}{number % 10**width:0{width}d}"
    if code in CAM_CODES:
        code = f"{departement.code}{(number + 1) % 10**width:0{width}d}"
    u, v, w, x = _unit_floats(f"invented:{code}", 4)
    nom = _NAME_STARTS[int(u * len(_NAME_STARTS))] + _NAME_ENDS[int(v * len(_NAME_ENDS))]
    return Commune(
        code,
        nom,
        departement.code,
        departement.region,
        round(departement.lat + (w - 0.5) * 0.8, 4),
        round(departement.lon + (x - 0.5) * 1.1, 4),
    )


# --- Writing -----------------------------------------------------------------------------


def write_merimee_csv(
    rows: Iterable[Mapping[str, str]],
    out: IO[str] | Path,
    header: Sequence[str] = MERIMEE_HEADER,
) -> int:
    """Write ``rows`` in the data.gouv.fr Mérimée format; return the number of data rows.

    Unquoted ``|``-joined header, then every field quoted (``""`` when missing), LF line
    ends. A :class:`~pathlib.Path` is written in UTF-8 without BOM; an open text stream
    should have been opened with ``newline=""``. Columns of a row that are not in
    ``header`` are ignored, so a reduced or renamed header simulates schema drift.
    """
    return DATAGOUV.write(rows, out, header)
