from django.urls import path

from redline.accidents import views

urlpatterns = [
    path("accidents/", views.accident_list, name="accident-list"),
    path("accidents/new/", views.accident_new, name="accident-new"),
    path("accidents/import/", views.accident_import, name="accident-import"),
    path("accidents/template.xlsx", views.accident_template, name="accident-template"),
    path("accidents/indicators/", views.indicators, name="accident-indicators"),
    path("accidents/files/<str:token>", views.accident_file, name="accident-file"),
    path("accidents/<int:accident_id>/", views.accident_detail, name="accident"),
    path("accidents/<int:accident_id>/edit/", views.accident_edit, name="accident-edit"),
    path(
        "accidents/<int:accident_id>/steps/<str:action>",
        views.accident_step,
        name="accident-step",
    ),
]
