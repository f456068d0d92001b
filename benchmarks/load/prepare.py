"""What the load users need before the run (Django set up on the load database): API
tokens for demo users of every kind, and what they act on.

The demo city has the accounts of one unit (`enterprise-*`); so that reports and steps are
spread over several units as in a real city, the load adds an operator and a manager
(`load-u<unit id>-operator`, `-manager`, no password: tokens only) to the units with the
most open hazards. Re-running reuses them. Each run revokes the tokens of earlier runs and
issues new ones (`token_issue`).
"""

from __future__ import annotations

from typing import Any

LOAD_UNITS = 12
READERS = [
    "city-viewer",
    "city-manager",
    "committee-viewer",
    "district-viewer",
    "district-manager",
    "subdistrict-viewer",
    "dept-viewer",
    "housing-viewer",
    "fire-viewer",
    "cdc-viewer",
    "enterprise-viewer",
]
WEB = ["city-viewer", "district-viewer", "dept-viewer", "enterprise-manager"]
# Who acts on hazards from the government side, and which steps each of them tries.
GOVERNMENT = {
    "district-inspector": ["assign", "accept", "list", "dismiss"],
    "district-manager": ["assign", "accept", "list"],
    "subdistrict-inspector": ["assign", "accept", "dismiss"],
    "city-inspector": ["accept", "list", "dismiss"],
    "dept-inspector": ["sign_off", "accept"],
    "fire-inspector": ["sign_off"],
    "housing-inspector": ["sign_off"],
}
UPLOADERS = [
    "cdc-operator",
    "cdc-manager",
    "districtcdc-operator",
    "districtcdc-manager",
    "hospital-operator",
]
TOKEN_PREFIX = "load "


def load_units(count: int = LOAD_UNITS) -> list[Any]:
    """An operator and a manager at each of the `count` units with the most open hazards
    (besides the demo's own unit); (operators, managers)."""
    from django.db.models import Count

    from redline.accounts.models import User
    from redline.hazards.models import Hazard
    from redline.hazards.vocab import HazardState
    from redline.organisations.models import Enterprise, Organisation
    from redline.organisations.vocab import OrganisationKind

    demo_unit = (
        User.objects.filter(username="enterprise-operator")
        .values_list("organisation__enterprise_id", flat=True)
        .first()
    )
    busiest = (
        Hazard.objects.filter(state__in=HazardState.open_states(), enterprise__isnull=False)
        .exclude(enterprise_id=demo_unit)
        .filter(enterprise__is_archived=False)
        .values("enterprise_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "enterprise_id")[:count]
    )
    units = Enterprise.objects.in_bulk([row["enterprise_id"] for row in busiest])
    made = []
    for unit in sorted(units.values(), key=lambda u: u.pk):
        org = Organisation.objects.filter(enterprise=unit).order_by("pk").first()
        if org is None:
            org = Organisation.objects.create(
                name=unit.name,
                kind=OrganisationKind.ENTERPRISE,
                region=unit.region,
                enterprise=unit,
            )
        for role in ("operator", "manager"):
            user, created = User.objects.get_or_create(
                username=f"load-u{unit.pk}-{role}",
                defaults={"organisation": org, "roles": [role], "first_name": f"负载{role}"},
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            made.append(user)
    return made


def photo() -> str:
    """A small JPEG, base64 (a rectification's evidence)."""
    import base64
    import io

    from PIL import Image

    image = Image.new("RGB", (64, 48), (200, 120, 40))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return base64.b64encode(buffer.getvalue()).decode()


def _token(user: Any, run: str, issued: dict[int, str]) -> str:
    """The user's token for this run: earlier runs' tokens revoked, one issued (once, also
    for a user in two groups: `issued`)."""
    from django.utils import timezone

    from redline.accounts.models import ApiToken
    from redline.accounts.services import token_issue

    if user.pk not in issued:
        ApiToken.objects.live().filter(user=user, name__startswith=TOKEN_PREFIX).update(
            revoked_at=timezone.now()
        )
        _token_row, issued[user.pk] = token_issue(actor=user, name=f"{TOKEN_PREFIX}{run}")
    return issued[user.pk]


class People:
    """The fixture entries of users, each with this run's token."""

    def __init__(self, run: str) -> None:
        self.run = run
        self.issued: dict[int, str] = {}

    def __call__(self, user: Any, **extra: Any) -> dict[str, Any]:
        token = _token(user, self.run, self.issued)
        return {"username": user.username, "user_id": user.pk, "token": token} | extra


def fixtures(*, run: str, journal: str) -> dict[str, Any]:
    """Everything the locustfile reads: tokens by group, vocabularies, today."""
    from django.utils import timezone

    from redline.accounts.models import User
    from redline.epidemic.models import Condition
    from redline.epidemic.reporting import reporter
    from redline.hazards.vocab import Classification, HazardType
    from redline.organisations.demo import DEMO_PASSWORD
    from redline.organisations.vocab import Sector

    users = {
        u.username: u
        for u in User.objects.filter(is_active=True).select_related("organisation")
        if u.username in {*READERS, *WEB, *GOVERNMENT, *UPLOADERS}
        or u.username.startswith("enterprise-")
    }
    extra = load_units()
    person = People(run)
    reporters = [users["enterprise-operator"], *(u for u in extra if "operator" in u.roles)]
    managers = [users["enterprise-manager"], *(u for u in extra if "manager" in u.roles)]

    uploaders = []
    for name in UPLOADERS:
        user = users.get(name)
        if user is None:
            continue
        who = reporter(user)
        if not who.may_submit:
            continue
        regions = sorted(who.regions().values_list("code", flat=True))[:80]
        # A key place's row names its region too.
        places = [list(p) for p in who.places().order_by("pk").values_list("pk", "region__code")]
        places = places[:50]
        if regions or places:
            uploaders.append(person(user, regions=regions, places=places))
    return {
        "run": run,
        "journal": journal,
        "today": timezone.localdate().isoformat(),
        "photo": photo(),
        "readers": [person(users[n]) for n in READERS if n in users],
        "web": [{"username": n, "password": DEMO_PASSWORD} for n in WEB if n in users],
        "reporters": [person(u, enterprise=u.organisation.enterprise_id) for u in reporters],
        "managers": [person(u, enterprise=u.organisation.enterprise_id) for u in managers],
        "government": [person(users[n], acts=a) for n, a in GOVERNMENT.items() if n in users],
        "uploaders": uploaders,
        "conditions": sorted(
            Condition.objects.filter(is_active=True).values_list("code", flat=True)
        ),
        "sectors": list(Sector.values),
        "hazard_types": list(HazardType.values),
        "classifications": list(Classification.values),
    }
