from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from redline.core.notify import unread_count
from redline.core.sections import concerns
from redline.organisations.access import can, is_government_side, role_allows

# A menu entry as `nav_items` lists it: (url, label, key); the key is what a view sets as
# `request.nav_section` when the page is that entry's.
NavItem = tuple[str, str | Promise, str]


class NavLink(NamedTuple):
    url: str
    label: str | Promise
    key: str
    current: bool


@dataclass(frozen=True)
class NavGroup:
    """One labelled group of the main menu; a group of one link shows as that link."""

    key: str
    label: str | Promise
    links: tuple[NavLink, ...]

    @property
    def current(self) -> bool:
        return any(link.current for link in self.links)

    @property
    def single(self) -> NavLink | None:
        return self.links[0] if len(self.links) == 1 else None


# The groups of the main menu, in order, and the entries of each, in order. Every entry the
# menu can hold belongs to exactly one group.
MENU_GROUPS: tuple[tuple[str, str | Promise, tuple[str, ...]], ...] = (
    ("overview", pgettext_lazy("main menu group", "Overview"), ("home",)),
    ("base", pgettext_lazy("main menu group", "Base data"), ("regions", "enterprises", "parks")),
    (
        "prevention",
        pgettext_lazy("main menu group", "Dual prevention"),
        ("riskmap", "hazards", "inspections", "tasks", "campaigns"),
    ),
    (
        "supervision",
        pgettext_lazy("main menu group", "Supervision"),
        ("accidents", "training", "committee", "assessment"),
    ),
    ("analysis", pgettext_lazy("main menu group", "Analysis"), ("cockpit", "reports")),
    ("epidemic", pgettext_lazy("main menu group", "Epidemic"), ("epidemic", "medical")),
    ("system", pgettext_lazy("main menu group", "System"), ("audit", "tokens")),
)


def group_navigation(items: Sequence[NavItem], current: str = "") -> list[NavGroup]:
    """The menu's entries in their groups; a group with none of the entries is left out.
    `current` is the key of the page's entry (`nav_section`)."""
    by_key = {key: NavLink(url, label, key, key == current) for url, label, key in items}
    grouped = {key for _group, _label, keys in MENU_GROUPS for key in keys}
    if stray := by_key.keys() - grouped:
        raise ValueError(f"menu entries in no group of MENU_GROUPS: {sorted(stray)}")
    groups = []
    for group, label, keys in MENU_GROUPS:
        links = tuple(by_key[key] for key in keys if key in by_key)
        if links:
            groups.append(NavGroup(group, label, links))
    return groups


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The menu a user sees depends on their roles and on what concerns their organisation
    (`redline.core.sections`); links they cannot use or that do not concern them are not
    shown. `nav_items` is the flat list of entries, `nav_groups` the same entries in the
    menu's groups (`MENU_GROUPS`)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_groups": []}
    concern = concerns(user)
    items: list[NavItem] = [
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
    nav_section = getattr(request, "nav_section", "")
    return {
        "nav_items": items,
        "nav_groups": group_navigation(items, nav_section),
        "unread_notifications": unread_count(user),
        "can_create_units": can(user, "create"),
        "nav_section": nav_section,
    }
