"""HTTP client shared by every source.

Why a wrapper around httpx: upstream servers are slow, flaky and large, and every source
needs the same answers to the same problems: bounded retries with backoff, a conditional
GET so an unchanged 100 MB file is not fetched again, a download that is either complete
or not there at all, and errors that say which URL failed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from patrimoine import __version__
from patrimoine.config import Settings
from patrimoine.errors import DownloadIncomplete, HTTPStatusError, NotInSnapshot, SourceError
from patrimoine.http.mirror import MIRROR_HEADER, MirrorTransport

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
CHUNK_SIZE = 1 << 16
T = TypeVar("T")


@dataclass(frozen=True)
class DownloadResult:
    """A complete file on disk, and how it got there."""

    path: Path
    url: str
    sha256: str
    size: int
    not_modified: bool
    etag: str | None = None
    last_modified: str | None = None


MAX_DELAY = 120.0


class _Retryable(Exception):
    def __init__(self, error: SourceError, retry_after: float | None = None) -> None:
        self.error = error
        self.retry_after = retry_after


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds asked by a 429/503 ``Retry-After`` header (the delta-seconds form only)."""
    raw = response.headers.get("Retry-After", "").strip()
    return float(raw) if raw.isdigit() else None


class HttpClient:
    """Small typed client: ``get_json`` and ``download``, both retried."""

    def __init__(
        self,
        settings: Settings,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(settings.http_timeout, connect=min(settings.http_timeout, 15)),
            follow_redirects=True,
            headers={"User-Agent": f"patrimoine/{__version__} (+open data pipeline)"},
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- retry policy ---------------------------------------------------------------------
    def _with_retries(self, url: str, attempt: Callable[[], T]) -> T:
        tries = self.settings.http_retries + 1
        for number in range(1, tries + 1):
            try:
                return attempt()
            except _Retryable as retryable:
                if number == tries:
                    raise retryable.error from None
                backoff = self.settings.http_backoff * 2 ** (number - 1)
                delay = min(max(backoff, retryable.retry_after or 0.0), MAX_DELAY)
                log.warning(
                    "Tentative %d/%d échouée pour %s : %s ; nouvel essai dans %.1f s",
                    number,
                    tries,
                    url,
                    retryable.error.cause,
                    delay,
                )
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _check_status(self, response: httpx.Response, url: str) -> None:
        if response.status_code < 400:
            return
        if response.headers.get(MIRROR_HEADER) == "miss":
            raise NotInSnapshot("URL absente du snapshot hors ligne", url=url)
        error = HTTPStatusError(
            f"le serveur a répondu HTTP {response.status_code}",
            status_code=response.status_code,
            url=url,
        )
        if response.status_code in RETRY_STATUSES:
            raise _Retryable(error, _retry_after(response))
        raise error

    # -- JSON -----------------------------------------------------------------------------
    def get_json(self, url: str, params: dict[str, str] | None = None) -> Any:
        """GET a JSON document; 4xx (but 408/429) are final, 5xx and network errors retried."""
        full = str(httpx.URL(url).copy_merge_params(params)) if params else url

        def attempt() -> Any:
            try:
                response = self._client.get(full)
            except httpx.TransportError as exc:
                raise _Retryable(SourceError(f"erreur réseau : {exc!r}", url=full)) from exc
            self._check_status(response, full)
            try:
                return response.json()
            except ValueError:
                raise SourceError("la réponse n'est pas du JSON valide", url=full) from None

        return self._with_retries(full, attempt)

    # -- files ----------------------------------------------------------------------------
    def download(self, url: str, dest: Path) -> DownloadResult:
        """Stream ``url`` to ``dest``; reuse ``dest`` when the server answers 304.

        The body goes to ``dest.part`` and is renamed only once complete and of the
        announced length, so a truncated transfer can never be parsed as a whole file.
        """
        dest.parent.mkdir(parents=True, exist_ok=True)
        meta_path = dest.with_name(dest.name + ".http.json")
        cached = _read_meta(meta_path) if dest.is_file() else None

        def attempt() -> DownloadResult:
            headers = {}
            if cached and cached.get("url") == url:
                if cached.get("etag"):
                    headers["If-None-Match"] = cached["etag"]
                if cached.get("last_modified"):
                    headers["If-Modified-Since"] = cached["last_modified"]
            try:
                with self._client.stream("GET", url, headers=headers) as response:
                    if response.status_code == 304 and cached:
                        log.info("Inchangé depuis le dernier téléchargement : %s", url)
                        return DownloadResult(
                            path=dest,
                            url=url,
                            sha256=cached["sha256"],
                            size=cached["size"],
                            not_modified=True,
                            etag=cached.get("etag"),
                            last_modified=cached.get("last_modified"),
                        )
                    self._check_status(response, url)
                    return self._stream_to(response, url, dest, meta_path)
            except httpx.TransportError as exc:
                raise _Retryable(
                    DownloadIncomplete(f"transfert interrompu : {exc}", url=url)
                    if isinstance(exc, httpx.RemoteProtocolError)
                    else SourceError(f"erreur réseau : {exc!r}", url=url)
                ) from exc

        return self._with_retries(url, attempt)

    def _stream_to(
        self, response: httpx.Response, url: str, dest: Path, meta_path: Path
    ) -> DownloadResult:
        expected = _content_length(response)
        part = dest.with_name(dest.name + ".part")
        digest = hashlib.sha256()
        received = 0
        progress = _Progress(url, expected, enabled=self.settings.progress)
        try:
            with part.open("wb") as out:
                for chunk in response.iter_bytes(CHUNK_SIZE):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    progress.update(received)
            if expected is not None and received != expected:
                raise _Retryable(
                    DownloadIncomplete(
                        f"fichier tronqué : {received} octets reçus sur {expected} annoncés",
                        url=url,
                    )
                )
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                part.unlink()
            raise
        os.replace(part, dest)
        progress.done(received)
        result = DownloadResult(
            path=dest,
            url=url,
            sha256=digest.hexdigest(),
            size=received,
            not_modified=False,
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )
        _write_meta(meta_path, result)
        return result


def _content_length(response: httpx.Response) -> int | None:
    if response.headers.get("Content-Encoding", "identity") not in ("identity", ""):
        return None  # the length counts encoded bytes; iter_bytes yields decoded ones
    raw = response.headers.get("Content-Length")
    return int(raw) if raw and raw.isdigit() else None


def _read_meta(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


def _write_meta(path: Path, result: DownloadResult) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(
        json.dumps(
            {
                "url": result.url,
                "sha256": result.sha256,
                "size": result.size,
                "etag": result.etag,
                "last_modified": result.last_modified,
            }
        ),
        encoding="utf-8",
    )
    os.replace(tmp, path)


class _Progress:
    """Log download progress every tenth (or every 10 MB when the length is unknown)."""

    def __init__(self, url: str, total: int | None, enabled: bool) -> None:
        self.url, self.total, self.enabled = url, total, enabled
        self.started = time.monotonic()
        self.next_mark = 0.1 if total else 10 * 2**20

    def update(self, received: int) -> None:
        if not self.enabled:
            return
        if self.total:
            if received / self.total >= self.next_mark and received < self.total:
                log.info("Téléchargement %3.0f %% (%s)", 100 * received / self.total, self.url)
                self.next_mark += 0.1
        elif received >= self.next_mark:
            log.info("Téléchargement %.0f Mo (%s)", received / 2**20, self.url)
            self.next_mark += 10 * 2**20

    def done(self, received: int) -> None:
        elapsed = time.monotonic() - self.started
        log.info("Téléchargé %.1f Mo en %.1f s : %s", received / 2**20, elapsed, self.url)


@contextlib.contextmanager
def open_client(settings: Settings) -> Iterator[HttpClient]:
    """The client for this run: the offline mirror when ``settings.offline`` is set."""
    transport = MirrorTransport(settings.snapshot_dir) if settings.offline else None
    client = HttpClient(settings, transport=transport)
    try:
        yield client
    finally:
        client.close()
