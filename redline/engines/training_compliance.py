"""Training compliance of one person on one day: hours, three-level education, re-training
and certificates against the requirements (no Django).

The requirements are data (`redline/training/data/requirements.json`, read into
`Requirements` by `requirements_from`); a person is what the app knows of them (`Person`:
who they are for the rules, the sectors of their unit, when they started, their post changes
and the operations they perform), with their training records and certificates. `check`
answers with `Finding`s, each naming the requirement it applies (code, status, source keys):

- lacking (the person is not compliant): `initial_hours` (fewer initial hours than the
  requirement since they started), `refresher_lapsed` (a full calendar year in post with
  fewer refresher hours than the annual requirement: the last year only), `three_level`
  (a level of three-level education missing), `retraining` (a post change or a return after
  ≥1 year away not followed by workshop and team training), `certificate_missing`,
  `certificate_expired`, `review_overdue` (a special-operation certificate past its review
  date without a review);
- warnings (compliant, but someone should act): `refresher_due` (this year's hours not yet
  reached), `certificate_expiring` (within the reminder window), `retraining_local` (an
  absence a stricter local rule counts: unconfirmed).

Boundaries: a requirement is met at exactly its hours; a certificate is valid on its
`valid_until` day and expired the day after; a review is overdue the day after its due
date; a certificate expiring `reminder_days` days from now is expiring.

`check` is `assess` of three parts a caller checking many people can make cheaply: the `plan`
of the person's role and sectors (the same for everyone alike: made once), the `Tally` of
their records (initial hours, refresher hours per year, each level's last day: added to row
by row) and their `holdings` (the certificate that counts for each kind and item).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

LEADER_ROLES = frozenset({"main_responsible", "safety_manager"})
LACKING = "lacking"
WARNING = "warning"

# Which findings are about hours (training) and which about certificates.
HOURS_CODES = frozenset({"initial_hours", "refresher_lapsed", "three_level", "retraining"})
CERTIFICATE_CODES = frozenset({"certificate_missing", "certificate_expired", "review_overdue"})


@dataclass(frozen=True)
class HoursRule:
    code: str
    who: str  # "leader" | "employee"
    sector_class: str  # "general" | "high_risk" | "construction"
    initial_hours: Decimal
    annual_hours: Decimal
    status: str
    keys: tuple[str, ...]
    basis: str


@dataclass(frozen=True)
class CertificateRule:
    kind: str
    validity_years: int
    status: str
    keys: tuple[str, ...]
    basis: str
    review_years: int = 0  # 0: no review between issue and expiry
    long_service_years: int = 0
    long_service_review_years: int = 0
    renewal_window_days: int = 0
    sectors: tuple[str, ...] = ()  # whose units need it (with `roles`)
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Requirements:
    version: str
    hours: tuple[HoursRule, ...]
    high_risk_sectors: frozenset[str]
    construction_sectors: frozenset[str]
    three_level_levels: tuple[str, ...]
    three_level_sectors: frozenset[str]
    three_level_status: str
    three_level_keys: tuple[str, ...]
    retraining_levels: tuple[str, ...]
    retraining_absence_days: int
    retraining_status: str
    retraining_keys: tuple[str, ...]
    local_absence_days: int
    local_status: str
    local_keys: tuple[str, ...]
    refresher_status: str
    certificates: Mapping[str, CertificateRule]
    reminder_days: int
    operations: frozenset[str]  # every special-operation item code

    @property
    def tally_levels(self) -> tuple[str, ...]:
        """The levels whose last day the rules read (three-level education, re-training): a
        tally holding only these levels' last days judges as the whole one."""
        return tuple(dict.fromkeys(self.three_level_levels + self.retraining_levels))

    def sector_class(self, sectors: Iterable[str]) -> str:
        chosen = set(sectors)
        if chosen & self.high_risk_sectors:
            return "high_risk"
        if chosen & self.construction_sectors:
            return "construction"
        return "general"

    def hours_rule(self, who: str, sectors: Iterable[str]) -> HoursRule:
        wanted = self.sector_class(sectors)
        for rule in self.hours:
            if rule.who == who and rule.sector_class == wanted:
                return rule
        raise LookupError(f"no hours rule for {who}/{wanted}")


def requirements_from(data: Mapping[str, Any]) -> Requirements:
    """The requirements document (`requirements.json`) as `Requirements`; a missing or
    mistyped key raises KeyError/TypeError/ValueError naming it."""
    classes = data["sector_classes"]
    three, retrain = data["three_level"], data["retraining"]
    local = retrain["stricter_local"]
    certificates = {}
    for kind, rule in data["certificates"]["kinds"].items():
        certificates[kind] = CertificateRule(
            kind=kind,
            validity_years=int(rule["validity_years"]),
            status=str(rule["status"]),
            keys=tuple(rule["keys"]),
            basis=str(rule["basis"]),
            review_years=int(rule.get("review_years", 0)),
            long_service_years=int(rule.get("long_service_years", 0)),
            long_service_review_years=int(rule.get("long_service_review_years", 0)),
            renewal_window_days=int(rule.get("renewal_window_days", 0)),
            sectors=tuple(rule.get("sectors", ())),
            roles=tuple(rule.get("roles", ())),
        )
    operations = frozenset(
        item["code"]
        for category in data["special_operations"]["categories"]
        for item in category["items"]
    )
    return Requirements(
        version=str(data["version"]),
        hours=tuple(
            HoursRule(
                code=str(h["code"]),
                who=str(h["who"]),
                sector_class=str(h["sector_class"]),
                initial_hours=Decimal(str(h["initial_hours"])),
                annual_hours=Decimal(str(h["annual_hours"])),
                status=str(h["status"]),
                keys=tuple(h["keys"]),
                basis=str(h["basis"]),
            )
            for h in data["hours"]
        ),
        high_risk_sectors=frozenset(classes["high_risk"]),
        construction_sectors=frozenset(classes["construction"]),
        three_level_levels=tuple(three["levels"]),
        three_level_sectors=frozenset(three["sectors"]),
        three_level_status=str(three["status"]),
        three_level_keys=tuple(three["keys"]),
        retraining_levels=tuple(retrain["levels"]),
        retraining_absence_days=int(retrain["absence_days"]),
        retraining_status=str(retrain["status"]),
        retraining_keys=tuple(retrain["keys"]),
        local_absence_days=int(local["absence_days"]),
        local_status=str(local["status"]),
        local_keys=tuple(local["keys"]),
        refresher_status=str(data["refresher"]["status"]),
        certificates=certificates,
        reminder_days=int(data["certificates"]["reminder_days"]),
        operations=operations,
    )


@dataclass(frozen=True)
class PostChange:
    on: dt.date
    kind: str  # "change_post" | "return"
    absent_days: int = 0  # for a return: how long the person was away


@dataclass(frozen=True)
class Person:
    role: str  # main_responsible | safety_manager | post_holder
    sectors: tuple[str, ...]  # their unit's sectors
    started_on: dt.date | None  # hired or appointed; None: unknown (in post for long: the
    # refresher hours are owed, the initial hours and three-level education are not asked)
    operations: tuple[str, ...] = ()  # special-operation item codes they perform
    changes: tuple[PostChange, ...] = ()

    @property
    def who(self) -> str:
        return "leader" if self.role in LEADER_ROLES else "employee"


@dataclass(frozen=True)
class Record:
    day: dt.date
    hours: Decimal
    level: str  # company | workshop | team | other
    purpose: str  # initial | refresher | retraining | other


@dataclass(frozen=True)
class Certificate:
    kind: str
    item: str  # the special operation's item code ("" for other kinds)
    valid_until: dt.date
    review_due: dt.date | None = None  # the next review (special operations)
    revoked: bool = False


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # LACKING | WARNING
    requirement: str  # the requirement's code (an hours rule, "three-level", a kind...)
    status: str  # the requirement's status: confirmed | partial | unconfirmed
    keys: tuple[str, ...]  # source keys in the domain notes
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    findings: tuple[Finding, ...]

    @property
    def compliant(self) -> bool:
        return not any(f.severity == LACKING for f in self.findings)

    @property
    def lacks_hours(self) -> bool:
        return any(f.severity == LACKING and f.code in HOURS_CODES for f in self.findings)

    @property
    def lacks_certificate(self) -> bool:
        return any(f.severity == LACKING and f.code in CERTIFICATE_CODES for f in self.findings)


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def certificate_dates(
    rule: CertificateRule, issued_on: dt.date, reviewed_on: dt.date | None, long_service: bool
) -> tuple[dt.date, dt.date | None]:
    """A certificate's validity end (the last valid day) and next review date from its rule:
    valid `validity_years` from issue (the day before the anniversary is the last valid day);
    reviewed every `review_years` from issue or the last review (every
    `long_service_review_years` for a long-serving holder), never after expiry."""
    valid_until = add_years(issued_on, rule.validity_years) - dt.timedelta(days=1)
    years = rule.long_service_review_years if long_service else rule.review_years
    if not years:
        return valid_until, None
    review = add_years(reviewed_on or issued_on, years)
    return valid_until, (review if review < valid_until else None)


@dataclass(frozen=True)
class Plan:
    """What the requirements ask of one kind of person, whatever their records: the hours rule
    of their role and unit's sectors, whether three-level education is asked of them, and the
    certificates (kinds other than special operations) they must hold. The same for everyone
    of a role in units of the same sectors, so a caller checking many people makes it once per
    (role, sectors) (`plan`)."""

    who: str
    hours: HoursRule
    three_level: bool
    certificates: tuple[str, ...]


def plan(requirements: Requirements, role: str, sectors: Iterable[str]) -> Plan:
    chosen = frozenset(sectors)
    who = "leader" if role in LEADER_ROLES else "employee"
    return Plan(
        who=who,
        hours=requirements.hours_rule(who, chosen),
        three_level=who == "employee" and bool(chosen & requirements.three_level_sectors),
        certificates=tuple(
            kind
            for kind, rule in requirements.certificates.items()
            if kind != "special_operation" and role in rule.roles and chosen & set(rule.sectors)
        ),
    )


def required_certificates(requirements: Requirements, person: Person) -> list[tuple[str, str]]:
    """The certificates (kind, item) the person must hold."""
    asked = plan(requirements, person.role, person.sectors)
    return _required(asked, person)


def _required(asked: Plan, person: Person) -> list[tuple[str, str]]:
    return [(kind, "") for kind in asked.certificates] + [
        ("special_operation", item) for item in person.operations
    ]


ZERO = Decimal(0)


@dataclass
class Tally:
    """What the rules read of a person's training records up to the day checked: their initial
    hours, their refresher hours by calendar year and the last day they trained at each level
    (a level was trained on or after a day if and only if its last day is on or after it).
    Built record by record (`add`), so a caller reading many people's records adds each row to
    its person's tally without making a `Record` of it; or from sums a database made, of only
    the years and levels the rules read (`tally_years`, `Requirements.tally_levels`)."""

    initial: Decimal = ZERO
    refresher: dict[int, Decimal] = field(default_factory=dict)
    last_day: dict[str, dt.date] = field(default_factory=dict)

    def add(self, day: dt.date, hours: Decimal, level: str, purpose: str) -> None:
        if purpose == "initial":
            self.initial += hours
        elif purpose == "refresher":
            self.refresher[day.year] = self.refresher.get(day.year, ZERO) + hours
        last = self.last_day.get(level)
        if last is None or day > last:
            self.last_day[level] = day


def tally_years(on: dt.date) -> tuple[int, int]:
    """The calendar years whose refresher hours the rules read on day `on`: the last full year
    and this one. A tally holding only these years' refresher hours judges as the whole one,
    so a caller may sum them in the database and read one row per person."""
    return on.year - 1, on.year


def tally(records: Iterable[Record], on: dt.date) -> Tally:
    """The tally of the records dated on or before `on`."""
    out = Tally()
    for r in records:
        if r.day <= on:
            out.add(r.day, r.hours, r.level, r.purpose)
    return out


def holdings(certificates: Iterable[Certificate]) -> dict[tuple[str, str], Certificate]:
    """The certificate that counts for each (kind, item) the person holds: of those not
    revoked, the one valid the longest (of two valid as long, the one whose review is due
    later or never), whatever order they come in."""
    out: dict[tuple[str, str], Certificate] = {}
    for c in certificates:
        if c.revoked:
            continue
        key = (c.kind, c.item)
        best = out.get(key)
        if best is None or _rank(c) > _rank(best):
            out[key] = c
    return out


def _rank(c: Certificate) -> tuple[dt.date, dt.date]:
    return c.valid_until, c.review_due or dt.date.max


def check(
    requirements: Requirements,
    person: Person,
    records: Sequence[Record],
    certificates: Sequence[Certificate],
    on: dt.date,
) -> Result:
    """The person's findings on day `on` (records dated after `on` do not count)."""
    return assess(
        requirements,
        plan(requirements, person.role, person.sectors),
        person,
        tally(records, on),
        holdings(certificates),
        on,
    )


def assess(
    requirements: Requirements,
    asked: Plan,
    person: Person,
    done: Tally,
    held: Mapping[tuple[str, str], Certificate],
    on: dt.date,
) -> Result:
    """`check` from its parts: the person's plan (`plan` of their role and sectors), the tally
    of their records up to `on` (`tally`) and the certificates that count (`holdings`)."""
    findings: list[Finding] = []
    findings += _hours(requirements, asked, person, done, on)
    findings += _three_level(requirements, asked, person, done, on)
    findings += _retraining(requirements, person, done, on)
    findings += _certificates(requirements, asked, person, held, on)
    return Result(tuple(findings))


def _hours(
    requirements: Requirements, asked: Plan, person: Person, done: Tally, on: dt.date
) -> list[Finding]:
    rule = asked.hours
    out: list[Finding] = []
    # Unknown start: in post since before any year checked; the initial hours are not asked.
    started = person.started_on or dt.date.min
    if started > on:
        return out
    initial = done.initial
    if person.started_on is not None and initial < rule.initial_hours:
        out.append(
            Finding(
                "initial_hours",
                LACKING,
                rule.code,
                rule.status,
                rule.keys,
                {"required": rule.initial_hours, "done": initial},
            )
        )
    # The last full calendar year in post: its refresher hours are owed.
    last_year, this_year = tally_years(on)
    if started <= dt.date(last_year, 1, 1):
        hours = done.refresher.get(last_year, ZERO)
        if hours < rule.annual_hours:
            out.append(
                Finding(
                    "refresher_lapsed",
                    LACKING,
                    rule.code,
                    rule.status,
                    rule.keys,
                    {"required": rule.annual_hours, "done": hours, "year": last_year},
                )
            )
    if started <= dt.date(this_year, 1, 1):
        hours = done.refresher.get(this_year, ZERO)
        if hours < rule.annual_hours:
            out.append(
                Finding(
                    "refresher_due",
                    WARNING,
                    rule.code,
                    requirements.refresher_status,
                    rule.keys,
                    {"required": rule.annual_hours, "done": hours, "year": this_year},
                )
            )
    return out


def _three_level(
    requirements: Requirements, asked: Plan, person: Person, done: Tally, on: dt.date
) -> list[Finding]:
    started = person.started_on
    if not asked.three_level or started is None or started > on:
        return []
    missing = [level for level in requirements.three_level_levels if level not in done.last_day]
    if not missing:
        return []
    return [
        Finding(
            "three_level",
            LACKING,
            "three-level",
            requirements.three_level_status,
            requirements.three_level_keys,
            {"missing": missing},
        )
    ]


def _retraining(
    requirements: Requirements, person: Person, done: Tally, on: dt.date
) -> list[Finding]:
    out: list[Finding] = []
    changes = person.changes
    if len(changes) > 1:
        changes = tuple(sorted(changes, key=lambda c: c.on))
    for change in changes:
        if change.on > on:
            continue
        missing = [
            level
            for level in requirements.retraining_levels
            if done.last_day.get(level, dt.date.min) < change.on
        ]
        if not missing:
            continue
        params: dict[str, Any] = {"on": change.on, "kind": change.kind, "missing": missing}
        if change.kind == "change_post" or (
            change.kind == "return" and change.absent_days >= requirements.retraining_absence_days
        ):
            out.append(
                Finding(
                    "retraining",
                    LACKING,
                    "retraining",
                    requirements.retraining_status,
                    requirements.retraining_keys,
                    params,
                )
            )
        elif change.kind == "return" and change.absent_days >= requirements.local_absence_days:
            out.append(
                Finding(
                    "retraining_local",
                    WARNING,
                    "retraining-local",
                    requirements.local_status,
                    requirements.local_keys,
                    params,
                )
            )
    return out


def _certificates(
    requirements: Requirements,
    asked: Plan,
    person: Person,
    held: Mapping[tuple[str, str], Certificate],
    on: dt.date,
) -> list[Finding]:
    out: list[Finding] = []
    for kind, item in _required(asked, person):
        rule = requirements.certificates[kind]
        best = held.get((kind, item))
        params: dict[str, Any] = {"kind": kind, "item": item}
        if best is None:
            out.append(
                Finding("certificate_missing", LACKING, kind, rule.status, rule.keys, params)
            )
            continue
        params["valid_until"] = best.valid_until
        if best.valid_until < on:
            out.append(
                Finding("certificate_expired", LACKING, kind, rule.status, rule.keys, params)
            )
            continue
        if best.review_due is not None and best.review_due < on:
            out.append(
                Finding(
                    "review_overdue",
                    LACKING,
                    kind,
                    rule.status,
                    rule.keys,
                    params | {"review_due": best.review_due},
                )
            )
        if (best.valid_until - on).days <= requirements.reminder_days:
            out.append(
                Finding("certificate_expiring", WARNING, kind, rule.status, rule.keys, params)
            )
    return out
