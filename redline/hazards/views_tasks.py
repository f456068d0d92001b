"""Inspection tasks on a phone: the tasks due for the user's unit, recording a result,
and a unit's task statistics (done, late, missed)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from redline.core.errors import DomainError
from redline.core.web import PageRequest, show_on_form
from redline.hazards import inspection, selectors, views_inspect
from redline.hazards.forms import TaskRecordForm
from redline.hazards.vocab import TaskResult, TaskStatus
from redline.organisations.access import is_government_side
from redline.risk.views import visible_enterprise


@login_required
def my_tasks(request: PageRequest) -> HttpResponse:
    """Due and missed tasks first (the phone's to-do list), then the next upcoming ones."""
    request.nav_section = "tasks"
    now = timezone.now()
    tasks = selectors.tasks_for(request.user)
    org = getattr(request.user, "organisation", None)
    if org is None or not org.enterprise_id:
        if is_government_side(request.user):
            return views_inspect.government_tasks(request)
        raise Http404
    tasks = tasks.filter(enterprise_id=org.enterprise_id)
    due = list(tasks.filter(inspection.status_q(TaskStatus.DUE, now)).order_by("due_at")[:100])
    missed = list(
        tasks.filter(inspection.status_q(TaskStatus.MISSED, now))
        .filter(due_at__gte=now - dt.timedelta(days=7))
        .order_by("-due_at")[:50]
    )
    upcoming = list(
        tasks.filter(inspection.status_q(TaskStatus.UPCOMING, now)).order_by("due_at")[:20]
    )
    phone = (request.user.phone or "").strip()
    for task in [*due, *missed, *upcoming]:
        responsible = task.measure.responsible
        task.mine = bool(phone and responsible and responsible.phone == phone)  # type: ignore[attr-defined]
    due.sort(key=lambda t: (not t.mine, t.due_at))  # type: ignore[attr-defined]
    return render(
        request,
        "hazards/my_tasks.html",
        {"due": due, "missed": missed, "upcoming": upcoming, "now": now},
    )


@login_required
def record(request: PageRequest, task_id: int) -> HttpResponse:
    request.nav_section = "tasks"
    task = selectors.tasks_for(request.user).filter(pk=task_id).first()
    if task is None:
        raise Http404
    form = TaskRecordForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                task = inspection.task_record(
                    actor=request.user,
                    task_id=task.pk,
                    data=inspection.TaskRecordInput.of(
                        {"result": form.cleaned_data["result"], "note": form.cleaned_data["note"]}
                    ),
                    photos=request.FILES.getlist("photos"),
                    idempotency_key=form.cleaned_data.get("idempotency_key") or "",
                )
            except DomainError as failure:
                status = show_on_form(form, failure)
            else:
                if task.result == TaskResult.HAZARD:
                    messages.info(request, _("Recorded. Now describe the hazard you found."))
                    return redirect(f"{reverse('hazard-report')}?task={task.pk}")
                messages.success(request, _("Inspection recorded."))
                return redirect("my-tasks")
    return render(
        request,
        "hazards/task_record.html",
        {"task": task, "form": form, "status": inspection.task_status(task)},
        status=status,
    )


@login_required
def enterprise_tasks(request: PageRequest, enterprise_id: int) -> HttpResponse:
    """A unit's inspection statistics for a period (default: the last 30 days) and its
    missed tasks."""
    request.nav_section = "enterprises"
    enterprise = visible_enterprise(request, enterprise_id)
    now = timezone.now()
    try:
        days = max(1, min(366, int(request.GET.get("days", "30"))))
    except ValueError:
        days = 30
    since = now - dt.timedelta(days=days)
    tasks = selectors.tasks_for(request.user).filter(
        enterprise=enterprise, due_at__gte=since, due_at__lte=now
    )
    counts = inspection.task_counts(tasks, now)
    missed = list(
        tasks.filter(inspection.status_q(TaskStatus.MISSED, now)).order_by("-due_at")[:100]
    )
    return render(
        request,
        "hazards/enterprise_tasks.html",
        {"enterprise": enterprise, "counts": counts, "missed": missed, "days": days},
    )
