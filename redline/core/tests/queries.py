"""Query-count contracts for list pages, dashboards and API lists (STYLE.md: "List pages
and dashboards assert their query counts, so an N+1 fails the suite").

`assert_flat` requests a page with a few rows, adds rows that hang off *different* related
objects (other units, regions, people, ...), requests it again and asserts the number of
queries did not change: an N+1 shows as a difference, without pinning absolute numbers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/json"):
        # Ninja escapes non-ASCII characters; compare with the text as people read it.
        return json.dumps(response.json(), ensure_ascii=False)
    return response.content.decode("utf-8", "replace")


def measure(client: Any, url: str, params: dict[str, Any] | None = None, **extra: Any):
    """(number of queries, response, text) of one GET, after a first GET that warms the
    session and the caches. A streamed response is consumed inside the count."""
    body(client.get(url, params or {}, **extra))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {}, **extra)
        text = body(response)
    assert response.status_code == 200, (url, response.status_code, text[:500])
    return captured, response, text


def assert_flat(
    client: Any,
    url: str,
    grow: Callable[[int], Iterable[str]],
    *,
    params: dict[str, Any] | None = None,
    rounds: int = 3,
    check_text: bool = True,
    **extra: Any,
) -> tuple[int, str]:
    """`grow(0)` builds a few rows, `grow(1..rounds)` more; each returns texts the page
    must show once they exist (skipped when `check_text` is false, e.g. for xlsx).
    Asserts the page costs as many queries with many rows as with few; returns
    (queries, final text)."""
    shown = list(grow(0))
    few, _response, text = measure(client, url, params, **extra)
    if check_text:
        for marker in shown:
            assert marker in text, f"{url}: {marker!r} not shown with few rows"
    for step in range(1, rounds + 1):
        shown += list(grow(step))
    many, _response, text = measure(client, url, params, **extra)
    if check_text:
        for marker in shown:
            assert marker in text, f"{url}: {marker!r} not shown with many rows"
    if len(many) != len(few):
        listing = "\n".join(q["sql"][:300] for q in many.captured_queries)
        raise AssertionError(
            f"{url}: {len(few)} queries with few rows, {len(many)} with more:\n{listing}"
        )
    return len(many), text
