"""The contract of every case workflow, checked on every machine the kernel knows
(`redline.core.workflow.machines()`) with the records its provider builds (each machine
names one in `Machine.contract`; `redline/core/tests/contract.py` says what it gives):

- a step from a state that does not allow it is refused (409) for someone who may take it;
- who may take each step, inside and outside the record's jurisdiction: outside is not found
  (404), whatever is sent; inside, someone the step's rule refuses is forbidden (403) before
  anything about the record's state or version is said; someone it allows takes the step
  from a state that allows it (the version rises by one; one event, one change-log row) and
  is refused (409) with a stale version or from another state;
- a stale or missing version, missing, blank and unknown fields, an unknown step;
- the same refusals' HTTP codes through each machine's API;
- two connections taking the same step at once: exactly one wins.

A refusal changes nothing: not the record, its events, the change log or the notifications.
Each machine's records are built once per module in a transaction rolled back afterwards;
the race builds its own, committed, in a transactional test."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.test import override_settings
from django.utils import translation

from redline.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from redline.core.models import ChangeLog, Notification
from redline.core.tests.contract import Contract
from redline.core.tests.races import in_threads, race_connection
from redline.core.workflow import Machine, Reader, Transition, machines, take_step
from redline.organisations.access import ROLES
from redline.organisations.models import Region
from redline.organisations.tests.world import World, build_world

pytestmark = pytest.mark.django_db

MACHINES = {machine.name: machine for machine in machines()}
UNKNOWN_FIELD = "colour"
# How long the first of two racing steps waits for the second to reach the same point. On
# SQLite (BEGIN IMMEDIATE) the second waits for the first's commit instead, so the wait
# runs out; on PostgreSQL both arrive at once.
BARRIER_SECONDS = 2.0
EN = {"accept-language": "en"}


def provider(machine: Machine) -> Contract:
    """The machine's contract provider, new (every machine must have one)."""
    module, _, name = machine.contract.partition(":")
    try:
        made = getattr(import_module(module), name)()
    except (ImportError, AttributeError) as missing:
        pytest.fail(
            f"{machine.name}: its contract provider {machine.contract!r} cannot be loaded "
            f"({missing}); every declared machine needs one (see redline/core/tests/contract.py)"
        )
    assert isinstance(made, Contract), f"{machine.contract} lacks part of the Contract protocol"
    return made


@dataclass(frozen=True)
class Want:
    """A test's machine, and whether it takes this module's records (a race builds its
    own, committed)."""

    machine: str
    records: bool = True


@dataclass(frozen=True)
class Case:
    machine: Machine
    contract: Contract


@pytest.fixture(scope="module")
def case(request, django_db_setup, django_db_blocker, world, tmp_path_factory) -> Iterator[Case]:
    want: Want = request.param
    machine = MACHINES[want.machine]
    if not want.records:
        # Taken with another parameter, so that pytest rolls the module's records back
        # (tears the fixture down) before a race runs on committed data.
        yield Case(machine, provider(machine))
        return
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        contract = provider(machine)
        contract.setup(world)
        yield Case(machine, contract)
        transaction.set_rollback(True)


def _steps(select: Any = lambda transition: True) -> list[Any]:
    return [
        pytest.param(Want(machine.name), name, id=f"{machine.name}-{name}")
        for machine in MACHINES.values()
        for name, transition in machine.transitions.items()
        if select(transition)
    ]


EACH_MACHINE = [pytest.param(Want(name), id=name) for name in MACHINES]
EACH_STEP = _steps()
NEEDING = _steps(lambda transition: transition.required)
NEEDING_SEVERAL = _steps(lambda transition: len(transition.required) > 1)
FROM_WRONG_STATES = [
    pytest.param(Want(machine.name), name, state, id=f"{machine.name}-{name}-from-{state}")
    for machine in MACHINES.values()
    for name, transition in machine.transitions.items()
    for state in machine.states
    if state not in transition.sources
]
RACES = [pytest.param(Want(name, records=False), id=name) for name in MACHINES]


# --- what a step leaves behind -----------------------------------------------------------


@dataclass(frozen=True)
class Trace:
    record: dict[str, Any]
    events: tuple[tuple[Any, ...], ...]  # the record's: id, action, actor, from, to
    all_events: int
    change_log: int  # every row: a refused step writes none
    record_log: int  # the record's own rows: a step writes one (it may create other records)
    notifications: int

    def differences(self, other: Trace) -> list[str]:
        found = [
            f"{name}: {value!r} -> {other.record.get(name)!r}"
            for name, value in self.record.items()
            if other.record.get(name) != value
        ]
        found += [
            f"{name}: {getattr(self, name)} -> {getattr(other, name)}"
            for name in ("events", "all_events", "change_log", "notifications")
            if getattr(self, name) != getattr(other, name)
        ]
        return found


def trace(machine: Machine, pk: Any) -> Trace:
    events = machine.event_model._default_manager
    tables = (machine.event_model, ChangeLog, Notification)
    with connection.cursor() as cursor:
        counts = ", ".join(f"(SELECT COUNT(*) FROM {model._meta.db_table})" for model in tables)
        cursor.execute(f"SELECT {counts}")
        all_events, change_log, notifications = cursor.fetchone()
    return Trace(
        record=machine.model._default_manager.filter(pk=pk).values().get(),
        events=tuple(
            events.filter(**{machine.event_record: pk})
            .order_by("id")
            .values_list("id", "action", "actor_id", "from_state", "to_state")
        ),
        all_events=all_events,
        change_log=change_log,
        record_log=ChangeLog.objects.filter(
            model=machine.model._meta.label, object_id=str(pk)
        ).count(),
        notifications=notifications,
    )


@dataclass(frozen=True)
class Attempt:
    label: str
    error: DomainError | None
    before: Trace
    after: Trace

    @property
    def outcome(self) -> str:
        if self.error is None:
            return "the step taken"
        return f"{type(self.error).__name__} ({self.error.message} {self.error.fields or ''})"


def attempt(
    machine: Machine,
    record: Any,
    *,
    actor: Any,
    action: str,
    version: int | None,
    data: dict[str, Any],
    label: str = "",
    before: Trace | None = None,
) -> Attempt:
    """Take a step in a savepoint rolled back afterwards (so the next attempt finds the
    record as it was), with what the database held before (`before`, when the caller has
    it already) and after it."""
    with transaction.atomic():
        before = before or trace(machine, record.pk)
        error = None
        try:
            take_step(machine, actor=actor, pk=record.pk, action=action, version=version, data=data)
        except DomainError as failure:
            error = failure
        after = trace(machine, record.pk)
        transaction.set_rollback(True)
    label = label or f"{getattr(actor, 'username', actor)} {action} on {record.state}"
    return Attempt(f"{label} v{version}", error, before, after)


def refusal_problem(result: Attempt, expected: type[DomainError]) -> str | None:
    if type(result.error) is not expected:
        return f"{result.label}: expected {expected.__name__}, got {result.outcome}"
    changed = result.before.differences(result.after)
    if changed:
        return f"{result.label}: refused, yet changed {changed}"
    return None


def assert_refused(result: Attempt, expected: type[DomainError]) -> DomainError:
    problem = refusal_problem(result, expected)
    assert problem is None, problem
    assert result.error is not None
    return result.error


def step_problem(result: Attempt, *, action: str, actor: Any) -> str | None:
    if result.error is not None:
        return f"{result.label}: expected the step to be taken, got {result.outcome}"
    before, after = result.before, result.after
    problems = []
    if after.record["version"] != before.record["version"] + 1:
        problems.append(f"version {before.record['version']} -> {after.record['version']}")
    new = [event for event in after.events if event not in before.events]
    if [event[1] for event in new] != [action] or after.all_events != before.all_events + 1:
        problems.append(f"new events {new} (of {after.all_events - before.all_events})")
    else:
        _id, _action, actor_id, from_state, to_state = new[0]
        expected = (actor.pk, before.record["state"], after.record["state"])
        if (actor_id, from_state, to_state) != expected:
            problems.append(f"event {(actor_id, from_state, to_state)}, not {expected}")
    if after.record_log != before.record_log + 1:
        problems.append(f"{after.record_log - before.record_log} change-log rows of the record")
    return f"{result.label}: {'; '.join(problems)}" if problems else None


def ready(machine: Machine, contract: Contract, transition: Transition) -> Any:
    """A record from which the step may be taken: in a state it leaves, its guards holding."""
    for state in machine.states:
        if state in transition.sources:
            record = contract.record_in(state, transition)
            assert record.state == state, (machine.name, transition.name, state, record.state)
            if all(guard(record) is None for guard in transition.guards):
                return record
    pytest.fail(f"{machine.name}: no record from which {transition.name} may be taken")


def elsewhere(machine: Machine, contract: Contract, transition: Transition) -> Any | None:
    """A record in the first state the step does not leave (None: it leaves every state)."""
    for state in machine.states:
        if state not in transition.sources:
            return contract.record_in(state, transition)
    return None


def without(data: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in names}


# --- the provider ------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(MACHINES))
def test_every_machine_names_its_contract_provider(name):
    machine = MACHINES[name]
    contract = provider(machine)
    assert contract.sample in machine.transitions
    assert machine.transitions[contract.sample].required, "the sample step needs a field"
    assert machine.states and machine.transitions


@pytest.mark.parametrize("case", EACH_MACHINE, indirect=True, scope="module")
def test_the_provider_has_a_record_in_every_state(case):
    machine, contract = case.machine, case.contract
    for transition in machine.transitions.values():
        for state in machine.states:
            assert contract.record_in(state, transition).state == state
        record = ready(machine, contract, transition)
        actor = contract.actor_for(transition.name, record)
        assert transition.allowed(actor, record), (transition.name, actor)


# --- (a) a step from a state that does not allow it ----------------------------------------


@pytest.mark.parametrize(
    ("case", "action", "state"), FROM_WRONG_STATES, indirect=["case"], scope="module"
)
def test_a_step_from_a_state_that_does_not_allow_it_is_refused(case, action, state):
    machine, contract = case.machine, case.contract
    transition = machine.transitions[action]
    record = contract.record_in(state, transition)
    assert record.state == state
    actor = contract.actor_for(action, record)
    assert transition.allowed(actor, record), f"{actor} may not take {action} at all"
    result = attempt(
        machine,
        record,
        actor=actor,
        action=action,
        version=record.version,
        data=contract.valid_data(action, record, actor),
    )
    assert_refused(result, Conflict)


# --- (b) who may take each step, inside and outside the jurisdiction ----------------------


@pytest.mark.parametrize(("case", "action"), EACH_STEP, indirect=["case"], scope="module")
def test_who_may_take_each_step(case, action):
    machine, contract = case.machine, case.contract
    transition = machine.transitions[action]
    record = ready(machine, contract, transition)
    other = elsewhere(machine, contract, transition)
    people = contract.people(record)
    inside_other = {s.user.pk: s.inside for s in contract.people(other)} if other else {}
    for inside in (True, False):
        roles = {role for s in people if s.inside is inside for role in s.user.roles}
        assert roles == set(ROLES), f"people {'in' if inside else 'out'}side: roles {roles}"

    # Every attempt is rolled back: what each record holds before one is known already.
    traces = {target.pk: trace(machine, target.pk) for target in (record, other) if target}
    problems: list[str] = []
    seen: dict[Any, int] = {}
    for someone in people:
        user = someone.user
        tries = [
            ("as read", record, record.version, someone.inside),
            ("stale", record, record.version - 1, someone.inside),
        ]
        if other is not None:
            tries.append(("wrong state", other, other.version, inside_other[user.pk]))
        for label, target, version, inside in tries:
            expected: type[DomainError] | None
            if not inside:
                expected = NotFound
            elif not transition.allowed(user, target):
                expected = PermissionDenied
            elif label != "as read":
                expected = Conflict
            elif transition.separation is not None and transition.separation(user, target):
                expected = PermissionDenied
            else:
                expected = None
            result = attempt(
                machine,
                target,
                actor=user,
                action=action,
                version=version,
                data=contract.valid_data(action, target, user),
                label=f"{user.username} ({label}) {action} on {target.state}",
                before=traces[target.pk],
            )
            if expected is None:
                problem = step_problem(result, action=action, actor=user)
            else:
                problem = refusal_problem(result, expected)
            if problem:
                problems.append(problem)
            if label == "as read":
                seen[expected] = seen.get(expected, 0) + 1
    assert not problems, "\n".join(problems)
    assert {pk: trace(machine, pk) for pk in traces} == traces
    assert seen.get(None) and seen.get(NotFound) and seen.get(PermissionDenied), seen


# --- (c) versions and fields --------------------------------------------------------------


def _taker(case: Case, action: str) -> tuple[Machine, Transition, Any, Any, dict[str, Any]]:
    machine, contract = case.machine, case.contract
    transition = machine.transitions[action]
    record = ready(machine, contract, transition)
    actor = contract.actor_for(action, record)
    return machine, transition, record, actor, contract.valid_data(action, record, actor)


@pytest.mark.parametrize(("case", "action"), EACH_STEP, indirect=["case"], scope="module")
def test_a_stale_or_missing_version_is_refused(case, action):
    machine, _transition, record, actor, data = _taker(case, action)
    stale = attempt(
        machine, record, actor=actor, action=action, version=record.version - 1, data=data
    )
    assert_refused(stale, Conflict)
    missing = attempt(machine, record, actor=actor, action=action, version=None, data=data)
    assert set(assert_refused(missing, ValidationFailed).fields) == {"version"}


@pytest.mark.parametrize(("case", "action"), NEEDING, indirect=["case"], scope="module")
def test_each_missing_or_blank_field_is_named(case, action):
    machine, transition, record, actor, data = _taker(case, action)
    for name in sorted(transition.required):
        for sent, how in ((without(data, name), "missing"), (data | {name: "  "}, "blank")):
            result = attempt(
                machine, record, actor=actor, action=action, version=record.version, data=sent
            )
            error = assert_refused(result, ValidationFailed)
            assert name in error.fields, f"{name} {how}: {result.outcome}"


@pytest.mark.parametrize(
    ("case", "action"),
    NEEDING_SEVERAL,
    indirect=["case"],
    scope="module",
)
def test_every_missing_field_is_named_at_once(case, action):
    machine, transition, record, actor, data = _taker(case, action)
    sent = without(data, *transition.required)
    result = attempt(machine, record, actor=actor, action=action, version=record.version, data=sent)
    error = assert_refused(result, ValidationFailed)
    assert set(transition.required) <= set(error.fields), result.outcome


def _unreadable(field: Reader) -> str | None:
    """A value the field cannot take: too long a text, a word for a date, a number, a
    choice or a reference (None: any text will do)."""
    if field.kind.startswith("text"):
        return "x" * (field.limit + 1) if field.limit else None
    return "¿nonsense?"


@pytest.mark.parametrize(("case", "action"), EACH_STEP, indirect=["case"], scope="module")
def test_every_unreadable_field_is_named_at_once(case, action):
    """The kernel reads every field a step takes by its declared type, once, and names
    every one it cannot read in one answer; the record is unchanged."""
    machine, transition, record, actor, data = _taker(case, action)
    bad = {
        name: value
        for name, field in transition.fields.items()
        if (value := _unreadable(field)) is not None
    }
    assert bad, f"{action}: every step takes at least its comment, which has a limit"
    result = attempt(
        machine, record, actor=actor, action=action, version=record.version, data=data | bad
    )
    error = assert_refused(result, ValidationFailed)
    assert set(error.fields) == set(bad), result.outcome


@pytest.mark.parametrize(("case", "action"), EACH_STEP, indirect=["case"], scope="module")
def test_an_unknown_field_is_named(case, action):
    machine, _transition, record, actor, data = _taker(case, action)
    sent = data | {UNKNOWN_FIELD: "red"}
    result = attempt(machine, record, actor=actor, action=action, version=record.version, data=sent)
    assert set(assert_refused(result, ValidationFailed).fields) == {UNKNOWN_FIELD}


@pytest.mark.parametrize("case", EACH_MACHINE, indirect=True, scope="module")
def test_an_unknown_step_is_refused_and_not_found_outside(case):
    machine, contract = case.machine, case.contract
    transition = machine.transitions[contract.sample]
    record = ready(machine, contract, transition)
    actor = contract.actor_for(transition.name, record)
    unknown = attempt(
        machine, record, actor=actor, action="explode", version=record.version, data={}
    )
    assert set(assert_refused(unknown, ValidationFailed).fields) == {"action"}
    outsider = next(s.user for s in contract.people(record) if not s.inside)
    hidden = attempt(machine, record, actor=outsider, action="explode", version=None, data={})
    assert_refused(hidden, NotFound)


# --- (d) the same answers through the API -------------------------------------------------


@pytest.mark.parametrize("case", EACH_MACHINE, indirect=True, scope="module")
def test_the_api_answers_each_refusal_with_its_code(case, client):
    machine, contract = case.machine, case.contract
    action = contract.sample
    transition = machine.transitions[action]
    record = ready(machine, contract, transition)
    other = elsewhere(machine, contract, transition)
    assert other is not None, f"{action} leaves every state: choose another sample step"
    actor = contract.actor_for(action, record)
    people = contract.people(record)
    outsider = next(s.user for s in people if not s.inside and "manager" in s.user.roles)
    refused = next(s.user for s in people if s.inside and not transition.allowed(s.user, record))
    data = contract.valid_data(action, record, actor)
    needed = sorted(transition.required)[0]

    def post(user: Any, target: Any, body: dict[str, Any]) -> tuple[Any, Trace, Trace]:
        client.force_login(user)
        before = trace(machine, target.pk)
        answer = client.post(
            contract.api_url(target, action), body, content_type="application/json", headers=EN
        )
        return answer, before, trace(machine, target.pk)

    other_data = contract.valid_data(action, other, actor)
    refusals = [
        ("outside", outsider, record, data | {"version": record.version}, 404, "not_found"),
        ("role", refused, record, data | {"version": record.version}, 403, "permission_denied"),
        ("stale", actor, record, data | {"version": record.version - 1}, 409, "conflict"),
        ("wrong state", actor, other, other_data | {"version": other.version}, 409, "conflict"),
        (
            f"no {needed}",
            actor,
            record,
            without(data, needed) | {"version": record.version},
            422,
            "validation_error",
        ),
    ]
    for label, user, target, body, status, code in refusals:
        answer, before, after = post(user, target, body)
        assert answer.status_code == status, (label, answer.status_code, answer.content)
        error = answer.json()["error"]
        assert error["code"] == code, (label, error)
        assert before.differences(after) == [], (label, before.differences(after))
        if status == 422:
            assert needed in error["fields"], (label, error)

    answer, before, after = post(actor, record, data | {"version": record.version})
    assert answer.status_code == 200, answer.content
    assert answer.json()["version"] == record.version + 1
    assert after.record["version"] == before.record["version"] + 1


# --- (e) two connections taking the same step at once -------------------------------------


def committed_world(world: World) -> World:
    """The access-test city, committed: the session's, unless a transactional test before
    this one emptied the database (then built again)."""
    if Region.objects.filter(pk=world.regions["C"]).exists():
        return world
    return build_world()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", RACES, indirect=True, scope="module")
def test_two_connections_taking_the_same_step_at_once_one_wins(
    case, world, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    machine, contract = case.machine, case.contract
    contract.setup(committed_world(world))
    action = contract.sample
    transition = machine.transitions[action]
    record = ready(machine, contract, transition)
    allowed = [
        s.user
        for s in contract.people(record)
        if s.inside
        and transition.allowed(s.user, record)
        and (transition.separation is None or transition.separation(s.user, record) is None)
    ]
    assert len(allowed) >= 2, "two people who may take the step"
    actors = allowed[:2]
    data = contract.valid_data(action, record, actors[0])
    before = trace(machine, record.pk)
    attach = race_connection(tmp_path)

    barrier = threading.Barrier(2, timeout=BARRIER_SECONDS)
    met: list[bool] = []
    prepare = Machine.prepare

    def prepare_together(self: Machine, step: Any) -> Any:
        # Both past the version check before either updates (where the database lets them:
        # SQLite's second writer waits at BEGIN for the first to commit).
        try:
            barrier.wait()
            met.append(True)
        except threading.BrokenBarrierError:
            pass
        return prepare(self, step)

    monkeypatch.setattr(Machine, "prepare", prepare_together)

    def take(actor: Any) -> Callable[[], Any]:
        return lambda: take_step(
            machine, actor=actor, pk=record.pk, action=action, version=record.version, data=data
        )

    outcomes = in_threads(attach, take(actors[0]), take(actors[1]))
    taken = [outcome for outcome in outcomes if isinstance(outcome, machine.model)]
    raced = [outcome for outcome in outcomes if isinstance(outcome, Conflict)]
    assert len(taken) == 1 and len(raced) == 1, outcomes
    if len(met) == 2:  # both read the same version: the conditional update chose
        with translation.override(django_settings.LANGUAGE_CODE):  # the threads' language
            assert raced[0].message == str(machine.messages.raced), raced[0].message
    (after,) = in_threads(attach, lambda: trace(machine, record.pk))
    assert after.record["version"] == before.record["version"] + 1
    new = [event for event in after.events if event not in before.events]
    assert [event[1] for event in new] == [action]
    assert after.all_events == before.all_events + 1
    assert after.change_log == before.change_log + 1
