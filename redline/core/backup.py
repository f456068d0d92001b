"""One archive holds a Redline site: its database, its uploaded files and a manifest that
says what they are (`redline backup`, `redline restore`).

The archive is a plain tar: `database.sqlite3` (the SQLite online-backup API's copy, so it
is consistent while the site runs) or `database.pgdump` (`pg_dump --format=custom` in an
exported snapshot, the record counts read in the same snapshot), `media/...` (MEDIA_ROOT)
and `manifest.json` (format, versions, vendor, latest migration per app, record counts per
table, sha256 per member). A restore checks everything it can before it changes anything.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

import redline

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DATABASE = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# Tables a fresh `redline migrate` fills with shipped reference data: rows there do not make
# a target database "in use".
SHIPPED = {"hazards.CalendarDay", "medical.CapacityThreshold"}
CHUNK = 1024 * 1024

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; nothing was changed unless the message says so."""


@dataclass
class Plan:
    """A checked archive, unpacked in a scratch directory."""

    root: Path
    manifest: dict[str, Any]
    older: list[str] = field(default_factory=list)


def _quiet(_: str) -> None:
    return None


# --- the database ----------------------------------------------------------------------------


def vendor() -> str:
    if connection.vendor not in DATABASE:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {connection.vendor}")
    return connection.vendor


def _sqlite_path() -> Path:
    return Path(str(settings.DATABASES["default"]["NAME"]))


def _pg_env() -> dict[str, str]:
    """libpq's environment for the default database (pg_dump, pg_restore, psycopg)."""
    db: dict[str, Any] = dict(settings.DATABASES["default"])
    env = dict(os.environ)
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[name] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    options = db.get("OPTIONS") or {}
    if options.get("sslmode"):
        env["PGSSLMODE"] = str(options["sslmode"])
    env["PGDATABASE"] = str(db["NAME"])
    return env


@contextmanager
def _pg() -> Iterator[Any]:
    import psycopg

    env = _pg_env()
    try:
        conn = psycopg.connect(
            dbname=env["PGDATABASE"],
            host=env.get("PGHOST"),
            port=env.get("PGPORT"),
            user=env.get("PGUSER"),
            password=env.get("PGPASSWORD"),
            sslmode=env.get("PGSSLMODE"),
            autocommit=True,
        )
    except psycopg.OperationalError as error:
        raise BackupError(f"cannot connect to the database: {error}") from None
    with conn:
        yield conn


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _counts(cursor: Any, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _latest_migrations(cursor: Any) -> dict[str, str]:
    cursor.execute("SELECT app, name FROM django_migrations")
    latest: dict[str, str] = {}
    for app, name in cursor.fetchall():
        if name > latest.get(app, ""):
            latest[app] = name
    return dict(sorted(latest.items()))


def _sqlite_tables(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return [row[0] for row in cursor.fetchall()]


def _pg_tables(cursor: Any) -> list[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return [row[0] for row in cursor.fetchall()]


def _dump_sqlite(target: Path) -> tuple[dict[str, int], dict[str, str]]:
    source_path = _sqlite_path()
    if not source_path.exists():
        raise BackupError(f"the database {source_path} does not exist")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        cursor = copy.cursor()
        tables = _sqlite_tables(cursor)
        if "django_migrations" not in tables:
            raise BackupError("the database has no migrations applied: nothing to back up")
        return _counts(cursor, tables), _latest_migrations(cursor)
    finally:
        copy.close()
        source.close()


def _dump_pg(target: Path) -> tuple[dict[str, int], dict[str, str]]:
    with _pg() as conn:
        cursor = conn.cursor()
        # One snapshot for the dump, the counts and the migrations.
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        try:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            tables = _pg_tables(cursor)
            if "django_migrations" not in tables:
                raise BackupError("the database has no migrations applied: nothing to back up")
            counts, migrations = _counts(cursor, tables), _latest_migrations(cursor)
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-password",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                ],
                "pg_dump",
            )
        finally:
            cursor.execute("COMMIT")
    return counts, migrations


def _run(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(command, env=_pg_env(), capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"{what} is not installed (PostgreSQL's client programs)") from None
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()}")


def target_counts() -> dict[str, int]:
    """Every table's record count in the configured database."""
    if vendor() == "sqlite":
        path = _sqlite_path()
        if not path.exists():
            return {}
        with contextlib.closing(sqlite3.connect(path)) as conn:
            cursor = conn.cursor()
            return _counts(cursor, _sqlite_tables(cursor))
    with _pg() as conn:
        cursor = conn.cursor()
        return _counts(cursor, _pg_tables(cursor))


def tables_in_use() -> list[str]:
    """Redline's tables that hold rows in the configured database (shipped data aside), read
    without changing anything (a read-only SQLite connection: Django's would switch the
    file to WAL)."""
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model.__module__.startswith("redline.") and model._meta.label not in SHIPPED
    }
    if vendor() == "sqlite":
        path = _sqlite_path()
        if not path.exists():
            return []
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            return _used(conn.cursor(), tables & set(_sqlite_tables(conn.cursor())))
    with _pg() as conn:
        return _used(conn.cursor(), tables & set(_pg_tables(conn.cursor())))


def _used(cursor: Any, tables: set[str]) -> list[str]:
    used = []
    for table in sorted(tables):
        cursor.execute(f"SELECT 1 FROM {_quote(table)} LIMIT 1")
        if cursor.fetchone():
            used.append(table)
    return used


# --- backup ----------------------------------------------------------------------------------


class _Hashing:
    """A file read through, its sha256 kept."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.sha = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha.update(data)
        return data


def _add(archive: tarfile.TarFile, path: Path, name: str) -> str:
    with path.open("rb") as handle:
        info = tarfile.TarInfo(name)
        stat = os.fstat(handle.fileno())
        info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o644
        reader = _Hashing(handle)
        archive.addfile(info, reader)
        return reader.sha.hexdigest()


def _media_files(root: Path) -> list[tuple[Path, str]]:
    if not root.is_dir():
        return []
    files = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            files.append((path, f"{MEDIA}/{path.relative_to(root).as_posix()}"))
    return files


def backup(output: Path, *, progress: Progress = _quiet) -> dict[str, Any]:
    """Write the archive to `output` (whole or not at all); return its manifest."""
    kind = vendor()
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="redline-backup-", dir=output.parent) as scratch:
        dump = Path(scratch) / DATABASE[kind]
        progress(f"Dumping the {kind} database ...")
        counts, migrations = (_dump_sqlite if kind == "sqlite" else _dump_pg)(dump)
        progress(f"  {len(counts)} tables, {sum(counts.values())} records")
        members: dict[str, str] = {}
        try:
            with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as archive:
                members[DATABASE[kind]] = _add(archive, dump, DATABASE[kind])
                media = _media_files(Path(settings.MEDIA_ROOT))
                progress(f"Adding {len(media)} uploaded files from {settings.MEDIA_ROOT} ...")
                for path, name in media:
                    members[name] = _add(archive, path, name)
                manifest = {
                    "format": FORMAT,
                    "redline_version": redline.__version__,
                    "vendor": kind,
                    "migrations": migrations,
                    "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "counts": counts,
                    "members": members,
                }
                body = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode = len(body), 0o644
                info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
                archive.addfile(info, io.BytesIO(body))
            os.replace(partial, output)
        finally:
            partial.unlink(missing_ok=True)
    progress(f"Wrote {output} ({output.stat().st_size} bytes, {len(members)} members)")
    return manifest


# --- restore ---------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and ".." not in path.parts
        and (name == MANIFEST or name in DATABASE.values() or path.parts[0] == MEDIA)
    )


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError("damaged archive: manifest.json is not valid JSON") from None
    shapes = {
        "format": int,
        "redline_version": str,
        "vendor": str,
        "migrations": dict,
        "created_at": str,
        "counts": dict,
        "members": dict,
    }
    if not isinstance(manifest, dict) or any(
        not isinstance(manifest.get(key), kind) for key, kind in shapes.items()
    ):
        raise BackupError(f"damaged archive: manifest.json lacks or mistypes {sorted(shapes)}")
    if manifest["format"] != FORMAT:
        raise BackupError(f"archive format {manifest['format']} is not {FORMAT} (this Redline's)")
    if (
        manifest["vendor"] not in DATABASE
        or DATABASE[manifest["vendor"]] not in manifest["members"]
    ):
        raise BackupError("damaged archive: the manifest names no database member")
    if not all(isinstance(n, int) for n in manifest["counts"].values()):
        raise BackupError("damaged archive: the manifest's record counts are not numbers")
    return manifest


def unpack(archive_path: Path, scratch: Path, *, progress: Progress = _quiet) -> Plan:
    """Unpack and check the archive into `scratch`: members, checksums, manifest."""
    progress(f"Checking {archive_path} ...")
    try:
        with tarfile.open(archive_path, "r:") as archive:
            members = archive.getmembers()
            for member in members:
                if not member.isfile() or not _safe_name(member.name):
                    raise BackupError(f"damaged archive: unexpected member {member.name!r}")
            archive.extractall(scratch, members=members, filter="data")
    except FileNotFoundError:
        raise BackupError(f"{archive_path} does not exist") from None
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BackupError(f"damaged archive: {error}") from None
    if not (scratch / MANIFEST).is_file():
        raise BackupError("damaged archive: manifest.json is missing")
    manifest = _read_manifest(scratch / MANIFEST)
    found = {m.name for m in members if m.name != MANIFEST}
    listed = set(manifest["members"])
    if listed - found:
        raise BackupError(f"damaged archive: missing member(s) {sorted(listed - found)}")
    if found - listed:
        raise BackupError(
            f"damaged archive: member(s) not in the manifest {sorted(found - listed)}"
        )
    for name, digest in manifest["members"].items():
        if _sha256(scratch / name) != digest:
            raise BackupError(f"damaged archive: checksum mismatch for {name}")
    progress(f"  {len(listed)} members, checksums match")
    return Plan(root=scratch, manifest=manifest)


def check_compatible(plan: Plan) -> None:
    """The archive's vendor is this database's and its migrations are known to this code."""
    here, there = vendor(), plan.manifest["vendor"]
    if here != there:
        raise BackupError(f"the archive holds a {there} database; this site runs on {here}")
    loader = MigrationLoader(None, ignore_no_migrations=True)
    ahead = [
        f"{app}.{name}"
        for app, name in plan.manifest["migrations"].items()
        if (app, name) not in loader.disk_migrations
    ]
    if ahead:
        raise BackupError(
            "the archive's database is ahead of this code (unknown migrations: "
            + ", ".join(sorted(ahead))
            + "); restore it with the Redline version that made it"
        )
    leaves = {app: name for app, name in loader.graph.leaf_nodes()}
    plan.older = sorted(
        app for app, name in leaves.items() if plan.manifest["migrations"].get(app) != name
    )


def restore(archive_path: Path, *, force: bool = False, progress: Progress = _quiet) -> Plan:
    """Check the archive, then put its database and files in place and check the counts."""
    with tempfile.TemporaryDirectory(prefix="redline-restore-") as scratch:
        plan = unpack(archive_path, Path(scratch), progress=progress)
        check_compatible(plan)
        used = tables_in_use()
        if used and not force:
            raise BackupError(
                f"the target database is not empty ({len(used)} tables hold rows, e.g. "
                f"{', '.join(used[:3])}); give --yes to replace its contents"
            )
        connections.close_all()
        kind = plan.manifest["vendor"]
        progress(f"Restoring the {kind} database ...")
        dump = plan.root / DATABASE[kind]
        if kind == "sqlite":
            target = _sqlite_path()
            target.parent.mkdir(parents=True, exist_ok=True)
            source, dest = sqlite3.connect(dump), sqlite3.connect(target)
            try:
                source.backup(dest)
            finally:
                dest.close()
                source.close()
        else:
            _run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    "--exit-on-error",
                    "--no-password",
                    f"--dbname={_pg_env()['PGDATABASE']}",
                    str(dump),
                ],
                "pg_restore",
            )
        media_root = Path(settings.MEDIA_ROOT)
        files = [n for n in plan.manifest["members"] if n.startswith(f"{MEDIA}/")]
        progress(f"Restoring {len(files)} uploaded files into {media_root} ...")
        try:
            for name in files:
                destination = media_root.joinpath(*PurePosixPath(name).parts[1:])
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(plan.root / name, destination)
        except OSError as error:
            raise BackupError(f"the database is restored, but not the files: {error}") from None
        progress("Checking the record counts ...")
        counts = target_counts()
        wrong = [t for t, n in plan.manifest["counts"].items() if counts.get(t) != n]
        if wrong:
            raise BackupError(
                "restored, but the record counts differ from the manifest's in: "
                + ", ".join(wrong[:10])
            )
        progress(f"  {len(plan.manifest['counts'])} tables match the manifest")
        return plan
