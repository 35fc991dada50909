from __future__ import annotations

from datetime import date

import pytest

from patrimoine.transforms.coordinates import parse_point
from patrimoine.transforms.dates import (
    current_status,
    iso_date,
    protection_history,
    protection_status,
)
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


def test_split_multi_keeps_every_part_in_order() -> None:
    # Auteur_de_l_edifice: ";" also cuts the "dit" / "ou" fragments; each one must stay.
    assert split_multi("Jeanneret Charles-Edouard;dit;Le Corbusier (architecte)") == [
        "Jeanneret Charles-Edouard",
        "dit",
        "Le Corbusier (architecte)",
    ]
    assert split_multi("Hardouin Jules;dit;Hardouin-Mansart Jules;dit;Mansart (architecte)") == [
        "Hardouin Jules",
        "dit",
        "Hardouin-Mansart Jules",
        "dit",
        "Mansart (architecte)",
    ]
    assert split_multi("Le Vau Louis (architecte);ou;Le Muet Pierre;ou;Gabriel Jacques") == [
        "Le Vau Louis (architecte)",
        "ou",
        "Le Muet Pierre",
        "ou",
        "Gabriel Jacques",
    ]
    assert split_multi("16e siècle;;19e siècle; 16e siècle") == [
        "16e siècle",
        "19e siècle",
        "16e siècle",
    ]
    assert split_multi("") == [] and split_multi(None) == []


def test_split_multi_spaced_separator() -> None:
    # Statut_juridique_de_l_edifice uses " ; ".
    assert split_multi("propriété de la commune ; propriété privée ; propriété privée") == [
        "propriété de la commune",
        "propriété privée",
        "propriété privée",
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Eglise;église", "église"),
        ("église;chapelle;Eglise;chapelle", "église;chapelle"),
        ("propriété de la commune ; propriété de la commune", "propriété de la commune"),
        ("propriété de l'Etat ; propriété de l’État", "propriété de l'État"),
    ],
)
def test_vocabulary_drops_duplicates_after_normalisation(raw: str, expected: str) -> None:
    assert vocabulary(raw) == expected


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


def acts(value: str) -> list[tuple[int | None, date | None, str, bool]]:
    return [(e.year, e.day, e.status, e.partial) for e in protection_history(value)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1926/3/12 : classé MH", (1926, date(1926, 3, 12), "classé", False)),
        ("1926/03/2 : inscrit MH", (1926, date(1926, 3, 2), "inscrit", False)),
        ("1926/3/2 : inscrit MH partiellement", (1926, date(1926, 3, 2), "inscrit", True)),
        ("1926/02/30 : classé MH", (1926, None, "classé", False)),
        ("1862 : classé MH", (1862, None, "classé", False)),
        ("inscrit MH", (None, None, "inscrit", False)),
        ("01/22 : inscrit MH", (None, None, "inscrit", False)),
        ("classement MH", (None, None, "classé", False)),
        ("déclassé MH", (None, None, "déclassé", False)),
        ("inscrit MH en 1926.", (None, None, "inscrit", False)),  # a full stop, not an act
    ],
)
def test_protection_history_single_act(
    raw: str, expected: tuple[int | None, date | None, str, bool]
) -> None:
    (event,) = protection_history(raw)
    assert (event.year, event.day, event.status, event.partial) == expected
    assert event.raw == raw


def test_protection_history_glued_acts_are_two_acts() -> None:
    events = protection_history("classé MH partiellement:2017/05/10:inscrit MH")
    # The undated act glued before a dated one happened before it, and sorts so.
    assert [(e.year, e.day, e.status, e.partial, e.raw) for e in events] == [
        (None, None, "classé", True, "classé MH partiellement"),
        (2017, date(2017, 5, 10), "inscrit", False, "2017/05/10:inscrit MH"),
    ]
    assert acts("inscrit MH . 2020/09/03 : inscrit MH") == [
        (None, None, "inscrit", False),
        (2020, date(2020, 9, 3), "inscrit", False),
    ]


def test_a_glued_declassement_is_replayed_after_the_classement_it_undoes() -> None:
    events = protection_history("classé MH:2017/05/10:déclassé MH")
    assert [e.status for e in events] == ["classé", "déclassé"]
    assert current_status("", events) == ("autre", False)
    assert current_status("", tuple(reversed(events))) == ("autre", False)


def test_protection_history_glued_dated_acts_and_order() -> None:
    assert acts("1994/7/8 : inscrit MH partiellement. 1926/03/12 : classé MH") == [
        (1926, date(1926, 3, 12), "classé", False),
        (1994, date(1994, 7, 8), "inscrit", True),
    ]
    # Undated acts go last and keep their relative order, except one glued before a
    # dated act, which precedes that act.
    assert acts(
        "inscrit MH;1994/07/08 : inscrit MH;classé MH partiellement:2017/05/10:inscrit MH;"
        "1926/3/12 : classé MH;classement MH"
    ) == [
        (1926, date(1926, 3, 12), "classé", False),
        (1994, date(1994, 7, 8), "inscrit", False),
        (None, None, "classé", True),
        (2017, date(2017, 5, 10), "inscrit", False),
        (None, None, "inscrit", False),
        (None, None, "classé", False),
    ]


def test_protection_history_partial_and_odd_spacing() -> None:
    events = protection_history("1926/03/12 : classé MH  partiellement ; 2001/01/02 : inscrit MH")
    assert [(e.status, e.partial) for e in events] == [("classé", True), ("inscrit", False)]
    assert protection_status("classé MH pa") == ("classé", True)
    assert protection_status("déclassé MH")[0] == "déclassé"


@pytest.mark.parametrize(
    ("typology", "history", "expected"),
    [
        (
            "classé MH;inscrit MH partiellement",
            "1926/03/12 : classé MH",
            ("classé et inscrit", True),
        ),
        ("classé MH pa", "1930/11/30 : classé MH", ("classé", True)),
        ("inscrit MH partiellement", "1926/03/12 : classé MH", ("inscrit", True)),
        ("classé  MH", "", ("classé", False)),
        (
            "classé MH partiellement ; inscrit MH partiellement ; protection partielle",
            "",
            ("classé et inscrit", True),
        ),
        ("protection partielle", "", ("autre", True)),
    ],
)
def test_current_status_typology_decides(
    typology: str, history: str, expected: tuple[str, bool]
) -> None:
    assert current_status(typology, protection_history(history)) == expected


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        (
            "1926/03/12 : classé MH;1994/07/08 : inscrit MH partiellement",
            ("classé et inscrit", True),
        ),
        ("1926/03/12 : classé MH;1994/07/08 : inscrit MH", ("classé et inscrit", False)),
        ("1930/11/30 : classé MH", ("classé", False)),
        ("1862 : classé MH", ("classé", False)),
        ("inscrit MH", ("inscrit", False)),
        ("01/22 : inscrit MH", ("inscrit", False)),
        ("classé MH partiellement:2017/05/10:inscrit MH", ("classé et inscrit", True)),
        ("inscrit MH . 2020/09/03 : inscrit MH", ("inscrit", False)),
        # déclassé removes classé, and with it the partial flag of that classement
        (
            "1910/05/02 : classé MH;1955/01/10 : déclassé MH;1980/06/30 : inscrit MH",
            ("inscrit", False),
        ),
        (
            "1910 : classé MH partiellement;1955/1/10 : déclassé MH;1980 : inscrit MH",
            ("inscrit", False),
        ),
        ("1910/05/02 : classé MH;1955/01/10 : déclassé MH", ("autre", False)),
        ("1955/01/10 : déclassé MH;1960/02/03 : classé MH", ("classé", False)),
        # a partial déclassement leaves the rest classé
        ("1910/05/02 : classé MH;1990/01/10 : déclassé MH partiellement", ("classé", True)),
        ("déclassé MH", ("autre", False)),
        ("", ("", False)),
    ],
)
def test_current_status_from_every_act(history: str, expected: tuple[str, bool]) -> None:
    events = protection_history(history)
    assert current_status("", events) == expected
    assert current_status("", tuple(reversed(events))) == expected  # any order in


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
