"""Importing XLSForm workbooks: real ODK/Kobo samples, a corpus of bad workbooks (every error
names its sheet, row and column; nothing is stored), header spellings, round trips through the
writer and the database, formula safety and sheets that claim a million rows.

The regression tests at the end are bugs this corpus found in the importer, now fixed."""
from __future__ import annotations

import copy
import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from survey.errors import ValidationFailed
from survey.models import Question, Questionnaire, QuestionnaireVersion, Role, Section
from survey.questionnaires.convert import spec_from_version
from survey.questionnaires.operations import import_questionnaire
from survey.xlsform.reader import MAX_BYTES, read_xlsform
from survey.xlsform.spec import FormSpec
from survey.xlsform.writer import write_xlsform
from tests.factories import make_user

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "xlsform-samples"
BUILTIN = Path(__file__).resolve().parents[1] / "survey" / "builtin"
H = ["type", "name", "label"]
NOT_XLSX = "文件不是有效的 Excel (.xlsx) 工作簿"


# ---- helpers ----

def sample(name: str) -> bytes:
    """A real workbook of ../shared/xlsform-samples: part of the environment, never skipped."""
    assert SAMPLES.is_dir(), f"XLSForm samples folder missing: {SAMPLES} (it belongs beside the repository)"
    path = SAMPLES / name
    assert path.is_file(), f"XLSForm sample missing: {path}"
    return path.read_bytes()


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    """A workbook with the given sheets (name -> rows). Strings are string cells, as typed in Excel
    with a leading apostrophe: '=1+2' is text, never a formula."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = ws.cell(row=number, column=column, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def form(survey: list[list], choices: list[list] | None = None, settings: list[list] | None = None) -> bytes:
    sheets = {"survey": survey}
    if choices is not None:
        sheets["choices"] = choices
    if settings is not None:
        sheets["settings"] = settings
    return xlsx(sheets)


def plain_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "这不是 Excel 工作簿")
    return buf.getvalue()


def patch_zip(data: bytes, member: str, change) -> bytes:
    """The same zip with one member's bytes replaced by change(bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            content = zin.read(item.filename)
            zout.writestr(item, change(content) if item.filename == member else content)
    return out.getvalue()


def where(errors) -> set[tuple[str, int, str]]:
    return {(e.sheet, e.row, e.column) for e in errors}


def has_error(errors, sheet: str, row: int, column: str, text: str) -> bool:
    return any((e.sheet, e.row, e.column) == (sheet, row, column) and text in e.message for e in errors)


def cells(data: bytes) -> dict[str, list[list[tuple]]]:
    """Every sheet of a workbook as rows of (value, data_type), as openpyxl reads them back."""
    wb = load_workbook(io.BytesIO(data))
    return {ws.title: [[(c.value, c.data_type) for c in row] for row in ws.iter_rows()]
            for ws in wb.worksheets}


def without_rows(spec: FormSpec) -> FormSpec:
    spec = copy.deepcopy(spec)
    for section in spec.sections:
        section.row = 0
        for q in section.questions:
            q.row = 0
    return spec


def types_of(spec: FormSpec) -> dict[str, str]:
    return {q.name: q.type for q in spec.questions}


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture()
def admin(db):
    return make_user(Role.ADMIN)


# ---- 1. real samples ----

def test_text_and_integer_sample_imports():
    result = read_xlsform(sample("text_and_integer.xlsx"), "text_and_integer.xlsx")
    assert result.errors == [] and result.notices == []
    spec = result.spec
    assert spec.title == "text_and_integer"
    assert [(q.name, q.type, q.label) for q in spec.questions] == [
        ("your_name", "text", "What is your name?"),
        ("your_age", "integer", "How many years old are you?"),
    ]
    assert [(s.name, s.title) for s in spec.sections] == [("", "")]
    assert spec.choices == {}  # the choices sheet has a header only


def test_group_sample_imports_with_phone_number_as_text():
    result = read_xlsform(sample("group.xlsx"), "group.xlsx")
    assert result.errors == []
    spec = result.spec
    assert [(s.name, s.title, [q.name for q in s.questions]) for s in spec.sections] == [
        ("", "", ["family_name"]),
        ("father", "Father", ["phone_number", "age"]),
    ]
    assert types_of(spec) == {"family_name": "text", "phone_number": "text", "age": "integer"}
    assert spec.questions[1].label == "What's your father's phone number?"  # label:English (en)


def test_yes_or_no_sample_old_select_spelling():
    result = read_xlsform(sample("yes_or_no_question.xlsx"), "yes_or_no_question.xlsx")
    assert result.errors == []
    (q,) = result.spec.questions
    assert (q.name, q.type, q.choice_list, q.label) == (
        "good_day", "single", "yes_or_no", "have you had a good day today?")
    assert result.spec.choices == {
        "yes_or_no": [{"name": "yes", "label": "yes"}, {"name": "no", "label": "no"}]}


def test_field_list_sample_end_group_spelling_and_chinese_choice_labels():
    result = read_xlsform(sample("field-list.xlsx"), "field-list.xlsx")
    assert result.errors == []
    spec = result.spec
    (section,) = spec.sections
    assert (section.name, section.title) == ("name", "name")  # the group has no label
    (q,) = section.questions
    assert (q.name, q.type, q.choice_list, q.label, q.hint) == (
        "table_list_question", "single", "yes_no", "table list question", "hint")
    # choices have a plain `label` (English) and `label::chinese`: Chinese wins
    assert spec.choices == {"yes_no": [{"name": "yes", "label": "是"}, {"name": "no", "label": "没有"}]}


@pytest.mark.parametrize("name, questions", [
    ("text_and_integer.xlsx", 2), ("group.xlsx", 3), ("yes_or_no_question.xlsx", 1), ("field-list.xlsx", 1),
])
def test_supported_samples_import_and_publish_through_the_orm(db, admin, name, questions):
    version, notices = import_questionnaire(admin, sample(name), name, publish=True)
    assert notices == []
    assert version.is_published and version.number == 1
    assert len(version.questions) == questions
    assert count(db, Questionnaire) == 1


# Read off the workbooks by hand (row numbers are spreadsheet rows): type cell -> keyword the error
# must name. `end repeat` rows may be reported too, but need not be.
UCL_UNSUPPORTED = {
    16: "select_one_from_file", 17: "select_one_from_file", 18: "select_one_from_file",
    20: "select_one_from_file", 22: "geopoint", 26: "calculate", 27: "calculate", 32: "begin repeat",
    33: "calculate", 35: "select_one_from_file", 39: "calculate", 43: "begin repeat", 44: "calculate",
    56: "begin repeat", 57: "select_one_from_file", 72: "begin repeat", 73: "select_one_from_file",
    80: "begin repeat", 81: "select_one_from_file",
}
UCL_END_REPEAT = {51, 53, 69, 78, 86}
UCL_METADATA = {"start": 11, "end": 12, "deviceid": 91}
# Other faults of the UCL form, also read off the workbook: a condition in `required` (49), curly
# quotes ‘other’ in relevant, regex() in a constraint (10), constraints on calculate fields.
UCL_OTHER = {(49, "required"), (9, "relevant"), (36, "relevant"), (48, "relevant"), (58, "relevant"),
             (74, "relevant"), (82, "relevant"), (10, "constraint"), (38, "constraint"),
             (45, "constraint"), (60, "constraint")}

SPEC_TEST_UNSUPPORTED = {15: "begin repeat", 30: "acknowledge", 32: "time", 33: "datetime", 34: "geopoint",
                         35: "barcode", 37: "audio", 38: "video", 40: "calculate"}
SPEC_TEST_END_REPEAT = {29}
SPEC_TEST_METADATA = {"start": 42, "end": 44, "today": 46, "deviceid": 48, "uri_deviceid": 50,
                      "phonenumber": 52}
SPEC_TEST_OTHER = {(7, "relevant"), (10, "label")}  # regex() in relevant; a note with an image only


@pytest.mark.parametrize("name, unsupported, end_repeat, metadata, other", [
    ("UCL_Biomass_Plot_Form.xlsx", UCL_UNSUPPORTED, UCL_END_REPEAT, UCL_METADATA, UCL_OTHER),
    ("xlsform_spec_test.xlsx", SPEC_TEST_UNSUPPORTED, SPEC_TEST_END_REPEAT, SPEC_TEST_METADATA,
     SPEC_TEST_OTHER),
])
def test_samples_with_unsupported_types_are_refused_naming_each_type_and_row(
        name, unsupported, end_repeat, metadata, other):
    result = read_xlsform(sample(name), name)
    assert result.spec is None
    for row, keyword in unsupported.items():
        assert has_error(result.errors, "survey", row, "type", keyword), (row, keyword, result.errors)
    type_rows = {e.row for e in result.errors if e.column == "type"}
    assert set(unsupported) <= type_rows <= set(unsupported) | end_repeat
    assert {(e.row, e.column) for e in result.errors if e.column != "type"} == other
    assert all(e.sheet == "survey" for e in result.errors)
    # metadata fields are never errors, only notices
    error_rows = {e.row for e in result.errors}
    notices = "\n".join(result.notices)
    for field_name, row in metadata.items():
        assert row not in error_rows
        assert re.search(rf"(?<![\w-]){re.escape(field_name)}\W*第 {row} 行", notices), (field_name, notices)
    assert not any(word in e.message for e in result.errors for word in ("deviceid", "phonenumber", "today"))


def test_orm_refuses_the_ucl_sample_and_stores_nothing(db, admin):
    with pytest.raises(ValidationFailed) as exc:
        import_questionnaire(admin, sample("UCL_Biomass_Plot_Form.xlsx"), "UCL_Biomass_Plot_Form.xlsx")
    assert ("survey", 22, "type") in where(exc.value.errors)
    assert count(db, Questionnaire) == count(db, QuestionnaireVersion) == count(db, Question) == 0


# ---- 2. bad workbook corpus ----

def _bad(survey, choices=None):
    return lambda: form(survey, choices)


CORPUS = [
    pytest.param(lambda: b"\x00\x01 just some bytes", [("文件", 0, "", NOT_XLSX)], id="not-a-zip"),
    pytest.param(plain_zip, [("文件", 0, "", NOT_XLSX)], id="zip-but-not-xlsx"),
    pytest.param(lambda: b"PK" + b"0" * (MAX_BYTES - 2), [("文件", 0, "", NOT_XLSX)], id="junk-exactly-5mb"),
    pytest.param(lambda: b"PK" + b"0" * (5 * 1024 * 1024 + 1), [("文件", 0, "", "文件超过 5 MB")], id="over-5mb"),
    pytest.param(lambda: xlsx({"问卷": [H, ["text", "q1", "问题"]]}),
                 [("survey", 0, "", "缺少 survey 工作表")], id="no-survey-sheet"),
    pytest.param(_bad([["题型", "名称", "label"], ["text", "q1", "问题"]]),
                 [("survey", 1, "", "survey 表缺少 type 或 name 列")], id="no-type-or-name-column"),
    pytest.param(_bad([["type", "label"], ["text", "问题"]]),
                 [("survey", 1, "", "survey 表缺少 type 或 name 列")], id="no-name-column"),
    pytest.param(_bad([H, ["text", "q1", "问题一"], ["text", "q2", "问题二"], ["integer", "q1", "问题三"]]),
                 [("survey", 4, "name", "名称“q1”与第 2 行重复")], id="duplicate-name"),
    pytest.param(_bad([H, ["text", "q1", "问题一"], ["slider", "q2", "问题二"]]),
                 [("survey", 3, "type", "无法识别的题型“slider”")], id="unknown-type"),
    pytest.param(_bad([H, ["select_one colours", "q1", "颜色"]],
                      [["list_name", "name", "label"], ["size", "s", "小"]]),
                 [("survey", 2, "type", "选项列表“colours”不存在或为空")], id="missing-choice-list"),
    pytest.param(_bad([H, ["select_one colours", "q1", "颜色"]],
                      [["list_name", "name", "label"], ["colours", "red", "红"], ["colours", "red", "赤"]]),
                 [("choices", 3, "name", "选项列表 colours 中编码 red 重复")], id="duplicate-choice-code"),
    pytest.param(_bad([H, ["select_one colours", "q1", "颜色"]],
                      [["list_name", "name", "label"], ["colours", None, "红"]]),
                 [("choices", 2, "name", "选项缺少列表名或选项编码"),
                  ("survey", 2, "type", "选项列表“colours”不存在或为空")], id="choice-without-code"),
    pytest.param(_bad([H + ["relevant"], ["select_one yes_no_na", "q1", "是否"],
                       ["text", "q2", "说明", "(${q1} = 'no'"]]),
                 [("survey", 3, "relevant", "缺少右括号")], id="unbalanced-paren"),
    pytest.param(_bad([H + ["relevant"], ["text", "q1", "说明", "${q2} = 'x'"], ["text", "q2", "其他"]]),
                 [("survey", 2, "relevant", "${q2}（只能引用前面的题目）")], id="relevant-refers-to-later"),
    pytest.param(_bad([H + ["relevant"], ["text", "q1", "问题"], ["text", "q2", "说明", "${nobody} = 1"]]),
                 [("survey", 3, "relevant", "不存在或位于其后的题目 ${nobody}")], id="relevant-unknown-name"),
    pytest.param(_bad([H + ["relevant"], ["text", "q1", "说明", "${q1} != ''"]]),
                 [("survey", 2, "relevant", "${q1}")], id="relevant-refers-to-itself"),
    pytest.param(_bad([H + ["required"], ["select_one yes_no_na", "q1", "是否"],
                       ["text", "q2", "说明", "${q1} = 'no'"]]),
                 [("survey", 3, "required", "暂不支持条件必填")], id="required-expression"),
    pytest.param(_bad([H + ["parameters"], ["integer", "q1", "人数", "min 0"]]),
                 [("survey", 2, "parameters", "参数格式应为 名称=数字")], id="bad-parameters-syntax"),
    pytest.param(_bad([H + ["parameters"], ["integer", "q1", "人数", "min=ten"]]),
                 [("survey", 2, "parameters", "参数格式应为 名称=数字")], id="non-numeric-parameter"),
    pytest.param(_bad([H + ["parameters"], ["integer", "q1", "人数", "min=10 max=1"]]),
                 [("survey", 2, "parameters", "最小值不能大于最大值")], id="min-above-max"),
    pytest.param(_bad([H + ["parameters"], ["text", "q1", "姓名", "max=3"]]),
                 [("survey", 2, "parameters", "该题型不支持参数 max")], id="parameter-on-text"),
    pytest.param(_bad([H + ["parameters"], ["image", "q1", "照片", "max=50"]]),
                 [("survey", 2, "parameters", "照片数量上限应在 1 到 20 之间")], id="photo-max-50"),
    pytest.param(_bad([H + ["parameters"], ["range", "q1", "评分", "start=0 end=10 step=2"]]),
                 [("survey", 2, "parameters", "评分题应为 start=0 end=满分 step=1")], id="score-step-2"),
    pytest.param(_bad([H, ["begin group", "g1", "第一部分"], ["text", "q1", "问题"]]),
                 [("survey", 2, "type", "分组 g1 缺少 end group")], id="begin-group-without-end"),
    pytest.param(_bad([H, ["text", "q1", "问题"], ["end group", None, None]]),
                 [("survey", 3, "type", "end group 没有对应的 begin group")], id="end-group-without-begin"),
    pytest.param(_bad([H]), [("survey", 0, "", "问卷中没有任何题目")], id="empty-survey"),
    pytest.param(_bad([H, ["begin group", "g1", "空分组"], ["end group"]]),
                 [("survey", 0, "", "问卷中没有任何题目")], id="groups-but-no-questions"),
    pytest.param(_bad([H, ["text", "1st", "问题"]]),
                 [("survey", 2, "name", "名称“1st”只能由字母、数字、下划线组成，且不能以数字开头")],
                 id="name-starts-with-digit"),
    pytest.param(_bad([H, ["text", "q1", "问题"], ["text", "my name", "姓名"]]),
                 [("survey", 3, "name", "名称“my name”只能由字母")], id="name-with-space"),
    pytest.param(_bad([H, ["begin group", "g" * 65, "第一部分"], ["text", "q1", "问题"], ["end group"]]),
                 [("survey", 2, "name", f"名称“{'g' * 65}”只能由字母")], id="group-name-too-long"),
    pytest.param(_bad([H, ["text", "-q1", "问题"]]), [("survey", 2, "name", "名称“-q1”只能由字母")],
                 id="name-starts-with-hyphen"),
    pytest.param(_bad([H, ["text", None, "问题"]]), [("survey", 2, "name", "缺少名称（name）")], id="missing-name"),
    pytest.param(_bad([H, ["text", "q1", None]]), [("survey", 2, "label", "缺少题目文字（label）")],
                 id="missing-label"),
    pytest.param(_bad([H, ["text", "q1", "问题"], [None, "q2", "问题二"]]),
                 [("survey", 3, "type", "缺少题型")], id="missing-type"),
    pytest.param(_bad([H, ["select_one colours or_other", "q1", "颜色"]],
                      [["list_name", "name", "label"], ["colours", "red", "红"]]),
                 [("survey", 2, "type", "不支持“其他（or_other）”选项写法")], id="or-other"),
    pytest.param(_bad([H + ["points"], ["integer", "q1", "问题", "五分"]]),
                 [("survey", 2, "points", "分值必须是整数")], id="points-not-a-number"),
    pytest.param(_bad([H + ["problem_if", "problem_severity"],
                       ["select_one yes_no_na", "q1", "是否", ". = 'no'", "很严重"]]),
                 [("survey", 2, "problem_severity", "严重程度只能是 一般、较重 或 严重")], id="bad-severity"),
    pytest.param(_bad([H + ["problem_category"], ["select_one yes_no_na", "q1", "是否", "类" * 33]]),
                 [("survey", 2, "problem_category", "问题类别不能超过 32 个字")], id="long-category"),
    pytest.param(_bad([H + ["constraint"], ["integer", "q1", "人数", ". >= "]]),
                 [("survey", 2, "constraint", "表达式不完整")], id="incomplete-constraint"),
    pytest.param(_bad([H, ["geopoint", "where", "位置"], ["text", "q1", "问题"]]),
                 [("survey", 2, "type", "不支持的题型 geopoint（地理位置）")], id="geopoint"),
    pytest.param(_bad([H, ["begin repeat", "r1", "成员"], ["text", "q1", "姓名"], ["end repeat"]]),
                 [("survey", 2, "type", "begin repeat"), ("survey", 4, "type", "begin repeat")], id="repeat"),
    pytest.param(_bad([H + ["relevant"], ["select_one colours", "q1", "颜色"],
                       ["slider", "q1", "问题二", "${q9} = 1"], ["text", "q3", "说明", "(("]]),
                 [("survey", 2, "type", "选项列表“colours”不存在或为空"), ("survey", 3, "type", "无法识别的题型"),
                  ("survey", 4, "relevant", "表达式有误")], id="several-faults-all-listed"),
]


@pytest.mark.parametrize("build, expected", CORPUS)
def test_bad_workbook_is_refused_naming_sheet_row_and_column(build, expected):
    result = read_xlsform(build(), "bad.xlsx")
    assert result.spec is None
    for sheet, row, column, text in expected:
        assert has_error(result.errors, sheet, row, column, text), (sheet, row, column, text, result.errors)
    assert where(result.errors) == {e[:3] for e in expected}, result.errors


@pytest.mark.parametrize("build, expected", CORPUS)
def test_orm_import_of_a_bad_workbook_stores_nothing(db, admin, build, expected):
    with pytest.raises(ValidationFailed) as exc:
        import_questionnaire(admin, build(), "bad.xlsx", publish=True)
    assert where(exc.value.errors) == {e[:3] for e in expected}
    assert count(db, Questionnaire) == 0
    assert count(db, QuestionnaireVersion) == count(db, Section) == count(db, Question) == 0


def test_failed_reimport_leaves_the_existing_draft_untouched(db, admin):
    settings = [["form_title", "form_id"], ["测试问卷", "same_form"]]
    good = form([H, ["text", "q1", "问题一"], ["text", "q2", "问题二"]], settings=settings)
    bad = form([H, ["text", "q1", "新问题一"], ["slider", "q2", "新问题二"], ["text", "q3", "新问题三"]],
               settings=settings)
    version, _ = import_questionnaire(admin, good, "good.xlsx")
    db.session.commit()
    with pytest.raises(ValidationFailed):
        import_questionnaire(admin, bad, "bad.xlsx")
    db.session.rollback()
    assert count(db, Questionnaire) == count(db, QuestionnaireVersion) == 1
    stored = db.session.scalar(select(QuestionnaireVersion))
    assert [(q.name, q.label) for q in stored.questions] == [("q1", "问题一"), ("q2", "问题二")]


@pytest.mark.parametrize("constraint", [". >= 1", ". >= 1 and . <= ${q0}", "${q1} > 0", "not(. = 0)"])
def test_constraint_may_use_dot_and_its_own_name(constraint):
    data = form([H + ["constraint", "constraint_message"], ["integer", "q0", "上限"],
                 ["integer", "q1", "人数", constraint, "人数不对"]])
    result = read_xlsform(data)
    assert result.errors == []
    assert result.spec.questions[1].constraint == constraint
    assert result.spec.questions[1].constraint_message == "人数不对"


def test_problem_if_may_use_dot_and_own_name_but_relevant_may_not_use_own_name():
    ok = form([H + ["problem_if"], ["select_one yes_no_na", "q1", "是否", "${q1} = 'no' or . = 'na'"]])
    assert read_xlsform(ok).errors == []
    bad = form([H + ["relevant"], ["select_one yes_no_na", "q1", "是否", "${q1} = 'no'"]])
    assert where(read_xlsform(bad).errors) == {("survey", 2, "relevant")}


def test_unicode_letters_are_allowed_in_names():
    data = form([H + ["relevant"], ["begin group", "第一部分", "第一部分"],
                 ["select_one yes_no_na", "是否建立", "是否建立制度"],
                 ["text", "说明", "情况说明", "${是否建立} = 'no'"], ["end group"]])
    result = read_xlsform(data)
    assert result.errors == []
    assert [q.name for q in result.spec.questions] == ["是否建立", "说明"]


def test_metadata_rows_are_ignored_with_a_notice():
    data = form([H, ["start", "start"], ["text", "q1", "问题"], ["deviceid", "device"], ["today", None]])
    result = read_xlsform(data)
    assert result.errors == []
    assert [q.name for q in result.spec.questions] == ["q1"]
    (notice,) = result.notices
    assert "start（第 2 行）" in notice and "device（第 4 行）" in notice and "today（第 5 行）" in notice


def test_nested_groups_are_flattened_with_a_notice():
    data = form([H, ["begin group", "outer", "外层"], ["text", "a1", "甲"], ["begin group", "inner", "内层"],
                 ["text", "b1", "乙"], ["end group"], ["text", "a2", "丙"], ["end group"]])
    result = read_xlsform(data)
    assert result.errors == []
    assert [(s.name, s.title, [q.name for q in s.questions]) for s in result.spec.sections] == [
        ("outer", "外层", ["a1"]), ("inner", "内层", ["b1"]), ("outer_7", "外层", ["a2"])]
    assert result.notices == ["第 4 行：嵌套分组已展开为平级分组"]


# ---- 3. header spellings ----

HEADER_SPELLINGS = [
    pytest.param(["type", "name", "label::English (en)"], ["list_name", "name", "label::English (en)"],
                 id="label::English (en)"),
    pytest.param(["type", "name", "label:english"], ["list name", "name", "label:english"],
                 id="label:english"),
    pytest.param(["TYPE", "NAME", "LABEL"], ["LIST_NAME", "NAME", "LABEL"], id="upper-case"),
    pytest.param([" Type", "Name ", "Label"], ["List Name", "Name", "Label"], id="spaces-and-title-case"),
    pytest.param(["name", "label", "type"], ["label", "name", "list_name"], id="columns-in-any-order"),
]


@pytest.mark.parametrize("survey_header, choices_header", HEADER_SPELLINGS)
def test_header_spellings(survey_header, choices_header):
    def arrange(header, values: dict):
        return [values[h.strip().lower().replace("list name", "list_name").split(":")[0]] for h in header]

    survey = [survey_header] + [arrange(survey_header, r) for r in (
        {"type": "select_one colour", "name": "fav", "label": "Favourite colour"},
        {"type": "text", "name": "why", "label": "Why?"})]
    choices = [choices_header] + [arrange(choices_header, r) for r in (
        {"list_name": "colour", "name": "red", "label": "Red"},
        {"list_name": "colour", "name": "blue", "label": "Blue"})]
    result = read_xlsform(form(survey, choices))
    assert result.errors == []
    assert [(q.name, q.type, q.label) for q in result.spec.questions] == [
        ("fav", "single", "Favourite colour"), ("why", "text", "Why?")]
    assert result.spec.choices == {
        "colour": [{"name": "red", "label": "Red"}, {"name": "blue", "label": "Blue"}]}


def test_upper_case_sheet_names():
    data = xlsx({"SURVEY": [H, ["select_one colour", "fav", "颜色"]],
                 "Choices": [["list_name", "name", "label"], ["colour", "red", "红色"]],
                 "Settings": [["form_title", "form_id", "kind"], ["大写表名", "upper_sheets", "自查"]]})
    result = read_xlsform(data, "ignored.xlsx")
    assert result.errors == []
    spec = result.spec
    assert (spec.title, spec.form_id, spec.kind) == ("大写表名", "upper_sheets", "self_check")
    assert spec.choices == {"colour": [{"name": "red", "label": "红色"}]}


@pytest.mark.parametrize("zh_first", [False, True], ids=["english-first", "chinese-first"])
def test_chinese_column_wins_and_english_fills_its_gaps(zh_first):
    en = ["label::English (en)", "hint::English (en)"]
    zh = ["label::zh", "hint::中文 (zh)"]
    rows = [("select_one colour", "fav", ["Favourite colour", "Pick one"], ["最喜欢的颜色", "选一个"]),
            ("text", "why", ["Why?", "Explain"], [None, None])]
    header = ["type", "name"] + (zh + en if zh_first else en + zh)
    survey = [header] + [[t, n] + (z + e if zh_first else e + z) for t, n, e, z in rows]
    choices = [["list_name", "name", "label::English (en)", "label::chinese"],
               ["colour", "red", "Red", "红色"], ["colour", "blue", "Blue", None]]
    settings = [["default_language"], ["English (en)"]]  # the default language does not beat Chinese
    result = read_xlsform(form(survey, choices, settings))
    assert result.errors == []
    assert [(q.label, q.hint) for q in result.spec.questions] == [("最喜欢的颜色", "选一个"), ("Why?", "Explain")]
    assert result.spec.choices == {
        "colour": [{"name": "red", "label": "红色"}, {"name": "blue", "label": "Blue"}]}


def test_plain_label_column_in_chinese():
    data = form([H + ["hint"], ["begin group", "basic", "基本情况"],
                 ["select_one yes_no_na", "q1", "是否建立制度", "查看文件"], ["end group"]],
                [["list_name", "name", "label"], ["yes_no_na", "yes", "是"]])
    result = read_xlsform(data)
    assert result.errors == []
    (section,) = result.spec.sections
    assert (section.name, section.title) == ("basic", "基本情况")
    (q,) = section.questions
    assert (q.name, q.type, q.choice_list, q.label, q.hint) == ("q1", "check", None, "是否建立制度", "查看文件")


def test_default_language_is_used_when_there_is_no_chinese():
    survey = [["type", "name", "label::English (en)", "label::Swahili (sw)"], ["text", "q1", "Name", "Jina"]]
    result = read_xlsform(form(survey, settings=[["default_language"], ["Swahili (sw)"]]))
    assert result.spec.questions[0].label == "Jina"
    result = read_xlsform(form(survey))
    assert result.spec.questions[0].label == "Name"  # no preference: the first column


# ---- 4. round trips ----

ALL_TYPES_COLUMNS = ["type", "name", "label", "hint", "required", "required_message", "relevant",
                     "constraint", "constraint_message", "appearance", "parameters", "points", "problem_if",
                     "problem_category", "problem_severity"]


def all_types_workbook() -> bytes:
    def row(**kw):
        return [kw.get(c) for c in ALL_TYPES_COLUMNS]

    survey = [ALL_TYPES_COLUMNS,
              row(type="begin group", name="basic", label="基本情况", hint="请如实填写"),
              row(type="select_one yes_no_na", name="chk", label="是否建立制度", hint="查看制度文件", required="yes",
                  problem_if=". = 'no'", problem_category="制度建设", problem_severity="较重", points="5"),
              row(type="select_one unit_kind", name="kind", label="单位类别", required="yes",
                  required_message="请选择单位类别"),
              row(type="select_multiple forms", name="forms", label="学习形式",
                  constraint="count-selected(.) >= 1", constraint_message="至少选择一项"),
              row(type="text", name="contact", label="联系人", appearance="numbers"),
              row(type="text", name="notes", label="情况说明", appearance="multiline"),
              row(type="integer", name="staff", label="在编人数", parameters="min=0 max=500", constraint=". >= 1",
                  constraint_message="人数至少为 1", required="yes"),
              row(type="decimal", name="budget", label="预算（万元）", parameters="min=0.5 max=99.5"),
              row(type="date", name="filled", label="填表日期"),
              row(type="end group"),
              row(type="begin group", name="detail", label="整改情况", relevant="${chk} = 'no'"),
              row(type="image", name="photos", label="现场照片", hint="最多 2 张", parameters="max=2"),
              row(type="range", name="self_score", label="自评得分", parameters="start=0 end=5 step=1",
                  problem_if=". < 3", problem_category="其他", problem_severity="一般", points="-2"),
              row(type="note", name="remark", label="以下内容仅在得分低于 3 分时填写"),
              row(type="text", name="follow", label="整改措施", relevant="${self_score} < 3 and ${staff} > 0",
                  required="yes"),
              row(type="end group"),
              row(type="text", name="signer", label="填表人")]
    choices = [["list_name", "name", "label"], ["yes_no_na", "yes", "是"], ["yes_no_na", "no", "否"],
               ["yes_no_na", "na", "不适用"], ["unit_kind", "party", "党委部门"], ["unit_kind", "gov", "政府部门"],
               ["forms", "lecture", "业务大讲堂"], ["forms", "reading", "专题读书会"]]
    settings = [["form_title", "form_id", "version", "kind"],
                ["全题型测试问卷", "all_types_form", "2026.1", "self_check"]]
    return form(survey, choices, settings)


ROUND_TRIP_SOURCES = [
    pytest.param(lambda: (BUILTIN / "廉洁机关建设自查表.xlsx").read_bytes(), 46, 7, id="self-check"),
    pytest.param(lambda: (BUILTIN / "上门问诊督导记录表.xlsx").read_bytes(), 43, 9, id="onsite-visit"),
    pytest.param(all_types_workbook, 13, 3, id="all-types"),
]


def test_all_types_workbook_reads_as_expected():
    spec = read_xlsform(all_types_workbook()).spec
    assert types_of(spec) == {
        "chk": "check", "kind": "single", "forms": "multiple", "contact": "text", "notes": "textarea",
        "staff": "integer", "budget": "decimal", "filled": "date", "photos": "photo", "self_score": "score",
        "remark": "note", "follow": "text", "signer": "text"}
    q = {q.name: q for q in spec.questions}
    assert q["chk"].choice_list is None and q["chk"].points == 5 and q["chk"].required
    assert (q["chk"].problem_if, q["chk"].problem_category, q["chk"].problem_severity) == (
        ". = 'no'", "制度建设", "较重")
    assert q["kind"].required_message == "请选择单位类别"
    assert (q["notes"].appearance, q["contact"].appearance) == ("", "numbers")
    assert q["staff"].parameters == {"min": 0, "max": 500}
    assert q["budget"].parameters == {"min": 0.5, "max": 99.5}
    assert q["photos"].parameters == {"max": 2}
    assert q["self_score"].parameters == {"start": 0, "end": 5, "step": 1} and q["self_score"].points == -2
    assert [(s.name, s.title, s.relevant) for s in spec.sections] == [
        ("basic", "基本情况", ""), ("detail", "整改情况", "${chk} = 'no'"), ("", "", "")]
    assert (spec.title, spec.form_id, spec.version_label, spec.kind) == (
        "全题型测试问卷", "all_types_form", "2026.1", "self_check")


@pytest.mark.parametrize("source, questions, sections", ROUND_TRIP_SOURCES)
def test_round_trip_through_the_writer_is_a_fixed_point(source, questions, sections):
    first = read_xlsform(source(), "source.xlsx")
    assert first.errors == [] and first.notices == []
    assert (len(first.spec.questions), len(first.spec.sections)) == (questions, sections)
    written = write_xlsform(first.spec)
    second = read_xlsform(written, "other-name.xlsx")
    assert second.errors == [] and second.notices == []
    rewritten = write_xlsform(second.spec)
    assert cells(written) == cells(rewritten)
    assert set(cells(written)) == {"survey", "choices", "settings"}
    assert without_rows(second.spec) == without_rows(first.spec)
    assert read_xlsform(rewritten).spec == second.spec  # the same rows too, once written by the writer


@pytest.mark.parametrize("source, questions, sections", ROUND_TRIP_SOURCES)
def test_round_trip_through_the_database_makes_an_equal_new_version(db, admin, source, questions, sections):
    v1, _ = import_questionnaire(admin, source(), "source.xlsx", publish=True)
    db.session.commit()
    spec1 = spec_from_version(v1)
    assert len(spec1.questions) == questions
    assert without_rows(spec1) == without_rows(read_xlsform(source()).spec)
    v2, notices = import_questionnaire(admin, write_xlsform(spec1), "export.xlsx")
    db.session.commit()
    assert notices == []
    assert (v2.number, v2.questionnaire_id, v2.is_published) == (2, v1.questionnaire_id, False)
    assert count(db, Questionnaire) == 1 and count(db, QuestionnaireVersion) == 2
    assert without_rows(spec_from_version(v2)) == without_rows(spec1)


# ---- 5. formula safety ----

DANGEROUS = ["=1+2", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "=HYPERLINK(\"http://example.com\",\"点我\")"]


def formula_workbook() -> bytes:
    survey = [H + ["hint"]] + [["text", f"q{i}", text, text] for i, text in enumerate(DANGEROUS, start=1)]
    survey.append(["select_one danger", "pick", "选择", None])
    choices = [["list_name", "name", "label"]]
    choices += [["danger", f"c{i}", text] for i, text in enumerate(DANGEROUS)]
    settings = [["form_title", "form_id"], ["=危险标题", "formula_form"]]
    return form(survey, choices, settings)


def assert_no_formulas(exported: bytes) -> None:
    wb = load_workbook(io.BytesIO(exported))
    survey = wb["survey"]
    header = [c.value for c in survey[1]]
    label_col, hint_col = header.index("label") + 1, header.index("hint") + 1
    for i, text in enumerate(DANGEROUS, start=2):
        for col in (label_col, hint_col):
            cell = survey.cell(row=i, column=col)
            assert (cell.value, cell.data_type) == (text, "s")
    choice_labels = [(c.value, c.data_type) for c in wb["choices"]["C"][1:]]
    assert choice_labels == [(text, "s") for text in DANGEROUS]
    title = wb["settings"]["A2"]
    assert (title.value, title.data_type) == ("=危险标题", "s")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)


def test_formula_like_text_survives_import_and_export_as_text():
    result = read_xlsform(formula_workbook())
    assert result.errors == []
    assert [q.label for q in result.spec.questions][:len(DANGEROUS)] == DANGEROUS
    assert result.spec.title == "=危险标题"
    assert_no_formulas(write_xlsform(result.spec))


def test_formula_like_text_survives_the_database_and_export(db, admin):
    version, _ = import_questionnaire(admin, formula_workbook(), "formula.xlsx")
    db.session.commit()
    assert_no_formulas(write_xlsform(spec_from_version(version)))


# ---- 6. large sheets ----

def test_real_sheet_claiming_a_million_rows_reads_quickly():
    data = sample("UCL_Biomass_Plot_Form.xlsx")
    wb = load_workbook(io.BytesIO(data), read_only=True)
    assert wb["survey"].max_row == 1048576  # the premise: the sheet claims every row of Excel
    wb.close()
    started = time.perf_counter()
    result = read_xlsform(data)
    assert time.perf_counter() - started < 5
    assert ("survey", 22, "type") in where(result.errors)


def test_far_stray_cell_in_an_unnamed_column_is_ignored_quickly():
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    for row in (H, ["text", "q1", "问题一"], ["integer", "q2", "问题二"], ["date", "q3", "问题三"]):
        ws.append(row)
    ws.cell(row=1_000_000, column=30, value="stray")  # dimension A1:AD1000000
    buf = io.BytesIO()
    wb.save(buf)
    started = time.perf_counter()
    result = read_xlsform(buf.getvalue())
    assert time.perf_counter() - started < 5
    assert result.errors == []
    assert [q.name for q in result.spec.questions] == ["q1", "q2", "q3"]


# ---- bugs found by this corpus, fixed in the importer: kept as regression tests ----

def test_regression_choice_list_names_keep_their_case():
    data = form([H, ["select_one YesNo", "q1", "是否"]], [["list_name", "name", "label"], ["YesNo", "y", "是"]])
    result = read_xlsform(data)
    assert result.errors == []
    assert result.spec.questions[0].choice_list == "YesNo"


@pytest.mark.parametrize("points", ["inf", "1e20"])
def test_regression_out_of_range_points_are_refused(points):
    result = read_xlsform(form([H + ["points"], ["text", "q1", "问题", points]]))
    assert result.spec is None
    assert where(result.errors) == {("survey", 2, "points")}


@pytest.mark.parametrize("qtype, parameters", [("integer", "min=0 max=inf"), ("decimal", "min=nan"),
                                               ("range", "start=0 end=nan step=1")])
def test_regression_non_finite_parameters_are_refused(qtype, parameters):
    result = read_xlsform(form([H + ["parameters"], [qtype, "q1", "问题", parameters]]))
    assert result.spec is None
    assert where(result.errors) == {("survey", 2, "parameters")}


@pytest.mark.parametrize("parameters", ["start=3 end=5 step=1", "start=0 end=5.5 step=1"])
def test_regression_score_must_start_at_zero_with_integer_end(parameters):
    result = read_xlsform(form([H + ["parameters"], ["range", "q1", "评分", parameters]]))
    assert result.spec is None
    assert has_error(result.errors, "survey", 2, "parameters", "评分题应为 start=0 end=满分 step=1")


def test_regression_flattened_nested_group_keeps_the_parent_condition():
    data = form([H + ["relevant"], ["select_one yes_no_na", "show", "是否填写"],
                 ["begin group", "outer", "外层", "${show} = 'yes'"], ["text", "a1", "甲"],
                 ["begin group", "inner", "内层"], ["text", "b1", "乙"], ["end group"], ["end group"]])
    result = read_xlsform(data)
    assert result.errors == []
    inner = next(s for s in result.spec.sections if s.name == "inner")
    assert "${show}" in inner.relevant


def test_regression_questions_after_a_long_blank_gap_are_not_silently_dropped():
    survey = [H, ["text", "q1", "问题一"]] + [[None] * 3] * 250 + [["text", "q2", "问题二"]]
    result = read_xlsform(form(survey))
    assert result.errors == []
    assert [q.name for q in result.spec.questions] == ["q1", "q2"]


def test_regression_long_choice_lists_are_not_silently_truncated():
    choices = [["list_name", "name", "label"]] + [["village", f"v{i}", f"村{i}"] for i in range(6000)]
    result = read_xlsform(form([H, ["select_one village", "q1", "村"]], choices))
    # Refused whole, saying why: never a form with the first 5000 choices only.
    assert result.spec is None
    assert [(e.sheet, e.message) for e in result.errors][0] == ("choices", "choices 表超过 5000 行")


def test_regression_stale_sheet_dimension_does_not_truncate_the_form():
    data = form([H] + [["text", f"q{i}", f"问题{i}"] for i in range(1, 6)])
    stale = patch_zip(data, "xl/worksheets/sheet1.xml",
                      lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:C3"', xml))
    assert stale != data
    result = read_xlsform(stale)
    assert result.errors == []
    assert [q.name for q in result.spec.questions] == [f"q{i}" for i in range(1, 6)]


@pytest.mark.parametrize("member, change", [
    ("xl/worksheets/sheet1.xml", lambda xml: xml[:len(xml) // 2]),
    ("xl/workbook.xml", lambda xml: b"<workbook"),
    ("[Content_Types].xml", lambda xml: b"not xml at all"),
], ids=["truncated-sheet", "broken-workbook-xml", "broken-content-types"])
def test_regression_corrupt_xml_inside_the_zip_is_refused(member, change):
    data = patch_zip(form([H, ["text", "q1", "问题"]]), member, change)
    result = read_xlsform(data)
    assert result.spec is None
    assert where(result.errors) == {("文件", 0, "")}


@pytest.mark.parametrize("model_column, survey, choices, row", [
    (Question.__table__.c.appearance, [H + ["appearance"], ["text", "q1", "问题", "a" * 65]], None, 2),
    (Question.__table__.c.constraint_message,
     [H + ["constraint", "constraint_message"], ["integer", "q1", "问题", ". > 0", "错" * 201]], None, 2),
    (Question.__table__.c.required_message,
     [H + ["required", "required_message"], ["text", "q1", "问题", "yes", "必" * 201]], None, 2),
    (Question.__table__.c.choice_list, [H, ["select_one " + "l" * 65, "q1", "问题"]],
     [["list_name", "name", "label"], ["l" * 65, "a", "甲"]], 2),
    (Section.__table__.c.title,
     [H, ["begin group", "g1", "组" * 201], ["text", "q1", "问题"], ["end group"]], None, 2),
], ids=["appearance", "constraint_message", "required_message", "choice_list", "group_title"])
def test_regression_texts_longer_than_their_columns_are_refused(model_column, survey, choices, row):
    assert model_column.type.length in (64, 200)
    result = read_xlsform(form(survey, choices))
    assert result.spec is None
    assert row in {e.row for e in result.errors}
