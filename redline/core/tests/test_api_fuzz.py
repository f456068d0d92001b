"""The API fuzzed against its own OpenAPI document (schemathesis), in process through Django's
WSGI application (no server): for each role of a district government (with an API token),
every operation, reads and writes, gets generated requests, and each answer must not be a
server error, must have a documented status and must match the documented schema.

Bounded for CI: a few cases per operation, derandomized (the same cases every run), every
failure listed at the end. `REDLINE_FUZZ_EXAMPLES=50` explores further."""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.signals import got_request_exception, request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from redline.accounts.models import ApiToken, User
from redline.organisations.access import ROLES

pytestmark = pytest.mark.django_db

# Per operation, generation mode and role; REDLINE_FUZZ_EXAMPLES=50 explores further.
EXAMPLES = int(os.environ.get("REDLINE_FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@dataclass
class Tally:
    cases: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # first failure per operation

    def summary(self) -> str:
        return "\n\n".join(f"{label}:\n{text}" for label, text in sorted(self.failures.items()))


@pytest.fixture
def schema() -> Iterator[Any]:
    """The document as the application serves it, its operations called through the same
    WSGI application. As with Django's test client, a request does not close the test's
    database connection (whose transaction holds the test's data)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def server_errors() -> Iterator[list[str]]:
    """The tracebacks of the exceptions the application raised while answering."""
    raised: list[str] = []

    def record(sender: Any, request: Any = None, **kwargs: Any) -> None:
        raised.append(traceback.format_exc())

    got_request_exception.connect(record, weak=False)
    yield raised
    got_request_exception.disconnect(record)


def _fuzz(
    operation: Any, mode: GenerationMode, headers: dict[str, str], tally: Tally, raised: list[str]
) -> None:
    """Up to EXAMPLES cases of one operation; the first failure of each is kept."""
    label = operation.label

    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        tally.cases += 1
        del raised[:]
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except (FailureGroup, Exception) as failure:  # every failure is reported at the end
            if label not in tally.failures:
                detail = raised[0] if raised else ""
                tally.failures[label] = f"{failure}\n{detail}".strip()

    run()


# Each role of a district government sends requests that fit the document; the operator also
# sends requests that break it (refused before who asks matters, so one role is enough); a
# caller without credentials is refused everywhere (401, documented).
RUNS = [
    *[pytest.param(role, GenerationMode.POSITIVE, id=role) for role in ROLES],
    pytest.param("operator", GenerationMode.NEGATIVE, id="operator-invalid"),
    pytest.param(None, GenerationMode.POSITIVE, id="anonymous"),
]


@pytest.mark.parametrize(("role", "mode"), RUNS)
def test_the_api_answers_generated_requests_as_documented(world, schema, server_errors, role, mode):
    headers = {}
    if role is not None:
        user = User.objects.get(username=world.username("d1", role))
        _token, key = ApiToken.issue(user=user, name="fuzz")
        headers["Authorization"] = f"Bearer {key}"
    tally = Tally()
    for result in schema.get_all_operations():
        _fuzz(result.ok(), mode, headers, tally, server_errors)
    print(
        f"fuzz {role or 'anonymous'} {mode.value}: {tally.cases} cases, "
        f"{len(tally.failures)} failing operations"
    )
    assert tally.cases >= 100
    assert not tally.failures, tally.summary()
