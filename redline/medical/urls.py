from django.urls import path

from redline.medical import views

urlpatterns = [
    path("medical/", views.regional, name="medical-regional"),
    path("medical/report/", views.report, name="medical-report"),
    path("medical/hospitals/<int:hospital_id>/", views.hospital, name="medical-hospital"),
    path("medical/alerts/", views.alerts, name="medical-alerts"),
    path("medical/alerts/<int:alert_id>/", views.alert_detail, name="medical-alert-detail"),
    path(
        "medical/alerts/<int:alert_id>/step/<slug:action>/",
        views.alert_step,
        name="medical-alert-step",
    ),
]
