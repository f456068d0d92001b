"""Who is acting, from where: the context every audited change is recorded with.

Set once per request (middleware), per CLI command, or per job; read by the audit
log. A contextvar, so threads and async tasks each see their own.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class ActorContext:
    client: str = "system"  # web | api | cli | job | system
    ip: str | None = None
    request_id: str = ""


_current: ContextVar[ActorContext] = ContextVar("redline_actor", default=ActorContext())  # noqa: B039 (frozen)


def current() -> ActorContext:
    return _current.get()


@contextlib.contextmanager
def acting(**fields: Any) -> Iterator[ActorContext]:
    """Run a block with a given client and origin: `with acting(client="cli"): ...`."""
    base = _current.get()
    ctx = replace(base, **fields)
    if not ctx.request_id:
        ctx = replace(ctx, request_id=uuid.uuid4().hex)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
