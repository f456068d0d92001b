"""Fixed vocabularies of the organisation registry."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain, combinations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Sector(models.TextChoices):
    """The one sector vocabulary ("whoever manages an industry manages its safety")."""

    HAZARDOUS_CHEMICALS = "hazchem", _("Hazardous chemicals")
    FIRE_KEY_UNITS = "fire", _("Fire-safety key units & crowded places")
    CONSTRUCTION = "construction", _("Construction")
    URBAN_GAS = "gas", _("Urban gas")
    ROAD_TRANSPORT = "transport", _("Road transport")
    INDUSTRY_TRADE = "industry", _("Industry & trade")
    OTHER = "other", pgettext_lazy("sector", "Other")

    @classmethod
    def text(cls, codes: Iterable[str]) -> str:
        """Sector codes as a record stores them: ",hazchem,fire," (vocabulary order, each
        once; unknown codes left out), or "" for none."""
        chosen = set(codes)
        ordered = [s for s in cls.values if s in chosen]
        return "," + ",".join(ordered) + "," if ordered else ""

    @classmethod
    def texts_with_any(cls, codes: Iterable[str]) -> list[str]:
        """Every stored text (`text` of every set of sectors) that holds one of `codes`: a
        filter "has one of these sectors" on such a text is then an equality, which an
        index serves and the planner estimates from the column's statistics."""
        wanted = set(codes)
        sets = chain.from_iterable(combinations(cls.values, n) for n in range(1, len(cls) + 1))
        return [cls.text(chosen) for chosen in sets if wanted.intersection(chosen)]


class UnitKind(models.TextChoices):
    """What a registered unit is. Key places for public health are units too."""

    ENTERPRISE = "enterprise", _("Enterprise")
    NURSING_HOME = "nursing_home", _("Nursing home")
    SCHOOL = "school", _("School")
    KINDERGARTEN = "kindergarten", _("Kindergarten")
    WELFARE = "welfare", _("Welfare institution")
    HOSPITAL = "hospital", _("Hospital")
    FEVER_CLINIC = "fever_clinic", _("Fever clinic")
    PRISON = "prison", _("Prison / detention centre")
    LARGE_WORKPLACE = "large_workplace", _("Large workplace")

    @classmethod
    def key_places(cls) -> list[str]:
        return [k for k in cls.values if k != cls.ENTERPRISE]

    @classmethod
    def health_care(cls) -> list[str]:
        """Kinds whose supervision makes a department a health authority (the health
        commission): a mandate over them brings the region's key places and epidemic data."""
        return [cls.HOSPITAL, cls.FEVER_CLINIC]


class UnitStatus(models.TextChoices):
    OPERATING = "operating", _("Operating")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class RegionLevel(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District / county")
    SUBDISTRICT = "subdistrict", _("Subdistrict / town")


class OrganisationKind(models.TextChoices):
    GOVERNMENT = "government", _("Government")
    COMMITTEE_OFFICE = "committee_office", _("Safety Committee office")
    DEPARTMENT = "department", _("Department")
    PUBLIC_HEALTH = "public_health", _("Public-health body")
    ENTERPRISE = "enterprise", _("Enterprise / unit")


class DepartmentType(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency management")
    HOUSING = "housing", _("Housing & construction")
    FIRE = "fire", _("Fire rescue")
    TRANSPORT = "transport", _("Transport")
    GAS = "gas", _("Urban gas authority")
    MARKET = "market", _("Market regulation")
    HEALTH = "health", _("Health commission / CDC")
    EDUCATION = "education", _("Education")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs")


class PersonRole(models.TextChoices):
    MAIN_RESPONSIBLE = "main_responsible", _("Main responsible person")
    SAFETY_MANAGER = "safety_manager", _("Safety manager")
    POST_HOLDER = "post_holder", _("Post holder")
    GOVERNMENT_CONTACT = "gov_contact", _("Government contact")
