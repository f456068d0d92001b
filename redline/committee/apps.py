from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommitteeConfig(AppConfig):
    name = "redline.committee"
    label = "committee"
    verbose_name = _("Safety Committee")

    def ready(self) -> None:
        from redline.committee.demo import build_committee
        from redline.organisations import demo

        demo.register_step(build_committee)
