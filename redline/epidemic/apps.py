from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EpidemicConfig(AppConfig):
    name = "redline.epidemic"
    label = "epidemic"
    verbose_name = _("Epidemic monitoring and early warning")

    def ready(self) -> None:
        from redline.epidemic.demo import build_epidemic
        from redline.organisations import demo

        demo.register_step(build_epidemic)
