"""The demo city: a deterministic synthetic city for trying Redline and for benchmarks.

`build(seed=..., scale=...)` creates regions with GeoJSON boundaries, government
bodies with sector mandates and contacts, one chemical park, enterprises of every
sector and key places with valid credit codes and their people, and one demo user
per role and level. The same seed and scale give the same city.
Later modules add their own steps (risks, hazards, inspections, cases).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Model

from redline.accounts.models import User
from redline.core import bulk
from redline.core.models import ChangeLog
from redline.engines.credit_code import compose
from redline.organisations.access import ROLES
from redline.organisations.models import (
    ChemicalPark,
    Enterprise,
    EnterpriseSector,
    Organisation,
    Person,
    Region,
    SectorMandate,
)
from redline.organisations.vocab import (
    DepartmentType,
    OrganisationKind,
    PersonRole,
    RegionLevel,
    Sector,
    UnitKind,
    UnitStatus,
)

DEMO_PASSWORD = "redline-demo"
BULK_CHUNK = 50_000  # rows written between two updates of a step's progress line


@dataclass(frozen=True)
class Scale:
    districts: int
    subdistricts: int  # per district
    enterprises: int
    key_places: int
    district_departments: bool


SCALES = {
    "small": Scale(
        districts=3, subdistricts=3, enterprises=60, key_places=18, district_departments=True
    ),
    "city": Scale(
        districts=10, subdistricts=8, enterprises=5000, key_places=600, district_departments=True
    ),
    "province": Scale(
        districts=100,
        subdistricts=10,
        enterprises=200_000,
        key_places=12_000,
        district_departments=True,
    ),
}

CITY = ("临江市", "Linjiang", "990000")
DISTRICT_NAMES = [
    ("江北区", "Jiangbei"),
    ("滨海区", "Binhai"),
    ("城东区", "Chengdong"),
    ("城西区", "Chengxi"),
    ("高新区", "Gaoxin"),
    ("临港区", "Lingang"),
    ("青山区", "Qingshan"),
    ("白沙县", "Baisha"),
    ("桃源县", "Taoyuan"),
    ("南湖区", "Nanhu"),
    ("北塘区", "Beitang"),
    ("石门县", "Shimen"),
]
NAME_SYLLABLES = [
    ("东", "Dong"),
    ("西", "Xi"),
    ("南", "Nan"),
    ("北", "Bei"),
    ("新", "Xin"),
    ("安", "An"),
    ("平", "Ping"),
    ("清", "Qing"),
    ("长", "Chang"),
    ("永", "Yong"),
    ("兴", "Xing"),
    ("和", "He"),
    ("宁", "Ning"),
    ("丰", "Feng"),
    ("阳", "Yang"),
    ("林", "Lin"),
    ("石", "Shi"),
    ("湖", "Hu"),
    ("河", "He"),
    ("山", "Shan"),
    ("桥", "Qiao"),
    ("泉", "Quan"),
    ("华", "Hua"),
    ("明", "Ming"),
]
SUBDISTRICT_NAMES = [
    ("城关", "Chengguan"),
    ("新华", "Xinhua"),
    ("解放", "Jiefang"),
    ("人民", "Renmin"),
    ("建设", "Jianshe"),
    ("和平", "Heping"),
    ("光明", "Guangming"),
    ("东风", "Dongfeng"),
    ("胜利", "Shengli"),
    ("友谊", "Youyi"),
    ("朝阳", "Chaoyang"),
    ("向阳", "Xiangyang"),
    ("红星", "Hongxing"),
    ("长江", "Changjiang"),
    ("金山", "Jinshan"),
    ("银湖", "Yinhu"),
    ("翠屏", "Cuiping"),
    ("青龙", "Qinglong"),
    ("白鹤", "Baihe"),
    ("凤凰", "Fenghuang"),
    ("龙泉", "Longquan"),
    ("梅园", "Meiyuan"),
    ("兰亭", "Lanting"),
    ("竹林", "Zhulin"),
    ("松山", "Songshan"),
    ("柳岸", "Liu'an"),
    ("桃花", "Taohua"),
    ("杏林", "Xinglin"),
    ("荷塘", "Hetang"),
    ("望江", "Wangjiang"),
    ("临湖", "Linhu"),
    ("三里", "Sanli"),
]
SUBDISTRICT_SUFFIX = [("街道", "Subdistrict"), ("镇", "Town")]
BRANDS = list("宏达恒信华泰鑫源瑞丰金盛永安联创天成中正凯旋嘉禾富民通达海川远航昌隆兴业光明东方")
SECTOR_WORDS: dict[str, list[str]] = {
    Sector.HAZARDOUS_CHEMICALS: ["化工", "精细化工", "石化", "化学品储运", "涂料", "气体"],
    Sector.FIRE_KEY_UNITS: ["购物广场", "大酒店", "商贸城", "影城", "综合市场", "娱乐城"],
    Sector.CONSTRUCTION: ["建设工程", "建筑工程", "路桥建设", "市政工程"],
    Sector.URBAN_GAS: ["燃气", "天然气", "液化气"],
    Sector.ROAD_TRANSPORT: ["运输", "物流", "客运", "危货运输"],
    Sector.INDUSTRY_TRADE: ["机械制造", "纺织", "食品", "金属制品", "家具", "木业"],
    Sector.OTHER: ["物业服务", "仓储", "印务"],
}
SECTOR_WEIGHTS = {
    Sector.HAZARDOUS_CHEMICALS: 10,
    Sector.FIRE_KEY_UNITS: 20,
    Sector.CONSTRUCTION: 14,
    Sector.URBAN_GAS: 4,
    Sector.ROAD_TRANSPORT: 12,
    Sector.INDUSTRY_TRADE: 32,
    Sector.OTHER: 8,
}
FORMS = ["有限公司", "股份有限公司", "有限责任公司"]
KEY_PLACE_WORDS: dict[str, tuple[str, str]] = {
    UnitKind.NURSING_HOME: ("养老院", "52"),
    UnitKind.SCHOOL: ("中学", "12"),
    UnitKind.KINDERGARTEN: ("幼儿园", "52"),
    UnitKind.WELFARE: ("社会福利院", "12"),
    UnitKind.HOSPITAL: ("人民医院", "12"),
    UnitKind.FEVER_CLINIC: ("医院发热门诊", "12"),
    UnitKind.PRISON: ("看守所", "11"),
    UnitKind.LARGE_WORKPLACE: ("电子制造有限公司", "91"),
}
SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
)
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国红梅海波鹏辉宇欣怡浩然子轩")
POSTS = [
    "储罐区操作工",
    "装卸工",
    "电工",
    "焊工",
    "叉车司机",
    "锅炉工",
    "消防控制室值班员",
    "危化品仓管员",
    "班组长",
]
DEPARTMENT_NAMES = {
    DepartmentType.EMERGENCY: ("应急管理局", "Emergency Management Bureau"),
    DepartmentType.HOUSING: ("住房和城乡建设局", "Housing and Urban-Rural Development Bureau"),
    DepartmentType.FIRE: ("消防救援支队", "Fire and Rescue Detachment"),
    DepartmentType.TRANSPORT: ("交通运输局", "Transport Bureau"),
    DepartmentType.GAS: ("城市管理局（燃气）", "Urban Management Bureau (Gas)"),
    DepartmentType.MARKET: ("市场监督管理局", "Market Regulation Bureau"),
    DepartmentType.HEALTH: ("卫生健康委员会", "Health Commission"),
    DepartmentType.EDUCATION: ("教育局", "Education Bureau"),
    DepartmentType.CIVIL_AFFAIRS: ("民政局", "Civil Affairs Bureau"),
}
# "Whoever manages an industry manages its safety": what each department supervises.
MANDATES: dict[str, list[tuple[str, str]]] = {
    DepartmentType.EMERGENCY: [
        ("sector", Sector.HAZARDOUS_CHEMICALS),
        ("sector", Sector.INDUSTRY_TRADE),
    ],
    DepartmentType.HOUSING: [("sector", Sector.CONSTRUCTION)],
    DepartmentType.FIRE: [("sector", Sector.FIRE_KEY_UNITS)],
    DepartmentType.TRANSPORT: [("sector", Sector.ROAD_TRANSPORT)],
    DepartmentType.GAS: [("sector", Sector.URBAN_GAS)],
    DepartmentType.MARKET: [("sector", Sector.OTHER)],
    DepartmentType.HEALTH: [("kind", UnitKind.HOSPITAL), ("kind", UnitKind.FEVER_CLINIC)],
    DepartmentType.EDUCATION: [("kind", UnitKind.SCHOOL), ("kind", UnitKind.KINDERGARTEN)],
    DepartmentType.CIVIL_AFFAIRS: [("kind", UnitKind.NURSING_HOME), ("kind", UnitKind.WELFARE)],
}
BBOX = (119.80, 29.90, 121.40, 31.00)  # lon/lat box of the fictional city


@dataclass
class DemoLogin:
    username: str
    password: str
    organisation: str
    level: str
    roles: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "password": self.password,
            "organisation": self.organisation,
            "level": self.level,
            "roles": self.roles,
        }


Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]  # south-west, south-east, north-east, north-west


def _lerp_quad(quad: Quad, u: float, v: float) -> Point:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = quad
    x = (1 - u) * (1 - v) * x0 + u * (1 - v) * x1 + u * v * x2 + (1 - u) * v * x3
    y = (1 - u) * (1 - v) * y0 + u * (1 - v) * y1 + u * v * y2 + (1 - u) * v * y3
    return (round(x, 5), round(y, 5))


def _tile(quad: Quad, n: int, rng: random.Random) -> list[Quad]:
    """Split a quadrilateral into n cells of a jittered grid; neighbours share edges."""
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    grid: dict[tuple[int, int], Point] = {}
    for i in range(cols + 1):
        for j in range(rows + 1):
            interior = 0 < i < cols and 0 < j < rows
            du = rng.uniform(-0.18, 0.18) / cols if interior else 0.0
            dv = rng.uniform(-0.18, 0.18) / rows if interior else 0.0
            grid[i, j] = _lerp_quad(quad, i / cols + du, j / rows + dv)
    cells = []
    for k in range(n):
        i, j = k % cols, k // cols
        cells.append((grid[i, j], grid[i + 1, j], grid[i + 1, j + 1], grid[i, j + 1]))
    return cells


def _polygon(quad: Quad) -> dict[str, Any]:
    ring = [list(p) for p in (*quad, quad[0])]
    return {"type": "Polygon", "coordinates": [ring]}


class Builder:
    def __init__(
        self,
        *,
        seed: int,
        scale: str,
        progress: Callable[[str], None],
        update: Callable[[str], None] | None = None,
    ):
        self.rng = random.Random(seed)
        self.seed = seed
        self.scale_name = scale
        self.scale = SCALES[scale]
        self.progress = progress  # a step's line when it is done
        self.update = update  # the line of the step under way, rewritten in place
        self.quads: dict[int, Quad] = {}
        self.logins: list[DemoLogin] = []
        # A salt from the seed: the same seed gives the same rows, password hashes included
        # (the demo password is public anyway).
        self.password_hash = make_password(DEMO_PASSWORD, salt=f"redlinedemo{seed}")
        self.credit_serial = 0
        # The sector each enterprise's trade belongs to (credit code -> sector): a unit's
        # sectors are stored in vocabulary order, so the first is not always its trade's.
        self.primary_sectors: dict[str, str] = {}

    # -- writing ------------------------------------------------------------------
    def bar(self, label: str, done: int, total: int | None = None) -> None:
        """Where the step under way stands (`label: done / total`), shown in place."""
        if self.update is not None:
            self.update(f"{label}: {done:,}" + (f" / {total:,}" if total is not None else ""))

    def insert_values(self, model: type[Model], rows: Sequence[dict[str, Any]], label: str) -> int:
        """Rows given as dicts of attribute names (`bulk.insert_values`), chunk by chunk
        with the step's progress; each dict gets its "id"."""
        total = len(rows)
        for start in range(0, total, BULK_CHUNK):
            bulk.insert_values(model, rows[start : start + BULK_CHUNK])
            self.bar(label, min(start + BULK_CHUNK, total), total)
        return total

    def insert(self, rows: Sequence[Model], label: str = "") -> int:
        """Write rows of one model in bulk (`redline.core.bulk`), chunk by chunk with the
        step's progress; their ids are set."""
        total = len(rows)
        for start in range(0, total, BULK_CHUNK):
            bulk.insert(rows[start : start + BULK_CHUNK])
            name = label or str(type(rows[0])._meta.verbose_name_plural)
            self.bar(name, min(start + BULK_CHUNK, total), total)
        return total

    # -- names ------------------------------------------------------------------
    def person_name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(
            self.rng.choices(GIVEN, k=self.rng.choice((1, 2)))
        )

    def phone(self) -> str:
        return "1" + self.rng.choice("3589") + "".join(self.rng.choices("0123456789", k=9))

    def address(self, sub: Region) -> str:
        road = self.rng.choice(NAME_SYLLABLES)[0] + self.rng.choice(("路", "街", "大道"))
        return f"{sub.name}{road}{self.rng.randint(1, 999)}号"

    def credit_code(self, division: str, prefix: str = "91") -> str:
        self.credit_serial += 1
        body = f"MA{self.credit_serial:06d}"
        return compose(prefix[0], prefix[1], division[:6], body)

    def primary_sector(self, unit: Enterprise) -> str:
        """The sector of the unit's trade (what its name says it does); for a key place, or a
        unit this builder did not make, its first sector."""
        recorded = self.primary_sectors.get(unit.credit_code)
        if recorded:
            return recorded
        return unit.sector_list[0] if unit.sector_list else Sector.OTHER

    # -- steps ------------------------------------------------------------------
    def regions(self) -> tuple[Region, list[Region], list[Region]]:
        name, name_en, code = CITY
        city_quad: Quad = (
            (BBOX[0], BBOX[1]),
            (BBOX[2], BBOX[1]),
            (BBOX[2], BBOX[3]),
            (BBOX[0], BBOX[3]),
        )
        city = Region.objects.create(
            code=code,
            name=name,
            name_en=name_en,
            level=RegionLevel.CITY,
            population=0,
            boundary=_polygon(city_quad),
        )
        districts: list[Region] = []
        subdistricts: list[Region] = []
        district_quads = _tile(city_quad, self.scale.districts, self.rng)
        total_population = 0
        for index, quad in enumerate(district_quads):
            if index < len(DISTRICT_NAMES):
                d_name, d_en = DISTRICT_NAMES[index]
            else:
                a, b = NAME_SYLLABLES[index % 24], NAME_SYLLABLES[(index // 24 + index) % 24]
                d_name, d_en = f"{a[0]}{b[0]}区", f"{a[1]}{b[1].lower()}"
            district = Region.objects.create(
                code=f"99{index + 1:04d}",
                name=d_name,
                name_en=f"{d_en} District",
                level=RegionLevel.DISTRICT,
                parent=city,
                boundary=_polygon(quad),
                population=0,
            )
            districts.append(district)
            district_population = 0
            names = self.rng.sample(SUBDISTRICT_NAMES, self.scale.subdistricts)
            for s_index, s_quad in enumerate(_tile(quad, self.scale.subdistricts, self.rng)):
                place, place_en = names[s_index]
                suffix = SUBDISTRICT_SUFFIX[s_index % 2]
                population = self.rng.randint(20_000, 120_000)
                district_population += population
                sub = Region.objects.create(
                    code=f"{district.code}{s_index + 1:03d}",
                    name=f"{place}{suffix[0]}",
                    name_en=f"{place_en} {suffix[1]}",
                    level=RegionLevel.SUBDISTRICT,
                    parent=district,
                    boundary=_polygon(s_quad),
                    population=population,
                )
                self.quads[sub.pk] = s_quad
                subdistricts.append(sub)
            Region.objects.filter(pk=district.pk).update(population=district_population)
            total_population += district_population
        Region.objects.filter(pk=city.pk).update(population=total_population)
        self.progress(
            f"regions: 1 city, {len(districts)} districts, {len(subdistricts)} subdistricts"
        )
        return city, districts, subdistricts

    def contact(self, org: Organisation, title: str) -> Person:
        return Person(
            name=self.person_name(),
            role=PersonRole.GOVERNMENT_CONTACT,
            post=title,
            phone=self.phone(),
            organisation=org,
        )

    def government(
        self, city: Region, districts: list[Region], subdistricts: list[Region]
    ) -> dict[str, Any]:
        contacts: list[Person] = []
        city_gov = Organisation.objects.create(
            name=f"{city.name}人民政府",
            name_en=f"{city.name_en} Municipal Government",
            kind=OrganisationKind.GOVERNMENT,
            region=city,
        )
        office = Organisation.objects.create(
            name=f"{city.name}安全生产委员会办公室",
            name_en=f"{city.name_en} Safety Committee Office",
            kind=OrganisationKind.COMMITTEE_OFFICE,
            region=city,
        )
        cdc = Organisation.objects.create(
            name=f"{city.name}疾病预防控制中心",
            name_en=f"{city.name_en} CDC",
            kind=OrganisationKind.PUBLIC_HEALTH,
            region=city,
        )
        contacts += [
            self.contact(city_gov, "分管副市长"),
            self.contact(office, "办公室主任"),
            self.contact(cdc, "主任"),
        ]
        city_departments = self._departments(city, contacts)
        district_govs, district_departments, district_cdcs = {}, {}, {}
        for district in districts:
            gov = Organisation.objects.create(
                name=f"{city.name}{district.name}人民政府",
                name_en=f"{district.name_en} Government",
                kind=OrganisationKind.GOVERNMENT,
                region=district,
            )
            contacts.append(self.contact(gov, "分管副区长"))
            district_govs[district.pk] = gov
            district_cdcs[district.pk] = Organisation.objects.create(
                name=f"{district.name}疾病预防控制中心",
                name_en=f"{district.name_en} CDC",
                kind=OrganisationKind.PUBLIC_HEALTH,
                region=district,
            )
            if self.scale.district_departments:
                district_departments[district.pk] = self._departments(district, contacts)
        sub_govs = {}
        for sub in subdistricts:
            gov = Organisation.objects.create(
                name=f"{sub.name}办事处" if sub.name.endswith("街道") else f"{sub.name}人民政府",
                name_en=f"{sub.name_en} Office",
                kind=OrganisationKind.GOVERNMENT,
                region=sub,
            )
            contacts.append(self.contact(gov, "安全生产分管负责人"))
            sub_govs[sub.pk] = gov
        Person.objects.bulk_create(contacts, batch_size=2000)
        self.progress(
            f"government bodies: {Organisation.objects.count()}, contacts: {len(contacts)}"
        )
        return {
            "city": city_gov,
            "office": office,
            "cdc": cdc,
            "city_departments": city_departments,
            "district_govs": district_govs,
            "district_departments": district_departments,
            "district_cdcs": district_cdcs,
            "sub_govs": sub_govs,
        }

    def _departments(self, region: Region, contacts: list[Person]) -> dict[str, Organisation]:
        made: dict[str, Organisation] = {}
        mandates = []
        for dtype, (zh, en) in DEPARTMENT_NAMES.items():
            name = f"{region.name}{zh}"
            org = Organisation.objects.create(
                name=name,
                name_en=f"{region.name_en} {en}",
                kind=OrganisationKind.DEPARTMENT,
                department_type=dtype,
                region=region,
            )
            contacts.append(self.contact(org, "监管科科长"))
            for what, code in MANDATES[dtype]:
                mandates.append(
                    SectorMandate(
                        department=org,
                        region=region,
                        sector=code if what == "sector" else "",
                        unit_kind=code if what == "kind" else "",
                    )
                )
            made[dtype] = org
        SectorMandate.objects.bulk_create(mandates)
        return made

    def park(self, districts: list[Region], subdistricts: list[Region]) -> ChemicalPark:
        """The park covers one subdistrict of the second district."""
        district = districts[min(1, len(districts) - 1)]
        host = next(s for s in subdistricts if s.parent_id == district.pk)
        return ChemicalPark.objects.create(
            name=f"{CITY[0]}化学工业园区",
            name_en=f"{CITY[1]} Chemical Industry Park",
            region=host,
            boundary=host.boundary,
        )

    def units(self, subdistricts: list[Region], park: ChemicalPark) -> list[Enterprise]:
        rng = self.rng
        # Each sector's share of the enterprises is exact (largest remainder), then shuffled:
        # even the small city has every sector in proportion.
        weight_total = sum(SECTOR_WEIGHTS.values())
        shares = {s: self.scale.enterprises * w / weight_total for s, w in SECTOR_WEIGHTS.items()}
        counts = {s: int(v) for s, v in shares.items()}
        for s in sorted(shares, key=lambda s: counts[s] - shares[s])[
            : self.scale.enterprises - sum(counts.values())
        ]:
            counts[s] += 1
        plan = [s for s, n in counts.items() for _ in range(n)]
        rng.shuffle(plan)
        park_sub = next(s for s in subdistricts if s.pk == park.region_id)
        total = self.scale.enterprises + self.scale.key_places
        created: list[Enterprise] = []
        batch: list[Enterprise] = []
        people: list[dict[str, Any]] = []  # `bulk.insert_values` rows, as the logs'
        logs: list[dict[str, Any]] = []

        def flush() -> None:
            bulk.reserve_ids(batch)
            self.insert(batch, "units")
            self.insert(
                [
                    EnterpriseSector(enterprise_id=unit.pk, sector=sector)
                    for unit in batch
                    for sector in sorted(unit.sector_list)
                ],
                "sectors of units",
            )
            for person in people:
                person["enterprise_id"] = person.pop("unit").pk
            self.insert_values(Person, people, "people")
            for unit in batch:
                logs.append(
                    {
                        "actor_id": None,
                        "actor_name": "demo",
                        "client": "cli",
                        "action": "create",
                        "model": Enterprise._meta.label,
                        "object_id": str(unit.pk),
                        "object_repr": unit.name[:300],
                        "enterprise_id": unit.pk,
                        "before": None,
                        "after": {
                            "name": unit.name,
                            "credit_code": unit.credit_code,
                            "sectors": unit.sectors,
                        },
                        "comment": "demo data",
                    }
                )
            self.insert_values(ChangeLog, logs, "change log")
            created.extend(batch)
            batch.clear()
            people.clear()
            logs.clear()

        for index in range(total):
            sub = subdistricts[rng.randrange(len(subdistricts))]
            is_enterprise = index < self.scale.enterprises
            primary = plan[index] if is_enterprise else Sector.OTHER
            in_park = primary == Sector.HAZARDOUS_CHEMICALS and rng.random() < 0.5
            if in_park:
                sub = park_sub  # chemical enterprises cluster in the park
            quad = self.quads[sub.pk]
            lon, lat = _lerp_quad(quad, rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9))
            division = sub.code[:6]
            if is_enterprise:
                chosen = {primary}
                if rng.random() < 0.15:
                    chosen.add(
                        Sector.FIRE_KEY_UNITS
                        if primary != Sector.FIRE_KEY_UNITS
                        else Sector.INDUSTRY_TRADE
                    )
                brand = "".join(rng.sample(BRANDS, 2))
                place = sub.parent.name[:2] if sub.parent else ""
                trade = rng.choice(SECTOR_WORDS[primary])
                name = f"{place}{brand}{trade}{rng.choice(FORMS)}"
                kind: str = UnitKind.ENTERPRISE
                code = self.credit_code(division, "91")
                self.primary_sectors[code] = primary
                headcount = int(rng.lognormvariate(3.6, 1.0)) + 3
            else:
                kinds = UnitKind.key_places()
                kind = kinds[(index - self.scale.enterprises) % len(kinds)]
                word, prefix = KEY_PLACE_WORDS[kind]
                place = sub.name.removesuffix("街道").removesuffix("镇")
                number = f"第{index % 9 + 1}" if kind == UnitKind.SCHOOL else ""
                name = f"{place}{number}{word}"
                chosen = (
                    {Sector.FIRE_KEY_UNITS}
                    if kind in (UnitKind.HOSPITAL, UnitKind.LARGE_WORKPLACE)
                    else {Sector.OTHER}
                )
                code = self.credit_code(division, prefix)
                headcount = rng.randint(20, 2000)
            unit = Enterprise(
                name=name,
                credit_code=code,
                kind=kind,
                region=sub,
                chemical_park=park if in_park else None,
                address=self.address(sub),
                latitude=Decimal(f"{lat:.6f}"),
                longitude=Decimal(f"{lon:.6f}"),
                headcount=headcount,
                status=rng.choices(UnitStatus.values, (90, 7, 3))[0],
            )
            unit.sector_list = list(chosen)
            batch.append(unit)
            people.append(
                {
                    "name": self.person_name(),
                    "role": PersonRole.MAIN_RESPONSIBLE,
                    "post": "法定代表人",
                    "phone": self.phone(),
                    "unit": unit,
                }
            )
            people.append(
                {
                    "name": self.person_name(),
                    "role": PersonRole.SAFETY_MANAGER,
                    "post": "安全管理部负责人",
                    "phone": self.phone(),
                    "unit": unit,
                }
            )
            for _ in range(rng.randint(1, 2)):
                people.append(
                    {
                        "name": self.person_name(),
                        "role": PersonRole.POST_HOLDER,
                        "post": rng.choice(POSTS),
                        "phone": self.phone(),
                        "unit": unit,
                    }
                )
            if len(batch) >= 20_000:
                flush()
                self.bar("units", len(created), total)
        if batch:
            flush()
        scale = self.scale
        self.progress(
            f"units: {len(created):,} (enterprises {scale.enterprises:,}, "
            f"key places {scale.key_places:,})"
        )
        return created

    def users(
        self,
        bodies: dict[str, Any],
        districts: list[Region],
        subdistricts: list[Region],
        units: list[Enterprise],
    ) -> None:
        # The demo enterprise: the first hazardous-chemicals enterprise of the city (in
        # district order). The subdistrict and district users are those of its place, so
        # they, the emergency-management users and the city all see it.
        order = {r.pk: i for i, r in enumerate(subdistricts)}
        hazchem = sorted(
            (
                u
                for u in units
                if u.kind == UnitKind.ENTERPRISE and Sector.HAZARDOUS_CHEMICALS in u.sector_list
            ),
            key=lambda u: (order[u.region_id], u.pk),
        )
        unit = hazchem[0]
        first_sub = next(s for s in subdistricts if s.pk == unit.region_id)
        first_district = next(d for d in districts if d.pk == first_sub.parent_id)
        enterprise_org = Organisation.objects.create(
            name=unit.name, kind=OrganisationKind.ENTERPRISE, region=unit.region, enterprise=unit
        )
        levels = [
            ("city", bodies["city"]),
            ("committee", bodies["office"]),
            ("district", bodies["district_govs"][first_district.pk]),
            ("subdistrict", bodies["sub_govs"][first_sub.pk]),
            ("dept", bodies["city_departments"][DepartmentType.EMERGENCY]),
            ("housing", bodies["city_departments"][DepartmentType.HOUSING]),
            ("fire", bodies["city_departments"][DepartmentType.FIRE]),
            ("cdc", bodies["cdc"]),
            ("enterprise", enterprise_org),
        ]
        users = []
        for level, org in levels:
            for role in ROLES:
                username = f"{level}-{role}"
                users.append(
                    User(
                        username=username,
                        password=self.password_hash,
                        organisation=org,
                        roles=[role],
                        first_name=self.person_name(),
                    )
                )
                self.logins.append(DemoLogin(username, DEMO_PASSWORD, str(org), level, [role]))
        users.append(
            User(
                username="sysadmin",
                password=self.password_hash,
                is_staff=True,
                is_superuser=True,
                first_name="系统管理员",
            )
        )
        self.logins.append(DemoLogin("sysadmin", DEMO_PASSWORD, "—", "system", list(ROLES)))
        User.objects.bulk_create(users)
        self.progress(f"users: {len(users)}")


# Later modules add their part of the city (risk inventories, hazards, cases, ...):
# each step gets the builder (its seeded random generator, scale and progress) and the units.
STEPS: list[Callable[[Builder, list[Enterprise]], None]] = []


def register_step(step: Callable[[Builder, list[Enterprise]], None]) -> None:
    if step not in STEPS:
        STEPS.append(step)


def build_city(
    *,
    seed: int = 1,
    scale: str = "small",
    progress: Callable[[str], None] = print,
    update: Callable[[str], None] | None = None,
    steps: Sequence[Callable[[Builder, list[Enterprise]], None]] | None = None,
) -> Builder:
    """The city (regions, government, park, units, users), then the modules' steps: all of
    them (`STEPS`), or those given (tests build one module's part alone)."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    builder = Builder(seed=seed, scale=scale, progress=progress, update=update)
    with transaction.atomic():
        city, districts, subdistricts = builder.regions()
        bodies = builder.government(city, districts, subdistricts)
        park = builder.park(districts, subdistricts)
        units = builder.units(subdistricts, park)
        builder.users(bodies, districts, subdistricts, units)
        for step in STEPS if steps is None else steps:
            step(builder, units)
    return builder


def build(
    *,
    seed: int = 1,
    scale: str = "small",
    progress: Callable[[str], None] = print,
    update: Callable[[str], None] | None = None,
) -> list[DemoLogin]:
    return build_city(seed=seed, scale=scale, progress=progress, update=update).logins
