"""The demo's assessments: last year's district assessment and last year's department
assessment, published (their inputs frozen from the demo's hazards, inspections, key tasks,
training, campaigns and accidents, with the office's entered items and their evidence; last
year's control indicators of the districts, and of the sectors the accidents demo sets this
year's for, are set where it set none), and this year's drafts of both, measured. Runs
after the accidents and training steps (the app comes after them in INSTALLED_APPS)."""

from __future__ import annotations

import datetime as dt
import functools
import io
import zipfile
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from redline.accidents import selectors as accident_selectors
from redline.accidents import services as accident_services
from redline.assessment import selectors, services
from redline.assessment.models import Assessment, SubjectKind
from redline.organisations.access import role_allows
from redline.organisations.models import Enterprise, Organisation, Region
from redline.organisations.vocab import OrganisationKind, RegionLevel


def _office_manager() -> Any:
    office = Organisation.objects.filter(
        kind=OrganisationKind.COMMITTEE_OFFICE, region__level=RegionLevel.CITY
    ).first()
    if office is None:
        return None
    people = get_user_model().objects.filter(organisation=office, is_active=True)
    return next((u for u in people.order_by("username") if role_allows(u, "manage")), None)


def _enter(builder: Any, actor: Any, record: Assessment) -> None:
    """The office's marks for every subject: entered indicators mostly high, a few bonuses."""
    items = services.entered_items(record.scheme_version)
    field = "department" if record.subject_kind == SubjectKind.DEPARTMENT else "region"
    for subject in selectors.subjects(actor, record.subject_kind):
        for key, (kind, top) in items.items():
            if kind == "veto":
                continue
            if kind == "bonus":
                if builder.rng.random() > 0.3:
                    continue
                points = Decimal(builder.rng.choice((1, 2, 3)))
            else:
                share = builder.rng.choice((1.0, 1.0, 0.9, 0.8, 0.6, 0.4))
                points = Decimal(str(round((top or 0) * share, 1)))
            evidence = ContentFile(
                _evidence_docx(f"{record.year} {subject.name} {key}: 考核佐证材料（演示）"),
                name=f"{key}-{subject.pk}.docx",
            )
            services.entry_set(
                actor=actor,
                assessment_id=record.pk,
                data=services.EntryInput.of(
                    {field: subject.pk, "item": key, "points": points, "note": "演示数据"}
                ),
                evidence=evidence,
            )


def _last_years_ceilings(actor: Any, year: int) -> None:
    """The control indicators of `year` where the accidents demo set none (it sets this
    year's): the districts', and the city's of each sector it sets one for this year; the
    year before's figures less 10 % (at least 1), as it does, set through the accidents
    app's service."""
    start, end = dt.date(year - 1, 1, 1), dt.date(year, 1, 1)
    by_region = {t.key: t for t in accident_selectors.tally(actor, start, end, by="region")}
    by_sector = {t.key: t for t in accident_selectors.tally(actor, start, end, by="sector")}
    have = set(
        accident_selectors.indicators_visible(actor, year).values_list("region_id", "sector")
    )
    wanted = [(d.pk, "", by_region.get(str(d.pk))) for d in selectors.districts(actor)]
    wanted += [
        (region_id, sector, by_sector.get(sector))
        for region_id, sector in accident_selectors.indicators_visible(actor, year + 1)
        .exclude(sector="")
        .filter(region__parent__isnull=True)
        .values_list("region_id", "sector")
    ]
    for region_id, sector, row in wanted:
        if (region_id, sector) in have:
            continue
        accident_services.indicator_set(
            actor=actor,
            data=accident_services.IndicatorInput.of(
                {
                    "year": year,
                    "region": region_id,
                    "sector": sector,
                    "max_accidents": max(1, round((row.accidents if row else 0) * 0.9)),
                    "max_deaths": max(1, round((row.deaths if row else 0) * 0.9)),
                }
            ),
        )


TITLES = {
    SubjectKind.DISTRICT: "{year}年度区县安全生产工作考核",
    SubjectKind.DEPARTMENT: "{year}年度部门安全生产工作考核",
}


def build_assessment(builder: Any, units: list[Enterprise]) -> None:
    actor = _office_manager()
    if actor is None or not Region.objects.filter(level=RegionLevel.DISTRICT).exists():
        return
    builder.progress(
        "Assessment of districts and departments: last year published, this year drafts"
    )
    year = timezone.localdate().year
    _last_years_ceilings(actor, year - 1)
    for number, kind in enumerate((SubjectKind.DISTRICT, SubjectKind.DEPARTMENT), start=1):
        last = services.assessment_create(
            actor=actor,
            data=services.AssessmentInput.of(
                {
                    "title": TITLES[kind].format(year=year - 1),
                    "year": year - 1,
                    "period_kind": "year",
                    "subject_kind": kind,
                }
            ),
        )
        _enter(builder, actor, last)
        services.assessment_step(
            actor=actor,
            assessment_id=last.pk,
            action="publish",
            version=last.version,
            data={"comment": f"市安委办〔{year}〕{number}号"},
        )
        draft = services.assessment_create(
            actor=actor,
            data=services.AssessmentInput.of(
                {
                    "title": TITLES[kind].format(year=year),
                    "year": year,
                    "period_kind": "year",
                    "subject_kind": kind,
                }
            ),
        )
        _enter(builder, actor, draft)
        services.assessment_measure(actor=actor, assessment_id=draft.pk)


TEXT_MARK = "EVIDENCE-TEXT"


@functools.cache
def _docx_parts() -> tuple[tuple[str, bytes], ...]:
    """The parts of a one-paragraph Word document made once with python-docx, its paragraph
    a mark each document's text replaces (making a document costs python-docx some 10 ms:
    hundreds of entries)."""
    import docx

    document = docx.Document()
    document.add_paragraph(TEXT_MARK)
    out = io.BytesIO()
    document.save(out)
    with zipfile.ZipFile(out) as made:
        return tuple((name, made.read(name)) for name in made.namelist())


def _evidence_docx(text: str) -> bytes:
    """A one-paragraph Word document: evidence is a document (`redline.core.uploads`)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as written:
        for name, data in _docx_parts():
            if name == "word/document.xml":
                data = data.replace(TEXT_MARK.encode(), escape(text).encode())
            written.writestr(name, data)
    return out.getvalue()
