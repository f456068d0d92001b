"""Vocabularies of hidden-hazard governance, coded as the dual-prevention reporting
interface codes them (dangerSrc, hazardDangerType, managementClassification, checkStatus)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class HazardLevel(models.TextChoices):
    GENERAL = "general", _("General hidden hazard")
    MAJOR = "major", _("Major hidden hazard")


class HazardSource(models.TextChoices):
    # Enterprise self-inspection (dangerSrc 1-9), then the other channels.
    DAILY = "daily", _("Daily inspection")
    COMPREHENSIVE = "comprehensive", _("Comprehensive inspection")
    SPECIALISED = "specialised", _("Specialised inspection")
    SEASONAL = "seasonal", _("Seasonal inspection")
    PRE_HOLIDAY = "pre_holiday", _("Inspection before key periods and holidays")
    ACCIDENT_ANALOGY = "analogy", _("Accident-analogy inspection")
    PRE_RESTART = "pre_restart", _("Inspection before restart")
    EXPERT = "expert", _("External expert diagnosis")
    MEASURE_FAILURE = "measure_failure", _("Control measure failed")
    GOVERNMENT = "government", _("Government inspection")
    PUBLIC = "public", _("Public report")
    API = "api", _("Submitted through the API")
    OTHER = "other", pgettext_lazy("hazard source", "Other")

    @classmethod
    def self_inspection(cls) -> list[str]:
        return [
            cls.DAILY,
            cls.COMPREHENSIVE,
            cls.SPECIALISED,
            cls.SEASONAL,
            cls.PRE_HOLIDAY,
            cls.ACCIDENT_ANALOGY,
            cls.PRE_RESTART,
            cls.EXPERT,
            cls.MEASURE_FAILURE,
            cls.OTHER,
        ]


class HazardType(models.TextChoices):
    SAFETY = "safety", _("Safety")
    PROCESS = "process", _("Process")
    ELECTRICAL = "electrical", _("Electrical")
    INSTRUMENT = "instrument", _("Instrument")
    FIRE = "fire", _("Fire")
    LAYOUT = "layout", _("General layout")
    EQUIPMENT = "equipment", _("Equipment")
    OTHER = "other", pgettext_lazy("hazard type", "Other")


class Classification(models.TextChoices):
    UNSAFE_ACT = "act", _("Unsafe act of people")
    UNSAFE_CONDITION = "condition", _("Unsafe condition of things")
    MANAGEMENT_DEFECT = "management", _("Management defect")


class HazardState(models.TextChoices):
    REPORTED = "reported", _("Reported")
    RECTIFYING = "rectifying", _("Being rectified")
    AWAITING_ACCEPTANCE = "awaiting", _("Awaiting acceptance")
    AWAITING_SIGNOFF = "signoff", _("Accepted, awaiting department sign-off")
    CLOSED = "closed", _("Accepted and closed")
    DISMISSED = "dismissed", _("Dismissed")

    @classmethod
    def open_states(cls) -> list[str]:
        return [cls.REPORTED, cls.RECTIFYING, cls.AWAITING_ACCEPTANCE, cls.AWAITING_SIGNOFF]


class SupervisionLevel(models.TextChoices):
    """Who lists a major hazard for supervision (挂牌督办): the level of government whose
    listing it is. A body lists at its own level or below."""

    CITY = "city", _("City-level listed supervision")
    DISTRICT = "district", _("District / county-level listed supervision")
    SUBDISTRICT = "subdistrict", _("Subdistrict / town-level listed supervision")

    @classmethod
    def rank(cls, level: str) -> int:
        """Higher is higher: city 3, district 2, subdistrict 1 (anything else 0)."""
        ranks = {cls.CITY.value: 3, cls.DISTRICT.value: 2, cls.SUBDISTRICT.value: 1}
        return ranks.get(str(level), 0)


class ManageType(models.TextChoices):
    ON_THE_SPOT = "spot", _("Rectified on the spot")
    BY_DEADLINE = "deadline", _("Rectify by a deadline")


class TaskResult(models.TextChoices):
    NORMAL = "normal", _("Normal")
    HAZARD = "hazard", _("Hidden hazard found")
    NOT_INSPECTED = "not_inspected", _("Not inspected")
    OTHER = "other", pgettext_lazy("inspection result", "Other")


class TaskStatus(models.TextChoices):
    """A task's status as read at a moment (computed, never stored)."""

    UPCOMING = "upcoming", _("Upcoming")
    DUE = "due", _("Due")
    MISSED = "missed", _("Missed")
    DONE = "done", _("Done")
    DONE_LATE = "late", _("Done late")


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Statutory holiday")
    WORKING = "working", _("Working day (swapped)")


# The reporting interface's numeric codes, for exports to the provincial platform.
SOURCE_CODES = {
    HazardSource.DAILY: 1,
    HazardSource.COMPREHENSIVE: 2,
    HazardSource.SPECIALISED: 3,
    HazardSource.SEASONAL: 4,
    HazardSource.PRE_HOLIDAY: 5,
    HazardSource.ACCIDENT_ANALOGY: 6,
    HazardSource.PRE_RESTART: 7,
    HazardSource.EXPERT: 8,
    HazardSource.MEASURE_FAILURE: 9,
}
