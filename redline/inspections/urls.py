from django.urls import path

from redline.inspections import views, views_audit, views_library

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
    path(
        "enterprises/<int:enterprise_id>/inspections/",
        views.unit_inspections,
        name="unit-inspections",
    ),
    path("inspections/plans/", views.plan_list, name="plan-list"),
    path("inspections/plans/<int:plan_id>/", views.plan_detail, name="plan-detail"),
    path("public/inspection-plans/<int:year>/", views.public_plan, name="public-plan"),
    path("enforcement/", views.enforcement_list, name="enforcement-list"),
    path(
        "inspections/<int:inspection_id>/enforcement/new/",
        views.enforcement_issue,
        name="enforcement-issue",
    ),
    path("enforcement/<int:action_id>/", views.enforcement_detail, name="enforcement-detail"),
    path(
        "enforcement/<int:action_id>/steps/<str:action>/",
        views.enforcement_step,
        name="enforcement-step",
    ),
]

# The audit working paper of an audit-style inspection (views_audit).
urlpatterns += [
    path(
        "inspections/<int:inspection_id>/audit-paper/",
        views_audit.audit_paper,
        name="inspection-audit-paper",
    ),
    path(
        "inspections/<int:inspection_id>/audit-paper/draw/",
        views_audit.audit_paper_draw,
        name="inspection-audit-paper-draw",
    ),
    path(
        "inspections/<int:inspection_id>/audit-paper.pdf",
        views_audit.audit_paper_pdf,
        name="inspection-audit-paper-pdf",
    ),
    path(
        "inspections/<int:inspection_id>/audit-paper.xlsx",
        views_audit.audit_paper_xlsx,
        name="inspection-audit-paper-xlsx",
    ),
    path(
        "audit-samples/<int:sample_id>/mark/",
        views_audit.audit_sample_mark,
        name="audit-sample-mark",
    ),
]

# The plan's libraries (views_library).
urlpatterns += [
    path("inspections/targets/", views_library.target_library, name="target-library"),
    path("inspections/inspectors/", views_library.inspector_library, name="inspector-library"),
    path("inspections/inspectors/new/", views_library.inspector_edit, name="inspector-add"),
    path(
        "inspections/inspectors/<int:profile_id>/",
        views_library.inspector_edit,
        name="inspector-edit",
    ),
]
