"""Typed inputs of services: what an edge validated, handed over once.

A service takes a frozen dataclass subclassing `Input`, and takes it as it is: it never
parses strings or looks for unknown keys again. The edge builds it with `Input.of`, from a
web form's `cleaned_data`, an API schema or a mapping of raw values (JSON, a spreadsheet
row): a field declared with `read(reader)` is read there by its reader
(`redline.core.readers`, the same readers a workflow step's fields use), and every bad,
missing or unknown field is named in one answer (422). What remains for the service are the
rules that need the database or the actor (jurisdiction, uniqueness, the model's own
`full_clean`, a workflow's state).

An update changes only what was given: a field left at `UNSET` is not touched (an API's
PATCH builds its input from the fields the request set, `Input.of(payload, partial=True)`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, Final, Self, final

from django.utils.translation import gettext as _

from redline.core.errors import ValidationFailed
from redline.core.readers import Reader, read_fields


@final
class Unset:
    """A field the input does not set (a partial update leaves it as it is)."""

    _instance: ClassVar[Unset | None] = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = Unset()

type Maybe[T] = T | Unset  # a field a partial update may leave out


def read(reader: Reader, default: Any = dataclasses.MISSING) -> Any:
    """A field of an input that `Input.of` reads with `reader` (without a default, it is
    needed)."""
    return dataclasses.field(default=default, metadata={"reader": reader})


@dataclasses.dataclass(frozen=True, kw_only=True)
class Input:
    """The base of every service input. Subclasses are frozen, keyword-only dataclasses
    whose fields carry the types the edge has already checked."""

    def given(self) -> dict[str, Any]:
        """The fields this input sets, by name (those left `UNSET` are absent)."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) is not UNSET
        }

    @classmethod
    def names(cls) -> frozenset[str]:
        return frozenset(f.name for f in dataclasses.fields(cls))

    @classmethod
    def of(cls, source: Any, *, partial: bool = False, **extra: Any) -> Self:
        """The input from a source: a mapping (a form's `cleaned_data`, JSON, a row) or an
        API schema (its fields; with `partial`, only those the request set); `extra`
        overrides or completes what the source gives. Fields declared with `read` are read
        by their readers; every unreadable, missing or undeclared field is named at once
        (422) rather than dropped in silence."""
        if isinstance(source, Mapping):
            values = dict(source)
        else:
            values = source.dict(exclude_unset=partial)
        values |= extra
        unknown = sorted(set(values) - cls.names())
        declared = dataclasses.fields(cls)
        readers = {f.name: f.metadata["reader"] for f in declared if "reader" in f.metadata}
        raw = {name: values.pop(name) for name in readers if name in values}
        typed, errors = read_fields(readers, raw, required=())
        values |= typed
        errors |= {name: _("Unknown field.") for name in unknown}
        errors |= {
            f.name: _("This field is required.")
            for f in declared
            if f.name not in values
            and f.name not in errors
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        }
        if errors:
            raise ValidationFailed(fields=dict(sorted(errors.items())))
        return cls(**values)
