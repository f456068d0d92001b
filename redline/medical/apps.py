from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MedicalConfig(AppConfig):
    name = "redline.medical"
    label = "medical"
    verbose_name = _("Medical treatment capacity")

    def ready(self) -> None:
        from redline.medical.demo import build_capacity
        from redline.organisations import demo

        demo.register_step(build_capacity)
