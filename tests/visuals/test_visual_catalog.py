"""``[visuals]`` declarations are checked when the catalog loads, with French errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from patrimoine.catalog import load_entry
from patrimoine.config import PROJECT_DIR
from patrimoine.errors import CatalogError

SOURCE = PROJECT_DIR / "catalog" / "monuments-historiques.toml"


def _load(tmp_path: Path, old: str, new: str) -> None:
    text = SOURCE.read_text(encoding="utf-8")
    assert old in text
    catalog = tmp_path / "catalog"
    catalog.mkdir(exist_ok=True)
    for folder in ("schemas", "expectations"):
        if not (tmp_path / folder).exists():
            shutil.copytree(PROJECT_DIR / folder, tmp_path / folder)
    path = catalog / SOURCE.name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    load_entry(path)


def test_the_declarations_load() -> None:
    entry = load_entry(SOURCE)
    assert entry.visuals.map is not None
    assert entry.visuals.map.category == "statut_protection"
    assert entry.visuals.map.popup == ("reference", "titre", "commune", "lien_pop")
    first = entry.visuals.charts[0]
    assert (first.kind, first.period, first.since, first.split) == (
        "count_by_period",
        "decade",
        1840,
        "statut_protection",
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'kind = "count_by_period"',
            'kind = "camembert"',
            "type de graphique « camembert » inconnu",
        ),
        (
            'column = "date_premiere_protection"',
            'column = "date_protection"',
            "column : colonne « date_protection » inconnue",
        ),
        (
            'split = "statut_protection"',
            'split = "statut"',
            "split : colonne « statut » inconnue",
        ),
        ('category = "statut_protection"', 'category = "statut"', "category : colonne « statut »"),
        ('"lien_pop"]', '"lien"]', "popup : colonne « lien » inconnue"),
        ('period = "decade"', 'period = "lustre"', "« period » attendu parmi"),
        ("since = 1840", 'since = "1840"', "« since » doit être un entier"),
        ("since = 1840", 'since = 1840\nvalue = "latitude"', "« value »"),
        ("since = 1840", 'since = 1840\ncouleur = "rouge"', "clé(s) inconnue(s) couleur"),
        (
            'column = "date_premiere_protection"',
            'column = "commune"',
            "n'est ni une date ni une année",
        ),
        ('title = "Protections par décennie depuis 1840"\n', "", "« title » absente"),
        (
            'kind = "count_by_category"\ncolumn = "commune"',
            'kind = "sum_by_category"\ncolumn = "commune"\nvalue = "titre"',
            "n'est pas numérique",
        ),
    ],
)
def test_bad_declarations_are_refused_in_french(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    with pytest.raises(CatalogError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _load(tmp_path, old, new)


def test_a_map_needs_a_geometry(tmp_path: Path) -> None:
    text = SOURCE.read_text(encoding="utf-8")
    start = text.index("[geometry]")
    end = text.index("[metadata]")
    with pytest.raises(CatalogError, match="pas de carte sans section"):
        _load(tmp_path, text[start:end], "")
