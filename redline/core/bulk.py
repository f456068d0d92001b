"""Insert many model rows fast (the demo's loader).

`insert(rows)` writes unsaved instances of one model; `insert_values(model, rows)` writes
rows given as dicts of attribute names (`enterprise_id`, not `enterprise`) without making
model instances, which costs more than writing them. Either way the rows go in as few
statements as the database allows: PostgreSQL's COPY (psycopg's `cursor.copy()`), SQLite's
`executemany` of one prepared INSERT. Each row's primary key is given before it is written
(ids reserved from the table's sequence, `reserve_ids`), so a caller links child rows to
their parents by id without reading them back.

Values are stored as Django stores them: the fields' own `pre_save` (`auto_now_add`
stamps) and `get_db_prep_save` (JSON, decimals), with a short cut for the plain values a
driver takes as they are (text, numbers, booleans, ids) and for dates and times. A dict
row's missing fields take the field's default (`auto_now_add`: now).

No signals are sent (like `bulk_create`): a caller reproduces what a post_save handler
would have done. Call it inside a transaction (SQLite: the whole load in one).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connections, models, router
from django.utils import timezone

# Fields whose values the database drivers take unchanged.
PLAIN = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "EmailField",
        "FloatField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
    }
)
SQLITE_CHUNK = 20_000  # rows per executemany call (memory only; one statement prepared)
AUTO_PK = (models.AutoField, models.BigAutoField, models.SmallAutoField)


def _sqlite_datetime(value: Any) -> Any:
    # As the SQLite backend stores an aware datetime: naive UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]".
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is dt.UTC:
        return str(value)[:-6]  # without "+00:00"
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return str(value)


def _value_converter(field: models.Field[Any, Any], connection: Any) -> Callable[[Any], Any] | None:
    """How a field's Python value becomes what the driver gets (None: unchanged)."""
    kind = field.get_internal_type()
    if kind in PLAIN:
        return None
    sqlite = connection.vendor == "sqlite"
    if kind == "DateTimeField":
        return _sqlite_datetime if sqlite else None
    if kind == "DateField":
        return (lambda v: None if v is None else str(v)) if sqlite else None
    if kind == "JSONField" and sqlite:
        encoder = field.encoder  # type: ignore[attr-defined]
        return lambda v: None if v is None else json.dumps(v, cls=encoder)

    def generic(value: Any) -> Any:
        return field.get_db_prep_save(value, connection)

    return generic


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not f.generated]


def reserve_ids(rows: Sequence[Any], *, model: type[models.Model] | None = None) -> None:
    """Give every row without a primary key the next id of its table, in row order: an
    instance its `pk`, a dict its "id" (then `model` says whose rows they are)."""
    dicts = model is not None
    model = model or (type(rows[0]) if rows else None)
    if model is None:
        return
    meta = model._meta
    name = meta.pk.attname
    todo = [r for r in rows if (r.get(name) if dicts else r.pk) is None]
    if not todo:
        return
    if not isinstance(meta.pk, AUTO_PK):
        raise ValueError(f"{meta.label}: rows without a primary key need an automatic id")
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    table, column = meta.db_table, str(meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [quote(table), column, len(todo)],
            )
            ids = sorted(row[0] for row in cursor.fetchall())
        else:
            cursor.execute(f"SELECT MAX({quote(column)}) FROM {quote(table)}")
            top = cursor.fetchone()[0] or 0
            if connection.vendor == "sqlite":
                # AUTOINCREMENT never gives an id again, even of a deleted row.
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                found = cursor.fetchone()
                top = max(top, found[0] if found else 0)
            ids = list(range(top + 1, top + 1 + len(todo)))
    for row, pk in zip(todo, ids, strict=True):
        if dicts:
            row[name] = pk
        else:
            row.pk = pk


def _write(
    model: type[models.Model],
    fields: list[models.Field[Any, Any]],
    tuples: Iterable[tuple[Any, ...]],
) -> None:
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(str(f.column)) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in tuples:
                    copy.write_row(values)
            return
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        chunk: list[tuple[Any, ...]] = []
        for values in tuples:
            chunk.append(values)
            if len(chunk) >= SQLITE_CHUNK:
                cursor.executemany(sql, chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)


def insert(rows: Iterable[models.Model]) -> int:
    """Write unsaved instances of one model; returns how many. Their primary keys are set."""
    rows = list(rows)
    if not rows:
        return 0
    model = type(rows[0])
    connection = connections[router.db_for_write(model)]
    reserve_ids(rows)
    fields = _fields(model)
    readers: list[Callable[[Any], Any]] = []
    for field in fields:
        convert = _value_converter(field, connection) or (lambda v: v)
        readers.append(_reader(field, convert))

    _write(model, fields, (tuple(read(row) for read in readers) for row in rows))
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias
    return len(rows)


def _reader(field: models.Field[Any, Any], convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    name = field.attname
    if field.is_relation:

        def related_id(obj: Any) -> Any:
            # A parent given as an object before it had its id: take the id it has now.
            value = getattr(obj, name)
            if value is None:
                parent = field.get_cached_value(obj, None)  # type: ignore[attr-defined]
                if parent is not None:
                    value = getattr(parent, field.target_field.attname)  # type: ignore[attr-defined]
                    setattr(obj, name, value)
            return value

        return related_id
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda obj: convert(field.pre_save(obj, True))
    return lambda obj: convert(getattr(obj, name))


def insert_values(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> int:
    """Write rows of `model` given as dicts of attribute names; returns how many. A row
    without an "id" gets one (written into the dict); a missing field takes its default."""
    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    reserve_ids(rows, model=model)
    fields = _fields(model)
    now = timezone.now()
    columns: list[tuple[str, Callable[[Any], Any] | None, Any, Callable[[], Any] | None]] = []
    for field in fields:
        convert = _value_converter(field, connection)
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            default, make = (now.date() if field.get_internal_type() == "DateField" else now), None
        elif field.has_default() and callable(field.default):
            default, make = None, field.get_default
        else:
            default, make = field.get_default(), None
        columns.append((field.attname, convert, default, make))

    def values(row: dict[str, Any]) -> tuple[Any, ...]:
        out = []
        for name, convert, default, make in columns:
            value = row[name] if name in row else (make() if make else default)
            out.append(value if convert is None else convert(value))
        return tuple(out)

    _write(model, fields, (values(row) for row in rows))
    return len(rows)
