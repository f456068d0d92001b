"""Small builders for hazard tests: an inventory chain down to a measure with a cycle, a
tiny valid JPEG and PNG, and a reported hazard."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from redline.accounts.models import User
from redline.organisations.models import Enterprise
from redline.risk.models import ControlMeasure, InspectionCycle, RiskEvent, RiskObject, RiskUnit

# Real, small images (a 48x32 picture made by Chromium's canvas): browsers can show them.
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/4gHYSUNDX1BST0ZJTEUAAQEAAAHIAAAAAAQwAABtbnRyUkdCIFhZWiAH4AAB"
    "AAEAAAAAAABhY3NwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAA9tYAAQAAAADTLQAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAlkZXNjAAAA8AAAACRyWFlaAAABFAAAABRnWFla"
    "AAABKAAAABRiWFlaAAABPAAAABR3dHB0AAABUAAAABRyVFJDAAABZAAAAChnVFJDAAABZAAAAChiVFJDAAABZAAA"
    "AChjcHJ0AAABjAAAADxtbHVjAAAAAAAAAAEAAAAMZW5VUwAAAAgAAAAcAHMAUgBHAEJYWVogAAAAAAAAb6IAADj1"
    "AAADkFhZWiAAAAAAAABimQAAt4UAABjaWFlaIAAAAAAAACSgAAAPhAAAts9YWVogAAAAAAAA9tYAAQAAAADTLXBh"
    "cmEAAAAAAAQAAAACZmYAAPKnAAANWQAAE9AAAApbAAAAAAAAAABtbHVjAAAAAAAAAAEAAAAMZW5VUwAAACAAAAAc"
    "AEcAbwBvAGcAbABlACAASQBuAGMALgAgADIAMAAxADb/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikx"
    "MC4pLSwzOko+MzZGNywtQFdBRkxOUlNSMj5aYVpQYEpRUk//2wBDAQ4ODhMREyYVFSZPNS01T09PT09PT09PT09P"
    "T09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT0//wAARCAAgADADASIAAhEBAxEB/8QAGAAAAwEB"
    "AAAAAAAAAAAAAAAAAQIGAwT/xAAaEAEBAAIDAAAAAAAAAAAAAAABAAQGNYKy/8QAFwEAAwEAAAAAAAAAAAAAAAAA"
    "AwQFBv/EACARAAIABQUBAAAAAAAAAAAAAAABAhESI0EEEzFhcQX/2gAMAwEAAhEDEQA/AOtZFitmtlYUalICyLXW"
    "ucHj9vTDZeByevoqkOit11YnwIrX3dunMue/CCWRYrIsGFFRI7lkWKyLKwoGkXWt8FjdvTLs3AZPT2UGsi1OHU26"
    "JYkIr593cqzPjv0C2azLZrDhRUSP/9k="
)
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAADAAAAAgCAYAAABU1PscAAAG40lEQVR4AayYeY8VRRTFTz+3uJEZcGUVvg5REQQU"
    "jdEQEkI0RENcQjSEL2Fc4hLjZ0OZ994MM/zN9XduV9V0N0vSiRXL2+fWOefequrXEBZ7txX3by9i79Yi7t96KvZ+"
    "YH7/dOzefCb2bj4bu98xv30udr9hfv183LvxfOzeeCHufcX88qXYuf5i3Lv+cux8wfz8QGxfOxA71zZi++pG7Fzd"
    "jPWVzdi+cijWlw/F9uVXYv0Z89NXY/3Ja8zXY/Ux86M3YvWh5+FYXjwcqwtHYnme+f6x2Dp7NJZnj8fWmeOxfPdE"
    "bL3teTLunj4ZW6dPxaJTpwgxiA8IQQS3PFhgEac8OW+9dUTjpgMH+R4HCF+w8FFQh0z6DfCj8qkvuuRbB675hZMG"
    "Q7FxsNANzIGaYrdhXfIxlc1pLnkjvFA8YIF183tePOzneujsl7yQsu5IZ3U5DPL9DSCqAot9csLMYtNHkbwwnvIq"
    "zsi6dY03wJnPejRR82BvelSH5hJTLyNYE57xIpsVA6IgGbsJF09MEZub7LxvRnBt2mnBEYnZN5PrFBE+QifzwJ0Y"
    "PIu8/R3ldeNB7MB55HDN67HSf8qvmA46CJAsppiIbs4xm7bZsEjB3lTjsT7CEx830/we49/VfPWvmJjNlnz1EVjU"
    "5eUUGyAM31EWa1E3aXOT5TzT2HlhMOKx5pwo6rx5+xiy8wRv1oeTPOOSF/pgWhfkjUc81obY+nYDTYSZEA+xm5HF"
    "Ne8THmLyNmtFwamf8ozxT16JY16Q5TzNK/72Vfj//Wvqpx73vPYbsOmjTma64/wNuAymNqu6jR/X2viJ+fNKG78s"
    "tfHrljZ/Y/5+V5t/MP/8Vwf/+od5Rwf/vpOvuuuNv05+E+za0Z0YpWk240PsqOt63kCQMx58hQrZJE7AixbhkmYN"
    "I7SB4GUER25Gs0b6pa5TOyTqCt/er8/nJgvP+YprXGQSUTZDrLhvHhMaFNMYJA3MRF4Fa+bo/XC0h+vSPGjfHyzn"
    "8e+IWQdu3x835QcwT/sn75OoO7PY2NHcYXT+YZ5mDuq6SZpwc26y1kl/mq7YmxU848YDi82xAeoWoIHIi4n5OlmU"
    "GF6aFV7m3QRYcwfFha7+prK5J/jnevLV31LRt6+QLC5Jn4CxwG6yNt0wedmsNG9zzR3Ua34Dn1qvRlHHv/iGi67P"
    "iz9Kh2IvDrAYQa6zySDv1yc3ST7YTK7DnfOfdd6AY+qH/vYt2BwFL8rwTfA6dUVv7QZsYjOxKBYT24TnmvdNdIgq"
    "HvE0b6Q/3iM/6k2x6KfWq9GHV3n5FZKbsriSjW3OBYmohvnhGcOTo/Op0+yRh4F/NoVP+uFr7M01XP2TQ32wBrxF"
    "3UlL0liaIHDczyNmzdgnkLFgN6OZw03mD5g62Syx1XOT4My7WWP7U6/XGdAP+bwBJ5OMKJjGAdk5N1exN+ucmmnX"
    "fxHAmjnsP/Kj3hTLvs4T3Ydx09G8cf4GcpHGfSKdyYgEFrHhR+VtUniaO9C5GVXfGsm3usXfvOwDnJG+rDNvUV+H"
    "nrTgi8VqMTEp88aIK7Yw87UoUXMHZYQufYp/a461zLPuWmK94jzsQT5vQAhS7CYhG9s8I9hiqcvXpUOcuOQTW6e5"
    "o5MPz69N+hXfimsUefcxwlmP3wB9c+SS3AxJLHkGI0pT8oKkAfYJdHw9uCq4vUnHumYO+wid66TedajXY9rygzF9"
    "NR649UPeurwBcyvJcXoyU1z5Nts/Gc0aLl59cjOluczzh5aG2Jsrmx3l4S3893GLZBKiNCtk56e459Hrg47/9Tcg"
    "dOtLb2p96YhWHxzR+uJRrS4wzx/X8twxrc6d0PK9E1qdeUvLdzxP5QV21PHhYJRY4LopuZ+CfUg9b7+eeR1vQn8D"
    "XIcgW2RTLxq7+R4Hq4jNo1nzcj2Ur1HFNaa+8FJfdJnHqfk6D7ZuyDNWyQufqhP1kkdUyfOymVqaQ2TydMdd+buI"
    "mbI4efG//LtO+hV/N5c4/TU6HPclN82mGy/EHTjJQ2dRWUwyWDVPVMEZ4anoKvamq24Un8AbvRb4V53zQ78pbjz6"
    "yhuozdRNZFMsZp5mOzFoRC4CdpTXjQexA+fLDLe+JskDZ2R9WNw+PU/ltCdvAnw3L6J1U3/n8zdg8+mOvWhRxto0"
    "0SY1b/Oqa3ma9XrDFLe/St5+1hmLzScP38xXTDT25jKCGw+fpiPPV0gMdg5wM14URS22aB9DcJ6QvFJ01CzmwbQu"
    "4InnbPYxuqwDz3zxSWx4qrM+64mbYhpbB6//VwmASjKLgm3qTTyEK6/EMS/IUsPFMFeI0ZEQ+f6Q/OQ8WVX/3CwM"
    "Yx9OxT0Pnf1YN7bePOFv3n8AAAD//3+OjqIAAAAGSURBVAMAX3OT5I6wXSsAAAAASUVORK5CYII="
)


def user(name: str) -> User:
    return User.objects.select_related("organisation").get(username=name)


def measure_with_cycle(
    enterprise: Enterprise, *, name: str = "M", **cycle: Any
) -> tuple[ControlMeasure, InspectionCycle]:
    obj = RiskObject.objects.create(enterprise=enterprise, name=f"O-{name}", kind="unit")
    unit = RiskUnit.objects.create(risk_object=obj, name=f"U-{name}")
    event = RiskEvent.objects.create(
        unit=unit,
        enterprise=enterprise,
        name=f"E-{name}",
        method="LEC",
        rule_set="lec-common",
        inherent_factors={"L": 3, "E": 6, "C": 7},
        inherent_score=126,
        inherent_level=3,
        level=3,
    )
    responsible = enterprise.people.first()
    measure = ControlMeasure.objects.create(
        event=event,
        responsible=responsible,
        description=f"Check the valve {name}",
        measure_class="1",
        measure_subclass="1-2",
        control_mode="inspection",
        management_level="team",
        inspection_content="Valve closed, no leak",
    )
    values = {
        "every": 1,
        "unit": "day",
        "starts_at": dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC),
        "day_type": "every",
    } | cycle
    return measure, InspectionCycle.objects.create(measure=measure, **values)


def report(actor: User, enterprise_id: int, **data: Any) -> Any:
    from redline.hazards.services import HazardReportInput, hazard_report

    fields = {
        "enterprise": enterprise_id,
        "name": "Leaking flange",
        "description": "The flange on line 3 drips.",
        "hazard_type": "equipment",
        "level": "general",
    } | data
    hazard, _created = hazard_report(actor=actor, data=HazardReportInput.of(fields))
    return hazard
