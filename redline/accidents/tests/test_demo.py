"""The demo's accidents: several years, levels spread as statistics are (most general, at
most one serious, none particularly serious), closed investigations in past years, this
year's control indicators."""

from __future__ import annotations

import pytest
from django.utils import timezone

from redline.accidents.deadlines import accident_deadline_sweep
from redline.accidents.demo import build_accidents
from redline.accidents.models import Accident, ControlIndicator
from redline.accidents.vocab import AccidentState, Level
from redline.organisations import demo

pytestmark = pytest.mark.django_db


def test_the_demo_records_years_of_accidents_and_this_years_indicators(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    demo.build_city(seed=1, scale="small", progress=lambda m: None, steps=[build_accidents])
    accidents = list(Accident.objects.all())
    years = {a.occurred_at.year for a in accidents}
    today = timezone.localdate()
    assert years == set(range(today.year - 3, today.year + 1))
    levels = [a.level for a in accidents]
    assert levels.count(Level.GENERAL) / len(levels) > 0.85
    assert levels.count(Level.SERIOUS) <= 1 and Level.PARTICULARLY_SERIOUS not in levels
    assert Level.LARGER in levels
    assert any(a.unit_id is None for a in accidents) and any(a.unit_id for a in accidents)
    past = [a for a in accidents if a.occurred_at.year < today.year - 1]
    assert all(a.state == AccidentState.CLOSED for a in past)
    assert Accident.objects.filter(
        state__in=AccidentState.open_states(), investigation_overdue_since__isnull=False
    ).exists()
    assert accident_deadline_sweep()["investigation_overdue"] == 0  # flagged once
    indicators = ControlIndicator.objects.filter(year=today.year)
    assert indicators.filter(sector="").count() == 1 + 3  # the city and its districts
    assert indicators.exclude(sector="").count() == 3
