"""Vocabularies of epidemic monitoring: kinds of condition, key groups, signal states."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ConditionKind(models.TextChoices):
    DISEASE = "disease", _("Notifiable disease")
    SYNDROME = "syndrome", _("Syndrome")


class DiseaseClass(models.TextChoices):
    """Class under the Law on the Prevention and Control of Infectious Diseases."""

    A = "A", _("Class A")
    B = "B", _("Class B")
    C = "C", _("Class C")
    OTHER = "other", pgettext_lazy("disease class", "Other")


class Aggregation(models.TextChoices):
    """The periods a condition's series is analysed in (daily counts are summed)."""

    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class KeyGroup(models.TextChoices):
    AGED_65 = "aged_65", _("People aged 65 and over")
    UNDERLYING = "underlying", _("People with underlying conditions")
    UNVACCINATED = "unvaccinated", _("Unvaccinated people")
    CHILDREN = "children", _("Children under 6")
    PREGNANT = "pregnant", _("Pregnant women")
    RESIDENTS = "residents", _("Residents of the place")
    STAFF = "staff", _("Staff of the place")


class CountSource(models.TextChoices):
    FORM = "form", _("Entered in a form")
    API = "api", _("Posted through the API")
    IMPORT = "import", _("Imported from a file")
    DEMO = "demo", _("Demo data")


class SignalState(models.TextChoices):
    """CIDARS practice: dispatch, preliminary verification, field investigation, closure."""

    NEW = "new", _("Awaiting verification")
    MONITORING = "monitoring", _("Uncertain: monitoring")
    INVESTIGATING = "investigating", _("Confirmed: field investigation")
    RESPONDING = "responding", _("Response under way")
    CLOSED = "closed", pgettext_lazy("signal", "Closed")


class Verification(models.TextChoices):
    TRUE = "true", _("True signal (suspected event)")
    FALSE = "false", _("False signal")
    UNCERTAIN = "uncertain", _("Uncertain")
