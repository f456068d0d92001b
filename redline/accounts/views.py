from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from redline.accounts import services
from redline.accounts.models import ApiToken
from redline.core.errors import ValidationFailed
from redline.core.web import PageRequest


@login_required
def tokens(request: PageRequest) -> HttpResponse:
    request.nav_section = "tokens"
    new_key = None
    error = None
    if request.method == "POST":
        try:
            _token, new_key = services.token_issue(
                actor=request.user, name=request.POST.get("name", "")
            )
        except ValidationFailed as failure:
            error = failure.fields.get("name", failure.message)
    context = {
        "tokens": ApiToken.objects.filter(user=request.user),
        "new_key": new_key,
        "error": error,
    }
    return render(request, "accounts/tokens.html", context, status=422 if error else 200)


@login_required
@require_POST
def token_revoke(request: PageRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.filter(user=request.user), pk=token_id)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api-tokens")
