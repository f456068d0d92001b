"""The per-unit training counts (`selectors.compliance`: the lean path the district assessment
and the situation report read) against the per-person path (`selectors.statuses`: model
instances, every finding, as a person's file reads them), in the access-test city
(`organisations/tests/world.py`).

U-S22-build (construction; D2) is staffed by hand through the services, so its counts are
known on two days: 2025-06-15 and 2026-01-01 (when 2025's refresher hours fall due). Beside
its main responsible person (the world's, with no file: owes hours and a construction
certificate), it has

- 老员工, in post since 2018, who trains enough each year (8 of 2025's 20 hours after June);
- 欠学时, 10 of 2024's 20 refresher hours (lapsed on 2025-06-15, not on 2026-01-01);
- 新员工, hired 2025-05-01, whose team-level initial training came on 2025-07-01;
- 调岗, moved to another post on 2025-05-01, trained at workshop level after it, at team
  level only on 2025-08-01;
- 复岗, back on 2025-05-01 after 400 days away, never re-trained;
- 焊工, a welder whose certificate is valid until 2025-12-31;
- 架子工, a scaffolder whose only valid-looking certificate was revoked, the other expired;
- 安全员, a safety manager with her hours and a valid construction certificate;
- 离职, archived (not counted).

Then a crowd of people with random files (seeded) in every unit, and the lean counts must equal
the per-person ones for several users (the city, a district, a subdistrict, a department by
its sector mandate, units' own accounts), filters (region, unit, a department's competence) and
days; and the lean path costs as many queries with the crowd as without it. The engine's
answer does not depend on the order a person's records, certificates and post changes come in
(of two certificates valid as long, the one whose review is due later counts)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.accounts.models import User
from redline.engines import training_compliance as engine
from redline.organisations.models import Enterprise, Organisation, Person, Region
from redline.organisations.selectors import in_competence
from redline.training import requirements as req
from redline.training import selectors, services
from redline.training.models import Certificate, PostChange, TrainingProfile, TrainingRecord
from redline.training.vocab import CertificateState

pytestmark = pytest.mark.django_db

UNIT = "U-S22-build"
JUNE = dt.date(2025, 6, 15)
NEW_YEAR = dt.date(2026, 1, 1)
PURPOSES = ("initial", "refresher", "refresher", "retraining", "other")


def user(world: Any, key: str, role: str = "viewer") -> User:
    return User.objects.get(username=world.username(key, role))


def per_person(user: Any, on: dt.date, people: Any) -> list[dict[str, Any]]:
    """The counts from each person's status (the path a person's file takes)."""
    counts: dict[int, dict[str, Any]] = {}
    found = people.select_related("enterprise__region").order_by("enterprise_id", "id")
    for status in selectors.statuses(user, found, on):
        unit = status.person.enterprise
        row = counts.setdefault(
            unit.pk,
            {
                "unit_id": unit.pk,
                "unit": unit.name,
                "region_id": unit.region_id,
                "region_path": unit.region.path,
                "people": 0,
                "compliant": 0,
                "lacking_hours": 0,
                "lacking_certificate": 0,
            },
        )
        row["people"] += 1
        row["compliant"] += int(status.result.compliant)
        row["lacking_hours"] += int(status.result.lacks_hours)
        row["lacking_certificate"] += int(status.result.lacks_certificate)
    return list(counts.values())


class Staff:
    """Files written through the services, as the pages and the API write them."""

    def __init__(self, world: Any) -> None:
        self.actor = user(world, "cityhall", "manager")
        self.unit = Enterprise.objects.get(name=UNIT)
        self.serial = 0

    def person(
        self,
        name: str,
        role: str = "post_holder",
        started: dt.date | None = dt.date(2018, 3, 1),
        operations: tuple[str, ...] = (),
    ) -> Person:
        person = Person.objects.create(name=name, role=role, enterprise=self.unit)
        services.training_profile_save(
            actor=self.actor,
            data=services.TrainingProfileInput.of(
                {"person": person.pk, "started_on": started, "operations": list(operations)}
            ),
        )
        return person

    def record(
        self,
        person: Person,
        day: dt.date,
        hours: float,
        level: str = "company",
        purpose: str = "refresher",
    ) -> None:
        services.training_record_add(
            actor=self.actor,
            data=services.TrainingRecordInput.of(
                {
                    "person": person.pk,
                    "course": "安全培训",
                    "hours": str(hours),
                    "day": day.isoformat(),
                    "level": level,
                    "purpose": purpose,
                }
            ),
        )

    def initial(self, person: Person, day: dt.date = dt.date(2018, 3, 2)) -> None:
        for level, hours in (("company", 16), ("workshop", 8), ("team", 8)):
            self.record(person, day, hours, level, "initial")

    def certificate(self, person: Person, kind: str, item: str = "", **dates: Any) -> Certificate:
        self.serial += 1
        return services.certificate_add(
            actor=self.actor,
            data=services.CertificateInput.of(
                {
                    "person": person.pk,
                    "kind": kind,
                    "item": item,
                    "number": f"CC-{self.serial}",
                    **{k: v.isoformat() if isinstance(v, dt.date) else v for k, v in dates.items()},
                }
            ),
        )

    def change(self, person: Person, on: dt.date, kind: str, absent_days: int = 0) -> None:
        services.post_change_add(
            actor=self.actor,
            data=services.PostChangeInput.of(
                {
                    "person": person.pk,
                    "on": on.isoformat(),
                    "kind": kind,
                    "absent_days": absent_days,
                }
            ),
        )


@pytest.fixture
def staffed(world: Any) -> Enterprise:
    s = Staff(world)
    steady = s.person("老员工")
    s.initial(steady)
    s.record(steady, dt.date(2024, 5, 1), 20)
    s.record(steady, dt.date(2025, 3, 1), 12)
    s.record(steady, dt.date(2025, 9, 1), 8)

    short = s.person("欠学时")
    s.initial(short)
    s.record(short, dt.date(2024, 5, 1), 10)
    s.record(short, dt.date(2025, 4, 1), 20)

    new = s.person("新员工", started=dt.date(2025, 5, 1))
    s.record(new, dt.date(2025, 5, 2), 16, "company", "initial")
    s.record(new, dt.date(2025, 5, 3), 8, "workshop", "initial")
    s.record(new, dt.date(2025, 7, 1), 8, "team", "initial")

    moved = s.person("调岗")
    s.initial(moved)
    s.record(moved, dt.date(2024, 5, 1), 20)
    s.record(moved, dt.date(2025, 2, 1), 20)
    s.change(moved, dt.date(2025, 5, 1), "change_post")
    s.record(moved, dt.date(2025, 5, 10), 4, "workshop", "retraining")
    s.record(moved, dt.date(2025, 8, 1), 4, "team", "retraining")

    back = s.person("复岗")
    s.initial(back)
    s.record(back, dt.date(2024, 2, 1), 20)
    s.record(back, dt.date(2025, 2, 1), 20)
    s.change(back, dt.date(2025, 5, 1), "return", 400)

    welder = s.person("焊工", operations=("welding-fusion",))
    s.initial(welder)
    s.record(welder, dt.date(2024, 5, 1), 20)
    s.record(welder, dt.date(2025, 3, 1), 20)
    # valid six years from issue, to 2025-12-31; long service: no review before expiry
    s.certificate(
        welder,
        "special_operation",
        "welding-fusion",
        issued_on=dt.date(2020, 1, 1),
        long_service=True,
    )

    scaffolder = s.person("架子工", operations=("height-scaffold",))
    s.initial(scaffolder)
    s.record(scaffolder, dt.date(2024, 5, 1), 20)
    s.record(scaffolder, dt.date(2025, 3, 1), 20)
    revoked = s.certificate(
        scaffolder, "special_operation", "height-scaffold", issued_on=dt.date(2024, 6, 1)
    )
    services.certificate_step(
        actor=s.actor,
        certificate_id=revoked.pk,
        action="revoke",
        version=revoked.version,
        data={"comment": "以欺骗手段取得"},
    )
    s.certificate(
        scaffolder,
        "special_operation",
        "height-scaffold",
        issued_on=dt.date(2019, 3, 2),
        valid_until=dt.date(2025, 3, 1),
    )

    manager = s.person("安全员", role="safety_manager", started=dt.date(2019, 1, 1))
    s.record(manager, dt.date(2019, 1, 5), 32, "company", "initial")
    s.record(manager, dt.date(2024, 4, 1), 12)
    s.record(manager, dt.date(2025, 3, 1), 12)
    s.certificate(manager, "construction_c", issued_on=dt.date(2024, 1, 2))

    gone = s.person("离职")
    Person.objects.filter(pk=gone.pk).update(is_archived=True)
    assert Certificate.objects.get(pk=revoked.pk).state == CertificateState.REVOKED
    return s.unit


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        # 老员工, 焊工 and 安全员 compliant; 欠学时, 新员工 (initial hours and team level),
        # 调岗 and 复岗 (re-training) and the main responsible person lack hours; 架子工
        # (revoked, expired) and the main responsible person lack a certificate.
        (JUNE, {"people": 9, "compliant": 3, "lacking_hours": 5, "lacking_certificate": 2}),
        # 2025's hours met by all but the main responsible person; 复岗 still not re-trained;
        # 焊工's certificate expired the day before.
        (NEW_YEAR, {"people": 9, "compliant": 5, "lacking_hours": 2, "lacking_certificate": 3}),
    ],
)
def test_the_staffed_units_counts_on_two_days(world, staffed, on, expected):
    # outside their jurisdiction: D1, the emergency bureau (hazchem, industry), another unit
    for key in ("d1", "emergency", "ent"):
        assert selectors.compliance(user(world, key), on=on, unit=staffed) == []
    city = user(world, "cityhall")
    rows = selectors.compliance(city, on=on, unit=staffed)
    assert len(rows) == 1 and rows[0]["unit_id"] == staffed.pk and rows[0]["unit"] == UNIT
    assert {key: rows[0][key] for key in expected} == expected
    people = selectors.people_of_units(city).filter(enterprise=staffed)
    assert per_person(city, on, people) == rows
    # the same row in the city's whole list and in D2's
    d2 = Region.objects.get(pk=world.regions["D2"])
    assert rows[0] in selectors.compliance(city, on=on)
    assert rows[0] in selectors.compliance(user(world, "cityhall"), on=on, region=d2)


def crowd(seed: int = 7, size: int = 90) -> None:
    """People with random files in every unit: records of every level and purpose over five
    years (some dated after the days checked), certificates valid, expired, revoked or under
    review, post changes and returns, new hires, people with no profile, archived people."""
    rng = random.Random(seed)
    today = timezone.localdate()
    units = list(Enterprise.objects.order_by("pk"))
    operations = ("welding-fusion", "electrical-lv", "hazchem-chlorination", "height-scaffold")
    start = today - dt.timedelta(days=5 * 365)

    def day(after: dt.date = start) -> dt.date:
        return after + dt.timedelta(days=rng.randint(0, max((today - after).days, 0)))

    now = timezone.now()
    records, certificates, changes = [], [], []
    for n in range(size):
        unit = rng.choice(units)
        role = rng.choice(["main_responsible", "safety_manager", "post_holder", "post_holder"])
        person = Person.objects.create(
            name=f"众{n}", role=role, enterprise=unit, is_archived=rng.random() < 0.05
        )
        performs = tuple(rng.sample(operations, rng.choice([0, 0, 1, 2])))
        if rng.random() < 0.85:
            started = rng.choice([None, day(), day(today - dt.timedelta(days=200))])
            TrainingProfile.objects.create(
                person=person,
                started_on=started,
                operations="," + ",".join(performs) + "," if performs else "",
            )
        for _ in range(rng.randint(0, 9)):
            records.append(
                TrainingRecord(
                    person=person,
                    course="培训",
                    hours=Decimal(rng.choice([4, 8, 12, 16, 20, 24, 32])) / rng.choice([1, 2]),
                    day=day(),
                    level=rng.choice(["company", "workshop", "team", "other"]),
                    purpose=rng.choice(
                        ["initial", "refresher", "refresher", "retraining", "other"]
                    ),
                    created_at=now,
                )
            )
        kinds = [("special_operation", item) for item in performs]
        kinds += [(k, "") for k in ("main_responsible", "safety_manager", "construction_a")]
        for kind, item in rng.sample(kinds, rng.randint(0, min(3, len(kinds)))):
            for _ in range(rng.choice([1, 1, 2])):
                issued = day(today - dt.timedelta(days=7 * 365))
                certificates.append(
                    Certificate(
                        person=person,
                        kind=kind,
                        item=item,
                        number=f"CROWD-{len(certificates)}",
                        issued_on=issued,
                        valid_until=issued + dt.timedelta(days=rng.randint(300, 2200)),
                        review_due=rng.choice([None, day()]),
                        state=rng.choice([CertificateState.VALID] * 4 + [CertificateState.REVOKED]),
                        created_at=now,
                    )
                )
        for _ in range(rng.choice([0, 0, 1, 2])):
            kind = rng.choice(["change_post", "return"])
            changes.append(
                PostChange(
                    person=person,
                    on=day(),
                    kind=kind,
                    absent_days=rng.choice([100, 183, 200, 365, 500]) if kind == "return" else 0,
                    created_at=now,
                )
            )
    TrainingRecord.objects.bulk_create(records)
    Certificate.objects.bulk_create(certificates)
    PostChange.objects.bulk_create(changes)


def test_the_lean_counts_equal_the_per_person_counts(world, staffed):
    city = user(world, "cityhall")
    today = timezone.localdate()
    selectors.compliance(city, on=today)  # the user's jurisdiction, read once
    with CaptureQueriesContext(connection) as few:
        selectors.compliance(city, on=today)
    crowd()
    with CaptureQueriesContext(connection) as many:
        lean = selectors.compliance(city, on=today)
    assert len(many) == len(few) <= 6
    assert sum(row["people"] for row in lean) > 90  # the world's, the staffed unit's, the crowd

    d1 = Region.objects.get(pk=world.regions["D1"])
    emergency = Organisation.objects.get(pk=world.orgs["emergency"].pk)
    hazchem = Enterprise.objects.get(name="U-S11-hazchem")
    days = [
        today,
        JUNE,
        NEW_YEAR,
        today.replace(month=1, day=1),
        today - dt.timedelta(days=400),
        today - dt.timedelta(days=3 * 365),
    ]
    compared = 0
    for key in ("cityhall", "d1", "s11", "emergency", "fire_d1", "education", "ent", "ent2"):
        viewer = user(world, key)
        people = selectors.people_of_units(viewer)
        cases: list[tuple[dict[str, Any], Any]] = [
            ({}, people),
            ({"region": d1}, people.filter(enterprise__region__path__startswith=d1.path)),
            ({"unit": hazchem}, people.filter(enterprise=hazchem)),
            ({"department": emergency}, in_competence(people, emergency)),
        ]
        for on in days:
            for filters, narrowed in cases:
                lean = selectors.compliance(viewer, on=on, **filters)
                assert lean == per_person(viewer, on, narrowed), (key, on, filters)
                compared += sum(row["people"] for row in lean)
    assert compared > 1000


# --- the engine's answer does not depend on the order the files are read in ------------------

DAYS = st.dates(dt.date(2022, 1, 1), dt.date(2026, 12, 31))
RECORDS = st.lists(
    st.builds(
        engine.Record,
        day=DAYS,
        hours=st.integers(1, 400).map(lambda n: Decimal(n) / 10),
        level=st.sampled_from(["company", "workshop", "team", "other"]),
        purpose=st.sampled_from(["initial", "refresher", "retraining", "other"]),
    ),
    max_size=10,
)
CERTIFICATES = st.lists(
    st.builds(
        engine.Certificate,
        kind=st.sampled_from(["special_operation", "special_operation", "safety_manager"]),
        item=st.just("welding-fusion"),
        # few days, so that two certificates are often valid as long
        valid_until=st.sampled_from([dt.date(2025, 6, 30), dt.date(2025, 12, 31)]),
        review_due=st.sampled_from([None, dt.date(2024, 6, 30), dt.date(2025, 3, 31)]),
        revoked=st.booleans(),
    ),
    max_size=5,
)


# A person of any role and sectors, with any post changes, records and certificates.
PERSON = {
    "role": st.sampled_from(["main_responsible", "safety_manager", "post_holder"]),
    "sectors": st.sampled_from([("hazchem",), ("construction",), ("industry", "fire"), ("other",)]),
    "started": st.none() | DAYS,
    "changes": st.lists(
        st.builds(
            engine.PostChange,
            on=DAYS,
            kind=st.sampled_from(["change_post", "return"]),
            absent_days=st.sampled_from([0, 183, 365, 400]),
        ),
        max_size=2,
    ),
    "records": RECORDS,
    "certificates": CERTIFICATES,
}


@settings(max_examples=300, deadline=None)
@given(
    **PERSON,
    on=st.dates(dt.date(2024, 1, 1), dt.date(2026, 6, 30)),
    data=st.data(),
)
def test_the_findings_do_not_depend_on_the_order_of_the_files(
    role, sectors, started, changes, records, certificates, on, data
):
    """The lean path reads rows in the database's order, a person's file in the models'."""
    requirements = req.requirements()
    person = engine.Person(role, sectors, started, ("welding-fusion",), tuple(changes))
    first = engine.check(requirements, person, records, certificates, on)
    shuffled = engine.check(
        requirements,
        engine.Person(
            role, sectors, started, ("welding-fusion",), tuple(data.draw(st.permutations(changes)))
        ),
        data.draw(st.permutations(records)),
        data.draw(st.permutations(certificates)),
        on,
    )
    assert shuffled == first


def test_of_two_certificates_valid_as_long_the_one_reviewed_later_counts_in_any_order():
    requirements = req.requirements()
    welder = engine.Person("post_holder", ("other",), None, ("welding-fusion",))
    until = dt.date(2025, 12, 31)
    overdue = engine.Certificate("special_operation", "welding-fusion", until, dt.date(2025, 3, 31))
    no_review = engine.Certificate("special_operation", "welding-fusion", until, None)
    later = engine.Certificate("special_operation", "welding-fusion", until, dt.date(2025, 9, 30))
    on = dt.date(2025, 6, 1)
    for pair in ([overdue, no_review], [no_review, overdue], [overdue, later], [later, overdue]):
        result = engine.check(requirements, welder, [], pair, on)
        assert not result.lacks_certificate, pair
    alone = engine.check(requirements, welder, [], [overdue], on)
    assert alone.lacks_certificate


# --- the lean path sums each person's records in the database ---------------------------------


def reduced(tally: engine.Tally, on: dt.date) -> engine.Tally:
    """`tally` with only what the rules read on `on`: the refresher hours of
    `engine.tally_years(on)` and the last days of `Requirements.tally_levels`."""
    levels = req.requirements().tally_levels
    return engine.Tally(
        tally.initial,
        {y: h for y, h in tally.refresher.items() if y in engine.tally_years(on)},
        {level: d for level, d in tally.last_day.items() if level in levels},
    )


def test_each_persons_tally_is_summed_in_the_database_as_the_engine_adds_it(world, staffed):
    city = user(world, "cityhall")
    today = timezone.localdate()
    s = Staff(world)
    # tenths whose binary sums are not exact: 0.1 + 0.2 + 19.7 is 20 hours, not 19.999...
    tenths = s.person("零碎学时", started=dt.date(2020, 1, 1))
    for hours, when in ((0.1, JUNE), (0.2, JUNE), (19.7, JUNE), (0.3, NEW_YEAR)):
        s.record(tenths, when, hours)
    s.record(tenths, JUNE, 0.1, "team", "initial")
    crowd(seed=11, size=60)
    people = selectors.people_of_units(city)
    ids = people.values("pk")
    requirements = req.requirements()
    compared = 0
    for on in (today, JUNE, NEW_YEAR, today - dt.timedelta(days=3 * 365)):
        full: dict[int, list[engine.Record]] = {}
        for r in TrainingRecord.objects.filter(person__in=ids).order_by("pk"):
            full.setdefault(r.person_id, []).append(
                engine.Record(day=r.day, hours=r.hours, level=r.level, purpose=r.purpose)
            )
        summed = selectors._tallies(city, ids, on, requirements)
        expected = {
            pk: reduced(engine.tally(rows, on), on)
            for pk, rows in full.items()
            if any(r.day <= on for r in rows)
        }
        assert summed == expected, on
        compared += len(summed)
    assert compared > 100
    assert selectors._tallies(city, ids, JUNE, requirements)[tenths.pk] == engine.Tally(
        Decimal("0.1"), {2025: Decimal("20.0")}, {"company": JUNE, "team": JUNE}
    )


@settings(max_examples=300, deadline=None)
@given(
    **PERSON,
    on=st.dates(dt.date(2023, 1, 1), dt.date(2026, 12, 31)),
)
def test_a_tally_of_the_years_and_levels_the_rules_read_judges_as_the_whole(
    role, sectors, started, changes, records, certificates, on
):
    requirements = req.requirements()
    person = engine.Person(role, sectors, started, ("welding-fusion",), tuple(changes))
    asked = engine.plan(requirements, role, sectors)
    held = engine.holdings(certificates)
    whole = engine.tally(records, on)
    assert engine.assess(requirements, asked, person, reduced(whole, on), held, on) == engine.check(
        requirements, person, records, certificates, on
    )
