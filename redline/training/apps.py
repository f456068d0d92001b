from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "redline.training"
    label = "training"
    verbose_name = _("Education and training")

    def ready(self) -> None:
        from redline.organisations import demo
        from redline.training.demo import build_training

        demo.register_step(build_training)
