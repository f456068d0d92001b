"""Reads of the training module, every one through the door: a person's file, a unit's
compliance (who lacks hours or a valid certificate, and why), the per-unit counts others
build on (`compliance`: the district assessment and the situation report), the training
section of the audit working paper, and the lists of the government's pages.

Compliance is computed by the engine (`redline.engines.training_compliance`) from the
requirements (data) and each person's records, read in bulk: a fixed number of queries
whatever the number of people. The per-unit counts take a lean path to the same answers
(columns as tuples, no model instances; `compliance`), since they cover a whole city."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, Max, Q, QuerySet, Sum
from django.utils import timezone

from redline.core.errors import NotFound
from redline.engines import training_compliance as engine
from redline.organisations.models import Enterprise, Organisation, Person, Region
from redline.organisations.selectors import in_competence
from redline.organisations.vocab import PersonRole
from redline.training import requirements as req
from redline.training.models import Certificate, PostChange, TrainingProfile, TrainingRecord
from redline.training.vocab import CertificateState, Purpose

# A training record's hours have one decimal place (`TrainingRecord.hours`).
HOURS_STEP = Decimal("0.1")


def people_of_units(user: Any) -> QuerySet[Person]:
    """The people of units (not government contacts, not archived) the user sees."""
    return (
        Person.objects.restrict(user)
        .filter(enterprise__isnull=False, is_archived=False, enterprise__is_archived=False)
        .exclude(role=PersonRole.GOVERNMENT_CONTACT)
    )


@dataclass
class PersonStatus:
    person: Person
    profile: TrainingProfile | None
    result: engine.Result
    records: list[TrainingRecord] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    changes: list[PostChange] = field(default_factory=list)

    @property
    def lacking(self) -> list[engine.Finding]:
        return [f for f in self.result.findings if f.severity == engine.LACKING]

    @property
    def warnings(self) -> list[engine.Finding]:
        return [f for f in self.result.findings if f.severity == engine.WARNING]


def engine_person(
    person: Person, profile: TrainingProfile | None, changes: Iterable[PostChange]
) -> engine.Person:
    return engine.Person(
        role=person.role,
        sectors=tuple(person.enterprise.sector_list) if person.enterprise else (),
        started_on=profile.started_on if profile else None,
        operations=tuple(profile.operation_list) if profile else (),
        changes=tuple(
            engine.PostChange(on=c.on, kind=c.kind, absent_days=c.absent_days) for c in changes
        ),
    )


def statuses(user: Any, people: Iterable[Person], on: dt.date) -> list[PersonStatus]:
    """Each person's compliance on `on` (the people already read through the door; their
    records read through it too, in bulk)."""
    people = list(people)
    ids = [p.pk for p in people]
    profiles = {
        p.person_id: p for p in TrainingProfile.objects.restrict(user).filter(person_id__in=ids)
    }
    records: dict[int, list[TrainingRecord]] = defaultdict(list)
    for r in TrainingRecord.objects.restrict(user).filter(person_id__in=ids):
        records[r.person_id].append(r)
    certificates: dict[int, list[Certificate]] = defaultdict(list)
    for c in Certificate.objects.restrict(user).filter(person_id__in=ids):
        certificates[c.person_id].append(c)
    changes: dict[int, list[PostChange]] = defaultdict(list)
    for ch in PostChange.objects.restrict(user).filter(person_id__in=ids):
        changes[ch.person_id].append(ch)
    requirements = req.requirements()
    out = []
    for person in people:
        profile = profiles.get(person.pk)
        result = engine.check(
            requirements,
            engine_person(person, profile, changes[person.pk]),
            [
                engine.Record(day=r.day, hours=r.hours, level=r.level, purpose=r.purpose)
                for r in records[person.pk]
            ],
            [
                engine.Certificate(
                    kind=c.kind,
                    item=c.item,
                    valid_until=c.valid_until,
                    review_due=c.review_due,
                    revoked=c.state == CertificateState.REVOKED,
                )
                for c in certificates[person.pk]
            ],
            on,
        )
        out.append(
            PersonStatus(
                person,
                profile,
                result,
                records[person.pk],
                certificates[person.pk],
                changes[person.pk],
            )
        )
    return out


def unit_statuses(user: Any, unit: Enterprise, on: dt.date | None = None) -> list[PersonStatus]:
    """The compliance of each person of a unit the caller loaded through the door."""
    people = people_of_units(user).filter(enterprise=unit).select_related("enterprise")
    return statuses(user, people.order_by("role", "name", "id"), on or timezone.localdate())


def person_status(user: Any, person_id: int, on: dt.date | None = None) -> PersonStatus:
    """One person's file (404 outside what the user sees)."""
    person = Person.objects.select_related("enterprise").get_for(user, pk=person_id)
    if person.enterprise is None or person.role == PersonRole.GOVERNMENT_CONTACT:
        raise NotFound()
    return statuses(user, [person], on or timezone.localdate())[0]


def compliance(
    user: Any,
    on: dt.date | None = None,
    region: Region | None = None,
    unit: Enterprise | int | None = None,
    department: Organisation | None = None,
) -> list[dict[str, Any]]:
    """Per unit the user sees (optionally in a region's subtree, in a department's
    competence, or one unit): its region and
    the counts of its people, of those compliant, lacking hours and lacking a valid
    certificate on `on` (today by default). A person may lack both. Units without people are
    left out. For the district assessment and the situation report.

    The lean path to the same answers as `statuses` (which a person's file needs, with its
    model instances): the same people through the same door, and of their files only the
    columns the engine reads, as tuples; each person's records are summed in the database
    into their tally (`engine.Tally`: `_tallies`, one row per person), each requirement plan
    is made once per role and unit sectors, each person's certificates are reduced to those
    that count once, and each person is judged by the same `engine.assess` that
    `engine.check` calls. Five queries, whatever the number of people."""
    day = on or timezone.localdate()
    people = people_of_units(user)
    if region is not None:
        people = people.filter(enterprise__region__path__startswith=region.path)
    if unit is not None:
        people = people.filter(enterprise_id=getattr(unit, "pk", unit))
    if department is not None:
        people = in_competence(people, department)
    ids = people.values("pk")
    codes: dict[str, tuple[str, ...]] = {}  # each distinct operations column split once
    profiles: dict[int, tuple[dt.date | None, tuple[str, ...]]] = {}
    for person_id, started, column in (
        TrainingProfile.objects.restrict(user)
        .filter(person__in=ids)
        .values_list("person_id", "started_on", "operations")
    ):
        split = codes.get(column)
        if split is None:
            split = codes[column] = tuple(code for code in column.split(",") if code)
        profiles[person_id] = (started, split)
    requirements = req.requirements()
    tallies = _tallies(user, ids, day, requirements)
    certificates: dict[int, list[engine.Certificate]] = defaultdict(list)
    for person_id, kind, item, valid_until, review_due in (
        Certificate.objects.restrict(user)
        .filter(person__in=ids)
        .exclude(state=CertificateState.REVOKED)
        .order_by()
        .values_list("person_id", "kind", "item", "valid_until", "review_due")
    ):
        certificates[person_id].append(engine.Certificate(kind, item, valid_until, review_due))
    held = {person_id: engine.holdings(found) for person_id, found in certificates.items()}
    changes: dict[int, list[engine.PostChange]] = defaultdict(list)
    for person_id, changed_on, kind, absent_days in (
        PostChange.objects.restrict(user)
        .filter(person__in=ids, on__lte=day)
        .order_by()
        .values_list("person_id", "on", "kind", "absent_days")
    ):
        changes[person_id].append(engine.PostChange(changed_on, kind, absent_days))
    plans: dict[tuple[str, str], tuple[engine.Plan, tuple[str, ...]]] = {}
    nothing, none_held = engine.Tally(), engine.holdings(())
    counts: dict[int, dict[str, Any]] = {}
    for pk, role, unit_id, name, region_id, path, unit_sectors in people.order_by(
        "enterprise_id", "id"
    ).values_list(
        "pk",
        "role",
        "enterprise_id",
        "enterprise__name",
        "enterprise__region_id",
        "enterprise__region__path",
        "enterprise__sectors",
    ):
        row = counts.get(unit_id)
        if row is None:
            row = counts[unit_id] = {
                "unit_id": unit_id,
                "unit": name,
                "region_id": region_id,
                "region_path": path,
                "people": 0,
                "compliant": 0,
                "lacking_hours": 0,
                "lacking_certificate": 0,
            }
        planned = plans.get((role, unit_sectors))
        if planned is None:
            chosen = tuple(s for s in unit_sectors.split(",") if s)
            planned = plans[role, unit_sectors] = (engine.plan(requirements, role, chosen), chosen)
        asked, chosen = planned
        started_on, operations = profiles.get(pk, (None, ()))
        result = engine.assess(
            requirements,
            asked,
            engine.Person(role, chosen, started_on, operations, tuple(changes.get(pk, ()))),
            tallies.get(pk, nothing),
            held.get(pk, none_held),
            day,
        )
        row["people"] += 1
        if not result.findings:  # nothing lacking, nothing to warn of
            row["compliant"] += 1
            continue
        row["compliant"] += int(result.compliant)
        row["lacking_hours"] += int(result.lacks_hours)
        row["lacking_certificate"] += int(result.lacks_certificate)
    return list(counts.values())


def _tallies(
    user: Any, ids: QuerySet[Person, Any], day: dt.date, requirements: engine.Requirements
) -> dict[int, engine.Tally]:
    """Each person's tally of their records up to `day`, summed in the database (one row per
    person): the initial hours, the refresher hours of the years the rules read
    (`engine.tally_years`) and the last day at each level they read
    (`Requirements.tally_levels`). The sums are rounded to the hours' one decimal place
    (SQLite adds them as binary floating point), so they equal the engine's `Tally.add`."""
    years, levels = engine.tally_years(day), requirements.tally_levels
    hours = DecimalField(max_digits=12, decimal_places=1)
    step = HOURS_STEP
    sums = {
        "initial": Sum("hours", filter=Q(purpose=Purpose.INITIAL), output_field=hours),
        **{
            f"refresher_{year}": Sum(
                "hours", filter=Q(purpose=Purpose.REFRESHER, day__year=year), output_field=hours
            )
            for year in years
        },
        **{f"last_{level}": Max("day", filter=Q(level=level)) for level in levels},
    }
    out: dict[int, engine.Tally] = {}
    for person_id, initial, *rest in (
        TrainingRecord.objects.restrict(user)
        .filter(person__in=ids, day__lte=day)
        .order_by()
        .values("person_id")
        .annotate(**sums)
        .values_list("person_id", *sums)
    ):
        refresher, last = rest[: len(years)], rest[len(years) :]
        out[person_id] = engine.Tally(
            initial.quantize(step) if initial is not None else engine.ZERO,
            {y: h.quantize(step) for y, h in zip(years, refresher, strict=True) if h is not None},
            {level: d for level, d in zip(levels, last, strict=True) if d is not None},
        )
    return out


def certificates_list(
    user: Any, *, state: str = "", expiring_days: int | None = None, on: dt.date | None = None
) -> QuerySet[Certificate]:
    """Certificates the user sees, newest expiry first; `expiring_days`: valid ones expiring
    within that many days (or already expired)."""
    found = Certificate.objects.restrict(user).select_related("person__enterprise")
    if state:
        found = found.filter(state=state)
    if expiring_days is not None:
        day = (on or timezone.localdate()) + dt.timedelta(days=expiring_days)
        found = found.filter(state=CertificateState.VALID, valid_until__lte=day)
    return found.order_by("valid_until", "id")


def certificate(user: Any, pk: int) -> Certificate:
    return Certificate.objects.select_related("person__enterprise").get_for(user, pk=pk)


def training_record(user: Any, pk: int) -> TrainingRecord:
    return TrainingRecord.objects.select_related("person__enterprise").get_for(user, pk=pk)


# --- the audit working paper ------------------------------------------------------------------


def audit_section(user: Any, unit_id: int, end: dt.datetime) -> dict[str, Any]:
    """The training section of an audit working paper (`inspections.selectors_audit.
    TRAINING_SHAPE`): one row per person of the unit with the refresher hours the rules ask
    of them, their hours of the last full year, the certificates they hold, the first expiry
    among those they must hold and whether they meet every requirement on the paper's day;
    and the requirements that apply, each with its source."""
    on = timezone.localdate(end)
    unit = Enterprise.objects.restrict(user).filter(pk=unit_id).first()
    if unit is None:
        return {"available": True, "people": [], "requirements": []}
    requirements = req.requirements()
    people_rows = []
    used: dict[str, dict[str, Any]] = {}
    for status in unit_statuses(user, unit, on):
        person = status.person
        eperson = engine_person(person, status.profile, status.changes)
        rule = requirements.hours_rule(eperson.who, eperson.sectors)
        needed = engine.required_certificates(requirements, eperson)
        held = [c for c in status.certificates if c.state == CertificateState.VALID]
        must = [c for c in held if (c.kind, c.item) in set(needed)]
        last_year = on.year - 1
        hours = sum(
            (
                r.hours
                for r in status.records
                if r.purpose == "refresher" and r.day.year == last_year
            ),
            Decimal(0),
        )
        post = person.post or person.get_role_display()
        people_rows.append(
            {
                "person": person.name,
                "post": str(post),
                "required_hours": str(rule.annual_hours),
                "hours": str(hours),
                "certificate": "、".join(f"{c.get_kind_display()} {c.number}" for c in held),
                "certificate_valid_until": min(c.valid_until for c in must).isoformat()
                if must
                else None,
                "meets_requirement": status.result.compliant,
                "id": person.pk,
                "problems": [f.code for f in status.lacking],
            }
        )
        kinds = sorted({kind for kind, _item in needed})
        key = f"{rule.code}:{','.join(kinds)}"
        used.setdefault(
            key,
            {
                "post": rule.who,
                "initial_hours": str(rule.initial_hours),
                "annual_hours": str(rule.annual_hours),
                "certificate": kinds,
                "source": f"{rule.basis} [{', '.join(rule.keys)}]",
                "status": rule.status,
                "code": rule.code,
            },
        )
    return {"available": True, "people": people_rows, "requirements": list(used.values())}


def records_list(user: Any, *, person: int | None = None) -> QuerySet[TrainingRecord]:
    found = TrainingRecord.objects.restrict(user).select_related("person__enterprise")
    if person is not None:
        found = found.filter(person_id=person)
    return found.order_by("-day", "-id")
