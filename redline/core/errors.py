"""Domain errors: each has a machine code and an HTTP status.

Services raise them; the API turns them into the one JSON error shape, the web
into a message next to the field. A failed request changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "error"
    status = 400
    default_message = _("The request could not be completed.")

    def __init__(self, message: object = None, *, fields: Mapping[str, object] | None = None):
        self.message = str(message if message is not None else self.default_message)
        self.fields = {k: str(v) for k, v in (fields or {}).items()}
        super().__init__(self.message)


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 422
    default_message = _("Some fields are not valid.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    default_message = _("You do not have permission to do this.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _(
        "This record was changed by someone else since you opened it. "
        "Reload it, check the changes and try again."
    )
