"""geo.api.gouv.fr: the communes and contours of an EPCI (or of a list of communes).

The territory decides what every dataset publishes, so its answer is checked before it
replaces the copy kept in the database: a malformed answer (not a FeatureCollection, a
commune without code or contour) or one much smaller than the cached territory (a partial
answer would look like a mass removal in every dataset) is refused with a clear warning
and the cached territory is used.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import Engine

from patrimoine.config import Settings, TerritorySpec
from patrimoine.errors import HTTPStatusError, NotInSnapshot, SourceError, TerritoryError
from patrimoine.http import HttpClient
from patrimoine.staging import territory_store
from patrimoine.territory import Commune, Territory, commune_from_feature

log = logging.getLogger(__name__)

EPCI_PATH = "/epcis/{siren}"
EPCI_COMMUNES_PATH = "/epcis/{siren}/communes"
COMMUNE_PATH = "/communes/{code}"
# geometry=contour (not fields=contour) is what returns polygons in GeoJSON.
CONTOUR_PARAMS = {"format": "geojson", "geometry": "contour"}
MIN_SHARE_OF_CACHED = 0.8
"""A new answer with fewer communes than this share of the cached territory is refused."""

_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


class MalformedAnswer(SourceError):
    """geo.api.gouv.fr answered, but not with a usable territory."""


def _commune(feature: Any, url: str) -> Commune:
    if not isinstance(feature, dict) or not isinstance(feature.get("properties", feature), dict):
        raise MalformedAnswer(
            "réponse inattendue : une commune n'est pas un objet GeoJSON", url=url
        )
    props = feature.get("properties", feature)
    code, nom = props.get("code"), props.get("nom")
    if not isinstance(code, str) or not _CODE.match(code) or not isinstance(nom, str) or not nom:
        raise MalformedAnswer(
            f"réponse inattendue : commune sans code INSEE ou sans nom ({str(props)[:80]})", url=url
        )
    geometry = feature.get("geometry")
    if "properties" in feature and (
        not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon")
    ):
        raise MalformedAnswer(f"réponse inattendue : la commune {code} n'a pas de contour", url=url)
    return commune_from_feature(feature)


def _features(collection: Any, url: str) -> list[Any]:
    if not isinstance(collection, dict) or not isinstance(collection.get("features"), list):
        raise MalformedAnswer("réponse inattendue : pas une FeatureCollection GeoJSON", url=url)
    features: list[Any] = collection["features"]
    return features


def fetch_territory(client: HttpClient, settings: Settings, spec: TerritorySpec) -> Territory:
    base = settings.geo_api_url
    if spec.kind == "epci":
        siren = spec.codes[0]
        url = base + EPCI_COMMUNES_PATH.format(siren=siren)
        try:
            collection = client.get_json(url, params=CONTOUR_PARAMS)
        except HTTPStatusError as exc:
            if exc.status_code == 404:
                raise TerritoryError(
                    f"EPCI inconnu de geo.api.gouv.fr : SIREN {siren}",
                    url=exc.url,
                    hint="vérifiez le SIREN dans PATRIMOINE_TERRITORY (epci:<siren>)",
                ) from None
            raise
        communes = tuple(_commune(f, url) for f in _features(collection, url))
        if not communes:
            raise MalformedAnswer(
                f"l'EPCI {siren} n'a aucune commune selon geo.api.gouv.fr", url=url
            )
        try:
            label = str(
                client.get_json(base + EPCI_PATH.format(siren=siren), params={"fields": "nom"})[
                    "nom"
                ]
            )
        except (SourceError, KeyError, TypeError):
            label = f"EPCI {siren}"
        return Territory(key=spec.key, label=label, communes=communes)
    communes_list = []
    for code in spec.codes:
        url = base + COMMUNE_PATH.format(code=code)
        try:
            communes_list.append(_commune(client.get_json(url, params=CONTOUR_PARAMS), url))
        except HTTPStatusError as exc:
            if exc.status_code == 404:
                raise TerritoryError(
                    f"commune inconnue de geo.api.gouv.fr : {code}",
                    url=exc.url,
                    hint="vérifiez les codes INSEE dans PATRIMOINE_TERRITORY (communes:…)",
                ) from None
            raise
    communes = tuple(communes_list)
    label = ", ".join(c.nom for c in communes)
    return Territory(key=spec.key, label=label, communes=communes)


def resolve_territory(client: HttpClient, settings: Settings, engine: Engine) -> Territory:
    """Fetch the territory and cache it; fall back to the cached copy when geo.api fails."""
    spec = settings.territory
    cached = territory_store.load(engine, spec.key)
    try:
        territory = fetch_territory(client, settings, spec)
        if cached is not None and len(territory.communes) < MIN_SHARE_OF_CACHED * len(
            cached.communes
        ):
            raise MalformedAnswer(
                f"réponse incomplète : {len(territory.communes)} communes au lieu des "
                f"{len(cached.communes)} connues",
                url=settings.geo_api_url,
            )
    except TerritoryError:
        raise
    except SourceError as exc:
        if cached is None:
            raise TerritoryError(
                f"territoire {spec.key} introuvable : geo.api.gouv.fr inutilisable ({exc.cause}) "
                "et aucune copie en base",
                url=exc.url,
                hint=exc.hint
                if isinstance(exc, NotInSnapshot)
                else "relancez quand geo.api.gouv.fr répondra, ou vérifiez PATRIMOINE_GEO_API_URL",
            ) from None
        log.warning(
            "Territoire %s : réponse de geo.api.gouv.fr refusée (%s) ; copie en base utilisée "
            "(%d communes)",
            spec.key,
            exc.cause,
            len(cached.communes),
        )
        return cached
    territory_store.save(engine, territory)
    log.info("Territoire %s : %s, %d communes", spec.key, territory.label, len(territory.communes))
    return territory
