from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "redline.risk"
    label = "risk"
    verbose_name = _("Safety-risk grading and control")

    def ready(self) -> None:
        from django.conf import settings

        from redline.organisations import demo
        from redline.risk.demo import build_risks
        from redline.risk.standards import check_city_rule_sets

        check_city_rule_sets(settings.REDLINE_RULE_SETS)
        demo.register_step(build_risks)
