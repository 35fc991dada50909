"""The French report of one run: per dataset what happened, what changed and why.

Written outside the portal folder (``<var>/rapports/``): a report is new every run, and an
unchanged night must rewrite nothing a reader of the portal sees. ``dernier.html`` is a
copy of the latest real run's report (a dry run's report is kept, never made the latest).
The page is self-contained (inline style, pictures as ``data:`` URIs): it can be mailed,
archived or opened offline.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from patrimoine.alerts.links import flow_run_url
from patrimoine.alerts.messages import split_error
from patrimoine.alerts.redact import redact
from patrimoine.catalog import DatasetEntry, load_catalog
from patrimoine.config import Settings
from patrimoine.pipeline import STAGE_LABELS, Outcome
from patrimoine.publish.territory import TerritoryOutcome
from patrimoine.report.html import data_uri, e, page, write_if_changed
from patrimoine.staging import history, ledger
from patrimoine.staging.history import Change
from patrimoine.status import STATUS_LABELS, report_summary
from patrimoine.times import paris, paris_text
from patrimoine.validation.report import LEVEL_LABELS, ROW, Problem, ValidationReport

log = logging.getLogger(__name__)

REPORTS_DIR = "rapports"
LATEST = "dernier.html"
KEEP_REPORTS = 90
"""Reports kept in the folder (about three months of nights), the oldest removed first."""
MAX_CHANGES = 200
"""Changelog lines shown per dataset (the changelog CSV of the portal has them all)."""
MAX_KEYS = 100
"""Identifiers shown per failed check."""

MAP_FILE = "carte.png"
CHART_GLOB = "graphique-*.png"
TERRITORY_MAP = "carte-territoire.png"


@dataclass(frozen=True)
class Picture:
    label: str
    path: Path


@dataclass
class DatasetReport:
    """One dataset's section of the report, as plain data (also the artifacts' rows)."""

    dataset: str
    title: str
    status: str
    stage: str | None = None
    cause: str | None = None
    hint: str | None = None
    rows_read: int | None = None
    rows_kept: int | None = None
    rows_published: int | None = None
    rows_quarantined: int | None = None
    added: int | None = None
    removed: int | None = None
    changed: int | None = None
    validation: ValidationReport | None = None
    quarantined: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    pictures: list[Picture] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def validation_label(self) -> str:
        report = self.validation
        return "non évaluée" if report is None else report_summary(report)


@dataclass
class RunReport:
    when: datetime
    territory: str
    dry_run: bool
    run_url: str | None
    datasets: list[DatasetReport]
    shared: list[TerritoryOutcome] = field(default_factory=list)
    """The territory page and its declarations, after the datasets."""
    territory_map: Path | None = None

    @property
    def title(self) -> str:
        kind = "Simulation" if self.dry_run else "Rapport du run"
        return f"{kind} du {paris_text(self.when)} — patrimoine ({self.territory})"

    def tally(self) -> str:
        counts: dict[str, int] = {}
        for d in self.datasets:
            counts[d.status_label] = counts.get(d.status_label, 0) + 1
        return ", ".join(f"{n} {label}" for label, n in counts.items()) or "aucun jeu"

    def html(self) -> str:
        return page(self.title, _body(self))

    def rows(self) -> list[dict[str, Any]]:
        """One row per dataset, with French column names (the Prefect table artifact)."""
        return [
            {
                "jeu": d.dataset,
                "statut": d.status_label,
                "lignes publiées": d.rows_published,
                "ajouts": d.added,
                "suppressions": d.removed,
                "modifications": d.changed,
                "quarantaine": d.rows_quarantined,
                "validation": d.validation_label,
                "cause": d.cause or "",
            }
            for d in self.datasets
        ]

    def markdown(self, report_path: Path | None = None) -> str:
        """The summary for a Prefect markdown artifact."""
        lines = [f"# {self.title}", "", f"**Bilan** : {self.tally()}.", ""]
        if self.dry_run:
            lines += ["> Simulation : rien n'a été publié.", ""]
        lines += [
            "| Jeu | Statut | Lignes | + | − | ~ | Quarantaine | Validation |",
            "|---|---|---:|---:|---:|---:|---:|---|",
        ]
        for d in self.datasets:
            cells = [d.rows_published, d.added, d.removed, d.changed, d.rows_quarantined]
            shown = " | ".join("" if c is None else str(c) for c in cells)
            lines.append(
                f"| {d.dataset} | {d.status_label} | {shown} | {_md(d.validation_label)} |"
            )
        for d in self.datasets:
            if d.cause:
                lines += ["", f"**{d.dataset}** : {_md(d.cause)}"]
                if d.hint:
                    lines.append(f"— que faire : {_md(d.hint)}")
        if self.shared:
            lines += [""] + [f"- {_md(_shared_line(t))}" for t in self.shared]
        if report_path is not None:
            lines += ["", f"Rapport complet : `{report_path}`"]
        return "\n".join(lines) + "\n"


def _shared_line(outcome: TerritoryOutcome) -> str:
    """« réutilisation data.gouv.fr : mise à jour (mettre à jour …) », or its error."""
    line = f"{outcome.target.capitalize()} : {outcome.label}"
    if outcome.error:
        return f"{line} — {outcome.error}"
    if outcome.actions:
        line += f" ({' ; '.join(outcome.actions)})"
    return line + (f" — {outcome.location}" if outcome.location else "")


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --- Collecting ----------------------------------------------------------------------------
def _title(settings: Settings, entry: DatasetEntry | None, name: str) -> str:
    """The published title (territory filled in), else the catalog's without placeholders."""
    try:
        sheet = json.loads((settings.portal_dir / name / "metadata.json").read_text("utf-8"))
        if isinstance(sheet.get("titre"), str) and sheet["titre"]:
            return str(sheet["titre"])
    except (OSError, ValueError):
        pass
    if entry is None:
        return name
    return re.sub(r"\s*[–-]?\s*\{[^}]*\}", "", entry.metadata.title).strip() or name


def chart_label(chart: Path) -> str:
    """« protections par decennie » from ``graphique-1-protections-par-decennie.png``."""
    slug = re.sub(r"^\d+-", "", chart.stem.removeprefix("graphique-"))
    return slug.replace("-", " ")


def pictures_of(folder: Path) -> list[Picture]:
    """The map and charts the visuals left in a dataset's portal folder, map first."""
    found: list[Picture] = []
    if (folder / MAP_FILE).is_file():
        found.append(Picture("Carte", folder / MAP_FILE))
    for chart in sorted(folder.glob(CHART_GLOB)):
        found.append(Picture(f"Graphique : {chart_label(chart)}", chart))
    return found


def _dataset(
    settings: Settings, outcome: Outcome, entry: DatasetEntry | None, engine: Any
) -> DatasetReport:
    cause, hint = split_error(outcome.error) if outcome.error else (None, None)
    diff = outcome.diff or {}
    report = DatasetReport(
        dataset=outcome.dataset,
        title=_title(settings, entry, outcome.dataset),
        status=outcome.status,
        stage=outcome.stage,
        cause=redact(cause, settings) if cause else None,
        hint=redact(hint, settings) if hint else None,
        rows_read=outcome.rows_read,
        rows_kept=outcome.rows_kept,
        rows_published=outcome.rows_published,
        rows_quarantined=outcome.rows_quarantined,
        added=diff.get("added"),
        removed=diff.get("removed"),
        changed=diff.get("changed"),
        quarantined=list(outcome.quarantined),
        warnings=list(outcome.warnings),
        remarks=list(outcome.remarks),
        pictures=pictures_of(settings.portal_dir / outcome.dataset),
    )
    if engine is None or not outcome.run_id:
        return report
    try:
        record = ledger.run(engine, outcome.run_id)
        stored = (record or {}).get("details", {}).get("validation")
        if stored:
            report.validation = ValidationReport.from_dict(stored)
    except Exception as exc:  # a section without its details is still worth reading
        log.warning("%s : validation du run illisible (%s)", outcome.dataset, exc)
    if entry is not None and outcome.status in ("updated", "held", "dry-run", "unchanged"):
        try:
            report.changes = history.changes(engine, entry, runs=[outcome.run_id])
        except Exception as exc:
            log.warning("%s : changements du run illisibles (%s)", outcome.dataset, exc)
    return report


def territory_label(settings: Settings, engine: Any) -> str:
    """« Clermont Auvergne Métropole », as resolved for the run; else the setting's key."""
    if engine is not None:
        try:
            from patrimoine.staging import territory_store

            territory = territory_store.load(engine, settings.territory.key)
            if territory is not None:
                return territory.label
        except Exception:
            pass
    return settings.territory.key


def build(
    settings: Settings,
    outcomes: Sequence[Outcome],
    *,
    dry_run: bool = False,
    when: datetime | None = None,
    shared: Sequence[TerritoryOutcome] = (),
) -> RunReport:
    """Gather each dataset's section from its outcome, the ledger and the history."""
    try:
        catalog: dict[str, DatasetEntry] = load_catalog(settings.catalog_dir)
    except Exception:
        catalog = {}
    try:
        from patrimoine.stages import engine_for

        engine: Any = engine_for(settings)
    except Exception:
        engine = None
    return RunReport(
        when=when or datetime.now(UTC),
        territory=territory_label(settings, engine),
        dry_run=dry_run,
        run_url=flow_run_url(),
        datasets=[_dataset(settings, o, catalog.get(o.dataset), engine) for o in outcomes],
        shared=list(shared),
        territory_map=_territory_map(settings),
    )


def _territory_map(settings: Settings) -> Path | None:
    path = settings.portal_dir / TERRITORY_MAP
    return path if settings.pictures and path.is_file() else None


# --- Writing -------------------------------------------------------------------------------
def reports_dir(settings: Settings) -> Path:
    return settings.var_dir / REPORTS_DIR


def latest_path(settings: Settings) -> Path:
    return reports_dir(settings) / LATEST


def _prune(folder: Path) -> None:
    for prefix in ("run-", "simulation-"):
        older = sorted(folder.glob(f"{prefix}*.html"))
        for stale in older[: max(len(older) - KEEP_REPORTS, 0)]:
            stale.unlink(missing_ok=True)


def write(settings: Settings, report: RunReport) -> Path:
    """``run-<YYYYMMDD-HHMMSS>.html`` (Paris time), and ``dernier.html`` for a real run."""
    folder = reports_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{'simulation' if report.dry_run else 'run'}-{paris(report.when):%Y%m%d-%H%M%S}"
    path, n = folder / f"{stem}.html", 1
    while path.exists():  # two runs in the same second keep both reports
        n += 1
        path = folder / f"{stem}-{n}.html"
    content = report.html().encode("utf-8")
    write_if_changed(path, content)
    if not report.dry_run:
        write_if_changed(folder / LATEST, content)
    _prune(folder)
    return path


# --- The page ------------------------------------------------------------------------------
def _num(value: int | None) -> str:
    return f'<td class="n">{e(value)}</td>'


def _summary_table(report: RunReport) -> str:
    head = (
        "<tr><th>Jeu de données</th><th>Statut</th><th>Lignes lues</th>"
        "<th>Lignes publiées</th><th>Ajouts</th><th>Suppressions</th>"
        "<th>Modifications</th><th>Quarantaine</th><th>Validation</th></tr>"
    )
    rows = [
        f'<tr><td><a href="#{e(d.dataset)}">{e(d.dataset)}</a></td>'
        f'<td><span class="statut {e(d.status)}">{e(d.status_label)}</span></td>'
        f"{_num(d.rows_read)}{_num(d.rows_published)}{_num(d.added)}{_num(d.removed)}"
        f"{_num(d.changed)}{_num(d.rows_quarantined)}<td>{e(d.validation_label)}</td></tr>"
        for d in report.datasets
    ]
    return f'<table class="bilan">{head}{"".join(rows)}</table>'


def _problem_keys(problem: Problem) -> list[str]:
    return problem.keys if problem.level == ROW and problem.keys else problem.sample_keys


def _validation_html(d: DatasetReport) -> str:
    parts = [f"<h3>Validation : {e(d.validation_label)}</h3>"]
    report = d.validation
    if report is not None and report.problems:
        rows = []
        for p in report.problems:
            keys = _problem_keys(p)
            shown = ", ".join(keys[:MAX_KEYS]) + ("…" if len(keys) > MAX_KEYS else "")
            rows.append(
                f"<tr><td>{e(LEVEL_LABELS.get(p.level, p.level))}</td><td>{e(p.title)}</td>"
                f"<td>{e(p.column or '')}</td>{_num(p.unexpected_count or None)}"
                f'<td class="identifiants">{e(shown)}</td></tr>'
            )
        parts.append(
            '<table class="controles"><tr><th>Niveau</th><th>Contrôle</th><th>Colonne</th>'
            f"<th>Lignes</th><th>Identifiants</th></tr>{''.join(rows)}</table>"
        )
    elif report is None:
        for label, items in (("En quarantaine", d.quarantined), ("Avertissements", d.warnings)):
            if items:
                lis = "".join(f"<li>{e(i)}</li>" for i in items)
                parts.append(f"<p>{label} :</p><ul>{lis}</ul>")
    if d.remarks:
        lis = "".join(f"<li>{e(r)}</li>" for r in d.remarks)
        parts.append(f"<p>Remarques de la transformation :</p><ul>{lis}</ul>")
    return "".join(parts)


def _changes_html(d: DatasetReport) -> str:
    if not d.changes:
        quiet = "Aucun changement des données publiées lors de ce run."
        return f"<h3>Ce qui a changé</h3><p>{quiet}</p>"
    rows = []
    for c in d.changes[:MAX_CHANGES]:
        rows.append(
            f"<tr><td>{e(c.change)}</td><td>{e(c.key)}</td><td>{e(c.column)}</td>"
            f"<td>{e(c.old if c.old is not None else '')}</td>"
            f"<td>{e(c.new if c.new is not None else '')}</td></tr>"
        )
    more = ""
    if len(d.changes) > MAX_CHANGES:
        more = (
            f'<p class="discret">{len(d.changes) - MAX_CHANGES} autre(s) changement(s) : '
            "voir changelog.csv du jeu.</p>"
        )
    return (
        f"<h3>Ce qui a changé ({len(d.changes)} ligne(s) du journal)</h3>"
        '<table class="changements"><tr><th>Changement</th><th>Identifiant</th>'
        f"<th>Colonne</th><th>Avant</th><th>Après</th></tr>{''.join(rows)}</table>{more}"
    )


def _pictures_html(d: DatasetReport) -> str:
    if not d.pictures:
        return ""
    items = []
    for pic in d.pictures:
        css = "carte" if pic.path.name == MAP_FILE else "graphique"
        try:
            src = data_uri(pic.path)
        except OSError:
            continue
        items.append(
            f'<figure><img class="{css}" src="{src}" alt="{e(pic.label)}">'
            f"<figcaption>{e(pic.label)}</figcaption></figure>"
        )
    return "<h3>Carte et graphiques publiés</h3>" + "".join(items) if items else ""


def _territory_html(report: RunReport) -> str:
    """The whole territory's map and what became of its page this run."""
    if not report.shared and report.territory_map is None:
        return ""
    parts = ['<section class="territoire" id="territoire">', "<h2>Le territoire</h2>"]
    if report.shared:
        items = []
        for t in report.shared:
            text = e(_shared_line(t))
            css = "erreur" if t.status == "failed" else ""
            items.append(f'<li class="{css}">{text}</li>' if css else f"<li>{text}</li>")
        parts.append(f"<ul>{''.join(items)}</ul>")
    if report.territory_map is not None:
        try:
            src = data_uri(report.territory_map)
        except OSError:
            src = ""
        if src:
            label = f"Carte du patrimoine de {report.territory}"
            parts.append(
                f'<figure><img class="carte" src="{src}" alt="{e(label)}">'
                f"<figcaption>{e(label)}</figcaption></figure>"
            )
    parts.append("</section>")
    return "".join(parts)


def _section(d: DatasetReport) -> str:
    parts = [
        f'<section class="jeu" id="{e(d.dataset)}">',
        f"<h2>{e(d.title)}</h2>",
        f'<p><code>{e(d.dataset)}</code> — <span class="statut {e(d.status)}">'
        f"{e(d.status_label)}</span>",
    ]
    if d.status in ("failed", "held", "interrupted") and d.stage:
        parts.append(f" (étape {e(STAGE_LABELS.get(d.stage, d.stage))})")
    parts.append("</p>")
    if d.cause:
        parts.append(f'<p class="erreur">Cause : {e(d.cause)}</p>')
        if d.hint:
            parts.append(f"<p>Que faire : {e(d.hint)}</p>")
    parts.append(
        "<p>Lignes lues : "
        f"{e(d.rows_read)} · retenues : {e(d.rows_kept)} · publiées : {e(d.rows_published)} · "
        f"en quarantaine : {e(d.rows_quarantined)} · ajouts : {e(d.added)} · "
        f"suppressions : {e(d.removed)} · modifications : {e(d.changed)}</p>"
    )
    parts += [_validation_html(d), _changes_html(d), _pictures_html(d), "</section>"]
    return "".join(parts)


def _body(report: RunReport) -> str:
    header = [
        "<header>",
        f"<h1>{e(report.title)}</h1>",
        f"<p>Territoire : {e(report.territory)} · Bilan : {e(report.tally())}</p>",
    ]
    if report.run_url:
        header.append(f'<p><a href="{e(report.run_url)}">Voir le run dans Prefect</a></p>')
    header.append("</header>")
    main = ["<main>"]
    if report.dry_run:
        main.append(
            '<p class="simulation">Simulation : ce run n\'a rien publié ; il montre ce qui '
            "aurait changé.</p>"
        )
    main.append("<h2>Bilan par jeu de données</h2>")
    main.append(_summary_table(report))
    main.append(_territory_html(report))
    main += [_section(d) for d in report.datasets]
    main.append("</main>")
    footer = (
        '<footer class="discret">Rapport produit par patrimoine. Les fichiers publiés sont '
        "dans le portail local.</footer>"
    )
    return "\n".join([*header, *main, footer])
