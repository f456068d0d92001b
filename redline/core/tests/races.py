"""Two connections at once, for the tests that race them (a workflow step, a job claim)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections


def race_connection(tmp_path: Path) -> Callable[[], None]:
    """What a racing thread does first to connect. PostgreSQL: nothing (its own connection
    to the test database). SQLite: the test database is in memory, where a connection
    finding another one writing is refused at once ("database table is locked") instead of
    waiting its turn as on a file; so the race runs on a file copy of it, as in production."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        return lambda: None
    path = tmp_path / "race.sqlite3"
    connection.ensure_connection()
    with closing(sqlite3.connect(path)) as copy:
        connection.connection.backup(copy)
        # In WAL already, as production's file is: otherwise the two threads' first statement
        # (the settings' `journal_mode=WAL`) races to convert it, and the loser is refused
        # at once ("database is locked") instead of waiting its turn at BEGIN.
        copy.execute("PRAGMA journal_mode=WAL")
    settings_dict = dict(connection.settings_dict, NAME=str(path))
    wrapper = type(connections[DEFAULT_DB_ALIAS])

    def attach() -> None:
        connections[DEFAULT_DB_ALIAS] = wrapper(settings_dict, DEFAULT_DB_ALIAS)

    return attach


def in_threads(attach: Callable[[], None], *works: Callable[[], Any]) -> list[Any]:
    """Each work's answer, or the exception it raised, each run at the same time in a thread
    of its own connection (closed at its end)."""
    answers: list[Any] = [None] * len(works)

    def run(index: int) -> None:
        try:
            attach()
            answers[index] = works[index]()
        except Exception as failure:  # the caller looks at what it was
            answers[index] = failure
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread never finished"
    return answers
