"""Every exception patrimoine raises, in one place.

Validation problems are *data* (see :mod:`patrimoine.validation.report`); the classes
below are for failures of a run: bad settings, unreachable sources, broken files.

    PatrimoineError
    ├── SettingsError            a setting is missing or invalid (exit code 2)
    ├── CatalogError             a catalog entry is malformed
    └── PipelineError            refreshing one dataset failed (carries dataset, stage, url)
        ├── SourceError          an upstream could not be read
        │   ├── HTTPStatusError      the server answered an error status
        │   ├── DownloadIncomplete   the body ended before its announced length
        │   └── NotInSnapshot        offline mode, the URL is not in the bundled mirror
        ├── TerritoryError       the territory could not be resolved
        ├── SchemaError          the source file lacks required columns
        ├── ValidationFailed     a blocking expectation failed (carries the report)
        ├── StagingError         the database refused a load
        │   └── DatasetBusy          another refresh of the dataset is running
        └── PublishError         the portal refused a publication
    RunFailed                    raised by flows after all datasets ran, when one failed

Every ``PipelineError`` renders as one French line naming the dataset, the stage and
the cause, because that line ends up in the run ledger, the summary and alert e-mails.
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

    ``dataset`` and ``stage`` are filled in by the pipeline when the code that raised did
    not know them, so deep helpers only have to describe the cause.
    """

    default_stage: str | None = None

    def __init__(
        self,
        cause: str,
        *,
        dataset: str | None = None,
        stage: str | None = None,
        url: str | None = None,
    ) -> None:
        self.cause = cause
        self.dataset = dataset
        self.stage = stage or self.default_stage
        self.url = url
        super().__init__(cause)

    def with_context(self, *, dataset: str, stage: str) -> PipelineError:
        """Fill in the dataset and stage if the raiser did not know them."""
        self.dataset = self.dataset or dataset
        self.stage = self.stage or stage
        return self

    def __str__(self) -> str:
        where = []
        if self.dataset:
            where.append(f"jeu « {self.dataset} »")
        if self.stage:
            where.append(f"étape {self.stage}")
        prefix = f"[{', '.join(where)}] " if where else ""
        suffix = f" (URL : {self.url})" if self.url else ""
        return f"{prefix}{self.cause}{suffix}"


class SourceError(PipelineError):
    """An upstream source could not be read."""

    default_stage = "extract"


class HTTPStatusError(SourceError):
    """The server answered with an error status after all retries."""

    def __init__(self, cause: str, *, status_code: int, **context: Any) -> None:
        self.status_code = status_code
        super().__init__(cause, **context)


class DownloadIncomplete(SourceError):
    """The connection closed before the announced body was received; nothing is kept."""


class NotInSnapshot(SourceError):
    """Offline mode was asked for a URL the bundled mirror does not hold."""


class TerritoryError(PipelineError):
    """The territory (EPCI or commune list) could not be resolved."""

    default_stage = "territory"


class SchemaError(PipelineError):
    """The source file does not have the columns the transform needs."""

    default_stage = "extract"


class ValidationFailed(PipelineError):
    """A blocking expectation failed: the dataset is not staged nor published."""

    default_stage = "validate"

    def __init__(self, cause: str, *, report: Any, **context: Any) -> None:
        self.report = report
        super().__init__(cause, **context)


class StagingError(PipelineError):
    """The database could not load or promote a table."""

    default_stage = "stage"


class DatasetBusy(StagingError):
    """Another refresh of the same dataset holds its lock."""

    default_stage = "lock"


class PublishError(PipelineError):
    """The portal refused or failed a publication."""

    default_stage = "publish"


class RunFailed(PatrimoineError):
    """At least one dataset of a run failed; ``outcomes`` holds every dataset's outcome.

    Raised at the end of a flow so that Prefect marks the run failed (and alerts fire)
    after every other dataset was still refreshed.
    """

    def __init__(self, outcomes: list[Any]) -> None:
        self.outcomes = outcomes
        failed = [o for o in outcomes if getattr(o, "status", None) == "failed"]
        super().__init__(
            f"{len(failed)} jeu(x) en échec sur {len(outcomes)} : "
            + " ; ".join(str(getattr(o, "error", "")) for o in failed)
        )
