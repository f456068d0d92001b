"""Vocabularies of medical treatment capacity: the metrics thresholds watch, alert levels and
states, how a threshold compares, and where a report came from."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from redline.organisations.vocab import UnitKind

# The kinds of unit that report their treatment capacity.
HEALTH_UNIT_KINDS: tuple[str, ...] = tuple(UnitKind.health_care())

# The figures of a daily report, in the order forms, exports and the API show them.
REPORT_FIELDS: tuple[str, ...] = (
    "beds",
    "beds_occupied",
    "icu_beds",
    "icu_occupied",
    "icu_convertible",
    "ventilators",
    "ventilators_in_use",
    "fever_clinic_visits",
    "staff_on_roster",
    "staff_absent",
)


class Metric(models.TextChoices):
    """What a threshold watches. Every value is a percentage (see `metrics.py`)."""

    BED_OCCUPANCY = "bed_occupancy", _("Bed occupancy")
    ICU_OCCUPANCY = "icu_occupancy", _("ICU occupancy")
    VENTILATOR_USE = "ventilator_use", _("Ventilators in use")
    STAFF_ABSENCE = "staff_absence", _("Staff absence")
    FEVER_VISITS = "fever_visits", _("Fever clinic visits against the 28-day baseline")
    ICU_SHARE = "icu_share", _("ICU beds as a share of all beds")
    CRITICAL_CARE_SHARE = (
        "critical_care_share",
        _("ICU and convertible ICU beds as a share of all beds"),
    )


class Scope(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital")
    REGION = "region", _("Region")


class Level(models.TextChoices):
    WARNING = "warning", _("Warning")
    ALERT = "alert", pgettext_lazy("capacity level", "Alert")


# Higher is worse: an alert may escalate from warning to alert, never back down.
LEVEL_RANK: dict[str, int] = {Level.WARNING: 1, Level.ALERT: 2}


class Comparison(models.TextChoices):
    GTE = "gte", "≥"
    GT = "gt", ">"
    LTE = "lte", "≤"
    LT = "lt", "<"


class AlertState(models.TextChoices):
    OPEN = "open", pgettext_lazy("capacity alert", "Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", pgettext_lazy("capacity alert", "Closed")

    @classmethod
    def active(cls) -> list[str]:
        return [cls.OPEN, cls.ACKNOWLEDGED]


class ReportSource(models.TextChoices):
    FORM = "form", _("Entered in the form")
    API = "api", _("Posted through the API")
    DEMO = "demo", _("Demo data")
