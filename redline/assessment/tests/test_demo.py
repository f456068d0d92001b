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
        results = selectors.score(selectors.scheme(published.scheme_version), published.inputs)
        totals = [r.total for r in results]
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
