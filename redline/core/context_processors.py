from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from redline.core.notify import unread_count
from redline.core.sections import concerns
from redline.organisations.access import can, is_government_side, role_allows


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The menu a user sees depends on their roles and on what concerns their organisation
    (`redline.core.sections`); links they cannot use or that do not concern them are not
    shown."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    concern = concerns(user)
    items = [
        (reverse("home"), _("Overview"), "home"),
        (reverse("regions"), _("Organisation tree"), "regions"),
        (reverse("enterprise-list"), _("Enterprises & units"), "enterprises"),
    ]
    if concern.safety:
        items.append((reverse("risk-map"), _("Risk map"), "riskmap"))
    if concern.parks:
        items.append((reverse("park-list"), _("Chemical parks"), "parks"))
    if concern.safety:
        items.append((reverse("campaign-list"), _("Special rectification"), "campaigns"))
        items.append((reverse("hazard-list"), _("Hidden hazards"), "hazards"))
        items.append((reverse("inspection-list"), _("Inspections"), "inspections"))
        items.append((reverse("accident-list"), _("Accidents"), "accidents"))
        if is_government_side(user):
            items.append((reverse("training-list"), _("Training"), "training"))
    if concern.safety and is_government_side(user):
        items.append((reverse("cockpit"), _("City cockpit"), "cockpit"))
        items.append((reverse("situation-report"), _("Situation report"), "reports"))
    if concern.committee:
        items.append((reverse("committee-dashboard"), _("Safety Committee"), "committee"))
        if is_government_side(user):
            items.append((reverse("assessment-list"), _("Assessment"), "assessment"))
    if concern.epidemic:
        items.append((reverse("epidemic:dashboard"), _("Epidemic monitoring"), "epidemic"))
    if concern.capacity:
        items.append((reverse("medical-regional"), _("Treatment capacity"), "medical"))
    org = getattr(user, "organisation", None)
    if concern.safety and org is not None and org.enterprise_id:
        items.append((reverse("my-tasks"), _("My inspection tasks"), "tasks"))
    elif concern.safety and is_government_side(user) and can(user, "inspect"):
        # The units' self-inspection, read-only, and reporting what an inspection found.
        items.append((reverse("my-tasks"), _("Inspection tasks"), "tasks"))
    if role_allows(user, "administer"):
        items.append((reverse("audit-log"), _("Change log"), "audit"))
    items.append((reverse("api-tokens"), _("API tokens"), "tokens"))
    return {
        "nav_items": items,
        "unread_notifications": unread_count(user),
        "can_create_units": can(user, "create"),
        "nav_section": getattr(request, "nav_section", ""),
    }
