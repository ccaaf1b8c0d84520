"""meshStack events in the published format, and export files made of them, for the tests."""

from __future__ import annotations

import datetime as dt
import uuid as uuidlib
from pathlib import Path
from typing import Any

from generator.config import Period
from generator.meshevents.export import export_name, header, utc_text, write_export
from generator.meshevents.schema import MEDIA_TYPE

PUBLISHED_API = Path(__file__).parents[2] / "shared" / "data" / "meshstack-api"
OPENAPI = PUBLISHED_API / "meshstack-openapi-docs.json"
URL = "https://acme.meshstack.example"
ENDPOINT = f"{URL}/api/meshobjects/mesheventlogs"


def raw_event(
    created_at: str,
    title: str = "Workspace User Role Added",
    *,
    event_type: str = "Added",
    uid: str | None = None,
    workspace: str | None = "payments",
    author_type: str = "User",
    author: str = "u-alice",
    content: dict[str, Any] | None = None,
    previous: dict[str, Any] | None = None,
    base: str = URL,
) -> dict[str, Any]:
    """One meshEventLog as the list endpoint embeds it."""
    uid = uid or str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"{created_at}/{title}/{author}"))
    spec: dict[str, Any] = {
        "title": title,
        "eventType": event_type,
        "description": f"{title} by {author}",
        "workspaceRef": {"name": workspace, "kind": "meshWorkspace"} if workspace else None,
        "content": content if content is not None else {"user": "bob", "role": "Workspace Owner"},
        "author": {"authorType": author_type, "identifier": author},
    }
    if previous is not None:
        spec["previousContent"] = previous
    return {
        "kind": "meshEventLog",
        "apiVersion": "v1-preview",
        "metadata": {"uuid": uid, "createdAt": created_at},
        "spec": spec,
        "_links": {"self": {"href": f"{base}/api/meshobjects/mesheventlogs/{uid}"}},
    }


def export_header(
    period: Period,
    count: int,
    *,
    installation: str = "acme",
    url: str = ENDPOINT,
    collected_at: dt.datetime | None = None,
    filters: dict[str, str] | None = None,
    pages: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return header(
        installation=installation,
        period=period,
        url=url,
        accept=MEDIA_TYPE,
        filters=filters
        or {"from": utc_text(period.start_utc), "until": utc_text(period.end_utc_exclusive)},
        page_size=50,
        collected_at=collected_at or period.end_utc_exclusive + dt.timedelta(days=3),
        pages=pages
        if pages is not None
        else [{"url": f"{url}?page=0", "events": count, "page": {"number": 0}}],
        count=count,
    )


def write(folder: Path, period: Period, events: list[dict[str, Any]], **options: Any) -> Path:
    """An export of ``events`` where the events source looks for it; returns its path."""
    path = folder / export_name(options.get("installation", "acme"), period)
    write_export(path, export_header(period, len(events), **options), events)
    return path
