from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def pct(value: Any) -> str:
    """A share in percent with one decimal, or a dash when it cannot be computed."""
    if value is None:
        return "—"
    return f"{float(value):.1f}%"
