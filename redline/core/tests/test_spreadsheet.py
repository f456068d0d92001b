"""The one spreadsheet import machinery: each cell type, vocabularies by code and by label
in both languages, the header found under a title and in any language, every problem by
sheet, row and column in the reader's language, the limits, CSV and .xlsx alike, all or
nothing, and a template written from a declaration that reads back once filled. The
declarations the apps make (the risk ledger, the case counts) are checked too."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from redline.accounts.models import User
from redline.core import spreadsheet
from redline.core.errors import ValidationFailed
from redline.core.spreadsheet import (
    Bool,
    CellError,
    Choice,
    Column,
    Count,
    Date,
    Decimal,
    Integer,
    Number,
    Row,
    Spreadsheet,
    Table,
    Text,
    Time,
    Vocabulary,
    Within,
    reading,
)
from redline.epidemic.rows import COUNTS, GROUPS
from redline.risk.spreadsheet.columns import LEDGER
from redline.risk.vocab import ManagementLevel, MeasureSubclass

pytestmark = pytest.mark.django_db

PEOPLE = Table(
    "人员 people",
    (
        Column("login", "账号", "Login", "A new login.", Text(max_length=20), required=True),
        Column("name", "姓名", "Name"),
        Column("level", "管控层级", "Management level", type=Choice(ManagementLevel)),
        Column("hours", "学时", "Hours", type=Decimal(places=1)),
        Column("age", "年龄", "Age", type=Integer(minimum=16, maximum=70)),
        Column("passed", "是否合格", "Passed", type=Bool()),
        Column("day", "日期", "Date", type=Date(), required=True),
        Column("starts", "开始时间", "Starts", type=Time()),
        Column("note", "备注", "Note", computed=True),
    ),
)
VISITS = Table(
    "来访 visits",
    (
        Column("login", "账号", "Login", required=True),
        Column("visits", "次数", "Visits", type=Count(maximum=100), required=True),
    ),
    coded=True,
)
FILE = Spreadsheet((PEOPLE, VISITS), instructions="说明 instructions")
FIRST_SHEET_XLSX = Spreadsheet((PEOPLE,), csv=False, all_sheets=False)


def read(table: Table, **cells) -> Row:
    return table.read(cells, 2)


def message(cell_type, value) -> str:
    with pytest.raises(CellError) as raised:
        cell_type.read(value, {})
    return str(raised.value)


def xlsx(*sheets: tuple[str, list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def labels(table: Table) -> list[str]:
    return [column.label for column in table.read_columns]


def save_user(row: Row) -> None:
    if User.objects.filter(username=row["login"]).exists():
        raise ValidationFailed(fields={"username": "taken", "age": "too young"})
    User.objects.create(username=row["login"], first_name=row["name"] or "")


def import_people(content: bytes, spreadsheet_: Spreadsheet = FILE) -> spreadsheet.Outcome:
    return spreadsheet.run(spreadsheet_, content, spreadsheet.each_row(save_user))


# --- cell types ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell_type", "value", "expected"),
    [
        (Text(), "  a b ", "a b"),
        (Text(), 12.0, "12"),
        (Text(), "'=SUM(A1)", "=SUM(A1)"),  # the quote an export puts before a formula
        (Text(), dt.datetime(2026, 3, 9, 8), "2026-03-09"),
        (Integer(), "1,200", 1200),
        (Integer(), " +3 ", 3),
        (Integer(), 7.0, 7),
        (Integer(minimum=1), "1e1", 10),
        (Count(), 0, 0),
        (Number(), "0.5", 0.5),
        (Number(), 40, 40.0),
        (Decimal(places=1), "7.5", decimal.Decimal("7.5")),
        (Decimal(), 0.1, decimal.Decimal("0.1")),
        (Date(), dt.datetime(2026, 3, 9, 17, 30), dt.date(2026, 3, 9)),
        (Date(), "2026-03-09", dt.date(2026, 3, 9)),
        (Date(), "2026/3/9", dt.date(2026, 3, 9)),
        (Date(), "2026.3.9", dt.date(2026, 3, 9)),
        (Date(), "2026年3月9日", dt.date(2026, 3, 9)),
        (Time(), "8:05", dt.time(8, 5)),
        (Time(), "17：30", dt.time(17, 30)),
        (Time(), dt.time(8, 5, 59), dt.time(8, 5)),
        (Time(), 0.5, dt.time(12)),  # half a day, as Excel keeps a time
        (Bool(), "是", True),
        (Bool(), "否", False),
        (Bool(), "Yes", True),
        (Bool(), 0, False),
        (Bool(), "√", True),
        (Bool(), True, True),
    ],
)
def test_each_type_reads_what_people_type(cell_type, value, expected):
    assert cell_type.read(value, {}) == expected


@pytest.mark.parametrize(
    ("cell_type", "value", "expected"),
    [
        (Text(max_length=3), "abcd", "At most 3 characters."),
        (Integer(), "three", "Give a whole number."),
        (Integer(), True, "Give a whole number."),
        (Integer(), "2.5", "Give a whole number, not a fraction."),
        (Integer(), 2.5, "Give a whole number, not a fraction."),
        (Integer(minimum=1), 0, "Give a whole number from 1."),
        (Integer(maximum=10), 11, "More than the plausible maximum of 10: 11."),
        (Count(), -1, "A count cannot be negative."),
        (Number(), "nan", "Give a number."),
        (Number(), "1/2", "Give a number."),
        (Number(), "1e999999", "Give a number."),
        (Integer(), "1e999999", "Give a whole number."),
        (Decimal(places=1), "1e999999", "Give a number."),
        (Decimal(places=1), "7.25", "Give at most 1 decimal places."),
        (Date(), "08/03/2026", "Not a date: 08/03/2026. Give YYYY-MM-DD."),
        (Date(), "2026-02-30", "Not a date: 2026-02-30. Give YYYY-MM-DD."),
        (Date(), 45000, "Not a date: 45000. Give YYYY-MM-DD."),
        (Time(), "25:00", "Give a time as HH:MM."),
        (Bool(), "maybe", "Give yes or no (是 or 否)."),
    ],
)
def test_each_type_says_what_is_wrong(cell_type, value, expected):
    with translation.override("en"):
        assert message(cell_type, value) == expected


# --- vocabularies --------------------------------------------------------------------------


def test_a_choice_is_found_by_code_or_by_label_in_either_language():
    level = Choice(ManagementLevel)
    with translation.override("zh-hans"):
        chinese = str(ManagementLevel.TEAM.label)
    assert chinese != "Team"
    with translation.override("en"):  # the reader's language does not matter
        for given in ("team", "TEAM", " Team ", chinese):
            assert level.read(given, {}) == "team"
    with translation.override("zh-hans"):
        assert level.read("Team", {}) == "team"


def test_a_choice_not_in_the_vocabulary_lists_what_is():
    with translation.override("en"):
        said = message(Choice(ManagementLevel), "boss")
    assert said.startswith("“boss” is not one of: company (Company), workshop")


def test_a_label_shared_by_codes_is_ambiguous_unless_another_cell_tells():
    subclass = Choice(MeasureSubclass)
    with translation.override("en"):
        assert "ambiguous" in message(subclass, "Other")
    within = Choice(
        MeasureSubclass,
        Within("class", lambda code, klass: code.startswith(f"{klass}-"), "another class"),
    )
    assert within.read("Other", {"class": "2"}) == "2-3"
    assert within.read(dt.datetime(2026, 1, 4), {"class": "1"}) == "1-4"  # Excel's "1-4"
    with pytest.raises(CellError, match="another class"):
        within.read("2-1", {"class": "1"})


def test_a_vocabulary_of_a_catalogue_rows():
    courses = Vocabulary({"F-01": ("消防安全", "Fire safety"), "F-02": ("急救", "First aid")})
    assert courses.find("fire safety") == {"F-01"}
    assert courses.find("急救") == {"F-02"}
    assert courses.find("f-01") == {"F-01"}
    assert Choice(courses).read("First aid", {}) == "F-02"


# --- rows ----------------------------------------------------------------------------------


def test_a_row_reads_each_cell_and_keeps_every_problem():
    with translation.override("en"):
        row = read(PEOPLE, login="", age="x", day="2026-13-01", level="boss", hours="1.25")
    assert row.values["age"] is None and row["day"] is None and row["name"] is None
    assert [key for key, _message in row.problems()] == ["login", "level", "hours", "age", "day"]
    assert row.problems()[0] == ("login", "This field is required.")
    row.require("name")  # an optional cell this row needs
    assert row.errors[-1] == ("name", "此字段为必填项。")  # in the reader's language


def test_a_row_given_as_a_mapping_or_a_sequence():
    by_key = PEOPLE.record({"login": "a", "day": "2026-03-09", "row": 7}, 1)
    assert (by_key.number, by_key["login"], by_key["day"]) == (7, "a", dt.date(2026, 3, 9))
    in_order = VISITS.record(["b", "3"], 4)
    assert (in_order.number, in_order["visits"]) == (4, 3)
    assert PEOPLE.record(by_key, 9) is by_key


def test_a_service_refusal_lands_on_the_columns_it_names():
    row = read(PEOPLE, login="a", day="2026-03-09")
    failure = ValidationFailed(
        fields={"user_name": "taken", "age": "too young", "day.start": "later", "x": "bad"}
    )
    row.refused(failure, {"user_name": "login"})
    assert row.problems() == [
        ("", "day.start: later"),  # neither "day.start" nor "day_start" is a column
        ("", "x: bad"),
        ("login", "taken"),
        ("age", "too young"),
    ]


# --- files ---------------------------------------------------------------------------------


def test_the_header_may_sit_under_a_title_in_either_language_or_by_key():
    content = xlsx(
        (
            "Sheet",
            [
                ["2026年 培训记录"],
                ["账号", "Name", "level", "学时 Hours", "日期"],
                ["wang", "王工", "班组级", 7.5, dt.datetime(2026, 3, 9)],
                [None, None, None, None, None],
                ["li", None, "post", "2", "2026-03-10"],
            ],
        )
    )
    batch = spreadsheet.read(FILE, content)
    assert not batch.problems
    first, second = batch.rows
    assert (first.sheet, first.number, second.number) == ("Sheet", 3, 5)
    assert first.values == {
        "login": "wang",
        "name": "王工",
        "level": "team",
        "hours": decimal.Decimal("7.5"),
        "age": None,
        "passed": None,
        "day": dt.date(2026, 3, 9),
        "starts": None,
    }
    assert second["hours"] == decimal.Decimal(2)


def test_each_sheet_is_read_by_the_table_its_header_names():
    content = xlsx(
        ("visits", [["login", "visits"], ["wang", 3]]),
        ("people", [labels(PEOPLE), ["wang", None, None, None, None, None, "2026-03-09"]]),
        ("说明 instructions", [["账号", "次数"], ["not", "read"]]),
    )
    batch = spreadsheet.read(FILE, content)
    assert [row["visits"] for row in batch.of(VISITS)] == [3]
    assert [row["login"] for row in batch.of(PEOPLE)] == ["wang"]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [["账号", "次数", "colour", "次数"]],
            [(1, "次数 visits", "This column appears twice."), (1, "colour", "Unknown column.")],
        ),
        (
            [["账号", "名称"]],
            [(1, "日期 Date", "This column is missing."), (1, "名称", "Unknown column.")],
        ),
    ],
)
def test_a_wrong_header_is_named_cell_by_cell(rows, expected):
    with translation.override("en"):
        outcome = import_people(xlsx(("S", [*rows, ["x", "1", "y", "2"]])))
    assert [(e.row, e.column, e.message) for e in outcome.errors] == expected
    assert not User.objects.filter(username="x").exists()


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "Choose a CSV or .xlsx file to import."),
        (b"", "The file is empty."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(8), "old .xls workbook"),
        (b"PK\x03\x04broken", "could not be read"),
        (b"\x00\x01\xff\xfe", "neither an .xlsx workbook nor a CSV"),
        (b"a,b\n1,2\n", "No header row found in the first 10 rows. Expected the columns: 账号"),
        ("账号,次数\r\n".encode(), "The file has no rows to import."),
    ],
)
def test_a_file_that_cannot_be_read_is_told_why(content, said):
    with translation.override("en"):
        outcome = import_people(content)
    assert [(e.row, e.column) for e in outcome.errors] == [(None, "")]
    assert said in outcome.errors[0].message


def test_an_xlsx_only_import_refuses_csv_and_reads_the_first_sheet():
    with translation.override("en"):
        outcome = import_people(b"login,day\nx,2026-03-09\n", FIRST_SHEET_XLSX)
    assert outcome.errors[0].message == "This is not an Excel .xlsx workbook."
    content = xlsx(
        ("first", [labels(PEOPLE), ["a", *[None] * 5, "2026-03-09"]]),
        ("second", [labels(PEOPLE), ["b", *[None] * 5, "2026-03-09"]]),
    )
    assert [row["login"] for row in spreadsheet.read(FIRST_SHEET_XLSX, content).rows] == ["a"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_in_the_encodings_and_separators_excel_writes(encoding, delimiter):
    lines = [["账号", "姓名", "日期", "是否合格"], ["zhang", "张三", "2026/3/9", "是"]]
    text = "\r\n".join(delimiter.join(line) for line in lines) + "\r\n"
    batch = spreadsheet.read(FILE, text.encode(encoding))
    (row,) = batch.rows
    assert (row.sheet, row.number, row["name"], row["passed"]) == ("", 2, "张三", True)


def test_problems_are_told_by_sheet_row_and_column_in_the_readers_language():
    content = xlsx(
        ("people", [labels(PEOPLE), ["a", None, None, None, "x", None, "2026-03-09"]]),
        ("visits", [["login", "visits"], ["", -1], ["b", 2]]),
    )
    with translation.override("en"):
        english = import_people(content).errors
    with translation.override("zh-hans"):
        chinese = import_people(content).errors
    where = [(e.sheet, e.row, e.column) for e in english]
    assert where == [
        ("people", 2, "年龄 Age"),
        ("visits", 2, "账号 login"),
        ("visits", 2, "次数 visits"),
    ]
    assert [(e.sheet, e.row, e.column) for e in chinese] == where
    assert [e.message for e in english] == [
        "Give a whole number.",
        "This field is required.",
        "A count cannot be negative.",
    ]
    assert [e.message for e in chinese] == ["请填写整数。", "此字段为必填项。", chinese[2].message]
    assert chinese[2].message != english[2].message
    assert not User.objects.filter(username__in=["a", "b"]).exists()


def test_two_sheets_of_one_kind_are_refused():
    content = xlsx(("a", [["login", "visits"], ["x", 1]]), ("b", [["login", "visits"], ["y", 1]]))
    with translation.override("en"):
        outcome = import_people(content)
    assert [(e.sheet, e.row) for e in outcome.errors] == [("b", None)]
    assert "Only one sheet of each kind" in outcome.errors[0].message


def test_the_size_and_row_limits(monkeypatch):
    content = "账号,次数\r\n" + "".join(f"u{n},1\r\n" for n in range(5))
    monkeypatch.setattr(reading, "MAX_ROWS", 4)
    with translation.override("en"):
        outcome = import_people(content.encode())
    assert [e.message for e in outcome.errors] == ["Import at most 4 rows at a time."]
    monkeypatch.setattr(reading, "MAX_ROWS", 5)
    assert import_people(content.encode()).ok
    monkeypatch.setattr(reading, "MAX_BYTES", 10)
    with translation.override("en"):
        outcome = import_people(content.encode())
    assert outcome.errors[0].message == "The file is larger than 0 MB."
    upload = io.BytesIO(content.encode())
    with pytest.raises(spreadsheet.Rejected):
        spreadsheet.file_bytes(upload)
    assert upload.tell() == 11  # no more than one byte past the limit is read


# --- all or nothing ------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_bad_row_and_nothing_is_written():
    good = "账号,日期\r\nwang,2026-03-09\r\n"
    outcome = import_people((good + "li,2026-03-10\r\n").encode())
    assert outcome.ok and outcome.rows == 2
    assert User.objects.filter(username__in=["wang", "li"]).count() == 2
    # A new user, then one the service refuses: the new one is not kept.
    with translation.override("en"):
        outcome = import_people("账号,日期\r\nzhao,2026-03-09\r\nwang,2026-03-09\r\n".encode())
    assert [(e.row, e.column, e.message) for e in outcome.errors] == [
        (3, "", "username: taken"),
        (3, "年龄 Age", "too young"),
    ]
    assert not User.objects.filter(username="zhao").exists()
    # A row that cannot be read: nothing is saved, not even the rows before it.
    outcome = import_people("账号,日期\r\nsun,2026-03-09\r\nzhou,someday\r\n".encode())
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "日期 Date")]
    assert not User.objects.filter(username__in=["sun", "zhou"]).exists()


@pytest.mark.django_db
def test_a_write_step_may_refuse_the_batch_as_a_whole():
    def write(batch: spreadsheet.Batch) -> None:
        User.objects.create(username="written")
        batch.error("Too late today.")

    outcome = spreadsheet.run(FILE, b"login,visits\r\na,1\r\n", write)
    assert [(e.sheet, e.row, e.message) for e in outcome.errors] == [("", None, "Too late today.")]
    assert not User.objects.filter(username="written").exists()


# --- templates -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_template_filled_in_reads_back():
    template = spreadsheet.workbook(
        FILE, intro="One row per person.", sections=[("Levels", [["team", "班组级"]])]
    )
    book = load_workbook(io.BytesIO(template))
    assert book.sheetnames == ["人员 people", "来访 visits", "说明 instructions"]
    people = book["人员 people"]
    header = [cell.value for cell in people[1]]
    assert header == [column.label for column in PEOPLE.columns]  # computed ones too
    assert header[0] == "账号 Login" and [c.value for c in book["来访 visits"][1]] == [
        "账号 login",
        "次数 visits",
    ]
    notes = [row for row in book["说明 instructions"].iter_rows(values_only=True) if row[0]]
    assert notes[0][0] == "One row per person."
    assert ("账号 Login", "Login", "A new login.") in [tuple(r[:3]) for r in notes]
    assert ("team", "班组级") in [tuple(r[:2]) for r in notes]

    people.append(["wang", "王工", "班组级", 7.5, 30, "是", dt.date(2026, 3, 9), "08:00", "x"])
    people.append(["li", None, "Post", None, None, "否", "2026-03-10", None, None])
    book["来访 visits"].append(["zhao", 3])
    out = io.BytesIO()
    book.save(out)
    batch = spreadsheet.read(FILE, out.getvalue())
    assert not batch.errors
    wang, li = batch.of(PEOPLE)
    assert wang.values == {
        "login": "wang",
        "name": "王工",
        "level": "team",
        "hours": decimal.Decimal("7.5"),
        "age": 30,
        "passed": True,
        "day": dt.date(2026, 3, 9),
        "starts": dt.time(8),
    }
    assert (li["level"], li["passed"], li["day"]) == ("post", False, dt.date(2026, 3, 10))
    assert [row["visits"] for row in batch.of(VISITS)] == [3]
    assert import_people(out.getvalue()).ok
    assert User.objects.filter(username__in=["wang", "li", "zhao"]).count() == 3


def test_a_csv_template_filled_in_reads_back():
    template = spreadsheet.csv_template(VISITS).decode("utf-8-sig")
    assert template == "login,visits\r\n"
    assert spreadsheet.csv_template(PEOPLE).decode("utf-8-sig").startswith("账号 Login,姓名 Name")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(["wang", "3"])
    batch = spreadsheet.read(FILE, ("\ufeff" + template + buffer.getvalue()).encode())
    assert [(row.table, row["visits"]) for row in batch.rows] == [(VISITS, 3)]


def test_an_export_writes_what_a_spreadsheet_would_run_as_text():
    content = spreadsheet.workbook(FILE, {PEOPLE: [{"login": "=cmd()", "note": "@x"}]})
    sheet = load_workbook(io.BytesIO(content))["人员 people"]
    cells = list(sheet[2])
    # The text itself, in a text cell (never a formula), marked to stay text when edited.
    assert (cells[0].value, cells[0].data_type, cells[0].quotePrefix) == ("=cmd()", "s", True)
    assert (cells[-1].value, cells[-1].data_type, cells[-1].quotePrefix) == ("@x", "s", True)
    assert spreadsheet.read(FILE, content).rows[0]["login"] == "=cmd()"


# --- declarations --------------------------------------------------------------------------


def test_a_header_name_two_columns_share_is_a_declaration_error():
    clash = Table("t", (Column("as_of", "日期", "As of"), Column("date", "日期", "Date")))
    with pytest.raises(ValueError, match="names two columns"):
        _ = clash.header_names
    with pytest.raises(ValueError):
        Table("t", (Column("a", "甲", "A"), Column("a", "乙", "B")))


@pytest.mark.parametrize("table", [PEOPLE, VISITS, LEDGER, COUNTS, GROUPS], ids=lambda t: t.name)
def test_the_declared_tables_tell_their_columns_apart(table):
    names = table.header_names
    for column in table.columns:
        assert names[spreadsheet.fold(column.label)] is column
        assert names[spreadsheet.fold(column.key)] is column
