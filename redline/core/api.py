"""The REST API under /api/v1/: authentication, the one error shape, pagination."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from redline.core.api_pages import PageParams, paginate
from redline.core.errors import DomainError

__all__ = ["PageParams", "api", "paginate"]


class TokenAuth(HttpBearer):
    """Personal API tokens: `Authorization: Bearer rl_...`."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from redline.accounts.models import ApiToken

        found = ApiToken.find(token)
        if found is None or not found.user.is_active:
            return None
        now = timezone.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


api = NinjaAPI(
    title="Redline API",
    version="1",
    description=(
        "Production-safety supervision and epidemic early warning. Authenticate with a "
        "personal API token (`Authorization: Bearer rl_...`, created on the web under "
        "API tokens) or with the web session. Every failure answers "
        '`{"error": {"code", "message", "fields"}}`.'
    ),
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
)


def error_response(
    request: HttpRequest, status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(request, exc.status, exc.code, exc.message, exc.fields)


@api.exception_handler(NinjaValidationError)
def _schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, str] = {}
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ("body", <argument>, field, ...) or ("query" | "path" | ..., field, ...)
        if loc[:1] == ["body"]:
            loc = loc[2:] if len(loc) > 2 else loc[1:]
        elif loc[:1] and loc[0] in ("query", "path", "header", "cookie", "form", "file"):
            loc = loc[1:]
        fields.setdefault(".".join(loc) or "__all__", str(error.get("msg", "")))
    return error_response(
        request, 400, "bad_request", _("The request is malformed; see the fields."), fields
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "unauthenticated", _("Sign in or send a valid API token."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {401: "unauthenticated", 403: "permission_denied", 404: "not_found", 429: "throttled"}
    return error_response(
        request, exc.status_code, codes.get(exc.status_code, "error"), str(exc.message)
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", _("Not found."))


@api.exception_handler(DjangoPermissionDenied)
def _forbidden(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
    return error_response(
        request, 403, "permission_denied", _("You do not have permission to do this.")
    )


def register_routers() -> None:
    from redline.accidents.api import router as accidents_router
    from redline.accounts.api import router as accounts_router
    from redline.assessment.api import router as assessment_router
    from redline.committee.api import router as committee_router
    from redline.core.audit_api import router as audit_router
    from redline.epidemic.api_counts import router as epidemic_counts_router
    from redline.epidemic.api_signals import router as epidemic_signals_router
    from redline.hazards.api import router as hazards_router
    from redline.inspections.api import router as inspections_router
    from redline.medical.api import router as medical_router
    from redline.organisations.api import router as organisations_router
    from redline.risk.api import router as risk_router
    from redline.training.api import router as training_router

    api.add_router("/", organisations_router)
    api.add_router("/", accounts_router)
    api.add_router("/", audit_router)
    api.add_router("/", risk_router)
    api.add_router("/", hazards_router)
    api.add_router("/", inspections_router)
    api.add_router("/", committee_router)
    api.add_router("/", accidents_router)
    api.add_router("/", medical_router)
    api.add_router("/", epidemic_counts_router)
    api.add_router("/", epidemic_signals_router)
    api.add_router("/", training_router)
    api.add_router("/", assessment_router)


register_routers()
