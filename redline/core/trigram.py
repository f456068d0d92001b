"""Name search that an index serves on PostgreSQL.

A search by name is Django's `icontains`, on every database; searches build it with
`contains_q`. On PostgreSQL `icontains` is `UPPER(name::text) LIKE UPPER('%term%')`, and a GIN
trigram index (pg_trgm's `gin_trgm_ops`) on that very expression answers it: `TrigramIndex`
creates one in a migration, after `TrigramExtension`. A term of fewer than three letters or
digits (most Chinese words have two) has no trigram: PostgreSQL would read the whole index
and recheck every row, yet estimates it cheap, so `contains_q` compares such a term on
`Unindexed(name)`, which no index holds, and `TrigramIndex` also keeps statistics on that
expression, so that the planner knows how many rows match. The results are the same either
way. SQLite has neither the extension nor the index: its `icontains` (a LIKE) reads the rows.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.migrations.operations.base import Operation
from django.db.models import Func, Q
from django.db.models.functions import Cast, Upper
from django.db.models.lookups import IContains


def trigram_index(field: str, name: str) -> GinIndex:
    """A GIN trigram index on the expression `icontains` compares on PostgreSQL."""
    expression = Upper(Cast(field, output_field=models.TextField()))
    return GinIndex(OpClass(expression, name="gin_trgm_ops"), name=name)


class TrigramIndex(Operation):
    """On PostgreSQL only: a trigram index for `icontains` on a model's text field, and
    statistics on `Unindexed(field)` for the terms it cannot serve (see the module). Neither
    is part of the model's state, so SQLite, which rebuilds tables from it, never sees them."""

    reversible = True

    def __init__(self, model_name: str, field: str, name: str) -> None:
        self.model_name = model_name
        self.field = field
        self.name = name

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs = {"model_name": self.model_name, "field": self.field, "name": self.name}
        return self.__class__.__qualname__, [], kwargs

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        self._apply(schema_editor, to_state.apps.get_model(app_label, self.model_name), True)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        self._apply(schema_editor, from_state.apps.get_model(app_label, self.model_name), False)

    def _apply(self, schema_editor: Any, model: Any, create: bool) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        table = quote(model._meta.db_table)
        if not create:
            schema_editor.execute(f"DROP STATISTICS IF EXISTS {quote(self.statistics)}")
            schema_editor.remove_index(model, trigram_index(self.field, self.name))
            return
        schema_editor.add_index(model, trigram_index(self.field, self.name))
        column = quote(model._meta.get_field(self.field).column)
        # The expression `contains_q` compares a short term on: UPPER((name || '')::text).
        schema_editor.execute(
            f"CREATE STATISTICS {quote(self.statistics)} "
            f"ON (UPPER(({column} || '')::text)) FROM {table}"
        )
        schema_editor.execute(f"ANALYZE {table}")

    @property
    def statistics(self) -> str:
        return f"{self.name}_short"

    def describe(self) -> str:
        return f"Trigram index {self.name} on {self.model_name}.{self.field} (PostgreSQL)"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name.lower()}_{self.field}_trigram"


class Unindexed(Func):
    """A text column as an expression that no index holds (`name || ''`): same value."""

    template = "(%(expressions)s || '')"
    output_field = models.TextField()


# Three letters or digits in a row: what pg_trgm makes a trigram of in a LIKE pattern.
HAS_TRIGRAM = re.compile(r"[^\W_]{3}")


def contains_q(field: str, term: str) -> Q:
    """`field__icontains=term`, shaped for the trigram index: a term with a trigram as is
    (the index serves it), a term without one on `Unindexed(field)` (see the module)."""
    if HAS_TRIGRAM.search(term):
        return Q(**{f"{field}__icontains": term})
    return Q(IContains(Unindexed(field), term))
