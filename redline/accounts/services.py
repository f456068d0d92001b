"""Account writes: personal API tokens."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from redline.accounts.models import ApiToken, User
from redline.core.errors import ValidationFailed

MAX_LIVE_TOKENS = 20


@transaction.atomic
def token_issue(*, actor: User, name: str) -> tuple[ApiToken, str]:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(fields={"name": _("Give the token a name.")})
    if len(name) > 100:
        raise ValidationFailed(fields={"name": _("At most 100 characters.")})
    if ApiToken.objects.live().filter(user=actor).count() >= MAX_LIVE_TOKENS:
        raise ValidationFailed(
            fields={
                "name": _("You have %(n)d live tokens; revoke one first.") % {"n": MAX_LIVE_TOKENS}
            }
        )
    return ApiToken.issue(user=actor, name=name)


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
