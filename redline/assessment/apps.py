from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "redline.assessment"
    label = "assessment"
    verbose_name = _("Assessment of districts and departments")

    def ready(self) -> None:
        from redline.assessment.demo import build_assessment
        from redline.organisations import demo

        demo.register_step(build_assessment)
