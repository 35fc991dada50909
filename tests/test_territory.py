from __future__ import annotations

from patrimoine.territory import Commune, Territory, name_key


def test_name_key_matches_index_and_editorial_forms() -> None:
    assert name_key("Cendre (Le)") == name_key("Le Cendre")
    assert name_key("Cournon-d'Auvergne") == name_key("Cournon d’Auvergne")
    assert name_key("Strasbourg 67") == name_key("Strasbourg")


def test_lookup_by_codes_and_names() -> None:
    territory = Territory("communes:63113", "T", (Commune("63113", "Clermont-Ferrand", "63"),))
    assert territory.by_codes(["99999", "63113"]) is not None
    assert territory.by_codes(["99999"]) is None
    assert territory.by_name("", "CLERMONT FERRAND") is not None


def test_envelope_picks_the_france_part_holding_the_contours() -> None:
    square = {
        "type": "Polygon",
        "coordinates": [[[3.0, 45.7], [3.1, 45.7], [3.1, 45.8], [3.0, 45.7]]],
    }
    metro = Territory("x", "x", (Commune("63113", "C", "63", contour=square),))
    assert metro.envelope()[0] == 41.2
    reunion = {
        "type": "Polygon",
        "coordinates": [[[55.4, -21.0], [55.5, -21.0], [55.5, -21.1], [55.4, -21.0]]],
    }
    dom = Territory("y", "y", (Commune("97411", "Saint-Denis", "974", contour=reunion),))
    assert dom.envelope()[0] == -21.5
