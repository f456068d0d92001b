"""Reads of the Safety Committee's work. Every one starts from `restrict(user)`: a department
reads the tasks it leads or cooperates on, a district the tasks that reach its region, the
city government and the office all of them.

- the responsibility chain of a task (`chains`): who answers for it at each level, named
  people included: the lead department (the responsible person first, then its contacts),
  the cooperating departments, the government of each region the task reaches, the Safety
  Committee office of the task's level, and its government (the leader in charge);
- what each owes (`owed`): per body the open tasks it leads and cooperates on, its next
  report due and what is overdue; per responsible person the same for the tasks they answer
  for;
- the summary (`summary`): tasks by state and by lead department and the overdue count,
  for the situation report and the cockpit; the dashboard (`dashboard`): the summary, the
  overdue items with their chains, the reports due soon, and the live campaigns' progress as the
  campaigns app computes it (`campaigns.selectors.headlines`).

The number of queries does not depend on the number of tasks (the list pages assert it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from redline.campaigns import selectors as campaign_selectors
from redline.campaigns.models import Campaign
from redline.committee.models import (
    KeyTask,
    KeyTaskQuerySet,
    Meeting,
    ProgressReport,
    reaching_q,
)
from redline.committee.vocab import TaskState
from redline.core import readers
from redline.core.errors import NotFound
from redline.core.filters import Flag, read_filters
from redline.organisations.models import Organisation, Person, Region
from redline.organisations.selectors import REGION_LEVEL_TITLE, ChainLink, region_filter
from redline.organisations.vocab import OrganisationKind, PersonRole

SUPERVISING_KINDS = (OrganisationKind.GOVERNMENT, OrganisationKind.COMMITTEE_OFFICE)
LIST_FILTERS = ("state", "lead", "body", "person", "meeting", "overdue", "region", "q")
# The filters read (and refused when bad) before they are applied (`core.filters`).
FILTER_READERS = {
    "state": readers.Choice(["open", *TaskState.values]),
    "lead": readers.Count(),
    "body": readers.Count(),
    "person": readers.Count(),
    "meeting": readers.Count(),
    "overdue": Flag(),
}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def tasks_visible(user: Any) -> KeyTaskQuerySet[KeyTask]:
    """The tasks the user reads, with what a list shows of each."""
    return (
        KeyTask.objects.restrict(user)
        .select_related("lead", "lead_person", "meeting", "supervisor__region")
        .prefetch_related("cooperating", "regions")
    )


def any_task(user: Any) -> bool:
    """Does the user read any key task (a body the sections leave out may still be named
    on one, a public-health body say)?"""
    return KeyTask.objects.restrict(user).exists()


def owed_by_q(body_id: int) -> Q:
    """The tasks a body owes: it leads them or cooperates on them."""
    cooperating = KeyTask.cooperating.through.objects.filter(organisation_id=body_id)
    return Q(lead_id=body_id) | Q(pk__in=cooperating.values("keytask_id"))


def overdue_q() -> Q:
    """Open tasks left unreported past their period, or past their deadline (as flagged)."""
    flagged = Q(report_overdue_since__isnull=False) | Q(deadline_overdue_since__isnull=False)
    return Q(state__in=TaskState.open_states()) & flagged


def task_list(user: Any, filters: dict[str, Any] | None = None) -> KeyTaskQuerySet[KeyTask]:
    """The tasks a list page, an export or the API shows, filtered as asked: a bad filter
    is refused naming it (422), a region through the door (404 outside the jurisdiction);
    a region keeps the tasks reaching it (placed in or above it, or city-wide)."""
    filters = filters or {}
    wanted = read_filters(FILTER_READERS, filters)
    found = tasks_visible(user)
    state = wanted.get("state") or ""
    if state == "open":
        found = found.filter(state__in=TaskState.open_states())
    elif state:
        found = found.filter(state=state)
    if wanted.get("lead"):
        found = found.filter(lead_id=wanted["lead"])
    if wanted.get("body"):
        found = found.filter(owed_by_q(wanted["body"]))
    if wanted.get("person"):
        found = found.filter(lead_person_id=wanted["person"])
    if wanted.get("meeting"):
        found = found.filter(meeting_id=wanted["meeting"])
    if wanted.get("overdue"):
        found = found.filter(overdue_q())
    region = region_filter(user, filters.get("region"))
    if region is not None:
        found = found.filter(reaching_q([region.path]))
    text = str(filters.get("q") or "").strip()
    if text:
        found = found.filter(Q(title__icontains=text) | Q(number__icontains=text))
    return found.order_by("deadline", "id")


def task_get(user: Any, task_id: Any) -> KeyTask:
    """One task the user reads (NotFound otherwise)."""
    found: KeyTask = tasks_visible(user).get_for(user, pk=task_id)
    return found


def reports_of(user: Any, task: KeyTask) -> list[ProgressReport]:
    """A task's progress reports, newest first, with their photos."""
    return list(
        ProgressReport.objects.restrict(user)
        .filter(task=task)
        .select_related("organisation", "reported_by")
        .prefetch_related("photos")
        .order_by("-reported_at", "-id")
    )


def report_get(user: Any, report_id: Any) -> ProgressReport:
    found: ProgressReport = (
        ProgressReport.objects.select_related("organisation", "reported_by")
        .prefetch_related("photos")
        .get_for(user, pk=report_id)
    )
    return found


def meetings_visible(user: Any) -> QuerySet[Meeting]:
    """The meetings the user reads, each with the number of its tasks the user reads."""
    visible = KeyTask.objects.restrict(user).values("pk")
    return (
        Meeting.objects.restrict(user)
        .select_related("body")
        .annotate(task_count=Count("tasks", filter=Q(tasks__in=visible)))
        .order_by("-held_on", "-id")
    )


def meeting_get(user: Any, meeting_id: Any) -> Meeting:
    found: Meeting = Meeting.objects.select_related("body").get_for(user, pk=meeting_id)
    return found


def meeting_tasks(user: Any, meeting: Meeting) -> KeyTaskQuerySet[KeyTask]:
    return tasks_visible(user).filter(meeting=meeting).order_by("number")


def body_get(user: Any, body_id: Any) -> Organisation:
    """A government body or department (the directory) whose tasks are looked at."""
    found = (
        Organisation.objects.restrict(user)
        .filter(pk=_int(body_id) or 0, enterprise__isnull=True)
        .select_related("region")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


# --- the responsibility chain ----------------------------------------------------------------


def _contacts(user: Any, body_ids: Iterable[int]) -> dict[int, list[Person]]:
    """The named contacts of government bodies (the directory), by body."""
    people = (
        Person.objects.restrict(user)
        .filter(
            organisation_id__in=set(body_ids),
            role=PersonRole.GOVERNMENT_CONTACT,
            is_archived=False,
        )
        .order_by("name", "id")
    )
    found: dict[int, list[Person]] = {}
    for person in people:
        assert person.organisation_id is not None
        found.setdefault(person.organisation_id, []).append(person)
    return found


def chains(user: Any, tasks: Iterable[KeyTask]) -> dict[int, list[ChainLink]]:
    """The responsibility chain of each task (tasks read with `tasks_visible`), by task id:
    two queries for any number of tasks."""
    tasks = list(tasks)
    region_ids = {r.pk for t in tasks for r in t.regions.all()}
    region_ids |= {t.supervisor.region_id for t in tasks}
    governments: dict[int, list[Organisation]] = {}
    bodies = (
        Organisation.objects.restrict(user)
        .filter(region_id__in=region_ids, kind__in=SUPERVISING_KINDS, is_archived=False)
        .select_related("region")
        .order_by("kind", "id")
    )
    for body in bodies:
        governments.setdefault(body.region_id, []).append(body)
    named = {t.lead_id for t in tasks} | {o.pk for t in tasks for o in t.cooperating.all()}
    named |= {o.pk for found in governments.values() for o in found}
    contacts = _contacts(user, named)
    return {task.pk: _chain(task, governments, contacts) for task in tasks}


def _chain(
    task: KeyTask,
    governments: dict[int, list[Organisation]],
    contacts: dict[int, list[Person]],
) -> list[ChainLink]:
    lead_people = list(contacts.get(task.lead_id, []))
    if task.lead_person is not None:
        lead_people = [task.lead_person, *(p for p in lead_people if p.pk != task.lead_person_id)]
    links = [
        ChainLink(
            level="lead",
            title=_("Lead department"),
            body=str(task.lead),
            people=lead_people,
            detail=str(task.lead_person) if task.lead_person else "",
        )
    ]
    for body in task.cooperating.all():
        links.append(
            ChainLink(
                level="cooperating",
                title=_("Cooperating department"),
                body=str(body),
                people=contacts.get(body.pk, []),
            )
        )
    for region in sorted(task.regions.all(), key=lambda r: r.path):
        for body in governments.get(region.pk, []):
            if body.kind == OrganisationKind.GOVERNMENT:
                links.append(_body_link(body, region, contacts))
    level = task.supervisor.region
    at_level = governments.get(level.pk, [])
    for kind in (OrganisationKind.COMMITTEE_OFFICE, OrganisationKind.GOVERNMENT):
        for body in at_level:
            if body.kind == kind:
                links.append(_body_link(body, level, contacts))
    return links


def _body_link(body: Organisation, region: Region, contacts: dict[int, list[Person]]) -> ChainLink:
    if body.kind == OrganisationKind.COMMITTEE_OFFICE:
        title = _("Safety Committee office")
    else:
        title = str(REGION_LEVEL_TITLE.get(region.level, region.level))
    return ChainLink(
        level=region.level if body.kind == OrganisationKind.GOVERNMENT else "office",
        title=title,
        body=str(body),
        people=contacts.get(body.pk, []),
    )


# --- what each owes ---------------------------------------------------------------------


@dataclass
class Owed:
    """What one body (or one responsible person) owes."""

    label: str
    body: Organisation | None = None
    person: Person | None = None
    leading: int = 0
    cooperating: int = 0
    next_due: dt.date | None = None
    reports_overdue: int = 0
    past_deadline: int = 0
    people: list[Person] = field(default_factory=list)
    tasks: list[KeyTask] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return self.reports_overdue + self.past_deadline


def _owe(row: Owed, task: KeyTask, leads: bool) -> None:
    if leads:
        row.leading += 1
        if task.report_overdue_since is not None:
            row.reports_overdue += 1
        if task.deadline_overdue_since is not None:
            row.past_deadline += 1
        due = task.next_report_due if task.state in TaskState.reporting_states() else None
        if due is not None and (row.next_due is None or due < row.next_due):
            row.next_due = due
    else:
        row.cooperating += 1
    row.tasks.append(task)


def owed(user: Any) -> tuple[list[Owed], list[Owed]]:
    """What each body and each responsible person owes among the open tasks the user reads:
    (by body, by person), those with something overdue first."""
    tasks = list(tasks_visible(user).filter(state__in=TaskState.open_states()))
    bodies: dict[int, Owed] = {}
    people: dict[int, Owed] = {}
    for task in tasks:
        lead = bodies.setdefault(task.lead_id, Owed(label=str(task.lead), body=task.lead))
        _owe(lead, task, True)
        for other in task.cooperating.all():
            _owe(bodies.setdefault(other.pk, Owed(label=str(other), body=other)), task, False)
        if task.lead_person is not None:
            person = people.setdefault(
                task.lead_person.pk,
                Owed(label=task.lead_person.name, body=task.lead, person=task.lead_person),
            )
            _owe(person, task, True)
    contacts = _contacts(user, bodies)
    for body_id, row in bodies.items():
        row.people = contacts.get(body_id, [])

    def order(row: Owed) -> tuple[int, dt.date, str]:
        return (-row.overdue, row.next_due or dt.date.max, row.label)

    return sorted(bodies.values(), key=order), sorted(people.values(), key=order)


def owed_by(user: Any, body: Organisation) -> list[KeyTask]:
    """The tasks one body owes (leads or cooperates on), open ones first."""
    found = tasks_visible(user).filter(owed_by_q(body.pk))
    return sorted(found, key=lambda t: (not t.is_open, t.next_report_due or dt.date.max, t.pk))


# --- the dashboard ----------------------------------------------------------------------


@dataclass
class DepartmentRow:
    body: Organisation
    counts: dict[str, int]
    overdue: int

    @property
    def open(self) -> int:
        return sum(self.counts.get(s, 0) for s in TaskState.open_states())

    @property
    def cells(self) -> list[tuple[str, int]]:
        """(state label, count) in the order of the states."""
        return [(str(label), self.counts.get(code, 0)) for code, label in TaskState.choices]


@dataclass
class Item:
    """An overdue task with its responsibility chain."""

    task: KeyTask
    chain: list[ChainLink]


@dataclass
class Summary:
    """The key tasks' counts: by state, overdue, and by lead department (the situation
    report and the cockpit read these; the dashboard adds its lists)."""

    total: int
    by_state: list[tuple[str, str, int]]  # (state, label, count)
    open: int
    overdue_count: int
    departments: list[DepartmentRow]

    @property
    def awaiting_verification(self) -> int:
        return next(n for s, _label, n in self.by_state if s == TaskState.COMPLETION_REPORTED)


@dataclass
class Dashboard(Summary):
    today: dt.date
    overdue: list[Item]
    due_soon: list[KeyTask]
    campaigns: list[Any]  # campaigns.selectors.Headline


def summary(user: Any) -> Summary:
    """The counts of the tasks the user reads, in two queries whatever their number."""
    grouped = list(
        KeyTask.objects.restrict(user)
        .order_by()
        .values("lead_id", "state")
        .annotate(n=Count("pk"), late=Count("pk", filter=overdue_q()))
    )
    states: dict[str, int] = {}
    for group in grouped:
        states[group["state"]] = states.get(group["state"], 0) + group["n"]
    rows: dict[int, DepartmentRow] = {}
    leads = Organisation.objects.restrict(user).in_bulk({g["lead_id"] for g in grouped})
    for group in grouped:
        body = leads.get(group["lead_id"])
        if body is None:
            continue
        row = rows.setdefault(body.pk, DepartmentRow(body=body, counts={}, overdue=0))
        row.counts[group["state"]] = group["n"]
        row.overdue += group["late"]
    return Summary(
        total=sum(states.values()),
        by_state=[(code, str(label), states.get(code, 0)) for code, label in TaskState.choices],
        open=sum(states.get(s, 0) for s in TaskState.open_states()),
        overdue_count=sum(g["late"] for g in grouped),
        departments=sorted(rows.values(), key=lambda r: (-r.overdue, -r.open, str(r.body))),
    )


def dashboard(user: Any, today: dt.date | None = None, soon_days: int = 14) -> Dashboard:
    """The summary, with the overdue tasks and their chains, the reports due soon and the
    live campaigns' progress."""
    today = today or timezone.localdate()
    counts = summary(user)
    late = list(tasks_visible(user).filter(overdue_q()).order_by("next_report_due", "id"))
    late_chains = chains(user, late)
    soon = (
        tasks_visible(user)
        .filter(
            state__in=TaskState.reporting_states(),
            next_report_due__gte=today,
            next_report_due__lte=today + dt.timedelta(days=soon_days),
        )
        .order_by("next_report_due", "id")
    )
    live = list(
        Campaign.objects.restrict(user)
        .live()
        .filter(ends_on__gte=today)
        .prefetch_related("regions")  # each campaign's scope reads its regions
    )
    headlines = campaign_selectors.headlines(user, live, today)
    return Dashboard(
        **vars(counts),
        today=today,
        overdue=[Item(task, late_chains[task.pk]) for task in late],
        due_soon=list(soon),
        campaigns=[headlines[c.pk] for c in live],
    )
