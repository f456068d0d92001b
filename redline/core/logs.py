"""Log lines as JSON, one object per line (REDLINE_LOG_FORMAT=json), for a log collector.

Each line: `time` (UTC, ISO 8601), `level`, `logger`, `message`, `request_id` (the request's,
or the CLI command's or job's: `redline.core.context`), `user_id` (the signed-in user of the
request being served, when the request has already loaded it: a log line never queries the
database), `process`, and `exc_info` (the traceback's text) when there is one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from redline.core.context import current

_request: ContextVar[HttpRequest | None] = ContextVar("redline_log_request", default=None)


@contextlib.contextmanager
def serving(request: HttpRequest) -> Iterator[None]:
    """Lines logged inside the block name the request's user (RequestContextMiddleware)."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


def user_id() -> int | None:
    request = _request.get()
    if request is None:
        return None
    user = vars(request).get("user")
    if isinstance(user, SimpleLazyObject):
        # AuthenticationMiddleware's lazy user, once something in the request read it.
        user = vars(request).get("_cached_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.pk


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": current().request_id or None,
            "user_id": user_id(),
            "process": record.process,
        }
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)
