from typing import Any

from django.contrib import admin

from redline.campaigns.models import Campaign


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Read-only: campaigns are created and changed through `services.campaign_save`, which
    holds the rule on who may and writes the change log."""

    list_display = ["name", "sectors", "starts_on", "ends_on", "is_archived"]
    list_filter = ["is_archived"]
    search_fields = ["name", "name_en"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
