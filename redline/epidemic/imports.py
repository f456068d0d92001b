"""Case counts and key-group counts from a file: CSV or Excel .xlsx, read by the one
spreadsheet machinery (`redline.core.spreadsheet`) with the columns declared in `rows`.

- .xlsx: every sheet whose header names the case-count columns is read as case counts,
  every sheet whose header names the key-group columns as key-group counts (the template
  has one of each and an instructions sheet, which is skipped).
- .csv (UTF-8, with or without BOM, or GB18030 as Excel saves it in China): one kind per
  file, told by its header.
A header may be written as the column's code (`condition`), in Chinese or in English; rows
above it (a title) are skipped. Row numbers are those the spreadsheet shows.

The rows then go to `services.case_counts_record` as one submission whose idempotency key is
the file's SHA-256 (per user): importing the same file again records nothing twice. Every
problem comes back as a `RowError` with the sheet, row and column; nothing is saved when
there is any.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from redline.core import spreadsheet
from redline.core.errors import PermissionDenied, ValidationFailed
from redline.core.spreadsheet import RowError
from redline.core.spreadsheet.importing import Outcome
from redline.epidemic import services
from redline.epidemic.models import Condition
from redline.epidemic.reporting import reporter
from redline.epidemic.rows import COUNTS, GROUPS, PARTS
from redline.epidemic.vocab import CountSource, KeyGroup

if TYPE_CHECKING:
    from redline.accounts.models import User

INSTRUCTIONS = "说明 instructions"
FILE = spreadsheet.Spreadsheet((COUNTS, GROUPS), instructions=INSTRUCTIONS)
SHEET_NAMES = {part: table.name for part, table in PARTS.items()}
COUNT_COLUMNS = COUNTS.columns
GROUP_COLUMNS = GROUPS.columns


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    recorded: services.Recorded | None = None
    file_name: str = ""

    @property
    def ok(self) -> bool:
        return self.recorded is not None and not self.errors


def read_file(data: bytes) -> tuple[list[spreadsheet.Row], list[spreadsheet.Row], list[RowError]]:
    """The case-count rows, key-group rows and file-level problems of a file."""
    try:
        batch = spreadsheet.read(FILE, data)
    except spreadsheet.Rejected as rejected:
        return [], [], [RowError("", None, "", str(rejected))]
    return batch.of(COUNTS), batch.of(GROUPS), batch.problems


def import_counts(*, user: User, file: Any, now: dt.datetime | None = None) -> ImportResult:
    """Check and record a file's counts (all or nothing). PermissionDenied for a user who
    may not submit data."""
    if not reporter(user).may_submit:
        raise PermissionDenied(_("Your organisation and role may read surveillance data only."))
    result = ImportResult(file_name=str(getattr(file, "name", "") or ""))
    try:
        data = spreadsheet.file_bytes(file)
    except spreadsheet.Rejected as rejected:
        result.errors.append(RowError("", None, "", str(rejected)))
        return result

    def write(batch: spreadsheet.Batch) -> None:
        try:
            result.recorded = services.case_counts_record(
                rows=batch.of(COUNTS),
                groups=batch.of(GROUPS),
                source=CountSource.IMPORT,
                key="import:" + hashlib.sha256(data).hexdigest(),
                user=user,
                now=now,
                file_name=result.file_name,
            )
        except services.RowsInvalid:
            pass  # the problems are on the rows
        except ValidationFailed as failure:
            for message in failure.fields.values() or [failure.message]:
                batch.error(message)

    result.errors = spreadsheet.run(FILE, data, write).errors
    if result.errors:
        result.recorded = None
    return result


def recorded_message(result: dict[str, Any], replayed: bool) -> str:
    """What a submission recorded, told to its submitter."""
    if replayed:
        return (
            _(
                "This submission was already recorded (%(created)d new, %(corrected)d corrected, "
                "%(unchanged)d unchanged); nothing was recorded again."
            )
            % result
        )
    return (
        _("Recorded: %(created)d new, %(corrected)d corrected, %(unchanged)d unchanged.") % result
    )


@dataclass
class Imported(Outcome):
    """An import's outcome as the on-demand job tells it (`core.spreadsheet.jobs`)."""

    message: str = ""


def import_counts_job(*, actor: User, file: Any) -> Imported:
    """The web import, run by the jobs process: `import_counts` as the user who gave the file."""
    result = import_counts(user=actor, file=file)
    if not result.ok or result.recorded is None:
        return Imported(errors=result.errors)
    recorded = result.recorded
    text = recorded_message(recorded.result, recorded.replayed)
    groups = recorded.result.get("groups")
    if groups:
        text += (
            " "
            + _("Key groups: %(created)d new, %(replaced)d replaced, %(unchanged)d unchanged.")
            % groups
        )
    return Imported(rows=recorded.batch.rows, message=text)


# --- templates -----------------------------------------------------------------------------


def template_csv(part: str) -> bytes:
    """A CSV with the header of case counts ("rows") or key groups ("groups")."""
    return spreadsheet.csv_template(PARTS[part])


def template_xlsx(user: User) -> bytes:
    """The import workbook: a sheet for case counts, one for key groups, and instructions
    with the codes the user may use (conditions, key groups, the user's regions and key
    places)."""
    who = reporter(user)
    conditions = Condition.objects.active().order_by("kind", "code")
    places = who.places().select_related("region").order_by("region__path", "name")[:5000]
    return spreadsheet.workbook(
        FILE,
        intro=_(
            "One row per disease or syndrome, region or key place, and day. Every row "
            "is checked first: if any is wrong nothing is saved and every problem is "
            "listed. Importing the same file again records nothing twice."
        ),
        sections=[
            (_("Diseases and syndromes"), ([c.code, c.name, c.name_en] for c in conditions)),
            (_("Key groups"), ([code, str(label)] for code, label in KeyGroup.choices)),
            (
                _("Regions you may report for"),
                ([r.code, str(r)] for r in who.regions().order_by("path")[:2000]),
            ),
            (
                _("Key places you may report for"),
                ([p.pk, p.name, p.credit_code, p.region.code] for p in places),
            ),
        ],
    )
