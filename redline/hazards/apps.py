from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HazardsConfig(AppConfig):
    name = "redline.hazards"
    label = "hazards"
    verbose_name = _("Hidden-hazard governance")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from redline.hazards.demo import build_hazards
        from redline.hazards.models import sync_unit_copies
        from redline.hazards.tally import tally_rebuild
        from redline.organisations import demo
        from redline.organisations.models import Enterprise
        from redline.organisations.signals import unit_changed

        demo.register_step(build_hazards)

        def follow_unit(sender: object, enterprise: Enterprise, **kwargs: object) -> None:
            if sync_unit_copies(enterprise):
                tally_rebuild()  # its hazards changed place: recount (rare)

        def follow_saved_unit(sender: object, instance: Enterprise, **kwargs: object) -> None:
            if not kwargs.get("created") and not kwargs.get("raw"):
                follow_unit(sender, instance)  # an edit in the admin

        unit_changed.connect(follow_unit, weak=False, dispatch_uid="hazards-follow-unit")
        post_save.connect(
            follow_saved_unit, sender=Enterprise, weak=False, dispatch_uid="hazards-follow-save"
        )
