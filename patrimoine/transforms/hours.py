"""French free-text opening hours → OpenStreetMap ``opening_hours``, and the hours file.

Muséofile has no opening hours: the collectivité types them in its own CSV
(``PATRIMOINE_MUSEUM_HOURS``). :func:`to_osm` turns that text into the OSM syntax that SCDL
``equipements`` expects, and every string it returns has been accepted, without warning,
by ``opening-hours-py`` (the maintained parser of that syntax). It never guesses: a text
with one word or clause it does not understand gives ``None`` as a whole (no partial
output that silently drops a clause), and the caller reports it.

Supported French forms (case, accents, typographic apostrophes and dashes, spaces free):

* days: ``lundi`` … ``dimanche`` (plural, ``lun.`` … ``dim.``), ranges ``du mardi au
  dimanche``, ``mardi-dimanche``, ``lundi au vendredi`` (wrapping ``du vendredi au mardi``
  too), lists ``lundi, mercredi et vendredi``, ``tous les jours``, ``tlj``, ``7j/7``,
  ``7 jours sur 7``, ``chaque jour``, ``toute la semaine``, ``en semaine`` (Mo-Fr),
  ``le week-end`` (Sa-Su); public holidays ``jours fériés`` / ``fériés`` (PH);
* times: ``10h-18h``, ``10h00-12h30 / 14h-17h30``, ``9h30 – 18h``, ``de 10 h à 18 h 30``,
  ``de 10 à 18 heures``, ``entre 10h et 18h``, ``10:00-18:00``, ``midi``, ``minuit``,
  ``24h/24``; several intervals joined by ``et``, ``,`` or ``/``;
* months and seasons: ``d'avril à octobre`` (Apr-Oct), ``de novembre à mars`` (Nov-Mar),
  ``juillet et août``, ``en janvier``, ``au mois d'août``; seasons are the
  meteorological ones: ``printemps`` Mar-May, ``été`` Jun-Aug, ``automne`` Sep-Nov,
  ``hiver`` Dec-Feb; ``le reste de l'année`` = the months no other rule names;
  ``toute l'année`` adds nothing;
* dates: ``le 1er mai``, ``les 25 et 26 décembre``, ``du 1er juillet au 31 août``,
  ``du 24 décembre au 2 janvier``, ``Noël``, ``jour de l'an``;
* closures: ``fermé le lundi``, ``fermé les lundis et jours fériés``, ``fermé en janvier``,
  ``fermé le lundi d'octobre à mars``, ``en hiver, fermé le lundi``, ``fermé le 1er mai, le
  25 décembre et le 1er janvier``, written after what they close too (``Lundi : fermé``,
  ``Noël et jour de l'an fermé``); ``sauf le mardi``, ``excepté``, ``hors jours fériés``,
  ``à l'exception des lundis``; ``ouvert les jours fériés`` / ``y compris les jours
  fériés`` (added to the one rule before it). Closed weekdays said in a clause with its own
  opening rule hold for that clause's rules (``Tous les jours 10h-18h, fermé le lundi. En
  été, tous les jours 10h-19h``: summer Mondays are open); said in a clause of their own,
  for every rule. They are taken out of the rule's days (``Tu-Su``, not ``Mo-Su; Mo off``)
  when the rule said "every day"; a rule naming that very day is a contradiction;
* ``fermé`` alone, ``fermé pour travaux``, ``fermé temporairement``, ``fermé jusqu'à nouvel
  ordre`` → ``off`` (the museum is closed: that is a fact worth publishing);
* several rules separated by ``.``, ``;`` or new lines; a rule naming days already named
  (``mardi-vendredi 10h-18h, samedi 14h-18h``) starts a new OSM rule; later rules override
  earlier ones for the days they name, as in French ("… ; en été, le samedi 10h-20h").

Already valid OSM input (``Tu-Su 10:00-18:00; PH off``) is kept as written (spaces folded)
when the parser accepts it without warning, and replaced by the parser's own rendering
when it warns (``mo-fr`` → ``Mo-Fr``). The parser's rendering is not used for clean input
because it rewrites style (``off`` → ``closed``, ``Jan 01`` → ``Jan 1``).

Not understood on purpose (``None``): ``sur rendez-vous``, ``le matin``, ``l'après-midi``,
``à partir de 14h``, ``jusqu'à 18h``, ``dernière entrée…``, school holidays, ``1er dimanche
du mois``, years, overnight or overlapping intervals, impossible dates, a day both open and
closed, ``ouvert tous les jours`` without hours (OSM would read it 24 hours a day), closures
alone (``Fermé le lundi``: the opening hours are unknown), and the ambiguous: ``10h-18h sauf
le lundi de 14h à 18h`` (Monday's hours or a lunch break?), ``fermé en janvier et le lundi``
(every Monday?), ``sauf lundi, en été``, public holidays closed in a seasonal clause when
other rules exist, ``ouvert les jours fériés`` after several rules; a bare OSM comment
(``"sur rendez-vous"``, which the parser reads as open 24/7) or a lone year (``2024``).

Output conventions: weekdays ``Mo``…``Su`` (runs of two or more as ranges, Monday first:
``Mo,We-Su``), months circular (``Nov-Mar``), dates ``May 01`` and ``Jul 01-Jul 15``, times
``HH:MM`` sorted, ``24/7``, ``off`` for closures; rules in the order: opening rules as
written, month closures, ``PH off``, closed dates.

How: the text is folded (case, accents, punctuation) and a few multi-word phrases become
one word (``tous les jours`` → ``tlj``); it is split into clauses; each clause is scanned
into tokens through a lexicon (any unknown word or character → ``None``); tokens are
parsed into items, each one OSM selector (days, months, dates, times); items fill rules,
with ``fermé``/``sauf`` parts collected apart; the rules are rendered and checked.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import opening_hours

from patrimoine.errors import SchemaError
from patrimoine.transforms.stats import TransformStats
from patrimoine.transforms.text import fold

# The stub shipped with opening-hours-py 2.1.4 omits the exception class it raises.
_ParserError: type[Exception] = getattr(opening_hours, "ParserError")  # noqa: B009

# --- public API -------------------------------------------------------------------------


@dataclass(frozen=True)
class HoursLine:
    """One museum's line of the collectivité's hours file."""

    identifiant: str
    """As given, stripped, upper-cased (Muséofile ids look like M1234)."""
    text: str
    """The hours as given (stripped), published as ``horaires_texte``."""
    line: int
    """Physical line in the hours file (header = 1), for the report."""


@lru_cache(maxsize=4096)
def to_osm(text: str) -> str | None:
    """OSM opening_hours for French free text (or valid OSM kept); None when not understood."""
    stripped = text.strip()
    if not stripped:
        return None
    kept = _valid_osm(stripped)
    if kept is not None:
        return kept
    try:
        built = _french(stripped)
    except _NotUnderstood:
        return None
    return built if _accepted(built) else None


ID_ALIASES = (
    "identifiant",
    "id",
    "identifiant_museofile",
    "museofile",
    "ref_museofile",
    "code_museofile",
)
HOURS_ALIASES = (
    "horaires",
    "horaire",
    "horaires_texte",
    "horaires_d_ouverture",
    "heures_d_ouverture",
    "opening_hours",
)
HOURS_FILE_HINT = (
    "corrigez le fichier des horaires (PATRIMOINE_MUSEUM_HOURS) : il faut les colonnes "
    "« identifiant » et « horaires », séparées par « ; » ou « , »"
)


def read_hours_file(path: Path, stats: TransformStats) -> dict[str, HoursLine]:
    """The collectivité's CSV of hours, by upper-cased museum identifier.

    Spreadsheets write it in many ways: ``;`` or ``,`` (sniffed on the header), UTF-8 with
    or without BOM, or cp1252 (Excel's "CSV" on Windows). With ``,`` the hours often hold
    an unquoted comma (``10h-12h, 14h-18h``): when ``horaires`` is the last column the
    extra fields are joined back, which restores the line exactly. A duplicate identifier
    keeps its FIRST line (the one a reader of the file meets first) and each later line is
    reported; lines without hours are skipped (nothing to publish), lines with hours but
    no identifier are reported.
    """
    content = _decode(path.read_bytes())
    if not content.strip():
        raise SchemaError("fichier des horaires des musées vide", hint=HOURS_FILE_HINT)
    first_line = content.splitlines()[0]
    delimiter = max(";,\t|", key=first_line.count)
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    header = next(reader)
    id_pos = _column(header, ID_ALIASES)
    hours_pos = _column(header, HOURS_ALIASES)
    missing = [name for name, pos in (("identifiant", id_pos), ("horaires", hours_pos)) if pos < 0]
    if missing:
        raise SchemaError(
            "fichier des horaires des musées : colonne(s) absente(s) : "
            f"{', '.join(missing)} (en-tête lu : {delimiter.join(header)})",
            hint=HOURS_FILE_HINT,
        )
    width = len(header)
    found: dict[str, HoursLine] = {}
    next_line = reader.line_num + 1
    for row in reader:
        line, next_line = next_line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        identifiant = row[id_pos].strip().upper() if id_pos < len(row) else ""
        if len(row) > width and hours_pos != width - 1:
            stats.problem("horaires_ligne_mal_formee", line, identifiant or None)
            continue
        cells = row[hours_pos:] if len(row) > width else row[hours_pos : hours_pos + 1]
        text = delimiter.join(cells).replace("\r\n", "\n").strip()
        if not text:
            continue
        if not identifiant:
            stats.problem("horaires_sans_identifiant", line)
        elif identifiant in found:
            stats.problem("horaires_identifiant_double", line, identifiant)
        else:
            found[identifiant] = HoursLine(identifiant, text, line)
    return found


def attach_hours(
    keys: Sequence[str], path: Path | None, stats: TransformStats
) -> list[tuple[str, str]]:
    """(horaires_texte, horaires_osm) for each museum key, "" when none.

    Reports, with the museum identifier and the hours-file line: text not understood
    (``horaires_non_reconnus``: the text is still published, ``horaires_osm`` stays
    empty) and identifiers of the file that are not among ``keys``
    (``horaires_identifiant_inconnu``), besides what :func:`read_hours_file` reports.
    """
    if path is None:
        return [("", "") for _ in keys]
    hours = read_hours_file(path, stats)
    wanted = {key.strip().upper() for key in keys}
    for identifiant, given in hours.items():
        if identifiant not in wanted:
            stats.problem("horaires_identifiant_inconnu", given.line, identifiant)
    reported: set[str] = set()
    attached: list[tuple[str, str]] = []
    for key in keys:
        given_line = hours.get(key.strip().upper())
        if given_line is None:
            attached.append(("", ""))
            continue
        osm = to_osm(given_line.text)
        if osm is None and given_line.identifiant not in reported:
            reported.add(given_line.identifiant)
            stats.problem("horaires_non_reconnus", given_line.line, given_line.identifiant)
        attached.append((given_line.text, osm or ""))
    return attached


# --- the hours file ---------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise SchemaError(
            "fichier des horaires des musées : encodage non reconnu (UTF-8 ou Windows-1252 "
            "attendu)",
            hint=HOURS_FILE_HINT,
        ) from exc


def _column(header: Sequence[str], aliases: Sequence[str]) -> int:
    """Position of the first header cell matching an alias (folded), -1 when none."""
    folded = [fold(name.lstrip("\ufeff")).replace(" ", "_") for name in header]
    for alias in aliases:
        if alias in folded:
            return folded.index(alias)
    return -1


# --- OSM input --------------------------------------------------------------------------

_OSM_HINT = re.compile(
    r"\d\d:\d\d|24/7|\b(?:Mo|Tu|We|Th|Fr|Sa|Su|PH|SH|off|closed|Jan|Feb|Mar|Apr|May|Jun"
    r"|Jul|Aug|Sep|Oct|Nov|Dec)\b"
)


def _parse(expression: str) -> opening_hours.OpeningHours | None:
    try:
        return opening_hours.OpeningHours(expression)
    except _ParserError:
        return None


def _accepted(expression: str) -> bool:
    """The parser takes it without a warning."""
    parsed = _parse(expression)
    return parsed is not None and not parsed.warnings


def _valid_osm(text: str) -> str | None:
    """``text`` when it already is OSM syntax (see the module docstring), else None."""
    candidate = " ".join(text.split())
    if not _OSM_HINT.search(candidate):
        return None  # "2024" parses as a year selector: open all year long, a guess
    parsed = _parse(candidate)
    if parsed is None:
        return None
    rendered = str(parsed)
    if '"' in candidate and "24/7" in rendered and "24/7" not in candidate:
        return None  # a bare comment ("sur rendez-vous") read as open 24/7
    if not parsed.warnings:
        return candidate
    return rendered if _accepted(rendered) and str(_parse(rendered)) == rendered else None


# --- French text: normalisation and tokens ----------------------------------------------


class _NotUnderstood(Exception):
    """Some part of the text is outside the grammar: the whole text is not understood."""


_ALL_DAYS = frozenset(range(7))
_ALL_MONTHS = frozenset(range(1, 13))
_DAY_OSM = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_MONTH_OSM = (
    "",
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
_MONTH_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

_TRANSLATE = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "´": "'",
        "`": "'",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "−": "-",
        "\xa0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "œ": "oe",
    }
)

# Multi-word phrases rewritten to one lexicon word before tokenising (order matters).
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\b(lun|mar|mer|jeu|ven|sam|dim|janv|fevr?|avr|juil|sept|oct|nov|dec)\.", r"\1 "),
        (r"\b7\s*j(?:ours?)?\s*(?:/|sur)\s*7\b", " tlj "),
        (r"\b7\s*/\s*7\b", " tlj "),
        (r"\b24\s*h(?:eures?)?\s*(?:/|sur)\s*24\b", " jouretnuit "),
        (r"\btous les jours\b|\bchaque jour\b|\btoute la semaine\b", " tlj "),
        (r"\bjours? feries?\b", " ferie "),
        (r"\bweek(?:\s|-)?ends?\b", " weekend "),
        (r"\b(?:le )?reste de l' ?annee\b|\b(?:le )?reste du temps\b", " reste "),
        (r"\btoute l' ?annee\b", " "),
        (r"\ba l' ?exception (?:des|du|de la|de l'|de)", " sauf "),
        (r"\by compris\b", " "),
        (r"\bainsi que\b", " et "),
        (r"\bau public\b", " "),
        (r"\bau mois (?:de|d')", " en "),
        (r"\bjour de l' ?an\b", " nouvelan "),
        (r"\ba (noel|nouvelan)\b", r" \1 "),
        (r"\bjusqu' ?a nouvel ordre\b", " motif "),
        (r"\bpour cause de\b", " pour "),
        (r"\b(?:horaires?|heures) d' ?ouverture\b", " "),
    )
)

_MONTH_WORDS = r"(?:janv|fev|mars|avr|mai|juin|juil|aout|sept|oct|nov|dec)"
_SCANNER = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<time>(?P<h>\d{1,2})\s*(?:heures?|h)"  # 10h, 10 h 30, 10h00, 10 heures
    rf"(?:(?P<m>\d\d)|\s+(?P<m2>\d\d)(?!\s*(?:er\b|{_MONTH_WORDS})))?(?![a-z\d]))"
    r"|(?P<clock>(?P<hc>\d{1,2}):(?P<mc>\d\d))(?!\d)"
    r"|(?P<num>\d{1,2})(?:er)?(?![a-z\d])"
    r"|(?P<word>[a-z]+)"
    r"|(?P<punct>[-,/&+:()'])"
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    """DAY, DAYSET, PH, MONTH, SEASON, DATE, NUM, TIME, H24, FROM, TO, BETWEEN, AND,
    OPEN, CLOSED, EXCEPT, REST, REASON."""
    n: int = 0
    """Weekday 0-6, month 1-12, number, minutes since midnight, or (DATE) the day."""
    days: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()


def _words() -> dict[str, _Tok]:
    lexicon: dict[str, _Tok] = {}
    days = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
    for number, day in enumerate(days):
        lexicon[day] = lexicon[day + "s"] = lexicon[day[:3]] = _Tok("DAY", number)
    months = (
        ("janvier", "janv"),
        ("fevrier", "fev", "fevr"),
        ("mars",),
        ("avril", "avr"),
        ("mai",),
        ("juin",),
        ("juillet", "juil"),
        ("aout",),
        ("septembre", "sept"),
        ("octobre", "oct"),
        ("novembre", "nov"),
        ("decembre", "dec"),
    )
    for number, spellings in enumerate(months, start=1):
        for spelling in spellings:
            lexicon[spelling] = _Tok("MONTH", number)
    seasons = {"printemps": (3, 4, 5), "ete": (6, 7, 8), "automne": (9, 10, 11)}
    seasons["hiver"] = (12, 1, 2)
    for season, numbers in seasons.items():
        lexicon[season] = _Tok("SEASON", months=frozenset(numbers))
    lexicon["tlj"] = _Tok("DAYSET", days=_ALL_DAYS)
    lexicon["semaine"] = _Tok("DAYSET", days=frozenset(range(5)))
    lexicon["weekend"] = _Tok("DAYSET", days=frozenset((5, 6)))
    lexicon["ferie"] = lexicon["feries"] = _Tok("PH")
    lexicon["noel"] = _Tok("DATE", 25, months=frozenset((12,)))
    lexicon["nouvelan"] = _Tok("DATE", 1, months=frozenset((1,)))
    lexicon["midi"] = _Tok("TIME", 12 * 60)
    lexicon["minuit"] = _Tok("TIME", 24 * 60)
    lexicon["jouretnuit"] = _Tok("H24")
    for kind, spellings in (
        ("FROM", ("du", "de", "d")),
        ("TO", ("au", "a")),
        ("BETWEEN", ("entre",)),
        ("AND", ("et",)),
        ("OPEN", ("ouvert", "ouverte", "ouverts", "ouvertes", "ouverture")),
        ("CLOSED", ("ferme", "fermee", "fermes", "fermees", "fermeture", "fermetures")),
        ("EXCEPT", ("sauf", "excepte", "hors")),
        ("REST", ("reste",)),
        (
            "REASON",
            (
                "pour",
                "travaux",
                "renovation",
                "temporairement",
                "temporaire",
                "provisoirement",
                "actuellement",
                "definitivement",
                "motif",
            ),
        ),
        # Words that only carry grammar: dropped.
        (
            "",
            (
                "le",
                "la",
                "les",
                "l",
                "en",
                "pendant",
                "durant",
                "tous",
                "toutes",
                "chaque",
                "inclus",
                "meme",
                "egalement",
                "aussi",
                "mois",
                "jusqu",
                "horaires",
                "horaire",
                "hebdomadaire",
                "annuelle",
                "uniquement",
                "seulement",
                "musee",
            ),
        ),
    ):
        for spelling in spellings:
            lexicon[spelling] = _Tok(kind)
    return lexicon


_LEXICON = _words()
_PUNCT = {"-": "TO", ",": "AND", "/": "AND", "&": "AND", "+": "AND"}


def _normalise(text: str) -> str:
    """Lower case, no accents, plain apostrophes, dashes and spaces, phrases as words."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_TRANSLATE).casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    for pattern, replacement in _PHRASES:
        plain = pattern.sub(replacement, plain)
    return plain


def _tokens(clause: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    position = 0
    while position < len(clause):
        match = _SCANNER.match(clause, position)
        if match is None:
            raise _NotUnderstood(clause[position:])
        position = match.end()
        if match["time"]:
            tokens.append(_time(match["h"], match["m"] or match["m2"] or "0"))
        elif match["clock"]:
            tokens.append(_time(match["hc"], match["mc"]))
        elif match["num"]:
            tokens.append(_Tok("NUM", int(match["num"])))
        elif match["word"]:
            word = _LEXICON.get(match["word"])
            if word is None:
                raise _NotUnderstood(match["word"])
            if word.kind:
                tokens.append(word)
        elif match["punct"] in _PUNCT:
            tokens.append(_Tok(_PUNCT[match["punct"]]))
    return tokens


def _time(hours: str, minutes: str) -> _Tok:
    h, m = int(hours), int(minutes)
    if h > 24 or m > 59 or (h == 24 and m):
        raise _NotUnderstood(f"{hours}h{minutes}")
    return _Tok("TIME", h * 60 + m)


def _union(parts: Iterable[frozenset[int]]) -> frozenset[int]:
    united: frozenset[int] = frozenset()
    for part in parts:
        united |= part
    return united


# --- French text: items (one selector each) ---------------------------------------------


@dataclass(frozen=True)
class _Date:
    month: int
    day: int

    def osm(self) -> str:
        return f"{_MONTH_OSM[self.month]} {self.day:02d}"


@dataclass(frozen=True)
class _Item:
    kind: str
    """days, months, dates, times, or a control token kind (AND, OPEN, CLOSED, …)."""
    days: frozenset[int] = frozenset()
    ph: bool = False
    months: frozenset[int] = frozenset()
    dates: tuple[str, ...] = ()
    times: tuple[tuple[int, int], ...] = ()

    @property
    def category(self) -> str:
        """Which part of an OSM rule it fills: wide (months, dates), days or times."""
        return "wide" if self.kind in ("months", "dates") else self.kind


_Parsed = tuple[_Item, int] | None


def _kind(tokens: Sequence[_Tok], i: int) -> str:
    return tokens[i].kind if i < len(tokens) else ""


def _time_item(tokens: Sequence[_Tok], i: int) -> _Parsed:
    """``de 10h à 18h``, ``10h-18h``, ``de 10 à 18 heures``, ``entre 10h et 18h``, 24h/24."""
    if _kind(tokens, i) == "H24":
        return _Item("times", times=((0, 24 * 60),)), i + 1
    j = i + 1 if _kind(tokens, i) in ("FROM", "BETWEEN") else i
    to = "AND" if _kind(tokens, i) == "BETWEEN" else "TO"
    if _kind(tokens, j) not in ("TIME", "NUM") or _kind(tokens, j + 1) != to:
        return None
    if _kind(tokens, j + 2) != "TIME":
        return None
    start, end = tokens[j].n, tokens[j + 2].n
    if tokens[j].kind == "NUM":
        start *= 60
    return _Item("times", times=((start, end),)), j + 3


def _date(tokens: Sequence[_Tok], i: int, day: int | None = None) -> _Date | None:
    """The date at ``i`` (``1er mai``, ``Noël``); ``day`` given: the month at ``i``."""
    if day is None and _kind(tokens, i) == "DATE":
        return _Date(min(tokens[i].months), tokens[i].n)
    if day is None:
        if _kind(tokens, i) != "NUM" or _kind(tokens, i + 1) != "MONTH":
            return None
        day, i = tokens[i].n, i + 1
    if _kind(tokens, i) != "MONTH":
        return None
    month = tokens[i].n
    if not 1 <= day <= _MONTH_DAYS[month]:
        raise _NotUnderstood(f"{day}/{month}")
    return _Date(month, day)


def _width(tokens: Sequence[_Tok], i: int) -> int:
    return 1 if _kind(tokens, i) == "DATE" else 2


def _date_item(tokens: Sequence[_Tok], i: int) -> _Parsed:
    """``1er mai``, ``les 25 et 26 décembre``, ``du 1er juillet au 31 août``, ``du 1 au 15 mai``."""
    start = i + 1 if _kind(tokens, i) == "FROM" else i
    first = _date(tokens, start)
    if first is not None:
        after = start + _width(tokens, start)
        if _kind(tokens, after) == "TO":
            last = _date(tokens, after + 1)
            if last is None:
                raise _NotUnderstood("période sans fin")
            span = f"{first.osm()}-{last.osm()}"
            return _Item("dates", dates=(span,)), after + 1 + _width(tokens, after + 1)
        if start != i:
            return None  # "du 1er mai" with no end: open-ended
        return _Item("dates", dates=(first.osm(),)), after
    if _kind(tokens, start) == "NUM" and _kind(tokens, start + 1) == "TO":
        last = _date(tokens, start + 2)  # du 1er au 15 juillet
        if last is None or _kind(tokens, start + 3) != "MONTH":
            return None
        begin = _date(tokens, start + 3, day=tokens[start].n)
        if begin is None:
            return None
        return _Item("dates", dates=(f"{begin.osm()}-{last.osm()}",)), start + 4
    if start != i:
        return None
    days: list[int] = []
    j = i
    while _kind(tokens, j) == "NUM" and _kind(tokens, j + 1) == "AND":
        days.append(tokens[j].n)
        j += 2
    last = _date(tokens, j) if days and _kind(tokens, j) == "NUM" else None
    if last is None:
        return None
    listed = [_date(tokens, j + 1, day=day) for day in days]  # les 25 et 26 décembre
    dates = (*(d.osm() for d in listed if d is not None), last.osm())
    return _Item("dates", dates=dates), j + 2


def _month_item(tokens: Sequence[_Tok], i: int) -> _Parsed:
    """``d'avril à octobre``, ``juillet-août``, ``(le mois de) juillet``, ``l'été``."""
    if _kind(tokens, i) == "SEASON":
        return _Item("months", months=tokens[i].months), i + 1
    j = i + 1 if _kind(tokens, i) == "FROM" else i
    if _kind(tokens, j) != "MONTH":
        return None
    first = tokens[j].n
    if _kind(tokens, j + 1) == "TO" and _kind(tokens, j + 2) == "MONTH":
        return _Item("months", months=_circular(first, tokens[j + 2].n, 12, 1)), j + 3
    return _Item("months", months=frozenset((first,))), j + 1


def _day_item(tokens: Sequence[_Tok], i: int) -> _Parsed:
    """``du mardi au dimanche``, ``mardi-dimanche``, ``lundi``, ``tous les jours``, PH."""
    kind = _kind(tokens, i)
    if kind == "DAYSET":
        return _Item("days", days=tokens[i].days), i + 1
    if kind == "PH":
        return _Item("days", ph=True), i + 1
    j = i + 1 if kind == "FROM" else i
    if _kind(tokens, j) != "DAY":
        return None
    if _kind(tokens, j + 1) == "TO" and _kind(tokens, j + 2) == "DAY":
        return _Item("days", days=_circular(tokens[j].n, tokens[j + 2].n, 7, 0)), j + 3
    if j != i:
        return None  # "du lundi" with no end
    return _Item("days", days=frozenset((tokens[j].n,))), j + 1


def _circular(first: int, last: int, size: int, base: int) -> frozenset[int]:
    """Every value from ``first`` to ``last``, wrapping (Nov to Mar, Friday to Tuesday)."""
    span = (last - first) % size
    return frozenset(base + (first - base + k) % size for k in range(span + 1))


_ITEM_PARSERS: tuple[Callable[[Sequence[_Tok], int], _Parsed], ...] = (
    _time_item,
    _date_item,
    _month_item,
    _day_item,
)
_CONTROLS = frozenset(("AND", "OPEN", "CLOSED", "EXCEPT", "REST", "REASON"))


def _items(tokens: Sequence[_Tok]) -> list[_Item]:
    items: list[_Item] = []
    i = 0
    while i < len(tokens):
        for parse in _ITEM_PARSERS:
            parsed = parse(tokens, i)
            if parsed is not None:
                items.append(parsed[0])
                i = parsed[1]
                break
        else:
            if tokens[i].kind not in _CONTROLS:
                raise _NotUnderstood(tokens[i].kind)
            items.append(_Item(tokens[i].kind))
            i += 1
    return items


# --- French text: rules -----------------------------------------------------------------


@dataclass
class _Rule:
    """An opening rule in the making: [months|dates] [days][,PH] times."""

    months: frozenset[int] | None = None
    dates: list[str] = field(default_factory=list)
    days: frozenset[int] | None = None
    ph: bool = False
    times: list[tuple[int, int]] = field(default_factory=list)
    rest: bool = False
    except_days: set[int] = field(default_factory=set)
    """``sauf le lundi`` said of this rule."""
    except_months: set[int] = field(default_factory=set)
    closed_days: set[int] = field(default_factory=set)
    """``fermé le lundi`` said in this rule's clause."""
    parts: list[_Item] = field(default_factory=list)
    filled: set[str] = field(default_factory=set)
    last: str = ""

    def takes(self, item: _Item) -> bool:
        """Same part named again after another one: that starts a new rule."""
        return item.category not in self.filled or item.category == self.last

    def add(self, item: _Item) -> None:
        if item.kind == "months":
            self.months = (self.months or frozenset()) | item.months
        elif item.kind == "dates":
            self.dates.extend(item.dates)
        elif item.kind == "days":
            self.days = (self.days or frozenset()) | item.days
            self.ph = self.ph or item.ph
        else:
            self.times.extend(item.times)
        self.parts.append(item)
        self.filled.add(item.category)
        self.last = item.category

    def only(self, category: str) -> bool:
        return self.filled == {category} and not self.rest

    def selects_only(self) -> bool:
        """Selectors and nothing else: what a ``fermé`` can apply to."""
        plain = not (self.rest or self.except_days or self.except_months)
        return plain and not self.times and bool(self.filled)


@dataclass
class _Hours:
    """What a whole text says, clause after clause."""

    rules: list[_Rule] = field(default_factory=list)
    closed_days: set[int] = field(default_factory=set)
    """``Fermé le lundi.`` in a clause of its own: every rule."""
    ph_off: bool = False
    ph_off_seasonal: bool = False
    """``fermé les jours fériés`` said of a seasonal rule: of that season only?"""
    off_dates: list[str] = field(default_factory=list)
    off_rules: list[str] = field(default_factory=list)
    closed_all: bool = False
    reason: bool = False


def _french(text: str) -> str:
    hours = _Hours()
    normalised = _normalise(text)
    for clause in re.split(r"[.;\n!]+", normalised):
        _clause(_items(_tokens(clause)), hours)
    return _render(hours)


def _clause(items: list[_Item], hours: _Hours) -> None:
    """Fill ``hours`` from one clause: opening parts, ``sauf …`` and ``fermé …`` parts."""
    rule: _Rule | None = None
    mode = "open"
    pending: list[_Item] = []  # the items of the "sauf" or "fermé" part under way
    made: list[_Rule] = []
    closed_days: set[int] = set()
    ph_off = False

    def new_rule(rest: bool = False) -> _Rule:
        fresh = _Rule(rest=rest)
        hours.rules.append(fresh)
        made.append(fresh)
        return fresh

    def close_part() -> None:
        nonlocal ph_off
        if mode == "closed":
            days, ph = _closure(pending, hours)
            closed_days.update(days)
            ph_off = ph_off or ph
        elif mode == "except" and rule is not None:
            ph_off = _exception(pending, rule, hours) or ph_off
        pending.clear()

    for position, item in enumerate(items):
        if item.kind == "REASON":
            hours.reason = True
        elif item.kind == "AND":
            if mode != "open":
                pending.append(item)
            elif rule is not None:
                rule.parts.append(item)
        elif item.kind in ("OPEN", "REST"):
            close_part()
            mode = "open"
            rule = new_rule(rest=True) if item.kind == "REST" else None
        elif item.kind in ("CLOSED", "EXCEPT"):
            close_part()
            if item.kind == "EXCEPT" and rule is not None and rule.filled:
                mode = "except"
                continue
            mode = "closed"
            after = {i.kind for i in items[position + 1 :]}
            prefix = rule is not None and rule.only("wide") and not rule.dates
            if rule is not None and rule.selects_only() and (prefix or after <= {"AND", "REASON"}):
                # "En hiver, fermé le lundi"; "Lundi : fermé" (not the comma before "fermé")
                while rule.parts[-1].kind == "AND":
                    rule.parts.pop()
                pending.extend(rule.parts)
                hours.rules.remove(rule)
                made.remove(rule)
                rule = None
        elif mode == "closed":
            if item.kind == "times":
                raise _NotUnderstood("fermé à certaines heures")
            pending.append(item)
        elif mode == "except" and item.kind != "times":
            pending.append(item)
        else:
            if mode == "except":
                # "tous les jours sauf le lundi de 10h à 18h": the hours of the rule. After
                # hours ("10h-18h sauf le lundi de 14h à 18h") it could be Monday's other
                # hours or a closed lunch: ambiguous.
                if rule is None or rule.times:
                    raise _NotUnderstood("sauf … suivi d'horaires")
                close_part()
                mode = "open"
            if rule is None or not rule.takes(item):
                rule = new_rule()
            rule.add(item)
    close_part()
    # "Tous les jours 10h-18h, fermé le lundi. En été, tous les jours 10h-19h": the summer
    # Mondays are open. A clause that only closes speaks of every rule.
    for made_rule in made:
        made_rule.closed_days |= closed_days
    if not made:
        hours.closed_days |= closed_days
    if ph_off:
        hours.ph_off = True
        seasonal = any(r.months is not None or r.dates or r.rest for r in made)
        hours.ph_off_seasonal = hours.ph_off_seasonal or seasonal


def _exception(pending: Sequence[_Item], rule: _Rule, hours: _Hours) -> bool:
    """``sauf …`` after an opening part: days and months leave that rule; True for PH."""
    kinds = {item.kind for item in pending} - {"AND"}
    if "months" in kinds and len(kinds) > 1:
        raise _NotUnderstood("sauf le lundi, en été")  # summer Mondays, or open in summer?
    ph = False
    for item in pending:
        if item.kind == "days":
            rule.except_days |= item.days
            ph = ph or item.ph
        elif item.kind == "months":
            rule.except_months |= item.months
        elif item.kind == "dates":
            hours.off_dates.extend(item.dates)
        elif item.kind != "AND":
            raise _NotUnderstood(item.kind)
    return ph


def _closure(pending: Sequence[_Item], hours: _Hours) -> tuple[frozenset[int], bool]:
    """``fermé …``: months (with days or not) and dates go to ``hours``; the closed days
    and whether PH is closed are returned (their scope is the clause's)."""
    months = _union(i.months for i in pending if i.kind == "months")
    days = _union(i.days for i in pending if i.kind == "days")
    ph = any(i.ph for i in pending)
    dates = [d for i in pending if i.kind == "dates" for d in i.dates]
    if not (months or days or ph or dates):
        hours.closed_all = True
        return frozenset(), False
    if not months:
        hours.off_dates.extend(dates)
        return days, ph
    if ph or dates:
        raise _NotUnderstood("mois et dates fermés ensemble")
    for before, link, after in zip(pending, pending[1:], pending[2:], strict=False):
        if link.kind == "AND" and (before.kind == "months") != (after.kind == "months"):
            raise _NotUnderstood("fermé en janvier et le lundi")  # which Mondays?
    selectors = filter(None, (_months_osm(months), _days_osm(days)))
    hours.off_rules.append(" ".join((*selectors, "off")))
    return frozenset(), False


def _render(hours: _Hours) -> str:
    if hours.closed_all:
        if hours.rules or hours.closed_days or hours.ph_off or hours.off_dates:
            raise _NotUnderstood("fermé et ouvert")
        if hours.off_rules:
            raise _NotUnderstood("fermé et fermé en partie")
        return "off"
    if hours.reason:
        raise _NotUnderstood("motif de fermeture")
    rules: list[_Rule] = []
    for rule in hours.rules:
        if rule.times:
            rules.append(rule)
        elif rule.only("days") and rule.ph and not rule.days and len(rules) == 1:
            rules[0].ph = True  # "Ouvert les jours fériés": the one rule there is
        else:
            raise _NotUnderstood("jours sans horaires")
    if not rules or (hours.ph_off and any(rule.ph for rule in rules)):
        raise _NotUnderstood("aucun horaire" if not rules else "jours fériés ouverts et fermés")
    if hours.ph_off_seasonal and len(rules) > 1:
        raise _NotUnderstood("jours fériés fermés : en toute saison ?")
    named = [rule.months for rule in rules if not rule.rest and rule.months is not None]
    if any(rule.rest for rule in rules) and (not named or any(r.dates for r in rules)):
        raise _NotUnderstood("reste de l'année sans saison")
    other_months = _union(named)
    out = [_rule_osm(rule, hours.closed_days, other_months) for rule in rules]
    out.extend(hours.off_rules)
    if hours.ph_off:
        out.append("PH off")
    if hours.off_dates:
        out.append(",".join(dict.fromkeys(hours.off_dates)) + " off")
    return "; ".join(out)


def _rule_osm(rule: _Rule, closed_everywhere: set[int], other_months: frozenset[int]) -> str:
    months = _ALL_MONTHS - other_months if rule.rest else (rule.months or _ALL_MONTHS)
    months -= rule.except_months
    if not months or (rule.dates and (rule.months is not None or rule.except_months)):
        raise _NotUnderstood("mois")
    closed_days = closed_everywhere | rule.closed_days
    if rule.days is not None and rule.days != _ALL_DAYS and rule.days & closed_days:
        raise _NotUnderstood("jour ouvert et fermé")  # "du mardi au dimanche, fermé le dimanche"
    removed = rule.except_days | closed_days
    days = rule.days
    if days is not None or removed:
        days = (_ALL_DAYS if days is None else days) - removed
        if not days and not rule.ph:
            raise _NotUnderstood("jour ouvert et fermé")
    weekdays = ",".join(filter(None, (_days_osm(days or frozenset()), "PH" if rule.ph else "")))
    times = _times_osm(rule.times)
    if weekdays in ("", "Mo-Su") and times == "00:00-24:00" and months == _ALL_MONTHS:
        return "24/7"
    wide = ",".join(rule.dates) or _months_osm(months)
    return " ".join(filter(None, (wide, weekdays, times)))


def _days_osm(days: frozenset[int]) -> str:
    """Monday first, runs of two or more days as ranges: ``Mo,We-Su``."""
    runs: list[str] = []
    day = 0
    while day < 7:
        if day not in days:
            day += 1
            continue
        end = day
        while end + 1 in days:
            end += 1
        runs.append(_DAY_OSM[day] if end == day else f"{_DAY_OSM[day]}-{_DAY_OSM[end]}")
        day = end + 1
    return ",".join(runs)


def _months_osm(months: frozenset[int]) -> str:
    """Circular runs, earliest start first (``Nov-Mar``); "" for the whole year."""
    if months == _ALL_MONTHS:
        return ""
    runs: list[tuple[int, str]] = []
    for start in sorted(months):
        if (start - 2) % 12 + 1 in months:
            continue  # not the first month of its run
        end = start
        while end % 12 + 1 in months:
            end = end % 12 + 1
        name = _MONTH_OSM[start] if end == start else f"{_MONTH_OSM[start]}-{_MONTH_OSM[end]}"
        runs.append((start, name))
    return ",".join(name for _, name in sorted(runs))


def _times_osm(times: Sequence[tuple[int, int]]) -> str:
    """``HH:MM-HH:MM`` sorted; an interval ending at 0h ends at 24:00; no overnight."""
    spans = sorted((start, 24 * 60 if end == 0 else end) for start, end in times)
    for start, end in spans:
        if not 0 <= start < end <= 24 * 60:
            raise _NotUnderstood("horaire")
    for (_, end), (start, _) in pairwise(spans):
        if start < end:
            raise _NotUnderstood("horaires qui se chevauchent")
    return ",".join(f"{_clock(start)}-{_clock(end)}" for start, end in spans)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
