from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation

from redline.core.context import acting
from redline.core.errors import DomainError, ValidationFailed
from redline.core.logs import serving
from redline.core.web import raise_for_access


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the peer's, or, when the peer is a trusted proxy
    (REDLINE_FORWARDED_ALLOW_IPS), the nearest address in X-Forwarded-For that is not one of
    the trusted proxies (what a client writes there itself comes before and is not read)."""
    peer = request.META.get("REMOTE_ADDR") or None
    trusted = settings.REDLINE_FORWARDED_ALLOW_IPS
    if peer is None or not (peer in trusted or "*" in trusted):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:
            return peer  # a hop that is no address: not to be trusted
        if address not in trusted:
            return address
    return peer


# A client's X-Request-ID is kept when it is a plain token that fits the change log's column;
# anything else (too long, spaces, markup) is replaced by a fresh id.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id_of(request: HttpRequest) -> str:
    given = request.headers.get("X-Request-ID", "")
    return given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


class RequestContextMiddleware:
    """Records who acts, through which client and from where, for the audit log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_of(request)
        client = "api" if request.path.startswith("/api/") else "web"
        request.request_id = request_id  # type: ignore[attr-defined]
        with acting(client=client, ip=client_ip(request), request_id=request_id), serving(request):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class LanguageMiddleware(LocaleMiddleware):
    """zh-Hans unless the user chose another language (the language cookie).

    Pages ignore the browser's Accept-Language: the city works in Chinese and each
    user switches to English explicitly. API clients may still ask with
    Accept-Language for messages in English.
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen not in dict(settings.LANGUAGES):
            chosen = settings.LANGUAGE_CODE
            if request.path.startswith("/api/"):
                chosen = translation.get_language_from_request(request) or chosen
        translation.activate(chosen)
        request.LANGUAGE_CODE = translation.get_language()


class DomainErrorMiddleware:
    """On pages, a domain 404 or 403 raised by a selector or a service (a record or a filter
    outside the user's jurisdiction, an action the user may not take) answers as Django's
    404 or 403; a bad value a page did not put on a form itself (a list's filter,
    `core.filters`) answers 422 naming it. The API maps domain errors itself (`core.api`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DomainError):
            raise_for_access(exception)
        if isinstance(exception, ValidationFailed):
            context = {"failure": exception, "fields": sorted(exception.fields.items())}
            return render(request, "core/refused.html", context, status=exception.status)
        return None
