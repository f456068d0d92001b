"""The training module's vocabularies."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Level(models.TextChoices):
    """The level a training was given at (three-level education: company, workshop, team)."""

    COMPANY = "company", _("Company (plant/mine) level")
    WORKSHOP = "workshop", _("Workshop level")
    TEAM = "team", _("Team (shift-group) level")
    OTHER = "other", pgettext_lazy("training level", "Other")


class Purpose(models.TextChoices):
    """What a training counts for."""

    INITIAL = "initial", _("Initial training")
    REFRESHER = "refresher", _("Annual refresher")
    RETRAINING = "retraining", _("Re-training (post change or return)")
    OTHER = "other", pgettext_lazy("training purpose", "Other")


class CertificateKind(models.TextChoices):
    SPECIAL_OPERATION = "special_operation", _("Special-operation certificate")
    MAIN_RESPONSIBLE = "main_responsible", _("Main responsible person's certificate")
    SAFETY_MANAGER = "safety_manager", _("Safety manager's certificate")
    CONSTRUCTION_A = "construction_a", _("Construction three types: A")
    CONSTRUCTION_B = "construction_b", _("Construction three types: B")
    CONSTRUCTION_C = "construction_c", _("Construction three types: C")


class CertificateState(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked")


class ChangeKind(models.TextChoices):
    CHANGE_POST = "change_post", _("Change of post")
    RETURN = "return", _("Return after absence")
