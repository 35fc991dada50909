"""Every exception patrimoine raises, in one place.

Validation problems and guard findings are *data* (see :mod:`patrimoine.validation.report`
and :mod:`patrimoine.guards`); the classes below are for failures of a run: bad settings,
unreachable sources, broken files, a database or a portal that refuses.

    PatrimoineError
    ├── SettingsError            a setting is missing or invalid (exit code 2)
    ├── CatalogError             a catalog entry, schema or suite is malformed
    └── PipelineError            refreshing one dataset failed (dataset, stage, url, hint)
        ├── SourceError          an upstream could not be read
        │   ├── HTTPStatusError      the server answered an error status
        │   ├── NetworkError         no answer: refused, unresolved, timed out, reset
        │   ├── DownloadIncomplete   the body ended before its announced length
        │   ├── NotInSnapshot        offline mode, the URL is not in the bundled mirror
        │   └── NotConfigured        the source's setting is empty: dataset left aside (exit 0)
        ├── TerritoryError       the territory could not be resolved
        ├── SchemaError          the source file lacks the columns the transform needs
        ├── ValidationFailed     a blocking expectation failed (carries the report)
        ├── StagingError         the database refused a load or is unreachable
        │   └── DatasetBusy          another refresh of the dataset is running
        └── PublishError         the portal refused a publication
    RunFailed                    raised by flows after all datasets ran, when one failed

Every ``PipelineError`` renders as one French line naming the dataset, the stage, the
cause and what to do (``hint``), because that line ends up in the run ledger, the
summary and alert e-mails. ``transient`` says whether trying again later can help: only
timeouts, connection resets, HTTP 429 and 5xx are transient; the orchestrator retries
nothing else.
"""

from __future__ import annotations

from typing import Any


class PatrimoineError(Exception):
    """Base class: catch this to handle any failure of the tool."""


class SettingsError(PatrimoineError):
    """A setting is missing or invalid.

    >>> raise SettingsError("PATRIMOINE_TERRITORY", "attendu epci:<siren> ou communes:<insee>,…")
    """

    def __init__(self, setting: str, problem: str) -> None:
        self.setting = setting
        self.problem = problem
        super().__init__(f"Réglage invalide {setting} : {problem}")


class CatalogError(PatrimoineError):
    """A catalog entry cannot be loaded (missing key, unknown source kind, bad file)."""


class PipelineError(PatrimoineError):
    """Refreshing a dataset failed.

    ``dataset`` and ``stage`` are filled in by the pipeline (the stage under way), so deep
    helpers only describe the cause; ``hint`` tells the data manager what to do.
    """

    default_hint: str | None = None

    def __init__(
        self,
        cause: str,
        *,
        dataset: str | None = None,
        stage: str | None = None,
        url: str | None = None,
        hint: str | None = None,
        transient: bool = False,
    ) -> None:
        self.cause = cause
        self.dataset = dataset
        self.stage = stage
        self.url = url
        self.hint = hint or self.default_hint
        self.transient = transient
        super().__init__(cause)

    def with_context(self, *, dataset: str, stage: str) -> PipelineError:
        """Name the dataset and the stage under way (the pipeline knows them best)."""
        self.dataset = self.dataset or dataset
        self.stage = stage
        return self

    def __str__(self) -> str:
        where = []
        if self.dataset:
            where.append(f"jeu « {self.dataset} »")
        if self.stage:
            where.append(f"étape {self.stage}")
        prefix = f"[{', '.join(where)}] " if where else ""
        suffix = f" (URL : {self.url})" if self.url else ""
        todo = f" — {self.hint}" if self.hint else ""
        return f"{prefix}{self.cause}{suffix}{todo}"


class SourceError(PipelineError):
    """An upstream source could not be read."""

    default_hint = "vérifiez que le service source répond, puis relancez"


class HTTPStatusError(SourceError):
    """The server answered with an error status after all retries."""

    def __init__(self, cause: str, *, status_code: int, **context: Any) -> None:
        self.status_code = status_code
        context.setdefault("transient", status_code == 429 or status_code >= 500)
        context.setdefault("hint", _status_hint(status_code))
        super().__init__(cause, **context)


def _status_hint(status: int) -> str:
    if status in (401, 403):
        return "accès refusé par le serveur : vérifiez l'URL configurée et les droits d'accès"
    if status in (404, 410):
        return (
            "la ressource a disparu ou a été déplacée : vérifiez l'identifiant de la source "
            "dans le catalogue et l'URL de base configurée"
        )
    if status == 429:
        return "le serveur limite le nombre de requêtes : relancez plus tard"
    if status >= 500:
        return "le service source est en panne ou en maintenance : relancez plus tard"
    return "vérifiez l'URL de base configurée et l'identifiant de la source dans le catalogue"


class NetworkError(SourceError):
    """No HTTP answer: connection refused, name not resolved, timeout, connection reset."""

    default_hint = (
        "vérifiez la connexion réseau de la machine (proxy, pare-feu) et l'URL de base "
        "configurée, ou lancez avec --offline"
    )


class DownloadIncomplete(SourceError):
    """The connection closed before the announced body was received; nothing is kept."""

    default_hint = "le transfert a été coupé : relancez plus tard"


class NotInSnapshot(SourceError):
    """Offline mode was asked for a URL the bundled mirror does not hold."""

    default_hint = (
        "le snapshot hors ligne ne couvre que le territoire par défaut : retirez --offline "
        "ou régénérez le snapshot (scripts/make_snapshot.py)"
    )


class NotConfigured(SourceError):
    """The dataset's source is a setting of the collectivité and it is empty.

    Not a failure: the run records the dataset as « non configuré » (status
    ``unconfigured``), stages and publishes nothing, leaves the last publication online and
    still exits 0. ``hint`` names the setting to fill in.
    """

    default_hint = "renseignez le réglage de la source dans patrimoine.toml ou l'environnement"


class TerritoryError(PipelineError):
    """The territory (EPCI or commune list) could not be resolved."""

    default_hint = "vérifiez PATRIMOINE_TERRITORY et que geo.api.gouv.fr répond"


class SchemaError(PipelineError):
    """The source file does not have the columns the transform needs."""

    default_hint = (
        "le format du fichier source a changé : ajoutez le nouveau nom de colonne aux alias "
        "du catalogue ; la version publiée reste en ligne"
    )


class ValidationFailed(PipelineError):
    """A blocking expectation failed: the dataset is not staged nor published."""

    default_hint = (
        "rien n'a été publié, la dernière version valide reste en ligne ; corrigez la source "
        "ou signalez l'anomalie au producteur"
    )

    def __init__(self, cause: str, *, report: Any, **context: Any) -> None:
        self.report = report
        super().__init__(cause, **context)


class StagingError(PipelineError):
    """The database could not load or promote a table."""

    default_hint = (
        "vérifiez PATRIMOINE_DATABASE_URL, que le serveur de base de données est démarré "
        "et que l'utilisateur peut y écrire"
    )


class DatasetBusy(StagingError):
    """Another refresh of the same dataset holds its lock."""

    default_hint = "rien à faire : l'autre run met ce jeu à jour ; relancez après sa fin si besoin"


class PublishError(PipelineError):
    """The portal refused or failed a publication."""

    default_hint = (
        "vérifiez le portail configuré (dossier ou API) et les droits d'écriture ; les "
        "fichiers publiés précédemment sont intacts"
    )


class RunFailed(PatrimoineError):
    """At least one dataset of a run failed; ``outcomes`` holds every dataset's outcome.

    Raised at the end of a flow so that Prefect marks the run failed (and alerts fire)
    after every other dataset was still refreshed.
    """

    def __init__(self, outcomes: list[Any]) -> None:
        self.outcomes = outcomes
        failed = [o for o in outcomes if not getattr(o, "ok", True)]
        super().__init__(
            f"{len(failed)} jeu(x) en échec ou à confirmer sur {len(outcomes)} : "
            + " ; ".join(str(getattr(o, "error", "")) for o in failed)
        )


def is_transient(exc: BaseException) -> bool:
    """True when trying again later may succeed (the orchestrator's retry condition)."""
    return bool(getattr(exc, "transient", False))
