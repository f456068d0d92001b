"""Pages of the Safety Committee's work: the dashboard, the key tasks (list, export, one
task's page with its responsibility chain, progress reports, steps and timeline), deploying a
task, the meetings, and what each body and person owes. Everything is read through the door
(`committee/selectors.py`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from redline.committee import exports, selectors, services
from redline.committee.forms import KeyTaskForm, MeetingForm, TaskStepForm
from redline.committee.models import KeyTask
from redline.committee.vocab import Cadence, TaskState
from redline.committee.workflow import KEY_TASK
from redline.core.errors import DomainError
from redline.core.sections import concerns, not_concerned
from redline.core.web import PageRequest, show_on_form
from redline.core.workflow import Transition
from redline.core.workflow.web import StepPage
from redline.organisations.access import can, may
from redline.organisations.selectors import region_choices

PER_PAGE = 30


def _nav(request: PageRequest) -> None:
    request.nav_section = "committee"


def _not_concerned(request: PageRequest) -> HttpResponse:
    return not_concerned(
        request,
        title=_("Safety Committee"),
        message=_("The Safety Committee's key tasks do not concern %(org)s."),
        who=_(
            "They are followed by the Safety Committee office, the governments and the "
            "departments that lead or cooperate on them."
        ),
    )


@login_required
def dashboard(request: PageRequest) -> HttpResponse:
    _nav(request)
    if not concerns(request.user).committee and not selectors.any_task(request.user):
        return _not_concerned(request)
    data = selectors.dashboard(request.user)
    context = {"data": data, "may_manage": can(request.user, "manage")}
    return render(request, "committee/dashboard.html", context)


def _filters(request: PageRequest) -> dict[str, str]:
    return {
        name: request.GET.get(name, "").strip()
        for name in selectors.LIST_FILTERS
        if request.GET.get(name, "").strip()
    }


@login_required
def task_list(request: PageRequest) -> HttpResponse:
    _nav(request)
    filters = _filters(request)
    found = selectors.task_list(request.user, filters)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "query": urlencode(filters),
        "states": TaskState.choices,
        "regions": region_choices(request.user, filters.get("region")),
        "may_manage": can(request.user, "manage"),
        "today": timezone.localdate(),
    }
    return render(request, "committee/task_list.html", context)


@login_required
def task_export(request: PageRequest) -> HttpResponse:
    found = selectors.task_list(request.user, _filters(request))
    response = HttpResponse(
        exports.tasks_xlsx(found),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    # In the reader's language; a non-ASCII name goes out as RFC 6266 filename*.
    stem = _("key-tasks")
    name = f"{stem}-{timezone.localdate().isoformat()}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@login_required
def task_new(request: PageRequest) -> HttpResponse:
    _nav(request)
    if not can(request.user, "manage"):
        raise PermissionDenied
    initial = {"meeting": request.GET.get("meeting")} if request.GET.get("meeting") else None
    form = KeyTaskForm(request.POST or None, user=request.user, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                task = services.key_task_deploy(actor=request.user, data=form.service_data())
            except DomainError as failure:
                status = show_on_form(form, failure)
            else:
                messages.success(request, _("Key task %(n)s deployed.") % {"n": task.number})
                return redirect("committee-task", task.pk)
    return render(request, "committee/task_form.html", {"form": form}, status=status)


def _task(request: PageRequest, pk: Any) -> KeyTask:
    return selectors.task_get(request.user, pk)


def _task_context(request: PageRequest, task: KeyTask) -> dict[str, Any]:
    _nav(request)
    return {
        "task": task,
        "chain": selectors.chains(request.user, [task])[task.pk],
        "reports": selectors.reports_of(request.user, task),
        "cadence_label": Cadence(task.cadence).label,
        "today": timezone.localdate(),
        "may_report": may(request.user, "report_progress", task),
    }


def _step_fields(request: PageRequest, task: KeyTask, transition: Transition) -> list[str]:
    return [name for name in transition.fields if name != "key"]


TASK_PAGE = StepPage(
    machine=KEY_TASK,
    template="committee/task_detail.html",
    step_url="committee-task-step",
    detail_url="committee-task",
    get=_task,
    form=lambda request, record, transition, data: TaskStepForm(
        data, prefix=transition.name, step=transition.name
    ),
    context=_task_context,
    fields=_step_fields,
    open_step="report",
)


@login_required
def task_detail(request: PageRequest, task_id: int) -> HttpResponse:
    return TASK_PAGE.detail(request, task_id)


@login_required
@require_POST
def task_step(request: PageRequest, task_id: int, action: str) -> HttpResponse:
    return TASK_PAGE.step(request, task_id, action)


# --- meetings ------------------------------------------------------------------------------


@login_required
def meeting_list(request: PageRequest) -> HttpResponse:
    _nav(request)
    page = Paginator(selectors.meetings_visible(request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "query": "", "may_manage": can(request.user, "manage")}
    return render(request, "committee/meeting_list.html", context)


@login_required
def meeting_detail(request: PageRequest, meeting_id: int) -> HttpResponse:
    _nav(request)
    meeting = selectors.meeting_get(request.user, meeting_id)
    tasks = list(selectors.meeting_tasks(request.user, meeting))
    context = {
        "meeting": meeting,
        "tasks": tasks,
        "may_manage": may(request.user, "manage", meeting),
    }
    return render(request, "committee/meeting_detail.html", context)


@login_required
def meeting_new(request: PageRequest) -> HttpResponse:
    _nav(request)
    if not can(request.user, "manage"):
        raise PermissionDenied
    form = MeetingForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                meeting = services.meeting_record(actor=request.user, data=form.service_data())
            except DomainError as failure:
                status = show_on_form(form, failure)
            else:
                messages.success(request, _("Meeting recorded."))
                return redirect("committee-meeting", meeting.pk)
    return render(request, "committee/meeting_form.html", {"form": form}, status=status)


@login_required
def meeting_edit(request: PageRequest, meeting_id: int) -> HttpResponse:
    _nav(request)
    meeting = selectors.meeting_get(request.user, meeting_id)
    if not may(request.user, "manage", meeting):
        raise PermissionDenied
    form = MeetingForm(request.POST or None, user=request.user, meeting=meeting)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.meeting_update(
                    actor=request.user,
                    meeting_id=meeting.pk,
                    version=form.cleaned_data.get("version") or 0,
                    data=form.update_data(),
                )
            except DomainError as failure:
                status = show_on_form(form, failure)
            else:
                messages.success(request, _("Meeting updated."))
                return redirect("committee-meeting", meeting.pk)
    context = {"form": form, "meeting": meeting}
    return render(request, "committee/meeting_form.html", context, status=status)


# --- what each owes ------------------------------------------------------------------------


@login_required
def owed(request: PageRequest) -> HttpResponse:
    _nav(request)
    bodies, people = selectors.owed(request.user)
    context = {"bodies": bodies, "people": people, "today": timezone.localdate()}
    return render(request, "committee/owed.html", context)


@login_required
def owed_by(request: PageRequest, body_id: int) -> HttpResponse:
    _nav(request)
    body = selectors.body_get(request.user, body_id)
    tasks = selectors.owed_by(request.user, body)
    context = {"body": body, "tasks": tasks, "today": timezone.localdate()}
    return render(request, "committee/owed_body.html", context)
