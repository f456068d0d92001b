from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from redline.risk.vocab import LEVEL_CSS

register = template.Library()

SHORT = {1: _("Major"), 2: _("Large"), 3: _("General"), 4: _("Low")}


@register.filter
def level_label(level: int | None) -> str:
    return str(SHORT.get(level or 0, _("Not assessed")))


@register.filter
def level_css(level: int | None) -> str:
    return LEVEL_CSS.get(level or 0, "none")
