"""A compute-only command (`redline.commands`) as a Django management command: the same
declaration, for `redline help`, `call_command` and Django's own command line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from redline.commands import CommandFailed, Compute, write_output


class ComputeCommand(BaseCommand):
    compute: Compute
    # A computation: Django's system checks (which import every URLconf and view) would make it
    # depend on parts of the site it never uses.
    requires_system_checks: list[str] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.help = cls.compute.help

    def add_arguments(self, parser: CommandParser) -> None:
        self.compute.add_arguments(parser)

    def body(self, options: dict[str, Any]) -> str:
        return self.compute.run(options)

    def text(self, body: str) -> None:
        self.stdout.write(body, ending="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            body = self.body(options)
            write_output(body, options.get("output"), self.compute.prefix, self.text)
        except CommandFailed as error:
            raise CommandError(str(error)) from None
