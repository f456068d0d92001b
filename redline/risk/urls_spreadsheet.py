from django.urls import path

from redline.risk import views_spreadsheet

urlpatterns = [
    path(
        "enterprises/<int:enterprise_id>/risks/export.xlsx",
        views_spreadsheet.inventory_export,
        name="risk-export",
    ),
    path(
        "enterprises/<int:enterprise_id>/risks/import/",
        views_spreadsheet.inventory_import,
        name="risk-import",
    ),
]
