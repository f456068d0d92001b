from __future__ import annotations

import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation

from redline.core.context import acting
from redline.core.errors import DomainError, ValidationFailed
from redline.core.web import raise_for_access


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Records who acts, through which client and from where, for the audit log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        client = "api" if request.path.startswith("/api/") else "web"
        request.request_id = request_id  # type: ignore[attr-defined]
        with acting(client=client, ip=client_ip(request), request_id=request_id):
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
