"""The audit working paper as people read it: its stored sections (machine values: codes,
ids, ISO times, the records' own names) turned into titled facts and tables in the
reader's language. The page, the PDF and the .xlsx show the same rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from redline.hazards.models import Hazard
from redline.hazards.vocab import HazardLevel, HazardState, TaskResult, TaskStatus
from redline.inspections.models import AuditPaper, AuditSample, Inspection
from redline.inspections.vocab import AuditResult, AuditSampleKind
from redline.risk.vocab import ControlMode, CycleUnit, ManagementLevel

UNCONFIRMED = gettext_lazy(
    "The official definition of an audit-style (审计式) inspection is UNCONFIRMED (domain "
    "notes §3.4). Redline builds it as an evidence-trail inspection: the unit's own records "
    "are read before the visit and a random sample of them is verified on site."
)
TRAINING_NOT_AVAILABLE = gettext_lazy(
    "Not available until the training records exist: training hours and certificates will "
    "be compared with the requirements here."
)


@dataclass
class Table:
    key: str
    title: str
    count: int
    headers: list[str]
    rows: list[list[str]]
    links: list[str] = field(default_factory=list)  # a link for each row's first cell ("")

    @property
    def linked_rows(self) -> list[tuple[str, list[str]]]:
        links = self.links or [""] * len(self.rows)
        return list(zip(links, self.rows, strict=True))

    @property
    def cut(self) -> str:
        """Says so when the table lists fewer rows than it counts (the paper keeps the
        first ones)."""
        if self.count <= len(self.rows):
            return ""
        return _("The paper lists the first %(n)d of %(count)d.") % {
            "n": len(self.rows),
            "count": self.count,
        }


@dataclass
class Section:
    key: str
    title: str
    facts: list[tuple[str, Any]]
    tables: list[Table] = field(default_factory=list)
    note: str = ""


def heading_rows(paper: AuditPaper, inspection: Inspection) -> list[tuple[str, Any]]:
    """The paper's own facts: what was audited, by whom, and how the sample was drawn."""
    drawn_by = paper.drawn_by
    return [
        (_("Inspection"), inspection.number),
        (_("Unit"), inspection.enterprise.name),
        (_("Inspecting body"), inspection.organisation.name),
        (_("Kind"), inspection.get_kind_display()),
        (_("Planned for"), inspection.planned_on.isoformat()),
        (_("Drawn at"), timezone.localtime(paper.drawn_at).strftime("%Y-%m-%d %H:%M")),
        (_("Drawn by"), str(drawn_by) if drawn_by is not None else "—"),
        (
            _("Records read over"),
            f"{timezone.localtime(paper.period_start):%Y-%m-%d %H:%M} – "
            f"{timezone.localtime(paper.period_end):%Y-%m-%d %H:%M}",
        ),
        (_("Seed"), str(paper.seed)),
        (_("Digest of the sampled populations"), paper.digest),
    ]


def when(value: str | None) -> str:
    """A stored local ISO time as "YYYY-MM-DD HH:MM" (a date as it is)."""
    return value[:16].replace("T", " ") if value else "—"


def _label(choices: Any, code: str | None) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code or "—"


def _hazard_link(row: dict[str, Any]) -> str:
    return reverse("hazard-detail", args=[row["id"]])


def _hazard_table(key: str, title: str, listed: dict[str, Any], *, deadline: bool) -> Table:
    headers = [_("Number"), _("Hazard"), _("Level"), _("State")]
    headers += [_("Rectify by")] if deadline else []
    headers += [_("Closed")]
    rows = []
    for h in listed["items"]:
        row = [h["number"], h["name"], _label(HazardLevel, h["level"])]
        row += [_label(HazardState, h["state"])]
        row += [when(h["deadline"])] if deadline else []
        row += [when(h["closed_at"])]
        rows.append(row)
    return Table(
        key, title, listed["count"], headers, rows, [_hazard_link(h) for h in listed["items"]]
    )


def _task_table(key: str, title: str, listed: dict[str, Any]) -> Table:
    headers = [_("Due"), _("To be done before"), _("Inspected at"), _("Risk event"), _("Measure")]
    rows = [
        [
            when(t["due_at"]),
            when(t["window_ends_at"]),
            when(t["checked_at"]),
            t["event"],
            t["measure"],
        ]
        for t in listed["items"]
    ]
    return Table(key, title, listed["count"], headers, rows)


def sections(paper: AuditPaper, inspection: Inspection) -> list[Section]:
    data = paper.sections
    inventory = reverse("risk-inventory", args=[inspection.enterprise_id])
    cov, tasks, hz, training = data["coverage"], data["tasks"], data["hazards"], data["training"]
    counts = tasks["counts"]
    rate = counts["done_rate"]
    five = {name: field_label(name) for name in _five(hz)}
    major = hz["major"]
    return [
        Section(
            "coverage",
            _("Coverage of the risk inventory"),
            [
                (_("Analysis units"), cov["units"]),
                (_("Risk events"), cov["events"]),
                (_("Control measures"), cov["measures"]),
                (_("of which controlled by inspection"), cov["inspection_measures"]),
            ],
            [
                Table(
                    "units_without_events",
                    _("Analysis units without risk events"),
                    cov["units_without_events"]["count"],
                    [_("Analysis unit"), _("Analysis object")],
                    [[u["name"], u["object"]] for u in cov["units_without_events"]["items"]],
                    [inventory for _u in cov["units_without_events"]["items"]],
                ),
                Table(
                    "events_without_measures",
                    _("Risk events without control measures"),
                    cov["events_without_measures"]["count"],
                    [_("Risk event"), _("Analysis unit")],
                    [[e["name"], e["unit"]] for e in cov["events_without_measures"]["items"]],
                    [inventory for _e in cov["events_without_measures"]["items"]],
                ),
                Table(
                    "measures_without_cycle",
                    _("Measures checked by inspection without an inspection cycle"),
                    cov["measures_without_cycle"]["count"],
                    [_("Measure"), _("Risk event")],
                    [
                        [m["description"], m["event"]]
                        for m in cov["measures_without_cycle"]["items"]
                    ],
                    [inventory for _m in cov["measures_without_cycle"]["items"]],
                ),
            ],
        ),
        Section(
            "tasks",
            _("Completion of inspection tasks"),
            [
                (_("Tasks due in the period"), counts["total"]),
                (_("Done"), counts["done"]),
                (_("Done late"), counts["late"]),
                (_("Missed"), counts["missed"]),
                (_("Due (still open)"), counts["due"]),
                (_("Done rate"), "—" if rate is None else f"{rate}%"),
            ],
            [
                _task_table("missed", _("Missed tasks"), tasks["missed"]),
                _task_table("late", _("Tasks done late"), tasks["late"]),
            ],
        ),
        Section(
            "hazards",
            _("How hidden hazards were closed"),
            [
                (_("Closed in the period"), hz["closed"]),
                (_("Closed without photos"), hz["closed_without_photos"]["count"]),
                (_("Open and overdue"), hz["overdue_open"]["count"]),
                (_("Closed after the deadline"), hz["closed_late"]["count"]),
                (_("Major hazards"), major["count"]),
                (_("with the five implementations complete"), major["complete"]),
            ],
            [
                _hazard_table(
                    "closed_without_photos",
                    _("Closed without photos"),
                    hz["closed_without_photos"],
                    deadline=False,
                ),
                _hazard_table(
                    "overdue_open", _("Open and overdue"), hz["overdue_open"], deadline=True
                ),
                _hazard_table(
                    "closed_late", _("Closed after the deadline"), hz["closed_late"], deadline=True
                ),
                Table(
                    "major",
                    _("Major hazards and their five implementations"),
                    major["count"],
                    [_("Number"), _("Hazard"), _("State"), _("Five implementations")],
                    [
                        [
                            h["number"],
                            h["name"],
                            _label(HazardState, h["state"]),
                            _("complete")
                            if h["complete"]
                            else _("missing: %(fields)s")
                            % {"fields": "、".join(five[m] for m in h["missing"])},
                        ]
                        for h in major["items"]
                    ],
                    [_hazard_link(h) for h in major["items"]],
                ),
            ],
        ),
        _training_section(training),
    ]


def _training_section(training: dict[str, Any]) -> Section:
    """The unit's people against the training requirements (a paper drawn before the
    training records existed says so)."""
    if not training.get("available"):
        return Section(
            "training",
            _("Training hours and certificates"),
            [],
            [],
            note=str(TRAINING_NOT_AVAILABLE),
        )
    people = training["people"]
    yes, no = _("yes"), _("no")
    rows = [
        [
            p["person"],
            p["post"],
            p["required_hours"],
            p["hours"],
            p["certificate"] or "—",
            p["certificate_valid_until"] or "—",
            yes if p["meets_requirement"] else no,
        ]
        for p in people
    ]
    links = [reverse("training-person", args=[p["id"]]) if p.get("id") else "" for p in people]
    requirements = [
        [
            r["code"] if r.get("code") else r["post"],
            r["initial_hours"],
            r["annual_hours"],
            "、".join(r["certificate"]) or "—",
            r["source"],
        ]
        for r in training["requirements"]
    ]
    lacking = sum(1 for p in people if not p["meets_requirement"])
    return Section(
        "training",
        _("Training hours and certificates"),
        [(_("People"), len(people)), (_("Not meeting the requirements"), lacking)],
        [
            Table(
                "training-people",
                _("People"),
                len(people),
                [
                    _("Person"),
                    _("Post"),
                    _("Refresher hours required"),
                    _("Refresher hours last year"),
                    _("Certificates held"),
                    _("First expiry of a required certificate"),
                    _("Meets the requirements"),
                ],
                rows,
                links,
            ),
            Table(
                "training-requirements",
                _("Requirements"),
                len(requirements),
                [
                    _("Rule"),
                    _("Initial hours"),
                    _("Annual refresher hours"),
                    _("Certificates"),
                    _("Basis"),
                ],
                requirements,
            ),
        ],
    )


def field_label(name: str) -> str:
    """A hazard field's label (one of the five implementations)."""
    return str(getattr(Hazard._meta.get_field(name), "verbose_name", name))


def _five(hazards: dict[str, Any]) -> set[str]:
    return {m for h in hazards["major"]["items"] for m in h["missing"]}


def sample_facts(sample: AuditSample) -> list[tuple[str, str]]:
    """What the sampled record said when the paper was drawn."""
    f = sample.facts
    if sample.kind == AuditSampleKind.TASK:
        return [
            (_("Due"), when(f.get("due_at"))),
            (_("To be done before"), when(f.get("window_ends_at"))),
            (_("Result"), _label(TaskResult, f.get("result"))),
            (_("Status"), _label(TaskStatus, f.get("status"))),
            (_("Inspected at"), when(f.get("checked_at"))),
            (_("Inspector"), f.get("inspector_name") or "—"),
        ]
    if sample.kind == AuditSampleKind.HAZARD:
        return [
            (_("Level"), _label(HazardLevel, f.get("level"))),
            (_("Rectify by"), when(f.get("deadline"))),
            (_("Closed"), when(f.get("closed_at"))),
            (_("Photos"), str(f.get("photos", 0))),
        ]
    cycle = f.get("cycle")
    return [
        (_("Risk event"), f.get("event", "")),
        (_("Analysis unit"), f.get("unit", "")),
        (_("Controlled by"), _label(ControlMode, f.get("control_mode"))),
        (_("Management level"), _label(ManagementLevel, f.get("management_level"))),
        (_("Responsible person"), f.get("responsible", "")),
        (
            _("Inspection cycle"),
            f"{cycle[0]} {_label(CycleUnit, cycle[1])}" if cycle else _("none"),
        ),
    ]


def sample_link(sample: AuditSample, inspection: Inspection) -> str:
    if sample.kind == AuditSampleKind.HAZARD:
        return reverse("hazard-detail", args=[sample.record_id])
    return reverse("risk-inventory", args=[inspection.enterprise_id])


def result_label(sample: AuditSample) -> str:
    return _label(AuditResult, sample.result)


def populations(paper: AuditPaper) -> list[tuple[str, int, int, str]]:
    """(kind's label, population size, sampled, digest) for each kind sampled."""
    return [
        (
            _label(AuditSampleKind, kind),
            shape["size"],
            min(shape["size"], shape["wanted"]),
            shape["sha256"],
        )
        for kind, shape in paper.populations.items()
    ]
