"""The REST API under /api/v1/: authentication, the one error shape, pagination, and the
guards every operation shares (one value per query parameter, integers the database holds and
days the calendar holds, the error responses documented)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation
from ninja.parser import Parser
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth
from pydantic import BaseModel

from redline.core.api_pages import PageParams, paginate
from redline.core.api_schemas import ErrorOut
from redline.core.errors import DomainError, ValidationFailed

__all__ = ["PageParams", "api", "paginate"]

# Every integer the API takes is one the database holds: ids are 64-bit (BigAutoField).
INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
# Every day the API takes: the calendar's ends overflow the date arithmetic of deadlines and
# periods (and a midnight's conversion to UTC), and no record of this domain lies beyond these.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)
# Pydantic's errors for a number outside a parameter's declared bounds.
RANGE_ERRORS = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal"})


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


class SessionAuth(NinjaSessionAuth):
    """The web session. A caller who is not signed in is turned away (401) before the CSRF
    check, which only a signed-in session's writes need (token callers need none)."""

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


class QueryParser(Parser):
    """A query parameter that takes one value, sent more than once, is refused by name (422)
    instead of quietly taking the last value."""

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        repeated = sorted(
            key for key in data if key not in list_fields and len(data.getlist(key)) > 1
        )
        if repeated:
            raise ValidationFailed(fields={key: _("Send one value only.") for key in repeated})
        return super().parse_querydict(data, list_fields, request)


class RedlineAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        _document_integer_range(schema)
        return schema


api = RedlineAPI(
    title="Redline API",
    version="1",
    description=(
        "Production-safety supervision and epidemic early warning. Authenticate with a "
        "personal API token (`Authorization: Bearer rl_...`, created on the web under "
        "API tokens) or with the web session (writes then need the CSRF token). Every "
        'failure answers `{"error": {"code", "message", "fields"}}`: 400 a malformed '
        "request, 401 not signed in, 403 not allowed, 404 not found or not yours to see, "
        "409 a stale version or a conflicting state, 422 a value refused (named in "
        "`fields`). Integers are 64-bit, days from 1900-01-01 to 2999-12-31; a query "
        "parameter takes one value unless it is a list."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    parser=QueryParser(),
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
    if exc.errors and all(error.get("type") in RANGE_ERRORS for error in exc.errors):
        # Well-formed numbers outside their documented range: refused values, not malformed.
        refused = ValidationFailed(fields=fields)
        return error_response(request, refused.status, refused.code, refused.message, fields)
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


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE (a file too large, sent in base64)."""
    return error_response(
        request,
        413,
        "too_large",
        _("The request is larger than the %(mb)d MB a file may have.")
        % {"mb": settings.REDLINE_UPLOAD_MAX_MB},
    )


@api.exception_handler(DjangoPermissionDenied)
def _forbidden(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
    return error_response(
        request, 403, "permission_denied", _("You do not have permission to do this.")
    )


# --- integers the database holds, days the calendar holds ------------------------------------


def _out_of_range(value: Any, name: str, found: dict[str, str]) -> None:
    """Name every integer in `value` (a parameter, a body and what it holds) that no database
    column holds, and every day outside the years the API takes."""
    _walk(value, [name] if name else [], found)


# Values that hold nothing to check: skipped without a call (a body of 100,000 installations
# holds millions of them).
_NOTHING_INSIDE = (str, float, type(None), bool)


def _walk(value: Any, path: list[Any], found: dict[str, str]) -> None:
    """`_out_of_range` with the value's place as a list of keys and indexes, joined only for
    a value refused."""
    if isinstance(value, _NOTHING_INSIDE):
        return
    if isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            found.setdefault(
                ".".join(map(str, path)) or "__all__",
                _("Enter a whole number from %(low)s to %(high)s.")
                % {"low": INT_MIN, "high": INT_MAX},
            )
        return
    if isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        if not FIRST_DAY <= day <= LAST_DAY:
            found.setdefault(
                ".".join(map(str, path)) or "__all__",
                _("Enter a date from %(first)s to %(last)s.")
                % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
            )
        return
    if isinstance(value, BaseModel):
        items: Any = [
            (info.alias or key, getattr(value, key))
            for key, info in type(value).model_fields.items()
        ]
        items += list((value.model_extra or {}).items())
    elif isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return
    for key, item in items:
        if isinstance(item, _NOTHING_INSIDE):
            continue
        path.append(key)
        _walk(item, path, found)
        path.pop()


def refuse_out_of_range(view: Callable[..., Any]) -> Callable[..., Any]:
    """Every operation's arguments, once validated and before the view runs: an integer out of
    the database's range, or a day out of the years taken, answers 422 naming the parameter or
    field, and nothing is done.
    A parameter schema (`Query[Filters]`, the body) is named by its fields, as the client
    sends them; a plain parameter by its own name."""

    @functools.wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        found: dict[str, str] = {}
        for name, value in kwargs.items():
            _out_of_range(value, "" if isinstance(value, BaseModel) else name, found)
        if found:
            raise ValidationFailed(fields=found)
        return view(request, *args, **kwargs)

    return checked


api.add_decorator(refuse_out_of_range)


def _document_integer_range(node: Any) -> None:
    """Every integer of the OpenAPI document says the range the API takes."""
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
            node.setdefault("minimum", INT_MIN)
            node.setdefault("maximum", INT_MAX)
        for child in node.values():
            _document_integer_range(child)
    elif isinstance(node, list):
        for child in node:
            _document_integer_range(child)


# --- the error responses each operation documents ----------------------------------------------

ERROR_DESCRIPTIONS = {
    400: "The request is malformed (`fields` names what is wrong).",
    401: "Not signed in, or the API token is not valid.",
    403: "Your role or jurisdiction does not allow it (or a session write without the CSRF token).",
    404: "Not found, or not in your jurisdiction.",
    409: "The version you sent is stale, or the record's state does not allow it now.",
    422: "A value is refused (`fields` names it).",
}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def error_statuses(operation: Operation) -> set[int]:
    """The errors an operation can answer: every one 401 and 403; one that takes any input
    400, 404 and 422 as well; a write 409 as well."""
    statuses = {401, 403}
    if operation.models:
        statuses |= {400, 404, 422}
    if set(operation.methods) - SAFE_METHODS:
        statuses.add(409)
    return statuses


def document_errors(router: Router) -> None:
    """Add the shared error shape, for the errors it can answer, to each of the router's
    operations (a status the operation declares itself is kept)."""
    for view in router.path_operations.values():
        for operation in view.operations:
            extra: dict[str, Any] = operation.openapi_extra or {}
            described = extra.setdefault("responses", {})
            for status in sorted(error_statuses(operation)):
                if status in operation.response_models:
                    continue
                operation.response_models[status] = operation._create_response_model(ErrorOut)
                described.setdefault(status, {})["description"] = ERROR_DESCRIPTIONS[status]
            operation.openapi_extra = extra


def register_routers() -> None:
    from redline.accidents.api import router as accidents_router
    from redline.accounts.api import router as accounts_router
    from redline.assessment.api import router as assessment_router
    from redline.committee.api import router as committee_router
    from redline.core.api_jobs import router as jobs_router
    from redline.core.audit_api import router as audit_router
    from redline.epidemic.api_counts import router as epidemic_counts_router
    from redline.epidemic.api_signals import router as epidemic_signals_router
    from redline.hazards.api import router as hazards_router
    from redline.inspections.api import router as inspections_router
    from redline.medical.api import router as medical_router
    from redline.organisations.api import router as organisations_router
    from redline.risk.api import router as risk_router
    from redline.training.api import router as training_router

    for router in (
        organisations_router,
        accounts_router,
        audit_router,
        risk_router,
        hazards_router,
        inspections_router,
        committee_router,
        accidents_router,
        medical_router,
        epidemic_counts_router,
        epidemic_signals_router,
        training_router,
        assessment_router,
        jobs_router,
    ):
        document_errors(router)
        api.add_router("/", router)


register_routers()
