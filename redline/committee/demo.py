"""The demo city's Safety Committee work: this year's production-safety work conference as a
plenary meeting with the key tasks it deployed (derived from the conference report,
`../shared/docs/seed-conference.txt`: audit-style supervision, dual prevention, the special
rectification of major hidden hazards, fire, construction, hazardous chemicals and the
chemical park, digital supervision), a later liaison officers' meeting that broke the gas,
road-traffic and epidemic work down into tasks, and the tasks' history: progress reports on
cadence (by the lead departments, a cooperating department and a district government), one
completion verified by the office, one awaiting verification, and one task left unreported
past its period, flagged and escalated by the supervision sweep.

Everything goes through the services and the kernel's steps, dated in the past where the
history needs it (`now=`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from redline.committee import services
from redline.committee.deadlines import key_task_supervision_sweep
from redline.committee.models import KeyTask, Meeting
from redline.committee.vocab import Cadence, advance
from redline.inspections.demo import image, scribble
from redline.organisations.access import role_allows
from redline.organisations.demo import CITY
from redline.organisations.models import Enterprise, Organisation, Person, Region
from redline.organisations.vocab import DepartmentType, OrganisationKind, RegionLevel

E = DepartmentType

ATTENDEES = (
    "主持：市委副书记、市长\n"
    "主会场：市领导，市政府秘书长；市安委会各成员单位主要负责人\n"
    "分会场（视频）：各区人民政府、各街道（镇）主要负责人，重点企业负责人"
)
MINUTES = (
    "会议以视频形式召开，传达学习习近平总书记关于安全生产的重要论述和重要指示精神，贯彻全国、"
    "全省安全生产电视电话会议精神，总结2022年全市安全生产工作，分析当前形势和任务，研究部署下一步"
    "重点工作。\n\n"
    "会议指出，各级各部门各单位要清醒认识安全生产形势的严峻性复杂性，坚持人民至上、生命至上，强化"
    "底线思维和忧患意识，以更大的力度、更实的举措、更高的标准、更严的要求抓好安全生产各项工作，坚决"
    "守住安全生产红线。\n\n"
    "一、切实加强安全监管。聚焦体制机制、制度措施、教育培训、监督考核等关键环节，常态化开展安全生产"
    "“审计式”监督检查服务。\n"
    "二、切实加强风险防范。持续推进双重预防体系建设，深入开展安全生产重大事故隐患专项排查整治，强化"
    "消防、建筑施工、燃气、危险化学品、道路交通等领域专项整治，加快化工园区治理。\n"
    "三、切实压紧责任链条。加强安委会工作统筹，提升安全监管数字化水平，强化安全生产督导考核，形成"
    "齐抓共管的强大合力。\n\n"
    "会议还对疫情防控工作作了安排部署，要求加强疫情监测预警，做好重点场所、重点人群防控，不断提升"
    "医疗救治能力，严格落实疫情防控责任。\n\n"
    "会议部署的重点任务由市安委办分解落实、按期调度、督办问效。"
)


@dataclass
class Plan:
    """One task of the demo and what happens to it."""

    title: str
    lead: str  # department type
    cooperating: list[str]
    outcome: str
    target: str
    unit: str
    cadence: str
    description: str
    figures: list[str] = field(default_factory=list)  # the lead's figure at each report
    fate: str = "in_progress"  # in_progress, verified, completion_reported, overdue, deployed
    regions: str = ""  # "" the whole city; "park" the park's district; "first" two districts


CONFERENCE_TASKS = [
    Plan(
        "制定“审计式”监督检查工作方案并开展试点",
        E.EMERGENCY,
        [E.HOUSING, E.FIRE],
        "完成“审计式”监督检查试点的重点企业数",
        "10",
        "家",
        Cadence.QUARTERLY,
        "围绕体制机制、制度措施、教育培训、监督考核等关键环节，制定“审计式”监督检查工作方案，"
        "选取重点企业开展试点，形成可复制的检查清单和工作底稿。",
        ["4", "7", "10"],
        "verified",
    ),
    Plan(
        "深化安全生产双重预防机制建设",
        E.EMERGENCY,
        [E.MARKET, E.HOUSING],
        "重点企业安全风险分级管控和隐患排查治理双重预防机制建成率",
        "100",
        "%",
        Cadence.QUARTERLY,
        "推动重点行业领域企业全面建成双重预防机制，风险清单、管控措施和排查任务全部录入系统。",
        ["35", "62", "81"],
    ),
    Plan(
        "深入开展安全生产重大事故隐患专项排查整治",
        E.EMERGENCY,
        [E.HOUSING, E.FIRE, E.TRANSPORT, E.GAS, E.MARKET],
        "重大事故隐患整改率",
        "100",
        "%",
        Cadence.MONTHLY,
        "对照各行业重大事故隐患判定标准，组织企业全面自查、部门精准执法，重大事故隐患实行清单"
        "管理、挂牌督办、闭环销号。",
        ["40", "52", "61", "68", "74", "79", "83", "88", "91", "94"],
    ),
    Plan(
        "消防安全专项整治",
        E.FIRE,
        [E.EDUCATION, E.CIVIL_AFFAIRS, E.HEALTH],
        "人员密集场所火灾隐患整改率",
        "100",
        "%",
        Cadence.BIWEEKLY,
        "聚焦人员密集场所、高层建筑、“九小场所”等，开展火灾隐患排查整治，每半月报送整治进展。",
        ["20", "28", "35", "41", "47", "52", "58", "63", "67", "71", "74", "78", "81"],
        "overdue",
    ),
    Plan(
        "建筑施工安全专项整治",
        E.HOUSING,
        [E.EMERGENCY],
        "在建工地安全检查覆盖率",
        "100",
        "%",
        Cadence.MONTHLY,
        "对全市在建房屋市政工程开展全覆盖检查，重点整治深基坑、高支模、起重机械等危大工程隐患。",
        ["30", "55", "72", "86", "95", "100"],
        "completion_reported",
    ),
    Plan(
        "危险化学品安全专项整治和化工园区规范化管理",
        E.EMERGENCY,
        [E.FIRE, E.TRANSPORT],
        "化工园区认定复核问题整改完成项数",
        "20",
        "项",
        Cadence.QUARTERLY,
        "对化工园区开展认定复核，完善封闭化管理和安全风险智能化管控平台，推动园区外危化品企业"
        "“进区入园”。",
        ["5", "11", "16"],
        regions="park",
    ),
    Plan(
        "提升安全生产监管数字化水平",
        E.EMERGENCY,
        [E.HOUSING, E.FIRE, E.TRANSPORT, E.GAS],
        "接入安全生产监测预警系统的重点企业数",
        "200",
        "家",
        Cadence.QUARTERLY,
        "推进重大危险源、重点企业监测预警系统接入，实现风险在线监测、隐患闭环管理、执法全程留痕。",
        ["60", "118", "150"],
    ),
]

LIAISON_TASKS = [
    Plan(
        "城镇燃气安全专项整治",
        E.GAS,
        [E.MARKET, E.FIRE, E.HOUSING],
        "燃气用户安全检查户数",
        "50000",
        "户",
        Cadence.BIWEEKLY,
        "开展餐饮等非居民用户和老旧小区燃气安全检查，整治燃气管道、瓶装液化气经营使用隐患。",
        fate="deployed",
        regions="first",
    ),
    Plan(
        "道路交通安全专项整治",
        E.TRANSPORT,
        [E.EMERGENCY],
        "重点道路运输企业检查覆盖率",
        "100",
        "%",
        Cadence.MONTHLY,
        "加强“两客一危”、重型货车和农村道路交通安全监管，推动运输企业落实动态监控主体责任。",
        fate="deployed",
    ),
    Plan(
        "加强疫情监测预警和重点场所、重点人群防控",
        E.HEALTH,
        [E.EDUCATION, E.CIVIL_AFFAIRS],
        "重点场所监测哨点覆盖率",
        "100",
        "%",
        Cadence.BIWEEKLY,
        "做好学校、养老机构等重点场所和重点人群防控，完善监测预警，提升医疗救治能力。",
        fate="deployed",
    ),
]


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=_zone())


def _writer(org: Organisation | None) -> Any:
    """An operator (else any writer) of the body, if it has users."""
    if org is None:
        return None
    people = list(
        get_user_model().objects.filter(organisation=org, is_active=True).order_by("username")
    )
    operators = [u for u in people if "operator" in (u.roles or [])]
    writers = [u for u in people if role_allows(u, "report_progress")]
    chosen = operators or writers
    return chosen[0] if chosen else None


def _manager(org: Organisation) -> Any:
    people = get_user_model().objects.filter(organisation=org, is_active=True)
    return next((u for u in people.order_by("username") if role_allows(u, "manage")), None)


def _schedule(first: dt.date, cadence: str, before: dt.date) -> list[dt.date]:
    """The report-due dates of a schedule that fall before `before`."""
    dues = []
    due = first
    while due < before:
        dues.append(due)
        due = advance(due, cadence)
    return dues


def build_committee(builder: Any, units: list[Enterprise]) -> None:
    city = Region.objects.filter(code=CITY[2]).first()
    if city is None:
        return
    bodies = Organisation.objects.filter(region=city, enterprise__isnull=True)
    office = bodies.filter(kind=OrganisationKind.COMMITTEE_OFFICE).first()
    government = bodies.filter(kind=OrganisationKind.GOVERNMENT).first()
    departments = {o.department_type: o for o in bodies.filter(kind=OrganisationKind.DEPARTMENT)}
    actor = _manager(office) if office is not None else None
    if office is None or government is None or actor is None:
        return
    today = timezone.localdate()
    conference = dt.date(today.year, 2, 28)
    if (today - conference).days < 60:
        conference = today - dt.timedelta(days=60)
    year_end = max(dt.date(today.year, 12, 31), today + dt.timedelta(days=30))
    meeting = services.meeting_record(
        actor=actor,
        data=services.MeetingInput.of(
            {
                "title": f"{conference.year}年全市安全生产工作会议",
                "held_on": conference,
                "kind": "plenary",
                "body": government.pk,
                "attendees": ATTENDEES,
                "minutes": MINUTES,
            }
        ),
    )
    liaison_day = today - dt.timedelta(days=20)
    liaison = services.meeting_record(
        actor=actor,
        data=services.MeetingInput.of(
            {
                "title": "市安委会成员单位联络员会议",
                "held_on": liaison_day,
                "kind": "liaison",
                "body": office.pk,
                "attendees": "市安委办；市安委会各成员单位联络员",
                "minutes": "通报重点任务推进情况，对燃气、道路交通安全专项整治和疫情防控重点工作"
                "进行分解部署，明确牵头单位、配合单位和报送要求。",
            }
        ),
    )
    districts = list(Region.objects.filter(parent=city).order_by("code"))
    park = Enterprise.objects.filter(
        chemical_park__isnull=False, region__path__startswith=city.path
    ).select_related("chemical_park__region__parent")
    park_unit = park.order_by("pk").first()
    places = {
        "": [],
        "first": districts[:2],
        "park": [park_unit.chemical_park.region.parent]
        if park_unit is not None
        and park_unit.chemical_park is not None
        and park_unit.chemical_park.region.parent is not None
        else districts[:1],
    }
    district_gov = (
        Organisation.objects.filter(
            kind=OrganisationKind.GOVERNMENT,
            region__level=RegionLevel.DISTRICT,
            region__parent=city,
            users__isnull=False,
        )
        .distinct()
        .first()
    )
    made: list[KeyTask] = []
    for plan in CONFERENCE_TASKS:
        made.append(
            _run(
                plan, meeting, conference, year_end, today, actor, departments, places, district_gov
            )
        )
    for plan in LIAISON_TASKS:
        made.append(
            _run(plan, liaison, liaison_day, year_end, today, actor, departments, places, None)
        )
    counts = key_task_supervision_sweep(now=timezone.now())
    builder.progress(
        f"committee: {Meeting.objects.count()} meetings, {len(made)} key tasks, "
        f"supervision {counts}"
    )


def _run(
    plan: Plan,
    meeting: Meeting,
    day: dt.date,
    deadline: dt.date,
    today: dt.date,
    actor: Any,
    departments: dict[str, Organisation],
    places: dict[str, list[Region]],
    district_gov: Organisation | None,
) -> KeyTask:
    lead = departments[plan.lead]
    contact = Person.objects.filter(organisation=lead, is_archived=False).order_by("pk").first()
    if plan.fate == "overdue":
        # Reported on cadence until the period that fell due three days ago.
        missed = today - dt.timedelta(days=3)
        periods = max(1, min(len(plan.figures), (missed - day).days // 14 - 1))
        first = missed - dt.timedelta(days=14 * periods)
    elif plan.fate == "deployed":
        first = advance(today, plan.cadence)
    else:
        first = advance(day, plan.cadence)
    task = services.key_task_deploy(
        actor=actor,
        data=services.KeyTaskInput.of(
            {
                "meeting": meeting.pk,
                "title": plan.title,
                "description": plan.description,
                "lead": lead.pk,
                "lead_person": contact.pk if contact else None,
                "cooperating": [str(departments[c].pk) for c in plan.cooperating],
                "regions": [str(r.pk) for r in places[plan.regions]],
                "deadline": deadline,
                "outcome": plan.outcome,
                "target_value": plan.target,
                "unit": plan.unit,
                "cadence": plan.cadence,
                "first_report_due": first,
            }
        ),
        now=_at(day, 16),
    )
    writer = _writer(lead)
    if plan.fate == "deployed" or writer is None:
        return task
    completing = plan.fate in ("verified", "completion_reported")
    done = today - dt.timedelta(days=20 if plan.fate == "verified" else 4)
    if completing:
        dues = _schedule(first, plan.cadence, done)
    elif plan.fate == "overdue":
        dues = _schedule(first, plan.cadence, today - dt.timedelta(days=3))
    else:
        dues = _schedule(first, plan.cadence, today + dt.timedelta(days=1))
    last = len(plan.figures) - (2 if completing else 1)
    for index, due in enumerate(dues):
        figure = plan.figures[min(index, last)]
        when = _at(max(due - dt.timedelta(days=2), day + dt.timedelta(days=1)))
        photos = [image(scribble(task.pk * 100 + index), "现场照片.png")] if index == 0 else []
        services.progress_report_submit(
            actor=writer,
            task_id=task.pk,
            data=services.ProgressReportInput.of(
                {
                    "text": f"{plan.title}：本期推进情况已汇总，"
                    f"{plan.outcome}达到{figure}{plan.unit}。",
                    "figure": figure,
                }
            ),
            files=photos,
            idempotency_key=f"demo-{task.pk}-{index}",
            now=when,
        )
        if index == 1 and plan.cadence == Cadence.MONTHLY and len(plan.cooperating) > 1:
            _contributions(plan, task, departments, district_gov, when)
    if completing:
        task.refresh_from_db()
        task = services.key_task_step(
            actor=writer,
            task_id=task.pk,
            action="report_completion",
            version=task.version,
            data={
                "comment": f"{plan.title}已全部完成，"
                f"{plan.outcome}达到{plan.figures[-1]}{plan.unit}，附工作台账和现场照片。",
                "figure": plan.figures[-1],
            },
            files=[image(scribble(task.pk), "台账.png")],
            now=_at(done),
        )
        if plan.fate == "verified":
            task = services.key_task_step(
                actor=actor,
                task_id=task.pk,
                action="verify",
                version=task.version,
                data={"comment": "经市安委办现场核查，任务完成情况属实，予以销号。"},
                now=_at(done + dt.timedelta(days=5)),
            )
    return task


def _contributions(
    plan: Plan,
    task: KeyTask,
    departments: dict[str, Organisation],
    district_gov: Organisation | None,
    when: dt.datetime,
) -> None:
    """A cooperating department's report, and a district government's for its region."""
    for body in (departments.get(E.FIRE), district_gov):
        writer = _writer(body)
        if writer is None or body is None:
            continue
        services.progress_report_submit(
            actor=writer,
            task_id=task.pk,
            data=services.ProgressReportInput.of(
                {"text": f"{body}：配合推进{plan.title}，本期完成排查整治任务，情况已报牵头单位。"}
            ),
            idempotency_key=f"demo-{task.pk}-{body.pk}",
            now=when + dt.timedelta(hours=2),
        )
