"""French date formats met in heritage sources, turned into ISO 8601."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

from patrimoine.transforms.text import clean, split_multi

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_SLASHED_YMD = re.compile(r"^(\d{4})/(\d{2})/(\d{2})$")
_SLASHED_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@lru_cache(maxsize=1 << 16)
def iso_date(value: str | None) -> date | None:
    """Parse ``YYYY-MM-DD``, ``YYYY/MM/DD`` or ``DD/MM/YYYY``; anything else is missing."""
    text = clean(value)
    for pattern, order in ((_ISO, (1, 2, 3)), (_SLASHED_YMD, (1, 2, 3)), (_SLASHED_DMY, (3, 2, 1))):
        match = pattern.match(text)
        if match:
            y, m, d = (int(match.group(i)) for i in order)
            try:
                return date(y, m, d)
            except ValueError:
                return None
    return None


@dataclass(frozen=True)
class ProtectionEvent:
    """One act of the protection history: ``1926/03/12 : classé MH``."""

    year: int | None
    day: date | None
    status: str  # "classé" | "inscrit" | "déclassé" | "autre"
    partial: bool
    raw: str
    before: tuple[int, date] | None = field(default=None, compare=False, repr=False)
    """For an undated act glued before a dated one: that act's (year, day), which it preceded."""

    def to_json(self) -> dict[str, object]:
        return {
            "date": self.day.isoformat() if self.day else None,
            "annee": self.year,
            "statut": self.status,
            "partiel": self.partial,
        }


# The start of a dated act: a 4-digit year, optionally ``/m`` and ``/d`` (1 or 2 digits,
# upstream writes ``1926/3/12`` too), then a ``:`` or ``.`` separator. A ``.`` that ends the
# text is a full stop ("inscrit MH en 1926."), not a separator.
_ACT_START = re.compile(
    r"(?<![\d/])(\d{4})(?:/(\d{1,2})(?:/(\d{1,2}))?)?(?![\d/])\s*(?::|\.(?!\s*$))"
)
_SEPARATORS = " :."
# The common shape, one act and no digit in its label: skips the general scan (hot path).
_SIMPLE_ACT = re.compile(r"(\d{4})(?:/(\d{1,2})/(\d{1,2}))?\s*:\s*(\D*)")


@lru_cache(maxsize=4096)
def protection_status(text: str) -> tuple[str, bool]:
    """Map a free-text protection ("inscrit MH partiellement") to (status, partial)."""
    lowered = clean(text).casefold()
    partial = "partiel" in lowered or re.search(r"\bpa\b", lowered) is not None
    if "déclass" in lowered or "declass" in lowered:
        return "déclassé", partial
    if "class" in lowered:
        return "classé", partial
    if "inscri" in lowered:
        return "inscrit", partial
    return "autre", partial


def _day(year: int, month: str | None, day: str | None) -> date | None:
    """The day of an act when upstream gave a real one (``1926/02/30`` keeps only its year)."""
    if not (month and day):
        return None
    try:
        return date(year, int(month), int(day))
    except ValueError:
        return None


def _acts(part: str) -> list[ProtectionEvent]:
    """The acts of one ``;``-part: each date token starts a dated act that runs to the next.

    Upstream sometimes glues two acts without ``;`` (``classé MH partiellement:2017/05/10:
    inscrit MH``, ``inscrit MH . 2020/09/03 : inscrit MH``): status text before the first
    date is an undated act of its own, so neither act nor its partial flag is lost.
    """
    simple = _SIMPLE_ACT.fullmatch(part)
    if simple:
        year_text, month, day, label = simple.groups()
        year = int(year_text)
        status, partial = protection_status(label)
        return [ProtectionEvent(year, _day(year, month, day), status, partial, part)]
    starts = list(_ACT_START.finditer(part))
    if not starts:
        # No 4-digit year ("inscrit MH", "classement MH", "01/22 : inscrit MH"): one undated act.
        status, partial = protection_status(part)
        return [ProtectionEvent(None, None, status, partial, part)]
    single = len(starts) == 1 and starts[0].start() == 0
    acts: list[ProtectionEvent] = []
    prefix = part[: starts[0].start()].rstrip(_SEPARATORS)
    if any(c.isalpha() for c in prefix):
        status, partial = protection_status(prefix)
        acts.append(ProtectionEvent(None, None, status, partial, prefix))
    ends = [m.start() for m in starts[1:]] + [len(part)]
    for match, end in zip(starts, ends, strict=True):
        year = int(match.group(1))
        status, partial = protection_status(part[match.end() : end].strip(_SEPARATORS))
        raw = part if single else part[match.start() : end].rstrip(_SEPARATORS)
        acts.append(
            ProtectionEvent(year, _day(year, match.group(2), match.group(3)), status, partial, raw)
        )
    return acts


_SortKey = tuple[bool, int, date, int]


def _chronological(event: ProtectionEvent) -> _SortKey:
    """Oldest first; a year-only act before the dated acts of its year; undated acts last,
    except one glued before a dated act, which sorts just before that act."""
    if event.before is not None:
        return (False, event.before[0], event.before[1], 0)
    return (event.year is None, event.year or 0, event.day or date.min, 1)


def _glued(acts: list[ProtectionEvent]) -> list[ProtectionEvent]:
    """An undated act glued before a dated one (``classé MH:2017/05/10:déclassé MH``)
    happened before it: remember which, so the replay keeps their order."""
    placed = []
    for i, act in enumerate(acts):
        following = next((a for a in acts[i + 1 :] if a.year is not None), None)
        if act.year is None and following is not None:
            act = replace(act, before=(following.year or 0, following.day or date.min))
        placed.append(act)
    return placed


@lru_cache(maxsize=1 << 16)
def protection_history(value: str | None) -> tuple[ProtectionEvent, ...]:
    """Explode ``YYYY/MM/DD : statut;…`` into events, oldest first (undated last, in order).

    Cached: the national file repeats the same histories a lot.
    """
    events = [act for part in split_multi(value) for act in _glued(_acts(part))]
    return tuple(sorted(events, key=_chronological) if len(events) > 1 else events)


@lru_cache(maxsize=4096)
def _typology_statuses(typology: str) -> tuple[tuple[str, bool], ...]:
    """(status, partial) of each part of ``Typologie_de_la_protection``; few distinct values."""
    return tuple(protection_status(p) for p in split_multi(typology))


def _summary(kinds: Collection[str], any_act: bool) -> str:
    """The published wording of the protections in force."""
    if "classé" in kinds and "inscrit" in kinds:
        return "classé et inscrit"
    if kinds:
        return "classé" if "classé" in kinds else "inscrit"
    return "autre" if any_act else ""


def current_status(typology: str, events: Sequence[ProtectionEvent]) -> tuple[str, bool]:
    """(status, partial) of a notice today, as published in ``statut_protection`` and
    ``protection_partielle``: "classé et inscrit", "classé", "inscrit", "autre" or "".

    ``Typologie_de_la_protection`` states the current protection, so when it is filled it
    decides, and every part of it counts for ``partial``. When it is empty, the current state
    is replayed from every act in chronological order (the last act alone would publish a
    building classé in 1926 and partly inscrit in 1994 as merely "inscrit"): classé adds
    classé, inscrit adds inscrit, déclassé removes classé (a partial déclassement leaves
    the rest classé, partially). ``partial`` is true when an act still in force is partial;
    an "autre" act ("protection partielle") always counts, a removed classement does not.
    """
    statuses = _typology_statuses(clean(typology))
    if statuses:
        kinds = {s for s, _ in statuses if s in ("classé", "inscrit")}
        return _summary(kinds, True), any(p for _, p in statuses)
    in_force: dict[str, bool] = {}  # "classé" / "inscrit" -> partial so far
    other_partial = False
    for event in sorted(events, key=_chronological):
        if event.status in ("classé", "inscrit"):
            in_force[event.status] = in_force.get(event.status, False) or event.partial
        elif event.status == "déclassé":
            if event.partial and "classé" in in_force:
                in_force["classé"] = True
            else:
                in_force.pop("classé", None)
        else:
            other_partial = other_partial or event.partial
    partial = other_partial or any(in_force.values())
    return _summary(in_force, bool(events)), partial
