"""The collector: an installation's events for a period from meshStack's API, into an export file.

It logs in with an API key's client credentials (``POST /api/login``, the JSON variant), reads
``GET /api/meshobjects/mesheventlogs`` with ``from`` and ``until`` page by page, following the HAL
``_links.next`` link, and checks every page against the published schema. It is polite and
bounded: 429 and 5xx answers (and dropped connections) are retried after the ``Retry-After`` the
server asks for or an exponential backoff, each wait and all waits together capped; an expired
token (401) leads to one new login; every request has a timeout and every answer a size cap; no
redirect is followed and no link to another host is, so the token goes to the configured
meshStack only. Nothing is written unless every page was read and checked: the export is written
atomically (``export.write_export``).

Secrets: the client secret and the token appear in no message, no exception and no repr.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import Any
from urllib.parse import SplitResult, urlencode, urlsplit

from generator import __version__
from generator.config import Period
from generator.errors import BuildError
from generator.meshevents.export import header, utc_text
from generator.meshevents.schema import (
    ENDPOINT,
    LOGIN,
    MEDIA_TYPE,
    event_problems,
    page_problems,
    parse_timestamp,
)
from generator.textcheck import NestingError, json_loads, lone_surrogate_escape

RETRIED = (429, 500, 502, 503, 504)
_SHOWN_PROBLEMS = 20  # of a broken page; the rest are counted


class CollectError(BuildError):
    """The collection could not complete; nothing was written."""


@dataclass(frozen=True)
class Credentials:
    """An API key's client ID and secret (from the environment, never from a file)."""

    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class Limits:
    """What bounds a collection (docs/events.md#limits)."""

    page_size: int = 200  # events asked per page (the API's default is 50)
    timeout: float = 30.0  # seconds for connecting and for each read of a request
    request_seconds: float = 120.0  # one request from start to last byte
    max_page_bytes: int = 32 * 1024 * 1024
    max_pages: int = 10_000
    attempts: int = 6  # per request, the first included
    backoff: float = 2.0  # first wait without Retry-After, doubled after each retry
    max_wait: float = 120.0  # one wait, also the most Retry-After that is honoured
    max_total_wait: float = 900.0  # all waits of one collection together


@dataclass(frozen=True)
class Collected:
    """What a collection read: the export's header and its events, unchanged."""

    header: dict[str, Any]
    events: list[Any]


class _Unauthorized(Exception):
    pass


@dataclass
class Collector:
    """One collection from one meshStack. ``sleep`` and ``now`` are the clock (tests pass their
    own to record the waits instead of waiting)."""

    base_url: str  # https://acme.meshstack.io, no trailing slash
    credentials: Credentials = field(repr=False)
    limits: Limits = field(default_factory=Limits)
    progress: Callable[[str], None] = lambda line: None
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    waited: float = 0.0
    _token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        self._origin = _origin(parts)
        # No redirects (the token would follow them); no proxy for this machine's own address.
        handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
        if parts.hostname in ("localhost", "127.0.0.1", "::1"):
            handlers.append(urllib.request.ProxyHandler({}))
        self._opener = urllib.request.build_opener(*handlers)

    def collect(self, installation: str, period: Period) -> Collected:
        """Every event of the period, page by page; CollectError when any page fails."""
        started = self.now()
        # A period still running is asked up to now: events yet to come cannot shift the pages,
        # and a build states the rest of the period as a gap (sources/events.py).
        until = min(period.end_utc_exclusive, started.replace(microsecond=0))
        if until <= period.start_utc:
            raise CollectError(f"the period {period.text} has not begun: nothing to collect")
        window = (period.start_utc, until)
        filters = {"from": utc_text(period.start_utc), "until": utc_text(until)}
        endpoint = f"{self.base_url}{ENDPOINT}"
        url: str | None = (
            f"{endpoint}?{urlencode({**filters, 'page': 0, 'size': self.limits.page_size})}"
        )
        self.login()
        pages: list[dict[str, Any]] = []
        events: list[Any] = []
        seen: dict[str, int] = {}
        total: int | None = None
        while url is not None:
            if len(pages) >= self.limits.max_pages:
                raise CollectError(f"more than {self.limits.max_pages:,} pages: stopped")
            number = len(pages) + 1
            page = self._page(url, number)
            embedded = page.get("_embedded", {}).get("meshEventLogs", [])
            shape = page.get("page", {})
            if number == 1 and isinstance(shape.get("totalElements"), int):
                total = shape["totalElements"]
            for raw in embedded:
                first = seen.setdefault(raw["metadata"]["uuid"], number)
                if first != number or _outside(raw, window):
                    raise CollectError(_changed(raw, first, number, filters))
            events.extend(embedded)
            pages.append({"url": url, "events": len(embedded), "page": shape})
            of = f" of {shape['totalPages']}" if isinstance(shape.get("totalPages"), int) else ""
            self.progress(f"page {number}{of}: {len(embedded)} events ({len(events)} so far)")
            url = self._next(page, url, {p["url"] for p in pages})
        if total is not None and total != len(events):
            raise CollectError(
                f"meshStack said the period has {total} events and served {len(events)}: the "
                "event log changed while it was read; collect again"
            )
        head = header(
            installation=installation,
            period=period,
            url=endpoint,
            accept=MEDIA_TYPE,
            filters=filters,
            page_size=self.limits.page_size,
            collected_at=started,
            pages=pages,
            count=len(events),
        )
        return Collected(head, events)

    def login(self) -> None:
        """A bearer token for the API key (``POST /api/login``, JSON credentials)."""
        body = json.dumps(
            {"clientId": self.credentials.client_id, "clientSecret": self.credentials.client_secret}
        ).encode("utf-8")
        try:
            data = self._send(
                "POST",
                f"{self.base_url}{LOGIN}",
                body,
                {"Content-Type": "application/json", "Accept": "application/json"},
                what="login",
            )
        except _Unauthorized:
            raise CollectError(
                f"meshStack ({self.base_url}) refused the API key at login: check "
                "the client ID and secret in the environment variables the installation names"
            ) from None
        try:
            answer = json_loads(data)
            token = answer["access_token"]
        except (ValueError, TypeError, KeyError):
            token = None
        if not isinstance(token, str) or not token:
            raise CollectError(f"the login at {self.base_url}{LOGIN} answered without a token")
        self._token = token
        self.progress(f"logged in to {self.base_url}")

    def _page(self, url: str, number: int) -> dict[str, Any]:
        """One page, checked against the published schema; one new login on an expired token."""
        headers = {"Accept": MEDIA_TYPE}
        try:
            data = self._send("GET", url, None, headers, what=f"page {number}")
        except _Unauthorized:
            self.progress("the token was refused (HTTP 401, expired?): logging in again")
            self.login()
            try:
                data = self._send("GET", url, None, headers, what=f"page {number}")
            except _Unauthorized:
                raise CollectError(
                    f"page {number} ({url}): meshStack refused a fresh token too (HTTP 401): "
                    "the API key may lack the permission to read event logs"
                ) from None
        try:
            page = json_loads(data)
        except ValueError as exc:
            where = f" at line {exc.lineno}, column {exc.colno}" if hasattr(exc, "lineno") else ""
            if isinstance(exc, NestingError):
                where += f" ({exc.msg})"
            raise CollectError(
                f"page {number} ({url}) is not JSON{where}: nothing written"
            ) from None
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        lone = lone_surrogate_escape(text)
        if lone is not None:
            line = text.count("\n", 0, lone) + 1
            raise CollectError(
                f"page {number} ({url}) holds {text[lone : lone + 6]} at line {line}: half of a "
                "character (a lone surrogate), which is not text: nothing written"
            )
        problems = page_problems(page)
        if not problems:
            # An empty page may leave out _embedded (page_problems accepted that).
            page.setdefault("_embedded", {"meshEventLogs": []})
            for index, raw in enumerate(page["_embedded"]["meshEventLogs"]):
                problems.extend(event_problems(raw, f"/_embedded/meshEventLogs/{index}"))
        if problems:
            lines = [f"  {pointer}: {message}" for pointer, message in problems[:_SHOWN_PROBLEMS]]
            if len(problems) > _SHOWN_PROBLEMS:
                lines.append(f"  ... and {len(problems) - _SHOWN_PROBLEMS} more")
            raise CollectError(
                f"page {number} ({url}) does not fit meshStack's published schema; nothing "
                "written:\n" + "\n".join(lines)
            )
        return page

    def _next(self, page: dict[str, Any], url: str, visited: set[str]) -> str | None:
        """The ``next`` link, if any; only to the same meshStack and endpoint, never twice."""
        link = page.get("_links", {}).get("next")
        href = link.get("href") if isinstance(link, dict) else None
        if href is None:
            return None
        parts = urlsplit(href) if isinstance(href, str) else None
        if parts is None or _origin(parts) != self._origin or parts.path != urlsplit(url).path:
            raise CollectError(
                f"the next link of {url} leads elsewhere than {self.base_url}{ENDPOINT}: not "
                "followed (the token goes to the configured meshStack only)"
            )
        if href in visited:
            raise CollectError(f"the next link of {url} leads back to a page already read")
        return href

    def _send(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str], *, what: str
    ) -> bytes:
        """The answer's body; retried politely on 429, 5xx and dropped connections."""
        for attempt in range(1, self.limits.attempts + 1):
            request = urllib.request.Request(url, data=body, method=method)
            for name, value in {**headers, "User-Agent": f"meshcomply/{__version__}"}.items():
                request.add_header(name, value)
            if self._token is not None and method == "GET":
                request.add_header("Authorization", f"Bearer {self._token}")
            try:
                return self._read(request, url)
            except urllib.error.HTTPError as exc:
                status = exc.code
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                exc.close()
                if status == 401 or (what == "login" and status in (400, 403)):
                    raise _Unauthorized from None
                if status not in RETRIED:
                    raise CollectError(_refused(what, url, status, exc.reason)) from None
                reason = f"HTTP {status}"
            except (urllib.error.URLError, TimeoutError, HTTPException, OSError) as exc:
                reason = f"no answer ({_network_reason(exc)})"
                retry_after = None
            if attempt == self.limits.attempts:
                raise CollectError(
                    f"{what} ({url}): {reason} {attempt} times; giving up, nothing written"
                )
            self._wait(self._delay(attempt, retry_after, what, url), what, reason, attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(self, request: urllib.request.Request, url: str) -> bytes:
        deadline = time.monotonic() + self.limits.request_seconds
        with self._opener.open(request, timeout=self.limits.timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > self.limits.max_page_bytes:
                raise CollectError(_too_large(url, self.limits.max_page_bytes))
            chunks, size = [], 0
            # read1: at most one read of the socket, so the deadline holds against a server that
            # sends a byte at a time (read(n) would wait for all n).
            while chunk := response.read1(64 * 1024):
                size += len(chunk)
                if size > self.limits.max_page_bytes:
                    raise CollectError(_too_large(url, self.limits.max_page_bytes))
                if time.monotonic() > deadline:
                    raise TimeoutError(f"not complete after {self.limits.request_seconds:g} s")
                chunks.append(chunk)
            return b"".join(chunks)

    def _delay(self, attempt: int, retry_after: str | None, what: str, url: str) -> float:
        asked = _retry_after_seconds(retry_after, self.now())
        if asked is None:
            return min(self.limits.backoff * 2 ** (attempt - 1), self.limits.max_wait)
        if asked > self.limits.max_wait:
            raise CollectError(
                f"{what} ({url}): meshStack asked to wait {asked:g} s before retrying, more than "
                f"the {self.limits.max_wait:g} s a collection waits at once; try again later"
            )
        return asked

    def _wait(self, seconds: float, what: str, reason: str, attempt: int) -> None:
        if self.waited + seconds > self.limits.max_total_wait:
            raise CollectError(
                f"{what}: {reason}; waiting {seconds:g} s more would exceed the "
                f"{self.limits.max_total_wait:g} s a collection waits in all; try again later"
            )
        self.progress(
            f"{what}: {reason}; retrying in {seconds:g} s "
            f"(attempt {attempt + 1} of {self.limits.attempts})"
        )
        self.waited += seconds
        self.sleep(seconds)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: the Authorization header must not follow it elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        return None


def _origin(parts: SplitResult) -> tuple[str, str | None, int | None]:
    """Scheme, host and port, the default port written out (https://h and https://h:443 agree)."""
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, parts.hostname, parts.port or default


def _retry_after_seconds(value: str | None, now: dt.datetime) -> float | None:
    """Retry-After as seconds from now: a number of seconds or an HTTP date; None if absent."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0.0, (moment - now).total_seconds())


def _outside(raw: dict[str, Any], window: tuple[dt.datetime, dt.datetime]) -> bool:
    moment = parse_timestamp(raw["metadata"]["createdAt"])
    return moment is None or not window[0] <= moment < window[1]


def _changed(raw: dict[str, Any], first: int, number: int, filters: dict[str, str]) -> str:
    uid = repr(raw["metadata"]["uuid"][:80])
    if first != number:
        return (
            f"event {uid} was served on page {first} and again on page {number}: the event log "
            "changed while it was read (or the server pages inconsistently); collect again"
        )
    return (
        f"page {number} holds event {uid}, created outside the window asked for (from "
        f"{filters['from']} until {filters['until']})"
    )


def _refused(what: str, url: str, status: int, reason: str) -> str:
    if status == 403:
        return (
            f"{what} ({url}): HTTP 403: the API key may not read event logs; give it the "
            "permission to list event logs (docs/events.md#api-key)"
        )
    if 300 <= status < 400:
        return f"{what} ({url}): HTTP {status}, a redirect; not followed (the token stays here)"
    return f"{what} ({url}): HTTP {status} {str(reason)[:80]!r}; nothing written"


def _too_large(url: str, limit: int) -> str:
    return f"{url}: the answer is larger than {limit:,} bytes; nothing written"


def _network_reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    return str(reason)[:120] or type(exc).__name__
