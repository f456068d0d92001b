from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "redline.campaigns"
    label = "campaigns"
    verbose_name = _("Special rectification campaigns")

    def ready(self) -> None:
        from redline.campaigns.demo import build_campaigns
        from redline.organisations import demo

        demo.register_step(build_campaigns)
