"""Counters a transform fills in; they end up in the run ledger and the summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

MAX_EXAMPLES = 20
REMARKS = {
    "sans_coordonnees": "sans coordonnées",
    "coordonnees_inversees": "coordonnées inversées remises dans l'ordre",
    "hors_france": "coordonnées hors de France (non cartographiées)",
    "coordonnees_hors_commune": "coordonnées loin de leur commune (non cartographiées)",
    "commune_par_point": "commune retrouvée par les coordonnées",
    "commune_par_nom": "commune retrouvée par son nom",
    "nom_commune_divergent": "nom de commune différent de celui du code ou du point",
    "homonyme_ecarte": "homonyme d'une commune du territoire, écarté",
    "commune_non_verifiable": "nom d'une commune du territoire sans code ni coordonnées, écarté",
    # --- musees-de-france (museofile) ---
    "identifiant_en_double": "identifiant Muséofile en double (la fiche la plus récente gardée)",
    "url_invalide": "adresse de site web invalide, non publiée",
    "reference_merimee_invalide": "référence Mérimée mal formée dans Refmer, écartée",
    "ville_non_reconnue": "ville inconnue, code postal du territoire, sans coordonnées : écarté",
    # --- frequentation-musees (frequentation) ---
    "sites_agreges": "musée à plusieurs sites, chiffres des sites additionnés",
    "sans_identifiant_museofile": "site sans identifiant Muséofile, publié sous son identifiant "
    "Patrimostat",
    "museofile_par_patrimostat": "identifiant Muséofile vide, repris des autres années du site",
    "doublon_site_annee": "site présent deux fois la même année (première ligne gardée)",
    "commune_par_musee": "code INSEE vide ou mal formé, commune reprise des autres lignes du musée",
    "site_hors_territoire": "site d'un musée du territoire situé hors du territoire, écarté",
    "sans_code_insee_ecarte": "site sans code INSEE au nom d'une commune du territoire, écarté",
    "sites_plusieurs_communes": "sites d'un musée dans plusieurs communes (celle du plus grand "
    "nombre publiée)",
    "ville_divergente": "ville de la source différente de la commune du code INSEE",
    "frequentation_partielle": "sites d'un musée aux statuts différents (total partiel)",
    "total_different_payant_gratuit": "total différent de payant + gratuit",
    "ferme_avec_entrees": "musée fermé (état actuel) qui déclare des entrées",
    "annee_fermeture_inconnue": "année de fermeture « Inconnu » (publiée vide)",
    "sites_cumules": "sites cumulés (lien_avec) : risque de double compte",
    "musee_sans_nom": "musée sans nom dans la source",
    "nombre_decimal": "nombre écrit avec des décimales (1234.0), lu comme un entier",
    "nombre_avec_separateurs": "nombre avec séparateur de milliers, lu comme un entier",
    "valeur_source_illisible": "valeur illisible (ni nombre, ni code F, NC ou R), publiée vide",
    # --- jardins-remarquables (jardins) ---
    "identifiant_origine_absent": "sans identifiant origine : publié sous son identifiant DEPS",
    "jardin_en_double": "jardin en double : la fiche la plus récemment mise à jour est gardée",
    "liste_json_mal_formee": "liste JSON mal formée, gardée telle quelle en un seul élément",
    "annee_obtention_illisible": "année d'obtention du label illisible (non publiée)",
    "date_jardin_illisible": "date de création ou de mise à jour illisible (non publiée)",
    # --- architecture-contemporaine-remarquable (acr) ---
    "anciennement_labellise": "édifice anciennement labellisé, non publié",
    "cadre_etude_inattendu": "cadre de l'étude ni « Labellisé » ni « Anciennement labellisé », "
    "édifice non publié",
    "notice_en_double": "référence en double dans le fichier source (première copie gardée)",
    "date_label_absente": "date de label absente",
    "date_label_texte_libre": "date de label en texte libre (année lue dans le texte)",
    "date_label_sans_annee": "date de label sans année lisible",
    # --- natural areas (areas) ---
    "geometrie_reparee": "géométrie invalide (auto-intersection, parties superposées…) réparée",
    "geometrie_vide": "géométrie vide ou sans surface, site non publié",
    "geometrie_illisible": "géométrie illisible (GeoJSON mal formé), site non publié",
    "axes_inverses": "géométrie en latitude, longitude remise dans l'ordre longitude, latitude",
    "geometrie_hors_france": "géométrie hors de France dans les deux ordres d'axes, non publié",
    # --- natural areas (patrinat) ---
    "site_contigu_au_territoire": "site qui ne fait que toucher le territoire (aucune surface "
    "dedans), non publié",
    "site_en_double": "site renvoyé deux fois (pages ou couches), publié une fois (la copie la "
    "plus récemment modifiée)",
    "site_plusieurs_couches": "même site dans plusieurs couches, publié une fois avec toutes "
    "ses couches",
    "site_deux_directives": "même code Natura 2000 dans les couches Habitats et Oiseaux, publié "
    "une fois avec les deux directives",
    # --- espaces naturels sensibles (ens) ---
    "date_deliberation_annee_seule": "date de délibération réduite à l'année, publiée au "
    "1er janvier (règle du schéma ENS)",
    "date_deliberation_illisible": "date de délibération illisible (non publiée)",
    "diffusion_carto_refusee": "site que le département demande de ne pas cartographier "
    "(diffusion_carto = false) : dans le CSV, pas dans le GeoJSON",
    "diffusion_carto_illisible": "diffusion_carto vide ou illisible : site publié dans le CSV, "
    "pas dans le GeoJSON",
    "nombre_ens_illisible": "surface officielle ou millésime illisible (non publié)",
    "departement_sans_fichier": "département du territoire sans fichier configuré (ses sites "
    "manquent)",
    # --- opening hours (hours) ---
    "horaires_non_reconnus": "horaires non reconnus (texte publié, horaires_osm laissé vide)",
    "horaires_identifiant_inconnu": "identifiant du fichier des horaires absent des musées",
    "horaires_identifiant_double": "identifiant en double dans le fichier des horaires "
    "(première ligne gardée)",
    "horaires_sans_identifiant": "ligne du fichier des horaires sans identifiant (ignorée)",
    "horaires_ligne_mal_formee": "ligne du fichier des horaires mal formée (ignorée)",
}
"""French labels of the data-quality remarks, for the summary and the report."""


@dataclass
class TransformStats:
    """What happened to the source rows. ``problems`` holds data-quality notes, not errors.

    Each note keeps up to 20 examples (the record's identifier and its line upstream), so
    the report can name them.
    """

    read: int = 0
    kept: int = 0
    empty_rows: int = 0
    out_of_territory: int = 0
    duplicates: int = 0
    problems: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def problem(self, kind: str, line: int, label: str | None = None) -> None:
        self.problems[kind] += 1
        examples = self.examples.setdefault(kind, [])
        if len(examples) < MAX_EXAMPLES:
            examples.append(f"{label} (ligne {line})" if label else f"ligne {line}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "kept": self.kept,
            "empty_rows": self.empty_rows,
            "out_of_territory": self.out_of_territory,
            "duplicates": self.duplicates,
            "problems": dict(self.problems),
            "examples": self.examples,
        }


def remarks_fr(stats: dict[str, Any], examples: int = 3) -> list[str]:
    """« label (count) : identifiers… » for each remark of a transform's stats."""
    lines = []
    for kind, count in sorted(stats.get("problems", {}).items()):
        named = stats.get("examples", {}).get(kind, [])[:examples]
        more = "…" if count > len(named) else ""
        detail = f" : {', '.join(named)}{more}" if named else ""
        lines.append(f"{REMARKS.get(kind, kind)} ({count}){detail}")
    return lines
