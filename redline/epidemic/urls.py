"""Epidemic monitoring pages under /epidemic/ (namespace "epidemic")."""

from django.urls import path

app_name = "epidemic"

urlpatterns: list = []

# Surveillance data: case counts, the catalogue, key places and key groups.
from redline.epidemic import views_counts, views_places  # noqa: E402

urlpatterns += [
    path("counts/", views_counts.count_list, name="counts"),
    path("counts/new/", views_counts.count_entry, name="count-entry"),
    path("counts/import/", views_counts.count_import, name="count-import"),
    path("counts/template/<str:name>", views_counts.count_template, name="count-template"),
    path("conditions/", views_counts.condition_catalogue, name="conditions"),
    path("places/", views_places.place_list, name="places"),
    path("places/<int:place_id>/", views_places.place_detail, name="place"),
    path("groups/", views_places.group_summary, name="groups"),
    path("groups/new/", views_places.group_entry, name="group-entry"),
]

# Early warning: the dashboard, signals and their steps, series, runs on demand.
from redline.epidemic import views_signals  # noqa: E402

urlpatterns += [
    path("", views_signals.dashboard, name="dashboard"),
    path("runs/", views_signals.run_now, name="run-now"),
    path("signals/", views_signals.signal_list, name="signal-list"),
    path("signals/<int:signal_id>/", views_signals.signal_detail, name="signal-detail"),
    path(
        "signals/<int:signal_id>/step/<slug:action>/",
        views_signals.signal_step,
        name="signal-step",
    ),
    path("series/<str:code>/<int:region_id>/", views_signals.series, name="series"),
    path(
        "series/<str:code>/<int:region_id>/<int:place_id>/",
        views_signals.series_place,
        name="series-place",
    ),
]

# Detection evaluation on the demo's simulated series.
from redline.epidemic import views_evaluation  # noqa: E402

urlpatterns += [
    path("evaluation/", views_evaluation.evaluation, name="evaluation"),
]
