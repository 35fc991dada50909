from __future__ import annotations

from datetime import date

import pytest

from patrimoine.transforms.coordinates import parse_point
from patrimoine.transforms.dates import iso_date, protection_history, protection_status
from patrimoine.transforms.text import clean, fold, split_multi, vocabulary


def test_clean_unifies_apostrophes_and_spaces() -> None:
    assert clean("  propriété de l’État  ") == "propriété de l'État"
    assert clean("classé  MH\tpartiellement") == "classé MH partiellement"
    assert clean(None) == ""


def test_fold_ignores_accents_case_and_punctuation() -> None:
    assert fold("Pérignat-lès-Sarliève") == fold("PERIGNAT LES SARLIEVE")
    assert fold("Cournon-d'Auvergne") == fold("Cournon d’Auvergne")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("propriété de l'Etat", "propriété de l'État"),
        ("propriété de l’État", "propriété de l'État"),
        ("Propriété de la commune", "propriété de la commune"),
        ("Eglise;église;chapelle", "église;chapelle"),
        ("Dossier de protection", "dossier de protection"),
    ],
)
def test_vocabulary_normalises_divergent_spellings(raw: str, expected: str) -> None:
    assert vocabulary(raw) == expected


def test_split_multi_drops_empty_and_duplicate_parts() -> None:
    assert split_multi("16e siècle;;19e siècle; 16e siècle") == ["16e siècle", "19e siècle"]
    assert split_multi("propriété de la commune ; propriété privée", ";") == [
        "propriété de la commune",
        "propriété privée",
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-07-24", date(2026, 7, 24)),
        ("1930/11/30", date(1930, 11, 30)),
        ("30/11/1930", date(1930, 11, 30)),
        ("2026-02-30", None),
        ("", None),
        ("ancien Label XXe 2015", None),
    ],
)
def test_iso_date(raw: str, expected: date | None) -> None:
    assert iso_date(raw) == expected


def test_protection_history_two_acts_sorted() -> None:
    events = protection_history("1994/07/08 : inscrit MH;1926/03/12 : classé MH")
    assert [(e.day, e.status, e.partial) for e in events] == [
        (date(1926, 3, 12), "classé", False),
        (date(1994, 7, 8), "inscrit", False),
    ]


def test_protection_history_year_only_and_undated() -> None:
    (year_only,) = protection_history("1862 : classé MH")
    assert (year_only.year, year_only.day, year_only.status) == (1862, None, "classé")
    (undated,) = protection_history("inscrit MH")
    assert (undated.year, undated.day, undated.status) == (None, None, "inscrit")


def test_protection_history_malformed_keeps_the_date() -> None:
    (event,) = protection_history("classé MH partiellement:2017/05/10:inscrit MH")
    assert event.day == date(2017, 5, 10)
    assert event.status == "inscrit"


def test_protection_history_partial_and_odd_spacing() -> None:
    events = protection_history("1926/03/12 : classé MH  partiellement ; 2001/01/02 : inscrit MH")
    assert [(e.status, e.partial) for e in events] == [("classé", True), ("inscrit", False)]
    assert protection_status("classé MH pa") == ("classé", True)
    assert protection_status("déclassé MH")[0] == "déclassé"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("48.3916559789157,4.52479043755344", (48.3916560, 4.5247904)),
        ("45.790491, 4.797411", (45.790491, 4.797411)),
        ({"lon": 3.08, "lat": 45.77}, (45.77, 3.08)),
        ("", None),
        ("0,0", None),
        ("0.0,0.0", None),
        ("abc", None),
        ("95,200", None),
    ],
)
def test_parse_point(raw: object, expected: tuple[float, float] | None) -> None:
    point = parse_point(raw)
    assert (None if point is None else (point.lat, point.lon)) == expected


def test_point_outside_france_is_flagged() -> None:
    swapped = parse_point("3.08,45.77")
    assert swapped is not None and not swapped.in_france
    clermont = parse_point("45.7772,3.0870")
    assert clermont is not None and clermont.in_france
    reunion = parse_point("-21.1151,55.5364")
    assert reunion is not None and reunion.in_france
