"""Signals other apps listen to (side concerns only, never workflow)."""

from django.dispatch import Signal

# Sent inside the writing transaction after a unit's region, sectors or kind may have
# changed (by the service or the admin), with `enterprise`: records that keep copies of
# those for scoping bring them in line.
unit_changed = Signal()
