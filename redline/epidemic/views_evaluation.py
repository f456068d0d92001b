"""The detection evaluation page: how many of the outbreaks injected into the demo's simulated
series the engine detects, how soon, and how many false alarms it raises between them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from redline.core.web import PageRequest
from redline.epidemic.selectors_evaluation import simulation_evaluation


@login_required
def evaluation(request: PageRequest) -> HttpResponse:
    request.nav_section = "epidemic"
    report = simulation_evaluation(request.user)
    return render(request, "epidemic/evaluation.html", {"report": report})
