"""The commune matcher on the real contours of Clermont Auvergne Métropole.

Every point is derived from the simplified IGN contours the offline snapshot ships (see
``tests/transforms/geo.py``): inside a commune, on a border two communes share, or a known
distance outside a commune's contour.
"""

from __future__ import annotations

import pytest

from patrimoine.territory import Commune, Territory
from patrimoine.transforms.communes import (
    BY_CODE,
    BY_NAME,
    BY_POINT,
    DEFAULT_TOLERANCE_M,
    NAME_DISAGREES,
    NAMESAKE_REJECTED,
    NOT_VERIFIABLE,
    POINT_OUTSIDE_COMMUNE,
    CommuneMatcher,
)
from tests.transforms.geo import (
    BEAUMONT,
    BEAUMONT_74,
    CHAMALIERES,
    CLERMONT,
    LA_REUNION,
    LE_CENDRE,
    PONT_DU_CHATEAU,
    ROYAT,
    clermont_territory,
    east_of,
    inside,
    shared_vertices,
)

TERRITORY = clermont_territory()
MATCHER = CommuneMatcher(TERRITORY)


def nom(code: str) -> str:
    commune = TERRITORY.commune(code)
    assert commune is not None
    return commune.nom


# --- 1. a code of the territory --------------------------------------------------------


def test_code_of_the_territory_wins() -> None:
    found = MATCHER.assign([CLERMONT], ["Clermont-Ferrand"], ["63"], inside(CLERMONT))
    assert found.commune is not None and found.commune.code == CLERMONT
    assert (found.method, found.notes, found.point_suspect) == (BY_CODE, (), False)
    assert found.reported


def test_code_disagreeing_with_the_name_is_reported() -> None:
    found = MATCHER.assign([CLERMONT], ["Royat"], ["63"], inside(CLERMONT))
    assert found.commune is not None and found.commune.code == CLERMONT
    assert found.notes == (NAME_DISAGREES,) and not found.point_suspect
    # The index form of the same commune is not a disagreement.
    assert MATCHER.assign([LE_CENDRE], ["Le Cendre", "Cendre (Le)"]).notes == ()


def test_code_with_a_point_far_from_its_commune_is_suspect() -> None:
    found = MATCHER.assign([CLERMONT], ["Clermont-Ferrand"], ["63"], LA_REUNION)
    assert found.commune is not None and found.commune.code == CLERMONT
    assert found.notes == (POINT_OUTSIDE_COMMUNE,) and found.point_suspect
    both = MATCHER.assign([CLERMONT], ["Royat"], [], LA_REUNION)
    assert both.notes == (NAME_DISAGREES, POINT_OUTSIDE_COMMUNE)


def test_several_codes_take_the_commune_holding_the_point() -> None:
    codes = [CLERMONT, CHAMALIERES]
    names = ["Clermont-Ferrand", "Chamalières"]
    for code in codes:
        found = MATCHER.assign(codes, names, [], inside(code))
        assert found.commune is not None and found.commune.code == code
        assert (found.method, found.notes) == (BY_CODE, ())
    no_point = MATCHER.assign(codes, names)
    assert no_point.commune is not None and no_point.commune.code == CLERMONT  # the first
    # A historic code next to a member's: the member's code decides.
    historic = MATCHER.assign(["63999", CHAMALIERES], ["Chamalières"], [], inside(CHAMALIERES))
    assert historic.commune is not None and historic.commune.code == CHAMALIERES
    assert historic.notes == ()
    # A point in neither commune: the nearer of the two, flagged when beyond the tolerance.
    royat = MATCHER.assign(codes, names, [], inside(ROYAT))
    assert royat.commune is not None and royat.commune.code == CHAMALIERES  # Royat's neighbour


# --- 2. no code: point in polygon --------------------------------------------------------


def test_no_code_point_in_polygon() -> None:
    found = MATCHER.assign([], ["Le Cendre", "Cendre (Le)"], ["63"], inside(LE_CENDRE))
    assert found.commune is not None and found.commune.code == LE_CENDRE
    assert (found.method, found.notes) == (BY_POINT, ())
    silent = MATCHER.assign([], [], [], inside(LE_CENDRE))
    assert silent.commune is not None and silent.commune.code == LE_CENDRE
    assert silent.notes == ()
    other = MATCHER.assign([], ["Royat"], [], inside(LE_CENDRE))
    assert other.commune is not None and other.commune.code == LE_CENDRE
    assert (other.method, other.notes) == (BY_POINT, (NAME_DISAGREES,))


def test_point_on_a_shared_border_goes_to_the_named_commune() -> None:
    vertices = shared_vertices(CLERMONT, CHAMALIERES)
    assert len(vertices) >= 5
    for lat, lon in vertices:
        both = MATCHER.locate_all(lat, lon)
        assert {c.code for c in both} == {CLERMONT, CHAMALIERES}, (lat, lon)
        # Territory order, whatever order the STRtree answers in.
        assert [c.code for c in both] == [CHAMALIERES, CLERMONT]
        assert MATCHER.locate(lat, lon) == both[0]
        for code in (CLERMONT, CHAMALIERES):
            found = MATCHER.assign([], [nom(code)], [], (lat, lon))
            assert found.commune is not None and found.commune.code == code, (lat, lon)
            assert (found.method, found.notes) == (BY_POINT, ())
        unnamed = MATCHER.assign([], [], [], (lat, lon))
        assert unnamed.commune is not None and unnamed.commune.code == CHAMALIERES
        elsewhere = MATCHER.assign([], ["Royat"], [], (lat, lon))
        assert elsewhere.notes == (NAME_DISAGREES,)


def test_every_commune_is_located_in_its_own_contour() -> None:
    for commune in TERRITORY.communes:
        assert MATCHER.locate(*inside(commune.code)) == commune
        assert MATCHER.distance_m(commune, *inside(commune.code)) == 0.0
    assert MATCHER.locate(*BEAUMONT_74) is None
    assert MATCHER.locate(*LA_REUNION) is None


# --- 3. names, checked ---------------------------------------------------------------------


def test_name_only_inside_the_declared_departement() -> None:
    found = MATCHER.assign([], ["Cendre (Le)"], ["63"])
    assert found.commune is not None and found.commune.code == LE_CENDRE
    assert (found.method, found.notes) == (BY_NAME, ())
    elsewhere = MATCHER.assign([], ["Beaumont"], ["74"])
    assert elsewhere.commune is None and not elsewhere.reported  # another Beaumont: silent
    combined = MATCHER.assign([], ["Beaumont"], ["01", "63"])  # "01;63" style
    assert combined.commune is not None and combined.commune.code == BEAUMONT


def test_code_from_elsewhere_declares_its_departement() -> None:
    historic = MATCHER.assign(["63808"], ["Royat"])  # an old code of the Puy-de-Dôme
    assert historic.commune is not None and historic.commune.code == ROYAT
    assert historic.method == BY_NAME
    namesake = MATCHER.assign(["74031"], ["Beaumont"])
    assert namesake.commune is None and not namesake.reported
    # The code's département counts even when the record declares another one.
    assert MATCHER.assign(["74031"], ["Beaumont"], ["74"]).commune is None


def test_name_without_code_departement_or_point_is_not_taken() -> None:
    found = MATCHER.assign([], ["Beaumont"])
    assert found.commune is None and found.notes == (NOT_VERIFIABLE,)
    assert found.reported  # it looked like a member: reported, not silently dropped


def test_namesake_point_elsewhere_is_rejected() -> None:
    found = MATCHER.assign([], ["Beaumont"], [], BEAUMONT_74)
    assert found.commune is None and found.notes == (NAMESAKE_REJECTED,)
    declared = MATCHER.assign([], ["Beaumont"], ["63"], BEAUMONT_74)
    assert declared.commune is None and declared.notes == (NAMESAKE_REJECTED,)
    near = MATCHER.assign([], ["Beaumont"], [], inside(BEAUMONT))
    assert near.commune is not None and near.commune.code == BEAUMONT  # by point, of course
    assert near.method == BY_POINT


def test_unknown_names_are_silent() -> None:
    found = MATCHER.assign([], ["Riom"], ["63"], (45.8936, 3.1128))
    assert found.commune is None and not found.reported
    assert MATCHER.assign(["63300"], ["Riom"]).commune is None


# --- tolerance ---------------------------------------------------------------------------


@pytest.mark.parametrize("metres", [500.0, 3000.0])
def test_distance_is_in_metres(metres: float) -> None:
    commune = TERRITORY.commune(PONT_DU_CHATEAU)
    assert commune is not None
    distance = MATCHER.distance_m(commune, *east_of(PONT_DU_CHATEAU, metres))
    assert distance is not None and distance == pytest.approx(metres, rel=0.02)
    assert MATCHER.locate(*east_of(PONT_DU_CHATEAU, metres)) is None  # outside the territory


def test_tolerance_500_m_is_near_3_km_is_not() -> None:
    assert DEFAULT_TOLERANCE_M == 1000.0
    name = [nom(PONT_DU_CHATEAU)]
    close, far = east_of(PONT_DU_CHATEAU, 500), east_of(PONT_DU_CHATEAU, 3000)

    coded = MATCHER.assign([PONT_DU_CHATEAU], name, ["63"], close)
    assert (coded.notes, coded.point_suspect) == ((), False)
    coded_far = MATCHER.assign([PONT_DU_CHATEAU], name, ["63"], far)
    assert coded_far.commune is not None and coded_far.commune.code == PONT_DU_CHATEAU
    assert (coded_far.notes, coded_far.point_suspect) == ((POINT_OUTSIDE_COMMUNE,), True)

    for declared in ([], ["63"]):
        by_name = MATCHER.assign([], name, declared, close)
        assert by_name.commune is not None and by_name.commune.code == PONT_DU_CHATEAU
        assert (by_name.method, by_name.notes) == (BY_NAME, ())
        rejected = MATCHER.assign([], name, declared, far)
        assert rejected.commune is None and rejected.notes == (NAMESAKE_REJECTED,)


def test_tolerance_is_a_setting() -> None:
    strict = CommuneMatcher(TERRITORY, tolerance_m=400)
    name = [nom(PONT_DU_CHATEAU)]
    assert strict.assign([], name, [], east_of(PONT_DU_CHATEAU, 500)).notes == (NAMESAKE_REJECTED,)
    assert strict.assign([PONT_DU_CHATEAU], name, [], east_of(PONT_DU_CHATEAU, 500)).point_suspect
    lenient = CommuneMatcher(TERRITORY, tolerance_m=5000)
    found = lenient.assign([], name, [], east_of(PONT_DU_CHATEAU, 3000))
    assert found.commune is not None and found.commune.code == PONT_DU_CHATEAU


# --- territories without contours -----------------------------------------------------------


def test_territory_without_contours() -> None:
    bare = Territory(
        key="communes:63032,63113",
        label="Sans contours",
        communes=(Commune(BEAUMONT, "Beaumont", "63"), Commune(CLERMONT, "Clermont-Ferrand", "63")),
    )
    matcher = CommuneMatcher(bare)
    assert matcher.locate(*inside(BEAUMONT)) is None
    assert matcher.locate_all(*inside(BEAUMONT)) == []
    # Codes still decide; a point cannot be checked, so it is not called suspect.
    coded = matcher.assign([CLERMONT], ["Clermont-Ferrand"], [], LA_REUNION)
    assert coded.commune is not None and coded.commune.code == CLERMONT
    assert (coded.notes, coded.point_suspect) == ((), False)
    # A declared département verifies a name, with or without a point.
    for point in (None, inside(BEAUMONT), BEAUMONT_74):
        found = matcher.assign([], ["Beaumont"], ["63"], point)
        assert found.commune is not None and found.commune.code == BEAUMONT, point
        assert found.method == BY_NAME
    # Without one, a point verifies nothing: Beaumont 74's point is no proof of Beaumont 63.
    for point in (None, BEAUMONT_74):
        found = matcher.assign([], ["Beaumont"], [], point)
        assert found.commune is None and found.notes == (NOT_VERIFIABLE,), point


def test_partly_contoured_territory_checks_the_point_where_it_can() -> None:
    communes = (
        next(c for c in TERRITORY.communes if c.code == BEAUMONT),
        Commune("74031", "Beaumont", "74"),  # a made-up territory holding both namesakes
    )
    matcher = CommuneMatcher(Territory(key="t", label="t", communes=communes))
    near = matcher.assign([], ["Beaumont"], [], inside(BEAUMONT))
    assert near.commune is not None and near.commune.code == BEAUMONT
    # Far from the contoured one, the other cannot be checked: rejected, not guessed.
    assert matcher.assign([], ["Beaumont"], [], BEAUMONT_74).notes == (NAMESAKE_REJECTED,)
    declared = matcher.assign([], ["Beaumont"], ["74"], BEAUMONT_74)
    assert declared.commune is not None and declared.commune.code == "74031"
