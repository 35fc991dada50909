"""Text normalisation shared by every transform: spaces, apostrophes, case, lists."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

_SPACES = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "´": "'", "`": "'"})
_SLOW_PATH = re.compile("  |[’‘ʼ´`\t\n\r\xa0\u202f]")

# Spellings that lost their accent upstream; key is the accent-free casefolded form.
ACCENT_LEXICON: Mapping[str, str] = {
    "l'etat": "l'État",
    "etat": "État",
    "eglise": "église",
}


def clean(value: str | None) -> str:
    """Trim, fold runs of white space and unify apostrophes; ``None`` becomes ``""``."""
    if not value:
        return ""
    # Fast path: most fields need nothing but a strip (this runs ~1M times on the national file).
    if _SLOW_PATH.search(value) is None:
        return value.strip()
    return " ".join(value.translate(_APOSTROPHES).split())


def fold(value: str) -> str:
    """Comparison key: no accents, no case, no punctuation differences."""
    decomposed = unicodedata.normalize("NFKD", clean(value).casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", re.sub(r"[-'’_.,()]", " ", plain)).strip()


def restore_accents(value: str, lexicon: Mapping[str, str] = ACCENT_LEXICON) -> str:
    """Put back the accents of known words that some notices spell without them."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        key = word.casefold()
        if key not in lexicon:
            return word
        fixed = lexicon[key]
        return fixed if word[:1].islower() or fixed[:1].isupper() else fixed.capitalize()

    return re.sub(r"[\w']+", fix, value)


def lower_first(value: str) -> str:
    """Mérimée vocabularies are lower-case ("église", "dossier de protection")."""
    if len(value) > 1 and value[0].isupper() and not value[1].isupper():
        return value[0].lower() + value[1:]
    return value


def split_multi(value: str | None, separator: str = ";") -> list[str]:
    """Every non-empty part of a multi-valued field, trimmed, duplicates kept, in order.

    Splitting on ``;`` cuts some values into fragments (``Mansart François;dit;X;dit;Y``
    in ``Auteur_de_l_edifice``): dropping a repeated fragment would corrupt the value, so
    only :func:`vocabulary` de-duplicates. The spaced `` ; `` splits the same way.
    """
    return [part for part in (clean(p) for p in (value or "").split(separator)) if part]


def join_multi(values: Iterable[str]) -> str:
    """The published form of a multi-valued field (``;`` with no spaces)."""
    return ";".join(values)


@lru_cache(maxsize=1 << 16)
def vocabulary(value: str | None, separator: str = ";") -> str:
    """Normalise a multi-valued controlled vocabulary field (case, accents, apostrophes).

    Unlike :func:`split_multi`, duplicates are dropped *after* normalisation, keeping the
    first: in a controlled vocabulary (``Denomination_de_l_edifice``, ``Domaine``,
    ``Statut_juridique_de_l_edifice``) ``Eglise;église`` is one value spelt twice.
    """
    items = (restore_accents(lower_first(v)) for v in split_multi(value, separator))
    return join_multi(dict.fromkeys(items))
