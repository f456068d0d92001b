"""What the workflow contract suite (`test_workflow_contract.py`) needs of each declared
machine. A machine names its provider in `Machine.contract` ("module:Class"); the suite makes
one, calls `setup` once per module inside a transaction it rolls back afterwards (and once
more, committed, for the race of two connections), and then only reads through it.

A provider knows its app's world; the suite knows the contract (the kernel's order of
refusals, what a refusal leaves unchanged, what a step writes). Who is inside a record's
jurisdiction is the provider's description of the world, never an answer of the door under
test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from redline.accounts.models import User
    from redline.core.workflow import Transition
    from redline.organisations.tests.world import World


@dataclass(frozen=True)
class Someone:
    """A user the provider lists for a record, and whether the record is in their
    jurisdiction (by the world's description)."""

    user: User
    inside: bool


@runtime_checkable
class Contract(Protocol):
    # The step taken through the API and raced between two connections: one that needs a
    # field (its absence is the API's 422).
    sample: str

    def setup(self, world: World) -> None:
        """Build this machine's records (and whatever people they need) in the world."""

    def record_in(self, state: str, transition: Transition) -> Any:
        """A record in `state`, read afresh, for which the transition's other guards
        hold where the world allows (e.g. a major hazard for a major-only step)."""

    def actor_for(self, action: str, record: Any) -> User:
        """Someone inside the record's jurisdiction who may take the step on it."""

    def people(self, record: Any) -> list[Someone]:
        """Users of every role, inside and outside the record's jurisdiction."""

    def valid_data(self, action: str, record: Any, actor: User) -> dict[str, Any]:
        """The step's fields, valid (JSON-ready: dates as ISO strings), without `version`."""

    def api_url(self, record: Any, action: str) -> str:
        """The API endpoint that takes the step."""
