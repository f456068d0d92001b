"""The words of the Safety Committee's work: kinds of meeting, how often a key task's
progress is reported, where a key task stands."""

from __future__ import annotations

import calendar
import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class MeetingKind(models.TextChoices):
    PLENARY = "plenary", _("Plenary meeting")  # 全体会议 (about every half-year)
    LIAISON = "liaison", _("Liaison officers' meeting")  # 联络员会议 (about every quarter)
    SPECIAL = "special", _("Special meeting")  # 专题会议


class Cadence(models.TextChoices):
    """How often the lead department reports a key task's progress."""

    BIWEEKLY = "biweekly", _("Every two weeks")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it is shorter, and the last
    day again when `day` is the last of its month: month-end reports stay at month ends)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    at_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return dt.date(year, month, last if at_end else min(day.day, last))


def advance(day: dt.date, cadence: str) -> dt.date:
    """The report due one period after `day`."""
    if cadence == Cadence.BIWEEKLY:
        return day + dt.timedelta(days=14)
    return add_months(day, 3 if cadence == Cadence.QUARTERLY else 1)


def next_due(due: dt.date, cadence: str, today: dt.date) -> dt.date:
    """After a report that answers the period due on `due`: the first due date of the
    schedule after today (periods already past are answered by the late report)."""
    following = advance(due, cadence)
    while following <= today:
        following = advance(following, cadence)
    return following


class TaskState(models.TextChoices):
    DEPLOYED = "deployed", _("Deployed")
    IN_PROGRESS = "in_progress", pgettext_lazy("key task", "In progress")
    COMPLETION_REPORTED = "completion_reported", _("Completion reported, awaiting verification")
    VERIFIED = "verified", _("Verified and closed")
    CANCELLED = "cancelled", pgettext_lazy("key task", "Cancelled")

    @classmethod
    def open_states(cls) -> list[str]:
        return [cls.DEPLOYED, cls.IN_PROGRESS, cls.COMPLETION_REPORTED]

    @classmethod
    def reporting_states(cls) -> list[str]:
        """The states in which progress is reported on cadence (and the deadline runs)."""
        return [cls.DEPLOYED, cls.IN_PROGRESS]
