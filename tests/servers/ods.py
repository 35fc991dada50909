"""A local OpenDataSoft (Huwise) portal speaking the Automation API v1.0, for tests.

    with OdsServer(api_key="cle-de-test") as ods:
        env = {"PATRIMOINE_ODS_URL": ods.url, "PATRIMOINE_ODS_API_KEY": "cle-de-test"}
        ...
        assert ods.count_writes() == 0

The contract follows ``shared/reference/specs/ods_automation_openapi.json`` (base
``/api/automation/v1.0/``, paths with a trailing slash):

``GET/POST datasets/``
    paginated list (``total_count``/``next``/``previous``/``results``, ``?dataset_id=``
    filter, ``limit``/``offset``); creation needs ``metadata.default`` with ``title``,
    ``modified`` and ``language`` (the template's required fields) and a ``dataset_id``
    unique on the domain, answers 201 with a ``da_…`` uid, else 400 ``validation_error``.
``GET/PUT datasets/{uid}/``, ``GET datasets/{uid}/status/``
    the Dataset and the ``DatasetProcessingStatus`` object.
``GET/PUT datasets/{uid}/metadata/``, ``…/metadata/{template}/``, ``…/{template}/{field}/``
    whole replacement of all or one template, or one ``{"value": …}`` field.
``GET/POST datasets/{uid}/resources/``, ``GET/PUT/DELETE …/resources/{re_uid}/``
    full Resource objects (``type``, ``title``, ``datasource`` required, read-only fields
    filled by the server); an ``uploaded_file`` datasource must name a file of the dataset.
``POST datasets/{uid}/resources/files/``
    multipart ``file``; answers 200 with a DatasetFile whose uid is the file name, made
    unique (``name-2.csv``) when the dataset already has one: clients must keep it.
``GET/POST datasets/{uid}/attachments/``, ``GET/DELETE …/attachments/{at_uid}/``, ``…/download/``
    paginated list of DatasetAttachment objects (``uid``, ``filename``, ``mimetype``,
    ``created_at``); creation from a multipart ``file`` answers 201 with a random
    ``at_…`` uid (400 ``validation_error`` without ``file``), deletion 204, download the
    bytes (``application/octet-stream`` with a ``Content-Disposition``); 404 ``not_found``
    for an unknown dataset or attachment.
``POST datasets/{uid}/publish/``, ``…/publish_metadata/``
    200 ``{"detail": "ok"}``; asynchronous: the status goes ``queued`` → ``processing`` →
    ``idle`` over ``processing_polls`` status reads (``error`` with ``records_errors`` after
    :meth:`OdsServer.fail_processing`), and ``is_published`` becomes true.

Every write while the dataset is busy (queued, processing…) answers 400
``invalid_dataset_status``, as publish does in the spec (the stand-in is stricter than
the documented contract on purpose: the client must wait for a resting state). Errors use
the spec's Error shape ``{"error_code", "message"}``; 401 without a valid ``apikey``
(``Authorization: apikey <KEY>``, scheme word case-insensitive, or ``?apikey=``), 403 for a
key listed in ``read_only_keys`` on a write. Faults: :meth:`fail_next` (5xx, 429…),
:meth:`delay_next` (timeouts), :meth:`lose_answer_next` (the request is done, the
connection drops before the answer's body), :meth:`make_busy`. ``calls`` logs every API request with
its JSON body (never the key).
"""

from __future__ import annotations

import email.parser
import email.policy
import re
import secrets
import string
import threading
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .base import BaseServer, Reply, Request

API = "/api/automation/v1.0"
BUSY = frozenset({"queued", "processing", "aborting_processing", "deleting", "saving_version"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LANGUAGES = ("en", "fr", "nl", "pt", "it", "ar", "de", "es", "ca", "eu", "sv")
READ_ONLY_RESOURCE_FIELDS = ("uid", "display_name", "extraction_infos", "origin", "updated_at")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _uid(prefix: str) -> str:
    return prefix + "".join(
        secrets.choice(string.ascii_lowercase + string.digits) for _ in range(6)
    )


def error(status: int, code: str, message: str, detail: Any = None) -> Reply:
    body: dict[str, Any] = {"error_code": code, "message": message}
    if detail is not None:
        body["detail"] = detail
    return Reply.json(body, status)


def not_found() -> Reply:
    return error(404, "not_found", "Not found.")


@dataclass
class Call:
    """One API request: method, path below the API base, query, JSON body (or None)."""

    method: str
    path: str
    query: str
    body: Any


@dataclass
class Fault:
    status: int | None
    times: int
    method: str | None
    path: str | None
    delay: float = 0.0
    body: Any = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or re.search(self.path, path) is not None
        )


@dataclass
class Stored:
    """A dataset on the stand-in portal and its processing state machine."""

    uid: str
    dataset_id: str
    metadata: dict[str, Any]
    is_restricted: bool
    created_at: str
    updated_at: str
    is_published: bool = False
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, tuple[dict[str, Any], bytes]] = field(default_factory=dict)
    status: str = "idle"
    previous: str | None = None
    since: str = field(default_factory=_now)
    polls_left: int = 0
    """Status reads before a busy dataset reaches its resting state."""
    then: str = "idle"
    message: str | None = None
    records_errors: list[dict[str, Any]] = field(default_factory=list)
    published_files: list[str] = field(default_factory=list)
    """File uids the resources pointed at, at each completed publication."""
    attachments: dict[str, tuple[dict[str, Any], bytes]] = field(default_factory=dict)
    """Attachment uid → (DatasetAttachment, bytes), in the order they were added."""

    def as_json(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "dataset_id": self.dataset_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "is_published": self.is_published,
            "is_restricted": self.is_restricted,
            "metadata": self.metadata,
        }

    def move(self, status: str) -> None:
        self.previous, self.status, self.since = self.status, status, _now()


class OdsServer(BaseServer):
    """The stand-in portal; ``api_key`` is the one key allowed to write."""

    def __init__(
        self,
        api_key: str = "cle-ods-de-test",
        *,
        processing_polls: int = 2,
        read_only_keys: tuple[str, ...] = (),
    ) -> None:
        self.api_key = api_key
        self.read_only_keys = read_only_keys
        self.processing_polls = processing_polls
        self.datasets: dict[str, Stored] = {}
        self.calls: list[Call] = []
        self._faults: list[Fault] = []
        self._lost: list[Fault] = []
        self._fail_processing: list[str] = []
        self._record_errors = 2
        self._state = threading.RLock()
        super().__init__()

    # -- switches for tests -------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"{self.url}{API}/"

    def fail_next(
        self,
        times: int = 1,
        status: int = 503,
        *,
        method: str | None = None,
        path: str | None = None,
        body: Any = None,
    ) -> None:
        """The next ``times`` matching requests (``path``: a regex on the API path) fail."""
        with self._state:
            self._faults.append(Fault(status, times, method, path, body=body))

    def delay_next(
        self, seconds: float, times: int = 1, *, method: str | None = None, path: str | None = None
    ) -> None:
        """The next ``times`` matching requests wait ``seconds`` before being answered."""
        with self._state:
            self._faults.append(Fault(None, times, method, path, delay=seconds))

    def lose_answer_next(
        self, times: int = 1, *, method: str | None = None, path: str | None = None
    ) -> None:
        """The next ``times`` matching successful requests are carried out, but the
        connection drops after the status line: the client never reads the answer."""
        with self._state:
            self._lost.append(Fault(None, times, method, path))

    def fail_processing(self, message: str, record_errors: int = 2) -> None:
        """The next publication ends in ``error`` with ``records_errors`` saying ``message``."""
        with self._state:
            self._fail_processing.append(message)
            self._record_errors = record_errors

    def make_busy(self, uid: str, polls: int, status: str = "processing") -> None:
        """The dataset is busy (another processing) for the next ``polls`` status reads."""
        with self._state:
            ds = self.datasets[uid]
            ds.move(status)
            ds.polls_left, ds.then = polls, "idle"

    def by_dataset_id(self, dataset_id: str) -> Stored:
        return next(d for d in self.datasets.values() if d.dataset_id == dataset_id)

    def writes(self, path: str | None = None) -> list[Call]:
        """API calls with a write method (``path``: regex on the API path)."""
        with self._state:
            calls = list(self.calls)
        return [
            c
            for c in calls
            if c.method in WRITES and (path is None or re.search(path, c.path) is not None)
        ]

    def count_writes(self, path: str | None = None) -> int:
        return len(self.writes(path))

    def attachment_names(self, uid: str) -> list[str]:
        """The file names of the dataset's attachments, in the order they were added."""
        with self._state:
            return [meta["filename"] for meta, _ in self.datasets[uid].attachments.values()]

    # -- dispatch -----------------------------------------------------------------------
    def not_found(self, request: Request) -> Reply:
        return self._api(request)

    def _respond(self, request: Request) -> tuple[Reply, int | None]:
        reply, cut = super()._respond(request)
        if cut is None and reply.body and reply.status < 300 and request.path.startswith(API):
            with self._state:
                for lost in self._lost:
                    if lost.times > 0 and lost.matches(request.method, request.path[len(API) :]):
                        lost.times -= 1
                        return reply, 0
        return reply, cut

    def _api(self, request: Request) -> Reply:
        if not request.path.startswith(API + "/"):
            return not_found()
        path = request.path[len(API) :]
        body: Any = None
        if request.body and "json" in (request.headers.get("Content-Type") or ""):
            try:
                body = request.json()
            except ValueError:
                return error(400, "bad_request", "Bad request: invalid JSON body.")
        with self._state:
            self.calls.append(Call(request.method, path, request.raw_query, body))
            fault = self._fault(request.method, path)
        if fault is not None:
            if fault.delay:
                self._closing.wait(fault.delay)
            if fault.status is not None:
                payload = fault.body or {
                    "error_code": "internal_error" if fault.status >= 500 else "throttled",
                    "message": "A server error occurred."
                    if fault.status >= 500
                    else "Too many requests.",
                }
                return Reply.json(payload, fault.status)
        denied = self._auth(request)
        if denied is not None:
            return denied
        with self._state:
            return self._route(request, path, body)

    def _fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.times > 0 and fault.matches(method, path):
                fault.times -= 1
                return fault
        return None

    def _auth(self, request: Request) -> Reply | None:
        header = request.headers.get("Authorization") or ""
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "apikey":
            key = request.arg("apikey") or ""
        key = key.strip()
        if not key:
            return error(401, "unauthorized", "Authentication credentials were not provided.")
        if key in self.read_only_keys:
            if request.method in WRITES:
                return error(
                    403, "permission_denied", "You do not have permission to perform this action."
                )
            return None
        if key != self.api_key:
            return error(401, "invalid_api_key", "The API key is invalid or has expired.")
        return None

    def _route(self, request: Request, path: str, body: Any) -> Reply:
        m = request.method
        if path == "/datasets/":
            return (
                self._list(request) if m == "GET" else self._create(body) if m == "POST" else _405()
            )
        match = re.fullmatch(r"/datasets/([^/]+)/(.*)", path)
        if match is None:
            return not_found()
        ds = self.datasets.get(match.group(1))
        if ds is None:
            return not_found()
        rest = match.group(2)
        if m in WRITES and ds.status in BUSY:
            return error(
                400,
                "invalid_dataset_status",
                f"Invalid precondition, dataset status is '{ds.status}' but must be one of "
                "'idle, error, limit_reached'",
            )
        if rest == "":
            if m == "GET":
                return Reply.json(ds.as_json())
            if m == "PUT":
                return self._put_dataset(ds, body)
            return _405()
        if rest == "status/" and m == "GET":
            return Reply.json(self._status(ds))
        if rest in ("publish/", "publish_metadata/") and m == "POST":
            return self._publish(ds, data=rest == "publish/")
        if rest.startswith("metadata/"):
            return self._metadata(ds, m, rest.removeprefix("metadata/"), body)
        if rest == "resources/files/" and m == "POST":
            return self._upload(ds, request)
        file_match = re.fullmatch(r"resources/files/([^/]+)/", rest)
        if file_match and m == "GET":
            found = ds.files.get(file_match.group(1))
            return Reply.json(found[0]) if found else not_found()
        if rest == "resources/":
            if m == "GET":
                return Reply.json(_page(list(ds.resources.values()), request))
            if m == "POST":
                return self._put_resource(ds, _uid("re_"), body, created=True)
            return _405()
        if rest == "attachments/" or rest.startswith("attachments/"):
            return self._attachment(ds, m, rest.removeprefix("attachments/"), request)
        res_match = re.fullmatch(r"resources/(re_[^/]+)/", rest)
        if res_match:
            re_uid = res_match.group(1)
            if re_uid not in ds.resources:
                return not_found()
            if m == "GET":
                return Reply.json(ds.resources[re_uid])
            if m == "PUT":
                return self._put_resource(ds, re_uid, body, created=False)
            if m == "DELETE":
                del ds.resources[re_uid]
                return Reply(204, b"", {"Content-Type": "application/json"})
            return _405()
        return not_found()

    # -- datasets -----------------------------------------------------------------------
    def _list(self, request: Request) -> Reply:
        wanted = request.arg("dataset_id")
        found = [d.as_json() for d in self.datasets.values() if wanted in (None, d.dataset_id)]
        return Reply.json(_page(found, request))

    def _create(self, body: Any) -> Reply:
        if not isinstance(body, dict):
            return error(400, "validation_error", "Invalid input", {"metadata": ["Required"]})
        problems = _default_problems((body.get("metadata") or {}).get("default"), full=True)
        dataset_id = body.get("dataset_id") or _uid("")
        if any(d.dataset_id == dataset_id for d in self.datasets.values()):
            problems["dataset_id"] = ["A dataset with this dataset_id already exists."]
        if problems:
            return error(400, "validation_error", "Invalid input", problems)
        now = _now()
        ds = Stored(
            _uid("da_"),
            dataset_id,
            body["metadata"],
            bool(body.get("is_restricted", True)),
            now,
            now,
        )
        self.datasets[ds.uid] = ds
        return Reply.json(ds.as_json(), 201)

    def _put_dataset(self, ds: Stored, body: Any) -> Reply:
        if not isinstance(body, dict) or "metadata" not in body:
            return error(400, "validation_error", "Invalid input", {"metadata": ["Required"]})
        problems = _default_problems(body["metadata"].get("default"), full=True)
        if problems:
            return error(400, "validation_error", "Invalid input", problems)
        ds.metadata = body["metadata"]
        ds.is_restricted = bool(body.get("is_restricted", ds.is_restricted))
        ds.updated_at = _now()
        return Reply.json(ds.as_json())

    def _status(self, ds: Stored) -> dict[str, Any]:
        if ds.status in BUSY:
            if ds.polls_left > 0:
                ds.polls_left -= 1
                if ds.status == "queued":
                    ds.move("processing")
            else:
                ds.move(ds.then)
                if ds.then == "idle":
                    ds.is_published = True
                    ds.published_files.extend(
                        r["datasource"]["file"]["uid"]
                        for r in ds.resources.values()
                        if r["datasource"].get("type") == "uploaded_file"
                    )
        return {
            "status": ds.status,
            "previous": ds.previous,
            "next": None,
            "since": ds.since,
            "is_published": ds.is_published,
            "message": ds.message,
            "records_errors": ds.records_errors,
            "params": {},
        }

    def _publish(self, ds: Stored, *, data: bool) -> Reply:
        if data and not ds.resources:
            return error(400, "bad_request", "The dataset has no resource to process.")
        ds.message, ds.records_errors = None, []
        ds.move("queued")
        ds.polls_left, ds.then = self.processing_polls, "idle"
        if data and self._fail_processing:
            message = self._fail_processing.pop(0)
            ds.then = "error"
            ds.message = message
            ds.records_errors = [
                {
                    "record_id": f"rec{n}",
                    "field_uid": "reference",
                    "processor_uid": "",
                    "message": message,
                }
                for n in range(1, self._record_errors + 1)
            ]
        return Reply.json({"detail": "ok"})

    # -- metadata -----------------------------------------------------------------------
    def _metadata(self, ds: Stored, method: str, rest: str, body: Any) -> Reply:
        parts = [p for p in rest.split("/") if p]
        if not parts:
            if method == "GET":
                return Reply.json(ds.metadata)
            if method == "PUT" and isinstance(body, dict):
                problems = _default_problems(body.get("default"), full=True)
                if problems:
                    return error(400, "validation_error", "Invalid input", problems)
                ds.metadata = body
                return Reply.json(ds.metadata)
            return _405()
        template = parts[0]
        if len(parts) == 1:
            if method == "GET":
                return Reply.json(ds.metadata.get(template, {}))
            if method == "PUT" and isinstance(body, dict):
                if template == "default":
                    problems = _default_problems(body, full=True)
                    if problems:
                        return error(400, "validation_error", "Invalid input", problems)
                ds.metadata[template] = body
                return Reply.json(body)
            return _405()
        name = parts[1]
        values = ds.metadata.setdefault(template, {})
        if method == "GET":
            return Reply.json(values[name]) if name in values else not_found()
        if method == "DELETE":
            values.pop(name, None)
            return Reply(204, b"", {"Content-Type": "application/json"})
        if method != "PUT":
            return _405()
        if not isinstance(body, dict) or "value" not in body:
            return error(400, "validation_error", "Invalid input", {"value": ["Required"]})
        if template == "default":
            problems = _default_problems({name: body}, full=False)
            if problems:
                return error(400, "validation_error", "Invalid input", problems)
        values[name] = {"value": body["value"]}
        return Reply.json(values[name])

    # -- resources and files ------------------------------------------------------------
    def _upload(self, ds: Stored, request: Request) -> Reply:
        parsed = _multipart_file(request)
        if parsed is None:
            return error(400, "validation_error", "Invalid input", {"file": ["No file was sent."]})
        filename, mimetype, content = parsed
        uid, n = filename, 1
        while uid in ds.files:
            n += 1
            stem, dot, ext = filename.rpartition(".")
            uid = f"{stem}-{n}.{ext}" if dot else f"{filename}-{n}"
        meta = {"uid": uid, "filename": filename, "mimetype": mimetype, "created_at": _now()}
        ds.files[uid] = (meta, content)
        return Reply.json(meta)

    def _put_resource(self, ds: Stored, re_uid: str, body: Any, *, created: bool) -> Reply:
        problems: dict[str, list[str]] = {}
        if not isinstance(body, dict):
            body = {}
        for name in ("type", "title", "datasource"):
            if not body.get(name):
                problems[name] = ["This field is required"]
        source = body.get("datasource") or {}
        if isinstance(source, dict) and source.get("type") == "uploaded_file":
            file_uid = (source.get("file") or {}).get("uid")
            if file_uid not in ds.files:
                problems["datasource"] = [f"Unknown file '{file_uid}'."]
        if problems:
            return error(400, "validation_error", "Invalid input", problems)
        resource = {k: v for k, v in body.items() if k not in READ_ONLY_RESOURCE_FIELDS}
        file_uid = source.get("file", {}).get("uid", "")
        resource.update(
            uid=re_uid,
            display_name=file_uid or resource["title"],
            extraction_infos={"label": "CSV File", "type": resource["type"]},
            origin={"label": "Uploaded file", "type": source.get("type")},
            updated_at=_now(),
        )
        ds.resources[re_uid] = resource
        return Reply.json(resource, 201 if created else 200)

    # -- attachments --------------------------------------------------------------------
    def _attachment(self, ds: Stored, method: str, rest: str, request: Request) -> Reply:
        if rest == "":
            if method == "GET":
                found = [meta for meta, _ in ds.attachments.values()]
                return Reply.json(_page(found, request))
            if method == "POST":
                return self._attach(ds, request)
            return _405()
        match = re.fullmatch(r"([^/]+)/(download/)?", rest)
        if match is None:
            return not_found()
        at_uid, download = match.group(1), match.group(2)
        if at_uid not in ds.attachments:
            return not_found()
        meta, content = ds.attachments[at_uid]
        if download:
            if method != "GET":
                return _405()
            quoted = urllib.parse.quote(meta["filename"])
            disposition = f"attachment; filename=\"{meta['filename']}\"; filename*=UTF-8''{quoted}"
            headers = {"Content-Type": "application/octet-stream"}
            headers["Content-Disposition"] = disposition
            return Reply(200, content, headers)
        if method == "GET":
            return Reply.json(meta)
        if method == "DELETE":
            del ds.attachments[at_uid]
            return Reply(204, b"", {"Content-Type": "application/json"})
        return _405()

    def _attach(self, ds: Stored, request: Request) -> Reply:
        parsed = _multipart_file(request)
        if parsed is None:
            return error(400, "validation_error", "Invalid input", {"file": ["No file was sent."]})
        filename, mimetype, content = parsed
        at_uid = _uid("at_")
        while at_uid in ds.attachments:  # pragma: no cover - 36**6 uids
            at_uid = _uid("at_")
        meta = {"uid": at_uid, "filename": filename, "mimetype": mimetype, "created_at": _now()}
        ds.attachments[at_uid] = (meta, content)
        return Reply.json(meta, 201)

    def attachment_content(self, uid: str, at_uid: str) -> bytes:
        return self.datasets[uid].attachments[at_uid][1]

    def file_content(self, uid: str, file_uid: str) -> bytes:
        return self.datasets[uid].files[file_uid][1]


def _405() -> Reply:
    return error(405, "method_not_allowed", "Method not allowed.")


def _page(results: list[dict[str, Any]], request: Request) -> dict[str, Any]:
    limit = int(request.arg("limit") or 20)
    offset = int(request.arg("offset") or 0)
    return {
        "total_count": len(results),
        "next": None if offset + limit >= len(results) else f"?offset={offset + limit}",
        "previous": None,
        "results": results[offset : offset + limit],
    }


def _default_problems(default: Any, *, full: bool) -> dict[str, list[str]]:
    """The ``default`` template's checks: required fields, value shapes, language enum."""
    problems: dict[str, list[str]] = {}
    if not isinstance(default, dict):
        return {"metadata.default": ["This field is required"]}
    required = ("title", "modified", "language") if full else ()
    for name in required:
        if name not in default:
            problems[f"default.{name}"] = ["This field is required"]
    for name, value in default.items():
        if not isinstance(value, dict) or "value" not in value:
            problems[f"default.{name}"] = ["Expected an object with a value"]
            continue
        v = value["value"]
        if name in ("title", "description", "publisher", "references", "timezone") and not (
            isinstance(v, str) and v
        ):
            problems[f"default.{name}"] = ["Expected a non-empty string"]
        if name in ("keyword", "attributions", "geographic_reference") and not (
            isinstance(v, list) and all(isinstance(i, str) and i for i in v)
        ):
            problems[f"default.{name}"] = ["Expected a list of non-empty strings"]
        if name == "language" and v not in LANGUAGES:
            problems["default.language"] = [f"'{v}' is not a valid choice."]
    return problems


def _multipart_file(request: Request) -> tuple[str, str | None, bytes] | None:
    """The ``file`` part of a multipart/form-data body: name, type, bytes."""
    ctype = request.headers.get("Content-Type") or ""
    if not ctype.startswith("multipart/form-data"):
        return None
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {ctype}\r\n\r\n".encode() + request.body
    )
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            filename = part.get_filename() or "file"
            return filename, part.get_content_type(), payload if isinstance(payload, bytes) else b""
    return None


__all__ = ["API", "Call", "OdsServer", "Stored"]
