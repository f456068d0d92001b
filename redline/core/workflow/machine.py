"""A case workflow declared as data: its states, its transitions and its hooks.

A `Machine` names the record model and its event table, the transitions people take (where
from, where to, who may take them, which fields they take and which they need, what must
hold of the record besides its state), the actions the system writes on the timeline, and
three hooks: `prepare` (validate a step's fields and say what it changes), `within` (more
writes in the step's transaction) and `after` (who hears about it). `redline.core.workflow.
take_step` applies any transition of any machine the same way.

The order of refusals is the same for every machine, so that a refusal reveals nothing the
actor may not know: a record outside the jurisdiction is not found (404, by the one door);
then a step the actor may not take, whoever they are to this record, is forbidden (403)
before anything about the record's state or version is said; then a stale version or a step
the record's state does not allow (409); then a separation rule (403: "not the rectifier");
then invalid or missing fields (422).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING, Any, cast

from django.db import models
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

from redline.core.errors import PermissionDenied
from redline.core.readers import COMMENT, Reader
from redline.organisations.models import ScopedQuerySet

if TYPE_CHECKING:
    from redline.accounts.models import User
    from redline.core.models import CaseEvent
    from redline.core.workflow.step import Step

Check = Callable[["User", Any], bool]
Guard = Callable[[Any], Any]  # record -> why the step is not possible now, or None
Separation = Callable[["User", Any], Any]  # (actor, record) -> why not this person, or None


@dataclass(frozen=True)
class Transition:
    """A step people take: from which states, to which (None: the state stays, or the
    `prepare` hook decides), who may take it, which fields it takes (name -> how to read it,
    `redline.core.readers`) and which it needs."""

    name: str
    label: Any
    sources: frozenset[str]
    target: str | None
    allowed: Check
    who: Any  # how people call those who may take it
    fields: dict[str, Reader] = field(default_factory=lambda: {"comment": COMMENT})
    required: frozenset[str] = frozenset()
    guards: tuple[Guard, ...] = ()
    separation: Separation | None = None
    photos: bool = False  # evidence photos may come with it

    @property
    def needs_comment(self) -> bool:
        return "comment" in self.required


@dataclass(frozen=True)
class Prepared:
    """What a step changes on the record (field -> value; "state" overrides the target) and
    what its timeline entry records."""

    changes: dict[str, Any] = field(default_factory=dict)
    shown: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Messages:
    """The words a machine uses for its record in the kernel's refusals."""

    stale: Any  # with %(state)s: someone acted since the actor read the record
    raced: Any  # someone acted at the same moment
    wrong_state: Any  # with %(state)s


@dataclass(frozen=True, eq=False)
class Machine:
    name: str
    model: type[models.Model]
    event_model: type[CaseEvent]
    event_record: str  # the event model's foreign key to the record
    transitions: Mapping[str, Transition]
    system_actions: Mapping[str, Any]
    messages: Messages
    hooks: str  # the module with `prepare(step)` and, if wanted, `within(step)`, `after(step)`
    contract: str  # "module:Class" of the contract suite's fixtures for this machine
    related: tuple[str, ...] = ()  # select_related when a step loads the record
    door_action: str = "change"  # what the door must let the actor do to the record
    audit_exclude: tuple[str, ...] = ()
    enterprise_of: Callable[[Any], int | None] = lambda record: None
    touch: tuple[str, ...] = ()  # timestamp fields set to the step's time on every step
    comment_missing: Any = None  # the refusal for a needed comment (default: required)
    describe: Callable[[Any], list[str]] = lambda event: []  # an event's lines of detail

    def __post_init__(self) -> None:
        for name, transition in self.transitions.items():
            if name != transition.name:
                raise ValueError(f"{self.name}: transition {transition.name} keyed as {name}")
            unknown = transition.required - set(transition.fields)
            if unknown:
                raise ValueError(f"{self.name}.{name}: required {unknown} not among its fields")
        _REGISTRY[self.name] = self

    # --- hooks ----------------------------------------------------------------------------
    # Named by module, imported when first used: the hooks use the app's services, which use
    # the machine.

    def _hook(self, name: str) -> Callable[[Step], Any] | None:
        return getattr(import_module(self.hooks), name, None)

    def prepare(self, step: Step) -> Prepared:
        """Validate a step's fields (422) and say what it changes."""
        hook = self._hook("prepare")
        return hook(step) if hook is not None else Prepared()

    def within(self, step: Step) -> None:
        """More writes in the step's transaction, after its event row (evidence, tallies)."""
        hook = self._hook("within")
        if hook is not None:
            hook(step)

    def after(self, step: Step) -> None:
        """Who hears about the step (notification rows in the step's transaction; e-mail
        after the commit)."""
        hook = self._hook("after")
        if hook is not None:
            hook(step)

    # --- reading ------------------------------------------------------------------------

    @property
    def _state_choices(self) -> dict[str, Any]:
        state = cast("models.Field[Any, Any]", self.model._meta.get_field("state"))
        return dict(state.choices or [])

    @property
    def states(self) -> list[str]:
        return list(self._state_choices)

    def state_label(self, state: str) -> str:
        return str(self._state_choices.get(state, state))

    def load(self, actor: User, pk: Any) -> Any:
        """The record through the one door: 404 outside what the actor sees, 403 when the
        actor sees it but it is outside where they may act on it (`door_action`; which roles
        take which step is the transitions' to say)."""
        queryset = self.model._default_manager.select_related(*self.related)
        if not isinstance(queryset, ScopedQuerySet):
            raise TypeError(f"{self.name}: {self.model.__name__} is not read through the door")
        return queryset.get_for(actor, self.door_action, roles=False, pk=pk)

    def action_label(self, action: str) -> Any:
        if action in self.transitions:
            return self.transitions[action].label
        return self.system_actions.get(action, action)

    # --- who may do what ------------------------------------------------------------------

    def role_refusal(self, transition: Transition, actor: User, record: Any) -> Any:
        return role_refusal(transition, actor, record)

    def state_refusal(self, transition: Transition, record: Any) -> Any:
        """Why the record's state (or another condition on it) does not allow the step now."""
        if record.state not in transition.sources:
            return self.messages.wrong_state % {"state": record.get_state_display()}
        for guard in transition.guards:
            reason = guard(record)
            if reason is not None:
                return reason
        return None

    def blocked_reason(self, transition: Transition, actor: User, record: Any) -> Any:
        """Why the actor may not take this step now, or None (who they are first)."""
        return self.role_refusal(transition, actor, record) or self.state_refusal(
            transition, record
        )

    def available(self, actor: User, record: Any) -> list[Transition]:
        """The steps this actor may take on this record now (for showing them; `take_step`
        checks again)."""
        return [
            t for t in self.transitions.values() if self.blocked_reason(t, actor, record) is None
        ]


_REGISTRY: dict[str, Machine] = {}


@functools.cache
def machines() -> list[Machine]:
    """Every declared machine (each app's `workflow` module declares its own)."""
    autodiscover_modules("workflow")
    return sorted(_REGISTRY.values(), key=lambda machine: machine.name)


def role_refusal(step: Any, actor: User, record: Any) -> Any:
    """Why the actor may never take this step on this record (whatever its state), or None."""
    if step.allowed(actor, record):
        return None
    return _("Only %(who)s may do this.") % {"who": step.who}


def ensure_allowed(step: Any, actor: User, record: Any) -> None:
    """403 for an actor who may not take the step, before the record's state is looked at."""
    reason = role_refusal(step, actor, record)
    if reason is not None:
        raise PermissionDenied(str(reason))


def either(*checks: Check) -> Check:
    """Anyone whom one of the checks lets act."""
    return lambda actor, record: any(check(actor, record) for check in checks)
