"""A local data.gouv.fr on 127.0.0.1: udata's API v1 as a publisher sees it, and faults.

Run by ``patrimoine portal-sandbox`` so a data manager can rehearse a publication without
an account, and by the tests, which also inject faults on demand:

    with DatagouvPortal() as portal:
        portal.fail("PUT", r"/api/1/datasets/[^/]+/", 503)          # one 503 with X-Sentry-ID
        portal.delay("POST", r".*/upload/", 2.0, after=True)         # done, but answered late
        portal.drop("POST", r".*/upload/", after=True)               # done, connection cut
        ...  # publish with PATRIMOINE_DATAGOUV_PUBLISH_URL=portal.url and portal.api_key

``after=True`` lets the portal do the work before the fault: the client sees a failure
although the server did it, which is what a publisher must survive without duplicates.
Every request is recorded (:attr:`requests`, :meth:`writes`); nothing is mocked.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from patrimoine.sandbox.datagouv_state import (
    ALLOWED_EXTENSIONS,
    LICENSES,
    READ_ONLY_MESSAGE,
    REUSE_DELETED,
    REUSE_TOPICS,
    REUSE_TYPES,
    Answer,
    PortalState,
    Refused,
    parse_form,
)
from patrimoine.sandbox.server import TrackingHTTPServer

STATE_FILE = "datagouv-portal.json"
PROXY_413 = (
    "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
    "<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
DEFAULT_FAULT_BODIES: dict[int, Any] = {
    401: {"message": "Invalid API token"},
    403: {"message": "You do not have the permission to modify that object."},
    404: {"message": "Not found"},
    410: {"message": "Dataset has been deleted"},
    423: {"message": READ_ONLY_MESSAGE},
    429: {"message": "Too Many Requests"},
    500: {"message": "Internal Server Error"},
    502: {"message": "Bad Gateway"},
    503: {"message": "Service Unavailable"},
}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Fault:
    """One injected misbehaviour for requests matching ``method`` and the ``path`` regex."""

    method: str | None
    path: re.Pattern[str]
    times: int | None = 1
    """How many matching requests it hits (None: all)."""
    status: int | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    after: bool = False
    """Do the work first, then misbehave (the server did it; the client cannot know)."""
    skip: int = 0
    """Matching requests let through before the fault starts (e.g. the 2nd chunk of an upload)."""
    hits: int = 0
    seen: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        return (self.method is None or self.method == method) and bool(self.path.fullmatch(path))


@dataclass(frozen=True)
class Seen:
    """A request as the portal received it (headers kept to check what clients send)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS


class _Server(TrackingHTTPServer):
    def __init__(self, portal: DatagouvPortal, host: str, port: int) -> None:
        self.portal = portal
        super().__init__((host, port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30
    disable_nagle_algorithm = True  # else each answer's body waits ~40 ms for a delayed ACK

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the sandbox prints its own French lines."""

    def _handle(self) -> None:
        portal = self.server.portal
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        portal._record(Seen(self.command, self.path, dict(self.headers.items()), body))
        fault = portal._fault(self.command, split.path)
        if fault is not None and not fault.after and self._misbehave(fault):
            return
        try:
            answer = portal._answer(self.command, split.path, split.query, self.headers, body)
        except Exception as exc:  # a bug of the sandbox: a 500 udata-style, kept for tests
            portal.errors.append(repr(exc))
            answer = Answer(500, {"message": "Internal Server Error"}, _sentry())
        if fault is not None and fault.after and self._misbehave(fault):
            return
        self._send(answer)

    def _misbehave(self, fault: Fault) -> bool:
        """Apply ``fault``; True when it answered (or cut) in place of the portal."""
        if fault.delay:
            time.sleep(fault.delay)
        if fault.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if fault.status is not None:
            self._write(fault.status, fault.body, fault.headers)
            return True
        return False

    def _send(self, answer: Answer) -> None:
        headers = dict(answer.headers)
        if isinstance(answer.body, bytes):
            payload = answer.body
        elif answer.body is None:
            payload = b""
        else:
            payload = json.dumps(answer.body, ensure_ascii=False).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        self._write(answer.status, payload, headers)

    def _write(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status not in (204, 304):
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if status not in (204, 304) and self.command != "HEAD":
                self.wfile.write(payload)
        except OSError:  # the client gave up (its timeout): nothing to answer to
            self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


def _sentry() -> dict[str, str]:
    return {"X-Sentry-ID": uuid.uuid4().hex}


Route = tuple[str, re.Pattern[str], Callable[..., Answer]]


class DatagouvPortal:
    """The local data.gouv.fr: started at construction, stopped by :meth:`close`.

    One user (``api_key``) member of one organization (``organization``) exists from the
    start; ``data_dir`` keeps the state (and the files) across restarts.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        data_dir: Path | None = None,
        api_key: str | None = None,
    ) -> None:
        self.requests: list[Seen] = []
        self.errors: list[str] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._server = _Server(self, host, port)
        self.url = f"http://{host}:{self._server.server_address[1]}"
        path = None
        if data_dir is not None:
            data_dir.mkdir(parents=True, exist_ok=True)
            path = data_dir / STATE_FILE
        self.state = PortalState(self.url, path)
        if self.state.organizations:
            org = next(iter(self.state.organizations.values()))
            self.organization = str(org["id"])
            member = org["members"][0]["user"]
            self.api_key = next(k for k, u in self.state.keys.items() if u == member)
        else:
            user, self.api_key = self.state.add_user("Gestionnaire des données", api_key)
            self.organization = self.state.add_organization("Collectivité (bac à sable)", [user])
        self._routes = self._route_table()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="datagouv-portal", daemon=True
        )
        self._thread.start()

    # -- lifecycle --------------------------------------------------------------------
    def close(self) -> None:
        self._server.shutdown()
        self._server.drop_connections()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- faults -----------------------------------------------------------------------
    def inject(self, method: str | None, path: str, **fault: Any) -> Fault:
        """A :class:`Fault` for ``method`` (None: any) on paths matching ``path`` (regex)."""
        made = Fault(method, re.compile(path), **fault)
        with self._lock:
            self._faults.append(made)
        return made

    def fail(
        self, method: str | None, path: str, status: int, *, times: int | None = 1, **extra: Any
    ) -> Fault:
        """Answer ``status`` with udata's body for it (a proxy's HTML page for 413)."""
        headers: dict[str, str] = dict(extra.pop("headers", {}))
        if status == 413:
            body = PROXY_413.encode()
            headers.setdefault("Content-Type", "text/html")
        elif status == 410 and "reuses" in path:  # udata words it per object kind
            body = json.dumps({"message": REUSE_DELETED}).encode()
        else:
            body = json.dumps(DEFAULT_FAULT_BODIES.get(status, {"message": "Error"})).encode()
            headers.setdefault("Content-Type", "application/json")
        if status >= 500:
            headers.update(_sentry())
        if status == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="uData"')
        if status == 429:
            headers.setdefault("Retry-After", "0")
        return self.inject(
            method, path, status=status, body=body, headers=headers, times=times, **extra
        )

    def delay(
        self, method: str | None, path: str, seconds: float, *, after: bool = False, **extra: Any
    ) -> Fault:
        """Answer late (a client's timeout); ``after``: the work is done before the wait."""
        return self.inject(method, path, delay=seconds, after=after, **extra)

    def drop(self, method: str | None, path: str, *, after: bool = False, **extra: Any) -> Fault:
        """Cut the connection without an answer, like a crashed worker."""
        return self.inject(method, path, drop=True, after=after, **extra)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.seen += 1
                    if fault.seen <= fault.skip:
                        continue
                    fault.hits += 1
                    return fault
        return None

    # -- observation ------------------------------------------------------------------
    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    def writes(self) -> list[Seen]:
        """Requests that may change something (POST, PUT, PATCH, DELETE)."""
        with self._lock:
            return [r for r in self.requests if r.is_write]

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- dispatch ---------------------------------------------------------------------
    def _route_table(self) -> list[Route]:
        ds, rid, reuse = r"(?P<ds>[^/]+)", r"(?P<rid>[^/]+)", r"(?P<reuse>[^/]+)"
        table: list[tuple[str, str, Callable[..., Answer]]] = [
            ("GET", r"/", self._page),
            ("GET", r"/api/1/me/", self._me),
            ("GET", r"/api/1/datasets/licenses/", self._licenses),
            ("GET", r"/api/1/datasets/extensions/", self._extensions),
            ("GET", rf"/api/1/datasets/r/{rid}/?", self._permalink),
            ("GET", r"/api/1/datasets/", self._list),
            ("POST", r"/api/1/datasets/", self._create),
            ("GET", r"/api/1/organizations/(?P<org>[^/]+)/datasets/", self._org_datasets),
            ("GET", rf"/api/1/datasets/{ds}/", self._get),
            ("PUT", rf"/api/1/datasets/{ds}/", self._put),
            ("DELETE", rf"/api/1/datasets/{ds}/", self._delete),
            ("POST", rf"/api/1/datasets/{ds}/upload/", self._upload),
            ("POST", rf"/api/1/datasets/{ds}/resources/", self._remote),
            ("GET", rf"/api/1/datasets/{ds}/resources/{rid}/", self._get_resource),
            ("PUT", rf"/api/1/datasets/{ds}/resources/{rid}/", self._put_resource),
            ("DELETE", rf"/api/1/datasets/{ds}/resources/{rid}/", self._delete_resource),
            ("POST", rf"/api/1/datasets/{ds}/resources/{rid}/upload/", self._upload),
            ("GET", r"/api/1/reuses/types/", self._reuse_types),
            ("GET", r"/api/1/reuses/topics/", self._reuse_topics),
            ("GET", r"/api/1/reuses/", self._reuses),
            ("POST", r"/api/1/reuses/", self._create_reuse),
            ("GET", rf"/api/1/reuses/{reuse}/", self._get_reuse),
            ("PUT", rf"/api/1/reuses/{reuse}/", self._put_reuse),
            ("DELETE", rf"/api/1/reuses/{reuse}/", self._delete_reuse),
            ("POST", rf"/api/1/reuses/{reuse}/datasets/", self._reuse_dataset),
            ("POST", rf"/api/1/reuses/{reuse}/image/", self._reuse_image),
            ("GET", r"/files/(?P<key>.+)", self._file),
            ("GET", r"/datasets/(?P<ds>[^/]+)/", self._dataset_page),
            ("GET", rf"/reuses/{reuse}/", self._reuse_page),
        ]
        return [(m, re.compile(p), h) for m, p, h in table]

    def _answer(self, method: str, path: str, query: str, headers: Any, body: bytes) -> Answer:
        known_path = False
        for route_method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            known_path = True
            if route_method != method and not (method == "HEAD" and route_method == "GET"):
                continue
            request = _Call(method, path, dict(parse_qsl(query)), headers, body)
            try:
                request.user = self.state.user_for(headers.get("X-API-KEY"))
                return handler(request, **match.groupdict())
            except Refused as refused:
                answer = refused.answer
                if answer.status == 308:
                    groups = match.groupdict()
                    ident = groups.get("ds") or groups["reuse"]
                    new = path.replace(f"/{ident}/", f"/{answer.headers['Location']}/", 1)
                    return Answer(308, None, {"Location": new + (f"?{query}" if query else "")})
                return answer
        if known_path:
            return Answer(405, {"message": "The method is not allowed for the requested URL."})
        return Answer(404, {"message": "Not found"})

    # -- handlers ---------------------------------------------------------------------
    def _me(self, call: _Call) -> Answer:
        user = self.state.require(call.user)
        orgs = [
            {"id": o["id"], "name": o["name"], "slug": o["slug"]}
            for o in self.state.organizations.values()
            if self.state.is_member(user, o["id"])
        ]
        return Answer(200, {**self.state.users[user], "organizations": orgs})

    def _licenses(self, call: _Call) -> Answer:
        return Answer(200, [{"id": k, "title": v} for k, v in LICENSES.items()])

    def _extensions(self, call: _Call) -> Answer:
        return Answer(200, sorted(ALLOWED_EXTENSIONS))

    def _list(self, call: _Call) -> Answer:
        return self.state.listing(call.user, call.query)

    def _org_datasets(self, call: _Call, org: str) -> Answer:
        if org not in self.state.organizations:
            return Answer(404, {"message": "Not found"})
        return self.state.listing(call.user, call.query, organization=org)

    def _create(self, call: _Call) -> Answer:
        return self.state.create_dataset(call.json(), self.state.require(call.user))

    def _get(self, call: _Call, ds: str) -> Answer:
        with self.state.lock:
            return Answer(200, self.state.find(ds, call.user))

    def _put(self, call: _Call, ds: str) -> Answer:
        return self.state.update_dataset(ds, call.json(), call.user)

    def _delete(self, call: _Call, ds: str) -> Answer:
        return self.state.delete_dataset(ds, call.user)

    def _upload(self, call: _Call, ds: str, rid: str | None = None) -> Answer:
        fields, files = parse_form(call.headers.get("Content-Type", ""), call.body)
        return self.state.upload(ds, fields, files, call.user, rid)

    def _remote(self, call: _Call, ds: str) -> Answer:
        return self.state.create_remote(ds, call.json(), call.user)

    def _get_resource(self, call: _Call, ds: str, rid: str) -> Answer:
        with self.state.lock:
            return Answer(200, self.state.resource_in(self.state.find(ds, call.user), rid))

    def _put_resource(self, call: _Call, ds: str, rid: str) -> Answer:
        return self.state.update_resource(ds, rid, call.json(), call.user)

    def _delete_resource(self, call: _Call, ds: str, rid: str) -> Answer:
        return self.state.delete_resource(ds, rid, call.user)

    def _reuse_types(self, call: _Call) -> Answer:
        return Answer(200, [{"id": k, "label": v} for k, v in REUSE_TYPES.items()])

    def _reuse_topics(self, call: _Call) -> Answer:
        return Answer(200, [{"id": k, "label": v} for k, v in REUSE_TOPICS.items()])

    def _reuses(self, call: _Call) -> Answer:
        return self.state.reuse_listing(call.user, call.query)

    def _create_reuse(self, call: _Call) -> Answer:
        return self.state.create_reuse(call.json(), self.state.require(call.user))

    def _get_reuse(self, call: _Call, reuse: str) -> Answer:
        with self.state.lock:
            return Answer(200, self.state.reuse_view(self.state.find_reuse(reuse, call.user)))

    def _put_reuse(self, call: _Call, reuse: str) -> Answer:
        self.state.require(call.user)  # a 401 before the Content-Type check, like datasets
        return self.state.update_reuse(reuse, call.json(), call.user)

    def _delete_reuse(self, call: _Call, reuse: str) -> Answer:
        return self.state.delete_reuse(reuse, call.user)

    def _reuse_dataset(self, call: _Call, reuse: str) -> Answer:
        self.state.require(call.user)
        return self.state.add_reuse_dataset(reuse, call.json(), call.user)

    def _reuse_image(self, call: _Call, reuse: str) -> Answer:
        _, files = parse_form(call.headers.get("Content-Type", ""), call.body)
        return self.state.reuse_image(reuse, files, call.user)

    def _permalink(self, call: _Call, rid: str) -> Answer:
        with self.state.lock:
            resource = self.state.find_resource(rid)
        if resource is None:
            return Answer(404, {"message": "Resource does not exist"})
        return Answer(302, None, {"Location": str(resource["url"])})

    def _file(self, call: _Call, key: str) -> Answer:
        with self.state.lock:
            stored = self.state.files.get(key)
        if stored is None:
            return Answer(404, b"Not found", {"Content-Type": "text/plain"})
        mime, content = stored
        return Answer(200, content, {"Content-Type": mime})

    def _dataset_page(self, call: _Call, ds: str) -> Answer:
        """A dataset's web page (what publication results link to): its block on ``/``."""
        with self.state.lock:
            dataset = self.state.find(ds, call.user)
        return Answer(302, None, {"Location": f"/#{dataset['id']}"})

    def _reuse_page(self, call: _Call, reuse: str) -> Answer:
        """A reuse's web page (its ``page`` field): its block on ``/``."""
        with self.state.lock:
            found = self.state.find_reuse(reuse, call.user)
        return Answer(302, None, {"Location": f"/#{found['id']}"})

    def _page(self, call: _Call) -> Answer:
        return Answer(
            200, self.page().encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"}
        )

    def page(self) -> str:
        """The French page at ``/``: every dataset, its resources, ids and permalinks; reuses."""
        esc = html.escape
        with self.state.lock:
            datasets = list(self.state.datasets.values())
            reuses = [self.state.reuse_view(r) for r in self.state.reuses.values()]
        blocks = []
        for d in datasets:
            flags = [
                label
                for label, on in (
                    ("privé", d["private"]),
                    ("supprimé", d["deleted"]),
                    ("archivé", d["archived"]),
                )
                if on
            ]
            rows = "".join(
                "<tr>"
                f"<td>{esc(str(r['title']))}</td><td><code>{esc(r['id'])}</code></td>"
                f"<td>{esc(str(r['type']))}</td><td>{esc(str(r['format']))}</td>"
                f"<td>{r['filesize'] if r['filesize'] is not None else ''}</td>"
                f"<td><code>{esc((r.get('checksum') or {}).get('value', ''))}</code></td>"
                f'<td><a href="{esc(r["latest"])}">{esc(r["latest"])}</a></td>'
                "</tr>"
                for r in d["resources"]
            )
            blocks.append(
                f'<section id="{esc(d["id"])}"><h2>{esc(d["title"])}</h2>'
                f"<p>Identifiant : <code>{esc(d['id'])}</code> — slug : <code>{esc(d['slug'])}"
                f"</code>{' — ' + ', '.join(flags) if flags else ''} — "
                f'<a href="/api/1/datasets/{esc(d["id"])}/">API</a></p>'
                "<table><tr><th>Ressource</th><th>Identifiant</th><th>Type</th><th>Format</th>"
                "<th>Taille (octets)</th><th>sha1</th><th>Lien permanent</th></tr>"
                f"{rows}</table></section>"
            )
        body = "".join(blocks) or "<p>Aucun jeu de données publié pour l'instant.</p>"
        body += "<h2>Réutilisations</h2>" + (
            "".join(self._reuse_block(r) for r in reuses)
            or "<p>Aucune réutilisation pour l'instant.</p>"
        )
        return (
            '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
            "<title>data.gouv.fr local (bac à sable)</title>"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left}</style></head>"
            f"<body><h1>data.gouv.fr local (bac à sable)</h1>"
            f"<p>{len(datasets)} jeu(x) de données, {len(reuses)} réutilisation(s). "
            f"API : <code>{esc(self.url)}/api/1/</code>, "
            f"organisation <code>{esc(self.organization)}</code>.</p>{body}</body></html>"
        )

    @staticmethod
    def _reuse_block(reuse: dict[str, Any]) -> str:
        esc = html.escape
        flags = [
            label
            for label, on in (("privée", reuse["private"]), ("supprimée", reuse["deleted"]))
            if on
        ]
        used = "".join(
            f'<li><a href="/#{esc(d["id"])}">{esc(d["title"])}</a> '
            f"(<code>{esc(d['id'])}</code>)</li>"
            for d in reuse["datasets"]
        )
        image = f' — <a href="{esc(reuse["image"])}">image</a>' if reuse["image"] else ""
        return (
            f'<section id="{esc(reuse["id"])}"><h3>{esc(reuse["title"])}</h3>'
            f"<p>Identifiant : <code>{esc(reuse['id'])}</code> — slug : <code>"
            f"{esc(reuse['slug'])}</code> — {esc(reuse['type'])}, {esc(reuse['topic'])}"
            f"{' — ' + ', '.join(flags) if flags else ''} — "
            f'<a href="{esc(reuse["url"])}">{esc(reuse["url"])}</a>{image} — '
            f'<a href="/api/1/reuses/{esc(reuse["id"])}/">API</a></p>'
            f"<p>Jeux de données utilisés :</p><ul>{used or '<li>aucun</li>'}</ul></section>"
        )


class _Call:
    """One parsed API request."""

    def __init__(self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes):
        self.method, self.path, self.query, self.headers, self.body = (
            method,
            path,
            query,
            headers,
            body,
        )
        self.user: str | None = None

    def json(self) -> Any:
        content_type = self.headers.get("Content-Type", "")
        if not content_type.startswith("application/json"):
            raise Refused(400, {"errors": {"Content-Type": "expecting application/json"}})
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            raise Refused(
                400,
                {
                    "message": "The browser (or proxy) sent a request that this server "
                    "could not understand."
                },
            ) from None


__all__ = ["DatagouvPortal", "Fault", "HTTPStatus", "Seen"]
