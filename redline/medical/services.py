"""Writes of medical treatment capacity: a hospital's daily report (idempotent, a correction
is a new version), loading the shipped thresholds, and the health authority's steps on a
capacity alert. The evaluation that raises and closes alerts is `evaluation.py`
(`capacity_alerts_evaluate`, re-exported here).

Every write: the actor must see the hospital or alert (404) and be allowed the step (403);
values are validated, each bad one named (422); a stale version answers 409 and changes
nothing; every change is in the change log; notifications leave after the commit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from redline.core import audit
from redline.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from redline.core.inputs import Input
from redline.core.workflow import take_step
from redline.medical import thresholds as shipped_thresholds
from redline.medical.evaluation import capacity_alerts_evaluate
from redline.medical.models import (
    CapacityAlert,
    CapacityReport,
    CapacityThreshold,
)
from redline.medical.vocab import HEALTH_UNIT_KINDS, REPORT_FIELDS, ReportSource
from redline.medical.workflow import MACHINE
from redline.organisations.models import Enterprise

if TYPE_CHECKING:
    from redline.accounts.models import User

__all__ = [
    "CapacityReportInput",
    "capacity_alert_transition",
    "capacity_alerts_evaluate",
    "capacity_report_submit",
    "capacity_thresholds_load",
]

# A sanity bound: no unit has a million beds, visits or staff; a larger number is a typo.
MAX_FIGURE = 1_000_000
NOTE_LENGTH = 500


# --- the daily report ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class CapacityReportInput(Input):
    """A hospital's daily report as an edge read it: the day, every figure a whole number,
    the note, and `version`, the version of the day's report the reporter saw (0: none yet;
    None: whatever is current). The hospital comes as a record or an id (None: the actor's
    own unit); either way the service finds it through the door. Whether the figures are in
    range and agree with each other, and whether the day is past, is the service's."""

    hospital: Enterprise | int | None = None
    day: dt.date
    beds: int
    beds_occupied: int
    icu_beds: int
    icu_occupied: int
    icu_convertible: int
    ventilators: int
    ventilators_in_use: int
    fever_clinic_visits: int
    staff_on_roster: int
    staff_absent: int
    note: str = ""
    version: int | None = None

    @property
    def figures(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in REPORT_FIELDS}

    @property
    def hospital_id(self) -> int | None:
        return self.hospital.pk if isinstance(self.hospital, Enterprise) else self.hospital


def _hospital(actor: User, data: CapacityReportInput) -> Enterprise:
    """The unit reported for: the one named, else the actor's own unit."""
    value = data.hospital_id
    if value is None:
        value = actor.organisation.enterprise_id if actor.organisation else None
        if value is None:
            raise ValidationFailed(fields={"hospital": _("This field is required.")})
    try:
        hospital = Enterprise.objects.select_related("region").get_for(
            actor, "report_capacity", pk=value
        )
    except NotFound:
        raise NotFound(_("No such hospital in your jurisdiction.")) from None
    except PermissionDenied:
        raise PermissionDenied(
            _("Only the hospital's own operators and managers submit its daily report.")
        ) from None
    if hospital.kind not in HEALTH_UNIT_KINDS:
        raise ValidationFailed(
            fields={"hospital": _("Only hospitals and fever clinics report treatment capacity.")}
        )
    if hospital.is_archived:
        raise ValidationFailed(fields={"hospital": _("This unit is archived.")})
    return hospital


def _day(data: CapacityReportInput, today: dt.date) -> dt.date:
    if data.day > today:
        raise ValidationFailed(fields={"day": _("The day cannot be in the future.")})
    return data.day


def _figures(data: CapacityReportInput) -> dict[str, int]:
    """Every figure from 0 to MAX_FIGURE, then the checks between them; every bad field is
    named at once."""
    figures: dict[str, int] = {}
    errors: dict[str, str] = {}
    for name, number in data.figures.items():
        if number < 0:
            errors[name] = _("Give a number of 0 or more.")
        elif number > MAX_FIGURE:
            errors[name] = _("At most %(n)s.") % {"n": f"{MAX_FIGURE:,}"}
        else:
            figures[name] = number
    pairs = [
        ("beds_occupied", "beds", _("Occupied beds (%(part)s) cannot exceed beds (%(whole)s).")),
        (
            "icu_occupied",
            "icu_beds",
            _("Occupied ICU beds (%(part)s) cannot exceed ICU beds (%(whole)s)."),
        ),
        ("icu_beds", "beds", _("ICU beds (%(part)s) are part of the beds (%(whole)s).")),
        (
            "icu_occupied",
            "beds_occupied",
            _("Occupied ICU beds (%(part)s) are part of the occupied beds (%(whole)s)."),
        ),
        (
            "ventilators_in_use",
            "ventilators",
            _("Ventilators in use (%(part)s) cannot exceed ventilators (%(whole)s)."),
        ),
        (
            "staff_absent",
            "staff_on_roster",
            _("Staff absent (%(part)s) cannot exceed staff on the roster (%(whole)s)."),
        ),
    ]
    for part, whole, message in pairs:
        if part in figures and whole in figures and part not in errors:
            if figures[part] > figures[whole]:
                errors[part] = message % {"part": figures[part], "whole": figures[whole]}
    if {"icu_beds", "icu_convertible", "beds"} <= set(figures) and "icu_convertible" not in errors:
        if figures["icu_beds"] + figures["icu_convertible"] > figures["beds"]:
            errors["icu_convertible"] = _(
                "ICU beds (%(icu)s) and convertible ICU beds (%(convertible)s) together cannot "
                "exceed the beds (%(beds)s): convertible beds are beds that can become ICU beds."
            ) % {
                "icu": figures["icu_beds"],
                "convertible": figures["icu_convertible"],
                "beds": figures["beds"],
            }
    if errors:
        raise ValidationFailed(fields=errors)
    return figures


def _note(data: CapacityReportInput) -> str:
    note = data.note.strip()
    if len(note) > NOTE_LENGTH:
        raise ValidationFailed(fields={"note": _("At most %(n)d characters.") % {"n": NOTE_LENGTH}})
    return note


def _base_version(data: CapacityReportInput) -> int | None:
    if data.version is not None and data.version < 0:
        raise ValidationFailed(fields={"version": _("Give a number of 0 or more.")})
    return data.version


def _same_submission(report: CapacityReport, data: CapacityReportInput) -> bool:
    """Whether a retried submission carries what its key first delivered."""
    same_unit = data.hospital_id is None or data.hospital_id == report.hospital_id
    return data.day == report.day and same_unit and data.figures == report.figures


def _stored_key(actor: User, key: str) -> str | None:
    key = (key or "").strip()
    return f"{getattr(actor, 'pk', '')}:{key}"[:120] if key else None


@transaction.atomic
def capacity_report_submit(
    *,
    actor: User,
    data: CapacityReportInput,
    idempotency_key: str = "",
    source: str = ReportSource.FORM,
    now: dt.datetime | None = None,
) -> tuple[CapacityReport, bool]:
    """Submit a hospital's capacity for a day. Returns (report, created).

    The first report of a day is version 1; another for the same day is a correction: a new
    version, the previous one kept (superseded). A retry with the same idempotency key
    returns the report the first one made (409 if it carries other figures); figures equal
    to the current version's change nothing. `version`, when given, is the version the
    reporter saw (0: none yet): another report since answers 409.
    """
    now = now or timezone.now()
    key = _stored_key(actor, idempotency_key)
    if key:
        earlier = CapacityReport.objects.filter(idempotency_key=key).first()
        if earlier is not None:
            if not _same_submission(earlier, data):
                raise Conflict(
                    _(
                        "This submission key was already used for a report with other "
                        "figures. Reload the form and submit again."
                    )
                )
            return earlier, False
    hospital = _hospital(actor, data)
    day = _day(data, timezone.localdate(now))
    figures = _figures(data)
    note = _note(data)
    base = _base_version(data)

    current = (
        CapacityReport.objects.select_for_update()
        .filter(hospital=hospital, day=day, superseded_at__isnull=True)
        .first()
    )
    seen = current.version if current else 0
    if base is not None and base != seen:
        raise Conflict(
            _(
                "Someone else submitted this day's report since you opened the form (it is "
                "now version %(version)d). Reload it and check before correcting."
            )
            % {"version": seen}
        )
    if current is not None and current.figures == figures and current.note == note:
        return current, False
    report = CapacityReport(
        hospital=hospital,
        day=day,
        version=seen + 1,
        **figures,
        note=note,
        source=source,
        reported_by=actor if getattr(actor, "pk", None) else None,
        reported_at=now,
        idempotency_key=key,
    )
    try:
        with transaction.atomic():
            if current is not None:
                marked = CapacityReport.objects.filter(
                    pk=current.pk, superseded_at__isnull=True
                ).update(superseded_at=now)
                if marked != 1:
                    raise Conflict(
                        _("Someone else corrected this day's report at the same moment.")
                    )
            report.save()
    except IntegrityError:
        earlier = CapacityReport.objects.filter(idempotency_key=key).first() if key else None
        if earlier is not None:
            return earlier, False
        raise Conflict(
            _("Someone else submitted this day's report at the same moment. Reload it and check.")
        ) from None
    audit.record(
        actor=actor,
        action="update" if current else "create",
        instance=report,
        before=audit.snapshot(current) if current else None,
        after=audit.snapshot(report),
        enterprise_id=hospital.pk,
        comment=_("correction of version %(version)d") % {"version": current.version}
        if current
        else "",
    )
    latest = CapacityReport.objects.current().filter(hospital=hospital).aggregate(d=Max("day"))["d"]
    capacity_alerts_evaluate(
        day=latest or day, scope="hospital", hospital_ids=[hospital.pk], now=now
    )
    return report, True


# --- thresholds ------------------------------------------------------------------------


@transaction.atomic
def capacity_thresholds_load(
    *, actor: User | None = None, overwrite: bool = False
) -> dict[str, int]:
    """Load the shipped thresholds (`data/thresholds.yaml`): add the missing ones; with
    `overwrite`, also reset edited ones to the file. Every change is in the change log."""
    before = {t.pk: audit.snapshot(t) for t in CapacityThreshold.objects.all()}
    counts = shipped_thresholds.load(CapacityThreshold, overwrite=overwrite)
    for threshold in CapacityThreshold.objects.all():
        old = before.get(threshold.pk)
        new = audit.snapshot(threshold)
        if old is None or {k: v for k, v in old.items() if k != "updated_at"} != {
            k: v for k, v in new.items() if k != "updated_at"
        }:
            audit.record(
                actor=actor,
                action="update" if old else "create",
                instance=threshold,
                before=old,
                after=new,
                comment="thresholds.yaml",
            )
    return counts


# --- the health authority's steps on an alert ------------------------------------------


def capacity_alert_transition(
    *,
    actor: User,
    alert_id: int,
    action: str,
    version: int | None,
    comment: str = "",
    now: dt.datetime | None = None,
) -> CapacityAlert:
    """Acknowledge or close a capacity alert (on the workflow kernel). Of two people acting
    at once, one wins; the other gets a 409 saying what happened."""
    alert: CapacityAlert = take_step(
        MACHINE,
        actor=actor,
        pk=alert_id,
        action=action,
        version=version,
        data={"comment": comment} if comment else {},
        now=now,
    )
    return alert
