from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "redline.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Django 6.1's empty choice of a select, in our catalogs (Django ships no zh-Hans
        # translation of it).
        from django.db.models import fields

        from redline.core import checks  # noqa: F401 (registers `check --deploy`'s own)

        fields.BLANK_CHOICE_LABEL = _("- Select an option -")
