"""The targets a special rectification campaign may set, and which way each is met."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class TargetKind:
    key: str
    label: StrOrPromise
    # ">=": the actual share must reach the target; "<=": it must not exceed it.
    direction: str
    help: StrOrPromise

    @property
    def symbol(self) -> str:
        return "≥" if self.direction == ">=" else "≤"


TARGETS: dict[str, TargetKind] = {
    t.key: t
    for t in (
        TargetKind(
            "inspected_share",
            _("Units inspected"),
            ">=",
            _("Percentage of the units in scope inspected during the campaign"),
        ),
        TargetKind(
            "major_closed_share",
            _("Major hazards closed"),
            ">=",
            _("Percentage of the major hazards found that are accepted and closed"),
        ),
        TargetKind(
            "closure_share",
            _("Hazards closed"),
            ">=",
            _("Percentage of all hazards found that are accepted and closed"),
        ),
        TargetKind(
            "overdue_rate",
            _("Hazards overdue"),
            "<=",
            _("Percentage of the hazards found that are past their deadline (at most)"),
        ),
    )
}
