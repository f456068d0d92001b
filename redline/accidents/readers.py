"""The readers of an accident's figures, shared by the typed input, the workflow's
supplementary step and the spreadsheet: whole counts (not 2.0, not true) and an amount in
CNY to the cent, read by the same rules as the Decree 493 engine."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from redline.core.readers import Invalid, Reader
from redline.engines.accident_level import MAX_COUNT, MAX_LOSS


def Casualties() -> Reader:
    """A whole number of people, 0 or more (a form's or JSON's integer, or its digits)."""

    def read(value: Any) -> int:
        if isinstance(value, bool) or isinstance(value, float | Decimal):
            raise Invalid(_("Give a whole number of 0 or more."))
        text = str(value).strip()
        if not text.isdigit() or int(text) > MAX_COUNT:
            raise Invalid(_("Give a whole number of 0 or more."))
        return int(text)

    return Reader(read, "whole number ≥ 0")


def Yuan() -> Reader:
    """An amount in CNY (yuan), 0 or more, at most two decimals."""

    def read(value: Any) -> Decimal:
        if isinstance(value, bool):
            raise Invalid(_("Give an amount in CNY, 0 or more, to the cent."))
        try:
            amount = Decimal(str(value).strip().replace(",", ""))
        except (InvalidOperation, ValueError):
            raise Invalid(_("Give an amount in CNY, 0 or more, to the cent.")) from None
        if (
            not amount.is_finite()
            or amount < 0
            or amount > MAX_LOSS
            or amount != amount.quantize(Decimal("0.01"))
        ):
            raise Invalid(_("Give an amount in CNY, 0 or more, to the cent."))
        return amount.quantize(Decimal("0.01"))

    return Reader(read, "amount in CNY (yuan)")
