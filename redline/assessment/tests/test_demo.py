"""The demo's assessments, of the districts and of the departments: last year's published
with its inputs frozen and a spread of scores and grades, this year's a draft; after the
accidents and training steps."""

from __future__ import annotations

import pytest
from django.utils import timezone

from redline.accidents.demo import build_accidents
from redline.assessment import selectors
from redline.assessment.demo import build_assessment
from redline.assessment.models import Assessment, AssessmentEntry
from redline.organisations import demo
from redline.training.demo import build_training

pytestmark = pytest.mark.django_db


def test_the_demo_publishes_last_year_and_drafts_this_year(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    steps = demo.STEPS
    assert steps.index(build_assessment) > steps.index(build_accidents)
    assert steps.index(build_assessment) > steps.index(build_training)
    demo.build_city(
        seed=1,
        scale="small",
        progress=lambda m: None,
        steps=[build_training, build_accidents, build_assessment],
    )
    year = timezone.localdate().year
    for kind in ("district", "department"):
        published = Assessment.objects.get(year=year - 1, state="published", subject_kind=kind)
        assert Assessment.objects.get(year=year, state="draft", subject_kind=kind)
        subjects = published.inputs["subjects"]
        assert len(subjects) >= 3
        assert AssessmentEntry.objects.filter(assessment=published).exists()
        plan = selectors.plan_of(published.inputs, published.scheme_version)
        results = selectors.score(plan, published.inputs)
        totals = [r.total for r in results if r.total is not None]
        assert max(totals) - min(totals) >= 1  # a spread, not one score for all
    district = Assessment.objects.get(year=year - 1, subject_kind="district")
    # the accident indicators had ceilings to compare with
    assert all(
        s["measures"]["death_count"]["ceiling"] is not None
        for s in district.inputs["subjects"].values()
    )
    # the departments over a sector with a control indicator are measured against it
    department = Assessment.objects.get(year=year - 1, subject_kind="department")
    assert department.scheme_version == selectors.CURRENT_OF["department"]
    deaths = [s["measures"]["death_count"] for s in department.inputs["subjects"].values()]
    assert any(d.get("ceiling") is not None for d in deaths)
    # a department with no records (nothing to measure) is not rated, so not ranked first:
    # each group (the city's departments, each district's) is ranked apart, the unrated last
    plan = selectors.plan_of(department.inputs, department.scheme_version)
    results = selectors.score(plan, department.inputs)
    subjects = department.inputs["subjects"]
    assert all(s["group"] and s["group_name"] for s in subjects.values())
    groups: dict[str, list] = {}
    for result in results:
        groups.setdefault(result.group, []).append(result)
    assert len(groups) >= 2  # the city's departments and at least one district's
    idle = {key for key, s in subjects.items() if idle_department(plan, s)}
    assert idle, "the demo has departments with nothing to assess"
    for members in groups.values():
        ranks = [r.rank for r in members]
        rated = [r for r in ranks if r is not None]
        assert rated and rated[0] == 1 and rated == sorted(rated)
        assert ranks[: len(rated)] == rated  # the unrated come after the ranked
        assert members[0].subject not in idle
    for result in results:
        assert (result.subject in idle) == (not result.assessable)


def idle_department(plan, subject: dict) -> bool:
    """No records behind any computed figure: every rate's base empty, no control indicator
    over its sectors, no serious accident."""
    computed = [i.key for i in plan.indicators if i.source == "computed"]
    return not any(subject["vetoes"].values()) and all(
        (subject["measures"].get(key) or {}).get("applies") is False
        or (subject["measures"].get(key) or {}).get("den") == 0
        for key in computed
    )
