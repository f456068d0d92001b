"""Form widgets every app uses.

Browsers' date pickers take and give ISO 8601 only (`<input type="date">`: YYYY-MM-DD,
`<input type="datetime-local">`: YYYY-MM-DDTHH:MM). Django's own date widgets write the
value in the active language's first input format instead (2026/12/04 in zh-Hans), which
the browser discards, leaving the field empty. These widgets always write ISO; the fields
accept ISO in every language, so what is rendered posts back unchanged.
"""

from __future__ import annotations

from typing import Any

from django import forms

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    """A browser date picker whose value is always YYYY-MM-DD."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=ISO_DATE)


class DateTimeInput(forms.DateTimeInput):
    """A browser date-and-time picker (local time) whose value is always YYYY-MM-DDTHH:MM."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=ISO_DATETIME_LOCAL)
