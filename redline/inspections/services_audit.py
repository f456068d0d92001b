"""Writes of the audit working paper (审计式检查 工作底稿): drawing the paper of an
audit-style inspection, and the team's verification of each sampled record on site. A
discrepancy is a finding of the inspection, written the way every finding is
(`checklist.record_findings`), once: a resend or a second tap changes nothing.

Drawing: the inspection's team or its body, for an audit-style inspection that is planned
or on site. While planned, the paper may be drawn again, with the same seed (over the
records as they are now) or a new one; once the team is on site the sample stays as drawn
(drawing again with its seed, or none, returns it unchanged). What a paper holds and how
its sample is reproduced: `models_audit`, `selectors_audit`, `engines/audit_sample.py`.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from redline.core import audit
from redline.core.errors import Conflict, PermissionDenied, ValidationFailed
from redline.core.inputs import Input, read
from redline.core.readers import Choice, Count, Text
from redline.core.workflow import write_event
from redline.engines import audit_sample
from redline.inspections import checklist
from redline.inspections import selectors_audit as paper_reads
from redline.inspections.models import AuditPaper, AuditSample, Inspection
from redline.inspections.vocab import (
    AuditResult,
    AuditSampleKind,
    FindingOutcome,
    InspectionKind,
    InspectionState,
)
from redline.inspections.workflow import FINDING, INSPECTION, on_the_team

if TYPE_CHECKING:
    from redline.accounts.models import User

MONTHS_MOST = 60
# What a discrepancy becomes unless the team says otherwise: a task record that does not
# match is a management defect to answer (a note); a measure not in place, or a hazard
# whose rectification does not hold, is a hidden hazard to rectify.
DEFAULT_OUTCOME = {
    AuditSampleKind.TASK: FindingOutcome.NOTE,
    AuditSampleKind.HAZARD: FindingOutcome.HAZARD,
    AuditSampleKind.MEASURE: FindingOutcome.HAZARD,
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class AuditDrawInput(Input):
    """Drawing a paper: the seed (default: the paper's own, or a new random one) and how
    many months before now its records are read over."""

    seed: int | None = read(Count(), None)
    months: int = read(Count(), 12)


@dataclasses.dataclass(frozen=True, kw_only=True)
class AuditSampleInput(Input):
    """The team's verdict on one sampled record."""

    result: str = read(Choice((AuditResult.VERIFIED, AuditResult.DISCREPANCY)))
    note: str = read(Text(limit=2000), "")
    outcome: str = read(Choice((FindingOutcome.NOTE, FindingOutcome.HAZARD)), "")


def _locked(actor: User, inspection_id: int) -> Inspection:
    """The inspection's row, locked until the transaction ends (drawing, marking and the
    completing step do not interleave)."""
    found: Inspection = (
        Inspection.objects.restrict(actor)
        .select_for_update(of=("self",))
        .select_related("enterprise")
        .get(pk=inspection_id)
    )
    return found


@transaction.atomic
def audit_paper_draw(
    *, actor: User, inspection_id: int, seed: int | None = None, months: int = 12
) -> AuditPaper:
    """Draw (or, while planned, draw again) the audit working paper of an audit-style
    inspection: its sections from the unit's records over the last `months` months, and
    the random sample of each kind from `seed` (stored on the paper)."""
    inspection = Inspection.objects.get_for(actor, "view", pk=inspection_id)
    if not paper_reads.may_work_on(actor, inspection):
        raise PermissionDenied(_("Only the inspection's team or its body draws its audit paper."))
    if inspection.kind != InspectionKind.AUDIT:
        raise ValidationFailed(_("Only an audit-style inspection has an audit working paper."))
    errors: dict[str, str] = {}
    if seed is not None and not audit_sample.valid_seed(seed):
        errors["seed"] = _("Give a whole number from 0 to 4294967295.")
    if not 1 <= months <= MONTHS_MOST:
        errors["months"] = _("Give a number of months from 1 to %(n)d.") % {"n": MONTHS_MOST}
    inspection = _locked(actor, inspection.pk)
    if inspection.state not in (InspectionState.PLANNED, InspectionState.IN_PROGRESS):
        raise Conflict(
            _("This inspection is %(state)s: its audit paper is drawn before or during the visit.")
            % {"state": inspection.get_state_display()}
        )
    if errors:
        raise ValidationFailed(fields=errors)
    paper = (
        AuditPaper.objects.restrict(actor)
        .select_for_update(of=("self",))
        .filter(inspection_id=inspection.pk)
        .first()
    )
    if paper is not None and inspection.state == InspectionState.IN_PROGRESS:
        if seed is None or seed == paper.seed:
            return paper  # the team is on site: the paper stays as drawn
        raise Conflict(
            _("The team is on site: the sample stays as drawn with seed %(seed)d.")
            % {"seed": paper.seed}
        )
    if seed is None:
        seed = paper.seed if paper is not None else audit_sample.new_seed()
    return _draw(actor, inspection, paper, seed, months)


def _draw(
    actor: User, inspection: Inspection, paper: AuditPaper | None, seed: int, months: int
) -> AuditPaper:
    now = timezone.now()
    start, end = paper_reads.default_period(now, months)
    unit_id = inspection.enterprise_id
    sections = paper_reads.sections(actor, unit_id, start, end)
    drawn = [
        audit_sample.draw(seed, kind, ids, paper_reads.SAMPLE_SIZES[kind])
        for kind, ids in paper_reads.populations(actor, unit_id, start, end).items()
    ]
    before = audit.snapshot(paper, exclude=("sections",)) if paper is not None else None
    if paper is None:
        paper = AuditPaper(inspection=inspection)
    else:
        AuditSample.objects.filter(paper=paper).delete()  # never marked: only while planned
        paper.version += 1
    paper.seed, paper.drawn_at, paper.drawn_by = seed, now, actor
    paper.period_start, paper.period_end = start, end
    paper.sections = sections
    paper.populations = {
        d.kind: {"size": d.size, "sha256": d.sha256, "wanted": paper_reads.SAMPLE_SIZES[d.kind]}
        for d in drawn
    }
    paper.digest = audit_sample.combined_digest(drawn)
    paper.save()
    samples = []
    for d in drawn:
        records = paper_reads.sampled_records(actor, d.kind, d.ids, end)
        for position, record_id in enumerate(d.ids):
            record = records[record_id]
            samples.append(
                AuditSample(
                    paper=paper,
                    kind=d.kind,
                    record_model=record["model"],
                    record_id=record_id,
                    label=record["label"],
                    facts=record["facts"],
                    position=position,
                )
            )
    AuditSample.objects.bulk_create(samples)
    after = audit.snapshot(paper, exclude=("sections",)) | {
        "sample": [f"{s.kind}:{s.record_id}" for s in samples]
    }
    audit.record(
        actor=actor,
        action="create" if before is None else "update",
        instance=paper,
        before=before,
        after=after,
        enterprise_id=inspection.enterprise_id,
    )
    write_event(
        INSPECTION,
        inspection,
        actor=actor,
        action="audit_paper",
        at=now,
        data={"seed": seed, "sampled": len(samples), "digest": paper.digest},
    )
    return paper


@transaction.atomic
def audit_sample_mark(*, actor: User, sample_id: int, data: AuditSampleInput) -> AuditSample:
    """The team marks a sampled record verified or a discrepancy, on site. A discrepancy
    (with a note saying what does not match) becomes a finding of the inspection, once: the
    same mark again changes nothing, and a discrepancy is not taken back (the unit answers
    its finding)."""
    loaded = AuditSample.objects.select_related("paper").get_for(actor, "view", pk=sample_id)
    inspection = _locked(actor, loaded.paper.inspection_id)
    if not on_the_team(actor, inspection):
        raise PermissionDenied(_("Only the inspection's team verifies the sample."))
    if inspection.state != InspectionState.IN_PROGRESS:
        raise Conflict(
            _("This inspection is %(state)s: the sample is verified on site.")
            % {"state": inspection.get_state_display()}
        )
    sample: AuditSample = (
        AuditSample.objects.restrict(actor)
        .select_for_update(of=("self",))
        .select_related("finding")
        .get(pk=loaded.pk)
    )
    if sample.result == data.result:
        return sample  # a resend, or a second tap
    if sample.result == AuditResult.DISCREPANCY:
        number = sample.finding.number if sample.finding is not None else 0
        raise Conflict(
            _(
                "This record was marked a discrepancy, which is finding %(number)s-%(n)d: "
                "the unit answers it."
            )
            % {"number": inspection.number, "n": number}
        )
    if data.result == AuditResult.DISCREPANCY and not data.note:
        raise ValidationFailed(fields={"note": _("Say what does not match.")})
    before = audit.snapshot(sample)
    now = timezone.now()
    sample.result, sample.note = data.result, data.note
    sample.checked_by, sample.checked_at = actor, now
    sample.version += 1
    if data.result == AuditResult.DISCREPANCY:
        sample.finding = _finding(actor, inspection, sample, data, now)
    sample.save()
    audit.record(
        actor=actor,
        action="update",
        instance=sample,
        before=before,
        after=audit.snapshot(sample),
        enterprise_id=inspection.enterprise_id,
    )
    return sample


def _finding(
    actor: User, inspection: Inspection, sample: AuditSample, data: AuditSampleInput, now: Any
) -> Any:
    outcome = data.outcome or DEFAULT_OUTCOME[AuditSampleKind(sample.kind)]
    text = _("Audit sample, %(kind)s %(label)s: %(note)s") % {
        "kind": AuditSampleKind(sample.kind).label,
        "label": sample.label,
        "note": data.note,
    }
    [finding] = checklist.record_findings(
        inspection,
        actor,
        now,
        [
            checklist.Found(
                item_code="",
                text=text,
                determination_item="",
                outcome=outcome,
                key=f"audit:{sample.pk}",
                measure=sample.record_id if sample.kind == AuditSampleKind.MEASURE else None,
                task=sample.record_id if sample.kind == AuditSampleKind.TASK else None,
            )
        ],
    )
    # A new finding changes the inspection: a step taken on what was read before (completing
    # with no findings seen) is stale now (409), as any step's is.
    Inspection.objects.filter(pk=inspection.pk).update(version=F("version") + 1)
    write_event(FINDING, finding, actor=actor, action="found", at=now, to_state=finding.state)
    write_event(
        INSPECTION,
        inspection,
        actor=actor,
        action="finding",
        at=now,
        data={"finding": finding.number, "sample": f"{sample.kind}:{sample.record_id}"},
    )
    audit.record(
        actor=actor,
        action="create",
        instance=finding,
        before=None,
        after=audit.snapshot(finding),
        enterprise_id=inspection.enterprise_id,
    )
    return finding
