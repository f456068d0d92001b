from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccidentsConfig(AppConfig):
    name = "redline.accidents"
    label = "accidents"
    verbose_name = _("Accidents")

    def ready(self) -> None:
        from redline.accidents.demo import build_accidents
        from redline.organisations import demo

        demo.register_step(build_accidents)
