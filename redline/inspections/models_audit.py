"""The audit working paper of an audit-style inspection (审计式检查 工作底稿).

The official definition of an audit-style inspection is UNCONFIRMED (domain notes §3.4);
Redline builds it as an evidence-trail inspection. Before the visit the paper is drawn from
the unit's own records, read through the door: what its risk inventory covers, how its
inspection tasks were done, how its hidden hazards were closed, its training (when that
module exists), and a reproducible random sample of records for the team to verify on site
(`redline/engines/audit_sample.py` says how a sample is drawn and reproduced).

A paper keeps what it was drawn from: the sections as computed (a snapshot), the seed, the
period, each sampled population's size and digest, and the sampled records. Records created
later never change it. Both follow the inspected unit through the door, like the inspection.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from redline.core.models import who_field
from redline.inspections.vocab import AuditResult, AuditSampleKind
from redline.organisations.models import ScopedQuerySet


class AuditPaperQuerySet(ScopedQuerySet):
    enterprise_path = "inspection__enterprise__"


class AuditPaper(models.Model):
    """One audit-style inspection's working paper."""

    inspection = models.OneToOneField(
        "inspections.Inspection",
        verbose_name=_("inspection"),
        on_delete=models.CASCADE,
        related_name="audit_paper",
    )
    seed = models.PositiveBigIntegerField(_("seed"))  # 0 <= seed < 2**32
    drawn_at = models.DateTimeField(_("drawn at"))
    drawn_by = who_field(_("drawn by"))
    # The period the records are read over: [start, end), end = when the paper was drawn.
    period_start = models.DateTimeField(_("period from"))
    period_end = models.DateTimeField(_("period until"))
    # The computed sections as drawn (coverage, tasks, hazards, training): machine values
    # (codes, ids, ISO times, the records' own names), shown in the reader's language.
    sections = models.JSONField(default=dict)
    # Per kind sampled: {"size": population size, "sha256": its digest, "wanted": n}.
    populations = models.JSONField(default=dict)
    digest = models.CharField(_("digest of the sampled populations"), max_length=64)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = AuditPaperQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit working paper")
        verbose_name_plural = _("audit working papers")

    def __str__(self) -> str:
        return f"{self.inspection_id}: {self.seed}"


class AuditSampleQuerySet(ScopedQuerySet):
    enterprise_path = "paper__inspection__enterprise__"


class AuditSample(models.Model):
    """One sampled record for the team to verify on site, and what they found."""

    paper = models.ForeignKey(AuditPaper, on_delete=models.CASCADE, related_name="samples")
    kind = models.CharField(_("kind"), max_length=12, choices=AuditSampleKind.choices)
    record_model = models.CharField(max_length=60)  # app_label.model of the sampled record
    record_id = models.PositiveBigIntegerField()
    label = models.CharField(_("record"), max_length=300)
    # What the record said when the paper was drawn (the team compares it on site).
    facts = models.JSONField(default=dict)
    position = models.PositiveIntegerField(_("position in the sample"))
    result = models.CharField(
        _("result"), max_length=12, choices=AuditResult.choices, default=AuditResult.PENDING
    )
    note = models.TextField(_("note"), blank=True)
    checked_by = who_field(_("checked by"))
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    # A discrepancy is a finding of the inspection (once).
    finding = models.OneToOneField(
        "inspections.Finding",
        verbose_name=_("finding"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_sample",
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = AuditSampleQuerySet.as_manager()

    class Meta:
        ordering = ["paper", "id"]
        verbose_name = _("audit sample")
        verbose_name_plural = _("audit samples")
        constraints = [
            models.UniqueConstraint(
                fields=["paper", "kind", "position"], name="audit_sample_position"
            ),
            models.UniqueConstraint(
                fields=["paper", "kind", "record_id"], name="audit_sample_record_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.paper_id}/{self.kind}/{self.position}"
