"""The metadata sheet in markdown: the dataset's description and its documentation resource.

Both are pure functions of the sheet, itself a pure function of the staged rows, so an
unchanged night renders the same text and nothing is sent again.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

DESCRIPTION_LIMIT = 100_000
"""udata refuses longer descriptions."""


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _changes_line(changes: dict[str, Any] | None) -> str:
    if not changes:
        return "aucun changement enregistré"
    day = datetime.fromisoformat(changes["date"]).strftime("%d/%m/%Y")
    counts = ", ".join(
        f"{changes[key]} {label}"
        for key, label in (
            ("ajouts", "ajout(s)"),
            ("suppressions", "suppression(s)"),
            ("modifications", "modification(s)"),
        )
    )
    columns = changes.get("colonnes_modifiees") or []
    detail = f" ; colonnes modifiées : {', '.join(columns)}" if columns else ""
    return f"le {day} : {counts}{detail}"


def _source_lines(source: dict[str, Any]) -> list[str]:
    lines = []
    for key, value in source.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        lines.append(f"- {key.replace('_', ' ')} : {shown}")
    return lines


def _common(sheet: dict[str, Any]) -> list[str]:
    licence = sheet["licence"]
    spatial = sheet["couverture_spatiale"]
    temporal = sheet.get("couverture_temporelle")
    lines = [
        f"- **Territoire** : {spatial['territoire']} ({len(spatial['communes'])} communes)",
        f"- **Nombre de lignes** : {sheet.get('nombre_de_lignes', '')}",
        f"- **Attribution** : {sheet['attribution']}",
        f"- **Licence** : [{licence['nom']}]({licence['url']})",
        f"- **Fréquence de mise à jour** : {sheet['frequence']['libelle']}",
    ]
    if temporal:
        lines.append(
            f"- **Couverture temporelle** : {temporal.get('debut') or '?'} – "
            f"{temporal.get('fin') or '?'} ({temporal.get('description') or ''})"
        )
    lines.append(f"- **Derniers changements** : {_changes_line(sheet.get('derniers_changements'))}")
    return lines


def dataset_description(sheet: dict[str, Any]) -> str:
    """The dataset's markdown description: the catalog's text, then the key facts."""
    parts = [
        sheet["description"].strip(),
        "",
        "## En bref",
        "",
        *_common(sheet),
        "",
        "## Source",
        "",
        *_source_lines(sheet.get("source") or {}),
        "",
        "La description des colonnes est dans la ressource « documentation » du jeu.",
        "",
        f"Publié par {sheet.get('producteur', 'patrimoine')}.",
    ]
    return "\n".join(parts)[:DESCRIPTION_LIMIT]


def documentation(sheet: dict[str, Any]) -> str:
    """The whole sheet for reusers: facts, communes, columns, files, source."""
    spatial = sheet["couverture_spatiale"]
    lines = [
        f"# {sheet['titre']}",
        "",
        sheet["description"].strip(),
        "",
        "## Informations",
        "",
        *_common(sheet),
        f"- **Mots-clés** : {', '.join(sheet.get('mots_cles') or [])}",
        "",
        "## Communes couvertes",
        "",
        "| code INSEE | commune |",
        "|---|---|",
        *(f"| {c['code_insee']} | {_cell(c['nom'])} |" for c in spatial["communes"]),
        "",
        "## Colonnes",
        "",
        "| nom | type | titre | description |",
        "|---|---|---|---|",
        *(
            f"| {_cell(c['nom'])} | {_cell(c['type'])} | {_cell(c.get('titre'))} "
            f"| {_cell(c.get('description'))} |"
            for c in sheet.get("colonnes") or []
        ),
        "",
        "## Fichiers",
        "",
        "| fichier | titre | format | taille (octets) | sha256 |",
        "|---|---|---|---|---|",
        *(
            f"| {_cell(r['fichier'])} | {_cell(r['titre'])} | {r['format']} | {r['taille']} "
            f"| {r['sha256']} |"
            for r in sheet.get("ressources") or []
        ),
        "",
        "## Source",
        "",
        *_source_lines(sheet.get("source") or {}),
        "",
        f"Produit par {sheet.get('producteur', 'patrimoine')}.",
        "",
    ]
    return "\n".join(lines)


__all__ = ["dataset_description", "documentation"]
