from __future__ import annotations

from django import template

from redline.epidemic.messages import translated

register = template.Library()


@register.filter
def run_problem(text: str) -> str:
    """A detection run's stored problem (English) in the active language."""
    return translated(str(text))


@register.filter
def engine_note(text: str) -> str:
    """A note the detection engine attached to a result (English) in the active language."""
    return translated(str(text))
