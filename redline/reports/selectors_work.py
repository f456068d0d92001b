"""The report's sections on the work done: campaigns, inspection and enforcement, training,
the Safety Committee's key tasks, epidemic signals and capacity alerts, and the assessment
(not published yet), each read through the selector its app's pages use."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from redline.assessment import selectors as assessment
from redline.campaigns import selectors as campaigns
from redline.committee import selectors as committee
from redline.core.filters import days_of
from redline.epidemic import selectors_signals as signals
from redline.epidemic.models import Condition
from redline.inspections.models import EnforcementAction, Inspection
from redline.inspections.vocab import EnforcementKind, EnforcementState, InspectionState
from redline.medical import selectors as medical
from redline.organisations.models import Region
from redline.reports.periods import Period
from redline.reports.shapes import Figure, Section, Table
from redline.reports.shapes import link as _link
from redline.training import selectors as training

# --- campaigns -----------------------------------------------------------------------------


def campaigns_section(user: Any, period: Period, as_at: dt.date) -> Section:
    running = list(
        campaigns.campaign_list(user)
        .filter(starts_on__lt=period.end, ends_on__gte=period.start)
        .order_by("starts_on", "id")
    )
    heads = campaigns.headlines(user, running, as_at)
    section = Section("campaigns", _("Special rectification campaigns"))
    section.figures.append(
        Figure(
            "campaigns.running",
            _("Campaigns running in the period"),
            len(running),
            _link("campaign-list", **days_of("running", period.start, period.end)),
        )
    )
    rows, links = [], []
    for c in running:
        h = heads[c.pk]
        t = h.totals
        rows.append(
            [str(c), t.units, t.inspected, t.inspected_share, t.found, t.closed, t.overdue, h.score]
        )
        links.append(reverse("campaign-detail", args=[c.pk]))
        section.figures.append(
            Figure(
                f"campaigns.{c.pk}.inspected_share",
                _("Units inspected (%%): %(campaign)s") % {"campaign": c},
                t.inspected_share,
                links[-1],
                "%",
                subject=str(c),
                detail=True,
            )
        )
        section.figures.append(
            Figure(
                f"campaigns.{c.pk}.overdue",
                _("Overdue hazards: %(campaign)s") % {"campaign": c},
                t.overdue,
                links[-1],
                subject=str(c),
                detail=True,
            )
        )
    section.tables.append(
        Table(
            "campaigns.progress",
            _("Campaign progress (as at %(day)s)") % {"day": as_at.isoformat()},
            [
                _("Campaign"),
                _("Units in scope"),
                _("Inspected"),
                _("Inspected (%)"),
                _("Hazards found"),
                _("Closed"),
                _("Overdue"),
                _("Score"),
            ],
            rows,
            links,
        )
    )
    section.notes.append(
        _("Campaigns are city-wide programmes: a region does not narrow this section.")
    )
    return section


# --- inspections ---------------------------------------------------------------------------


def inspections_section(user: Any, period: Period, place: Region | None) -> Section:
    inspections = Inspection.objects.restrict(user)
    actions = EnforcementAction.objects.restrict(user)
    if place is not None:
        inspections = inspections.filter(enterprise__region__path__startswith=place.path)
        actions = actions.filter(enterprise__region__path__startswith=place.path)
    low, high = period.bounds()
    # Planned in the period (and of those, carried out or cancelled) and completed in it, in
    # one pass over the inspections.
    planned = Q(planned_on__gte=period.start, planned_on__lt=period.end)
    counts = inspections.aggregate(
        planned=Count("pk", filter=planned),
        done=Count(
            "pk",
            filter=planned & ~Q(state__in=[InspectionState.CANCELLED, InspectionState.PLANNED]),
        ),
        cancelled=Count("pk", filter=planned & Q(state=InspectionState.CANCELLED)),
        completed=Count("pk", filter=Q(completed_at__gte=low, completed_at__lt=high)),
    )
    completed = counts["completed"]
    issued = actions.filter(issued_at__gte=low, issued_at__lt=high)
    # Issued by kind, with the sum of their amounts (the fines').
    kinds = {
        kind: (n, amount)
        for kind, n, amount in issued.order_by()
        .values("kind")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .values_list("kind", "n", "amount")
    }
    by_kind = {kind: n for kind, (n, _amount) in kinds.items()}
    fines = kinds.get(EnforcementKind.FINE, (0, 0))[1]
    overdue = actions.filter(state=EnforcementState.ISSUED, deadline__lt=period.as_at()).count()
    region_q = place.pk if place else ""
    planned_days = days_of("planned", period.start, period.end)
    section = Section("inspections", _("Inspection and enforcement"))
    section.figures = [
        Figure(
            "inspections.planned",
            _("Inspections planned in the period"),
            counts["planned"],
            _link("inspection-list", region=region_q, **planned_days),
        ),
        Figure(
            "inspections.completed",
            _("Inspections completed in the period"),
            completed,
            _link(
                "inspection-list",
                region=region_q,
                **days_of("completed", period.start, period.end),
            ),
        ),
        Figure(
            "inspections.completion_rate",
            _("Planned inspections carried out (%)"),
            round(100 * counts["done"] / counts["planned"], 1) if counts["planned"] else None,
            _link("inspection-list", region=region_q, **planned_days),
            "%",
        ),
        Figure(
            "enforcement.issued",
            _("Enforcement actions issued"),
            sum(by_kind.values()),
            _link("enforcement-list"),
        ),
        Figure(
            "enforcement.fines_cny",
            _("Fines (CNY)"),
            float(fines or 0),
            _link("enforcement-list", kind="fine"),
        ),
        Figure(
            "enforcement.overdue",
            _("Enforcement actions past their deadline"),
            overdue,
            _link("enforcement-list", state="issued"),
        ),
    ]
    section.tables.append(
        Table(
            "enforcement.by_kind",
            _("Enforcement actions by kind"),
            [_("Kind"), _("Issued")],
            [[str(label), by_kind.get(code, 0)] for code, label in EnforcementKind.choices],
        )
    )
    return section


# --- training ------------------------------------------------------------------------------


def training_section(user: Any, place: Region | None, as_at: dt.date) -> Section:
    # The units' counts summed by their region first (a few regions, many units).
    names = ("people", "compliant", "lacking_hours", "lacking_certificate")
    by_path: dict[str, list[int]] = {}
    for row in training.compliance(user, on=as_at, region=place):
        sums = by_path.setdefault(row["region_path"], [0, 0, 0, 0])
        for i, name in enumerate(names):
            sums[i] += row[name]
    people, compliant, lacking_hours, lacking_certificate = (
        sum(sums[i] for sums in by_path.values()) for i in range(len(names))
    )
    section = Section("training", _("Education and training"))
    link = reverse("training-list")
    section.figures = [
        Figure("training.people", _("People with training duties"), people, link),
        Figure("training.compliant", pgettext("situation report", "Compliant"), compliant, link),
        Figure(
            "training.lacking_hours",
            _("Lacking training hours"),
            lacking_hours,
            link,
        ),
        Figure(
            "training.lacking_certificate",
            _("Lacking a valid certificate"),
            lacking_certificate,
            link,
        ),
        Figure(
            "training.compliance_rate",
            _("Compliance rate (%)"),
            round(100 * compliant / people, 1) if people else None,
            link,
            "%",
        ),
    ]
    # By the region one level below the scope's top (districts for the city).
    visible = list(Region.objects.restrict(user).order_by("path").defer("boundary"))
    top = place or (visible[0] if visible else None)
    groups: dict[int, list[int]] = {}
    below = [r for r in visible if top is not None and r.parent_id == top.pk]
    for path, counts in by_path.items():
        target = next((r for r in below if path.startswith(r.path)), None)
        if target is None:
            continue
        sums = groups.setdefault(target.pk, [0, 0, 0, 0])
        for i, n in enumerate(counts):
            sums[i] += n
    table_rows = []
    for r in below:
        p, c, h, cert = groups.get(r.pk, [0, 0, 0, 0])
        rate = round(100 * c / p, 1) if p else None
        table_rows.append([str(r), p, c, h, cert, rate])
        section.figures.append(
            Figure(
                f"training.region.{r.pk}.compliance_rate",
                _("Compliance rate (%%): %(region)s") % {"region": r},
                rate,
                link,
                "%",
                subject=str(r),
                detail=True,
            )
        )
    section.tables.append(
        Table(
            "training.by_region",
            _("Training compliance by region (as at %(day)s)") % {"day": as_at.isoformat()},
            [
                _("Region"),
                _("People"),
                pgettext("situation report", "Compliant"),
                _("Lacking hours"),
                _("Lacking certificate"),
                _("Compliance rate (%)"),
            ],
            table_rows,
        )
    )
    return section


# --- the Safety Committee ------------------------------------------------------------------


def committee_section(user: Any) -> Section:
    """Key tasks as they stand (the committee dashboard's counts, without its lists)."""
    board = committee.summary(user)
    link = reverse("committee-tasks")
    section = Section("committee", _("Safety Committee key tasks"))
    section.figures = [
        Figure("committee.total", _("Key tasks"), board.total, link),
        Figure("committee.open", _("Key tasks open"), board.open, f"{link}?state=open"),
        Figure(
            "committee.overdue", _("Key tasks overdue"), board.overdue_count, f"{link}?overdue=1"
        ),
        Figure(
            "committee.awaiting_verification",
            _("Completions awaiting verification"),
            board.awaiting_verification,
            f"{link}?state=completion_reported",
        ),
    ]
    section.tables.append(
        Table(
            "committee.by_state",
            _("Key tasks by state"),
            [_("State"), _("Tasks")],
            [[label, n] for _code, label, n in board.by_state],
        )
    )
    section.tables.append(
        Table(
            "committee.departments",
            _("Lead departments"),
            [_("Department"), pgettext("situation report", "Open"), _("Overdue")],
            [[str(d.body), d.open, d.overdue] for d in board.departments],
            [f"{link}?lead={d.body.pk}&state=open" for d in board.departments],
        )
    )
    section.notes.append(
        _("Key tasks are an organisation's affair: a region does not narrow this section.")
    )
    return section


# --- epidemic signals and capacity alerts ---------------------------------------------------


def epidemic_section(user: Any, period: Period, place: Region | None) -> Section:
    low, high = period.bounds()
    region_q = place.pk if place else ""
    opened_days = days_of("opened", period.start, period.end)
    raised = signals.signal_list(user, {"region": region_q}).filter(
        opened_at__gte=low, opened_at__lt=high
    )
    open_now = signals.signal_list(user, {"region": region_q, "state": "open"}).count()
    overdue = signals.signal_list(user, {"region": region_q, "overdue": "1"}).count()
    alerts = medical.alert_list(user, {"state": "all", "region": region_q}).filter(
        opened_at__gte=low, opened_at__lt=high
    )
    active = medical.alert_list(user, {"region": region_q}).count()
    # The signals raised, by condition (every signal has one): their sum is the count.
    by_condition = list(
        raised.order_by()
        .values("condition__code", "condition__name", "condition__name_en")
        .annotate(n=Count("pk"))
        .order_by("-n", "condition__code")
    )
    section = Section("epidemic", _("Epidemic signals and medical capacity"))
    section.figures = [
        Figure(
            "epidemic.signals",
            _("Signals raised in the period"),
            sum(r["n"] for r in by_condition),
            _link("epidemic:signal-list", region=region_q, **opened_days),
        ),
        Figure(
            "epidemic.signals_open",
            _("Signals open now"),
            open_now,
            _link("epidemic:signal-list", region=region_q, state="open"),
        ),
        Figure(
            "epidemic.signals_overdue",
            _("Signals awaiting verification past their deadline"),
            overdue,
            _link("epidemic:signal-list", region=region_q, overdue=1),
        ),
        Figure(
            "medical.alerts",
            _("Capacity alerts raised in the period"),
            alerts.count(),
            _link("medical-alerts", region=region_q, state="all", **opened_days),
        ),
        Figure(
            "medical.alerts_active",
            _("Capacity alerts active now"),
            active,
            _link("medical-alerts", region=region_q),
        ),
    ]

    section.tables.append(
        Table(
            "epidemic.by_condition",
            _("Signals raised by condition"),
            [_("Condition"), _("Signals")],
            [
                [str(Condition(name=r["condition__name"], name_en=r["condition__name_en"])), r["n"]]
                for r in by_condition
            ],
        )
    )
    return section


# --- assessment ----------------------------------------------------------------------------

ASSESSMENT_PENDING = gettext_lazy(
    "Not available until the assessment of districts and departments is published."
)


def _published_ranking(user: Any, year: int, kind: str) -> tuple[int, list[dict[str, Any]]]:
    """The published annual ranking of `kind` for the period's year, else the year before
    (a year's assessment is published after it ends): (its year, its rows)."""
    rows = assessment.ranking(user, year, kind)
    if not rows:
        year -= 1
        rows = assessment.ranking(user, year, kind)
    return year, rows


# The city departments' ranking shows its first and its last this many (all when fewer).
DEPARTMENTS_SHOWN = 5


def assessment_section(user: Any, period: Period) -> Section:
    """The published annual ranking of the districts (`assessment.selectors.ranking`), and
    the top and the bottom of the city departments' (the city's departments are ranked among
    themselves): the period's year, else the year before; without a published one the
    section says so instead of showing numbers."""
    section = Section("assessment", _("Assessment of districts and departments"))
    year, rows = _published_ranking(user, period.start.year, "district")
    dyear, departments = _published_ranking(user, period.start.year, "department")
    if not rows and not departments:
        section.available = False
        section.notes.append(str(ASSESSMENT_PENDING))
        return section
    if rows:
        _districts_ranking(section, year, rows)
    if departments:
        _departments_ranking(section, dyear, departments)
    return section


def _districts_ranking(section: Section, year: int, rows: list[dict[str, Any]]) -> None:
    section.figures.append(Figure("assessment.year", _("Assessment year"), year, rows[0]["url"]))
    for row in rows:
        section.figures.append(
            Figure(
                f"assessment.region.{row['region_id']}.rank",
                _("Assessment rank: %(region)s") % {"region": row["region"]},
                row["rank"],
                row["url"],
                subject=str(row["region"]),
                detail=True,
            )
        )
    section.tables.append(
        _ranking_table(
            "assessment.ranking",
            _("Published ranking of the districts (%(year)d)") % {"year": year},
            _("Region"),
            [(str(row["region"]), row, row["url"]) for row in rows],
        )
    )


def _ranking_table(
    key: str, title: str, who: str, rows: list[tuple[str, dict[str, Any], str]]
) -> Table:
    """A published ranking's table: each (name, ranking row, the link its row opens)."""
    return Table(
        key,
        title,
        [who, _("Rank"), _("Score"), pgettext("situation report", "Grade"), _("One-vote veto")],
        [
            [
                name,
                row["rank"],
                row["total"],
                str(row["grade_label"]),
                _("yes") if row["vetoed"] else "",
            ]
            for name, row, _url in rows
        ],
        [url for _name, _row, url in rows],
    )


def _departments_ranking(section: Section, year: int, rows: list[dict[str, Any]]) -> None:
    """The first and the last of the city's departments (those rated), each row opening its
    record (its breakdown where the reader may open it, else its row in the ranking)."""
    city = [row for row in rows if row["city"] and row["assessable"]]
    if not city:
        return
    n = DEPARTMENTS_SHOWN
    shown = city if len(city) <= 2 * n else city[:n] + city[-n:]
    title = (
        _("Published ranking of the city departments (%(year)d): first and last")
        if len(shown) < len(city)
        else _("Published ranking of the city departments (%(year)d)")
    )
    section.tables.append(
        _ranking_table(
            "assessment.departments",
            title % {"year": year},
            _("Department"),
            [(str(row["subject"]), row, row["record"]) for row in shown],
        )
    )
