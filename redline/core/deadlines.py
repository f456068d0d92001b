"""Deadlines of case workflows: a reminder before, the overdue flag after, and escalation up
the responsibility chain at declared delays, each exactly once per record and deadline.

A case type declares its `Deadlines` (which records are late-able, the date that counts, the
fields that remember what was done, who hears of each step, the words); `sweep(rule)` does
the rest. Each step is claimed with a conditional update (`claim` -> `mark`), so the sweep can
run as often as wanted, twice at once, or again after a crash, and still does each thing
once; it writes the record's timeline entry and change-log row with the system as actor
(`system_event`) and the notifications in the same transaction. Hidden hazards, enforcement
actions and the Safety Committee's key tasks use it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from redline.core import audit
from redline.core.notify import notify
from redline.core.workflow import Machine, system_event

if TYPE_CHECKING:
    from redline.accounts.models import User


@dataclass(frozen=True)
class Subjects:
    """The notifications' subjects: translatable texts with %(name)s and %(date)s."""

    remind: Any
    overdue: Any
    escalate: Any


@dataclass(frozen=True)
class Actions:
    """What a rule's three steps are called on the timeline (each declared in the machine's
    `system_actions`): a record with two deadlines names them apart, so its timeline says
    which deadline was reminded, passed or escalated."""

    remind: str = "remind"
    overdue: str = "overdue"
    escalate: str = "escalate"


@dataclass(frozen=True)
class Deadlines:
    machine: Machine
    late: Callable[[], QuerySet[Any]]  # the records whose deadline counts now
    due: str  # the date field
    remind_days: Callable[[], int]  # how many days before the deadline to remind
    escalation_days: Callable[[], Sequence[int]]  # days after it for levels 1, 2, ...
    subjects: Subjects
    # Who hears of a step: level 0 the record's own people (reminder, overdue), level n the
    # bodies of escalation level n. Returns the users and how the bodies are named.
    who: Callable[[Any, int], tuple[list[User], list[str]]]
    name: Callable[[Any], str]  # the record as the subject names it
    url: Callable[[Any], str]
    key: str  # the notifications' key prefix ("hazard")
    body: Callable[[Any, int], str] = lambda record, level: ""
    escalate_only: dict[str, Any] = field(default_factory=dict)  # more conditions to escalate
    reminded: str = "reminded_at"
    overdue: str = "overdue_since"
    level: str = "escalation_level"
    related: tuple[str, ...] = ()
    actions: Actions = Actions()

    def __post_init__(self) -> None:
        named = (self.actions.remind, self.actions.overdue, self.actions.escalate)
        undeclared = [name for name in named if name not in self.machine.system_actions]
        if undeclared:
            raise ValueError(
                f"{self.key}: {undeclared} not among {self.machine.name}'s system actions"
            )


@dataclass(frozen=True)
class _Step:
    kind: str  # remind, overdue or escalate: the notification's key says which
    action: str  # the timeline's name of it (the rule's `actions`)
    claim: dict[str, Any]
    mark: dict[str, Any]
    subject: Any
    level: int = 0


def sweep(rule: Deadlines, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Remind before the deadline, flag what passed it, escalate at the declared delays."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = {"reminded": 0, "overdue": 0, "escalated": 0}
    late = rule.late().filter(**{f"{rule.due}__isnull": False})
    remind_from = today + dt.timedelta(days=rule.remind_days())
    soon = late.filter(
        **{rule.reminded: None, f"{rule.due}__gte": today, f"{rule.due}__lte": remind_from}
    )
    reminder = _Step(
        "remind",
        rule.actions.remind,
        {rule.reminded: None},
        {rule.reminded: now},
        rule.subjects.remind,
    )
    counts["reminded"] = _run(rule, reminder, soon, now)
    flag = _Step(
        "overdue",
        rule.actions.overdue,
        {rule.overdue: None},
        {rule.overdue: now},
        rule.subjects.overdue,
    )
    past = late.filter(**{rule.overdue: None, f"{rule.due}__lt": today})
    counts["overdue"] = _run(rule, flag, past, now)
    for level, delay in enumerate(rule.escalation_days(), start=1):
        cutoff = today - dt.timedelta(days=delay)
        candidates = late.filter(
            **{rule.level: level - 1, f"{rule.due}__lt": cutoff}, **rule.escalate_only
        )
        escalation = _Step(
            "escalate",
            rule.actions.escalate,
            {rule.level: level - 1},
            {rule.level: level},
            rule.subjects.escalate,
            level=level,
        )
        counts["escalated"] += _run(rule, escalation, candidates, now)
    return counts


def _run(rule: Deadlines, step: _Step, candidates: QuerySet[Any], now: dt.datetime) -> int:
    """Claim each candidate for the step (skipping those another sweep claimed first),
    record it on the timeline and tell those concerned."""
    model = rule.machine.model
    done = 0
    for pk in list(candidates.order_by("pk").values_list("pk", flat=True)):
        with transaction.atomic():
            claimed = model._default_manager.filter(pk=pk, **step.claim).update(**step.mark)
            if claimed != 1:
                continue
            record = model._default_manager.select_related(*rule.related).get(pk=pk)
            due = getattr(record, rule.due)
            deadline = due.isoformat() if due else ""
            users, bodies = rule.who(record, step.level)
            if step.level:
                data: dict[str, Any] = {"level": step.level, "to": bodies}
                key = f"{rule.key}:{pk}:{step.kind}:{step.level}:{deadline}"
            else:
                data = {"deadline": deadline}
                key = f"{rule.key}:{pk}:{step.kind}:{deadline}"
            system_event(
                rule.machine,
                record,
                action=step.action,
                at=now,
                before=audit.plain(step.claim),
                after=audit.plain(step.mark),
                data=data,
                actor_label="Redline",
            )
            with translation.override(settings.LANGUAGE_CODE):
                subject = str(step.subject) % {"date": due, "name": rule.name(record)}
                body = rule.body(record, step.level)
            notify(users, key=key, subject=subject, body=body, url=rule.url(record))
            done += 1
    return done
