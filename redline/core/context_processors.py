from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from redline.core.notify import unread_count
from redline.organisations.access import can, role_allows


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The menu a user sees depends on their roles; links they cannot use are not shown."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        (reverse("home"), _("Overview"), "home"),
        (reverse("regions"), _("Organisation tree"), "regions"),
        (reverse("enterprise-list"), _("Enterprises & units"), "enterprises"),
        (reverse("risk-map"), _("Risk map"), "riskmap"),
        (reverse("park-list"), _("Chemical parks"), "parks"),
        (reverse("campaign-list"), _("Special rectification"), "campaigns"),
        (reverse("hazard-list"), _("Hidden hazards"), "hazards"),
        (reverse("epidemic:dashboard"), _("Epidemic monitoring"), "epidemic"),
        (reverse("medical-regional"), _("Treatment capacity"), "medical"),
    ]
    org = getattr(user, "organisation", None)
    if org is not None and org.enterprise_id:
        items.append((reverse("my-tasks"), _("My inspection tasks"), "tasks"))
    if role_allows(user, "administer"):
        items.append((reverse("audit-log"), _("Change log"), "audit"))
    items.append((reverse("api-tokens"), _("API tokens"), "tokens"))
    return {
        "nav_items": items,
        "unread_notifications": unread_count(user),
        "can_create_units": can(user, "create"),
        "nav_section": getattr(request, "nav_section", ""),
    }
