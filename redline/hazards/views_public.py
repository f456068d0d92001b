"""The public hazard report form and tracking page: no account needed."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_protect

from redline.core.errors import DomainError
from redline.core.middleware import client_ip
from redline.core.web import show_on_form
from redline.hazards.forms import PublicReportForm
from redline.hazards.public import (
    PublicReportInput,
    hazard_report_public,
    hazard_track,
    hazard_tracking,
)


def _ip(request: HttpRequest) -> str:
    # The client, also behind a trusted proxy (REDLINE_FORWARDED_ALLOW_IPS).
    return client_ip(request) or ""


@csrf_protect
def public_report(request: HttpRequest) -> HttpResponse:
    form = PublicReportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = {
                k: v
                for k, v in form.cleaned_data.items()
                if k not in ("website", "stamp") and v not in (None, "")
            }
            try:
                hazard = hazard_report_public(
                    data=PublicReportInput.of(data),
                    photos=request.FILES.getlist("photos"),
                    ip=_ip(request),
                    stamp=form.cleaned_data["stamp"],
                )
            except DomainError as failure:
                status = show_on_form(form, failure)
            else:
                return render(request, "hazards/public_done.html", {"hazard": hazard})
    return render(request, "hazards/public_report.html", {"form": form}, status=status)


def public_track(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("code", "")
    hazard = hazard_track(code) if code else None
    return render(
        request,
        "hazards/public_track.html",
        {
            "code": code,
            "hazard": hazard,
            "tracking": hazard_tracking(hazard) if hazard else None,
            "searched": bool(code),
        },
    )
