from django.urls import path

from redline.training import views

urlpatterns = [
    path("training/", views.training_list, name="training-list"),
    path("training/requirements/", views.requirements_page, name="training-requirements"),
    path("training/import/", views.import_page, name="training-import"),
    path("training/import/template.xlsx", views.import_template, name="training-template"),
    path("training/units/<int:enterprise_id>/", views.unit_training, name="training-unit"),
    path("training/people/<int:person_id>/", views.person_file, name="training-person"),
    path(
        "training/people/<int:person_id>/<str:what>/",
        views.person_add,
        name="training-person-add",
    ),
    path(
        "training/certificates/<int:certificate_id>/",
        views.certificate_page,
        name="training-certificate",
    ),
    path(
        "training/records/<int:record_id>/evidence/",
        views.evidence,
        name="training-evidence",
    ),
]
