"""Vocabularies of the dual-prevention data model (危险化学品企业双重预防机制数字化 codes)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RiskLevel(models.IntegerChoices):
    MAJOR = 1, _("Major risk (red)")
    LARGE = 2, _("Large risk (orange)")
    GENERAL = 3, _("General risk (yellow)")
    LOW = 4, _("Low risk (blue)")


LEVEL_COLOURS = {1: "#e63031", 2: "#f48400", 3: "#f1dd00", 4: "#00b0f0"}
LEVEL_CSS = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}


class Method(models.TextChoices):
    LEC = "LEC", _("LEC (D = L × E × C)")
    LS = "LS", _("Risk matrix (R = L × S)")
    MES = "MES", _("MES (R = M × E × S)")


class ObjectKind(models.TextChoices):
    MAJOR_HAZARD = "mhi", _("Major hazard installation")
    PRODUCTION_UNIT = "unit", _("Production unit / installation")
    AREA = "area", _("Workplace / area")
    ACTIVITY = "activity", _("Operation / activity")


class MeasureClass(models.TextChoices):
    ENGINEERING = "1", _("Engineering")
    MAINTENANCE = "2", _("Maintenance")
    OPERATION = "3", _("Operation")
    EMERGENCY = "4", _("Emergency")


class MeasureSubclass(models.TextChoices):
    PROCESS_CONTROL = "1-1", _("Process control")
    KEY_EQUIPMENT = "1-2", _("Key equipment / parts")
    SAFETY_ACCESSORIES = "1-3", _("Safety accessories")
    SAFETY_INSTRUMENTS = "1-4", _("Safety instrumented systems")
    ENGINEERING_OTHER = "1-5", pgettext_lazy("engineering", "Other")
    ROTATING = "2-1", _("Rotating equipment")
    STATIC = "2-2", _("Static equipment")
    MAINTENANCE_OTHER = "2-3", pgettext_lazy("maintenance", "Other")
    QUALIFICATIONS = "3-1", _("Personnel qualifications")
    RECORDS = "3-2", _("Operating records")
    HANDOVER = "3-3", _("Shift handover")
    OPERATION_OTHER = "3-4", pgettext_lazy("operation", "Other")
    EMERGENCY_FACILITIES = "4-1", _("Emergency facilities")
    PPE = "4-2", _("Personal protection")
    FIRE_FACILITIES = "4-3", _("Fire-fighting facilities")
    EMERGENCY_PLANS = "4-4", _("Emergency plans")
    EMERGENCY_OTHER = "4-5", pgettext_lazy("emergency", "Other")


class ControlMode(models.TextChoices):
    MONITORING = "monitoring", _("Automated monitoring")
    INSPECTION = "inspection", _("Hidden-hazard inspection")


class ManagementLevel(models.TextChoices):
    COMPANY = "company", _("Company")
    WORKSHOP = "workshop", _("Workshop / department")
    TEAM = "team", _("Team")
    POST = "post", _("Post")


class CycleUnit(models.TextChoices):
    HOUR = "hour", _("hour")
    DAY = "day", _("day")
    MONTH = "month", _("month")
    YEAR = "year", _("year")


class DayType(models.TextChoices):
    EVERY_DAY = "every", _("Every day")
    WORKING_DAYS = "working", _("Working days")
    NON_WORKING_DAYS = "non_working", _("Non-working days")


class TaskType(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    PRINCIPAL = "principal", _("Principal responsible person")
    TECHNICAL = "technical", _("Technical responsible person")
    OPERATING = "operating", _("Operating responsible person")


# Items of the package-responsibility task lists (包保责任人隐患排查任务清单).
TASK_ITEMS: dict[str, int] = {TaskType.PRINCIPAL: 9, TaskType.TECHNICAL: 9, TaskType.OPERATING: 10}
