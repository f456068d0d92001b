"""The risk inventory as an Excel ledger: export for anyone who sees the enterprise,
import (all rows checked, then all or nothing) for those who may change it."""

from __future__ import annotations

import re
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from redline.core import spreadsheet as sheets
from redline.core.errors import DomainError
from redline.core.web import PageRequest, raise_for_access
from redline.risk import spreadsheet
from redline.risk.views import visible_enterprise

# Characters a file name may not hold on the readers' systems (Windows is the strictest).
UNSAFE_IN_FILE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


@login_required
@require_GET
def inventory_export(request: PageRequest, enterprise_id: int) -> HttpResponse:
    enterprise = visible_enterprise(request, enterprise_id)
    response = HttpResponse(
        spreadsheet.export_inventory(enterprise), content_type=spreadsheet.CONTENT_TYPE
    )
    # In the reader's language; a non-ASCII name goes out as RFC 6266 filename*.
    response["Content-Disposition"] = content_disposition_header(
        True, export_file_name(str(enterprise), timezone.localdate())
    )
    return response


def export_file_name(unit: str, day: date) -> str:
    """The inventory export's file name: 风险清单-<unit>-<date>.xlsx in Chinese,
    risk-inventory-<unit>-<date>.xlsx in English; the unit's name made safe for a file."""
    safe = UNSAFE_IN_FILE_NAME.sub("_", unit).strip(" .") or "_"
    return _("risk-inventory-%(unit)s-%(date)s.xlsx") % {"unit": safe, "date": day.isoformat()}


@login_required
@require_http_methods(["GET", "POST"])
def inventory_import(request: PageRequest, enterprise_id: int) -> HttpResponse:
    request.nav_section = "enterprises"
    enterprise = visible_enterprise(request, enterprise_id, "change")
    result = None
    if request.method == "POST":
        try:
            result = spreadsheet.import_inventory(
                actor=request.user, enterprise_id=enterprise.pk, file=request.FILES.get("file")
            )
        except DomainError as failure:
            raise_for_access(failure)
            raise
        if result.ok:
            created, updated = result.created, result.updated
            messages.success(
                request,
                _(
                    "Imported %(rows)d rows. Created %(objects)d objects, %(units)d units, "
                    "%(events)d events and %(measures)d measures; updated %(updated)d records."
                )
                % {
                    "rows": result.rows,
                    "objects": created["objects"],
                    "units": created["units"],
                    "events": created["events"],
                    "measures": created["measures"],
                    "updated": updated.total(),
                },
            )
            return redirect("risk-inventory", enterprise_id=enterprise.pk)
    context = {
        "enterprise": enterprise,
        "errors": result.errors if result else [],
        "columns": spreadsheet.COLUMNS,
        "max_mb": sheets.MAX_BYTES // (1024 * 1024),
    }
    return render(request, "risk/import.html", context, status=422 if result else 200)
