"""The signed-in user's notifications: newest first; opening one marks it read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from redline.core.models import Notification
from redline.core.web import PageRequest


@login_required
def notifications(request: PageRequest) -> HttpResponse:
    request.nav_section = "notifications"
    mine = Notification.objects.filter(recipient=request.user)
    page = Paginator(mine, 30).get_page(request.GET.get("page"))
    return render(request, "core/notifications.html", {"page": page})


@login_required
def notification_open(request: PageRequest, notification_id: int) -> HttpResponse:
    note = Notification.objects.filter(recipient=request.user, pk=notification_id).first()
    if note is None:
        raise Http404
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk, read_at=None).update(read_at=timezone.now())
    safe = note.url and url_has_allowed_host_and_scheme(note.url, allowed_hosts=None)
    return redirect(note.url if safe else "notifications")


@login_required
@require_POST
def notifications_read_all(request: PageRequest) -> HttpResponse:
    Notification.objects.filter(recipient=request.user, read_at=None).update(read_at=timezone.now())
    return redirect("notifications")
