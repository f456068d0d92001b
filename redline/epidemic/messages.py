"""Problems of a detection run and the engine's notes, stored in English and translated where
they are shown.

A run's problems are data (kept on the run, read later in any language), and many come from
the framework-free engine, which speaks English. Each text below is both the stored form
(`%` with its values) and the msgid that translates it: `translated()` matches a stored text
against the list and renders the translation, translating the values that are themselves
such texts (the reason inside "no series could be evaluated: ..."). A text that matches none
is shown as it is.

The engine's own texts are listed verbatim; a test runs the engine into each and checks that
it is recognised, so a change of wording in the engine cannot slip through untranslated.
"""

from __future__ import annotations

import re
from functools import cache

from django.utils.translation import gettext, gettext_noop

# Stored by the daily run (redline/epidemic/detection.py).
IN_SERIES = gettext_noop("In %(n)s series: %(error)s")
NONE_EVALUABLE = gettext_noop("no series could be evaluated: %(reason)s")
NO_LATEST = gettext_noop("no result for the latest period")
NOT_YET = gettext_noop("method %(method)s is not available in this version yet")
UNKNOWN_METHOD = gettext_noop("unknown method %(method)s")
UNKNOWN_PARAMETER = gettext_noop("parameter %(name)s is not one of %(method)s's (%(known)s)")
BAD_VALUE = gettext_noop("parameter %(name)s: %(value)s is not a valid value")

# Raised by the engine (redline/engines/detection/) when the data do not fit the method.
ENGINE = (
    gettext_noop("The vector of observed is too short!"),
    # (the longer form first: the shorter one would match it too)
    gettext_noop(
        "the series is too short: the first period with b=%(b)s years of reference values "
        "is number %(first)s, the series has %(n)s (series %(number)s)"
    ),
    gettext_noop(
        "the series is too short: the first period with b=%(b)s years of reference values "
        "is number %(first)s, the series has %(n)s"
    ),
    gettext_noop(
        "too short: mpm needs %(years)s year(s) of history plus %(blocks)s block(s) of "
        "%(window)s days before the first evaluated period"
    ),
    gettext_noop("mpm needs daily or weekly data"),
    gettext_noop("window must be a multiple of 7 days for weekly data"),
    gettext_noop(
        "too short: m is estimated from the first %(freq)s periods (one year) and no period "
        "is left to evaluate; give m or range"
    ),
    gettext_noop("too short: the series has no periods"),
    gettext_noop("m=glm needs at least 3 periods before the range"),
    gettext_noop("m=glm: the model cannot be fitted to the counts before the range"),
    gettext_noop("range %(first)s:%(last)s goes past the series' %(n)s periods"),
)

# Notes the engine attaches to a result (stored with a signal's evidence, shown with it and
# with the series): facts behind a method that are not verified.
NOTES = (
    gettext_noop(
        "MPM baseline: the default of 2 preceding and 2 following blocks in each past year "
        "(15 values with 3 years) is UNCONFIRMED; it comes from secondary descriptions of "
        "CIDARS, not from the published definition."
    ),
)

TEMPLATES = (
    IN_SERIES,
    NONE_EVALUABLE,
    NO_LATEST,
    NOT_YET,
    UNKNOWN_METHOD,
    UNKNOWN_PARAMETER,
    BAD_VALUE,
    *ENGINE,
    *NOTES,
)
NESTED = {"error", "reason"}  # values that are themselves stored texts
_FIELD = re.compile(r"%\((\w+)\)s")


@cache
def _pattern(template: str) -> re.Pattern[str]:
    parts = _FIELD.split(template)
    # split alternates literal text and field names
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$", re.DOTALL)


def translated(text: str) -> str:
    """The stored problem `text` in the active language."""
    for template in TEMPLATES:
        found = _pattern(template).match(text)
        if found is None:
            continue
        values = {
            name: translated(value) if name in NESTED else value
            for name, value in found.groupdict().items()
        }
        return gettext(template) % values if values else gettext(template)
    return text


def recognised(text: str) -> bool:
    return any(_pattern(template).match(text) for template in TEMPLATES)
