"""The metadata sheet as OpenDataSoft metadata fields (``default`` and ``internal`` templates).

Fields are handled one by one (``template/field`` → value) because ``PUT metadata/`` and
``PUT metadata/{template}/`` replace everything and would erase what the data manager set
on the portal (themes, geographic references…); a field is sent again only when its hash
differs from the one stored after the last send.
"""

from __future__ import annotations

import hashlib
import html
import json
from datetime import UTC, datetime
from typing import Any

MODIFIED = "default/modified"
"""Required at creation; afterwards the portal updates it on every data or metadata change."""


def description_html(metadata: dict[str, Any]) -> str:
    """The sheet's text as HTML paragraphs (ODS descriptions are HTML), licence last."""
    paragraphs = [p.strip() for p in str(metadata.get("description", "")).split("\n\n")]
    parts = [f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs if p]
    licence = metadata.get("licence") or {}
    if licence.get("nom"):
        name = html.escape(str(licence["nom"]))
        link = (
            f'<a href="{html.escape(str(licence["url"]), quote=True)}">{name}</a>'
            if licence.get("url")
            else name
        )
        attribution = metadata.get("attribution")
        source = f" ; source : {html.escape(str(attribution))}" if attribution else ""
        parts.append(f"<p>Licence : {link}{source}.</p>")
    return "\n".join(parts)


def fields(metadata: dict[str, Any], license_id: str | None) -> dict[str, Any]:
    """``template/field`` → value, from the French metadata sheet."""
    out: dict[str, Any] = {
        "default/title": metadata["titre"],
        "default/description": description_html(metadata),
        "default/keyword": [k for k in metadata.get("mots_cles", []) if k],
        "default/language": "fr",
        "default/timezone": "Europe/Paris",
        "default/modified_updates_on_data_change": True,
        "default/modified_updates_on_metadata_change": True,
    }
    attribution = metadata.get("attribution")
    if attribution:
        out["default/publisher"] = attribution
        out["default/attributions"] = [attribution]
    source_url = (metadata.get("source") or {}).get("url")
    if isinstance(source_url, str) and source_url.startswith(("http://", "https://")):
        out["default/references"] = source_url
    if license_id:
        out["internal/license_id"] = license_id
    return out


def digest(value: Any) -> str:
    return hashlib.sha1(
        json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()


def digests(values: dict[str, Any]) -> dict[str, str]:
    return {key: digest(value) for key, value in values.items()}


def changed(values: dict[str, Any], sent: dict[str, str]) -> list[str]:
    """Fields whose value differs from the one last sent (by hash)."""
    return [key for key, value in values.items() if sent.get(key) != digest(value)]


def templates(values: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The ``DatasetMetadata`` object of a creation: ``{"default": {"title": {"value": …}}}``."""
    moment = (now or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
    out: dict[str, dict[str, Any]] = {}
    for key, value in {**values, MODIFIED: moment}.items():
        template, name = key.split("/", 1)
        out.setdefault(template, {})[name] = {"value": value}
    return out


LABELS = {
    "default/title": "titre",
    "default/description": "description",
    "default/keyword": "mots-clés",
    "default/language": "langue",
    "default/timezone": "fuseau horaire",
    "default/publisher": "éditeur",
    "default/attributions": "attributions",
    "default/references": "références",
    "default/modified_updates_on_data_change": "date de modification automatique",
    "default/modified_updates_on_metadata_change": "date de modification automatique",
    "internal/license_id": "licence",
}


def labels(keys: list[str]) -> str:
    return ", ".join(dict.fromkeys(LABELS.get(k, k) for k in keys))


__all__ = ["changed", "description_html", "digest", "digests", "fields", "labels", "templates"]
