"""Every route the site answers, read from the URL conf and the API's OpenAPI document, for
the generated access tests (`test_access_generated.py`): a new page or operation is listed
here without anyone writing it down."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

# A page may take any method: the anonymous test sends these to each.
PAGE_METHODS = ("GET", "HEAD", "POST")
# The converters' kinds, for filling a parameter with a value of the right type.
CONVERTERS = {"int": "int", "str": "str", "slug": "slug", "uuid": "uuid", "path": "path"}
PLACEHOLDER = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")
GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^)]*)\)")


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # int | str | slug | uuid | path


@dataclass(frozen=True)
class Route:
    """One page (a URL conf entry) or one API operation (an OpenAPI path and method)."""

    api: bool
    # "/enterprises/{enterprise_id}/": each parameter in braces.
    template: str
    params: tuple[Param, ...]
    methods: tuple[str, ...]
    name: str

    @property
    def id(self) -> str:
        return f"{'api' if self.api else 'page'} {'|'.join(self.methods)} {self.template}"

    @property
    def scope(self) -> str:
        """The route's resource: its first segment ("hazards"), under "api/v1/" for the API."""
        parts = [p for p in self.template.strip("/").split("/") if p]
        if self.api:
            return "api/v1/" + (parts[2] if len(parts) > 2 else "")
        return parts[0] if parts and "{" not in parts[0] else ""

    def url(self, values: dict[str, Any]) -> str:
        return self.template.format(**{p.name: values[p.name] for p in self.params})


def _is_api_operation(pattern: URLPattern) -> bool:
    return "ninja.operation" in getattr(pattern.callback, "__module__", "")


def _page(route: str, name: str | None) -> Route:
    params: list[Param] = []

    def placeholder(match: re.Match[str]) -> str:
        params.append(Param(match["name"], CONVERTERS.get(match["conv"] or "str", "str")))
        return "{" + match["name"] + "}"

    def group(match: re.Match[str]) -> str:
        # A regular expression's group (the admin's): its first alternative, or a parameter.
        body = match["body"]
        if re.fullmatch(r"[\w|]+", body):
            return body.split("|")[0]
        params.append(Param(match["name"], "str"))
        return "{" + match["name"] + "}"

    template = GROUP.sub(group, route).replace("^", "").replace("$", "")
    template = "/" + PLACEHOLDER.sub(placeholder, template)
    return Route(False, template, tuple(params), PAGE_METHODS, name or "")


def pages() -> list[Route]:
    """Every URL conf entry except the API's operations (those come from the OpenAPI
    document, with their methods)."""
    found: list[Route] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            pattern = entry.pattern
            text = str(pattern) if isinstance(pattern, RoutePattern) else pattern.regex.pattern
            if isinstance(entry, URLResolver):
                walk(entry, prefix + text)
            elif not _is_api_operation(entry):
                found.append(_page(prefix + text, entry.name))

    walk(get_resolver(), "")
    return found


def api_paths_in_urlconf() -> set[str]:
    """The API operations' paths as the URL conf holds them ("/api/v1/hazards/{hazard_id}")."""
    out: set[str] = set()

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, prefix + str(entry.pattern))
            elif _is_api_operation(entry):
                out.add("/" + PLACEHOLDER.sub(r"{\g<name>}", prefix + str(entry.pattern)))

    walk(get_resolver(), "")
    return out


def operations() -> list[Route]:
    """Every operation of the API's OpenAPI document, one route per path and method."""
    from redline.core.api import api

    schema = api.get_openapi_schema()
    found = []
    for path, operations_ in schema["paths"].items():
        for method, operation in operations_.items():
            params = tuple(
                Param(p["name"], _schema_kind(p["schema"]))
                for p in operation.get("parameters", [])
                if p["in"] == "path"
            )
            found.append(
                Route(True, path, params, (method.upper(),), operation.get("operationId", ""))
            )
    return found


def _schema_kind(schema: dict[str, Any]) -> str:
    if schema.get("type") == "integer":
        return "int"
    if schema.get("format") == "uuid":
        return "uuid"
    return "str"


def every_route() -> list[Route]:
    return pages() + operations()
