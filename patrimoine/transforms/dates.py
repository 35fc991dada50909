"""French date formats met in heritage sources, turned into ISO 8601."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from patrimoine.transforms.text import clean

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

    def to_json(self) -> dict[str, object]:
        return {
            "date": self.day.isoformat() if self.day else None,
            "annee": self.year,
            "statut": self.status,
            "partiel": self.partial,
        }


_EVENT = re.compile(r"^(\d{4})(?:/(\d{2})/(\d{2}))?\s*[:.]\s*(.+)$")
_ANY_DATE = re.compile(r"(\d{4})/(\d{2})/(\d{2})")


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


def _event(part: str) -> ProtectionEvent:
    match = _EVENT.match(part)
    if match:
        year, month, day, label = match.groups()
        parsed = None
        if month and day:
            try:
                parsed = date(int(year), int(month), int(day))
            except ValueError:
                parsed = None
        status, partial = protection_status(label)
        return ProtectionEvent(int(year), parsed, status, partial, part)
    # Malformed upstream strings ("classé MH partiellement:2017/05/10:inscrit MH"):
    # keep the first date found and the status text that follows it, else the text alone.
    found = _ANY_DATE.search(part)
    label = part[found.end() :] if found else part
    status, partial = protection_status(label.strip(" :.") or part)
    if found:
        y, m, d = (int(g) for g in found.groups())
        try:
            return ProtectionEvent(y, date(y, m, d), status, partial, part)
        except ValueError:
            return ProtectionEvent(y, None, status, partial, part)
    return ProtectionEvent(None, None, status, partial, part)


@lru_cache(maxsize=1 << 16)
def protection_history(value: str | None) -> tuple[ProtectionEvent, ...]:
    """Explode ``YYYY/MM/DD : statut;…`` into events, oldest first (undated last)."""
    parts = [clean(p) for p in (value or "").split(";")]
    events = [_event(p) for p in parts if p]
    return tuple(sorted(events, key=lambda e: (e.year is None, e.year or 0, e.day or date.min)))
