"""A local meshStack API for the collector's tests: real HTTP on 127.0.0.1 (http.server in a
thread), serving ``POST /api/login`` and ``GET /api/meshobjects/mesheventlogs`` in the published
format (HAL pages with ``_links`` and ``page``), with faults scripted per request."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from generator.meshevents.schema import ENDPOINT, MEDIA_TYPE

CLIENT_ID = "88660bdf-50ec-4db9-9a73-570f223f2b14"
CLIENT_SECRET = "jDKPOtYmsaF6CpUoJlOqD2nrhQtFrFRV"


@dataclass
class Fault:
    """An answer given instead of the real one: a status with headers, or a raw body."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    delay: float = 0.0  # seconds before answering
    dribble: float = 0.0  # seconds between the body's bytes (a slow server)


@dataclass
class Served:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    status: int = 0
    answer: bytes = b""
    sent: int = 0  # bytes of the body written before the client went away


@dataclass
class FakeMeshStack:
    events: list[dict[str, Any]] = field(default_factory=list)
    # Faults by request key ("login" or "page N"), answered in order before the real answer.
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    # Tokens stop working after this many pages were served with them (an expiring token).
    pages_per_token: int | None = None
    # Changes to every page before it is served (a broken or inconsistent server).
    tamper: Any = None
    next_base: str | None = None  # another origin for the next links
    served: list[Served] = field(default_factory=list)
    tokens: dict[str, int] = field(default_factory=dict)  # token -> pages served with it
    base: str = ""

    def login_count(self) -> int:
        return sum(1 for s in self.served if s.path == "/api/login" and s.status == 200)

    def pages(self) -> list[Served]:
        return [s for s in self.served if s.path == ENDPOINT and s.status == 200]

    def answer(self, request: Served) -> tuple[int, dict[str, str], bytes, float, float]:
        key = "login" if request.path == "/api/login" else f"page {request.query.get('page')}"
        queue = self.faults.get(key) or []
        if queue:
            fault = queue.pop(0)
            if fault.body is not None or fault.status != 200:
                return fault.status, fault.headers, fault.body or b"", fault.delay, fault.dribble
        if request.path == "/api/login" and request.method == "POST":
            return (*self.login(request), 0.0)
        if request.path == ENDPOINT and request.method == "GET":
            return (*self.page(request), 0.0)
        return 404, {}, b"", 0.0, 0.0

    def login(self, request: Served) -> tuple[int, dict[str, str], bytes, float]:
        try:
            credentials = json.loads(request.body)
        except ValueError:
            return 400, {}, b"", 0.0
        if credentials != {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}:
            return 401, {}, b'{"error": "invalid_client"}', 0.0
        token = f"token-{len(self.tokens) + 1}"
        self.tokens[token] = 0
        body = {
            "access_token": token,
            "expires_in": 300,
            "refresh_expires_in": 0,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "scope": "profile email",
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode(), 0.0

    def page(self, request: Served) -> tuple[int, dict[str, str], bytes, float]:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.tokens or (
            self.pages_per_token is not None and self.tokens[token] >= self.pages_per_token
        ):
            return 401, {}, b"", 0.0
        self.tokens[token] += 1
        query = request.query
        start, until = _moment(query["from"]), _moment(query["until"])
        chosen = sorted(
            (e for e in self.events if start <= _moment(e["metadata"]["createdAt"]) < until),
            key=lambda e: (e["metadata"]["createdAt"], e["metadata"]["uuid"]),
        )
        size, number = int(query.get("size", 50)), int(query.get("page", 0))
        pages = max(1, -(-len(chosen) // size))
        kept = {k: v for k, v in query.items() if k not in ("page", "size")}

        def link(page: int, base: str = self.base) -> dict[str, str]:
            return {"href": f"{base}{ENDPOINT}?{urlencode({**kept, 'page': page, 'size': size})}"}

        body: dict[str, Any] = {
            "_embedded": {"meshEventLogs": chosen[number * size : (number + 1) * size]},
            "_links": {"first": link(0), "self": link(number), "last": link(pages - 1)},
            "page": {
                "size": size,
                "totalElements": len(chosen),
                "totalPages": pages,
                "number": number,
            },
        }
        if number + 1 < pages:
            body["_links"]["next"] = link(number + 1, self.next_base or self.base)
        if self.tamper is not None:
            body = self.tamper(number, body)
        return 200, {"Content-Type": MEDIA_TYPE}, json.dumps(body).encode(), 0.0


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


@contextmanager
def serving(api: FakeMeshStack) -> Iterator[FakeMeshStack]:
    """The API on 127.0.0.1 at a free port (``api.base``) until the block ends."""

    class Handler(BaseHTTPRequestHandler):
        def handle_one(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Served(
                method=method,
                path=parts.path,
                query={k: v[-1] for k, v in parse_qs(parts.query).items()},
                headers=dict(self.headers.items()),
                body=self.rfile.read(length) if length else b"",
            )
            status, headers, body, delay, dribble = api.answer(request)
            request.status, request.answer = status, body
            api.served.append(request)
            if delay:
                threading.Event().wait(delay)
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not dribble:
                    self.wfile.write(body)
                    request.sent = len(body)
                for byte in body if dribble else b"":
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    request.sent += 1
                    threading.Event().wait(dribble)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def do_GET(self) -> None:
            self.handle_one("GET")

        def do_POST(self) -> None:
            self.handle_one("POST")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    api.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
