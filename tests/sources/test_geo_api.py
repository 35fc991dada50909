from __future__ import annotations

from pathlib import Path

import pytest

from patrimoine.errors import TerritoryError
from patrimoine.http import HttpClient
from patrimoine.sources.geo_api import fetch_territory, resolve_territory
from patrimoine.stages import engine_for
from tests.conftest import make_settings
from tests.servers import UpstreamServer, clermont_communes, query_key, upstream_env


def test_epci_communes_contours_and_name(tmp_path: Path, upstream: UpstreamServer) -> None:
    upstream.add_epci("246300701", clermont_communes(), nom="Clermont Auvergne Métropole")
    settings = make_settings(tmp_path, **upstream_env(upstream))
    with HttpClient(settings) as client:
        territory = fetch_territory(client, settings, settings.territory)
    assert territory.label == "Clermont Auvergne Métropole"
    assert len(territory.codes) == 21 and "63113" in territory.codes
    clermont = territory.commune("63113")
    assert clermont is not None and clermont.contour is not None
    assert clermont.contour["type"] == "Polygon"
    assert clermont.codes_postaux == ("63000", "63100")
    request = upstream.requests_to("/epcis/246300701/communes")[0]
    assert request.query == query_key("format=geojson&geometry=contour")


def test_cached_territory_is_used_when_geo_api_fails_but_not_for_a_404(
    tmp_path: Path, upstream: UpstreamServer
) -> None:
    upstream.add_epci("246300701", clermont_communes(), nom="Clermont Auvergne Métropole")
    settings = make_settings(tmp_path, **upstream_env(upstream))
    engine = engine_for(settings)
    with HttpClient(settings) as client:
        resolve_territory(client, settings, engine)
        upstream.route("/epcis/246300701/communes").status(503)
        assert len(resolve_territory(client, settings, engine).communes) == 21
        upstream.route("/epcis/246300701/communes").status(404)
        with pytest.raises(TerritoryError, match="EPCI inconnu"):
            resolve_territory(client, settings, engine)
