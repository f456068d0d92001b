"""How a compliance finding reads on a page, in the API and on the audit paper: what is
lacking, and the requirement it applies with its basis, sources and status (what is not
confirmed says so)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from redline.engines.training_compliance import Finding
from redline.training import requirements as req
from redline.training.vocab import CertificateKind, Level

STATUS = {
    "confirmed": gettext_lazy("confirmed"),
    "partial": gettext_lazy("◐ from a secondary or local source: check before relying on it"),
    "unconfirmed": gettext_lazy("❓ UNCONFIRMED: verify before relying on it"),
}


def status_text(status: str) -> str:
    return str(STATUS.get(status, status))


def _levels(codes: list[str]) -> str:
    labels = dict(Level.choices)
    return "、".join(str(labels.get(c, c)) for c in codes)


def _certificate(params: dict[str, Any]) -> str:
    kind = str(dict(CertificateKind.choices).get(params.get("kind", ""), params.get("kind")))
    item = params.get("item")
    if item:
        operation = req.operations().get(item)
        kind = f"{kind}（{operation.label if operation else item}）"
    return kind


def what(finding: Finding) -> str:
    """What the finding says, without its source."""
    p = dict(finding.params)
    code = finding.code
    if code == "initial_hours":
        return _("Initial training: %(done)s of %(required)s hours") % p
    if code == "refresher_lapsed":
        return _("Refresher training %(year)s: %(done)s of %(required)s hours (lapsed)") % p
    if code == "refresher_due":
        return _("Refresher training %(year)s: %(done)s of %(required)s hours so far") % p
    if code == "three_level":
        return _("Three-level education missing: %(levels)s") % {"levels": _levels(p["missing"])}
    if code == "retraining":
        return _("No re-training after the post change of %(on)s: %(levels)s missing") % {
            "on": p["on"],
            "levels": _levels(p["missing"]),
        }
    if code == "retraining_local":
        return _(
            "Back after an absence on %(on)s: a stricter local rule asks re-training "
            "(%(levels)s missing)"
        ) % {"on": p["on"], "levels": _levels(p["missing"])}
    if code == "certificate_missing":
        return _("No certificate: %(kind)s") % {"kind": _certificate(p)}
    if code == "certificate_expired":
        return _("Certificate expired on %(date)s: %(kind)s") % {
            "date": p["valid_until"],
            "kind": _certificate(p),
        }
    if code == "review_overdue":
        return _("Certificate review overdue since %(date)s: %(kind)s") % {
            "date": p["review_due"],
            "kind": _certificate(p),
        }
    if code == "certificate_expiring":
        return _("Certificate expires on %(date)s: %(kind)s") % {
            "date": p["valid_until"],
            "kind": _certificate(p),
        }
    return code


def basis(finding: Finding) -> str:
    """The requirement the finding applies: its code, basis and source keys."""
    data = req.document()
    text = ""
    for rule in data["hours"]:
        if rule["code"] == finding.requirement:
            text = rule["basis"]
    if finding.requirement == "three-level":
        text = data["three_level"]["basis"]
    elif finding.requirement == "retraining":
        text = data["retraining"]["basis"]
    elif finding.requirement == "retraining-local":
        text = data["retraining"]["stricter_local"]["note"]
    elif finding.requirement in data["certificates"]["kinds"]:
        text = data["certificates"]["kinds"][finding.requirement]["basis"]
    return f"{finding.requirement}: {text} [{', '.join(finding.keys)}]"


def finding_text(finding: Finding) -> str:
    """The finding, the requirement it cites and the requirement's status."""
    return f"{what(finding)} — {basis(finding)} ({status_text(finding.status)})"
