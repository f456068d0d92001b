"""A small, fully known city for access tests: every unit's place, sectors and kind are
known here, so the expected visibility is computed from this description, not from the
code under test."""

from __future__ import annotations

from dataclasses import dataclass, field

from redline.accounts.models import User
from redline.engines.credit_code import compose
from redline.organisations.access import ROLES
from redline.organisations.models import (
    Enterprise,
    Organisation,
    Person,
    Region,
    SectorMandate,
)

PASSWORD = "pw-for-tests-only"

# (subdistrict, sectors, kind) for each unit; names are "U-<sub>-<tag>".
UNIT_SHAPES = [
    ("hazchem", ["hazchem"], "enterprise"),
    ("fire", ["fire"], "enterprise"),
    ("build", ["construction"], "enterprise"),
    ("mixed", ["industry", "fire"], "enterprise"),
    ("school", ["other"], "school"),
    ("nursing", ["other"], "nursing_home"),
]
SUBDISTRICTS = {"S11": "D1", "S12": "D1", "S21": "D2", "S22": "D2"}


@dataclass
class UnitInfo:
    pk: int
    name: str
    sub: str
    district: str
    sectors: list[str]
    kind: str


@dataclass
class OrgInfo:
    key: str
    pk: int
    # the rule the test applies to decide visibility (independent of the code)
    rule: str
    arg: object = None


@dataclass
class World:
    units: list[UnitInfo] = field(default_factory=list)
    orgs: dict[str, OrgInfo] = field(default_factory=dict)
    regions: dict[str, int] = field(default_factory=dict)

    def visible(self, org_key: str) -> set[int]:
        org = self.orgs[org_key]
        out = set()
        for u in self.units:
            if org.rule == "all":
                ok = True
            elif org.rule == "district":
                ok = u.district == org.arg
            elif org.rule == "subdistrict":
                ok = u.sub == org.arg
            elif org.rule == "sectors":
                ok = bool(set(u.sectors) & set(org.arg[0])) and (
                    org.arg[1] is None or u.district == org.arg[1]
                )
            elif org.rule == "kinds":
                ok = u.kind in org.arg
            elif org.rule == "key_places_in":
                ok = u.kind != "enterprise" and u.district == org.arg
            elif org.rule == "self":
                ok = u.pk == org.arg
            else:
                raise AssertionError(org.rule)
            if ok:
                out.add(u.pk)
        return out

    def username(self, org_key: str, role: str) -> str:
        return f"{org_key}-{role}"


def build_world() -> World:
    world = World()
    city = Region.objects.create(code="100000", name="测试市", name_en="Testcity", level="city")
    world.regions["C"] = city.pk
    subs: dict[str, Region] = {}
    for d_index, d in enumerate(("D1", "D2"), start=1):
        district = Region.objects.create(
            code=f"10{d_index:02d}00", name=f"区{d}", name_en=d, level="district", parent=city
        )
        world.regions[d] = district.pk
        for s, parent in SUBDISTRICTS.items():
            if parent == d:
                subs[s] = Region.objects.create(
                    code=f"10{d_index:02d}00{s[-1]}",
                    name=f"街道{s}",
                    level="subdistrict",
                    parent=district,
                )
                world.regions[s] = subs[s].pk
    serial = 0
    for s, region in subs.items():
        for tag, sectors, kind in UNIT_SHAPES:
            serial += 1
            unit = Enterprise(
                name=f"U-{s}-{tag}",
                credit_code=compose("9", "1", region.code[:6], f"TW{serial:06d}"),
                kind=kind,
                region=region,
            )
            unit.sector_list = sectors
            unit.save()
            Person.objects.create(
                name=f"主要负责人{serial}", role="main_responsible", enterprise=unit
            )
            world.units.append(UnitInfo(unit.pk, unit.name, s, SUBDISTRICTS[s], sectors, kind))

    def org(key: str, rule: str, arg: object = None, **fields: object) -> Organisation:
        made = Organisation.objects.create(**fields)
        world.orgs[key] = OrgInfo(key=key, pk=made.pk, rule=rule, arg=arg)
        return made

    district = {d: Region.objects.get(pk=world.regions[d]) for d in ("D1", "D2")}
    org("cityhall", "all", name="测试市人民政府", kind="government", region=city)
    org("office", "all", name="安委办", kind="committee_office", region=city)
    org("d1", "district", "D1", name="D1政府", kind="government", region=district["D1"])
    org("s11", "subdistrict", "S11", name="S11办事处", kind="government", region=subs["S11"])
    emergency = org(
        "emergency",
        "sectors",
        (["hazchem", "industry"], None),
        name="应急管理局",
        kind="department",
        department_type="emergency",
        region=city,
    )
    SectorMandate.objects.create(department=emergency, region=city, sector="hazchem")
    SectorMandate.objects.create(department=emergency, region=city, sector="industry")
    fire = org(
        "fire_d1",
        "sectors",
        (["fire"], "D1"),
        name="D1消防",
        kind="department",
        department_type="fire",
        region=district["D1"],
    )
    SectorMandate.objects.create(department=fire, region=district["D1"], sector="fire")
    education = org(
        "education",
        "kinds",
        ("school", "kindergarten"),
        name="教育局",
        kind="department",
        department_type="education",
        region=city,
    )
    SectorMandate.objects.create(department=education, region=city, unit_kind="school")
    SectorMandate.objects.create(department=education, region=city, unit_kind="kindergarten")
    org("cdc_d2", "key_places_in", "D2", name="D2疾控", kind="public_health", region=district["D2"])
    first = Enterprise.objects.get(name="U-S11-hazchem")
    other = Enterprise.objects.get(name="U-S21-fire")
    org(
        "ent",
        "self",
        first.pk,
        name=first.name,
        kind="enterprise",
        region=first.region,
        enterprise=first,
    )
    org(
        "ent2",
        "self",
        other.pk,
        name=other.name,
        kind="enterprise",
        region=other.region,
        enterprise=other,
    )
    Person.objects.create(
        name="应急联系人", role="gov_contact", organisation=emergency, phone="13800000000"
    )

    from django.contrib.auth.hashers import make_password

    hashed = make_password(PASSWORD)
    users = [
        User(
            username=world.username(key, role),
            password=hashed,
            organisation_id=info.pk,
            roles=[role],
        )
        for key, info in world.orgs.items()
        for role in ROLES
    ]
    User.objects.bulk_create(users)
    return world
