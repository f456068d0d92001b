"""Reading assessments: the scheme, the inputs (a draft's measured, frozen for a published
assessment), the scored and ranked table, a subject's breakdown with the records behind each
figure, and the ranking the city cockpit shows. The subjects are the districts or the
departments, as the assessment's `subject_kind` says; each kind has its scheme.

Who sees what (the door, `AssessmentQuerySet`): the city government and the Safety Committee
office every assessment, drafts included; every other government body and department the
published ones, with the whole ranking (score, grade, rank of every subject: rankings are
published to all); the breakdown of a subject's score and its evidence only the managers and
the governments whose area covers the district, or the department's region, and a department
its own (`may_drill`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from redline.assessment import measures
from redline.assessment.models import (
    Assessment,
    AssessmentEntry,
    AssessmentState,
    PeriodKind,
    SubjectKind,
)
from redline.core.errors import NotFound
from redline.core.filters import days_of
from redline.engines import assessment as engine
from redline.organisations.access import Scope, can, jurisdiction
from redline.organisations.models import Organisation, Region

DATA = Path(__file__).resolve().parent / "data"
CURRENT = "2026.1"  # the districts' current scheme
CURRENT_OF = {SubjectKind.DISTRICT: CURRENT, SubjectKind.DEPARTMENT: "2026.1-department"}

Subject = Region | Organisation


@lru_cache(maxsize=8)
def scheme_data(version: str = CURRENT) -> dict[str, Any]:
    """The scheme's data of this version (its file names the version inside)."""
    for path in sorted(DATA.glob("scheme-*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") == version:
            return dict(data)
    raise KeyError(version)


def scheme(version: str = CURRENT) -> engine.Scheme:
    return engine.scheme_from(scheme_data(version))


def plan_of(inputs: dict[str, Any], version: str) -> engine.Scheme:
    """The scheme to score these inputs with: the one frozen in them (a published
    assessment keeps the scheme's data it was published with, `scheme_data`), else the
    version's file (a draft, measured from the records)."""
    frozen = inputs.get("scheme_data")
    return engine.scheme_from(frozen) if frozen else scheme(version)


def item_labels(plan: engine.Scheme) -> dict[str, str]:
    """The names, in the reader's language, of the items the office enters (entered
    indicators, bonus items, vetoes), by their key."""
    found = {i.key: label(i.label) for i in plan.indicators if i.source == "entered"}
    found |= {b.key: label(b.label) for b in plan.bonuses}
    found |= {v.key: label(v.label) for v in plan.vetoes}
    return {key: name or key for key, name in found.items()}


def tier_path(path: str) -> str:
    """The region a department is ranked within: the city for the city's departments, the
    district for a district's (or one of its subdistricts'): the first two steps of the
    region's path ("/1/" stays "/1/"; "/1/4/" and "/1/4/17/" give "/1/4/")."""
    return "/" + "".join(f"{step}/" for step in path.strip("/").split("/")[:2])


def group_label(group: str, name: str) -> str:
    """A ranking group's heading: the city's departments, or a district's."""
    if not group:
        return ""
    if group.count("/") <= 2:
        return _("City departments")
    return _("Departments of %(district)s") % {"district": name}


def districts(user: Any) -> list[Region]:
    """The districts the user sees (the subjects of a district assessment)."""
    return measures.districts(user)


def subjects(user: Any, kind: str) -> list[Subject]:
    """The subjects of an assessment of this kind the user sees: districts or departments."""
    if kind == SubjectKind.DEPARTMENT:
        return list(measures.departments(user))
    return list(measures.districts(user))


def subject_path(subject: Subject) -> str:
    """The region path a subject answers for (a department: its own region's)."""
    return subject.path if isinstance(subject, Region) else subject.region.path


def versions(kind: str | None = None) -> list[str]:
    """The schemes' versions (of those that assess `kind`, if given)."""
    found = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(DATA.glob("scheme-*.json"))]
    return [
        d["version"]
        for d in found
        if kind is None or kind in d.get("subjects", [SubjectKind.DISTRICT, SubjectKind.DEPARTMENT])
    ]


def label(labels: Any) -> str:
    """A scheme label ({"en": ..., "zh": ...}) in the reader's language."""
    english = (get_language() or "").startswith("en")
    return str(labels.get("en" if english else "zh") or labels.get("en") or "")


# --- the records ----------------------------------------------------------------------------


def assessment_list(user: Any) -> QuerySet[Assessment]:
    return Assessment.objects.restrict(user).order_by("-year", "-period_index", "-created_at")


def assessment_get(user: Any, pk: Any) -> Assessment:
    found: Assessment = Assessment.objects.get_for(user, "view", pk=pk)
    return found


def manages(user: Any) -> bool:
    """The city government's and the Safety Committee office's managers (the door's
    "manage"): they create, enter and publish."""
    return can(user, "manage")


def _drills(scope: Scope, kind: str, key: Any, path: str) -> bool:
    if scope.everything or scope.covers_area(path):
        return True
    return kind == SubjectKind.DEPARTMENT and scope.organisation_id == int(key)


def may_drill(user: Any, subject: Subject | None) -> bool:
    """May the user open a subject's breakdown and its evidence? The managers (who see
    everything); a government whose area covers the district, or the department's region;
    a department its own."""
    if subject is None:
        return False
    kind = SubjectKind.DISTRICT if isinstance(subject, Region) else SubjectKind.DEPARTMENT
    return _drills(jurisdiction(user), kind, subject.pk, subject_path(subject))


def entries_of(user: Any, assessment: Assessment) -> list[AssessmentEntry]:
    """The entered items the user may read (their subjects' only, see `may_drill`)."""
    found = (
        AssessmentEntry.objects.restrict(user)
        .filter(assessment=assessment)
        .select_related("region", "organisation__region", "entered_by")
    )
    return [e for e in found if may_drill(user, e.subject)]


# --- inputs ---------------------------------------------------------------------------------


def live_inputs(
    user: Any, assessment: Assessment, measured: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The inputs: measured values per subject (district or department) and indicator, as
    the records stand now (or as `measured` took them, a draft's kept measurement), the
    office's entered items, bonuses and vetoes as they stand (what publishing freezes)."""
    plan = scheme(assessment.scheme_version)
    computed_on = timezone.localdate()
    if measured is None:
        measured = measures.measure(user, assessment)
    elif assessment.measured_at is not None:
        computed_on = timezone.localdate(assessment.measured_at)
    assessed = {str(r.pk): r for r in subjects(user, assessment.subject_kind)}
    groups: dict[str, str] = {}  # a department's ranking group (tier path) -> its name
    if assessment.subject_kind == SubjectKind.DEPARTMENT:
        tiers = {tier_path(subject_path(s)) for s in assessed.values()}
        groups = dict(
            Region.objects.restrict(user).filter(path__in=tiers).values_list("path", "name")
        )
    entries: dict[str, dict[str, AssessmentEntry]] = {}
    for found in AssessmentEntry.objects.restrict(user).filter(assessment=assessment):
        entries.setdefault(str(found.subject_id), {})[found.item] = found
    frozen: dict[str, Any] = {}
    for key, subject in assessed.items():
        own = entries.get(key, {})
        values = measured.get(key, {})
        indicator_inputs: dict[str, Any] = {}
        for ind in plan.indicators:
            if ind.source == "entered":
                mark = own.get(ind.key)
                indicator_inputs[ind.key] = (
                    {"points": float(mark.points)}
                    if mark is not None and mark.points is not None
                    else None
                )
            else:
                indicator_inputs[ind.key] = values.get(ind.measure)
        bonuses = {b.key: float(own[b.key].points or 0) for b in plan.bonuses if b.key in own}
        vetoes: dict[str, bool] = {}
        for veto in plan.vetoes:
            if veto.source == "entered":
                vetoes[veto.key] = bool(own[veto.key].triggered) if veto.key in own else False
            else:
                vetoes[veto.key] = bool((values.get(veto.measure) or {}).get("triggered"))
        frozen[key] = {
            "name": subject.name,
            "path": subject_path(subject),
            "measures": indicator_inputs,
            "bonuses": bonuses,
            "vetoes": vetoes,
        }
        if assessment.subject_kind == SubjectKind.DEPARTMENT:
            tier = tier_path(subject_path(subject))
            frozen[key] |= {"group": tier, "group_name": groups.get(tier, "")}
    return {
        "scheme": assessment.scheme_version,
        "scheme_data": scheme_data(assessment.scheme_version),
        "subject_kind": assessment.subject_kind,
        "computed_on": computed_on.isoformat(),
        "training_day": measures.training_day(assessment.end).isoformat(),
        "subjects": frozen,
    }


def inputs_of(user: Any, assessment: Assessment) -> dict[str, Any]:
    """A published assessment's frozen inputs; a draft's with the figures of its kept
    measurement (`services.assessment_measure`; measured now when it has none yet) and the
    entered items as they stand. Only the managers, who read the whole city, read a draft:
    the kept figures are what any of them would measure."""
    if assessment.is_published:
        return dict(assessment.inputs)
    kept = assessment.measured if assessment.measured_at is not None else None
    return live_inputs(user, assessment, kept)


def score(plan: engine.Scheme, inputs: dict[str, Any]) -> list[engine.Result]:
    """Every subject scored and ranked from the inputs alone (no record is read): the
    districts in one ranking; the departments within their group (`group`: the city's
    departments among themselves, each district's among themselves), the groups in the
    order of their regions' paths."""
    kind = str(inputs.get("subject_kind") or SubjectKind.DISTRICT)
    results = [
        engine.score_one(
            plan,
            key,
            kind,
            subject["measures"],
            bonuses=subject.get("bonuses"),
            vetoes=subject.get("vetoes"),
        )
        for key, subject in inputs.get("subjects", {}).items()
    ]
    groups = {key: str(s.get("group", "")) for key, s in inputs.get("subjects", {}).items()}
    return engine.ranked(results, groups)


# --- the table ------------------------------------------------------------------------------


@dataclass
class Row:
    subject_id: int  # the district's (Region) or the department's (Organisation) id
    name: str
    result: engine.Result
    previous: engine.Result | None = None
    drill: bool = False
    kind: str = SubjectKind.DISTRICT
    group_name: str = ""  # the region a department is ranked in ("" for a district)

    @property
    def region_id(self) -> int | None:
        """The district's id (None for a department)."""
        return self.subject_id if self.kind == SubjectKind.DISTRICT else None

    @property
    def change(self) -> float | None:
        if self.previous is None or self.previous.total is None or self.result.total is None:
            return None
        return round(self.result.total - self.previous.total, 2)

    @property
    def group(self) -> str:
        return self.result.group

    @property
    def group_label(self) -> str:
        return group_label(self.result.group, self.group_name)


@dataclass
class Group:
    """The rows ranked together: every district; the city's departments; a district's."""

    key: str
    label: str
    rows: list[Row]


@dataclass
class Table:
    assessment: Assessment
    scheme: engine.Scheme
    inputs: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    previous: Assessment | None = None

    @property
    def groups(self) -> list[Group]:
        """The rows by the group they are ranked in, in order."""
        out: list[Group] = []
        for row in self.rows:
            if not out or out[-1].key != row.group:
                out.append(Group(row.group, row.group_label, []))
            out[-1].rows.append(row)
        return out


def previous_of(user: Any, assessment: Assessment) -> Assessment | None:
    """The published assessment of the same period a year earlier, if the user sees one."""
    return (
        assessment_list(user)
        .filter(
            state=AssessmentState.PUBLISHED,
            subject_kind=assessment.subject_kind,
            year=assessment.year - 1,
            period_kind=assessment.period_kind,
            period_index=assessment.period_index,
        )
        .first()
    )


def table(user: Any, assessment: Assessment) -> Table:
    inputs = inputs_of(user, assessment)
    plan = plan_of(inputs, assessment.scheme_version)
    previous = previous_of(user, assessment)
    before: dict[str, engine.Result] = {}
    if previous is not None:
        earlier = plan_of(previous.inputs, previous.scheme_version)
        before = {r.subject: r for r in score(earlier, previous.inputs)}
    paths = {key: s["path"] for key, s in inputs["subjects"].items()}
    scope = jurisdiction(user)
    kind = assessment.subject_kind
    rows = [
        Row(
            subject_id=int(result.subject),
            name=inputs["subjects"][result.subject]["name"],
            result=result,
            previous=before.get(result.subject),
            drill=_drills(scope, kind, result.subject, paths[result.subject]),
            kind=kind,
            group_name=str(inputs["subjects"][result.subject].get("group_name", "")),
        )
        for result in score(plan, inputs)
    ]
    return Table(assessment, plan, inputs, rows, previous)


# --- a subject's breakdown ------------------------------------------------------------------


@dataclass
class Line:
    key: str
    family: str
    label: str
    kind: str
    source: str
    points: float
    max: float
    value: float | None
    measure: dict[str, Any] | None
    missing: bool
    empty: bool
    status: str
    basis: str
    records: str  # the list page of the records behind it ("" for an entered item)
    left_out: bool = False  # no records in its base, and the scheme leaves it out then


def records_url(
    measure: str,
    subject: Subject,
    assessment: Assessment,
    measured: dict[str, Any] | None = None,
) -> str:
    """The existing list page, with its filters, of the records behind a computed figure:
    a district's (`?region=`) or a department's (`?department=`: those in its competence,
    the door's filter for `access.department_competence`, within what the reader sees), of
    the period. The hazards' page lists exactly the hazards the two hazard figures count (the
    closure's base leaves out the dismissed ones), the training page the people of the units
    on the day judged, the accidents' page the accidents of the period and those of the veto
    (`serious`). A department's accident count and deaths against the control indicators
    are of the indicators' sectors and regions: the accident list's `indicator` filter, of
    the indicators the measure names (`measured`); a department's key tasks are those it
    owes (`?body=`). The hazards' closure base leaves out the dismissed ones: the ledger's
    `state=not_dismissed`."""
    if isinstance(subject, Organisation):
        where: dict[str, Any] = {"department": subject.pk}
        tasks: dict[str, Any] = {"body": subject.pk}
    else:
        where, tasks = {"region": subject.pk}, {}
    reported = where | days_of("reported", assessment.start, assessment.end)
    occurred = where | days_of("occurred", assessment.start, assessment.end)
    counted = occurred
    named = (measured or {}).get("indicators")
    if isinstance(subject, Organisation) and named:
        counted = {"indicator": ",".join(str(i) for i in named)} | days_of(
            "occurred", assessment.start, assessment.end
        )
    pages: dict[str, tuple[str, dict[str, Any]]] = {
        "hazards.closure": ("hazard-list", reported | {"state": "not_dismissed"}),
        "hazards.overdue": ("hazard-list", reported | {"overdue": 1}),
        "inspections.plan_completion": ("plan-list", {}),
        "committee.key_tasks": ("committee-tasks", tasks),
        "training.compliance": ("training-list", where | _judged_on(assessment)),
        "campaigns.progress": ("campaign-list", {}),
        "accidents.count": ("accident-list", counted),
        "accidents.deaths": ("accident-list", counted),
        "accidents.serious": ("accident-list", occurred | {"serious": 1}),
    }
    if measure not in pages:
        return ""
    name, query = pages[measure]
    return reverse(name) + (f"?{urlencode(query)}" if query else "")


def _judged_on(assessment: Assessment) -> dict[str, Any]:
    """The training list's query for an assessment's figure: the units with someone not
    compliant, on the day the figure judges (`measures.training_day`) when not today."""
    day = measures.training_day(assessment.end)
    return {"lacking": 1} | ({"on": day.isoformat()} if day != timezone.localdate() else {})


@dataclass
class Breakdown:
    assessment: Assessment
    subject: Subject
    result: engine.Result
    lines: list[Line]
    families: list[tuple[str, float, float]]  # label, points, max
    bonuses: list[tuple[str, float]]
    vetoes: list[tuple[str, bool, str, str]]  # label, held, status, records url
    entries: list[AssessmentEntry]
    evidence: list[tuple[AssessmentEntry, str]]  # the entries with their items' names
    group_label: str = ""  # the group it is ranked in (the city's departments, a district's)
    plan: engine.Scheme | None = None  # the scheme it was scored with


def named(
    entries: list[AssessmentEntry], labels: dict[str, str]
) -> list[tuple[AssessmentEntry, str]]:
    """Each entered item with the name of its item in the scheme (its key if the scheme
    no longer has it)."""
    return [(e, labels.get(e.item, e.item)) for e in entries]


def subject_get(user: Any, kind: str, pk: Any) -> Subject:
    """A district or a department through the door (NotFound if the user does not see it)."""
    if kind == SubjectKind.DEPARTMENT:
        found: Subject = Organisation.objects.select_related("region").get_for(user, pk=pk)
    else:
        found = Region.objects.get_for(user, pk=pk)
    return found


def breakdown(user: Any, assessment: Assessment, subject_id: Any) -> Breakdown:
    """One subject's score, point by point, with the records behind each computed figure:
    NotFound for a subject the user may not drill into (see `may_drill`)."""
    table_ = table(user, assessment)
    row = next((r for r in table_.rows if str(r.subject_id) == str(subject_id)), None)
    if row is None or not row.drill:
        raise NotFound()
    target = subject_get(user, assessment.subject_kind, row.subject_id)
    plan = table_.scheme
    subject = table_.inputs["subjects"][str(row.subject_id)]
    by_key = {line.key: line for line in row.result.lines}
    lines = []
    for ind in plan.indicators:
        got = by_key.get(ind.key)
        measure = subject["measures"].get(ind.key)
        if got is None:
            if assessment.subject_kind in ind.applies_to and engine.applies(measure):
                # counted out for an empty base (`when_empty`): shown, with why
                got = engine.Line(ind.key, ind.family, 0.0, 0.0, None, empty=True)
                left_out = True
            else:
                continue
        else:
            left_out = False
        lines.append(
            Line(
                key=ind.key,
                family=ind.family,
                label=label(ind.label),
                kind=ind.kind,
                source=ind.source,
                points=got.points,
                max=got.max,
                value=got.value,
                measure=measure,
                missing=got.missing,
                empty=got.empty,
                status=ind.status,
                basis=ind.basis,
                records=records_url(ind.measure, target, assessment, measure)
                if ind.measure
                else "",
                left_out=left_out,
            )
        )
    families = [
        (label(f.label), row.result.families.get(f.key, 0.0), sum(i.points for i in f.indicators))
        for f in plan.families
        if f.key in row.result.families
    ]
    bonuses = [(label(b.label), float(subject["bonuses"].get(b.key, 0))) for b in plan.bonuses]
    vetoes = [
        (
            label(v.label),
            v.key in row.result.vetoes,
            v.status,
            records_url(v.measure, target, assessment) if v.measure else "",
        )
        for v in plan.vetoes
        if assessment.subject_kind in v.applies_to
    ]
    entries = [e for e in entries_of(user, assessment) if e.subject_id == target.pk]
    evidence = named(entries, item_labels(plan))
    return Breakdown(
        assessment,
        target,
        row.result,
        lines,
        families,
        bonuses,
        vetoes,
        entries,
        evidence,
        row.group_label,
        plan,
    )


# --- for the city cockpit --------------------------------------------------------------------


def ranking(user: Any, year: int, kind: str = SubjectKind.DISTRICT) -> list[dict[str, Any]]:
    """The published annual ranking of the districts (or of the departments) for `year` the
    user sees (empty when there is none): one dict per subject, in the table's order (the
    departments by group, see `score`), with `rank`, `subject_id`, `subject`, `total`,
    `grade`, `grade_label`, `vetoed`, `assessable` (rank, total and grade are None for a
    subject not assessable), `group`, `group_label`, `city` (a city department's), `url`
    (the assessment page) and `record` (the subject's breakdown where the user may open it,
    else its row on the assessment page); for the districts also `region_id` and
    `region`."""
    found = (
        assessment_list(user)
        .filter(
            state=AssessmentState.PUBLISHED,
            subject_kind=kind,
            year=year,
            period_kind=PeriodKind.YEAR,
        )
        .first()
    )
    if found is None:
        return []
    plan = plan_of(found.inputs, found.scheme_version)
    url = reverse("assessment-detail", args=[found.pk])
    page = "assessment-department" if kind == SubjectKind.DEPARTMENT else "assessment-subject"
    scope = jurisdiction(user)
    out = []
    for result in score(plan, found.inputs):
        subject = found.inputs["subjects"][result.subject]
        drills = _drills(scope, kind, result.subject, subject["path"])
        row = {
            "rank": result.rank,
            "subject_id": int(result.subject),
            "subject": subject["name"],
            "total": result.total,
            "grade": result.grade,
            "grade_label": label(plan.band(result.grade).label) if result.grade else "",
            "vetoed": bool(result.vetoes),
            "assessable": result.assessable,
            "group": result.group,
            "group_label": group_label(result.group, str(subject.get("group_name", ""))),
            "city": bool(result.group) and result.group.count("/") <= 2,
            "url": url,
            "record": reverse(page, args=[found.pk, result.subject])
            if drills
            else f"{url}#subject-{result.subject}",
        }
        if kind == SubjectKind.DISTRICT:
            row |= {"region_id": int(result.subject), "region": subject["name"]}
        out.append(row)
    return out
