"""Security on every answer: the headers Django's own middleware does not send
(Permissions-Policy; `Cache-Control: private, no-store` on what a signed-in user or the API is
answered) and the log of denied accesses (`redline.access.denied`).

The Content-Security-Policy comes from Django's `ContentSecurityPolicyMiddleware` with
`SECURE_CSP` (settings); HSTS, nosniff and the referrer policy from its `SecurityMiddleware`.

A denied access is logged once per request: by the door (`ScopedQuerySet.get_for`: a record
outside the user's jurisdiction, an action their role may not take, with the reason), else by
this middleware for any other 403 the request ends in (a view's or a service's own refusal).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from redline.core.context import current

denied_log = logging.getLogger("redline.access.denied")

NO_STORE = "private, no-store"


@dataclass
class _Request:
    path: str
    denial_logged: bool = False


_request: ContextVar[_Request | None] = ContextVar("redline_security_request", default=None)


def _user_id(user: Any) -> Any:
    return getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None


def log_denied(*, user: Any, reason: str, **detail: Any) -> None:
    """One WARNING line on `redline.access.denied`: who (user id, or "-" when anonymous), which
    path ("-" outside a request: a job, a command), why, and what else helps (the model, the
    lookup). The line is written once per request."""
    state = _request.get()
    if state is not None:
        if state.denial_logged:
            return
        state.denial_logged = True
    user_id = _user_id(user)
    path = state.path if state is not None else "-"
    extra_text = "".join(f" {key}={value}" for key, value in sorted(detail.items()))
    denied_log.warning(
        "access denied: user=%s path=%s reason=%s%s",
        user_id if user_id is not None else "-",
        path,
        reason,
        extra_text,
        extra={
            "user_id": user_id,
            "request_path": path,
            "reason": reason,
            "request_id": current().request_id,
        },
    )


def _permissions_policy() -> str:
    policy: dict[str, str] = settings.REDLINE_PERMISSIONS_POLICY
    return ", ".join(f"{feature}={allow}" for feature, allow in policy.items())


class SecurityHeadersMiddleware:
    """Permissions-Policy on every answer; `Cache-Control: private, no-store` on every answer
    to a signed-in user and on every API answer (static files are served before, by
    WhiteNoise, and keep their long caching); a 403 nobody logged is logged."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.permissions_policy = _permissions_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state = _Request(path=request.path)
        token = _request.set(state)
        try:
            response = self.get_response(request)
            if response.status_code == 403 and not state.denial_logged:
                log_denied(user=getattr(request, "user", None), reason=_reason(request, response))
        finally:
            _request.reset(token)
        if self.permissions_policy:
            response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        # An answer already private and no-store (the probes') needs no look at the session.
        present = response.headers.get("Cache-Control", "")
        private = "no-store" in present and "private" in present
        if not private and (request.path.startswith("/api/") or _signed_in(request)):
            response.headers["Cache-Control"] = NO_STORE
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        # Kept for the log line: what the view raised, before it becomes a 403 page.
        request._redline_refusal = exception  # type: ignore[attr-defined]


def _signed_in(request: HttpRequest) -> bool:
    return bool(getattr(getattr(request, "user", None), "is_authenticated", False))


def _reason(request: HttpRequest, response: HttpResponse) -> str:
    """Why a 403: the exception a page raised (its code and message), or the API's error
    code."""
    refusal = getattr(request, "_redline_refusal", None)
    if refusal is not None:
        code = getattr(refusal, "code", None) or type(refusal).__name__
        message = str(getattr(refusal, "message", "") or refusal or "")
        return f"{code}: {message}" if message else str(code)
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            return str(json.loads(response.content)["error"]["code"])
        except (ValueError, KeyError, TypeError):
            pass
    return "forbidden"
