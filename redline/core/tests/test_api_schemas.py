"""The OpenAPI document: one component name per schema class (Ninja names a component after its
class, so two classes of one name would be documented as one), and every operation documents
the errors it can answer in the one error shape."""

from __future__ import annotations

import enum
import typing
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ninja import NinjaAPI, Router, Schema
from pydantic import BaseModel

from redline.core.api import api, error_statuses

ERROR_REF = "#/components/schemas/ErrorOut"


def _operations(of: NinjaAPI) -> Iterable[Any]:
    for router in of._get_bound_routers():
        for view in router.path_operations.values():
            yield from view.operations


def _named(annotation: Any, found: dict[str, set[type]], walked: set[type]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in walked:
            walked.add(annotation)
            found[annotation.__name__].add(annotation)
            for field in annotation.model_fields.values():
                _named(field.annotation, found, walked)
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        found[annotation.__name__].add(annotation)
    for argument in typing.get_args(annotation):
        _named(argument, found, walked)


def component_classes(of: NinjaAPI) -> dict[str, set[type]]:
    """Every schema class (models and enums) the operations' parameters, bodies and answers
    reach, by the component name it gets. Ninja's own wrappers (one per operation, inlined in
    the document) are walked through, not named."""
    found: dict[str, set[type]] = defaultdict(set)
    walked: set[type] = set()
    for operation in _operations(of):
        wrappers = [*operation.models, *operation.response_models.values()]
        for wrapper in wrappers:
            if isinstance(wrapper, type) and issubclass(wrapper, BaseModel):
                for field in wrapper.model_fields.values():
                    _named(field.annotation, found, walked)
    return found


def clashes(of: NinjaAPI) -> dict[str, list[str]]:
    return {
        name: sorted(f"{c.__module__}.{c.__qualname__}" for c in classes)
        for name, classes in component_classes(of).items()
        if len(classes) > 1
    }


def test_no_two_schema_classes_share_a_component_name():
    assert clashes(api) == {}


def test_the_walk_reaches_bodies_answers_parameters_and_enums():
    names = component_classes(api)
    for name in ("HazardReportIn", "CapacityReportIn", "ProgressReportIn", "HazardStepIn"):
        assert name in names  # bodies
    for name in ("RiskEventOut", "EventOut", "PhotoOut", "ErrorOut", "ErrorBody"):
        assert name in names  # answers, and what they hold
    assert "PageParams" in names and "InspectionTaskFilters" in names  # parameters
    assert "HazardLevel" in names  # enums


def test_the_check_finds_two_classes_of_one_name():
    def make(field: type) -> type[Schema]:
        return type("Clashing", (Schema,), {"__annotations__": {"value": field}})

    router = Router()

    @router.get("/first", response=make(int))
    def one(request: Any) -> Any:
        return {"value": 1}

    @router.get("/second", response={200: list[make(str)]})  # type: ignore[misc]
    def two(request: Any) -> Any:
        return []

    other = NinjaAPI(urls_namespace="clash-check")
    other.add_router("/", router)
    assert list(clashes(other)) == ["Clashing"]


def test_the_document_names_every_component_once():
    doc = api.get_openapi_schema(path_prefix="/api/v1/")
    assert len(doc["components"]["schemas"]) == len(component_classes(api))


def test_every_operation_documents_its_errors_in_the_one_shape():
    doc = api.get_openapi_schema(path_prefix="/api/v1/")
    by_path = {
        (method.upper(), path): operation
        for path, methods in doc["paths"].items()
        for method, operation in methods.items()
    }
    seen = 0
    for operation in _operations(api):
        path = "/api/v1/" + operation.path.lstrip("/")
        for method in operation.methods:
            documented = by_path[(method, path)]["responses"]
            wanted = error_statuses(operation)
            assert wanted <= set(documented), (method, path, sorted(documented))
            for status in wanted:
                content = documented[status]["content"]["application/json"]["schema"]
                if path != "/api/v1/epidemic/counts":  # its own shape, with the rows
                    assert content == {"$ref": ERROR_REF}, (method, path, status)
            seen += 1
    assert seen == len(by_path) >= 90
    hazards = by_path[("POST", "/api/v1/hazards")]["responses"]
    assert {400, 401, 403, 404, 409, 422} <= set(hazards)
    me = by_path[("GET", "/api/v1/me")]["responses"]
    assert set(me) == {200, 401, 403}
    error = doc["components"]["schemas"]["ErrorBody"]
    assert set(error["required"]) == {"code", "message", "fields"}


def test_integers_document_the_range_the_api_takes():
    doc = api.get_openapi_schema(path_prefix="/api/v1/")
    parameters = doc["paths"]["/api/v1/tasks"]["get"]["parameters"]
    enterprise = next(p for p in parameters if p["name"] == "enterprise")
    integer = next(s for s in enterprise["schema"]["anyOf"] if s.get("type") == "integer")
    assert (integer["minimum"], integer["maximum"]) == (-(2**63), 2**63 - 1)
