"""The demo city's training files: for the people of every demo unit, when they started, the
special operations some post holders perform, their training records (initial training with
three-level education, refresher hours of last year and this year) and their certificates
(leaders' certificates where the rules ask for them, special-operation certificates), recorded
by the city government's manager. Deterministic for a seed.

Some people lapse: about one in seven took too few refresher hours last year, about one in
six special-operation certificates has expired, a few expire within the reminder window, and
the first special operator of the first hazardous-chemicals unit has both lapsed hours and an
expired special-operation certificate (the issue's "done when"). The expiry sweep runs at the
end, so the reminders and expired flags are on the certificates' timelines.

A city has some 20,000 such people, so the files are written in bulk, batch by batch of
units, as the services (`training/services.py`) would have left them: the same values and
derived dates (`services.certificate_rule_dates`), one change-log row per record by the same
actor (`audit.entry`), built valid so that the services' checks hold by construction."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from redline.core import audit, bulk
from redline.core.models import ChangeLog
from redline.organisations.access import role_allows
from redline.organisations.demo import CITY
from redline.organisations.models import Enterprise, Organisation, Person, Region
from redline.organisations.vocab import OrganisationKind, PersonRole
from redline.training import requirements as req
from redline.training import services
from redline.training.deadlines import certificate_expiry_sweep
from redline.training.models import Certificate, TrainingProfile, TrainingRecord

# Units per batch: their people's files are inserted together (some ten thousand rows).
BATCH_UNITS = 1000
TRAINERS = ("安全管理部", "市安全生产培训中心", "车间主任", "班组长", "外聘讲师")
OPERATIONS = {
    "hazchem": ("hazchem-chlorination", "hazchem-hydrogenation", "electrical-lv"),
    "construction": ("height-scaffold", "welding-fusion", "electrical-lv"),
    "industry": ("welding-fusion", "electrical-lv", "refrigeration-operation"),
    "gas": ("welding-fusion", "electrical-lv"),
}


def _actor() -> Any:
    city = Region.objects.filter(code=CITY[2]).first()
    government = Organisation.objects.filter(
        region=city, kind=OrganisationKind.GOVERNMENT, enterprise__isnull=True
    ).first()
    users = get_user_model().objects.filter(organisation=government, is_active=True)
    return next((u for u in users.order_by("username") if role_allows(u, "change")), None)


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    span = max((end - start).days, 0)
    return start + dt.timedelta(days=rng.randint(0, span))


def _years_ago(today: dt.date, years: int) -> dt.date:
    return today.replace(year=today.year - years, day=min(today.day, 28))


@dataclass
class Files:
    """One batch of files, written together (`write`)."""

    actor: Any
    now: dt.datetime
    profiles: list[TrainingProfile] = field(default_factory=list)
    records: list[TrainingRecord] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    labels: dict[int, str] = field(default_factory=dict)  # person id -> str(person)

    def write(self) -> None:
        """The batch's rows and their change-log rows, in one transaction."""
        with transaction.atomic():
            bulk.insert(self.profiles)
            bulk.insert(self.records)
            bulk.insert(self.certificates)
            rows: list[models.Model] = [*self.profiles, *self.records, *self.certificates]
            bulk.insert_values(ChangeLog, [self._log(row) for row in rows])
        self.profiles, self.records, self.certificates = [], [], []

    def _log(self, row: models.Model) -> dict[str, Any]:
        exclude = ("evidence",) if isinstance(row, TrainingRecord) else ()
        person = row.person  # type: ignore[attr-defined]
        # `audit.snapshot`, its person's label (the costly part: a translated role) made
        # once per person.
        data = audit.snapshot(row, exclude=(*exclude, "person"))
        label = self.labels.get(person.pk)
        if label is None:
            label = self.labels[person.pk] = str(person)
        after: dict[str, Any] = {}
        for name, value in data.items():
            after[name] = value
            if name == "id":  # the person comes next, in field order
                after["person"], after[f"person{audit.LABEL_SUFFIX}"] = person.pk, label
        if exclude:
            after["evidence"] = ""
        return audit.entry_values(
            actor=self.actor,
            action="create",
            instance=row,
            before=None,
            after=after,
            enterprise_id=person.enterprise_id,
        )


def build_training(builder: Any, units: list[Enterprise]) -> None:
    actor = _actor()
    if actor is None:
        return
    rng = random.Random(builder.seed * 7919 + 14)
    today = timezone.localdate()
    chosen = [u for u in sorted(units, key=lambda u: u.pk) if not u.is_archived]
    files = Files(actor=actor, now=timezone.now())
    forced = False
    serial = 0
    people = 0
    for start in range(0, len(chosen), BATCH_UNITS):
        batch = chosen[start : start + BATCH_UNITS]
        by_unit: dict[int, list[Person]] = {}
        found = (
            Person.objects.filter(enterprise__in=batch, is_archived=False)
            .exclude(role=PersonRole.GOVERNMENT_CONTACT)
            .order_by("enterprise_id", "id")
        )
        for person in found:
            by_unit.setdefault(person.enterprise_id or 0, []).append(person)
        for unit in batch:
            sectors = unit.sector_list
            operations = next((OPERATIONS[s] for s in sectors if s in OPERATIONS), ())
            for person in by_unit.get(unit.pk, []):
                people += 1
                leader = person.role != PersonRole.POST_HOLDER
                started = _years_ago(today, rng.randint(2, 9) if leader else rng.randint(1, 8))
                if not leader and rng.random() < 0.1:
                    started = _day(rng, today.replace(month=1, day=1), today)  # a new hire
                performs = (
                    (rng.choice(operations),)
                    if operations and not leader and rng.random() < 0.6
                    else ()
                )
                both = bool(performs) and not forced and "hazchem" in sectors
                forced = forced or both
                files.profiles.append(
                    TrainingProfile(
                        person=person,
                        started_on=started,
                        operations="," + ",".join(performs) + "," if performs else "",
                    )
                )
                lapsed = both or rng.random() < 0.14
                _records(rng, files, person, unit, started, today, lapsed=lapsed)
                for kind, item in _needed(person, unit, performs):
                    serial += 1
                    expired = both or (kind == "special_operation" and rng.random() < 0.17)
                    _certificate(rng, files, person, kind, item, serial, today, expired=expired)
        files.write()
        builder.bar("training files (units)", start + len(batch), len(chosen))
    builder.progress(f"training files: {people:,} people, {serial:,} certificates")
    swept = certificate_expiry_sweep()
    builder.progress(f"certificate expiry: {swept}")


def _needed(person: Person, unit: Enterprise, performs: tuple[str, ...]) -> list[tuple[str, str]]:
    rules = req.requirements().certificates
    sectors = set(unit.sector_list)
    needed = [
        (kind, "")
        for kind, rule in rules.items()
        if kind != "special_operation" and person.role in rule.roles and sectors & set(rule.sectors)
    ]
    return needed + [("special_operation", item) for item in performs]


def _record(files: Files, person: Person, **values: Any) -> None:
    files.records.append(
        TrainingRecord(
            person=person,
            trainer_signed=True,
            trainee_signed=True,
            created_by=files.actor,
            created_at=files.now,
            **values,
        )
    )


def _records(
    rng: random.Random,
    files: Files,
    person: Person,
    unit: Enterprise,
    started: dt.date,
    today: dt.date,
    *,
    lapsed: bool,
) -> None:
    requirements = req.requirements()
    rule = requirements.hours_rule(
        "leader" if person.role != PersonRole.POST_HOLDER else "employee", unit.sector_list
    )
    initial = rule.initial_hours
    trainer = rng.choice(TRAINERS)
    if person.role == PersonRole.POST_HOLDER:
        # Three-level education: company, workshop and team, adding up to the initial hours.
        company = (initial / 2).quantize(Decimal("1"))
        workshop = ((initial - company) / 2).quantize(Decimal("1"))
        for level, hours, course in (
            ("company", company, "厂级安全教育"),
            ("workshop", workshop, "车间级安全教育"),
            ("team", initial - company - workshop, "班组级安全教育"),
        ):
            _record(
                files,
                person,
                course=course,
                hours=hours,
                day=min(started + dt.timedelta(days=1), today),
                level=level,
                purpose="initial",
                trainer=trainer,
            )
    else:
        _record(
            files,
            person,
            course="主要负责人和安全管理人员安全生产知识和管理能力培训",
            hours=initial,
            day=min(started + dt.timedelta(days=20), today),
            level="other",
            purpose="initial",
            trainer="市安全生产培训中心",
        )
    annual = rule.annual_hours
    last_year = today.year - 1
    if started <= dt.date(last_year, 1, 1):
        hours = (annual / 2).quantize(Decimal("1")) if lapsed else annual
        _record(
            files,
            person,
            course=f"{last_year}年度安全生产再培训",
            hours=hours,
            day=_day(rng, dt.date(last_year, 3, 1), dt.date(last_year, 11, 30)),
            level="company",
            purpose="refresher",
            trainer=trainer,
        )
    if started <= dt.date(today.year, 1, 1) and rng.random() < 0.7:
        _record(
            files,
            person,
            course=f"{today.year}年度安全生产再培训",
            hours=annual,
            day=min(_day(rng, dt.date(today.year, 1, 2), today), today),
            level="company",
            purpose="refresher",
            trainer=trainer,
        )


def _certificate(
    rng: random.Random,
    files: Files,
    person: Person,
    kind: str,
    item: str,
    serial: int,
    today: dt.date,
    *,
    expired: bool,
) -> None:
    rule = req.requirements().certificates[kind]
    if expired:
        issued = today - dt.timedelta(days=365 * rule.validity_years + rng.randint(10, 300))
    elif rng.random() < 0.08:
        # expiring within the reminder window
        issued = today - dt.timedelta(days=365 * rule.validity_years - rng.randint(10, 50))
    else:
        issued = today - dt.timedelta(days=rng.randint(30, 365 * 2))
    reviewed = None
    if kind == "special_operation" and rule.review_years and not expired:
        due = services.certificate_rule_dates(kind, issued, None, False)[1]
        if due is not None and due <= today:
            reviewed = due
    # As `services.certificate_add` derives them.
    valid_until, review_due = services.certificate_rule_dates(kind, issued, reviewed, False)
    prefix = "T" if kind == "special_operation" else "A"
    files.certificates.append(
        Certificate(
            person=person,
            kind=kind,
            category=req.operations()[item].category if item else "",
            item=item,
            number=f"{prefix}{issued:%Y}{serial:07d}",
            issuer="市应急管理局",
            issued_on=issued,
            valid_until=valid_until,
            reviewed_on=reviewed,
            review_due=review_due,
            long_service=False,
            created_by=files.actor,
            created_at=files.now,
        )
    )
