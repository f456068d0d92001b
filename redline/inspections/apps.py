from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "redline.inspections"
    label = "inspections"
    verbose_name = _("Government inspection")

    def ready(self) -> None:
        from redline.inspections.demo import build_inspections
        from redline.organisations import demo

        demo.register_step(build_inspections)
