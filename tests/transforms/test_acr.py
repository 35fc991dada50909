"""The ACR transform, through the registry, on CSV lines in the real data.gouv.fr format.

The territory is Clermont Auvergne Métropole with its real contours (``tests/transforms/
geo.py``), so the commune matcher decides on real borders. Lines carry the 44 columns of
the national file (unquoted ``|`` header, every field quoted) unless a test says otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from patrimoine.catalog import load_catalog
from patrimoine.config import PROJECT_DIR
from patrimoine.errors import SchemaError
from patrimoine.publish.render import rows_to_geojson
from patrimoine.territory import Territory
from patrimoine.transforms import TransformStats, acr
from patrimoine.transforms.registry import get_transform
from patrimoine.transforms.result import KEY, LINE
from tests.samples.acr import ACR_HEADER, TRAPS, snapshot_dataset, trap_reference
from tests.samples.merimee import Commune, with_contours
from tests.servers import real_contours
from tests.transforms.geo import (
    BEAUMONT_74,
    CLERMONT,
    LA_REUNION,
    LE_CENDRE,
    ROYAT,
    clermont_territory,
    inside,
    wgs84,
)
from tests.transforms.support import Run as BaseRun
from tests.transforms.support import quoted_line, transform, write_lines

ENTRY = load_catalog(PROJECT_DIR / "catalog")["architecture-contemporaine-remarquable"]
TERRITORY = clermont_territory()
AUBIERE, CHAMALIERES = "63014", "63075"
AUTHORS = "Dikansky Georges (architecte);Michaut Albert (architecte maître d'œuvre)"

# Short names for the columns the tests fill, in the data.gouv.fr spelling.
COLUMNS = {
    "ref": "Reference_de_la_notice",
    "renv": "Ancienne_reference_de_la_notice_RENV",
    "cadre": "Cadre_de_l_etude",
    "dep": "Numero_departement",
    "dep_lettres": "Departement_en_lettres",
    "commune": "Commune",
    "editoriale": "Commune_forme_editoriale",
    "insee": "Insee",
    "adresse": "Adresse_forme_editoriale",
    "coords": "Coordonnees",
    "titre": "Titre_courant",
    "deno": "Denominations",
    "siecle": "Siecle_de_la_campagne_principale_de_construction",
    "datation": "Datation_de_l_edifice",
    "auteurs": "Auteur_de_l_edifice",
    "label": "Date_de_Label",
    "statut": "Statut_juridique_du_proprietaire",
    "description": "Description_de_l_edifice",
}


def notice(ref: str, **values: str) -> dict[str, str]:
    """One labelled notice (data.gouv.fr column → value); Clermont-Ferrand by default."""
    defaults = {
        "cadre": "Labellisé",
        "titre": "Immeuble",
        "commune": "Clermont-Ferrand",
        "editoriale": "Clermont-Ferrand",
        "insee": CLERMONT,
        "dep": "63",
        "dep_lettres": "Puy-de-Dôme",
        "label": "2003",
    }
    short = {**defaults, "ref": ref, **values}
    return {COLUMNS[key]: value for key, value in short.items()}


def line(row: dict[str, str]) -> str:
    """The row as a data line of the real file: every field quoted, ``""`` when empty."""
    return quoted_line(row, ACR_HEADER)


class Run(BaseRun):
    @property
    def by_ref(self) -> dict[str, dict[str, Any]]:
        return {r["reference"]: r for r in self.rows}

    def noted(self, kind: str) -> list[str]:
        return self.stats.examples.get(kind, [])


def run(
    tmp_path: Path,
    lines: list[dict[str, str] | str],
    territory: Territory | None = TERRITORY,
    renamed: dict[str, str] | None = None,
) -> Run:
    """Write the file (unquoted header, then the lines) and transform it like the pipeline.

    ``renamed`` gives columns a producer's new spelling (the values stay in place).
    """
    header = [(renamed or {}).get(h, h) for h in ACR_HEADER]
    path = write_lines(tmp_path / "acr.csv", header, lines, columns=ACR_HEADER)
    return transform(Run, path, ENTRY, territory)


# --- the published table ----------------------------------------------------------------


def test_keeps_territory_labels_and_types_fields(tmp_path: Path) -> None:
    point = inside(CLERMONT)
    out = run(tmp_path, [
        notice("ACR0000683", titre="ensemble de logements dit | la Muraille", coords=wgs84(point),
               deno="Immeuble;logement;Immeuble", siecle="20e siècle ; 20e siècle",
               datation="1961 ; 1964", auteurs=AUTHORS, label="2003 ; 2026",
               statut="propriété d'une société privée", adresse="  2 rue  Ballainvilliers ",
               renv="pa63000045", description="Texte éditorial, non repris."),
        notice("ACR0001671", titre="Stade", insee="93066", commune="Saint-Denis",
               editoriale="Saint-Denis", dep="93", dep_lettres="Seine-Saint-Denis",
               coords="48.9244,2.3601"),
    ])  # fmt: skip
    assert (out.stats.read, out.stats.out_of_territory, out.stats.kept) == (2, 1, 1)
    (row,) = out.rows
    assert row == {
        "reference": "ACR0000683",
        "titre": "Ensemble de logements dit | la Muraille",
        "denominations": "immeuble;logement",
        "code_insee": CLERMONT,
        "commune": "Clermont-Ferrand",
        "adresse": "2 rue Ballainvilliers",
        "auteurs": AUTHORS,
        "datation": "1961;1964",
        "siecles": "20e siècle",
        "annee_label": 2003,
        "date_label": "2003 ; 2026",
        "statut_juridique": "propriété d'une société privée",
        "ancienne_reference": "PA63000045",
        "latitude": round(point[0], 7),
        "longitude": round(point[1], 7),
        "coordonnees_douteuses": False,
        "lien_pop": "https://www.pop.culture.gouv.fr/notice/merimee/ACR0000683",
    }
    assert out.stats.problems == {}  # a clean notice leaves no remark
    # The source suite sees the territory's records as sent (raw text, line, key).
    (record,) = out.source.values()
    assert (record[KEY], record[LINE]) == ("ACR0000683", "2")
    assert record["denominations"] == "Immeuble;logement;Immeuble"
    assert record["ancienne_reference"] == "pa63000045"
    assert "description" not in record  # editorial texts are not read


def test_former_labels_are_left_out_and_reported_by_reference(tmp_path: Path) -> None:
    out = run(tmp_path, [
        notice("ACR0000001", cadre="Anciennement labellisé", renv="PA63000077"),
        notice("ACR0000002", cadre="anciennement labellisé"),
        notice("ACR0000003", cadre="Labellisé"),
        notice("ACR0000004", cadre="LABELLISÉ"),
        notice("ACR0000005", cadre=""),
        notice("ACR0000006", cadre="Recensement"),
        notice("ACR0000007", cadre="Anciennement labellisé", insee="69385", commune="Lyon",
               editoriale="Lyon", dep="69"),
    ])  # fmt: skip
    assert [r["reference"] for r in out.rows] == ["ACR0000003", "ACR0000004"]
    assert out.noted("anciennement_labellise") == ["ACR0000001 (ligne 2)", "ACR0000002 (ligne 3)"]
    assert out.noted("cadre_etude_inattendu") == ["ACR0000005 (ligne 6)", "ACR0000006 (ligne 7)"]
    assert out.stats.out_of_territory == 1  # Lyon's former label: not ours, not reported
    assert set(out.source) == {"ACR0000003", "ACR0000004"}  # nor seen by the source suite


@pytest.mark.parametrize(
    "framework,kept",
    [("Labellisé", True), ("label XXe", True), ("Anciennement labellisé", False),
     ("Label retiré", False), ("", False), ("inscrit MH", False)],
)  # fmt: skip
def test_label_status(framework: str, kept: bool) -> None:
    assert (acr.label_status(framework) is None) == kept


@pytest.mark.parametrize("spelling", ["Insee", "INSEE", "insee", "Code_INSEE", "COG_Insee"])
def test_the_insee_column_is_found_under_its_spellings(tmp_path: Path, spelling: str) -> None:
    out = run(tmp_path, [
        notice("ACR0000010", insee=ROYAT, commune="Royat", editoriale="Royat", coords=""),
        notice("ACR0000011", insee="69385", commune="Lyon", editoriale="Lyon", dep="69"),
    ], renamed={"Insee": spelling})  # fmt: skip
    assert [(r["reference"], r["code_insee"]) for r in out.rows] == [("ACR0000010", ROYAT)]
    assert out.noted("commune_par_nom") == []  # found by its code, whatever the spelling


def test_empty_insee_falls_back_on_the_point_then_on_the_name(tmp_path: Path) -> None:
    out = run(tmp_path, [
        notice("ACR0000020", insee="", commune="Cendre (Le)", editoriale="Le Cendre"),
        notice("ACR0000021", insee="", commune="Aubière", editoriale="Aubière",
               coords=wgs84(inside(AUBIERE))),
        notice("ACR0000022", insee="", commune="Cendre (Le)", editoriale="", dep="",
               dep_lettres="Puy-de-Dôme"),
        notice("ACR0000023", insee="", commune="Cendre (Le)", editoriale="", dep="",
               dep_lettres=""),
        notice("ACR0000024", insee="63808", commune="Royat", editoriale="Royat"),
    ])  # fmt: skip
    by_ref = out.by_ref
    assert (by_ref["ACR0000020"]["code_insee"], by_ref["ACR0000020"]["commune"]) == (
        LE_CENDRE,
        "Le Cendre",
    )
    assert by_ref["ACR0000021"]["code_insee"] == AUBIERE
    assert by_ref["ACR0000022"]["code_insee"] == LE_CENDRE  # département given in letters
    assert "ACR0000023" not in by_ref  # a name alone, nothing to verify it: not guessed
    assert by_ref["ACR0000024"]["code_insee"] == ROYAT  # a historic code of the département
    assert out.noted("commune_par_nom") == [
        "ACR0000020 (ligne 2)",
        "ACR0000022 (ligne 4)",
        "ACR0000024 (ligne 6)",
    ]
    assert out.noted("commune_par_point") == ["ACR0000021 (ligne 3)"]
    assert out.noted("commune_non_verifiable") == ["ACR0000023 (ligne 5)"]


def test_a_namesake_elsewhere_is_dropped_and_reported(tmp_path: Path) -> None:
    out = run(tmp_path, [
        notice("ACR0000030", insee="74031", commune="Beaumont", editoriale="Beaumont", dep="74",
               dep_lettres="Haute-Savoie", coords=wgs84(BEAUMONT_74)),
        notice("ACR0000031", insee="", commune="Beaumont", editoriale="Beaumont", dep="",
               dep_lettres="Haute-Savoie"),
        notice("ACR0000032", insee="31555", commune="Toulouse", editoriale="Toulouse",
               dep="31"),
    ])  # fmt: skip
    assert out.rows == []
    assert out.stats.out_of_territory == 3
    assert out.noted("homonyme_ecarte") == ["ACR0000030 (ligne 2)", "ACR0000031 (ligne 3)"]


def test_coordinates_missing_swapped_far_or_outside_france(tmp_path: Path) -> None:
    lat, lon = inside(CHAMALIERES)
    out = run(tmp_path, [
        notice("ACR0000040", coords=""),
        notice("ACR0000041", insee=CHAMALIERES, coords=f"{lon:.6f},{lat:.6f}"),
        notice("ACR0000042", coords=wgs84(LA_REUNION)),
        notice("ACR0000043", coords="60.1699,24.9384"),
        notice("ACR0000044", insee=CHAMALIERES, coords=f"{lat:.6f}, {lon:.6f}"),
        notice("ACR0000045", coords="0,0"),
    ])  # fmt: skip
    by_ref = out.by_ref
    assert (by_ref["ACR0000040"]["latitude"], by_ref["ACR0000040"]["longitude"]) == (None, None)
    assert by_ref["ACR0000040"]["coordonnees_douteuses"] is False
    swapped = by_ref["ACR0000041"]
    assert (swapped["latitude"], swapped["longitude"]) == (round(lat, 6), round(lon, 6))
    assert swapped["coordonnees_douteuses"] is False
    assert by_ref["ACR0000042"]["coordonnees_douteuses"] is True  # 9,400 km from Clermont
    assert by_ref["ACR0000043"]["coordonnees_douteuses"] is True  # Helsinki, either way
    assert by_ref["ACR0000044"]["latitude"] == round(lat, 6)  # "lat, lon" is read too
    assert by_ref["ACR0000045"]["latitude"] is None  # POP's (0, 0): no location
    assert out.noted("sans_coordonnees") == ["ACR0000040 (ligne 2)", "ACR0000045 (ligne 7)"]
    assert out.noted("coordonnees_inversees") == ["ACR0000041 (ligne 3)"]
    assert out.noted("coordonnees_hors_commune") == [
        "ACR0000042 (ligne 4)",
        "ACR0000043 (ligne 5)",
    ]
    assert out.noted("hors_france") == ["ACR0000043 (ligne 5)"]
    # Doubtful points stay in the CSV but off the map.
    mapped = rows_to_geojson(ENTRY, out.result.rows).decode()
    assert "ACR0000041" in mapped and "ACR0000044" in mapped
    assert "ACR0000042" not in mapped and "ACR0000043" not in mapped
    assert "ACR0000040" not in mapped


@pytest.mark.parametrize(
    "value,year,remark",
    [
        ("2003", 2003, None),
        ("2000 ; 2026", 2000, None),
        ("2026;2003", 2003, None),
        ("ancien Label XXe 2015", 2015, "date_label_texte_libre"),
        ("labellisé le 12/05/2017", 2017, "date_label_texte_libre"),
        ("", None, "date_label_absente"),
        ("label en cours", None, "date_label_sans_annee"),
        ("2206", 2206, None),  # a typo is kept: the published suite's bounds check reports it
    ],
)
def test_label_year(value: str, year: int | None, remark: str | None) -> None:
    assert acr.label_year(value) == (year, remark)


def test_label_dates_are_published_as_given_and_reported(tmp_path: Path) -> None:
    out = run(tmp_path, [
        notice("ACR0000050", label="ancien Label XXe 2015"),
        notice("ACR0000051", label=""),
        notice("ACR0000052", label="sans date"),
        notice("ACR0000053", label="2000 ; 2026"),
    ])  # fmt: skip
    by_ref = out.by_ref
    assert [(by_ref[r]["annee_label"], by_ref[r]["date_label"]) for r in sorted(by_ref)] == [
        (2015, "ancien Label XXe 2015"),
        (None, ""),
        (None, "sans date"),
        (2000, "2000 ; 2026"),
    ]
    assert out.noted("date_label_texte_libre") == ["ACR0000050 (ligne 2)"]
    assert out.noted("date_label_absente") == ["ACR0000051 (ligne 3)"]
    assert out.noted("date_label_sans_annee") == ["ACR0000052 (ligne 4)"]


def test_duplicates_keep_the_first_copy_and_name_the_others(tmp_path: Path) -> None:
    out = run(tmp_path, [
        notice("ACR0000060", titre="Piscine"),
        notice("ACR0000061", titre="Lycée"),
        notice("ACR0000060", titre="Piscine municipale"),
        notice("acr0000060 ", titre="Piscine (troisième copie)"),
    ])  # fmt: skip
    assert [(r["reference"], r["titre"]) for r in out.rows] == [
        ("ACR0000060", "Piscine"),
        ("ACR0000061", "Lycée"),
    ]
    assert out.stats.duplicates == 2
    assert out.noted("notice_en_double") == ["ACR0000060 (ligne 4)", "ACR0000060 (ligne 5)"]


def test_quoted_pipes_empty_lines_and_missing_references(tmp_path: Path) -> None:
    empty = "|".join('""' for _ in ACR_HEADER)
    out = run(tmp_path, [
        notice("ACR0000070", titre="Maison | atelier"),
        empty,
        notice("", titre="Immeuble sans référence"),
        notice(" acr0000071", titre="Villa"),
    ])  # fmt: skip
    assert [r["reference"] for r in out.rows] == ["ACR0000070", "ACR0000071"]
    assert out.by_ref["ACR0000070"]["titre"] == "Maison | atelier"
    assert out.stats.empty_rows == 1
    # The record without a reference reaches the source suite under its line, not the table.
    assert out.source["ligne 4"]["titre"] == "Immeuble sans référence"
    assert out.source["ACR0000071"]["reference"] == " acr0000071"  # raw, as sent


def test_multi_valued_fields_keep_their_order(tmp_path: Path) -> None:
    out = run(tmp_path, [
        notice("ACR0000080", auteurs="Prouvé Jean (ingénieur) ; Novarina Maurice (architecte)",
               deno='["église", "Presbytère"]', statut="propriété de la commune ; Etat"),
        notice("ACR0000081", auteurs="Mallet Louis;dit;Le Grand (architecte);Mallet Louis"),
    ])  # fmt: skip
    first, second = out.rows
    assert first["auteurs"] == "Prouvé Jean (ingénieur);Novarina Maurice (architecte)"
    assert first["denominations"] == "église;presbytère"  # the ODS JSON array too
    assert first["statut_juridique"] == "propriété de la commune;État"
    # Authors are free text: fragments and repeated names stay.
    assert second["auteurs"] == "Mallet Louis;dit;Le Grand (architecte);Mallet Louis"


def test_without_territory_every_current_label_is_kept(tmp_path: Path) -> None:
    out = run(tmp_path, [
        notice("ACR0000090", insee="69385", commune="Lyon", editoriale="Lyon 5e Arrondissement",
               dep="69", coords="45.7597,4.8270"),
        notice("ACR0000091", insee="97105", commune="Basse-Terre", editoriale="", dep="971",
               coords="-61.7261,15.9972"),
        notice("ACR0000092", cadre="Anciennement labellisé"),
    ], territory=None)  # fmt: skip
    assert [(r["reference"], r["code_insee"], r["commune"]) for r in out.rows] == [
        ("ACR0000090", "69385", "Lyon 5e Arrondissement"),
        ("ACR0000091", "97105", "Basse-Terre"),
    ]
    assert out.by_ref["ACR0000091"]["latitude"] == 15.9972  # swapped back, Guadeloupe
    assert out.noted("anciennement_labellise") == ["ACR0000092 (ligne 4)"]


def test_a_reduced_export_in_ods_spelling_is_read(tmp_path: Path) -> None:
    """An ODS or Tabular export: snake_case headers, ``;`` separator, ``lat, lon``."""
    path = tmp_path / "acr.csv"
    path.write_text(
        "reference_de_la_notice;cadre_de_l_etude;insee;commune;titre_courant;coordonnees;"
        "date_de_label\n"
        f"ACR0000100;Labellisé;{ROYAT};Royat;Thermes;45.7658, 3.0511;2003\n",
        encoding="utf-8",
    )
    stats = TransformStats()
    result = get_transform(ENTRY)(path, ENTRY, TERRITORY, stats)
    (row,) = (dict(zip(ENTRY.column_names, r, strict=True)) for r in result.rows)
    assert (row["reference"], row["code_insee"], row["latitude"]) == ("ACR0000100", ROYAT, 45.7658)
    assert row["auteurs"] == "" and row["annee_label"] == 2003


@pytest.mark.parametrize(
    "field,column", [("reference", "Reference_de_la_notice"), ("insee", "Insee"),
                     ("cadre", "Cadre_de_l_etude")],
)  # fmt: skip
def test_a_missing_required_column_fails_naming_it(tmp_path: Path, field: str, column: str) -> None:
    with pytest.raises(SchemaError) as raised:
        run(tmp_path, [notice("ACR0000110")], renamed={column: f"{column}_v2"})
    message = str(raised.value)
    assert message.startswith(f"colonne(s) absente(s) du fichier source : {column} — ")
    assert "alias du catalogue" in message  # what to do about it, in French
    assert acr.FIELDS[field].label == column


def test_the_catalog_uses_this_transform() -> None:
    transform = get_transform(ENTRY)
    assert transform.fields == acr.FIELDS
    assert ENTRY.business_key == ("reference",)
    assert ENTRY.geometry["suspect"] == "coordonnees_douteuses"


# --- the snapshot's traps, by reference ---------------------------------------------------

SNAPSHOT_EXPECTED: dict[str, tuple[str | None, dict[str, Any]]] = {
    # trap: (the remark naming its reference, or None; published columns, {} when left out)
    "pipe_in_field": (None, {"titre": "Centre commercial des Vergnes | galerie marchande"}),
    "anciennement_labellise": ("anciennement_labellise", {}),
    "empty_insee_name_fallback": ("commune_par_nom", {"code_insee": LE_CENDRE, "latitude": None}),
    "empty_insee_point_in_commune": ("commune_par_point", {"code_insee": AUBIERE}),
    "namesake_other_departement": ("homonyme_ecarte", {}),
    "no_coordinates": ("sans_coordonnees", {"latitude": None, "coordonnees_douteuses": False}),
    "swapped_coordinates": ("coordonnees_inversees", {"coordonnees_douteuses": False}),
    "far_away_coordinates": ("coordonnees_hors_commune", {"coordonnees_douteuses": True}),
    "multi_valued_authors": (None, {"auteurs": AUTHORS}),
    "label_free_text": ("date_label_texte_libre", {"annee_label": 2015}),
    "label_empty": ("date_label_absente", {"annee_label": None, "date_label": ""}),
    "label_two_years": (None, {"annee_label": 2003, "date_label": "2003 ; 2026"}),
    "duplicate_reference": ("notice_en_double", {"titre": "Piscine des Cézeaux"}),
    "former_merimee_reference": (None, {"ancienne_reference": "PA63000901"}),
    "title_lower_case": (None, {"titre": "Immeuble dit le Paquebot"}),
}


@pytest.fixture(scope="module")
def snapshot_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    sample = snapshot_dataset(with_contours(
        [Commune(c.code, c.nom, "63", "84", 0.0, 0.0) for c in TERRITORY.communes],
        real_contours(),
    ))  # fmt: skip
    path = tmp_path_factory.mktemp("snapshot") / sample.filename
    path.write_bytes(sample.content)
    return transform(Run, path, ENTRY, TERRITORY)


def test_every_snapshot_trap_has_an_expectation() -> None:
    assert tuple(SNAPSHOT_EXPECTED) == TRAPS


@pytest.mark.parametrize("trap", TRAPS)
def test_the_snapshot_traps_through_the_transform(snapshot_run: Run, trap: str) -> None:
    reference = trap_reference(trap)
    remark, columns = SNAPSHOT_EXPECTED[trap]
    named = {kind for kind, examples in snapshot_run.stats.examples.items()
             if any(e.startswith(f"{reference} (ligne ") for e in examples)}  # fmt: skip
    assert remark is None or remark in named, (trap, named)
    row = snapshot_run.by_ref.get(reference)
    if not columns:
        assert row is None and reference not in snapshot_run.source
        assert named == {remark}  # left out for that reason only
    else:
        assert row is not None
        assert {k: row[k] for k in columns} == columns
