"""What keeps the public report form (`redline.hazards.public`) from being abused: each form's
stamp serves for one report, and the reports of one address are counted one at a time."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicReportStamp(models.Model):
    """The stamp of a public report form that a report was sent with: its nonce is unique,
    so the same form (or a copy of its stamp) cannot send a second report. Kept while the
    stamp is valid, then deleted."""

    nonce = models.CharField(_("nonce"), max_length=64, unique=True)
    used_at = models.DateTimeField(_("used at"), db_index=True)

    class Meta:
        verbose_name = _("used public report stamp")
        verbose_name_plural = _("used public report stamps")

    def __str__(self) -> str:
        return self.nonce


class PublicReportSender(models.Model):
    """An address (a keyed hash of it) that sent public reports. Its row is locked while
    its reports of the last hour are counted and the new one is saved, so concurrent reports
    from one address cannot together pass the hourly limit."""

    ip_hash = models.CharField(_("address hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("public report sender")
        verbose_name_plural = _("public report senders")

    def __str__(self) -> str:
        return self.ip_hash
