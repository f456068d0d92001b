"""Special rectification campaigns (专项整治): a city-wide programme over some sectors,
some regions and a period, judged against the major-hazard determination standards it
names and the targets it sets. Its progress is always computed from the hazards and
inspections recorded (see `selectors`), never stored."""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from redline.campaigns.vocab import TARGETS
from redline.hazards.standards import determination_standards
from redline.inspections.checklist_data import campaign_programmes
from redline.organisations.models import (
    Enterprise,
    Region,
    ScopedQuerySet,
    SectorRow,
    in_sectors_q,
)
from redline.organisations.vocab import Sector, UnitStatus

if TYPE_CHECKING:
    from redline.organisations.access import Scope


def standard_title(standard: Any) -> str:
    """A determination standard's title in the reader's language."""
    english = (get_language() or "").startswith("en")
    return str(standard.title_en if english else standard.title_zh)


def _any_of(parts: list[Q]) -> Q:
    return reduce(or_, parts) if parts else Q(pk__in=[])


class CampaignQuerySet(ScopedQuerySet):
    """The door (`restrict`, `get_for`) decides who sees which campaigns (`Scope.campaigns`:
    every government body and department sees every campaign, a unit the live campaigns
    that cover it) and who manages them (the action "manage": the city government and the
    city Safety Committee office)."""

    def scope_filter(self, scope: Scope) -> Q:
        if scope.campaigns == "all":
            return Q()
        if scope.campaigns == "covering" and scope.enterprise_id:
            unit = Enterprise.objects.select_related("region").get(pk=scope.enterprise_id)
            return self.covering_q(unit)
        return Q(pk__in=[])

    def covering(self, enterprise: Enterprise) -> CampaignQuerySet:
        """Live campaigns whose scope takes in this unit (as `Campaign.enterprise_q`)."""
        return self.filter(self.covering_q(enterprise))

    @staticmethod
    def covering_q(enterprise: Enterprise) -> Q:
        if enterprise.is_archived or enterprise.status == UnitStatus.CLOSED:
            return Q(pk__in=[])
        sectors = CampaignSector.objects.filter(sector__in=enterprise.sector_list)
        path = enterprise.region.path
        parts = path.strip("/").split("/")
        ancestors = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
        placed = Campaign.objects.filter(regions__path__in=ancestors).values("pk")
        anywhere = Campaign.objects.filter(regions__isnull=True).values("pk")
        return (
            Q(pk__in=sectors.values("campaign_id"))
            & (Q(pk__in=placed) | Q(pk__in=anywhere))
            & Q(is_archived=False)
        )

    @staticmethod
    def reaching_q(region: Region) -> Q:
        """Campaigns reaching a region: placed in its subtree or above it, or city-wide."""
        parts = region.path.strip("/").split("/")
        ancestors = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
        placed = Campaign.objects.filter(
            Q(regions__path__startswith=region.path) | Q(regions__path__in=ancestors)
        ).values("pk")
        anywhere = Campaign.objects.filter(regions__isnull=True).values("pk")
        return Q(pk__in=placed) | Q(pk__in=anywhere)

    def live(self) -> CampaignQuerySet:
        return self.filter(is_archived=False)


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    # The programme a checklist is written for (`inspections/data/checklists`, "campaign"):
    # inspections under the campaign are offered that checklist. Not unique: each year's
    # campaign of a programme names the same code.
    code = models.CharField(
        _("programme"),
        max_length=40,
        blank=True,
        help_text=_(
            "The checklist programme; its checklist is offered for this campaign's inspections."
        ),
    )
    # Sector codes as ",fire,gas,", like a unit's (read, shown, logged); filters read the
    # campaign's `CampaignSector` rows, kept in step by `save()` and the service.
    sectors = models.CharField(_("sectors"), max_length=120)
    regions = models.ManyToManyField(
        Region,
        verbose_name=_("regions"),
        blank=True,
        related_name="+",
        help_text=_("Leave empty for the whole city."),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    standards = models.JSONField(_("determination standards"), default=list, blank=True)
    targets = models.JSONField(_("targets"), default=dict, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_archived = models.BooleanField(_("archived"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "name", "id"]
        verbose_name = _("special rectification campaign")
        verbose_name_plural = _("special rectification campaigns")

    def __str__(self) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        fields = kwargs.get("update_fields")
        if fields is None or "sectors" in fields:
            CampaignSector.sync([self])

    # --- sectors, standards, targets ---------------------------------------------------

    @property
    def sector_list(self) -> list[str]:
        return [s for s in self.sectors.split(",") if s]

    @sector_list.setter
    def sector_list(self, values: list[str]) -> None:
        chosen = set(values)
        ordered = [s for s in Sector.values if s in chosen]
        unknown = sorted(chosen - set(Sector.values))
        ordered += unknown  # kept, so that clean() can name them
        self.sectors = "," + ",".join(ordered) + "," if ordered else ""

    def get_sector_labels(self) -> list[str]:
        labels = dict(Sector.choices)
        return [str(labels.get(s, s)) for s in self.sector_list]

    def standard_list(self) -> list[Any]:
        """The determination standards the campaign applies (unknown ids left out)."""
        known = determination_standards()
        return [known[s] for s in self.standards or [] if s in known]

    def item_ids(self) -> frozenset[str]:
        """Every item id of the campaign's standards."""
        return frozenset(i.id for s in self.standard_list() for i in s.items)

    @classmethod
    def audit_display(cls, field: str, value: Any) -> str | None:
        """A logged value for people (`redline.core.changelog`)."""
        from redline.core.changelog import join

        if field == "sectors" and isinstance(value, str):
            labels = dict(Sector.choices)
            return join(str(labels.get(s, s)) for s in value.split(",") if s)
        if field == "regions" and isinstance(value, list):
            return join(str(name) for _pk, name in value) or str(_("The whole city"))
        if field == "standards" and isinstance(value, list):
            known = determination_standards()
            return join(standard_title(known[s]) if s in known else str(s) for s in value)
        if field == "targets" and isinstance(value, dict):
            parts = []
            for key, target in value.items():
                kind = TARGETS.get(key)
                parts.append(f"{kind.label} {kind.symbol} {target}%" if kind else f"{key} {target}")
            return join(parts)
        return None

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        unknown = [s for s in self.sector_list if s not in Sector.values]
        if not self.sector_list:
            errors["sectors"] = _("Choose at least one sector.")
        elif unknown:
            errors["sectors"] = _("Unknown sector: %s") % ", ".join(unknown)
        dates = isinstance(self.starts_on, dt.date) and isinstance(self.ends_on, dt.date)
        if dates and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The campaign cannot end before it starts.")
        problem = self._standards_problem()
        if problem:
            errors["standards"] = problem
        if self.code and self.code not in campaign_programmes():
            errors["code"] = _("No checklist is written for the programme %s.") % self.code
        errors |= self._target_problems()
        if errors:
            raise ValidationError(errors)

    def _standards_problem(self) -> str | None:
        if not isinstance(self.standards, list) or not all(
            isinstance(s, str) for s in self.standards
        ):
            return str(_("Give the standards as a list of standard ids."))
        known = determination_standards()
        unknown = [s for s in self.standards if s not in known]
        if unknown:
            return str(_("Unknown determination standard: %s") % ", ".join(unknown))
        if len(set(self.standards)) != len(self.standards):
            return str(_("A standard is listed twice."))
        sectors = set(self.sector_list)
        outside = [s for s in self.standards if known[s].sector not in sectors]
        if sectors and outside:
            return str(
                _("%s: the standard belongs to a sector the campaign does not cover.")
                % ", ".join(outside)
            )
        return None

    def _target_problems(self) -> dict[str, Any]:
        if not isinstance(self.targets, dict):
            return {"targets": _("Give the targets as a mapping of target to percentage.")}
        errors: dict[str, Any] = {}
        unknown = sorted(k for k in self.targets if k not in TARGETS)
        if unknown:
            errors["targets"] = _("Unknown target: %(keys)s (known: %(known)s)") % {
                "keys": ", ".join(map(str, unknown)),
                "known": ", ".join(TARGETS),
            }
        for key, value in self.targets.items():
            if key not in TARGETS:
                continue
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if not number or not 0 <= value <= 100:
                errors[f"targets.{key}"] = _("Give a percentage between 0 and 100.")
        return errors

    # --- scope -------------------------------------------------------------------------

    @property
    def programme_title(self) -> str:
        """The title of the checklist written for the campaign's programme ("" for none)."""
        template = campaign_programmes().get(self.code) if self.code else None
        if template is None:
            return ""
        return template.title_zh if (get_language() or "").startswith("zh") else template.title_en

    def period_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) in local time: from the first day's midnight to the day after the last."""
        zone = timezone.get_current_timezone()
        start = dt.datetime.combine(self.starts_on, dt.time.min, tzinfo=zone)
        end = dt.datetime.combine(self.ends_on + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        return start, end

    def region_paths(self) -> list[str]:
        """The paths of the campaign's regions; empty for the whole city (prefetch-aware)."""
        return sorted(r.path for r in self.regions.all())

    def _region_q(self, field: str) -> Q:
        paths = self.region_paths()
        if not paths:
            return Q()
        return _any_of([Q(**{f"{field}__path__startswith": p}) for p in paths])

    def hazard_q(self) -> Q:
        """A filter on Hazard: in one of the campaign's sectors (the hazard's own sector or
        one of its unit's), in its regions' subtrees, reported within the period. Its unit's
        sectors are read from the hazard's copy of them (`unit_sectors`, kept in step with
        the unit, as the door reads them): an equality a row answers by itself, where a
        subquery over the unit's sector rows, tested once per count of the progress
        figures, cost twenty times more (SQLite, city scale)."""
        if not self.sector_list:
            return Q(pk__in=[])
        start, end = self.period_bounds()
        sector = Q(sector__in=self.sector_list) | Q(
            unit_sectors__in=Sector.texts_with_any(self.sector_list)
        )
        when = Q(reported_at__gte=start, reported_at__lt=end)
        return sector & self._region_q("region") & when

    def enterprise_q(self) -> Q:
        """A filter on Enterprise: the units in scope, i.e. registered (not archived), not
        closed down, in one of the campaign's sectors and in its regions' subtrees."""
        if not self.sector_list:
            return Q(pk__in=[])
        return (
            Q(is_archived=False)
            & ~Q(status=UnitStatus.CLOSED)
            & in_sectors_q(self.sector_list)
            & self._region_q("region")
        )

    def phase(self, today: dt.date | None = None) -> str:
        """ "upcoming", "running" or "ended" on `today`."""
        today = today or timezone.localdate()
        if today < self.starts_on:
            return "upcoming"
        return "running" if today <= self.ends_on else "ended"


class CampaignSector(SectorRow):
    """One sector of a campaign: which campaigns cover a unit is read from these rows."""

    owner = "campaign"
    campaign = SectorRow.owner_field(Campaign)

    class Meta:
        verbose_name = _("sector of a campaign")
        verbose_name_plural = _("sectors of campaigns")
        constraints, indexes = SectorRow.keys("campaign")
