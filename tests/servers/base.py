"""A small real HTTP server for tests: routes, conditional GET, recorded requests, faults.

Tests talk real HTTP to 127.0.0.1 through it, so the client code under test runs its
whole stack (sockets, keep-alive, redirects, streaming) exactly as against the real
upstream. Nothing is mocked or monkeypatched.

    with BaseServer() as server:
        route = server.add_static("/data.csv", b"a,b\\n1,2\\n", content_type="text/csv")
        route.fail_times(2)                     # two 503 answers, then the file
        ...                                     # client.download(f"{server.url}/data.csv", ...)
        assert server.count("/data.csv") == 3

Routes match an exact path and, optionally, an exact query (compared as a sorted list
of pairs, so parameter order does not matter). A route registered without a query
answers whatever query comes with its path, unless a route with that exact query exists.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, NamedTuple, Self
from urllib.parse import parse_qsl, urlsplit

from patrimoine.sandbox.server import TrackingHTTPServer

QueryKey = tuple[tuple[str, str], ...]
NO_BODY_STATUSES = frozenset({204, 304})


def query_key(query: str | Mapping[str, str] | Iterable[tuple[str, str]]) -> QueryKey:
    """Order-insensitive form of a query: ``"b=2&a=1"`` and ``{"a": "1", "b": "2"}`` match."""
    if isinstance(query, str):
        pairs: Iterable[tuple[str, str]] = parse_qsl(query, keep_blank_values=True)
    elif isinstance(query, Mapping):
        pairs = query.items()
    else:
        pairs = query
    return tuple(sorted((str(k), str(v)) for k, v in pairs))


def http_date(moment: datetime) -> str:
    """An HTTP date (RFC 9110 IMF-fixdate) for ``moment`` (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def strong_etag(body: bytes) -> str:
    """The ETag static bodies get: a quoted digest of the bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def json_bytes(obj: Any, *, ensure_ascii: bool = False, compact: bool = True) -> bytes:
    separators = (",", ":") if compact else (", ", ": ")
    return json.dumps(obj, ensure_ascii=ensure_ascii, separators=separators).encode("utf-8")


@dataclass
class Reply:
    """One HTTP answer. ``Content-Length`` is always added by the server."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(
        cls,
        obj: Any,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        *,
        content_type: str = "application/json",
        ensure_ascii: bool = False,
    ) -> Reply:
        all_headers = {"Content-Type": content_type, **(headers or {})}
        return cls(status, json_bytes(obj, ensure_ascii=ensure_ascii), all_headers)

    @classmethod
    def text(
        cls, text: str, status: int = 200, content_type: str = "text/plain; charset=utf-8"
    ) -> Reply:
        return cls(status, text.encode("utf-8"), {"Content-Type": content_type})


@dataclass(frozen=True)
class Request:
    """What a handler receives."""

    method: str
    path: str
    raw_query: str
    headers: Message
    body: bytes

    @property
    def query(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for key, value in parse_qsl(self.raw_query, keep_blank_values=True):
            result.setdefault(key, []).append(value)
        return result

    def arg(self, name: str, default: str | None = None) -> str | None:
        """First value of query parameter ``name``."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


class RecordedRequest(NamedTuple):
    """One request as the server saw it: ``(method, path_with_query, headers)``."""

    method: str
    path: str
    headers: Message  # case-insensitive: headers["if-none-match"]

    @property
    def path_only(self) -> str:
        return urlsplit(self.path).path

    @property
    def query(self) -> QueryKey:
        return query_key(urlsplit(self.path).query)


Handler = Callable[[Request], Reply]


class Route:
    """A path (and maybe a query) with its answer and its injected faults.

    Fault methods return the route, so they chain: ``route.fail_times(1).truncate(1, 10)``.
    Faults are consumed in this order: permanent ``status``, then ``fail_times``, then the
    normal answer (which ``truncate`` may cut).
    """

    def __init__(
        self,
        path: str,
        query: QueryKey | None,
        responder: Handler | Reply,
        methods: frozenset[str],
        *,
        conditional: bool = True,
    ) -> None:
        self.path = path
        self.query = query
        self.methods = methods
        self.conditional = conditional
        self.hits = 0
        self._responder: Handler | Reply = responder
        self._lock = threading.Lock()
        self._forced: Reply | None = None
        self._fail_left = 0
        self._fail_reply = Reply()
        self._truncate_left: int | None = 0
        self._truncate_at = 0
        self._delay = 0.0

    # -- content ------------------------------------------------------------------------
    @property
    def responder(self) -> Handler | Reply:
        return self._responder

    def set_responder(self, responder: Handler | Reply) -> Route:
        with self._lock:
            self._responder = responder
        return self

    def set_body(
        self,
        body: bytes,
        *,
        last_modified: datetime | str | None = None,
        content_type: str | None = None,
    ) -> Route:
        """Replace a static body: new ETag, new ``Last-Modified`` (now unless given)."""
        old = self._responder if isinstance(self._responder, Reply) else Reply()
        headers = dict(old.headers)
        if content_type:
            headers["Content-Type"] = content_type
        headers["ETag"] = strong_etag(body)
        headers["Last-Modified"] = _as_http_date(last_modified)
        return self.set_responder(Reply(old.status, body, headers))

    # -- faults -------------------------------------------------------------------------
    def fail_times(
        self,
        n: int,
        status: int = 503,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Route:
        """Answer the next ``n`` requests with ``status`` (JSON ``body``), then normally."""
        payload = body if body is not None else {"message": _phrase(status)}
        with self._lock:
            self._fail_left = n
            self._fail_reply = Reply.json(payload, status, headers)
        return self

    def truncate(self, n_times: int | None, at_bytes: int) -> Route:
        """Cut the next ``n_times`` bodies (``None``: all of them) after ``at_bytes`` bytes.

        The full ``Content-Length`` is announced, ``at_bytes`` bytes are sent, then the
        connection is closed, which is what a dropped transfer looks like to a client.
        """
        with self._lock:
            self._truncate_left = n_times
            self._truncate_at = at_bytes
        return self

    def status(self, code: int, json_body: Any = None) -> Route:
        """Answer every request with ``code`` and ``json_body`` until ``reset()``."""
        payload = json_body if json_body is not None else {"message": _phrase(code)}
        with self._lock:
            self._forced = Reply.json(payload, code)
        return self

    def delay(self, seconds: float) -> Route:
        """Wait ``seconds`` before answering (for timeout tests)."""
        with self._lock:
            self._delay = seconds
        return self

    def reset(self) -> Route:
        """Drop every injected fault."""
        with self._lock:
            self._forced = None
            self._fail_left = 0
            self._truncate_left = 0
            self._delay = 0.0
        return self

    # -- used by the server -------------------------------------------------------------
    def _next(self) -> tuple[Reply | None, int | None, float]:
        """(fault reply or None, truncation point or None, delay) for one request."""
        with self._lock:
            self.hits += 1
            if self._forced is not None:
                return self._forced, None, self._delay
            if self._fail_left > 0:
                self._fail_left -= 1
                return self._fail_reply, None, self._delay
            cut: int | None = None
            if self._truncate_left is None or self._truncate_left > 0:
                cut = self._truncate_at
            return None, cut, self._delay

    def _consume_truncation(self) -> None:
        with self._lock:
            if self._truncate_left:
                self._truncate_left -= 1

    def _answer(self, request: Request) -> Reply:
        responder = self._responder
        if isinstance(responder, Reply):
            return Reply(responder.status, responder.body, dict(responder.headers))
        return responder(request)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def _as_http_date(value: datetime | str | None) -> str:
    if value is None:
        return http_date(datetime.now(UTC))
    if isinstance(value, datetime):
        return http_date(value)
    return value


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison, as If-None-Match requires (RFC 9110 §13.1.2)."""
    if header.strip() == "*":
        return True
    wanted = etag.strip().removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def _not_modified_since(header: str, last_modified: str) -> bool:
    try:
        since = parsedate_to_datetime(header)
        modified = parsedate_to_datetime(last_modified)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None or modified.tzinfo is None:
        return False
    return modified <= since


def is_not_modified(request_headers: Message, reply: Reply) -> bool:
    """RFC 9110 §13.2.2: If-None-Match wins; If-Modified-Since only without it."""
    etag = reply.headers.get("ETag")
    if_none_match = request_headers.get("If-None-Match")
    if if_none_match is not None:
        return etag is not None and _etag_matches(if_none_match, etag)
    last_modified = reply.headers.get("Last-Modified")
    if_modified_since = request_headers.get("If-Modified-Since")
    if if_modified_since is not None and last_modified is not None:
        return _not_modified_since(if_modified_since, last_modified)
    return False


class _HTTPServer(TrackingHTTPServer):
    """Keeps track of open connections so that ``close()`` never waits on keep-alive."""

    def __init__(self, owner: BaseServer) -> None:
        self.owner = owner
        self.handler_threads: list[threading.Thread] = []
        super().__init__(("127.0.0.1", 0), _RequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        # ThreadingMixIn never joins daemon threads; these are tracked to be joined on close.
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"{threading.current_thread().name}:conn",
            daemon=True,
        )
        with self.sockets_lock:
            self.open_sockets.add(request)
            self.handler_threads = [t for t in self.handler_threads if t.is_alive()]
            self.handler_threads.append(thread)
        thread.start()

    def join_handlers(self, timeout: float) -> None:
        with self.sockets_lock:
            threads = list(self.handler_threads)
        for thread in threads:
            thread.join(timeout)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    timeout = 30  # a forgotten keep-alive connection cannot pin a thread forever
    # Headers and body leave in two segments: with Nagle's algorithm the body would wait
    # for the client's delayed ACK, about 40 ms per call on a keep-alive connection.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    def _dispatch(self) -> None:
        owner = self.server.owner
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        owner._record(RecordedRequest(self.command, self.path, self.headers))
        request = Request(self.command, split.path, split.query, self.headers, body)
        try:
            reply, cut = owner._respond(request)
        except Exception:
            trace = traceback.format_exc()
            owner.errors.append(trace)
            reply, cut = Reply.text(trace, 500), None
        self._send(reply, cut)

    def _send(self, reply: Reply, cut: int | None) -> None:
        head_only = self.command == "HEAD"
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        if reply.status not in NO_BODY_STATUSES:
            self.send_header("Content-Length", str(len(reply.body)))
        if cut is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        if head_only or reply.status in NO_BODY_STATUSES:
            return
        if cut is None:
            self.wfile.write(reply.body)
            return
        self.wfile.write(reply.body[:cut])
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_WR)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _dispatch


class BaseServer:
    """A threaded HTTP server on 127.0.0.1, started at construction, closed by ``close()``."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.errors: list[str] = []
        self._routes: dict[str, list[Route]] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = _HTTPServer(self)
        host, port = self._httpd.server_address[:2]
        self._url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{port}",
            daemon=True,
        )
        self._thread.start()
        self._closed = False

    # -- lifecycle ----------------------------------------------------------------------
    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return self._url

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def close(self) -> None:
        """Stop serving, drop open connections and join every server thread."""
        if self._closed:
            return
        self._closed = True
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.drop_connections()
        self._httpd.server_close()
        self._httpd.join_handlers(timeout=5)
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- routes -------------------------------------------------------------------------
    def add_route(
        self,
        path: str,
        responder: Handler | Reply,
        *,
        query: str | Mapping[str, str] | None = None,
        methods: Iterable[str] = ("GET", "HEAD"),
        conditional: bool = True,
    ) -> Route:
        """Register (or replace) the route for ``path`` [+ exact ``query``]."""
        key = query_key(query) if query is not None else None
        route = Route(
            path, key, responder, frozenset(m.upper() for m in methods), conditional=conditional
        )
        with self._lock:
            routes = [r for r in self._routes.get(path, []) if r.query != key]
            routes.append(route)
            self._routes[path] = routes
        return route

    def add_static(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = "application/octet-stream",
        headers: Mapping[str, str] | None = None,
        query: str | Mapping[str, str] | None = None,
        last_modified: datetime | str | None = None,
        etag: bool = True,
    ) -> Route:
        """A fixed body with ``ETag`` (from the bytes) and ``Last-Modified`` (now by default)."""
        all_headers = {"Content-Type": content_type}
        if etag:
            all_headers["ETag"] = strong_etag(body)
        if last_modified is not None or etag:
            all_headers["Last-Modified"] = _as_http_date(last_modified)
        all_headers.update(headers or {})
        return self.add_route(path, Reply(200, body, all_headers), query=query)

    def add_json(
        self,
        path: str,
        obj: Any,
        *,
        status: int = 200,
        query: str | Mapping[str, str] | None = None,
    ) -> Route:
        return self.add_route(path, Reply.json(obj, status), query=query)

    def remove_route(self, path: str, query: str | Mapping[str, str] | None = None) -> None:
        key = query_key(query) if query is not None else None
        with self._lock:
            routes = [r for r in self._routes.get(path, []) if r.query != key]
            if routes:
                self._routes[path] = routes
            else:
                self._routes.pop(path, None)

    def route(self, path_or_url: str, query: str | Mapping[str, str] | None = None) -> Route:
        """The registered route for a path or a full URL of this server (KeyError if none).

        A query inside ``path_or_url`` selects the route registered for that exact query,
        falling back to the route registered without a query.
        """
        split = urlsplit(path_or_url)
        raw_query = split.query if query is None else query
        found = self._match(split.path, query_key(raw_query) if raw_query else None)
        if found is None:
            raise KeyError(f"no route for {path_or_url!r}")
        return found

    def _match(self, path: str, key: QueryKey | None) -> Route | None:
        with self._lock:
            routes = list(self._routes.get(path, []))
        exact = next((r for r in routes if key is not None and r.query == key), None)
        if exact is not None:
            return exact
        any_query = next((r for r in routes if r.query is None), None)
        if any_query is not None:
            return any_query
        if key is None:
            return next((r for r in routes if r.query == ()), None)
        return None

    # -- requests log -------------------------------------------------------------------
    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose path (query ignored) is ``path`` (or a full URL's path)."""
        wanted = urlsplit(path).path
        with self._lock:
            recorded = list(self.requests)
        return [
            r
            for r in recorded
            if r.path_only == wanted and (method is None or r.method == method.upper())
        ]

    def count(self, path: str, method: str | None = None) -> int:
        return len(self.requests_to(path, method))

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- answering ----------------------------------------------------------------------
    def not_found(self, request: Request) -> Reply:
        """Answer for an unknown path; subclasses imitate their upstream's body."""
        return Reply.json({"message": "Not Found"}, 404)

    def _respond(self, request: Request) -> tuple[Reply, int | None]:
        key = query_key(request.raw_query) if request.raw_query else None
        route = self._match(request.path, key)
        if route is None:
            return self.not_found(request), None
        if request.method not in route.methods:
            allow = ", ".join(sorted(route.methods))
            reply = Reply.json({"message": "Method Not Allowed"}, 405, {"Allow": allow})
            return reply, None
        fault, cut, delay = route._next()
        if delay:
            self._closing.wait(delay)
        if fault is not None:
            return Reply(fault.status, fault.body, dict(fault.headers)), None
        reply = route._answer(request)
        if (
            route.conditional
            and request.method in ("GET", "HEAD")
            and reply.status == 200
            and is_not_modified(request.headers, reply)
        ):
            kept = {
                k: v
                for k, v in reply.headers.items()
                if k.lower() in ("etag", "last-modified", "cache-control", "vary")
            }
            return Reply(304, b"", kept), None
        if cut is not None and request.method != "HEAD" and reply.status == 200:
            route._consume_truncation()
            return reply, min(cut, len(reply.body))
        return reply, None
