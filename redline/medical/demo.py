"""Demo data of medical treatment capacity: 90 days of daily reports from every operating
hospital and fever clinic of the demo city, with a winter respiratory surge in one district
over the last weeks (fever clinic visits climb, beds and ICU fill, staff fall ill, hospitals
convert beds to ICU; some recover, some do not), and a short staff-sickness episode elsewhere
earlier on. Everything follows from the builder's seeded random generator.

The reports are written in bulk, as the service would have stored them (a few days carry a
correction: two versions); the alerts are then raised, escalated and closed by the real
evaluation, day by day (`capacity_alerts_evaluate`), so their timelines and notifications
are what the system would have produced. The demo hospital's own account then corrects
yesterday's report through the service, and leaves today's report for the visitor to send.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from redline.accounts.models import User
from redline.core import bulk
from redline.medical.evaluation import capacity_alerts_evaluate
from redline.medical.models import CapacityReport
from redline.medical.services import (
    CapacityReportInput,
    capacity_report_submit,
    capacity_thresholds_load,
)
from redline.medical.vocab import HEALTH_UNIT_KINDS, ReportSource
from redline.organisations.access import ROLES
from redline.organisations.models import Enterprise, Organisation, Region
from redline.organisations.vocab import (
    DepartmentType,
    OrganisationKind,
    RegionLevel,
    UnitKind,
    UnitStatus,
)

DAYS = 90
SURGE_START = 24  # days ago the surge begins
SURGE_PEAK = 8  # days ago it peaks
EPISODE = (46, 41)  # days ago of the earlier staff-sickness episode (first, last)
CORRECTION_SHARE = 0.02


@dataclass
class Profile:
    """A unit's capacity and its ordinary load."""

    beds: int
    icu: int
    convertible: int
    ventilators: int
    staff: int
    fever: int
    bed_load: float
    icu_load: float
    ventilator_load: float
    absence: float
    surge: bool = False
    recovery: float = 0.0
    episode: bool = False


def _profile(rng: random.Random, unit: Enterprise) -> Profile:
    if unit.kind == UnitKind.HOSPITAL:
        beds = rng.randrange(150, 900, 10)
        icu = round(beds * rng.uniform(0.055, 0.075))
        return Profile(
            beds=beds,
            icu=icu,
            convertible=round(beds * rng.uniform(0.04, 0.05)),
            ventilators=icu + rng.randint(2, 10),
            staff=int(beds * rng.uniform(1.1, 1.6)),
            fever=rng.randint(20, 80),
            bed_load=rng.uniform(0.70, 0.78),
            icu_load=rng.uniform(0.52, 0.64),
            ventilator_load=rng.uniform(0.35, 0.48),
            absence=rng.uniform(0.03, 0.05),
        )
    return Profile(  # a fever clinic: observation beds, no ICU of its own
        beds=rng.randint(12, 30),
        icu=0,
        convertible=rng.randint(2, 4),
        ventilators=rng.randint(2, 4),
        staff=rng.randint(25, 60),
        fever=rng.randint(80, 200),
        bed_load=rng.uniform(0.55, 0.72),
        icu_load=0.0,
        ventilator_load=rng.uniform(0.2, 0.4),
        absence=rng.uniform(0.03, 0.05),
    )


def _surge(profile: Profile, days_ago: int) -> float:
    """0 outside the surge; rises to 1 at the peak, then eases by the unit's recovery."""
    if not profile.surge or days_ago > SURGE_START:
        return 0.0
    if days_ago >= SURGE_PEAK:
        return (SURGE_START - days_ago) / (SURGE_START - SURGE_PEAK)
    return 1.0 - profile.recovery * (SURGE_PEAK - days_ago) / SURGE_PEAK


def _figures(rng: random.Random, p: Profile, day: dt.date, days_ago: int) -> dict[str, int]:
    s = _surge(p, days_ago)
    sick = p.episode and EPISODE[1] <= days_ago <= EPISODE[0]
    converted = round(p.convertible * s * 0.6)
    icu_beds = p.icu + converted
    beds_occupied = round(
        p.beds * min(0.99, p.bed_load + s * (0.975 - p.bed_load) + rng.uniform(-0.02, 0.02))
    )
    icu_occupied = round(
        icu_beds * min(1.0, p.icu_load + s * (0.96 - p.icu_load) + rng.uniform(-0.04, 0.04))
    )
    in_use = round(
        p.ventilators
        * min(1.0, p.ventilator_load + s * (0.9 - p.ventilator_load) + rng.uniform(-0.03, 0.03))
    )
    weekday = 0.85 if day.weekday() >= 5 else 1.0
    visits = round(p.fever * (1 + 2.2 * s) * weekday * rng.uniform(0.92, 1.08))
    absence = p.absence + s * 0.13 + (0.12 if sick else 0.0) + rng.uniform(-0.005, 0.005)
    absent = round(p.staff * max(0.0, absence))
    if s == 0 and not sick:
        # An ordinary day stays under every warning level: the alerts tell the story.
        beds_occupied = min(beds_occupied, int(p.beds * 0.84))
        icu_occupied = min(icu_occupied, int(icu_beds * 0.74))
        in_use = min(in_use, int(p.ventilators * 0.69))
        absent = min(absent, int(p.staff * 0.09))
    icu_occupied = max(0, min(icu_occupied, icu_beds, beds_occupied))
    return {
        "beds": p.beds,
        "beds_occupied": max(0, min(beds_occupied, p.beds)),
        "icu_beds": icu_beds,
        "icu_occupied": icu_occupied,
        "icu_convertible": p.convertible - converted,
        "ventilators": p.ventilators,
        "ventilators_in_use": max(0, min(in_use, p.ventilators)),
        "fever_clinic_visits": max(0, visits),
        "staff_on_roster": p.staff,
        "staff_absent": max(0, min(absent, p.staff)),
    }


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def build_capacity(builder: Any, units: list[Enterprise]) -> None:
    # Its own generator from the demo's seed: the reports do not depend on how much of the
    # shared generator earlier steps used (nor on the order a database returns their rows).
    rng = random.Random(f"capacity:{builder.seed}")
    health = sorted(
        (
            u
            for u in Enterprise.objects.filter(
                pk__in=[u.pk for u in units],
                kind__in=HEALTH_UNIT_KINDS,
                status=UnitStatus.OPERATING,
                is_archived=False,
            ).select_related("region")
        ),
        # Natural keys, not ids: a second build (ids move on in PostgreSQL) sorts the same.
        key=lambda u: (u.region.code, u.credit_code, u.name),
    )
    if not health:
        return
    # The shipped thresholds (a flushed database has lost what the migration loaded).
    capacity_thresholds_load()
    now = timezone.now()
    today = timezone.localdate(now)
    districts = list(Region.objects.filter(level=RegionLevel.DISTRICT).order_by("code"))

    def district_of(unit: Enterprise) -> Region | None:
        return next((d for d in districts if unit.region.path.startswith(d.path)), None)

    counts: dict[int, int] = {}
    for unit in health:
        district = district_of(unit)
        if district is not None:
            counts[district.pk] = counts.get(district.pk, 0) + 1
    surge_district = max(districts, key=lambda d: (counts.get(d.pk, 0), -districts.index(d)))
    profiles: dict[int, Profile] = {}
    for unit in health:
        profiles[unit.pk] = _profile(rng, unit)
        district = district_of(unit)
        profiles[unit.pk].surge = district is not None and district.pk == surge_district.pk
    surging = [u for u in health if profiles[u.pk].surge]
    demo_unit = next((u for u in surging if u.kind == UnitKind.HOSPITAL), surging[0])
    # The demo hospital stays under strain (its alerts open); the others alternate between
    # easing off (their alerts close) and staying full.
    others = [u for u in surging if u.pk != demo_unit.pk]
    for index, unit in enumerate([demo_unit, *others]):
        profiles[unit.pk].recovery = 0.15 if index % 2 == 0 else 0.85
    calm = [u for u in health if not profiles[u.pk].surge]
    if calm:
        profiles[calm[0].pk].episode = True

    _users(builder, demo_unit, surge_district)
    written = _history(rng, health, profiles, now, skip=(demo_unit.pk, today))
    totals = {"raised": 0, "escalated": 0, "closed": 0}
    for days_ago in range(DAYS - 1, -1, -1):
        day = today - dt.timedelta(days=days_ago)
        result = capacity_alerts_evaluate(day=day, now=min(now, _at(day, 11)))
        for name in totals:
            totals[name] += getattr(result, name)
    corrected = _correct_yesterday(demo_unit, today, now)
    builder.progress(
        f"capacity reports: {written:,} from {len(health)} hospitals and fever clinics over "
        f"{DAYS} days (surge in {surge_district.name}); alerts raised {totals['raised']}, "
        f"escalated {totals['escalated']}, closed {totals['closed']}"
        + (f"; {demo_unit.name} corrected yesterday's report" if corrected else "")
    )


def _history(
    rng: random.Random,
    health: list[Enterprise],
    profiles: dict[int, Profile],
    now: dt.datetime,
    skip: tuple[int, dt.date],
) -> int:
    today = timezone.localdate(now)
    rows: list[CapacityReport] = []
    written = 0
    for days_ago in range(DAYS - 1, -1, -1):
        day = today - dt.timedelta(days=days_ago)
        for unit in health:
            if (unit.pk, day) == skip:
                continue
            figures = _figures(rng, profiles[unit.pk], day, days_ago)
            reported = min(now, _at(day, 8) + dt.timedelta(minutes=rng.randint(0, 119)))
            if days_ago and rng.random() < CORRECTION_SHARE:
                # A slip corrected later that morning: the first version is kept, superseded.
                slip = dict(figures)
                slip["fever_clinic_visits"] = figures["fever_clinic_visits"] + rng.randint(5, 40)
                corrected = reported + dt.timedelta(hours=1)
                rows.append(_row(unit, day, 1, slip, reported, superseded=corrected))
                rows.append(_row(unit, day, 2, figures, corrected, note="更正发热门诊就诊人数"))
            else:
                rows.append(_row(unit, day, 1, figures, reported))
            if len(rows) >= 5000:
                bulk.insert(rows)
                written += len(rows)
                rows = []
    bulk.insert(rows)
    return written + len(rows)


def _row(
    unit: Enterprise,
    day: dt.date,
    version: int,
    figures: dict[str, int],
    at: dt.datetime,
    superseded: dt.datetime | None = None,
    note: str = "",
) -> CapacityReport:
    return CapacityReport(
        hospital=unit,
        day=day,
        version=version,
        **figures,
        note=note,
        source=ReportSource.DEMO,
        reported_at=at,
        superseded_at=superseded,
    )


def _correct_yesterday(unit: Enterprise, today: dt.date, now: dt.datetime) -> bool:
    """The demo hospital's operator corrects yesterday's ventilator count through the
    service: a second version, the change log, and the hospital's alerts evaluated again."""
    operator = User.objects.filter(username="hospital-operator").first()
    yesterday = today - dt.timedelta(days=1)
    report = CapacityReport.objects.current().filter(hospital=unit, day=yesterday).first()
    if operator is None or report is None or report.ventilators_in_use == 0:
        return False
    figures = report.figures | {"ventilators_in_use": report.ventilators_in_use - 1}
    capacity_report_submit(
        actor=operator,
        data=CapacityReportInput.of(
            figures, day=yesterday, note="呼吸机数量更正", version=report.version
        ),
        idempotency_key="demo-correct-yesterday",
        source=ReportSource.FORM,
        now=now,
    )
    return True


def _users(builder: Any, unit: Enterprise, district: Region) -> None:
    """Accounts that see this module: the demo hospital's own, the city health commission's
    and the surge district's CDC (the city's people already exist). A username already
    taken is left alone."""
    org = Organisation.objects.filter(enterprise=unit).first()
    if org is None:
        org = Organisation.objects.create(
            name=unit.name, kind=OrganisationKind.ENTERPRISE, region=unit.region, enterprise=unit
        )
    health = Organisation.objects.filter(
        kind=OrganisationKind.DEPARTMENT,
        department_type=DepartmentType.HEALTH,
        region__level=RegionLevel.CITY,
    ).first()
    cdc = Organisation.objects.filter(kind=OrganisationKind.PUBLIC_HEALTH, region=district).first()
    groups = [
        ("hospital", "enterprise", org),
        ("health", "dept", health),
        ("districtcdc", "cdc", cdc),
    ]
    taken = set(User.objects.values_list("username", flat=True))
    users = []
    for prefix, level, body in groups:
        if body is None:
            continue
        for role in ROLES:
            username = f"{prefix}-{role}"
            if username in taken:
                continue
            users.append(
                User(
                    username=username,
                    password=builder.password_hash,
                    organisation=body,
                    roles=[role],
                    first_name=builder.person_name(),
                )
            )
            builder.logins.append(_login(builder, username, str(body), level, role))
    bulk.insert(users)
    builder.progress(f"capacity demo users: {len(users)} (hospital {unit.name})")


def _login(builder: Any, username: str, organisation: str, level: str, role: str) -> Any:
    from redline.organisations.demo import DEMO_PASSWORD, DemoLogin

    return DemoLogin(username, DEMO_PASSWORD, organisation, level, [role])
