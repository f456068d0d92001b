"""What every case workflow (hidden hazards, epidemic signals, capacity alerts) refuses first.

The order of refusals is the same for every workflow, so that a refusal reveals nothing the
actor may not know: a record outside the jurisdiction is not found (404, by the one door);
then a step the actor may not take, whoever they are to this record, is forbidden (403)
before anything about the record's state or version is said; only then a stale version
or a step from another state, and invalid input.

(The first piece of the shared workflow kernel of issue 12: the workflows' transition
tables still live in their apps.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django.utils.translation import gettext_lazy as _

from redline.core.errors import PermissionDenied


class Step(Protocol):
    """A transition of a workflow: who may take it, and how people call them."""

    @property
    def allowed(self) -> Callable[[Any, Any], bool]: ...

    @property
    def who(self) -> Any: ...


def role_refusal(step: Step, actor: Any, record: Any) -> Any:
    """Why the actor may never take this step on this record (whatever its state), or None."""
    if step.allowed(actor, record):
        return None
    return _("Only %(who)s may do this.") % {"who": step.who}


def ensure_allowed(step: Step, actor: Any, record: Any) -> None:
    """403 for an actor who may not take the step, before the record's state is looked at."""
    reason = role_refusal(step, actor, record)
    if reason is not None:
        raise PermissionDenied(str(reason))
