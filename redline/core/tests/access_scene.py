"""The records the generated access matrix (`test_access_generated.py`) names in paths: one of
each kind, in district D2 of the access-test city (`organisations/tests/world.py`), made with
each app's own test builders, and for each path parameter who may see the record and who,
in another jurisdiction, may not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redline.core.tests.routes import Route
    from redline.organisations.tests.world import World

# Users of the world (`world.username(org, role)`).
CITY = "cityhall-admin"  # sees every unit of the city
D1 = "d1-admin"  # the government of district D1: sees D1's units only
D2_UNIT = "U-S21-hazchem"


@dataclass
class Scene:
    world: World
    made: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["made"][name]
        except KeyError:
            raise AttributeError(name) from None

    def login(self, client: Any, username: str) -> None:
        from redline.accounts.models import User

        client.force_login(User.objects.get(username=username))


@dataclass(frozen=True)
class Spec:
    """How to fill one path parameter: the record's value, a user who sees it, one who
    does not (in another jurisdiction); or, not yet, the reason; or why everyone reads it."""

    value: Callable[[Scene], Any]
    inside: str = CITY
    outside: str = D1
    not_yet: str = ""
    # Not scoped by design (the reason): the outside user reads it too, and the test says so.
    everyone: str = ""


def _user(name: str) -> Any:
    from redline.accounts.models import User

    return User.objects.get(username=name)


def build_scene(world: World) -> Scene:
    """One record of each kind the paths name, in D2 (or owned by CITY, for a user's own
    records), each made with its app's test builders."""
    from redline.organisations.models import Enterprise, Person

    scene = Scene(world)
    made = scene.made
    unit = Enterprise.objects.get(name=D2_UNIT)
    made["unit"] = unit
    made["person"] = Person.objects.filter(enterprise=unit).first()
    for builder in BUILDERS:
        builder(scene)
    return scene


def _hazards(scene: Scene) -> None:
    from redline.hazards.tests.factories import measure_with_cycle, report

    made = scene.made
    made["hazard"] = report(_user("emergency-inspector"), made["unit"].pk)
    measure, _cycle = measure_with_cycle(made["unit"], name="scene")
    made["risk_event"] = measure.event
    made["risk_unit"] = measure.event.unit
    made["risk_object"] = measure.event.unit.risk_object


def _evidence(scene: Scene) -> None:
    """An evidence photo of the scene's hazard and a photo of its accident (their files are
    named by a token in the path)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from redline.accidents.services import accident_add_photos
    from redline.hazards import evidence
    from redline.hazards.tests.factories import JPEG

    def jpeg() -> SimpleUploadedFile:
        return SimpleUploadedFile("scene.jpg", JPEG, content_type="image/jpeg")

    uploads = evidence.check_uploads([jpeg()])
    made = scene.made
    made["photo"] = evidence.store(uploads, actor=_user(CITY), hazard=made["hazard"])[0]
    accident = made["accident"]
    accident_add_photos(actor=_user("cityhall-operator"), accident_id=accident.pk, photos=[jpeg()])
    made["accident_file"] = accident.files.get()


def _inspection_task(scene: Scene) -> None:
    from django.utils import timezone

    from redline.campaigns.tests.data import task

    scene.made["inspection_task"] = task(scene.unit, timezone.now(), "ok")


def _installation(scene: Scene) -> None:
    from redline.risk.models import MajorHazardInstallation

    scene.made["installation"] = MajorHazardInstallation.objects.create(
        enterprise=scene.unit, name="场景装置", kind="storage", people_exposed=10
    )


def _inspections(scene: Scene) -> None:
    from redline.inspections import services_audit
    from redline.inspections.tests import build

    team = build.Team.of(scene.world, unit=D2_UNIT)
    inspection = build.completed(team, bad=1)
    scene.made["inspection"] = inspection
    scene.made["finding"] = inspection.findings.first()
    scene.made["enforcement"] = build.enforcement(team, inspection)
    # An audit-style inspection, its working paper drawn by the inspecting body.
    audit = build.planned(team, kind="audit")
    paper = services_audit.audit_paper_draw(
        actor=_user("emergency-admin"), inspection_id=audit.pk, seed=1
    )
    scene.made["audit_inspection"] = audit
    scene.made["audit_sample"] = paper.samples.first()


def _accident(scene: Scene) -> None:
    from redline.accidents.tests import build

    scene.made["accident"] = build.record(by="cityhall-operator", unit=scene.unit.pk)


def _committee(scene: Scene) -> None:
    from redline.committee.tests import build

    world = scene.world
    scene.made["meeting"] = build.meeting()
    scene.made["key_task"] = build.deploy(world, cooperating=[], regions=[str(world.regions["D2"])])


def _training(scene: Scene) -> None:
    import datetime as dt

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from redline.training.models import Certificate, TrainingRecord

    today = timezone.localdate()
    issued = today - dt.timedelta(days=400)
    scene.made["certificate"] = Certificate.objects.create(
        person=scene.person,
        kind="special_operation",
        category="hazchem",
        item="hazchem-chlorination",
        number="T-scene",
        issued_on=issued,
        valid_until=issued.replace(year=issued.year + 6) - dt.timedelta(days=1),
        review_due=issued.replace(year=issued.year + 3),
        state="valid",
        created_at=timezone.now(),
    )
    scene.made["training_record"] = record = TrainingRecord.objects.create(
        person=scene.person,
        course="场景培训",
        hours=8,
        day=today,
        level="company",
        purpose="initial",
        created_at=timezone.now(),
    )
    record.evidence.save("evidence.pdf", ContentFile(b"%PDF-1.4 scene"))


def _own(scene: Scene) -> None:
    """A user's own records: an API token, a notification, a job run (CITY's)."""
    import uuid

    from django.utils import timezone

    from redline.accounts.models import ApiToken
    from redline.core.models import JobRun, Notification

    owner = _user(CITY)
    scene.made["token"] = ApiToken.objects.create(
        user=owner, name="scene", key_hash=uuid.uuid4().hex, hint="rl_scene"
    )
    scene.made["notification"] = Notification.objects.create(
        recipient=owner, key="scene", subject="场景", url="/", created_at=timezone.now()
    )
    scene.made["job_run"] = JobRun.objects.create(
        kind="report", requested_by=owner, token="scene", title="场景", created_at=timezone.now()
    )


def _regions(scene: Scene) -> None:
    from redline.organisations.models import ChemicalPark, Region

    d2 = Region.objects.get(pk=scene.world.regions["D2"])
    scene.made["region"] = d2
    scene.made["park"] = ChemicalPark.objects.create(name="场景园区", region=d2)


def _epidemic(scene: Scene) -> None:
    """A signal of D2's series (EARS C2 flags an outbreak), and a key place (a school) in D2."""
    import datetime as dt

    from redline.epidemic.detection import detection_run
    from redline.epidemic.models import Signal
    from redline.epidemic.tests.signal_data import at, condition, outbreak
    from redline.organisations.models import Enterprise

    day = dt.date(2026, 3, 10)
    made = scene.made
    made["condition"] = condition("scene-ili")
    outbreak(made["condition"], scene.world.regions["D2"], day)
    detection_run(day=day, now=at(day + dt.timedelta(days=1), 7))
    made["signal"] = Signal.objects.get(condition=made["condition"])
    made["place"] = Enterprise.objects.get(name="U-S21-school")
    # The school's own series in D2, so that its series page has something to show.
    outbreak(made["condition"], scene.world.regions["D2"], day, place=made["place"])


def _campaign(scene: Scene) -> None:
    from redline.campaigns.tests.data import fire_campaign

    world = scene.world
    scene.made["campaign"] = fire_campaign(regions=(world.regions["D2"],))


def _medical(scene: Scene) -> None:
    """The medical tests' hospitals and bodies, and a capacity alert of the D2 hospital."""
    import time_machine

    from redline.medical.models import CapacityAlert
    from redline.medical.services import capacity_thresholds_load
    from redline.medical.tests.conftest import NOW, med, submit

    found = med.__wrapped__(scene.world, None)
    capacity_thresholds_load()
    with time_machine.travel(NOW, tick=False):
        submit(found.user("hb", "operator"), icu_occupied=9)
    hospital = found.units["hosp_b"]
    scene.made["hospital_b"] = hospital
    scene.made["alert"] = CapacityAlert.objects.filter(hospital_id=hospital).first()


def _library(scene: Scene) -> None:
    """An inspector's profile (the city emergency department's), an annual plan, and a
    draft assessment (the city's alone until published)."""
    from django.utils import timezone

    from redline.assessment.tests.contract import make
    from redline.inspections.models_plan import InspectionPlan, InspectorProfile

    world = scene.world
    scene.made["profile"] = InspectorProfile.objects.create(
        user=_user("emergency-inspector"), sectors=["hazchem"], capacity=30
    )
    scene.made["plan"] = InspectionPlan.objects.create(
        year=2026,
        seed=1,
        inputs_sha256="0" * 64,
        document={"targets": [], "inspections": [], "rules": {}},
        organisation_id=world.orgs["cityhall"].pk,
        drafted_at=timezone.now(),
    )
    scene.made["assessment"] = make("draft", 2026)


def _assessments(scene: Scene) -> None:
    """Published assessments of the districts and of the departments (whose breakdowns a
    subject's governments open), and a draft holding an entered item of D2 with evidence."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from redline.assessment import services
    from redline.assessment.tests.test_assessment import draft

    world = scene.world
    office = _user("office-manager")

    def publish(record: Any) -> Any:
        data = {"comment": "发布"}
        return services.assessment_step(
            actor=office, assessment_id=record.pk, action="publish", version=1, data=data
        )

    scene.made["ranking"] = publish(draft(world, 2030))
    departments = services.assessment_create(
        actor=office,
        data=services.AssessmentInput.of(
            {"title": "部门考核", "year": 2032, "period_kind": "year", "subject_kind": "department"}
        ),
    )
    scene.made["department_ranking"] = publish(departments)
    entry = services.entry_set(
        actor=office,
        assessment_id=draft(world, 2031).pk,
        data=services.EntryInput.of(
            {"region": world.regions["D2"], "item": "commendation", "points": 2}
        ),
        evidence=SimpleUploadedFile("d2.pdf", b"%PDF-1.4 d2"),
    )
    scene.made["entry"] = entry


BUILDERS = [
    _hazards,
    _inspection_task,
    _installation,
    _inspections,
    _accident,
    _committee,
    _training,
    _own,
    _regions,
    _epidemic,
    _campaign,
    _evidence,
    _medical,
    _library,
    _assessments,
]


def _pk(name: str) -> Callable[[Scene], Any]:
    return lambda scene: getattr(scene, name).pk


# "scope:name" (scope as `Route.scope` gives it) or "name" -> how to fill it.
PARAMS: dict[str, Spec] = {
    "enterprise_id": Spec(_pk("unit")),
    "person_id": Spec(_pk("person")),
    "hazard_id": Spec(_pk("hazard")),
    "api/v1/training:unit_id": Spec(_pk("unit")),
    "risks:event_id": Spec(_pk("risk_event")),
    "api/v1/risk-events:event_id": Spec(_pk("risk_event")),
    "risks:unit_id": Spec(_pk("risk_unit")),
    "api/v1/risk-units:unit_id": Spec(_pk("risk_unit")),
    "risks:object_id": Spec(_pk("risk_object")),
    "api/v1/risk-objects:object_id": Spec(_pk("risk_object")),
    "installation_id": Spec(_pk("installation")),
    "tasks:task_id": Spec(_pk("inspection_task")),
    "api/v1/tasks:task_id": Spec(_pk("inspection_task")),
    # the inspecting body (the city's emergency department, whose mandate holds hazchem)
    "inspection_id": Spec(_pk("inspection"), inside="emergency-admin"),
    "/inspections/{inspection_id}/audit-paper:inspection_id": Spec(
        _pk("audit_inspection"), inside="emergency-admin"
    ),
    "/api/v1/inspections/{inspection_id}/audit-paper:inspection_id": Spec(
        _pk("audit_inspection"), inside="emergency-admin"
    ),
    "sample_id": Spec(_pk("audit_sample"), inside="emergency-inspector"),
    "finding_id": Spec(_pk("finding")),
    "enforcement:action_id": Spec(_pk("enforcement")),
    "api/v1/enforcement:action_id": Spec(_pk("enforcement")),
    "accident_id": Spec(_pk("accident")),
    "committee:task_id": Spec(_pk("key_task")),
    "api/v1/committee:task_id": Spec(_pk("key_task")),
    "meeting_id": Spec(_pk("meeting")),
    "certificate_id": Spec(_pk("certificate")),
    "record_id": Spec(_pk("training_record")),
    "token_id": Spec(_pk("token")),
    "notification_id": Spec(_pk("notification")),
    "run_id": Spec(_pk("job_run")),
    "region_id": Spec(_pk("region")),
    "park_id": Spec(_pk("park")),
    # Government bodies all read the campaigns; a unit reads those covering it: ent2's fire
    # unit in D2 is covered, ent's unit in D1 is not.
    "campaign_id": Spec(_pk("campaign"), inside="ent2-admin", outside="ent-admin"),
    "hospital_id": Spec(lambda scene: scene.hospital_b),
    "alert_id": Spec(_pk("alert")),
    # the library and the plans: a body's inspectors are seen by the body and the city's
    # planners (fire_d1 is another body); plans by the city's planners alone (D1's
    # government is refused before any plan is looked up: 403 for any id)
    "profile_id": Spec(_pk("profile"), inside="emergency-manager", outside="fire_d1-manager"),
    "plan_id": Spec(_pk("plan")),
    # a draft assessment is read by the city government and office alone
    "assessment:pk": Spec(_pk("assessment")),
    "api/v1/assessments:assessment_id": Spec(_pk("assessment")),
    # a published ranking every government reads, and one subject's breakdown: D2's is
    # opened by the city, not by D1; the fire_d1 department's by the city, not by another
    # department (education)
    "/assessment/{pk}/districts/:pk": Spec(_pk("ranking")),
    "/assessment/{pk}/districts/:subject_id": Spec(lambda scene: scene.world.regions["D2"]),
    "/assessment/{pk}/departments/:pk": Spec(_pk("department_ranking")),
    "/assessment/{pk}/departments/:subject_id": Spec(
        lambda scene: scene.world.orgs["fire_d1"].pk, outside="education-admin"
    ),
    "entry_id": Spec(_pk("entry")),
    "body_id": Spec(
        lambda scene: scene.world.orgs["cdc_d2"].pk,
        everyone=(
            "a government body is in the directory every signed-in user reads "
            "(OrganisationQuerySet); the tasks its page lists pass the door (tasks_visible)"
        ),
    ),
    # stored files, named by their token: they follow their hazard, their accident
    "evidence:token": Spec(lambda scene: scene.photo.token),
    "accidents:token": Spec(lambda scene: scene.accident_file.token),
    "signal_id": Spec(_pk("signal")),
    "place_id": Spec(_pk("place")),
}

# Id parameters not yet given a record here, each with its reason (reported; the matrix
# skips the routes whose decisive parameter is listed).
NOT_YET: dict[str, str] = {}


# The workflow each scope's `{action}` steps (its first declared transition fills it).
ACTION_MACHINES = {
    "hazards": "redline.hazards.workflow:MACHINE",
    "inspections": "redline.inspections.workflow:INSPECTION",
    "findings": "redline.inspections.workflow:FINDING",
    "enforcement": "redline.inspections.workflow:ENFORCEMENT",
    "committee": "redline.committee.workflow:KEY_TASK",
    "accidents": "redline.accidents.workflow:ACCIDENT",
    "medical": "redline.medical.workflow:MACHINE",
    "epidemic": "redline.epidemic.workflow:MACHINE",
    "training": "redline.training.workflow:CERTIFICATE",
    "assessment": "redline.assessment.workflow:ASSESSMENT",
    "assessments": "redline.assessment.workflow:ASSESSMENT",
}
# Path parameters that name no record, and their values.
OTHER_VALUES: dict[str, Callable[[Scene], Any]] = {
    "what": lambda scene: "record",  # training/people/{person_id}/{what}/: the form to open
    "code": lambda scene: scene.condition.code,  # an epidemic condition (public catalogue)
    "name": lambda scene: "counts.xlsx",  # a template file's name
    "year": lambda scene: 2026,
    "url": lambda scene: "x",
    "app_label": lambda scene: "auth",
}


def other_value(route: Route, name: str, scene: Scene) -> Any:
    """The value of a parameter that names no record, or None if it names one."""
    if name == "action":
        from importlib import import_module

        scope = route.scope.removeprefix("api/v1/")
        module, _, attr = ACTION_MACHINES[scope].partition(":")
        return next(iter(getattr(import_module(module), attr).transitions))
    if name in OTHER_VALUES:
        return OTHER_VALUES[name](scene)
    return None


def spec_for(route: Route, name: str) -> Spec | None:
    """The parameter's spec: by the route's path prefix ("/inspections/{id}/audit-paper:id"),
    else by its scope ("hazards:pk"), else by its name alone."""
    for key, spec in PARAMS.items():
        prefix, _, param = key.rpartition(":")
        if key.startswith("/") and param == name and route.template.startswith(prefix):
            return spec
    for key in (f"{route.scope}:{name}", name):
        if key in PARAMS:
            return PARAMS[key]
        if key in NOT_YET:
            return Spec(lambda scene: 1, not_yet=NOT_YET[key])
    return None
