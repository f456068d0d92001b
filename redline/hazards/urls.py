from django.urls import path

from redline.hazards import views, views_inspect, views_public, views_tasks

urlpatterns = [
    path("hazards/", views.ledger, name="hazard-list"),
    path("hazards/export.xlsx", views.ledger_export, name="hazard-export"),
    path("hazards/dashboard/", views.dashboard, name="hazard-dashboard"),
    path("hazards/new/", views.report, name="hazard-report"),
    path("hazards/new/unit/", views_inspect.report_unit, name="hazard-report-unit"),
    path("hazards/<int:hazard_id>/", views.detail, name="hazard-detail"),
    path("hazards/<int:hazard_id>/step/<slug:action>/", views.step, name="hazard-step"),
    path("evidence/<str:token>", views.photo, name="evidence-photo"),
    path("tasks/", views_tasks.my_tasks, name="my-tasks"),
    path("tasks/<int:task_id>/", views_tasks.record, name="task-record"),
    path(
        "enterprises/<int:enterprise_id>/tasks/",
        views_tasks.enterprise_tasks,
        name="enterprise-tasks",
    ),
    path("report/", views_public.public_report, name="public-report"),
    path("report/track/", views_public.public_track, name="public-track"),
]
