from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HazardsConfig(AppConfig):
    name = "redline.hazards"
    label = "hazards"
    verbose_name = _("Hidden-hazard governance")

    def ready(self) -> None:
        from redline.hazards.demo import build_hazards
        from redline.organisations import demo

        demo.register_step(build_hazards)
