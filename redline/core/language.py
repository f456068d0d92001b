"""Text kept in the data in both languages: the reader's one."""

from __future__ import annotations

from django.utils.translation import get_language


def reading_english() -> bool:
    return (get_language() or "").startswith("en")


def in_language(chinese: str, english: str) -> str:
    """The English text when the reader reads English and one is recorded; else the Chinese."""
    if english and reading_english():
        return english
    return chinese
