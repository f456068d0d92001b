from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from redline.risk.services import AssessmentWarning, assessment_warnings
from redline.risk.standards import basis_label
from redline.risk.vocab import LEVEL_CSS

register = template.Library()

SHORT = {1: _("Major"), 2: _("Large"), 3: _("General"), 4: _("Low")}


@register.filter
def level_label(level: int | None) -> str:
    return str(SHORT.get(level or 0, _("Not assessed")))


@register.filter
def level_css(level: int | None) -> str:
    return LEVEL_CSS.get(level or 0, "none")


@register.filter(name="assessment_warnings")
def warnings_of(event: Any) -> list[AssessmentWarning]:
    """The event's assessment warnings (e.g. a residual risk above the inherent one)."""
    return assessment_warnings(event)


@register.filter
def basis(text: str) -> str:
    """Where a GB 18218 grading line's threshold or beta comes from, translated."""
    return basis_label(str(text))
