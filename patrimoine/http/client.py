"""HTTP client shared by every source.

Why a wrapper around httpx: upstream servers are slow, flaky and large, and every source
needs the same answers to the same problems: bounded retries with backoff, a conditional
GET so an unchanged 100 MB file is not fetched again, a download that is either complete
or not there at all, and errors that say which URL failed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import httpx

from patrimoine import __version__
from patrimoine.config import Settings
from patrimoine.errors import (
    DownloadIncomplete,
    HTTPStatusError,
    NetworkError,
    NotInSnapshot,
    SourceError,
)
from patrimoine.http.mirror import MIRROR_HEADER, MirrorTransport

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Statuses worth another attempt; any other error status is final."""
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


@dataclass(frozen=True)
class _CacheMeta:
    """The sidecar ``dest.http.json``: what the cached file must be, and its validators."""

    url: str
    sha256: str
    size: int
    etag: str | None
    last_modified: str | None

    def conditional_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


MAX_DELAY = 120.0


class _Retryable(Exception):
    """Wraps an error worth another attempt (timeouts, resets, 408/429/5xx)."""

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
        self._timeout = httpx.Timeout(settings.http_timeout, connect=min(settings.http_timeout, 15))
        self._client = httpx.Client(
            transport=transport,
            timeout=self._timeout,
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
                    raise retryable.error from retryable.__cause__
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

    def _failure(self, exc: httpx.RequestError, url: str) -> SourceError | _Retryable:
        """The error to raise for ``exc``: wrapped for a retry only when it is transient."""
        error = _request_error(exc, url, self._timeout)
        return _Retryable(error) if error.transient else error

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
        if response.status_code == 408:
            error.transient = True  # the server timed out waiting: a timeout like any other
        if response.status_code in RETRY_STATUSES:
            raise _Retryable(error, _retry_after(response))
        raise error

    # -- JSON -----------------------------------------------------------------------------
    def get_json(self, url: str, params: dict[str, str] | None = None) -> Any:
        """GET a JSON document; only timeouts, resets, 408, 429 and 5xx are retried."""
        full = str(httpx.URL(url).copy_merge_params(params)) if params else url

        def attempt() -> Any:
            try:
                response = self._client.get(full)
            except httpx.RequestError as exc:
                raise self._failure(exc, full) from exc
            self._check_status(response, full)
            try:
                return response.json()
            except ValueError:
                raise SourceError("la réponse n'est pas du JSON valide", url=full) from None

        return self._with_retries(full, attempt)

    # -- raw bodies -----------------------------------------------------------------------
    def get_bytes(self, url: str, params: dict[str, str] | None = None) -> tuple[bytes, str]:
        """GET a whole body and its ``Content-Type``, retried exactly like :meth:`get_json`.

        For answers the caller must inspect before parsing: an OGC service may answer an
        XML ``ExceptionReport`` with HTTP 200 where JSON was asked.
        """
        full = str(httpx.URL(url).copy_merge_params(params)) if params else url

        def attempt() -> tuple[bytes, str]:
            try:
                response = self._client.get(full)
            except httpx.RequestError as exc:
                raise self._failure(exc, full) from exc
            self._check_status(response, full)
            return response.content, response.headers.get("Content-Type", "")

        return self._with_retries(full, attempt)

    # -- any method (portal APIs) ----------------------------------------------------------
    def send(
        self,
        method: str,
        url: str,
        *,
        retry: bool = True,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One API call (``json=``, ``files=``, ``data=``, ``headers=``…), its response as is.

        Timeouts, resets, 408, 429 and 5xx are retried with the same backoff as downloads
        (``Retry-After`` honoured); any other status is returned for the caller to explain
        (a portal's 401 deserves its own French message). ``retry=False`` for a call that
        must not be repeated blindly (a creation the caller checks for first). Headers are
        never logged: an API key stays out of every message.
        """
        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = httpx.Timeout(timeout, connect=min(timeout, 15))

        def attempt() -> httpx.Response:
            try:
                response = self._client.request(method, url, **kwargs, **extra)
            except httpx.RequestError as exc:
                raise self._failure(exc, url) from exc
            if response.status_code in RETRY_STATUSES or response.status_code == 408:
                error = HTTPStatusError(
                    f"le serveur a répondu HTTP {response.status_code}",
                    status_code=response.status_code,
                    url=url,
                )
                error.transient = True
                raise _Retryable(error, _retry_after(response))
            return response

        if not retry:
            try:
                return attempt()
            except _Retryable as retryable:
                raise retryable.error from retryable.__cause__
        return self._with_retries(url, attempt)

    # -- files ----------------------------------------------------------------------------
    def download(self, url: str, dest: Path) -> DownloadResult:
        """Stream ``url`` to ``dest``; reuse ``dest`` when the server answers 304.

        The body goes to ``dest.part`` and is renamed only once complete and of the
        announced length, so a truncated transfer can never be parsed as a whole file.
        The cached ``dest`` is checked against its recorded size and sha256 before a
        conditional GET: a damaged cache is downloaded again instead of being reused.
        """
        dest.parent.mkdir(parents=True, exist_ok=True)
        meta_path = dest.with_name(dest.name + ".http.json")
        cached = _verified_cache(url, dest, meta_path)
        conditional = cached.conditional_headers() if cached else {}

        def attempt() -> DownloadResult:
            try:
                with self._client.stream("GET", url, headers=conditional) as response:
                    if response.status_code == 304:
                        return _reuse(url, dest, cached if conditional else None)
                    self._check_status(response, url)
                    return self._stream_to(response, url, dest, meta_path)
            except httpx.RequestError as exc:
                raise self._failure(exc, url) from exc

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
                try:
                    for chunk in response.iter_bytes(CHUNK_SIZE):
                        out.write(chunk)
                        digest.update(chunk)
                        received += len(chunk)
                        progress.update(received)
                except (httpx.ReadError, httpx.RemoteProtocolError) as exc:
                    # the peer closed or reset mid-body: a cut transfer, not a lost network
                    raise _Retryable(_incomplete(response, expected, url)) from exc
            if expected is not None and received != expected:
                raise _Retryable(_incomplete(response, expected, url))
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


def _reuse(url: str, dest: Path, cached: _CacheMeta | None) -> DownloadResult:
    """The cached file after a 304, which is only valid as the answer to a conditional GET."""
    if cached is None:
        raise SourceError(
            "le serveur a répondu 304 (non modifié) à une requête sans en-tête conditionnel : "
            "réponse invalide, aucun fichier n'a été reçu",
            url=url,
            hint="le serveur ou un proxy renvoie une réponse de cache erronée : "
            "signalez-le à l'hébergeur de la source, puis relancez",
        )
    log.info("Inchangé depuis le dernier téléchargement : %s", url)
    return DownloadResult(
        path=dest,
        url=url,
        sha256=cached.sha256,
        size=cached.size,
        not_modified=True,
        etag=cached.etag,
        last_modified=cached.last_modified,
    )


def _verified_cache(url: str, dest: Path, meta_path: Path) -> _CacheMeta | None:
    """The sidecar of ``dest`` when ``dest`` is exactly the file it describes, else None.

    A cache cut or altered on disk (full disk, crash between the file and its sidecar,
    a hand edit) would otherwise be reused on every 304, silently or failing each night.
    """
    if not dest.is_file():
        return None
    meta = _read_meta(meta_path)
    if meta is not None and meta.url != url:
        # The producer published a new file under a new URL: a normal night, not damage.
        log.info("Nouvelle URL pour ce fichier : %s", url)
        return None
    if meta is None:
        problem = f"inutilisable ({meta_path.name} absent ou illisible)"
    elif not _file_matches(dest, meta):
        problem = "endommagé (taille ou empreinte différente)"
    else:
        return meta
    log.warning("Fichier en cache %s : nouveau téléchargement de %s", problem, url)
    return None


def _file_matches(path: Path, meta: _CacheMeta) -> bool:
    """Size first (free), then the sha256, read in chunks so a 100 MB file stays cheap."""
    try:
        if path.stat().st_size != meta.size:
            return False
        with path.open("rb") as cached:
            return hashlib.file_digest(cached, "sha256").hexdigest() == meta.sha256
    except OSError:
        return False


def _incomplete(response: httpx.Response, expected: int | None, url: str) -> DownloadIncomplete:
    received = response.num_bytes_downloaded
    if expected is not None:
        cause = f"fichier tronqué : {received} octets reçus sur {expected} annoncés"
    else:
        cause = f"fichier tronqué : connexion interrompue par le serveur après {received} octets"
    return DownloadIncomplete(cause, url=url, transient=True)


TRANSIENT_TRANSPORT_ERRORS = (
    httpx.TimeoutException,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)
"""Timeouts and connections cut by the peer: the only transport failures worth a retry."""


def _request_error(exc: httpx.RequestError, url: str, timeout: httpx.Timeout) -> SourceError:
    """A plain French cause for an httpx failure; transient only for timeouts and resets."""
    if isinstance(exc, httpx.TooManyRedirects):
        return SourceError("trop de redirections", url=url)
    if isinstance(exc, httpx.DecodingError):
        return SourceError("réponse mal compressée ou mal encodée", url=url)
    transient = isinstance(exc, TRANSIENT_TRANSPORT_ERRORS)
    return NetworkError(_network_cause(exc, url, timeout), url=url, transient=transient)


def _network_cause(exc: httpx.RequestError, url: str, timeout: httpx.Timeout) -> str:
    host, port = _target(exc, url)
    if isinstance(exc, httpx.ConnectTimeout):
        return f"délai de connexion dépassé ({_seconds(timeout.connect)} s) : {host}:{port}"
    if isinstance(exc, httpx.WriteTimeout):
        return f"délai d'envoi dépassé ({_seconds(timeout.write)} s)"
    if isinstance(exc, httpx.TimeoutException):
        return f"délai de réponse dépassé ({_seconds(timeout.read)} s)"
    if isinstance(exc, (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)):
        return "connexion interrompue par le serveur"
    if isinstance(exc, httpx.ConnectError):
        return _connect_cause(exc, host, port)
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"protocole non pris en charge : {httpx.URL(url).scheme or '(aucun)'}"
    if isinstance(exc, httpx.ProxyError):
        return "le proxy a refusé la connexion"
    return f"erreur réseau ({type(exc).__name__})"


def _seconds(value: float | None) -> str:
    return "∞" if value is None else f"{value:g}"


def _connect_cause(exc: httpx.ConnectError, host: str, port: int | None) -> str:
    """Why the connection could not be opened, from the OS error under httpx's."""
    root = _os_error(exc)
    if isinstance(root, ssl.SSLError):
        reason = getattr(root, "verify_message", None) or root.reason or str(root)
        return f"échec de la connexion sécurisée (TLS) avec {host} : {reason}"
    if isinstance(root, socket.gaierror):
        return f"nom d'hôte introuvable : {host}"
    if isinstance(root, ConnectionRefusedError):
        return f"connexion refusée par {host}:{port}"
    if root is not None and root.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return f"réseau inaccessible : {host}:{port}"
    return f"connexion impossible : {host}:{port}"


def _os_error(exc: BaseException) -> OSError | None:
    """The socket or TLS error at the bottom of httpx's and httpcore's wrappers."""
    seen: BaseException | None = exc
    for _ in range(10):  # chained exceptions can loop; the real chain is 2-3 deep
        if seen is None or isinstance(seen, OSError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _target(exc: httpx.RequestError, url: str) -> tuple[str, int | None]:
    """Host and port actually contacted (a redirect may have led elsewhere than ``url``)."""
    try:
        target = exc.request.url
    except RuntimeError:  # an error raised outside a request
        target = httpx.URL(url)
    return target.host, target.port or {"http": 80, "https": 443}.get(target.scheme)


def _content_length(response: httpx.Response) -> int | None:
    if response.headers.get("Content-Encoding", "identity") not in ("identity", ""):
        return None  # the length counts encoded bytes; iter_bytes yields decoded ones
    raw = response.headers.get("Content-Length")
    return int(raw) if raw and raw.isdigit() else None


def _read_meta(path: Path) -> _CacheMeta | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    url, digest, size = data.get("url"), data.get("sha256"), data.get("size")
    if not (isinstance(url, str) and isinstance(digest, str) and type(size) is int):
        return None
    etag, last_modified = data.get("etag"), data.get("last_modified")
    return _CacheMeta(
        url=url,
        sha256=digest,
        size=size,
        etag=etag if isinstance(etag, str) else None,
        last_modified=last_modified if isinstance(last_modified, str) else None,
    )


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
    """Log download progress every tenth (or every 10 MB when the length is unknown).

    Observers (the command line's live display on a terminal) also get every chunk: the
    log lines are too coarse for a byte count and a rate. Those lines carry the ``extra``
    flag ``patrimoine_progress`` so that a display showing a bar can leave them out.
    """

    observers: ClassVar[list[Callable[[str, int, int | None, float], None]]] = []
    """``observer(url, received, announced or None, seconds)``, registered by the CLI for the
    time of a run; an observer's error never stops a download."""

    def __init__(self, url: str, total: int | None, enabled: bool) -> None:
        self.url, self.total, self.enabled = url, total, enabled
        self.started = time.monotonic()
        self.next_mark = 0.1 if total else 10 * 2**20

    def _notify(self, received: int, total: int | None) -> None:
        for observer in list(self.observers):
            try:
                observer(self.url, received, total, time.monotonic() - self.started)
            except Exception:  # a display problem is not a download problem
                log.debug("affichage de la progression en échec", exc_info=True)

    def update(self, received: int) -> None:
        if not self.enabled:
            return
        self._notify(received, self.total)
        flag = {"patrimoine_progress": True}
        if self.total:
            if received / self.total >= self.next_mark and received < self.total:
                log.info(
                    "Téléchargement %3.0f %% (%s)",
                    100 * received / self.total,
                    self.url,
                    extra=flag,
                )
                self.next_mark += 0.1
        elif received >= self.next_mark:
            log.info("Téléchargement %.0f Mo (%s)", received / 2**20, self.url, extra=flag)
            self.next_mark += 10 * 2**20

    def done(self, received: int) -> None:
        elapsed = time.monotonic() - self.started
        if self.enabled:
            self._notify(received, received)
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
