"""How a value someone sent is read into its type, once, at the edge.

A `Reader` turns a given, non-blank value (a web form's cleaned value, an API's JSON value,
a spreadsheet's cell) into its typed value, or says what to give instead (`Invalid`). Two
things are declared with readers: a workflow step's fields (`Transition.fields`, read by
`take_step`) and a service's typed input (`redline.core.inputs.Input`, read by `Input.of`).
`read_fields` reads them all and names every bad or missing one at once (422); a blank value
counts as not given. What is left to the code behind the edge are the rules that need the
record, the actor or the database (a rectifier of this unit, a body the actor may name).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class Invalid(ValueError):
    """A field's value cannot be read; the message says what to give."""


@dataclass(frozen=True)
class Reader:
    """How one field is read: `read` turns a given, non-blank value into the typed value,
    or raises `Invalid` with what to give instead."""

    read: Callable[[Any], Any]
    kind: str  # for the API's descriptions
    refusal_text: Any = None  # a reference's refusal, for the hook that checks it
    limit: int = 0  # a text's most characters (0: none)

    @property
    def refusal(self) -> str:
        return str(self.refusal_text)


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def Text(limit: int = 0) -> Reader:
    """Text, stripped; at most `limit` characters (0: no limit)."""

    def read(value: Any) -> str:
        text = str(value).strip()
        if limit and len(text) > limit:
            raise Invalid(_("At most %(n)d characters.") % {"n": limit})
        return text

    return Reader(read, f"text ≤ {limit}" if limit else "text", limit=limit)


def Date(*, not_past: Any = None) -> Reader:
    """A date (YYYY-MM-DD); with `not_past`, the message refusing a day before today."""

    def read(value: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            day = value.date()
        elif isinstance(value, dt.date):
            day = value
        else:
            try:
                day = dt.date.fromisoformat(str(value).strip())
            except ValueError:
                raise Invalid(_("Give a date as YYYY-MM-DD.")) from None
        if not_past is not None and day < timezone.localdate():
            raise Invalid(str(not_past))
        return day

    return Reader(read, "date (YYYY-MM-DD)" + (", today or later" if not_past else ""))


def DateTime() -> Reader:
    """A moment (ISO 8601; without an offset, in the server's time zone)."""

    def read(value: Any) -> dt.datetime:
        if isinstance(value, dt.datetime):
            moment = value
        else:
            try:
                moment = dt.datetime.fromisoformat(str(value).strip())
            except ValueError:
                raise Invalid(_("Give a date and time.")) from None
        return timezone.make_aware(moment) if timezone.is_naive(moment) else moment

    return Reader(read, "date and time (ISO 8601)")


def Choice(values: Iterable[str], refusal: Any = None) -> Reader:
    """One of the given codes (a TextChoices' `.values`, or a list); `refusal` is what to
    say otherwise (default: the codes)."""
    allowed = tuple(values)

    def read(value: Any) -> str:
        code = str(value).strip()
        if code not in allowed:
            if refusal is not None:
                raise Invalid(str(refusal))
            raise Invalid(_("Choose one of: %(values)s.") % {"values": ", ".join(allowed)})
        return code

    return Reader(read, "one of " + ", ".join(allowed))


def Count() -> Reader:
    """A whole number of 0 or more."""

    def read(value: Any) -> int:
        try:
            number = int(str(value).strip())
        except ValueError:
            number = -1
        if number < 0 or isinstance(value, (bool, float)):
            raise Invalid(_("Give a whole number of 0 or more."))
        return number

    return Reader(read, "whole number ≥ 0")


MONEY_LIMIT = Decimal("10000000000")


def Money() -> Reader:
    """An amount in 10,000 CNY, 0 or more, to the cent."""

    def read(value: Any) -> Decimal:
        try:
            amount = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise Invalid(_("Give an amount in 10,000 CNY.")) from None
        if not amount.is_finite() or amount < 0 or amount >= MONEY_LIMIT:
            raise Invalid(_("Give an amount in 10,000 CNY."))
        return amount.quantize(Decimal("0.01"))

    return Reader(read, "amount in 10,000 CNY")


NUMBER_LIMIT = Decimal("1000000000000")


def Number(places: int = 2) -> Reader:
    """A number (a measured figure, a target): finite, less than 10^12 in size, rounded to
    `places` decimals."""
    step = Decimal(1).scaleb(-places)

    def read(value: Any) -> Decimal:
        if isinstance(value, bool):
            raise Invalid(_("Give a number."))
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise Invalid(_("Give a number.")) from None
        if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
            raise Invalid(_("Give a number."))
        return number.quantize(step)

    return Reader(read, "number")


def Ref(refusal: Any) -> Reader:
    """A record's id (or the record itself, from a web form); which records the actor may
    name is the hook's to check, and `refusal` is what both say when it is none of them."""

    def read(value: Any) -> int:
        pk = getattr(value, "pk", value)
        try:
            number = int(str(pk).strip())
        except ValueError:
            raise Invalid(str(refusal)) from None
        if number <= 0 or isinstance(pk, (bool, float)):
            raise Invalid(str(refusal))
        return number

    return Reader(read, "id", refusal)


def Codes(values: Iterable[str] | None = None) -> Reader:
    """A list of codes (each stripped; blanks dropped; with `values`, each one of them)."""
    allowed = tuple(values) if values is not None else None

    def read(value: Any) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, Iterable):
            raise Invalid(_("Give a list."))
        codes = tuple(dict.fromkeys(str(v).strip() for v in value if not blank(v)))
        wrong = [c for c in codes if allowed is not None and c not in allowed]
        if wrong:
            raise Invalid(_("Choose one of: %(values)s.") % {"values": ", ".join(allowed or ())})
        return codes

    return Reader(read, "list of codes")


COMMENT_LIMIT = 4000
COMMENT = Text(limit=COMMENT_LIMIT)


def step_fields(**fields: Reader) -> dict[str, Reader]:
    """A step's fields: the comment, and those named."""
    return {"comment": COMMENT} | fields


def read_fields(
    fields: dict[str, Reader], data: dict[str, Any], required: Iterable[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The typed values of the fields given, and every error by field name (a bad value, a
    needed field left out)."""
    values: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for name, value in data.items():
        if blank(value):
            continue
        try:
            values[name] = fields[name].read(value)
        except Invalid as invalid:
            errors[name] = str(invalid)
    for name in sorted(required):
        if name not in values and name not in errors:
            errors[name] = gettext_lazy("This field is required.")
    return values, errors
