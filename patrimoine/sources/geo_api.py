"""geo.api.gouv.fr: the communes and contours of an EPCI (or of a list of communes)."""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from patrimoine.config import Settings, TerritorySpec
from patrimoine.errors import HTTPStatusError, SourceError, TerritoryError
from patrimoine.http import HttpClient
from patrimoine.staging import territory_store
from patrimoine.territory import Territory, commune_from_feature

log = logging.getLogger(__name__)

EPCI_PATH = "/epcis/{siren}"
EPCI_COMMUNES_PATH = "/epcis/{siren}/communes"
COMMUNE_PATH = "/communes/{code}"
# geometry=contour (not fields=contour) is what returns polygons in GeoJSON.
CONTOUR_PARAMS = {"format": "geojson", "geometry": "contour"}


def fetch_territory(client: HttpClient, settings: Settings, spec: TerritorySpec) -> Territory:
    base = settings.geo_api_url
    if spec.kind == "epci":
        siren = spec.codes[0]
        try:
            collection = client.get_json(
                base + EPCI_COMMUNES_PATH.format(siren=siren), params=CONTOUR_PARAMS
            )
        except HTTPStatusError as exc:
            if exc.status_code == 404:
                raise TerritoryError(
                    f"EPCI inconnu de geo.api.gouv.fr : SIREN {siren} "
                    "(vérifiez PATRIMOINE_TERRITORY)",
                    url=exc.url,
                ) from None
            raise
        communes = tuple(commune_from_feature(f) for f in collection.get("features", []))
        if not communes:
            raise TerritoryError(f"l'EPCI {siren} n'a aucune commune selon geo.api.gouv.fr")
        try:
            label = str(
                client.get_json(base + EPCI_PATH.format(siren=siren), params={"fields": "nom"})[
                    "nom"
                ]
            )
        except (SourceError, KeyError, TypeError):
            label = f"EPCI {siren}"
        return Territory(key=spec.key, label=label, communes=communes)
    features = []
    for code in spec.codes:
        try:
            features.append(
                client.get_json(base + COMMUNE_PATH.format(code=code), params=CONTOUR_PARAMS)
            )
        except HTTPStatusError as exc:
            if exc.status_code == 404:
                raise TerritoryError(
                    f"commune inconnue de geo.api.gouv.fr : {code}", url=exc.url
                ) from None
            raise
    communes = tuple(commune_from_feature(f) for f in features)
    label = ", ".join(c.nom for c in communes)
    return Territory(key=spec.key, label=label, communes=communes)


def resolve_territory(client: HttpClient, settings: Settings, engine: Engine) -> Territory:
    """Fetch the territory and cache it; fall back to the cached copy when geo.api fails."""
    spec = settings.territory
    try:
        territory = fetch_territory(client, settings, spec)
    except TerritoryError:
        raise
    except SourceError as exc:
        cached = territory_store.load(engine, spec.key)
        if cached is None:
            raise TerritoryError(
                f"territoire {spec.key} introuvable : geo.api.gouv.fr indisponible ({exc.cause}) "
                "et aucune copie en base",
                url=exc.url,
            ) from None
        log.warning("geo.api.gouv.fr indisponible (%s) : territoire repris de la base", exc.cause)
        return cached
    territory_store.save(engine, territory)
    log.info("Territoire %s : %s, %d communes", spec.key, territory.label, len(territory.communes))
    return territory
