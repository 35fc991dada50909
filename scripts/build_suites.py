"""Write the GX expectation suites of ``expectations/`` through the GX API.

The JSON files are what GX itself writes (``suite.to_json_dict()``), so they load back
losslessly with ``ExpectationSuite(**json.load(f))``. Edit the suites here, then run::

    .venv/bin/python scripts/build_suites.py          # rewrite the files
    .venv/bin/python scripts/build_suites.py --check  # exit 1 if a file is out of date

Territory-dependent values are suite parameters, written ``{"$PARAMETER": name}`` and
supplied by the pipeline at validation time.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
EXPECTATIONS_DIR = PROJECT_DIR / "expectations"


def _param(name: str) -> dict[str, str]:
    return {"$PARAMETER": name}


def monuments_historiques() -> Any:
    """Suite for the published table ``monuments-historiques`` (base Mérimée)."""
    from great_expectations.core import ExpectationSuite
    from great_expectations.expectations.metadata_types import FailureSeverity

    # The expectation classes are re-exported without ``__all__``: go through Any for mypy.
    gxe: Any = importlib.import_module("great_expectations.expectations")

    required = [
        "reference",
        "titre",
        "code_insee",
        "commune",
        "lien_pop",
        "latitude",
        "longitude",
        "statut_protection",
    ]
    exists = [
        gxe.ExpectColumnToExist(
            column=column,
            description=f"La colonne « {column} » est présente.",
            notes=(
                f"« {column} » fait partie du schéma publié (TableSchema) : les "
                "réutilisateurs et les contrôles suivants en dépendent."
            ),
        )
        for column in required
    ]
    not_null = [
        gxe.ExpectColumnValuesToNotBeNull(
            column=column,
            description=f"« {column} » est toujours renseigné.",
            notes=why,
        )
        for column, why in [
            (
                "titre",
                "Une notice sans titre est inutilisable dans une liste ou sur une carte.",
            ),
            (
                "commune",
                "Le nom de la commune vient du COG : vide, la notice n'a pas été rattachée "
                "à une commune du territoire.",
            ),
            (
                "code_insee",
                "Le code INSEE rattache la notice au territoire ; vide, le filtrage "
                "territorial a échoué.",
            ),
        ]
    ]
    expectations = [
        *exists,
        gxe.ExpectTableRowCountToBeBetween(
            min_value=1,
            description="La table contient au moins une notice.",
            notes=(
                "Une table vide signale un téléchargement ou un filtrage territorial raté : "
                "la publier effacerait le jeu en ligne."
            ),
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="reference",
            description="« reference » est toujours renseignée.",
            notes=(
                "La référence Mérimée est la clé du jeu : sans elle, ni mise à jour ni lien POP."
            ),
        ),
        gxe.ExpectColumnValuesToBeUnique(
            column="reference",
            description="Chaque référence Mérimée n'apparaît qu'une fois.",
            notes=(
                "La référence est la clé primaire : un doublon casserait le chargement "
                "(upsert) et fausserait les comptages publiés."
            ),
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="reference",
            regex=r"^PA\d{8}$",
            mostly=1.0,
            description="La référence suit le format Mérimée des immeubles : PA + 8 chiffres.",
            notes=(
                "Bloquant à la demande de l'équipe, sans tolérance (mostly = 1.0, valeur par "
                "défaut que GX n'écrit pas) : une référence hors format ne mène à aucune "
                "notice POP. Le fichier national en compte environ 76 hors de ce format "
                "(le TableSchema, plus tolérant, admet ^PA[0-9A-Z]{8}$) : si l'une tombe "
                "sur le territoire, la corriger à la source ou assouplir ce contrôle en "
                "connaissance de cause."
            ),
        ),
        *not_null,
        gxe.ExpectColumnValuesToBeInSet(
            column="code_insee",
            value_set=_param("territory_insee_codes"),
            description="Le code INSEE est celui d'une commune du territoire.",
            notes=(
                "Le jeu ne doit contenir que les communes du territoire (EPCI ou liste de "
                "communes) ; un code hors liste trahit un filtrage ou un rattachement erroné."
            ),
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="latitude",
            min_value=_param("lat_min"),
            max_value=_param("lat_max"),
            description="La latitude tombe dans l'emprise du territoire (vide autorisé).",
            notes=(
                "Une latitude hors de l'emprise place le monument ailleurs sur la carte "
                "(coordonnées inversées ou erronées). Les notices non géolocalisées restent "
                "vides et ne sont pas comptées en erreur."
            ),
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="longitude",
            min_value=_param("lon_min"),
            max_value=_param("lon_max"),
            description="La longitude tombe dans l'emprise du territoire (vide autorisé).",
            notes=(
                "Une longitude hors de l'emprise place le monument ailleurs sur la carte "
                "(coordonnées inversées ou erronées). Les notices non géolocalisées restent "
                "vides et ne sont pas comptées en erreur."
            ),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="statut_protection",
            value_set=["classé", "inscrit", "classé et inscrit", "autre", ""],
            severity=FailureSeverity.WARNING,
            description="Le statut de protection est une valeur normalisée (vide autorisé).",
            notes=(
                "Avertissement seulement : un statut inconnu signale une évolution du "
                "fichier source à reporter dans la normalisation, mais la notice reste "
                "publiable."
            ),
        ),
    ]
    return ExpectationSuite(
        name="monuments-historiques",
        expectations=expectations,
        meta={
            "notes": (
                "Contrôles de la table publiée « monuments-historiques » (schéma "
                "schemas/monuments-historiques.json). Paramètres fournis à l'exécution : "
                "territory_insee_codes, lat_min, lat_max, lon_min, lon_max."
            )
        },
        notes=(
            "Les contrôles « critical » bloquent la publication ; les « warning » sont "
            "signalés dans le compte rendu sans bloquer."
        ),
    )


SUITES: dict[str, Callable[[], Any]] = {
    "monuments-historiques": monuments_historiques,
}


def render(suite: Any) -> str:
    """The file content for ``suite``: exactly ``suite.to_json_dict()``, indented."""
    return json.dumps(suite.to_json_dict(), ensure_ascii=False, indent=2) + "\n"


def _unstamped(text: str) -> Any:
    # The GX version stamp in "meta" must not make --check fail on every GX upgrade.
    data = json.loads(text)
    data.get("meta", {}).pop("great_expectations_version", None)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    stale = []
    for name, build in SUITES.items():
        path = EXPECTATIONS_DIR / f"{name}.json"
        text = render(build())
        if path.exists() and _unstamped(path.read_text(encoding="utf-8")) == _unstamped(text):
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(PROJECT_DIR)}")
    if args.check and stale:
        for path in stale:
            print(f"out of date: {path.relative_to(PROJECT_DIR)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
