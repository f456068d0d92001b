"""Training records and certificates from one .xlsx workbook, on the one spreadsheet
machinery (`redline.core.spreadsheet`): a sheet of training records and a sheet of
certificates (either may be left out; the template has both and an instructions sheet).

A row names its person by the unit's unified social credit code and the person's name (a
person of a unit the importer may change); each row then goes to the same service as the
form and the API (`training_record_add`, `certificate_add`). Every problem comes back with
its sheet, row and column; nothing is saved when any row is bad."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from redline.core import spreadsheet as sheet
from redline.core.errors import PermissionDenied
from redline.organisations.access import can
from redline.organisations.models import Person
from redline.organisations.vocab import PersonRole
from redline.training import requirements as req
from redline.training import services
from redline.training.vocab import CertificateKind, Level, Purpose

if TYPE_CHECKING:
    from redline.accounts.models import User

UNIT = sheet.Column(
    "unit",
    "单位统一社会信用代码",
    _lazy("Unit's credit code"),
    _lazy("The unified social credit code of the person's unit."),
    required=True,
)
PERSON = sheet.Column(
    "person",
    "姓名",
    _lazy("Name"),
    _lazy("The person's name as the unit's people list it."),
    required=True,
)

RECORDS = sheet.Table(
    "培训记录 training records",
    columns=(
        UNIT,
        PERSON,
        sheet.Column("course", "培训内容", _lazy("Course"), required=True),
        sheet.Column("hours", "学时", _lazy("Hours"), type=sheet.Decimal(places=1), required=True),
        sheet.Column("day", "培训日期", _lazy("Date"), type=sheet.Date(), required=True),
        sheet.Column(
            "level",
            "级别",
            _lazy("Level"),
            _lazy("Company, workshop or team (three-level education), or other."),
            type=sheet.Choice(Level),
            required=True,
        ),
        sheet.Column(
            "purpose",
            "类别",
            _lazy("Counts for"),
            _lazy("Initial training, annual refresher, re-training or other."),
            type=sheet.Choice(Purpose),
            required=True,
        ),
        sheet.Column("trainer", "培训人", _lazy("Trainer")),
        sheet.Column(
            "trainer_signed", "培训人签字", _lazy("Signed by the trainer"), type=sheet.Bool()
        ),
        sheet.Column(
            "trainee_signed", "受训人签字", _lazy("Signed by the trainee"), type=sheet.Bool()
        ),
    ),
)


def _operations() -> sheet.Vocabulary:
    return sheet.Vocabulary(
        {code: [op.zh, op.en, f"{op.category_zh}·{op.zh}"] for code, op in req.operations().items()}
    )


CERTIFICATES = sheet.Table(
    "证书 certificates",
    columns=(
        UNIT,
        PERSON,
        sheet.Column(
            "kind", "证书类别", _lazy("Kind"), type=sheet.Choice(CertificateKind), required=True
        ),
        sheet.Column(
            "item",
            "操作项目",
            _lazy("Operation item"),
            _lazy("For a special-operation certificate: the operation item (code or name)."),
            type=sheet.Choice(_operations()),  # the catalogue (data)
        ),
        sheet.Column("number", "证书编号", _lazy("Certificate number"), required=True),
        sheet.Column("issuer", "发证机关", _lazy("Issued by")),
        sheet.Column("issued_on", "发证日期", _lazy("Issued on"), type=sheet.Date(), required=True),
        sheet.Column(
            "valid_until",
            "有效期至",
            _lazy("Valid until"),
            _lazy("Leave empty to take the kind's validity from the issue date."),
            type=sheet.Date(),
        ),
        sheet.Column("reviewed_on", "最近复审日期", _lazy("Last reviewed on"), type=sheet.Date()),
        sheet.Column(
            "long_service",
            "连续从业10年以上",
            _lazy("≥10 years in the trade"),
            type=sheet.Bool(),
        ),
    ),
)
INSTRUCTIONS = "说明 instructions"
FILE = sheet.Spreadsheet((RECORDS, CERTIFICATES), csv=False, instructions=INSTRUCTIONS)


def template() -> bytes:
    """The workbook to fill: both sheets, and the instructions with the codes."""
    return sheet.workbook(
        FILE,
        intro=_(
            "One row per training or certificate. Name the person by the unit's credit code "
            "and the person's name. Nothing is saved when any row has a problem."
        ),
        sections=[
            (_("Levels"), [[c.value, str(c.label)] for c in Level]),
            (_("Counts for"), [[c.value, str(c.label)] for c in Purpose]),
            (_("Certificate kinds"), [[c.value, str(c.label)] for c in CertificateKind]),
            (
                _("Special-operation items"),
                [[code, op.label] for code, op in req.operations().items()],
            ),
        ],
    )


def _person(actor: User, row: sheet.Row, people: Any) -> int | None:
    found = list(
        people.filter(enterprise__credit_code=row["unit"], name=row["person"]).values_list(
            "pk", flat=True
        )[:2]
    )
    if len(found) == 1:
        return found[0]
    if found:
        row.error("person", _("Two people of this unit have this name."))
    else:
        row.error("person", _("No person of this name in a unit you may change."))
    return None


def import_training(*, actor: User, file: Any) -> sheet.Outcome:
    """Check and save a workbook's training records and certificates, all or nothing."""
    if not can(actor, "change"):
        raise PermissionDenied()
    people = (
        Person.objects.restrict(actor, "change")
        .filter(enterprise__isnull=False, is_archived=False)
        .exclude(role=PersonRole.GOVERNMENT_CONTACT)
    )

    def save(row: sheet.Row) -> None:
        person = _person(actor, row, people)
        if person is None:
            return
        values = {k: v for k, v in row.values.items() if k != "unit" and v is not None}
        values["person"] = person
        if row.table is RECORDS:
            services.training_record_add(actor=actor, data=services.TrainingRecordInput.of(values))
        else:
            services.certificate_add(actor=actor, data=services.CertificateInput.of(values))

    return sheet.run(FILE, file, sheet.each_row(save))
