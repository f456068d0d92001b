from django.contrib import admin
from django.urls import include, path

from redline.core import health, metrics
from redline.core.api import api

urlpatterns = [
    # Probes and metrics: no sign-in, no session, no CSRF, never cached (core.health, core.metrics).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("redline.accounts.urls")),
    path("", include("redline.core.urls")),
    path("", include("redline.organisations.urls")),
    path("", include("redline.risk.urls")),
    path("", include("redline.risk.urls_spreadsheet")),
    path("", include("redline.hazards.urls")),
    path("", include("redline.inspections.urls")),
    path("", include("redline.committee.urls")),
    path("", include("redline.accidents.urls")),
    path("", include("redline.assessment.urls")),
    path("", include("redline.campaigns.urls")),
    path("", include("redline.medical.urls")),
    path("", include("redline.training.urls")),
    path("", include("redline.reports.urls")),
    path("epidemic/", include("redline.epidemic.urls")),
]
