from django.urls import path

from redline.inspections import views

urlpatterns = [
    path("inspections/", views.inspection_list, name="inspection-list"),
    path("inspections/new/", views.inspection_plan, name="inspection-plan"),
    path("inspections/offline-worker.js", views.worker, name="inspection-worker"),
    path("inspections/<int:inspection_id>/", views.inspection_detail, name="inspection-detail"),
    path("inspections/<int:inspection_id>/run/", views.inspection_run, name="inspection-run"),
    path(
        "inspections/<int:inspection_id>/steps/<str:action>/",
        views.inspection_step,
        name="inspection-step",
    ),
    path("findings/<int:finding_id>/", views.finding_detail, name="finding-detail"),
    path(
        "findings/<int:finding_id>/steps/<str:action>/",
        views.finding_step,
        name="finding-step",
    ),
]
