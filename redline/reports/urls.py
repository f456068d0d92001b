from django.urls import path

from redline.reports import views

urlpatterns = [
    path("reports/situation/", views.situation, name="situation-report"),
    path("cockpit/", views.cockpit, name="cockpit"),
]
