"""The "run detection now" form round-trips in both languages: the day it shows is one the
browser's date picker accepts (ISO), and posting what it shows runs detection for that day."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from redline.conftest import login
from redline.core import jobs
from redline.core.models import JobRun
from redline.epidemic.forms_signals import RunForm
from redline.epidemic.models import DetectionRun
from redline.epidemic.tests.signal_data import add_cdc, at

D = dt.date(2026, 12, 4)
NOW = at(D + dt.timedelta(days=1), 9)
RUN_FORM = re.compile(r'<form[^>]*id="run-now".*?</form>', re.S)
DAY_INPUT = re.compile(r'<input[^>]*name="day"[^>]*>')
VALUE = re.compile(r'\svalue="([^"]*)"')


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_run_form_renders_a_day_it_accepts_back(language):
    with translation.override(language):
        html = str(RunForm(initial={"day": D})["day"])
        assert 'type="date"' in html
        shown = VALUE.search(html).group(1)
        assert shown == "2026-12-04"
        posted = RunForm({"day": shown})
        assert posted.is_valid(), posted.errors
        assert posted.cleaned_data["day"] == D


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_posting_the_dashboards_run_form_as_shown_runs_that_day(client, world, language):
    add_cdc(world, "cdc_city", "C")
    login(client, "cdc_city-manager")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("epidemic:dashboard")).content.decode()
        form = RUN_FORM.search(page)
        assert form, "no run-now form"
        day_input = DAY_INPUT.search(form.group(0)).group(0)
        assert 'type="date"' in day_input
        shown = VALUE.search(day_input).group(1)
        assert shown == D.isoformat()  # the scheduled day: yesterday
        answer = client.post(reverse("epidemic:run-now"), {"day": shown}, follow=True)
        assert answer.status_code == 200
        assert 'id="job-status"' in answer.content.decode()  # the run's page, at once
        assert not DetectionRun.objects.exists()
        assert jobs.run_pending() == 1  # the jobs process
    asked = JobRun.objects.get()
    assert asked.state == "done", asked.error
    assert asked.summary["detection_run"] == DetectionRun.objects.get().pk
    run = DetectionRun.objects.get()
    assert run.day == D and run.requested_by.username == "cdc_city-manager"
