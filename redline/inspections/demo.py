"""The demo city's government inspections: the shipped checklists loaded, and inspections of
the demo enterprise by the emergency department in every state (planned, on site, awaiting
the unit's answers with findings that became hidden hazards, closed, cancelled), plus closed
inspections of other units by the departments that supervise them.

Everything goes through the services, as a phone and the pages would: answers, photos and
signatures with their idempotency keys, the kernel's steps, hazards from findings.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import random
import struct
import zlib
from itertools import count
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from redline.core import bulk
from redline.core.errors import ValidationFailed
from redline.inspections import checklist, checklist_data, enforcement, services
from redline.inspections.models import ChecklistTemplate, Inspection
from redline.inspections.vocab import Compliance
from redline.organisations.access import role_allows
from redline.organisations.models import Enterprise, Organisation
from redline.organisations.vocab import DepartmentType, OrganisationKind, Sector, UnitKind

# The idempotency keys of the demo's submissions: numbered from 1 in each build
# (`build_inspections` starts again), so the same seed gives the same receipts.
_keys = [count(1)]


def checklists_load() -> list[ChecklistTemplate]:
    """Every shipped checklist version, once (a version already loaded is kept)."""
    return [
        checklist.template_load(json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(checklist_data.DATA.glob("*-v*.json"))
    ]


def scribble(seed: int, width: int = 180, height: int = 60) -> bytes:
    """A signature-like stroke as a PNG (grey on white), drawn without an imaging library."""
    rng = random.Random(seed)
    rows = [bytearray([255] * width) for _row in range(height)]
    phase, freq = rng.uniform(0, 6), rng.uniform(0.08, 0.16)
    for x in range(8, width - 8):
        y = height / 2 + 16 * math.sin(freq * x + phase) * math.sin(x / width * math.pi)
        for dy in (-1, 0, 1):
            row = int(y) + dy
            if 0 <= row < height:
                rows[row][x] = 40
    raw = b"".join(b"\x00" + bytes(row) for row in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def image(content: bytes, name: str = "photo.png") -> dict[str, str]:
    return {"name": name, "content_base64": base64.b64encode(content).decode()}


def key() -> str:
    return f"demo-{next(_keys[0])}"


# --- what a team does on site (the tests' builders use the same) ------------------------


def good_value(item: checklist_data.Item) -> Any:
    """A compliant answer to an item."""
    if item.answer == "number":
        low = item.min if item.min is not None else item.max
        return float(low) if low is not None else 0.0
    if item.answer == "text":
        return "符合要求。"
    if item.answer == "photo":
        return checklist_data.ANSWERED
    return Compliance.COMPLIANT


def answer_all(actor: Any, inspection: Inspection, *, failing: set[str]) -> None:
    """Answer every item shown, those in `failing` non-compliant, with photos where an
    answer needs one (items a non-compliant answer opens are answered in turn)."""
    shape = checklist.template_of(inspection)
    answered: dict[str, Any] = {}
    while True:
        todo = [i for i in checklist_data.visible_items(shape, answered) if i.code not in answered]
        if not todo:
            return
        for item in todo:
            value = Compliance.NON_COMPLIANT if item.code in failing else good_value(item)
            services.answer_record(
                actor=actor,
                inspection_id=inspection.pk,
                data=services.AnswerInput.of(
                    {
                        "item": item.code,
                        "value": value,
                        "answered_at": timezone.now(),
                        "key": key(),
                    }
                ),
            )
            answered[item.code] = value
            if item.answer == "photo" or (item.code in failing and item.photo_required):
                services.photo_add(
                    actor=actor,
                    inspection_id=inspection.pk,
                    item=item.code,
                    files=[image(scribble(len(answered)), "evidence.png")],
                    key=key(),
                )


def failing_items(inspection: Inspection, how_many: int) -> set[str]:
    """The first `how_many` always-shown compliance items, those citing a determination
    line first (so a finding becomes a major hazard citing it)."""
    shape = checklist.template_of(inspection)
    ranked = sorted(
        (i for i in shape.items if i.answer == "compliance" and i.show_if is None),
        key=lambda i: (not i.determination_item, shape.items.index(i)),
    )
    return {i.code for i in ranked[:how_many]}


def sign_all(team: list[Any], inspection: Inspection, representative: str) -> None:
    for n, actor in enumerate(team):
        services.signature_add(
            actor=actor,
            inspection_id=inspection.pk,
            data=services.SignatureInput.of(
                {"signer": "inspector", "name": str(actor), "key": key()}
            ),
            image=image(scribble(inspection.pk * 10 + n), "signature.png"),
        )
    services.signature_add(
        actor=team[0],
        inspection_id=inspection.pk,
        data=services.SignatureInput.of({"signer": "unit", "name": representative, "key": key()}),
        image=image(scribble(inspection.pk * 10 + 9), "signature.png"),
    )


def plan(team: list[Any], unit: Enterprise, kind: str, on: dt.date) -> Inspection:
    inspection, _created = services.inspection_plan(
        actor=team[0],
        data=services.InspectionInput.of(
            {
                "enterprise": unit.pk,
                "kind": kind,
                "planned_on": on,
                "inspectors": [str(u.pk) for u in team],
            }
        ),
    )
    return inspection


def step(actor: Any, inspection: Inspection, action: str, **data: Any) -> Inspection:
    return services.inspection_step(
        actor=actor,
        inspection_id=inspection.pk,
        action=action,
        version=inspection.version,
        data=data,
    )


def run(team: list[Any], unit: Enterprise, *, bad: int, on: dt.date, kind: str) -> Inspection:
    """An inspection taken to completion: planned, checked in, answered, signed, completed."""
    inspection = step(team[0], plan(team, unit, kind, on), "check_in", place="厂区大门")
    answer_all(team[0], inspection, failing=failing_items(inspection, bad))
    sign_all(team, inspection, "安全管理负责人")
    inspection.refresh_from_db()
    return step(team[0], inspection, "complete", summary="现场检查完毕。")


# --- an audit-style inspection with its working paper -------------------------------------

AUDIT_SEED = 20260301  # the demo paper's seed: the same demo city draws the same sample


def audit_on_site(team: list[Any], unit: Enterprise, today: dt.date) -> Inspection:
    """An audit-style inspection of the unit, its working paper drawn with a fixed seed,
    the team on site with a few sampled records checked: two verified, one a discrepancy
    (which became a finding the unit answers)."""
    from redline.inspections import services_audit

    inspection = plan(team, unit, "audit", today)
    paper = services_audit.audit_paper_draw(
        actor=team[0], inspection_id=inspection.pk, seed=AUDIT_SEED
    )
    inspection = step(team[0], inspection, "check_in", place="安全管理部资料室")
    tasks = list(paper.samples.filter(kind="task").order_by("id"))
    hazards = list(paper.samples.filter(kind="hazard").order_by("id"))
    verdicts = [
        (tasks[:1], "verified", "现场核对排查记录与台账一致。"),
        (tasks[1:2], "discrepancy", "现场未见该次排查的签字记录，台账系事后补录。"),
        (hazards[:1], "verified", "整改照片与现场一致。"),
    ]
    for sample, result, note in ((s, r, n) for chosen, r, n in verdicts for s in chosen):
        services_audit.audit_sample_mark(
            actor=team[0],
            sample_id=sample.pk,
            data=services_audit.AuditSampleInput.of({"result": result, "note": note}),
        )
    return inspection


# --- the demo step -----------------------------------------------------------------------


def _team(org: Organisation) -> list[Any]:
    """An inspector, then a manager, of the body (who may cancel)."""
    people = list(
        get_user_model().objects.filter(organisation=org, is_active=True).order_by("username")
    )
    inspector = next((u for u in people if role_allows(u, "inspect")), None)
    inspectors = [u for u in people if role_allows(u, "inspect") and not role_allows(u, "archive")]
    managers = [u for u in people if role_allows(u, "archive")]
    team = [*inspectors[:1], *managers[:1]]
    return team if len(team) == 2 else ([inspector] if inspector else [])


def build_inspections(builder: Any, units: list[Enterprise]) -> None:
    _keys[0] = count(1)
    checklists_load()
    rng = random.Random(f"inspections:{builder.seed}")
    today = timezone.localdate()
    # The demo city's own bodies (units are this build's: `units`).
    demo_org = Organisation.objects.filter(
        kind=OrganisationKind.ENTERPRISE,
        users__username="enterprise-operator",
        enterprise__in=[u.pk for u in units],
    ).first()
    if demo_org is None or demo_org.enterprise is None:
        return
    city = demo_org.enterprise.region.ancestors()[0]
    emergency = Organisation.objects.filter(
        kind=OrganisationKind.DEPARTMENT, department_type=DepartmentType.EMERGENCY, region=city
    ).first()
    if emergency is None:
        return
    team = _team(emergency)
    if len(team) < 2:
        return
    unit = demo_org.enterprise
    # The demo enterprise, in every state.
    plan(team, unit, "enforcement", today + dt.timedelta(days=7))
    on_site = step(team[0], plan(team, unit, "supervision", today), "check_in", place="罐区")
    shape = checklist.template_of(on_site)
    for item in shape.items[:6]:
        if item.answer == "compliance" and item.show_if is None:
            services.answer_record(
                actor=team[0],
                inspection_id=on_site.pk,
                data=services.AnswerInput.of(
                    {
                        "item": item.code,
                        "value": Compliance.COMPLIANT,
                        "answered_at": timezone.now(),
                        "key": key(),
                    }
                ),
            )
    found = run(team, unit, bad=2, on=today - dt.timedelta(days=3), kind="enforcement")
    first = found.findings.order_by("number").first()
    for kind, extra in (
        ("rectify", {"deadline": today + dt.timedelta(days=10)}),
        ("fine", {"amount": "30000"}),
    ):
        enforcement.enforcement_issue(
            actor=team[0],
            data=enforcement.EnforcementInput.of(
                {
                    "inspection": found.pk,
                    "finding": first.pk if first else None,
                    "kind": kind,
                    "description": "对检查发现的重大事故隐患责令限期整改。"
                    if kind == "rectify"
                    else "未按规定对重大危险源实施监测监控，处以罚款。",
                    "legal_basis": "《安全生产法》第一百零二条"
                    if kind == "rectify"
                    else "《安全生产法》第一百零一条（待核实）",
                }
                | extra
            ),
        )
    run(team, unit, bad=0, on=today - dt.timedelta(days=40), kind="joint")
    cancelled = plan(team, unit, "enforcement", today + dt.timedelta(days=14))
    step(team[1], cancelled, "cancel", comment="企业停产检修，改期检查。")
    audit_on_site(team, unit, today)
    # Other units, inspected by the departments supervising them.
    bodies = {
        Sector.HAZARDOUS_CHEMICALS: emergency,
        Sector.FIRE_KEY_UNITS: Organisation.objects.filter(
            kind=OrganisationKind.DEPARTMENT,
            department_type=DepartmentType.FIRE,
            region=city,
        ).first(),
    }
    for sector, body in bodies.items():
        crew = _team(body) if body is not None else []
        if len(crew) < 2:
            continue
        others = sorted(
            (
                u
                for u in units
                if sector in u.sector_list and u.pk != unit.pk and u.kind == UnitKind.ENTERPRISE
            ),
            key=lambda u: (u.credit_code, u.name),
        )
        how_many = min(len(others), max(3, min(60, builder.scale.enterprises // 200)))
        for other in rng.sample(others, how_many):
            on = today - dt.timedelta(days=rng.randint(5, 120))
            run(crew, other, bad=rng.choice((0, 0, 1)), on=on, kind="enforcement")
    plan_library(builder, units, city)
    builder.progress(f"inspections: {Inspection.objects.count()}")


# The sectors each kind of department is competent for (its mandate's sectors).
COMPETENCE: dict[str, list[Sector]] = {
    # Emergency management supervises production safety as a whole (综合监管): the
    # industry and trade units and those of no special sector besides hazardous chemicals.
    DepartmentType.EMERGENCY: [Sector.HAZARDOUS_CHEMICALS, Sector.INDUSTRY_TRADE, Sector.OTHER],
    DepartmentType.FIRE: [Sector.FIRE_KEY_UNITS],
    DepartmentType.HOUSING: [Sector.CONSTRUCTION],
    DepartmentType.GAS: [Sector.URBAN_GAS],
    DepartmentType.TRANSPORT: [Sector.ROAD_TRANSPORT],
}


# One inspector for this many enterprises of the department's sectors (at least two a
# department), so that the plan can staff every required inspection at any demo scale.
UNITS_PER_INSPECTOR = 40


def _staff_the_library(builder: Any, departments: Any) -> None:
    """Enough inspectors for each city department (two at least, one per
    UNITS_PER_INSPECTOR enterprises of its sectors): the plan needs competent inspectors
    with capacity for every sector it requires."""
    from redline.organisations.demo import DEMO_PASSWORD, DemoLogin
    from redline.organisations.models import in_sectors_q

    model = get_user_model()
    taken = set(model.objects.values_list("username", flat=True))
    made = []
    for body in departments.order_by("department_type"):
        people = model.objects.filter(organisation=body, is_active=True)
        have = sum(1 for u in people if role_allows(u, "inspect"))
        units = Enterprise.objects.filter(
            in_sectors_q([str(s) for s in COMPETENCE[body.department_type]]),
            kind=UnitKind.ENTERPRISE,
        ).count()
        needed = max(2, math.ceil(units / UNITS_PER_INSPECTOR))
        for n in range(1, needed - have + 1):
            username = f"{body.department_type}-inspector-{n}"
            if username in taken:
                continue
            made.append(
                model(
                    username=username,
                    password=builder.password_hash,
                    organisation=body,
                    roles=["inspector"],
                    first_name=builder.person_name(),
                )
            )
            builder.logins.append(
                DemoLogin(username, DEMO_PASSWORD, str(body), "dept", ["inspector"])
            )
    bulk.insert(made)


def plan_library(builder: Any, units: list[Enterprise], city: Any) -> None:
    """The inspector library (the city departments' inspectors, with their competences, a
    yearly capacity and a recusal) and next year's published double-random plan."""
    from redline.inspections import planning
    from redline.inspections.models import InspectorProfile

    rng = random.Random(f"plan:{builder.seed}")
    grades: dict[int | None, list[int]] = {}
    for unit in units:  # standardisation grades for the hazardous-chemicals units
        if Sector.HAZARDOUS_CHEMICALS in unit.sector_list:
            grades.setdefault(rng.choice((1, 2, 2, 3, 3, None)), []).append(unit.pk)
    for grade, ids in grades.items():  # one update per grade (and per chunk of ids)
        for start in range(0, len(ids), 10_000):
            Enterprise.objects.filter(pk__in=ids[start : start + 10_000]).update(
                standardisation_grade=grade
            )
    departments = Organisation.objects.filter(
        kind=OrganisationKind.DEPARTMENT,
        department_type__in=list(COMPETENCE),
        region=city,
    )
    _staff_the_library(builder, departments)
    profiles = []
    for body in departments.order_by("region__code", "department_type"):
        for user in get_user_model().objects.filter(organisation=body, is_active=True):
            if role_allows(user, "inspect"):
                profiles.append(
                    InspectorProfile(
                        user=user,
                        sectors=[str(c) for c in COMPETENCE[body.department_type]],
                        capacity=rng.choice((40, 60, 80)),
                    )
                )
    bulk.insert(profiles)
    if profiles:
        others = [u for u in units if u.kind == UnitKind.ENTERPRISE]
        profiles[0].recusals.add(rng.choice(others))
    planner = (
        get_user_model()
        .objects.filter(organisation__kind=OrganisationKind.GOVERNMENT, organisation__region=city)
        .filter(username__endswith="-manager")
        .first()
    )
    if planner is None:
        return
    year = timezone.localdate().year + 1
    try:
        draft = planning.plan_draft(actor=planner, year=year, seed=42)
    except ValidationFailed as error:  # a demo city the rules cannot staff: say so, go on
        builder.progress(f"inspection plan {year}: not drawn ({error})")
        return
    planning.plan_publish(actor=planner, plan_id=draft.pk, version=draft.version)
    builder.progress(f"inspection plan {year}: {len(draft.document['inspections'])} inspections")
