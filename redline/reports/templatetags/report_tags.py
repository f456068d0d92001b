from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def index(items: Any, position: int) -> Any:
    """`items|index:n`: the n-th item (for a table's column label or a row's link)."""
    try:
        return items[position]
    except (IndexError, TypeError, KeyError):
        return ""
