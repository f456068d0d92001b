"""The audit working paper of an audit-style inspection (审计式检查 工作底稿): its sections
against records built with known states (time held still), the reproducible sample, what a
discrepancy becomes, who may see and do what, the pages, the API, the PDF and the .xlsx."""

from __future__ import annotations

import datetime as dt
import io
import random
import zoneinfo
from itertools import count

import pytest
import time_machine
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from redline.accounts.models import User
from redline.conftest import login
from redline.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from redline.core.models import ChangeLog
from redline.core.tests.queries import assert_flat
from redline.engines import audit_sample
from redline.hazards import evidence
from redline.hazards.models import Hazard, InspectionTask
from redline.hazards.tests.factories import measure_with_cycle, report
from redline.hazards.vocab import HazardLevel, HazardState, TaskResult
from redline.inspections import services, services_audit
from redline.inspections.models import AuditPaper, AuditSample, Finding, Inspection
from redline.inspections.tests import build
from redline.inspections.vocab import (
    AuditResult,
    FindingOutcome,
    FindingState,
    InspectionState,
)
from redline.organisations.models import Enterprise, Organisation, Person
from redline.organisations.vocab import DepartmentType, OrganisationKind
from redline.risk.models import ControlMeasure, RiskEvent, RiskUnit
from redline.training import services as training
from redline.training.vocab import CertificateKind

pytestmark = pytest.mark.django_db

ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=ZONE)
serial = count(1)


def user(name: str) -> User:
    return User.objects.select_related("organisation").get(username=name)


def at(day: str, hour: int = 8) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=ZONE)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def team(world, clock) -> build.Team:
    return build.Team.of(world)


def audit(team: build.Team) -> Inspection:
    return build.planned(team, kind="audit")


def draw(team: build.Team, inspection: Inspection, seed: int | None = None, **kw) -> AuditPaper:
    return services_audit.audit_paper_draw(
        actor=team.inspector, inspection_id=inspection.pk, seed=seed, **kw
    )


def check_in(team: build.Team, inspection: Inspection) -> Inspection:
    inspection.refresh_from_db()
    return services.inspection_step(
        actor=team.inspector,
        inspection_id=inspection.pk,
        action="check_in",
        version=inspection.version,
        data={"place": "Gate"},
    )


def mark(actor: User, sample: AuditSample, result: str, **data) -> AuditSample:
    return services_audit.audit_sample_mark(
        actor=actor,
        sample_id=sample.pk,
        data=services_audit.AuditSampleInput.of({"result": result} | data),
    )


# --- records with known states ------------------------------------------------------------


def task(measure: ControlMeasure, due: dt.datetime, *, checked: dt.datetime | None = None):
    return InspectionTask.objects.create(
        measure=measure,
        enterprise_id=measure.event.enterprise_id,
        due_at=due,
        window_ends_at=due + dt.timedelta(days=1),
        result=TaskResult.NORMAL if checked else "",
        checked_at=checked,
        recorded_at=checked,
        inspector_name="李巡检" if checked else "",
    )


def hazard(team: build.Team, name: str, **fields) -> Hazard:
    found = report(team.unit_user, team.enterprise.pk, name=name)
    Hazard.objects.filter(pk=found.pk).update(**fields)
    found.refresh_from_db()
    return found


def photo_of(found: Hazard) -> None:
    evidence.store(evidence.check_uploads([build.photo()]), actor=None, hazard=found)


class Known:
    """A unit's records whose every expected place in the paper is known."""

    def __init__(self, team: build.Team):
        unit = team.enterprise
        measure, _cycle = measure_with_cycle(unit, name="A")
        event = measure.event
        self.measure = measure
        # Coverage: a unit without events, an event without measures, a measure checked by
        # inspection without a cycle (an archived unit, a monitoring measure: not counted).
        self.bare_unit = RiskUnit.objects.create(risk_object=event.unit.risk_object, name="U-bare")
        RiskUnit.objects.create(
            risk_object=event.unit.risk_object, name="U-archived", is_archived=True
        )
        self.bare_event = RiskEvent.objects.create(
            unit=event.unit,
            enterprise=unit,
            name="E-bare",
            method="LEC",
            rule_set="lec-common",
            inherent_factors={"L": 1, "E": 1, "C": 1},
            inherent_score=1,
            inherent_level=4,
            level=4,
        )
        common = {
            "event": event,
            "responsible": measure.responsible,
            "measure_class": "1",
            "measure_subclass": "1-2",
            "management_level": "team",
        }
        self.no_cycle = ControlMeasure.objects.create(
            description="Check the hose (no cycle)",
            control_mode="inspection",
            inspection_content="Hose intact",
            **common,
        )
        ControlMeasure.objects.create(
            description="Gas detector online", control_mode="monitoring", **common
        )
        # Tasks: done, done late, missed, still due; one before the period, one after now.
        self.done = task(measure, at("2026-02-01"), checked=at("2026-02-01", 9))
        self.late = task(measure, at("2026-02-03"), checked=at("2026-02-05", 9))
        self.missed = task(measure, at("2026-02-10"))
        self.due = task(measure, at("2026-03-02", 8))
        task(measure, at("2025-02-20"))  # before the period: not counted
        task(measure, at("2026-03-05"))  # after the paper: not counted
        # Hazards.
        closed = HazardState.CLOSED
        self.overdue = hazard(
            team, "Open, past its deadline", state=HazardState.RECTIFYING, deadline="2026-02-20"
        )
        self.open_in_time = hazard(
            team, "Open, deadline ahead", state=HazardState.RECTIFYING, deadline="2026-03-20"
        )
        self.closed_late = hazard(
            team, "Closed late", state=closed, deadline="2026-02-10", closed_at=at("2026-02-15")
        )
        self.closed_ok = hazard(
            team, "Closed in time", state=closed, deadline="2026-02-20", closed_at=at("2026-02-18")
        )
        photo_of(self.closed_ok)
        self.closed_long_ago = hazard(
            team, "Closed before the period", state=closed, closed_at=at("2024-06-01")
        )
        major = HazardLevel.MAJOR
        self.major_partial = hazard(
            team,
            "Major, plan partly given",
            level=major,
            state=HazardState.RECTIFYING,
            plan_responsible="张三 / 生产部",
            plan_measures="更换管线",
            deadline="2026-04-01",
        )
        self.major_complete = hazard(
            team,
            "Major, five implementations",
            level=major,
            state=HazardState.RECTIFYING,
            plan_responsible="李四 / 设备部",
            plan_measures="加装联锁",
            plan_funds=0,
            plan_deadline="2026-04-01",
            plan_contingency="应急预案 3 号",
            deadline="2026-04-01",
        )
        hazard(team, "Major, dismissed", level=major, state=HazardState.DISMISSED)


def ids(listed) -> set[int]:
    return {row["id"] for row in listed["items"]}


def trained(team: build.Team) -> tuple[Person, Person]:
    """The unit's main responsible person with last year's refresher hours and a valid
    certificate (compliant), and a chlorination operator without a certificate."""
    boss = Person.objects.get(enterprise=team.enterprise, role="main_responsible")
    training.training_record_add(
        actor=team.unit_user,
        data=training.TrainingRecordInput.of(
            {
                "person": boss.pk,
                "course": "再培训",
                "hours": "16",
                "day": "2025-05-01",
                "level": "company",
                "purpose": "refresher",
            }
        ),
    )
    training.certificate_add(
        actor=team.unit_user,
        data=training.CertificateInput.of(
            {
                "person": boss.pk,
                "kind": "main_responsible",
                "number": "A-1",
                "issued_on": "2025-01-10",
            }
        ),
    )
    operator = Person.objects.create(
        name="操作工", role="post_holder", post="氯化工", enterprise=team.enterprise
    )
    training.training_profile_save(
        actor=team.unit_user,
        data=training.TrainingProfileInput.of(
            {"person": operator.pk, "operations": ["hazchem-chlorination"]}
        ),
    )
    training.training_record_add(
        actor=team.unit_user,
        data=training.TrainingRecordInput.of(
            {
                "person": operator.pk,
                "course": "再培训",
                "hours": "20",
                "day": "2025-05-01",
                "level": "team",
                "purpose": "refresher",
            }
        ),
    )
    return boss, operator


def test_the_sections_list_what_the_records_say(team):
    known = Known(team)
    boss, operator = trained(team)
    inspection = audit(team)
    paper = draw(team, inspection, seed=7)
    assert paper.seed == 7 and paper.drawn_at == NOW
    assert timezone.localtime(paper.period_start) == dt.datetime(2025, 3, 2, 10, 0, tzinfo=ZONE)
    assert paper.period_end == NOW
    cov = paper.sections["coverage"]
    assert ids(cov["units_without_events"]) == {known.bare_unit.pk}
    assert ids(cov["events_without_measures"]) == {known.bare_event.pk}
    assert ids(cov["measures_without_cycle"]) == {known.no_cycle.pk}
    assert (cov["units"], cov["events"], cov["measures"], cov["inspection_measures"]) == (
        2,
        2,
        3,
        2,
    )
    tasks = paper.sections["tasks"]
    assert tasks["counts"] | {"done_rate": None} == {
        "total": 4,
        "done": 1,
        "late": 1,
        "missed": 1,
        "due": 1,
        "done_rate": None,
    }
    assert tasks["counts"]["done_rate"] == 50.0  # 2 done of the 4 due so far
    assert ids(tasks["missed"]) == {known.missed.pk}
    assert ids(tasks["late"]) == {known.late.pk}
    hz = paper.sections["hazards"]
    assert hz["closed"] == 2
    assert ids(hz["closed_without_photos"]) == {known.closed_late.pk}
    assert ids(hz["overdue_open"]) == {known.overdue.pk}
    assert ids(hz["closed_late"]) == {known.closed_late.pk}
    assert ids(hz["major"]) == {known.major_partial.pk, known.major_complete.pk}
    assert hz["major"]["complete"] == 1
    partial = next(h for h in hz["major"]["items"] if h["id"] == known.major_partial.pk)
    assert partial["missing"] == ["plan_funds", "plan_deadline", "plan_contingency"]
    training = paper.sections["training"]
    assert training["available"] is True
    people = {row["person"]: row for row in training["people"]}
    assert set(people) == {boss.name, operator.name}
    assert people[boss.name] | {"id": None} == {
        "person": boss.name,
        "post": str(boss.get_role_display()),
        "required_hours": "16",
        "hours": "16.0",
        "certificate": f"{CertificateKind.MAIN_RESPONSIBLE.label} A-1",
        "certificate_valid_until": "2028-01-09",
        "meets_requirement": True,
        "id": None,
        "problems": [],
    }
    assert people[operator.name]["meets_requirement"] is False
    assert people[operator.name]["problems"] == ["certificate_missing"]
    assert people[operator.name]["certificate_valid_until"] is None
    codes = {r["code"]: r for r in training["requirements"]}
    assert codes["leader-high-risk"]["certificate"] == ["main_responsible"]
    assert codes["employee-high-risk"]["certificate"] == ["special_operation"]
    assert "S12b" in codes["employee-high-risk"]["source"]
    # The sample: the recorded tasks, the hazards closed in the period, the live measures.
    sampled = {(s.kind, s.record_id) for s in paper.samples.all()}
    assert sampled == {
        ("task", known.done.pk),
        ("task", known.late.pk),
        ("hazard", known.closed_late.pk),
        ("hazard", known.closed_ok.pk),
        ("measure", known.measure.pk),
        ("measure", known.no_cycle.pk),
        ("measure", ControlMeasure.objects.get(control_mode="monitoring").pk),
    }
    assert paper.populations["task"]["size"] == 2
    # Drawing is on the inspection's timeline and in the change log.
    assert inspection.events.filter(action="audit_paper").count() == 1
    assert ChangeLog.objects.filter(
        model="inspections.AuditPaper", object_id=str(paper.pk)
    ).exists()


def many_records(team: build.Team, n: int = 30) -> None:
    measure, _cycle = measure_with_cycle(team.enterprise, name=f"many-{next(serial)}")
    for day in range(n):
        due = at("2026-01-01") + dt.timedelta(days=day)
        task(measure, due, checked=due + dt.timedelta(hours=1))
    for k in range(12):
        hazard(team, f"Closed {k}", state=HazardState.CLOSED, closed_at=at("2026-02-01"))


def sample_of(paper: AuditPaper) -> list[tuple[str, int, int]]:
    return [(s.kind, s.position, s.record_id) for s in paper.samples.order_by("id")]


def test_the_same_seed_samples_the_same_records_and_anyone_can_reproduce_it(team):
    many_records(team)
    inspection = audit(team)
    first = draw(team, inspection, seed=42)
    drawn = sample_of(first)
    sections, digest = first.sections, first.digest
    assert [k for k, _p, _i in drawn].count("task") == 5
    # Drawn again with the same seed over the same records: the same paper.
    again = draw(team, inspection, seed=42)
    assert sample_of(again) == drawn and again.digest == digest and again.sections == sections
    assert AuditPaper.objects.count() == 1
    # Reproduced by hand, as the paper says: the population in its natural order,
    # random.Random("42:task"), a partial Fisher-Yates shuffle using random() only.
    population = list(
        InspectionTask.objects.filter(enterprise=team.enterprise)
        .exclude(result="")
        .order_by("due_at", "measure_id", "id")
        .values_list("id", flat=True)
    )
    rng = random.Random("42:task")
    order = list(population)
    for i in range(5):
        j = i + int(rng.random() * (len(order) - i))
        order[i], order[j] = order[j], order[i]
    assert [i for k, _p, i in drawn if k == "task"] == order[:5]
    assert first.populations["task"]["sha256"] == audit_sample.population_digest("task", population)
    # Another seed draws another sample (from the same populations).
    other = draw(team, inspection, seed=43)
    assert sample_of(other) != drawn
    assert other.populations == first.populations
    assert {i for k, _p, i in sample_of(other) if k == "task"} <= set(population)


def test_records_created_after_drawing_never_change_the_paper(team, clock):
    many_records(team)
    inspection = audit(team)
    paper = draw(team, inspection, seed=5)
    drawn, populations = sample_of(paper), paper.populations
    check_in(team, inspection)
    clock.shift(dt.timedelta(days=2))
    many_records(team, n=5)
    # On site, drawing again (with its seed, or none) returns the paper as drawn.
    for seed in (None, 5):
        same = draw(team, inspection, seed=seed)
        assert same.pk == paper.pk and same.drawn_at == NOW
        assert sample_of(same) == drawn and same.populations == populations
    with pytest.raises(Conflict):
        draw(team, inspection, seed=6)
    assert sample_of(AuditPaper.objects.get()) == drawn


def test_only_an_audit_inspection_planned_or_on_site_has_a_paper(team):
    with pytest.raises(ValidationFailed):
        draw(team, build.planned(team, kind="supervision"))
    inspection = audit(team)
    with pytest.raises(ValidationFailed) as failure:
        draw(team, inspection, seed=2**32)
    assert set(failure.value.fields) == {"seed"}
    with pytest.raises(ValidationFailed) as failure:
        draw(team, inspection, months=0)
    assert set(failure.value.fields) == {"months"}
    inspection.refresh_from_db()
    services.inspection_step(
        actor=team.manager,
        inspection_id=inspection.pk,
        action="cancel",
        version=inspection.version,
        data={"comment": "Postponed."},
    )
    with pytest.raises(Conflict):
        draw(team, inspection)
    assert not AuditPaper.objects.exists()
    # A random seed when none is given, stored on the paper.
    paper = draw(team, audit(team))
    assert audit_sample.valid_seed(paper.seed)


def test_who_draws_reads_and_marks(team, client):
    Known(team)
    inspection = audit(team)
    for outsider in ("fire_d1-inspector", "cdc_d2-manager"):  # do not see the unit
        with pytest.raises(NotFound):
            services_audit.audit_paper_draw(actor=user(outsider), inspection_id=inspection.pk)
    for stranger in ("ent-operator", "cityhall-manager", "emergency-viewer"):
        with pytest.raises(PermissionDenied):  # see the inspection, not its paper
            services_audit.audit_paper_draw(actor=user(stranger), inspection_id=inspection.pk)
    # The body's inspectors who are not on the team draw and read it, but mark nothing.
    paper = services_audit.audit_paper_draw(
        actor=user("emergency-admin"), inspection_id=inspection.pk, seed=1
    )
    check_in(team, inspection)
    sample = paper.samples.first()
    with pytest.raises(PermissionDenied):
        mark(user("emergency-admin"), sample, "verified")
    with pytest.raises(PermissionDenied):
        mark(team.unit_user, sample, "verified")
    with pytest.raises(NotFound):
        mark(user("fire_d1-inspector"), sample, "verified")
    sample.refresh_from_db()
    assert sample.result == AuditResult.PENDING and sample.version == 1
    # Pages and API: 404 outside, 403 inside but neither team nor body.
    urls = [
        f"/inspections/{inspection.pk}/audit-paper/",
        f"/inspections/{inspection.pk}/audit-paper.xlsx",
        f"/api/v1/inspections/{inspection.pk}/audit-paper",
    ]
    for name, status in (
        ("fire_d1-inspector", 404),
        ("ent-operator", 403),
        ("emergency-admin", 200),
    ):
        login(client, name)
        for url in urls:
            assert client.get(url).status_code == status, (name, url)
        refused = 404 if status == 404 else 403  # the body's admin reads, but is not on the team
        marked = client.post(f"/audit-samples/{sample.pk}/mark/", {"result": "verified"})
        assert marked.status_code == refused, name
        api = client.post(
            f"/api/v1/audit-samples/{sample.pk}/mark",
            {"result": "verified"},
            content_type="application/json",
        )
        assert api.status_code == refused, name
    sample.refresh_from_db()
    assert sample.result == AuditResult.PENDING
    # The inspection's page links to the paper for the body, not for the unit.
    login(client, "emergency-admin")
    assert b"audit-paper-link" in client.get(f"/inspections/{inspection.pk}/").content
    login(client, "ent-operator")
    assert b"audit-paper-link" not in client.get(f"/inspections/{inspection.pk}/").content


def test_a_discrepancy_becomes_a_finding_once_and_the_unit_answers_it(team, client):
    known = Known(team)
    inspection = audit(team)
    paper = draw(team, inspection, seed=11)
    task_sample = paper.samples.filter(kind="task").first()
    measure_sample = paper.samples.get(kind="measure", record_id=known.measure.pk)
    with pytest.raises(Conflict):  # marked on site only
        mark(team.inspector, task_sample, "verified")
    check_in(team, inspection)
    with pytest.raises(ValidationFailed) as failure:
        mark(team.inspector, task_sample, "discrepancy")
    assert set(failure.value.fields) == {"note"}
    read = Inspection.objects.get(pk=inspection.pk).version
    first = mark(team.inspector, task_sample, "discrepancy", note="No signature on the record.")
    # A new finding changes the inspection: a step on the version read before is stale.
    assert Inspection.objects.get(pk=inspection.pk).version == read + 1
    again = mark(team.inspector, task_sample, "discrepancy", note="No signature on the record.")
    assert first.finding_id == again.finding_id is not None
    login(client, "emergency-inspector")
    for _attempt in range(2):  # a phone retrying through the API
        resent = client.post(
            f"/api/v1/audit-samples/{task_sample.pk}/mark",
            {"result": "discrepancy", "note": "No signature on the record."},
            content_type="application/json",
        )
        assert resent.status_code == 200, resent.content
        assert resent.json()["finding_id"] == first.finding_id
    finding = Finding.objects.get(inspection=inspection)
    assert finding.outcome == FindingOutcome.NOTE and finding.hazard is None
    assert finding.state == FindingState.OPEN and "No signature" in finding.text
    assert [e.action for e in finding.events.all()] == ["found"]
    with pytest.raises(Conflict):  # not taken back: the unit answers the finding
        mark(team.inspector, task_sample, "verified")
    # A measure not in place becomes a hidden hazard of the unit, citing the measure.
    verified = mark(team.manager, measure_sample, "verified")
    assert verified.result == AuditResult.VERIFIED and verified.finding is None
    changed = mark(team.manager, measure_sample, "discrepancy", note="Valve missing.")
    assert changed.finding.outcome == FindingOutcome.HAZARD
    assert changed.finding.hazard.measure_id == known.measure.pk
    assert changed.finding.number == 2
    assert Finding.objects.filter(inspection=inspection).count() == 2
    assert Hazard.objects.filter(findings__inspection=inspection).count() == 1
    # Completing waits for every sampled record; then the findings await the unit.
    inspection.refresh_from_db()
    build.answer_all(team, inspection, bad=0)
    build.sign(team, inspection)
    inspection.refresh_from_db()
    with pytest.raises(ValidationFailed) as failure:
        services.inspection_step(
            actor=team.inspector,
            inspection_id=inspection.pk,
            action="complete",
            version=inspection.version,
            data={},
        )
    assert set(failure.value.fields) == {"audit_samples"}
    for sample in AuditSample.objects.filter(paper=paper, result=AuditResult.PENDING):
        mark(team.inspector, sample, "verified")
    inspection.refresh_from_db()
    done = services.inspection_step(
        actor=team.inspector,
        inspection_id=inspection.pk,
        action="complete",
        version=inspection.version,
        data={},
    )
    assert done.state == InspectionState.AWAITING_UNIT  # the checklist found nothing
    services.finding_step(
        actor=team.unit_user,
        finding_id=finding.pk,
        action="answer",
        version=finding.version,
        data={"comment": "Signed and filed."},
    )
    assert Finding.objects.get(pk=finding.pk).state == FindingState.ANSWERED


def test_the_checklist_s_findings_follow_the_discrepancies(team):
    Known(team)
    inspection = audit(team)
    paper = draw(team, inspection, seed=3)
    check_in(team, inspection)
    for n, sample in enumerate(paper.samples.all()):
        result = "discrepancy" if n == 0 else "verified"
        mark(team.inspector, sample, result, note="Not as recorded.")
    inspection.refresh_from_db()
    build.answer_all(team, inspection, bad=1)
    build.sign(team, inspection)
    inspection.refresh_from_db()
    services.inspection_step(
        actor=team.inspector,
        inspection_id=inspection.pk,
        action="complete",
        version=inspection.version,
        data={},
    )
    numbers = list(
        Finding.objects.filter(inspection=inspection)
        .order_by("number")
        .values_list("number", "item_code")
    )
    assert [n for n, _item in numbers] == [1, 2] and numbers[0][1] == "" and numbers[1][1]


# --- pages, API, exports --------------------------------------------------------------------


def english(client) -> None:
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


def test_the_page_shows_the_sections_and_marks_by_htmx(team, client):
    known = Known(team)
    inspection = audit(team)
    login(client, "emergency-inspector")
    english(client)
    page = client.get(f"/inspections/{inspection.pk}/audit-paper/")
    assert page.status_code == 200 and b"draw-paper" in page.content
    drawn = client.post(f"/inspections/{inspection.pk}/audit-paper/draw/", {"seed": "99"})
    assert drawn.status_code == 302
    assert AuditPaper.objects.get().seed == 99
    text = client.get(f"/inspections/{inspection.pk}/audit-paper/").content.decode()
    for shown in ("U-bare", "E-bare", "Check the hose", known.overdue.number, "UNCONFIRMED"):
        assert shown in text, shown
    assert "Not available until the training records exist" not in text
    assert "leader-high-risk" in text  # the training section's requirements
    bad = client.post(f"/inspections/{inspection.pk}/audit-paper/draw/", {"seed": "x"})
    assert bad.status_code == 302 and AuditPaper.objects.get().seed == 99
    check_in(team, inspection)
    sample = AuditSample.objects.filter(kind="hazard").first()
    card = client.post(
        f"/audit-samples/{sample.pk}/mark/", {"result": "verified"}, headers={"HX-Request": "true"}
    )
    assert card.status_code == 200
    assert f'id="sample-{sample.pk}"' in card.content.decode()
    assert 'data-result="verified"' in card.content.decode()
    refused = client.post(
        f"/audit-samples/{sample.pk}/mark/",
        {"result": "discrepancy"},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 200 and 'role="alert"' in refused.content.decode()
    sample.refresh_from_db()
    assert sample.result == AuditResult.VERIFIED and sample.finding is None


def test_the_api_draws_reads_and_marks(team, client):
    Known(team)
    inspection = audit(team)
    login(client, "emergency-inspector")
    url = f"/api/v1/inspections/{inspection.pk}/audit-paper"
    assert client.get(url).status_code == 404  # not drawn yet
    made = client.post(url, {"seed": 8, "months": 6}, content_type="application/json")
    assert made.status_code == 200, made.content
    body = made.json()
    assert body["seed"] == 8 and body["samples"] and body["sections"]["tasks"]["counts"]
    assert client.get(url).json() == body
    bad = client.post(url, {"seed": 8, "colour": "red"}, content_type="application/json")
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"colour"}
    check_in(team, inspection)
    sample = body["samples"][0]["id"]
    wrong = client.post(
        f"/api/v1/audit-samples/{sample}/mark",
        {"result": "maybe"},
        content_type="application/json",
    )
    assert wrong.status_code == 422 and set(wrong.json()["error"]["fields"]) == {"result"}
    ok = client.post(
        f"/api/v1/audit-samples/{sample}/mark",
        {"result": "verified"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["result"] == "verified"


def test_the_pdf_and_the_xlsx_carry_the_paper_and_its_results(team, client):
    Known(team)
    inspection = audit(team)
    paper = draw(team, inspection, seed=21)
    check_in(team, inspection)
    first, second = paper.samples.all()[:2]
    mark(team.inspector, first, "verified")
    mark(team.inspector, second, "discrepancy", note="Record rewritten later.")
    login(client, "emergency-inspector")
    english(client)
    pdf = client.get(f"/inspections/{inspection.pk}/audit-paper.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) >= 1
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert team.enterprise.name in text and inspection.number in text
    assert "Record rewritten later." in text and "21" in text
    sheet = client.get(f"/inspections/{inspection.pk}/audit-paper.xlsx")
    assert sheet.status_code == 200
    book = load_workbook(io.BytesIO(sheet.content))
    assert book.sheetnames == [
        "Working paper",
        "Coverage of the risk inventory",
        "Completion of inspection tasks",
        "How hidden hazards were closed",
        "Training hours and certificates",
        "Sample",
    ]
    heading = {row[0]: row[1] for row in book["Working paper"].iter_rows(values_only=True) if row}
    assert heading["Unit"] == team.enterprise.name and heading["Seed"] == "21"
    rows = list(book["Sample"].iter_rows(values_only=True))
    assert rows[0][0] == "Kind" and len(rows) == 1 + paper.samples.count()
    results = [r[4] for r in rows[1:]]
    assert results.count("Verified") == 1 and results.count("Discrepancy") == 1
    tasks = [r[0] for r in book["Completion of inspection tasks"].iter_rows(values_only=True)]
    assert "Missed tasks (1)" in tasks and "Tasks done late (1)" in tasks


def test_the_pdf_sets_chinese(team):
    """In the default language the paper's Chinese (the records' names) is set with a CJK
    font: the text comes back out of the PDF."""
    from redline.inspections import exports_audit
    from redline.inspections import selectors_audit as reads

    Known(team)
    inspection = audit(team)
    paper = draw(team, inspection, seed=4)
    content = exports_audit.paper_pdf(paper, inspection, reads.samples_of(team.inspector, paper))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "更换管线" not in text  # the plan is not on the paper, its gaps are
    assert "李巡检" in text  # the task record's inspector, in the sample's facts
    fonts = {
        str(font.get("/BaseFont"))
        for page in PdfReader(io.BytesIO(content)).pages
        for font in (page["/Resources"].get("/Font") or {}).values()
        for font in [font.get_object()]
    }
    assert any("CJK" in name for name in fonts), fonts


def test_the_page_and_the_api_cost_the_same_queries_with_a_larger_sample(team, client):
    inspection = audit(team)
    login(client, "emergency-inspector")
    measure, _cycle = measure_with_cycle(team.enterprise, name="flat")

    def grow(step):  # one more record of each kind a step: the sample takes them all
        due = at("2026-01-01") + dt.timedelta(days=next(serial))
        task(measure, due, checked=due + dt.timedelta(hours=1))
        hazard(team, f"Closed {step}", state=HazardState.CLOSED, closed_at=at("2026-02-01"))
        paper = draw(team, inspection, seed=1)
        return [s.label for s in paper.samples.all()]

    assert_flat(client, f"/inspections/{inspection.pk}/audit-paper/", grow)
    AuditPaper.objects.all().delete()
    InspectionTask.objects.filter(measure=measure).delete()
    Hazard.objects.filter(enterprise=team.enterprise).delete()
    assert_flat(client, f"/api/v1/inspections/{inspection.pk}/audit-paper", grow)


def test_the_page_costs_the_same_queries_with_more_records_marked(team, client):
    many_records(team)
    inspection = audit(team)
    paper = draw(team, inspection, seed=1)
    check_in(team, inspection)
    samples = list(paper.samples.order_by("id"))
    login(client, "emergency-inspector")

    def grow(step):
        chosen = samples[:1] if step == 0 else samples[1 + 3 * (step - 1) : 1 + 3 * step]
        for n, sample in enumerate(chosen):
            actor = team.inspector if n % 2 else team.manager
            result = "discrepancy" if n == 0 else "verified"
            mark(actor, sample, result, note=f"Checked {sample.pk}")
        return [f"Checked {s.pk}" for s in chosen]

    assert_flat(client, f"/inspections/{inspection.pk}/audit-paper/", grow)


# --- the demo city ----------------------------------------------------------------------------


def test_the_demo_enterprise_s_paper_is_reproducible_and_lists_what_its_records_say():
    """The demo's audit-style inspection: drawn with a fixed seed, three records checked on
    site, one discrepancy that became a finding; another paper drawn with the same seed over
    the same records samples the same ones; its missed tasks and overdue hazards are those
    the records say; it exports."""
    from redline.hazards.demo import build_hazards
    from redline.hazards.inspection import task_status
    from redline.inspections import demo as inspections_demo
    from redline.inspections import exports_audit
    from redline.inspections import selectors_audit as reads
    from redline.organisations import demo
    from redline.risk.demo import build_risks

    with time_machine.travel(NOW, tick=False):
        demo.build_city(seed=1, progress=lambda message: None, steps=[build_risks, build_hazards])
        # The inspections step's audit-style inspection, by the city's emergency department
        # (looked up in the demo city: the access-test world may be in the database too).
        emergency = Organisation.objects.get(
            kind=OrganisationKind.DEPARTMENT,
            department_type=DepartmentType.EMERGENCY,
            region__code=demo.CITY[2],
        )
        unit = Enterprise.objects.get(organisation__users__username="enterprise-operator")
        inspections_demo.checklists_load()
        team = inspections_demo._team(emergency)
        inspections_demo.audit_on_site(team, unit, timezone.localdate())
        inspection = Inspection.objects.select_related("enterprise").get(kind="audit")
        paper = inspection.audit_paper
        unit = inspection.enterprise
        assert paper.seed == inspections_demo.AUDIT_SEED
        assert inspection.state == InspectionState.IN_PROGRESS
        results = list(paper.samples.exclude(result="pending").values_list("result", flat=True))
        assert sorted(results) == ["discrepancy", "verified", "verified"]
        finding = Finding.objects.get(inspection=inspection)
        assert finding.audit_sample.result == AuditResult.DISCREPANCY
        # Missed tasks and overdue hazards, computed here from the records themselves.
        tasks = InspectionTask.objects.filter(
            enterprise=unit, due_at__gte=paper.period_start, due_at__lt=paper.period_end
        )
        missed = {t.pk for t in tasks if task_status(t, paper.period_end) == "missed"}
        assert missed and ids(paper.sections["tasks"]["missed"]) == missed
        today = timezone.localdate()
        overdue = {h.pk for h in Hazard.objects.filter(enterprise=unit) if h.overdue_on(today)}
        assert ids(paper.sections["hazards"]["overdue_open"]) == overdue
        assert paper.sections["tasks"]["counts"]["missed"] == len(missed)
        # The same seed over the same records: the same sample.
        inspector = User.objects.get(pk=paper.drawn_by_id)
        again = services.inspection_plan(
            actor=inspector,
            data=services.InspectionInput.of(
                {
                    "enterprise": unit.pk,
                    "kind": "audit",
                    "planned_on": today,
                    "inspectors": [str(inspector.pk)],
                }
            ),
        )[0]
        other = services_audit.audit_paper_draw(
            actor=inspector, inspection_id=again.pk, seed=paper.seed
        )
        assert [(k, i) for k, _p, i in sample_of(other)] == [
            (k, i) for k, _p, i in sample_of(paper)
        ]
        assert other.digest == paper.digest and other.sections == paper.sections
        samples = reads.samples_of(inspector, paper)
        pdf = exports_audit.paper_pdf(paper, inspection, samples)
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        assert unit.name in text
        book = load_workbook(io.BytesIO(exports_audit.paper_xlsx(paper, inspection, samples)))
        assert len(book.sheetnames) == 6
        assert book.worksheets[-1].max_row == 1 + len(samples)
