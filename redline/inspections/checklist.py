"""An inspection's checklist at work: the template version it keeps, reading an answer
against its item, reviewing the answers when the team completes (what is missing, what was
found, the score), and turning what was found into findings and hidden hazards.

The checklist's rules (which items show, what is non-compliant, the score) are pure
functions of the template's data (`checklist_data`); this module binds them to the
database."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from redline.core.errors import ValidationFailed
from redline.inspections import checklist_data
from redline.inspections.models import Answer, ChecklistTemplate, Finding, Inspection
from redline.inspections.vocab import Compliance, FindingOutcome

if TYPE_CHECKING:
    from redline.accounts.models import User


@lru_cache(maxsize=64)
def _validated(digest: str, content: str) -> checklist_data.Template:
    return checklist_data.validate(json.loads(content))


def template_of(inspection: Inspection) -> checklist_data.Template:
    row = inspection.template
    if row is None:
        raise ValidationFailed(fields={"item": _("This inspection has no checklist.")})
    return _validated(row.digest, json.dumps(row.content, sort_keys=True))


def item_of(inspection: Inspection, code: str) -> checklist_data.Item:
    try:
        return template_of(inspection).item(code)
    except KeyError:
        raise ValidationFailed(fields={"item": _("No such item on this checklist.")}) from None


def read_answer(inspection: Inspection, code: str, value: Any) -> Any:
    """The answer as its item takes it: a compliance code, a number (or not applicable), a
    text, or for a photo item "answered" (the photos come apart); 422 naming `value`
    otherwise."""
    item = item_of(inspection, code)
    if isinstance(value, str):
        value = value.strip()
    if item.answer == "number" and isinstance(value, str) and value != Compliance.NOT_APPLICABLE:
        try:
            value = float(Decimal(value))
        except (InvalidOperation, ValueError):
            raise ValidationFailed(fields={"value": _("Give a number.")}) from None
    if item.answer == "photo" and value:
        value = checklist_data.ANSWERED
    try:
        said = checklist_data.outcome(item, value)
    except checklist_data.AnswerError:
        if item.answer == "compliance":
            message = _("Choose one of: %(values)s.") % {"values": ", ".join(Compliance.values)}
        elif item.answer == "number":
            message = _("Give a number.")
        else:
            message = _("Give a text.")
        raise ValidationFailed(fields={"value": message}) from None
    if said is None:
        raise ValidationFailed(fields={"value": _("This field is required.")})
    return value


def answers_of(inspection: Inspection) -> dict[str, Any]:
    return dict(Answer.objects.filter(inspection=inspection).values_list("item_code", "value"))


def photo_counts(inspection: Inspection) -> dict[str, int]:
    """How many photos each checklist item has (signatures aside)."""
    return dict(
        inspection.photos.exclude(item_code="signature")
        .values("item_code")
        .annotate(n=Count("id"))
        .values_list("item_code", "n")
    )


@dataclass(frozen=True)
class Found:
    """A non-compliant item, as it becomes a finding; or a discrepancy in an audit paper's
    sample (no item: `outcome`, the hazard's idempotency `key`, and the measure or task the
    hazard concerns say the rest)."""

    item_code: str
    text: str
    determination_item: str
    outcome: str = FindingOutcome.HAZARD
    key: str = ""  # the hazard's idempotency key (default: the inspection and the item)
    measure: int | None = None
    task: int | None = None


def in_chinese() -> bool:
    """Whether the reader's language is Chinese (the data carries both texts)."""
    return (translation.get_language() or "").lower().startswith("zh")


def _text(item: checklist_data.Item) -> str:
    return item.text_zh if in_chinese() else item.text_en


def review(inspection: Inspection) -> tuple[dict[str, str], list[Found], float | None]:
    """Every missing answer or photo (by item), what was found, and the score."""
    template = template_of(inspection)
    answers = answers_of(inspection)
    with_photos = set(
        inspection.photos.exclude(item_code="signature").values_list("item_code", flat=True)
    )
    missing: dict[str, str] = {}
    found: list[Found] = []
    for item in checklist_data.visible_items(template, answers):
        code = item.code
        if code not in answers:
            missing[f"item.{code}"] = str(_("Answer this item."))
            continue
        bad = checklist_data.is_non_compliant(item, answers[code])
        needs_photo = item.answer == "photo" or (bad and item.photo_required)
        if needs_photo and code not in with_photos:
            missing[f"item.{code}"] = str(_("Attach a photo."))
        if bad:
            found.append(Found(code, _text(item), item.determination_item or ""))
    return missing, found, checklist_data.score(template, answers)


def record_findings(
    inspection: Inspection, actor: User, now: dt.datetime, found: list[Found]
) -> list[Finding]:
    """The findings of an inspection, numbered after those it already has (the caller holds
    the inspection's row: the completing step's update, or a lock). Each becomes a hidden
    hazard of the unit in the hazard loop (major when its item tests a line of a
    determination standard: the hazard cites it), or stays a note for the unit when its
    outcome says so; the unit answers each finding."""
    from redline.hazards.services import HazardReportInput, hazard_report
    from redline.hazards.vocab import HazardLevel, HazardSource, HazardType

    findings = []
    first = (Finding.objects.filter(inspection=inspection).aggregate(n=Max("number"))["n"] or 0) + 1
    for number, item in enumerate(found, start=first):
        level: str = HazardLevel.MAJOR if item.determination_item else HazardLevel.GENERAL
        hazard = None
        if item.outcome == FindingOutcome.HAZARD:
            description = (
                _("Found on inspection %(number)s, item %(item)s: %(text)s")
                % {"number": inspection.number, "item": item.item_code, "text": item.text}
                if item.item_code
                else _("Found on inspection %(number)s: %(text)s")
                % {"number": inspection.number, "text": item.text}
            )
            with transaction.atomic():
                hazard, _created = hazard_report(
                    actor=actor,
                    data=HazardReportInput(
                        enterprise=inspection.enterprise_id,
                        name=item.text[:200],
                        description=description,
                        hazard_type=HazardType.OTHER,
                        level=level,
                        source=HazardSource.GOVERNMENT,
                        measure=item.measure,
                        task=item.task,
                        determination_items=(item.determination_item,)
                        if item.determination_item
                        else (),
                    ),
                    idempotency_key=item.key or f"inspection:{inspection.pk}:{item.item_code}",
                )
            level = hazard.level
        findings.append(
            Finding.objects.create(
                inspection=inspection,
                number=number,
                item_code=item.item_code,
                text=item.text,
                determination_item=item.determination_item,
                level=level,
                outcome=item.outcome,
                hazard=hazard,
                created_at=now,
            )
        )
    return findings


def template_load(raw: dict[str, Any], *, now: dt.datetime | None = None) -> ChecklistTemplate:
    """Store a validated template version (once: the same code and version again is a
    no-op when the content is the same, refused when it differs)."""
    template = checklist_data.validate(raw)
    content = json.dumps(raw, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(content.encode()).hexdigest()
    existing = ChecklistTemplate.objects.filter(
        code=template.code, version=template.version
    ).first()
    if existing is not None:
        if existing.digest != digest:
            raise ValidationFailed(
                _(
                    "Checklist %(code)s v%(version)s was loaded with other content; give it a "
                    "new version."
                )
                % {"code": template.code, "version": template.version}
            )
        return existing
    with transaction.atomic():
        ChecklistTemplate.objects.filter(code=template.code).update(is_current=False)
        return ChecklistTemplate.objects.create(
            code=template.code,
            version=template.version,
            sector=template.sector,
            campaign_code=template.campaign or "",
            title_zh=template.title_zh,
            title_en=template.title_en,
            status=template.status,
            content=raw,
            digest=digest,
            loaded_at=now or timezone.now(),
        )
