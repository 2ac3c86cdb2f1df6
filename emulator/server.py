"""The emulator's HTTP server: one Starlette app that routes every request through discovery lookup,
fault injection, authentication, scope check, quota, validation and the service handler, and logs it.

``WorkspaceEmulator(config).start()`` serves it with uvicorn on a loopback port in a background thread;
the unmodified Google client libraries reach it over real HTTP.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
import traceback
import urllib.parse
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from connectors.google.quotas import DEFAULT_QUOTAS, WorkspaceQuotas
from emulator import snapshot
from emulator.auth import Grant, RefreshGrant, TokenError, TokenStore
from emulator.discovery import Match, registry, validate_body, validate_fields, validate_query
from emulator.errors import GoogleError, bad_request, not_found, unimplemented
from emulator.faults import FaultInjector, FaultRule
from emulator.fields import select
from emulator.quota import Exhausted, QuotaKeeper
from emulator.service import Call, Handler, Media, Reply, run_as_caller
from emulator.state import Workspace

logger = logging.getLogger("emulator")

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_HOSTS = {
    "sheets": "sheets.googleapis.com",
    "docs": "docs.googleapis.com",
    "drive": "www.googleapis.com",
    "gmail": "gmail.googleapis.com",
    "forms": "forms.googleapis.com",
}
# A message sent as base64 `raw` inside a JSON body is refused far below the upload endpoint's 35 MB:
# "Request payload size exceeds the limit: 1048576 bytes." (googleapis/google-api-dotnet-client#856; 413 above
# about 6.5 MB in googleapis/google-api-go-client#374). The strictest observed limit is the one modelled.
JSON_PAYLOAD_LIMITS = {
    "gmail.users.messages.send": 1_048_576,
    "gmail.users.messages.insert": 1_048_576,
    "gmail.users.messages.import": 1_048_576,
    "gmail.users.drafts.create": 1_048_576,
    "gmail.users.drafts.send": 1_048_576,
}
_METRICS = {
    "sheets_read": "Read requests", "sheets_write": "Write requests", "docs_read": "Read requests",
    "docs_write": "Write requests", "forms_read": "Read requests", "forms_write": "Write requests",
    "forms_responses_list": "Responses list requests", "drive_queries": "Queries",
    "gmail_units": "Queries", "gmail_messages_per_day": "Messages sent",
}  # fmt: skip


class EmulatorConfig(BaseModel):
    """How an emulator instance behaves. Every field has a default; tests override a few."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = 0
    quotas: WorkspaceQuotas = DEFAULT_QUOTAS
    quotas_enabled: bool = True
    faults: list[FaultRule] = Field(default_factory=list)
    fault_seed: int = 0
    trusted_certs: dict[str, str] = Field(default_factory=dict)
    refresh_tokens: dict[str, RefreshGrant] = Field(default_factory=dict)
    seed_dir: Path | None = None
    snapshot_dir: Path | None = None
    soffice: str | None = "soffice"
    # LibreOffice's limit per PDF export; a report of hundreds of pages needs more than the default.
    export_timeout_seconds: float = 180
    log_limit: int = 100_000
    # Gmail replaces the Message-ID a client set with its own (reported for API sends; off by default).
    gmail_rewrite_message_ids: bool = False
    # Domain-wide delegation as the Admin console grants it: service-account email (JWT `iss`) → the scopes it
    # may use for a delegated user. None: every delegation is allowed (no Admin console to configure).
    delegation: dict[str, list[str]] | None = None
    # files.export's limit (Google: 10 MB); a test may lower it to reach it with a small report.
    drive_export_limit_bytes: int = 10 * 2**20


@dataclass(frozen=True)
class LogEntry:
    method_id: str | None
    http_method: str
    path: str
    user: str | None
    status: int
    time: float
    duration_ms: float


class RequestLog:
    """Every request the emulator answered (or dropped: status 0), for tests and benchmarks to count."""

    def __init__(self, limit: int = 100_000) -> None:
        self._entries: list[LogEntry] = []
        self._lock = threading.Lock()
        self.limit = limit

    def add(self, entry: LogEntry) -> None:
        with self._lock:
            self._entries.append(entry)
            if len(self._entries) > self.limit:
                del self._entries[: len(self._entries) - self.limit]

    def entries(self, method_id: str | None = None) -> list[LogEntry]:
        with self._lock:
            return [e for e in self._entries if method_id is None or e.method_id == method_id]

    def count(self, method_id: str | None = None, status: int | None = None) -> int:
        return sum(1 for e in self.entries(method_id) if status is None or e.status == status)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_CONNECTIONS: dict[tuple[str, int], asyncio.Transport] = {}


class _TrackingH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, remembering each connection's transport so a fault can drop it."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        peer = transport.get_extra_info("peername")
        if peer:
            _CONNECTIONS[(str(peer[0]), int(peer[1]))] = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        peer = self.transport.get_extra_info("peername") if getattr(self, "transport", None) else None
        if peer:
            _CONNECTIONS.pop((str(peer[0]), int(peer[1])), None)
        super().connection_lost(exc)


def _error_response(error: GoogleError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.code, headers=error.headers)


def _quota_error(api: str, exhausted: Exhausted, method_id: str) -> GoogleError:
    retry_at = (datetime.now(UTC) + timedelta(seconds=exhausted.retry_after)).isoformat(timespec="milliseconds")
    headers = {"Retry-After": str(exhausted.retry_after)}
    if api == "gmail":
        if exhausted.bucket == "gmail_messages_per_day":
            message = "Daily user sending limit exceeded."
        elif exhausted.scope == "user":
            message = f"User-rate limit exceeded.  Retry after {retry_at.replace('+00:00', 'Z')}"
        else:
            message = "Rate Limit Exceeded"
        reason = "userRateLimitExceeded" if exhausted.scope == "user" else "rateLimitExceeded"
        return GoogleError(429, message, reason=reason, domain="usageLimits", headers=headers)
    if api == "drive":
        # Drive answers its quota with 403 and a usageLimits reason, without Retry-After ("Usage limits" and
        # "Resolve errors" in the Drive API guides; the body as in tidyverse/googledrive#380).
        if exhausted.scope == "user":
            message = (
                "User Rate Limit Exceeded. Rate of requests for user exceed configured project quota. You may consider "
                "re-evaluating expected per-user traffic to the API and adjust project quota limits accordingly."
            )
            return GoogleError(403, message, status="PERMISSION_DENIED", reason="userRateLimitExceeded",
                               domain="usageLimits")
        return GoogleError(403, "Rate Limit Exceeded", status="PERMISSION_DENIED", reason="rateLimitExceeded",
                           domain="usageLimits")
    metric = _METRICS.get(exhausted.bucket, "Requests")
    limit_name = f"{metric} per minute per {exhausted.scope}"
    service = _HOSTS.get(api, api)
    message = (
        f"Quota exceeded for quota metric '{metric}' and limit '{limit_name}' of service '{service}' "
        f"for consumer 'project_number:0'."
    )
    details: list[dict[str, Any]] = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED",
            "domain": "googleapis.com",
            "metadata": {
                "quota_metric": f"{service}/{exhausted.bucket}",
                "quota_limit": limit_name,
                "quota_limit_value": str(exhausted.limit),
                "service": service,
                "consumer": "projects/0",
                "method": method_id,
            },
        },
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [
                {
                    "description": "Request a higher quota limit.",
                    "url": "https://cloud.google.com/docs/quotas/help/request_increase",
                }
            ],
        },
    ]
    return GoogleError(429, message, reason="rateLimitExceeded", details=details, headers=headers)


def _fault_error(status: int, retry_after_seconds: int | None) -> GoogleError:
    if status == 429:
        return GoogleError(
            429,
            "Resource has been exhausted (e.g. check quota).",
            reason="rateLimitExceeded",
            headers={} if retry_after_seconds is None else {"Retry-After": str(retry_after_seconds)},
        )
    if status == 500:
        return GoogleError(500, "Internal error encountered.", reason="backendError")
    return GoogleError(503, "The service is currently unavailable.", reason="backendError")


def _split_multipart(content_type: str, body: bytes) -> tuple[Any, Media]:
    boundary = ""
    for piece in content_type.split(";")[1:]:
        key, _, value = piece.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip().strip('"')
    if not boundary:
        raise bad_request("Multipart upload without a boundary.")
    parts = []
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        elif chunk.startswith(b"\n"):
            chunk = chunk[1:]
        crlf, lf = chunk.find(b"\r\n\r\n"), chunk.find(b"\n\n")
        if crlf != -1 and (lf == -1 or crlf <= lf):
            head, data = chunk[:crlf], chunk[crlf + 4 :]
        elif lf != -1:
            head, data = chunk[:lf], chunk[lf + 2 :]
        else:
            raise bad_request("Malformed multipart body.")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n"):
            data = data[:-1]
        headers: dict[str, str] = {}
        name = ""
        for line in head.decode("latin-1").splitlines():
            if line[:1] in (" ", "\t") and name:  # a folded header (RFC 5322): long MIME types are folded
                headers[name] = f"{headers[name]} {line.strip()}".strip()
                continue
            name, _, value = line.partition(":")
            name = name.strip().lower()
            headers[name] = value.strip()
        parts.append((headers, data))
    if len(parts) != 2:
        raise bad_request("A multipart upload has exactly two parts: metadata and media.")
    try:
        metadata = json.loads(parts[0][1].decode("utf-8") or "{}")
    except ValueError:
        raise bad_request("Invalid JSON payload received in the metadata part.") from None
    return metadata, Media(parts[1][0].get("content-type", "application/octet-stream"), parts[1][1])


class WorkspaceEmulator:
    """A running (or startable) emulator: state, tokens, quotas, faults, log and the HTTP server."""

    def __init__(self, config: EmulatorConfig | None = None, **overrides: Any) -> None:
        self.config = config or EmulatorConfig(**overrides)
        self.workspace = self._new_workspace()
        self.tokens = TokenStore(
            dict(self.config.trusted_certs), dict(self.config.refresh_tokens), self.config.delegation
        )
        self.quota = QuotaKeeper(self.config.quotas, self.config.quotas_enabled)
        self.faults = FaultInjector(list(self.config.faults), self.config.fault_seed)
        self.log = RequestLog(self.config.log_limit)
        self.handlers: dict[str, Handler] = _collect_handlers(self.workspace)
        if self.config.seed_dir is not None:
            snapshot.load(self.workspace, self.config.seed_dir)
        self.app = Starlette(
            routes=[
                Route("/token", self._token, methods=["POST"]),
                Route("/_emulator/{rest:path}", self._admin, methods=ALL_METHODS),
                Route("/{rest:path}", self._dispatch, methods=ALL_METHODS),
            ]
        )
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._handler_cpu = 0.0
        self._handler_cpu_lock = threading.Lock()
        self._socket: socket.socket | None = None
        self.base_url = ""

    # ------------------------------------------------------------------ lifecycle

    def _bind(self) -> socket.socket:
        # IPPROTO_TCP explicitly: asyncio only turns Nagle off (TCP_NODELAY) for sockets that say they are TCP,
        # and with Nagle on, keep-alive clients wait ~40 ms per response for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.config.host, self.config.port))
        sock.listen(1024)
        self._socket = sock
        host, port = sock.getsockname()[:2]
        self.base_url = f"http://{host}:{port}"
        return sock

    def _uvicorn(self) -> uvicorn.Server:
        config = uvicorn.Config(
            self.app,
            http=_TrackingH11Protocol,
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_keep_alive=30,
        )
        return uvicorn.Server(config)

    def start(self) -> str:
        """Serve in a background thread; returns the base URL (``http://127.0.0.1:<port>``)."""
        if self._thread is not None:
            return self.base_url
        sock = self._bind()
        self._server = self._uvicorn()
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="workspace-emulator"
        )
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("The Workspace emulator did not start.")
            time.sleep(0.01)
        return self.base_url

    def serve_forever(self) -> None:
        """Serve in the calling thread until Ctrl-C (the CLI's mode)."""
        sock = self._bind()
        self._server = self._uvicorn()
        try:
            self._server.run(sockets=[sock])
        finally:
            self._finish()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._finish()

    def _finish(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self.config.snapshot_dir is not None:
            self.save_snapshot(self.config.snapshot_dir)
        self._server = None

    def __enter__(self) -> WorkspaceEmulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ conveniences for tests and seeding

    def _new_workspace(self) -> Workspace:
        workspace = Workspace(
            self.config.soffice, self.config.export_timeout_seconds, self.config.gmail_rewrite_message_ids
        )
        workspace.drive.export_limit_bytes = self.config.drive_export_limit_bytes
        return workspace

    def reset(self) -> None:
        """Forget all state, the log, quota spending and faults (tokens stay valid)."""
        self.workspace = self._new_workspace()
        self.handlers = _collect_handlers(self.workspace)
        self.log.clear()
        self.quota.reset()
        self.faults.configure([], self.config.fault_seed)

    def save_snapshot(self, folder: Path) -> None:
        snapshot.save(self.workspace, folder)

    def grant_refresh_token(self, token: str, grant: RefreshGrant) -> None:
        self.tokens.register_refresh_token(token, grant)

    # ------------------------------------------------------------------ HTTP

    async def _token(self, request: Request) -> Response:
        started = time.time()
        raw = (await request.body()).decode("utf-8", errors="replace")
        fields = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
        try:
            body = self.tokens.exchange(fields)
            response: Response = JSONResponse(body)
        except TokenError as exc:
            response = JSONResponse({"error": exc.error, "error_description": exc.description}, status_code=400)
        self.log.add(
            LogEntry(
                "oauth2.token", "POST", "/token", None, response.status_code, started, (time.time() - started) * 1000
            )
        )
        return response

    async def _dispatch(self, request: Request) -> Response:
        started = time.time()
        raw_path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
        raw_path = raw_path.split("?", 1)[0]
        match = registry().match(request.method, raw_path)
        user: str | None = None
        method_id: str | None = match.method.id if match else None
        status = 0
        try:
            if match is None:
                if registry().path_exists(raw_path):
                    raise GoogleError(
                        405, f"Method {request.method} is not allowed for {raw_path}.", status="INVALID_ARGUMENT"
                    )
                raise not_found(f"The requested URL {raw_path} was not found on this server.")
            fault = self.faults.decide(match.method.id)
            if fault.latency_s:
                await asyncio.sleep(fault.latency_s)
            if fault.drop:
                await self._drop(request, match.method.id)
                return Response(status_code=500)
            if fault.status is not None:
                raise _fault_error(fault.status, fault.retry_after_seconds)
            grant = self._authenticate(request, match)
            user = grant.user
            quota_user = request.query_params.get("quotaUser") or grant.user
            exhausted = self.quota.charge(match.method.id, match.method.http_method, quota_user, grant.client)
            if exhausted is not None:
                raise _quota_error(match.method.api, exhausted, match.method.id)
            call = await self._call(request, match, grant)
            handler = self.handlers.get(match.method.id)
            if handler is None:
                raise unimplemented(f"Method {match.method.id}")
            reply = await run_in_threadpool(self._run_handler, handler, call)
            response = self._render(reply, call)
        except GoogleError as error:
            response = _error_response(error)
        except Exception:
            logger.error("emulator handler failed:\n%s", traceback.format_exc())
            response = _error_response(GoogleError(500, "Internal error encountered.", reason="backendError"))
        status = response.status_code
        self.log.add(
            LogEntry(method_id, request.method, raw_path, user, status, started, (time.time() - started) * 1000)
        )
        return response

    def _run_handler(self, handler: Handler, call: Call) -> Reply | dict[str, Any]:
        started = time.thread_time()
        try:
            return run_as_caller(handler, call)
        finally:
            with self._handler_cpu_lock:
                self._handler_cpu += time.thread_time() - started

    def cpu_seconds(self) -> float:
        """The CPU this emulator's own threads have used (its event loop, and its handlers in the thread pool), its
        LibreOffice apart: the work Google's servers would do, which a benchmark in the same process must not
        count as the product's."""
        with self._handler_cpu_lock:
            handlers = self._handler_cpu
        loop = self._thread.ident if self._thread is not None else None
        return handlers + (time.clock_gettime(time.pthread_getcpuclockid(loop)) if loop is not None else 0.0)

    async def _drop(self, request: Request, method_id: str) -> None:
        # Logged first: once the connection is aborted, the server may cancel this handler.
        self.log.add(LogEntry(method_id, request.method, request.url.path, None, 0, time.time(), 0.0))
        client = request.scope.get("client")
        transport = _CONNECTIONS.get((str(client[0]), int(client[1]))) if client else None
        if transport is not None:
            transport.abort()
        await asyncio.sleep(0.01)

    def _authenticate(self, request: Request, match: Match) -> Grant:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise GoogleError(
                401,
                "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie "
                "or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
                reason="CREDENTIALS_MISSING",
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        grant = self.tokens.lookup(token.strip()) if scheme.lower() == "bearer" else None
        if grant is None:
            raise GoogleError(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
                "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
                reason="authError",
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'},
            )
        needed = match.method.scopes
        if needed and not grant.scopes.intersection(needed):
            raise GoogleError(
                403,
                "Request had insufficient authentication scopes.",
                reason="insufficientPermissions",
                details=[
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                        "domain": "googleapis.com",
                        "metadata": {
                            "service": _HOSTS.get(match.method.api, match.method.api),
                            "method": match.method.id,
                        },
                    }
                ],
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="insufficient_scope"'},
            )
        return grant

    async def _call(self, request: Request, match: Match, grant: Grant) -> Call:
        query_pairs = urllib.parse.parse_qsl(request.url.query, keep_blank_values=True)
        query = validate_query(match, query_pairs)
        if query.get("fields"):
            validate_fields(match.method, query["fields"])  # before the handler: a bad mask changes nothing
        raw = await request.body()
        body: Any = None
        media: Media | None = None
        content_type = request.headers.get("content-type", "")
        limit = JSON_PAYLOAD_LIMITS.get(match.method.id)
        if limit is not None and not match.upload and len(raw) > limit:
            raise bad_request(f"Request payload size exceeds the limit: {limit} bytes.")
        if match.upload:
            upload_type = query.get("uploadType")
            if upload_type == "media":
                media = Media(content_type or "application/octet-stream", raw)
            elif upload_type == "multipart":
                body, media = _split_multipart(content_type, raw)
            elif upload_type == "resumable":
                raise unimplemented("Resumable uploads (uploadType=resumable)")
            else:
                raise bad_request("Invalid value for uploadType: use media or multipart.", "uploadType")
        elif raw.strip():
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                raise bad_request("Invalid JSON payload received. Unexpected token.") from None
        if media is not None and match.method.max_upload is not None and len(media.data) > match.method.max_upload:
            raise GoogleError(
                413, f"Media larger than the maximum allowed size ({match.method.max_upload} bytes).",
                reason="uploadTooLarge",
            )
        if match.method.request_ref is not None:
            if body is None:
                body = {}
            validate_body(match.method, body)
        elif body is not None and not match.upload:
            raise bad_request("Invalid JSON payload received. This method takes no request body.")
        return Call(match.method, dict(match.path_params), query, body, media, grant, self.base_url)

    def _render(self, reply: Reply | dict[str, Any], call: Call) -> Response:
        if isinstance(reply, dict):
            reply = Reply(reply)
        if reply.content is not None:
            if reply.status == 204:
                return Response(status_code=204, headers=reply.headers)
            return Response(
                reply.content, status_code=reply.status, media_type=reply.content_type, headers=reply.headers
            )
        body = reply.body if reply.body is not None else {}
        fields = call.query.get("fields")
        if fields and call.method.api != "drive":
            tree = validate_fields(call.method, fields)
            if tree is not None:
                body = select(body, tree)
        return JSONResponse(body, status_code=reply.status, headers=reply.headers)

    # ------------------------------------------------------------------ admin

    async def _admin(self, request: Request) -> Response:
        rest = request.path_params["rest"].strip("/")
        started = time.time()
        try:
            body: Any = None
            raw = await request.body()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise bad_request("Admin endpoints take a JSON body.") from None
            response = await run_in_threadpool(self._admin_action, request.method, rest, body or {})
        except GoogleError as error:
            response = _error_response(error)
        self.log.add(
            LogEntry(
                "_emulator." + rest.split("/")[0],
                request.method,
                request.url.path,
                None,
                response.status_code,
                started,
                (time.time() - started) * 1000,
            )
        )
        return response

    def _admin_action(self, method: str, rest: str, body: dict[str, Any]) -> Response:
        parts = rest.split("/")
        if rest == "health":
            return JSONResponse({"ok": True})
        if rest == "requests":
            if method == "DELETE":
                self.log.clear()
                return JSONResponse({})
            return JSONResponse({"requests": [asdict(e) for e in self.log.entries()]})
        if rest == "reset" and method == "POST":
            self.reset()
            return JSONResponse({})
        if rest == "faults":
            if method == "POST":
                rules = [FaultRule.model_validate(r) for r in body.get("rules", [])]
                self.faults.configure(rules, body.get("seed"))
            elif method == "DELETE":
                self.faults.configure([])
            return JSONResponse(self.faults.describe())
        if rest == "refresh_tokens" and method == "POST":
            try:
                grant = RefreshGrant(body["client_id"], body["client_secret"], tuple(body["scopes"]), body["subject"])
                self.tokens.register_refresh_token(body["refresh_token"], grant)
            except KeyError as exc:
                raise bad_request(f"Missing field {exc}.") from None
            return JSONResponse({})
        if rest == "snapshot" and method == "POST":
            if "path" not in body:
                raise bad_request('Give the folder as {"path": ...}.')
            self.save_snapshot(Path(body["path"]))
            return JSONResponse({"path": body["path"]})
        if len(parts) == 3 and parts[0] == "forms" and method == "POST":
            form_id, action = parts[1], parts[2]
            if action == "responses":
                return JSONResponse(self.workspace.forms.submit(form_id, body))
            if action == "link":
                return JSONResponse(
                    self.workspace.forms.link_sheet(form_id, body, body.get("owner", "emulator-admin"))
                )
        raise not_found(f"No admin endpoint {method} /_emulator/{rest}.")


def _collect_handlers(workspace: Workspace) -> dict[str, Handler]:
    from emulator.docs import responses as docs
    from emulator.drive import responses as drive
    from emulator.forms import responses as forms
    from emulator.gmail import responses as gmail
    from emulator.sheets import responses as sheets

    handlers: dict[str, Handler] = {}
    handlers.update(sheets.handlers(workspace.sheets))
    handlers.update(drive.handlers(workspace.drive))
    handlers.update(docs.handlers(workspace.docs))
    handlers.update(forms.handlers(workspace.forms))
    handlers.update(gmail.handlers(workspace.gmail))
    return handlers
