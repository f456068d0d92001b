"""Which parts of Redline concern a user: the navigation and the overview show only those.

This is not access (what a user may see is `redline.organisations.access`, the one door);
it is what a user's organisation is there to do, read from its kind, its mandates and its
region's level as the jurisdiction (`jurisdiction(user)`) describes them:

- safety risk and hidden hazards (risk map, campaigns, hazards): governments, the Safety
  Committee office, every department with a mandate (whoever manages an industry or a kind
  of unit manages its safety) and every unit's own account; not the public-health bodies;
- chemical parks: governments, the committee office, departments supervising hazardous
  chemicals, and the account of a unit inside a park;
- epidemic monitoring: the public-health bodies (CDC), departments supervising key places
  (the health commission over hospitals, education over schools, civil affairs over
  nursing homes), the committee office, and the city and district governments (a district
  government is told of confirmed signals and of verifications overdue); not subdistrict
  offices, other departments, or units;
- treatment capacity: the public-health bodies, departments supervising hospitals or fever
  clinics (the health commission), hospitals' and fever clinics' own accounts (their daily
  reports), and the city and district governments (told of capacity alerts);
- the Safety Committee's key tasks (its meetings, the tasks deployed, their supervision):
  the committee office, every government and every department (the committee's member
  units, which lead and cooperate on the tasks); not public-health bodies or units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from redline.medical.vocab import HEALTH_UNIT_KINDS
from redline.organisations.access import jurisdiction, once_per_user
from redline.organisations.vocab import OrganisationKind, RegionLevel, Sector, UnitKind

CAPACITY_KINDS = frozenset(HEALTH_UNIT_KINDS)
KEY_PLACE_KINDS = frozenset(UnitKind.key_places())


@dataclass(frozen=True)
class Concerns:
    safety: bool = False
    parks: bool = False
    epidemic: bool = False
    capacity: bool = False
    committee: bool = False


NOTHING = Concerns()
EVERYTHING = Concerns(safety=True, parks=True, epidemic=True, capacity=True, committee=True)


def _compute(user: Any) -> Concerns:
    if user is None or not getattr(user, "is_authenticated", False):
        return NOTHING
    if getattr(user, "is_superuser", False):
        return EVERYTHING
    scope = jurisdiction(user)
    org = getattr(user, "organisation", None)
    if org is None or scope.is_empty:
        return NOTHING
    if org.kind == OrganisationKind.COMMITTEE_OFFICE:
        return Concerns(safety=True, parks=True, epidemic=True, committee=True)
    if org.kind == OrganisationKind.GOVERNMENT:
        # Territorial governments answer for safety; the city and district governments are
        # also in the loops of epidemic signals and capacity alerts.
        upper = org.region.level in (RegionLevel.CITY, RegionLevel.DISTRICT)
        return Concerns(safety=True, parks=True, epidemic=upper, capacity=upper, committee=True)
    if org.kind == OrganisationKind.PUBLIC_HEALTH:
        return Concerns(epidemic=True, capacity=True)
    if org.kind == OrganisationKind.DEPARTMENT:
        kinds = {m.unit_kind for m in scope.mandates if m.unit_kind}
        sectors = {m.sector for m in scope.mandates if m.sector}
        return Concerns(
            safety=bool(scope.mandates),
            parks=Sector.HAZARDOUS_CHEMICALS in sectors,
            epidemic=bool(kinds & KEY_PLACE_KINDS),
            capacity=bool(kinds & CAPACITY_KINDS),
            committee=True,
        )
    if org.kind == OrganisationKind.ENTERPRISE and org.enterprise_id:
        unit = org.enterprise
        return Concerns(
            safety=True,
            parks=unit.chemical_park_id is not None,
            capacity=unit.kind in CAPACITY_KINDS,
        )
    return NOTHING


@once_per_user("_redline_concerns")
def concerns(user: Any) -> Concerns:
    """What concerns the user."""
    return _compute(user)


def not_concerned(
    request: HttpRequest,
    *,
    title: str,
    message: str,
    who: str,
    links: Sequence[tuple[str, str]] = (),
) -> HttpResponse:
    """The page a dashboard shows instead of zeros to someone it does not concern and who has
    nothing of its kind in their jurisdiction. `message` names the organisation as %(org)s."""
    org = getattr(request.user, "organisation", None)
    context = {
        "title": title,
        "message": message % {"org": org or _("your account")},
        "who": who,
        "links": list(links),
    }
    return render(request, "core/not_concerned.html", context)
