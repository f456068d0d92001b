"""Reading assessments: the scheme, the inputs (live for a draft, frozen for a published
assessment), the scored and ranked table, a district's breakdown with the records behind each
figure, and the ranking the city cockpit shows.

Who sees what (the door, `AssessmentQuerySet`): the city government and the Safety Committee
office every assessment, drafts included; every other government body and department the
published ones, with the whole ranking (score, grade, rank of every district: rankings are
published to all); the breakdown of a district's score and its evidence only the managers and
the governments whose area covers the district (`may_drill`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from redline.assessment import measures
from redline.assessment.models import Assessment, AssessmentEntry, AssessmentState, PeriodKind
from redline.core.errors import NotFound
from redline.engines import assessment as engine
from redline.organisations.access import can, jurisdiction
from redline.organisations.models import Region

DATA = Path(__file__).resolve().parent / "data"
CURRENT = "2026.1"


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


def districts(user: Any) -> list[Region]:
    """The districts the user sees (the subjects of a district assessment)."""
    return measures.districts(user)


def versions() -> list[str]:
    return [
        json.loads(p.read_text(encoding="utf-8"))["version"]
        for p in sorted(DATA.glob("scheme-*.json"))
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


def may_drill(user: Any, region: Region) -> bool:
    """May the user open a district's breakdown and its evidence? The managers (who see
    everything) and a government whose area covers the district."""
    scope = jurisdiction(user)
    return bool(scope.everything or scope.covers_area(region.path))


def entries_of(user: Any, assessment: Assessment) -> list[AssessmentEntry]:
    """The entered items the user may read (their districts' only, see `may_drill`)."""
    found = (
        AssessmentEntry.objects.restrict(user)
        .filter(assessment=assessment)
        .select_related("region", "entered_by")
    )
    return [e for e in found if may_drill(user, e.region)]


# --- inputs ---------------------------------------------------------------------------------


def live_inputs(user: Any, assessment: Assessment) -> dict[str, Any]:
    """The inputs as the records stand now: measured values per district and indicator, the
    office's entered items, bonuses and vetoes (what publishing freezes)."""
    plan = scheme(assessment.scheme_version)
    measured = measures.measure(user, assessment)
    regions = {str(r.pk): r for r in measures.districts(user)}
    entries: dict[str, dict[str, AssessmentEntry]] = {}
    for found in AssessmentEntry.objects.restrict(user).filter(assessment=assessment):
        entries.setdefault(str(found.region_id), {})[found.item] = found
    subjects: dict[str, Any] = {}
    for key, region in regions.items():
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
        subjects[key] = {
            "name": region.name,
            "path": region.path,
            "measures": indicator_inputs,
            "bonuses": bonuses,
            "vetoes": vetoes,
        }
    return {
        "scheme": assessment.scheme_version,
        "computed_on": timezone.localdate().isoformat(),
        "training_day": measures.training_day(assessment.end).isoformat(),
        "subjects": subjects,
    }


def inputs_of(user: Any, assessment: Assessment) -> dict[str, Any]:
    """A published assessment's frozen inputs; a draft's live ones."""
    if assessment.is_published:
        return dict(assessment.inputs)
    return live_inputs(user, assessment)


def score(plan: engine.Scheme, inputs: dict[str, Any]) -> list[engine.Result]:
    """Every subject scored and ranked from the inputs alone (no record is read)."""
    results = [
        engine.score_one(
            plan,
            key,
            "district",
            subject["measures"],
            bonuses=subject.get("bonuses"),
            vetoes=subject.get("vetoes"),
        )
        for key, subject in inputs.get("subjects", {}).items()
    ]
    return engine.ranked(results)


# --- the table ------------------------------------------------------------------------------


@dataclass
class Row:
    region_id: int
    name: str
    result: engine.Result
    previous: engine.Result | None = None
    drill: bool = False

    @property
    def change(self) -> float | None:
        if self.previous is None:
            return None
        return round(self.result.total - self.previous.total, 2)


@dataclass
class Table:
    assessment: Assessment
    scheme: engine.Scheme
    inputs: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    previous: Assessment | None = None


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
    plan = scheme(assessment.scheme_version)
    inputs = inputs_of(user, assessment)
    previous = previous_of(user, assessment)
    before: dict[str, engine.Result] = {}
    if previous is not None:
        before = {r.subject: r for r in score(scheme(previous.scheme_version), previous.inputs)}
    paths = {key: s["path"] for key, s in inputs["subjects"].items()}
    scope = jurisdiction(user)
    rows = [
        Row(
            region_id=int(result.subject),
            name=inputs["subjects"][result.subject]["name"],
            result=result,
            previous=before.get(result.subject),
            drill=bool(scope.everything or scope.covers_area(paths[result.subject])),
        )
        for result in score(plan, inputs)
    ]
    return Table(assessment, plan, inputs, rows, previous)


# --- a district's breakdown ------------------------------------------------------------------


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


def records_url(measure: str, region: Region, assessment: Assessment) -> str:
    """The existing list page (with its filters) of the records behind a computed figure."""
    region_q = f"?region={region.pk}"
    return {
        "hazards.closure": reverse("hazard-list") + region_q,
        "hazards.overdue": reverse("hazard-list") + region_q + "&overdue=1",
        "inspections.plan_completion": reverse("plan-list"),
        "committee.key_tasks": reverse("committee-tasks"),
        "training.compliance": reverse("training-list") + region_q + "&lacking=1",
        "campaigns.progress": reverse("campaign-list"),
        "accidents.count": reverse("accident-list") + region_q + f"&year={assessment.year}",
        "accidents.deaths": reverse("accident-list") + region_q + f"&year={assessment.year}",
        "accidents.serious": reverse("accident-list")
        + region_q
        + f"&year={assessment.year}&level=serious",
    }.get(measure, "")


@dataclass
class Breakdown:
    assessment: Assessment
    region: Region
    result: engine.Result
    lines: list[Line]
    families: list[tuple[str, float, float]]  # label, points, max
    bonuses: list[tuple[str, float]]
    vetoes: list[tuple[str, bool, str, str]]  # label, held, status, records url
    entries: list[AssessmentEntry]


def breakdown(user: Any, assessment: Assessment, region_id: Any) -> Breakdown:
    """One district's score, point by point, with the records behind each computed figure:
    NotFound for a district the user may not drill into (see `may_drill`)."""
    table_ = table(user, assessment)
    row = next((r for r in table_.rows if str(r.region_id) == str(region_id)), None)
    if row is None or not row.drill:
        raise NotFound()
    region = Region.objects.restrict(user).get(pk=row.region_id)
    plan = table_.scheme
    subject = table_.inputs["subjects"][str(row.region_id)]
    by_key = {line.key: line for line in row.result.lines}
    lines = []
    for ind in plan.indicators:
        got = by_key.get(ind.key)
        if got is None:
            continue
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
                measure=subject["measures"].get(ind.key),
                missing=got.missing,
                empty=got.empty,
                status=ind.status,
                basis=ind.basis,
                records=records_url(ind.measure, region, assessment) if ind.measure else "",
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
            records_url(v.measure, region, assessment) if v.measure else "",
        )
        for v in plan.vetoes
        if "district" in v.applies_to
    ]
    entries = [e for e in entries_of(user, assessment) if e.region_id == region.pk]
    return Breakdown(assessment, region, row.result, lines, families, bonuses, vetoes, entries)


# --- for the city cockpit --------------------------------------------------------------------


def ranking(user: Any, year: int) -> list[dict[str, Any]]:
    """The published annual ranking of the districts for `year` the user sees (empty when
    there is none): one dict per district, best first, with `rank`, `region_id`, `region`,
    `total`, `grade`, `grade_label`, `vetoed` and `url` (the assessment page)."""
    found = (
        assessment_list(user)
        .filter(state=AssessmentState.PUBLISHED, year=year, period_kind=PeriodKind.YEAR)
        .first()
    )
    if found is None:
        return []
    plan = scheme(found.scheme_version)
    url = reverse("assessment-detail", args=[found.pk])
    out = []
    for result in score(plan, found.inputs):
        subject = found.inputs["subjects"][result.subject]
        out.append(
            {
                "rank": result.rank,
                "region_id": int(result.subject),
                "region": subject["name"],
                "total": result.total,
                "grade": result.grade,
                "grade_label": label(plan.band(result.grade).label),
                "vetoed": bool(result.vetoes),
                "url": url,
            }
        )
    return out
