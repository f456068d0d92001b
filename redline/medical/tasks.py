"""Job functions of medical treatment capacity (idempotent; see redline.core.jobs)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from redline.core.jobs import Job
from redline.core.notify import notify, users_of
from redline.medical.evaluation import capacity_alerts_evaluate
from redline.medical.selectors import missing_reports
from redline.organisations.models import Organisation, Region
from redline.organisations.vocab import OrganisationKind, RegionLevel


def complete_day(now: dt.datetime) -> dt.date:
    """The latest day whose reports are due: today once REDLINE_CAPACITY_REPORT_HOUR has
    passed (local time), else yesterday."""
    local = timezone.localtime(now)
    today = local.date()
    if local.hour >= settings.REDLINE_CAPACITY_REPORT_HOUR:
        return today
    return today - dt.timedelta(days=1)


def evaluate_capacity_alerts(*, now: dt.datetime) -> dict[str, Any]:
    """Evaluate the latest complete day: every hospital again (repairs anything missed) and
    every district's and the city's hospitals together."""
    return capacity_alerts_evaluate(day=complete_day(now), now=now).as_dict()


def flag_missing_reports(*, now: dt.datetime) -> dict[str, Any]:
    """Once today's reports are due: remind each operating hospital and fever clinic that
    has not reported today, and tell each district's public-health bodies which of theirs
    are missing. Each notification goes once a day, however often the job runs."""
    local = timezone.localtime(now)
    if local.hour < settings.REDLINE_CAPACITY_REPORT_HOUR:
        return {"day": local.date().isoformat(), "missing": 0, "notified": 0, "due": False}
    day = local.date()
    missing = list(missing_reports(day).select_related("region"))
    users: dict[int, list[Any]] = defaultdict(list)
    for user in get_user_model().objects.filter(
        organisation__enterprise_id__in=[u.pk for u in missing], is_active=True
    ):
        if user.organisation is not None and user.organisation.enterprise_id is not None:
            users[user.organisation.enterprise_id].append(user)
    notified = 0
    url = reverse("medical-report")
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Today's capacity report is due (by %(hour)s:00)") % {
            "hour": settings.REDLINE_CAPACITY_REPORT_HOUR
        }
        for unit in missing:
            notified += len(
                notify(
                    users.get(unit.pk, []),
                    key=f"capacity-missing:{unit.pk}:{day.isoformat()}",
                    subject=subject,
                    body=unit.name,
                    url=url,
                )
            )
        notified += _tell_districts(missing, day)
    return {"day": day.isoformat(), "missing": len(missing), "notified": notified, "due": True}


def _tell_districts(missing: list[Any], day: dt.date) -> int:
    """Each district's public-health bodies get one list of their missing units."""
    if not missing:
        return 0
    paths = {r.pk: r.path for r in Region.objects.filter(level=RegionLevel.DISTRICT)}
    by_district: dict[int, list[str]] = defaultdict(list)
    for unit in missing:
        for district_id, path in paths.items():
            if unit.region.path.startswith(path):
                by_district[district_id].append(unit.name)
    sent = 0
    bodies = Organisation.objects.filter(
        kind=OrganisationKind.PUBLIC_HEALTH, region_id__in=list(by_district), is_archived=False
    )
    for body in bodies:
        names = sorted(by_district[body.region_id])
        sent += len(
            notify(
                users_of([body.pk]),
                key=f"capacity-missing-list:{body.pk}:{day.isoformat()}",
                subject=_("Units without today's capacity report: %(n)d") % {"n": len(names)},
                body="\n".join(names),
                url=f"{reverse('medical-regional')}?region={body.region_id}&day={day.isoformat()}",
            )
        )
    return sent


PERIODIC_JOBS = [
    Job("capacity-alerts", dt.timedelta(hours=1), evaluate_capacity_alerts),
    Job("capacity-missing-reports", dt.timedelta(minutes=30), flag_missing_reports),
]
