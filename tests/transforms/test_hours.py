"""Opening hours: French free text → OSM ``opening_hours``, and the collectivité's file."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import opening_hours
import pytest

from patrimoine.errors import SchemaError
from patrimoine.transforms import hours as hours_module
from patrimoine.transforms.hours import HoursLine, attach_hours, read_hours_file, to_osm
from patrimoine.transforms.stats import REMARKS, TransformStats, remarks_fr
from tests.transforms.hours_cases import NOT_UNDERSTOOD, UNDERSTOOD

# --- the normaliser ---------------------------------------------------------------------


def test_the_table_is_large_and_has_no_duplicate_input() -> None:
    texts = [text for text, _ in UNDERSTOOD]
    assert len(texts) >= 40
    assert len(set(texts)) == len(texts)


@pytest.mark.parametrize(("text", "expected"), UNDERSTOOD, ids=[t[:50] for t, _ in UNDERSTOOD])
def test_french_hours_become_the_exact_osm_string(text: str, expected: str) -> None:
    assert to_osm(text) == expected


@pytest.mark.parametrize("expected", sorted({e for _, e in UNDERSTOOD}))
def test_every_expected_string_is_clean_osm_and_kept_as_is(expected: str) -> None:
    parsed = opening_hours.OpeningHours(expected)  # raises ParserError when invalid
    assert parsed.warnings == []
    assert to_osm(expected) == expected  # already OSM: kept, so normalising is idempotent


@pytest.mark.parametrize(("text", "why"), NOT_UNDERSTOOD, ids=[t[:50] for t, _ in NOT_UNDERSTOOD])
def test_what_is_not_fully_understood_gives_none(text: str, why: str) -> None:
    assert to_osm(text) is None, why


def test_valid_osm_input_is_kept_as_written_not_restyled() -> None:
    # The parser itself would render "PH closed" and "Jan 1": the author's form is kept.
    assert str(opening_hours.OpeningHours("Tu-Su 10:00-18:00; PH off")).endswith("PH closed")
    assert to_osm("Tu-Su 10:00-18:00; Jan 01 off") == "Tu-Su 10:00-18:00; Jan 01 off"
    assert to_osm("  Tu-Su 10:00-18:00 ;  PH off ") == "Tu-Su 10:00-18:00 ; PH off"


def test_osm_input_with_warnings_takes_the_parsers_stable_rendering() -> None:
    raw = "mo-fr 10:00-18:00"
    assert opening_hours.OpeningHours(raw).warnings  # lower-case weekdays are warned about
    fixed = to_osm(raw)
    assert fixed == "Mo-Fr 10:00-18:00"
    assert str(opening_hours.OpeningHours(fixed)) == fixed


def test_a_bare_osm_comment_is_refused_because_the_parser_reads_it_as_always_open() -> None:
    parsed = opening_hours.OpeningHours('"sur rendez-vous"')
    assert str(parsed) == '24/7 "sur rendez-vous"'
    assert to_osm('"sur rendez-vous"') is None


def test_the_output_means_what_the_french_says() -> None:
    """Evaluate the OSM string with the parser (French public holidays)."""
    osm = to_osm("Tous les jours de 10h à 18h. Fermé les lundis et jours fériés")
    assert osm == "Tu-Su 10:00-18:00; PH off"
    museum = opening_hours.OpeningHours(osm, country="FR")
    monday, tuesday = datetime(2026, 3, 2, 11), datetime(2026, 3, 3, 11)
    assert monday.strftime("%A") == "Monday"
    assert museum.is_closed(monday)
    assert museum.is_open(tuesday)
    assert museum.is_closed(datetime(2026, 3, 3, 18, 30))
    assert museum.is_closed(datetime(2026, 7, 14, 11))  # a Tuesday, but the 14th of July

    seasons = opening_hours.OpeningHours(
        to_osm(
            "Juillet et août : tous les jours 10h-19h ; le reste de l'année : du mardi au "
            "dimanche 10h-18h"
        )
        or ""
    )
    assert seasons.is_open(datetime(2026, 7, 6, 18, 30))  # a Monday in July, until 19h
    assert seasons.is_closed(datetime(2026, 3, 2, 11))  # a Monday in March
    assert seasons.is_closed(datetime(2026, 3, 3, 18, 30))  # Tuesday in March after 18h
    assert seasons.is_open(datetime(2026, 9, 1, 11))  # the "rest of the year" starts

    assert opening_hours.OpeningHours(to_osm("Fermé pour travaux") or "").is_closed(monday)


def test_every_output_is_checked_by_the_parser_before_it_is_returned() -> None:
    """A bug of the grammar yields None, never a string the parser refuses."""
    assert hours_module._accepted("Tu-Su 10:00-18:00")
    assert not hours_module._accepted("Tu-Su 10h-18h")
    assert not hours_module._accepted("mo-fr 10:00-18:00")  # accepted with a warning
    for text, _ in UNDERSTOOD + NOT_UNDERSTOOD:
        result = to_osm(text)
        assert result is None or hours_module._accepted(result)


# --- the hours file ---------------------------------------------------------------------


def write(tmp_path: Path, content: bytes, name: str = "horaires.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_bom_and_semicolons(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\ufeffidentifiant;horaires\r\n"
        "M1234;Du mardi au dimanche de 10h à 18h\r\n"
        "m5678 ; Tous les jours 10h-12h et 14h-18h \r\n".encode(),
    )
    stats = TransformStats()
    found = read_hours_file(path, stats)
    assert found == {
        "M1234": HoursLine("M1234", "Du mardi au dimanche de 10h à 18h", 2),
        "M5678": HoursLine("M5678", "Tous les jours 10h-12h et 14h-18h", 3),
    }
    assert not stats.problems


def test_commas_quoted_fields_and_an_unquoted_comma_in_the_last_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        b"id,opening_hours\n"
        b'M0001,"Mardi-vendredi 10h-12h30, 14h-18h"\n'
        b"M0002,Du mardi au dimanche 10h-18h, ferm\xc3\xa9 les jours f\xc3\xa9ri\xc3\xa9s\n",
    )
    stats = TransformStats()
    found = read_hours_file(path, stats)
    assert found["M0001"].text == "Mardi-vendredi 10h-12h30, 14h-18h"
    # 3 fields for 2 columns: the hours are the last column, so they are joined back.
    assert found["M0002"].text == "Du mardi au dimanche 10h-18h, fermé les jours fériés"
    assert to_osm(found["M0002"].text) == "Tu-Su 10:00-18:00; PH off"
    assert not stats.problems


def test_cp1252_excel_export_with_header_aliases(tmp_path: Path) -> None:
    content = (
        "Identifiant Muséofile;Horaires d'ouverture\r\n"
        "M0100;Fermé le lundi, ouvert du mardi au dimanche de 10h à 18h\r\n"
    )
    path = write(tmp_path, content.encode("cp1252"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    found = read_hours_file(path, TransformStats())
    assert found["M0100"].text == "Fermé le lundi, ouvert du mardi au dimanche de 10h à 18h"
    assert to_osm(found["M0100"].text) == "Tu-Su 10:00-18:00"


def test_a_quoted_multi_line_field_keeps_the_physical_line_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'identifiant;horaires\nM0001;"Du mardi au dimanche de 10h à 18h\nFermé le 1er mai"\n'
        "M0002;sur rendez-vous\n".encode(),
    )
    found = read_hours_file(path, TransformStats())
    assert found["M0001"] == HoursLine(
        "M0001", "Du mardi au dimanche de 10h à 18h\nFermé le 1er mai", 2
    )
    assert found["M0002"].line == 4
    assert to_osm(found["M0001"].text) == "Tu-Su 10:00-18:00; May 01 off"


def test_duplicate_identifier_keeps_the_first_line_and_reports_the_others(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        b"identifiant;horaires\nM0001;Tous les jours 10h-18h\nM0002;Ferme\n"
        b"m0001;Du mardi au dimanche 14h-18h\n",
    )
    stats = TransformStats()
    found = read_hours_file(path, stats)
    assert found["M0001"] == HoursLine("M0001", "Tous les jours 10h-18h", 2)
    assert stats.problems["horaires_identifiant_double"] == 1
    assert stats.examples["horaires_identifiant_double"] == ["M0001 (ligne 4)"]


def test_lines_without_identifier_blank_or_too_wide_are_reported_or_skipped(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        b"horaires;identifiant;commentaire\n"
        b"Tous les jours 10h-18h;M0001;\n"
        b";;\n"
        b"Tous les jours 10h-18h;;\n"
        b";M0003;sans horaires\n"
        b"Tous les jours 10h-18h;M0004;a;b\n",
    )
    stats = TransformStats()
    found = read_hours_file(path, stats)
    assert set(found) == {"M0001"}  # M0003 has no hours: nothing to publish, nothing to say
    assert stats.examples["horaires_sans_identifiant"] == ["ligne 4"]
    # Too many fields and the hours are not the last column: the line cannot be rebuilt.
    assert stats.examples["horaires_ligne_mal_formee"] == ["M0004 (ligne 6)"]


def test_missing_hours_column_fails_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path, b"identifiant;heures\nM0001;10h-18h\n")
    with pytest.raises(SchemaError) as error:
        read_hours_file(path, TransformStats())
    assert "colonne(s) absente(s) : horaires" in error.value.cause
    assert "identifiant;heures" in error.value.cause
    assert "PATRIMOINE_MUSEUM_HOURS" in str(error.value)


def test_missing_identifier_column_in_a_one_column_file_fails_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path, b"horaires\nTous les jours 10h-18h\n")
    with pytest.raises(SchemaError, match=r"absente\(s\) : identifiant"):
        read_hours_file(path, TransformStats())


def test_empty_file_fails_and_a_header_alone_gives_nothing(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="fichier des horaires des musées vide"):
        read_hours_file(write(tmp_path, b"\xef\xbb\xbf \r\n"), TransformStats())
    header_only = write(tmp_path, b"identifiant;horaires\r\n", "header.csv")
    assert read_hours_file(header_only, TransformStats()) == {}


def test_undecodable_file_fails_in_french(tmp_path: Path) -> None:
    path = write(tmp_path, b"identifiant;horaires\nM0001;\x81\x8d\n")  # not UTF-8, not cp1252
    with pytest.raises(SchemaError, match="encodage non reconnu"):
        read_hours_file(path, TransformStats())


# --- attaching hours to museums -----------------------------------------------------------


def test_attach_hours_normalises_and_reports_by_museum_identifier(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\ufeffidentifiant;horaires\r\n"
        "M0001;Du mardi au dimanche de 10h à 18h, fermé les jours fériés\r\n"
        "M0002;Sur rendez-vous\r\n"
        "M9999;Tous les jours 10h-18h\r\n"
        "M0004;Tu-Su 10:00-18:00\r\n".encode(),
    )
    stats = TransformStats()
    attached = attach_hours(["M0001", "M0002", "M0003", "M0004"], path, stats)
    assert attached == [
        ("Du mardi au dimanche de 10h à 18h, fermé les jours fériés", "Tu-Su 10:00-18:00; PH off"),
        ("Sur rendez-vous", ""),  # text kept, OSM empty
        ("", ""),  # M0003: no line in the file
        ("Tu-Su 10:00-18:00", "Tu-Su 10:00-18:00"),
    ]
    assert dict(stats.problems) == {"horaires_non_reconnus": 1, "horaires_identifiant_inconnu": 1}
    assert stats.examples["horaires_non_reconnus"] == ["M0002 (ligne 3)"]
    assert stats.examples["horaires_identifiant_inconnu"] == ["M9999 (ligne 4)"]
    assert stats.read == stats.kept == 0  # the museums' own counters are not touched
    assert remarks_fr(stats.to_dict()) == [
        "identifiant du fichier des horaires absent des musées (1) : M9999 (ligne 4)",
        "horaires non reconnus (texte publié, horaires_osm laissé vide) (1) : M0002 (ligne 3)",
    ]


def test_attach_hours_reports_a_line_once_even_when_a_key_repeats(tmp_path: Path) -> None:
    path = write(tmp_path, b"identifiant;horaires\nM0002;le matin\n")
    stats = TransformStats()
    assert attach_hours(["M0002", " m0002 "], path, stats) == [("le matin", "")] * 2
    assert stats.problems["horaires_non_reconnus"] == 1


def test_without_an_hours_file_every_museum_gets_empty_columns() -> None:
    stats = TransformStats()
    assert attach_hours(["M0001", "M0002"], None, stats) == [("", ""), ("", "")]
    assert not stats.problems


def test_every_reported_kind_has_a_french_label() -> None:
    source = Path(hours_module.__file__).read_text(encoding="utf-8")
    kinds = set(re.findall(r'stats\.problem\(\s*"(\w+)"', source))
    assert kinds == {
        "horaires_non_reconnus",
        "horaires_identifiant_inconnu",
        "horaires_identifiant_double",
        "horaires_sans_identifiant",
        "horaires_ligne_mal_formee",
    }
    assert kinds <= REMARKS.keys()
